/*
 * The SQLite store: schema and migrations, the queue of writes and the
 * group commit. See store.h for the contract and docs/storage.md for the
 * schema.
 */
#include "store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "lan_assert.h"

/* Each migration takes the schema from version i to i + 1. Append only:
 * a released migration never changes, so every older file migrates the
 * same way. */
static const char *const MIGRATIONS[] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE sessions ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  map_id TEXT NOT NULL,"
    "  map_json TEXT NOT NULL,"
    "  map_digest BLOB NOT NULL,"
    "  seed INTEGER NOT NULL,"
    "  turns INTEGER NOT NULL,"
    "  turn_ms INTEGER NOT NULL,"
    "  spectators INTEGER NOT NULL,"
    "  admin_token_hash BLOB NOT NULL,"
    "  engine_version TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('lobby', 'running', 'paused', 'finished')),"
    "  turn INTEGER NOT NULL,"
    "  deadline_ms INTEGER,"
    "  remaining_ms INTEGER"
    ");"
    "CREATE TABLE seats ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  seat_index INTEGER NOT NULL,"
    "  seat TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  token_hash BLOB NOT NULL,"
    "  code_hash BLOB NOT NULL,"
    "  token_box BLOB NOT NULL,"
    "  taken INTEGER NOT NULL DEFAULT 0,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  agent TEXT,"
    "  PRIMARY KEY (session_id, seat_index)"
    ");"
    "CREATE TABLE submissions ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  turn INTEGER NOT NULL,"
    "  seat_index INTEGER NOT NULL,"
    "  source TEXT NOT NULL CHECK (source IN ('player', 'agent')),"
    "  orders BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX submissions_by_turn ON submissions"
    "  (session_id, turn, seat_index, id);"
    "CREATE TABLE readies ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  turn INTEGER NOT NULL,"
    "  seat_index INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, turn, seat_index)"
    ");"
    "CREATE TABLE turns ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  turn INTEGER NOT NULL,"
    "  state_hash BLOB NOT NULL,"
    "  snapshot BLOB NOT NULL,"
    "  summary BLOB NOT NULL,"
    "  resolved_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, turn)"
    ");"
    "CREATE TABLE prices ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  turn INTEGER NOT NULL,"
    "  product TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  cents_per_kg INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, turn, product, region)"
    ");"
    "CREATE TABLE production ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  turn INTEGER NOT NULL,"
    "  stage TEXT NOT NULL,"
    "  nation TEXT NOT NULL,"
    "  kg INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, turn, stage, nation)"
    ");"
    "CREATE TABLE scores ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  turn INTEGER NOT NULL,"
    "  seat TEXT NOT NULL,"
    "  score_ppm INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, turn, seat)"
    ");"
    "CREATE TABLE chat ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  turn INTEGER NOT NULL,"
    "  from_seat TEXT NOT NULL,"
    "  to_seat TEXT NOT NULL,"
    "  text TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    /* Stable views for people who query the database directly
     * (docs/storage.md): wire units, one row per observation. */
    "CREATE VIEW v_prices AS SELECT session_id AS session, turn, product,"
    "  region, cents_per_kg / 100.0 AS usd_per_kg FROM prices;"
    "CREATE VIEW v_production AS SELECT session_id AS session, turn, stage,"
    "  nation, kg / 1000.0 AS tonnes FROM production;"
    "CREATE VIEW v_scores AS SELECT session_id AS session, turn, seat,"
    "  score_ppm / 1000000.0 AS score FROM scores;"
    "CREATE VIEW v_chat AS SELECT session_id AS session, turn, from_seat,"
    "  to_seat, text, created_ms FROM chat ORDER BY id;"
    "CREATE VIEW v_sessions AS SELECT id AS session, name, map_id AS map,"
    "  seed, turns, status, turn, created_ms FROM sessions;",
    /* 1 -> 2: sessions.fixed (a turn lasts its whole turn_seconds even when
     * every seat is ready); version-1 files get 0, which is how they
     * played. And three more stable views (docs/storage.md): seats without
     * their secrets, turns with a readable hash and time, and who submitted
     * when (the orders themselves are MessagePack, which SQL cannot
     * unpack: `lanthanide export` writes them as CSV). */
    "ALTER TABLE sessions ADD COLUMN fixed INTEGER NOT NULL DEFAULT 0;"
    "CREATE VIEW v_seats AS SELECT session_id AS session, seat_index, seat,"
    "  kind, title, taken, name, agent FROM seats;"
    "CREATE VIEW v_turns AS SELECT session_id AS session, turn,"
    "  lower(hex(state_hash)) AS state_hash, resolved_ms,"
    "  strftime('%Y-%m-%dT%H:%M:%fZ', resolved_ms / 1000.0, 'unixepoch')"
    "  AS resolved_utc FROM turns;"
    "CREATE VIEW v_submissions AS SELECT s.id AS submission_id,"
    "  s.session_id AS session, s.turn, t.seat, s.source, s.created_ms,"
    "  s.id = (SELECT MAX(l.id) FROM submissions l WHERE"
    "    l.session_id = s.session_id AND l.turn = s.turn AND"
    "    l.seat_index = s.seat_index) AS final,"
    "  length(s.orders) AS orders_bytes"
    "  FROM submissions s JOIN seats t ON t.session_id = s.session_id AND"
    "  t.seat_index = s.seat_index;",
};

