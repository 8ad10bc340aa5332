/*
 * The `integrator` strategy (firms): own the chain, not one link.
 *
 * Idea: a firm that mines, separates and makes magnets keeps every margin
 * and never waits on a rival's export licence. Each stage's capacity is
 * measured in kg of NdPr oxide a year it can carry (mines and separation:
 * capacity x NdPr share of the basket x recovery; magnets: capacity x the
 * NdPr recipe). The integrator:
 *  - adds the stage next to its chain that it lacks, separation and magnet
 *    plants downstream of what it has (then separation upstream of a
 *    magnet plant, and a mine upstream of separation, at the best open
 *    deposit by basket value less opex), sized to half of its largest
 *    stage, when that stage would earn at market prices (a new plant's
 *    opex and recovery from the map's rules) or when a plant of its own
 *    ran short of inputs last turn (securing supply has value of its own);
 *  - otherwise expands its bottleneck stage towards the largest one
 *    (brownfield; for mining, a new mine where the best deposit mines
 *    cheaper than its largest mine);
 *  - spends up to 40% of cash per project, one project at a time, and only
 *    on projects done (at the map's lead times) with four turns to spare;
 *  - hires staff from the home pool for plants that run now, trains the
 *    rest;
 *  - builds a new separation or magnet plant abroad where the host's capex
 *    subsidy beats home's and no ban, screen or sanction bars it (issue
 *    11: Lynas in Texas), under the host's permits and costs;
 *  - accepts delivery contracts offered to it: selling what it makes at no
 *    less than 90% of last turn's price, buying its inputs at no more than
 *    110%;
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
#include <string.h>

#define SPEND_PPM 400000 /* of cash, per project */
#define USE_TURNS 4      /* a project must run this many turns */

/* kg of NdPr oxide a year that capacity c (kg/yr) at stage s carries. */
static int64_t ndpr_eq(const model_obs_t *obs, int s, int64_t c, int64_t rec) {
  if (s == MODEL_MAGNETS)
    return kit_ppm(c, kit_recipe(obs, 0));
  return kit_ppm(kit_ppm(c, kit_basket[0]), rec);
}

/* The capacity (kg/yr) of stage s that carries e kg of NdPr a year. */
static int64_t from_eq(const model_obs_t *obs, int s, int64_t e, int64_t rec) {
  if (s == MODEL_MAGNETS)
    return kit_mul_div(e, KIT_PPM, kit_max(kit_recipe(obs, 0), 1));
  int64_t per = kit_ppm(kit_basket[0], rec); /* ppm */
  return kit_mul_div(e, KIT_PPM, kit_max(per, 1));
}

/* Where to build a new plant of stage s (issue 11): the nation whose
 * capex subsidy for the stage is highest, abroad only where it beats
 * home's, pays foreign firms too (foreign not false) and nothing bars the
 * build (a technology export ban of home, the
 * host's investment screen or a sanction). */
static int host_for(const model_obs_t *obs, int s) {
  int home = kit_home(obs), best = home;
  int64_t best_share = -1;
  for (size_t i = 0; i < obs->n_public_policies; i++) {
    const model_obs_policy_t *p = &obs->public_policies[i];
    if (p->policy.kind == MODEL_POL_SUBSIDY && p->policy.stage == s &&
        p->nation == home)
      best_share = p->policy.capex_share_ppm;
  }
  if (best_share < 0)
    best_share = 0;
  for (size_t i = 0; i < obs->n_public_policies; i++) {
    const model_obs_policy_t *p = &obs->public_policies[i];
    if (p->policy.kind == MODEL_POL_SUBSIDY && p->policy.stage == s &&
        p->policy.capex_share_ppm > best_share && !p->policy.home_only &&
        kit_may_build(obs, s, p->nation)) {
      best = p->nation;
      best_share = p->policy.capex_share_ppm;
    }
  }
  return best;
}

/* Does a project at stage s in nation n finish with USE_TURNS to spare? */
static bool in_time(const model_obs_t *obs, int s, int n, bool brown) {
  return n >= 0 &&
         kit_lead(obs, s, n, brown) + USE_TURNS <= obs->turns - obs->turn;
}

/* Would a new plant at stage s (a mine: at deposit d) earn at last turn's
 * prices? */
