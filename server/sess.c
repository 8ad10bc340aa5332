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
 * The turn clock is one uv_timer_t per session, which fires at the turn's
 * deadline. A turn that is due (its deadline passed, every seat is ready,
 * the facilitator advanced it) joins the registry's FIFO of due turns,
 * which an idle handle drains one session per loop iteration: a turn is
 * never resolved from inside a request handler (the handler's answer goes
 * out first, and notifications follow in order), and a thousand turns due
 * at once do not keep every connection waiting.
 */
#include "sess_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sodium.h>

#include "log.h"
#include "proto_types.h"
#include "store.h"
#include "lan_assert.h"

void sess_config_default(sess_config_t *cfg) {
  cfg->maps_dir = LAN_SOURCE_MAPS;
  cfg->max_sessions = LAN_MAX_SESSIONS_DEFAULT;
  cfg->max_finished = LAN_MAX_FINISHED_DEFAULT;
  cfg->join_burst = LAN_JOIN_BURST_DEFAULT;
  cfg->join_refill_ms = LAN_JOIN_REFILL_MS_DEFAULT;
  cfg->create_burst = LAN_CREATE_BURST_DEFAULT;
  cfg->create_refill_ms = LAN_CREATE_REFILL_MS_DEFAULT;
  cfg->max_chat_bytes = LAN_MAX_CHAT_BYTES_DEFAULT;
  cfg->max_chat_messages = LAN_MAX_CHAT_MESSAGES_DEFAULT;
  cfg->chat_burst = LAN_CHAT_BURST_DEFAULT;
  cfg->chat_refill_ms = LAN_CHAT_REFILL_MS_DEFAULT;
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
                        (const unsigned char *)token, SESS_TOKEN_LEN, box, key);
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

/* The named session's own admin and seats are compared in constant time;
 * whether the token is any other session's is one look-up in the
 * registry's set, so an unknown token costs the same however many
 * sessions the server holds. */
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
  return sess_token_known(reg, h) ? SESS_ID_OTHER : SESS_ID_UNKNOWN;
}

/* ---- The set of token hashes ----------------------------------------------
 */

static size_t tok_slot(const sess_tokset_t *t,
                       const uint8_t h[SESS_HASH_BYTES]) {
  uint64_t v;
  memcpy(&v, h, sizeof v);
  return (size_t)v & (t->cap - 1);
}

static bool tok_empty(const uint8_t k[SESS_HASH_BYTES]) {
  static const uint8_t zero[SESS_HASH_BYTES];
  return memcmp(k, zero, SESS_HASH_BYTES) == 0;
}

bool sess_token_known(const sess_registry_t *reg,
                      const uint8_t h[SESS_HASH_BYTES]) {
  const sess_tokset_t *t = &reg->tokens;
  if (t->cap == 0)
    return false;
  /* Linear probing at most half full: a miss ends at an empty slot after
   * a couple of probes. The keys are hashes of random tokens, so a client
   * cannot make the clusters longer. */
  for (size_t i = tok_slot(t, h);; i = (i + 1) & (t->cap - 1)) {
    if (tok_empty(t->keys[i]))
      return false;
    if (sodium_memcmp(t->keys[i], h, SESS_HASH_BYTES) == 0)
      return true;
  }
}

static void tok_put(sess_tokset_t *t, const uint8_t h[SESS_HASH_BYTES]) {
  size_t i = tok_slot(t, h);
  while (!tok_empty(t->keys[i])) {
    if (memcmp(t->keys[i], h, SESS_HASH_BYTES) == 0)
      return;
    i = (i + 1) & (t->cap - 1);
  }
  memcpy(t->keys[i], h, SESS_HASH_BYTES);
  t->n++;
}

