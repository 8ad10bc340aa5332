/*
 * Sessions in the store: every change a session goes through is queued as
 * a write (server/store.h), and at start the registry is rebuilt from the
 * database, each session where it stood: same turn, same submissions and
 * ready flags, same tokens, the deadline recomputed from its stored
 * wall-clock time (docs/storage.md).
 *
 * The state itself is restored from the snapshot stored with the last
 * resolved turn (exact: the model's serialisation round-trips bit for
 * bit), then the open turn's stored submissions are submitted again in
 * the order they arrived, so the state is the one an uninterrupted server
 * would hold.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto_types.h"
#include "sess_internal.h"
#include "store.h"

static const char *const STATUS[] = {"lobby", "running", "paused", "finished"};

void sess_set_store(sess_registry_t *reg, store_t *store) {
  reg->store = store;
}

void sp_status(sess_session_t *s) {
  store_t *st = s->reg->store;
  if (!st)
    return;
  if (store_q(st, STORE_SESSION_STATUS, "ttiii", s->id, STATUS[s->status],
              (int64_t)model_state_turn(s->st), s->deadline_wall_ms,
              s->remaining_ms) != 0)
    log_error("session %s: out of memory queueing its status", s->id);
}

void sp_session(sess_session_t *s) {
  store_t *st = s->reg->store;
  if (!st)
    return;
  int rc = store_q(st, STORE_SESSION_INSERT, "tttTbiiiibtitiiii", s->id,
                   s->name, model_map_id(s->map), s->map_json, s->map_len,
                   model_map_digest(s->map), (size_t)MODEL_HASH_BYTES,
                   (int64_t)s->seed, (int64_t)s->turns, s->turn_ms,
                   (int64_t)s->spectators, s->admin_hash,
                   (size_t)SESS_HASH_BYTES, LAN_VERSION, sess_wall_ms(),
                   STATUS[s->status], (int64_t)model_state_turn(s->st),
                   s->deadline_wall_ms, s->remaining_ms, (int64_t)s->fixed);
  for (size_t i = 0; rc == 0 && i < s->n_seats; i++) {
    const sess_seat_t *seat = &s->seats[i];
    rc = store_q(st, STORE_SEAT_INSERT, "titttbbb", s->id, (int64_t)i,
                 model_map_seat_id(s->map, i),
                 model_map_seat_kind(s->map, i) == MODEL_SEAT_NATION ? "nation"
                                                                     : "firm",
                 model_map_seat_title(s->map, i), seat->token_hash,
                 (size_t)SESS_HASH_BYTES, seat->code_hash,
                 (size_t)SESS_HASH_BYTES, seat->box, (size_t)SESS_BOX_BYTES);
  }
  if (rc != 0)
    log_error("session %s: out of memory queueing it for storage", s->id);
}

void sp_seat(sess_session_t *s, int seat) {
  store_t *st = s->reg->store;
  if (!st)
    return;
  const sess_seat_t *x = &s->seats[seat];
  int rc = x->agent ? store_q(st, STORE_SEAT_UPDATE, "tiitt", s->id,
                              (int64_t)seat, (int64_t)x->taken, x->name,
                              agent_strategy(x->agent)->id)
                    : store_q(st, STORE_SEAT_UPDATE, "tiitn", s->id,
                              (int64_t)seat, (int64_t)x->taken, x->name);
  if (rc != 0)
    log_error("session %s: out of memory queueing seat %d", s->id, seat);
}

void sp_submission(sess_session_t *s, int seat, const model_order_t *orders,
                   size_t n, const char *source) {
  store_t *st = s->reg->store;
  if (!st)
    return;
  proto_buf_t b;
  msgpack_packer pk;
  proto_buf_init(&b);
  proto_packer_init(&pk, &b);
  int rc = msgpack_pack_array(&pk, n);
  for (size_t i = 0; i < n; i++)
    rc |= proto_pack_order(&pk, &orders[i]);
  if (rc == 0)
    rc = store_q(st, STORE_SUBMISSION_INSERT, "tiitbi", s->id,
                 (int64_t)model_state_turn(s->st), (int64_t)seat, source,
                 b.data, b.len, sess_wall_ms());
  if (rc != 0)
    log_error("session %s: out of memory queueing a submission", s->id);
  proto_buf_free(&b);
}

void sp_ready(sess_session_t *s, int seat) {
  store_t *st = s->reg->store;
  if (st && store_q(st, STORE_READY_INSERT, "tiii", s->id,
                    (int64_t)model_state_turn(s->st), (int64_t)seat,
                    sess_wall_ms()) != 0)
    log_error("session %s: out of memory queueing a ready", s->id);
}

/* The seat's ready row for the open turn goes (a person took the seat
 * back from an agent: they have not said ready themselves). */
