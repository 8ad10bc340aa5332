/* Branches abroad (issue 11, docs/design/model-v2.md I2; docs/model.md
 * "Branches abroad"): on maps with parameters.branches a firm's new
 * facilities outside its home nation belong to its branch there. A branch
 * holds its own goods, offers and bids in the host's market and is taxed
 * by the host; its money is the firm's. Goods move between a firm's own
 * locations with the standing op `transfer`, delivered before the
 * product's market under the exporter's controls, paying transport and
 * the importer's tariff. */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

int model_branches_alloc(model_state_t *st) {
  if (!st->br && !(st->br = calloc(1, sizeof *st->br)))
    return MODEL_ENOMEM;
  return 0;
}

int model_branch_find(const model_state_t *st, int seat, int nation) {
  const model_br_t *br = st->br;
  for (size_t b = 0; br && b < br->n; b++)
    if (br->b[b].seat == seat && br->b[b].nation == nation)
      return (int)b;
  return -1;
}

int model_branch_open(model_state_t *st, int seat, int nation) {
  int b = model_branch_find(st, seat, nation);
  if (b >= 0)
    return b;
  if (!st->br || st->br->n >= MODEL_BRANCHES_MAX)
    return -1;
  branch_t *x = &st->br->b[st->br->n];
  memset(x, 0, sizeof *x);
  x->seat = seat;
  x->nation = nation;
  return (int)st->br->n++;
}

int32_t model_branch_holder(const model_state_t *st, int b) {
  return (int32_t)(st->n_seats + st->n_nations + (size_t)b);
}

int32_t model_fac_holder(const model_state_t *st, const facility_t *f) {
  if (!f->abroad || !st->map->branches)
    return f->owner;
  int b = model_branch_find(st, f->owner, f->nation);
  return b >= 0 ? model_branch_holder(st, b) : f->owner;
}

/* The holder of a firm's goods in `nation`: its own at home, else its
 * branch there; -1 when it has none there. */
int32_t model_location_holder(const model_state_t *st, int seat, int nation) {
  if (nation == st->map->seats[seat].nation)
    return seat;
  int b = model_branch_find(st, seat, nation);
  return b >= 0 ? model_branch_holder(st, b) : -1;
}

void model_branches_begin(model_state_t *st) {
  model_br_t *br = st->br;
  for (size_t b = 0; br && b < br->n; b++) {
    branch_t *x = &br->b[b];
    memset(&x->flows, 0, sizeof x->flows);
    memcpy(x->flows.opening, x->inv, sizeof x->inv);
    x->revenue = x->costs = 0;
  }
}

/* A firm's transfer between two of its locations, for product p. */
static void transfer_one(model_state_t *st, transfer_t *t) {
  const model_map_t *m = st->map;
  int p = t->product, i = t->from, j = t->to;
  int32_t sh = model_location_holder(st, t->seat, i),
          bh = model_location_holder(st, t->seat, j);
  t->moved_last = t->excused_last = 0;
  if (sh < 0 || bh < 0)
    return;
  /* the exporter's controls: a ban, or a sanction on the firm by either
   * nation, excuses it all (force majeure); the tracked nation's rule of
   * origin lets the free part and the approved share of the controlled
   * part go; a licence approves its share, a quota what contract
   * deliveries left */
  const policies_t *pol = &st->nations[i].pol;
  int64_t cap = t->qty;
  if (pol->ban[p][j] || pol->ban[p][ALL] || model_sanctions(st, i, t->seat) ||
      model_sanctions(st, j, t->seat))
    cap = 0;
  cap = model_origin_allow(st, sh, p, i, j, cap);
  int64_t a = pol->licence[p][j] < pol->licence[p][ALL] ? pol->licence[p][j]
                                                        : pol->licence[p][ALL];
  if (a < MODEL_PPM)
    cap = ppm_of(cap, a);
  int64_t qj = pol->quota[p][j], qa = pol->quota[p][ALL];
  int64_t done_j = st->ext ? st->ext->cx[i][j] : 0, done = 0;
  for (size_t b = 0; st->ext && b < st->n_nations; b++)
    done += st->ext->cx[i][b];
  if (qj >= 0 && cap > qj - done_j)
    cap = qj - done_j > 0 ? qj - done_j : 0;
  if (qa >= 0 && cap > qa - done)
    cap = qa - done > 0 ? qa - done : 0;
  t->excused_last = t->qty - cap;
  int64_t *have = inv_at(st, sh, p);
  int64_t d = cap < *have ? cap : *have;
  if (d <= 0)
    return;
  if (p == MODEL_CONCENTRATE) {
    int64_t *es = el_at(st, sh), *eb = el_at(st, bh);
    for (int q = 0; q < NEL; q++) {
      int64_t e = mul_div(es[q], d, *have);
      es[q] -= e;
      eb[q] += e;
    }
  }
  int64_t oc = model_origin_take(st, sh, p, d);
  model_origin_add(st, bh, p, oc);
  *have -= d; /* d <= the stock */
  ck_add(st, inv_at(st, bh, p), d, bh, "inventory", MODEL_U_KG, "transfer");
  ck_add(st, &flows_at(st, sh)->sold[p], d, sh, "kg sold", MODEL_U_KG,
         "transfer");
  ck_add(st, &flows_at(st, bh)->bought[p], d, bh, "kg bought", MODEL_U_KG,
         "transfer");
  if (st->ext)
    st->ext->cx[i][j] += d;
  t->moved_last = d;
  /* the firm pays the transport (a sink) and the importer's tariff on the
   * goods' value at the world price; the receiving branch books both as
   * its costs */
  int32_t f = t->seat, nj = (int32_t)(st->n_seats + (size_t)j);
  seat_t *se = &st->seats[f];
  int64_t tr = ck_mul_div(st, d, map_transport(m, p, i, j), 1, f, "transport",
                          MODEL_U_CENTS);
  const policies_t *imp = &st->nations[j].pol;
  int64_t rate = imp->tariff[p][i] ? imp->tariff[p][i] : imp->tariff[p][ALL];
  int64_t ta = ck_mul_div(st, d, ppm_of(st->price[p], rate), 1, f, "tariff",
                          MODEL_U_CENTS);
  int64_t both = 0;
  ck_add(st, &both, tr, f, "transfer costs", MODEL_U_CENTS, "transport");
  ck_add(st, &both, ta, f, "transfer costs", MODEL_U_CENTS, "tariff");
  ck_sub(st, &se->cash, both, f, "cash", MODEL_U_CENTS, "transfer");
  ck_add(st, &se->flows.money_out, both, f, "money paid out", MODEL_U_CENTS,
         "transfer");
  ck_add(st, &se->costs, both, f, "costs", MODEL_U_CENTS, "transfer");
  if ((size_t)bh >= st->n_seats + st->n_nations)
    ck_add(st, &model_branch_at(st, bh)->costs, both, f, "costs", MODEL_U_CENTS,
           "transfer");
  ck_add(st, &st->report.money_sinks, tr, -1, "money sinks", MODEL_U_CENTS,
         "transport");
  nation_t *na = &st->nations[j];
  ck_add(st, &na->budget, ta, nj, "budget", MODEL_U_CENTS, "tariff");
  ck_add(st, &na->flows.money_in, ta, nj, "money received", MODEL_U_CENTS,
         "tariff");
}

