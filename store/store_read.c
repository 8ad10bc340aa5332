/*
 * The store's reads: what the server's restore reads back and what the
 * tools (`lanthanide replay`, `lanthanide export`) read. Every prepare and
 * every step is checked: a locked or damaged file (SQLITE_BUSY,
 * SQLITE_CORRUPT, anything but a row or the end) stops the read with a
 * sentence naming the table, the session and SQLite's error, never a
 * shorter list that looks complete. Stored MessagePack is scanned with the
 * protocol's limits before a caller may decode it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "store_internal.h"

static const char *const STATUS[] = {"lobby", "running", "paused", "finished"};

/* ---- Stored MessagePack ------------------------------------------------- */

int store_scan(const uint8_t *blob, size_t len, bool sequence, char *err,
               size_t errlen) {
  proto_limits_t lim;
  proto_limits_default(&lim);
  /* The wire's nesting and count limits; the size limit is the blob's
   * own length (SQLite already bounds it, and a snapshot of a large map
   * may exceed one wire message). */
  if (len > lim.max_message)
    lim.max_message = len;
  size_t off = 0;
  do {
    proto_scan_t scan;
    size_t used = 0;
    proto_scan_init(&scan);
    proto_scan_result_t r =
        off < len ? proto_scan_feed(&scan, &lim, blob + off, len - off, &used)
                  : PROTO_SCAN_MORE;
    if (r < 0) {
      /* The scanner's sentence, without its full stop: it goes inside a
       * longer one. */
      char why[256];
      snprintf(why, sizeof why, "%s", proto_scan_strerror(r));
      size_t n = strlen(why);
      if (n > 0 && why[n - 1] == '.')
        why[n - 1] = '\0';
      snprintf(err, errlen,
               "its MessagePack is damaged at byte %zu and was not "
               "decoded: %s",
               off + scan.off, why);
      return -1;
    }
    if (r != PROTO_SCAN_DONE) {
      snprintf(err, errlen,
               "its MessagePack is cut short (%zu bytes, a value "
               "unfinished); it was not decoded",
               len);
      return -1;
    }
    off += used;
  } while (sequence && off < len);
  if (off != len) {
    snprintf(err, errlen,
             "it holds %zu bytes after its MessagePack value; it was not "
             "decoded",
             len - off);
    return -1;
  }
  return 0;
}

/* ---- Helpers ------------------------------------------------------------ */

/* A read in progress: its statement and what to name in an error. */
typedef struct rd {
  store_t *st;
  sqlite3_stmt *q;
  const char *table;
  const char *session; /* NULL: the whole file */
  char *err;
  size_t errlen;
} rd_t;

static void rd_fail(rd_t *r, const char *what) {
  sqlite3 *db = store_sqlite(r->st);
  int code = sqlite3_extended_errcode(db);
  if (r->session)
    snprintf(r->err, r->errlen,
             "cannot read table %s of session %s: %s: %s (SQLite error %d)",
             r->table, r->session, what, sqlite3_errmsg(db), code);
  else
    snprintf(r->err, r->errlen,
             "cannot read table %s: %s: %s (SQLite error %d)", r->table, what,
             sqlite3_errmsg(db), code);
}

/* A row of the table that is not as the schema says. */
static int rd_bad(rd_t *r, const char *fmt, const char *what) {
  /* A row that is not as written: STORE_DAMAGED (callers pass it on). */
  char why[256];
  snprintf(why, sizeof why, fmt, what);
  if (r->session)
    snprintf(r->err, r->errlen,
             "a row of table %s of session %s is damaged: %s", r->table,
             r->session, why);
  else
    snprintf(r->err, r->errlen, "a row of table %s is damaged: %s", r->table,
             why);
  return STORE_DAMAGED;
}

static int rd_prepare(rd_t *r, store_t *st, const char *table,
                      const char *session, const char *sql, char *err,
                      size_t errlen) {
  *r = (rd_t){st, NULL, table, session, err, errlen};
  if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &r->q, NULL) != SQLITE_OK) {
    rd_fail(r, "prepare");
    return -1;
  }
  if (session &&
      sqlite3_bind_text(r->q, 1, session, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
    rd_fail(r, "bind");
    return -1;
  }
  return 0;
}