static bool stage_pays(const model_obs_t *obs, int s, int d) {
  if (s == MODEL_MINING)
    return d >= 0 &&
           kit_price(obs, MODEL_CONCENTRATE) > kit_deposit_cost(obs, (size_t)d);
  int64_t v = kit_value(obs, s, obs->rules.recovery_initial_ppm);
  int64_t c = kit_input_cost(obs, s) + kit_new_unit_cost(obs, s, kit_home(obs));
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

/* Design J4 (maps with recycling; docs/agents.md): a magnet maker builds
 * a recycling plant when scrap is offered below what it saves: the
 * cheapest collector's ask (kit_scrap_ask) is at most 90% of the oxides
 * a kg recovers at last turn's prices less a new plant's opex at home. */
static bool recycling_pays(const model_obs_t *obs) {
  int64_t ask = kit_scrap_ask(obs);
  if (ask < 0)
    return false; /* no recycling, or no one collects */
  int home = kit_home(obs);
  int64_t opex = kit_ppm(
      obs->rules.unit_cost_cents_per_kg[MODEL_RECYCLING],
      obs->unit_cost_factor_ppm[(size_t)MODEL_RECYCLING * obs->n_nations +
                                (size_t)(home < 0 ? 0 : home)]);
  int64_t saves = kit_value(obs, MODEL_RECYCLING, KIT_PPM) - opex;
  return ask <= kit_ppm(saves, 900000);
}

static void plan_build(kit_t *k) {
  const model_obs_t *obs = k->obs;
  int64_t eq[MODEL_STAGES] = {0, 0, 0};
  bool have[MODEL_STAGES] = {false, false, false};
  /* what a mine's concentrate carries is counted at the recovery a
   * separation plant learns towards (the map's maximum) */
  int64_t rec_max = obs->rules.recovery_max_ppm, rec = rec_max;
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
    eq[f->stage] += ndpr_eq(obs, f->stage, f->capacity_kg_per_year,
                            f->stage == MODEL_MINING ? rec_max : rec);
  }
  int lo = -1, hi = -1;
  for (int s = 0; s < KIT_CHAIN_STAGES; s++)
    if (have[s]) {
      if (lo < 0)
        lo = s;
      hi = s;
    }
  if (lo < 0)
    return; /* nothing to integrate with */
  if (recycling_pays(obs) && !have[MODEL_RECYCLING] && have[MODEL_MAGNETS] &&
      in_time(obs, MODEL_RECYCLING, kit_home(obs), false)) {
    kit_build(k, MODEL_RECYCLING, NULL,
              obs->rules.reference_capacity_kg[MODEL_RECYCLING],
              kit_ppm(obs->cash_cents, SPEND_PPM));
    return;
  }
  int64_t top = kit_max(kit_max(eq[0], eq[1]), eq[2]);
  int64_t budget = kit_ppm(obs->cash_cents, SPEND_PPM);
  int home = kit_home(obs);
  int d = kit_best_deposit(obs);
  int dn = d >= 0 ? kit_nation(obs, obs->deposits[d].nation) : -1;
  /* the missing link: downstream first, then one step upstream */
  int add = -1;
  for (int s = lo + 1; s < KIT_CHAIN_STAGES && add < 0; s++)
    if (!have[s])
      add = s;
  if (add < 0 && lo > MODEL_MINING)
    add = lo - 1;
  if (add == MODEL_MINING && d < 0)
    add = -1; /* no deposit open to a new mine */
  if (add >= 0) {
    /* the plant the new link would feed (upstream) or be fed by */
    int fed = add < lo ? lo : hi;
    bool go = in_time(obs, add, add == MODEL_MINING ? dn : home, false) &&
              (stage_pays(obs, add, d) || starved(obs, fed));
    int64_t size = from_eq(
        obs, add, top / 2,
        add == MODEL_MINING ? rec_max : obs->rules.recovery_initial_ppm);
    if (add != MODEL_MINING) {
      int host = host_for(obs, add);
      if (go && host != home && in_time(obs, add, host, false))
        kit_build_abroad(k, add, host, size, budget);
      else if (go)
        kit_build(k, add, NULL, size, budget);
      return;
    }
    /* a chain from separation down without a mine of its own that would
     * not pay still balances what it has */
    if (go && kit_build_mine(k, (size_t)d, size, budget) > 0)
      return;
  }
  /* a full chain from lo to magnets: expand its bottleneck */
  int neck = lo;
  for (int s = lo; s < KIT_CHAIN_STAGES; s++)
    if (eq[s] < eq[neck])
      neck = s;
  if (eq[neck] >= kit_ppm(top, 800000))
    return; /* balanced enough */
  const model_obs_facility_t *f = kit_largest_idle(obs, neck);
  int64_t size =
      from_eq(obs, neck, top - eq[neck], neck == MODEL_MINING ? rec_max : rec);
  /* a mine short of the chain: a new one where the best deposit mines
   * cheaper than the largest mine does */
  if (neck == MODEL_MINING && d >= 0 && in_time(obs, neck, dn, false) &&
      (!f || kit_deposit_cost(obs, (size_t)d) < f->unit_cost_cents_per_kg) &&
      (stage_pays(obs, neck, d) || starved(obs, MODEL_SEPARATION))) {
    kit_build_mine(k, (size_t)d, size, budget);
    return;
  }
  if (f && in_time(obs, neck, kit_nation(obs, f->nation), true) &&
      (kit_margin(obs, f) > 0 || starved(obs, MODEL_MAGNETS)))
    kit_build(k, neck, f, size, budget);
}

