/* observe.c: one seat's observation (PROTOCOL.md "The observation").
 *
 * `you` is filled only from the seat's own records (its facilities, cash,
 * inventory, staff, orders; a nation's policies, budget and demand); `market`
 * and `public` come from aggregates that every seat sees alike. Nothing of
 * another seat's private records is copied, which the privacy test checks
 * by perturbing other seats and comparing observations.
 */
#include "model_internal.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_obs_free(model_obs_t *o) {
  if (!o)
    return;
  free(o->nations);
  free(o->facilities);
  free(o->orders);
  free(o->policies);
  free(o->regional);
  free(o->production);
  free(o->capacity);
  free(o->public_policies);
  free(o->news);
  free(o->scores);
  free(o->deposits);
  free(o->capex_factor_ppm);
  free(o->unit_cost_factor_ppm);
  free(o->lead_factor_ppm);
  free(o->permit_turns);
  free(o->for_sale);
  free(o->contracts);
  free(o->support);
  free(o->capacity_estimated);
  free(o->unpublished);
  free(o->sectors);
  free(o->lapses);
  free(o->branches);
  free(o->choices);
  free(o->transfers);
  free(o);
}

/* Issue 11: the seat's contracts and the public list of state support. */
/* A firm's branches abroad and standing transfers (issue 11, design I2). */
static int observe_branches(const model_state_t *st, int seat, model_obs_t *o) {
  const model_map_t *m = st->map;
  const model_br_t *br = st->br;
  o->has_branches = m->branches && br;
  if (!o->has_branches)
    return 0;
  size_t nb = 0, nt = 0;
  for (size_t b = 0; b < br->n; b++)
    nb += br->b[b].seat == seat;
  for (size_t k = 0; k < br->n_transfers; k++)
    nt += br->t[k].seat == seat;
  o->branches = calloc(nb ? nb : 1, sizeof *o->branches);
  o->transfers = calloc(nt ? nt : 1, sizeof *o->transfers);
  if (!o->branches || !o->transfers)
    return MODEL_ENOMEM;
  for (size_t b = 0; b < br->n; b++) {
    const branch_t *x = &br->b[b];
    if (x->seat != seat)
      continue;
    model_obs_branch_t *y = &o->branches[o->n_branches++];
    memcpy(y->nation, m->nations[x->nation].id, MODEL_ID_MAX);
    memcpy(y->inventory_kg, x->inv, sizeof y->inventory_kg);
    for (int p = 0; p < NP; p++) {
      y->offer_kg[p] = x->offer[p].qty;
      y->offer_cents_per_kg[p] = x->offer[p].price;
      y->bid_kg[p] = x->bid[p].qty;
      y->bid_cents_per_kg[p] = x->bid[p].price;
    }
    y->tax_cents = x->tax_last;
    for (int32_t k = st->seats[seat].first_fac; k >= 0;
         k = st->fac[k].next_of_owner)
      if (st->fac[k].abroad && st->fac[k].nation == x->nation)
        y->staff[st->fac[k].stage] += st->fac[k].staff;
  }
  for (size_t k = 0; k < br->n_transfers; k++) {
    const transfer_t *t = &br->t[k];
    if (t->seat != seat)
      continue;
    model_obs_transfer_t *y = &o->transfers[o->n_transfers++];
    y->product = t->product;
    memcpy(y->from, m->nations[t->from].id, MODEL_ID_MAX);
    memcpy(y->to, m->nations[t->to].id, MODEL_ID_MAX);
    y->quantity_kg = t->qty;
    y->moved_kg = t->moved_last;
    y->excused_kg = t->excused_last;
  }
  return 0;
}