#define N_MIGRATIONS (sizeof MIGRATIONS / sizeof MIGRATIONS[0])
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION,
               "one migration per schema version (store.h)");

static const char *const SQL[STORE_STMT_COUNT] = {
    [STORE_SESSION_INSERT] =
        "INSERT INTO sessions (id, name, map_id, map_json, map_digest, seed,"
        " turns, turn_ms, spectators, admin_token_hash, engine_version,"
        " created_ms, status, turn, deadline_ms, remaining_ms, fixed)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [STORE_SESSION_STATUS] =
        "UPDATE sessions SET status = ?2, turn = ?3, deadline_ms = ?4,"
        " remaining_ms = ?5 WHERE id = ?1",
    [STORE_SEAT_INSERT] =
        "INSERT INTO seats (session_id, seat_index, seat, kind, title,"
        " token_hash, code_hash, token_box) VALUES (?,?,?,?,?,?,?,?)",
    [STORE_SEAT_UPDATE] = "UPDATE seats SET taken = ?3, name = ?4, agent = ?5"
                          " WHERE session_id = ?1 AND seat_index = ?2",
    [STORE_SUBMISSION_INSERT] =
        "INSERT INTO submissions (session_id, turn, seat_index, source,"
        " orders, created_ms) VALUES (?,?,?,?,?,?)",
    [STORE_READY_INSERT] =
        "INSERT OR IGNORE INTO readies (session_id, turn, seat_index,"
        " created_ms) VALUES (?,?,?,?)",
    [STORE_READY_DELETE] =
        "DELETE FROM readies WHERE session_id = ?1 AND turn = ?2"
        " AND seat_index = ?3",
    [STORE_TURN_INSERT] =
        "INSERT INTO turns (session_id, turn, state_hash, snapshot, summary,"
        " resolved_ms) VALUES (?,?,?,?,?,?)",
    [STORE_PRICE_INSERT] =
        "INSERT INTO prices (session_id, turn, product, region, cents_per_kg)"
        " VALUES (?,?,?,?,?)",
    [STORE_PRODUCTION_INSERT] =
        "INSERT INTO production (session_id, turn, stage, nation, kg)"
        " VALUES (?,?,?,?,?)",
    [STORE_SCORE_INSERT] =
        "INSERT INTO scores (session_id, turn, seat, score_ppm)"
        " VALUES (?,?,?,?)",
    [STORE_CHAT_INSERT] =
        "INSERT INTO chat (session_id, turn, from_seat, to_seat, text,"
        " created_ms) VALUES (?,?,?,?,?,?)",
};

/* The most parameters a statement of SQL[] takes (the session insert has
 * 17). A longer format is refused by store_q, never cut short. */
#define STORE_MAX_PARAMS 24

typedef struct param {
  char type; /* 'i', 't', 'b', 'n' */
  int64_t i;
  char *p; /* owned copy for 't' and 'b' */
  size_t len;
} param_t;

