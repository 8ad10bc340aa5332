/*
 * Unit tests of the connection core (server/conn.c) through an in-memory
 * transport, the way a second transport (WebSocket) will drive it: input
 * fed as chunks from the transport's own buffers, a message split over
 * many chunks, pipelined requests answered in order and cut into batches,
 * a fatal input error that sends the "error" notification then shuts the
 * write side, the output budget against a client that does not read, the
 * output budget per loop iteration that makes connections take turns, and
 * closing that is idempotent and releases the connection once, only from
 * the loop. Every test ends with the loop closed cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conn.h"
#include "rpc.h"

/* The in-memory transport: what was written, and what the core asked. */
typedef struct mock {
  conn_t conn;
  uv_idle_t handle; /* stands for the transport's socket handle */
  char out[32768];
  size_t out_len;
  bool stall;      /* the client does not read: writes stay in flight */
  size_t inflight; /* bytes of the write in flight */
  bool reading;
  int read_starts, read_stops;
  int shutdowns, closes, releases;
} mock_t;

static mock_t *mock_of(conn_t *c) {
  return (mock_t *)((char *)c - offsetof(mock_t, conn));
}

static int m_write(conn_t *c, const char *data, size_t len) {
  mock_t *m = mock_of(c);

  if (m->stall) {
    m->inflight = len;
    return 1;
  }
  assert_true(m->out_len + len <= sizeof(m->out));
  memcpy(m->out + m->out_len, data, len);
  m->out_len += len;
  return 0;
}

static size_t m_queued(conn_t *c) {
  return mock_of(c)->inflight;
}

static void m_read_stop(conn_t *c) {
  mock_of(c)->reading = false;
  mock_of(c)->read_stops++;
}

static int m_read_start(conn_t *c) {
  mock_of(c)->reading = true;
  mock_of(c)->read_starts++;
  return 0;
}

static int m_shutdown(conn_t *c) {
  mock_of(c)->shutdowns++;
  return 0;
}

static void on_handle_closed(uv_handle_t *h) {
  mock_t *m = (mock_t *)((char *)h - offsetof(mock_t, handle));

  if (m->inflight > 0) {
    /* Closing cancels the write in flight, as libuv does, before the
     * handle's close callback. */
    m->inflight = 0;
    conn_write_done(&m->conn, UV_ECANCELED);
  }
  conn_transport_closed(&m->conn);
}

static void m_close(conn_t *c) {
  mock_t *m = mock_of(c);

  m->closes++;
  uv_close((uv_handle_t *)&m->handle, on_handle_closed);
}

static void m_release(conn_t *c) {
  mock_of(c)->releases++;
}

static const conn_ops_t mock_ops = {
    .write = m_write,
    .queued = m_queued,
    .read_stop = m_read_stop,
    .read_start = m_read_start,
    .shutdown = m_shutdown,
    .close = m_close,
    .release = m_release,
};

/* ping answers "pong"; big answers 3000 bytes. */
static int h_ping(rpc_call_t *call) {
  return proto_pack_cstr(call->pk, "pong") == 0 ? RPC_OK : RPC_ERROR;
}

static int h_big(rpc_call_t *call) {
  static char text[3000];

  memset(text, 'b', sizeof(text) - 1);
  return proto_pack_cstr(call->pk, text) == 0 ? RPC_OK : RPC_ERROR;
}

static const rpc_method_t methods[] = {{"ping", h_ping}, {"big", h_big}};

typedef struct fixture {
  uv_loop_t loop;
  conn_counters_t counters;
  conn_config_t cfg;
  rpc_t *rpc;
  conn_core_t *core;
  mock_t m;
} fixture_t;

/* Start the core with cfg as the test set it, and one connection. */
static void start(fixture_t *f) {
  assert_int_equal(rpc_new(&f->rpc, methods, 2, NULL, &f->counters), 0);
  assert_int_equal(
      conn_core_new(&f->core, &f->loop, &f->cfg, f->rpc, &f->counters), 0);
  assert_int_equal(uv_idle_init(&f->loop, &f->m.handle), 0);
  assert_int_equal(
      conn_init(f->core, &f->m.conn, &mock_ops, "test:1", "127.0.0.9"), 0);
  assert_string_equal(f->m.conn.peer.addr, "127.0.0.9");
  assert_int_equal(conn_admit(&f->m.conn), 0);
  conn_start(&f->m.conn);
  assert_true(f->m.reading);
  assert_int_equal(f->counters.accepted, 1);
  assert_int_equal(f->counters.active, 1);
}

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof(*f));

  if (!f || uv_loop_init(&f->loop) != 0)
    return -1;
  conn_config_default(&f->cfg);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;

  conn_core_close(f->core);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  /* Released exactly once, and only by the loop. */
  assert_int_equal(f->m.releases, 1);
  assert_int_equal(f->counters.active, 0);
  assert_int_equal(uv_loop_close(&f->loop), 0);
  conn_core_free(f->core);
  rpc_free(f->rpc);
  free(f);
  return 0;
}

