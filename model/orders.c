/* orders.c: validating orders (each refusal names the field and says what
 * is allowed) and applying the accepted ones at the start of a turn.
 *
 * Validation has two layers: model_order_check_map looks only at the order and
 * the map (who may give it, names, ranges), and is also used for the map's
 * own standing orders and policies; model_order_check adds what depends on the
 * state (the seat's facilities, cash, the talent pool).
 */
#include "model_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QTY_LIMIT ((int64_t)1000000000000) /* 1 Mt... in kg: 1e9 t */
#define CAP_LIMIT ((int64_t)10000000000)   /* 10 Mt/yr in kg */

static int check_product(const model_map_t *m, const model_order_t *o,
                         model_refusal_t *r) {
  if (o->product < 0 || o->product >= NP) {
    model_refuse(r, "product",
                 "unknown product; expected concentrate, ndpr_oxide, %s, "
                 "lace_oxide or magnet",
                 m->heavy_split ? "dy_oxide, tb_oxide" : "dytb_oxide");
    return 1;
  }
  /* design J1: the heavies exist as a basket or as Dy and Tb */
  if (o->product == MODEL_SCRAP && !map_has(m, o->product)) {
    model_refuse(r, "product",
                 "product magnet_scrap is not traded on this map: it has no "
                 "recycling (parameters.recycling)");
    return 1;
  }
  if (!map_has(m, o->product)) {
    model_refuse(r, "product",
                 m->heavy_split
                     ? "product %s is not traded on this map; use dy_oxide "
                       "and tb_oxide"
                     : "product %s is not traded on this map; use dytb_oxide",
                 model__product_names[o->product]);
    return 1;
  }
  return 0;
}

/* Design J4: recycling exists only on maps with parameters.recycling. */
#define NO_RECYCLING_ORDER                                                     \
  "this map has no recycling (parameters.recycling); use mining, "             \
  "separation or magnet"

static int check_stage(const model_map_t *m, const model_order_t *o,
                       model_refusal_t *r) {
  if (o->stage < 0 || o->stage >= NS) {
    model_refuse(r, "stage",
                 m->recycling
                     ? "unknown stage; expected mining, separation, magnet or "
                       "recycling"
                     : "unknown stage; expected mining, separation or magnet");
    return 1;
  }
  if (!map_has_stage(m, o->stage)) {
    model_refuse(r, "stage", "stage recycling: " NO_RECYCLING_ORDER);
    return 1;
  }
  return 0;
}

static int check_skill(const model_map_t *m, const model_order_t *o,
                       model_refusal_t *r) {
  if (o->skill < 0 || o->skill >= NS) {
    model_refuse(r, "skill",
                 m->recycling
                     ? "unknown skill; expected mining, separation, magnet or "
                       "recycling"
                     : "unknown skill; expected mining, separation or magnet");
    return 1;
  }
  if (!map_has_stage(m, o->skill)) {
    model_refuse(r, "skill", "skill recycling: " NO_RECYCLING_ORDER);
    return 1;
  }
  return 0;
}

/* Whether a number field lies outside its range in the order schema
 * (model/order_schema.c): the bounds the wire codec enforces, so the two
 * layers agree wherever the model has no tighter rule of its own. */
static bool out_of_range(const model_order_t *o, const char *key) {
  const model_field_t *f =
      model_order_field(model_order_schema(o->op, (int)o->kind), key);
  int64_t lo = 0, hi = 0, v;
  int rc = f ? model_field_range(f, &lo, &hi) : MODEL_EINVAL;
  LAN_ASSERT(rc == 0);
  if (rc != 0)
    return true;
  memcpy(&v, (const char *)o + f->offset, sizeof v);
  return v < lo || v > hi;
}

/* The same, refused with `what` saying the range in this layer's words. */
static int check_field(const model_order_t *o, const char *key,
                       const char *what, model_refusal_t *r) {
  if (out_of_range(o, key)) {
    model_refuse(r, key, "%s must be between %s", key, what);
    return 1;
  }
  return 0;
}

/* A policy, field by field as its kind's order schema lists them: names
 * of products, stages and skills; `to` / `from` "all" or another nation of
 * the map; numbers within the schema's range (the wire's), a lifted
 * quota's quantity aside. A new policy kind is checked here without a line
 * of its own. */
static int check_policy(const model_map_t *m, int self, const model_order_t *o,
                        model_refusal_t *r) {
  const model_order_schema_t *s = model_order_schema(MODEL_OP_POLICY, o->kind);
  if (!s) {
    char kinds[1024];
    size_t w = 0;
    for (int k = 0; k < MODEL_POLICY_KINDS && w < sizeof kinds; k++)
      w += (size_t)snprintf(kinds + w, sizeof kinds - w, "%s%s",
                            k == 0                        ? ""
                            : k == MODEL_POLICY_KINDS - 1 ? " or "
                                                          : ", ",
                            model_policy_name(k));
    model_refuse(r, "kind", "unknown policy kind; expected %s", kinds);
    return 1;
  }
  if (o->kind == MODEL_POL_RECYCLING_COLLECTION && !m->recycling) {
    model_refuse(r, "kind",
                 "recycling_collection: this map has no recycling "
                 "(parameters.recycling), so no end-of-life magnets to "
                 "collect");
    return 1;
  }
  for (size_t i = 0; i < s->n_fields; i++) {
    const model_field_t *f = &s->fields[i];
    int partner;
    switch (f->type) {
    case MODEL_FIELD_PRODUCT:
      if (check_product(m, o, r))
        return 1;
      break;
    case MODEL_FIELD_STAGE:
      if (check_stage(m, o, r))
        return 1;
      break;
    case MODEL_FIELD_SKILL:
      if (check_skill(m, o, r))
        return 1;
      break;
    case MODEL_FIELD_PARTNER:
      partner = model_partner_index(m, (const char *)o + f->offset);
      if (partner < 0 || partner == self) {
        model_refuse(r, f->key, "must be \"all\" or the id of another nation");
        return 1;
      }
      break;
    case MODEL_FIELD_NUMBER:
    case MODEL_FIELD_INTEGER: {
      if (f->presence == MODEL_FIELD_NIL_LIFTS && o->lift)
        break;
      char lo[48], hi[48];
      model_fmt_num(f->min, lo, sizeof lo);
      model_fmt_num(f->max, hi, sizeof hi);
      /* Shares and factors need no unit: "rate must be between 0 and 1". */
      bool bare =
          f->unit == MODEL_UNIT_FRACTION || f->unit == MODEL_UNIT_FACTOR;
      if (out_of_range(o, f->key)) {
        model_refuse(
            r, f->key, "%s must be between %s and %s%s%s%s", f->key, lo, hi,
            bare ? "" : " ", bare ? "" : model_unit_name(f->unit),
            f->presence == MODEL_FIELD_NIL_LIFTS ? " (nil lifts it)" : "");
        return 1;
      }
      break;
    }
    case MODEL_FIELD_ID:
    case MODEL_FIELD_BOOL:
      break;
    }
  }
  return 0;
}

