/*
 * Notifications and chat of sessions: the connections subscribed to a
 * session and what each may see, packing a notification once and sending
 * it to every subscriber that may see it, the notices to one connection
 * (seat.moved, seat.revoked, seat.agent, session.admin_rotated), and chat
 * messages. What a change causes is told only once the change is
 * committed: it goes out from the commit's callback.
 */
#include "sess_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto_types.h"
#include "store.h"

/* ---- Subscribers and notifications -----------------------------------------
 */

/* The connection's subscription to s: looked up in the connection's own
 * list, which --max-watches-per-connection keeps short (a session may have
 * thousands of spectators). */
static sess_sub_t *sub_find(sess_session_t *s, const rpc_peer_t *peer) {
  for (size_t i = 0; i < peer->n_watches; i++)
    if (peer->watches[i].s == s)
      return &s->subs[peer->watches[i].sidx];
  return NULL;
}

sess_sub_t *sess_subscribe(sess_session_t *s, rpc_peer_t *peer,
                           proto_error_t *err) {
  sess_registry_t *reg = s->reg;
  sess_sub_t *sub = sub_find(s, peer);
  if (sub)
    return sub;
  if (peer->n_watches >= reg->cfg.max_watches) {
    reg->counters.watches_refused_limit++;
    proto_error_set(err, PROTO_TOO_LARGE, "session",
                    "this connection already follows %zu sessions, the most "
                    "one connection may (--max-watches-per-connection %u); "
                    "open another connection, or ask the operator to raise "
                    "the limit",
                    peer->n_watches, reg->cfg.max_watches);
    return NULL;
  }
  if (s->n_subs == s->cap_subs) {
    size_t cap = s->cap_subs ? 2 * s->cap_subs : 8;
    sess_sub_t *grown = realloc(s->subs, cap * sizeof *grown);
    if (!grown)
      goto nomem;
    s->subs = grown;
    s->cap_subs = cap;
  }
  if (peer->n_watches == peer->cap_watches) {
    size_t cap = peer->cap_watches ? 2 * peer->cap_watches : 4;
    struct sess_watch *grown = realloc(peer->watches, cap * sizeof *grown);
    if (!grown)
      goto nomem;
    peer->watches = grown;
    peer->cap_watches = cap;
  }
  uint8_t *seats = calloc(s->n_seats ? s->n_seats : 1, 1);
  if (!seats)
    goto nomem;
  sub = &s->subs[s->n_subs];
  memset(sub, 0, sizeof *sub);
  sub->peer = peer;
  sub->seats = seats;
  sub->pidx = peer->n_watches;
  peer->watches[peer->n_watches++] = (struct sess_watch){s, s->n_subs++};
  /* A connection that holds a seat or watches is never closed for
   * idleness (PROTOCOL.md limits); TCP keepalive finds dead peers. */
  peer->holds_seat = true;
  return sub;
nomem:
  proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  return NULL;
}

/* Drop s->subs[i] from the session and from its connection's list, and
 * mend the indices of the entries the two swap-removals moved. */
static void sub_remove(sess_session_t *s, size_t i) {
  rpc_peer_t *peer = s->subs[i].peer;
  size_t p = s->subs[i].pidx;
  for (size_t k = 0; k < s->n_seats; k++)
    if (s->seats[k].conn == peer)
      s->seats[k].conn = NULL;
  free(s->subs[i].seats);
  s->subs[i] = s->subs[--s->n_subs];
  if (i < s->n_subs)
    s->subs[i].peer->watches[s->subs[i].pidx].sidx = i;
  peer->watches[p] = peer->watches[--peer->n_watches];
  if (p < peer->n_watches) {
    struct sess_watch *w = &peer->watches[p];
    w->s->subs[w->sidx].pidx = p;
  }
  /* A connection that now follows no session at all is an ordinary one
   * again: the idle deadline applies to it (PROTOCOL.md limits). */
  if (peer->n_watches == 0)
    peer->holds_seat = false;
}

void sess_unsubscribe_all(sess_session_t *s) {
  while (s->n_subs > 0)
    sub_remove(s, s->n_subs - 1);
}

void sess_peer_closed(sess_registry_t *reg, rpc_peer_t *peer) {
  (void)reg;
  /* Each removal takes the last entry: O(1) apart from the session's
   * seats, which it checks for this connection. */
  while (peer->n_watches > 0) {
    struct sess_watch *w = &peer->watches[peer->n_watches - 1];
    sub_remove(w->s, w->sidx);
  }
  free(peer->watches);
  peer->watches = NULL;
  peer->cap_watches = 0;
}

