/*
 * The decoding half of the MessagePack-RPC codec: wire error codes and
 * messages, the decoder (one complete value to a msgpack_object tree), the
 * request envelope check and the typed accessors for named parameters.
 * See proto.h for the contract and PROTOCOL.md for the envelope.
 */
#include "proto.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The decoder zone's first chunk, which msgpack_zone_clear keeps. A request
 * tree takes 24 bytes per object (48 per map entry), so this holds every
 * request short of a large orders.submit without touching the heap. */
#define PROTO_DECODER_CHUNK (32u * 1024u)

/* ---- Error codes and messages ------------------------------------------- */

static const char *const code_names[PROTO_CODE_COUNT] = {
    [PROTO_BAD_REQUEST] = "bad_request",
    [PROTO_UNKNOWN_METHOD] = "unknown_method",
    [PROTO_UNAUTHORIZED] = "unauthorized",
    [PROTO_FORBIDDEN] = "forbidden",
    [PROTO_NOT_FOUND] = "not_found",
    [PROTO_CONFLICT] = "conflict",
    [PROTO_INVALID_ORDER] = "invalid_order",
    [PROTO_TOO_LARGE] = "too_large",
    [PROTO_RATE_LIMITED] = "rate_limited",
    [PROTO_UNAVAILABLE] = "unavailable",
    [PROTO_INTERNAL] = "internal",
};

const char *proto_code_name(proto_code_t code) {
  /* An out-of-range code is a bug on our side, and "internal" is the one
   * name that says so without inventing a new code on the wire. */
  if ((unsigned)code >= PROTO_CODE_COUNT)
    return code_names[PROTO_INTERNAL];
  return code_names[code];
}

/* The length (1 to 4) of the well-formed UTF-8 sequence at p, which has n
 * bytes left, or 0 if it is not one (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  unsigned char lo = 0x80, hi = 0xbf;
  size_t len, i;

  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    len = 2;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    len = 3;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    len = 4;
  else
    return 0;
  if (n < len)
    return 0;
  if (p[0] == 0xe0)
    lo = 0xa0;
  else if (p[0] == 0xed)
    hi = 0x9f;
  else if (p[0] == 0xf0)
    lo = 0x90;
  else if (p[0] == 0xf4)
    hi = 0x8f;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return len;
}

/* True if s[0..len) is well-formed UTF-8 without NUL bytes. */
static bool text_ok(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, k;

  while (i < len) {
    if (p[i] == 0)
      return false;
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    k = utf8_seq(p + i, len - i);
    if (k == 0)
      return false;
    i += k;
  }
  return true;
}

/* Make the NUL-terminated s valid UTF-8 without C0 or C1 control characters,
 * in place: each byte that is not part of a well-formed sequence, and each
 * control character, becomes one '?'. A message cut by vsnprintf in the
 * middle of a sequence ends in a '?' this way. */
static void text_sanitize(char *s) {
  unsigned char *p = (unsigned char *)s;
  /* Printable ASCII (0x20 to 0x7e), all of nearly every message: one
   * strspn skips it. */
  static const char printable[] =
      " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
      "abcdefghijklmnopqrstuvwxyz{|}~";
  size_t n = strlen(s), r = strspn(s, printable), w = r, k;

  while (r < n) {
    /* Printable ASCII, nearly every byte of a message, stays as it is. */
    if (p[r] >= 0x20 && p[r] < 0x7f) {
      p[w++] = p[r++];
      continue;
    }
    k = utf8_seq(p + r, n - r);
    if (k == 0 || p[r] < 0x20 || p[r] == 0x7f ||
        (k == 2 && p[r] == 0xc2 && p[r + 1] < 0xa0)) {
      p[w++] = '?';
      r += k ? k : 1;
      continue;
    }
    memmove(p + w, p + r, k);
    w += k;
    r += k;
  }
  p[w] = '\0';
}

int proto_error_set(proto_error_t *err, proto_code_t code, const char *field,
                    const char *fmt, ...) {
  /* Format into copies first: a caller may well pass err->message or
   * err->field back in ("order 3: %s", err->message) to add context. */
  char message[PROTO_MESSAGE_MAX], name[PROTO_FIELD_MAX];
  va_list ap;

  va_start(ap, fmt);
  if (vsnprintf(message, sizeof(message), fmt, ap) < 0)
    snprintf(message, sizeof(message), "%s", proto_code_name(code));
  va_end(ap);
  snprintf(name, sizeof(name), "%s", field ? field : "");
  text_sanitize(message);
  text_sanitize(name);
  err->code = code;
  memcpy(err->message, message, sizeof(message));
  memcpy(err->field, name, sizeof(name));
  return -1;
}

