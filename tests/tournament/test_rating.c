/* test_rating.c: the Weng-Lin Plackett-Luce ratings (tournament/rating.c)
 * against the numbers the openskill Python package publishes in its tests.
 *
 * Sources (openskill.py, github.com/vivekjoshy/openskill.py, formerly
 * OpenDebates/openskill.py):
 * - tests/models/data/plackettluce.json at commit
 *   061f71f61e20313435b02c14abce215bcfc054ae, read by
 *   tests/models/weng_lin/test_plackett_luce.py::test_rate: a model with
 *   mu 31.321989232514305 and sigma 11.379964801443018 (beta 25/6, kappa
 *   0.0001, tau 25/300 by default) rating teams of 1, 2 (and 3) players
 *   in the cases "normal", "ranks", "scores", "limit_sigma" and "ties";
 * - tests/models/test_plackett_luce.py at commit
 *   d41c9636d300477e4f1d9f66e3c4decbd855ff8a (openskill before tau
 *   existed, so tau = 0 here): free-for-alls of 2 to 5 default players
 *   (mu 25, sigma 25/3) and three teams of 3, 1 and 2 players.
 * openskill compares with a relative tolerance of 1e-4 (pytest.approx);
 * this test asks for 1e-9, which only floating-point rounding can miss.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "rating.h"

#define REL 1e-9

static void near(double got, double want) {
  if (fabs(got - want) > REL * fabs(want)) {
    fail_msg("got %.17g, want %.17g (relative error %.3g)", got, want,
             fabs(got - want) / fabs(want));
  }
}

/* Rate teams of the given sizes, every player starting from the model's
 * default rating, and compare each player with want[team] = {mu, sigma}
 * (every player of a team ends equal when they start equal). */
static void check(const rating_model_t *m, const size_t *sizes, size_t n,
                  const double *ranks, const double (*want)[2]) {
  rating_t p[16];
  size_t total = 0;
  for (size_t t = 0; t < n; t++)
    total += sizes[t];
  assert_true(total <= 16);
  for (size_t i = 0; i < total; i++)
    p[i] = rating_new(m);
  assert_int_equal(rating_rate(m, p, sizes, n, ranks), 0);
  size_t i = 0;
  for (size_t t = 0; t < n; t++)
    for (size_t j = 0; j < sizes[t]; j++, i++) {
      near(p[i].mu, want[t][0]);
      near(p[i].sigma, want[t][1]);
    }
}

static rating_model_t json_model(void) {
  rating_model_t m = rating_model_default();
  m.mu = 31.321989232514305;
  m.sigma = 11.379964801443018;
  return m;
}

static void test_defaults(void **state) {
  (void)state;
  /* test_plackett_luce.py::test_model_defaults */
  rating_model_t m = rating_model_default();
  assert_true(m.mu == 25.0);
  assert_true(m.sigma == 25.0 / 3.0);
  assert_true(m.beta == 25.0 / 6.0);
  assert_true(m.kappa == 0.0001);
  assert_true(m.tau == 25.0 / 300.0);
  rating_t r = {32.124, 1.421};
  near(rating_ordinal(r, 3.0), 32.124 - 3 * 1.421);
}

static void test_json_normal(void **state) {
  (void)state;
  rating_model_t m = json_model();
  const size_t sizes[] = {1, 2};
  const double ranks[] = {1, 2}; /* no ranks given: the order of teams */
  const double want[][2] = {{36.48967347401391, 11.237778601372977},
                            {26.154304991014694, 11.17822477763209}};
  check(&m, sizes, 2, ranks, want);
}

static void test_json_ranks_and_scores(void **state) {
  (void)state;
  rating_model_t m = json_model();
  const size_t sizes[] = {1, 2};
  const double want[][2] = {{30.19454401757094, 11.237778601372977},
                            {32.44943444745767, 11.17822477763209}};
  const double ranks[] = {2, 1};
  check(&m, sizes, 2, ranks, want);
  /* scores [1, 2] are ranks [-1, -2]: the same game. */
  const double from_scores[] = {-1, -2};
  check(&m, sizes, 2, from_scores, want);
}

