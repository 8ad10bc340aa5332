/* test_heavy.c: Dy and Tb as separate products (docs/design/model-v2.md
 * J1) and Dy thrifting (J3), design J5's tests.
 *
 * The split maps are made by scripts/split_heavies.py from the shipped
 * basket maps (the CTest fixture model_split_maps writes them into
 * LAN_SPLIT_DIR): world-2024-split.json and classroom-split.json. */
#include "agent.h"
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static model_map_t *load_split(const char *id) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s-split.json", LAN_SPLIT_DIR, id);
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_file(path, &m, &e);
  if (rc)
    fail_msg("%s:%d:%d: %s (run the fixture model_split_maps first)", e.file,
             e.line, e.column, e.message);
  return m;
}

static double usd(int64_t cents) {
  return model_cents_to_usd(cents);
}

static model_order_t trade(model_op_t op, int product, int64_t kg,
                           int64_t cents) {
  model_order_t o = helper_order(op);
  o.product = product;
  o.quantity_kg = kg;
  o.price_cents_per_kg = cents;
  return o;
}

/* The refusal of one order, "" when it is accepted. */
static const char *refusal(model_state_t *st, int seat, model_order_t o) {
  static model_refusal_t r;
  size_t n = 0;
  assert_int_equal(model_validate(st, seat, &o, 1, &r, 1, &n), 0);
  return n ? r.message : "";
}

/* ---- J1: the products ---- */

/* A basket map has dytb_oxide and not dy_oxide / tb_oxide; its
 * observation lists the five products of before. */
static void test_basket_map_as_today(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  assert_true(model_map_has_product(m, MODEL_DYTB));
  assert_false(model_map_has_product(m, MODEL_DY));
  assert_false(model_map_has_product(m, MODEL_TB));
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int s = helper_seat(m, "euro_magnets");
  model_obs_t *o = NULL;
  assert_int_equal(model_observe(st, s, &o), 0);
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    assert_int_equal(o->rules.products[p], p < MODEL_DY);
  assert_int_equal(o->rules.recipe_tb_ppm, 0);
  model_obs_free(o);
  /* orders on the split products are refused, naming the product to use */
  const char *why = refusal(st, s, trade(MODEL_OP_BID, MODEL_DY, 1000, 30000));
  assert_non_null(strstr(why, "dy_oxide is not traded on this map"));
  assert_non_null(strstr(why, "use dytb_oxide"));
  assert_string_equal(
      refusal(st, s, trade(MODEL_OP_BID, MODEL_DYTB, 1000, 30000)), "");
  helper_resolve(st, "classroom turn 0");
  const model_report_t *r = model_last_report(st);
  assert_true(r->volume[MODEL_DYTB] > 0);
  assert_int_equal(r->price[MODEL_DY], 0);
  assert_int_equal(r->volume[MODEL_TB], 0);
  model_state_free(st);
  model_map_free(m);
}

/* A split map refuses dytb_oxide orders with a message naming dy_oxide
 * and tb_oxide, and trades Dy and Tb apart. */
