/* test_deals.c: the story's moves (issue 11, docs/model.md "State support,
 * contracts and controls"): grants, equity, loans and firm price floors
 * move exactly the money they say; delivery contracts are proposed,
 * accepted, delivered before the market, penalised or excused, left and
 * seen by both parties; technology export bans, investment screens and
 * sanctions refuse what they should; licences on the exports basis cap
 * exports at a share of what would be exported and never cap home sales;
 * a firm builds abroad under the host's rules. Every turn keeps DOMAIN.md's
 * invariants (helpers.c), and the new state survives serialisation. */
#define _GNU_SOURCE /* memmem */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static model_order_t pol(model_policy_kind_t k) {
  model_order_t x = helper_order(MODEL_OP_POLICY);
  x.kind = k;
  strcpy(x.partner, "all");
  return x;
}

static int nation_of(const model_map_t *m, const char *id) {
  for (size_t n = 0; n < model_map_nation_count(m); n++)
    if (strcmp(model_map_nation_id(m, n), id) == 0)
      return (int)n;
  fail_msg("no nation %s", id);
  return -1;
}

static int64_t holder_money(const model_state_t *st, const model_map_t *m,
                            const char *seat_or_nation, bool nation) {
  size_t h =
      nation ? model_map_seat_count(m) + (size_t)nation_of(m, seat_or_nation)
             : (size_t)helper_seat(m, seat_or_nation);
  return model_state_holder_money(st, h);
}

/* ---- state support ---- */

