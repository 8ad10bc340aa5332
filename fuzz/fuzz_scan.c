/*
 * libFuzzer target: the MessagePack scanner (protocol/scan.c).
 *
 * The first four bytes of the input choose the limits and how the rest is
 * cut into chunks; the rest is a byte stream. The stream is scanned twice:
 * whole (each message given every byte that follows it) and in chunks that
 * arrive one after the other (as a socket delivers them, taking each
 * complete message off the front). Both must find the same messages and end
 * with the same result; every message found must lie inside the input and
 * be exactly one value that msgpack-c decodes. Any disagreement aborts.
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

/* Small, odd limits find edge cases that 1 MiB would hide. */
static const size_t max_messages[8] = {
    1, 2, 7, LAN_MAX_MESSAGE_MIN, 255, 4096, 65536, LAN_MAX_MESSAGE_DEFAULT};

/* A tiny generator for chunk sizes (xorshift32); never zero-seeded. */
static uint32_t next_rand(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  proto_limits_t lim;
  proto_decoder_t dec;
  proto_scan_t s;
  proto_scan_result_t whole_end, r = PROTO_SCAN_MORE;
  proto_error_t err;
  size_t *lens, nlens = 0, start = 0, have = 0, idx = 0, len = 0;
  uint32_t x;
  unsigned mode;

  if (size < 4)
    return 0;
  lim.max_depth = data[0] % (LAN_MAX_DEPTH_CAP + 2); /* 33 tests the cap */
  lim.max_message = max_messages[data[1] % 8];
  mode = data[2] % 4;
  x = 0x9e3779b9u ^ ((uint32_t)data[2] << 8) ^ data[3];
  data += 4;
  size -= 4;

  /* Every message takes at least one byte. */
  lens = malloc((size + 1) * sizeof(*lens));
  CHECK(lens != NULL);
  CHECK(proto_decoder_init(&dec) == 0);

  /* Whole. */
  for (;;) {
    msgpack_object obj;

    proto_scan_init(&s);
    whole_end = proto_scan_feed(&s, &lim, data + start, size - start, &len);
    if (whole_end != PROTO_SCAN_DONE)
      break;
    CHECK(len > 0 && len <= size - start);
    CHECK(len <= lim.max_message);
    /* What the scanner lets through, msgpack-c takes as one value. */
    CHECK(proto_decode(&dec, data + start, len, &obj, &err) == 0);
    proto_decoder_reset(&dec);
    lens[nlens++] = len;
    start += len;
  }
  if (whole_end < 0) {
    CHECK(proto_scan_error(&s, whole_end, &lim, &err) == -1);
    CHECK(err.message[0] != '\0');
  } else {
    CHECK(s.off <= lim.max_message);
  }

  /* Chunked. */
  proto_scan_init(&s);
  start = 0;
  while (have < size) {
    size_t chunk = mode == 0   ? 1
                   : mode == 1 ? 1 + next_rand(&x) % 8
                   : mode == 2 ? 1 + next_rand(&x) % 256
                               : 1 + next_rand(&x) % size;
    have = chunk < size - have ? have + chunk : size;
    while ((r = proto_scan_feed(&s, &lim, data + start, have - start, &len)) ==
           PROTO_SCAN_DONE) {
      CHECK(idx < nlens);
      CHECK(len == lens[idx]);
      idx++;
      start += len;
    }
    if (r != PROTO_SCAN_MORE)
      break;
    CHECK(s.started || have == start);
    CHECK(s.off <= lim.max_message);
  }
  CHECK(r == whole_end);
  CHECK(idx == nlens);

  proto_decoder_destroy(&dec);
  free(lens);
  return 0;
}
