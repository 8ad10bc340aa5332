/* model_internal.h: the layout of maps and states, shared by the model's
 * source files and by nothing else (callers see only model.h).
 *
 * Every quantity is an integer in the units named in model.h: kg, cents,
 * cents per kg, ppm. Arrays indexed by nation are sized MODEL_NATIONS_MAX
 * (+1 where the last slot means "all nations"), so a state has no hidden
 * sizes; only the first n_nations entries are used, serialised and hashed.
 *
 * The files of the model call each other in layers: a file calls only into
 * files of lower layers (and its own), so there is no circle of calls, and
 * each layer can be read and tested on top of the ones below it.
 *
 *   6  turn.c        the turn, step by step; events; scores
 *      observe.c     one seat's observation
 *   5  serialise.c   MessagePack of a state and its hash
 *   4  state.c       new, clone (a direct deep copy), free; accessors
 *      load.c        map files (the JSON of a map, standing orders checked
 *                    by orders.c)
 *   3  orders.c      validating and applying orders
 *      amend.c       a control cell's amendments of a turn's result
 *      market.c      clearing one product's market, settlement
 *      observe_plan.c  the public planning part of an observation
 *   2  deals.c       state support and contracts between seats: checks,
 *                    appliers and turn steps (issue 11)
 *   1  facility.c    facilities' derived figures and the facility list
 *      finance.c     money limits: headroom, floors, credit limits
 *      policy.c      nations' policies: defaults, applying one (with the
 *                    technology bans, sanctions, screens and firm price
 *                    floors of issue 11)
 *      locate.c      file:line:column of a JSON path or jansson error
 *   0  util.c        names, units, exact arithmetic, fixed point
 *      netsimplex.c  the network simplex (its own header, no model types)
 *
 * Every file includes this header (and model.h through it); netsimplex.c
 * includes only netsimplex.h and model.h. No file outside model/ includes
 * this header (tests/layout checks it): the rest of the code sees model.h.
 * The short macros below (NP, NS, NN, ALL) are therefore the model's own.
 */
#ifndef LANTHANIDE_MODEL_INTERNAL_H
#define LANTHANIDE_MODEL_INTERNAL_H

#include "model.h"
#include "lan_assert.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define NP MODEL_PRODUCTS
/* Products of the serialisation's first sections (the products before
 * design J1's dy_oxide and tb_oxide, which are written in a section of
 * their own on split maps only, so basket maps keep their bytes). */
#define NP_BASE MODEL_DY
/* Products before design J4's magnet_scrap, which is written in a section
 * of its own on recycling maps only. */
#define NP_V1 MODEL_SCRAP
/* Stages before design J4's recycling (the stages of maps without
 * parameters.recycling). */
#define NS_V1 MODEL_RECYCLING
/* The longest end-of-life ring (parameters.recycling.lifetime, turns). */
#define MODEL_EOL_MAX 64
/* Element sub-accounts inside concentrate: ndpr, the heavies (dytb_oxide
 * on basket maps, dy_oxide on split maps), tb_oxide (split maps); La/Ce
 * is the rest. The third is always 0 on basket maps. */
#define NEL 3
#define NS  MODEL_STAGES
#define NN  MODEL_NATIONS_MAX
#define ALL NN /* index of the "all nations" slot */

/* ---- map ---- */
typedef struct {
  bool present;
  int64_t volume_kg_turn;  /* reference volume per turn */
  int64_t price;           /* reference price, cents/kg */
  int64_t elasticity_ppm;  /* |elasticity| at the reference point */
  int64_t growth_ppm_turn; /* per-turn growth, compounded */
  int64_t max_price;       /* demand is zero above it */
} map_demand_t;

/* One sector's demand line (issue 11, demand by sector): a linear curve
 * through (the object's reference price, volume) with its own elasticity;
 * growth per turn for each year of the game (the last holding); max
 * price; buyer rules; the nation whose market it clears in and the one
 * whose security it counts for. */
typedef struct {
  bool present;
  bool qualified_only;
  int32_t n_growth;
  int32_t cleared_in, counts_for;
  int32_t exclude_from;
  uint64_t exclude; /* origins refused, a bit per nation */
  int64_t volume_kg_turn, elasticity_ppm, max_price;
  int64_t growth_q[MODEL_SECTOR_YEARS]; /* per-turn ppm, year by year */
} map_sector_t;

typedef struct {
  char id[MODEL_ID_MAX];
  char title[MODEL_TITLE_MAX];
  int64_t budget;
  uint64_t allies; /* bit per nation */
  int64_t talent[NS];
  int64_t wage[NS]; /* cents per person-year */
  int64_t unit_cost_factor[NS], capex_factor[NS], lead_factor[NS]; /* ppm */
  map_demand_t demand[NP];
  int64_t stockpile[NP];
  size_t n_policies;
  model_order_t *policies;
  int32_t seat; /* -1 without a seat */
  /* version 2 (docs/design/model-v2.md): new fields at the end */
  int32_t permit_turns[NS][2]; /* greenfield, brownfield; -1: the stage's */
  int64_t deficit_limit;       /* cents; -1: none (maps without finance) */
  int64_t train_cap[NS];       /* people a turn; -1: no limit */
  /* issue 11, demand by sector: a product's demand object with
   * "sectors" (sectored[p]) is the sum of these lines */
  bool sectored[NP];
  map_sector_t sector[NP][MODEL_SECTORS];
} map_nation_t;

typedef struct {
  char id[MODEL_ID_MAX];
  char title[MODEL_TITLE_MAX];
  model_seat_kind_t kind;
  int32_t nation;
  int64_t cash;
  int64_t inventory[NP];
  int64_t basket[4]; /* ppm of ndpr, dytb (dy), lace in opening concentrate;
                        [3] tb on split maps (design J1) */
  int64_t staff[NS];
  int64_t weight[3]; /* ppm: firm [0] net worth; nation security, va, budget */
  size_t n_orders;
  model_order_t *orders;
  /* version 2 */
  int64_t credit_line; /* cents a bank lends at most (finance maps) */
  /* issue 11, seatless firms: no one may take the seat (a session issues
   * no join code for it and assigns no agent); it plays its standing
   * orders. Firms only. */
  bool seatless;
} map_seat_t;

typedef struct {
  char id[MODEL_ID_MAX];
  int32_t nation;
  int32_t type; /* 0 hard-rock light, 1 ionic clay heavy */
  int64_t reserves;
  int64_t basket[4]; /* ppm ndpr, dytb (dy), lace; [3] tb (split maps) */
  int64_t unit_cost; /* cents/kg, -1 for the stage default */
  bool open;
  /* issue 11: the firm that owns it (`owner`), the only one that may open
   * a mine on it; -1: anyone may */
  int32_t owner;
  char owner_id[MODEL_ID_MAX];
} map_deposit_t;

typedef struct {
  char id[MODEL_ID_MAX];
  int32_t owner, stage, deposit, nation;
  int64_t capacity, utilisation, experience, unit_cost, recovery;
  int32_t building, ramp_age;
  int64_t book_value;
  int64_t staff_milli; /* people per kt/yr x 1000; -1: the stage's */
  bool branch;         /* issue 11, design I2: abroad, and part of its owner's
                          branch there (maps with parameters.branches) */
} map_facility_t;

