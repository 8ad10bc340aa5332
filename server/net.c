/*
 * net: the TCP transport. Accepts connections, frames their bytes into
 * MessagePack values, hands each value to the dispatcher, writes answers in
 * order, and enforces the per-connection limits of PROTOCOL.md. See net.h.
 *
 * A connection's life:
 *   accept --admit (limits overall and per address)--> reading
 *   reading --scanner failure or deadline--> draining: the "error"
 *     notification is flushed, the write side shut down (FIN), input is read
 *     and discarded until the peer closes or the linger deadline passes
 *   reading --peer EOF--> answers already owed are flushed, then close
 *   any state --output budget, I/O error, server shutdown--> closing
 * Closing is idempotent and asynchronous: conn_close marks the connection
 * and starts uv_close on its two handles; the memory is freed in the last
 * close callback, never inside a read or write callback. Each connection's
 * end is counted once, in the counter of its first cause (conn_count).
 *
 * Fairness: at most --max-batch complete requests of one connection are
 * handled per loop iteration. The rest of a pipelined burst waits in the
 * connection's input buffer with reading stopped (so the kernel's socket
 * buffer pushes back on the client), and the server's idle handle hands
 * the connection its next batch on the next iteration, after every other
 * connection has had its turn at I/O.
 */
#include "net.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "lan_assert.h"

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/* Pending connections the kernel may queue before we accept them. */
#define NET_BACKLOG 511
/* A connection's input buffer starts at this size when a message spans
 * reads, and is released when it empties above NET_IN_KEEP, so that an
 * idle connection holds no input memory. */
#define NET_IN_MIN  4096u
#define NET_IN_KEEP (64u * 1024u)
/* An output buffer above this size is released once written, so a single
 * burst does not pin its peak for the life of the connection. */
#define NET_OUT_KEEP (64u * 1024u)
/* After an error that closes the connection, how long the server waits for
 * the peer to read the error and close its side before it closes anyway.
 * Closing at once would make the kernel answer the peer's unread bytes
 * with a reset, which can destroy the error message in flight. */
#define NET_LINGER_MS 2000u
/* The first size of the per-address table (a power of two). */
#define NET_ADDR_BUCKETS 256u
/* Key of the per-address table: a family tag and 16 address bytes. */
#define NET_ADDR_KEY 17u

typedef struct addr_entry {
  struct addr_entry *next;
  uint64_t hash;
  uint32_t count; /* open connections from this address */
  uint8_t key[NET_ADDR_KEY];
} addr_entry_t;

typedef struct net_conn {
  uv_tcp_t tcp;
  uv_timer_t timer; /* the earliest of the deadlines below */
  uv_write_t wreq;  /* at most one write in flight */
  uv_shutdown_t sreq;
  rpc_peer_t peer;
  net_server_t *srv;
  struct net_conn *prev, *next; /* every connection, for shutdown */
  addr_entry_t *addr;           /* NULL for a refused connection */
  uint64_t id;                  /* for log lines */
  char name[64];                /* "address:port" of the peer, for logs */

  /* Input: the bytes of a message that spans reads. Whole messages are
   * handled straight from the server's read buffer and never copied. */
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

  unsigned open_handles;    /* close callbacks still due */
  struct net_conn *bl_next; /* in the server's backlog, see net_server */
  bool backlog;             /* has complete requests waiting: reading stopped */
  bool counted;             /* its end is counted in a closed_* counter */
  bool admitted;            /* counted in active and in its address */
  bool in_read;             /* inside on_read: batch output, flush once */
  bool writing;
  bool draining; /* a fatal error was sent; discard input */
  bool shut;     /* uv_shutdown was called: no more writes */
  bool eof;      /* the peer closed its side */
  bool closing;
} net_conn_t;

struct net_server {
  uv_loop_t *loop;
  uv_tcp_t listener;
  bool listening;
  bool closing;
  net_config_t cfg;
  proto_limits_t lim;
  rpc_t *rpc;
  net_counters_t *counters;
  net_conn_t *conns;
  uint64_t next_id;

  /* Connections with requests left over from a batch cut at --max-batch,
   * first come first served; the idle handle runs while there are any. */
  uv_idle_t backlog_idle;
  net_conn_t *bl_head, *bl_tail;

