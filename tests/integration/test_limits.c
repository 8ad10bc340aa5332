/*
 * Connection limits against the real server, with short flags so the
 * deadlines pass quickly: the first-request, message and idle deadlines,
 * the output budget for a client that never reads, connections per
 * address and overall, and the depth flag. Each checks its counter through
 * server.stats from another connection, which keeps working throughout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cmocka.h>

#include "harness.h"

static int port_of(void **state) {
  return ((lt_fixture_t *)*state)->srv.port;
}

/* Expect the "error" notification naming flag, then the end of stream.
 * Returns the milliseconds it took from t0. */
static uint64_t expect_closed_by(lt_conn_t *c, const char *flag, uint64_t t0) {
  msgpack_object *o;
  const msgpack_object *e;
  uint64_t dt;

  assert_int_equal(lt_recv(c, LT_LIVE_MS, &o), 1);
  dt = lt_now_ms() - t0;
  e = lt_error_notification(o);
  assert_non_null(e);
  assert_true(lt_str_is(lt_get(e, "code"), "bad_request"));
  assert_true(lt_str_has(lt_get(e, "message"), flag));
  assert_true(lt_wait_closed(c, LT_WAIT_MS));
  return dt;
}

/* Poll server.stats on c until counter reaches want (the server may count
 * a close a moment after the client sees it). */
static uint64_t wait_stat(lt_conn_t *c, const char *name, uint64_t want) {
  uint64_t v = UINT64_MAX;

  for (int i = 0; i < 100; i++) {
    v = lt_stat(c, name);
    if (v == want)
      break;
    lt_sleep_ms(50);
  }
  return v;
}

/* --first-request-ms 300 */
static void test_first_request_deadline(void **state) {
  lt_conn_t a, b;
  uint64_t t0, dt;

  assert_int_equal(lt_connect(&b, port_of(state), 0), 0);
  assert_true(lt_ping(&b, 1));
  t0 = lt_now_ms();
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  dt = expect_closed_by(&a, "--first-request-ms", t0);
  assert_true(dt >= 250);
  assert_true(dt < LT_LIVE_MS);
  lt_close(&a);
  /* The bystander made its request in time and is still served after
   * twice the deadline. */
  lt_sleep_ms(300);
  assert_true(lt_ping(&b, 2));
  assert_int_equal(lt_stat(&b, "closed_first_request_timeout"), 1);
  lt_close(&b);
}

/* --message-ms 400: a client trickling one byte every 100 ms is cut off at
 * the message deadline although it never goes quiet. */
static void test_slowloris(void **state) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  lt_conn_t a, b;
  uint64_t t0, dt;
  char name[60];

  assert_int_equal(lt_connect(&b, port_of(state), 0), 0);
  assert_true(lt_ping(&b, 1));
  memset(name, 'n', sizeof(name));
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint8(&pk, 1);
  msgpack_pack_str_with_body(&pk, "hello", 5);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_str_with_body(&pk, "client", 6);
  msgpack_pack_str_with_body(&pk, name, sizeof(name));

  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  t0 = lt_now_ms();
  for (size_t i = 0; i < sb.size; i++) {
    struct pollfd p = {a.fd, POLLIN, 0};
    if (poll(&p, 1, 100) > 0)
      break; /* the server spoke: the deadline passed */
    if (lt_send(&a, sb.data + i, 1) != 0)
      break;
  }
  msgpack_sbuffer_destroy(&sb);
  dt = expect_closed_by(&a, "--message-ms", t0);
  assert_true(dt >= 350);
  assert_true(dt < LT_LIVE_MS);
  lt_close(&a);
  assert_int_equal(lt_stat(&b, "closed_message_timeout"), 1);
  assert_true(lt_ping(&b, 2));
  lt_close(&b);
}

/* --idle-ms 300: a connection that stops sending requests is closed; one
 * that keeps asking is not. */
static void test_idle_deadline(void **state) {
  lt_conn_t a, b;
  uint64_t t0, dt;

  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  assert_int_equal(lt_connect(&b, port_of(state), 0), 0);
  assert_true(lt_ping(&a, 1));
  t0 = lt_now_ms();
  for (uint32_t i = 0; i < 8; i++) {
    assert_true(lt_ping(&b, 10 + i));
    lt_sleep_ms(100);
  }
  dt = expect_closed_by(&a, "--idle-ms", t0);
  assert_true(dt < LT_LIVE_MS);
  lt_close(&a);
  assert_true(lt_ping(&b, 99));
  assert_int_equal(lt_stat(&b, "closed_idle"), 1);
  lt_close(&b);
}

/* --max-output 65536: a client that sends requests and never reads is cut
 * off; the server does not buffer its answers without end. */
