/*
 * libFuzzer target: model_state_deserialise, which reads the state blobs
 * of the database (store/: the states table) when a server restarts.
 *
 * The first byte of the input picks the shipped map the blob is read
 * against (fuzz_common.h's order); the rest is the blob. Whatever the
 * bytes, reading must end in a state or an error, never a crash, a leak
 * or an allocation beyond the blob's size. A state that is read must
 * serialise, read back and serialise again to the same bytes, hash, and
 * be observable by every seat.
 *
 * The seeds (fuzz/seeds/fuzz_state/) are real states of every shipped map
 * at a few turns, written by fuzz/make_model_seeds.c.
 *
 * The same file also builds without libFuzzer: tests/unit links it with
 * fuzz/replay_main.c to replay the seeds and regressions in every test run.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const model_map_t *map;
  model_state_t *st = NULL, *back = NULL;
  uint8_t *a = NULL, *b = NULL, hash[MODEL_HASH_BYTES];
  size_t alen = 0, blen = 0;

  if (size < 1)
    return 0;
  map = fuzz_map(data[0] % FUZZ_MAPS);
  if (model_state_deserialise(map, data + 1, size - 1, &st) != 0) {
    CHECK(st == NULL);
    return 0;
  }
  CHECK(st != NULL);
  CHECK(model_state_map(st) == map);
  CHECK(model_state_serialise(st, &a, &alen) == 0);
  CHECK(model_state_deserialise(map, a, alen, &back) == 0);
  CHECK(model_state_serialise(back, &b, &blen) == 0);
  CHECK(alen == blen && memcmp(a, b, alen) == 0);
  CHECK(model_state_hash(st, hash) == 0);
  for (size_t s = 0; s < model_map_seat_count(map); s++) {
    model_obs_t *obs = NULL;

    CHECK(model_observe(st, (int)s, &obs) == 0);
    model_obs_free(obs);
  }
  free(a);
  free(b);
  model_state_free(back);
  model_state_free(st);
  return 0;
}
