/* test_observe.c: each seat's observation holds its own private data and
 * nothing private to another seat: changing other seats' orders (standing
 * and pending), or their hires and builds before a turn resolves, leaves a
 * seat's observation byte for byte the same. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A canonical byte image of an observation (no pointers, no padding). */
typedef struct {
  uint8_t *b;
  size_t n, cap;
} img_t;

static void put(img_t *im, const void *p, size_t n) {
  if (im->n + n > im->cap) {
    im->cap = (im->n + n) * 2 + 64;
    im->b = realloc(im->b, im->cap);
    assert_non_null(im->b);
  }
  memcpy(im->b + im->n, p, n);
  im->n += n;
}
#define PUT(x) put(im, &(x), sizeof(x))
static void put_order(img_t *im, const model_order_t *o) {
  int32_t v[4] = {(int32_t)o->op, o->stage, o->product, o->skill};
  put(im, v, sizeof v);
  put(im, o->facility, strlen(o->facility));
  put(im, o->site, strlen(o->site));
  int64_t w[14] = {o->capacity_kg_per_year,
                   o->utilisation_ppm,
                   o->count,
                   o->quantity_kg,
                   o->price_cents_per_kg,
                   (int64_t)o->kind,
                   o->lift,
                   o->rate_ppm,
                   o->approval_ppm,
                   o->capex_share_ppm,
                   o->output_cents_per_kg,
                   o->target_kg,
                   o->budget_cents,
                   o->speed_ppm};
  put(im, w, sizeof w);
  put(im, o->partner, strlen(o->partner));
}

static img_t image(const model_obs_t *o) {
  img_t im0 = {0}, *im = &im0;
  put(im, o->seat, strlen(o->seat));
  PUT(o->turn);
  PUT(o->cash_cents);
  PUT(o->budget_cents);
  for (size_t k = 0; k < o->n_facilities; k++) {
    const model_obs_facility_t *f = &o->facilities[k];
    put(im, f->id, strlen(f->id));
    int64_t v[12] = {f->stage,
                     f->capacity_kg_per_year,
                     f->effective_kg_per_year,
                     f->utilisation_ppm,
                     f->status,
                     f->turns_left,
                     f->staff,
                     f->staff_needed,
                     f->unit_cost_cents_per_kg,
                     f->recovery_ppm,
                     f->output_kg,
                     f->cumulative_kg};
    put(im, v, sizeof v);
  }
  PUT(o->inventory_kg);
  PUT(o->staff);
  PUT(o->in_training);
  for (size_t k = 0; k < o->n_orders; k++)
    put_order(im, &o->orders[k]);
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    put_order(im, &o->standing_offer[p]);
    put_order(im, &o->standing_bid[p]);
  }
  for (size_t k = 0; k < o->n_policies; k++)
    put_order(im, &o->policies[k]);
  PUT(o->demand_kg);
  PUT(o->demand_price);
  PUT(o->price);
  PUT(o->volume);
  put(im, o->regional, sizeof(int64_t) * MODEL_PRODUCTS * o->n_nations);
  put(im, o->production, sizeof(int64_t) * MODEL_STAGES * o->n_nations);
  put(im, o->capacity, sizeof(int64_t) * MODEL_STAGES * o->n_nations);
  for (size_t k = 0; k < o->n_public_policies; k++)
    put_order(im, &o->public_policies[k].policy);
  for (size_t k = 0; k < o->n_scores; k++)
    PUT(o->scores[k].score);
  return im0;
}

