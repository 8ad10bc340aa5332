/*
 * kit: helpers shared by the built-in strategies (the files of agents/). Not
 * part of the agent interface: sessions and tournaments use agent.h only.
 *
 * Everything here works on the observation alone and in exact integers
 * (kg, cents, cents/kg, ppm, as model.h), so a decision is the same on
 * every machine. The order writers keep every order valid by the rules
 * model_validate applies, as far as the observation shows them: capex,
 * training costs, lead times and staffing come from the map's rules in the
 * observation (obs->rules and the nation factors), the talent pool from
 * obs->talent_pool.
 */
#ifndef LANTHANIDE_AGENT_KIT_H
#define LANTHANIDE_AGENT_KIT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

/* ---- Figures the observation does not show (docs/agents.md,
 * "Assumptions"). ---- */

/* The basket (ppm of NdPr, Dy/Tb, La/Ce) assumed for concentrate of
 * unknown origin: the observation shows each deposit's basket but not the
 * elements of what a holder has bought, so a firm without mines of its own
 * values concentrate by this typical hard-rock basket. */
extern const int64_t kit_basket[3];

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

/* ---- The rules of building and staffing (obs->rules and the nation
 * factors) ---- */

/* What a build of capacity kg/yr at stage in nation n costs the builder,
 * in cents: the model's capex (the stage's capex times the nation's capex
 * factor, times the brownfield factor for an expansion), rounded up and
 * with a margin of 0.1% plus a cent. Capex subsidies are left out: a nation
 * seated before the firm may lift one in the same turn, and the build would
 * then be refused late. */
int64_t kit_capex(const model_obs_t *obs, int stage, int n, int64_t capacity,
                  bool brown);
/* The most capacity (kg/yr, at most cap) that money pays at kit_capex. */
int64_t kit_afford(const model_obs_t *obs, int stage, int n, bool brown,
                   int64_t money, int64_t cap);
/* Turns a build at stage in nation n takes at the nation's permitting speed
 * now (the lead times times the nation's lead factor, over the speed). */
int kit_lead(const model_obs_t *obs, int stage, int n, bool brown);
/* The same for a project of `capacity` kg/yr (on two-phase stages the
 * construction time grows with size; kit_lead takes the reference size). */
int kit_project_turns(const model_obs_t *obs, int stage, int n, bool brown,
                      int64_t capacity);
/* The permitting speed (ppm) nation n announces for a stage. */
int64_t kit_permit_speed(const model_obs_t *obs, int stage, int n);
/* People a facility of capacity kg/yr at stage needs (the model's rule). */
int64_t kit_staff_need(const model_obs_t *obs, int stage, int64_t capacity);
/* Opex (cents/kg) of a new plant at stage in nation n, before learning. */
int64_t kit_new_unit_cost(const model_obs_t *obs, int stage, int n);
/* The magnet recipe: kg of NdPr (q 0) or Dy/Tb (q 1) oxide per kg. */
int64_t kit_recipe(const model_obs_t *obs, int q);
/* Design J1: whether the map has a product (public.rules.products);
 * whether its heavies are split (dy_oxide, tb_oxide); a product's kg per
 * kg magnet; the magnet stage's inputs and separation's oxides in the
 * model's order (their count returned); a product of the map drawn at
 * random (on basket maps the same draw as kit_range(r, 0, 4)). */
bool kit_has(const model_obs_t *obs, int product);
bool kit_split(const model_obs_t *obs);
/* The stages of the map: 3 (mining, separation, magnet), or 4 where it
 * has recycling (design J4), which is always the last. */
int kit_ns(const model_obs_t *obs);
/* Design J4: the cheapest collector's ask for scrap (a nation with a
 * public recycling_collection rate above 0 offers its scrap at the map's
 * scrap_price_share of its last magnet price), or -1 where no one
 * collects (or the map has no recycling). */
int64_t kit_scrap_ask(const model_obs_t *obs);
/* The chain of stages every map has, mining to magnets (recycling, where
 * a map has it, stands beside it: design J4). */
#define KIT_CHAIN_STAGES (MODEL_MAGNETS + 1)
int64_t kit_recipe_of(const model_obs_t *obs, int product);
int kit_magnet_inputs(const model_obs_t *obs, int in[3]);
int kit_oxides(const model_obs_t *obs, int out[4]);
bool kit_magnet_input(const model_obs_t *obs, int product);
int kit_product_draw(uint64_t *r, const model_obs_t *obs);

