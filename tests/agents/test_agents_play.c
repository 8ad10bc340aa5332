/* test_agents_play.c: every built-in strategy plays whole games on every
 * shipped map, alone (every seat) and mixed with the others, and none of
 * its orders is ever refused, neither by model_validate before submission
 * nor at resolution. */
#include "play.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAPS_MAX 64

static const uint64_t seeds[] = {1, 2, 20250404};

static void test_registry(void **state) {
  (void)state;
  size_t n = agent_strategy_count();
  assert_true(n >= 9);
  size_t firm = 0, nation = 0;
  for (size_t i = 0; i < n; i++) {
    const agent_strategy_t *s = agent_strategy_at(i);
    assert_non_null(s);
    assert_non_null(s->id);
    assert_true(strlen(s->id) > 0 && strlen(s->id) < MODEL_ID_MAX);
    assert_non_null(s->description);
    assert_true(strlen(s->description) > 10);
    assert_non_null(s->act);
    assert_true(s->kinds != 0 && (s->kinds & ~(unsigned)AGENT_BOTH) == 0);
    assert_ptr_equal(agent_find(s->id), s);
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(agent_strategy_at(j)->id, s->id);
    firm += agent_strategy_plays(s, MODEL_SEAT_FIRM);
    nation += agent_strategy_plays(s, MODEL_SEAT_NATION);
  }
  assert_null(agent_strategy_at(n));
  assert_null(agent_find("no-such-strategy"));
  assert_null(agent_find(NULL));
  /* the built-in strategies: standing and random, and at least three ideas
   * for each kind of seat beyond them */
  static const char *const want[] = {"standing",   "random",      "expander",
                                     "integrator", "cournot",     "cautious",
                                     "hawk",       "free_trader", "builder"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    assert_non_null(agent_find(want[i]));
  assert_true(firm >= 6);
  assert_true(nation >= 5);
  assert_true(agent_strategy_plays(agent_find("expander"), MODEL_SEAT_FIRM));
  assert_false(agent_strategy_plays(agent_find("expander"), MODEL_SEAT_NATION));
  assert_true(agent_strategy_plays(agent_find("hawk"), MODEL_SEAT_NATION));
  assert_false(agent_strategy_plays(agent_find("hawk"), MODEL_SEAT_FIRM));
  assert_false(agent_strategy_plays(agent_find("hawk"), 7));
}

/* A strategy on a seat of a kind it does not play gives no orders. */
static void test_other_kind_is_standing(void **state) {
  (void)state;
  model_map_t *m = play_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int nation = model_map_seat_index(m, "CHN");
  int firm = model_map_seat_index(m, "dragon_mining");
  assert_true(nation >= 0 && firm >= 0);
  model_order_t orders[MODEL_ORDERS_MAX];
  const char *firm_only[] = {"expander", "integrator", "cournot", "cautious"};
  const char *nation_only[] = {"hawk", "free_trader", "builder"};
  model_obs_t *obs;
  size_t n = 99;
  assert_int_equal(model_observe(st, nation, &obs), 0);
  for (size_t i = 0; i < 4; i++) {
    agent_t *a = agent_new(agent_find(firm_only[i]), 5);
    assert_int_equal(agent_act(a, obs, orders, MODEL_ORDERS_MAX, &n), 0);
    assert_int_equal(n, 0);
    agent_free(a);
  }
  model_obs_free(obs);
  assert_int_equal(model_observe(st, firm, &obs), 0);
  for (size_t i = 0; i < 3; i++) {
    agent_t *a = agent_new(agent_find(nation_only[i]), 5);
    assert_int_equal(agent_act(a, obs, orders, MODEL_ORDERS_MAX, &n), 0);
    assert_int_equal(n, 0);
    agent_free(a);
  }
  /* a small buffer is respected */
  agent_t *a = agent_new(agent_find("expander"), 5);
  assert_int_equal(agent_act(a, obs, orders, 2, &n), 0);
  assert_true(n <= 2);
  agent_free(a);
  model_obs_free(obs);
  model_state_free(st);
  model_map_free(m);
}

static void check(const play_result_t *r, const char *what) {
  if (r->refused || r->late_refused || r->failures)
    fail_msg("%s: %zu refused, %zu refused late, %zu failures; first: %s", what,
             r->refused, r->late_refused, r->failures, r->first);
}

/* (a) each strategy on every seat of every shipped map */
static void test_alone(void **state) {
  (void)state;
  char ids[MAPS_MAX][MODEL_ID_MAX];
  size_t nm = play_map_ids(ids, MAPS_MAX);
  assert_true(nm >= 4);
  size_t ns = agent_strategy_count();
  size_t *orders = calloc(ns, sizeof *orders);
  assert_non_null(orders);
  for (size_t mi = 0; mi < nm; mi++) {
    model_map_t *m = play_load(ids[mi]);
    size_t S = model_map_seat_count(m);
    const agent_strategy_t **strat = calloc(S, sizeof *strat);
    assert_non_null(strat);
    for (size_t si = 0; si < ns; si++) {
      for (size_t i = 0; i < S; i++)
        strat[i] = agent_strategy_at(si);
      for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        play_result_t r = {0};
        assert_int_equal(play_game(m, seeds[k], strat, &r), 0);
        char what[256];
        snprintf(what, sizeof what, "%.47s alone on %.47s (seed %llu)",
                 agent_strategy_at(si)->id, ids[mi],
                 (unsigned long long)seeds[k]);
        check(&r, what);
        orders[si] += r.orders;
      }
    }
    free(strat);
    model_map_free(m);
  }
  /* every strategy but standing gives orders somewhere */
  for (size_t si = 0; si < ns; si++) {
    const agent_strategy_t *s = agent_strategy_at(si);
    if (strcmp(s->id, "standing") == 0)
      assert_int_equal(orders[si], 0);
    else if (orders[si] == 0)
      fail_msg("%s never gave an order on any shipped map", s->id);
  }
  free(orders);
}

