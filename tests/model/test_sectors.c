/* test_sectors.c: demand by sector (issue 11, docs/design/model-v2.md J2,
 * docs/model.md "Demand by sector").
 * - a demand object of one sector plays exactly as the same curve without
 *   sectors (prices, volumes, money, demand, turn after turn);
 * - a sum of lines clears exactly: the volume, the price between the
 *   curve's values, the lines' purchases adding up to the market's;
 * - growth arrays: a line grows at the rate of year turn / 4, the last
 *   rate holding;
 * - cleared_in places a line in another nation's market (no transport, no
 *   import) and counts_for credits its purchases to the consuming
 *   nation's supply security (own or allied sellers);
 * - qualified_only lines buy only qualified suppliers' magnets, even when
 *   an unqualified seller is cheaper;
 * - exclude_origin lines refuse the tracked origin from from_turn;
 * - the loader refuses bad sectors with a clear message;
 * - the state round-trips through serialisation. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define PRICES                                                                 \
  "\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 50, \"dytb_oxide\": "      \
  "300, \"lace_oxide\": 1, \"magnet\": 60}"

/* A map of nations and seats (JSON fragments), with extra parameters. */
static model_map_t *sec_map(const char *params, const char *nations,
                            const char *seats, model_error_t *err) {
  static char json[16384];
  snprintf(json, sizeof json,
           "{\"id\": \"sectors\", \"title\": \"sectors\", \"turns\": 16,"
           " \"parameters\": {" PRICES "%s}, \"nations\": [%s],"
           " \"seats\": [%s]}",
           params, nations, seats);
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_string(json, strlen(json), "sectors", &m, &e);
  if (err) {
    *err = e;
    return rc ? NULL : m;
  }
  if (rc)
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  return m;
}

/* A line as the market evaluates it (market.c line_at): through (p0, q0)
 * with elasticity el, kg at price t (cents). */
static int64_t line(int64_t q0, int64_t p0, int64_t el, int64_t t) {
  int64_t slope =
      (int64_t)(((__int128)el * q0 << 32) / ((__int128)p0 * MODEL_PPM));
  __int128 q = ((__int128)slope * (p0 - t)) >> 32;
  q += q0;
  return q < 0 ? 0 : (int64_t)q;
}

static model_obs_t *obs_of(const model_state_t *st, int seat) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, seat, &o), 0);
  return o;
}

static const model_obs_sector_t *sector_of(const model_obs_t *o,
                                           const char *nation, int sector) {
  for (size_t i = 0; i < o->n_sectors; i++)
    if (strcmp(o->nations[o->sectors[i].nation], nation) == 0 &&
        o->sectors[i].sector == sector && o->sectors[i].product == MODEL_MAGNET)
      return &o->sectors[i];
  fail_msg("no sector %s of %s", model_sector_name(sector), nation);
  return NULL;
}

/* ---- one sector is today's curve ---- */

static const char *const TWO_SEATS =
    "{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\", \"nation\": "
    "\"A\"},"
    "{\"seat\": \"m\", \"kind\": \"firm\", \"title\": \"M\", \"nation\": "
    "\"A\", \"inventory\": {\"magnet\": 1e6}, \"orders\": [{\"op\": "
    "\"offer\", \"product\": \"magnet\", \"quantity\": 6000, \"min_price\": "
    "30}]},"
    "{\"seat\": \"n\", \"kind\": \"firm\", \"title\": \"N\", \"nation\": "
    "\"B\", \"inventory\": {\"magnet\": 1e6}, \"orders\": [{\"op\": "
    "\"offer\", \"product\": \"magnet\", \"quantity\": 2000, \"min_price\": "
    "50}]}";

