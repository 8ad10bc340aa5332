/*
 * Sessions in the store: every change a session goes through is queued as
 * a typed write (store/store.h), and at start the registry is rebuilt from
 * the database, each session where it stood: same turn, same submissions
 * and ready flags, same tokens, the deadline recomputed from its stored
 * wall-clock time (docs/storage.md). No SQL here: the store holds every
 * statement.
 *
 * The state itself is restored from the snapshot stored with the last
 * resolved turn (exact: the model's serialisation round-trips bit for
 * bit), then the open turn's stored submissions are submitted again in
 * the order they arrived, so the state is the one an uninterrupted server
 * would hold. A session whose rows are not as written (a damaged row, a
 * map that no longer parses, a snapshot that does not restore) is
 * quarantined: logged with the reason, listed by server.quarantine, its
 * rows left untouched and never served, while the others start (issue
 * 10). An error of the file itself (locked, unreadable) stops the restore
 * with a sentence: the server does not start rather than run without
 * sessions it could have read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto_types.h"
#include "sess_internal.h"
#include "store.h"

_Static_assert(SESS_HASH_BYTES == STORE_HASH_BYTES,
               "the store keeps the session's hashes as they are");
_Static_assert(SESS_BOX_BYTES == STORE_BOX_BYTES,
               "the store keeps a seat's sealed token as it is");
_Static_assert((int)SESS_LOBBY == (int)STORE_LOBBY &&
                   (int)SESS_RUNNING == (int)STORE_RUNNING &&
                   (int)SESS_PAUSED == (int)STORE_PAUSED &&
                   (int)SESS_FINISHED == (int)STORE_FINISHED,
               "a session's status is stored as it is");

static const char *const STATUS[] = {"lobby", "running", "paused", "finished"};

void sess_set_store(sess_registry_t *reg, store_t *store) {
  reg->store = store;
}

void sp_status(sess_session_t *s) {
  store_t *st = s->reg->store;
  if (!st)
    return;
  if (store_set_status(st, s->id, (store_status_t)s->status,
                       model_state_turn(s->st), s->deadline_wall_ms,
                       s->remaining_ms) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL, "out of memory queueing its status");
}

void sp_session(sess_session_t *s) {
  store_t *st = s->reg->store;
  if (!st)
    return;
  const store_session_t row = {
      .id = s->id,
      .name = s->name,
      .map_id = model_map_id(s->map),
      .map_json = s->map_json,
      .map_len = s->map_len,
      .map_digest = model_map_digest(s->map),
      .seed = s->seed,
      .turns = s->turns,
      .turn_ms = s->turn_ms,
      .spectators = s->spectators,
      .admin_token_hash = s->admin_hash,
      .engine_version = LAN_VERSION,
      .created_ms = s->created_ms,
      .status = (store_status_t)s->status,
      .turn = model_state_turn(s->st),
      .deadline_ms = s->deadline_wall_ms,
      .remaining_ms = s->remaining_ms,
      .fixed = s->fixed,
      .creator = s->has_creator ? s->creator.b : NULL,
  };
  int rc = store_put_session(st, &row);
  for (size_t i = 0; rc == 0 && i < s->n_seats; i++) {
    const sess_seat_t *seat = &s->seats[i];
    const store_seat_t srow = {
        .session_id = s->id,
        .index = (int)i,
        .seat = model_map_seat_id(s->map, i),
        .nation = model_map_seat_kind(s->map, i) == MODEL_SEAT_NATION,
        .title = model_map_seat_title(s->map, i),
        .token_hash = seat->token_hash,
        .code_hash = seat->code_hash,
        .token_box = seat->box,
    };
    rc = store_put_seat(st, &srow);
  }
  if (rc != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing it for storage");
}

void sp_review(sess_session_t *s) {
  store_t *st = s->reg->store;
  if (st && store_set_review(st, s->id, s->review,
                             s->forked_from[0] ? s->forked_from : NULL,
                             s->forked_turn) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing its review flag");
}

void sp_held(sess_session_t *s) {
  store_t *st = s->reg->store;
  if (st &&
      store_set_held(st, s->id, s->held ? model_state_turn(s->st) : -1) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing its held turn");
}

/* The amendments of a released turn, each with its fields as the map
 * turn.release took (proto_pack_amendment), in the order given. */