  /* Open connections per remote address: a chained hash table keyed with
   * SipHash (crypto_shorthash) under a random key, so a client cannot pick
   * addresses that collide. */
  addr_entry_t **buckets;
  size_t nbuckets;
  size_t naddrs;
  unsigned char hkey[crypto_shorthash_KEYBYTES];

  /* Every read lands here first (one buffer for all connections: the loop
   * handles one read at a time). */
  uint8_t rbuf[LAN_READ_CHUNK];
};

static void conn_close(net_conn_t *c);
static void conn_flush(net_conn_t *c);
static void conn_after_output(net_conn_t *c);
static void conn_undefer(net_conn_t *c);

/* Count the end of a connection in counter, unless its end has already
 * been counted (a drained connection whose peer then resets, a half-closed
 * one whose last write fails): every connection ends once. */
static void conn_count(net_conn_t *c, uint64_t *counter) {
  if (c->counted)
    return;
  c->counted = true;
  (*counter)++;
}

/* ---- Configuration, counters, errors ------------------------------------ */

void net_config_default(net_config_t *cfg) {
  cfg->max_message = LAN_MAX_MESSAGE_DEFAULT;
  cfg->max_depth = LAN_MAX_DEPTH_DEFAULT;
  cfg->first_request_ms = LAN_FIRST_REQUEST_MS_DEFAULT;
  cfg->message_ms = LAN_MESSAGE_MS_DEFAULT;
  cfg->idle_ms = LAN_IDLE_MS_DEFAULT;
  cfg->keepalive_s = LAN_KEEPALIVE_S_DEFAULT;
  cfg->max_output = LAN_MAX_OUTPUT_DEFAULT;
  cfg->max_connections = LAN_MAX_CONNECTIONS_DEFAULT;
  cfg->max_per_address = LAN_MAX_PER_ADDRESS_DEFAULT;
  cfg->max_batch = LAN_MAX_BATCH_DEFAULT;
}

void net_counters_each(const net_counters_t *c,
                       void (*fn)(const char *name, uint64_t value, void *arg),
                       void *arg) {
#define NET_COUNTER_CALL(name) fn(#name, c->name, arg);
  NET_COUNTERS(NET_COUNTER_CALL)
#undef NET_COUNTER_CALL
}

const char *net_strerror(int err) {
  switch (err) {
  case NET_ENOMEM:
    return "out of memory";
  case NET_ECLOSED:
    return "the connection is closing";
  case NET_EBUDGET:
    return "the output budget was exceeded";
  default:
    return uv_strerror(err);
  }
}

/* ---- Addresses ---------------------------------------------------------- */

/* The table key of an address: IPv4 and IPv4-mapped IPv6 alike as family 4,
 * so that a dual-stack listener counts one client once. */
static void addr_key(const struct sockaddr_storage *ss,
                     uint8_t key[NET_ADDR_KEY]) {
  memset(key, 0, NET_ADDR_KEY);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    key[0] = 4;
    memcpy(key + 1, &sin->sin_addr, 4);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      key[0] = 4;
      memcpy(key + 1, &sin6->sin6_addr.s6_addr[12], 4);
    } else {
      key[0] = 6;
      memcpy(key + 1, &sin6->sin6_addr, 16);
    }
  }
}

/* The address alone (no port), as the session layer keys its per-address
 * limits; IPv4-mapped IPv6 addresses are written as IPv4. */
static void peer_ip(const struct sockaddr_storage *ss, char *buf, size_t size) {
  uint8_t key[NET_ADDR_KEY];

  addr_key(ss, key);
  if (key[0] == 4)
    uv_inet_ntop(AF_INET, key + 1, buf, size);
  else if (key[0] == 6)
    uv_inet_ntop(AF_INET6, key + 1, buf, size);
  else
    snprintf(buf, size, "unknown");
}

static void addr_name(const struct sockaddr_storage *ss, char *buf,
                      size_t size) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;

  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    uv_ip4_name(sin, ip, sizeof(ip));
    port = ntohs(sin->sin_port);
    snprintf(buf, size, "%s:%d", ip, port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    uv_ip6_name(sin6, ip, sizeof(ip));
    port = ntohs(sin6->sin6_port);
    snprintf(buf, size, "[%s]:%d", ip, port);
  } else {
    snprintf(buf, size, "unknown");
  }
}

