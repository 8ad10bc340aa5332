/*
 * The RPC methods of game sessions (PROTOCOL.md "Methods"): session.*,
 * strategies.list, state.get, orders.submit, turn.ready, chat.send and
 * history.get. Each handler checks its arguments and the caller's identity,
 * then calls into sess.c for the transition.
 *
 * Identity rules (PROTOCOL.md "Identity"): a missing or unknown token is
 * `unauthorized`; a valid token acting outside its rights (a seat token
 * where the admin's is needed, another session's token) is `forbidden`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "proto_types.h"
#include "sess_internal.h"
#include "srv.h"

static sess_registry_t *reg_of(rpc_call_t *call) {
  return ((srv_t *)call->app)->sess;
}

static const char *STATUS[] = {"lobby", "running", "paused", "finished"};

/* The session named by params.session, or an error. */
static sess_session_t *get_session(rpc_call_t *call) {
  const char *id;
  uint32_t len;
  if (proto_param_str(call->params, "session", true, &id, &len, call->err) < 0)
    return NULL;
  sess_session_t *s = sess_find(reg_of(call), id, len);
  if (!s)
    proto_error_set(call->err, PROTO_NOT_FOUND, "session",
                    "no session '%.*s' on this server (session.list shows "
                    "the sessions)",
                    (int)(len > 64 ? 64 : len), id);
  return s;
}

/* What the caller may do: `want_admin` and/or `want_seat` say which
 * identities the method accepts; `keys` are the param names to read
 * (token, admin_token). Returns 0 with *is_admin / *seat set, or -1 with
 * the error (counted). */
static int authorise(rpc_call_t *call, sess_session_t *s, bool want_admin,
                     bool want_seat, bool *is_admin, int *seat) {
  sess_registry_t *reg = reg_of(call);
  const char *tok = NULL, *atok = NULL;
  uint32_t tlen = 0, alen = 0;
  *is_admin = false;
  *seat = -1;
  if (proto_param_str(call->params, "token", false, &tok, &tlen, call->err) <
          0 ||
      proto_param_str(call->params, "admin_token", false, &atok, &alen,
                      call->err) < 0)
    return -1;
  const char *need = want_admin && want_seat ? "'token' (a seat's) or "
                                               "'admin_token'"
                     : want_admin            ? "'admin_token' (from "
                                               "session.create)"
                                             : "'token' (from session.join)";
  if (!tok && !atok) {
    reg->counters.unauthorized++;
    return proto_error_set(call->err, PROTO_UNAUTHORIZED,
                           want_admin && !want_seat ? "admin_token" : "token",
                           "this method needs %s", need);
  }
  /* Prefer the key the method is about; a token given under the other key
   * is judged by what it is. */
  const char *t = atok ? atok : tok;
  uint32_t len = atok ? alen : tlen;
  int idx;
  sess_ident_t id = sess_identify(reg, s, t, len, &idx);
  switch (id) {
  case SESS_ID_ADMIN:
    if (want_admin) {
      *is_admin = true;
      return 0;
    }
    reg->counters.forbidden++;
    return proto_error_set(call->err, PROTO_FORBIDDEN, "token",
                           "the admin token cannot act as a seat here; this "
                           "method needs %s",
                           need);
  case SESS_ID_SEAT:
    if (want_seat) {
      *seat = idx;
      return 0;
    }
    reg->counters.forbidden++;
    return proto_error_set(call->err, PROTO_FORBIDDEN, "admin_token",
                           "a seat's token cannot do this; it needs the "
                           "session's admin token");
  case SESS_ID_OTHER:
    reg->counters.forbidden++;
    return proto_error_set(call->err, PROTO_FORBIDDEN,
                           atok ? "admin_token" : "token",
                           "this token belongs to another session; each "
                           "token acts for its own session only");
  case SESS_ID_OBSERVER:
    /* Read-only (issue 13): the reads that take an observer's token
     * (state.get, history.get, session.watch) look for it first. */
    reg->counters.forbidden++;
    reg->counters.observer_writes_refused++;
    return proto_error_set(call->err, PROTO_FORBIDDEN,
                           atok ? "admin_token" : "token",
                           "an observer token is read-only: it may call "
                           "state.get, history.get, session.watch, "
                           "channels.list and chat.history (the public "
                           "channels), nothing else; this method needs %s",
                           need);
  case SESS_ID_NONE:
  case SESS_ID_UNKNOWN:
    break;
  }
  reg->counters.unauthorized++;
  return proto_error_set(call->err, PROTO_UNAUTHORIZED,
                         atok ? "admin_token" : "token",
                         "this token is not known to session '%s'; this "
                         "method needs %s",
                         s->id, need);
}

static int seat_of(rpc_call_t *call, sess_session_t *s, const char *key,
                   int *seat) {
  const char *id;
  uint32_t len;
  if (proto_param_str(call->params, key, true, &id, &len, call->err) < 0)
    return -1;
  for (size_t i = 0; i < s->n_seats; i++) {
    const char *sid = model_map_seat_id(s->map, i);
    if (strlen(sid) == len && memcmp(sid, id, len) == 0) {
      *seat = (int)i;
      return 0;
    }
  }
  return proto_error_set(call->err, PROTO_NOT_FOUND, key,
                         "session '%s' has no seat '%.*s' (session.list "
                         "shows its seats)",
                         s->id, (int)(len > 64 ? 64 : len), id);
}

/* The observer whose token the caller gave as `token` (issue 13), by its
 * index in s->observers, or -1 (no such token: the caller goes on to
 * authorise, which judges it). */
static int observer_of(rpc_call_t *call, sess_session_t *s) {
  const char *tok = NULL, *atok = NULL;
  uint32_t tlen = 0, alen = 0;
  proto_error_t ignored;
  if (proto_param_str(call->params, "token", false, &tok, &tlen, &ignored) <
          0 ||
      proto_param_str(call->params, "admin_token", false, &atok, &alen,
                      &ignored) < 0 ||
      !tok || atok || s->n_observers == 0)
    return -1;
  int idx;
  if (sess_identify(reg_of(call), s, tok, tlen, &idx) != SESS_ID_OBSERVER)
    return -1;
  return idx;
}

/* The bucket of the caller's address in t at now, or NULL when the table
 * has no room for the address (every slot it may use belongs to an
 * address in debt): the caller refuses the charged action. Keeps the
 * counters of both tables in step. */
static rl_bucket_t *limit_bucket(rpc_call_t *call, rl_table_t *t, int64_t now) {
  sess_registry_t *reg = reg_of(call);
  rl_bucket_t *b = rl_table_get(t, call->peer->addr, now);
  reg->counters.ratelimit_evicted =
      reg->join_limit.evicted + reg->create_limit.evicted;
  reg->counters.ratelimit_table_full =
      reg->join_limit.full + reg->create_limit.full;
  return b;
}

/* ---- strategies.list, session.create, session.list ----------------------- */

static int m_strategies(rpc_call_t *call) {
  size_t n = agent_strategy_count();
  msgpack_pack_array(call->pk, n);
  for (size_t i = 0; i < n; i++) {
    const agent_strategy_t *s = agent_strategy_at(i);
    msgpack_pack_map(call->pk, 3);
    proto_pack_kv_cstr(call->pk, "id", s->id);
    proto_pack_kv_cstr(call->pk, "description", s->description);
    /* Which seats it plays (an addition to PROTOCOL.md's {id,
     * description}); session.bot refuses the others. */
    proto_pack_cstr(call->pk, "kinds");
    bool nation = agent_strategy_plays(s, MODEL_SEAT_NATION);
    bool firm = agent_strategy_plays(s, MODEL_SEAT_FIRM);
    msgpack_pack_array(call->pk, (size_t)nation + (size_t)firm);
    if (nation)
      proto_pack_cstr(call->pk, "nation");
    if (firm)
      proto_pack_cstr(call->pk, "firm");
  }
  return RPC_OK;
}

/* The longest turn a session may have: 30 days. */
#define TURN_SECONDS_MAX (30.0 * 24 * 3600)

/* The caller's bucket of table `t` when it holds a token (the caller takes
 * it with rl_take once it goes ahead); NULL, with the wait for a person in
 * `when`, when the caller's address must wait or the table had no room for
 * it. */
static rl_bucket_t *limit_ready(rpc_call_t *call, rl_table_t *t, char *when,
                                size_t len) {
  int64_t now = (int64_t)uv_now(reg_of(call)->loop);
  rl_bucket_t *b = limit_bucket(call, t, now);
  if (b && rl_ready(b, &t->rate, now))
    return b;
  rl_retry_text(when, len,
                b ? rl_wait_ms(b, &t->rate, now) : (int64_t)t->rate.refill_ms);
  return NULL;
}

/* Takes one token of the per-address creation rate (--create-burst, then
 * one every --create-refill-ms) for session.create and session.fork, or
 * sets call->err. `limits` names the burst and the refill in the message
 * (session.create's wording; session.fork's names only the flags). */
static int take_create(rpc_call_t *call, bool limits) {
  sess_registry_t *reg = reg_of(call);
  char when[64];
  rl_bucket_t *b = limit_ready(call, &reg->create_limit, when, sizeof when);
  if (!b) {
    reg->counters.sessions_rate_limited++;
    if (limits)
      return proto_error_set(call->err, PROTO_RATE_LIMITED, NULL,
                             "too many sessions created from your address: "
                             "at most %u at once, then one every %u ms "
                             "(--create-burst, --create-refill-ms); %s",
                             reg->create_limit.rate.burst,
                             reg->create_limit.rate.refill_ms, when);
    return proto_error_set(call->err, PROTO_RATE_LIMITED, NULL,
                           "too many sessions created from your address "
                           "(--create-burst, --create-refill-ms); %s",
                           when);
  }
  rl_take(b);
  return 0;
}

