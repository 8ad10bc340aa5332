/*
 * The headless tournament runner (tournament.h): seeds and the seat
 * rotation, one game in-process, the worker processes, the results
 * database, the leaderboard, shard merging and printing.
 */
#include "tournament.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "rating.h"

#ifndef LAN_VERSION
#define LAN_VERSION "unknown"
#endif

#define GOLDEN 0x9e3779b97f4a7c15ULL
#define KINDS  2 /* MODEL_SEAT_NATION, MODEL_SEAT_FIRM */

const char *tour_strerror(int err) {
  switch (err) {
  case TOUR_OK:
    return "success";
  case TOUR_ENOMEM:
    return "out of memory";
  case TOUR_EINVAL:
    return "invalid argument";
  case TOUR_EDB:
    return "results database error";
  case TOUR_EMODEL:
    return "the model failed to play a game";
  case TOUR_EWORKER:
    return "a worker process failed";
  case TOUR_EMISMATCH:
    return "the shards are not of one tournament";
  case TOUR_EINTR:
    return "stopped";
  case TOUR_EIO:
    return "a file could not be written";
  default:
    return "unknown error";
  }
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- Seeds ---- */

/* The splitmix64 finaliser: a bijection on 64 bits that spreads every input
 * bit over the output, so neighbouring game indices get unrelated seeds. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t tour_game_seed(uint64_t tournament_seed, uint64_t game) {
  return mix64(tournament_seed + GOLDEN * (game + 1)) >> 1;
}

uint64_t tour_agent_seed(uint64_t game_seed, size_t seat) {
  /* Must stay equal to server/sess.c's sess_agent_seed, so that a session
   * created with a game's seed replays it with the same agent decisions. */
  return game_seed ^ (GOLDEN * (uint64_t)(seat + 1));
}

/* ---- The rotation ---- */

struct tour_plan {
  const model_map_t *map;
  const agent_strategy_t *const *strategies;
  size_t n_strategies;
  size_t n_seats;
  int *kind;   /* [seat] */
  size_t *pos; /* [seat]: its place among the seats of its kind */
  size_t n_elig[KINDS];
  int elig[KINDS][TOUR_STRATEGIES_MAX];
  uint64_t div[KINDS]; /* the kind's offset turns every div games */
  uint64_t cycle;
};

int tour_plan_new(const model_map_t *map,
                  const agent_strategy_t *const *strategies,
                  size_t n_strategies, tour_plan_t **out, char *err,
                  size_t errlen) {
  *out = NULL;
  if (!map || !strategies || n_strategies == 0) {
    set_err(err, errlen, "a tournament needs a map and one strategy or more");
    return TOUR_EINVAL;
  }
  if (n_strategies > TOUR_STRATEGIES_MAX) {
    set_err(err, errlen, "at most %d strategies in a tournament (got %zu)",
            TOUR_STRATEGIES_MAX, n_strategies);
    return TOUR_EINVAL;
  }
  for (size_t i = 0; i < n_strategies; i++) {
    if (!strategies[i] || !strategies[i]->id ||
        strlen(strategies[i]->id) >= MODEL_ID_MAX ||
        strchr(strategies[i]->id, ',')) {
      set_err(err, errlen, "strategy %zu has no usable id", i + 1);
      return TOUR_EINVAL;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(strategies[i]->id, strategies[j]->id) == 0) {
        set_err(err, errlen,
                "strategy '%s' is listed twice; list each strategy once "
                "(the rotation gives it every seat)",
                strategies[i]->id);
        return TOUR_EINVAL;
      }
  }
  size_t n_seats = model_map_seat_count(map);
  tour_plan_t *p = calloc(1, sizeof *p);
  if (!p)
    return TOUR_ENOMEM;
  p->kind = calloc(n_seats ? n_seats : 1, sizeof *p->kind);
  p->pos = calloc(n_seats ? n_seats : 1, sizeof *p->pos);
  if (!p->kind || !p->pos) {
    tour_plan_free(p);
    return TOUR_ENOMEM;
  }
  p->map = map;
  p->strategies = strategies;
  p->n_strategies = n_strategies;
  p->n_seats = n_seats;
  size_t count[KINDS] = {0, 0};
  for (size_t s = 0; s < n_seats; s++) {
    int k = model_map_seat_kind(map, s);
    if (k < 0 || k >= KINDS) {
      set_err(err, errlen, "seat %zu of the map has an unknown kind", s);
      tour_plan_free(p);
      return TOUR_EINVAL;
    }
    p->kind[s] = k;
    p->pos[s] = count[k]++;
  }
  for (int k = 0; k < KINDS; k++)
    for (size_t i = 0; i < n_strategies; i++)
      if (agent_strategy_plays(strategies[i], k))
        p->elig[k][p->n_elig[k]++] = (int)i;
  for (size_t i = 0; i < n_strategies; i++) {
    bool plays = false;
    for (int k = 0; k < KINDS; k++)
      plays |= count[k] > 0 && agent_strategy_plays(strategies[i], k);
    if (!plays) {
      bool nat = agent_strategy_plays(strategies[i], MODEL_SEAT_NATION);
      bool firm = agent_strategy_plays(strategies[i], MODEL_SEAT_FIRM);
      set_err(err, errlen,
              "strategy '%s' can play no seat of map '%s' (it plays %s; the "
              "map has %zu nation and %zu firm seats)",
              strategies[i]->id, model_map_id(map),
              nat && firm ? "every seat"
              : nat       ? "nation seats"
              : firm      ? "firm seats"
                          : "no seat",
              count[MODEL_SEAT_NATION], count[MODEL_SEAT_FIRM]);
      tour_plan_free(p);
      return TOUR_EINVAL;
    }
  }
  /* A mixed-radix counter over the kinds: nations turn every game, firms
   * every E_n games, so one cycle holds every pair of offsets once. */
  p->cycle = 1;
  for (int k = 0; k < KINDS; k++) {
    p->div[k] = p->cycle;
    if (count[k] > 0 && p->n_elig[k] > 0)
      p->cycle *= p->n_elig[k];
  }
  *out = p;
  return 0;
}

void tour_plan_free(tour_plan_t *p) {
  if (!p)
    return;
  free(p->kind);
  free(p->pos);
  free(p);
}

uint64_t tour_plan_cycle(const tour_plan_t *p) {
  return p->cycle;
}

int tour_plan_seat(const tour_plan_t *p, uint64_t game, size_t seat) {
  if (seat >= p->n_seats)
    return -1;
  int k = p->kind[seat];
  size_t e = p->n_elig[k];
  if (e == 0)
    return -1;
  uint64_t offset = (game / p->div[k]) % e;
  return p->elig[k][(p->pos[seat] + offset) % e];
}

/* ---- One game ---- */

int tour_play(const model_map_t *map,
              const agent_strategy_t *const *seat_strategy, uint64_t seed,
              tour_seat_result_t *out, uint8_t hash[MODEL_HASH_BYTES]) {
  size_t n = model_map_seat_count(map);
  model_state_t *st = NULL;
  int rc = model_state_new(map, seed, &st);
  if (rc != 0)
    return rc;
  agent_t **agents = calloc(n ? n : 1, sizeof *agents);
  model_order_t *orders = malloc(MODEL_ORDERS_MAX * sizeof *orders);
  if (!agents || !orders) {
    rc = MODEL_ENOMEM;
    goto done;
  }
  for (size_t s = 0; s < n; s++) {
    out[s] = (tour_seat_result_t){0, 0, 0};
    agents[s] = agent_new(seat_strategy[s], tour_agent_seed(seed, s));
    if (!agents[s]) {
      rc = MODEL_ENOMEM;
      goto done;
    }
  }
  /* `standing` sends nothing, ever (agents/standing.c): its seats skip the
   * observation, a fifth of the cost of a classroom game, and play their
   * standing orders exactly as if it had been asked. */
  const agent_strategy_t *standing = agent_find("standing");
  while (model_state_turn(st) < model_state_turns(st)) {
    for (size_t s = 0; s < n; s++) {
      model_obs_t *obs = NULL;
      size_t k = 0, refused = 0;
      if (seat_strategy[s] == standing)
        continue;
      rc = model_observe(st, (int)s, &obs);
      if (rc != 0)
        goto done;
      /* As in the server (sess_agent_act): a failing agent stands. */
      if (agent_act(agents[s], obs, orders, MODEL_ORDERS_MAX, &k) != 0) {
        out[s].failed++;
        k = 0;
      }
      model_obs_free(obs);
      if (k == 0)
        continue;
      rc = model_submit(st, (int)s, orders, k, NULL, 0, &refused);
      if (rc != 0)
        goto done;
      out[s].refused += (int32_t)refused;
    }
    rc = model_resolve(st);
    if (rc != 0)
      goto done;
  }
  const model_report_t *rep = model_last_report(st);
  for (size_t s = 0; s < n; s++)
    out[s].score = rep->scores[s];
  if (hash)
    rc = model_state_hash(st, hash);
done:
  if (agents)
    for (size_t s = 0; s < n; s++)
      agent_free(agents[s]);
  free(agents);
  free(orders);
  model_state_free(st);
  return rc;
}

