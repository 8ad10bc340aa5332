/* deals.c: the story's moves (issue 11, docs/design/model-v2.md F, G, H, I):
 * state support for a named firm (grants, equity, loans, firm price floors
 * and contracts for difference), delivery contracts between seats, and the
 * controls that name firms or technology (technology export bans,
 * sanctions, investment screens).
 *
 * Everything here lives in the state's model_ext_t, which exists only once
 * a game uses one of these moves, so a game that never does plays, hashes
 * and serialises as before. Money moves between holders exactly (one
 * amount, debited and credited); transport on a contract delivery is a
 * sink. Layer 2 of model_internal.h: orders.c calls the checks and
 * appliers, turn.c the steps; this file calls finance.c (headroom),
 * policy.c (model_firm_index) and util.c. The policies that name firms or
 * technology are applied in policy.c.
 */
#include "model_internal.h"

#include <stdio.h>
#include <string.h>

/* A seat's index by id, or -1 (a plain scan: deals are rare). */
static int seat_index(const model_map_t *m, const char *id) {
  for (size_t s = 0; id[0] && s < m->n_seats; s++)
    if (strcmp(m->seats[s].id, id) == 0)
      return (int)s;
  return -1;
}

bool model_tech_banned(const model_state_t *st, int n, int s, int j) {
  const model_ext_t *x = st->ext;
  return x && n != j &&
         model_ext_has(x->tech_ban[n][s], x->tech_ban_all[n][s], j);
}

bool model_sanctions(const model_state_t *st, int n, int f) {
  const model_ext_t *x = st->ext;
  for (size_t k = 0; x && k < x->n_sanctions; k++)
    if (x->sanctions[k].nation == n && x->sanctions[k].firm == f)
      return true;
  return false;
}

/* Whether a deal between seats a and b is barred by a sanction: a firm
 * sanctioned by the other seat's nation (a nation seat, or a firm's home). */
static bool sanctioned_pair(const model_state_t *st, int a, int b) {
  const model_map_t *m = st->map;
  return (m->seats[a].kind == MODEL_SEAT_FIRM &&
          model_sanctions(st, m->seats[b].nation, a)) ||
         (m->seats[b].kind == MODEL_SEAT_FIRM &&
          model_sanctions(st, m->seats[a].nation, b));
}

/* ---- rules of origin ---- */

int model_origin_nation(const model_state_t *st) {
  return st->ext ? st->ext->track1 - 1 : -1;
}

int64_t *model_origin_of(model_state_t *st, int32_t h) {
  if ((size_t)h >= st->n_seats + st->n_nations)
    return model_branch_at(st, h)->orig;
  return (size_t)h < st->n_seats ? st->seats[h].orig
                                 : st->nations[(size_t)h - st->n_seats].orig;
}

static int64_t stock_of(model_state_t *st, int32_t h, int p) {
  return *inv_at(st, h, p);
}

int64_t model_origin_take(model_state_t *st, int32_t h, int p, int64_t kg) {
  if (model_origin_nation(st) < 0 || kg <= 0)
    return 0;
  int64_t *o = model_origin_of(st, h), have = stock_of(st, h, p);
  int64_t x = have <= 0 ? 0 : kg >= have ? o[p] : mul_div(o[p], kg, have);
  o[p] -= x;
  return x;
}

void model_origin_add(model_state_t *st, int32_t h, int p, int64_t kg) {
  if (model_origin_nation(st) < 0 || kg <= 0)
    return;
  ck_add(st, &model_origin_of(st, h)[p], kg, h, "controlled stock", MODEL_U_KG,
         "origin");
}

int64_t model_origin_allow(model_state_t *st, int32_t h, int p, int i, int j,
                           int64_t qty) {
  int k = model_origin_nation(st);
  if (k < 0 || i == k || qty <= 0)
    return qty;
  const model_ext_t *x = st->ext;
  if (!x->origin[k][p].on || st->turn < x->origin[k][p].from_turn ||
      (x->origin[k][p].to != j && x->origin[k][p].to != ALL))
    return qty;
  int64_t have = stock_of(st, h, p), ctrl = model_origin_of(st, h)[p];
  if (have <= 0 || ctrl <= 0)
    return qty;
  if (ctrl > have)
    ctrl = have;
  /* each kg carries ctrl / have of controlled content, of which the
   * approved share may go */
  int64_t c = mul_div(qty, ctrl, have);
  return qty - ppm_of(c, MODEL_PPM - x->origin[k][p].approval);
}

