/*
 * tournament: headless, seeded tournaments between built-in strategies.
 *
 * A tournament is (map, strategies, seed, games). Game i is played
 * in-process (no sockets) by the model and the agents: every seat observes,
 * its strategy decides, the orders are submitted, the turn resolves; at the
 * end each seat's score is the model's last report. Everything about game i
 * follows from the tournament and i alone:
 *
 * - its seed, tour_game_seed(seed, i): splitmix64 of the tournament seed
 *   and i, cut to 63 bits so that it is a positive SQLite INTEGER and a
 *   valid session.create seed;
 * - its agents' seeds, tour_agent_seed(game seed, seat): the formula the
 *   server uses for a bot seat (sess_agent_seed), so a session created with
 *   the game's seed and the same strategies on the same seats replays the
 *   game;
 * - who plays which seat (the rotation, tour_plan_seat): for each seat kind
 *   (nation, firm), the strategies able to play it (agent_strategy_plays,
 *   in --strategies order) are dealt to that kind's seats in map order,
 *   starting at an offset that turns with i. The nation offset is
 *   i mod E_n and the firm offset (i / E_n) mod E_f, where E_n and E_f
 *   count the eligible strategies, so over one full cycle of E_n * E_f games
 *   every eligible strategy plays every seat exactly E_n * E_f / E_k times
 *   and meets every arrangement of the other kind's seats. Seats of a kind
 *   no listed strategy can play are "fillers": the standing strategy plays
 *   them and they are left out of the leaderboard; so are a map's
 *   seatless firms (issue 11, "seatless": true), which no strategy is
 *   dealt.
 *
 * So results do not depend on how games are spread over processes:
 * tour_run's J workers each play every J-th game of the list and the parent
 * stores the rows keyed by (game, seat); --shard I/N keeps the games with
 * i mod N == I, and tour_merge joins the shards of one tournament into the
 * database an unsharded run writes, table for table.
 *
 * The leaderboard (docs/agents.md, "Leaderboards") is computed from the
 * stored rows, in game order, after the games. Scores of different seats
 * are not comparable (a nation's is not a firm's, and firm scores have
 * long tails), so each seat's score becomes its percentile among all plays
 * of that seat in the tournament (mid-rank; 0.5 is the seat's median); a
 * strategy's result in a game is the mean percentile of its seats;
 * strategies are ranked in each game by it (ties share a place) and rated
 * with Weng-Lin Plackett-Luce (rating.h). Means are reported raw and
 * adjusted with 95% confidence intervals (Student t over games).
 *
 * The results database (SQLite; docs/agents.md lists the columns): tables
 * tournament (one row: map id and digest, strategies, seed, games, shard),
 * games (game, seed, final state hash), results (one row per game and seat:
 * game, seat, seed, seat id, kind, strategy, score in ppm, adjusted (the
 * percentile), rank, refused orders, failed turns), seats (each seat's
 * mean, deviation and median), leaderboard, and strategy_seats (each strategy's
 * mean score on each seat). A run writes OUT.tmp and renames it to OUT when
 * complete.
 *
 * Ownership: a tour_plan_t from tour_plan_new is freed with
 * tour_plan_free; it keeps pointers to the map and the strategies, which
 * must outlive it. Every other function copies what it keeps.
 */
#ifndef LANTHANIDE_TOURNAMENT_H
#define LANTHANIDE_TOURNAMENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent.h"
#include "model.h"

#if defined(__GNUC__)
#define TOUR_WUR __attribute__((warn_unused_result))
#else
#define TOUR_WUR
#endif

/* Limits. */
#define TOUR_STRATEGIES_MAX 64
#define TOUR_JOBS_MAX       256
#define TOUR_GAMES_MAX      ((uint64_t)1 << 40)
/* The results schema this build writes (PRAGMA user_version). */
#define TOUR_SCHEMA_VERSION 1
/* Leaderboard rating: mu - TOUR_RATING_Z * sigma. */
#define TOUR_RATING_Z 3.0

typedef enum {
  TOUR_OK = 0,
  TOUR_ENOMEM = -1,    /* out of memory */
  TOUR_EINVAL = -2,    /* a bad argument (the message says which) */
  TOUR_EDB = -3,       /* SQLite failed, or a file is not a results db */
  TOUR_EMODEL = -4,    /* the model refused to play a game */
  TOUR_EWORKER = -5,   /* a worker process failed */
  TOUR_EMISMATCH = -6, /* shards that are not of one tournament */
  TOUR_EINTR = -7,     /* stopped by the caller (*stop became nonzero) */
  TOUR_EIO = -8        /* a file could not be written */
} tour_err_t;