/* `who` is a seat index, or with is_nation a nation index (a map policy of
 * a nation that may have no seat). Returns 0 when acceptable. */
int model_order_check_map(const model_map_t *m, int who, bool is_nation,
                          const model_order_t *o, model_refusal_t *r) {
  bool nation = is_nation || m->seats[who].kind == MODEL_SEAT_NATION;
  int self = is_nation ? who : m->seats[who].nation;
  switch (o->op) {
  case MODEL_OP_BUILD:
  case MODEL_OP_OPERATE:
  case MODEL_OP_HIRE:
  case MODEL_OP_ACQUIRE:
  case MODEL_OP_TRANSFER:
    if (nation) {
      model_refuse(
          r, "op",
          "only firms may %s; nations act through policy, train, offer "
          "and bid",
          model_op_name((int)o->op));
      return 1;
    }
    break;
  case MODEL_OP_POLICY:
    if (!nation) {
      model_refuse(r, "op",
                   "only nations set policy; firms may build, operate, "
                   "hire, train, offer and bid");
      return 1;
    }
    break;
  case MODEL_OP_GRANT:
  case MODEL_OP_EQUITY:
  case MODEL_OP_LOAN:
    if (!nation) {
      model_refuse(r, "op",
                   "only nations may %s; firms may propose contracts to "
                   "each other",
                   model_op_name((int)o->op));
      return 1;
    }
    break;
  case MODEL_OP_TRAIN:
  case MODEL_OP_OFFER:
  case MODEL_OP_BID:
  case MODEL_OP_CONTRACT_PROPOSE:
  case MODEL_OP_CONTRACT_ACCEPT:
  case MODEL_OP_CONTRACT_WITHDRAW:
    break;
  default:
    model_refuse(r, "op",
                 "unknown op; expected build, operate, hire, train, offer, "
                 "bid, policy, grant, equity, loan, contract_propose, "
                 "contract_accept, contract_withdraw, acquire or transfer");
    return 1;
  }
  switch (o->op) {
  case MODEL_OP_TRANSFER:
    if (check_product(m, o, r))
      return 1;
    return check_field(o, "quantity", "0 and 1,000,000,000 t", r);
  case MODEL_OP_BUILD:
    if (check_stage(m, o, r))
      return 1;
    if (out_of_range(o, "capacity")) {
      model_refuse(r, "capacity",
                   "capacity must be more than 0 and at most 10,000,000 t/yr");
      return 1;
    }
    if (!o->facility[0] && o->stage == MODEL_MINING && !o->site[0]) {
      model_refuse(r, "site", "a new mine needs site: the id of a deposit");
      return 1;
    }
    if (o->host[0] && model_nation_index(m, o->host) < 0) {
      model_refuse(r, "nation", "nation must be the id of a nation of the map");
      return 1;
    }
    if (o->host[0] && (o->stage == MODEL_MINING || o->facility[0])) {
      model_refuse(r, "nation",
                   "nation is for new separation and magnet plants; a mine "
                   "stands at its deposit and an expansion where its plant "
                   "is");
      return 1;
    }
    return 0;
  case MODEL_OP_OPERATE:
    if (!o->facility[0]) {
      model_refuse(r, "facility",
                   "facility must be the id of one of your "
                   "facilities");
      return 1;
    }
    /* design J3: the recipe key of the map's heavies */
    if (o->heavy_recipe_ppm && m->heavy_split) {
      model_refuse(r, "heavy_recipe",
                   "this map trades dy_oxide and tb_oxide apart: give "
                   "dy_recipe (t of dy_oxide per t of magnet; Tb follows)");
      return 1;
    }
    if (o->dy_recipe_ppm && !m->heavy_split) {
      model_refuse(r, "dy_recipe",
                   "this map trades the heavies as one basket: give "
                   "heavy_recipe (t of dytb_oxide per t of magnet)");
      return 1;
    }
    return check_field(o, "utilisation", "0 and 1", r) ||
           check_field(o, "heavy_recipe", "0 and 1", r) ||
           check_field(o, "dy_recipe", "0 and 1", r);
  case MODEL_OP_HIRE:
    if (check_skill(m, o, r))
      return 1;
    if (o->count == 0) {
      model_refuse(r, "count", "count must not be 0 (negative releases staff)");
      return 1;
    }
    if ((o->origin[0] || o->apprentice) && o->count < 0) {
      model_refuse(r, "count",
                   "release staff without from or apprentice; count must be "
                   "more than 0 to hire");
      return 1;
    }
    if (o->origin[0] && o->apprentice) {
      model_refuse(r, "apprentice",
                   "apprentices come from the home labour market, not from "
                   "another nation's pool: give from or apprentice, not both");
      return 1;
    }
    if (o->origin[0] && model_nation_index(m, o->origin) < 0) {
      model_refuse(r, "from", "from must be the id of a nation of the map");
      return 1;
    }
    if (o->origin[0] && m->poach_ppm <= 0) {
      model_refuse(r, "from",
                   "this map has no hiring from other nations' pools "
                   "(parameters.talent.poach_share); hire from your home pool");
      return 1;
    }
    if (o->apprentice && m->mentor_ppm <= 0) {
      model_refuse(r, "apprentice",
                   "this map has no apprentices "
                   "(parameters.talent.mentor_ratio); hire or train instead");
      return 1;
    }
    return check_field(o, "count", "-1,000,000 and 1,000,000 people", r);
  case MODEL_OP_TRAIN:
    if (check_skill(m, o, r))
      return 1;
    return check_field(o, "count", "1 and 1,000,000 people", r);
  case MODEL_OP_OFFER:
  case MODEL_OP_BID:
    if (check_product(m, o, r))
      return 1;
    if (check_field(o, "quantity", "0 and 1,000,000,000 t", r))
      return 1;
    if (o->op == MODEL_OP_BID && o->index[0] &&
        !map_has(m, model_product_from_name(o->index))) {
      model_refuse(r, "index",
                   "index must be a product (concentrate, ndpr_oxide, "
                   "dytb_oxide, lace_oxide or magnet) whose price the max "
                   "price follows");
      return 1;
    }
    return check_field(o, o->op == MODEL_OP_OFFER ? "min_price" : "max_price",
                       "0 and 999,999.99 USD/kg", r);
  case MODEL_OP_GRANT:
  case MODEL_OP_EQUITY:
  case MODEL_OP_LOAN:
    if (model_firm_index(m, o->firm) < 0) {
      model_refuse(r, "firm", "firm must be the seat id of a firm");
      return 1;
    }
    if (check_field(o, "amount", "0.01 and 1e12 USD", r))
      return 1;
    if (o->op == MODEL_OP_EQUITY)
      return check_field(o, "stake", "0.000001 and 1", r);
    if (o->op == MODEL_OP_LOAN)
      return check_field(o, "rate", "0 and 1", r) ||
             check_field(o, "turns", "1 and 400 turns", r) ||
             check_field(o, "grace", "0 and 400 turns", r);
    return 0;
  case MODEL_OP_CONTRACT_PROPOSE:
    if (!o->contract[0]) {
      model_refuse(r, "id", "id must name the contract (1 to %d bytes)",
                   MODEL_ID_MAX - 1);
      return 1;
    }
    if (check_product(m, o, r))
      return 1;
    return check_field(o, "quantity", "0.001 and 1,000,000,000 t", r) ||
           check_field(o, "price", "0 and 999,999.99 USD/kg", r) ||
           check_field(o, "turns", "1 and 400 turns", r) ||
           check_field(o, "penalty", "0 and 999,999.99 USD/kg", r);
  case MODEL_OP_CONTRACT_ACCEPT:
  case MODEL_OP_CONTRACT_WITHDRAW:
    if (!o->contract[0]) {
      model_refuse(r, "id", "id must name the contract");
      return 1;
    }
    return 0;
  case MODEL_OP_ACQUIRE:
    if (!m->finance) {
      model_refuse(r, "op",
                   "this map has no money limits (parameters.finance), so "
                   "no firm goes into receivership and nothing can be "
                   "acquired");
      return 1;
    }
    if (!o->facility[0]) {
      model_refuse(r, "facility",
                   "facility must be the id of a facility of a firm in "
                   "receivership");
      return 1;
    }
    return check_field(o, "price", "0.01 and 1e12 USD", r);
  case MODEL_OP_POLICY:
    break;
  default:
    return 1;
  }
  if (check_policy(m, self, o, r))
    return 1;
  /* the new kinds' names (docs/design/model-v2.md F, H) */
  if ((o->kind == MODEL_POL_FIRM_PRICE_FLOOR ||
       o->kind == MODEL_POL_SANCTION) &&
      model_firm_index(m, o->firm) < 0) {
    model_refuse(r, "firm", "firm must be the seat id of a firm");
    return 1;
  }
  if (o->kind == MODEL_POL_SANCTION &&
      m->seats[model_firm_index(m, o->firm)].nation == self) {
    model_refuse(r, "firm",
                 "a sanction names a foreign firm; \"%s\" is one of yours",
                 o->firm);
    return 1;
  }
  if (o->kind == MODEL_POL_FIRM_PRICE_FLOOR && o->turns < 1) {
    model_refuse(r, "turns", "turns must be between 1 and 400");
    return 1;
  }
  if (o->kind == MODEL_POL_EXPORT_LICENCE && o->choice[0] &&
      strcmp(o->choice, "offers") != 0 && strcmp(o->choice, "exports") != 0) {
    model_refuse(r, "basis", "basis must be \"offers\" or \"exports\"");
    return 1;
  }
  if (o->kind == MODEL_POL_PRODUCTION_QUOTA && o->choice[0] &&
      strcmp(o->choice, "feed") != 0 && strcmp(o->choice, "output") != 0) {
    model_refuse(r, "basis", "basis must be \"feed\" or \"output\"");
    return 1;
  }
  if (o->kind == MODEL_POL_PRODUCTION_QUOTA && o->origin[0] &&
      strcmp(o->origin, "inside") != 0 && strcmp(o->origin, "outside") != 0) {
    model_refuse(r, "imports", "imports must be \"inside\" or \"outside\"");
    return 1;
  }
  return 0;
}

