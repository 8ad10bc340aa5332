/*
 * Game sessions: the registry, seats and identity, the turn clock and the
 * notifications. The RPC handlers are in sess_methods.c; this file holds
 * the state they act on and every transition of a session's life:
 *
 *   lobby --start--> running <--pause/resume--> paused
 *     \                 |                          |
 *      `----stop--------+-------------stop---------+--> finished
 *                       `--last turn resolved------^
 *
 * The turn clock is one uv_timer_t per session. It fires at the turn's
 * deadline, or at once (timeout 0) when every seat is ready, so a turn is
 * never resolved from inside a request handler (the handler's answer goes
 * out first, and notifications follow in order).
 */
#include "sess_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sodium.h>

#include "log.h"
#include "proto_types.h"

void sess_config_default(sess_config_t *cfg) {
  cfg->maps_dir = LAN_SOURCE_MAPS;
  cfg->max_sessions = LAN_MAX_SESSIONS_DEFAULT;
  cfg->join_burst = LAN_JOIN_BURST_DEFAULT;
  cfg->join_refill_ms = LAN_JOIN_REFILL_MS_DEFAULT;
  cfg->max_chat_bytes = LAN_MAX_CHAT_BYTES_DEFAULT;
  cfg->max_chat_messages = LAN_MAX_CHAT_MESSAGES_DEFAULT;
}

int64_t sess_wall_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- Identity --------------------------------------------------------------
 */

void sess_random_token(char out[SESS_TOKEN_LEN + 1]) {
  unsigned char raw[SESS_TOKEN_LEN / 2];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(out, SESS_TOKEN_LEN + 1, raw, sizeof raw);
}

/* Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or
 * copied from a projector is not mistyped. */
static const char CODE_ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void sess_random_code(char *out, size_t len) {
  for (size_t i = 0; i < len; i++)
    out[i] = CODE_ALPHABET[randombytes_uniform(32)];
  out[len] = '\0';
}

void sess_hash_token(const char *tok, size_t len,
                     uint8_t out[SESS_HASH_BYTES]) {
  crypto_generichash(out, SESS_HASH_BYTES, (const unsigned char *)tok, len,
                     NULL, 0);
}

/* A code's hash is bound to its session, so equal codes in two sessions
 * hash differently. */
void sess_hash_code(const sess_session_t *s, const char *code,
                    uint8_t out[SESS_HASH_BYTES]) {
  crypto_generichash_state h;
  crypto_generichash_init(&h, NULL, 0, SESS_HASH_BYTES);
  crypto_generichash_update(&h, (const unsigned char *)"code:", 5);
  crypto_generichash_update(&h, (const unsigned char *)s->id, strlen(s->id));
  crypto_generichash_update(&h, (const unsigned char *)":", 1);
  crypto_generichash_update(&h, (const unsigned char *)code, strlen(code));
  crypto_generichash_final(&h, out, SESS_HASH_BYTES);
}

static void box_key(const sess_session_t *s, int seat, const char *code,
                    uint8_t key[crypto_secretbox_KEYBYTES]) {
  char buf[96];
  int n = snprintf(buf, sizeof buf, "box:%s:%d:%s", s->id, seat, code);
  crypto_generichash(key, crypto_secretbox_KEYBYTES, (unsigned char *)buf,
                     (size_t)n, NULL, 0);
}

void sess_seal_token(const sess_session_t *s, int seat, const char *code,
                     const char *token, uint8_t box[SESS_BOX_BYTES]) {
  uint8_t key[crypto_secretbox_KEYBYTES];
  box_key(s, seat, code, key);
  randombytes_buf(box, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES,
                        (const unsigned char *)token, SESS_TOKEN_LEN, box,
                        key);
  sodium_memzero(key, sizeof key);
}

int sess_open_token(const sess_session_t *s, int seat, const char *code,
                    char token[SESS_TOKEN_LEN + 1]) {
  uint8_t key[crypto_secretbox_KEYBYTES];
  box_key(s, seat, code, key);
  const sess_seat_t *st = &s->seats[seat];
  int rc = crypto_secretbox_open_easy(
      (unsigned char *)token, st->box + crypto_secretbox_NONCEBYTES,
      SESS_BOX_BYTES - crypto_secretbox_NONCEBYTES, st->box, key);
  sodium_memzero(key, sizeof key);
  token[SESS_TOKEN_LEN] = '\0';
  return rc == 0 ? 0 : -1;
}