void tour_tune_malloc(void) {
#ifdef __GLIBC__
  /* 256 MiB: far above a game's footprint, so the heap stays mapped. */
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

/* ---- Statistics ---- */

void tour_stat_add(tour_stat_t *s, double x) {
  s->n++;
  double d = x - s->mean;
  s->mean += d / (double)s->n;
  s->m2 += d * (x - s->mean);
}

double tour_stat_sd(const tour_stat_t *s) {
  return s->n < 2 ? 0.0 : sqrt(s->m2 / (double)(s->n - 1));
}

double tour_t975(uint64_t df) {
  /* Exact to 9 digits for small samples, where the normal 1.96 would make
   * the interval too narrow; beyond 30 the Cornish-Fisher expansion in
   * 1/df (Abramowitz and Stegun 26.7.5) is within 1e-6. */
  static const double table[31] = {
      NAN,        12.70620474, 4.30265273, 3.18244631, 2.77644511, 2.57058184,
      2.44691185, 2.36462425,  2.30600414, 2.26215716, 2.22813885, 2.20098516,
      2.17881283, 2.16036866,  2.14478669, 2.13144955, 2.11990530, 2.10981558,
      2.10092204, 2.09302405,  2.08596345, 2.07961384, 2.07387307, 2.06865761,
      2.06389856, 2.05953855,  2.05552944, 2.05183052, 2.04840714, 2.04522964,
      2.04227246};
  if (df == 0)
    return NAN;
  if (df <= 30)
    return table[df];
  double z = 1.959963984540054, v = (double)df;
  double z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
  double g1 = (z3 + z) / 4;
  double g2 = (5 * z5 + 16 * z3 + 3 * z) / 96;
  double g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384;
  double g4 = (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92160;
  return z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v);
}

double tour_stat_ci95(const tour_stat_t *s) {
  if (s->n < 2)
    return NAN;
  return tour_t975(s->n - 1) * tour_stat_sd(s) / sqrt((double)s->n);
}

/* ---- The results database ---- */

static const char SCHEMA[] = "CREATE TABLE tournament ("
                             "  id INTEGER PRIMARY KEY CHECK (id = 1),"
                             "  engine_version TEXT NOT NULL,"
                             "  map_id TEXT NOT NULL,"
                             "  map_digest TEXT NOT NULL,"
                             "  map_seats INTEGER NOT NULL,"
                             "  map_turns INTEGER NOT NULL,"
                             "  strategies TEXT NOT NULL,"
                             "  seed TEXT NOT NULL,"
                             "  games INTEGER NOT NULL,"
                             "  shard INTEGER NOT NULL,"
                             "  shards INTEGER NOT NULL,"
                             "  cycle INTEGER NOT NULL,"
                             "  rating TEXT NOT NULL"
                             ");"
                             "CREATE TABLE games ("
                             "  game INTEGER PRIMARY KEY,"
                             "  seed INTEGER NOT NULL,"
                             "  hash TEXT NOT NULL"
                             ");"
                             "CREATE TABLE results ("
                             "  game INTEGER NOT NULL,"
                             "  seat INTEGER NOT NULL,"
                             "  seed INTEGER NOT NULL,"
                             "  seat_id TEXT NOT NULL,"
                             "  kind TEXT NOT NULL,"
                             "  strategy TEXT NOT NULL,"
                             "  rated INTEGER NOT NULL,"
                             "  score INTEGER NOT NULL,"
                             "  adjusted REAL,"
                             "  rank INTEGER,"
                             "  refused INTEGER NOT NULL,"
                             "  failed INTEGER NOT NULL,"
                             "  PRIMARY KEY (game, seat)"
                             ") WITHOUT ROWID;"
                             "CREATE TABLE seats ("
                             "  seat INTEGER PRIMARY KEY,"
                             "  seat_id TEXT NOT NULL,"
                             "  kind TEXT NOT NULL,"
                             "  n INTEGER NOT NULL,"
                             "  mean REAL NOT NULL,"
                             "  sd REAL NOT NULL,"
                             "  median REAL"
                             ");"
                             "CREATE TABLE leaderboard ("
                             "  position INTEGER PRIMARY KEY,"
                             "  strategy TEXT NOT NULL,"
                             "  games INTEGER NOT NULL,"
                             "  seats INTEGER NOT NULL,"
                             "  rating REAL NOT NULL,"
                             "  mu REAL NOT NULL,"
                             "  sigma REAL NOT NULL,"
                             "  adjusted REAL,"
                             "  adjusted_ci95 REAL,"
                             "  score REAL,"
                             "  score_ci95 REAL"
                             ");"
                             "CREATE TABLE strategy_seats ("
                             "  strategy TEXT NOT NULL,"
                             "  seat INTEGER NOT NULL,"
                             "  seat_id TEXT NOT NULL,"
                             "  n INTEGER NOT NULL,"
                             "  score REAL NOT NULL,"
                             "  score_ci95 REAL,"
                             "  PRIMARY KEY (strategy, seat)"
                             ");";

/* What identifies a tournament, as its row in the database. */
typedef struct {
  char engine[32];
  char map_id[MODEL_ID_MAX];
  char map_digest[2 * MODEL_HASH_BYTES + 1];
  int64_t map_seats;
  int64_t map_turns;
  char strategies[TOUR_STRATEGIES_MAX * MODEL_ID_MAX];
  uint64_t seed;
  uint64_t games;
  uint32_t shard, shards;
  uint64_t cycle;
  char rating[192];
} meta_t;

/* The leaderboard's rating: openskill's defaults but tau = 0, because a
 * built-in strategy does not change between games (Halite froze tau for its
 * finals for the same reason): every game then counts alike, whatever its
 * place in the order. */
static rating_model_t board_model(void) {
  rating_model_t m = rating_model_default();
  m.tau = 0;
  return m;
}

static void hex(const uint8_t *b, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

static int db_fail(sqlite3 *db, char *err, size_t errlen, const char *what) {
  set_err(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "no db");
  return TOUR_EDB;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    set_err(err, errlen, "%s (in: %.60s)", msg ? msg : "sqlite error", sql);
    sqlite3_free(msg);
    return TOUR_EDB;
  }
  return 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err,
                   size_t errlen) {
  if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
    return db_fail(db, err, errlen, "preparing a statement");
  return 0;
}

static int write_meta(sqlite3 *db, const meta_t *m, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db,
                   "INSERT INTO tournament VALUES "
                   "(1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   &st, err, errlen);
  if (rc)
    return rc;
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->seed);
  sqlite3_bind_text(st, 1, m->engine, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, m->map_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, m->map_digest, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, m->map_seats);
  sqlite3_bind_int64(st, 5, m->map_turns);
  sqlite3_bind_text(st, 6, m->strategies, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, seed, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 8, (int64_t)m->games);
  sqlite3_bind_int64(st, 9, m->shard);
  sqlite3_bind_int64(st, 10, m->shards);
  sqlite3_bind_int64(st, 11, (int64_t)m->cycle);
  sqlite3_bind_text(st, 12, m->rating, -1, SQLITE_STATIC);
  rc = sqlite3_step(st) == SQLITE_DONE
           ? 0
           : db_fail(db, err, errlen, "writing the tournament row");
  sqlite3_finalize(st);
  return rc;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap) {
  const unsigned char *t = sqlite3_column_text(st, col);
  snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static int read_meta(sqlite3 *db, meta_t *m, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  memset(m, 0, sizeof *m);
  if (sqlite3_prepare_v2(db,
                         "SELECT engine_version, map_id, map_digest, "
                         "map_seats, map_turns, strategies, seed, games, "
                         "shard, shards, cycle, rating FROM tournament "
                         "WHERE id = 1",
                         -1, &st, NULL) != SQLITE_OK) {
    set_err(err, errlen, "not a tournament results database (%s)",
            sqlite3_errmsg(db));
    return TOUR_EDB;
  }
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    set_err(err, errlen, "the database has no tournament row");
    return TOUR_EDB;
  }
  copy_col(st, 0, m->engine, sizeof m->engine);
  copy_col(st, 1, m->map_id, sizeof m->map_id);
  copy_col(st, 2, m->map_digest, sizeof m->map_digest);
  m->map_seats = sqlite3_column_int64(st, 3);
  m->map_turns = sqlite3_column_int64(st, 4);
  copy_col(st, 5, m->strategies, sizeof m->strategies);
  const unsigned char *seed = sqlite3_column_text(st, 6);
  m->seed = seed ? strtoull((const char *)seed, NULL, 10) : 0;
  m->games = (uint64_t)sqlite3_column_int64(st, 7);
  m->shard = (uint32_t)sqlite3_column_int64(st, 8);
  m->shards = (uint32_t)sqlite3_column_int64(st, 9);
  m->cycle = (uint64_t)sqlite3_column_int64(st, 10);
  copy_col(st, 11, m->rating, sizeof m->rating);
  sqlite3_finalize(st);
  return 0;
}

