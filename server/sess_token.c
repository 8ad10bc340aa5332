/*
 * Identity of sessions: tokens and join codes, their hashes, the token
 * sealed under its seat's join code, who a presented token is
 * (sess_identify), and the registry's set of every token hash issued.
 * Secrets are kept only as BLAKE2b hashes and compared in constant time
 * (see sess_internal.h).
 */
#include "sess_internal.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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
