/*
 * Running a tournament (tournament.h): the games of a shard played in
 * forked worker processes (or inline with one job), their results
 * streamed back over pipes and stored in game order.
 */
#include "tournament_internal.h"

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

/* A hosted game's failure travels in rec_head_t.status as HOSTED_FAIL +
 * its tour_err_t, apart from the model's errors. */
#define HOSTED_FAIL (-1000)

/* The outside bot playing strategy s, or -1 for a built-in strategy. */
static int external_of(const tour_config_t *cfg, const agent_strategy_t *s) {
  if (!cfg->bots)
    return -1;
  for (size_t i = 0; i < cfg->bots->n_externals; i++)
    if (s == &cfg->bots->externals[i].strategy)
      return (int)i;
  return -1;
}

/* The game at position k of the shard's list. */
static uint64_t game_at(const tour_config_t *cfg, uint64_t k) {
  return cfg->shard + k * cfg->shards;
}

static int store_game(run_t *r, const rec_head_t *h,
                      const tour_seat_result_t *res, char *err, size_t errlen) {
  const tour_config_t *cfg = r->cfg;
  uint64_t game = game_at(cfg, h->k);
  uint64_t seed = tour_game_seed(cfg->seed, game);
  if (h->status == HOSTED_FAIL + TOUR_EINTR) {
    tour_set_err(err, errlen, "stopped after %llu of %llu games",
                 (unsigned long long)r->stored, (unsigned long long)r->total);
    return TOUR_EINTR;
  }
  if (h->status <= HOSTED_FAIL) {
    tour_set_err(err, errlen,
                 "game %llu (seed %llu) with outside bots failed: %s (the "
                 "worker printed why)",
                 (unsigned long long)game, (unsigned long long)seed,
                 tour_strerror(h->status - HOSTED_FAIL));
    return h->status - HOSTED_FAIL;
  }
  if (h->status != 0) {
    tour_set_err(err, errlen, "game %llu (seed %llu) failed: %s",
                 (unsigned long long)game, (unsigned long long)seed,
                 model_strerror(h->status));
    return TOUR_EMODEL;
  }
  char hash[2 * MODEL_HASH_BYTES + 1];
  tour_hex(h->hash, MODEL_HASH_BYTES, hash);
  sqlite3_stmt *st = r->ins_game;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, (int64_t)game);
  sqlite3_bind_int64(st, 2, (int64_t)seed);
  sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_DONE)
    return tour_db_fail(r->db, err, errlen, "storing a game");
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
      return tour_db_fail(r->db, err, errlen, "storing a result");
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
  int *ext = calloc(n ? n : 1, sizeof *ext);
  bool hosted = false;
  for (size_t s = 0; s < n; s++) {
    int i = tour_plan_seat(plan, game, s);
    seat_strategy[s] = i >= 0 ? cfg->strategies[i] : filler;
    if (ext) {
      ext[s] = external_of(cfg, seat_strategy[s]);
      hosted |= ext[s] >= 0;
    }
  }
  memset(h, 0, sizeof *h);
  h->k = k;
  h->n_seats = (uint32_t)n;
  uint64_t seed = tour_game_seed(cfg->seed, game);
  if (!ext) {
    h->status = HOSTED_FAIL + TOUR_ENOMEM;
  } else if (hosted) {
    char err[512] = "";
    int rc = tour_play_hosted(cfg->map, seat_strategy, ext, cfg->bots, game,
                              seed, res, h->hash, cfg->stop, err, sizeof err);
    if (rc == TOUR_EINTR) {
      h->status = HOSTED_FAIL + rc;
    } else if (rc != 0) {
      fprintf(stderr, "lanthanide tournament: game %llu: %s\n",
              (unsigned long long)game, err);
      h->status = HOSTED_FAIL + rc;
    }
  } else {
    h->status = tour_play(cfg->map, seat_strategy, seed, res, h->hash);
  }
  free(ext);
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

