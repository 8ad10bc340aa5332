/* test_agents_limits.c: no seat passes its money limit (issue 11, "Done
 * when"; docs/model.md, "Money limits"). world-2024 and classroom, seeds
 * 1-3, under standing orders, with every built-in strategy on every seat
 * (the golden games' registry offsets), and with `random` on every seat:
 * after every turn every nation's budget is at least minus its deficit
 * limit and every firm's cash at least minus its credit limit. */
#include "play.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
  const char *what;
  size_t checked, below;
  char first[256];
  int64_t lowest_margin; /* the closest any holder came to its floor */
} watch_t;

static void check_floors(const model_state_t *st, void *ctx) {
  watch_t *w = ctx;
  size_t H = model_state_holder_count(st);
  for (size_t h = 0; h < H; h++) {
    int64_t floor = model_state_holder_floor(st, h);
    if (floor == INT64_MIN)
      continue;
    int64_t money = model_state_holder_money(st, h);
    w->checked++;
    if (money - floor < w->lowest_margin)
      w->lowest_margin = money - floor;
    if (money < floor && !w->below++)
      snprintf(w->first, sizeof w->first,
               "%s: turn %d: holder %zu holds %lld cents, floor %lld", w->what,
               model_state_turn(st), h, (long long)money, (long long)floor);
  }
}

static void assign(const model_map_t *m, int offset,
                   const agent_strategy_t **strat) {
  size_t ns = agent_strategy_count();
  for (size_t i = 0; i < model_map_seat_count(m); i++) {
    strat[i] = NULL;
    if (offset == -1)
      continue;
    if (offset == -2) {
      strat[i] = agent_find("random");
      continue;
    }
    int kind = model_map_seat_kind(m, i);
    size_t k = (size_t)offset + i;
    while (!agent_strategy_plays(agent_strategy_at(k % ns), kind))
      k++;
    strat[i] = agent_strategy_at(k % ns);
  }
}

static void test_no_seat_passes_its_limit(void **state) {
  (void)state;
  static const char *const maps[] = {"world-2024", "classroom"};
  static const int offsets[] = {-1, 0, 4, -2};
  for (size_t mi = 0; mi < 2; mi++) {
    model_map_t *m = play_load(maps[mi]);
    size_t S = model_map_seat_count(m);
    const agent_strategy_t **strat = calloc(S, sizeof *strat);
    assert_non_null(strat);
    for (uint64_t seed = 1; seed <= 3; seed++)
      for (size_t oi = 0; oi < 4; oi++) {
        char what[96];
        snprintf(what, sizeof what, "%s seed %llu offset %d", maps[mi],
                 (unsigned long long)seed, offsets[oi]);
        watch_t w = {.what = what, .lowest_margin = INT64_MAX};
        assign(m, offsets[oi], strat);
        play_result_t res = {.after_turn = check_floors, .ctx = &w};
        int rc = play_game(m, seed, strat, &res);
        if (rc)
          fail_msg("%s: %s", what, model_strerror(rc));
        /* the maps set limits: the test checks something */
        assert_true(w.checked > 0);
        if (w.below)
          fail_msg("%zu holders below their floor; first: %s", w.below,
                   w.first);
      }
    free(strat);
    model_map_free(m);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_seat_passes_its_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
