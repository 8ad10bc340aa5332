/*
 * The `builder` strategy (nations): industrial policy for the stages it
 * lacks.
 *
 * Idea: a stage is lacking at home when the nation holds under 25% of the
 * world's output of it (or of announced capacity before anything is made)
 * while it has demand somewhere down the chain. For each lacking stage it
 * pays a 30% capex subsidy and an output subsidy of 10% of the world value
 * of a kg of the stage's output (so a firm that builds there pays less and
 * earns more),
 * halves permitting time (speed 2: lead times are the incumbent's moat),
 * and funds a talent programme of 0.25% of the budget a turn for the
 * stage's skill (talent is the bottleneck the lesson is about). Where the
 * nation already makes some of a lacking stage's product, it guarantees a
 * market with a price floor at 80% of the world price for a quarter of
 * last turn's home output. Since issue 11 it also guarantees each of its
 * own firms a price for the lacking stage's product (a firm price floor
 * at 1.5x the world price on a quarter of last turn's home output, at
 * least 100 t, for 8 turns, renewed: the DoD-MP floor, S16, was ~2x) and,
 * for magnets, offers each home firm an offtake of a tenth of its magnet
 * demand a turn at 10% over the world price, consumed (defence: it meets
 * final demand and counts in supply security). It welcomes migrants and
 * keeps its own experts.
 * When its budget runs out, it withdraws the spending policies.
 *
 * Why it should win: with firms that answer incentives (expanders,
 * integrators) it gets domestic capacity years sooner, which is what the
 * supply-security score measures, and value added at home. Why it should
 * lose: subsidies and programmes cost budget every turn, and with firms
 * that do not build (standing, cautious) they buy little: the subsidy pays
 * for output that would have been made anyway.
 */
#include "kit.h"

#include <stdio.h>
#include <string.h>

#define LACKING_PPM   250000 /* share below which a stage is lacking */
#define CAPEX_PPM     300000
#define OUTPUT_PPM    100000 /* of the product's price, per kg */
#define SPEED_PPM     2000000
#define TALENT_PPM    2500   /* of the budget, per turn and skill */
#define FLOOR_PPM     800000 /* of the world price */
#define FLOOR_QTY_PPM 250000 /* of last turn's home output */
/* issue 11: firm price floors and offtakes for its own firms */
#define FIRM_FLOOR_PPM    1500000 /* strike: of the world price (S16: ~2x) */
#define FIRM_FLOOR_MIN_KG 100000  /* at least 100 t a turn covered */
#define FIRM_FLOOR_TURNS  8
#define OFFTAKE_PPM       100000  /* of the nation's magnet demand */
#define OFFTAKE_PRICE     1100000 /* of the world magnet price */

/* The product a price floor of stage s supports. */
static int product_of(int s) {
  return s == MODEL_MINING       ? MODEL_CONCENTRATE
         : s == MODEL_SEPARATION ? MODEL_NDPR
                                 : MODEL_MAGNET;
}

/* The world value of a kg of stage s's output: for separation, a kg of
 * oxide of the assumed basket (an output subsidy pays per kg of every
 * oxide, La/Ce included). */
static int64_t output_value(const model_obs_t *obs, int s) {
  if (s != MODEL_SEPARATION)
    return kit_world_price(obs, product_of(s));
  int64_t v = 0;
  for (int q = 0; q < 3; q++)
    v += kit_ppm(q == 1 && kit_split(obs)
                     ? kit_ppm(kit_world_price(obs, MODEL_DY), 800000) +
                           kit_ppm(kit_world_price(obs, MODEL_TB), 200000)
                     : kit_world_price(obs, MODEL_NDPR + q),
                 kit_basket[q]);
  return v;
}

static void subsidy(kit_t *k, int s, int64_t capex, int64_t output) {
  const model_order_t *now = kit_standing_policy(k->obs, MODEL_POL_SUBSIDY, s);
  if (now ? now->capex_share_ppm == capex && now->output_cents_per_kg == output
          : capex == 0 && output == 0)
    return;
  model_order_t *o = kit_policy(k, MODEL_POL_SUBSIDY);
  if (o) {
    o->stage = s;
    o->capex_share_ppm = capex;
    o->output_cents_per_kg = output;
  }
}

static void permitting(kit_t *k, int s, int64_t speed) {
  const model_order_t *now =
      kit_standing_policy(k->obs, MODEL_POL_PERMITTING, s);
  if (now ? now->speed_ppm == speed : speed == KIT_PPM)
    return;
  model_order_t *o = kit_policy(k, MODEL_POL_PERMITTING);
  if (o) {
    o->stage = s;
    o->speed_ppm = speed;
  }
}

static void talent(kit_t *k, int s, int64_t budget) {
  const model_order_t *now =
      kit_standing_policy(k->obs, MODEL_POL_TALENT_PROGRAMME, s);
  if (now ? now->budget_cents == budget : budget == 0)
    return;
  model_order_t *o = kit_policy(k, MODEL_POL_TALENT_PROGRAMME);
  if (o) {
    o->skill = s;
    o->budget_cents = budget;
  }
}

