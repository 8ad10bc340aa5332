/*
 * One tournament game, played in-process (tournament.h): the model and
 * the agents, turn by turn, to the final scores.
 */
#include "tournament_internal.h"

/* ---- One game ---- */

int tour_play(const model_map_t *map,
              const agent_strategy_t *const *seat_strategy, uint64_t seed,
              tour_seat_result_t *out, uint8_t hash[MODEL_HASH_BYTES]) {
  size_t n = model_map_seat_count(map);
  model_state_t *st = NULL;
  int rc = model_state_new(map, seed, &st);
  if (rc != 0)
    return rc;
  agent_t **agents = calloc(n ? n : 1, sizeof *agents);
  model_order_t *orders = malloc(MODEL_ORDERS_MAX * sizeof *orders);
  if (!agents || !orders) {
    rc = MODEL_ENOMEM;
    goto done;
  }
  for (size_t s = 0; s < n; s++) {
    out[s] = (tour_seat_result_t){0, 0, 0};
    agents[s] = agent_new(seat_strategy[s], tour_agent_seed(seed, s));
    if (!agents[s]) {
      rc = MODEL_ENOMEM;
      goto done;
    }
  }
  /* `standing` sends nothing, ever (agents/standing.c): its seats skip the
   * observation, a fifth of the cost of a classroom game, and play their
   * standing orders exactly as if it had been asked. */
  const agent_strategy_t *standing = agent_find("standing");
  while (model_state_turn(st) < model_state_turns(st)) {
    for (size_t s = 0; s < n; s++) {
      model_obs_t *obs = NULL;
      size_t k = 0, refused = 0;
      if (seat_strategy[s] == standing)
        continue;
      rc = model_observe(st, (int)s, &obs);
      if (rc != 0)
        goto done;
      /* As in the server (sess_agent_act): a failing agent stands. */
      if (agent_act(agents[s], obs, orders, MODEL_ORDERS_MAX, &k) != 0) {
        out[s].failed++;
        k = 0;
      }
      model_obs_free(obs);
      if (k == 0)
        continue;
      rc = model_submit(st, (int)s, orders, k, NULL, 0, &refused);
      if (rc != 0)
        goto done;
      out[s].refused += (int32_t)refused;
    }
    rc = model_resolve(st);
    if (rc != 0)
      goto done;
  }
  const model_report_t *rep = model_last_report(st);
  for (size_t s = 0; s < n; s++)
    out[s].score = rep->scores[s];
  if (hash)
    rc = model_state_hash(st, hash);
done:
  if (agents)
    for (size_t s = 0; s < n; s++)
      agent_free(agents[s]);
  free(agents);
  free(orders);
  model_state_free(st);
  return rc;
}

void tour_tune_malloc(void) {
#ifdef __GLIBC__
  /* 256 MiB: far above a game's footprint, so the heap stays mapped. */
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}