static uint64_t addr_hash(const net_server_t *s,
                          const uint8_t key[NET_ADDR_KEY]) {
  unsigned char h[crypto_shorthash_BYTES];
  uint64_t v;

  crypto_shorthash(h, key, NET_ADDR_KEY, s->hkey);
  memcpy(&v, h, sizeof(v));
  return v;
}

static addr_entry_t *addr_find(const net_server_t *s, uint64_t hash,
                               const uint8_t key[NET_ADDR_KEY]) {
  addr_entry_t *e = s->buckets[hash & (s->nbuckets - 1)];

  for (; e; e = e->next)
    if (e->hash == hash && memcmp(e->key, key, NET_ADDR_KEY) == 0)
      return e;
  return NULL;
}

/* Double the buckets when the table is fuller than one entry per bucket.
 * A failed allocation just leaves longer chains. */
static void addr_grow(net_server_t *s) {
  size_t n = s->nbuckets * 2;
  addr_entry_t **b = calloc(n, sizeof(*b));

  if (!b)
    return;
  for (size_t i = 0; i < s->nbuckets; i++) {
    addr_entry_t *e = s->buckets[i], *next;
    for (; e; e = next) {
      next = e->next;
      e->next = b[e->hash & (n - 1)];
      b[e->hash & (n - 1)] = e;
    }
  }
  free(s->buckets);
  s->buckets = b;
  s->nbuckets = n;
}

/* The entry of key, created with count 0 if new; NULL if out of memory. */
static addr_entry_t *addr_get(net_server_t *s,
                              const uint8_t key[NET_ADDR_KEY]) {
  uint64_t hash = addr_hash(s, key);
  addr_entry_t *e = addr_find(s, hash, key);
  size_t i;

  if (e)
    return e;
  e = calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  e->hash = hash;
  memcpy(e->key, key, NET_ADDR_KEY);
  i = hash & (s->nbuckets - 1);
  e->next = s->buckets[i];
  s->buckets[i] = e;
  if (++s->naddrs > s->nbuckets)
    addr_grow(s);
  return e;
}

/* Drop the entry when no connection from its address remains. */
static void addr_put(net_server_t *s, addr_entry_t *e) {
  addr_entry_t **p;

  if (e->count > 0)
    return;
  for (p = &s->buckets[e->hash & (s->nbuckets - 1)]; *p; p = &(*p)->next) {
    if (*p == e) {
      *p = e->next;
      s->naddrs--;
      free(e);
      return;
    }
  }
  LAN_ASSERT(!"address entry not in its bucket");
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
static void conn_arm(net_conn_t *c) {
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
  now = uv_now(c->srv->loop);
  uv_timer_start(&c->timer, on_timer, due > now ? due - now : 0, 0);
  c->armed = due;
}

/* ---- Output ------------------------------------------------------------- */

static size_t conn_unsent(net_conn_t *c) {
  return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) +
         c->out[c->pend].len + replyq_held(&c->peer.replies);
}

static void conn_over_budget(net_conn_t *c) {
  conn_count(c, &c->srv->counters->closed_output_budget);
  log_event(LOG_LEVEL_INFO,
            "conn %" PRIu64 " (%s): closed: more than %zu bytes of output "
            "unsent, the client does not read (--max-output)",
            c->id, c->name, c->srv->cfg.max_output);
  conn_close(c);
}

/* replyq_emit_fn: append finished answers to the pending buffer. Inside a
 * read callback they are flushed once at its end (one write per batch);
 * otherwise (a deferred answer) at once. */
