/*
 * kit.c: the helpers of kit.h. Integer arithmetic only, so that a strategy
 * decides the same on every machine (the model's rule too).
 */
#include "kit.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

const int64_t kit_basket[3] = {200000, 10000, 790000};

/* ---- arithmetic ---- */

int64_t kit_mul_div(int64_t a, int64_t b, int64_t c) {
  if (c == 0)
    return 0;
  __int128 q = (__int128)a * b / c;
  if (q > INT64_MAX)
    return INT64_MAX;
  if (q < INT64_MIN)
    return INT64_MIN;
  return (int64_t)q;
}

int64_t kit_ppm(int64_t a, int64_t ppm) {
  return kit_mul_div(a, ppm, KIT_PPM);
}

int64_t kit_clamp(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

int64_t kit_min(int64_t a, int64_t b) {
  return a < b ? a : b;
}

int64_t kit_max(int64_t a, int64_t b) {
  return a > b ? a : b;
}

uint64_t kit_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int64_t kit_range(uint64_t *s, int64_t lo, int64_t hi) {
  if (hi <= lo)
    return lo;
  uint64_t span = (uint64_t)(hi - lo) + 1;
  return lo + (int64_t)(span ? kit_rand(s) % span : kit_rand(s));
}

/* ---- orders ---- */

void kit_init(kit_t *k, const model_obs_t *obs, model_order_t *out,
              size_t cap) {
  k->obs = obs;
  k->out = out;
  k->cap = cap;
  k->n = 0;
  k->purse = obs->cash_cents > 0 ? obs->cash_cents : 0;
  memset(k->released, 0, sizeof k->released);
}

model_order_t *kit_push(kit_t *k, model_op_t op) {
  if (k->n >= k->cap)
    return NULL;
  model_order_t *o = &k->out[k->n++];
  memset(o, 0, sizeof *o);
  o->op = op;
  return o;
}

void kit_operate(kit_t *k, const model_obs_facility_t *f, int64_t util) {
  util = kit_clamp(util, 0, KIT_PPM);
  if (util == f->utilisation_ppm)
    return;
  model_order_t *o = kit_push(k, MODEL_OP_OPERATE);
  if (!o)
    return;
  memcpy(o->facility, f->id, sizeof o->facility);
  o->facility[sizeof o->facility - 1] = '\0';
  o->utilisation_ppm = util;
}

/* Design J3: Dy thrifting where the heavies are dear. A plant cuts its
 * heavies to the map's min_share of the recipe when what the cut saves at
 * home prices is at least three times its extra opex (the change takes a
 * year and the grade must be requalified: R32), and goes back to the full
 * recipe when the saving falls below the extra opex; in between it keeps
 * what it ordered. The recipe rides on the plant's operate order. */
void kit_thrift(kit_t *k, const int64_t *util) {
  const model_obs_t *obs = k->obs;
  const model_obs_rules_t *r = &obs->rules;
  int in[3], nin = kit_magnet_inputs(obs, in);
  int64_t heavy = 0; /* cents of heavies per kg magnet at the full recipe */
  for (int q = 1; q < nin; q++)
    heavy += kit_ppm(kit_price(obs, in[q]), kit_recipe_of(obs, in[q]));
  int64_t saving = heavy - kit_ppm(heavy, r->thrift_min_share_ppm);
  int64_t cost = r->thrift_cost_cents_per_kg;
  int64_t full = r->recipe_ppm[1];
  int64_t cut = (full * r->thrift_min_share_ppm + KIT_PPM - 1) / KIT_PPM;
  if (full <= 0 || cost <= 0 || r->thrift_min_share_ppm <= 0)
    return;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage != MODEL_MAGNETS)
      continue;
    int64_t now =
        f->heavy_recipe_target_ppm ? f->heavy_recipe_target_ppm : full;
    int64_t want = saving >= 3 * cost ? cut : saving < cost ? full : now;
    if (want == now)
      continue;
    model_order_t *o = NULL;
    for (size_t j = 0; j < k->n; j++)
      if (k->out[j].op == MODEL_OP_OPERATE &&
          strcmp(k->out[j].facility, f->id) == 0)
        o = &k->out[j];
    if (!o) {
      o = kit_push(k, MODEL_OP_OPERATE);
      if (!o)
        return;
      memcpy(o->facility, f->id, sizeof o->facility);
      o->facility[sizeof o->facility - 1] = '\0';
      o->utilisation_ppm = util ? util[i] : f->utilisation_ppm;
    }
    if (kit_split(obs))
      o->dy_recipe_ppm = want;
    else
      o->heavy_recipe_ppm = want;
  }
}

static void trade(kit_t *k, model_op_t op, const model_order_t *now,
                  int product, int64_t qty, int64_t price) {
  if (!kit_has(k->obs, product))
    return; /* design J1: never an order on a product the map lacks */
  qty = kit_clamp(qty, 0, KIT_QTY_MAX);
  price = kit_clamp(price, 0, KIT_PRICE_MAX);
  if (qty == now->quantity_kg && (qty == 0 || price == now->price_cents_per_kg))
    return;
  model_order_t *o = kit_push(k, op);
  if (!o)
    return;
  o->product = product;
  o->quantity_kg = qty;
  o->price_cents_per_kg = price;
}

void kit_offer(kit_t *k, int product, int64_t qty, int64_t min_price) {
  trade(k, MODEL_OP_OFFER, &k->obs->standing_offer[product], product, qty,
        min_price);
}

void kit_bid(kit_t *k, int product, int64_t qty, int64_t max_price) {
  trade(k, MODEL_OP_BID, &k->obs->standing_bid[product], product, qty,
        max_price);
}

/* a*b/c rounded up, for non-negative a, b and positive c */
static int64_t mul_div_up(int64_t a, int64_t b, int64_t c) {
  if (c <= 0)
    return 0;
  __int128 q = ((__int128)a * b + c - 1) / c;
  return q > INT64_MAX ? INT64_MAX : (int64_t)q;
}

static int64_t factor(const int64_t *f, const model_obs_t *obs, int stage,
                      int n) {
  return f[(size_t)stage * obs->n_nations + (size_t)n];
}

