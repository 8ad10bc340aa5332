/*
 * The SQLite store: schema and migrations, the queue of typed writes and
 * the group commit, and every read of the file. See store.h for the
 * contract and docs/storage.md for the schema.
 */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "proto.h"
#include "store_internal.h"
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
    /* 2 -> 3: a seat's submission replaces its earlier one of the same
     * turn (the model keeps only the last, PROTOCOL.md orders.submit), so
     * the file keeps only the last too: one row per session, turn and
     * seat, written with an UPSERT. A seat that submits in a loop no
     * longer grows the file, nor the restore's work (issue 10). Older
     * files keep their last submission of each seat and turn, the one
     * the restore and `lanthanide replay` used. */
    "DELETE FROM submissions WHERE id NOT IN (SELECT MAX(id) FROM"
    "  submissions GROUP BY session_id, turn, seat_index);"
    "DROP INDEX submissions_by_turn;"
    "CREATE UNIQUE INDEX submissions_latest ON submissions"
    "  (session_id, turn, seat_index);",
    /* 3 -> 4: seat control (docs/protocol.md "Seat control"): a seat the
     * facilitator locked (its join code is refused), and the seat's token
     * sealed under the admin token, so the facilitator can re-issue a
     * join code for the token the seat has. Sessions of older files have
     * no rows: their seats are unlocked, and re-issuing a code also gives
     * the seat a new token. */
    "CREATE TABLE seat_controls ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  seat_index INTEGER NOT NULL,"
    "  locked INTEGER NOT NULL DEFAULT 0,"
    "  admin_box BLOB,"
    "  PRIMARY KEY (session_id, seat_index)"
    ");",
    /* 4 -> 5: sessions.creator, the address that created the session as
     * the per-address limits key it (16 bytes: an IPv4 address mapped
     * into IPv6, ::ffff:a.b.c.d; an IPv6 address by its /64, the rest
     * zero), so --max-lobby-per-address counts the lobby sessions an
     * address created before a restart too (issue 10). NULL where it is
     * not known: sessions of older files, which no address is charged
     * for. */
    "ALTER TABLE sessions ADD COLUMN creator BLOB;",
    /* 5 -> 6: sessions.deleted_ms (issue 14): session.delete takes a
     * finished or lobby session off the server but keeps its rows for
     * replay and export; the restore skips it. NULL: not deleted. */
    "ALTER TABLE sessions ADD COLUMN deleted_ms INTEGER;",
    /* 6 -> 7: review and forks (issue 13, the wargame control cell;
     * docs/storage.md "Review and forks"). sessions.review: each turn's
     * result is held for control; sessions.held_turn: the turn whose
     * result is held now (-1 none: after a restart it is resolved again
     * from its stored submissions, and held again); sessions.forked_from
     * and forked_turn: the session and turn a fork was made from (NULL,
     * -1: none). amendments: control's amendments of released turns, in
     * the order applied (seq), each with its fields as MessagePack (the
     * map turn.release took) and its reason; replay applies them. */
    "ALTER TABLE sessions ADD COLUMN review INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN held_turn INTEGER NOT NULL DEFAULT -1;"
    "ALTER TABLE sessions ADD COLUMN forked_from TEXT;"
    "ALTER TABLE sessions ADD COLUMN forked_turn INTEGER NOT NULL DEFAULT -1;"
    "CREATE TABLE amendments ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  turn INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  seat TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  fields BLOB NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, turn, seq)"
    ");"
    "CREATE VIEW v_amendments AS SELECT session_id AS session, turn, seq,"
    "  seat, kind, reason, created_ms FROM amendments;",
    /* 7 -> 8: observers (issue 13, the wargame control cell's read-only
     * observer tokens, docs/protocol.md "observer.issue"): one row per
     * observer, its token kept as a hash as a seat's, the seats it may
     * view as their ids separated by spaces; a revoked one keeps its row
     * with revoked_ms set (the record says who could see what). */
    "CREATE TABLE observers ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  observer INTEGER NOT NULL,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  seats TEXT NOT NULL DEFAULT '',"
    "  token_hash BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  revoked_ms INTEGER,"
    "  PRIMARY KEY (session_id, observer)"
    ");",
    /* 8 -> 9: the control cell's events (issue 13, docs/storage.md
     * "Injects"): sessions.scripted_events (0: the map's scripted history
     * does not run); injects, control's events of a session, pending
     * (fire at `turn`), fired or cancelled, with who sees them; and
     * scripted_cancels, the map's scripted events control cancelled (the
     * open turn when it did, which `lanthanide replay` needs). */
    "ALTER TABLE sessions ADD COLUMN scripted_events INTEGER NOT NULL"
    "  DEFAULT 1;"
    "CREATE TABLE injects ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  inject INTEGER NOT NULL,"
    "  turn INTEGER NOT NULL,"
    "  event BLOB NOT NULL,"
    "  seats BLOB,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  sources TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL CHECK (status IN ('pending', 'fired',"
    "    'cancelled')),"
    "  created_ms INTEGER NOT NULL,"
    "  changed_ms INTEGER,"
    "  PRIMARY KEY (session_id, inject)"
    ");"
    "CREATE TABLE scripted_cancels ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  idx INTEGER NOT NULL,"
    "  turn INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, idx)"
    ");",
    /* 9 -> 10: the wargame's channels, negotiation and after-action review
     * (issue 13, rd-comms; docs/storage.md "Channels and negotiation").
     * chat.channel: the channel a message went to (NULL on older rows,
     * which read as the channel their to_seat implies: store_chat_channel).
     * channels: the channels seats and control opened (the built-in ones,
     * press, team:<SEAT>, control:<SEAT>, are not stored). Their members
     * are seat ids separated by single spaces. negotiation_steps: each
     * step of a negotiation over the wire (propose, counter, accept,
     * withdraw); terms is the offer as a contract_propose order map
     * (MessagePack) by `author`; an accept row is replayed as the
     * contract it signs for its turn. */
    "ALTER TABLE chat ADD COLUMN channel TEXT;"
    "CREATE INDEX chat_by_session ON chat (session_id, id);"
    "CREATE TABLE channels ("
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  channel TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  members TEXT NOT NULL,"
    "  opened_by TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (session_id, channel)"
    ");"
    "CREATE TABLE negotiation_steps ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id TEXT NOT NULL REFERENCES sessions(id),"
    "  negotiation TEXT NOT NULL,"
    "  turn INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  seat TEXT NOT NULL,"
    "  author TEXT NOT NULL,"
    "  counterparty TEXT NOT NULL,"
    "  terms BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX negotiation_steps_by_session ON negotiation_steps"
    "  (session_id, id);",
};

#define N_MIGRATIONS (sizeof MIGRATIONS / sizeof MIGRATIONS[0])
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION,
               "one migration per schema version (store.h)");

/* session.fork: an inject of the fork's turn (?3) or later that fired in
 * the original, or was cancelled after turn ?3 - 1 resolved (every
 * cancellation, for a fork at turn 0), is pending in the fork. The same
 * rule as sess_inject_fork's. */
#define FORK_REARM                                                             \
  "(turn >= ?3 AND (status = 'fired' OR (status = 'cancelled' AND (?3 = 0"     \
  " OR coalesce(changed_ms, 0) > coalesce((SELECT resolved_ms FROM turns"      \
  " WHERE session_id = ?2 AND turn = ?3 - 1), 0)))))"

