/* util.c: names, unit conversions, exact integer arithmetic, the fixed-point
 * learning curve and the counter-based random generator.
 *
 * Nothing here uses libm or keeps state: the learning curve is computed with
 * integer log2/exp2 (a constant table of 2^(2^-i) in Q62, generated once with
 * exact integer square roots and pasted below), and random numbers are
 * ChaCha20 keystream bytes addressed by (seed, turn, stream, index), so a
 * draw depends only on those four integers.
 */
#include "model_internal.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int model_crypto_init(void) {
  return sodium_init() < 0 ? MODEL_ENOMEM : 0;
}

const char *model_strerror(int err) {
  switch (err) {
  case MODEL_OK:
    return "success";
  case MODEL_ENOMEM:
    return "out of memory";
  case MODEL_EINVAL:
    return "invalid argument";
  case MODEL_EMAP:
    return "malformed map";
  case MODEL_EIO:
    return "map file could not be read";
  case MODEL_ESTATE:
    return "malformed serialised state, or one of another map";
  case MODEL_ELIMIT:
    return "a model limit was exceeded";
  case MODEL_EFINISHED:
    return "the game is finished";
  case MODEL_ERANGE:
    return "an exact integer would overflow (money or tonnes beyond the "
           "model's range); model_last_error says where";
  default:
    return "unknown model error";
  }
}

/* The wire names, one table each, shared with the map loader
 * (model_internal.h). */
const char *const model__product_names[NP] = {
    "concentrate", "ndpr_oxide", "dytb_oxide", "lace_oxide",
    "magnet",      "dy_oxide",   "tb_oxide",   "magnet_scrap"};
const char *const model__stage_names[NS] = {"mining", "separation", "magnet",
                                            "recycling"};
const char *const model__op_names[MODEL_OPS] = {"build",
                                                "operate",
                                                "hire",
                                                "train",
                                                "offer",
                                                "bid",
                                                "policy",
                                                "grant",
                                                "equity",
                                                "loan",
                                                "contract_propose",
                                                "contract_accept",
                                                "contract_withdraw",
                                                "acquire",
                                                "transfer"};
const char *const model__event_names[MODEL_EVENT_KINDS] = {
    "mine_accident", "flood",         "conflict",
    "demand_surge",  "cost_overrun",  "policy",
    "plant_outage",  "state_support", "finance"};

static int lookup(const char *const *names, int n, const char *name) {
  if (!name)
    return -1;
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return i;
  return -1;
}

int model_product_from_name(const char *n) {
  return lookup(model__product_names, NP, n);
}
int model_stage_from_name(const char *n) {
  return lookup(model__stage_names, NS, n);
}
int model_skill_from_name(const char *n) {
  return lookup(model__stage_names, NS, n);
}
int model_op_from_name(const char *n) {
  return lookup(model__op_names, MODEL_OPS, n);
}
/* A policy kind's wire name is its entry's in the order schema
 * (order_schema.c), so that a new kind is named in one place. */
int model_policy_from_name(const char *n) {
  for (int k = 0; n && k < MODEL_POLICY_KINDS; k++)
    if (strcmp(model_order_schema(MODEL_OP_POLICY, k)->name, n) == 0)
      return k;
  return -1;
}
const char *model_product_name(int p) {
  return p >= 0 && p < NP ? model__product_names[p] : NULL;
}
const char *model_stage_name(int s) {
  return s >= 0 && s < NS ? model__stage_names[s] : NULL;
}
const char *model_skill_name(int s) {
  return s >= 0 && s < NS ? model__stage_names[s] : NULL;
}
const char *model_op_name(int o) {
  return o >= 0 && o < MODEL_OPS ? model__op_names[o] : NULL;
}
const char *model_policy_name(int k) {
  const model_order_schema_t *s = model_order_schema(MODEL_OP_POLICY, k);
  return s ? s->name : NULL;
}
const char *model_event_name(int k) {
  return k >= 0 && k < MODEL_EVENT_KINDS ? model__event_names[k] : NULL;
}

/* One IEEE-754 multiplication, then rounding half away from zero without
 * libm's llround (the rounding is exact: adding 0.5 to a double below 2^52
 * and truncating is exact for the values the limits allow). */
static int scale(double x, double factor, int64_t limit, int64_t *out) {
  if (!(x == x) || x > 1e300 || x < -1e300)
    return MODEL_ERANGE;
  double y = x * factor;
  if (y > (double)limit || y < -(double)limit)
    return MODEL_ERANGE;
  int64_t r = y >= 0 ? (int64_t)(y + 0.5) : -(int64_t)(-y + 0.5);
  *out = r;
  return 0;
}

