/*
 * conn: the transport-neutral connection core. Frames the input into
 * MessagePack values, hands each value to the dispatcher, writes answers in
 * order through the transport, and enforces the per-connection limits of
 * PROTOCOL.md. See conn.h.
 *
 * A connection's life:
 *   conn_init --conn_admit, the transport's own checks--> conn_start:
 *     reading
 *   reading --scanner failure or deadline--> draining: the "error"
 *     notification is flushed, the write side shut down (ops->shutdown),
 *     input is discarded until the peer closes or the linger deadline
 *     passes
 *   reading --peer EOF--> answers already owed are flushed, then close
 *   any state --output budget, I/O error, server shutdown--> closing
 * Closing is idempotent and asynchronous: conn_close marks the connection,
 * closes its timer and asks the transport to close; the memory is released
 * (ops->release) once both have closed, never inside a read or write
 * path. Each connection's end is counted once, in the counter of its first
 * cause (conn_count).
 *
 * Fairness: at most --max-batch complete requests of one connection are
 * handled per loop iteration. The rest of a pipelined burst waits in the
 * connection's input buffer with reading stopped (so the kernel's socket
 * buffer pushes back on the client), and the core's idle handle hands the
 * connection its next batch on the next iteration, after every other
 * connection has had its turn at I/O.
 *
 * The read path does not allocate per message: whole messages are handled
 * straight from the chunk fed (for TCP, one read buffer shared by every
 * connection), and only a message that spans chunks is assembled in the
 * connection's input buffer, which conn_read_buf lets the transport read
 * into directly.
 */
#include "conn.h"

#include "lan_assert.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/* A connection's input buffer starts at this size when a message spans
 * reads, and is released when it empties above CONN_IN_KEEP, so that an
 * idle connection holds no input memory. */
#define CONN_IN_MIN  4096u
#define CONN_IN_KEEP (64u * 1024u)
/* An output buffer above this size is released once written, so a single
 * burst does not pin its peak for the life of the connection. */
#define CONN_OUT_KEEP (64u * 1024u)
/* After an error that closes the connection, how long the server waits for
 * the peer to read the error and close its side before it closes anyway.
 * Closing at once would make the kernel answer the peer's unread bytes
 * with a reset, which can destroy the error message in flight. */
#define CONN_LINGER_MS 2000u

struct conn_core {
  uv_loop_t *loop;
  conn_config_t cfg;
  proto_limits_t lim;
  rpc_t *rpc;
  conn_counters_t *counters;
  conn_t *conns;
  uint64_t next_id;
  bool closing;

  /* Connections with requests left over from a batch cut at --max-batch,
   * first come first served; the idle handle runs while there are any. */
  uv_idle_t backlog_idle;
  conn_t *bl_head, *bl_tail;

  /* Output produced since the loop last polled for I/O (conn_emit adds
   * every byte; the check handle, which runs right after the poll, starts
   * the count again). Once it reaches --max-output-per-iteration, no
   * connection starts another request in this iteration: those with
   * requests waiting join the backlog, whose FIFO gives each its turn on
   * the next iterations, before new reads. A connection that asks for
   * large answers then costs the others at most that many bytes of work
   * per iteration, whatever the number of connections doing the same. */
  size_t iter_out;
  unsigned iter_requests; /* requests handled this iteration */
  uv_check_t iter_check;

  /* Reads at a message boundary land here (one buffer for all
   * connections: the loop handles one read at a time). */
  uint8_t rbuf[LAN_READ_CHUNK];
};

static void conn_flush(conn_t *c);
static void conn_after_output(conn_t *c);

/* One connection's share of an iteration's output budget: past it, after
 * at least one request, it yields to the others. With N connections
 * asking for large answers, one queued behind them waits for about N
 * answers, not N batches of them. */
#define CONN_TURN_OUTPUT(core) ((core)->cfg.max_output_per_iteration / 8)

/* Has this iteration produced its share of output? Only once some
 * request went through: every iteration serves at least one. */
