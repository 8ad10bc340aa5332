/*
 * The wargame's communications (issue 13, docs/protocol.md "Channels",
 * "Negotiation" and "After-action review"): chat channels and who may
 * read them, chat.history from the store, negotiation of contracts over
 * the wire (signed into the model when the turn they were agreed in
 * resolves), and timeline.get over the store's record.
 *
 * Channels: all (chat.send to "all", as before channels), press (everyone
 * reads, seats and control post), team:<SEAT> (the people holding the
 * seat's token, and control), control:<SEAT> (a seat and control),
 * dm:<A>:<B> (chat.send from one seat to another) and ch:<N> (channel.open:
 * its members, and control). Control reads and posts everywhere.
 *
 * Negotiation: the offer in force is a contract_propose order by its
 * author to the other party, checked by the model as orders.submit would
 * (model_contract_check) at every step. An accepted offer is signed into
 * the state (model_contract_sign) just before the turn it was accepted in
 * is resolved, in the order of acceptance; `lanthanide replay` signs the
 * same from negotiation_steps, so the stored state hashes still verify.
 *
 * Every change is stored before anyone is told (RPC_OK_DURABLE, and the
 * notifications wait for the commit), and is restored at start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto_types.h"
#include "sess_internal.h"
#include "store.h"

static const char *const NEGO_STATUS[] = {"open", "countered", "accepted",
                                          "withdrawn"};

/* ---- Channels -------------------------------------------------------- */

static int seat_by_name(const sess_session_t *s, const char *id, size_t len) {
  for (size_t i = 0; i < s->n_seats; i++) {
    const char *sid = model_map_seat_id(s->map, i);
    if (strlen(sid) == len && memcmp(sid, id, len) == 0)
      return (int)i;
  }
  return -1;
}

static void chan_dm(const sess_session_t *s, int x, int y, sess_chan_t *out) {
  const char *xs = SESS_SEAT_NAME(s, x), *ys = SESS_SEAT_NAME(s, y);
  bool swap = strcmp(xs, ys) > 0;
  out->kind = SESS_CHAN_DM;
  out->a = swap ? y : x;
  out->b = swap ? x : y;
  out->opened = -1;
  snprintf(out->id, sizeof out->id, "dm:%s:%s", SESS_SEAT_NAME(s, out->a),
           SESS_SEAT_NAME(s, out->b));
}

void sess_chan_of_to(const sess_session_t *s, int from, int to,
                     sess_chan_t *out) {
  memset(out, 0, sizeof *out);
  out->a = out->b = out->opened = -1;
  if (to < 0) {
    out->kind = SESS_CHAN_ALL;
    snprintf(out->id, sizeof out->id, "all");
  } else if (from < 0 || from == to) {
    out->kind = from < 0 ? SESS_CHAN_CONTROL : SESS_CHAN_TEAM;
    out->a = to;
    snprintf(out->id, sizeof out->id, "%s:%s", from < 0 ? "control" : "team",
             SESS_SEAT_NAME(s, to));
  } else {
    chan_dm(s, from, to, out);
  }
}

int sess_chan_parse(const sess_session_t *s, const char *id, size_t len,
                    sess_chan_t *out, proto_error_t *err) {
  memset(out, 0, sizeof *out);
  out->a = out->b = out->opened = -1;
  int shown = (int)(len > 64 ? 64 : len);
  if (len == 3 && memcmp(id, "all", 3) == 0) {
    out->kind = SESS_CHAN_ALL;
  } else if (len == 5 && memcmp(id, "press", 5) == 0) {
    out->kind = SESS_CHAN_PRESS;
  } else if ((len > 5 && memcmp(id, "team:", 5) == 0) ||
             (len > 8 && memcmp(id, "control:", 8) == 0)) {
    bool team = id[0] == 't';
    size_t skip = team ? 5 : 8;
    out->kind = team ? SESS_CHAN_TEAM : SESS_CHAN_CONTROL;
    if ((out->a = seat_by_name(s, id + skip, len - skip)) < 0)
      goto unknown;
  } else if (len > 3 && memcmp(id, "dm:", 3) == 0) {
    const char *sep = memchr(id + 3, ':', len - 3);
    if (!sep)
      goto unknown;
    int x = seat_by_name(s, id + 3, (size_t)(sep - id - 3));
    int y = seat_by_name(s, sep + 1, len - (size_t)(sep + 1 - id));
    if (x < 0 || y < 0 || x == y)
      goto unknown;
    chan_dm(s, x, y, out);
    return 0;
  } else {
    for (size_t i = 0; i < s->n_channels; i++)
      if (strlen(s->channels[i].id) == len &&
          memcmp(s->channels[i].id, id, len) == 0) {
        out->kind = SESS_CHAN_OPENED;
        out->opened = (int)i;
        break;
      }
    if (out->opened < 0)
      goto unknown;
  }
  if (len >= sizeof out->id)
    goto unknown;
  memcpy(out->id, id, len);
  out->id[len] = '\0';
  return 0;
unknown:
  return proto_error_set(err, PROTO_NOT_FOUND, "channel",
                         "session '%s' has no channel '%.*s': a channel is "
                         "all, press, team:<SEAT>, control:<SEAT>, "
                         "dm:<SEAT>:<SEAT> or one channel.open made "
                         "(channels.list shows yours)",
                         s->id, shown, id);
}

bool sess_chan_member(const sess_session_t *s, const sess_chan_t *ch,
                      int seat) {
  switch (ch->kind) {
  case SESS_CHAN_ALL:
  case SESS_CHAN_PRESS:
    return true;
  case SESS_CHAN_TEAM:
  case SESS_CHAN_CONTROL:
    return seat == ch->a;
  case SESS_CHAN_DM:
    return seat == ch->a || seat == ch->b;
  case SESS_CHAN_OPENED:
    return seat >= 0 && (size_t)seat < s->n_seats &&
           s->channels[ch->opened].members[seat];
  }
  return false;
}

bool sess_chan_sub_reads(const sess_session_t *s, const sess_chan_t *ch,
                         const sess_sub_t *sub) {
  if (sub->admin || ch->kind == SESS_CHAN_ALL || ch->kind == SESS_CHAN_PRESS)
    return true;
  for (size_t i = 0; i < s->n_seats; i++)
    if (sub->seats[i] && sess_chan_member(s, ch, (int)i))
      return true;
  return false;
}

void sess_broadcast_chan(sess_session_t *s, const sess_chan_t *ch,
                         const rpc_peer_t *skip) {
  sess_registry_t *reg = s->reg;
  if (proto_buf_failed(&reg->nbuf))
    return; /* whole or not sent */
  for (size_t i = 0; i < s->n_subs; i++) {
    sess_sub_t *sub = &s->subs[i];
    if (sub->peer == skip || (ch && !sess_chan_sub_reads(s, ch, sub)))
      continue;
    if (replyq_push(&sub->peer->replies, reg->nbuf.data, reg->nbuf.len) == 0)
      reg->counters.notifications++;
  }
}

