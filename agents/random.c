/*
 * The `random` strategy (both kinds, for testing): valid random orders.
 *
 * Idea: each turn it draws one to twelve orders from this turn's seed,
 * covering every op its seat may give and every policy kind, with fields
 * drawn across their valid ranges and sized from the observation (its own
 * facility ids, what it holds, its cash, last turn's prices), so that none
 * is refused: firms build (expanding their own facilities, new separation
 * and magnet plants, or new mines at a random open deposit), operate, hire
 * from the home talent pool or release staff, train, offer and bid; nations set
 * any policy (to all or to one other nation), train, and offer or bid for their
 * stockpile. It exercises the model, the session layer and the tournament with
 * orders nobody would plan.
 *
 * Why it should win: it should not; it is the floor any strategy must
 * beat. It loses by selling below cost, buying above value and switching
 * policies back and forth. Since issue 11 it also pays grants, buys stakes,
 * lends, sets firm price floors, sanctions foreign firms, bans technology
 * exports, screens investment, and proposes, accepts and leaves delivery
 * contracts; on maps with branches its firms build abroad, trade from
 * their branches and move goods between home and branch (transfer). Its prices
 * stay within a factor of two of last turn's (bids at most 10% above it), so a
 * game of random seats does not drift into prices nobody would pay.
 */
#include "kit.h"

#include <stdio.h>
#include <string.h>

static int64_t price_of(const model_obs_t *obs, int p) {
  return kit_price(obs, p);
}

/* A random facility of the seat, or NULL. */
static const model_obs_facility_t *any_facility(const model_obs_t *obs,
                                                uint64_t *r) {
  if (!obs->n_facilities)
    return NULL;
  return &obs->facilities[kit_range(r, 0, (int64_t)obs->n_facilities - 1)];
}

/* Whether this submission already holds a contract order on (id, from). */
static bool already(const kit_t *k, const char *id, const char *from) {
  for (size_t i = 0; i < k->n; i++) {
    const model_order_t *o = &k->out[i];
    if ((o->op == MODEL_OP_CONTRACT_ACCEPT ||
         o->op == MODEL_OP_CONTRACT_WITHDRAW) &&
        strcmp(o->contract, id) == 0 && strcmp(o->seat, from) == 0)
      return true;
  }
  return false;
}

/* A contract move: propose to a random seat (a few open at a time), accept
 * a proposal made to it, or, as a seller, leave a running contract (only
 * sellers leave, so that two parties never leave one contract in the same
 * turn; proposers let proposals lapse, so that an acceptance never meets a
 * withdrawal). */
static void contract_order(kit_t *k, uint64_t *r) {
  const model_obs_t *obs = k->obs;
  switch (kit_range(r, 0, 2)) {
  case 0: {
    size_t open = 0;
    for (size_t i = 0; i < obs->n_contracts; i++)
      open += !obs->contracts[i].accepted &&
              strcmp(obs->contracts[i].proposer, obs->seat) == 0;
    int to = (int)kit_range(r, 0, (int64_t)obs->n_scores - 1);
    if (open >= 4 || obs->n_scores < 2 ||
        strcmp(obs->scores[to].seat, obs->seat) == 0)
      break;
    int p = kit_product_draw(r, obs);
    int64_t price = price_of(obs, p);
    char id[MODEL_ID_MAX];
    snprintf(id, sizeof id, "r%d_%zu", (int)obs->turn, k->n);
    size_t before = k->n;
    kit_propose(k, id, obs->scores[to].seat, kit_range(r, 0, 1) == 0, p,
                kit_range(r, 1, 100000), kit_range(r, price / 2, 2 * price),
                (int)kit_range(r, 1, 12), kit_range(r, 0, price));
    if (k->n > before && kit_range(r, 0, 2) == 0) {
      /* a price formula on a random product, and now and then consumed */
      model_order_t *o = &k->out[k->n - 1];
      int q = kit_product_draw(r, obs);
      snprintf(o->index, sizeof o->index, "%s", model_product_name(q));
      o->index_share_ppm = kit_range(r, 0, 2 * KIT_PPM);
      o->floor_cents_per_kg = kit_range(r, 0, price);
      o->cap_cents_per_kg =
          kit_range(r, 0, 1) ? 0
                             : o->floor_cents_per_kg + kit_range(r, 0, price);
      o->consume = kit_range(r, 0, 1) == 1;
    }
    break;
  }
  case 1:
    for (size_t i = 0; i < obs->n_contracts; i++) {
      const model_obs_contract_t *c = &obs->contracts[i];
      if (!c->accepted && strcmp(c->proposer, obs->seat) != 0 &&
          c->expires >= obs->turn && !already(k, c->id, c->proposer)) {
        kit_accept(k, c->id, c->proposer);
        break;
      }
    }
    break;
  default:
    for (size_t i = 0; i < obs->n_contracts; i++) {
      const model_obs_contract_t *c = &obs->contracts[i];
      int64_t fee = kit_mul_div(c->penalty_cents_per_kg, c->quantity_kg, 1);
      fee = kit_mul_div(fee, kit_min(c->turns_left, 4), 1);
      if (c->accepted && strcmp(c->seller, obs->seat) == 0 &&
          !already(k, c->id, c->proposer) && fee <= k->purse) {
        kit_withdraw(k, c->id, c->proposer);
        k->purse -= fee; /* the exit fee */
        break;
      }
    }
    break;
  }
}