static void test_one_sector_is_the_curve(void **state) {
  (void)state;
  const char *params = ", \"transport\": {\"default\": {\"concentrate\": 1, "
                       "\"ndpr_oxide\": 1, \"dytb_oxide\": 1, "
                       "\"lace_oxide\": 1, \"magnet\": 0.5}}";
  model_map_t *plain =
      sec_map(params,
              "{\"id\": \"A\", \"title\": \"A\", \"demand\": {\"magnet\": "
              "{\"volume\": 40000, \"elasticity\": -0.5, \"growth\": 0.05}}},"
              "{\"id\": \"B\", \"title\": \"B\", \"demand\": {\"magnet\": "
              "{\"volume\": 20000, \"elasticity\": -0.8, \"max_price\": 150}}}",
              TWO_SEATS, NULL);
  model_map_t *sect =
      sec_map(params,
              "{\"id\": \"A\", \"title\": \"A\", \"demand\": {\"magnet\": "
              "{\"sectors\": [{\"sector\": \"other\", \"volume\": 40000, "
              "\"elasticity\": -0.5, \"growth\": 0.05}]}}},"
              "{\"id\": \"B\", \"title\": \"B\", \"demand\": {\"magnet\": "
              "{\"elasticity\": -0.8, \"max_price\": 150, \"sectors\": "
              "[{\"sector\": \"other\", \"volume\": 20000}]}}}",
              TWO_SEATS, NULL);
  model_state_t *a, *b;
  assert_int_equal(model_state_new(plain, 1, &a), 0);
  assert_int_equal(model_state_new(sect, 1, &b), 0);
  bool above = false;
  for (int t = 0; t < 12; t++) {
    helper_resolve(a, "plain");
    helper_resolve(b, "one sector");
    const model_report_t *ra = model_last_report(a), *rb = model_last_report(b);
    assert_memory_equal(ra->price, rb->price, sizeof ra->price);
    assert_memory_equal(ra->volume, rb->volume, sizeof ra->volume);
    assert_memory_equal(ra->regional, rb->regional,
                        MODEL_PRODUCTS * ra->n_nations * sizeof *ra->regional);
    above |= ra->regional[MODEL_MAGNET * ra->n_nations] > 6000;
    for (size_t h = 0; h < model_state_holder_count(a); h++) {
      assert_int_equal(model_state_holder_money(a, h),
                       model_state_holder_money(b, h));
      assert_int_equal(model_state_holder_inventory(a, h, MODEL_MAGNET),
                       model_state_holder_inventory(b, h, MODEL_MAGNET));
    }
    model_obs_t *oa = obs_of(a, 0), *ob = obs_of(b, 0);
    assert_int_equal(oa->demand_kg[MODEL_MAGNET], ob->demand_kg[MODEL_MAGNET]);
    assert_int_equal(oa->n_sectors, 0);
    assert_int_equal(ob->n_sectors, 2);
    assert_int_equal(sector_of(ob, "A", 5)->volume_kg,
                     oa->demand_kg[MODEL_MAGNET]);
    model_obs_free(oa);
    model_obs_free(ob);
  }
  /* prices went above the reference, so substitution took part */
  assert_true(above);
  model_state_free(a);
  model_state_free(b);
  model_map_free(plain);
  model_map_free(sect);
}

/* ---- a sum of lines clears exactly ---- */

