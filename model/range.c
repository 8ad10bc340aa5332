/* range.c: keeping money and tonnes exact. A turn whose books would leave
 * int64 (or the model's limit on a holder's money) is refused as a whole.
 *
 * The checked operations (ck_add, ck_sub, ck_mul_div in model_internal.h)
 * never wrap: on overflow they leave their target unchanged and call
 * model_range_overflow, which records the turn's first error with a message
 * naming the holder and the quantity. model_resolve keeps the state as it
 * was before the turn (model_turn_begin), checks the holders' money after
 * it (model_turn_check) and, when anything failed, puts the kept state back
 * (model_turn_rollback): a refused turn leaves no trace, its submissions
 * included, and the caller reads why from model_last_error.
 *
 * The kept state is a plain copy of what a turn changes, into buffers kept
 * across turns, so a game that has warmed up allocates nothing here.
 */
#include "model_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a turn changes, as it was before it. */
typedef struct {
  int32_t turn;
  bool pol_kept; /* the nations' policies were kept too (see
                    policies_may_change) */
  nation_t *nations;
  seat_t *seats;
  int64_t *reserves;
  facility_t *fac;
  size_t n_fac, cap_fac;
  size_t n_effects, cap_effects;
  effect_t *effects;
  size_t n_injected, cap_injected;
  model_event_t *injected;
  int64_t price[NP];
  int64_t regional[NP][NN];
  int64_t volume[NP];
  market_result_t market[NP]; /* trades and flows in buffers of its own */
  model_report_t report;      /* news up to n_news only */
  int64_t report_regional[NP * NN];
  int64_t report_production[NS * NN];
  int64_t report_capacity[NS * NN];
  int64_t *report_scores;
  /* deals and controls (model_ext_t), when the state had them */
  bool had_ext;
  model_ext_t *ext;
  /* the price history (model v2; maps with price_history) */
  int64_t hist[MODEL_HISTORY_MAX][NP];
  int32_t n_hist;
  /* branches abroad (issue 11), when the state has them */
  bool had_br;
  model_br_t *br;
} snap_t;

/* The name of a holder in a message: its seat, or the nation's seat, or
 * "nation X" for a nation nobody plays; "the world" for the world's
 * books. */
static void holder_name(const model_state_t *st, int32_t who, char *out,
                        size_t cap) {
  const model_map_t *m = st->map;
  if (who < 0) {
    snprintf(out, cap, "the world");
  } else if ((size_t)who < st->n_seats) {
    snprintf(out, cap, "seat %s", m->seats[who].id);
  } else if ((size_t)who < st->n_seats + st->n_nations) {
    const map_nation_t *na = &m->nations[(size_t)who - st->n_seats];
    if (na->seat >= 0)
      snprintf(out, cap, "seat %s", m->seats[na->seat].id);
    else
      snprintf(out, cap, "nation %s", na->id);
  } else if (st->br && (size_t)who < st->n_seats + st->n_nations + st->br->n) {
    const branch_t *b = &st->br->b[(size_t)who - st->n_seats - st->n_nations];
    snprintf(out, cap, "seat %.24s's branch in %.16s", m->seats[b->seat].id,
             m->nations[b->nation].id);
  } else {
    snprintf(out, cap, "holder %d", (int)who);
  }
}

void model_range_overflow(model_state_t *st, int32_t who, const char *what,
                          model_qty_unit_t unit, int64_t a, char op, int64_t b,
                          const char *why) {
  if (st->range_failed)
    return; /* the first error is the cause; later ones follow from it */
  st->range_failed = true;
  char name[MODEL_ID_MAX + 16];
  holder_name(st, who, name, sizeof name);
  const char *u = unit == MODEL_U_KG       ? "t"
                  : unit == MODEL_U_PEOPLE ? "people"
                                           : "USD";
  double scale = unit == MODEL_U_KG       ? 1000.0
                 : unit == MODEL_U_PEOPLE ? 1.0
                                          : 100.0;
  if (op == '*')
    snprintf(st->range_msg, sizeof st->range_msg,
             "turn %d: %s: %s would pass the int64 range (%lld x %lld in "
             "internal units: kg, cents, cents per kg)",
             (int)st->turn, name, what, (long long)a, (long long)b);
  else
    snprintf(st->range_msg, sizeof st->range_msg,
             "turn %d: %s: %s would pass the int64 range (%s %.3g %s %c %s "
             "%.3g %s)",
             (int)st->turn, name, what, what, (double)a / scale, u, op,
             why ? why : "amount", (double)b / scale, u);
}