typedef struct {
  int32_t lead_green, lead_brown; /* turns */
  int64_t capex;                  /* cents per (kg/yr) */
  int64_t brown_factor;           /* ppm */
  int64_t unit_cost;              /* cents/kg */
  int64_t experience;             /* kg */
  int64_t learning_ppm;
  int64_t staff_milli_per_t; /* milli-people per (t/yr) == people per kt */
  int64_t wage;              /* cents per person-year */
  int32_t n_ramp, n_bramp;
  int64_t ramp[MODEL_RAMP_MAX], bramp[MODEL_RAMP_MAX];
  int64_t rec_initial, rec_max, rec_understaffed; /* ppm */
  int64_t recipe[3];   /* ppm kg oxide per kg magnet: ndpr, dytb (dy); [2] tb
                          on split maps (design J1) */
  int64_t log2_pr_q32; /* log2(1 - learning), Q32, <= 0 */
  /* version 2: lead times in two phases (permits, then construction that
   * grows with size), and the bound on a brownfield expansion */
  bool two_phase;
  int32_t permit_turns[2], build_turns[2]; /* greenfield, brownfield */
  int64_t reference_kg;                    /* kg/yr */
  int64_t tpd_milli;                       /* turns per doubling x 1000 */
  int64_t brown_max_ppm;                   /* -1: unbounded */
  /* version 2: one learning curve per stage on effective experience
   * (docs/model.md, "Learning"): own, the firm's other plants, a share of
   * the nation's know-how and of the open world's */
  bool learn;
  char learn_ref[MODEL_ID_MAX]; /* the reference facility's id */
  int64_t spill_n_ppm, spill_w_ppm, max_mult_ppm;
  int64_t rec_ref, rec_lmax, rec_lmin; /* separation recovery, ppm */
} map_stage_t;

typedef struct {
  model_event_kind_t kind;
  int64_t probability_ppm;
  int64_t magnitude_ppm;
  int32_t duration;
  int32_t nation;  /* -1 any */
  int32_t product; /* -1 any */
} map_random_event_t;

struct model_map {
  char id[MODEL_ID_MAX];
  char title[MODEL_TITLE_MAX];
  int32_t turns, year;
  uint8_t digest[MODEL_HASH_BYTES];
  size_t n_nations, n_seats, n_deposits, n_facilities, n_random, n_scripted;
  map_nation_t *nations;
  map_seat_t *seats;
  map_deposit_t *deposits;
  map_facility_t *facilities;
  map_random_event_t *random;
  model_event_t *scripted;
  size_t n_injects; /* prepared injects (issue 13) */
  model_map_inject_t *injects;
  size_t n_choices; /* the story's choices (issue 11, "choices") */
  model_map_choice_t *choices;
  int64_t price0[NP];
  map_stage_t stage[NS];
  int32_t train_turns[NS];
  int64_t train_cost[NS];
  int64_t migration_ppm;
  int64_t talent_growth_ppm_turn;
  int64_t *transport; /* [p][from][to], cents/kg */
  int64_t stock_premium, stock_discount, stock_max_share;
  int64_t substitution_cap_ppm;
  int32_t depreciation_turns;
  /* version 2: set when the map uses any key of model v2, which adds a
   * section to the state's serialisation (maps without one serialise as
   * before, byte for byte) */
  bool v2;
  /* version 2, money (docs/model.md, "Money limits"): without
   * parameters.finance nothing is checked beyond a firm's cash */
  bool finance;
  int64_t nation_rate_q, firm_rate_q; /* interest per quarter, ppm */
  int64_t collateral_ppm, liquidation_ppm;
  int32_t receivership_turns;
  /* version 2, talent (docs/model.md, "Talent limits") */
  bool train_caps;                   /* some nation has a training capacity */
  int64_t cap_growth_q, cap_max_ppm; /* growth a turn while full; bound */
  int64_t mentor_ppm;                /* apprentices per experienced person
                                        a turn; 0: no apprentices */
  int32_t seasoning_turns[NS];
  int64_t poach_ppm;      /* of an origin pool a turn; 0: no poaching */
  int64_t poach_cost_ppm; /* signing cost, in years of wages (ppm) */
  int64_t wage_gap_ppm;   /* wage-led migration's gap; -1: even split */
  int32_t hist_turns;     /* turns of world prices kept for observations
                             (parameters.price_history), 0: none */
  /* version 2, markets: the cost of holding stock, per quarter (ppm of
   * its value at world prices); 0: none */
  int64_t hold_q;
  bool fac_staff; /* some map facility has its own staff_per_kt */
  /* issue 11, rules of origin: the nation whose material is tracked from
   * the first turn (parameters.origin_tracking), -1 none */
  int32_t origin_track;
  char origin_track_id[MODEL_ID_MAX];
  /* issue 11, qualification of magnet suppliers (parameters.qualification):
   * turns of qualifying output a firm needs (0: no qualification), the
   * output a turn that counts, and the seats qualified at turn 0 (a flag
   * per seat, NULL without the key) */
  int32_t qual_turns;
  int64_t qual_min_kg;
  uint8_t *qualified0;
  /* issue 13, closed information (docs/maps.md "information"): set when
   * the map has the key. unpublished[n] has bit k set when nation n's
   * policies of kind k are left out of every seat's public.policies;
   * construction_error_ppm bounds the error of the estimates other
   * nations see of a nation's capacity under construction (0: exact). */
  bool info;
  uint32_t *unpublished; /* [n_nations], NULL without "information" */
  int64_t construction_error_ppm;
  /* issue 11, design J1: parameters.heavy_products "split" (dy_oxide and
   * tb_oxide instead of dytb_oxide); the share of Dy in a heavy basket
   * given as dytb_oxide on a split map (ppm, floor to Dy) */
  bool heavy_split;
  int64_t dy_share_ppm;
  /* design J3, Dy thrifting (parameters.thrift): the lowest recipe as a
   * share of the stage's (ppm), the turns a change takes, the extra opex
   * at the full cut (cents per kg magnet) */
  int64_t thrift_min_ppm;
  int32_t thrift_turns;
  int64_t thrift_cost;
  /* issue 11, demand by sector: some nation's demand lists sectors (the
   * state then carries the per-sector section of its serialisation) */
  bool sectors;
  /* issue 11, building abroad (design I2; parameters.branches): a firm's
   * new facilities abroad belong to its branch in the host nation */
  bool branches;
  /* design J4, recycling (parameters.recycling): the stage `recycling`
   * and the product magnet_scrap exist only when set. Magnets consumed by
   * final demand come back as end of life after eol_life turns; the
   * ring is seeded at turn 0 from each nation's magnet demand deflated
   * by eol_growth_q a turn; recycling recovers eol_recovery of the
   * magnet recipe's oxides; nations offer collected scrap at
   * scrap_share of the magnet price and pay collection_cost a kg. */
  bool recycling;
  int32_t eol_life;         /* turns, 1..MODEL_EOL_MAX */
  int64_t eol_growth_q;     /* ppm a turn (history's yearly growth) */
  int64_t eol_recovery_ppm; /* of the recipe's content */
  int64_t scrap_share_ppm;  /* of the magnet price */
  int64_t collection_cost;  /* cents per kg collected */
};