static void test_sum_of_lines(void **state) {
  (void)state;
  /* A: EV 40,000 t/yr at elasticity -0.5, industrial 20,000 t/yr at
   * -1.2 up to $90; 8,000 t offered at $1 a quarter, less than the
   * 15,000 t wanted at the reference price */
  model_map_t *m = sec_map(
      ", \"substitution_cap\": 0",
      "{\"id\": \"A\", \"title\": \"A\", \"demand\": {\"magnet\": "
      "{\"sectors\": [{\"sector\": \"ev\", \"volume\": 40000, "
      "\"elasticity\": -0.5}, {\"sector\": \"industrial\", \"volume\": "
      "20000, \"elasticity\": -1.2, \"max_price\": 90}]}}}",
      "{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\", "
      "\"nation\": \"A\"},"
      "{\"seat\": \"m\", \"kind\": \"firm\", \"title\": \"M\", \"nation\": "
      "\"A\", \"inventory\": {\"magnet\": 1e6}, \"orders\": [{\"op\": "
      "\"offer\", \"product\": \"magnet\", \"quantity\": 8000, "
      "\"min_price\": 1}]}",
      NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_obs_t *o = obs_of(st, 0);
  assert_int_equal(o->n_sectors, 2);
  assert_int_equal(sector_of(o, "A", 0)->volume_kg, 10000000);
  assert_int_equal(sector_of(o, "A", 2)->volume_kg, 5000000);
  assert_int_equal(o->demand_kg[MODEL_MAGNET], 15000000);
  model_obs_free(o);
  helper_resolve(st, "lines");
  const model_report_t *r = model_last_report(st);
  int64_t q = 8000000, p = r->regional[MODEL_MAGNET];
  assert_int_equal(r->volume[MODEL_MAGNET], q);
  /* the price is where the sum of the lines meets the supply */
  int64_t at = line(10000000, 6000, 500000, p) +
               (p > 9000 ? 0 : line(5000000, 6000, 1200000, p));
  int64_t next = line(10000000, 6000, 500000, p + 1) +
                 (p + 1 > 9000 ? 0 : line(5000000, 6000, 1200000, p + 1));
  print_message("two lines: %lld kg at %lld cents\n", (long long)q,
                (long long)p);
  assert_true(at >= q && next <= q);
  assert_true(p > 6000);
  /* the lines' purchases add up to the market's, to the kg */
  o = obs_of(st, 0);
  const model_obs_sector_t *ev = sector_of(o, "A", 0),
                           *in = sector_of(o, "A", 2);
  assert_int_equal(ev->consumed_kg + in->consumed_kg, q);
  assert_true(ev->consumed_kg >= line(10000000, 6000, 500000, p + 1) - 1);
  assert_int_equal(o->consumed_kg[MODEL_MAGNET], q);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

/* ---- growth by year ---- */

static void test_growth_by_year(void **state) {
  (void)state;
  model_map_t *m =
      sec_map(", \"substitution_cap\": 0",
              "{\"id\": \"A\", \"title\": \"A\", \"demand\": {\"magnet\": "
              "{\"sectors\": [{\"sector\": \"defence\", \"volume\": 4000, "
              "\"elasticity\": -0.01, \"growth\": [0.1, 0.2, 0]}, {\"sector\": "
              "\"wind\", \"volume\": 4000, \"elasticity\": -0.3}]}}}",
              "{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\", "
              "\"nation\": \"A\"}",
              NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  /* 10% and 20% a year as quarterly rates in ppm: 1.1^(1/4) = 1.0241137
   * and 1.2^(1/4) = 1.0466351; the loader's root in exact integers
   * (products truncated to ppm) rounds both up, to 24,115 and 46,636 */
  const int64_t rate[3] = {24115, 46636, 0};
  int64_t q = 1000000;
  for (int t = 0; t < 14; t++) {
    model_obs_t *o = obs_of(st, 0);
    assert_int_equal(sector_of(o, "A", 4)->volume_kg, q);
    assert_int_equal(sector_of(o, "A", 1)->volume_kg, 1000000);
    model_obs_free(o);
    int y = t / 4 < 2 ? t / 4 : 2;
    q += (int64_t)((__int128)q * rate[y] / MODEL_PPM);
    helper_resolve(st, "growth");
  }
  model_state_free(st);
  model_map_free(m);
}

/* ---- cleared_in and counts_for ---- */

static void cleared(bool allied, int64_t *security_b) {
  char nations[1024];
  snprintf(nations, sizeof nations,
           "{\"id\": \"A\", \"title\": \"A\", \"demand\": {\"magnet\": "
           "{\"volume\": 8000, \"elasticity\": -0.5}}},"
           "{\"id\": \"B\", \"title\": \"B\"%s, \"demand\": {\"magnet\": "
           "{\"sectors\": [{\"sector\": \"electronics\", \"volume\": 16000, "
           "\"elasticity\": -0.5, \"cleared_in\": \"A\"}]}}}",
           allied ? ", \"allies\": [\"A\"]" : "");
  model_map_t *m = sec_map(
      ", \"transport\": {\"default\": {\"concentrate\": 1, \"ndpr_oxide\": "
      "1, \"dytb_oxide\": 1, \"lace_oxide\": 1, \"magnet\": 5}}",
      nations,
      "{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\", "
      "\"nation\": \"A\"},"
      "{\"seat\": \"m\", \"kind\": \"firm\", \"title\": \"M\", \"nation\": "
      "\"A\", \"inventory\": {\"magnet\": 1e6}, \"orders\": [{\"op\": "
      "\"offer\", \"product\": \"magnet\", \"quantity\": 1e6, "
      "\"min_price\": 20}]}",
      NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  helper_resolve(st, "cleared_in");
  const model_report_t *r = model_last_report(st);
  /* A's market at the sellers' $20, with no transport for B's line */
  assert_int_equal(r->regional[MODEL_MAGNET * 2], 2000);
  int64_t fa = line(2000000, 6000, 500000, 2001),
          fb = line(4000000, 6000, 500000, 2001);
  assert_int_equal(r->volume[MODEL_MAGNET], fa + fb);
  const model_flow_t *f;
  size_t nf = model_last_flows(st, MODEL_MAGNET, &f);
  for (size_t k = 0; k < nf; k++)
    assert_int_equal(f[k].flow_kg, 0); /* nothing imported into B */
  assert_int_equal(model_state_holder_inventory(st, 1, MODEL_MAGNET),
                   1000000000 - fa - fb);
  model_obs_t *o = obs_of(st, 0);
  assert_int_equal(sector_of(o, "B", 3)->consumed_kg, fb);
  assert_int_equal(sector_of(o, "A", 5)->consumed_kg, fa);
  assert_int_equal(sector_of(o, "B", 3)->cleared_in, 0);
  assert_int_equal(sector_of(o, "B", 3)->counts_for, 1);
  model_obs_free(o);
  /* A bought only from its own sellers; B's purchases count for B */
  assert_int_equal(model_state_security_ppm(st, 0), MODEL_PPM);
  *security_b = model_state_security_ppm(st, 1);
  /* and survive serialisation */
  uint8_t *buf;
  size_t len;
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  model_state_t *back;
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  assert_int_equal(model_state_security_ppm(back, 1), *security_b);
  helper_resolve(back, "cleared_in, reloaded");
  helper_resolve(st, "cleared_in");
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  free(buf);
  model_state_free(back);
  model_state_free(st);
  model_map_free(m);
}

static void test_cleared_in_counts_for(void **state) {
  (void)state;
  int64_t alone, allied;
  cleared(false, &alone);
  cleared(true, &allied);
  /* B's magnets came from A's sellers: no security for B alone, full
   * security when A is its ally */
  assert_int_equal(alone, 0);
  assert_int_equal(allied, MODEL_PPM);
}

/* ---- qualified_only ---- */

static void qualified(bool only, int64_t *q_sold, int64_t *defence) {
  char nations[1024];
  snprintf(nations, sizeof nations,
           "{\"id\": \"A\", \"title\": \"A\", \"demand\": {\"magnet\": "
           "{\"sectors\": [{\"sector\": \"defence\", \"volume\": 4000, "
           "\"elasticity\": -0.01, \"qualified_only\": %s}, {\"sector\": "
           "\"other\", \"volume\": 40000, \"elasticity\": -0.5}]}}}",
           only ? "true" : "false");
  model_map_t *m = sec_map(
      ", \"qualification\": {\"turns\": 100, \"min_output\": 1, "
      "\"qualified\": [\"q\"]}",
      nations,
      "{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\", "
      "\"nation\": \"A\"},"
      "{\"seat\": \"q\", \"kind\": \"firm\", \"title\": \"Q\", \"nation\": "
      "\"A\", \"inventory\": {\"magnet\": 10000}, \"orders\": [{\"op\": "
      "\"offer\", \"product\": \"magnet\", \"quantity\": 500, "
      "\"min_price\": 40}]},"
      "{\"seat\": \"u\", \"kind\": \"firm\", \"title\": \"U\", \"nation\": "
      "\"A\", \"inventory\": {\"magnet\": 1e6}, \"orders\": [{\"op\": "
      "\"offer\", \"product\": \"magnet\", \"quantity\": 1e6, "
      "\"min_price\": 10}]}",
      NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  helper_resolve(st, "qualified_only");
  *q_sold = 10000000 - model_state_holder_inventory(st, 1, MODEL_MAGNET);
  model_obs_t *o = obs_of(st, 0);
  *defence = sector_of(o, "A", 4)->consumed_kg;
  assert_int_equal(sector_of(o, "A", 4)->qualified_only, only);
  /* restricted, defence pays at least the qualified seller's $40; the
   * open sectors pay the open market's $10 */
  if (only)
    assert_true(sector_of(o, "A", 4)->price_cents >= 4000);
  assert_int_equal(sector_of(o, "A", 5)->price_cents, 1000);
  int64_t other = sector_of(o, "A", 5)->consumed_kg;
  model_obs_free(o);
  int64_t u_sold =
      1000000000 - model_state_holder_inventory(st, 2, MODEL_MAGNET);
  assert_int_equal(*q_sold + u_sold, *defence + other);
  model_state_free(st);
  model_map_free(m);
}

static void test_qualified_only(void **state) {
  (void)state;
  int64_t q_sold, defence;
  /* open: the unqualified seller's $10 magnets serve everyone */
  qualified(false, &q_sold, &defence);
  assert_int_equal(q_sold, 0);
  assert_true(defence > 1000000);
  /* qualified only: defence takes the qualified seller's 500 t at $40
   * and nothing of the cheaper unqualified magnets */
  qualified(true, &q_sold, &defence);
  assert_int_equal(q_sold, 500000);
  assert_int_equal(defence, 500000);
}

/* A cap on B's exports binds both buyer classes together: B's qualified
 * maker sells magnets at $10, A (no makers) buys them for defence
 * (qualified only) and for everything else, and B caps its exports to A
 * (`to`: "A"), or all its exports ("all"), at 1,000 t a turn. A's two
 * classes together get 1,000 t, not 1,000 t each; without a cap they get
 * far more. */
static int64_t capped_imports(const char *to, bool capped, int64_t *defence) {
  char nations[2048], seats[1024];
  snprintf(nations, sizeof nations,
           "{\"id\": \"A\", \"title\": \"A\", \"demand\": {\"magnet\": "
           "{\"sectors\": [{\"sector\": \"defence\", \"volume\": 8000, "
           "\"elasticity\": -0.01, \"qualified_only\": true}, {\"sector\": "
           "\"other\", \"volume\": 40000, \"elasticity\": -0.5}]}}},"
           "{\"id\": \"B\", \"title\": \"B\"%s}",
           capped ? ", \"policies\": [{\"op\": \"policy\", \"kind\": "
                    "\"export_quota\", \"product\": \"magnet\", "
                    "\"quantity\": 1000, \"to\": \"%s\"}]"
                  : "");
  char n2[2048];
  snprintf(n2, sizeof n2, nations, to);
  snprintf(seats, sizeof seats,
           "{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\", "
           "\"nation\": \"A\"},"
           "{\"seat\": \"q\", \"kind\": \"firm\", \"title\": \"Q\", "
           "\"nation\": \"B\", \"inventory\": {\"magnet\": 1e5}, "
           "\"orders\": [{\"op\": \"offer\", \"product\": \"magnet\", "
           "\"quantity\": 1e5, \"min_price\": 10}]}");
  model_map_t *m =
      sec_map(", \"qualification\": {\"turns\": 100, \"min_output\": 1, "
              "\"qualified\": [\"q\"]}",
              n2, seats, NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  helper_resolve(st, "caps shared");
  model_obs_t *o = obs_of(st, 0);
  *defence = sector_of(o, "A", 4)->consumed_kg;
  int64_t all = *defence + sector_of(o, "A", 5)->consumed_kg;
  model_obs_free(o);
  /* what A consumed is what left B */
  assert_int_equal(all, 100000000 -
                            model_state_holder_inventory(st, 1, MODEL_MAGNET));
  model_state_free(st);
  model_map_free(m);
  return all;
}

static void test_caps_shared(void **state) {
  (void)state;
  int64_t defence;
  int64_t free_trade = capped_imports("A", false, &defence);
  print_message("  no cap: A imports %lld kg (defence %lld)\n",
                (long long)free_trade, (long long)defence);
  assert_true(free_trade > 2000000);
  assert_true(defence > 1000000);
  const char *const to[] = {"A", "all"};
  for (int k = 0; k < 2; k++) {
    int64_t got = capped_imports(to[k], true, &defence);
    print_message("  a 1,000 t quota to %s: A imports %lld kg (defence "
                  "%lld)\n",
                  to[k], (long long)got, (long long)defence);
    assert_int_equal(got, 1000000);
    assert_true(defence > 0);
  }
}

/* ---- exclude_origin ---- */

static void test_exclude_origin(void **state) {
  (void)state;
  /* CHN's maker turns oxides into magnets (CHN origin) and sells them at
   * $10; USA's maker holds 10,000 t of magnets (no tracked content) at
   * $50; US defence refuses CHN origin from turn 2 */
  /* a map with a facility, which sec_map has no place for */
  model_map_t *m = NULL;
  static char json[16384];
  snprintf(
      json, sizeof json,
      "{\"id\": \"sectors\", \"title\": \"sectors\", \"turns\": 16,"
      " \"parameters\": {" PRICES
      ", \"origin_tracking\": \"CHN\", \"transport\": {\"default\": "
      "{\"concentrate\": 1, \"ndpr_oxide\": 1, \"dytb_oxide\": 1, "
      "\"lace_oxide\": 1, \"magnet\": 1}}}, \"nations\": ["
      "{\"id\": \"CHN\", \"title\": \"China\", \"talent\": {\"magnet\": "
      "100000}},"
      "{\"id\": \"USA\", \"title\": \"USA\", \"demand\": {\"magnet\": "
      "{\"sectors\": [{\"sector\": \"defence\", \"volume\": 4000, "
      "\"elasticity\": -0.01, \"exclude_origin\": [\"CHN\"], "
      "\"from_turn\": 2}, {\"sector\": \"other\", \"volume\": 8000, "
      "\"elasticity\": -0.5}]}}}], \"seats\": ["
      "{\"seat\": \"USA\", \"kind\": \"nation\", \"title\": \"USA\", "
      "\"nation\": \"USA\"},"
      "{\"seat\": \"cm\", \"kind\": \"firm\", \"title\": \"CM\", \"nation\": "
      "\"CHN\", \"staff\": {\"magnet\": 20000}, \"inventory\": "
      "{\"ndpr_oxide\": 100000, \"dytb_oxide\": 10000}, \"orders\": "
      "[{\"op\": \"offer\", \"product\": \"magnet\", \"quantity\": 1e6, "
      "\"min_price\": 10}]},"
      "{\"seat\": \"um\", \"kind\": \"firm\", \"title\": \"UM\", \"nation\": "
      "\"USA\", \"inventory\": {\"magnet\": 10000}, \"orders\": [{\"op\": "
      "\"offer\", \"product\": \"magnet\", \"quantity\": 500, "
      "\"min_price\": 50}]}],"
      " \"facilities\": [{\"id\": \"cmf\", \"owner\": \"cm\", \"stage\": "
      "\"magnet\", \"capacity\": 40000, \"experience\": 500000, "
      "\"unit_cost\": 5}]}");
  model_error_t e;
  if (model_map_load_string(json, strlen(json), "exclude", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int um = helper_seat(m, "um");
  for (int t = 0; t < 4; t++) {
    int64_t before = model_state_holder_inventory(st, (size_t)um, MODEL_MAGNET);
    helper_resolve(st, "exclude_origin");
    int64_t sold =
        before - model_state_holder_inventory(st, (size_t)um, MODEL_MAGNET);
    model_obs_t *o = obs_of(st, 0);
    int64_t defence = sector_of(o, "USA", 4)->consumed_kg;
    model_obs_free(o);
    print_message("turn %d: US defence bought %lld kg, the US maker sold "
                  "%lld kg\n",
                  t, (long long)defence, (long long)sold);
    if (t < 2) {
      /* Chinese magnets at $11 delivered serve defence too */
      assert_int_equal(sold, 0);
      assert_true(defence > 900000);
    } else {
      /* from turn 2 only the US maker's magnets */
      assert_int_equal(sold, 500000);
      assert_int_equal(defence, 500000);
    }
  }
  model_state_free(st);
  model_map_free(m);
}

/* ---- world-2024 ---- */

/* world-2024's magnet demand by sector (design J2): the US lines at turn
 * 0, the 23,000 t embedded in finished goods bought in China's market,
 * and US defence under the NDAA rule from turn 8 (2027), played to the
 * end under the standing orders. */
static void test_world2024_sectors(void **state) {
  (void)state;
  model_map_t *m = helper_load("world-2024");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int usa = helper_seat(m, "USA");
  model_obs_t *o = obs_of(st, usa);
  assert_int_equal(sector_of(o, "USA", 4)->volume_kg, 875000);
  assert_true(sector_of(o, "USA", 4)->qualified_only);
  assert_int_equal(sector_of(o, "USA", 4)->exclude_from, 8);
  const model_obs_sector_t *emb = sector_of(o, "USA", 5);
  assert_int_equal(emb->volume_kg, 5750000);
  assert_string_equal(o->nations[emb->cleared_in], "CHN");
  assert_string_equal(o->nations[emb->counts_for], "USA");
  /* the nations' demand is their markets' as before: 7,000 t/yr in the
   * US, China's 134,800 t plus the US's 23,000 t in China's */
  assert_int_equal(o->demand_kg[MODEL_MAGNET], 1750000);
  model_obs_free(o);
  assert_int_equal(model_observe(st, helper_seat(m, "CHN"), &o), 0);
  assert_int_equal(o->demand_kg[MODEL_MAGNET], 39450000);
  model_obs_free(o);
  while (model_state_turn(st) < model_state_turns(st)) {
    int t = model_state_turn(st);
    helper_resolve(st, "world-2024");
    o = obs_of(st, usa);
    const model_obs_sector_t *d = sector_of(o, "USA", 4);
    const model_obs_sector_t *e = sector_of(o, "USA", 5);
    if (t % 4 == 0 || t == 7 || t == 8)
      print_message(
          "turn %2d: US defence wants %6.0f t, buys %6.0f t at "
          "$%.2f; embedded %6.0f t at $%.2f; US security %.3f\n",
          t, (double)d->volume_kg / 1000, (double)d->consumed_kg / 1000,
          (double)d->price_cents / 100, (double)e->consumed_kg / 1000,
          (double)e->price_cents / 100,
          (double)model_state_security_ppm(st, (size_t)(e->counts_for)) / 1e6);
    /* the embedded line buys at China's price */
    assert_int_equal(
        e->price_cents,
        model_last_report(st)
            ->regional[MODEL_MAGNET * o->n_nations + (size_t)e->cleared_in]);
    assert_true(d->price_cents > 0 &&
                d->price_cents < MODEL_PRICE_MAX_CENTS / 10);
    model_obs_free(o);
  }
  model_state_free(st);
  model_map_free(m);
}

/* ---- the loader ---- */

static void refused(const char *sector_json, const char *params,
                    const char *want) {
  char nations[2048];
  snprintf(nations, sizeof nations,
           "{\"id\": \"A\", \"title\": \"A\", \"demand\": {\"magnet\": "
           "%s}}, {\"id\": \"B\", \"title\": \"B\"}",
           sector_json);
  model_error_t e;
  model_map_t *m =
      sec_map(params, nations,
              "{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\", "
              "\"nation\": \"A\"}",
              &e);
  if (m)
    fail_msg("accepted: %s", sector_json);
  print_message("refused: %s\n", e.message);
  if (!strstr(e.message, want))
    fail_msg("\"%s\" does not say \"%s\"", e.message, want);
}

static void test_loader_refuses(void **state) {
  (void)state;
  refused("{\"sectors\": [{\"sector\": \"aerospace\", \"volume\": 1, "
          "\"elasticity\": -0.3}]}",
          "", "expected one of: ev, wind, industrial, electronics, defence");
  refused("{\"sectors\": [{\"sector\": \"ev\", \"volume\": -5, "
          "\"elasticity\": -0.3}]}",
          "", "must be tonnes between 0");
  refused("{\"sectors\": [{\"sector\": \"ev\", \"volume\": 5}]}", "",
          "missing \"elasticity\"");
  refused("{\"sectors\": [{\"sector\": \"ev\", \"volume\": 5, "
          "\"elasticity\": -0.3, \"cleared_in\": \"ZZZ\"}]}",
          "", "expected the id of one of \"nations\"");
  refused("{\"sectors\": [{\"sector\": \"ev\", \"volume\": 5, "
          "\"elasticity\": -0.3, \"counts_for\": 3}]}",
          "", "expected the id of one of \"nations\"");
  refused("{\"sectors\": [{\"sector\": \"ev\", \"volume\": 5, "
          "\"elasticity\": -0.3}, {\"sector\": \"ev\", \"volume\": 5, "
          "\"elasticity\": -0.3}]}",
          "", "listed twice");
  refused("{\"volume\": 10, \"sectors\": [{\"sector\": \"ev\", "
          "\"volume\": 5, \"elasticity\": -0.3}]}",
          "", "give the volume of each sector");
  refused("{\"sectors\": []}", "", "expected 1 to 6 sectors");
  refused("{\"sectors\": [{\"sector\": \"ev\", \"volume\": 5, "
          "\"elasticity\": -0.3, \"growth\": [0.1, 2]}]}",
          "", "between -0.5 and 1");
  refused("{\"sectors\": [{\"sector\": \"defence\", \"volume\": 5, "
          "\"elasticity\": -0.3, \"exclude_origin\": [\"A\", \"B\"]}]}",
          "", "one nation");
  refused("{\"sectors\": [{\"sector\": \"defence\", \"volume\": 5, "
          "\"elasticity\": -0.3, \"exclude_origin\": [\"A\"]}]}",
          ", \"origin_tracking\": \"B\"", "only the tracked origin");
  refused("{\"sectors\": [{\"sector\": \"defence\", \"volume\": 5, "
          "\"elasticity\": -0.3, \"from_turn\": 4}]}",
          "", "give exclude_origin too");
  refused("{\"sectors\": [{\"sector\": \"defence\", \"volume\": 5, "
          "\"elasticity\": -0.3, \"qualified_only\": true}, {\"sector\": "
          "\"ev\", \"volume\": 5, \"elasticity\": -0.3, \"exclude_origin\": "
          "[\"B\"], \"from_turn\": 2}]}",
          ", \"origin_tracking\": \"B\"", "must have the same qualified_only");
  refused("{\"sectors\": [{\"sector\": \"ev\", \"volume\": 5, "
          "\"elasticity\": -0.3, \"colour\": 1}]}",
          "", "colour");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_sector_is_the_curve),
      cmocka_unit_test(test_sum_of_lines),
      cmocka_unit_test(test_growth_by_year),
      cmocka_unit_test(test_cleared_in_counts_for),
      cmocka_unit_test(test_qualified_only),
      cmocka_unit_test(test_caps_shared),
      cmocka_unit_test(test_exclude_origin),
      cmocka_unit_test(test_world2024_sectors),
      cmocka_unit_test(test_loader_refuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