void proto_limits_default(proto_limits_t *lim) {
  lim->max_message = LAN_MAX_MESSAGE_DEFAULT;
  lim->max_depth = LAN_MAX_DEPTH_DEFAULT;
}

/* ---- Decoder ------------------------------------------------------------ */

int proto_decoder_init(proto_decoder_t *d) {
  return msgpack_zone_init(&d->zone, PROTO_DECODER_CHUNK) ? 0 : -1;
}

void proto_decoder_destroy(proto_decoder_t *d) {
  msgpack_zone_destroy(&d->zone);
}

/*
 * This uses msgpack_unpack(), which msgpack-c marks obsolete, on purpose: it
 * is the one entry point of the 4.0 C API that decodes into a zone the caller
 * owns. msgpack_unpacker_next and msgpack_unpack_next each create a fresh
 * zone per message (a malloc and a free every time); here the decoder's zone
 * is cleared, not freed, by proto_decoder_reset, so a message that fits in
 * its first chunk costs no heap allocation at all. Strings and binaries point
 * into buf (msgpack_unpack never copies them).
 *
 * msgpack_unpack's error codes are negative, and it returns EXTRA_BYTES (a
 * positive, "truthy" value) when the value ends before len: compare with
 * MSGPACK_UNPACK_SUCCESS, and check off as well, because a message is exactly
 * one value.
 */
int proto_decode(proto_decoder_t *d, const uint8_t *buf, size_t len,
                 msgpack_object *out, proto_error_t *err) {
  size_t off = 0;
  msgpack_unpack_return r;

  if (len == 0)
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "the message is empty; send one MessagePack value");
  r = msgpack_unpack((const char *)buf, len, &off, &d->zone, out);
  if (r == MSGPACK_UNPACK_SUCCESS && off == len)
    return 0;
  switch (r) {
  case MSGPACK_UNPACK_SUCCESS:
  case MSGPACK_UNPACK_EXTRA_BYTES:
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "%zu bytes follow the value; a message is exactly "
                           "one MessagePack value",
                           len - off);
  case MSGPACK_UNPACK_CONTINUE:
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "the message ends inside a MessagePack value");
  case MSGPACK_UNPACK_PARSE_ERROR:
    /* msgpack_unpack folds "out of memory" and "nested deeper than 32"
     * into PARSE_ERROR; the scanner rules out the latter and bad bytes. */
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "msgpack-c could not decode the message (not "
                           "valid MessagePack, or the server is short of "
                           "memory)");
  case MSGPACK_UNPACK_NOMEM_ERROR:
    break;
  }
  return proto_error_set(err, PROTO_INTERNAL, NULL,
                         "the server ran out of memory decoding the message");
}

void proto_decoder_reset(proto_decoder_t *d) {
  msgpack_zone_clear(&d->zone);
}

/* ---- Requests ----------------------------------------------------------- */

static const char request_shape[] = "[0, msgid, method, [{params}]]";