int64_t model_origin_threshold(const model_state_t *st) {
  int k = model_origin_nation(st);
  if (k >= 0 && st->ext->origin[k][MODEL_MAGNET].on)
    return st->ext->origin[k][MODEL_MAGNET].threshold;
  return 1000; /* 0.1% of value (MOFCOM No. 61, S65) */
}

/* ---- money and goods between holders ---- */

/* Holder a pays holder b `c` cents. A firm's revenue counts it when
 * `revenue` (so profits tax sees it); a firm payer's costs count it when
 * `cost`. */
static void pay(model_state_t *st, int32_t a, int32_t b, int64_t c,
                bool revenue, bool cost, const char *why) {
  if (c <= 0)
    return;
  ck_sub(st, money_at(st, a), c, a, (size_t)a < st->n_seats ? "cash" : "budget",
         MODEL_U_CENTS, why);
  ck_add(st, &flows_at(st, a)->money_out, c, a, "money paid out", MODEL_U_CENTS,
         why);
  ck_add(st, money_at(st, b), c, b, (size_t)b < st->n_seats ? "cash" : "budget",
         MODEL_U_CENTS, why);
  ck_add(st, &flows_at(st, b)->money_in, c, b, "money received", MODEL_U_CENTS,
         why);
  if (cost && (size_t)a < st->n_seats)
    ck_add(st, &st->seats[a].costs, c, a, "costs", MODEL_U_CENTS, why);
  if (revenue && (size_t)b < st->n_seats)
    ck_add(st, &st->seats[b].revenue, c, b, "revenue", MODEL_U_CENTS, why);
}

/* A yearly rate (ppm) as the smallest per-turn rate q (ppm) with
 * (1 + q)^4 >= 1 + r, exactly (docs/design/model-v2.md section 0). */
static int64_t quarter_rate(int64_t r) {
  const __int128 M = MODEL_PPM;
  __int128 target = (M + r) * M * M * M;
  int64_t lo = 0, hi = r;
  while (lo < hi) {
    int64_t q = lo + (hi - lo) / 2;
    __int128 b = M + q;
    if (b * b * b * b >= target)
      hi = q;
    else
      lo = q + 1;
  }
  return lo;
}

/* ---- checks ---- */

/* What a seat may spend this turn: its headroom on a map with money
 * limits (finance.c), else what it holds (cash, or the budget). */
static int64_t fundable(const model_state_t *st, int seat) {
  int32_t h = model_seat_holder(st, (size_t)seat);
  int64_t head = model_headroom(st, h);
  if (head != MODEL_HEADROOM_NONE)
    return head;
  return (size_t)h < st->n_seats ? st->seats[h].cash
                                 : st->nations[(size_t)h - st->n_seats].budget;
}

/* What leaving a running contract costs: the penalty on up to four turns
 * of deliveries (qty <= 1e12 kg, penalty < 1e8 cents/kg: 128 bits, then
 * saturated; the order limits keep it far inside int64). */
static int64_t exit_fee(const contract_t *c) {
  int64_t turns = c->turns_left < 4 ? c->turns_left : 4;
  __int128 f = (__int128)c->qty * c->penalty * turns;
  return f > INT64_MAX ? INT64_MAX : (int64_t)f;
}

static int64_t stakes_in(const model_ext_t *x, int firm) {
  int64_t s = 0;
  for (size_t k = 0; x && k < x->n_stakes; k++)
    if (x->stakes[k].firm == firm)
      s += x->stakes[k].stake_ppm;
  return s;
}

static const contract_t *find_contract(const model_ext_t *x, int proposer,
                                       const char *id, size_t *at) {
  for (size_t k = 0; x && k < x->n_contracts; k++)
    if (x->contracts[k].proposer == proposer &&
        strcmp(x->contracts[k].id, id) == 0) {
      if (at)
        *at = k;
      return &x->contracts[k];
    }
  return NULL;
}

