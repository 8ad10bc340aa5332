/*
 * rpc: decode one complete value, check the envelope, find the method,
 * call its handler and queue the answer in request order. See rpc.h.
 */
#include "rpc.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "lan_assert.h"
#include "log.h"

/* How much of an unknown method's name an error message quotes. */
#define RPC_QUOTE_MAX 64

struct rpc {
  /* The one decoder of the server: the loop is single-threaded and every
   * message is fully handled before the next one is decoded. */
  proto_decoder_t decoder;
  /* Where an answer is packed before it is queued. Kept across messages so
   * that the request path does not allocate. */
  proto_buf_t out;
  msgpack_packer pk;
  /* A second buffer for answers packed outside a handler (deferred
   * completions, error notifications from the connection core), which may run
   * while `out` holds a half-packed answer. */
  proto_buf_t aux;
  msgpack_packer aux_pk;
  const rpc_method_t *methods;
  size_t n_methods;
  void *app;
  conn_counters_t *counters;
  char *names; /* "hello, ping, ..." */
  rpc_peer_closed_fn peer_closed;
  rpc_hold_fn hold;
  void *hold_arg;
  void *peer_closed_arg;
};

void rpc_peer_init(rpc_peer_t *peer, replyq_emit_fn emit, void *ctx) {
  replyq_init(&peer->replies, emit, ctx);
  peer->holds_seat = false;
  peer->addr[0] = '\0';
  peer->watches = NULL;
  peer->n_watches = peer->cap_watches = 0;
}

void rpc_set_hold(rpc_t *rpc, rpc_hold_fn fn, void *arg) {
  rpc->hold = fn;
  rpc->hold_arg = arg;
}

void rpc_set_peer_closed(rpc_t *rpc, rpc_peer_closed_fn fn, void *arg) {
  rpc->peer_closed = fn;
  rpc->peer_closed_arg = arg;
}

void rpc_peer_closed(rpc_t *rpc, rpc_peer_t *peer) {
  if (rpc->peer_closed)
    rpc->peer_closed(rpc->peer_closed_arg, peer);
  replyq_detach(&peer->replies);
}

int rpc_new(rpc_t **out, const rpc_method_t *methods, size_t n, void *app,
            conn_counters_t *counters) {
  rpc_t *rpc = calloc(1, sizeof(*rpc));
  size_t len = 1;

  if (!rpc)
    goto fail;
  if (proto_decoder_init(&rpc->decoder) != 0)
    goto fail_rpc;
  proto_buf_init(&rpc->out);
  proto_packer_init(&rpc->pk, &rpc->out);
  proto_buf_init(&rpc->aux);
  proto_packer_init(&rpc->aux_pk, &rpc->aux);
  rpc->methods = methods;
  rpc->n_methods = n;
  rpc->app = app;
  rpc->counters = counters;

  for (size_t i = 0; i < n; i++)
    len += strlen(methods[i].name) + 2;
  rpc->names = malloc(len);
  if (!rpc->names)
    goto fail_decoder;
  rpc->names[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      strcat(rpc->names, ", ");
    strcat(rpc->names, methods[i].name);
  }
  *out = rpc;
  return 0;

fail_decoder:
  proto_decoder_destroy(&rpc->decoder);
fail_rpc:
  free(rpc);
fail:
  return -1;
}

void rpc_free(rpc_t *rpc) {
  if (!rpc)
    return;
  proto_decoder_destroy(&rpc->decoder);
  proto_buf_free(&rpc->out);
  proto_buf_free(&rpc->aux);
  free(rpc->names);
  free(rpc);
}

/* Queue an error as a response to msgid if it is known, else as the
 * "error" notification. Uses buf/pk, which the caller has reset. */
static int send_error(rpc_t *rpc, rpc_peer_t *peer, proto_buf_t *buf,
                      msgpack_packer *pk, bool msgid_known, uint32_t msgid,
                      const proto_error_t *err) {
  int r;

  proto_buf_reset(buf);
  if (msgid_known) {
    rpc->counters->error_responses++;
    r = proto_pack_error_response(pk, msgid, err);
  } else {
    rpc->counters->error_notifications++;
    r = proto_pack_error_notification(pk, err);
  }
  if (r != 0)
    return -1;
  return replyq_push(&peer->replies, buf->data, buf->len);
}

/* The method table is small and read in order; a sorted table with a
 * binary search can replace this scan when it grows past a few dozen. */
static const rpc_method_t *find_method(const rpc_t *rpc,
                                       const proto_request_t *req) {
  for (size_t i = 0; i < rpc->n_methods; i++)
    if (proto_method_is(req, rpc->methods[i].name))
      return &rpc->methods[i];
  return NULL;
}