static int observe_deals(const model_state_t *st, int seat, model_obs_t *o) {
  const model_ext_t *x = st->ext;
  const model_map_t *m = st->map;
  if (!x)
    return 0;
  size_t nc = 0;
  for (size_t k = 0; k < x->n_contracts; k++)
    nc += seat < 0 || x->contracts[k].seller == seat ||
          x->contracts[k].buyer == seat;
  size_t ns = x->n_support + x->n_loans + x->n_stakes;
  o->contracts = calloc(nc ? nc : 1, sizeof *o->contracts);
  o->support = calloc(ns ? ns : 1, sizeof *o->support);
  if (!o->contracts || !o->support)
    return -1;
  for (size_t k = 0; k < x->n_contracts; k++) {
    const contract_t *c = &x->contracts[k];
    if (seat >= 0 && c->seller != seat && c->buyer != seat)
      continue;
    model_obs_contract_t *oc = &o->contracts[o->n_contracts++];
    memcpy(oc->id, c->id, MODEL_ID_MAX);
    memcpy(oc->proposer, m->seats[c->proposer].id, MODEL_ID_MAX);
    memcpy(oc->seller, m->seats[c->seller].id, MODEL_ID_MAX);
    memcpy(oc->buyer, m->seats[c->buyer].id, MODEL_ID_MAX);
    oc->product = c->product;
    oc->accepted = c->accepted;
    oc->expires = c->expires;
    oc->turns_left = c->turns_left;
    oc->quantity_kg = c->qty;
    oc->price_cents_per_kg = c->price;
    oc->penalty_cents_per_kg = c->penalty;
    oc->delivered_kg = c->delivered_last;
    oc->shortfall_kg = c->shortfall_last;
    oc->excused_kg = c->excused_last;
    oc->penalty_cents = c->penalty_last;
    oc->delivered_total_kg = c->delivered_total;
    oc->index_product = c->index;
    oc->index_share_ppm = c->share;
    oc->floor_cents_per_kg = c->floor;
    oc->cap_cents_per_kg = c->cap;
    oc->price_last_cents_per_kg = c->price_last;
    oc->consume = c->consume;
  }
  for (size_t k = 0; k < x->n_support; k++) {
    const support_t *su = &x->support[k];
    model_obs_support_t *os = &o->support[o->n_support++];
    os->kind = MODEL_SUPPORT_FLOOR;
    memcpy(os->nation, m->nations[su->nation].id, MODEL_ID_MAX);
    memcpy(os->firm, m->seats[su->firm].id, MODEL_ID_MAX);
    os->product = su->product;
    os->two_sided = su->two_sided;
    os->turns_left = su->turns_left;
    os->price_cents_per_kg = su->strike;
    os->quantity_kg = su->qty;
    os->last_cents = su->paid_last;
  }
  for (size_t k = 0; k < x->n_loans; k++) {
    const loan_t *l = &x->loans[k];
    model_obs_support_t *os = &o->support[o->n_support++];
    os->kind = MODEL_SUPPORT_LOAN;
    memcpy(os->nation, m->nations[l->nation].id, MODEL_ID_MAX);
    memcpy(os->firm, m->seats[l->firm].id, MODEL_ID_MAX);
    os->product = -1;
    os->turns_left = l->turns_left;
    os->amount_cents = l->principal;
    os->rate_ppm = l->rate_q;
    os->last_cents = l->paid_last;
  }
  for (size_t k = 0; k < x->n_stakes; k++) {
    const stake_t *sk = &x->stakes[k];
    model_obs_support_t *os = &o->support[o->n_support++];
    os->kind = MODEL_SUPPORT_STAKE;
    memcpy(os->nation, m->nations[sk->nation].id, MODEL_ID_MAX);
    memcpy(os->firm, m->seats[sk->firm].id, MODEL_ID_MAX);
    os->product = -1;
    os->amount_cents = sk->paid;
    os->rate_ppm = sk->stake_ppm;
  }
  return 0;
}

/* The standing policies of nation n as policy orders, in a fixed order,
 * written to out[k].policy (tagged with the nation) when out is given;
 * returns how many. */