/* ---- Deposits ---- */
/* Opex (cents/kg) of a new mine at deposit d. */
int64_t kit_deposit_cost(const model_obs_t *obs, size_t d);
/* What a kg mined at deposit d is worth once separated (its basket at last
 * turn's oxide prices, at a new separation plant's recovery), less the
 * opex of mining it: how the strategies rank deposits. */
int64_t kit_deposit_value(const model_obs_t *obs, size_t d);
/* The open deposit with reserves left, owned by no other firm, that ranks
 * best by kit_deposit_value (ties: the home nation, then map order), or
 * -1. */
int kit_best_deposit(const model_obs_t *obs);

/* ---- Writing orders ----
 * The writer tracks the money left for builds and training (the purse),
 * priced by the map's rules (kit_capex, the training cost), so a
 * submission never spends more than the seat holds. Writers that would change
 * nothing (an offer equal to the standing one, an unchanged utilisation) write
 * nothing. When the buffer is full, further orders are dropped. */
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

/* Design J3: orders each magnet plant's heavies cut to the map's
 * thrift min_share when the saving at home prices is at least three times
 * the extra opex, and back to the full recipe when it is less than the
 * extra opex (on the plant's operate order; util: the utilisation this
 * turn's orders set, or NULL for the plants' own). */
void kit_thrift(kit_t *k, const int64_t *util);

void kit_init(kit_t *k, const model_obs_t *obs, model_order_t *out, size_t cap);
model_order_t *kit_push(kit_t *k, model_op_t op); /* zeroed; NULL if full */
void kit_operate(kit_t *k, const model_obs_facility_t *f, int64_t util_ppm);
void kit_offer(kit_t *k, int product, int64_t qty_kg, int64_t min_price);
void kit_bid(kit_t *k, int product, int64_t qty_kg, int64_t max_price);
/* Build up to capacity kg/yr at stage (expanding facility when not NULL;
 * a facility already expanded in this submission is not expanded twice,
 * as the second would be refused at resolution), spending at most budget
 * cents at kit_capex. A new mine needs a deposit: use kit_build_mine.
 * Returns the capacity ordered, or 0. */
int64_t kit_build(kit_t *k, int stage, const model_obs_facility_t *expand,
                  int64_t capacity, int64_t budget);
/* Open a new mine of up to capacity kg/yr at deposit d (open, with
 * reserves, owned by no other firm), spending at most budget cents; never
 * larger than its reserves can feed in the turns left after construction.
 * Returns the capacity ordered, or 0. */
int64_t kit_build_mine(kit_t *k, size_t d, int64_t capacity, int64_t budget);
/* Build a new separation or magnet plant of up to capacity kg/yr in
 * nation n (issue 11: abroad when n is not home), under n's capex factor
 * and subsidy. Returns the capacity ordered, or 0 (also when a technology
 * export ban of home, an investment screen or a sanction of n's bars it). */
int64_t kit_build_abroad(kit_t *k, int stage, int n, int64_t capacity,
                         int64_t budget);
/* Whether the seat may build a new facility of stage in nation n now. */
bool kit_may_build(const model_obs_t *obs, int stage, int n);
/* Train up to count people (as many as the purse pays). */
int64_t kit_train(kit_t *k, int skill, int64_t count);
/* Hire up to count people from the home nation's talent pool, at most the
 * pool shared out over every seat of the game: each firm checks its hire
 * against the pool left when its turn comes, so firms of one nation hiring
 * in the same turn must not count on the same people. Returns the number
 * hired. */
int64_t kit_hire(kit_t *k, int skill, int64_t count);
/* Release up to count staff (never more than employed). */
void kit_release(kit_t *k, int skill, int64_t count);
/* A policy order of this kind, partner "all"; the caller fills the rest. */
model_order_t *kit_policy(kit_t *k, model_policy_kind_t kind);

/* ---- issue 11: state support and contracts (docs/agents.md) ----
 * Nations pay grants, buy equity and lend from the purse (their budget),
 * so that a submission never promises more than the budget holds; each
 * returns the amount ordered, or 0. */
