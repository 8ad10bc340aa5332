/*
 * conn: the transport-neutral core of a client connection.
 *
 * A transport (server/net.c for TCP; WebSocket next) owns the socket and
 * moves bytes; everything else a connection does lives here, the same for
 * every transport: framing the input into MessagePack values with the
 * allocation-free scanner of proto.h and its limits, handing each value to
 * the dispatcher (rpc.h), the reply FIFO (replyq.h, inside rpc_peer_t) and
 * the double-buffered output, the three deadlines (accept to first
 * request, a message's first byte to its last, idle between requests), the
 * output budget, the per-iteration batch of requests, the cap on
 * connections overall, and the counters of conn_counters_t, which
 * server.stats reports under the same names as ever.
 *
 * The shape is libuv's and Neovim's: a transport embeds a conn_t in its
 * own connection struct (and gets back to it with container_of) and gives
 * the core a table of functions (conn_ops_t) to write, stop and restart
 * reading, shut the write side down, close and free. The transport feeds
 * input as byte chunks with conn_feed, a TCP read or one WebSocket binary
 * message alike, and reports its completions back (conn_write_done,
 * conn_shutdown_done, conn_transport_closed).
 *
 * Ownership and lifetimes:
 *   - The transport allocates its struct (with the conn_t inside) and frees
 *     it only in ops->release, which the core calls exactly once, after
 *     both the transport (conn_transport_closed) and the core's own timer
 *     have closed. Nothing touches the conn_t after release.
 *   - Closing is idempotent and asynchronous: conn_close marks the
 *     connection closing, closes its timer and calls ops->close once; the
 *     memory goes in release, on a later turn of the loop, never inside a
 *     read or write path.
 *   - Bytes passed to conn_feed are read during the call only. Bytes the
 *     core passes to ops->write stay valid until the transport calls
 *     conn_write_done (or until ops->close, which cancels the write).
 *   - The core owns the dispatcher's peer (rpc_peer_t) and tells the
 *     dispatcher when it goes (rpc_peer_closed), just before release.
 *
 * One loop, one thread: nothing here is thread-safe.
 */
#ifndef LANTHANIDE_CONN_H
#define LANTHANIDE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "proto.h"
#include "rpc.h"

/* The limits of every connection, whatever its transport; each is a flag
 * of lanthanide-server. */
typedef struct conn_config {
  size_t max_message;        /* bytes of one message (--max-message) */
  unsigned max_depth;        /* nesting of containers (--max-depth) */
  uint64_t first_request_ms; /* accept to first request (--first-request-ms) */
  uint64_t message_ms;       /* first byte to last (--message-ms) */
  uint64_t idle_ms;          /* without a request, no seat (--idle-ms); 0 off */
  size_t max_output;         /* unsent bytes before a close (--max-output) */
  unsigned max_connections;  /* open connections (--max-connections) */
  unsigned max_batch;        /* requests per connection per loop iteration */
  /* Bytes of output produced per loop iteration over every connection
   * (--max-output-per-iteration); 0 takes the default. */
  size_t max_output_per_iteration;
} conn_config_t;

/* The defaults of proto_limits.h. */
void conn_config_default(conn_config_t *cfg);

/*
 * The counters, as an X-macro so that the struct, server.stats and the
 * report at shutdown list the same names in the same order (the names are
 * on the wire: never rename one). All count events since start except
 * `active`, which is the connections open now. A refused connection
 * counts in refused_total, and also in refused_per_address when that was
 * the reason. closed_error counts connections lost to an I/O error or to
 * the server running out of memory. Each connection's end is counted
 * once, under its first cause. batches_deferred counts pipelined bursts
 * cut at --max-batch (the rest was handled on later loop iterations);
 * output_paused counts the times a connection with requests waiting was
 * paused because the loop iteration had produced
 * --max-output-per-iteration bytes of output (it resumed, in turn, on a
 * later iteration).
 * The http_* and ws_* counters are the --http transport's (http.h):
 * requests answered, 404s, / asked of a server built without the web
 * client, malformed or refused requests, heads over --max-http-head,
 * heads not complete within --first-request-ms, HTTP connections refused
 * at --max-connections, requests refused for a Host that is not the
 * server's (DNS rebinding), WebSocket handshakes accepted, and handshakes
 * refused by the Origin check. An upgraded connection is then counted
 * like a TCP one (accepted, active, closed_*).
 */