/* May the subscriber see a chat message from `from` to `to` (seat indices;
 * -1 means the admin for from, everyone for to)? */
static bool chat_visible(const sess_sub_t *sub, int from, int to) {
  if (sub->admin || to < 0)
    return true;
  return sub->seats[to] || (from >= 0 && sub->seats[from]);
}

/* Send the notification packed in reg->nbuf to every subscriber that may
 * see it (chat_from/chat_to: -2 for a notification everyone sees), but
 * `skip` (NULL: none). Each connection gets it once, however many seats
 * it holds. */
static void broadcast_except(sess_session_t *s, int chat_from, int chat_to,
                             const rpc_peer_t *skip) {
  sess_registry_t *reg = s->reg;
  /* A notification is whole or not sent (packing ran out of memory). */
  if (proto_buf_failed(&reg->nbuf))
    return;
  for (size_t i = 0; i < s->n_subs; i++) {
    sess_sub_t *sub = &s->subs[i];
    if (sub->peer == skip ||
        (chat_from != -2 && !chat_visible(sub, chat_from, chat_to)))
      continue;
    /* A refusal means the connection is closing; it is forgotten in
     * sess_peer_closed. */
    if (replyq_push(&sub->peer->replies, reg->nbuf.data, reg->nbuf.len) == 0)
      reg->counters.notifications++;
  }
}

void sess_broadcast(sess_session_t *s, int chat_from, int chat_to) {
  broadcast_except(s, chat_from, chat_to, NULL);
}

/* Start packing a notification [2, method, [{"session": id, ...n more}]]. */
msgpack_packer *sess_notify_begin(sess_session_t *s, const char *method,
                                  size_t pairs) {
  sess_registry_t *reg = s->reg;
  proto_buf_reset(&reg->nbuf);
  proto_pack_notification_head(&reg->npk, method);
  msgpack_pack_map(&reg->npk, pairs + 1);
  proto_pack_kv_cstr(&reg->npk, "session", s->id);
  return &reg->npk;
}

/* A notification of a change that waits for the change's commit. Like a
 * chat message it names its session by id: the server may stop before
 * the commit (the session is then gone, and nobody is told). */
typedef struct told {
  sess_registry_t *reg;
  char session[16];
  bool to_chan; /* only the readers of ch (sess_tell_chan) */
  sess_chan_t ch;
  size_t len;
  char data[];
} told_t;

static void told_committed(void *arg, bool committed) {
  told_t *t = arg;
  sess_registry_t *reg = t->reg;
  sess_session_t *s =
      reg->closed ? NULL : sess_find(reg, t->session, strlen(t->session));
  if (s) {
    s->untold--;
    if (committed)
      for (size_t i = 0; i < s->n_subs; i++)
        if ((!t->to_chan || sess_chan_sub_reads(s, &t->ch, &s->subs[i])) &&
            replyq_push(&s->subs[i].peer->replies, t->data, t->len) == 0)
          reg->counters.notifications++;
    /* A finished session waits in memory until its watchers are told. */
    if (s->untold == 0 && s->status == SESS_FINISHED)
      sess_trim_finished(reg);
  }
  free(t);
}

/* Send the notification packed in reg->nbuf, once everything queued for
 * storage so far is committed, to every subscriber, or with ch to the
 * readers of that channel only. */
static void tell_after_commit(sess_session_t *s, const sess_chan_t *ch) {
  sess_registry_t *reg = s->reg;
  if (proto_buf_failed(&reg->nbuf))
    return; /* whole or not sent */
  if (!reg->store) {
    if (ch)
      sess_broadcast_chan(s, ch, NULL);
    else
      sess_broadcast(s, -2, -2);
    return;
  }
  told_t *t = malloc(sizeof *t + reg->nbuf.len);
  if (!t) {
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory keeping a notification until its "
             "commit; it is not sent");
    return;
  }
  t->reg = reg;
  snprintf(t->session, sizeof t->session, "%s", s->id);
  t->to_chan = ch != NULL;
  if (ch)
    t->ch = *ch;
  t->len = reg->nbuf.len;
  memcpy(t->data, reg->nbuf.data, reg->nbuf.len);
  if (store_after_commit(reg->store, told_committed, t) != 0) {
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory keeping a notification until its "
             "commit; it is not sent");
    free(t);
    return;
  }
  s->untold++;
}

