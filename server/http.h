/*
 * http: the HTTP and WebSocket transport of the server (libuv, http-parser,
 * wslay).
 *
 * One listener (--http ADDR:PORT) on the server's loop answers two things:
 *   - GET /ws with a WebSocket handshake: the connection is upgraded and
 *     from then on is a connection of the core (conn.h) like a TCP one,
 *     with the same methods, limits and counters; each binary WebSocket
 *     message carries exactly one MessagePack value (ws.c).
 *   - GET of one of the web client's files (clients/web/dist, compiled
 *     into the binary by webassets.py: webassets.h), from memory. Any other
 *     path is 404; no request ever reaches the file system.
 *
 * Limits: the request head (--max-http-head), the head's deadline
 * (--first-request-ms, from connecting or from the previous answer; an
 * idle kept-alive connection then just closes), the
 * connections waiting for a request (--max-connections, counted apart from
 * the core's), connections per address (--max-per-address, together with
 * TCP's), the output queued to a client that does not read
 * (--max-output), and, for /ws, the Origin check (same host, or one of
 * --http-origin). Every refusal is counted in conn_counters_t (http_*,
 * ws_*), which server.stats reports.
 *
 * One loop, one thread: nothing here is thread-safe. A connection is freed
 * only in a close callback (before the upgrade) or in the core's release
 * call (after), never inside its own read path.
 */
#ifndef LANTHANIDE_HTTP_H
#define LANTHANIDE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "conn.h"
#include "net.h"

/* The bytes of one request head (request line and headers). */
#define LAN_MAX_HTTP_HEAD_DEFAULT 8192u
#define LAN_MAX_HTTP_HEAD_MIN     1024u
#define LAN_MAX_HTTP_HEAD_MAX     (1024u * 1024u)
/* Origins --http-origin may list (comma-separated). */
#define HTTP_MAX_ORIGINS 16u

typedef struct http_config {
  size_t max_head;      /* bytes of a request head (--max-http-head) */
  unsigned keepalive_s; /* TCP keepalive (--keepalive-s, as for TCP); 0 off */
  /* Origins allowed to open /ws besides the server's own host
   * (--http-origin), like "https://class.example.org"; "*" allows any. */
  const char *origins[HTTP_MAX_ORIGINS];
  unsigned n_origins;
} http_config_t;

void http_config_default(http_config_t *cfg);

/* Parse a comma-separated --http-origin list into cfg (the strings are
 * copied into storage owned by the caller: buf, of size). Returns 0, or
 * -1 with a sentence in err when an origin is malformed or too many. */
int http_config_origins(http_config_t *cfg, const char *list, char *buf,
                        size_t size, char *err, size_t errlen);

typedef struct http_server http_server_t;

enum {
  HTTP_ENOMEM = -1201 /* out of memory */
};

/* Create the server; cfg is copied (the origin strings must outlive it);
 * core and net must outlive the server. Connections count against
 * --max-per-address in net's table (net.h: net_addr_take), with the TCP
 * ones. Returns 0 or HTTP_ENOMEM. */
int http_server_new(http_server_t **out, uv_loop_t *loop,
                    const http_config_t *cfg, conn_core_t *core,
                    net_server_t *net);

/* Bind and listen on addr (port 0 picks one; *bound gets the address).
 * Returns 0 or a UV_E* code. */
int http_server_listen(http_server_t *s, const struct sockaddr *addr,
                       struct sockaddr_storage *bound);

/* Stop accepting and close every connection not yet upgraded (upgraded
 * ones are the core's: conn_core_close closes them). Idempotent. */
void http_server_close(http_server_t *s);

/* Free after uv_run returned. */
void http_server_free(http_server_t *s);

/* Whether the web client is compiled in (clients/web was built). */
int http_client_built(void);

#endif
