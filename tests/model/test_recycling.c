/* test_recycling.c: recycling of end-of-life magnets as a fourth stage
 * (docs/design/model-v2.md J4), design J5's tests: the end-of-life ring
 * returns the collection rate of what final demand consumed `lifetime`
 * turns before; a recycling plant's outputs follow the magnet recipe's
 * content times the recovery, the rest lost; the material balance holds
 * with end of life as a stated source; a map without
 * parameters.recycling refuses everything about recycling; a recycling
 * map's state round-trips.
 *
 * The recycling map is classroom with parameters.recycling and a
 * recycling plant for Euro Magnets, edited here with jansson. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#define LIFE 4

static json_t *classroom_json(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/classroom.json", LAN_SOURCE_MAPS);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  assert_non_null(root);
  return root;
}

/* The map's text loaded, or the loader's message in *why (NULL: must
 * load). */
static model_map_t *load_json(json_t *root, char *why, size_t cap) {
  char *text = json_dumps(root, JSON_COMPACT);
  assert_non_null(text);
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_string(text, strlen(text), "classroom*", &m, &e);
  free(text);
  json_decref(root);
  if (why) {
    assert_int_equal(rc, MODEL_EMAP);
    snprintf(why, cap, "%s", e.message);
    return NULL;
  }
  if (rc)
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  return m;
}

static json_t *seat_of(json_t *root, const char *id) {
  json_t *s;
  size_t i;
  json_array_foreach(json_object_get(root, "seats"), i, s) {
    if (strcmp(json_string_value(json_object_get(s, "seat")), id) == 0)
      return s;
  }
  fail_msg("no seat %s", id);
  return NULL;
}

/* classroom with recycling: a lifetime of LIFE turns, no growth before
 * turn 0 (every entry of the ring is the opening demand), collection at
 * $0.50/kg; Euro Magnets holds a 4,000 t/yr recycling plant, its staff
 * and 500 t of scrap; `rate` is the USA's collection policy. */
static model_map_t *recycling_map(double rate) {
  json_t *root = classroom_json();
  json_t *p = json_object_get(root, "parameters");
  json_object_set_new(p, "recycling",
                      json_pack("{s:i, s:{s:f}, s:f, s:f, s:f}", "lifetime",
                                LIFE, "history", "growth", 0.0, "recovery", 0.9,
                                "scrap_price_share", 0.3, "collection_cost",
                                0.5));
  json_object_set_new(json_object_get(p, "stages"), "recycling",
                      json_pack("{s:{s:i, s:i}, s:{s:i, s:i}, s:f, s:f, s:f, "
                                "s:f, s:f}",
                                "permit_turns", "greenfield", 3, "brownfield",
                                1, "build_turns", "greenfield", 3, "brownfield",
                                1, "capex", 20000.0, "unit_cost", 3.0,
                                "experience", 500.0, "learning_rate", 0.1,
                                "staff_per_kt", 60.0));
  json_array_append_new(json_object_get(root, "facilities"),
                        json_pack("{s:s, s:s, s:s, s:f, s:f, s:f}", "id",
                                  "euro_recycling", "owner", "euro_magnets",
                                  "stage", "recycling", "capacity", 4000.0,
                                  "experience", 100.0, "unit_cost", 3.0));
  json_t *euro = seat_of(root, "euro_magnets");
  json_object_set_new(json_object_get(euro, "staff"), "recycling",
                      json_integer(240));
  json_object_set_new(euro, "inventory",
                      json_pack("{s:f}", "magnet_scrap", 500.0));
  json_t *usa = seat_of(root, "USA");
  json_t *orders = json_object_get(usa, "orders");
  if (!orders) {
    orders = json_array();
    json_object_set_new(usa, "orders", orders);
  }
  json_array_append_new(orders,
                        json_pack("{s:s, s:s, s:f}", "op", "policy", "kind",
                                  "recycling_collection", "rate", rate));
  return load_json(root, NULL, 0);
}

/* Whether the bytes hold the recycling section's tag. */
static bool has_tag(const uint8_t *b, size_t n) {
  static const char tag[] = "\001recycling";
  for (size_t i = 0; i + sizeof tag - 1 <= n; i++)
    if (memcmp(b + i, tag, sizeof tag - 1) == 0)
      return true;
  return false;
}