void sp_unready(sess_session_t *s, int seat) {
  store_t *st = s->reg->store;
  if (st && store_q(st, STORE_READY_DELETE, "tii", s->id,
                    (int64_t)model_state_turn(s->st), (int64_t)seat) != 0)
    log_error("session %s: out of memory queueing a ready's removal", s->id);
}

int sp_chat(sess_session_t *s, int from, int to, const char *text, size_t len) {
  store_t *st = s->reg->store;
  if (!st)
    return 0;
  if (store_q(st, STORE_CHAT_INSERT, "tittTi", s->id,
              (int64_t)model_state_turn(s->st),
              from < 0 ? "admin" : model_map_seat_id(s->map, (size_t)from),
              to < 0 ? "all" : model_map_seat_id(s->map, (size_t)to), text, len,
              sess_wall_ms()) != 0) {
    log_error("session %s: out of memory queueing a chat message", s->id);
    return -1;
  }
  return 0;
}

bool sp_id_stored(sess_registry_t *reg, const char *id) {
  if (!reg->store)
    return false;
  sqlite3_stmt *q;
  if (sqlite3_prepare_v2(store_db(reg->store),
                         "SELECT 1 FROM sessions WHERE id = ?", -1, &q,
                         NULL) != SQLITE_OK)
    return false;
  sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
  bool found = sqlite3_step(q) == SQLITE_ROW;
  sqlite3_finalize(q);
  return found;
}

/* The resolved turn: hash, snapshot, the summary of history.get, and the
 * figures as rows for the SQL views. */
int sp_turn(sess_session_t *s, const model_report_t *rep,
            const proto_buf_t *summary) {
  store_t *st = s->reg->store;
  if (!st)
    return 0;
  uint8_t hash[MODEL_HASH_BYTES];
  uint8_t *snap = NULL;
  size_t snap_len = 0;
  if (model_state_hash(s->st, hash) != 0 ||
      model_state_serialise(s->st, &snap, &snap_len) != 0)
    return -1;
  int rc = store_q(st, STORE_TURN_INSERT, "tibbbi", s->id, (int64_t)rep->turn,
                   hash, sizeof hash, snap, snap_len, summary->data,
                   summary->len, sess_wall_ms());
  free(snap);
  size_t nn = rep->n_nations;
  for (int p = 0; rc == 0 && p < MODEL_PRODUCTS; p++) {
    rc = store_q(st, STORE_PRICE_INSERT, "titti", s->id, (int64_t)rep->turn,
                 model_product_name(p), "world", rep->price[p]);
    for (size_t n = 0; rc == 0 && n < nn; n++)
      rc = store_q(st, STORE_PRICE_INSERT, "titti", s->id, (int64_t)rep->turn,
                   model_product_name(p), model_map_nation_id(s->map, n),
                   rep->regional[p * nn + n]);
  }
  for (int g = 0; rc == 0 && g < MODEL_STAGES; g++)
    for (size_t n = 0; rc == 0 && n < nn; n++)
      rc = store_q(st, STORE_PRODUCTION_INSERT, "titti", s->id,
                   (int64_t)rep->turn, model_stage_name(g),
                   model_map_nation_id(s->map, n), rep->production[g * nn + n]);
  for (size_t i = 0; rc == 0 && i < rep->n_seats; i++)
    rc = store_q(st, STORE_SCORE_INSERT, "titi", s->id, (int64_t)rep->turn,
                 model_map_seat_id(s->map, i), rep->scores[i]);
  return rc;
}

int sp_flush(sess_session_t *s) {
  return s->reg->store ? store_flush(s->reg->store) : 0;
}

/* ---- Restore ------------------------------------------------------------- */

