/* test_world2024.c: the calibration test of maps/world-2024.json.
 *
 * 1. Every numeric figure in the file names a source (a key of the
 *    top-level "sources" table) or says why it is an assumption, and every
 *    source entry has a publisher, a title and a URL. The only bare numbers
 *    allowed are the schema's structural integers at the top level
 *    ("format", "year", "turns": the server's maps.list reads "turns" as an
 *    integer); "notes" and "_" keys are comments.
 * 2. The opening turn, resolved under the map's standing orders, matches
 *    the sourced 2024 world within stated tolerances (docs/model.md, section
 *    "world-2024 calibration and a whole-game report"):
 *    - mine output shares by nation (USGS MCS 2025): +-2 percentage points
 *      for China, the US and Myanmar, +-1 point for Australia, Nigeria and
 *      Thailand. USGS first estimates are revised by up to 15% (S1 notes):
 *      15% of a 3.3% share is 0.5 point, so 1 point; China's figure is its
 *      quota (known exactly) and the national figures sum to 394 kt against
 *      a rounded world 390 kt, so 2 points for the large shares;
 *    - world mine output 390 kt/yr +-5% (the same revisions, and the 1%
 *      gap between the rounded world total and the sum of nations);
 *    - China's share of separation output 91% +-3 points (the sources give
 *      91% and 92%, S9, S5) and of magnet output 94% +-3 points (S9; others
 *      say ">90%", S69); China's share of operating separation capacity
 *      90% +-5 points and of magnet capacity 94% +-3 points (capacity is
 *      less well sourced than output);
 *    - first prices in the sourced 2024 ranges: NdPr $45-60/kg around the
 *      $50-55 of 2024 (S74, S75, S14, S26), the Dy/Tb basket within 10% of
 *      $370 (S1), La/Ce $0.5-2 around $1 (S1), concentrate $4-8 around
 *      $5.78 (S1), magnets $40-60 around $49 (S86);
 *    - DOMAIN.md's invariants (helpers.c) after the turn.
 * 3. The scripted April 2025 licensing splits prices at turn 1: Dy/Tb and
 *    magnets cost more outside China than inside (S71, S72, S9).
 * 4. A whole game under standing orders keeps the invariants every turn.
 */
#include "helpers.h"
#include "story.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAP_ID "world-2024"
#define SEED   1

/* ---- 1. every figure has a source or an assumption ---- */

static void test_every_figure_sourced(void **state) {
  (void)state;
  json_decref(story_check_sourced(MAP_ID));
}

/* ---- 2. the opening turn ---- */

static void within(const char *what, double got, double want, double tol) {
  print_message("  %-40s %9.2f  (target %.2f +- %.2f)\n", what, got, want, tol);
  if (got < want - tol || got > want + tol)
    fail_msg("%s: %.3f is outside %.3f +- %.3f", what, got, want, tol);
}

static void in_range(const char *what, double got, double lo, double hi) {
  print_message("  %-40s %9.2f  (range %.2f .. %.2f)\n", what, got, lo, hi);
  if (got < lo || got > hi)
    fail_msg("%s: %.3f is outside %.3f .. %.3f", what, got, lo, hi);
}

/* China's share (percent) of the operating capacity of a stage, summed
 * over every firm's facilities that are operating (not under
 * construction). */
static double china_capacity_share(const model_state_t *st, int stage) {
  const model_map_t *m = model_state_map(st);
  int64_t china = 0, all = 0;
  for (size_t s = 0; s < model_map_seat_count(m); s++) {
    if (model_map_seat_kind(m, s) != MODEL_SEAT_FIRM)
      continue;
    model_obs_t *o = NULL;
    assert_int_equal(model_observe(st, (int)s, &o), 0);
    for (size_t f = 0; f < o->n_facilities; f++) {
      const model_obs_facility_t *fa = &o->facilities[f];
      if (fa->stage != stage || fa->status != MODEL_FAC_OPERATING)
        continue;
      all += fa->capacity_kg_per_year;
      if (strcmp(fa->nation, "CHN") == 0)
        china += fa->capacity_kg_per_year;
    }
    model_obs_free(o);
  }
  assert_true(all > 0);
  return 100.0 * (double)china / (double)all;
}

