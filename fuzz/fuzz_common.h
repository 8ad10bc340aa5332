/*
 * What the fuzz targets of fuzz/ share: a CHECK that aborts (so libFuzzer
 * and the replay both see a failed property as a crash, in every build
 * type), and the shipped maps, loaded once per process from the source
 * tree's maps/ folder (LAN_SOURCE_MAPS, set by the top-level CMake).
 */
#ifndef LANTHANIDE_FUZZ_COMMON_H
#define LANTHANIDE_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "model.h"

#ifndef LAN_SOURCE_MAPS
#define LAN_SOURCE_MAPS "maps"
#endif

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* The shipped maps, in the order a fuzz input's map byte selects them
 * (byte % FUZZ_MAPS). The seeds of fuzz_state depend on this order: add
 * new maps at the end. */
#define FUZZ_MAPS 6
static const char *const fuzz_map_names[FUZZ_MAPS] = {
    "classroom", "cournot", "learning", "trade", "world-2024", "race-2028"};

/* Map i (0 <= i < FUZZ_MAPS), loaded on first use and kept for the life of
 * the process; aborts if the shipped file does not load. */
static inline const model_map_t *fuzz_map(size_t i) {
  static model_map_t *maps[FUZZ_MAPS];
  char path[1024];
  model_error_t err;

  if (!maps[i]) {
    snprintf(path, sizeof path, "%s/%s.json", LAN_SOURCE_MAPS,
             fuzz_map_names[i]);
    if (model_map_load_file(path, &maps[i], &err) != 0) {
      fprintf(stderr, "fuzz: cannot load %s: %s\n", path, err.message);
      abort();
    }
  }
  return maps[i];
}

#endif