/* The statements the writers queue. */
typedef enum {
  W_SESSION_INSERT = 0,
  W_SESSION_STATUS,
  W_SEAT_INSERT,
  W_SEAT_UPDATE,
  W_SUBMISSION_INSERT,
  W_READY_INSERT,
  W_READY_DELETE,
  W_TURN_INSERT,
  W_PRICE_INSERT,
  W_PRODUCTION_INSERT,
  W_SCORE_INSERT,
  W_CHAT_INSERT,
  W_SEAT_SECRETS,
  W_ADMIN_HASH,
  W_SEAT_CONTROL,
  W_SESSION_REVIEW,
  W_SESSION_HELD,
  W_AMENDMENT_INSERT,
  W_FORK_TURNS,
  W_FORK_PRICES,
  W_FORK_PRODUCTION,
  W_FORK_SCORES,
  W_FORK_SUBMISSIONS,
  W_FORK_AMENDMENTS,
  W_FORK_SCRIPTED,
  W_FORK_CANCELS,
  W_FORK_INJECTS,
  W_FORK_NEGOTIATIONS,
  W_FORK_CHANNELS,
  W_OBSERVER_INSERT,
  W_OBSERVER_REVOKE,
  W_SCRIPTED_EVENTS,
  W_INJECT,
  W_INJECT_STATUS,
  W_SCRIPTED_CANCEL,
  W_INJECTS_REARM,
  W_CHANNEL_INSERT,
  W_NEGOTIATION_INSERT,
  /* store_del_session: every row of one session, children first. */
  W_DEL_INJECTS,
  W_DEL_SCRIPTED_CANCELS,
  W_DEL_SEAT_CONTROLS,
  W_DEL_AMENDMENTS,
  W_DEL_OBSERVERS,
  W_DEL_CHANNELS,
  W_DEL_NEGOTIATIONS,
  W_DEL_CHAT,
  W_DEL_READIES,
  W_DEL_SUBMISSIONS,
  W_DEL_SCORES,
  W_DEL_PRODUCTION,
  W_DEL_PRICES,
  W_DEL_TURNS,
  W_DEL_SEATS,
  W_DEL_SESSION,
  /* session.reset (issue 14) clears a session's game rows with the
   * W_DEL_ statements above and sets its new seed; session.delete marks
   * it deleted (without purge; with purge it is store_del_session). */
  W_SESSION_SEED,
  W_SESSION_DELETED,
  W_COUNT
} wstmt_t;