static int conn_emit(void *ctx, const char *data, size_t len) {
  net_conn_t *c = ctx;
  proto_buf_t *b = &c->out[c->pend];
  size_t unsent;

  if (c->closing || c->shut)
    return NET_ECLOSED;
  unsent = conn_unsent(c);
  if (len > c->srv->cfg.max_output || unsent > c->srv->cfg.max_output - len) {
    conn_over_budget(c);
    return NET_EBUDGET;
  }
  if (proto_buf_reserve(b, len) != 0) {
    conn_count(c, &c->srv->counters->closed_error);
    log_event(LOG_LEVEL_WARN,
              "conn %" PRIu64 " (%s): closed: out of memory for output", c->id,
              c->name);
    conn_close(c);
    return NET_ENOMEM;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  if (!c->in_read) {
    conn_flush(c);
    conn_after_output(c);
  }
  return 0;
}

/* A write failed, at once (conn_flush) or later (on_write): the peer went
 * away (EPIPE, ECONNRESET), or an I/O error. Counted the same either way. */
static void conn_write_failed(net_conn_t *c, int status) {
  if (status == UV_EPIPE || status == UV_ECONNRESET) {
    conn_count(c, &c->srv->counters->closed_by_peer);
  } else {
    conn_count(c, &c->srv->counters->closed_error);
    log_event(LOG_LEVEL_INFO, "conn %" PRIu64 " (%s): closed: write failed: %s",
              c->id, c->name, uv_strerror(status));
  }
  conn_close(c);
}

static void on_write(uv_write_t *req, int status) {
  net_conn_t *c = container_of(req, net_conn_t, wreq);
  proto_buf_t *sent = &c->out[c->pend ^ 1];

  c->writing = false;
  if (sent->cap > NET_OUT_KEEP)
    proto_buf_free(sent);
  else
    proto_buf_reset(sent);
  /* A write cancelled by uv_close lands here too: nothing more to do. */
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
static void conn_flush(net_conn_t *c) {
  proto_buf_t *b = &c->out[c->pend];
  uv_buf_t ub;
  int r;

  if (c->closing || c->writing || c->shut || b->len == 0)
    return;
  ub.base = b->data;
  ub.len = b->len;
  /* Try the write now: when the socket takes it all (the usual case), no
   * write request is queued and libuv makes no epoll_ctl call for it. */
  r = uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
  if (r == UV_EAGAIN)
    r = 0;
  if (r >= 0 && (size_t)r == b->len) {
    b->len = 0;
    return;
  }
  if (r >= 0) {
    ub.base += r;
    ub.len -= (size_t)r;
    r = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &ub, 1, on_write);
  }
  if (r < 0) {
    conn_write_failed(c, r);
    return;
  }
  c->writing = true;
  c->pend ^= 1;
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  net_conn_t *c = container_of(req, net_conn_t, sreq);

  if (c->closing)
    return;
  /* Otherwise wait for the peer to close (on_read) or for the linger
   * deadline (on_timer). */
  if (status < 0)
    conn_close(c);
}

/* Once every answer owed has been handed to the kernel: after the peer's
 * EOF, close; when draining after a fatal error, shut the write side down
 * so the peer sees the error followed by an orderly end of stream. */
static void conn_after_output(net_conn_t *c) {
  if (c->closing || c->writing || c->out[c->pend].len > 0 ||
      !replyq_idle(&c->peer.replies))
    return;
  if (c->eof) {
    conn_close(c);
    return;
  }
  if (c->draining && !c->shut) {
    c->shut = true;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) < 0)
      conn_close(c);
  }
}

/* ---- Closing ------------------------------------------------------------ */

static void conn_free(net_conn_t *c) {
  net_server_t *s = c->srv;

  conn_undefer(c);
  /* A refused connection never reached the dispatcher: nothing to tell. */
  if (c->admitted)
    rpc_peer_closed(s->rpc, &c->peer);
  free(c->in);
  proto_buf_free(&c->out[0]);
  proto_buf_free(&c->out[1]);
  if (c->admitted) {
    LAN_ASSERT(s->counters->active > 0);
    s->counters->active--;
    c->addr->count--;
    addr_put(s, c->addr);
  }
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  free(c);
}

static void on_tcp_closed(uv_handle_t *h) {
  net_conn_t *c = container_of((uv_tcp_t *)h, net_conn_t, tcp);

  if (--c->open_handles == 0)
    conn_free(c);
}

static void on_timer_closed(uv_handle_t *h) {
  net_conn_t *c = container_of((uv_timer_t *)h, net_conn_t, timer);

  if (--c->open_handles == 0)
    conn_free(c);
}