static void test_split_refuses_the_basket(void **state) {
  (void)state;
  model_map_t *m = load_split("classroom");
  assert_false(model_map_has_product(m, MODEL_DYTB));
  assert_true(model_map_has_product(m, MODEL_DY));
  assert_true(model_map_has_product(m, MODEL_TB));
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int s = helper_seat(m, "euro_magnets");
  const char *why =
      refusal(st, s, trade(MODEL_OP_OFFER, MODEL_DYTB, 1000, 30000));
  assert_string_equal(why, "product dytb_oxide is not traded on this map; use "
                           "dy_oxide and tb_oxide");
  assert_string_equal(
      refusal(st, s, trade(MODEL_OP_BID, MODEL_DY, 1000, 30000)), "");
  assert_string_equal(
      refusal(st, s, trade(MODEL_OP_BID, MODEL_TB, 1000, 90000)), "");
  /* a contract and an export control on the basket too */
  model_order_t c = helper_order(MODEL_OP_POLICY);
  c.kind = MODEL_POL_EXPORT_LICENCE;
  c.product = MODEL_DYTB;
  c.approval_ppm = 500000;
  strcpy(c.partner, "all");
  int chn = helper_seat(m, "CHN");
  assert_non_null(strstr(refusal(st, chn, c), "use dy_oxide and tb_oxide"));
  c.product = MODEL_TB;
  assert_string_equal(refusal(st, chn, c), "");
  /* a facilitator's demand surge on the basket, too */
  model_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = MODEL_EV_DEMAND_SURGE;
  ev.product = MODEL_DYTB;
  ev.stage = -1;
  ev.magnitude_ppm = 100000;
  ev.duration = 1;
  model_refusal_t er;
  assert_int_equal(model_event_check(st, &ev, &er), 1);
  assert_non_null(strstr(er.message, "use dy_oxide and tb_oxide"));
  ev.product = MODEL_TB;
  assert_int_equal(model_event_check(st, &ev, &er), 0);
  model_obs_t *o = NULL;
  assert_int_equal(model_observe(st, s, &o), 0);
  assert_false(o->rules.products[MODEL_DYTB]);
  assert_true(o->rules.products[MODEL_DY] && o->rules.products[MODEL_TB]);
  /* the recipe's 0.02 basket split 0.8 / 0.2 by the script (0.016, 0.004) */
  assert_int_equal(o->rules.recipe_ppm[1], 16000);
  assert_int_equal(o->rules.recipe_tb_ppm, 4000);
  model_obs_free(o);
  helper_resolve(st, "classroom-split turn 0");
  const model_report_t *r = model_last_report(st);
  assert_int_equal(r->volume[MODEL_DYTB], 0);
  assert_int_equal(r->price[MODEL_DYTB], 0);
  assert_true(r->volume[MODEL_DY] > 0 && r->volume[MODEL_TB] > 0);
  /* magnets take Dy and Tb in the recipe's ratio, 4:1 (the least of the
   * three inputs bounds each plant; each use rounds up) */
  int64_t dy = r->consumed[MODEL_DY], tb = r->consumed[MODEL_TB];
  assert_true(dy > 0 && tb > 0);
  assert_true(dy >= 4 * tb - 8 && dy <= 4 * tb + 8);
  model_state_free(st);
  model_map_free(m);
}

#define SPLIT_BASE                                                             \
  "{\"id\": \"x\", \"title\": \"X\", \"turns\": 4,\n"                          \
  " \"parameters\": {\"heavy_products\": \"split\", %s\"prices\": "            \
  "{\"concentrate\": 5, \"ndpr_oxide\": 55, \"dy_oxide\": 260, "               \
  "\"tb_oxide\": 810, \"lace_oxide\": 1, \"magnet\": 70}},\n"                  \
  " \"nations\": [{\"id\": \"AAA\", \"title\": \"A\", \"budget\": 1e9}],\n"    \
  " \"deposits\": [{\"id\": \"d\", \"nation\": \"AAA\", \"reserves\": 1e6, "   \
  "\"basket\": %s}],\n"                                                        \
  " \"seats\": [{\"seat\": \"f\", \"kind\": \"firm\", \"title\": \"F\", "      \
  "\"nation\": \"AAA\", \"cash\": 1e6}]}\n"

static model_obs_t *observe_text(const char *params, const char *basket,
                                 model_error_t *e, int *rc) {
  char t[2048];
  snprintf(t, sizeof t, SPLIT_BASE, params, basket);
  model_map_t *m = NULL;
  *rc = model_map_load_string(t, strlen(t), "x.json", &m, e);
  if (*rc)
    return NULL;
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_obs_t *o = NULL;
  assert_int_equal(model_observe(st, 0, &o), 0);
  model_state_free(st);
  model_map_free(m);
  return o;
}

/* A split map's basket given as dytb_oxide is divided by
 * dy_share_of_heavies (0.8 by default, floor to Dy); dy_oxide and
 * tb_oxide may be given apart; a basket map refuses them. */
