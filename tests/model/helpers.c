/* helpers.c: shared test helpers (see helpers.h). */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

const char *const helper_maps[] = {"classroom", "cournot",    "learning",
                                   "trade",     "world-2024", "licensing-2025"};
const size_t helper_n_maps = sizeof helper_maps / sizeof helper_maps[0];

model_map_t *helper_load(const char *id) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", LAN_SOURCE_MAPS, id);
  model_map_t *m = NULL;
  model_error_t e;
  /* A shipped map that is missing is a broken tree, not a reason to test
   * less: say which file should be there. */
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("shipped map %s is missing or unreadable: every map of "
             "helper_maps[] must be in maps/ (restore it, or drop it from "
             "the list in tests/model/helpers.c)",
             path);
  fclose(f);
  int rc = model_map_load_file(path, &m, &e);
  if (rc)
    fail_msg("%s:%d:%d: %s (%s)", e.file, e.line, e.column, e.message,
             model_strerror(rc));
  return m;
}

uint64_t helper_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * UINT64_C(2685821657736338717);
}

int64_t helper_range(uint64_t *s, int64_t lo, int64_t hi) {
  if (hi <= lo)
    return lo;
  return lo + (int64_t)(helper_rand(s) % (uint64_t)(hi - lo + 1));
}

int64_t helper_money_total(const model_state_t *st) {
  int64_t t = 0;
  for (size_t h = 0; h < model_state_holder_count(st); h++)
    t += model_state_holder_money(st, h);
  return t;
}

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      print_error("%s: ", where);                                              \
      print_error(__VA_ARGS__);                                                \
      print_error("\n");                                                       \
      fail();                                                                  \
    }                                                                          \
  } while (0)

/* Rules of origin: a firm's tracked content of a product is part of its
 * goods, never more than it holds (a market that gave buyers the content
 * of kg others bought broke this, and then a route's capacity). */
static void check_content(const model_state_t *st, const char *where) {
  const model_map_t *m = model_state_map(st);
  for (size_t s = 0; s < model_map_seat_count(m); s++) {
    if (model_map_seat_kind(m, s) != MODEL_SEAT_FIRM)
      continue;
    model_obs_t *o = NULL;
    assert_int_equal(model_observe(st, (int)s, &o), 0);
    for (int p = 0; p < MODEL_PRODUCTS; p++)
      if (o->controlled_kg[p] > o->inventory_kg[p])
        fail_msg("%s: %s holds %lld kg of %s of which %lld kg tracked", where,
                 model_map_seat_id(m, s), (long long)o->inventory_kg[p],
                 model_product_name(p), (long long)o->controlled_kg[p]);
    model_obs_free(o);
  }
}