/* Create path.tmp with the schema (removing a stale one). The database is
 * written once and renamed to its name only when complete, so a crash
 * leaves a .tmp file, never a half-written results file; a rollback
 * journal and fsyncs would buy nothing, and are off. */
static int db_create(const char *path, bool overwrite, sqlite3 **out,
                     char **tmp_out, char *err, size_t errlen) {
  *out = NULL;
  *tmp_out = NULL;
  struct stat sb;
  if (!overwrite && stat(path, &sb) == 0) {
    set_err(err, errlen,
            "%s exists; remove it, choose another file, or overwrite it "
            "(--force)",
            path);
    return TOUR_EINVAL;
  }
  size_t len = strlen(path) + 5;
  char *tmp = malloc(len);
  if (!tmp)
    return TOUR_ENOMEM;
  snprintf(tmp, len, "%s.tmp", path);
  if (unlink(tmp) != 0 && errno != ENOENT) {
    set_err(err, errlen, "cannot remove the stale %s: %s", tmp,
            strerror(errno));
    free(tmp);
    return TOUR_EIO;
  }
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      NULL) != SQLITE_OK) {
    db_fail(db, err, errlen, tmp);
    sqlite3_close(db);
    free(tmp);
    return TOUR_EDB;
  }
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA user_version=%d", TOUR_SCHEMA_VERSION);
  int rc = exec(db, "PRAGMA journal_mode=OFF", err, errlen);
  if (!rc)
    rc = exec(db, "PRAGMA synchronous=OFF", err, errlen);
  if (!rc)
    rc = exec(db, SCHEMA, err, errlen);
  if (!rc)
    rc = exec(db, sql, err, errlen);
  if (rc) {
    sqlite3_close(db);
    unlink(tmp);
    free(tmp);
    return rc;
  }
  *out = db;
  *tmp_out = tmp;
  return 0;
}

/* Close db and move tmp to path (or drop tmp when failed). */
static int db_finish(sqlite3 *db, char *tmp, const char *path, bool failed,
                     char *err, size_t errlen) {
  int rc = 0;
  if (db && sqlite3_close(db) != SQLITE_OK && !failed) {
    set_err(err, errlen, "closing %s failed", tmp);
    rc = TOUR_EDB;
    failed = true;
  }
  if (tmp) {
    if (failed) {
      unlink(tmp);
    } else if (rename(tmp, path) != 0) {
      set_err(err, errlen, "cannot rename %s to %s: %s", tmp, path,
              strerror(errno));
      unlink(tmp);
      rc = TOUR_EIO;
    }
  }
  free(tmp);
  return rc;
}

static int open_ro(const char *path, sqlite3 **out, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    set_err(err, errlen, "cannot open %s: %s", path,
            db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return TOUR_EDB;
  }
  sqlite3_stmt *st = NULL;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
          SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (version != TOUR_SCHEMA_VERSION) {
    set_err(err, errlen,
            "%s is not a tournament results database of this version "
            "(schema %d, expected %d)",
            path, version, TOUR_SCHEMA_VERSION);
    sqlite3_close(db);
    return TOUR_EDB;
  }
  *out = db;
  return 0;
}

/* ---- The leaderboard ---- */

static int strategy_index(char (*names)[MODEL_ID_MAX], size_t n,
                          const char *id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], id) == 0)
      return (int)i;
  return -1;
}

typedef struct {
  int index;
  rating_t r;
  uint64_t games, seats;
  tour_stat_t raw, adj;
} board_t;

static int board_cmp(const void *a, const void *b) {
  const board_t *x = a, *y = b;
  double ox = rating_ordinal(x->r, TOUR_RATING_Z);
  double oy = rating_ordinal(y->r, TOUR_RATING_Z);
  if (ox != oy)
    return ox > oy ? -1 : 1;
  if (x->adj.mean != y->adj.mean)
    return x->adj.mean > y->adj.mean ? -1 : 1;
  return x->index - y->index;
}

/* One game's rows, gathered while streaming results in (game, seat)
 * order. */
typedef struct {
  size_t n;
  int64_t game;
  int64_t *seat;
  int *strat; /* -1: not rated */
  int64_t *score;
  double *pct; /* the seat's percentile (results.adjusted) */
} game_rows_t;

typedef struct {
  size_t n_strat, n_seats;
  char (*names)[MODEL_ID_MAX];
  tour_stat_t *seat_stat; /* [seat]: mean and deviation, for the table */
  int64_t **sorted;       /* [seat]: the seat's rated scores, ascending */
  size_t *n_sorted, *cap_sorted; /* [seat] */
  board_t *board;                /* [strategy] */
  tour_stat_t *by_seat;          /* [strategy * n_seats + seat], or NULL */
  /* per game scratch, [strategy] */
  double *g_adj, *g_raw;
  int *g_count, *g_rank;
  rating_t *g_r;
  size_t *g_one;
  double *g_ranks;
  int *g_who;
  sqlite3_stmt *upd;
} fin_t;

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The mid-distribution percentile of v among the n sorted scores x: the
 * share below it plus half the share equal to it, in [0, 1]. Whatever the
 * shape of a seat's scores, its plays average exactly 0.5. */