sess_ident_t sess_identify(sess_registry_t *reg, const sess_session_t *s,
                           const char *tok, size_t len, int *seat) {
  uint8_t h[SESS_HASH_BYTES];
  *seat = -1;
  if (!tok || len == 0)
    return SESS_ID_NONE;
  sess_hash_token(tok, len, h);
  if (sodium_memcmp(s->admin_hash, h, SESS_HASH_BYTES) == 0)
    return SESS_ID_ADMIN;
  for (size_t i = 0; i < s->n_seats; i++)
    if (sodium_memcmp(s->seats[i].token_hash, h, SESS_HASH_BYTES) == 0) {
      *seat = (int)i;
      return SESS_ID_SEAT;
    }
  /* Not this session's: a token of another session is valid, but outside
   * its rights here (forbidden rather than unauthorized). */
  for (sess_session_t *o = reg->sessions; o; o = o->next) {
    if (o == s)
      continue;
    if (sodium_memcmp(o->admin_hash, h, SESS_HASH_BYTES) == 0)
      return SESS_ID_OTHER;
    for (size_t i = 0; i < o->n_seats; i++)
      if (sodium_memcmp(o->seats[i].token_hash, h, SESS_HASH_BYTES) == 0)
        return SESS_ID_OTHER;
  }
  return SESS_ID_UNKNOWN;
}

/* Per-address budget of wrong join codes: a token bucket in a fixed table
 * indexed by a keyed SipHash of the address, so memory is bounded whatever
 * the number of addresses (two addresses may share a bucket; that only
 * makes the limit stricter for both). */
bool sess_join_allowed(sess_registry_t *reg, const char *addr) {
  uint64_t h;
  crypto_shorthash((unsigned char *)&h, (const unsigned char *)addr,
                   strlen(addr), reg->addr_key);
  sess_bucket_t *b = &reg->buckets[h % SESS_JOIN_BUCKETS];
  int64_t now = (int64_t)uv_now(reg->loop);
  if (b->stamp == 0) {
    b->tokens = reg->cfg.join_burst;
    b->stamp = now;
  }
  if (reg->cfg.join_refill_ms > 0) {
    int64_t refill = (now - b->stamp) / reg->cfg.join_refill_ms;
    if (refill > 0) {
      b->tokens += (uint32_t)refill;
      if (b->tokens > reg->cfg.join_burst)
        b->tokens = reg->cfg.join_burst;
      b->stamp += refill * reg->cfg.join_refill_ms;
    }
  }
  return b->tokens > 0;
}

void sess_join_failed(sess_registry_t *reg, const char *addr) {
  uint64_t h;
  crypto_shorthash((unsigned char *)&h, (const unsigned char *)addr,
                   strlen(addr), reg->addr_key);
  sess_bucket_t *b = &reg->buckets[h % SESS_JOIN_BUCKETS];
  if (b->tokens > 0)
    b->tokens--;
}

/* ---- Registry --------------------------------------------------------------
 */

int sess_registry_new(sess_registry_t **out, uv_loop_t *loop,
                      const sess_config_t *cfg) {
  if (sodium_init() < 0)
    return -1;
  sess_registry_t *reg = calloc(1, sizeof *reg);
  if (!reg)
    return -1;
  reg->loop = loop;
  reg->cfg = *cfg;
  snprintf(reg->maps_dir, sizeof reg->maps_dir, "%s", cfg->maps_dir);
  reg->cfg.maps_dir = reg->maps_dir;
  crypto_shorthash_keygen(reg->addr_key);
  proto_buf_init(&reg->nbuf);
  proto_packer_init(&reg->npk, &reg->nbuf);
  *out = reg;
  return 0;
}

const sess_counters_t *sess_registry_counters(const sess_registry_t *reg) {
  return &reg->counters;
}

void sess_free(sess_session_t *s) {
  for (size_t i = 0; i < s->n_seats; i++)
    agent_free(s->seats[i].agent);
  free(s->seats);
  for (size_t i = 0; i < s->n_subs; i++)
    free(s->subs[i].seats);
  free(s->subs);
  for (size_t i = 0; i < s->n_chat; i++)
    free(s->chat[i].text);
  free(s->chat);
  for (size_t i = 0; i < s->n_history; i++)
    proto_buf_free(&s->history[i].buf);
  free(s->history);
  model_state_free(s->st);
  free(s);
}

static void on_timer_closed(uv_handle_t *h) {
  sess_session_t *s = h->data;
  sess_free(s);
}