int model_event_order_check(const model_map_t *m, int nation,
                            const model_event_t *ev, model_refusal_t *r) {
  const model_order_t *o = &ev->policy;
  bool ok = ev->kind == MODEL_EV_POLICY
                ? o->op == MODEL_OP_POLICY
                : o->op == MODEL_OP_GRANT || o->op == MODEL_OP_EQUITY ||
                      o->op == MODEL_OP_LOAN ||
                      (o->op == MODEL_OP_POLICY &&
                       o->kind == MODEL_POL_FIRM_PRICE_FLOOR);
  if (!ok) {
    model_refuse(r, "op",
                 ev->kind == MODEL_EV_POLICY
                     ? "expected {\"op\": \"policy\", ...}"
                     : "a state_support event carries a grant, equity, loan "
                       "or firm_price_floor order");
    return 1;
  }
  return model_order_check_map(m, nation, true, o, r);
}

/* A build's capex in cents; false when it would not fit in int64 (a
 * capacity near the order limit at a map's highest capex and factors). */
static bool build_capex(const model_state_t *st, const model_order_t *o,
                        int nation, bool brown, int64_t *out) {
  const map_stage_t *ms = &st->map->stage[o->stage];
  int64_t c;
  if (!mul_div_ok(o->capacity_kg_per_year, ms->capex, 1, &c) ||
      !mul_div_ok(c, st->map->nations[nation].capex_factor[o->stage], MODEL_PPM,
                  &c) ||
      (brown && !mul_div_ok(c, ms->brown_factor, MODEL_PPM, &c)))
    return false;
  *out = c;
  return true;
}

/* Where a build stands: the deposit's nation for a mine, else the home
 * nation (or the expanded facility's). */
static int build_nation(const model_state_t *st, int seat,
                        const model_order_t *o, int fac) {
  if (fac >= 0)
    return st->fac[fac].nation;
  if (o->stage == MODEL_MINING) {
    int d = model_deposit_index(st->map, o->site);
    return d >= 0 ? st->map->deposits[d].nation : -1;
  }
  if (o->host[0]) /* building abroad (docs/design/model-v2.md I) */
    return model_nation_index(st->map, o->host);
  return st->map->seats[seat].nation;
}

/* Training places a nation's programme keeps this turn: what its budget
 * paid for, up to the capacity, as the turn opened (so that a programme
 * changed this turn does not refuse orders already checked against it;
 * docs/model.md, "Talent limits"). */
static int64_t programme_places(const model_state_t *st, int n, int s) {
  return st->nations[n].train_kept[s];
}

void model_train_keep(model_state_t *st) {
  for (size_t n = 0; n < st->n_nations; n++)
    for (int s = 0; s < NS; s++) {
      nation_t *na = &st->nations[n];
      int64_t cost = st->map->train_cost[s], b = na->pol.talent_budget[s];
      int64_t p = na->train_cap[s] < 0 || b <= 0 || cost <= 0 ? 0 : b / cost;
      na->train_kept[s] = p < na->train_cap[s] ? p : na->train_cap[s];
      if (na->train_kept[s] < 0)
        na->train_kept[s] = 0;
    }
}