int sess_token_add(sess_registry_t *reg, const uint8_t h[SESS_HASH_BYTES]) {
  sess_tokset_t *t = &reg->tokens;
  if (tok_empty(h))
    return 0; /* never issued: BLAKE2b does not output 256 zero bits */
  if (2 * (t->n + 1) > t->cap) {
    sess_tokset_t grown = {NULL, t->cap ? 2 * t->cap : 1024, 0};
    grown.keys = calloc(grown.cap, sizeof *grown.keys);
    if (!grown.keys)
      return -1;
    for (size_t i = 0; i < t->cap; i++)
      if (!tok_empty(t->keys[i]))
        tok_put(&grown, t->keys[i]);
    free(t->keys);
    *t = grown;
  }
  tok_put(t, h);
  return 0;
}

/* ---- Rate limits ------------------------------------------------------------
 * Token buckets: wrong join codes and session.create per address, chat per
 * seat. */

bool sess_bucket_ready(sess_bucket_t *b, const sess_rate_t *r, int64_t now) {
  if (!b->used) {
    b->used = true;
    b->tokens = r->burst;
    b->stamp = now;
  }
  if (r->refill_ms > 0) {
    int64_t refill = (now - b->stamp) / r->refill_ms;
    if (refill > 0) {
      uint64_t t = (uint64_t)b->tokens + (uint64_t)refill;
      b->tokens = t > r->burst ? r->burst : (uint32_t)t;
      b->stamp += refill * r->refill_ms;
    }
    /* A full bucket does not save up time towards the next token. */
    if (b->tokens >= r->burst)
      b->stamp = now;
  }
  return b->tokens > 0;
}

void sess_bucket_take(sess_bucket_t *b) {
  if (b->tokens > 0)
    b->tokens--;
}

int64_t sess_bucket_wait_ms(const sess_bucket_t *b, const sess_rate_t *r,
                            int64_t now) {
  if (b->tokens > 0)
    return 0;
  if (r->refill_ms == 0)
    return -1;
  int64_t wait = b->stamp + r->refill_ms - now;
  return wait > 0 ? wait : 0;
}

sess_bucket_t *sess_addr_bucket(sess_registry_t *reg, sess_addr_limit_t *lim,
                                const char *addr) {
  uint64_t h;
  crypto_shorthash((unsigned char *)&h, (const unsigned char *)addr,
                   strlen(addr), reg->addr_key);
  return &lim->buckets[h % SESS_ADDR_BUCKETS];
}

