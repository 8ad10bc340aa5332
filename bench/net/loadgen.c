/*
 * loadgen: the load generator of the network benchmark (bench/run.sh).
 *
 *   loadgen --server HOST:PORT --connections C --depth D --seconds S
 *           [--warmup W] [--method ping] [--label NAME] [--cpu N]
 *           [--server-pid PID] [--ws]
 *
 * opens C TCP connections and keeps exactly D MessagePack-RPC requests
 * `[0, msgid, method, []]` in flight on each (PROTOCOL.md, "Envelope": requests
 * may be pipelined, responses come back in order). It sends D at start and
 * then one new request per response; the requests one read makes due go out
 * in one write. After W seconds of warmup it counts responses for S seconds
 * and prints one line:
 *
 *   bench=<label> connections=C depth=D requests=N seconds=S rps=R errors=E
 *     p50_us=.. p99_us=.. max_us=..
 *
 * The latencies are of the responses counted: from the write that carried
 * a request to the read that brought its response back (with D in flight,
 * a request waits behind the D - 1 before it: this is the latency of a
 * pipelined client, not of a lone ping).
 *
 * A response is one complete MessagePack value in the received stream. So the
 * same program drives lanthanide-server (which answers `[1, msgid, nil, {}]`)
 * and bench/net/echo_server.c (which sends each request back verbatim), and
 * the two rates are comparable. Value boundaries are found by a small
 * scanner over the raw bytes that neither allocates nor recurses: the
 * generator must cost less per message than any server it measures, or it
 * would be measuring itself. Requests are encoded by msgpack-c's packer into
 * a per-connection buffer allocated once.
 *
 * errors counts, over the whole run: responses whose msgid is not the one
 * expected on that connection (the generator then expects the msgid after the
 * one it got, so a lost response counts once and two swapped ones up to three
 * times), responses carrying an error, values that are not responses
 * (notifications), malformed bytes, and connections lost. The breakdown goes
 * to stderr when any is non-zero.
 *
 * With --server-pid, the line goes on with the CPU the server process and
 * the generator used during the measurement:
 *
 *   ... server_cpu=0.97 server_us_per_req=0.52 loadgen_cpu=0.99
 *
 * (cores busy; server CPU microseconds per response). Throughput on a shared
 * machine moves with whatever else runs; CPU time per request hardly does,
 * and loadgen_cpu near 1 says the generator, not the server, set the pace.
 *
 * With --ws, each connection is a WebSocket to the server's --http port
 * instead (GET /ws, then one request per binary message, one response per
 * message), framed by wslay as the server's own transport is, so that
 * bench/run.sh can print ping over WebSocket beside ping over TCP.
 *
 * One thread, one libuv loop; --cpu pins it to one core so that on a small
 * machine the server can have the other.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <uv.h>
#include <wslay/wslay.h>

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

/* Bytes a connection can read at once; also the largest response accepted.
 * Responses to `ping` are a few bytes, so this takes a whole pipeline. */
#define LG_IN_SIZE 65536

typedef struct lg_conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  int idx;      /* for messages */
  bool writing; /* wreq is queued; out[] belongs to libuv until write_cb */
  bool dead;
  uint32_t next_send; /* msgid of the next request to send */
  uint32_t next_recv; /* msgid the next response should carry */
  uint32_t inflight;  /* requests sent and not answered */
  uint32_t owed;      /* responses received whose follow-up is not sent */
  size_t in_len;      /* bytes in in[]: at most one partial value */
  char *out;          /* room for D encoded requests */
  uint64_t *sent;     /* uv_hrtime of request msgid, at [msgid % D] */
  size_t out_len;
  /* --ws: the handshake is under way; wslay's context; the frames of D
   * requests (wbuf, written like out); the bytes wslay reads from. */
  bool handshaking;
  wslay_event_context_ptr ws;
  char *wbuf;
  size_t wlen, wcap;
  const uint8_t *rin;
  size_t rin_len;
  uint32_t got;
  char in[LG_IN_SIZE];
} lg_conn_t;

