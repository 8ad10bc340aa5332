/*
 * bench-store: the storage benchmark (bench/run.sh; docs/storage.md).
 *
 *   bench-store submit --server HOST:PORT --session-json FILE
 *               [--connections C] [--depth D] [--seconds S] [--warmup W]
 *               [--server-pid PID]
 *   bench-store turns --server HOST:PORT --session-json FILE [...]
 *   bench-store sqlite --dir DIR [--seconds S] [--rows N] [--sync full|normal]
 *
 * It starts no server: run.sh starts lanthanide-server on a temporary
 * database and creates the sessions with `lanthanide call session.create`,
 * whose JSON answers (session, admin token, seats with join codes) are the
 * --session-json files.
 *
 * submit: durable orders.submit throughput. Joins every seat of the session,
 * then keeps D orders.submit requests in flight on each of C connections
 * (connection i submits for seat i mod seats; two orders per submission,
 * the size of a classroom one). Every answer has waited for the COMMIT
 * that stored it, so the rate is of durable submissions; the server's
 * group commit is what lets many share one fsync. After W seconds of
 * warmup it counts answers for S seconds, and reads store_commits from
 * server.stats at both ends of the window:
 *
 *   bench=orders_submit connections=C depth=D requests=N seconds=S rps=R
 *     errors=E rejected=X commits=K rows_per_commit=N/K
 *     [server_cpu=.. server_us_per_req=.. client_cpu=..]
 *
 * turns: turn-commit latency. In each session it plays seat 0 and hands
 * every other seat to the `standing` agent, starts the session and, turn
 * after turn, sends turn.ready and waits for turn.resolved. Three times per
 * turn, from all sessions, as p50 and p99 in milliseconds:
 *   ready_ack      turn.ready sent to its answer: one commit (the ready flag)
 *   resolve        the answer to turn.resolved: resolving the turn in the
 *                  model and the turn's commit (turn row, snapshot, figures,
 *                  the next turn's opening), which precedes the notification
 *   ready_to_resolved   the two together: what the last player waits
 *
 *   bench=turn_commit sessions=N turns=T ready_ack_p50_ms=.. ..._p99_ms=..
 *     resolve_p50_ms=.. resolve_p99_ms=.. ready_to_resolved_p50_ms=..
 *     ready_to_resolved_p99_ms=..
 *
 * sqlite: the baselines, measured by SQLite alone on the same disk: the
 * same rows (the submissions table of a database made by store_open, so
 * the same schema, index and pragmas: WAL and synchronous FULL by default;
 * the same INSERT, the same blob) inserted one transaction per row for S
 * seconds, then N rows in one transaction:
 *
 *   bench=sqlite_txn_per_row rows=N seconds=S rps=R sync=full
 *   bench=sqlite_one_txn rows=N seconds=S rps=R sync=full
 *
 * One transaction per row is what a server without group commit could do
 * at best (and more than it would: no network, no model); one transaction
 * for everything is the ceiling no durable server reaches.
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
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <msgpack.h>
#include <sqlite3.h>
#include <uv.h>

#include "client.h"
#include "store.h"

#define container_of(ptr, type, member)                                        \
  ((type *)((char *)(ptr)-offsetof(type, member)))

#define BS_TIMEOUT_MS   30000
#define BS_MAX_SESSIONS 256

/* ---- Common ------------------------------------------------------------ */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double own_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User plus system seconds of process pid (/proc/PID/stat), or -1. */
static double proc_cpu(long pid) {
  char path[64], line[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(line, 1, sizeof line - 1, f);
  fclose(f);
  line[n] = '\0';
  char *p = strrchr(line, ')');
  unsigned long long ut, st;
  if (!p ||
      sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
             &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

typedef struct seat_info {
  char seat[64];
  bool firm;
  char code[32];
  char token[64];
} seat_info_t;

typedef struct sess_info {
  char id[64];
  char admin[64];
  seat_info_t *seats;
  size_t n;
} sess_info_t;

/* Read the JSON answer of session.create that run.sh saved. */
static int load_session(const char *path, sess_info_t *s) {
  json_error_t jerr;
  json_t *j = json_load_file(path, 0, &jerr);
  memset(s, 0, sizeof *s);
  if (!j) {
    fprintf(stderr, "bench-store: %s: %s (line %d)\n", path, jerr.text,
            jerr.line);
    return -1;
  }
  json_t *seats = json_object_get(j, "seats");
  const char *id = json_string_value(json_object_get(j, "session"));
  const char *admin = json_string_value(json_object_get(j, "admin_token"));
  if (!id || !admin || !json_is_array(seats) || json_array_size(seats) == 0) {
    fprintf(stderr, "bench-store: %s is not a session.create answer\n", path);
    json_decref(j);
    return -1;
  }
  snprintf(s->id, sizeof s->id, "%s", id);
  snprintf(s->admin, sizeof s->admin, "%s", admin);
  s->n = json_array_size(seats);
  s->seats = calloc(s->n, sizeof *s->seats);
  for (size_t i = 0; s->seats && i < s->n; i++) {
    json_t *x = json_array_get(seats, i);
    const char *seat = json_string_value(json_object_get(x, "seat"));
    const char *kind = json_string_value(json_object_get(x, "kind"));
    const char *code = json_string_value(json_object_get(x, "join_code"));
    snprintf(s->seats[i].seat, sizeof s->seats[i].seat, "%s", seat ? seat : "");
    snprintf(s->seats[i].code, sizeof s->seats[i].code, "%s", code ? code : "");
    s->seats[i].firm = kind && strcmp(kind, "firm") == 0;
  }
  json_decref(j);
  return s->seats ? 0 : -1;
}

/* A call that must succeed: 0, or -1 with the server's error printed. */
static int call_ok(cli_conn_t *c, const char *method, json_t *params,
                   json_t **result) {
  json_t *err = NULL, *res = NULL;
  int rc = cli_call_json(c, method, params, &res, &err);
  json_decref(params);
  if (rc != 0) {
    if (rc > 0) {
      char *e = json_dumps(err, 0);
      fprintf(stderr, "bench-store: %s: %s\n", method, e ? e : "error");
      free(e);
    }
    json_decref(err);
    return -1;
  }
  if (result)
    *result = res;
  else
    json_decref(res);
  return 0;
}

static int join_seat(cli_conn_t *c, const sess_info_t *s, seat_info_t *seat) {
  json_t *res;
  if (call_ok(
          c, "session.join",
          json_pack("{s:s, s:s}", "session", s->id, "join_code", seat->code),
          &res) != 0)
    return -1;
  snprintf(seat->token, sizeof seat->token, "%s",
           json_string_value(json_object_get(res, "token")));
  json_decref(res);
  return 0;
}

/* The orders of a benchmark submission: two, valid in any turn for the
 * seat's kind, about 90 bytes packed, like a classroom player's. */
static void pack_orders(msgpack_packer *pk, bool firm) {
#define KV_STR(k, v)                                                           \
  (msgpack_pack_str_with_body(pk, k, strlen(k)),                               \
   msgpack_pack_str_with_body(pk, v, strlen(v)))
  msgpack_pack_array(pk, 2);
  if (firm) {
    msgpack_pack_map(pk, 3);
    KV_STR("op", "hire");
    KV_STR("skill", "mining");
    msgpack_pack_str_with_body(pk, "count", 5);
    msgpack_pack_int(pk, 1);
    msgpack_pack_map(pk, 4);
    KV_STR("op", "offer");
    KV_STR("product", "concentrate");
    msgpack_pack_str_with_body(pk, "quantity", 8);
    msgpack_pack_double(pk, 100.0);
    msgpack_pack_str_with_body(pk, "min_price", 9);
    msgpack_pack_double(pk, 20.0);
  } else {
    msgpack_pack_map(pk, 3);
    KV_STR("op", "policy");
    KV_STR("kind", "tax");
    msgpack_pack_str_with_body(pk, "rate", 4);
    msgpack_pack_double(pk, 0.1);
    msgpack_pack_map(pk, 5);
    KV_STR("op", "policy");
    KV_STR("kind", "tariff");
    KV_STR("product", "magnet");
    msgpack_pack_str_with_body(pk, "rate", 4);
    msgpack_pack_double(pk, 0.05);
    KV_STR("from", "all");
  }
#undef KV_STR
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of n sorted values, in milliseconds. */
static double quantile_ms(const double *v, size_t n, double q) {
  if (n == 0)
    return 0;
  size_t k = (size_t)ceil(q * (double)n);
  return 1e3 * v[k > 0 ? k - 1 : 0];
}

/* store_commits and store_statements from server.stats. */
static int read_commits(cli_conn_t *c, uint64_t *commits) {
  json_t *res;
  if (call_ok(c, "server.stats", NULL, &res) != 0)
    return -1;
  json_t *v = json_object_get(res, "store_commits");
  *commits = v ? (uint64_t)json_integer_value(v) : 0;
  json_decref(res);
  return v ? 0 : -1;
}

/* ---- submit: durable throughput over pipelined connections ------------- */

typedef struct sconn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  bool writing, dead;
  uint32_t next_id;
  uint32_t owed;      /* answers received whose follow-up is not sent */
  const char *params; /* packed [{session, token, orders}] for its seat */
  size_t params_len;
  char *out;
  size_t out_len, out_cap;
  msgpack_unpacker up;
} sconn_t;

static struct {
  const char *server;
  const char *session_json[BS_MAX_SESSIONS];
  int n_sessions;
  int connections, depth;
  double seconds, warmup;
  long server_pid;
  const char *dir;
  long rows;
  bool sync_full;
} opt = {NULL, {NULL}, 0, 64, 16, 3.0, 1.0, 0, NULL, 200000, true};

static struct {
  uv_loop_t *loop;
  uv_timer_t timer;
  sconn_t *conns;
  int settled;
  bool measuring, stopping;
  uint64_t answers, errors, rejected;
  uint64_t count0, count1, commits0, commits1;
  double t0, t1, srv0, srv1, own0, own1;
  cli_conn_t *stats;
  bool stats_ok;
} sb;

static void sc_close(sconn_t *c) {
  c->dead = true;
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, NULL);
}

static void sc_lost(sconn_t *c, const char *what, int status) {
  if (sb.stopping || c->dead)
    return;
  sb.errors++;
  fprintf(stderr, "bench-store: connection lost (%s): %s\n", what,
          uv_strerror(status));
  sc_close(c);
}

static void sc_flush(sconn_t *c);

static void sc_write_cb(uv_write_t *req, int status) {
  sconn_t *c = container_of(req, sconn_t, wreq);
  c->writing = false;
  if (status < 0) {
    sc_lost(c, "write", status);
    return;
  }
  sc_flush(c);
}

static int sc_sink(void *data, const char *buf, size_t len) {
  sconn_t *c = data;
  memcpy(c->out + c->out_len, buf, len);
  c->out_len += len;
  return 0;
}

/* Send every request owed, in one write. */
static void sc_flush(sconn_t *c) {
  if (c->writing || c->owed == 0 || c->dead || sb.stopping)
    return;
  msgpack_packer pk;
  msgpack_packer_init(&pk, c, sc_sink);
  c->out_len = 0;
  for (; c->owed > 0; c->owed--) {
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 0);
    msgpack_pack_uint32(&pk, c->next_id++);
    msgpack_pack_str_with_body(&pk, "orders.submit", 13);
    sc_sink(c, c->params, c->params_len);
  }
  uv_buf_t b = uv_buf_init(c->out, (unsigned)c->out_len);
  int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
  if (w == UV_EAGAIN)
    w = 0;
  if (w < 0) {
    sc_lost(c, "write", w);
    return;
  }
  if ((size_t)w == c->out_len)
    return;
  b = uv_buf_init(c->out + w, (unsigned)(c->out_len - (size_t)w));
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, sc_write_cb) != 0) {
    sc_lost(c, "write", UV_EIO);
    return;
  }
  c->writing = true;
}