/* Whether seat i is seatless (issue 11): a firm of the map that plays its
 * standing orders, which no person joins and no agent takes. As a count:
 * the pairs pack_seat_id adds beyond its three. */
static uint32_t seatless(const sess_session_t *s, size_t i) {
  return model_map_seat_seatless(s->map, i) ? 1 : 0;
}

/* The first three pairs of a seat's map in every seat list: its id, its
 * kind (nation or firm) and its title; then, for a seatless seat only,
 * "seatless": true (an addition, issue 11; count it with seatless()). */
static void pack_seat_id(msgpack_packer *pk, const sess_session_t *s,
                         size_t i) {
  proto_pack_kv_cstr(pk, "seat", model_map_seat_id(s->map, i));
  proto_pack_kv_cstr(
      pk, "kind",
      model_map_seat_kind(s->map, i) == MODEL_SEAT_NATION ? "nation" : "firm");
  proto_pack_kv_cstr(pk, "title", model_map_seat_title(s->map, i));
  if (seatless(s, i))
    proto_pack_kv_bool(pk, "seatless", true);
}

/* The refusal of anything that would give seat `seat` to a person or an
 * agent (session.join, session.bot, seat.reissue_code) on a seatless seat. */
static int refuse_seatless(rpc_call_t *call, const sess_session_t *s, int seat,
                           const char *field) {
  char open[512] = "";
  size_t n = 0;
  for (size_t i = 0; i < s->n_seats && n + 2 < sizeof open; i++) {
    if (seatless(s, i))
      continue;
    int w = snprintf(open + n, sizeof open - n, "%s%s", n ? ", " : "",
                     model_map_seat_id(s->map, i));
    if (w < 0 || (size_t)w >= sizeof open - n) {
      open[n] = '\0';
      break;
    }
    n += (size_t)w;
  }
  return proto_error_set(call->err, PROTO_FORBIDDEN, field,
                         "seat %s of map '%s' is seatless: it is played by "
                         "its standing orders on this map, and no person or "
                         "agent may take it; the seats that can be joined "
                         "are: %s",
                         model_map_seat_id(s->map, (size_t)seat),
                         model_map_id(s->map), open);
}

/* A session's seats as an array of maps: seat, kind and title; then the
 * join code (codes[i], for the creator of session.create and
 * session.fork) or, with codes NULL, whether the seat is taken; then, with
 * `agent`, the seat's built-in strategy or nil. */
static void pack_seats(msgpack_packer *pk, const sess_session_t *s,
                       const char (*codes)[SESS_CODE_LEN + 1], bool agent) {
  msgpack_pack_array(pk, s->n_seats);
  for (size_t i = 0; i < s->n_seats; i++) {
    msgpack_pack_map(pk, (agent ? 5 : 4) + seatless(s, i));
    pack_seat_id(pk, s, i);
    if (codes && seatless(s, i))
      proto_pack_kv_nil(pk, "join_code"); /* issue 11: none is issued */
    else if (codes)
      proto_pack_kv_cstr(pk, "join_code", codes[i]);
    else
      proto_pack_kv_bool(pk, "taken", s->seats[i].taken);
    if (!agent)
      continue;
    if (s->seats[i].agent)
      proto_pack_kv_cstr(pk, "agent", agent_strategy(s->seats[i].agent)->id);
    else
      proto_pack_kv_nil(pk, "agent");
  }
}

static int m_create(rpc_call_t *call) {
  sess_registry_t *reg = reg_of(call);
  if (sp_refuse(reg, "session", call->err) != 0)
    return RPC_ERROR;
  const char *map_id, *name = NULL;
  uint32_t map_len, name_len = 0;
  uint64_t seed = 0, turns = 0;
  double turn_s = 0;
  bool spectators = false, fixed = false, review = false,
       scripted_events = true;
  int has_seed, has_turns;
  if (proto_param_str(call->params, "map", true, &map_id, &map_len, call->err) <
          0 ||
      proto_param_str(call->params, "name", false, &name, &name_len,
                      call->err) < 0 ||
      (has_seed = proto_param_u64(call->params, "seed", false, &seed,
                                  call->err)) < 0 ||
      (has_turns = proto_param_u64(call->params, "turns", false, &turns,
                                   call->err)) < 0 ||
      proto_param_f64(call->params, "turn_seconds", false, &turn_s, call->err) <
          0 ||
      proto_param_bool(call->params, "spectators", false, &spectators,
                       call->err) < 0 ||
      proto_param_bool(call->params, "fixed", false, &fixed, call->err) < 0 ||
      proto_param_bool(call->params, "review", false, &review, call->err) < 0 ||
      proto_param_bool(call->params, "scripted_events", false, &scripted_events,
                       call->err) < 0)
    return RPC_ERROR;
  if (fixed && turn_s <= 0)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "fixed",
                           "'fixed' turns need a 'turn_seconds' above 0 "
                           "(each turn lasts exactly that long)");
  /* 0 is "no deadline"; a deadline shorter than the minimum would have the
   * server do little but resolve turns. */
  if (!(turn_s == 0 ||
        (turn_s >= LAN_MIN_TURN_MS / 1000.0 && turn_s <= TURN_SECONDS_MAX)))
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "turn_seconds",
                           "field 'turn_seconds' must be 0 (no deadline) or "
                           "from %g to %.0f (30 days)",
                           LAN_MIN_TURN_MS / 1000.0, TURN_SECONDS_MAX);
  if (name_len >= 96)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "name",
                           "field 'name' may hold at most 95 bytes");
  /* Lobby sessions hold a place of --max-sessions until they start or
   * expire: one address may hold --max-lobby-per-address of them, so a
   * few addresses cannot fill the server for everyone. */
  rl_key_t creator;
  rl_key_of(call->peer->addr, &creator);
  if (sess_lobby_count(reg, &creator) >= reg->cfg.max_lobby_per_address) {
    reg->counters.lobby_refused_per_address++;
    return proto_error_set(call->err, PROTO_RATE_LIMITED, NULL,
                           "your address already has %u sessions in the "
                           "lobby, the most one address may "
                           "(--max-lobby-per-address); start or stop one "
                           "of them, or wait: a lobby session nobody joins "
                           "expires %u s after its creation "
                           "(--lobby-expiry-s)",
                           reg->cfg.max_lobby_per_address,
                           reg->cfg.lobby_expiry_s);
  }
  /* Sessions cost memory and a database row each: each address may create
   * --create-burst at once, then one every --create-refill-ms. */
  if (take_create(call, true) != 0)
    return RPC_ERROR;
  sess_map_t *sm;
  if (sess_map_get(reg, map_id, map_len, &sm, call->err) != 0)
    return RPC_ERROR;
  const model_map_t *map = sm->map;
  int max_turns = model_map_turns(map);
  if (has_turns && (turns < 1 || turns > (uint64_t)max_turns))
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "turns",
                           "field 'turns' must be from 1 to %d for map '%s'",
                           max_turns, model_map_id(map));
  if (!has_seed)
    randombytes_buf(&seed, sizeof seed);
  char namebuf[96];
  snprintf(namebuf, sizeof namebuf, "%.*s", (int)name_len, name ? name : "");
  sess_session_t *s;
  size_t n_seats = model_map_seat_count(map);
  char admin_token[SESS_TOKEN_LEN + 1];
  char(*codes)[SESS_CODE_LEN + 1] =
      calloc(n_seats ? n_seats : 1, sizeof *codes);
  if (!codes)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  if (sess_create(reg, sm, namebuf, seed, has_turns ? (int)turns : max_turns,
                  (int64_t)(turn_s * 1000.0 + 0.5), spectators, fixed, &creator,
                  admin_token, codes, &s, call->err) != 0) {
    free(codes);
    return RPC_ERROR;
  }
  if (review) {
    /* Stored with the session, in the same commit (issue 13). */
    s->review = true;
    sp_review(s);
  }
  /* issue 13: the map's scripted history on or off, its prepared
   * injects pending */
  if (sess_inject_created(s, scripted_events) != 0) {
    free(codes);
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  }
  log_sess(LOG_LEVEL_INFO, s->id, NULL,
           "created: map %s, %d turns, %.1f s per turn%s%s", model_map_id(map),
           s->turns, turn_s, review ? ", reviewed by control" : "",
           scripted_events ? "" : ", without the map's scripted events");
  msgpack_packer *pk = call->pk;
  msgpack_pack_map(pk, 3);
  proto_pack_kv_cstr(pk, "session", s->id);
  proto_pack_kv_cstr(pk, "admin_token", admin_token);
  proto_pack_cstr(pk, "seats");
  pack_seats(pk, s, (const char(*)[SESS_CODE_LEN + 1]) codes, false);
  free(codes);
  sodium_memzero(admin_token, sizeof admin_token);
  return RPC_OK_DURABLE;
}

/* session.list pages through the sessions in order of id: `limit`
 * (default LAN_LIST_LIMIT_DEFAULT, at most --max-list-page) sessions after
 * the id `after`. A request with neither gets the first page as the bare
 * array of protocol v1; one with either gets {sessions, next}, next being
 * the `after` of the following page, nil on the last. */
