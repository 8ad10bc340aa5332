/*
 * store: the game's memory in SQLite (docs/storage.md).
 *
 * One connection, used on the loop thread only. Writes are queued as
 * statements with copied parameters and committed together: every queued
 * write of one loop iteration goes into one transaction (group commit), run
 * in a uv_check handle right after the iteration's I/O, so a burst of
 * orders from many clients costs one fsync. Replies that promise
 * durability wait behind the commit (store_hold_reply), and leave only
 * after COMMIT has returned.
 *
 * A turn's resolution is written with store_flush() right after it is
 * queued, so the resolution and every submission before it are one
 * transaction, committed before any turn.resolved notification is sent.
 *
 * A commit that fails (the file is locked by another process, the disk is
 * full) is rolled back and nothing is dropped: the queued writes, the held
 * replies and the after-commit callbacks stay, in order, and the commit is
 * tried again at the next check phase that has something new to carry and
 * on a timer (100 ms, backing off to 1 s). So memory and the database never
 * drift apart: what the server acted on is committed, late but in order,
 * and no answer that promises durability leaves before it is.
 * Notifications that promise durability (chat.message) are sent from an
 * after-commit callback (store_after_commit), never before the COMMIT.
 *
 * The schema is versioned with PRAGMA user_version and migrated forward on
 * open; a database of a newer version, or one that fails
 * PRAGMA quick_check, is refused before anything is written to it.
 *
 * Ownership: store_open returns a store the caller frees with
 * store_close (after the loop has closed its handle: store_stop first).
 * Every parameter given to store_q* is copied.
 */
#ifndef LANTHANIDE_STORE_H
#define LANTHANIDE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>
#include <uv.h>

#include "replyq.h"

/* The schema version this build writes; older ones are migrated. */
#define STORE_SCHEMA_VERSION 2

typedef struct store store_t;

/* Counters, read by server.stats. */
#define STORE_COUNTERS(X)                                                      \
  X(commits)                                                                   \
  X(statements)                                                                \
  X(replies_held)                                                              \
  X(commit_failures)                                                           \
  X(writes_dropped)

typedef struct store_counters {
#define STORE_COUNTER_FIELD(name) uint64_t name;
  STORE_COUNTERS(STORE_COUNTER_FIELD)
#undef STORE_COUNTER_FIELD
} store_counters_t;

/* Open (creating if needed) and migrate. sync_full: PRAGMA synchronous=FULL
 * (an acknowledged write survives power loss) or NORMAL (survives a crash
 * of the server, maybe not of the machine). loop may be NULL for tools
 * (replay, export): writes are then committed only by store_flush.
 * On failure returns -1 and a sentence in err. */
int store_open(store_t **out, const char *path, bool sync_full, uv_loop_t *loop,
               char *err, size_t errlen);
/* Stop the commit handles (before uv_run's last turns at shutdown); the
 * pending writes are committed first (waiting up to a few seconds for a
 * lock another process holds: blocking is acceptable at shutdown). */
void store_stop(store_t *st);
void store_close(store_t *st);

sqlite3 *store_db(store_t *st);
const store_counters_t *store_counters(const store_t *st);

/* ---- Queued writes ----------------------------------------------------------
 * A statement of the fixed set below, with parameters given by a format:
 * 'i' int64, 't' text (NUL-terminated), 'T' text (pointer, length),
 * 'b' blob (pointer, length), 'n' NULL. The arguments must match the
 * format exactly (int64_t for 'i', size_t for lengths). Returns 0, or -1
 * if out of memory (nothing queued).
 *
 * A write the database refuses for itself (a constraint it breaks: a bug,
 * never a state of the file) would fail every retry; it is dropped,
 * logged and counted (writes_dropped), and the others are committed. */
typedef enum {
  STORE_SESSION_INSERT = 0,
  STORE_SESSION_STATUS,
  STORE_SEAT_INSERT,
  STORE_SEAT_UPDATE,
  STORE_SUBMISSION_INSERT,
  STORE_READY_INSERT,
  STORE_READY_DELETE,
  STORE_TURN_INSERT,
  STORE_PRICE_INSERT,
  STORE_PRODUCTION_INSERT,
  STORE_SCORE_INSERT,
  STORE_CHAT_INSERT,
  STORE_STMT_COUNT
} store_stmt_t;

int store_q(store_t *st, store_stmt_t stmt, const char *fmt, ...);

/* Hold a reply (bytes copied) in slot s until the writes queued so far are
 * committed; then it is completed. While commits fail it stays held (see
 * above); only a store closed with writes it never could commit answers
 * it with an `unavailable` error. Returns 0, or -1 if out of memory: s is
 * then completed at once with an `internal` error response. Without a
 * loop, completes at once. */
int store_hold_reply(store_t *st, replyq_slot_t *s, const char *data,
                     size_t len) __attribute__((warn_unused_result));

/* Run fn(arg, true) once the writes queued so far are committed, after the
 * replies held for them are released; callbacks run in the order they
 * were given. fn(arg, false) means they never will be (the store is
 * closing with writes it could not commit): fn must then only free what
 * arg holds, since the rest of the server may be gone. A callback may
 * queue writes and hold replies; those wait for the next commit. Returns
 * 0, or -1 if out of memory (nothing registered). */
typedef void (*store_after_fn)(void *arg, bool committed);
int store_after_commit(store_t *st, store_after_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* Commit everything queued now (BEGIN IMMEDIATE ... COMMIT), then release
 * the held replies and run the after-commit callbacks. Returns 0, or -1 if
 * the commit failed: it is rolled back, logged (the first failure, then at
 * most every few seconds), counted, and everything stays queued for the
 * retry described above. */
int store_flush(store_t *st);

#endif