static void floor_price(kit_t *k, int p, int64_t price, int64_t qty) {
  const model_order_t *now =
      kit_standing_policy(k->obs, MODEL_POL_PRICE_FLOOR, p);
  if (now ? now->price_cents_per_kg == price && now->quantity_kg == qty
          : qty == 0)
    return;
  model_order_t *o = kit_policy(k, MODEL_POL_PRICE_FLOOR);
  if (o) {
    o->product = p;
    o->price_cents_per_kg = qty > 0 ? price : 0;
    o->quantity_kg = qty;
  }
}

/* Issue 11: support for the nation's own firms in a lacking stage. A firm
 * price floor on the stage's product for each home firm (paid only on what
 * the firm sells), renewed when it lapses; and, for magnets, an offtake
 * offered to each home firm (the nation buys a share of its magnet demand
 * a turn at a premium, delivered to its stockpile), one at a time. */
static bool floored(const model_obs_t *obs, const char *firm, int p) {
  for (size_t i = 0; i < obs->n_support; i++)
    if (obs->support[i].kind == MODEL_SUPPORT_FLOOR &&
        obs->support[i].product == p &&
        strcmp(obs->support[i].nation, obs->nation) == 0 &&
        strcmp(obs->support[i].firm, firm) == 0)
      return true;
  return false;
}

static bool dealing_with(const model_obs_t *obs, const char *firm) {
  for (size_t i = 0; i < obs->n_contracts; i++)
    if (strcmp(obs->contracts[i].seller, firm) == 0 ||
        strcmp(obs->contracts[i].buyer, firm) == 0)
      return true;
  return false;
}

static void support_firms(kit_t *k, int s, int64_t home_out) {
  const model_obs_t *obs = k->obs;
  int p = product_of(s);
  int64_t strike = kit_ppm(kit_world_price(obs, p), FIRM_FLOOR_PPM);
  int64_t qty = kit_max(kit_ppm(home_out, FLOOR_QTY_PPM), FIRM_FLOOR_MIN_KG);
  for (size_t i = 0; i < obs->n_scores; i++) {
    const model_obs_score_t *f = &obs->scores[i];
    if (f->kind != MODEL_SEAT_FIRM || strcmp(f->nation, obs->nation) != 0)
      continue;
    if (s != MODEL_MINING && !floored(obs, f->seat, p))
      kit_firm_floor(k, f->seat, p, strike, qty, FIRM_FLOOR_TURNS, false);
    if (s == MODEL_MAGNETS && !dealing_with(obs, f->seat)) {
      char id[MODEL_ID_MAX];
      snprintf(id, sizeof id, "offtake-%d-%zu", (int)obs->turn, i);
      int64_t want = kit_ppm(obs->demand_kg[MODEL_MAGNET], OFFTAKE_PPM);
      size_t before = k->n;
      kit_propose(k, id, f->seat, false, MODEL_MAGNET, want,
                  kit_ppm(kit_world_price(obs, MODEL_MAGNET), OFFTAKE_PRICE),
                  FIRM_FLOOR_TURNS, 0);
      if (k->n > before)
        k->out[k->n - 1].consume = true; /* defence: used, not stockpiled */
    }
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
  bool solvent = obs->budget_cents > 0;
  /* demand down the chain from stage s: any demand for its product or a
   * product made from it */
  bool demand_from[MODEL_STAGES] = {false, false, false};
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (obs->demand_kg[p] > 0)
      for (int s = 0; s <= kit_stage_of(p); s++)
        demand_from[s] = true;
  for (int s = 0; s < KIT_CHAIN_STAGES; s++) {
    bool lacking = demand_from[s] && kit_share(obs, s, home) < LACKING_PPM;
    bool act_on = lacking && solvent;
    int p = product_of(s);
    subsidy(&k, s, act_on ? CAPEX_PPM : 0,
            act_on ? kit_ppm(output_value(obs, s), OUTPUT_PPM) : 0);
    permitting(&k, s, lacking ? SPEED_PPM : KIT_PPM);
    talent(&k, s, act_on ? kit_ppm(obs->budget_cents, TALENT_PPM) : 0);
    int64_t home_out = kit_production(obs, s, home);
    if (s == MODEL_SEPARATION)
      home_out = kit_ppm(home_out, kit_basket[0]);
    floor_price(&k, p, kit_ppm(kit_world_price(obs, p), FLOOR_PPM),
                act_on && home_out > 0 ? kit_ppm(home_out, FLOOR_QTY_PPM) : 0);
    if (act_on)
      support_firms(&k, s, home_out);
  }
  kit_keep_experts_home(&k, obs);
  *n = k.n;
  return 0;
}

const agent_strategy_t agent_builder = {
    .id = "builder",
    .description = "Nations: subsidies, faster permits, talent programmes "
                   "and price floors for the stages it lacks.",
    .kinds = AGENT_NATION,
    .act = act,
};
