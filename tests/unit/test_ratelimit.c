/*
 * Unit tests of the token buckets (server/ratelimit.c): a burst is
 * allowed at once and then one action per refill period; the wait told to
 * a refused client is the time to its next token; a full bucket does not
 * save up time; a rate that never refills says so; the per-address table
 * gives one address the same bucket every time, and keeps separate tables
 * separate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
  rl_table_t *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

  (void)state;
  assert_non_null(a);
  assert_non_null(b);
  rl_table_init(a, (rl_rate_t){1, 0});
  rl_table_init(b, (rl_rate_t){1, 0});
  rl_bucket_t *x = rl_table_bucket(a, "192.0.2.1");
  assert_ptr_equal(rl_table_bucket(a, "192.0.2.1"), x);
  assert_true(rl_ready(x, &a->rate, 0));
  rl_take(x);
  assert_false(rl_ready(rl_table_bucket(a, "192.0.2.1"), &a->rate, 0));
  /* The other table's limit for the same address is untouched. */
  assert_true(rl_ready(rl_table_bucket(b, "192.0.2.1"), &b->rate, 0));
  free(a);
  free(b);
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_burst_then_refill),
      cmocka_unit_test(test_full_bucket_saves_nothing),
      cmocka_unit_test(test_never_refilled),
      cmocka_unit_test(test_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