static const char *const SQL[W_COUNT] = {
    [W_SESSION_INSERT] =
        "INSERT INTO sessions (id, name, map_id, map_json, map_digest, seed,"
        " turns, turn_ms, spectators, admin_token_hash, engine_version,"
        " created_ms, status, turn, deadline_ms, remaining_ms, fixed,"
        " creator) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [W_SESSION_STATUS] =
        "UPDATE sessions SET status = ?2, turn = ?3, deadline_ms = ?4,"
        " remaining_ms = ?5 WHERE id = ?1",
    [W_SEAT_INSERT] =
        "INSERT INTO seats (session_id, seat_index, seat, kind, title,"
        " token_hash, code_hash, token_box) VALUES (?,?,?,?,?,?,?,?)",
    [W_SEAT_UPDATE] = "UPDATE seats SET taken = ?3, name = ?4, agent = ?5"
                      " WHERE session_id = ?1 AND seat_index = ?2",
    /* The seat's latest submission of the turn replaces the one before;
     * it takes a new id, so ids still tell the order of arrival. */
    [W_SUBMISSION_INSERT] =
        "INSERT INTO submissions (session_id, turn, seat_index, source,"
        " orders, created_ms) VALUES (?,?,?,?,?,?)"
        " ON CONFLICT (session_id, turn, seat_index) DO UPDATE SET"
        " id = (SELECT MAX(id) + 1 FROM submissions),"
        " source = excluded.source, orders = excluded.orders,"
        " created_ms = excluded.created_ms",
    [W_READY_INSERT] =
        "INSERT OR IGNORE INTO readies (session_id, turn, seat_index,"
        " created_ms) VALUES (?,?,?,?)",
    [W_READY_DELETE] = "DELETE FROM readies WHERE session_id = ?1 AND turn = ?2"
                       " AND seat_index = ?3",
    [W_TURN_INSERT] =
        "INSERT INTO turns (session_id, turn, state_hash, snapshot, summary,"
        " resolved_ms) VALUES (?,?,?,?,?,?)",
    [W_PRICE_INSERT] =
        "INSERT INTO prices (session_id, turn, product, region, cents_per_kg)"
        " VALUES (?,?,?,?,?)",
    [W_PRODUCTION_INSERT] =
        "INSERT INTO production (session_id, turn, stage, nation, kg)"
        " VALUES (?,?,?,?,?)",
    [W_SCORE_INSERT] = "INSERT INTO scores (session_id, turn, seat, score_ppm)"
                       " VALUES (?,?,?,?)",
    [W_CHAT_INSERT] =
        "INSERT INTO chat (session_id, turn, from_seat, to_seat, text,"
        " created_ms, id, channel) VALUES (?,?,?,?,?,?,?,?)",
    [W_CHANNEL_INSERT] =
        "INSERT INTO channels (session_id, channel, kind, title, members,"
        " opened_by, created_ms) VALUES (?,?,?,?,?,?,?)",
    [W_NEGOTIATION_INSERT] =
        "INSERT INTO negotiation_steps (session_id, negotiation, turn,"
        " action, seat, author, counterparty, terms, created_ms)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
    [W_SEAT_SECRETS] = "UPDATE seats SET token_hash = ?3, code_hash = ?4,"
                       " token_box = ?5 WHERE session_id = ?1 AND"
                       " seat_index = ?2",
    [W_ADMIN_HASH] = "UPDATE sessions SET admin_token_hash = ?2 WHERE id = ?1",
    [W_SEAT_CONTROL] = "INSERT OR REPLACE INTO seat_controls (session_id,"
                       " seat_index, locked, admin_box) VALUES (?,?,?,?)",
    [W_SESSION_REVIEW] = "UPDATE sessions SET review = ?2, forked_from = ?3,"
                         " forked_turn = ?4 WHERE id = ?1",
    [W_SESSION_HELD] = "UPDATE sessions SET held_turn = ?2 WHERE id = ?1",
    [W_AMENDMENT_INSERT] =
        "INSERT INTO amendments (session_id, turn, seq, seat, kind, fields,"
        " reason, created_ms) VALUES (?,?,?,?,?,?,?,?)",
    /* session.fork: the rows of the turns before the fork's, copied from
     * the original (?2) to the fork (?1). */
    [W_FORK_TURNS] = "INSERT INTO turns (session_id, turn, state_hash,"
                     " snapshot, summary, resolved_ms) SELECT ?1, turn,"
                     " state_hash, snapshot, summary, resolved_ms FROM turns"
                     " WHERE session_id = ?2 AND turn < ?3",
    [W_FORK_PRICES] = "INSERT INTO prices (session_id, turn, product, region,"
                      " cents_per_kg) SELECT ?1, turn, product, region,"
                      " cents_per_kg FROM prices WHERE session_id = ?2 AND"
                      " turn < ?3",
    [W_FORK_PRODUCTION] = "INSERT INTO production (session_id, turn, stage,"
                          " nation, kg) SELECT ?1, turn, stage, nation, kg"
                          " FROM production WHERE session_id = ?2 AND"
                          " turn < ?3",
    [W_FORK_SCORES] = "INSERT INTO scores (session_id, turn, seat, score_ppm)"
                      " SELECT ?1, turn, seat, score_ppm FROM scores WHERE"
                      " session_id = ?2 AND turn < ?3",
    [W_FORK_SUBMISSIONS] =
        "INSERT INTO submissions (session_id, turn, seat_index, source,"
        " orders, created_ms) SELECT ?1, turn, seat_index, source, orders,"
        " created_ms FROM submissions WHERE session_id = ?2 AND turn < ?3"
        " ORDER BY id",
    [W_FORK_AMENDMENTS] =
        "INSERT INTO amendments (session_id, turn, seq, seat, kind, fields,"
        " reason, created_ms) SELECT ?1, turn, seq, seat, kind, fields,"
        " reason, created_ms FROM amendments WHERE session_id = ?2 AND"
        " turn < ?3",
    /* The control cell's events (issue 13): the scripted_events flag (?3
     * only bound), the scripted events cancelled before the fork's turn;
     * every inject, those of the fork's turn or later pending again when
     * they fired in the original or were cancelled after turn ?3 - 1
     * resolved (cancelled in turn ?3 or later: the fork starts before
     * that). docs/storage.md "Forks". */
    [W_FORK_SCRIPTED] = "UPDATE sessions SET scripted_events = (SELECT"
                        " scripted_events FROM sessions WHERE id = ?2)"
                        " WHERE id = ?1 AND ?3 >= 0",
    [W_FORK_CANCELS] = "INSERT INTO scripted_cancels (session_id, idx, turn,"
                       " created_ms) SELECT ?1, idx, turn, created_ms FROM"
                       " scripted_cancels WHERE session_id = ?2 AND"
                       " turn < ?3",
    [W_FORK_INJECTS] =
        "INSERT OR REPLACE INTO injects (session_id, inject, turn, event,"
        " seats, note, sources, status, created_ms, changed_ms) SELECT ?1,"
        " inject, turn, event, seats, note, sources, CASE WHEN " FORK_REARM
        " THEN 'pending' ELSE status END, created_ms, CASE WHEN " FORK_REARM
        " THEN NULL ELSE changed_ms END FROM injects WHERE session_id = ?2",
    /* Negotiation steps taken before the fork's turn, in their order (a
     * negotiation open then stays open as it stood); opened channels
     * all (chat is not copied). */
    [W_FORK_NEGOTIATIONS] =
        "INSERT INTO negotiation_steps (session_id, negotiation, turn,"
        " action, seat, author, counterparty, terms, created_ms) SELECT ?1,"
        " negotiation, turn, action, seat, author, counterparty, terms,"
        " created_ms FROM negotiation_steps WHERE session_id = ?2 AND"
        " turn < ?3 ORDER BY id",
    [W_FORK_CHANNELS] = "INSERT INTO channels (session_id, channel, kind,"
                        " title, members, opened_by, created_ms) SELECT ?1,"
                        " channel, kind, title, members, opened_by,"
                        " created_ms FROM channels WHERE session_id = ?2"
                        " AND ?3 >= 0",
    [W_DEL_AMENDMENTS] = "DELETE FROM amendments WHERE session_id = ?1",
    [W_OBSERVER_INSERT] =
        "INSERT INTO observers (session_id, observer, name, seats,"
        " token_hash, created_ms) VALUES (?,?,?,?,?,?)",
    [W_OBSERVER_REVOKE] = "UPDATE observers SET revoked_ms = ?3 WHERE"
                          " session_id = ?1 AND observer = ?2",
    [W_SCRIPTED_EVENTS] = "UPDATE sessions SET scripted_events = ?2"
                          " WHERE id = ?1",
    [W_INJECT] = "INSERT OR REPLACE INTO injects (session_id, inject, turn,"
                 " event, seats, note, sources, status, created_ms,"
                 " changed_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
    [W_INJECT_STATUS] = "UPDATE injects SET status = ?3, changed_ms = ?4"
                        " WHERE session_id = ?1 AND inject = ?2",
    [W_SCRIPTED_CANCEL] = "INSERT OR REPLACE INTO scripted_cancels"
                          " (session_id, idx, turn, created_ms)"
                          " VALUES (?,?,?,?)",
    /* session.reset: the new game fires control's injects again */
    [W_INJECTS_REARM] = "UPDATE injects SET status = 'pending', changed_ms"
                        " = NULL WHERE session_id = ?1 AND status = 'fired'",
    [W_DEL_INJECTS] = "DELETE FROM injects WHERE session_id = ?1",
    [W_DEL_SCRIPTED_CANCELS] = "DELETE FROM scripted_cancels WHERE"
                               " session_id = ?1",
    [W_DEL_SEAT_CONTROLS] = "DELETE FROM seat_controls WHERE session_id = ?1",
    [W_DEL_OBSERVERS] = "DELETE FROM observers WHERE session_id = ?1",
    [W_DEL_CHANNELS] = "DELETE FROM channels WHERE session_id = ?1",
    [W_DEL_NEGOTIATIONS] =
        "DELETE FROM negotiation_steps WHERE session_id = ?1",
    [W_DEL_CHAT] = "DELETE FROM chat WHERE session_id = ?1",
    [W_DEL_READIES] = "DELETE FROM readies WHERE session_id = ?1",
    [W_DEL_SUBMISSIONS] = "DELETE FROM submissions WHERE session_id = ?1",
    [W_DEL_SCORES] = "DELETE FROM scores WHERE session_id = ?1",
    [W_DEL_PRODUCTION] = "DELETE FROM production WHERE session_id = ?1",
    [W_DEL_PRICES] = "DELETE FROM prices WHERE session_id = ?1",
    [W_DEL_TURNS] = "DELETE FROM turns WHERE session_id = ?1",
    [W_DEL_SEATS] = "DELETE FROM seats WHERE session_id = ?1",
    [W_DEL_SESSION] = "DELETE FROM sessions WHERE id = ?1",
    [W_SESSION_SEED] = "UPDATE sessions SET seed = ?2 WHERE id = ?1",
    [W_SESSION_DELETED] = "UPDATE sessions SET deleted_ms = ?2 WHERE id = ?1",
};

static const char *const STMT_NAME[W_COUNT] = {
    [W_SESSION_INSERT] = "session insert",
    [W_SESSION_STATUS] = "session status",
    [W_SEAT_INSERT] = "seat insert",
    [W_SEAT_UPDATE] = "seat update",
    [W_SUBMISSION_INSERT] = "submission upsert",
    [W_READY_INSERT] = "ready insert",
    [W_READY_DELETE] = "ready delete",
    [W_TURN_INSERT] = "turn insert",
    [W_PRICE_INSERT] = "price insert",
    [W_PRODUCTION_INSERT] = "production insert",
    [W_SCORE_INSERT] = "score insert",
    [W_CHAT_INSERT] = "chat insert",
    [W_CHANNEL_INSERT] = "channel insert",
    [W_NEGOTIATION_INSERT] = "negotiation step insert",
    [W_SEAT_SECRETS] = "seat secrets",
    [W_ADMIN_HASH] = "admin token hash",
    [W_SEAT_CONTROL] = "seat control",
    [W_SESSION_REVIEW] = "session review",
    [W_SESSION_HELD] = "session held turn",
    [W_AMENDMENT_INSERT] = "amendment insert",
    [W_FORK_TURNS] = "fork (turns)",
    [W_FORK_PRICES] = "fork (prices)",
    [W_FORK_PRODUCTION] = "fork (production)",
    [W_FORK_SCORES] = "fork (scores)",
    [W_FORK_SUBMISSIONS] = "fork (submissions)",
    [W_FORK_AMENDMENTS] = "fork (amendments)",
    [W_FORK_SCRIPTED] = "fork (scripted_events)",
    [W_FORK_CANCELS] = "fork (scripted_cancels)",
    [W_FORK_INJECTS] = "fork (injects)",
    [W_FORK_NEGOTIATIONS] = "fork (negotiation_steps)",
    [W_FORK_CHANNELS] = "fork (channels)",
    [W_DEL_AMENDMENTS] = "session delete (amendments)",
    [W_OBSERVER_INSERT] = "observer insert",
    [W_OBSERVER_REVOKE] = "observer revoke",
    [W_SCRIPTED_EVENTS] = "session scripted_events",
    [W_INJECT] = "inject",
    [W_INJECT_STATUS] = "inject status",
    [W_SCRIPTED_CANCEL] = "scripted cancel",
    [W_INJECTS_REARM] = "injects rearm (session reset)",
    [W_DEL_INJECTS] = "session delete (injects)",
    [W_DEL_SCRIPTED_CANCELS] = "session delete (scripted_cancels)",
    [W_DEL_SEAT_CONTROLS] = "session delete (seat_controls)",
    [W_DEL_OBSERVERS] = "session delete (observers)",
    [W_DEL_CHANNELS] = "session delete (channels)",
    [W_DEL_NEGOTIATIONS] = "session delete (negotiation_steps)",
    [W_DEL_CHAT] = "session delete (chat)",
    [W_DEL_READIES] = "session delete (readies)",
    [W_DEL_SUBMISSIONS] = "session delete (submissions)",
    [W_DEL_SCORES] = "session delete (scores)",
    [W_DEL_PRODUCTION] = "session delete (production)",
    [W_DEL_PRICES] = "session delete (prices)",
    [W_DEL_TURNS] = "session delete (turns)",
    [W_DEL_SEATS] = "session delete (seats)",
    [W_DEL_SESSION] = "session delete",
    [W_SESSION_SEED] = "session seed",
    [W_SESSION_DELETED] = "session deleted",
};