static inline int64_t map_transport(const model_map_t *m, int p, int i, int j) {
  return m->transport[((size_t)p * m->n_nations + (size_t)i) * m->n_nations +
                      (size_t)j];
}

/* Design J3: the lowest heavy recipe a magnet plant may order (ppm kg per
 * kg magnet, rounded up to the recipe's min_share) */
static inline int64_t model_thrift_floor(const model_map_t *m) {
  int64_t full = m->stage[MODEL_MAGNETS].recipe[1];
  return (int64_t)(((__int128)full * m->thrift_min_ppm + MODEL_PPM - 1) /
                   MODEL_PPM);
}

/* Whether product p exists on the map (design J1): a basket map has
 * dytb_oxide and not dy_oxide / tb_oxide, a split map the reverse. */
static inline bool map_has(const model_map_t *m, int p) {
  if (p < 0 || p >= NP)
    return false;
  if (p == MODEL_SCRAP)
    return m->recycling; /* design J4 */
  return m->heavy_split ? p != MODEL_DYTB : p < MODEL_DY;
}

/* Whether stage (or skill) s exists on the map (design J4: recycling only
 * on maps with parameters.recycling). */
static inline bool map_has_stage(const model_map_t *m, int s) {
  if (s < 0 || s >= NS)
    return false;
  return s != MODEL_RECYCLING || m->recycling;
}

/* The stages of the map: NS on recycling maps, else the first NS_V1. */
static inline int map_ns(const model_map_t *m) {
  return m->recycling ? NS : NS_V1;
}

/* The oxides separation makes, in the order of a basket's shares
 * (ndpr, heavy, lace, then tb on split maps), and the element
 * sub-account of each (-1: La/Ce, the rest). Returns their count. */
static inline int map_oxides(const model_map_t *m, int prod[4], int el[4]) {
  prod[0] = MODEL_NDPR;
  prod[1] = m->heavy_split ? MODEL_DY : MODEL_DYTB;
  prod[2] = MODEL_LACE;
  prod[3] = MODEL_TB;
  el[0] = 0;
  el[1] = 1;
  el[2] = -1;
  el[3] = 2;
  return m->heavy_split ? 4 : 3;
}

/* The magnet stage's inputs (ndpr, heavy, tb on split maps), in the
 * order of map_stage_t.recipe. Returns their count. */
static inline int map_magnet_inputs(const model_map_t *m, int prod[3]) {
  prod[0] = MODEL_NDPR;
  prod[1] = m->heavy_split ? MODEL_DY : MODEL_DYTB;
  prod[2] = MODEL_TB;
  return m->heavy_split ? 3 : 2;
}

/* ---- state ---- */
typedef struct {
  int64_t quota[NP][NN + 1]; /* kg per turn, -1 none */
  uint8_t ban[NP][NN + 1];
  int64_t licence[NP][NN + 1]; /* approval ppm; MODEL_PPM = no licensing */
  int64_t tariff[NP][NN + 1];  /* ppm ad valorem, by origin */
  int64_t sub_capex[NS], sub_output[NS];
  int64_t floor_price[NP], floor_qty[NP];
  int64_t stock_target[NP]; /* -1 none */
  int64_t talent_budget[NS];
  uint8_t mig_in[NS], mig_out[NS];
  int64_t permit_speed[NS]; /* ppm */
  int64_t prod_quota[NS];   /* kg per turn, -1 none */
  int64_t tax_ppm;
  /* version 2 (design L3): a production quota on the stage's output
   * rather than its feed, and counting only domestic material */
  uint8_t quota_output[NS], quota_domestic[NS];
  /* issue 11, design I2: a subsidy with foreign false pays home firms
   * only (capex of their builds here, output of their plants here) */
  uint8_t sub_home_only[NS];
  /* design J4: the share of end-of-life magnets collected (ppm) */
  int64_t collect_ppm;
} policies_t;

typedef struct {
  int64_t budget;
  int64_t stock[NP];
  int64_t stock_el[NEL]; /* ndpr, dytb (dy), tb kg inside the concentrate */
  int64_t pool[NS];
  int64_t pipeline[NS][MODEL_TRAIN_TURNS_MAX];
  policies_t pol;
  int64_t demand_q0[NP];  /* trend reference volume this turn, kg */
  int64_t subst_ppm[NP];  /* share of it lost to substitution */
  int64_t surge_ppm[NP];  /* demand added by events this turn */
  int64_t consumed[NP];   /* final demand met last turn */
  int64_t bought[NP];     /* all purchases at the nation's market */
  int64_t own_supply[NP]; /* of bought: from own or allied sellers */
  int64_t value_added;    /* cumulative, cents */
  int64_t security_ppm;
  int64_t score;
  model_holder_flows_t flows;
  /* version 2 */
  int64_t arrears; /* interest owed beyond the deficit limit, cents */
  uint32_t told;   /* this turn's curtailment news, a bit per kind (not
                      serialised: cleared when a turn begins) */
  /* version 2, talent */
  int64_t train_cap[NS];   /* training places a turn; -1: no limit */
  int64_t train_used[NS];  /* places taken this turn (0 between turns) */
  int64_t train_kept[NS];  /* places kept for its programme this turn, from
                              the programme in force as the turn opened */
  int64_t pool_start[NS];  /* the pool as the turn opened (poaching bound) */
  int64_t poached[NS][NN]; /* this turn, by firms of each nation */
  /* version 2, learning: the stage's cumulative output in the nation, kg
   * (separation: concentrate fed) */
  int64_t know_how[NS];
  /* issue 11, rules of origin: kg of the stockpile made with the tracked
   * nation's material (model_ext_t.track1) */
  int64_t orig[NP];
  /* issue 11, demand by sector (maps with sectors): each line's trend
   * volume this turn, the share substitution took from it, what it
   * bought last turn; and the security credit of lines cleared in other
   * markets (kg bought, kg of it from own or allied sellers), this turn */
  int64_t sec_q0[NP][MODEL_SECTORS];
  int64_t sec_subst[NP][MODEL_SECTORS];
  int64_t sec_consumed[NP][MODEL_SECTORS];
  int64_t credit_bought[NP], credit_own[NP];
  int64_t sec_price[NP][MODEL_SECTORS]; /* the price its buyers paid */
  /* design J4 (recycling maps): magnets its final demand consumed, a
   * ring of map eol_life turns (entry turn % eol_life holds the turn's
   * consumption, eol_life turns after it the magnets' end of life), and
   * last turn's collection: kg collected as scrap, money paid for it */
  int64_t eol[MODEL_EOL_MAX];
  int64_t collected, collect_paid;
} nation_t;

typedef struct {
  int64_t qty, price;
} standing_t;

/* Fields in the order the turn touches them (the markets read cash,
 * inventory and standing orders of every seat five times a turn); the
 * serialisation names fields one by one, so the order is free. */
