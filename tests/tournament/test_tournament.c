/* test_tournament.c: the headless tournament runner (tournament/).
 *
 * Seeds and the seat rotation; the 95% interval on a textbook sample; the
 * same database from 1 and 2 worker processes and from 2 shards merged as
 * from one run (every table, row for row); replaying a stored game from its
 * seed; fillers, failures and refusals; the merge's refusals; a 200-game
 * run with the built-in strategies.
 *
 * The strategies here are the test's own (agent_strategy_t is a plain
 * table), so the runner is tested whatever the built-in strategies do.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "tournament.h"

/* ---- Test strategies ---- */

static int act_idle(uint64_t seed, const model_obs_t *obs,
                    model_order_t *orders, size_t cap, size_t *n) {
  (void)seed;
  (void)obs;
  (void)orders;
  (void)cap;
  *n = 0;
  return 0;
}

/* Firms run every facility at a utilisation drawn from the seed, so scores
 * differ from game to game and from seat to seat. */
static int act_operate(uint64_t seed, const model_obs_t *obs,
                       model_order_t *orders, size_t cap, size_t *n) {
  *n = 0;
  if (obs->kind != MODEL_SEAT_FIRM)
    return 0;
  for (size_t i = 0; i < obs->n_facilities && *n < cap; i++) {
    if (obs->facilities[i].status != MODEL_FAC_OPERATING)
      continue;
    model_order_t *o = &orders[(*n)++];
    memset(o, 0, sizeof *o);
    o->op = MODEL_OP_OPERATE;
    snprintf(o->facility, sizeof o->facility, "%s", obs->facilities[i].id);
    o->utilisation_ppm = 200000 + (int64_t)((seed >> (i % 32)) % 800001);
  }
  return 0;
}

/* One order the model refuses, every turn. */
static int act_bad(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
                   size_t cap, size_t *n) {
  (void)seed;
  (void)obs;
  (void)cap;
  memset(&orders[0], 0, sizeof orders[0]);
  orders[0].op = MODEL_OP_OPERATE; /* no facility: refused */
  *n = 1;
  return 0;
}

static int act_fail(uint64_t seed, const model_obs_t *obs,
                    model_order_t *orders, size_t cap, size_t *n) {
  (void)seed;
  (void)obs;
  (void)orders;
  (void)cap;
  *n = 0;
  return -1;
}

static const agent_strategy_t s_idle = {"t_idle", "does nothing", AGENT_BOTH,
                                        act_idle};
static const agent_strategy_t s_operate = {"t_operate", "random utilisation",
                                           AGENT_BOTH, act_operate};
static const agent_strategy_t s_bad = {"t_bad", "one refused order", AGENT_BOTH,
                                       act_bad};
static const agent_strategy_t s_fail = {"t_fail", "always fails", AGENT_BOTH,
                                        act_fail};
static const agent_strategy_t s_firm = {"t_firm", "firms only", AGENT_FIRM,
                                        act_operate};
static const agent_strategy_t s_firm2 = {"t_firm2", "firms only", AGENT_FIRM,
                                         act_idle};
static const agent_strategy_t s_nation = {"t_nation", "nations only",
                                          AGENT_NATION, act_idle};

/* ---- Fixtures ---- */

static char dir[64];
static model_map_t *classroom;

/* A file in the test's directory. The strings live until teardown. */
static char *paths[256];
static size_t n_paths;

static const char *path(const char *name) {
  assert_true(n_paths < sizeof paths / sizeof paths[0]);
  char *p = malloc(strlen(dir) + strlen(name) + 2);
  assert_non_null(p);
  sprintf(p, "%s/%s", dir, name);
  paths[n_paths++] = p;
  return p;
}

static model_map_t *load(const char *id) {
  char file[512];
  snprintf(file, sizeof file, "%s/%s.json", LAN_SOURCE_MAPS, id);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_file(file, &m, &e) != 0)
    fail_msg("%s:%d: %s", e.file, e.line, e.message);
  return m;
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lan-tour-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  classroom = load("classroom");
  return classroom ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  model_map_free(classroom);
  for (size_t i = 0; i < n_paths; i++)
    free(paths[i]);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static tour_config_t config(const agent_strategy_t *const *s, size_t n,
                            uint64_t games, const char *out) {
  tour_config_t c;
  memset(&c, 0, sizeof c);
  c.map = classroom;
  c.strategies = s;
  c.n_strategies = n;
  c.seed = 20240601;
  c.games = games;
  c.shard = 0;
  c.shards = 1;
  c.jobs = 1;
  c.out = out;
  c.overwrite = true;
  return c;
}

