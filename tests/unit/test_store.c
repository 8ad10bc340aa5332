/*
 * Unit tests of the store's queue (store/store.c) as the server drives it
 * from its loop (server/durable.c): a commit that fails
 * because another process holds the write lock drops nothing (the writes,
 * the held reply and the after-commit callbacks wait, in order, and go
 * through on the retry once the lock is released); a write the database
 * refuses for itself is dropped alone; callbacks that never run are told
 * so at close; a file refused at open is left exactly as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <uv.h>

#include "durable.h"
#include "log.h"
#include "replyq.h"
#include "store.h"

/* ---- Helpers ------------------------------------------------------------ */

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lan-test-store-XXXXXX");
  assert_non_null(mkdtemp(dir));
  log_set_level(LOG_LEVEL_ERROR);
  return 0;
}

static int teardown(void **state) {
  char cmd[128];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

static void path_of(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", dir, name);
}

/* The bytes the fake transport was given. */
typedef struct sink {
  char data[256];
  size_t len;
} sink_t;

static int sink_emit(void *ctx, const char *data, size_t len) {
  sink_t *s = ctx;
  assert_true(s->len + len < sizeof s->data);
  memcpy(s->data + s->len, data, len);
  s->len += len;
  return 0;
}

/* After-commit callbacks append their number here. */
typedef struct calls {
  int seen[8];
  bool committed[8];
  int n;
} calls_t;

typedef struct cb_arg {
  calls_t *calls;
  int id;
} cb_arg_t;

static void cb(void *arg, bool committed) {
  cb_arg_t *a = arg;
  assert_true(a->calls->n < 8);
  a->calls->committed[a->calls->n] = committed;
  a->calls->seen[a->calls->n++] = a->id;
}

/* The store's lines go to the server log (quiet below errors here). */
static const store_config_t CFG = {false, durable_log, NULL};

static void q_session(store_t *st, const char *id) {
  static const uint8_t zero[STORE_HASH_BYTES];
  const store_session_t s = {.id = id,
                             .name = "test",
                             .map_id = "map",
                             .map_json = "{}",
                             .map_len = 2,
                             .map_digest = zero,
                             .seed = 1,
                             .turns = 3,
                             .admin_token_hash = zero,
                             .engine_version = "0.0.0",
                             .created_ms = 1,
                             .status = STORE_LOBBY};
  assert_int_equal(store_put_session(st, &s), 0);
}

static void q_chat(store_t *st, const char *session, const char *text) {
  const store_chat_t c = {.session_id = session,
                          .turn = 0,
                          .from = "admin",
                          .to = "all",
                          .text = text,
                          .len = strlen(text),
                          .created_ms = 1};
  assert_int_equal(store_put_chat(st, &c), 0);
}

static int64_t count_rows(const char *path, const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *q;
  int64_t n = -1;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
  if (sqlite3_step(q) == SQLITE_ROW)
    n = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
  return n;
}

/* Another process's write lock, as `sqlite3 FILE` with BEGIN IMMEDIATE. */
static sqlite3 *lock_file(const char *path) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                   SQLITE_OK);
  return db;
}

static void unlock_file(sqlite3 *db) {
  assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
}

/* ---- Tests -------------------------------------------------------------- */

