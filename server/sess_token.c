/*
 * Identity of sessions: tokens and join codes, their hashes, the token
 * sealed under its seat's join code, who a presented token is
 * (sess_identify), and the registry's set of every token hash issued.
 * Secrets are kept only as BLAKE2b hashes and compared in constant time
 * (see sess_internal.h).
 */
#include "sess_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "store.h"

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

/* The key of a seat's admin box: bound to the session, the seat and the
 * admin token (which the server keeps only as a hash: the database alone
 * opens no box). */
static void admin_key(const sess_session_t *s, int seat, const char *admin,
                      size_t admin_len,
                      uint8_t key[crypto_secretbox_KEYBYTES]) {
  char head[48];
  int n = snprintf(head, sizeof head, "admin:%s:%d:", s->id, seat);
  crypto_generichash_state h;
  crypto_generichash_init(&h, NULL, 0, crypto_secretbox_KEYBYTES);
  crypto_generichash_update(&h, (const unsigned char *)head, (size_t)n);
  crypto_generichash_update(&h, (const unsigned char *)admin, admin_len);
  crypto_generichash_final(&h, key, crypto_secretbox_KEYBYTES);
}

static void seal(const uint8_t key[crypto_secretbox_KEYBYTES],
                 const char *token, uint8_t box[SESS_BOX_BYTES]) {
  randombytes_buf(box, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES,
                        (const unsigned char *)token, SESS_TOKEN_LEN, box, key);
}

static int unseal(const uint8_t key[crypto_secretbox_KEYBYTES],
                  const uint8_t box[SESS_BOX_BYTES],
                  char token[SESS_TOKEN_LEN + 1]) {
  int rc = crypto_secretbox_open_easy(
      (unsigned char *)token, box + crypto_secretbox_NONCEBYTES,
      SESS_BOX_BYTES - crypto_secretbox_NONCEBYTES, box, key);
  token[SESS_TOKEN_LEN] = '\0';
  return rc == 0 ? 0 : -1;
}

void sess_seal_token(const sess_session_t *s, int seat, const char *code,
                     const char *token, uint8_t box[SESS_BOX_BYTES]) {
  uint8_t key[crypto_secretbox_KEYBYTES];
  box_key(s, seat, code, key);
  seal(key, token, box);
  sodium_memzero(key, sizeof key);
}

int sess_open_token(const sess_session_t *s, int seat, const char *code,
                    char token[SESS_TOKEN_LEN + 1]) {
  uint8_t key[crypto_secretbox_KEYBYTES];
  box_key(s, seat, code, key);
  int rc = unseal(key, s->seats[seat].box, token);
  sodium_memzero(key, sizeof key);
  return rc;
}

void sess_seal_admin(const sess_session_t *s, int seat, const char *admin_token,
                     size_t admin_len, const char *token,
                     uint8_t box[SESS_BOX_BYTES]) {
  uint8_t key[crypto_secretbox_KEYBYTES];
  admin_key(s, seat, admin_token, admin_len, key);
  seal(key, token, box);
  sodium_memzero(key, sizeof key);
}