static void run(const tour_config_t *c) {
  char err[512] = "";
  int rc = tour_run(c, err, sizeof err);
  if (rc != 0)
    fail_msg("tour_run: %s: %s", tour_strerror(rc), err);
}

static sqlite3 *open_db(const char *p) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL),
                   SQLITE_OK);
  return db;
}

/* Every row of query in a and b, value for value (doubles bit for bit). */
static void same_rows(const char *a, const char *b, const char *query) {
  sqlite3 *da = open_db(a), *db = open_db(b);
  sqlite3_stmt *sa = NULL, *sb = NULL;
  assert_int_equal(sqlite3_prepare_v2(da, query, -1, &sa, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, query, -1, &sb, NULL), SQLITE_OK);
  long rows = 0;
  for (;;) {
    int ra = sqlite3_step(sa), rb = sqlite3_step(sb);
    assert_int_equal(ra, rb);
    if (ra != SQLITE_ROW)
      break;
    rows++;
    int cols = sqlite3_column_count(sa);
    for (int c = 0; c < cols; c++) {
      int ta = sqlite3_column_type(sa, c), tb = sqlite3_column_type(sb, c);
      if (ta != tb)
        fail_msg("%s: row %ld column %d: types %d and %d", query, rows, c, ta,
                 tb);
      if (ta == SQLITE_FLOAT) {
        double x = sqlite3_column_double(sa, c);
        double y = sqlite3_column_double(sb, c);
        if (memcmp(&x, &y, sizeof x) != 0)
          fail_msg("%s: row %ld column %d: %.17g and %.17g", query, rows, c, x,
                   y);
      } else if (ta != SQLITE_NULL) {
        const char *x = (const char *)sqlite3_column_text(sa, c);
        const char *y = (const char *)sqlite3_column_text(sb, c);
        if (strcmp(x, y) != 0)
          fail_msg("%s: row %ld column %d: '%s' and '%s'", query, rows, c, x,
                   y);
      }
    }
  }
  assert_true(rows > 0);
  sqlite3_finalize(sa);
  sqlite3_finalize(sb);
  sqlite3_close(da);
  sqlite3_close(db);
}

static void same_db(const char *a, const char *b) {
  same_rows(a, b, "SELECT * FROM tournament");
  same_rows(a, b, "SELECT * FROM games ORDER BY game");
  same_rows(a, b, "SELECT * FROM results ORDER BY game, seat");
  same_rows(a, b, "SELECT * FROM seats ORDER BY seat");
  same_rows(a, b, "SELECT * FROM leaderboard ORDER BY position");
  same_rows(a, b, "SELECT * FROM strategy_seats ORDER BY strategy, seat");
}