static bool conn_budget_spent(const conn_core_t *core) {
  return core->iter_requests > 0 &&
         core->iter_out >= core->cfg.max_output_per_iteration;
}
static void conn_undefer(conn_t *c);

/* Count the end of a connection in counter, unless its end has already
 * been counted (a drained connection whose peer then resets, a half-closed
 * one whose last write fails): every connection ends once. */
static void conn_count(conn_t *c, uint64_t *counter) {
  if (c->counted)
    return;
  c->counted = true;
  (*counter)++;
}

/* ---- Configuration, counters, errors ------------------------------------ */

void conn_config_default(conn_config_t *cfg) {
  cfg->max_message = LAN_MAX_MESSAGE_DEFAULT;
  cfg->max_depth = LAN_MAX_DEPTH_DEFAULT;
  cfg->first_request_ms = LAN_FIRST_REQUEST_MS_DEFAULT;
  cfg->message_ms = LAN_MESSAGE_MS_DEFAULT;
  cfg->idle_ms = LAN_IDLE_MS_DEFAULT;
  cfg->max_output = LAN_MAX_OUTPUT_DEFAULT;
  cfg->max_connections = LAN_MAX_CONNECTIONS_DEFAULT;
  cfg->max_batch = LAN_MAX_BATCH_DEFAULT;
  cfg->max_output_per_iteration = LAN_MAX_OUTPUT_PER_ITERATION_DEFAULT;
}

void conn_counters_each(const conn_counters_t *c,
                        void (*fn)(const char *name, uint64_t value, void *arg),
                        void *arg) {
#define CONN_COUNTER_CALL(name) fn(#name, c->name, arg);
  CONN_COUNTERS(CONN_COUNTER_CALL)
#undef CONN_COUNTER_CALL
}

const char *conn_strerror(int err) {
  switch (err) {
  case CONN_ENOMEM:
    return "out of memory";
  case CONN_ECLOSED:
    return "the connection is closing";
  case CONN_EBUDGET:
    return "the output budget was exceeded";
  case CONN_EFULL:
    return "--max-connections connections are open";
  default:
    return uv_strerror(err);
  }
}

/* ---- Deadlines ---------------------------------------------------------- */

static uint64_t earliest(uint64_t a, uint64_t b) {
  if (a == 0)
    return b;
  if (b == 0)
    return a;
  return a < b ? a : b;
}

static void on_timer(uv_timer_t *t);

/*
 * Arm the connection's one timer for its earliest deadline. A deadline that
 * moved later (the idle deadline, at every request) does not restart the
 * timer: it fires at the old time, finds nothing due and re-arms, which
 * keeps timer work off the per-request path.
 */
static void conn_arm(conn_t *c) {
  uint64_t due = earliest(c->first_deadline, c->msg_deadline);
  uint64_t now;

  due = earliest(due, c->idle_deadline);
  due = earliest(due, c->linger_deadline);
  if (due == 0) {
    if (c->armed)
      uv_timer_stop(&c->timer);
    c->armed = 0;
    return;
  }
  if (c->armed && c->armed <= due)
    return;
  now = uv_now(c->core->loop);
  uv_timer_start(&c->timer, on_timer, due > now ? due - now : 0, 0);
  c->armed = due;
}

/* ---- Output ------------------------------------------------------------- */

static size_t conn_unsent(conn_t *c) {
  return c->ops->queued(c) + c->out[c->pend].len +
         replyq_held(&c->peer.replies);
}

static void conn_over_budget(conn_t *c) {
  conn_count(c, &c->core->counters->closed_output_budget);
  log_event(LOG_LEVEL_INFO,
            "conn %" PRIu64 " (%s): closed: more than %zu bytes of output "
            "unsent, the client does not read (--max-output)",
            c->id, c->name, c->core->cfg.max_output);
  conn_close(c);
}

/* replyq_emit_fn: append finished answers to the pending buffer. Inside a
 * feed they are flushed once at its end (one write per batch); otherwise
 * (a deferred answer) at once. */