/* Step: 1 for a row, 0 at the end, -1 on an error (err filled). */
static int rd_step(rd_t *r) {
  int rc = sqlite3_step(r->q);
  if (rc == SQLITE_ROW)
    return 1;
  if (rc == SQLITE_DONE)
    return 0;
  rd_fail(r, "step");
  return -1;
}

static int rd_done(rd_t *r, int rc) {
  sqlite3_finalize(r->q);
  r->q = NULL;
  return rc;
}

static const char *col_text(rd_t *r, int i) {
  const unsigned char *t = sqlite3_column_text(r->q, i);
  return t ? (const char *)t : "";
}

/* A fixed-size blob column: NULL (and err filled) if it has another
 * size. */
static const uint8_t *col_fixed(rd_t *r, int i, size_t n, const char *name) {
  if ((size_t)sqlite3_column_bytes(r->q, i) != n) {
    char fmt[128];
    snprintf(fmt, sizeof fmt, "%%s has %d bytes, not %zu",
             sqlite3_column_bytes(r->q, i), n);
    rd_bad(r, fmt, name);
    return NULL;
  }
  return sqlite3_column_blob(r->q, i);
}

/* A MessagePack blob column, scanned. */
static const uint8_t *col_msgpack(rd_t *r, int i, bool sequence, size_t *len,
                                  const char *name) {
  const uint8_t *b = sqlite3_column_blob(r->q, i);
  *len = (size_t)sqlite3_column_bytes(r->q, i);
  char why[256];
  if (store_scan(b, *len, sequence, why, sizeof why) != 0) {
    char fmt[400];
    snprintf(fmt, sizeof fmt, "%%s: %s", why);
    rd_bad(r, fmt, name);
    return NULL;
  }
  return b;
}

/* ---- Sessions ----------------------------------------------------------- */

#define SESSION_COLUMNS                                                        \
  "s.id, s.name, s.map_id, s.map_json, s.map_digest, s.seed, s.turns, "        \
  "s.turn_ms, s.spectators, s.admin_token_hash, s.engine_version, "            \
  "s.created_ms, s.status, s.turn, s.deadline_ms, s.remaining_ms, "

static int session_row(rd_t *r, store_session_row_t *row, bool aged) {
  memset(row, 0, sizeof *row);
  row->id = col_text(r, 0);
  r->session = row->id; /* errors in this row name it */
  row->name = col_text(r, 1);
  row->map_id = col_text(r, 2);
  row->map_json = col_text(r, 3);
  row->map_len = (size_t)sqlite3_column_bytes(r->q, 3);
  row->map_digest = col_fixed(r, 4, STORE_HASH_BYTES, "map_digest");
  if (!row->map_digest)
    return -1;
  row->seed = (uint64_t)sqlite3_column_int64(r->q, 5);
  row->turns = sqlite3_column_int(r->q, 6);
  row->turn_ms = sqlite3_column_int64(r->q, 7);
  row->spectators = sqlite3_column_int(r->q, 8) != 0;
  row->admin_token_hash = col_fixed(r, 9, STORE_HASH_BYTES, "admin_token_hash");
  if (!row->admin_token_hash)
    return -1;
  row->engine_version = col_text(r, 10);
  row->created_ms = sqlite3_column_int64(r->q, 11);
  const char *status = col_text(r, 12);
  size_t k = 0;
  while (k < 4 && strcmp(status, STATUS[k]) != 0)
    k++;
  if (k == 4)
    return rd_bad(r, "status '%s' is none of lobby, running, paused, finished",
                  status);
  row->status = (store_status_t)k;
  row->turn = sqlite3_column_int(r->q, 13);
  row->deadline_ms = sqlite3_column_int64(r->q, 14);
  row->remaining_ms = sqlite3_column_int64(r->q, 15);
  row->fixed = sqlite3_column_int(r->q, 16) != 0;
  if (sqlite3_column_type(r->q, 17) != SQLITE_NULL) {
    row->creator = col_fixed(r, 17, STORE_CREATOR_BYTES, "creator");
    if (!row->creator)
      return -1;
  }
  if (aged)
    row->finished_age = sqlite3_column_int64(r->q, 18);
  return 0;
}