#define CONN_COUNTERS(X)                                                       \
  X(accepted)                                                                  \
  X(active)                                                                    \
  X(refused_total)                                                             \
  X(refused_per_address)                                                       \
  X(closed_invalid)                                                            \
  X(closed_too_large)                                                          \
  X(closed_too_deep)                                                           \
  X(closed_bad_count)                                                          \
  X(closed_first_request_timeout)                                              \
  X(closed_message_timeout)                                                    \
  X(closed_idle)                                                               \
  X(closed_output_budget)                                                      \
  X(closed_by_peer)                                                            \
  X(closed_error)                                                              \
  X(requests)                                                                  \
  X(error_responses)                                                           \
  X(error_notifications)                                                       \
  X(batches_deferred)                                                          \
  X(output_paused)                                                             \
  X(http_requests)                                                             \
  X(http_not_found)                                                            \
  X(http_not_built)                                                            \
  X(http_bad_request)                                                          \
  X(http_head_too_large)                                                       \
  X(http_timeout)                                                              \
  X(http_refused)                                                              \
  X(http_refused_host)                                                         \
  X(ws_upgrades)                                                               \
  X(ws_refused_origin)

typedef struct conn_counters {
#define CONN_COUNTER_FIELD(name) uint64_t name;
  CONN_COUNTERS(CONN_COUNTER_FIELD)
#undef CONN_COUNTER_FIELD
} conn_counters_t;

/* Call fn once per counter, in the order above. */
void conn_counters_each(const conn_counters_t *c,
                        void (*fn)(const char *name, uint64_t value, void *arg),
                        void *arg);

/* Error codes of this module (libuv's UV_E* codes pass through as well). */
enum {
  CONN_ENOMEM = -1101,  /* out of memory */
  CONN_ECLOSED = -1102, /* the connection is closing */
  CONN_EBUDGET = -1103, /* the output budget was exceeded (and it closed) */
  CONN_EFULL = -1104    /* --max-connections are open: refused */
};

/* A sentence for one of the codes above or a libuv code. */
const char *conn_strerror(int err);

typedef struct conn conn_t;
typedef struct conn_core conn_core_t;

/*
 * What a transport does for the core. Every function gets the conn_t the
 * transport embedded; none may free it (only release does).
 */
typedef struct conn_ops {
  /* Send data[0..len). Return 0 if the transport took all of it at once
   * (the bytes may be reused), 1 if it is in flight (the bytes stay valid
   * and the transport calls conn_write_done exactly once, also when
   * cancelled by close), or a negative UV_E* code (nothing was sent).
   * The core has at most one write in flight. */
  int (*write)(conn_t *c, const char *data, size_t len);
  /* Bytes accepted by write but not yet handed to the OS, for the output
   * budget. */
  size_t (*queued)(conn_t *c);
  /* Stop and restart delivering input (a batch cut at --max-batch leaves
   * the rest of a burst in the kernel, which pushes back on the client).
   * read_start returns 0 or a negative code. */
  void (*read_stop)(conn_t *c);
  int (*read_start)(conn_t *c);
  /* End the write side after the bytes written so far (TCP: FIN). Return
   * 0 and call conn_shutdown_done later, or a negative code. */
  int (*shutdown)(conn_t *c);
  /* Close the transport's handles (queued output is dropped); call
   * conn_transport_closed once they are closed. Called once. */
  void (*close)(conn_t *c);
  /* Free the transport's struct: the connection is gone. Called once. */
  void (*release)(conn_t *c);
} conn_ops_t;

/* The connection. Transports embed it and read nothing inside but `peer`
 * (the dispatcher's view, with the client's address) and `id`. */
struct conn {
  rpc_peer_t peer;
  uint64_t id;   /* for log lines */
  char name[64]; /* "address:port" of the peer, for logs */

  const conn_ops_t *ops;
  conn_core_t *core;
  struct conn *prev, *next; /* every connection, for shutdown */
  uv_timer_t timer;         /* the earliest of the deadlines below */

  /* Input: the bytes of a message that spans chunks. Whole messages are
   * handled straight from the chunk fed and never copied. */
  uint8_t *in;
  size_t in_len, in_cap;
  proto_scan_t scan;

  /* Output, double-buffered: out[pend] collects answers while
   * out[pend ^ 1] is being written. */
  proto_buf_t out[2];
  unsigned pend;

