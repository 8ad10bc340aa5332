/* test_agents_determinism.c: an agent's orders depend only on the
 * observation, its seed and the turn.
 *  - the same game seed gives the same orders and the same final state on
 *    every shipped map (every strategy, mixed over the seats);
 *  - a game restored from its serialised state halfway, with its agents
 *    created anew (as the server restores a crashed game), ends exactly as
 *    the game played straight through;
 *  - asking an agent twice, or asking a fresh agent, or asking out of turn
 *    order, gives the same orders for the same observation;
 *  - the seed matters where it should: random plays differently under
 *    another seed. */
#include "play.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAPS_MAX 64

static void test_turn_seed(void **state) {
  (void)state;
  uint64_t seen[200];
  for (int t = 0; t < 200; t++) {
    seen[t] = agent_turn_seed(42, t);
    assert_true(seen[t] == agent_turn_seed(42, t));
    assert_true(seen[t] != agent_turn_seed(43, t));
    for (int u = 0; u < t; u++)
      assert_true(seen[u] != seen[t]);
  }
}

/* Each seat gets a strategy of its kind, cycling through the registry
 * from an offset, so that every strategy plays on every map. */
static void assign(const model_map_t *m, size_t offset,
                   const agent_strategy_t **strat) {
  size_t ns = agent_strategy_count();
  for (size_t i = 0; i < model_map_seat_count(m); i++) {
    int kind = model_map_seat_kind(m, i);
    size_t k = offset + i;
    while (!agent_strategy_plays(agent_strategy_at(k % ns), kind))
      k++;
    strat[i] = agent_strategy_at(k % ns);
  }
}

static void test_same_seed_same_game(void **state) {
  (void)state;
  char ids[MAPS_MAX][MODEL_ID_MAX];
  size_t nm = play_map_ids(ids, MAPS_MAX);
  for (size_t mi = 0; mi < nm; mi++) {
    model_map_t *m = play_load(ids[mi]);
    size_t S = model_map_seat_count(m);
    const agent_strategy_t **strat = calloc(S, sizeof *strat);
    assert_non_null(strat);
    for (size_t off = 0; off < agent_strategy_count(); off += 3) {
      assign(m, off, strat);
      play_result_t a = {0}, b = {0};
      assert_int_equal(play_game(m, 77, strat, &a), 0);
      assert_int_equal(play_game(m, 77, strat, &b), 0);
      assert_true(a.orders_digest == b.orders_digest);
      assert_memory_equal(a.hash, b.hash, MODEL_HASH_BYTES);
    }
    free(strat);
    model_map_free(m);
  }
}

static void test_seed_matters(void **state) {
  (void)state;
  model_map_t *m = play_load("classroom");
  size_t S = model_map_seat_count(m);
  const agent_strategy_t **strat = calloc(S, sizeof *strat);
  assert_non_null(strat);
  for (size_t i = 0; i < S; i++)
    strat[i] = agent_find("random");
  play_result_t a = {0}, b = {0};
  assert_int_equal(play_game(m, 1, strat, &a), 0);
  assert_int_equal(play_game(m, 2, strat, &b), 0);
  assert_true(a.orders > 0 && b.orders > 0);
  assert_true(a.orders_digest != b.orders_digest);
  free(strat);
  model_map_free(m);
}

/* Plays a game to the end; at turn `restart` (if >= 0) the state is
 * serialised and restored and every agent created anew. Returns the digest
 * of all orders and writes the final hash. */
static uint64_t run(const model_map_t *m, uint64_t seed,
                    const agent_strategy_t *const *strat, int restart,
                    uint8_t hash[MODEL_HASH_BYTES]) {
  size_t S = model_map_seat_count(m);
  agent_t **agents = calloc(S, sizeof *agents);
  model_order_t *orders = calloc(MODEL_ORDERS_MAX, sizeof *orders);
  assert_non_null(agents);
  assert_non_null(orders);
  model_state_t *st;
  assert_int_equal(model_state_new(m, seed, &st), 0);
  for (size_t i = 0; i < S; i++)
    agents[i] = agent_new(strat[i], play_agent_seed(seed, i));
  uint64_t digest = 0xcbf29ce484222325ULL;
  while (model_state_turn(st) < model_state_turns(st)) {
    if (model_state_turn(st) == restart) {
      uint8_t *buf;
      size_t len;
      assert_int_equal(model_state_serialise(st, &buf, &len), 0);
      model_state_free(st);
      assert_int_equal(model_state_deserialise(m, buf, len, &st), 0);
      free(buf);
      for (size_t i = 0; i < S; i++) {
        agent_free(agents[i]);
        agents[i] = agent_new(strat[i], play_agent_seed(seed, i));
      }
    }
    for (size_t i = 0; i < S; i++) {
      model_obs_t *obs;
      assert_int_equal(model_observe(st, (int)i, &obs), 0);
      size_t n = 0;
      assert_int_equal(agent_act(agents[i], obs, orders, MODEL_ORDERS_MAX, &n),
                       0);
      model_obs_free(obs);
      digest = play_digest_orders(digest, orders, n);
      if (n)
        assert_int_equal(model_submit(st, (int)i, orders, n, NULL, 0, NULL), 0);
    }
    assert_int_equal(model_resolve(st), 0);
  }
  assert_int_equal(model_state_hash(st, hash), 0);
  model_state_free(st);
  for (size_t i = 0; i < S; i++)
    agent_free(agents[i]);
  free(agents);
  free(orders);
  return digest;
}

