/*
 * Unit tests of the MessagePack-RPC codec (protocol/codec.c, protocol/buf.c):
 * wire code names and error messages, the decoder and its zone reuse, the
 * request envelope (well-formed and every malformed shape, with whether the
 * msgid is known), the typed parameter accessors and their messages, the
 * output buffer, and the envelope encoders decoded back field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

/* ---- Helpers ------------------------------------------------------------ */

/* A message being built: tests pack with msgpack-c's own packer into a
 * proto_buf_t, then scan and decode it the way the server does. */
typedef struct fixture {
  proto_buf_t buf;
  msgpack_packer pk;
  proto_decoder_t dec;
  proto_limits_t lim;
  msgpack_object obj;
  proto_error_t err;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof(*f));
  if (!f)
    return -1;
  proto_buf_init(&f->buf);
  proto_packer_init(&f->pk, &f->buf);
  if (proto_decoder_init(&f->dec) != 0) {
    free(f);
    return -1;
  }
  proto_limits_default(&f->lim);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  proto_decoder_destroy(&f->dec);
  proto_buf_free(&f->buf);
  free(f);
  return 0;
}

/* Start a new message: forget the previous one and its decoded tree. */
static void fresh(fixture_t *f) {
  proto_decoder_reset(&f->dec);
  proto_buf_reset(&f->buf);
}

/* Scan and decode what was packed, which must be exactly one value. */
static void decode(fixture_t *f) {
  proto_scan_t s;
  size_t len = 0;

  proto_scan_init(&s);
  assert_int_equal(proto_scan_feed(&s, &f->lim, (const uint8_t *)f->buf.data,
                                   f->buf.len, &len),
                   PROTO_SCAN_DONE);
  assert_int_equal(len, f->buf.len);
  assert_int_equal(proto_decode(&f->dec, (const uint8_t *)f->buf.data, len,
                                &f->obj, &f->err),
                   0);
}

static void pack_cstr(fixture_t *f, const char *s) {
  assert_int_equal(proto_pack_cstr(&f->pk, s), 0);
}

/* Pack the first three elements of a request [0, msgid, method, ...]; the
 * caller packs the params. */
static void pack_request(fixture_t *f, uint64_t msgid, const char *method) {
  msgpack_pack_array(&f->pk, 4);
  msgpack_pack_uint8(&f->pk, 0);
  msgpack_pack_uint64(&f->pk, msgid);
  pack_cstr(f, method);
}

