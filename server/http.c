/*
 * http: the HTTP side of the --http transport. Accepts, parses requests
 * with http-parser (Debian's libhttp-parser 2.9), serves the web client's
 * files from memory (webassets.h), and hands a valid WebSocket handshake
 * on /ws to ws.c. See http.h.
 *
 * A request is answered when http-parser reports it complete; answers
 * are written in order (libuv queues the writes) from a small heap block
 * holding the head, the body pointing into the compiled-in table. A
 * request that breaks a rule gets a short text answer saying why and the
 * connection closes after it.
 */
#include "http.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha1.h>
#include <sodium.h>

#include "lan_assert.h"
#include "log.h"
#include "web_internal.h"
#include "webassets.h"

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/* The GUID of RFC 6455, section 1.3. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* Every answer carries these. The policy allows nothing inline and
 * nothing from elsewhere; connect-src adds the server's own ws:// and
 * wss:// origin for browsers that do not count them as 'self' yet. */
#define CSP_HEAD                                                               \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "   \
  "data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "  \
  "form-action 'self'; connect-src 'self'"
#define SECURITY_HEADERS                                                       \
  "X-Content-Type-Options: nosniff\r\n"                                        \
  "Referrer-Policy: no-referrer\r\n"                                           \
  "X-Frame-Options: DENY\r\n"                                                  \
  "Cross-Origin-Opener-Policy: same-origin\r\n"                                \
  "Cross-Origin-Resource-Policy: same-origin\r\n"

