/*
 * net: the TCP transport of the server (libuv).
 *
 * It accepts connections, reads bytes, frames them into MessagePack values
 * with the allocation-free scanner of proto.h, hands each complete value to
 * the dispatcher (rpc.h), and writes the answers back in request order. It
 * enforces every limit of PROTOCOL.md that concerns a connection (message
 * size and depth, the three deadlines, the output budget, connections
 * overall and per address) and counts every limit hit in net_counters_t.
 *
 * One loop, one thread: nothing here is thread-safe. Connections are owned
 * by the server object and freed only in their close callbacks.
 */
#ifndef LANTHANIDE_NET_H
#define LANTHANIDE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "rpc.h"

/* Every limit of a connection; each is a flag of lanthanide-server. */
typedef struct net_config {
  size_t max_message;        /* bytes of one message (--max-message) */
  unsigned max_depth;        /* nesting of containers (--max-depth) */
  uint64_t first_request_ms; /* accept to first request (--first-request-ms) */
  uint64_t message_ms;       /* first byte to last (--message-ms) */
  uint64_t idle_ms;          /* without a request, no seat (--idle-ms); 0 off */
  unsigned keepalive_s;      /* TCP keepalive delay (--keepalive-s); 0 off */
  size_t max_output;         /* unsent bytes before a close (--max-output) */
  unsigned max_connections;  /* open connections (--max-connections) */
  unsigned max_per_address;  /* from one address (--max-per-address) */
  unsigned max_batch;        /* requests per connection per loop iteration */
} net_config_t;

/* The defaults of proto_limits.h. */
void net_config_default(net_config_t *cfg);

/*
 * The counters, as an X-macro so that the struct, server.stats and the
 * report at shutdown list the same names in the same order. All count
 * events since start except `active`, which is the connections open now.
 * A refused connection counts in refused_total, and also in
 * refused_per_address when that was the reason. closed_error counts
 * connections lost to an I/O error or to the server running out of memory.
 * Each connection's end is counted once, under its first cause.
 * batches_deferred counts pipelined bursts cut at --max-batch (the rest
 * was handled on later loop iterations).
 */
#define NET_COUNTERS(X)                                                        \
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
  X(batches_deferred)

typedef struct net_counters {
#define NET_COUNTER_FIELD(name) uint64_t name;
  NET_COUNTERS(NET_COUNTER_FIELD)
#undef NET_COUNTER_FIELD
} net_counters_t;

/* Call fn once per counter, in the order above. */
void net_counters_each(const net_counters_t *c,
                       void (*fn)(const char *name, uint64_t value, void *arg),
                       void *arg);

typedef struct net_server net_server_t;

/* Error codes of this module (libuv's UV_E* codes pass through as well). */
enum {
  NET_ENOMEM = -1001,  /* out of memory */
  NET_ECLOSED = -1002, /* the connection is closing */
  NET_EBUDGET = -1003  /* the output budget was exceeded (and it closed) */
};

/* A sentence for one of the codes above or a libuv code. */
const char *net_strerror(int err);

/*
 * Create a server on loop. cfg is copied; rpc and counters must outlive the
 * server. Returns 0 or a negative code.
 */
int net_server_new(net_server_t **out, uv_loop_t *loop, const net_config_t *cfg,
                   rpc_t *rpc, net_counters_t *counters);

/* Bind and listen on addr (IPv4 or IPv6; port 0 picks a free port); the
 * address actually bound is stored in *bound. Returns 0 or a UV_E* code. */
int net_server_listen(net_server_t *s, const struct sockaddr *addr,
                      struct sockaddr_storage *bound);

/*
 * Stop accepting and close every connection (queued output is dropped).
 * Asynchronous: the handles close on the next turns of the loop, and the
 * loop ends once they have. Idempotent.
 */
void net_server_close(net_server_t *s);

/* Free the server once the loop has run every close callback (uv_run
 * returned). */
void net_server_free(net_server_t *s);

#endif