/* Why a run counted errors; their sum is the errors= figure. */
typedef struct lg_errors {
  uint64_t mismatch;     /* msgid out of order */
  uint64_t error_reply;  /* error field not nil */
  uint64_t not_response; /* a notification or another non-response value */
  uint64_t malformed;    /* bytes that are not MessagePack */
  uint64_t lost;         /* connect failed, reset, EOF or write error */
} lg_errors_t;

static struct {
  const char *server;
  int connections;
  int depth;
  double seconds;
  double warmup;
  const char *method;
  const char *label;
  int cpu;
  long server_pid;
  bool ws;
} opt = {NULL, 64, 16, 5.0, 1.0, "ping", NULL, -1, 0, false};

static uv_loop_t *loop;
static uv_timer_t phase_timer;
static lg_conn_t **conns;
static size_t req_max; /* bytes of one encoded request, at most */
static int settled;    /* connections connected or failed */
static bool measuring, stopping;
static uint64_t responses; /* over the whole run, all connections */
static uint64_t count0, count1, t0, t1;
/* CPU seconds used by the server process and by this one, at t0 and t1. */
static double srv_cpu0, srv_cpu1, own_cpu0, own_cpu1;
static lg_errors_t err;
/* Response latencies in the measurement window, in whole microseconds:
 * one bucket per microsecond up to LAT_MAX_US, then one for the rest. */
#define LAT_MAX_US 200000
static uint64_t lat[LAT_MAX_US + 1];
static uint64_t lat_max_us;
static uint64_t read_now; /* uv_hrtime of the read being handled */

/* ---- MessagePack scanning ----------------------------------------------- */

typedef enum mp_kind {
  MP_NIL,
  MP_BOOL,
  MP_UINT,
  MP_INT,
  MP_FLOAT,
  MP_STR,
  MP_BIN,
  MP_EXT,
  MP_ARRAY,
  MP_MAP
} mp_kind_t;

/* One decoded header: val is the count of an array or map, the value of an
 * unsigned integer, else unused; head is the header's size in bytes, body
 * the size of the payload that follows it (strings, bin, ext, scalars). */
typedef struct mp_head {
  mp_kind_t kind;
  uint64_t val;
  size_t head;
  size_t body;
} mp_head_t;