int sess_open_admin(const sess_session_t *s, int seat, const char *admin_token,
                    size_t admin_len, char token[SESS_TOKEN_LEN + 1]) {
  uint8_t key[crypto_secretbox_KEYBYTES];
  admin_key(s, seat, admin_token, admin_len, key);
  int rc = unseal(key, s->seats[seat].admin_box, token);
  sodium_memzero(key, sizeof key);
  return rc;
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
  for (size_t i = 0; i < s->n_observers; i++)
    if (sodium_memcmp(s->observers[i].token_hash, h, SESS_HASH_BYTES) == 0) {
      *seat = (int)i;
      return SESS_ID_OBSERVER;
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

/* Backward-shift deletion: the entries after the removed one that probed
 * past its slot move back, so every look-up still ends at an empty slot. */
void sess_token_del(sess_registry_t *reg, const uint8_t h[SESS_HASH_BYTES]) {
  sess_tokset_t *t = &reg->tokens;
  if (t->cap == 0)
    return;
  size_t i = tok_slot(t, h);
  for (;; i = (i + 1) & (t->cap - 1)) {
    if (tok_empty(t->keys[i]))
      return; /* not in the set */
    if (memcmp(t->keys[i], h, SESS_HASH_BYTES) == 0)
      break;
  }
  memset(t->keys[i], 0, SESS_HASH_BYTES);
  t->n--;
  for (size_t j = (i + 1) & (t->cap - 1); !tok_empty(t->keys[j]);
       j = (j + 1) & (t->cap - 1)) {
    size_t home = tok_slot(t, t->keys[j]);
    /* Does j's home lie cyclically in (i, j]? Then it stays. */
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays)
      continue;
    memcpy(t->keys[i], t->keys[j], SESS_HASH_BYTES);
    memset(t->keys[j], 0, SESS_HASH_BYTES);
    i = j;
  }
}

/* ---- Seat control
 * ------------------------------------------------------------ The
 * facilitator's answers to a seat taken by the wrong person: lock it (its join
 * code is refused, its token still works), re-issue its code (the old one stops
 * working), rotate its token (the old one stops working; whoever held the seat
 * is told and loses it), and rotate the admin token itself. Each change is
 * stored (seat_controls, and the seats and sessions rows' hashes) and survives
 * a restart.
 */

static void sp_control(sess_session_t *s, int seat) {
  store_t *st = s->reg->store;
  const sess_seat_t *x = &s->seats[seat];
  if (st && store_put_seat_control(st, s->id, seat, x->locked,
                                   x->has_admin_box ? x->admin_box : NULL) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing seat %d's control", seat);
}

static void sp_secrets(sess_session_t *s, int seat) {
  store_t *st = s->reg->store;
  const sess_seat_t *x = &s->seats[seat];
  if (st && store_set_seat_secrets(st, s->id, seat, x->token_hash, x->code_hash,
                                   x->box) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing seat %d's secrets", seat);
}

void sp_seat_controls(sess_session_t *s) {
  for (size_t i = 0; i < s->n_seats; i++)
    sp_control(s, (int)i);
}

static int on_control(void *arg, const store_seat_control_row_t *row, char *err,
                      size_t errlen) {
  sess_session_t *s = arg;
  if (row->index < 0 || (size_t)row->index >= s->n_seats) {
    snprintf(err, errlen,
             "session %s: a stored seat control names seat %d, but its map "
             "has %zu seats",
             s->id, row->index, s->n_seats);
    return STORE_DAMAGED;
  }
  sess_seat_t *x = &s->seats[row->index];
  x->locked = row->locked;
  x->has_admin_box = row->admin_box != NULL;
  if (row->admin_box)
    memcpy(x->admin_box, row->admin_box, SESS_BOX_BYTES);
  return 0;
}

int sess_restore_controls(sess_session_t *s, char *err, size_t errlen) {
  if (!s->reg->store)
    return 0;
  return store_read_seat_controls(s->reg->store, s->id, on_control, s, err,
                                  errlen);
}

void sess_seat_lock(sess_session_t *s, int seat, bool locked) {
  s->seats[seat].locked = locked;
  if (locked)
    s->reg->counters.seat_locks++;
  else
    s->reg->counters.seat_unlocks++;
  sp_control(s, seat);
}

/* Give the seat `token` (new), sealed under `code` and the admin token. */
static int seat_set_token(sess_session_t *s, int seat, const char *token,
                          const char *code, const char *admin,
                          size_t admin_len) {
  sess_registry_t *reg = s->reg;
  sess_seat_t *x = &s->seats[seat];
  uint8_t h[SESS_HASH_BYTES];
  sess_hash_token(token, SESS_TOKEN_LEN, h);
  if (sess_token_add(reg, h) != 0)
    return -1;
  sess_token_del(reg, x->token_hash);
  memcpy(x->token_hash, h, SESS_HASH_BYTES);
  sess_hash_code(s, code, x->code_hash);
  sess_seal_token(s, seat, code, token, x->box);
  sess_seal_admin(s, seat, admin, admin_len, token, x->admin_box);
  x->has_admin_box = true;
  return 0;
}

/* The seat's old token is gone: the seat is free again (for the holder of
 * the next code), and whoever held it loses it now and is told once the
 * change is committed (sess_notify_seat_lost). */
static void seat_revoked(sess_session_t *s, int seat) {
  sess_seat_t *x = &s->seats[seat];
  x->taken = false;
  x->name[0] = '\0';
  s->reg->counters.tokens_revoked++;
  sp_secrets(s, seat);
  sp_control(s, seat);
  sp_seat(s, seat);
  sess_seat_notify_all(s, seat, "seat.revoked", NULL, true);
  log_sess(LOG_LEVEL_INFO, s->id, NULL, "the token of seat %s was revoked",
           model_map_seat_id(s->map, (size_t)seat));
}

int sess_seat_rotate(sess_session_t *s, int seat, const char *admin_token,
                     size_t admin_len) {
  char token[SESS_TOKEN_LEN + 1], code[SESS_CODE_LEN + 1];
  sess_random_token(token);
  /* A code nobody is told: the seat is joined again only with the code
   * seat.reissue_code gives. */
  sess_random_code(code, SESS_CODE_LEN);
  int rc = seat_set_token(s, seat, token, code, admin_token, admin_len);
  sodium_memzero(token, sizeof token);
  sodium_memzero(code, sizeof code);
  if (rc != 0)
    return -1;
  seat_revoked(s, seat);
  return 0;
}

int sess_seat_reissue(sess_session_t *s, int seat, const char *admin_token,
                      size_t admin_len, char code[SESS_CODE_LEN + 1]) {
  sess_seat_t *x = &s->seats[seat];
  char token[SESS_TOKEN_LEN + 1];
  sess_random_code(code, SESS_CODE_LEN);
  if (x->has_admin_box &&
      sess_open_admin(s, seat, admin_token, admin_len, token) == 0) {
    /* The same token, under a new code: whoever holds the seat keeps it. */
    sess_hash_code(s, code, x->code_hash);
    sess_seal_token(s, seat, code, token, x->box);
    sodium_memzero(token, sizeof token);
    sp_secrets(s, seat);
    s->reg->counters.codes_reissued++;
    return 0;
  }
  /* A session from before schema 4 keeps no admin box: the token cannot
   * be recovered, so the new code comes with a new token (the holder, if
   * any, is told with seat.revoked). */
  sess_random_token(token);
  int rc = seat_set_token(s, seat, token, code, admin_token, admin_len);
  sodium_memzero(token, sizeof token);
  if (rc != 0)
    return -1;
  seat_revoked(s, seat);
  s->reg->counters.codes_reissued++;
  return 0;
}

int sess_admin_rotate(sess_session_t *s, const char *old, size_t old_len,
                      rpc_peer_t *keep, char admin_token[SESS_TOKEN_LEN + 1]) {
  sess_registry_t *reg = s->reg;
  uint8_t h[SESS_HASH_BYTES];
  sess_random_token(admin_token);
  sess_hash_token(admin_token, SESS_TOKEN_LEN, h);
  if (sess_token_add(reg, h) != 0)
    return -1;
  /* Every seat's admin box moves to the new admin token. */
  for (size_t i = 0; i < s->n_seats; i++) {
    sess_seat_t *x = &s->seats[i];
    char token[SESS_TOKEN_LEN + 1];
    if (!x->has_admin_box)
      continue;
    if (sess_open_admin(s, (int)i, old, old_len, token) == 0)
      sess_seal_admin(s, (int)i, admin_token, SESS_TOKEN_LEN, token,
                      x->admin_box);
    else
      x->has_admin_box = false; /* cannot happen: the old token is right */
    sodium_memzero(token, sizeof token);
    sp_control(s, (int)i);
  }
  sess_token_del(reg, s->admin_hash);
  memcpy(s->admin_hash, h, SESS_HASH_BYTES);
  if (reg->store && store_set_admin_hash(reg->store, s->id, h) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing its admin token");
  sess_admin_drop_all(s, keep);
  reg->counters.admin_tokens_rotated++;
  log_sess(LOG_LEVEL_INFO, s->id, NULL, "the admin token was rotated");
  return 0;
}

/* ---- Observers (issue 13) --------------------------------------------------
 * Read-only tokens the control cell issues, each with the seats it may
 * view. Stored as a row of the observers table (schema 7) with the
 * token's hash, so they survive a restart; a revoked one keeps its row
 * (revoked_ms) and leaves the registry's set of tokens at once. */

/* The seat ids of flags, separated by spaces, into out. */
static void seats_text(const sess_session_t *s, const uint8_t *flags, char *out,
                       size_t cap) {
  size_t k = 0;
  out[0] = '\0';
  for (size_t i = 0; i < s->n_seats && k < cap; i++)
    if (flags[i]) {
      int w = snprintf(out + k, cap - k, "%s%s", k ? " " : "",
                       model_map_seat_id(s->map, i));
      if (w < 0)
        break;
      k += (size_t)w;
    }
}

static int observer_add(sess_session_t *s, int64_t id, const char *name,
                        const uint8_t h[SESS_HASH_BYTES], uint8_t *flags) {
  sess_observer_t *grown =
      realloc(s->observers, (s->n_observers + 1) * sizeof *s->observers);
  if (!grown)
    return -1;
  s->observers = grown;
  sess_observer_t *o = &s->observers[s->n_observers++];
  o->id = id;
  snprintf(o->name, sizeof o->name, "%s", name);
  memcpy(o->token_hash, h, SESS_HASH_BYTES);
  o->seats = flags;
  if (id >= s->next_observer)
    s->next_observer = id + 1;
  return 0;
}

int sess_observer_issue(sess_session_t *s, const char *name,
                        const uint8_t *seats, int64_t *id,
                        char token[SESS_TOKEN_LEN + 1]) {
  sess_registry_t *reg = s->reg;
  uint8_t h[SESS_HASH_BYTES];
  uint8_t *flags = calloc(s->n_seats ? s->n_seats : 1, 1);
  if (!flags)
    return -1;
  if (s->n_seats)
    memcpy(flags, seats, s->n_seats);
  sess_random_token(token);
  sess_hash_token(token, SESS_TOKEN_LEN, h);
  if (s->next_observer < 1)
    s->next_observer = 1;
  *id = s->next_observer;
  if (sess_token_add(reg, h) != 0 ||
      observer_add(s, *id, name, h, flags) != 0) {
    sess_token_del(reg, h);
    free(flags);
    sodium_memzero(token, SESS_TOKEN_LEN + 1);
    return -1;
  }
  reg->counters.observers_issued++;
  if (reg->store) {
    char text[4096];
    seats_text(s, flags, text, sizeof text);
    if (store_put_observer(reg->store, s->id, *id, name, text, h,
                           sess_wall_ms()) != 0)
      log_sess(LOG_LEVEL_ERROR, s->id, NULL,
               "out of memory queueing observer %lld", (long long)*id);
  }
  return 0;
}

void sess_observer_revoke(sess_session_t *s, size_t i) {
  sess_registry_t *reg = s->reg;
  sess_observer_t *o = &s->observers[i];
  if (reg->store &&
      store_revoke_observer(reg->store, s->id, o->id, sess_wall_ms()) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing observer %lld's revocation",
             (long long)o->id);
  sess_token_del(reg, o->token_hash);
  free(o->seats);
  memmove(o, o + 1, (s->n_observers - i - 1) * sizeof *o);
  s->n_observers--;
  reg->counters.observers_revoked++;
}

static int on_observer(void *arg, const store_observer_row_t *row, char *err,
                       size_t errlen) {
  sess_session_t *s = arg;
  if (row->revoked) {
    /* ids are never reused: the record names each observer once */
    if (row->observer >= s->next_observer)
      s->next_observer = row->observer + 1;
    return 0;
  }
  uint8_t *flags = calloc(s->n_seats ? s->n_seats : 1, 1);
  if (!flags) {
    snprintf(err, errlen, "out of memory restoring session %s", s->id);
    return -1;
  }
  /* The seats by id; an id the map does not have is damage. */
  const char *p = row->seats;
  while (*p) {
    while (*p == ' ')
      p++;
    size_t n = strcspn(p, " ");
    if (n == 0)
      break;
    int seat = -1;
    for (size_t i = 0; i < s->n_seats; i++) {
      const char *sid = model_map_seat_id(s->map, i);
      if (strlen(sid) == n && memcmp(sid, p, n) == 0)
        seat = (int)i;
    }
    if (seat < 0) {
      snprintf(err, errlen,
               "session %s: stored observer %lld names seat '%.*s', which "
               "its map does not have",
               s->id, (long long)row->observer, (int)(n > 64 ? 64 : n), p);
      free(flags);
      return STORE_DAMAGED;
    }
    flags[seat] = 1;
    p += n;
  }
  if (observer_add(s, row->observer, row->name, row->token_hash, flags) != 0) {
    free(flags);
    snprintf(err, errlen, "out of memory restoring session %s", s->id);
    return -1;
  }
  return 0;
}

int sess_restore_observers(sess_session_t *s, char *err, size_t errlen) {
  if (!s->reg->store)
    return 0;
  return store_read_observers(s->reg->store, s->id, on_observer, s, err,
                              errlen);
}

void sess_observers_free(sess_session_t *s) {
  for (size_t i = 0; i < s->n_observers; i++)
    free(s->observers[i].seats);
  free(s->observers);
  s->observers = NULL;
  s->n_observers = 0;
}

void sess_observers_forget(sess_session_t *s) {
  for (size_t i = 0; i < s->n_observers; i++)
    sess_token_del(s->reg, s->observers[i].token_hash);
}
