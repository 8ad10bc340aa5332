/* test_overflow.c: money and tonnes never wrap (issue 9).
 *
 * Two reproductions of games whose books used to leave int64 silently:
 * (a) the classroom map with one nation's magnet demand at 1e9 t a year
 *     and $1e6/kg, met by an offer at $9e5/kg, booked a wrapped
 *     money_sources (4728255870415486204 cents) on the first turn; now the
 *     loader refuses such a map (docs/maps.md, "Bounds"), and a variant
 *     inside the bounds that still overflows is refused at resolve with
 *     MODEL_ERANGE;
 * (b) every seat of world-2024 (its 40 turns stretched to the model's 400)
 *     ordering the largest valid price floors, stockpiles, bids, subsidies
 *     and talent programmes every turn wrapped China's budget from -9.2e16
 *     to +9.2e16 USD at turn 207 (UBSan: turn.c, the talent programme's
 *     cost, then up to $1e14 a turn). With the order schema's limits
 *     (talent budgets up to $1e12 a turn) the budget falls more slowly;
 *     either way no holder's money passes 2^62 cents at any turn, and the
 *     turn that would (312 today) is refused with MODEL_ERANGE, naming the
 *     seat, leaving the state as it was.
 * Both run under ASan and UBSan without a report (label unit).
 */
#include "helpers.h"
#include "model_internal.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define LIMIT ((int64_t)1 << 62) /* the model's limit on a holder's money */

/* ---- (a) the classroom map with a huge magnet demand ---- */

static json_t *classroom_json(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/classroom.json", LAN_SOURCE_MAPS);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root)
    fail_msg("%s:%d: %s", path, je.line, je.text);
  return root;
}

static json_t *find_by(json_t *arr, const char *key, const char *id) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *s = json_string_value(json_object_get(v, key));
    if (s && strcmp(s, id) == 0)
      return v;
  }
  fail_msg("no entry with %s \"%s\"", key, id);
  return NULL;
}

/* China's magnet demand: `volume_t` t a year at `price_usd` per kg; Dragon
 * Magnets holds `stock_t` t of magnets and offers them all at $9e5/kg.
 * With `everywhere`, every nation has that demand, at elasticity -10, and
 * Euro Magnets and Mountain Minerals hold and offer as much too. */
static char *classroom_with_magnet_demand(double volume_t, double price_usd,
                                          double stock_t, bool everywhere) {
  json_t *root = classroom_json();
  size_t k;
  json_t *na;
  json_array_foreach(json_object_get(root, "nations"), k, na) {
    const char *id = json_string_value(json_object_get(na, "id"));
    if (!everywhere && strcmp(id, "CHN") != 0)
      continue;
    if (!json_object_get(na, "demand"))
      json_object_set_new(na, "demand", json_object());
    json_object_set_new(json_object_get(na, "demand"), "magnet",
                        json_pack("{s:f,s:f,s:f}", "volume", volume_t, "price",
                                  price_usd, "elasticity",
                                  everywhere ? -10.0 : -0.3));
  }
  static const char *const sellers[] = {"dragon_magnets", "euro_magnets",
                                        "mountain_minerals"};
  for (size_t i = 0; i < (everywhere ? 3u : 1u); i++) {
    json_t *seat = find_by(json_object_get(root, "seats"), "seat", sellers[i]);
    if (!json_object_get(seat, "inventory"))
      json_object_set_new(seat, "inventory", json_object());
    json_object_set_new(json_object_get(seat, "inventory"), "magnet",
                        json_real(stock_t));
    json_array_append_new(json_object_get(seat, "orders"),
                          json_pack("{s:s,s:s,s:f,s:f}", "op", "offer",
                                    "product", "magnet", "quantity", stock_t,
                                    "min_price", 9e5));
  }
  char *text = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  assert_non_null(text);
  return text;
}

static void hash_of(const model_state_t *st, uint8_t h[MODEL_HASH_BYTES]) {
  assert_int_equal(model_state_hash(st, h), 0);
}

/* Beyond the loader's bounds: refused when loading, with a message that
 * names the field and the bound. */