void sess_registry_close(sess_registry_t *reg) {
  sess_session_t *s = reg->sessions;
  reg->sessions = NULL;
  while (s) {
    sess_session_t *next = s->next;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
    s = next;
  }
  reg->closed = true;
}

void sess_registry_free(sess_registry_t *reg) {
  if (!reg)
    return;
  assert(reg->sessions == NULL); /* sess_registry_close, then uv_run */
  for (size_t i = 0; i < reg->n_maps; i++) {
    model_map_free(reg->maps[i].map);
    free(reg->maps[i].json);
  }
  free(reg->maps);
  proto_buf_free(&reg->nbuf);
  free(reg);
}

sess_session_t *sess_find(sess_registry_t *reg, const char *id, size_t len) {
  for (sess_session_t *s = reg->sessions; s; s = s->next)
    if (strlen(s->id) == len && memcmp(s->id, id, len) == 0)
      return s;
  return NULL;
}

/* A map id may hold only [a-z0-9_-]: it names a file in the maps folder,
 * and this keeps a client from naming any other file. */
static bool map_id_ok(const char *id, size_t len) {
  if (len == 0 || len >= MODEL_ID_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  }
  return true;
}

/* Parse a map's text, or find the same map (by digest) in the cache. The
 * text is kept with the map: every session stores the map it was created
 * from, so a game can be resumed and replayed after the file changes. */
int sess_map_parse(sess_registry_t *reg, const char *json, size_t len,
                   const char *name, sess_map_t **out, proto_error_t *err) {
  uint8_t digest[MODEL_HASH_BYTES];
  crypto_generichash(digest, sizeof digest, (const unsigned char *)json, len,
                     NULL, 0);
  for (size_t i = 0; i < reg->n_maps; i++)
    if (memcmp(model_map_digest(reg->maps[i].map), digest, sizeof digest) ==
        0) {
      *out = &reg->maps[i];
      return 0;
    }
  model_map_t *m = NULL;
  model_error_t merr;
  if (model_map_load_string(json, len, name, &m, &merr) != 0)
    return proto_error_set(err, PROTO_INTERNAL, "map",
                           "map %s cannot be loaded: %s:%d:%d: %s", name,
                           merr.file, merr.line, merr.column, merr.message);
  char *copy = malloc(len + 1);
  sess_map_t *grown =
      copy ? realloc(reg->maps, (reg->n_maps + 1) * sizeof *reg->maps) : NULL;
  if (!grown) {
    free(copy);
    model_map_free(m);
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  }
  memcpy(copy, json, len);
  copy[len] = '\0';
  reg->maps = grown;
  reg->maps[reg->n_maps] = (sess_map_t){m, copy, len};
  *out = &reg->maps[reg->n_maps++];
  return 0;
}

int sess_map_get(sess_registry_t *reg, const char *id, size_t len,
                 sess_map_t **out, proto_error_t *err) {
  if (!map_id_ok(id, len))
    return proto_error_set(err, PROTO_BAD_REQUEST, "map",
                           "field 'map' must be a map id of lowercase "
                           "letters, digits, '_' and '-' (maps.list shows "
                           "them)");
  char path[1200];
  snprintf(path, sizeof path, "%s/%.*s.json", reg->maps_dir, (int)len, id);
  FILE *f = fopen(path, "rb");
  if (!f)
    return proto_error_set(err, PROTO_NOT_FOUND, "map",
                           "no map '%.*s' in this server's maps folder "
                           "(maps.list shows the maps)",
                           (int)len, id);
  char *text = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n + 65536 > cap) {
      char *grown = realloc(text, cap = cap ? 2 * cap : 131072);
      if (!grown) {
        free(text);
        fclose(f);
        return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
      }
      text = grown;
    }
    size_t r = fread(text + n, 1, cap - n, f);
    n += r;
    if (r == 0)
      break;
  }
  fclose(f);
  int rc = sess_map_parse(reg, text, n, path, out, err);
  free(text);
  if (rc == 0 && (strlen(model_map_id((*out)->map)) != len ||
                  memcmp(model_map_id((*out)->map), id, len) != 0))
    return proto_error_set(err, PROTO_NOT_FOUND, "map",
                           "%s holds map '%s', not '%.*s'; the operator "
                           "should make a map's id its file name",
                           path, model_map_id((*out)->map), (int)len, id);
  return rc;
}

static void on_timer(uv_timer_t *t);

