/* test_race2028.c: the calibration test of maps/race-2028.json
 * (docs/design/model-v2.md sections 5.8 and 7; docs/maps.md "race-2028").
 *
 * 1. Every numeric figure names a source or says why it is an assumption
 *    (as world-2024's), and every source entry is complete.
 * 2. Turn 0 is world-2024's turn 2: world-2024 without its DoD-MP events
 *    (the derivation of notes.derivation), seed 1, resolved to turn 2,
 *    against race-2028's turn 0, seed 1. Tolerances (notes.tolerances):
 *    world mine output within 2%, China's shares of mining, separation and
 *    magnet output within 1 percentage point, NdPr, La/Ce and concentrate
 *    within 3%, the Dy/Tb basket within 5%, magnets within 10% (each
 *    nation's last regional price and the price history are not carried:
 *    the map has one reference price per product), and the same first
 *    figures as world-2024's calibration (mine shares within 2 points of
 *    USGS's, NdPr $45-60).
 * 3. The players' choices of notes.choices are accepted at turn 0 by the
 *    seats they belong to (the DoD-MP deal, 10X, the Vulcan package, Lynas
 *    in Texas, e-VAC's grant, Noveon's expansion, China's October
 *    package), and a turn with all of them keeps the invariants.
 * 4. The whole game (22 turns) under standing orders keeps the invariants.
 * 5. Design 5.1 with the map's seats: a US that spends without limit, and
 *    its five magnet firms rushing, stay under 20,000 t/yr and 10% of the
 *    world's magnets to 2028 Q4 (turn 13 here), seeds 1-3, every seat
 *    within its money limit.
 * 6. Design 5.2: the story's moderate plan, the DoD-MP deal and 10X
 *    ordered at turn 0 (world-2024 scripts the deal at its turn 1 and the
 *    plan builds 10X at its turn 2 = turn 0 here), reaches 4-15 kt/yr of
 *    US magnets at 2028 Q4 (turn 13), seeds 1-3.
 * 7. Design 5.3 on the Dy/Tb basket (the map keeps world-2024's basket;
 *    Dy and Tb apart, design J1, is not built): under Chinese licences at
 *    26% of exports from turn 0, the ex-China basket price is 1.5-6x
 *    China's (median of turns 2-13), seeds 1-3.
 * 8. Each built-in strategy, and a mix of them, plays 16 turns: no order
 *    refused, invariants and money limits hold (tests/agents plays every
 *    map in maps/ too). */
#include "agent.h"
#include "helpers.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAP_ID  "race-2028"
#define SEED    1
#define Q4_2028 13

/* ---- 1. every figure has a source or an assumption ---- */

typedef struct {
  json_t *sources;
  size_t figures;
  size_t failures;
  char path[512];
} walk_t;

static void complain(walk_t *w, const char *what) {
  if (w->failures++ < 20)
    print_error("race-2028.json %s: %s\n", w->path[0] ? w->path : "/", what);
}

static bool source_key_ok(walk_t *w, json_t *k) {
  return json_is_string(k) && json_string_length(k) > 0 &&
         json_object_get(w->sources, json_string_value(k)) != NULL;
}

static void check_figure(walk_t *w, json_t *o) {
  json_t *v = json_object_get(o, "value");
  json_t *src = json_object_get(o, "source");
  json_t *as = json_object_get(o, "assumption");
  w->figures++;
  if (!json_is_number(v))
    complain(w, "a figure's \"value\" must be a number");
  if (!src && !as) {
    complain(w, "a figure without \"source\" or \"assumption\"");
    return;
  }
  if (as && (!json_is_string(as) || json_string_length(as) < 10))
    complain(w, "an \"assumption\" must say why (a sentence)");
  if (src) {
    if (json_is_array(src)) {
      if (json_array_size(src) == 0)
        complain(w, "an empty \"source\" array");
      for (size_t i = 0; i < json_array_size(src); i++)
        if (!source_key_ok(w, json_array_get(src, i)))
          complain(w, "a source key that is not in the \"sources\" table");
    } else if (!source_key_ok(w, src)) {
      complain(w, "a source key that is not in the \"sources\" table");
    }
  }
}

static void walk(walk_t *w, json_t *v, int depth) {
  size_t len = strlen(w->path);
  if (json_is_number(v)) {
    complain(w, "a bare number: give {\"value\", \"source\"} or "
                "{\"value\", \"assumption\"}");
    return;
  }
  if (json_is_object(v)) {
    if (json_object_get(v, "value")) {
      check_figure(w, v);
      return;
    }
    const char *k;
    json_t *c;
    json_object_foreach(v, k, c) {
      if (k[0] == '_')
        continue;
      if (depth == 0 && (strcmp(k, "format") == 0 || strcmp(k, "year") == 0 ||
                         strcmp(k, "turns") == 0 || strcmp(k, "notes") == 0 ||
                         strcmp(k, "sources") == 0))
        continue;
      snprintf(w->path + len, sizeof w->path - len, "/%s", k);
      walk(w, c, depth + 1);
      w->path[len] = '\0';
    }
  } else if (json_is_array(v)) {
    for (size_t i = 0; i < json_array_size(v); i++) {
      snprintf(w->path + len, sizeof w->path - len, "/%zu", i);
      walk(w, json_array_get(v, i), depth + 1);
      w->path[len] = '\0';
    }
  }
}

