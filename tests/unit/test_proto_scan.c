/*
 * Unit tests of the allocation-free MessagePack scanner (protocol/scan.c):
 * every MessagePack format scans to its exact length, pipelined values are
 * found one after the other, chunked feeding agrees with whole feeding over
 * many random values packed by msgpack-c, and each limit (size, depth, header
 * counts) and the invalid byte 0xc1 are refused with the right result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

/* ---- Helpers ------------------------------------------------------------ */

static proto_limits_t limits(size_t max_message, unsigned max_depth) {
  proto_limits_t lim = {max_message, max_depth};
  return lim;
}

static proto_limits_t default_limits(void) {
  proto_limits_t lim;
  proto_limits_default(&lim);
  return lim;
}

/* Feed all len bytes at once to a fresh scanner. */
static proto_scan_result_t scan_whole(const proto_limits_t *lim,
                                      const uint8_t *buf, size_t len,
                                      size_t *msg_len) {
  proto_scan_t s;
  proto_scan_init(&s);
  *msg_len = 0;
  return proto_scan_feed(&s, lim, buf, len, msg_len);
}

/* Feed len bytes to a fresh scanner one more byte at a time, as a transport
 * would when every read returns one byte; stop at the first result other
 * than MORE. *fed says how many bytes were buffered then. */
static proto_scan_result_t scan_bytewise(const proto_limits_t *lim,
                                         const uint8_t *buf, size_t len,
                                         size_t *msg_len, size_t *fed) {
  proto_scan_t s;
  proto_scan_result_t r = PROTO_SCAN_MORE;

  proto_scan_init(&s);
  *msg_len = 0;
  for (*fed = 1; *fed <= len; (*fed)++) {
    r = proto_scan_feed(&s, lim, buf, *fed, msg_len);
    if (r != PROTO_SCAN_MORE)
      return r;
  }
  *fed = len;
  return r;
}

/* A small deterministic generator (xorshift64*), so a failure replays. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

static uint32_t rng_below(uint32_t n) {
  return (uint32_t)(rng() % n);
}

/* Write a header: marker, then n as a big-endian integer of lenlen bytes. */
static size_t put_head(uint8_t *p, uint8_t marker, unsigned lenlen,
                       uint32_t n) {
  p[0] = marker;
  for (unsigned i = 0; i < lenlen; i++)
    p[1 + i] = (uint8_t)(n >> (8 * (lenlen - 1 - i)));
  return 1 + lenlen;
}

/* ---- Every format ------------------------------------------------------- */

typedef struct sample {
  const char *name;
  uint8_t bytes[40];
  size_t len;
} sample_t;

/* One value of every MessagePack format, written out by hand so that the
 * wide forms (str32 of 3 bytes, array32 of 1 item...) appear too, which
 * msgpack-c's packer never produces for small values. */
