/* test_serialise.c: the serialisation round-trips exactly (bytes and hash),
 * mid-game with pending orders and injected events, and refuses corrupt
 * input or a state of another map. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

static void roundtrip(model_state_t *st, const model_map_t *m) {
  uint8_t *a, *b;
  size_t la, lb;
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_serialise(st, &a, &la), 0);
  model_state_t *back;
  assert_int_equal(model_state_deserialise(m, a, la, &back), 0);
  assert_int_equal(model_state_serialise(back, &b, &lb), 0);
  assert_int_equal(la, lb);
  assert_memory_equal(a, b, la);
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, MODEL_HASH_BYTES);
  /* a clone (a direct deep copy) holds every serialised field: the same
   * bytes */
  model_state_t *c1;
  assert_int_equal(model_state_clone(st, &c1), 0);
  uint8_t *c;
  size_t lc;
  assert_int_equal(model_state_serialise(c1, &c, &lc), 0);
  if (lc != la || memcmp(a, c, la) != 0)
    fail_msg("turn %d: the clone serialises to %zu bytes unlike the "
             "original's %zu (or differs in them); a clone must copy every "
             "field of the state",
             model_state_turn(st), lc, la);
  free(c);
  /* both go on identically */
  if (model_state_turn(st) < model_state_turns(st)) {
    assert_int_equal(model_resolve(c1), 0);
    assert_int_equal(model_resolve(back), 0);
    assert_int_equal(model_state_hash(c1, h1), 0);
    assert_int_equal(model_state_hash(back, h2), 0);
    assert_memory_equal(h1, h2, MODEL_HASH_BYTES);
  }
  model_state_free(c1);
  model_state_free(back);
  free(a);
  free(b);
}

static void test_roundtrip_every_turn(void **state) {
  (void)state;
  for (size_t i = 0; i < helper_n_maps; i++) {
    model_map_t *m = helper_load(helper_maps[i]);
    model_state_t *st;
    assert_int_equal(model_state_new(m, 3, &st), 0);
    roundtrip(st, m);
    while (model_state_turn(st) < model_state_turns(st)) {
      assert_int_equal(model_resolve(st), 0);
      roundtrip(st, m);
    }
    model_state_free(st);
    model_map_free(m);
  }
}

static void test_roundtrip_pending_and_injected(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 3, &st), 0);
  assert_int_equal(model_resolve(st), 0);
  model_order_t o[2];
  memset(o, 0, sizeof o);
  o[0].op = MODEL_OP_OFFER;
  o[0].product = MODEL_MAGNET;
  o[0].quantity_kg = 1000;
  o[0].price_cents_per_kg = 9000;
  o[1].op = MODEL_OP_HIRE;
  o[1].skill = MODEL_MAGNETS;
  o[1].count = 5;
  int s = model_map_seat_index(m, "dragon_magnets");
  size_t nref = 9;
  assert_int_equal(model_submit(st, s, o, 2, NULL, 0, &nref), 0);
  assert_int_equal(nref, 0);
  model_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = MODEL_EV_DEMAND_SURGE;
  ev.product = MODEL_MAGNET;
  ev.stage = -1;
  ev.magnitude_ppm = 200000;
  ev.duration = 2;
  assert_int_equal(model_inject_event(st, &ev), 0);
  roundtrip(st, m);
  /* the clone owns its pending orders, trades and flows: it plays on the
   * same after the original is gone */
  model_state_t *cl, *ref;
  assert_int_equal(model_state_clone(st, &cl), 0);
  assert_int_equal(model_state_clone(st, &ref), 0);
  model_state_free(st);
  assert_int_equal(model_resolve(cl), 0);
  assert_int_equal(model_resolve(ref), 0);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(cl, h1), 0);
  assert_int_equal(model_state_hash(ref, h2), 0);
  assert_memory_equal(h1, h2, MODEL_HASH_BYTES);
  const model_trade_t *t;
  assert_true(model_last_trades(cl, MODEL_MAGNET, &t) > 0);
  model_state_free(cl);
  model_state_free(ref);
  model_map_free(m);
}

static void test_corrupt_refused(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_map_t *other = helper_load("trade");
  model_state_t *st, *back = NULL;
  assert_int_equal(model_state_new(m, 3, &st), 0);
  uint8_t *a;
  size_t la;
  assert_int_equal(model_state_serialise(st, &a, &la), 0);
  assert_int_equal(model_state_deserialise(other, a, la, &back), MODEL_ESTATE);
  assert_int_equal(model_state_deserialise(m, a, la / 2, &back), MODEL_ESTATE);
  uint8_t *bad = malloc(la + 1);
  memcpy(bad, a, la);
  bad[la] = 0xc0;
  assert_int_equal(model_state_deserialise(m, bad, la + 1, &back),
                   MODEL_ESTATE);
  /* flipping bytes never crashes; it is refused or yields a state */
  for (size_t i = 0; i < la; i += 1 + la / 200) {
    memcpy(bad, a, la);
    bad[i] ^= 0x5a;
    if (model_state_deserialise(m, bad, la, &back) == 0)
      model_state_free(back);
  }
  free(bad);
  free(a);
  model_state_free(st);
  model_map_free(m);
  model_map_free(other);
}

/* A program that never calls sodium_init (this test does not) may use the
 * model: its first use initialises libsodium itself, before anything is
 * hashed. sodium_init returns 1 when it has run already. Must run first. */
static void test_sodium_initialised_by_model(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  if (sodium_init() != 1)
    fail_msg("loading a map did not initialise libsodium; the model must "
             "call sodium_init before it hashes the map");
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      /* first: no libsodium use before it in this process */
      cmocka_unit_test(test_sodium_initialised_by_model),
      cmocka_unit_test(test_roundtrip_every_turn),
      cmocka_unit_test(test_roundtrip_pending_and_injected),
      cmocka_unit_test(test_corrupt_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
