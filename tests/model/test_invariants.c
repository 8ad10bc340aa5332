/* test_invariants.c: DOMAIN.md's invariants (material balance, money
 * balance, market sanity) on every turn of every shipped map under standing
 * orders, and under thousands of random valid order sets (property test). */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void run_standing(const char *id, uint64_t seed) {
  model_map_t *m = helper_load(id);
  model_state_t *st;
  assert_int_equal(model_state_new(m, seed, &st), 0);
  char where[96];
  while (model_state_turn(st) < model_state_turns(st)) {
    int64_t before = helper_money_total(st);
    snprintf(where, sizeof where, "%s turn %d", id, model_state_turn(st));
    assert_int_equal(model_resolve(st), 0);
    helper_check_invariants(st, &before, where);
  }
  assert_int_equal(model_resolve(st), MODEL_EFINISHED);
  model_state_free(st);
  model_map_free(m);
}

static void test_standing_orders_all_maps(void **state) {
  (void)state;
  for (size_t i = 0; i < helper_n_maps; i++)
    for (uint64_t seed = 1; seed <= 3; seed++)
      run_standing(helper_maps[i], seed);
}

/* ---- random valid orders ---- */
static const char *nation_id(const model_map_t *m, uint64_t *r) {
  size_t n = model_map_nation_count(m);
  return model_map_nation_id(m, (size_t)helper_range(r, 0, (int64_t)n - 1));
}

static void random_order(const model_state_t *st, int seat, uint64_t *r,
                         const model_obs_t *o, model_order_t *out) {
  const model_map_t *m = model_state_map(st);
  memset(out, 0, sizeof *out);
  bool firm = model_map_seat_kind(m, (size_t)seat) == MODEL_SEAT_FIRM;
  int choice = (int)helper_range(r, 0, 9);
  /* a product of the map (design J1: the draw is the same on basket maps) */
  int pl[MODEL_PRODUCTS], np = 0;
  for (int q = 0; q < MODEL_PRODUCTS; q++)
    if (model_map_has_product(m, q))
      pl[np++] = q;
  int p = pl[helper_range(r, 0, np - 1)];
  int64_t ref = o->price[p] > 0 ? o->price[p] : 100;
  if (choice <= 2) {
    out->op = helper_range(r, 0, 1) ? MODEL_OP_OFFER : MODEL_OP_BID;
    out->product = p;
    out->quantity_kg = helper_range(r, 0, 5000000);
    out->price_cents_per_kg = helper_range(r, 0, 3 * ref);
    return;
  }
  if (choice == 3) {
    out->op = MODEL_OP_TRAIN;
    out->skill = (int)helper_range(r, 0, 2);
    out->count = helper_range(r, 1, 20);
    return;
  }
  if (firm) {
    if (choice <= 5 && o->n_facilities) {
      out->op = MODEL_OP_OPERATE;
      snprintf(
          out->facility, sizeof out->facility, "%s",
          o->facilities[helper_range(r, 0, (int64_t)o->n_facilities - 1)].id);
      out->utilisation_ppm = helper_range(r, 0, MODEL_PPM);
      return;
    }
    if (choice <= 7) {
      out->op = MODEL_OP_HIRE;
      out->skill = (int)helper_range(r, 0, 2);
      out->count = helper_range(r, 0, 1) || o->staff[out->skill] == 0
                       ? helper_range(r, 1, 30)
                       : -helper_range(r, 1, o->staff[out->skill]);
      return;
    }
    out->op = MODEL_OP_BUILD;
    out->stage = (int)helper_range(r, 0, 2);
    out->capacity_kg_per_year = helper_range(r, 1000, 200000);
    if (out->stage == MODEL_MINING) {
      /* a deposit id: from a mining facility of the seat, else a guess that
       * validation may refuse */
      for (size_t k = 0; k < o->n_facilities; k++)
        if (o->facilities[k].stage == MODEL_MINING)
          snprintf(out->site, sizeof out->site, "%s", o->facilities[k].site);
      if (!out->site[0])
        snprintf(out->site, sizeof out->site, "nowhere");
    }
    if (helper_range(r, 0, 1) && o->n_facilities) {
      const model_obs_facility_t *f =
          &o->facilities[helper_range(r, 0, (int64_t)o->n_facilities - 1)];
      snprintf(out->facility, sizeof out->facility, "%s", f->id);
      out->stage = f->stage;
    }
    return;
  }
  out->op = MODEL_OP_POLICY;
  out->kind = (model_policy_kind_t)helper_range(r, 0, MODEL_POLICY_KINDS - 1);
  out->product = p;
  out->stage = (int)helper_range(r, 0, 2);
  out->skill = (int)helper_range(r, 0, 2);
  const char *partner = nation_id(m, r);
  if (strcmp(partner, o->nation) == 0 || helper_range(r, 0, 2) == 0)
    partner = "all";
  snprintf(out->partner, sizeof out->partner, "%s", partner);
  out->quantity_kg = helper_range(r, 0, 20000000);
  out->lift = helper_range(r, 0, 4) == 0;
  out->rate_ppm = helper_range(r, 0, 500000);
  out->approval_ppm = helper_range(r, 0, MODEL_PPM);
  out->capex_share_ppm = helper_range(r, 0, 500000);
  out->output_cents_per_kg = helper_range(r, 0, 500);
  out->price_cents_per_kg = helper_range(r, 0, 2 * ref);
  out->target_kg = helper_range(r, 0, 5000000);
  out->budget_cents = helper_range(r, 0, 100000000);
  out->inbound = helper_range(r, 0, 1);
  out->outbound = helper_range(r, 0, 1);
  out->speed_ppm = helper_range(r, 500000, 2000000);
}

