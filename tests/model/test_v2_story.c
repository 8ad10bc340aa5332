/* test_v2_story.c: the "Done when" scenarios that the closed
 * loopholes decide (docs/design/model-v2.md section 5), played on
 * world-2024 through model_submit and model_resolve only, by two test
 * strategies written against the public observation like the built-in
 * agents: `spender` (a US government that spends without limit) and
 * `rush` (US firms that build, hire, poach and train all they can).
 *
 * 5.1: such a US stays under 20,000 t/yr of magnets and under 10% of the
 * world's by 2028 Q4 (turn 15) on every seed, and no seat passes its money
 * limit on the way; the same play on the map with the version-1 rules
 * (no money limits, no talent limits, one-phase lead times, unbounded
 * expansions) does pass 20,000 t/yr, so the test can fail. On the way,
 * no US magnet plant's unit cost falls below China's cheapest (learning on
 * effective experience). */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

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
  return o;
}

/* The US government: every lever at its limit, every turn. */
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
  /* the rest of what it may spend, granted to its firms */
  int64_t h = obs->finance ? obs->headroom_cents : obs->budget_cents;
  if (h > (int64_t)n_firms * 100) {
    for (size_t i = 0; i < n_firms; i++) {
      model_order_t *o = push(b, MODEL_OP_GRANT);
      snprintf(o->firm, sizeof o->firm, "%s", firms[i]);
      o->amount_cents = h / 2 / (int64_t)n_firms; /* half: training first */
      if (o->amount_cents > (int64_t)1e14)
        o->amount_cents = (int64_t)1e14;
    }
  }
  model_obs_free(obs);
}

/* A US firm that builds, hires and runs everything it can. */
static void rush(const model_state_t *st, int seat, batch_t *b) {
  model_obs_t *obs;
  assert_int_equal(model_observe(st, seat, &obs), 0);
  /* ten new magnet plants of the size that finishes soonest per tonne */
  for (int k = 0; k < 10; k++) {
    model_order_t *o = push(b, MODEL_OP_BUILD);
    o->stage = MODEL_MAGNETS;
    o->capacity_kg_per_year = 2000000;
  }
  /* (within a submission's limit, keeping room for what follows) */
  for (size_t i = 0; i < obs->n_facilities && b->n + 80 < MAX_ORDERS; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    model_order_t *o = push(b, MODEL_OP_OPERATE);
    snprintf(o->facility, sizeof o->facility, "%s", f->id);
    o->utilisation_ppm = 1000000;
    if (f->stage == MODEL_MAGNETS && f->status == MODEL_FAC_OPERATING &&
        f->expanding_kg_per_year == 0) {
      int64_t share = obs->rules.brownfield_max_share_ppm[MODEL_MAGNETS];
      o = push(b, MODEL_OP_BUILD);
      o->stage = MODEL_MAGNETS;
      snprintf(o->facility, sizeof o->facility, "%s", f->id);
      o->capacity_kg_per_year = share >= 0
                                    ? f->capacity_kg_per_year * share / 1000000
                                    : 60000000; /* the 60,000 t/yr */
    }
  }
  int s = MODEL_MAGNETS;
  if (obs->talent_pool[s] > 0) {
    model_order_t *o = push(b, MODEL_OP_HIRE);
    o->skill = s;
    o->count = obs->talent_pool[s];
  }
  /* from every other nation, in decreasing steps: each is applied while
   * the poaching bound has room (the rest are refused at resolution) */
  static const int64_t steps[] = {100, 30, 10, 3, 1};
  for (size_t n = 0; n < obs->n_nations; n++) {
    if (strcmp(obs->nations[n], obs->nation) == 0)
      continue;
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
      model_order_t *o = push(b, MODEL_OP_HIRE);
      o->skill = s;
      o->count = steps[k];
      snprintf(o->origin, sizeof o->origin, "%s", obs->nations[n]);
    }
  }
  int64_t appr = obs->staff[s] / 20; /* the map's 0.05 per mentor */
  if (appr > 0) {
    model_order_t *o = push(b, MODEL_OP_HIRE);
    o->skill = s;
    o->count = appr;
    o->apprentice = true;
  }
  /* oxide for every plant at full output, at a price no one outbids (but
   * no more than the plants use: a firm that bought oxide it cannot use
   * would only go bankrupt) */
  int64_t magnets = 0;
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == MODEL_MAGNETS)
      magnets += obs->facilities[i].effective_kg_per_year / 4;
  for (int p = MODEL_NDPR; p <= MODEL_DYTB; p++) {
    model_order_t *o = push(b, MODEL_OP_BID);
    o->product = p;
    o->quantity_kg =
        magnets * obs->rules.recipe_ppm[p - MODEL_NDPR] / 1000000 + 1000;
    o->price_cents_per_kg = 50000; /* $500/kg: high, yet a real quantity */
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    model_order_t *o = push(b, MODEL_OP_OFFER);
    o->product = p;
  }
  model_obs_free(obs);
}