static void test_classroom_beyond_bounds_refused_by_loader(void **state) {
  (void)state;
  char *text = classroom_with_magnet_demand(1e9, 1e6, 1e9, false);
  model_map_t *m = NULL;
  model_error_t e;
  memset(&e, 0, sizeof e);
  int rc = model_map_load_string(text, strlen(text), "classroom-1e9t", &m, &e);
  free(text);
  assert_int_equal(rc, MODEL_EMAP);
  assert_null(m);
  print_message("refused: %s\n", e.message);
  /* the first figure beyond the bounds is the demand volume */
  assert_non_null(strstr(e.message, "between 0 and"));
  assert_non_null(strstr(e.message, "1e+09"));
}

/* Inside the bounds (every figure at most 5e7 t), the same market in every
 * nation at once, with three sellers, sells 1.25e11 kg at $9e5/kg: 1.1e19
 * cents, beyond int64. The first turn is refused with MODEL_ERANGE, names
 * the seat whose sale took the market's books beyond int64, and leaves the
 * state (and its hash) exactly as it was. */
static void test_classroom_inside_bounds_refused_at_resolve(void **state) {
  (void)state;
  char *text = classroom_with_magnet_demand(5e7, 1e6, 5e7, true);
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_string(text, strlen(text), "classroom-5e7t", &m, &e);
  free(text);
  if (rc)
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  uint8_t before[MODEL_HASH_BYTES], after[MODEL_HASH_BYTES];
  hash_of(st, before);
  assert_int_equal(model_resolve(st), MODEL_ERANGE);
  const char *msg = model_last_error(st);
  print_message("refused: %s\n", msg);
  assert_non_null(strstr(msg, "turn 0: seat "));
  assert_non_null(strstr(msg, "magnet market would pass the int64 range"));
  assert_int_equal(model_state_turn(st), 0);
  hash_of(st, after);
  assert_memory_equal(before, after, MODEL_HASH_BYTES);
  assert_int_equal(model_last_report(st)->turn, -1);
  /* refused again, the same way: nothing of the first attempt stayed */
  assert_int_equal(model_resolve(st), MODEL_ERANGE);
  hash_of(st, after);
  assert_memory_equal(before, after, MODEL_HASH_BYTES);
  model_state_free(st);
  model_map_free(m);
}

/* The same map with demand a thousand times smaller is an ordinary game:
 * the checks refuse nothing. */
static void test_classroom_ordinary_demand_resolves(void **state) {
  (void)state;
  char *text = classroom_with_magnet_demand(5e4, 70, 100, false);
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_string(text, strlen(text), "classroom-5e4t", &m, &e);
  free(text);
  if (rc)
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int t = 0; t < 4; t++) {
    int64_t total = helper_money_total(st);
    assert_int_equal(model_resolve(st), 0);
    assert_string_equal(model_last_error(st), "");
    helper_check_invariants(st, &total, "classroom-5e4t");
  }
  model_state_free(st);
  model_map_free(m);
}

/* ---- (b) world-2024 with every seat at the orders' limits ---- */

#define QTY_MAX   ((int64_t)1000000000000)    /* 1e9 t, the order limit */
#define PRICE_MAX (MODEL_PRICE_MAX_CENTS - 1) /* $999,999.99/kg */

/* The largest valid value of a policy kind's field, from the order schema
 * (model/order_schema.c), so the test follows the limits the wire and the
 * model enforce. */
static int64_t policy_max(int kind, const char *key) {
  const model_field_t *f =
      model_order_field(model_order_schema(MODEL_OP_POLICY, kind), key);
  int64_t lo = 0, hi = 0;
  assert_non_null(f);
  assert_int_equal(model_field_range(f, &lo, &hi), 0);
  return hi;
}