static void sc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  sconn_t *c = container_of((uv_tcp_t *)h, sconn_t, tcp);
  (void)hint;
  /* The server is ours and trusted: its answers are a few dozen bytes. */
  if (!msgpack_unpacker_reserve_buffer(&c->up, 65536)) {
    *buf = uv_buf_init(NULL, 0);
    return;
  }
  *buf = uv_buf_init(msgpack_unpacker_buffer(&c->up),
                     (unsigned)msgpack_unpacker_buffer_capacity(&c->up));
}

/* [1, msgid, nil, {turn, rejected: [...]}] */
static void sc_answer(const msgpack_object *o) {
  if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4 ||
      o->via.array.ptr[0].via.u64 != 1) {
    sb.errors++;
    return;
  }
  sb.answers++;
  const msgpack_object *res = &o->via.array.ptr[3];
  if (o->via.array.ptr[2].type != MSGPACK_OBJECT_NIL ||
      res->type != MSGPACK_OBJECT_MAP) {
    sb.errors++;
    return;
  }
  for (uint32_t i = 0; i < res->via.map.size; i++) {
    const msgpack_object *k = &res->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 8 &&
        memcmp(k->via.str.ptr, "rejected", 8) == 0 &&
        res->via.map.ptr[i].val.type == MSGPACK_OBJECT_ARRAY)
      sb.rejected += res->via.map.ptr[i].val.via.array.size;
  }
}

