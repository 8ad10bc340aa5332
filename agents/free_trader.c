/*
 * The `free_trader` strategy (nations): lift the barriers, let markets
 * clear.
 *
 * Idea: every turn it reads its standing policies from the observation and
 * lifts each one that stands between a buyer and a seller: export quotas,
 * bans and licences (to anyone), tariffs, production quotas, output and
 * capex subsidies, price floors and migration limits; a state stockpile is
 * run down (target 0, sold at the map's discount). It keeps taxes,
 * permitting and talent programmes (they are not trade barriers), and it
 * spends nothing. A policy imposed on it by a scripted event is lifted the
 * next turn.
 *
 * Why it should win: its consumers buy at the world price, its budget is
 * untouched, and selling a stockpile turns stock (worth nothing in the
 * score) into budget; an exporter with the lowest costs sells the most
 * when nobody rations. Why it should lose: its supply security is whatever
 * the market leaves it, so it scores badly against a hawk that rations
 * exports, and its industry gets no help to start.
 */
#include "kit.h"

/* Writes the neutral form of a standing policy p, or nothing when p is
 * not a barrier. */
static void lift(kit_t *k, const model_order_t *p) {
  model_order_t o = *p;
  o.op = MODEL_OP_POLICY;
  switch (p->kind) {
  case MODEL_POL_EXPORT_QUOTA:
  case MODEL_POL_EXPORT_BAN:
  case MODEL_POL_PRODUCTION_QUOTA:
    o.lift = true;
    o.quantity_kg = 0;
    break;
  case MODEL_POL_EXPORT_LICENCE:
    o.approval_ppm = KIT_PPM;
    break;
  case MODEL_POL_TARIFF:
    o.rate_ppm = 0;
    break;
  case MODEL_POL_SUBSIDY:
    o.capex_share_ppm = 0;
    o.output_cents_per_kg = 0;
    break;
  case MODEL_POL_PRICE_FLOOR:
    o.quantity_kg = 0;
    o.price_cents_per_kg = 0;
    break;
  case MODEL_POL_STOCKPILE:
    if (p->target_kg == 0)
      return;
    o.target_kg = 0;
    break;
  case MODEL_POL_MIGRATION:
    o.inbound = o.outbound = true;
    break;
  default:
    return; /* tax, permitting, talent programmes stay */
  }
  model_order_t *w = kit_push(k, MODEL_OP_POLICY);
  if (w)
    *w = o;
}

static int act(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
               size_t cap, size_t *n) {
  (void)seed;
  kit_t k;
  kit_init(&k, obs, orders, cap);
  for (size_t i = 0; i < obs->n_policies; i++)
    lift(&k, &obs->policies[i]);
  /* no state buying or selling outside the stockpile rule */
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    kit_bid(&k, p, 0, 0);
  *n = k.n;
  return 0;
}

const agent_strategy_t agent_free_trader = {
    .id = "free_trader",
    .description = "Nations: lifts every export control, tariff, subsidy, "
                   "price floor and stockpile it has, and lets markets "
                   "clear.",
    .kinds = AGENT_NATION,
    .act = act,
};