void model_range_fail(model_state_t *st, int32_t who, const char *fmt, ...) {
  if (st->range_failed)
    return;
  st->range_failed = true;
  char name[MODEL_ID_MAX + 16];
  holder_name(st, who, name, sizeof name);
  int k = snprintf(st->range_msg, sizeof st->range_msg,
                   "turn %d: %s: ", (int)st->turn, name);
  if (k < 0 || (size_t)k >= sizeof st->range_msg)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(st->range_msg + k, sizeof st->range_msg - (size_t)k, fmt, ap);
  va_end(ap);
}

const char *model_last_error(const model_state_t *st) {
  return st ? st->range_msg : "";
}

/* memcpy for possibly empty (and then possibly NULL) arrays. */
static void copy(void *to, const void *from, size_t n) {
  if (n)
    memcpy(to, from, n);
}

int model_reserve(void **p, size_t *cap, size_t n, size_t sz) {
  if (n <= *cap)
    return 0;
  void *q = realloc(*p, n * sz);
  if (!q)
    return MODEL_ENOMEM;
  *p = q;
  *cap = n;
  return 0;
}

void model_snap_free(model_state_t *st) {
  snap_t *s = st->snap;
  if (!s)
    return;
  free(s->nations);
  free(s->seats);
  free(s->reserves);
  free(s->fac);
  free(s->effects);
  free(s->injected);
  for (int p = 0; p < NP; p++) {
    free(s->market[p].trades);
    free(s->market[p].flows);
  }
  free(s->report_scores);
  free(s->ext);
  free(s->br);
  free(s);
  st->snap = NULL;
}

/* The report without the unused tail of its news. */
static void copy_report(model_report_t *to, const model_report_t *from) {
  copy(to, from, offsetof(model_report_t, news));
  copy(to->news, from->news, from->n_news * sizeof from->news[0]);
  copy((char *)to + offsetof(model_report_t, money_sources),
       (const char *)from + offsetof(model_report_t, money_sources),
       sizeof *to - offsetof(model_report_t, money_sources));
}

/* Whether the turn can change a policy: only a submitted policy order or a
 * policy event (injected, or scripted for this turn) does (random events
 * never set policy). Policies are most of a nation's bytes, so a turn
 * that cannot change them does not copy them. */
static bool policies_may_change(const model_state_t *st) {
  for (size_t s = 0; s < st->n_seats; s++) {
    const seat_t *se = &st->seats[s];
    for (size_t k = 0; se->submitted && k < se->n_pending; k++)
      if (se->pending[k].op == MODEL_OP_POLICY)
        return true;
  }
  for (size_t i = 0; i < st->n_injected; i++)
    if (st->injected[i].kind == MODEL_EV_POLICY)
      return true;
  for (size_t i = 0; i < st->map->n_scripted; i++)
    if (st->map->scripted[i].turn == st->turn &&
        st->map->scripted[i].kind == MODEL_EV_POLICY)
      return true;
  return false;
}

/* A nation with or without its policies. */
static void copy_nations(nation_t *to, const nation_t *from, size_t n,
                         bool pol) {
  if (pol) {
    copy(to, from, n * sizeof *to);
    return;
  }
  _Static_assert(offsetof(nation_t, demand_q0) ==
                     offsetof(nation_t, pol) + sizeof(policies_t),
                 "nothing between a nation's policies and demand_q0");
  const size_t head = offsetof(nation_t, pol);
  const size_t tail = offsetof(nation_t, demand_q0);
  for (size_t i = 0; i < n; i++) {
    memcpy(&to[i], &from[i], head);
    memcpy((char *)&to[i] + tail, (const char *)&from[i] + tail,
           sizeof *to - tail);
  }
}