static bool str_eq(const msgpack_object *o, const char *s) {
  return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
         memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

/* ---- Codes, errors and limits ------------------------------------------- */

static void test_code_names(void **state) {
  static const char *const names[] = {
      "bad_request",  "unknown_method", "unauthorized",  "forbidden",
      "not_found",    "conflict",       "invalid_order", "too_large",
      "rate_limited", "unavailable",    "internal"};
  (void)state;

  assert_int_equal(PROTO_CODE_COUNT, 11);
  for (int i = 0; i < PROTO_CODE_COUNT; i++)
    assert_string_equal(proto_code_name((proto_code_t)i), names[i]);
  assert_string_equal(proto_code_name(PROTO_CODE_COUNT), "internal");
  assert_string_equal(proto_code_name((proto_code_t)-1), "internal");
}

static void test_error_set(void **state) {
  proto_error_t err;
  char longer[1000];
  (void)state;

  assert_int_equal(proto_error_set(&err, PROTO_NOT_FOUND, "session",
                                   "no session '%s' (%d)", "s1", 3),
                   -1);
  assert_int_equal(err.code, PROTO_NOT_FOUND);
  assert_string_equal(err.message, "no session 's1' (3)");
  assert_string_equal(err.field, "session");

  /* The message and the field may be passed back in to add context. */
  proto_error_set(&err, PROTO_INVALID_ORDER, err.field, "order %d: %s", 2,
                  err.message);
  assert_int_equal(err.code, PROTO_INVALID_ORDER);
  assert_string_equal(err.message, "order 2: no session 's1' (3)");
  assert_string_equal(err.field, "session");

  proto_error_set(&err, PROTO_INTERNAL, NULL, "x");
  assert_string_equal(err.field, "");

  /* Too long a message is cut, and still terminated. */
  memset(longer, 'a', sizeof(longer) - 1);
  longer[sizeof(longer) - 1] = '\0';
  proto_error_set(&err, PROTO_BAD_REQUEST, longer, "%s", longer);
  assert_int_equal(strlen(err.message), PROTO_MESSAGE_MAX - 1);
  assert_int_equal(strlen(err.field), PROTO_FIELD_MAX - 1);

  /* Valid UTF-8 passes; bad bytes and control characters become '?'. */
  proto_error_set(&err, PROTO_BAD_REQUEST, NULL, "%s",
                  "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
  assert_string_equal(err.message, "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
  proto_error_set(&err, PROTO_BAD_REQUEST, "f\x1b", "%s",
                  "a\xff"
                  "b\x1b[31m\n\xc0\xaf\xed\xa0\x80\xc2\x9b!");
  assert_string_equal(err.message, "a?b?[31m???????"
                                   "!");
  assert_string_equal(err.field, "f?");

  /* A multi-byte character cut by the size limit does not survive. */
  memset(longer, 'a', PROTO_MESSAGE_MAX - 2);
  memcpy(longer + PROTO_MESSAGE_MAX - 2, "\xe6\x97\xa5", 4);
  proto_error_set(&err, PROTO_BAD_REQUEST, NULL, "%s", longer);
  assert_int_equal(strlen(err.message), PROTO_MESSAGE_MAX - 1);
  assert_int_equal(err.message[PROTO_MESSAGE_MAX - 2], '?');
}

static void test_limits_default(void **state) {
  proto_limits_t lim;
  (void)state;

  proto_limits_default(&lim);
  assert_int_equal(lim.max_message, 1024 * 1024);
  assert_int_equal(lim.max_depth, 16);
}

/* ---- Decoder ------------------------------------------------------------ */

static void test_decode_errors(void **state) {
  fixture_t *f = *state;
  static const uint8_t two[] = {0x01, 0x02};
  static const uint8_t cut[] = {0x92, 0x01};
  static const uint8_t bad[] = {0x91, 0xc1};

  assert_int_equal(proto_decode(&f->dec, two, 0, &f->obj, &f->err), -1);
  assert_int_equal(f->err.code, PROTO_BAD_REQUEST);
  assert_int_equal(proto_decode(&f->dec, two, 2, &f->obj, &f->err), -1);
  assert_non_null(strstr(f->err.message, "1 bytes follow"));
  assert_int_equal(proto_decode(&f->dec, cut, 2, &f->obj, &f->err), -1);
  assert_non_null(strstr(f->err.message, "ends inside"));
  assert_int_equal(proto_decode(&f->dec, bad, 2, &f->obj, &f->err), -1);
  assert_int_equal(f->err.code, PROTO_BAD_REQUEST);
  proto_decoder_reset(&f->dec);
  assert_int_equal(proto_decode(&f->dec, two, 1, &f->obj, &f->err), 0);
  assert_int_equal(f->obj.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
  assert_int_equal(f->obj.via.u64, 1);
  proto_decoder_reset(&f->dec);
}

/* Many messages through one decoder, small and larger than the zone's
 * first chunk: ASan (the sanitizer build) reports any leak, and the
 * decoded strings keep pointing into the message bytes. */
static void test_decoder_reuse(void **state) {
  fixture_t *f = *state;

  for (int round = 0; round < 200; round++) {
    uint32_t n = round % 10 == 0 ? 5000 : 3;
    fresh(f);
    msgpack_pack_array(&f->pk, n);
    for (uint32_t i = 0; i < n; i++) {
      msgpack_pack_map(&f->pk, 1);
      pack_cstr(f, "k");
      msgpack_pack_uint32(&f->pk, i);
    }
    decode(f);
    assert_int_equal(f->obj.type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(f->obj.via.array.size, n);
    assert_int_equal(f->obj.via.array.ptr[n - 1].via.map.ptr[0].val.via.u64,
                     n - 1);
    assert_true(f->obj.via.array.ptr[0].via.map.ptr[0].key.via.str.ptr >=
                    f->buf.data &&
                f->obj.via.array.ptr[0].via.map.ptr[0].key.via.str.ptr <
                    f->buf.data + f->buf.len);
  }
  fresh(f);
}

/* The deepest value the scanner lets through, msgpack-c accepts too. */
static void test_decode_max_depth(void **state) {
  fixture_t *f = *state;
  proto_scan_t s;
  size_t len = 0;

  fresh(f);
  for (unsigned i = 0; i < LAN_MAX_DEPTH_CAP; i++)
    msgpack_pack_array(&f->pk, 1);
  msgpack_pack_nil(&f->pk);
  f->lim.max_depth = LAN_MAX_DEPTH_CAP;
  proto_scan_init(&s);
  assert_int_equal(proto_scan_feed(&s, &f->lim, (const uint8_t *)f->buf.data,
                                   f->buf.len, &len),
                   PROTO_SCAN_DONE);
  assert_int_equal(proto_decode(&f->dec, (const uint8_t *)f->buf.data, len,
                                &f->obj, &f->err),
                   0);
  proto_limits_default(&f->lim);
  fresh(f);
}

/* ---- Requests ----------------------------------------------------------- */

static void test_request_round_trip(void **state) {
  fixture_t *f = *state;
  proto_request_t req;
  bool known = false;
  const char *s = NULL;
  uint32_t slen = 0;
  uint64_t seed = 0;

  fresh(f);
  pack_request(f, 42, "session.create");
  msgpack_pack_array(&f->pk, 1);
  msgpack_pack_map(&f->pk, 2);
  proto_pack_kv_cstr(&f->pk, "map", "world-2024");
  proto_pack_kv_u64(&f->pk, "seed", UINT64_MAX);
  decode(f);
  assert_int_equal(proto_request_parse(&f->obj, &req, &known, &f->err), 0);
  assert_true(known);
  assert_int_equal(req.msgid, 42);
  assert_true(proto_method_is(&req, "session.create"));
  assert_false(proto_method_is(&req, "session.creat"));
  assert_false(proto_method_is(&req, "session.createx"));
  assert_false(proto_method_is(&req, "ping"));
  assert_int_equal(req.method_len, 14);
  assert_non_null(req.params);
  assert_int_equal(proto_param_str(req.params, "map", true, &s, &slen, &f->err),
                   1);
  assert_int_equal(slen, 10);
  assert_memory_equal(s, "world-2024", 10);
  assert_int_equal(proto_param_u64(req.params, "seed", false, &seed, &f->err),
                   1);
  assert_true(seed == UINT64_MAX);

  /* [] and [{}] both mean "no arguments", given as NULL. */
  fresh(f);
  pack_request(f, 0, "ping");
  msgpack_pack_array(&f->pk, 0);
  decode(f);
  assert_int_equal(proto_request_parse(&f->obj, &req, &known, &f->err), 0);
  assert_int_equal(req.msgid, 0);
  assert_null(req.params);
  fresh(f);
  pack_request(f, UINT32_MAX, "ping");
  msgpack_pack_array(&f->pk, 1);
  msgpack_pack_map(&f->pk, 0);
  decode(f);
  assert_int_equal(proto_request_parse(&f->obj, &req, &known, &f->err), 0);
  assert_true(req.msgid == UINT32_MAX);
  assert_null(req.params);
  assert_true(proto_method_is(&req, "ping"));
  fresh(f);
}

/* The shapes of malformed envelopes, packed by a small switch. */
enum {
  BAD_MAP,
  BAD_STRING,
  BAD_EMPTY,
  BAD_ONE,
  BAD_THREE,
  BAD_FIVE,
  BAD_RESPONSE,
  BAD_NOTIFICATION,
  BAD_TYPE3,
  BAD_TYPE_NEG,
  BAD_TYPE_STR,
  BAD_ID_NEG,
  BAD_ID_BIG,
  BAD_ID_STR,
  BAD_ID_FLOAT,
  BAD_ID_NIL,
  BAD_METHOD_INT,
  BAD_METHOD_EMPTY,
  BAD_METHOD_BIN,
  BAD_PARAMS_MAP,
  BAD_PARAMS_NIL,
  BAD_PARAMS_TWO,
  BAD_PARAMS_INT,
  BAD_PARAMS_NIL_ELEM,
  BAD_COUNT_
};

static const struct {
  int shape;
  bool known;
  const char *says;
} bad_cases[] = {
    {BAD_MAP, false,
     "a request must be an array [0, msgid, method, "
     "[{params}]], got a map"},
    {BAD_STRING, false, "got a string"},
    {BAD_EMPTY, false, "got an empty array"},
    {BAD_ONE, false, "must be an array of 4 elements"},
    {BAD_THREE, true,
     "must be an array of 4 elements [0, msgid, method, "
     "[{params}]], got 3 elements"},
    {BAD_FIVE, true, "got 5 elements"},
    {BAD_RESPONSE, false, "a client may not send responses"},
    {BAD_NOTIFICATION, false,
     "notifications from clients (type 2) are not "
     "accepted"},
    {BAD_TYPE3, false, "unknown message type 3"},
    {BAD_TYPE_NEG, false, "unknown message type -1"},
    {BAD_TYPE_STR, false,
     "unknown message type: a request starts with the "
     "integer 0"},
    {BAD_ID_NEG, false,
     "msgid must be an unsigned integer (0 to 2^32-1), "
     "got a negative integer"},
    {BAD_ID_BIG, false, "msgid 4294967296 is out of range (0 to 2^32-1)"},
    {BAD_ID_STR, false, "got a string"},
    {BAD_ID_FLOAT, false, "got a float"},
    {BAD_ID_NIL, false, "got nil"},
    {BAD_METHOD_INT, true,
     "method must be a non-empty string, got an "
     "integer"},
    {BAD_METHOD_EMPTY, true,
     "method must be a non-empty string, got an "
     "empty string"},
    {BAD_METHOD_BIN, true, "got binary data"},
    {BAD_PARAMS_MAP, true,
     "params must be an array holding one map of named "
     "arguments, [{...}], or [] for none, got a map"},
    {BAD_PARAMS_NIL, true, "got nil"},
    {BAD_PARAMS_TWO, true, "got an array of 2 elements"},
    {BAD_PARAMS_INT, true, "its element is an integer"},
    {BAD_PARAMS_NIL_ELEM, true, "its element is nil"},
};

static void pack_bad(fixture_t *f, int shape) {
  msgpack_packer *pk = &f->pk;
  switch (shape) {
  case BAD_MAP:
    msgpack_pack_map(pk, 0);
    return;
  case BAD_STRING:
    pack_cstr(f, "ping");
    return;
  case BAD_EMPTY:
    msgpack_pack_array(pk, 0);
    return;
  case BAD_ONE:
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint8(pk, 0);
    return;
  case BAD_THREE:
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_uint8(pk, 7);
    pack_cstr(f, "ping");
    return;
  case BAD_FIVE:
    pack_request(f, 7, "ping");
    msgpack_pack_array(pk, 0);
    msgpack_pack_nil(pk);
    /* Rewrite the array header: fixarray 4 becomes fixarray 5. */
    f->buf.data[0] = (char)0x95;
    return;
  case BAD_RESPONSE:
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 1);
    msgpack_pack_uint8(pk, 7);
    msgpack_pack_nil(pk);
    msgpack_pack_nil(pk);
    return;
  case BAD_NOTIFICATION:
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint8(pk, 2);
    pack_cstr(f, "ping");
    msgpack_pack_array(pk, 0);
    return;
  case BAD_TYPE3:
  case BAD_TYPE_NEG:
  case BAD_TYPE_STR:
    msgpack_pack_array(pk, 4);
    if (shape == BAD_TYPE3)
      msgpack_pack_uint8(pk, 3);
    else if (shape == BAD_TYPE_NEG)
      msgpack_pack_int8(pk, -1);
    else
      pack_cstr(f, "0");
    msgpack_pack_uint8(pk, 7);
    pack_cstr(f, "ping");
    msgpack_pack_array(pk, 0);
    return;
  case BAD_ID_NEG:
  case BAD_ID_BIG:
  case BAD_ID_STR:
  case BAD_ID_FLOAT:
  case BAD_ID_NIL:
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 0);
    if (shape == BAD_ID_NEG)
      msgpack_pack_int8(pk, -1);
    else if (shape == BAD_ID_BIG)
      msgpack_pack_uint64(pk, (uint64_t)UINT32_MAX + 1);
    else if (shape == BAD_ID_STR)
      pack_cstr(f, "7");
    else if (shape == BAD_ID_FLOAT)
      msgpack_pack_double(pk, 7.0);
    else
      msgpack_pack_nil(pk);
    pack_cstr(f, "ping");
    msgpack_pack_array(pk, 0);
    return;
  case BAD_METHOD_INT:
  case BAD_METHOD_EMPTY:
  case BAD_METHOD_BIN:
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint8(pk, 0);
    msgpack_pack_uint8(pk, 7);
    if (shape == BAD_METHOD_INT) {
      msgpack_pack_uint8(pk, 1);
    } else if (shape == BAD_METHOD_EMPTY) {
      pack_cstr(f, "");
    } else {
      msgpack_pack_bin(pk, 4);
      msgpack_pack_bin_body(pk, "ping", 4);
    }
    msgpack_pack_array(pk, 0);
    return;
  default:
    pack_request(f, 7, "ping");
    if (shape == BAD_PARAMS_MAP) {
      msgpack_pack_map(pk, 0);
    } else if (shape == BAD_PARAMS_NIL) {
      msgpack_pack_nil(pk);
    } else if (shape == BAD_PARAMS_TWO) {
      msgpack_pack_array(pk, 2);
      msgpack_pack_map(pk, 0);
      msgpack_pack_map(pk, 0);
    } else if (shape == BAD_PARAMS_INT) {
      msgpack_pack_array(pk, 1);
      msgpack_pack_uint8(pk, 1);
    } else {
      msgpack_pack_array(pk, 1);
      msgpack_pack_nil(pk);
    }
    return;
  }
}

static void test_request_malformed(void **state) {
  fixture_t *f = *state;

  assert_int_equal(sizeof(bad_cases) / sizeof(bad_cases[0]), BAD_COUNT_);
  for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
    proto_request_t req;
    bool known = !bad_cases[i].known;

    fresh(f);
    pack_bad(f, bad_cases[i].shape);
    decode(f);
    print_message("case %zu: %s\n", i, bad_cases[i].says);
    assert_int_equal(proto_request_parse(&f->obj, &req, &known, &f->err), -1);
    print_message("  -> %s\n", f->err.message);
    assert_int_equal(f->err.code, PROTO_BAD_REQUEST);
    assert_int_equal(known, bad_cases[i].known);
    if (known)
      assert_int_equal(req.msgid, 7);
    assert_non_null(strstr(f->err.message, bad_cases[i].says));
    assert_string_equal(f->err.field, "");
  }
  fresh(f);
}

/* ---- Named parameters --------------------------------------------------- */

/* A params map with one value of every type, under a telling key. */
static const msgpack_object *pack_params(fixture_t *f) {
  msgpack_packer *pk = &f->pk;

  fresh(f);
  msgpack_pack_map(pk, 19);
  proto_pack_kv_cstr(pk, "s", "str");
  proto_pack_kv_u64(pk, "u", 5);
  proto_pack_kv_i64(pk, "n", -5);
  proto_pack_kv_u64(pk, "big", (uint64_t)INT64_MAX + 1);
  proto_pack_kv_i64(pk, "min", INT64_MIN);
  proto_pack_kv_f64(pk, "f", 1.5);
  pack_cstr(f, "f32");
  msgpack_pack_float(pk, 2.5f);
  proto_pack_kv_bool(pk, "b", true);
  pack_cstr(f, "a");
  msgpack_pack_array(pk, 1);
  msgpack_pack_uint8(pk, 1);
  pack_cstr(f, "m");
  msgpack_pack_map(pk, 0);
  proto_pack_kv_nil(pk, "nil");
  pack_cstr(f, "bin");
  msgpack_pack_bin(pk, 1);
  msgpack_pack_bin_body(pk, "x", 1);
  proto_pack_kv_cstr(pk, "bad", "\xff");
  pack_cstr(f, "nul");
  proto_pack_str(pk, "a\0b", 3);
  proto_pack_kv_f64(pk, "nan", NAN);
  proto_pack_kv_f64(pk, "inf", -INFINITY);
  /* A non-string key is ignored, and the first of two equal keys wins. */
  msgpack_pack_uint8(pk, 1);
  pack_cstr(f, "one");
  proto_pack_kv_cstr(pk, "dup", "first");
  proto_pack_kv_cstr(pk, "dup", "second");
  decode(f);
  assert_int_equal(f->obj.type, MSGPACK_OBJECT_MAP);
  return &f->obj;
}

/* Check err after a failing accessor: bad_request, the field, the text. */
static void expect_err(const proto_error_t *err, const char *field,
                       const char *message) {
  assert_int_equal(err->code, PROTO_BAD_REQUEST);
  assert_string_equal(err->field, field);
  assert_string_equal(err->message, message);
}

static void test_param_lookup(void **state) {
  fixture_t *f = *state;
  const msgpack_object *p = pack_params(f);
  const msgpack_object *o;

  o = proto_param(p, "s");
  assert_non_null(o);
  assert_true(str_eq(o, "str"));
  /* proto_param gives nil as it is, so a caller can tell it from absent. */
  o = proto_param(p, "nil");
  assert_non_null(o);
  assert_int_equal(o->type, MSGPACK_OBJECT_NIL);
  assert_null(proto_param(p, "missing"));
  assert_null(proto_param(p, "S"));
  assert_null(proto_param(p, "s "));
  assert_null(proto_param(p, ""));
  assert_null(proto_param(p, "bi"));
  assert_null(proto_param(NULL, "s"));
  assert_null(proto_param(&p->via.map.ptr[0].val, "s")); /* not a map */
  o = proto_param(p, "dup");
  assert_true(str_eq(o, "first"));
  fresh(f);
}

static void test_param_u64(void **state) {
  fixture_t *f = *state;
  const msgpack_object *p = pack_params(f);
  proto_error_t *e = &f->err;
  uint64_t v = 99;

  assert_int_equal(proto_param_u64(p, "u", true, &v, e), 1);
  assert_int_equal(v, 5);
  assert_int_equal(proto_param_u64(p, "big", true, &v, e), 1);
  assert_true(v == (uint64_t)INT64_MAX + 1);
  v = 99;
  assert_int_equal(proto_param_u64(p, "missing", false, &v, e), 0);
  assert_int_equal(proto_param_u64(p, "nil", false, &v, e), 0);
  assert_int_equal(proto_param_u64(NULL, "u", false, &v, e), 0);
  assert_int_equal(v, 99);
  assert_int_equal(proto_param_u64(p, "missing", true, &v, e), -1);
  expect_err(e, "missing",
             "field 'missing' is required and must be an unsigned integer "
             "(0 to 2^64-1)");
  assert_int_equal(proto_param_u64(p, "nil", true, &v, e), -1);
  expect_err(e, "nil",
             "field 'nil' is required and must be an unsigned integer "
             "(0 to 2^64-1)");
  assert_int_equal(proto_param_u64(NULL, "seed", true, &v, e), -1);
  assert_string_equal(e->field, "seed");
  assert_int_equal(proto_param_u64(p, "s", false, &v, e), -1);
  expect_err(e, "s",
             "field 's' must be an unsigned integer (0 to 2^64-1), got a "
             "string");
  assert_int_equal(proto_param_u64(p, "n", false, &v, e), -1);
  expect_err(e, "n",
             "field 'n' must be an unsigned integer (0 to 2^64-1), got a "
             "negative integer");
  assert_int_equal(proto_param_u64(p, "f", false, &v, e), -1);
  expect_err(e, "f",
             "field 'f' must be an unsigned integer (0 to 2^64-1), got a "
             "float");
  assert_int_equal(proto_param_u64(p, "b", false, &v, e), -1);
  expect_err(e, "b",
             "field 'b' must be an unsigned integer (0 to 2^64-1), got a "
             "boolean");
  assert_int_equal(v, 99);
  fresh(f);
}

static void test_param_i64(void **state) {
  fixture_t *f = *state;
  const msgpack_object *p = pack_params(f);
  proto_error_t *e = &f->err;
  int64_t v = 99;

  assert_int_equal(proto_param_i64(p, "n", true, &v, e), 1);
  assert_int_equal(v, -5);
  assert_int_equal(proto_param_i64(p, "u", true, &v, e), 1);
  assert_int_equal(v, 5);
  assert_int_equal(proto_param_i64(p, "min", true, &v, e), 1);
  assert_true(v == INT64_MIN);
  assert_int_equal(proto_param_i64(p, "missing", false, &v, e), 0);
  assert_int_equal(proto_param_i64(p, "missing", true, &v, e), -1);
  expect_err(e, "missing",
             "field 'missing' is required and must be an integer (-2^63 to "
             "2^63-1)");
  assert_int_equal(proto_param_i64(p, "big", true, &v, e), -1);
  expect_err(e, "big",
             "field 'big' must be an integer (-2^63 to 2^63-1), got "
             "9223372036854775808");
  assert_int_equal(proto_param_i64(p, "s", true, &v, e), -1);
  expect_err(e, "s",
             "field 's' must be an integer (-2^63 to 2^63-1), got a string");
  assert_int_equal(proto_param_i64(p, "f32", true, &v, e), -1);
  expect_err(e, "f32",
             "field 'f32' must be an integer (-2^63 to 2^63-1), got a float");
  fresh(f);
}

static void test_param_f64(void **state) {
  fixture_t *f = *state;
  const msgpack_object *p = pack_params(f);
  proto_error_t *e = &f->err;
  double v = 99;

  assert_int_equal(proto_param_f64(p, "f", true, &v, e), 1);
  assert_true(v == 1.5);
  assert_int_equal(proto_param_f64(p, "f32", true, &v, e), 1);
  assert_true(v == 2.5);
  assert_int_equal(proto_param_f64(p, "u", true, &v, e), 1);
  assert_true(v == 5.0);
  assert_int_equal(proto_param_f64(p, "n", true, &v, e), 1);
  assert_true(v == -5.0);
  assert_int_equal(proto_param_f64(p, "missing", false, &v, e), 0);
  assert_int_equal(proto_param_f64(p, "missing", true, &v, e), -1);
  expect_err(e, "missing",
             "field 'missing' is required and must be a finite number");
  assert_int_equal(proto_param_f64(p, "s", true, &v, e), -1);
  expect_err(e, "s", "field 's' must be a finite number, got a string");
  assert_int_equal(proto_param_f64(p, "nan", true, &v, e), -1);
  expect_err(e, "nan", "field 'nan' must be a finite number, got NaN");
  assert_int_equal(proto_param_f64(p, "inf", true, &v, e), -1);
  expect_err(e, "inf", "field 'inf' must be a finite number, got -infinity");
  assert_int_equal(proto_param_f64(p, "a", true, &v, e), -1);
  expect_err(e, "a", "field 'a' must be a finite number, got an array");
  assert_true(v == -5.0);
  fresh(f);
}

static void test_param_bool(void **state) {
  fixture_t *f = *state;
  const msgpack_object *p = pack_params(f);
  proto_error_t *e = &f->err;
  bool v = false;

  assert_int_equal(proto_param_bool(p, "b", true, &v, e), 1);
  assert_true(v);
  assert_int_equal(proto_param_bool(p, "nil", false, &v, e), 0);
  assert_int_equal(proto_param_bool(p, "missing", true, &v, e), -1);
  expect_err(e, "missing",
             "field 'missing' is required and must be a boolean (true or "
             "false)");
  assert_int_equal(proto_param_bool(p, "u", true, &v, e), -1);
  expect_err(e, "u",
             "field 'u' must be a boolean (true or false), got an integer");
  assert_int_equal(proto_param_bool(p, "m", true, &v, e), -1);
  expect_err(e, "m", "field 'm' must be a boolean (true or false), got a map");
  fresh(f);
}

static void test_param_str(void **state) {
  fixture_t *f = *state;
  const msgpack_object *p = pack_params(f);
  proto_error_t *e = &f->err;
  const char *s = NULL;
  uint32_t len = 0;

  assert_int_equal(proto_param_str(p, "s", true, &s, &len, e), 1);
  assert_int_equal(len, 3);
  assert_memory_equal(s, "str", 3);
  assert_int_equal(proto_param_str(p, "missing", false, &s, &len, e), 0);
  assert_int_equal(proto_param_str(p, "missing", true, &s, &len, e), -1);
  expect_err(e, "missing", "field 'missing' is required and must be a string");
  assert_int_equal(proto_param_str(p, "u", true, &s, &len, e), -1);
  expect_err(e, "u", "field 'u' must be a string, got an integer");
  assert_int_equal(proto_param_str(p, "bin", true, &s, &len, e), -1);
  expect_err(e, "bin", "field 'bin' must be a string, got binary data");
  assert_int_equal(proto_param_str(p, "bad", true, &s, &len, e), -1);
  expect_err(e, "bad",
             "field 'bad' must be valid UTF-8 text without NUL characters");
  assert_int_equal(proto_param_str(p, "nul", true, &s, &len, e), -1);
  expect_err(e, "nul",
             "field 'nul' must be valid UTF-8 text without NUL characters");
  assert_int_equal(proto_param_str(p, "dup", true, &s, &len, e), 1);
  assert_int_equal(len, 5);
  assert_memory_equal(s, "first", 5);
  fresh(f);
}

static void test_param_array_map(void **state) {
  fixture_t *f = *state;
  const msgpack_object *p = pack_params(f);
  proto_error_t *e = &f->err;
  const msgpack_object *o = NULL;

  assert_int_equal(proto_param_array(p, "a", true, &o, e), 1);
  assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
  assert_int_equal(o->via.array.size, 1);
  assert_int_equal(proto_param_array(p, "missing", false, &o, e), 0);
  assert_int_equal(proto_param_array(p, "missing", true, &o, e), -1);
  expect_err(e, "missing", "field 'missing' is required and must be an array");
  assert_int_equal(proto_param_array(p, "m", true, &o, e), -1);
  expect_err(e, "m", "field 'm' must be an array, got a map");

  assert_int_equal(proto_param_map(p, "m", true, &o, e), 1);
  assert_int_equal(o->type, MSGPACK_OBJECT_MAP);
  assert_int_equal(proto_param_map(p, "nil", false, &o, e), 0);
  assert_int_equal(proto_param_map(p, "nil", true, &o, e), -1);
  expect_err(e, "nil", "field 'nil' is required and must be a map");
  assert_int_equal(proto_param_map(p, "a", true, &o, e), -1);
  expect_err(e, "a", "field 'a' must be a map, got an array");
  assert_int_equal(proto_param_map(p, "s", true, &o, e), -1);
  expect_err(e, "s", "field 's' must be a map, got a string");
  fresh(f);
}

static void test_type_names(void **state) {
  msgpack_object o;
  static const struct {
    msgpack_object_type type;
    const char *name;
  } names[] = {
      {MSGPACK_OBJECT_NIL, "nil"},
      {MSGPACK_OBJECT_BOOLEAN, "a boolean"},
      {MSGPACK_OBJECT_POSITIVE_INTEGER, "an integer"},
      {MSGPACK_OBJECT_NEGATIVE_INTEGER, "a negative integer"},
      {MSGPACK_OBJECT_FLOAT32, "a float"},
      {MSGPACK_OBJECT_FLOAT64, "a float"},
      {MSGPACK_OBJECT_STR, "a string"},
      {MSGPACK_OBJECT_ARRAY, "an array"},
      {MSGPACK_OBJECT_MAP, "a map"},
      {MSGPACK_OBJECT_BIN, "binary data"},
      {MSGPACK_OBJECT_EXT, "an extension value"},
  };
  (void)state;

  memset(&o, 0, sizeof(o));
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    o.type = names[i].type;
    assert_string_equal(proto_type_name(&o), names[i].name);
  }
  assert_string_equal(proto_type_name(NULL), "nothing");
}

/* ---- Output buffer ------------------------------------------------------ */

static void test_buf(void **state) {
  proto_buf_t b;
  size_t caps = 0, last_cap = 0;
  char *data;
  (void)state;

  proto_buf_init(&b);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  assert_int_equal(proto_buf_write(&b, "", 0), 0);
  for (int i = 0; i < 100000; i++) {
    char c = (char)i;
    assert_int_equal(proto_buf_write(&b, &c, 1), 0);
    if (b.cap != last_cap) {
      /* Geometric growth: a handful of reallocations, not 100000. */
      assert_true(last_cap == 0 || b.cap >= 2 * last_cap);
      last_cap = b.cap;
      caps++;
    }
  }
  assert_int_equal(b.len, 100000);
  assert_true(caps < 20);
  for (int i = 0; i < 100000; i++)
    assert_int_equal(b.data[i], (char)i);

  /* Reset keeps the memory. */
  data = b.data;
  proto_buf_reset(&b);
  assert_int_equal(b.len, 0);
  assert_ptr_equal(b.data, data);
  assert_int_equal(b.cap, last_cap);
  assert_int_equal(proto_buf_reserve(&b, 10), 0);
  assert_ptr_equal(b.data, data);

  /* An impossible size fails cleanly and leaves the buffer usable. */
  assert_int_equal(proto_buf_write(&b, "ab", 2), 0);
  assert_int_equal(proto_buf_reserve(&b, SIZE_MAX), -1);
  assert_int_equal(proto_buf_reserve(&b, SIZE_MAX - 1), -1);
  assert_int_equal(b.len, 2);
  assert_memory_equal(b.data, "ab", 2);

  proto_buf_free(&b);
  assert_null(b.data);
  assert_int_equal(b.cap, 0);
  proto_buf_free(&b); /* idempotent */
}

/* ---- Encoders, decoded back --------------------------------------------- */

static void check_error_map(const msgpack_object *m, const char *code,
                            const char *message, const char *field) {
  assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
  assert_int_equal(m->via.map.size, field ? 3 : 2);
  assert_true(str_eq(&m->via.map.ptr[0].key, "code"));
  assert_true(str_eq(&m->via.map.ptr[0].val, code));
  assert_true(str_eq(&m->via.map.ptr[1].key, "message"));
  assert_true(str_eq(&m->via.map.ptr[1].val, message));
  if (field) {
    assert_true(str_eq(&m->via.map.ptr[2].key, "field"));
    assert_true(str_eq(&m->via.map.ptr[2].val, field));
  }
}

static void test_pack_response(void **state) {
  fixture_t *f = *state;
  const msgpack_object *a, *r;
  static const uint32_t ids[] = {0, 1, 127, 128, 65535, 65536, UINT32_MAX};

  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
    fresh(f);
    assert_int_equal(proto_pack_response_head(&f->pk, ids[i]), 0);
    assert_int_equal(msgpack_pack_map(&f->pk, 7), 0);
    assert_int_equal(proto_pack_kv_cstr(&f->pk, "server", "lanthanide"), 0);
    assert_int_equal(proto_pack_kv_u64(&f->pk, "u", UINT64_MAX), 0);
    assert_int_equal(proto_pack_kv_i64(&f->pk, "i", INT64_MIN), 0);
    assert_int_equal(proto_pack_kv_f64(&f->pk, "x", 0.25), 0);
    assert_int_equal(proto_pack_kv_bool(&f->pk, "t", true), 0);
    assert_int_equal(proto_pack_kv_nil(&f->pk, "z"), 0);
    assert_int_equal(proto_pack_cstr(&f->pk, "bytes"), 0);
    assert_int_equal(proto_pack_str(&f->pk, "a\0b", 3), 0);
    decode(f);

    assert_int_equal(f->obj.type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(f->obj.via.array.size, 4);
    a = f->obj.via.array.ptr;
    assert_int_equal(a[0].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(a[0].via.u64, 1);
    assert_int_equal(a[1].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_true(a[1].via.u64 == ids[i]);
    assert_int_equal(a[2].type, MSGPACK_OBJECT_NIL);
    r = &a[3];
    assert_int_equal(r->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(r->via.map.size, 7);
    assert_true(str_eq(proto_param(r, "server"), "lanthanide"));
    assert_true(proto_param(r, "u")->via.u64 == UINT64_MAX);
    assert_int_equal(proto_param(r, "i")->type,
                     MSGPACK_OBJECT_NEGATIVE_INTEGER);
    assert_true(proto_param(r, "i")->via.i64 == INT64_MIN);
    assert_int_equal(proto_param(r, "x")->type, MSGPACK_OBJECT_FLOAT64);
    assert_true(proto_param(r, "x")->via.f64 == 0.25);
    assert_int_equal(proto_param(r, "t")->type, MSGPACK_OBJECT_BOOLEAN);
    assert_true(proto_param(r, "t")->via.boolean);
    assert_int_equal(proto_param(r, "z")->type, MSGPACK_OBJECT_NIL);
    assert_int_equal(proto_param(r, "bytes")->via.str.size, 3);
    assert_memory_equal(proto_param(r, "bytes")->via.str.ptr, "a\0b", 3);
  }
  fresh(f);
}

static void test_pack_error_response(void **state) {
  fixture_t *f = *state;
  proto_error_t err;
  const msgpack_object *a;

  for (int with_field = 0; with_field < 2; with_field++) {
    fresh(f);
    proto_error_set(&err, PROTO_INVALID_ORDER, with_field ? "capacity" : NULL,
                    "capacity must be positive, got %d", -3);
    assert_int_equal(proto_pack_error_response(&f->pk, 99, &err), 0);
    decode(f);
    assert_int_equal(f->obj.type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(f->obj.via.array.size, 4);
    a = f->obj.via.array.ptr;
    assert_int_equal(a[0].via.u64, 1);
    assert_int_equal(a[1].via.u64, 99);
    check_error_map(&a[2], "invalid_order", "capacity must be positive, got -3",
                    with_field ? "capacity" : NULL);
    assert_int_equal(a[3].type, MSGPACK_OBJECT_NIL);
  }
  fresh(f);
}

static void test_pack_notifications(void **state) {
  fixture_t *f = *state;
  proto_error_t err;
  const msgpack_object *a;

  fresh(f);
  assert_int_equal(proto_pack_notification_head(&f->pk, "turn.resolved"), 0);
  msgpack_pack_map(&f->pk, 2);
  proto_pack_kv_cstr(&f->pk, "session", "s1");
  proto_pack_kv_u64(&f->pk, "turn", 3);
  decode(f);
  assert_int_equal(f->obj.type, MSGPACK_OBJECT_ARRAY);
  assert_int_equal(f->obj.via.array.size, 3);
  a = f->obj.via.array.ptr;
  assert_int_equal(a[0].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
  assert_int_equal(a[0].via.u64, 2);
  assert_true(str_eq(&a[1], "turn.resolved"));
  assert_int_equal(a[2].type, MSGPACK_OBJECT_ARRAY);
  assert_int_equal(a[2].via.array.size, 1);
  assert_true(str_eq(proto_param(&a[2].via.array.ptr[0], "session"), "s1"));
  assert_int_equal(proto_param(&a[2].via.array.ptr[0], "turn")->via.u64, 3);

  for (int with_field = 0; with_field < 2; with_field++) {
    fresh(f);
    proto_error_set(&err, PROTO_TOO_LARGE, with_field ? "orders" : NULL,
                    "a message may not exceed %u bytes", 64u);
    assert_int_equal(proto_pack_error_notification(&f->pk, &err), 0);
    decode(f);
    assert_int_equal(f->obj.via.array.size, 3);
    a = f->obj.via.array.ptr;
    assert_int_equal(a[0].via.u64, 2);
    assert_true(str_eq(&a[1], "error"));
    assert_int_equal(a[2].type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(a[2].via.array.size, 1);
    check_error_map(&a[2].via.array.ptr[0], "too_large",
                    "a message may not exceed 64 bytes",
                    with_field ? "orders" : NULL);
  }
  fresh(f);
}

/* A writer that always fails, to see failures come back as -1. */
static int failing_write(void *data, const char *buf, size_t len) {
  (void)data;
  (void)buf;
  (void)len;
  return -1;
}

static void test_pack_failure(void **state) {
  msgpack_packer pk;
  proto_error_t err;
  (void)state;

  msgpack_packer_init(&pk, NULL, failing_write);
  proto_error_set(&err, PROTO_INTERNAL, NULL, "x");
  assert_int_equal(proto_pack_response_head(&pk, 1), -1);
  assert_int_equal(proto_pack_error_response(&pk, 1, &err), -1);
  assert_int_equal(proto_pack_notification_head(&pk, "x"), -1);
  assert_int_equal(proto_pack_error_notification(&pk, &err), -1);
  assert_int_equal(proto_pack_kv_cstr(&pk, "a", "b"), -1);
  assert_int_equal(proto_pack_kv_u64(&pk, "a", 1), -1);
  assert_int_equal(proto_pack_kv_i64(&pk, "a", 1), -1);
  assert_int_equal(proto_pack_kv_f64(&pk, "a", 1), -1);
  assert_int_equal(proto_pack_kv_bool(&pk, "a", 1), -1);
  assert_int_equal(proto_pack_kv_nil(&pk, "a"), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_code_names),
      cmocka_unit_test(test_error_set),
      cmocka_unit_test(test_limits_default),
      cmocka_unit_test_setup_teardown(test_decode_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_decoder_reuse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_decode_max_depth, setup, teardown),
      cmocka_unit_test_setup_teardown(test_request_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_request_malformed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_param_lookup, setup, teardown),
      cmocka_unit_test_setup_teardown(test_param_u64, setup, teardown),
      cmocka_unit_test_setup_teardown(test_param_i64, setup, teardown),
      cmocka_unit_test_setup_teardown(test_param_f64, setup, teardown),
      cmocka_unit_test_setup_teardown(test_param_bool, setup, teardown),
      cmocka_unit_test_setup_teardown(test_param_str, setup, teardown),
      cmocka_unit_test_setup_teardown(test_param_array_map, setup, teardown),
      cmocka_unit_test(test_type_names),
      cmocka_unit_test(test_buf),
      cmocka_unit_test_setup_teardown(test_pack_response, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pack_error_response, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_pack_notifications, setup, teardown),
      cmocka_unit_test(test_pack_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