static double percentile(const int64_t *x, size_t n, int64_t v) {
  if (n == 0)
    return 0.5;
  size_t lo = 0, hi = n;
  while (lo < hi) { /* the first >= v */
    size_t mid = lo + (hi - lo) / 2;
    if (x[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t below = lo;
  hi = n;
  while (lo < hi) { /* the first > v */
    size_t mid = lo + (hi - lo) / 2;
    if (x[mid] <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return ((double)below + 0.5 * (double)(lo - below)) / (double)n;
}

static int finish_game(fin_t *f, game_rows_t *g, char *err, size_t errlen,
                       sqlite3 *db) {
  const rating_model_t model = board_model();
  size_t k = f->n_strat;
  for (size_t i = 0; i < k; i++) {
    f->g_adj[i] = f->g_raw[i] = 0;
    f->g_count[i] = 0;
  }
  for (size_t r = 0; r < g->n; r++) {
    int s = g->strat[r];
    if (s < 0)
      continue;
    size_t seat = (size_t)g->seat[r];
    g->pct[r] = percentile(f->sorted[seat], f->n_sorted[seat], g->score[r]);
    f->g_adj[s] += g->pct[r];
    f->g_raw[s] += (double)g->score[r];
    f->g_count[s]++;
    if (f->by_seat)
      tour_stat_add(&f->by_seat[(size_t)s * f->n_seats + seat],
                    (double)g->score[r]);
  }
  size_t present = 0;
  for (size_t i = 0; i < k; i++) {
    if (f->g_count[i] == 0)
      continue;
    f->g_adj[i] /= f->g_count[i];
    f->g_raw[i] /= f->g_count[i];
    f->g_who[present++] = (int)i;
  }
  /* Competition ranking ("1224"): 1 + the strategies strictly ahead. */
  for (size_t a = 0; a < present; a++) {
    int i = f->g_who[a], rank = 1;
    for (size_t b = 0; b < present; b++)
      rank += f->g_adj[f->g_who[b]] > f->g_adj[i];
    f->g_rank[i] = rank;
  }
  for (size_t a = 0; a < present; a++) {
    int i = f->g_who[a];
    board_t *b = &f->board[i];
    b->games++;
    b->seats += (uint64_t)f->g_count[i];
    tour_stat_add(&b->raw, f->g_raw[i]);
    tour_stat_add(&b->adj, f->g_adj[i]);
    f->g_r[a] = b->r;
    f->g_one[a] = 1;
    f->g_ranks[a] = f->g_rank[i];
  }
  if (present >= 2) {
    if (rating_rate(&model, f->g_r, f->g_one, present, f->g_ranks) != 0) {
      set_err(err, errlen, "rating game %lld failed", (long long)g->game);
      return TOUR_ENOMEM;
    }
    for (size_t a = 0; a < present; a++)
      f->board[f->g_who[a]].r = f->g_r[a];
  }
  for (size_t r = 0; r < g->n; r++) {
    int s = g->strat[r];
    if (s < 0)
      continue;
    sqlite3_reset(f->upd);
    sqlite3_bind_double(f->upd, 1, g->pct[r]);
    sqlite3_bind_int(f->upd, 2, f->g_rank[s]);
    sqlite3_bind_int64(f->upd, 3, g->game);
    sqlite3_bind_int64(f->upd, 4, g->seat[r]);
    if (sqlite3_step(f->upd) != SQLITE_DONE)
      return db_fail(db, err, errlen, "updating a result");
  }
  g->n = 0;
  return 0;
}

static void fin_free(fin_t *f, game_rows_t *g) {
  free(f->names);
  free(f->seat_stat);
  if (f->sorted)
    for (size_t s = 0; s < f->n_seats; s++)
      free(f->sorted[s]);
  free(f->sorted);
  free(f->n_sorted);
  free(f->cap_sorted);
  free(f->board);
  free(f->by_seat);
  free(f->g_adj);
  free(f->g_raw);
  free(f->g_count);
  free(f->g_rank);
  free(f->g_r);
  free(f->g_one);
  free(f->g_ranks);
  free(f->g_who);
  sqlite3_finalize(f->upd);
  free(g->seat);
  free(g->strat);
  free(g->score);
  free(g->pct);
}

/* Compute seats, the adjusted results and ranks, the ratings, leaderboard
 * and strategy_seats from the results rows, in (game, seat) order, so the
 * same rows always give the same numbers. Runs inside the caller's
 * transaction. */
static int finalize(sqlite3 *db, const meta_t *m, char *err, size_t errlen) {
  fin_t f;
  game_rows_t g;
  memset(&f, 0, sizeof f);
  memset(&g, 0, sizeof g);
  sqlite3_stmt *st = NULL;
  int rc = 0;
  const rating_model_t model = board_model();

  /* The strategy list, in the tournament's order. */
  size_t cap = TOUR_STRATEGIES_MAX;
  f.names = calloc(cap, sizeof *f.names);
  if (!f.names)
    return TOUR_ENOMEM;
  for (const char *p = m->strategies; *p && f.n_strat < cap;) {
    size_t len = strcspn(p, ",");
    snprintf(f.names[f.n_strat++], MODEL_ID_MAX, "%.*s", (int)len, p);
    p += len + (p[len] == ',');
  }
  f.n_seats = (size_t)m->map_seats;
  size_t k = f.n_strat, ns = f.n_seats ? f.n_seats : 1;
  f.seat_stat = calloc(ns, sizeof *f.seat_stat);
  f.sorted = calloc(ns, sizeof *f.sorted);
  f.n_sorted = calloc(ns, sizeof *f.n_sorted);
  f.cap_sorted = calloc(ns, sizeof *f.cap_sorted);
  f.board = calloc(k ? k : 1, sizeof *f.board);
  f.g_adj = calloc(k + 1, sizeof *f.g_adj);
  f.g_raw = calloc(k + 1, sizeof *f.g_raw);
  f.g_count = calloc(k + 1, sizeof *f.g_count);
  f.g_rank = calloc(k + 1, sizeof *f.g_rank);
  f.g_r = calloc(k + 1, sizeof *f.g_r);
  f.g_one = calloc(k + 1, sizeof *f.g_one);
  f.g_ranks = calloc(k + 1, sizeof *f.g_ranks);
  f.g_who = calloc(k + 1, sizeof *f.g_who);
  g.seat = calloc(ns, sizeof *g.seat);
  g.strat = calloc(ns, sizeof *g.strat);
  g.score = calloc(ns, sizeof *g.score);
  g.pct = calloc(ns, sizeof *g.pct);
  /* Per strategy and seat means: skipped for huge maps, where the table
   * would say little and cost much. */
  if (k * ns <= ((size_t)1 << 22))
    f.by_seat = calloc(k * ns, sizeof *f.by_seat);
  if (!f.seat_stat || !f.sorted || !f.n_sorted || !f.cap_sorted || !f.board ||
      !f.g_adj || !f.g_raw || !f.g_count || !f.g_rank || !f.g_r || !f.g_one ||
      !f.g_ranks || !f.g_who || !g.seat || !g.strat || !g.score || !g.pct ||
      (k * ns <= ((size_t)1 << 22) && !f.by_seat)) {
    rc = TOUR_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < k; i++) {
    f.board[i].index = (int)i;
    f.board[i].r = rating_new(&model);
  }

  /* Pass 1: every seat's rated scores, sorted, for the percentiles. */
  rc = prepare(db,
               "SELECT seat, score FROM results WHERE rated "
               "ORDER BY game, seat",
               &st, err, errlen);
  if (rc)
    goto done;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t seat = sqlite3_column_int64(st, 0);
    if (seat < 0 || (size_t)seat >= f.n_seats) {
      set_err(err, errlen, "a result names seat %lld of a %zu-seat map",
              (long long)seat, f.n_seats);
      rc = TOUR_EDB;
      goto done;
    }
    int64_t score = sqlite3_column_int64(st, 1);
    tour_stat_add(&f.seat_stat[seat], (double)score);
    if (f.n_sorted[seat] == f.cap_sorted[seat]) {
      size_t c = f.cap_sorted[seat] ? 2 * f.cap_sorted[seat] : 64;
      int64_t *x = realloc(f.sorted[seat], c * sizeof *x);
      if (!x) {
        rc = TOUR_ENOMEM;
        goto done;
      }
      f.sorted[seat] = x;
      f.cap_sorted[seat] = c;
    }
    f.sorted[seat][f.n_sorted[seat]++] = score;
  }
  if (rc != SQLITE_DONE) {
    rc = db_fail(db, err, errlen, "reading results");
    goto done;
  }
  sqlite3_finalize(st);
  st = NULL;
  for (size_t s = 0; s < f.n_seats; s++)
    if (f.n_sorted[s] > 1)
      qsort(f.sorted[s], f.n_sorted[s], sizeof *f.sorted[s], cmp_i64);

  /* Pass 2: game by game, updating each game's rows once they are read. */
  rc = prepare(db,
               "UPDATE results SET adjusted = ?1, rank = ?2 "
               "WHERE game = ?3 AND seat = ?4",
               &f.upd, err, errlen);
  if (!rc)
    rc = prepare(db,
                 "SELECT game, seat, strategy, rated, score FROM results "
                 "ORDER BY game, seat",
                 &st, err, errlen);
  if (rc)
    goto done;
  g.game = -1;
  int64_t last_game = -1, last_seat = -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t game = sqlite3_column_int64(st, 0);
    int64_t seat = sqlite3_column_int64(st, 1);
    /* SQLite allows updating rows a scan has passed but may show an updated
     * row again; the scan runs in key order, so a repeat is easy to skip. */
    if (game < last_game || (game == last_game && seat <= last_seat))
      continue;
    last_game = game;
    last_seat = seat;
    if (game != g.game && g.n > 0 &&
        (rc = finish_game(&f, &g, err, errlen, db)) != 0)
      goto done;
    g.game = game;
    if (g.n >= f.n_seats) {
      set_err(err, errlen, "game %lld has more rows than seats",
              (long long)game);
      rc = TOUR_EDB;
      goto done;
    }
    if (seat < 0 || (size_t)seat >= f.n_seats) {
      set_err(err, errlen, "a result names seat %lld of a %zu-seat map",
              (long long)seat, f.n_seats);
      rc = TOUR_EDB;
      goto done;
    }
    const char *id = (const char *)sqlite3_column_text(st, 2);
    int s = sqlite3_column_int(st, 3) ? strategy_index(f.names, k, id ? id : "")
                                      : -1;
    if (sqlite3_column_int(st, 3) && s < 0) {
      set_err(err, errlen,
              "a rated result names strategy '%s', not one of "
              "the tournament's",
              id ? id : "");
      rc = TOUR_EDB;
      goto done;
    }
    g.seat[g.n] = seat;
    g.strat[g.n] = s;
    g.score[g.n] = sqlite3_column_int64(st, 4);
    g.n++;
  }
  if (rc != SQLITE_DONE) {
    rc = db_fail(db, err, errlen, "reading results");
    goto done;
  }
  rc = 0;
  if (g.n > 0 && (rc = finish_game(&f, &g, err, errlen, db)) != 0)
    goto done;
  sqlite3_finalize(st);
  st = NULL;

  /* seats */
  rc = prepare(db,
               "INSERT INTO seats SELECT seat, seat_id, kind, ?2, ?3, ?4, ?5 "
               "FROM results WHERE seat = ?1 LIMIT 1",
               &st, err, errlen);
  if (rc)
    goto done;
  for (size_t s = 0; s < f.n_seats; s++) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (int64_t)s);
    sqlite3_bind_int64(st, 2, (int64_t)f.seat_stat[s].n);
    sqlite3_bind_double(st, 3, f.seat_stat[s].mean);
    sqlite3_bind_double(st, 4, tour_stat_sd(&f.seat_stat[s]));
    if (f.n_sorted[s] > 0) {
      const int64_t *x = f.sorted[s];
      size_t c = f.n_sorted[s];
      sqlite3_bind_double(st, 5,
                          c % 2
                              ? (double)x[c / 2]
                              : ((double)x[c / 2 - 1] + (double)x[c / 2]) / 2);
    } else {
      sqlite3_bind_null(st, 5);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
      rc = db_fail(db, err, errlen, "writing seats");
      goto done;
    }
  }
  sqlite3_finalize(st);
  st = NULL;

  /* leaderboard */
  qsort(f.board, k, sizeof *f.board, board_cmp);
  rc = prepare(db,
               "INSERT INTO leaderboard VALUES "
               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               &st, err, errlen);
  if (rc)
    goto done;
  for (size_t i = 0; i < k; i++) {
    const board_t *b = &f.board[i];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, (int64_t)i + 1);
    sqlite3_bind_text(st, 2, f.names[b->index], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)b->games);
    sqlite3_bind_int64(st, 4, (int64_t)b->seats);
    sqlite3_bind_double(st, 5, rating_ordinal(b->r, TOUR_RATING_Z));
    sqlite3_bind_double(st, 6, b->r.mu);
    sqlite3_bind_double(st, 7, b->r.sigma);
    if (b->games > 0) {
      sqlite3_bind_double(st, 8, b->adj.mean);
      sqlite3_bind_double(st, 10, b->raw.mean);
    }
    if (b->games > 1) {
      sqlite3_bind_double(st, 9, tour_stat_ci95(&b->adj));
      sqlite3_bind_double(st, 11, tour_stat_ci95(&b->raw));
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
      rc = db_fail(db, err, errlen, "writing the leaderboard");
      goto done;
    }
  }
  sqlite3_finalize(st);
  st = NULL;

  /* strategy_seats */
  if (f.by_seat) {
    rc = prepare(db,
                 "INSERT INTO strategy_seats SELECT ?1, ?2, seat_id, ?3, ?4, "
                 "?5 FROM seats WHERE seat = ?2",
                 &st, err, errlen);
    if (rc)
      goto done;
    for (size_t i = 0; i < k; i++)
      for (size_t s = 0; s < f.n_seats; s++) {
        const tour_stat_t *x = &f.by_seat[i * f.n_seats + s];
        if (x->n == 0)
          continue;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_text(st, 1, f.names[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)s);
        sqlite3_bind_int64(st, 3, (int64_t)x->n);
        sqlite3_bind_double(st, 4, x->mean);
        if (x->n > 1)
          sqlite3_bind_double(st, 5, tour_stat_ci95(x));
        if (sqlite3_step(st) != SQLITE_DONE) {
          rc = db_fail(db, err, errlen, "writing strategy_seats");
          goto done;
        }
      }
  }
  rc = 0;