static void test_private_data_does_not_leak(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *a, *b;
  assert_int_equal(model_state_new(m, 9, &a), 0);
  assert_int_equal(model_resolve(a), 0);
  assert_int_equal(model_state_clone(a, &b), 0);
  int target = model_map_seat_index(m, "mountain_minerals");
  /* in b, every other firm changes private things */
  for (size_t s = 0; s < model_map_seat_count(m); s++) {
    if ((int)s == target || model_map_seat_kind(m, s) != MODEL_SEAT_FIRM)
      continue;
    model_obs_t *o;
    assert_int_equal(model_observe(b, (int)s, &o), 0);
    model_order_t x[4];
    memset(x, 0, sizeof x);
    x[0].op = MODEL_OP_OFFER;
    x[0].product = MODEL_MAGNET;
    x[0].quantity_kg = 12345;
    x[0].price_cents_per_kg = 777;
    x[1].op = MODEL_OP_BID;
    x[1].product = MODEL_NDPR;
    x[1].quantity_kg = 54321;
    x[1].price_cents_per_kg = 4444;
    x[2].op = MODEL_OP_OPERATE;
    snprintf(x[2].facility, sizeof x[2].facility, "%s", o->facilities[0].id);
    x[2].utilisation_ppm = 123456;
    x[3].op = MODEL_OP_TRAIN;
    x[3].skill = 0;
    x[3].count = 3;
    size_t n;
    assert_int_equal(model_submit(b, (int)s, x, 4, NULL, 0, &n), 0);
    assert_int_equal(n, 0);
    model_obs_free(o);
  }
  model_obs_t *oa, *ob;
  assert_int_equal(model_observe(a, target, &oa), 0);
  assert_int_equal(model_observe(b, target, &ob), 0);
  img_t ia = image(oa), ib = image(ob);
  assert_int_equal(ia.n, ib.n);
  assert_memory_equal(ia.b, ib.b, ia.n);
  /* the seat sees only its own facilities and orders */
  for (size_t k = 0; k < oa->n_facilities; k++)
    assert_true(strncmp(oa->facilities[k].id, "mountain", 8) == 0);
  free(ia.b);
  free(ib.b);
  model_obs_free(oa);
  model_obs_free(ob);
  /* a nation's observation is private in the same way */
  int usa = model_map_seat_index(m, "USA");
  assert_int_equal(model_observe(a, usa, &oa), 0);
  assert_int_equal(model_observe(b, usa, &ob), 0);
  ia = image(oa);
  ib = image(ob);
  assert_int_equal(ia.n, ib.n);
  assert_memory_equal(ia.b, ib.b, ia.n);
  assert_int_equal(oa->n_facilities, 0);
  free(ia.b);
  free(ib.b);
  model_obs_free(oa);
  model_obs_free(ob);
  model_state_free(a);
  model_state_free(b);
  model_map_free(m);
}

static void test_observation_contents(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 9, &st), 0);
  model_obs_t *o;
  int s = model_map_seat_index(m, "dragon_magnets");
  assert_int_equal(model_observe(st, s, &o), 0);
  assert_string_equal(o->seat, "dragon_magnets");
  assert_int_equal(o->kind, MODEL_SEAT_FIRM);
  assert_string_equal(o->nation, "CHN");
  assert_int_equal(o->turn, 0);
  assert_int_equal(o->turns, 16);
  assert_int_equal(o->cash_cents, 200000000000);
  assert_int_equal(o->n_facilities, 1);
  assert_string_equal(o->facilities[0].id, "dragon_mag");
  assert_int_equal(o->inventory_kg[MODEL_NDPR], 2000000);
  assert_int_equal(o->price[MODEL_NDPR], 6000); /* the map's reference */
  assert_int_equal(o->n_scores, model_map_seat_count(m));
  model_obs_free(o);
  assert_int_equal(model_resolve(st), 0);
  int chn = model_map_seat_index(m, "CHN");
  assert_int_equal(model_observe(st, chn, &o), 0);
  assert_int_equal(o->kind, MODEL_SEAT_NATION);
  assert_true(o->n_policies >= 2); /* production quota and tax */
  assert_true(o->demand_kg[MODEL_MAGNET] > 0);
  assert_true(o->production[MODEL_MINING * o->n_nations + 0] > 0);
  assert_true(o->n_public_policies >= o->n_policies);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_private_data_does_not_leak),
      cmocka_unit_test(test_observation_contents),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