/* A sentence for a tour_err_t. Never NULL. */
const char *tour_strerror(int err);

/* ---- Seeds ---- */
uint64_t tour_game_seed(uint64_t tournament_seed, uint64_t game);
uint64_t tour_agent_seed(uint64_t game_seed, size_t seat);

/* ---- The rotation ---- */
typedef struct tour_plan tour_plan_t;

/* A plan for these strategies on this map. Fails (TOUR_EINVAL, with a
 * sentence in err) when no strategy can play any seat, a strategy appears
 * twice, or there are more than TOUR_STRATEGIES_MAX. */
TOUR_WUR int tour_plan_new(const model_map_t *map,
                           const agent_strategy_t *const *strategies,
                           size_t n_strategies, tour_plan_t **out, char *err,
                           size_t errlen);
void tour_plan_free(tour_plan_t *p);
/* Games in one full rotation: a tournament of a multiple of this many games
 * gives every strategy every seat equally often. */
uint64_t tour_plan_cycle(const tour_plan_t *p);
/* The index (into the plan's strategies) of the strategy that plays seat in
 * game i, or -1 for a filler seat. */
int tour_plan_seat(const tour_plan_t *p, uint64_t game, size_t seat);
/* ---- One game ---- */
typedef struct {
  int64_t score;   /* the seat's final score, ppm of its objectives */
  int32_t refused; /* orders the model refused over the game */
  int32_t failed;  /* turns the agent failed (it then stood) */
} tour_seat_result_t;

/* Play one game on map with seat_strategy[s] on seat s and the given seed;
 * fills out[s] for every seat and, if hash is not NULL, the final state's
 * hash. Returns 0 or a negative model_err_t. */
TOUR_WUR int tour_play(const model_map_t *map,
                       const agent_strategy_t *const *seat_strategy,
                       uint64_t seed, tour_seat_result_t *out,
                       uint8_t hash[MODEL_HASH_BYTES]);

/* ---- Outside bots (tour_host.c) ----
 * A bot that plays over the network enters a tournament as a command:
 * `--agent NAME=COMMAND` makes NAME a strategy beside the built-in ones
 * (it plays every kind of seat). In each game that seats it, the worker
 * playing the game serves the game on a private 127.0.0.1 port and starts
 * COMMAND (with /bin/sh -c) once per seat it plays, with LANTHANIDE_SERVER
 * (127.0.0.1:PORT), LANTHANIDE_SESSION, LANTHANIDE_TOKEN and
 * LANTHANIDE_SEAT in its environment. A turn closes when every bot's seat
 * is ready or turn_ms has passed; a seat not ready then plays its standing
 * orders and counts one failed turn (results column `failed`). The same
 * bots give the same results for any --jobs. */
typedef struct {
  agent_strategy_t strategy; /* id: NAME; kinds: AGENT_BOTH; act: stands */
  const char *command;       /* run with /bin/sh -c */
} tour_external_t;

typedef struct {
  const tour_external_t *externals;
  size_t n_externals;
  unsigned turn_ms;    /* each turn's budget (--agent-turn-ms) */
  unsigned start_ms;   /* for the bots to start and join (--agent-start-ms) */
  unsigned memory_mb;  /* address space of each bot (RLIMIT_AS); 0: none */
  const char *log_dir; /* each bot's output to DIR/SESSION-SEAT.log; NULL
                          discards it */
} tour_bots_t;

#define TOUR_AGENT_TURN_MS_DEFAULT   2000
#define TOUR_AGENT_START_MS_DEFAULT  20000
#define TOUR_AGENT_MEMORY_MB_DEFAULT 2048

/* Fill x from "NAME=COMMAND" (spec must outlive x). Refuses (TOUR_EINVAL,
 * with a sentence) a spec without '=', an empty or over-long NAME, a NAME
 * with a comma, or the name of a built-in strategy. */
TOUR_WUR int tour_external_parse(tour_external_t *x, const char *spec,
                                 char *name_buf, size_t name_cap, char *err,
                                 size_t errlen);