/* Idempotent; the memory goes in the last close callback. Queued output is
 * dropped (libuv cancels a write in flight). */
static void conn_close(net_conn_t *c) {
  if (c->closing)
    return;
  c->closing = true;
  if (c->admitted && !uv_is_closing((uv_handle_t *)&c->timer))
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
}

/*
 * A fatal error: send err as the "error" notification, stop handling
 * input, and close once the notification has left (see conn_after_output)
 * or at the linger deadline.
 */
static void conn_drain(net_conn_t *c, const proto_error_t *err) {
  net_server_t *s = c->srv;

  c->draining = true;
  c->in_len = 0;
  proto_scan_init(&c->scan);
  c->first_deadline = c->msg_deadline = c->idle_deadline = 0;
  c->linger_deadline = uv_now(s->loop) + NET_LINGER_MS;
  conn_arm(c);
  if (rpc_notify_error(s->rpc, &c->peer, err) < 0 || c->closing)
    return;
  if (!c->in_read) {
    conn_flush(c);
    conn_after_output(c);
  }
}

static void conn_scan_failed(net_conn_t *c, proto_scan_result_t r) {
  net_counters_t *k = c->srv->counters;
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
  proto_scan_error(&c->scan, r, &c->srv->lim, &err);
  log_event(LOG_LEVEL_INFO, "conn %" PRIu64 " (%s): closing: %s", c->id,
            c->name, err.message);
  conn_drain(c, &err);
}