/* [0, id, method, []] */
static size_t request(uint8_t *buf, uint8_t id, const char *method) {
  size_t n = strlen(method), i = 0;

  buf[i++] = 0x94;
  buf[i++] = 0x00;
  buf[i++] = id;
  buf[i++] = (uint8_t)(0xa0 | n);
  memcpy(buf + i, method, n);
  i += n;
  buf[i++] = 0x90;
  return i;
}

/* [1, id, nil, "pong"] */
static size_t pong(uint8_t *buf, uint8_t id) {
  const uint8_t r[] = {0x94, 0x01, id, 0xc0, 0xa4, 'p', 'o', 'n', 'g'};

  memcpy(buf, r, sizeof(r));
  return sizeof(r);
}

/* A message fed one byte at a time, each from its own buffer (as a
 * transport that decodes frames would), and then two requests with the
 * start of a third in one chunk: every answer whole and in order. */
static void test_chunks_from_elsewhere(void **state) {
  fixture_t *f = *state;
  uint8_t req[64], want[64];
  size_t n, w = 0;

  start(f);
  n = request(req, 1, "ping");
  for (size_t i = 0; i < n; i++) {
    uint8_t one = req[i];
    conn_feed(&f->m.conn, &one, 1);
  }
  w += pong(want + w, 1);
  assert_int_equal(f->m.out_len, w);

  /* Requests 2 and 3 whole, then request 4 cut in two chunks. */
  n = request(req, 2, "ping");
  n += request(req + n, 3, "ping");
  size_t cut = n + 5;
  n += request(req + n, 4, "ping");
  conn_feed(&f->m.conn, req, cut);
  w += pong(want + w, 2);
  w += pong(want + w, 3);
  assert_int_equal(f->m.out_len, w);
  conn_feed(&f->m.conn, req + cut, n - cut);
  w += pong(want + w, 4);
  assert_int_equal(f->m.out_len, w);
  assert_memory_equal(f->m.out, want, w);
  assert_int_equal(f->counters.requests, 4);
}

/* --max-batch 2: five pipelined requests are answered two per loop
 * iteration, with reading stopped in between, and all in order. */
static void test_batches(void **state) {
  fixture_t *f = *state;
  uint8_t req[64], want[64];
  size_t n = 0, w = 0;

  f->cfg.max_batch = 2;
  start(f);
  for (uint8_t id = 1; id <= 5; id++) {
    n += request(req + n, id, "ping");
    w += pong(want + w, id);
  }
  conn_feed(&f->m.conn, req, n);
  assert_int_equal(f->m.out_len, 2 * 9);
  assert_false(f->m.reading);
  assert_int_equal(f->counters.batches_deferred, 1);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->m.out_len, 4 * 9);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->m.out_len, w);
  assert_memory_equal(f->m.out, want, w);
  /* The burst is done: the transport reads again. */
  assert_true(f->m.reading);
}

/* A byte that is never valid MessagePack: the client gets the "error"
 * notification, the write side is shut, input is discarded, and the
 * peer's close ends the connection, counted once. */
static void test_invalid_input_drains(void **state) {
  fixture_t *f = *state;
  uint8_t bad = 0xc1;
  uint8_t req[16];
  size_t n;

  start(f);
  conn_feed(&f->m.conn, &bad, 1);
  assert_int_equal(f->counters.closed_invalid, 1);
  assert_int_equal(f->counters.error_notifications, 1);
  assert_true(f->m.out_len > 0);
  /* [2, "error", [...]] */
  assert_int_equal((uint8_t)f->m.out[0], 0x93);
  assert_int_equal((uint8_t)f->m.out[1], 0x02);
  assert_int_equal(f->m.shutdowns, 1);
  size_t sent = f->m.out_len;
  n = request(req, 1, "ping");
  conn_feed(&f->m.conn, req, n);
  assert_int_equal(f->m.out_len, sent);
  assert_int_equal(f->counters.requests, 0);
  conn_read_end(&f->m.conn, UV_EOF);
  assert_int_equal(f->m.closes, 1);
  assert_int_equal(f->m.releases, 0);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->m.releases, 1);
  assert_int_equal(f->counters.closed_by_peer, 0);
}