static const char *chan_kind(sess_chan_kind_t k, const sess_channel_t *c) {
  switch (k) {
  case SESS_CHAN_ALL:
    return "all";
  case SESS_CHAN_PRESS:
    return "press";
  case SESS_CHAN_TEAM:
    return "team";
  case SESS_CHAN_CONTROL:
    return "control";
  case SESS_CHAN_DM:
    return "bilateral";
  case SESS_CHAN_OPENED:
    return c && c->n_members > 2 ? "multilateral" : "bilateral";
  }
  return "";
}

/* {channel, kind, title, members} */
static void pack_chan(msgpack_packer *pk, const sess_session_t *s,
                      const sess_chan_t *ch) {
  const sess_channel_t *c =
      ch->kind == SESS_CHAN_OPENED ? &s->channels[ch->opened] : NULL;
  char title[LAN_CHANNEL_TITLE_BYTES + 64];
  switch (ch->kind) {
  case SESS_CHAN_ALL:
    snprintf(title, sizeof title, "Everyone");
    break;
  case SESS_CHAN_PRESS:
    snprintf(title, sizeof title, "Press");
    break;
  case SESS_CHAN_TEAM:
    snprintf(title, sizeof title, "Team %s", SESS_SEAT_NAME(s, ch->a));
    break;
  case SESS_CHAN_CONTROL:
    snprintf(title, sizeof title, "Control and %s", SESS_SEAT_NAME(s, ch->a));
    break;
  case SESS_CHAN_DM:
    snprintf(title, sizeof title, "%s and %s", SESS_SEAT_NAME(s, ch->a),
             SESS_SEAT_NAME(s, ch->b));
    break;
  case SESS_CHAN_OPENED:
    snprintf(title, sizeof title, "%s", c->title);
    break;
  }
  msgpack_pack_map(pk, 4);
  proto_pack_kv_cstr(pk, "channel", ch->id);
  proto_pack_kv_cstr(pk, "kind", chan_kind(ch->kind, c));
  proto_pack_kv_cstr(pk, "title", title);
  proto_pack_cstr(pk, "members");
  size_t n = 0;
  for (size_t i = 0; i < s->n_seats; i++)
    n += sess_chan_member(s, ch, (int)i);
  msgpack_pack_array(pk, n);
  for (size_t i = 0; i < s->n_seats; i++)
    if (sess_chan_member(s, ch, (int)i))
      proto_pack_cstr(pk, SESS_SEAT_NAME(s, i));
}

static void opened_chan(const sess_session_t *s, size_t i, sess_chan_t *out) {
  memset(out, 0, sizeof *out);
  out->kind = SESS_CHAN_OPENED;
  out->a = out->b = -1;
  out->opened = (int)i;
  snprintf(out->id, sizeof out->id, "%s", s->channels[i].id);
}

/* The members string of the channels table: seat ids, one space apart. */
static char *members_text(const sess_session_t *s, const uint8_t *members) {
  size_t need = 1;
  for (size_t i = 0; i < s->n_seats; i++)
    if (members[i])
      need += strlen(SESS_SEAT_NAME(s, i)) + 1;
  char *t = malloc(need), *p = t;
  if (!t)
    return NULL;
  *p = '\0';
  for (size_t i = 0; i < s->n_seats; i++)
    if (members[i])
      p += sprintf(p, "%s%s", p == t ? "" : " ", SESS_SEAT_NAME(s, i));
  return t;
}

int sess_m_channel_open(rpc_call_t *call) {
  sess_registry_t *reg = sess_call_reg(call);
  sess_session_t *s = sess_call_session(call);
  bool admin;
  int seat;
  const msgpack_object *arr;
  const char *title = NULL;
  uint32_t title_len = 0;
  if (!s || sp_refuse(reg, "channel", call->err) != 0 ||
      sess_call_authorise(call, s, true, true, &admin, &seat) != 0 ||
      proto_param_array(call->params, "members", true, &arr, call->err) < 0 ||
      proto_param_str(call->params, "title", false, &title, &title_len,
                      call->err) < 0)
    return RPC_ERROR;
  if (title && title_len > LAN_CHANNEL_TITLE_BYTES)
    return proto_error_set(call->err, PROTO_TOO_LARGE, "title",
                           "a channel's title may hold at most %u bytes; "
                           "this one has %u",
                           LAN_CHANNEL_TITLE_BYTES, title_len);
  if (s->n_channels >= reg->cfg.max_channels) {
    reg->counters.channels_refused_limit++;
    return proto_error_set(call->err, PROTO_TOO_LARGE, NULL,
                           "session '%s' holds its maximum of %u opened "
                           "channels (--max-channels)",
                           s->id, reg->cfg.max_channels);
  }
  uint8_t *members = calloc(s->n_seats ? s->n_seats : 1, 1);
  if (!members)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  size_t n = 0;
  if (!admin) {
    members[seat] = 1;
    n = 1;
  }
  for (uint32_t k = 0; k < arr->via.array.size; k++) {
    const msgpack_object *m = &arr->via.array.ptr[k];
    int i = m->type == MSGPACK_OBJECT_STR
                ? seat_by_name(s, m->via.str.ptr, m->via.str.size)
                : -1;
    if (i < 0) {
      free(members);
      return proto_error_set(call->err, PROTO_BAD_REQUEST, "members",
                             "members[%u] must be the id of a seat of session "
                             "'%s' (session.list shows them)",
                             k, s->id);
    }
    if (!members[i])
      n++;
    members[i] = 1;
  }
  if (n < (admin ? 1u : 2u)) {
    free(members);
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "members",
                           admin ? "members must name at least one seat"
                                 : "members must name at least one seat "
                                   "besides yours");
  }
  if (n > reg->cfg.max_channel_members) {
    free(members);
    reg->counters.channels_refused_limit++;
    return proto_error_set(call->err, PROTO_TOO_LARGE, "members",
                           "a channel may have at most %u seats "
                           "(--max-channel-members); this one has %zu",
                           reg->cfg.max_channel_members, n);
  }
  sess_channel_t *grown =
      realloc(s->channels, (s->n_channels + 1) * sizeof *s->channels);
  char *mtext = members_text(s, members);
  if (!grown || !mtext) {
    if (grown)
      s->channels = grown;
    free(members);
    free(mtext);
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  }
  s->channels = grown;
  sess_channel_t *c = &s->channels[s->n_channels];
  memset(c, 0, sizeof *c);
  snprintf(c->id, sizeof c->id, "ch:%zu", s->n_channels + 1);
  if (title && title_len > 0) {
    memcpy(c->title, title, title_len);
    c->title[title_len] = '\0';
  } else {
    snprintf(c->title, sizeof c->title, "%.*s", (int)LAN_CHANNEL_TITLE_BYTES,
             mtext);
  }
  c->members = members;
  c->n_members = n;
  sess_chan_t ch;
  opened_chan(s, s->n_channels, &ch);
  if (reg->store) {
    const store_channel_t row = {
        s->id,         c->id, chan_kind(SESS_CHAN_OPENED, c),
        c->title,      mtext, admin ? "admin" : SESS_SEAT_NAME(s, seat),
        sess_wall_ms()};
    if (store_put_channel(reg->store, &row) != 0) {
      free(members);
      free(mtext);
      return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
    }
  }
  free(mtext);
  s->n_channels++;
  reg->counters.channels_opened++;
  pack_chan(call->pk, s, &ch);
  /* Its members (and control) learn of it once it is stored. */
  msgpack_packer *pk = sess_notify_begin(s, "channel.opened", 2);
  proto_pack_cstr(pk, "channel");
  pack_chan(pk, s, &ch);
  proto_pack_kv_cstr(pk, "opened_by",
                     admin ? "admin" : SESS_SEAT_NAME(s, seat));
  sess_tell_chan(s, &ch);
  return RPC_OK_DURABLE;
}

