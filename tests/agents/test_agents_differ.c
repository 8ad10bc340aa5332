/* test_agents_differ.c: the strategies differ measurably.
 *
 * A 200-game tournament on the classroom map with a fixed seed. Game g
 * (game seed 1000 + g) seats the six firm-playing strategies on the six
 * firm seats and three of the five nation-playing strategies on the three
 * nation seats, rotating: within each block of six games (firms) and of
 * five games (nations) every strategy sits once on every seat, and each
 * block's order is a fresh permutation drawn from the fixed seed.
 *
 * What a strategy achieves on a seat in a game is measured against the same
 * game with that one seat on standing orders (everything else, the other
 * seats' strategies and the seed's events included, the same): delta =
 * score - counterfactual score, in ppm of the seat's objectives. standing's
 * delta is 0 by construction. A strategy's deltas on the seats of one kind
 * form its sample for that kind (200 per firm strategy on firm seats, 120
 * per nation strategy on nation seats; random has both).
 *
 * The statement tested, for each named pair (A, B) and kind: the two
 * samples do not come from one distribution. The two-sample
 * Kolmogorov-Smirnov statistic D (the largest gap between the two empirical
 * distribution functions) exceeds its critical value at significance 1e-6,
 * c sqrt((n + m) / nm) with c = sqrt(-ln(1e-6 / 2) / 2) = 2.69: D > 0.27
 * for 200 and 200 samples, D > 0.35 for 120 and 120. The named pairs are
 * the ones whose ideas differ in kind (play or not, build the chain or
 * not, restrict or lift, spend or not); each clears its bound by half again
 * or more, so a recalibration of the model moves the numbers without
 * flipping the outcome, while two strategies that played alike would fail.
 * The test prints every strategy's mean, median and standard deviation,
 * its mean per seat, and every pair's D and Welch t (docs/agents.md quotes
 * them): expander, cournot and cautious are not a named pair among
 * themselves, as on classroom their deltas overlap (their differences are
 * seat by seat, not in distribution over all seats).
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
#define MAX_SEATS 32
#define ALPHA     1e-6

typedef struct {
  double *x; /* deltas, sorted after the tournament */
  size_t n, cap;
} sample_t;

/* deltas per strategy and kind of seat, and per strategy and seat */
static sample_t samples[MAX_STRAT][2];
static sample_t by_seat[MAX_STRAT][MAX_SEATS];
/* the final scores themselves, per strategy and kind (for the report) */
static double raw_sum[MAX_STRAT][2];

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
  fail_msg("unknown strategy");
  return 0;
}

static int add(sample_t *s, double v) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 256;
    double *x = realloc(s->x, cap * sizeof *x);
    if (!x)
      return -1;
    s->x = x;
    s->cap = cap;
  }
  s->x[s->n++] = v;
  return 0;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double mean(const sample_t *s) {
  double m = 0;
  for (size_t i = 0; i < s->n; i++)
    m += s->x[i];
  return s->n ? m / (double)s->n : 0;
}

static double var(const sample_t *s) {
  if (s->n < 2)
    return 0;
  double m = mean(s), v = 0;
  for (size_t i = 0; i < s->n; i++)
    v += (s->x[i] - m) * (s->x[i] - m);
  return v / (double)(s->n - 1);
}

/* Two-sample Kolmogorov-Smirnov statistic of sorted samples. */
static double ks(const sample_t *a, const sample_t *b) {
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a->n && j < b->n) {
    double v = a->x[i] < b->x[j] ? a->x[i] : b->x[j];
    while (i < a->n && a->x[i] <= v)
      i++;
    while (j < b->n && b->x[j] <= v)
      j++;
    double gap = fabs((double)i / (double)a->n - (double)j / (double)b->n);
    if (gap > d)
      d = gap;
  }
  return d;
}

static double ks_critical(size_t n, size_t m) {
  return sqrt(-log(ALPHA / 2) / 2) *
         sqrt((double)(n + m) / ((double)n * (double)m));
}

static double welch(const sample_t *a, const sample_t *b) {
  double se = sqrt(var(a) / (double)a->n + var(b) / (double)b->n);
  double d = mean(a) - mean(b);
  return se > 0 ? d / se : (d != 0 ? INFINITY : 0);
}