static void test_split_baskets(void **state) {
  (void)state;
  model_error_t e;
  int rc;
  model_obs_t *o = observe_text("",
                                "{\"ndpr_oxide\": 0.2, \"dytb_oxide\": "
                                "0.05, \"lace_oxide\": 0.75}",
                                &e, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(o->deposits[0].basket_ppm[1], 40000); /* Dy */
  assert_int_equal(o->deposits[0].basket_tb_ppm, 10000);
  /* the default recipe's 0.02 heavies split the same way */
  assert_int_equal(o->rules.recipe_ppm[1], 16000);
  assert_int_equal(o->rules.recipe_tb_ppm, 4000);
  model_obs_free(o);
  o = observe_text("\"dy_share_of_heavies\": 0.7, ",
                   "{\"ndpr_oxide\": 0.2, \"dytb_oxide\": 0.000011, "
                   "\"lace_oxide\": 0.799989}",
                   &e, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(o->deposits[0].basket_ppm[1], 7); /* floor(11 x 0.7) */
  assert_int_equal(o->deposits[0].basket_tb_ppm, 4);
  model_obs_free(o);
  o = observe_text("",
                   "{\"ndpr_oxide\": 0.2, \"dy_oxide\": 0.017, "
                   "\"tb_oxide\": 0.0028, \"lace_oxide\": 0.7802}",
                   &e, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(o->deposits[0].basket_ppm[1], 17000);
  assert_int_equal(o->deposits[0].basket_tb_ppm, 2800);
  model_obs_free(o);
  /* both ways at once, or shares that do not sum to 1: refused */
  o = observe_text("",
                   "{\"ndpr_oxide\": 0.2, \"dy_oxide\": 0.017, "
                   "\"dytb_oxide\": 0.0028, \"lace_oxide\": 0.7802}",
                   &e, &rc);
  assert_int_equal(rc, MODEL_EMAP);
  assert_non_null(strstr(e.message, "not both"));
  o = observe_text("",
                   "{\"ndpr_oxide\": 0.2, \"dy_oxide\": 0.017, "
                   "\"tb_oxide\": 0.0028, \"lace_oxide\": 0.7}",
                   &e, &rc);
  assert_int_equal(rc, MODEL_EMAP);
  assert_non_null(strstr(e.message, "sum to 1"));
  /* a price for the basket on a split map names the products to use */
  char t[2048];
  snprintf(t, sizeof t, SPLIT_BASE, "",
           "{\"ndpr_oxide\": 0.2, \"dytb_oxide\": 0.05, \"lace_oxide\": "
           "0.75}");
  char *at = strstr(t, "\"dy_oxide\": 260,"); /* as long as the next */
  memcpy(at, "\"dytb_oxide\":36,", strlen("\"dytb_oxide\":36,"));
  model_map_t *m = NULL;
  assert_int_equal(model_map_load_string(t, strlen(t), "x.json", &m, &e),
                   MODEL_EMAP);
  assert_non_null(strstr(e.message, "dytb_oxide is not a product of this map"));
  /* a basket map refuses dy_oxide in a basket */
  const char *b = "{\"id\": \"x\", \"title\": \"X\", \"turns\": 4, "
                  "\"parameters\": {\"prices\": {\"concentrate\": 5, "
                  "\"ndpr_oxide\": 55, \"dytb_oxide\": 370, \"lace_oxide\": 1, "
                  "\"magnet\": 70}}, \"nations\": [{\"id\": \"AAA\", "
                  "\"title\": \"A\", \"budget\": 1e9}], \"deposits\": "
                  "[{\"id\": \"d\", \"nation\": \"AAA\", \"reserves\": 1e6, "
                  "\"basket\": {\"ndpr_oxide\": 0.2, \"dy_oxide\": 0.04, "
                  "\"tb_oxide\": 0.01, \"lace_oxide\": 0.75}}], \"seats\": []}";
  assert_int_equal(model_map_load_string(b, strlen(b), "x.json", &m, &e),
                   MODEL_EMAP);
  assert_non_null(strstr(e.message, "use dytb_oxide"));
}

/* Design J1's turn-0 check on the split world (world-2024 through
 * scripts/split_heavies.py): Dy within 10% of $260 and Tb within 10% of
 * $810 (S1), the basket value 0.8 Dy + 0.2 Tb within 10% of $370 (the
 * old test), and the rest of the calibration as the basket world's. */
static void test_split_world_turn0(void **state) {
  (void)state;
  model_map_t *w = helper_load("world-2024");
  model_map_t *m = load_split("world-2024");
  model_state_t *a = NULL, *b = NULL;
  assert_int_equal(model_state_new(w, 1, &a), 0);
  assert_int_equal(model_state_new(m, 1, &b), 0);
  helper_resolve(a, "world-2024 turn 0");
  helper_resolve(b, "world-2024-split turn 0");
  const model_report_t *ra = model_last_report(a), *rb = model_last_report(b);
  double dy = usd(rb->price[MODEL_DY]), tb = usd(rb->price[MODEL_TB]);
  double basket = 0.8 * dy + 0.2 * tb;
  print_message("  split world-2024, turn 0: Dy %.2f, Tb %.2f, basket value "
                "%.2f (basket world: %.2f) $/kg\n",
                dy, tb, basket, usd(ra->price[MODEL_DYTB]));
  assert_true(dy >= 234 && dy <= 286);
  assert_true(tb >= 729 && tb <= 891);
  assert_true(basket >= 333 && basket <= 407);
  assert_true(basket >= 0.99 * usd(ra->price[MODEL_DYTB]) &&
              basket <= 1.01 * usd(ra->price[MODEL_DYTB]));
  /* the other products and the stages' output as in the basket world */
  static const int same[] = {MODEL_CONCENTRATE, MODEL_NDPR, MODEL_LACE,
                             MODEL_MAGNET};
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
    int p = same[i];
    double x = usd(ra->price[p]), y = usd(rb->price[p]);
    if (y < 0.99 * x || y > 1.01 * x)
      fail_msg("%s: %.2f on the split map, %.2f on the basket map",
               model_product_name(p), y, x);
  }
  int64_t ma = 0, mb = 0;
  for (size_t n = 0; n < ra->n_nations; n++) {
    ma += ra->production[MODEL_MAGNETS * ra->n_nations + n];
    mb += rb->production[MODEL_MAGNETS * rb->n_nations + n];
  }
  assert_true(mb >= ma - ma / 100 && mb <= ma + ma / 100);
  model_state_free(a);
  model_state_free(b);
  model_map_free(w);
  model_map_free(m);
}

/* ---- serialisation ---- */

static bool has_tag(const uint8_t *buf, size_t len, const char *tag) {
  size_t n = strlen(tag);
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(buf + i, tag, n) == 0)
      return true;
  return false;
}

/* A split state round-trips: same bytes, same hash, and the restored game
 * plays on exactly as the original. A basket state has no split section. */
static void test_split_round_trip(void **state) {
  (void)state;
  model_map_t *m = load_split("world-2024");
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 3, &st), 0);
  for (int t = 0; t < 3; t++)
    helper_resolve(st, "world-2024-split");
  uint8_t *buf = NULL, *buf2 = NULL;
  size_t len = 0, len2 = 0;
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  assert_true(has_tag(buf, len, "\001heavy-split"));
  model_state_t *back = NULL;
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  assert_int_equal(model_state_serialise(back, &buf2, &len2), 0);
  assert_int_equal(len, len2);
  assert_memory_equal(buf, buf2, len);
  free(buf2);
  helper_resolve(st, "world-2024-split turn 3");
  helper_resolve(back, "world-2024-split turn 3, restored");
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  const model_report_t *r = model_last_report(back);
  assert_true(r->price[MODEL_DY] > 0 && r->price[MODEL_TB] > 0);
  /* a truncated split section is refused */
  model_state_t *bad = NULL;
  assert_int_equal(model_state_deserialise(m, buf, len - 1, &bad),
                   MODEL_ESTATE);
  free(buf);
  model_state_free(st);
  model_state_free(back);
  model_map_free(m);

  model_map_t *w = helper_load("world-2024");
  assert_int_equal(model_state_new(w, 3, &st), 0);
  helper_resolve(st, "world-2024");
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  assert_false(has_tag(buf, len, "\001heavy-split"));
  free(buf);
  model_state_free(st);
  model_map_free(w);
}

