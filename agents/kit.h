/*
 * kit: helpers shared by the built-in strategies (the files of agents/). Not
 * part of the agent interface: sessions and tournaments use agent.h only.
 *
 * Everything here works on the observation alone and in exact integers
 * (kg, cents, cents/kg, ppm, as model.h), so a decision is the same on
 * every machine. The order writers keep every order valid by the rules
 * model_validate applies, as far as the observation shows them; where it
 * does not show a figure (capex, training cost), they use the stated upper
 * bounds below, which hold for every shipped map.
 */
#ifndef LANTHANIDE_AGENT_KIT_H
#define LANTHANIDE_AGENT_KIT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

/* ---- Figures the observation does not show (docs/agents.md,
 * "Assumptions"). Each is an assumption until the observation carries the
 * map's figure. ---- */

/* Capex per (kg/yr) of a build, in cents, at most: mining $60,000,
 * separation $100,000 and magnets $150,000 per t/yr. The shipped maps go
 * up to $35,000, $66,000 and $125,000 (world-2024, the USA's magnet capex
 * factor 2.5), and brownfield factors are at most 1, so a build sized by
 * these bounds is never refused for want of cash. */
extern const int64_t kit_capex_bound[MODEL_STAGES];
/* Training cost per trainee, at most: $100,000 (shipped maps: $60,000). */
#define KIT_TRAIN_BOUND ((int64_t)10000000)
/* The basket (ppm of NdPr, Dy/Tb, La/Ce) assumed for concentrate whose
 * deposit the observation does not name: a typical hard-rock basket. */
extern const int64_t kit_basket[3];
/* The magnet recipe (ppm kg of NdPr and Dy/Tb oxide per kg of magnet):
 * the model's default, which every shipped map keeps. */
extern const int64_t kit_recipe[2];
/* Opex of a new plant as a share of the value of its output (ppm), for a
 * stage where the firm has no facility to read a unit cost from. */
extern const int64_t kit_new_cost_share[MODEL_STAGES];

#define KIT_PPM       ((int64_t)MODEL_PPM)
#define KIT_ALL       ((int64_t)1000000000)    /* kg: "all I hold" (1 Mt) */
#define KIT_QTY_MAX   ((int64_t)1000000000000) /* the model's limit, kg */
#define KIT_PRICE_MAX ((int64_t)MODEL_PRICE_MAX_CENTS - 1)
#define KIT_MIN_BUILD ((int64_t)50000) /* kg/yr: smaller builds are noise */

/* ---- Exact integer arithmetic ---- */
int64_t kit_mul_div(int64_t a, int64_t b, int64_t c); /* a*b/c, clamped */
int64_t kit_ppm(int64_t a, int64_t ppm);              /* a*ppm/1e6 */
int64_t kit_clamp(int64_t v, int64_t lo, int64_t hi);
int64_t kit_min(int64_t a, int64_t b);
int64_t kit_max(int64_t a, int64_t b);

/* A seeded generator (splitmix64): the only randomness strategies use. */
uint64_t kit_rand(uint64_t *state);
int64_t kit_range(uint64_t *state, int64_t lo, int64_t hi); /* [lo, hi] */

/* ---- Writing orders ----
 * The writer tracks the money left for builds and training (the purse),
 * priced at the bounds above, so a submission never spends more than the
 * seat holds. Writers that would change nothing (an offer equal to the
 * standing one, an unchanged utilisation) write nothing. When the buffer
 * is full, further orders are dropped. */
typedef struct {
  const model_obs_t *obs;
  model_order_t *out;
  size_t cap, n;
  int64_t purse; /* cents left for builds and training */
  /* staff released so far in this submission: the model checks each
   * release against the staff employed before the turn, but applies them
   * one after another */
  int64_t released[MODEL_SKILLS];
} kit_t;

void kit_init(kit_t *k, const model_obs_t *obs, model_order_t *out, size_t cap);
model_order_t *kit_push(kit_t *k, model_op_t op); /* zeroed; NULL if full */
void kit_operate(kit_t *k, const model_obs_facility_t *f, int64_t util_ppm);
void kit_offer(kit_t *k, int product, int64_t qty_kg, int64_t min_price);
void kit_bid(kit_t *k, int product, int64_t qty_kg, int64_t max_price);
/* Build up to capacity kg/yr at stage (expanding facility when not NULL;
 * a facility already expanded in this submission is not expanded twice,
 * as the second would be refused at resolution),
 * spending at most budget cents at the capex bound. A new mine needs a
 * deposit id the observation does not list, so only mines that expand an
 * existing one are built. Returns the capacity ordered, or 0. */
int64_t kit_build(kit_t *k, int stage, const model_obs_facility_t *expand,
                  int64_t capacity, int64_t budget);
