/* bench_tournament.c: how fast headless tournaments play.
 *
 * Plays K classroom games with every built-in strategy, results stored in
 * a SQLite file exactly as `lanthanide tournament --jobs 1` stores them,
 * then the same K games with only the `standing` strategy (agents that
 * send nothing, and are not even shown an observation: the model's own
 * cost, plus storing), in this one process (one core). Prints
 *
 *   bench=tournament map=classroom games=K games_per_s=X
 *     baseline_games_per_s=Y ratio=X/Y target=1000 verdict=ok|below_target
 *
 * (one line), where the rates are games per second of this process's CPU
 * time, so that other jobs on the machine do not lower them; wall-clock
 * rates follow as wall_games_per_s and wall_baseline_games_per_s. Then one
 * line splitting a game's cost (CPU time) with the built-in strategies,
 * from the same games played again, then replayed from their recorded
 * orders without the agents, with and without observations:
 *
 *   bench=tournament_parts map=classroom us_per_game=... model_us=...
 *     observe_us=... agents_us=... store_us=...
 *
 * model_us: new state, submit, resolve, hash; observe_us: model_observe and
 * model_obs_free; agents_us: the strategies' decisions; store_us: the rest
 * of us_per_game (SQLite rows, the leaderboard, bookkeeping).
 *
 * Usage: bench-tournament [GAMES [MAPS_DIR]]; BENCH_TOURNAMENT_GAMES sets
 * GAMES too (default 2000). */
#include "tournament.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TARGET 1000.0