static int m_list(rpc_call_t *call) {
  sess_registry_t *reg = reg_of(call);
  uint64_t limit = 0;
  const char *after = NULL;
  uint32_t after_len = 0;
  int has_limit =
      proto_param_u64(call->params, "limit", false, &limit, call->err);
  if (has_limit < 0 || proto_param_str(call->params, "after", false, &after,
                                       &after_len, call->err) < 0)
    return RPC_ERROR;
  unsigned max = reg->cfg.list_limit_max;
  if (has_limit && (limit < 1 || limit > max)) {
    reg->counters.list_refused_limit++;
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "limit",
                           "field 'limit' must be from 1 to %u (sessions per "
                           "page, --max-list-page); pass the answer's "
                           "'next' as 'after' for the next page",
                           max);
  }
  size_t page = has_limit                      ? (size_t)limit
                : LAN_LIST_LIMIT_DEFAULT < max ? LAN_LIST_LIMIT_DEFAULT
                                               : max;
  size_t from = after ? sess_byid_after(reg, after, after_len) : 0;
  size_t end = reg->n_sessions - from > page ? from + page : reg->n_sessions;
  bool paged = has_limit || after;
  msgpack_packer *pk = call->pk;
  if (paged) {
    msgpack_pack_map(pk, 2);
    proto_pack_cstr(pk, "sessions");
  }
  msgpack_pack_array(pk, end - from);
  for (size_t i = from; i < end; i++) {
    const sess_session_t *s = reg->byid[i];
    msgpack_pack_map(pk, 10);
    proto_pack_kv_cstr(pk, "session", s->id);
    proto_pack_kv_cstr(pk, "name", s->name);
    sess_pack_review_pairs(pk, s);
    proto_pack_kv_cstr(pk, "map", model_map_id(s->map));
    proto_pack_kv_cstr(pk, "status", STATUS[s->status]);
    proto_pack_kv_i64(pk, "turn", model_state_turn(s->st));
    proto_pack_kv_i64(pk, "turns", s->turns);
    proto_pack_cstr(pk, "seats");
    pack_seats(pk, s, NULL, true);
  }
  if (paged) {
    if (end < reg->n_sessions)
      proto_pack_kv_cstr(pk, "next", reg->byid[end - 1]->id);
    else
      proto_pack_kv_nil(pk, "next");
  }
  return RPC_OK;
}

/* ---- session.join, session.watch, session.bot ---------------------------- */

/* The longest prefix of text[0..len) of at most max bytes that does not
 * end inside a UTF-8 character (the text is valid UTF-8: proto_param_str
 * checked it). */
static size_t utf8_cut(const char *text, size_t len, size_t max) {
  if (len <= max)
    return len;
  size_t n = max;
  while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
    n--;
  return n;
}

/* Crockford base32 is forgiving: lower case, and O/I/L for 0/1/1. */
static void normalise_code(const char *in, size_t len, char *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < len && n + 1 < cap; i++) {
    char c = in[i];
    if (c == '-' || c == ' ')
      continue;
    if (c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    if (c == 'O')
      c = '0';
    if (c == 'I' || c == 'L')
      c = '1';
    out[n++] = c;
  }
  out[n] = '\0';
}

static int m_join(rpc_call_t *call) {
  sess_registry_t *reg = reg_of(call);
  sess_session_t *s = get_session(call);
  if (!s || sp_refuse(reg, "seat", call->err) != 0)
    return RPC_ERROR;
  const char *code = NULL, *tok = NULL, *name = NULL;
  uint32_t code_len = 0, tok_len = 0, name_len = 0;
  if (proto_param_str(call->params, "join_code", false, &code, &code_len,
                      call->err) < 0 ||
      proto_param_str(call->params, "token", false, &tok, &tok_len, call->err) <
          0 ||
      proto_param_str(call->params, "name", false, &name, &name_len,
                      call->err) < 0)
    return RPC_ERROR;
  int seat = -1;
  char token[SESS_TOKEN_LEN + 1] = "";
  if (tok) {
    int idx;
    if (tok_len == SESS_TOKEN_LEN) {
      memcpy(token, tok, SESS_TOKEN_LEN);
      token[SESS_TOKEN_LEN] = '\0';
    }
    switch (sess_identify(reg, s, tok, tok_len, &idx)) {
    case SESS_ID_SEAT:
      seat = idx;
      break;
    case SESS_ID_ADMIN:
      reg->counters.forbidden++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "token",
                             "the admin token holds no seat; the control "
                             "cell follows a session with session.watch");
    case SESS_ID_OBSERVER:
      reg->counters.forbidden++;
      reg->counters.observer_writes_refused++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "token",
                             "an observer token is read-only and holds no "
                             "seat; it reads with state.get, history.get "
                             "and session.watch");
    case SESS_ID_OTHER:
      reg->counters.forbidden++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "token",
                             "this token belongs to another session");
    default:
      reg->counters.unauthorized++;
      return proto_error_set(call->err, PROTO_UNAUTHORIZED, "token",
                             "this token is not known to session '%s'; join "
                             "with your seat's join code first",
                             s->id);
    }
  } else if (code) {
    /* The code is checked first and only a wrong one is charged to the
     * address: a right code always joins, so one guesser behind a
     * school's NAT cannot lock the class out. Guessing stays hopeless
     * (50-bit codes, the wrong ones limited per address). */
    char norm[32];
    uint8_t h[SESS_HASH_BYTES];
    normalise_code(code, code_len, norm, sizeof norm);
    sess_hash_code(s, norm, h);
    for (size_t i = 0; i < s->n_seats; i++)
      if (sodium_memcmp(s->seats[i].code_hash, h, SESS_HASH_BYTES) == 0)
        seat = (int)i;
    if (seat >= 0 && s->seats[seat].locked) {
      /* A right code, so no rate-limit charge; the seat's holder comes
       * back with its token. */
      reg->counters.join_refused_locked++;
      reg->counters.forbidden++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "join_code",
                             "seat %s of session '%s' is locked by the "
                             "facilitator: its join code is not accepted; "
                             "the player who holds the seat reconnects with "
                             "the seat's token, or the facilitator unlocks "
                             "it",
                             model_map_seat_id(s->map, (size_t)seat), s->id);
    }
    if (seat >= 0 && sess_open_token(s, seat, norm, token) != 0) {
      log_sess(LOG_LEVEL_ERROR, s->id, SESS_SEAT_NAME(s, seat),
               "the token of seat %d cannot be unsealed", seat);
      return proto_error_set(call->err, PROTO_INTERNAL, NULL,
                             "this seat's token cannot be recovered; tell "
                             "the operator");
    }
    if (seat < 0) {
      char when[64];
      rl_bucket_t *b = limit_ready(call, &reg->join_limit, when, sizeof when);
      if (!b) {
        reg->counters.join_rate_limited++;
        return proto_error_set(call->err, PROTO_RATE_LIMITED, "join_code",
                               "too many wrong join codes from your address "
                               "(--join-burst, --join-refill-ms); check the "
                               "code with your facilitator and %s (a right "
                               "code is always accepted)",
                               when);
      }
      rl_take(b);
      reg->counters.unauthorized++;
      return proto_error_set(call->err, PROTO_UNAUTHORIZED, "join_code",
                             "no seat of session '%s' has this join code; "
                             "check it with your facilitator",
                             s->id);
    }
  } else {
    reg->counters.unauthorized++;
    return proto_error_set(call->err, PROTO_UNAUTHORIZED, "join_code",
                           "session.join needs 'join_code' (from your "
                           "facilitator) or 'token' (to reconnect)");
  }
  if (seatless(s, (size_t)seat)) {
    reg->counters.forbidden++;
    sodium_memzero(token, sizeof token);
    return refuse_seatless(call, s, seat, code && !tok ? "join_code" : "token");
  }
  sess_seat_t *st = &s->seats[seat];
  sess_sub_t *sub = sess_subscribe(s, call->peer, call->err);
  if (!sub)
    return RPC_ERROR;
  if (st->agent) {
    /* A person takes the seat back from the agent; this turn's orders so
     * far stand until the person sends their own. */
    log_sess(LOG_LEVEL_INFO, s->id, SESS_SEAT_NAME(s, seat),
             "seat %s taken over from agent %s",
             model_map_seat_id(s->map, (size_t)seat),
             agent_strategy(st->agent)->id);
    agent_free(st->agent);
    st->agent = NULL;
    /* Whatever ready the seat had for this turn (the person's before the
     * agent came) goes, in the database too, so a restart agrees. */
    if (st->ready && s->status != SESS_LOBBY && s->status != SESS_FINISHED)
      sp_unready(s, seat);
    st->ready = false;
    /* Fix (tests/sessions/test_takeover.py): the clock may be armed to
     * resolve at once (every seat was ready); now this seat is not, so
     * re-arm it for the deadline (or stop it, without one). */
    sess_arm(s);
  }
  if (st->conn && st->conn != call->peer) {
    /* The newest connection wins; the old one is told and stops getting
     * the seat's notifications (its token still works). */
    for (size_t i = 0; i < s->n_subs; i++)
      if (s->subs[i].peer == st->conn)
        s->subs[i].seats[seat] = 0;
    sess_notify_seat_moved(s, st->conn, seat);
    /* Fix: seat.moved may have dropped the old connection's subscription,
     * moving ours in the array; find it again (it exists: no allocation). */
    sub = sess_subscribe(s, call->peer, call->err);
    if (!sub)
      return RPC_ERROR;
  }
  st->conn = call->peer;
  st->taken = true;
  sub->seats[seat] = 1;
  if (name)
    snprintf(st->name, sizeof st->name, "%.*s",
             (int)utf8_cut(name, name_len, sizeof st->name - 1), name);
  sp_seat(s, seat);
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_cstr(call->pk, "seat", model_map_seat_id(s->map, (size_t)seat));
  proto_pack_kv_cstr(call->pk, "token", token);
  sodium_memzero(token, sizeof token);
  return RPC_OK_DURABLE;
}

