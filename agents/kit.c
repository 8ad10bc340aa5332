/*
 * kit.c: the helpers of kit.h. Integer arithmetic only, so that a strategy
 * decides the same on every machine (the model's rule too).
 */
#include "kit.h"

#include <stdlib.h>
#include <string.h>

/* cents per (kg/yr): USD per (t/yr) / 10 */
const int64_t kit_capex_bound[MODEL_STAGES] = {6000, 10000, 15000};
const int64_t kit_basket[3] = {200000, 10000, 790000};
const int64_t kit_recipe[2] = {350000, 20000};
/* Opex as a share of output value in the shipped maps' stage defaults:
 * mining $2 of $5, separation $8-10 of about $20 of oxides per kg fed,
 * magnets $8-25 of $60-125 (rounded up: a new plant is dearer). */
const int64_t kit_new_cost_share[MODEL_STAGES] = {400000, 450000, 200000};

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

static void trade(kit_t *k, model_op_t op, const model_order_t *now,
                  int product, int64_t qty, int64_t price) {
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
  int64_t bound = kit_capex_bound[stage];
  int64_t money = kit_min(budget, k->purse);
  capacity = kit_min(capacity, money / bound);
  capacity = kit_min(capacity, (int64_t)10000000000); /* 10 Mt/yr */
  if (capacity < KIT_MIN_BUILD)
    return 0;
  model_order_t *o = kit_push(k, MODEL_OP_BUILD);
  if (!o)
    return 0;
  o->stage = stage;
  o->capacity_kg_per_year = capacity;
  if (expand) {
    memcpy(o->facility, expand->id, sizeof o->facility);
    o->facility[sizeof o->facility - 1] = '\0';
  }
  k->purse -= capacity * bound;
  return capacity;
}

int64_t kit_train(kit_t *k, int skill, int64_t count) {
  count = kit_min(count, k->purse / KIT_TRAIN_BOUND);
  count = kit_min(count, 1000000);
  if (count < 1 || skill < 0 || skill >= MODEL_SKILLS)
    return 0;
  model_order_t *o = kit_push(k, MODEL_OP_TRAIN);
  if (!o)
    return 0;
  o->skill = skill;
  o->count = count;
  k->purse -= count * KIT_TRAIN_BOUND;
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
                                      : MODEL_SEPARATION;
}

bool kit_busy(const model_obs_facility_t *f) {
  return f->status == MODEL_FAC_BUILDING || f->turns_left > 0;
}

int64_t kit_value(const model_obs_t *obs, int stage, int64_t recovery) {
  switch (stage) {
  case MODEL_MINING:
    return kit_price(obs, MODEL_CONCENTRATE);
  case MODEL_SEPARATION: {
    int64_t v = 0;
    for (int q = 0; q < 3; q++)
      v += kit_ppm(kit_price(obs, MODEL_NDPR + q), kit_basket[q]);
    return kit_ppm(v, recovery);
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
  default:
    return kit_ppm(kit_price(obs, MODEL_NDPR), kit_recipe[0]) +
           kit_ppm(kit_price(obs, MODEL_DYTB), kit_recipe[1]);
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
    else if ((product == MODEL_NDPR || product == MODEL_DYTB) &&
             f->stage == MODEL_MAGNETS)
      need += kit_ppm(r, kit_recipe[product - MODEL_NDPR]);
  }
  return need;
}

int64_t kit_output_rate(const model_obs_t *obs, int product,
                        const int64_t *util) {
  int64_t out = 0;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage != kit_stage_of(product))
      continue;
    int64_t r = kit_rate(f, util_of(obs, util, i));
    if (f->stage == MODEL_SEPARATION)
      r = kit_ppm(kit_ppm(r, f->recovery_ppm), kit_basket[product - 1]);
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

void kit_train_for(kit_t *k, const int64_t *util, int64_t grow) {
  const model_obs_t *obs = k->obs;
  for (int s = 0; s < MODEL_SKILLS; s++) {
    int64_t need = 0;
    for (size_t i = 0; i < obs->n_facilities; i++) {
      const model_obs_facility_t *f = &obs->facilities[i];
      if (f->stage != s || util_of(obs, util, i) <= 0)
        continue;
      need += f->staff_needed;
      if (f->status == MODEL_FAC_OPERATING && f->turns_left > 0)
        need += kit_ppm(f->staff_needed, grow); /* expanding */
    }
    int64_t have = obs->staff[s] + obs->in_training[s];
    if (need > have)
      kit_train(k, s, need - have);
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
    case MODEL_POL_SUBSIDY:
    case MODEL_POL_PERMITTING:
    case MODEL_POL_PRODUCTION_QUOTA:
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
    } else if ((product == MODEL_NDPR || product == MODEL_DYTB) &&
               f->stage == MODEL_MAGNETS) {
      int q = product - MODEL_NDPR, other = 1 - q;
      int64_t left =
          kit_price(obs, MODEL_MAGNET) - f->unit_cost_cents_per_kg -
          kit_ppm(kit_price(obs, MODEL_NDPR + other), kit_recipe[other]);
      be = kit_mul_div(left, KIT_PPM, kit_recipe[q]);
    } else {
      continue;
    }
    if (be > best)
      best = be;
  }
  return best == INT64_MIN ? -1 : kit_max(best, 0);
}

void kit_firm_trade(kit_t *k, const int64_t *util,
                    const int64_t ask[MODEL_PRODUCTS],
                    const int64_t bid_price[MODEL_PRODUCTS], int64_t cover) {
  const model_obs_t *obs = k->obs;
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