void sess_attach(sess_registry_t *reg, sess_session_t *s) {
  uv_timer_init(reg->loop, &s->timer);
  s->timer.data = s;
  s->next = reg->sessions;
  reg->sessions = s;
  reg->n_sessions++;
}

uint64_t sess_agent_seed(const sess_session_t *s, int seat) {
  /* Each agent's randomness comes from the game seed and its seat, so a
   * replayed or restored game gets the same agent decisions. */
  return s->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(seat + 1));
}

int sess_create(sess_registry_t *reg, const sess_map_t *sm, const char *name,
                uint64_t seed, int turns, int64_t turn_ms, bool spectators,
                bool fixed, char admin_token[SESS_TOKEN_LEN + 1],
                char (*codes)[SESS_CODE_LEN + 1], sess_session_t **out,
                proto_error_t *err) {
  /* The limit is on sessions in play: finished ones cost no timer and
   * no turn, and stay for history, replay and export. */
  size_t live = 0;
  for (sess_session_t *o = reg->sessions; o; o = o->next)
    live += o->status != SESS_FINISHED;
  if (live >= reg->cfg.max_sessions) {
    reg->counters.sessions_refused_limit++;
    return proto_error_set(err, PROTO_UNAVAILABLE, NULL,
                           "this server has its maximum of %u sessions in "
                           "play (--max-sessions); stop one that is no "
                           "longer needed, or ask the operator to raise "
                           "the limit",
                           reg->cfg.max_sessions);
  }
  sess_session_t *s = calloc(1, sizeof *s);
  if (!s)
    goto nomem;
  const model_map_t *map = sm->map;
  s->reg = reg;
  s->map = map;
  s->map_json = sm->json;
  s->map_len = sm->len;
  s->seed = seed;
  s->turns = turns;
  s->turn_ms = turn_ms;
  s->spectators = spectators;
  s->fixed = fixed;
  s->status = SESS_LOBBY;
  snprintf(s->name, sizeof s->name, "%s", name);
  /* Session ids are not secret (session.list shows them); random ones
   * just never collide with a stored session's. */
  do {
    s->id[0] = 's';
    sess_random_code(s->id + 1, 7);
    for (char *p = s->id + 1; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
  } while (sess_find(reg, s->id, strlen(s->id)));
  sess_random_token(admin_token);
  sess_hash_token(admin_token, SESS_TOKEN_LEN, s->admin_hash);
  if (model_state_new(map, seed, &s->st) != 0)
    goto nomem;
  s->n_seats = model_map_seat_count(map);
  s->seats = calloc(s->n_seats, sizeof *s->seats);
  if (!s->seats)
    goto nomem;
  for (size_t i = 0; i < s->n_seats; i++) {
    char token[SESS_TOKEN_LEN + 1];
    sess_random_token(token);
    sess_random_code(codes[i], SESS_CODE_LEN);
    sess_hash_token(token, SESS_TOKEN_LEN, s->seats[i].token_hash);
    sess_hash_code(s, codes[i], s->seats[i].code_hash);
    sess_seal_token(s, (int)i, codes[i], token, s->seats[i].box);
    sodium_memzero(token, sizeof token);
  }
  sess_attach(reg, s);
  reg->counters.sessions_created++;
  sp_session(s);
  *out = s;
  return 0;
nomem:
  if (s) {
    model_state_free(s->st);
    free(s->seats);
    free(s);
  }
  return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
}

/* ---- Subscribers and notifications -----------------------------------------
 */

static sess_sub_t *sub_find(sess_session_t *s, const rpc_peer_t *peer) {
  for (size_t i = 0; i < s->n_subs; i++)
    if (s->subs[i].peer == peer)
      return &s->subs[i];
  return NULL;
}

sess_sub_t *sess_subscribe(sess_session_t *s, rpc_peer_t *peer) {
  sess_sub_t *sub = sub_find(s, peer);
  if (sub)
    return sub;
  if (s->n_subs == s->cap_subs) {
    size_t cap = s->cap_subs ? 2 * s->cap_subs : 8;
    sess_sub_t *grown = realloc(s->subs, cap * sizeof *grown);
    if (!grown)
      return NULL;
    s->subs = grown;
    s->cap_subs = cap;
  }
  uint8_t *seats = calloc(s->n_seats ? s->n_seats : 1, 1);
  if (!seats)
    return NULL;
  sub = &s->subs[s->n_subs++];
  memset(sub, 0, sizeof *sub);
  sub->peer = peer;
  sub->seats = seats;
  /* A connection that holds a seat or watches is never closed for
   * idleness (PROTOCOL.md limits); TCP keepalive finds dead peers. */
  peer->holds_seat = true;
  return sub;
}

static void sub_remove(sess_session_t *s, size_t i) {
  free(s->subs[i].seats);
  s->subs[i] = s->subs[--s->n_subs];
}

void sess_peer_closed(sess_registry_t *reg, rpc_peer_t *peer) {
  for (sess_session_t *s = reg->sessions; s; s = s->next) {
    for (size_t i = 0; i < s->n_seats; i++)
      if (s->seats[i].conn == peer)
        s->seats[i].conn = NULL;
    for (size_t i = 0; i < s->n_subs;) {
      if (s->subs[i].peer == peer)
        sub_remove(s, i);
      else
        i++;
    }
  }
}

/* May the subscriber see a chat message from `from` to `to` (seat indices;
 * -1 means the admin for from, everyone for to)? */
static bool chat_visible(const sess_sub_t *sub, int from, int to) {
  if (sub->admin || to < 0)
    return true;
  return sub->seats[to] || (from >= 0 && sub->seats[from]);
}

/* Did broadcast() already reach this connection with a chat message? */
bool sess_peer_sees(const sess_session_t *s, const rpc_peer_t *peer, int from,
                    int to) {
  for (size_t i = 0; i < s->n_subs; i++)
    if (s->subs[i].peer == peer)
      return chat_visible(&s->subs[i], from, to);
  return false;
}

/* Send the notification packed in reg->nbuf to every subscriber that may
 * see it (chat_from/chat_to: -2 for a notification everyone sees). Each
 * connection gets it once, however many seats it holds. */
static void broadcast(sess_session_t *s, int chat_from, int chat_to) {
  sess_registry_t *reg = s->reg;
  for (size_t i = 0; i < s->n_subs; i++) {
    sess_sub_t *sub = &s->subs[i];
    if (chat_from != -2 && !chat_visible(sub, chat_from, chat_to))
      continue;
    /* A refusal means the connection is closing; it is forgotten in
     * sess_peer_closed. */
    if (replyq_push(&sub->peer->replies, reg->nbuf.data, reg->nbuf.len) == 0)
      reg->counters.notifications++;
  }
}

/* Start packing a notification [2, method, [{"session": id, ...n more}]]. */
static msgpack_packer *notify_begin(sess_session_t *s, const char *method,
                                    size_t pairs) {
  sess_registry_t *reg = s->reg;
  proto_buf_reset(&reg->nbuf);
  proto_pack_notification_head(&reg->npk, method);
  msgpack_pack_map(&reg->npk, pairs + 1);
  proto_pack_kv_cstr(&reg->npk, "session", s->id);
  return &reg->npk;
}

void sess_notify_simple(sess_session_t *s, const char *method) {
  notify_begin(s, method, 0);
  broadcast(s, -2, -2);
}

void sess_notify_seat_moved(sess_session_t *s, rpc_peer_t *peer, int seat) {
  msgpack_packer *pk = notify_begin(s, "seat.moved", 1);
  proto_pack_kv_cstr(pk, "seat", model_map_seat_id(s->map, (size_t)seat));
  replyq_push(&peer->replies, s->reg->nbuf.data, s->reg->nbuf.len);
  s->reg->counters.notifications++;
  /* Fix (tests/sessions/test_reconnect.py): the old connection "no longer
   * receives the seat's notifications" (PROTOCOL.md Identity), turns
   * included. If the seat was all it followed (no other seat, not the
   * admin) and the session has no public spectating, it stops following
   * the session. The caller must re-find its own subscription after this
   * (sub_remove moves the last one). */
  sess_sub_t *sub = sub_find(s, peer);
  if (sub) {
    sub->seats[seat] = 0;
    bool follows = sub->admin || s->spectators;
    for (size_t i = 0; !follows && i < s->n_seats; i++)
      follows = sub->seats[i] != 0;
    if (!follows)
      sub_remove(s, (size_t)(sub - s->subs));
  }
}

/* ---- Chat ------------------------------------------------------------------
 */

int sess_chat_restore(sess_session_t *s, int turn, int from, int to,
                      const char *text, size_t len) {
  if (s->n_chat == s->cap_chat) {
    size_t cap = s->cap_chat ? 2 * s->cap_chat : 16;
    sess_chat_t *grown = realloc(s->chat, cap * sizeof *grown);
    if (!grown)
      return -1;
    s->chat = grown;
    s->cap_chat = cap;
  }
  char *copy = malloc(len + 1);
  if (!copy)
    return -1;
  memcpy(copy, text, len);
  copy[len] = '\0';
  sess_chat_t *c = &s->chat[s->n_chat++];
  c->from = from;
  c->to = to;
  c->turn = turn;
  c->text = copy;
  c->len = len;
  return 0;
}

int sess_chat(sess_session_t *s, rpc_peer_t *sender, int from, int to,
              const char *text, size_t len, proto_error_t *err) {
  sess_registry_t *reg = s->reg;
  if (len > reg->cfg.max_chat_bytes) {
    reg->counters.chat_refused_limit++;
    return proto_error_set(err, PROTO_TOO_LARGE, "text",
                           "a chat message may hold at most %u bytes "
                           "(--max-chat-bytes); this one has %zu",
                           reg->cfg.max_chat_bytes, len);
  }
  if (s->n_chat >= reg->cfg.max_chat_messages) {
    reg->counters.chat_refused_limit++;
    return proto_error_set(err, PROTO_RATE_LIMITED, NULL,
                           "this session holds its maximum of %u chat "
                           "messages (--max-chat-messages)",
                           reg->cfg.max_chat_messages);
  }
  if (sess_chat_restore(s, model_state_turn(s->st), from, to, text, len) !=
      0)
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  sp_chat(s, &s->chat[s->n_chat - 1]);
  /* Stored before anyone sees it. */
  if (sp_flush(s) != 0)
    return proto_error_set(err, PROTO_UNAVAILABLE, NULL,
                           "the message could not be stored; try again");

  msgpack_packer *pk = notify_begin(s, "chat.message", 3);
  proto_pack_kv_cstr(
      pk, "from", from < 0 ? "admin" : model_map_seat_id(s->map, (size_t)from));
  proto_pack_kv_cstr(pk, "to",
                     to < 0 ? "all" : model_map_seat_id(s->map, (size_t)to));
  proto_pack_cstr(pk, "text");
  proto_pack_str(pk, text, len);
  broadcast(s, from, to);
  /* A private message also reaches the connection that sent it, even one
   * that follows nothing (PROTOCOL.md: "its sender"). */
  if (sender && !sess_peer_sees(s, sender, from, to) &&
      replyq_push(&sender->replies, s->reg->nbuf.data, s->reg->nbuf.len) ==
          0)
    s->reg->counters.notifications++;
  return 0;
}

/* ---- Turns -----------------------------------------------------------------
 */

static bool seat_ready(const sess_seat_t *seat) {
  return seat->ready || seat->agent != NULL;
}

size_t sess_waiting(const sess_session_t *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->n_seats; i++)
    n += !seat_ready(&s->seats[i]);
  return n;
}

