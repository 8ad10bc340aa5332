/*
 * Amendments (issue 13, model/amend.c; docs/model.md "Amendments"): a
 * control cell's corrections of a turn's result keep the model's books
 * (money and material balance per holder and for the world, the same
 * checks every turn passes), are deterministic, refuse what is out of
 * range with a sentence saying what would be right and then leave the
 * state as it was, and a refused order or a production cap resolves the
 * turn again within the model's rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

static model_amendment_t amendment(model_amend_kind_t kind, int s,
                                   const char *reason) {
  model_amendment_t a;
  memset(&a, 0, sizeof a);
  a.kind = kind;
  a.seat = s;
  snprintf(a.reason, sizeof a.reason, "%s", reason);
  return a;
}

static void hash_of(const model_state_t *st, uint8_t h[MODEL_HASH_BYTES]) {
  assert_int_equal(model_state_hash(st, h), 0);
}

/* The money of a seat's holder (a firm's cash, a nation seat's budget). */
static int64_t seat_money(const model_state_t *st, int s) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, s, &o), 0);
  int64_t c = o->cash_cents;
  model_obs_free(o);
  return c;
}

/* Resolve one turn of st, returning the money total before it. */
static int64_t resolve(model_state_t *st) {
  int64_t before = helper_money_total(st);
  assert_int_equal(model_resolve(st), 0);
  return before;
}

/* Expect a refusal whose sentence holds `needle`, and the state unchanged
 * (same hash). */
static void refused(model_state_t *st, const model_amendment_t *a,
                    const char *needle) {
  uint8_t h0[MODEL_HASH_BYTES], h1[MODEL_HASH_BYTES];
  char err[MODEL_MESSAGE_MAX];
  hash_of(st, h0);
  err[0] = '\0';
  if (model_amend(st, a, err, sizeof err) != MODEL_EINVAL)
    fail_msg("an amendment expected refused with '%s' was applied", needle);
  if (!strstr(err, needle))
    fail_msg("expected '%s' in the refusal, got '%s'", needle, err);
  hash_of(st, h1);
  assert_memory_equal(h0, h1, MODEL_HASH_BYTES);
}

/* cash: the seat's money changes by exactly the amount, booked as a
 * money source or sink, and every balance still holds. */
static void test_cash_keeps_the_books(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int64_t before = resolve(st);
  int dm = helper_seat(m, "dragon_mining"), usa = helper_seat(m, "USA");
  int64_t c_dm = seat_money(st, dm), c_usa = seat_money(st, usa);
  int64_t src = model_last_report(st)->money_sources;
  int64_t snk = model_last_report(st)->money_sinks;
  model_amendment_t a = amendment(MODEL_AMEND_CASH, dm, "an emergency grant");
  a.amount_cents = 123456789;
  char err[MODEL_MESSAGE_MAX];
  assert_int_equal(model_amend(st, &a, err, sizeof err), 0);
  a = amendment(MODEL_AMEND_CASH, usa, "a fine");
  a.amount_cents = -1000;
  assert_int_equal(model_amend(st, &a, err, sizeof err), 0);
  assert_int_equal(seat_money(st, dm), c_dm + 123456789);
  assert_int_equal(seat_money(st, usa), c_usa - 1000);
  assert_int_equal(model_last_report(st)->money_sources, src + 123456789);
  assert_int_equal(model_last_report(st)->money_sinks, snk + 1000);
  helper_check_invariants(st, &before, "after cash amendments");
  /* and the game goes on from the amended state */
  before = resolve(st);
  helper_check_invariants(st, &before, "the turn after");
  model_state_free(st);
  model_map_free(m);
}

