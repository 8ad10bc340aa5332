/* test_agents_differ.c: the strategies differ measurably.
 *
 * A 200-game tournament on the classroom map, with a fixed seed. Game g
 * (seed 1000 + g) seats the six firm-playing strategies on the six firm
 * seats and three of the five nation-playing strategies on the three
 * nation seats, rotating: within each block of six games (firms) and five
 * games (nations) a strategy sits once on each seat, and each block's
 * order is a fresh permutation from the fixed seed. A seat's result is its
 * final score less the score the same seat makes in the all-standing game
 * of the same seed (so the seat's size and the seed's events cancel):
 * "delta", in ppm of the seat's objectives.
 *
 * The statement tested, for each named pair (A, B) below: the mean deltas
 * of A and B differ by more than four standard errors (Welch's two-sample
 * t statistic, |t| > 4, on about 200 samples a side for firms and 120 for
 * nations), and by more than 1% of the seat's objectives (10,000 ppm).
 * Both bounds are far below what the pairs show (the test prints every
 * strategy's mean and standard deviation), so a recalibration of the
 * model moves the numbers without flipping the outcome; a pair whose
 * strategies behaved alike would fail both.
 */
#include "play.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GAMES     200
#define MAX_STRAT 32
#define T_MIN     4.0
#define DIFF_MIN  10000.0 /* ppm of the objectives */

typedef struct {
  double sum, sum2;
  size_t n;
} stat_t;

#define MAX_SEATS 16
static stat_t stats[MAX_STRAT][MAX_SEATS];
static size_t n_seats;

static uint64_t rng(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 17;
}

static void shuffle(size_t *a, size_t n, uint64_t *s) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(rng(s) % i);
    size_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

static size_t index_of(const agent_strategy_t *s) {
  for (size_t i = 0; i < agent_strategy_count(); i++)
    if (agent_strategy_at(i) == s)
      return i;
  return 0;
}

static double mean(const stat_t *s) {
  return s->n ? s->sum / (double)s->n : 0;
}

static double var(const stat_t *s) {
  if (s->n < 2)
    return 0;
  double m = mean(s);
  return (s->sum2 - (double)s->n * m * m) / (double)(s->n - 1);
}