static void test_every_figure_sourced(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", LAN_SOURCE_MAPS, MAP_ID);
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    fail_msg("%s:%d:%d: %s", path, je.line, je.column, je.text);
  walk_t w;
  memset(&w, 0, sizeof w);
  w.sources = json_object_get(root, "sources");
  assert_true(json_is_object(w.sources));
  const char *k;
  json_t *s;
  json_object_foreach(w.sources, k, s) {
    snprintf(w.path, sizeof w.path, "/sources/%s", k);
    if ((k[0] != 'S' && k[0] != 'R') || k[1] < '1' || k[1] > '9')
      complain(&w, "a source key must be S<n> or R<n> (shared/reference)");
    static const char *const need[] = {"publisher", "title", "url"};
    for (size_t i = 0; i < 3; i++) {
      json_t *f = json_object_get(s, need[i]);
      if (!json_is_string(f) || json_string_length(f) == 0)
        complain(&w, "a source needs a publisher, a title and a url");
    }
  }
  w.path[0] = '\0';
  assert_true(json_is_integer(json_object_get(root, "turns")));
  assert_int_equal(json_integer_value(json_object_get(root, "turns")), 22);
  walk(&w, root, 0);
  print_message("race-2028: %zu figures, %zu sources, %zu problems\n",
                w.figures, json_object_size(w.sources), w.failures);
  assert_true(w.figures > 300);
  assert_int_equal(w.failures, 0);
  /* the derivation is stated, and the choices are listed */
  json_t *notes = json_object_get(root, "notes");
  const char *der = json_string_value(json_object_get(notes, "derivation"));
  assert_non_null(der);
  assert_non_null(strstr(der, "derived: world-2024, turn 2, seed 1"));
  assert_true(json_object_size(json_object_get(notes, "choices")) >= 10);
  json_decref(root);
}

/* ---- 2. turn 0 is world-2024's turn 2 ---- */

/* world-2024 without its DoD-MP state_support events, as
 * scripts/race2028.py plays it */