/* ---- Reading ------------------------------------------------------------ */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  net_conn_t *c = container_of((uv_tcp_t *)h, net_conn_t, tcp);
  net_server_t *s = c->srv;
  size_t limit, cap;
  uint8_t *p;

  (void)suggested;
  /* At a message boundary (the usual case), read into the shared buffer:
   * whole messages are handled there and only a partial tail is copied. */
  if (c->in_len == 0 || c->draining || c->closing) {
    *buf = uv_buf_init((char *)s->rbuf, sizeof(s->rbuf));
    return;
  }
  /* Inside a message: read straight behind its first bytes. The scanner
   * keeps a partial message within max_message (+ a cut header), so the
   * buffer never needs more than this. */
  limit = s->cfg.max_message + LAN_READ_CHUNK;
  if (c->in_cap - c->in_len < NET_IN_MIN && c->in_cap < limit) {
    cap = c->in_cap * 2;
    if (cap < c->in_len + LAN_READ_CHUNK)
      cap = c->in_len + LAN_READ_CHUNK;
    if (cap > limit)
      cap = limit;
    p = realloc(c->in, cap);
    if (!p) {
      /* libuv turns this into UV_ENOBUFS in on_read. */
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
static void conn_requested(net_conn_t *c) {
  c->first_deadline = 0;
  if (c->srv->cfg.idle_ms > 0)
    c->idle_deadline = uv_now(c->srv->loop) + c->srv->cfg.idle_ms;
}

/*
 * Frame and handle the complete messages in data[0..len), which starts at
 * a message boundary, at most --max-batch of them. Returns the bytes
 * consumed; the rest is the start of a message still arriving or, when
 * *capped is set, requests left for the next batch. *done counts complete
 * messages. Stops when the connection starts draining or closing.
 */
static size_t conn_process(net_conn_t *c, const uint8_t *data, size_t len,
                           unsigned *done, bool *capped) {
  net_server_t *s = c->srv;
  size_t pos = 0, mlen = 0;

  *capped = false;
  while (pos < len) {
    if (*done >= s->cfg.max_batch) {
      *capped = true;
      break;
    }
    proto_scan_result_t r =
        proto_scan_feed(&c->scan, &s->lim, data + pos, len - pos, &mlen);
    if (r == PROTO_SCAN_MORE)
      break;
    if (r != PROTO_SCAN_DONE) {
      conn_scan_failed(c, r);
      return len;
    }
    (*done)++;
    if (rpc_handle(s->rpc, &c->peer, data + pos, mlen) == RPC_OUT_REQUEST)
      conn_requested(c);
    pos += mlen;
    if (c->closing || c->draining)
      return len;
    /* Answers held behind a deferred one bypass conn_emit's check. */
    if (conn_unsent(c) > s->cfg.max_output) {
      conn_over_budget(c);
      return len;
    }
  }
  return pos;
}

/* Keep the tail of a read (the start of a message) for the next read. */
static int conn_keep(net_conn_t *c, const uint8_t *data, size_t len) {
  if (c->in_cap < len) {
    size_t cap = len < NET_IN_MIN ? NET_IN_MIN : len;
    uint8_t *p = realloc(c->in, cap);
    if (!p)
      return -1;
    c->in = p;
    c->in_cap = cap;
  }
  memcpy(c->in, data, len);
  c->in_len = len;
  return 0;
}

static void conn_read_error(net_conn_t *c, ssize_t nread) {
  net_counters_t *k = c->srv->counters;

  if (c->draining) {
    /* The peer closed after our error: the normal end of a drain. */
    conn_close(c);
    return;
  }
  if (nread == UV_EOF) {
    /* The peer sends nothing more but may still read: finish the answers
     * it is owed (a half-closing client pipes its requests and waits for
     * them), then close. A partial message is dropped. */
    conn_count(c, &k->closed_by_peer);
    c->eof = true;
    c->in_len = 0;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->first_deadline = c->msg_deadline = c->idle_deadline = 0;
    c->linger_deadline = uv_now(c->srv->loop) + NET_LINGER_MS;
    conn_arm(c);
    conn_after_output(c);
    return;
  }
  if (nread == UV_ECONNRESET) {
    conn_count(c, &k->closed_by_peer);
  } else {
    conn_count(c, &k->closed_error);
    log_event(LOG_LEVEL_INFO, "conn %" PRIu64 " (%s): closed: read failed: %s",
              c->id, c->name, uv_strerror((int)nread));
  }
  conn_close(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);
static void on_backlog(uv_idle_t *h);

/* The batch was cut at --max-batch: stop reading (the rest of the burst
 * is already in c->in, and more waits in the kernel) and queue the
 * connection for its next batch on the next loop iteration. */
static void conn_defer(net_conn_t *c) {
  net_server_t *s = c->srv;

  if (c->backlog)
    return;
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->backlog = true;
  c->bl_next = NULL;
  if (s->bl_tail)
    s->bl_tail->bl_next = c;
  else
    s->bl_head = c;
  s->bl_tail = c;
  uv_idle_start(&s->backlog_idle, on_backlog);
}

/* Take c out of the backlog (it is closing). */
static void conn_undefer(net_conn_t *c) {
  net_server_t *s = c->srv;
  net_conn_t **p, *prev = NULL;

  if (!c->backlog)
    return;
  for (p = &s->bl_head; *p; prev = *p, p = &(*p)->bl_next)
    if (*p == c) {
      *p = c->bl_next;
      if (s->bl_tail == c)
        s->bl_tail = prev;
      break;
    }
  c->backlog = false;
  if (!s->bl_head)
    uv_idle_stop(&s->backlog_idle);
}

/* Handle what c->in holds (complete messages first, then maybe the start
 * of one), at most one batch; keep the rest. */
static void conn_process_in(net_conn_t *c, unsigned *done, bool *capped) {
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
static void conn_batch_done(net_conn_t *c, unsigned done) {
  net_server_t *s = c->srv;

  if (c->in_len == 0 && c->in_cap > NET_IN_KEEP) {
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
      c->msg_deadline = uv_now(s->loop) + s->cfg.message_ms;
    conn_arm(c);
  }
  conn_flush(c);
  conn_after_output(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  net_conn_t *c = container_of((uv_tcp_t *)st, net_conn_t, tcp);
  net_server_t *s = c->srv;
  unsigned done = 0;
  bool capped = false;
  size_t used;

  if (c->closing || nread == 0)
    return;
  if (nread < 0) {
    conn_read_error(c, nread);
    return;
  }
  if (c->draining)
    return; /* discard: the stream can no longer be trusted */

  c->in_read = true;
  if (buf->base == (char *)s->rbuf) {
    used = conn_process(c, s->rbuf, (size_t)nread, &done, &capped);
    if (!c->closing && !c->draining && used < (size_t)nread &&
        conn_keep(c, s->rbuf + used, (size_t)nread - used) != 0) {
      conn_count(c, &s->counters->closed_error);
      log_event(LOG_LEVEL_WARN,
                "conn %" PRIu64 " (%s): closed: out of memory for input", c->id,
                c->name);
      conn_close(c);
    }
  } else {
    c->in_len += (size_t)nread;
    conn_process_in(c, &done, &capped);
  }
  if (capped && !c->closing && !c->draining) {
    s->counters->batches_deferred++;
    conn_defer(c);
  }
  conn_batch_done(c, done);
}

/* One more batch for each connection in the backlog (those queued before
 * this pass: one re-queued now waits for the next iteration). */
static void on_backlog(uv_idle_t *h) {
  net_server_t *s = container_of(h, net_server_t, backlog_idle);
  net_conn_t *last = s->bl_tail;
  net_conn_t *c;

  do {
    c = s->bl_head;
    if (!c)
      break;
    s->bl_head = c->bl_next;
    if (!s->bl_head)
      s->bl_tail = NULL;
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
      } else if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) !=
                 0) {
        conn_count(c, &s->counters->closed_error);
        conn_close(c);
      }
    }
    conn_batch_done(c, done);
  } while (c != last);
  if (!s->bl_head)
    uv_idle_stop(&s->backlog_idle);
}

/* ---- Deadlines firing --------------------------------------------------- */

/* A deadline passed: count it, tell the client why, and close. */
static void conn_expired(net_conn_t *c, uint64_t *counter, const char *why,
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
  net_conn_t *c = container_of(t, net_conn_t, timer);
  net_server_t *s = c->srv;
  net_counters_t *k = s->counters;
  uint64_t now = uv_now(s->loop);

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
                 s->cfg.message_ms, "--message-ms");
    return;
  }
  if (c->first_deadline && now >= c->first_deadline) {
    conn_expired(c, &k->closed_first_request_timeout,
                 "the first request must arrive", s->cfg.first_request_ms,
                 "--first-request-ms");
    return;
  }
  if (c->idle_deadline && now >= c->idle_deadline) {
    if (c->peer.holds_seat) {
      /* Never idle while it holds a seat; look again later, so that a
       * connection that gives its seat up is idle-checked like any. */
      c->idle_deadline = now + s->cfg.idle_ms;
      conn_arm(c);
      return;
    }
    conn_expired(c, &k->closed_idle,
                 "a connection that holds no seat and watches nothing must "
                 "send a request",
                 s->cfg.idle_ms, "--idle-ms");
    return;
  }
  conn_arm(c);
}