typedef struct op {
  store_stmt_t stmt;
  int n;
  param_t params[STORE_MAX_PARAMS];
} op_t;

typedef struct held {
  replyq_slot_t *slot;
  char *data;
  size_t len;
} held_t;

typedef struct after {
  store_after_fn fn;
  void *arg;
} after_t;

/* The retry of a failed commit: first after this long, then twice as long
 * each time, up to the cap. While it fails, the failure is logged at most
 * once per STORE_FAIL_LOG_MS (the counter stays exact). */
#define STORE_RETRY_FIRST_MS 100u
#define STORE_RETRY_MAX_MS   1000u
#define STORE_FAIL_LOG_MS    10000u
/* How long the last commit at shutdown waits for another process's lock. */
#define STORE_STOP_BUSY_MS 5000

struct store {
  sqlite3 *db;
  sqlite3_stmt *stmts[STORE_STMT_COUNT];
  uv_loop_t *loop;
  uv_check_t check; /* commits after each iteration's I/O */
  uv_idle_t idle;   /* keeps the loop from blocking while writes wait */
  uv_timer_t retry; /* tries a failed commit again */
  bool handles;
  bool opened; /* the file passed the checks: we may write to it */
  op_t *ops;
  size_t n_ops, cap_ops;
  held_t *held;
  size_t n_held, cap_held;
  after_t *after;
  size_t n_after, cap_after;
  /* A streak of failed commits: how many, since when (ms of uv_hrtime),
   * the next retry's delay, and whether anything was queued since the
   * last attempt (the check phase retries only then, so a locked file
   * does not make the loop spin). */
  bool failing;
  bool fresh;
  uint64_t fails, fail_since_ms, fail_logged_ms, fails_logged;
  uint64_t retry_ms;
  store_counters_t counters;
  proto_buf_t errbuf; /* where an error reply is packed */
};

sqlite3 *store_db(store_t *st) {
  return st->db;
}

const store_counters_t *store_counters(const store_t *st) {
  return &st->counters;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

static int get_int(sqlite3 *db, const char *sql, int64_t *out) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
    return -1;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return rc == SQLITE_ROW ? 0 : -1;
}

static void on_check(uv_check_t *h);
static void on_retry(uv_timer_t *h);

static uint64_t mono_ms(void) {
  return uv_hrtime() / 1000000u;
}

/* An active idle handle makes the loop poll without blocking, so queued
 * writes are committed in this iteration's check phase. */
static void on_idle(uv_idle_t *h) {
  (void)h;
}

