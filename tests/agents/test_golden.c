/* test_golden.c: recorded games must play bit for bit as they did.
 *
 * The state hashes below were recorded before the redesign (issue 9) moved
 * the model and rewrote its arithmetic, order schema and storage. Any
 * refactor must leave every game identical, so this test replays each
 * recorded game and compares its final state hash and a digest of every
 * order the agents wrote. A change that alters the model on purpose (a new
 * mechanic, a recalibrated figure) updates the table in the same commit and
 * says why: print the new table with `LAN_GOLDEN_PRINT=1 test_golden`.
 *
 * The games: world-2024 and classroom, seeds 1-3, once under standing
 * orders only and twice with built-in agents on every seat (each seat gets
 * a strategy of its kind, cycling through the registry from an offset). */
#include "play.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* offset: -1 for standing orders only; otherwise the registry offset. */
typedef struct {
  const char *map;
  uint64_t seed;
  int offset;
  const char *hash;       /* final state hash, hex */
  uint64_t orders_digest; /* play_digest_orders over the whole game */
} golden_t;

static const golden_t GOLDEN[] = {
#include "golden_hashes.inc"
};

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

static void hex(const uint8_t *h, char *out) {
  for (int i = 0; i < MODEL_HASH_BYTES; i++)
    sprintf(out + 2 * i, "%02x", h[i]);
}

static void play_one(const char *map, uint64_t seed, int offset, char *hash,
                     uint64_t *digest) {
  model_map_t *m = play_load(map);
  size_t S = model_map_seat_count(m);
  const agent_strategy_t **strat = calloc(S, sizeof *strat);
  assert_non_null(strat);
  if (offset >= 0)
    assign(m, (size_t)offset, strat);
  play_result_t res = {0};
  int rc = play_game(m, seed, strat, &res);
  if (rc)
    fail_msg("%s seed %llu offset %d: %s", map, (unsigned long long)seed,
             offset, model_strerror(rc));
  hex(res.hash, hash);
  *digest = res.orders_digest;
  free(strat);
  model_map_free(m);
}

static void test_recorded_games(void **state) {
  (void)state;
  size_t n = sizeof GOLDEN / sizeof GOLDEN[0];
  assert_true(n >= 18);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    const golden_t *g = &GOLDEN[i];
    char hash[2 * MODEL_HASH_BYTES + 1];
    uint64_t digest;
    play_one(g->map, g->seed, g->offset, hash, &digest);
    if (strcmp(hash, g->hash) != 0 || digest != g->orders_digest) {
      print_error("%s seed %llu offset %d: hash %s digest %016llx, "
                  "recorded %s %016llx\n",
                  g->map, (unsigned long long)g->seed, g->offset, hash,
                  (unsigned long long)digest, g->hash,
                  (unsigned long long)g->orders_digest);
      bad++;
    }
  }
  assert_int_equal(bad, 0);
}

/* LAN_GOLDEN_PRINT=1: print the table for golden_hashes.inc. */
static int print_table(void) {
  static const char *maps[] = {"world-2024", "classroom"};
  static const int offsets[] = {-1, 0, 4};
  for (size_t mi = 0; mi < 2; mi++)
    for (uint64_t seed = 1; seed <= 3; seed++)
      for (size_t oi = 0; oi < 3; oi++) {
        char hash[2 * MODEL_HASH_BYTES + 1];
        uint64_t digest;
        play_one(maps[mi], seed, offsets[oi], hash, &digest);
        printf("{\"%s\", %llu, %d, \"%s\", 0x%016llxULL},\n", maps[mi],
               (unsigned long long)seed, offsets[oi], hash,
               (unsigned long long)digest);
      }
  return 0;
}

int main(void) {
  const char *p = getenv("LAN_GOLDEN_PRINT");
  if (p && *p == '1')
    return print_table();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_recorded_games),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