/* Train up to count people (as many as the purse pays at the bound). */
int64_t kit_train(kit_t *k, int skill, int64_t count);
/* Release up to count staff (never more than employed). */
void kit_release(kit_t *k, int skill, int64_t count);
/* A policy order of this kind, partner "all"; the caller fills the rest. */
model_order_t *kit_policy(kit_t *k, model_policy_kind_t kind);

/* ---- Reading the observation ---- */
int kit_nation(const model_obs_t *obs, const char *id); /* index or -1 */
int kit_home(const model_obs_t *obs);                   /* seat's nation */
/* Last turn's price of a product at home (buyers' price there), or the
 * world reference price where the home price is not one anybody paid (a
 * nation without demand for the product, or where nothing traded, reports
 * an undetermined price up to the clearing's backstop; a home price more
 * than four times off the world's is taken for one); at least one cent. */
int64_t kit_price(const model_obs_t *obs, int product);
int64_t kit_world_price(const model_obs_t *obs, int product);
/* Public production (kg last turn) and announced capacity (kg/yr) of a
 * stage: one nation's (n >= 0) or the world's (n < 0). */
int64_t kit_production(const model_obs_t *obs, int stage, int n);
int64_t kit_capacity(const model_obs_t *obs, int stage, int n);
/* Nation n's share of a stage (ppm): of last turn's production, or of
 * announced capacity before anything was produced. */
int64_t kit_share(const model_obs_t *obs, int stage, int n);
/* The stage that makes a product (concentrate: mining; oxides:
 * separation; magnet: magnets). */
int kit_stage_of(int product);

/* A facility is busy while it is being built or expanded: it can be
 * neither expanded again nor run. */
bool kit_busy(const model_obs_facility_t *f);

/* Economics per kg of throughput (what a facility's capacity measures:
 * concentrate mined, concentrate fed to separation, magnet made), cents:
 * the value of its output, the cost of its inputs at market, and the
 * margin over its opex. */
int64_t kit_value(const model_obs_t *obs, int stage, int64_t recovery_ppm);
int64_t kit_input_cost(const model_obs_t *obs, int stage);
int64_t kit_margin(const model_obs_t *obs, const model_obs_facility_t *f);
/* A utilisation plan: one ppm per facility of the observation, starting
 * at the current utilisation (calloc'd; free it). NULL if out of memory. */
int64_t *kit_util_new(const model_obs_t *obs);
/* kg of throughput per turn at utilisation util (ppm). */
int64_t kit_rate(const model_obs_facility_t *f, int64_t util_ppm);
/* kg of a product the firm's facilities consume per turn, running at
 * util[i] (util NULL: their current utilisation). */
int64_t kit_input_need(const model_obs_t *obs, int product,
                       const int64_t *util);
/* kg of a product the firm's facilities make per turn at util[i]. */
int64_t kit_output_rate(const model_obs_t *obs, int product,
                        const int64_t *util);
/* The firm's capacity (kg/yr, building included) at a stage, and whether
 * any facility of that stage is busy. */
int64_t kit_stage_capacity(const model_obs_t *obs, int stage);
bool kit_stage_busy(const model_obs_t *obs, int stage);
/* The largest facility of a stage that is not busy, or NULL. */
const model_obs_facility_t *kit_largest_idle(const model_obs_t *obs, int stage);
/* Train for every stage so that staff plus trainees cover what the firm's
 * facilities running at util[i] (and those being built) need. A facility
 * being expanded needs more staff once the expansion is done, but the
 * observation shows neither the expansion's size nor its staff: the
 * strategy states how large it builds expansions (grow, ppm of the
 * facility), and staff are trained for that much more ahead of time. */
void kit_train_for(kit_t *k, const int64_t *util, int64_t grow);

/* The firm's own cost of a kg of a product (cents): opex plus inputs at
 * market, for oxides shared out by value; -1 if it makes none. */
int64_t kit_own_cost(const model_obs_t *obs, int product);
/* The most the firm could pay for a kg of an input and still break even
 * in its best plant using it; -1 if it uses none. */
int64_t kit_break_even(const model_obs_t *obs, int product);
/* A firm's trading for the turn. For each product: what its facilities
 * need running at util[i] (cover ppm of one turn's need, less what it
 * holds) is bid for at bid_price[p]; what it makes or holds beyond that
 * is offered at ask[p]. Sides with a negative price, and products it
 * neither makes, holds nor needs, are withdrawn. */
void kit_firm_trade(kit_t *k, const int64_t *util,
                    const int64_t ask[MODEL_PRODUCTS],
                    const int64_t bid_price[MODEL_PRODUCTS], int64_t cover);

/* A standing policy of the nation: kind, and product, stage or skill as
 * the kind uses (key), to "all" partners. NULL if none stands. */
const model_order_t *kit_standing_policy(const model_obs_t *obs,
                                         model_policy_kind_t kind, int key);

#endif