static model_map_t *world_without_dod(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/world-2024.json", LAN_SOURCE_MAPS);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  assert_non_null(root);
  json_t *ev = json_object_get(json_object_get(root, "events"), "scripted");
  for (size_t i = json_array_size(ev); i-- > 0;) {
    const char *kind =
        json_string_value(json_object_get(json_array_get(ev, i), "kind"));
    if (kind && strcmp(kind, "state_support") == 0)
      json_array_remove(ev, i);
  }
  char *text = json_dumps(root, JSON_COMPACT);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(text, strlen(text), "world-2024*", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  free(text);
  json_decref(root);
  return m;
}

static int nation_of(const model_map_t *m, const char *id) {
  for (size_t i = 0; i < model_map_nation_count(m); i++)
    if (strcmp(model_map_nation_id(m, i), id) == 0)
      return (int)i;
  fail_msg("no nation %s", id);
  return -1;
}

static double share(const model_report_t *r, int stage, int nation) {
  int64_t tot = 0;
  for (size_t n = 0; n < r->n_nations; n++)
    tot += r->production[(size_t)stage * r->n_nations + n];
  assert_true(tot > 0);
  return 100.0 *
         (double)r->production[(size_t)stage * r->n_nations + (size_t)nation] /
         (double)tot;
}

static double total(const model_report_t *r, int stage) {
  int64_t tot = 0;
  for (size_t n = 0; n < r->n_nations; n++)
    tot += r->production[(size_t)stage * r->n_nations + n];
  return 4.0 * model_kg_to_tonnes(tot);
}

static double usd(int64_t cents) {
  return model_cents_to_usd(cents);
}

static void near_abs(const char *what, double got, double want, double tol) {
  print_message("  %-44s %10.2f  (world-2024 turn 2: %.2f +- %.2f)\n", what,
                got, want, tol);
  if (got < want - tol || got > want + tol)
    fail_msg("%s: %.3f is outside %.3f +- %.3f", what, got, want, tol);
}

static void near_rel(const char *what, double got, double want, double rel) {
  print_message("  %-44s %10.2f  (world-2024 turn 2: %.2f +- %.0f%%)\n", what,
                got, want, 100 * rel);
  if (got < want * (1 - rel) || got > want * (1 + rel))
    fail_msg("%s: %.3f is not within %.0f%% of %.3f", what, got, 100 * rel,
             want);
}

static void test_opening_is_world_turn2(void **state) {
  (void)state;
  model_map_t *w = world_without_dod();
  model_state_t *ws = NULL;
  assert_int_equal(model_state_new(w, SEED, &ws), 0);
  for (int t = 0; t < 3; t++)
    assert_int_equal(model_resolve(ws), 0);
  const model_report_t *a = model_last_report(ws);
  assert_int_equal(a->turn, 2);

  model_map_t *m = helper_load(MAP_ID);
  assert_int_equal(model_map_turns(m), 22);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, SEED, &st), 0);
  int64_t before = helper_money_total(st);
  assert_int_equal(model_resolve(st), 0);
  helper_check_invariants(st, &before, "race-2028 turn 0");
  const model_report_t *b = model_last_report(st);
  assert_int_equal(b->turn, 0);
  size_t N = b->n_nations;
  assert_int_equal(N, a->n_nations);

  print_message("race-2028 turn 0 (2025 Q3) against world-2024 turn 2:\n");
  near_rel("world mine output, kt/yr", total(b, MODEL_MINING) / 1000,
           total(a, MODEL_MINING) / 1000, 0.02);
  near_rel("world magnet output, kt/yr", total(b, MODEL_MAGNETS) / 1000,
           total(a, MODEL_MAGNETS) / 1000, 0.02);
  int chn = nation_of(m, "CHN");
  static const char *const stage_name[] = {"mining", "separation", "magnet"};
  for (int s = 0; s < MODEL_STAGES; s++) {
    char what[64];
    snprintf(what, sizeof what, "China's share of %s output, %%",
             stage_name[s]);
    near_abs(what, share(b, s, chn), share(a, s, chn), 1.0);
  }
  static const struct {
    int p;
    const char *what;
    double rel;
  } px[] = {{MODEL_NDPR, "NdPr oxide, $/kg", 0.03},
            {MODEL_LACE, "La/Ce oxide, $/kg", 0.03},
            {MODEL_CONCENTRATE, "concentrate, $/kg REO", 0.03},
            {MODEL_DYTB, "Dy/Tb basket, $/kg", 0.05},
            {MODEL_MAGNET, "NdFeB magnet, $/kg", 0.10}};
  for (size_t i = 0; i < sizeof px / sizeof px[0]; i++)
    near_rel(px[i].what, usd(b->price[px[i].p]), usd(a->price[px[i].p]),
             px[i].rel);
  near_rel("NdPr oxide in China, $/kg",
           usd(b->regional[(size_t)MODEL_NDPR * N + (size_t)chn]),
           usd(a->regional[(size_t)MODEL_NDPR * N + (size_t)chn]), 0.03);
  /* and still the sourced world of world-2024's calibration */
  near_abs("China's share of mine output (USGS), %",
           share(b, MODEL_MINING, chn), 100.0 * 270 / 390, 2);
  assert_true(usd(b->price[MODEL_NDPR]) >= 45 &&
              usd(b->price[MODEL_NDPR]) <= 60);
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    assert_true(b->volume[p] > 0);
  model_state_free(st);
  model_map_free(m);
  model_state_free(ws);
  model_map_free(w);
}

/* ---- orders, built as the test strategies of test_v2_story do ---- */

#define MAX_ORDERS MODEL_ORDERS_MAX

typedef struct {
  model_order_t o[MAX_ORDERS];
  size_t n;
} batch_t;

static model_order_t *push(batch_t *b, model_op_t op) {
  assert_true(b->n < MAX_ORDERS);
  model_order_t *o = &b->o[b->n++];
  memset(o, 0, sizeof *o);
  o->op = op;
  return o;
}

static model_order_t *policy(batch_t *b, model_policy_kind_t k) {
  model_order_t *o = push(b, MODEL_OP_POLICY);
  o->kind = k;
  o->stage = o->product = o->skill = -1;
  return o;
}

static void set(char *dst, const char *src) {
  snprintf(dst, MODEL_ID_MAX, "%s", src);
}

/* notes.choices: the DoD-MP deal (S16-S19) as world-2024 scripts it */
static void dod_deal(batch_t *b) {
  model_order_t *o = policy(b, MODEL_POL_FIRM_PRICE_FLOOR);
  set(o->firm, "mp_materials");
  o->product = MODEL_NDPR;
  o->price_cents_per_kg = 11000;
  o->quantity_kg = 2000000;
  o->turns = 40;
  o = push(b, MODEL_OP_EQUITY);
  set(o->firm, "mp_materials");
  o->amount_cents = 40000000000;
  o->stake_ppm = 150000;
  o = push(b, MODEL_OP_LOAN);
  set(o->firm, "mp_materials");
  o->amount_cents = 15000000000;
  o->rate_ppm = 45000;
  o->turns = 36;
  o->grace = 4;
}

static void expect_accepted(model_state_t *st, const char *seat,
                            const batch_t *b) {
  int s = model_map_seat_index(model_state_map(st), seat);
  assert_true(s >= 0);
  model_refusal_t ref[8];
  size_t nr = 0;
  assert_int_equal(model_submit(st, s, b->o, b->n, ref, 8, &nr), 0);
  for (size_t i = 0; i < nr && i < 8; i++)
    print_error("%s: order %zu refused: %s\n", seat, ref[i].index,
                ref[i].message);
  assert_int_equal(nr, 0);
}

