/*
 * echo-server: a bare libuv TCP echo server, the floor of the network
 * benchmark (bench/run.sh).
 *
 * It does the least any libuv server must do per byte: read into a buffer and
 * write the same bytes back. No parsing, no allocation after accept, so the
 * rate that bench/loadgen reaches against it is what the machine, the kernel
 * and libuv allow; lanthanide-server's `ping` rate is reported as a fraction
 * of it.
 *
 *   echo-server --listen ADDR:PORT      (port 0 picks a free port)
 *
 * prints `echo listening on ADDR:PORT` on stdout once bound, and exits 0 on
 * SIGTERM or SIGINT after closing every handle.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/* Large enough that one read takes everything 64 pipelined requests of a
 * connection have put on the wire. */
#define ECHO_BUF_SIZE 65536

typedef struct echo_conn {
  uv_tcp_t tcp;
  uv_write_t wreq;
  /* Bytes read and not yet fully written back. While a write is queued the
   * connection stops reading, so this one buffer is all it ever needs. */
  size_t pending;
  char buf[ECHO_BUF_SIZE];
} echo_conn_t;

static uv_loop_t *loop;
static uv_tcp_t server;
static uv_signal_t sigterm, sigint;

static void conn_close_cb(uv_handle_t *h) {
  free(container_of((uv_tcp_t *)h, echo_conn_t, tcp));
}

static void conn_close(echo_conn_t *c) {
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  echo_conn_t *c = container_of((uv_tcp_t *)h, echo_conn_t, tcp);
  *buf = uv_buf_init(c->buf, sizeof c->buf);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void write_cb(uv_write_t *req, int status) {
  echo_conn_t *c = container_of(req, echo_conn_t, wreq);
  c->pending = 0;
  if (status < 0 || uv_is_closing((uv_handle_t *)&c->tcp)) {
    conn_close(c);
    return;
  }
  if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) != 0)
    conn_close(c);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  echo_conn_t *c = container_of((uv_tcp_t *)s, echo_conn_t, tcp);
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (n == 0)
    return;
  /* Most of the time the socket takes everything at once; then there is no
   * write request and no callback to wait for. */
  uv_buf_t out = uv_buf_init(c->buf, (unsigned)n);
  int w = uv_try_write(s, &out, 1);
  if (w == UV_EAGAIN)
    w = 0;
  if (w < 0) {
    conn_close(c);
    return;
  }
  if ((size_t)w == (size_t)n)
    return;
  /* The rest waits for the peer to read. Stop reading meanwhile: the buffer
   * is in use, and a client that does not read should not make us buffer. */
  c->pending = (size_t)n - (size_t)w;
  out = uv_buf_init(c->buf + w, (unsigned)c->pending);
  uv_read_stop(s);
  if (uv_write(&c->wreq, s, &out, 1, write_cb) != 0)
    conn_close(c);
}

static void connection_cb(uv_stream_t *srv, int status) {
  if (status < 0)
    return;
  echo_conn_t *c = malloc(sizeof *c);
  if (c == NULL)
    return;
  c->pending = 0;
  if (uv_tcp_init(loop, &c->tcp) != 0) {
    free(c);
    return;
  }
  if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c);
    return;
  }
  /* Requests are small and latency-bound when unpipelined. */
  uv_tcp_nodelay(&c->tcp, 1);
  if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) != 0)
    conn_close(c);
}

static void close_any(uv_handle_t *h, void *arg) {
  if (uv_is_closing(h))
    return;
  if (h->type == UV_TCP && (uv_tcp_t *)h != &server)
    conn_close(container_of((uv_tcp_t *)h, echo_conn_t, tcp));
  else
    uv_close(h, NULL);
}

static void signal_cb(uv_signal_t *sig, int signum) {
  uv_walk(loop, close_any, NULL);
}

/* Splits "ADDR:PORT" or "[ADDR6]:PORT" and fills *ss. */
static int parse_addr(const char *s, struct sockaddr_storage *ss) {
  char host[64];
  const char *colon = strrchr(s, ':');
  if (colon == NULL || colon == s)
    return UV_EINVAL;
  size_t hl = (size_t)(colon - s);
  if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
    s++;
    hl -= 2;
  }
  if (hl >= sizeof host)
    return UV_EINVAL;
  memcpy(host, s, hl);
  host[hl] = '\0';
  char *end;
  errno = 0;
  long port = strtol(colon + 1, &end, 10);
  if (errno != 0 || *end != '\0' || end == colon + 1 || port < 0 ||
      port > 65535)
    return UV_EINVAL;
  if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0)
    return 0;
  return uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss);
}

static void usage(FILE *f) {
  fprintf(f, "usage: echo-server --listen ADDR:PORT\n");
}

int main(int argc, char **argv) {
  const char *listen_at = "127.0.0.1:0";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen_at = argv[++i];
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }

  struct sockaddr_storage ss;
  if (parse_addr(listen_at, &ss) != 0) {
    fprintf(stderr, "echo-server: bad --listen address '%s'\n", listen_at);
    return 2;
  }

  loop = uv_default_loop();
  int r = uv_tcp_init(loop, &server);
  if (r == 0)
    r = uv_tcp_bind(&server, (const struct sockaddr *)&ss, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t *)&server, 1024, connection_cb);
  if (r != 0) {
    fprintf(stderr, "echo-server: listen on %s: %s\n", listen_at,
            uv_strerror(r));
    return 1;
  }

  /* Report the port actually bound (the caller may have asked for 0). */
  struct sockaddr_storage bound;
  int len = sizeof bound;
  char host[INET6_ADDRSTRLEN];
  int port;
  uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len);
  if (bound.ss_family == AF_INET6) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&bound;
    uv_ip6_name(a6, host, sizeof host);
    port = ntohs(a6->sin6_port);
    printf("echo listening on [%s]:%d\n", host, port);
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&bound;
    uv_ip4_name(a4, host, sizeof host);
    port = ntohs(a4->sin_port);
    printf("echo listening on %s:%d\n", host, port);
  }
  fflush(stdout);

  uv_signal_init(loop, &sigterm);
  uv_signal_start(&sigterm, signal_cb, SIGTERM);
  uv_signal_init(loop, &sigint);
  uv_signal_start(&sigint, signal_cb, SIGINT);

  uv_run(loop, UV_RUN_DEFAULT);
  r = uv_loop_close(loop);
  if (r != 0) {
    fprintf(stderr, "echo-server: loop close: %s\n", uv_strerror(r));
    return 1;
  }
  return 0;
}
