/*
 * Unit tests of the store library alone (store/store.h, no event loop):
 * typed rows written and read back as written; stored MessagePack checked
 * with the wire's limits before anything decodes it (a submission of
 * dd ff ff ff ff, an array header claiming 4 billion items, is refused with
 * a sentence instead of making msgpack-c allocate 128 GiB); and a read of
 * a file another process holds locked is an error naming the table and
 * SQLite's error, never an empty list.
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

#include "store.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/lan-test-store-read-XXXXXX");
  assert_non_null(mkdtemp(dir));
  return 0;
}

static int teardown(void **state) {
  char cmd[128];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

static const uint8_t HASH_A[STORE_HASH_BYTES] = {1, 2, 3};
static const uint8_t HASH_B[STORE_HASH_BYTES] = {4, 5, 6};
static const uint8_t BOX[STORE_BOX_BYTES] = {7, 8, 9};
/* An array of 0xffffffff items in five bytes. */
static const uint8_t HUGE_ARRAY[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
/* [{"op": "noop"}]: one order map. */
static const uint8_t ONE_ORDER[] = {0x91, 0x81, 0xa2, 'o', 'p',
                                    0xa4, 'n',  'o',  'o', 'p'};

static store_t *open_new(const char *name) {
  char path[128], err[256];
  store_t *st;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  const store_config_t cfg = {false, NULL, NULL};
  assert_int_equal(store_open(&st, path, &cfg, err, sizeof err), 0);
  return st;
}

static void put_session(store_t *st, const char *id) {
  const store_session_t s = {.id = id,
                             .name = "a game",
                             .map_id = "classroom",
                             .map_json = "{\"id\":1}",
                             .map_len = 8,
                             .map_digest = HASH_A,
                             .seed = UINT64_MAX - 1, /* above INT64_MAX */
                             .turns = 12,
                             .turn_ms = 60000,
                             .spectators = true,
                             .admin_token_hash = HASH_B,
                             .engine_version = "9.9.9",
                             .created_ms = 1000,
                             .status = STORE_RUNNING,
                             .turn = 3,
                             .deadline_ms = 5000,
                             .remaining_ms = 0,
                             .fixed = true};
  assert_int_equal(store_put_session(st, &s), 0);
}

static void put_submission(store_t *st, const char *id, int turn,
                           const uint8_t *orders, size_t len) {
  const store_submission_t s = {.session_id = id,
                                .turn = turn,
                                .seat_index = 1,
                                .source = STORE_AGENT,
                                .orders = orders,
                                .orders_len = len,
                                .created_ms = 2000};
  assert_int_equal(store_put_submission(st, &s), 0);
}

/* ---- Callbacks that record what they were given ------------------------- */

typedef struct seen {
  int n;
  store_session_row_t session;
  char name[64], map_json[64];
  int64_t sub_id;
  bool sub_final;
  store_source_t sub_source;
  size_t sub_len;
  int seats;
  char agent[16];
} seen_t;

static int on_session(void *arg, const store_session_row_t *row, char *err,
                      size_t errlen) {
  seen_t *s = arg;
  (void)err;
  (void)errlen;
  s->n++;
  s->session = *row;
  snprintf(s->name, sizeof s->name, "%s", row->name);
  snprintf(s->map_json, sizeof s->map_json, "%.*s", (int)row->map_len,
           row->map_json);
  assert_memory_equal(row->map_digest, HASH_A, STORE_HASH_BYTES);
  assert_memory_equal(row->admin_token_hash, HASH_B, STORE_HASH_BYTES);
  return 0;
}

static int on_sub(void *arg, const store_submission_row_t *row, char *err,
                  size_t errlen) {
  seen_t *s = arg;
  (void)err;
  (void)errlen;
  s->n++;
  s->sub_id = row->id;
  s->sub_final = row->final;
  s->sub_source = row->source;
  s->sub_len = row->orders_len;
  return 0;
}

static int on_seat(void *arg, const store_seat_row_t *row, char *err,
                   size_t errlen) {
  seen_t *s = arg;
  (void)err;
  (void)errlen;
  s->seats++;
  assert_int_equal(row->index, 1);
  assert_string_equal(row->seat, "CHN");
  assert_true(row->nation);
  assert_true(row->taken);
  assert_string_equal(row->name, "bot");
  assert_memory_equal(row->token_box, BOX, STORE_BOX_BYTES);
  snprintf(s->agent, sizeof s->agent, "%s", row->agent ? row->agent : "-");
  return 0;
}

static int on_turn(void *arg, const store_turn_row_t *row, char *err,
                   size_t errlen) {
  seen_t *s = arg;
  (void)row;
  (void)err;
  (void)errlen;
  s->n++;
  return 0;
}

/* ---- Tests -------------------------------------------------------------- */

static void test_rows_read_back_as_written(void **state) {
  char err[512];
  seen_t seen = {0};
  (void)state;
  store_t *st = open_new("rows.db");
  put_session(st, "s1");
  const store_seat_t seat = {.session_id = "s1",
                             .index = 1,
                             .seat = "CHN",
                             .nation = true,
                             .title = "China",
                             .token_hash = HASH_A,
                             .code_hash = HASH_B,
                             .token_box = BOX};
  assert_int_equal(store_put_seat(st, &seat), 0);
  assert_int_equal(store_set_seat(st, "s1", 1, true, "bot", "greedy"), 0);
  put_submission(st, "s1", 3, ONE_ORDER, sizeof ONE_ORDER);
  put_submission(st, "s1", 3, ONE_ORDER, sizeof ONE_ORDER);
  assert_int_equal(store_flush(st), 0);

  assert_int_equal(
      store_read_sessions(st, 10, on_session, &seen, err, sizeof err), 0);
  assert_int_equal(seen.n, 1);
  assert_string_equal(seen.name, "a game");
  assert_string_equal(seen.map_json, "{\"id\":1}");
  assert_true(seen.session.seed == UINT64_MAX - 1);
  assert_int_equal(seen.session.status, STORE_RUNNING);
  assert_int_equal(seen.session.turn, 3);
  assert_int_equal(seen.session.turns, 12);
  assert_true(seen.session.fixed && seen.session.spectators);
  assert_int_equal(seen.session.finished_age, 0);

  assert_int_equal(store_read_seats(st, "s1", on_seat, &seen, err, sizeof err),
                   0);
  assert_int_equal(seen.seats, 1);
  assert_string_equal(seen.agent, "greedy");

  seen.n = 0;
  assert_int_equal(
      store_read_submissions(st, "s1", 3, on_sub, &seen, err, sizeof err), 0);
  /* The second submission of the seat for turn 3 replaced the first
   * (issue 10: one row per session, turn and seat), with a new id. */
  assert_int_equal(seen.n, 1);
  assert_int_equal(seen.sub_id, 2);
  assert_true(seen.sub_final);
  assert_int_equal(seen.sub_source, STORE_AGENT);
  assert_int_equal(seen.sub_len, sizeof ONE_ORDER);
  seen.n = 0;
  assert_int_equal(
      store_read_submissions(st, "s1", 4, on_sub, &seen, err, sizeof err), 0);
  assert_int_equal(seen.n, 0);

  assert_int_equal(store_session_exists(st, "s1"), 1);
  assert_int_equal(store_session_exists(st, "s2"), 0);
  seen.n = 0;
  assert_int_equal(
      store_read_session(st, "s2", on_session, &seen, err, sizeof err), 1);
  assert_int_equal(seen.n, 0);
  assert_non_null(strstr(err, "s2"));
  store_close(st);
}

static void test_scan_refuses_huge_count(void **state) {
  char err[256];
  (void)state;
  /* The scanner alone: five bytes that claim 4 billion items. */
  assert_int_equal(
      store_scan(HUGE_ARRAY, sizeof HUGE_ARRAY, false, err, sizeof err), -1);
  assert_non_null(strstr(err, "damaged"));
  /* A value cut short, and one followed by more. */
  assert_int_equal(
      store_scan(ONE_ORDER, sizeof ONE_ORDER - 1, false, err, sizeof err), -1);
  assert_non_null(strstr(err, "cut short"));
  uint8_t two[2 * sizeof ONE_ORDER];
  memcpy(two, ONE_ORDER, sizeof ONE_ORDER);
  memcpy(two + sizeof ONE_ORDER, ONE_ORDER, sizeof ONE_ORDER);
  assert_int_equal(store_scan(two, sizeof two, false, err, sizeof err), -1);
  assert_int_equal(store_scan(two, sizeof two, true, err, sizeof err), 0);
  assert_int_equal(
      store_scan(ONE_ORDER, sizeof ONE_ORDER, false, err, sizeof err), 0);
}

static void test_stored_huge_submission_refused(void **state) {
  char err[512];
  seen_t seen = {0};
  (void)state;
  store_t *st = open_new("huge.db");
  put_session(st, "s1");
  put_submission(st, "s1", 2, ONE_ORDER, sizeof ONE_ORDER);
  put_submission(st, "s1", 3, HUGE_ARRAY, sizeof HUGE_ARRAY);
  assert_int_equal(store_flush(st), 0);
  /* The sound row is given, then the read stops at the damaged one with a
   * sentence naming the table, the session and the submission: it is
   * never handed to a decoder. */
  assert_int_equal(
      store_read_submissions(st, "s1", -1, on_sub, &seen, err, sizeof err),
      STORE_DAMAGED);
  assert_int_equal(seen.n, 1);
  assert_non_null(strstr(err, "submissions"));
  assert_non_null(strstr(err, "s1"));
  assert_non_null(strstr(err, "submission 2"));
  assert_non_null(strstr(err, "damaged"));

  /* A snapshot is scanned too. */
  const store_turn_t t = {.session_id = "s1",
                          .turn = 2,
                          .state_hash = HASH_A,
                          .snapshot = HUGE_ARRAY,
                          .snapshot_len = sizeof HUGE_ARRAY,
                          .summary = ONE_ORDER,
                          .summary_len = sizeof ONE_ORDER,
                          .resolved_ms = 3};
  assert_int_equal(store_put_turn(st, &t), 0);
  assert_int_equal(store_flush(st), 0);
  seen.n = 0;
  assert_int_equal(store_read_turns(st, "s1", on_turn, &seen, err, sizeof err),
                   STORE_DAMAGED);
  assert_int_equal(seen.n, 0);
  assert_non_null(strstr(err, "snapshot of turn 2"));
  store_close(st);
}

static void test_locked_file_is_an_error(void **state) {
  char path[128], err[512];
  sqlite3 *other;
  store_t *st = open_new("locked.db");
  (void)state;
  put_session(st, "s1");
  assert_int_equal(store_flush(st), 0);
  store_close(st);

  /* Another process takes the file for itself (in WAL mode that needs it
   * to be the file's only connection, as when a server starts). */
  snprintf(path, sizeof path, "%s/locked.db", dir);
  assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other,
                                "PRAGMA locking_mode=EXCLUSIVE; BEGIN "
                                "EXCLUSIVE; UPDATE sessions SET turn = 4",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  const store_config_t cfg = {false, NULL, NULL};
  st = NULL;
  assert_int_equal(store_open(&st, path, &cfg, err, sizeof err), -1);
  assert_null(st);
  assert_non_null(strstr(err, "locked"));
  assert_int_equal(store_open_readonly(&st, path, err, sizeof err), -1);
  assert_non_null(strstr(err, "locked"));
  assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(other);

  /* Released: the file opens, as it was. */
  seen_t seen = {0};
  assert_int_equal(store_open(&st, path, &cfg, err, sizeof err), 0);
  assert_int_equal(
      store_read_sessions(st, 10, on_session, &seen, err, sizeof err), 0);
  assert_int_equal(seen.n, 1);
  assert_int_equal(seen.session.turn, 3);
  store_close(st);
}

static void test_damaged_seat_is_an_error(void **state) {
  char path[128], err[512];
  seen_t seen = {0};
  sqlite3 *other;
  (void)state;
  store_t *st = open_new("seat.db");
  put_session(st, "s1");
  const store_seat_t seat = {.session_id = "s1",
                             .index = 1,
                             .seat = "CHN",
                             .nation = true,
                             .title = "China",
                             .token_hash = HASH_A,
                             .code_hash = HASH_B,
                             .token_box = BOX};
  assert_int_equal(store_put_seat(st, &seat), 0);
  assert_int_equal(store_flush(st), 0);
  snprintf(path, sizeof path, "%s/seat.db", dir);
  assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other, "UPDATE seats SET token_hash = x'00'",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(other);
  /* A row that is not as written is STORE_DAMAGED (the restore
   * quarantines its session), not -1 (the file cannot be read). */
  assert_int_equal(store_read_seats(st, "s1", on_seat, &seen, err, sizeof err),
                   STORE_DAMAGED);
  assert_int_equal(seen.seats, 0);
  assert_non_null(strstr(err, "seats"));
  assert_non_null(strstr(err, "token_hash has 1 bytes"));
  store_close(st);
}

/* The restore's read of sessions goes past a damaged session row: fn gets
 * its id and why (issue 10: one damaged session no longer stops the
 * server's start); the tools' read still stops at it. */
typedef struct damaged_seen {
  int n, damaged;
  char id[32], why[512];
} damaged_seen_t;

static int on_any_session(void *arg, const store_session_row_t *row, char *err,
                          size_t errlen) {
  damaged_seen_t *d = arg;
  (void)err;
  (void)errlen;
  d->n++;
  if (row->damage) {
    d->damaged++;
    snprintf(d->id, sizeof d->id, "%s", row->id);
    snprintf(d->why, sizeof d->why, "%s", row->damage);
  }
  return 0;
}

static void test_damaged_session_row_is_passed_on(void **state) {
  char err[512], path[256];
  damaged_seen_t d = {0};
  sqlite3 *other;
  (void)state;
  store_t *st = open_new("dsess.db");
  put_session(st, "s1");
  put_session(st, "s2");
  put_session(st, "s3");
  assert_int_equal(store_flush(st), 0);
  snprintf(path, sizeof path, "%s/dsess.db", dir);
  assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other,
                                "UPDATE sessions SET admin_token_hash = x'00'"
                                " WHERE id = 's2'",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(other);
  assert_int_equal(
      store_read_sessions(st, 10, on_any_session, &d, err, sizeof err), 0);
  assert_int_equal(d.n, 3);
  assert_int_equal(d.damaged, 1);
  assert_string_equal(d.id, "s2");
  assert_non_null(strstr(d.why, "admin_token_hash"));
  memset(&d, 0, sizeof d);
  assert_int_equal(
      store_read_all_sessions(st, on_any_session, &d, err, sizeof err),
      STORE_DAMAGED);
  assert_int_equal(d.n, 1);
  store_close(st);
}

/* ---- Issue 13: channels, negotiation, the timeline ---------------------- */

typedef struct rec {
  int n;
  char kinds[16][16];
  int64_t t[16];
  char detail[16][32];
} rec_t;

static int on_timeline(void *arg, const store_timeline_row_t *row, char *err,
                       size_t errlen) {
  rec_t *r = arg;
  (void)err;
  (void)errlen;
  assert_true(r->n < 16);
  snprintf(r->kinds[r->n], sizeof r->kinds[0], "%s", row->kind);
  snprintf(r->detail[r->n], sizeof r->detail[0], "%s", row->detail);
  r->t[r->n++] = row->t_ms;
  return 0;
}

static int on_chat_rec(void *arg, const store_chat_row_t *row, char *err,
                       size_t errlen) {
  rec_t *r = arg;
  (void)err;
  (void)errlen;
  snprintf(r->detail[r->n], sizeof r->detail[0], "%s", row->channel);
  r->t[r->n++] = row->id;
  return STORE_STOP; /* one page of one */
}

static int on_step_rec(void *arg, const store_negotiation_row_t *row, char *err,
                       size_t errlen) {
  rec_t *r = arg;
  (void)err;
  (void)errlen;
  snprintf(r->kinds[r->n], sizeof r->kinds[0], "%s", row->action);
  snprintf(r->detail[r->n], sizeof r->detail[0], "%s", row->author);
  r->t[r->n++] = row->turn;
  return 0;
}

/* Every kind the store records for the after-action review comes back in
 * time order, whatever order it was written in; a message without a
 * channel reads as the one its `to` implies; chat pages stop where the
 * reader says; the accept steps of one turn are what replay signs. */
static void test_timeline_channels_negotiation(void **state) {
  (void)state;
  store_t *st = open_new("timeline.db");
  char err[256];
  put_session(st, "s1");
  const store_seat_t seat = {"s1",   1,      "USA", true, "United States",
                             HASH_A, HASH_B, BOX};
  assert_int_equal(store_put_seat(st, &seat), 0);
  const store_turn_t turn = {"s1",
                             0,
                             HASH_A,
                             ONE_ORDER,
                             sizeof ONE_ORDER,
                             ONE_ORDER + 1,
                             sizeof ONE_ORDER - 1,
                             3000};
  assert_int_equal(store_put_turn(st, &turn), 0);
  put_submission(st, "s1", 0, ONE_ORDER, sizeof ONE_ORDER); /* at 2000 */
  assert_int_equal(store_put_ready(st, "s1", 0, 1, 1500), 0);
  const store_chat_t old = {"s1", 0, "admin", "USA", "hi", 2, 1200, 0, NULL};
  const store_chat_t chan = {"s1", 0, "USA", "ch:1", "yo", 2, 2500, 0, "ch:1"};
  assert_int_equal(store_put_chat(st, &old), 0);
  assert_int_equal(store_put_chat(st, &chan), 0);
  const store_channel_t ch = {"s1",      "ch:1", "bilateral", "talks",
                              "CHN USA", "CHN",  1100};
  assert_int_equal(store_put_channel(st, &ch), 0);
  const uint8_t terms[] = {0x80}; /* {} */
  const store_negotiation_step_t steps[] = {
      {"s1", "n1", 0, "propose", "CHN", "CHN", "USA", terms, 1, 1800},
      {"s1", "n1", 0, "accept", "USA", "CHN", "USA", terms, 1, 1900},
      {"s1", "n2", 1, "accept", "USA", "USA", "CHN", terms, 1, 4000}};
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(store_put_negotiation_step(st, &steps[i]), 0);
  assert_int_equal(store_flush(st), 0);

  rec_t r = {0};
  assert_int_equal(
      store_read_timeline(st, "s1", 0, 0, on_timeline, &r, err, sizeof err), 0);
  static const char *const want[] = {"session",  "message",  "ready",
                                     "contract", "contract", "orders",
                                     "message",  "resolved"};
  assert_int_equal(r.n, 8);
  for (int i = 0; i < r.n; i++) {
    assert_string_equal(r.kinds[i], want[i]);
    if (i > 0)
      assert_true(r.t[i - 1] <= r.t[i]);
  }
  assert_string_equal(r.detail[1], "control:USA"); /* implied by `to` */
  assert_string_equal(r.detail[6], "ch:1");
  memset(&r, 0, sizeof r);
  assert_int_equal(
      store_read_timeline(st, "s1", 1, 5, on_timeline, &r, err, sizeof err), 0);
  assert_int_equal(r.n, 1); /* only turn 1's accept */

  memset(&r, 0, sizeof r);
  assert_int_equal(
      store_read_chat_after(st, "s1", 0, on_chat_rec, &r, err, sizeof err), 0);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.detail[0], "control:USA");
  int64_t max = 0;
  assert_int_equal(store_max_chat_id(st, &max, err, sizeof err), 0);
  assert_int_equal(max, 2);

  memset(&r, 0, sizeof r);
  assert_int_equal(store_read_negotiation_steps(st, "s1", 0, on_step_rec, &r,
                                                err, sizeof err),
                   0);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.kinds[0], "accept");
  assert_string_equal(r.detail[0], "CHN");

  char buf[64];
  store_chat_channel("USA", "CHN", buf, sizeof buf);
  assert_string_equal(buf, "dm:CHN:USA");
  store_chat_channel("USA", "USA", buf, sizeof buf);
  assert_string_equal(buf, "team:USA");
  store_chat_channel("USA", "all", buf, sizeof buf);
  assert_string_equal(buf, "all");
  store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_damaged_session_row_is_passed_on),
      cmocka_unit_test(test_timeline_channels_negotiation),
      cmocka_unit_test(test_rows_read_back_as_written),
      cmocka_unit_test(test_scan_refuses_huge_count),
      cmocka_unit_test(test_stored_huge_submission_refused),
      cmocka_unit_test(test_locked_file_is_an_error),
      cmocka_unit_test(test_damaged_seat_is_an_error),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