/* ---- 3. the players' choices are playable at turn 0 ---- */

static void test_choices_accepted(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, SEED, &st), 0);
  batch_t b = {.n = 0};
  /* USA: the DoD-MP deal, the Vulcan package, the IBAS grant to Lynas,
   * e-VAC's grant, the DLA six-month magnet stockpile */
  dod_deal(&b);
  model_order_t *o = push(&b, MODEL_OP_LOAN);
  set(o->firm, "vulcan_elements");
  o->amount_cents = 62000000000;
  o->rate_ppm = 45000;
  o->turns = 40;
  o->grace = 8;
  o = push(&b, MODEL_OP_EQUITY);
  set(o->firm, "vulcan_elements");
  o->amount_cents = 5000000000;
  o->stake_ppm = 50000;
  o = push(&b, MODEL_OP_GRANT);
  set(o->firm, "lynas");
  o->amount_cents = 25800000000;
  o = push(&b, MODEL_OP_GRANT);
  set(o->firm, "japan_magnets");
  o->amount_cents = 10000000000;
  o = policy(&b, MODEL_POL_STOCKPILE);
  o->product = MODEL_MAGNET;
  o->target_kg = 3750000;
  expect_accepted(st, "USA", &b);
  /* MP cannot fund 10X from its own cash and credit before the deal's
   * money arrives (at the end of this turn): the deal is what pays for it */
  b.n = 0;
  o = push(&b, MODEL_OP_BUILD);
  o->stage = MODEL_MAGNETS;
  o->capacity_kg_per_year = 10000000;
  model_refusal_t ref;
  size_t nr = 0;
  assert_int_equal(model_validate(st, model_map_seat_index(m, "mp_materials"),
                                  b.o, b.n, &ref, 1, &nr),
                   0);
  assert_int_equal(nr, 1);
  print_message("  MP's 10X at turn 0, before the deal: %s\n", ref.message);
  assert_non_null(strstr(ref.message, "missing"));
  /* Noveon doubles San Marcos; Lynas builds Seadrift, a separation plant
   * in the USA */
  b.n = 0;
  o = push(&b, MODEL_OP_BUILD);
  o->stage = MODEL_MAGNETS;
  o->capacity_kg_per_year = 2000000;
  set(o->facility, "noveon_san_marcos");
  expect_accepted(st, "noveon", &b);
  b.n = 0;
  o = push(&b, MODEL_OP_BUILD);
  o->stage = MODEL_SEPARATION;
  o->capacity_kg_per_year = 5000000;
  set(o->host, "USA");
  expect_accepted(st, "lynas", &b);
  /* CHN: the October 2025 package (S64-S66) */
  b.n = 0;
  o = policy(&b, MODEL_POL_ORIGIN_RULE);
  o->product = MODEL_MAGNET;
  o->rate_ppm = 1000;
  o->approval_ppm = 0;
  set(o->partner, "all");
  o->turns = 2;
  o = policy(&b, MODEL_POL_TECHNOLOGY_EXPORT_BAN);
  o->stage = MODEL_MINING;
  set(o->partner, "all");
  expect_accepted(st, "CHN", &b);

  for (int t = 0; t < 2; t++) {
    if (t == 1) {
      /* with the deal's and the package's money: 10X and Vulcan's plant */
      b.n = 0;
      o = push(&b, MODEL_OP_BUILD);
      o->stage = MODEL_MAGNETS;
      o->capacity_kg_per_year = 10000000;
      expect_accepted(st, "mp_materials", &b);
      /* Vulcan's $1.22 bn (S47: $550 M private, $620 M loan, $50 M
       * equity) pays 9,500 t/yr at the map's $125 per t/yr (10,000 with
       * any US capex subsidy) */
      o->capacity_kg_per_year = 9500000;
      expect_accepted(st, "vulcan_elements", &b);
    }
    int64_t before = helper_money_total(st);
    assert_int_equal(model_resolve(st), 0);
    helper_check_invariants(st, &before, "race-2028 choices");
    const model_report_t *r = model_last_report(st);
    assert_int_equal(r->n_late_refusals, 0);
  }
  /* the deal is in force: a floor, a loan and a stake for MP */
  model_obs_t *obs;
  assert_int_equal(
      model_observe(st, model_map_seat_index(m, "mp_materials"), &obs), 0);
  int kinds = 0;
  for (size_t k = 0; k < obs->n_support; k++)
    kinds |= 1 << obs->support[k].kind;
  assert_int_equal(kinds, 7);
  int building = 0;
  for (size_t i = 0; i < obs->n_facilities; i++)
    building += obs->facilities[i].status != MODEL_FAC_OPERATING;
  assert_true(building >= 1);
  model_obs_free(obs);
  model_state_free(st);
  model_map_free(m);
}

