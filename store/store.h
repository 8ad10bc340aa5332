/*
 * store: the game's memory in SQLite (docs/storage.md). Every SQL
 * statement of Lanthanide's database lives behind this header: the schema
 * and its migrations, one typed writer per kind of record, the reads the
 * server's restore makes and the reads of the tools (`lanthanide replay`,
 * `lanthanide export`).
 *
 * The library has no event loop. Writes are queued with copied parameters
 * and committed together by store_flush (one BEGIN IMMEDIATE ... COMMIT for
 * everything queued: group commit). The server drives it from its loop
 * (server/durable.h): it flushes once per loop iteration, holds replies
 * that promise durability until the commit (store_hold), and arms a retry
 * timer when a commit fails (the hooks below tell it when).
 *
 * A commit that fails (the file is locked by another process, the disk is
 * full) is rolled back and nothing is dropped: the queued writes, the held
 * items and the after-commit callbacks stay, in order, for the next
 * store_flush. So memory and the database never drift apart: what the
 * server acted on is committed, late but in order.
 *
 * The schema is versioned with PRAGMA user_version and migrated forward on
 * open; a database of a newer version, or one that fails
 * PRAGMA quick_check, is refused before anything is written to it.
 *
 * Stored MessagePack (submissions, state snapshots) is checked with the
 * protocol's allocation-free scanner (proto_scan_feed, the wire's limits)
 * before anything hands it to msgpack-c: a damaged or altered file is an
 * error with a sentence, never an unbounded allocation.
 *
 * Ownership: store_open and store_open_readonly return a store the caller
 * frees with store_close. Every parameter given to a writer is copied. The
 * rows a reader passes to its callback (and every pointer in them) live
 * until the callback returns.
 */
#ifndef LANTHANIDE_STORE_H
#define LANTHANIDE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The schema version this build writes; older ones are migrated. */
#define STORE_SCHEMA_VERSION 10

/* Sizes of the fixed-size blobs: BLAKE2b-256 hashes (state, map digest,
 * token and code hashes) and a seat's sealed token (crypto_secretbox:
 * 24-byte nonce, 16-byte MAC, the 32-character token). */
#define STORE_HASH_BYTES 32
#define STORE_BOX_BYTES  72
/* A session's creator: the address as the per-address limits key it
 * (server/ratelimit.h rl_key_t). */
#define STORE_CREATOR_BYTES 16

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

typedef enum store_log_level {
  STORE_LOG_ERROR = 0,
  STORE_LOG_WARN,
  STORE_LOG_INFO
} store_log_level_t;

/* Where the store's diagnostic lines go (one sentence, no newline). */
typedef void (*store_log_fn)(void *arg, store_log_level_t level,
                             const char *line);

typedef struct store_config {
  /* PRAGMA synchronous=FULL (an acknowledged write survives power loss) or
   * NORMAL (survives a crash of the server, maybe not of the machine). */
  bool sync_full;
  store_log_fn log; /* NULL: lines go to stderr */
  void *log_arg;
} store_config_t;

/* ---- Opening and closing ----------------------------------------------- */

/* Open (creating if needed) and migrate, for writing. cfg NULL: sync full,
 * log to stderr. On failure returns -1 and a sentence in err. */
int store_open(store_t **out, const char *path, const store_config_t *cfg,
               char *err, size_t errlen) __attribute__((warn_unused_result));

/* Open an existing file read-only (the tools): SQLITE_OPEN_READONLY and
 * PRAGMA query_only, so it can be read while a server runs on it or after
 * a crash without touching a byte. It must be a Lanthanide database of
 * schema 1 .. STORE_SCHEMA_VERSION passing PRAGMA quick_check. Returns 0,
 * or -1 with a sentence in err. */
int store_open_readonly(store_t **out, const char *path, char *err,
                        size_t errlen) __attribute__((warn_unused_result));

/* Close: callbacks still waiting (store_hold, store_after_commit) are run
 * with committed = false, then the file is closed (a clean close folds the
 * WAL back into the file; a file refused at open is left as found). */
void store_close(store_t *st);

