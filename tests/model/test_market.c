/* test_market.c: the market's allocation and prices, and the demand side.
 * - random markets (quotas, bans, licences, tariffs, stockpiles, floors,
 *   ties everywhere): the allocation and the prices form an optimality
 *   certificate (complementary slackness), turn after turn;
 * - no kg trades without gain (the least volume of the optimal
 *   allocations);
 * - regional prices stay finite and mean something where nothing is
 *   delivered: buyers' top unmet bid, or the delivered cost of one more kg,
 *   or last turn's price;
 * - substitution erodes reference demand by at most substitution_cap a
 *   year while prices stay above the reference, and it comes back over
 *   about two years;
 * - the report's capacity is online capacity, the observation's announced
 *   capacity. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static model_map_t *load_json(const char *json) {
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_string(json, strlen(json), "test", &m, &e);
  if (rc)
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  return m;
}

/* ---- an optimality certificate on random markets ---- */

typedef struct {
  char *b;
  size_t n, cap;
} buf_t;

static void put(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(buf_t *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->b + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if (w >= 0 && (size_t)w < b->cap - b->n) {
      b->n += (size_t)w;
      return;
    }
    b->cap = b->cap * 2 + 4096;
    b->b = realloc(b->b, b->cap);
    assert_non_null(b->b);
  }
}

static const char *const PRODUCT[] = {"concentrate", "ndpr_oxide", "dytb_oxide",
                                      "lace_oxide", "magnet"};
static const double BASE[] = {5, 55, 350, 1, 70};

/* A price from a few levels, so that ties between sellers, buyers and
 * delivered prices are common. */
static double level(uint64_t *r, int p) {
  static const double f[] = {0.5, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 2.0};
  return (double)(int64_t)(BASE[p] * f[helper_range(r, 0, 7)] * 100) / 100;
}