/* ---- 4. the whole game under standing orders ---- */

static void test_whole_game_invariants(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, SEED, &st), 0);
  for (int t = 0; t < 22; t++) {
    char where[64];
    snprintf(where, sizeof where, "race-2028 turn %d", t);
    int64_t before = helper_money_total(st);
    assert_int_equal(model_resolve(st), 0);
    helper_check_invariants(st, &before, where);
    const model_report_t *r = model_last_report(st);
    for (int p = 0; p < MODEL_PRODUCTS; p++)
      assert_true(r->price[p] > 0 && r->price[p] < MODEL_PRICE_MAX_CENTS);
  }
  assert_int_equal(model_resolve(st), MODEL_EFINISHED);
  model_state_free(st);
  model_map_free(m);
}

/* ---- 5. design 5.1 with the map's seats ---- */

static void spender(const model_state_t *st, int seat, const char *const *firms,
                    size_t n_firms, batch_t *b) {
  model_obs_t *obs;
  assert_int_equal(model_observe(st, seat, &obs), 0);
  for (int s = 0; s < MODEL_STAGES; s++) {
    model_order_t *o = policy(b, MODEL_POL_SUBSIDY);
    o->stage = s;
    o->capex_share_ppm = 1000000;
    o->output_cents_per_kg = 100000; /* $1,000/kg */
    o = policy(b, MODEL_POL_PERMITTING);
    o->stage = s;
    o->speed_ppm = 2000000;
    o = policy(b, MODEL_POL_TALENT_PROGRAMME);
    o->skill = s;
    o->budget_cents = (int64_t)1e14; /* $1e12 */
    o = policy(b, MODEL_POL_MIGRATION);
    o->skill = s;
    o->inbound = o->outbound = true;
    if (obs->training_left[s] != 0) {
      o = push(b, MODEL_OP_TRAIN);
      o->skill = s;
      o->count = obs->training_left[s] > 0 ? obs->training_left[s] : 1000000;
    }
  }
  int64_t h = obs->finance ? obs->headroom_cents : obs->budget_cents;
  if (h > (int64_t)n_firms * 100) {
    for (size_t i = 0; i < n_firms; i++) {
      model_order_t *o = push(b, MODEL_OP_GRANT);
      set(o->firm, firms[i]);
      o->amount_cents = h / 2 / (int64_t)n_firms;
      if (o->amount_cents > (int64_t)1e14)
        o->amount_cents = (int64_t)1e14;
    }
  }
  model_obs_free(obs);
}

static void rush(const model_state_t *st, int seat, batch_t *b) {
  model_obs_t *obs;
  assert_int_equal(model_observe(st, seat, &obs), 0);
  for (int k = 0; k < 10; k++) {
    model_order_t *o = push(b, MODEL_OP_BUILD);
    o->stage = MODEL_MAGNETS;
    o->capacity_kg_per_year = 2000000;
  }
  for (size_t i = 0; i < obs->n_facilities && b->n + 80 < MAX_ORDERS; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    model_order_t *o = push(b, MODEL_OP_OPERATE);
    set(o->facility, f->id);
    o->utilisation_ppm = 1000000;
    if (f->stage == MODEL_MAGNETS && f->status == MODEL_FAC_OPERATING &&
        f->expanding_kg_per_year == 0) {
      int64_t sh = obs->rules.brownfield_max_share_ppm[MODEL_MAGNETS];
      o = push(b, MODEL_OP_BUILD);
      o->stage = MODEL_MAGNETS;
      set(o->facility, f->id);
      o->capacity_kg_per_year =
          sh >= 0 ? f->capacity_kg_per_year * sh / 1000000 : 60000000;
    }
  }
  int s = MODEL_MAGNETS;
  if (obs->talent_pool[s] > 0) {
    model_order_t *o = push(b, MODEL_OP_HIRE);
    o->skill = s;
    o->count = obs->talent_pool[s];
  }
  static const int64_t steps[] = {100, 30, 10, 3, 1};
  for (size_t n = 0; n < obs->n_nations; n++) {
    if (strcmp(obs->nations[n], obs->nation) == 0)
      continue;
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
      model_order_t *o = push(b, MODEL_OP_HIRE);
      o->skill = s;
      o->count = steps[k];
      set(o->origin, obs->nations[n]);
    }
  }
  int64_t appr = obs->staff[s] / 20;
  if (appr > 0) {
    model_order_t *o = push(b, MODEL_OP_HIRE);
    o->skill = s;
    o->count = appr;
    o->apprentice = true;
  }
  int64_t magnets = 0;
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == MODEL_MAGNETS)
      magnets += obs->facilities[i].effective_kg_per_year / 4;
  for (int p = MODEL_NDPR; p <= MODEL_DYTB; p++) {
    model_order_t *o = push(b, MODEL_OP_BID);
    o->product = p;
    o->quantity_kg =
        magnets * obs->rules.recipe_ppm[p - MODEL_NDPR] / 1000000 + 1000;
    o->price_cents_per_kg = 50000;
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    model_order_t *o = push(b, MODEL_OP_OFFER);
    o->product = p;
  }
  model_obs_free(obs);
}