/* What China exported of what its sellers offered (for notes.licence). */
static double china_export_share(const model_state_t *st, int product) {
  const model_trade_t *t;
  const model_flow_t *f;
  size_t nt = model_last_trades(st, product, &t);
  size_t nf = model_last_flows(st, product, &f);
  int chn = story_nation(model_state_map(st), "CHN");
  int64_t offered = 0, exported = 0;
  for (size_t k = 0; k < nt; k++)
    if (t[k].nation == chn && !t[k].is_bid)
      offered += t[k].quantity_kg;
  for (size_t k = 0; k < nf; k++)
    if (f[k].from == chn)
      exported += f[k].flow_kg;
  return offered > 0 ? (double)exported / (double)offered : 0;
}

static double usd(int64_t cents) {
  return model_cents_to_usd(cents);
}

static void test_opening_turn(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, SEED, &st), 0);
  assert_int_equal(model_state_turn(st), 0);
  print_message("world-2024, turn 0 (Q1 2025), capacity operating before "
                "the turn:\n");
  within("China's share of separation capacity, %",
         china_capacity_share(st, MODEL_SEPARATION), 90, 5);
  within("China's share of magnet capacity, %",
         china_capacity_share(st, MODEL_MAGNETS), 94, 3);
  helper_resolve(st, "world-2024 turn 0");
  const model_report_t *r = model_last_report(st);
  assert_int_equal(r->turn, 0);
  size_t N = r->n_nations;

  print_message("world-2024, turn 0 resolved under standing orders:\n");
  /* mine output: USGS MCS 2025 shares of the rounded 390 kt world (S1) */
  static const struct {
    const char *nation;
    double kt, tol;
  } mine[] = {{"CHN", 270, 2}, {"USA", 45, 2}, {"MMR", 31, 2},
              {"AUS", 13, 1},  {"NGA", 13, 1}, {"THA", 13, 1}};
  for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
    char what[64];
    snprintf(what, sizeof what, "%s share of mine output, %%", mine[i].nation);
    within(what, story_share(r, MODEL_MINING, story_nation(m, mine[i].nation)),
           100.0 * mine[i].kt / 390.0, mine[i].tol);
  }
  int64_t mined = 0;
  for (size_t n = 0; n < N; n++)
    mined += r->production[(size_t)MODEL_MINING * N + n];
  within("world mine output, kt/yr", 4.0 * model_kg_to_tonnes(mined) / 1000,
         390, 390 * 0.05);
  within("China's share of separation output, %",
         story_share(r, MODEL_SEPARATION, story_nation(m, "CHN")), 91, 3);
  within("China's share of magnet output, %",
         story_share(r, MODEL_MAGNETS, story_nation(m, "CHN")), 94, 3);
  int64_t magnets = 0;
  for (size_t n = 0; n < N; n++)
    magnets += r->production[(size_t)MODEL_MAGNETS * N + n];
  in_range("world magnet output, kt/yr",
           4.0 * model_kg_to_tonnes(magnets) / 1000, 220, 240);

  /* first prices (world reference: volume-weighted buyers' prices) */
  in_range("NdPr oxide, $/kg", usd(r->price[MODEL_NDPR]), 45, 60);
  in_range("Dy/Tb basket (80/20), $/kg", usd(r->price[MODEL_DYTB]), 333, 407);
  in_range("La/Ce oxide, $/kg", usd(r->price[MODEL_LACE]), 0.5, 2);
  in_range("concentrate, $/kg REO", usd(r->price[MODEL_CONCENTRATE]), 4, 8);
  in_range("NdFeB magnet, $/kg", usd(r->price[MODEL_MAGNET]), 40, 60);
  int chn = story_nation(m, "CHN");
  in_range("NdPr oxide in China, $/kg",
           usd(r->regional[(size_t)MODEL_NDPR * N + (size_t)chn]), 49, 56);
  /* every product traded */
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    assert_true(r->volume[p] > 0 || !model_map_has_product(m, p));
  print_message("  China's exports / offers: Dy/Tb %.4f, magnets %.4f "
                "(notes.licence)\n",
                china_export_share(st, MODEL_DYTB),
                china_export_share(st, MODEL_MAGNET));
  model_state_free(st);
  model_map_free(m);
}

