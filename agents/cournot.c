/*
 * The `cournot` strategy (firms): set output to the Cournot best response.
 *
 * Idea: in each stage it works in, the firm treats last turn as one point
 * of a linear inverse demand P(Q) = a - bQ for the stage's output: P is
 * what a kg of throughput fetched at home, Q is rivals' output last turn
 * (the world's output of the stage, public, less its own, and no more than
 * rivals announce they can make) plus its own planned output q. The
 * observation shows no second point (see docs/agents.md), so it assumes
 * unit elasticity there: b = P / Q. With rivals repeating last turn, the
 * best response is
 *   q* = (a - c - b (Q - q)) / 2b = (P - c) Q / 2P + q / 2,
 * c being its marginal cash cost (capacity-weighted opex plus inputs at
 * market). It moves halfway to q* each turn, and by at most a quarter of
 * its plan (several cournot firms answering each other at once would
 * otherwise cycle), runs its cheapest facilities first to make it, offers
 * all it makes at marginal cost (quantity, not price, is its lever), bids
 * for inputs at break-even (at most 5% above last turn's price), and
 * expands when q* needs all it has. At the fixed point its share is
 * (P - c) / P: Lerner's rule with unit elasticity.
 *
 * Why it should win: a firm with a large share (the incumbent's mines and
 * magnets) earns more by holding output back than by flooding its own
 * market, and saves opex on what it does not make. Why it should lose: the
 * unit-elasticity guess is wrong for inelastic rare-earth demand (it holds
 * back too little) and for the cournot map's line (three cournot firms
 * settle at 30 USD/kg and 7,000 t a quarter, where theory has 40 and
 * 6,000: at theory's point the line's elasticity is 2/3, not 1); small
 * firms gain nothing by restraint, rivals that expand take the market it
 * leaves, and a price spike caused by a missing input looks to it like
 * market power.
 */
#include "kit.h"

#include <stdlib.h>

#define ELASTICITY_PPM 1000000 /* assumed |elasticity| at the last point */
#define SPEND_PPM      300000  /* of cash, for an expansion */
#define STEP_PPM       250000  /* most change of output per turn */

/* Plans one stage: sets util[i] of its facilities, returns q* (kg of
 * throughput per turn) and the most it could make (*most); *seen tells
 * whether a market for the stage was observed at all. */