static void sc_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  sconn_t *c = container_of((uv_tcp_t *)s, sconn_t, tcp);
  (void)buf;
  if (n < 0) {
    sc_lost(c, "read", (int)n);
    return;
  }
  msgpack_unpacker_buffer_consumed(&c->up, (size_t)n);
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  int r;
  while ((r = msgpack_unpacker_next(&c->up, &u)) == MSGPACK_UNPACK_SUCCESS) {
    if (u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 3)
      continue; /* a notification (there should be none) */
    sc_answer(&u.data);
    c->owed++;
  }
  msgpack_unpacked_destroy(&u);
  if (r == MSGPACK_UNPACK_PARSE_ERROR) {
    sb.errors++;
    sc_close(c);
    return;
  }
  sc_flush(c);
}

static void sc_stop_all(void) {
  sb.stopping = true;
  uv_close((uv_handle_t *)&sb.timer, NULL);
  for (int i = 0; i < opt.connections; i++)
    sc_close(&sb.conns[i]);
}

static void sc_phase(uv_timer_t *t) {
  if (!sb.measuring) {
    sb.measuring = true;
    sb.stats_ok = read_commits(sb.stats, &sb.commits0) == 0;
    sb.count0 = sb.answers;
    sb.t0 = now_s();
    sb.own0 = own_cpu();
    sb.srv0 = opt.server_pid > 0 ? proc_cpu(opt.server_pid) : -1;
    uv_timer_start(t, sc_phase, (uint64_t)(opt.seconds * 1e3 + 0.5), 0);
    return;
  }
  sb.count1 = sb.answers;
  sb.t1 = now_s();
  sb.own1 = own_cpu();
  sb.srv1 = opt.server_pid > 0 ? proc_cpu(opt.server_pid) : -1;
  if (read_commits(sb.stats, &sb.commits1) != 0)
    sb.stats_ok = false;
  sc_stop_all();
}