void sess_tell(sess_session_t *s) {
  tell_after_commit(s, NULL);
}

void sess_tell_chan(sess_session_t *s, const sess_chan_t *ch) {
  tell_after_commit(s, ch);
}

/* A notification for one connection (seat.moved, seat.revoked, seat.agent,
 * session.admin_rotated) on its way: its place in that connection's order
 * is reserved now, the bytes go out once the change that caused it is
 * committed (issue 10: nothing is told before it is stored). The slot
 * outlives a closed connection. */
typedef struct told_peer {
  sess_registry_t *reg;
  replyq_slot_t *slot;
  size_t len;
  char data[];
} told_peer_t;

static void told_peer_committed(void *arg, bool committed) {
  told_peer_t *m = arg;
  if (!committed)
    replyq_complete(m->slot, NULL, 0);
  else if (replyq_complete(m->slot, m->data, m->len) == 0)
    m->reg->counters.notifications++;
  free(m);
}

/* Send the notification packed in reg->nbuf to peer once everything
 * queued for storage so far is committed (without a store, now). */
static void tell_peer(sess_session_t *s, rpc_peer_t *peer) {
  sess_registry_t *reg = s->reg;
  if (proto_buf_failed(&reg->nbuf))
    return; /* whole or not sent */
  if (!reg->store) {
    if (replyq_push(&peer->replies, reg->nbuf.data, reg->nbuf.len) == 0)
      reg->counters.notifications++;
    return;
  }
  told_peer_t *m = malloc(sizeof *m + reg->nbuf.len);
  if (m && (m->slot = replyq_defer(&peer->replies, 0)) != NULL) {
    m->reg = reg;
    m->len = reg->nbuf.len;
    memcpy(m->data, reg->nbuf.data, reg->nbuf.len);
    if (store_after_commit(reg->store, told_peer_committed, m) != 0) {
      replyq_complete(m->slot, NULL, 0);
      free(m);
      m = NULL;
    }
  } else {
    free(m);
    m = NULL;
  }
  if (!m)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory holding a notification until its "
             "commit; it is not sent");
}

void sess_tell_admin(sess_session_t *s) {
  for (size_t i = 0; i < s->n_subs; i++)
    if (s->subs[i].admin)
      tell_peer(s, s->subs[i].peer);
}

void sess_tell_resolved(sess_session_t *s, const sess_turn_t *h) {
  /* Most turns have no news for some seats only: one copy for all. */
  proto_buf_t pub;
  proto_buf_init(&pub);
  int rc = h ? proto_summary_for((const uint8_t *)h->buf.data, h->buf.len,
                                 s->map, NULL, &pub)
             : 0;
  proto_buf_free(&pub);
  if (rc == 0 || !h) {
    msgpack_packer *pk = sess_notify_begin(s, "turn.resolved", 2);
    proto_pack_kv_i64(pk, "turn", h ? h->turn : model_state_turn(s->st) - 1);
    proto_pack_cstr(pk, "summary");
    if (h)
      proto_buf_write(&s->reg->nbuf, h->buf.data, h->buf.len);
    else
      msgpack_pack_nil(pk);
    sess_tell(s);
    return;
  }
  /* Each subscriber its own copy: the admin all the news, a seat's
   * connection the news of its seats, a spectator the public news. */
  for (size_t i = 0; i < s->n_subs; i++) {
    const sess_sub_t *sub = &s->subs[i];
    msgpack_packer *pk = sess_notify_begin(s, "turn.resolved", 2);
    proto_pack_kv_i64(pk, "turn", h->turn);
    proto_pack_cstr(pk, "summary");
    sess_pack_summary_for(s, pk, h, sub->admin, sub->seats);
    tell_peer(s, sub->peer);
  }
}

void sess_tell_leaving(sess_session_t *s) {
  /* sess_tell finds the session by its id when the commit holds: this
   * one will be gone by then, so each follower's place is reserved now. */
  for (size_t i = 0; i < s->n_subs; i++)
    tell_peer(s, s->subs[i].peer);
}

/* The connection no longer follows `seat`; if that was all it followed
 * (no other seat, not the admin) and the session has no public
 * spectating, it stops following the session. The caller must re-find
 * its own subscription after this (sub_remove moves the last one). */