static uint64_t be(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* Sets *h from the header at p; 1 when complete, 0 when more bytes are
 * needed, -1 on the one byte MessagePack never uses (0xc1). */
static int mp_head(const uint8_t *p, size_t n, mp_head_t *h) {
  if (n == 0)
    return 0;
  uint8_t b = p[0];
  size_t w = 0; /* width of the size or value field after the type byte */
  *h = (mp_head_t){MP_NIL, 0, 1, 0};
  if (b <= 0x7f) {
    h->kind = MP_UINT;
    h->val = b;
    return 1;
  }
  if (b >= 0xe0) {
    h->kind = MP_INT;
    return 1;
  }
  if (b <= 0x8f) {
    h->kind = MP_MAP;
    h->val = b & 0x0f;
    return 1;
  }
  if (b <= 0x9f) {
    h->kind = MP_ARRAY;
    h->val = b & 0x0f;
    return 1;
  }
  if (b <= 0xbf) {
    h->kind = MP_STR;
    h->body = b & 0x1f;
    return 1;
  }
  switch (b) {
  case 0xc0:
    return 1;
  case 0xc1:
    return -1;
  case 0xc2:
  case 0xc3:
    h->kind = MP_BOOL;
    return 1;
  case 0xc4: /* bin 8, 16, 32 */
  case 0xc5:
  case 0xc6:
    h->kind = MP_BIN;
    w = (size_t)1 << (b - 0xc4);
    break;
  case 0xc7: /* ext 8, 16, 32: size, then a type byte */
  case 0xc8:
  case 0xc9:
    h->kind = MP_EXT;
    w = (size_t)1 << (b - 0xc7);
    h->head = 2; /* the type byte; the size field is added below */
    break;
  case 0xca:
  case 0xcb:
    h->kind = MP_FLOAT;
    h->body = b == 0xca ? 4 : 8;
    return 1;
  case 0xcc: /* uint 8, 16, 32, 64 */
  case 0xcd:
  case 0xce:
  case 0xcf:
    h->kind = MP_UINT;
    w = (size_t)1 << (b - 0xcc);
    break;
  case 0xd0: /* int 8, 16, 32, 64 */
  case 0xd1:
  case 0xd2:
  case 0xd3:
    h->kind = MP_INT;
    h->body = (size_t)1 << (b - 0xd0);
    return 1;
  case 0xd4: /* fixext 1, 2, 4, 8, 16: a type byte, then the data */
  case 0xd5:
  case 0xd6:
  case 0xd7:
  case 0xd8:
    h->kind = MP_EXT;
    h->body = 1 + ((size_t)1 << (b - 0xd4));
    return 1;
  case 0xd9: /* str 8, 16, 32 */
  case 0xda:
  case 0xdb:
    h->kind = MP_STR;
    w = (size_t)1 << (b - 0xd9);
    break;
  case 0xdc: /* array 16, 32 */
  case 0xdd:
    h->kind = MP_ARRAY;
    w = b == 0xdc ? 2 : 4;
    break;
  default: /* 0xde, 0xdf: map 16, 32 */
    h->kind = MP_MAP;
    w = b == 0xde ? 2 : 4;
    break;
  }
  if (n < 1 + w)
    return 0;
  uint64_t v = be(p + 1, w);
  h->head += w;
  if (h->kind == MP_UINT || h->kind == MP_ARRAY || h->kind == MP_MAP)
    h->val = v;
  else
    h->body = (size_t)v;
  return 1;
}

/* Finds the end of the value at p without looking inside it: a count of the
 * values still to skip replaces a stack, so nesting costs nothing. Returns 1
 * and sets *used when a whole value is there, 0 when it is cut short, -1 on
 * invalid bytes. */
static int mp_skip(const uint8_t *p, size_t n, size_t *used) {
  uint64_t todo = 1;
  size_t off = 0;
  while (todo > 0) {
    mp_head_t h;
    int r = mp_head(p + off, n - off, &h);
    if (r <= 0)
      return r;
    if (n - off < h.head || n - off - h.head < h.body)
      return 0;
    off += h.head + h.body;
    todo--;
    if (h.kind == MP_ARRAY)
      todo += h.val;
    else if (h.kind == MP_MAP)
      todo += 2 * h.val;
  }
  *used = off;
  return 1;
}

typedef enum lg_verdict { LG_RESPONSE, LG_OTHER } lg_verdict_t;

/* Looks at one complete value: is it the response to c's oldest request?
 * A request sent back by the echo server ([0, msgid, ...]) counts as its
 * response; so does a real one ([1, msgid, error, result]). */
static lg_verdict_t check_value(lg_conn_t *c, const uint8_t *p, size_t n) {
  mp_head_t arr, type, id, error;
  size_t off = 0;
  if (mp_head(p, n, &arr) != 1 || arr.kind != MP_ARRAY || arr.val != 4)
    goto other;
  off += arr.head;
  if (mp_head(p + off, n - off, &type) != 1 || type.kind != MP_UINT ||
      type.val > 1)
    goto other;
  off += type.head;
  if (mp_head(p + off, n - off, &id) != 1 || id.kind != MP_UINT)
    goto other;
  off += id.head;
  /* More answers than questions: never let them raise the depth (nor
   * overflow out[], which holds D requests). */
  if (c->inflight == 0)
    goto other;
  c->inflight--;
  if (id.val != c->next_recv) {
    err.mismatch++;
    /* Resynchronise, so that a lost response counts once rather than once
     * for every response after it. */
    c->next_recv = (uint32_t)id.val;
  }
  if (measuring && !stopping) {
    uint64_t us = (read_now - c->sent[id.val % (uint64_t)opt.depth]) / 1000;
    lat[us < LAT_MAX_US ? us : LAT_MAX_US]++;
    if (us > lat_max_us)
      lat_max_us = us;
  }
  c->next_recv++;
  if (type.val == 1 &&
      (mp_head(p + off, n - off, &error) != 1 || error.kind != MP_NIL))
    err.error_reply++;
  return LG_RESPONSE;
other:
  err.not_response++;
  return LG_OTHER;
}

/* ---- Connections -------------------------------------------------------- */

typedef struct lg_sink {
  char *buf;
  size_t len;
} lg_sink_t;

/* The packer's output: the connection's own buffer, sized for D requests. */
static int sink_write(void *data, const char *buf, size_t len) {
  lg_sink_t *s = data;
  memcpy(s->buf + s->len, buf, len);
  s->len += len;
  return 0;
}

static void conn_close(lg_conn_t *c) {
  c->dead = true;
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, NULL);
}