static void test_failed_commit_keeps_everything(void **state) {
  char path[128], err[256];
  uv_loop_t loop;
  store_t *st;
  durable_t *d;
  sink_t sink = {0};
  replyq_t q;
  calls_t calls = {0};
  cb_arg_t a1 = {&calls, 1}, a2 = {&calls, 2};
  (void)state;

  path_of(path, sizeof path, "retry.db");
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(store_open(&st, path, &CFG, err, sizeof err), 0);
  assert_int_equal(durable_new(&d, &loop, st), 0);
  q_session(st, "s1");
  assert_int_equal(store_flush(st), 0);

  sqlite3 *other = lock_file(path);
  replyq_init(&q, sink_emit, &sink);
  replyq_slot_t *slot = replyq_defer(&q, 7);
  assert_non_null(slot);
  q_chat(st, "s1", "first");
  q_chat(st, "s1", "second");
  assert_int_equal(durable_hold_reply(d, slot, "answer", 6), 0);
  assert_int_equal(store_after_commit(st, cb, &a1), 0);
  assert_int_equal(store_after_commit(st, cb, &a2), 0);

  /* Locked: the commit fails, and nothing is answered, run or dropped. */
  assert_int_equal(store_flush(st), -1);
  assert_true(store_counters(st)->commit_failures >= 1);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(sink.len, 0);
  assert_int_equal(calls.n, 0);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM chat"), 0);

  /* Released: the retry timer commits everything, in order. */
  unlock_file(other);
  for (int i = 0; i < 100 && calls.n < 2; i++)
    uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(calls.n, 2);
  assert_int_equal(calls.seen[0], 1);
  assert_int_equal(calls.seen[1], 2);
  assert_true(calls.committed[0] && calls.committed[1]);
  assert_int_equal(sink.len, 6);
  assert_memory_equal(sink.data, "answer", 6);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM chat"), 2);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM chat WHERE id = 1 "
                                    "AND text = 'first'"),
                   1);
  assert_int_equal(store_counters(st)->writes_dropped, 0);

  durable_stop(d);
  uv_run(&loop, UV_RUN_DEFAULT);
  store_close(st);
  durable_free(d);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_refused_write_dropped_alone(void **state) {
  char path[128], err[256];
  store_t *st;
  (void)state;

  path_of(path, sizeof path, "refused.db");
  assert_int_equal(store_open(&st, path, &CFG, err, sizeof err), 0);
  q_session(st, "s1");
  q_chat(st, "s1", "kept");
  /* No session s2: the foreign key refuses this row, now and forever. */
  q_chat(st, "s2", "refused");
  q_chat(st, "s1", "kept too");
  assert_int_equal(store_flush(st), 0);
  assert_int_equal(store_counters(st)->writes_dropped, 1);
  assert_int_equal(store_counters(st)->commit_failures, 0);
  store_close(st);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM chat"), 2);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM sessions"), 1);
}

static void test_callbacks_told_at_close(void **state) {
  char path[128], err[256];
  store_t *st;
  calls_t calls = {0};
  cb_arg_t a1 = {&calls, 1};
  (void)state;

  path_of(path, sizeof path, "close.db");
  assert_int_equal(store_open(&st, path, &CFG, err, sizeof err), 0);
  q_session(st, "s1");
  assert_int_equal(store_flush(st), 0);
  sqlite3 *other = lock_file(path);
  q_chat(st, "s1", "lost");
  assert_int_equal(store_after_commit(st, cb, &a1), 0);
  assert_int_equal(store_flush(st), -1);
  assert_int_equal(calls.n, 0);
  store_close(st);
  assert_int_equal(calls.n, 1);
  assert_false(calls.committed[0]);
  unlock_file(other);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM chat"), 0);
}

/* store_reset empties every table (rows that reference each other
 * included), keeps the schema and the statements working, restarts the
 * counters, and refuses a store with writes still queued. */