/* ---- 3. the April 2025 licensing splits prices ---- */

static void test_licensing_two_tier(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, SEED, &st), 0);
  assert_int_equal(model_resolve(st), 0);
  helper_resolve(st, "world-2024 turn 1"); /* turn 1: Q2 2025 */
  const model_report_t *r = model_last_report(st);
  size_t N = r->n_nations;
  size_t chn = (size_t)story_nation(m, "CHN"),
         jpn = (size_t)story_nation(m, "JPN");
  size_t euu = (size_t)story_nation(m, "EUU");
  double dy_cn = usd(r->regional[MODEL_DYTB * N + chn]);
  double dy_jp = usd(r->regional[MODEL_DYTB * N + jpn]);
  double mg_cn = usd(r->regional[MODEL_MAGNET * N + chn]);
  double mg_eu = usd(r->regional[MODEL_MAGNET * N + euu]);
  print_message("world-2024, turn 1 (Q2 2025, licensing in force):\n"
                "  Dy/Tb China %.2f, Japan %.2f; magnets China %.2f, "
                "EU %.2f $/kg\n",
                dy_cn, dy_jp, mg_cn, mg_eu);
  /* ex-China buyers pay more under the controls (S71, S72: Europe 2-4x);
   * the model's split is bounded by the standing bids, so ask for 20% */
  assert_true(dy_jp > 1.2 * dy_cn);
  assert_true(mg_eu > 1.2 * mg_cn);
  model_state_free(st);
  model_map_free(m);
}

/* ---- 3b. heavy oxides under sustained Chinese controls (issue 11) ----
 * docs/design/model-v2.md 5.3: China licences Dy/Tb exports on the exports
 * basis at 0.26 (S69, S70: -74% after April 2025), injected at turns 0, 1
 * and 3 so that it overrides the map's relaxation and general licences.
 * Ex-China buyers then pay 1.5 to 6 times China's price (S71: Europe Dy
 * $700-1,000 against ~$250-310 before, Tb 2.3-4x; S72; S9 ~6x for
 * magnets): the median over turns 2-15 of the cheapest of Japan, the EU and
 * the USA against China, every seed, and 0.9 to 10 in every turn (once
 * new ex-China plants run, as Iluka's Eneabba from 2027, their asks may
 * undercut China's: the design's lower bound of 1 assumed none). The map's
 * Dy/Tb is one basket (dytb_oxide): the split into Dy and Tb (design J1)
 * is not built, so the test reads the basket. Under standing orders the
 * licence traps the heavies in China, where the separators' stock-following
 * asks lower the price as the stock grows ($230-360), while ex-China
 * makers' bids, indexed to the magnet price, pay $600-1,120: a median of
 * 2.3-2.5x over turns 2-15 (seeds 1-3). */