int64_t kit_capex(const model_obs_t *obs, int stage, int n, int64_t capacity,
                  bool brown) {
  const model_obs_rules_t *r = &obs->rules;
  /* the model floors each product; rounding each up instead, and the
   * margin, keep the estimate at or above what it charges */
  int64_t c = mul_div_up(capacity, r->capex_cents_per_kg_year[stage], 1);
  c = mul_div_up(c, factor(obs->capex_factor_ppm, obs, stage, n), KIT_PPM);
  if (brown)
    c = mul_div_up(c, r->brownfield_capex_ppm[stage], KIT_PPM);
  return c > INT64_MAX / 2 ? INT64_MAX / 2 : c + c / 1000 + 1;
}

int64_t kit_afford(const model_obs_t *obs, int stage, int n, bool brown,
                   int64_t money, int64_t cap) {
  if (cap <= 0 || money <= 0)
    return 0;
  if (kit_capex(obs, stage, n, cap, brown) <= money)
    return cap;
  /* the cost grows with capacity: bisect for the largest that fits */
  int64_t lo = 0, hi = cap;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (kit_capex(obs, stage, n, mid, brown) <= money)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

int64_t kit_permit_speed(const model_obs_t *obs, int stage, int n) {
  for (size_t i = 0; i < obs->n_public_policies; i++) {
    const model_obs_policy_t *p = &obs->public_policies[i];
    if (p->nation == n && p->policy.kind == MODEL_POL_PERMITTING &&
        p->policy.stage == stage && p->policy.speed_ppm > 0)
      return p->policy.speed_ppm;
  }
  return KIT_PPM;
}

int kit_project_turns(const model_obs_t *obs, int stage, int n, bool brown,
                      int64_t capacity) {
  /* the model's own rule (model_obs_project_turns), so that a plan and the
   * construction it orders agree */
  return (int)model_obs_project_turns(obs, stage, n, brown, capacity,
                                      kit_permit_speed(obs, stage, n));
}

int kit_lead(const model_obs_t *obs, int stage, int n, bool brown) {
  return kit_project_turns(obs, stage, n, brown,
                           obs->rules.reference_capacity_kg[stage]);
}

int64_t kit_staff_need(const model_obs_t *obs, int stage, int64_t capacity) {
  /* The model's rule: people = t/yr x people per kt / 1000, rounded up;
   * in kg/yr and thousandths of a person per kt, kg x milli / 1e9. */
  return mul_div_up(kit_max(capacity, 0), obs->rules.staff_milli_per_kt[stage],
                    1000000000);
}

int64_t kit_new_unit_cost(const model_obs_t *obs, int stage, int n) {
  return kit_ppm(obs->rules.unit_cost_cents_per_kg[stage],
                 factor(obs->unit_cost_factor_ppm, obs, stage, n));
}

int64_t kit_recipe(const model_obs_t *obs, int q) {
  return obs->rules.recipe_ppm[q];
}

bool kit_has(const model_obs_t *obs, int product) {
  return product >= 0 && product < MODEL_PRODUCTS &&
         obs->rules.products[product];
}

int kit_ns(const model_obs_t *obs) {
  return obs->rules.stages[MODEL_RECYCLING] ? MODEL_STAGES : MODEL_RECYCLING;
}

bool kit_split(const model_obs_t *obs) {
  return obs->rules.products[MODEL_DY];
}

int64_t kit_recipe_of(const model_obs_t *obs, int product) {
  switch (product) {
  case MODEL_NDPR:
    return obs->rules.recipe_ppm[0];
  case MODEL_DYTB:
  case MODEL_DY:
    return obs->rules.recipe_ppm[1];
  case MODEL_TB:
    return obs->rules.recipe_tb_ppm;
  default:
    return 0;
  }
}

bool kit_magnet_input(const model_obs_t *obs, int product) {
  return kit_has(obs, product) &&
         (product == MODEL_NDPR || product == MODEL_DYTB ||
          product == MODEL_DY || product == MODEL_TB);
}

int kit_magnet_inputs(const model_obs_t *obs, int in[3]) {
  in[0] = MODEL_NDPR;
  in[1] = kit_split(obs) ? MODEL_DY : MODEL_DYTB;
  in[2] = MODEL_TB;
  return kit_split(obs) ? 3 : 2;
}

int kit_oxides(const model_obs_t *obs, int out[4]) {
  out[0] = MODEL_NDPR;
  out[1] = kit_split(obs) ? MODEL_DY : MODEL_DYTB;
  out[2] = MODEL_LACE;
  out[3] = MODEL_TB;
  return kit_split(obs) ? 4 : 3;
}

int kit_product_draw(uint64_t *r, const model_obs_t *obs) {
  int list[MODEL_PRODUCTS], n = 0;
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (kit_has(obs, p))
      list[n++] = p;
  return n ? list[kit_range(r, 0, n - 1)] : 0;
}

int64_t kit_deposit_cost(const model_obs_t *obs, size_t d) {
  const model_obs_deposit_t *dp = &obs->deposits[d];
  int n = kit_nation(obs, dp->nation);
  int64_t c = dp->unit_cost_cents_per_kg >= 0
                  ? dp->unit_cost_cents_per_kg
                  : obs->rules.unit_cost_cents_per_kg[MODEL_MINING];
  return n >= 0 ? kit_ppm(c, factor(obs->unit_cost_factor_ppm, obs,
                                    MODEL_MINING, n))
                : c;
}

int64_t kit_deposit_value(const model_obs_t *obs, size_t d) {
  int64_t v = 0;
  int ox[4], nox = kit_oxides(obs, ox);
  for (int q = 0; q < nox; q++)
    v += kit_ppm(kit_price(obs, ox[q]), q < 3 ? obs->deposits[d].basket_ppm[q]
                                              : obs->deposits[d].basket_tb_ppm);
  return kit_ppm(v, obs->rules.recovery_initial_ppm) - kit_deposit_cost(obs, d);
}

int kit_best_deposit(const model_obs_t *obs) {
  int best = -1, home = kit_home(obs);
  int64_t best_v = 0;
  for (size_t d = 0; d < obs->n_deposits; d++) {
    const model_obs_deposit_t *dp = &obs->deposits[d];
    int n = kit_nation(obs, dp->nation);
    if (!dp->open || dp->reserves_kg < KIT_MIN_BUILD || n < 0 ||
        (dp->owner[0] && strcmp(dp->owner, obs->seat) != 0))
      continue;
    int64_t v = kit_deposit_value(obs, d);
    if (best < 0 || v > best_v ||
        (v == best_v && n == home &&
         kit_nation(obs, obs->deposits[best].nation) != home)) {
      best = (int)d;
      best_v = v;
    }
  }
  return best;
}

/* Writes a build order of what money pays, up to capacity. */
static bool sanctions(const model_obs_t *obs, const char *n, const char *f);

/* Whether a public policy of nation `n` of this kind covers stage `s`
 * towards (or from) nation `other` ("all" or its id). */
static bool covers(const model_obs_t *obs, int n, model_policy_kind_t kind,
                   int s, const char *other) {
  for (size_t i = 0; i < obs->n_public_policies; i++) {
    const model_obs_policy_t *p = &obs->public_policies[i];
    if (p->nation == n && p->policy.kind == kind && p->policy.stage == s &&
        (strcmp(p->policy.partner, "all") == 0 ||
         strcmp(p->policy.partner, other) == 0))
      return true;
  }
  return false;
}

bool kit_may_build(const model_obs_t *obs, int stage, int n) {
  int home = kit_home(obs);
  if (n == home || n < 0 || home < 0)
    return true;
  return !covers(obs, home, MODEL_POL_TECHNOLOGY_EXPORT_BAN, stage,
                 obs->nations[n]) &&
         !covers(obs, n, MODEL_POL_INVESTMENT_SCREEN, stage,
                 obs->nations[home]) &&
         !sanctions(obs, obs->nations[n], obs->seat);
}

static int64_t build(kit_t *k, int stage, int n, const char *facility,
                     const char *site, int64_t capacity, int64_t budget) {
  bool brown = facility != NULL;
  /* the model checks expansions abroad as it checks new plants there */
  if (!kit_may_build(k->obs, stage, n))
    return 0;
  capacity = kit_min(capacity, (int64_t)10000000000); /* 10 Mt/yr */
  capacity =
      kit_afford(k->obs, stage, n, brown, kit_min(budget, k->purse), capacity);
  if (capacity < KIT_MIN_BUILD)
    return 0;
  model_order_t *o = kit_push(k, MODEL_OP_BUILD);
  if (!o)
    return 0;
  o->stage = stage;
  o->capacity_kg_per_year = capacity;
  if (facility) {
    memcpy(o->facility, facility, sizeof o->facility);
    o->facility[sizeof o->facility - 1] = '\0';
  }
  if (site) {
    memcpy(o->site, site, sizeof o->site);
    o->site[sizeof o->site - 1] = '\0';
  }
  k->purse -= kit_capex(k->obs, stage, n, capacity, brown);
  return capacity;
}

int64_t kit_build(kit_t *k, int stage, const model_obs_facility_t *expand,
                  int64_t capacity, int64_t budget) {
  if (stage < 0 || stage >= MODEL_STAGES || k->obs->kind != MODEL_SEAT_FIRM)
    return 0;
  if (expand ? (expand->stage != stage || kit_busy(expand))
             : stage == MODEL_MINING)
    return 0;
  for (size_t i = 0; expand && i < k->n; i++)
    if (k->out[i].op == MODEL_OP_BUILD &&
        strcmp(k->out[i].facility, expand->id) == 0)
      return 0;
  /* a plant stands at home; an expansion where its facility stands */
  int n = expand ? kit_nation(k->obs, expand->nation) : kit_home(k->obs);
  if (n < 0)
    return 0;
  /* an expansion adds at most the map's share of the nameplate */
  int64_t share = k->obs->rules.brownfield_max_share_ppm[stage];
  if (expand && share >= 0)
    capacity = kit_min(
        capacity, kit_mul_div(expand->capacity_kg_per_year, share, KIT_PPM));
  return build(k, stage, n, expand ? expand->id : NULL, NULL, capacity, budget);
}

int64_t kit_build_abroad(kit_t *k, int stage, int n, int64_t capacity,
                         int64_t budget) {
  const model_obs_t *obs = k->obs;
  if (stage == MODEL_MINING || obs->kind != MODEL_SEAT_FIRM || n < 0 ||
      (size_t)n >= obs->n_nations)
    return 0;
  int64_t c = build(k, stage, n, NULL, NULL, capacity, budget);
  if (c && n != kit_home(obs))
    snprintf(k->out[k->n - 1].host, MODEL_ID_MAX, "%s", obs->nations[n]);
  return c;
}

int64_t kit_build_mine(kit_t *k, size_t d, int64_t capacity, int64_t budget) {
  const model_obs_t *obs = k->obs;
  if (obs->kind != MODEL_SEAT_FIRM || d >= obs->n_deposits)
    return 0;
  const model_obs_deposit_t *dp = &obs->deposits[d];
  int n = kit_nation(obs, dp->nation);
  if (n < 0 || !dp->open || dp->reserves_kg <= 0)
    return 0;
  /* a deposit another firm owns is its alone (issue 11) */
  if (dp->owner[0] && strcmp(dp->owner, obs->seat) != 0)
    return 0;

  /* capacity beyond what the reserves feed until the game ends is idle
   * capital */
  int64_t turns = obs->turns - obs->turn - kit_lead(obs, MODEL_MINING, n, 0);
  capacity =
      kit_min(capacity, kit_mul_div(dp->reserves_kg, 4, kit_max(turns, 1)));
  return build(k, MODEL_MINING, n, NULL, dp->id, capacity, budget);
}

int64_t kit_train(kit_t *k, int skill, int64_t count) {
  if (skill < 0 || skill >= MODEL_SKILLS)
    return 0;
  /* the model refuses even free training to a seat in debt: the cost is
   * checked against what it holds */
  if (k->obs->cash_cents < 0)
    return 0;
  int64_t each = kit_max(k->obs->rules.training_cost_cents[skill], 0);
  if (each > 0)
    count = kit_min(count, k->purse / each);
  count = kit_min(count, 1000000);
  /* the places its schools have left (maps with training capacity),
   * shared with the other seats as kit_hire shares the pool, so that
   * orders of several seats do not overrun them */
  if (k->obs->train_caps && k->obs->training_left[skill] >= 0) {
    int64_t left = k->obs->training_left[skill] /
                   (int64_t)kit_max((int64_t)k->obs->n_scores, 1);
    for (size_t i = 0; i < k->n; i++)
      if (k->out[i].op == MODEL_OP_TRAIN && k->out[i].skill == skill)
        left -= k->out[i].count;
    count = kit_min(count, left);
  }
  if (count < 1)
    return 0;
  model_order_t *o = kit_push(k, MODEL_OP_TRAIN);
  if (!o)
    return 0;
  o->skill = skill;
  o->count = count;
  k->purse -= count * each;
  return count;
}

int64_t kit_hire(kit_t *k, int skill, int64_t count) {
  const model_obs_t *obs = k->obs;
  if (obs->kind != MODEL_SEAT_FIRM || skill < 0 || skill >= MODEL_SKILLS)
    return 0;
  int64_t share =
      obs->talent_pool[skill] / (int64_t)kit_max((int64_t)obs->n_scores, 1);
  /* what this submission hired already counts against the share */
  for (size_t i = 0; i < k->n; i++)
    if (k->out[i].op == MODEL_OP_HIRE && k->out[i].skill == skill &&
        k->out[i].count > 0)
      share -= k->out[i].count;
  count = kit_min(kit_min(count, share), 1000000);
  if (count < 1)
    return 0;
  model_order_t *o = kit_push(k, MODEL_OP_HIRE);
  if (!o)
    return 0;
  o->skill = skill;
  o->count = count;
  return count;
}

void kit_release(kit_t *k, int skill, int64_t count) {
  if (k->obs->kind != MODEL_SEAT_FIRM || skill < 0 || skill >= MODEL_SKILLS)
    return;
  count = kit_min(count, k->obs->staff[skill] - k->released[skill]);
  count = kit_min(count, 1000000);
  if (count < 1)
    return;
  model_order_t *o = kit_push(k, MODEL_OP_HIRE);
  if (!o)
    return;
  o->skill = skill;
  o->count = -count;
  k->released[skill] += count;
}

model_order_t *kit_policy(kit_t *k, model_policy_kind_t kind) {
  model_order_t *o = kit_push(k, MODEL_OP_POLICY);
  if (!o)
    return NULL;
  o->kind = kind;
  memcpy(o->partner, "all", 4);
  return o;
}

/* ---- issue 11: state support and contracts ---- */

/* An order of a nation's to pay a firm: the amount from the purse. */
static model_order_t *pay_firm(kit_t *k, model_op_t op, const char *firm,
                               int64_t amount) {
  if (amount < 1 || amount > k->purse)
    return NULL;
  model_order_t *o = kit_push(k, op);
  if (!o)
    return NULL;
  snprintf(o->firm, sizeof o->firm, "%s", firm);
  o->amount_cents = amount;
  k->purse -= amount;
  return o;
}

int64_t kit_grant(kit_t *k, const char *firm, int64_t amount) {
  return pay_firm(k, MODEL_OP_GRANT, firm, amount) ? amount : 0;
}

int64_t kit_equity(kit_t *k, const char *firm, int64_t amount,
                   int64_t stake_ppm) {
  if (stake_ppm < 1 || stake_ppm + kit_stakes_in(k->obs, firm) > KIT_PPM)
    return 0;
  model_order_t *o = pay_firm(k, MODEL_OP_EQUITY, firm, amount);
  if (!o)
    return 0;
  o->stake_ppm = stake_ppm;
  return amount;
}

int64_t kit_loan(kit_t *k, const char *firm, int64_t amount, int64_t rate_ppm,
                 int turns, int grace) {
  model_order_t *o = pay_firm(k, MODEL_OP_LOAN, firm, amount);
  if (!o)
    return 0;
  o->rate_ppm = kit_clamp(rate_ppm, 0, KIT_PPM);
  o->turns = kit_clamp(turns, 1, 400);
  o->grace = kit_clamp(grace, 0, 400);
  return amount;
}

void kit_firm_floor(kit_t *k, const char *firm, int product, int64_t strike,
                    int64_t qty_kg, int turns, bool two_sided) {
  model_order_t *o = kit_policy(k, MODEL_POL_FIRM_PRICE_FLOOR);
  if (!o)
    return;
  snprintf(o->firm, sizeof o->firm, "%s", firm);
  o->product = product;
  o->price_cents_per_kg = kit_clamp(strike, 0, 99999999);
  o->quantity_kg = kit_clamp(qty_kg, 0, (int64_t)1000000000000);
  o->turns = kit_clamp(turns, 1, 400);
  o->two_sided = two_sided;
}

void kit_propose(kit_t *k, const char *id, const char *to, bool sell,
                 int product, int64_t qty_kg, int64_t price, int turns,
                 int64_t penalty) {
  if (qty_kg < 1)
    return;
  model_order_t *o = kit_push(k, MODEL_OP_CONTRACT_PROPOSE);
  if (!o)
    return;
  snprintf(o->contract, sizeof o->contract, "%s", id);
  snprintf(o->seat, sizeof o->seat, "%s", to);
  if (!sell)
    strcpy(o->choice, "buy");
  o->product = product;
  o->quantity_kg = kit_min(qty_kg, (int64_t)1000000000000);
  o->price_cents_per_kg = kit_clamp(price, 0, 99999999);
  o->turns = kit_clamp(turns, 1, 400);
  o->penalty_cents_per_kg = kit_clamp(penalty, 0, 99999999);
}

static void contract_op(kit_t *k, model_op_t op, const char *id,
                        const char *from) {
  model_order_t *o = kit_push(k, op);
  if (!o)
    return;
  snprintf(o->contract, sizeof o->contract, "%s", id);
  snprintf(o->seat, sizeof o->seat, "%s", from ? from : "");
}

void kit_accept(kit_t *k, const char *id, const char *from) {
  contract_op(k, MODEL_OP_CONTRACT_ACCEPT, id, from);
}

void kit_withdraw(kit_t *k, const char *id, const char *from) {
  contract_op(k, MODEL_OP_CONTRACT_WITHDRAW, id, from);
}

bool kit_is_firm(const model_obs_t *obs, size_t i) {
  return i < obs->n_scores && obs->scores[i].kind == MODEL_SEAT_FIRM;
}

int kit_seat(const model_obs_t *obs, const char *id) {
  for (size_t i = 0; i < obs->n_scores; i++)
    if (strcmp(obs->scores[i].seat, id) == 0)
      return (int)i;
  return -1;
}

/* Whether nation `n` sanctions firm `f` (public policies). */
static bool sanctions(const model_obs_t *obs, const char *n, const char *f) {
  for (size_t i = 0; i < obs->n_public_policies; i++) {
    const model_obs_policy_t *p = &obs->public_policies[i];
    if (p->policy.kind == MODEL_POL_SANCTION &&
        strcmp(obs->nations[p->nation], n) == 0 &&
        strcmp(p->policy.firm, f) == 0)
      return true;
  }
  return false;
}

bool kit_sanctioned(const model_obs_t *obs, const char *a, const char *b) {
  int ia = kit_seat(obs, a), ib = kit_seat(obs, b);
  if (ia < 0 || ib < 0)
    return false;
  return (kit_is_firm(obs, (size_t)ia) &&
          sanctions(obs, obs->scores[ib].nation, a)) ||
         (kit_is_firm(obs, (size_t)ib) &&
          sanctions(obs, obs->scores[ia].nation, b));
}

int64_t kit_stakes_in(const model_obs_t *obs, const char *firm) {
  int64_t s = 0;
  for (size_t i = 0; i < obs->n_support; i++)
    if (obs->support[i].kind == MODEL_SUPPORT_STAKE &&
        strcmp(obs->support[i].firm, firm) == 0)
      s += obs->support[i].rate_ppm;
  return s;
}

size_t kit_support_count(const model_obs_t *obs, model_support_kind_t kind) {
  size_t n = 0;
  for (size_t i = 0; i < obs->n_support; i++)
    n += obs->support[i].kind == kind;
  return n;
}

/* ---- the observation ---- */

int kit_nation(const model_obs_t *obs, const char *id) {
  for (size_t n = 0; n < obs->n_nations; n++)
    if (strcmp(obs->nations[n], id) == 0)
      return (int)n;
  return -1;
}

int kit_home(const model_obs_t *obs) {
  return kit_nation(obs, obs->nation);
}

int64_t kit_world_price(const model_obs_t *obs, int product) {
  return obs->price[product] > 0 ? obs->price[product] : 1;
}

int64_t kit_price(const model_obs_t *obs, int product) {
  int h = kit_home(obs);
  int64_t p =
      h >= 0 ? obs->regional[(size_t)product * obs->n_nations + (size_t)h] : 0;
  int64_t w = kit_world_price(obs, product);
  /* A nation where nothing of the product was demanded or traded reports
   * a price the clearing left undetermined (up to its backstop), not one
   * anybody paid; a home price within a factor of four of the world's
   * (export controls split prices by less on the shipped maps) is real. */
  if (p <= 0 || p >= MODEL_PRICE_MAX_CENTS / 2 || p > 4 * w || 4 * p < w)
    return w;
  return p;
}

int64_t kit_scrap_ask(const model_obs_t *obs) {
  int64_t best = -1;
  for (size_t i = 0;
       obs->rules.stages[MODEL_RECYCLING] && i < obs->n_public_policies; i++) {
    const model_obs_policy_t *p = &obs->public_policies[i];
    if (p->policy.kind != MODEL_POL_RECYCLING_COLLECTION ||
        p->policy.rate_ppm <= 0 || p->nation < 0 ||
        (size_t)p->nation >= obs->n_nations)
      continue;
    int64_t mag = obs->regional[(size_t)MODEL_MAGNET * obs->n_nations +
                                (size_t)p->nation];
    if (mag <= 0)
      mag = kit_world_price(obs, MODEL_MAGNET);
    int64_t ask = kit_ppm(mag, obs->rules.scrap_price_share_ppm);
    if (best < 0 || ask < best)
      best = ask;
  }
  return best;
}

int64_t kit_anchor(const model_obs_t *obs, int product) {
  /* design J4: scrap that did not trade last turn is anchored to the
   * collectors' ask, not to a price no one paid */
  if (product == MODEL_SCRAP && obs->volume[MODEL_SCRAP] <= 0 &&
      kit_scrap_ask(obs) > 0)
    return kit_scrap_ask(obs);
  int32_t n = obs->n_history;
  if (n <= 0)
    return kit_price(obs, product);
  /* the median of the last world prices (the lower middle of an even
   * count): a run of rises moves it about half as many turns later */
  int64_t v[MODEL_HISTORY_MAX];
  for (int32_t i = 0; i < n; i++)
    v[i] = obs->history[i][product];
  for (int32_t i = 1; i < n; i++)
    for (int32_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
      int64_t t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  return kit_max(v[(n - 1) / 2], 1);
}

void kit_band(const model_obs_t *obs, int product, int64_t *lo, int64_t *hi) {
  int64_t ref = obs->reference_price[product];
  *lo = ref > 0 ? kit_mul_div(ref, 2, 5) : 0;
  *hi = ref > 0 ? kit_mul_div(ref, 5, 2) : INT64_MAX;
  if (obs->n_history > 0) {
    /* and within half and twice the anchor, where the map keeps a price
     * history */
    int64_t a = kit_anchor(obs, product);
    *lo = kit_max(*lo, a / 2);
    *hi = kit_min(*hi, 2 * a);
    if (*lo > *hi)
      *lo = *hi;
  }
}

int64_t kit_in_band(const model_obs_t *obs, int product, int64_t price) {
  if (price < 0)
    return price;
  int64_t lo, hi;
  kit_band(obs, product, &lo, &hi);
  return kit_clamp(price, lo, hi);
}

int64_t kit_production(const model_obs_t *obs, int stage, int n) {
  const int64_t *row = obs->production + (size_t)stage * obs->n_nations;
  if (n >= 0)
    return row[n];
  int64_t s = 0;
  for (size_t i = 0; i < obs->n_nations; i++)
    s += row[i];
  return s;
}

int64_t kit_capacity(const model_obs_t *obs, int stage, int n) {
  const int64_t *row = obs->capacity + (size_t)stage * obs->n_nations;
  if (n >= 0)
    return row[n];
  int64_t s = 0;
  for (size_t i = 0; i < obs->n_nations; i++)
    s += row[i];
  return s;
}

int64_t kit_share(const model_obs_t *obs, int stage, int n) {
  int64_t world = kit_production(obs, stage, -1);
  if (world > 0)
    return kit_mul_div(kit_production(obs, stage, n), KIT_PPM, world);
  world = kit_capacity(obs, stage, -1);
  return world > 0 ? kit_mul_div(kit_capacity(obs, stage, n), KIT_PPM, world)
                   : 0;
}

int kit_stage_of(int product) {
  return product == MODEL_CONCENTRATE ? MODEL_MINING
         : product == MODEL_MAGNET    ? MODEL_MAGNETS
         : product == MODEL_SCRAP     ? MODEL_RECYCLING /* its user */
                                      : MODEL_SEPARATION;
}

bool kit_busy(const model_obs_facility_t *f) {
  return f->status == MODEL_FAC_BUILDING || f->turns_left > 0;
}

/* The basket of the firm's concentrate, element q (ppm): its mines'
 * deposits weighted by capacity, or kit_basket for a firm without mines
 * (what it buys has an origin the observation does not show). */
static int64_t basket(const model_obs_t *obs, int q) {
  if (q == 1 && kit_split(obs))
    q = 4; /* dy: below */
  __int128 sum = 0;
  int64_t cap = 0;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage != MODEL_MINING || !f->site[0])
      continue;
    for (size_t d = 0; d < obs->n_deposits; d++)
      if (strcmp(obs->deposits[d].id, f->site) == 0) {
        sum += (__int128)f->capacity_kg_per_year *
               (q == 3   ? obs->deposits[d].basket_tb_ppm
                : q == 4 ? obs->deposits[d].basket_ppm[1]
                         : obs->deposits[d].basket_ppm[q]);
        cap += f->capacity_kg_per_year;
        break;
      }
  }
  if (cap > 0)
    return (int64_t)(sum / cap);
  /* split maps: the assumed heavies 80/20 (design J1's default share) */
  return q == 3   ? kit_basket[1] - kit_ppm(kit_basket[1], 800000)
         : q == 4 ? kit_ppm(kit_basket[1], 800000)
                  : kit_basket[q];
}