/* ---- J3: Dy thrifting ---- */

/* One firm with one magnet plant (1,000 t a quarter) and stocks for
 * years, no market it trades on: its cash moves by opex and wages only. */
static model_map_t *thrift_map(bool split) {
  char t[4096];
  snprintf(
      t, sizeof t,
      "{\"id\": \"t\", \"title\": \"T\", \"turns\": 12, \"parameters\": {%s"
      "\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 55, %s, "
      "\"lace_oxide\": 1, \"magnet\": 70}, \"stages\": {\"magnet\": "
      "{\"recipe\": {\"ndpr_oxide\": 0.33, %s}}}},\n"
      " \"nations\": [{\"id\": \"AAA\", \"title\": \"A\", \"budget\": 1e9}],\n"
      " \"seats\": [{\"seat\": \"f\", \"kind\": \"firm\", \"title\": \"F\", "
      "\"nation\": \"AAA\", \"cash\": 1e9, \"inventory\": {\"ndpr_oxide\": "
      "20000, %s}, \"staff\": {\"magnet\": 5000}}],\n"
      " \"facilities\": [{\"id\": \"mag\", \"owner\": \"f\", \"stage\": "
      "\"magnet\", \"capacity\": 4000, \"utilisation\": 1}]}\n",
      split ? "\"heavy_products\": \"split\", " : "",
      split ? "\"dy_oxide\": 260, \"tb_oxide\": 810" : "\"dytb_oxide\": 370",
      split ? "\"dy_oxide\": 0.0104, \"tb_oxide\": 0.0026"
            : "\"dytb_oxide\": 0.013",
      split ? "\"dy_oxide\": 800, \"tb_oxide\": 200" : "\"dytb_oxide\": 1000");
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(t, strlen(t), "t.json", &m, &e))
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  return m;
}

