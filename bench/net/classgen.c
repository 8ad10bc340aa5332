/*
 * classgen: the concurrency benchmark (bench/run.sh; docs/benchmarks.md).
 * Many classrooms playing at once on one lanthanide-server.
 *
 *   classgen --server HOST:PORT --server-pid PID [--sessions N]
 *            [--turns T]
 *
 * 1. Creates N `classroom` sessions (9 seats each; no turn deadline: turns
 *    resolve when every seat is ready) over one setup connection and reads
 *    the server's resident memory before and after: mem.session_bytes.
 * 2. Opens 10 connections per session (its 9 seats and its facilitator),
 *    each sends one ping; once all have answered, the memory again:
 *    mem.idle_connection_bytes.
 * 3. Each seat connection joins its seat (session.join with its join code),
 *    each facilitator watches (session.watch) and starts its session.
 * 4. Every session plays T turns (default: all 16). In each turn seats 0
 *    to 7 send orders.submit with ready; once all eight are answered, seat 8
 *    (the last) sends its own, and the time from that request to seat 8's
 *    turn.resolved is one sample: the wait of the last player to get ready,
 *    which is the turn's resolution, its commit, and the queue of every
 *    other session's turns due at the same moment. The server's resident
 *    memory is sampled every 100 ms.
 *
 * It prints one line per figure, in the format of bench/run.sh:
 *
 *   BENCH conc.connections 11110 connections
 *   BENCH conc.sessions 1111 sessions
 *   BENCH conc.turns 17776 turns
 *   BENCH conc.turn_p50_ms ... ms
 *   BENCH conc.turn_p99_ms ... ms
 *   BENCH conc.turn_max_ms ... ms
 *   BENCH conc.turns_per_s ... turns/s
 *   BENCH conc.rss_mib ... MiB          (the most the server held)
 *   BENCH mem.session_bytes ... bytes   (per classroom session, in the lobby)
 *   BENCH mem.idle_connection_bytes ... bytes
 *
 * and a summary on stderr. It exits non-zero if anything failed (an error
 * answer, a lost connection, a session that did not finish).
 *
 * One thread, one libuv loop. Every connection has at most one request in
 * flight; the input of each is framed by msgpack-c's msgpack_unpack_next
 * over a buffer of its own that starts small (the answers and notifications
 * of a classroom are a few KiB), so that 11,110 connections cost the
 * generator little memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>
#include <msgpack.h>
#include <uv.h>

#include "client.h"

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

#define SEATS     9 /* the classroom map's */
#define CONNS_PER (SEATS + 1)
#define LAST      (SEATS - 1)
#define MAX_TURNS 64
#define IN_START  4096
#define SAMPLE_MS 100

typedef struct session {
  char id[32];
  char admin[80];
  char code[SEATS][24];
  char token[SEATS][80];
  int acks[MAX_TURNS];  /* early seats' answers for each turn */
  bool open[MAX_TURNS]; /* the last seat saw the turn open */
  bool sent[MAX_TURNS]; /* the last seat sent its ready */
  uint64_t t_ready;     /* when it did, for the open turn */
  int finished;         /* connections told session.finished */
} session_t;

typedef enum want { W_NONE, W_PING, W_JOIN, W_WATCH, W_START, W_SUBMIT } want_t;

typedef struct conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  session_t *s;
  int seat; /* 0..8, or SEATS for the facilitator */
  want_t want;
  uint32_t next_id;
  char *in;
  size_t in_len, in_cap;
  bool dead;
  uv_timer_t think; /* --think-ms: the player's time before ready */
  int think_turn;   /* the turn it thinks about */
  bool has_timer;
} conn_t;

typedef struct wreq {
  uv_write_t req;
  char data[];
} wreq_t;

static struct {
  const char *server;
  long server_pid;
  int sessions;
  int turns;
  int think_ms;
  const char *prefix;
} opt = {NULL, 0, 1111, 16, 0, "conc"};

static uv_loop_t *loop;
static uv_timer_t sampler;
static session_t *sessions;
static conn_t *conns;
static int n_conns;
static int phase_pending; /* answers awaited before the next phase */
static int phase;         /* 2 pings, 3 joins and watches, 4 play */
static uint64_t errors;
/* Submissions refused with `unavailable` (the server's write queue was
 * full) are sent again after RETRY_MS: what a real client does. */