int model_deal_check(const model_state_t *st, int seat, const model_order_t *o,
                     int64_t *running, model_refusal_t *r) {
  const model_map_t *m = st->map;
  const model_ext_t *x = st->ext;
  int home = m->seats[seat].nation;
  switch (o->op) {
  case MODEL_OP_GRANT:
  case MODEL_OP_EQUITY:
  case MODEL_OP_LOAN: {
    int firm = model_firm_index(m, o->firm);
    int64_t have = fundable(st, seat), total;
    if (__builtin_add_overflow(o->amount_cents, *running, &total) ||
        total > have) {
      int64_t can = have - *running > 0 ? have - *running : 0;
      model_refuse(r, "amount",
                   "this %s costs %.2f USD and %s can fund %.2f USD this "
                   "turn; %.2f USD is missing",
                   model_op_name((int)o->op),
                   model_cents_to_usd(o->amount_cents), m->nations[home].id,
                   model_cents_to_usd(can),
                   model_cents_to_usd(o->amount_cents - can));
      return 1;
    }
    if (o->op == MODEL_OP_EQUITY) {
      int64_t held = stakes_in(x, firm);
      if (held + o->stake_ppm > MODEL_PPM) {
        model_refuse(r, "stake",
                     "nations already hold %.4f of \"%s\"; stake may be at "
                     "most %.4f",
                     model_ppm_to_fraction(held), o->firm,
                     model_ppm_to_fraction(MODEL_PPM - held));
        return 1;
      }
      bool have_row = false;
      for (size_t k = 0; x && k < x->n_stakes; k++)
        have_row |= x->stakes[k].nation == home && x->stakes[k].firm == firm;
      if (!have_row && x && x->n_stakes >= MODEL_STAKES_MAX) {
        model_refuse(r, "op",
                     "the world holds %d equity stakes, the most it "
                     "can; no new stake this game",
                     MODEL_STAKES_MAX);
        return 1;
      }
    }
    if (o->op == MODEL_OP_LOAN && x && x->n_loans >= MODEL_LOANS_MAX) {
      model_refuse(r, "op",
                   "the world holds %d state loans, the most it can; wait "
                   "until one is repaid",
                   MODEL_LOANS_MAX);
      return 1;
    }
    *running = total;
    return 0;
  }
  case MODEL_OP_CONTRACT_PROPOSE: {
    int to = seat_index(m, o->seat);
    if (to < 0 || to == seat) {
      model_refuse(r, "to", "to must be the id of another seat");
      return 1;
    }
    if (o->choice[0] && strcmp(o->choice, "sell") != 0 &&
        strcmp(o->choice, "buy") != 0) {
      model_refuse(r, "side", "side must be \"sell\" or \"buy\"");
      return 1;
    }
    if (o->index[0] && !map_has(m, model_product_from_name(o->index))) {
      model_refuse(r, "index",
                   "index must be a product: concentrate, ndpr_oxide, "
                   "dytb_oxide, lace_oxide or magnet");
      return 1;
    }
    if (o->index[0] && o->cap_cents_per_kg > 0 &&
        o->cap_cents_per_kg < o->floor_cents_per_kg) {
      model_refuse(r, "cap", "cap must be at least floor");
      return 1;
    }
    if (find_contract(x, seat, o->contract, NULL)) {
      model_refuse(r, "id",
                   "you already have a proposal or contract \"%s\"; choose "
                   "another id",
                   o->contract);
      return 1;
    }
    size_t open = 0;
    for (size_t k = 0; x && k < x->n_contracts; k++)
      open += x->contracts[k].proposer == seat && !x->contracts[k].accepted;
    if (open >= MODEL_PROPOSALS_MAX) {
      model_refuse(r, "op",
                   "you have %d open proposals, the most a seat may; withdraw "
                   "one first",
                   MODEL_PROPOSALS_MAX);
      return 1;
    }
    if (x && x->n_contracts >= MODEL_CONTRACTS_MAX) {
      model_refuse(r, "op",
                   "the world holds %d proposals and contracts, the most it "
                   "can",
                   MODEL_CONTRACTS_MAX);
      return 1;
    }
    return 0;
  }
  case MODEL_OP_CONTRACT_ACCEPT:
  case MODEL_OP_CONTRACT_WITHDRAW: {
    bool accept = o->op == MODEL_OP_CONTRACT_ACCEPT;
    int from = o->seat[0] ? seat_index(m, o->seat) : seat;
    if (from < 0) {
      model_refuse(r, "from",
                   "from must be the id of the seat that proposed "
                   "the contract");
      return 1;
    }
    const contract_t *c = find_contract(x, from, o->contract, NULL);
    if (!c) {
      model_refuse(r, "id", "no proposal or contract \"%s\" from \"%s\"",
                   o->contract, m->seats[from].id);
      return 1;
    }
    bool party = c->seller == seat || c->buyer == seat;
    if (accept) {
      if (from == seat || !party) {
        model_refuse(r, "from",
                     "contract \"%s\" of \"%s\" is not offered to you",
                     o->contract, m->seats[from].id);
        return 1;
      }
      if (c->accepted) {
        model_refuse(r, "id", "contract \"%s\" is already running",
                     o->contract);
        return 1;
      }
      if (c->expires < st->turn) {
        model_refuse(r, "id",
                     "the proposal \"%s\" expired at the end of turn %d",
                     o->contract, (int)c->expires);
        return 1;
      }
      return 0;
    }
    if (!party || (!c->accepted && from != seat)) {
      model_refuse(r, "id",
                   "only its proposer may withdraw a proposal, and only its "
                   "parties may leave a contract");
      return 1;
    }
    if (c->accepted) {
      /* leaving costs the exit fee, from the money left this turn */
      int64_t fee = exit_fee(c), total;
      int64_t have = fundable(st, seat);
      if (fee > 0 &&
          (__builtin_add_overflow(fee, *running, &total) || total > have)) {
        model_refuse(r, "id",
                     "leaving contract \"%s\" costs an exit fee of %.2f USD "
                     "and you have %.2f USD left this turn",
                     o->contract, model_cents_to_usd(fee),
                     model_cents_to_usd(have - *running));
        return 1;
      }
      if (fee > 0)
        *running = total;
    }
    return 0;
  }
  default:
    return 0;
  }
}