int store_open(store_t **out, const char *path, bool sync_full, uv_loop_t *loop,
               char *err, size_t errlen) {
  store_t *st = calloc(1, sizeof *st);
  if (!st) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  proto_buf_init(&st->errbuf);
  int rc = sqlite3_open_v2(path, &st->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open %s: %s", path,
             st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    goto fail;
  }
  /* Read before writing anything: a file that is not a database, is
   * damaged, or comes from a newer Lanthanide is refused untouched. */
  int64_t version;
  if (get_int(st->db, "PRAGMA user_version", &version) != 0) {
    snprintf(err, errlen,
             "%s is not a Lanthanide database (SQLite says: %s); give "
             "another --db file",
             path, sqlite3_errmsg(st->db));
    goto fail;
  }
  if (version > STORE_SCHEMA_VERSION) {
    snprintf(err, errlen,
             "%s has schema version %lld, newer than this server's %d; run "
             "a newer lanthanide-server, or give another --db file",
             path, (long long)version, STORE_SCHEMA_VERSION);
    goto fail;
  }
  {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL) !=
        SQLITE_OK) {
      snprintf(err, errlen, "%s cannot be checked: %s", path,
               sqlite3_errmsg(st->db));
      goto fail;
    }
    bool ok = sqlite3_step(s) == SQLITE_ROW &&
              strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
    if (!ok)
      snprintf(err, errlen,
               "%s is damaged (PRAGMA quick_check: %s); it was not "
               "changed. Restore a backup or give another --db file",
               path,
               sqlite3_column_text(s, 0)
                   ? (const char *)sqlite3_column_text(s, 0)
                   : sqlite3_errmsg(st->db));
    sqlite3_finalize(s);
    if (!ok)
      goto fail;
  }
  /* The checks passed: from here on the server writes to the file, and a
   * clean close folds its WAL back. Before this, store_close leaves the
   * refused file as it found it. */
  st->opened = true;
  if (exec(st->db, "PRAGMA journal_mode=WAL", err, errlen) != 0 ||
      exec(st->db,
           sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
           err, errlen) != 0 ||
      exec(st->db, "PRAGMA foreign_keys=ON", err, errlen) != 0)
    goto fail;
  /* The server is the only writer: no busy handler (it would sleep on the
   * loop thread). */
  sqlite3_busy_timeout(st->db, 0);
  for (int64_t v = version; v < (int64_t)N_MIGRATIONS; v++) {
    char sql[64];
    if (exec(st->db, "BEGIN IMMEDIATE", err, errlen) != 0)
      goto fail;
    if (exec(st->db, MIGRATIONS[v], err, errlen) != 0) {
      char e2[64], why[256];
      snprintf(why, sizeof why, "%s", err);
      exec(st->db, "ROLLBACK", e2, sizeof e2);
      snprintf(err, errlen,
               "%s cannot be migrated from schema %lld to %lld (%s); it was "
               "left at schema %lld",
               path, (long long)v, (long long)v + 1, why, (long long)v);
      goto fail;
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version=%lld", (long long)v + 1);
    if (exec(st->db, sql, err, errlen) != 0 ||
        exec(st->db, "COMMIT", err, errlen) != 0)
      goto fail;
    if (version > 0) /* a new file is created, not migrated */
      log_info("store: migrated %s from schema %lld to %lld", path,
               (long long)v, (long long)v + 1);
  }
  for (int i = 0; i < STORE_STMT_COUNT; i++) {
    if (sqlite3_prepare_v3(st->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &st->stmts[i], NULL) != SQLITE_OK) {
      snprintf(err, errlen, "cannot prepare a statement: %s",
               sqlite3_errmsg(st->db));
      goto fail;
    }
  }
  if (loop) {
    st->loop = loop;
    uv_check_init(loop, &st->check);
    uv_idle_init(loop, &st->idle);
    uv_timer_init(loop, &st->retry);
    st->check.data = st;
    st->retry.data = st;
    uv_check_start(&st->check, on_check);
    /* The check handle must not keep the loop alive on its own. */
    uv_unref((uv_handle_t *)&st->check);
    st->handles = true;
  }
  *out = st;
  return 0;
fail:
  store_close(st);
  return -1;
}

static void free_op(op_t *op) {
  for (int i = 0; i < op->n; i++)
    free(op->params[i].p);
  op->n = 0;
}

int store_q(store_t *st, store_stmt_t stmt, const char *fmt, ...) {
  /* A format longer than the room would bind NULL to the parameters left
   * out: a programming error, refused loudly. */
  LAN_ASSERT(strlen(fmt) <= STORE_MAX_PARAMS);
  if (st->n_ops == st->cap_ops) {
    size_t cap = st->cap_ops ? 2 * st->cap_ops : 64;
    op_t *grown = realloc(st->ops, cap * sizeof *grown);
    if (!grown)
      return -1;
    st->ops = grown;
    st->cap_ops = cap;
  }
  op_t *op = &st->ops[st->n_ops];
  op->stmt = stmt;
  op->n = 0;
  va_list ap;
  va_start(ap, fmt);
  for (const char *f = fmt; *f; f++) {
    param_t *p = &op->params[op->n];
    p->type = *f;
    p->p = NULL;
    p->len = 0;
    if (*f == 'i') {
      p->i = va_arg(ap, int64_t);
    } else if (*f == 't' || *f == 'b' || *f == 'T') {
      const void *src = va_arg(ap, const void *);
      size_t len = *f == 't' ? strlen(src) : va_arg(ap, size_t);
      if (*f == 'T')
        p->type = 't';
      p->p = malloc(len ? len : 1);
      if (!p->p) {
        va_end(ap);
        free_op(op);
        return -1;
      }
      memcpy(p->p, src, len);
      p->len = len;
    }
    op->n++;
  }
  va_end(ap);
  st->n_ops++;
  st->fresh = true;
  if (st->handles && !uv_is_active((uv_handle_t *)&st->idle))
    uv_idle_start(&st->idle, on_idle);
  return 0;
}