typedef struct {
  int64_t cash;
  int64_t inv[NP];
  standing_t offer[NP], bid[NP];
  /* this turn's accounts */
  int64_t revenue, costs;
  int64_t inv_el[NEL]; /* ndpr, dytb (dy), tb kg inside concentrate */
  model_holder_flows_t flows;
  int64_t staff[NS];
  int32_t first_fac; /* -1 none; facilities linked by next_of_owner */
  int32_t n_fac;
  int64_t score;
  int64_t initial_worth;
  /* the submission for the open turn */
  bool submitted;
  size_t n_pending;
  model_order_t *pending;
  int64_t pipeline[NS][MODEL_TRAIN_TURNS_MAX];
  /* version 2, money */
  int64_t credit_line;  /* what its bank lends at most, cents */
  int64_t credit_limit; /* min(credit line, collateral share of book and
                           inventory), set at the end of each turn and
                           frozen in receivership */
  int64_t written_off;  /* debt written off so far, cents */
  int32_t receivership; /* turns left in receivership, 0: none */
  /* version 2, talent */
  int64_t appr[NS][MODEL_TRAIN_TURNS_MAX]; /* apprentices seasoning */
  int64_t appr_taken[NS];                  /* this turn */
  /* version 2, markets: each standing bid's index product + 1 (0: none) */
  int8_t bid_index[NP];
  /* version 2, markets: each standing offer's stock-following rule (normal
   * stock kg, 0: none; discount and floor share, ppm) */
  int64_t offer_normal[NP], offer_disc[NP], offer_min[NP];
  /* issue 11, rules of origin: kg of the inventory made with the tracked
   * nation's material (model_ext_t.track1) */
  int64_t orig[NP];
  /* issue 11, qualification (maps with parameters.qualification): turns of
   * qualifying magnet output so far, and whether the firm is qualified */
  int32_t qual_done;
  bool qualified;
} seat_t;

/* Hot fields first, the id (read by events and observations) last. */
typedef struct {
  int32_t owner, nation, stage, deposit;
  int32_t next_of_owner;
  int32_t ramp_age, exp_age, outage_turns;
  int64_t build_left;        /* turns x 1e6; 0 = operating */
  int64_t exp_left, exp_cap; /* expansion under construction */
  int64_t exp_done;          /* finished expansion still ramping */
  int64_t capacity;          /* nameplate kg/yr */
  int64_t util;              /* ppm */
  int64_t outage_ppm;
  /* derived each turn (serialised, so observations after a reload agree) */
  int64_t effective, staff, staff_needed, unit_cost, recovery, out_last;
  int64_t cum, exp0, cost0, rec0;
  /* log2(exp0) in Q32 once known, -1 before: exp0 never changes, and the
   * fixed-point log is the learning curve's main cost (not serialised) */
  int64_t lg_exp0;
  int64_t book;
  char id[MODEL_ID_MAX];
  /* version 2: permits still to obtain (turns x 1e6, at the host's
   * permitting speed) before construction (build_left, exp_left) starts;
   * while they run build_left (exp_left) holds the whole construction */
  int64_t permit_left, exp_permit_left;
  /* version 2, learning: the map's cost and recovery kept at turn 0 as a
   * factor (ppm) and an offset (ppm) on the curve's; 1e6 and 0 for new
   * plants */
  int64_t anchor_cost, anchor_rec;
  int64_t staff_milli; /* its own staffing ratio, -1: the stage's */
  /* issue 11, building abroad: a plant built with build.nation in another
   * nation than its owner's home: it staffs itself from the host's pool
   * (its staff stay on it from turn to turn) and pays host wages */
  bool abroad;
  /* issue 11, design J3: a magnet plant's recipe of the heavies (ppm kg of
   * dytb_oxide, or of dy_oxide on split maps, per kg magnet; tb_oxide
   * follows by the same share), now and as ordered, and the turns before
   * the ordered one takes effect; 0: the stage's recipe */
  int64_t recipe_dy_now, recipe_dy_target;
  int32_t thrift_left;
} facility_t;

typedef struct {
  model_event_kind_t kind;
  int32_t nation, facility, product;
  int64_t magnitude_ppm;
  int32_t turns_left;
} effect_t;

/* ---- issue 11: state support, contracts, controls (deals.c) ----
 * Kept apart from the nations and seats, and allocated only once a game
 * uses one of them (a grant, equity, loan, firm price floor, contract,
 * technology export ban, sanction, investment screen or exports-basis
 * licence): a game that never does keeps today's state, bytes and hash
 * (the serialisation writes this section only when it exists). */
#define MODEL_SUPPORT_MAX   64  /* firm price floors and CfDs in force */
#define MODEL_LOANS_MAX     64  /* state loans outstanding */
#define MODEL_STAKES_MAX    64  /* (nation, firm) equity stakes */
#define MODEL_CONTRACTS_MAX 256 /* open proposals and running contracts */
#define MODEL_SANCTIONS_MAX 64  /* (nation, firm) sanctions */
#define MODEL_LAPSES_MAX    64  /* policies set to lapse, at a time */
#define MODEL_PROPOSALS_MAX 16  /* open proposals of one seat */

typedef struct {
  int32_t nation, firm, product, turns_left;
  int64_t strike, qty; /* cents/kg; kg per turn */
  bool two_sided;
  int64_t paid_last; /* last settlement: + nation to firm, - firm to nation */
} support_t;

typedef struct {
  int32_t nation, firm, turns_left, grace_left;
  int64_t principal; /* cents still owed */
  int64_t rate_q;    /* ppm per turn */
  int64_t paid_last; /* interest and principal paid last turn */
} loan_t;

typedef struct {
  int32_t nation, firm;
  int64_t stake_ppm, paid; /* cents paid for it */
} stake_t;

typedef struct {
  char id[MODEL_ID_MAX];
  int32_t proposer, seller, buyer, product; /* seats */
  int32_t expires;    /* a proposal: the last turn it may be accepted */
  int32_t turns_left; /* a running contract: deliveries left */
  bool accepted;
  int64_t qty, price, penalty; /* kg per turn, cents/kg, cents/kg */
  int64_t delivered_last, shortfall_last, excused_last, penalty_last;
  int64_t delivered_total;
  /* a price formula: share x the index product's last price in the
   * seller's nation, within [floor, cap]; index -1: the fixed price */
  int32_t index;
  int64_t share, floor, cap; /* ppm; cents/kg; cents/kg, 0 none */
  int64_t price_last;        /* the price of last turn's delivery */
  bool consume;              /* a nation buyer consumes the goods */
} contract_t;

