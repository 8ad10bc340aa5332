/*
 * Unit tests of the dispatcher (server/rpc.c) without a transport: a reply
 * is whole or not sent. A handler whose packing failed but which still
 * answered OK (its pack calls unchecked) must give the client an
 * `internal` error response, never a truncated result; the next request
 * on the same dispatcher is answered normally again; a deferred answer
 * whose packing failed is likewise answered `internal`.
 *
 * Packing is made to fail on purpose by capping the dispatcher's output
 * buffer (proto_buf_set_limit) from inside a test handler, which reaches
 * the buffer through its packer.
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

/* What the peer's emit callback received: the transport's side. */
typedef struct sink {
  char data[4096];
  size_t len;
} sink_t;

static int sink_emit(void *ctx, const char *data, size_t len) {
  sink_t *s = ctx;

  assert_true(s->len + len <= sizeof(s->data));
  memcpy(s->data + s->len, data, len);
  s->len += len;
  return 0;
}

/* A result larger than the cap the failing handlers set. */
static char big[512];

/* Packs its result into a buffer capped below the result's size and, like
 * a careless handler, ignores the failure and answers OK. */
static int h_truncating(rpc_call_t *call) {
  proto_buf_t *out = call->pk->data;

  proto_buf_set_limit(out, out->len + 16);
  (void)msgpack_pack_map(call->pk, 1);
  (void)proto_pack_kv_cstr(call->pk, "text", big);
  /* Lift the cap again: only this one answer is meant to fail. */
  proto_buf_set_limit(out, 0);
  return RPC_OK;
}

static int h_fine(rpc_call_t *call) {
  if (proto_pack_cstr(call->pk, "pong") != 0)
    return RPC_ERROR;
  return RPC_OK;
}

static rpc_deferred_t *parked;

static int h_defer(rpc_call_t *call) {
  parked = rpc_defer(call);
  assert_non_null(parked);
  return RPC_DEFERRED;
}

/* A deferred pack function that fails midway but returns 0. */
static int pack_truncating(msgpack_packer *pk, void *arg) {
  proto_buf_t *out = pk->data;

  (void)arg;
  proto_buf_set_limit(out, out->len + 16);
  (void)proto_pack_cstr(pk, big);
  proto_buf_set_limit(out, 0);
  return 0;
}

static const rpc_method_t methods[] = {
    {"truncating", h_truncating},
    {"fine", h_fine},
    {"defer", h_defer},
};

typedef struct fixture {
  rpc_t *rpc;
  rpc_peer_t peer;
  sink_t sink;
  conn_counters_t counters;
  proto_decoder_t dec;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof(*f));

  if (!f)
    return -1;
  memset(big, 'x', sizeof(big) - 1);
  if (rpc_new(&f->rpc, methods, sizeof(methods) / sizeof(methods[0]), NULL,
              &f->counters) != 0 ||
      proto_decoder_init(&f->dec) != 0)
    return -1;
  rpc_peer_init(&f->peer, sink_emit, &f->sink);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;

  rpc_peer_closed(f->rpc, &f->peer);
  rpc_free(f->rpc);
  proto_decoder_destroy(&f->dec);
  free(f);
  return 0;
}

/* Send the request [0, msgid, method, []] through the dispatcher. */
static void request(fixture_t *f, uint32_t msgid, const char *method) {
  proto_buf_t b;
  msgpack_packer pk;

  proto_buf_init(&b);
  proto_packer_init(&pk, &b);
  assert_int_equal(msgpack_pack_array(&pk, 4), 0);
  assert_int_equal(msgpack_pack_uint8(&pk, 0), 0);
  assert_int_equal(msgpack_pack_uint32(&pk, msgid), 0);
  assert_int_equal(proto_pack_cstr(&pk, method), 0);
  assert_int_equal(msgpack_pack_array(&pk, 0), 0);
  assert_int_equal(rpc_handle(f->rpc, &f->peer, (const uint8_t *)b.data, b.len),
                   RPC_OUT_REQUEST);
  proto_buf_free(&b);
}

/* The sink must hold exactly one whole response to msgid; returns its
 * error (nil if none) and result through the out pointers, and empties
 * the sink. */