/* A random foreign firm's seat id, or NULL. */
static const char *any_firm(const model_obs_t *obs, uint64_t *r, bool foreign) {
  if (!obs->n_scores)
    return NULL;
  size_t i = (size_t)kit_range(r, 0, (int64_t)obs->n_scores - 1);
  if (!kit_is_firm(obs, i) ||
      (foreign && strcmp(obs->scores[i].nation, obs->nation) == 0))
    return NULL;
  return obs->scores[i].seat;
}

/* A grant, equity or loan to a random firm, small against the budget.
 * Stakes stay far from the whole firm and loans few, so that nations
 * acting in the same turn never pass the model's limits together. */
static void support_order(kit_t *k, uint64_t *r) {
  const model_obs_t *obs = k->obs;
  const char *firm = any_firm(obs, r, false);
  int64_t amount = kit_range(r, 1, kit_max(k->purse / 1000, 1));
  if (!firm)
    return;
  switch (kit_range(r, 0, 2)) {
  case 0:
    kit_grant(k, firm, amount);
    break;
  case 1:
    if (kit_stakes_in(obs, firm) < KIT_PPM / 2)
      kit_equity(k, firm, amount, kit_range(r, 1, 500));
    break;
  default: {
    bool lent = false;
    for (size_t i = 0; i < k->n; i++)
      lent |= k->out[i].op == MODEL_OP_LOAN;
    if (!lent && kit_support_count(obs, MODEL_SUPPORT_LOAN) < 16)
      kit_loan(k, firm, amount, kit_range(r, 0, 100000),
               (int)kit_range(r, 1, 12), (int)kit_range(r, 0, 4));
    break;
  }
  }
}

/* Whether nation n pays a capex subsidy on stage s. A build there is
 * refused when that nation cannot fund its share (money limits), which a
 * firm cannot see; random builds only where nobody's subsidy is at stake,
 * so that it is never refused. */
static bool subsidised(const model_obs_t *obs, int s, int n) {
  for (size_t i = 0; i < obs->n_public_policies; i++) {
    const model_obs_policy_t *p = &obs->public_policies[i];
    if (p->nation == n && p->policy.kind == MODEL_POL_SUBSIDY &&
        p->policy.stage == s && p->policy.capex_share_ppm > 0)
      return true;
  }
  return false;
}

/* On maps with branches (issue 11): a plant abroad (which opens a
 * branch), or a branch's offer or bid in its host's market, or a standing
 * transfer between home and a branch (at most four at a time; then one is
 * withdrawn). Draws only on such maps, so that other games draw as
 * before. */