/* ---- Accepting ---------------------------------------------------------- */

static void on_connection(uv_stream_t *ls, int status) {
  net_server_t *s = container_of((uv_tcp_t *)ls, net_server_t, listener);
  net_counters_t *k = s->counters;
  struct sockaddr_storage peer;
  int len = sizeof(peer);
  uint8_t key[NET_ADDR_KEY];
  addr_entry_t *e;
  net_conn_t *c;
  uint64_t now;

  if (status < 0) {
    log_event(LOG_LEVEL_WARN, "accept failed: %s", uv_strerror(status));
    return;
  }
  c = calloc(1, sizeof(*c));
  if (!c) {
    log_error("out of memory accepting a connection");
    return;
  }
  c->srv = s;
  c->id = ++s->next_id;
  snprintf(c->name, sizeof(c->name), "unknown");
  if (uv_tcp_init(s->loop, &c->tcp) != 0) {
    free(c);
    return;
  }
  c->open_handles = 1;
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  rpc_peer_init(&c->peer, conn_emit, c);
  proto_buf_init(&c->out[0]);
  proto_buf_init(&c->out[1]);

  if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c);
    return;
  }
  memset(&peer, 0, sizeof(peer));
  uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &len);
  addr_name(&peer, c->name, sizeof(c->name));
  peer_ip(&peer, c->peer.addr, sizeof(c->peer.addr));

  /* Admission: refuse by closing at once, before reading a byte. */
  if (k->active >= s->cfg.max_connections) {
    k->refused_total++;
    log_event(LOG_LEVEL_INFO,
              "refused %s: %u connections open (--max-connections)", c->name,
              s->cfg.max_connections);
    conn_close(c);
    return;
  }
  addr_key(&peer, key);
  e = addr_get(s, key);
  if (!e) {
    k->refused_total++;
    log_event(LOG_LEVEL_WARN, "refused %s: out of memory", c->name);
    conn_close(c);
    return;
  }
  if (e->count >= s->cfg.max_per_address) {
    k->refused_total++;
    k->refused_per_address++;
    log_event(LOG_LEVEL_INFO,
              "refused %s: %u connections open from that address "
              "(--max-per-address)",
              c->name, e->count);
    addr_put(s, e);
    conn_close(c);
    return;
  }
  e->count++;
  c->addr = e;
  c->admitted = true;
  k->accepted++;
  k->active++;

  uv_timer_init(s->loop, &c->timer);
  c->open_handles = 2;
  /* Answers are small and interactive: send them without Nagle's delay. */
  uv_tcp_nodelay(&c->tcp, 1);
  if (s->cfg.keepalive_s > 0)
    uv_tcp_keepalive(&c->tcp, 1, s->cfg.keepalive_s);
  proto_scan_init(&c->scan);
  now = uv_now(s->loop);
  c->first_deadline = now + s->cfg.first_request_ms;
  if (s->cfg.idle_ms > 0)
    c->idle_deadline = now + s->cfg.idle_ms;
  conn_arm(c);
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
    conn_count(c, &k->closed_error);
    conn_close(c);
    return;
  }
  log_debug("conn %" PRIu64 " (%s): accepted", c->id, c->name);
}