static char *random_map(uint64_t seed) {
  uint64_t r = seed * 0x9E3779B97F4A7C15ull + 1;
  buf_t b = {malloc(4096), 0, 4096};
  int n = (int)helper_range(&r, 1, 6), nf = (int)helper_range(&r, 1, 16);
  put(&b,
      "{\"id\": \"rnd\", \"title\": \"random\", \"turns\": 5, \"parameters\": "
      "{\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 55, \"dytb_oxide\": "
      "350, \"lace_oxide\": 1, \"magnet\": 70}, \"transport\": "
      "{\"default\": {");
  for (int p = 0; p < MODEL_DY; p++)
    put(&b, "%s\"%s\": %s", p ? ", " : "", PRODUCT[p],
        helper_range(&r, 0, 2) ? "0.2" : "0");
  put(&b, "}}}, \"nations\": [");
  for (int i = 0; i < n; i++) {
    put(&b, "%s{\"id\": \"N%d\", \"title\": \"N\", \"budget\": 1e9, ",
        i ? ", " : "", i);
    put(&b, "\"demand\": {");
    int nd = 0;
    for (int p = 0; p < MODEL_DY; p++)
      if (helper_range(&r, 0, 1))
        put(&b, "%s\"%s\": {\"volume\": %d, \"elasticity\": -%s}",
            nd++ ? ", " : "", PRODUCT[p], (int)helper_range(&r, 0, 4) * 1000,
            helper_range(&r, 0, 1) ? "0.3" : "1");
    put(&b, "}, \"policies\": [");
    int np = 0;
    for (int k = (int)helper_range(&r, 0, 3); k > 0; k--) {
      int p = (int)helper_range(&r, 0, MODEL_DY - 1);
      int to = (int)helper_range(&r, 0, n);
      if (to == i)
        continue;
      char dest[16];
      snprintf(dest, sizeof dest, to == n ? "all" : "N%d", to);
      switch (helper_range(&r, 0, 5)) {
      case 0:
        put(&b,
            "%s{\"op\": \"policy\", \"kind\": \"export_quota\", "
            "\"product\": \"%s\", \"quantity\": %d, \"to\": \"%s\"}",
            np++ ? ", " : "", PRODUCT[p], (int)helper_range(&r, 0, 3) * 300,
            dest);
        break;
      case 1:
        put(&b,
            "%s{\"op\": \"policy\", \"kind\": \"export_ban\", \"product\": "
            "\"%s\", \"to\": \"%s\"}",
            np++ ? ", " : "", PRODUCT[p], dest);
        break;
      case 2:
        put(&b,
            "%s{\"op\": \"policy\", \"kind\": \"export_licence\", "
            "\"product\": \"%s\", \"approval\": 0.%d, \"to\": \"%s\"}",
            np++ ? ", " : "", PRODUCT[p], (int)helper_range(&r, 0, 9), dest);
        break;
      case 3:
        put(&b,
            "%s{\"op\": \"policy\", \"kind\": \"tariff\", \"product\": "
            "\"%s\", \"rate\": 0.%d, \"from\": \"%s\"}",
            np++ ? ", " : "", PRODUCT[p], (int)helper_range(&r, 0, 5), dest);
        break;
      case 4:
        put(&b,
            "%s{\"op\": \"policy\", \"kind\": \"price_floor\", \"product\": "
            "\"%s\", \"price\": %.2f, \"quantity\": %d}",
            np++ ? ", " : "", PRODUCT[p], level(&r, p),
            (int)helper_range(&r, 1, 3) * 100);
        break;
      default:
        put(&b,
            "%s{\"op\": \"policy\", \"kind\": \"stockpile\", \"product\": "
            "\"%s\", \"target\": %d}",
            np++ ? ", " : "", PRODUCT[p], (int)helper_range(&r, 0, 3) * 200);
      }
    }
    put(&b, "]}");
  }
  put(&b, "], \"seats\": [");
  for (int f = 0; f < nf; f++) {
    put(&b,
        "%s{\"seat\": \"f%d\", \"kind\": \"firm\", \"title\": \"F\", "
        "\"nation\": \"N%d\", \"cash\": %s, \"inventory\": {",
        f ? ", " : "", f, (int)helper_range(&r, 0, n - 1),
        helper_range(&r, 0, 3) ? "1e8" : "2000");
    for (int p = 0; p < MODEL_DY; p++)
      put(&b, "%s\"%s\": %d", p ? ", " : "", PRODUCT[p],
          (int)helper_range(&r, 0, 3) * 500);
    put(&b, "}, \"orders\": [");
    int no = 0;
    for (int p = 0; p < MODEL_DY; p++) {
      int64_t x = helper_range(&r, 0, 3);
      if (x == 0)
        put(&b,
            "%s{\"op\": \"offer\", \"product\": \"%s\", \"quantity\": %d, "
            "\"min_price\": %.2f}",
            no++ ? ", " : "", PRODUCT[p], (int)helper_range(&r, 1, 4) * 250,
            level(&r, p));
      else if (x == 1)
        put(&b,
            "%s{\"op\": \"bid\", \"product\": \"%s\", \"quantity\": %d, "
            "\"max_price\": %.2f}",
            no++ ? ", " : "", PRODUCT[p], (int)helper_range(&r, 1, 4) * 250,
            level(&r, p));
    }
    put(&b, "]}");
  }
  put(&b, "]}");
  return b.b;
}

/* The prices are optimal duals of the allocation: sellers priced below
 * their node's price sold everything, above it nothing; buyers the other
 * way round; a trade flows only where the price gap covers transport and
 * tariff, and an uncapped arc leaves no wider gap. Together with the
 * invariants this certifies that no other allocation has more welfare. */
static void check_certificate(const model_state_t *st, const char *where) {
  const model_report_t *r = model_last_report(st);
  size_t N = r->n_nations;
  for (int p = 0; p < MODEL_DY; p++) {
    const model_trade_t *t;
    size_t nt = model_last_trades(st, p, &t);
    for (size_t k = 0; k < nt; k++) {
      int64_t price = t[k].price_cents, lim = t[k].limit_cents;
      bool in = t[k].is_bid ? lim > price : lim < price;
      bool out = t[k].is_bid ? lim < price : lim > price;
      if (in && t[k].filled_kg != t[k].quantity_kg)
        fail_msg("%s, %s: a %s at %lld is not filled at %lld", where,
                 PRODUCT[p], t[k].is_bid ? "bid" : "offer", (long long)lim,
                 (long long)price);
      if (out && t[k].filled_kg != 0)
        fail_msg("%s, %s: a %s at %lld is filled at %lld", where, PRODUCT[p],
                 t[k].is_bid ? "bid" : "offer", (long long)lim,
                 (long long)price);
    }
    for (size_t j = 0; j < N; j++) {
      int64_t pj = r->regional[(size_t)p * N + j];
      if (pj < 0 || pj >= MODEL_PRICE_MAX_CENTS)
        fail_msg("%s, %s: regional price %lld", where, PRODUCT[p],
                 (long long)pj);
    }
  }
  helper_check_invariants(st, NULL, where);
}