static model_order_t operate(int64_t recipe_ppm, bool split) {
  model_order_t o = helper_order(MODEL_OP_OPERATE);
  strcpy(o.facility, "mag");
  o.utilisation_ppm = MODEL_PPM;
  if (split)
    o.dy_recipe_ppm = recipe_ppm;
  else
    o.heavy_recipe_ppm = recipe_ppm;
  return o;
}

/* The firm's money out, less its money in, over the last turn (cents). */
static int64_t spent(const model_state_t *st) {
  model_holder_flows_t f;
  assert_int_equal(model_state_holder_flows(st, 0, &f), 0);
  return f.money_out - f.money_in;
}

/* The firm's use of product p over the last turn (kg). */
static int64_t used(const model_state_t *st, int p) {
  model_holder_flows_t f;
  assert_int_equal(model_state_holder_flows(st, 0, &f), 0);
  return f.consumed[p];
}

/* The unit cost the firm sees for its plant (cents per kg). */
static int64_t seen_unit_cost(const model_state_t *st) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, 0, &o), 0);
  assert_int_equal(o->n_facilities, 1);
  int64_t c = o->facilities[0].unit_cost_cents_per_kg;
  model_obs_free(o);
  return c;
}

/* Design J5: a plant ordered to 0.6 x the recipe uses 40% less Dy (Tb
 * following) from parameters.thrift.turns (4) turns after the order, and
 * pays the stated opex (thrift.cost $2.00 per kg at the full cut): against
 * the same plant ordered to the full recipe, its cash falls by exactly
 * $2.00 x its output more each turn, and by nothing more before. */
