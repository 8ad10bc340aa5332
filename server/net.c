/*
 * net: the TCP transport. Listens, accepts, caps connections per address,
 * and connects libuv's TCP callbacks to the connection core (conn.h),
 * which frames, dispatches, answers in order and enforces every other
 * limit. See net.h.
 *
 * A TCP connection is a tcp_conn_t: its conn_t, its uv_tcp_t and the
 * write and shutdown requests. Its handle's close callback tells the core
 * (conn_transport_closed), and the core frees it through tcp_release once
 * its own timer has closed too.
 */
#include "net.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "lan_assert.h"

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/* Pending connections the kernel may queue before we accept them. */
#define NET_BACKLOG 511
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

typedef struct tcp_conn {
  conn_t conn; /* the core's part */
  uv_tcp_t tcp;
  uv_write_t wreq; /* at most one write in flight (the core's rule) */
  uv_shutdown_t sreq;
  net_server_t *srv;
  addr_entry_t *addr; /* counted in its address; NULL if not (refused) */
} tcp_conn_t;

struct net_server {
  uv_loop_t *loop;
  uv_tcp_t listener;
  bool listening;
  bool closing;
  net_config_t cfg;
  conn_core_t *core;

  /* Open connections per remote address: a chained hash table keyed with
   * SipHash (crypto_shorthash) under a random key, so a client cannot pick
   * addresses that collide. */
  addr_entry_t **buckets;
  size_t nbuckets;
  size_t naddrs;
  unsigned char hkey[crypto_shorthash_KEYBYTES];
};

/* ---- Configuration, errors ---------------------------------------------- */

void net_config_default(net_config_t *cfg) {
  cfg->keepalive_s = LAN_KEEPALIVE_S_DEFAULT;
  cfg->max_per_address = LAN_MAX_PER_ADDRESS_DEFAULT;
}