static int m_watch(rpc_call_t *call) {
  sess_session_t *s = get_session(call);
  if (!s)
    return RPC_ERROR;
  bool admin = false;
  int seat = -1;
  /* A token given as nil counts as none, as everywhere else. */
  const char *tok = NULL, *atok = NULL;
  uint32_t tlen, alen;
  if (proto_param_str(call->params, "token", false, &tok, &tlen, call->err) <
          0 ||
      proto_param_str(call->params, "admin_token", false, &atok, &alen,
                      call->err) < 0)
    return RPC_ERROR;
  /* An observer (issue 13) follows the public notifications, as a
   * spectator does; its seats' views it reads with state.get. */
  bool observer = observer_of(call, s) >= 0;
  if (!observer && (tok || atok || !s->spectators)) {
    if (authorise(call, s, true, true, &admin, &seat) != 0)
      return RPC_ERROR;
  }
  sess_sub_t *sub = sess_subscribe(s, call->peer, call->err);
  if (!sub)
    return RPC_ERROR;
  sub->admin = sub->admin || admin;
  if (seat >= 0)
    sub->seats[seat] = 1;
  msgpack_pack_map(call->pk, 0);
  return RPC_OK;
}

static int m_bot(rpc_call_t *call) {
  sess_session_t *s = get_session(call);
  bool admin;
  int unused, seat;
  if (!s || sp_refuse(reg_of(call), "change", call->err) != 0 ||
      authorise(call, s, true, false, &admin, &unused) != 0 ||
      seat_of(call, s, "seat", &seat) != 0)
    return RPC_ERROR;
  const char *sid;
  uint32_t len;
  if (proto_param_str(call->params, "strategy", true, &sid, &len, call->err) <
      0)
    return RPC_ERROR;
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), sid);
  const agent_strategy_t *strat = agent_find(name);
  if (!strat)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "strategy",
                           "no strategy '%s' (strategies.list shows them)",
                           name);
  if (seatless(s, (size_t)seat)) {
    reg_of(call)->counters.forbidden++;
    return refuse_seatless(call, s, seat, "seat");
  }
  int kind = model_map_seat_kind(s->map, (size_t)seat);
  if (!agent_strategy_plays(strat, kind))
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "strategy",
                           "strategy '%s' does not play %s seats, and %s is "
                           "a %s (strategies.list says which seats each "
                           "strategy plays)",
                           name, kind == MODEL_SEAT_NATION ? "nation" : "firm",
                           model_map_seat_id(s->map, (size_t)seat),
                           kind == MODEL_SEAT_NATION ? "nation" : "firm");
  if (s->status == SESS_FINISHED)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' is finished", s->id);
  /* A seat a person holds (joined, and no agent on it since) goes to an
   * agent only when the facilitator says so with force: true, and the
   * person is told (seat.agent). */
  bool force = false;
  if (proto_param_bool(call->params, "force", false, &force, call->err) < 0)
    return RPC_ERROR;
  sess_seat_t *st = &s->seats[seat];
  bool person = st->taken && !st->agent;
  if (person && !force) {
    reg_of(call)->counters.bot_refused_person++;
    return proto_error_set(call->err, PROTO_CONFLICT, "seat",
                           "seat %s is held by a person%s%s%s; send force: "
                           "true to put the agent on it anyway (the person "
                           "is told with seat.agent)",
                           model_map_seat_id(s->map, (size_t)seat),
                           st->name[0] ? " ('" : "", st->name,
                           st->name[0] ? "')" : "");
  }
  agent_t *a = agent_new(strat, sess_agent_seed(s, seat));
  if (!a)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  if (person) {
    reg_of(call)->counters.bot_forced++;
    log_sess(LOG_LEVEL_INFO, s->id, NULL,
             "seat %s handed to agent %s over its person",
             model_map_seat_id(s->map, (size_t)seat), strat->id);
    /* The person is told; the connection keeps following the game (and
     * the token takes the seat back with session.join, unless the
     * facilitator also revokes it). */
    sess_seat_notify_all(s, seat, "seat.agent", strat->id, false);
  }
  sess_seat_to_agent(s, seat, a);
  msgpack_pack_map(call->pk, 1);
  proto_pack_kv_cstr(call->pk, "seat", model_map_seat_id(s->map, (size_t)seat));
  return RPC_OK_DURABLE;
}

/* ---- start, pause, resume, stop, advance --------------------------------- */

typedef enum { ACT_START, ACT_PAUSE, ACT_RESUME, ACT_STOP, ACT_ADVANCE } act_t;

static int control(rpc_call_t *call, act_t act) {
  sess_session_t *s = sess_method_admin(call, "change");
  if (!s)
    return RPC_ERROR;
  static const char *const need[] = {"lobby", "running", "paused",
                                     "lobby, running or paused", "running"};
  bool ok = false;
  switch (act) {
  case ACT_START:
    ok = s->status == SESS_LOBBY;
    break;
  case ACT_PAUSE:
  case ACT_ADVANCE:
    ok = s->status == SESS_RUNNING;
    break;
  case ACT_RESUME:
    ok = s->status == SESS_PAUSED;
    break;
  case ACT_STOP:
    ok = s->status != SESS_FINISHED;
    break;
  }
  if (!ok)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' is %s; this works only when it is "
                           "%s",
                           s->id, STATUS[s->status], need[act]);
  if (act == ACT_ADVANCE && s->held)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "turn %d of session '%s' is resolved and held for "
                           "control's review; turn.release commits it and "
                           "opens the next turn",
                           model_state_turn(s->st), s->id);
  switch (act) {
  case ACT_START:
    sess_start(s);
    break;
  case ACT_PAUSE:
    sess_pause(s);
    break;
  case ACT_RESUME:
    sess_resume(s);
    break;
  case ACT_STOP:
    sess_finish(s);
    break;
  case ACT_ADVANCE:
    /* The facilitator closes the turn now, as if its deadline passed. */
    sess_advance(s);
    break;
  }
  msgpack_pack_map(call->pk, 1);
  proto_pack_kv_cstr(call->pk, "status", STATUS[s->status]);
  /* The transition was committed at once (or, if that commit failed, is
   * kept for the retry): the answer leaves once it is in the file. */
  return RPC_OK_DURABLE;
}

static int m_start(rpc_call_t *call) {
  return control(call, ACT_START);
}
static int m_pause(rpc_call_t *call) {
  return control(call, ACT_PAUSE);
}
static int m_resume(rpc_call_t *call) {
  return control(call, ACT_RESUME);
}
static int m_stop(rpc_call_t *call) {
  return control(call, ACT_STOP);
}
static int m_advance(rpc_call_t *call) {
  return control(call, ACT_ADVANCE);
}

/* session.extend {session, admin_token, seconds}: the facilitator gives
 * the open turn more time (or, with a negative number, less). Only a
 * session whose turns have a deadline, running or paused; the turn's
 * deadline moves, the next turns keep the session's turn_seconds. */
static int m_extend(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, "change");
  double secs = 0;
  if (!s ||
      proto_param_f64(call->params, "seconds", true, &secs, call->err) < 0)
    return RPC_ERROR;
  if (!(secs >= -TURN_SECONDS_MAX && secs <= TURN_SECONDS_MAX) || secs == 0)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "seconds",
                           "field 'seconds' must be a number of seconds to "
                           "add to the open turn (negative to take away), "
                           "not 0 and at most %.0f (30 days) either way",
                           TURN_SECONDS_MAX);
  if (s->status != SESS_RUNNING && s->status != SESS_PAUSED)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' is %s; a deadline can be moved "
                           "only while it is running or paused",
                           s->id, STATUS[s->status]);
  if (s->held)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "turn %d of session '%s' is resolved and held for "
                           "control's review: its clock is stopped, and the "
                           "next turn gets its whole length at turn.release",
                           model_state_turn(s->st), s->id);
  if (s->turn_ms <= 0)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' has no deadline (turn_seconds 0): "
                           "its turns end when every seat is ready or with "
                           "session.advance",
                           s->id);
  sess_extend(s, (int64_t)(secs * 1000.0));
  bool run = s->status == SESS_RUNNING;
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_i64(call->pk, "deadline_ms", run ? s->deadline_wall_ms : 0);
  proto_pack_kv_i64(call->pk, "remaining_ms",
                    run ? s->deadline_wall_ms - sess_wall_ms()
                        : s->remaining_ms);
  return RPC_OK_DURABLE;
}

/* ---- session.reset, session.delete (issue 14) -----------------------------
 */

/* session.reset {session, admin_token, seed?, start?}: the same session
 * back to turn 0 with a new seed (given, or drawn), for training loops
 * that would otherwise spend a rate-limited session.create per game. */
static int m_reset(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, "reset");
  bool start = false;
  uint64_t seed = 0;
  int has_seed;
  if (!s ||
      (has_seed = proto_param_u64(call->params, "seed", false, &seed,
                                  call->err)) < 0 ||
      proto_param_bool(call->params, "start", false, &start, call->err) < 0)
    return RPC_ERROR;
  if (has_seed && seed > (uint64_t)INT64_MAX)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "seed",
                           "field 'seed' must be from 0 to 2^63-1, got %llu",
                           (unsigned long long)seed);
  if (!has_seed) {
    randombytes_buf(&seed, sizeof seed);
    seed >>= 1; /* a positive SQLite INTEGER, as session.create's */
  }
  if (sess_reset(s, seed, start) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  msgpack_pack_map(call->pk, 3);
  proto_pack_kv_cstr(call->pk, "status", STATUS[s->status]);
  proto_pack_kv_u64(call->pk, "seed", seed);
  proto_pack_kv_i64(call->pk, "turn", model_state_turn(s->st));
  return RPC_OK_DURABLE;
}