/* Let an agent decide its seat's orders for the open turn. A failure
 * leaves the seat on its standing orders (PROTOCOL.md) and is logged. */
void sess_agent_act(sess_session_t *s, int seat) {
  sess_seat_t *st = &s->seats[seat];
  model_obs_t *obs = NULL;
  model_order_t orders[MODEL_ORDERS_MAX];
  model_refusal_t refusals[8];
  size_t n = 0, n_refused = 0;
  if (model_observe(s->st, seat, &obs) != 0) {
    log_warn("session %s: cannot observe seat %d for its agent", s->id, seat);
    return;
  }
  obs->turns = s->turns; /* Fix: the session's turns, not the map's. */
  if (agent_act(st->agent, obs, orders, MODEL_ORDERS_MAX, &n) != 0) {
    log_warn("session %s: agent %s failed on seat %s; standing orders", s->id,
             agent_strategy(st->agent)->id,
             model_map_seat_id(s->map, (size_t)seat));
    n = 0;
  }
  model_obs_free(obs);
  if (n == 0)
    return;
  model_refusal_t all[MODEL_ORDERS_MAX];
  if (model_submit(s->st, seat, orders, n, all, MODEL_ORDERS_MAX,
                   &n_refused) != 0) {
    log_warn("session %s: agent orders of seat %d not accepted", s->id, seat);
    return;
  }
  for (size_t k = 0; k < n_refused && k < 8; k++)
    refusals[k] = all[k];
  sess_store_accepted(s, seat, orders, n, all, n_refused, "agent");
  s->reg->counters.orders_accepted += n - n_refused;
  if (n_refused > 0) {
    s->reg->counters.orders_refused += n_refused;
    log_info("session %s: agent %s on seat %s had %zu orders refused (first: "
             "%s)",
             s->id, agent_strategy(st->agent)->id,
             model_map_seat_id(s->map, (size_t)seat), n_refused,
             refusals[0].message);
  }
}