static void check_limits(const model_state_t *st, uint64_t seed, int t) {
  size_t H = model_state_holder_count(st);
  for (size_t h = 0; h < H; h++)
    if (model_state_holder_money(st, h) < model_state_holder_floor(st, h))
      fail_msg("seed %llu turn %d: holder %zu below its money limit",
               (unsigned long long)seed, t, h);
}

static size_t usa_index(const model_map_t *m) {
  return (size_t)nation_of(m, "USA");
}

static void test_unlimited_us(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  static const char *const firms[] = {"mp_materials", "energy_fuels", "noveon",
                                      "usa_rare_earth", "vulcan_elements"};
  const size_t nf = sizeof firms / sizeof firms[0];
  int usa = model_map_seat_index(m, "USA");
  size_t N = model_map_nation_count(m), us_n = usa_index(m);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    model_state_t *st;
    assert_int_equal(model_state_new(m, seed, &st), 0);
    for (int t = 0; t <= Q4_2028; t++) {
      batch_t b = {.n = 0};
      spender(st, usa, firms, nf, &b);
      assert_int_equal(model_submit(st, usa, b.o, b.n, NULL, 0, NULL), 0);
      for (size_t i = 0; i < nf; i++) {
        b.n = 0;
        rush(st, model_map_seat_index(m, firms[i]), &b);
        assert_int_equal(model_submit(st, model_map_seat_index(m, firms[i]),
                                      b.o, b.n, NULL, 0, NULL),
                         0);
      }
      assert_int_equal(model_resolve(st), 0);
      const model_report_t *r = model_last_report(st);
      int64_t us = 4 * r->production[MODEL_MAGNETS * N + us_n], world = 0;
      for (size_t n = 0; n < N; n++)
        world += 4 * r->production[MODEL_MAGNETS * N + n];
      if (t == Q4_2028 || getenv("LAN_RACE_PRINT"))
        print_message("seed %llu turn %2d: US magnets %7.0f t/yr, %4.1f%% of "
                      "the world's %7.0f t/yr\n",
                      (unsigned long long)seed, t, (double)us / 1000.0,
                      100.0 * (double)us / (double)world,
                      (double)world / 1000.0);
      if (us > 20000000 || us * 10 > world)
        fail_msg("seed %llu turn %d: US magnets %lld kg/yr of %lld",
                 (unsigned long long)seed, t, (long long)us, (long long)world);
      check_limits(st, seed, t);
    }
    model_state_free(st);
  }
  model_map_free(m);
}

/* ---- 6. design 5.2: the moderate plan ---- */

static void moderate_us(int turn, batch_t *b) {
  if (turn != 0)
    return; /* standing from turn 0 */
  dod_deal(b);
  model_order_t *o = policy(b, MODEL_POL_SUBSIDY);
  o->stage = MODEL_MAGNETS;
  o->capex_share_ppm = 500000;
  o = policy(b, MODEL_POL_SUBSIDY);
  o->stage = MODEL_SEPARATION;
  o->capex_share_ppm = 500000;
  o = policy(b, MODEL_POL_TALENT_PROGRAMME);
  o->skill = MODEL_MAGNETS;
  o->budget_cents = 1500000000; /* $15 M */
  o = policy(b, MODEL_POL_TALENT_PROGRAMME);
  o->skill = MODEL_SEPARATION;
  o->budget_cents = 600000000; /* $6 M */
}

static void moderate_mp(const model_state_t *st, int seat, int turn,
                        batch_t *b) {
  model_obs_t *obs;
  assert_int_equal(model_observe(st, seat, &obs), 0);
  if (turn == 1) { /* once the deal's money is in (test_choices_accepted) */
    model_order_t *o = push(b, MODEL_OP_BUILD);
    o->stage = MODEL_MAGNETS;
    o->capacity_kg_per_year = 10000000;
  }
  int64_t mag = 0;
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == MODEL_MAGNETS)
      mag += obs->facilities[i].effective_kg_per_year / 4;
  model_order_t *o = push(b, MODEL_OP_BID);
  o->product = MODEL_NDPR;
  o->quantity_kg = mag * obs->rules.recipe_ppm[0] / 1000000;
  o->price_cents_per_kg = 15000;
  o = push(b, MODEL_OP_BID);
  o->product = MODEL_DYTB;
  o->quantity_kg = mag * obs->rules.recipe_ppm[1] / 1000000;
  o->price_cents_per_kg = 80000;
  int64_t need = 0;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage == MODEL_MAGNETS &&
        (f->status == MODEL_FAC_OPERATING || f->turns_left <= 6))
      need += f->staff_needed > 0 ? f->staff_needed
                                  : f->capacity_kg_per_year * 170 / 1000000;
  }
  int64_t gap = need - obs->staff[MODEL_MAGNETS];
  if (gap > 0 && obs->talent_pool[MODEL_MAGNETS] > 0) {
    o = push(b, MODEL_OP_HIRE);
    o->skill = MODEL_MAGNETS;
    o->count = gap < obs->talent_pool[MODEL_MAGNETS]
                   ? gap
                   : obs->talent_pool[MODEL_MAGNETS];
    gap -= o->count;
  }
  if (gap > 0 && obs->training_left[MODEL_MAGNETS] > 0) {
    o = push(b, MODEL_OP_TRAIN);
    o->skill = MODEL_MAGNETS;
    o->count = gap < obs->training_left[MODEL_MAGNETS]
                   ? gap
                   : obs->training_left[MODEL_MAGNETS];
  }
  int64_t appr = obs->staff[MODEL_MAGNETS] / 20;
  if (gap > 0 && appr > 0) {
    o = push(b, MODEL_OP_HIRE);
    o->skill = MODEL_MAGNETS;
    o->count = appr;
    o->apprentice = true;
  }
  model_obs_free(obs);
}