/* session.delete {session, admin_token, purge?}: the facilitator takes a
 * lobby or finished session off the server. */
static int m_delete(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, "deletion");
  bool purge = false;
  if (!s ||
      proto_param_bool(call->params, "purge", false, &purge, call->err) < 0)
    return RPC_ERROR;
  if (s->status != SESS_LOBBY && s->status != SESS_FINISHED)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' is %s; only a session in the lobby "
                           "or finished can be deleted (session.stop ends "
                           "it first)",
                           s->id, STATUS[s->status]);
  char id[sizeof s->id];
  snprintf(id, sizeof id, "%s", s->id);
  if (sess_delete(s, purge) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_cstr(call->pk, "session", id);
  proto_pack_kv_bool(call->pk, "purged", purge);
  return RPC_OK_DURABLE;
}

/* ---- state.get, orders.submit, turn.ready -------------------------------- */

static void pack_deadline(msgpack_packer *pk, const sess_session_t *s) {
  if (s->status == SESS_RUNNING && s->deadline_wall_ms > 0) {
    int64_t left = s->deadline_wall_ms - sess_wall_ms();
    proto_pack_kv_i64(pk, "deadline_ms", s->deadline_wall_ms);
    proto_pack_kv_i64(pk, "remaining_ms", left > 0 ? left : 0);
  } else {
    proto_pack_kv_nil(pk, "deadline_ms");
    if (s->status == SESS_PAUSED && s->remaining_ms > 0)
      proto_pack_kv_i64(pk, "remaining_ms", s->remaining_ms);
    else
      proto_pack_kv_nil(pk, "remaining_ms");
  }
}

/* An observer without a seat (issue 13): the public part only, as an
 * outsider sees it: {session, status, deadline_ms, remaining_ms, turn,
 * turns, market, public}. */
static int state_public(rpc_call_t *call, sess_session_t *s) {
  model_obs_t *obs;
  if (model_observe_public(s->st, &obs) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL,
                           "the observation could not be built");
  msgpack_pack_map(call->pk, 4 + 2 + PROTO_OBS_SHARED_PAIRS);
  proto_pack_kv_cstr(call->pk, "session", s->id);
  proto_pack_kv_cstr(call->pk, "status", STATUS[s->status]);
  pack_deadline(call->pk, s);
  proto_pack_kv_i64(call->pk, "turn", obs->turn);
  proto_pack_kv_i64(call->pk, "turns", s->turns);
  int rc = proto_pack_obs_shared_pairs(call->pk, obs);
  model_obs_free(obs);
  if (rc != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  return RPC_OK;
}

/* state.get: a seat's token gives its observation; the control cell
 * (admin_token and `seat`, issue 13) gets the same observation plus the
 * seat's `pending` orders and flags and `truth`, the public part as
 * ground truth; an observer's token gives one of its seats' observation
 * (`seat`), or without `seat` the public part only. */
static int m_state(rpc_call_t *call) {
  sess_session_t *s = get_session(call);
  bool admin = false;
  int seat = -1;
  if (!s)
    return RPC_ERROR;
  const char *sid = NULL;
  uint32_t sid_len = 0;
  if (proto_param_str(call->params, "seat", false, &sid, &sid_len, call->err) <
      0)
    return RPC_ERROR;
  int obs_idx = observer_of(call, s);
  if (obs_idx >= 0) {
    if (!sid)
      return state_public(call, s);
    if (seat_of(call, s, "seat", &seat) != 0)
      return RPC_ERROR;
    if (!s->observers[obs_idx].seats[seat]) {
      reg_of(call)->counters.forbidden++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "seat",
                             "this observer may not view seat %s; the "
                             "control cell chose its seats at "
                             "observer.issue (without 'seat', state.get "
                             "gives the public view)",
                             model_map_seat_id(s->map, (size_t)seat));
    }
  } else {
    if (authorise(call, s, true, true, &admin, &seat) != 0)
      return RPC_ERROR;
    if (admin && !sid)
      return proto_error_set(call->err, PROTO_BAD_REQUEST, "seat",
                             "state.get with the admin token needs 'seat': "
                             "the id of the seat whose view to show "
                             "(session.status lists them)");
    if (admin && seat_of(call, s, "seat", &seat) != 0)
      return RPC_ERROR;
    int asked;
    if (!admin && sid && seat_of(call, s, "seat", &asked) == 0 &&
        asked != seat) {
      reg_of(call)->counters.forbidden++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "seat",
                             "a seat's token shows its own seat (%s) only, "
                             "not %s",
                             model_map_seat_id(s->map, (size_t)seat),
                             model_map_seat_id(s->map, (size_t)asked));
    }
    if (!admin && sid && seat_of(call, s, "seat", &asked) != 0)
      return RPC_ERROR;
  }
  model_obs_t *obs = NULL, *truth = NULL;
  if (model_observe(s->st, seat, &obs) != 0 ||
      (admin && model_observe_truth(s->st, seat, &truth) != 0)) {
    model_obs_free(obs);
    return proto_error_set(call->err, PROTO_INTERNAL, NULL,
                           "the observation could not be built");
  }
  /* Fix (tests/sessions/test_deadline.py): the model counts the map's
   * turns; a session created with `turns` lasts that many, and its
   * observation must say so (session.list and the game's end agree). */
  obs->turns = s->turns;
  msgpack_pack_map(call->pk,
                   PROTO_OBS_PAIRS + 4 + (s->review ? 1 : 0) + (admin ? 2 : 0));
  proto_pack_kv_cstr(call->pk, "session", s->id);
  proto_pack_kv_cstr(call->pk, "status", STATUS[s->status]);
  /* Review sessions (issue 13): whether the open turn is closed and its
   * result with control (never the result itself). */
  if (s->review)
    proto_pack_kv_bool(call->pk, "held", s->held);
  pack_deadline(call->pk, s);
  int rc = proto_pack_obs_pairs(call->pk, obs);
  if (admin) {
    /* The seat's accepted orders of the open turn (as you.orders) and
     * its flags, and the public part as ground truth (equal to `public`
     * on a map without closed information). */
    const sess_seat_t *x = &s->seats[seat];
    rc |= proto_pack_cstr(call->pk, "pending");
    rc |= msgpack_pack_map(call->pk, 3);
    rc |= proto_pack_cstr(call->pk, "orders");
    rc |= msgpack_pack_array(call->pk, obs->n_orders);
    for (size_t i = 0; i < obs->n_orders; i++)
      rc |= proto_pack_order(call->pk, &obs->orders[i]);
    rc |= proto_pack_kv_bool(call->pk, "submitted", x->submitted);
    rc |= proto_pack_kv_bool(call->pk, "ready", x->ready);
    rc |= proto_pack_cstr(call->pk, "truth");
    rc |= proto_pack_obs_public(call->pk, truth);
  }
  model_obs_free(obs);
  model_obs_free(truth);
  if (rc != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  return RPC_OK;
}

/* ---- session.status, observer.* (issue 13, the control cell) ------------ */

/* The connections following seat i with the seat's own identity (its
 * player's connection and any that watch with its token). */
static size_t seat_connections(const sess_session_t *s, size_t i) {
  size_t n = 0;
  for (size_t k = 0; k < s->n_subs; k++)
    n += s->subs[k].seats[i] != 0;
  return n;
}

static int m_status(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, NULL);
  if (!s)
    return RPC_ERROR;
  msgpack_packer *pk = call->pk;
  msgpack_pack_map(pk, 14);
  proto_pack_kv_cstr(pk, "session", s->id);
  proto_pack_kv_cstr(pk, "name", s->name);
  proto_pack_kv_cstr(pk, "map", model_map_id(s->map));
  proto_pack_kv_cstr(pk, "status", STATUS[s->status]);
  proto_pack_kv_i64(pk, "turn", model_state_turn(s->st));
  proto_pack_kv_i64(pk, "turns", s->turns);
  pack_deadline(pk, s);
  sess_pack_review_pairs(pk, s); /* review, proposed, forked_from */
  proto_pack_kv_bool(pk, "scripted_events", sess_scripted_events(s));
  proto_pack_kv_u64(pk, "observers", s->n_observers);
  proto_pack_cstr(pk, "seats");
  msgpack_pack_array(pk, s->n_seats);
  for (size_t i = 0; i < s->n_seats; i++) {
    const sess_seat_t *x = &s->seats[i];
    msgpack_pack_map(pk, 10 + seatless(s, i));
    pack_seat_id(pk, s, i);
    proto_pack_kv_cstr(pk, "name", x->name);
    proto_pack_kv_cstr(pk, "played_by",
                       x->agent   ? "agent"
                       : x->taken ? "person"
                                  : "nobody");
    if (x->agent)
      proto_pack_kv_cstr(pk, "agent", agent_strategy(x->agent)->id);
    else
      proto_pack_kv_nil(pk, "agent");
    proto_pack_kv_u64(pk, "connected", seat_connections(s, i));
    proto_pack_kv_bool(pk, "submitted", x->submitted);
    /* An agent is always ready: the turn never waits for it; nor for a
     * seatless seat, on its standing orders. */
    proto_pack_kv_bool(pk, "ready",
                       x->ready || x->agent != NULL || seatless(s, i));
    proto_pack_kv_bool(pk, "locked", x->locked);
  }
  return RPC_OK;
}

