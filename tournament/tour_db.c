/*
 * The tournament's results database (tournament.h): its schema, the
 * tournament row, creating and finishing a database file, and merging
 * the shards of one tournament into one database.
 */
#include "tournament_internal.h"

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

void tour_hex(const uint8_t *b, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

int tour_db_fail(sqlite3 *db, char *err, size_t errlen, const char *what) {
  tour_set_err(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "no db");
  return TOUR_EDB;
}

int tour_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    tour_set_err(err, errlen, "%s (in: %.60s)", msg ? msg : "sqlite error",
                 sql);
    sqlite3_free(msg);
    return TOUR_EDB;
  }
  return 0;
}

int tour_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err,
                    size_t errlen) {
  if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
    return tour_db_fail(db, err, errlen, "preparing a statement");
  return 0;
}

int tour_meta_write(sqlite3 *db, const tour_meta_t *m, char *err,
                    size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc = tour_db_prepare(db,
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
           : tour_db_fail(db, err, errlen, "writing the tournament row");
  sqlite3_finalize(st);
  return rc;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap) {
  const unsigned char *t = sqlite3_column_text(st, col);
  snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

int tour_meta_read(sqlite3 *db, tour_meta_t *m, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  memset(m, 0, sizeof *m);
  if (sqlite3_prepare_v2(db,
                         "SELECT engine_version, map_id, map_digest, "
                         "map_seats, map_turns, strategies, seed, games, "
                         "shard, shards, cycle, rating FROM tournament "
                         "WHERE id = 1",
                         -1, &st, NULL) != SQLITE_OK) {
    tour_set_err(err, errlen, "not a tournament results database (%s)",
                 sqlite3_errmsg(db));
    return TOUR_EDB;
  }
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    tour_set_err(err, errlen, "the database has no tournament row");
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
int tour_db_create(const char *path, bool overwrite, sqlite3 **out,
                   char **tmp_out, char *err, size_t errlen) {
  *out = NULL;
  *tmp_out = NULL;
  struct stat sb;
  if (!overwrite && stat(path, &sb) == 0) {
    tour_set_err(err, errlen,
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
    tour_set_err(err, errlen, "cannot remove the stale %s: %s", tmp,
                 strerror(errno));
    free(tmp);
    return TOUR_EIO;
  }
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      NULL) != SQLITE_OK) {
    tour_db_fail(db, err, errlen, tmp);
    sqlite3_close(db);
    free(tmp);
    return TOUR_EDB;
  }
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA user_version=%d", TOUR_SCHEMA_VERSION);
  int rc = tour_db_exec(db, "PRAGMA journal_mode=OFF", err, errlen);
  if (!rc)
    rc = tour_db_exec(db, "PRAGMA synchronous=OFF", err, errlen);
  if (!rc)
    rc = tour_db_exec(db, SCHEMA, err, errlen);
  if (!rc)
    rc = tour_db_exec(db, sql, err, errlen);
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
int tour_db_finish(sqlite3 *db, char *tmp, const char *path, bool failed,
                   char *err, size_t errlen) {
  int rc = 0;
  if (db && sqlite3_close(db) != SQLITE_OK && !failed) {
    tour_set_err(err, errlen, "closing %s failed", tmp);
    rc = TOUR_EDB;
    failed = true;
  }
  if (tmp) {
    if (failed) {
      unlink(tmp);
    } else if (rename(tmp, path) != 0) {
      tour_set_err(err, errlen, "cannot rename %s to %s: %s", tmp, path,
                   strerror(errno));
      unlink(tmp);
      rc = TOUR_EIO;
    }
  }
  free(tmp);
  return rc;
}

int tour_db_open_ro(const char *path, sqlite3 **out, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    tour_set_err(err, errlen, "cannot open %s: %s", path,
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
    tour_set_err(err, errlen,
                 "%s is not a tournament results database of this version "
                 "(schema %d, expected %d)",
                 path, version, TOUR_SCHEMA_VERSION);
    sqlite3_close(db);
    return TOUR_EDB;
  }
  *out = db;
  return 0;
}

/* ---- Merging shards ---- */

static int same_tournament(const tour_meta_t *a, const tour_meta_t *b,
                           const char *pa, const char *pb, char *err,
                           size_t errlen) {
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
  tour_set_err(err, errlen,
               "%s and %s are not shards of one tournament: their %s "
               "differ",
               pa, pb, what);
  return TOUR_EMISMATCH;
}

int tour_db_count_rows(sqlite3 *db, const char *sql, int64_t *n, char *err,
                       size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc = tour_db_prepare(db, sql, &st, err, errlen);
  if (rc)
    return rc;
  if (sqlite3_step(st) != SQLITE_ROW)
    rc = tour_db_fail(db, err, errlen, "counting rows");
  else
    *n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc;
}

int tour_merge(const char *const *inputs, size_t n_inputs, const char *out,
               bool overwrite, const char *csv, char *err, size_t errlen) {
  if (!inputs || n_inputs == 0 || !out || !*out) {
    tour_set_err(err, errlen, "merge needs shard databases and an output file");
    return TOUR_EINVAL;
  }
  if (csv && !overwrite && access(csv, F_OK) == 0) {
    tour_set_err(err, errlen,
                 "%s exists; remove it, choose another file, or overwrite it "
                 "(--force)",
                 csv);
    return TOUR_EINVAL;
  }
  tour_meta_t first, m;
  bool *seen = NULL;
  int rc = 0;
  for (size_t i = 0; i < n_inputs && !rc; i++) {
    sqlite3 *db = NULL;
    rc = tour_db_open_ro(inputs[i], &db, err, errlen);
    if (rc)
      break;
    rc = tour_meta_read(db, i ? &m : &first, err, errlen);
    if (rc) {
      sqlite3_close(db);
      break;
    }
    const tour_meta_t *x = i ? &m : &first;
    if (i == 0) {
      if (first.shards == 0 || first.shards > first.games) {
        tour_set_err(err, errlen, "%s has a bad shard count", inputs[0]);
        rc = TOUR_EDB;
      } else if (!(seen = calloc(first.shards, sizeof *seen))) {
        rc = TOUR_ENOMEM;
      }
    } else {
      rc = same_tournament(&first, &m, inputs[0], inputs[i], err, errlen);
    }
    if (!rc && x->shard >= first.shards) {
      tour_set_err(err, errlen, "%s says it is shard %u of %u", inputs[i],
                   x->shard, first.shards);
      rc = TOUR_EDB;
    } else if (!rc && seen[x->shard]) {
      tour_set_err(err, errlen, "shard %u/%u is given twice (again in %s)",
                   x->shard, first.shards, inputs[i]);
      rc = TOUR_EMISMATCH;
    }
    int64_t games = 0;
    if (!rc)
      rc = tour_db_count_rows(db, "SELECT count(*) FROM games", &games, err,
                              errlen);
    uint64_t want = (first.games - x->shard - 1) / first.shards + 1;
    if (!rc && (uint64_t)games != want) {
      tour_set_err(err, errlen,
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
      tour_set_err(err, errlen, "shard %u/%u is missing (%zu of %u given)", s,
                   first.shards, n_inputs, first.shards);
      rc = TOUR_EMISMATCH;
    }
  free(seen);
  if (rc)
    return rc;

  sqlite3 *db = NULL;
  char *tmp = NULL;
  rc = tour_db_create(out, overwrite, &db, &tmp, err, errlen);
  if (rc)
    return rc;
  tour_meta_t whole = first;
  whole.shard = 0;
  whole.shards = 1;
  rc = tour_meta_write(db, &whole, err, errlen);
  /* ATTACH and DETACH are refused inside a transaction, so each shard is
   * copied in its own; shards can be more than SQLite lets one attach at
   * once. */
  for (size_t i = 0; i < n_inputs && !rc; i++) {
    sqlite3_stmt *st = NULL;
    rc = tour_db_prepare(db, "ATTACH ? AS shard", &st, err, errlen);
    if (rc)
      break;
    sqlite3_bind_text(st, 1, inputs[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      rc = tour_db_fail(db, err, errlen, inputs[i]);
    sqlite3_finalize(st);
    if (rc)
      break;
    rc = tour_db_exec(
        db,
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
    int drc = tour_db_exec(db, "DETACH shard", rc ? NULL : err, errlen);
    if (!rc)
      rc = drc;
  }
  if (!rc)
    rc = tour_db_exec(db, "BEGIN", err, errlen);
  int64_t games = 0;
  if (!rc)
    rc = tour_db_count_rows(db, "SELECT count(*) FROM games", &games, err,
                            errlen);
  if (!rc && (uint64_t)games != whole.games) {
    tour_set_err(err, errlen, "the shards hold %lld games, not %llu",
                 (long long)games, (unsigned long long)whole.games);
    rc = TOUR_EMISMATCH;
  }
  if (!rc)
    rc = tour_board_finalize(db, &whole, err, errlen);
  if (!rc)
    rc = tour_db_exec(db, "COMMIT", err, errlen);
  if (!rc && csv)
    rc = tour_csv_write(db, csv, err, errlen);
  int frc = tour_db_finish(db, tmp, out, rc != 0, rc ? NULL : err, errlen);
  return rc ? rc : frc;
}