/* (a) mixed: each seat drawn from the strategies that play its kind */
static void test_mixed(void **state) {
  (void)state;
  char ids[MAPS_MAX][MODEL_ID_MAX];
  size_t nm = play_map_ids(ids, MAPS_MAX);
  size_t ns = agent_strategy_count();
  uint64_t r = 0x5eed;
  for (size_t mi = 0; mi < nm; mi++) {
    model_map_t *m = play_load(ids[mi]);
    size_t S = model_map_seat_count(m);
    const agent_strategy_t **strat = calloc(S, sizeof *strat);
    assert_non_null(strat);
    for (uint64_t g = 0; g < 6; g++) {
      for (size_t i = 0; i < S; i++) {
        int kind = model_map_seat_kind(m, i);
        do {
          r = r * 6364136223846793005ULL + 1442695040888963407ULL;
          strat[i] = agent_strategy_at((size_t)(r >> 33) % ns);
        } while (!agent_strategy_plays(strat[i], kind));
      }
      play_result_t res = {0};
      assert_int_equal(play_game(m, 100 + g, strat, &res), 0);
      char what[256];
      snprintf(what, sizeof what, "mixed game %llu on %.47s",
               (unsigned long long)g, ids[mi]);
      check(&res, what);
    }
    free(strat);
    model_map_free(m);
  }
}

/* random gives every op its seat may give, and every policy kind: on the
 * classroom map, on world-2024, where random firms run out of money
 * and go into receivership, so that `acquire` has plants to buy, and on
 * race-2028, whose branches abroad give `transfer` somewhere to move goods
 * (issue 11) */
