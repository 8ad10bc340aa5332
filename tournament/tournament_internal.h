/*
 * tournament_internal.h: what the files of the tournament runner share and
 * nobody else sees (tournament.h is the public interface). The runner is
 * split along its seams: tour_plan.c (seeds and the seat rotation),
 * tour_game.c (one game in-process), tour_host.c (one game served to
 * outside bots on a loopback port), tour_workers.c (running a shard, in
 * forked workers), tour_db.c (the results database and merging shards),
 * tour_board.c (statistics and the leaderboard), tour_report.c (CSV and
 * printing) and tournament.c (errors). Every name here has the tour_
 * prefix and is declared once, here.
 */
#ifndef LANTHANIDE_TOURNAMENT_INTERNAL_H
#define LANTHANIDE_TOURNAMENT_INTERNAL_H

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
} tour_meta_t;

/* Errors (tournament.c): formats into err (errlen bytes) when err is not
 * NULL. */
void tour_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The results database (tour_db.c). Each int function returns 0 or a
 * TOUR_E* code and writes what went wrong into err. */
/* Lower-case hexadecimal of n bytes into out (2 * n + 1 bytes). */
void tour_hex(const uint8_t *b, size_t n, char *out);
/* Names what failed with SQLite's message; returns TOUR_EDB. */
int tour_db_fail(sqlite3 *db, char *err, size_t errlen, const char *what);
int tour_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
int tour_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err,
                    size_t errlen);
int tour_meta_write(sqlite3 *db, const tour_meta_t *m, char *err,
                    size_t errlen);
int tour_meta_read(sqlite3 *db, tour_meta_t *m, char *err, size_t errlen);
/* Creates path's database under a temporary name (*tmp_out, which the
 * caller passes to tour_db_finish), with the schema. */
int tour_db_create(const char *path, bool overwrite, sqlite3 **out,
                   char **tmp_out, char *err, size_t errlen);
/* Closes db and renames tmp to path, or removes tmp when failed; frees
 * tmp. */
int tour_db_finish(sqlite3 *db, char *tmp, const char *path, bool failed,
                   char *err, size_t errlen);
int tour_db_open_ro(const char *path, sqlite3 **out, char *err, size_t errlen);
/* The single integer that sql selects, into *n. */
int tour_db_count_rows(sqlite3 *db, const char *sql, int64_t *n, char *err,
                       size_t errlen);

/* The leaderboard (tour_board.c). */
rating_model_t tour_board_model(void);
/* Computes the ratings and tables of a database whose results are all in. */
int tour_board_finalize(sqlite3 *db, const tour_meta_t *m, char *err,
                        size_t errlen);

/* Reports (tour_report.c): the results table as CSV, written atomically. */
int tour_csv_write(sqlite3 *db, const char *path, char *err, size_t errlen);

#endif
