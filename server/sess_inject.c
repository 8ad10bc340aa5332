/*
 * The control cell's events (issue 13; docs/protocol.md event.inject,
 * event.list, event.cancel): injects and the map's scripted history.
 *
 * Where pending injects live: here, in the server (and in the store's
 * injects table), not in the model's state. An inject for turn T is given
 * to the model (model_inject_event) just before turn T resolves, so the
 * model fires it with that turn's events and the state stored after the
 * turn holds it only as news. A prepared inject therefore changes no
 * state, no hash and no observation before its turn, cancelling it is a
 * change of one row, and `lanthanide replay` re-runs a turn by injecting
 * the injects that fired at it (status fired, in id order) before
 * resolving it. A restart restores the injects from their rows.
 *
 * Which scripted events run is part of the model's state (it decides what
 * fires and is in every snapshot from then on): a session without
 * scripted history turns them all off when it is created, and
 * event.cancel turns one off while the turn is open; the store keeps the
 * flag and each cancellation with the open turn, from which the restore
 * and the replay turn them off again.
 *
 * Who sees an inject: the seats of its audience (the model keeps it with
 * the news item). A seat's observation lists only its news (model.h
 * model_event_visible); the stored summary of a turn keeps `seats` on
 * such news for the control cell, and each seat's copy of the summary
 * (history.get, turn.resolved) leaves out the news not meant for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto_types.h"
#include "sess_internal.h"
#include "store.h"

_Static_assert((int)SESS_INJECT_PENDING == (int)STORE_INJECT_PENDING &&
                   (int)SESS_INJECT_FIRED == (int)STORE_INJECT_FIRED &&
                   (int)SESS_INJECT_CANCELLED == (int)STORE_INJECT_CANCELLED,
               "an inject's status is stored as it is");

static const char *const INJECT_STATUS[] = {"pending", "fired", "cancelled"};

bool sess_scripted_events(const sess_session_t *s) {
  return s->scripted_events;
}

static sess_inject_t *push_inject(sess_session_t *s) {
  if (s->n_injects == s->cap_injects) {
    size_t cap = s->cap_injects ? 2 * s->cap_injects : 8;
    sess_inject_t *grown = realloc(s->injects, cap * sizeof *grown);
    if (!grown)
      return NULL;
    s->injects = grown;
    s->cap_injects = cap;
  }
  sess_inject_t *in = &s->injects[s->n_injects];
  memset(in, 0, sizeof *in);
  return in;
}

void sess_inject_free(sess_session_t *s) {
  free(s->injects);
  s->injects = NULL;
  s->n_injects = s->cap_injects = 0;
}

/* ---- Storage --------------------------------------------------------- */

/* Queue the whole row of inject `in`. */
static void put_inject(sess_session_t *s, const sess_inject_t *in) {
  store_t *st = s->reg->store;
  if (!st)
    return;
  proto_buf_t ev, seats;
  msgpack_packer pk;
  proto_buf_init(&ev);
  proto_buf_init(&seats);
  proto_packer_init(&pk, &ev);
  int rc = proto_pack_event_spec(&pk, &in->ev);
  if (in->ev.n_audience > 0) {
    proto_packer_init(&pk, &seats);
    rc |= proto_pack_audience(&pk, s->map, &in->ev);
  }
  store_inject_t row = {
      .session_id = s->id,
      .inject = in->id,
      .turn = in->turn,
      .event = (const uint8_t *)ev.data,
      .event_len = ev.len,
      .seats = in->ev.n_audience > 0 ? (const uint8_t *)seats.data : NULL,
      .seats_len = seats.len,
      .note = in->note,
      .sources = in->sources,
      .status = (store_inject_status_t)in->status,
      .created_ms = in->created_ms,
  };
  if (rc || proto_buf_failed(&ev) || proto_buf_failed(&seats) ||
      store_put_inject(st, &row) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing inject %lld for storage",
             (long long)in->id);
  proto_buf_free(&ev);
  proto_buf_free(&seats);
}

