/*
 * The `standing` strategy: sends nothing new, so the seat keeps playing the
 * orders standing from the map (operate, offer, bid, policies). The baseline
 * every other strategy is measured against, and what a seat plays when its
 * player is gone and the facilitator hands it to an agent.
 *
 * Why it wins or loses: it wins wherever the map's opening orders are
 * already good and the world stays calm (a map's standing orders are set
 * near the calibrated year's behaviour); it loses as soon as prices move,
 * because it never builds, trains, reprices or answers a rival's policy.
 */
#include "agent.h"

static int act(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
               size_t cap, size_t *n) {
  (void)seed;
  (void)obs;
  (void)orders;
  (void)cap;
  *n = 0;
  return 0;
}

const agent_strategy_t agent_standing = {
    .id = "standing",
    .description = "Does nothing new: plays the standing orders of the map "
                   "(utilisation, offers, bids, policies) every turn.",
    .kinds = AGENT_BOTH,
    .act = act,
};