/* The private lines (dm:<A>:<B>) that have carried a message, read from
 * the stored chat (the server keeps no message in memory): those of seat,
 * or every one for the admin (seat < 0), each once, in order of first use.
 * Bounded by the session's stored messages (--max-chat-messages). */
typedef struct dm_lines {
  const sess_session_t *s;
  int seat;
  sess_chan_t *ch;
  size_t n, cap;
} dm_lines_t;

static int on_dm(void *arg, const store_chat_row_t *row, char *err,
                 size_t errlen) {
  dm_lines_t *d = arg;
  (void)err, (void)errlen;
  if (!row->channel || strncmp(row->channel, "dm:", 3) != 0)
    return 0;
  for (size_t i = 0; i < d->n; i++)
    if (strcmp(d->ch[i].id, row->channel) == 0)
      return 0;
  sess_chan_t c;
  proto_error_t perr;
  if (sess_chan_parse(d->s, row->channel, strlen(row->channel), &c, &perr) !=
          0 ||
      (d->seat >= 0 && !sess_chan_member(d->s, &c, d->seat)))
    return 0;
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 8;
    sess_chan_t *grown = realloc(d->ch, cap * sizeof *grown);
    if (!grown)
      return -1;
    d->ch = grown;
    d->cap = cap;
  }
  d->ch[d->n++] = c;
  return 0;
}

int sess_m_channels_list(rpc_call_t *call) {
  sess_session_t *s = sess_call_session(call);
  bool admin = false;
  int seat = -1;
  /* An observer (issue 13) reads the public channels: all and press. */
  bool observer = s && sess_call_observer(call, s) >= 0;
  if (!s || (!observer &&
             sess_call_authorise(call, s, true, true, &admin, &seat) != 0))
    return RPC_ERROR;
  sess_chan_t ch[2];
  sess_chan_of_to(s, 0, -1, &ch[0]);
  ch[1] = ch[0];
  ch[1].kind = SESS_CHAN_PRESS;
  snprintf(ch[1].id, sizeof ch[1].id, "press");
  if (observer) {
    msgpack_pack_array(call->pk, 2);
    pack_chan(call->pk, s, &ch[0]);
    pack_chan(call->pk, s, &ch[1]);
    return RPC_OK;
  }
  dm_lines_t dm = {.s = s, .seat = admin ? -1 : seat};
  char err[512];
  if (s->reg->store && store_read_chat_after(s->reg->store, s->id, 0, on_dm,
                                             &dm, err, sizeof err) != 0) {
    free(dm.ch);
    log_sess(LOG_LEVEL_ERROR, s->id, NULL, "channels.list: %s", err);
    return proto_error_set(call->err, PROTO_UNAVAILABLE, NULL,
                           "the channels cannot be read now; try again");
  }
  size_t n = 2 + (admin ? 2 * s->n_seats : 2) + dm.n;
  for (size_t i = 0; i < s->n_channels; i++)
    n += admin || s->channels[i].members[seat];
  msgpack_pack_array(call->pk, n);
  pack_chan(call->pk, s, &ch[0]);
  pack_chan(call->pk, s, &ch[1]);
  for (size_t i = 0; i < s->n_seats; i++) {
    if (!admin && (int)i != seat)
      continue;
    sess_chan_t t;
    sess_chan_of_to(s, (int)i, (int)i, &t);
    pack_chan(call->pk, s, &t);
    sess_chan_of_to(s, -1, (int)i, &t);
    pack_chan(call->pk, s, &t);
  }
  for (size_t i = 0; i < s->n_channels; i++) {
    if (!admin && !s->channels[i].members[seat])
      continue;
    sess_chan_t t;
    opened_chan(s, i, &t);
    pack_chan(call->pk, s, &t);
  }
  for (size_t i = 0; i < dm.n; i++)
    pack_chan(call->pk, s, &dm.ch[i]);
  free(dm.ch);
  return RPC_OK;
}

/* chat.history: the messages the caller may read, read back from the
 * store (the server keeps none in memory), a page at a time. */
typedef struct history {
  sess_session_t *s;
  bool admin;
  int seat;
  const sess_chan_t *only; /* NULL: every channel the caller reads */
  uint64_t limit, n;
  proto_buf_t buf;
  msgpack_packer pk;
} history_t;

static int on_chat(void *arg, const store_chat_row_t *row, char *err,
                   size_t errlen) {
  history_t *h = arg;
  (void)err;
  (void)errlen;
  sess_chan_t ch;
  proto_error_t ignored;
  if (h->only ? strcmp(row->channel, h->only->id) != 0
              : sess_chan_parse(h->s, row->channel, strlen(row->channel), &ch,
                                &ignored) != 0 ||
                    !(h->admin || sess_chan_member(h->s, &ch, h->seat)))
    return 0;
  msgpack_pack_map(&h->pk, 7);
  proto_pack_kv_i64(&h->pk, "id", row->id);
  proto_pack_kv_cstr(&h->pk, "channel", row->channel);
  proto_pack_kv_i64(&h->pk, "turn", row->turn);
  proto_pack_kv_cstr(&h->pk, "from", row->from);
  proto_pack_kv_cstr(&h->pk, "to", row->to);
  proto_pack_cstr(&h->pk, "text");
  proto_pack_str(&h->pk, row->text, row->len);
  proto_pack_kv_i64(&h->pk, "created_ms", row->created_ms);
  return ++h->n >= h->limit ? STORE_STOP : 0;
}

