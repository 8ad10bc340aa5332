/*
 * lanthanide tournament: headless, seeded tournaments between built-in
 * strategies, in this process and its workers (no server), and outside
 * bots entered as commands (--agent NAME=COMMAND: each of their games is
 * served on a private loopback port, tournament/tour_host.c).
 *
 *   lanthanide tournament --map M [--strategies a,b,c] [--games N]
 *       [--jobs J] [--seed S] --out results.db [--csv FILE] [--shard I/N]
 *   lanthanide tournament merge --out all.db [--csv FILE] SHARD.db...
 *   lanthanide tournament show results.db
 *
 * The engine is tournament/tournament.h; this file parses options, draws
 * the progress bar (on a terminal only) and prints the leaderboard.
 * docs/agents.md ("Leaderboards") explains the numbers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "tournament.h"

#ifndef LAN_SOURCE_MAPS
#define LAN_SOURCE_MAPS "maps"
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: lanthanide tournament --map MAP --out FILE [options]\n"
      "       lanthanide tournament merge --out FILE [--csv FILE] [--force] "
      "SHARD.db...\n"
      "       lanthanide tournament show FILE\n"
      "\n"
      "Plays seeded games between built-in strategies in this process (no "
      "server)\nand bots of your own (--agent), stores one row per game and "
      "seat in a SQLite\nfile, and prints a leaderboard.\n"
      "\n"
      "  --map MAP            a map id (looked up in --maps) or a .json file\n"
      "  --maps DIR           where map ids are looked up (default %s)\n"
      "  --strategies A,B,..  the contestants (default: every built-in "
      "strategy;\n"
      "                       `lanthanide tournament --list` names them)\n"
      "  --games N            games in the whole tournament (default 100)\n"
      "  --seed S             the tournament seed (default 1); game i's seed "
      "derives\n"
      "                       from S and i only\n"
      "  --jobs J             worker processes (default: the online CPUs); "
      "the\n"
      "                       results do not depend on J\n"
      "  --shard I/N          play only the games i with i mod N = I (0 <= I "
      "< N),\n"
      "                       for a job array; join the N files with `merge`\n"
      "  --out FILE           the results database to write\n"
      "  --csv FILE           also write the results rows as CSV\n"
      "  --force              replace --out (and --csv) if they exist\n"
      "  --quiet              no progress bar and no leaderboard\n"
      "  --list               list the built-in strategies and exit\n"
      "  --agent NAME=COMMAND make NAME a strategy played by an outside bot "
      "(repeatable):\n"
      "                       each game serves itself on a private 127.0.0.1 "
      "port and\n"
      "                       runs COMMAND (sh -c) once per seat NAME plays, "
      "with\n"
      "                       LANTHANIDE_SERVER, LANTHANIDE_SESSION, "
      "LANTHANIDE_TOKEN and\n"
      "                       LANTHANIDE_SEAT set (docs/bots.md)\n"
      "  --agent-turn-ms MS   a bot's time per turn (default %d); a bot late, "
      "crashed\n"
      "                       or silent plays its standing orders and the "
      "turn counts\n"
      "                       as failed\n"
      "  --agent-start-ms MS  time for the bots of a game to start and join "
      "(default %d)\n"
      "  --agent-memory-mb MB address space of each bot (default %d; 0 for "
      "no limit)\n"
      "  --agent-logs DIR     keep each bot's output in DIR/SESSION-SEAT.log\n"
      "\n"
      "Seats are rotated so that over a cycle of games every strategy plays "
      "every\nseat equally often; a multiple of the cycle (printed) gives "
      "exact balance.\nExit status: 0 success, 1 failure, 2 usage, 130 "
      "interrupted.\n",
      LAN_SOURCE_MAPS, TOUR_AGENT_TURN_MS_DEFAULT, TOUR_AGENT_START_MS_DEFAULT,
      TOUR_AGENT_MEMORY_MB_DEFAULT);
}

/* ---- Progress bar ---- */