#define RETRY_MS 20
static conn_t **retry;
static size_t n_retry;
static uint64_t retries;
static uv_timer_t retry_timer;
static double *lat_ms;
static size_t n_lat;
static int sessions_done;
static uint64_t rss_max, play_t0, play_t1;
static struct sockaddr_in addr;

/* ---- Helpers ------------------------------------------------------------ */

static uint64_t rss_bytes(long pid) {
  char path[64], line[256];
  uint64_t kb = 0;
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %" SCNu64 " kB", &kb) == 1)
      break;
  fclose(f);
  return kb * 1024;
}

static void fail(const char *what) {
  errors++;
  if (errors <= 10)
    fprintf(stderr, "classgen: %s\n", what);
}

/* ---- Output ------------------------------------------------------------- */

typedef struct sink {
  char buf[1024];
  size_t len;
} sink_t;

static int sink_write(void *data, const char *buf, size_t len) {
  sink_t *s = data;
  if (s->len + len > sizeof s->buf)
    return -1;
  memcpy(s->buf + s->len, buf, len);
  s->len += len;
  return 0;
}

static void write_cb(uv_write_t *req, int status) {
  if (status < 0)
    fail("a write failed");
  free(container_of(req, wreq_t, req));
}

static void send_bytes(conn_t *c, const char *p, size_t n) {
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
  int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (w == UV_EAGAIN)
    w = 0;
  if (w < 0) {
    fail("a write failed");
    return;
  }
  if ((size_t)w == n)
    return;
  wreq_t *r = malloc(sizeof *r + n - (size_t)w);
  if (!r) {
    fail("out of memory");
    return;
  }
  memcpy(r->data, p + w, n - (size_t)w);
  b = uv_buf_init(r->data, (unsigned)(n - (size_t)w));
  if (uv_write(&r->req, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
    free(r);
    fail("a write failed");
  }
}

static void kv_str(msgpack_packer *pk, const char *k, const char *v) {
  msgpack_pack_str_with_body(pk, k, strlen(k));
  msgpack_pack_str_with_body(pk, v, strlen(v));
}

/* [0, id, method, [{k1: v1, k2: v2}]] with up to two string pairs. */
static void request(conn_t *c, want_t want, const char *method, const char *k1,
                    const char *v1, const char *k2, const char *v2) {
  sink_t s = {.len = 0};
  msgpack_packer pk;
  msgpack_packer_init(&pk, &s, sink_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint32(&pk, c->next_id++);
  msgpack_pack_str_with_body(&pk, method, strlen(method));
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, (k1 ? 1u : 0u) + (k2 ? 1u : 0u));
  if (k1)
    kv_str(&pk, k1, v1);
  if (k2)
    kv_str(&pk, k2, v2);
  c->want = want;
  send_bytes(c, s.buf, s.len);
}

/* orders.submit {session, token, orders: [], ready: true} */
static void submit_ready(conn_t *c) {
  sink_t s = {.len = 0};
  msgpack_packer pk;
  msgpack_packer_init(&pk, &s, sink_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint32(&pk, c->next_id++);
  msgpack_pack_str_with_body(&pk, "orders.submit", 13);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 4);
  kv_str(&pk, "session", c->s->id);
  kv_str(&pk, "token", c->s->token[c->seat]);
  msgpack_pack_str_with_body(&pk, "orders", 6);
  msgpack_pack_array(&pk, 0);
  msgpack_pack_str_with_body(&pk, "ready", 5);
  msgpack_pack_true(&pk);
  c->want = W_SUBMIT;
  send_bytes(c, s.buf, s.len);
}

/* ---- Reading ------------------------------------------------------------ */

static const msgpack_object *get(const msgpack_object *map, const char *key) {
  size_t n = strlen(key);
  if (!map || map->type != MSGPACK_OBJECT_MAP)
    return NULL;
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object *k = &map->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
        memcmp(k->via.str.ptr, key, n) == 0)
      return &map->via.map.ptr[i].val;
  }
  return NULL;
}

static int64_t get_int(const msgpack_object *map, const char *key) {
  const msgpack_object *v = get(map, key);
  if (!v)
    return -1;
  if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
    return (int64_t)v->via.u64;
  if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
    return v->via.i64;
  return -1;
}

static void next_phase(void);

static void phase_done_one(void) {
  if (--phase_pending == 0)
    next_phase();
}

/* The last seat sends its ready once it saw the turn open and the eight
 * others were answered. */