static void put_status(sess_session_t *s, sess_inject_t *in) {
  store_t *st = s->reg->store;
  in->changed_ms = sess_wall_ms();
  if (st && store_set_inject_status(st, s->id, in->id,
                                    (store_inject_status_t)in->status,
                                    in->changed_ms) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing inject %lld's status", (long long)in->id);
}

/* ev as the store keeps it and `lanthanide replay` reads it back: packed
 * as event.list shows it and parsed again (an order from a map file can
 * differ from the wire's in fields its kind does not use). What fires is
 * then the same in the live game, after a restart and in a replay. 0, or
 * -1 when it does not read back (a bug: it is not made). */
static int canonical(model_event_t *ev) {
  proto_buf_t b;
  proto_buf_init(&b);
  msgpack_packer pk;
  proto_packer_init(&pk, &b);
  int rc = proto_pack_event_spec(&pk, ev) || proto_buf_failed(&b) ? -1 : 0;
  if (rc == 0) {
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    size_t off = 0;
    model_event_t back;
    model_refusal_t why;
    rc = msgpack_unpack_next(&un, b.data, b.len, &off) ==
                     MSGPACK_UNPACK_SUCCESS &&
                 proto_event_parse(&un.data, &back, &why) == 0
             ? 0
             : -1;
    msgpack_unpacked_destroy(&un);
    if (rc == 0) {
      back.turn = ev->turn;
      back.n_audience = ev->n_audience;
      memcpy(back.audience, ev->audience, sizeof back.audience);
      *ev = back;
    }
  }
  proto_buf_free(&b);
  return rc;
}

static void all_scripted(sess_session_t *s, bool on) {
  size_t n = model_map_scripted_count(s->map);
  for (size_t i = 0; i < n; i++)
    (void)model_scripted_set(s->st, i, on);
}

int sess_inject_created(sess_session_t *s, bool scripted_events) {
  s->scripted_events = scripted_events;
  if (!scripted_events) {
    all_scripted(s, false);
    if (s->reg->store &&
        store_set_scripted_events(s->reg->store, s->id, false) != 0)
      return -1;
  }
  size_t n = model_map_inject_count(s->map);
  for (size_t i = 0; i < n; i++) {
    const model_map_inject_t *mi = model_map_inject(s->map, i);
    sess_inject_t *in = push_inject(s);
    if (!in)
      return -1;
    in->id = (int64_t)s->n_injects + 1;
    in->turn = mi->event.turn;
    in->ev = mi->event;
    if (canonical(&in->ev) != 0) {
      log_sess(LOG_LEVEL_ERROR, s->id, NULL,
               "the map's inject %zu cannot be stored; it is left out", i);
      continue;
    }
    snprintf(in->note, sizeof in->note, "%s", mi->note);
    snprintf(in->sources, sizeof in->sources, "%s", mi->sources);
    in->status = SESS_INJECT_PENDING;
    in->created_ms = s->created_ms;
    s->n_injects++;
    s->reg->counters.injects_created++;
    put_inject(s, in);
  }
  return 0;
}

/* ---- Restore ----------------------------------------------------------- */

typedef struct restore_ctx {
  sess_session_t *s;
  proto_decoder_t dec;
} restore_ctx_t;

static int on_inject(void *arg, const store_inject_row_t *row, char *err,
                     size_t errlen) {
  restore_ctx_t *c = arg;
  sess_session_t *s = c->s;
  sess_inject_t *in = push_inject(s);
  if (!in) {
    snprintf(err, errlen, "out of memory restoring session %s's injects",
             s->id);
    return -1;
  }
  if (proto_inject_stored_parse(&c->dec, row->event, row->event_len, row->seats,
                                row->seats_len, s->map, &in->ev) != 0) {
    snprintf(err, errlen,
             "session %s: inject %lld is stored damaged (its event or "
             "seats cannot be read)",
             s->id, (long long)row->inject);
    return STORE_DAMAGED;
  }
  in->id = row->inject;
  in->turn = row->turn;
  in->ev.turn = row->turn;
  snprintf(in->note, sizeof in->note, "%s", row->note);
  snprintf(in->sources, sizeof in->sources, "%s", row->sources);
  in->status = (sess_inject_status_t)row->status;
  in->created_ms = row->created_ms;
  in->changed_ms = row->changed_ms;
  s->n_injects++;
  return 0;
}

static int on_cancel(void *arg, int index, int turn, char *err, size_t errlen) {
  restore_ctx_t *c = arg;
  (void)turn;
  if (model_scripted_set(c->s->st, (size_t)index, false) != 0) {
    snprintf(err, errlen,
             "session %s: cancelled scripted event %d is not one of the "
             "map's",
             c->s->id, index);
    return STORE_DAMAGED;
  }
  return 0;
}

int sess_inject_restore(sess_session_t *s, char *err, size_t errlen) {
  store_t *st = s->reg->store;
  bool on = true;
  int rc = store_read_scripted_events(st, s->id, &on, err, errlen);
  if (rc != 0)
    return rc;
  s->scripted_events = on;
  /* The snapshot holds what was off when its turn resolved; what control
   * turned off in the open turn is in the rows (turning off twice is
   * harmless). */
  if (!on)
    all_scripted(s, false);
  restore_ctx_t c = {.s = s};
  if (proto_decoder_init(&c.dec) != 0) {
    snprintf(err, errlen, "out of memory restoring session %s", s->id);
    return -1;
  }
  rc = store_read_scripted_cancels(st, s->id, on_cancel, &c, err, errlen);
  if (rc == 0)
    rc = store_read_injects(st, s->id, on_inject, &c, err, errlen);
  proto_decoder_destroy(&c.dec);
  return rc;
}

int sess_inject_fork(sess_session_t *f, const sess_session_t *s, int turn,
                     int64_t resolved_ms) {
  f->scripted_events = s->scripted_events;
  /* A fork at turn 0 starts from a new state; later ones from a snapshot
   * that holds the flag and the cancellations already. */
  if (!f->scripted_events)
    all_scripted(f, false);
  for (size_t i = 0; i < s->n_injects; i++) {
    sess_inject_t *in = push_inject(f);
    if (!in)
      return -1;
    *in = s->injects[i];
    /* store.c FORK_REARM: the same rule for the rows. */
    if (in->turn >= turn && (in->status == SESS_INJECT_FIRED ||
                             (in->status == SESS_INJECT_CANCELLED &&
                              (turn == 0 || in->changed_ms > resolved_ms)))) {
      in->status = SESS_INJECT_PENDING;
      in->changed_ms = 0;
    }
    f->n_injects++;
  }
  return 0;
}

void sess_inject_reset(sess_session_t *s) {
  for (size_t i = 0; i < s->n_injects; i++)
    if (s->injects[i].status == SESS_INJECT_FIRED) {
      s->injects[i].status = SESS_INJECT_PENDING;
      s->injects[i].changed_ms = 0; /* as W_INJECTS_REARM */
    }
  if (!s->scripted_events)
    all_scripted(s, false);
}

/* ---- Firing ------------------------------------------------------------ */

void sess_inject_fire(sess_session_t *s, model_state_t *st) {
  int turn = model_state_turn(st);
  for (size_t i = 0; i < s->n_injects; i++) {
    sess_inject_t *in = &s->injects[i];
    /* Fired at this turn: a held turn resolved again (review, issue 13)
     * fires what its first resolution fired. */
    if (in->status == SESS_INJECT_CANCELLED || in->turn != turn)
      continue;
    model_event_t ev = in->ev;
    ev.turn = turn;
    int rc = model_inject_event(st, &ev);
    if (rc != 0) {
      /* It was checked when it was made, against the same map; what
       * the model refuses now does not fire, here or in a replay. */
      log_sess(LOG_LEVEL_ERROR, s->id, NULL,
               "inject %lld cannot fire at turn %d (%s); it is cancelled",
               (long long)in->id, turn, model_strerror(rc));
      in->status = SESS_INJECT_CANCELLED;
      put_status(s, in);
    }
  }
}

void sess_inject_resolved(sess_session_t *s, model_state_t *st, int turn,
                          bool ok) {
  if (!ok) {
    /* A refused turn leaves the state as it was before model_resolve,
     * the injects just queued included: they are queued again when the
     * turn is tried again. */
    model_inject_clear(st);
    return;
  }
  for (size_t i = 0; i < s->n_injects; i++) {
    sess_inject_t *in = &s->injects[i];
    if (in->status != SESS_INJECT_PENDING || in->turn != turn)
      continue;
    in->status = SESS_INJECT_FIRED;
    s->reg->counters.injects_fired++;
    put_status(s, in);
    log_sess(LOG_LEVEL_INFO, s->id, NULL, "inject %lld fired at turn %d",
             (long long)in->id, turn);
  }
}

/* ---- What each viewer sees of a turn ---------------------------------- */

void sess_pack_summary_for(const sess_session_t *s, msgpack_packer *pk,
                           const sess_turn_t *h, bool admin,
                           const uint8_t *seats) {
  if (!admin) {
    proto_buf_t b;
    proto_buf_init(&b);
    int rc = proto_summary_for((const uint8_t *)h->buf.data, h->buf.len, s->map,
                               seats, &b);
    if (rc == 1) {
      pk->callback(pk->data, b.data, b.len);
      proto_buf_free(&b);
      return;
    }
    proto_buf_free(&b);
    /* 0: nothing to leave out; -1 (out of memory, or a summary that is
     * not one): never more than the public part */
    if (rc < 0) {
      msgpack_pack_nil(pk);
      return;
    }
  }
  pk->callback(pk->data, h->buf.data, h->buf.len);
}

/* ---- Methods ----------------------------------------------------------- */

/* The turn an inject fires at: `turn`, or the open one. */
static int param_turn(rpc_call_t *call, sess_session_t *s, int *out) {
  int64_t t = model_state_turn(s->st);
  if (proto_param_i64(call->params, "turn", false, &t, call->err) < 0)
    return -1;
  int open = model_state_turn(s->st);
  if (t < open || t >= s->turns)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "turn",
                           "field 'turn' must be the open turn (%d) or a "
                           "later one, up to the session's last (%d)",
                           open, s->turns - 1);
  *out = (int)t;
  return 0;
}