static int run_op(store_t *st, op_t *op) {
  sqlite3_stmt *s = st->stmts[op->stmt];
  for (int i = 0; i < op->n; i++) {
    param_t *p = &op->params[i];
    int rc = SQLITE_OK;
    switch (p->type) {
    case 'i':
      rc = sqlite3_bind_int64(s, i + 1, p->i);
      break;
    case 't':
      rc = sqlite3_bind_text(s, i + 1, p->p, (int)p->len, SQLITE_STATIC);
      break;
    case 'b':
      rc = sqlite3_bind_blob(s, i + 1, p->p, (int)p->len, SQLITE_STATIC);
      break;
    default:
      rc = sqlite3_bind_null(s, i + 1);
      break;
    }
    if (rc != SQLITE_OK) {
      sqlite3_clear_bindings(s);
      return rc;
    }
  }
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  st->counters.statements++;
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Errors that belong to one statement and its values, not to the state of
 * the file: trying again can never help. */
static bool refused_for_itself(int rc) {
  switch (rc & 0xff) {
  case SQLITE_CONSTRAINT:
  case SQLITE_MISMATCH:
  case SQLITE_TOOBIG:
  case SQLITE_RANGE:
    return true;
  default:
    return false;
  }
}

static const char *const STMT_NAME[STORE_STMT_COUNT] = {
    [STORE_SESSION_INSERT] = "session insert",
    [STORE_SESSION_STATUS] = "session status",
    [STORE_SEAT_INSERT] = "seat insert",
    [STORE_SEAT_UPDATE] = "seat update",
    [STORE_SUBMISSION_INSERT] = "submission insert",
    [STORE_READY_INSERT] = "ready insert",
    [STORE_READY_DELETE] = "ready delete",
    [STORE_TURN_INSERT] = "turn insert",
    [STORE_PRICE_INSERT] = "price insert",
    [STORE_PRODUCTION_INSERT] = "production insert",
    [STORE_SCORE_INSERT] = "score insert",
    [STORE_CHAT_INSERT] = "chat insert",
};

/* Complete every held reply: with its bytes once committed, or with an
 * `unavailable` error when the store closes without committing them. */
static void release_held(store_t *st, bool ok) {
  /* A completion may run transport code that holds another reply; take
   * the list first so that one waits for the next commit. */
  held_t *held = st->held;
  size_t n = st->n_held;
  st->held = NULL;
  st->n_held = st->cap_held = 0;
  for (size_t i = 0; i < n; i++) {
    held_t *h = &held[i];
    if (ok) {
      replyq_complete(h->slot, h->data, h->len);
    } else {
      proto_error_t e;
      msgpack_packer pk;
      proto_error_set(&e, PROTO_UNAVAILABLE, NULL,
                      "the server stopped before it could store this "
                      "durably; it may not have been kept. Send it again "
                      "once the server is back; if this persists, tell "
                      "the operator (see the server log)");
      proto_buf_reset(&st->errbuf);
      proto_packer_init(&pk, &st->errbuf);
      if (proto_pack_error_response(&pk, replyq_slot_tag(h->slot), &e) == 0)
        replyq_complete(h->slot, st->errbuf.data, st->errbuf.len);
      else
        replyq_complete(h->slot, NULL, 0);
    }
    free(h->data);
  }
  free(held);
}

/* Run the after-commit callbacks, in order. They may register more, which
 * wait for the next commit. */
static void run_after(store_t *st, bool committed) {
  after_t *after = st->after;
  size_t n = st->n_after;
  st->after = NULL;
  st->n_after = st->cap_after = 0;
  for (size_t i = 0; i < n; i++)
    after[i].fn(after[i].arg, committed);
  free(after);
}

static void drop_op(store_t *st, size_t i) {
  free_op(&st->ops[i]);
  memmove(&st->ops[i], &st->ops[i + 1], (st->n_ops - i - 1) * sizeof *st->ops);
  st->n_ops--;
  st->counters.writes_dropped++;
}

/* One attempt at committing the queue. Returns SQLITE_OK, or the error
 * with a sentence in err and, where one statement was at fault, its index
 * in *bad (else SIZE_MAX). */
static int commit_queue(store_t *st, char *err, size_t errlen, size_t *bad) {
  *bad = SIZE_MAX;
  int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "BEGIN IMMEDIATE: %s", sqlite3_errmsg(st->db));
    return rc;
  }
  for (size_t i = 0; i < st->n_ops; i++) {
    rc = run_op(st, &st->ops[i]);
    if (rc != SQLITE_OK) {
      snprintf(err, errlen, "%s: %s", STMT_NAME[st->ops[i].stmt],
               sqlite3_errmsg(st->db));
      *bad = i;
      goto rollback;
    }
  }
  rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    return SQLITE_OK;
  snprintf(err, errlen, "COMMIT: %s", sqlite3_errmsg(st->db));