static void branch_order(kit_t *k, uint64_t *r) {
  const model_obs_t *obs = k->obs;
  int p = kit_product_draw(r, obs);
  if (obs->n_branches == 0 || kit_range(r, 0, 3) == 0) {
    int stage = (int)kit_range(r, MODEL_SEPARATION, MODEL_MAGNETS);
    int n = (int)kit_range(r, 0, (int64_t)obs->n_nations - 1);
    if (n != kit_home(obs) && kit_may_build(obs, stage, n) &&
        !subsidised(obs, stage, n))
      kit_build_abroad(k, stage, n, kit_range(r, 1, 2000) * 1000, k->purse / 4);
    return;
  }
  const model_obs_branch_t *b =
      &obs->branches[kit_range(r, 0, (int64_t)obs->n_branches - 1)];
  model_order_t *o = NULL;
  switch (kit_range(r, 0, 2)) {
  case 0:
    o = kit_push(k, MODEL_OP_OFFER);
    if (o) {
      o->quantity_kg = kit_range(r, 0, b->inventory_kg[p] + 100000);
      o->price_cents_per_kg =
          kit_range(r, price_of(obs, p) / 2, 2 * price_of(obs, p));
    }
    break;
  case 1:
    o = kit_push(k, MODEL_OP_BID);
    if (o) {
      o->quantity_kg = kit_range(r, 0, 1000000);
      o->price_cents_per_kg =
          kit_range(r, 0, kit_ppm(price_of(obs, p), 1100000));
    }
    break;
  default: {
    bool out = kit_range(r, 0, 1) == 0;
    int64_t qty = obs->n_transfers >= 4 ? 0 : kit_range(r, 0, 100000);
    const model_obs_transfer_t *t =
        obs->n_transfers >= 4 ? &obs->transfers[0] : NULL;
    for (size_t i = 0; i < k->n; i++)
      if (k->out[i].op == MODEL_OP_TRANSFER)
        return; /* one transfer order a turn */
    o = kit_push(k, MODEL_OP_TRANSFER);
    if (!o)
      return;
    o->product = t ? t->product : p;
    o->quantity_kg = qty;
    snprintf(o->origin, sizeof o->origin, "%s",
             t     ? t->from
             : out ? obs->nation
                   : b->nation);
    snprintf(o->host, sizeof o->host, "%s",
             t     ? t->to
             : out ? b->nation
                   : obs->nation);
    return;
  }
  }
  if (o) {
    o->product = p;
    snprintf(o->host, sizeof o->host, "%s", b->nation);
  }
}