/* Play one game with outside bots on the seats where seat_external[s] >= 0
 * (an index into bots->externals) and built-in agents elsewhere; as
 * tour_play otherwise. game names the session ("t<game>"). If stop is not
 * NULL and becomes nonzero, the game ends at once (TOUR_EINTR, its bots
 * killed). Returns 0 or a tour_err_t with a sentence in err. */
TOUR_WUR int tour_play_hosted(
    const model_map_t *map, const agent_strategy_t *const *seat_strategy,
    const int *seat_external, const tour_bots_t *bots, uint64_t game,
    uint64_t seed, tour_seat_result_t *out, uint8_t hash[MODEL_HASH_BYTES],
    const volatile sig_atomic_t *stop, char *err, size_t errlen);

/* Kill (SIGKILL) the process group of every outside bot this process is
 * running; async-signal-safe, for a signal handler of a process about to
 * die. */
void tour_host_kill_all(void);

/* ---- A tournament ---- */
typedef struct {
  const model_map_t *map;
  const agent_strategy_t *const *strategies; /* contestants, in order */
  size_t n_strategies;
  uint64_t seed;
  uint64_t games;  /* of the whole tournament (1..TOUR_GAMES_MAX) */
  uint32_t shard;  /* play games with i % shards == shard */
  uint32_t shards; /* 1 for a whole tournament */
  unsigned jobs;   /* worker processes; 1 plays in this process */
  const char *out; /* results database to create */
  bool overwrite;  /* replace out if it exists (else TOUR_EINVAL) */
  const char *csv; /* also write the results rows as CSV, or NULL */
  /* Called in this process after every stored game and once at the end
   * with done == total; may be NULL. */
  void (*progress)(void *user, uint64_t done, uint64_t total);
  void *user;
  /* If not NULL, polled between games: nonzero stops the run
   * (TOUR_EINTR; workers are ended and nothing is left behind). */
  const volatile sig_atomic_t *stop;
  /* Outside bots among the strategies (their &externals[i].strategy), or
   * NULL. */
  const tour_bots_t *bots;
} tour_config_t;

/* Run a tournament (or one shard of it) and write its database. Returns 0
 * or a tour_err_t with a sentence in err. */
TOUR_WUR int tour_run(const tour_config_t *cfg, char *err, size_t errlen);

/* Join the databases of every shard of one tournament (in any order) into
 * out, recompute the leaderboard, and write csv if not NULL. Refuses
 * (TOUR_EMISMATCH) shards of different tournaments (map digest,
 * strategies, seed, games, shard count, engine version), a shard given
 * twice, a missing or incomplete shard. */
TOUR_WUR int tour_merge(const char *const *inputs, size_t n_inputs,
                        const char *out, bool overwrite, const char *csv,
                        char *err, size_t errlen);

/* Warn on f (each line starting with prefix) about strategies whose
 * ratings say nothing: two that never share a role (kinds[i] is a mask of
 * 1 << model_seat_kind_t of the seats strategy i plays), and one alone on
 * all its seats, whose adjusted result is 0.5 by construction. The
 * leaderboard printout carries the same lines. */
void tour_roles_warn(const char *const *names, const unsigned *kinds, size_t n,
                     const char *prefix, FILE *f);

/* Print a results database's summary and leaderboard to f. */
TOUR_WUR int tour_print(const char *db, FILE *f, char *err, size_t errlen);

/* Process-wide tuning for a program that plays many games in a row: keep
 * glibc's malloc from handing the top of the heap back to the kernel after
 * every game (the model allocates and frees a whole state per game; faulting
 * those pages in again cost 6% of a classroom game). Optional; call once,
 * before playing. Does nothing on other C libraries. */
void tour_tune_malloc(void);

/* ---- Statistics (exposed for the tests) ---- */

/* A running mean and variance (Welford). Zero-initialise. */
typedef struct {
  uint64_t n;
  double mean;
  double m2;
} tour_stat_t;

void tour_stat_add(tour_stat_t *s, double x);
/* The sample standard deviation (n - 1); 0 when n < 2. */
double tour_stat_sd(const tour_stat_t *s);
/* Half the width of the 95% confidence interval of the mean,
 * t(0.975, n - 1) * sd / sqrt(n); NAN when n < 2. */
double tour_stat_ci95(const tour_stat_t *s);
/* Student's t quantile at 0.975 for df degrees of freedom (df >= 1). */
double tour_t975(uint64_t df);

#endif
