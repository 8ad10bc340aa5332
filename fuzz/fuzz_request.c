/*
 * libFuzzer target: the server's read path for one connection, without the
 * socket. The input is a byte stream of pipelined messages; each goes
 * scan -> decode -> request_parse -> named-parameter accessors, and gets the
 * answer the server would send: a response, an error response, or an
 * "error" notification. Every answer is then scanned and decoded back and
 * must be a well-formed envelope whose strings are valid UTF-8, because a
 * client quoting hostile bytes in a method name must not be able to make the
 * server send something another client's strict decoder rejects.
 *
 * The same file also builds without libFuzzer: tests/unit links it with
 * fuzz/replay_main.c to replay the seeds and regressions in every test run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* Keys of the real methods and orders, so the accessors find something. */
static const char *const keys[] = {
    "session",   "token", "admin_token", "map",      "name",
    "seed",      "turns", "seat",        "strategy", "orders",
    "ready",     "op",    "stage",       "capacity", "quantity",
    "min_price", "count", "utilisation", "to",       "text",
    "from",      "kind",  "protocol",    "client"};

/* Call every accessor on every key, required or not by turns; each must
 * return -1, 0 or 1, and fill err exactly when it returns -1. */
static void poke_params(const msgpack_object *params, unsigned salt) {
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    const char *k = keys[i];
    bool req = ((i + salt) & 1) != 0;
    proto_error_t err;
    const msgpack_object *o;
    const char *s;
    uint32_t len;
    uint64_t u;
    int64_t n;
    double d;
    bool b;
    int r;

    (void)proto_param(params, k);
    err.message[0] = '\0';
    r = proto_param_str(params, k, req, &s, &len, &err);
    CHECK(r >= -1 && r <= 1 && (r != -1 || err.message[0] != '\0'));
    if (r == 1)
      CHECK(len == 0 || s != NULL);
    r = proto_param_u64(params, k, req, &u, &err);
    CHECK(r >= -1 && r <= 1);
    r = proto_param_i64(params, k, req, &n, &err);
    CHECK(r >= -1 && r <= 1);
    r = proto_param_f64(params, k, req, &d, &err);
    CHECK(r >= -1 && r <= 1);
    if (r == 1)
      CHECK(d == d); /* never NaN */
    r = proto_param_bool(params, k, req, &b, &err);
    CHECK(r >= -1 && r <= 1);
    r = proto_param_map(params, k, req, &o, &err);
    CHECK(r >= -1 && r <= 1);
    if (r == 1)
      CHECK(o->type == MSGPACK_OBJECT_MAP);
    r = proto_param_array(params, k, req, &o, &err);
    CHECK(r >= -1 && r <= 1);
    if (r == 1)
      CHECK(o->type == MSGPACK_OBJECT_ARRAY);
  }
}

/* The orders of orders.submit are maps read with the same accessors. */
static void poke_orders(const msgpack_object *params) {
  const msgpack_object *orders;
  proto_error_t err;

  if (proto_param_array(params, "orders", false, &orders, &err) != 1)
    return;
  for (uint32_t i = 0; i < orders->via.array.size && i < 64; i++)
    poke_params(&orders->via.array.ptr[i], i);
}

/* An error map decoded back: code and message (and field, if any) are
 * strings the accessors accept, so valid UTF-8 without NUL. */
static void check_error_map(const msgpack_object *m) {
  proto_error_t err;
  const char *s;
  uint32_t len;

  CHECK(m->type == MSGPACK_OBJECT_MAP);
  CHECK(m->via.map.size == 2 || m->via.map.size == 3);
  CHECK(proto_param_str(m, "code", true, &s, &len, &err) == 1);
  CHECK(proto_param_str(m, "message", true, &s, &len, &err) == 1);
  CHECK(len > 0 && len < PROTO_MESSAGE_MAX);
  if (m->via.map.size == 3)
    CHECK(proto_param_str(m, "field", true, &s, &len, &err) == 1);
}

/* How many messages of one input get every accessor called on them. */
#define POKE_MESSAGES 8

/* Two decoders that live as long as the process, as the server's one per
 * loop does: so every input also tests that reset leaves a decoder clean
 * for the next message. */
static proto_decoder_t in_dec, out_dec;
static bool decoders_ready;