static int setup(void **state) {
  (void)state;
  model_map_t *m = play_load("classroom");
  size_t S = model_map_seat_count(m);
  size_t firm_seats[16], nation_seats[16], nf = 0, nn = 0;
  for (size_t i = 0; i < S && i < 16; i++) {
    if (model_map_seat_kind(m, i) == MODEL_SEAT_FIRM)
      firm_seats[nf++] = i;
    else
      nation_seats[nn++] = i;
  }
  size_t firm_strats[MAX_STRAT], nation_strats[MAX_STRAT], fs = 0, ns = 0;
  for (size_t i = 0; i < agent_strategy_count() && i < MAX_STRAT; i++) {
    if (agent_strategy_plays(agent_strategy_at(i), MODEL_SEAT_FIRM))
      firm_strats[fs++] = i;
    if (agent_strategy_plays(agent_strategy_at(i), MODEL_SEAT_NATION))
      nation_strats[ns++] = i;
  }
  const agent_strategy_t **strat = calloc(S, sizeof *strat);
  const agent_strategy_t *standing = agent_find("standing");
  int64_t *score = calloc(S, sizeof *score);
  int64_t *base = calloc(S, sizeof *base);
  if (!strat || !score || !base)
    return -1;
  uint64_t r = 20250404;
  size_t fperm[MAX_STRAT], nperm[MAX_STRAT];
  memset(stats, 0, sizeof stats);
  for (size_t g = 0; g < GAMES; g++) {
    if (g % fs == 0) {
      memcpy(fperm, firm_strats, sizeof fperm);
      shuffle(fperm, fs, &r);
    }
    if (g % ns == 0) {
      memcpy(nperm, nation_strats, sizeof nperm);
      shuffle(nperm, ns, &r);
    }
    for (size_t i = 0; i < nf; i++)
      strat[firm_seats[i]] = agent_strategy_at(fperm[(i + g) % fs]);
    for (size_t i = 0; i < nn; i++)
      strat[nation_seats[i]] = agent_strategy_at(nperm[(i + g) % ns]);
    uint64_t seed = 1000 + g;
    play_result_t res = {.scores = score};
    if (play_game(m, seed, strat, &res))
      return -1;
    if (res.refused || res.late_refused || res.failures) {
      fprintf(stderr, "refusals in game %zu: %s\n", g, res.first);
      return -1;
    }
    for (size_t i = 0; i < S; i++) {
      /* the same game with this seat on standing orders */
      double d = 0;
      if (strat[i] != standing) {
        const agent_strategy_t *keep = strat[i];
        strat[i] = standing;
        play_result_t bres = {.scores = base};
        int rc = play_game(m, seed, strat, &bres);
        strat[i] = keep;
        if (rc)
          return -1;
        d = (double)(score[i] - base[i]);
      }
      stat_t *st = &stats[index_of(strat[i])][i];
      st->sum += d;
      st->sum2 += d * d;
      st->n++;
      if (getenv("DBG")) {
        static double cell[MAX_STRAT][16]; static int cnt[MAX_STRAT][16];
        cell[index_of(strat[i])][i] += d; cnt[index_of(strat[i])][i]++;
        if (g == GAMES - 1 && i == S - 1)
          for (size_t a = 0; a < agent_strategy_count(); a++) {
            printf("%-12s", agent_strategy_at(a)->id);
            for (size_t j = 0; j < S; j++) printf(" %8.3f", cnt[a][j] ? cell[a][j] / cnt[a][j] / 1e6 : 0.0);
            printf("\n");
          }
      }
    }
  }
  printf("classroom, %d games; delta = score - all-standing score of the "
         "seat (ppm)\n",
         GAMES);
  n_seats = S;
  for (size_t i = 0; i < agent_strategy_count(); i++) {
    printf("  %-12s", agent_strategy_at(i)->id);
    for (size_t j = 0; j < S; j++)
      printf(" %8.3f", mean(&stats[i][j]) / 1e6);
    printf("\n");
  }
  size_t ns_all = agent_strategy_count();
  for (int kind = 0; kind < 2; kind++)
    for (size_t a = 0; a < ns_all; a++)
      for (size_t b = a + 1; b < ns_all; b++) {
        if (!agent_strategy_plays(agent_strategy_at(a), kind) || !agent_strategy_plays(agent_strategy_at(b), kind)) continue;
        double best = 0; size_t bs = 0;
        for (size_t j = 0; j < S; j++) {
          if (model_map_seat_kind(m, j) != kind) continue;
          const stat_t *x = &stats[a][j], *y = &stats[b][j];
          double se = sqrt(var(x) / x->n + var(y) / y->n);
          double t = se > 0 ? (mean(x) - mean(y)) / se : (mean(x) != mean(y) ? 1e9 : 0);
          if (fabs(t) > fabs(best)) { best = t; bs = j; }
        }
        printf("   %s vs %s: max |t| %.1f at %s\n", agent_strategy_at(a)->id, agent_strategy_at(b)->id, best, model_map_seat_id(m, bs));
      }
  free(strat);
  free(score);
  free(base);
  model_map_free(m);
  return 0;
}

static void differ(const char *a, const char *b) {
  const stat_t *x = &stats[index_of(agent_find(a))][0];
  const stat_t *y = &stats[index_of(agent_find(b))][0];
  assert_true(x->n >= 50 && y->n >= 50);
  double diff = mean(x) - mean(y);
  double se = sqrt(var(x) / (double)x->n + var(y) / (double)y->n);
  double t = se > 0 ? diff / se : (diff != 0 ? INFINITY : 0);
  printf("  %s - %s: %.0f ppm, t = %.1f\n", a, b, diff, t);
  if (!(fabs(t) > T_MIN && fabs(diff) > DIFF_MIN))
    fail_msg("%s and %s do not differ measurably: means %.0f and %.0f ppm, "
             "t = %.2f",
             a, b, mean(x), mean(y), t);
}

static void test_firms_differ(void **state) {
  (void)state;
  differ("expander", "cautious");
  differ("expander", "standing");
  differ("cournot", "expander");
  differ("integrator", "cautious");
  differ("random", "standing");
}

static void test_nations_differ(void **state) {
  (void)state;
  differ("hawk", "free_trader");
  differ("builder", "free_trader");
  differ("hawk", "standing");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_firms_differ),
      cmocka_unit_test(test_nations_differ),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