/* The share of an oxide in the firm's concentrate. */
static int64_t share_of(const model_obs_t *obs, int product) {
  return basket(obs, product == MODEL_NDPR                          ? 0
                     : product == MODEL_DYTB || product == MODEL_DY ? 1
                     : product == MODEL_LACE                        ? 2
                                                                    : 3);
}

int64_t kit_value(const model_obs_t *obs, int stage, int64_t recovery) {
  switch (stage) {
  case MODEL_MINING:
    return kit_price(obs, MODEL_CONCENTRATE);
  case MODEL_SEPARATION: {
    int64_t v = 0;
    int ox[4], nox = kit_oxides(obs, ox);
    for (int q = 0; q < nox; q++)
      v += kit_ppm(kit_price(obs, ox[q]), share_of(obs, ox[q]));
    return kit_ppm(v, recovery);
  }
  case MODEL_RECYCLING: {
    /* design J4: a kg of scrap gives the recipe's oxides at the map's
     * recovery */
    int in[3], nin = kit_magnet_inputs(obs, in);
    int64_t v = 0;
    for (int q = 0; q < nin; q++)
      v += kit_ppm(kit_price(obs, in[q]), kit_recipe_of(obs, in[q]));
    return kit_ppm(v, obs->rules.recycling_recovery_ppm);
  }
  default:
    return kit_price(obs, MODEL_MAGNET);
  }
}

