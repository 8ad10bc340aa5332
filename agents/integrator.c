/*
 * The `integrator` strategy (firms): own the chain, not one link.
 *
 * Idea: a firm that mines, separates and makes magnets keeps every margin
 * and never waits on a rival's export licence. Each stage's capacity is
 * measured in kg of NdPr oxide a year it can carry (mines and separation:
 * capacity x NdPr share of the basket x recovery; magnets: capacity x the
 * NdPr recipe). The integrator:
 *  - adds the stage next to its chain that it lacks, separation and magnet
 *    plants downstream of what it has (and separation upstream of a magnet
 *    plant), sized to half of its largest stage, when that stage would earn
 *    at market prices (opex estimated from kit_new_cost_share) or when a
 *    plant of its own ran short of inputs last turn (securing supply has
 *    value of its own);
 *  - otherwise expands its bottleneck stage (brownfield, mines included)
 *    towards the largest one;
 *  - spends up to 40% of cash per project, one project at a time;
 *  - runs everything, keeps one and a half turns of the inputs its own
 *    plants need (selling only the surplus at 95% of market), and bids for
 *    missing inputs at up to their break-even value downstream, capped at
 *    10% above last turn's price.
 *
 * Why it should win: when inputs are scarce (the classroom's Dy/Tb under
 * China's licences, a magnet maker with no oxide) its own upstream keeps
 * its downstream running, and the chain's margin stays in the firm. Why
 * it should lose: it builds where it has no experience (a new separation
 * plant starts at the learning curve's top, low recovery, long lead time),
 * it spreads cash over stages, and it skips the cheapest supplier.
 */
#include "kit.h"

#include <stdlib.h>

#define SPEND_PPM 400000 /* of cash, per project */
#define REC_GUESS 900000 /* recovery of separation the firm does not own */

/* kg of NdPr oxide a year that capacity c (kg/yr) at stage s carries. */
static int64_t ndpr_eq(int s, int64_t c, int64_t rec) {
  if (s == MODEL_MAGNETS)
    return kit_ppm(c, kit_recipe[0]);
  return kit_ppm(kit_ppm(c, kit_basket[0]), rec);
}

/* The capacity (kg/yr) of stage s that carries e kg of NdPr a year. */
static int64_t from_eq(int s, int64_t e, int64_t rec) {
  if (s == MODEL_MAGNETS)
    return kit_mul_div(e, KIT_PPM, kit_recipe[0]);
  int64_t per = kit_ppm(kit_basket[0], rec); /* ppm */
  return kit_mul_div(e, KIT_PPM, kit_max(per, 1));
}

/* Would a new plant at stage s earn at last turn's prices? */
static bool stage_pays(const model_obs_t *obs, int s) {
  int64_t v = kit_value(obs, s, REC_GUESS);
  int64_t c = kit_input_cost(obs, s) + kit_ppm(v, kit_new_cost_share[s]);
  return v > c;
}

/* Did a plant of stage s run short of inputs last turn (made less than
 * 80% of what its capacity and utilisation allowed)? */
static bool starved(const model_obs_t *obs, int s) {
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage != s || kit_busy(f) || s == MODEL_MINING)
      continue;
    int64_t could = kit_rate(f, f->utilisation_ppm);
    if (f->staff_needed > 0)
      could = kit_mul_div(could, kit_min(f->staff, f->staff_needed),
                          f->staff_needed);
    int64_t made = f->output_kg;
    if (s == MODEL_SEPARATION)
      made = kit_mul_div(made, KIT_PPM, kit_max(f->recovery_ppm, 1));
    if (could > 0 && made < kit_ppm(could, 800000))
      return true;
  }
  return false;
}

static void plan_build(kit_t *k) {
  const model_obs_t *obs = k->obs;
  int64_t eq[MODEL_STAGES] = {0, 0, 0};
  bool have[MODEL_STAGES] = {false, false, false};
  int64_t rec = REC_GUESS;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (kit_busy(f))
      return; /* one project at a time */
    if (f->stage == MODEL_SEPARATION)
      rec = f->recovery_ppm;
    have[f->stage] = true;
  }
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    eq[f->stage] += ndpr_eq(f->stage, f->capacity_kg_per_year,
                            f->stage == MODEL_MINING ? REC_GUESS : rec);
  }
  int lo = -1, hi = -1;
  for (int s = 0; s < MODEL_STAGES; s++)
    if (have[s]) {
      if (lo < 0)
        lo = s;
      hi = s;
    }
  if (lo < 0)
    return; /* nothing to integrate with */
  int64_t top = kit_max(kit_max(eq[0], eq[1]), eq[2]);
  int64_t budget = kit_ppm(obs->cash_cents, SPEND_PPM);
  /* the missing link: downstream first, then separation upstream of a
   * magnet-only firm (a new mine needs a deposit the observation does not
   * list) */
  int add = -1;
  for (int s = lo + 1; s < MODEL_STAGES && add < 0; s++)
    if (!have[s])
      add = s;
  if (add < 0 && lo == MODEL_MAGNETS)
    add = MODEL_SEPARATION;
  if (add >= 0) {
    if (stage_pays(obs, add) || starved(obs, hi))
      kit_build(k, add, NULL, from_eq(add, top / 2, REC_GUESS), budget);
    return;
  }
  /* a full chain from lo to magnets: expand its bottleneck */
  int neck = lo;
  for (int s = lo; s < MODEL_STAGES; s++)
    if (eq[s] < eq[neck])
      neck = s;
  if (eq[neck] >= kit_ppm(top, 800000))
    return; /* balanced enough */
  const model_obs_facility_t *f = kit_largest_idle(obs, neck);
  if (f && (kit_margin(obs, f) > 0 || starved(obs, MODEL_MAGNETS)))
    kit_build(
        k, neck, f,
        from_eq(neck, top - eq[neck], neck == MODEL_MINING ? REC_GUESS : rec),
        budget);
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
  plan_build(&k);
  kit_train_for(&k, util, KIT_PPM / 2);

  int64_t ask[MODEL_PRODUCTS], bid[MODEL_PRODUCTS];
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    int64_t price = kit_price(obs, p);
    ask[p] = kit_ppm(price, 950000);
    int64_t be = kit_break_even(obs, p);
    bid[p] = be > 0 ? kit_min(be, kit_ppm(price, 1100000)) : -1;
  }
  kit_firm_trade(&k, util, ask, bid, 1500000);
  free(util);
  *n = k.n;
  return 0;
}

const agent_strategy_t agent_integrator = {
    .id = "integrator",
    .description = "Firms: builds the missing links of its chain (separation, "
                   "magnets) and balances them, keeps its own inputs, bids "
                   "upstream at downstream value.",
    .kinds = AGENT_FIRM,
    .act = act,
};