static void conn_lost(lg_conn_t *c, const char *what, int status) {
  if (stopping || c->dead)
    return;
  err.lost++;
  fprintf(stderr, "loadgen: connection %d: %s: %s\n", c->idx, what,
          uv_strerror(status));
  conn_close(c);
}

static void flush(lg_conn_t *c);

/* ---- WebSocket (--ws) --------------------------------------------------- */

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                       int flags, void *user) {
  lg_conn_t *c = user;
  (void)flags;
  if (c->rin_len == 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  if (len > c->rin_len)
    len = c->rin_len;
  memcpy(buf, c->rin, len);
  c->rin += len;
  c->rin_len -= len;
  return (ssize_t)len;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data,
                       size_t len, int flags, void *user) {
  lg_conn_t *c = user;
  (void)flags;
  if (c->wcap - c->wlen < len) {
    size_t cap = c->wcap * 2 + len;
    char *p = realloc(c->wbuf, cap);
    if (p == NULL) {
      wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
      return -1;
    }
    c->wbuf = p;
    c->wcap = cap;
  }
  memcpy(c->wbuf + c->wlen, data, len);
  c->wlen += len;
  return (ssize_t)len;
}

/* The masking key of a client frame: it defeats proxy cache poisoning, not
 * a benchmark's concern, so a cheap generator does. */
static int ws_mask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
                   void *user) {
  static uint64_t x = 0x9E3779B97F4A7C15u;
  (void)ctx;
  (void)user;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[i] = (uint8_t)x;
  }
  return 0;
}

static lg_verdict_t check_value(lg_conn_t *c, const uint8_t *p, size_t n);

static void ws_msg(wslay_event_context_ptr ctx,
                   const struct wslay_event_on_msg_recv_arg *a, void *user) {
  lg_conn_t *c = user;
  size_t used;
  (void)ctx;
  if (a->opcode != WSLAY_BINARY_FRAME)
    return;
  if (mp_skip(a->msg, a->msg_length, &used) != 1 || used != a->msg_length) {
    err.malformed++;
    return;
  }
  if (check_value(c, a->msg, a->msg_length) == LG_RESPONSE)
    c->got++;
}

static const struct wslay_event_callbacks ws_callbacks = {
    .recv_callback = ws_recv,
    .send_callback = ws_send,
    .genmask_callback = ws_mask,
    .on_msg_recv_callback = ws_msg,
};

/* Queue each request packed in c->out as its own message, and frame them
 * all into c->wbuf. */
