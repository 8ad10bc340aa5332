/*
 * Unit tests of the token buckets (server/ratelimit.c): a burst is
 * allowed at once and then one action per refill period; the wait told to
 * a refused client is the time to its next token; a full bucket does not
 * save up time; a rate that never refills says so; the per-address table
 * gives one address the same bucket every time, and keeps separate tables
 * separate; an IPv6 address is keyed by its /64; addresses never share a
 * bucket, so 3,000 draining addresses cost 200 others nothing; a full
 * table forgets only buckets that owe nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ratelimit.h"

static void test_burst_then_refill(void **state) {
  rl_rate_t r = {3, 1000};
  rl_bucket_t b = {0};

  (void)state;
  for (int i = 0; i < 3; i++) {
    assert_true(rl_ready(&b, &r, 5000));
    rl_take(&b);
  }
  assert_false(rl_ready(&b, &r, 5000));
  assert_int_equal(rl_wait_ms(&b, &r, 5000), 1000);
  assert_false(rl_ready(&b, &r, 5400));
  assert_int_equal(rl_wait_ms(&b, &r, 5400), 600);
  /* One period later, exactly one more. */
  assert_true(rl_ready(&b, &r, 6000));
  rl_take(&b);
  assert_false(rl_ready(&b, &r, 6000));
  /* Ten periods later, the bucket is full again but no fuller. */
  assert_true(rl_ready(&b, &r, 16000));
  for (int i = 0; i < 3; i++) {
    assert_true(rl_ready(&b, &r, 16000));
    rl_take(&b);
  }
  assert_false(rl_ready(&b, &r, 16000));
}

/* Time spent full does not count towards the next token. */
static void test_full_bucket_saves_nothing(void **state) {
  rl_rate_t r = {1, 1000};
  rl_bucket_t b = {0};

  (void)state;
  assert_true(rl_ready(&b, &r, 0));
  assert_true(rl_ready(&b, &r, 999999));
  rl_take(&b);
  assert_false(rl_ready(&b, &r, 999999 + 999));
  assert_true(rl_ready(&b, &r, 999999 + 1000));
}

static void test_never_refilled(void **state) {
  rl_rate_t r = {1, 0};
  rl_bucket_t b = {0};
  char text[80];

  (void)state;
  assert_true(rl_ready(&b, &r, 0));
  rl_take(&b);
  assert_false(rl_ready(&b, &r, 1000000));
  assert_int_equal(rl_wait_ms(&b, &r, 1000000), -1);
  rl_retry_text(text, sizeof text, -1);
  assert_non_null(strstr(text, "not refilled"));
  rl_retry_text(text, sizeof text, 2500);
  assert_string_equal(text, "try again in 2.5 s");
}

static void test_table(void **state) {
  rl_table_t a, b;

  (void)state;
  assert_int_equal(rl_table_init(&a, (rl_rate_t){1, 0}, 100), 0);
  assert_int_equal(rl_table_init(&b, (rl_rate_t){1, 0}, 100), 0);
  assert_int_equal(a.cap, 128); /* rounded up to a power of two */
  rl_bucket_t *x = rl_table_get(&a, "192.0.2.1", 0);
  assert_non_null(x);
  assert_ptr_equal(rl_table_get(&a, "192.0.2.1", 0), x);
  assert_true(rl_ready(x, &a.rate, 0));
  rl_take(x);
  assert_false(rl_ready(rl_table_get(&a, "192.0.2.1", 0), &a.rate, 0));
  /* Another address has its own bucket: addresses never share one. */
  assert_true(rl_ready(rl_table_get(&a, "192.0.2.2", 0), &a.rate, 0));
  /* The other table's limit for the same address is untouched. */
  assert_true(rl_ready(rl_table_get(&b, "192.0.2.1", 0), &b.rate, 0));
  rl_table_free(&a);
  rl_table_free(&b);
}

static bool key_eq(const char *x, const char *y) {
  rl_key_t a, b;
  rl_key_of(x, &a);
  rl_key_of(y, &b);
  return memcmp(a.b, b.b, RL_KEY_BYTES) == 0;
}

/* An IPv6 host picks its low 64 bits at will: it is keyed by its /64.
 * IPv4 addresses are keyed whole, also when they come IPv4-mapped. */
static void test_key_ipv6_by_64(void **state) {
  (void)state;
  assert_true(key_eq("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"));
  assert_true(key_eq("2001:db8:1:2::1", "2001:0db8:0001:0002:0:0:0:7"));
  assert_false(key_eq("2001:db8:1:2::1", "2001:db8:1:3::1"));
  assert_false(key_eq("2001:db8:1:2::1", "2001:db8:1::1"));
  assert_false(key_eq("192.0.2.1", "192.0.2.2"));
  assert_true(key_eq("192.0.2.1", "::ffff:192.0.2.1"));
  assert_false(key_eq("192.0.2.1", "::1"));
  /* Not an address at all: keyed by its text, never like an address. */
  assert_true(key_eq("local", "local"));
  assert_false(key_eq("local", "remote"));
  assert_false(key_eq("0.0.0.0", "::"));

  /* In a table: the whole /64 shares one bucket. */
  rl_table_t t;
  assert_int_equal(rl_table_init(&t, (rl_rate_t){2, 0}, 64), 0);
  for (int i = 0; i < 2; i++) {
    char addr[64];
    snprintf(addr, sizeof addr, "2001:db8:5:6::%x", 0x1000 + i);
    rl_bucket_t *b = rl_table_get(&t, addr, 0);
    assert_true(rl_ready(b, &t.rate, 0));
    rl_take(b);
  }
  assert_false(
      rl_ready(rl_table_get(&t, "2001:db8:5:6:abcd::", 0), &t.rate, 0));
  assert_true(rl_ready(rl_table_get(&t, "2001:db8:5:7::1", 0), &t.rate, 0));
  rl_table_free(&t);
}