static void test_grant_and_equity(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int usa = helper_seat(m, "USA");
  model_order_t g = helper_order(MODEL_OP_GRANT);
  strcpy(g.firm, "mountain_minerals");
  g.amount_cents = 2500000000; /* $25 M */
  model_order_t e = helper_order(MODEL_OP_EQUITY);
  strcpy(e.firm, "mountain_minerals");
  e.amount_cents = 4000000000; /* $40 M */
  e.stake_ppm = 150000;
  model_order_t both[2] = {g, e};
  size_t n = 9;
  assert_int_equal(model_submit(st, usa, both, 2, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
  /* the same firm's money, turn against a game without the deal */
  model_state_t *plain;
  assert_int_equal(model_state_new(m, 1, &plain), 0);
  helper_resolve_clean(st);
  assert_int_equal(model_resolve(plain), 0);
  assert_int_equal(holder_money(st, m, "mountain_minerals", false) -
                       holder_money(plain, m, "mountain_minerals", false),
                   6500000000);
  assert_int_equal(holder_money(plain, m, "USA", true) -
                       holder_money(st, m, "USA", true),
                   6500000000);
  /* the stake is public, and a second one beyond the whole firm is
   * refused with what is left */
  model_obs_t *o;
  assert_int_equal(model_observe(st, helper_seat(m, "EUU"), &o), 0);
  assert_int_equal(o->n_support, 1);
  assert_int_equal(o->support[0].kind, MODEL_SUPPORT_STAKE);
  assert_string_equal(o->support[0].firm, "mountain_minerals");
  assert_int_equal(o->support[0].rate_ppm, 150000);
  model_obs_free(o);
  e.stake_ppm = 900000;
  helper_refused(st, helper_seat(m, "EUU"), e, "stake", "at most 0.8500");
  /* firms may not pay grants; unknown firms are refused */
  helper_refused(st, helper_seat(m, "dragon_mining"), g, "op", "only nations");
  strcpy(g.firm, "nobody");
  helper_refused(st, usa, g, "firm", "seat id of a firm");
  /* a nation cannot grant more than its budget */
  strcpy(g.firm, "mountain_minerals");
  g.amount_cents = 100000000000000; /* $1e12 */
  helper_refused(st, usa, g, "amount", "USD is missing");
  model_state_free(plain);
  model_state_free(st);
  model_map_free(m);
}

/* A loan is repaid to the cent: interest each turn at the quarterly rate
 * (ceiling) on what is owed, principal in equal instalments after the
 * grace; the nation gets back exactly principal plus interest. */
static void test_loan_repaid_to_the_cent(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_order_t l = helper_order(MODEL_OP_LOAN);
  strcpy(l.firm, "euro_magnets");
  l.amount_cents = 15000000000; /* $150 M */
  l.rate_ppm = 45000;           /* 4.5% a year */
  l.turns = 5;
  l.grace = 2;
  helper_submit1(st, helper_seat(m, "EUU"), l);
  /* the quarterly rate: the smallest q with (1 + q)^4 >= 1.045 */
  int64_t q = 0;
  while ((1e6 + (double)q) * (1e6 + q) * (1e6 + q) * (1e6 + q) <
         1.045e24 * (1 - 1e-15))
    q++;
  /* the reference schedule: what is owed after each turn and what is
   * paid in it */
  int64_t owed[8], pay[8], left = l.amount_cents, turns = 5, grace = 2;
  for (int t = 0; t < 7; t++) {
    int64_t i = (left * q + 999999) / 1000000, inst = 0;
    if (grace > 0) {
      grace--;
    } else {
      inst = turns > 1 ? left / turns : left;
      turns--;
    }
    left -= inst;
    owed[t] = left;
    pay[t] = i + inst;
  }
  assert_int_equal(left, 0);
  model_obs_t *o;
  int64_t total = 0, want = 0;
  for (int t = 0; t < 7; t++) {
    helper_resolve_clean(st);
    want += pay[t];
    assert_int_equal(model_observe(st, helper_seat(m, "euro_magnets"), &o), 0);
    if (t < 6) {
      assert_int_equal(o->n_support, 1);
      assert_int_equal(o->support[0].kind, MODEL_SUPPORT_LOAN);
      assert_int_equal(o->support[0].rate_ppm, q);
      assert_int_equal(o->support[0].amount_cents, owed[t]);
      assert_int_equal(o->support[0].last_cents, pay[t]);
      total += o->support[0].last_cents;
    } else {
      /* repaid: the loan is gone; its last payment is the rest */
      assert_int_equal(o->n_support, 0);
      total += owed[5] + (owed[5] * q + 999999) / 1000000;
    }
    model_obs_free(o);
  }
  assert_int_equal(total, want);
  assert_true(total > l.amount_cents);
  model_state_free(st);
  model_map_free(m);
}

/* A floor pays (strike - seller price) x min(quantity, sold) to the firm;
 * a contract for difference above the price makes the firm pay back. */
static void test_firm_price_floor_and_cfd(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  int usa = helper_seat(m, "CHN"), mm = helper_seat(m, "dragon_separation");
  int n_usa = nation_of(m, "CHN");
  for (int two = 0; two < 2; two++) {
    model_state_t *st, *plain;
    assert_int_equal(model_state_new(m, 1, &st), 0);
    assert_int_equal(model_state_new(m, 1, &plain), 0);
    model_order_t f = pol(MODEL_POL_FIRM_PRICE_FLOOR);
    strcpy(f.firm, "dragon_separation");
    f.product = MODEL_NDPR;
    /* a floor well above the price; a CfD strike well below it */
    f.price_cents_per_kg = two ? 100 : 11000;
    f.quantity_kg = 2000000; /* 2,000 t per turn */
    f.turns = 3;
    f.two_sided = two;
    helper_submit1(st, usa, f);
    helper_resolve_clean(st);
    assert_int_equal(model_resolve(plain), 0);
    model_holder_flows_t fl;
    assert_int_equal(model_state_holder_flows(st, (size_t)mm, &fl), 0);
    int64_t sold = fl.sold[MODEL_NDPR];
    assert_true(sold > 0);
    int64_t q = sold < f.quantity_kg ? sold : f.quantity_kg;
    int64_t ps = model_last_seller_price(st, MODEL_NDPR, (size_t)n_usa);
    int64_t want = q * (f.price_cents_per_kg - ps);
    /* the only money the floor adds is its payment (the profits tax on
     * it is paid out, not in) */
    model_holder_flows_t pf;
    assert_int_equal(model_state_holder_flows(plain, (size_t)mm, &pf), 0);
    if (!two)
      assert_int_equal(fl.money_in - pf.money_in, want);
    model_obs_t *o;
    assert_int_equal(model_observe(st, mm, &o), 0);
    assert_int_equal(o->n_support, 1);
    assert_int_equal(o->support[0].last_cents, want);
    assert_int_equal(o->support[0].turns_left, 2);
    model_obs_free(o);
    /* it lapses after its turns */
    helper_resolve_clean(st);
    helper_resolve_clean(st);
    assert_int_equal(model_observe(st, mm, &o), 0);
    assert_int_equal(o->n_support, 0);
    model_obs_free(o);
    model_state_free(st);
    model_state_free(plain);
  }
  model_map_free(m);
}

/* ---- contracts ---- */

static model_order_t proposal(const char *id, const char *to, int product,
                              int64_t qty, int64_t price, int turns,
                              int64_t penalty) {
  model_order_t o = helper_order(MODEL_OP_CONTRACT_PROPOSE);
  strcpy(o.contract, id);
  strcpy(o.seat, to);
  o.product = product;
  o.quantity_kg = qty;
  o.price_cents_per_kg = price;
  o.turns = turns;
  o.penalty_cents_per_kg = penalty;
  return o;
}

static model_order_t answer(model_op_t kind, const char *id, const char *from) {
  model_order_t o = helper_order(kind);
  strcpy(o.contract, id);
  strcpy(o.seat, from);
  return o;
}

static const model_obs_contract_t *contract_of(const model_obs_t *o,
                                               const char *id) {
  for (size_t k = 0; k < o->n_contracts; k++)
    if (strcmp(o->contracts[k].id, id) == 0)
      return &o->contracts[k];
  return NULL;
}

/* Dragon Separation sells NdPr to Dragon Magnets (one nation: no border)
 * under a contract: proposed, seen by both, accepted, delivered before the
 * market at the contract price, every turn until it ends. */
static void test_contract_life(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int sep = helper_seat(m, "dragon_separation"),
      mag = helper_seat(m, "dragon_magnets");
  helper_submit1(
      st, sep,
      proposal("ndpr-1", "dragon_magnets", MODEL_NDPR, 100000, 4500, 2, 1000));
  helper_resolve_clean(st);
  model_obs_t *o;
  assert_int_equal(model_observe(st, mag, &o), 0);
  const model_obs_contract_t *c = contract_of(o, "ndpr-1");
  assert_non_null(c);
  assert_false(c->accepted);
  assert_string_equal(c->seller, "dragon_separation");
  assert_string_equal(c->buyer, "dragon_magnets");
  model_obs_free(o);
  /* other seats do not see it */
  assert_int_equal(model_observe(st, helper_seat(m, "euro_magnets"), &o), 0);
  assert_null(contract_of(o, "ndpr-1"));
  model_obs_free(o);
  /* refusals: the proposer cannot accept, a stranger neither, a wrong id */
  helper_refused(
      st, sep, answer(MODEL_OP_CONTRACT_ACCEPT, "ndpr-1", "dragon_separation"),
      "from", "not offered to you");
  helper_refused(
      st, helper_seat(m, "euro_magnets"),
      answer(MODEL_OP_CONTRACT_ACCEPT, "ndpr-1", "dragon_separation"), "from",
      "not offered to you");
  helper_refused(
      st, mag, answer(MODEL_OP_CONTRACT_ACCEPT, "ndpr-9", "dragon_separation"),
      "id", "no proposal or contract");
  helper_refused(
      st, sep, proposal("ndpr-1", "dragon_magnets", MODEL_NDPR, 1000, 1, 1, 0),
      "id", "already have");
  helper_refused(st, sep,
                 proposal("x", "dragon_separation", MODEL_NDPR, 1000, 1, 1, 0),
                 "to", "another seat");
  helper_submit1(
      st, mag, answer(MODEL_OP_CONTRACT_ACCEPT, "ndpr-1", "dragon_separation"));
  int64_t sep_cash = holder_money(st, m, "dragon_separation", false);
  (void)sep_cash;
  helper_resolve_clean(st);
  assert_int_equal(model_observe(st, sep, &o), 0);
  c = contract_of(o, "ndpr-1");
  assert_non_null(c);
  assert_true(c->accepted);
  assert_int_equal(c->delivered_kg, 100000);
  assert_int_equal(c->shortfall_kg, 0);
  assert_int_equal(c->turns_left, 1);
  model_obs_free(o);
  /* delivered before the market: the buyer's purchases include it */
  model_holder_flows_t fl;
  assert_int_equal(model_state_holder_flows(st, (size_t)mag, &fl), 0);
  assert_true(fl.bought[MODEL_NDPR] >= 100000);
  helper_resolve_clean(st);
  assert_int_equal(model_observe(st, sep, &o), 0);
  assert_null(contract_of(o, "ndpr-1")); /* ended after its two turns */
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

/* A contract negotiated over the wire (issue 13): model_contract_sign adds
 * it accepted, so it delivers in the very turn that resolves next (an
 * accept order would need a second turn), exactly as a contract made with
 * orders; signing it again is a no-op; terms the order would be refused
 * for are refused the same way; two games signing the same contract
 * before the same turn reach the same state. */
static void test_contract_signed(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st, *twin;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_int_equal(model_state_new(m, 1, &twin), 0);
  int sep = helper_seat(m, "dragon_separation"),
      mag = helper_seat(m, "dragon_magnets");
  model_order_t deal =
      proposal("wire-1", "dragon_magnets", MODEL_NDPR, 100000, 4500, 2, 1000);
  model_refusal_t r;
  memset(&r, 0, sizeof r);
  assert_int_equal(model_contract_check(st, sep, &deal, &r), 0);
  assert_int_equal(model_contract_sign(st, sep, &deal, &r), 0);
  assert_int_equal(model_contract_sign(st, sep, &deal, &r), 0); /* no-op */
  assert_int_equal(model_contract_sign(twin, sep, &deal, &r), 0);
  model_obs_t *o;
  assert_int_equal(model_observe(st, mag, &o), 0);
  assert_int_equal(o->n_contracts, 1);
  assert_true(o->contracts[0].accepted);
  model_obs_free(o);
  /* the same id with other terms, and a contract with oneself, are refused
   * as the contract_propose order is */
  model_order_t other =
      proposal("wire-1", "dragon_magnets", MODEL_NDPR, 5000, 4500, 2, 1000);
  assert_int_equal(model_contract_sign(st, sep, &other, &r), 1);
  assert_string_equal(r.field, "id");
  model_order_t self =
      proposal("x", "dragon_separation", MODEL_NDPR, 5000, 4500, 2, 1000);
  assert_int_equal(model_contract_check(st, sep, &self, &r), 1);
  assert_string_equal(r.field, "to");
  model_order_t accept = answer(MODEL_OP_CONTRACT_ACCEPT, "wire-1", "x");
  assert_int_equal(model_contract_check(st, mag, &accept, &r), 1);
  assert_string_equal(r.field, "op");

  int64_t mag_cash = holder_money(st, m, "dragon_magnets", false);
  helper_resolve_clean(st);
  helper_resolve_clean(twin);
  assert_int_equal(model_observe(st, sep, &o), 0);
  const model_obs_contract_t *c = contract_of(o, "wire-1");
  assert_non_null(c);
  assert_int_equal(c->delivered_kg, 100000);
  assert_int_equal(c->shortfall_kg, 0);
  assert_int_equal(c->turns_left, 1);
  model_obs_free(o);
  model_holder_flows_t fl;
  assert_int_equal(model_state_holder_flows(st, (size_t)mag, &fl), 0);
  assert_true(fl.bought[MODEL_NDPR] >= 100000);
  /* the buyer paid at least the contract's 100 t x 45 USD/kg */
  assert_true(mag_cash - holder_money(st, m, "dragon_magnets", false) >=
              (int64_t)100000 * 4500 - fl.money_in);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(twin, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  model_state_free(twin);
  model_state_free(st);
  model_map_free(m);
}

/* A contract priced by a formula: share x the index product's last price
 * in the seller's nation, within floor and cap; each turn's price is the
 * formula on that turn's price, and the buyer pays exactly that. */
static void test_contract_formula(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int sep = helper_seat(m, "dragon_separation"),
      mag = helper_seat(m, "dragon_magnets");
  size_t chn = (size_t)nation_of(m, "CHN");
  model_order_t p =
      proposal("formula", "dragon_magnets", MODEL_NDPR, 50000, 0, 3, 0);
  strcpy(p.index, "magnet");
  p.index_share_ppm = 500000; /* half the magnet price */
  p.floor_cents_per_kg = 1000;
  p.cap_cents_per_kg = 1000000;
  helper_submit1(st, sep, p);
  model_order_t bad = p;
  strcpy(bad.contract, "bad");
  strcpy(bad.index, "gold");
  helper_refused(st, sep, bad, "index", "must be a product");
  helper_resolve_clean(st);
  helper_submit1(
      st, mag,
      answer(MODEL_OP_CONTRACT_ACCEPT, "formula", "dragon_separation"));
  /* the magnet price the delivery will read is last turn's (the NdPr
   * market clears before the magnet market) */
  int64_t want =
      model_last_report(st)
          ->regional[MODEL_MAGNET * model_map_nation_count(m) + chn] /
      2;
  if (want < 1000)
    want = 1000;
  helper_resolve_clean(st);
  model_obs_t *o;
  assert_int_equal(model_observe(st, mag, &o), 0);
  const model_obs_contract_t *c = contract_of(o, "formula");
  assert_non_null(c);
  assert_int_equal(c->index_product, MODEL_MAGNET);
  assert_int_equal(c->delivered_kg, 50000);
  assert_int_equal(c->price_last_cents_per_kg, want);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

/* A nation's offtake with consume: the goods meet its final demand (and
 * count in its supply security) instead of filling its stockpile. */
static void test_contract_consumed(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  int euu = helper_seat(m, "EUU"), em = helper_seat(m, "euro_magnets");
  int64_t met[2], stock[2], delivered[2];
  for (int v = 0; v < 2; v++) {
    model_state_t *st;
    assert_int_equal(model_state_new(m, 1, &st), 0);
    model_order_t p =
        proposal("defence", "euro_magnets", MODEL_MAGNET, 100000, 6000, 4, 0);
    strcpy(p.choice, "buy");
    p.consume = v == 1;
    helper_submit1(st, euu, p);
    helper_resolve_clean(st);
    helper_submit1(st, em, answer(MODEL_OP_CONTRACT_ACCEPT, "defence", "EUU"));
    helper_resolve_clean(st);
    model_obs_t *o;
    assert_int_equal(model_observe(st, euu, &o), 0);
    const model_obs_contract_t *c = contract_of(o, "defence");
    assert_non_null(c);
    assert_int_equal(c->consume, v == 1);
    delivered[v] = c->delivered_kg;
    met[v] = o->consumed_kg[MODEL_MAGNET];
    stock[v] = o->inventory_kg[MODEL_MAGNET];
    model_obs_free(o);
    model_state_free(st);
  }
  printf("  EU offtake of EU magnets: delivered %lld / %lld kg; stockpile "
         "%lld / %lld kg; final demand met %lld / %lld kg\n",
         (long long)delivered[0], (long long)delivered[1], (long long)stock[0],
         (long long)stock[1], (long long)met[0], (long long)met[1]);
  assert_true(delivered[0] > 0 && delivered[1] == delivered[0]);
  assert_int_equal(stock[0], delivered[0]); /* stockpiled */
  assert_int_equal(stock[1], 0);            /* consumed */
  assert_true(met[1] >= delivered[1]);
  model_map_free(m);
}

/* A seller that holds too little pays the penalty on the shortfall; a
 * delivery across a banned border is excused (no penalty); a proposal not
 * accepted lapses; leaving a running contract costs the exit fee. */
static void test_contract_penalty_ban_and_exit(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int mm = helper_seat(m, "mountain_minerals"),
      em = helper_seat(m, "euro_magnets");
  int chn = helper_seat(m, "CHN"), mag = helper_seat(m, "dragon_magnets");
  /* far more Dy/Tb than Mountain Minerals makes */
  helper_submit1(
      st, mm,
      proposal("dy", "euro_magnets", MODEL_DYTB, 1000000000, 20000, 3, 500));
  /* Dragon Magnets sells magnets to Euro Magnets: China will ban it */
  helper_submit1(
      st, mag,
      proposal("mag", "euro_magnets", MODEL_MAGNET, 10000, 4000, 3, 100));
  helper_submit1(
      st, helper_seat(m, "dragon_mining"),
      proposal("lapse", "euro_magnets", MODEL_CONCENTRATE, 1000, 300, 1, 0));
  helper_resolve_clean(st);
  model_order_t acc[2] = {
      answer(MODEL_OP_CONTRACT_ACCEPT, "dy", "mountain_minerals"),
      answer(MODEL_OP_CONTRACT_ACCEPT, "mag", "dragon_magnets")};
  size_t n = 9;
  assert_int_equal(model_submit(st, em, acc, 2, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
  model_order_t ban = pol(MODEL_POL_EXPORT_BAN);
  ban.product = MODEL_MAGNET;
  helper_submit1(st, chn, ban);
  helper_resolve_clean(st);
  model_obs_t *o;
  assert_int_equal(model_observe(st, em, &o), 0);
  const model_obs_contract_t *dy = contract_of(o, "dy");
  assert_non_null(dy);
  assert_true(dy->shortfall_kg > 0);
  assert_int_equal(dy->delivered_kg + dy->shortfall_kg, 1000000000);
  assert_int_equal(dy->penalty_cents, dy->shortfall_kg * 500);
  const model_obs_contract_t *mg = contract_of(o, "mag");
  assert_non_null(mg);
  assert_int_equal(mg->delivered_kg, 0);
  assert_int_equal(mg->excused_kg, 10000);
  assert_int_equal(mg->shortfall_kg, 0);
  assert_int_equal(mg->penalty_cents, 0);
  /* the proposal nobody accepted is gone */
  assert_null(contract_of(o, "lapse"));
  model_obs_free(o);
  helper_refused(st, em,
                 answer(MODEL_OP_CONTRACT_ACCEPT, "lapse", "dragon_mining"),
                 "id", "no proposal");
  /* the buyer leaves "mag" (excused every turn, so nothing else moves
   * with it): it pays the seller the penalty on min(2 turns left, 4) */
  model_state_t *plain;
  assert_int_equal(model_state_clone(st, &plain), 0);
  helper_submit1(st, em,
                 answer(MODEL_OP_CONTRACT_WITHDRAW, "mag", "dragon_magnets"));
  helper_resolve_clean(st);
  helper_resolve_clean(plain);
  assert_int_equal(model_observe(st, em, &o), 0);
  assert_null(contract_of(o, "mag"));
  model_obs_free(o);
  assert_int_equal(model_observe(st, mag, &o), 0);
  assert_null(contract_of(o, "mag"));
  model_obs_free(o);
  model_holder_flows_t a, b;
  assert_int_equal(model_state_holder_flows(st, (size_t)mag, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, (size_t)mag, &b), 0);
  assert_int_equal(a.money_in - b.money_in, (int64_t)10000 * 100 * 2);
  model_state_free(plain);
  model_state_free(st);
  model_map_free(m);
}

/* ---- controls ---- */

static void test_technology_ban_screen_and_building_abroad(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int chn = helper_seat(m, "CHN"), usa = helper_seat(m, "USA");
  int dm = helper_seat(m, "dragon_magnets"),
      em = helper_seat(m, "euro_magnets");
  model_order_t b = helper_order(MODEL_OP_BUILD);
  b.stage = MODEL_MAGNETS;
  b.capacity_kg_per_year = 1000000;
  strcpy(b.host, "USA");
  /* a magnet plant abroad stands in the host, under its capex factor and
   * subsidy (USA pays half) */
  model_order_t sub = pol(MODEL_POL_SUBSIDY);
  sub.stage = MODEL_MAGNETS;
  sub.capex_share_ppm = 500000;
  helper_submit1(st, usa, sub);
  model_state_t *plain;
  assert_int_equal(model_state_clone(st, &plain), 0);
  helper_submit1(st, em, b);
  helper_resolve_clean(st);
  helper_resolve_clean(plain);
  model_obs_t *o;
  assert_int_equal(model_observe(st, em, &o), 0);
  bool found = false;
  for (size_t k = 0; k < o->n_facilities; k++)
    if (strcmp(o->facilities[k].nation, "USA") == 0) {
      found = true;
      assert_int_equal(o->facilities[k].status, MODEL_FAC_BUILDING);
    }
  assert_true(found);
  int64_t capex = o->rules.capex_cents_per_kg_year[MODEL_MAGNETS] * 1000000;
  capex = capex *
          o->capex_factor_ppm[MODEL_MAGNETS * o->n_nations +
                              (size_t)nation_of(m, "USA")] /
          1000000;
  model_obs_free(o);
  /* the host paid half the capital cost, the firm the other half */
  model_holder_flows_t a, p;
  size_t usa_h = model_map_seat_count(m) + (size_t)nation_of(m, "USA");
  assert_int_equal(model_state_holder_flows(st, usa_h, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, usa_h, &p), 0);
  assert_int_equal(a.money_out - p.money_out, capex / 2);
  assert_int_equal(model_state_holder_flows(st, (size_t)em, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, (size_t)em, &p), 0);
  assert_int_equal(a.money_out - p.money_out, capex - capex / 2);
  /* once it runs, the plant abroad staffs itself from the host's pool (its
   * owner's staff at home are untouched) */
  int64_t staff = 0;
  for (int t = 0; t < 16 && staff == 0; t++) {
    helper_resolve_clean(st);
    helper_resolve_clean(plain);
    assert_int_equal(model_observe(st, em, &o), 0);
    for (size_t k = 0; k < o->n_facilities; k++)
      if (strcmp(o->facilities[k].nation, "USA") == 0)
        staff = o->facilities[k].staff;
    model_obs_free(o);
  }
  assert_true(staff > 0);
  model_obs_t *op_, *pp_;
  assert_int_equal(model_observe(st, usa, &op_), 0);
  assert_int_equal(model_observe(plain, usa, &pp_), 0);
  printf("  the EU maker's plant in the USA employs %lld people; the US "
         "magnet pool holds %lld, %lld without the plant\n",
         (long long)staff, (long long)op_->staff[MODEL_MAGNETS],
         (long long)pp_->staff[MODEL_MAGNETS]);
  assert_true(pp_->staff[MODEL_MAGNETS] - op_->staff[MODEL_MAGNETS] >=
              staff * 9 / 10);
  model_obs_free(op_);
  model_obs_free(pp_);
  assert_int_equal(model_observe(st, em, &op_), 0);
  assert_int_equal(model_observe(plain, em, &pp_), 0);
  assert_int_equal(op_->staff[MODEL_MAGNETS], pp_->staff[MODEL_MAGNETS]);
  model_obs_free(op_);
  model_obs_free(pp_);
  model_state_free(plain);
  /* China bans magnet technology to the USA: its firms may not build
   * magnet plants there; the USA screens magnet builds from the EU */
  model_order_t ban = pol(MODEL_POL_TECHNOLOGY_EXPORT_BAN);
  ban.stage = MODEL_MAGNETS;
  strcpy(ban.partner, "USA");
  helper_submit1(st, chn, ban);
  model_order_t scr = pol(MODEL_POL_INVESTMENT_SCREEN);
  scr.stage = MODEL_MAGNETS;
  strcpy(scr.partner, "EUU");
  helper_submit1(st, usa, scr);
  helper_resolve_clean(st);
  helper_refused(st, dm, b, "nation", "bans the export of magnet technology");
  helper_refused(st, em, b, "nation", "investment_screen");
  /* elsewhere and at home they still may */
  strcpy(b.host, "AUS");
  size_t n = 9;
  assert_int_equal(model_validate(st, dm, &b, 1, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
  /* the public policies list both */
  assert_int_equal(model_observe(st, usa, &o), 0);
  int seen = 0;
  for (size_t k = 0; k < o->n_public_policies; k++)
    seen +=
        o->public_policies[k].policy.kind == MODEL_POL_TECHNOLOGY_EXPORT_BAN ||
        o->public_policies[k].policy.kind == MODEL_POL_INVESTMENT_SCREEN;
  assert_int_equal(seen, 2);
  model_obs_free(o);
  /* a mine stands at its deposit: nation is refused for it */
  b.stage = MODEL_MINING;
  strcpy(b.site, "dragon_field");
  helper_refused(st, dm, b, "nation", "mine stands at its deposit");
  model_state_free(st);
  model_map_free(m);
}

/* A technology export ban stops migration of the stage's people to the
 * nations it covers. */
static void test_technology_ban_stops_migration(void **state) {
  (void)state;
  model_map_t *m = helper_load("world-2024");
  model_state_t *a, *b;
  assert_int_equal(model_state_new(m, 1, &a), 0);
  assert_int_equal(model_state_new(m, 1, &b), 0);
  /* the EU lets its mining people out (1% a quarter in world-2024); a
   * ban on mining technology from the EU to all keeps them */
  model_order_t mig = pol(MODEL_POL_MIGRATION);
  mig.skill = MODEL_MINING;
  mig.inbound = mig.outbound = true;
  model_order_t ban = pol(MODEL_POL_TECHNOLOGY_EXPORT_BAN);
  ban.stage = MODEL_MINING;
  model_order_t both[2] = {mig, ban};
  size_t n = 9;
  assert_int_equal(model_submit(b, helper_seat(m, "EUU"), both, 2, NULL, 0, &n),
                   0);
  assert_int_equal(n, 0);
  helper_submit1(a, helper_seat(m, "EUU"), mig);
  helper_resolve_clean(a);
  helper_resolve_clean(b);
  model_obs_t *oa, *ob;
  assert_int_equal(model_observe(a, helper_seat(m, "EUU"), &oa), 0);
  assert_int_equal(model_observe(b, helper_seat(m, "EUU"), &ob), 0);
  /* with the ban, the EU keeps more of its mining pool */
  assert_true(ob->staff[MODEL_MINING] > oa->staff[MODEL_MINING]);
  model_obs_free(oa);
  model_obs_free(ob);
  model_state_free(a);
  model_state_free(b);
  model_map_free(m);
}

/* A sanction: contract deliveries between the sanctioning nation's seats
 * and the firm are excused; the firm may not build in that nation; a
 * nation may not sanction its own firm. */
static void test_sanction(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int usa = helper_seat(m, "USA"), ds = helper_seat(m, "dragon_separation");
  helper_submit1(
      st, ds,
      proposal("s1", "mountain_minerals", MODEL_LACE, 1000, 100, 3, 1000));
  helper_resolve_clean(st);
  helper_submit1(st, helper_seat(m, "mountain_minerals"),
                 answer(MODEL_OP_CONTRACT_ACCEPT, "s1", "dragon_separation"));
  model_order_t s = pol(MODEL_POL_SANCTION);
  strcpy(s.firm, "dragon_separation");
  helper_submit1(st, usa, s);
  helper_resolve_clean(st);
  model_obs_t *o;
  assert_int_equal(model_observe(st, ds, &o), 0);
  const model_obs_contract_t *c = contract_of(o, "s1");
  assert_non_null(c);
  assert_int_equal(c->delivered_kg, 0);
  assert_int_equal(c->excused_kg, 1000);
  assert_int_equal(c->penalty_cents, 0);
  model_obs_free(o);
  model_order_t b = helper_order(MODEL_OP_BUILD);
  b.stage = MODEL_SEPARATION;
  b.capacity_kg_per_year = 1000000;
  strcpy(b.host, "USA");
  helper_refused(st, ds, b, "nation", "sanctions you");
  /* in the market, China's exports to the USA are capped at what China's
   * other sellers offer: Dragon Separation's oxides stop going there */
  int64_t to_usa[2] = {0, 0};
  for (int v = 0; v < 2; v++) {
    model_state_t *g;
    assert_int_equal(model_state_new(m, 1, &g), 0);
    if (v)
      helper_submit1(g, usa, s); /* s sanctions dragon_separation */
    helper_resolve_clean(g);
    const model_flow_t *f;
    for (int p = MODEL_NDPR; p <= MODEL_LACE; p++) {
      size_t nf = model_last_flows(g, p, &f);
      for (size_t k = 0; k < nf; k++)
        if ((size_t)f[k].from == (size_t)nation_of(m, "CHN") &&
            (size_t)f[k].to == (size_t)nation_of(m, "USA"))
          to_usa[v] += f[k].flow_kg;
    }
    model_state_free(g);
  }
  printf("  China's oxide exports to the USA in turn 0: %lld kg, with the "
         "sanction %lld kg\n",
         (long long)to_usa[0], (long long)to_usa[1]);
  assert_true(to_usa[0] > 0);
  assert_int_equal(to_usa[1], 0);
  strcpy(s.firm, "mountain_minerals");
  helper_refused(st, usa, s, "firm", "one of yours");
  model_state_free(st);
  model_map_free(m);
}

/* A licence on the exports basis caps a nation's exports at the approved
 * share of what it would export without it and never caps sales at home;
 * on the offers basis (the default) it behaves as before. */
static void test_licence_on_exports(void **state) {
  (void)state;
  model_map_t *m = helper_load("world-2024");
  int chn = helper_seat(m, "CHN");
  size_t n_chn = (size_t)nation_of(m, "CHN");
  int64_t exports[3] = {0, 0, 0}, home[3] = {0, 0, 0};
  for (int v = 0; v < 3; v++) {
    model_state_t *st;
    assert_int_equal(model_state_new(m, 1, &st), 0);
    model_order_t l = pol(MODEL_POL_EXPORT_LICENCE);
    l.product = MODEL_NDPR;
    l.approval_ppm = v == 0 ? 1000000 : 260000;
    if (v == 2)
      strcpy(l.choice, "exports");
    helper_submit1(st, chn, l);
    helper_resolve_clean(st);
    const model_flow_t *f;
    size_t nf = model_last_flows(st, MODEL_NDPR, &f);
    for (size_t k = 0; k < nf; k++)
      if ((size_t)f[k].from == n_chn)
        exports[v] += f[k].flow_kg;
    const model_trade_t *t;
    size_t nt = model_last_trades(st, MODEL_NDPR, &t);
    for (size_t k = 0; k < nt; k++)
      if ((size_t)t[k].nation == n_chn && t[k].is_bid)
        home[v] += t[k].filled_kg;
    /* observations say the basis */
    model_obs_t *o;
    assert_int_equal(model_observe(st, chn, &o), 0);
    for (size_t k = 0; k < o->n_policies; k++)
      if (o->policies[k].kind == MODEL_POL_EXPORT_LICENCE &&
          o->policies[k].product == MODEL_NDPR)
        assert_string_equal(o->policies[k].choice, v == 2 ? "exports" : "");
    model_obs_free(o);
    model_state_free(st);
  }
  printf("  CHN ndpr exports: unlicensed %lld kg, offers basis %lld kg, "
         "exports basis %lld kg\n",
         (long long)exports[0], (long long)exports[1], (long long)exports[2]);
  assert_true(exports[0] > 0);
  /* the exports basis: at most 26% of the unlicensed exports, and binding
   * (export demand is there) */
  assert_true(exports[2] <= exports[0] * 26 / 100 + 1);
  assert_true(exports[2] >= exports[0] * 25 / 100);
  /* the offers basis caps at 26% of everything offered: looser here */
  assert_true(exports[1] > exports[2]);
  /* what cannot leave stays at home: home buyers get at least as much */
  assert_true(home[2] >= home[0]);
  model_map_free(m);
}

/* Rules of origin: China's rule on magnets (the 0.1% rule of October
 * 2025, S64, S65) makes a magnet made in the EU with Chinese NdPr Chinese:
 * the EU maker's magnets are controlled, and with approval 0 the EU's
 * magnet exports stop while its home sales go on; a threshold above the
 * Chinese share of the magnet's value leaves them free. */
static int64_t exports_of(const model_state_t *st, const model_map_t *m, int p,
                          const char *nation) {
  const model_flow_t *f;
  size_t n = model_last_flows(st, p, &f);
  int64_t e = 0;
  for (size_t k = 0; k < n; k++)
    if ((size_t)f[k].from == (size_t)nation_of(m, nation))
      e += f[k].flow_kg;
  return e;
}

/* China bans magnet exports and, with `threshold` > 0, sets its rule of
 * origin on magnets at that threshold with approval 0; the separators
 * outside China keep their NdPr, so the EU maker buys China's. */
static void china_magnet_controls(model_state_t *st, const model_map_t *m,
                                  int64_t threshold) {
  model_order_t orders[2];
  orders[0] = pol(MODEL_POL_EXPORT_BAN);
  orders[0].product = MODEL_MAGNET;
  orders[1] = pol(MODEL_POL_ORIGIN_RULE);
  orders[1].product = MODEL_MAGNET;
  orders[1].rate_ppm = threshold;
  orders[1].approval_ppm = 0;
  size_t n = 9;
  assert_int_equal(model_submit(st, helper_seat(m, "CHN"), orders,
                                threshold > 0 ? 2 : 1, NULL, 0, &n),
                   0);
  assert_int_equal(n, 0);
  model_order_t keep = helper_order(MODEL_OP_OFFER);
  keep.product = MODEL_NDPR;
  helper_submit1(st, helper_seat(m, "mountain_minerals"), keep);
  helper_submit1(st, helper_seat(m, "kangaroo_rare"), keep);
}

static void test_origin_rule(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  int usa = helper_seat(m, "USA"), em = helper_seat(m, "euro_magnets");
  int64_t exports[3] = {0, 0, 0}, controlled[3] = {0, 0, 0},
          sales[3] = {0, 0, 0};
  for (int v = 0; v < 3; v++) {
    model_state_t *st;
    assert_int_equal(model_state_new(m, 1, &st), 0);
    /* China exports no magnets, and the USA bids high for them: the EU's
     * magnets would go there (rule: none, 0.1%, or 90% of value) */
    china_magnet_controls(st, m, v == 0 ? 0 : v == 1 ? 1000 : 900000);
    model_order_t bid = helper_order(MODEL_OP_BID);
    bid.product = MODEL_MAGNET;
    bid.quantity_kg = 2000000;
    bid.price_cents_per_kg = 90000;
    helper_submit1(st, usa, bid);
    for (int t = 0; t < 4; t++) {
      helper_resolve_clean(st);
      model_obs_t *o;
      assert_int_equal(model_observe(st, em, &o), 0);
      assert_true(v == 0 || o->origin_tracked);
      controlled[v] += o->controlled_kg[MODEL_NDPR];
      model_obs_free(o);
      if (t < 1)
        continue;
      exports[v] += exports_of(st, m, MODEL_MAGNET, "EUU");
      model_holder_flows_t fl;
      assert_int_equal(model_state_holder_flows(st, (size_t)em, &fl), 0);
      sales[v] += fl.sold[MODEL_MAGNET];
    }
    if (v == 1) {
      /* the rule is public */
      model_obs_t *o;
      assert_int_equal(model_observe(st, em, &o), 0);
      bool seen = false;
      for (size_t k = 0; k < o->n_public_policies; k++)
        seen |= o->public_policies[k].policy.kind == MODEL_POL_ORIGIN_RULE &&
                o->public_policies[k].policy.rate_ppm == 1000;
      assert_true(seen);
      model_obs_free(o);
    }
    model_state_free(st);
  }
  printf("  EU magnet exports, turns 1-3: no rule %lld kg, 0.1%% rule %lld "
         "kg, 90%% rule %lld kg; the EU maker's sales %lld / %lld / %lld "
         "kg\n",
         (long long)exports[0], (long long)exports[1], (long long)exports[2],
         (long long)sales[0], (long long)sales[1], (long long)sales[2]);
  assert_true(exports[0] > 0);
  assert_int_equal(exports[1], 0);
  assert_true(exports[2] > 0);
  assert_true(sales[1] > 0);      /* sold at home */
  assert_true(controlled[1] > 0); /* Chinese NdPr held in the EU */
  model_map_free(m);
}

/* A rule of origin binds goods that leave outside the market too: under
 * China's 0.1% rule on magnets with approval 0, the EU maker's magnets
 * (made with Chinese NdPr) under a contract to the USA are excused; with
 * China's export ban alone they are delivered. */
static void test_origin_rule_contracts(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  int usa = helper_seat(m, "USA"), em = helper_seat(m, "euro_magnets");
  int64_t delivered[2] = {0, 0}, excused[2] = {0, 0};
  for (int v = 0; v < 2; v++) {
    model_state_t *st;
    assert_int_equal(model_state_new(m, 1, &st), 0);
    china_magnet_controls(st, m, v ? 1000 : 0);
    helper_submit1(st, em,
                   proposal("eu-us", "USA", MODEL_MAGNET, 50000, 9000, 4, 0));
    helper_resolve_clean(st);
    helper_submit1(st, usa,
                   answer(MODEL_OP_CONTRACT_ACCEPT, "eu-us", "euro_magnets"));
    for (int t = 0; t < 3; t++) {
      helper_resolve_clean(st);
      model_obs_t *o;
      assert_int_equal(model_observe(st, em, &o), 0);
      const model_obs_contract_t *c = contract_of(o, "eu-us");
      assert_non_null(c);
      if (v) /* Chinese NdPr held in the EU */
        assert_true(o->controlled_kg[MODEL_NDPR] > 0);
      delivered[v] += c->delivered_kg;
      excused[v] += c->excused_kg;
      model_obs_free(o);
    }
    model_state_free(st);
  }
  printf("  EU magnets to the USA under contract, 3 turns: ban alone %lld kg "
         "delivered, with the rule %lld kg (%lld kg excused)\n",
         (long long)delivered[0], (long long)delivered[1],
         (long long)excused[1]);
  assert_int_equal(delivered[0], 150000);
  assert_true(excused[1] > 0);
  assert_true(delivered[1] < delivered[0]);
  assert_int_equal(delivered[1] + excused[1], 150000);
  model_map_free(m);
}

/* Qualification (design K): on a map with parameters.qualification, a
 * nation's magnet offtake from a supplier not yet qualified is excused; a
 * firm qualifies after the map's turns of magnet output and then
 * delivers. */
static model_map_t *qualification_map(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/classroom.json", LAN_SOURCE_MAPS);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char text[1 << 20], out[(1 << 20) + 512];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  const char *at = strstr(text, "\"parameters\": {");
  assert_non_null(at);
  size_t head = (size_t)(at - text) + strlen("\"parameters\": {");
  snprintf(out, sizeof out,
           "%.*s\"qualification\": {\"turns\": 2, "
           "\"min_output\": 1, \"qualified\": [\"dragon_magnets\"]}, %s",
           (int)head, text, text + head);
  model_map_t *m;
  model_error_t err;
  if (model_map_load_string(out, strlen(out), "classroom+qualification", &m,
                            &err) != 0)
    fail_msg("%s:%d:%d: %s", err.file, err.line, err.column, err.message);
  return m;
}

static void test_qualification(void **state) {
  (void)state;
  model_map_t *m = qualification_map();
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int usa = helper_seat(m, "USA"), em = helper_seat(m, "euro_magnets");
  model_obs_t *o;
  assert_int_equal(model_observe(st, em, &o), 0);
  assert_true(o->qualification && !o->qualified);
  assert_int_equal(o->qualification_turns, 2);
  for (size_t k = 0; k < o->n_scores; k++)
    assert_int_equal(o->scores[k].qualified,
                     strcmp(o->scores[k].seat, "dragon_magnets") == 0);
  model_obs_free(o);
  model_order_t p =
      proposal("defence", "euro_magnets", MODEL_MAGNET, 10000, 20000, 4, 100);
  strcpy(p.choice, "buy");
  helper_submit1(st, usa, p);
  helper_resolve_clean(
      st); /* turn 0: Euro Magnets makes magnets: 1 qualifying turn */
  helper_submit1(st, em, answer(MODEL_OP_CONTRACT_ACCEPT, "defence", "USA"));
  helper_resolve_clean(st); /* turn 1: not yet qualified when it delivers */
  assert_int_equal(model_observe(st, em, &o), 0);
  const model_obs_contract_t *c = contract_of(o, "defence");
  assert_non_null(c);
  assert_int_equal(c->delivered_kg, 0);
  assert_int_equal(c->excused_kg, 10000);
  assert_int_equal(c->penalty_cents, 0);
  assert_true(o->qualified); /* two turns of output: qualified now */
  assert_int_equal(o->qualification_turns_done, 2);
  model_obs_free(o);
  helper_resolve_clean(st); /* turn 2: qualified, it delivers */
  assert_int_equal(model_observe(st, em, &o), 0);
  c = contract_of(o, "defence");
  assert_non_null(c);
  assert_int_equal(c->excused_kg, 0);
  assert_true(c->delivered_kg > 0);
  model_obs_free(o);
  /* it survives serialisation */
  uint8_t *buf;
  size_t len;
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  model_state_t *back;
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  free(buf);
  model_state_free(back);
  model_state_free(st);
  model_map_free(m);
}

/* Serialisation keeps the deals (round trip, same hash), and a game with
 * none keeps its old bytes (no section). */
static void test_serialise_round_trip(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  uint8_t *plain_buf;
  size_t plain_len;
  assert_int_equal(model_state_serialise(st, &plain_buf, &plain_len), 0);
  helper_submit1(
      st, helper_seat(m, "dragon_separation"),
      proposal("k", "dragon_magnets", MODEL_NDPR, 1000, 4000, 4, 10));
  model_order_t l = helper_order(MODEL_OP_LOAN);
  strcpy(l.firm, "euro_magnets");
  l.amount_cents = 100000000;
  l.rate_ppm = 80000;
  l.turns = 8;
  helper_submit1(st, helper_seat(m, "EUU"), l);
  helper_resolve_clean(st);
  helper_submit1(st, helper_seat(m, "dragon_magnets"),
                 answer(MODEL_OP_CONTRACT_ACCEPT, "k", "dragon_separation"));
  uint8_t *buf;
  size_t len;
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  model_state_t *back;
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  /* both play on identically */
  helper_resolve_clean(st);
  helper_resolve_clean(back);
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  model_state_t *cl;
  assert_int_equal(model_state_clone(st, &cl), 0);
  assert_int_equal(model_state_hash(cl, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  /* a truncated section is refused; a game without deals has none */
  model_state_t *bad = NULL;
  assert_int_equal(model_state_deserialise(m, buf, len - 1, &bad),
                   MODEL_ESTATE);
  assert_null(memmem(plain_buf, plain_len, "\001deals", 6));
  assert_non_null(memmem(buf, len, "\001deals", 6));
  free(buf);
  free(plain_buf);
  model_state_free(cl);
  model_state_free(back);
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grant_and_equity),
      cmocka_unit_test(test_loan_repaid_to_the_cent),
      cmocka_unit_test(test_firm_price_floor_and_cfd),
      cmocka_unit_test(test_contract_life),
      cmocka_unit_test(test_contract_signed),
      cmocka_unit_test(test_contract_formula),
      cmocka_unit_test(test_contract_consumed),
      cmocka_unit_test(test_contract_penalty_ban_and_exit),
      cmocka_unit_test(test_technology_ban_screen_and_building_abroad),
      cmocka_unit_test(test_technology_ban_stops_migration),
      cmocka_unit_test(test_sanction),
      cmocka_unit_test(test_licence_on_exports),
      cmocka_unit_test(test_origin_rule),
      cmocka_unit_test(test_origin_rule_contracts),
      cmocka_unit_test(test_qualification),
      cmocka_unit_test(test_serialise_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