static void test_moderate_plan(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  int usa = model_map_seat_index(m, "USA");
  int mp = model_map_seat_index(m, "mp_materials");
  size_t N = model_map_nation_count(m), us_n = usa_index(m);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    model_state_t *st;
    assert_int_equal(model_state_new(m, seed, &st), 0);
    int64_t us = 0;
    for (int t = 0; t <= Q4_2028; t++) {
      batch_t b = {.n = 0};
      moderate_us(t, &b);
      if (b.n)
        assert_int_equal(model_submit(st, usa, b.o, b.n, NULL, 0, NULL), 0);
      b.n = 0;
      moderate_mp(st, mp, t, &b);
      assert_int_equal(model_submit(st, mp, b.o, b.n, NULL, 0, NULL), 0);
      assert_int_equal(model_resolve(st), 0);
      const model_report_t *r = model_last_report(st);
      us = 4 * r->production[MODEL_MAGNETS * N + us_n];
      if (getenv("LAN_RACE_PRINT"))
        print_message("seed %llu turn %2d: US magnets %7.0f t/yr\n",
                      (unsigned long long)seed, t, (double)us / 1000.0);
      check_limits(st, seed, t);
    }
    print_message("seed %llu: US magnets at 2028 Q4 (turn 13) %.0f t/yr\n",
                  (unsigned long long)seed, (double)us / 1000.0);
    assert_true(us >= 4000000 && us <= 15000000);
    model_state_free(st);
  }
  model_map_free(m);
}

/* ---- 7. design 5.3 on the basket: Dy/Tb under sustained controls ----
 * As test_world2024's test_heavy_oxides_sustained_controls: China keeps
 * Dy/Tb export licences at 26% of exports (S69, S70) from turn 0 (in
 * force from turn 1); the ex-China basket price (the cheapest of Japan,
 * the EU and the US) over China's, turns 2-13, has its median in
 * [1.5, 6] (S71, S72, S9) and stays within [0.9, 10] every turn. */
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_heavy_oxides_sustained_controls(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  size_t chn = (size_t)nation_of(m, "CHN");
  size_t ex[3] = {(size_t)nation_of(m, "JPN"), (size_t)nation_of(m, "EUU"),
                  (size_t)nation_of(m, "USA")};
  for (uint64_t seed = 1; seed <= 3; seed++) {
    model_state_t *st = NULL;
    assert_int_equal(model_state_new(m, seed, &st), 0);
    model_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = MODEL_EV_POLICY;
    ev.turn = 0;
    ev.product = ev.stage = -1;
    strcpy(ev.nation, "CHN");
    model_order_t *o = &ev.policy;
    o->op = MODEL_OP_POLICY;
    o->kind = MODEL_POL_EXPORT_LICENCE;
    o->product = MODEL_DYTB;
    o->stage = o->skill = -1;
    o->approval_ppm = 260000;
    strcpy(o->partner, "all");
    strcpy(o->choice, "exports");
    snprintf(ev.text, sizeof ev.text,
             "China keeps Dy/Tb export licences at 26%% of exports");
    assert_int_equal(model_inject_event(st, &ev), 0);
    double ratio[Q4_2028 + 1];
    for (int t = 0; t <= Q4_2028; t++) {
      int64_t before = helper_money_total(st);
      assert_int_equal(model_resolve(st), 0);
      helper_check_invariants(st, &before, "race-2028 sustained controls");
      const model_report_t *r = model_last_report(st);
      size_t N = r->n_nations;
      double cn = usd(r->regional[MODEL_DYTB * N + chn]), lo = 1e18;
      for (int k = 0; k < 3; k++) {
        double x = usd(r->regional[MODEL_DYTB * N + ex[k]]);
        if (x < lo)
          lo = x;
      }
      ratio[t] = lo / cn;
      if (getenv("LAN_RACE_PRINT"))
        print_message("  seed %llu turn %d: China %.2f, ex-China %.2f $/kg\n",
                      (unsigned long long)seed, t, cn, lo);
      if (t >= 2 && (ratio[t] < 0.9 || ratio[t] > 10.0))
        fail_msg("seed %llu turn %d: ex-China Dy/Tb %.2f is %.2fx China's "
                 "%.2f $/kg; expected 0.9 to 10",
                 (unsigned long long)seed, t, lo, ratio[t], cn);
    }
    double sorted[Q4_2028 - 1];
    memcpy(sorted, ratio + 2, sizeof sorted);
    size_t n = sizeof sorted / sizeof sorted[0];
    qsort(sorted, n, sizeof sorted[0], cmp_double);
    double median =
        n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    print_message("  seed %llu: ex-China / China Dy/Tb, turns 2-13: median "
                  "%.2f (turn 2 %.2f, turn 13 %.2f)\n",
                  (unsigned long long)seed, median, ratio[2], ratio[Q4_2028]);
    assert_true(median >= 1.5 && median <= 6.0);
    model_state_free(st);
  }
  model_map_free(m);
}