/* `seats` into ev's audience (sorted, no repeats). */
static int param_seats(rpc_call_t *call, sess_session_t *s, model_event_t *ev) {
  const msgpack_object *a = NULL;
  if (proto_param_array(call->params, "seats", false, &a, call->err) < 0)
    return -1;
  ev->n_audience = 0;
  if (!a || a->type == MSGPACK_OBJECT_NIL)
    return 0;
  if (a->via.array.size == 0)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "seats",
                           "field 'seats' names nobody; name at least one "
                           "seat, or leave 'seats' out for every seat");
  if (a->via.array.size > MODEL_AUDIENCE_MAX)
    return proto_error_set(call->err, PROTO_TOO_LARGE, "seats",
                           "field 'seats' may name at most %d seats; leave "
                           "it out for every seat",
                           MODEL_AUDIENCE_MAX);
  model_event_t tmp = *ev;
  for (uint32_t i = 0; i < a->via.array.size; i++) {
    const msgpack_object *x = &a->via.array.ptr[i];
    char id[MODEL_ID_MAX];
    int k = -1;
    if (x->type == MSGPACK_OBJECT_STR && x->via.str.size < sizeof id) {
      memcpy(id, x->via.str.ptr, x->via.str.size);
      id[x->via.str.size] = 0;
      k = model_map_seat_index(s->map, id);
    }
    if (k < 0)
      return proto_error_set(call->err, PROTO_NOT_FOUND, "seats",
                             "seats[%u] is not a seat of session %s (the "
                             "seat ids are those of session.create's "
                             "seats)",
                             i, s->id);
    proto_event_audience_add(&tmp, k);
  }
  *ev = tmp;
  return 0;
}