static int nation_index(const model_map_t *m, const char *id) {
  for (size_t n = 0; n < model_map_nation_count(m); n++)
    if (strcmp(model_map_nation_id(m, n), id) == 0)
      return (int)n;
  fail_msg("no nation %s", id);
  return -1;
}

static model_holder_flows_t flows(const model_state_t *st, size_t holder) {
  model_holder_flows_t f;
  assert_int_equal(model_state_holder_flows(st, holder, &f), 0);
  return f;
}

/* ---- a map without recycling ---- */

static void test_refused_without_recycling(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  assert_false(model_map_has_stage(m, MODEL_RECYCLING));
  assert_false(model_map_has_product(m, MODEL_SCRAP));
  assert_true(model_map_has_stage(m, MODEL_MAGNETS));
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int firm = helper_seat(m, "euro_magnets"), usa = helper_seat(m, "USA");
  model_order_t o = helper_order(MODEL_OP_BUILD);
  o.stage = MODEL_RECYCLING;
  o.capacity_kg_per_year = 1000000;
  helper_refused(st, firm, o, "stage", "parameters.recycling");
  o = helper_order(MODEL_OP_HIRE);
  o.skill = MODEL_RECYCLING;
  o.count = 10;
  helper_refused(st, firm, o, "skill", "use mining, separation or magnet");
  o = helper_order(MODEL_OP_TRAIN);
  o.skill = MODEL_RECYCLING;
  o.count = 10;
  helper_refused(st, usa, o, "skill", "no recycling");
  o = helper_order(MODEL_OP_POLICY);
  o.kind = MODEL_POL_RECYCLING_COLLECTION;
  o.rate_ppm = 100000;
  helper_refused(st, usa, o, "kind", "parameters.recycling");
  o = helper_order(MODEL_OP_BID);
  o.product = MODEL_SCRAP;
  o.quantity_kg = 1000;
  o.price_cents_per_kg = 100;
  helper_refused(st, firm, o, "product", "magnet_scrap is not traded");
  /* its observation lists three stages and no scrap */
  model_obs_t *obs = NULL;
  assert_int_equal(model_observe(st, firm, &obs), 0);
  assert_false(obs->rules.stages[MODEL_RECYCLING]);
  assert_true(obs->rules.stages[MODEL_MAGNETS]);
  assert_false(obs->rules.products[MODEL_SCRAP]);
  model_obs_free(obs);
  /* and its state carries no recycling section */
  uint8_t *buf;
  size_t len;
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  assert_false(has_tag(buf, len));
  free(buf);
  model_state_free(st);
  model_map_free(m);

  /* the loader refuses recycling's keys on a map without it */
  char why[MODEL_MESSAGE_MAX];
  json_t *root = classroom_json();
  json_object_set_new(
      json_object_get(json_object_get(root, "parameters"), "stages"),
      "recycling", json_pack("{s:f}", "capex", 20000.0));
  load_json(root, why, sizeof why);
  assert_non_null(strstr(why, "add parameters.recycling"));
  root = classroom_json();
  json_object_set_new(json_object_get(seat_of(root, "euro_magnets"), "staff"),
                      "recycling", json_integer(5));
  load_json(root, why, sizeof why);
  assert_non_null(strstr(why, "add parameters.recycling"));
  root = classroom_json();
  json_object_set_new(seat_of(root, "euro_magnets"), "inventory",
                      json_pack("{s:f}", "magnet_scrap", 5.0));
  load_json(root, why, sizeof why);
  assert_non_null(strstr(why, "magnet_scrap"));
  assert_non_null(strstr(why, "parameters.recycling"));
}

/* ---- end of life ---- */

/* Each turn the USA collects its rate of what its final demand consumed
 * LIFE turns before (the ring's seed before that), into its stockpile,
 * and pays the collection cost for it. */