void sess_retry_text(char *buf, size_t len, int64_t wait_ms) {
  if (wait_ms < 0)
    snprintf(buf, len, "this limit is not refilled; ask the operator");
  else
    snprintf(buf, len, "try again in %.1f s",
             (double)(wait_ms < 100 ? 100 : wait_ms) / 1000.0);
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
  reg->join_limit.rate = (sess_rate_t){cfg->join_burst, cfg->join_refill_ms};
  reg->create_limit.rate =
      (sess_rate_t){cfg->create_burst, cfg->create_refill_ms};
  reg->chat_rate = (sess_rate_t){cfg->chat_burst, cfg->chat_refill_ms};
  proto_buf_init(&reg->nbuf);
  proto_packer_init(&reg->npk, &reg->nbuf);
  uv_idle_init(loop, &reg->due_idle);
  reg->due_idle.data = reg;
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
  if (!reg || reg->closed)
    return;
  sess_session_t *s = reg->sessions;
  reg->sessions = NULL;
  reg->n_sessions = reg->n_finished = 0;
  reg->due_head = reg->due_tail = NULL;
  reg->fin_head = reg->fin_tail = NULL;
  uv_close((uv_handle_t *)&reg->due_idle, NULL);
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
  LAN_ASSERT(reg->sessions == NULL); /* sess_registry_close, then uv_run */
  for (size_t i = 0; i < reg->n_maps; i++) {
    model_map_free(reg->maps[i].map);
    free(reg->maps[i].json);
  }
  free(reg->maps);
  free(reg->tokens.keys);
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
   * no turn, and stay for history, replay and export (--max-finished
   * bounds those kept in memory). */
  size_t live = reg->n_sessions - reg->n_finished;
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
   * just never collide with a loaded session's, nor with one unloaded
   * from memory but still in the database. */
  do {
    s->id[0] = 's';
    sess_random_code(s->id + 1, 7);
    for (char *p = s->id + 1; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
  } while (sess_find(reg, s->id, strlen(s->id)) || sp_id_stored(reg, s->id));
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
  if (sess_token_add(reg, s->admin_hash) != 0)
    goto nomem;
  for (size_t i = 0; i < s->n_seats; i++)
    if (sess_token_add(reg, s->seats[i].token_hash) != 0)
      goto nomem;
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

/* Send the notification packed in reg->nbuf to every subscriber that may
 * see it (chat_from/chat_to: -2 for a notification everyone sees), but
 * `skip` (NULL: none). Each connection gets it once, however many seats
 * it holds. */
static void broadcast_except(sess_session_t *s, int chat_from, int chat_to,
                             const rpc_peer_t *skip) {
  sess_registry_t *reg = s->reg;
  for (size_t i = 0; i < s->n_subs; i++) {
    sess_sub_t *sub = &s->subs[i];
    if (sub->peer == skip ||
        (chat_from != -2 && !chat_visible(sub, chat_from, chat_to)))
      continue;
    /* A refusal means the connection is closing; it is forgotten in
     * sess_peer_closed. */
    if (replyq_push(&sub->peer->replies, reg->nbuf.data, reg->nbuf.len) == 0)
      reg->counters.notifications++;
  }
}

static void broadcast(sess_session_t *s, int chat_from, int chat_to) {
  broadcast_except(s, chat_from, chat_to, NULL);
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
    if (!follows) {
      sub_remove(s, (size_t)(sub - s->subs));
      /* A connection that now follows no session at all is an ordinary
       * one again: the idle deadline applies to it (PROTOCOL.md limits). */
      bool anywhere = false;
      for (sess_session_t *o = s->reg->sessions; o && !anywhere; o = o->next)
        anywhere = sub_find(o, peer) != NULL;
      if (!anywhere)
        peer->holds_seat = false;
    }
  }
}

/* ---- Chat ------------------------------------------------------------------
 */

/* A chat message on its way: stored, and sent once the commit holds it.
 * It names its session by id, not by pointer: the session may be unloaded
 * (or the server stopping) before the commit. */
typedef struct chat_pending {
  sess_registry_t *reg;
  char session[16];
  int from, to;
  /* The sending connection's copy: a place reserved in its reply order
   * before the answer (the message comes first there, as documented).
   * A slot outlives a closed connection, and tells whether the connection
   * is still there, so `peer` is only used while it is. */
  replyq_slot_t *sender;
  const rpc_peer_t *peer;
  size_t len;
  char text[];
} chat_pending_t;

static void chat_committed(void *arg, bool committed) {
  chat_pending_t *c = arg;
  sess_session_t *s =
      committed ? sess_find(c->reg, c->session, strlen(c->session)) : NULL;
  if (s) {
    msgpack_packer *pk = notify_begin(s, "chat.message", 3);
    proto_pack_kv_cstr(
        pk, "from",
        c->from < 0 ? "admin" : model_map_seat_id(s->map, (size_t)c->from));
    proto_pack_kv_cstr(
        pk, "to", c->to < 0 ? "all" : model_map_seat_id(s->map, (size_t)c->to));
    proto_pack_cstr(pk, "text");
    proto_pack_str(pk, c->text, c->len);
    /* The sender gets its copy in its slot, once, whatever it follows. */
    bool alive = c->sender && !replyq_slot_orphaned(c->sender);
    broadcast_except(s, c->from, c->to, alive ? c->peer : NULL);
    if (c->sender &&
        replyq_complete(c->sender, s->reg->nbuf.data, s->reg->nbuf.len) == 0)
      s->reg->counters.notifications++;
  } else if (c->sender) {
    replyq_complete(c->sender, NULL, 0);
  }
  free(c);
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
  /* Each seat (and the admin) has its own budget, so one chatty seat
   * cannot use up the session's --max-chat-messages for everyone. */
  sess_bucket_t *b = from < 0 ? &s->admin_chat : &s->seats[from].chat;
  int64_t now = (int64_t)uv_now(reg->loop);
  if (!sess_bucket_ready(b, &reg->chat_rate, now)) {
    char when[64];
    reg->counters.chat_rate_limited++;
    sess_retry_text(when, sizeof when,
                    sess_bucket_wait_ms(b, &reg->chat_rate, now));
    return proto_error_set(err, PROTO_RATE_LIMITED, NULL,
                           "too many chat messages from %s: at most %u at "
                           "once, then one every %u ms (--chat-burst, "
                           "--chat-refill-ms); %s",
                           from < 0 ? "the control cell" : "this seat",
                           reg->chat_rate.burst, reg->chat_rate.refill_ms,
                           when);
  }
  if (s->n_chat >= reg->cfg.max_chat_messages) {
    reg->counters.chat_refused_limit++;
    return proto_error_set(err, PROTO_RATE_LIMITED, NULL,
                           "this session holds its maximum of %u chat "
                           "messages (--max-chat-messages)",
                           reg->cfg.max_chat_messages);
  }
  chat_pending_t *c = malloc(sizeof *c + len);
  if (!c)
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  c->reg = reg;
  snprintf(c->session, sizeof c->session, "%s", s->id);
  c->from = from;
  c->to = to;
  c->len = len;
  memcpy(c->text, text, len);
  c->sender = NULL;
  c->peer = sender;
  /* The message also reaches the connection that sent it, even one that
   * follows nothing (PROTOCOL.md: "its sender"), before the answer. */
  if (sender) {
    c->sender = replyq_defer(&sender->replies, 0);
    if (!c->sender) {
      free(c);
      return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
    }
  }
  /* Stored before anyone sees it: the message goes out from the commit's
   * callback, and the answer (RPC_OK_DURABLE) after the same commit. */
  if (sp_chat(s, from, to, text, len) != 0 ||
      (reg->store && store_after_commit(reg->store, chat_committed, c) != 0)) {
    /* The write may be queued without its callback: then the message is
     * stored but never sent, which the sender learns from this error. */
    if (c->sender)
      replyq_complete(c->sender, NULL, 0);
    free(c);
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  }
  sess_bucket_take(b);
  s->n_chat++;
  if (!reg->store)
    chat_committed(c, true);
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
  if (model_submit(s->st, seat, orders, n, all, MODEL_ORDERS_MAX, &n_refused) !=
      0) {
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

/* ---- The FIFO of due turns ------------------------------------------------
 * A turn that is due is resolved from the registry's idle handle, one
 * session per loop iteration, in the order they came due; the loop polls
 * for I/O between two resolutions, so every connection is served while a
 * thousand turns come due at once. */

static void on_due(uv_idle_t *h);

static void due_push(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  if (s->due || reg->closed)
    return;
  s->due = true;
  s->due_next = NULL;
  if (reg->due_tail)
    reg->due_tail->due_next = s;
  else
    reg->due_head = s;
  reg->due_tail = s;
  uv_idle_start(&reg->due_idle, on_due);
}

static void due_remove(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  if (!s->due)
    return;
  sess_session_t *prev = NULL;
  for (sess_session_t *x = reg->due_head; x; prev = x, x = x->due_next) {
    if (x != s)
      continue;
    if (prev)
      prev->due_next = s->due_next;
    else
      reg->due_head = s->due_next;
    if (reg->due_tail == s)
      reg->due_tail = prev;
    break;
  }
  s->due = false;
  s->due_next = NULL;
  if (!reg->due_head)
    uv_idle_stop(&reg->due_idle);
}

static sess_session_t *due_pop(sess_registry_t *reg) {
  sess_session_t *s = reg->due_head;
  if (!s)
    return NULL;
  reg->due_head = s->due_next;
  if (!reg->due_head)
    reg->due_tail = NULL;
  s->due = false;
  s->due_next = NULL;
  return s;
}

static void on_due(uv_idle_t *h) {
  sess_registry_t *reg = h->data;
  sess_session_t *s = due_pop(reg);
  if (!reg->due_head)
    uv_idle_stop(&reg->due_idle);
  if (s && s->status == SESS_RUNNING)
    (void)sess_resolve(s);
}

void sess_resolve_due(sess_registry_t *reg) {
  sess_session_t *s;
  while ((s = due_pop(reg)) != NULL)
    if (s->status == SESS_RUNNING)
      (void)sess_resolve(s);
  uv_idle_stop(&reg->due_idle);
}

/* The deadline passed: the turn joins the queue (never resolved here). */
static void on_timer(uv_timer_t *t) {
  sess_session_t *s = t->data;
  if (s->status == SESS_RUNNING)
    due_push(s);
}

/* Arm the clock for the open turn: queue it for resolution when it is due
 * (every seat ready, unless the turn is fixed-length; the deadline passed;
 * the facilitator advanced it), else wake at the deadline. */
void sess_arm(sess_session_t *s) {
  if (s->status != SESS_RUNNING || s->reg->closed)
    return;
  bool due = s->advancing ||
             (sess_waiting(s) == 0 && (!s->fixed || s->deadline_wall_ms == 0));
  if (!due && s->deadline_wall_ms > 0) {
    int64_t left = s->deadline_wall_ms - sess_wall_ms();
    if (left > 0) {
      due_remove(s);
      uv_timer_start(&s->timer, on_timer, (uint64_t)left, 0);
      return;
    }
    due = true;
  }
  uv_timer_stop(&s->timer);
  if (due)
    due_push(s);
  else
    due_remove(s);
}

/* Open the turn now in the model's state: clear ready flags, let agents
 * play, set the deadline (the caller stores and arms). */
static void open_turn(sess_session_t *s) {
  s->advancing = false;
  for (size_t i = 0; i < s->n_seats; i++) {
    s->seats[i].ready = false;
    if (s->seats[i].agent)
      sess_agent_act(s, (int)i);
  }
  s->deadline_wall_ms = s->turn_ms > 0 ? sess_wall_ms() + s->turn_ms : 0;
}

static const char *const STATUS_NAME[] = {"lobby", "running", "paused",
                                          "finished"};

/* Every transition is committed before anyone is told of it. If the
 * commit fails the store keeps it queued, in order behind everything
 * before it, and commits it with the retry (store.h): the session goes
 * on, and the file catches up. */
static void store_status(sess_session_t *s) {
  sp_status(s);
  if (sp_flush(s) != 0)
    log_warn("session %s: its new status (%s, turn %d) is not committed "
             "yet; it is kept and committed with the store's retry",
             s->id, STATUS_NAME[s->status], model_state_turn(s->st));
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
  due_remove(s);
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
  due_remove(s);
  s->status = SESS_FINISHED;
  s->deadline_wall_ms = 0;
  store_status(s);
  notify_finished(s);
  sess_finished(s);
}

/* Forget a finished session: out of the registry now, its memory once its
 * timer handle has closed (so a caller up the stack may still read it). */
static void unload(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  for (sess_session_t **p = &reg->sessions; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  reg->n_sessions--;
  reg->n_finished--;
  due_remove(s);
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, on_timer_closed);
  reg->counters.sessions_unloaded++;
  log_info("session %s unloaded from memory (more than %u finished "
           "sessions, --max-finished); its rows stay in the database",
           s->id, reg->cfg.max_finished);
}

void sess_finished(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  s->fin_next = NULL;
  if (reg->fin_tail)
    reg->fin_tail->fin_next = s;
  else
    reg->fin_head = s;
  reg->fin_tail = s;
  reg->n_finished++;
  while (reg->n_finished > reg->cfg.max_finished && reg->fin_head) {
    sess_session_t *old = reg->fin_head;
    reg->fin_head = old->fin_next;
    if (!reg->fin_head)
      reg->fin_tail = NULL;
    unload(old);
  }
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

/* Tell the session's admin connections why a turn was refused: the
 * "error" notification (PROTOCOL.md), with the session named. Only the
 * facilitator gets it, because the model's message may name a seat's
 * private figures (a budget); the players see session.paused. */
static void notify_turn_refused(sess_session_t *s, int turn, int rc) {
  const char *why = model_last_error(s->st);
  char msg[MODEL_MESSAGE_MAX + 256];
  snprintf(msg, sizeof msg,
           "turn %d was not resolved: %s; it was not stored, the game stands "
           "where it stood before the turn, and the session is paused: have "
           "the seats change their orders, then resume",
           turn, why[0] ? why : model_strerror(rc));
  msgpack_packer *pk = notify_begin(s, "error", 2);
  proto_pack_kv_cstr(pk, "code", "conflict");
  proto_pack_kv_cstr(pk, "message", msg);
  sess_registry_t *reg = s->reg;
  for (size_t i = 0; i < s->n_subs; i++)
    if (s->subs[i].admin && replyq_push(&s->subs[i].peer->replies,
                                        reg->nbuf.data, reg->nbuf.len) == 0)
      reg->counters.notifications++;
}

int sess_resolve(sess_session_t *s) {
  int turn = model_state_turn(s->st);
  int rc = model_resolve(s->st);
  if (rc != 0) {
    /* The model leaves the state as it was before the turn (a turn whose
     * money or tonnes would leave the exact range is refused as a whole,
     * MODEL_ERANGE), so nothing is stored and the submissions stand. */
    const char *why = model_last_error(s->st);
    log_error("session %s: turn %d cannot be resolved: %s%s%s; the turn is "
              "not stored and the session is paused",
              s->id, turn, model_strerror(rc), why[0] ? ": " : "", why);
    notify_turn_refused(s, turn, rc);
    sess_pause(s);
    return rc;
  }
  s->reg->counters.turns_resolved++;
  const model_report_t *rep = model_last_report(s->st);
  if (keep_history(s, rep) != 0)
    log_error("session %s: out of memory keeping turn %d's history", s->id,
              rep->turn);
  /* The stored hash and snapshot are those of the state just resolved,
   * before the next turn opens: that is what a replay from the stored
   * orders reaches (lanthanide replay --verify), and the agents'
   * submissions for the next turn are stored as that turn's. */
  if (s->n_history > 0 && s->history[s->n_history - 1].turn == rep->turn &&
      sp_turn(s, rep, &s->history[s->n_history - 1].buf) != 0)
    log_error("session %s: turn %d could not be queued for storage", s->id,
              rep->turn);
  bool finished = model_state_turn(s->st) >= s->turns;
  if (finished) {
    uv_timer_stop(&s->timer);
    due_remove(s);
    s->status = SESS_FINISHED;
    s->deadline_wall_ms = 0;
  } else {
    open_turn(s);
  }
  /* The resolution, the submissions before it and the next turn's opening
   * are one transaction, committed before turn.resolved goes out. */
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
  if (finished) {
    notify_finished(s);
    sess_finished(s);
  } else {
    sess_arm(s);
  }
  return 0;
}

/* The facilitator closes the open turn now, as if its deadline passed,
 * fixed-length sessions included. */
void sess_advance(sess_session_t *s) {
  for (size_t i = 0; i < s->n_seats; i++)
    if (!s->seats[i].ready) {
      s->seats[i].ready = true;
      sp_ready(s, (int)i);
    }
  s->advancing = true;
  sess_arm(s);
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