static void sub_drop_seat(sess_session_t *s, rpc_peer_t *peer, int seat) {
  sess_sub_t *sub = sub_find(s, peer);
  if (!sub)
    return;
  if (seat >= 0)
    sub->seats[seat] = 0;
  bool follows = sub->admin || s->spectators;
  for (size_t i = 0; !follows && i < s->n_seats; i++)
    follows = sub->seats[i] != 0;
  /* sub_remove makes a connection that now follows no session at all an
   * ordinary one again (the idle deadline applies to it). */
  if (!follows)
    sub_remove(s, (size_t)(sub - s->subs));
}

void sess_notify_seat_lost(sess_session_t *s, rpc_peer_t *peer, int seat,
                           const char *method, const char *strategy) {
  msgpack_packer *pk = sess_notify_begin(s, method, strategy ? 2 : 1);
  proto_pack_kv_cstr(pk, "seat", model_map_seat_id(s->map, (size_t)seat));
  if (strategy)
    proto_pack_kv_cstr(pk, "strategy", strategy);
  tell_peer(s, peer);
  /* Fix (tests/sessions/test_reconnect.py): the old connection "no longer
   * receives the seat's notifications" (PROTOCOL.md Identity), turns
   * included, from now on (the notice itself waits for the commit). */
  sub_drop_seat(s, peer, seat);
}

void sess_notify_seat_moved(sess_session_t *s, rpc_peer_t *peer, int seat) {
  sess_notify_seat_lost(s, peer, seat, "seat.moved", NULL);
}

void sess_seat_notify_all(sess_session_t *s, int seat, const char *method,
                          const char *strategy, bool drop) {
  if (!drop) {
    /* Told once per connection that follows the seat; nothing else
     * changes. */
    msgpack_packer *pk = sess_notify_begin(s, method, strategy ? 2 : 1);
    proto_pack_kv_cstr(pk, "seat", model_map_seat_id(s->map, (size_t)seat));
    if (strategy)
      proto_pack_kv_cstr(pk, "strategy", strategy);
    for (size_t i = 0; i < s->n_subs; i++)
      if (s->subs[i].seats[seat])
        tell_peer(s, s->subs[i].peer);
    return;
  }
  /* Each call clears the seat from one subscription (or removes it), so
   * this ends; the array may be reordered, hence the restart. */
  for (size_t i = 0; i < s->n_subs;) {
    if (s->subs[i].seats[seat]) {
      sess_notify_seat_lost(s, s->subs[i].peer, seat, method, strategy);
      i = 0;
    } else {
      i++;
    }
  }
  s->seats[seat].conn = NULL;
}

void sess_admin_drop_all(sess_session_t *s, const rpc_peer_t *keep) {
  for (size_t i = 0; i < s->n_subs;) {
    sess_sub_t *sub = &s->subs[i];
    if (sub->admin && sub->peer != keep) {
      rpc_peer_t *peer = sub->peer;
      sub->admin = false;
      sess_notify_begin(s, "session.admin_rotated", 0);
      tell_peer(s, peer);
      sub_drop_seat(s, peer, -1);
      i = 0;
    } else {
      i++;
    }
  }
}

/* ---- Chat ------------------------------------------------------------------
 */

/* A chat message on its way: stored, and sent once the commit holds it.
 * It names its session by id, not by pointer: the session may be unloaded
 * (or the server stopping) before the commit. */
typedef struct chat_pending {
  sess_registry_t *reg;
  char session[16];
  int from, to;
  int64_t id;
  sess_chan_t ch;
  /* The sending connection's copy: a place reserved in its reply order
   * before the answer (the message comes first there, as documented).
   * A slot outlives a closed connection, and tells whether the connection
   * is still there, so `peer` is only used while it is. */
  replyq_slot_t *sender;
  const rpc_peer_t *peer;
  size_t len;
  char text[];
} chat_pending_t;

