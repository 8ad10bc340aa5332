/*
 * Bad input against the real server: every case below gets
 * its exact error code; the cases that desynchronise the stream also get
 * the connection closed (and the matching counter bumped); the others keep
 * the connection open. In every case a bystander connection, opened before
 * the attack, still answers ping afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static int port_of(void **state) {
  return ((lt_fixture_t *)*state)->srv.port;
}

/* A connection that has already made its first request. */
static void bystander_open(lt_conn_t *b, int port) {
  assert_int_equal(lt_connect(b, port, 0), 0);
  assert_true(lt_ping(b, 1));
}

static void bystander_done(lt_conn_t *b) {
  assert_true(lt_ping(b, 2));
  lt_close(b);
}

/* Send bytes on a fresh connection; expect the "error" notification with
 * code, then the end of the stream. */
static void expect_fatal(int port, const void *bytes, size_t n,
                         const char *code) {
  lt_conn_t a;
  msgpack_object *o;
  const msgpack_object *e;

  assert_int_equal(lt_connect(&a, port, 0), 0);
  assert_int_equal(lt_send(&a, bytes, n), 0);
  assert_int_equal(lt_recv(&a, LT_WAIT_MS, &o), 1);
  e = lt_error_notification(o);
  assert_non_null(e);
  assert_true(lt_str_is(lt_get(e, "code"), code));
  assert_true(lt_str_has(lt_get(e, "message"), "closed"));
  assert_true(lt_wait_closed(&a, LT_WAIT_MS));
  lt_close(&a);
}

/*
 * Send bytes on a; expect an error with code: a response to msgid, or the
 * "error" notification when msgid < 0. If field/needle are given, the
 * error's field must equal field and its message contain needle. The
 * connection must stay open: a ping on it is answered.
 */
static void expect_error_open(lt_conn_t *a, const void *bytes, size_t n,
                              int64_t msgid, const char *code,
                              const char *field, const char *needle) {
  msgpack_object *o;
  const msgpack_object *e;
  uint32_t id;

  assert_int_equal(lt_send(a, bytes, n), 0);
  assert_int_equal(lt_recv(a, LT_WAIT_MS, &o), 1);
  if (msgid >= 0) {
    assert_true(lt_is_response(o, &id));
    assert_int_equal(id, (uint32_t)msgid);
    e = lt_response_error(o);
    assert_true(lt_response_result(o)->type == MSGPACK_OBJECT_NIL);
  } else {
    e = lt_error_notification(o);
  }
  assert_non_null(e);
  assert_true(lt_str_is(lt_get(e, "code"), code));
  if (field)
    assert_true(lt_str_is(lt_get(e, "field"), field));
  if (needle)
    assert_true(lt_str_has(lt_get(e, "message"), needle));
  assert_true(lt_ping(a, 77));
}

/* ---- Cases that close the connection ------------------------------------ */

static void test_invalid_byte(void **state) {
  static const uint8_t bytes[] = {0xc1};
  lt_conn_t b;

  bystander_open(&b, port_of(state));
  expect_fatal(port_of(state), bytes, sizeof(bytes), "bad_request");
  assert_int_equal(lt_stat(&b, "closed_invalid"), 1);
  bystander_done(&b);
}

static void test_invalid_byte_inside_request(void **state) {
  /* [0, 1, "ping", [c1]]: the bad byte deep in an otherwise fine request. */
  static const uint8_t bytes[] = {0x94, 0x00, 0x01, 0xa4, 'p',
                                  'i',  'n',  'g',  0x91, 0xc1};
  lt_conn_t b;

  bystander_open(&b, port_of(state));
  expect_fatal(port_of(state), bytes, sizeof(bytes), "bad_request");
  assert_int_equal(lt_stat(&b, "closed_invalid"), 1);
  bystander_done(&b);
}