  /* Deadlines in loop milliseconds (uv_now); 0 when not running. */
  uint64_t first_deadline;  /* accept to first request */
  uint64_t msg_deadline;    /* first byte of a message to its last */
  uint64_t idle_deadline;   /* last request + idle_ms */
  uint64_t linger_deadline; /* draining or answering after EOF */
  uint64_t armed;           /* when the timer fires; 0 if stopped */

  struct conn *bl_next; /* in the core's backlog */
  unsigned open;        /* the timer and the transport, until closed */
  bool backlog;         /* has complete requests waiting: reading stopped */
  bool counted;         /* its end is counted in a closed_* counter */
  bool admitted;        /* counted in active */
  bool in_read;         /* inside a feed: batch output, flush once */
  bool out_paused;      /* the last batch stopped at the iteration's output
                           budget */
  bool writing;
  bool draining; /* a fatal error was sent; discard input */
  bool shut;     /* ops->shutdown was called: no more writes */
  bool eof;      /* the peer closed its side */
  bool closing;
};

/*
 * The core shared by every connection of every transport: configuration,
 * limits, counters, the dispatcher, the list of connections, the backlog
 * of cut batches, and one read buffer. cfg is copied; rpc and counters
 * must outlive the core. Returns 0 or CONN_ENOMEM.
 */
int conn_core_new(conn_core_t **out, uv_loop_t *loop, const conn_config_t *cfg,
                  rpc_t *rpc, conn_counters_t *counters);
/* Close every connection and the core's handle (asynchronous; the loop
 * ends once the close callbacks ran). Idempotent. */
void conn_core_close(conn_core_t *core);
/* Free the core after uv_run returned: every connection is released. */
void conn_core_free(conn_core_t *core);
conn_counters_t *conn_core_counters(conn_core_t *core);
const conn_config_t *conn_core_config(const conn_core_t *core);

/*
 * Start the life of c, which the transport has just allocated (zeroed or
 * not) inside its own struct: name is the peer's "address:port" for logs,
 * ip its address alone (rpc_peer_t.addr, for limits kept per address).
 * After this call the transport closes c with conn_close only, and frees
 * it in ops->release. Returns 0, or a negative code when the timer could
 * not be set up: the transport then frees c itself (the core holds no
 * reference to it).
 */
int conn_init(conn_core_t *core, conn_t *c, const conn_ops_t *ops,
              const char *name, const char *ip);

/*
 * Admit c against --max-connections. Returns 0 or CONN_EFULL (counted in
 * refused_total and logged; the caller closes c with conn_close). A
 * transport with further admission rules (per address) checks them after
 * this and before conn_start.
 */
int conn_admit(conn_t *c);

/*
 * c is admitted: count it (accepted, active), start its deadlines and ask
 * the transport to read. On failure c is closed and counted.
 */
void conn_start(conn_t *c);

/* Where the transport reads next (libuv's alloc callback): at a message
 * boundary a buffer shared by every connection, inside a message the
 * space behind its first bytes, so that a message spanning reads is
 * assembled without a copy. buf->len is 0 if out of memory. */
void conn_read_buf(conn_t *c, uv_buf_t *buf);

/*
 * Input: len bytes that follow what was fed before, from the buffer of
 * conn_read_buf or from anywhere else (a WebSocket message). Frames,
 * limits and dispatches them, at most --max-batch requests now (the rest
 * waits, with reading stopped, for a later loop iteration), and sends
 * the answers. c may be closing afterwards, never freed.
 */
void conn_feed(conn_t *c, const uint8_t *data, size_t len);

/*
 * A transport found a protocol error in its own framing (a WebSocket text
 * message, a message holding more or less than one value): count it in
 * counter (one of this core's counters, once per connection like every
 * end), send err as the "error" notification as the core does for its own
 * limits, and drain: close once it is sent (or at the linger deadline).
 * With err NULL the connection is counted and closed at once.
 */
void conn_fail(conn_t *c, uint64_t *counter, const proto_error_t *err);

/* The input ended: status UV_EOF for an orderly end (the answers owed are
 * still sent, then the connection closes), another UV_E* code for an
 * error. */
void conn_read_end(conn_t *c, int status);

/* The write started by ops->write finished (status 0) or failed. */
void conn_write_done(conn_t *c, int status);

/* The shutdown started by ops->shutdown finished or failed. */
void conn_shutdown_done(conn_t *c, int status);

/* Close c: idempotent, asynchronous (see the top of this file). */
void conn_close(conn_t *c);

/* The transport's handles are closed (after ops->close). */
void conn_transport_closed(conn_t *c);

#endif