/* A build by `seat` in `host`: the home's technology ban, the host's
 * investment screen and the host's sanctions. */
int model_deal_build_check(const model_state_t *st, int seat, int host,
                           int stage, model_refusal_t *r) {
  const model_map_t *m = st->map;
  const model_ext_t *x = st->ext;
  int home = m->seats[seat].nation;
  if (!x || st->applying)
    return 0;
  if (host != home && model_tech_banned(st, home, stage, host)) {
    model_refuse(r, "nation",
                 "%s bans the export of %s technology to %s "
                 "(technology_export_ban); build at home or elsewhere",
                 m->nations[home].id, model_stage_name(stage),
                 m->nations[host].id);
    return 1;
  }
  if (host != home &&
      model_ext_has(x->screen[host][stage], x->screen_all[host][stage], home)) {
    model_refuse(
        r, "nation", "%s refuses %s builds by firms of %s (investment_screen)",
        m->nations[host].id, model_stage_name(stage), m->nations[home].id);
    return 1;
  }
  if (host != home && model_sanctions(st, host, seat)) {
    model_refuse(r, "nation", "%s sanctions you; you may not build there",
                 m->nations[host].id);
    return 1;
  }
  return 0;
}

/* ---- applying orders ---- */

static void remove_contract(model_ext_t *x, size_t k) {
  memmove(&x->contracts[k], &x->contracts[k + 1],
          (x->n_contracts - k - 1) * sizeof x->contracts[0]);
  x->n_contracts--;
}