static model_map_t *load_edited(void (*edit)(json_t *)) {
  char path[512];
  snprintf(path, sizeof path, "%s/world-2024.json", LAN_SOURCE_MAPS);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  assert_non_null(root);
  if (edit)
    edit(root);
  char *text = json_dumps(root, JSON_COMPACT);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(text, strlen(text), "world-2024*", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  free(text);
  json_decref(root);
  return m;
}

/* world-2024 with the rules of version 1: no money limits, no training
 * capacity or apprentices or poaching bound, lead times in one phase (the
 * old magnet lead of 10 and 4 turns), unbounded expansions. */
static void v1_rules(json_t *root) {
  json_t *par = json_object_get(root, "parameters");
  json_object_del(par, "finance");
  json_t *tal = json_object_get(par, "talent");
  json_object_del(tal, "capacity_growth");
  json_object_del(tal, "capacity_max");
  json_object_del(tal, "mentor_ratio");
  json_object_del(tal, "seasoning_turns");
  json_object_set_new(tal, "poach_share", json_real(1.0));
  json_object_del(tal, "poach_cost_years");
  const char *key;
  json_t *stg;
  static const int lead[3][2] = {{36, 8}, {20, 8}, {10, 4}};
  int k = 0;
  json_object_foreach(json_object_get(par, "stages"), key, stg) {
    int s = strcmp(key, "mining") == 0       ? 0
            : strcmp(key, "separation") == 0 ? 1
                                             : 2;
    (void)k;
    json_object_del(stg, "permit_turns");
    json_object_del(stg, "build_turns");
    json_object_del(stg, "reference_capacity");
    json_object_del(stg, "turns_per_doubling");
    json_object_del(stg, "brownfield_max_share");
    json_object_set_new(stg, "lead_turns",
                        json_pack("{s:i,s:i}", "greenfield", lead[s][0],
                                  "brownfield", lead[s][1]));
  }
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(root, "nations"), i, v) {
    json_object_del(v, "permit_turns");
    json_object_del(v, "deficit_limit");
    json_object_del(v, "training_capacity");
  }
  json_array_foreach(json_object_get(root, "seats"), i, v)
      json_object_del(v, "credit_line");
}

/* The seat's cheapest operating magnet plant, cents/kg (INT64_MAX: none). */
static int64_t lowest_magnet_cost(const model_state_t *st, int seat) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, seat, &o), 0);
  int64_t c = INT64_MAX;
  for (size_t i = 0; i < o->n_facilities; i++)
    if (o->facilities[i].stage == MODEL_MAGNETS &&
        o->facilities[i].status == MODEL_FAC_OPERATING &&
        o->facilities[i].unit_cost_cents_per_kg < c)
      c = o->facilities[i].unit_cost_cents_per_kg;
  model_obs_free(o);
  return c;
}

/* Plays turns 0..15; returns the most annualised US magnet output (kg/yr)
 * of any turn, and fails if the US passes `cap` or 10% of the world's
 * (cap < 0: no assertion, the v1 variant) or a seat passes its limit. */