/* ---- The server --------------------------------------------------------- */

int net_server_new(net_server_t **out, uv_loop_t *loop, const net_config_t *cfg,
                   rpc_t *rpc, net_counters_t *counters) {
  net_server_t *s = calloc(1, sizeof(*s));

  if (!s)
    return NET_ENOMEM;
  s->buckets = calloc(NET_ADDR_BUCKETS, sizeof(*s->buckets));
  if (!s->buckets) {
    free(s);
    return NET_ENOMEM;
  }
  s->nbuckets = NET_ADDR_BUCKETS;
  crypto_shorthash_keygen(s->hkey);
  s->loop = loop;
  s->cfg = *cfg;
  if (s->cfg.max_batch == 0) /* a config not from net_config_default */
    s->cfg.max_batch = LAN_MAX_BATCH_DEFAULT;
  s->lim.max_message = cfg->max_message;
  s->lim.max_depth = cfg->max_depth;
  s->rpc = rpc;
  s->counters = counters;
  uv_idle_init(loop, &s->backlog_idle);
  *out = s;
  return 0;
}

int net_server_listen(net_server_t *s, const struct sockaddr *addr,
                      struct sockaddr_storage *bound) {
  int len = sizeof(*bound);
  int r;

  r = uv_tcp_init(s->loop, &s->listener);
  if (r < 0)
    return r;
  s->listening = true;
  r = uv_tcp_bind(&s->listener, addr, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t *)&s->listener, NET_BACKLOG, on_connection);
  if (r == 0) {
    memset(bound, 0, sizeof(*bound));
    r = uv_tcp_getsockname(&s->listener, (struct sockaddr *)bound, &len);
  }
  return r;
}

void net_server_close(net_server_t *s) {
  net_conn_t *c;

  if (s->closing)
    return;
  s->closing = true;
  if (s->listening && !uv_is_closing((uv_handle_t *)&s->listener))
    uv_close((uv_handle_t *)&s->listener, NULL);
  if (!uv_is_closing((uv_handle_t *)&s->backlog_idle))
    uv_close((uv_handle_t *)&s->backlog_idle, NULL);
  /* conn_close only marks and starts uv_close: the list stays intact
   * until the close callbacks run on a later turn of the loop. */
  for (c = s->conns; c; c = c->next)
    conn_close(c);
}

void net_server_free(net_server_t *s) {
  if (!s)
    return;
  LAN_ASSERT(s->conns == NULL);
  for (size_t i = 0; i < s->nbuckets; i++) {
    addr_entry_t *e = s->buckets[i], *next;
    for (; e; e = next) {
      next = e->next;
      free(e);
    }
  }
  free(s->buckets);
  free(s);
}