rollback:
  /* A failed COMMIT may leave the transaction open (SQLITE_BUSY) or
   * already rolled back; ROLLBACK is harmless in both cases. */
  if (!sqlite3_get_autocommit(st->db))
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* A commit failed: count it, log it (the first of a streak, then at most
 * every STORE_FAIL_LOG_MS), and arm the retry with backoff. */
static void commit_failed(store_t *st, const char *err) {
  uint64_t now = mono_ms();
  st->counters.commit_failures++;
  st->fails++;
  if (!st->failing) {
    st->failing = true;
    st->fail_since_ms = st->fail_logged_ms = now;
    st->fails_logged = st->fails;
    st->retry_ms = STORE_RETRY_FIRST_MS;
    log_error("store: a commit of %zu writes failed (%s); nothing is "
              "dropped: the writes, and the answers and notifications that "
              "wait for them, are kept and the commit is retried",
              st->n_ops, err);
  } else {
    if (now - st->fail_logged_ms >= STORE_FAIL_LOG_MS) {
      log_error("store: commits still failing: %" PRIu64 " attempts in "
                "%.1f s, %zu writes waiting (%s)",
                st->fails - st->fails_logged + 1,
                (double)(now - st->fail_since_ms) / 1000.0, st->n_ops, err);
      st->fail_logged_ms = now;
      st->fails_logged = st->fails;
    }
    st->retry_ms = st->retry_ms * 2 > STORE_RETRY_MAX_MS ? STORE_RETRY_MAX_MS
                                                         : st->retry_ms * 2;
  }
  if (st->handles) {
    uv_timer_start(&st->retry, on_retry, st->retry_ms, 0);
    /* The timer (or new work) wakes the loop: no need to spin. */
    uv_idle_stop(&st->idle);
  }
}

int store_flush(store_t *st) {
  st->fresh = false;
  while (st->n_ops > 0) {
    char err[512];
    size_t bad;
    int rc = commit_queue(st, err, sizeof err, &bad);
    if (rc == SQLITE_OK)
      break;
    if (bad != SIZE_MAX && refused_for_itself(rc)) {
      /* Retrying this one can never succeed, and it would hold back every
       * write and answer behind it: drop it, loudly, and go on. */
      log_error("store: a write was refused by the database and dropped "
                "(%s); the other %zu are committed without it",
                err, st->n_ops - 1);
      drop_op(st, bad);
      continue;
    }
    commit_failed(st, err);
    return -1;
  }
  if (st->n_ops > 0) { /* the loop above committed them */
    st->counters.commits++;
    for (size_t i = 0; i < st->n_ops; i++)
      free_op(&st->ops[i]);
    st->n_ops = 0;
  }
  if (st->failing) {
    log_warn("store: commit succeeded after %" PRIu64 " failed attempts "
             "over %.1f s; every kept write is now stored",
             st->fails, (double)(mono_ms() - st->fail_since_ms) / 1000.0);
    st->failing = false;
    st->fails = 0;
    if (st->handles)
      uv_timer_stop(&st->retry);
  }
  if (st->handles)
    uv_idle_stop(&st->idle);
  release_held(st, true);
  run_after(st, true);
  return 0;
}

static void on_check(uv_check_t *h) {
  store_t *st = h->data;
  if (st->failing && !st->fresh)
    return; /* the retry timer tries again */
  if (st->n_ops > 0 || st->n_held > 0 || st->n_after > 0)
    (void)store_flush(st);
}