int sess_m_chat_history(rpc_call_t *call) {
  sess_registry_t *reg = sess_call_reg(call);
  sess_session_t *s = sess_call_session(call);
  history_t h;
  memset(&h, 0, sizeof h);
  const char *ch_s = NULL;
  uint32_t ch_len = 0;
  int64_t after = 0, limit = reg->cfg.chat_history_max;
  /* An observer (issue 13) reads the public channels (seat -1 is a member
   * of all and press only). */
  bool observer = s && sess_call_observer(call, s) >= 0;
  h.seat = -1;
  if (!s ||
      (!observer &&
       sess_call_authorise(call, s, true, true, &h.admin, &h.seat) != 0) ||
      proto_param_str(call->params, "channel", false, &ch_s, &ch_len,
                      call->err) < 0 ||
      proto_param_i64(call->params, "after", false, &after, call->err) < 0 ||
      proto_param_i64(call->params, "limit", false, &limit, call->err) < 0)
    return RPC_ERROR;
  if (after < 0)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "after",
                           "after must be a message id (0 or more: the "
                           "messages after it are sent)");
  if (limit < 1)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "limit",
                           "limit must be at least 1");
  if (limit > reg->cfg.chat_history_max) {
    reg->counters.chat_history_refused_limit++;
    return proto_error_set(call->err, PROTO_TOO_LARGE, "limit",
                           "limit may be at most %u (--chat-history-max); "
                           "page on with 'after'",
                           reg->cfg.chat_history_max);
  }
  sess_chan_t only;
  if (ch_s) {
    if (sess_chan_parse(s, ch_s, ch_len, &only, call->err) != 0)
      return RPC_ERROR;
    if (observer && !sess_chan_member(s, &only, -1)) {
      reg->counters.forbidden++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "channel",
                             "an observer reads the public channels only "
                             "(all, press); '%s' is not one",
                             only.id);
    }
    if (!h.admin && !sess_chan_member(s, &only, h.seat)) {
      reg->counters.forbidden++;
      return proto_error_set(call->err, PROTO_FORBIDDEN, "channel",
                             "seat '%s' is not a member of channel '%s'",
                             SESS_SEAT_NAME(s, h.seat), only.id);
    }
    h.only = &only;
  }
  h.s = s;
  h.limit = (uint64_t)limit;
  proto_buf_init(&h.buf);
  proto_packer_init(&h.pk, &h.buf);
  char err[512];
  if (reg->store && store_read_chat_after(reg->store, s->id, after, on_chat, &h,
                                          err, sizeof err) != 0) {
    proto_buf_free(&h.buf);
    log_sess(LOG_LEVEL_ERROR, s->id, NULL, "chat.history: %s", err);
    return proto_error_set(call->err, PROTO_UNAVAILABLE, NULL,
                           "the chat history cannot be read now; try again");
  }
  if (proto_buf_failed(&h.buf)) {
    proto_buf_free(&h.buf);
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  }
  msgpack_pack_array(call->pk, h.n);
  if (h.buf.len)
    call->pk->callback(call->pk->data, h.buf.data, h.buf.len);
  proto_buf_free(&h.buf);
  return RPC_OK;
}

/* ---- Negotiation ------------------------------------------------------ */

/* Decode a stored offer (our own canonical bytes, or scanned by the store)
 * into an order. 0, or -1. */
static int terms_order(const uint8_t *terms, size_t len, model_order_t *o,
                       model_refusal_t *r) {
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t off = 0;
  int rc = -1;
  if (msgpack_unpack_next(&u, (const char *)terms, len, &off) ==
      MSGPACK_UNPACK_SUCCESS)
    rc = proto_order_parse(&u.data, o, r);
  else
    snprintf(r->message, sizeof r->message, "the stored terms cannot be read");
  msgpack_unpacked_destroy(&u);
  return rc;
}

/* The offer of a contract.propose or contract.counter: the call's params
 * but its own (session, token, negotiation) as a contract_propose order by
 * `author` to `other` (`id`: the given one, else dflt_id), checked by the
 * model; packed canonically into out. 0, or -1 with call->err. */
static int offer(rpc_call_t *call, sess_session_t *s, int author, int other,
                 const char *dflt_id, model_order_t *o, proto_buf_t *out) {
  const msgpack_object *p = call->params;
  static const char *const SKIP[] = {"session",     "token", "admin_token",
                                     "negotiation", "op",    "to"};
  uint32_t n = p->via.map.size;
  msgpack_object_kv *kv = calloc(n + 3, sizeof *kv);
  if (!kv)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  uint32_t k = 0;
  bool has_id = false;
#define KV_STR(K, V)                                                           \
  do {                                                                         \
    kv[k].key.type = MSGPACK_OBJECT_STR;                                       \
    kv[k].key.via.str.ptr = (K);                                               \
    kv[k].key.via.str.size = (uint32_t)strlen(K);                              \
    kv[k].val.type = MSGPACK_OBJECT_STR;                                       \
    kv[k].val.via.str.ptr = (V);                                               \
    kv[k].val.via.str.size = (uint32_t)strlen(V);                              \
    k++;                                                                       \
  } while (0)
  KV_STR("op", "contract_propose");
  KV_STR("to", SESS_SEAT_NAME(s, other));
  for (uint32_t i = 0; i < n; i++) {
    const msgpack_object *key = &p->via.map.ptr[i].key;
    bool skip = key->type != MSGPACK_OBJECT_STR;
    for (size_t j = 0; !skip && j < sizeof SKIP / sizeof SKIP[0]; j++)
      skip = key->via.str.size == strlen(SKIP[j]) &&
             memcmp(key->via.str.ptr, SKIP[j], key->via.str.size) == 0;
    if (skip)
      continue;
    has_id |= key->via.str.size == 2 && memcmp(key->via.str.ptr, "id", 2) == 0;
    kv[k++] = p->via.map.ptr[i];
  }
  if (!has_id)
    KV_STR("id", dflt_id);
#undef KV_STR
  msgpack_object map = {.type = MSGPACK_OBJECT_MAP};
  map.via.map.size = k;
  map.via.map.ptr = kv;
  model_refusal_t r;
  memset(&r, 0, sizeof r);
  int rc = proto_order_parse(&map, o, &r);
  free(kv);
  if (rc == 0)
    rc = model_contract_check(s->st, author, o, &r);
  if (rc != 0)
    return proto_error_set(
        call->err, PROTO_INVALID_ORDER, r.field[0] ? r.field : NULL, "%s",
        r.message[0] ? r.message : "the terms are not a contract");
  msgpack_packer pk;
  proto_packer_init(&pk, out);
  if (proto_pack_order(&pk, o) != 0 || proto_buf_failed(out))
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  return 0;
}

static sess_nego_t *find_nego(rpc_call_t *call, sess_session_t *s) {
  const char *id;
  uint32_t len;
  if (proto_param_str(call->params, "negotiation", true, &id, &len, call->err) <
      0)
    return NULL;
  for (size_t i = 0; i < s->n_negos; i++)
    if (strlen(s->negos[i].id) == len && memcmp(s->negos[i].id, id, len) == 0)
      return &s->negos[i];
  proto_error_set(call->err, PROTO_NOT_FOUND, "negotiation",
                  "session '%s' has no negotiation '%.*s' "
                  "(contract.negotiations lists yours)",
                  s->id, (int)(len > 32 ? 32 : len), id);
  return NULL;
}