static size_t policy_orders(const model_state_t *st, int n,
                            model_obs_policy_t *out) {
  const policies_t *p = &st->nations[n].pol;
  const model_map_t *m = st->map;
  const model_ext_t *x = st->ext;
  size_t k = 0, N = st->n_nations;
#define ADD(kind_)                                                             \
  do {                                                                         \
    if (out) {                                                                 \
      model_order_t *o_ = &out[k].policy;                                      \
      out[k].nation = (int32_t)n;                                              \
      memset(o_, 0, sizeof *o_);                                               \
      o_->op = MODEL_OP_POLICY;                                                \
      o_->kind = (kind_);                                                      \
      o_->product = o_->stage = o_->skill = -1;                                \
    }                                                                          \
    k++;                                                                       \
  } while (0)
#define CUR (out ? &out[k - 1].policy : NULL)
  for (int q = 0; q < NP; q++)
    for (size_t j = 0; j <= N; j++) {
      size_t jj = j == N ? ALL : j;
      const char *to = j == N ? "all" : m->nations[j].id;
      if (p->quota[q][jj] >= 0) {
        ADD(MODEL_POL_EXPORT_QUOTA);
        if (CUR) {
          CUR->product = q;
          CUR->quantity_kg = p->quota[q][jj];
          strcpy(CUR->partner, to);
        }
      }
      if (p->ban[q][jj]) {
        ADD(MODEL_POL_EXPORT_BAN);
        if (CUR) {
          CUR->product = q;
          strcpy(CUR->partner, to);
        }
      }
      if (p->licence[q][jj] < MODEL_PPM) {
        ADD(MODEL_POL_EXPORT_LICENCE);
        if (CUR) {
          CUR->product = q;
          CUR->approval_ppm = p->licence[q][jj];
          strcpy(CUR->partner, to);
          if (x && model_ext_has(j == N ? 0 : x->lic_exports[n][q],
                                 j == N ? x->lic_exports_all[n][q] : 0, (int)j))
            strcpy(CUR->choice, "exports");
        }
      }
      if (p->tariff[q][jj] > 0) {
        ADD(MODEL_POL_TARIFF);
        if (CUR) {
          CUR->product = q;
          CUR->rate_ppm = p->tariff[q][jj];
          strcpy(CUR->partner, to);
        }
      }
    }
  for (int s = 0; s < NS; s++) {
    if (p->sub_capex[s] || p->sub_output[s]) {
      ADD(MODEL_POL_SUBSIDY);
      if (CUR) {
        CUR->stage = s;
        CUR->capex_share_ppm = p->sub_capex[s];
        CUR->output_cents_per_kg = p->sub_output[s];
        CUR->home_only = p->sub_home_only[s] != 0;
      }
    }
    if (p->permit_speed[s] != MODEL_PPM) {
      ADD(MODEL_POL_PERMITTING);
      if (CUR) {
        CUR->stage = s;
        CUR->speed_ppm = p->permit_speed[s];
      }
    }
    if (p->prod_quota[s] >= 0) {
      ADD(MODEL_POL_PRODUCTION_QUOTA);
      if (CUR) {
        CUR->stage = s;
        CUR->quantity_kg = p->prod_quota[s];
        if (p->quota_output[s])
          strcpy(CUR->choice, "output");
        if (p->quota_domestic[s])
          strcpy(CUR->origin, "outside");
      }
    }
    if (p->talent_budget[s] > 0) {
      ADD(MODEL_POL_TALENT_PROGRAMME);
      if (CUR) {
        CUR->skill = s;
        CUR->budget_cents = p->talent_budget[s];
      }
    }
    if (!p->mig_in[s] || !p->mig_out[s]) {
      ADD(MODEL_POL_MIGRATION);
      if (CUR) {
        CUR->skill = s;
        CUR->inbound = p->mig_in[s];
        CUR->outbound = p->mig_out[s];
      }
    }
  }
  for (int q = 0; q < NP; q++) {
    if (p->floor_qty[q] > 0) {
      ADD(MODEL_POL_PRICE_FLOOR);
      if (CUR) {
        CUR->product = q;
        CUR->price_cents_per_kg = p->floor_price[q];
        CUR->quantity_kg = p->floor_qty[q];
      }
    }
    if (p->stock_target[q] >= 0) {
      ADD(MODEL_POL_STOCKPILE);
      if (CUR) {
        CUR->product = q;
        CUR->target_kg = p->stock_target[q];
      }
    }
  }
  if (p->tax_ppm > 0) {
    ADD(MODEL_POL_TAX);
    if (CUR)
      CUR->rate_ppm = p->tax_ppm;
  }
  if (p->collect_ppm > 0) {
    ADD(MODEL_POL_RECYCLING_COLLECTION);
    if (CUR)
      CUR->rate_ppm = p->collect_ppm;
  }
  /* issue 11: firm price floors, technology bans, screens, sanctions */
  for (size_t e = 0; x && e < x->n_support; e++) {
    const support_t *su = &x->support[e];
    if (su->nation != n)
      continue;
    ADD(MODEL_POL_FIRM_PRICE_FLOOR);
    if (CUR) {
      snprintf(CUR->firm, sizeof CUR->firm, "%s", m->seats[su->firm].id);
      CUR->product = su->product;
      CUR->price_cents_per_kg = su->strike;
      CUR->quantity_kg = su->qty;
      CUR->turns = su->turns_left;
      CUR->two_sided = su->two_sided;
    }
  }
  for (int s = 0; x && s < NS; s++)
    for (size_t j = 0; j <= N; j++) {
      size_t jj = j == N ? ALL : j;
      const char *to = j == N ? "all" : m->nations[j].id;
      bool ban = j == N ? x->tech_ban_all[n][s] : (x->tech_ban[n][s] >> j & 1);
      bool scr = j == N ? x->screen_all[n][s] : (x->screen[n][s] >> j & 1);
      (void)jj;
      if (ban) {
        ADD(MODEL_POL_TECHNOLOGY_EXPORT_BAN);
        if (CUR) {
          CUR->stage = s;
          strcpy(CUR->partner, to);
        }
      }
      if (scr) {
        ADD(MODEL_POL_INVESTMENT_SCREEN);
        if (CUR) {
          CUR->stage = s;
          strcpy(CUR->partner, to);
        }
      }
    }
  for (int q = 0; x && q < NP; q++) {
    if (!x->origin[n][q].on)
      continue;
    ADD(MODEL_POL_ORIGIN_RULE);
    if (CUR) {
      int to = x->origin[n][q].to;
      CUR->product = q;
      CUR->rate_ppm = x->origin[n][q].threshold;
      CUR->approval_ppm = x->origin[n][q].approval;
      CUR->turns = x->origin[n][q].from_turn;
      strcpy(CUR->partner, to == ALL ? "all" : m->nations[to].id);
    }
  }
  for (size_t e = 0; x && e < x->n_sanctions; e++) {
    if (x->sanctions[e].nation != n)
      continue;
    ADD(MODEL_POL_SANCTION);
    if (CUR)
      snprintf(CUR->firm, sizeof CUR->firm, "%s",
               m->seats[x->sanctions[e].firm].id);
  }
#undef ADD
#undef CUR
  return k;
}