/*
 * The security test's case: 3,000 addresses each drain their bucket, and
 * then 200 other addresses make their first attempt. With the old fixed
 * table of 4,096 shared buckets, 89 of 200 were refused; now addresses
 * never share a bucket and a bucket in debt is never handed to another,
 * so every innocent first attempt is allowed.
 */
static void test_draining_spares_others(void **state) {
  rl_table_t t;
  rl_rate_t r = {10, 6000};
  char addr[64];

  (void)state;
  assert_int_equal(rl_table_init(&t, r, RL_TABLE_SIZE_DEFAULT), 0);
  for (int i = 0; i < 3000; i++) {
    snprintf(addr, sizeof addr, "10.%d.%d.%d", i / 65536, (i / 256) % 256,
             i % 256);
    rl_bucket_t *b = rl_table_get(&t, addr, 1000);
    assert_non_null(b);
    while (rl_ready(b, &t.rate, 1000))
      rl_take(b);
  }
  int refused = 0;
  for (int i = 0; i < 200; i++) {
    snprintf(addr, sizeof addr, "172.16.%d.%d", i / 256, i % 256);
    rl_bucket_t *b = rl_table_get(&t, addr, 1500);
    refused += !b || !rl_ready(b, &t.rate, 1500);
  }
  assert_int_equal(refused, 0);
  assert_int_equal(t.full, 0);
  /* The attackers are still refused: none of their debt was forgotten. */
  for (int i = 0; i < 3000; i += 7) {
    snprintf(addr, sizeof addr, "10.%d.%d.%d", i / 65536, (i / 256) % 256,
             i % 256);
    assert_false(rl_ready(rl_table_get(&t, addr, 1500), &t.rate, 1500));
  }
  rl_table_free(&t);
}

/* A full table forgets only buckets that owe nothing; while every bucket
 * a new address could use is in debt, the address gets none (counted),
 * and the debtors stay refused. */
static void test_full_table_keeps_debt(void **state) {
  rl_table_t t;
  rl_rate_t r = {2, 60000};
  char addr[64];

  (void)state;
  assert_int_equal(rl_table_init(&t, r, RL_TABLE_PROBE), 0);
  assert_int_equal(t.cap, RL_TABLE_PROBE);
  for (unsigned i = 0; i < RL_TABLE_PROBE; i++) {
    snprintf(addr, sizeof addr, "198.51.100.%u", i);
    rl_bucket_t *b = rl_table_get(&t, addr, 0);
    assert_non_null(b);
    assert_true(rl_ready(b, &t.rate, 0));
    rl_take(b); /* one token owed */
  }
  assert_int_equal(t.used, RL_TABLE_PROBE);
  assert_null(rl_table_get(&t, "203.0.113.1", 1000));
  assert_int_equal(t.full, 1);
  assert_int_equal(t.evicted, 0);
  for (unsigned i = 0; i < RL_TABLE_PROBE; i++) {
    snprintf(addr, sizeof addr, "198.51.100.%u", i);
    rl_bucket_t *b = rl_table_get(&t, addr, 1000);
    assert_non_null(b);
    assert_int_equal(b->tokens, 1); /* the same bucket, debt and all */
  }
  /* Once a refill has paid the debts, a new address takes a slot. */
  rl_bucket_t *n = rl_table_get(&t, "203.0.113.1", 60000);
  assert_non_null(n);
  assert_int_equal(t.evicted, 1);
  assert_true(rl_ready(n, &t.rate, 60000));
  rl_table_free(&t);
}

/* Buckets that were looked up but never charged owe nothing: a new
 * address may take their place at once. */
static void test_debt_free_evicted(void **state) {
  rl_table_t t;
  char addr[64];

  (void)state;
  assert_int_equal(rl_table_init(&t, (rl_rate_t){3, 0}, RL_TABLE_PROBE), 0);
  for (unsigned i = 0; i < RL_TABLE_PROBE; i++) {
    snprintf(addr, sizeof addr, "198.51.100.%u", i);
    assert_non_null(rl_table_get(&t, addr, 0));
  }
  for (unsigned i = 0; i < 10; i++) {
    snprintf(addr, sizeof addr, "203.0.113.%u", i);
    assert_non_null(rl_table_get(&t, addr, 0));
  }
  assert_int_equal(t.evicted, 10);
  assert_int_equal(t.full, 0);
  rl_table_free(&t);
}

/* rl_debt_free: full, or refilled to full by now. */
static void test_debt_free(void **state) {
  rl_rate_t r = {2, 1000};
  rl_bucket_t b = {0};

  (void)state;
  assert_true(rl_debt_free(&b, &r, 0));
  assert_true(rl_ready(&b, &r, 0));
  rl_take(&b);
  rl_take(&b);
  assert_false(rl_debt_free(&b, &r, 1999));
  assert_true(rl_debt_free(&b, &r, 2000));
  rl_rate_t never = {1, 0};
  rl_bucket_t c = {0};
  assert_true(rl_ready(&c, &never, 0));
  rl_take(&c);
  assert_false(rl_debt_free(&c, &never, 1000000));
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_burst_then_refill),
      cmocka_unit_test(test_full_bucket_saves_nothing),
      cmocka_unit_test(test_never_refilled),
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_key_ipv6_by_64),
      cmocka_unit_test(test_draining_spares_others),
      cmocka_unit_test(test_full_table_keeps_debt),
      cmocka_unit_test(test_debt_free_evicted),
      cmocka_unit_test(test_debt_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