int sess_m_event_inject(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, "inject");
  if (!s)
    return RPC_ERROR;
  sess_registry_t *reg = s->reg;
  if (s->status == SESS_FINISHED)
    return proto_error_set(call->err, PROTO_CONFLICT, NULL,
                           "session %s is finished: no turn is left for an "
                           "inject to fire at",
                           s->id);
  const msgpack_object *eo = NULL;
  const char *note = NULL;
  uint32_t note_len = 0;
  int turn = 0;
  if (proto_param_map(call->params, "event", true, &eo, call->err) < 0 ||
      proto_param_str(call->params, "note", false, &note, &note_len,
                      call->err) < 0 ||
      param_turn(call, s, &turn) != 0)
    return RPC_ERROR;
  if (note_len >= MODEL_MESSAGE_MAX)
    return proto_error_set(call->err, PROTO_TOO_LARGE, "note",
                           "field 'note' may hold at most %d bytes",
                           MODEL_MESSAGE_MAX - 1);
  if (s->held && turn == model_state_turn(s->st))
    return proto_error_set(call->err, PROTO_CONFLICT, "turn",
                           "turn %d is resolved and held for control's "
                           "review: an inject at it would not be part of "
                           "the result; give 'turn' %d or later (or amend "
                           "the result with turn.release)",
                           turn, turn + 1);
  model_event_t ev;
  model_refusal_t why;
  if (proto_event_parse(eo, &ev, &why) != 0)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "event",
                           "event.%s: %s", why.field, why.message);
  if (param_seats(call, s, &ev) != 0)
    return RPC_ERROR;
  if (model_event_check(s->st, &ev, &why))
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "event",
                           "event.%s: %s", why.field, why.message);
  if (canonical(&ev) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, "event",
                           "the event cannot be stored as it was given");
  ev.turn = turn;
  if (s->n_injects >= reg->cfg.max_injects) {
    reg->counters.injects_refused_limit++;
    return proto_error_set(call->err, PROTO_RATE_LIMITED, NULL,
                           "session %s holds %zu injects, the most a "
                           "session may (--max-injects %u); cancelled and "
                           "fired ones count",
                           s->id, s->n_injects, reg->cfg.max_injects);
  }
  size_t same_turn = 0;
  for (size_t i = 0; i < s->n_injects; i++)
    same_turn += s->injects[i].status == SESS_INJECT_PENDING &&
                 s->injects[i].turn == turn;
  if (same_turn >= MODEL_INJECTED_MAX)
    return proto_error_set(call->err, PROTO_TOO_LARGE, "turn",
                           "turn %d already has %zu pending injects, the "
                           "most one turn may fire; choose another turn",
                           turn, same_turn);
  sess_inject_t *in = push_inject(s);
  if (!in)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  in->id = s->n_injects ? s->injects[s->n_injects - 1].id + 1 : 1;
  in->turn = turn;
  in->ev = ev;
  snprintf(in->note, sizeof in->note, "%.*s", (int)note_len, note ? note : "");
  in->status = SESS_INJECT_PENDING;
  in->created_ms = sess_wall_ms();
  s->n_injects++;
  reg->counters.injects_created++;
  put_inject(s, in);
  log_sess(LOG_LEVEL_INFO, s->id, NULL,
           "inject %lld (%s) prepared for turn %d, seen by %s",
           (long long)in->id, model_event_name(ev.kind), turn,
           ev.n_audience ? "some seats" : "every seat");
  msgpack_pack_map(call->pk, 2);
  proto_pack_kv_i64(call->pk, "inject", in->id);
  proto_pack_kv_i64(call->pk, "turn", turn);
  return RPC_OK_DURABLE;
}