static size_t max_orders(const model_map_t *m, size_t seat, model_order_t *o) {
  size_t n = 0;
  bool nation = model_map_seat_kind(m, seat) == MODEL_SEAT_NATION;
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    if (!model_map_has_product(m, p))
      continue;
    model_order_t *b = &o[n++];
    memset(b, 0, sizeof *b);
    b->op = MODEL_OP_BID;
    b->product = p;
    b->quantity_kg = QTY_MAX;
    b->price_cents_per_kg = PRICE_MAX;
    if (!nation)
      continue;
    model_order_t *f = &o[n++];
    memset(f, 0, sizeof *f);
    f->op = MODEL_OP_POLICY;
    f->kind = MODEL_POL_PRICE_FLOOR;
    f->product = p;
    f->price_cents_per_kg = PRICE_MAX;
    f->quantity_kg = QTY_MAX;
    model_order_t *s = &o[n++];
    memset(s, 0, sizeof *s);
    s->op = MODEL_OP_POLICY;
    s->kind = MODEL_POL_STOCKPILE;
    s->product = p;
    s->target_kg = QTY_MAX;
  }
  if (nation)
    for (int g = 0; g < MODEL_STAGES; g++) {
      if (!model_map_has_stage(m, g))
        continue;
      model_order_t *s = &o[n++];
      memset(s, 0, sizeof *s);
      s->op = MODEL_OP_POLICY;
      s->kind = MODEL_POL_SUBSIDY;
      s->stage = g;
      s->capex_share_ppm = MODEL_PPM;
      s->output_cents_per_kg = policy_max(MODEL_POL_SUBSIDY, "output");
      model_order_t *t = &o[n++];
      memset(t, 0, sizeof *t);
      t->op = MODEL_OP_POLICY;
      t->kind = MODEL_POL_TALENT_PROGRAMME;
      t->skill = g;
      t->budget_cents = policy_max(MODEL_POL_TALENT_PROGRAMME, "budget");
    }
  return n;
}

static void test_world_max_orders_refused_before_wrap(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/world-2024.json", LAN_SOURCE_MAPS);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root)
    fail_msg("%s:%d: %s", path, je.line, je.text);
  json_object_set_new(root, "turns", json_integer(MODEL_TURNS_MAX));
  /* Without money limits (parameters.finance), so that the orders at
   * their limits can drive a budget to the edge of int64: with limits a
   * nation cannot spend past its deficit limit (test_v2 and
   * test_agents_limits cover that). */
  json_object_del(json_object_get(root, "parameters"), "finance");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(root, "nations"), i, v)
      json_object_del(v, "deficit_limit");
  json_array_foreach(json_object_get(root, "seats"), i, v)
      json_object_del(v, "credit_line");
  char *text = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  model_map_t *m = NULL;
  model_error_t e;
  int lrc = model_map_load_string(text, strlen(text), "world-400", &m, &e);
  free(text);
  if (lrc)
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  size_t S = model_map_seat_count(m);
  assert_int_equal(S, 17);
  int refused_at = -1;
  for (int t = 0; t < model_state_turns(st); t++) {
    for (size_t s = 0; s < S; s++) {
      model_order_t o[32];
      size_t n = max_orders(m, s, o), n_ref = 99;
      model_refusal_t r[32];
      assert_int_equal(model_submit(st, (int)s, o, n, r, 32, &n_ref), 0);
      if (n_ref)
        fail_msg("seat %s: order %zu refused: %s: %s", model_map_seat_id(m, s),
                 r[0].index, r[0].field, r[0].message);
    }
    uint8_t before[MODEL_HASH_BYTES], after[MODEL_HASH_BYTES];
    hash_of(st, before);
    int rc = model_resolve(st);
    if (rc == MODEL_ERANGE) {
      refused_at = t;
      const char *msg = model_last_error(st);
      print_message("refused: %s\n", msg);
      char want[64];
      snprintf(want, sizeof want, "turn %d: seat CHN: budget", t);
      assert_non_null(strstr(msg, want));
      /* the state is exactly as before the refused turn, submissions
       * included: resolving again refuses the same turn the same way */
      hash_of(st, after);
      assert_memory_equal(before, after, MODEL_HASH_BYTES);
      assert_int_equal(model_state_turn(st), t);
      assert_int_equal(model_last_report(st)->turn, t - 1);
      char first[MODEL_MESSAGE_MAX];
      snprintf(first, sizeof first, "%s", msg);
      assert_int_equal(model_resolve(st), MODEL_ERANGE);
      assert_string_equal(model_last_error(st), first);
      hash_of(st, after);
      assert_memory_equal(before, after, MODEL_HASH_BYTES);
      /* With no policy order this time (empty submissions keep the
       * standing ones), a facilitator's policy event is what changes
       * China's policies as the turn runs; the turn is still refused at
       * its end, and the change is rolled back with the rest. */
      for (size_t s = 0; s < S; s++)
        assert_int_equal(model_submit(st, (int)s, NULL, 0, NULL, 0, NULL), 0);
      model_event_t ev;
      memset(&ev, 0, sizeof ev);
      ev.kind = MODEL_EV_POLICY;
      snprintf(ev.nation, sizeof ev.nation, "CHN");
      ev.product = ev.stage = -1;
      ev.policy.op = MODEL_OP_POLICY;
      ev.policy.kind = MODEL_POL_TAX;
      ev.policy.rate_ppm = 123456;
      assert_int_equal(model_inject_event(st, &ev), 0);
      hash_of(st, before);
      assert_int_equal(model_resolve(st), MODEL_ERANGE);
      hash_of(st, after);
      assert_memory_equal(before, after, MODEL_HASH_BYTES);
      break;
    }
    assert_int_equal(rc, 0);
    for (size_t h = 0; h < model_state_holder_count(st); h++) {
      int64_t money = model_state_holder_money(st, h);
      if (money > LIMIT || money < -LIMIT)
        fail_msg("turn %d: holder %zu has %lld cents, beyond 2^62", t, h,
                 (long long)money);
    }
  }
  /* The spending reaches the 2^62-cent rule within the 400 turns (China's
   * budget falls by about $1.5e14 a turn): the refusal happened, which is
   * what keeps the budget from ever reaching the int64 wrap. */
  assert_true(refused_at > 0);
  model_state_free(st);
  model_map_free(m);
}