/* A client that does not read: once the answers it has not taken pass
 * --max-output, the connection closes, counted in closed_output_budget. */
static void test_output_budget(void **state) {
  fixture_t *f = *state;
  uint8_t req[16];
  size_t n;

  f->cfg.max_output = 8000;
  start(f);
  f->m.stall = true;
  n = request(req, 1, "big");
  for (int i = 0; i < 3 && f->m.closes == 0; i++)
    conn_feed(&f->m.conn, req, n);
  assert_int_equal(f->m.closes, 1);
  assert_int_equal(f->counters.closed_output_budget, 1);
  assert_int_equal(f->counters.requests, 3);
}

/* Closing twice closes once; the memory is released by the loop, never
 * from inside the call. */
static void test_close_idempotent(void **state) {
  fixture_t *f = *state;

  start(f);
  conn_close(&f->m.conn);
  conn_close(&f->m.conn);
  assert_int_equal(f->m.closes, 1);
  assert_int_equal(f->m.releases, 0);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->m.releases, 1);
  assert_int_equal(f->counters.active, 0);
}

/* --max-connections 1: a second connection is refused and counted. */
static void test_max_connections(void **state) {
  fixture_t *f = *state;
  mock_t *second = calloc(1, sizeof(*second));

  f->cfg.max_connections = 1;
  start(f);
  assert_non_null(second);
  assert_int_equal(uv_idle_init(&f->loop, &second->handle), 0);
  assert_int_equal(
      conn_init(f->core, &second->conn, &mock_ops, "test:2", "127.0.0.9"), 0);
  assert_int_equal(conn_admit(&second->conn), CONN_EFULL);
  assert_int_equal(f->counters.refused_total, 1);
  conn_close(&second->conn);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(second->releases, 1);
  assert_int_equal(f->counters.active, 1);
  assert_int_equal(f->counters.accepted, 1);
  free(second);
}

/* --max-output-per-iteration 2048 (each "big" answer is about 3 KB): a
 * connection pipelining five big requests gets one answered per turn,
 * and a ping from another connection that arrives once the iteration's
 * output is spent waits its turn (output_paused), then goes before the
 * rest of the burst: the budget goes round. Every answer arrives, in
 * order. */
static void test_output_per_iteration(void **state) {
  fixture_t *f = *state;
  mock_t *b = calloc(1, sizeof(*b));
  uint8_t req[64], one[16];
  size_t n = 0;

  f->cfg.max_output_per_iteration = 2048;
  start(f);
  assert_non_null(b);
  assert_int_equal(uv_idle_init(&f->loop, &b->handle), 0);
  assert_int_equal(
      conn_init(f->core, &b->conn, &mock_ops, "test:2", "127.0.0.8"), 0);
  assert_int_equal(conn_admit(&b->conn), 0);
  conn_start(&b->conn);

  for (uint8_t id = 1; id <= 5; id++)
    n += request(req + n, id, "big");
  conn_feed(&f->m.conn, req, n);
  size_t big = f->m.out_len; /* one answer, then the budget is spent */
  assert_true(big > 2048);
  assert_false(f->m.reading);
  assert_int_equal(f->counters.output_paused, 1);
  assert_int_equal(f->counters.batches_deferred, 0);

  /* The ping arrives in the same iteration: it waits. */
  conn_feed(&b->conn, one, request(one, 7, "ping"));
  assert_int_equal(b->out_len, 0);
  assert_int_equal(f->counters.output_paused, 2);

  /* Iterations later the ping is answered while the burst is not done. */
  for (int i = 0; i < 4 && b->out_len == 0; i++)
    uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(b->out_len, 9);
  assert_true(f->m.out_len < 5 * big);
  assert_true(b->reading);
  /* And the burst finishes, every answer in order. */
  for (int i = 0; i < 20 && f->m.out_len < 5 * big; i++)
    uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->m.out_len, 5 * big);
  for (uint8_t id = 1; id <= 5; id++)
    assert_int_equal((uint8_t)f->m.out[(id - 1) * big + 2], id);
  assert_int_equal(f->counters.requests, 6);

  conn_close(&b->conn);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(b->releases, 1);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_chunks_from_elsewhere, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invalid_input_drains, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_output_budget, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_idempotent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_max_connections, setup, teardown),
      cmocka_unit_test_setup_teardown(test_output_per_iteration, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