/* Run a sessions query: fn for each row. A damaged row stops the read,
 * or, with pass_damage, is given to fn with its id and row.damage (and
 * the read goes on). */
static int each_session(rd_t *r, bool aged, bool pass_damage,
                        store_session_fn fn, void *arg) {
  int rc;
  while ((rc = rd_step(r)) == 1) {
    store_session_row_t row;
    char why[512];
    if (session_row(r, &row, aged) != 0) {
      if (!pass_damage)
        return rd_done(r, STORE_DAMAGED);
      snprintf(why, sizeof why, "%s", r->err);
      memset(&row, 0, sizeof row);
      row.id = col_text(r, 0);
      row.damage = why;
    }
    rc = fn(arg, &row, r->err, r->errlen);
    r->session = NULL;
    if (rc != 0)
      return rd_done(r, rc);
  }
  return rd_done(r, rc);
}

/* The column `deleted_ms` came with schema 6 (session.delete): the
 * restore serves no deleted session, and quarantines none either (a
 * deleted session is never read, so its rows cannot be found damaged). */
static const char *not_deleted(store_t *st) {
  return store_version(st) >= 6 ? "s.deleted_ms IS NULL" : "1";
}

/* The columns after SESSION_COLUMNS: `fixed` came with schema 2 (older
 * files played as 0), `creator` with schema 5 (older files: unknown). */
static const char *tail_columns(store_t *st) {
  int64_t v = store_version(st);
  return v >= 5 ? "s.fixed, s.creator" : v >= 2 ? "s.fixed, NULL" : "0, NULL";
}

int store_read_sessions(store_t *st, uint64_t max_finished, store_session_fn fn,
                        void *arg, char *err, size_t errlen) {
  /* Every session in play, and the newest max_finished finished ones.
   * When a session finished is not stored: its last resolved turn, else
   * its creation, is as near as the file tells (then the order it was
   * stored in). */
  char sql[2048];
  snprintf(sql, sizeof sql,
           "WITH f AS (SELECT id, ROW_NUMBER() OVER (ORDER BY COALESCE("
           "(SELECT MAX(resolved_ms) FROM turns t WHERE t.session_id = s.id),"
           " created_ms) DESC, rowid DESC) AS age FROM sessions s WHERE "
           "status = 'finished' AND %s) "
           "SELECT " SESSION_COLUMNS "%s, COALESCE(f.age, 0) FROM sessions s "
           "LEFT JOIN f ON f.id = s.id WHERE (s.status != 'finished' OR "
           "f.age <= ?1) AND %s ORDER BY s.created_ms, s.rowid",
           not_deleted(st), tail_columns(st), not_deleted(st));
  rd_t r;
  if (rd_prepare(&r, st, "sessions", NULL, sql, err, errlen) != 0)
    return rd_done(&r, -1);
  if (sqlite3_bind_int64(r.q, 1,
                         max_finished > INT64_MAX
                             ? INT64_MAX
                             : (int64_t)max_finished) != SQLITE_OK) {
    rd_fail(&r, "bind");
    return rd_done(&r, -1);
  }
  return each_session(&r, true, true, fn, arg);
}

int store_read_all_sessions(store_t *st, store_session_fn fn, void *arg,
                            char *err, size_t errlen) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT " SESSION_COLUMNS "%s FROM sessions s ORDER BY "
           "s.created_ms, s.id",
           tail_columns(st));
  rd_t r;
  if (rd_prepare(&r, st, "sessions", NULL, sql, err, errlen) != 0)
    return rd_done(&r, -1);
  return each_session(&r, false, false, fn, arg);
}