void model_branch_transfers(model_state_t *st, int p) {
  model_br_t *br = st->br;
  for (size_t k = 0; br && k < br->n_transfers; k++)
    if (br->t[k].product == p)
      transfer_one(st, &br->t[k]);
}

/* The standing transfer of `o` (op transfer): set, replace or (quantity
 * 0) withdraw. Checked by model_branch_check. */
int model_branch_transfer_set(model_state_t *st, int seat,
                              const model_order_t *o) {
  model_br_t *br = st->br;
  int from = model_nation_index(st->map, o->origin),
      to = model_nation_index(st->map, o->host);
  size_t k = 0;
  while (k < br->n_transfers &&
         !(br->t[k].seat == seat && br->t[k].product == o->product &&
           br->t[k].from == from && br->t[k].to == to))
    k++;
  if (o->quantity_kg <= 0) {
    if (k < br->n_transfers) {
      memmove(&br->t[k], &br->t[k + 1],
              (br->n_transfers - k - 1) * sizeof br->t[0]);
      br->n_transfers--;
    }
    return 0;
  }
  if (k == br->n_transfers) {
    if (k >= MODEL_TRANSFERS_MAX)
      return MODEL_EINVAL; /* checked before */
    memset(&br->t[k], 0, sizeof br->t[k]);
    br->t[k].seat = seat;
    br->t[k].product = o->product;
    br->t[k].from = from;
    br->t[k].to = to;
    br->n_transfers++;
  }
  br->t[k].qty = o->quantity_kg;
  return 0;
}

/* The state checks of orders that name a branch: offer, bid (nation),
 * transfer (from, to). 0, or 1 with r filled. */