int64_t kit_input_cost(const model_obs_t *obs, int stage) {
  switch (stage) {
  case MODEL_MINING:
    return 0;
  case MODEL_SEPARATION:
    return kit_price(obs, MODEL_CONCENTRATE);
  case MODEL_RECYCLING:
    return kit_price(obs, MODEL_SCRAP);
  default: {
    int in[3], nin = kit_magnet_inputs(obs, in);
    int64_t c = 0;
    for (int q = 0; q < nin; q++)
      c += kit_ppm(kit_price(obs, in[q]), kit_recipe_of(obs, in[q]));
    return c;
  }
  }
}

int64_t kit_margin(const model_obs_t *obs, const model_obs_facility_t *f) {
  return kit_value(obs, f->stage, f->recovery_ppm) -
         kit_input_cost(obs, f->stage) - f->unit_cost_cents_per_kg;
}

int64_t kit_rate(const model_obs_facility_t *f, int64_t util) {
  /* effective capacity is 0 while building, and excludes an expansion
   * until it is done */
  return kit_ppm(f->effective_kg_per_year, util) / 4;
}

int64_t *kit_util_new(const model_obs_t *obs) {
  int64_t *u = calloc(obs->n_facilities + 1, sizeof *u);
  if (!u)
    return NULL;
  for (size_t i = 0; i < obs->n_facilities; i++)
    u[i] = obs->facilities[i].utilisation_ppm;
  return u;
}