static void sc_connected(uv_connect_t *req, int status) {
  sconn_t *c = container_of(req, sconn_t, creq);
  sb.settled++;
  if (status < 0) {
    sc_lost(c, "connect", status);
  } else {
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, sc_alloc, sc_read) != 0) {
      sc_lost(c, "read", UV_EIO);
    } else {
      c->owed = (uint32_t)opt.depth;
      sc_flush(c);
    }
  }
  if (sb.settled == opt.connections)
    uv_timer_start(&sb.timer, sc_phase, (uint64_t)(opt.warmup * 1e3 + 0.5), 0);
}

static int resolve_addr(const char *hostport, struct sockaddr_in *sa) {
  char host[256];
  const char *colon = strrchr(hostport, ':');
  if (!colon || (size_t)(colon - hostport) >= sizeof host)
    return -1;
  memcpy(host, hostport, (size_t)(colon - hostport));
  host[colon - hostport] = '\0';
  return uv_ip4_addr(strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                     atoi(colon + 1), sa);
}

static int run_submit(void) {
  sess_info_t s;
  if (opt.n_sessions != 1 || load_session(opt.session_json[0], &s) != 0) {
    fprintf(stderr, "bench-store submit: give one --session-json\n");
    return 2;
  }
  cli_conn_t *setup = cli_connect(opt.server, BS_TIMEOUT_MS);
  if (!setup)
    return 1;
  for (size_t i = 0; i < s.n; i++)
    if (join_seat(setup, &s, &s.seats[i]) != 0)
      return 1;
  sb.stats = setup;
  /* Each seat's request params, packed once: [{session, token, orders}]. */
  char **params = calloc(s.n, sizeof *params);
  size_t *plen = calloc(s.n, sizeof *plen);
  for (size_t i = 0; i < s.n; i++) {
    msgpack_sbuffer b;
    msgpack_sbuffer_init(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "session", 7);
    msgpack_pack_str_with_body(&pk, s.id, strlen(s.id));
    msgpack_pack_str_with_body(&pk, "token", 5);
    msgpack_pack_str_with_body(&pk, s.seats[i].token, strlen(s.seats[i].token));
    msgpack_pack_str_with_body(&pk, "orders", 6);
    pack_orders(&pk, s.seats[i].firm);
    params[i] = b.data;
    plen[i] = b.size;
  }
  struct sockaddr_in sa;
  if (resolve_addr(opt.server, &sa) != 0) {
    fprintf(stderr, "bench-store: --server %s: expected IPV4:PORT\n",
            opt.server);
    return 2;
  }
  sb.loop = uv_default_loop();
  uv_timer_init(sb.loop, &sb.timer);
  sb.conns = calloc((size_t)opt.connections, sizeof *sb.conns);
  for (int i = 0; i < opt.connections; i++) {
    sconn_t *c = &sb.conns[i];
    size_t seat = (size_t)i % s.n;
    c->params = params[seat];
    c->params_len = plen[seat];
    c->out_cap = (size_t)opt.depth * (plen[seat] + 32);
    c->out = malloc(c->out_cap);
    c->next_id = 1;
    msgpack_unpacker_init(&c->up, 65536);
    uv_tcp_init(sb.loop, &c->tcp);
    if (uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&sa,
                       sc_connected) != 0) {
      sb.settled++;
      sc_lost(c, "connect", UV_ECONNREFUSED);
    }
  }
  uv_run(sb.loop, UV_RUN_DEFAULT);
  int lc = uv_loop_close(sb.loop);
  for (int i = 0; i < opt.connections; i++) {
    free(sb.conns[i].out);
    msgpack_unpacker_destroy(&sb.conns[i].up);
  }
  free(sb.conns);
  for (size_t i = 0; i < s.n; i++)
    free(params[i]);
  free(params);
  free(plen);
  free(s.seats);
  cli_close(setup);
  if (!sb.measuring || sb.t1 <= sb.t0) {
    fprintf(stderr, "bench-store: no measurement\n");
    return 1;
  }
  double secs = sb.t1 - sb.t0;
  uint64_t n = sb.count1 - sb.count0;
  uint64_t commits = sb.commits1 - sb.commits0;
  printf("bench=orders_submit connections=%d depth=%d requests=%" PRIu64
         " seconds=%.3f rps=%.0f errors=%" PRIu64 " rejected=%" PRIu64,
         opt.connections, opt.depth, n, secs, (double)n / secs, sb.errors,
         sb.rejected);
  if (sb.stats_ok)
    printf(" commits=%" PRIu64 " rows_per_commit=%.1f", commits,
           commits ? (double)n / (double)commits : 0.0);
  if (sb.srv0 >= 0 && sb.srv1 >= 0)
    printf(" server_cpu=%.2f server_us_per_req=%.2f",
           (sb.srv1 - sb.srv0) / secs,
           n ? (sb.srv1 - sb.srv0) * 1e6 / (double)n : 0.0);
  printf(" client_cpu=%.2f\n", (sb.own1 - sb.own0) / secs);
  return lc == 0 && n > 0 ? 0 : 1;
}