static const char *const STATUS[] = {"lobby", "running", "paused", "finished"};
static const char *const SOURCE[] = {"player", "agent"};

/* The most parameters a statement of SQL[] takes (the session insert has
 * 18). */
#define STORE_MAX_PARAMS 18

typedef enum { P_NULL = 0, P_INT, P_TEXT, P_BLOB } ptype_t;

typedef struct param {
  ptype_t type;
  int64_t i;
  char *p; /* owned copy for P_TEXT and P_BLOB */
  size_t len;
} param_t;

typedef struct op {
  wstmt_t stmt;
  int n;
  bool nomem; /* a copy failed: the op is abandoned */
  param_t params[STORE_MAX_PARAMS];
} op_t;

typedef struct cb {
  store_commit_fn fn;
  void *arg;
} cb_t;

typedef struct cbs {
  cb_t *v;
  size_t n, cap;
} cbs_t;

/* The WAL is truncated back to this size after a checkpoint, so one
 * burst of writes does not leave a large file behind for good. */
#define STORE_WAL_LIMIT_SQL "PRAGMA journal_size_limit=16777216"

/* The retry of a failed commit: first after this long, then twice as long
 * each time, up to the cap. While it fails, the failure is logged at most
 * once per STORE_FAIL_LOG_MS (the counter stays exact). */
#define STORE_RETRY_FIRST_MS 100u
#define STORE_RETRY_MAX_MS   1000u
#define STORE_FAIL_LOG_MS    10000u

struct store {
  sqlite3 *db;
  sqlite3_stmt *stmts[W_COUNT];
  bool opened;   /* the file passed the checks: we may write to it */
  bool readonly; /* opened by store_open_readonly */
  int64_t version;
  store_log_fn log;
  void *log_arg;
  store_hooks_t hooks;
  void *hooks_arg;
  op_t *ops;
  size_t n_ops, cap_ops;
  cbs_t held, after;
  /* A streak of failed commits: how many, since when (monotonic ms), the
   * next retry's delay, and whether anything was queued since the last
   * attempt (the loop retries early only then, so a locked file does not
   * make it spin). */
  bool failing;
  bool fresh;
  uint64_t fails, fail_since_ms, fail_logged_ms, fails_logged;
  unsigned retry_ms;
  store_counters_t counters;
  uint64_t last_commit_ns; /* the last successful commit's duration */
  sqlite3_stmt **reset;    /* store_reset's DELETEs (reset_prepare) */
  size_t n_reset;
};

static void logf_(store_t *st, store_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(store_t *st, store_log_level_t level, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (st->log)
    st->log(st->log_arg, level, line);
  else
    fprintf(stderr, "%s\n", line);
}

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

sqlite3 *store_sqlite(store_t *st) {
  return st->db;
}

int64_t store_version(const store_t *st) {
  return st->version;
}

const store_counters_t *store_counters(const store_t *st) {
  return &st->counters;
}

uint64_t store_last_commit_ns(const store_t *st) {
  return st->last_commit_ns;
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void store_set_hooks(store_t *st, const store_hooks_t *hooks, void *arg) {
  if (hooks)
    st->hooks = *hooks;
  else
    memset(&st->hooks, 0, sizeof st->hooks);
  st->hooks_arg = arg;
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

/* PRAGMA quick_check: 0 if the file is sound, else -1 with what SQLite
 * said in why. */
static int quick_check(sqlite3 *db, char *why, size_t whylen) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK) {
    snprintf(why, whylen, "it cannot be checked: %s", sqlite3_errmsg(db));
    return -1;
  }
  int rc = sqlite3_step(s);
  const char *res =
      rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
  int ok = res && strcmp(res, "ok") == 0;
  if (!ok)
    snprintf(why, whylen, "PRAGMA quick_check: %s",
             res ? res : sqlite3_errmsg(db));
  sqlite3_finalize(s);
  return ok ? 0 : -1;
}

static store_t *store_new(const store_config_t *cfg) {
  store_t *st = calloc(1, sizeof *st);
  if (!st)
    return NULL;
  if (cfg) {
    st->log = cfg->log;
    st->log_arg = cfg->log_arg;
  }
  return st;
}

/* The server writes its database, and beside it the WAL and shared-memory
 * files: a read-only file, folder or mount is said so at start, rather
 * than found at the first commit (issue 10). 0, or -1 with a sentence. */
static int check_writable(const char *path, char *err, size_t errlen) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == path)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
    snprintf(err, errlen,
             "%s is read-only (%s): the server must write its database; "
             "make the file writable (and its folder and mount), or give "
             "another --db file",
             path,
             errno == EROFS ? "it is on a read-only file system"
                            : strerror(errno));
    return -1;
  }
  if (access(dir, W_OK) != 0) {
    snprintf(err, errlen,
             "the folder %s of %s is not writable (%s): the server creates "
             "the database and its -wal and -shm files there; make the "
             "folder writable, or give a --db file elsewhere",
             dir, path,
             errno == EROFS ? "it is on a read-only file system"
                            : strerror(errno));
    return -1;
  }
  return 0;
}

