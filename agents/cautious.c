/*
 * The `cautious` strategy (firms): protect the cash, earn on what exists.
 *
 * Idea: run a facility only while it covers its cash cost (opex plus
 * inputs at last turn's prices), otherwise idle it; never sell below cost
 * plus 20% nor below 95% of last turn's price (no dumping into a falling
 * market); bid for one turn of inputs at no more than 5% above last
 * turn's price (a price creeps by cents from turn to turn) and 80% of
 * break-even. Build only when a 25% brownfield
 * expansion pays back its capex (the map's, less the facility's nation's
 * announced capex subsidy) within four turns (a year) of margin, with
 * the expansion's lead time (the map's, at the nation's permitting speed)
 * and four turns of ramp-up still left in the game after that payback. Builds
 * and training together spend at most a quarter of the cash in a turn: the firm
 * always keeps three quarters as a buffer. Staff with no facility of their
 * skill are released (wages are a cash drain); trainees are ordered only for
 * facilities that run.
 *
 * Why it should win: on volatile maps (events, export controls, rivals
 * that glut a market) it never books a loss-making turn at a plant and its
 * inventory is valued at market rather than sold off cheap; it keeps the
 * score's cash. Why it should lose: where capacity is the scarce thing it
 * lets rivals take the growth, and its high asks leave output unsold when
 * prices fall.
 */
#include "kit.h"

#include <stdlib.h>

#define GROWTH_PPM  250000 /* an expansion adds a quarter */
#define PAYBACK_MAX 4      /* turns of margin to repay capex */
#define RAMP_ALLOW  4      /* turns allowed for ramping up */
#define SPEND_PPM   250000 /* of cash, at most, per turn */

/* The capex subsidy share (ppm) the nation announces for a stage. */
static int64_t capex_subsidy(const model_obs_t *obs, const char *nation,
                             int stage) {
  int n = kit_nation(obs, nation);
  for (size_t i = 0; i < obs->n_public_policies; i++) {
    const model_obs_policy_t *p = &obs->public_policies[i];
    if (p->nation == n && p->policy.kind == MODEL_POL_SUBSIDY &&
        p->policy.stage == stage)
      return kit_clamp(p->policy.capex_share_ppm, 0, KIT_PPM);
  }
  return 0;
}

static int act(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
               size_t cap, size_t *n) {
  (void)seed;
  kit_t k;
  kit_init(&k, obs, orders, cap);
  /* builds and training together spend at most a quarter of the cash */
  k.purse = kit_ppm(k.purse, SPEND_PPM);
  int64_t *util = kit_util_new(obs);
  if (!util)
    return -1;
  bool has_stage[MODEL_STAGES] = {false, false, false};
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    has_stage[f->stage] = true;
    util[i] = kit_margin(obs, f) > 0 ? KIT_PPM : 0;
    kit_operate(&k, f, util[i]);
  }

  int left = obs->turns - obs->turn;
  for (int s = 0; s < KIT_CHAIN_STAGES && k.purse > 0; s++) {
    const model_obs_facility_t *f = kit_largest_idle(obs, s);
    if (!f || kit_stage_busy(obs, s))
      continue;
    int64_t margin = kit_margin(obs, f);
    if (margin <= 0)
      continue;
    int64_t add = kit_ppm(f->capacity_kg_per_year, GROWTH_PPM);
    int at = kit_nation(obs, f->nation);
    if (at < 0)
      continue;
    int64_t capex = kit_ppm(kit_capex(obs, s, at, add, true),
                            KIT_PPM - capex_subsidy(obs, f->nation, s));
    int64_t per_turn = kit_mul_div(add, margin, 4);
    if (per_turn <= 0 || capex > per_turn * PAYBACK_MAX)
      continue;
    int64_t payback = (capex + per_turn - 1) / per_turn;
    if (payback + kit_lead(obs, s, at, true) + RAMP_ALLOW > left)
      continue;
    kit_build(&k, s, f, add, k.purse);
  }

  for (int s = 0; s < kit_ns(obs); s++)
    if (!has_stage[s])
      kit_release(&k, s, obs->staff[s]);
  kit_staff_for(&k, util, false);

  int64_t ask[MODEL_PRODUCTS], bid[MODEL_PRODUCTS];
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    int64_t price = kit_anchor(obs, p);
    int64_t c = kit_own_cost(obs, p);
    ask[p] = kit_max(kit_ppm(price, 950000), c >= 0 ? kit_ppm(c, 1200000) : 0);
    int64_t be = kit_break_even(obs, p);
    bid[p] =
        be > 0 ? kit_min(kit_ppm(be, 800000), kit_ppm(price, 1050000)) : -1;
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    ask[p] = kit_in_band(obs, p, ask[p]);
    bid[p] = kit_in_band(obs, p, bid[p]);
  }
  kit_firm_trade(&k, util, ask, bid, KIT_PPM);
  free(util);
  *n = k.n;
  return 0;
}

const agent_strategy_t agent_cautious = {
    .id = "cautious",
    .description = "Firms: keeps three quarters of its cash, runs only "
                   "plants that cover cost, never dumps, builds only on a "
                   "payback within a year.",
    .kinds = AGENT_FIRM,
    .act = act,
};