int sp_amendments(sess_session_t *s, int turn, const model_amendment_t *a,
                  size_t n) {
  store_t *st = s->reg->store;
  if (!st)
    return 0;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    proto_buf_t b;
    msgpack_packer pk;
    proto_buf_init(&b);
    proto_packer_init(&pk, &b);
    rc = proto_pack_amendment(&pk, s->map, &a[i]);
    if (rc == 0 && !proto_buf_failed(&b)) {
      const store_amendment_t row = {
          .session_id = s->id,
          .turn = turn,
          .seq = (int)i,
          .seat = model_map_seat_id(s->map, (size_t)a[i].seat),
          .kind = model_amend_kind_name(a[i].kind),
          .fields = (const uint8_t *)b.data,
          .fields_len = b.len,
          .reason = a[i].reason,
          .created_ms = sess_wall_ms(),
      };
      rc = store_put_amendment(st, &row);
    } else {
      rc = -1;
    }
    proto_buf_free(&b);
  }
  if (rc != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing turn %d's amendments", turn);
  return rc;
}

int sp_reset(sess_session_t *s, uint64_t seed) {
  store_t *st = s->reg->store;
  if (!st)
    return 0;
  if (store_reset_session(st, s->id, seed) != 0) {
    log_error("session %s: out of memory queueing its reset; it is not "
              "reset",
              s->id);
    return -1;
  }
  return 0;
}

int sp_delete(sess_session_t *s, bool purge) {
  store_t *st = s->reg->store;
  if (!st)
    return 0;
  if (store_delete_session(st, s->id, sess_wall_ms(), purge) != 0) {
    log_error("session %s: out of memory queueing its deletion; it is not "
              "deleted",
              s->id);
    return -1;
  }
  return 0;
}