/* ---- turns: turn-commit latency ---------------------------------------- */

typedef struct turn_wait {
  bool resolved;
  double at; /* when turn.resolved arrived */
} turn_wait_t;

static void on_note(void *data, const char *method, size_t len,
                    const msgpack_object *params) {
  turn_wait_t *w = data;
  (void)params;
  if (len == 13 && memcmp(method, "turn.resolved", 13) == 0 && !w->resolved) {
    w->resolved = true;
    w->at = now_s();
  }
}

static int run_turns(void) {
  size_t cap = (size_t)opt.n_sessions * 512, n = 0;
  double *ack = calloc(cap, sizeof *ack), *res = calloc(cap, sizeof *res);
  double *all = calloc(cap, sizeof *all);
  if (opt.n_sessions < 1 || !ack || !res || !all) {
    fprintf(stderr, "bench-store turns: give --session-json\n");
    return 2;
  }
  for (int k = 0; k < opt.n_sessions; k++) {
    sess_info_t s;
    if (load_session(opt.session_json[k], &s) != 0)
      return 1;
    cli_conn_t *admin = cli_connect(opt.server, BS_TIMEOUT_MS);
    cli_conn_t *p = cli_connect(opt.server, BS_TIMEOUT_MS);
    if (!admin || !p || join_seat(p, &s, &s.seats[0]) != 0)
      return 1;
    turn_wait_t w = {false, 0};
    cli_on_notify(p, on_note, &w);
    for (size_t i = 1; i < s.n; i++)
      if (call_ok(admin, "session.bot",
                  json_pack("{s:s, s:s, s:s, s:s}", "session", s.id,
                            "admin_token", s.admin, "seat", s.seats[i].seat,
                            "strategy", "standing"),
                  NULL) != 0)
        return 1;
    if (call_ok(
            admin, "session.start",
            json_pack("{s:s, s:s}", "session", s.id, "admin_token", s.admin),
            NULL) != 0)
      return 1;
    for (;;) {
      json_t *r = NULL, *err = NULL;
      json_t *params =
          json_pack("{s:s, s:s}", "session", s.id, "token", s.seats[0].token);
      w.resolved = false;
      double t0 = now_s();
      int rc = cli_call_json(p, "turn.ready", params, &r, &err);
      double t1 = now_s();
      json_decref(params);
      json_decref(r);
      if (rc != 0) {
        /* conflict: the session is finished. */
        json_decref(err);
        break;
      }
      while (!w.resolved)
        if (cli_wait(p, 100) < 0 || now_s() - t0 > BS_TIMEOUT_MS / 1e3) {
          fprintf(stderr, "bench-store: no turn.resolved within %d ms\n",
                  BS_TIMEOUT_MS);
          return 1;
        }
      if (n < cap) {
        ack[n] = t1 - t0;
        res[n] = w.at > t1 ? w.at - t1 : 0;
        all[n] = w.at - t0;
        n++;
      }
    }
    cli_close(p);
    cli_close(admin);
    free(s.seats);
  }
  qsort(ack, n, sizeof *ack, cmp_double);
  qsort(res, n, sizeof *res, cmp_double);
  qsort(all, n, sizeof *all, cmp_double);
  printf("bench=turn_commit sessions=%d turns=%zu ready_ack_p50_ms=%.3f "
         "ready_ack_p99_ms=%.3f resolve_p50_ms=%.3f resolve_p99_ms=%.3f "
         "ready_to_resolved_p50_ms=%.3f ready_to_resolved_p99_ms=%.3f\n",
         opt.n_sessions, n, quantile_ms(ack, n, 0.5), quantile_ms(ack, n, 0.99),
         quantile_ms(res, n, 0.5), quantile_ms(res, n, 0.99),
         quantile_ms(all, n, 0.5), quantile_ms(all, n, 0.99));
  free(ack);
  free(res);
  free(all);
  return n > 0 ? 0 : 1;
}