/* An estimate of `exact` kg/yr under construction in nation n's stage,
 * as the seats of nation `viewer` see it: off by a share of at most the
 * map's construction_error, drawn from a BLAKE2b hash keyed by the game's
 * seed over (turn, viewer, nation, stage). The same request gives the same
 * estimate; it changes from turn to turn, and differs between viewing
 * nations, so pooling two nations' figures says little about the truth.
 * Seats of one nation share their intelligence: public stays the same
 * for every seat of a home nation (the environment's cache relies on it). */
static int64_t estimate(const model_state_t *st, int viewer, int n, int stage,
                        int64_t exact) {
  int64_t e = st->map->construction_error_ppm;
  if (exact <= 0 || e <= 0)
    return exact;
  uint8_t key[8], msg[20] = "est", h[8];
  for (int i = 0; i < 8; i++)
    key[i] = (uint8_t)(st->seed >> (8 * i));
  int32_t f[4] = {st->turn, viewer, n, stage};
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < 4; i++)
      msg[4 + 4 * k + i] = (uint8_t)((uint32_t)f[k] >> (8 * i));
  crypto_generichash(h, sizeof h, msg, sizeof msg, key, sizeof key);
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)h[i] << (8 * i);
  int64_t share = (int64_t)(v % (uint64_t)(2 * e + 1)) - e; /* -e..e ppm */
  int64_t off = ppm_of(exact, share < 0 ? -share : share);
  return share < 0 ? exact - off : exact + off;
}

/* Closed information (issue 13): take the unpublished policy kinds out of
 * public_policies (a nation keeps its own in `you.policies`, filled
 * before), and replace other nations' capacity under construction by
 * estimates. */
static int close_information(const model_state_t *st, int viewer, bool truth,
                             model_obs_t *o) {
  const model_map_t *m = st->map;
  size_t N = st->n_nations;
  o->closed_info = true;
  o->capacity_estimated = calloc((size_t)NS * N, 1);
  o->unpublished = calloc(N ? N : 1, sizeof *o->unpublished);
  int64_t *building = calloc((size_t)NS * N, sizeof *building);
  if (!o->capacity_estimated || !o->unpublished || !building) {
    free(building);
    return -1;
  }
  memcpy(o->unpublished, m->unpublished, N * sizeof *o->unpublished);
  size_t k = 0;
  for (size_t i = 0; i < o->n_public_policies && !truth; i++) {
    const model_obs_policy_t *p = &o->public_policies[i];
    if (!(m->unpublished[p->nation] >> p->policy.kind & 1))
      o->public_policies[k++] = *p;
  }
  if (!truth)
    o->n_public_policies = k;
  for (size_t f = 0; f < st->n_fac; f++) {
    const facility_t *fa = &st->fac[f];
    size_t at = (size_t)fa->stage * N + (size_t)fa->nation;
    building[at] += (fa->build_left > 0 ? fa->capacity : 0) +
                    (fa->exp_left > 0 ? fa->exp_cap : 0);
  }
  for (int s = 0; s < NS; s++)
    for (size_t n = 0; n < N; n++) {
      size_t at = (size_t)s * N + n;
      if ((int)n == viewer || m->construction_error_ppm <= 0)
        continue;
      o->capacity_estimated[at] = 1;
      if (!truth)
        o->capacity[at] +=
            estimate(st, viewer, (int)n, s, building[at]) - building[at];
    }
  free(building);
  return 0;
}

/* How an observation is built: as the seat sees it, as ground truth, or
 * as an outsider (no seat, no home nation) sees the public part. */
typedef enum { OBS_SEAT, OBS_TRUTH, OBS_OUTSIDER } obs_mode_t;

static int observe(const model_state_t *st, int seat, obs_mode_t mode,
                   model_obs_t **out);

int model_observe(const model_state_t *st, int seat, model_obs_t **out) {
  return observe(st, seat, OBS_SEAT, out);
}

int model_observe_truth(const model_state_t *st, int seat, model_obs_t **out) {
  return observe(st, seat, OBS_TRUTH, out);
}

int model_observe_public(const model_state_t *st, model_obs_t **out) {
  if (!st || st->n_seats == 0)
    return MODEL_EINVAL;
  return observe(st, 0, OBS_OUTSIDER, out);
}