int64_t kit_grant(kit_t *k, const char *firm, int64_t amount);
int64_t kit_equity(kit_t *k, const char *firm, int64_t amount,
                   int64_t stake_ppm);
int64_t kit_loan(kit_t *k, const char *firm, int64_t amount, int64_t rate_ppm,
                 int turns, int grace);
/* A firm price floor (two_sided: a contract for difference) for a firm on a
 * product, qty kg per turn, for turns; qty 0 lifts it. */
void kit_firm_floor(kit_t *k, const char *firm, int product, int64_t strike,
                    int64_t qty_kg, int turns, bool two_sided);
/* Propose a delivery contract to seat `to` (sell: you deliver); accept one
 * offered by `from`; withdraw one of yours (from "") or leave a running
 * one. */
void kit_propose(kit_t *k, const char *id, const char *to, bool sell,
                 int product, int64_t qty_kg, int64_t price, int turns,
                 int64_t penalty);
void kit_accept(kit_t *k, const char *id, const char *from);
void kit_withdraw(kit_t *k, const char *id, const char *from);
/* Seats as the observation lists them (obs->scores): whether seat i is a
 * firm, and the index of a seat id (-1). */
bool kit_is_firm(const model_obs_t *obs, size_t i);
int kit_seat(const model_obs_t *obs, const char *id);
/* Whether a sanction in force bars deals between seats a and b (a firm
 * sanctioned by the other's nation). */
bool kit_sanctioned(const model_obs_t *obs, const char *a, const char *b);
/* The stake nations hold in a firm (ppm), from the public support list. */
int64_t kit_stakes_in(const model_obs_t *obs, const char *firm);
/* How many public support entries of this kind are in force. */
size_t kit_support_count(const model_obs_t *obs, model_support_kind_t kind);

/* Migration policies that let experts in and keep the nation's own at home,
 * for every skill where that is not already the standing policy. */
void kit_keep_experts_home(kit_t *k, const model_obs_t *obs);

/* ---- Reading the observation ---- */
int kit_nation(const model_obs_t *obs, const char *id); /* index or -1 */
int kit_home(const model_obs_t *obs);                   /* seat's nation */
/* Last turn's price of a product at home (buyers' price there), or the
 * world reference price where the home price is not one anybody paid (a
 * nation without demand for the product, or where nothing traded, reports
 * an undetermined price up to the clearing's backstop; a home price more
 * than four times off the world's is taken for one); at least one cent. */
int64_t kit_price(const model_obs_t *obs, int product);
/* The band a strategy keeps its asks and bids in (issue 11, "strategies
 * that do not compound"): from the map's reference price / 2.5 to 2.5 x
 * it, so that a premium over last turn's price cannot compound without
 * limit (S1's 2020-2024 price ranges sit inside it). No band (0 and
 * INT64_MAX) where the observation has no reference price. */
void kit_band(const model_obs_t *obs, int product, int64_t *lo, int64_t *hi);
/* The price a strategy's premiums refer to: the median of the world prices
 * of the last turns where the map keeps a history (public market.history),
 * else kit_price. */
int64_t kit_anchor(const model_obs_t *obs, int product);
/* An ask or a bid price kept inside the band; a negative price (no order)
 * stays as it is. */
int64_t kit_in_band(const model_obs_t *obs, int product, int64_t price);
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
/* Staff every stage so that staff plus trainees cover what the firm's
 * facilities running at util[i] need, those being built and the
 * expansions under way included. With hire, the people needed sooner than
 * training takes (facilities running, or done within the training time)
 * are hired from the pool (kit_hire) as far as it goes; the rest are
 * trained. */
void kit_staff_for(kit_t *k, const int64_t *util, bool hire);

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
 * neither makes, holds nor needs, are withdrawn. On maps with branches
 * (issue 11) each location trades apart: home for its plants at home,
 * each branch for its plants in its host, from its own stock, in the
 * host's market (offer and bid with nation). */
void kit_firm_trade(kit_t *k, const int64_t *util,
                    const int64_t ask[MODEL_PRODUCTS],
                    const int64_t bid_price[MODEL_PRODUCTS], int64_t cover);

/* A standing policy of the nation: kind, and product, stage or skill as
 * the kind uses (key), to "all" partners. NULL if none stands. */
const model_order_t *kit_standing_policy(const model_obs_t *obs,
                                         model_policy_kind_t kind, int key);

#endif