static const sample_t samples[] = {
    {"positive fixint 0", {0x00}, 1},
    {"positive fixint 127", {0x7f}, 1},
    {"negative fixint -32", {0xe0}, 1},
    {"negative fixint -1", {0xff}, 1},
    {"nil", {0xc0}, 1},
    {"false", {0xc2}, 1},
    {"true", {0xc3}, 1},
    {"fixmap {1: 2}", {0x81, 0x01, 0x02}, 3},
    {"fixmap {}", {0x80}, 1},
    {"fixarray [1, 2]", {0x92, 0x01, 0x02}, 3},
    {"fixarray []", {0x90}, 1},
    {"fixstr \"abc\"", {0xa3, 'a', 'b', 'c'}, 4},
    {"fixstr \"\"", {0xa0}, 1},
    {"bin8", {0xc4, 0x02, 0xaa, 0xbb}, 4},
    {"bin16", {0xc5, 0x00, 0x02, 0xaa, 0xbb}, 5},
    {"bin32", {0xc6, 0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb}, 7},
    {"ext8", {0xc7, 0x03, 0x05, 1, 2, 3}, 6},
    {"ext16", {0xc8, 0x00, 0x03, 0x05, 1, 2, 3}, 7},
    {"ext32", {0xc9, 0x00, 0x00, 0x00, 0x03, 0x05, 1, 2, 3}, 9},
    {"ext8 empty", {0xc7, 0x00, 0x05}, 3},
    {"float32", {0xca, 0x3f, 0x80, 0x00, 0x00}, 5},
    {"float64", {0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 9},
    {"uint8", {0xcc, 0xff}, 2},
    {"uint16", {0xcd, 0xff, 0xff}, 3},
    {"uint32", {0xce, 0xff, 0xff, 0xff, 0xff}, 5},
    {"uint64", {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9},
    {"int8", {0xd0, 0x80}, 2},
    {"int16", {0xd1, 0x80, 0x00}, 3},
    {"int32", {0xd2, 0x80, 0, 0, 0}, 5},
    {"int64", {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9},
    {"fixext1", {0xd4, 0x01, 0xaa}, 3},
    {"fixext2", {0xd5, 0x01, 0xaa, 0xbb}, 4},
    {"fixext4", {0xd6, 0x01, 1, 2, 3, 4}, 6},
    {"fixext8", {0xd7, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}, 10},
    {"fixext16",
     {0xd8, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
     18},
    {"str8", {0xd9, 0x03, 'a', 'b', 'c'}, 5},
    {"str16", {0xda, 0x00, 0x03, 'a', 'b', 'c'}, 6},
    {"str32", {0xdb, 0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c'}, 8},
    {"array16 [nil]", {0xdc, 0x00, 0x01, 0xc0}, 4},
    {"array32 [nil]", {0xdd, 0x00, 0x00, 0x00, 0x01, 0xc0}, 6},
    {"array16 []", {0xdc, 0x00, 0x00}, 3},
    {"map16 {nil: true}", {0xde, 0x00, 0x01, 0xc0, 0xc3}, 5},
    {"map32 {nil: true}", {0xdf, 0x00, 0x00, 0x00, 0x01, 0xc0, 0xc3}, 7},
    {"map32 {}", {0xdf, 0x00, 0x00, 0x00, 0x00}, 5},
    {"nested [{\"a\": [1, {}]}]", {0x91, 0x81, 0xa1, 'a', 0x92, 0x01, 0x80}, 7},
};

static void test_every_format(void **state) {
  proto_limits_t lim = default_limits();
  proto_decoder_t dec;
  (void)state;

  assert_int_equal(proto_decoder_init(&dec), 0);
  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
    const sample_t *t = &samples[i];
    uint8_t buf[64];
    size_t len = 0, fed = 0;
    msgpack_object obj;
    proto_error_t err;

    print_message("%s\n", t->name);
    /* Whole, and followed by the start of another value. */
    assert_int_equal(scan_whole(&lim, t->bytes, t->len, &len), PROTO_SCAN_DONE);
    assert_int_equal(len, t->len);
    memcpy(buf, t->bytes, t->len);
    buf[t->len] = 0x92;
    assert_int_equal(scan_whole(&lim, buf, t->len + 1, &len), PROTO_SCAN_DONE);
    assert_int_equal(len, t->len);
    /* Every proper prefix is incomplete, and byte by byte agrees. */
    for (size_t k = 0; k < t->len; k++)
      assert_int_equal(scan_whole(&lim, t->bytes, k, &len), PROTO_SCAN_MORE);
    assert_int_equal(scan_bytewise(&lim, t->bytes, t->len, &len, &fed),
                     PROTO_SCAN_DONE);
    assert_int_equal(len, t->len);
    assert_int_equal(fed, t->len);
    /* msgpack-c agrees that this is exactly one value. */
    assert_int_equal(proto_decode(&dec, t->bytes, t->len, &obj, &err), 0);
    proto_decoder_reset(&dec);
  }
  proto_decoder_destroy(&dec);
}

/* ---- Pipelining and resumption ------------------------------------------ */

static void test_pipelined(void **state) {
  /* [0, 1, "ping", []] then 7 then {"a": nil} then the start of a str8. */
  static const uint8_t stream[] = {0x94, 0x00, 0x01, 0xa4, 'p',  'i',
                                   'n',  'g',  0x90, 0x07, 0x81, 0xa1,
                                   'a',  0xc0, 0xd9, 0x05, 'x'};
  static const size_t want[] = {9, 1, 4};
  proto_limits_t lim = default_limits();
  proto_scan_t s;
  size_t start = 0, len = 0;
  (void)state;

  proto_scan_init(&s);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(
        proto_scan_feed(&s, &lim, stream + start, sizeof(stream) - start, &len),
        PROTO_SCAN_DONE);
    assert_int_equal(len, want[i]);
    /* DONE resets the scanner for the next message. */
    assert_int_equal(s.off, 0);
    assert_int_equal(s.depth, 0);
    assert_false(s.started);
    start += len;
  }
  assert_int_equal(
      proto_scan_feed(&s, &lim, stream + start, sizeof(stream) - start, &len),
      PROTO_SCAN_MORE);
  assert_true(s.started);
}

static void test_payload_across_calls(void **state) {
  uint8_t buf[2 + 200];
  proto_limits_t lim = default_limits();
  proto_scan_t s;
  size_t len = 0;
  (void)state;

  put_head(buf, 0xd9, 1, 200);
  memset(buf + 2, 'x', 200);
  proto_scan_init(&s);
  assert_false(s.started);
  assert_int_equal(proto_scan_feed(&s, &lim, buf, 0, &len), PROTO_SCAN_MORE);
  assert_false(s.started);
  /* The marker alone: the length field is cut, so nothing is consumed. */
  assert_int_equal(proto_scan_feed(&s, &lim, buf, 1, &len), PROTO_SCAN_MORE);
  assert_true(s.started);
  assert_int_equal(s.off, 0);
  /* Once the header is in, the payload is accounted for without being
   * read: the scanner only waits for the buffer to reach its end. */
  assert_int_equal(proto_scan_feed(&s, &lim, buf, 50, &len), PROTO_SCAN_MORE);
  assert_int_equal(s.off, sizeof(buf));
  assert_int_equal(proto_scan_feed(&s, &lim, buf, sizeof(buf) - 1, &len),
                   PROTO_SCAN_MORE);
  assert_int_equal(proto_scan_feed(&s, &lim, buf, sizeof(buf), &len),
                   PROTO_SCAN_DONE);
  assert_int_equal(len, sizeof(buf));
}

/* A long message fed one byte at a time completes (each call does O(1)
 * work; a quadratic scanner would take minutes here, not milliseconds). */
static void test_large_bytewise(void **state) {
  size_t n = 300000, len = 0, fed = 0;
  uint8_t *buf = malloc(5 + n);
  proto_limits_t lim = default_limits();
  (void)state;

  assert_non_null(buf);
  /* An array32 of n items, each a fixarray of one nil. */
  put_head(buf, 0xdd, 4, (uint32_t)(n / 2));
  for (size_t i = 0; i < n; i += 2) {
    buf[5 + i] = 0x91;
    buf[5 + i + 1] = 0xc0;
  }
  assert_int_equal(scan_bytewise(&lim, buf, 5 + n, &len, &fed),
                   PROTO_SCAN_DONE);
  assert_int_equal(len, 5 + n);
  free(buf);
}

/* ---- Property: chunked == whole over random valid values ---------------- */

static void pack_random(msgpack_packer *pk, int depth);

/* Roughly how many more bytes one random value may take, so that values
 * stay well inside the 1 MiB limit however the dice fall. */
static size_t gen_budget;

static void spend(size_t n) {
  gen_budget = n < gen_budget ? gen_budget - n : 0;
}

static void pack_random_bytes(msgpack_packer *pk, int kind) {
  static char junk[70000];
  uint32_t r = rng_below(100), n;

  /* Mostly short, sometimes past the 8- and 16-bit length forms. */
  n = r < 80 ? rng_below(40) : r < 95 ? 200 + rng_below(300) : 65536;
  if (n > gen_budget)
    n = rng_below(40);
  spend(n + 6);
  memset(junk, 'q', n);
  switch (kind) {
  case 0:
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, junk, n);
    break;
  case 1:
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, junk, n);
    break;
  default:
    /* Lengths 1, 2, 4, 8 and 16 come out as fixext. */
    if (rng_below(2))
      n = 1u << rng_below(5);
    msgpack_pack_ext(pk, n, (int8_t)rng_below(128));
    msgpack_pack_ext_body(pk, junk, n);
    break;
  }
}

static void pack_random(msgpack_packer *pk, int depth) {
  bool nest = depth < 6 && gen_budget > 1000;
  uint32_t kind = rng_below(nest ? 14 : 10), n;

  spend(9);

  switch (kind) {
  case 0:
    msgpack_pack_nil(pk);
    break;
  case 1:
    rng_below(2) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    break;
  case 2:
    /* Shift a random number so every width of uint appears. */
    msgpack_pack_uint64(pk, rng() >> rng_below(64));
    break;
  case 3:
    msgpack_pack_int64(pk, -(int64_t)(rng() >> (1 + rng_below(63))) - 1);
    break;
  case 4:
    msgpack_pack_float(pk, (float)rng_below(1000) / 7.0f);
    break;
  case 5:
    msgpack_pack_double(pk, (double)rng() / 3.0);
    break;
  case 6:
  case 7:
  case 8:
  case 9:
    pack_random_bytes(pk, (int)kind - 6);
    break;
  case 10:
  case 11:
    n = rng_below(100) < 97 ? rng_below(20) : 65536 + rng_below(3);
    if (n > 20 && (depth > 0 || gen_budget < 200000))
      n = 20;
    if (n > 20)
      spend(n);
    msgpack_pack_array(pk, n);
    for (uint32_t i = 0; i < n; i++) {
      if (n > 20)
        msgpack_pack_nil(pk);
      else
        pack_random(pk, depth + 1);
    }
    break;
  default:
    n = rng_below(100) < 97 ? rng_below(20) : 65536;
    if (n > 20 && (depth > 0 || gen_budget < 400000))
      n = 20;
    if (n > 20)
      spend(6 * (size_t)n);
    msgpack_pack_map(pk, n);
    for (uint32_t i = 0; i < n; i++) {
      if (n > 20) {
        msgpack_pack_uint32(pk, i);
        msgpack_pack_true(pk);
      } else {
        pack_random(pk, depth + 1);
        pack_random(pk, depth + 1);
      }
    }
    break;
  }
}

static void test_chunked_equals_whole(void **state) {
  proto_limits_t lim = default_limits();
  msgpack_sbuffer sb;
  msgpack_packer pk;
  (void)state;

  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  for (int iter = 0; iter < 600; iter++) {
    size_t ends[8], nvals = 1 + rng_below(5), found = 0;
    const uint8_t *data;
    proto_scan_t s;
    size_t start = 0, have = 0, len = 0;
    int mode = (int)rng_below(3);

    msgpack_sbuffer_clear(&sb);
    for (size_t v = 0; v < nvals; v++) {
      gen_budget = 500000;
      pack_random(&pk, 0);
      ends[v] = sb.size;
      assert_true(ends[v] - (v ? ends[v - 1] : 0) <= lim.max_message);
    }
    data = (const uint8_t *)sb.data;

    /* Whole: each value in turn, given every byte that follows it. */
    for (size_t v = 0; v < nvals; v++) {
      assert_int_equal(scan_whole(&lim, data + start, sb.size - start, &len),
                       PROTO_SCAN_DONE);
      assert_int_equal(start + len, ends[v]);
      start += len;
    }
    assert_int_equal(scan_whole(&lim, data + start, 0, &len), PROTO_SCAN_MORE);

    /* Chunked: bytes arrive in random pieces (in mode 0, one at a time)
     * and each complete value is taken off the front, as net.c does. */
    proto_scan_init(&s);
    start = 0;
    while (have < sb.size) {
      size_t chunk = mode == 0   ? 1
                     : mode == 1 ? 1 + rng_below(16)
                                 : 1 + rng_below(4096);
      proto_scan_result_t r;

      have = have + chunk < sb.size ? have + chunk : sb.size;
      while ((r = proto_scan_feed(&s, &lim, data + start, have - start,
                                  &len)) == PROTO_SCAN_DONE) {
        assert_true(found < nvals);
        assert_int_equal(start + len, ends[found]);
        found++;
        start += len;
      }
      assert_int_equal(r, PROTO_SCAN_MORE);
    }
    assert_int_equal(found, nvals);
    assert_int_equal(start, sb.size);
  }
  msgpack_sbuffer_destroy(&sb);
}

/* ---- Invalid input and limits ------------------------------------------- */

static void test_invalid_c1(void **state) {
  static const uint8_t lone[] = {0xc1};
  static const uint8_t inner[] = {0x92, 0x01, 0xc1};
  static const uint8_t after_str[] = {0x92, 0xa2, 'h', 'i', 0xc1};
  proto_limits_t lim = default_limits();
  size_t len = 0, fed = 0;
  (void)state;

  assert_int_equal(scan_whole(&lim, lone, 1, &len), PROTO_SCAN_INVALID);
  assert_int_equal(scan_whole(&lim, inner, 3, &len), PROTO_SCAN_INVALID);
  assert_int_equal(scan_bytewise(&lim, inner, 3, &len, &fed),
                   PROTO_SCAN_INVALID);
  assert_int_equal(fed, 3);
  assert_int_equal(scan_bytewise(&lim, after_str, 5, &len, &fed),
                   PROTO_SCAN_INVALID);
  assert_int_equal(fed, 5);
}

static void test_array32_max_count(void **state) {
  static const uint8_t hostile[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
  proto_limits_t lim = default_limits();
  size_t len = 0, fed = 0;
  (void)state;

  assert_int_equal(scan_whole(&lim, hostile, 5, &len), PROTO_SCAN_BAD_COUNT);
  /* Refused as soon as the count is known, not one byte later. */
  assert_int_equal(scan_bytewise(&lim, hostile, 5, &len, &fed),
                   PROTO_SCAN_BAD_COUNT);
  assert_int_equal(fed, 5);
}

static void test_map32_2_28(void **state) {
  static const uint8_t hostile[] = {0xdf, 0x10, 0x00, 0x00, 0x00};
  static const uint8_t hostile2[] = {0xdf, 0x0f, 0xff, 0xff, 0xff};
  proto_limits_t lim = default_limits();
  size_t len = 0;
  (void)state;

  assert_int_equal(scan_whole(&lim, hostile, 5, &len), PROTO_SCAN_BAD_COUNT);
  assert_int_equal(scan_whole(&lim, hostile2, 5, &len), PROTO_SCAN_BAD_COUNT);
}

static void test_str32_huge(void **state) {
  static const uint8_t str32[] = {0xdb, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t bin32[] = {0xc6, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t ext32[] = {0xc9, 0xff, 0xff, 0xff, 0xff, 0x01};
  /* Exactly max_message bytes of payload: the header leaves no room. */
  static const uint8_t str32_1m[] = {0xdb, 0x00, 0x10, 0x00, 0x00};
  proto_limits_t lim = default_limits();
  size_t len = 0;
  (void)state;

  assert_int_equal(scan_whole(&lim, str32, 5, &len), PROTO_SCAN_BAD_COUNT);
  assert_int_equal(scan_whole(&lim, bin32, 5, &len), PROTO_SCAN_BAD_COUNT);
  assert_int_equal(scan_whole(&lim, ext32, 6, &len), PROTO_SCAN_BAD_COUNT);
  assert_int_equal(scan_whole(&lim, str32_1m, 5, &len), PROTO_SCAN_BAD_COUNT);
}

/* "Count no larger than the bytes left", right at the boundary, for each
 * kind of header: array n needs n bytes, map n needs 2n, str n needs n. */
static void test_count_boundaries(void **state) {
  proto_limits_t lim = limits(64, 16);
  uint8_t buf[128];
  size_t len = 0;
  (void)state;

  /* array16 at offset 0: 61 bytes left after the header. */
  put_head(buf, 0xdc, 2, 61);
  memset(buf + 3, 0xc0, 61);
  assert_int_equal(scan_whole(&lim, buf, 64, &len), PROTO_SCAN_DONE);
  assert_int_equal(len, 64);
  put_head(buf, 0xdc, 2, 62);
  assert_int_equal(scan_whole(&lim, buf, 3, &len), PROTO_SCAN_BAD_COUNT);

  /* map16: 61 bytes left, so 30 entries fit and 31 do not. */
  put_head(buf, 0xde, 2, 30);
  assert_int_equal(scan_whole(&lim, buf, 3, &len), PROTO_SCAN_MORE);
  put_head(buf, 0xde, 2, 31);
  assert_int_equal(scan_whole(&lim, buf, 3, &len), PROTO_SCAN_BAD_COUNT);

  /* str8 inside a fixarray: at offset 1, 61 bytes left after its header. */
  buf[0] = 0x91;
  put_head(buf + 1, 0xd9, 1, 61);
  memset(buf + 3, 'x', 61);
  assert_int_equal(scan_whole(&lim, buf, 64, &len), PROTO_SCAN_DONE);
  assert_int_equal(len, 64);
  put_head(buf + 1, 0xd9, 1, 62);
  assert_int_equal(scan_whole(&lim, buf, 3, &len), PROTO_SCAN_BAD_COUNT);

  /* ext8: marker, length, type, then the payload. */
  put_head(buf, 0xc7, 1, 61);
  buf[2] = 0x01;
  assert_int_equal(scan_whole(&lim, buf, 3, &len), PROTO_SCAN_MORE);
  put_head(buf, 0xc7, 1, 62);
  assert_int_equal(scan_whole(&lim, buf, 3, &len), PROTO_SCAN_BAD_COUNT);
}

/* n nested array16 headers of one item each (dc 00 01), then nil. */
static size_t nested(uint8_t *buf, unsigned n) {
  size_t off = 0;
  for (unsigned i = 0; i < n; i++)
    off += put_head(buf + off, 0xdc, 2, 1);
  buf[off++] = 0xc0;
  return off;
}

static void test_depth(void **state) {
  proto_limits_t lim = default_limits();
  proto_limits_t deep = limits(LAN_MAX_MESSAGE_DEFAULT, LAN_MAX_DEPTH_CAP);
  proto_limits_t over = limits(LAN_MAX_MESSAGE_DEFAULT, 1000);
  uint8_t buf[3 * 40 + 1];
  size_t n, len = 0, fed = 0;
  (void)state;

  assert_int_equal(lim.max_depth, 16);
  n = nested(buf, 32);
  assert_int_equal(scan_whole(&lim, buf, n, &len), PROTO_SCAN_TOO_DEEP);
  /* Refused at the 17th header, long before the value could complete. */
  assert_int_equal(scan_bytewise(&lim, buf, n, &len, &fed),
                   PROTO_SCAN_TOO_DEEP);
  assert_int_equal(fed, 16 * 3 + 3);

  n = nested(buf, 16);
  assert_int_equal(scan_whole(&lim, buf, n, &len), PROTO_SCAN_DONE);
  assert_int_equal(len, 49);
  n = nested(buf, 17);
  assert_int_equal(scan_whole(&lim, buf, n, &len), PROTO_SCAN_TOO_DEEP);

  /* At the cap, 32 levels pass (msgpack-c's own stack holds 32)... */
  n = nested(buf, 32);
  assert_int_equal(scan_whole(&deep, buf, n, &len), PROTO_SCAN_DONE);
  assert_int_equal(len, n);
  /* ...and a larger max_depth is held to the cap. */
  n = nested(buf, 33);
  assert_int_equal(scan_whole(&over, buf, n, &len), PROTO_SCAN_TOO_DEEP);

  /* An empty container is a level too: 15 x [ then [] is depth 16. */
  memset(buf, 0x91, 15);
  buf[15] = 0x90;
  assert_int_equal(scan_whole(&lim, buf, 16, &len), PROTO_SCAN_DONE);
  memset(buf, 0x91, 16);
  buf[16] = 0x80;
  assert_int_equal(scan_whole(&lim, buf, 17, &len), PROTO_SCAN_TOO_DEEP);

  /* Depth is depth, not a count of containers: siblings do not add up. */
  {
    uint8_t flat[] = {0x93, 0x91, 0x90, 0x91, 0x90, 0x80};
    proto_limits_t three = limits(64, 3);
    assert_int_equal(scan_whole(&three, flat, sizeof(flat), &len),
                     PROTO_SCAN_DONE);
    assert_int_equal(len, sizeof(flat));
  }
}

static void test_too_large(void **state) {
  proto_limits_t lim = limits(64, 16);
  uint8_t buf[200];
  size_t len = 0, fed = 0;
  (void)state;

  /* An array16 of 60 items (fits the count check: 60 <= 61) whose items
   * are uint8s of two bytes each: 123 bytes in all. */
  put_head(buf, 0xdc, 2, 60);
  for (size_t i = 0; i < 60; i++) {
    buf[3 + 2 * i] = 0xcc;
    buf[3 + 2 * i + 1] = (uint8_t)i;
  }
  /* Only the first 64 bytes have arrived, and it is already too large:
   * the item at offset 63 would end at 65. */
  assert_int_equal(scan_whole(&lim, buf, 64, &len), PROTO_SCAN_TOO_LARGE);
  assert_int_equal(scan_bytewise(&lim, buf, 123, &len, &fed),
                   PROTO_SCAN_TOO_LARGE);
  assert_int_equal(fed, 64);

  /* At the limit with an item still due: refused without waiting for
   * the byte that would cross it. [nil x 59, uint8, <one more due>]: the
   * uint8's marker at offset 62 says it ends at 64, the limit, and one
   * item is still due, so the value cannot end in time. */
  put_head(buf, 0xdc, 2, 61);
  memset(buf + 3, 0xc0, 59);
  buf[62] = 0xcc;
  buf[63] = 0x01;
  assert_int_equal(scan_whole(&lim, buf, 62, &len), PROTO_SCAN_MORE);
  assert_int_equal(scan_whole(&lim, buf, 63, &len), PROTO_SCAN_TOO_LARGE);
  assert_int_equal(scan_bytewise(&lim, buf, 64, &len, &fed),
                   PROTO_SCAN_TOO_LARGE);
  assert_int_equal(fed, 63);
  /* The same through a payload that has not arrived: a str8 that ends
   * exactly at the limit inside an array that wants one more item. */
  buf[0] = 0x92;
  put_head(buf + 1, 0xd9, 1, 61);
  assert_int_equal(scan_whole(&lim, buf, 3, &len), PROTO_SCAN_TOO_LARGE);

  /* Reaching the limit is reported before whatever follows is read, so
   * the answer does not depend on how the bytes were cut (a regression
   * the fuzzer found: whole, this saw the 0xc1 and said INVALID). */
  {
    static const uint8_t seven[] = {0x94, 0x94, 0xff, 0x01, 0x00,
                                    0x00, 0x10, 0xc1, 0xc1};
    proto_limits_t lim7 = limits(7, 16);
    assert_int_equal(scan_whole(&lim7, seven, sizeof(seven), &len),
                     PROTO_SCAN_TOO_LARGE);
    assert_int_equal(scan_bytewise(&lim7, seven, sizeof(seven), &len, &fed),
                     PROTO_SCAN_TOO_LARGE);
    assert_int_equal(fed, 7);
  }

  /* A value of exactly max_message bytes is fine. */
  put_head(buf, 0xd9, 1, 62);
  memset(buf + 2, 'x', 62);
  assert_int_equal(scan_whole(&lim, buf, 64, &len), PROTO_SCAN_DONE);
  assert_int_equal(len, 64);

  /* A header that cannot fit is refused from its marker alone. */
  buf[0] = 0x92;
  put_head(buf + 1, 0xd9, 1, 58);
  memset(buf + 3, 'x', 58);
  buf[61] = 0xdb; /* str32: 5 header bytes at offset 61 */
  assert_int_equal(scan_whole(&lim, buf, 62, &len), PROTO_SCAN_TOO_LARGE);
  buf[61] = 0xcf; /* uint64: 9 bytes at offset 61 */
  assert_int_equal(scan_whole(&lim, buf, 62, &len), PROTO_SCAN_TOO_LARGE);
  buf[61] = 0xcc; /* uint8: 2 bytes end at 63 */
  buf[62] = 0x01;
  assert_int_equal(scan_whole(&lim, buf, 63, &len), PROTO_SCAN_DONE);
  assert_int_equal(len, 63);
}

static void test_strerror(void **state) {
  static const proto_scan_result_t bad[] = {
      PROTO_SCAN_INVALID, PROTO_SCAN_TOO_LARGE, PROTO_SCAN_TOO_DEEP,
      PROTO_SCAN_BAD_COUNT};
  static const proto_code_t codes[] = {PROTO_BAD_REQUEST, PROTO_TOO_LARGE,
                                       PROTO_TOO_LARGE, PROTO_TOO_LARGE};
  proto_limits_t lim = default_limits();
  proto_error_t err;
  (void)state;

  for (size_t i = 0; i < 4; i++) {
    const char *s = proto_scan_strerror(bad[i]);
    assert_non_null(s);
    assert_true(strlen(s) > 10);
    assert_int_equal(proto_scan_error(NULL, bad[i], &lim, &err), -1);
    assert_int_equal(err.code, codes[i]);
    assert_true(strlen(err.message) > 10);
    assert_string_equal(err.field, "");
  }
  proto_scan_error(NULL, PROTO_SCAN_TOO_LARGE, &lim, &err);
  assert_non_null(strstr(err.message, "1048576 bytes"));
  proto_scan_error(NULL, PROTO_SCAN_TOO_DEEP, &lim, &err);
  assert_non_null(strstr(err.message, "16 deep"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_format),
      cmocka_unit_test(test_pipelined),
      cmocka_unit_test(test_payload_across_calls),
      cmocka_unit_test(test_large_bytewise),
      cmocka_unit_test(test_chunked_equals_whole),
      cmocka_unit_test(test_invalid_c1),
      cmocka_unit_test(test_array32_max_count),
      cmocka_unit_test(test_map32_2_28),
      cmocka_unit_test(test_str32_huge),
      cmocka_unit_test(test_count_boundaries),
      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_too_large),
      cmocka_unit_test(test_strerror),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