int64_t model_train_left(const model_state_t *st, int n, int s) {
  const nation_t *na = &st->nations[n];
  if (na->train_cap[s] < 0)
    return -1;
  int64_t left =
      na->train_cap[s] - na->train_used[s] - programme_places(st, n, s);
  return left > 0 ? left : 0;
}

/* Apprentices: at most mentor_ratio per experienced person of the skill
 * this turn. */
static int check_apprentices(const model_state_t *st, int seat,
                             const model_order_t *o, model_refusal_t *r) {
  const seat_t *s = &st->seats[seat];
  int64_t most =
      ppm_of(s->staff[o->skill], st->map->mentor_ppm) - s->appr_taken[o->skill];
  if (most < 0)
    most = 0;
  if (o->count > most) {
    char ratio[48];
    model_fmt_num(model_ppm_to_fraction(st->map->mentor_ppm), ratio,
                  sizeof ratio);
    model_refuse(r, "count",
                 "your %lld experienced %s staff can mentor %lld more "
                 "apprentices this turn (%s each); count at most %lld",
                 (long long)s->staff[o->skill], model_skill_name(o->skill),
                 (long long)most, ratio, (long long)most);
    return 1;
  }
  return 0;
}

/* The signing cost of hiring count people from abroad into `home`. */
static int64_t poach_cost(const model_state_t *st, int home, int skill,
                          int64_t count) {
  int64_t w =
      ppm_of(st->map->nations[home].wage[skill], st->map->poach_cost_ppm);
  return mul_div(count, w, 1);
}

/* Hiring from another nation's pool: its migration policy lets the skill
 * out, the home's lets it in, no technology ban of the origin covers the
 * stage, at most poach_share of the origin's pool (as the turn opened) per
 * turn for all firms of the home, and the signing cost is fundable. */
static int check_poach(const model_state_t *st, int seat,
                       const model_order_t *o, int64_t *running,
                       model_refusal_t *r) {
  const model_map_t *m = st->map;
  int home = m->seats[seat].nation;
  int from = model_nation_index(m, o->origin);
  int k = o->skill;
  const nation_t *na = &st->nations[from];
  if (!na->pol.mig_out[k]) {
    model_refuse(r, "from",
                 "%s does not let %s people out (migration outbound false)",
                 m->nations[from].id, model_skill_name(k));
    return 1;
  }
  if (!st->nations[home].pol.mig_in[k]) {
    model_refuse(r, "from",
                 "%s does not let %s people in (migration inbound false); "
                 "change your nation's migration policy",
                 m->nations[home].id, model_skill_name(k));
    return 1;
  }
  if (model_tech_banned(st, from, k, home)) {
    model_refuse(r, "from",
                 "%s bans the export of %s technology and expertise to %s "
                 "(technology_export_ban)",
                 m->nations[from].id, model_skill_name(k), m->nations[home].id);
    return 1;
  }
  int64_t most = ppm_of(na->pool_start[k], m->poach_ppm) - na->poached[k][home];
  if (most > na->pool[k])
    most = na->pool[k];
  if (most < 0)
    most = 0;
  if (o->count > most) {
    model_refuse(r, "count",
                 "at most %lld %s people can be hired from %s by %s firms "
                 "this turn",
                 (long long)most, model_skill_name(k), m->nations[from].id,
                 m->nations[home].id);
    return 1;
  }
  int64_t cost = poach_cost(st, home, k, o->count), total;
  int64_t have = model_headroom(st, seat) - *running;
  if (__builtin_add_overflow(cost, *running, &total) || cost > have) {
    char how[160];
    model_headroom_text(st, seat, how, sizeof how);
    model_refuse(r, "count",
                 "signing %lld people from abroad costs %.2f USD and you can "
                 "fund %.2f USD this turn (%s); %.2f USD is missing",
                 (long long)o->count, model_cents_to_usd(cost),
                 model_cents_to_usd(have > 0 ? have : 0), how,
                 model_cents_to_usd(cost - (have > 0 ? have : 0)));
    return 1;
  }
  *running = total;
  return 0;
}

/* The facility of that id (any owner), or -1. */
static int facility_by_id(const model_state_t *st, const char *id) {
  for (size_t k = 0; k < st->n_fac; k++)
    if (strcmp(st->fac[k].id, id) == 0)
      return (int)k;
  return -1;
}

/* acquire (design B4): a plant of another firm in receivership, at no less
 * than its liquidation value, paid from the buyer's headroom. */
static int check_acquire(const model_state_t *st, int seat,
                         const model_order_t *o, int64_t *running,
                         model_refusal_t *r) {
  int k = facility_by_id(st, o->facility);
  int owner = k >= 0 ? st->fac[k].owner : -1;
  if (k < 0 || owner == seat || st->seats[owner].receivership <= 0) {
    model_refuse(r, "facility",
                 "\"%s\" is not a facility of another firm in receivership",
                 o->facility);
    return 1;
  }
  int64_t floor = ppm_of(st->fac[k].book, st->map->liquidation_ppm);
  if (o->amount_cents < floor) {
    model_refuse(r, "price",
                 "\"%s\" sells for at least its liquidation value, %.2f USD "
                 "(%.0f%% of its book value)",
                 o->facility, model_cents_to_usd(floor),
                 model_ppm_to_fraction(st->map->liquidation_ppm) * 100.0);
    return 1;
  }
  int64_t total, have = model_headroom(st, seat) - *running;
  if (__builtin_add_overflow(o->amount_cents, *running, &total) ||
      o->amount_cents > have) {
    char how[160];
    model_headroom_text(st, seat, how, sizeof how);
    model_refuse(r, "price",
                 "this acquisition costs %.2f USD and you can fund %.2f USD "
                 "this turn (%s); %.2f USD is missing",
                 model_cents_to_usd(o->amount_cents),
                 model_cents_to_usd(have > 0 ? have : 0), how,
                 model_cents_to_usd(o->amount_cents - (have > 0 ? have : 0)));
    return 1;
  }
  *running = total;
  return 0;
}

/* Moves facility k, with its experience, to `buyer` for `price` (a
 * transfer to the seller, which reduces its debt); it arrives idle and
 * unstaffed. */