/* ---- sqlite: the baselines --------------------------------------------- */

/* The server's submission insert (store/store.c, W_SUBMISSION_INSERT). */
#define INSERT_SQL                                                             \
  "INSERT INTO submissions (session_id, turn, seat_index, source, orders,"     \
  " created_ms) VALUES (?,?,?,?,?,?)"

static int exec1(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fprintf(stderr, "bench-store: %s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

static int insert_row(sqlite3_stmt *ins, const char *blob, size_t len, long i) {
  sqlite3_bind_text(ins, 1, "sbench01", -1, SQLITE_STATIC);
  sqlite3_bind_int64(ins, 2, i / 9);
  sqlite3_bind_int64(ins, 3, i % 9);
  sqlite3_bind_text(ins, 4, "player", -1, SQLITE_STATIC);
  sqlite3_bind_blob(ins, 5, blob, (int)len, SQLITE_STATIC);
  sqlite3_bind_int64(ins, 6, (int64_t)time(NULL) * 1000);
  int rc = sqlite3_step(ins);
  sqlite3_reset(ins);
  return rc == SQLITE_DONE ? 0 : -1;
}

static void remove_db(const char *path) {
  char p[4200];
  remove(path);
  snprintf(p, sizeof p, "%s-wal", path);
  remove(p);
  snprintf(p, sizeof p, "%s-shm", path);
  remove(p);
}

static int run_sqlite(void) {
  char path[4096], err[512];
  snprintf(path, sizeof path, "%s/bench-sqlite.db", opt.dir);
  remove_db(path);
  /* The schema is the store's (store_open creates it); the baseline then
   * runs plain SQLite on that file, with the same pragmas. */
  store_t *st;
  const store_config_t scfg = {opt.sync_full, NULL, NULL};
  if (store_open(&st, path, &scfg, err, sizeof err) != 0) {
    fprintf(stderr, "bench-store: %s\n", err);
    return 1;
  }
  store_close(st);
  sqlite3 *db = NULL;
  sqlite3_stmt *ins = NULL;
  int status = 1;
  if (sqlite3_open(path, &db) != SQLITE_OK ||
      exec1(db, opt.sync_full ? "PRAGMA synchronous=FULL"
                              : "PRAGMA synchronous=NORMAL") != 0 ||
      exec1(db, "PRAGMA foreign_keys=ON") != 0)
    goto done;
  if (exec1(db, "INSERT INTO sessions (id, name, map_id, map_json, "
                "map_digest, seed, turns, turn_ms, spectators, "
                "admin_token_hash, engine_version, created_ms, status, turn) "
                "VALUES ('sbench01', 'bench', 'classroom', '{}', x'00', 1, 16,"
                " 0, 0, x'00', 'bench', 0, 'lobby', 0)") != 0 ||
      sqlite3_prepare_v3(db, INSERT_SQL, -1, SQLITE_PREPARE_PERSISTENT, &ins,
                         NULL) != SQLITE_OK)
    goto done;
  /* The blob a benchmark submission stores: a firm's two orders. */
  msgpack_sbuffer b;
  msgpack_sbuffer_init(&b);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
  pack_orders(&pk, true);
  const char *sync = opt.sync_full ? "full" : "normal";

  long rows = 0;
  double t0 = now_s(), t1;
  do {
    if (exec1(db, "BEGIN IMMEDIATE") != 0 ||
        insert_row(ins, b.data, b.size, rows) != 0 || exec1(db, "COMMIT") != 0)
      goto done_b;
    rows++;
    t1 = now_s();
  } while (t1 - t0 < opt.seconds);
  printf("bench=sqlite_txn_per_row rows=%ld seconds=%.3f rps=%.0f "
         "sync=%s\n",
         rows, t1 - t0, (double)rows / (t1 - t0), sync);

  long base = rows;
  t0 = now_s();
  if (exec1(db, "BEGIN IMMEDIATE") != 0)
    goto done_b;
  for (long i = 0; i < opt.rows; i++)
    if (insert_row(ins, b.data, b.size, base + i) != 0)
      goto done_b;
  if (exec1(db, "COMMIT") != 0)
    goto done_b;
  t1 = now_s();
  printf("bench=sqlite_one_txn rows=%ld seconds=%.3f rps=%.0f sync=%s\n",
         opt.rows, t1 - t0, (double)opt.rows / (t1 - t0), sync);
  fflush(stdout);
  status = 0;
done_b:
  msgpack_sbuffer_destroy(&b);
done:
  sqlite3_finalize(ins);
  sqlite3_close(db);
  remove_db(path);
  return status;
}

/* ---- Arguments --------------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(f,
          "usage: bench-store submit --server HOST:PORT --session-json FILE\n"
          "                   [--connections C] [--depth D] [--seconds S] "
          "[--warmup W]\n"
          "                   [--server-pid PID]\n"
          "       bench-store turns --server HOST:PORT --session-json FILE "
          "[...]\n"
          "       bench-store sqlite --dir DIR [--seconds S] [--rows N] "
          "[--sync full|normal]\n"
          "(bench/run.sh runs all three; see the comment at the top of "
          "bench_store.c)\n");
}

static int num(const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d;
    if (strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (!v)
      goto bad;
    i++;
    if (strcmp(a, "--server") == 0)
      opt.server = v;
    else if (strcmp(a, "--session-json") == 0 &&
             opt.n_sessions < BS_MAX_SESSIONS)
      opt.session_json[opt.n_sessions++] = v;
    else if (strcmp(a, "--connections") == 0 && num(v, 1, 10000, &d) == 0)
      opt.connections = (int)d;
    else if (strcmp(a, "--depth") == 0 && num(v, 1, 4096, &d) == 0)
      opt.depth = (int)d;
    else if (strcmp(a, "--seconds") == 0 && num(v, 0.01, 3600, &d) == 0)
      opt.seconds = d;
    else if (strcmp(a, "--warmup") == 0 && num(v, 0, 3600, &d) == 0)
      opt.warmup = d;
    else if (strcmp(a, "--server-pid") == 0 && num(v, 1, 1e9, &d) == 0)
      opt.server_pid = (long)d;
    else if (strcmp(a, "--dir") == 0)
      opt.dir = v;
    else if (strcmp(a, "--rows") == 0 && num(v, 1, 1e9, &d) == 0)
      opt.rows = (long)d;
    else if (strcmp(a, "--sync") == 0 &&
             (strcmp(v, "full") == 0 || strcmp(v, "normal") == 0))
      opt.sync_full = strcmp(v, "full") == 0;
    else
      goto bad;
  }
  if (strcmp(mode, "submit") == 0 && opt.server)
    return run_submit();
  if (strcmp(mode, "turns") == 0 && opt.server)
    return run_turns();
  if (strcmp(mode, "sqlite") == 0 && opt.dir)
    return run_sqlite();
bad:
  usage(stderr);
  return 2;
}