static void test_json_limit_sigma(void **state) {
  (void)state;
  rating_model_t m = json_model();
  m.limit_sigma = true;
  const size_t sizes[] = {1, 2, 3};
  const double ranks[] = {2, 1, 3};
  const double want[][2] = {{35.008962716922355, 11.322612945836939},
                            {34.774820565754936, 11.291328826858104},
                            {24.182184414865624, 11.192736898569162}};
  check(&m, sizes, 3, ranks, want);
}

static void test_json_ties(void **state) {
  (void)state;
  rating_model_t m = json_model();
  const size_t sizes[] = {1, 2, 3};
  const double ranks[] = {1, 2, 1};
  const double want[][2] = {{33.21874815457553, 11.354896725884002},
                            {30.27713112192334, 11.291328826858104},
                            {30.470088421044046, 11.249240904583088}};
  check(&m, sizes, 3, ranks, want);
}

static void test_ffa_without_tau(void **state) {
  (void)state;
  rating_model_t m = rating_model_default();
  m.tau = 0;
  const size_t one[] = {1, 1, 1, 1, 1};
  const double order[] = {1, 2, 3, 4, 5};
  const double two[][2] = {{27.63523138347365, 8.065506316323548},
                           {22.36476861652635, 8.065506316323548}};
  check(&m, one, 2, order, two);
  const double three[][2] = {{27.868876552746237, 8.204837030780652},
                             {25.717219138186557, 8.057829747583874},
                             {21.413904309067206, 8.057829747583874}};
  check(&m, one, 3, order, three);
  const double four[][2] = {{27.795084971874736, 8.263160757613477},
                            {26.552824984374855, 8.179213704945203},
                            {24.68943500312503, 8.083731307186588},
                            {20.96265504062538, 8.083731307186588}};
  check(&m, one, 4, order, four);
  const double five[][2] = {{27.666666666666668, 8.290556877154474},
                            {26.833333333333332, 8.240145629781066},
                            {25.72222222222222, 8.179996679645559},
                            {24.055555555555557, 8.111796013701358},
                            {20.72222222222222, 8.111796013701358}};
  check(&m, one, 5, order, five);
  /* "3 Different Sized Teams": rate([team_3, team_1, team_2]). */
  const size_t sizes[] = {3, 1, 2};
  const double teams[][2] = {{25.939870821784513, 8.247641552260456},
                             {27.21366020491262, 8.274321317985242},
                             {21.84646897330287, 8.213058173195341}};
  check(&m, sizes, 3, order, teams);
}

/* Not from openskill: properties the tournament relies on. */
static void test_properties(void **state) {
  (void)state;
  rating_model_t m = rating_model_default();
  const size_t one[] = {1, 1, 1};
  /* The order of the teams in the call does not matter, only ranks. */
  rating_t a[3] = {{25, 8}, {28, 7}, {22, 6}};
  rating_t b[3] = {a[2], a[0], a[1]};
  const double ra[] = {2, 1, 3}, rb[] = {3, 2, 1};
  assert_int_equal(rating_rate(&m, a, one, 3, ra), 0);
  assert_int_equal(rating_rate(&m, b, one, 3, rb), 0);
  near(a[0].mu, b[1].mu);
  near(a[1].mu, b[2].mu);
  near(a[2].mu, b[0].mu);
  /* A full tie between equals changes no mu. */
  rating_t c[3] = {{25, 8}, {25, 8}, {25, 8}};
  const double tie[] = {1, 1, 1};
  assert_int_equal(rating_rate(&m, c, one, 3, tie), 0);
  near(c[0].mu, 25);
  near(c[1].mu, 25);
  near(c[2].mu, 25);
  /* Far-apart ratings stay finite. */
  rating_t d[2] = {{5000, 1}, {-5000, 1}};
  const double lost[] = {2, 1};
  assert_int_equal(rating_rate(&m, d, one, 2, lost), 0);
  assert_true(isfinite(d[0].mu) && isfinite(d[1].mu));
  assert_true(d[0].mu < 5000 && d[1].mu > -5000);
  /* Bad arguments change nothing. */
  assert_int_equal(rating_rate(&m, d, one, 1, lost), -1);
  const size_t empty[] = {1, 0};
  assert_int_equal(rating_rate(&m, d, empty, 2, lost), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_json_normal),
      cmocka_unit_test(test_json_ranks_and_scores),
      cmocka_unit_test(test_json_limit_sigma),
      cmocka_unit_test(test_json_ties),
      cmocka_unit_test(test_ffa_without_tau),
      cmocka_unit_test(test_properties),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