static int64_t scalar(const char *p, const char *query) {
  sqlite3 *db = open_db(p);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, query, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* ---- Tests ---- */

static void test_seeds(void **state) {
  (void)state;
  assert_true(tour_game_seed(1, 0) == tour_game_seed(1, 0));
  for (uint64_t i = 0; i < 1000; i++) {
    uint64_t s = tour_game_seed(42, i);
    assert_true(s < ((uint64_t)1 << 63));
    assert_true(s != tour_game_seed(42, i + 1));
    assert_true(s != tour_game_seed(43, i));
  }
  /* The server's formula (server/sess.c, sess_agent_seed). */
  assert_true(tour_agent_seed(7, 2) == (7 ^ (0x9e3779b97f4a7c15ULL * 3)));
}

static void test_rotation(void **state) {
  (void)state;
  char err[256];
  tour_plan_t *p = NULL;
  size_t seats = model_map_seat_count(classroom); /* 3 nations, 6 firms */
  const agent_strategy_t *three[] = {&s_idle, &s_operate, &s_bad};
  assert_int_equal(tour_plan_new(classroom, three, 3, &p, err, sizeof err), 0);
  assert_int_equal(tour_plan_cycle(p), 9);
  /* Over one cycle every strategy plays every seat 9 / 3 times, and
   * every pair (nation offset, firm offset) comes once. */
  int count[3][16] = {{0}};
  int pairs[3][3] = {{0}};
  for (uint64_t g = 0; g < 9; g++) {
    for (size_t s = 0; s < seats; s++) {
      int i = tour_plan_seat(p, g, s);
      assert_true(i >= 0 && i < 3);
      count[i][s]++;
    }
    pairs[tour_plan_seat(p, g, 0)][tour_plan_seat(p, g, 3)]++;
  }
  for (int i = 0; i < 3; i++) {
    for (size_t s = 0; s < seats; s++)
      assert_int_equal(count[i][s], 3);
    for (int j = 0; j < 3; j++)
      assert_int_equal(pairs[i][j], 1);
  }
  tour_plan_free(p);

  /* A firm-only strategy: nations go to the other one every game. */
  const agent_strategy_t *mixed[] = {&s_idle, &s_firm};
  assert_int_equal(tour_plan_new(classroom, mixed, 2, &p, err, sizeof err), 0);
  assert_int_equal(tour_plan_cycle(p), 2);
  for (uint64_t g = 0; g < 4; g++)
    for (size_t s = 0; s < seats; s++) {
      int i = tour_plan_seat(p, g, s);
      if (model_map_seat_kind(classroom, s) == MODEL_SEAT_NATION)
        assert_int_equal(i, 0);
      else
        assert_int_equal(i, (int)((s - 3 + g) % 2));
    }
  tour_plan_free(p);

  /* Only firm strategies: the nations are fillers. */
  const agent_strategy_t *firms[] = {&s_firm, &s_firm2};
  assert_int_equal(tour_plan_new(classroom, firms, 2, &p, err, sizeof err), 0);
  assert_int_equal(tour_plan_seat(p, 5, 0), -1);
  assert_true(tour_plan_seat(p, 5, 3) >= 0);
  tour_plan_free(p);

  /* Refusals: a duplicate; a strategy with no seat on the map. */
  const agent_strategy_t *dup[] = {&s_idle, &s_idle};
  assert_int_equal(tour_plan_new(classroom, dup, 2, &p, err, sizeof err),
                   TOUR_EINVAL);
  model_map_t *cournot = load("cournot"); /* firms only */
  const agent_strategy_t *nation[] = {&s_idle, &s_nation};
  assert_int_equal(tour_plan_new(cournot, nation, 2, &p, err, sizeof err),
                   TOUR_EINVAL);
  assert_non_null(strstr(err, "t_nation"));
  model_map_free(cournot);
}

/* Seatless firms (issue 11): race-2028's six aggregates are dealt no
 * strategy in any game (they play their standing orders, as fillers); the
 * rotation deals the 14 open seats as on a map without seatless seats. */
static void test_seatless_not_dealt(void **state) {
  (void)state;
  char err[256];
  tour_plan_t *p = NULL;
  model_map_t *race = load("race-2028");
  const agent_strategy_t *three[] = {&s_idle, &s_operate, &s_bad};
  assert_int_equal(tour_plan_new(race, three, 3, &p, err, sizeof err), 0);
  size_t seats = model_map_seat_count(race), n_seatless = 0;
  for (size_t s = 0; s < seats; s++)
    n_seatless += model_map_seat_seatless(race, s);
  assert_int_equal(n_seatless, 6);
  int count[3] = {0};
  for (uint64_t g = 0; g < tour_plan_cycle(p); g++)
    for (size_t s = 0; s < seats; s++) {
      int i = tour_plan_seat(p, g, s);
      if (model_map_seat_seatless(race, s)) {
        assert_int_equal(i, -1);
      } else {
        assert_true(i >= 0 && i < 3);
        count[i]++;
      }
    }
  /* every strategy plays the open seats equally often over a cycle */
  assert_int_equal(count[0], count[1]);
  assert_int_equal(count[1], count[2]);
  assert_int_equal(count[0] + count[1] + count[2],
                   (int)(tour_plan_cycle(p) * (seats - 6)));
  tour_plan_free(p);
  model_map_free(race);
}

static void test_ci(void **state) {
  (void)state;
  /* The textbook sample 1, 2, 3, 4, 5: mean 3, s = sqrt(2.5), and the 95%
   * interval 3 +- t(0.975, 4) * s / sqrt(5) = 3 +- 2.776445 * 0.707107. */
  tour_stat_t s = {0, 0, 0};
  for (int i = 1; i <= 5; i++)
    tour_stat_add(&s, i);
  assert_true(s.n == 5);
  assert_true(fabs(s.mean - 3.0) < 1e-12);
  assert_true(fabs(tour_stat_sd(&s) - sqrt(2.5)) < 1e-12);
  assert_true(fabs(tour_stat_ci95(&s) - 1.963243) < 1e-6);
  /* Published t(0.975, df) values (any statistics table). */
  assert_true(fabs(tour_t975(1) - 12.706205) < 1e-6);
  assert_true(fabs(tour_t975(10) - 2.228139) < 1e-6);
  assert_true(fabs(tour_t975(30) - 2.042272) < 1e-6);
  assert_true(fabs(tour_t975(40) - 2.021075) < 1e-6);
  assert_true(fabs(tour_t975(60) - 2.000298) < 1e-6);
  assert_true(fabs(tour_t975(120) - 1.979930) < 1e-6);
  assert_true(fabs(tour_t975(1000000) - 1.959966) < 1e-6);
  /* One value: no interval. */
  tour_stat_t one = {0, 0, 0};
  tour_stat_add(&one, 4);
  assert_true(isnan(tour_stat_ci95(&one)));
}

static const agent_strategy_t *const trio[] = {&s_idle, &s_operate, &s_bad};

static void test_jobs_same_results(void **state) {
  (void)state;
  tour_config_t c = config(trio, 3, 18, path("j1.db"));
  run(&c);
  c.jobs = 2;
  c.out = path("j2.db");
  run(&c);
  c.jobs = 3;
  c.out = path("j3.db");
  run(&c);
  same_db(path("j1.db"), path("j2.db"));
  same_db(path("j1.db"), path("j3.db"));
  assert_int_equal(scalar(path("j1.db"), "SELECT count(*) FROM results"),
                   18 * 9);
  /* The scores differ, so the ranks do too. */
  assert_true(
      scalar(path("j1.db"), "SELECT count(DISTINCT rank) FROM results") > 1);
}

static void test_shards_merge(void **state) {
  (void)state;
  char err[512] = "";
  tour_config_t c = config(trio, 3, 19, path("whole.db"));
  c.csv = path("whole.csv");
  run(&c);
  c.shards = 2;
  c.csv = NULL;
  c.shard = 0;
  c.out = path("s0.db");
  run(&c);
  c.shard = 1;
  c.jobs = 2;
  c.out = path("s1.db");
  run(&c);
  assert_int_equal(scalar(path("s0.db"), "SELECT count(*) FROM games"), 10);
  assert_int_equal(scalar(path("s1.db"), "SELECT count(*) FROM games"), 9);
  assert_int_equal(scalar(path("s1.db"), "SELECT min(game) FROM games"), 1);
  /* Given in any order. */
  const char *in[] = {path("s1.db"), path("s0.db")};
  int rc = tour_merge(in, 2, path("merged.db"), false, path("merged.csv"), err,
                      sizeof err);
  if (rc)
    fail_msg("tour_merge: %s", err);
  same_db(path("whole.db"), path("merged.db"));
  /* The CSVs are the same bytes. */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", path("whole.csv"),
           path("merged.csv"));
  assert_int_equal(system(cmd), 0);

  /* Refusals: an existing output, a missing shard, a shard twice,
   * shards of another tournament. */
  rc = tour_merge(in, 2, path("merged.db"), false, NULL, err, sizeof err);
  assert_int_equal(rc, TOUR_EINVAL);
  rc = tour_merge(in, 1, path("m1.db"), true, NULL, err, sizeof err);
  assert_int_equal(rc, TOUR_EMISMATCH);
  assert_non_null(strstr(err, "missing"));
  const char *twice[] = {path("s0.db"), path("s0.db")};
  rc = tour_merge(twice, 2, path("m2.db"), true, NULL, err, sizeof err);
  assert_int_equal(rc, TOUR_EMISMATCH);
  c.seed++;
  c.shard = 1;
  c.out = path("other1.db");
  run(&c);
  const char *other[] = {path("s0.db"), path("other1.db")};
  rc = tour_merge(other, 2, path("m3.db"), true, NULL, err, sizeof err);
  assert_int_equal(rc, TOUR_EMISMATCH);
  assert_non_null(strstr(err, "seed"));
  assert_int_equal(access(path("m3.db"), F_OK), -1);
  assert_int_equal(access(path("m3.db.tmp"), F_OK), -1);
}