static int conn_emit(void *ctx, const char *data, size_t len) {
  conn_t *c = ctx;
  proto_buf_t *b = &c->out[c->pend];
  size_t unsent, max = c->core->cfg.max_output;

  if (c->closing || c->shut)
    return CONN_ECLOSED;
  unsent = conn_unsent(c);
  if (len > max || unsent > max - len) {
    conn_over_budget(c);
    return CONN_EBUDGET;
  }
  if (proto_buf_reserve(b, len) != 0) {
    conn_count(c, &c->core->counters->closed_error);
    log_event(LOG_LEVEL_WARN,
              "conn %" PRIu64 " (%s): closed: out of memory for output", c->id,
              c->name);
    conn_close(c);
    return CONN_ENOMEM;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  c->core->iter_out += len;
  if (!c->in_read) {
    conn_flush(c);
    conn_after_output(c);
  }
  return 0;
}

/* A write failed, at once (conn_flush) or later (conn_write_done): the
 * peer went away (EPIPE, ECONNRESET), or an I/O error. Counted the same
 * either way. */
static void conn_write_failed(conn_t *c, int status) {
  if (status == UV_EPIPE || status == UV_ECONNRESET) {
    conn_count(c, &c->core->counters->closed_by_peer);
  } else {
    conn_count(c, &c->core->counters->closed_error);
    log_event(LOG_LEVEL_INFO, "conn %" PRIu64 " (%s): closed: write failed: %s",
              c->id, c->name, uv_strerror(status));
  }
  conn_close(c);
}

void conn_write_done(conn_t *c, int status) {
  proto_buf_t *sent = &c->out[c->pend ^ 1];

  LAN_ASSERT(c->writing);
  c->writing = false;
  if (sent->cap > CONN_OUT_KEEP)
    proto_buf_free(sent);
  else
    proto_buf_reset(sent);
  /* A write cancelled by the transport's close lands here too: nothing
   * more to do. */
  if (c->closing)
    return;
  if (status < 0) {
    conn_write_failed(c, status);
    return;
  }
  conn_flush(c);
  conn_after_output(c);
}

/* Start writing the pending buffer unless a write is already in flight;
 * what arrives meanwhile collects in the other buffer. */
static void conn_flush(conn_t *c) {
  proto_buf_t *b = &c->out[c->pend];
  int r;

  if (c->closing || c->writing || c->shut || b->len == 0)
    return;
  r = c->ops->write(c, b->data, b->len);
  if (r == 0) {
    b->len = 0;
    return;
  }
  if (r < 0) {
    conn_write_failed(c, r);
    return;
  }
  c->writing = true;
  c->pend ^= 1;
}

void conn_shutdown_done(conn_t *c, int status) {
  if (c->closing)
    return;
  /* Otherwise wait for the peer to close (conn_read_end) or for the
   * linger deadline (on_timer). */
  if (status < 0)
    conn_close(c);
}

/* Once every answer owed has been handed to the transport: after the
 * peer's EOF, close; when draining after a fatal error, shut the write
 * side down so the peer sees the error followed by an orderly end of
 * stream. */
static void conn_after_output(conn_t *c) {
  if (c->closing || c->writing || c->out[c->pend].len > 0 ||
      !replyq_idle(&c->peer.replies))
    return;
  if (c->eof) {
    conn_close(c);
    return;
  }
  if (c->draining && !c->shut) {
    c->shut = true;
    if (c->ops->shutdown(c) < 0)
      conn_close(c);
  }
}

/* ---- Closing ------------------------------------------------------------ */

static void conn_free(conn_t *c) {
  conn_core_t *core = c->core;

  conn_undefer(c);
  /* A refused connection never reached the dispatcher: nothing to tell. */
  if (c->admitted)
    rpc_peer_closed(core->rpc, &c->peer);
  free(c->in);
  proto_buf_free(&c->out[0]);
  proto_buf_free(&c->out[1]);
  if (c->admitted) {
    LAN_ASSERT(core->counters->active > 0);
    core->counters->active--;
  }
  if (c->prev)
    c->prev->next = c->next;
  else
    core->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  c->ops->release(c);
}

static void on_timer_closed(uv_handle_t *h) {
  conn_t *c = container_of((uv_timer_t *)h, conn_t, timer);

  if (--c->open == 0)
    conn_free(c);
}

void conn_transport_closed(conn_t *c) {
  LAN_ASSERT(c->closing);
  if (--c->open == 0)
    conn_free(c);
}

void conn_close(conn_t *c) {
  if (c->closing)
    return;
  c->closing = true;
  uv_close((uv_handle_t *)&c->timer, on_timer_closed);
  c->ops->close(c);
}

/*
 * A fatal error: send err as the "error" notification, stop handling
 * input, and close once the notification has left (see conn_after_output)
 * or at the linger deadline.
 */
static void conn_drain(conn_t *c, const proto_error_t *err) {
  conn_core_t *core = c->core;

  c->draining = true;
  c->in_len = 0;
  proto_scan_init(&c->scan);
  c->first_deadline = c->msg_deadline = c->idle_deadline = 0;
  c->linger_deadline = uv_now(core->loop) + CONN_LINGER_MS;
  conn_arm(c);
  if (rpc_notify_error(core->rpc, &c->peer, err) < 0 || c->closing)
    return;
  if (!c->in_read) {
    conn_flush(c);
    conn_after_output(c);
  }
}

static void conn_scan_failed(conn_t *c, proto_scan_result_t r) {
  conn_counters_t *k = c->core->counters;
  proto_error_t err;

  switch (r) {
  case PROTO_SCAN_INVALID:
    conn_count(c, &k->closed_invalid);
    break;
  case PROTO_SCAN_TOO_LARGE:
    conn_count(c, &k->closed_too_large);
    break;
  case PROTO_SCAN_TOO_DEEP:
    conn_count(c, &k->closed_too_deep);
    break;
  case PROTO_SCAN_BAD_COUNT:
  default:
    conn_count(c, &k->closed_bad_count);
    break;
  }
  proto_scan_error(&c->scan, r, &c->core->lim, &err);
  log_event(LOG_LEVEL_INFO, "conn %" PRIu64 " (%s): closing: %s", c->id,
            c->name, err.message);
  conn_drain(c, &err);
}

void conn_fail(conn_t *c, uint64_t *counter, const proto_error_t *err) {
  if (c->closing || c->draining)
    return;
  conn_count(c, counter);
  if (!err) {
    conn_close(c);
    return;
  }
  conn_drain(c, err);
}

/* ---- Reading ------------------------------------------------------------ */

void conn_read_buf(conn_t *c, uv_buf_t *buf) {
  conn_core_t *core = c->core;
  size_t limit, cap;
  uint8_t *p;

  /* At a message boundary (the usual case), read into the shared buffer:
   * whole messages are handled there and only a partial tail is copied. */
  if (c->in_len == 0 || c->draining || c->closing) {
    *buf = uv_buf_init((char *)core->rbuf, sizeof(core->rbuf));
    return;
  }
  /* Inside a message: read straight behind its first bytes. The scanner
   * keeps a partial message within max_message (+ a cut header), so the
   * buffer never needs more than this. */
  limit = core->cfg.max_message + LAN_READ_CHUNK;
  if (c->in_cap - c->in_len < CONN_IN_MIN && c->in_cap < limit) {
    cap = c->in_cap * 2;
    if (cap < c->in_len + LAN_READ_CHUNK)
      cap = c->in_len + LAN_READ_CHUNK;
    if (cap > limit)
      cap = limit;
    p = realloc(c->in, cap);
    if (!p) {
      /* libuv turns this into UV_ENOBUFS, which ends the read. */
      *buf = uv_buf_init(NULL, 0);
      return;
    }
    c->in = p;
    c->in_cap = cap;
  }
  *buf =
      uv_buf_init((char *)c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

/* A well-formed request arrived: the first-request deadline is met and
 * the idle clock starts again. */
static void conn_requested(conn_t *c) {
  c->first_deadline = 0;
  if (c->core->cfg.idle_ms > 0)
    c->idle_deadline = uv_now(c->core->loop) + c->core->cfg.idle_ms;
}

/*
 * Frame and handle the complete messages in data[0..len), which starts at
 * a message boundary, at most --max-batch of them. Returns the bytes
 * consumed; the rest is the start of a message still arriving or, when
 * *capped is set, requests left for the next batch. *done counts complete
 * messages. Stops when the connection starts draining or closing.
 */
static size_t conn_process(conn_t *c, const uint8_t *data, size_t len,
                           unsigned *done, bool *capped) {
  conn_core_t *core = c->core;
  size_t pos = 0, mlen = 0, out0 = core->iter_out;

  *capped = false;
  c->out_paused = false;
  while (pos < len) {
    if (*done >= core->cfg.max_batch) {
      *capped = true;
      break;
    }
    if (conn_budget_spent(core) ||
        (*done > 0 && core->iter_out - out0 >= CONN_TURN_OUTPUT(core))) {
      /* This iteration has produced its share of output, or this
       * connection its share of the iteration's: wait, in turn, for the
       * next one (conn_defer). */
      *capped = true;
      c->out_paused = true;
      core->counters->output_paused++;
      break;
    }
    proto_scan_result_t r =
        proto_scan_feed(&c->scan, &core->lim, data + pos, len - pos, &mlen);
    if (r == PROTO_SCAN_MORE)
      break;
    if (r != PROTO_SCAN_DONE) {
      conn_scan_failed(c, r);
      return len;
    }
    (*done)++;
    core->iter_requests++;
    if (rpc_handle(core->rpc, &c->peer, data + pos, mlen) == RPC_OUT_REQUEST)
      conn_requested(c);
    pos += mlen;
    if (c->closing || c->draining)
      return len;
    /* Answers held behind a deferred one bypass conn_emit's check. */
    if (conn_unsent(c) > core->cfg.max_output) {
      conn_over_budget(c);
      return len;
    }
  }
  return pos;
}

/* Make room for n more input bytes behind the c->in_len held. */
static int conn_in_reserve(conn_t *c, size_t n) {
  size_t cap;
  uint8_t *p;

  if (c->in_cap - c->in_len >= n)
    return 0;
  cap = c->in_len + n;
  if (cap < CONN_IN_MIN)
    cap = CONN_IN_MIN;
  p = realloc(c->in, cap);
  if (!p)
    return -1;
  c->in = p;
  c->in_cap = cap;
  return 0;
}

/* Append data[0..len) to the input held (the tail of a chunk: the start of
 * a message, or requests left for the next batch). */
static int conn_keep(conn_t *c, const uint8_t *data, size_t len) {
  if (conn_in_reserve(c, len) != 0)
    return -1;
  memmove(c->in + c->in_len, data, len);
  c->in_len += len;
  return 0;
}

void conn_read_end(conn_t *c, int status) {
  conn_counters_t *k = c->core->counters;

  if (c->closing)
    return;
  if (c->draining) {
    /* The peer closed after our error: the normal end of a drain. */
    conn_close(c);
    return;
  }
  if (status == UV_EOF) {
    /* The peer sends nothing more but may still read: finish the answers
     * it is owed (a half-closing client pipes its requests and waits for
     * them), then close. A partial message is dropped. */
    conn_count(c, &k->closed_by_peer);
    c->eof = true;
    c->in_len = 0;
    c->ops->read_stop(c);
    c->first_deadline = c->msg_deadline = c->idle_deadline = 0;
    c->linger_deadline = uv_now(c->core->loop) + CONN_LINGER_MS;
    conn_arm(c);
    conn_after_output(c);
    return;
  }
  if (status == UV_ECONNRESET) {
    conn_count(c, &k->closed_by_peer);
  } else {
    conn_count(c, &k->closed_error);
    log_event(LOG_LEVEL_INFO, "conn %" PRIu64 " (%s): closed: read failed: %s",
              c->id, c->name, uv_strerror(status));
  }
  conn_close(c);
}

static void on_backlog(uv_idle_t *h);

/* The batch was cut at --max-batch: stop reading (the rest of the burst
 * is already in c->in, and more waits in the kernel) and queue the
 * connection for its next batch on the next loop iteration. */
static void conn_defer(conn_t *c) {
  conn_core_t *core = c->core;

  if (c->backlog)
    return;
  c->ops->read_stop(c);
  c->backlog = true;
  c->bl_next = NULL;
  if (core->bl_tail)
    core->bl_tail->bl_next = c;
  else
    core->bl_head = c;
  core->bl_tail = c;
  uv_idle_start(&core->backlog_idle, on_backlog);
}

/* Take c out of the backlog (it is closing). */
static void conn_undefer(conn_t *c) {
  conn_core_t *core = c->core;
  conn_t **p, *prev = NULL;

  if (!c->backlog)
    return;
  for (p = &core->bl_head; *p; prev = *p, p = &(*p)->bl_next)
    if (*p == c) {
      *p = c->bl_next;
      if (core->bl_tail == c)
        core->bl_tail = prev;
      break;
    }
  c->backlog = false;
  if (!core->bl_head && !core->closing)
    uv_idle_stop(&core->backlog_idle);
}

/* Handle what c->in holds (complete messages first, then maybe the start
 * of one), at most one batch; keep the rest. */
static void conn_process_in(conn_t *c, unsigned *done, bool *capped) {
  size_t used = conn_process(c, c->in, c->in_len, done, capped);

  if (c->closing || c->draining) {
    c->in_len = 0;
  } else if (used > 0) {
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
  }
}

/* After a batch: release a large input buffer once it is empty, restart
 * the message deadline for a tail, and send what the batch answered. */
static void conn_batch_done(conn_t *c, unsigned done) {
  conn_core_t *core = c->core;

  if (c->in_len == 0 && c->in_cap > CONN_IN_KEEP) {
    free(c->in);
    c->in = NULL;
    c->in_cap = 0;
  }
  c->in_read = false;
  if (c->closing)
    return;
  if (!c->draining) {
    /* A message completed in this batch: any tail is a new message, whose
     * clock starts now. */
    if (done > 0)
      c->msg_deadline = 0;
    if (c->in_len > 0 && c->msg_deadline == 0)
      c->msg_deadline = uv_now(core->loop) + core->cfg.message_ms;
    conn_arm(c);
  }
  conn_flush(c);
  conn_after_output(c);
}

void conn_feed(conn_t *c, const uint8_t *data, size_t len) {
  conn_core_t *core = c->core;
  unsigned done = 0;
  bool capped = false;
  size_t used;

  if (c->closing || len == 0)
    return;
  if (c->draining)
    return; /* discard: the stream can no longer be trusted */

  c->in_read = true;
  if (c->in_len > 0 && data == c->in + c->in_len) {
    /* Read in place behind a partial message (conn_read_buf). */
    c->in_len += len;
    conn_process_in(c, &done, &capped);
  } else if (c->in_len > 0) {
    /* A chunk from elsewhere continues a partial message: join them. */
    if (conn_keep(c, data, len) == 0) {
      conn_process_in(c, &done, &capped);
    } else {
      conn_count(c, &core->counters->closed_error);
      log_event(LOG_LEVEL_WARN,
                "conn %" PRIu64 " (%s): closed: out of memory for input", c->id,
                c->name);
      conn_close(c);
    }
  } else {
    /* At a message boundary: handle whole messages where they lie and
     * keep only the tail. */
    used = conn_process(c, data, len, &done, &capped);
    if (!c->closing && !c->draining && used < len &&
        conn_keep(c, data + used, len - used) != 0) {
      conn_count(c, &core->counters->closed_error);
      log_event(LOG_LEVEL_WARN,
                "conn %" PRIu64 " (%s): closed: out of memory for input", c->id,
                c->name);
      conn_close(c);
    }
  }
  if (capped && !c->closing && !c->draining) {
    if (!c->out_paused)
      core->counters->batches_deferred++;
    conn_defer(c);
  }
  conn_batch_done(c, done);
}

/* One more batch for each connection in the backlog (those queued before
 * this pass: one re-queued now waits for the next iteration). When the
 * iteration's output budget is spent, the pass stops: the connections not
 * reached keep their places at the head and go first on the next
 * iteration, while those served went to the tail, so the budget goes
 * round the backlog in turn (a round robin) and a connection queued
 * behind N others waits about N / (requests per budget) iterations. */
static void on_backlog(uv_idle_t *h) {
  conn_core_t *core = container_of(h, conn_core_t, backlog_idle);
  conn_t *last = core->bl_tail;
  conn_t *c;

  do {
    c = core->bl_head;
    if (!c || conn_budget_spent(core))
      break;
    core->bl_head = c->bl_next;
    if (!core->bl_head)
      core->bl_tail = NULL;
    c->backlog = false;
    if (c->closing)
      continue;
    unsigned done = 0;
    bool capped = false;
    c->in_read = true;
    conn_process_in(c, &done, &capped);
    if (!c->closing) {
      if (capped && !c->draining) {
        conn_defer(c);
      } else if (c->ops->read_start(c) != 0) {
        conn_count(c, &core->counters->closed_error);
        conn_close(c);
      }
    }
    conn_batch_done(c, done);
  } while (c != last);
  if (!core->bl_head)
    uv_idle_stop(&core->backlog_idle);
}

/* ---- Deadlines firing --------------------------------------------------- */

/* A deadline passed: count it, tell the client why, and close. */
static void conn_expired(conn_t *c, uint64_t *counter, const char *why,
                         uint64_t ms, const char *flag) {
  proto_error_t err;

  conn_count(c, counter);
  proto_error_set(&err, PROTO_BAD_REQUEST, NULL,
                  "%s within %" PRIu64 " ms (%s); the connection will be "
                  "closed",
                  why, ms, flag);
  log_event(LOG_LEVEL_INFO, "conn %" PRIu64 " (%s): closing: %s", c->id,
            c->name, err.message);
  conn_drain(c, &err);
}

static void on_timer(uv_timer_t *t) {
  conn_t *c = container_of(t, conn_t, timer);
  conn_core_t *core = c->core;
  conn_counters_t *k = core->counters;
  uint64_t now = uv_now(core->loop);

  c->armed = 0;
  if (c->closing)
    return;
  if (c->linger_deadline && now >= c->linger_deadline) {
    conn_close(c);
    return;
  }
  /* A partial message is the more specific complaint when both the
   * message and the first-request deadlines have passed. */
  if (c->msg_deadline && now >= c->msg_deadline) {
    conn_expired(c, &k->closed_message_timeout,
                 "a message must arrive whole, from its first byte to its "
                 "last,",
                 core->cfg.message_ms, "--message-ms");
    return;
  }
  if (c->first_deadline && now >= c->first_deadline) {
    conn_expired(c, &k->closed_first_request_timeout,
                 "the first request must arrive", core->cfg.first_request_ms,
                 "--first-request-ms");
    return;
  }
  if (c->idle_deadline && now >= c->idle_deadline) {
    if (c->peer.holds_seat) {
      /* Never idle while it holds a seat; look again later, so that a
       * connection that gives its seat up is idle-checked like any. */
      c->idle_deadline = now + core->cfg.idle_ms;
      conn_arm(c);
      return;
    }
    conn_expired(c, &k->closed_idle,
                 "a connection that holds no seat and watches nothing must "
                 "send a request",
                 core->cfg.idle_ms, "--idle-ms");
    return;
  }
  conn_arm(c);
}

/* ---- Starting ----------------------------------------------------------- */

int conn_init(conn_core_t *core, conn_t *c, const conn_ops_t *ops,
              const char *name, const char *ip) {
  int r;

  memset(c, 0, sizeof(*c));
  r = uv_timer_init(core->loop, &c->timer);
  if (r != 0)
    return r;
  c->ops = ops;
  c->core = core;
  c->id = ++core->next_id;
  c->open = 2;
  snprintf(c->name, sizeof(c->name), "%s", name);
  rpc_peer_init(&c->peer, conn_emit, c);
  snprintf(c->peer.addr, sizeof(c->peer.addr), "%s", ip);
  proto_buf_init(&c->out[0]);
  proto_buf_init(&c->out[1]);
  c->next = core->conns;
  if (core->conns)
    core->conns->prev = c;
  core->conns = c;
  return 0;
}

int conn_admit(conn_t *c) {
  conn_core_t *core = c->core;

  if (core->counters->active >= core->cfg.max_connections) {
    core->counters->refused_total++;
    log_event(LOG_LEVEL_INFO,
              "refused %s: %u connections open (--max-connections)", c->name,
              core->cfg.max_connections);
    return CONN_EFULL;
  }
  return 0;
}

void conn_start(conn_t *c) {
  conn_core_t *core = c->core;
  conn_counters_t *k = core->counters;
  uint64_t now;

  c->admitted = true;
  k->accepted++;
  k->active++;
  proto_scan_init(&c->scan);
  now = uv_now(core->loop);
  c->first_deadline = now + core->cfg.first_request_ms;
  if (core->cfg.idle_ms > 0)
    c->idle_deadline = now + core->cfg.idle_ms;
  conn_arm(c);
  if (c->ops->read_start(c) != 0) {
    conn_count(c, &k->closed_error);
    conn_close(c);
    return;
  }
  log_debug("conn %" PRIu64 " (%s): accepted", c->id, c->name);
}

/* ---- The core ----------------------------------------------------------- */

/* Right after the poll for I/O: a new iteration's output budget. */
static void on_iteration(uv_check_t *h) {
  conn_core_t *core = h->data;

  core->iter_out = 0;
  core->iter_requests = 0;
}

int conn_core_new(conn_core_t **out, uv_loop_t *loop, const conn_config_t *cfg,
                  rpc_t *rpc, conn_counters_t *counters) {
  conn_core_t *core = calloc(1, sizeof(*core));

  if (!core)
    return CONN_ENOMEM;
  core->loop = loop;
  core->cfg = *cfg;
  if (core->cfg.max_batch == 0) /* a config not from conn_config_default */
    core->cfg.max_batch = LAN_MAX_BATCH_DEFAULT;
  core->lim.max_message = cfg->max_message;
  core->lim.max_depth = cfg->max_depth;
  core->rpc = rpc;
  core->counters = counters;
  if (core->cfg.max_output_per_iteration == 0)
    core->cfg.max_output_per_iteration = LAN_MAX_OUTPUT_PER_ITERATION_DEFAULT;
  uv_idle_init(loop, &core->backlog_idle);
  uv_check_init(loop, &core->iter_check);
  core->iter_check.data = core;
  uv_check_start(&core->iter_check, on_iteration);
  /* It counts, it does not keep the loop running. */
  uv_unref((uv_handle_t *)&core->iter_check);
  *out = core;
  return 0;
}

conn_counters_t *conn_core_counters(conn_core_t *core) {
  return core->counters;
}

const conn_config_t *conn_core_config(const conn_core_t *core) {
  return &core->cfg;
}

void conn_core_close(conn_core_t *core) {
  conn_t *c;

  if (core->closing)
    return;
  core->closing = true;
  if (!uv_is_closing((uv_handle_t *)&core->backlog_idle))
    uv_close((uv_handle_t *)&core->backlog_idle, NULL);
  if (!uv_is_closing((uv_handle_t *)&core->iter_check))
    uv_close((uv_handle_t *)&core->iter_check, NULL);
  /* conn_close only marks and starts closing: the list stays intact
   * until the close callbacks run on a later turn of the loop. */
  for (c = core->conns; c; c = c->next)
    conn_close(c);
}

void conn_core_free(conn_core_t *core) {
  if (!core)
    return;
  LAN_ASSERT(core->conns == NULL);
  free(core);
}
