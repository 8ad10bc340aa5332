/*
 * The encoding half of the MessagePack-RPC codec: a growable output buffer
 * that msgpack-c's packer writes into, and helpers that pack exactly the
 * envelopes of PROTOCOL.md (responses, error responses, notifications and
 * the "error" notification). See proto.h.
 */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

/* The first allocation of a buffer: most answers fit in it. */
#define PROTO_BUF_MIN 256u

/* ---- Output buffer ------------------------------------------------------ */

void proto_buf_init(proto_buf_t *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->limit = 0;
  b->failed = false;
}

void proto_buf_free(proto_buf_t *b) {
  size_t limit = b->limit;

  free(b->data);
  proto_buf_init(b);
  b->limit = limit;
}

void proto_buf_reset(proto_buf_t *b) {
  b->len = 0;
  b->failed = false;
}

bool proto_buf_failed(const proto_buf_t *b) {
  return b->failed;
}

void proto_buf_set_limit(proto_buf_t *b, size_t limit) {
  b->limit = limit;
}

int proto_buf_reserve(proto_buf_t *b, size_t n) {
  size_t cap;
  char *p;

  if (b->limit > 0 && (n > b->limit || b->len > b->limit - n))
    return -1;
  if (b->cap - b->len >= n)
    return 0;
  if (n > SIZE_MAX - b->len)
    return -1;
  /* Doubling keeps the cost of a long series of appends linear. */
  cap = b->cap ? b->cap : PROTO_BUF_MIN;
  while (cap - b->len < n) {
    if (cap > SIZE_MAX / 2) {
      cap = b->len + n;
      break;
    }
    cap *= 2;
  }
  p = realloc(b->data, cap);
  if (!p)
    return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int proto_buf_write(void *data, const char *buf, size_t len) {
  proto_buf_t *b = data;

  if (b->failed)
    return -1;
  if (len == 0)
    return 0;
  if (proto_buf_reserve(b, len) != 0) {
    b->failed = true;
    return -1;
  }
  memcpy(b->data + b->len, buf, len);
  b->len += len;
  return 0;
}

void proto_packer_init(msgpack_packer *pk, proto_buf_t *b) {
  msgpack_packer_init(pk, b, proto_buf_write);
}

/* ---- Envelopes ---------------------------------------------------------- */

/* msgpack_pack_* return whatever the writer returned; fold it to 0 or -1. */
#define TRY(expr)                                                              \
  do {                                                                         \
    if ((expr) != 0)                                                           \
      return -1;                                                               \
  } while (0)

/* {"code": ..., "message": ...[, "field": ...]} */
static int pack_error_map(msgpack_packer *pk, const proto_error_t *err) {
  bool has_field = err->field[0] != '\0';

  TRY(msgpack_pack_map(pk, has_field ? 3 : 2));
  TRY(proto_pack_kv_cstr(pk, "code", proto_code_name(err->code)));
  TRY(proto_pack_kv_cstr(pk, "message", err->message));
  if (has_field)
    TRY(proto_pack_kv_cstr(pk, "field", err->field));
  return 0;
}

int proto_pack_response_head(msgpack_packer *pk, uint32_t msgid) {
  TRY(msgpack_pack_array(pk, 4));
  TRY(msgpack_pack_uint8(pk, 1));
  TRY(msgpack_pack_uint32(pk, msgid));
  TRY(msgpack_pack_nil(pk));
  return 0;
}

int proto_pack_error_response(msgpack_packer *pk, uint32_t msgid,
                              const proto_error_t *err) {
  TRY(msgpack_pack_array(pk, 4));
  TRY(msgpack_pack_uint8(pk, 1));
  TRY(msgpack_pack_uint32(pk, msgid));
  TRY(pack_error_map(pk, err));
  TRY(msgpack_pack_nil(pk));
  return 0;
}

int proto_pack_notification_head(msgpack_packer *pk, const char *method) {
  TRY(msgpack_pack_array(pk, 3));
  TRY(msgpack_pack_uint8(pk, 2));
  TRY(proto_pack_cstr(pk, method));
  TRY(msgpack_pack_array(pk, 1));
  return 0;
}

int proto_pack_error_notification(msgpack_packer *pk,
                                  const proto_error_t *err) {
  TRY(proto_pack_notification_head(pk, "error"));
  TRY(pack_error_map(pk, err));
  return 0;
}

/* ---- Map helpers -------------------------------------------------------- */

int proto_pack_cstr(msgpack_packer *pk, const char *s) {
  return proto_pack_str(pk, s, strlen(s));
}

int proto_pack_str(msgpack_packer *pk, const char *s, size_t len) {
#if SIZE_MAX > UINT32_MAX
  /* MessagePack cannot express a longer string, and a cast would wrap. */
  if (len > UINT32_MAX)
    return -1;
#endif
  TRY(msgpack_pack_str(pk, len));
  TRY(msgpack_pack_str_body(pk, s, len));
  return 0;
}

int proto_pack_kv_cstr(msgpack_packer *pk, const char *key, const char *val) {
  TRY(proto_pack_cstr(pk, key));
  TRY(proto_pack_cstr(pk, val));
  return 0;
}

int proto_pack_kv_u64(msgpack_packer *pk, const char *key, uint64_t v) {
  TRY(proto_pack_cstr(pk, key));
  TRY(msgpack_pack_uint64(pk, v));
  return 0;
}

int proto_pack_kv_i64(msgpack_packer *pk, const char *key, int64_t v) {
  TRY(proto_pack_cstr(pk, key));
  TRY(msgpack_pack_int64(pk, v));
  return 0;
}

int proto_pack_kv_f64(msgpack_packer *pk, const char *key, double v) {
  TRY(proto_pack_cstr(pk, key));
  TRY(msgpack_pack_double(pk, v));
  return 0;
}

int proto_pack_kv_bool(msgpack_packer *pk, const char *key, bool v) {
  TRY(proto_pack_cstr(pk, key));
  TRY(v ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
  return 0;
}

int proto_pack_kv_nil(msgpack_packer *pk, const char *key) {
  TRY(proto_pack_cstr(pk, key));
  TRY(msgpack_pack_nil(pk));
  return 0;
}