done:
  sqlite3_finalize(st);
  fin_free(&f, &g);
  return rc;
}

/* ---- CSV ---- */

static void csv_text(FILE *f, const char *s) {
  if (!s)
    return;
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* The results rows, in (game, seat) order, with a header line. Written to
 * path.tmp and renamed, like the database. */
static int write_csv(sqlite3 *db, const char *path, char *err, size_t errlen) {
  size_t len = strlen(path) + 5;
  char *tmp = malloc(len);
  if (!tmp)
    return TOUR_ENOMEM;
  snprintf(tmp, len, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    set_err(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    free(tmp);
    return TOUR_EIO;
  }
  sqlite3_stmt *st = NULL;
  int rc = prepare(db,
                   "SELECT game, seed, seat, seat_id, kind, strategy, rated, "
                   "score, adjusted, rank, refused, failed FROM results "
                   "ORDER BY game, seat",
                   &st, err, errlen);
  if (!rc) {
    fputs("game,seed,seat,seat_id,kind,strategy,rated,score,adjusted,rank,"
          "refused,failed\n",
          f);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
      fprintf(f, "%lld,%lld,%lld,", (long long)sqlite3_column_int64(st, 0),
              (long long)sqlite3_column_int64(st, 1),
              (long long)sqlite3_column_int64(st, 2));
      csv_text(f, (const char *)sqlite3_column_text(st, 3));
      fputc(',', f);
      csv_text(f, (const char *)sqlite3_column_text(st, 4));
      fputc(',', f);
      csv_text(f, (const char *)sqlite3_column_text(st, 5));
      fprintf(f, ",%d,%lld,", sqlite3_column_int(st, 6),
              (long long)sqlite3_column_int64(st, 7));
      if (sqlite3_column_type(st, 8) != SQLITE_NULL)
        fprintf(f, "%.6f", sqlite3_column_double(st, 8));
      fputc(',', f);
      if (sqlite3_column_type(st, 9) != SQLITE_NULL)
        fprintf(f, "%d", sqlite3_column_int(st, 9));
      fprintf(f, ",%d,%d\n", sqlite3_column_int(st, 10),
              sqlite3_column_int(st, 11));
    }
    if (step != SQLITE_DONE)
      rc = db_fail(db, err, errlen, "reading results for the CSV");
  }
  sqlite3_finalize(st);
  if (ferror(f) || fclose(f) != 0) {
    if (!rc) {
      set_err(err, errlen, "writing %s failed", tmp);
      rc = TOUR_EIO;
    }
  } else if (!rc && rename(tmp, path) != 0) {
    set_err(err, errlen, "cannot rename %s to %s: %s", tmp, path,
            strerror(errno));
    rc = TOUR_EIO;
  }
  if (rc)
    unlink(tmp);
  free(tmp);
  return rc;
}

/* ---- Running ---- */

/* What a game sends from a worker to the parent, followed by one
 * tour_seat_result_t per seat. Native layout: both ends are this binary. */
typedef struct {
  uint64_t k;     /* position in this shard's list of games */
  int32_t status; /* 0, or the model's error */
  uint32_t n_seats;
  uint8_t hash[MODEL_HASH_BYTES];
} rec_head_t;

typedef struct {
  const tour_config_t *cfg;
  const tour_plan_t *plan;
  sqlite3 *db;
  sqlite3_stmt *ins_result, *ins_game;
  const char **seat_id;
  const char **kind_name;
  uint64_t stored, total;
} run_t;

/* The game at position k of the shard's list. */
static uint64_t game_at(const tour_config_t *cfg, uint64_t k) {
  return cfg->shard + k * cfg->shards;
}

static int store_game(run_t *r, const rec_head_t *h,
                      const tour_seat_result_t *res, char *err, size_t errlen) {
  const tour_config_t *cfg = r->cfg;
  uint64_t game = game_at(cfg, h->k);
  uint64_t seed = tour_game_seed(cfg->seed, game);
  if (h->status != 0) {
    set_err(err, errlen, "game %llu (seed %llu) failed: %s",
            (unsigned long long)game, (unsigned long long)seed,
            model_strerror(h->status));
    return TOUR_EMODEL;
  }
  char hash[2 * MODEL_HASH_BYTES + 1];
  hex(h->hash, MODEL_HASH_BYTES, hash);
  sqlite3_stmt *st = r->ins_game;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, (int64_t)game);
  sqlite3_bind_int64(st, 2, (int64_t)seed);
  sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_DONE)
    return db_fail(r->db, err, errlen, "storing a game");
  st = r->ins_result;
  for (size_t s = 0; s < h->n_seats; s++) {
    int i = tour_plan_seat(r->plan, game, s);
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (int64_t)game);
    sqlite3_bind_int64(st, 2, (int64_t)s);
    sqlite3_bind_int64(st, 3, (int64_t)seed);
    sqlite3_bind_text(st, 4, r->seat_id[s], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->kind_name[s], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, i >= 0 ? cfg->strategies[i]->id : "standing", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 7, i >= 0);
    sqlite3_bind_int64(st, 8, res[s].score);
    sqlite3_bind_int(st, 9, res[s].refused);
    sqlite3_bind_int(st, 10, res[s].failed);
    if (sqlite3_step(st) != SQLITE_DONE)
      return db_fail(r->db, err, errlen, "storing a result");
  }
  r->stored++;
  if (cfg->progress)
    cfg->progress(cfg->user, r->stored, r->total);
  return 0;
}