/* Demand by sector (issue 11): the final demand in nation j's market, as
 * demand_kg has always been: the reference volumes of the lines that
 * clear there, whoever's they are (the US's magnets in goods made in
 * China count in China's market; the US's lines there are in
 * public.demand_sectors). */
static int64_t market_demand(const model_state_t *st, int j, int p) {
  int64_t sum = 0;
  for (size_t n = 0; n < st->n_nations; n++) {
    const map_nation_t *mn = &st->map->nations[n];
    const nation_t *na = &st->nations[n];
    if (!mn->demand[p].present)
      continue;
    if (!mn->sectored[p]) {
      if ((int)n == j)
        sum += model_demand_reference(na, p);
      continue;
    }
    for (int s = 0; s < MODEL_SECTORS; s++)
      if (mn->sector[p][s].present && mn->sector[p][s].cleared_in == j)
        sum += model_sector_reference(na, p, s);
  }
  return sum;
}

/* Demand by sector (issue 11): every nation's lines, public (demand is
 * public: the map says it), in nation, product and sector order. */
static int observe_sectors(const model_state_t *st, model_obs_t *o) {
  const model_map_t *m = st->map;
  if (!m->sectors)
    return 0;
  size_t k = 0;
  for (size_t n = 0; n < st->n_nations; n++)
    for (int p = 0; p < NP; p++)
      k += m->nations[n].sectored[p] ? MODEL_SECTORS
                                     : m->nations[n].demand[p].present;
  o->sectors = calloc(k ? k : 1, sizeof *o->sectors);
  if (!o->sectors)
    return MODEL_ENOMEM;
  for (size_t n = 0; n < st->n_nations; n++)
    for (int p = 0; p < NP; p++) {
      const map_demand_t *md = &m->nations[n].demand[p];
      const nation_t *na = &st->nations[n];
      if (md->present && !m->nations[n].sectored[p])
        /* a demand without sectors: one line of sector other */
        o->sectors[o->n_sectors++] = (model_obs_sector_t){
            .nation = (int32_t)n,
            .product = p,
            .sector = MODEL_SECTORS - 1,
            .cleared_in = (int32_t)n,
            .counts_for = (int32_t)n,
            .volume_kg = model_demand_reference(na, p),
            .consumed_kg = na->sec_consumed[p][MODEL_SECTORS - 1],
            .price_cents = na->sec_price[p][MODEL_SECTORS - 1],
            .elasticity_ppm = md->elasticity_ppm,
        };
      for (int s = 0; s < MODEL_SECTORS; s++) {
        const map_sector_t *se = &m->nations[n].sector[p][s];
        if (!se->present)
          continue;
        o->sectors[o->n_sectors++] = (model_obs_sector_t){
            .nation = (int32_t)n,
            .product = p,
            .sector = s,
            .cleared_in = se->cleared_in,
            .counts_for = se->counts_for,
            .volume_kg = model_sector_reference(na, p, s),
            .consumed_kg = na->sec_consumed[p][s],
            .price_cents = na->sec_price[p][s],
            .elasticity_ppm = se->elasticity_ppm,
            .qualified_only = se->qualified_only,
            .exclude_origin = se->exclude,
            .exclude_from = se->exclude_from,
        };
      }
    }
  return 0;
}

/* Lapsing policies (issue 11): what returns when, public as the policies
 * are (a kind the map leaves unpublished is left out, but in the ground
 * truth), soonest first, then in the order they were set. */
static int observe_lapses(const model_state_t *st, bool truth, model_obs_t *o) {
  const model_ext_t *x = st->ext;
  if (!x || !x->n_lapses)
    return 0;
  o->lapses = calloc(x->n_lapses, sizeof *o->lapses);
  if (!o->lapses)
    return MODEL_ENOMEM;
  const uint32_t *un = st->map->unpublished;
  for (size_t k = 0; k < x->n_lapses; k++) {
    int n = x->lapses[k].nation;
    if (!truth && un && (un[n] >> x->lapses[k].prev.kind & 1))
      continue;
    size_t at = o->n_lapses++;
    while (at > 0 && o->lapses[at - 1].turn > x->lapses[k].due) {
      o->lapses[at] = o->lapses[at - 1];
      at--;
    }
    o->lapses[at] = (model_obs_lapse_t){n, x->lapses[k].due, x->lapses[k].prev};
  }
  return 0;
}