/* No kg trades without gain: no path of zero gain, along which trade could
 * shrink, joins a filled bid priced exactly at its region's price to a
 * filled offer priced exactly at its region's (backwards along flowing
 * arcs with no gain, forwards along open arcs with no gain). Final demand
 * is not listed per kg, so its indifferent kg are not checked. */
static void check_least_volume(const model_state_t *st, const char *where) {
  const model_report_t *r = model_last_report(st);
  size_t N = r->n_nations;
  for (int p = 0; p < MODEL_DY; p++) {
    const model_trade_t *t;
    const model_flow_t *f;
    size_t nt = model_last_trades(st, p, &t);
    size_t nf = model_last_flows(st, p, &f);
    bool buyer[MODEL_NATIONS_MAX] = {false},
         seller[MODEL_NATIONS_MAX] = {false};
    for (size_t k = 0; k < nt; k++)
      if (t[k].filled_kg > 0 && t[k].limit_cents == t[k].price_cents)
        (t[k].is_bid ? buyer : seller)[t[k].nation] = true;
    /* from indifferent buyers' regions: home sellers, or exporters whose
     * flow in gains nothing; then from sellers, open arcs of no gain */
    bool seen_d[MODEL_NATIONS_MAX] = {false},
         seen_s[MODEL_NATIONS_MAX] = {false};
    for (size_t j = 0; j < N; j++)
      seen_d[j] = buyer[j];
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t j = 0; j < N; j++)
        if (seen_d[j] && !seen_s[j] &&
            model_last_seller_price(st, p, j) == r->regional[(size_t)p * N + j])
          seen_s[j] = grew = true; /* the home arc: free, uncapped */
      for (size_t k = 0; k < nf; k++) {
        int64_t gap = r->regional[(size_t)p * N + (size_t)f[k].to] -
                      model_last_seller_price(st, p, (size_t)f[k].from);
        if (gap != f[k].transport_cents + f[k].tariff_cents)
          continue;
        if (seen_d[f[k].to] && f[k].flow_kg > 0 && !seen_s[f[k].from])
          seen_s[f[k].from] = grew = true;
        if (seen_s[f[k].from] && !f[k].capped && !seen_d[f[k].to])
          seen_d[f[k].to] = grew = true;
      }
    }
    for (size_t i = 0; i < N; i++)
      if (seen_s[i] && seller[i])
        fail_msg("%s, %s: trade could shrink at no loss from a buyer to "
                 "sellers in nation %zu",
                 where, PRODUCT[p], i);
  }
}

static void test_random_markets(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 300; seed++) {
    char *json = random_map(seed);
    model_map_t *m = load_json(json);
    free(json);
    model_state_t *st;
    assert_int_equal(model_state_new(m, seed, &st), 0);
    while (model_state_turn(st) < model_state_turns(st)) {
      char where[64];
      snprintf(where, sizeof where, "map %llu turn %d",
               (unsigned long long)seed, model_state_turn(st));
      assert_int_equal(model_resolve(st), 0);
      check_certificate(st, where);
      check_least_volume(st, where);
    }
    model_state_free(st);
    model_map_free(m);
  }
}

/* ---- ties ---- */