static void maybe_last(session_t *s, int turn) {
  if (turn < 0 || turn >= MAX_TURNS || !s->open[turn] || s->sent[turn] ||
      s->acks[turn] < LAST)
    return;
  conn_t *last = &conns[(s - sessions) * CONNS_PER + LAST];
  s->sent[turn] = true;
  s->t_ready = uv_hrtime();
  submit_ready(last);
}

/* A turn opened for seat connection c (session.started, or turn.resolved
 * of the turn before). */
static void thought(conn_t *c, int turn) {
  session_t *s = c->s;
  if (c->seat == LAST) {
    s->open[turn] = true;
    maybe_last(s, turn);
  } else {
    submit_ready(c);
  }
}

static void on_think(uv_timer_t *t) {
  conn_t *c = container_of(t, conn_t, think);
  if (!c->dead)
    thought(c, c->think_turn);
}

/* A uniform draw in [0, 1) from a fixed-seed xorshift: the same run each
 * time. */
static double draw(void) {
  static uint64_t x = 88172645463325252ull;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return (double)(x >> 11) / 9007199254740992.0;
}

static void turn_open(conn_t *c, int turn) {
  if (turn >= opt.turns || turn >= MAX_TURNS)
    return; /* the benchmark's turns are played */
  if (opt.think_ms > 0) {
    /* A player thinks from half to one and a half times --think-ms. */
    c->think_turn = turn;
    uv_timer_start(&c->think, on_think,
                   (uint64_t)(opt.think_ms * (0.5 + draw())), 0);
    return;
  }
  thought(c, turn);
}

static void on_retry(uv_timer_t *t) {
  (void)t;
  size_t n = n_retry;
  n_retry = 0;
  for (size_t i = 0; i < n; i++)
    if (!retry[i]->dead)
      submit_ready(retry[i]);
}

static bool is_unavailable(const msgpack_object *err) {
  const msgpack_object *code = get(err, "code");
  return code && code->type == MSGPACK_OBJECT_STR && code->via.str.size == 11 &&
         memcmp(code->via.str.ptr, "unavailable", 11) == 0;
}

static void on_answer(conn_t *c, const msgpack_object *err,
                      const msgpack_object *res) {
  want_t w = c->want;
  c->want = W_NONE;
  if (w == W_SUBMIT && is_unavailable(err)) {
    retries++;
    retry[n_retry++] = c; /* at most one request in flight per connection */
    if (!uv_is_active((uv_handle_t *)&retry_timer))
      uv_timer_start(&retry_timer, on_retry, RETRY_MS, 0);
    return;
  }
  if (err->type != MSGPACK_OBJECT_NIL) {
    char buf[256];
    const msgpack_object *m = get(err, "message");
    snprintf(buf, sizeof buf, "an error answer to request kind %d: %.*s",
             (int)w,
             m && m->type == MSGPACK_OBJECT_STR ? (int)m->via.str.size : 0,
             m && m->type == MSGPACK_OBJECT_STR ? m->via.str.ptr : "");
    fail(buf);
    if (w == W_SUBMIT)
      return;
    phase_done_one();
    return;
  }
  switch (w) {
  case W_PING:
  case W_WATCH:
    phase_done_one();
    break;
  case W_JOIN: {
    const msgpack_object *t = get(res, "token");
    if (t && t->type == MSGPACK_OBJECT_STR &&
        t->via.str.size < sizeof c->s->token[0]) {
      memcpy(c->s->token[c->seat], t->via.str.ptr, t->via.str.size);
      c->s->token[c->seat][t->via.str.size] = '\0';
    } else {
      fail("session.join answered no token");
    }
    phase_done_one();
    break;
  }
  case W_START:
    break; /* session.started follows */
  case W_SUBMIT:
    if (c->seat != LAST) {
      int64_t turn = get_int(res, "turn");
      if (turn >= 0 && turn < MAX_TURNS) {
        c->s->acks[turn]++;
        maybe_last(c->s, (int)turn);
      }
    }
    break;
  case W_NONE:
    fail("an answer to no request");
    break;
  }
}

