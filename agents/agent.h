/*
 * agent: built-in strategies behind one small interface.
 *
 * An agent sees exactly what a remote player sees (the model's observation,
 * model_obs_t, the struct the protocol layer packs for state.get) and
 * answers with the same orders a player would send (model_order_t); it just
 * skips the encoding. The session layer (server/sess.c) and the headless
 * tournament runner drive agents through this header only.
 *
 * Ownership: agent_new allocates the per-game state; agent_free releases
 * it. Strategies are static tables that live for the program.
 */
#ifndef LANTHANIDE_AGENT_H
#define LANTHANIDE_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct agent_strategy {
  const char *id;          /* "standing", as strategies.list shows it */
  const char *description; /* one sentence: the idea of the strategy */
  size_t state_size;       /* bytes of per-game state, zeroed at start */
  /* Write at most cap orders for this turn into orders, *n their number.
   * state is the agent's per-game memory; seed makes any randomness
   * reproducible (it is derived from the game seed and the seat). Returns
   * 0, or negative on failure (the seat then plays its standing orders). */
  int (*act)(void *state, uint64_t seed, const model_obs_t *obs,
             model_order_t *orders, size_t cap, size_t *n);
} agent_strategy_t;

typedef struct agent agent_t;

/* The built-in strategies, in a fixed order. */
size_t agent_strategy_count(void);
const agent_strategy_t *agent_strategy_at(size_t i);
/* A strategy by id, or NULL. */
const agent_strategy_t *agent_find(const char *id);

/* A new agent playing strategy s with the given seed. NULL if out of
 * memory. */
agent_t *agent_new(const agent_strategy_t *s, uint64_t seed);
void agent_free(agent_t *a);
const agent_strategy_t *agent_strategy(const agent_t *a);

/* Decide this turn's orders (see agent_strategy_t.act). */
int agent_act(agent_t *a, const model_obs_t *obs, model_order_t *orders,
              size_t cap, size_t *n);

#endif
