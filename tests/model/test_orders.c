/* test_orders.c: every order of PROTOCOL.md's table and every policy kind is
 * accepted when valid and refused, naming the field, when not; refused
 * orders do not stop the rest of a submission; standing orders stand. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static model_map_t *map;
static model_state_t *st;
static int firm, nation;

static int setup(void **state) {
  (void)state;
  map = helper_load("classroom");
  if (model_state_new(map, 1, &st))
    return -1;
  firm = model_map_seat_index(map, "dragon_mining");
  nation = model_map_seat_index(map, "CHN");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  model_state_free(st);
  model_map_free(map);
  return 0;
}

static model_order_t op(model_op_t o) {
  model_order_t x;
  memset(&x, 0, sizeof x);
  x.op = o;
  return x;
}

static model_order_t pol(model_policy_kind_t k) {
  model_order_t x = op(MODEL_OP_POLICY);
  x.kind = k;
  x.product = MODEL_NDPR;
  x.stage = MODEL_MINING;
  x.skill = MODEL_MINING;
  return x;
}

static void accept(int seat, model_order_t o, const char *what) {
  model_refusal_t r;
  size_t n = 9;
  assert_int_equal(model_validate(st, seat, &o, 1, &r, 1, &n), 0);
  if (n != 0)
    fail_msg("%s refused: %s: %s", what, r.field, r.message);
}

static void refuse_on(int seat, model_order_t o, const char *field) {
  model_refusal_t r;
  size_t n = 0;
  assert_int_equal(model_validate(st, seat, &o, 1, &r, 1, &n), 0);
  if (n != 1)
    fail_msg("an order with a bad %s was accepted", field);
  if (strcmp(r.field, field) != 0)
    fail_msg("refusal names field %s, expected %s (%s)", r.field, field,
             r.message);
  assert_string_equal(r.code, "invalid_order");
  assert_int_equal(r.index, 0);
  assert_true(strlen(r.message) > 10);
}

static void test_firm_orders(void **state) {
  (void)state;
  model_order_t o = op(MODEL_OP_BUILD);
  o.stage = MODEL_MINING;
  o.capacity_kg_per_year = 1000000;
  snprintf(o.site, sizeof o.site, "dragon_field");
  accept(firm, o, "greenfield mine");
  o.capacity_kg_per_year = 0;
  refuse_on(firm, o, "capacity");
  o.capacity_kg_per_year = 10000000000;
  refuse_on(firm, o, "capacity"); /* too dear for the cash */
  o.capacity_kg_per_year = 1000000;
  snprintf(o.site, sizeof o.site, "nowhere");
  refuse_on(firm, o, "site");
  o.site[0] = 0;
  refuse_on(firm, o, "site");
  o.stage = 7;
  refuse_on(firm, o, "stage");
  /* brownfield */
  o = op(MODEL_OP_BUILD);
  o.stage = MODEL_MINING;
  o.capacity_kg_per_year = 1000000;
  snprintf(o.facility, sizeof o.facility, "dragon_mine");
  accept(firm, o, "brownfield expansion");
  snprintf(o.facility, sizeof o.facility, "dragon_sep");
  refuse_on(firm, o, "facility"); /* not the seat's */
  snprintf(o.facility, sizeof o.facility, "dragon_mine");
  o.stage = MODEL_SEPARATION;
  refuse_on(firm, o, "stage");

  o = op(MODEL_OP_OPERATE);
  snprintf(o.facility, sizeof o.facility, "dragon_mine");
  o.utilisation_ppm = 500000;
  accept(firm, o, "operate");
  o.utilisation_ppm = 1500000;
  refuse_on(firm, o, "utilisation");
  snprintf(o.facility, sizeof o.facility, "nope");
  o.utilisation_ppm = 1;
  refuse_on(firm, o, "facility");

  o = op(MODEL_OP_HIRE);
  o.skill = MODEL_MINING;
  o.count = 10;
  accept(firm, o, "hire");
  o.count = -10;
  accept(firm, o, "release");
  o.count = 0;
  refuse_on(firm, o, "count");
  o.count = 900000;
  refuse_on(firm, o, "count"); /* more than the pool */
  o.count = -5000;
  refuse_on(firm, o, "count"); /* more than employed */
  o.count = 1;
  o.skill = 3;
  refuse_on(firm, o, "skill");

  o = op(MODEL_OP_TRAIN);
  o.skill = MODEL_SEPARATION;
  o.count = 5;
  accept(firm, o, "train");
  o.count = 0;
  refuse_on(firm, o, "count");

  for (int b = 0; b < 2; b++) {
    o = op(b ? MODEL_OP_BID : MODEL_OP_OFFER);
    o.product = MODEL_CONCENTRATE;
    o.quantity_kg = 100000;
    o.price_cents_per_kg = 300;
    accept(firm, o, b ? "bid" : "offer");
    o.quantity_kg = 0;
    accept(firm, o, "withdraw");
    o.product = 5;
    refuse_on(firm, o, "product");
    o.product = 0;
    o.quantity_kg = -1;
    refuse_on(firm, o, "quantity");
    o.quantity_kg = 1;
    o.price_cents_per_kg = -1;
    refuse_on(firm, o, b ? "max_price" : "min_price");
  }
  /* firms set no policy; unknown ops are refused */
  refuse_on(firm, pol(MODEL_POL_TAX), "op");
  refuse_on(firm, op((model_op_t)42), "op");
}