int store_open(store_t **out, const char *path, const store_config_t *cfg,
               char *err, size_t errlen) {
  bool sync_full = cfg ? cfg->sync_full : true;
  *out = NULL;
  if (check_writable(path, err, errlen) != 0)
    return -1;
  store_t *st = store_new(cfg);
  if (!st) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  int rc = sqlite3_open_v2(path, &st->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open %s: %s", path,
             st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    goto fail;
  }
  /* SQLite opens a file it may not write read-only, silently: say so now
   * (a read-only mount that access() did not show, say). */
  if (sqlite3_db_readonly(st->db, "main") == 1) {
    snprintf(err, errlen,
             "%s can only be opened read-only (the file, its folder or its "
             "mount is read-only): the server must write its database; make "
             "it writable, or give another --db file",
             path);
    goto fail;
  }
  /* Read before writing anything: a file that is not a database, is
   * damaged, or comes from a newer Lanthanide is refused untouched. */
  int64_t version;
  if (get_int(st->db, "PRAGMA user_version", &version) != 0) {
    snprintf(err, errlen,
             "%s is not a Lanthanide database, or cannot be read now "
             "(SQLite says: %s); give another --db file",
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
    char why[256];
    if (quick_check(st->db, why, sizeof why) != 0) {
      snprintf(err, errlen,
               "%s is damaged (%s); it was not changed. Restore a backup or "
               "give another --db file",
               path, why);
      goto fail;
    }
  }
  /* The checks passed: from here on the server writes to the file, and a
   * clean close folds its WAL back. Before this, store_close leaves the
   * refused file as it found it. */
  st->opened = true;
  if (exec(st->db, "PRAGMA journal_mode=WAL", err, errlen) != 0 ||
      exec(st->db,
           sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
           err, errlen) != 0 ||
      exec(st->db, "PRAGMA foreign_keys=ON", err, errlen) != 0 ||
      exec(st->db, STORE_WAL_LIMIT_SQL, err, errlen) != 0)
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
      logf_(st, STORE_LOG_INFO, "store: migrated %s from schema %lld to %lld",
            path, (long long)v, (long long)v + 1);
  }
  st->version = STORE_SCHEMA_VERSION;
  for (int i = 0; i < W_COUNT; i++) {
    if (sqlite3_prepare_v3(st->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &st->stmts[i], NULL) != SQLITE_OK) {
      snprintf(err, errlen, "cannot prepare a statement: %s",
               sqlite3_errmsg(st->db));
      goto fail;
    }
  }
  *out = st;
  return 0;
fail:
  store_close(st);
  return -1;
}

int store_open_readonly(store_t **out, const char *path, char *err,
                        size_t errlen) {
  *out = NULL;
  store_t *st = store_new(NULL);
  if (!st) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  st->readonly = true;
  /* READONLY never creates the file, so a mistyped name is an error rather
   * than a new empty database. */
  int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open %s: %s", path,
             st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    goto fail;
  }
  /* Belt and braces: even a statement of ours that tried to write would be
   * refused. */
  sqlite3_exec(st->db, "PRAGMA query_only=1", NULL, NULL, NULL);
  /* A running server holds no lock long; wait a little rather than fail. */
  sqlite3_busy_timeout(st->db, 2000);
  int64_t version;
  if (get_int(st->db, "PRAGMA user_version", &version) != 0) {
    snprintf(err, errlen, "%s is not a Lanthanide database (SQLite says: %s)",
             path, sqlite3_errmsg(st->db));
    goto fail;
  }
  if (version > STORE_SCHEMA_VERSION) {
    snprintf(err, errlen,
             "%s has schema version %" PRId64 ", newer than this tool's %d; "
             "use the lanthanide of the server that wrote it",
             path, version, STORE_SCHEMA_VERSION);
    goto fail;
  }
  if (version < 1) {
    snprintf(err, errlen,
             "%s has no Lanthanide schema (version %" PRId64 "); a server "
             "creates it on first start with --db",
             path, version);
    goto fail;
  }
  {
    char why[256];
    if (quick_check(st->db, why, sizeof why) != 0) {
      snprintf(err, errlen, "%s is damaged (%s)", path, why);
      goto fail;
    }
  }
  st->version = version;
  *out = st;
  return 0;
fail:
  store_close(st);
  return -1;
}

/* ---- The queue of writes ------------------------------------------------ */

static void free_op(op_t *op) {
  for (int i = 0; i < op->n; i++)
    free(op->params[i].p);
  op->n = 0;
}

/* A new op at the end of the queue (not yet counted in n_ops: op_end
 * does), or NULL if out of memory. */
static op_t *op_begin(store_t *st, wstmt_t stmt) {
  if (st->n_ops == st->cap_ops) {
    size_t cap = st->cap_ops ? 2 * st->cap_ops : 64;
    op_t *grown = realloc(st->ops, cap * sizeof *grown);
    if (!grown)
      return NULL;
    st->ops = grown;
    st->cap_ops = cap;
  }
  op_t *op = &st->ops[st->n_ops];
  op->stmt = stmt;
  op->n = 0;
  op->nomem = false;
  return op;
}

static param_t *param_next(op_t *op, ptype_t type) {
  /* More parameters than any statement takes: a programming error. */
  LAN_ASSERT(op->n < STORE_MAX_PARAMS);
  if (op->n >= STORE_MAX_PARAMS) {
    op->nomem = true;
    return NULL;
  }
  param_t *p = &op->params[op->n++];
  p->type = type;
  p->i = 0;
  p->p = NULL;
  p->len = 0;
  return p;
}

static void p_int(op_t *op, int64_t v) {
  param_t *p = param_next(op, P_INT);
  if (p)
    p->i = v;
}

static void p_null(op_t *op) {
  (void)param_next(op, P_NULL);
}

static void p_bytes(op_t *op, ptype_t type, const void *src, size_t len) {
  param_t *p = param_next(op, type);
  if (!p)
    return;
  p->p = malloc(len ? len : 1);
  if (!p->p) {
    op->nomem = true;
    return;
  }
  if (len)
    memcpy(p->p, src, len);
  p->len = len;
}

static void p_text(op_t *op, const char *s) {
  p_bytes(op, P_TEXT, s, strlen(s));
}

static void p_textn(op_t *op, const char *s, size_t len) {
  p_bytes(op, P_TEXT, s, len);
}

static void p_blob(op_t *op, const void *b, size_t len) {
  p_bytes(op, P_BLOB, b, len);
}

static void mark_fresh(store_t *st) {
  bool was = st->fresh;
  st->fresh = true;
  if (!was && st->hooks.queued)
    st->hooks.queued(st->hooks_arg);
}

/* Queue the op op_begin returned, or drop it if a copy failed. */
static int op_end(store_t *st, op_t *op) {
  if (op->nomem) {
    free_op(op);
    return -1;
  }
  st->n_ops++;
  mark_fresh(st);
  return 0;
}

int store_put_session(store_t *st, const store_session_t *s) {
  op_t *op = op_begin(st, W_SESSION_INSERT);
  if (!op)
    return -1;
  p_text(op, s->id);
  p_text(op, s->name);
  p_text(op, s->map_id);
  p_textn(op, s->map_json, s->map_len);
  p_blob(op, s->map_digest, STORE_HASH_BYTES);
  p_int(op, (int64_t)s->seed);
  p_int(op, s->turns);
  p_int(op, s->turn_ms);
  p_int(op, s->spectators);
  p_blob(op, s->admin_token_hash, STORE_HASH_BYTES);
  p_text(op, s->engine_version);
  p_int(op, s->created_ms);
  p_text(op, STATUS[s->status]);
  p_int(op, s->turn);
  p_int(op, s->deadline_ms);
  p_int(op, s->remaining_ms);
  p_int(op, s->fixed);
  if (s->creator)
    p_blob(op, s->creator, STORE_CREATOR_BYTES);
  else
    p_null(op);
  return op_end(st, op);
}

int store_put_seat(store_t *st, const store_seat_t *s) {
  op_t *op = op_begin(st, W_SEAT_INSERT);
  if (!op)
    return -1;
  p_text(op, s->session_id);
  p_int(op, s->index);
  p_text(op, s->seat);
  p_text(op, s->nation ? "nation" : "firm");
  p_text(op, s->title);
  p_blob(op, s->token_hash, STORE_HASH_BYTES);
  p_blob(op, s->code_hash, STORE_HASH_BYTES);
  p_blob(op, s->token_box, STORE_BOX_BYTES);
  return op_end(st, op);
}