static int64_t play_unlimited_us(model_map_t *m, uint64_t seed, int64_t cap) {
  model_state_t *st;
  assert_int_equal(model_state_new(m, seed, &st), 0);
  static const char *const firms[] = {"mp_materials", "energy_fuels"};
  int usa = model_map_seat_index(m, "USA");
  size_t N = model_map_nation_count(m), us_n = 0;
  for (size_t n = 0; n < N; n++)
    if (strcmp(model_map_nation_id(m, n), "USA") == 0)
      us_n = n;
  int64_t most = 0;
  for (int t = 0; t <= 15; t++) {
    batch_t b = {.n = 0};
    spender(st, usa, firms, 2, &b);
    assert_int_equal(model_submit(st, usa, b.o, b.n, NULL, 0, NULL), 0);
    for (size_t i = 0; i < 2; i++) {
      int f = model_map_seat_index(m, firms[i]);
      b.n = 0;
      rush(st, f, &b);
      assert_int_equal(model_submit(st, f, b.o, b.n, NULL, 0, NULL), 0);
    }
    assert_int_equal(model_resolve(st), 0);
    const model_report_t *r = model_last_report(st);
    int64_t us = 4 * r->production[MODEL_MAGNETS * N + us_n], world = 0;
    for (size_t n = 0; n < N; n++)
      world += 4 * r->production[MODEL_MAGNETS * N + n];
    if (us > most)
      most = us;
    if (cap >= 0) {
      print_message("seed %llu turn %2d: US magnets %7.0f t/yr, %4.1f%% of "
                    "the world's %7.0f t/yr\n",
                    (unsigned long long)seed, t, (double)us / 1000.0,
                    100.0 * (double)us / (double)world, (double)world / 1000.0);
      if (us > cap || us * 10 > world)
        fail_msg("seed %llu turn %d: US magnets %lld kg/yr of %lld",
                 (unsigned long long)seed, t, (long long)us, (long long)world);
      size_t H = model_state_holder_count(st);
      for (size_t h = 0; h < H; h++)
        if (model_state_holder_money(st, h) < model_state_holder_floor(st, h))
          fail_msg("seed %llu turn %d: holder %zu below its money limit",
                   (unsigned long long)seed, t, h);
      /* learning: no US magnet plant becomes cheaper than China's cheapest
       * (the issue's $2.63 against $8.23 cannot recur) */
      int64_t cn =
          lowest_magnet_cost(st, model_map_seat_index(m, "china_magnets"));
      for (size_t i = 0; i < 2; i++) {
        int64_t c = lowest_magnet_cost(st, model_map_seat_index(m, firms[i]));
        if (c < cn)
          fail_msg("seed %llu turn %d: %s makes magnets at %lld cents/kg, "
                   "below China's %lld",
                   (unsigned long long)seed, t, firms[i], (long long)c,
                   (long long)cn);
      }
    }
  }
  model_state_free(st);
  return most;
}

static void test_unlimited_us_stays_under_20kt(void **state) {
  (void)state;
  model_map_t *m = load_edited(NULL);
  for (uint64_t seed = 1; seed <= 3; seed++)
    play_unlimited_us(m, seed, 20000000);
  model_map_free(m);
  /* the same play under the version-1 rules passes 20 kt/yr */
  model_map_t *v1 = load_edited(v1_rules);
  int64_t most = play_unlimited_us(v1, 1, -1);
  print_message("version-1 rules: the US reaches %.0f t/yr\n",
                (double)most / 1000.0);
  assert_true(most > 20000000);
  model_map_free(v1);
}

/* 5.2 (on the Dy/Tb basket: the split of Dy and Tb is a later step):
 * the story's moderate plan. The US pays half of new magnet and
 * separation capex, runs magnet and separation programmes of $15 M and
 * $6 M a turn (the July 2025 DoD deal with MP, S16-S19, is scripted in
 * world-2024 at turn 1: $400 M of equity for about 15%, a $150 M loan, a
 * $110/kg NdPr floor for 40 turns); MP builds a 10,000 t/yr magnet plant at
 * turn 2, buys the oxide its plants use, and hires, trains and mentors as the
 * plant nears completion. US magnet output at 2028 Q4 (turn 15),
 * annualised, lands in 4-15 kt/yr. */
