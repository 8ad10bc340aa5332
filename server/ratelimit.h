/*
 * ratelimit: token buckets, alone or in a table keyed by client address.
 *
 * A bucket holds up to `burst` tokens and gets one back every refill_ms;
 * an action that finds no token left is refused with how long to wait.
 * The session layer uses them for wrong join codes and session.create per
 * address and for chat per seat; the connection core can use the same
 * table for limits per address.
 *
 * Everything here is plain memory: the caller owns buckets and tables
 * (embed them; nothing is allocated or freed) and passes the time `now`
 * in milliseconds of whatever clock it keeps (the loop's uv_now, say),
 * the same clock for every call on one bucket.
 */
#ifndef LANTHANIDE_RATELIMIT_H
#define LANTHANIDE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

/* Buckets of a per-address table. */
#define RL_TABLE_BUCKETS 4096u

/* A token bucket: `tokens` left, refilled by one every refill_ms up to
 * burst (rl_rate_t). Zeroed is "not used yet" (full). */
typedef struct rl_bucket {
  int64_t stamp;   /* time of the last refill */
  uint32_t tokens; /* attempts still allowed */
  bool used;
} rl_bucket_t;

typedef struct rl_rate {
  unsigned burst;
  unsigned refill_ms; /* 0: never refilled */
} rl_rate_t;

/* A bucket per client address, in a fixed table indexed by a keyed
 * SipHash of the address: memory is bounded whatever the number of
 * addresses (two addresses may share a bucket, which only makes the limit
 * stricter for both), and the random key keeps a client from choosing
 * addresses that share one on purpose. */
typedef struct rl_table {
  rl_rate_t rate;
  unsigned char key[crypto_shorthash_KEYBYTES];
  rl_bucket_t buckets[RL_TABLE_BUCKETS];
} rl_table_t;

/* Refill b up to now and say whether a token is left. */
bool rl_ready(rl_bucket_t *b, const rl_rate_t *r, int64_t now);
/* Use one token (after rl_ready said yes). */
void rl_take(rl_bucket_t *b);
/* How long until the next token: 0 if one is left, -1 if never (a rate
 * with refill_ms 0). */
int64_t rl_wait_ms(const rl_bucket_t *b, const rl_rate_t *r, int64_t now);
/* "try again in 2.5 s" (or "... not refilled") into buf, for an error
 * message. */
void rl_retry_text(char *buf, size_t len, int64_t wait_ms);

/* Empty every bucket of t (all full), set its rate and draw its key.
 * libsodium must be initialised. */
void rl_table_init(rl_table_t *t, rl_rate_t rate);
/* The bucket of a client address (a string such as rpc_peer_t.addr). */
rl_bucket_t *rl_table_bucket(rl_table_t *t, const char *addr);

#endif