/* ---- the arithmetic itself (model_internal.h) ---- */

static void test_mul_div_checks_the_quotient(void **state) {
  (void)state;
  int64_t q = 0;
  /* exact, floor, also through the 128-bit path */
  assert_true(mul_div_ok(-7, 3, 2, &q));
  assert_int_equal(q, -11);
  assert_true(mul_div_ok(INT64_MAX, 3, 6, &q));
  assert_int_equal(q, INT64_MAX / 2);
  assert_true(mul_div_ok(250000000000, 90000000, 100, &q));
  assert_int_equal(q, (int64_t)225000000000000000);
  /* (a)'s money: 2.5e11 kg x 9e7 cents/kg does not fit; it used to be
   * truncated to a positive number, now it is refused and clamped */
  assert_false(mul_div_ok(250000000000, 90000000, 1, &q));
  assert_int_equal(q, INT64_MAX);
  assert_false(mul_div_ok(-250000000000, 90000000, 1, &q));
  assert_int_equal(q, INT64_MIN);
  assert_false(mul_div_ok(INT64_MIN, -1, 1, &q));
  assert_int_equal(q, INT64_MAX);
}

static void test_checked_add_records_the_first_error(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int64_t x = INT64_MAX - 5;
  ck_add(st, &x, 5, -1, "money sources", MODEL_U_CENTS, "final demand");
  assert_int_equal(x, INT64_MAX);
  assert_false(st->range_failed);
  ck_add(st, &x, 1, -1, "money sources", MODEL_U_CENTS, "final demand");
  assert_int_equal(x, INT64_MAX); /* unchanged, not wrapped */
  assert_true(st->range_failed);
  assert_non_null(strstr(st->range_msg, "the world: money sources would "
                                        "pass the int64 range"));
  /* a later error does not replace the first, which is the cause */
  int64_t y = INT64_MIN;
  ck_sub(st, &y, 1, 0, "cash", MODEL_U_CENTS, "opex");
  assert_int_equal(y, INT64_MIN);
  assert_null(strstr(st->range_msg, "cash"));
  int64_t z = ck_mul_div(st, INT64_MAX, 2, 1, 0, "opex", MODEL_U_CENTS);
  assert_int_equal(z, 0);
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_classroom_beyond_bounds_refused_by_loader),
      cmocka_unit_test(test_classroom_inside_bounds_refused_at_resolve),
      cmocka_unit_test(test_classroom_ordinary_demand_resolves),
      cmocka_unit_test(test_world_max_orders_refused_before_wrap),
      cmocka_unit_test(test_mul_div_checks_the_quotient),
      cmocka_unit_test(test_checked_add_records_the_first_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