static void test_reset_empties_and_keeps_working(void **state) {
  char path[128], err[256];
  store_t *st;
  (void)state;

  path_of(path, sizeof path, "reset.db");
  assert_int_equal(store_open(&st, path, &CFG, err, sizeof err), 0);
  q_session(st, "s1");
  q_chat(st, "s1", "before");
  q_chat(st, "s2", "refused"); /* no session s2: counted as dropped */
  assert_int_equal(store_flush(st), 0);
  assert_int_equal(store_counters(st)->writes_dropped, 1);

  /* Queued, not committed: refused, nothing changed. */
  q_chat(st, "s1", "queued");
  err[0] = '\0';
  assert_int_equal(store_reset(st, err, sizeof err), -1);
  assert_non_null(strstr(err, "1 writes queued"));
  assert_int_equal(store_flush(st), 0);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM chat"), 2);

  assert_int_equal(store_reset(st, err, sizeof err), 0);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM chat"), 0);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM sessions"), 0);
  assert_int_equal(count_rows(path, "PRAGMA user_version"),
                   STORE_SCHEMA_VERSION);
  assert_int_equal(store_counters(st)->writes_dropped, 0);

  /* The same session id again, and foreign keys still enforced. */
  q_session(st, "s1");
  q_chat(st, "s1", "after");
  q_chat(st, "s3", "refused again");
  assert_int_equal(store_flush(st), 0);
  assert_int_equal(store_counters(st)->writes_dropped, 1);
  store_close(st);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM chat"), 1);
  assert_int_equal(count_rows(path, "SELECT COUNT(*) FROM sessions"), 1);
}

static void file_bytes(const char *path, char *buf, size_t cap, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  *len = fread(buf, 1, cap, f);
  fclose(f);
}

static void copy_file(const char *from, const char *to) {
  char buf[8192];
  size_t n;
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  assert_non_null(in);
  assert_non_null(out);
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    assert_int_equal(fwrite(buf, 1, n, out), n);
  fclose(in);
  fclose(out);
}

static void test_refused_file_untouched(void **state) {
  char path[128], wal[140], err[256];
  char before[8192], after[8192];
  size_t n0, n1;
  store_t *st = NULL;
  sqlite3 *db;
  (void)state;

  /* A file from a newer server. */
  path_of(path, sizeof path, "newer.db");
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "CREATE TABLE t (x); PRAGMA user_version=99",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  file_bytes(path, before, sizeof before, &n0);
  assert_int_equal(store_open(&st, path, NULL, err, sizeof err), -1);
  assert_non_null(strstr(err, "newer"));
  file_bytes(path, after, sizeof after, &n1);
  assert_int_equal(n0, n1);
  assert_memory_equal(before, after, n0);
  snprintf(wal, sizeof wal, "%s-wal", path);
  assert_int_not_equal(access(wal, F_OK), 0);

  /* A newer file in WAL mode whose last commits are still in its WAL
   * (copied while its writer was running): folding the WAL in would
   * change the file. */
  {
    char src[128], srcwal[140], dstwal[140];
    path_of(src, sizeof src, "writer.db");
    path_of(path, sizeof path, "newer-wal.db");
    snprintf(srcwal, sizeof srcwal, "%s-wal", src);
    snprintf(dstwal, sizeof dstwal, "%s-wal", path);
    assert_int_equal(sqlite3_open(src, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode=WAL;"
                                  "PRAGMA wal_autocheckpoint=0;"
                                  "CREATE TABLE t (x); INSERT INTO t "
                                  "VALUES (1); PRAGMA user_version=99",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    copy_file(src, path);
    copy_file(srcwal, dstwal);
    sqlite3_close(db);
    file_bytes(path, before, sizeof before, &n0);
    assert_int_equal(store_open(&st, path, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "newer"));
    file_bytes(path, after, sizeof after, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
  }

  /* A file that is not a database at all. */
  path_of(path, sizeof path, "text.db");
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  for (int i = 0; i < 200; i++)
    fputs("not a database, just some text\n", f);
  fclose(f);
  file_bytes(path, before, sizeof before, &n0);
  assert_int_equal(store_open(&st, path, NULL, err, sizeof err), -1);
  file_bytes(path, after, sizeof after, &n1);
  assert_int_equal(n0, n1);
  assert_memory_equal(before, after, n0);
  snprintf(wal, sizeof wal, "%s-wal", path);
  assert_int_not_equal(access(wal, F_OK), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_failed_commit_keeps_everything),
      cmocka_unit_test(test_refused_write_dropped_alone),
      cmocka_unit_test(test_callbacks_told_at_close),
      cmocka_unit_test(test_reset_empties_and_keeps_working),
      cmocka_unit_test(test_refused_file_untouched),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
