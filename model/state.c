/* state.c: creating, copying and freeing states, facilities' derived
 * figures (ramp-up, learning, staffing), and the read-only accessors.
 */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

int model_state_alloc(const model_map_t *map, model_state_t **out) {
  model_state_t *st = calloc(1, sizeof *st);
  if (!st)
    return MODEL_ENOMEM;
  st->map = map;
  st->n_nations = map->n_nations;
  st->n_seats = map->n_seats;
  st->n_deposits = map->n_deposits;
  st->nations = calloc(st->n_nations, sizeof *st->nations);
  st->seats = calloc(st->n_seats, sizeof *st->seats);
  st->reserves =
      calloc(st->n_deposits ? st->n_deposits : 1, sizeof *st->reserves);
  st->report_scores = calloc(st->n_seats, sizeof *st->report_scores);
  if (!st->nations || !st->seats || !st->reserves || !st->report_scores) {
    model_state_free(st);
    return MODEL_ENOMEM;
  }
  st->report.regional = st->report_regional;
  st->report.production = st->report_production;
  st->report.capacity = st->report_capacity;
  st->report.scores = st->report_scores;
  st->report.n_nations = st->n_nations;
  st->report.n_seats = st->n_seats;
  st->report.turn = -1;
  *out = st;
  return 0;
}

int model_facility_push(model_state_t *st, facility_t **out) {
  if (st->n_fac == st->cap_fac) {
    size_t nc = st->cap_fac ? st->cap_fac * 2 : 64;
    facility_t *nf = realloc(st->fac, nc * sizeof *nf);
    if (!nf)
      return MODEL_ENOMEM;
    st->fac = nf;
    st->cap_fac = nc;
  }
  facility_t *f = &st->fac[st->n_fac++];
  memset(f, 0, sizeof *f);
  f->deposit = -1;
  f->next_of_owner = -1;
  f->lg_exp0 = -1;
  *out = f;
  return 0;
}

static int64_t ramp_at(const int64_t *ramp, int32_t n, int32_t age) {
  if (n <= 0)
    return MODEL_PPM;
  return ramp[age < n ? age : n - 1];
}

/* Effective capacity in kg/yr: nameplate through the ramp-up tables, less
 * an outage. Zero while building. */
int64_t model_facility_effective(const model_state_t *st, const facility_t *f) {
  if (f->build_left > 0)
    return 0;
  const map_stage_t *ms = &st->map->stage[f->stage];
  int64_t base = f->capacity - f->exp_done;
  int64_t e = ppm_of(base, ramp_at(ms->ramp, ms->n_ramp, f->ramp_age)) +
              ppm_of(f->exp_done, ramp_at(ms->bramp, ms->n_bramp, f->exp_age));
  return ppm_of(e, MODEL_PPM - f->outage_ppm);
}

/* The staff a facility needs and its effective capacity: what changes
 * with construction, ramp-up and outages. */
void model_facility_refresh_capacity(const model_state_t *st, facility_t *f) {
  const map_stage_t *ms = &st->map->stage[f->stage];
  /* people = t/yr x people-per-kt / 1000 = kg/yr x milli-people-per-kt /
   * 1e9, rounded up: a plant needs whole people. */
  f->staff_needed =
      (int64_t)(((__int128)f->capacity * ms->staff_milli_per_t + 999999999) /
                1000000000);
  f->effective = model_facility_effective(st, f);
}

/* Unit cost and recovery from cumulative output (learning), then the
 * capacity figures. Learning changes only with output, so the turn calls
 * this where output is booked and model_facility_refresh_capacity elsewhere
 * (the fixed-point log and exp are the costly part). */
void model_facility_refresh(const model_state_t *st, facility_t *f) {
  const map_stage_t *ms = &st->map->stage[f->stage];
  if (f->lg_exp0 < 0 && f->exp0 >= 1)
    f->lg_exp0 = model_fx_log2_q32((uint64_t)f->exp0);
  int64_t mult =
      model_fx_learning_lg_ppm(f->cum, f->exp0, f->lg_exp0, ms->log2_pr_q32);
  f->unit_cost = ppm_of(f->cost0, mult);
  if (f->stage == MODEL_SEPARATION) {
    int64_t gap = ms->rec_max - f->rec0;
    f->recovery = gap > 0 ? ms->rec_max - ppm_of(gap, mult) : f->rec0;
  } else {
    f->recovery = MODEL_PPM;
  }
  model_facility_refresh_capacity(st, f);
}