void sp_seat(sess_session_t *s, int seat) {
  store_t *st = s->reg->store;
  if (!st)
    return;
  const sess_seat_t *x = &s->seats[seat];
  if (store_set_seat(st, s->id, seat, x->taken, x->name,
                     x->agent ? agent_strategy(x->agent)->id : NULL) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, SESS_SEAT_NAME(s, seat),
             "out of memory queueing seat %d", seat);
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
  if (rc == 0) {
    const store_submission_t row = {
        .session_id = s->id,
        .turn = model_state_turn(s->st),
        .seat_index = seat,
        .source = strcmp(source, "agent") == 0 ? STORE_AGENT : STORE_PLAYER,
        .orders = (const uint8_t *)b.data,
        .orders_len = b.len,
        .created_ms = sess_wall_ms(),
    };
    rc = store_put_submission(st, &row);
  }
  if (rc != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing a submission");
  proto_buf_free(&b);
}

void sp_ready(sess_session_t *s, int seat) {
  store_t *st = s->reg->store;
  if (st && store_put_ready(st, s->id, model_state_turn(s->st), seat,
                            sess_wall_ms()) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL, "out of memory queueing a ready");
}

/* The seat's ready row for the open turn goes (a person took the seat
 * back from an agent: they have not said ready themselves). */
void sp_unready(sess_session_t *s, int seat) {
  store_t *st = s->reg->store;
  if (st && store_del_ready(st, s->id, model_state_turn(s->st), seat) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing a ready's removal");
}

int sp_chat(sess_session_t *s, int from, int to, const sess_chan_t *ch,
            int64_t id, const char *text, size_t len) {
  store_t *st = s->reg->store;
  if (!st)
    return 0;
  const store_chat_t row = {
      .session_id = s->id,
      .turn = model_state_turn(s->st),
      .from = from < 0 ? "admin" : model_map_seat_id(s->map, (size_t)from),
      .to = ch->kind == SESS_CHAN_OPENED ? ch->id
            : to < 0                     ? "all"
                     : model_map_seat_id(s->map, (size_t)to),
      .text = text,
      .len = len,
      .created_ms = sess_wall_ms(),
      .id = id,
      .channel = ch->id,
  };
  if (store_put_chat(st, &row) != 0) {
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing a chat message");
    return -1;
  }
  return 0;
}

bool sp_id_stored(sess_registry_t *reg, const char *id) {
  /* An error reads as "stored": the id is then not used, and another is
   * drawn, which is always safe. */
  return reg->store && store_session_exists(reg->store, id) != 0;
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
  const store_turn_t row = {
      .session_id = s->id,
      .turn = rep->turn,
      .state_hash = hash,
      .snapshot = snap,
      .snapshot_len = snap_len,
      .summary = (const uint8_t *)summary->data,
      .summary_len = summary->len,
      .resolved_ms = sess_wall_ms(),
  };
  int rc = store_put_turn(st, &row);
  free(snap);
  size_t nn = rep->n_nations;
  for (int p = 0; rc == 0 && p < MODEL_PRODUCTS; p++) {
    /* design J4: magnet_scrap only where the map recycles */
    if (p == MODEL_SCRAP && !model_map_has_product(s->map, p))
      continue;
    rc = store_put_price(st, s->id, rep->turn, model_product_name(p), "world",
                         rep->price[p]);
    for (size_t n = 0; rc == 0 && n < nn; n++)
      rc = store_put_price(st, s->id, rep->turn, model_product_name(p),
                           model_map_nation_id(s->map, n),
                           rep->regional[p * nn + n]);
  }
  for (int g = 0; rc == 0 && g < MODEL_STAGES; g++)
    for (size_t n = 0; rc == 0 && model_map_has_stage(s->map, g) && n < nn; n++)
      rc = store_put_production(st, s->id, rep->turn, model_stage_name(g),
                                model_map_nation_id(s->map, n),
                                rep->production[g * nn + n]);
  for (size_t i = 0; rc == 0 && i < rep->n_seats; i++)
    rc = store_put_score(st, s->id, rep->turn, model_map_seat_id(s->map, i),
                         rep->scores[i]);
  return rc;
}

int sp_flush(sess_session_t *s) {
  return s->reg->store ? store_flush(s->reg->store) : 0;
}

int sp_refuse(sess_registry_t *reg, const char *what, proto_error_t *err) {
  store_t *st = reg->store;
  if (!st)
    return 0;
  /* Refused before the handler changes anything in memory: what the
   * client is told (not stored) is then the truth, and memory does not
   * grow with requests the database cannot take (issue 10). */
  if (store_failing(st)) {
    reg->counters.durable_refused++;
    return proto_error_set(err, PROTO_UNAVAILABLE, NULL,
                           "the server cannot write its database (disk "
                           "full?); your %s was not stored; try again later",
                           what);
  }
  if (store_queued(st) >= reg->cfg.max_pending) {
    reg->counters.durable_refused++;
    return proto_error_set(err, PROTO_UNAVAILABLE, NULL,
                           "the server has %zu writes waiting for its "
                           "database (--max-pending-writes %u); your %s was "
                           "not stored; try again in a moment",
                           store_queued(st), reg->cfg.max_pending, what);
  }
  return 0;
}

/* ---- Restore ------------------------------------------------------------- */

/* Submit a stored submission (a MessagePack array of order maps, already
 * checked by the store's scanner) again. */
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

/* The history of a session being restored, and a copy of its last
 * snapshot. */
typedef struct turns_ctx {
  sess_session_t *s;
  uint8_t *snap;
  size_t snap_len;
} turns_ctx_t;

static int on_turn(void *arg, const store_turn_row_t *row, char *err,
                   size_t errlen) {
  turns_ctx_t *c = arg;
  sess_session_t *s = c->s;
  sess_turn_t *grown =
      realloc(s->history, (s->n_history + 1) * sizeof *s->history);
  if (!grown)
    goto nomem;
  s->history = grown;
  sess_turn_t *h = &s->history[s->n_history];
  h->turn = row->turn;
  proto_buf_init(&h->buf);
  s->n_history++;
  if (proto_buf_reserve(&h->buf, row->summary_len) != 0)
    goto nomem;
  memcpy(h->buf.data, row->summary, row->summary_len);
  h->buf.len = row->summary_len;
  uint8_t *copy = malloc(row->snapshot_len ? row->snapshot_len : 1);
  if (!copy)
    goto nomem;
  memcpy(copy, row->snapshot, row->snapshot_len);
  free(c->snap);
  c->snap = copy;
  c->snap_len = row->snapshot_len;
  return 0;
nomem:
  snprintf(err, errlen, "out of memory restoring session %s", s->id);
  return -1;
}

static int on_seat(void *arg, const store_seat_row_t *row, char *err,
                   size_t errlen) {
  sess_session_t *s = arg;
  if (row->index < 0 || (size_t)row->index >= s->n_seats) {
    snprintf(err, errlen,
             "session %s: a stored seat has index %d, but its map has %zu "
             "seats",
             s->id, row->index, s->n_seats);
    return STORE_DAMAGED;
  }
  sess_seat_t *x = &s->seats[row->index];
  memcpy(x->token_hash, row->token_hash, SESS_HASH_BYTES);
  memcpy(x->code_hash, row->code_hash, SESS_HASH_BYTES);
  memcpy(x->box, row->token_box, SESS_BOX_BYTES);
  x->taken = row->taken;
  snprintf(x->name, sizeof x->name, "%s", row->name);
  if (row->agent) {
    const agent_strategy_t *strat = agent_find(row->agent);
    if (strat)
      x->agent = agent_new(strat, sess_agent_seed(s, row->index));
    else
      log_sess(LOG_LEVEL_WARN, s->id, SESS_SEAT_NAME(s, row->index),
               "seat %d's agent '%s' no longer exists; the "
               "seat plays its standing orders",
               row->index, row->agent);
  }
  return 0;
}

static int on_submission(void *arg, const store_submission_row_t *row,
                         char *err, size_t errlen) {
  sess_session_t *s = arg;
  int i = row->seat_index;
  if (i < 0 || (size_t)i >= s->n_seats) {
    snprintf(err, errlen,
             "session %s: stored submission %lld names seat %d, but its map "
             "has %zu seats",
             s->id, (long long)row->id, i, s->n_seats);
    return STORE_DAMAGED;
  }
  /* The model may refuse an order it took before only if the model
   * changed between versions: the session goes on without it, and the
   * operator is told. */
  s->seats[i].submitted = true;
  if (resubmit(s, i, row->orders, row->orders_len) != 0)
    log_sess(LOG_LEVEL_WARN, s->id, SESS_SEAT_NAME(s, i),
             "a stored submission of seat %d for turn %d was "
             "not accepted again",
             i, row->turn);
  return 0;
}

static int on_ready(void *arg, int i, char *err, size_t errlen) {
  sess_session_t *s = arg;
  if (i < 0 || (size_t)i >= s->n_seats) {
    snprintf(err, errlen,
             "session %s: a stored ready flag names seat %d, but its map "
             "has %zu seats",
             s->id, i, s->n_seats);
    return STORE_DAMAGED;
  }
  s->seats[i].ready = true;
  return 0;
}

/* Rebuild one stored session. Every read's error names the session and
 * the table (the store's sentences do). Returns 0; STORE_DAMAGED if the
 * session's rows are not as written (it is then quarantined); -1 if the
 * file cannot be read or memory runs out (the restore stops). */
static int restore_one(sess_registry_t *reg, const store_session_row_t *row,
                       sess_session_t **out, char *err, size_t errlen) {
  const char *id = row->id;
  proto_error_t perr;
  sess_map_t *sm;
  int rc;
  if (sess_map_parse(reg, row->map_json, row->map_len, id, &sm, &perr) != 0) {
    snprintf(err, errlen, "session %s: %s", id, perr.message);
    /* A stored map that no longer loads is the session's damage; only
     * running out of memory stops the restore. */
    return strstr(perr.message, "out of memory") ? -1 : STORE_DAMAGED;
  }
  sess_session_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory restoring session %s", id);
    return -1;
  }
  s->reg = reg;
  s->map = sm->map;
  s->map_json = sm->json;
  s->map_len = sm->len;
  snprintf(s->id, sizeof s->id, "%s", id);
  snprintf(s->name, sizeof s->name, "%s", row->name);
  s->seed = row->seed;
  s->turns = row->turns;
  s->turn_ms = row->turn_ms;
  s->spectators = row->spectators;
  memcpy(s->admin_hash, row->admin_token_hash, SESS_HASH_BYTES);
  s->status = (sess_status_t)row->status;
  int turn = row->turn;
  s->deadline_wall_ms = row->deadline_ms;
  s->remaining_ms = row->remaining_ms;
  s->fixed = row->fixed;
  s->review = row->review;
  snprintf(s->forked_from, sizeof s->forked_from, "%s",
           row->forked_from ? row->forked_from : "");
  s->forked_turn = row->forked_from ? row->forked_turn : -1;
  s->created_ms = row->created_ms; /* the lobby expiry counts from it */
  /* --max-lobby-per-address counts it for its creator after a restart
   * too (schema 5; older sessions have none). */
  if (row->creator) {
    memcpy(s->creator.b, row->creator, RL_KEY_BYTES);
    s->has_creator = true;
  }

  /* The state: the last snapshot, or a new game before the first turn. */
  turns_ctx_t tc = {s, NULL, 0};
  if ((rc = store_read_turns(reg->store, id, on_turn, &tc, err, errlen)) != 0) {
    free(tc.snap);
    goto fail;
  }
  rc = tc.snap ? model_state_deserialise(s->map, tc.snap, tc.snap_len, &s->st)
               : model_state_new(s->map, s->seed, &s->st);
  free(tc.snap);
  if (rc != 0 || model_state_turn(s->st) != turn) {
    snprintf(err, errlen,
             "session %s: its stored state cannot be restored (%s; turn %d "
             "stored, %d restored)",
             id, model_strerror(rc), turn,
             s->st ? model_state_turn(s->st) : -1);
    rc = STORE_DAMAGED;
    goto fail;
  }

  /* Seats, with their secrets as stored. */
  s->n_seats = model_map_seat_count(s->map);
  s->seats = calloc(s->n_seats ? s->n_seats : 1, sizeof *s->seats);
  if (!s->seats) {
    snprintf(err, errlen, "out of memory restoring session %s", id);
    rc = -1;
    goto fail;
  }
  /* The open turn's submissions, in the order they arrived, and ready
   * flags. Chat: the messages stay in the file (the server never sends
   * them again); only their number counts, for --max-chat-messages. */
  uint64_t n_chat = 0;
  if ((rc = store_read_seats(reg->store, id, on_seat, s, err, errlen)) != 0 ||
      (rc = sess_restore_controls(s, err, errlen)) != 0 ||
      (rc = sess_restore_observers(s, err, errlen)) != 0 ||
      (rc = sess_inject_restore(s, err, errlen)) != 0 ||
      (rc = store_read_submissions(reg->store, id, turn, on_submission, s, err,
                                   errlen)) != 0 ||
      (rc = store_read_readies(reg->store, id, turn, on_ready, s, err,
                               errlen)) != 0 ||
      (rc = store_count_chat(reg->store, id, &n_chat, err, errlen)) != 0 ||
      (rc = sess_comms_restore(s, err, errlen)) != 0)
    goto fail;
  s->n_chat = (size_t)n_chat;

  if (sess_attach(reg, s) != 0) {
    snprintf(err, errlen, "out of memory restoring session %s", id);
    goto fail;
  }
  *out = s;
  log_sess(LOG_LEVEL_INFO, s->id, NULL, "restored: %s, turn %d of %d",
           STATUS[s->status], turn, s->turns);
  /* A turn held for control when the server stopped is held again: its
   * result is resolved again from the restored state (resolution is
   * deterministic), and nobody is told anew. */
  if (s->review && row->held_turn >= 0 && row->held_turn == turn &&
      s->status != SESS_FINISHED && s->status != SESS_LOBBY &&
      sess_hold(s, false) != 0)
    log_sess(LOG_LEVEL_WARN, s->id, NULL,
             "turn %d was held for review but could not be resolved "
             "again; it stays open",
             turn);
  /* A deadline that passed while the server was down resolves now. */
  sess_arm(s);
  return 0;
fail:
  sess_free(s);
  return rc == STORE_DAMAGED ? STORE_DAMAGED : -1;
}

/* Keep a damaged session out of play: logged, counted, listed by
 * server.quarantine; its rows are not touched (its id stays taken: a new
 * session never gets it, sp_id_stored). */
static int quarantine(sess_registry_t *reg, const char *id, const char *why) {
  sess_quarantined_t *grown = realloc(
      reg->quarantine, (reg->n_quarantine + 1) * sizeof *reg->quarantine);
  if (!grown)
    return -1;
  reg->quarantine = grown;
  sess_quarantined_t *q = &reg->quarantine[reg->n_quarantine++];
  snprintf(q->id, sizeof q->id, "%s", id);
  snprintf(q->reason, sizeof q->reason, "%s", why);
  reg->counters.sessions_quarantined++;
  log_sess(LOG_LEVEL_ERROR, id, NULL,
           "quarantined and not served: %s. Its rows are kept as they are; "
           "server.quarantine (lanthanide admin quarantined) lists it; the "
           "other sessions start",
           why);
  return 0;
}

static int on_token(void *arg, const uint8_t hash[STORE_HASH_BYTES], char *err,
                    size_t errlen) {
  if (sess_token_add(arg, hash) != 0) {
    snprintf(err, errlen, "out of memory restoring the tokens");
    return -1;
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

typedef struct restore_ctx {
  sess_registry_t *reg;
  fin_t *fin;
  size_t n_fin;
} restore_ctx_t;

static int on_session(void *arg, const store_session_row_t *row, char *err,
                      size_t errlen) {
  restore_ctx_t *c = arg;
  sess_session_t *s = NULL;
  if (row->damage) {
    if (quarantine(c->reg, row->id, row->damage) != 0) {
      snprintf(err, errlen, "out of memory restoring sessions");
      return -1;
    }
    return 0;
  }
  int rc = restore_one(c->reg, row, &s, err, errlen);
  if (rc == STORE_DAMAGED) {
    char why[1024];
    snprintf(why, sizeof why, "%s", err);
    if (quarantine(c->reg, row->id, why) != 0) {
      snprintf(err, errlen, "out of memory restoring sessions");
      return -1;
    }
    return 0;
  }
  if (rc != 0)
    return -1;
  if (s->status == SESS_FINISHED) {
    fin_t *grown = realloc(c->fin, (c->n_fin + 1) * sizeof *c->fin);
    if (!grown) {
      snprintf(err, errlen, "out of memory restoring sessions");
      return -1;
    }
    c->fin = grown;
    c->fin[c->n_fin++] = (fin_t){s, row->finished_age};
  }
  return 0;
}

int sess_restore(sess_registry_t *reg, char *err, size_t errlen) {
  if (!reg->store)
    return 0;
  /* Every token hash in the file, of every session, restored or not:
   * another session's token stays `forbidden`, never `unauthorized`. */
  if (store_read_tokens(reg->store, on_token, reg, err, errlen) != 0)
    return -1;
  /* Chat ids go on from the file's largest (issue 13: chat.history's
   * `after`). */
  int64_t max_id = 0;
  if (store_max_chat_id(reg->store, &max_id, err, errlen) != 0)
    return -1;
  reg->next_chat_id = max_id + 1;
  /* Every session in play, and the newest --max-finished finished ones;
   * the others stay in the file only (replay, export). */
  restore_ctx_t c = {reg, NULL, 0};
  int rc = store_read_sessions(reg->store, (uint64_t)reg->cfg.max_finished,
                               on_session, &c, err, errlen);
  /* The finished ones join the list --max-finished unloads from in the
   * order they finished. */
  if (rc == 0) {
    if (c.n_fin > 1)
      qsort(c.fin, c.n_fin, sizeof *c.fin, oldest_first);
    for (size_t i = 0; i < c.n_fin; i++)
      sess_finished(c.fin[i].s);
  }
  free(c.fin);
  /* A deadline that passed while the server was down resolves now, before
   * the first request is served. */
  if (rc == 0)
    sess_resolve_due(reg);
  return rc == 0 ? 0 : -1;
}
