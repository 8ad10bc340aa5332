/*
 * The tournament's reports (tournament.h): the results as CSV, and the
 * leaderboard printed from a results database.
 */
#include "tournament_internal.h"

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
int tour_csv_write(sqlite3 *db, const char *path, char *err, size_t errlen) {
  size_t len = strlen(path) + 5;
  char *tmp = malloc(len);
  if (!tmp)
    return TOUR_ENOMEM;
  snprintf(tmp, len, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    tour_set_err(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    free(tmp);
    return TOUR_EIO;
  }
  sqlite3_stmt *st = NULL;
  int rc = tour_db_prepare(
      db,
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
      /* The score in the leaderboard's unit (1 = the seat's whole
       * objective), exact: ppm printed with six decimals. */
      int64_t ppm = sqlite3_column_int64(st, 7);
      fprintf(f, ",%d,%s%lld.%06lld,", sqlite3_column_int(st, 6),
              ppm < 0 ? "-" : "",
              (long long)(ppm < 0 ? -(ppm / MODEL_PPM) : ppm / MODEL_PPM),
              (long long)(ppm < 0 ? -(ppm % MODEL_PPM) : ppm % MODEL_PPM));
      if (sqlite3_column_type(st, 8) != SQLITE_NULL)
        fprintf(f, "%.6f", sqlite3_column_double(st, 8));
      fputc(',', f);
      if (sqlite3_column_type(st, 9) != SQLITE_NULL)
        fprintf(f, "%d", sqlite3_column_int(st, 9));
      fprintf(f, ",%d,%d\n", sqlite3_column_int(st, 10),
              sqlite3_column_int(st, 11));
    }
    if (step != SQLITE_DONE)
      rc = tour_db_fail(db, err, errlen, "reading results for the CSV");
  }
  sqlite3_finalize(st);
  if (ferror(f) || fclose(f) != 0) {
    if (!rc) {
      tour_set_err(err, errlen, "writing %s failed", tmp);
      rc = TOUR_EIO;
    }
  } else if (!rc && rename(tmp, path) != 0) {
    tour_set_err(err, errlen, "cannot rename %s to %s: %s", tmp, path,
                 strerror(errno));
    rc = TOUR_EIO;
  }
  if (rc)
    unlink(tmp);
  free(tmp);
  return rc;
}

/* ---- Roles ---- */

void tour_roles_warn(const char *const *names, const unsigned *kinds, size_t n,
                     const char *prefix, FILE *f) {
  static const char *const KIND_NAME[2] = {"nation", "firm"};
  for (size_t a = 0; a < n; a++)
    for (size_t b = a + 1; b < n; b++)
      if (kinds[a] && kinds[b] && !(kinds[a] & kinds[b]))
        fprintf(f,
                "%s%s and %s never share a role (%s plays %s seats, %s "
                "%s seats), so their ratings cannot be compared\n",
                prefix, names[a], names[b], names[a],
                KIND_NAME[kinds[a] & 1 ? 0 : 1], names[b],
                KIND_NAME[kinds[b] & 1 ? 0 : 1]);
  for (size_t a = 0; a < n; a++) {
    unsigned others = 0;
    for (size_t b = 0; b < n; b++)
      if (b != a)
        others |= kinds[b];
    if (kinds[a] && !(kinds[a] & others))
      fprintf(f,
              "%s%s is the only strategy on its seats, so its adjusted "
              "result is the seats' median (0.500) by construction\n",
              prefix, names[a]);
  }
}

/* The leaderboard's warnings, from the roles the rated strategies took. */
static int print_roles(sqlite3 *db, FILE *f, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc = tour_db_prepare(db,
                           "SELECT l.strategy, r.kind FROM leaderboard l "
                           "LEFT JOIN (SELECT DISTINCT strategy, kind FROM "
                           "results WHERE rated = 1) r ON r.strategy = "
                           "l.strategy ORDER BY l.position",
                           &st, err, errlen);
  if (rc)
    return rc;
  char names[TOUR_STRATEGIES_MAX][MODEL_ID_MAX];
  const char *ptr[TOUR_STRATEGIES_MAX];
  unsigned kinds[TOUR_STRATEGIES_MAX];
  size_t n = 0;
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    if (!name)
      continue;
    size_t i = 0;
    while (i < n && strcmp(names[i], name) != 0)
      i++;
    if (i == n) {
      if (n == TOUR_STRATEGIES_MAX)
        continue;
      snprintf(names[n], MODEL_ID_MAX, "%s", name);
      ptr[n] = names[n];
      kinds[n++] = 0;
    }
    if (kind)
      kinds[i] |= strcmp(kind, "nation") == 0 ? 1u : 2u;
  }
  sqlite3_finalize(st);
  if (step != SQLITE_DONE)
    return tour_db_fail(db, err, errlen, "reading the roles");
  tour_roles_warn(ptr, kinds, n, "warning: ", f);
  return 0;
}

/* Turns the outside bots (or failing agents) missed, per strategy. */
static int print_failed(sqlite3 *db, FILE *f, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc = tour_db_prepare(db,
                           "SELECT strategy, sum(failed), count(*) FROM "
                           "results WHERE rated = 1 GROUP BY strategy "
                           "HAVING sum(failed) > 0 ORDER BY strategy",
                           &st, err, errlen);
  if (rc)
    return rc;
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW)
    fprintf(f,
            "failed turns: %s missed %lld turns over %lld seats played (late, "
            "crashed or silent: standing orders were played)\n",
            (const char *)sqlite3_column_text(st, 0),
            (long long)sqlite3_column_int64(st, 1),
            (long long)sqlite3_column_int64(st, 2));
  sqlite3_finalize(st);
  if (step != SQLITE_DONE)
    return tour_db_fail(db, err, errlen, "reading failed turns");
  return 0;
}

/* ---- Printing ---- */

int tour_print(const char *path, FILE *f, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  int rc = tour_db_open_ro(path, &db, err, errlen);
  if (rc)
    return rc;
  tour_meta_t m;
  rc = tour_meta_read(db, &m, err, errlen);
  if (rc) {
    sqlite3_close(db);
    return rc;
  }
  int64_t nations = 0, firms = 0, games = 0;
  if (!rc)
    rc = tour_db_count_rows(db,
                            "SELECT count(*) FROM seats WHERE kind = 'nation'",
                            &nations, err, errlen);
  if (!rc)
    rc =
        tour_db_count_rows(db, "SELECT count(*) FROM seats WHERE kind = 'firm'",
                           &firms, err, errlen);
  if (!rc)
    rc = tour_db_count_rows(db, "SELECT count(*) FROM games", &games, err,
                            errlen);
  sqlite3_stmt *st = NULL;
  if (!rc)
    rc = tour_db_prepare(
        db,
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
    rc = tour_db_fail(db, err, errlen, "reading the leaderboard");
  sqlite3_finalize(st);
  if (!rc)
    rc = print_roles(db, f, err, errlen);
  if (!rc)
    rc = print_failed(db, f, err, errlen);
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