static void apply_acquire(model_state_t *st, int buyer, int k, int64_t price) {
  facility_t *f = &st->fac[k];
  int seller = f->owner;
  seat_t *b = &st->seats[buyer], *s = &st->seats[seller];
  ck_sub(st, &b->cash, price, buyer, "cash", MODEL_U_CENTS, "acquisition");
  ck_add(st, &b->flows.money_out, price, buyer, "money paid out", MODEL_U_CENTS,
         "acquisition");
  ck_add(st, &s->cash, price, seller, "cash", MODEL_U_CENTS, "acquisition");
  ck_add(st, &s->flows.money_in, price, seller, "money received", MODEL_U_CENTS,
         "acquisition");
  /* out of the seller's list of facilities, into the buyer's */
  int32_t *at = &s->first_fac;
  while (*at >= 0 && *at != k)
    at = &st->fac[*at].next_of_owner;
  if (*at == k)
    *at = f->next_of_owner;
  s->n_fac--;
  f->owner = buyer;
  /* the buyer's list runs newest (highest index) first: keep it so */
  at = &b->first_fac;
  while (*at > k)
    at = &st->fac[*at].next_of_owner;
  f->next_of_owner = *at;
  *at = k;
  b->n_fac++;
  f->util = 0;
  f->staff = 0;
  /* maps with branches (design I2): a plant bought abroad belongs to the
   * buyer's branch there (opened by the purchase), one in its home nation
   * to the buyer itself */
  if (st->map->branches) {
    f->abroad = f->nation != st->map->seats[buyer].nation;
    if (f->abroad)
      (void)model_branch_open(st, buyer, f->nation);
  }
}

