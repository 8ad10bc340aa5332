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
#include "story.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

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
    story_batch_t b = {.n = 0};
    story_spender(st, usa, firms, 2, &b);
    assert_int_equal(model_submit(st, usa, b.o, b.n, NULL, 0, NULL), 0);
    for (size_t i = 0; i < 2; i++) {
      int f = model_map_seat_index(m, firms[i]);
      b.n = 0;
      story_rush(st, f, &b);
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
      story_check_limits(st, seed, t);
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
  model_map_t *m = story_load_world(NULL);
  for (uint64_t seed = 1; seed <= 3; seed++)
    play_unlimited_us(m, seed, 20000000);
  model_map_free(m);
  /* the same play under the version-1 rules passes 20 kt/yr */
  model_map_t *v1 = story_load_world(v1_rules);
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
                        story_batch_t *b) {
  (void)st;
  (void)seat;
  if (turn != 1)
    return; /* standing from turn 1 */
  story_moderate_us(b);
}

static void moderate_mp(const model_state_t *st, int seat, int turn,
                        story_batch_t *b) {
  model_obs_t *obs;
  assert_int_equal(model_observe(st, seat, &obs), 0);
  if (turn == 2) {
    model_order_t *o = story_push(b, MODEL_OP_BUILD);
    o->stage = MODEL_MAGNETS;
    o->capacity_kg_per_year = 10000000;
  }
  if (turn >= 2)
    story_moderate_mp_supply(obs, b);
  model_obs_free(obs);
}

static void test_moderate_plan(void **state) {
  (void)state;
  model_map_t *m = story_load_world(NULL);
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
      story_batch_t b = {.n = 0};
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
      story_check_limits(st, seed, t);
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
