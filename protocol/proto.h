/*
 * proto: the MessagePack-RPC codec of Lanthanide (PROTOCOL.md, "Envelope").
 *
 * No sockets here: the transport (server/net.c for TCP, later WebSocket) owns
 * the bytes and calls into this module. The pipeline for one message is
 *
 *   bytes --proto_scan_feed--> one complete, in-limit value
 *         --proto_decode-----> msgpack_object tree (msgpack-c)
 *         --proto_request_parse--> proto_request_t (msgid, method, params)
 *
 * and answers go out through proto_pack_* into a proto_buf_t.
 *
 * Why a scanner first: msgpack-c 4.0's unpacker allocates as soon as it reads
 * an array or map header, and has no limits of its own (upstream issue 1013),
 * so five hostile bytes could ask it for gigabytes. proto_scan_feed walks the
 * raw bytes without allocating, enforces the message size, the nesting depth
 * and "no count larger than the bytes left", and only a complete value that
 * passed all three reaches msgpack-c.
 *
 * Ownership: nothing here keeps a pointer to caller memory past the call,
 * except proto_decode's result, whose strings point into the input bytes and
 * whose arrays live in the decoder's zone: both must outlive every use of the
 * returned objects, until proto_decoder_reset().
 */
#ifndef LANTHANIDE_PROTO_H
#define LANTHANIDE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "proto_limits.h"

#define PROTO_VERSION 1

#if defined(__GNUC__)
#define PROTO_WUR __attribute__((warn_unused_result))
#else
#define PROTO_WUR
#endif

/* ---- Error codes of the wire (PROTOCOL.md, "Envelope") ---------------- */

typedef enum proto_code {
  PROTO_BAD_REQUEST = 0,
  PROTO_UNKNOWN_METHOD,
  PROTO_UNAUTHORIZED,
  PROTO_FORBIDDEN,
  PROTO_NOT_FOUND,
  PROTO_CONFLICT,
  PROTO_INVALID_ORDER,
  PROTO_TOO_LARGE,
  PROTO_RATE_LIMITED,
  PROTO_UNAVAILABLE,
  PROTO_INTERNAL,
  PROTO_CODE_COUNT
} proto_code_t;

/* The wire name of a code ("bad_request", ...). Never NULL. */
const char *proto_code_name(proto_code_t code);

#define PROTO_MESSAGE_MAX 320
#define PROTO_FIELD_MAX   64

/* An error to send: a code, a message for a person (what was wrong and what
 * would be right) and optionally the field it concerns. */
typedef struct proto_error {
  proto_code_t code;
  char message[PROTO_MESSAGE_MAX];
  char field[PROTO_FIELD_MAX]; /* "" when the error concerns no one field */
} proto_error_t;

/* Fill err (printf-style message). field may be NULL. Returns -1 so a handler
 * can write `return proto_error_set(err, ...);`. Too long a message is cut.
 * The message and the field are then made valid UTF-8 without control
 * characters (each offending byte becomes '?'), so that a client's string
 * quoted in a message can break neither a strict decoder nor a terminal. */
