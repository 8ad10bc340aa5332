/*
 * net: the TCP transport of the server (libuv).
 *
 * It listens, accepts, enforces the cap on connections per address, and
 * moves bytes between libuv's TCP callbacks and the transport-neutral
 * connection core (conn.h), which does everything else: framing and
 * limits, dispatching, reply order, deadlines, the output budget,
 * batching and the counters.
 *
 * One loop, one thread: nothing here is thread-safe. A TCP connection
 * (net.c's tcp_conn_t) embeds its conn_t and is freed only in the core's
 * release call, after its handles have closed.
 */
#ifndef LANTHANIDE_NET_H
#define LANTHANIDE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "conn.h"

/* What only TCP needs; each is a flag of lanthanide-server. */
typedef struct net_config {
  unsigned keepalive_s;     /* TCP keepalive delay (--keepalive-s); 0 off */
  unsigned max_per_address; /* from one address (--max-per-address) */
} net_config_t;

/* The defaults of proto_limits.h. */
void net_config_default(net_config_t *cfg);

typedef struct net_server net_server_t;

/* Error codes of this module (libuv's UV_E* codes pass through as well). */
enum {
  NET_ENOMEM = -1001 /* out of memory */
};

/* A sentence for one of the codes above or a libuv code. */
const char *net_strerror(int err);

/*
 * Create a TCP server on loop whose connections live in core. cfg is
 * copied; core must outlive the server. Returns 0 or a negative code.
 */
int net_server_new(net_server_t **out, uv_loop_t *loop, const net_config_t *cfg,
                   conn_core_t *core);

/* Bind and listen on addr (IPv4 or IPv6; port 0 picks a free port); the
 * address actually bound is stored in *bound. Returns 0 or a UV_E* code. */
int net_server_listen(net_server_t *s, const struct sockaddr *addr,
                      struct sockaddr_storage *bound);

/* What net_server_listen and the HTTP listener do: init listener on loop,
 * bind addr, listen with on_accept and store the bound address in
 * *bound; *initialised is set once the handle must be closed. 0 or a
 * UV_E* code. */
int net_listen(uv_loop_t *loop, uv_tcp_t *listener, bool *initialised,
               const struct sockaddr *addr, uv_connection_cb on_accept,
               struct sockaddr_storage *bound);

/*
 * Count one more connection from peer against --max-per-address, in the
 * table TCP connections count in, so that a client's TCP and WebSocket
 * connections count together (http.c calls this). Returns a handle for
 * net_addr_release, or NULL when the address is at the cap (counted in
 * refused_total and refused_per_address, and logged under name) or out of
 * memory (counted in refused_total).
 */
void *net_addr_take(net_server_t *s, const struct sockaddr_storage *peer,
                    const char *name);
/* The connection counted by net_addr_take has gone. */
void net_addr_release(net_server_t *s, void *handle);

/*
 * Stop accepting (asynchronous, idempotent). The connections are the
 * core's: conn_core_close closes them.
 */
void net_server_close(net_server_t *s);

/* Free the server once the loop has run every close callback (uv_run
 * returned) and every connection is released. */
void net_server_free(net_server_t *s);

#endif