int model_tonnes_to_kg(double t, int64_t *out) {
  return scale(t, 1000.0, MODEL_QTY_MAX_KG, out);
}
int model_usd_to_cents(double usd, int64_t *out) {
  return scale(usd, 100.0, MODEL_MONEY_MAX_CENTS, out);
}
int model_usd_per_kg_to_cents(double usd, int64_t *out) {
  return scale(usd, 100.0, MODEL_PRICE_MAX_CENTS, out);
}
int model_fraction_to_ppm(double f, int64_t *out) {
  return scale(f, 1e6, (int64_t)1000000000000, out);
}
double model_kg_to_tonnes(int64_t kg) {
  return (double)kg / 1000.0;
}
double model_cents_to_usd(int64_t c) {
  return (double)c / 100.0;
}
double model_ppm_to_fraction(int64_t p) {
  return (double)p / 1e6;
}

/* mul_div's general case (model_internal.h): a*b/c rounded toward minus
 * infinity, exact through 128 bits (|a*b| < 2^126 always fits). The
 * quotient is checked, never truncated: false, with *out clamped, when it
 * does not fit in int64. */
bool model_mul_div_wide(int64_t a, int64_t b, int64_t c, int64_t *out) {
  LAN_ASSERT(c != 0);
  __int128 n = (__int128)a * b;
  __int128 q = n / c;
  if ((n % c != 0) && ((n < 0) != (c < 0)))
    q -= 1;
  if (q > INT64_MAX) {
    *out = INT64_MAX;
    return false;
  }
  if (q < INT64_MIN) {
    *out = INT64_MIN;
    return false;
  }
  *out = (int64_t)q;
  return true;
}

/* log2(n) in Q32 (n >= 1), by repeated squaring of the mantissa: each
 * squaring yields one fractional bit. Exact integer steps, so the result is
 * the same everywhere; log2(2n) - log2(n) is exactly 1.0 by construction. */
int64_t model_fx_log2_q32(uint64_t n) {
  LAN_ASSERT(n >= 1);
  int ip = 63 - __builtin_clzll(n);
  /* mantissa in [1, 2) as Q62 */
  unsigned __int128 y = ip >= 62 ? (unsigned __int128)(n >> (ip - 62))
                                 : (unsigned __int128)n << (62 - ip);
  int64_t frac = 0;
  for (int i = 1; i <= 32; i++) {
    y = (y * y) >> 62;
    if (y >= ((unsigned __int128)2 << 62)) {
      y >>= 1;
      frac |= (int64_t)1 << (32 - i);
    }
  }
  return ((int64_t)ip << 32) + frac;
}

/* 2^(2^-i) in Q62, i = 1..32. */
static const uint64_t exp2_tab[32] = {
    UINT64_C(6521908912666391106), UINT64_C(5484249825272419511),
    UINT64_C(5029079263719320435), UINT64_C(4815862801830788490),
    UINT64_C(4712668792719003883), UINT64_C(4661903986662671289),
    UINT64_C(4636727017470743989), UINT64_C(4624189567668517719),
    UINT64_C(4617933561212708775), UINT64_C(4614808732577250067),
    UINT64_C(4613247111281068007), UINT64_C(4612466498810092973),
    UINT64_C(4612076242109103706), UINT64_C(4611881126141011235),
    UINT64_C(4611783571252412753), UINT64_C(4611734794581956352),
    UINT64_C(4611710406440186475), UINT64_C(4611698212417665818),
    UINT64_C(4611692115418496523), UINT64_C(4611689066921934629),
    UINT64_C(4611687542674409370), UINT64_C(4611686780550835663),
    UINT64_C(4611686399489096040), UINT64_C(4611686208958238036),
    UINT64_C(4611686113692811986), UINT64_C(4611686066060099699),
    UINT64_C(4611686042243743740), UINT64_C(4611686030335565806),
    UINT64_C(4611686024381476851), UINT64_C(4611686021404432376),
    UINT64_C(4611686019915910139), UINT64_C(4611686019171649021)};

/* 2^e for e <= 0 in Q32, returned in ppm (floor). */
static int64_t fx_exp2_ppm(int64_t e) {
  if (e >= 0)
    return MODEL_PPM;
  int64_t ip = e >> 32;                                 /* floor, negative */
  uint64_t f = (uint64_t)(e - ip * ((int64_t)1 << 32)); /* [0, 2^32) */
  unsigned __int128 r = (unsigned __int128)1 << 62;
  for (int i = 1; i <= 32; i++)
    if (f & ((uint64_t)1 << (32 - i)))
      r = (r * exp2_tab[i - 1]) >> 62;
  if (-ip >= 62)
    return 0;
  r >>= -ip;
  return (int64_t)((r * MODEL_PPM) >> 62);
}

/* The learning multiplier (cum / exp0)^log2(1 - rate), in ppm, for
 * cum >= exp0 (1.0 below): unit cost = cost0 * multiplier. lg_exp0 is
 * model_fx_log2_q32(exp0), which the caller keeps (it never changes). */
