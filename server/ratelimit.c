/*
 * ratelimit: token buckets and the per-address table of them. See
 * ratelimit.h.
 */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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

bool rl_debt_free(const rl_bucket_t *b, const rl_rate_t *r, int64_t now) {
  if (!b->used || b->tokens >= r->burst)
    return true;
  if (r->refill_ms == 0 || now < b->stamp)
    return false;
  uint64_t refill = (uint64_t)(now - b->stamp) / r->refill_ms;
  return (uint64_t)b->tokens + refill >= r->burst;
}

void rl_retry_text(char *buf, size_t len, int64_t wait_ms) {
  if (wait_ms < 0)
    snprintf(buf, len, "this limit is not refilled; ask the operator");
  else
    snprintf(buf, len, "try again in %.1f s",
             (double)(wait_ms < 100 ? 100 : wait_ms) / 1000.0);
}

void rl_key_of(const char *addr, rl_key_t *out) {
  struct in_addr a4;
  struct in6_addr a6;

  memset(out, 0, sizeof *out);
  if (inet_pton(AF_INET, addr, &a4) == 1) {
    out->b[10] = out->b[11] = 0xff;
    memcpy(out->b + 12, &a4, 4);
  } else if (inet_pton(AF_INET6, addr, &a6) == 1) {
    /* An IPv4 client on a dual-stack socket is the IPv4 address whole. */
    if (IN6_IS_ADDR_V4MAPPED(&a6))
      memcpy(out->b, &a6, RL_KEY_BYTES);
    else
      memcpy(out->b, &a6, 8); /* the /64 */
  } else {
    crypto_generichash(out->b, RL_KEY_BYTES, (const unsigned char *)addr,
                       strlen(addr), NULL, 0);
  }
}

int rl_table_init(rl_table_t *t, rl_rate_t rate, size_t cap) {
  size_t n = RL_TABLE_PROBE;

  while (n < cap && n < ((size_t)1 << 30))
    n *= 2;
  memset(t, 0, sizeof *t);
  t->slots = calloc(n, sizeof *t->slots);
  if (!t->slots)
    return -1;
  t->cap = n;
  t->rate = rate;
  crypto_shorthash_keygen(t->key);
  return 0;
}

void rl_table_free(rl_table_t *t) {
  free(t->slots);
  t->slots = NULL;
  t->cap = t->used = 0;
}

/* Slots are never emptied, only handed to another address, so a key
 * placed at slot p has only occupied slots between its hash and p: a
 * search may stop at the first free slot. */
rl_bucket_t *rl_table_get(rl_table_t *t, const char *addr, int64_t now) {
  rl_key_t k;
  uint64_t h;
  size_t mask = t->cap - 1, reuse = SIZE_MAX;

  rl_key_of(addr, &k);
  crypto_shorthash((unsigned char *)&h, k.b, sizeof k.b, t->key);
  for (size_t i = 0; i < RL_TABLE_PROBE; i++) {
    rl_slot_t *s = &t->slots[(h + i) & mask];
    if (!s->b.used) {
      s->key = k;
      t->used++;
      s->b.used = true;
      s->b.tokens = t->rate.burst;
      s->b.stamp = now;
      return &s->b;
    }
    if (memcmp(s->key.b, k.b, RL_KEY_BYTES) == 0)
      return &s->b;
    if (reuse == SIZE_MAX && rl_debt_free(&s->b, &t->rate, now))
      reuse = (h + i) & mask;
  }
  if (reuse == SIZE_MAX) {
    t->full++;
    return NULL;
  }
  rl_slot_t *s = &t->slots[reuse];
  t->evicted++;
  s->key = k;
  s->b.used = true;
  s->b.tokens = t->rate.burst;
  s->b.stamp = now;
  return &s->b;
}