/* Submit a stored submission (a MessagePack array of order maps) again. */
static int resubmit(sess_session_t *s, int seat, const void *blob, size_t len) {
  msgpack_zone zone;
  msgpack_object obj;
  size_t off = 0;
  if (!msgpack_zone_init(&zone, 4096))
    return -1;
  int rc = -1;
  if (msgpack_unpack(blob, len, &off, &zone, &obj) == MSGPACK_UNPACK_SUCCESS &&
      obj.type == MSGPACK_OBJECT_ARRAY &&
      obj.via.array.size <= MODEL_ORDERS_MAX) {
    model_order_t orders[MODEL_ORDERS_MAX];
    model_refusal_t r;
    size_t n = 0, n_refused = 0;
    rc = 0;
    for (uint32_t i = 0; i < obj.via.array.size; i++)
      if (proto_order_parse(&obj.via.array.ptr[i], &orders[n], &r) == 0)
        n++;
      else
        rc = -1;
    model_refusal_t refs[8];
    if (model_submit(s->st, seat, orders, n, refs, 8, &n_refused) != 0 ||
        n_refused > 0)
      rc = -1;
  }
  msgpack_zone_destroy(&zone);
  return rc;
}

static int restore_one(sess_registry_t *reg, sqlite3_stmt *q,
                       sess_session_t **out, char *err, size_t errlen) {
  sqlite3 *db = store_db(reg->store);
  const char *id = (const char *)sqlite3_column_text(q, 0);
  proto_error_t perr;
  sess_map_t *sm;
  if (sess_map_parse(reg, (const char *)sqlite3_column_text(q, 3),
                     (size_t)sqlite3_column_bytes(q, 3), id, &sm, &perr) != 0) {
    snprintf(err, errlen, "session %s: %s", id, perr.message);
    return -1;
  }
  sess_session_t *s = calloc(1, sizeof *s);
  if (!s)
    goto nomem;
  s->reg = reg;
  s->map = sm->map;
  s->map_json = sm->json;
  s->map_len = sm->len;
  snprintf(s->id, sizeof s->id, "%s", id);
  snprintf(s->name, sizeof s->name, "%s", sqlite3_column_text(q, 1));
  s->seed = (uint64_t)sqlite3_column_int64(q, 4);
  s->turns = sqlite3_column_int(q, 5);
  s->turn_ms = sqlite3_column_int64(q, 6);
  s->spectators = sqlite3_column_int(q, 7) != 0;
  if (sqlite3_column_bytes(q, 8) != SESS_HASH_BYTES)
    goto bad;
  memcpy(s->admin_hash, sqlite3_column_blob(q, 8), SESS_HASH_BYTES);
  const char *status = (const char *)sqlite3_column_text(q, 9);
  for (int i = 0; i < 4; i++)
    if (strcmp(status, STATUS[i]) == 0)
      s->status = (sess_status_t)i;
  int turn = sqlite3_column_int(q, 10);
  s->deadline_wall_ms = sqlite3_column_int64(q, 11);
  s->remaining_ms = sqlite3_column_int64(q, 12);
  s->fixed = sqlite3_column_int(q, 13) != 0;

  /* The state: the last snapshot, or a new game before the first turn. */
  sqlite3_stmt *t;
  sqlite3_prepare_v2(db,
                     "SELECT turn, snapshot, summary FROM turns WHERE "
                     "session_id = ? ORDER BY turn",
                     -1, &t, NULL);
  sqlite3_bind_text(t, 1, id, -1, SQLITE_TRANSIENT);
  const void *snap = NULL;
  size_t snap_len = 0;
  uint8_t *snap_copy = NULL;
  while (sqlite3_step(t) == SQLITE_ROW) {
    sess_turn_t *grown =
        realloc(s->history, (s->n_history + 1) * sizeof *s->history);
    if (!grown) {
      sqlite3_finalize(t);
      goto nomem_s;
    }
    s->history = grown;
    sess_turn_t *h = &s->history[s->n_history++];
    h->turn = sqlite3_column_int(t, 0);
    proto_buf_init(&h->buf);
    if (proto_buf_reserve(&h->buf, (size_t)sqlite3_column_bytes(t, 2)) != 0) {
      sqlite3_finalize(t);
      goto nomem_s;
    }
    memcpy(h->buf.data, sqlite3_column_blob(t, 2),
           (size_t)sqlite3_column_bytes(t, 2));
    h->buf.len = (size_t)sqlite3_column_bytes(t, 2);
    snap = sqlite3_column_blob(t, 1);
    snap_len = (size_t)sqlite3_column_bytes(t, 1);
    free(snap_copy);
    snap_copy = malloc(snap_len ? snap_len : 1);
    if (!snap_copy) {
      sqlite3_finalize(t);
      goto nomem_s;
    }
    memcpy(snap_copy, snap, snap_len);
  }
  sqlite3_finalize(t);
  int rc = snap_copy
               ? model_state_deserialise(s->map, snap_copy, snap_len, &s->st)
               : model_state_new(s->map, s->seed, &s->st);
  free(snap_copy);
  if (rc != 0 || model_state_turn(s->st) != turn) {
    snprintf(err, errlen,
             "session %s: its stored state cannot be restored (%s; turn %d "
             "stored, %d restored)",
             id, model_strerror(rc), turn,
             s->st ? model_state_turn(s->st) : -1);
    sess_free(s);
    return -1;
  }

  /* Seats, with their secrets as stored. */
  s->n_seats = model_map_seat_count(s->map);
  s->seats = calloc(s->n_seats ? s->n_seats : 1, sizeof *s->seats);
  if (!s->seats)
    goto nomem_s;
  sqlite3_prepare_v2(db,
                     "SELECT seat_index, token_hash, code_hash, token_box, "
                     "taken, name, agent FROM seats WHERE session_id = ?",
                     -1, &t, NULL);
  sqlite3_bind_text(t, 1, id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step(t) == SQLITE_ROW) {
    int i = sqlite3_column_int(t, 0);
    if (i < 0 || (size_t)i >= s->n_seats ||
        sqlite3_column_bytes(t, 1) != SESS_HASH_BYTES ||
        sqlite3_column_bytes(t, 2) != SESS_HASH_BYTES ||
        sqlite3_column_bytes(t, 3) != SESS_BOX_BYTES)
      continue;
    sess_seat_t *x = &s->seats[i];
    memcpy(x->token_hash, sqlite3_column_blob(t, 1), SESS_HASH_BYTES);
    memcpy(x->code_hash, sqlite3_column_blob(t, 2), SESS_HASH_BYTES);
    memcpy(x->box, sqlite3_column_blob(t, 3), SESS_BOX_BYTES);
    x->taken = sqlite3_column_int(t, 4) != 0;
    snprintf(x->name, sizeof x->name, "%s", sqlite3_column_text(t, 5));
    const char *agent = (const char *)sqlite3_column_text(t, 6);
    if (agent) {
      const agent_strategy_t *strat = agent_find(agent);
      if (strat)
        x->agent = agent_new(strat, sess_agent_seed(s, i));
      else
        log_warn("session %s: seat %d's agent '%s' no longer exists; the "
                 "seat plays its standing orders",
                 id, i, agent);
    }
  }
  sqlite3_finalize(t);

  /* The open turn's submissions, in the order they arrived, and ready
   * flags. */
  sqlite3_prepare_v2(db,
                     "SELECT seat_index, orders FROM submissions WHERE "
                     "session_id = ? AND turn = ? ORDER BY id",
                     -1, &t, NULL);
  sqlite3_bind_text(t, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(t, 2, turn);
  while (sqlite3_step(t) == SQLITE_ROW) {
    int i = sqlite3_column_int(t, 0);
    if (i >= 0 && (size_t)i < s->n_seats &&
        resubmit(s, i, sqlite3_column_blob(t, 1),
                 (size_t)sqlite3_column_bytes(t, 1)) != 0)
      log_warn("session %s: a stored submission of seat %d for turn %d was "
               "not accepted again",
               id, i, turn);
  }
  sqlite3_finalize(t);
  sqlite3_prepare_v2(db,
                     "SELECT seat_index FROM readies WHERE session_id = ? AND "
                     "turn = ?",
                     -1, &t, NULL);
  sqlite3_bind_text(t, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(t, 2, turn);
  while (sqlite3_step(t) == SQLITE_ROW) {
    int i = sqlite3_column_int(t, 0);
    if (i >= 0 && (size_t)i < s->n_seats)
      s->seats[i].ready = true;
  }
  sqlite3_finalize(t);

  /* Chat: the messages stay in the file (the server never sends them
   * again); only their number counts, for --max-chat-messages. */
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM chat WHERE session_id = ?", -1,
                     &t, NULL);
  sqlite3_bind_text(t, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(t) == SQLITE_ROW)
    s->n_chat = (size_t)sqlite3_column_int64(t, 0);
  sqlite3_finalize(t);

  sess_attach(reg, s);
  *out = s;
  log_info("session %s restored: %s, turn %d of %d", s->id, STATUS[s->status],
           turn, s->turns);
  /* A deadline that passed while the server was down resolves now. */
  sess_arm(s);
  return 0;

bad:
  snprintf(err, errlen, "session %s: its stored row is malformed", id);
  free(s);
  return -1;
nomem_s:
  sess_free(s);
nomem:
  snprintf(err, errlen, "out of memory restoring session %s", id);
  return -1;
}

/* Every token hash in the file, of every session, restored or not:
 * another session's token stays `forbidden`, never `unauthorized`. */
static int restore_tokens(sess_registry_t *reg, char *err, size_t errlen) {
  static const char *const SQL[] = {
      "SELECT admin_token_hash FROM sessions",
      "SELECT token_hash FROM seats",
  };
  sqlite3 *db = store_db(reg->store);
  for (size_t k = 0; k < sizeof SQL / sizeof SQL[0]; k++) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, SQL[k], -1, &q, NULL) != SQLITE_OK) {
      snprintf(err, errlen, "cannot read tokens: %s", sqlite3_errmsg(db));
      return -1;
    }
    int rc = 0;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW)
      if (sqlite3_column_bytes(q, 0) == SESS_HASH_BYTES &&
          sess_token_add(reg, sqlite3_column_blob(q, 0)) != 0) {
        snprintf(err, errlen, "out of memory restoring the tokens");
        rc = -1;
      }
    sqlite3_finalize(q);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* A restored finished session and how recently it finished (1: the
 * most recent). */
