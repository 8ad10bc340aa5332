/* state.c: creating, copying and freeing states, and the read-only
 * accessors. A state starts from its map (policies through policy.c,
 * facilities through facility.c); a clone is a direct deep copy; freeing
 * releases the market's results and workspace through market.c.
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

int model_state_new(const model_map_t *map, uint64_t seed,
                    model_state_t **out) {
  if (!map || !out)
    return MODEL_EINVAL;
  int rc = model_crypto_init();
  if (rc)
    return rc;
  model_state_t *st;
  if ((rc = model_state_alloc(map, &st)))
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
    memcpy(na->pool_start, mn->talent, sizeof na->pool_start);
    memcpy(na->train_cap, mn->train_cap, sizeof na->train_cap);
    memcpy(na->stock, mn->stockpile, sizeof na->stock);
    /* a state stockpile of concentrate has the nation's first basket */
    for (size_t d = 0; d < map->n_deposits; d++)
      if (map->deposits[d].nation == (int32_t)n) {
        na->stock_el[0] = ppm_of(na->stock[0], map->deposits[d].basket[0]);
        na->stock_el[1] = ppm_of(na->stock[0], map->deposits[d].basket[1]);
        na->stock_el[2] = ppm_of(na->stock[0], map->deposits[d].basket[3]);
        break;
      }
    model_policies_default(&na->pol);
    for (size_t k = 0; k < mn->n_policies; k++)
      if ((rc = model_policy_apply(st, (int)n, &mn->policies[k])))
        goto fail;
    for (int p = 0; p < NP; p++)
      na->demand_q0[p] = mn->demand[p].volume_kg_turn;
    for (int p = 0; p < NP; p++)
      for (int s = 0; s < MODEL_SECTORS; s++)
        na->sec_q0[p][s] = mn->sector[p][s].volume_kg_turn;
    /* design J4: the end-of-life ring holds the magnets consumed in the
     * eol_life turns before turn 0, the opening demand deflated by the
     * history's growth a turn (entry turn % life is read at that turn) */
    if (map->recycling) {
      int64_t v = 0;
      for (int s = 0; s < MODEL_SECTORS; s++)
        v += na->sec_q0[MODEL_MAGNET][s]; /* each under 50 Mt */
      if (!mn->sectored[MODEL_MAGNET])
        v = na->demand_q0[MODEL_MAGNET];
      int32_t life = map->eol_life;
      for (int32_t k = 1; k <= life; k++) {
        v = mul_div(v, MODEL_PPM, MODEL_PPM + map->eol_growth_q);
        na->eol[life - k] = v;
      }
    }
    /* qualification: the firms the map names are qualified from turn 0 */
    if (n == 0 && map->qualified0)
      for (size_t s = 0; s < st->n_seats; s++)
        st->seats[s].qualified = map->qualified0[s] != 0;
    /* rules of origin tracked from turn 0 (parameters.origin_tracking) */
    if (n == 0 && map->origin_track >= 0) {
      if (!model_ext(st)) {
        rc = MODEL_ENOMEM;
        goto fail;
      }
      st->ext->track1 = map->origin_track + 1;
    }
    /* branches abroad (issue 11, design I2) */
    if (n == 0 && map->branches && (rc = model_branches_alloc(st)))
      goto fail;
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
      se->inv_el[2] = ppm_of(se->inv[0], ms->basket[3]);
      memcpy(se->staff, ms->staff, sizeof se->staff);
      se->credit_line = ms->credit_line;
    }
    for (size_t k = 0; k < ms->n_orders; k++) {
      const model_order_t *o = &ms->orders[k];
      if (o->op == MODEL_OP_OFFER) {
        se->offer[o->product].qty = o->quantity_kg;
        se->offer[o->product].price = o->price_cents_per_kg;
        se->offer_normal[o->product] = o->normal_stock_kg;
        se->offer_disc[o->product] = o->stock_discount_ppm;
        se->offer_min[o->product] = o->min_share_ppm;
      } else if (o->op == MODEL_OP_BID) {
        se->bid[o->product].qty = o->quantity_kg;
        se->bid[o->product].price = o->price_cents_per_kg;
        se->bid_index[o->product] =
            (int8_t)(o->index[0] ? model_product_from_name(o->index) + 1 : 0);
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
    /* a stage that learns on effective experience counts only what the
     * map says a plant has made */
    if (stg->learn)
      f->cum = mf->experience >= 0 ? mf->experience : 0;
    int64_t c0 = stg->unit_cost;
    if (f->deposit >= 0 && map->deposits[f->deposit].unit_cost >= 0)
      c0 = map->deposits[f->deposit].unit_cost;
    f->cost0 =
        mf->unit_cost >= 0
            ? mf->unit_cost
            : ppm_of(c0, map->nations[f->nation].unit_cost_factor[f->stage]);
    f->rec0 = mf->recovery >= 0 ? mf->recovery : stg->rec_initial;
    f->build_left = (int64_t)mf->building * MODEL_PPM;
    f->staff_milli = mf->staff_milli;
    f->ramp_age = mf->ramp_age;
    f->book = mf->book_value >= 0 ? mf->book_value
                                  : mul_div(f->capacity, stg->capex, 1);
    if (mf->branch) {
      /* part of its owner's branch in the host (design I2): staffed from
       * the host's pool at host wages, its goods in the branch */
      f->abroad = true;
      if (model_branch_open(st, f->owner, f->nation) < 0) {
        rc = MODEL_ELIMIT;
        goto fail;
      }
    }
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
  model_credit_limits(st);
  model_train_keep(st);
  model_learning_init(st);
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
  free(st->effects);
  free(st->injected);
  free(st->report_scores);
  free(st->ext);
  free(st->br);
  free(st);
}

/* The next capacity for n elements of an array of `cap`, at most `max`:
 * doubling, so appending one at a time costs little. */
static size_t grown(size_t cap, size_t n, size_t max) {
  size_t c = cap ? cap : 8;
  while (c < n)
    c *= 2;
  return c < max ? c : max;
}

int model_state_room(model_state_t *st, size_t n_effects, size_t n_injected) {
  if (n_effects > MODEL_EFFECTS_MAX || n_injected > MODEL_INJECTED_MAX)
    return MODEL_ELIMIT;
  /* New elements are zeroed, as the arrays held inline were: a reader
   * fills only the fields it reads. */
  size_t had = st->cap_effects;
  if (n_effects > had) {
    if (model_reserve((void **)&st->effects, &st->cap_effects,
                      grown(had, n_effects, MODEL_EFFECTS_MAX),
                      sizeof *st->effects))
      return MODEL_ENOMEM;
    memset(st->effects + had, 0, (st->cap_effects - had) * sizeof *st->effects);
  }
  had = st->cap_injected;
  if (n_injected > had) {
    if (model_reserve((void **)&st->injected, &st->cap_injected,
                      grown(had, n_injected, MODEL_INJECTED_MAX),
                      sizeof *st->injected))
      return MODEL_ENOMEM;
    memset(st->injected + had, 0,
           (st->cap_injected - had) * sizeof *st->injected);
  }
  return 0;
}

/* A direct deep copy: every field of the state proper, the arrays it owns
 * copied. The market's and the turn's scratch are not copied (they are
 * rebuilt when needed), just as serialising and reading back would leave
 * them; the clone hashes the same and plays on the same. */
int model_state_clone(const model_state_t *src, model_state_t **out) {
  if (!src || !out)
    return MODEL_EINVAL;
  *out = NULL;
  model_state_t *st;
  int rc = model_state_alloc(src->map, &st);
  if (rc)
    return rc;
  st->seed = src->seed;
  st->turn = src->turn;
  memcpy(st->nations, src->nations, st->n_nations * sizeof *st->nations);
  for (size_t i = 0; i < st->n_seats; i++) {
    seat_t *se = &st->seats[i];
    *se = src->seats[i];
    se->pending = NULL;
    if (se->n_pending) {
      se->pending = malloc(se->n_pending * sizeof *se->pending);
      if (!se->pending) {
        se->n_pending = 0;
        goto nomem;
      }
      memcpy(se->pending, src->seats[i].pending,
             se->n_pending * sizeof *se->pending);
    }
  }
  memcpy(st->reserves, src->reserves, st->n_deposits * sizeof *st->reserves);
  if (src->n_fac) {
    st->fac = malloc(src->n_fac * sizeof *st->fac);
    if (!st->fac)
      goto nomem;
    memcpy(st->fac, src->fac, src->n_fac * sizeof *st->fac);
    st->n_fac = st->cap_fac = src->n_fac;
  }
  if (model_state_room(st, src->n_effects, src->n_injected))
    goto nomem;
  st->n_effects = src->n_effects;
  if (src->n_effects)
    memcpy(st->effects, src->effects, src->n_effects * sizeof *st->effects);
  st->n_injected = src->n_injected;
  if (src->n_injected)
    memcpy(st->injected, src->injected, src->n_injected * sizeof *st->injected);
  memcpy(st->scripted_off, src->scripted_off, sizeof st->scripted_off);
  memcpy(st->price, src->price, sizeof st->price);
  memcpy(st->learn_kref, src->learn_kref, sizeof st->learn_kref);
  memcpy(st->learn_cref, src->learn_cref, sizeof st->learn_cref);
  memcpy(st->learn_lgkref, src->learn_lgkref, sizeof st->learn_lgkref);
  memcpy(st->hist, src->hist, sizeof st->hist);
  st->n_hist = src->n_hist;
  st->n_caps = src->n_caps;
  memcpy(st->caps, src->caps, src->n_caps * sizeof *st->caps);
  memcpy(st->regional, src->regional, sizeof st->regional);
  memcpy(st->volume, src->volume, sizeof st->volume);
  for (int p = 0; p < NP; p++) {
    const market_result_t *a = &src->market[p];
    market_result_t *r = &st->market[p];
    memcpy(r->seller_price, a->seller_price, sizeof r->seller_price);
    memcpy(r->buyer_price, a->buyer_price, sizeof r->buyer_price);
    if (a->n_trades) {
      r->trades = malloc(a->n_trades * sizeof *r->trades);
      if (!r->trades)
        goto nomem;
      memcpy(r->trades, a->trades, a->n_trades * sizeof *r->trades);
      r->n_trades = r->cap_trades = a->n_trades;
    }
    if (a->n_flows) {
      r->flows = malloc(a->n_flows * sizeof *r->flows);
      if (!r->flows)
        goto nomem;
      memcpy(r->flows, a->flows, a->n_flows * sizeof *r->flows);
      r->n_flows = r->cap_flows = a->n_flows;
    }
  }
  /* the report, but pointing at the clone's own arrays */
  model_report_t own = st->report;
  st->report = src->report;
  st->report.regional = own.regional;
  st->report.production = own.production;
  st->report.capacity = own.capacity;
  st->report.scores = own.scores;
  memcpy(st->report_regional, src->report_regional, sizeof st->report_regional);
  memcpy(st->report_production, src->report_production,
         sizeof st->report_production);
  memcpy(st->report_capacity, src->report_capacity, sizeof st->report_capacity);
  memcpy(st->report_scores, src->report_scores,
         st->n_seats * sizeof *st->report_scores);
  if (src->ext) {
    if (!(st->ext = malloc(sizeof *st->ext)))
      goto nomem;
    memcpy(st->ext, src->ext, sizeof *st->ext);
  }
  if (src->br) {
    if (!(st->br = malloc(sizeof *st->br)))
      goto nomem;
    memcpy(st->br, src->br, sizeof *st->br);
  }
  *out = st;
  return 0;
nomem:
  model_state_free(st);
  return MODEL_ENOMEM;
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
  return st ? st->n_seats + st->n_nations + (st->br ? st->br->n : 0) : 0;
}

int64_t model_state_holder_inventory(const model_state_t *st, size_t h, int p) {
  if (!st || p < 0 || p >= NP)
    return 0;
  if (h < st->n_seats)
    return st->seats[h].inv[p];
  if (h < st->n_seats + st->n_nations)
    return st->nations[h - st->n_seats].stock[p];
  if (h < model_state_holder_count(st))
    return st->br->b[h - st->n_seats - st->n_nations].inv[p];
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
  else if (h < model_state_holder_count(st))
    *out = st->br->b[h - st->n_seats - st->n_nations].flows;
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
  if (st->br &&
      (!model_branch_worth(st, s, &v) || __builtin_add_overflow(w, v, &w)))
    return false;
  *out = w;
  return true;
}
