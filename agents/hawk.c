/*
 * The `hawk` strategy (nations): trade as a lever and a shield.
 *
 * Idea: where the nation dominates a stage (at least 40% of the world's
 * output last turn, public data), it rations the exports of the stage's
 * valuable products: Dy/Tb (the heavy rare earths of April 2025) by an
 * export licence approving half of what is offered (a stricter licence
 * already in force stays), concentrate, NdPr and magnets by an export
 * quota of half the surplus over its own demand (its production estimate
 * less its reference demand). Scarcity abroad splits prices, keeps input
 * cheap at home, and the quota rents go to the budget. Where it depends on
 * others (under 20% of a stage while it has demand for the product), it
 * stockpiles two turns of demand while the home price is within 25% of the
 * reference price, releases the stock (target 0) when the price passes
 * 150% of it, and puts a 25% tariff on those imports (the revenue goes to
 * the budget, and the domestic share of supply, which supply security
 * measures, rises). It bars its experts from emigrating (migration
 * outbound off) while welcoming others'. Since issue 11, where it
 * dominates a stage it also bans the export of the stage's technology and
 * expertise (S62), and where it dominates magnets it sets a rule of origin
 * on magnets made abroad with its material (0.1% of value, S65),
 * approving half of their exports.
 *
 * Why it should win: a dominant producer facing importers with inelastic
 * demand gains rents and keeps its downstream supplied (supply security
 * and value added at home); an importer with a stock rides out a cut-off.
 * Why it should lose: rationing lowers its own firms' export revenue and
 * teaches rivals to build; tariffs make its own consumers pay; a stockpile
 * costs budget and, bought abroad, lowers the measured security share.
 */
#include "kit.h"

#define DOMINANT_PPM   400000 /* share of a stage that makes it dominant */
#define DEPENDENT_PPM  200000 /* below this share it depends on imports */
#define LICENCE_PPM    500000 /* share of export offers approved */
#define QUOTA_PPM      500000 /* of the export surplus */
#define TARIFF_PPM     250000
#define STOCK_TURNS    2
#define BUY_BELOW_PPM  1250000 /* of the reference price */
#define SELL_ABOVE_PPM 1500000
/* issue 11: where it dominates magnets, a rule of origin on magnets made
 * abroad with its material (the 0.1% of value of S65) approving half */
#define ORIGIN_THRESHOLD_PPM 1000
#define ORIGIN_APPROVAL_PPM  500000

/* The nation's output of a product last turn (kg), oxides estimated from
 * the separation stage's output and the assumed basket. */
static int64_t made(const model_obs_t *obs, int product, int home) {
  int s = kit_stage_of(product);
  int64_t x = kit_production(obs, s, home);
  if (s == MODEL_SEPARATION)
    x = kit_ppm(x, kit_basket[product - MODEL_NDPR]);
  return x;
}

static void export_licence(kit_t *k, int p, int64_t approval) {
  const model_order_t *now =
      kit_standing_policy(k->obs, MODEL_POL_EXPORT_LICENCE, p);
  if (now ? now->approval_ppm == approval : approval == KIT_PPM)
    return;
  model_order_t *o = kit_policy(k, MODEL_POL_EXPORT_LICENCE);
  if (o) {
    o->product = p;
    o->approval_ppm = approval;
  }
}

static void export_quota(kit_t *k, int p, int64_t qty) {
  const model_order_t *now =
      kit_standing_policy(k->obs, MODEL_POL_EXPORT_QUOTA, p);
  if (now && now->quantity_kg == qty)
    return;
  model_order_t *o = kit_policy(k, MODEL_POL_EXPORT_QUOTA);
  if (o) {
    o->product = p;
    o->quantity_kg = qty;
  }
}

static void tariff(kit_t *k, int p, int64_t rate) {
  const model_order_t *now = kit_standing_policy(k->obs, MODEL_POL_TARIFF, p);
  if (now ? now->rate_ppm == rate : rate == 0)
    return;
  model_order_t *o = kit_policy(k, MODEL_POL_TARIFF);
  if (o) {
    o->product = p;
    o->rate_ppm = rate;
  }
}