static int64_t plan_stage(const model_obs_t *obs, int s, int64_t *util,
                          int64_t *most, bool *seen) {
  int64_t cap = 0, rec_w = 0, q_own = 0, c_w = 0, plan = 0;
  *most = 0;
  *seen = false;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage != s || f->status == MODEL_FAC_BUILDING)
      continue;
    *most += kit_rate(f, KIT_PPM);
    plan += kit_rate(f, util[i]);
    cap += f->capacity_kg_per_year;
    rec_w += kit_mul_div(f->recovery_ppm, f->capacity_kg_per_year, 1);
    c_w += kit_mul_div(f->unit_cost_cents_per_kg, f->capacity_kg_per_year, 1);
    q_own += s == MODEL_SEPARATION ? kit_mul_div(f->output_kg, KIT_PPM,
                                                 kit_max(f->recovery_ppm, 1))
                                   : f->output_kg;
  }
  if (cap <= 0)
    return 0;
  int64_t rec = rec_w / cap;
  int64_t P = kit_value(obs, s, rec);
  int64_t c = kit_input_cost(obs, s) + c_w / cap;
  int64_t Q = kit_production(obs, s, -1);
  if (s == MODEL_SEPARATION)
    Q = kit_mul_div(Q, KIT_PPM, kit_max(rec, 1));
  int64_t q = plan;
  if (Q > 0 && q_own <= Q) {
    *seen = true;
    /* rivals repeat last turn, within what they announce they can make */
    int64_t rivals = kit_min(Q - q_own, kit_capacity(obs, s, -1) / 4);
    rivals = kit_max(rivals, 0);
    if (P <= c) {
      q = 0;
    } else {
      /* the line through (P, rivals + plan) with the assumed elasticity
       * there: b = P / (e Q'); q* = (a - c - b rivals) / 2b with
       * a = P + b Q', i.e. q* = (P - c) e Q' / 2P + plan / 2 */
      int64_t Qp = rivals + plan;
      q = kit_mul_div(kit_mul_div(P - c, Qp, 2 * P), ELASTICITY_PPM, KIT_PPM) +
          plan / 2;
    }
    /* partial adjustment: halfway to the best response, and by a quarter
     * of the plan at most, per turn; simultaneous best responses of
     * several firms would otherwise cycle around the equilibrium */
    q = (plan + q) / 2;
    q = kit_clamp(q, kit_ppm(plan, KIT_PPM - STEP_PPM),
                  kit_max(kit_ppm(plan, KIT_PPM + STEP_PPM), *most / 10));
  }
  q = kit_clamp(q, 0, *most);
  /* merit order: cheapest opex first */
  int64_t left = q;
  bool *done = calloc(obs->n_facilities + 1, sizeof *done);
  if (!done)
    return q;
  for (;;) {
    size_t pick = obs->n_facilities;
    for (size_t i = 0; i < obs->n_facilities; i++) {
      const model_obs_facility_t *f = &obs->facilities[i];
      if (done[i] || f->stage != s || f->status == MODEL_FAC_BUILDING)
        continue;
      if (pick == obs->n_facilities ||
          f->unit_cost_cents_per_kg <
              obs->facilities[pick].unit_cost_cents_per_kg)
        pick = i;
    }
    if (pick == obs->n_facilities)
      break;
    done[pick] = true;
    int64_t r = kit_rate(&obs->facilities[pick], KIT_PPM);
    int64_t take = kit_min(r, left);
    util[pick] = r > 0 && take < r ? kit_mul_div(take, KIT_PPM, r) : KIT_PPM;
    left -= take;
  }
  free(done);
  return q;
}

static int act(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
               size_t cap, size_t *n) {
  (void)seed;
  kit_t k;
  kit_init(&k, obs, orders, cap);
  int64_t *util = kit_util_new(obs);
  if (!util)
    return -1;
  for (int s = 0; s < KIT_CHAIN_STAGES; s++) {
    int64_t most;
    bool seen;
    int64_t q = plan_stage(obs, s, util, &most, &seen);
    const model_obs_facility_t *f = kit_largest_idle(obs, s);
    /* the best response wants more than the stage can make: grow by the
     * gap (in kg/yr), if the stage pays */
    if (seen && f && most > 0 && q >= kit_ppm(most, 950000) &&
        !kit_stage_busy(obs, s) && kit_margin(obs, f) > 0)
      kit_build(&k, s, f, kit_max(4 * (q - most), f->capacity_kg_per_year / 4),
                kit_ppm(obs->cash_cents, SPEND_PPM));
  }
  for (size_t i = 0; i < obs->n_facilities; i++)
    kit_operate(&k, &obs->facilities[i], util[i]);
  kit_staff_for(&k, util, false);

  int64_t ask[MODEL_PRODUCTS], bid[MODEL_PRODUCTS];
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    int64_t c = kit_own_cost(obs, p);
    ask[p] = c >= 0 ? c : kit_ppm(kit_price(obs, p), 900000);
    int64_t be = kit_break_even(obs, p);
    bid[p] = be > 0 ? kit_min(be, kit_ppm(kit_price(obs, p), 1050000)) : -1;
  }
  kit_firm_trade(&k, util, ask, bid, KIT_PPM);
  free(util);
  *n = k.n;
  return 0;
}

const agent_strategy_t agent_cournot = {
    .id = "cournot",
    .description = "Firms: sets each stage's output to the Cournot best "
                   "response to rivals' last output, on a linear demand "
                   "through last turn's price and volume.",
    .kinds = AGENT_FIRM,
    .act = act,
};