static int64_t util_of(const model_obs_t *obs, const int64_t *util, size_t i) {
  return util ? util[i] : obs->facilities[i].utilisation_ppm;
}

int64_t kit_input_need(const model_obs_t *obs, int product,
                       const int64_t *util) {
  int64_t need = 0;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    int64_t r = kit_rate(f, util_of(obs, util, i));
    if (product == MODEL_CONCENTRATE && f->stage == MODEL_SEPARATION)
      need += r;
    else if (kit_magnet_input(obs, product) && f->stage == MODEL_MAGNETS)
      need += kit_ppm(r, kit_recipe_of(obs, product));
    else if (product == MODEL_SCRAP && f->stage == MODEL_RECYCLING)
      need += r;
  }
  return need;
}

int64_t kit_output_rate(const model_obs_t *obs, int product,
                        const int64_t *util) {
  int64_t out = 0;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    /* design J4: recycling plants make the recipe's oxides from scrap
     * (firms make no scrap) */
    if (f->stage == MODEL_RECYCLING) {
      if (kit_magnet_input(obs, product))
        out += kit_ppm(kit_ppm(kit_rate(f, util_of(obs, util, i)),
                               kit_recipe_of(obs, product)),
                       obs->rules.recycling_recovery_ppm);
      continue;
    }
    if (f->stage != kit_stage_of(product))
      continue;
    int64_t r = kit_rate(f, util_of(obs, util, i));
    if (f->stage == MODEL_SEPARATION)
      r = kit_ppm(kit_ppm(r, f->recovery_ppm), share_of(obs, product));
    out += r;
  }
  return out;
}