static void test_replay_and_counters(void **state) {
  (void)state;
  const agent_strategy_t *s[] = {&s_operate, &s_bad, &s_fail};
  tour_config_t c = config(s, 3, 6, path("replay.db"));
  run(&c);
  const char *db = path("replay.db");
  int turns = model_map_turns(classroom);
  /* t_bad has one order refused every turn; t_fail fails every turn. */
  assert_int_equal(scalar(db, "SELECT min(refused) FROM results WHERE "
                              "strategy = 't_bad'"),
                   turns);
  assert_int_equal(scalar(db, "SELECT min(failed) FROM results WHERE "
                              "strategy = 't_fail'"),
                   turns);
  assert_int_equal(scalar(db, "SELECT max(failed + refused) FROM results "
                              "WHERE strategy = 't_operate'"),
                   0);
  /* Game 4 again, from its seed and the rotation alone. */
  tour_plan_t *p = NULL;
  char err[256];
  assert_int_equal(tour_plan_new(classroom, s, 3, &p, err, sizeof err), 0);
  size_t n = model_map_seat_count(classroom);
  const agent_strategy_t *seat[16];
  tour_seat_result_t res[16];
  uint8_t hash[MODEL_HASH_BYTES];
  for (size_t i = 0; i < n; i++)
    seat[i] = s[tour_plan_seat(p, 4, i)];
  uint64_t seed = (uint64_t)scalar(db, "SELECT seed FROM games WHERE game = 4");
  assert_true(seed == tour_game_seed(c.seed, 4));
  assert_int_equal(tour_play(classroom, seat, seed, res, hash), 0);
  for (size_t i = 0; i < n; i++) {
    char q[128];
    snprintf(q, sizeof q,
             "SELECT score FROM results WHERE game = 4 AND seat = %zu", i);
    assert_true(scalar(db, q) == res[i].score);
  }
  char hex[2 * MODEL_HASH_BYTES + 1];
  for (int i = 0; i < MODEL_HASH_BYTES; i++)
    snprintf(hex + 2 * i, 3, "%02x", hash[i]);
  sqlite3 *h = open_db(db);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(h,
                                      "SELECT hash FROM games WHERE game = 4",
                                      -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), hex);
  sqlite3_finalize(st);
  sqlite3_close(h);
  tour_plan_free(p);
}