int model_order_check(const model_state_t *st, int seat, const model_order_t *o,
                      int64_t *capex_running, model_refusal_t *r) {
  if (model_order_check_map(st->map, seat, false, o, r))
    return 1;
  const seat_t *s = &st->seats[seat];
  int home = st->map->seats[seat].nation;
  /* a firm in receivership may only sell down and idle its plants */
  if (s->receivership > 0 && o->op != MODEL_OP_OFFER &&
      !(o->op == MODEL_OP_OPERATE && o->utilisation_ppm == 0)) {
    model_refuse(r, "op",
                 "%s is in receivership until turn %d; it may only offer "
                 "what it holds and idle its facilities",
                 st->map->seats[seat].id, st->turn + s->receivership);
    return 1;
  }
  if (o->op == MODEL_OP_POLICY && o->lapse_turns > 0 &&
      !model_policy_lapse_room(st, home, o)) {
    model_refuse(r, "turns",
                 "at most %d policies may be set to lapse at a time; set "
                 "this one without turns, or wait for one to lapse",
                 MODEL_LAPSES_MAX);
    return 1;
  }
  switch (o->op) {
  case MODEL_OP_BUILD: {
    int fac = -1;
    if (o->facility[0]) {
      fac = model_facility_of_seat(st, seat, o->facility);
      if (fac < 0) {
        model_refuse(r, "facility",
                     "no facility \"%s\" of yours to expand; omit facility to "
                     "build a new one",
                     o->facility);
        return 1;
      }
      if (st->fac[fac].stage != o->stage) {
        model_refuse(r, "stage", "facility \"%s\" is a %s facility",
                     o->facility, model_stage_name(st->fac[fac].stage));
        return 1;
      }
      if (st->fac[fac].build_left > 0 || st->fac[fac].exp_left > 0) {
        model_refuse(
            r, "facility",
            "facility \"%s\" is still being built or expanded; wait until "
            "it is done",
            o->facility);
        return 1;
      }
      int64_t share = st->map->stage[o->stage].brown_max_ppm;
      int64_t most = share >= 0 ? ppm_of(st->fac[fac].capacity, share) : -1;
      if (most >= 0 && o->capacity_kg_per_year > most) {
        char a[48], b[48], c[48];
        model_fmt_num(model_kg_to_tonnes(most), a, sizeof a);
        model_fmt_num(model_ppm_to_fraction(share) * 100.0, b, sizeof b);
        model_fmt_num(model_kg_to_tonnes(st->fac[fac].capacity), c, sizeof c);
        model_refuse(r, "capacity",
                     "an expansion of \"%s\" may add at most %s t/yr (%s%% "
                     "of its %s t/yr nameplate); build a new plant for more",
                     o->facility, a, b, c);
        return 1;
      }
    } else if (o->stage == MODEL_MINING) {
      int d = model_deposit_index(st->map, o->site);
      if (d < 0) {
        model_refuse(r, "site", "no deposit \"%s\"; site must be a deposit id",
                     o->site);
        return 1;
      }
      if (!st->map->deposits[d].open) {
        model_refuse(r, "site", "deposit \"%s\" is closed to new mines",
                     o->site);
        return 1;
      }
      if (st->reserves[d] <= 0) {
        model_refuse(r, "site", "deposit \"%s\" has no reserves left", o->site);
        return 1;
      }
      int owner = st->map->deposits[d].owner;
      if (owner >= 0 && owner != seat) {
        /* a firm-owned deposit (issue 11): its owner's alone */
        model_refuse(r, "site",
                     "deposit \"%s\" belongs to %s; only its owner may open "
                     "a mine there (buy from it, or build at an open "
                     "deposit that no firm owns)",
                     o->site, st->map->seats[owner].id);
        return 1;
      }
    }
    int nation = build_nation(st, seat, o, fac);
    /* technology bans, screens and sanctions bind new plants abroad (an
     * expansion of one already there is not a new transfer) */
    if (fac < 0 && model_deal_build_check(st, seat, nation, o->stage, r))
      return 1;
    if (fac < 0 && st->map->branches && nation >= 0 && nation != home &&
        model_branch_find(st, seat, nation) < 0 && st->br &&
        st->br->n >= MODEL_BRANCHES_MAX) {
      model_refuse(r, "nation",
                   "the world holds the maximum of %d branches abroad; build "
                   "at home or where you have a branch",
                   MODEL_BRANCHES_MAX);
      return 1;
    }
    int64_t capex, total;
    if (!build_capex(st, o, nation, fac >= 0, &capex)) {
      model_refuse(r, "capacity",
                   "this build would cost more than the model's money range "
                   "(int64 cents); build less capacity");
      return 1;
    }
    int64_t share = model_subsidy_applies(st, nation, o->stage, seat)
                        ? st->nations[nation].pol.sub_capex[o->stage]
                        : 0;
    int64_t sub = ppm_of(capex, share), own = capex - sub;
    int64_t have = model_headroom(st, seat) - *capex_running;
    if (__builtin_add_overflow(own, *capex_running, &total) || own > have) {
      char how[160];
      model_headroom_text(st, seat, how, sizeof how);
      model_refuse(r, "capacity",
                   "this build costs %.2f USD after subsidy; you can fund "
                   "%.2f USD this turn (%s); %.2f USD is missing",
                   model_cents_to_usd(own),
                   model_cents_to_usd(have > 0 ? have : 0), how,
                   model_cents_to_usd(own - (have > 0 ? have : 0)));
      return 1;
    }
    /* the host pays the subsidised share from its own headroom: a build
     * it cannot fund is refused (the firm may build without counting on
     * the subsidy once the nation lifts it) */
    int32_t nh = (int32_t)(st->n_seats + (size_t)nation);
    int64_t can = model_headroom(st, nh);
    if (sub > 0 && sub > can) {
      char how[160];
      model_headroom_text(st, nh, how, sizeof how);
      model_refuse(r, "capacity",
                   "%s's %.0f%% capex subsidy on this build is %.2f USD and "
                   "%s can fund %.2f USD this turn (%s); %.2f USD is missing",
                   st->map->nations[nation].id,
                   model_ppm_to_fraction(share) * 100.0,
                   model_cents_to_usd(sub), st->map->nations[nation].id,
                   model_cents_to_usd(can > 0 ? can : 0), how,
                   model_cents_to_usd(sub - (can > 0 ? can : 0)));
      return 1;
    }
    *capex_running += own;
    if (st->n_fac >= MODEL_FACILITIES_MAX) {
      model_refuse(r, "op", "the world holds the maximum number of facilities");
      return 1;
    }
    return 0;
  }
  case MODEL_OP_OPERATE: {
    int k = model_facility_of_seat(st, seat, o->facility);
    if (k < 0) {
      model_refuse(r, "facility", "no facility \"%s\" of yours", o->facility);
      return 1;
    }
    int64_t want = o->heavy_recipe_ppm ? o->heavy_recipe_ppm : o->dy_recipe_ppm;
    if (!want)
      return 0;
    const char *key = o->heavy_recipe_ppm ? "heavy_recipe" : "dy_recipe";
    if (st->fac[k].stage != MODEL_MAGNETS) {
      model_refuse(r, key, "%s is for magnet plants; %s is a %s facility", key,
                   o->facility, model_stage_name(st->fac[k].stage));
      return 1;
    }
    int64_t full = st->map->stage[MODEL_MAGNETS].recipe[1];
    int64_t lo = model_thrift_floor(st->map);
    if (want < lo || want > full) {
      model_refuse(r, key,
                   "%s must be between %.6g and %.6g t of %s per t of magnet "
                   "(thrift min_share %.6g of the recipe's %.6g)",
                   key, (double)lo / MODEL_PPM, (double)full / MODEL_PPM,
                   st->map->heavy_split ? "dy_oxide" : "dytb_oxide",
                   (double)st->map->thrift_min_ppm / MODEL_PPM,
                   (double)full / MODEL_PPM);
      return 1;
    }
    return 0;
  }
  case MODEL_OP_HIRE:
    if (o->count < 0 && -o->count > s->staff[o->skill]) {
      model_refuse(r, "count",
                   "you employ %lld %s staff; you can release at most "
                   "that many",
                   (long long)s->staff[o->skill], model_skill_name(o->skill));
      return 1;
    }
    if (o->apprentice)
      return check_apprentices(st, seat, o, r);
    if (o->origin[0] && model_nation_index(st->map, o->origin) != home)
      return check_poach(st, seat, o, capex_running, r);
    if (o->count > 0 && o->count > st->nations[home].pool[o->skill]) {
      model_refuse(r, "count",
                   "only %lld %s people are available in %s's pool this turn",
                   (long long)st->nations[home].pool[o->skill],
                   model_skill_name(o->skill), st->map->nations[home].id);
      return 1;
    }
    return 0;
  case MODEL_OP_TRAIN: {
    /* count <= 1e6 people and a map's training cost <= $1e7: fits */
    int64_t cost = mul_div(o->count, st->map->train_cost[o->skill], 1), total;
    int32_t who = model_seat_holder(st, (size_t)seat);
    /* without a deficit limit a nation trains from what its budget holds,
     * as before money limits */
    int64_t head = model_headroom(st, who);
    if (head == MODEL_HEADROOM_NONE)
      head = st->nations[home].budget;
    int64_t have = head - *capex_running;
    /* a firm trains at home, or (maps with branches) in a branch's host */
    if (model_branch_check(st, seat, o, r))
      return 1;
    int where = o->host[0] ? model_nation_index(st->map, o->host) : home;
    int64_t left = model_train_left(st, where, o->skill);
    if (left >= 0 && o->count > left) {
      const nation_t *na = &st->nations[where];
      model_refuse(
          r, "count",
          "%s can train %lld more %s people this turn (capacity %lld, "
          "%lld enrolled and %lld kept for its programme); count at "
          "most %lld",
          st->map->nations[where].id, (long long)left,
          model_skill_name(o->skill), (long long)na->train_cap[o->skill],
          (long long)na->train_used[o->skill],
          (long long)programme_places(st, where, o->skill), (long long)left);
      return 1;
    }
    if (__builtin_add_overflow(cost, *capex_running, &total) || cost > have) {
      char how[160];
      model_headroom_text(st, who, how, sizeof how);
      model_refuse(r, "count",
                   "training %lld people costs %.2f USD and you can fund "
                   "%.2f USD this turn (%s); %.2f USD is missing",
                   (long long)o->count, model_cents_to_usd(cost),
                   model_cents_to_usd(have > 0 ? have : 0), how,
                   model_cents_to_usd(cost - (have > 0 ? have : 0)));
      return 1;
    }
    *capex_running += cost;
    return 0;
  }
  case MODEL_OP_GRANT:
  case MODEL_OP_EQUITY:
  case MODEL_OP_LOAN:
  case MODEL_OP_CONTRACT_PROPOSE:
  case MODEL_OP_CONTRACT_ACCEPT:
  case MODEL_OP_CONTRACT_WITHDRAW:
    return model_deal_check(st, seat, o, capex_running, r);
  case MODEL_OP_ACQUIRE:
    return check_acquire(st, seat, o, capex_running, r);
  case MODEL_OP_OFFER:
  case MODEL_OP_BID:
  case MODEL_OP_TRANSFER:
    /* branches abroad (issue 11, design I2) */
    return model_branch_check(st, seat, o, r);
  default:
    return 0;
  }
}

int model_validate(const model_state_t *st, int seat,
                   const model_order_t *orders, size_t n,
                   model_refusal_t *refusals, size_t cap, size_t *n_refused) {
  if (!st || seat < 0 || (size_t)seat >= st->n_seats || (n && !orders))
    return MODEL_EINVAL;
  size_t k = 0;
  int64_t running = 0;
  for (size_t i = 0; i < n; i++) {
    model_refusal_t r;
    memset(&r, 0, sizeof r);
    if (i >= MODEL_ORDERS_MAX) {
      model_refuse(&r, "orders", "at most %d orders per submission",
                   MODEL_ORDERS_MAX);
    } else if (!model_order_check(st, seat, &orders[i], &running, &r)) {
      continue;
    }
    r.index = i;
    if (k < cap && refusals)
      refusals[k] = r;
    k++;
  }
  if (n_refused)
    *n_refused = k;
  return 0;
}