/* The status of scripted event i for event.list. */
static const char *scripted_status(const sess_session_t *s, size_t i) {
  const model_event_t *e = model_map_scripted(s->map, i);
  if (!s->scripted_events)
    return "off";
  if (!model_scripted_on(s->st, i))
    return "cancelled";
  return e->turn < model_state_turn(s->st) ? "fired" : "pending";
}

int sess_m_event_list(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, NULL);
  if (!s)
    return RPC_ERROR;
  msgpack_packer *pk = call->pk;
  msgpack_pack_map(pk, 3);
  proto_pack_cstr(pk, "injects");
  msgpack_pack_array(pk, s->n_injects);
  for (size_t i = 0; i < s->n_injects; i++) {
    const sess_inject_t *in = &s->injects[i];
    msgpack_pack_map(pk, 7 + (in->sources[0] != 0));
    proto_pack_kv_i64(pk, "inject", in->id);
    proto_pack_kv_i64(pk, "turn", in->turn);
    proto_pack_cstr(pk, "event");
    proto_pack_event_spec(pk, &in->ev);
    proto_pack_cstr(pk, "seats");
    if (in->ev.n_audience > 0)
      proto_pack_audience(pk, s->map, &in->ev);
    else
      msgpack_pack_nil(pk);
    proto_pack_kv_cstr(pk, "note", in->note);
    proto_pack_kv_cstr(pk, "status", INJECT_STATUS[in->status]);
    proto_pack_kv_i64(pk, "created_ms", in->created_ms);
    if (in->sources[0])
      proto_pack_kv_cstr(pk, "sources", in->sources);
  }
  size_t n = model_map_scripted_count(s->map);
  proto_pack_cstr(pk, "scripted");
  msgpack_pack_array(pk, n);
  for (size_t i = 0; i < n; i++) {
    const model_event_t *e = model_map_scripted(s->map, i);
    msgpack_pack_map(pk, 4);
    proto_pack_kv_i64(pk, "index", (int64_t)i);
    proto_pack_kv_i64(pk, "turn", e->turn);
    proto_pack_cstr(pk, "event");
    proto_pack_event_spec(pk, e);
    proto_pack_kv_cstr(pk, "status", scripted_status(s, i));
  }
  proto_pack_kv_bool(pk, "scripted_events", s->scripted_events);
  return RPC_OK;
}