/* Arm the clock for the open turn: at the deadline, or at once when every
 * seat is ready. */
void sess_arm(sess_session_t *s) {
  if (s->status != SESS_RUNNING || s->reg->closed)
    return;
  if (sess_waiting(s) == 0 && (!s->fixed || s->deadline_wall_ms == 0)) {
    uv_timer_start(&s->timer, on_timer, 0, 0);
    return;
  }
  if (s->deadline_wall_ms > 0) {
    int64_t left = s->deadline_wall_ms - sess_wall_ms();
    uv_timer_start(&s->timer, on_timer, left > 0 ? (uint64_t)left : 0, 0);
  } else {
    uv_timer_stop(&s->timer);
  }
}

/* Open the turn now in the model's state: clear ready flags, let agents
 * play, set the deadline (the caller stores and arms). */
static void open_turn(sess_session_t *s) {
  for (size_t i = 0; i < s->n_seats; i++) {
    s->seats[i].ready = false;
    if (s->seats[i].agent)
      sess_agent_act(s, (int)i);
  }
  s->deadline_wall_ms = s->turn_ms > 0 ? sess_wall_ms() + s->turn_ms : 0;
}

/* Every transition is committed before anyone is told of it. */
static void store_status(sess_session_t *s) {
  sp_status(s);
  if (sp_flush(s) != 0)
    log_error("session %s: its new status (%d) could not be stored", s->id,
              (int)s->status);
}