const char *net_strerror(int err) {
  if (err == NET_ENOMEM)
    return "out of memory";
  return uv_strerror(err);
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

void *net_addr_take(net_server_t *s, const struct sockaddr_storage *peer,
                    const char *name) {
  conn_counters_t *k = conn_core_counters(s->core);
  uint8_t key[NET_ADDR_KEY];
  addr_entry_t *e;

  addr_key(peer, key);
  e = addr_get(s, key);
  if (!e) {
    k->refused_total++;
    log_event(LOG_LEVEL_WARN, "refused %s: out of memory", name);
    return NULL;
  }
  if (e->count >= s->cfg.max_per_address) {
    k->refused_total++;
    k->refused_per_address++;
    log_event(LOG_LEVEL_INFO,
              "refused %s: %u connections open from that address "
              "(--max-per-address)",
              name, e->count);
    addr_put(s, e);
    return NULL;
  }
  e->count++;
  return e;
}

void net_addr_release(net_server_t *s, void *handle) {
  addr_entry_t *e = handle;

  LAN_ASSERT(e->count > 0);
  e->count--;
  addr_put(s, e);
}

/* ---- The transport's side of a connection (conn_ops_t) ---------------- */

static tcp_conn_t *tcp_of(conn_t *c) {
  return container_of(c, tcp_conn_t, conn);
}

static void on_write(uv_write_t *req, int status) {
  tcp_conn_t *t = container_of(req, tcp_conn_t, wreq);

  conn_write_done(&t->conn, status);
}

static int tcp_write(conn_t *c, const char *data, size_t len) {
  tcp_conn_t *t = tcp_of(c);
  uv_buf_t ub;
  int r;

  ub.base = (char *)data;
  ub.len = len;

  /* Try the write now: when the socket takes it all (the usual case), no
   * write request is queued and libuv makes no epoll_ctl call for it. */
  r = uv_try_write((uv_stream_t *)&t->tcp, &ub, 1);
  if (r == UV_EAGAIN)
    r = 0;
  if (r < 0)
    return r;
  if ((size_t)r == len)
    return 0;
  ub.base += r;
  ub.len -= (size_t)r;
  r = uv_write(&t->wreq, (uv_stream_t *)&t->tcp, &ub, 1, on_write);
  return r < 0 ? r : 1;
}

static size_t tcp_queued(conn_t *c) {
  return uv_stream_get_write_queue_size((uv_stream_t *)&tcp_of(c)->tcp);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  tcp_conn_t *t = container_of((uv_tcp_t *)h, tcp_conn_t, tcp);

  (void)suggested;
  conn_read_buf(&t->conn, buf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  tcp_conn_t *t = container_of((uv_tcp_t *)st, tcp_conn_t, tcp);

  if (nread > 0)
    conn_feed(&t->conn, (const uint8_t *)buf->base, (size_t)nread);
  else if (nread < 0)
    conn_read_end(&t->conn, (int)nread);
}

static void tcp_read_stop(conn_t *c) {
  uv_read_stop((uv_stream_t *)&tcp_of(c)->tcp);
}

static int tcp_read_start(conn_t *c) {
  return uv_read_start((uv_stream_t *)&tcp_of(c)->tcp, on_alloc, on_read);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  tcp_conn_t *t = container_of(req, tcp_conn_t, sreq);

  conn_shutdown_done(&t->conn, status);
}

static int tcp_shutdown(conn_t *c) {
  tcp_conn_t *t = tcp_of(c);

  return uv_shutdown(&t->sreq, (uv_stream_t *)&t->tcp, on_shutdown);
}

static void on_tcp_closed(uv_handle_t *h) {
  tcp_conn_t *t = container_of((uv_tcp_t *)h, tcp_conn_t, tcp);

  conn_transport_closed(&t->conn);
}

static void tcp_close(conn_t *c) {
  uv_close((uv_handle_t *)&tcp_of(c)->tcp, on_tcp_closed);
}

static void tcp_release(conn_t *c) {
  tcp_conn_t *t = tcp_of(c);

  if (t->addr)
    net_addr_release(t->srv, t->addr);
  free(t);
}

static const conn_ops_t tcp_ops = {
    .write = tcp_write,
    .queued = tcp_queued,
    .read_stop = tcp_read_stop,
    .read_start = tcp_read_start,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .release = tcp_release,
};

/* ---- Accepting ---------------------------------------------------------- */

/* A connection that never reached the core: free it once closed. */
static void on_unborn_closed(uv_handle_t *h) {
  free(container_of((uv_tcp_t *)h, tcp_conn_t, tcp));
}

static void on_connection(uv_stream_t *ls, int status) {
  net_server_t *s = container_of((uv_tcp_t *)ls, net_server_t, listener);
  struct sockaddr_storage peer;
  int len = sizeof(peer);
  char name[64] = "unknown", ip[48] = "unknown";
  tcp_conn_t *t;

  if (status < 0) {
    log_event(LOG_LEVEL_WARN, "accept failed: %s", uv_strerror(status));
    return;
  }
  t = calloc(1, sizeof(*t));
  if (!t) {
    log_error("out of memory accepting a connection");
    return;
  }
  t->srv = s;
  if (uv_tcp_init(s->loop, &t->tcp) != 0) {
    free(t);
    return;
  }
  memset(&peer, 0, sizeof(peer));
  if (uv_accept(ls, (uv_stream_t *)&t->tcp) != 0) {
    uv_close((uv_handle_t *)&t->tcp, on_unborn_closed);
    return;
  }
  uv_tcp_getpeername(&t->tcp, (struct sockaddr *)&peer, &len);
  addr_name(&peer, name, sizeof(name));
  peer_ip(&peer, ip, sizeof(ip));
  if (conn_init(s->core, &t->conn, &tcp_ops, name, ip) != 0) {
    uv_close((uv_handle_t *)&t->tcp, on_unborn_closed);
    return;
  }

  /* Admission: refuse by closing at once, before reading a byte. */
  if (conn_admit(&t->conn) != 0) {
    conn_close(&t->conn);
    return;
  }
  t->addr = net_addr_take(s, &peer, name);
  if (!t->addr) {
    conn_close(&t->conn);
    return;
  }

  /* Answers are small and interactive: send them without Nagle's delay. */
  uv_tcp_nodelay(&t->tcp, 1);
  if (s->cfg.keepalive_s > 0)
    uv_tcp_keepalive(&t->tcp, 1, s->cfg.keepalive_s);
  conn_start(&t->conn);
}

/* ---- The server --------------------------------------------------------- */

int net_server_new(net_server_t **out, uv_loop_t *loop, const net_config_t *cfg,
                   conn_core_t *core) {
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
  s->core = core;
  *out = s;
  return 0;
}

int net_listen(uv_loop_t *loop, uv_tcp_t *listener, bool *initialised,
               const struct sockaddr *addr, uv_connection_cb on_accept,
               struct sockaddr_storage *bound) {
  int len = sizeof(*bound);
  int r = uv_tcp_init(loop, listener);
  if (r < 0)
    return r;
  *initialised = true;
  r = uv_tcp_bind(listener, addr, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t *)listener, NET_BACKLOG, on_accept);
  if (r == 0) {
    memset(bound, 0, sizeof(*bound));
    r = uv_tcp_getsockname(listener, (struct sockaddr *)bound, &len);
  }
  return r;
}

int net_server_listen(net_server_t *s, const struct sockaddr *addr,
                      struct sockaddr_storage *bound) {
  return net_listen(s->loop, &s->listener, &s->listening, addr, on_connection,
                    bound);
}

void net_server_close(net_server_t *s) {
  if (s->closing)
    return;
  s->closing = true;
  if (s->listening && !uv_is_closing((uv_handle_t *)&s->listener))
    uv_close((uv_handle_t *)&s->listener, NULL);
}

void net_server_free(net_server_t *s) {
  if (!s)
    return;
  /* Every connection was released (and left its address) already. */
  LAN_ASSERT(s->naddrs == 0);
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
