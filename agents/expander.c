/*
 * The `expander` strategy (firms): a greedy capacity builder.
 *
 * Idea: whenever a stage the firm already works in earns a margin of at
 * least 30% over its cash cost (opex plus inputs at last turn's prices),
 * add capacity there: double the largest facility of the stage
 * (brownfield: cheaper and faster than a new site), spending up to 60% of
 * the cash, one project per stage at a time, and only where the project is
 * done (at the map's lead times) at least four turns before the game ends.
 * Mines are the exception: a new mine at the best open deposit (basket
 * value at last turn's prices less its opex, kit_best_deposit) is opened
 * instead when it mines cheaper than the firm's largest mine, or, for a
 * firm that separates but has no mine, when concentrate sells 30% over
 * the new mine's opex. Everything runs at full utilisation, staff are
 * hired from the home pool for plants that run now and trained for the
 * rest, output is offered at cost plus 10%, and inputs are bid for, a
 * quarter turn ahead,
 * at up to 90% of what would still break even downstream (never more
 * than 10% above last turn's price: the market clears at one price, and a
 * buyer short of supply sets it).
 *
 * Why it should win: where demand grows and prices sit far above cost (the
 * classroom's magnets), capacity is the scarce thing and the first to
 * build takes the rent; a facility's book value counts in net worth, so
 * building costs the score only depreciation until the plant pays.
 * Why it should lose: it ignores what rivals build, so together expanders
 * glut a market and sell at cost; cost-plus offers leave the rent to
 * buyers; on maps with long lead times (world-2024's mines and
 * separation) the capital sits idle for years; it buys inputs dear.
 */
#include "kit.h"

#include <stdlib.h>

#define MARGIN_PPM 300000  /* build when margin >= 30% of cash cost */
#define GROWTH_PPM 1000000 /* each project doubles the facility */
#define SPEND_PPM  600000  /* of cash, per project */
#define USE_TURNS  4       /* a project must run this many turns */

/* Does a project of stage s in nation n, brownfield or not, finish
 * USE_TURNS before the game ends? */
static bool in_time(const model_obs_t *obs, int s, int n, bool brown) {
  return n >= 0 &&
         kit_lead(obs, s, n, brown) + USE_TURNS <= obs->turns - obs->turn;
}

/* A new mine at the best deposit instead of expanding the largest mine
 * (f, or NULL when the firm has none). Returns true if one was ordered. */
static bool new_mine(kit_t *k, const model_obs_facility_t *f) {
  const model_obs_t *obs = k->obs;
  int d = kit_best_deposit(obs);
  if (d < 0)
    return false;
  int64_t cost = kit_deposit_cost(obs, (size_t)d);
  int64_t price = kit_price(obs, MODEL_CONCENTRATE);
  if (price - cost < kit_ppm(kit_max(cost, 1), MARGIN_PPM))
    return false;
  int64_t size;
  if (f) {
    /* a cheaper deposit than the mine it would otherwise double */
    if (cost >= f->unit_cost_cents_per_kg)
      return false;
    size = kit_ppm(f->capacity_kg_per_year, GROWTH_PPM);
  } else {
    /* no mine yet: one that feeds the firm's separation */
    size = kit_stage_capacity(obs, MODEL_SEPARATION);
  }
  int n = kit_nation(obs, obs->deposits[d].nation);
  if (!in_time(obs, MODEL_MINING, n, false))
    return false;
  return kit_build_mine(k, (size_t)d, size,
                        kit_ppm(obs->cash_cents, SPEND_PPM)) > 0;
}

static int act(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
               size_t cap, size_t *n) {
  (void)seed;
  kit_t k;
  kit_init(&k, obs, orders, cap);
  int64_t *util = kit_util_new(obs);
  if (!util)
    return -1;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    util[i] = KIT_PPM;
    kit_operate(&k, &obs->facilities[i], util[i]);
  }

  for (int s = 0; s < KIT_CHAIN_STAGES; s++) {
    if (kit_stage_busy(obs, s))
      continue;
    const model_obs_facility_t *f = kit_largest_idle(obs, s);
    if (s == MODEL_MINING && (f || kit_stage_capacity(obs, MODEL_SEPARATION)) &&
        new_mine(&k, f))
      continue;
    if (!f || !in_time(obs, s, kit_nation(obs, f->nation), true))
      continue;
    int64_t cost = kit_input_cost(obs, s) + f->unit_cost_cents_per_kg;
    if (kit_margin(obs, f) < kit_ppm(kit_max(cost, 1), MARGIN_PPM))
      continue;
    kit_build(&k, s, f, kit_ppm(f->capacity_kg_per_year, GROWTH_PPM),
              kit_ppm(obs->cash_cents, SPEND_PPM));
  }
  kit_staff_for(&k, util, true);

  int64_t ask[MODEL_PRODUCTS], bid[MODEL_PRODUCTS];
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    int64_t c = kit_own_cost(obs, p);
    ask[p] = c >= 0 ? kit_ppm(c, 1100000) : kit_ppm(kit_anchor(obs, p), 900000);
    int64_t be = kit_break_even(obs, p);
    bid[p] = be > 0 ? kit_min(kit_ppm(be, 900000),
                              kit_ppm(kit_anchor(obs, p), 1100000))
                    : -1;
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    ask[p] = kit_in_band(obs, p, ask[p]);
    bid[p] = kit_in_band(obs, p, bid[p]);
  }
  kit_firm_trade(&k, util, ask, bid, 1250000);
  free(util);
  *n = k.n;
  return 0;
}

const agent_strategy_t agent_expander = {
    .id = "expander",
    .description = "Firms: greedy builder; expands any stage it works in "
                   "whose margin tops 30% of cost, runs flat out, sells at "
                   "cost plus 10%.",
    .kinds = AGENT_FIRM,
    .act = act,
};