typedef struct {
  size_t n_support, n_loans, n_stakes, n_contracts, n_sanctions;
  support_t support[MODEL_SUPPORT_MAX];
  loan_t loans[MODEL_LOANS_MAX];
  stake_t stakes[MODEL_STAKES_MAX];
  contract_t contracts[MODEL_CONTRACTS_MAX];
  struct {
    int32_t nation, firm;
  } sanctions[MODEL_SANCTIONS_MAX];
  /* per nation: destinations as bits (nation j is bit j), plus "all" */
  uint64_t tech_ban[NN][NS];
  uint8_t tech_ban_all[NN][NS];
  uint64_t screen[NN][NS]; /* investment_screen: origins refused */
  uint8_t screen_all[NN][NS];
  uint64_t lic_exports[NN][NP]; /* export_licence on the exports basis */
  uint8_t lic_exports_all[NN][NP];
  /* rules of origin: the tracked nation + 1 (0: none), and each nation's
   * rule per product (docs/model.md "Rules of origin") */
  int32_t track1;
  struct {
    bool on;
    int32_t to;        /* a nation, or ALL */
    int64_t threshold; /* ppm of a magnet's value */
    int64_t approval;  /* ppm of controlled goods approved for export */
    int32_t from_turn; /* binds from this turn */
  } origin[NN][NP];
  /* lapsing policies (issue 11, design L7): a policy set with `turns`,
   * the nation's policy it replaced (restored at the end of the turn
   * before `due`), one entry per nation and policy slot. Before cx:
   * range.c's snapshot copies the ext up to cx. */
  size_t n_lapses;
  struct {
    int32_t nation, due;
    model_order_t prev;
  } lapses[MODEL_LAPSES_MAX];
  /* the turn's contract exports of the product being delivered, for the
   * market's quotas (kg, [exporter][importer]); scratch of the turn */
  int64_t cx[NN][NN];
  /* the turn's deliveries a nation consumed (contracts with consume), and
   * of them from own or allied sellers, for its supply security: added to
   * the market's figures once the product's market has set them */
  int64_t used[NN], used_own[NN];
} model_ext_t;

/* ---- issue 11, design I2: branches abroad (branch.c) ----
 * On maps with parameters.branches a firm has a branch in each nation
 * where it built a facility other than at home. The branch holds its own
 * goods (and their element and origin sub-accounts), its standing offers
 * and bids clear in the host's market and its profit is taxed by the host;
 * its money is the firm's (one treasury). Its plants staff themselves from
 * the host's pool and pay host wages (facility_t.abroad). A branch is a
 * holder numbered after the nations: n_seats + n_nations + its index, so
 * the balance tests cover it (its money is always 0: every payment is the
 * firm's). Goods move between a firm's own locations with the standing
 * op `transfer`. The state exists only on such maps (serialised after a
 * tag of its own). */
#define MODEL_BRANCHES_MAX  256
#define MODEL_TRANSFERS_MAX 256

typedef struct {
  int32_t seat, nation;
  int64_t inv[NP];
  int64_t inv_el[NEL]; /* ndpr, dytb (dy), tb kg inside its concentrate */
  int64_t orig[NP];    /* rules of origin: tracked content, kg */
  standing_t offer[NP], bid[NP];
  int64_t revenue, costs;     /* this turn's, for the host's profit tax */
  int64_t tax_last;           /* profit tax paid to the host last turn */
  model_holder_flows_t flows; /* goods; its money flows stay 0 */
} branch_t;

typedef struct {
  int32_t seat, product, from, to; /* from, to: nations */
  int64_t qty;                     /* kg per turn */
  int64_t moved_last, excused_last;
} transfer_t;

typedef struct {
  size_t n, n_transfers;
  transfer_t t[MODEL_TRANSFERS_MAX];
  branch_t b[MODEL_BRANCHES_MAX]; /* last: copies stop at the n used */
} model_br_t;

/* The bytes of a model_br_t in use (its first n branches). */
static inline size_t model_br_used(const model_br_t *br) {
  return offsetof(model_br_t, b) + br->n * sizeof br->b[0];
}

/* Market scratch and results (per product). */
typedef struct {
  size_t n_trades, cap_trades;
  model_trade_t *trades;
  size_t n_flows, cap_flows;
  model_flow_t *flows;
  int64_t seller_price[NN];
  int64_t buyer_price[NN];
} market_result_t;

struct model_state {
  const model_map_t *map;
  uint64_t seed;
  int32_t turn;
  size_t n_nations, n_seats, n_deposits;
  nation_t *nations;
  seat_t *seats;
  int64_t *reserves; /* per deposit */
  size_t n_fac, cap_fac;
  facility_t *fac;
  /* Effects of events still running, and events injected for the next
   * turn: arrays grown as needed (model_state_room) up to
   * MODEL_EFFECTS_MAX and MODEL_INJECTED_MAX. Held inline they made a
   * state 349 KB, most of it never used. */
  size_t n_effects, cap_effects;
  effect_t *effects;
  size_t n_injected, cap_injected;
  model_event_t *injected;
  /* scripted events of the map that do not run in this game (issue 13),
   * one bit per index; serialised only when a bit is set */
  uint8_t scripted_off[MODEL_SCRIPTED_MAX / 8];
  int64_t price[NP]; /* world reference price (last turn) */
  int64_t regional[NP][NN];
  int64_t volume[NP];
  market_result_t market[NP];
  model_report_t report;
  int64_t report_regional[NP * NN];
  int64_t report_production[NS * NN];
  int64_t report_capacity[NS * NN];
  int64_t *report_scores;
  /* scratch, not part of the state proper: rebuilt as needed, kept so that
   * a turn allocates nothing once a game has warmed up */
  void *scratch;     /* market.c's workspace */
  int64_t *turn_buf; /* turn.c: per-facility amounts and per-seat staff */
  size_t cap_turn_buf;
  /* range.c: the state as it was before the turn being resolved (so that a
   * refused turn leaves no trace), and the turn's first range error. A
   * checked operation that would overflow leaves its target unchanged and
   * records the error here; model_resolve then rolls the turn back and
   * returns MODEL_ERANGE. The message outlives the rollback: it is what
   * model_last_error returns. */
  void *snap;
  bool range_failed;
  char range_msg[MODEL_MESSAGE_MAX];
  /* issue 11: NULL until a game uses a deal or a control (see
   * model_ext_t) */
  model_ext_t *ext;
  /* true while model_orders_apply runs (not part of the state proper): a
   * build accepted at submission is not refused for a ban, screen or
   * sanction set earlier in the same turn (controls bind new projects
   * from the next turn) */
  bool applying;
  /* version 2, learning: each stage's reference experience (kg) and
   * reference cost at factor 1 (cents/kg), fixed at turn 0 */
  int64_t learn_kref[NS], learn_cref[NS], learn_lgkref[NS];
  /* version 2, markets: the last world prices, newest first (maps with
   * parameters.price_history) */
  int64_t hist[MODEL_HISTORY_MAX][NP];
  int32_t n_hist;
  /* amend.c (issue 13): `production` amendments of the turn about to be
   * resolved, each a facility's output cap for it (kg). Not part of the
   * state proper: set on a state about to be resolved (never serialised
   * or hashed) and cleared by model_resolve. */
  size_t n_caps;
  struct {
    char facility[MODEL_ID_MAX];
    int64_t kg;
  } caps[MODEL_CAPS_MAX];
  /* issue 11, design I2: branches abroad (model_br_t), NULL when the map
   * has none and no nation limits its subsidy to home firms */
  model_br_t *br;
};

/* ---- functions shared between files, by layer (see the top) ---- */

/* amend.c: cap want[] (kg per facility of the turn) of `stage`'s
 * facilities by the turn's production amendments (st->caps). */
void model_amend_caps_apply(const model_state_t *st, int stage, int64_t *want);