int model_state_new(const model_map_t *map, uint64_t seed,
                    model_state_t **out) {
  if (!map || !out)
    return MODEL_EINVAL;
  model_state_t *st;
  int rc = model_state_alloc(map, &st);
  if (rc)
    return rc;
  st->seed = seed;
  for (size_t i = 0; i < st->n_deposits; i++)
    st->reserves[i] = map->deposits[i].reserves;
  for (int p = 0; p < NP; p++) {
    st->price[p] = map->price0[p];
    for (size_t n = 0; n < st->n_nations; n++)
      st->regional[p][n] = map->nations[n].demand[p].present
                               ? map->nations[n].demand[p].price
                               : map->price0[p];
  }
  for (size_t n = 0; n < st->n_nations; n++) {
    nation_t *na = &st->nations[n];
    const map_nation_t *mn = &map->nations[n];
    na->budget = mn->budget;
    memcpy(na->pool, mn->talent, sizeof na->pool);
    memcpy(na->stock, mn->stockpile, sizeof na->stock);
    /* a state stockpile of concentrate has the nation's first basket */
    for (size_t d = 0; d < map->n_deposits; d++)
      if (map->deposits[d].nation == (int32_t)n) {
        na->stock_el[0] = ppm_of(na->stock[0], map->deposits[d].basket[0]);
        na->stock_el[1] = ppm_of(na->stock[0], map->deposits[d].basket[1]);
        break;
      }
    model_policies_default(&na->pol);
    for (size_t k = 0; k < mn->n_policies; k++)
      if ((rc = model_policy_apply(st, (int)n, &mn->policies[k])))
        goto fail;
    for (int p = 0; p < NP; p++)
      na->demand_q0[p] = mn->demand[p].volume_kg_turn;
    na->security_ppm = MODEL_PPM;
  }
  for (size_t s = 0; s < st->n_seats; s++) {
    seat_t *se = &st->seats[s];
    const map_seat_t *ms = &map->seats[s];
    se->first_fac = -1;
    if (ms->kind == MODEL_SEAT_FIRM) {
      se->cash = ms->cash;
      memcpy(se->inv, ms->inventory, sizeof se->inv);
      se->inv_el[0] = ppm_of(se->inv[0], ms->basket[0]);
      se->inv_el[1] = ppm_of(se->inv[0], ms->basket[1]);
      memcpy(se->staff, ms->staff, sizeof se->staff);
    }
    for (size_t k = 0; k < ms->n_orders; k++) {
      const model_order_t *o = &ms->orders[k];
      if (o->op == MODEL_OP_OFFER) {
        se->offer[o->product].qty = o->quantity_kg;
        se->offer[o->product].price = o->price_cents_per_kg;
      } else if (o->op == MODEL_OP_BID) {
        se->bid[o->product].qty = o->quantity_kg;
        se->bid[o->product].price = o->price_cents_per_kg;
      } else if (o->op == MODEL_OP_POLICY) {
        if ((rc = model_policy_apply(st, ms->nation, o)))
          goto fail;
      }
    }
  }
  for (size_t i = 0; i < map->n_facilities; i++) {
    const map_facility_t *mf = &map->facilities[i];
    const map_stage_t *stg = &map->stage[mf->stage];
    facility_t *f;
    if ((rc = model_facility_push(st, &f)))
      goto fail;
    memcpy(f->id, mf->id, sizeof f->id);
    f->owner = mf->owner;
    f->nation = mf->nation;
    f->stage = mf->stage;
    f->deposit = mf->deposit;
    f->capacity = mf->capacity;
    f->util = mf->utilisation;
    f->exp0 = mf->experience >= 0 ? mf->experience : stg->experience;
    if (f->exp0 < 1)
      f->exp0 = 1;
    f->cum = f->exp0;
    int64_t c0 = stg->unit_cost;
    if (f->deposit >= 0 && map->deposits[f->deposit].unit_cost >= 0)
      c0 = map->deposits[f->deposit].unit_cost;
    f->cost0 =
        mf->unit_cost >= 0
            ? mf->unit_cost
            : ppm_of(c0, map->nations[f->nation].unit_cost_factor[f->stage]);
    f->rec0 = mf->recovery >= 0 ? mf->recovery : stg->rec_initial;
    f->build_left = (int64_t)mf->building * MODEL_PPM;
    f->ramp_age = mf->ramp_age;
    f->book = mf->book_value >= 0 ? mf->book_value
                                  : mul_div(f->capacity, stg->capex, 1);
    seat_t *se = &st->seats[f->owner];
    f->next_of_owner = se->first_fac;
    se->first_fac = (int32_t)(st->n_fac - 1);
    se->n_fac++;
    model_facility_refresh(st, f);
  }
  /* Standing "operate" orders of the map act after the facilities exist. */
  for (size_t s = 0; s < st->n_seats; s++)
    for (size_t k = 0; k < map->seats[s].n_orders; k++) {
      const model_order_t *o = &map->seats[s].orders[k];
      if (o->op != MODEL_OP_OPERATE)
        continue;
      int f = model_facility_of_seat(st, (int)s, o->facility);
      if (f < 0) {
        rc = MODEL_EMAP;
        goto fail;
      }
      st->fac[f].util = o->utilisation_ppm;
    }
  for (size_t s = 0; s < st->n_seats; s++)
    if (!model_seat_net_worth(st, (int)s, &st->seats[s].initial_worth)) {
      rc = MODEL_ERANGE; /* a firm worth more than int64 cents */
      goto fail;
    }
  *out = st;
  return 0;
fail:
  model_state_free(st);
  return rc;
}