int model_submit(model_state_t *st, int seat, const model_order_t *orders,
                 size_t n, model_refusal_t *refusals, size_t cap,
                 size_t *n_refused) {
  if (!st || seat < 0 || (size_t)seat >= st->n_seats || (n && !orders))
    return MODEL_EINVAL;
  if (st->turn >= st->map->turns)
    return MODEL_EFINISHED;
  seat_t *s = &st->seats[seat];
  model_order_t *keep = n ? calloc(n, sizeof *keep) : NULL;
  if (n && !keep)
    return MODEL_ENOMEM;
  size_t k = 0, kept = 0;
  int64_t running = 0;
  for (size_t i = 0; i < n; i++) {
    model_refusal_t r;
    memset(&r, 0, sizeof r);
    if (i < MODEL_ORDERS_MAX &&
        !model_order_check(st, seat, &orders[i], &running, &r)) {
      model_order_canonical(&orders[i], &keep[kept++]);
      continue;
    }
    if (i >= MODEL_ORDERS_MAX)
      model_refuse(&r, "orders", "at most %d orders per submission",
                   MODEL_ORDERS_MAX);
    r.index = i;
    if (k < cap && refusals)
      refusals[k] = r;
    k++;
  }
  free(s->pending);
  s->pending = keep;
  s->n_pending = kept;
  s->submitted = true;
  if (n_refused)
    *n_refused = k;
  return 0;
}

/* ---- application ---- */

static void late(model_state_t *st, int seat, size_t index,
                 const model_refusal_t *r) {
  model_report_t *rep = &st->report;
  if (rep->n_late_refusals >= 16)
    return;
  rep->late_refusals[rep->n_late_refusals] = *r;
  rep->late_refusals[rep->n_late_refusals].index = index;
  rep->late_refusal_seat[rep->n_late_refusals] = seat;
  rep->n_late_refusals++;
}

static int apply_build(model_state_t *st, int seat, const model_order_t *o) {
  seat_t *s = &st->seats[seat];
  const map_stage_t *ms = &st->map->stage[o->stage];
  int fac = o->facility[0] ? model_facility_of_seat(st, seat, o->facility) : -1;
  int nation = build_nation(st, seat, o, fac);
  int64_t capex = 0;
  if (!build_capex(st, o, nation, fac >= 0, &capex))
    model_range_overflow(st, seat, "capex", MODEL_U_CENTS,
                         o->capacity_kg_per_year, '*',
                         st->map->stage[o->stage].capex, NULL);
  int64_t sub = model_subsidy_applies(st, nation, o->stage, seat)
                    ? ppm_of(capex, st->nations[nation].pol.sub_capex[o->stage])
                    : 0;
  const map_nation_t *mn = &st->map->nations[nation];
  model_project_rule_t rule;
  model_project_rule(st, o->stage, nation, fac >= 0, &rule);
  int64_t permit = 0, left = 0;
  model_project_phases(&rule, o->capacity_kg_per_year, &permit, &left);
  /* The firm pays capex less the subsidy (a sink); the nation pays the
   * subsidised share (a sink too: the money goes to builders outside the
   * model). */
  int32_t nh = (int32_t)(st->n_seats + (size_t)nation);
  ck_sub(st, &s->cash, capex - sub, seat, "cash", MODEL_U_CENTS, "capex");
  ck_add(st, &s->flows.money_out, capex - sub, seat, "money paid out",
         MODEL_U_CENTS, "capex");
  ck_sub(st, &st->nations[nation].budget, sub, nh, "budget", MODEL_U_CENTS,
         "capex subsidy");
  ck_add(st, &st->nations[nation].flows.money_out, sub, nh, "money paid out",
         MODEL_U_CENTS, "capex subsidy");
  ck_add(st, &st->report.money_sinks, capex, -1, "money sinks", MODEL_U_CENTS,
         "capex");
  if (fac >= 0) {
    facility_t *f = &st->fac[fac];
    f->exp_cap = o->capacity_kg_per_year;
    f->exp_left = left;
    f->exp_permit_left = permit;
    f->book += capex;
    return 0;
  }
  facility_t *f;
  int rc = model_facility_push(st, &f);
  if (rc)
    return rc;
  size_t idx = st->n_fac - 1;
  snprintf(f->id, sizeof f->id, "%.32s.%zu", st->map->seats[seat].id, idx);
  f->owner = seat;
  f->nation = nation;
  f->abroad = (o->host[0] || st->map->branches) &&
              nation != st->map->seats[seat].nation;
  /* maps with branches (design I2): every new facility abroad, a mine on
   * a foreign deposit included, belongs to the firm's branch there */
  if (f->abroad && st->map->branches)
    (void)model_branch_open(st, seat, nation);
  f->stage = o->stage;
  f->deposit =
      o->stage == MODEL_MINING ? model_deposit_index(st->map, o->site) : -1;
  f->capacity = o->capacity_kg_per_year;
  f->util = MODEL_PPM;
  f->exp0 = ms->experience;
  f->cum = ms->learn ? 0 : ms->experience; /* learning stages: E counts */
  f->anchor_cost = MODEL_PPM;
  int64_t c0 = ms->unit_cost;
  if (f->deposit >= 0 && st->map->deposits[f->deposit].unit_cost >= 0)
    c0 = st->map->deposits[f->deposit].unit_cost;
  f->cost0 = ppm_of(c0, mn->unit_cost_factor[o->stage]);
  f->rec0 = ms->rec_initial;
  f->build_left = left;
  f->permit_left = permit;
  f->ramp_age = 0;
  f->book = capex;
  f->next_of_owner = s->first_fac;
  s->first_fac = (int32_t)idx;
  s->n_fac++;
  model_facility_refresh(st, f);
  return 0;
}

/* Applies every seat's submission, in seat order, then clears them. State-
 * dependent checks are repeated, because earlier seats' orders in the same
 * turn may have used the pool a later hire counted on. */
