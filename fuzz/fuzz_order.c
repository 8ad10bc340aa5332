/*
 * libFuzzer target: one seat's orders as orders.submit carries them,
 * through protocol/proto_types.c (proto_order_parse) and then the model's
 * own checks (model_validate) on a classroom game at turn 0.
 *
 * The first byte of the input picks the seat; the rest is a stream of
 * MessagePack values, each framed and decoded with the wire's limits as
 * the server does. A value that is an array is taken as a submission (its
 * elements are the orders, at most MODEL_ORDERS_MAX as on the wire); any
 * other value as one order. Properties checked:
 *   - a refusal says which field and why (non-empty message, code
 *     invalid_order or the like), and a parsed order carries a valid op;
 *   - a parsed order packs back (proto_pack_order) to a map that parses
 *     to the same order, field for field (the wire's units round-trip);
 *   - model_validate returns 0 on any parsed submission and refuses at
 *     most one refusal per order, each pointing at an order that exists.
 *
 * The same file also builds without libFuzzer: tests/unit links it with
 * fuzz/replay_main.c to replay the seeds and regressions in every test run.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "proto.h"
#include "proto_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static proto_decoder_t in_dec, back_dec;
static model_state_t *game;
static model_order_t orders[MODEL_ORDERS_MAX];
static model_refusal_t refusals[MODEL_ORDERS_MAX];

/* Parse one order; on success check that it survives packing. */
static int parse_one(const msgpack_object *o, model_order_t *out) {
  model_refusal_t r;
  model_order_t again;
  proto_buf_t buf;
  msgpack_packer pk;
  msgpack_object back;
  proto_error_t err;
  int rc;

  memset(out, 0, sizeof *out);
  rc = proto_order_parse(o, out, &r);
  CHECK(rc == 0 || rc == -1);
  if (rc != 0) {
    CHECK(r.message[0] != '\0');
    CHECK(memchr(r.message, '\0', sizeof r.message) != NULL);
    CHECK(memchr(r.field, '\0', sizeof r.field) != NULL);
    return -1;
  }
  CHECK(out->op >= 0 && out->op < MODEL_OPS);
  CHECK(memchr(out->facility, '\0', sizeof out->facility) != NULL);
  CHECK(memchr(out->site, '\0', sizeof out->site) != NULL);
  CHECK(memchr(out->partner, '\0', sizeof out->partner) != NULL);

  proto_buf_init(&buf);
  proto_packer_init(&pk, &buf);
  CHECK(proto_pack_order(&pk, out) == 0);
  CHECK(proto_decode(&back_dec, (const uint8_t *)buf.data, buf.len, &back,
                     &err) == 0);
  memset(&again, 0, sizeof again);
  if (proto_order_parse(&back, &again, &r) != 0) {
    fprintf(stderr, "an accepted order packs to one refused: %s: %s\n", r.field,
            r.message);
    abort();
  }
  CHECK(memcmp(&again, out, sizeof again) == 0);
  proto_decoder_reset(&back_dec);
  proto_buf_free(&buf);
  return 0;
}

static void validate(size_t seat, size_t n) {
  size_t n_refused = SIZE_MAX;

  CHECK(model_validate(game, (int)seat, orders, n, refusals, MODEL_ORDERS_MAX,
                       &n_refused) == 0);
  CHECK(n_refused <= n);
  for (size_t i = 0; i < n_refused; i++) {
    CHECK(refusals[i].index < n);
    CHECK(refusals[i].message[0] != '\0');
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  proto_limits_t lim;
  size_t seat, start = 0;

  if (!game) {
    CHECK(proto_decoder_init(&in_dec) == 0);
    CHECK(proto_decoder_init(&back_dec) == 0);
    CHECK(model_state_new(fuzz_map(0), 7, &game) == 0);
  }
  if (size < 1)
    return 0;
  seat = data[0] % model_map_seat_count(fuzz_map(0));
  data++;
  size--;
  proto_limits_default(&lim);

  while (start < size) {
    proto_scan_t s;
    proto_error_t err;
    msgpack_object obj;
    size_t len = 0, n = 0;

    proto_scan_init(&s);
    if (proto_scan_feed(&s, &lim, data + start, size - start, &len) !=
        PROTO_SCAN_DONE)
      break;
    if (proto_decode(&in_dec, data + start, len, &obj, &err) == 0) {
      if (obj.type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < obj.via.array.size && n < MODEL_ORDERS_MAX;
             i++)
          if (parse_one(&obj.via.array.ptr[i], &orders[n]) == 0)
            n++;
      } else if (parse_one(&obj, &orders[0]) == 0) {
        n = 1;
      }
      validate(seat, n);
    }
    proto_decoder_reset(&in_dec);
    start += len;
  }
  return 0;
}