int proto_request_parse(const msgpack_object *obj, proto_request_t *req,
                        bool *msgid_known, proto_error_t *err) {
  const msgpack_object *a, *type, *params;
  uint32_t n;

  *msgid_known = false;
  memset(req, 0, sizeof(*req));
  if (obj->type != MSGPACK_OBJECT_ARRAY)
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "a request must be an array %s, got %s",
                           request_shape, proto_type_name(obj));
  n = obj->via.array.size;
  a = obj->via.array.ptr;
  if (n == 0)
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "a request must be an array of 4 elements %s, got "
                           "an empty array",
                           request_shape);

  type = &a[0];
  if (type->type != MSGPACK_OBJECT_POSITIVE_INTEGER || type->via.u64 != 0) {
    if (type->type == MSGPACK_OBJECT_POSITIVE_INTEGER && type->via.u64 == 1)
      return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                             "a client may not send responses (type 1); "
                             "send requests %s",
                             request_shape);
    if (type->type == MSGPACK_OBJECT_POSITIVE_INTEGER && type->via.u64 == 2)
      return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                             "notifications from clients (type 2) are not "
                             "accepted; send requests %s",
                             request_shape);
    if (type->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
      return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                             "unknown message type %" PRIu64
                             "; a request starts with 0: %s",
                             type->via.u64, request_shape);
    if (type->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
      return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                             "unknown message type %" PRId64
                             "; a request starts with 0: %s",
                             type->via.i64, request_shape);
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "unknown message type: a request starts with the "
                           "integer 0, %s, got %s",
                           request_shape, proto_type_name(type));
  }

  /* Read the msgid before checking the length: a client that forgot the
   * params still gets its answer as a response to that msgid. */
  if (n >= 2 && a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
      a[1].via.u64 <= UINT32_MAX) {
    req->msgid = (uint32_t)a[1].via.u64;
    *msgid_known = true;
  }
  if (n != 4)
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "a request must be an array of 4 elements %s, got "
                           "%" PRIu32 " element%s",
                           request_shape, n, n == 1 ? "" : "s");
  if (!*msgid_known) {
    if (a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER)
      return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                             "msgid %" PRIu64 " is out of range (0 to 2^32-1)",
                             a[1].via.u64);
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "msgid must be an unsigned integer (0 to 2^32-1), "
                           "got %s",
                           proto_type_name(&a[1]));
  }

  if (a[2].type != MSGPACK_OBJECT_STR || a[2].via.str.size == 0)
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "method must be a non-empty string, got %s",
                           a[2].type == MSGPACK_OBJECT_STR
                               ? "an empty string"
                               : proto_type_name(&a[2]));
  req->method = a[2].via.str.ptr;
  req->method_len = a[2].via.str.size;

  params = &a[3];
  if (params->type != MSGPACK_OBJECT_ARRAY)
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "params must be an array holding one map of named "
                           "arguments, [{...}], or [] for none, got %s",
                           proto_type_name(params));
  if (params->via.array.size > 1)
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "params must be an array holding one map of named "
                           "arguments, [{...}], got an array of %" PRIu32
                           " elements",
                           params->via.array.size);
  if (params->via.array.size == 1) {
    const msgpack_object *map = &params->via.array.ptr[0];
    if (map->type != MSGPACK_OBJECT_MAP)
      return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                             "params must be [{...}], an array holding a map "
                             "of named arguments, but its element is %s",
                             proto_type_name(map));
    /* [{}] and [] both mean "no arguments": handlers see NULL for both. */
    if (map->via.map.size > 0)
      req->params = map;
  }
  return 0;
}

bool proto_method_is(const proto_request_t *req, const char *name) {
  size_t n = strlen(name);
  return req->method_len == n && memcmp(req->method, name, n) == 0;
}

/* ---- Named parameters --------------------------------------------------- */

const char *proto_type_name(const msgpack_object *o) {
  if (!o)
    return "nothing";
  switch (o->type) {
  case MSGPACK_OBJECT_NIL:
    return "nil";
  case MSGPACK_OBJECT_BOOLEAN:
    return "a boolean";
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    return "an integer";
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    return "a negative integer";
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    return "a float";
  case MSGPACK_OBJECT_STR:
    return "a string";
  case MSGPACK_OBJECT_ARRAY:
    return "an array";
  case MSGPACK_OBJECT_MAP:
    return "a map";
  case MSGPACK_OBJECT_BIN:
    return "binary data";
  case MSGPACK_OBJECT_EXT:
    return "an extension value";
  }
  return "an unknown type";
}

const msgpack_object *proto_param(const msgpack_object *params,
                                  const char *key) {
  size_t n;

  if (!params || params->type != MSGPACK_OBJECT_MAP)
    return NULL;
  n = strlen(key);
  for (uint32_t i = 0; i < params->via.map.size; i++) {
    const msgpack_object_kv *kv = &params->via.map.ptr[i];
    if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n &&
        memcmp(kv->key.via.str.ptr, key, n) == 0)
      return &kv->val;
  }
  return NULL;
}

/*
 * The common start of every typed accessor: find key, treat nil as absent,
 * and report a missing required field. Returns 1 with *out set, 0 if absent
 * and optional, -1 if absent and required. `want` names the expected type
 * for the message ("a string").
 */
static int param_find(const msgpack_object *params, const char *key,
                      bool required, const char *want,
                      const msgpack_object **out, proto_error_t *err) {
  const msgpack_object *o = proto_param(params, key);

  if (!o || o->type == MSGPACK_OBJECT_NIL) {
    if (required)
      return proto_error_set(err, PROTO_BAD_REQUEST, key,
                             "field '%s' is required and must be %s", key,
                             want);
    return 0;
  }
  *out = o;
  return 1;
}