int model_deal_apply(model_state_t *st, int seat, const model_order_t *o) {
  const model_map_t *m = st->map;
  model_ext_t *x = model_ext(st);
  if (!x)
    return MODEL_ENOMEM;
  int home = m->seats[seat].nation;
  int32_t nh = (int32_t)(st->n_seats + (size_t)home);
  switch (o->op) {
  case MODEL_OP_GRANT:
  case MODEL_OP_EQUITY:
  case MODEL_OP_LOAN: {
    int firm = model_firm_index(m, o->firm);
    pay(st, nh, firm, o->amount_cents, false, false, model_op_name((int)o->op));
    if (o->op == MODEL_OP_EQUITY) {
      size_t k = 0;
      while (k < x->n_stakes &&
             !(x->stakes[k].nation == home && x->stakes[k].firm == firm))
        k++;
      if (k == x->n_stakes)
        x->stakes[x->n_stakes++] = (stake_t){home, firm, 0, 0};
      x->stakes[k].stake_ppm += o->stake_ppm;
      ck_add(st, &x->stakes[k].paid, o->amount_cents, nh, "equity paid",
             MODEL_U_CENTS, "equity");
    } else if (o->op == MODEL_OP_LOAN) {
      loan_t *l = &x->loans[x->n_loans++];
      *l = (loan_t){home,
                    firm,
                    (int32_t)o->turns,
                    (int32_t)o->grace,
                    o->amount_cents,
                    quarter_rate(o->rate_ppm),
                    0};
    }
    return 0;
  }
  case MODEL_OP_CONTRACT_PROPOSE: {
    contract_t *c = &x->contracts[x->n_contracts++];
    memset(c, 0, sizeof *c);
    int to = seat_index(m, o->seat);
    bool buy = strcmp(o->choice, "buy") == 0;
    snprintf(c->id, sizeof c->id, "%s", o->contract);
    c->proposer = seat;
    c->seller = buy ? to : seat;
    c->buyer = buy ? seat : to;
    c->product = o->product;
    c->expires = st->turn + 1;
    c->turns_left = (int32_t)o->turns;
    c->qty = o->quantity_kg;
    c->price = o->price_cents_per_kg;
    c->penalty = o->penalty_cents_per_kg;
    c->index = o->index[0] ? model_product_from_name(o->index) : -1;
    c->share = o->index_share_ppm > 0 ? o->index_share_ppm : MODEL_PPM;
    c->floor = o->floor_cents_per_kg;
    c->cap = o->cap_cents_per_kg;
    c->consume = o->consume;
    return 0;
  }
  case MODEL_OP_CONTRACT_ACCEPT:
  case MODEL_OP_CONTRACT_WITHDRAW: {
    int from = o->seat[0] ? seat_index(m, o->seat) : seat;
    size_t k;
    if (!find_contract(x, from, o->contract, &k))
      return 0;
    contract_t *c = &x->contracts[k];
    if (o->op == MODEL_OP_CONTRACT_ACCEPT) {
      c->accepted = true;
      return 0;
    }
    if (c->accepted) {
      /* leaving a running contract: the leaver pays the other party the
       * penalty on up to four turns of deliveries (an exit fee) */
      int other = c->seller == seat ? c->buyer : c->seller;
      pay(st, model_seat_holder(st, (size_t)seat),
          model_seat_holder(st, (size_t)other), exit_fee(c), true, true,
          "contract exit fee");
    }
    remove_contract(x, k);
    return 0;
  }
  default:
    return 0;
  }
}

/* ---- contracts negotiated over the wire (issue 13) ---- */

int model_contract_check(const model_state_t *st, int seat,
                         const model_order_t *o, model_refusal_t *r) {
  if (!st || !o || !r || seat < 0 || (size_t)seat >= st->n_seats)
    return MODEL_EINVAL;
  if (o->op != MODEL_OP_CONTRACT_PROPOSE) {
    model_refuse(r, "op", "a negotiated contract is a contract_propose");
    return 1;
  }
  if (st->turn >= st->map->turns) {
    model_refuse(r, "op", "the game is over; no contract can start");
    return 1;
  }
  int64_t running = 0;
  return model_order_check(st, seat, o, &running, r) ? 1 : 0;
}

/* The contract `o` would make, as model_deal_apply builds it. */
static bool same_terms(const model_state_t *st, const contract_t *c, int seat,
                       const model_order_t *o) {
  int to = seat_index(st->map, o->seat);
  bool buy = strcmp(o->choice, "buy") == 0;
  return c->accepted && c->seller == (buy ? to : seat) &&
         c->buyer == (buy ? seat : to) && c->product == o->product &&
         c->qty == o->quantity_kg && c->price == o->price_cents_per_kg &&
         c->penalty == o->penalty_cents_per_kg;
}

int model_contract_sign(model_state_t *st, int seat, const model_order_t *o,
                        model_refusal_t *r) {
  if (!st || !o || !r || seat < 0 || (size_t)seat >= st->n_seats)
    return MODEL_EINVAL;
  const contract_t *had = find_contract(st->ext, seat, o->contract, NULL);
  if (had && had->expires == st->turn + 1 && same_terms(st, had, seat, o))
    return 0; /* signed already, before a turn that was refused */
  int rc = model_contract_check(st, seat, o, r);
  if (rc != 0)
    return rc;
  if ((rc = model_deal_apply(st, seat, o)) != 0)
    return rc;
  /* model_deal_apply appended it as a proposal; the counterparty agreed. */
  model_ext_t *x = st->ext;
  x->contracts[x->n_contracts - 1].accepted = true;
  return 0;
}