int model_turn_begin(model_state_t *st) {
  st->range_failed = false;
  st->range_msg[0] = '\0';
  snap_t *s = st->snap;
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s)
      return MODEL_ENOMEM;
    st->snap = s;
    /* nations, seats, reserves and scores never change in number */
    s->nations =
        malloc((st->n_nations ? st->n_nations : 1) * sizeof *s->nations);
    s->seats = malloc((st->n_seats ? st->n_seats : 1) * sizeof *s->seats);
    s->reserves =
        malloc((st->n_deposits ? st->n_deposits : 1) * sizeof *s->reserves);
    s->report_scores =
        malloc((st->n_seats ? st->n_seats : 1) * sizeof *s->report_scores);
    if (!s->nations || !s->seats || !s->reserves || !s->report_scores) {
      model_snap_free(st);
      return MODEL_ENOMEM;
    }
  }
  if (model_reserve((void **)&s->fac, &s->cap_fac, st->n_fac, sizeof *s->fac))
    return MODEL_ENOMEM;
  for (int p = 0; p < NP; p++) {
    market_result_t *to = &s->market[p];
    const market_result_t *from = &st->market[p];
    if (model_reserve((void **)&to->trades, &to->cap_trades, from->n_trades,
                      sizeof *to->trades) ||
        model_reserve((void **)&to->flows, &to->cap_flows, from->n_flows,
                      sizeof *to->flows))
      return MODEL_ENOMEM;
    to->n_trades = from->n_trades;
    to->n_flows = from->n_flows;
    copy(to->trades, from->trades, from->n_trades * sizeof *to->trades);
    copy(to->flows, from->flows, from->n_flows * sizeof *to->flows);
    copy(to->seller_price, from->seller_price, sizeof to->seller_price);
    copy(to->buyer_price, from->buyer_price, sizeof to->buyer_price);
  }
  s->turn = st->turn;
  s->pol_kept = policies_may_change(st);
  copy_nations(s->nations, st->nations, st->n_nations, s->pol_kept);
  copy(s->seats, st->seats, st->n_seats * sizeof *s->seats);
  copy(s->reserves, st->reserves, st->n_deposits * sizeof *s->reserves);
  s->n_fac = st->n_fac;
  copy(s->fac, st->fac, st->n_fac * sizeof *s->fac);
  if (model_reserve((void **)&s->effects, &s->cap_effects, st->n_effects,
                    sizeof *s->effects) ||
      model_reserve((void **)&s->injected, &s->cap_injected, st->n_injected,
                    sizeof *s->injected))
    return MODEL_ENOMEM;
  s->n_effects = st->n_effects;
  copy(s->effects, st->effects, st->n_effects * sizeof *s->effects);
  s->n_injected = st->n_injected;
  copy(s->injected, st->injected, st->n_injected * sizeof *s->injected);
  copy(s->price, st->price, sizeof s->price);
  copy(s->hist, st->hist, sizeof s->hist);
  s->n_hist = st->n_hist;
  copy(s->regional, st->regional, sizeof s->regional);
  copy(s->volume, st->volume, sizeof s->volume);
  copy_report(&s->report, &st->report);
  copy(s->report_regional, st->report_regional, sizeof s->report_regional);
  copy(s->report_production, st->report_production,
       sizeof s->report_production);
  copy(s->report_capacity, st->report_capacity, sizeof s->report_capacity);
  copy(s->report_scores, st->report_scores,
       st->n_seats * sizeof *s->report_scores);
  /* the extension without its per-turn scratch (cx) */
  s->had_ext = st->ext != NULL;
  if (st->ext) {
    if (!s->ext && !(s->ext = malloc(sizeof *s->ext)))
      return MODEL_ENOMEM;
    memcpy(s->ext, st->ext, offsetof(model_ext_t, cx));
  }
  s->had_br = st->br != NULL;
  if (st->br) {
    if (!s->br && !(s->br = malloc(sizeof *s->br)))
      return MODEL_ENOMEM;
    memcpy(s->br, st->br, model_br_used(st->br));
  }
  return 0;
}