static void pack_observer(msgpack_packer *pk, const sess_session_t *s,
                          const sess_observer_t *o) {
  msgpack_pack_map(pk, 3);
  proto_pack_kv_i64(pk, "observer", o->id);
  proto_pack_kv_cstr(pk, "name", o->name);
  size_t n = 0;
  for (size_t i = 0; i < s->n_seats; i++)
    n += o->seats[i] != 0;
  proto_pack_cstr(pk, "seats");
  msgpack_pack_array(pk, n);
  for (size_t i = 0; i < s->n_seats; i++)
    if (o->seats[i])
      proto_pack_cstr(pk, model_map_seat_id(s->map, i));
}

/* observer.issue {session, admin_token, name?, seats?}: a read-only token
 * for a visitor, an umpire's assistant or the press. */
static int m_obs_issue(rpc_call_t *call) {
  sess_registry_t *reg = reg_of(call);
  sess_session_t *s = sess_method_admin(call, "observer");
  const char *name = NULL;
  uint32_t name_len = 0;
  const msgpack_object *arr = NULL;
  if (!s ||
      proto_param_str(call->params, "name", false, &name, &name_len,
                      call->err) < 0 ||
      proto_param_array(call->params, "seats", false, &arr, call->err) < 0)
    return RPC_ERROR;
  if (name_len > 63)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "name",
                           "field 'name' may hold at most 63 bytes; this one "
                           "has %u",
                           name_len);
  if (s->n_observers >= reg->cfg.max_observers) {
    reg->counters.observers_refused_limit++;
    return proto_error_set(call->err, PROTO_TOO_LARGE, NULL,
                           "session '%s' holds its maximum of %u observers "
                           "(--max-observers); revoke one with "
                           "observer.revoke first",
                           s->id, reg->cfg.max_observers);
  }
  uint8_t *flags = calloc(s->n_seats ? s->n_seats : 1, 1);
  if (!flags)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  for (uint32_t i = 0; arr && i < arr->via.array.size; i++) {
    const msgpack_object *v = &arr->via.array.ptr[i];
    int seat = -1;
    for (size_t k = 0; v->type == MSGPACK_OBJECT_STR && k < s->n_seats; k++) {
      const char *id = model_map_seat_id(s->map, k);
      if (strlen(id) == v->via.str.size &&
          memcmp(id, v->via.str.ptr, v->via.str.size) == 0)
        seat = (int)k;
    }
    if (seat < 0) {
      free(flags);
      if (v->type != MSGPACK_OBJECT_STR)
        return proto_error_set(call->err, PROTO_BAD_REQUEST, "seats",
                               "field 'seats' must be an array of seat ids "
                               "(strings); item %u is not a string",
                               i);
      return proto_error_set(call->err, PROTO_NOT_FOUND, "seats",
                             "session '%s' has no seat '%.*s' (item %u of "
                             "'seats'; session.status lists the seats)",
                             s->id,
                             (int)(v->via.str.size > 64 ? 64 : v->via.str.size),
                             v->via.str.ptr, i);
    }
    flags[seat] = 1;
  }
  char namebuf[64];
  snprintf(namebuf, sizeof namebuf, "%.*s", (int)name_len, name ? name : "");
  char token[SESS_TOKEN_LEN + 1];
  int64_t id;
  int rc = sess_observer_issue(s, namebuf, flags, &id, token);
  free(flags);
  if (rc != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  log_sess(LOG_LEVEL_INFO, s->id, NULL, "observer %lld issued", (long long)id);
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_i64(call->pk, "observer", id);
  proto_pack_kv_cstr(call->pk, "token", token);
  sodium_memzero(token, sizeof token);
  return RPC_OK_DURABLE;
}

static int m_obs_revoke(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, "revocation");
  int64_t id = 0;
  if (!s || proto_param_i64(call->params, "observer", true, &id, call->err) < 0)
    return RPC_ERROR;
  for (size_t i = 0; i < s->n_observers; i++)
    if (s->observers[i].id == id) {
      sess_observer_revoke(s, i);
      log_sess(LOG_LEVEL_INFO, s->id, NULL, "observer %lld revoked",
               (long long)id);
      msgpack_pack_map(call->pk, 0);
      return RPC_OK_DURABLE;
    }
  return proto_error_set(call->err, PROTO_NOT_FOUND, "observer",
                         "session '%s' has no observer %lld (observer.list "
                         "shows them; a revoked one is gone)",
                         s->id, (long long)id);
}

static int m_obs_list(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, NULL);
  if (!s)
    return RPC_ERROR;
  msgpack_pack_array(call->pk, s->n_observers);
  for (size_t i = 0; i < s->n_observers; i++)
    pack_observer(call->pk, s, &s->observers[i]);
  return RPC_OK;
}

/* state.describe (issue 14): the seat's situation in plain language
 * (agents/describe.c), for a language model or a newcomer: {seat, turn,
 * text}. A seat's token only: the briefing is the seat's own view. */
static int m_describe(rpc_call_t *call) {
  sess_session_t *s = get_session(call);
  bool admin;
  int seat;
  if (!s || authorise(call, s, false, true, &admin, &seat) != 0)
    return RPC_ERROR;
  char *text = NULL;
  size_t len = 0;
  if (agent_describe(s->st, seat, s->turns, &text, &len) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL,
                           "the briefing could not be written");
  msgpack_pack_map(call->pk, 3);
  proto_pack_kv_cstr(call->pk, "seat", model_map_seat_id(s->map, (size_t)seat));
  proto_pack_kv_i64(call->pk, "turn", model_state_turn(s->st));
  proto_pack_cstr(call->pk, "text");
  msgpack_pack_str_with_body(call->pk, text, len);
  free(text);
  return RPC_OK;
}

static void pack_waiting(msgpack_packer *pk, const sess_session_t *s) {
  proto_pack_cstr(pk, "waiting");
  msgpack_pack_array(pk, sess_waiting(s));
  for (size_t i = 0; i < s->n_seats; i++)
    if (!s->seats[i].ready && !s->seats[i].agent && !seatless(s, i))
      proto_pack_cstr(pk, model_map_seat_id(s->map, i));
}

static int open_for_orders(rpc_call_t *call, const sess_session_t *s) {
  if (s->status == SESS_FINISHED)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' is finished; no turn is open", s->id);
  /* Review (issue 13): the turn is closed while control reviews its
   * result; the next one opens at turn.release (turn.resolved). */
  if (s->held)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "turn %d is closed: control is reviewing its "
                           "result; orders go to the next turn once it opens "
                           "(turn.resolved)",
                           model_state_turn(s->st));
  return 0;
}

static int m_submit(rpc_call_t *call) {
  sess_registry_t *reg = reg_of(call);
  sess_session_t *s = get_session(call);
  bool admin, ready = false;
  int seat;
  const msgpack_object *arr;
  /* Refused at once, before anything changes in memory, while the
   * database cannot take it (issue 10). */
  if (!s || sp_refuse(reg, "order", call->err) != 0 ||
      authorise(call, s, false, true, &admin, &seat) != 0 ||
      open_for_orders(call, s) != 0 ||
      proto_param_array(call->params, "orders", true, &arr, call->err) < 0 ||
      proto_param_bool(call->params, "ready", false, &ready, call->err) < 0)
    return RPC_ERROR;
  /* Each submission is a write: a seat may send --submit-burst at once,
   * then one every --submit-refill-ms (issue 10: one seat pipelining
   * submissions filled the disk). */
  rl_bucket_t *sb = &s->seats[seat].submit;
  int64_t now = (int64_t)uv_now(reg->loop);
  if (!rl_ready(sb, &reg->submit_rate, now)) {
    char when[64];
    reg->counters.submit_rate_limited++;
    rl_retry_text(when, sizeof when, rl_wait_ms(sb, &reg->submit_rate, now));
    return proto_error_set(call->err, PROTO_RATE_LIMITED, NULL,
                           "too many orders.submit from seat %s: at most %u "
                           "at once, then one every %u ms (--submit-burst, "
                           "--submit-refill-ms); the orders were not taken; "
                           "%s",
                           model_map_seat_id(s->map, (size_t)seat),
                           reg->submit_rate.burst, reg->submit_rate.refill_ms,
                           when);
  }
  rl_take(sb);
  size_t n = arr->via.array.size;
  if (n > MODEL_ORDERS_MAX)
    return proto_error_set(call->err, PROTO_TOO_LARGE, "orders",
                           "at most %d orders per submission; this one has "
                           "%zu",
                           MODEL_ORDERS_MAX, n);
  model_order_t orders[MODEL_ORDERS_MAX];
  size_t where[MODEL_ORDERS_MAX]; /* index in the request of orders[k] */
  model_refusal_t refused[MODEL_ORDERS_MAX];
  size_t n_ok = 0, n_ref = 0;
  for (size_t i = 0; i < n; i++) {
    if (proto_order_parse(&arr->via.array.ptr[i], &orders[n_ok],
                          &refused[n_ref]) == 0) {
      where[n_ok++] = i;
    } else {
      refused[n_ref++].index = i;
    }
  }
  model_refusal_t mref[MODEL_ORDERS_MAX];
  size_t n_mref = 0;
  if (model_submit(s->st, seat, orders, n_ok, mref, MODEL_ORDERS_MAX,
                   &n_mref) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL,
                           "the orders could not be recorded");
  sess_store_accepted(s, seat, orders, n_ok, mref, n_mref, "player");
  for (size_t k = 0; k < n_mref && n_ref < MODEL_ORDERS_MAX; k++) {
    refused[n_ref] = mref[k];
    refused[n_ref++].index = where[mref[k].index];
  }
  /* Refusals in the order of the submission, whichever layer found them. */
  for (size_t a = 1; a < n_ref; a++)
    for (size_t b = a; b > 0 && refused[b - 1].index > refused[b].index; b--) {
      model_refusal_t t = refused[b];
      refused[b] = refused[b - 1];
      refused[b - 1] = t;
    }
  reg->counters.orders_accepted += n - n_ref;
  reg->counters.orders_refused += n_ref;
  if (ready && s->status != SESS_LOBBY)
    sess_seat_ready(s, seat);
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_i64(call->pk, "turn", model_state_turn(s->st));
  proto_pack_cstr(call->pk, "rejected");
  msgpack_pack_array(call->pk, n_ref);
  for (size_t k = 0; k < n_ref; k++) {
    msgpack_pack_map(call->pk, refused[k].field[0] ? 4 : 3);
    proto_pack_kv_u64(call->pk, "index", refused[k].index);
    proto_pack_kv_cstr(call->pk, "code", "invalid_order");
    proto_pack_kv_cstr(call->pk, "message", refused[k].message);
    if (refused[k].field[0])
      proto_pack_kv_cstr(call->pk, "field", refused[k].field);
  }
  return RPC_OK_DURABLE;
}