static void test_nation_policies(void **state) {
  (void)state;
  model_order_t o;
  o = pol(MODEL_POL_EXPORT_QUOTA);
  o.quantity_kg = 1000000;
  snprintf(o.partner, sizeof o.partner, "USA");
  accept(nation, o, "export_quota");
  o.lift = true;
  accept(nation, o, "export_quota lift");
  o.lift = false;
  snprintf(o.partner, sizeof o.partner, "CHN");
  refuse_on(nation, o, "to");
  snprintf(o.partner, sizeof o.partner, "all");
  o.quantity_kg = -1;
  refuse_on(nation, o, "quantity");

  o = pol(MODEL_POL_EXPORT_BAN);
  accept(nation, o, "export_ban");
  o.product = -1;
  refuse_on(nation, o, "product");

  o = pol(MODEL_POL_EXPORT_LICENCE);
  o.approval_ppm = 300000;
  accept(nation, o, "export_licence");
  o.approval_ppm = 2000000;
  refuse_on(nation, o, "approval");

  o = pol(MODEL_POL_TARIFF);
  o.rate_ppm = 250000;
  snprintf(o.partner, sizeof o.partner, "USA");
  accept(nation, o, "tariff");
  snprintf(o.partner, sizeof o.partner, "XYZ");
  refuse_on(nation, o, "from");
  o.partner[0] = 0;
  o.rate_ppm = 20000000;
  refuse_on(nation, o, "rate");

  o = pol(MODEL_POL_SUBSIDY);
  o.capex_share_ppm = 300000;
  o.output_cents_per_kg = 100;
  accept(nation, o, "subsidy");
  o.capex_share_ppm = 2000000;
  refuse_on(nation, o, "capex_share");
  o.capex_share_ppm = 0;
  o.output_cents_per_kg = -1;
  refuse_on(nation, o, "output");

  o = pol(MODEL_POL_PRICE_FLOOR);
  o.price_cents_per_kg = 11000;
  o.quantity_kg = 100000;
  accept(nation, o, "price_floor");
  o.price_cents_per_kg = -5;
  refuse_on(nation, o, "price");

  o = pol(MODEL_POL_STOCKPILE);
  o.target_kg = 1000000;
  accept(nation, o, "stockpile");
  o.target_kg = -1;
  refuse_on(nation, o, "target");

  o = pol(MODEL_POL_TALENT_PROGRAMME);
  o.budget_cents = 100000000;
  accept(nation, o, "talent_programme");
  o.budget_cents = -1;
  refuse_on(nation, o, "budget");

  o = pol(MODEL_POL_MIGRATION);
  o.inbound = true;
  accept(nation, o, "migration");
  o.skill = 5;
  refuse_on(nation, o, "skill");

  o = pol(MODEL_POL_PERMITTING);
  o.speed_ppm = 2000000;
  accept(nation, o, "permitting");
  o.speed_ppm = 3000000;
  refuse_on(nation, o, "speed");

  o = pol(MODEL_POL_PRODUCTION_QUOTA);
  o.quantity_kg = 5000000;
  accept(nation, o, "production_quota");
  o.quantity_kg = -5;
  refuse_on(nation, o, "quantity");

  o = pol(MODEL_POL_TAX);
  o.rate_ppm = 300000;
  accept(nation, o, "tax");
  o.rate_ppm = 2000000;
  refuse_on(nation, o, "rate");

  o = pol((model_policy_kind_t)99);
  refuse_on(nation, o, "kind");

  /* nations do not build, operate or hire; they may offer, bid, train */
  o = op(MODEL_OP_BUILD);
  o.stage = 0;
  o.capacity_kg_per_year = 1000;
  refuse_on(nation, o, "op");
  o = op(MODEL_OP_OFFER);
  o.product = MODEL_NDPR;
  accept(nation, o, "nation offer");
  o = op(MODEL_OP_TRAIN);
  o.skill = 1;
  o.count = 10;
  accept(nation, o, "nation train");
}

/* Refused orders drop out; the rest apply; standing orders stand. */

/* A refused policy's message names the field and says the range, from the
 * order schema (model/order_schema.c), whatever the kind. */