/* The model-wide rule on money: no holder (a firm's cash, a nation's
 * budget) beyond MODEL_HOLDER_MONEY_MAX cents either way after a turn. */
static void money_invariant(model_state_t *st) {
  for (size_t s = 0; s < st->n_seats && !st->range_failed; s++) {
    int64_t c = st->seats[s].cash;
    if (c > MODEL_HOLDER_MONEY_MAX || c < -MODEL_HOLDER_MONEY_MAX)
      model_range_fail(st, (int32_t)s,
                       "cash would pass the model's limit of 2^62 cents "
                       "(%.3g USD after this turn)",
                       (double)c / 100.0);
  }
  for (size_t n = 0; n < st->n_nations && !st->range_failed; n++) {
    int64_t b = st->nations[n].budget;
    if (b > MODEL_HOLDER_MONEY_MAX || b < -MODEL_HOLDER_MONEY_MAX)
      model_range_fail(st, (int32_t)(st->n_seats + n),
                       "budget would pass the model's limit of 2^62 cents "
                       "(%.3g USD after this turn)",
                       (double)b / 100.0);
  }
}

bool model_turn_check(model_state_t *st) {
  if (!st->range_failed)
    money_invariant(st);
  return !st->range_failed;
}

void model_turn_rollback(model_state_t *st) {
  snap_t *s = st->snap;
  if (!s)
    return;
  st->turn = s->turn;
  copy_nations(st->nations, s->nations, st->n_nations, s->pol_kept);
  copy(st->seats, s->seats, st->n_seats * sizeof *s->seats);
  copy(st->reserves, s->reserves, st->n_deposits * sizeof *s->reserves);
  /* facilities only grow within a turn, so the array holds the old ones */
  LAN_ASSERT(st->n_fac >= s->n_fac && st->cap_fac >= s->n_fac);
  st->n_fac = s->n_fac;
  copy(st->fac, s->fac, s->n_fac * sizeof *s->fac);
  /* the arrays never shrink, so they hold what they held before */
  LAN_ASSERT(st->cap_effects >= s->n_effects &&
             st->cap_injected >= s->n_injected);
  st->n_effects = s->n_effects;
  copy(st->effects, s->effects, s->n_effects * sizeof *s->effects);
  st->n_injected = s->n_injected;
  copy(st->injected, s->injected, s->n_injected * sizeof *s->injected);
  copy(st->price, s->price, sizeof s->price);
  copy(st->hist, s->hist, sizeof s->hist);
  st->n_hist = s->n_hist;
  copy(st->regional, s->regional, sizeof s->regional);
  copy(st->volume, s->volume, sizeof s->volume);
  for (int p = 0; p < NP; p++) {
    market_result_t *to = &st->market[p];
    const market_result_t *from = &s->market[p];
    /* the live buffers only grow, so they hold the old results */
    LAN_ASSERT(to->cap_trades >= from->n_trades &&
               to->cap_flows >= from->n_flows);
    to->n_trades = from->n_trades;
    to->n_flows = from->n_flows;
    if (from->n_trades)
      copy(to->trades, from->trades, from->n_trades * sizeof *to->trades);
    if (from->n_flows)
      copy(to->flows, from->flows, from->n_flows * sizeof *to->flows);
    copy(to->seller_price, from->seller_price, sizeof to->seller_price);
    copy(to->buyer_price, from->buyer_price, sizeof to->buyer_price);
  }
  copy_report(&st->report, &s->report);
  copy(st->report_regional, s->report_regional, sizeof s->report_regional);
  copy(st->report_production, s->report_production,
       sizeof s->report_production);
  copy(st->report_capacity, s->report_capacity, sizeof s->report_capacity);
  copy(st->report_scores, s->report_scores,
       st->n_seats * sizeof *s->report_scores);
  if (s->had_ext) {
    memcpy(st->ext, s->ext, offsetof(model_ext_t, cx));
  } else if (st->ext) {
    /* the refused turn brought the extension: the state had none */
    free(st->ext);
    st->ext = NULL;
  }
  if (s->had_br) {
    memcpy(st->br, s->br, model_br_used(s->br));
  } else if (st->br) {
    free(st->br);
    st->br = NULL;
  }
}