/* Contracts offered to it (issue 11): as the seller, at no less than 90%
 * of last turn's price of a product it makes; as the buyer, at no more
 * than 110% of the price of an input it uses. */
static void answer_offers(kit_t *k) {
  const model_obs_t *obs = k->obs;
  bool makes[MODEL_PRODUCTS] = {false}, uses[MODEL_PRODUCTS] = {false};
  for (size_t i = 0; i < obs->n_facilities; i++) {
    int s = obs->facilities[i].stage;
    if (s == MODEL_MINING)
      makes[MODEL_CONCENTRATE] = true;
    if (s == MODEL_SEPARATION) {
      uses[MODEL_CONCENTRATE] = true;
      makes[MODEL_NDPR] = makes[MODEL_DYTB] = makes[MODEL_LACE] = true;
      makes[MODEL_DY] = makes[MODEL_TB] = true; /* split maps (J1) */
    }
    if (s == MODEL_MAGNETS) {
      uses[MODEL_NDPR] = uses[MODEL_DYTB] = true;
      uses[MODEL_DY] = uses[MODEL_TB] = true;
      makes[MODEL_MAGNET] = true;
    }
  }
  for (size_t i = 0; i < obs->n_contracts; i++) {
    const model_obs_contract_t *c = &obs->contracts[i];
    if (c->accepted || strcmp(c->proposer, obs->seat) == 0 ||
        c->expires < obs->turn || c->product < 0)
      continue;
    int64_t price = kit_price(obs, c->product);
    bool sell = strcmp(c->seller, obs->seat) == 0;
    if (sell ? makes[c->product] &&
                   c->price_cents_per_kg >= kit_ppm(price, 900000)
             : uses[c->product] &&
                   c->price_cents_per_kg <= kit_ppm(price, 1100000))
      kit_accept(k, c->id, c->proposer);
  }
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
  /* design J3: thrift Dy where the heavies are dear */
  kit_thrift(&k, util);
  plan_build(&k);
  answer_offers(&k);
  kit_staff_for(&k, util, true);

  int64_t ask[MODEL_PRODUCTS], bid[MODEL_PRODUCTS];
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    int64_t price = kit_anchor(obs, p);
    /* 5% under last turn's price, but never under what it costs to make
     * (inputs at last turn's prices): a seller that undercuts its own cost
     * turn after turn drags its output price down while its inputs rise */
    int64_t c = kit_own_cost(obs, p);
    ask[p] = kit_max(kit_ppm(price, 950000), c);
    int64_t be = kit_break_even(obs, p);
    bid[p] = be > 0 ? kit_min(be, kit_ppm(price, 1100000)) : -1;
  }
  /* inside the band: a 10% premium over last turn cannot compound */
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    ask[p] = kit_in_band(obs, p, ask[p]);
    bid[p] = kit_in_band(obs, p, bid[p]);
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