/* Scan and decode an answer the server packed, and check its envelope. */
static void check_answer(const proto_buf_t *out, int type, bool is_error) {
  proto_limits_t lim = {LAN_MAX_MESSAGE_MAX, LAN_MAX_DEPTH_DEFAULT};
  proto_decoder_t *dec = &out_dec;
  proto_scan_t s;
  proto_error_t err;
  msgpack_object obj;
  const msgpack_object *a;
  size_t len = 0;

  proto_scan_init(&s);
  CHECK(proto_scan_feed(&s, &lim, (const uint8_t *)out->data, out->len, &len) ==
        PROTO_SCAN_DONE);
  CHECK(len == out->len);
  CHECK(proto_decode(dec, (const uint8_t *)out->data, len, &obj, &err) == 0);
  CHECK(obj.type == MSGPACK_OBJECT_ARRAY);
  a = obj.via.array.ptr;
  CHECK(a[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        a[0].via.u64 == (uint64_t)type);
  if (type == 1) {
    CHECK(obj.via.array.size == 4);
    CHECK(a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
          a[1].via.u64 <= UINT32_MAX);
    if (is_error) {
      check_error_map(&a[2]);
      CHECK(a[3].type == MSGPACK_OBJECT_NIL);
    } else {
      CHECK(a[2].type == MSGPACK_OBJECT_NIL);
    }
  } else {
    CHECK(obj.via.array.size == 3);
    CHECK(a[1].type == MSGPACK_OBJECT_STR && a[1].via.str.size == 5 &&
          memcmp(a[1].via.str.ptr, "error", 5) == 0);
    CHECK(a[2].type == MSGPACK_OBJECT_ARRAY && a[2].via.array.size == 1);
    check_error_map(&a[2].via.array.ptr[0]);
  }
  proto_decoder_reset(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  proto_limits_t lim;
  proto_decoder_t *dec = &in_dec;
  proto_buf_t out;
  msgpack_packer pk;
  size_t start = 0;
  unsigned poked = 0;

  if (!decoders_ready) {
    CHECK(proto_decoder_init(&in_dec) == 0);
    CHECK(proto_decoder_init(&out_dec) == 0);
    decoders_ready = true;
  }
  proto_limits_default(&lim);
  proto_buf_init(&out);
  proto_packer_init(&pk, &out);

  for (;;) {
    proto_scan_t s;
    proto_scan_result_t r;
    proto_request_t req;
    proto_error_t err;
    msgpack_object obj;
    bool known = false;
    size_t len = 0;

    proto_buf_reset(&out);
    proto_scan_init(&s);
    r = proto_scan_feed(&s, &lim, data + start, size - start, &len);
    if (r == PROTO_SCAN_MORE)
      break;
    if (r != PROTO_SCAN_DONE) {
      /* The stream cannot be trusted: report and close. */
      CHECK(proto_scan_error(&s, r, &lim, &err) == -1);
      CHECK(proto_pack_error_notification(&pk, &err) == 0);
      check_answer(&out, 2, true);
      break;
    }
    CHECK(len > 0 && len <= size - start);

    if (proto_decode(dec, data + start, len, &obj, &err) != 0) {
      CHECK(proto_pack_error_notification(&pk, &err) == 0);
      check_answer(&out, 2, true);
    } else if (proto_request_parse(&obj, &req, &known, &err) != 0) {
      CHECK(err.code == PROTO_BAD_REQUEST);
      if (known) {
        CHECK(proto_pack_error_response(&pk, req.msgid, &err) == 0);
        check_answer(&out, 1, true);
      } else {
        CHECK(proto_pack_error_notification(&pk, &err) == 0);
        check_answer(&out, 2, true);
      }
    } else {
      CHECK(req.method != NULL && req.method_len > 0);
      CHECK(req.params == NULL || (req.params->type == MSGPACK_OBJECT_MAP &&
                                   req.params->via.map.size > 0));
      /* The accessors do not depend on a message's place in the stream:
       * poking the first few of an input covers them, and keeps long
       * pipelines (hundreds of small messages) from spending the run in
       * the error messages of 192 accessor calls each. */
      if (poked++ < POKE_MESSAGES) {
        poke_params(req.params, (unsigned)start);
        poke_orders(req.params);
      }
      if (proto_method_is(&req, "ping")) {
        CHECK(proto_pack_response_head(&pk, req.msgid) == 0);
        CHECK(msgpack_pack_map(&pk, 0) == 0);
        check_answer(&out, 1, false);
      } else {
        /* What the dispatcher says about a method it does not know,
         * quoting the client's bytes. */
        proto_error_set(&err, PROTO_UNKNOWN_METHOD, NULL,
                        "unknown method '%.*s'", (int)req.method_len,
                        req.method);
        CHECK(proto_pack_error_response(&pk, req.msgid, &err) == 0);
        check_answer(&out, 1, true);
      }
    }
    proto_decoder_reset(dec);
    start += len;
  }

  proto_buf_free(&out);
  return 0;
}