/* ---- the turn ---- */

/* Contract deliveries of product p, before its market (so a contract is
 * served first from what the seller holds, this turn's output included),
 * in the order the contracts were proposed. A delivery across a border
 * passes the exporter's controls: a ban (or a sanction) excuses it all, a
 * licence approves its share, a quota what earlier deliveries left of it
 * (the market then gets the rest of the quota); what is excused carries no
 * penalty (force majeure). The buyer pays the price, the transport (a
 * sink) and its nation's tariff; the seller pays the penalty on what it
 * could have delivered and did not. */
void model_contracts_deliver(model_state_t *st, int p) {
  model_ext_t *x = st->ext;
  if (!x)
    return;
  const model_map_t *m = st->map;
  memset(x->cx, 0, sizeof x->cx);
  memset(x->used, 0, sizeof x->used);
  memset(x->used_own, 0, sizeof x->used_own);
  for (size_t k = 0; k < x->n_contracts; k++) {
    contract_t *c = &x->contracts[k];
    if (!c->accepted || c->product != p || c->turns_left <= 0)
      continue;
    int i = m->seats[c->seller].nation, j = m->seats[c->buyer].nation;
    int32_t sh = model_seat_holder(st, (size_t)c->seller),
            bh = model_seat_holder(st, (size_t)c->buyer);
    const policies_t *pol = &st->nations[i].pol;
    int64_t due = c->qty, cap = due;
    if (sanctioned_pair(st, c->seller, c->buyer))
      cap = 0;
    /* qualification (design K): a nation's magnet offtake (defence) takes
     * only a qualified supplier's magnets; until then it is excused */
    if (p == MODEL_MAGNET && m->qual_turns > 0 &&
        m->seats[c->buyer].kind == MODEL_SEAT_NATION &&
        !st->seats[c->seller].qualified)
      cap = 0;
    if (i != j) {
      if (pol->ban[p][j] || pol->ban[p][ALL])
        cap = 0;
      /* the tracked nation's rule of origin on what leaves a third nation */
      cap = model_origin_allow(st, sh, p, i, j, cap);
      int64_t a = pol->licence[p][j] < pol->licence[p][ALL]
                      ? pol->licence[p][j]
                      : pol->licence[p][ALL];
      if (a < MODEL_PPM && ppm_of(cap, a) < cap)
        cap = ppm_of(cap, a);
      int64_t qj = pol->quota[p][j], qa = pol->quota[p][ALL];
      if (qj >= 0) {
        int64_t left = qj - x->cx[i][j];
        if (cap > left)
          cap = left > 0 ? left : 0;
      }
      if (qa >= 0) {
        int64_t used = 0;
        for (size_t b = 0; b < st->n_nations; b++)
          used += x->cx[i][b];
        if (cap > qa - used)
          cap = qa - used > 0 ? qa - used : 0;
      }
    }
    int64_t *have = inv_at(st, sh, p);
    int64_t d = cap < *have ? cap : *have;
    if (d < 0)
      d = 0;
    /* the price: fixed, or the formula on the index product's last price
     * in the seller's nation (this turn's where its market has cleared) */
    int64_t price = c->price;
    if (c->index >= 0) {
      price = mul_div(st->regional[c->index][i], c->share, MODEL_PPM);
      if (price < c->floor)
        price = c->floor;
      if (c->cap > 0 && price > c->cap)
        price = c->cap;
    }
    c->price_last = price;
    c->delivered_last = d;
    c->excused_last = due - cap;
    c->shortfall_last = cap - d;
    c->penalty_last = 0;
    if (d > 0) {
      /* goods (and the elements inside concentrate, pro rata) */
      bool used = c->consume && (size_t)bh >= st->n_seats;
      if (p == MODEL_CONCENTRATE) {
        /* the elements inside go with the goods (or leave the world with
         * goods a nation consumes) */
        int64_t *es = el_at(st, sh), *eb = el_at(st, bh);
        for (int q = 0; q < NEL; q++) {
          int64_t e = mul_div(es[q], d, *have);
          es[q] -= e;
          if (!used)
            eb[q] += e;
        }
      }
      /* the tracked nation's content moves with the goods, pro rata (or
       * leaves the world with goods a nation consumes) */
      int64_t oc = model_origin_take(st, sh, p, d);
      if (!used)
        model_origin_add(st, bh, p, oc);
      *have -= d;
      ck_add(st, &flows_at(st, sh)->sold[p], d, sh, "kg sold", MODEL_U_KG,
             "contract delivery");
      ck_add(st, &flows_at(st, bh)->bought[p], d, bh, "kg bought", MODEL_U_KG,
             "contract delivery");
      if (used) {
        /* a nation consumes it: final demand met (its supply security
         * counts it once the market has set its figures) */
        ck_add(st, &flows_at(st, bh)->consumed[p], d, bh, "consumption",
               MODEL_U_KG, "contract delivery consumed");
        ck_add(st, &st->report.consumed[p], d, -1, "consumption", MODEL_U_KG,
               "contract delivery consumed");
        x->used[j] += d;
        if (i == j || (m->nations[j].allies >> i & 1))
          x->used_own[j] += d;
      } else {
        ck_add(st, inv_at(st, bh, p), d, bh, "inventory", MODEL_U_KG,
               "contract delivery");
      }
      ck_add(st, &c->delivered_total, d, sh, "kg delivered", MODEL_U_KG,
             "contract delivery");
      x->cx[i][j] += d;
      pay(st, bh, sh,
          ck_mul_div(st, d, price, 1, bh, "contract payment", MODEL_U_CENTS),
          true, true, "contract payment");
      if (i != j) {
        int64_t tr = ck_mul_div(st, d, map_transport(m, p, i, j), 1, bh,
                                "transport", MODEL_U_CENTS);
        int64_t *mb = money_at(st, bh);
        ck_sub(st, mb, tr, bh, (size_t)bh < st->n_seats ? "cash" : "budget",
               MODEL_U_CENTS, "transport");
        ck_add(st, &flows_at(st, bh)->money_out, tr, bh, "money paid out",
               MODEL_U_CENTS, "transport");
        if ((size_t)bh < st->n_seats)
          ck_add(st, &st->seats[bh].costs, tr, bh, "costs", MODEL_U_CENTS,
                 "transport");
        ck_add(st, &st->report.money_sinks, tr, -1, "money sinks",
               MODEL_U_CENTS, "transport");
        const policies_t *imp = &st->nations[j].pol;
        int64_t rate =
            imp->tariff[p][i] ? imp->tariff[p][i] : imp->tariff[p][ALL];
        int64_t ta = ck_mul_div(st, d, ppm_of(st->price[p], rate), 1, bh,
                                "tariff", MODEL_U_CENTS);
        pay(st, bh, (int32_t)(st->n_seats + (size_t)j), ta, false, true,
            "tariff");
      }
    }
    if (c->shortfall_last > 0 && c->penalty > 0) {
      c->penalty_last = ck_mul_div(st, c->shortfall_last, c->penalty, 1, sh,
                                   "contract penalty", MODEL_U_CENTS);
      pay(st, sh, bh, c->penalty_last, true, true, "contract penalty");
    }
  }
}