static int m_ready(rpc_call_t *call) {
  sess_session_t *s = get_session(call);
  bool admin;
  int seat;
  if (!s || sp_refuse(reg_of(call), "ready flag", call->err) != 0 ||
      authorise(call, s, false, true, &admin, &seat) != 0 ||
      open_for_orders(call, s) != 0)
    return RPC_ERROR;
  if (s->status == SESS_LOBBY)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' has not started; ready counts once "
                           "the facilitator starts it",
                           s->id);
  int turn = model_state_turn(s->st);
  sess_seat_ready(s, seat);
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_i64(call->pk, "turn", turn);
  pack_waiting(call->pk, s);
  return RPC_OK_DURABLE;
}

/* ---- chat.send, history.get ---------------------------------------------- */

/* chat.send: to `to` ("all" or a seat), as before channels, or to a
 * `channel` (issue 13; docs/protocol.md "Channels" says how `to` maps to
 * one). */
static int m_chat(rpc_call_t *call) {
  sess_session_t *s = get_session(call);
  bool admin;
  int seat, to = -1;
  const char *text, *to_s = NULL, *ch_s = NULL;
  uint32_t text_len, to_len = 0, ch_len = 0;
  if (!s || sp_refuse(reg_of(call), "message", call->err) != 0 ||
      authorise(call, s, true, true, &admin, &seat) != 0 ||
      proto_param_str(call->params, "channel", false, &ch_s, &ch_len,
                      call->err) < 0 ||
      proto_param_str(call->params, "to", !ch_s, &to_s, &to_len, call->err) <
          0 ||
      proto_param_str(call->params, "text", true, &text, &text_len, call->err) <
          0)
    return RPC_ERROR;
  int from = admin ? -1 : seat;
  sess_chan_t ch;
  if (ch_s && to_s)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "to",
                           "give either 'to' (\"all\" or a seat) or "
                           "'channel', not both");
  if (ch_s) {
    if (sess_chan_parse(s, ch_s, ch_len, &ch, call->err) != 0)
      return RPC_ERROR;
    if (ch.kind != SESS_CHAN_ALL && ch.kind != SESS_CHAN_PRESS && !admin &&
        !sess_chan_member(s, &ch, seat)) {
      reg_of(call)->counters.forbidden++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "channel",
                             "seat '%s' is not a member of channel '%s' "
                             "(channels.list shows yours)",
                             SESS_SEAT_NAME(s, seat), ch.id);
    }
    to = ch.kind == SESS_CHAN_TEAM || ch.kind == SESS_CHAN_CONTROL ? ch.a
         : ch.kind == SESS_CHAN_DM ? (from == ch.a ? ch.b : ch.a)
                                   : -1;
  } else {
    if (!(to_len == 3 && memcmp(to_s, "all", 3) == 0) &&
        seat_of(call, s, "to", &to) != 0)
      return RPC_ERROR;
    sess_chan_of_to(s, from, to, &ch);
  }
  if (sess_chat(s, call->peer, from, to, &ch, text, text_len, call->err) != 0)
    return RPC_ERROR;
  /* The answer and chat.message both wait for the message's commit. */
  msgpack_pack_map(call->pk, 0);
  return RPC_OK_DURABLE;
}

static int m_history(rpc_call_t *call) {
  sess_session_t *s = get_session(call);
  bool admin = false;
  int seat = -1;
  int64_t from = 0, to = INT32_MAX;
  if (!s)
    return RPC_ERROR;
  /* The history is public; where the session admits spectators, it needs
   * no token, as session.watch does not (a nil token counts as none). */
  const char *tok = NULL, *atok = NULL;
  uint32_t tlen, alen;
  if (proto_param_str(call->params, "token", false, &tok, &tlen, call->err) <
          0 ||
      proto_param_str(call->params, "admin_token", false, &atok, &alen,
                      call->err) < 0)
    return RPC_ERROR;
  bool open = (s->spectators && !tok && !atok) || observer_of(call, s) >= 0;
  if ((!open && authorise(call, s, true, true, &admin, &seat) != 0) ||
      proto_param_i64(call->params, "from", false, &from, call->err) < 0 ||
      proto_param_i64(call->params, "to", false, &to, call->err) < 0)
    return RPC_ERROR;
  size_t n = 0;
  for (size_t i = 0; i < s->n_history; i++)
    n += s->history[i].turn >= from && s->history[i].turn <= to;
  /* a seat's copy leaves out the news meant for other seats only (issue
   * 13); a spectator's, all news meant for some seats only */
  uint8_t *mine = NULL;
  if (!open && !admin) {
    mine = calloc(s->n_seats ? s->n_seats : 1, 1);
    if (!mine)
      return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
    mine[seat] = 1;
  }
  msgpack_pack_array(call->pk, n);
  for (size_t i = 0; i < s->n_history; i++)
    if (s->history[i].turn >= from && s->history[i].turn <= to)
      sess_pack_summary_for(s, call->pk, &s->history[i], !open && admin, mine);
  free(mine);
  return RPC_OK;
}

/* ---- Seat control: seat.lock, seat.reissue_code, seat.rotate_token,
 * session.rotate_admin_token (docs/protocol.md "Seat control") ---------- */

/* The admin token the caller presented, as authorise judged it (under
 * `admin_token`, else under `token`). */
static void admin_text(rpc_call_t *call, const char **t, uint32_t *len) {
  const char *tok = NULL, *atok = NULL;
  uint32_t tlen = 0, alen = 0;
  proto_error_t ignored;
  proto_param_str(call->params, "token", false, &tok, &tlen, &ignored);
  proto_param_str(call->params, "admin_token", false, &atok, &alen, &ignored);
  *t = atok ? atok : tok;
  *len = atok ? alen : tlen;
}

/* The session, the caller as its admin, and the seat named by `seat`;
 * refused at once with `unavailable` (what: the change, for the message),
 * before anything changes, while the database cannot take the change
 * (issue 10, as every handler that writes). */
static sess_session_t *admin_seat(rpc_call_t *call, const char *what,
                                  int *seat) {
  sess_session_t *s = get_session(call);
  bool admin;
  int unused;
  if (!s || sp_refuse(reg_of(call), what, call->err) != 0 ||
      authorise(call, s, true, false, &admin, &unused) != 0 ||
      seat_of(call, s, "seat", seat) != 0)
    return NULL;
  return s;
}

static int m_seat_lock(rpc_call_t *call) {
  int seat;
  bool locked;
  sess_session_t *s = admin_seat(call, "seat lock", &seat);
  if (!s ||
      proto_param_bool(call->params, "locked", true, &locked, call->err) < 0)
    return RPC_ERROR;
  sess_seat_lock(s, seat, locked);
  log_sess(LOG_LEVEL_INFO, s->id, NULL, "seat %s %s",
           model_map_seat_id(s->map, (size_t)seat),
           locked ? "locked" : "unlocked");
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_cstr(call->pk, "seat", model_map_seat_id(s->map, (size_t)seat));
  proto_pack_kv_bool(call->pk, "locked", locked);
  return RPC_OK_DURABLE;
}