/* Play the game at position k into rec (head and seat results). */
static void play_at(const tour_config_t *cfg, const tour_plan_t *plan,
                    const agent_strategy_t *filler,
                    const agent_strategy_t **seat_strategy, uint64_t k,
                    rec_head_t *h, tour_seat_result_t *res) {
  uint64_t game = game_at(cfg, k);
  size_t n = model_map_seat_count(cfg->map);
  for (size_t s = 0; s < n; s++) {
    int i = tour_plan_seat(plan, game, s);
    seat_strategy[s] = i >= 0 ? cfg->strategies[i] : filler;
  }
  memset(h, 0, sizeof *h);
  h->k = k;
  h->n_seats = (uint32_t)n;
  h->status = tour_play(cfg->map, seat_strategy,
                        tour_game_seed(cfg->seed, game), res, h->hash);
}

static int write_all(int fd, const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

/* A worker process: plays positions w, w + jobs, ... and writes their
 * records to fd. Never returns. */
static void worker_main(const tour_config_t *cfg, const tour_plan_t *plan,
                        const agent_strategy_t *filler, unsigned w,
                        unsigned jobs, uint64_t total, int fd) {
  /* The parent decides when to stop and ends its workers; a terminal's ^C
   * reaches the whole process group, and a handler inherited from the
   * caller would keep a worker playing. */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  size_t n = model_map_seat_count(cfg->map);
  size_t size = sizeof(rec_head_t) + n * sizeof(tour_seat_result_t);
  uint8_t *rec = malloc(size);
  const agent_strategy_t **ss = calloc(n ? n : 1, sizeof *ss);
  if (!rec || !ss)
    _exit(3);
  rec_head_t h;
  for (uint64_t k = w; k < total; k += jobs) {
    play_at(cfg, plan, filler, ss, k, &h,
            (tour_seat_result_t *)(rec + sizeof h));
    memcpy(rec, &h, sizeof h);
    if (write_all(fd, rec, size) != 0)
      _exit(4);
  }
  /* _exit: the parent's stdio buffers and atexit handlers are not ours. */
  _exit(0);
}

typedef struct {
  pid_t pid;
  int fd;
  uint8_t *buf;
  size_t have, cap;
  uint64_t expect, got;
} worker_t;

static void end_workers(worker_t *w, unsigned jobs) {
  for (unsigned i = 0; i < jobs; i++)
    if (w[i].pid > 0)
      kill(w[i].pid, SIGTERM);
  for (unsigned i = 0; i < jobs; i++) {
    if (w[i].pid > 0) {
      while (waitpid(w[i].pid, NULL, 0) < 0 && errno == EINTR)
        ;
      w[i].pid = 0;
    }
    if (w[i].fd >= 0)
      close(w[i].fd);
    w[i].fd = -1;
    free(w[i].buf);
    w[i].buf = NULL;
  }
}

static int run_workers(run_t *r, const agent_strategy_t *filler, unsigned jobs,
                       char *err, size_t errlen) {
  const tour_config_t *cfg = r->cfg;
  size_t n = model_map_seat_count(cfg->map);
  size_t size = sizeof(rec_head_t) + n * sizeof(tour_seat_result_t);
  worker_t *w = calloc(jobs, sizeof *w);
  struct pollfd *pfd = calloc(jobs, sizeof *pfd);
  if (!w || !pfd) {
    free(w);
    free(pfd);
    return TOUR_ENOMEM;
  }
  int rc = 0;
  for (unsigned i = 0; i < jobs; i++)
    w[i].fd = -1;
  fflush(NULL); /* so a child cannot write our buffered output twice */
  for (unsigned i = 0; i < jobs; i++) {
    int fds[2];
    w[i].expect = r->total > i ? (r->total - i - 1) / jobs + 1 : 0;
    w[i].cap = size * (65536 / size + 1);
    w[i].buf = malloc(w[i].cap);
    if (!w[i].buf) {
      rc = TOUR_ENOMEM;
      goto done;
    }
    if (pipe(fds) != 0) {
      set_err(err, errlen, "pipe: %s", strerror(errno));
      rc = TOUR_EWORKER;
      goto done;
    }
    pid_t pid = fork();
    if (pid < 0) {
      set_err(err, errlen, "fork: %s", strerror(errno));
      close(fds[0]);
      close(fds[1]);
      rc = TOUR_EWORKER;
      goto done;
    }
    if (pid == 0) {
      close(fds[0]);
      for (unsigned j = 0; j < i; j++)
        close(w[j].fd);
      worker_main(cfg, r->plan, filler, i, jobs, r->total, fds[1]);
    }
    close(fds[1]);
    w[i].pid = pid;
    w[i].fd = fds[0];
  }
  unsigned open_fds = jobs;
  while (open_fds > 0) {
    if (cfg->stop && *cfg->stop) {
      set_err(err, errlen, "stopped after %llu of %llu games",
              (unsigned long long)r->stored, (unsigned long long)r->total);
      rc = TOUR_EINTR;
      goto done;
    }
    nfds_t np = 0;
    for (unsigned i = 0; i < jobs; i++)
      if (w[i].fd >= 0)
        pfd[np++] = (struct pollfd){.fd = w[i].fd, .events = POLLIN};
    /* The timeout only bounds how late a stop request is seen. */
    int pr = poll(pfd, np, 200);
    if (pr < 0 && errno != EINTR) {
      set_err(err, errlen, "poll: %s", strerror(errno));
      rc = TOUR_EWORKER;
      goto done;
    }
    if (pr <= 0)
      continue;
    for (nfds_t p = 0; p < np; p++) {
      if (!(pfd[p].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      worker_t *x = NULL;
      for (unsigned i = 0; i < jobs; i++)
        if (w[i].fd == pfd[p].fd)
          x = &w[i];
      ssize_t got = read(x->fd, x->buf + x->have, x->cap - x->have);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0) {
        close(x->fd);
        x->fd = -1;
        open_fds--;
        continue;
      }
      x->have += (size_t)got;
      size_t off = 0;
      while (x->have - off >= size) {
        rec_head_t h;
        memcpy(&h, x->buf + off, sizeof h);
        /* Copy out: the buffer offset need not suit int64 alignment. */
        tour_seat_result_t *res = malloc(n ? n * sizeof *res : 1);
        if (!res) {
          rc = TOUR_ENOMEM;
          goto done;
        }
        memcpy(res, x->buf + off + sizeof h, n * sizeof *res);
        if (h.n_seats != n || h.k >= r->total) {
          free(res);
          set_err(err, errlen, "a worker sent a malformed record");
          rc = TOUR_EWORKER;
          goto done;
        }
        rc = store_game(r, &h, res, err, errlen);
        free(res);
        if (rc)
          goto done;
        x->got++;
        off += size;
      }
      memmove(x->buf, x->buf + off, x->have - off);
      x->have -= off;
    }
  }
  for (unsigned i = 0; i < jobs; i++) {
    int status = 0;
    while (waitpid(w[i].pid, &status, 0) < 0 && errno == EINTR)
      ;
    pid_t pid = w[i].pid;
    w[i].pid = 0;
    if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
                w[i].got != w[i].expect)) {
      if (WIFSIGNALED(status))
        set_err(err, errlen,
                "worker %u (pid %d) died of signal %d after %llu of its "
                "%llu games; its next was game %llu",
                i, (int)pid, WTERMSIG(status), (unsigned long long)w[i].got,
                (unsigned long long)w[i].expect,
                (unsigned long long)game_at(cfg, i + w[i].got * jobs));
      else
        set_err(err, errlen,
                "worker %u (pid %d) exited with status %d after %llu of its "
                "%llu games",
                i, (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                (unsigned long long)w[i].got, (unsigned long long)w[i].expect);
      rc = TOUR_EWORKER;
    }
  }
done:
  end_workers(w, jobs);
  free(w);
  free(pfd);
  return rc;
}

static int run_inline(run_t *r, const agent_strategy_t *filler, char *err,
                      size_t errlen) {
  const tour_config_t *cfg = r->cfg;
  size_t n = model_map_seat_count(cfg->map);
  tour_seat_result_t *res = calloc(n ? n : 1, sizeof *res);
  const agent_strategy_t **ss = calloc(n ? n : 1, sizeof *ss);
  int rc = 0;
  if (!res || !ss)
    rc = TOUR_ENOMEM;
  for (uint64_t k = 0; !rc && k < r->total; k++) {
    if (cfg->stop && *cfg->stop) {
      set_err(err, errlen, "stopped after %llu of %llu games",
              (unsigned long long)r->stored, (unsigned long long)r->total);
      rc = TOUR_EINTR;
      break;
    }
    rec_head_t h;
    play_at(cfg, r->plan, filler, ss, k, &h, res);
    rc = store_game(r, &h, res, err, errlen);
  }
  free(res);
  free(ss);
  return rc;
}

static void meta_of(const tour_config_t *cfg, const tour_plan_t *plan,
                    meta_t *m) {
  memset(m, 0, sizeof *m);
  snprintf(m->engine, sizeof m->engine, "%s", LAN_VERSION);
  snprintf(m->map_id, sizeof m->map_id, "%s", model_map_id(cfg->map));
  hex(model_map_digest(cfg->map), MODEL_HASH_BYTES, m->map_digest);
  m->map_seats = (int64_t)model_map_seat_count(cfg->map);
  m->map_turns = model_map_turns(cfg->map);
  size_t off = 0;
  for (size_t i = 0; i < cfg->n_strategies; i++)
    off += (size_t)snprintf(m->strategies + off, sizeof m->strategies - off,
                            "%s%s", i ? "," : "", cfg->strategies[i]->id);
  m->seed = cfg->seed;
  m->games = cfg->games;
  m->shard = cfg->shard;
  m->shards = cfg->shards;
  m->cycle = tour_plan_cycle(plan);
  rating_model_t rm = board_model();
  snprintf(m->rating, sizeof m->rating,
           "weng-lin plackett-luce mu=%g sigma=%g beta=%g kappa=%g tau=%g "
           "z=%g",
           rm.mu, rm.sigma, rm.beta, rm.kappa, rm.tau, TOUR_RATING_Z);
}

int tour_run(const tour_config_t *cfg, char *err, size_t errlen) {
  if (!cfg || !cfg->map || !cfg->out || !*cfg->out) {
    set_err(err, errlen, "a tournament needs a map and an output file");
    return TOUR_EINVAL;
  }
  if (cfg->games == 0 || cfg->games > TOUR_GAMES_MAX) {
    set_err(err, errlen, "games must be between 1 and %llu",
            (unsigned long long)TOUR_GAMES_MAX);
    return TOUR_EINVAL;
  }
  if (cfg->shards == 0 || cfg->shard >= cfg->shards ||
      cfg->shards > cfg->games) {
    set_err(err, errlen,
            "shard %u/%u is not one of 0..N-1 of N shards, with N no more "
            "than the games (%llu)",
            cfg->shard, cfg->shards, (unsigned long long)cfg->games);
    return TOUR_EINVAL;
  }
  if (cfg->jobs == 0 || cfg->jobs > TOUR_JOBS_MAX) {
    set_err(err, errlen, "jobs must be between 1 and %d", TOUR_JOBS_MAX);
    return TOUR_EINVAL;
  }
  if (cfg->csv && !cfg->overwrite && access(cfg->csv, F_OK) == 0) {
    set_err(err, errlen,
            "%s exists; remove it, choose another file, or overwrite it "
            "(--force)",
            cfg->csv);
    return TOUR_EINVAL;
  }
  const agent_strategy_t *filler = agent_find("standing");
  if (!filler) {
    set_err(err, errlen, "the standing strategy is missing from the build");
    return TOUR_EINVAL;
  }
  tour_plan_t *plan = NULL;
  int rc = tour_plan_new(cfg->map, cfg->strategies, cfg->n_strategies, &plan,
                         err, errlen);
  if (rc)
    return rc;
  run_t r;
  memset(&r, 0, sizeof r);
  r.cfg = cfg;
  r.plan = plan;
  r.total = (cfg->games - cfg->shard - 1) / cfg->shards + 1;
  size_t n = model_map_seat_count(cfg->map);
  r.seat_id = calloc(n ? n : 1, sizeof *r.seat_id);
  r.kind_name = calloc(n ? n : 1, sizeof *r.kind_name);
  char *tmp = NULL;
  meta_t meta;
  meta_of(cfg, plan, &meta);
  if (!r.seat_id || !r.kind_name) {
    rc = TOUR_ENOMEM;
    goto fail;
  }
  for (size_t s = 0; s < n; s++) {
    r.seat_id[s] = model_map_seat_id(cfg->map, s);
    r.kind_name[s] = model_map_seat_kind(cfg->map, s) == MODEL_SEAT_NATION
                         ? "nation"
                         : "firm";
  }
  rc = db_create(cfg->out, cfg->overwrite, &r.db, &tmp, err, errlen);
  if (rc)
    goto fail;
  rc = exec(r.db, "BEGIN", err, errlen);
  if (!rc)
    rc = write_meta(r.db, &meta, err, errlen);
  if (!rc)
    rc = prepare(r.db, "INSERT INTO games VALUES (?, ?, ?)", &r.ins_game, err,
                 errlen);
  if (!rc)
    rc = prepare(r.db,
                 "INSERT INTO results (game, seat, seed, seat_id, kind, "
                 "strategy, rated, score, refused, failed) VALUES "
                 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 &r.ins_result, err, errlen);
  if (rc)
    goto fail;
  unsigned jobs = cfg->jobs;
  if (jobs > r.total)
    jobs = (unsigned)r.total;
  rc = jobs > 1 ? run_workers(&r, filler, jobs, err, errlen)
                : run_inline(&r, filler, err, errlen);
  if (rc)
    goto fail;
  rc = finalize(r.db, &meta, err, errlen);
  if (!rc)
    rc = exec(r.db, "COMMIT", err, errlen);
  if (!rc && cfg->csv)
    rc = write_csv(r.db, cfg->csv, err, errlen);
  if (rc)
    goto fail;
  sqlite3_finalize(r.ins_game);
  sqlite3_finalize(r.ins_result);
  rc = db_finish(r.db, tmp, cfg->out, false, err, errlen);
  free(r.seat_id);
  free(r.kind_name);
  tour_plan_free(plan);
  if (!rc && cfg->progress)
    cfg->progress(cfg->user, r.total, r.total);
  return rc;
fail:
  sqlite3_finalize(r.ins_game);
  sqlite3_finalize(r.ins_result);
  db_finish(r.db, tmp, cfg->out, true, NULL, 0);
  free(r.seat_id);
  free(r.kind_name);
  tour_plan_free(plan);
  return rc;
}

/* ---- Merging shards ---- */

static int same_tournament(const meta_t *a, const meta_t *b, const char *pa,
                           const char *pb, char *err, size_t errlen) {
  const char *what = NULL;
  if (strcmp(a->map_id, b->map_id) || strcmp(a->map_digest, b->map_digest))
    what = "map (id or digest)";
  else if (strcmp(a->strategies, b->strategies))
    what = "strategies";
  else if (a->seed != b->seed)
    what = "seed";
  else if (a->games != b->games)
    what = "number of games";
  else if (a->shards != b->shards)
    what = "number of shards";
  else if (strcmp(a->engine, b->engine))
    what = "engine version";
  else if (strcmp(a->rating, b->rating) || a->map_seats != b->map_seats ||
           a->map_turns != b->map_turns || a->cycle != b->cycle)
    what = "rating or map parameters";
  if (!what)
    return 0;
  set_err(err, errlen,
          "%s and %s are not shards of one tournament: their %s "
          "differ",
          pa, pb, what);
  return TOUR_EMISMATCH;
}

static int count_rows(sqlite3 *db, const char *sql, int64_t *n, char *err,
                      size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, sql, &st, err, errlen);
  if (rc)
    return rc;
  if (sqlite3_step(st) != SQLITE_ROW)
    rc = db_fail(db, err, errlen, "counting rows");
  else
    *n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc;
}