static void dispatch(rpc_t *rpc, rpc_peer_t *peer, const proto_request_t *req) {
  const rpc_method_t *m = find_method(rpc, req);
  proto_error_t err;
  rpc_call_t call;
  int r;

  if (!m) {
    int quote =
        req->method_len > RPC_QUOTE_MAX ? RPC_QUOTE_MAX : (int)req->method_len;
    proto_error_set(&err, PROTO_UNKNOWN_METHOD, NULL,
                    "unknown method '%.*s'; this server knows: %s", quote,
                    req->method, rpc->names);
    send_error(rpc, peer, &rpc->out, &rpc->pk, true, req->msgid, &err);
    return;
  }

  memset(&call, 0, sizeof(call));
  call.rpc = rpc;
  call.peer = peer;
  call.app = rpc->app;
  call.msgid = req->msgid;
  call.params = req->params;
  call.pk = &rpc->pk;
  call.err = &err;

  proto_buf_reset(&rpc->out);
  if (proto_pack_response_head(&rpc->pk, req->msgid) != 0) {
    r = proto_error_set(&err, PROTO_INTERNAL, NULL,
                        "the server ran out of memory");
  } else {
    r = m->handler(&call);
  }
  if (r == RPC_DEFERRED) {
    LAN_ASSERT(call.deferred);
    return;
  }
  /* A reply is whole or not sent: a handler that said OK although a pack
   * call failed (out of memory; its result unchecked) left a truncated
   * value in the buffer, which would desynchronise the client's stream.
   * The buffer's sticky error tells, whatever the handler returned. */
  if ((r == RPC_OK || r == RPC_OK_DURABLE) && proto_buf_failed(&rpc->out)) {
    log_event(LOG_LEVEL_WARN,
              "method %s: packing its answer failed; it is answered with an "
              "`internal` error instead",
              m->name);
    r = proto_error_set(&err, PROTO_INTERNAL, NULL,
                        "the server could not pack the whole answer of %s "
                        "(out of memory); ask again",
                        m->name);
  }
  if (r == RPC_OK_DURABLE && rpc->hold) {
    replyq_slot_t *slot = replyq_defer(&peer->replies, req->msgid);
    if (slot) {
      /* On failure the hold function answered `internal` in the slot. */
      if (rpc->hold(rpc->hold_arg, slot, rpc->out.data, rpc->out.len) != 0)
        rpc->counters->error_responses++;
      return;
    }
    r = proto_error_set(&err, PROTO_INTERNAL, NULL,
                        "the server ran out of memory");
  }
  if (r == RPC_OK || r == RPC_OK_DURABLE) {
    replyq_push(&peer->replies, rpc->out.data, rpc->out.len);
    return;
  }
  send_error(rpc, peer, &rpc->out, &rpc->pk, true, req->msgid, &err);
}

rpc_outcome_t rpc_handle(rpc_t *rpc, rpc_peer_t *peer, const uint8_t *msg,
                         size_t len) {
  rpc_outcome_t outcome = RPC_OUT_REJECTED;
  msgpack_object obj;
  proto_request_t req;
  proto_error_t err;
  bool msgid_known;

  if (proto_decode(&rpc->decoder, msg, len, &obj, &err) != 0) {
    send_error(rpc, peer, &rpc->out, &rpc->pk, false, 0, &err);
    goto done;
  }
  if (proto_request_parse(&obj, &req, &msgid_known, &err) != 0) {
    send_error(rpc, peer, &rpc->out, &rpc->pk, msgid_known, req.msgid, &err);
    goto done;
  }
  rpc->counters->requests++;
  outcome = RPC_OUT_REQUEST;
  dispatch(rpc, peer, &req);

done:
  /* Strings in the decoded tree point into msg and its arrays live in the
   * zone: both are done with now. */
  proto_decoder_reset(&rpc->decoder);
  return outcome;
}

int rpc_notify_error(rpc_t *rpc, rpc_peer_t *peer, const proto_error_t *err) {
  return send_error(rpc, peer, &rpc->aux, &rpc->aux_pk, false, 0, err);
}

rpc_deferred_t *rpc_defer(rpc_call_t *call) {
  rpc_deferred_t *d = replyq_defer(&call->peer->replies, call->msgid);

  if (d)
    call->deferred = true;
  return d;
}

int rpc_complete(rpc_t *rpc, rpc_deferred_t *d,
                 int (*pack)(msgpack_packer *pk, void *arg), void *arg) {
  uint32_t msgid = replyq_slot_tag(d);

  proto_buf_reset(&rpc->aux);
  if (proto_pack_response_head(&rpc->aux_pk, msgid) != 0 ||
      pack(&rpc->aux_pk, arg) != 0 || proto_buf_failed(&rpc->aux)) {
    proto_error_t err;

    proto_error_set(&err, PROTO_INTERNAL, NULL,
                    "the server ran out of memory packing the answer");
    return rpc_complete_error(rpc, d, &err);
  }
  return replyq_complete(d, rpc->aux.data, rpc->aux.len);
}

int rpc_complete_error(rpc_t *rpc, rpc_deferred_t *d,
                       const proto_error_t *err) {
  proto_buf_reset(&rpc->aux);
  rpc->counters->error_responses++;
  if (proto_pack_error_response(&rpc->aux_pk, replyq_slot_tag(d), err) != 0)
    return replyq_complete(d, NULL, 0);
  return replyq_complete(d, rpc->aux.data, rpc->aux.len);
}
