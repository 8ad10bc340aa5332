/*
 * libFuzzer target: the map loader (model/load.c, model_map_load_string),
 * which reads the JSON of a scenario file from the maps folder.
 *
 * The input is the file's bytes. A map that is refused must say why
 * (a non-empty message); a map that loads must be playable: a game starts
 * on it, every seat observes it, its state serialises and reads back to
 * the same bytes, and one turn resolves with every seat's standing orders.
 * The target never runs a map that would take more than a few milliseconds
 * per turn (see the size cap below), so that it reaches millions of runs.
 *
 * The same file also builds without libFuzzer: tests/unit links it with
 * fuzz/replay_main.c to replay the seeds and regressions in every test run.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not loaded: the shipped classroom map is
 * 11 KB; the fuzzer's findings are in the parsing and checks, not in the
 * size of the world (world-2024, 123 KB, is loaded by every test run). */
#define FUZZ_MAP_MAX_BYTES 32768

static void play(const model_map_t *map) {
  model_state_t *st = NULL, *back = NULL;
  uint8_t *a = NULL, *b = NULL;
  size_t alen = 0, blen = 0;

  CHECK(model_map_seat_count(map) > 0);
  CHECK(model_state_new(map, 42, &st) == 0);
  for (size_t s = 0; s < model_map_seat_count(map); s++) {
    model_obs_t *obs = NULL;

    CHECK(model_map_seat_id(map, s) != NULL);
    CHECK(model_map_seat_index(map, model_map_seat_id(map, s)) == (int)s);
    CHECK(model_observe(st, (int)s, &obs) == 0);
    model_obs_free(obs);
  }
  CHECK(model_state_serialise(st, &a, &alen) == 0);
  CHECK(model_state_deserialise(map, a, alen, &back) == 0);
  CHECK(model_state_serialise(back, &b, &blen) == 0);
  CHECK(alen == blen && memcmp(a, b, alen) == 0);
  if (model_state_turn(st) < model_state_turns(st)) {
    int rc = model_turn(st, NULL, NULL);

    /* A map may load whose figures are too large to keep exact (a price
     * of $777,715/kg on a million tonnes passes int64 in the scores): the
     * turn is then refused as a whole, says why, and leaves the state as
     * it was, byte for byte (model/range.c). Anything else must resolve. */
    if (rc == MODEL_ERANGE) {
      uint8_t *c = NULL;
      size_t clen = 0;

      CHECK(model_last_error(st)[0] != '\0');
      CHECK(model_state_turn(st) == 0);
      CHECK(model_state_serialise(st, &c, &clen) == 0);
      CHECK(clen == alen && memcmp(a, c, alen) == 0);
      free(c);
    } else {
      CHECK(rc == 0);
    }
  }
  free(a);
  free(b);
  model_state_free(back);
  model_state_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  model_map_t *map = NULL;
  model_error_t err;
  int rc;

  if (size > FUZZ_MAP_MAX_BYTES)
    return 0;
  memset(&err, 0, sizeof err);
  rc = model_map_load_string((const char *)data, size, "fuzz.json", &map, &err);
  if (rc != 0) {
    CHECK(map == NULL);
    CHECK(err.message[0] != '\0');
    CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
    return 0;
  }
  CHECK(map != NULL);
  play(map);
  model_map_free(map);
  return 0;
}