static void on_retry(uv_timer_t *h) {
  store_t *st = h->data;
  if (st->n_ops > 0 || st->n_held > 0 || st->n_after > 0)
    (void)store_flush(st);
}

/* Pack an `internal` error response for slot s and complete it with it
 * (with no bytes only if even that fails), so the reply order goes on. */
static void complete_internal(store_t *st, replyq_slot_t *s) {
  proto_error_t e;
  msgpack_packer pk;
  proto_error_set(&e, PROTO_INTERNAL, NULL,
                  "the server ran out of memory holding this answer; it "
                  "may or may not be stored: send it again");
  proto_buf_reset(&st->errbuf);
  proto_packer_init(&pk, &st->errbuf);
  if (proto_pack_error_response(&pk, replyq_slot_tag(s), &e) == 0)
    replyq_complete(s, st->errbuf.data, st->errbuf.len);
  else
    replyq_complete(s, NULL, 0);
}

int store_hold_reply(store_t *st, replyq_slot_t *s, const char *data,
                     size_t len) {
  if (!st->handles)
    return replyq_complete(s, data, len) < 0 ? -1 : 0;
  if (st->n_held == st->cap_held) {
    size_t cap = st->cap_held ? 2 * st->cap_held : 64;
    held_t *grown = realloc(st->held, cap * sizeof *grown);
    if (!grown)
      goto nomem;
    st->held = grown;
    st->cap_held = cap;
  }
  char *copy = malloc(len ? len : 1);
  if (!copy)
    goto nomem;
  memcpy(copy, data, len);
  st->held[st->n_held++] = (held_t){s, copy, len};
  st->counters.replies_held++;
  st->fresh = true;
  if (!uv_is_active((uv_handle_t *)&st->idle))
    uv_idle_start(&st->idle, on_idle);
  return 0;
nomem:
  complete_internal(st, s);
  return -1;
}

int store_after_commit(store_t *st, store_after_fn fn, void *arg) {
  if (st->n_after == st->cap_after) {
    size_t cap = st->cap_after ? 2 * st->cap_after : 16;
    after_t *grown = realloc(st->after, cap * sizeof *grown);
    if (!grown)
      return -1;
    st->after = grown;
    st->cap_after = cap;
  }
  st->after[st->n_after++] = (after_t){fn, arg};
  st->fresh = true;
  if (st->handles && !uv_is_active((uv_handle_t *)&st->idle))
    uv_idle_start(&st->idle, on_idle);
  return 0;
}

void store_stop(store_t *st) {
  if (!st || !st->handles)
    return;
  if (st->n_ops > 0 || st->n_held > 0 || st->n_after > 0) {
    /* The last chance to keep what the server acted on: wait a little for
     * a lock another process holds rather than lose it. */
    sqlite3_busy_timeout(st->db, STORE_STOP_BUSY_MS);
    (void)store_flush(st);
    sqlite3_busy_timeout(st->db, 0);
  }
  uv_close((uv_handle_t *)&st->check, NULL);
  uv_close((uv_handle_t *)&st->idle, NULL);
  uv_close((uv_handle_t *)&st->retry, NULL);
  st->handles = false;
}

void store_close(store_t *st) {
  if (!st)
    return;
  if (st->n_ops > 0)
    log_error("store: %zu writes could not be committed before the server "
              "stopped and are lost; the answers that waited for them get "
              "`unavailable`",
              st->n_ops);
  for (size_t i = 0; i < st->n_ops; i++)
    free_op(&st->ops[i]);
  free(st->ops);
  release_held(st, false);
  run_after(st, false);
  for (int i = 0; i < STORE_STMT_COUNT; i++)
    sqlite3_finalize(st->stmts[i]);
  if (st->db) {
    /* A clean shutdown folds the WAL back into the database file. A file
     * refused at open is left exactly as it was found: no checkpoint, not
     * even the one SQLite runs when the last connection to a WAL file
     * closes. */
    if (st->opened)
      sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                NULL);
    else
      sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_close(st->db);
  }
  proto_buf_free(&st->errbuf);
  free(st);
}