static void thrift_case(bool split) {
  model_map_t *m = thrift_map(split);
  int heavy = split ? MODEL_DY : MODEL_DYTB;
  int64_t full = split ? 10400 : 13000, cut = split ? 6240 : 7800;
  model_state_t *a = NULL, *b = NULL;
  assert_int_equal(model_state_new(m, 1, &a), 0);
  assert_int_equal(model_state_new(m, 1, &b), 0);
  helper_submit1(a, 0, operate(cut, split));
  helper_submit1(b, 0, operate(full, split));
  for (int t = 0; t < 6; t++) {
    helper_resolve(a, "thrifted");
    helper_resolve(b, "full recipe");
    const model_report_t *ra = model_last_report(a);
    const model_report_t *rb = model_last_report(b);
    int64_t out = ra->produced[MODEL_MAGNET];
    assert_int_equal(out, 1000000); /* 4,000 t/yr a quarter */
    assert_int_equal(rb->produced[MODEL_MAGNET], out);
    int64_t ua = used(a, heavy), ub = used(b, heavy);
    int64_t da = spent(a), db = spent(b);
    print_message("  %s turn %d: %s used %lld kg (full recipe %lld kg); "
                  "cash out %.2f (full recipe %.2f) USD\n",
                  split ? "split" : "basket", t, split ? "Dy" : "Dy/Tb",
                  (long long)ua, (long long)ub, da / 100.0, db / 100.0);
    assert_int_equal(ub, out * full / MODEL_PPM);
    /* the unit cost the firm sees (what its next kg costs) includes the
     * thrift opex from the turn the new recipe is in place */
    assert_int_equal(seen_unit_cost(a) - seen_unit_cost(b), t < 3 ? 0 : 200);
    if (t < 4) {
      assert_int_equal(ua, ub);
      assert_int_equal(da, db);
    } else {
      assert_int_equal(ua, out * cut / MODEL_PPM); /* 40% less */
      assert_int_equal(ua * 10, ub * 6);
      assert_int_equal(da - db, out * 200); /* $2.00 per kg */
      if (split) /* Tb by the same share: 0.0026 x 0.6 */
        assert_int_equal(used(a, MODEL_TB), out * 1560 / MODEL_PPM);
    }
    helper_submit1(a, 0, operate(0, split)); /* the recipe stays */
  }
  model_state_free(a);
  model_state_free(b);
  model_map_free(m);
}

static void test_thrift_basket(void **state) {
  (void)state;
  thrift_case(false);
}

static void test_thrift_split(void **state) {
  (void)state;
  thrift_case(true);
}

/* Outside [recipe x min_share, recipe], on a plant that is not a magnet
 * plant, or with the other map kind's key: refused, saying why. */
static void test_thrift_refused(void **state) {
  (void)state;
  model_map_t *m = thrift_map(false);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  const char *why = refusal(st, 0, operate(7799, false));
  assert_string_equal(why, "heavy_recipe must be between 0.0078 and 0.013 t "
                           "of dytb_oxide per t of magnet (thrift min_share "
                           "0.6 of the recipe's 0.013)");
  assert_non_null(strstr(refusal(st, 0, operate(13001, false)),
                         "must be between 0.0078 and 0.013"));
  assert_string_equal(refusal(st, 0, operate(7800, false)), "");
  assert_string_equal(refusal(st, 0, operate(13000, false)), "");
  assert_non_null(strstr(refusal(st, 0, operate(7800, true)),
                         "give heavy_recipe (t of dytb_oxide"));
  model_state_free(st);
  model_map_free(m);
  m = thrift_map(true);
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_non_null(strstr(refusal(st, 0, operate(7800, false)),
                         "give dy_recipe (t of dy_oxide"));
  assert_non_null(strstr(refusal(st, 0, operate(6000, true)),
                         "dy_recipe must be between 0.00624 and 0.0104"));
  model_state_free(st);
  model_map_free(m);
  m = helper_load("classroom");
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int s = helper_seat(m, "mountain_minerals");
  model_order_t o = operate(13000, false);
  strcpy(o.facility, "mountain_sep");
  assert_non_null(strstr(refusal(st, s, o), "heavy_recipe is for magnet "
                                            "plants; mountain_sep is a "
                                            "separation facility"));
  model_state_free(st);
  model_map_free(m);
}

/* A thrifting state round-trips in the middle of a change and plays on as
 * the original; a game where no plant ordered a recipe has no thrift
 * section (its bytes are those of before). */
