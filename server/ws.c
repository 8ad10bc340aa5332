/*
 * ws: the WebSocket side of the --http transport (RFC 6455 framing by
 * Debian's wslay 1.1). After http.c has checked the handshake, the
 * connection joins the core (conn.h) with the ops below, exactly as a
 * TCP connection does, so that methods, limits, deadlines and counters
 * are the same.
 *
 * Input: wslay runs without buffering (wslay_event_config_set_no_buffering)
 * and hands us each data frame's payload; we assemble a message in
 * w->msg, never beyond --max-message (checked at each frame's header,
 * before a byte of it is kept). A complete binary message must hold
 * exactly one MessagePack value (checked with the protocol's own scanner
 * and limits) and is then fed to the core as one chunk. A text message, an
 * empty one, one holding more or less than one value, or one over a limit
 * is a protocol error: the client gets the same "error" notification a TCP
 * client gets, then a close frame whose reason repeats it, and the
 * counter of the cause (closed_invalid, closed_too_large, ...) is bumped.
 *
 * Messages completed while wslay parses a read are set aside (w->rdy) and
 * fed to the core after wslay returns, so that no answer is queued into
 * wslay from inside its own receive call. While the core has stopped
 * reading (ops->read_stop: its output budget for the loop iteration is
 * spent, or its own batch was cut), they stay in rdy and reading stays
 * stopped until the core starts it again, so the core's input never holds
 * more than one read of them. The buffer of a message grows with the
 * bytes that arrive (not with the length a frame header claims) and is
 * given back after a message over 64 KiB, as the core does over TCP.
 *
 * Output: the core's bytes may hold several answers back to back (a batch);
 * each becomes its own binary message. wslay frames them into wout, which
 * is written like net.c writes (try first, then one uv_write in flight).
 * The pongs wslay queues for a client's pings count against --max-output
 * as answers do: a client that pings and never reads is closed there
 * (closed_output_budget), not buffered for without end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lan_assert.h"
#include "log.h"
#include "web_internal.h"

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/* Close codes of RFC 6455, section 7.4.1. */
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_DATA     1003
#define WS_CLOSE_POLICY   1008
#define WS_CLOSE_TOO_BIG  1009

static web_conn_t *ws_of(conn_t *c) {
  return container_of(c, web_conn_t, conn);
}

static void ws_flush(web_conn_t *w);

/* ---- Failing ------------------------------------------------------------ */

/* Record a protocol error found while wslay parses (reported after it
 * returns, see ws_read); the first one wins. */
typedef struct ws_fail {
  uint64_t *counter;
  uint16_t code;
  proto_error_t err;
} ws_fail_t;