static void test_fillers(void **state) {
  (void)state;
  const agent_strategy_t *s[] = {&s_firm, &s_firm2};
  tour_config_t c = config(s, 2, 4, path("fill.db"));
  run(&c);
  const char *db = path("fill.db");
  assert_int_equal(scalar(db, "SELECT count(*) FROM results WHERE kind = "
                              "'nation' AND (rated OR strategy != "
                              "'standing' OR adjusted IS NOT NULL)"),
                   0);
  assert_int_equal(scalar(db, "SELECT count(*) FROM results WHERE kind = "
                              "'firm' AND rated AND rank IS NOT NULL"),
                   4 * 6);
  assert_int_equal(scalar(db, "SELECT count(*) FROM leaderboard"), 2);
  assert_int_equal(scalar(db, "SELECT sum(games) FROM leaderboard"), 8);
}

static void test_refusals(void **state) {
  (void)state;
  char err[512];
  tour_config_t c = config(trio, 3, 4, path("x.db"));
  c.overwrite = false;
  run(&c);
  assert_int_equal(tour_run(&c, err, sizeof err), TOUR_EINVAL); /* exists */
  c.overwrite = true;
  c.games = 0;
  assert_int_equal(tour_run(&c, err, sizeof err), TOUR_EINVAL);
  c.games = 4;
  c.shard = 2;
  c.shards = 2;
  assert_int_equal(tour_run(&c, err, sizeof err), TOUR_EINVAL);
  c.shard = 0;
  c.shards = 1;
  c.jobs = 0;
  assert_int_equal(tour_run(&c, err, sizeof err), TOUR_EINVAL);
  /* A stop request before the first game leaves nothing behind. */
  static volatile sig_atomic_t stop = 1;
  c.jobs = 2;
  c.stop = &stop;
  c.out = path("stopped.db");
  assert_int_equal(tour_run(&c, err, sizeof err), TOUR_EINTR);
  assert_int_equal(access(path("stopped.db"), F_OK), -1);
  assert_int_equal(access(path("stopped.db.tmp"), F_OK), -1);
}