/* Shown at / when the server was built without the web client. */
static const char not_built_page[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Lanthanide: web client not built</title></head><body>\n"
    "<h1>The web client was not built into this server</h1>\n"
    "<p>The server runs (TCP clients and WebSocket on /ws work), but its "
    "browser client was not compiled in, because npm was missing when it "
    "was built.</p>\n"
    "<p>Install Node.js 20 and npm, then run <code>make</code> again at the "
    "top of the source tree (it runs <code>npm ci</code> and <code>npm run "
    "build</code> in <code>clients/web</code> and embeds the result), and "
    "restart the server.</p>\n</body></html>\n";

struct http_server {
  uv_loop_t *loop;
  uv_tcp_t listener;
  bool listening;
  bool closing;
  http_config_t cfg;
  conn_core_t *core;
  net_server_t *net;
  conn_counters_t *k;
  web_conn_t *conns; /* not upgraded */
  unsigned n_conns;
  http_render_fn metrics; /* GET /metrics; NULL: 404 like any path */
  void *metrics_arg;
  const char *metrics_type;
  http_parser_settings settings;
  uint8_t rbuf[LAN_READ_CHUNK];
};

/* One answer in flight: the head, then the body (static memory, or a
 * copy after the head, for a body made for this answer). */
typedef struct http_write {
  uv_write_t req;
  size_t head_len;
  char head[];
} http_write_t;

static void web_close(web_conn_t *w);
static void web_arm(web_conn_t *w);

/* ---- Configuration ------------------------------------------------------ */

void http_server_set_metrics(http_server_t *s, http_render_fn fn, void *arg,
                             const char *content_type) {
  s->metrics = fn;
  s->metrics_arg = arg;
  s->metrics_type = content_type;
}

void http_config_default(http_config_t *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->max_head = LAN_MAX_HTTP_HEAD_DEFAULT;
  cfg->keepalive_s = LAN_KEEPALIVE_S_DEFAULT;
}

/* "scheme://host[:port]", with nothing after: what browsers send. */
static bool origin_valid(const char *o) {
  const char *p;

  if (strcmp(o, "*") == 0)
    return true;
  if (strncmp(o, "http://", 7) == 0)
    p = o + 7;
  else if (strncmp(o, "https://", 8) == 0)
    p = o + 8;
  else
    return false;
  if (*p == '\0')
    return false;
  for (; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
      return false;
  return true;
}

int http_config_origins(http_config_t *cfg, const char *list, char *buf,
                        size_t size, char *err, size_t errlen) {
  char *save = NULL, *tok;

  if (strlen(list) >= size) {
    snprintf(err, errlen, "the list is longer than %zu bytes", size - 1);
    return -1;
  }
  snprintf(buf, size, "%s", list);
  cfg->n_origins = 0;
  for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (!origin_valid(tok)) {
      snprintf(err, errlen,
               "'%s' is not an origin; expected scheme://host[:port] like "
               "https://class.example.org or http://10.0.0.5:8080, or *",
               tok);
      return -1;
    }
    if (cfg->n_origins >= HTTP_MAX_ORIGINS) {
      snprintf(err, errlen, "more than %u origins", HTTP_MAX_ORIGINS);
      return -1;
    }
    cfg->origins[cfg->n_origins++] = tok;
  }
  return 0;
}

int http_client_built(void) {
  return web_asset_count > 0;
}

/* ---- Shared with ws.c --------------------------------------------------- */

conn_core_t *web_core(web_conn_t *w) {
  return w->srv->core;
}

void web_read_buf(web_conn_t *w, uv_buf_t *buf) {
  *buf = uv_buf_init((char *)w->srv->rbuf, sizeof(w->srv->rbuf));
}

/* ---- Connection life ---------------------------------------------------- */

static void web_unlink(web_conn_t *w) {
  http_server_t *s = w->srv;

  if (w->prev)
    w->prev->next = w->next;
  else if (s->conns == w)
    s->conns = w->next;
  if (w->next)
    w->next->prev = w->prev;
  w->prev = w->next = NULL;
}

/* Free once every handle of ours has closed and, after an upgrade, the
 * core has released the connection. */
static void web_maybe_free(web_conn_t *w) {
  if (w->handles > 0 || (w->upgraded && !w->released))
    return;
  if (w->addr)
    net_addr_release(w->srv->net, w->addr);
  proto_buf_free(&w->wout[0]);
  proto_buf_free(&w->wout[1]);
  proto_buf_free(&w->rdy);
  proto_buf_free(&w->held);
  proto_buf_free(&w->msg);
  free(w);
}

void web_conn_free(web_conn_t *w) {
  w->released = true;
  web_maybe_free(w);
}

void web_handle_closed(uv_handle_t *h) {
  web_conn_t *w = h->data;

  LAN_ASSERT(w->handles > 0);
  w->handles--;
  if (w->upgraded && (uv_handle_t *)&w->tcp == h) {
    /* The core's transport is closed. */
    conn_transport_closed(&w->conn);
    return;
  }
  web_maybe_free(w);
}

/* Close an HTTP (not upgraded) connection: idempotent. */
static void web_close(web_conn_t *w) {
  if (w->closing || w->upgraded)
    return;
  w->closing = true;
  web_unlink(w);
  LAN_ASSERT(w->srv->n_conns > 0);
  w->srv->n_conns--;
  uv_close((uv_handle_t *)&w->idle, web_handle_closed);
  uv_close((uv_handle_t *)&w->timer, web_handle_closed);
  uv_close((uv_handle_t *)&w->tcp, web_handle_closed);
}

static void on_timer(uv_timer_t *t) {
  web_conn_t *w = t->data;

  /* A browser keeps a connection open after its requests: its end is
   * normal, not a slow client. */
  if (w->served > 0 && !w->in_headers) {
    log_debug("http %s: closed: idle after %u requests", w->name, w->served);
    web_close(w);
    return;
  }

  w->srv->k->http_timeout++;
  log_event(LOG_LEVEL_INFO,
            "http %s: closed: no complete request within %" PRIu64
            " ms (--first-request-ms)",
            w->name, conn_core_config(w->srv->core)->first_request_ms);
  web_close(w);
}

/* The head of the next request must arrive within --first-request-ms. */
static void web_arm(web_conn_t *w) {
  uv_timer_start(&w->timer, on_timer,
                 conn_core_config(w->srv->core)->first_request_ms, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

int web_read_start(web_conn_t *w) {
  int r;

  if (w->reading)
    return 0;
  r = uv_read_start((uv_stream_t *)&w->tcp, on_alloc, on_read);
  if (r == 0)
    w->reading = true;
  return r;
}

void web_read_stop(web_conn_t *w) {
  if (!w->reading)
    return;
  uv_read_stop((uv_stream_t *)&w->tcp);
  w->reading = false;
}

void web_close_upgraded(web_conn_t *w) {
  uv_close((uv_handle_t *)&w->idle, web_handle_closed);
  uv_close((uv_handle_t *)&w->timer, web_handle_closed);
  uv_close((uv_handle_t *)&w->tcp, web_handle_closed);
}

/* ---- Answers ------------------------------------------------------------ */

static void on_written(uv_write_t *req, int status) {
  http_write_t *hw = container_of(req, http_write_t, req);
  web_conn_t *w = req->data;

  free(hw);
  LAN_ASSERT(w->writes > 0);
  w->writes--;
  if (w->closing)
    return;
  if (status < 0 || (w->close_after && w->writes == 0))
    web_close(w);
}

/* Queue an answer: status line, headers (extra ends in CRLF or is ""),
 * and body (static memory; NULL for none). With close_after the
 * connection closes once it is written. */
static void web_answer_ex(web_conn_t *w, const char *status, const char *ctype,
                          const char *extra, const void *body, size_t len,
                          bool head_only, bool copy);

static void web_answer(web_conn_t *w, const char *status, const char *ctype,
                       const char *extra, const void *body, size_t len,
                       bool head_only) {
  web_answer_ex(w, status, ctype, extra, body, len, head_only, false);
}

/* As web_answer; with copy, the body is copied after the head in the
 * answer's own allocation (it need not outlive the call). */
static void web_answer_ex(web_conn_t *w, const char *status, const char *ctype,
                          const char *extra, const void *body, size_t len,
                          bool head_only, bool copy) {
  http_write_t *hw;
  uv_buf_t bufs[2];
  size_t cap = 1024 + strlen(extra);
  int n, r;

  if (w->closing)
    return;
  /* A client that pipelines requests and never reads its answers. */
  if (uv_stream_get_write_queue_size((uv_stream_t *)&w->tcp) >
      conn_core_config(w->srv->core)->max_output) {
    w->srv->k->closed_output_budget++;
    web_close(w);
    return;
  }
  hw = malloc(sizeof(*hw) + cap + (copy ? len : 0));
  if (!hw) {
    web_close(w);
    return;
  }
  n = snprintf(hw->head, cap,
               "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
               "%s" SECURITY_HEADERS "Content-Security-Policy: " CSP_HEAD
               "\r\nConnection: %s\r\n\r\n",
               status, ctype, len, extra,
               w->close_after ? "close" : "keep-alive");
  LAN_ASSERT(n > 0 && (size_t)n < cap);
  hw->head_len = (size_t)n;
  hw->req.data = w;
  if (copy && len > 0) {
    memcpy(hw->head + cap, body, len);
    body = hw->head + cap;
  }
  bufs[0] = uv_buf_init(hw->head, (unsigned)hw->head_len);
  bufs[1] = uv_buf_init((char *)body, (unsigned)len);
  r = uv_write(&hw->req, (uv_stream_t *)&w->tcp, bufs,
               body && len > 0 && !head_only ? 2 : 1, on_written);
  if (r < 0) {
    free(hw);
    web_close(w);
    return;
  }
  w->writes++;
}

/* A refusal: a sentence for a person, in the same block as the head
 * (it is short), then close. */
static void web_refuse(web_conn_t *w, const char *status, uint64_t *counter,
                       const char *why) {
  size_t len = strlen(why), cap = 1024 + len;
  http_write_t *hw;
  uv_buf_t buf;
  int n;

  if (counter)
    (*counter)++;
  log_event(LOG_LEVEL_INFO, "http %s: %s: %s", w->name, status, why);
  w->close_after = true;
  if (w->closing)
    return;
  hw = malloc(sizeof(*hw) + cap);
  if (!hw) {
    web_close(w);
    return;
  }
  n = snprintf(
      hw->head, cap,
      "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: %zu\r\nCache-Control: no-store\r\n" SECURITY_HEADERS
      "Content-Security-Policy: " CSP_HEAD "\r\nConnection: close\r\n\r\n%s\n",
      status, len + 1, why);
  LAN_ASSERT(n > 0 && (size_t)n < cap);
  hw->req.data = w;
  buf = uv_buf_init(hw->head, (unsigned)n);
  if (uv_write(&hw->req, (uv_stream_t *)&w->tcp, &buf, 1, on_written) < 0) {
    free(hw);
    web_close(w);
    return;
  }
  w->writes++;
}

static const web_asset_t *asset_find(const char *path) {
  size_t lo = 0, hi = web_asset_count;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(path, web_assets[mid].path);
    if (c == 0)
      return &web_assets[mid];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* GET or HEAD of a file of the client: exact paths only, no decoding. */
static void web_serve(web_conn_t *w, bool head_only) {
  conn_counters_t *k = w->srv->k;
  char path[WEB_URL_MAX + 1];
  const web_asset_t *a;
  size_t n = strcspn(w->url, "?#");

  memcpy(path, w->url, n);
  path[n] = '\0';
  if (strcmp(path, "/") == 0)
    snprintf(path, sizeof(path), "/index.html");
  if (w->closing)
    return; /* nothing can be answered: do not render it */
  if (w->srv->metrics && strcmp(path, "/metrics") == 0) {
    /* The same text as server.metrics (metrics.h), made now. */
    proto_buf_t text;
    proto_buf_init(&text);
    if (w->srv->metrics(w->srv->metrics_arg, &text) == 0)
      web_answer_ex(w, "200 OK", w->srv->metrics_type,
                    "Cache-Control: no-store\r\n", text.data, text.len,
                    head_only, true);
    else
      web_refuse(w, "500 Internal Server Error", NULL,
                 "The server ran out of memory rendering its metrics.");
    proto_buf_free(&text);
    return;
  }
  if (web_asset_count == 0 && strcmp(path, "/index.html") == 0) {
    k->http_not_built++;
    web_answer(w, "503 Service Unavailable", "text/html; charset=utf-8",
               "Cache-Control: no-store\r\n", not_built_page,
               sizeof(not_built_page) - 1, head_only);
    return;
  }
  a = path[0] == '/' ? asset_find(path) : NULL;
  if (!a) {
    static const char nf[] = "Not found: this server serves the web client's "
                             "files, /ws and /metrics, nothing else.\n";
    k->http_not_found++;
    log_event(LOG_LEVEL_DEBUG, "http %s: 404 %.*s", w->name, 200, w->url);
    web_answer(w, "404 Not Found", "text/plain; charset=utf-8",
               "Cache-Control: no-store\r\n", nf, sizeof(nf) - 1, head_only);
    return;
  }
  web_answer(w, "200 OK", a->content_type,
             a->immutable ? "Cache-Control: public, max-age=31536000, "
                            "immutable\r\n"
                          : "Cache-Control: no-cache\r\n",
             a->data, a->len, head_only);
}

/* ---- WebSocket handshake ------------------------------------------------ */

/* Whether the comma-separated header value holds token (any case). */
static bool has_token(const char *value, const char *token) {
  size_t tl = strlen(token);
  const char *p = value;

  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *e = p;
    while (*e && *e != ',')
      e++;
    const char *t = e;
    while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
      t--;
    if ((size_t)(t - p) == tl && strncasecmp(p, token, tl) == 0)
      return true;
    p = e;
  }
  return false;
}

/* The Origin check against cross-site WebSocket hijacking: a page on
 * another site must not open /ws with the user's network position. A
 * browser always sends Origin; its host[:port] must be the Host the
 * browser asked for, or the origin must be in --http-origin. A client
 * that is not a browser sends none and is let in (it could send any
 * Origin it liked anyway). */
static bool origin_ok(const web_conn_t *w) {
  const http_config_t *cfg = &w->srv->cfg;
  const char *o = w->hdr[WEB_H_ORIGIN], *host;

  if (w->hdr_len[WEB_H_ORIGIN] == 0)
    return true;
  for (unsigned i = 0; i < cfg->n_origins; i++)
    if (strcmp(cfg->origins[i], "*") == 0 ||
        strcasecmp(cfg->origins[i], o) == 0)
      return true;
  if (strncmp(o, "http://", 7) == 0)
    host = o + 7;
  else if (strncmp(o, "https://", 8) == 0)
    host = o + 8;
  else
    return false;
  return w->hdr_len[WEB_H_HOST] > 0 &&
         strcasecmp(host, w->hdr[WEB_H_HOST]) == 0;
}

/* The Host check against DNS rebinding: a site that points its own name
 * at 127.0.0.1 (or at the laptop's address) would otherwise be this
 * server's "same host" for the Origin check, and its pages could speak to
 * it from a visitor's browser. A browser sends the name it resolved in
 * Host; only the server's IP addresses, localhost, and the hosts of
 * --http-origin are answered. A request with no Host (HTTP/1.0, tools) is
 * answered. */
static bool host_ok(const web_conn_t *w) {
  const http_config_t *cfg = &w->srv->cfg;
  const char *h = w->hdr[WEB_H_HOST];
  char name[WEB_HDR_MAX];
  unsigned char addr[16];
  const char *colon;
  size_t n;

  if (w->hdr_len[WEB_H_HOST] == 0 || h[0] == '[')
    return true; /* none, or an IPv6 literal */
  colon = strrchr(h, ':');
  n = colon ? (size_t)(colon - h) : strlen(h);
  memcpy(name, h, n);
  name[n] = '\0';
  if (uv_inet_pton(AF_INET, name, addr) == 0 ||
      strcasecmp(name, "localhost") == 0)
    return true;
  for (unsigned i = 0; i < cfg->n_origins; i++) {
    const char *o = cfg->origins[i], *oh;
    if (strcmp(o, "*") == 0)
      return true;
    oh = strstr(o, "://");
    if (oh && strcasecmp(oh + 3, h) == 0)
      return true;
  }
  return false;
}

static void ws_accept_key(const char *key, char out[32]) {
  struct sha1_ctx ctx;
  uint8_t digest[SHA1_DIGEST_SIZE];

  sha1_init(&ctx);
  sha1_update(&ctx, strlen(key), (const uint8_t *)key);
  sha1_update(&ctx, sizeof(WS_GUID) - 1, (const uint8_t *)WS_GUID);
  sha1_digest(&ctx, sizeof(digest), digest);
  sodium_bin2base64(out, 32, digest, sizeof(digest),
                    sodium_base64_VARIANT_ORIGINAL);
}

static void web_refuse_host(web_conn_t *w) {
  web_refuse(w, "421 Misdirected Request", &w->srv->k->http_refused_host,
             "Misdirected request: this server answers to its IP address "
             "and to localhost; to serve it under a name, start it with "
             "--http-origin http://NAME:PORT (the address the browser shows).");
}

/* A request asking for an upgrade: to a WebSocket on /ws, or refused.
 * rest[0..len) followed the request in the same read. */
static void web_upgrade(web_conn_t *w, const uint8_t *rest, size_t len) {
  conn_counters_t *k = w->srv->k;
  unsigned char raw[32];
  size_t raw_len = 0;
  char accept[32];
  size_t n = strcspn(w->url, "?#");

  for (int i = 0; i < WEB_H_COUNT; i++)
    if (w->hdr_long[i] || w->url_long) {
      web_refuse(w, "400 Bad Request", &k->http_bad_request,
                 "Bad request: a header is repeated or too long.");
      return;
    }
  if (!host_ok(w)) {
    web_refuse_host(w);
    return;
  }
  if (w->parser.method != HTTP_GET || n != 3 || memcmp(w->url, "/ws", 3) != 0) {
    web_refuse(w, "404 Not Found", &k->http_not_found,
               "Not found: the WebSocket endpoint is GET /ws.");
    return;
  }
  if (!has_token(w->hdr[WEB_H_UPGRADE], "websocket") ||
      !has_token(w->hdr[WEB_H_CONNECTION], "upgrade")) {
    web_refuse(w, "400 Bad Request", &k->http_bad_request,
               "Bad request: /ws takes a WebSocket handshake (Upgrade: "
               "websocket, Connection: Upgrade).");
    return;
  }
  if (w->has_body) {
    web_refuse(w, "400 Bad Request", &k->http_bad_request,
               "Bad request: a WebSocket handshake has no body (no "
               "Content-Length over 0, no Transfer-Encoding).");
    return;
  }
  if (strcmp(w->hdr[WEB_H_WS_VERSION], "13") != 0) {
    web_refuse(w, "426 Upgrade Required", &k->http_bad_request,
               "Bad request: Sec-WebSocket-Version must be 13 (RFC 6455).");
    return;
  }
  if (sodium_base642bin(raw, sizeof(raw), w->hdr[WEB_H_WS_KEY],
                        w->hdr_len[WEB_H_WS_KEY], NULL, &raw_len, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      raw_len != 16) {
    web_refuse(w, "400 Bad Request", &k->http_bad_request,
               "Bad request: Sec-WebSocket-Key must be 16 bytes in base64.");
    return;
  }
  if (!origin_ok(w)) {
    k->ws_refused_origin++;
    web_refuse(w, "403 Forbidden", NULL,
               "Forbidden: a page from another site may not open this "
               "server's WebSocket (its Origin is not this server's host, "
               "nor one of --http-origin).");
    return;
  }
  ws_accept_key(w->hdr[WEB_H_WS_KEY], accept);
  /* From here the connection belongs to the core and ws.c. */
  uv_timer_stop(&w->timer);
  web_unlink(w);
  w->srv->n_conns--;
  if (ws_upgrade(w, accept, rest, len) != 0) {
    w->srv->n_conns++;
    w->next = w->srv->conns;
    if (w->next)
      w->next->prev = w;
    w->srv->conns = w;
    web_close(w);
  }
}

/* ---- Parsing ------------------------------------------------------------ */

static bool head_add(web_conn_t *w, size_t len) {
  w->head_len += len;
  if (w->head_len > w->srv->cfg.max_head) {
    w->head_too_large = true;
    return false;
  }
  return true;
}

static int on_message_begin(http_parser *p) {
  web_conn_t *w = p->data;

  /* After an answer that ends the connection, or once it is closing (a
   * client over --max-output), parse nothing more. */
  if (w->close_after || w->closing)
    return 1;
  w->head_len = 0;
  w->in_headers = true;
  w->has_body = false;
  w->url_len = 0;
  w->url[0] = '\0';
  w->url_long = false;
  w->field_len = 0;
  w->field_long = false;
  w->last_was_value = false;
  w->cur = WEB_H_NONE;
  for (int i = 0; i < WEB_H_COUNT; i++) {
    w->hdr[i][0] = '\0';
    w->hdr_len[i] = 0;
    w->hdr_long[i] = false;
  }
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  web_conn_t *w = p->data;

  if (!head_add(w, len))
    return 1;
  if (w->url_len + len >= WEB_URL_MAX) {
    w->url_long = true;
    return 0;
  }
  memcpy(w->url + w->url_len, at, len);
  w->url_len += len;
  w->url[w->url_len] = '\0';
  return 0;
}

static enum web_hdr header_of(const char *name) {
  static const char *const names[WEB_H_COUNT] = {"host",
                                                 "origin",
                                                 "upgrade",
                                                 "connection",
                                                 "sec-websocket-key",
                                                 "sec-websocket-version"};

  for (int i = 0; i < WEB_H_COUNT; i++)
    if (strcasecmp(name, names[i]) == 0)
      return (enum web_hdr)i;
  return WEB_H_NONE;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  web_conn_t *w = p->data;

  if (!head_add(w, len + 4)) /* ": " and CRLF */
    return 1;
  if (w->last_was_value) {
    w->field_len = 0;
    w->field_long = false;
    w->last_was_value = false;
  }
  if (w->field_len + len >= sizeof(w->field)) {
    w->field_long = true;
    return 0;
  }
  memcpy(w->field + w->field_len, at, len);
  w->field_len += len;
  w->field[w->field_len] = '\0';
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  web_conn_t *w = p->data;
  enum web_hdr h;

  if (!head_add(w, len))
    return 1;
  if (!w->last_was_value) {
    w->last_was_value = true;
    w->cur = w->field_long ? WEB_H_NONE : header_of(w->field);
    /* A repeated header of ours is suspicious: keep the first only by
     * refusing the request. */
    if (w->cur != WEB_H_NONE && w->hdr_len[w->cur] > 0)
      w->hdr_long[w->cur] = true;
  }
  h = w->cur;
  if (h == WEB_H_NONE)
    return 0;
  if (w->hdr_len[h] + len >= WEB_HDR_MAX) {
    w->hdr_long[h] = true;
    return 0;
  }
  memcpy(w->hdr[h] + w->hdr_len[h], at, len);
  w->hdr_len[h] += len;
  w->hdr[h][w->hdr_len[h]] = '\0';
  return 0;
}

static int on_headers_complete(http_parser *p) {
  web_conn_t *w = p->data;

  w->in_headers = false;
  /* No request of ours has a body. One that says it has one (or any
   * method but GET and HEAD) is answered at once, without waiting for a
   * body that could be gigabytes, and the connection closes after the
   * answer (1: http-parser reads no body; what follows is not parsed). */
  if ((p->method != HTTP_GET && p->method != HTTP_HEAD) ||
      (p->flags & F_CHUNKED) ||
      (p->content_length > 0 && p->content_length != ULLONG_MAX)) {
    w->has_body = true;
    return 1;
  }
  return 0;
}

static void web_request(web_conn_t *w) {
  conn_counters_t *k = w->srv->k;
  http_parser *p = &w->parser;

  k->http_requests++;
  w->served++;
  w->close_after = !http_should_keep_alive(p) || w->has_body;
  if (w->url_long) {
    web_refuse(w, "414 URI Too Long", &k->http_bad_request,
               "URI too long: this server's paths are short.");
    return;
  }
  for (int i = 0; i < WEB_H_COUNT; i++)
    if (w->hdr_long[i]) {
      web_refuse(w, "400 Bad Request", &k->http_bad_request,
                 "Bad request: a header is repeated or longer than 255 "
                 "bytes (Host, Origin, Upgrade, Connection, "
                 "Sec-WebSocket-*).");
      return;
    }
  if (!host_ok(w)) {
    web_refuse_host(w);
    return;
  }
  if (strcspn(w->url, "?#") == 3 && memcmp(w->url, "/ws", 3) == 0) {
    web_refuse(w, "400 Bad Request", &k->http_bad_request,
               "Bad request: /ws takes a WebSocket handshake (Upgrade: "
               "websocket, Connection: Upgrade).");
    return;
  }
  if (p->method != HTTP_GET && p->method != HTTP_HEAD) {
    k->http_bad_request++;
    w->close_after = true;
    static const char body[] = "Method not allowed: GET or HEAD only.\n";
    web_answer(w, "405 Method Not Allowed", "text/plain; charset=utf-8",
               "Allow: GET, HEAD\r\nCache-Control: no-store\r\n", body,
               sizeof(body) - 1, false);
    return;
  }
  web_serve(w, p->method == HTTP_HEAD);
}

static int on_message_complete(http_parser *p) {
  web_conn_t *w = p->data;

  if (p->upgrade) {
    /* Handled after http_parser_execute returns, with the bytes that
     * follow. */
    w->want_upgrade = true;
    return 0;
  }
  web_request(w);
  if (!w->closing && !w->close_after) {
    unsigned max = conn_core_config(w->srv->core)->max_batch;
    web_arm(w); /* the next request's deadline */
    /* --max-batch answers from one read, as over TCP: web_parse keeps the
     * rest for the next loop iteration. */
    if (max > 0 && ++w->batch >= max)
      http_parser_pause(p, 1);
  }
  return 0;
}

/* ---- Reading ------------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  web_conn_t *w = h->data;

  (void)suggested;
  web_read_buf(w, buf);
}

static void web_parse(web_conn_t *w, const uint8_t *data, size_t len,
                      bool held);

/* The rest of a read cut at --max-batch, on a later loop iteration. */
static void on_http_backlog(uv_idle_t *h) {
  web_conn_t *w = h->data;

  uv_idle_stop(h);
  if (w->closing || w->upgraded)
    return;
  /* (Nothing is held when the batch ended with the read: an empty parse
   * would be taken for the end of the input.) */
  if (w->held.len > w->held_off)
    web_parse(w, (const uint8_t *)w->held.data + w->held_off,
              w->held.len - w->held_off, true);
  if (w->closing || w->upgraded || uv_is_active((uv_handle_t *)&w->idle))
    return;
  /* All of it is parsed: back to the socket. */
  w->held_off = 0;
  if (w->held.cap > 65536)
    proto_buf_free(&w->held);
  else
    proto_buf_reset(&w->held);
  if (web_read_start(w) != 0)
    web_close(w);
}

/* Parse and answer what arrived: data is a read, or (held) the part of
 * w->held from w->held_off on. */
static void web_parse(web_conn_t *w, const uint8_t *data, size_t len,
                      bool held) {
  conn_counters_t *k = w->srv->k;
  size_t used;

  w->batch = 0;
  used = http_parser_execute(&w->parser, &w->srv->settings, (const char *)data,
                             len);
  if (w->closing)
    return;
  if (w->head_too_large) {
    char why[160];
    snprintf(why, sizeof(why),
             "Request head too large: at most %zu bytes of request line and "
             "headers (--max-http-head).",
             w->srv->cfg.max_head);
    web_refuse(w, "431 Request Header Fields Too Large",
               &k->http_head_too_large, why);
    return;
  }
  if (w->want_upgrade) {
    web_upgrade(w, data + used, len - used);
    return;
  }
  if (w->close_after) /* answered; the rest is not parsed (on_message_begin) */
    return;
  if (HTTP_PARSER_ERRNO(&w->parser) == HPE_PAUSED) {
    /* --max-batch requests answered (on_message_complete): stop reading,
     * keep the rest and go on with it on the next loop iteration, so that
     * one read of pipelined requests cannot hold the loop. */
    http_parser_pause(&w->parser, 0);
    k->batches_deferred++;
    if (held) {
      w->held_off += used;
    } else {
      proto_buf_reset(&w->held);
      w->held_off = 0;
      if (proto_buf_reserve(&w->held, len - used) != 0) {
        web_close(w);
        return;
      }
      memcpy(w->held.data, data + used, len - used);
      w->held.len = len - used;
    }
    web_read_stop(w);
    uv_idle_start(&w->idle, on_http_backlog);
    return;
  }
  if (HTTP_PARSER_ERRNO(&w->parser) != HPE_OK) {
    char why[200];
    snprintf(why, sizeof(why), "Bad request: not HTTP/1.x (%s).",
             http_errno_description(HTTP_PARSER_ERRNO(&w->parser)));
    web_refuse(w, "400 Bad Request", &k->http_bad_request, why);
  }
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  web_conn_t *w = st->data;

  if (w->upgraded) {
    if (nread > 0)
      ws_read(w, (const uint8_t *)buf->base, (size_t)nread);
    else if (nread < 0)
      ws_read_end(w, (int)nread);
    return;
  }
  if (nread == 0 || w->closing)
    return;
  if (nread < 0) {
    web_close(w);
    return;
  }
  if (w->close_after) /* answering a refusal: ignore what follows */
    return;
  web_parse(w, (const uint8_t *)buf->base, (size_t)nread, false);
}

/* ---- Accepting ---------------------------------------------------------- */

static void peer_names(uv_tcp_t *t, struct sockaddr_storage *peer, char *name,
                       size_t nsize, char *ip, size_t isize) {
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  int port = 0;

  memset(&ss, 0, sizeof(ss));
  memset(peer, 0, sizeof(*peer));
  snprintf(name, nsize, "unknown");
  snprintf(ip, isize, "unknown");
  if (uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len) != 0)
    return;
  *peer = ss;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    uv_ip4_name(a, ip, isize);
    port = ntohs(a->sin_port);
    snprintf(name, nsize, "%s:%d", ip, port);
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    uv_ip6_name(a, ip, isize);
    port = ntohs(a->sin6_port);
    snprintf(name, nsize, "[%s]:%d", ip, port);
    if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.'))
      memmove(ip, ip + 7, strlen(ip + 7) + 1);
  }
}

static void on_unborn_closed(uv_handle_t *h) {
  free(h->data);
}

static void on_connection(uv_stream_t *ls, int status) {
  http_server_t *s = container_of((uv_tcp_t *)ls, http_server_t, listener);
  struct sockaddr_storage peer;
  web_conn_t *w;

  if (status < 0) {
    log_event(LOG_LEVEL_WARN, "http accept failed: %s", uv_strerror(status));
    return;
  }
  w = calloc(1, sizeof(*w));
  if (!w) {
    log_error("out of memory accepting an HTTP connection");
    return;
  }
  w->srv = s;
  if (uv_tcp_init(s->loop, &w->tcp) != 0) {
    free(w);
    return;
  }
  w->tcp.data = w;
  if (uv_accept(ls, (uv_stream_t *)&w->tcp) != 0 ||
      uv_timer_init(s->loop, &w->timer) != 0) {
    uv_close((uv_handle_t *)&w->tcp, on_unborn_closed);
    return;
  }
  w->timer.data = w;
  /* The idle handle hands over the rest of a read cut at --max-batch
   * (HTTP requests, then WebSocket messages after an upgrade). */
  uv_idle_init(s->loop, &w->idle);
  w->idle.data = w;
  w->handles = 3;
  proto_buf_init(&w->wout[0]);
  proto_buf_init(&w->wout[1]);
  proto_buf_init(&w->rdy);
  proto_buf_init(&w->held);
  proto_buf_init(&w->msg);
  peer_names(&w->tcp, &peer, w->name, sizeof(w->name), w->ip, sizeof(w->ip));
  w->next = s->conns;
  if (s->conns)
    s->conns->prev = w;
  s->conns = w;
  s->n_conns++;
  if (s->n_conns > conn_core_config(s->core)->max_connections) {
    s->k->http_refused++;
    log_event(LOG_LEVEL_INFO,
              "http %s: refused: %u HTTP connections open "
              "(--max-connections)",
              w->name, s->n_conns - 1);
    web_close(w);
    return;
  }
  w->addr = net_addr_take(s->net, &peer, w->name);
  if (!w->addr) {
    web_close(w);
    return;
  }
  http_parser_init(&w->parser, HTTP_REQUEST);
  w->parser.data = w;
  uv_tcp_nodelay(&w->tcp, 1);
  /* A WebSocket that holds a seat is never closed for idleness: as over
   * TCP, keepalive finds a peer that has gone (a phone put to sleep). */
  if (s->cfg.keepalive_s > 0)
    uv_tcp_keepalive(&w->tcp, 1, s->cfg.keepalive_s);
  web_arm(w);
  if (web_read_start(w) != 0)
    web_close(w);
}

/* ---- The server --------------------------------------------------------- */

int http_server_new(http_server_t **out, uv_loop_t *loop,
                    const http_config_t *cfg, conn_core_t *core,
                    net_server_t *net) {
  http_server_t *s = calloc(1, sizeof(*s));

  if (!s)
    return HTTP_ENOMEM;
  s->loop = loop;
  s->cfg = *cfg;
  s->core = core;
  s->net = net;
  s->k = conn_core_counters(core);
  http_parser_settings_init(&s->settings);
  s->settings.on_message_begin = on_message_begin;
  s->settings.on_url = on_url;
  s->settings.on_header_field = on_header_field;
  s->settings.on_header_value = on_header_value;
  s->settings.on_headers_complete = on_headers_complete;
  s->settings.on_message_complete = on_message_complete;
  *out = s;
  return 0;
}

int http_server_listen(http_server_t *s, const struct sockaddr *addr,
                       struct sockaddr_storage *bound) {
  return net_listen(s->loop, &s->listener, &s->listening, addr, on_connection,
                    bound);
}

void http_server_close(http_server_t *s) {
  if (!s || s->closing)
    return;
  s->closing = true;
  if (s->listening && !uv_is_closing((uv_handle_t *)&s->listener))
    uv_close((uv_handle_t *)&s->listener, NULL);
  while (s->conns)
    web_close(s->conns);
}

void http_server_free(http_server_t *s) {
  if (!s)
    return;
  LAN_ASSERT(s->conns == NULL);
  free(s);
}