int64_t kit_stage_capacity(const model_obs_t *obs, int stage) {
  int64_t c = 0;
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == stage)
      c += obs->facilities[i].capacity_kg_per_year;
  return c;
}

bool kit_stage_busy(const model_obs_t *obs, int stage) {
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == stage && kit_busy(&obs->facilities[i]))
      return true;
  return false;
}

const model_obs_facility_t *kit_largest_idle(const model_obs_t *obs,
                                             int stage) {
  const model_obs_facility_t *best = NULL;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage != stage || kit_busy(f))
      continue;
    if (!best || f->capacity_kg_per_year > best->capacity_kg_per_year)
      best = f;
  }
  return best;
}

static int branch_of(const model_obs_t *obs, const model_obs_facility_t *f);

void kit_staff_for(kit_t *k, const int64_t *util, bool hire) {
  const model_obs_t *obs = k->obs;
  for (int s = 0; s < kit_ns(obs); s++) {
    int32_t train_turns = obs->rules.training_turns[s];
    int64_t need = 0, soon = 0;
    for (size_t i = 0; i < obs->n_facilities; i++) {
      const model_obs_facility_t *f = &obs->facilities[i];
      /* a branch's plants staff themselves from their host's pool (maps
       * with branches): the firm hires and trains for home */
      if (f->stage != s || util_of(obs, util, i) <= 0 || branch_of(obs, f) >= 0)
        continue;
      /* staff_needed already counts a plant being built at its
       * capacity; an expansion adds people when it is done */
      int64_t more = 0;
      if (f->expanding_kg_per_year > 0)
        more = kit_staff_need(
                   obs, s, f->capacity_kg_per_year + f->expanding_kg_per_year) -
               kit_staff_need(obs, s, f->capacity_kg_per_year);
      need += f->staff_needed + kit_max(more, 0);
      /* trainees arrive after train_turns: people needed earlier than
       * that are worth hiring */
      if (f->status == MODEL_FAC_OPERATING || f->turns_left <= train_turns)
        soon += f->staff_needed;
      if (more > 0 && f->expansion_turns_left <= train_turns)
        soon += more;
    }
    int64_t have = obs->staff[s] + obs->in_training[s];
    int64_t hired = 0;
    if (hire && soon > have)
      hired = kit_hire(k, s, soon - have);
    if (need > have + hired)
      kit_train(k, s, need - have - hired);
  }
}