static void ws_fail_now(web_conn_t *w, uint64_t *counter, uint16_t code,
                        const proto_error_t *err) {
  size_t n = strlen(err->message);

  w->failed = true;
  w->close_code = code;
  /* A close reason holds at most 123 bytes: cut on a character boundary. */
  if (n > sizeof(w->close_reason) - 1) {
    n = sizeof(w->close_reason) - 1;
    while (n > 0 && ((unsigned char)err->message[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(w->close_reason, err->message, n);
  w->close_reason[n] = '\0';
  log_event(LOG_LEVEL_INFO, "conn %" PRIu64 " (%s, WebSocket): closing: %s",
            w->conn.id, w->conn.name, err->message);
  conn_fail(&w->conn, counter, err);
}

/* A message did not arrive whole within --message-ms. */
static void on_msg_timeout(uv_timer_t *t) {
  web_conn_t *w = t->data;
  conn_counters_t *k = conn_core_counters(web_core(w));
  proto_error_t err;

  if (w->conn.closing || w->failed)
    return;
  proto_error_set(&err, PROTO_BAD_REQUEST, NULL,
                  "a message must arrive whole, from its first byte to its "
                  "last, within %" PRIu64 " ms (--message-ms); the connection "
                  "will be closed",
                  conn_core_config(web_core(w))->message_ms);
  ws_fail_now(w, &k->closed_message_timeout, WS_CLOSE_POLICY, &err);
}

/* ---- wslay callbacks ---------------------------------------------------- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                       int flags, void *user) {
  web_conn_t *w = user;

  (void)flags;
  if (w->rin_len == 0 || w->failed || w->pend_fail_set) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  if (len > w->rin_len)
    len = w->rin_len;
  memcpy(buf, w->rin, len);
  w->rin += len;
  w->rin_len -= len;
  return (ssize_t)len;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data,
                       size_t len, int flags, void *user) {
  web_conn_t *w = user;
  proto_buf_t *b = &w->wout[w->wpend];

  (void)flags;
  if (proto_buf_reserve(b, len) != 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return (ssize_t)len;
}

/* Set w->pend_fail (the first time) for ws_read to report. */
static void ws_defer_fail(web_conn_t *w, ws_fail_t *f) {
  if (w->pend_fail_set || w->failed)
    return;
  w->pend_fail_set = true;
  w->pend_counter = f->counter;
  w->pend_code = f->code;
  w->pend_err = f->err;
}

/* Out of memory while wslay parses: close 1011 (internal error). */
static void ws_defer_oom(web_conn_t *w) {
  conn_counters_t *k = conn_core_counters(web_core(w));
  ws_fail_t f = {&k->closed_error, 1011, {0}};

  proto_error_set(&f.err, PROTO_INTERNAL, NULL, "the server is out of memory");
  ws_defer_fail(w, &f);
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *a,
                           void *user) {
  web_conn_t *w = user;
  conn_counters_t *k = conn_core_counters(web_core(w));
  size_t max = conn_core_config(web_core(w))->max_message;
  ws_fail_t f;

  (void)ctx;
  w->frame_op = a->opcode;
  if (a->opcode >= 0x8 || w->pend_fail_set || w->failed)
    return; /* control frames are wslay's; after an error, nothing */
  if (a->opcode == WSLAY_TEXT_FRAME) {
    f.counter = &k->closed_invalid;
    f.code = WS_CLOSE_DATA;
    proto_error_set(&f.err, PROTO_BAD_REQUEST, NULL,
                    "a text WebSocket message; send each request as one "
                    "binary message holding one MessagePack value");
    ws_defer_fail(w, &f);
    return;
  }
  if (a->opcode == WSLAY_BINARY_FRAME) {
    w->msg.len = 0;
    /* --message-ms, from a message's first frame to its last, as the core
     * times a message over TCP (it sees our messages only whole). */
    uv_timer_start(&w->timer, on_msg_timeout,
                   conn_core_config(web_core(w))->message_ms, 0);
  }
  if (a->payload_length > max || w->msg.len + a->payload_length > max) {
    f.counter = &k->closed_too_large;
    f.code = WS_CLOSE_TOO_BIG;
    proto_error_set(&f.err, PROTO_TOO_LARGE, NULL,
                    "a WebSocket message of more than %zu bytes "
                    "(--max-message); send smaller requests",
                    max);
    ws_defer_fail(w, &f);
    return;
  }
}

static void on_frame_chunk(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_chunk_arg *a,
                           void *user) {
  web_conn_t *w = user;

  (void)ctx;
  if (w->frame_op >= 0x8 || w->frame_op == WSLAY_TEXT_FRAME ||
      w->pend_fail_set || w->failed || a->data_length == 0)
    return;
  /* proto_buf_reserve grows with the bytes that came (doubling);
   * on_frame_start checked the whole frame against --max-message. */
  if (proto_buf_write(&w->msg, (const char *)a->data, a->data_length) != 0)
    ws_defer_oom(w);
}

static void on_msg(wslay_event_context_ptr ctx,
                   const struct wslay_event_on_msg_recv_arg *a, void *user) {
  web_conn_t *w = user;
  proto_buf_t *r = &w->rdy;
  size_t need = sizeof(size_t) + w->msg.len;

  (void)ctx;
  if (a->opcode != WSLAY_BINARY_FRAME || w->pend_fail_set || w->failed)
    return;
  uv_timer_stop(&w->timer);
  /* Set aside, length first, for ws_read to feed after wslay returns. */
  if (proto_buf_reserve(r, need) != 0) {
    ws_defer_oom(w);
    return;
  }
  memcpy(r->data + r->len, &w->msg.len, sizeof(size_t));
  if (w->msg.len > 0)
    memcpy(r->data + r->len + sizeof(size_t), w->msg.data, w->msg.len);
  r->len += need;
  if (w->msg.cap > 65536)
    proto_buf_free(&w->msg);
  else
    proto_buf_reset(&w->msg);
}

static const struct wslay_event_callbacks ws_callbacks = {
    .recv_callback = on_recv,
    .send_callback = on_send,
    .on_frame_recv_start_callback = on_frame_start,
    .on_frame_recv_chunk_callback = on_frame_chunk,
    .on_msg_recv_callback = on_msg,
};

/* ---- Input -------------------------------------------------------------- */

/* One complete binary message: exactly one value, in the limits, goes to
 * the core; anything else is a protocol error. */
static void ws_deliver(web_conn_t *w, const uint8_t *m, size_t len) {
  conn_core_t *core = web_core(w);
  const conn_config_t *cfg = conn_core_config(core);
  conn_counters_t *k = conn_core_counters(core);
  proto_limits_t lim = {cfg->max_message, cfg->max_depth};
  proto_scan_t s;
  proto_scan_result_t r;
  proto_error_t err;
  size_t mlen = 0;

  if (len == 0) {
    proto_error_set(&err, PROTO_BAD_REQUEST, NULL,
                    "an empty WebSocket message; each binary message holds "
                    "one MessagePack value");
    ws_fail_now(w, &k->closed_invalid, WS_CLOSE_PROTOCOL, &err);
    return;
  }
  proto_scan_init(&s);
  r = proto_scan_feed(&s, &lim, m, len, &mlen);
  if (r == PROTO_SCAN_DONE && mlen == len) {
    conn_feed(&w->conn, m, len);
    return;
  }
  if (r == PROTO_SCAN_DONE) {
    proto_error_set(&err, PROTO_BAD_REQUEST, NULL,
                    "a WebSocket message holds one MessagePack value; this "
                    "one has %zu bytes more after a first value of %zu; send "
                    "each request as its own message",
                    len - mlen, mlen);
    ws_fail_now(w, &k->closed_invalid, WS_CLOSE_PROTOCOL, &err);
    return;
  }
  if (r == PROTO_SCAN_MORE) {
    proto_error_set(&err, PROTO_BAD_REQUEST, NULL,
                    "this WebSocket message of %zu bytes ends inside a "
                    "MessagePack value; each binary message holds one whole "
                    "value",
                    len);
    ws_fail_now(w, &k->closed_invalid, WS_CLOSE_PROTOCOL, &err);
    return;
  }
  proto_scan_error(&s, r, &lim, &err);
  ws_fail_now(w,
              r == PROTO_SCAN_INVALID     ? &k->closed_invalid
              : r == PROTO_SCAN_TOO_LARGE ? &k->closed_too_large
              : r == PROTO_SCAN_TOO_DEEP  ? &k->closed_too_deep
                                          : &k->closed_bad_count,
              r == PROTO_SCAN_INVALID ? WS_CLOSE_PROTOCOL : WS_CLOSE_TOO_BIG,
              &err);
}

/* Write out what wslay has framed. */
static int ws_pump(web_conn_t *w) {
  int r = wslay_event_send(w->ws);

  ws_flush(w);
  return r;
}

static void ws_process(web_conn_t *w);
static size_t ws_queued(conn_t *c);

/* The next batch of a read cut at --max-batch. */
static void on_backlog(uv_idle_t *h) {
  web_conn_t *w = h->data;

  uv_idle_stop(h);
  if (!w->conn.closing)
    ws_process(w);
}

void ws_read(web_conn_t *w, const uint8_t *data, size_t len) {
  if (w->conn.closing)
    return;
  w->rin = data;
  w->rin_len = len;
  w->recv_status = wslay_event_recv(w->ws);
  w->rin = NULL;
  w->rin_len = 0;
  ws_process(w);
}

/*
 * Feed the core the messages completed so far, in order, at most
 * --max-batch of them now (the rest waits, with reading stopped, for the
 * next loop iteration, as the core does for a TCP burst), then report any
 * error wslay or our callbacks found. The answers are framed as they come
 * and written together at the end (one write per batch, as over TCP).
 */
static void ws_process(web_conn_t *w) {
  conn_t *c = &w->conn;
  conn_core_t *core = web_core(w);
  conn_counters_t *k = conn_core_counters(core);
  unsigned done = 0, max = conn_core_config(core)->max_batch;
  int r = w->recv_status;

  w->in_read = true;
  while (w->rdy_off < w->rdy.len && !c->closing && !w->failed) {
    size_t n;
    if (w->core_paused) {
      /* The rest waits for the core's read_start (ws_read_start). */
      w->in_read = false;
      w->deferred = false;
      web_read_stop(w);
      ws_pump(w);
      return;
    }
    if (max > 0 && done >= max) {
      w->in_read = false;
      k->batches_deferred++;
      web_read_stop(w);
      w->deferred = true;
      uv_idle_start(&w->idle, on_backlog);
      ws_pump(w);
      return;
    }
    memcpy(&n, w->rdy.data + w->rdy_off, sizeof(size_t));
    w->rdy_off += sizeof(size_t);
    ws_deliver(w, (const uint8_t *)w->rdy.data + w->rdy_off, n);
    w->rdy_off += n;
    done++;
  }
  w->in_read = false;
  w->rdy.len = 0;
  w->rdy_off = 0;
  if (w->rdy.cap > 65536)
    proto_buf_free(&w->rdy);
  if (c->closing)
    return;
  if (w->deferred) {
    w->deferred = false;
    if (!w->core_paused && web_read_start(w) != 0) {
      conn_fail(c, &k->closed_error, NULL);
      return;
    }
  }
  if (w->pend_fail_set && !w->failed) {
    w->pend_fail_set = false;
    ws_fail_now(w, w->pend_counter, w->pend_code, &w->pend_err);
    return;
  }
  if (r != 0 && r != WSLAY_ERR_CALLBACK_FAILURE) {
    log_event(LOG_LEVEL_WARN, "conn %" PRIu64 " (%s, WebSocket): closed: %s",
              c->id, c->name, r == WSLAY_ERR_NOMEM ? "out of memory" : "error");
    conn_fail(c, &k->closed_error, NULL);
    return;
  }
  if (wslay_event_get_close_received(w->ws)) {
    /* The peer's close: wslay queued the answering close frame. */
    ws_pump(w);
    conn_read_end(c, UV_EOF);
    return;
  }
  if (!w->failed && !wslay_event_get_read_enabled(w->ws)) {
    /* wslay refused a frame (unmasked, reserved bits or opcode, a bad
     * close code...) and queued a close of its own (1002), which no
     * notification can precede: count it and log why. */
    proto_error_t err;
    proto_error_set(&err, PROTO_BAD_REQUEST, NULL,
                    "not a valid WebSocket frame (RFC 6455: frames from a "
                    "client are masked, with no reserved bits or opcodes)");
    ws_fail_now(w, &k->closed_invalid, WS_CLOSE_PROTOCOL, &err);
  }
  ws_pump(w); /* pongs, wslay's own close */
  /* Pongs are output like answers: the core's --max-output holds for
   * them too (it checks only what it writes itself). */
  if (!c->closing && !w->shutdown_wanted &&
      ws_queued(c) > conn_core_config(core)->max_output) {
    log_event(LOG_LEVEL_INFO,
              "conn %" PRIu64 " (%s, WebSocket): closed: more than %zu "
              "bytes of output unsent, the client does not read "
              "(--max-output)",
              c->id, c->name, conn_core_config(core)->max_output);
    conn_fail(c, &k->closed_output_budget, NULL);
  }
}

void ws_read_end(web_conn_t *w, int status) {
  conn_read_end(&w->conn, status);
}

/* ---- Output ------------------------------------------------------------- */

static void on_shutdown(uv_shutdown_t *req, int status) {
  web_conn_t *w = container_of(req, web_conn_t, sreq);

  conn_shutdown_done(&w->conn, status);
}

/* Everything framed has left: wake the core, or shut the write side. */
static void ws_drained(web_conn_t *w) {
  if (w->wwriting || w->wout[w->wpend].len > 0 || w->conn.closing)
    return;
  if (w->shutdown_wanted && !w->shutdown_sent) {
    w->shutdown_sent = true;
    if (uv_shutdown(&w->sreq, (uv_stream_t *)&w->tcp, on_shutdown) < 0)
      conn_shutdown_done(&w->conn, UV_EIO);
    return;
  }
  if (w->core_waiting) {
    w->core_waiting = false;
    conn_write_done(&w->conn, 0);
  }
}

static void on_written(uv_write_t *req, int status) {
  web_conn_t *w = container_of(req, web_conn_t, wreq);
  proto_buf_t *sent = &w->wout[w->wpend ^ 1];

  w->wwriting = false;
  if (sent->cap > 65536)
    proto_buf_free(sent);
  else
    proto_buf_reset(sent);
  if (w->conn.closing)
    return;
  if (status < 0) {
    if (w->core_waiting) {
      w->core_waiting = false;
      conn_write_done(&w->conn, status);
    } else {
      conn_close(&w->conn);
    }
    return;
  }
  ws_flush(w);
}

static void ws_flush(web_conn_t *w) {
  proto_buf_t *b = &w->wout[w->wpend];
  uv_buf_t ub;
  int r;

  if (w->conn.closing)
    return;
  if (!w->wwriting && b->len > 0) {
    ub = uv_buf_init((char *)b->data, (unsigned)b->len);
    r = uv_try_write((uv_stream_t *)&w->tcp, &ub, 1);
    if (r == UV_EAGAIN)
      r = 0;
    if (r >= 0 && (size_t)r == b->len) {
      b->len = 0;
    } else if (r >= 0) {
      ub.base += r;
      ub.len -= (unsigned)r;
      r = uv_write(&w->wreq, (uv_stream_t *)&w->tcp, &ub, 1, on_written);
    }
    if (r < 0) {
      if (w->core_waiting) {
        w->core_waiting = false;
        conn_write_done(&w->conn, r);
      } else {
        conn_close(&w->conn);
      }
      return;
    }
    if (b->len > 0) {
      w->wwriting = true;
      w->wpend ^= 1;
    }
  }
  ws_drained(w);
}

/* conn_ops_t.write: one binary message per MessagePack value of data. */
static int ws_write(conn_t *c, const char *data, size_t len) {
  web_conn_t *w = ws_of(c);
  /* Our own output: only the depth cap matters. */
  proto_limits_t lim = {(size_t)-1 / 2, LAN_MAX_DEPTH_CAP};
  const uint8_t *p = (const uint8_t *)data;
  size_t off = 0;

  if (w->shutdown_wanted)
    return 0; /* after our close frame nothing more may be sent */
  while (off < len) {
    proto_scan_t s;
    size_t mlen = 0;
    struct wslay_event_msg m;
    int r;

    proto_scan_init(&s);
    if (proto_scan_feed(&s, &lim, p + off, len - off, &mlen) != PROTO_SCAN_DONE)
      mlen = len - off; /* not ours to split: send the rest as it is */
    m.opcode = WSLAY_BINARY_FRAME;
    m.msg = p + off;
    m.msg_length = mlen;
    r = wslay_event_queue_msg(w->ws, &m);
    if (r == WSLAY_ERR_NO_MORE_MSG)
      return 0; /* a close was queued: the peer is going */
    if (r != 0)
      return UV_ENOMEM;
    off += mlen;
  }
  if (w->in_read)
    return 0; /* ws_read frames and writes the whole batch at its end */
  if (wslay_event_send(w->ws) != 0)
    return UV_EIO;
  ws_flush(w);
  if (c->closing)
    return UV_ECANCELED;
  if (w->wwriting || w->wout[w->wpend].len > 0) {
    w->core_waiting = true;
    return 1;
  }
  return 0;
}

static size_t ws_queued(conn_t *c) {
  web_conn_t *w = ws_of(c);

  return uv_stream_get_write_queue_size((uv_stream_t *)&w->tcp) +
         w->wout[w->wpend].len + wslay_event_get_queued_msg_length(w->ws);
}

static void ws_read_stop(conn_t *c) {
  web_conn_t *w = ws_of(c);

  w->core_paused = true;
  web_read_stop(w);
}

/* The core reads again: first the messages that waited for it (on the
 * next loop iteration, as a batch cut at --max-batch), then the socket. */
static int ws_read_start(conn_t *c) {
  web_conn_t *w = ws_of(c);

  w->core_paused = false;
  if (w->in_read)
    return web_read_start(w); /* ws_process goes on (and may stop it) */
  if (w->deferred)
    return 0; /* on_backlog is due; ws_process reads again at its end */
  if (w->rdy_off < w->rdy.len) {
    w->deferred = true;
    uv_idle_start(&w->idle, on_backlog);
    return 0;
  }
  return web_read_start(w);
}

/* After a fatal error (the core drains): a close frame with the reason,
 * then the TCP write side once it has left. */
static int ws_shutdown(conn_t *c) {
  web_conn_t *w = ws_of(c);
  const char *reason = w->close_reason;
  uint16_t code = w->close_code;

  if (code == 0) {
    /* A deadline of the core: its "error" notification says which. */
    code = WS_CLOSE_POLICY;
    reason = "closed by the server; the error notification says why";
  }
  /* Frame what is queued first (wslay sends a queued close ahead of data
   * messages, and nothing after it): the error notification goes before. */
  wslay_event_send(w->ws);
  wslay_event_queue_close(w->ws, code, (const uint8_t *)reason, strlen(reason));
  w->shutdown_wanted = true;
  ws_pump(w);
  return 0;
}

static void ws_close(conn_t *c) {
  web_close_upgraded(ws_of(c));
}

static void ws_release(conn_t *c) {
  web_conn_t *w = ws_of(c);

  wslay_event_context_free(w->ws);
  w->ws = NULL;
  proto_buf_free(&w->rdy);
  web_conn_free(w);
}

static const conn_ops_t ws_ops = {
    .write = ws_write,
    .queued = ws_queued,
    .read_stop = ws_read_stop,
    .read_start = ws_read_start,
    .shutdown = ws_shutdown,
    .close = ws_close,
    .release = ws_release,
};

/* ---- Upgrade ------------------------------------------------------------ */

int ws_upgrade(web_conn_t *w, const char *accept, const uint8_t *rest,
               size_t len) {
  conn_core_t *core = web_core(w);
  conn_counters_t *k = conn_core_counters(core);
  char head[256];
  int n;

  if (wslay_event_context_server_init(&w->ws, &ws_callbacks, w) != 0)
    return -1;
  wslay_event_config_set_no_buffering(w->ws, 1);
  /* Our own check (on_frame_start) enforces --max-message and sends the
   * protocol's too_large error, so wslay's must not come first (it would
   * close with 1009 and no word). Without buffering, wslay keeps no data
   * frame; control frames it keeps are 125 bytes at most (RFC 6455). */
  wslay_event_config_set_max_recv_msg_length(w->ws, UINT64_MAX / 2);
  if (conn_init(core, &w->conn, &ws_ops, w->name, w->ip) != 0) {
    wslay_event_context_free(w->ws);
    w->ws = NULL;
    return -1;
  }
  /* The core owns the connection now; the HTTP deadline timer times
   * WebSocket messages from here on (on_msg_timeout); the idle handle
   * hands over the rest of a read cut at --max-batch. */
  w->upgraded = true;
  uv_idle_stop(&w->idle); /* http.c's: hands over our batches from now on */
  k->ws_upgrades++;
  if (conn_admit(&w->conn) != 0) {
    conn_close(&w->conn);
    return 0;
  }
  n = snprintf(head, sizeof(head),
               "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
               accept);
  if (n < 0 || (size_t)n >= sizeof(head) ||
      proto_buf_reserve(&w->wout[w->wpend], (size_t)n) != 0) {
    conn_close(&w->conn);
    return 0;
  }
  memcpy(w->wout[w->wpend].data + w->wout[w->wpend].len, head, (size_t)n);
  w->wout[w->wpend].len += (size_t)n;
  log_debug("conn %" PRIu64 " (%s): WebSocket", w->conn.id, w->conn.name);
  conn_start(&w->conn);
  if (w->conn.closing)
    return 0;
  ws_flush(w);
  if (len > 0 && !w->conn.closing)
    ws_read(w, rest, len);
  return 0;
}