/* A worker's SIGINT and SIGTERM: end its bots, then die of the signal. */
static void worker_stop(int sig) {
  tour_host_kill_all();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* A worker process: plays positions w, w + jobs, ... and writes their
 * records to fd. Never returns. */
static void worker_main(const tour_config_t *cfg, const tour_plan_t *plan,
                        const agent_strategy_t *filler, unsigned w,
                        unsigned jobs, uint64_t total, int fd) {
  /* The parent decides when to stop and ends its workers; a terminal's ^C
   * reaches the whole process group, and a handler inherited from the
   * caller would keep a worker playing. A worker told to stop ends at once,
   * and takes the outside bots it runs with it (their children too). */
  signal(SIGINT, worker_stop);
  signal(SIGTERM, worker_stop);
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
      tour_set_err(err, errlen, "pipe: %s", strerror(errno));
      rc = TOUR_EWORKER;
      goto done;
    }
    pid_t pid = fork();
    if (pid < 0) {
      tour_set_err(err, errlen, "fork: %s", strerror(errno));
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
      tour_set_err(err, errlen, "stopped after %llu of %llu games",
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
      tour_set_err(err, errlen, "poll: %s", strerror(errno));
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
          tour_set_err(err, errlen, "a worker sent a malformed record");
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
    if (!rc && WIFSIGNALED(status) &&
        (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM)) {
      /* ^C at a terminal reaches the workers too, and one may be gone
       * before this process has seen its own SIGINT: a stop, not a
       * failure. */
      tour_set_err(err, errlen, "stopped after %llu of %llu games",
                   (unsigned long long)r->stored, (unsigned long long)r->total);
      rc = TOUR_EINTR;
    } else if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
                       w[i].got != w[i].expect)) {
      if (WIFSIGNALED(status))
        tour_set_err(err, errlen,
                     "worker %u (pid %d) died of signal %d after %llu of its "
                     "%llu games; its next was game %llu",
                     i, (int)pid, WTERMSIG(status),
                     (unsigned long long)w[i].got,
                     (unsigned long long)w[i].expect,
                     (unsigned long long)game_at(cfg, i + w[i].got * jobs));
      else
        tour_set_err(
            err, errlen,
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
      tour_set_err(err, errlen, "stopped after %llu of %llu games",
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
                    tour_meta_t *m) {
  memset(m, 0, sizeof *m);
  snprintf(m->engine, sizeof m->engine, "%s", LAN_VERSION);
  snprintf(m->map_id, sizeof m->map_id, "%s", model_map_id(cfg->map));
  tour_hex(model_map_digest(cfg->map), MODEL_HASH_BYTES, m->map_digest);
  m->map_seats = (int64_t)model_map_seat_count(cfg->map);
  m->map_turns = model_map_turns(cfg->map);
  size_t off = 0;
  for (size_t i = 0; i < cfg->n_strategies && off < sizeof m->strategies; i++)
    off += (size_t)snprintf(m->strategies + off, sizeof m->strategies - off,
                            "%s%s", i ? "," : "", cfg->strategies[i]->id);
  m->seed = cfg->seed;
  m->games = cfg->games;
  m->shard = cfg->shard;
  m->shards = cfg->shards;
  m->cycle = tour_plan_cycle(plan);
  rating_model_t rm = tour_board_model();
  snprintf(m->rating, sizeof m->rating,
           "weng-lin plackett-luce mu=%g sigma=%g beta=%g kappa=%g tau=%g "
           "z=%g",
           rm.mu, rm.sigma, rm.beta, rm.kappa, rm.tau, TOUR_RATING_Z);
}

int tour_run(const tour_config_t *cfg, char *err, size_t errlen) {
  if (!cfg || !cfg->map || !cfg->out || !*cfg->out) {
    tour_set_err(err, errlen, "a tournament needs a map and an output file");
    return TOUR_EINVAL;
  }
  if (cfg->games == 0 || cfg->games > TOUR_GAMES_MAX) {
    tour_set_err(err, errlen, "games must be between 1 and %llu",
                 (unsigned long long)TOUR_GAMES_MAX);
    return TOUR_EINVAL;
  }
  if (cfg->shards == 0 || cfg->shard >= cfg->shards ||
      cfg->shards > cfg->games) {
    tour_set_err(err, errlen,
                 "shard %u/%u is not one of 0..N-1 of N shards, with N no more "
                 "than the games (%llu)",
                 cfg->shard, cfg->shards, (unsigned long long)cfg->games);
    return TOUR_EINVAL;
  }
  if (cfg->jobs == 0 || cfg->jobs > TOUR_JOBS_MAX) {
    tour_set_err(err, errlen, "jobs must be between 1 and %d", TOUR_JOBS_MAX);
    return TOUR_EINVAL;
  }
  if (cfg->csv && !cfg->overwrite && access(cfg->csv, F_OK) == 0) {
    tour_set_err(err, errlen,
                 "%s exists; remove it, choose another file, or overwrite it "
                 "(--force)",
                 cfg->csv);
    return TOUR_EINVAL;
  }
  const agent_strategy_t *filler = agent_find("standing");
  if (!filler) {
    tour_set_err(err, errlen,
                 "the standing strategy is missing from the build");
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
  tour_meta_t meta;
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
  rc = tour_db_create(cfg->out, cfg->overwrite, &r.db, &tmp, err, errlen);
  if (rc)
    goto fail;
  rc = tour_db_exec(r.db, "BEGIN", err, errlen);
  if (!rc)
    rc = tour_meta_write(r.db, &meta, err, errlen);
  if (!rc)
    rc = tour_db_prepare(r.db, "INSERT INTO games VALUES (?, ?, ?)",
                         &r.ins_game, err, errlen);
  if (!rc)
    rc =
        tour_db_prepare(r.db,
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
  rc = tour_board_finalize(r.db, &meta, err, errlen);
  if (!rc)
    rc = tour_db_exec(r.db, "COMMIT", err, errlen);
  if (!rc && cfg->csv)
    rc = tour_csv_write(r.db, cfg->csv, err, errlen);
  if (rc)
    goto fail;
  sqlite3_finalize(r.ins_game);
  sqlite3_finalize(r.ins_result);
  rc = tour_db_finish(r.db, tmp, cfg->out, false, err, errlen);
  free(r.seat_id);
  free(r.kind_name);
  tour_plan_free(plan);
  if (!rc && cfg->progress)
    cfg->progress(cfg->user, r.total, r.total);
  return rc;
fail:
  sqlite3_finalize(r.ins_game);
  sqlite3_finalize(r.ins_result);
  tour_db_finish(r.db, tmp, cfg->out, true, NULL, 0);
  free(r.seat_id);
  free(r.kind_name);
  tour_plan_free(plan);
  return rc;
}