const model_order_t *kit_standing_policy(const model_obs_t *obs,
                                         model_policy_kind_t kind, int key) {
  for (size_t i = 0; i < obs->n_policies; i++) {
    const model_order_t *p = &obs->policies[i];
    if (p->kind != kind)
      continue;
    switch (kind) {
    case MODEL_POL_EXPORT_QUOTA:
    case MODEL_POL_EXPORT_BAN:
    case MODEL_POL_EXPORT_LICENCE:
    case MODEL_POL_TARIFF:
      if (p->product == key && strcmp(p->partner, "all") == 0)
        return p;
      break;
    case MODEL_POL_PRICE_FLOOR:
    case MODEL_POL_STOCKPILE:
      if (p->product == key)
        return p;
      break;
    case MODEL_POL_ORIGIN_RULE:
      if (p->product == key)
        return p;
      break;
    case MODEL_POL_SUBSIDY:
    case MODEL_POL_PERMITTING:
    case MODEL_POL_PRODUCTION_QUOTA:
    case MODEL_POL_TECHNOLOGY_EXPORT_BAN:
    case MODEL_POL_INVESTMENT_SCREEN:
      if (p->stage == key)
        return p;
      break;
    case MODEL_POL_TALENT_PROGRAMME:
    case MODEL_POL_MIGRATION:
      if (p->skill == key)
        return p;
      break;
    default:
      return p;
    }
  }
  return NULL;
}

int64_t kit_own_cost(const model_obs_t *obs, int product) {
  if (product == MODEL_SCRAP)
    return -1; /* firms make no scrap (design J4) */
  int stage = kit_stage_of(product);
  int64_t best = -1;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage != stage || f->status == MODEL_FAC_BUILDING)
      continue;
    int64_t c = f->unit_cost_cents_per_kg + kit_input_cost(obs, stage);
    if (stage == MODEL_SEPARATION) {
      /* a kg fed yields oxides worth kit_value; each oxide carries the
       * cost in proportion to its price */
      int64_t v = kit_value(obs, stage, f->recovery_ppm);
      c = v > 0 ? kit_mul_div(kit_price(obs, product), c, v) : -1;
    }
    if (c >= 0 && (best < 0 || c < best))
      best = c;
  }
  return best;
}