static void on_notification(conn_t *c, const msgpack_object *method,
                            const msgpack_object *params) {
  const msgpack_object *p =
      params->type == MSGPACK_OBJECT_ARRAY && params->via.array.size == 1
          ? &params->via.array.ptr[0]
          : NULL;
  const char *m = method->via.str.ptr;
  size_t n = method->via.str.size;
  session_t *s = c->s;
#define IS(name) (n == sizeof(name) - 1 && memcmp(m, name, n) == 0)
  if (c->seat == SEATS) {
    if (IS("session.finished")) {
      if (++s->finished == 1 && ++sessions_done == opt.sessions)
        next_phase();
    }
    return;
  }
  if (IS("session.started")) {
    turn_open(c, 0);
  } else if (IS("turn.resolved")) {
    int64_t turn = get_int(p, "turn");
    if (turn < 0) {
      fail("turn.resolved without a turn");
      return;
    }
    if (c->seat == LAST && turn < MAX_TURNS && s->sent[turn] &&
        n_lat < (size_t)opt.sessions * MAX_TURNS) {
      lat_ms[n_lat++] = (double)(uv_hrtime() - s->t_ready) / 1e6;
      if (turn + 1 == opt.turns && opt.turns < 16 && ++s->finished == 1 &&
          ++sessions_done == opt.sessions)
        next_phase(); /* fewer turns than the game: done here */
    }
    turn_open(c, (int)turn + 1);
  }
#undef IS
}