static int apply_all(model_state_t *st) {
  st->applying = true;
  for (size_t si = 0; si < st->n_seats; si++) {
    seat_t *s = &st->seats[si];
    if (!s->submitted)
      continue;
    int home = st->map->seats[si].nation;
    int64_t running = 0;
    for (size_t k = 0; k < s->n_pending; k++) {
      const model_order_t *o = &s->pending[k];
      model_refusal_t r;
      memset(&r, 0, sizeof r);
      int64_t before = running;
      if (model_order_check(st, (int)si, o, &running, &r)) {
        late(st, (int)si, k, &r);
        continue;
      }
      running = before; /* costs are paid for real below */
      int rc = 0;
      switch (o->op) {
      case MODEL_OP_BUILD:
        rc = apply_build(st, (int)si, o);
        break;
      case MODEL_OP_OPERATE: {
        facility_t *f =
            &st->fac[model_facility_of_seat(st, (int)si, o->facility)];
        f->util = o->utilisation_ppm;
        int64_t want =
            o->heavy_recipe_ppm ? o->heavy_recipe_ppm : o->dy_recipe_ppm;
        if (want)
          model_thrift_order(st, f, want);
        break;
      }
      case MODEL_OP_HIRE: {
        int64_t c = o->count;
        int sk = o->skill;
        if (o->apprentice) {
          /* from the general labour market: staff after seasoning */
          ck_add(st, &s->appr[sk][st->map->seasoning_turns[sk] - 1], c,
                 (int32_t)si, "apprentices", MODEL_U_PEOPLE, "apprentices");
          s->appr_taken[sk] += c;
          break;
        }
        int from = o->origin[0] ? model_nation_index(st->map, o->origin) : home;
        if (from != home) {
          nation_t *na = &st->nations[from];
          int64_t cost = poach_cost(st, home, sk, c);
          ck_sub(st, &s->cash, cost, (int32_t)si, "cash", MODEL_U_CENTS,
                 "signing costs");
          ck_add(st, &s->costs, cost, (int32_t)si, "costs", MODEL_U_CENTS,
                 "signing costs");
          ck_add(st, &s->flows.money_out, cost, (int32_t)si, "money paid out",
                 MODEL_U_CENTS, "signing costs");
          ck_add(st, &st->report.money_sinks, cost, -1, "money sinks",
                 MODEL_U_CENTS, "signing costs");
          na->pool[sk] -= c; /* c <= the pool (checked) */
          na->poached[sk][home] += c;
          ck_add(st, &s->staff[sk], c, (int32_t)si, "staff", MODEL_U_PEOPLE,
                 "hires from abroad");
          break;
        }
        if (c > st->nations[home].pool[o->skill])
          c = st->nations[home].pool[o->skill];
        ck_add(st, &s->staff[o->skill], c, (int32_t)si, "staff", MODEL_U_PEOPLE,
               "hires");
        st->nations[home].pool[o->skill] -= c; /* c <= the pool */
        break;
      }
      case MODEL_OP_TRAIN: {
        int64_t cost = mul_div(o->count, st->map->train_cost[o->skill], 1);
        int32_t tt = st->map->train_turns[o->skill];
        int32_t who = model_seat_holder(st, si);
        int where =
            o->host[0] ? model_nation_index(st->map, o->host) : (int)home;
        st->nations[where].train_used[o->skill] += o->count;
        if (where != home) {
          /* a firm trains people in its branch's host (design I2): it
           * pays, they graduate into the host's pool, which staffs its
           * plants there */
          int32_t nh = (int32_t)(st->n_seats + (size_t)where);
          ck_sub(st, &s->cash, cost, who, "cash", MODEL_U_CENTS, "training");
          ck_add(st, &s->flows.money_out, cost, who, "money paid out",
                 MODEL_U_CENTS, "training");
          ck_add(st, &s->costs, cost, who, "costs", MODEL_U_CENTS, "training");
          ck_add(st, &st->nations[where].pipeline[o->skill][tt - 1], o->count,
                 nh, "trainees", MODEL_U_PEOPLE, "training abroad");
        } else if (st->map->seats[si].kind == MODEL_SEAT_FIRM) {
          ck_sub(st, &s->cash, cost, who, "cash", MODEL_U_CENTS, "training");
          ck_add(st, &s->flows.money_out, cost, who, "money paid out",
                 MODEL_U_CENTS, "training");
          ck_add(st, &s->costs, cost, who, "costs", MODEL_U_CENTS, "training");
          ck_add(st, &s->pipeline[o->skill][tt - 1], o->count, who, "trainees",
                 MODEL_U_PEOPLE, "training");
        } else {
          nation_t *na = &st->nations[home];
          ck_sub(st, &na->budget, cost, who, "budget", MODEL_U_CENTS,
                 "training");
          ck_add(st, &na->flows.money_out, cost, who, "money paid out",
                 MODEL_U_CENTS, "training");
          ck_add(st, &na->pipeline[o->skill][tt - 1], o->count, who, "trainees",
                 MODEL_U_PEOPLE, "training");
        }
        ck_add(st, &st->report.money_sinks, cost, -1, "money sinks",
               MODEL_U_CENTS, "training");
        break;
      }
      case MODEL_OP_OFFER:
      case MODEL_OP_BID:
        if (o->host[0] && model_nation_index(st->map, o->host) != home) {
          /* a branch's standing offer or bid (fixed prices) */
          branch_t *b = &st->br->b[model_branch_find(
              st, (int)si, model_nation_index(st->map, o->host))];
          standing_t *t = o->op == MODEL_OP_OFFER ? &b->offer[o->product]
                                                  : &b->bid[o->product];
          t->qty = o->quantity_kg;
          t->price = o->price_cents_per_kg;
          break;
        }
        if (o->op == MODEL_OP_BID) {
          s->bid[o->product].qty = o->quantity_kg;
          s->bid[o->product].price = o->price_cents_per_kg;
          s->bid_index[o->product] =
              (int8_t)(o->index[0] ? model_product_from_name(o->index) + 1 : 0);
          break;
        }
        s->offer[o->product].qty = o->quantity_kg;
        s->offer[o->product].price = o->price_cents_per_kg;
        s->offer_normal[o->product] = o->normal_stock_kg;
        s->offer_disc[o->product] = o->stock_discount_ppm;
        s->offer_min[o->product] = o->min_share_ppm;
        break;
      case MODEL_OP_TRANSFER:
        rc = model_branch_transfer_set(st, (int)si, o);
        break;
      case MODEL_OP_POLICY:
        rc = model_policy_apply(st, home, o);
        break;
      case MODEL_OP_GRANT:
      case MODEL_OP_EQUITY:
      case MODEL_OP_LOAN:
      case MODEL_OP_CONTRACT_PROPOSE:
      case MODEL_OP_CONTRACT_ACCEPT:
      case MODEL_OP_CONTRACT_WITHDRAW:
        rc = model_deal_apply(st, (int)si, o);
        break;
      case MODEL_OP_ACQUIRE:
        apply_acquire(st, (int)si, facility_by_id(st, o->facility),
                      o->amount_cents);
        break;
      default:
        break;
      }
      if (rc)
        return rc;
    }
  }
  return st->range_failed ? MODEL_ERANGE : 0;
}

int model_orders_apply(model_state_t *st) {
  int rc = apply_all(st);
  st->applying = false;
  return rc;
}