int64_t kit_break_even(const model_obs_t *obs, int product) {
  int64_t best = INT64_MIN;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    int64_t be = -1;
    if (product == MODEL_CONCENTRATE && f->stage == MODEL_SEPARATION) {
      be =
          kit_value(obs, f->stage, f->recovery_ppm) - f->unit_cost_cents_per_kg;
    } else if (product == MODEL_SCRAP && f->stage == MODEL_RECYCLING) {
      /* design J4: what the recovered oxides are worth, less opex */
      be =
          kit_value(obs, f->stage, f->recovery_ppm) - f->unit_cost_cents_per_kg;
    } else if (kit_magnet_input(obs, product) && f->stage == MODEL_MAGNETS) {
      /* the magnet price it expects: last turn's, or the reference where
       * last turn's dipped below it (one turn's dip must not idle a plant
       * that pays at normal prices; a stand-in for the design's median of
       * recent prices, which needs a price history not built yet) */
      int64_t mag = kit_max(kit_price(obs, MODEL_MAGNET),
                            obs->reference_price[MODEL_MAGNET]);
      int64_t left = mag - f->unit_cost_cents_per_kg;
      int in[3], nin = kit_magnet_inputs(obs, in);
      for (int q = 0; q < nin; q++)
        if (in[q] != product)
          left -= kit_ppm(kit_price(obs, in[q]), kit_recipe_of(obs, in[q]));
      be = kit_mul_div(left, KIT_PPM, kit_recipe_of(obs, product));
    } else {
      continue;
    }
    if (be > best)
      best = be;
  }
  return best == INT64_MIN ? -1 : kit_max(best, 0);
}

/* The branch of the seat where facility f stands, or -1 (home). */
static int branch_of(const model_obs_t *obs, const model_obs_facility_t *f) {
  for (size_t b = 0; obs->has_branches && b < obs->n_branches; b++)
    if (strcmp(obs->branches[b].nation, f->nation) == 0 &&
        strcmp(f->nation, obs->nation) != 0)
      return (int)b;
  return -1;
}

/* A branch's standing offer or bid, unless it stands already. */
static void branch_trade(kit_t *k, int b, model_op_t op, int p, int64_t qty,
                         int64_t price) {
  const model_obs_branch_t *x = &k->obs->branches[b];
  if (!kit_has(k->obs, p))
    return; /* design J1: never an order on a product the map lacks */
  qty = kit_clamp(qty, 0, KIT_QTY_MAX);
  price = kit_clamp(price, 0, KIT_PRICE_MAX);
  int64_t now_q = op == MODEL_OP_OFFER ? x->offer_kg[p] : x->bid_kg[p];
  int64_t now_p =
      op == MODEL_OP_OFFER ? x->offer_cents_per_kg[p] : x->bid_cents_per_kg[p];
  if (qty == now_q && (qty == 0 || price == now_p))
    return;
  model_order_t *o = kit_push(k, op);
  if (!o)
    return;
  o->product = p;
  o->quantity_kg = qty;
  o->price_cents_per_kg = price;
  snprintf(o->host, sizeof o->host, "%s", x->nation);
}

/* Trading on a map with branches: home, then each branch, each with the
 * facilities it holds the goods of. */
static void firm_trade_branches(kit_t *k, const int64_t *util,
                                const int64_t ask[MODEL_PRODUCTS],
                                const int64_t bid_price[MODEL_PRODUCTS],
                                int64_t cover) {
  const model_obs_t *obs = k->obs;
  size_t nf = obs->n_facilities;
  int64_t *u = calloc(nf ? nf : 1, sizeof *u);
  if (!u)
    return;
  for (int b = -1; b < (int)obs->n_branches; b++) {
    for (size_t i = 0; i < nf; i++)
      u[i] = branch_of(obs, &obs->facilities[i]) == b
                 ? (util ? util[i] : obs->facilities[i].utilisation_ppm)
                 : 0;
    for (int p = 0; p < MODEL_PRODUCTS; p++) {
      int64_t need = kit_ppm(kit_input_need(obs, p, u), cover);
      int64_t make = kit_output_rate(obs, p, u);
      int64_t inv =
          b < 0 ? obs->inventory_kg[p] : obs->branches[b].inventory_kg[p];
      int64_t want = need - inv;
      int64_t bq = need > 0 && want > 0 && bid_price[p] > 0 ? want : 0;
      int64_t spare = need > 0 ? inv + make - need : KIT_ALL;
      int64_t oq =
          (make > 0 || inv > 0) && spare > 0 && ask[p] >= 0 ? spare : 0;
      if (b < 0) {
        kit_bid(k, p, bq, bq ? bid_price[p] : 0);
        kit_offer(k, p, oq, oq ? ask[p] : 0);
      } else {
        branch_trade(k, b, MODEL_OP_BID, p, bq, bq ? bid_price[p] : 0);
        branch_trade(k, b, MODEL_OP_OFFER, p, oq, oq ? ask[p] : 0);
      }
    }
  }
  free(u);
}

void kit_firm_trade(kit_t *k, const int64_t *util,
                    const int64_t ask[MODEL_PRODUCTS],
                    const int64_t bid_price[MODEL_PRODUCTS], int64_t cover) {
  const model_obs_t *obs = k->obs;
  if (obs->has_branches && obs->n_branches > 0) {
    firm_trade_branches(k, util, ask, bid_price, cover);
    return;
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    int64_t need = kit_ppm(kit_input_need(obs, p, util), cover);
    int64_t make = kit_output_rate(obs, p, util);
    int64_t inv = obs->inventory_kg[p];
    int64_t want = need - inv;
    if (need > 0 && want > 0 && bid_price[p] > 0)
      kit_bid(k, p, want, bid_price[p]);
    else
      kit_bid(k, p, 0, 0);
    int64_t spare = need > 0 ? inv + make - need : KIT_ALL;
    if ((make > 0 || inv > 0) && spare > 0 && ask[p] >= 0)
      kit_offer(k, p, spare, ask[p]);
    else
      kit_offer(k, p, 0, 0);
  }
}

void kit_keep_experts_home(kit_t *k, const model_obs_t *obs) {
  for (int s = 0; s < kit_ns(obs); s++) {
    const model_order_t *now = kit_standing_policy(obs, MODEL_POL_MIGRATION, s);
    if (now && now->inbound && !now->outbound)
      continue;
    model_order_t *o = kit_policy(k, MODEL_POL_MIGRATION);
    if (o) {
      o->skill = s;
      o->inbound = true;
      o->outbound = false;
    }
  }
}