static void test_array32_huge_count(void **state) {
  static const uint8_t bytes[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
  lt_conn_t b;

  bystander_open(&b, port_of(state));
  expect_fatal(port_of(state), bytes, sizeof(bytes), "too_large");
  assert_int_equal(lt_stat(&b, "closed_bad_count"), 1);
  bystander_done(&b);
}

static void test_map32_huge_count(void **state) {
  static const uint8_t bytes[] = {0xdf, 0x10, 0x00, 0x00, 0x00};
  lt_conn_t b;

  bystander_open(&b, port_of(state));
  expect_fatal(port_of(state), bytes, sizeof(bytes), "too_large");
  assert_int_equal(lt_stat(&b, "closed_bad_count"), 1);
  bystander_done(&b);
}

static void test_nested_array16(void **state) {
  uint8_t bytes[32 * 3];
  lt_conn_t b;

  for (int i = 0; i < 32; i++) {
    bytes[3 * i] = 0xdc;
    bytes[3 * i + 1] = 0xff;
    bytes[3 * i + 2] = 0xff;
  }
  bystander_open(&b, port_of(state));
  expect_fatal(port_of(state), bytes, sizeof(bytes), "too_large");
  assert_int_equal(lt_stat(&b, "closed_too_deep"), 1);
  bystander_done(&b);
}

/* [0, msgid, "ping", [{"a": [[...[1]...]]}]] with k nested arrays: the
 * request's depth is 3 + k. */
static void pack_deep_ping(msgpack_sbuffer *sb, uint32_t msgid, int k) {
  msgpack_packer pk;

  msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint32(&pk, msgid);
  msgpack_pack_str_with_body(&pk, "ping", 4);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_str_with_body(&pk, "a", 1);
  for (int i = 0; i < k; i++)
    msgpack_pack_array(&pk, 1);
  msgpack_pack_uint8(&pk, 1);
}

static void test_depth_beyond_limit(void **state) {
  msgpack_sbuffer sb;
  lt_conn_t a, b;
  msgpack_object *o;
  uint32_t id;

  bystander_open(&b, port_of(state));
  /* At the limit (16) a request is fine... */
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  msgpack_sbuffer_init(&sb);
  pack_deep_ping(&sb, 5, 13);
  assert_int_equal(lt_send(&a, sb.data, sb.size), 0);
  assert_int_equal(lt_recv(&a, LT_WAIT_MS, &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_int_equal(id, 5);
  assert_null(lt_response_error(o));
  lt_close(&a);
  msgpack_sbuffer_clear(&sb);
  /* ...one level more is not. */
  pack_deep_ping(&sb, 6, 14);
  expect_fatal(port_of(state), sb.data, sb.size, "too_large");
  msgpack_sbuffer_clear(&sb);
  pack_deep_ping(&sb, 7, 40);
  expect_fatal(port_of(state), sb.data, sb.size, "too_large");
  msgpack_sbuffer_destroy(&sb);
  assert_int_equal(lt_stat(&b, "closed_too_deep"), 2);
  bystander_done(&b);
}

/* hello with a "pad" array of n strings of len bytes each. */
static void pack_padded_hello(msgpack_sbuffer *sb, uint32_t msgid, size_t n,
                              size_t len) {
  msgpack_packer pk;
  char str[64];

  memset(str, 'a', sizeof(str));
  msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint32(&pk, msgid);
  msgpack_pack_str_with_body(&pk, "hello", 5);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_str_with_body(&pk, "pad", 3);
  msgpack_pack_array(&pk, (uint32_t)n);
  for (size_t i = 0; i < n; i++)
    msgpack_pack_str_with_body(&pk, str, len);
}

/*
 * hello whose size passes max exactly at an item boundary: after a prefix
 * of P bytes come arrays of 15 small integers (16 bytes each), and a
 * client name of the right length makes max - P a multiple of 16, so the
 * header after the last whole array would start at byte max. Every header
 * is honest; only the sum is too large (the scanner's TOO_LARGE). A
 * message that crosses the limit inside an item is refused by that item's
 * header instead (BAD_COUNT, below).
 */
static void pack_exact_overflow(msgpack_sbuffer *sb, uint32_t msgid,
                                size_t max) {
  uint32_t k = (uint32_t)(max / 16 + 10);
  size_t p0, name_len;
  char name[16];
  msgpack_packer pk;

  memset(name, 'n', sizeof(name));
  for (int pass = 0; pass < 2; pass++) {
    msgpack_sbuffer_clear(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint8(&pk, 0);
    msgpack_pack_uint32(&pk, msgid);
    msgpack_pack_str_with_body(&pk, "hello", 5);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "client", 6);
    name_len = pass == 0 ? 0 : (max - p0) % 16;
    msgpack_pack_str_with_body(&pk, name, name_len);
    msgpack_pack_str_with_body(&pk, "pad", 3);
    msgpack_pack_array(&pk, k);
    p0 = sb->size;
  }
  assert_int_equal((max - sb->size) % 16, 0);
  for (uint32_t i = 0; i < k; i++) {
    msgpack_pack_array(&pk, 15);
    for (int j = 0; j < 15; j++)
      msgpack_pack_uint8(&pk, 1);
  }
  assert_true(sb->size > max);
}

/* Run with --max-message 4096. */
static void test_message_over_limit(void **state) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  lt_conn_t a, b;
  msgpack_object *o;
  char big[5000];
  uint32_t id;

  bystander_open(&b, port_of(state));
  msgpack_sbuffer_init(&sb);
  /* Just under the limit is answered. */
  pack_padded_hello(&sb, 3, 300, 9);
  assert_true(sb.size < 4096);
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  assert_int_equal(lt_send(&a, sb.data, sb.size), 0);
  assert_int_equal(lt_recv(&a, LT_WAIT_MS, &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_null(lt_response_error(o));
  lt_close(&a);

  /* Honest items adding up to more than the limit. */
  pack_exact_overflow(&sb, 4, 4096);
  expect_fatal(port_of(state), sb.data, sb.size, "too_large");
  assert_int_equal(lt_stat(&b, "closed_too_large"), 1);

  /* Items of 10 bytes: the one that crosses the limit is refused. */
  msgpack_sbuffer_clear(&sb);
  pack_padded_hello(&sb, 4, 1000, 9);
  expect_fatal(port_of(state), sb.data, sb.size, "too_large");
  assert_int_equal(lt_stat(&b, "closed_bad_count"), 1);

  /* One string that announces more bytes than the limit leaves. */
  msgpack_sbuffer_clear(&sb);
  memset(big, 'x', sizeof(big));
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint8(&pk, 5);
  msgpack_pack_str_with_body(&pk, "hello", 5);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_str_with_body(&pk, "client", 6);
  msgpack_pack_str_with_body(&pk, big, sizeof(big));
  expect_fatal(port_of(state), sb.data, sb.size, "too_large");
  assert_int_equal(lt_stat(&b, "closed_bad_count"), 2);
  msgpack_sbuffer_destroy(&sb);
  bystander_done(&b);
}

/* With the default limit of 1 MiB, a message of a little more. */
static void test_message_over_default_limit(void **state) {
  msgpack_sbuffer sb;
  lt_conn_t b;

  bystander_open(&b, port_of(state));
  msgpack_sbuffer_init(&sb);
  pack_exact_overflow(&sb, 4, 1024 * 1024);
  expect_fatal(port_of(state), sb.data, sb.size, "too_large");
  msgpack_sbuffer_destroy(&sb);
  assert_int_equal(lt_stat(&b, "closed_too_large"), 1);
  bystander_done(&b);
}

/* Run with --message-ms 300. */
static void test_truncated_then_silence(void **state) {
  /* [0, 1, "ping", []] cut inside the method name. */
  static const uint8_t bytes[] = {0x94, 0x00, 0x01, 0xa4, 'p', 'i'};
  lt_conn_t a, b;
  msgpack_object *o;
  const msgpack_object *e;
  uint64_t t0, dt;

  bystander_open(&b, port_of(state));
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  t0 = lt_now_ms();
  assert_int_equal(lt_send(&a, bytes, sizeof(bytes)), 0);
  assert_int_equal(lt_recv(&a, LT_LIVE_MS, &o), 1);
  dt = lt_now_ms() - t0;
  e = lt_error_notification(o);
  assert_non_null(e);
  assert_true(lt_str_is(lt_get(e, "code"), "bad_request"));
  assert_true(lt_str_has(lt_get(e, "message"), "--message-ms"));
  assert_true(lt_wait_closed(&a, LT_WAIT_MS));
  lt_close(&a);
  assert_true(dt >= 250);
  assert_true(dt < LT_LIVE_MS);
  assert_int_equal(lt_stat(&b, "closed_message_timeout"), 1);
  bystander_done(&b);
}

/* ---- Cases that keep the connection ------------------------------------- */

static void test_msgid_not_integer(void **state) {
  /* [0, "x", "m", []] */
  static const uint8_t bytes[] = {0x94, 0x00, 0xa1, 'x', 0xa1, 'm', 0x90};
  lt_conn_t a, b;

  bystander_open(&b, port_of(state));
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  expect_error_open(&a, bytes, sizeof(bytes), -1, "bad_request", NULL, "msgid");
  lt_close(&a);
  assert_int_equal(lt_stat(&b, "error_notifications"), 1);
  bystander_done(&b);
}

static void test_message_type_3(void **state) {
  /* [3, 1, "m", []] */
  static const uint8_t bytes[] = {0x94, 0x03, 0x01, 0xa1, 'm', 0x90};
  lt_conn_t a, b;

  bystander_open(&b, port_of(state));
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  expect_error_open(&a, bytes, sizeof(bytes), -1, "bad_request", NULL, "type");
  lt_close(&a);
  bystander_done(&b);
}

static void test_response_from_client(void **state) {
  /* [1, 1, nil, nil] */
  static const uint8_t bytes[] = {0x94, 0x01, 0x01, 0xc0, 0xc0};
  lt_conn_t a, b;

  bystander_open(&b, port_of(state));
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  expect_error_open(&a, bytes, sizeof(bytes), -1, "bad_request", NULL,
                    "responses");
  lt_close(&a);
  bystander_done(&b);
}

static void test_not_an_array(void **state) {
  static const uint8_t number[] = {0x2a};
  static const uint8_t empty[] = {0x90};
  static const uint8_t map[] = {0x81, 0xa1, 'a', 0x01};
  lt_conn_t a, b;

  bystander_open(&b, port_of(state));
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  expect_error_open(&a, number, sizeof(number), -1, "bad_request", NULL,
                    "array");
  expect_error_open(&a, empty, sizeof(empty), -1, "bad_request", NULL, NULL);
  expect_error_open(&a, map, sizeof(map), -1, "bad_request", NULL, NULL);
  lt_close(&a);
  bystander_done(&b);
}

static void test_params_not_array(void **state) {
  /* [0, 7, "ping", {}] */
  static const uint8_t bytes[] = {0x94, 0x00, 0x07, 0xa4, 'p',
                                  'i',  'n',  'g',  0x80};
  /* [0, 8, "ping", [1]] */
  static const uint8_t elem[] = {0x94, 0x00, 0x08, 0xa4, 'p',
                                 'i',  'n',  'g',  0x91, 0x01};
  lt_conn_t a, b;

  bystander_open(&b, port_of(state));
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  expect_error_open(&a, bytes, sizeof(bytes), 7, "bad_request", NULL, "params");
  expect_error_open(&a, elem, sizeof(elem), 8, "bad_request", NULL, "params");
  lt_close(&a);
  assert_int_equal(lt_stat(&b, "error_responses"), 2);
  bystander_done(&b);
}

static void test_unknown_method(void **state) {
  msgpack_sbuffer sb;
  lt_conn_t a, b;

  bystander_open(&b, port_of(state));
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  msgpack_sbuffer_init(&sb);
  lt_pack_request(&sb, 8, "orders.explode");
  expect_error_open(&a, sb.data, sb.size, 8, "unknown_method", NULL,
                    "'orders.explode'");
  msgpack_sbuffer_clear(&sb);
  /* The message tells how to discover the methods. */
  lt_pack_request(&sb, 9, "nope");
  expect_error_open(&a, sb.data, sb.size, 9, "unknown_method", NULL,
                    "hello, ping, maps.list, server.stats");
  msgpack_sbuffer_destroy(&sb);
  lt_close(&a);
  bystander_done(&b);
}

/* hello with one argument: key and either a string or an integer. */
static void pack_hello_arg(msgpack_sbuffer *sb, uint32_t msgid, const char *key,
                           const char *str, int64_t num) {
  msgpack_packer pk;

  msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint32(&pk, msgid);
  msgpack_pack_str_with_body(&pk, "hello", 5);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_str_with_body(&pk, key, strlen(key));
  if (str)
    msgpack_pack_str_with_body(&pk, str, strlen(str));
  else
    msgpack_pack_int64(&pk, num);
}

static void test_wrong_typed_argument(void **state) {
  msgpack_sbuffer sb;
  lt_conn_t a, b;

  bystander_open(&b, port_of(state));
  assert_int_equal(lt_connect(&a, port_of(state), 0), 0);
  msgpack_sbuffer_init(&sb);
  pack_hello_arg(&sb, 9, "protocol", "one", 0);
  expect_error_open(&a, sb.data, sb.size, 9, "bad_request", "protocol",
                    "unsigned integer");
  msgpack_sbuffer_clear(&sb);
  pack_hello_arg(&sb, 10, "client", NULL, 5);
  expect_error_open(&a, sb.data, sb.size, 10, "bad_request", "client",
                    "string");
  msgpack_sbuffer_clear(&sb);
  pack_hello_arg(&sb, 11, "protocol", NULL, -1);
  expect_error_open(&a, sb.data, sb.size, 11, "bad_request", "protocol", NULL);
  msgpack_sbuffer_clear(&sb);
  /* A protocol this server does not speak. */
  pack_hello_arg(&sb, 12, "protocol", NULL, 2);
  expect_error_open(&a, sb.data, sb.size, 12, "bad_request", "protocol",
                    "protocol 1");
  msgpack_sbuffer_destroy(&sb);
  lt_close(&a);
  bystander_done(&b);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      LT_TEST(test_invalid_byte),
      LT_TEST(test_invalid_byte_inside_request),
      LT_TEST(test_array32_huge_count),
      LT_TEST(test_map32_huge_count),
      LT_TEST(test_nested_array16),
      LT_TEST(test_depth_beyond_limit),
      LT_TEST_ARGS(test_message_over_limit, "--max-message", "4096"),
      LT_TEST(test_message_over_default_limit),
      LT_TEST_ARGS(test_truncated_then_silence, "--message-ms", "300"),
      LT_TEST(test_msgid_not_integer),
      LT_TEST(test_message_type_3),
      LT_TEST(test_response_from_client),
      LT_TEST(test_not_an_array),
      LT_TEST(test_params_not_array),
      LT_TEST(test_unknown_method),
      LT_TEST(test_wrong_typed_argument),
  };

  lt_init(argc, argv);
  return cmocka_run_group_tests_name("bad input", tests, NULL, NULL);
}
