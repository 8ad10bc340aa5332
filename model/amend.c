/*
 * Amendments: a control cell's corrections of a turn's result before it is
 * released (issue 13, the server's turn.release; docs/model.md
 * "Amendments"). Each is pure and deterministic, validated before anything
 * changes, and keeps the model's books: money comes from or goes to the
 * world's money sources and sinks; a refused order or a production cap
 * is resolved again as a turn (so feeds, markets and books follow); a cut
 * delivery's goods go back to their seller and its price to the buyer.
 * Layer 3 (it calls facility.c and deals.c's origin tracking).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

static const char *const KIND[MODEL_AMEND_KINDS] = {"cash", "production",
                                                    "delivery", "refuse_order"};

const char *model_amend_kind_name(int kind) {
  return kind >= 0 && kind < MODEL_AMEND_KINDS ? KIND[kind] : "?";
}

int model_amend_kind_from_name(const char *name) {
  for (int k = 0; k < MODEL_AMEND_KINDS; k++)
    if (strcmp(name, KIND[k]) == 0)
      return k;
  return -1;
}

bool model_amend_before(int kind) {
  return kind == MODEL_AMEND_REFUSE_ORDER || kind == MODEL_AMEND_PRODUCTION;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (err && errlen)
    vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return MODEL_EINVAL;
}

static int refuse_order(model_state_t *st, const model_amendment_t *a,
                        char *err, size_t errlen) {
  seat_t *se = &st->seats[a->seat];
  if (a->order < 0 || (size_t)a->order >= se->n_pending)
    return fail(err, errlen,
                "seat %s has %zu accepted orders this turn; 'order' must be "
                "an index from 0 to %zu (got %d)",
                st->map->seats[a->seat].id, se->n_pending,
                se->n_pending ? se->n_pending - 1 : 0, (int)a->order);
  memmove(&se->pending[a->order], &se->pending[a->order + 1],
          (se->n_pending - (size_t)a->order - 1) * sizeof *se->pending);
  se->n_pending--;
  return 0;
}

static int cash(model_state_t *st, const model_amendment_t *a, char *err,
                size_t errlen) {
  int64_t d = a->amount_cents;
  if (d == 0 || d < -MODEL_MAP_MONEY_MAX || d > MODEL_MAP_MONEY_MAX)
    return fail(err, errlen,
                "'amount_cents' must be a non-zero whole number of cents "
                "from -%lld to %lld",
                (long long)MODEL_MAP_MONEY_MAX, (long long)MODEL_MAP_MONEY_MAX);
  int32_t h = model_seat_holder(st, (size_t)a->seat);
  int64_t *m = money_at(st, h), after = *m + d;
  if (after > MODEL_MONEY_MAX_CENTS || after < -MODEL_MONEY_MAX_CENTS)
    return fail(err, errlen, "seat %s's money would leave the exact range",
                st->map->seats[a->seat].id);
  /* A firm may not be left below what it may owe: its floor (credit
   * limit) on a map with finance, else nothing. */
  if ((size_t)h < st->n_seats) {
    int64_t floor = model_state_holder_floor(st, (size_t)h);
    if (floor == INT64_MIN)
      floor = 0;
    if (d < 0 && after < floor)
      return fail(err, errlen,
                  "seat %s holds %lld cents; taking %lld would leave it "
                  "below %lld, the least it may hold",
                  st->map->seats[a->seat].id, (long long)*m, (long long)-d,
                  (long long)floor);
  }
  model_holder_flows_t *f = flows_at(st, h);
  if (d > 0) {
    st->report.money_sources += d;
    f->money_in += d;
  } else {
    st->report.money_sinks += -d;
    f->money_out += -d;
  }
  *m = after;
  return 0;
}

static int production(model_state_t *st, const model_amendment_t *a, char *err,
                      size_t errlen) {
  const facility_t *f = NULL;
  for (size_t i = 0; i < st->n_fac && !f; i++)
    if (strcmp(st->fac[i].id, a->facility) == 0)
      f = &st->fac[i];
  const char *seat = st->map->seats[a->seat].id;
  if (!f)
    return fail(err, errlen,
                "there is no facility '%s' (state.get lists a seat's "
                "facilities)",
                a->facility);
  if (f->owner != a->seat)
    return fail(err, errlen, "facility '%s' is not seat %s's (it is %s's)",
                a->facility, seat, st->map->seats[f->owner].id);
  /* a turn is a quarter: the nameplate's quarter is the most it makes */
  int64_t most = f->capacity / 4;
  if (a->kg < 0 || a->kg > most)
    return fail(err, errlen,
                "facility '%s' can make at most %lld kg in a turn; 'kg' (its "
                "output this turn) must be from 0 to %lld",
                a->facility, (long long)most, (long long)most);
  if (st->n_caps >= MODEL_CAPS_MAX)
    return fail(err, errlen, "at most %d production amendments per turn",
                MODEL_CAPS_MAX);
  snprintf(st->caps[st->n_caps].facility, sizeof st->caps[0].facility, "%s",
           a->facility);
  st->caps[st->n_caps++].kg = a->kg;
  return 0;
}