int model_branch_check(const model_state_t *st, int seat,
                       const model_order_t *o, model_refusal_t *r) {
  const model_map_t *m = st->map;
  int home = m->seats[seat].nation;
  if (o->op == MODEL_OP_OFFER || o->op == MODEL_OP_BID ||
      o->op == MODEL_OP_TRAIN) {
    if (!o->host[0])
      return 0;
    int n = model_nation_index(m, o->host);
    if (n < 0) {
      model_refuse(r, "nation", "nation must be the id of a nation of the map");
      return 1;
    }
    if (n == home)
      return 0;
    if (!m->branches) {
      model_refuse(r, "nation",
                   "this map has no branches abroad (parameters.branches); "
                   "leave nation out to trade at home");
      return 1;
    }
    if (model_branch_find(st, seat, n) < 0) {
      model_refuse(r, "nation",
                   "you have no branch in %s; a branch opens with your first "
                   "build there (build with nation %s)",
                   m->nations[n].id, m->nations[n].id);
      return 1;
    }
    return 0;
  }
  if (o->op != MODEL_OP_TRANSFER)
    return 0;
  if (!m->branches) {
    model_refuse(r, "op",
                 "this map has no branches abroad (parameters.branches), so "
                 "there is nothing to transfer between");
    return 1;
  }
  int ends[2] = {model_nation_index(m, o->origin),
                 model_nation_index(m, o->host)};
  const char *keys[2] = {"from", "to"};
  for (int e = 0; e < 2; e++) {
    if (ends[e] < 0) {
      model_refuse(r, keys[e], "%s must be the id of a nation of the map",
                   keys[e]);
      return 1;
    }
    if (ends[e] != home && model_branch_find(st, seat, ends[e]) < 0) {
      model_refuse(r, keys[e],
                   "%s: you have neither your home nor a branch in %s; "
                   "your locations are %s and the nations where you built",
                   keys[e], m->nations[ends[e]].id, m->nations[home].id);
      return 1;
    }
  }
  if (ends[0] == ends[1]) {
    model_refuse(r, "to",
                 "from and to are the same nation; name two of "
                 "your locations");
    return 1;
  }
  const model_br_t *br = st->br;
  if (o->quantity_kg > 0 && br && br->n_transfers >= MODEL_TRANSFERS_MAX) {
    bool had = false;
    for (size_t k = 0; k < br->n_transfers; k++)
      had |= br->t[k].seat == seat && br->t[k].product == o->product &&
             br->t[k].from == ends[0] && br->t[k].to == ends[1];
    if (!had) {
      model_refuse(r, "op",
                   "the world holds the maximum of %d standing transfers; "
                   "withdraw one (quantity 0) first",
                   MODEL_TRANSFERS_MAX);
      return 1;
    }
  }
  return 0;
}

bool model_branch_worth(const model_state_t *st, int seat, int64_t *out) {
  const model_br_t *br = st->br;
  int64_t w = 0, v;
  for (size_t b = 0; br && b < br->n; b++) {
    if (br->b[b].seat != seat)
      continue;
    for (int p = 0; p < NP; p++)
      if (!mul_div_ok(br->b[b].inv[p], st->price[p], 1, &v) ||
          __builtin_add_overflow(w, v, &w))
        return false;
  }
  *out = w;
  return true;
}

void model_branch_holding(model_state_t *st, int64_t hold_q) {
  model_br_t *br = st->br;
  for (size_t b = 0; br && b < br->n && !st->range_failed; b++) {
    branch_t *x = &br->b[b];
    __int128 due = 0;
    for (int p = 0; p < NP; p++)
      if (x->inv[p] > 0)
        due += ((__int128)x->inv[p] * st->price[p] * hold_q + MODEL_PPM - 1) /
               MODEL_PPM;
    if (due <= 0)
      continue;
    if (due > MODEL_HOLDER_MONEY_MAX) {
      model_range_fail(st, x->seat, "holding cost beyond the money limit");
      return;
    }
    int64_t c = (int64_t)due;
    seat_t *se = &st->seats[x->seat];
    ck_sub(st, &se->cash, c, x->seat, "cash", MODEL_U_CENTS, "holding cost");
    ck_add(st, &se->costs, c, x->seat, "costs", MODEL_U_CENTS, "holding cost");
    ck_add(st, &se->flows.money_out, c, x->seat, "money paid out",
           MODEL_U_CENTS, "holding cost");
    ck_add(st, &x->costs, c, x->seat, "costs", MODEL_U_CENTS, "holding cost");
    ck_add(st, &st->report.money_sinks, c, -1, "money sinks", MODEL_U_CENTS,
           "holding cost");
  }
}

/* Taxes of branches (after wages): each branch's profit (its revenue less
 * its costs) is taxed at its host's rate, paid by the firm to the host.
 * Returns through *taxed the profit taxed abroad, which the home does not
 * tax again. */
void model_branch_taxes(model_state_t *st, int seat, int64_t *taxed) {
  model_br_t *br = st->br;
  *taxed = 0;
  for (size_t b = 0; br && b < br->n; b++) {
    branch_t *x = &br->b[b];
    if (x->seat != seat)
      continue;
    x->tax_last = 0;
    int64_t profit = x->revenue;
    ck_sub(st, &profit, x->costs, seat, "profit", MODEL_U_CENTS, "costs");
    if (profit <= 0)
      continue;
    ck_add(st, taxed, profit, seat, "profit", MODEL_U_CENTS, "branch profit");
    nation_t *na = &st->nations[x->nation];
    int64_t tax = ppm_of(profit, na->pol.tax_ppm);
    if (tax <= 0)
      continue;
    int32_t nh = (int32_t)(st->n_seats + (size_t)x->nation);
    seat_t *se = &st->seats[seat];
    ck_sub(st, &se->cash, tax, seat, "cash", MODEL_U_CENTS, "tax abroad");
    ck_add(st, &se->flows.money_out, tax, seat, "money paid out", MODEL_U_CENTS,
           "tax abroad");
    ck_add(st, &na->budget, tax, nh, "budget", MODEL_U_CENTS, "tax");
    ck_add(st, &na->flows.money_in, tax, nh, "money received", MODEL_U_CENTS,
           "tax");
    x->tax_last = tax;
  }
}