static void test_restart(void **state) {
  (void)state;
  char ids[MAPS_MAX][MODEL_ID_MAX];
  size_t nm = play_map_ids(ids, MAPS_MAX);
  for (size_t mi = 0; mi < nm; mi++) {
    model_map_t *m = play_load(ids[mi]);
    size_t S = model_map_seat_count(m);
    const agent_strategy_t **strat = calloc(S, sizeof *strat);
    assert_non_null(strat);
    assign(m, mi, strat);
    uint8_t h0[MODEL_HASH_BYTES], h1[MODEL_HASH_BYTES];
    uint64_t d0 = run(m, 5, strat, -1, h0);
    uint64_t d1 = run(m, 5, strat, model_map_turns(m) / 2, h1);
    if (d0 != d1 || memcmp(h0, h1, sizeof h0) != 0)
      fail_msg("%s: a game restored at turn %d with new agents diverged",
               ids[mi], model_map_turns(m) / 2);
    free(strat);
    model_map_free(m);
  }
}

/* The same observation gives the same orders: twice in a row, from a fresh
 * agent, and after the agent has decided later turns. */
static void test_same_observation(void **state) {
  (void)state;
  model_map_t *m = play_load("classroom");
  size_t S = model_map_seat_count(m);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 9, &st), 0);
  model_obs_t **early = calloc(S, sizeof *early);
  assert_non_null(early);
  for (size_t i = 0; i < S; i++)
    assert_int_equal(model_observe(st, (int)i, &early[i]), 0);
  assert_int_equal(model_resolve(st), 0);
  assert_int_equal(model_resolve(st), 0);
  static model_order_t a[MODEL_ORDERS_MAX], b[MODEL_ORDERS_MAX],
      c[MODEL_ORDERS_MAX], d[MODEL_ORDERS_MAX];
  for (size_t si = 0; si < agent_strategy_count(); si++) {
    const agent_strategy_t *s = agent_strategy_at(si);
    for (size_t i = 0; i < S; i++) {
      agent_t *x = agent_new(s, 1234 + i), *y = agent_new(s, 1234 + i);
      model_obs_t *late;
      assert_int_equal(model_observe(st, (int)i, &late), 0);
      size_t na = 0, nb = 0, nc = 0, nd = 0;
      assert_int_equal(agent_act(x, early[i], a, MODEL_ORDERS_MAX, &na), 0);
      assert_int_equal(agent_act(x, early[i], b, MODEL_ORDERS_MAX, &nb), 0);
      assert_int_equal(agent_act(x, late, d, MODEL_ORDERS_MAX, &nd), 0);
      assert_int_equal(agent_act(x, early[i], c, MODEL_ORDERS_MAX, &nc), 0);
      assert_int_equal(na, nb);
      assert_int_equal(na, nc);
      assert_true(play_digest_orders(0, a, na) == play_digest_orders(0, b, nb));
      assert_true(play_digest_orders(0, a, na) == play_digest_orders(0, c, nc));
      assert_int_equal(agent_act(y, early[i], b, MODEL_ORDERS_MAX, &nb), 0);
      assert_int_equal(na, nb);
      assert_true(play_digest_orders(0, a, na) == play_digest_orders(0, b, nb));
      model_obs_free(late);
      agent_free(x);
      agent_free(y);
    }
  }
  for (size_t i = 0; i < S; i++)
    model_obs_free(early[i]);
  free(early);
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_turn_seed),
      cmocka_unit_test(test_same_seed_same_game),
      cmocka_unit_test(test_seed_matters),
      cmocka_unit_test(test_restart),
      cmocka_unit_test(test_same_observation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