static void test_random_covers(void **state) {
  (void)state;
  size_t ops[2][MODEL_OPS] = {{0}}, kinds[MODEL_POLICY_KINDS] = {0};
  model_order_t orders[MODEL_ORDERS_MAX];
  static const char *const maps[] = {"classroom", "world-2024", "race-2028"};
  for (size_t mi = 0; mi < 3; mi++) {
    model_map_t *m = play_load(maps[mi]);
    size_t S = model_map_seat_count(m);
    for (uint64_t seed = 1; seed <= 3; seed++) {
      model_state_t *st;
      assert_int_equal(model_state_new(m, seed, &st), 0);
      agent_t **a = calloc(S, sizeof *a);
      assert_non_null(a);
      for (size_t i = 0; i < S; i++)
        a[i] = agent_new(agent_find("random"), play_agent_seed(seed, i));
      while (model_state_turn(st) < model_state_turns(st)) {
        for (size_t i = 0; i < S; i++) {
          model_obs_t *obs;
          assert_int_equal(model_observe(st, (int)i, &obs), 0);
          size_t n = 0;
          assert_int_equal(agent_act(a[i], obs, orders, MODEL_ORDERS_MAX, &n),
                           0);
          for (size_t k = 0; k < n; k++) {
            ops[obs->kind][orders[k].op]++;
            if (orders[k].op == MODEL_OP_POLICY)
              kinds[orders[k].kind]++;
          }
          model_obs_free(obs);
          if (n)
            assert_int_equal(model_submit(st, (int)i, orders, n, NULL, 0, NULL),
                             0);
        }
        assert_int_equal(model_resolve(st), 0);
      }
      for (size_t i = 0; i < S; i++)
        agent_free(a[i]);
      free(a);
      model_state_free(st);
    }
    model_map_free(m);
  }
  for (int op = 0; op < MODEL_OPS; op++) {
    bool state_support =
        op == MODEL_OP_GRANT || op == MODEL_OP_EQUITY || op == MODEL_OP_LOAN;
    bool contract = op == MODEL_OP_CONTRACT_PROPOSE ||
                    op == MODEL_OP_CONTRACT_ACCEPT ||
                    op == MODEL_OP_CONTRACT_WITHDRAW;
    bool firm_op = op != MODEL_OP_POLICY && !state_support;
    bool nation_op = op == MODEL_OP_POLICY || op == MODEL_OP_TRAIN ||
                     op == MODEL_OP_BID || state_support || contract;
    printf("  op %-17s firms %4zu nations %4zu\n", model_op_name(op),
           ops[MODEL_SEAT_FIRM][op], ops[MODEL_SEAT_NATION][op]);
    if (firm_op)
      assert_true(ops[MODEL_SEAT_FIRM][op] > 0);
    else
      assert_int_equal(ops[MODEL_SEAT_FIRM][op], 0);
    if (nation_op)
      assert_true(ops[MODEL_SEAT_NATION][op] > 0);
    else if (op != MODEL_OP_OFFER) /* a nation offers only what it holds */
      assert_int_equal(ops[MODEL_SEAT_NATION][op], 0);
  }
  for (int k = 0; k < MODEL_POLICY_KINDS; k++)
    assert_true(kinds[k] > 0);
}

/* Issue 11: the built-in strategies use the new instruments. With
 * `builder` on every nation and `integrator` on every firm of world-2024,
 * nations set firm price floors for their own firms and offer them
 * magnet offtakes, integrators accept the offtakes they can serve, and
 * the games keep every refusal out. */
typedef struct {
  size_t floors, proposals, running, abroad;
} instruments_t;

static void count_instruments(const model_state_t *st, void *ctx) {
  instruments_t *c = ctx;
  const model_map_t *m = model_state_map(st);
  for (size_t i = 0; i < model_map_seat_count(m); i++) {
    if (model_map_seat_kind(m, i) != MODEL_SEAT_NATION)
      continue;
    model_obs_t *o;
    assert_int_equal(model_observe(st, (int)i, &o), 0);
    for (size_t k = 0; k < o->n_support; k++)
      c->floors += o->support[k].kind == MODEL_SUPPORT_FLOOR &&
                   strcmp(o->support[k].nation, o->nation) == 0 &&
                   o->support[k].price_cents_per_kg != 11000;
    for (size_t k = 0; k < o->n_contracts; k++) {
      c->proposals += !o->contracts[k].accepted;
      c->running += o->contracts[k].accepted;
    }
    model_obs_free(o);
  }
  for (size_t i = 0; i < model_map_seat_count(m); i++) {
    if (model_map_seat_kind(m, i) != MODEL_SEAT_FIRM)
      continue;
    model_obs_t *o;
    assert_int_equal(model_observe(st, (int)i, &o), 0);
    for (size_t k = 0; k < o->n_facilities; k++)
      c->abroad += strcmp(o->facilities[k].nation, o->nation) != 0 &&
                   o->facilities[k].stage != MODEL_MINING &&
                   strchr(o->facilities[k].id, '.') != NULL;
    model_obs_free(o);
  }
}