static void run_random(const char *id, uint64_t seed, size_t *sets,
                       size_t *accepted) {
  model_map_t *m = helper_load(id);
  model_state_t *st;
  assert_int_equal(model_state_new(m, seed, &st), 0);
  uint64_t r = seed * 7919 + 1;
  char where[96];
  while (model_state_turn(st) < model_state_turns(st)) {
    for (size_t s = 0; s < model_map_seat_count(m); s++) {
      if (helper_range(&r, 0, 4) == 0)
        continue; /* some seats keep their standing orders */
      model_obs_t *o;
      assert_int_equal(model_observe(st, (int)s, &o), 0);
      model_order_t orders[8];
      size_t n = (size_t)helper_range(&r, 0, 8);
      for (size_t k = 0; k < n; k++)
        random_order(st, (int)s, &r, o, &orders[k]);
      model_obs_free(o);
      model_refusal_t ref[8];
      size_t nref = 0;
      assert_int_equal(model_submit(st, (int)s, orders, n, ref, 8, &nref), 0);
      for (size_t k = 0; k < nref && k < 8; k++) {
        /* every refusal names a field and says something */
        assert_true(ref[k].field[0]);
        assert_true(ref[k].message[0]);
        assert_string_equal(ref[k].code, "invalid_order");
      }
      (*sets)++;
      *accepted += n - nref;
    }
    int64_t before = helper_money_total(st);
    snprintf(where, sizeof where, "%s seed %llu turn %d", id,
             (unsigned long long)seed, model_state_turn(st));
    assert_int_equal(model_resolve(st), 0);
    helper_check_invariants(st, &before, where);
  }
  model_state_free(st);
  model_map_free(m);
}

static void test_random_valid_orders(void **state) {
  (void)state;
  size_t sets = 0, accepted = 0;
  for (uint64_t seed = 1; sets < 4000; seed++) {
    run_random("classroom", seed, &sets, &accepted);
    run_random("trade", seed, &sets, &accepted);
  }
  print_message("property test: %zu order sets, %zu orders accepted\n", sets,
                accepted);
  assert_true(sets >= 4000);
  assert_true(accepted > sets); /* most random orders are valid */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_standing_orders_all_maps),
      cmocka_unit_test(test_random_valid_orders),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