void model_state_free(model_state_t *st) {
  if (!st)
    return;
  if (st->seats)
    for (size_t i = 0; i < st->n_seats; i++)
      free(st->seats[i].pending);
  model_market_free(st);
  model_snap_free(st);
  free(st->turn_buf);
  free(st->nations);
  free(st->seats);
  free(st->reserves);
  free(st->fac);
  free(st->report_scores);
  free(st);
}

int model_state_clone(const model_state_t *src, model_state_t **out) {
  if (!src || !out)
    return MODEL_EINVAL;
  uint8_t *buf;
  size_t len;
  int rc = model_serial_pack(src, &buf, &len);
  if (rc)
    return rc;
  rc = model_state_deserialise(src->map, buf, len, out);
  free(buf);
  return rc;
}

const model_map_t *model_state_map(const model_state_t *st) {
  return st ? st->map : NULL;
}
int model_state_turn(const model_state_t *st) {
  return st ? st->turn : -1;
}
int model_state_turns(const model_state_t *st) {
  return st ? st->map->turns : 0;
}
uint64_t model_state_seed(const model_state_t *st) {
  return st ? st->seed : 0;
}
size_t model_state_facility_count(const model_state_t *st) {
  return st ? st->n_fac : 0;
}
const model_report_t *model_last_report(const model_state_t *st) {
  return st ? &st->report : NULL;
}

size_t model_state_holder_count(const model_state_t *st) {
  return st ? st->n_seats + st->n_nations : 0;
}

int64_t model_state_holder_inventory(const model_state_t *st, size_t h, int p) {
  if (!st || p < 0 || p >= NP)
    return 0;
  if (h < st->n_seats)
    return st->seats[h].inv[p];
  if (h < st->n_seats + st->n_nations)
    return st->nations[h - st->n_seats].stock[p];
  return 0;
}

int64_t model_state_holder_money(const model_state_t *st, size_t h) {
  if (!st)
    return 0;
  if (h < st->n_seats)
    return st->seats[h].cash;
  if (h < st->n_seats + st->n_nations)
    return st->nations[h - st->n_seats].budget;
  return 0;
}

int model_state_holder_flows(const model_state_t *st, size_t h,
                             model_holder_flows_t *out) {
  if (!st || !out)
    return MODEL_EINVAL;
  if (h < st->n_seats)
    *out = st->seats[h].flows;
  else if (h < st->n_seats + st->n_nations)
    *out = st->nations[h - st->n_seats].flows;
  else
    return MODEL_EINVAL;
  return 0;
}

size_t model_last_trades(const model_state_t *st, int p,
                         const model_trade_t **out) {
  if (!st || p < 0 || p >= NP || !out)
    return 0;
  *out = st->market[p].trades;
  return st->market[p].n_trades;
}

size_t model_last_flows(const model_state_t *st, int p,
                        const model_flow_t **out) {
  if (!st || p < 0 || p >= NP || !out)
    return 0;
  *out = st->market[p].flows;
  return st->market[p].n_flows;
}

int64_t model_last_seller_price(const model_state_t *st, int p, size_t n) {
  if (!st || p < 0 || p >= NP || n >= st->n_nations)
    return 0;
  return st->market[p].seller_price[n];
}

/* The reference volume the demand curve goes through this turn (before
 * surges): the trend less what substitution has taken (docs/model.md). */
int64_t model_demand_reference(const nation_t *na, int p) {
  return na->demand_q0[p] - ppm_of(na->demand_q0[p], na->subst_ppm[p]);
}

/* Net worth of a firm: cash + book value of facilities + inventory at the
 * world price. A nation's "worth" is its budget (used only for the budget
 * objective). False when it does not fit in int64. */
bool model_seat_net_worth(const model_state_t *st, int s, int64_t *out) {
  const seat_t *se = &st->seats[s];
  if (st->map->seats[s].kind == MODEL_SEAT_NATION) {
    *out = st->nations[st->map->seats[s].nation].budget;
    return true;
  }
  int64_t w = se->cash, v;
  for (int32_t f = se->first_fac; f >= 0; f = st->fac[f].next_of_owner)
    if (__builtin_add_overflow(w, st->fac[f].book, &w))
      return false;
  for (int p = 0; p < NP; p++)
    if (!mul_div_ok(se->inv[p], st->price[p], 1, &v) ||
        __builtin_add_overflow(w, v, &w))
      return false;
  *out = w;
  return true;
}
