/* model_hash.c: prints the state hash after every turn of a map under
 * standing orders: `model-hash MAP.json SEED`. Two runs in two processes
 * must print the same lines (tests/model/cross_process.cmake). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: model-hash MAP.json SEED\n");
    return 2;
  }
  model_map_t *m;
  model_error_t e;
  int rc = model_map_load_file(argv[1], &m, &e);
  if (rc) {
    fprintf(stderr, "%s:%d:%d: %s\n", e.file, e.line, e.column, e.message);
    return 1;
  }
  model_state_t *st;
  if ((rc = model_state_new(m, strtoull(argv[2], NULL, 10), &st))) {
    fprintf(stderr, "model_state_new: %s\n", model_strerror(rc));
    model_map_free(m);
    return 1;
  }
  for (;;) {
    uint8_t h[MODEL_HASH_BYTES];
    if ((rc = model_state_hash(st, h)))
      break;
    printf("%d ", model_state_turn(st));
    for (int i = 0; i < MODEL_HASH_BYTES; i++)
      printf("%02x", h[i]);
    printf("\n");
    if (model_state_turn(st) >= model_state_turns(st))
      break;
    if ((rc = model_resolve(st)))
      break;
  }
  model_state_free(st);
  model_map_free(m);
  if (rc)
    fprintf(stderr, "model-hash: %s\n", model_strerror(rc));
  return rc ? 1 : 0;
}