void sess_start(sess_session_t *s) {
  s->status = SESS_RUNNING;
  open_turn(s);
  store_status(s);
  msgpack_packer *pk = notify_begin(s, "session.started", 1);
  proto_pack_kv_i64(pk, "turn", model_state_turn(s->st));
  broadcast(s, -2, -2);
  sess_arm(s);
}

void sess_pause(sess_session_t *s) {
  uv_timer_stop(&s->timer);
  s->remaining_ms =
      s->deadline_wall_ms > 0 ? s->deadline_wall_ms - sess_wall_ms() : 0;
  if (s->remaining_ms < 0)
    s->remaining_ms = 0;
  s->status = SESS_PAUSED;
  store_status(s);
  sess_notify_simple(s, "session.paused");
}

void sess_resume(sess_session_t *s) {
  s->status = SESS_RUNNING;
  if (s->deadline_wall_ms > 0)
    s->deadline_wall_ms = sess_wall_ms() + s->remaining_ms;
  s->remaining_ms = 0;
  store_status(s);
  sess_notify_simple(s, "session.resumed");
  sess_arm(s);
}

static void notify_finished(sess_session_t *s);

/* Pack the final scores: from the last resolved turn, or zeros before
 * the first. */
static void pack_scores(sess_session_t *s, msgpack_packer *pk) {
  const model_report_t *rep = model_last_report(s->st);
  msgpack_pack_array(pk, s->n_seats);
  for (size_t i = 0; i < s->n_seats; i++) {
    msgpack_pack_map(pk, 2);
    proto_pack_kv_cstr(pk, "seat", model_map_seat_id(s->map, i));
    proto_pack_kv_f64(pk, "score",
                      rep && rep->turn >= 0 && i < rep->n_seats
                          ? proto_score(rep->scores[i])
                          : 0.0);
  }
}

void sess_finish(sess_session_t *s) {
  uv_timer_stop(&s->timer);
  s->status = SESS_FINISHED;
  s->deadline_wall_ms = 0;
  store_status(s);
  notify_finished(s);
}

static void notify_finished(sess_session_t *s) {
  msgpack_packer *pk = notify_begin(s, "session.finished", 1);
  proto_pack_cstr(pk, "scores");
  pack_scores(s, pk);
  broadcast(s, -2, -2);
}

/* Keep the summary of the turn just resolved for history.get, packed once
 * as the map history.get and turn.resolved both carry. */
