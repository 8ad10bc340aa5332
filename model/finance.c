/* finance.c: the limits on money (docs/model.md, "Money limits"): how much
 * a seat may still spend (its headroom), the lowest its money may go (its
 * floor), and firms' credit limits from their collateral. Layer 1: it
 * reads the state and calls only util.c. The turn's interest, arrears and
 * defaults are in turn.c; the checks of orders in orders.c; the caps on
 * bids in market.c. */
#include "model_internal.h"

#include <stdio.h>

static int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

int64_t model_headroom(const model_state_t *st, int32_t holder) {
  size_t S = st->n_seats;
  if ((size_t)holder < S) {
    const seat_t *se = &st->seats[holder];
    return sat_add(se->cash, se->credit_limit);
  }
  size_t n = (size_t)holder - S;
  const nation_t *na = &st->nations[n];
  int64_t lim = st->map->nations[n].deficit_limit;
  if (lim < 0)
    return MODEL_HEADROOM_NONE;
  return sat_add(sat_add(na->budget, lim), -na->arrears);
}

int64_t model_money_floor(const model_state_t *st, int32_t holder) {
  size_t S = st->n_seats;
  if ((size_t)holder < S)
    return st->map->finance ? -st->seats[holder].credit_limit : INT64_MIN;
  int64_t lim = st->map->nations[(size_t)holder - S].deficit_limit;
  return lim < 0 ? INT64_MIN : -lim;
}

int64_t model_state_holder_floor(const model_state_t *st, size_t holder) {
  return st && holder < st->n_seats + st->n_nations
             ? model_money_floor(st, (int32_t)holder)
             : INT64_MIN;
}

void model_credit_limits(model_state_t *st) {
  const model_map_t *m = st->map;
  if (!m->finance)
    return;
  for (size_t s = 0; s < st->n_seats; s++) {
    seat_t *se = &st->seats[s];
    if (m->seats[s].kind != MODEL_SEAT_FIRM || se->receivership > 0)
      continue;
    /* collateral: book value of its facilities and its inventory at last
     * turn's world prices (net worth without cash), saturating: a limit
     * is never more than the credit line anyway */
    int64_t c = 0, v;
    for (int32_t f = se->first_fac; f >= 0; f = st->fac[f].next_of_owner)
      c = sat_add(c, st->fac[f].book);
    for (int p = 0; p < NP; p++) {
      if (!mul_div_ok(se->inv[p], st->price[p], 1, &v))
        v = INT64_MAX;
      c = sat_add(c, v);
    }
    /* and its branches' stocks (design I2) */
    if (st->br && !model_branch_worth(st, (int)s, &v))
      v = INT64_MAX;
    if (st->br)
      c = sat_add(c, v);
    int64_t lim = c > 0 ? ppm_of(c, m->collateral_ppm) : 0;
    se->credit_limit = lim < se->credit_line ? lim : se->credit_line;
  }
}

void model_headroom_text(const model_state_t *st, int32_t holder, char *b,
                         size_t cap) {
  size_t S = st->n_seats;
  if ((size_t)holder < S) {
    const seat_t *se = &st->seats[holder];
    snprintf(b, cap, "cash %.2f USD + credit %.2f USD",
             model_cents_to_usd(se->cash),
             model_cents_to_usd(se->credit_limit));
    return;
  }
  size_t n = (size_t)holder - S;
  const nation_t *na = &st->nations[n];
  if (st->map->nations[n].deficit_limit < 0)
    snprintf(b, cap, "budget %.2f USD", model_cents_to_usd(na->budget));
  else if (na->arrears > 0)
    snprintf(b, cap,
             "budget %.2f USD, deficit limit %.2f USD, interest in arrears "
             "%.2f USD",
             model_cents_to_usd(na->budget),
             model_cents_to_usd(st->map->nations[n].deficit_limit),
             model_cents_to_usd(na->arrears));
  else
    snprintf(b, cap, "budget %.2f USD, deficit limit %.2f USD",
             model_cents_to_usd(na->budget),
             model_cents_to_usd(st->map->nations[n].deficit_limit));
}

int64_t model_state_security_ppm(const model_state_t *st, size_t nation) {
  return nation < st->n_nations ? st->nations[nation].security_ppm : 0;
}