typedef struct fin {
  sess_session_t *s;
  int64_t age;
} fin_t;

static int oldest_first(const void *a, const void *b) {
  const fin_t *x = a, *y = b;
  return x->age > y->age ? -1 : x->age < y->age;
}

int sess_restore(sess_registry_t *reg, char *err, size_t errlen) {
  if (!reg->store)
    return 0;
  if (restore_tokens(reg, err, errlen) != 0)
    return -1;
  /* Every session in play, and the newest --max-finished finished ones;
   * the others stay in the file only (replay, export). When a session
   * finished is not stored: its last resolved turn, else its creation,
   * is as near as the file tells (then the order it was stored in). */
  sqlite3_stmt *q;
  if (sqlite3_prepare_v2(
          store_db(reg->store),
          "WITH f AS (SELECT id, ROW_NUMBER() OVER (ORDER BY COALESCE("
          "(SELECT MAX(resolved_ms) FROM turns t WHERE t.session_id = s.id),"
          " created_ms) DESC, rowid DESC) AS age FROM sessions s WHERE "
          "status = 'finished') "
          "SELECT s.id, name, map_id, map_json, seed, turns, turn_ms, "
          "spectators, admin_token_hash, status, turn, deadline_ms, "
          "remaining_ms, fixed, f.age FROM sessions s LEFT JOIN f ON "
          "f.id = s.id WHERE s.status != 'finished' OR f.age <= ? "
          "ORDER BY s.created_ms, s.rowid",
          -1, &q, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "cannot read sessions: %s",
             sqlite3_errmsg(store_db(reg->store)));
    return -1;
  }
  sqlite3_bind_int64(q, 1, (int64_t)reg->cfg.max_finished);
  fin_t *fin = NULL;
  size_t n_fin = 0;
  int rc = 0;
  while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
    sess_session_t *s = NULL;
    rc = restore_one(reg, q, &s, err, errlen);
    if (rc == 0 && s->status == SESS_FINISHED) {
      fin_t *grown = realloc(fin, (n_fin + 1) * sizeof *fin);
      if (!grown) {
        snprintf(err, errlen, "out of memory restoring sessions");
        rc = -1;
        break;
      }
      fin = grown;
      fin[n_fin++] = (fin_t){s, sqlite3_column_int64(q, 14)};
    }
  }
  sqlite3_finalize(q);
  /* The finished ones join the list --max-finished unloads from in the
   * order they finished. */
  if (rc == 0) {
    if (n_fin > 1)
      qsort(fin, n_fin, sizeof *fin, oldest_first);
    for (size_t i = 0; i < n_fin; i++)
      sess_finished(fin[i].s);
  }
  free(fin);
  /* A deadline that passed while the server was down resolves now, before
   * the first request is served. */
  if (rc == 0)
    sess_resolve_due(reg);
  return rc;
}