static void test_output_budget(void **state) {
  struct timeval tv = {10, 0};
  msgpack_sbuffer sb;
  lt_conn_t a, b;
  size_t sent = 0;
  uint64_t t0;
  bool cut = false;

  assert_int_equal(lt_connect(&b, port_of(state), 0), 0);
  assert_true(lt_ping(&b, 1));
  /* A small receive window, so the kernel buffers little on our side. */
  assert_int_equal(lt_connect(&a, port_of(state), 4096), 0);
  setsockopt(a.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  msgpack_sbuffer_init(&sb);
  for (uint32_t i = 0; i < 2000; i++)
    lt_pack_request(&sb, i, "hello");
  t0 = lt_now_ms();
  while (sent < (size_t)256 << 20 && lt_now_ms() - t0 < 30000) {
    if (lt_send(&a, sb.data, sb.size) != 0) {
      cut = true;
      break;
    }
    sent += sb.size;
  }
  msgpack_sbuffer_destroy(&sb);
  assert_true(cut);
  lt_close(&a);
  assert_int_equal(wait_stat(&b, "closed_output_budget", 1), 1);
  assert_true(lt_ping(&b, 2));
  lt_close(&b);
}

/* With a limit of three: two clients and a bystander are admitted, the
 * fourth is closed at once, and closing one makes room again. */
static void check_fourth_refused(int port, const char *counter,
                                 const char *other, uint64_t other_value) {
  lt_conn_t c[3], b, s;
  msgpack_sbuffer sb;
  uint64_t active = 0;

  assert_int_equal(lt_connect(&b, port, 0), 0);
  assert_true(lt_ping(&b, 1));
  for (int i = 0; i < 2; i++) {
    assert_int_equal(lt_connect(&c[i], port, 0), 0);
    assert_true(lt_ping(&c[i], 1));
  }
  assert_int_equal(lt_connect(&c[2], port, 0), 0);
  msgpack_sbuffer_init(&sb);
  lt_pack_request(&sb, 2, "ping");
  lt_send(&c[2], sb.data, sb.size); /* may fail: the server has closed */
  msgpack_sbuffer_destroy(&sb);
  assert_true(lt_wait_closed(&c[2], LT_WAIT_MS));
  lt_close(&c[2]);
  /* The admitted ones are unaffected. */
  for (int i = 0; i < 2; i++)
    assert_true(lt_ping(&c[i], 3));
  assert_int_equal(lt_stat(&b, counter), 1);
  assert_int_equal(lt_stat(&b, other), other_value);
  assert_int_equal(lt_stat(&b, "active"), 3);
  /* Closing one makes room again once the server has seen the close. */
  lt_close(&c[0]);
  for (int i = 0; i < 100 && active != 2; i++) {
    lt_sleep_ms(20);
    active = lt_stat(&b, "active");
  }
  assert_int_equal(active, 2);
  assert_int_equal(lt_connect(&s, port, 0), 0);
  assert_true(lt_ping(&s, 4));
  assert_int_equal(lt_stat(&s, counter), 1);
  lt_close(&s);
  lt_close(&c[1]);
  lt_close(&b);
}

/* --max-per-address 3 */
static void test_per_address_limit(void **state) {
  check_fourth_refused(port_of(state), "refused_per_address", "refused_total",
                       1);
}

/* --max-connections 3 */
static void test_connection_limit(void **state) {
  check_fourth_refused(port_of(state), "refused_total", "refused_per_address",
                       0);
}

/* --max-depth 4: a request of depth 4 is served, depth 5 is not. */
static void test_depth_flag(void **state) {
  /* [0, 1, "ping", [{"a": [1]}]] and [0, 2, "ping", [{"a": [[1]]}]] */
  static const uint8_t ok[] = {0x94, 0x00, 0x01, 0xa4, 'p', 'i',  'n',
                               'g',  0x91, 0x81, 0xa1, 'a', 0x91, 0x01};
  static const uint8_t deep[] = {0x94, 0x00, 0x02, 0xa4, 'p',  'i',  'n', 'g',
                                 0x91, 0x81, 0xa1, 'a',  0x91, 0x91, 0x01};
  lt_conn_t a;
  msgpack_object *o;
  const msgpack_object *e;
  uint32_t id;

  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  assert_int_equal(lt_send(&a, ok, sizeof(ok)), 0);
  assert_int_equal(lt_recv(&a, LT_WAIT_MS, &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_int_equal(id, 1);
  assert_null(lt_response_error(o));
  assert_int_equal(lt_send(&a, deep, sizeof(deep)), 0);
  assert_int_equal(lt_recv(&a, LT_WAIT_MS, &o), 1);
  e = lt_error_notification(o);
  assert_non_null(e);
  assert_true(lt_str_is(lt_get(e, "code"), "too_large"));
  assert_true(lt_str_has(lt_get(e, "message"), "4 deep"));
  assert_true(lt_wait_closed(&a, LT_WAIT_MS));
  lt_close(&a);
  assert_int_equal(lt_stat_port(port_of(state), "closed_too_deep"), 1);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      LT_TEST_ARGS(test_first_request_deadline, "--first-request-ms", "300"),
      LT_TEST_ARGS(test_slowloris, "--message-ms", "400"),
      LT_TEST_ARGS(test_idle_deadline, "--idle-ms", "300"),
      LT_TEST_ARGS(test_output_budget, "--max-output", "65536"),
      LT_TEST_ARGS(test_per_address_limit, "--max-per-address", "3"),
      LT_TEST_ARGS(test_connection_limit, "--max-connections", "3"),
      LT_TEST_ARGS(test_depth_flag, "--max-depth", "4"),
  };

  lt_init(argc, argv);
  return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