int64_t model_fx_learning_lg_ppm(int64_t cum, int64_t exp0, int64_t lg_exp0,
                                 int64_t log2_pr_q32) {
  if (exp0 < 1 || cum <= exp0 || log2_pr_q32 == 0)
    return MODEL_PPM;
  int64_t d = model_fx_log2_q32((uint64_t)cum) - lg_exp0;
  __int128 e = ((__int128)d * log2_pr_q32) / ((__int128)1 << 32);
  if (e < -((__int128)64 << 32))
    return 0;
  return fx_exp2_ppm((int64_t)e);
}

void model_refuse(model_refusal_t *r, const char *field, const char *fmt, ...) {
  if (!r)
    return;
  snprintf(r->code, sizeof r->code, "invalid_order");
  snprintf(r->field, sizeof r->field, "%s", field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->message, sizeof r->message, fmt, ap);
  va_end(ap);
}

int model_nation_index(const model_map_t *m, const char *id) {
  for (size_t i = 0; i < m->n_nations; i++)
    if (strcmp(m->nations[i].id, id) == 0)
      return (int)i;
  return -1;
}

int model_deposit_index(const model_map_t *m, const char *id) {
  for (size_t i = 0; i < m->n_deposits; i++)
    if (strcmp(m->deposits[i].id, id) == 0)
      return (int)i;
  return -1;
}

/* ---- lead times (model.h) ---- */

void model_project_phases(const model_project_rule_t *r, int64_t capacity_kg,
                          int64_t *permit_left, int64_t *build_left) {
  if (!r->two_phase) {
    /* one phase, the permitting speed on all of it (maps without
     * permit_turns and build_turns: the rule before version 2) */
    int64_t left = mul_div(r->lead_turns, r->lead_factor_ppm, 1);
    *permit_left = 0;
    *build_left = left < 1 ? 1 : left;
    return;
  }
  /* the size term: turns_per_doubling for each doubling of the capacity
   * above the reference, rounded up to a thousandth of a turn */
  int64_t extra = 0;
  if (capacity_kg > r->reference_kg && r->reference_kg > 0 &&
      r->turns_per_doubling_milli > 0) {
    int64_t d = model_fx_log2_q32((uint64_t)capacity_kg) -
                model_fx_log2_q32((uint64_t)r->reference_kg);
    if (d > 0) {
      __int128 num = (__int128)r->turns_per_doubling_milli * d;
      __int128 den = (__int128)1 << 32;
      extra = (int64_t)((num + den - 1) / den) * 1000;
    }
  }
  int64_t b = mul_div((int64_t)r->build_turns * MODEL_PPM + extra,
                      r->lead_factor_ppm, MODEL_PPM);
  *build_left = b < MODEL_PPM ? MODEL_PPM : b;
  *permit_left = (int64_t)r->permit_turns * MODEL_PPM;
}

int32_t model_project_turns(const model_project_rule_t *r,
                            int64_t capacity_kg) {
  int64_t permit, build;
  model_project_phases(r, capacity_kg, &permit, &build);
  int64_t speed = r->speed_ppm > 0 ? r->speed_ppm : MODEL_PPM;
  int64_t t = (permit + speed - 1) / speed;
  int64_t step = r->two_phase ? MODEL_PPM : speed;
  t += (build + step - 1) / step;
  return t > MODEL_TURNS_MAX ? MODEL_TURNS_MAX : (int32_t)t;
}

int32_t model_obs_project_turns(const model_obs_t *obs, int stage, int nation,
                                bool brownfield, int64_t capacity_kg,
                                int64_t speed_ppm) {
  const model_obs_rules_t *g = &obs->rules;
  size_t at = (size_t)stage * obs->n_nations + (size_t)nation;
  model_project_rule_t r = {
      .two_phase = g->two_phase[stage],
      .lead_turns =
          brownfield ? g->lead_brownfield[stage] : g->lead_greenfield[stage],
      .permit_turns =
          obs->permit_turns ? obs->permit_turns[at * 2 + brownfield] : 0,
      .build_turns = g->build_turns[stage][brownfield],
      .reference_kg = g->reference_capacity_kg[stage],
      .turns_per_doubling_milli = g->turns_per_doubling_milli[stage],
      .lead_factor_ppm = obs->lead_factor_ppm[at],
      .speed_ppm = speed_ppm};
  return model_project_turns(&r, capacity_kg);
}

/* Demand sectors (issue 11, docs/model.md "Demand by sector"); "other"
 * is the sector of a demand object without sectors. */
const char *const model__sector_names[MODEL_SECTORS] = {
    "ev", "wind", "industrial", "electronics", "defence", "other"};
int model_sector_from_name(const char *n) {
  return lookup(model__sector_names, MODEL_SECTORS, n);
}
const char *model_sector_name(int s) {
  return s >= 0 && s < MODEL_SECTORS ? model__sector_names[s] : NULL;
}
