/*
 * Pipelining and reply order against the real server: many requests in one
 * write, mixed methods and errors in one write, a stream cut at every odd
 * place, a large message, and a client that half-closes after sending.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "harness.h"

static int port_of(void **state) {
  return ((lt_fixture_t *)*state)->srv.port;
}

/* Expect a successful response to msgid; returns its result. */
static const msgpack_object *expect_ok(lt_conn_t *c, uint32_t msgid) {
  msgpack_object *o;
  uint32_t id;

  assert_int_equal(lt_recv(c, LT_WAIT_MS, &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_int_equal(id, msgid);
  assert_null(lt_response_error(o));
  return lt_response_result(o);
}

static void expect_error(lt_conn_t *c, uint32_t msgid, const char *code) {
  msgpack_object *o;
  uint32_t id;

  assert_int_equal(lt_recv(c, LT_WAIT_MS, &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_int_equal(id, msgid);
  assert_non_null(lt_response_error(o));
  assert_true(lt_str_is(lt_get(lt_response_error(o), "code"), code));
}

static void test_thousand_pings_one_write(void **state) {
  msgpack_sbuffer sb;
  lt_conn_t c;

  msgpack_sbuffer_init(&sb);
  for (uint32_t i = 0; i < 1000; i++)
    lt_pack_request(&sb, i, "ping");
  assert_int_equal(lt_connect(&c, port_of(state), 0), 0);
  assert_int_equal(lt_send(&c, sb.data, sb.size), 0);
  for (uint32_t i = 0; i < 1000; i++) {
    const msgpack_object *r = expect_ok(&c, i);
    assert_int_equal(r->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(r->via.map.size, 0);
  }
  msgpack_sbuffer_destroy(&sb);
  assert_true(lt_ping(&c, 5000));
  lt_close(&c);
}

static void test_mixed_methods_in_order(void **state) {
  /* [0, "x", "m", []]: answered with a notification, in its place. */
  static const uint8_t bad_msgid[] = {0x94, 0x00, 0xa1, 'x', 0xa1, 'm', 0x90};
  /* [0, 5, "ping", {}] */
  static const uint8_t bad_params[] = {0x94, 0x00, 0x05, 0xa4, 'p',
                                       'i',  'n',  'g',  0x80};
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_object *o;
  const msgpack_object *r;
  lt_conn_t c;

  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  lt_pack_request(&sb, 1, "ping");
  /* [0, 2, "hello", [{"client": "order-test", "protocol": 1}]] */
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint8(&pk, 2);
  msgpack_pack_str_with_body(&pk, "hello", 5);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 2);
  msgpack_pack_str_with_body(&pk, "client", 6);
  msgpack_pack_str_with_body(&pk, "order-test", 10);
  msgpack_pack_str_with_body(&pk, "protocol", 8);
  msgpack_pack_uint8(&pk, 1);
  lt_pack_request(&sb, 3, "maps.list");
  msgpack_sbuffer_write(&sb, (const char *)bad_msgid, sizeof(bad_msgid));
  lt_pack_request(&sb, 4, "no.such.method");
  msgpack_sbuffer_write(&sb, (const char *)bad_params, sizeof(bad_params));
  lt_pack_request(&sb, 6, "server.stats");
  lt_pack_request(&sb, 7, "ping");

  assert_int_equal(lt_connect(&c, port_of(state), 0), 0);
  assert_int_equal(lt_send(&c, sb.data, sb.size), 0);
  msgpack_sbuffer_destroy(&sb);

  r = expect_ok(&c, 1);
  assert_int_equal(r->type, MSGPACK_OBJECT_MAP);
  r = expect_ok(&c, 2);
  assert_true(lt_str_is(lt_get(r, "server"), "lanthanide"));
  r = expect_ok(&c, 3);
  assert_int_equal(r->type, MSGPACK_OBJECT_ARRAY);
  assert_int_equal(lt_recv(&c, LT_WAIT_MS, &o), 1);
  assert_non_null(lt_error_notification(o));
  expect_error(&c, 4, "unknown_method");
  expect_error(&c, 5, "bad_request");
  r = expect_ok(&c, 6);
  assert_non_null(lt_get(r, "requests"));
  r = expect_ok(&c, 7);
  lt_close(&c);
}

/* The same requests, with the stream cut into pieces of 7 bytes and, for
 * one request, of single bytes. */
static void test_stream_cut_anywhere(void **state) {
  msgpack_sbuffer sb;
  lt_conn_t c;
  int one = 1;

  msgpack_sbuffer_init(&sb);
  for (uint32_t i = 0; i < 200; i++)
    lt_pack_request(&sb, i, i % 3 == 0 ? "hello" : "ping");
  assert_int_equal(lt_connect(&c, port_of(state), 0), 0);
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  for (size_t off = 0; off < sb.size; off += 7) {
    size_t n = sb.size - off < 7 ? sb.size - off : 7;
    assert_int_equal(lt_send(&c, sb.data + off, n), 0);
    if (off % 140 == 0)
      lt_sleep_ms(1);
  }
  for (uint32_t i = 0; i < 200; i++)
    expect_ok(&c, i);
  msgpack_sbuffer_clear(&sb);
  lt_pack_request(&sb, 999, "server.stats");
  for (size_t off = 0; off < sb.size; off++) {
    assert_int_equal(lt_send(&c, sb.data + off, 1), 0);
    lt_sleep_ms(5);
  }
  expect_ok(&c, 999);
  msgpack_sbuffer_destroy(&sb);
  lt_close(&c);
}

/* A message of 900 KB (under the default 1 MiB limit) arrives over many
 * reads and is answered; so is the ping pipelined right behind it. */
static void test_large_message(void **state) {
  static char big[900 * 1000];
  msgpack_sbuffer sb;
  msgpack_packer pk;
  lt_conn_t c;
  const msgpack_object *r;

  memset(big, 'x', sizeof(big));
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint8(&pk, 1);
  msgpack_pack_str_with_body(&pk, "hello", 5);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_str_with_body(&pk, "client", 6);
  msgpack_pack_str_with_body(&pk, big, sizeof(big));
  lt_pack_request(&sb, 2, "ping");
  assert_int_equal(lt_connect(&c, port_of(state), 0), 0);
  assert_int_equal(lt_send(&c, sb.data, sb.size), 0);
  r = expect_ok(&c, 1);
  assert_true(lt_str_is(lt_get(r, "server"), "lanthanide"));
  expect_ok(&c, 2);
  /* And again, on the same connection, after its buffer shrank. */
  assert_int_equal(lt_send(&c, sb.data, sb.size), 0);
  expect_ok(&c, 1);
  expect_ok(&c, 2);
  msgpack_sbuffer_destroy(&sb);
  lt_close(&c);
}

/* A client that sends its requests and then shuts its write side (like
 * `nc -N`) still gets every answer before the server closes. */
static void test_half_close(void **state) {
  msgpack_sbuffer sb;
  lt_conn_t c;

  msgpack_sbuffer_init(&sb);
  for (uint32_t i = 0; i < 50; i++)
    lt_pack_request(&sb, i, "ping");
  assert_int_equal(lt_connect(&c, port_of(state), 0), 0);
  assert_int_equal(lt_send(&c, sb.data, sb.size), 0);
  shutdown(c.fd, SHUT_WR);
  for (uint32_t i = 0; i < 50; i++)
    expect_ok(&c, i);
  assert_true(lt_wait_closed(&c, LT_WAIT_MS));
  msgpack_sbuffer_destroy(&sb);
  lt_close(&c);
}

/* Many connections pipelining at once keep their own order. */
static void test_many_connections(void **state) {
  enum { N = 40, M = 100 };
  static lt_conn_t c[N];
  msgpack_sbuffer sb;

  msgpack_sbuffer_init(&sb);
  for (int i = 0; i < N; i++)
    assert_int_equal(lt_connect(&c[i], port_of(state), 0), 0);
  for (int i = 0; i < N; i++) {
    msgpack_sbuffer_clear(&sb);
    for (uint32_t j = 0; j < M; j++)
      lt_pack_request(&sb, (uint32_t)i * 1000 + j, "ping");
    assert_int_equal(lt_send(&c[i], sb.data, sb.size), 0);
  }
  for (int i = 0; i < N; i++) {
    for (uint32_t j = 0; j < M; j++)
      expect_ok(&c[i], (uint32_t)i * 1000 + j);
    lt_close(&c[i]);
  }
  msgpack_sbuffer_destroy(&sb);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      LT_TEST(test_thousand_pings_one_write),
      LT_TEST(test_mixed_methods_in_order),
      LT_TEST(test_stream_cut_anywhere),
      LT_TEST(test_large_message),
      LT_TEST(test_half_close),
      LT_TEST(test_many_connections),
  };

  lt_init(argc, argv);
  return cmocka_run_group_tests_name("pipelining", tests, NULL, NULL);
}