static int m_seat_reissue(rpc_call_t *call) {
  int seat;
  sess_session_t *s = admin_seat(call, "new join code", &seat);
  if (!s)
    return RPC_ERROR;
  if (seatless(s, (size_t)seat)) { /* issue 11: it has no join code */
    reg_of(call)->counters.forbidden++;
    return refuse_seatless(call, s, seat, "seat");
  }
  const char *atok;
  uint32_t alen;
  admin_text(call, &atok, &alen);
  char code[SESS_CODE_LEN + 1];
  if (sess_seat_reissue(s, seat, atok, alen, code) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  log_sess(LOG_LEVEL_INFO, s->id, NULL, "seat %s has a new join code",
           model_map_seat_id(s->map, (size_t)seat));
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_cstr(call->pk, "seat", model_map_seat_id(s->map, (size_t)seat));
  proto_pack_kv_cstr(call->pk, "join_code", code);
  sodium_memzero(code, sizeof code);
  return RPC_OK_DURABLE;
}

static int m_seat_rotate(rpc_call_t *call) {
  int seat;
  sess_session_t *s = admin_seat(call, "new seat token", &seat);
  if (!s)
    return RPC_ERROR;
  const char *atok;
  uint32_t alen;
  admin_text(call, &atok, &alen);
  if (sess_seat_rotate(s, seat, atok, alen) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  msgpack_pack_map(call->pk, 1);
  proto_pack_kv_cstr(call->pk, "seat", model_map_seat_id(s->map, (size_t)seat));
  return RPC_OK_DURABLE;
}

static int m_rotate_admin(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, "new admin token");
  if (!s)
    return RPC_ERROR;
  const char *atok;
  uint32_t alen;
  admin_text(call, &atok, &alen);
  char token[SESS_TOKEN_LEN + 1];
  if (sess_admin_rotate(s, atok, alen, call->peer, token) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  msgpack_pack_map(call->pk, 1);
  proto_pack_kv_cstr(call->pk, "admin_token", token);
  sodium_memzero(token, sizeof token);
  return RPC_OK_DURABLE;
}

/* contracts.list (issue 11): every proposal and running contract of the
 * session, for its facilitator (admin_token only: a contract is private to
 * its two parties, who see theirs in state.get). */
static int m_contracts(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, NULL);
  if (!s)
    return RPC_ERROR;
  model_obs_contract_t *c;
  size_t n;
  if (model_contracts_all(s->st, &c, &n) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_i64(call->pk, "turn", model_state_turn(s->st));
  proto_pack_cstr(call->pk, "contracts");
  msgpack_pack_array(call->pk, n);
  int rc = 0;
  for (size_t i = 0; i < n; i++)
    rc |= proto_pack_contract(call->pk, &c[i]);
  free(c);
  if (rc != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  return RPC_OK;
}

/* ---- Review and forks (issue 13) ------------------------------------------
 * docs/protocol.md "Review" and "session.fork". */

/* turn.proposal {session, admin_token}: the held outcome, or nil. */
static int m_proposal(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, NULL);
  if (!s)
    return RPC_ERROR;
  if (sess_pack_outcome(call->pk, s) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  return RPC_OK;
}

/* turn.release {session, admin_token, amendments?}. */
static int m_release(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, "release");
  const msgpack_object *arr = NULL;
  if (!s ||
      proto_param_array(call->params, "amendments", false, &arr, call->err) < 0)
    return RPC_ERROR;
  if (!s->review)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' was not created with review: true; "
                           "its turns are released as they resolve",
                           s->id);
  if (!s->held)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session '%s' holds no result: turn %d has not "
                           "resolved yet (turn.proposed tells control when "
                           "it has)",
                           s->id, model_state_turn(s->st));
  size_t n = arr ? arr->via.array.size : 0;
  if (n > LAN_MAX_AMENDMENTS)
    return proto_error_set(call->err, PROTO_TOO_LARGE, "amendments",
                           "at most %u amendments per release; this one has "
                           "%zu",
                           LAN_MAX_AMENDMENTS, n);
  model_amendment_t *a = calloc(n ? n : 1, sizeof *a);
  if (!a)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    proto_error_t e;
    if (proto_amendment_parse(&arr->via.array.ptr[i], s->map, &a[i], &e) != 0) {
      free(a);
      return proto_error_set(call->err, e.code, "amendments",
                             "amendments[%zu]: %s", i, e.message);
    }
  }
  int turn = model_state_turn(s->st);
  int rc = sess_release(s, a, n, call->err);
  free(a);
  if (rc != 0)
    return RPC_ERROR;
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_i64(call->pk, "turn", turn);
  proto_pack_kv_u64(call->pk, "amendments", n);
  return RPC_OK_DURABLE;
}

/* session.fork {session, admin_token, turn}. */
static int m_fork(rpc_call_t *call) {
  sess_registry_t *reg = reg_of(call);
  sess_session_t *s = sess_method_admin(call, "fork");
  uint64_t turn = 0;
  if (!s || proto_param_u64(call->params, "turn", true, &turn, call->err) < 0)
    return RPC_ERROR;
  if (!reg->store)
    return proto_error_set(call->err, PROTO_UNAVAILABLE, NULL,
                           "this server keeps no database; a fork copies "
                           "stored turns");
  int open = model_state_turn(s->st);
  int most = open < s->turns ? open : s->turns - 1;
  if (turn > (uint64_t)most)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "turn",
                           "field 'turn' must be from 0 to %d: a resolved "
                           "turn or the open one of session '%s' (and "
                           "before its last)",
                           most, s->id);
  /* A fork is a session like any other: it counts against
   * --max-sessions (sess_create) and the per-address creation rate. */
  if (take_create(call, false) != 0)
    return RPC_ERROR;
  rl_key_t creator;
  rl_key_of(call->peer->addr, &creator);
  char admin_token[SESS_TOKEN_LEN + 1];
  char(*codes)[SESS_CODE_LEN + 1] =
      calloc(s->n_seats ? s->n_seats : 1, sizeof *codes);
  if (!codes)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  sess_session_t *f;
  if (sess_fork(s, (int)turn, &creator, admin_token, codes, &f, call->err) !=
      0) {
    free(codes);
    return RPC_ERROR;
  }
  msgpack_packer *pk = call->pk;
  msgpack_pack_map(pk, 5);
  proto_pack_kv_cstr(pk, "session", f->id);
  proto_pack_kv_cstr(pk, "admin_token", admin_token);
  proto_pack_kv_cstr(pk, "status", STATUS[f->status]);
  proto_pack_cstr(pk, "seats");
  pack_seats(pk, f, (const char(*)[SESS_CODE_LEN + 1]) codes, true);
  proto_pack_cstr(pk, "forked_from");
  msgpack_pack_map(pk, 2);
  proto_pack_kv_cstr(pk, "session", s->id);
  proto_pack_kv_i64(pk, "turn", (int64_t)turn);
  free(codes);
  sodium_memzero(admin_token, sizeof admin_token);
  return RPC_OK_DURABLE;
}

/* server.quarantine: the stored sessions the restore found damaged and
 * keeps out of play, each with why (issue 10). Anyone may ask, as for
 * server.stats: a session id is public (session.list) and a reason names
 * tables and columns, never a secret. */
static int m_quarantine(rpc_call_t *call) {
  sess_registry_t *reg = reg_of(call);
  msgpack_pack_map(call->pk, 1);
  proto_pack_cstr(call->pk, "sessions");
  msgpack_pack_array(call->pk, reg->n_quarantine);
  for (size_t i = 0; i < reg->n_quarantine; i++) {
    msgpack_pack_map(call->pk, 2);
    proto_pack_kv_cstr(call->pk, "session", reg->quarantine[i].id);
    proto_pack_kv_cstr(call->pk, "reason", reg->quarantine[i].reason);
  }
  return RPC_OK;
}

const rpc_method_t sess_methods[] = {
    {"server.quarantine", m_quarantine},
    {"strategies.list", m_strategies},
    {"session.create", m_create},
    {"session.list", m_list},
    {"session.join", m_join},
    {"session.bot", m_bot},
    {"session.start", m_start},
    {"session.pause", m_pause},
    {"session.resume", m_resume},
    {"session.stop", m_stop},
    {"session.advance", m_advance},
    {"session.extend", m_extend},
    {"session.reset", m_reset},
    {"session.delete", m_delete},
    {"session.watch", m_watch},
    {"state.get", m_state},
    {"state.describe", m_describe},
    {"orders.submit", m_submit},
    {"turn.ready", m_ready},
    {"chat.send", m_chat},
    {"history.get", m_history},
    {"seat.lock", m_seat_lock},
    {"seat.reissue_code", m_seat_reissue},
    {"seat.rotate_token", m_seat_rotate},
    {"session.rotate_admin_token", m_rotate_admin},
    {"contracts.list", m_contracts},
    {"turn.proposal", m_proposal},
    {"turn.release", m_release},
    {"session.fork", m_fork},
    {"session.status", m_status},
    {"observer.issue", m_obs_issue},
    {"observer.revoke", m_obs_revoke},
    {"observer.list", m_obs_list},
    {"event.inject", sess_m_event_inject},
    {"event.list", sess_m_event_list},
    {"event.cancel", sess_m_event_cancel},
    /* issue 13 (sess_comms.c) */
    {"channel.open", sess_m_channel_open},
    {"channels.list", sess_m_channels_list},
    {"chat.history", sess_m_chat_history},
    {"contract.propose", sess_m_contract_propose},
    {"contract.counter", sess_m_contract_counter},
    {"contract.accept", sess_m_contract_accept},
    {"contract.withdraw", sess_m_contract_withdraw},
    {"contract.negotiations", sess_m_contract_negotiations},
    {"timeline.get", sess_m_timeline},
};

sess_session_t *sess_method_admin(rpc_call_t *call, const char *what) {
  sess_session_t *s = get_session(call);
  bool admin;
  int unused;
  if (!s || (what && sp_refuse(reg_of(call), what, call->err) != 0) ||
      authorise(call, s, true, false, &admin, &unused) != 0)
    return NULL;
  return s;
}
const size_t sess_method_count = sizeof sess_methods / sizeof sess_methods[0];

/* ---- For the handlers of sess_comms.c (issue 13) ----------------------- */

sess_registry_t *sess_call_reg(rpc_call_t *call) {
  return reg_of(call);
}

sess_session_t *sess_call_session(rpc_call_t *call) {
  return get_session(call);
}

int sess_call_authorise(rpc_call_t *call, sess_session_t *s, bool want_admin,
                        bool want_seat, bool *is_admin, int *seat) {
  return authorise(call, s, want_admin, want_seat, is_admin, seat);
}

int sess_call_observer(rpc_call_t *call, sess_session_t *s) {
  return observer_of(call, s);
}

int sess_call_seat(rpc_call_t *call, sess_session_t *s, const char *key,
                   int *seat) {
  return seat_of(call, s, key, seat);
}