static void on_value(conn_t *c, const msgpack_object *o) {
  if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3) {
    fail("a value that is not a message");
    return;
  }
  const msgpack_object *a = o->via.array.ptr;
  if (a[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER && a[0].via.u64 == 1 &&
      o->via.array.size == 4)
    on_answer(c, &a[2], &a[3]);
  else if (a[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER && a[0].via.u64 == 2 &&
           a[1].type == MSGPACK_OBJECT_STR)
    on_notification(c, &a[1], &a[2]);
  else
    fail("a message of an unknown kind");
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  conn_t *c = container_of((uv_tcp_t *)h, conn_t, tcp);
  (void)hint;
  if (c->in_cap - c->in_len < 1024) {
    size_t cap = c->in_cap ? c->in_cap * 2 : IN_START;
    char *p = realloc(c->in, cap);
    if (!p) {
      *buf = uv_buf_init(NULL, 0);
      return;
    }
    c->in = p;
    c->in_cap = cap;
  }
  *buf = uv_buf_init(c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  conn_t *c = container_of((uv_tcp_t *)st, conn_t, tcp);
  msgpack_unpacked u;
  size_t off = 0;
  int r;
  (void)buf;
  if (n < 0) {
    if (!c->dead)
      fail("a connection was lost");
    c->dead = true;
    uv_close((uv_handle_t *)&c->tcp, NULL);
    return;
  }
  c->in_len += (size_t)n;
  msgpack_unpacked_init(&u);
  while ((r = msgpack_unpack_next(&u, c->in, c->in_len, &off)) ==
         MSGPACK_UNPACK_SUCCESS)
    on_value(c, &u.data);
  msgpack_unpacked_destroy(&u);
  if (r == MSGPACK_UNPACK_PARSE_ERROR) {
    fail("the server sent bytes that are not MessagePack");
    c->dead = true;
    uv_close((uv_handle_t *)&c->tcp, NULL);
    return;
  }
  if (off > 0) {
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
  }
}

/* ---- Phases ------------------------------------------------------------- */

static uint64_t rss0, rss1, rss2;
static int connected;

static void on_sample(uv_timer_t *t) {
  (void)t;
  uint64_t r = rss_bytes(opt.server_pid);
  if (r > rss_max)
    rss_max = r;
}

static void connect_cb(uv_connect_t *req, int status) {
  conn_t *c = container_of(req, conn_t, creq);
  if (status < 0) {
    fail("a connection was refused");
    c->dead = true;
    uv_close((uv_handle_t *)&c->tcp, NULL);
    phase_done_one();
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
  connected++;
  request(c, W_PING, "ping", NULL, NULL, NULL, NULL);
}

static void close_all(void) {
  for (int i = 0; i < n_conns; i++) {
    if (!conns[i].dead) {
      conns[i].dead = true;
      uv_close((uv_handle_t *)&conns[i].tcp, NULL);
    }
    if (conns[i].has_timer)
      uv_close((uv_handle_t *)&conns[i].think, NULL);
  }
  uv_close((uv_handle_t *)&sampler, NULL);
  uv_close((uv_handle_t *)&retry_timer, NULL);
}

static void next_phase(void) {
  phase++;
  if (phase == 3) {
    /* Every connection open and answered: the idle cost. */
    usleep(200000);
    rss2 = rss_bytes(opt.server_pid);
    rss_max = rss2;
    phase_pending = n_conns;
    for (int i = 0; i < n_conns; i++) {
      conn_t *c = &conns[i];
      if (c->dead) {
        phase_done_one();
        continue;
      }
      if (c->seat == SEATS)
        request(c, W_WATCH, "session.watch", "session", c->s->id, "admin_token",
                c->s->admin);
      else
        request(c, W_JOIN, "session.join", "session", c->s->id, "join_code",
                c->s->code[c->seat]);
    }
  } else if (phase == 4) {
    /* Every seat taken and every session watched: play. */
    uv_timer_start(&sampler, on_sample, SAMPLE_MS, SAMPLE_MS);
    play_t0 = uv_hrtime();
    for (int i = 0; i < n_conns; i++)
      if (conns[i].seat == SEATS && !conns[i].dead)
        request(&conns[i], W_START, "session.start", "session", conns[i].s->id,
                "admin_token", conns[i].s->admin);
  } else if (phase == 5) {
    play_t1 = uv_hrtime();
    on_sample(&sampler);
    close_all();
  }
}

/* ---- Setup over one blocking connection --------------------------------- */

static int create_sessions(void) {
  cli_conn_t *c = cli_connect(opt.server, 30000);
  if (!c)
    return -1;
  for (int i = 0; i < opt.sessions; i++) {
    json_t *res = NULL, *err = NULL;
    char name[64];
    snprintf(name, sizeof name, "classgen %d", i);
    json_t *params = json_pack("{s:s, s:s, s:i, s:i}", "map", "classroom",
                               "name", name, "seed", i + 1, "turn_seconds", 0);
    int r = cli_call_json(c, "session.create", params, &res, &err);
    json_decref(params);
    if (r != 0) {
      char *e = err ? json_dumps(err, 0) : NULL;
      fprintf(stderr, "classgen: session.create %d failed: %s\n", i,
              e ? e : "(transport)");
      free(e);
      json_decref(err);
      cli_close(c);
      return -1;
    }
    session_t *s = &sessions[i];
    snprintf(s->id, sizeof s->id, "%s",
             json_string_value(json_object_get(res, "session")));
    snprintf(s->admin, sizeof s->admin, "%s",
             json_string_value(json_object_get(res, "admin_token")));
    json_t *seats = json_object_get(res, "seats");
    if (json_array_size(seats) != SEATS) {
      fprintf(stderr, "classgen: the classroom map has %zu seats, not %d\n",
              json_array_size(seats), SEATS);
      json_decref(res);
      cli_close(c);
      return -1;
    }
    for (int k = 0; k < SEATS; k++)
      snprintf(s->code[k], sizeof s->code[k], "%s",
               json_string_value(json_object_get(
                   json_array_get(seats, (size_t)k), "join_code")));
    json_decref(res);
  }
  cli_close(c);
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double quantile(const double *v, size_t n, double q) {
  if (n == 0)
    return 0;
  size_t k = (size_t)ceil(q * (double)n);
  return v[k > 0 ? k - 1 : 0];
}

static void usage(FILE *f) {
  fprintf(f, "usage: classgen --server HOST:PORT --server-pid PID "
             "[--sessions N (1111)] [--turns T (16)]\n"
             "                [--think-ms MS (0)] [--prefix NAME (conc)]\n");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (!v) {
      usage(stderr);
      return 2;
    }
    if (strcmp(a, "--server") == 0)
      opt.server = v;
    else if (strcmp(a, "--server-pid") == 0)
      opt.server_pid = atol(v);
    else if (strcmp(a, "--sessions") == 0)
      opt.sessions = atoi(v);
    else if (strcmp(a, "--turns") == 0)
      opt.turns = atoi(v);
    else if (strcmp(a, "--think-ms") == 0)
      opt.think_ms = atoi(v);
    else if (strcmp(a, "--prefix") == 0)
      opt.prefix = v;
    else {
      usage(stderr);
      return 2;
    }
    i++;
  }
  if (!opt.server || opt.server_pid <= 0 || opt.sessions < 1 || opt.turns < 1 ||
      opt.turns > 16) {
    usage(stderr);
    return 2;
  }
  {
    char host[64];
    const char *colon = strrchr(opt.server, ':');
    if (!colon || (size_t)(colon - opt.server) >= sizeof host) {
      usage(stderr);
      return 2;
    }
    memcpy(host, opt.server, (size_t)(colon - opt.server));
    host[colon - opt.server] = '\0';
    if (uv_ip4_addr(host, atoi(colon + 1), &addr) != 0) {
      fprintf(stderr, "classgen: --server %s: expected IPV4:PORT\n",
              opt.server);
      return 2;
    }
  }
  n_conns = opt.sessions * CONNS_PER;
  {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
        rl.rlim_cur < (rlim_t)n_conns + 64) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
      if (rl.rlim_cur < (rlim_t)n_conns + 64)
        fprintf(stderr,
                "classgen: the open-file limit (%llu) is below the "
                "%d connections; raise it with ulimit -n\n",
                (unsigned long long)rl.rlim_cur, n_conns);
    }
  }
  sessions = calloc((size_t)opt.sessions, sizeof *sessions);
  conns = calloc((size_t)n_conns, sizeof *conns);
  lat_ms = calloc((size_t)opt.sessions * MAX_TURNS, sizeof *lat_ms);
  retry = calloc((size_t)n_conns, sizeof *retry);
  if (!sessions || !conns || !lat_ms || !retry) {
    fprintf(stderr, "classgen: out of memory\n");
    return 1;
  }

  rss0 = rss_bytes(opt.server_pid);
  if (create_sessions() != 0)
    return 1;
  usleep(200000);
  rss1 = rss_bytes(opt.server_pid);
  fprintf(stderr, "classgen: %d sessions created\n", opt.sessions);

  loop = uv_default_loop();
  uv_timer_init(loop, &sampler);
  uv_timer_init(loop, &retry_timer);
  phase = 2;
  phase_pending = n_conns;
  for (int i = 0; i < n_conns; i++) {
    conn_t *c = &conns[i];
    c->s = &sessions[i / CONNS_PER];
    c->seat = i % CONNS_PER;
    uv_tcp_init(loop, &c->tcp);
    if (c->seat < SEATS) {
      uv_timer_init(loop, &c->think);
      c->has_timer = true;
    }
    int r = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&addr,
                           connect_cb);
    if (r != 0) {
      fprintf(stderr, "classgen: connect: %s\n", uv_strerror(r));
      return 1;
    }
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);

  if (sessions_done < opt.sessions)
    fprintf(stderr, "classgen: only %d of %d sessions finished\n",
            sessions_done, opt.sessions);
  qsort(lat_ms, n_lat, sizeof *lat_ms, cmp_double);
  double secs = (double)(play_t1 - play_t0) / 1e9;
  const char *p = opt.prefix;
  printf("BENCH %s.connections %d connections\n", p, connected);
  printf("BENCH %s.sessions %d sessions\n", p, opt.sessions);
  printf("BENCH %s.turns %zu turns\n", p, n_lat);
  printf("BENCH %s.turn_p50_ms %.2f ms\n", p, quantile(lat_ms, n_lat, 0.50));
  printf("BENCH %s.turn_p99_ms %.2f ms\n", p, quantile(lat_ms, n_lat, 0.99));
  printf("BENCH %s.turn_max_ms %.2f ms\n", p, n_lat ? lat_ms[n_lat - 1] : 0.0);
  printf("BENCH %s.turns_per_s %.0f turns/s\n", p,
         secs > 0 ? (double)n_lat / secs : 0.0);
  printf("BENCH %s.rss_mib %.1f MiB\n", p, (double)rss_max / 1048576.0);
  if (strcmp(p, "conc") == 0) {
    printf("BENCH mem.session_bytes %.0f bytes\n",
           (double)(rss1 > rss0 ? rss1 - rss0 : 0) / opt.sessions);
    printf("BENCH mem.idle_connection_bytes %.0f bytes\n",
           (double)(rss2 > rss1 ? rss2 - rss1 : 0) / n_conns);
  }
  fprintf(stderr,
          "classgen: %d connections, %d sessions x %d turns in %.1f s; "
          "errors %" PRIu64 "; submissions retried after unavailable %" PRIu64
          "\n",
          connected, opt.sessions, opt.turns, secs, errors, retries);
  return errors == 0 && sessions_done == opt.sessions &&
                 n_lat == (size_t)opt.sessions * (size_t)opt.turns
             ? 0
             : 1;
}