/* util.c: exact integer arithmetic, the fixed-point learning curve, names.
 * mul_div's general case: a*b/c through 128 bits. Returns false, with *out
 * clamped to INT64_MIN or INT64_MAX, when the quotient does not fit in
 * int64. */
bool model_mul_div_wide(int64_t a, int64_t b, int64_t c, int64_t *out);

/* a*b/c, floor, exact; false (and *out clamped, never wrapped) when the
 * quotient does not fit in int64. Inline with a 64-bit path because the
 * turn calls it for every facility and trade: a 128-bit division is a
 * library call, and a product that fits in 64 bits (nearly all of them)
 * gives the same quotient. */
static inline bool mul_div_ok(int64_t a, int64_t b, int64_t c, int64_t *out) {
  int64_t p;
  if (c > 0 && !__builtin_mul_overflow(a, b, &p)) {
    int64_t q = p / c;
    *out = p % c != 0 && p < 0 ? q - 1 : q;
    return true;
  }
  return model_mul_div_wide(a, b, c, out);
}

/* mul_div where the quotient fits by construction: a share of a
 * (|b| <= c, as ppm_of with ppm <= 1e6 and pro-rata splits) or a product
 * bounded by the map's and the orders' limits. Should it ever not fit, the
 * result saturates instead of wrapping. Money and tonnes that can grow
 * beyond such bounds use model_ck_mul_div, which refuses the turn. */
static inline int64_t mul_div(int64_t a, int64_t b, int64_t c) {
  int64_t q;
  (void)mul_div_ok(a, b, c, &q);
  return q;
}

/* a*ppm/1e6, floor (the constant divisor becomes a multiplication). */
static inline int64_t ppm_of(int64_t a, int64_t ppm) {
  return mul_div(a, ppm, MODEL_PPM);
}

/* ---- checked money and tonnes (range.c) ----
 * Every sum, difference and product of money (cents) or tonnes (kg) that
 * the turn books goes through these. On overflow the target is left as it
 * was, the turn's first error is recorded with a message naming the holder
 * and the quantity (st->range_msg), and model_resolve refuses the whole
 * turn with MODEL_ERANGE. `who` is a holder (a seat index, or n_seats +
 * nation for a nation's budget and stockpile; -1 for the world's books),
 * `what` the quantity ("budget", "cash", "money sources", ...) and `why`
 * the amount booked ("price floor purchase", "subsidy", ...). */
typedef enum {
  MODEL_U_CENTS = 0,
  MODEL_U_KG = 1,
  MODEL_U_PEOPLE = 2
} model_qty_unit_t;

void model_range_overflow(model_state_t *st, int32_t who, const char *what,
                          model_qty_unit_t unit, int64_t a, char op, int64_t b,
                          const char *why);

/* Records the turn's first range error with a message of its own (the
 * turn and a colon are put in front). */