void helper_check_invariants(const model_state_t *st,
                             const int64_t *money_before, const char *where) {
  const model_report_t *r = model_last_report(st);
  check_content(st, where);
  size_t H = model_state_holder_count(st);
  size_t N = r->n_nations;
  int64_t opening[MODEL_PRODUCTS] = {0}, closing[MODEL_PRODUCTS] = {0};
  int64_t bought[MODEL_PRODUCTS] = {0}, sold[MODEL_PRODUCTS] = {0};
  int64_t hprod[MODEL_PRODUCTS] = {0}, hcons[MODEL_PRODUCTS] = {0};
  int64_t money_delta = 0;
  for (size_t h = 0; h < H; h++) {
    model_holder_flows_t f;
    assert_int_equal(model_state_holder_flows(st, h, &f), 0);
    for (int p = 0; p < MODEL_PRODUCTS; p++) {
      int64_t inv = model_state_holder_inventory(st, h, p);
      CHECK(inv >= 0, "holder %zu has negative %s", h, model_product_name(p));
      CHECK(f.opening[p] + f.produced[p] + f.bought[p] ==
                f.consumed[p] + f.sold[p] + inv,
            "material balance of holder %zu, %s: %lld + %lld + %lld != "
            "%lld + %lld + %lld",
            h, model_product_name(p), (long long)f.opening[p],
            (long long)f.produced[p], (long long)f.bought[p],
            (long long)f.consumed[p], (long long)f.sold[p], (long long)inv);
      opening[p] += f.opening[p];
      closing[p] += inv;
      bought[p] += f.bought[p];
      sold[p] += f.sold[p];
      hprod[p] += f.produced[p];
      hcons[p] += f.consumed[p];
    }
    int64_t money = model_state_holder_money(st, h);
    CHECK(f.money_opening + f.money_in - f.money_out == money,
          "money balance of holder %zu: %lld + %lld - %lld != %lld", h,
          (long long)f.money_opening, (long long)f.money_in,
          (long long)f.money_out, (long long)money);
    money_delta += money - f.money_opening;
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    int64_t final_use = r->consumed[p] - hcons[p];
    CHECK(final_use >= 0, "negative final demand of %s", model_product_name(p));
    CHECK(hprod[p] == r->produced[p],
          "production of %s: holders %lld, "
          "report %lld",
          model_product_name(p), (long long)hprod[p],
          (long long)r->produced[p]);
    CHECK(sold[p] == bought[p] + final_use,
          "market of %s: sold %lld != bought %lld + final demand %lld",
          model_product_name(p), (long long)sold[p], (long long)bought[p],
          (long long)final_use);
    CHECK(opening[p] + r->produced[p] == r->consumed[p] + closing[p],
          "world balance of %s: %lld + %lld != %lld + %lld",
          model_product_name(p), (long long)opening[p],
          (long long)r->produced[p], (long long)r->consumed[p],
          (long long)closing[p]);
  }
  if (money_before)
    CHECK(helper_money_total(st) - *money_before ==
              r->money_sources - r->money_sinks,
          "world money: change %lld != sources %lld - sinks %lld",
          (long long)(helper_money_total(st) - *money_before),
          (long long)r->money_sources, (long long)r->money_sinks);
  CHECK(money_delta == r->money_sources - r->money_sinks,
        "money: sum of changes %lld != sources %lld - sinks %lld",
        (long long)money_delta, (long long)r->money_sources,
        (long long)r->money_sinks);
  /* market sanity */
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    const model_trade_t *t;
    size_t nt = model_last_trades(st, p, &t);
    for (size_t k = 0; k < nt; k++) {
      CHECK(t[k].filled_kg >= 0 && t[k].filled_kg <= t[k].quantity_kg,
            "%s: a fill outside 0..quantity", model_product_name(p));
      if (t[k].filled_kg == 0)
        continue;
      if (t[k].is_bid)
        CHECK(t[k].price_cents <= t[k].limit_cents,
              "%s: holder %d bought at %lld above its bid %lld",
              model_product_name(p), t[k].holder, (long long)t[k].price_cents,
              (long long)t[k].limit_cents);
      else
        CHECK(t[k].price_cents >= t[k].limit_cents,
              "%s: holder %d sold at %lld below its floor %lld",
              model_product_name(p), t[k].holder, (long long)t[k].price_cents,
              (long long)t[k].limit_cents);
    }
    const model_flow_t *fl;
    size_t nf = model_last_flows(st, p, &fl);
    for (size_t k = 0; k < nf; k++) {
      CHECK(fl[k].flow_kg >= 0, "negative flow");
      if (fl[k].cap_kg >= 0)
        CHECK(fl[k].flow_kg <= fl[k].cap_kg,
              "%s: flow %d->%d of %lld breaks its cap %lld",
              model_product_name(p), fl[k].from, fl[k].to,
              (long long)fl[k].flow_kg, (long long)fl[k].cap_kg);
      bool free_arc = !fl[k].capped;
      int64_t ps = model_last_seller_price(st, p, (size_t)fl[k].from);
      int64_t pb = r->regional[(size_t)p * N + (size_t)fl[k].to];
      int64_t wedge = fl[k].transport_cents + fl[k].tariff_cents;
      /* no arbitrage left on a free arc (buying where sellers sell, paying
       * transport and tariff, and selling to buyers there) */
      if (free_arc && fl[k].flow_kg > 0)
        CHECK(pb - ps == wedge,
              "%s: trade %d->%d flows freely but prices %lld -> %lld differ "
              "by more than transport + tariff %lld",
              model_product_name(p), fl[k].from, fl[k].to, (long long)ps,
              (long long)pb, (long long)wedge);
      if (free_arc)
        CHECK(pb - ps <= wedge,
              "%s: arbitrage left on free arc %d->%d: %lld -> %lld, wedge "
              "%lld",
              model_product_name(p), fl[k].from, fl[k].to, (long long)ps,
              (long long)pb, (long long)wedge);
      if (fl[k].flow_kg > 0)
        CHECK(pb - ps >= wedge, "%s: a flow that loses money",
              model_product_name(p));
    }
  }
}

int helper_seat(const model_map_t *m, const char *id) {
  int s = model_map_seat_index(m, id);
  assert_true(s >= 0);
  return s;
}

model_order_t helper_order(model_op_t op) {
  model_order_t x;
  memset(&x, 0, sizeof x);
  x.op = op;
  x.stage = x.product = x.skill = -1;
  return x;
}

void helper_submit1(model_state_t *st, int s, model_order_t o) {
  model_refusal_t r;
  size_t n = 9;
  assert_int_equal(model_submit(st, s, &o, 1, &r, 1, &n), 0);
  if (n)
    fail_msg("%s refused: %s: %s", model_op_name(o.op), r.field, r.message);
}

void helper_resolve(model_state_t *st, const char *where) {
  int64_t before = helper_money_total(st);
  assert_int_equal(model_resolve(st), 0);
  helper_check_invariants(st, &before, where);
}

void helper_resolve_clean(model_state_t *st) {
  char where[64];
  snprintf(where, sizeof where, "turn %d", model_state_turn(st));
  helper_resolve(st, where);
  assert_int_equal(model_last_report(st)->n_late_refusals, 0);
}

void helper_refused(model_state_t *st, int s, model_order_t o,
                    const char *field, const char *words) {
  model_refusal_t r;
  size_t n = 0;
  assert_int_equal(model_validate(st, s, &o, 1, &r, 1, &n), 0);
  if (n != 1)
    fail_msg("%s was accepted; expected a refusal on %s", model_op_name(o.op),
             field);
  assert_string_equal(r.field, field);
  if (!strstr(r.message, words))
    fail_msg("message \"%s\" does not say \"%s\"", r.message, words);
}