static int param_wrong_type(const char *key, const char *want,
                            const msgpack_object *o, proto_error_t *err) {
  return proto_error_set(err, PROTO_BAD_REQUEST, key,
                         "field '%s' must be %s, got %s", key, want,
                         proto_type_name(o));
}

int proto_param_str(const msgpack_object *params, const char *key,
                    bool required, const char **s, uint32_t *len,
                    proto_error_t *err) {
  static const char want[] = "a string";
  const msgpack_object *o = NULL;
  int r = param_find(params, key, required, want, &o, err);

  if (r <= 0)
    return r;
  if (o->type != MSGPACK_OBJECT_STR)
    return param_wrong_type(key, want, o, err);
  if (!text_ok(o->via.str.ptr, o->via.str.size))
    return proto_error_set(err, PROTO_BAD_REQUEST, key,
                           "field '%s' must be valid UTF-8 text without NUL "
                           "characters",
                           key);
  *s = o->via.str.ptr;
  *len = o->via.str.size;
  return 1;
}

int proto_param_u64(const msgpack_object *params, const char *key,
                    bool required, uint64_t *v, proto_error_t *err) {
  static const char want[] = "an unsigned integer (0 to 2^64-1)";
  const msgpack_object *o = NULL;
  int r = param_find(params, key, required, want, &o, err);

  if (r <= 0)
    return r;
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return param_wrong_type(key, want, o, err);
  *v = o->via.u64;
  return 1;
}

int proto_param_i64(const msgpack_object *params, const char *key,
                    bool required, int64_t *v, proto_error_t *err) {
  static const char want[] = "an integer (-2^63 to 2^63-1)";
  const msgpack_object *o = NULL;
  int r = param_find(params, key, required, want, &o, err);

  if (r <= 0)
    return r;
  if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
    *v = o->via.i64;
    return 1;
  }
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return param_wrong_type(key, want, o, err);
  if (o->via.u64 > INT64_MAX)
    return proto_error_set(err, PROTO_BAD_REQUEST, key,
                           "field '%s' must be %s, got %" PRIu64, key, want,
                           o->via.u64);
  *v = (int64_t)o->via.u64;
  return 1;
}

int proto_param_f64(const msgpack_object *params, const char *key,
                    bool required, double *v, proto_error_t *err) {
  static const char want[] = "a finite number";
  const msgpack_object *o = NULL;
  int r = param_find(params, key, required, want, &o, err);

  if (r <= 0)
    return r;
  switch (o->type) {
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    *v = (double)o->via.u64;
    return 1;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    *v = (double)o->via.i64;
    return 1;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    /* NaN and the infinities would poison the model's arithmetic and its
     * stored state; no field of the protocol has a use for them. */
    if (!isfinite(o->via.f64))
      return proto_error_set(err, PROTO_BAD_REQUEST, key,
                             "field '%s' must be %s, got %s", key, want,
                             isnan(o->via.f64) ? "NaN"
                             : o->via.f64 > 0  ? "infinity"
                                               : "-infinity");
    *v = o->via.f64;
    return 1;
  default:
    return param_wrong_type(key, want, o, err);
  }
}

int proto_param_bool(const msgpack_object *params, const char *key,
                     bool required, bool *v, proto_error_t *err) {
  static const char want[] = "a boolean (true or false)";
  const msgpack_object *o = NULL;
  int r = param_find(params, key, required, want, &o, err);

  if (r <= 0)
    return r;
  if (o->type != MSGPACK_OBJECT_BOOLEAN)
    return param_wrong_type(key, want, o, err);
  *v = o->via.boolean;
  return 1;
}

int proto_param_array(const msgpack_object *params, const char *key,
                      bool required, const msgpack_object **arr,
                      proto_error_t *err) {
  static const char want[] = "an array";
  const msgpack_object *o = NULL;
  int r = param_find(params, key, required, want, &o, err);

  if (r <= 0)
    return r;
  if (o->type != MSGPACK_OBJECT_ARRAY)
    return param_wrong_type(key, want, o, err);
  *arr = o;
  return 1;
}

int proto_param_map(const msgpack_object *params, const char *key,
                    bool required, const msgpack_object **map,
                    proto_error_t *err) {
  static const char want[] = "a map";
  const msgpack_object *o = NULL;
  int r = param_find(params, key, required, want, &o, err);

  if (r <= 0)
    return r;
  if (o->type != MSGPACK_OBJECT_MAP)
    return param_wrong_type(key, want, o, err);
  *map = o;
  return 1;
}