static double clock_s(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct {
  double cpu, wall;
} took_t;

static took_t run(const model_map_t *map, const agent_strategy_t **s, size_t n,
                  uint64_t games, const char *out) {
  tour_config_t c;
  memset(&c, 0, sizeof c);
  c.map = map;
  c.strategies = s;
  c.n_strategies = n;
  c.seed = 1;
  c.games = games;
  c.shards = 1;
  c.jobs = 1;
  c.out = out;
  c.overwrite = true;
  char err[512];
  double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
  int rc = tour_run(&c, err, sizeof err);
  took_t t = {clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0,
              clock_s(CLOCK_MONOTONIC) - w0};
  if (rc != 0) {
    fprintf(stderr, "bench-tournament: %s\n", err);
    exit(1);
  }
  unlink(out);
  return t;
}

/* One game's orders, turn by turn and seat by seat, as the agents gave
 * them, so that the game can be replayed without them. */
typedef struct {
  model_order_t *o;
  size_t n, cap;
  size_t *start; /* [turn * seats + seat], and one past the end */
} log_t;

static void log_add(log_t *l, const model_order_t *o, size_t k) {
  if (l->n + k > l->cap) {
    l->cap = (l->n + k) * 2;
    l->o = realloc(l->o, l->cap * sizeof *l->o);
    if (!l->o)
      exit(1);
  }
  memcpy(l->o + l->n, o, k * sizeof *o);
  l->n += k;
}

/* Play game g: with agents (filling the log) when play is true, else from
 * the log; observe each active seat when observe is true. Seats played by
 * `standing` are skipped throughout, as tour_play skips them. */
static void game(const model_map_t *map, const tour_plan_t *plan,
                 const agent_strategy_t **s, uint64_t g, bool play,
                 bool observe, log_t *log, model_order_t *orders) {
  size_t seats = model_map_seat_count(map);
  uint64_t seed = tour_game_seed(1, g);
  const agent_strategy_t *standing = agent_find("standing");
  model_state_t *st = NULL;
  if (model_state_new(map, seed, &st) != 0)
    exit(1);
  if (play)
    log->n = 0;
  size_t at = 0;
  while (model_state_turn(st) < model_state_turns(st)) {
    for (size_t i = 0; i < seats; i++, at++) {
      int k = tour_plan_seat(plan, g, i);
      const agent_strategy_t *a = k >= 0 ? s[k] : standing;
      if (play)
        log->start[at] = log->n;
      if (a == standing)
        continue;
      model_obs_t *obs = NULL;
      if (observe && model_observe(st, (int)i, &obs) != 0)
        exit(1);
      size_t n = 0, refused;
      const model_order_t *o = orders;
      if (play) {
        agent_t *ag = agent_new(a, tour_agent_seed(seed, i));
        if (!ag || agent_act(ag, obs, orders, MODEL_ORDERS_MAX, &n) != 0)
          n = 0;
        agent_free(ag);
        log_add(log, orders, n);
      } else {
        n = log->start[at + 1] - log->start[at];
        o = log->o + log->start[at];
      }
      model_obs_free(obs);
      if (n > 0 && model_submit(st, (int)i, o, n, NULL, 0, &refused) != 0)
        exit(1);
    }
    if (model_resolve(st) != 0)
      exit(1);
  }
  if (play)
    log->start[at] = log->n;
  uint8_t hash[MODEL_HASH_BYTES];
  if (model_state_hash(st, hash) != 0)
    exit(1);
  model_state_free(st);
}

/* The parts of a game's cost, in CPU time: each game is played with its
 * agents (recording their orders), then replayed from the record by the
 * model alone, then replayed with the observations too. The differences
 * are the observations' and the agents' cost; storing is what tour_run
 * spent beyond the first. */
static void parts(const model_map_t *map, const agent_strategy_t **s, size_t n,
                  uint64_t games, double us_total) {
  tour_plan_t *plan = NULL;
  char err[256];
  if (tour_plan_new(map, s, n, &plan, err, sizeof err) != 0) {
    fprintf(stderr, "bench-tournament: %s\n", err);
    exit(1);
  }
  size_t seats = model_map_seat_count(map);
  log_t log = {NULL, 0, 0, NULL};
  log.start =
      calloc((size_t)model_map_turns(map) * seats + 1, sizeof *log.start);
  model_order_t *orders = malloc(MODEL_ORDERS_MAX * sizeof *orders);
  if (!log.start || !orders)
    exit(1);
  const clockid_t C = CLOCK_PROCESS_CPUTIME_ID;
  double t_full = 0, t_model = 0, t_obs = 0;
  for (uint64_t g = 0; g < games; g++) {
    double t0 = clock_s(C);
    game(map, plan, s, g, true, true, &log, orders);
    double t1 = clock_s(C);
    game(map, plan, s, g, false, false, &log, orders);
    double t2 = clock_s(C);
    game(map, plan, s, g, false, true, &log, orders);
    double t3 = clock_s(C);
    t_full += t1 - t0;
    t_model += t2 - t1;
    t_obs += t3 - t2;
  }
  double per = 1e6 / (double)games;
  double obs = (t_obs - t_model) * per, agents = (t_full - t_obs) * per;
  double store = us_total - t_full * per;
  printf("bench=tournament_parts map=%s us_per_game=%.1f model_us=%.1f "
         "observe_us=%.1f agents_us=%.1f store_us=%.1f\n",
         model_map_id(map), us_total, t_model * per, obs > 0 ? obs : 0.0,
         agents > 0 ? agents : 0.0, store > 0 ? store : 0.0);
  free(log.o);
  free(log.start);
  free(orders);
  tour_plan_free(plan);
}

int main(int argc, char **argv) {
  tour_tune_malloc(); /* as `lanthanide tournament` does */
  const char *env = getenv("BENCH_TOURNAMENT_GAMES");
  uint64_t games = argc > 1 ? strtoull(argv[1], NULL, 10)
                   : env    ? strtoull(env, NULL, 10)
                            : 2000;
  const char *maps = argc > 2 ? argv[2] : LAN_SOURCE_MAPS;
  if (games == 0)
    games = 2000;
  char file[1024];
  snprintf(file, sizeof file, "%s/classroom.json", maps);
  model_map_t *map = NULL;
  model_error_t e;
  if (model_map_load_file(file, &map, &e) != 0) {
    fprintf(stderr, "bench-tournament: %s:%d: %s\n", e.file, e.line, e.message);
    return 1;
  }
  const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char out[1024];
  snprintf(out, sizeof out, "%s/bench-tournament-%d.db", tmpdir, (int)getpid());

  const agent_strategy_t *all[TOUR_STRATEGIES_MAX];
  size_t n = 0;
  for (size_t i = 0; i < agent_strategy_count() && n < TOUR_STRATEGIES_MAX; i++)
    all[n++] = agent_strategy_at(i);
  const agent_strategy_t *standing[] = {agent_find("standing")};
  if (!standing[0]) {
    fprintf(stderr, "bench-tournament: no standing strategy\n");
    return 1;
  }
  /* A short warm-up so that neither run pays for first touches. */
  run(map, standing, 1, games / 20 + 1, out);
  took_t base = run(map, standing, 1, games, out);
  took_t with = run(map, all, n, games, out);
  double rate = (double)games / with.cpu;
  double brate = (double)games / base.cpu;
  printf("bench=tournament map=%s games=%llu strategies=%zu games_per_s=%.0f "
         "baseline_games_per_s=%.0f ratio=%.2f target=%.0f "
         "wall_games_per_s=%.0f wall_baseline_games_per_s=%.0f verdict=%s\n",
         model_map_id(map), (unsigned long long)games, n, rate, brate,
         rate / brate, TARGET, (double)games / with.wall,
         (double)games / base.wall, rate >= TARGET ? "ok" : "below_target");
  fflush(stdout);
  parts(map, all, n, games, 1e6 * with.cpu / (double)games);
  model_map_free(map);
  return 0;
}