/* Empty every table of a store opened for writing, keeping its schema and
 * its prepared statements, and zero its counters and commit-failure
 * state: afterwards it behaves as a store just created by store_open on a
 * new file. For tools that run many independent games on one database
 * (fuzz/fuzz_conn.c: creating the schema and preparing the statements was
 * three quarters of an input's time). Its log and hooks are kept. The
 * store must be idle (nothing queued, nothing waiting for a commit);
 * otherwise, or if SQLite fails, -1 and a sentence in err, and no row is
 * changed. */
int store_reset(store_t *st, char *err, size_t errlen)
    __attribute__((warn_unused_result));

const store_counters_t *store_counters(const store_t *st);
/* How long the last successful commit took, in nanoseconds (BEGIN
 * IMMEDIATE to COMMIT, the fsync included): the server's commit latency
 * histogram reads it after each commit (counters.commits went up). */
uint64_t store_last_commit_ns(const store_t *st);

/* ---- Typed writers ------------------------------------------------------
 * Each queues one row (parameters copied) and returns 0, or -1 if out of
 * memory (nothing queued). A write the database refuses for itself (a
 * constraint it breaks: a bug, never a state of the file) would fail every
 * retry; at commit it is dropped, logged and counted (writes_dropped), and
 * the others are committed. */

typedef enum store_status {
  STORE_LOBBY = 0,
  STORE_RUNNING,
  STORE_PAUSED,
  STORE_FINISHED
} store_status_t;

typedef struct store_session {
  const char *id;
  const char *name;
  const char *map_id;
  const char *map_json; /* map_len bytes, not NUL-terminated */
  size_t map_len;
  const uint8_t *map_digest;       /* STORE_HASH_BYTES */
  uint64_t seed;                   /* stored as the int64 of the same bits */
  int turns;                       /* the session's length */
  int64_t turn_ms;                 /* 0: no deadline */
  bool spectators;                 /* watching without a token allowed */
  const uint8_t *admin_token_hash; /* STORE_HASH_BYTES */
  const char *engine_version;
  int64_t created_ms;
  store_status_t status;
  int turn;
  int64_t deadline_ms; /* wall clock, 0: none */
  int64_t remaining_ms;
  bool fixed; /* a turn lasts its whole turn_ms */
  /* STORE_CREATOR_BYTES, or NULL: the address that created it is not
   * known (not counted against --max-lobby-per-address). */
  const uint8_t *creator;
} store_session_t;

typedef struct store_seat {
  const char *session_id;
  int index; /* in the map's order */
  const char *seat;
  bool nation; /* else a firm */
  const char *title;
  const uint8_t *token_hash; /* STORE_HASH_BYTES */
  const uint8_t *code_hash;  /* STORE_HASH_BYTES */
  const uint8_t *token_box;  /* STORE_BOX_BYTES */
} store_seat_t;

typedef enum store_source { STORE_PLAYER = 0, STORE_AGENT } store_source_t;

typedef struct store_submission {
  const char *session_id;
  int turn;
  int seat_index;
  store_source_t source;
  const uint8_t *orders; /* MessagePack array of order maps */
  size_t orders_len;
  int64_t created_ms;
} store_submission_t;

typedef struct store_turn {
  const char *session_id;
  int turn;
  const uint8_t *state_hash; /* STORE_HASH_BYTES */
  const uint8_t *snapshot;   /* model_state_serialise */
  size_t snapshot_len;
  const uint8_t *summary; /* MessagePack, as history.get sends it */
  size_t summary_len;
  int64_t resolved_ms;
} store_turn_t;

typedef struct store_chat {
  const char *session_id;
  int turn;
  const char *from; /* a seat id or "admin" */
  const char *to;   /* a seat id or "all" */
  const char *text; /* len bytes of UTF-8 */
  size_t len;
  int64_t created_ms;
  /* Schema 7 (issue 13): the message's id (> 0; 0: the database picks
   * one) and its channel (NULL: the one `to` implies,
   * store_chat_channel). */
  int64_t id;
  const char *channel;
} store_chat_t;

/* Schema 7 (issue 13): a channel a seat or control opened (the built-in
 * ones are not stored). members: seat ids separated by single spaces. */
