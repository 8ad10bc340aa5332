/*
 * The registry of built-in strategies and the agent wrapper.
 * Each strategy lives in its own file and is listed in `strategies` below;
 * strategies.list shows them in this order.
 */
#include "agent.h"

#include <stdlib.h>
#include <string.h>

extern const agent_strategy_t agent_standing;
extern const agent_strategy_t agent_random;
extern const agent_strategy_t agent_expander;
extern const agent_strategy_t agent_integrator;
extern const agent_strategy_t agent_cournot;
extern const agent_strategy_t agent_cautious;
extern const agent_strategy_t agent_hawk;
extern const agent_strategy_t agent_free_trader;
extern const agent_strategy_t agent_builder;

static const agent_strategy_t *const strategies[] = {
    &agent_standing,   &agent_random,      &agent_expander,
    &agent_integrator, &agent_cournot,     &agent_cautious,
    &agent_hawk,       &agent_free_trader, &agent_builder,
};

/* Only the seed: everything else a strategy uses comes from the
 * observation (agent.h, "Determinism"). */
struct agent {
  const agent_strategy_t *s;
  uint64_t seed;
};

size_t agent_strategy_count(void) {
  return sizeof strategies / sizeof strategies[0];
}

const agent_strategy_t *agent_strategy_at(size_t i) {
  return i < agent_strategy_count() ? strategies[i] : NULL;
}

const agent_strategy_t *agent_find(const char *id) {
  if (!id)
    return NULL;
  for (size_t i = 0; i < agent_strategy_count(); i++)
    if (strcmp(strategies[i]->id, id) == 0)
      return strategies[i];
  return NULL;
}

bool agent_strategy_plays(const agent_strategy_t *s, int kind) {
  return s && kind >= 0 && kind <= MODEL_SEAT_FIRM &&
         (s->kinds & (1u << kind)) != 0;
}

agent_t *agent_new(const agent_strategy_t *s, uint64_t seed) {
  if (!s)
    return NULL;
  agent_t *a = calloc(1, sizeof *a);
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

uint64_t agent_turn_seed(uint64_t seed, int32_t turn) {
  /* splitmix64's finaliser over the seed and the turn: neighbouring turns
   * (and seeds) give unrelated streams, and no call counter is involved,
   * so a re-created agent decides turn t exactly as the first one did. */
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * ((uint64_t)(uint32_t)turn + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int agent_act(agent_t *a, const model_obs_t *obs, model_order_t *orders,
              size_t cap, size_t *n) {
  *n = 0;
  if (!a || !obs || (cap && !orders))
    return -1;
  if (!agent_strategy_plays(a->s, (int)obs->kind))
    return 0; /* not its kind of seat: standing orders */
  if (cap > MODEL_ORDERS_MAX)
    cap = MODEL_ORDERS_MAX;
  int rc = a->s->act(agent_turn_seed(a->seed, obs->turn), obs, orders, cap, n);
  if (rc != 0 || *n > cap) {
    *n = 0;
    return rc != 0 ? rc : -1;
  }
  /* A firm in receivership may only offer what it holds and idle its
   * plants (docs/model.md, "Money limits"): the rest would be refused, so
   * no strategy needs to know. */
  if (obs->finance && obs->receivership_turns > 0) {
    size_t w = 0;
    for (size_t i = 0; i < *n; i++)
      if (orders[i].op == MODEL_OP_OFFER ||
          (orders[i].op == MODEL_OP_OPERATE && orders[i].utilisation_ppm == 0))
        orders[w++] = orders[i];
    *n = w;
  }
  return 0;
}
