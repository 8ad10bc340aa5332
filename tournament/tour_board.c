/*
 * The tournament's leaderboard (tournament.h): statistics, the ratings
 * of every strategy and the per-seat tables, computed from the results
 * database when a run or a merge finishes.
 */
#include "tournament_internal.h"

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

/* ---- The leaderboard ---- */

/* The leaderboard's rating: openskill's defaults but tau = 0, because a
 * built-in strategy does not change between games (Halite froze tau for its
 * finals for the same reason): every game then counts alike, whatever its
 * place in the order. */
rating_model_t tour_board_model(void) {
  rating_model_t m = rating_model_default();
  m.tau = 0;
  return m;
}

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
  const rating_model_t model = tour_board_model();
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
      tour_set_err(err, errlen, "rating game %lld failed", (long long)g->game);
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
      return tour_db_fail(db, err, errlen, "updating a result");
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
int tour_board_finalize(sqlite3 *db, const tour_meta_t *m, char *err,
                        size_t errlen) {
  fin_t f;
  game_rows_t g;
  memset(&f, 0, sizeof f);
  memset(&g, 0, sizeof g);
  sqlite3_stmt *st = NULL;
  int rc = 0;
  const rating_model_t model = tour_board_model();

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
  rc = tour_db_prepare(db,
                       "SELECT seat, score FROM results WHERE rated "
                       "ORDER BY game, seat",
                       &st, err, errlen);
  if (rc)
    goto done;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t seat = sqlite3_column_int64(st, 0);
    if (seat < 0 || (size_t)seat >= f.n_seats) {
      tour_set_err(err, errlen, "a result names seat %lld of a %zu-seat map",
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
    rc = tour_db_fail(db, err, errlen, "reading results");
    goto done;
  }
  sqlite3_finalize(st);
  st = NULL;
  for (size_t s = 0; s < f.n_seats; s++)
    if (f.n_sorted[s] > 1)
      qsort(f.sorted[s], f.n_sorted[s], sizeof *f.sorted[s], cmp_i64);

  /* Pass 2: game by game, updating each game's rows once they are read. */
  rc = tour_db_prepare(db,
                       "UPDATE results SET adjusted = ?1, rank = ?2 "
                       "WHERE game = ?3 AND seat = ?4",
                       &f.upd, err, errlen);
  if (!rc)
    rc = tour_db_prepare(
        db,
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
      tour_set_err(err, errlen, "game %lld has more rows than seats",
                   (long long)game);
      rc = TOUR_EDB;
      goto done;
    }
    if (seat < 0 || (size_t)seat >= f.n_seats) {
      tour_set_err(err, errlen, "a result names seat %lld of a %zu-seat map",
                   (long long)seat, f.n_seats);
      rc = TOUR_EDB;
      goto done;
    }
    const char *id = (const char *)sqlite3_column_text(st, 2);
    int s = sqlite3_column_int(st, 3) ? strategy_index(f.names, k, id ? id : "")
                                      : -1;
    if (sqlite3_column_int(st, 3) && s < 0) {
      tour_set_err(err, errlen,
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
    rc = tour_db_fail(db, err, errlen, "reading results");
    goto done;
  }
  rc = 0;
  if (g.n > 0 && (rc = finish_game(&f, &g, err, errlen, db)) != 0)
    goto done;
  sqlite3_finalize(st);
  st = NULL;

  /* seats */
  rc = tour_db_prepare(
      db,
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
      rc = tour_db_fail(db, err, errlen, "writing seats");
      goto done;
    }
  }
  sqlite3_finalize(st);
  st = NULL;

  /* leaderboard */
  qsort(f.board, k, sizeof *f.board, board_cmp);
  rc = tour_db_prepare(db,
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
      rc = tour_db_fail(db, err, errlen, "writing the leaderboard");
      goto done;
    }
  }
  sqlite3_finalize(st);
  st = NULL;

  /* strategy_seats */
  if (f.by_seat) {
    rc = tour_db_prepare(
        db,
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
          rc = tour_db_fail(db, err, errlen, "writing strategy_seats");
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