int store_set_status(store_t *st, const char *session_id, store_status_t status,
                     int turn, int64_t deadline_ms, int64_t remaining_ms) {
  op_t *op = op_begin(st, W_SESSION_STATUS);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_text(op, STATUS[status]);
  p_int(op, turn);
  p_int(op, deadline_ms);
  p_int(op, remaining_ms);
  return op_end(st, op);
}

/* Queue stmt with the session id (and v, when with_v) as parameters. */
static int put_id(store_t *st, wstmt_t stmt, const char *session_id,
                  bool with_v, int64_t v) {
  op_t *op = op_begin(st, stmt);
  if (!op)
    return -1;
  p_text(op, session_id);
  if (with_v)
    p_int(op, v);
  return op_end(st, op);
}

/* The game rows of a session: what a reset starts again without (chat,
 * channels, seats and seat controls stay; negotiations go, since an
 * accepted one is a contract of the game that starts again). */
static const wstmt_t GAME_ROWS[] = {
    W_DEL_AMENDMENTS, W_DEL_SUBMISSIONS, W_DEL_READIES, W_DEL_TURNS,
    W_DEL_PRICES, W_DEL_PRODUCTION, W_DEL_SCORES, W_DEL_NEGOTIATIONS,
    /* issue 13: the new game fires control's injects again and runs the
     * scripted events control cancelled in the old one */
    W_INJECTS_REARM, W_DEL_SCRIPTED_CANCELS};

int store_reset_session(store_t *st, const char *session_id, uint64_t seed) {
  /* All or nothing, like store_del_session: a session whose turns went
   * but whose old seed stayed would replay a different game. */
  size_t first = st->n_ops;
  for (size_t i = 0; i < sizeof GAME_ROWS / sizeof GAME_ROWS[0]; i++)
    if (put_id(st, GAME_ROWS[i], session_id, false, 0) != 0)
      goto undo;
  if (put_id(st, W_SESSION_SEED, session_id, true, (int64_t)seed) != 0)
    goto undo;
  return 0;
undo:
  while (st->n_ops > first)
    free_op(&st->ops[--st->n_ops]);
  return -1;
}

int store_delete_session(store_t *st, const char *session_id,
                         int64_t deleted_ms, bool purge) {
  /* A purge is the lobby expiry's delete: one list of the tables keyed by
   * session, so a table added later cannot be forgotten here. */
  if (purge)
    return store_del_session(st, session_id);
  return put_id(st, W_SESSION_DELETED, session_id, true, deleted_ms);
}

int store_set_seat(store_t *st, const char *session_id, int index, bool taken,
                   const char *name, const char *agent) {
  op_t *op = op_begin(st, W_SEAT_UPDATE);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, index);
  p_int(op, taken);
  p_text(op, name);
  if (agent)
    p_text(op, agent);
  else
    p_null(op);
  return op_end(st, op);
}

/* ---- Seat control ------------------------------------------------------ */

int store_set_seat_secrets(store_t *st, const char *session_id, int index,
                           const uint8_t *token_hash, const uint8_t *code_hash,
                           const uint8_t *token_box) {
  op_t *op = op_begin(st, W_SEAT_SECRETS);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, index);
  p_blob(op, token_hash, STORE_HASH_BYTES);
  p_blob(op, code_hash, STORE_HASH_BYTES);
  p_blob(op, token_box, STORE_BOX_BYTES);
  return op_end(st, op);
}

int store_set_admin_hash(store_t *st, const char *session_id,
                         const uint8_t *admin_token_hash) {
  op_t *op = op_begin(st, W_ADMIN_HASH);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_blob(op, admin_token_hash, STORE_HASH_BYTES);
  return op_end(st, op);
}

int store_put_seat_control(store_t *st, const char *session_id, int index,
                           bool locked, const uint8_t *admin_box) {
  op_t *op = op_begin(st, W_SEAT_CONTROL);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, index);
  p_int(op, locked);
  if (admin_box)
    p_blob(op, admin_box, STORE_BOX_BYTES);
  else
    p_null(op);
  return op_end(st, op);
}

int store_put_observer(store_t *st, const char *session_id, int64_t observer,
                       const char *name, const char *seats,
                       const uint8_t *token_hash, int64_t created_ms) {
  op_t *op = op_begin(st, W_OBSERVER_INSERT);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, observer);
  p_text(op, name);
  p_text(op, seats);
  p_blob(op, token_hash, STORE_HASH_BYTES);
  p_int(op, created_ms);
  return op_end(st, op);
}

int store_revoke_observer(store_t *st, const char *session_id, int64_t observer,
                          int64_t revoked_ms) {
  op_t *op = op_begin(st, W_OBSERVER_REVOKE);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, observer);
  p_int(op, revoked_ms);
  return op_end(st, op);
}

int store_put_submission(store_t *st, const store_submission_t *s) {
  op_t *op = op_begin(st, W_SUBMISSION_INSERT);
  if (!op)
    return -1;
  p_text(op, s->session_id);
  p_int(op, s->turn);
  p_int(op, s->seat_index);
  p_text(op, SOURCE[s->source]);
  p_blob(op, s->orders, s->orders_len);
  p_int(op, s->created_ms);
  return op_end(st, op);
}

int store_put_ready(store_t *st, const char *session_id, int turn, int seat,
                    int64_t created_ms) {
  op_t *op = op_begin(st, W_READY_INSERT);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, turn);
  p_int(op, seat);
  p_int(op, created_ms);
  return op_end(st, op);
}

int store_del_ready(store_t *st, const char *session_id, int turn, int seat) {
  op_t *op = op_begin(st, W_READY_DELETE);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, turn);
  p_int(op, seat);
  return op_end(st, op);
}

/* ---- Deleting a session (rd-limits: expired lobby sessions) ------------ */

int store_del_session(store_t *st, const char *session_id) {
  /* All or nothing: a session whose chat went but whose seats stayed
   * would be out of step with the server's memory. */
  size_t first = st->n_ops;
  for (int w = W_DEL_INJECTS; w <= W_DEL_SESSION; w++) {
    op_t *op = op_begin(st, (wstmt_t)w);
    if (!op)
      goto undo;
    p_text(op, session_id);
    if (op_end(st, op) != 0)
      goto undo;
  }
  return 0;
undo:
  while (st->n_ops > first)
    free_op(&st->ops[--st->n_ops]);
  return -1;
}

int store_put_turn(store_t *st, const store_turn_t *t) {
  op_t *op = op_begin(st, W_TURN_INSERT);
  if (!op)
    return -1;
  p_text(op, t->session_id);
  p_int(op, t->turn);
  p_blob(op, t->state_hash, STORE_HASH_BYTES);
  p_blob(op, t->snapshot, t->snapshot_len);
  p_blob(op, t->summary, t->summary_len);
  p_int(op, t->resolved_ms);
  return op_end(st, op);
}

/* The three figure tables share their shape: session, turn, two keys (or
 * one), a value. */
static int put_figure(store_t *st, wstmt_t stmt, const char *session_id,
                      int turn, const char *a, const char *b, int64_t v) {
  op_t *op = op_begin(st, stmt);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, turn);
  p_text(op, a);
  if (b)
    p_text(op, b);
  p_int(op, v);
  return op_end(st, op);
}

int store_put_price(store_t *st, const char *session_id, int turn,
                    const char *product, const char *region,
                    int64_t cents_per_kg) {
  return put_figure(st, W_PRICE_INSERT, session_id, turn, product, region,
                    cents_per_kg);
}

int store_put_production(store_t *st, const char *session_id, int turn,
                         const char *stage, const char *nation, int64_t kg) {
  return put_figure(st, W_PRODUCTION_INSERT, session_id, turn, stage, nation,
                    kg);
}