static void test_no_trade_without_gain(void **state) {
  (void)state;
  /* one region: 1,000 t offered at 10, 1,000 t bid at exactly 10 and
   * 400 t at 11: only the 400 t gain anything, so only they trade */
  model_map_t *m = load_json(
      "{\"id\": \"ties\", \"title\": \"ties\", \"turns\": 2,"
      " \"parameters\": {\"prices\": {\"concentrate\": 10, \"ndpr_oxide\": 50,"
      " \"dytb_oxide\": 300, \"lace_oxide\": 1, \"magnet\": 60}},"
      " \"nations\": [{\"id\": \"A\", \"title\": \"A\"}],"
      " \"seats\": ["
      "  {\"seat\": \"s\", \"kind\": \"firm\", \"title\": \"S\", \"nation\": "
      "\"A\", \"inventory\": {\"concentrate\": 1000}, \"orders\": [{\"op\": "
      "\"offer\", \"product\": \"concentrate\", \"quantity\": 1000, "
      "\"min_price\": 10}]},"
      "  {\"seat\": \"b\", \"kind\": \"firm\", \"title\": \"B\", \"nation\": "
      "\"A\", \"cash\": 1e9, \"orders\": [{\"op\": \"bid\", \"product\": "
      "\"concentrate\", \"quantity\": 1000, \"max_price\": 10}]},"
      "  {\"seat\": \"c\", \"kind\": \"firm\", \"title\": \"C\", \"nation\": "
      "\"A\", \"cash\": 1e9, \"orders\": [{\"op\": \"bid\", \"product\": "
      "\"concentrate\", \"quantity\": 400, \"max_price\": 11}]}]}");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_int_equal(model_resolve(st), 0);
  const model_report_t *r = model_last_report(st);
  assert_int_equal(r->volume[MODEL_CONCENTRATE], 400000);
  /* the price is 10: between the last unit sold and the next unsold, and
   * the indifferent bidder at 10 gets nothing */
  assert_int_equal(r->regional[MODEL_CONCENTRATE], 1000);
  assert_int_equal(model_state_holder_inventory(st, 1, MODEL_CONCENTRATE), 0);
  assert_int_equal(model_state_holder_inventory(st, 2, MODEL_CONCENTRATE),
                   400000);
  helper_check_invariants(st, NULL, "ties");
  model_state_free(st);
  model_map_free(m);
}

/* ---- regional prices where nothing is delivered ---- */

static void test_prices_where_nothing_arrives(void **state) {
  (void)state;
  /* A sells concentrate at 10 and has no buyers; B's buyers bid 30 but A
   * bans exports to B; C has no buyers and a route from A (transport
   * 0.50); D has no buyers and no route (banned). */
  model_map_t *m = load_json(
      "{\"id\": \"reach\", \"title\": \"reach\", \"turns\": 3,"
      " \"parameters\": {\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 50,"
      " \"dytb_oxide\": 300, \"lace_oxide\": 1, \"magnet\": 60},"
      " \"transport\": {\"default\": {\"concentrate\": 0.5, \"ndpr_oxide\": "
      "0.5, \"dytb_oxide\": 0.5, \"lace_oxide\": 0.5, \"magnet\": 0.5}}},"
      " \"nations\": ["
      "  {\"id\": \"A\", \"title\": \"A\", \"policies\": ["
      "   {\"op\": \"policy\", \"kind\": \"export_ban\", \"product\": "
      "\"concentrate\", \"to\": \"B\"},"
      "   {\"op\": \"policy\", \"kind\": \"export_ban\", \"product\": "
      "\"concentrate\", \"to\": \"D\"}]},"
      "  {\"id\": \"B\", \"title\": \"B\"}, {\"id\": \"C\", \"title\": \"C\"},"
      "  {\"id\": \"D\", \"title\": \"D\"}],"
      " \"seats\": ["
      "  {\"seat\": \"a\", \"kind\": \"firm\", \"title\": \"A\", \"nation\": "
      "\"A\", \"inventory\": {\"concentrate\": 1000}, \"orders\": [{\"op\": "
      "\"offer\", \"product\": \"concentrate\", \"quantity\": 1000, "
      "\"min_price\": 10}]},"
      "  {\"seat\": \"b\", \"kind\": \"firm\", \"title\": \"B\", \"nation\": "
      "\"B\", \"cash\": 1e9, \"orders\": [{\"op\": \"bid\", \"product\": "
      "\"concentrate\", \"quantity\": 100, \"max_price\": 30}]}]}");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int t = 0; t < 2; t++) {
    assert_int_equal(model_resolve(st), 0);
    const model_report_t *r = model_last_report(st);
    const int64_t *reg = r->regional + (size_t)MODEL_CONCENTRATE * 4;
    assert_int_equal(r->volume[MODEL_CONCENTRATE], 0);
    /* A: one more kg costs its sellers' 10 */
    assert_int_equal(reg[0], 1000);
    /* B: nothing can reach it; its buyers' top bid, where B wants nothing */
    assert_int_equal(reg[1], 3000);
    /* C: A's next kg plus transport */
    assert_int_equal(reg[2], 1050);
    /* D: no buyers, no route: last turn's price (the map's before turn 0) */
    assert_int_equal(reg[3], 500);
    helper_check_invariants(st, NULL, "reach");
  }
  model_state_free(st);
  model_map_free(m);
}

