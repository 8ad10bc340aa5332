/*
 * The registry's set of token hashes (server/sess_token.c): a revoked
 * token leaves it (sess_token_del, backward-shift deletion in an
 * open-addressing table), and every other token is still found, however
 * the deletions fell among the probe chains. The set is what tells
 * "another session's token" (forbidden) from "no token of ours"
 * (unauthorized), so a lost entry would turn a valid token's answer into
 * the wrong one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "sess_internal.h"

#define N 5000

static void hash_of(unsigned i, uint8_t h[SESS_HASH_BYTES]) {
  char tok[32];
  int n = snprintf(tok, sizeof tok, "token-%u", i);
  sess_hash_token(tok, (size_t)n, h);
}

static void test_add_del(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  sess_config_t cfg;
  sess_config_default(&cfg);
  sess_registry_t *reg;
  assert_int_equal(sess_registry_new(&reg, &loop, &cfg), 0);
  uint8_t h[SESS_HASH_BYTES];
  for (unsigned i = 0; i < N; i++) {
    hash_of(i, h);
    assert_int_equal(sess_token_add(reg, h), 0);
  }
  /* Delete every third token, in an order unlike the insertions. */
  for (unsigned k = 0; k < N; k++) {
    unsigned i = (k * 7919u) % N;
    if (i % 3 == 0) {
      hash_of(i, h);
      sess_token_del(reg, h);
      sess_token_del(reg, h); /* twice: the second finds nothing */
    }
  }
  for (unsigned i = 0; i < N; i++) {
    hash_of(i, h);
    assert_int_equal(sess_token_known(reg, h), i % 3 != 0);
  }
  /* Deleted ones can come back; unknown ones stay unknown. */
  hash_of(3, h);
  assert_int_equal(sess_token_add(reg, h), 0);
  assert_true(sess_token_known(reg, h));
  hash_of(N + 1, h);
  assert_false(sess_token_known(reg, h));
  sess_token_del(reg, h);
  sess_registry_close(reg);
  uv_run(&loop, UV_RUN_DEFAULT);
  sess_registry_free(reg);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_add_del)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