int tour_merge(const char *const *inputs, size_t n_inputs, const char *out,
               bool overwrite, const char *csv, char *err, size_t errlen) {
  if (!inputs || n_inputs == 0 || !out || !*out) {
    set_err(err, errlen, "merge needs shard databases and an output file");
    return TOUR_EINVAL;
  }
  if (csv && !overwrite && access(csv, F_OK) == 0) {
    set_err(err, errlen,
            "%s exists; remove it, choose another file, or overwrite it "
            "(--force)",
            csv);
    return TOUR_EINVAL;
  }
  meta_t first, m;
  bool *seen = NULL;
  int rc = 0;
  for (size_t i = 0; i < n_inputs && !rc; i++) {
    sqlite3 *db = NULL;
    rc = open_ro(inputs[i], &db, err, errlen);
    if (rc)
      break;
    rc = read_meta(db, i ? &m : &first, err, errlen);
    if (rc) {
      sqlite3_close(db);
      break;
    }
    const meta_t *x = i ? &m : &first;
    if (i == 0) {
      if (first.shards == 0 || first.shards > first.games) {
        set_err(err, errlen, "%s has a bad shard count", inputs[0]);
        rc = TOUR_EDB;
      } else if (!(seen = calloc(first.shards, sizeof *seen))) {
        rc = TOUR_ENOMEM;
      }
    } else {
      rc = same_tournament(&first, &m, inputs[0], inputs[i], err, errlen);
    }
    if (!rc && x->shard >= first.shards) {
      set_err(err, errlen, "%s says it is shard %u of %u", inputs[i], x->shard,
              first.shards);
      rc = TOUR_EDB;
    } else if (!rc && seen[x->shard]) {
      set_err(err, errlen, "shard %u/%u is given twice (again in %s)", x->shard,
              first.shards, inputs[i]);
      rc = TOUR_EMISMATCH;
    }
    int64_t games = 0;
    if (!rc)
      rc = count_rows(db, "SELECT count(*) FROM games", &games, err, errlen);
    uint64_t want = (first.games - x->shard - 1) / first.shards + 1;
    if (!rc && (uint64_t)games != want) {
      set_err(err, errlen,
              "%s (shard %u/%u) holds %lld games, not %llu: an incomplete "
              "run",
              inputs[i], x->shard, first.shards, (long long)games,
              (unsigned long long)want);
      rc = TOUR_EMISMATCH;
    }
    if (!rc)
      seen[x->shard] = true;
    sqlite3_close(db);
  }
  for (uint32_t s = 0; !rc && s < first.shards; s++)
    if (!seen[s]) {
      set_err(err, errlen, "shard %u/%u is missing (%zu of %u given)", s,
              first.shards, n_inputs, first.shards);
      rc = TOUR_EMISMATCH;
    }
  free(seen);
  if (rc)
    return rc;

  sqlite3 *db = NULL;
  char *tmp = NULL;
  rc = db_create(out, overwrite, &db, &tmp, err, errlen);
  if (rc)
    return rc;
  meta_t whole = first;
  whole.shard = 0;
  whole.shards = 1;
  rc = write_meta(db, &whole, err, errlen);
  /* ATTACH and DETACH are refused inside a transaction, so each shard is
   * copied in its own; shards can be more than SQLite lets one attach at
   * once. */
  for (size_t i = 0; i < n_inputs && !rc; i++) {
    sqlite3_stmt *st = NULL;
    rc = prepare(db, "ATTACH ? AS shard", &st, err, errlen);
    if (rc)
      break;
    sqlite3_bind_text(st, 1, inputs[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = db_fail(db, err, errlen, inputs[i]);
    sqlite3_finalize(st);
    if (rc)
      break;
    rc = exec(db,
              "BEGIN;"
              "INSERT INTO main.games SELECT game, seed, hash FROM "
              "shard.games;"
              "INSERT INTO main.results (game, seat, seed, seat_id, kind, "
              "strategy, rated, score, refused, failed) SELECT game, seat, "
              "seed, seat_id, kind, strategy, rated, score, refused, failed "
              "FROM shard.results;"
              "COMMIT",
              err, errlen);
    if (rc)
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    int drc = exec(db, "DETACH shard", rc ? NULL : err, errlen);
    if (!rc)
      rc = drc;
  }
  if (!rc)
    rc = exec(db, "BEGIN", err, errlen);
  int64_t games = 0;
  if (!rc)
    rc = count_rows(db, "SELECT count(*) FROM games", &games, err, errlen);
  if (!rc && (uint64_t)games != whole.games) {
    set_err(err, errlen, "the shards hold %lld games, not %llu",
            (long long)games, (unsigned long long)whole.games);
    rc = TOUR_EMISMATCH;
  }
  if (!rc)
    rc = finalize(db, &whole, err, errlen);
  if (!rc)
    rc = exec(db, "COMMIT", err, errlen);
  if (!rc && csv)
    rc = write_csv(db, csv, err, errlen);
  int frc = db_finish(db, tmp, out, rc != 0, rc ? NULL : err, errlen);
  return rc ? rc : frc;
}

/* ---- Printing ---- */

int tour_print(const char *path, FILE *f, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  int rc = open_ro(path, &db, err, errlen);
  if (rc)
    return rc;
  meta_t m;
  rc = read_meta(db, &m, err, errlen);
  if (rc) {
    sqlite3_close(db);
    return rc;
  }
  int64_t nations = 0, firms = 0, games = 0;
  if (!rc)
    rc = count_rows(db, "SELECT count(*) FROM seats WHERE kind = 'nation'",
                    &nations, err, errlen);
  if (!rc)
    rc = count_rows(db, "SELECT count(*) FROM seats WHERE kind = 'firm'",
                    &firms, err, errlen);
  if (!rc)
    rc = count_rows(db, "SELECT count(*) FROM games", &games, err, errlen);
  sqlite3_stmt *st = NULL;
  if (!rc)
    rc = prepare(db,
                 "SELECT position, strategy, games, seats, rating, mu, sigma, "
                 "adjusted, adjusted_ci95, score, score_ci95 FROM leaderboard "
                 "ORDER BY position",
                 &st, err, errlen);
  if (rc) {
    sqlite3_close(db);
    return rc;
  }
  fprintf(f, "map %s: %lld nation and %lld firm seats, %lld turns\n", m.map_id,
          (long long)nations, (long long)firms, (long long)m.map_turns);
  fprintf(f, "%lld games", (long long)games);
  if (m.shards > 1)
    fprintf(f, " (shard %u/%u of %llu)", m.shard, m.shards,
            (unsigned long long)m.games);
  fprintf(f, ", seed %llu, strategies %s\n", (unsigned long long)m.seed,
          m.strategies);
  if (m.cycle > 1 && m.games % m.cycle != 0)
    fprintf(f,
            "note: %llu games is not a multiple of the rotation's %llu, so "
            "seats are shared out a little unevenly\n",
            (unsigned long long)m.games, (unsigned long long)m.cycle);
  fprintf(f, "\n  # %-20s %7s %8s %7s %6s  %-19s %s\n", "strategy", "games",
          "rating", "mu", "sigma", "adjusted", "score");
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    char adj[40] = "-", raw[40] = "-";
    if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
      if (sqlite3_column_type(st, 8) != SQLITE_NULL)
        snprintf(adj, sizeof adj, "%.3f ± %.3f", sqlite3_column_double(st, 7),
                 sqlite3_column_double(st, 8));
      else
        snprintf(adj, sizeof adj, "%.3f", sqlite3_column_double(st, 7));
      if (sqlite3_column_type(st, 10) != SQLITE_NULL)
        snprintf(raw, sizeof raw, "%.4f ± %.4f",
                 sqlite3_column_double(st, 9) / MODEL_PPM,
                 sqlite3_column_double(st, 10) / MODEL_PPM);
      else
        snprintf(raw, sizeof raw, "%.4f",
                 sqlite3_column_double(st, 9) / MODEL_PPM);
    }
    fprintf(f, "%3d %-20s %7lld %8.3f %7.3f %6.3f  %-21s %s\n",
            sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1),
            (long long)sqlite3_column_int64(st, 2),
            sqlite3_column_double(st, 4), sqlite3_column_double(st, 5),
            sqlite3_column_double(st, 6), adj, raw);
  }
  if (step != SQLITE_DONE)
    rc = db_fail(db, err, errlen, "reading the leaderboard");
  sqlite3_finalize(st);
  if (!rc)
    fprintf(f,
            "\nrating: Weng-Lin Plackett-Luce (as openskill), mu - %g sigma, "
            "rating each\n"
            "  game's ranking of the strategies by their adjusted result.\n"
            "adjusted: the percentile of the strategy's seats among all "
            "plays of the same\n"
            "  seat in the tournament (0.5 is the seat's median), so nations "
            "and firms\n"
            "  count alike. score: the raw score (1 = 1,000,000 ppm of the "
            "objective).\n"
            "  +- is the 95%% confidence interval of the mean over games.\n",
            TOUR_RATING_Z);
  sqlite3_close(db);
  return rc;
}