static void firm_order(kit_t *k, uint64_t *r) {
  const model_obs_t *obs = k->obs;
  if (obs->has_branches && kit_range(r, 0, 3) == 0) {
    branch_order(k, r);
    return;
  }
  int p = kit_product_draw(r, obs);
  int s = (int)kit_range(r, 0, kit_ns(obs) - 1);
  /* a plant out of a receivership, now and then, at its liquidation value
   * or up to half more (only where there is one: other games draw as
   * before) */
  if (obs->n_for_sale > 0 && kit_range(r, 0, 1) == 0) {
    /* each plant is bid for by one seat only (its index modulo the seats),
     * so that two random firms never race for it in one turn */
    size_t me = 0;
    for (size_t i = 0; i < obs->n_scores; i++)
      if (strcmp(obs->scores[i].seat, obs->seat) == 0)
        me = i;
    const model_obs_for_sale_t *x = NULL;
    for (size_t i = 0; i < obs->n_for_sale && !x; i++)
      if (obs->n_scores && i % obs->n_scores == me)
        x = &obs->for_sale[i];
    int64_t price =
        x ? kit_ppm(x->liquidation_cents, kit_range(r, 1000000, 1500000)) : 0;
    for (size_t i = 0; x && i < k->n; i++)
      if (k->out[i].op == MODEL_OP_ACQUIRE &&
          strcmp(k->out[i].facility, x->facility) == 0)
        x = NULL; /* already bid for in this submission */
    if (x && strcmp(x->firm, obs->seat) != 0 && price > 0 &&
        price <= k->purse) {
      model_order_t *o = kit_push(k, MODEL_OP_ACQUIRE);
      if (o) {
        snprintf(o->facility, sizeof o->facility, "%s", x->facility);
        o->amount_cents = price;
        k->purse -= price;
      }
    }
    return;
  }
  switch (kit_range(r, 0, 6)) {
  case 6:
    contract_order(k, r);
    break;
  case 0: { /* build: expand one of its own, or a new plant or mine */
    const model_obs_facility_t *f = any_facility(obs, r);
    bool expand = f && !kit_busy(f) && kit_range(r, 0, 1);
    int stage = expand ? f->stage : (int)kit_range(r, 0, 2);
    int64_t size = kit_range(r, 1, 5000) * 1000;
    if (!expand && stage == MODEL_MINING) {
      if (obs->n_deposits) {
        size_t d = (size_t)kit_range(r, 0, (int64_t)obs->n_deposits - 1);
        if (!subsidised(obs, MODEL_MINING,
                        kit_nation(obs, obs->deposits[d].nation)))
          kit_build_mine(k, d, size, k->purse / 4); /* nothing if closed */
      }
      break;
    }
    int host = expand ? kit_nation(obs, f->nation) : kit_home(obs);
    if (!subsidised(obs, stage, host))
      kit_build(k, stage, expand ? f : NULL, size, k->purse / 4);
    break;
  }
  case 1: {
    const model_obs_facility_t *f = any_facility(obs, r);
    if (f) {
      int64_t u = kit_range(r, 0, KIT_PPM);
      if (u == f->utilisation_ppm)
        u = KIT_PPM - u; /* make it an order */
      kit_operate(k, f, u);
    }
    break;
  }
  case 2:
    if (kit_range(r, 0, 1) && obs->staff[s] > 0)
      kit_release(k, s, kit_range(r, 1, obs->staff[s]));
    else
      kit_hire(k, s, kit_range(r, 1, 50));
    break;
  case 3:
    kit_train(k, s, kit_range(r, 1, 50));
    break;
  case 4:
    kit_offer(k, p, kit_range(r, 0, obs->inventory_kg[p] + 100000),
              kit_range(r, price_of(obs, p) / 2, 2 * price_of(obs, p)));
    break;
  default:
    kit_bid(k, p, kit_range(r, 0, 1000000),
            kit_range(r, 0, kit_ppm(price_of(obs, p), 1100000)));
    break;
  }
}