/* ---- 8. the built-in agents (design 5.8) ----
 * Each built-in strategy on every seat it plays (the others standing), and
 * a mix (nations builder and hawk in turn, firms integrator, expander and
 * cautious in turn), 16 turns, seed 1: no order refused, the invariants
 * and every seat's money limit hold after every turn. */
static void play_agents(const model_map_t *m, const agent_strategy_t **strat,
                        const char *what) {
  size_t S = model_map_seat_count(m);
  model_state_t *st;
  assert_int_equal(model_state_new(m, SEED, &st), 0);
  agent_t **a = calloc(S, sizeof *a);
  model_order_t *orders = calloc(MODEL_ORDERS_MAX, sizeof *orders);
  assert_non_null(a);
  assert_non_null(orders);
  for (size_t i = 0; i < S; i++) {
    a[i] = agent_new(strat[i], SEED ^ (0x9e3779b97f4a7c15ULL * (i + 1)));
    assert_non_null(a[i]);
  }
  size_t given = 0;
  for (int t = 0; t < 16; t++) {
    for (size_t i = 0; i < S; i++) {
      model_obs_t *obs;
      assert_int_equal(model_observe(st, (int)i, &obs), 0);
      size_t n = 0;
      assert_int_equal(agent_act(a[i], obs, orders, MODEL_ORDERS_MAX, &n), 0);
      model_obs_free(obs);
      given += n;
      if (!n)
        continue;
      model_refusal_t ref;
      size_t nr = 0;
      assert_int_equal(model_submit(st, (int)i, orders, n, &ref, 1, &nr), 0);
      if (nr)
        fail_msg("%s turn %d: %s: order %zu refused: %s", what, t,
                 model_map_seat_id(m, i), ref.index, ref.message);
    }
    char where[128];
    snprintf(where, sizeof where, "race-2028 %s turn %d", what, t);
    int64_t before = helper_money_total(st);
    assert_int_equal(model_resolve(st), 0);
    helper_check_invariants(st, &before, where);
    check_limits(st, SEED, t);
  }
  print_message("  %-12s %6zu orders in 16 turns\n", what, given);
  for (size_t i = 0; i < S; i++)
    agent_free(a[i]);
  free(a);
  free(orders);
  model_state_free(st);
}

static void test_builtin_agents(void **state) {
  (void)state;
  model_map_t *m = helper_load(MAP_ID);
  size_t S = model_map_seat_count(m);
  const agent_strategy_t **strat = calloc(S, sizeof *strat);
  assert_non_null(strat);
  const agent_strategy_t *standing = agent_find("standing");
  assert_non_null(standing);
  for (size_t k = 0; k < agent_strategy_count(); k++) {
    const agent_strategy_t *s = agent_strategy_at(k);
    for (size_t i = 0; i < S; i++)
      strat[i] =
          agent_strategy_plays(s, model_map_seat_kind(m, i)) ? s : standing;
    play_agents(m, strat, s->id);
  }
  static const char *const nations[] = {"builder", "hawk"};
  static const char *const firms[] = {"integrator", "expander", "cautious"};
  size_t kn = 0, kf = 0;
  for (size_t i = 0; i < S; i++) {
    strat[i] = model_map_seat_kind(m, i) == MODEL_SEAT_NATION
                   ? agent_find(nations[kn++ % 2])
                   : agent_find(firms[kf++ % 3]);
    assert_non_null(strat[i]);
  }
  play_agents(m, strat, "mix");
  free(strat);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_figure_sourced),
      cmocka_unit_test(test_opening_is_world_turn2),
      cmocka_unit_test(test_choices_accepted),
      cmocka_unit_test(test_whole_game_invariants),
      cmocka_unit_test(test_unlimited_us),
      cmocka_unit_test(test_moderate_plan),
      cmocka_unit_test(test_heavy_oxides_sustained_controls),
      cmocka_unit_test(test_builtin_agents),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