/* Out of range or unknown: refused with a sentence, state unchanged. */
static void test_bad_amendments(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int dm = helper_seat(m, "dragon_mining"), usa = helper_seat(m, "USA");
  model_amendment_t a = amendment(MODEL_AMEND_CASH, dm, "too early");
  a.amount_cents = 5;
  refused(st, &a, "no turn has been resolved");
  (void)resolve(st);
  a = amendment(MODEL_AMEND_CASH, dm, "");
  a.amount_cents = 5;
  refused(st, &a, "'reason' is required");
  a = amendment(MODEL_AMEND_CASH, -1, "r");
  refused(st, &a, "'seat'");
  a = amendment(MODEL_AMEND_CASH, dm, "r");
  a.amount_cents = 0;
  refused(st, &a, "non-zero");
  a.amount_cents = INT64_MAX;
  refused(st, &a, "non-zero");
  /* below the least a firm may hold: its credit limit, or nothing */
  int64_t floor = model_state_holder_floor(st, (size_t)dm);
  if (floor == INT64_MIN)
    floor = 0;
  a.amount_cents = -(seat_money(st, dm) - floor + 1);
  refused(st, &a, "the least it may hold");
  a = amendment((model_amend_kind_t)9, dm, "r");
  refused(st, &a, "'kind'");
  a = amendment(MODEL_AMEND_PRODUCTION, dm, "r");
  strcpy(a.facility, "no_such_plant");
  refused(st, &a, "no facility 'no_such_plant'");
  model_obs_t *o;
  assert_int_equal(model_observe(st, dm, &o), 0);
  assert_true(o->n_facilities > 0);
  strcpy(a.facility, o->facilities[0].id);
  int64_t cap = o->facilities[0].capacity_kg_per_year / 4;
  model_obs_free(o);
  a.seat = usa;
  refused(st, &a, "is not seat USA's");
  a.seat = dm;
  a.kg = cap + 1;
  refused(st, &a, "can make at most");
  a.kg = -1;
  refused(st, &a, "can make at most");
  a = amendment(MODEL_AMEND_REFUSE_ORDER, usa, "r");
  a.order = 0;
  refused(st, &a, "has 0 accepted orders");
  a = amendment(MODEL_AMEND_DELIVERY, usa, "r");
  strcpy(a.contract, "none");
  refused(st, &a, "no running contract 'none'");
  model_state_free(st);
  model_map_free(m);
}

/* refuse_order: the turn resolved without the order is the turn in which
 * it was never ordered, bit for bit. */
static void test_refused_order_is_never_ordered(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *a, *b;
  assert_int_equal(model_state_new(m, 2, &a), 0);
  assert_int_equal(model_state_new(m, 2, &b), 0);
  int usa = helper_seat(m, "USA");
  model_order_t tax = helper_order(MODEL_OP_POLICY);
  tax.kind = MODEL_POL_TAX;
  tax.rate_ppm = 200000;
  strcpy(tax.partner, "all");
  helper_submit1(a, usa, tax);
  model_amendment_t x = amendment(MODEL_AMEND_REFUSE_ORDER, usa, "struck");
  x.order = 0;
  char err[MODEL_MESSAGE_MAX];
  assert_int_equal(model_amend(a, &x, err, sizeof err), 0);
  assert_int_equal(model_resolve(a), 0);
  assert_int_equal(model_resolve(b), 0);
  uint8_t ha[MODEL_HASH_BYTES], hb[MODEL_HASH_BYTES];
  hash_of(a, ha);
  hash_of(b, hb);
  assert_memory_equal(ha, hb, MODEL_HASH_BYTES);
  model_state_free(a);
  model_state_free(b);
  model_map_free(m);
}

/* production: a plant capped for one turn makes exactly the cap (its
 * feed, sales and books follow as in any turn), the cap binds that
 * resolution only, and the same amendments give the same state. */