static const sess_nego_step_t *last_step(const sess_nego_t *n) {
  return &n->steps[n->n_steps - 1];
}

/* The step in memory (terms copied): 0, or -1 out of memory. */
static int add_step(sess_session_t *s, sess_nego_t *n, const char *action,
                    int seat, int turn, int64_t t_ms, const uint8_t *terms,
                    size_t len) {
  sess_nego_step_t *grown =
      realloc(n->steps, (n->n_steps + 1) * sizeof *n->steps);
  if (!grown)
    return -1;
  n->steps = grown;
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy)
    return -1;
  memcpy(copy, terms, len);
  sess_nego_step_t *st = &n->steps[n->n_steps++];
  memset(st, 0, sizeof *st);
  snprintf(st->action, sizeof st->action, "%s", action);
  st->seat = seat;
  st->turn = turn;
  st->t_ms = t_ms;
  st->terms = copy;
  st->terms_len = len;
  s->n_nego_steps++;
  return 0;
}

static void pack_offer(msgpack_packer *pk, const sess_nego_step_t *st) {
  pk->callback(pk->data, (const char *)st->terms, st->terms_len);
}

static void pack_nego(msgpack_packer *pk, const sess_session_t *s,
                      const sess_nego_t *n) {
  msgpack_pack_map(pk, 8);
  proto_pack_kv_cstr(pk, "negotiation", n->id);
  proto_pack_kv_cstr(pk, "from", SESS_SEAT_NAME(s, n->a));
  proto_pack_kv_cstr(pk, "to", SESS_SEAT_NAME(s, n->b));
  proto_pack_kv_cstr(pk, "author", SESS_SEAT_NAME(s, n->author));
  proto_pack_cstr(pk, "terms");
  pack_offer(pk, last_step(n));
  proto_pack_kv_cstr(pk, "status", NEGO_STATUS[n->status]);
  proto_pack_cstr(pk, "turn");
  if (n->status == SESS_NEGO_ACCEPTED)
    msgpack_pack_int64(pk, n->accepted_turn);
  else
    msgpack_pack_nil(pk);
  proto_pack_cstr(pk, "history");
  msgpack_pack_array(pk, n->n_steps);
  for (size_t i = 0; i < n->n_steps; i++) {
    const sess_nego_step_t *st = &n->steps[i];
    msgpack_pack_map(pk, 5);
    proto_pack_kv_cstr(pk, "action", st->action);
    proto_pack_kv_cstr(pk, "seat", SESS_SEAT_NAME(s, st->seat));
    proto_pack_kv_i64(pk, "turn", st->turn);
    proto_pack_kv_i64(pk, "t_ms", st->t_ms);
    proto_pack_cstr(pk, "terms");
    pack_offer(pk, st);
  }
}

/* Store the step just added to n, answer {negotiation, status[, turn]}
 * and tell both parties and control (contract.updated) after the
 * commit. */
static int step_done(rpc_call_t *call, sess_session_t *s, sess_nego_t *n) {
  sess_registry_t *reg = s->reg;
  const sess_nego_step_t *st = last_step(n);
  int other = n->author == n->a ? n->b : n->a;
  if (reg->store) {
    const store_negotiation_step_t row = {s->id,
                                          n->id,
                                          st->turn,
                                          st->action,
                                          SESS_SEAT_NAME(s, st->seat),
                                          SESS_SEAT_NAME(s, n->author),
                                          SESS_SEAT_NAME(s, other),
                                          st->terms,
                                          st->terms_len,
                                          st->t_ms};
    if (store_put_negotiation_step(reg->store, &row) != 0)
      log_sess(LOG_LEVEL_ERROR, s->id, NULL,
               "out of memory queueing a negotiation step");
  }
  reg->counters.negotiation_steps++;
  bool acc = n->status == SESS_NEGO_ACCEPTED;
  msgpack_pack_map(call->pk, acc ? 3 : 2);
  proto_pack_kv_cstr(call->pk, "negotiation", n->id);
  proto_pack_kv_cstr(call->pk, "status", NEGO_STATUS[n->status]);
  if (acc)
    proto_pack_kv_i64(call->pk, "turn", n->accepted_turn);
  msgpack_packer *pk = sess_notify_begin(s, "contract.updated", 3);
  proto_pack_kv_cstr(pk, "action", st->action);
  proto_pack_kv_cstr(pk, "seat", SESS_SEAT_NAME(s, st->seat));
  proto_pack_cstr(pk, "negotiation");
  pack_nego(pk, s, n);
  sess_chan_t parties;
  chan_dm(s, n->a, n->b, &parties);
  sess_tell_chan(s, &parties);
  return RPC_OK_DURABLE;
}

/* The common checks of a step by a seat: the session still plays, and
 * the session may take one more step. */
static sess_session_t *nego_call(rpc_call_t *call, int *seat) {
  sess_registry_t *reg = sess_call_reg(call);
  sess_session_t *s = sess_call_session(call);
  bool admin;
  if (!s || sp_refuse(reg, "negotiation step", call->err) != 0 ||
      sess_call_authorise(call, s, false, true, &admin, seat) != 0)
    return NULL;
  if (s->status == SESS_FINISHED) {
    proto_error_set(call->err, PROTO_CONFLICT, NULL,
                    "session '%s' is finished; no contract can start", s->id);
    return NULL;
  }
  if (s->n_nego_steps >= reg->cfg.max_negotiation_steps) {
    reg->counters.negotiations_refused_limit++;
    proto_error_set(call->err, PROTO_TOO_LARGE, NULL,
                    "session '%s' holds its maximum of %u negotiation steps "
                    "(--max-negotiation-steps)",
                    s->id, reg->cfg.max_negotiation_steps);
    return NULL;
  }
  return s;
}

int sess_m_contract_propose(rpc_call_t *call) {
  int seat, to;
  sess_session_t *s = nego_call(call, &seat);
  if (!s || sess_call_seat(call, s, "to", &to) != 0)
    return RPC_ERROR;
  if (to == seat)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "to",
                           "to must be the id of another seat");
  char id[16];
  snprintf(id, sizeof id, "n%zu", s->n_negos + 1);
  model_order_t o;
  proto_buf_t terms;
  proto_buf_init(&terms);
  if (offer(call, s, seat, to, id, &o, &terms) != 0) {
    proto_buf_free(&terms);
    return RPC_ERROR;
  }
  sess_nego_t *grown = realloc(s->negos, (s->n_negos + 1) * sizeof *s->negos);
  if (!grown) {
    proto_buf_free(&terms);
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  }
  s->negos = grown;
  sess_nego_t *n = &s->negos[s->n_negos];
  memset(n, 0, sizeof *n);
  snprintf(n->id, sizeof n->id, "%s", id);
  n->a = n->author = seat;
  n->b = to;
  n->status = SESS_NEGO_OPEN;
  n->accepted_turn = -1;
  if (add_step(s, n, "propose", seat, model_state_turn(s->st), sess_wall_ms(),
               (const uint8_t *)terms.data, terms.len) != 0) {
    free(n->steps);
    proto_buf_free(&terms);
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  }
  proto_buf_free(&terms);
  s->n_negos++;
  return step_done(call, s, n);
}