int sess_m_event_cancel(rpc_call_t *call) {
  sess_session_t *s = sess_method_admin(call, "cancellation");
  if (!s)
    return RPC_ERROR;
  int64_t id = 0, idx = 0;
  int has_inject, has_scripted;
  if ((has_inject = proto_param_i64(call->params, "inject", false, &id,
                                    call->err)) < 0 ||
      (has_scripted = proto_param_i64(call->params, "scripted", false, &idx,
                                      call->err)) < 0)
    return RPC_ERROR;
  if (has_inject == has_scripted)
    return proto_error_set(call->err, PROTO_BAD_REQUEST,
                           has_inject ? "scripted" : "inject",
                           "give exactly one of 'inject' (an id from "
                           "event.inject or event.list) and 'scripted' (an "
                           "index of event.list's scripted)");
  int open = model_state_turn(s->st);
  if (has_inject) {
    sess_inject_t *in = NULL;
    for (size_t i = 0; i < s->n_injects && !in; i++)
      if (s->injects[i].id == id)
        in = &s->injects[i];
    if (!in)
      return proto_error_set(call->err, PROTO_NOT_FOUND, "inject",
                             "session %s has no inject %lld (event.list "
                             "lists them)",
                             s->id, (long long)id);
    if (in->status == SESS_INJECT_FIRED)
      return proto_error_set(call->err, PROTO_CONFLICT, "inject",
                             "inject %lld fired at turn %d; only a pending "
                             "inject can be cancelled",
                             (long long)id, in->turn);
    if (in->status == SESS_INJECT_PENDING) {
      in->status = SESS_INJECT_CANCELLED;
      s->reg->counters.injects_cancelled++;
      put_status(s, in);
      log_sess(LOG_LEVEL_INFO, s->id, NULL, "inject %lld cancelled",
               (long long)id);
    }
  } else {
    size_t n = model_map_scripted_count(s->map);
    if (idx < 0 || (uint64_t)idx >= n)
      return proto_error_set(call->err, PROTO_NOT_FOUND, "scripted",
                             "map %s has %zu scripted events; 'scripted' "
                             "must be an index from 0 to %zu",
                             model_map_id(s->map), n, n ? n - 1 : 0);
    const model_event_t *e = model_map_scripted(s->map, (size_t)idx);
    if (s->scripted_events && model_scripted_on(s->st, (size_t)idx)) {
      if (s->held && e->turn == open)
        return proto_error_set(call->err, PROTO_CONFLICT, "scripted",
                               "scripted event %lld fires at turn %d, whose "
                               "result is held for control's review with it; "
                               "amend the result with turn.release instead",
                               (long long)idx, e->turn);
      if (e->turn < open)
        return proto_error_set(call->err, PROTO_CONFLICT, "scripted",
                               "scripted event %lld fired at turn %d; only "
                               "a pending one (turn %d or later) can be "
                               "cancelled",
                               (long long)idx, e->turn, open);
      (void)model_scripted_set(s->st, (size_t)idx, false);
      s->reg->counters.injects_cancelled++;
      if (s->reg->store &&
          store_put_scripted_cancel(s->reg->store, s->id, (int)idx, open,
                                    sess_wall_ms()) != 0)
        log_sess(LOG_LEVEL_ERROR, s->id, NULL,
                 "out of memory queueing a cancellation for storage");
      log_sess(LOG_LEVEL_INFO, s->id, NULL,
               "scripted event %lld (turn %d) cancelled", (long long)idx,
               e->turn);
    }
  }
  msgpack_pack_map(call->pk, 1);
  proto_pack_kv_cstr(call->pk, "status", "cancelled");
  return RPC_OK_DURABLE;
}