static void test_ring_returns_consumption(void **state) {
  (void)state;
  const int64_t rate = 250000; /* 0.25 */
  model_map_t *m = recycling_map(0.25);
  assert_true(model_map_has_stage(m, MODEL_RECYCLING));
  assert_true(model_map_has_product(m, MODEL_SCRAP));
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int usa = helper_seat(m, "USA");
  size_t holder = model_map_seat_count(m) + (size_t)nation_index(m, "USA");
  model_obs_t *obs = NULL;
  assert_int_equal(model_observe(st, usa, &obs), 0);
  assert_true(obs->rules.stages[MODEL_RECYCLING]);
  assert_int_equal(obs->rules.eol_lifetime, LIFE);
  /* the ring's seed: the opening demand (no growth before turn 0) */
  int64_t seed = obs->demand_kg[MODEL_MAGNET];
  model_obs_free(obs);
  assert_true(seed > 0);
  /* the same game without collection, for the budget */
  model_map_t *m0 = recycling_map(0.0);
  model_state_t *st0 = NULL;
  assert_int_equal(model_state_new(m0, 1, &st0), 0);
  int64_t used[3 * LIFE] = {0}, paid = 0;
  for (int t = 0; t < 3 * LIFE; t++) {
    char where[32];
    snprintf(where, sizeof where, "turn %d", t);
    helper_resolve(st, where);
    helper_resolve(st0, where);
    assert_int_equal(model_observe(st, usa, &obs), 0);
    used[t] = obs->consumed_kg[MODEL_MAGNET];
    int64_t seen_kg = obs->scrap_collected_kg,
            seen_paid = obs->collection_paid_cents;
    model_obs_free(obs);
    assert_true(used[t] > 0);
    model_holder_flows_t f = flows(st, holder);
    int64_t back = t >= LIFE ? used[t - LIFE] : seed;
    int64_t want = back * rate / 1000000;
    if (f.produced[MODEL_SCRAP] != want)
      fail_msg("turn %d: collected %lld kg, want 0.25 x %lld", t,
               (long long)f.produced[MODEL_SCRAP], (long long)back);
    /* the stated source: all of the turn's scrap is end of life */
    assert_int_equal(model_last_report(st)->produced[MODEL_SCRAP], want);
    assert_int_equal(model_state_holder_inventory(st, holder, MODEL_SCRAP),
                     f.opening[MODEL_SCRAP] + want);
    /* the budget paid $0.50/kg for it: the only difference from the game
     * without collection (no one buys the scrap) */
    paid += want * 50;
    /* and the nation sees its collection */
    assert_int_equal(seen_kg, want);
    assert_int_equal(seen_paid, want * 50);
    assert_int_equal(model_state_holder_money(st, holder),
                     model_state_holder_money(st0, holder) - paid);
  }
  model_state_free(st0);
  model_map_free(m0);
  /* a nation without the policy collects nothing */
  size_t chn = model_map_seat_count(m) + (size_t)nation_index(m, "CHN");
  assert_int_equal(flows(st, chn).produced[MODEL_SCRAP], 0);
  model_state_free(st);
  model_map_free(m);
}

/* ---- recycling plants ---- */

/* Euro Magnets' plant feeds its scrap at capacity and recovers the magnet
 * recipe's oxides times the recovery; the rest of the scrap is lost; the
 * books balance (helper_resolve checks every holder and market). */