static void chat_committed(void *arg, bool committed) {
  chat_pending_t *c = arg;
  sess_session_t *s =
      committed ? sess_find(c->reg, c->session, strlen(c->session)) : NULL;
  if (s) {
    msgpack_packer *pk = sess_notify_begin(s, "chat.message", 5);
    proto_pack_kv_cstr(
        pk, "from",
        c->from < 0 ? "admin" : model_map_seat_id(s->map, (size_t)c->from));
    proto_pack_kv_cstr(pk, "to",
                       c->ch.kind == SESS_CHAN_OPENED ? c->ch.id
                       : c->to < 0                    ? "all"
                                   : model_map_seat_id(s->map, (size_t)c->to));
    proto_pack_cstr(pk, "text");
    proto_pack_str(pk, c->text, c->len);
    proto_pack_kv_cstr(pk, "channel", c->ch.id);
    proto_pack_kv_i64(pk, "id", c->id);
    /* The sender gets its copy in its slot, once, whatever it follows. */
    bool alive = c->sender && !replyq_slot_orphaned(c->sender);
    sess_broadcast_chan(s, &c->ch, alive ? c->peer : NULL);
    if (c->sender && proto_buf_failed(&s->reg->nbuf))
      replyq_complete(c->sender, NULL, 0); /* whole or not sent */
    else if (c->sender && replyq_complete(c->sender, s->reg->nbuf.data,
                                          s->reg->nbuf.len) == 0)
      s->reg->counters.notifications++;
  } else if (c->sender) {
    replyq_complete(c->sender, NULL, 0);
  }
  free(c);
}

int sess_chat(sess_session_t *s, rpc_peer_t *sender, int from, int to,
              const sess_chan_t *ch, const char *text, size_t len,
              proto_error_t *err) {
  sess_registry_t *reg = s->reg;
  if (len > reg->cfg.max_chat_bytes) {
    reg->counters.chat_refused_limit++;
    return proto_error_set(err, PROTO_TOO_LARGE, "text",
                           "a chat message may hold at most %u bytes "
                           "(--max-chat-bytes); this one has %zu",
                           reg->cfg.max_chat_bytes, len);
  }
  /* Each seat (and the admin) has its own budget, so one chatty seat
   * cannot use up the session's --max-chat-messages for everyone. */
  rl_bucket_t *b = from < 0 ? &s->admin_chat : &s->seats[from].chat;
  int64_t now = (int64_t)uv_now(reg->loop);
  if (!rl_ready(b, &reg->chat_rate, now)) {
    char when[64];
    reg->counters.chat_rate_limited++;
    rl_retry_text(when, sizeof when, rl_wait_ms(b, &reg->chat_rate, now));
    return proto_error_set(err, PROTO_RATE_LIMITED, NULL,
                           "too many chat messages from %s: at most %u at "
                           "once, then one every %u ms (--chat-burst, "
                           "--chat-refill-ms); %s",
                           from < 0 ? "the control cell" : "this seat",
                           reg->chat_rate.burst, reg->chat_rate.refill_ms,
                           when);
  }
  if (s->n_chat >= reg->cfg.max_chat_messages) {
    reg->counters.chat_refused_limit++;
    return proto_error_set(err, PROTO_RATE_LIMITED, NULL,
                           "this session holds its maximum of %u chat "
                           "messages (--max-chat-messages)",
                           reg->cfg.max_chat_messages);
  }
  chat_pending_t *c = malloc(sizeof *c + len);
  if (!c)
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  c->reg = reg;
  snprintf(c->session, sizeof c->session, "%s", s->id);
  c->from = from;
  c->to = to;
  c->ch = *ch;
  c->id = reg->next_chat_id;
  c->len = len;
  memcpy(c->text, text, len);
  c->sender = NULL;
  c->peer = sender;
  /* The message also reaches the connection that sent it, even one that
   * follows nothing (PROTOCOL.md: "its sender"), before the answer. */
  if (sender) {
    c->sender = replyq_defer(&sender->replies, 0);
    if (!c->sender) {
      free(c);
      return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
    }
  }
  /* Stored before anyone sees it: the message goes out from the commit's
   * callback, and the answer (RPC_OK_DURABLE) after the same commit. */
  if (sp_chat(s, from, to, ch, c->id, text, len) != 0 ||
      (reg->store && store_after_commit(reg->store, chat_committed, c) != 0)) {
    /* The write may be queued without its callback: then the message is
     * stored but never sent, which the sender learns from this error. */
    if (c->sender)
      replyq_complete(c->sender, NULL, 0);
    free(c);
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  }
  rl_take(b);
  s->n_chat++;
  reg->next_chat_id++;
  if (!reg->store)
    chat_committed(c, true);
  return 0;
}
