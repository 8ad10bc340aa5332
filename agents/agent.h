/*
 * agent: built-in strategies behind one small interface.
 *
 * An agent sees exactly what a remote player sees (the model's observation,
 * model_obs_t, the struct the protocol layer packs for state.get) and
 * answers with the same orders a player would send (model_order_t); it just
 * skips the encoding. The session layer (server/sess.c) and the headless
 * tournament runner drive agents through this header only. docs/agents.md
 * describes the interface and every strategy.
 *
 * Determinism (the rule every strategy keeps): a decision depends only on
 * the observation, the agent's seed and the turn. There is no per-game
 * hidden state: the server restores a crashed game by replaying stored
 * orders and re-creating its agents, and a strategy that remembered
 * something the observation does not show would then play differently.
 * What a strategy needs to remember it reads back from the observation
 * (its facilities under construction, its standing offers and bids, its
 * policies, last turn's market).
 *
 * Ownership: agent_new allocates an agent (the strategy and the seed);
 * agent_free releases it. Strategies are static tables that live for the
 * program.
 */
#ifndef LANTHANIDE_AGENT_H
#define LANTHANIDE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The kinds of seat a strategy plays (agent_strategy_t.kinds), one bit per
 * model_seat_kind_t. A tournament assigns a strategy only to seats of a
 * kind it plays; a strategy put on a seat of another kind (a facilitator
 * may do that) plays standing orders there. */
#define AGENT_NATION (1u << MODEL_SEAT_NATION)
#define AGENT_FIRM   (1u << MODEL_SEAT_FIRM)
#define AGENT_BOTH   (AGENT_NATION | AGENT_FIRM)

typedef struct agent_strategy {
  const char *id;          /* "standing", as strategies.list shows it */
  const char *description; /* one sentence: the idea of the strategy */
  unsigned kinds;          /* AGENT_NATION, AGENT_FIRM or AGENT_BOTH */
  /* Write at most cap orders for this turn into orders, *n their number
   * (0: keep the standing orders). seed is this turn's seed, derived from
   * the agent's seed and obs->turn, so the same observation and seed give
   * the same orders. Every order must pass model_validate: a strategy
   * respects the rules from what the observation shows. Returns 0, or
   * negative on failure (the seat then plays its standing orders). */
  int (*act)(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
             size_t cap, size_t *n);
} agent_strategy_t;

typedef struct agent agent_t;

/* The built-in strategies, in a fixed order. */
size_t agent_strategy_count(void);
const agent_strategy_t *agent_strategy_at(size_t i);
/* A strategy by id, or NULL. */
const agent_strategy_t *agent_find(const char *id);
/* Whether s plays seats of this kind (model_seat_kind_t). */
bool agent_strategy_plays(const agent_strategy_t *s, int kind);

/* A new agent playing strategy s with the given seed (the session derives
 * it from the game seed and the seat). NULL if out of memory. */
agent_t *agent_new(const agent_strategy_t *s, uint64_t seed);
void agent_free(agent_t *a);
const agent_strategy_t *agent_strategy(const agent_t *a);

/* The seed a strategy gets for a turn: a mix of the agent's seed and the
 * turn, the same however often and in whatever order turns are played. */
uint64_t agent_turn_seed(uint64_t seed, int32_t turn);

/* Decide this turn's orders (see agent_strategy_t.act). A seat of a kind
 * the strategy does not play gets no orders (standing). Calling it twice
 * with the same observation gives the same orders. */
int agent_act(agent_t *a, const model_obs_t *obs, model_order_t *orders,
              size_t cap, size_t *n);

/* A plain-language briefing of seat's situation (agents/describe.c): what
 * changed in the last turn, where the seat stands, what it can order this
 * turn and what each order costs, and what its score rewards; what
 * state.describe answers. turns (> 0) overrides the map's turns, as a
 * session's do. *out is malloc'd (the caller frees it), *len bytes plus a
 * NUL. Returns 0 or a negative model_err_t. */
int agent_describe(const model_state_t *st, int seat, int turns, char **out,
                   size_t *len);

#endif