static void refuse_saying(model_order_t o, const char *field,
                          const char *message) {
  model_refusal_t r;
  size_t n = 0;
  assert_int_equal(model_validate(st, nation, &o, 1, &r, 1, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(r.field, field);
  if (strcmp(r.message, message) != 0)
    fail_msg("got \"%s\", wanted \"%s\"", r.message, message);
}

static void test_policy_messages(void **state) {
  (void)state;
  model_order_t o = pol(MODEL_POL_TARIFF);
  o.rate_ppm = 11 * MODEL_PPM;
  refuse_saying(o, "rate", "rate must be between 0 and 10");
  o = pol(MODEL_POL_EXPORT_QUOTA);
  o.quantity_kg = MODEL_QTY_MAX_KG + 1;
  refuse_saying(o, "quantity",
                "quantity must be between 0 and 1e9 t (nil lifts it)");
  o.lift = true; /* a lifted quota has no quantity to check */
  accept(nation, o, "a lifted quota");
  o = pol(MODEL_POL_SUBSIDY);
  o.output_cents_per_kg = MODEL_PRICE_MAX_CENTS;
  refuse_saying(o, "output", "output must be between 0 and 999,999.99 USD/kg");
  o = pol(MODEL_POL_TALENT_PROGRAMME);
  o.budget_cents = (int64_t)100000000000001;
  refuse_saying(o, "budget", "budget must be between 0 and 1e12 USD");
  o = pol(MODEL_POL_PERMITTING);
  o.speed_ppm = 400000;
  refuse_saying(o, "speed", "speed must be between 0.5 and 2");
  o = pol(MODEL_POL_TARIFF);
  strcpy(o.partner, "CHN"); /* itself */
  refuse_saying(o, "from", "must be \"all\" or the id of another nation");
  o = pol((model_policy_kind_t)MODEL_POLICY_KINDS);
  /* every kind, by its wire name: "... production_quota or tax" */
  char want[512];
  size_t w = (size_t)snprintf(want, sizeof want,
                              "unknown policy kind; expected export_quota");
  for (int k = 1; k < MODEL_POLICY_KINDS; k++)
    w += (size_t)snprintf(want + w, sizeof want - w, "%s%s",
                          k == MODEL_POLICY_KINDS - 1 ? " or " : ", ",
                          model_policy_name(k));
  refuse_saying(o, "kind", want);
}

static void test_rest_applies_and_standing(void **state) {
  (void)state;
  model_order_t o[4];
  o[0] = op(MODEL_OP_OPERATE);
  snprintf(o[0].facility, sizeof o[0].facility, "dragon_mine");
  o[0].utilisation_ppm = 400000;
  o[1] = op(MODEL_OP_OPERATE);
  snprintf(o[1].facility, sizeof o[1].facility, "nope");
  o[2] = op(MODEL_OP_OFFER);
  o[2].product = MODEL_CONCENTRATE;
  o[2].quantity_kg = -3;
  o[3] = op(MODEL_OP_OFFER);
  o[3].product = MODEL_CONCENTRATE;
  o[3].quantity_kg = 1000000000;
  o[3].price_cents_per_kg = 250;
  model_refusal_t r[4];
  size_t n = 0;
  assert_int_equal(model_submit(st, firm, o, 4, r, 4, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(r[0].index, 1);
  assert_string_equal(r[0].field, "facility");
  assert_int_equal(r[1].index, 2);
  assert_string_equal(r[1].field, "quantity");
  model_obs_t *ob;
  assert_int_equal(model_observe(st, firm, &ob), 0);
  assert_int_equal(ob->n_orders, 2);
  model_obs_free(ob);
  /* a nation policy in the same turn */
  model_order_t q = pol(MODEL_POL_EXPORT_QUOTA);
  q.product = MODEL_CONCENTRATE;
  q.quantity_kg = 0;
  assert_int_equal(model_submit(st, nation, &q, 1, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
  for (int t = 0; t < 3; t++) {
    assert_int_equal(model_resolve(st), 0);
    assert_int_equal(model_observe(st, firm, &ob), 0);
    /* operate and offer stand in later turns without new orders */
    for (size_t k = 0; k < ob->n_facilities; k++)
      if (strcmp(ob->facilities[k].id, "dragon_mine") == 0)
        assert_int_equal(ob->facilities[k].utilisation_ppm, 400000);
    assert_int_equal(ob->standing_offer[MODEL_CONCENTRATE].price_cents_per_kg,
                     250);
    assert_int_equal(ob->n_orders, 0);
    model_obs_free(ob);
    /* the quota stands: no concentrate leaves China */
    const model_flow_t *f;
    size_t nf = model_last_flows(st, MODEL_CONCENTRATE, &f);
    for (size_t k = 0; k < nf; k++)
      if (f[k].from == 0)
        assert_int_equal(f[k].flow_kg, 0);
  }
  assert_int_equal(model_observe(st, nation, &ob), 0);
  bool found = false;
  for (size_t k = 0; k < ob->n_policies; k++)
    if (ob->policies[k].kind == MODEL_POL_EXPORT_QUOTA)
      found = true;
  assert_true(found);
  model_obs_free(ob);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_firm_orders),
      cmocka_unit_test(test_nation_policies),
      cmocka_unit_test(test_policy_messages),
      cmocka_unit_test(test_rest_applies_and_standing),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