/* Firm price floors and contracts for difference on product p, right
 * after its market: on what the firm sold this turn (market and
 * contracts), up to the quantity covered, the nation pays the strike less
 * the firm's seller price; a two-sided contract makes the firm pay back
 * the price above the strike. The goods stay in the chain. */
void model_support_settle(model_state_t *st, int p) {
  model_ext_t *x = st->ext;
  if (!x)
    return;
  /* nations' consumed deliveries join the market's figures of final
   * demand met and of supply (security, docs/model.md "Scores") */
  for (size_t n = 0; n < st->n_nations; n++)
    if (x->used[n] > 0) {
      nation_t *na = &st->nations[n];
      int32_t nh = (int32_t)(st->n_seats + n);
      ck_add(st, &na->consumed[p], x->used[n], nh, "consumption", MODEL_U_KG,
             "contract");
      ck_add(st, &na->bought[p], x->used[n], nh, "kg bought", MODEL_U_KG,
             "contract");
      ck_add(st, &na->own_supply[p], x->used_own[n], nh, "own supply",
             MODEL_U_KG, "contract");
    }
  for (size_t k = 0; k < x->n_support; k++) {
    support_t *s = &x->support[k];
    if (s->product != p || s->turns_left <= 0)
      continue;
    int home = st->map->seats[s->firm].nation;
    int32_t nh = (int32_t)(st->n_seats + (size_t)s->nation);
    int64_t sold = st->seats[s->firm].flows.sold[p];
    int64_t q = sold < s->qty ? sold : s->qty;
    int64_t d = s->strike - st->market[p].seller_price[home];
    s->paid_last = 0;
    if (q <= 0 || d == 0 || (d < 0 && !s->two_sided))
      continue;
    int64_t amt = ck_mul_div(st, q, d < 0 ? -d : d, 1, nh, "price support",
                             MODEL_U_CENTS);
    if (d > 0) {
      /* a nation with a deficit limit pays what its headroom allows (a
       * curtailed floor; docs/model.md "Money limits") */
      int64_t head = model_headroom(st, nh);
      if (head != MODEL_HEADROOM_NONE && amt > head)
        amt = head > 0 ? head : 0;
      pay(st, nh, s->firm, amt, true, false, "firm price floor");
      s->paid_last = amt;
    } else {
      pay(st, s->firm, nh, amt, false, true, "contract for difference");
      s->paid_last = -amt;
    }
  }
}