static void test_classroom_prices_finite(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  while (model_state_turn(st) < model_state_turns(st)) {
    assert_int_equal(model_resolve(st), 0);
    const model_report_t *r = model_last_report(st);
    for (size_t k = 0; k < MODEL_PRODUCTS * r->n_nations; k++)
      assert_true(model_map_has_product(m, (int)(k / r->n_nations))
                      ? r->regional[k] > 0 &&
                            r->regional[k] < MODEL_PRICE_MAX_CENTS / 100
                      : r->regional[k] == 0);
  }
  model_state_free(st);
  model_map_free(m);
}

/* ---- substitution ---- */

/* Region A: magnets, reference 10,000 t a quarter at $50 (elasticity -0.5,
 * no growth); a seller offers without limit at `price`. */
static model_map_t *subst_map(const char *price, const char *cap) {
  char json[2048];
  snprintf(
      json, sizeof json,
      "{\"id\": \"subst\", \"title\": \"subst\", \"turns\": 40,"
      " \"parameters\": {\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 50,"
      " \"dytb_oxide\": 300, \"lace_oxide\": 1, \"magnet\": 50}%s%s},"
      " \"nations\": [{\"id\": \"A\", \"title\": \"A\", \"demand\": "
      "{\"magnet\": {\"volume\": 40000, \"elasticity\": -0.5}}}],"
      " \"seats\": [{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\"},"
      "  {\"seat\": \"m\", \"kind\": \"firm\", \"title\": \"M\", \"nation\": "
      "\"A\", \"inventory\": {\"magnet\": 1e6}, \"orders\": [{\"op\": "
      "\"offer\", \"product\": \"magnet\", \"quantity\": 1e6, \"min_price\": "
      "%s}]}]}",
      cap ? ", \"substitution_cap\": " : "", cap ? cap : "", price);
  return load_json(json);
}

static int64_t reference_kg(model_state_t *st) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, 0, &o), 0);
  int64_t q = o->demand_kg[MODEL_MAGNET];
  model_obs_free(o);
  return q;
}