int store_put_score(store_t *st, const char *session_id, int turn,
                    const char *seat, int64_t score_ppm) {
  return put_figure(st, W_SCORE_INSERT, session_id, turn, seat, NULL,
                    score_ppm);
}

int store_put_chat(store_t *st, const store_chat_t *c) {
  op_t *op = op_begin(st, W_CHAT_INSERT);
  if (!op)
    return -1;
  p_text(op, c->session_id);
  p_int(op, c->turn);
  p_text(op, c->from);
  p_text(op, c->to);
  p_textn(op, c->text, c->len);
  p_int(op, c->created_ms);
  if (c->id > 0)
    p_int(op, c->id);
  else
    p_null(op);
  if (c->channel)
    p_text(op, c->channel);
  else
    p_null(op);
  return op_end(st, op);
}

int store_put_channel(store_t *st, const store_channel_t *c) {
  op_t *op = op_begin(st, W_CHANNEL_INSERT);
  if (!op)
    return -1;
  p_text(op, c->session_id);
  p_text(op, c->channel);
  p_text(op, c->kind);
  p_text(op, c->title);
  p_text(op, c->members);
  p_text(op, c->opened_by);
  p_int(op, c->created_ms);
  return op_end(st, op);
}

int store_put_negotiation_step(store_t *st, const store_negotiation_step_t *n) {
  op_t *op = op_begin(st, W_NEGOTIATION_INSERT);
  if (!op)
    return -1;
  p_text(op, n->session_id);
  p_text(op, n->negotiation);
  p_int(op, n->turn);
  p_text(op, n->action);
  p_text(op, n->seat);
  p_text(op, n->author);
  p_text(op, n->counterparty);
  p_blob(op, n->terms, n->terms_len);
  p_int(op, n->created_ms);
  return op_end(st, op);
}

/* ---- Commit -------------------------------------------------------------- */

static int cbs_add(store_t *st, cbs_t *l, store_commit_fn fn, void *arg) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    cb_t *grown = realloc(l->v, cap * sizeof *grown);
    if (!grown)
      return -1;
    l->v = grown;
    l->cap = cap;
  }
  l->v[l->n++] = (cb_t){fn, arg};
  mark_fresh(st);
  return 0;
}

int store_hold(store_t *st, store_commit_fn fn, void *arg) {
  if (cbs_add(st, &st->held, fn, arg) != 0)
    return -1;
  st->counters.replies_held++;
  return 0;
}

int store_after_commit(store_t *st, store_commit_fn fn, void *arg) {
  return cbs_add(st, &st->after, fn, arg);
}

/* Run a list of callbacks, in order. They may register more, which wait
 * for the next commit: the list is taken first. */
static void cbs_run(cbs_t *l, bool committed) {
  cbs_t taken = *l;
  memset(l, 0, sizeof *l);
  for (size_t i = 0; i < taken.n; i++)
    taken.v[i].fn(taken.v[i].arg, committed);
  free(taken.v);
}

bool store_pending(const store_t *st) {
  return st->n_ops > 0 || st->held.n > 0 || st->after.n > 0;
}

bool store_due(const store_t *st) {
  return store_pending(st) && (!st->failing || st->fresh);
}

bool store_failing(const store_t *st) {
  return st->failing;
}

size_t store_queued(const store_t *st) {
  return st->n_ops + st->held.n + st->after.n;
}

unsigned store_retry_ms(const store_t *st) {
  return st->failing ? st->retry_ms : 0;
}

static int run_op(store_t *st, op_t *op) {
  sqlite3_stmt *s = st->stmts[op->stmt];
  for (int i = 0; i < op->n; i++) {
    param_t *p = &op->params[i];
    int rc = SQLITE_OK;
    switch (p->type) {
    case P_INT:
      rc = sqlite3_bind_int64(s, i + 1, p->i);
      break;
    case P_TEXT:
      rc = sqlite3_bind_text(s, i + 1, p->p, (int)p->len, SQLITE_STATIC);
      break;
    case P_BLOB:
      rc = sqlite3_bind_blob(s, i + 1, p->p, (int)p->len, SQLITE_STATIC);
      break;
    case P_NULL:
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
 * every STORE_FAIL_LOG_MS), and set the retry's delay with backoff. */
static void commit_failed(store_t *st, const char *err) {
  uint64_t now = mono_ms();
  st->counters.commit_failures++;
  st->fails++;
  if (!st->failing) {
    st->failing = true;
    st->fail_since_ms = st->fail_logged_ms = now;
    st->fails_logged = st->fails;
    st->retry_ms = STORE_RETRY_FIRST_MS;
    logf_(st, STORE_LOG_ERROR,
          "store: a commit of %zu writes failed (%s); nothing is "
          "dropped: the writes, and the answers and notifications that "
          "wait for them, are kept and the commit is retried",
          st->n_ops, err);
  } else {
    if (now - st->fail_logged_ms >= STORE_FAIL_LOG_MS) {
      logf_(st, STORE_LOG_ERROR,
            "store: commits still failing: %" PRIu64 " attempts in "
            "%.1f s, %zu writes waiting (%s)",
            st->fails - st->fails_logged + 1,
            (double)(now - st->fail_since_ms) / 1000.0, st->n_ops, err);
      st->fail_logged_ms = now;
      st->fails_logged = st->fails;
    }
    st->retry_ms = st->retry_ms * 2 > STORE_RETRY_MAX_MS ? STORE_RETRY_MAX_MS
                                                         : st->retry_ms * 2;
  }
}

int store_flush(store_t *st) {
  st->fresh = false;
  while (st->n_ops > 0) {
    char err[512];
    size_t bad;
    uint64_t t0 = mono_ns();
    int rc = commit_queue(st, err, sizeof err, &bad);
    if (rc == SQLITE_OK) {
      st->last_commit_ns = mono_ns() - t0;
      break;
    }
    if (bad != SIZE_MAX && refused_for_itself(rc)) {
      /* Retrying this one can never succeed, and it would hold back every
       * write and answer behind it: drop it, loudly, and go on. */
      logf_(st, STORE_LOG_ERROR,
            "store: a write was refused by the database and dropped "
            "(%s); the other %zu are committed without it",
            err, st->n_ops - 1);
      drop_op(st, bad);
      continue;
    }
    commit_failed(st, err);
    if (st->hooks.flushed)
      st->hooks.flushed(st->hooks_arg, false);
    return -1;
  }
  if (st->n_ops > 0) { /* the loop above committed them */
    st->counters.commits++;
    for (size_t i = 0; i < st->n_ops; i++)
      free_op(&st->ops[i]);
    st->n_ops = 0;
  }
  if (st->failing) {
    logf_(st, STORE_LOG_WARN,
          "store: commit succeeded after %" PRIu64 " failed attempts "
          "over %.1f s; every kept write is now stored",
          st->fails, (double)(mono_ms() - st->fail_since_ms) / 1000.0);
    st->failing = false;
    st->fails = 0;
  }
  if (st->hooks.flushed)
    st->hooks.flushed(st->hooks_arg, true);
  cbs_run(&st->held, true);
  cbs_run(&st->after, true);
  return 0;
}

int store_flush_wait(store_t *st, int busy_ms) {
  sqlite3_busy_timeout(st->db, busy_ms);
  int rc = store_flush(st);
  sqlite3_busy_timeout(st->db, 0);
  return rc;
}

/* store_reset's DELETE of each table, prepared at its first call and
 * kept (the tables do not change once the store is open). */
static int reset_prepare(store_t *st) {
  sqlite3_stmt *q = NULL;
  int rc;

  if (sqlite3_prepare_v2(st->db,
                         "SELECT name FROM sqlite_schema WHERE type = 'table' "
                         "AND (name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                         "OR name = 'sqlite_sequence')",
                         -1, &q, NULL) != SQLITE_OK)
    return -1;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    char sql[160];
    sqlite3_stmt **grown =
        realloc(st->reset, (st->n_reset + 1) * sizeof *st->reset);
    if (!grown)
      break;
    st->reset = grown;
    snprintf(sql, sizeof sql, "DELETE FROM \"%s\"",
             (const char *)sqlite3_column_text(q, 0));
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &st->reset[st->n_reset], NULL) != SQLITE_OK)
      break;
    st->n_reset++;
  }
  sqlite3_finalize(q);
  if (rc == SQLITE_DONE)
    return 0;
  /* All or nothing: a partial list would leave rows behind. */
  for (size_t i = 0; i < st->n_reset; i++)
    sqlite3_finalize(st->reset[i]);
  free(st->reset);
  st->reset = NULL;
  st->n_reset = 0;
  return -1;
}