void model_range_fail(model_state_t *st, int32_t who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* *x += d. */
static inline void ck_add(model_state_t *st, int64_t *x, int64_t d, int32_t who,
                          const char *what, model_qty_unit_t unit,
                          const char *why) {
  int64_t r;
  if (__builtin_expect(__builtin_add_overflow(*x, d, &r), 0))
    model_range_overflow(st, who, what, unit, *x, '+', d, why);
  else
    *x = r;
}

/* *x -= d. */
static inline void ck_sub(model_state_t *st, int64_t *x, int64_t d, int32_t who,
                          const char *what, model_qty_unit_t unit,
                          const char *why) {
  int64_t r;
  if (__builtin_expect(__builtin_sub_overflow(*x, d, &r), 0))
    model_range_overflow(st, who, what, unit, *x, '-', d, why);
  else
    *x = r;
}

/* a*b/c (floor) as money or tonnes; 0 after recording the error when the
 * quotient does not fit. */
static inline int64_t ck_mul_div(model_state_t *st, int64_t a, int64_t b,
                                 int64_t c, int32_t who, const char *what,
                                 model_qty_unit_t unit) {
  int64_t q;
  if (__builtin_expect(mul_div_ok(a, b, c, &q), 1))
    return q;
  model_range_overflow(st, who, what, unit, a, '*', b, NULL);
  return 0;
}

/* The holder (as in ck_add) of a seat's money: its own cash for a firm,
 * its nation's budget for a nation seat. */
static inline int32_t model_seat_holder(const model_state_t *st, size_t s) {
  return st->map->seats[s].kind == MODEL_SEAT_FIRM
             ? (int32_t)s
             : (int32_t)(st->n_seats + (size_t)st->map->seats[s].nation);
}

/* A holder's money, flows, stock of product p and element stock (as in
 * ck_add: a firm seat's own, else its nation's entry n_seats + nation, or
 * a branch's, n_seats + n_nations + its index). A branch has no money of
 * its own: model_money_holder gives the firm whose cash pays for it. */
static inline branch_t *model_branch_at(model_state_t *st, int32_t h) {
  return &st->br->b[(size_t)h - st->n_seats - st->n_nations];
}
static inline int32_t model_money_holder(const model_state_t *st, int32_t h) {
  return (size_t)h < st->n_seats + st->n_nations
             ? h
             : st->br->b[(size_t)h - st->n_seats - st->n_nations].seat;
}
static inline int64_t *money_at(model_state_t *st, int32_t h) {
  h = model_money_holder(st, h);
  return (size_t)h < st->n_seats ? &st->seats[h].cash
                                 : &st->nations[(size_t)h - st->n_seats].budget;
}
static inline model_holder_flows_t *flows_at(model_state_t *st, int32_t h) {
  if ((size_t)h >= st->n_seats + st->n_nations)
    return &model_branch_at(st, h)->flows;
  return (size_t)h < st->n_seats ? &st->seats[h].flows
                                 : &st->nations[(size_t)h - st->n_seats].flows;
}
static inline int64_t *inv_at(model_state_t *st, int32_t h, int p) {
  if ((size_t)h >= st->n_seats + st->n_nations)
    return &model_branch_at(st, h)->inv[p];
  return (size_t)h < st->n_seats
             ? &st->seats[h].inv[p]
             : &st->nations[(size_t)h - st->n_seats].stock[p];
}
static inline int64_t *el_at(model_state_t *st, int32_t h) {
  if ((size_t)h >= st->n_seats + st->n_nations)
    return model_branch_at(st, h)->inv_el;
  return (size_t)h < st->n_seats
             ? st->seats[h].inv_el
             : st->nations[(size_t)h - st->n_seats].stock_el;
}

/* The limit on any holder's money after a turn (DOMAIN.md invariants,
 * docs/model.md): 2^62 cents, so that a sum of two holders' money, or a
 * holder's money and one turn's flow, never needs more than int64. */
#define MODEL_HOLDER_MONEY_MAX ((int64_t)1 << 62)

/* Around a turn: model_turn_begin keeps the state as it is (0, or
 * MODEL_ENOMEM), model_turn_check applies the money invariant and says
 * whether the turn failed, model_turn_rollback puts the kept state back. */
int model_turn_begin(model_state_t *st);
bool model_turn_check(model_state_t *st);
void model_turn_rollback(model_state_t *st);
void model_snap_free(model_state_t *st);
/* Grows *p (of *cap elements of size sz) to at least n elements: 0, or
 * MODEL_ENOMEM and *p as it was. */
int model_reserve(void **p, size_t *cap, size_t n, size_t sz);
/* state.c: room for n_effects effects and n_injected injected events in
 * st (at most their limits: MODEL_ELIMIT past them), growing the arrays by
 * doubling; 0, MODEL_ELIMIT or MODEL_ENOMEM. */
int model_state_room(model_state_t *st, size_t n_effects, size_t n_injected);

/* util.c (continued) */
int64_t model_fx_log2_q32(uint64_t n);
int64_t model_fx_learning_lg_ppm(int64_t cum, int64_t exp0, int64_t lg_exp0,
                                 int64_t log2_pr_q32);
/* sodium_init, which picks libsodium's implementations: the model hashes
 * (map digests, state hashes, the turn's random streams), and may be used
 * by a program that never called it, so every entry point that can come
 * first calls this. Idempotent and thread-safe. 0, or MODEL_ENOMEM when
 * the system cannot give libsodium what it needs. */
int model_crypto_init(void);
int model_nation_index(const model_map_t *m, const char *id);
int model_deposit_index(const model_map_t *m, const char *id);
void model_refuse(model_refusal_t *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* util.c (the model__ prefix marks names shared across the model's files
 * only): the wire names of products, stages (and skills), ops and events,
 * in enum order. A policy kind's name is its entry's in the order schema
 * (order_schema.c; model_policy_name). */
extern const char *const model__product_names[MODEL_PRODUCTS];
extern const char *const model__stage_names[MODEL_STAGES];
extern const char *const model__sector_names[MODEL_SECTORS];
extern const char *const model__op_names[MODEL_OPS];
extern const char *const model__event_names[MODEL_EVENT_KINDS];

/* The reference volume the demand curve goes through this turn (before
 * surges): the trend less what substitution has taken (docs/model.md).
 * Read by the market and by observations. */
static inline int64_t model_demand_reference(const nation_t *na, int p) {
  return na->demand_q0[p] - ppm_of(na->demand_q0[p], na->subst_ppm[p]);
}

/* The same for one sector's line (maps with demand by sector). */
static inline int64_t model_sector_reference(const nation_t *na, int p, int s) {
  return na->sec_q0[p][s] - ppm_of(na->sec_q0[p][s], na->sec_subst[p][s]);
}

/* locate.c: a JSON path as the map loader walks it, and where it (or a
 * jansson syntax error) is in the text. The keys are borrowed: they must
 * live while they are on the path. */
#define MODEL_JPATH_MAX 16
typedef struct {
  int depth;
  bool point_key; /* locate the key of the last component, not its value
                     (for unknown keys) */
  struct {
    const char *key; /* NULL for an array index */
    size_t idx;
  } elem[MODEL_JPATH_MAX];
} model_jpath_t;
void model_jpath_push_key(model_jpath_t *p, const char *k);
void model_jpath_push_idx(model_jpath_t *p, size_t i);
void model_jpath_pop(model_jpath_t *p);
/* The path as "nations[2].demand.magnet", cut to cap bytes. */
void model_jpath_str(const model_jpath_t *p, char *out, size_t cap);
/* The 1-based line and column of the path's value (or key) in text; the
 * start of the text if the path is not there. */
void model_jpath_locate(const model_jpath_t *p, const char *text, size_t len,
                        int *line, int *col);
struct json_error_t;
/* err (if not NULL) from jansson's syntax error in file `name`. */
void model_locate_json_error(const struct json_error_t *je, const char *name,
                             model_error_t *err);

/* facility.c */
/* The lead-time rule of a project of `stage` in `nation` (model.h). */
void model_project_rule(const model_state_t *st, int stage, int nation,
                        bool brown, model_project_rule_t *r);
int model_facility_push(model_state_t *st, facility_t **out);
/* The index of seat's facility with that id, or -1. */
int model_facility_of_seat(const model_state_t *st, int seat, const char *id);
void model_facility_refresh(const model_state_t *st, facility_t *f);
void model_facility_refresh_capacity(const model_state_t *st, facility_t *f);
/* Learning on effective experience (docs/model.md, "Learning"): a
 * facility's effective experience (kg), the curve's multiplier (ppm) at an
 * experience, the state's references and anchors at turn 0, and every
 * facility's cost on stages that learn. */
int64_t model_effective_experience(const model_state_t *st,
                                   const facility_t *f);
int64_t model_learning_mult(const model_state_t *st, int stage, int64_t e);
void model_learning_init(model_state_t *st);
void model_learning_refresh(model_state_t *st);
int64_t model_facility_effective(const model_state_t *st, const facility_t *f);

/* finance.c (layer 1): money limits (docs/model.md, "Money limits").
 * A holder is a seat index or n_seats + nation, as in ck_add. */
#define MODEL_HEADROOM_NONE ((int64_t)1 << 61) /* no limit on the map */
/* What a holder may still spend this turn: a firm's cash plus its credit
 * limit; a nation's budget plus its deficit limit, less interest in
 * arrears (MODEL_HEADROOM_NONE without a limit). May be negative. */
int64_t model_headroom(const model_state_t *st, int32_t holder);
/* The lowest a holder's money may be after a turn, or INT64_MIN. */
int64_t model_money_floor(const model_state_t *st, int32_t holder);
/* Recomputes every firm's credit limit from its book and inventory (not
 * those in receivership). */
void model_credit_limits(model_state_t *st);
/* "cash 400,000,000.00 USD + credit 500,000,000.00 USD" or "budget ...,
 * deficit limit ..." for a refusal, into b. */
void model_headroom_text(const model_state_t *st, int32_t holder, char *b,
                         size_t cap);

/* policy.c */
int model_partner_index(const model_map_t *m, const char *p);
/* A seat index for a firm's id, or -1. */
int model_firm_index(const model_map_t *m, const char *id);
void model_policies_default(policies_t *p);

/* order_schema.c: a number as docs/orders.md and the model's refusals
 * write it (1e9, 10,000,000, 999,999.99). */
void model_fmt_num(double v, char *b, size_t cap);

/* observe_plan.c: the deposits, rules and factors of an observation, and
 * the home nation's talent pool. 0 or -1 (out of memory). */
int model_obs_fill_plan(const model_state_t *st, int32_t home, model_obs_t *o);
int model_policy_apply(model_state_t *st, int nation, const model_order_t *o);
/* policy.c, lapsing policies (issue 11): the same, for a policy that first
 * binds at turn `first` (an event's: the next turn); a policy with
 * lapse_turns records the nation's policy it replaces, restored by
 * model_policy_lapses at the end of turn first + lapse_turns - 1.
 * model_policy_lapse_room: whether o may be set to lapse (room for one
 * more, or its slot has one already). model_policy_lapse_due: the turn a
 * standing policy like o stops holding, 0 if it does not lapse. */
int model_policy_apply_from(model_state_t *st, int nation,
                            const model_order_t *o, int32_t first);
void model_policy_lapses(model_state_t *st);
bool model_policy_lapse_room(const model_state_t *st, int nation,
                             const model_order_t *o);
int32_t model_policy_lapse_due(const model_state_t *st, int nation,
                               const model_order_t *o);

/* market.c (the network simplex beneath it has its own header,
 * netsimplex.h) */
int model_market_clear(model_state_t *st, int product);
void model_market_free(model_state_t *st);

/* orders.c */
int model_order_check(const model_state_t *st, int seat, const model_order_t *o,
                      int64_t *capex_running, model_refusal_t *r);
int model_order_check_map(const model_map_t *m, int nation_or_seat,
                          bool is_nation, const model_order_t *o,
                          model_refusal_t *r);
int model_orders_apply(model_state_t *st);
/* Training places left this turn in nation n for skill s, for orders
 * (the programme's places kept), or -1 without a capacity. */
int64_t model_train_left(const model_state_t *st, int n, int s);
/* Sets every nation's places kept for its programme from the programmes
 * in force (when a turn ends, and for a new state). */
void model_train_keep(model_state_t *st);
/* turn.c, design J3: a magnet plant's ordered heavy recipe (ppm, within
 * the thrift band), in effect after parameters.thrift.turns turns */
void model_thrift_order(model_state_t *st, facility_t *f, int64_t recipe);
/* Design J3: the extra opex of a thrifted plant's output `out` kg, in
 * cents (0 for a plant at the full recipe). */
int64_t model_thrift_opex(const model_state_t *st, const facility_t *f,
                          int64_t out);
/* The order a policy or state_support event carries, for nation n: 0 when
 * acceptable. */
int model_event_order_check(const model_map_t *m, int nation,
                            const model_event_t *ev, model_refusal_t *r);

/* observe_plan.c: the deposits, rules and factors of an observation, and
 * the home nation's talent pool. 0 or -1 (out of memory). */
int model_obs_fill_plan(const model_state_t *st, int32_t home, model_obs_t *o);

/* state.c: an empty state of the map's sizes (serialise.c fills it). */
int model_state_alloc(const model_map_t *map, model_state_t **out);
bool model_seat_net_worth(const model_state_t *st, int seat, int64_t *out);

/* turn.c */
void model_state_compute_scores(model_state_t *st);

/* The state's model_ext_t, allocated (zeroed) on first use; NULL when out
 * of memory. */
static inline model_ext_t *model_ext(model_state_t *st) {
  if (!st->ext)
    st->ext = calloc(1, sizeof *st->ext);
  return st->ext;
}

/* Whether bit j (or the "all" flag) of a per-destination set is set. */
static inline bool model_ext_has(uint64_t bits, uint8_t all, int j) {
  return all || (j >= 0 && j < 64 && (bits >> j & 1));
}

/* deals.c (layer 2: orders.c and turn.c call it): state support, contracts
 * between seats, technology bans, sanctions and screens (docs/model.md "State
 * support, contracts and controls"). Checks return 0 when the order is
 * acceptable (else fill r); appliers return 0 or MODEL_ENOMEM. */
int model_deal_check(const model_state_t *st, int seat, const model_order_t *o,
                     int64_t *running, model_refusal_t *r);
int model_deal_apply(model_state_t *st, int seat, const model_order_t *o);
/* Turn steps: contract deliveries of product p before its market; firm
 * price floors after it; loans after wages and taxes; counters at the end
 * of the turn. */
void model_contracts_deliver(model_state_t *st, int p);
void model_support_settle(model_state_t *st, int p);
void model_deals_finance(model_state_t *st);
void model_deals_finish(model_state_t *st);
/* A build abroad or by a sanctioned firm: 0, or 1 with r filled. */
int model_deal_build_check(const model_state_t *st, int seat, int host,
                           int stage, model_refusal_t *r);
/* Rules of origin (deals.c): the tracked nation, or -1; content (kg of
 * the tracked nation's material) taken out of a holder's stock of p
 * pro rata to kg leaving it (call before the stock falls), and added. */
int model_origin_nation(const model_state_t *st);
int64_t *model_origin_of(model_state_t *st, int32_t holder);
int64_t model_origin_take(model_state_t *st, int32_t holder, int p, int64_t kg);
void model_origin_add(model_state_t *st, int32_t holder, int p, int64_t kg);
/* Of qty kg of p leaving holder h in nation i for nation j outside the
 * market (a contract delivery, a transfer), what the tracked nation's
 * rule of origin lets go: the free part and the approved share of the
 * controlled part (pro rata to h's controlled share of its stock, as
 * model_origin_take takes it). qty when no rule binds (no tracked
 * nation, i is the tracked nation, no rule on p to j or to all, or
 * before its from_turn). */
int64_t model_origin_allow(model_state_t *st, int32_t h, int p, int i, int j,
                           int64_t qty);
/* Whether nation n sanctions firm (seat) f. */
bool model_sanctions(const model_state_t *st, int n, int f);
/* The threshold (ppm of value) above which a magnet made with tracked
 * content counts as the tracked nation's: the tracked nation's magnet rule,
 * else 0.1% (S65). */
int64_t model_origin_threshold(const model_state_t *st);

/* Qualification of magnet suppliers (deals.c; maps with
 * parameters.qualification): at the end of a turn, a firm whose magnet
 * plants made at least the map's min_output counts a qualifying turn and
 * is qualified after the map's turns. */
void model_qualification_turn(model_state_t *st);

/* Whether nation n bans the export of stage s's technology to nation j. */
bool model_tech_banned(const model_state_t *st, int n, int s, int j);

/* branch.c (issue 11, design I2): branches abroad and transfers. */
int model_branches_alloc(model_state_t *st);
int model_branch_find(const model_state_t *st, int seat, int nation);
/* The branch of `seat` in `nation`, opened if need be; -1 when the world
 * holds MODEL_BRANCHES_MAX (build checks refuse before that). */
int model_branch_open(model_state_t *st, int seat, int nation);
int32_t model_branch_holder(const model_state_t *st, int b);
/* The holder of a facility's goods: its branch, or its owner. */
int32_t model_fac_holder(const model_state_t *st, const facility_t *f);
int32_t model_location_holder(const model_state_t *st, int seat, int nation);
void model_branches_begin(model_state_t *st);
void model_branch_transfers(model_state_t *st, int p);
int model_branch_transfer_set(model_state_t *st, int seat,
                              const model_order_t *o);
int model_branch_check(const model_state_t *st, int seat,
                       const model_order_t *o, model_refusal_t *r);
void model_branch_taxes(model_state_t *st, int seat, int64_t *taxed);
/* The value of a firm's branch stocks at the world prices (for its net
 * worth and collateral); false when it does not fit in int64. */
bool model_branch_worth(const model_state_t *st, int seat, int64_t *out);
/* Holding cost on branch stocks, paid by their firms (a sink). */
void model_branch_holding(model_state_t *st, int64_t hold_q);
/* Whether host's subsidy of stage pays a build or the output of seat's
 * plant there (a subsidy with foreign false pays home firms only). */
static inline bool model_subsidy_applies(const model_state_t *st, int host,
                                         int stage, int seat) {
  return !st->nations[host].pol.sub_home_only[stage] ||
         st->map->seats[seat].nation == host;
}

#endif