static void set_offer(model_state_t *st, int64_t cents) {
  model_order_t o;
  memset(&o, 0, sizeof o);
  o.op = MODEL_OP_OFFER;
  o.product = MODEL_MAGNET;
  o.quantity_kg = 1000000000;
  o.price_cents_per_kg = cents;
  size_t n;
  assert_int_equal(model_submit(st, 1, &o, 1, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
}

static int64_t ppm(int64_t a, int64_t b) {
  return a * b / 1000000; /* both non-negative, small */
}

static void test_substitution(void **state) {
  (void)state;
  const int64_t trend = 10000000; /* kg a quarter */
  /* at twice the reference price: the full cap, 2.5% of what is left a
   * quarter, so under 10% in a year; the exact integer path */
  model_map_t *m = subst_map("100", NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_int_equal(reference_kg(st), trend);
  int64_t s = 0;
  for (int t = 0; t < 12; t++) {
    int64_t before = reference_kg(st);
    assert_int_equal(model_resolve(st), 0);
    assert_int_equal(model_last_report(st)->regional[MODEL_MAGNET], 10000);
    s += ppm(1000000 - s, 25000);
    assert_int_equal(reference_kg(st), trend - ppm(trend, s));
    assert_true(before - reference_kg(st) <= ppm(before, 25000));
    if (t == 3) /* a year: no more than the cap */
      assert_true(reference_kg(st) >= trend - ppm(trend, 100000));
  }
  /* back at the reference price: cap / 8 of the trend a quarter, so the
   * three years' loss (26%) takes a little over five years to recover,
   * one year's (9.6%) about two */
  set_offer(st, 5000);
  int turns = 0;
  while (s > 0) {
    assert_int_equal(model_resolve(st), 0);
    s -= s < 12500 ? s : 12500;
    assert_int_equal(reference_kg(st), trend - ppm(trend, s));
    turns++;
  }
  assert_int_equal(turns, 21);
  assert_int_equal(reference_kg(st), trend);
  model_state_free(st);
  model_map_free(m);

  /* half the excess, half the speed; and a cap of 0 switches it off */
  m = subst_map("75", NULL);
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_int_equal(model_resolve(st), 0);
  assert_int_equal(reference_kg(st), trend - ppm(trend, 12500));
  model_state_free(st);
  model_map_free(m);
  m = subst_map("100", "0");
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int t = 0; t < 8; t++)
    assert_int_equal(model_resolve(st), 0);
  assert_int_equal(reference_kg(st), trend);
  model_state_free(st);
  model_map_free(m);
  /* at or below the reference price nothing goes */
  m = subst_map("50", NULL);
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int t = 0; t < 8; t++)
    assert_int_equal(model_resolve(st), 0);
  assert_int_equal(reference_kg(st), trend);
  model_state_free(st);
  model_map_free(m);
}

/* The substitution survives a save and a load, so a reloaded game goes on
 * the same way. */
static void test_substitution_serialised(void **state) {
  (void)state;
  model_map_t *m = subst_map("100", NULL);
  model_state_t *st, *cl;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int t = 0; t < 3; t++)
    assert_int_equal(model_resolve(st), 0);
  assert_int_equal(model_state_clone(st, &cl), 0);
  assert_int_equal(reference_kg(cl), reference_kg(st));
  for (int t = 0; t < 3; t++) {
    assert_int_equal(model_resolve(st), 0);
    assert_int_equal(model_resolve(cl), 0);
  }
  uint8_t a[MODEL_HASH_BYTES], b[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(st, a), 0);
  assert_int_equal(model_state_hash(cl, b), 0);
  assert_memory_equal(a, b, sizeof a);
  model_state_free(cl);
  model_state_free(st);
  model_map_free(m);
}

/* ---- capacity: online in the report, announced in observations ---- */

static void test_capacity_online_and_announced(void **state) {
  (void)state;
  model_map_t *m = load_json(
      "{\"id\": \"cap\", \"title\": \"cap\", \"turns\": 8,"
      " \"parameters\": {\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 50,"
      " \"dytb_oxide\": 300, \"lace_oxide\": 1, \"magnet\": 60}},"
      " \"nations\": [{\"id\": \"A\", \"title\": \"A\"}],"
      " \"seats\": [{\"seat\": \"f\", \"kind\": \"firm\", \"title\": \"F\","
      "  \"nation\": \"A\"}],"
      " \"facilities\": ["
      "  {\"id\": \"old\", \"owner\": \"f\", \"stage\": \"magnet\", "
      "\"capacity\": 1000},"
      "  {\"id\": \"new\", \"owner\": \"f\", \"stage\": \"magnet\", "
      "\"capacity\": 500, \"building\": 2}]}");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int t = 0; t < 3; t++) {
    assert_int_equal(model_resolve(st), 0);
    const model_report_t *r = model_last_report(st);
    int64_t online = r->capacity[MODEL_MAGNETS];
    model_obs_t *o;
    assert_int_equal(model_observe(st, 0, &o), 0);
    /* the new plant is done at the end of turn 1 (two turns to go) */
    assert_int_equal(online, t < 1 ? 1000000 : 1500000);
    assert_int_equal(o->capacity[MODEL_MAGNETS], 1500000);
    model_obs_free(o);
  }
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_markets),
      cmocka_unit_test(test_no_trade_without_gain),
      cmocka_unit_test(test_prices_where_nothing_arrives),
      cmocka_unit_test(test_classroom_prices_finite),
      cmocka_unit_test(test_substitution),
      cmocka_unit_test(test_substitution_serialised),
      cmocka_unit_test(test_capacity_online_and_announced),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