static int keep_history(sess_session_t *s, const model_report_t *rep) {
  sess_turn_t *grown =
      realloc(s->history, (s->n_history + 1) * sizeof *s->history);
  if (!grown)
    return -1;
  s->history = grown;
  s->history[s->n_history].turn = rep->turn;
  proto_buf_t *b = &s->history[s->n_history].buf;
  proto_buf_init(b);
  msgpack_packer pk;
  proto_packer_init(&pk, b);
  msgpack_pack_map(&pk, PROTO_SUMMARY_PAIRS + 1);
  proto_pack_kv_i64(&pk, "turn", rep->turn);
  if (proto_pack_summary_pairs(&pk, s->map, rep) != 0) {
    proto_buf_free(b);
    return -1;
  }
  s->n_history++;
  return 0;
}

int sess_resolve(sess_session_t *s) {
  int rc = model_resolve(s->st);
  if (rc != 0) {
    log_error("session %s: turn %d cannot be resolved: %s; the session is "
              "paused",
              s->id, model_state_turn(s->st), model_strerror(rc));
    sess_pause(s);
    return rc;
  }
  s->reg->counters.turns_resolved++;
  const model_report_t *rep = model_last_report(s->st);
  if (keep_history(s, rep) != 0)
    log_error("session %s: out of memory keeping turn %d's history", s->id,
              rep->turn);
  bool finished = model_state_turn(s->st) >= s->turns;
  if (finished) {
    uv_timer_stop(&s->timer);
    s->status = SESS_FINISHED;
    s->deadline_wall_ms = 0;
  } else {
    open_turn(s);
  }
  /* The resolution, the submissions before it and the next turn's opening
   * are one transaction, committed before turn.resolved goes out. */
  if (s->n_history > 0 && s->history[s->n_history - 1].turn == rep->turn &&
      sp_turn(s, rep, &s->history[s->n_history - 1].buf) != 0)
    log_error("session %s: turn %d could not be queued for storage", s->id,
              rep->turn);
  store_status(s);
  /* turn.resolved {session, turn, summary}: the summary is the history
   * entry just packed, written as raw bytes. */
  msgpack_packer *pk = notify_begin(s, "turn.resolved", 2);
  proto_pack_kv_i64(pk, "turn", rep->turn);
  proto_pack_cstr(pk, "summary");
  if (s->n_history > 0 && s->history[s->n_history - 1].turn == rep->turn)
    proto_buf_write(&s->reg->nbuf, s->history[s->n_history - 1].buf.data,
                    s->history[s->n_history - 1].buf.len);
  else
    msgpack_pack_nil(pk);
  broadcast(s, -2, -2);
  if (finished)
    notify_finished(s);
  else
    sess_arm(s);
  return 0;
}

static void on_timer(uv_timer_t *t) {
  sess_session_t *s = t->data;
  if (s->status != SESS_RUNNING)
    return;
  (void)sess_resolve(s);
}

/* The facilitator closes the open turn now, as if its deadline passed,
 * fixed-length sessions included. */
void sess_advance(sess_session_t *s) {
  for (size_t i = 0; i < s->n_seats; i++)
    if (!s->seats[i].ready) {
      s->seats[i].ready = true;
      sp_ready(s, (int)i);
    }
  uv_timer_start(&s->timer, on_timer, 0, 0);
}

void sess_seat_ready(sess_session_t *s, int seat) {
  if (!s->seats[seat].ready)
    sp_ready(s, seat);
  s->seats[seat].ready = true;
  if (sess_waiting(s) == 0)
    sess_arm(s);
}

void sess_seat_to_agent(sess_session_t *s, int seat, agent_t *agent) {
  sess_seat_t *st = &s->seats[seat];
  agent_free(st->agent);
  st->agent = agent;
  sp_seat(s, seat);
  if (s->status == SESS_RUNNING || s->status == SESS_PAUSED) {
    /* Take over this turn at once, unless the person already ordered. */
    if (!st->ready)
      sess_agent_act(s, seat);
    sess_arm(s);
  }
}

/* Store the accepted part of a submission: orders[0..n) less the refused
 * ones (refusal indices point into orders). */
void sess_store_accepted(sess_session_t *s, int seat,
                         const model_order_t *orders, size_t n,
                         const model_refusal_t *refused, size_t n_refused,
                         const char *source) {
  model_order_t kept[MODEL_ORDERS_MAX];
  size_t k = 0;
  for (size_t i = 0; i < n && i < MODEL_ORDERS_MAX; i++) {
    bool out = false;
    for (size_t j = 0; j < n_refused && !out; j++)
      out = refused[j].index == i;
    if (!out)
      kept[k++] = orders[i];
  }
  sp_submission(s, seat, kept, k, source);
}