void model_amend_caps_apply(const model_state_t *st, int stage, int64_t *want) {
  for (size_t c = 0; c < st->n_caps; c++)
    for (size_t i = 0; i < st->n_fac; i++)
      if (st->fac[i].stage == stage &&
          strcmp(st->fac[i].id, st->caps[c].facility) == 0 &&
          want[i] > st->caps[c].kg)
        want[i] = st->caps[c].kg;
}

static int delivery(model_state_t *st, const model_amendment_t *a, char *err,
                    size_t errlen) {
  contract_t *c = NULL;
  for (size_t i = 0; st->ext && i < st->ext->n_contracts && !c; i++)
    if (strcmp(st->ext->contracts[i].id, a->contract) == 0)
      c = &st->ext->contracts[i];
  const char *seat = st->map->seats[a->seat].id;
  if (!c || !c->accepted)
    return fail(err, errlen,
                "there is no running contract '%s' (contracts.list shows "
                "them)",
                a->contract);
  if (c->seller != a->seat && c->buyer != a->seat)
    return fail(err, errlen, "seat %s is no party to contract '%s'", seat,
                a->contract);
  if (a->kg < 0 || a->kg >= c->delivered_last)
    return fail(err, errlen,
                "contract '%s' delivered %lld kg this turn; 'kg' (the "
                "delivery kept) must be from 0 to %lld",
                a->contract, (long long)c->delivered_last,
                (long long)(c->delivered_last > 0 ? c->delivered_last - 1 : 0));
  int32_t sh = model_seat_holder(st, (size_t)c->seller),
          bh = model_seat_holder(st, (size_t)c->buyer);
  if (c->consume && (size_t)bh >= st->n_seats)
    return fail(err, errlen,
                "contract '%s''s goods were consumed by its buyer nation "
                "this turn and cannot be taken back",
                a->contract);
  int p = c->product;
  int64_t cut = c->delivered_last - a->kg;
  int64_t *have = inv_at(st, bh, p);
  if (*have < cut)
    return fail(err, errlen,
                "the buyer holds only %lld kg of %s of the %lld kg to take "
                "back (the rest was sold or used this turn)",
                (long long)*have, model_product_name(p), (long long)cut);
  int64_t back = 0;
  if (!mul_div_ok(cut, c->price_last, 1, &back))
    return fail(err, errlen, "the refund would leave the exact range");
  int64_t *sm = money_at(st, sh), *bm = money_at(st, bh);
  if (*bm > MODEL_MONEY_MAX_CENTS - back)
    return fail(err, errlen, "the buyer's money would leave the exact range");
  if (p == MODEL_CONCENTRATE) {
    int64_t *eb = el_at(st, bh), *es = el_at(st, sh);
    for (int q = 0; q < NEL; q++) {
      int64_t e = mul_div(eb[q], cut, *have);
      eb[q] -= e;
      es[q] += e;
    }
  }
  model_origin_add(st, sh, p, model_origin_take(st, bh, p, cut));
  *have -= cut;
  *inv_at(st, sh, p) += cut;
  flows_at(st, sh)->sold[p] -= cut;
  flows_at(st, bh)->bought[p] -= cut;
  /* the seller pays the buyer back what the cut goods cost */
  *sm -= back;
  *bm += back;
  flows_at(st, sh)->money_out += back;
  flows_at(st, bh)->money_in += back;
  c->delivered_last -= cut;
  c->delivered_total -= cut;
  c->excused_last += cut;
  return 0;
}

int model_amend(model_state_t *st, const model_amendment_t *a, char *err,
                size_t errlen) {
  if (!st || !a)
    return fail(err, errlen, "no state or no amendment");
  if (a->kind < 0 || a->kind >= MODEL_AMEND_KINDS)
    return fail(err, errlen,
                "'kind' must be cash, production, delivery or "
                "refuse_order");
  if (a->seat < 0 || (size_t)a->seat >= st->n_seats)
    return fail(err, errlen, "'seat' must be one of the session's seats");
  if (a->reason[0] == '\0')
    return fail(err, errlen,
                "'reason' is required: a sentence saying why (it is "
                "stored with the amendment)");
  if (model_amend_before(a->kind)) {
    if (st->turn >= st->map->turns)
      return fail(err, errlen, "the game is finished");
    return a->kind == MODEL_AMEND_PRODUCTION ? production(st, a, err, errlen)
                                             : refuse_order(st, a, err, errlen);
  }
  if (st->report.turn < 0 || st->report.turn != st->turn - 1)
    return fail(err, errlen, "no turn has been resolved to amend");
  switch (a->kind) {
  case MODEL_AMEND_CASH:
    return cash(st, a, err, errlen);
  case MODEL_AMEND_DELIVERY:
    return delivery(st, a, err, errlen);
  default:
    return fail(err, errlen, "unknown amendment kind");
  }
}