static int ws_frame(lg_conn_t *c) {
  size_t off = 0, used;
  c->wlen = 0;
  while (off < c->out_len) {
    if (mp_skip((const uint8_t *)c->out + off, c->out_len - off, &used) != 1)
      return -1;
    struct wslay_event_msg m = {WSLAY_BINARY_FRAME,
                                (const uint8_t *)c->out + off, used};
    if (wslay_event_queue_msg(c->ws, &m) != 0)
      return -1;
    off += used;
  }
  return wslay_event_send(c->ws) == 0 ? 0 : -1;
}

static void write_cb(uv_write_t *req, int status) {
  lg_conn_t *c = container_of(req, lg_conn_t, wreq);
  c->writing = false;
  if (status < 0) {
    conn_lost(c, "write", status);
    return;
  }
  flush(c);
}

/* Sends every request owed in one write. While a write is queued, requests
 * due pile up in c->owed and go out together when it completes. */
static void flush(lg_conn_t *c) {
  if (c->writing || c->owed == 0 || c->dead || stopping)
    return;
  lg_sink_t sink = {c->out, 0};
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sink, sink_write);
  size_t mlen = strlen(opt.method);
  uint64_t now = uv_hrtime();
  for (; c->owed > 0; c->owed--, c->inflight++) {
    c->sent[c->next_send % (uint32_t)opt.depth] = now;
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 0);
    msgpack_pack_uint32(&pk, c->next_send++);
    msgpack_pack_str(&pk, mlen);
    msgpack_pack_str_body(&pk, opt.method, mlen);
    msgpack_pack_array(&pk, 0);
  }
  c->out_len = sink.len;
  assert(c->out_len <= req_max * (size_t)opt.depth);
  if (opt.ws && ws_frame(c) != 0)
    return;
  /* Usually the socket takes it all, and no request or callback is needed. */
  char *data = opt.ws ? c->wbuf : c->out;
  size_t len = opt.ws ? c->wlen : c->out_len;
  uv_buf_t b = uv_buf_init(data, (unsigned)len);
  int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (w == UV_EAGAIN)
    w = 0;
  if (w < 0) {
    conn_lost(c, "write", w);
    return;
  }
  if ((size_t)w == len)
    return;
  b = uv_buf_init(data + w, (unsigned)(len - (size_t)w));
  int r = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, write_cb);
  if (r != 0) {
    conn_lost(c, "write", r);
    return;
  }
  c->writing = true;
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  lg_conn_t *c = container_of((uv_tcp_t *)h, lg_conn_t, tcp);
  (void)hint;
  /* Append after the partial value kept from the last read. */
  *buf = uv_buf_init(c->in + c->in_len, (unsigned)(LG_IN_SIZE - c->in_len));
}

static void ws_read(lg_conn_t *c, size_t n) {
  const uint8_t *p = (const uint8_t *)c->in + c->in_len;
  if (c->handshaking) {
    c->in_len += n;
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (end == NULL) {
      if (c->in_len == LG_IN_SIZE)
        conn_lost(c, "handshake", UV_EPROTO);
      return;
    }
    if (strncmp(c->in, "HTTP/1.1 101", 12) != 0) {
      fprintf(stderr, "loadgen: connection %d: handshake refused: %.40s\n",
              c->idx, c->in);
      conn_lost(c, "handshake", UV_EPROTO);
      return;
    }
    c->handshaking = false;
    p = (const uint8_t *)end + 4;
    n = (size_t)(c->in + c->in_len - end - 4);
    c->in_len = 0;
    c->owed = (uint32_t)opt.depth;
  }
  c->rin = p;
  c->rin_len = n;
  c->got = 0;
  if (wslay_event_recv(c->ws) != 0 || !wslay_event_get_read_enabled(c->ws)) {
    err.malformed++;
    conn_close(c);
    return;
  }
  responses += c->got;
  c->owed += c->got;
  flush(c);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  lg_conn_t *c = container_of((uv_tcp_t *)s, lg_conn_t, tcp);
  if (n < 0) {
    conn_lost(c, "read", (int)n);
    return;
  }
  read_now = uv_hrtime();
  if (opt.ws) {
    ws_read(c, (size_t)n);
    return;
  }
  c->in_len += (size_t)n;
  const uint8_t *p = (const uint8_t *)c->in;
  size_t off = 0, used;
  uint32_t got = 0;
  int r;
  while ((r = mp_skip(p + off, c->in_len - off, &used)) == 1) {
    if (check_value(c, p + off, used) == LG_RESPONSE)
      got++;
    off += used;
  }
  if (r < 0) {
    err.malformed++;
    fprintf(stderr, "loadgen: connection %d: invalid MessagePack\n", c->idx);
    conn_close(c);
    return;
  }
  c->in_len -= off;
  if (c->in_len == LG_IN_SIZE) {
    err.malformed++;
    fprintf(stderr, "loadgen: connection %d: value over %d bytes\n", c->idx,
            LG_IN_SIZE);
    conn_close(c);
    return;
  }
  if (c->in_len > 0 && off > 0)
    memmove(c->in, c->in + off, c->in_len);
  responses += got;
  c->owed += got;
  flush(c);
}