int store_reset(store_t *st, char *err, size_t errlen) {
  if (st->readonly || !st->opened) {
    snprintf(err, errlen, "store_reset needs a store opened for writing");
    return -1;
  }
  if (st->n_ops > 0 || st->held.n > 0 || st->after.n > 0) {
    snprintf(err, errlen,
             "store_reset needs an idle store: %zu writes queued, %zu "
             "callbacks waiting for a commit",
             st->n_ops, st->held.n + st->after.n);
    return -1;
  }
  if (!st->reset && reset_prepare(st) != 0) {
    snprintf(err, errlen, "store_reset: %s", sqlite3_errmsg(st->db));
    return -1;
  }
  for (int i = 0; i < W_COUNT; i++)
    sqlite3_reset(st->stmts[i]);
  /* Foreign keys are off while the rows go, so the order of the tables
   * does not matter (the pragma is a no-op inside a transaction). */
  if (exec(st->db, "PRAGMA foreign_keys=OFF", err, errlen) != 0)
    return -1;
  if (exec(st->db, "BEGIN IMMEDIATE", err, errlen) != 0)
    goto fail;
  for (size_t i = 0; i < st->n_reset; i++) {
    int rc = sqlite3_step(st->reset[i]);
    sqlite3_reset(st->reset[i]);
    if (rc != SQLITE_DONE) {
      snprintf(err, errlen, "store_reset: %s", sqlite3_errmsg(st->db));
      goto rollback;
    }
  }
  if (exec(st->db, "COMMIT", err, errlen) != 0)
    goto rollback;
  if (exec(st->db, "PRAGMA foreign_keys=ON", err, errlen) != 0)
    return -1;
  memset(&st->counters, 0, sizeof st->counters);
  st->failing = st->fresh = false;
  st->fails = st->fail_since_ms = st->fail_logged_ms = st->fails_logged = 0;
  st->retry_ms = 0;
  st->last_commit_ns = 0;
  return 0;
rollback:
  sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
fail:
  sqlite3_exec(st->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
  return -1;
}

void store_close(store_t *st) {
  if (!st)
    return;
  if (st->n_ops > 0)
    logf_(st, STORE_LOG_ERROR,
          "store: %zu writes could not be committed before the server "
          "stopped and are lost; the answers that waited for them get "
          "`unavailable`",
          st->n_ops);
  for (size_t i = 0; i < st->n_ops; i++)
    free_op(&st->ops[i]);
  free(st->ops);
  cbs_run(&st->held, false);
  cbs_run(&st->after, false);
  for (int i = 0; i < W_COUNT; i++)
    sqlite3_finalize(st->stmts[i]);
  for (size_t i = 0; i < st->n_reset; i++)
    sqlite3_finalize(st->reset[i]);
  free(st->reset);
  if (st->db) {
    /* A clean shutdown folds the WAL back into the database file. A file
     * refused at open, or read by a tool, is left exactly as it was
     * found: no checkpoint, not even the one SQLite runs when the last
     * connection to a WAL file closes. */
    if (st->opened && !st->readonly)
      sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                NULL);
    else
      sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_close(st->db);
  }
  free(st);
}

/* ---- Review and forks (issue 13) ---------------------------------------- */

int store_set_review(store_t *st, const char *session_id, bool review,
                     const char *forked_from, int forked_turn) {
  op_t *op = op_begin(st, W_SESSION_REVIEW);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, review);
  if (forked_from)
    p_text(op, forked_from);
  else
    p_null(op);
  p_int(op, forked_turn);
  return op_end(st, op);
}

int store_set_held(store_t *st, const char *session_id, int held_turn) {
  return put_id(st, W_SESSION_HELD, session_id, true, held_turn);
}

int store_put_amendment(store_t *st, const store_amendment_t *a) {
  op_t *op = op_begin(st, W_AMENDMENT_INSERT);
  if (!op)
    return -1;
  p_text(op, a->session_id);
  p_int(op, a->turn);
  p_int(op, a->seq);
  p_text(op, a->seat);
  p_text(op, a->kind);
  p_blob(op, a->fields, a->fields_len);
  p_text(op, a->reason);
  p_int(op, a->created_ms);
  return op_end(st, op);
}

int store_fork_rows(store_t *st, const char *fork_id, const char *from_id,
                    int turn) {
  size_t first = st->n_ops;
  for (int w = W_FORK_TURNS; w <= W_FORK_CHANNELS; w++) {
    op_t *op = op_begin(st, (wstmt_t)w);
    if (!op)
      goto undo;
    p_text(op, fork_id);
    p_text(op, from_id);
    p_int(op, turn);
    if (op_end(st, op) != 0)
      goto undo;
  }
  return 0;
undo:
  while (st->n_ops > first)
    free_op(&st->ops[--st->n_ops]);
  return -1;
}

/* ---- The control cell's events (schema 9, issue 13) ------------------ */

int store_set_scripted_events(store_t *st, const char *session_id, bool on) {
  op_t *op = op_begin(st, W_SCRIPTED_EVENTS);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, on);
  return op_end(st, op);
}

static const char *const INJECT_STATUS[] = {"pending", "fired", "cancelled"};

int store_put_inject(store_t *st, const store_inject_t *in) {
  op_t *op = op_begin(st, W_INJECT);
  if (!op)
    return -1;
  p_text(op, in->session_id);
  p_int(op, in->inject);
  p_int(op, in->turn);
  p_blob(op, in->event, in->event_len);
  if (in->seats)
    p_blob(op, in->seats, in->seats_len);
  else
    p_null(op);
  p_text(op, in->note ? in->note : "");
  p_text(op, in->sources ? in->sources : "");
  p_text(op, INJECT_STATUS[in->status]);
  p_int(op, in->created_ms);
  if (in->changed_ms)
    p_int(op, in->changed_ms);
  else
    p_null(op);
  return op_end(st, op);
}

int store_set_inject_status(store_t *st, const char *session_id, int64_t inject,
                            store_inject_status_t status, int64_t changed_ms) {
  op_t *op = op_begin(st, W_INJECT_STATUS);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, inject);
  p_text(op, INJECT_STATUS[status]);
  p_int(op, changed_ms);
  return op_end(st, op);
}

int store_put_scripted_cancel(store_t *st, const char *session_id, int index,
                              int turn, int64_t created_ms) {
  op_t *op = op_begin(st, W_SCRIPTED_CANCEL);
  if (!op)
    return -1;
  p_text(op, session_id);
  p_int(op, index);
  p_int(op, turn);
  p_int(op, created_ms);
  return op_end(st, op);
}