/* 200 games of the classroom map between every built-in strategy, on two
 * workers: it finishes and fills every row. */
static void test_200_builtin(void **state) {
  (void)state;
  size_t n = agent_strategy_count();
  assert_true(n >= 1 && n <= TOUR_STRATEGIES_MAX);
  const agent_strategy_t *s[TOUR_STRATEGIES_MAX];
  for (size_t i = 0; i < n; i++)
    s[i] = agent_strategy_at(i);
  tour_config_t c = config(s, n, 200, path("builtin.db"));
  c.jobs = 2;
  run(&c);
  assert_int_equal(scalar(path("builtin.db"), "SELECT count(*) FROM games"),
                   200);
  assert_int_equal(scalar(path("builtin.db"), "SELECT count(*) FROM results"),
                   200 * (int64_t)model_map_seat_count(classroom));
  assert_int_equal(
      scalar(path("builtin.db"), "SELECT count(*) FROM leaderboard"),
      (int64_t)n);
  char err[256];
  FILE *devnull = fopen("/dev/null", "w");
  assert_non_null(devnull);
  assert_int_equal(tour_print(path("builtin.db"), devnull, err, sizeof err), 0);
  fclose(devnull);
}

/* World-2024 game 40 of tournament seed 1 between every built-in
 * strategy: a firm's bid for magnets in the USA, where defence buys only
 * from qualified sellers, got the tracked content of the kg the defence
 * line had bought too; it then held more content than goods, and an
 * export capacity went negative, so the model refused the turn ("invalid
 * argument") and the tournament stopped. Every game must play. */
static void test_world_game_40(void **state) {
  (void)state;
  model_map_t *world = load("world-2024");
  size_t n = agent_strategy_count(), seats = model_map_seat_count(world);
  const agent_strategy_t *s[TOUR_STRATEGIES_MAX];
  for (size_t i = 0; i < n; i++)
    s[i] = agent_strategy_at(i);
  char err[256];
  tour_plan_t *p = NULL;
  assert_int_equal(tour_plan_new(world, s, n, &p, err, sizeof err), 0);
  const agent_strategy_t **seat = calloc(seats, sizeof *seat);
  tour_seat_result_t *out = calloc(seats, sizeof *out);
  assert_non_null(seat);
  assert_non_null(out);
  for (size_t k = 0; k < seats; k++)
    seat[k] = s[tour_plan_seat(p, 40, k)];
  int rc = tour_play(world, seat, tour_game_seed(1, 40), out, NULL);
  if (rc != 0)
    fail_msg("world-2024 game 40: %s", model_strerror(rc));
  free(seat);
  free(out);
  tour_plan_free(p);
  model_map_free(world);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_world_game_40),
      cmocka_unit_test(test_seeds),
      cmocka_unit_test(test_rotation),
      cmocka_unit_test(test_seatless_not_dealt),
      cmocka_unit_test(test_ci),
      cmocka_unit_test(test_jobs_same_results),
      cmocka_unit_test(test_shards_merge),
      cmocka_unit_test(test_replay_and_counters),
      cmocka_unit_test(test_fillers),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_200_builtin),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