/* A party that may answer the offer in force: the one who did not make
 * it, while the negotiation is open. */
static sess_nego_t *answerable(rpc_call_t *call, sess_session_t *s, int seat) {
  sess_nego_t *n = find_nego(call, s);
  if (!n)
    return NULL;
  if (seat != n->a && seat != n->b) {
    s->reg->counters.forbidden++;
    proto_error_set(call->err, PROTO_FORBIDDEN, "negotiation",
                    "negotiation '%s' is between %s and %s; seat '%s' is not "
                    "a party",
                    n->id, SESS_SEAT_NAME(s, n->a), SESS_SEAT_NAME(s, n->b),
                    SESS_SEAT_NAME(s, seat));
    return NULL;
  }
  if (n->status == SESS_NEGO_ACCEPTED || n->status == SESS_NEGO_WITHDRAWN) {
    proto_error_set(call->err, PROTO_CONFLICT, "negotiation",
                    "negotiation '%s' is %s; propose anew", n->id,
                    NEGO_STATUS[n->status]);
    return NULL;
  }
  return n;
}

/* The preamble of contract.counter and contract.accept: the caller's
 * session and seat, and the negotiation whose offer in force it may answer
 * and did not make (`accept` picks the message that says who may). */
static sess_nego_t *answer_call(rpc_call_t *call, bool accept,
                                sess_session_t **sp, int *seat) {
  sess_session_t *s = nego_call(call, seat);
  sess_nego_t *n = s ? answerable(call, s, *seat) : NULL;
  if (!n)
    return NULL;
  if (*seat == n->author) {
    if (accept)
      proto_error_set(call->err, PROTO_CONFLICT, "negotiation",
                      "the offer in force in '%s' is yours; only %s may "
                      "accept it",
                      n->id,
                      SESS_SEAT_NAME(s, n->author == n->a ? n->b : n->a));
    else
      proto_error_set(call->err, PROTO_CONFLICT, "negotiation",
                      "the offer in force in '%s' is yours; wait for "
                      "the other party's answer, or withdraw",
                      n->id);
    return NULL;
  }
  *sp = s;
  return n;
}

int sess_m_contract_counter(rpc_call_t *call) {
  int seat;
  sess_session_t *s = NULL;
  sess_nego_t *n = answer_call(call, false, &s, &seat);
  if (!n)
    return RPC_ERROR;
  model_order_t cur, o;
  model_refusal_t r;
  if (terms_order(last_step(n)->terms, last_step(n)->terms_len, &cur, &r) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "%s", r.message);
  proto_buf_t terms;
  proto_buf_init(&terms);
  if (offer(call, s, seat, n->author, cur.contract, &o, &terms) != 0) {
    proto_buf_free(&terms);
    return RPC_ERROR;
  }
  if (add_step(s, n, "counter", seat, model_state_turn(s->st), sess_wall_ms(),
               (const uint8_t *)terms.data, terms.len) != 0) {
    proto_buf_free(&terms);
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  }
  proto_buf_free(&terms);
  n->author = seat;
  n->status = SESS_NEGO_COUNTERED;
  return step_done(call, s, n);
}