static int observe(const model_state_t *st, int seat, obs_mode_t mode,
                   model_obs_t **out) {
  if (!st || !out || seat < 0 || (size_t)seat >= st->n_seats)
    return MODEL_EINVAL;
  const model_map_t *m = st->map;
  const map_seat_t *ms = &m->seats[seat];
  const seat_t *se = &st->seats[seat];
  size_t N = st->n_nations;
  model_obs_t *o = calloc(1, sizeof *o);
  if (!o)
    return MODEL_ENOMEM;
  memcpy(o->seat, ms->id, sizeof o->seat);
  o->kind = ms->kind;
  memcpy(o->nation, m->nations[ms->nation].id, sizeof o->nation);
  o->turn = st->turn;
  o->turns = m->turns;
  o->n_nations = N;
  o->nations = calloc(N, sizeof *o->nations);
  o->regional = calloc((size_t)NP * N, sizeof *o->regional);
  o->production = calloc((size_t)NS * N, sizeof *o->production);
  o->capacity = calloc((size_t)NS * N, sizeof *o->capacity);
  o->scores = calloc(st->n_seats, sizeof *o->scores);
  if (!o->nations || !o->regional || !o->production || !o->capacity ||
      !o->scores)
    goto nomem;
  for (size_t n = 0; n < N; n++)
    memcpy(o->nations[n], m->nations[n].id, MODEL_ID_MAX);

  memcpy(o->reference_price, m->price0, sizeof o->reference_price);
  o->n_history = st->n_hist;
  memcpy(o->history, st->hist, sizeof o->history);
  /* public: plants for sale out of receivership */
  for (int pass = 0; pass < 2; pass++) {
    size_t c = 0;
    for (size_t k = 0; k < st->n_fac; k++) {
      const facility_t *fa = &st->fac[k];
      if (st->seats[fa->owner].receivership <= 0)
        continue;
      if (pass == 1) {
        model_obs_for_sale_t *x = &o->for_sale[c];
        memcpy(x->firm, m->seats[fa->owner].id, sizeof x->firm);
        memcpy(x->facility, fa->id, sizeof x->facility);
        x->stage = fa->stage;
        memcpy(x->nation, m->nations[fa->nation].id, sizeof x->nation);
        x->capacity_kg_per_year = fa->capacity;
        x->liquidation_cents = ppm_of(fa->book, m->liquidation_ppm);
        x->turns_left = st->seats[fa->owner].receivership;
      }
      c++;
    }
    if (pass == 0) {
      o->n_for_sale = c;
      o->for_sale = calloc(c ? c : 1, sizeof *o->for_sale);
      if (!o->for_sale)
        goto nomem;
    }
  }
  /* you: training places left at home */
  o->train_caps = m->train_caps;
  for (int s = 0; s < NS; s++)
    o->training_left[s] = model_train_left(st, ms->nation, s);
  /* you: money limits */
  o->finance = m->finance;
  if (m->finance) {
    int32_t holder = model_seat_holder(st, (size_t)seat);
    o->headroom_cents = model_headroom(st, holder);
    if (ms->kind == MODEL_SEAT_FIRM) {
      o->interest_rate_ppm = m->firm_rate_q;
      o->credit_line_cents = se->credit_line;
      o->credit_limit_cents = se->credit_limit;
      o->receivership_turns = se->receivership;
    } else {
      o->interest_rate_ppm = m->nation_rate_q;
      o->deficit_limit_cents = m->nations[ms->nation].deficit_limit;
      o->interest_arrears_cents = st->nations[ms->nation].arrears;
    }
  }
  /* you: a nation's last collection of end-of-life magnets (design J4) */
  if (ms->kind == MODEL_SEAT_NATION && map_has_stage(m, MODEL_RECYCLING)) {
    o->scrap_collected_kg = st->nations[ms->nation].collected;
    o->collection_paid_cents = st->nations[ms->nation].collect_paid;
  }
  /* you */
  if (ms->kind == MODEL_SEAT_FIRM) {
    o->cash_cents = se->cash;
    memcpy(o->controlled_kg, se->orig, sizeof o->controlled_kg);
    memcpy(o->inventory_kg, se->inv, sizeof o->inventory_kg);
    memcpy(o->staff, se->staff, sizeof o->staff);
    for (int s = 0; s < NS; s++)
      for (int k = 0; k < MODEL_TRAIN_TURNS_MAX; k++)
        o->in_training[s] += se->pipeline[s][k];
    o->n_facilities = (size_t)se->n_fac;
    o->facilities =
        calloc(o->n_facilities ? o->n_facilities : 1, sizeof *o->facilities);
    if (!o->facilities)
      goto nomem;
    /* in facility order (the owner list runs newest first) */
    size_t k = o->n_facilities;
    for (int32_t f = se->first_fac; f >= 0; f = st->fac[f].next_of_owner) {
      const facility_t *fa = &st->fac[f];
      model_obs_facility_t *of = &o->facilities[--k];
      memcpy(of->id, fa->id, sizeof of->id);
      of->stage = fa->stage;
      if (fa->deposit >= 0)
        memcpy(of->site, m->deposits[fa->deposit].id, sizeof of->site);
      memcpy(of->nation, m->nations[fa->nation].id, sizeof of->nation);
      of->capacity_kg_per_year = fa->capacity;
      of->effective_kg_per_year = fa->effective;
      of->utilisation_ppm = fa->util;
      if (fa->stage == MODEL_MAGNETS) {
        of->heavy_recipe_ppm = fa->recipe_dy_now > 0
                                   ? fa->recipe_dy_now
                                   : m->stage[MODEL_MAGNETS].recipe[1];
        of->heavy_recipe_target_ppm = fa->recipe_dy_target;
        of->thrift_turns_left = fa->thrift_left;
      }
      of->status =
          fa->build_left > 0 ? MODEL_FAC_BUILDING : MODEL_FAC_OPERATING;
      bool building = fa->build_left > 0;
      int64_t left = building ? fa->build_left : fa->exp_left;
      int64_t permit = building ? fa->permit_left : fa->exp_permit_left;
      int64_t speed = st->nations[fa->nation].pol.permit_speed[fa->stage];
      int64_t step = m->stage[fa->stage].two_phase ? MODEL_PPM : speed;
      of->permit_turns_left =
          left > 0 ? (int32_t)((permit + speed - 1) / speed) : 0;
      of->turns_left =
          left > 0 ? of->permit_turns_left + (int32_t)((left + step - 1) / step)
                   : 0;
      of->staff = fa->staff;
      of->staff_needed = fa->staff_needed;
      /* a thrifted magnet plant's extra opex (design J3) is part of what
       * a kg costs it: the cost of 1 t, per kg, rounded up */
      of->unit_cost_cents_per_kg =
          fa->unit_cost + (model_thrift_opex(st, fa, 1000) + 999) / 1000;
      of->recovery_ppm = fa->recovery;
      of->output_kg = fa->out_last;
      of->cumulative_kg = fa->cum;
      of->effective_experience_kg = m->stage[fa->stage].learn
                                        ? model_effective_experience(st, fa)
                                        : fa->cum;
      of->expanding_kg_per_year = fa->exp_left > 0 ? fa->exp_cap : 0;
      of->expansion_turns_left =
          fa->exp_left > 0 && fa->build_left <= 0 ? of->turns_left : 0;
    }
  } else {
    const nation_t *na = &st->nations[ms->nation];
    o->cash_cents = o->budget_cents = na->budget;
    memcpy(o->inventory_kg, na->stock, sizeof o->inventory_kg);
    memcpy(o->controlled_kg, na->orig, sizeof o->controlled_kg);
    memcpy(o->staff, na->pool, sizeof o->staff);
    for (int s = 0; s < NS; s++)
      for (int k = 0; k < MODEL_TRAIN_TURNS_MAX; k++)
        o->in_training[s] += na->pipeline[s][k];
    o->n_policies = policy_orders(st, ms->nation, NULL);
    o->policies =
        calloc(o->n_policies ? o->n_policies : 1, sizeof *o->policies);
    if (!o->policies)
      goto nomem; /* filled from the public list below */
    for (int p = 0; p < NP; p++) {
      const map_demand_t *d = &m->nations[ms->nation].demand[p];
      o->demand_kg[p] = d->present ? model_demand_reference(na, p) : 0;
      if (m->sectors)
        o->demand_kg[p] = market_demand(st, ms->nation, p);
      o->demand_price[p] = d->present ? d->price : 0;
      o->consumed_kg[p] = na->consumed[p];
    }
  }
  for (int p = 0; p < NP; p++) {
    o->standing_offer[p].op = MODEL_OP_OFFER;
    o->standing_offer[p].product = p;
    o->standing_offer[p].quantity_kg = se->offer[p].qty;
    o->standing_offer[p].price_cents_per_kg = se->offer[p].price;
    o->standing_offer[p].normal_stock_kg = se->offer_normal[p];
    o->standing_offer[p].stock_discount_ppm = se->offer_disc[p];
    o->standing_offer[p].min_share_ppm = se->offer_min[p];
    o->standing_bid[p].op = MODEL_OP_BID;
    o->standing_bid[p].product = p;
    o->standing_bid[p].quantity_kg = se->bid[p].qty;
    o->standing_bid[p].price_cents_per_kg = se->bid[p].price;
    if (se->bid_index[p] > 0)
      snprintf(o->standing_bid[p].index, sizeof o->standing_bid[p].index, "%s",
               model_product_name(se->bid_index[p] - 1));
  }
  o->n_orders = se->n_pending;
  if (o->n_orders) {
    o->orders = calloc(o->n_orders, sizeof *o->orders);
    if (!o->orders)
      goto nomem;
    memcpy(o->orders, se->pending, o->n_orders * sizeof *o->orders);
  }

  /* market */
  memcpy(o->price, st->report.price, sizeof o->price);
  memcpy(o->volume, st->report.volume, sizeof o->volume);
  memcpy(o->regional, st->report_regional,
         (size_t)NP * N * sizeof *o->regional);
  if (st->report.turn < 0) {
    /* before the first turn: the map's reference prices */
    for (int p = 0; p < NP; p++) {
      o->price[p] = st->price[p];
      for (size_t n = 0; n < N; n++)
        o->regional[(size_t)p * N + n] = st->regional[p][n];
    }
  }

  /* public */
  memcpy(o->production, st->report_production,
         (size_t)NS * N * sizeof *o->production);
  for (size_t k = 0; k < st->n_fac; k++) {
    const facility_t *f = &st->fac[k];
    o->capacity[(size_t)f->stage * N + (size_t)f->nation] +=
        f->capacity + f->exp_cap;
  }
  size_t np = 0;
  for (size_t n = 0; n < N; n++)
    np += policy_orders(st, (int)n, NULL);
  o->public_policies = malloc((np ? np : 1) * sizeof *o->public_policies);
  if (!o->public_policies)
    goto nomem;
  for (size_t n = 0; n < N; n++) {
    model_obs_policy_t *at = o->public_policies + o->n_public_policies;
    size_t c = policy_orders(st, (int)n, at);
    /* lapsing policies: the turns each still holds */
    for (size_t k = 0; st->ext && st->ext->n_lapses && k < c; k++) {
      int32_t due = model_policy_lapse_due(st, (int)n, &at[k].policy);
      if (due > st->turn)
        at[k].policy.lapse_turns = due - st->turn;
    }
    if (ms->kind == MODEL_SEAT_NATION && (int32_t)n == ms->nation)
      for (size_t k = 0; k < c; k++)
        o->policies[k] = at[k].policy;
    o->n_public_policies += c;
  }
  /* only the news the seat may see (an inject for some seats, issue 13),
   * without the list of who else saw it */
  o->news = calloc(st->report.n_news ? st->report.n_news : 1, sizeof *o->news);
  if (!o->news)
    goto nomem;
  o->n_news = 0;
  for (size_t i = 0; i < st->report.n_news; i++)
    if (model_event_visible(&st->report.news[i], seat)) {
      o->news[o->n_news] = st->report.news[i];
      o->news[o->n_news].n_audience = 0;
      memset(o->news[o->n_news].audience, 0,
             sizeof o->news[o->n_news].audience);
      o->n_news++;
    }
  o->n_scores = st->n_seats;
  for (size_t s = 0; s < st->n_seats; s++) {
    memcpy(o->scores[s].seat, m->seats[s].id, MODEL_ID_MAX);
    o->scores[s].score = st->report_scores[s];
    o->scores[s].kind = m->seats[s].kind;
    o->scores[s].qualified = st->seats[s].qualified;
    o->scores[s].seatless = m->seats[s].seatless;
    memcpy(o->scores[s].nation, m->nations[m->seats[s].nation].id,
           MODEL_ID_MAX);
  }
  o->origin_tracked = model_origin_nation(st) >= 0;
  o->qualification = m->qual_turns > 0;
  o->qualified = se->qualified;
  o->qualification_turns_done = se->qual_done;
  o->qualification_turns = m->qual_turns;
  o->qualification_min_kg = m->qual_min_kg;
  /* the story's choices for this seat (not for an outsider's view) */
  for (size_t i = 0; mode != OBS_OUTSIDER && i < m->n_choices; i++) {
    if (m->choices[i].seat != seat)
      continue;
    if (!o->choices) {
      o->choices = malloc(m->n_choices * sizeof *o->choices);
      if (!o->choices)
        goto nomem;
    }
    o->choices[o->n_choices++] = &m->choices[i];
  }
  if (model_obs_fill_plan(st, ms->nation, o) != 0 ||
      observe_deals(st, seat, o) != 0 || observe_sectors(st, o) != 0 ||
      observe_lapses(st, mode == OBS_TRUTH, o) != 0 ||
      (ms->kind == MODEL_SEAT_FIRM && observe_branches(st, seat, o) != 0))
    goto nomem;
  /* Ground truth (model_observe_truth) keeps the flags, so that it says
   * which figures the seat sees estimated and which policies it does not
   * see, next to the exact figures. */
  if (m->info && close_information(st, mode == OBS_OUTSIDER ? -1 : ms->nation,
                                   mode == OBS_TRUTH, o) != 0)
    goto nomem;
  *out = o;
  return 0;
nomem:
  model_obs_free(o);
  return MODEL_ENOMEM;
}

int model_contracts_all(const model_state_t *st, model_obs_contract_t **out,
                        size_t *n) {
  if (!st || !out || !n)
    return MODEL_EINVAL;
  model_obs_t o;
  memset(&o, 0, sizeof o);
  *out = NULL;
  *n = 0;
  if (observe_deals(st, -1, &o) != 0) {
    free(o.contracts);
    free(o.support);
    return MODEL_ENOMEM;
  }
  free(o.support);
  *out = o.contracts;
  *n = o.n_contracts;
  return 0;
}