static void test_production_cap(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *plain, *a, *b;
  assert_int_equal(model_state_new(m, 3, &plain), 0);
  assert_int_equal(model_state_clone(plain, &a), 0);
  assert_int_equal(model_state_clone(plain, &b), 0);
  int64_t before = resolve(plain);
  int dm = helper_seat(m, "dragon_mining");
  model_obs_t *o;
  assert_int_equal(model_observe(plain, dm, &o), 0);
  assert_true(o->facilities[0].output_kg > 2);
  char fac[MODEL_ID_MAX];
  snprintf(fac, sizeof fac, "%s", o->facilities[0].id);
  int64_t out = o->facilities[0].output_kg;
  model_obs_free(o);
  model_amendment_t x = amendment(MODEL_AMEND_PRODUCTION, dm, "a strike");
  strcpy(x.facility, fac);
  x.kg = out / 2;
  char err[MODEL_MESSAGE_MAX];
  assert_int_equal(model_amend(a, &x, err, sizeof err), 0);
  assert_int_equal(model_amend(b, &x, err, sizeof err), 0);
  before = resolve(a);
  helper_check_invariants(a, &before, "a capped turn");
  (void)resolve(b);
  assert_int_equal(model_observe(a, dm, &o), 0);
  assert_int_equal(o->facilities[0].output_kg, out / 2);
  model_obs_free(o);
  uint8_t ha[MODEL_HASH_BYTES], hb[MODEL_HASH_BYTES], hp[MODEL_HASH_BYTES];
  hash_of(a, ha);
  hash_of(b, hb);
  hash_of(plain, hp);
  assert_memory_equal(ha, hb, MODEL_HASH_BYTES);
  assert_memory_not_equal(ha, hp, MODEL_HASH_BYTES);
  /* the next turn is uncapped: the plant makes its full output again */
  (void)resolve(a);
  (void)resolve(plain);
  model_obs_t *p;
  assert_int_equal(model_observe(a, dm, &o), 0);
  assert_int_equal(model_observe(plain, dm, &p), 0);
  assert_true(o->facilities[0].output_kg > out / 2);
  model_obs_free(o);
  model_obs_free(p);
  model_state_free(plain);
  model_state_free(a);
  model_state_free(b);
  model_map_free(m);
}

/* delivery: a contract's delivery of the turn cut; the goods go back to
 * the seller, the price back to the buyer, and the books balance. */
static void test_delivery_cut(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int sep = helper_seat(m, "dragon_separation"),
      mag = helper_seat(m, "dragon_magnets");
  model_order_t p = helper_order(MODEL_OP_CONTRACT_PROPOSE);
  strcpy(p.contract, "ndpr-1");
  strcpy(p.seat, "dragon_magnets");
  p.product = MODEL_NDPR;
  p.quantity_kg = 100000;
  p.price_cents_per_kg = 4500;
  p.turns = 2;
  helper_submit1(st, sep, p);
  (void)resolve(st);
  model_order_t acc = helper_order(MODEL_OP_CONTRACT_ACCEPT);
  strcpy(acc.contract, "ndpr-1");
  strcpy(acc.seat, "dragon_separation");
  helper_submit1(st, mag, acc);
  int64_t before = resolve(st);
  model_holder_flows_t fs, fb;
  assert_int_equal(model_state_holder_flows(st, (size_t)sep, &fs), 0);
  assert_int_equal(model_state_holder_flows(st, (size_t)mag, &fb), 0);
  int64_t inv_s = model_state_holder_inventory(st, (size_t)sep, MODEL_NDPR);
  int64_t inv_b = model_state_holder_inventory(st, (size_t)mag, MODEL_NDPR);
  int64_t m_s = seat_money(st, sep), m_b = seat_money(st, mag);
  int64_t cut = inv_b < 1000 ? inv_b : 1000;
  assert_true(cut > 0); /* the buyer still holds some of it */
  model_amendment_t x = amendment(MODEL_AMEND_DELIVERY, mag, "a port strike");
  strcpy(x.contract, "ndpr-1");
  x.kg = 100000 - cut;
  char err[MODEL_MESSAGE_MAX];
  assert_int_equal(model_amend(st, &x, err, sizeof err), 0);
  assert_int_equal(model_state_holder_inventory(st, (size_t)sep, MODEL_NDPR),
                   inv_s + cut);
  assert_int_equal(model_state_holder_inventory(st, (size_t)mag, MODEL_NDPR),
                   inv_b - cut);
  assert_int_equal(seat_money(st, sep), m_s - cut * 4500);
  assert_int_equal(seat_money(st, mag), m_b + cut * 4500);
  helper_check_invariants(st, &before, "after a delivery cut");
  x.kg = 100000; /* not below what is now delivered */
  refused(st, &x, "must be from 0 to");
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cash_keeps_the_books),
      cmocka_unit_test(test_bad_amendments),
      cmocka_unit_test(test_refused_order_is_never_ordered),
      cmocka_unit_test(test_production_cap),
      cmocka_unit_test(test_delivery_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