static void nation_policy(kit_t *k, uint64_t *r) {
  const model_obs_t *obs = k->obs;
  /* recycling_collection, the last kind, only where the map recycles
   * (design J4: other maps draw as before) */
  int kinds = kit_ns(obs) == MODEL_STAGES ? MODEL_POLICY_KINDS
                                          : MODEL_POL_RECYCLING_COLLECTION;
  int kind = (int)kit_range(r, 0, kinds - 1);
  model_order_t *o = kit_policy(k, (model_policy_kind_t)kind);
  if (!o)
    return;
  int p = kit_product_draw(r, obs);
  int s = (int)kit_range(r, 0, kit_ns(obs) - 1);
  int64_t price = price_of(obs, p);
  int64_t demand = obs->demand_kg[p] + 1000000;
  o->product = p;
  o->stage = s;
  o->skill = s;
  /* a trade policy names all nations or one other nation */
  int other = (int)kit_range(r, -1, (int64_t)obs->n_nations - 1);
  if (other >= 0 && strcmp(obs->nations[other], obs->nation) != 0)
    memcpy(o->partner, obs->nations[other], sizeof o->partner);
  switch (kind) {
  case MODEL_POL_EXPORT_QUOTA:
  case MODEL_POL_PRODUCTION_QUOTA:
    o->lift = kit_range(r, 0, 2) == 0;
    o->quantity_kg = o->lift ? 0 : kit_range(r, 0, demand);
    break;
  case MODEL_POL_EXPORT_BAN:
    o->lift = kit_range(r, 0, 1) == 0;
    break;
  case MODEL_POL_EXPORT_LICENCE:
    o->approval_ppm = kit_range(r, 0, KIT_PPM);
    break;
  case MODEL_POL_TARIFF:
    o->rate_ppm = kit_range(r, 0, KIT_PPM);
    break;
  case MODEL_POL_SUBSIDY:
    o->capex_share_ppm = kit_range(r, 0, KIT_PPM / 2);
    o->output_cents_per_kg = kit_range(r, 0, price / 4);
    break;
  case MODEL_POL_PRICE_FLOOR:
    o->price_cents_per_kg = kit_range(r, 0, price);
    o->quantity_kg = kit_range(r, 0, demand / 4);
    break;
  case MODEL_POL_STOCKPILE:
    /* at most what it holds: a target above it makes the state bid at
     * last turn's home price, which is the clearing's backstop where
     * that market did not clear (docs/agents.md, "Model notes") */
    o->target_kg = kit_range(r, 0, obs->inventory_kg[p]);
    break;
  case MODEL_POL_TALENT_PROGRAMME:
    o->budget_cents = kit_range(r, 0, kit_max(obs->budget_cents, 0) / 500);
    break;
  case MODEL_POL_MIGRATION:
    o->inbound = kit_range(r, 0, 1) == 1;
    o->outbound = kit_range(r, 0, 1) == 1;
    break;
  case MODEL_POL_PERMITTING:
    o->speed_ppm = kit_range(r, 500000, 2000000);
    break;
  case MODEL_POL_TAX:
    o->rate_ppm = kit_range(r, 0, KIT_PPM / 2);
    break;
  case MODEL_POL_RECYCLING_COLLECTION:
    o->rate_ppm = kit_range(r, 0, KIT_PPM / 4);
    break;
  case MODEL_POL_FIRM_PRICE_FLOOR: {
    const char *firm = any_firm(obs, r, false);
    if (!firm || kit_support_count(obs, MODEL_SUPPORT_FLOOR) >= 40) {
      k->n--; /* no firm drawn: no order */
      break;
    }
    snprintf(o->firm, sizeof o->firm, "%s", firm);
    o->price_cents_per_kg = kit_range(r, 0, price);
    o->quantity_kg = kit_range(r, 0, demand / 4);
    o->turns = kit_range(r, 1, 12);
    o->two_sided = kit_range(r, 0, 1) == 1;
    break;
  }
  case MODEL_POL_SANCTION: {
    const char *firm = any_firm(obs, r, true);
    if (!firm) {
      k->n--;
      break;
    }
    snprintf(o->firm, sizeof o->firm, "%s", firm);
    o->lift = kit_range(r, 0, 1) == 0;
    break;
  }
  default: /* technology_export_ban, investment_screen */
    o->lift = kit_range(r, 0, 1) == 0;
    break;
  }
  if (kind == MODEL_POL_EXPORT_LICENCE && kit_range(r, 0, 1))
    strcpy(o->choice, "exports");
}

static void nation_order(kit_t *k, uint64_t *r) {
  const model_obs_t *obs = k->obs;
  int p = kit_product_draw(r, obs);
  switch (kit_range(r, 0, 7)) {
  case 6:
    support_order(k, r);
    break;
  case 7:
    contract_order(k, r);
    break;
  case 0:
    kit_train(k, (int)kit_range(r, 0, kit_ns(obs) - 1), kit_range(r, 1, 50));
    break;
  case 1:
    kit_offer(k, p, kit_range(r, 0, obs->inventory_kg[p]),
              kit_range(r, price_of(obs, p) / 2, 2 * price_of(obs, p)));
    break;
  case 2:
    kit_bid(k, p, kit_range(r, 0, obs->demand_kg[p] / 4),
            kit_range(r, 0, price_of(obs, p)));
    break;
  default:
    nation_policy(k, r);
    break;
  }
}

static int act(uint64_t seed, const model_obs_t *obs, model_order_t *orders,
               size_t cap, size_t *n) {
  kit_t k;
  kit_init(&k, obs, orders, cap);
  uint64_t r = seed;
  int64_t count = kit_range(&r, 1, 12);
  for (int64_t i = 0; i < count; i++) {
    if (obs->kind == MODEL_SEAT_FIRM)
      firm_order(&k, &r);
    else
      nation_order(&k, &r);
  }
  *n = k.n;
  return 0;
}

const agent_strategy_t agent_random = {
    .id = "random",
    .description = "Testing: valid random orders of every kind its seat may "
                   "give, drawn from the game seed and the turn.",
    .kinds = AGENT_BOTH,
    .act = act,
};