static void start_phase(void);

static void connect_cb(uv_connect_t *req, int status) {
  lg_conn_t *c = container_of(req, lg_conn_t, creq);
  settled++;
  if (status < 0) {
    conn_lost(c, "connect", status);
  } else {
    uv_tcp_nodelay(&c->tcp, 1);
    int r = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
    if (r != 0) {
      conn_lost(c, "read", r);
    } else if (opt.ws) {
      /* The handshake; the requests go once the 101 has come back. */
      static char head[512];
      int len = snprintf(head, sizeof head,
                         "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: "
                         "websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n",
                         opt.server);
      uv_buf_t b = uv_buf_init(head, (unsigned)len);
      c->handshaking = true;
      r = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, write_cb);
      if (r != 0)
        conn_lost(c, "write", r);
      else
        c->writing = true;
    } else {
      c->owed = (uint32_t)opt.depth;
      flush(c);
    }
  }
  if (settled == opt.connections)
    start_phase();
}

/* ---- CPU accounting ----------------------------------------------------- */

/* User plus system time of every thread of process pid, from
 * /proc/PID/stat (fields 14 and 15, in clock ticks); -1 if unreadable. */
static double proc_cpu(long pid) {
  char path[64], line[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  size_t n = fread(line, 1, sizeof line - 1, f);
  fclose(f);
  line[n] = '\0';
  /* The command name may hold spaces and parentheses: skip past the last
   * ')', then field 3 (state) through 15. */
  char *p = strrchr(line, ')');
  unsigned long long utime, stime;
  if (p == NULL || sscanf(p + 1,
                          " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                          "%llu %llu",
                          &utime, &stime) != 2)
    return -1;
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double own_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- Phases: warmup, measurement, shutdown ------------------------------ */

static void stop_all(void) {
  stopping = true;
  uv_close((uv_handle_t *)&phase_timer, NULL);
  for (int i = 0; i < opt.connections; i++)
    conn_close(conns[i]);
}

static void phase_cb(uv_timer_t *t) {
  if (!measuring) {
    measuring = true;
    count0 = responses;
    t0 = uv_hrtime();
    own_cpu0 = own_cpu();
    if (opt.server_pid > 0)
      srv_cpu0 = proc_cpu(opt.server_pid);
    uv_timer_start(t, phase_cb, (uint64_t)(opt.seconds * 1000.0 + 0.5), 0);
    return;
  }
  count1 = responses;
  t1 = uv_hrtime();
  own_cpu1 = own_cpu();
  if (opt.server_pid > 0)
    srv_cpu1 = proc_cpu(opt.server_pid);
  stop_all();
}

/* Starts the warmup once every connection is up (or has failed), so that
 * connecting is not part of what is measured. */
static void start_phase(void) {
  int alive = 0;
  if (stopping)
    return;
  for (int i = 0; i < opt.connections; i++)
    alive += !conns[i]->dead;
  if (alive == 0) {
    stop_all();
    return;
  }
  uv_timer_start(&phase_timer, phase_cb, (uint64_t)(opt.warmup * 1000.0 + 0.5),
                 0);
}

/* ---- Setup -------------------------------------------------------------- */

static int resolve(const char *s, struct sockaddr_storage *ss) {
  char host[256];
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
  const char *port = colon + 1;
  /* A NULL callback makes the lookup synchronous: fine before the run. */
  uv_getaddrinfo_t req;
  struct addrinfo hints = {0};
  hints.ai_socktype = SOCK_STREAM;
  int r = uv_getaddrinfo(loop, &req, NULL, host, port, &hints);
  if (r != 0)
    return r;
  memcpy(ss, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
  uv_freeaddrinfo(req.addrinfo);
  return 0;
}

/* The q-quantile (nearest rank) of the latencies, in microseconds. */
static uint64_t lat_quantile(double q) {
  uint64_t total = 0, rank, seen = 0;
  for (size_t i = 0; i <= LAT_MAX_US; i++)
    total += lat[i];
  if (total == 0)
    return 0;
  rank = (uint64_t)((double)total * q + 0.999999);
  if (rank == 0)
    rank = 1;
  for (size_t i = 0; i <= LAT_MAX_US; i++) {
    seen += lat[i];
    if (seen >= rank)
      return i;
  }
  return LAT_MAX_US;
}

static void usage(FILE *f) {
  fprintf(f, "usage: loadgen --server HOST:PORT [--connections C] "
             "[--depth D] [--seconds S]\n"
             "               [--warmup W] [--method NAME] [--label NAME] "
             "[--cpu N]\n"
             "               [--server-pid PID] [--ws]\n"
             "defaults: 64 connections, depth 16, 5 s after 1 s of warmup, "
             "method ping,\nlabel = method, no pinning\n");
}

static int num(const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static int parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    }
    if (strcmp(a, "--ws") == 0) {
      opt.ws = true;
      continue;
    }
    if (v == NULL)
      goto bad;
    i++;
    if (strcmp(a, "--server") == 0) {
      opt.server = v;
    } else if (strcmp(a, "--method") == 0) {
      opt.method = v;
    } else if (strcmp(a, "--label") == 0) {
      opt.label = v;
    } else if (strcmp(a, "--connections") == 0) {
      if (num(v, 1, 100000, &d) != 0 || d != (int)d)
        goto bad;
      opt.connections = (int)d;
    } else if (strcmp(a, "--depth") == 0) {
      if (num(v, 1, 65536, &d) != 0 || d != (int)d)
        goto bad;
      opt.depth = (int)d;
    } else if (strcmp(a, "--seconds") == 0) {
      if (num(v, 0.001, 86400, &opt.seconds) != 0)
        goto bad;
    } else if (strcmp(a, "--warmup") == 0) {
      if (num(v, 0, 86400, &opt.warmup) != 0)
        goto bad;
    } else if (strcmp(a, "--cpu") == 0) {
      if (num(v, 0, CPU_SETSIZE - 1, &d) != 0 || d != (int)d)
        goto bad;
      opt.cpu = (int)d;
    } else if (strcmp(a, "--server-pid") == 0) {
      if (num(v, 1, 4194304, &d) != 0 || d != (long)d)
        goto bad;
      opt.server_pid = (long)d;
    } else {
      goto bad;
    }
  }
  if (opt.server == NULL || strlen(opt.method) > 255)
    goto bad;
  if (opt.label == NULL)
    opt.label = opt.method;
  return 0;
bad:
  usage(stderr);
  return -1;
}

int main(int argc, char **argv) {
  if (parse_args(argc, argv) != 0)
    return 2;

  if (opt.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(opt.cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
      fprintf(stderr, "loadgen: --cpu %d: %s (running unpinned)\n", opt.cpu,
              strerror(errno));
  }

  loop = uv_default_loop();
  struct sockaddr_storage addr;
  int r = resolve(opt.server, &addr);
  if (r != 0) {
    fprintf(stderr, "loadgen: --server %s: %s\n", opt.server, uv_strerror(r));
    return 2;
  }

  /* array header, type, msgid (uint32 at most), str header, name, params */
  req_max = 1 + 1 + 5 + 2 + strlen(opt.method) + 1;
  conns = calloc((size_t)opt.connections, sizeof *conns);
  if (conns == NULL)
    return 1;
  for (int i = 0; i < opt.connections; i++) {
    lg_conn_t *c = calloc(1, sizeof *c);
    if (c == NULL || (c->out = malloc(req_max * (size_t)opt.depth)) == NULL ||
        (c->sent = calloc((size_t)opt.depth, sizeof *c->sent)) == NULL) {
      fprintf(stderr, "loadgen: out of memory\n");
      return 1;
    }
    c->idx = i;
    conns[i] = c;
    if (opt.ws &&
        wslay_event_context_client_init(&c->ws, &ws_callbacks, c) != 0) {
      fprintf(stderr, "loadgen: out of memory\n");
      return 1;
    }
  }
  uv_timer_init(loop, &phase_timer);
  for (int i = 0; i < opt.connections; i++) {
    lg_conn_t *c = conns[i];
    uv_tcp_init(loop, &c->tcp);
    r = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&addr,
                       connect_cb);
    if (r != 0) {
      settled++;
      conn_lost(c, "connect", r);
    }
  }
  if (settled == opt.connections)
    start_phase();

  uv_run(loop, UV_RUN_DEFAULT);
  r = uv_loop_close(loop);
  if (r != 0)
    fprintf(stderr, "loadgen: loop close: %s\n", uv_strerror(r));

  uint64_t errors = err.mismatch + err.error_reply + err.not_response +
                    err.malformed + err.lost;
  if (errors > 0)
    fprintf(stderr,
            "loadgen: %s errors: mismatch=%" PRIu64 " error_reply=%" PRIu64
            " not_response=%" PRIu64 " malformed=%" PRIu64 " lost=%" PRIu64
            "\n",
            opt.label, err.mismatch, err.error_reply, err.not_response,
            err.malformed, err.lost);
  for (int i = 0; i < opt.connections; i++) {
    if (conns[i]->ws)
      wslay_event_context_free(conns[i]->ws);
    free(conns[i]->wbuf);
    free(conns[i]->out);
    free(conns[i]->sent);
    free(conns[i]);
  }
  free(conns);

  if (!measuring || t1 <= t0) {
    fprintf(stderr, "loadgen: no measurement (all connections failed?)\n");
    return 1;
  }
  double secs = (double)(t1 - t0) / 1e9;
  uint64_t n = count1 - count0;
  printf("bench=%s connections=%d depth=%d requests=%" PRIu64
         " seconds=%.3f rps=%.0f errors=%" PRIu64,
         opt.label, opt.connections, opt.depth, n, secs, (double)n / secs,
         errors);
  printf(" p50_us=%" PRIu64 " p99_us=%" PRIu64 " max_us=%" PRIu64,
         lat_quantile(0.50), lat_quantile(0.99), lat_max_us);
  if (opt.server_pid > 0) {
    if (srv_cpu0 < 0 || srv_cpu1 < 0) {
      fprintf(stderr, "loadgen: cannot read /proc/%ld/stat\n", opt.server_pid);
    } else {
      double srv = srv_cpu1 - srv_cpu0;
      printf(" server_cpu=%.2f server_us_per_req=%.3f loadgen_cpu=%.2f",
             srv / secs, n > 0 ? srv * 1e6 / (double)n : 0.0,
             (own_cpu1 - own_cpu0) / secs);
    }
  }
  printf("\n");
  return r == 0 ? 0 : 1;
}