int sess_m_contract_accept(rpc_call_t *call) {
  int seat;
  sess_session_t *s = NULL;
  sess_nego_t *n = answer_call(call, true, &s, &seat);
  if (!n)
    return RPC_ERROR;
  if (s->held)
    return proto_error_set(call->err, PROTO_CONFLICT, "negotiation",
                           "turn %d is resolved and held for control's "
                           "review; accept once control has released it (the "
                           "contract then delivers from the next turn)",
                           model_state_turn(s->st));
  /* The terms are judged again against the game as it stands now (a turn
   * may have passed since they were offered). */
  const sess_nego_step_t *cur = last_step(n);
  model_order_t o;
  model_refusal_t r;
  memset(&r, 0, sizeof r);
  if (terms_order(cur->terms, cur->terms_len, &o, &r) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "%s", r.message);
  if (model_contract_check(s->st, n->author, &o, &r) != 0)
    return proto_error_set(call->err, PROTO_INVALID_ORDER,
                           r.field[0] ? r.field : NULL,
                           "the offer no longer stands: %s", r.message);
  int turn = model_state_turn(s->st);
  for (size_t i = 0; i < s->n_negos; i++) {
    const sess_nego_t *m = &s->negos[i];
    model_order_t mo;
    if (m != n && m->status == SESS_NEGO_ACCEPTED && m->accepted_turn == turn &&
        m->author == n->author &&
        terms_order(last_step(m)->terms, last_step(m)->terms_len, &mo, &r) ==
            0 &&
        strcmp(mo.contract, o.contract) == 0)
      return proto_error_set(call->err, PROTO_CONFLICT, "id",
                             "%s already signs a contract \"%s\" this turn "
                             "(negotiation '%s'); counter with another id",
                             SESS_SEAT_NAME(s, n->author), o.contract, m->id);
  }
  if (add_step(s, n, "accept", seat, turn, sess_wall_ms(), cur->terms,
               cur->terms_len) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  n->status = SESS_NEGO_ACCEPTED;
  n->accepted_turn = turn;
  n->accepted_seq = s->n_nego_steps;
  return step_done(call, s, n);
}

int sess_m_contract_withdraw(rpc_call_t *call) {
  int seat;
  sess_session_t *s = nego_call(call, &seat);
  sess_nego_t *n = s ? find_nego(call, s) : NULL;
  if (!n)
    return RPC_ERROR;
  if (n->status == SESS_NEGO_ACCEPTED)
    return proto_error_set(
        call->err, PROTO_CONFLICT, "negotiation",
        "negotiation '%s' was accepted: it is a contract now; a party leaves "
        "it with a contract_withdraw order (docs/protocol.md \"Contracts\")",
        n->id);
  n = answerable(call, s, seat);
  if (!n)
    return RPC_ERROR;
  const sess_nego_step_t *cur = last_step(n);
  if (add_step(s, n, "withdraw", seat, model_state_turn(s->st), sess_wall_ms(),
               cur->terms, cur->terms_len) != 0)
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  n->status = SESS_NEGO_WITHDRAWN;
  return step_done(call, s, n);
}

int sess_m_contract_negotiations(rpc_call_t *call) {
  sess_session_t *s = sess_call_session(call);
  bool admin;
  int seat;
  if (!s || sess_call_authorise(call, s, true, true, &admin, &seat) != 0)
    return RPC_ERROR;
  size_t n = 0;
  for (size_t i = 0; i < s->n_negos; i++)
    n += admin || s->negos[i].a == seat || s->negos[i].b == seat;
  msgpack_pack_array(call->pk, n);
  for (size_t i = 0; i < s->n_negos; i++)
    if (admin || s->negos[i].a == seat || s->negos[i].b == seat)
      pack_nego(call->pk, s, &s->negos[i]);
  return RPC_OK;
}

void sess_comms_sign(sess_session_t *s, model_state_t *state, bool count) {
  int turn = model_state_turn(state);
  /* In the order accepted: the accept steps' order across negotiations,
   * which is the order of negotiation_steps' rows (replay's order). */
  size_t total = 0;
  for (size_t i = 0; i < s->n_negos; i++)
    total += s->negos[i].status == SESS_NEGO_ACCEPTED &&
             s->negos[i].accepted_turn == turn;
  while (total-- > 0) {
    /* The next one: the smallest accepted_seq not signed yet. */
    sess_nego_t *next = NULL;
    for (size_t i = 0; i < s->n_negos; i++) {
      sess_nego_t *n = &s->negos[i];
      if (n->status == SESS_NEGO_ACCEPTED && n->accepted_turn == turn &&
          !n->signing && (!next || n->accepted_seq < next->accepted_seq))
        next = n;
    }
    if (!next)
      break;
    next->signing = true;
    model_order_t o;
    model_refusal_t r;
    memset(&r, 0, sizeof r);
    const sess_nego_step_t *st = last_step(next);
    int rc = terms_order(st->terms, st->terms_len, &o, &r);
    if (rc == 0)
      rc = model_contract_sign(state, next->author, &o, &r);
    if (rc == 0 && count)
      s->reg->counters.contracts_signed++;
    else
      log_sess(LOG_LEVEL_WARN, s->id, SESS_SEAT_NAME(s, next->author),
               "negotiation %s: the contract agreed in turn %d cannot start: "
               "%s",
               next->id, turn, rc > 0 ? r.message : model_strerror(rc));
  }
  for (size_t i = 0; i < s->n_negos; i++)
    s->negos[i].signing = false;
}

/* ---- Restore, reset, free --------------------------------------------- */

static int on_channel(void *arg, const store_channel_row_t *row, char *err,
                      size_t errlen) {
  sess_session_t *s = arg;
  sess_channel_t *grown =
      realloc(s->channels, (s->n_channels + 1) * sizeof *s->channels);
  if (!grown) {
    snprintf(err, errlen, "out of memory restoring channels");
    return -1;
  }
  s->channels = grown;
  sess_channel_t *c = &s->channels[s->n_channels];
  memset(c, 0, sizeof *c);
  if (!(c->members = calloc(s->n_seats ? s->n_seats : 1, 1))) {
    snprintf(err, errlen, "out of memory restoring channels");
    return -1;
  }
  snprintf(c->id, sizeof c->id, "%s", row->channel);
  snprintf(c->title, sizeof c->title, "%s", row->title);
  s->n_channels++; /* freed with the session from here on */
  for (const char *p = row->members; *p;) {
    const char *e = strchr(p, ' ');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    int i = seat_by_name(s, p, len);
    if (i < 0) {
      snprintf(err, errlen,
               "a row of table channels of session %s is damaged: channel "
               "%s names a seat '%.*s' the map does not have",
               s->id, row->channel, (int)(len > 64 ? 64 : len), p);
      return STORE_DAMAGED;
    }
    c->n_members += !c->members[i];
    c->members[i] = 1;
    p += len + (e != NULL);
  }
  return 0;
}

/* The status a step read back (restore) or copied (fork) leaves its
 * negotiation in: countered, accepted from `turn` as the `seq`th step of
 * the session, or withdrawn; a proposal leaves it as it is. */
static void nego_replay(sess_nego_t *n, const char *action, int turn,
                        size_t seq) {
  if (strcmp(action, "counter") == 0) {
    n->status = SESS_NEGO_COUNTERED;
  } else if (strcmp(action, "accept") == 0) {
    n->status = SESS_NEGO_ACCEPTED;
    n->accepted_turn = turn;
    n->accepted_seq = seq;
  } else if (strcmp(action, "withdraw") == 0) {
    n->status = SESS_NEGO_WITHDRAWN;
  }
}

static int on_step(void *arg, const store_negotiation_row_t *row, char *err,
                   size_t errlen) {
  sess_session_t *s = arg;
  int seat = seat_by_name(s, row->seat, strlen(row->seat));
  int author = seat_by_name(s, row->author, strlen(row->author));
  int other = seat_by_name(s, row->counterparty, strlen(row->counterparty));
  if (seat < 0 || author < 0 || other < 0) {
    snprintf(err, errlen,
             "a row of table negotiation_steps of session %s is damaged: "
             "step #%lld names a seat the map does not have",
             s->id, (long long)row->id);
    return STORE_DAMAGED;
  }
  sess_nego_t *n = NULL;
  for (size_t i = 0; i < s->n_negos && !n; i++)
    if (strcmp(s->negos[i].id, row->negotiation) == 0)
      n = &s->negos[i];
  if (!n) {
    sess_nego_t *grown = realloc(s->negos, (s->n_negos + 1) * sizeof *s->negos);
    if (!grown) {
      snprintf(err, errlen, "out of memory restoring negotiations");
      return -1;
    }
    s->negos = grown;
    n = &s->negos[s->n_negos++];
    memset(n, 0, sizeof *n);
    snprintf(n->id, sizeof n->id, "%s", row->negotiation);
    n->a = author;
    n->b = other;
    n->accepted_turn = -1;
  }
  if (add_step(s, n, row->action, seat, row->turn, row->created_ms, row->terms,
               row->terms_len) != 0) {
    snprintf(err, errlen, "out of memory restoring negotiations");
    return -1;
  }
  n->author = author;
  nego_replay(n, row->action, row->turn, s->n_nego_steps);
  return 0;
}

int sess_comms_restore(sess_session_t *s, char *err, size_t errlen) {
  store_t *st = s->reg->store;
  int rc;
  if ((rc = store_read_channels(st, s->id, on_channel, s, err, errlen)) != 0)
    return rc;
  return store_read_negotiation_steps(st, s->id, -1, on_step, s, err, errlen);
}

int sess_comms_fork(sess_session_t *f, const sess_session_t *s, int turn) {
  if (s->n_channels) {
    f->channels = calloc(s->n_channels, sizeof *f->channels);
    if (!f->channels)
      return -1;
    for (size_t i = 0; i < s->n_channels; i++) {
      sess_channel_t *c = &f->channels[i];
      *c = s->channels[i];
      if (!(c->members = malloc(s->n_seats ? s->n_seats : 1)))
        return -1; /* the ones before are f's, freed with it */
      memcpy(c->members, s->channels[i].members, s->n_seats);
      f->n_channels++;
    }
  }
  /* The steps before `turn`, as on_step reads them back: a negotiation
   * keeps the status its last copied step gives it. Negotiations are
   * numbered as they start, so those copied are n1..nk and the fork's
   * next one is n(k+1). */
  for (size_t i = 0; i < s->n_negos; i++) {
    const sess_nego_t *o = &s->negos[i];
    if (o->n_steps == 0 || o->steps[0].turn >= turn)
      continue;
    sess_nego_t *grown = realloc(f->negos, (f->n_negos + 1) * sizeof *grown);
    if (!grown)
      return -1;
    f->negos = grown;
    sess_nego_t *n = &f->negos[f->n_negos++];
    memset(n, 0, sizeof *n);
    snprintf(n->id, sizeof n->id, "%s", o->id);
    n->a = n->author = o->a;
    n->b = o->b;
    n->status = SESS_NEGO_OPEN;
    n->accepted_turn = -1;
    for (size_t k = 0; k < o->n_steps && o->steps[k].turn < turn; k++) {
      const sess_nego_step_t *st = &o->steps[k];
      if (add_step(f, n, st->action, st->seat, st->turn, st->t_ms, st->terms,
                   st->terms_len) != 0)
        return -1;
      if (strcmp(st->action, "counter") == 0)
        n->author = st->seat;
      /* The original's order of acceptance is the fork's. */
      nego_replay(n, st->action, st->turn, o->accepted_seq);
    }
  }
  return 0;
}

void sess_comms_reset(sess_session_t *s) {
  for (size_t i = 0; i < s->n_negos; i++) {
    for (size_t k = 0; k < s->negos[i].n_steps; k++)
      free(s->negos[i].steps[k].terms);
    free(s->negos[i].steps);
  }
  free(s->negos);
  s->negos = NULL;
  s->n_negos = s->n_nego_steps = 0;
}

void sess_comms_free(sess_session_t *s) {
  sess_comms_reset(s);
  for (size_t i = 0; i < s->n_channels; i++)
    free(s->channels[i].members);
  free(s->channels);
  s->channels = NULL;
  s->n_channels = 0;
}

/* ---- The after-action review ------------------------------------------ */

typedef struct timeline {
  uint64_t skip, limit, n;
  msgpack_packer pk;
} timeline_t;

static int on_row(void *arg, const store_timeline_row_t *row, char *err,
                  size_t errlen) {
  timeline_t *t = arg;
  (void)err;
  (void)errlen;
  if (t->skip > 0) {
    t->skip--;
    return 0;
  }
  msgpack_packer *pk = &t->pk;
  msgpack_pack_map(pk, 6);
  proto_pack_kv_i64(pk, "t_ms", row->t_ms);
  proto_pack_kv_i64(pk, "turn", row->turn);
  proto_pack_kv_cstr(pk, "kind", row->kind);
  proto_pack_cstr(pk, "seat");
  if (row->seat[0])
    proto_pack_cstr(pk, row->seat);
  else
    msgpack_pack_nil(pk);
  proto_pack_kv_cstr(pk, "text", row->text);
  proto_pack_cstr(pk, "data");
  /* What the kind adds: its detail under the kind's name for it, and its
   * MessagePack value. */
  const char *dkey = strcmp(row->kind, "message") == 0     ? "channel"
                     : strcmp(row->kind, "contract") == 0  ? "negotiation"
                     : strcmp(row->kind, "orders") == 0    ? "source"
                     : strcmp(row->kind, "inject") == 0    ? "status"
                     : strcmp(row->kind, "amendment") == 0 ? "amendment"
                     : strcmp(row->kind, "fork") == 0      ? "forked_from"
                                                           : "detail";
  const char *vkey = strcmp(row->kind, "orders") == 0      ? "orders"
                     : strcmp(row->kind, "inject") == 0    ? "event"
                     : strcmp(row->kind, "amendment") == 0 ? "fields"
                                                           : "terms";
  size_t pairs = (row->detail[0] != '\0') + (row->data != NULL);
  if (pairs == 0) {
    msgpack_pack_nil(pk);
  } else {
    msgpack_pack_map(pk, pairs);
    if (row->detail[0])
      proto_pack_kv_cstr(pk, dkey, row->detail);
    if (row->data) {
      proto_pack_cstr(pk, vkey);
      pk->callback(pk->data, (const char *)row->data, row->data_len);
    }
  }
  return ++t->n >= t->limit ? STORE_STOP : 0;
}

int sess_m_timeline(rpc_call_t *call) {
  sess_registry_t *reg = sess_call_reg(call);
  sess_session_t *s = sess_call_session(call);
  bool admin;
  int seat;
  int64_t from = 0, to = INT32_MAX, offset = 0, limit = reg->cfg.timeline_max;
  int64_t max = limit;
  if (!s || sess_call_authorise(call, s, true, false, &admin, &seat) != 0 ||
      proto_param_i64(call->params, "from_turn", false, &from, call->err) < 0 ||
      proto_param_i64(call->params, "to_turn", false, &to, call->err) < 0 ||
      proto_param_i64(call->params, "offset", false, &offset, call->err) < 0 ||
      proto_param_i64(call->params, "limit", false, &limit, call->err) < 0)
    return RPC_ERROR;
  if (from < 0 || to < from || to > INT32_MAX)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "from_turn",
                           "from_turn and to_turn must be turns with 0 <= "
                           "from_turn <= to_turn");
  if (offset < 0 || limit < 1)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "limit",
                           "offset must be 0 or more and limit at least 1");
  if (limit > max) {
    reg->counters.timeline_refused_limit++;
    return proto_error_set(call->err, PROTO_TOO_LARGE, "limit",
                           "limit may be at most %lld (--timeline-max); page "
                           "on with 'offset'",
                           (long long)max);
  }
  timeline_t t = {(uint64_t)offset, (uint64_t)limit, 0, {0}};
  proto_buf_t buf;
  proto_buf_init(&buf);
  proto_packer_init(&t.pk, &buf);
  char err[512];
  if (reg->store && store_read_timeline(reg->store, s->id, (int)from, (int)to,
                                        on_row, &t, err, sizeof err) != 0) {
    proto_buf_free(&buf);
    log_sess(LOG_LEVEL_ERROR, s->id, NULL, "timeline.get: %s", err);
    return proto_error_set(call->err, PROTO_UNAVAILABLE, NULL,
                           "the timeline cannot be read now; try again");
  }
  if (proto_buf_failed(&buf)) {
    proto_buf_free(&buf);
    return proto_error_set(call->err, PROTO_INTERNAL, NULL, "out of memory");
  }
  msgpack_pack_array(call->pk, t.n);
  if (buf.len)
    call->pk->callback(call->pk->data, buf.data, buf.len);
  proto_buf_free(&buf);
  return RPC_OK;
}
