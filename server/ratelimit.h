/*
 * ratelimit: token buckets, alone or in a table keyed by client address.
 *
 * A bucket holds up to `burst` tokens and gets one back every refill_ms;
 * an action that finds no token left is refused with how long to wait.
 * The session layer uses them for wrong join codes and session.create per
 * address and for chat per seat; the connection core can use the same
 * table for limits per address.
 *
 * The caller owns buckets and tables (embed them); a table allocates its
 * slots in rl_table_init and frees them in rl_table_free. Every call takes
 * the time `now` in milliseconds of whatever clock the caller keeps (the
 * loop's uv_now, say), the same clock for every call on one bucket.
 */
#ifndef LANTHANIDE_RATELIMIT_H
#define LANTHANIDE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

/* Slots of a per-address table, by default (--rate-table-size): each is
 * 32 bytes, so a table of the default takes 512 KiB. */
#define RL_TABLE_SIZE_DEFAULT 16384u
/* The smallest table; also how many slots a new address may look at
 * (its probe window) for a free or debt-free one. */
#define RL_TABLE_PROBE 32u

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

/* What a table keys a client by: an IPv4 address whole (as the IPv4-mapped
 * IPv6 address ::ffff:a.b.c.d), an IPv6 address by its /64 prefix (one
 * host is given a /64 and picks its low 64 bits at will, so keying the
 * /128 would give it 2^64 buckets), anything else by a hash of its text. */
#define RL_KEY_BYTES 16
typedef struct rl_key {
  uint8_t b[RL_KEY_BYTES];
} rl_key_t;

void rl_key_of(const char *addr, rl_key_t *out);

typedef struct rl_slot {
  rl_key_t key;
  rl_bucket_t b; /* b.used: the slot holds key's bucket */
} rl_slot_t;

/*
 * A bucket per client address, in an open-addressing table indexed by a
 * keyed SipHash of the address key (rl_key_of): two addresses never share
 * a bucket, and the random key keeps a client from choosing addresses
 * whose slots collide. A new address takes the first free slot of its
 * probe window (RL_TABLE_PROBE slots from its hash); when the window is
 * full it takes a slot whose bucket carries no debt (refilled to its
 * burst: forgetting it changes nothing), and never one in debt, so an
 * attacker with many addresses cannot evict the buckets it drained and
 * start again, nor (addresses never share) drain anyone else's. When
 * every slot of the window is in debt the address gets no bucket
 * (rl_table_get returns NULL, counted in `full`): the caller refuses the
 * charged action, which an attacker can only cause by keeping about as
 * many addresses as the table has slots in debt at once.
 */
typedef struct rl_table {
  rl_rate_t rate;
  unsigned char key[crypto_shorthash_KEYBYTES];
  rl_slot_t *slots;
  size_t cap;       /* a power of two, at least RL_TABLE_PROBE */
  size_t used;      /* slots holding a bucket */
  uint64_t evicted; /* debt-free buckets forgotten for a new address */
  uint64_t full;    /* addresses that found no bucket */
} rl_table_t;

/* Refill b up to now and say whether a token is left. */
bool rl_ready(rl_bucket_t *b, const rl_rate_t *r, int64_t now);
/* Use one token (after rl_ready said yes). */
void rl_take(rl_bucket_t *b);
/* How long until the next token: 0 if one is left, -1 if never (a rate
 * with refill_ms 0). */
int64_t rl_wait_ms(const rl_bucket_t *b, const rl_rate_t *r, int64_t now);
/* Would b be full again at now (it owes nothing)? b is not changed. */
bool rl_debt_free(const rl_bucket_t *b, const rl_rate_t *r, int64_t now);
/* "try again in 2.5 s" (or "... not refilled") into buf, for an error
 * message. */
void rl_retry_text(char *buf, size_t len, int64_t wait_ms);

/* Set up t with cap slots (rounded up to a power of two, at least
 * RL_TABLE_PROBE), every one free, its rate, and a random key. libsodium
 * must be initialised. Returns 0, or -1 out of memory. */
int rl_table_init(rl_table_t *t, rl_rate_t rate, size_t cap);
void rl_table_free(rl_table_t *t);
/* The bucket of a client address (a string such as rpc_peer_t.addr),
 * found or made at now; NULL when the table has no room for it (every
 * slot it may use is in debt; counted in t->full). The pointer is valid
 * until the next rl_table_get on t. */
rl_bucket_t *rl_table_get(rl_table_t *t, const char *addr, int64_t now);

#endif