int proto_error_set(proto_error_t *err, proto_code_t code, const char *field,
                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ---- Limits -------------------------------------------------------------- */

typedef struct proto_limits {
  size_t max_message; /* bytes of one value, LAN_MAX_MESSAGE_DEFAULT */
  unsigned max_depth; /* nesting of containers, <= LAN_MAX_DEPTH_CAP */
} proto_limits_t;

/* The defaults of proto_limits.h. */
void proto_limits_default(proto_limits_t *lim);

/* ---- Scanner: allocation-free framing and limits ------------------------ */

/*
 * The scanner finds where the current message ends in a byte stream, and
 * checks limits on the way. It is resumable: feed it the bytes of the current
 * message as they arrive (always from the message's first byte; it remembers
 * how far it got), and it tells when the value is complete.
 *
 * It never allocates and never reads a byte twice except an item header that
 * was cut by the end of the buffer (at most 9 bytes), so feeding a message in
 * n pieces costs O(message size) in all.
 */
typedef struct proto_scan {
  size_t off;     /* bytes of the current message already scanned */
  unsigned depth; /* containers currently open */
  bool started;   /* at least one byte seen (message deadline running) */
  uint32_t left[LAN_MAX_DEPTH_CAP + 1]; /* items still due in each level */
} proto_scan_t;

typedef enum proto_scan_result {
  PROTO_SCAN_MORE = 0,       /* valid so far; the value is not complete */
  PROTO_SCAN_DONE = 1,       /* a complete value of *msg_len bytes */
  PROTO_SCAN_INVALID = -1,   /* a byte that is not MessagePack (0xc1) */
  PROTO_SCAN_TOO_LARGE = -2, /* more than max_message bytes */
  PROTO_SCAN_TOO_DEEP = -3,  /* nesting beyond max_depth */
  PROTO_SCAN_BAD_COUNT = -4  /* a header claims more than the bytes left */
} proto_scan_result_t;

void proto_scan_init(proto_scan_t *s);

/*
 * Scan msg[0..avail) (the bytes of the current message buffered so far,
 * from its first byte). On PROTO_SCAN_DONE, *msg_len is the length of the
 * value, which may be less than avail (pipelined messages follow it); the
 * scanner is then reset for the next message. Any negative result means the
 * stream can no longer be trusted: the caller reports and closes.
 *
 * "Bytes left" is max_message minus the bytes of the message before the
 * header: an array of n items needs at least n more bytes, a map of n
 * entries 2n, a string or binary of n bytes n.
 *
 * Each limit is reported as soon as the bytes seen prove it broken: an
 * oversized header or scalar from its first byte, a value that reaches
 * max_message with items still due at once, without waiting for bytes that
 * a slow client may never send. A max_depth above LAN_MAX_DEPTH_CAP is
 * treated as the cap; an empty array or map counts as a level of nesting.
 */
proto_scan_result_t proto_scan_feed(proto_scan_t *s, const proto_limits_t *lim,
                                    const uint8_t *msg, size_t avail,
                                    size_t *msg_len) PROTO_WUR;

/* A sentence for a person describing a negative scan result. */
const char *proto_scan_strerror(proto_scan_result_t r);

/*
 * Fill err with the wire error for a negative scan result, so that every
 * transport answers the same way: PROTO_SCAN_INVALID is bad_request, the
 * three limits are too_large, and the message names the limit and, where it
 * helps, the byte offset (s->off, which a failed feed leaves at the offending
 * header; s may be NULL). Returns -1, like proto_error_set.
 */
int proto_scan_error(const proto_scan_t *s, proto_scan_result_t r,
                     const proto_limits_t *lim, proto_error_t *err);

/* ---- Decoder: complete value to msgpack_object -------------------------- */

/*
 * A decoder owns one msgpack_zone that is cleared, not freed, between
 * messages, so the read path does no heap allocation per message once the
 * zone's first chunk is big enough. Not thread-safe; one per loop.
 */
typedef struct proto_decoder {
  msgpack_zone zone;
} proto_decoder_t;

int proto_decoder_init(proto_decoder_t *d) PROTO_WUR;
void proto_decoder_destroy(proto_decoder_t *d);

/* Decode exactly one value of len bytes (as delimited by the scanner).
 * Returns 0, or -1 if msgpack-c refuses it (with err filled). The objects
 * live until proto_decoder_reset() and reference buf's bytes. Call
 * proto_decoder_reset() after every proto_decode, failed or not: a failed
 * decode may leave partial allocations in the zone. */
int proto_decode(proto_decoder_t *d, const uint8_t *buf, size_t len,
                 msgpack_object *out, proto_error_t *err) PROTO_WUR;

/* Release everything the last proto_decode produced (keeps memory). */
void proto_decoder_reset(proto_decoder_t *d);

/* ---- Requests ------------------------------------------------------------ */

typedef struct proto_request {
  uint32_t msgid;
  const char *method; /* not NUL-terminated */
  uint32_t method_len;
  const msgpack_object *params; /* the named-arguments map, NULL if none */
} proto_request_t;

/*
 * Check that obj is a well-formed request [0, msgid, method, params] and
 * extract it. params may be [] or [{}] (no arguments) or [{...}]; both forms
 * of "no arguments" give req->params == NULL, so a handler has one case to
 * handle (the accessors below take NULL).
 * On failure returns -1, fills err (always bad_request), and sets
 * *msgid_known (with req->msgid) when the message is a request (type 0)
 * whose msgid is a valid uint32, even if a later check (the length, the
 * method, the params) failed, so the caller answers with a response rather
 * than with an "error" notification. *msgid_known is always written.
 */
int proto_request_parse(const msgpack_object *obj, proto_request_t *req,
                        bool *msgid_known, proto_error_t *err) PROTO_WUR;

/* True if the method name equals the NUL-terminated string name. */
bool proto_method_is(const proto_request_t *req, const char *name);

/* ---- Named parameters ---------------------------------------------------- */

/*
 * Typed access to a params map. Each returns 1 if the key is present and of
 * the right type (value stored), 0 if absent (nothing stored; an error only
 * if required), and -1 if present with a wrong type or out of range, or
 * absent but required, with err filled as bad_request naming the field:
 *   "field 'seed' must be an unsigned integer (0 to 2^64-1), got a string".
 * A nil value counts as absent. params may be NULL (no arguments).
 *
 * Keys are compared as exact byte strings; non-string keys and unknown keys
 * are ignored; if a key appears twice the first one wins. They work on any
 * map, not only params (an order map, for instance).
 * - proto_param returns the raw value, nil included (so a caller can tell
 *   "nil" from "absent"), or NULL if the key is absent or params is not a map.
 * - proto_param_str accepts only valid UTF-8 without NUL bytes: the server
 *   stores such strings and relays them to other clients, whose decoders may
 *   be strict, and copies them into C strings.
 * - Integers are accepted as positive or negative MessagePack integers, not
 *   as floats; proto_param_f64 accepts floats and integers but refuses NaN
 *   and infinities.
 * Returned pointers (s, arr, map) point into the decoded message and live as
 * long as it does.
 */
const msgpack_object *proto_param(const msgpack_object *params,
                                  const char *key);
int proto_param_str(const msgpack_object *params, const char *key,
                    bool required, const char **s, uint32_t *len,
                    proto_error_t *err);
int proto_param_u64(const msgpack_object *params, const char *key,
                    bool required, uint64_t *v, proto_error_t *err);
int proto_param_i64(const msgpack_object *params, const char *key,
                    bool required, int64_t *v, proto_error_t *err);
int proto_param_f64(const msgpack_object *params, const char *key,
                    bool required, double *v, proto_error_t *err);
int proto_param_bool(const msgpack_object *params, const char *key,
                     bool required, bool *v, proto_error_t *err);
/* An array (or a map, for proto_param_map) of any content. */
int proto_param_array(const msgpack_object *params, const char *key,
                      bool required, const msgpack_object **arr,
                      proto_error_t *err);
int proto_param_map(const msgpack_object *params, const char *key,
                    bool required, const msgpack_object **map,
                    proto_error_t *err);

/* A short English name of an object's type, for messages ("a string"). */
const char *proto_type_name(const msgpack_object *o);

/* ---- Output buffer and encoders ----------------------------------------- */

/* A growable byte buffer; a msgpack_packer writes into it with
 * proto_buf_write. Memory is kept across proto_buf_reset. The buffer owns
 * data (proto_buf_free releases it). When a pack helper fails (out of
 * memory, or past the limit), the buffer may hold part of a value: a
 * caller that keeps the buffer notes b->len before packing and sets it
 * back on failure.
 *
 * The error is sticky: once a write failed, every later write fails too
 * and proto_buf_failed stays true until proto_buf_reset. So a value whose
 * packing failed anywhere, even in a call whose result nobody checked, is
 * never mistaken for a whole one: whoever sends the buffer checks
 * proto_buf_failed first (the dispatcher answers `internal` instead). */
typedef struct proto_buf {
  char *data;
  size_t len;
  size_t cap;
  size_t limit; /* the most bytes the buffer may hold; 0 for no limit */
  bool failed;  /* a write failed since the last reset */
} proto_buf_t;

void proto_buf_init(proto_buf_t *b);
void proto_buf_free(proto_buf_t *b);
/* Empty the buffer and clear its error; keeps memory and limit. */
void proto_buf_reset(proto_buf_t *b);
/* Make room for n more bytes. 0 or -1 (out of memory, or past the
 * limit). A failure here is the caller's to handle and is not sticky. */
int proto_buf_reserve(proto_buf_t *b, size_t n) PROTO_WUR;
/* msgpack_packer_write callback: data is a proto_buf_t *. 0, or -1 with
 * the buffer's sticky error set. */
int proto_buf_write(void *data, const char *buf, size_t len);
/* True if a write failed since the last proto_buf_reset: the buffer does
 * not hold whole values and must not be sent. */
bool proto_buf_failed(const proto_buf_t *b);
/* Cap the buffer at limit bytes (0: no cap), so that one oversized value
 * fails like an allocation would. Unit tests use it to make packing fail
 * on purpose. */
void proto_buf_set_limit(proto_buf_t *b, size_t limit);
/* Initialise pk to append to b. */
void proto_packer_init(msgpack_packer *pk, proto_buf_t *b);

/* The pack helpers return 0, or -1 if the writer failed (out of memory). */

/* [1, msgid, nil, ...: the caller packs exactly one result value next. */
int proto_pack_response_head(msgpack_packer *pk, uint32_t msgid);
/* [1, msgid, {code, message[, field]}, nil] */
int proto_pack_error_response(msgpack_packer *pk, uint32_t msgid,
                              const proto_error_t *err);
/* [2, method, [ ...: the caller packs exactly one params map next. */
int proto_pack_notification_head(msgpack_packer *pk, const char *method);
/* [2, "error", [{code, message[, field]}]] */
int proto_pack_error_notification(msgpack_packer *pk, const proto_error_t *err);

/* Small helpers for building maps. */
int proto_pack_cstr(msgpack_packer *pk, const char *s);
int proto_pack_str(msgpack_packer *pk, const char *s, size_t len);
int proto_pack_kv_cstr(msgpack_packer *pk, const char *key, const char *val);
int proto_pack_kv_u64(msgpack_packer *pk, const char *key, uint64_t v);
int proto_pack_kv_i64(msgpack_packer *pk, const char *key, int64_t v);
int proto_pack_kv_f64(msgpack_packer *pk, const char *key, double v);
int proto_pack_kv_bool(msgpack_packer *pk, const char *key, bool v);
int proto_pack_kv_nil(msgpack_packer *pk, const char *key);

#endif
