/*
 * The registry of built-in strategies and the per-game agent wrapper.
 * Each strategy lives in its own file and is listed in `strategies` below.
 */
#include "agent.h"

#include <stdlib.h>
#include <string.h>

extern const agent_strategy_t agent_standing;

static const agent_strategy_t *const strategies[] = {
    &agent_standing,
};

struct agent {
  const agent_strategy_t *s;
  uint64_t seed;
  uint64_t turns; /* turns played, mixed into the seed of each decision */
  unsigned char state[]; /* s->state_size bytes */
};

size_t agent_strategy_count(void) {
  return sizeof strategies / sizeof strategies[0];
}

const agent_strategy_t *agent_strategy_at(size_t i) {
  return i < agent_strategy_count() ? strategies[i] : NULL;
}

const agent_strategy_t *agent_find(const char *id) {
  for (size_t i = 0; i < agent_strategy_count(); i++)
    if (strcmp(strategies[i]->id, id) == 0)
      return strategies[i];
  return NULL;
}

agent_t *agent_new(const agent_strategy_t *s, uint64_t seed) {
  agent_t *a = calloc(1, sizeof *a + s->state_size);
  if (!a)
    return NULL;
  a->s = s;
  a->seed = seed;
  return a;
}

void agent_free(agent_t *a) {
  free(a);
}

const agent_strategy_t *agent_strategy(const agent_t *a) {
  return a->s;
}

int agent_act(agent_t *a, const model_obs_t *obs, model_order_t *orders,
              size_t cap, size_t *n) {
  *n = 0;
  /* A different, reproducible seed each turn: splitmix-style mixing of the
   * game seed and the turn keeps turns independent without hidden state. */
  uint64_t turn_seed = a->seed ^ (0x9e3779b97f4a7c15ULL * (a->turns + 1));
  a->turns++;
  return a->s->act(a->state, turn_seed, obs, orders, cap, n);
}