typedef struct store_channel {
  const char *session_id;
  const char *channel;
  const char *kind; /* "bilateral" or "multilateral" */
  const char *title;
  const char *members;
  const char *opened_by; /* a seat id or "admin" */
  int64_t created_ms;
} store_channel_t;

/* Schema 7 (issue 13): one step of a negotiation over the wire. */
typedef struct store_negotiation_step {
  const char *session_id;
  const char *negotiation;
  int turn;                 /* the turn open when the step was taken */
  const char *action;       /* "propose", "counter", "accept", "withdraw" */
  const char *seat;         /* who took the step */
  const char *author;       /* whose offer stands after it (the contract's
                               proposer once accepted) */
  const char *counterparty; /* the other party of the author */
  const uint8_t *terms;     /* the offer: a contract_propose order map */
  size_t terms_len;
  int64_t created_ms;
} store_negotiation_step_t;

int store_put_session(store_t *st, const store_session_t *s)
    __attribute__((warn_unused_result));
int store_put_seat(store_t *st, const store_seat_t *s)
    __attribute__((warn_unused_result));
/* A session's status, open turn and clock. */
int store_set_status(store_t *st, const char *session_id, store_status_t status,
                     int turn, int64_t deadline_ms, int64_t remaining_ms)
    __attribute__((warn_unused_result));
/* Who holds a seat: agent NULL for a person. */
int store_set_seat(store_t *st, const char *session_id, int index, bool taken,
                   const char *name, const char *agent)
    __attribute__((warn_unused_result));
/* A seat's submission for a turn: it replaces the seat's earlier one of
 * the same turn (one row per session, turn and seat). */
int store_put_submission(store_t *st, const store_submission_t *s)
    __attribute__((warn_unused_result));
int store_put_ready(store_t *st, const char *session_id, int turn, int seat,
                    int64_t created_ms) __attribute__((warn_unused_result));
int store_del_ready(store_t *st, const char *session_id, int turn, int seat)
    __attribute__((warn_unused_result));
int store_put_turn(store_t *st, const store_turn_t *t)
    __attribute__((warn_unused_result));
/* Every row of one session, in one write group (queued like the writes
 * above; committed with the next flush). The server uses it for lobby
 * sessions that expired unjoined (--lobby-expiry-s): they hold nothing
 * worth keeping, and an attacker's would otherwise fill the file. */
int store_del_session(store_t *st, const char *session_id)
    __attribute__((warn_unused_result));
/* The figures of a resolved turn, as rows for the SQL views. */
int store_put_price(store_t *st, const char *session_id, int turn,
                    const char *product, const char *region,
                    int64_t cents_per_kg) __attribute__((warn_unused_result));
int store_put_production(store_t *st, const char *session_id, int turn,
                         const char *stage, const char *nation, int64_t kg)
    __attribute__((warn_unused_result));
int store_put_score(store_t *st, const char *session_id, int turn,
                    const char *seat, int64_t score_ppm)
    __attribute__((warn_unused_result));
int store_put_chat(store_t *st, const store_chat_t *c)
    __attribute__((warn_unused_result));
int store_put_channel(store_t *st, const store_channel_t *c)
    __attribute__((warn_unused_result));
int store_put_negotiation_step(store_t *st, const store_negotiation_step_t *n)
    __attribute__((warn_unused_result));
/* session.reset: queue the removal of the session's game rows
 * (submissions, readies, turns, prices, production, scores; chat and
 * seats stay) and its new seed. 0, or -1 out of memory (nothing queued). */
int store_reset_session(store_t *st, const char *session_id, uint64_t seed)
    __attribute__((warn_unused_result));
/* session.delete: mark the session deleted at deleted_ms (its rows stay
 * for replay and export; the restore skips it), or with purge remove every
 * row of it (store_del_session). 0, or -1 out of memory (nothing queued). */
int store_delete_session(store_t *st, const char *session_id,
                         int64_t deleted_ms, bool purge)
    __attribute__((warn_unused_result));

/* ---- Commit ----------------------------------------------------------- */

/* fn(arg, true) once the writes queued so far are committed; fn(arg,
 * false) if they never will be (the store closes with writes it could not
 * commit): fn must then only free what arg holds.
 *
 * Two rounds, each in the order given: first the held items (store_hold:
 * the replies that promise durability), then the after-commit callbacks
 * (store_after_commit: notifications that do). A callback may queue writes
 * and register callbacks; those wait for the next commit. Both return 0,
 * or -1 if out of memory (nothing registered). */