static int setup(void **state) {
  (void)state;
  model_map_t *m = play_load("classroom");
  size_t S = model_map_seat_count(m);
  if (S > MAX_SEATS)
    return -1;
  size_t firm_seats[MAX_SEATS], nation_seats[MAX_SEATS], nf = 0, nn = 0;
  for (size_t i = 0; i < S; i++) {
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
  const agent_strategy_t *standing = agent_find("standing");
  const agent_strategy_t **strat = calloc(S, sizeof *strat);
  int64_t *score = calloc(S, sizeof *score);
  int64_t *base = calloc(S, sizeof *base);
  if (!strat || !score || !base || !fs || !ns)
    return -1;
  uint64_t r = 20250404;
  size_t fperm[MAX_STRAT], nperm[MAX_STRAT];
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
      size_t k = index_of(strat[i]);
      raw_sum[k][model_map_seat_kind(m, i)] += (double)score[i];
      if (add(&samples[k][model_map_seat_kind(m, i)], d) ||
          add(&by_seat[k][i], d))
        return -1;
    }
  }
  printf("classroom, %d games; score: mean final score; delta = score - "
         "score of the same game with the seat on standing orders (mean, "
         "median, sd); units of the objectives (1 = 1e6 ppm)\n",
         GAMES);
  printf("  %-12s %-6s %4s %7s %8s %8s %7s  mean by seat:", "strategy", "kind",
         "n", "score", "mean", "median", "sd");
  for (size_t j = 0; j < S; j++)
    printf(" %7.7s", model_map_seat_id(m, j));
  printf("\n");
  for (size_t i = 0; i < agent_strategy_count(); i++)
    for (int kind = MODEL_SEAT_NATION; kind <= MODEL_SEAT_FIRM; kind++) {
      sample_t *s = &samples[i][kind];
      if (!s->n)
        continue;
      qsort(s->x, s->n, sizeof *s->x, by_value);
      printf("  %-12s %-6s %4zu %7.3f %+8.4f %+8.4f %7.4f ",
             agent_strategy_at(i)->id, kind ? "firm" : "nation", s->n,
             raw_sum[i][kind] / (double)s->n / 1e6, mean(s) / 1e6,
             s->x[s->n / 2] / 1e6, sqrt(var(s)) / 1e6);
      for (size_t j = 0; j < S; j++)
        if (model_map_seat_kind(m, j) == kind)
          printf(" %+7.3f", mean(&by_seat[i][j]) / 1e6);
        else
          printf(" %7s", "");
      printf("\n");
    }
  for (int kind = MODEL_SEAT_NATION; kind <= MODEL_SEAT_FIRM; kind++)
    for (size_t a = 0; a < agent_strategy_count(); a++)
      for (size_t b = a + 1; b < agent_strategy_count(); b++) {
        const sample_t *x = &samples[a][kind], *y = &samples[b][kind];
        if (x->n < 2 || y->n < 2)
          continue;
        printf("    %-6s %-11s %-11s D=%.2f (bound %.2f) t=%+6.1f\n",
               kind ? "firm" : "nation", agent_strategy_at(a)->id,
               agent_strategy_at(b)->id, ks(x, y), ks_critical(x->n, y->n),
               welch(x, y));
      }
  free(strat);
  free(score);
  free(base);
  model_map_free(m);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (size_t i = 0; i < MAX_STRAT; i++) {
    free(samples[i][0].x);
    free(samples[i][1].x);
    for (size_t j = 0; j < MAX_SEATS; j++)
      free(by_seat[i][j].x);
  }
  return 0;
}

static void differ(int kind, const char *a, const char *b) {
  const sample_t *x = &samples[index_of(agent_find(a))][kind];
  const sample_t *y = &samples[index_of(agent_find(b))][kind];
  assert_true(x->n >= 100 && y->n >= 100);
  double d = ks(x, y), c = ks_critical(x->n, y->n);
  if (!(d > c))
    fail_msg("%s and %s do not differ measurably on %s seats: "
             "Kolmogorov-Smirnov D = %.3f, the bound at %g is %.3f (means "
             "%+.4f and %+.4f)",
             a, b, kind ? "firm" : "nation", d, ALPHA, c, mean(x) / 1e6,
             mean(y) / 1e6);
}

static void test_firms_differ(void **state) {
  (void)state;
  const int f = MODEL_SEAT_FIRM;
  differ(f, "expander", "standing");
  differ(f, "integrator", "standing");
  differ(f, "cournot", "standing");
  differ(f, "cautious", "standing");
  differ(f, "random", "standing");
  differ(f, "integrator", "expander");
  differ(f, "integrator", "cournot");
  differ(f, "random", "integrator");
}

static void test_nations_differ(void **state) {
  (void)state;
  const int n = MODEL_SEAT_NATION;
  differ(n, "hawk", "free_trader");
  differ(n, "builder", "free_trader");
  differ(n, "hawk", "builder");
  differ(n, "hawk", "standing");
  differ(n, "builder", "standing");
  differ(n, "random", "standing");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_firms_differ),
      cmocka_unit_test(test_nations_differ),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
