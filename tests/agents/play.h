/* play.h: in-process games of built-in agents, shared by the agent tests.
 *
 * A game runs as the server runs one: each turn every seat is observed,
 * its agent decides, the orders are validated and submitted, and the turn
 * resolves. Every refusal (by model_validate before submission, or late at
 * resolution) is counted and the first one described. */
#ifndef LANTHANIDE_TEST_AGENTS_PLAY_H
#define LANTHANIDE_TEST_AGENTS_PLAY_H

#include "agent.h"
#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The maps in maps/ (every *.json there), sorted by id; fails the test
 * when one of the shipped maps (classroom, cournot, learning, trade,
 * world-2024) is missing. */
size_t play_map_ids(char ids[][MODEL_ID_MAX], size_t cap);
/* Loads maps/<id>.json; fails the test on error. */
model_map_t *play_load(const char *id);

/* The seed the session gives the agent of a seat (server/sess.c). */
uint64_t play_agent_seed(uint64_t game_seed, size_t seat);

typedef struct {
  size_t orders;        /* orders written by agents */
  size_t refused;       /* refused by model_validate */
  size_t late_refused;  /* refused at resolution */
  size_t host_unfunded; /* builds refused because the host nation could not
                           fund its capex subsidy (its money is private to
                           its seat: no firm can see it coming) */
  size_t failures;      /* agent_act returned an error */
  char first[512];      /* the first refusal or failure, described */
  int64_t *scores;      /* final score per seat (caller's array or NULL) */
  uint8_t hash[MODEL_HASH_BYTES]; /* final state hash */
  uint64_t orders_digest; /* FNV-1a over every order written, in order */
  /* called after every resolved turn when set (the caller's, kept) */
  void (*after_turn)(const model_state_t *st, void *ctx);
  void *ctx;
  /* set by the caller (kept): put strat[i] on seatless seats too. The
   * model plays any seat; only a session refuses an agent on a seatless
   * one (issue 11). For tests of a strategy's instruments. */
  bool seatless_agents;
} play_result_t;

/* Plays a whole game of map with seed; seat i is played by strat[i] (NULL,
 * or a seatless seat of the map unless res->seatless_agents: no agent,
 * standing orders). Returns 0, or a
 * model error. */
int play_game(const model_map_t *map, uint64_t seed,
              const agent_strategy_t *const *strat, play_result_t *res);

/* FNV-1a over the fields of orders (no padding bytes). */
uint64_t play_digest_orders(uint64_t h, const model_order_t *o, size_t n);

#endif