/* State loans: interest each turn (ceiling: owed to the nation), then,
 * after the grace period, the principal in equal instalments (floor; the
 * last takes the rest). The firm pays whatever its cash (its cash may go
 * negative, as with wages). */
void model_deals_finance(model_state_t *st) {
  model_ext_t *x = st->ext;
  if (!x)
    return;
  size_t w = 0;
  for (size_t k = 0; k < x->n_loans; k++) {
    loan_t *l = &x->loans[k];
    int32_t nh = (int32_t)(st->n_seats + (size_t)l->nation);
    int64_t interest =
        (int64_t)(((__int128)l->principal * l->rate_q + MODEL_PPM - 1) /
                  MODEL_PPM);
    int64_t inst = 0;
    if (l->grace_left > 0) {
      l->grace_left--;
    } else {
      inst = l->turns_left > 1 ? l->principal / l->turns_left : l->principal;
      l->turns_left--;
    }
    l->principal -= inst;
    l->paid_last = interest + inst;
    pay(st, l->firm, nh, interest, false, true, "loan interest");
    pay(st, l->firm, nh, inst, false, false, "loan repayment");
    if (l->principal > 0)
      x->loans[w++] = *l;
  }
  x->n_loans = w;
}

void model_qualification_turn(model_state_t *st) {
  const model_map_t *m = st->map;
  if (m->qual_turns <= 0)
    return;
  int64_t *made = st->turn_buf; /* n_seats entries, per firm */
  memset(made, 0, st->n_seats * sizeof *made);
  for (size_t k = 0; k < st->n_fac; k++)
    if (st->fac[k].stage == MODEL_MAGNETS)
      made[st->fac[k].owner] += st->fac[k].out_last;
  for (size_t s = 0; s < st->n_seats; s++) {
    seat_t *se = &st->seats[s];
    if (se->qualified || m->seats[s].kind != MODEL_SEAT_FIRM || made[s] <= 0 ||
        made[s] < m->qual_min_kg)
      continue;
    if (++se->qual_done >= m->qual_turns)
      se->qualified = true;
  }
}

/* The end of a turn: running contracts count a delivery turn and end after
 * their last; proposals not accepted by the end of the turn after they
 * were made lapse; floors count down. */
void model_deals_finish(model_state_t *st) {
  model_ext_t *x = st->ext;
  if (!x)
    return;
  size_t w = 0;
  for (size_t k = 0; k < x->n_contracts; k++) {
    contract_t *c = &x->contracts[k];
    if (c->accepted)
      c->turns_left--;
    bool keep = c->accepted ? c->turns_left > 0 : c->expires > st->turn;
    if (keep)
      x->contracts[w++] = *c;
  }
  x->n_contracts = w;
  w = 0;
  for (size_t k = 0; k < x->n_support; k++)
    if (--x->support[k].turns_left > 0)
      x->support[w++] = x->support[k];
  x->n_support = w;
}