static void test_thrift_round_trip(void **state) {
  (void)state;
  model_map_t *m = thrift_map(true);
  model_state_t *st = NULL, *back = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  uint8_t *buf = NULL;
  size_t len = 0;
  helper_resolve(st, "thrift turn 0");
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  assert_false(has_tag(buf, len, "\001thrift"));
  free(buf);
  helper_submit1(st, 0, operate(6240, true));
  helper_resolve(st, "thrift turn 1");
  helper_resolve(st, "thrift turn 2");
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  assert_true(has_tag(buf, len, "\001thrift"));
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  free(buf);
  model_obs_t *o = NULL;
  assert_int_equal(model_observe(back, 0, &o), 0);
  assert_int_equal(o->facilities[0].heavy_recipe_ppm, 10400);
  assert_int_equal(o->facilities[0].heavy_recipe_target_ppm, 6240);
  assert_int_equal(o->facilities[0].thrift_turns_left, 2);
  assert_int_equal(o->rules.thrift_min_share_ppm, 600000);
  assert_int_equal(o->rules.thrift_turns, 4);
  assert_int_equal(o->rules.thrift_cost_cents_per_kg, 200);
  model_obs_free(o);
  for (int t = 3; t < 7; t++) {
    helper_resolve(st, "thrift");
    helper_resolve(back, "thrift, restored");
    uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
    assert_int_equal(model_state_hash(st, h1), 0);
    assert_int_equal(model_state_hash(back, h2), 0);
    assert_memory_equal(h1, h2, sizeof h1);
  }
  assert_int_equal(used(back, MODEL_DY), 6240); /* 1,000 t x 0.00624 */
  model_state_free(st);
  model_state_free(back);
  model_map_free(m);
}

/* The integrator strategy thrifts where the heavies are dear: at ten times
 * S1's Dy and Tb prices the cut saves $17.3 per kg of magnet against $2.00
 * of opex, so it orders 0.6 x the recipe on its plant's operate order; at
 * S1's prices it saves $1.92 and orders nothing (design J3). */
static void integrator_orders(double dear, int64_t *recipe, size_t *n_out) {
  model_map_t *m = thrift_map(true);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_obs_t *o = NULL;
  assert_int_equal(model_observe(st, 0, &o), 0);
  for (size_t i = 0; i < MODEL_PRODUCTS * o->n_nations; i++)
    o->regional[i] = (int64_t)((double)o->regional[i] * dear);
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    o->price[p] = (int64_t)((double)o->price[p] * dear);
  agent_t *a = agent_new(agent_find("integrator"), 1);
  assert_non_null(a);
  model_order_t orders[MODEL_ORDERS_MAX];
  size_t n = 0;
  assert_int_equal(agent_act(a, o, orders, MODEL_ORDERS_MAX, &n), 0);
  *recipe = 0;
  for (size_t i = 0; i < n; i++)
    if (orders[i].op == MODEL_OP_OPERATE &&
        strcmp(orders[i].facility, "mag") == 0)
      *recipe = orders[i].dy_recipe_ppm;
  model_refusal_t r[MODEL_ORDERS_MAX];
  size_t bad = 0;
  assert_int_equal(model_validate(st, 0, orders, n, r, MODEL_ORDERS_MAX, &bad),
                   0);
  if (bad)
    fail_msg("integrator order refused: %s", r[0].message);
  *n_out = n;
  agent_free(a);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

static void test_integrator_thrifts(void **state) {
  (void)state;
  int64_t recipe = 0;
  size_t n = 0;
  integrator_orders(10.0, &recipe, &n);
  assert_int_equal(recipe, 6240);
  integrator_orders(1.0, &recipe, &n);
  assert_int_equal(recipe, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basket_map_as_today),
      cmocka_unit_test(test_split_refuses_the_basket),
      cmocka_unit_test(test_split_baskets),
      cmocka_unit_test(test_split_world_turn0),
      cmocka_unit_test(test_split_round_trip),
      cmocka_unit_test(test_thrift_basket),
      cmocka_unit_test(test_thrift_split),
      cmocka_unit_test(test_thrift_refused),
      cmocka_unit_test(test_thrift_round_trip),
      cmocka_unit_test(test_integrator_thrifts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