int store_read_session(store_t *st, const char *id, store_session_fn fn,
                       void *arg, char *err, size_t errlen) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT " SESSION_COLUMNS "%s FROM sessions s WHERE s.id = ?1",
           tail_columns(st));
  rd_t r;
  if (rd_prepare(&r, st, "sessions", id, sql, err, errlen) != 0)
    return rd_done(&r, -1);
  int rc = rd_step(&r);
  if (rc == 0) {
    snprintf(err, errlen, "there is no session %s in the file", id);
    return rd_done(&r, 1);
  }
  if (rc < 0)
    return rd_done(&r, -1);
  store_session_row_t row;
  if (session_row(&r, &row, false) != 0)
    return rd_done(&r, STORE_DAMAGED);
  return rd_done(&r, fn(arg, &row, err, errlen));
}

int store_session_exists(store_t *st, const char *id) {
  char err[256];
  rd_t r;
  if (rd_prepare(&r, st, "sessions", id, "SELECT 1 FROM sessions WHERE id = ?1",
                 err, sizeof err) != 0)
    return rd_done(&r, -1);
  return rd_done(&r, rd_step(&r));
}

int store_read_tokens(store_t *st, store_hash_fn fn, void *arg, char *err,
                      size_t errlen) {
  static const struct {
    const char *table, *sql, *column;
  } Q[] = {
      {"sessions", "SELECT id, admin_token_hash FROM sessions",
       "admin_token_hash"},
      {"seats", "SELECT session_id, token_hash FROM seats", "token_hash"},
      /* schema 7 (issue 13): observers not revoked */
      {"observers",
       "SELECT session_id, token_hash FROM observers WHERE revoked_ms IS "
       "NULL",
       "token_hash"},
  };
  for (size_t k = 0; k < sizeof Q / sizeof Q[0]; k++) {
    rd_t r;
    if (k == 2 && store_version(st) < 7)
      break;
    if (rd_prepare(&r, st, Q[k].table, NULL, Q[k].sql, err, errlen) != 0)
      return rd_done(&r, -1);
    int rc;
    while ((rc = rd_step(&r)) == 1) {
      r.session = col_text(&r, 0); /* a damaged row names its session */
      /* A damaged hash is skipped: its session is damaged too, and the
       * restore quarantines it (store_read_sessions, store_read_seats
       * read the same column and say so). */
      const uint8_t *h = sqlite3_column_bytes(r.q, 1) == STORE_HASH_BYTES
                             ? sqlite3_column_blob(r.q, 1)
                             : NULL;
      r.session = NULL;
      if (!h)
        continue;
      if ((rc = fn(arg, h, err, errlen)) != 0)
        return rd_done(&r, rc);
    }
    if (rd_done(&r, rc) != 0)
      return rc;
  }
  return 0;
}

/* ---- Per session ------------------------------------------------------- */

