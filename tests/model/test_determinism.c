/* test_determinism.c: same map, seed and orders give identical state hashes
 * (twice in one process, also through clones); different seeds differ where
 * events are random. The cross-process half is model_hash_cross_process. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define MAXT 64

static size_t hashes(const char *id, uint64_t seed,
                     uint8_t out[MAXT][MODEL_HASH_BYTES]) {
  model_map_t *m = helper_load(id);
  model_state_t *st;
  assert_int_equal(model_state_new(m, seed, &st), 0);
  size_t n = 0;
  while (model_state_turn(st) < model_state_turns(st) && n < MAXT) {
    assert_int_equal(model_resolve(st), 0);
    assert_int_equal(model_state_hash(st, out[n++]), 0);
  }
  model_state_free(st);
  model_map_free(m);
  return n;
}

static void test_same_seed_same_hashes(void **state) {
  (void)state;
  static uint8_t a[MAXT][MODEL_HASH_BYTES], b[MAXT][MODEL_HASH_BYTES];
  for (size_t i = 0; i < helper_n_maps; i++) {
    size_t na = hashes(helper_maps[i], 11, a);
    size_t nb = hashes(helper_maps[i], 11, b);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * MODEL_HASH_BYTES);
  }
}

static void test_different_seeds_differ(void **state) {
  (void)state;
  static uint8_t a[MAXT][MODEL_HASH_BYTES], b[MAXT][MODEL_HASH_BYTES];
  size_t na = hashes("classroom", 1, a);
  size_t nb = hashes("classroom", 2, b);
  assert_int_equal(na, nb);
  /* the seed is part of the state, so even turn 0 differs; and the games
   * differ in substance: some events fire differently */
  assert_memory_not_equal(a[na - 1], b[nb - 1], MODEL_HASH_BYTES);
  model_map_t *m = helper_load("classroom");
  model_state_t *s1, *s2;
  assert_int_equal(model_state_new(m, 1, &s1), 0);
  assert_int_equal(model_state_new(m, 2, &s2), 0);
  bool differ = false;
  while (model_state_turn(s1) < model_state_turns(s1)) {
    assert_int_equal(model_resolve(s1), 0);
    assert_int_equal(model_resolve(s2), 0);
    const model_report_t *r1 = model_last_report(s1),
                         *r2 = model_last_report(s2);
    if (r1->n_news != r2->n_news ||
        memcmp(r1->production, r2->production,
               sizeof(int64_t) * MODEL_STAGES * r1->n_nations) != 0)
      differ = true;
  }
  assert_true(differ);
  model_state_free(s1);
  model_state_free(s2);
  model_map_free(m);
}

static void test_clone_continues_identically(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st, *cl;
  assert_int_equal(model_state_new(m, 5, &st), 0);
  for (int t = 0; t < 5; t++)
    assert_int_equal(model_resolve(st), 0);
  assert_int_equal(model_state_clone(st, &cl), 0);
  while (model_state_turn(st) < model_state_turns(st)) {
    uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
    assert_int_equal(model_resolve(st), 0);
    assert_int_equal(model_resolve(cl), 0);
    assert_int_equal(model_state_hash(st, h1), 0);
    assert_int_equal(model_state_hash(cl, h2), 0);
    assert_memory_equal(h1, h2, MODEL_HASH_BYTES);
  }
  model_state_free(st);
  model_state_free(cl);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_seed_same_hashes),
      cmocka_unit_test(test_different_seeds_differ),
      cmocka_unit_test(test_clone_continues_identically),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