typedef struct {
  struct timespec start;
  double last;
  bool drawn;
} bar_t;

static double since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) +
         (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void fmt_time(double s, char *buf, size_t cap) {
  long t = s < 0 ? 0 : (long)(s + 0.5);
  if (t >= 3600)
    snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

static void on_progress(void *user, uint64_t done, uint64_t total) {
  bar_t *b = user;
  double now = since(&b->start);
  /* Ten redraws a second at most: a terminal is slower than the games. */
  if (done < total && b->drawn && now - b->last < 0.1)
    return;
  b->last = now;
  b->drawn = true;
  enum { WIDTH = 30 };
  int fill = total ? (int)(WIDTH * done / total) : WIDTH;
  char bar[WIDTH + 1];
  for (int i = 0; i < WIDTH; i++)
    bar[i] = i < fill ? '#' : '.';
  bar[WIDTH] = '\0';
  double rate = now > 0 ? (double)done / now : 0;
  char eta[48] = "--:--", el[48];
  if (rate > 0)
    fmt_time((double)(total - done) / rate, eta, sizeof eta);
  fmt_time(now, el, sizeof el);
  fprintf(stderr,
          "\r[%s] %" PRIu64 "/%" PRIu64 " %5.1f%%  %.0f games/s  %s %s ", bar,
          done, total, total ? 100.0 * (double)done / (double)total : 100, rate,
          done < total ? "ETA" : "in", done < total ? eta : el);
  if (done >= total)
    fputc('\n', stderr);
  fflush(stderr);
}

/* ---- Options ---- */

static int parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-')
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

static int parse_shard(const char *s, uint32_t *i, uint32_t *n) {
  const char *slash = strchr(s, '/');
  if (!slash)
    return -1;
  char a[24];
  size_t len = (size_t)(slash - s);
  if (len == 0 || len >= sizeof a)
    return -1;
  memcpy(a, s, len);
  a[len] = '\0';
  uint64_t x, y;
  if (parse_u64(a, &x) || parse_u64(slash + 1, &y) || y == 0 ||
      y > UINT32_MAX || x >= y)
    return -1;
  *i = (uint32_t)x;
  *n = (uint32_t)y;
  return 0;
}

/* The strategies named in list (comma-separated): built-in ones and the
 * outside bots of --agent; for NULL or "all", every built-in one and every
 * bot. */
static int parse_strategies(const char *list, const tour_bots_t *bots,
                            const agent_strategy_t **out, size_t *n) {
  *n = 0;
  if (!list || strcmp(list, "all") == 0) {
    size_t k = agent_strategy_count();
    for (size_t i = 0; i < k && *n < TOUR_STRATEGIES_MAX; i++)
      out[(*n)++] = agent_strategy_at(i);
    for (size_t i = 0; i < bots->n_externals && *n < TOUR_STRATEGIES_MAX; i++)
      out[(*n)++] = &bots->externals[i].strategy;
    return 0;
  }
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    char id[MODEL_ID_MAX];
    if (len == 0 || len >= sizeof id) {
      fprintf(stderr, "lanthanide tournament: --strategies takes ids "
                      "separated by commas, such as standing,cautious\n");
      return -1;
    }
    memcpy(id, p, len);
    id[len] = '\0';
    const agent_strategy_t *s = agent_find(id);
    for (size_t i = 0; !s && i < bots->n_externals; i++)
      if (strcmp(bots->externals[i].strategy.id, id) == 0)
        s = &bots->externals[i].strategy;
    if (!s) {
      fprintf(stderr,
              "lanthanide tournament: no strategy '%s' (the built-in ones "
              "are listed by `lanthanide tournament --list`; a bot of your "
              "own enters with --agent %s=COMMAND)\n",
              id, id);
      return -1;
    }
    if (*n >= TOUR_STRATEGIES_MAX) {
      fprintf(stderr, "lanthanide tournament: at most %d strategies\n",
              TOUR_STRATEGIES_MAX);
      return -1;
    }
    out[(*n)++] = s;
    p += len + (p[len] == ',');
  }
  return 0;
}

static void list_strategies(void) {
  for (size_t i = 0; i < agent_strategy_count(); i++) {
    const agent_strategy_t *s = agent_strategy_at(i);
    const char *kinds =
        agent_strategy_plays(s, MODEL_SEAT_NATION)
            ? (agent_strategy_plays(s, MODEL_SEAT_FIRM) ? "nations and firms"
                                                        : "nations")
            : "firms";
    printf("%-14s %-18s %s\n", s->id, kinds, s->description);
  }
}

static model_map_t *load_map(const char *map, const char *maps_dir) {
  char path[4096];
  size_t len = strlen(map);
  if (strchr(map, '/') || (len > 5 && strcmp(map + len - 5, ".json") == 0))
    snprintf(path, sizeof path, "%s", map);
  else
    snprintf(path, sizeof path, "%s/%s.json", maps_dir, map);
  model_map_t *m = NULL;
  model_error_t e;
  memset(&e, 0, sizeof e);
  int rc = model_map_load_file(path, &m, &e);
  if (rc == MODEL_EMAP)
    fprintf(stderr, "lanthanide tournament: %s:%d:%d: %s\n", e.file, e.line,
            e.column, e.message);
  else if (rc != 0)
    fprintf(stderr, "lanthanide tournament: cannot load map %s: %s\n", path,
            model_strerror(rc));
  return rc == 0 ? m : NULL;
}

static void catch_signals(void) {
  /* No SA_RESTART: the runner's poll() must return so it sees the flag. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static int finish(int rc, const char *err) {
  if (rc == 0)
    return UI_EXIT_OK;
  fprintf(stderr, "lanthanide tournament: %s\n", err);
  if (rc == TOUR_EINTR)
    return 130;
  return rc == TOUR_EINVAL ? UI_EXIT_USAGE : UI_EXIT_FAIL;
}

static int cmd_merge(int argc, char **argv) {
  static const struct option longopts[] = {
      {"out", required_argument, NULL, 'o'},
      {"csv", required_argument, NULL, 'c'},
      {"force", no_argument, NULL, 'f'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *out = NULL, *csv = NULL;
  bool force = false, quiet = false;
  int ch;
  optind = 0;
  while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'o':
      out = optarg;
      break;
    case 'c':
      csv = optarg;
      break;
    case 'f':
      force = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    default:
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  if (!out || optind >= argc) {
    fprintf(stderr, "usage: lanthanide tournament merge --out FILE [--csv "
                    "FILE] [--force] SHARD.db...\n");
    return UI_EXIT_USAGE;
  }
  char err[1024] = "";
  int rc =
      tour_merge((const char *const *)(argv + optind), (size_t)(argc - optind),
                 out, force, csv, err, sizeof err);
  if (rc == 0 && !quiet)
    rc = tour_print(out, stdout, err, sizeof err);
  return finish(rc, err);
}

int cmd_tournament(int argc, char **argv, const ui_conn_opts_t *dflt) {
  (void)dflt; /* no server involved */
  if (argc > 1 && strcmp(argv[1], "merge") == 0)
    return cmd_merge(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "show") == 0) {
    if (argc == 3 &&
        (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
      printf("usage: lanthanide tournament show FILE\n\n"
             "Print the leaderboard stored in a tournament's results "
             "database.\n");
      return UI_EXIT_OK;
    }
    if (argc != 3) {
      fprintf(stderr, "usage: lanthanide tournament show FILE\n");
      return UI_EXIT_USAGE;
    }
    char err[1024] = "";
    return finish(tour_print(argv[2], stdout, err, sizeof err), err);
  }
  static const struct option longopts[] = {
      {"map", required_argument, NULL, 'm'},
      {"maps", required_argument, NULL, 'M'},
      {"strategies", required_argument, NULL, 's'},
      {"games", required_argument, NULL, 'g'},
      {"seed", required_argument, NULL, 'S'},
      {"jobs", required_argument, NULL, 'j'},
      {"shard", required_argument, NULL, 'x'},
      {"out", required_argument, NULL, 'o'},
      {"csv", required_argument, NULL, 'c'},
      {"force", no_argument, NULL, 'f'},
      {"quiet", no_argument, NULL, 'q'},
      {"list", no_argument, NULL, 'l'},
      {"agent", required_argument, NULL, 'A'},
      {"agent-turn-ms", required_argument, NULL, 'T'},
      {"agent-start-ms", required_argument, NULL, 'B'},
      {"agent-memory-mb", required_argument, NULL, 'R'},
      {"agent-logs", required_argument, NULL, 'L'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *map_name = NULL, *maps_dir = LAN_SOURCE_MAPS, *list = NULL;
  static tour_external_t externals[TOUR_STRATEGIES_MAX];
  static char ext_names[TOUR_STRATEGIES_MAX][MODEL_ID_MAX];
  tour_bots_t bots = {externals,
                      0,
                      TOUR_AGENT_TURN_MS_DEFAULT,
                      TOUR_AGENT_START_MS_DEFAULT,
                      TOUR_AGENT_MEMORY_MB_DEFAULT,
                      NULL};
  char perr[512];
  tour_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.games = 100;
  cfg.seed = 1;
  cfg.shards = 1;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  cfg.jobs =
      cpus > 0 ? (unsigned)(cpus < TOUR_JOBS_MAX ? cpus : TOUR_JOBS_MAX) : 1;
  bool quiet = false;
  uint64_t v;
  int ch;
  optind = 0;
  while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'm':
      map_name = optarg;
      break;
    case 'M':
      maps_dir = optarg;
      break;
    case 's':
      list = optarg;
      break;
    case 'g':
      if (parse_u64(optarg, &cfg.games) || cfg.games == 0 ||
          cfg.games > TOUR_GAMES_MAX) {
        fprintf(stderr, "lanthanide tournament: --games must be a whole "
                        "number from 1 to 2^40\n");
        return UI_EXIT_USAGE;
      }
      break;
    case 'S':
      if (parse_u64(optarg, &cfg.seed)) {
        fprintf(stderr, "lanthanide tournament: --seed must be a whole "
                        "number from 0 to 2^64-1\n");
        return UI_EXIT_USAGE;
      }
      break;
    case 'j':
      if (parse_u64(optarg, &v) || v == 0 || v > TOUR_JOBS_MAX) {
        fprintf(stderr, "lanthanide tournament: --jobs must be from 1 to %d\n",
                TOUR_JOBS_MAX);
        return UI_EXIT_USAGE;
      }
      cfg.jobs = (unsigned)v;
      break;
    case 'x':
      if (parse_shard(optarg, &cfg.shard, &cfg.shards)) {
        fprintf(stderr, "lanthanide tournament: --shard takes I/N with "
                        "0 <= I < N, such as 0/8\n");
        return UI_EXIT_USAGE;
      }
      break;
    case 'o':
      cfg.out = optarg;
      break;
    case 'c':
      cfg.csv = optarg;
      break;
    case 'f':
      cfg.overwrite = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'l':
      list_strategies();
      return UI_EXIT_OK;
    case 'A':
      if (bots.n_externals >= TOUR_STRATEGIES_MAX) {
        fprintf(stderr, "lanthanide tournament: at most %d --agent\n",
                TOUR_STRATEGIES_MAX);
        return UI_EXIT_USAGE;
      }
      if (tour_external_parse(&externals[bots.n_externals], optarg,
                              ext_names[bots.n_externals], MODEL_ID_MAX, perr,
                              sizeof perr) != 0) {
        fprintf(stderr, "lanthanide tournament: %s\n", perr);
        return UI_EXIT_USAGE;
      }
      for (size_t i = 0; i < bots.n_externals; i++)
        if (strcmp(ext_names[i], ext_names[bots.n_externals]) == 0) {
          fprintf(stderr, "lanthanide tournament: --agent %s is given twice\n",
                  ext_names[i]);
          return UI_EXIT_USAGE;
        }
      bots.n_externals++;
      break;
    case 'T':
    case 'B':
    case 'R':
      if (parse_u64(optarg, &v) || v > 86400000 || (ch == 'T' && v == 0)) {
        fprintf(stderr,
                "lanthanide tournament: --%s must be a whole number%s\n",
                ch == 'T'   ? "agent-turn-ms"
                : ch == 'B' ? "agent-start-ms"
                            : "agent-memory-mb",
                ch == 'T' ? " of milliseconds from 1 to 86400000"
                          : " from 0 to 86400000");
        return UI_EXIT_USAGE;
      }
      if (ch == 'T')
        bots.turn_ms = (unsigned)v;
      else if (ch == 'B')
        bots.start_ms = (unsigned)v;
      else
        bots.memory_mb = (unsigned)v;
      break;
    case 'L':
      bots.log_dir = optarg;
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    default:
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "lanthanide tournament: unexpected '%s' (see --help)\n",
            argv[optind]);
    return UI_EXIT_USAGE;
  }
  if (!map_name || !cfg.out) {
    fprintf(stderr, "lanthanide tournament: --map and --out are required "
                    "(see --help)\n");
    return UI_EXIT_USAGE;
  }
  const agent_strategy_t *strategies[TOUR_STRATEGIES_MAX];
  if (parse_strategies(list, &bots, strategies, &cfg.n_strategies) != 0)
    return UI_EXIT_USAGE;
  if (bots.n_externals > 0)
    cfg.bots = &bots;
  if (bots.log_dir && mkdir(bots.log_dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "lanthanide tournament: --agent-logs %s: %s\n",
            bots.log_dir, strerror(errno));
    return UI_EXIT_FAIL;
  }
  model_map_t *map = load_map(map_name, maps_dir);
  if (!map)
    return UI_EXIT_FAIL;
  cfg.map = map;
  cfg.strategies = strategies;
  {
    /* Say before the games what the leaderboard will say after them. */
    const char *names[TOUR_STRATEGIES_MAX];
    unsigned kinds[TOUR_STRATEGIES_MAX];
    bool has[2] = {false, false};
    for (size_t s = 0; s < model_map_seat_count(map); s++)
      has[model_map_seat_kind(map, s) == MODEL_SEAT_NATION ? 0 : 1] = true;
    for (size_t i = 0; i < cfg.n_strategies; i++) {
      names[i] = strategies[i]->id;
      kinds[i] = 0;
      for (int k = 0; k < 2; k++)
        if (has[k] && agent_strategy_plays(strategies[i], k))
          kinds[i] |= 1u << k;
    }
    tour_roles_warn(names, kinds, cfg.n_strategies,
                    "lanthanide tournament: warning: ", stderr);
  }
  bar_t bar;
  memset(&bar, 0, sizeof bar);
  clock_gettime(CLOCK_MONOTONIC, &bar.start);
  if (!quiet && isatty(STDERR_FILENO)) {
    cfg.progress = on_progress;
    cfg.user = &bar;
  }
  cfg.stop = &stop_requested;
  catch_signals();
  tour_tune_malloc();
  char err[1024] = "";
  int rc = tour_run(&cfg, err, sizeof err);
  if (rc != 0 && bar.drawn)
    fputc('\n', stderr); /* leave the bar's line to it */
  if (rc == 0 && !quiet) {
    double s = since(&bar.start);
    uint64_t played = (cfg.games - cfg.shard - 1) / cfg.shards + 1;
    printf("%" PRIu64 " games in %.1f s (%.0f games/s, %u jobs); results in "
           "%s%s%s\n\n",
           played, s, s > 0 ? (double)played / s : 0.0, cfg.jobs, cfg.out,
           cfg.csv ? " and " : "", cfg.csv ? cfg.csv : "");
    rc = tour_print(cfg.out, stdout, err, sizeof err);
  }
  model_map_free(map);
  return finish(rc, err);
}