static void test_plant_outputs_follow_content(void **state) {
  (void)state;
  model_map_t *m = recycling_map(0.0);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int firm = helper_seat(m, "euro_magnets");
  model_obs_t *obs = NULL;
  assert_int_equal(model_observe(st, firm, &obs), 0);
  int64_t nd = obs->rules.recipe_ppm[0], heavy = obs->rules.recipe_ppm[1];
  int64_t rec = obs->rules.recycling_recovery_ppm;
  assert_int_equal(rec, 900000);
  const model_obs_facility_t *plant = NULL;
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == MODEL_RECYCLING)
      plant = &obs->facilities[i];
  assert_non_null(plant);
  int64_t scrap0 = obs->inventory_kg[MODEL_SCRAP];
  assert_int_equal(scrap0, 500000);
  model_obs_free(obs);
  helper_resolve(st, "recycling turn 0");
  model_holder_flows_t f = flows(st, (size_t)firm);
  /* 4,000 t/yr fully staffed: 1,000 t a turn wanted, 500 t held */
  int64_t x = f.consumed[MODEL_SCRAP];
  assert_int_equal(x, scrap0);
  int64_t want_nd = (x * nd / 1000000) * rec / 1000000;
  int64_t want_h = (x * heavy / 1000000) * rec / 1000000;
  assert_int_equal(f.produced[MODEL_NDPR], want_nd);
  assert_int_equal(f.produced[MODEL_DYTB], want_h);
  /* about 0.9 x 0.343 of the scrap comes back; the rest is lost */
  int64_t back = f.produced[MODEL_NDPR] + f.produced[MODEL_DYTB];
  assert_true(back > 0 && back < x / 2);
  assert_int_equal(model_last_report(st)->consumed[MODEL_SCRAP], x);
  /* the plant's output and the nation's production of the stage */
  assert_int_equal(model_observe(st, firm, &obs), 0);
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == MODEL_RECYCLING)
      assert_int_equal(obs->facilities[i].output_kg, back);
  int eu = nation_index(m, "EUU");
  assert_int_equal(
      obs->production[MODEL_RECYCLING * obs->n_nations + (size_t)eu], back);
  assert_int_equal(obs->inventory_kg[MODEL_SCRAP], 0);
  model_obs_free(obs);
  /* with no scrap left and none collected, the plant stands idle */
  helper_resolve(st, "recycling turn 1");
  assert_int_equal(flows(st, (size_t)firm).consumed[MODEL_SCRAP], 0);
  model_state_free(st);
  model_map_free(m);
}

/* A plant buys the scrap a nation collected, at the map's share of the
 * magnet price, and the balance holds across the scrap market. */
static void test_scrap_market(void **state) {
  (void)state;
  model_map_t *m = recycling_map(0.5);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int firm = helper_seat(m, "euro_magnets");
  size_t usa = model_map_seat_count(m) + (size_t)nation_index(m, "USA");
  helper_resolve(st, "turn 0");
  int64_t stock = model_state_holder_inventory(st, usa, MODEL_SCRAP);
  assert_true(stock > 0);
  model_order_t bid = helper_order(MODEL_OP_BID);
  bid.product = MODEL_SCRAP;
  bid.quantity_kg = stock;
  bid.price_cents_per_kg = 10000; /* $100/kg: above any ask */
  helper_submit1(st, firm, bid);
  helper_resolve(st, "turn 1");
  model_holder_flows_t f = flows(st, (size_t)firm);
  assert_true(f.bought[MODEL_SCRAP] > 0);
  assert_int_equal(flows(st, usa).sold[MODEL_SCRAP], f.bought[MODEL_SCRAP]);
  /* the price: the ask is 0.3 of the magnet price, plus transport */
  const model_report_t *r = model_last_report(st);
  assert_true(r->price[MODEL_SCRAP] > 0);
  assert_true(r->price[MODEL_SCRAP] < r->price[MODEL_MAGNET] / 2);
  model_state_free(st);
  model_map_free(m);
}

/* ---- serialisation ---- */

static void test_round_trip(void **state) {
  (void)state;
  model_map_t *m = recycling_map(0.3);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 7, &st), 0);
  for (int t = 0; t < LIFE + 2; t++)
    helper_resolve_clean(st);
  uint8_t *a, *b;
  size_t na, nb;
  assert_int_equal(model_state_serialise(st, &a, &na), 0);
  assert_true(has_tag(a, na));
  model_state_t *back = NULL;
  assert_int_equal(model_state_deserialise(m, a, na, &back), 0);
  assert_int_equal(model_state_serialise(back, &b, &nb), 0);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
  /* and it plays on exactly as the original */
  helper_resolve_clean(st);
  helper_resolve_clean(back);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  free(a);
  free(b);
  model_state_free(back);
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refused_without_recycling),
      cmocka_unit_test(test_ring_returns_consumption),
      cmocka_unit_test(test_plant_outputs_follow_content),
      cmocka_unit_test(test_scrap_market),
      cmocka_unit_test(test_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