static void take_response(fixture_t *f, uint32_t msgid, msgpack_object *err,
                          msgpack_object *result) {
  proto_limits_t lim;
  proto_scan_t scan;
  proto_error_t perr;
  msgpack_object obj;
  size_t len = 0;

  proto_limits_default(&lim);
  proto_scan_init(&scan);
  proto_decoder_reset(&f->dec);
  /* A truncated reply would scan as PROTO_SCAN_MORE here. */
  assert_int_equal(proto_scan_feed(&scan, &lim, (const uint8_t *)f->sink.data,
                                   f->sink.len, &len),
                   PROTO_SCAN_DONE);
  assert_int_equal(len, f->sink.len);
  assert_int_equal(
      proto_decode(&f->dec, (const uint8_t *)f->sink.data, len, &obj, &perr),
      0);
  assert_int_equal(obj.type, MSGPACK_OBJECT_ARRAY);
  assert_int_equal(obj.via.array.size, 4);
  assert_int_equal(obj.via.array.ptr[0].via.u64, 1);
  assert_int_equal(obj.via.array.ptr[1].via.u64, msgid);
  *err = obj.via.array.ptr[2];
  *result = obj.via.array.ptr[3];
  f->sink.len = 0;
}

static void assert_internal(const msgpack_object *err) {
  const msgpack_object *code = NULL;

  assert_int_equal(err->type, MSGPACK_OBJECT_MAP);
  for (uint32_t i = 0; i < err->via.map.size; i++) {
    const msgpack_object_kv *kv = &err->via.map.ptr[i];
    if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 4 &&
        memcmp(kv->key.via.str.ptr, "code", 4) == 0)
      code = &kv->val;
  }
  assert_non_null(code);
  assert_int_equal(code->type, MSGPACK_OBJECT_STR);
  assert_int_equal(code->via.str.size, strlen("internal"));
  assert_memory_equal(code->via.str.ptr, "internal", strlen("internal"));
}

static void test_failed_pack_answers_internal(void **state) {
  fixture_t *f = *state;
  msgpack_object err, result;

  request(f, 7, "truncating");
  take_response(f, 7, &err, &result);
  assert_internal(&err);
  assert_int_equal(result.type, MSGPACK_OBJECT_NIL);
  assert_int_equal(f->counters.error_responses, 1);
  assert_int_equal(f->counters.requests, 1);

  /* The error does not stick to the next request. */
  request(f, 8, "fine");
  take_response(f, 8, &err, &result);
  assert_int_equal(err.type, MSGPACK_OBJECT_NIL);
  assert_int_equal(result.type, MSGPACK_OBJECT_STR);
  assert_memory_equal(result.via.str.ptr, "pong", 4);
  assert_int_equal(f->counters.error_responses, 1);
}

static void test_failed_deferred_pack_answers_internal(void **state) {
  fixture_t *f = *state;
  msgpack_object err, result;

  request(f, 21, "defer");
  assert_non_null(parked);
  /* Nothing leaves before the deferred answer. */
  assert_int_equal(f->sink.len, 0);
  assert_int_equal(rpc_complete(f->rpc, parked, pack_truncating, NULL), 0);
  parked = NULL;
  take_response(f, 21, &err, &result);
  assert_internal(&err);
  assert_int_equal(result.type, MSGPACK_OBJECT_NIL);
  assert_int_equal(f->counters.error_responses, 1);
}

/* The buffer's error is sticky: after one failed write every later one
 * fails, until a reset. */
static void test_buffer_error_is_sticky(void **state) {
  proto_buf_t b;
  msgpack_packer pk;

  (void)state;
  proto_buf_init(&b);
  proto_packer_init(&pk, &b);
  proto_buf_set_limit(&b, 8);
  assert_int_equal(proto_pack_cstr(&pk, "0123456789"), -1);
  assert_true(proto_buf_failed(&b));
  proto_buf_set_limit(&b, 0);
  /* Would fit now, but the value before it is already broken. */
  assert_int_equal(msgpack_pack_nil(&pk), -1);
  assert_true(proto_buf_failed(&b));
  proto_buf_reset(&b);
  assert_false(proto_buf_failed(&b));
  assert_int_equal(msgpack_pack_nil(&pk), 0);
  assert_int_equal(b.len, 1);
  proto_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_failed_pack_answers_internal, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_failed_deferred_pack_answers_internal, setup, teardown),
      cmocka_unit_test(test_buffer_error_is_sticky),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