static void moderate_us(const model_state_t *st, int seat, int turn,
                        batch_t *b) {
  (void)st;
  (void)seat;
  if (turn != 1)
    return; /* standing from turn 1 */
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
  if (turn == 2) {
    model_order_t *o = push(b, MODEL_OP_BUILD);
    o->stage = MODEL_MAGNETS;
    o->capacity_kg_per_year = 10000000;
  }
  if (turn >= 2) {
    /* the oxide its magnet plants use at full output, at prices that win
     * it (NdPr $150/kg: it sells its own NdPr into the market and buys it
     * back, so the price only has to beat the Chinese magnet makers'
     * indexed bids; the Dy/Tb basket $800/kg, ~2.2x its 2024 price) */
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
    /* staff for its plants from two turns before they open */
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
  }
  model_obs_free(obs);
}

static void test_moderate_plan(void **state) {
  (void)state;
  model_map_t *m = load_edited(NULL);
  int usa = model_map_seat_index(m, "USA");
  int mp = model_map_seat_index(m, "mp_materials");
  size_t N = model_map_nation_count(m), us_n = 0;
  for (size_t n = 0; n < N; n++)
    if (strcmp(model_map_nation_id(m, n), "USA") == 0)
      us_n = n;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    model_state_t *st;
    assert_int_equal(model_state_new(m, seed, &st), 0);
    int64_t us = 0;
    for (int t = 0; t <= 15; t++) {
      batch_t b = {.n = 0};
      moderate_us(st, usa, t, &b);
      if (b.n)
        assert_int_equal(model_submit(st, usa, b.o, b.n, NULL, 0, NULL), 0);
      b.n = 0;
      moderate_mp(st, mp, t, &b);
      if (b.n)
        assert_int_equal(model_submit(st, mp, b.o, b.n, NULL, 0, NULL), 0);
      assert_int_equal(model_resolve(st), 0);
      const model_report_t *r = model_last_report(st);
      us = 4 * r->production[MODEL_MAGNETS * N + us_n];
      if (getenv("V2_VERBOSE")) {
        model_obs_t *o;
        assert_int_equal(model_observe(st, mp, &o), 0);
        fprintf(stderr,
                "t%d cash %.0f recv %d staff %lld us %lld news %zu late %zu\n",
                t, (double)o->cash_cents / 100, o->receivership_turns,
                (long long)o->staff[2], (long long)us, r->n_news,
                r->n_late_refusals);
        for (size_t i = 0; i < r->n_late_refusals; i++)
          fprintf(stderr, "  late %d %s\n", r->late_refusal_seat[i],
                  r->late_refusals[i].message);
        for (size_t i = 0; i < o->n_facilities; i++)
          fprintf(stderr, "  %s st%d cap %lld eff %lld tl %d staff %lld/%lld\n",
                  o->facilities[i].id, o->facilities[i].stage,
                  (long long)o->facilities[i].capacity_kg_per_year,
                  (long long)o->facilities[i].effective_kg_per_year,
                  o->facilities[i].turns_left,
                  (long long)o->facilities[i].staff,
                  (long long)o->facilities[i].staff_needed);
        model_obs_free(o);
      }
      size_t H = model_state_holder_count(st);
      for (size_t h = 0; h < H; h++)
        if (model_state_holder_money(st, h) < model_state_holder_floor(st, h))
          fail_msg("seed %llu turn %d: holder %zu below its money limit",
                   (unsigned long long)seed, t, h);
    }
    print_message("seed %llu: US magnets at 2028 Q4 %.0f t/yr\n",
                  (unsigned long long)seed, (double)us / 1000.0);
    assert_true(us >= 4000000 && us <= 15000000);
    model_state_free(st);
  }
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unlimited_us_stays_under_20kt),
      cmocka_unit_test(test_moderate_plan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