static void test_new_instruments(void **state) {
  (void)state;
  instruments_t total = {0, 0, 0, 0};
  const char *maps[] = {"world-2024", "classroom"};
  for (int mi = 0; mi < 2; mi++) {
    model_map_t *m = play_load(maps[mi]);
    size_t S = model_map_seat_count(m);
    const agent_strategy_t **strat = calloc(S, sizeof *strat);
    assert_non_null(strat);
    for (size_t i = 0; i < S; i++)
      strat[i] = agent_find(model_map_seat_kind(m, i) == MODEL_SEAT_NATION
                                ? "builder"
                                : "integrator");
    for (uint64_t seed = 1; seed <= 2; seed++) {
      instruments_t c = {0, 0, 0, 0};
      play_result_t r;
      memset(&r, 0, sizeof r);
      r.after_turn = count_instruments;
      r.ctx = &c;
      assert_int_equal(play_game(m, seed, strat, &r), 0);
      char what[96];
      snprintf(what, sizeof what, "builder and integrator on %s (seed %llu)",
               maps[mi], (unsigned long long)seed);
      check(&r, what);
      printf("  %s: floor-turns %zu, proposals %zu, contract-turns %zu, "
             "plant-turns abroad %zu\n",
             what, c.floors, c.proposals, c.running, c.abroad);
      total.floors += c.floors;
      total.proposals += c.proposals;
      total.running += c.running;
      total.abroad += c.abroad;
    }
    free(strat);
    model_map_free(m);
  }
  assert_true(total.floors > 0);
  assert_true(total.proposals > 0);
  assert_true(total.running > 0);
  assert_true(total.abroad > 0);
}

/* On race-2028, whose plants abroad are branches (issue 11, design I2),
 * integrator firms under builder nations build abroad where the host's
 * subsidy beats home's and trade from those branches in their hosts'
 * markets: what the branches make is sold, not left in store. The
 * integrator plays the seatless aggregates too (seatless_agents): the
 * model allows it, and of race-2028's firms only aggregates find a host
 * whose subsidy beats home's (the 8 open firms alone build no branch in
 * seeds 1-8). */
typedef struct {
  size_t branch_turns;
  int64_t made, sold;
} branches_t;

static void count_branches(const model_state_t *st, void *ctx) {
  branches_t *c = ctx;
  const model_map_t *m = model_state_map(st);
  size_t first = model_map_seat_count(m) + model_map_nation_count(m);
  for (size_t h = first; h < model_state_holder_count(st); h++) {
    model_holder_flows_t f;
    assert_int_equal(model_state_holder_flows(st, h, &f), 0);
    c->branch_turns++;
    for (int p = 0; p < MODEL_PRODUCTS; p++) {
      c->made += f.produced[p];
      c->sold += f.sold[p];
    }
  }
}

static void test_branches_race(void **state) {
  (void)state;
  model_map_t *m = play_load("race-2028");
  size_t S = model_map_seat_count(m);
  const agent_strategy_t **strat = calloc(S, sizeof *strat);
  assert_non_null(strat);
  for (size_t i = 0; i < S; i++)
    strat[i] = agent_find(model_map_seat_kind(m, i) == MODEL_SEAT_NATION
                              ? "builder"
                              : "integrator");
  branches_t total = {0, 0, 0};
  for (uint64_t seed = 1; seed <= 2; seed++) {
    branches_t c = {0, 0, 0};
    play_result_t r;
    memset(&r, 0, sizeof r);
    r.after_turn = count_branches;
    r.ctx = &c;
    r.seatless_agents = true;
    assert_int_equal(play_game(m, seed, strat, &r), 0);
    char what[96];
    snprintf(what, sizeof what,
             "builder and integrator on race-2028 (seed %llu)",
             (unsigned long long)seed);
    check(&r, what);
    printf("  %s: branch-turns %zu, made %.0f t, sold %.0f t\n", what,
           c.branch_turns, c.made / 1000.0, c.sold / 1000.0);
    total.branch_turns += c.branch_turns;
    total.made += c.made;
    total.sold += c.sold;
  }
  free(strat);
  model_map_free(m);
  assert_true(total.branch_turns > 0);
  assert_true(total.made > 0);
  assert_true(total.sold > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_branches_race),
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_other_kind_is_standing),
      cmocka_unit_test(test_alone),
      cmocka_unit_test(test_mixed),
      cmocka_unit_test(test_random_covers),
      cmocka_unit_test(test_new_instruments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