static void test_heavy_oxides_sustained_controls(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    model_state_t *st = NULL;
    assert_int_equal(model_state_new(m, seed, &st), 0);
    double ratio[16];
    for (int t = 0; t < 16; t++) {
      if (t == 0 || t == 1 || t == 3) {
        model_event_t ev;
        story_licence_event(&ev, t);
        assert_int_equal(model_inject_event(st, &ev), 0);
      }
      helper_resolve(st, "world-2024 sustained controls");
      double cn, lo;
      ratio[t] = story_dytb_ratio(st, seed, t, &cn, &lo);
      if (getenv("LAN_HEAVY_PRINT")) {
        const model_report_t *r = model_last_report(st);
        size_t N = r->n_nations;
        print_message(
            "  seed %llu turn %d: China %.2f, JPN %.2f, EUU %.2f, "
            "USA %.2f $/kg\n",
            (unsigned long long)seed, t, cn,
            usd(r->regional[MODEL_DYTB * N + (size_t)story_nation(m, "JPN")]),
            usd(r->regional[MODEL_DYTB * N + (size_t)story_nation(m, "EUU")]),
            usd(r->regional[MODEL_DYTB * N + (size_t)story_nation(m, "USA")]));
      }
    }
    double median = story_median(ratio + 2, 14);
    print_message("  seed %llu: ex-China / China Dy/Tb, turns 2-15: median "
                  "%.2f (turn 2 %.2f, turn 8 %.2f, turn 15 %.2f)\n",
                  (unsigned long long)seed, median, ratio[2], ratio[8],
                  ratio[15]);
    assert_true(median >= 1.5 && median <= 6.0);
    model_state_free(st);
  }
  model_map_free(m);
}

/* ---- 3c. the DoD-MP deal (S16-S19) ----
 * Scripted at turn 1 (10 Jul 2025): a $110/kg NdPr floor for MP, $400 M of
 * equity for 15% and a $150 M loan. From turn 2 the floor pays MP the
 * strike less its seller price on what it sells, exactly. */
static void test_dod_mp_deal(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, SEED, &st), 0);
  int mp = model_map_seat_index(m, "mp_materials");
  size_t usa = (size_t)story_nation(m, "USA");
  assert_true(mp >= 0);
  for (int t = 0; t < 3; t++) {
    helper_resolve(st, "world-2024 DoD-MP deal");
  }
  model_obs_t *o;
  assert_int_equal(model_observe(st, mp, &o), 0);
  int kinds = 0;
  for (size_t k = 0; k < o->n_support; k++) {
    const model_obs_support_t *x = &o->support[k];
    assert_string_equal(x->nation, "USA");
    assert_string_equal(x->firm, "mp_materials");
    kinds |= 1 << x->kind;
    if (x->kind == MODEL_SUPPORT_STAKE)
      assert_int_equal(x->rate_ppm, 150000);
    if (x->kind == MODEL_SUPPORT_FLOOR) {
      assert_int_equal(x->price_cents_per_kg, 11000);
      model_holder_flows_t fl;
      assert_int_equal(model_state_holder_flows(st, (size_t)mp, &fl), 0);
      int64_t q = fl.sold[MODEL_NDPR] < x->quantity_kg ? fl.sold[MODEL_NDPR]
                                                       : x->quantity_kg;
      int64_t ps = model_last_seller_price(st, MODEL_NDPR, usa);
      print_message("  turn 2: MP sold %.0f t NdPr at %.2f $/kg; the floor "
                    "paid %.2f USD\n",
                    (double)fl.sold[MODEL_NDPR] / 1000, (double)ps / 100,
                    (double)x->last_cents / 100);
      assert_true(ps < 11000);
      assert_int_equal(x->last_cents, q * (11000 - ps));
    }
  }
  assert_int_equal(kinds, 7); /* a floor, a loan and a stake */
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

/* ---- 4. a whole game keeps the invariants ---- */

static void test_whole_game_invariants(void **state) {
  (void)state;
  story_whole_game(MAP_ID, 40);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_figure_sourced),
      cmocka_unit_test(test_opening_turn),
      cmocka_unit_test(test_licensing_two_tier),
      cmocka_unit_test(test_heavy_oxides_sustained_controls),
      cmocka_unit_test(test_dod_mp_deal),
      cmocka_unit_test(test_whole_game_invariants),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