typedef void (*store_commit_fn)(void *arg, bool committed);
int store_hold(store_t *st, store_commit_fn fn, void *arg)
    __attribute__((warn_unused_result));
int store_after_commit(store_t *st, store_commit_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* Commit everything queued now (BEGIN IMMEDIATE ... COMMIT), then run the
 * held items and the after-commit callbacks. Returns 0, or -1 if the commit
 * failed: it is rolled back, logged (the first failure, then at most every
 * few seconds), counted, and everything stays queued for the retry. */
int store_flush(store_t *st);

/* As store_flush, but waiting up to busy_ms for a lock another process
 * holds (at shutdown, where blocking is acceptable). */
int store_flush_wait(store_t *st, int busy_ms);

/* Something is queued (writes, held items or callbacks). */
bool store_pending(const store_t *st);
/* The loop should flush now: something is pending, and either the last
 * commit did not fail or something new was queued since (a failing commit
 * is otherwise tried again only after store_retry_ms). */
bool store_due(const store_t *st);
/* The last commit attempt failed (and none has succeeded since). */
bool store_failing(const store_t *st);
/* Writes and held answers waiting for the next commit. */
size_t store_queued(const store_t *st);
/* Milliseconds to wait before trying a failed commit again (100 ms,
 * doubling to 1 s); 0 when the last commit did not fail. */
unsigned store_retry_ms(const store_t *st);

/* Called when the store goes from nothing new to something new queued
 * (the loop should not sleep), and after every commit attempt. */
typedef struct store_hooks {
  void (*queued)(void *arg);
  void (*flushed)(void *arg, bool ok);
} store_hooks_t;
void store_set_hooks(store_t *st, const store_hooks_t *hooks, void *arg);

/* ---- Reads --------------------------------------------------------------
 * Each reader calls fn once per row, in the order stated, and returns 0;
 * -1 with a sentence in err naming the table, the session and SQLite's
 * error (the file cannot be read: locked, I/O error); STORE_DAMAGED with
 * a sentence naming the table, the session and what is wrong with a row
 * that is not as written (the row is never handed on); or the first
 * non-zero value fn returned (fn then fills err itself). A database error
 * in the middle is an error, never a shorter list. */
#define STORE_DAMAGED (-2)

/* A stored session, as the restore and the tools read it. */
typedef struct store_session_row {
  const char *id;
  const char *name;
  const char *map_id;
  const char *map_json;
  size_t map_len;
  const uint8_t *map_digest; /* STORE_HASH_BYTES */
  uint64_t seed;
  int turns;
  int64_t turn_ms;
  bool spectators;
  const uint8_t *admin_token_hash; /* STORE_HASH_BYTES */
  const char *engine_version;
  int64_t created_ms;
  store_status_t status;
  int turn;
  int64_t deadline_ms;
  int64_t remaining_ms;
  bool fixed;
  const uint8_t *creator; /* STORE_CREATOR_BYTES, or NULL (unknown) */
  /* Schema 7 (issue 13): review, the held turn (-1 none), the session
   * and turn it was forked from (NULL, -1: not a fork). */
  bool review;
  int held_turn;
  const char *forked_from;
  int forked_turn;
  /* Finished sessions only: 1 for the most recently finished, 2 for the
   * one before, ...; 0 for a session in play. */
  int64_t finished_age;
  /* store_read_sessions only: NULL, or a sentence saying why this row is
   * damaged; then only id is set (the read goes on with the next row). */
  const char *damage;
} store_session_row_t;

typedef int (*store_session_fn)(void *arg, const store_session_row_t *row,
                                char *err, size_t errlen);
/* Every session in play and the max_finished most recently finished, in
 * the order they were created. A damaged row does not stop the read: fn
 * gets its id and row->damage (the restore quarantines it). */
int store_read_sessions(store_t *st, uint64_t max_finished, store_session_fn fn,
                        void *arg, char *err, size_t errlen);
/* Every session, in the order they were created. */
int store_read_all_sessions(store_t *st, store_session_fn fn, void *arg,
                            char *err, size_t errlen);
/* One session: 0 with fn called once, 1 if there is none of that id
 * (err says so), -1 on error. */
int store_read_session(store_t *st, const char *id, store_session_fn fn,
                       void *arg, char *err, size_t errlen);
/* 1 if a session of that id is stored, 0 if not, -1 on error. */
int store_session_exists(store_t *st, const char *id);

/* Every token hash in the file (admin tokens and seat tokens, of every
 * session). */
typedef int (*store_hash_fn)(void *arg, const uint8_t hash[STORE_HASH_BYTES],
                             char *err, size_t errlen);
int store_read_tokens(store_t *st, store_hash_fn fn, void *arg, char *err,
                      size_t errlen);

typedef struct store_seat_row {
  int index;
  const char *seat;
  bool nation;
  const char *title;
  const uint8_t *token_hash; /* STORE_HASH_BYTES */
  const uint8_t *code_hash;  /* STORE_HASH_BYTES */
  const uint8_t *token_box;  /* STORE_BOX_BYTES */
  bool taken;
  const char *name;
  const char *agent; /* NULL: a person */
} store_seat_row_t;
typedef int (*store_seat_fn)(void *arg, const store_seat_row_t *row, char *err,
                             size_t errlen);
/* A session's seats, by index. */
int store_read_seats(store_t *st, const char *session_id, store_seat_fn fn,
                     void *arg, char *err, size_t errlen);

typedef struct store_turn_row {
  int turn;
  const uint8_t *state_hash; /* STORE_HASH_BYTES */
  const uint8_t *snapshot;   /* scanned: a sequence of in-limit values */
  size_t snapshot_len;
  const uint8_t *summary; /* scanned: one in-limit value */
  size_t summary_len;
  int64_t resolved_ms;
} store_turn_row_t;
typedef int (*store_turn_fn)(void *arg, const store_turn_row_t *row, char *err,
                             size_t errlen);
/* A session's resolved turns, by turn. */
int store_read_turns(store_t *st, const char *session_id, store_turn_fn fn,
                     void *arg, char *err, size_t errlen);

typedef struct store_submission_row {
  int64_t id; /* in the order they arrived */
  int turn;
  int seat_index;
  store_source_t source;
  const uint8_t *orders; /* scanned: one in-limit MessagePack value */
  size_t orders_len;
  int64_t created_ms;
  bool final; /* the seat's last submission of its turn */
} store_submission_row_t;
typedef int (*store_submission_fn)(void *arg, const store_submission_row_t *row,
                                   char *err, size_t errlen);
/* A session's submissions for turn (every turn if turn < 0), in the order
 * they arrived. */
int store_read_submissions(store_t *st, const char *session_id, int turn,
                           store_submission_fn fn, void *arg, char *err,
                           size_t errlen);

/* The seats marked ready for turn. */
typedef int (*store_index_fn)(void *arg, int index, char *err, size_t errlen);
int store_read_readies(store_t *st, const char *session_id, int turn,
                       store_index_fn fn, void *arg, char *err, size_t errlen);

/* The number of chat messages of a session: 0 with *n, or -1. */
int store_count_chat(store_t *st, const char *session_id, uint64_t *n,
                     char *err, size_t errlen);

typedef struct store_chat_row {
  int64_t id;
  int turn;
  const char *from;
  const char *to;
  const char *text;
  size_t len;
  int64_t created_ms;
  const char *channel; /* as stored, or the one `to` implies (older rows) */
} store_chat_row_t;
typedef int (*store_chat_fn)(void *arg, const store_chat_row_t *row, char *err,
                             size_t errlen);
int store_read_chat(store_t *st, const char *session_id, store_chat_fn fn,
                    void *arg, char *err, size_t errlen);
/* The session's messages with an id above `after`, by id (chat.history):
 * fn returns 0 for more, STORE_STOP to end the read (then 0 is returned)
 * or an error. */
#define STORE_STOP 1
int store_read_chat_after(store_t *st, const char *session_id, int64_t after,
                          store_chat_fn fn, void *arg, char *err,
                          size_t errlen);
/* The largest chat id in the file (0 if none): 0 with *id, or -1. */
int store_max_chat_id(store_t *st, int64_t *id, char *err, size_t errlen);
/* The channel a message without one (before schema 7, or chat.send with
 * `to`) belongs to: "all" for to "all"; "control:<to>" from the admin;
 * "team:<to>" from a seat to itself; else "dm:<a>:<b>", the two seat ids
 * in strcmp order. Written into buf (NUL-terminated, cut at len). */
void store_chat_channel(const char *from, const char *to, char *buf,
                        size_t len);

typedef struct store_channel_row {
  const char *channel;
  const char *kind;
  const char *title;
  const char *members;
  const char *opened_by;
  int64_t created_ms;
} store_channel_row_t;
typedef int (*store_channel_fn)(void *arg, const store_channel_row_t *row,
                                char *err, size_t errlen);
/* A session's opened channels, in the order opened (none before schema
 * 7). */
int store_read_channels(store_t *st, const char *session_id,
                        store_channel_fn fn, void *arg, char *err,
                        size_t errlen);

typedef struct store_negotiation_row {
  int64_t id;
  const char *negotiation;
  int turn;
  const char *action;
  const char *seat;
  const char *author;
  const char *counterparty;
  const uint8_t *terms; /* scanned: one in-limit MessagePack value */
  size_t terms_len;
  int64_t created_ms;
} store_negotiation_row_t;
typedef int (*store_negotiation_fn)(void *arg,
                                    const store_negotiation_row_t *row,
                                    char *err, size_t errlen);
/* A session's negotiation steps, in the order taken; turn >= 0: only the
 * accept steps of that turn (the contracts it signs, for replay). None
 * before schema 7. */
int store_read_negotiation_steps(store_t *st, const char *session_id, int turn,
                                 store_negotiation_fn fn, void *arg, char *err,
                                 size_t errlen);

/* ---- The after-action review (issue 13) --------------------------------
 * One time-ordered record of a session over every table that holds a
 * moment: its creation, submissions (kind "orders"), readies, resolved
 * turns, chat messages (every channel) and negotiation steps ("contract").
 * The server's timeline.get and `lanthanide export` (timeline.csv) both
 * read it here. A kind is one SELECT in store_read.c's TIMELINE table:
 * adding one is adding a row there. */
typedef struct store_timeline_row {
  int64_t t_ms;
  int turn;
  const char *kind;    /* "session", "orders", "ready", "resolved", "message",
                          "contract" */
  const char *seat;    /* a seat id, "admin", or "" (none) */
  const char *text;    /* one line for a person */
  const char *detail;  /* message: channel; contract: negotiation;
                          orders: source; else "" */
  const uint8_t *data; /* MessagePack (orders, terms), or NULL */
  size_t data_len;
} store_timeline_row_t;
typedef int (*store_timeline_fn)(void *arg, const store_timeline_row_t *row,
                                 char *err, size_t errlen);
/* Rows with from_turn <= turn <= to_turn, by time (ties: by kind's order
 * in the table, then by row). */
int store_read_timeline(store_t *st, const char *session_id, int from_turn,
                        int to_turn, store_timeline_fn fn, void *arg, char *err,
                        size_t errlen);

/* One figure of a resolved turn: a price (key product, region; value
 * cents per kg), a production figure (stage, nation; kg) or a score
 * (seat, ""; ppm). */
typedef enum store_figure {
  STORE_PRICES = 0,
  STORE_PRODUCTION,
  STORE_SCORES
} store_figure_t;
typedef struct store_figure_row {
  int turn;
  const char *a;
  const char *b;
  int64_t value;
} store_figure_row_t;
typedef int (*store_figure_fn)(void *arg, const store_figure_row_t *row,
                               char *err, size_t errlen);
/* A session's figures of one kind, by turn then in the order written;
 * turn < 0: every turn. */
int store_read_figures(store_t *st, const char *session_id, store_figure_t kind,
                       int turn, store_figure_fn fn, void *arg, char *err,
                       size_t errlen);

/* ---- Seat control (schema 4) --------------------------------------------
 * What the facilitator changes about a seat after the session was created
 * (docs/protocol.md "Seat control"): a re-issued join code or a rotated
 * seat token (the seats row's secrets), a rotated admin token (the
 * sessions row's hash), and the seat_controls table: whether the seat is
 * locked, and the seat's token sealed under the admin token (so a code
 * can be re-issued for the token the seat has). Each writer queues one row
 * as the writers above do. */

int store_set_seat_secrets(store_t *st, const char *session_id, int index,
                           const uint8_t *token_hash, const uint8_t *code_hash,
                           const uint8_t *token_box)
    __attribute__((warn_unused_result));
int store_set_admin_hash(store_t *st, const char *session_id,
                         const uint8_t *admin_token_hash)
    __attribute__((warn_unused_result));
/* Insert or replace a seat's control row; admin_box NULL: none (a session
 * created before schema 4). */
int store_put_seat_control(store_t *st, const char *session_id, int index,
                           bool locked, const uint8_t *admin_box)
    __attribute__((warn_unused_result));

typedef struct store_seat_control_row {
  int index;
  bool locked;
  const uint8_t *admin_box; /* STORE_BOX_BYTES, or NULL */
} store_seat_control_row_t;
typedef int (*store_seat_control_fn)(void *arg,
                                     const store_seat_control_row_t *row,
                                     char *err, size_t errlen);
/* A session's seat control rows, by index (seats without one have none;
 * a file of schema 3 or older has none). A row not as written (an
 * admin_box of another size) is STORE_DAMAGED. */
int store_read_seat_controls(store_t *st, const char *session_id,
                             store_seat_control_fn fn, void *arg, char *err,
                             size_t errlen);

/* ---- Review and forks (schema 7, issue 13) ------------------------------
 * docs/storage.md "Review and forks". */

/* A session's review flag and where it was forked from (NULL, -1: not a
 * fork); queued after store_put_session. */
int store_set_review(store_t *st, const char *session_id, bool review,
                     const char *forked_from, int forked_turn)
    __attribute__((warn_unused_result));
/* The turn whose result is held for control (-1: none). */
int store_set_held(store_t *st, const char *session_id, int held_turn)
    __attribute__((warn_unused_result));

typedef struct store_amendment {
  const char *session_id;
  int turn;
  int seq; /* order of application within the turn, from 0 */
  const char *seat;
  const char *kind;
  const uint8_t *fields; /* MessagePack map, as turn.release took it */
  size_t fields_len;
  const char *reason;
  int64_t created_ms;
} store_amendment_t;
int store_put_amendment(store_t *st, const store_amendment_t *a)
    __attribute__((warn_unused_result));

/* session.fork: copy the rows of turns before `turn` (turns, prices,
 * production, scores, submissions, amendments, scripted cancels,
 * negotiation steps), the scripted_events flag, every opened channel and
 * every inject (those of `turn` or later pending again when they fired or
 * were cancelled after turn - 1 resolved) from from_id to fork_id (all or
 * nothing; chat and observers are not copied). Queue it after the fork's
 * session row. */
int store_fork_rows(store_t *st, const char *fork_id, const char *from_id,
                    int turn) __attribute__((warn_unused_result));

typedef struct store_amendment_row {
  int turn;
  int seq;
  const uint8_t *fields; /* scanned: one in-limit MessagePack value */
  size_t fields_len;
  int64_t created_ms;
} store_amendment_row_t;
typedef int (*store_amendment_fn)(void *arg, const store_amendment_row_t *row,
                                  char *err, size_t errlen);
/* A session's amendments of turn (every turn if turn < 0), by turn and
 * seq; none in a file older than schema 7. */
int store_read_amendments(store_t *st, const char *session_id, int turn,
                          store_amendment_fn fn, void *arg, char *err,
                          size_t errlen);
/* ---- Observers (schema 8, issue 13) ------------------------------------
 * The control cell's read-only observer tokens: one row per observer
 * (its id in the session, name, the seats it may view as ids separated by
 * spaces, the token's hash); revoking sets revoked_ms and keeps the row. */
int store_put_observer(store_t *st, const char *session_id, int64_t observer,
                       const char *name, const char *seats,
                       const uint8_t *token_hash, int64_t created_ms)
    __attribute__((warn_unused_result));
int store_revoke_observer(store_t *st, const char *session_id, int64_t observer,
                          int64_t revoked_ms)
    __attribute__((warn_unused_result));
typedef struct store_observer_row {
  int64_t observer;
  const char *name, *seats;
  const uint8_t *token_hash; /* STORE_HASH_BYTES */
  bool revoked;              /* revoked: its id stays taken */
} store_observer_row_t;
typedef int (*store_observer_fn)(void *arg, const store_observer_row_t *row,
                                 char *err, size_t errlen);
/* A session's observers, revoked ones included (flagged), by id (a file of
 * schema 6 or older has none). A hash of another size is STORE_DAMAGED. */
int store_read_observers(store_t *st, const char *session_id,
                         store_observer_fn fn, void *arg, char *err,
                         size_t errlen);
/* ---- The control cell's events (schema 9, issue 13) --------------------
 * docs/storage.md "Injects": whether a session runs its map's scripted
 * history, control's injects (a MessagePack event map as event.inject
 * takes it, the seats who see it as a MessagePack array of seat ids or
 * NULL for everyone, and where it stands), and the scripted events of
 * the map that control cancelled (with the open turn when it did). */

int store_set_scripted_events(store_t *st, const char *session_id, bool on)
    __attribute__((warn_unused_result));

typedef enum store_inject_status {
  STORE_INJECT_PENDING = 0,
  STORE_INJECT_FIRED,
  STORE_INJECT_CANCELLED
} store_inject_status_t;

typedef struct store_inject {
  const char *session_id;
  int64_t inject; /* the id, 1, 2, ... in the session */
  int turn;       /* the turn it fires at (or fired at) */
  const uint8_t *event;
  size_t event_len;
  const uint8_t *seats; /* NULL: every seat */
  size_t seats_len;
  const char *note;    /* control's note, NULL or "" none */
  const char *sources; /* a map's inject: its source keys, else NULL */
  store_inject_status_t status;
  int64_t created_ms;
  int64_t changed_ms; /* 0: never changed */
} store_inject_t;

/* Insert or replace one inject (all its columns). */
int store_put_inject(store_t *st, const store_inject_t *in)
    __attribute__((warn_unused_result));
int store_set_inject_status(store_t *st, const char *session_id, int64_t inject,
                            store_inject_status_t status, int64_t changed_ms)
    __attribute__((warn_unused_result));
int store_put_scripted_cancel(store_t *st, const char *session_id, int index,
                              int turn, int64_t created_ms)
    __attribute__((warn_unused_result));

/* Whether the session runs its map's scripted events: 0 with *on (true
 * for a file older than schema 9), or -1. */
int store_read_scripted_events(store_t *st, const char *session_id, bool *on,
                               char *err, size_t errlen);

typedef struct store_inject_row {
  int64_t inject;
  int turn;
  const uint8_t *event; /* scanned: one in-limit MessagePack value */
  size_t event_len;
  const uint8_t *seats; /* scanned, or NULL: every seat */
  size_t seats_len;
  const char *note;
  const char *sources;
  store_inject_status_t status;
  int64_t created_ms;
  int64_t changed_ms; /* 0: never changed */
} store_inject_row_t;
typedef int (*store_inject_fn)(void *arg, const store_inject_row_t *row,
                               char *err, size_t errlen);
/* A session's injects, by id (none in a file older than schema 9). */
int store_read_injects(store_t *st, const char *session_id, store_inject_fn fn,
                       void *arg, char *err, size_t errlen);

typedef int (*store_cancel_fn)(void *arg, int index, int turn, char *err,
                               size_t errlen);
/* A session's cancelled scripted events, by index. */
int store_read_scripted_cancels(store_t *st, const char *session_id,
                                store_cancel_fn fn, void *arg, char *err,
                                size_t errlen);

/* ---- Stored MessagePack ----------------------------------------------- */

/* Check that blob[0..len) is exactly one MessagePack value (sequence:
 * one or more values back to back) within the wire's limits (nesting,
 * counts no larger than the bytes left; the size limit is the blob's own
 * length, which SQLite already bounds), with the protocol's scanner and
 * without allocating. Returns 0, or -1 with a sentence in err. */
int store_scan(const uint8_t *blob, size_t len, bool sequence, char *err,
               size_t errlen);

#endif
