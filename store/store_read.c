/*
 * The store's reads: what the server's restore reads back and what the
 * tools (`lanthanide replay`, `lanthanide export`) read. Every prepare and
 * every step is checked: a locked or damaged file (SQLITE_BUSY,
 * SQLITE_CORRUPT, anything but a row or the end) stops the read with a
 * sentence naming the table, the session and SQLite's error, never a
 * shorter list that looks complete. Stored MessagePack is scanned with the
 * protocol's limits before a caller may decode it.
 */
#include <assert.h>
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
  row->review = sqlite3_column_int(r->q, 18) != 0;
  row->held_turn = sqlite3_column_int(r->q, 19);
  row->forked_from =
      sqlite3_column_type(r->q, 20) == SQLITE_NULL ? NULL : col_text(r, 20);
  row->forked_turn = sqlite3_column_int(r->q, 21);
  if (aged)
    row->finished_age = sqlite3_column_int64(r->q, 22);
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
  /* review, held_turn, forked_from, forked_turn came with schema 7. */
  return v >= 7   ? "s.fixed, s.creator, s.review, s.held_turn, "
                    "s.forked_from, s.forked_turn"
         : v >= 5 ? "s.fixed, s.creator, 0, -1, NULL, -1"
         : v >= 2 ? "s.fixed, NULL, 0, -1, NULL, -1"
                  : "0, NULL, 0, -1, NULL, -1";
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
  char sql[1024];
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
  char sql[1024];
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
      /* schema 8 (issue 13): observers not revoked */
      {"observers",
       "SELECT session_id, token_hash FROM observers WHERE revoked_ms IS "
       "NULL",
       "token_hash"},
  };
  for (size_t k = 0; k < sizeof Q / sizeof Q[0]; k++) {
    rd_t r;
    if (k == 2 && store_version(st) < 8)
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
  if (store_version(st) < 8)
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

int store_read_amendments(store_t *st, const char *session_id, int turn,
                          store_amendment_fn fn, void *arg, char *err,
                          size_t errlen) {
  if (store_version(st) < 7)
    return 0; /* no amendments before schema 7 */
  rd_t r;
  if (rd_prepare(&r, st, "amendments", session_id,
                 "SELECT turn, seq, fields, created_ms FROM amendments WHERE "
                 "session_id = ?1 AND (?2 < 0 OR turn = ?2) ORDER BY turn, "
                 "seq",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  if (sqlite3_bind_int(r.q, 2, turn) != SQLITE_OK) {
    rd_fail(&r, "bind");
    return rd_done(&r, -1);
  }
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_amendment_row_t row;
    char name[96];
    row.turn = sqlite3_column_int(r.q, 0);
    row.seq = sqlite3_column_int(r.q, 1);
    snprintf(name, sizeof name, "amendment %d of turn %d fields", row.seq,
             row.turn);
    if (!(row.fields = col_msgpack(&r, 2, false, &row.fields_len, name)))
      return rd_done(&r, STORE_DAMAGED);
    row.created_ms = sqlite3_column_int64(r.q, 3);
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

void store_chat_channel(const char *from, const char *to, char *buf,
                        size_t len) {
  if (strcmp(to, "all") == 0)
    snprintf(buf, len, "all");
  else if (strcmp(from, "admin") == 0)
    snprintf(buf, len, "control:%s", to);
  else if (strcmp(from, to) == 0)
    snprintf(buf, len, "team:%s", to);
  else if (strcmp(from, to) < 0)
    snprintf(buf, len, "dm:%s:%s", from, to);
  else
    snprintf(buf, len, "dm:%s:%s", to, from);
}

/* The chat rows of a session from `after` on; the channel column exists
 * from schema 10 (older rows, and older files, read as their `to`). */
static int read_chat(store_t *st, const char *session_id, int64_t after,
                     store_chat_fn fn, void *arg, char *err, size_t errlen) {
  rd_t r;
  const char *sql =
      store_version(st) >= 10
          ? "SELECT id, turn, from_seat, to_seat, text, created_ms, channel "
            "FROM chat WHERE session_id = ?1 AND id > ?2 ORDER BY id"
          : "SELECT id, turn, from_seat, to_seat, text, created_ms, NULL "
            "FROM chat WHERE session_id = ?1 AND id > ?2 ORDER BY id";
  if (rd_prepare(&r, st, "chat", session_id, sql, err, errlen) != 0)
    return rd_done(&r, -1);
  if (sqlite3_bind_int64(r.q, 2, after) != SQLITE_OK) {
    rd_fail(&r, "bind");
    return rd_done(&r, -1);
  }
  int rc;
  char chan[200];
  while ((rc = rd_step(&r)) == 1) {
    store_chat_row_t row;
    row.id = sqlite3_column_int64(r.q, 0);
    row.turn = sqlite3_column_int(r.q, 1);
    row.from = col_text(&r, 2);
    row.to = col_text(&r, 3);
    row.text = col_text(&r, 4);
    row.len = (size_t)sqlite3_column_bytes(r.q, 4);
    row.created_ms = sqlite3_column_int64(r.q, 5);
    if (sqlite3_column_type(r.q, 6) == SQLITE_NULL) {
      store_chat_channel(row.from, row.to, chan, sizeof chan);
      row.channel = chan;
    } else {
      row.channel = col_text(&r, 6);
    }
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc == STORE_STOP ? 0 : rc);
  }
  return rd_done(&r, rc);
}

int store_read_chat(store_t *st, const char *session_id, store_chat_fn fn,
                    void *arg, char *err, size_t errlen) {
  return read_chat(st, session_id, INT64_MIN, fn, arg, err, errlen);
}

int store_read_chat_after(store_t *st, const char *session_id, int64_t after,
                          store_chat_fn fn, void *arg, char *err,
                          size_t errlen) {
  return read_chat(st, session_id, after, fn, arg, err, errlen);
}

int store_max_chat_id(store_t *st, int64_t *id, char *err, size_t errlen) {
  rd_t r;
  if (rd_prepare(&r, st, "chat", NULL, "SELECT COALESCE(MAX(id), 0) FROM chat",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  int rc = rd_step(&r);
  if (rc == 1)
    *id = sqlite3_column_int64(r.q, 0);
  return rd_done(&r, rc == 1 ? 0 : -1);
}

int store_read_channels(store_t *st, const char *session_id,
                        store_channel_fn fn, void *arg, char *err,
                        size_t errlen) {
  if (store_version(st) < 10)
    return 0;
  rd_t r;
  if (rd_prepare(&r, st, "channels", session_id,
                 "SELECT channel, kind, title, members, opened_by, created_ms "
                 "FROM channels WHERE session_id = ?1 ORDER BY rowid",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_channel_row_t row = {col_text(&r, 0), col_text(&r, 1),
                               col_text(&r, 2), col_text(&r, 3),
                               col_text(&r, 4), sqlite3_column_int64(r.q, 5)};
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

int store_read_negotiation_steps(store_t *st, const char *session_id, int turn,
                                 store_negotiation_fn fn, void *arg, char *err,
                                 size_t errlen) {
  if (store_version(st) < 10)
    return 0;
  rd_t r;
  if (rd_prepare(&r, st, "negotiation_steps", session_id,
                 "SELECT id, negotiation, turn, action, seat, author, "
                 "counterparty, terms, created_ms FROM negotiation_steps "
                 "WHERE session_id = ?1 AND (?2 < 0 OR (turn = ?2 AND "
                 "action = 'accept')) ORDER BY id",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  if (sqlite3_bind_int(r.q, 2, turn) != SQLITE_OK) {
    rd_fail(&r, "bind");
    return rd_done(&r, -1);
  }
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_negotiation_row_t row;
    row.id = sqlite3_column_int64(r.q, 0);
    row.negotiation = col_text(&r, 1);
    row.turn = sqlite3_column_int(r.q, 2);
    row.action = col_text(&r, 3);
    row.seat = col_text(&r, 4);
    row.author = col_text(&r, 5);
    row.counterparty = col_text(&r, 6);
    row.terms = sqlite3_column_blob(r.q, 7);
    row.terms_len = (size_t)sqlite3_column_bytes(r.q, 7);
    row.created_ms = sqlite3_column_int64(r.q, 8);
    char why[256];
    if (!row.terms ||
        store_scan(row.terms, row.terms_len, false, why, sizeof why) != 0)
      return rd_done(&r, rd_bad(&r, "the terms of step #%s: cannot be read",
                                row.negotiation));
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

/* ---- The after-action review ------------------------------------------- */

/* One SELECT per kind (the first names the columns), each giving: t_ms, turn,
 * kind, seat, text, detail, data, the kind's order among rows of the same time,
 * the row, and a tenth column (the message's to_seat; else NULL). ?1 is the
 * session. A kind that needs a later schema names it. Add a kind: add a row. */
static const struct {
  int64_t min_version, max_version;
  const char *sql;
} TIMELINE[] = {
    {1, 99,
     "SELECT created_ms AS t_ms, 0 AS turn, 'session' AS kind, '' AS seat, "
     "'session created: ' || CASE WHEN name = '' THEN id ELSE name END || "
     "' (map ' || map_id || ', ' || turns || "
     "' turns)' AS text, '' AS detail, NULL AS data, 0 AS ord, 0 AS rid, "
     "NULL AS to_seat FROM sessions WHERE id = ?1"},
    {1, 99,
     "SELECT s.created_ms, s.turn, 'orders', t.seat, 'submitted orders', "
     "s.source, s.orders, 2, s.id, NULL FROM submissions s JOIN seats t ON "
     "t.session_id = s.session_id AND t.seat_index = s.seat_index WHERE "
     "s.session_id = ?1"},
    {1, 99,
     "SELECT r.created_ms, r.turn, 'ready', t.seat, 'ready for turn ' || "
     "r.turn, '', NULL, 3, r.rowid, NULL FROM readies r JOIN seats t ON "
     "t.session_id = r.session_id AND t.seat_index = r.seat_index WHERE "
     "r.session_id = ?1"},
    {1, 6,
     "SELECT resolved_ms, turn, 'resolved', '', 'turn ' || turn || "
     "' resolved', '', NULL, 4, turn, NULL FROM turns WHERE session_id = ?1"},
    /* schema 7 (review): a review session's turn is stored when control
     * releases it */
    {7, 99,
     "SELECT resolved_ms, turn, CASE WHEN (SELECT review FROM sessions WHERE "
     "id = ?1) THEN 'release' ELSE 'resolved' END, '', 'turn ' || turn || "
     "CASE WHEN (SELECT review FROM sessions WHERE id = ?1) THEN ' released "
     "by control' ELSE ' resolved' END, '', NULL, 4, turn, NULL FROM turns "
     "WHERE session_id = ?1"},
    {7, 99,
     "SELECT created_ms, turn, 'amendment', seat, kind || ': ' || reason, "
     "kind, fields, 3, seq, NULL FROM amendments WHERE session_id = ?1"},
    {7, 99,
     "SELECT created_ms, forked_turn, 'fork', '', 'forked from ' || "
     "forked_from || ' at turn ' || forked_turn, forked_from, NULL, 0, 1, "
     "NULL FROM sessions WHERE id = ?1 AND forked_from IS NOT NULL"},
    /* schema 9: the control cell's injects, made, then fired or cancelled;
     * scripted events it cancelled */
    {9, 99,
     "SELECT created_ms, turn, 'inject', '', 'inject ' || inject || ' for "
     "turn ' || turn || CASE WHEN note <> '' THEN ': ' || note ELSE '' END, "
     "'created', event, 5, inject, NULL FROM injects WHERE session_id = ?1"},
    {9, 99,
     "SELECT changed_ms, turn, 'inject', '', 'inject ' || inject || ' ' || "
     "status, status, NULL, 5, inject, NULL FROM injects WHERE session_id = "
     "?1 AND changed_ms IS NOT NULL"},
    {9, 99,
     "SELECT created_ms, turn, 'inject', '', 'scripted event ' || idx || ' "
     "cancelled', 'cancelled', NULL, 5, idx, NULL FROM scripted_cancels WHERE "
     "session_id = ?1"},
    {1, 9,
     "SELECT created_ms, turn, 'message', from_seat, text, NULL, NULL, 1, id, "
     "to_seat FROM chat WHERE session_id = ?1"},
    {10, 99,
     "SELECT created_ms, turn, 'message', from_seat, text, channel, NULL, 1, "
     "id, to_seat FROM chat WHERE session_id = ?1"},
    {10, 99,
     "SELECT created_ms, turn, 'contract', seat, action || ' ' || negotiation "
     "|| ': offer of ' || author || ' to ' || counterparty, negotiation, "
     "terms, 1, id, NULL FROM negotiation_steps WHERE session_id = ?1"},
};

/* The number of elements of the MessagePack array at b, or -1. */
static int64_t mp_array_size(const uint8_t *b, size_t len) {
  if (len >= 1 && (b[0] & 0xf0) == 0x90)
    return b[0] & 0x0f;
  if (len >= 3 && b[0] == 0xdc)
    return (int64_t)b[1] << 8 | b[2];
  if (len >= 5 && b[0] == 0xdd)
    return (int64_t)b[1] << 24 | (int64_t)b[2] << 16 | (int64_t)b[3] << 8 |
           b[4];
  return -1;
}

int store_read_timeline(store_t *st, const char *session_id, int from_turn,
                        int to_turn, store_timeline_fn fn, void *arg, char *err,
                        size_t errlen) {
  char sql[8192];
  size_t off = 0;
  off += (size_t)snprintf(sql + off, sizeof sql - off, "SELECT * FROM (");
  bool first = true;
  for (size_t i = 0; i < sizeof TIMELINE / sizeof TIMELINE[0]; i++) {
    if (store_version(st) < TIMELINE[i].min_version ||
        store_version(st) > TIMELINE[i].max_version)
      continue;
    off += (size_t)snprintf(sql + off, sizeof sql - off, "%s%s",
                            first ? "" : " UNION ALL ", TIMELINE[i].sql);
    first = false;
  }
  off += (size_t)snprintf(sql + off, sizeof sql - off,
                          ") WHERE turn BETWEEN ?2 AND ?3 ORDER BY t_ms, "
                          "ord, rid");
  assert(off < sizeof sql);
  rd_t r;
  if (rd_prepare(&r, st, "timeline", session_id, sql, err, errlen) != 0)
    return rd_done(&r, -1);
  if (sqlite3_bind_int(r.q, 2, from_turn) != SQLITE_OK ||
      sqlite3_bind_int(r.q, 3, to_turn) != SQLITE_OK) {
    rd_fail(&r, "bind");
    return rd_done(&r, -1);
  }
  int rc;
  char chan[200], text[64];
  while ((rc = rd_step(&r)) == 1) {
    store_timeline_row_t row;
    row.t_ms = sqlite3_column_int64(r.q, 0);
    row.turn = sqlite3_column_int(r.q, 1);
    row.kind = col_text(&r, 2);
    row.seat = col_text(&r, 3);
    row.text = col_text(&r, 4);
    row.detail = col_text(&r, 5);
    row.data = sqlite3_column_blob(r.q, 6);
    row.data_len = (size_t)sqlite3_column_bytes(r.q, 6);
    if (row.data) {
      char why[256];
      if (store_scan(row.data, row.data_len, false, why, sizeof why) != 0)
        return rd_done(&r,
                       rd_bad(&r, "a %s row's data cannot be read", row.kind));
    }
    if (strcmp(row.kind, "message") == 0 &&
        sqlite3_column_type(r.q, 5) == SQLITE_NULL) {
      store_chat_channel(row.seat, col_text(&r, 9), chan, sizeof chan);
      row.detail = chan;
    }
    if (strcmp(row.kind, "orders") == 0 && row.data) {
      int64_t n = mp_array_size(row.data, row.data_len);
      snprintf(text, sizeof text, "submitted %" PRId64 " order%s", n,
               n == 1 ? "" : "s");
      row.text = text;
    }
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc == STORE_STOP ? 0 : rc);
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

/* ---- The control cell's events (schema 9, issue 13) ------------------ */

int store_read_scripted_events(store_t *st, const char *session_id, bool *on,
                               char *err, size_t errlen) {
  *on = true;
  if (store_version(st) < 9)
    return 0;
  rd_t r;
  if (rd_prepare(&r, st, "sessions", session_id,
                 "SELECT scripted_events FROM sessions WHERE id = ?1", err,
                 errlen) != 0)
    return rd_done(&r, -1);
  int rc = rd_step(&r);
  if (rc == 1) {
    *on = sqlite3_column_int(r.q, 0) != 0;
    rc = 0;
  }
  return rd_done(&r, rc);
}

int store_read_injects(store_t *st, const char *session_id, store_inject_fn fn,
                       void *arg, char *err, size_t errlen) {
  if (store_version(st) < 9)
    return 0;
  rd_t r;
  if (rd_prepare(&r, st, "injects", session_id,
                 "SELECT inject, turn, event, seats, note, sources, status,"
                 " created_ms, changed_ms FROM injects WHERE session_id = ?1"
                 " ORDER BY inject",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  static const char *const ST[] = {"pending", "fired", "cancelled"};
  int rc;
  while ((rc = rd_step(&r)) == 1) {
    store_inject_row_t row;
    char name[64];
    memset(&row, 0, sizeof row);
    row.inject = sqlite3_column_int64(r.q, 0);
    row.turn = sqlite3_column_int(r.q, 1);
    snprintf(name, sizeof name, "the event of inject %lld",
             (long long)row.inject);
    if (!(row.event = col_msgpack(&r, 2, false, &row.event_len, name)))
      return rd_done(&r, STORE_DAMAGED);
    if (sqlite3_column_type(r.q, 3) != SQLITE_NULL) {
      snprintf(name, sizeof name, "the seats of inject %lld",
               (long long)row.inject);
      if (!(row.seats = col_msgpack(&r, 3, false, &row.seats_len, name)))
        return rd_done(&r, STORE_DAMAGED);
    }
    row.note = col_text(&r, 4);
    row.sources = col_text(&r, 5);
    const char *status = col_text(&r, 6);
    size_t k = 0;
    while (k < 3 && strcmp(status, ST[k]) != 0)
      k++;
    if (k == 3)
      return rd_done(&r, rd_bad(&r,
                                "inject status '%s' is none of pending, "
                                "fired, cancelled",
                                status));
    row.status = (store_inject_status_t)k;
    row.created_ms = sqlite3_column_int64(r.q, 7);
    row.changed_ms = sqlite3_column_int64(r.q, 8);
    if ((rc = fn(arg, &row, err, errlen)) != 0)
      return rd_done(&r, rc);
  }
  return rd_done(&r, rc);
}

int store_read_scripted_cancels(store_t *st, const char *session_id,
                                store_cancel_fn fn, void *arg, char *err,
                                size_t errlen) {
  if (store_version(st) < 9)
    return 0;
  rd_t r;
  if (rd_prepare(&r, st, "scripted_cancels", session_id,
                 "SELECT idx, turn FROM scripted_cancels WHERE session_id ="
                 " ?1 ORDER BY idx",
                 err, errlen) != 0)
    return rd_done(&r, -1);
  int rc;
  while ((rc = rd_step(&r)) == 1)
    if ((rc = fn(arg, sqlite3_column_int(r.q, 0), sqlite3_column_int(r.q, 1),
                 err, errlen)) != 0)
      return rd_done(&r, rc);
  return rd_done(&r, rc);
}