int store_read_seats(store_t *st, const char *session_id, store_seat_fn fn,
                     void *arg, char *err, size_t errlen) {
  rd_t r;
  if (rd_prepare(&r, st, "seats", session_id,
                 "SELECT seat_index, seat, kind, title, token_hash, "
                 "code_hash, token_box, taken, name, agent FROM seats WHERE "
                 "session_id = ?1 ORDER BY seat_index",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_seat_row_t row;
    row.index = sqlite3_column_int(r.q, 0);
    row.seat = col_text(&r, 1);
    row.nation = strcmp(col_text(&r, 2), "nation") == 0;
    row.title = col_text(&r, 3);
    if (!(row.token_hash = col_fixed(&r, 4, STORE_HASH_BYTES, "token_hash")) ||
        !(row.code_hash = col_fixed(&r, 5, STORE_HASH_BYTES, "code_hash")) ||
        !(row.token_box = col_fixed(&r, 6, STORE_BOX_BYTES, "token_box")))
      return rd_done(&r, STORE_DAMAGED);
    row.taken = sqlite3_column_int(r.q, 7) != 0;
    row.name = col_text(&r, 8);
    row.agent = (const char *)sqlite3_column_text(r.q, 9);
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

int store_read_seat_controls(store_t *st, const char *session_id,
                             store_seat_control_fn fn, void *arg, char *err,
                             size_t errlen) {
  rd_t r;
  /* A file of schema 3 or older (the tools read those) has no table:
   * no rows. */
  if (store_version(st) < 4)
    return 0;
  if (rd_prepare(&r, st, "seat_controls", session_id,
                 "SELECT seat_index, locked, admin_box FROM seat_controls "
                 "WHERE session_id = ?1 ORDER BY seat_index",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_seat_control_row_t row;
    row.index = sqlite3_column_int(r.q, 0);
    row.locked = sqlite3_column_int(r.q, 1) != 0;
    row.admin_box = NULL;
    if (sqlite3_column_type(r.q, 2) != SQLITE_NULL &&
        !(row.admin_box = col_fixed(&r, 2, STORE_BOX_BYTES, "admin_box")))
      return rd_done(&r, STORE_DAMAGED);
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

int store_read_observers(store_t *st, const char *session_id,
                         store_observer_fn fn, void *arg, char *err,
                         size_t errlen) {
  rd_t r;
  if (store_version(st) < 7)
    return 0;
  if (rd_prepare(&r, st, "observers", session_id,
                 "SELECT observer, name, seats, token_hash, revoked_ms IS "
                 "NOT NULL FROM observers WHERE session_id = ?1 "
                 "ORDER BY observer",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_observer_row_t row;
    row.observer = sqlite3_column_int64(r.q, 0);
    row.name = col_text(&r, 1);
    row.seats = col_text(&r, 2);
    row.revoked = sqlite3_column_int(r.q, 4) != 0;
    if (!(row.token_hash = col_fixed(&r, 3, STORE_HASH_BYTES, "token_hash")))
      return rd_done(&r, STORE_DAMAGED);
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

int store_read_turns(store_t *st, const char *session_id, store_turn_fn fn,
                     void *arg, char *err, size_t errlen) {
  rd_t r;
  if (rd_prepare(&r, st, "turns", session_id,
                 "SELECT turn, state_hash, snapshot, summary, resolved_ms "
                 "FROM turns WHERE session_id = ?1 ORDER BY turn",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_turn_row_t row;
    char name[64];
    row.turn = sqlite3_column_int(r.q, 0);
    snprintf(name, sizeof name, "the snapshot of turn %d", row.turn);
    if (!(row.state_hash = col_fixed(&r, 1, STORE_HASH_BYTES, "state_hash")) ||
        !(row.snapshot = col_msgpack(&r, 2, true, &row.snapshot_len, name)))
      return rd_done(&r, STORE_DAMAGED);
    snprintf(name, sizeof name, "the summary of turn %d", row.turn);
    if (!(row.summary = col_msgpack(&r, 3, false, &row.summary_len, name)))
      return rd_done(&r, STORE_DAMAGED);
    row.resolved_ms = sqlite3_column_int64(r.q, 4);
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

int store_read_submissions(store_t *st, const char *session_id, int turn,
                           store_submission_fn fn, void *arg, char *err,
                           size_t errlen) {
  rd_t r;
  if (rd_prepare(&r, st, "submissions", session_id,
                 "SELECT s.id, s.turn, s.seat_index, s.source, s.orders, "
                 "s.created_ms, s.id = (SELECT MAX(l.id) FROM submissions l "
                 "WHERE l.session_id = s.session_id AND l.turn = s.turn AND "
                 "l.seat_index = s.seat_index) FROM submissions s WHERE "
                 "s.session_id = ?1 AND (?2 < 0 OR s.turn = ?2) ORDER BY s.id",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  if (sqlite3_bind_int(r.q, 2, turn) != SQLITE_OK) {
    rd_fail(&r, "bind");
    return rd_done(&r, -1);
  }
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_submission_row_t row;
    char name[96];
    row.id = sqlite3_column_int64(r.q, 0);
    row.turn = sqlite3_column_int(r.q, 1);
    row.seat_index = sqlite3_column_int(r.q, 2);
    row.source =
        strcmp(col_text(&r, 3), "agent") == 0 ? STORE_AGENT : STORE_PLAYER;
    snprintf(name, sizeof name,
             "submission %" PRId64 " (turn %d, seat %d) orders", row.id,
             row.turn, row.seat_index);
    if (!(row.orders = col_msgpack(&r, 4, false, &row.orders_len, name)))
      return rd_done(&r, STORE_DAMAGED);
    row.created_ms = sqlite3_column_int64(r.q, 5);
    row.final = sqlite3_column_int(r.q, 6) != 0;
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

int store_read_readies(store_t *st, const char *session_id, int turn,
                       store_index_fn fn, void *arg, char *err, size_t errlen) {
  rd_t r;
  if (rd_prepare(&r, st, "readies", session_id,
                 "SELECT seat_index FROM readies WHERE session_id = ?1 AND "
                 "turn = ?2 ORDER BY seat_index",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  if (sqlite3_bind_int(r.q, 2, turn) != SQLITE_OK) {
    rd_fail(&r, "bind");
    return rd_done(&r, -1);
  }
  int rc;
  while ((rc = rd_step(&r)) == 1)
    if ((rc = fn(arg, sqlite3_column_int(r.q, 0), err, errlen)) != 0)
      return rd_done(&r, rc);
  return rd_done(&r, rc);
}

int store_count_chat(store_t *st, const char *session_id, uint64_t *n,
                     char *err, size_t errlen) {
  rd_t r;
  if (rd_prepare(&r, st, "chat", session_id,
                 "SELECT COUNT(*) FROM chat WHERE session_id = ?1", err,
                 errlen) != 0)
    return rd_done(&r, -1);
  int rc = rd_step(&r);
  if (rc == 1)
    *n = (uint64_t)sqlite3_column_int64(r.q, 0);
  return rd_done(&r, rc == 1 ? 0 : -1);
}

int store_read_chat(store_t *st, const char *session_id, store_chat_fn fn,
                    void *arg, char *err, size_t errlen) {
  rd_t r;
  if (rd_prepare(&r, st, "chat", session_id,
                 "SELECT id, turn, from_seat, to_seat, text, created_ms FROM "
                 "chat WHERE session_id = ?1 ORDER BY id",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_chat_row_t row;
    row.id = sqlite3_column_int64(r.q, 0);
    row.turn = sqlite3_column_int(r.q, 1);
    row.from = col_text(&r, 2);
    row.to = col_text(&r, 3);
    row.text = col_text(&r, 4);
    row.len = (size_t)sqlite3_column_bytes(r.q, 4);
    row.created_ms = sqlite3_column_int64(r.q, 5);
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

int store_read_figures(store_t *st, const char *session_id, store_figure_t kind,
                       int turn, store_figure_fn fn, void *arg, char *err,
                       size_t errlen) {
  static const struct {
    const char *table, *sql;
  } Q[] = {
      [STORE_PRICES] = {"prices",
                        "SELECT turn, product, region, cents_per_kg FROM "
                        "prices WHERE session_id = ?1 AND (?2 < 0 OR turn = "
                        "?2) ORDER BY turn, rowid"},
      [STORE_PRODUCTION] = {"production",
                            "SELECT turn, stage, nation, kg FROM production "
                            "WHERE session_id = ?1 AND (?2 < 0 OR turn = ?2) "
                            "ORDER BY turn, rowid"},
      [STORE_SCORES] = {"scores",
                        "SELECT turn, seat, '', score_ppm FROM scores WHERE "
                        "session_id = ?1 AND (?2 < 0 OR turn = ?2) ORDER BY "
                        "turn, rowid"},
  };
  rd_t r;
  if (rd_prepare(&r, st, Q[kind].table, session_id, Q[kind].sql, err, errlen) !=
      0)
    return rd_done(&r, -1);
  if (sqlite3_bind_int(r.q, 2, turn) != SQLITE_OK) {
    rd_fail(&r, "bind");
    return rd_done(&r, -1);
  }
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_figure_row_t row = {sqlite3_column_int(r.q, 0), col_text(&r, 1),
                              col_text(&r, 2), sqlite3_column_int64(r.q, 3)};
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}
