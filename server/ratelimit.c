/*
 * ratelimit: token buckets and the per-address table of them. See
 * ratelimit.h.
 */
#include "ratelimit.h"

#include <stdio.h>
#include <string.h>

bool rl_ready(rl_bucket_t *b, const rl_rate_t *r, int64_t now) {
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

void rl_take(rl_bucket_t *b) {
  if (b->tokens > 0)
    b->tokens--;
}

int64_t rl_wait_ms(const rl_bucket_t *b, const rl_rate_t *r, int64_t now) {
  if (b->tokens > 0)
    return 0;
  if (r->refill_ms == 0)
    return -1;
  int64_t wait = b->stamp + r->refill_ms - now;
  return wait > 0 ? wait : 0;
}

void rl_retry_text(char *buf, size_t len, int64_t wait_ms) {
  if (wait_ms < 0)
    snprintf(buf, len, "this limit is not refilled; ask the operator");
  else
    snprintf(buf, len, "try again in %.1f s",
             (double)(wait_ms < 100 ? 100 : wait_ms) / 1000.0);
}

void rl_table_init(rl_table_t *t, rl_rate_t rate) {
  memset(t->buckets, 0, sizeof(t->buckets));
  t->rate = rate;
  crypto_shorthash_keygen(t->key);
}

rl_bucket_t *rl_table_bucket(rl_table_t *t, const char *addr) {
  uint64_t h;
  crypto_shorthash((unsigned char *)&h, (const unsigned char *)addr,
                   strlen(addr), t->key);
  return &t->buckets[h % RL_TABLE_BUCKETS];
}