static void stockpile(kit_t *k, int p, int64_t target) {
  const model_order_t *now =
      kit_standing_policy(k->obs, MODEL_POL_STOCKPILE, p);
  if (now && now->target_kg == target)
    return;
  if (!now && target == 0 && k->obs->inventory_kg[p] == 0)
    return;
  model_order_t *o = kit_policy(k, MODEL_POL_STOCKPILE);
  if (o) {
    o->product = p;
    o->target_kg = target;
  }
}

static int act(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
               size_t cap, size_t *n) {
  (void)seed;
  kit_t k;
  kit_init(&k, obs, orders, cap);
  int home = kit_home(obs);
  if (home < 0) {
    *n = 0;
    return 0;
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    if (p == MODEL_LACE || p == MODEL_SCRAP || !kit_has(obs, p))
      continue; /* La/Ce is a glut: nothing to ration or to fear; scrap
                   (design J4) is the nation's own collection */
    /* the heavies: the basket, or Dy and Tb on split maps (design J1) */
    bool heavy = p == MODEL_DYTB || p == MODEL_DY || p == MODEL_TB;
    int s = kit_stage_of(p);
    int64_t share = kit_share(obs, s, home);
    int64_t demand = obs->demand_kg[p];
    if (share >= DOMINANT_PPM) {
      /* issue 11: keep the stage's technology and expertise at home
       * (China's ban of Dec 2023, S62) */
      if (!heavy &&
          !kit_standing_policy(obs, MODEL_POL_TECHNOLOGY_EXPORT_BAN, s)) {
        model_order_t *o = kit_policy(&k, MODEL_POL_TECHNOLOGY_EXPORT_BAN);
        if (o)
          o->stage = s;
      }
      if (p == MODEL_MAGNET &&
          !kit_standing_policy(obs, MODEL_POL_ORIGIN_RULE, p)) {
        model_order_t *o = kit_policy(&k, MODEL_POL_ORIGIN_RULE);
        if (o) {
          o->product = p;
          o->rate_ppm = ORIGIN_THRESHOLD_PPM;
          o->approval_ppm = ORIGIN_APPROVAL_PPM;
        }
      }
      if (heavy) {
        /* never looser than a licence already in force (the map's or a
         * scripted event's) */
        const model_order_t *now =
            kit_standing_policy(obs, MODEL_POL_EXPORT_LICENCE, p);
        export_licence(
            &k, p, now ? kit_min(now->approval_ppm, LICENCE_PPM) : LICENCE_PPM);
      } else {
        int64_t surplus = made(obs, p, home) - demand;
        if (surplus > 0)
          export_quota(&k, p, kit_ppm(surplus, QUOTA_PPM));
      }
    } else if (share < DEPENDENT_PPM && demand > 0) {
      /* the raw home price: a market that did not clear reports the
       * clearing's backstop, and a stockpile would bid from it */
      int64_t price = obs->regional[(size_t)p * obs->n_nations + (size_t)home];
      int64_t ref = obs->demand_price[p] > 0 ? obs->demand_price[p]
                                             : kit_world_price(obs, p);
      const model_order_t *now =
          kit_standing_policy(obs, MODEL_POL_STOCKPILE, p);
      if (price <= 0 || price >= kit_ppm(ref, SELL_ABOVE_PPM))
        stockpile(&k, p, 0);
      else if (price <= kit_ppm(ref, BUY_BELOW_PPM))
        stockpile(&k, p, STOCK_TURNS * demand);
      else if (!now)
        stockpile(&k, p, obs->inventory_kg[p]); /* hold what it has */
      tariff(&k, p, TARIFF_PPM);
    }
  }
  kit_keep_experts_home(&k, obs);
  *n = k.n;
  return 0;
}

const agent_strategy_t agent_hawk = {
    .id = "hawk",
    .description = "Nations: rations exports of stages it dominates "
                   "(licences, quotas), stockpiles and tariffs what it "
                   "imports, keeps its experts home.",
    .kinds = AGENT_NATION,
    .act = act,
};
