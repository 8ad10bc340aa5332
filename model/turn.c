/* turn.c: resolving one turn, in DOMAIN.md's order (docs/model.md lists
 * every step):
 *   1. orders and policies submitted this turn take effect;
 *   2. construction advances; finished capacity comes online (ramping up);
 *   3. talent: pipelines graduate, programmes enrol, migration, staffing;
 *   4. the chain runs upstream first: mines produce, the concentrate market
 *      clears, separation plants produce, the three oxide markets clear,
 *      magnet plants produce, the magnet market clears;
 *   5. final demand, stockpiles and price floors take part in each market;
 *   6. wages, taxes and depreciation are booked, events fire, demand grows,
 *      scores are computed.
 */
#include "model_internal.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cached ChaCha20 stream for one (seed, turn, stream): the key and the
 * last block are kept so consecutive draws cost one block per 16. */
typedef struct {
  uint8_t key[crypto_stream_chacha20_ietf_KEYBYTES];
  uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES];
  uint8_t block[64];
  uint32_t block_no;
  bool have;
} rng_t;

static void rng_init(rng_t *r, const model_state_t *st, uint32_t stream) {
  uint8_t seed[8];
  for (int i = 0; i < 8; i++)
    seed[i] = (uint8_t)(st->seed >> (8 * i));
  crypto_generichash(r->key, sizeof r->key, seed, sizeof seed,
                     (const uint8_t *)"lanthanide-rng", 14);
  memset(r->nonce, 0, sizeof r->nonce);
  uint32_t t = (uint32_t)st->turn;
  for (int i = 0; i < 4; i++) {
    r->nonce[i] = (uint8_t)(t >> (8 * i));
    r->nonce[4 + i] = (uint8_t)(stream >> (8 * i));
  }
  r->have = false;
}

static uint32_t rng_at(rng_t *r, uint32_t index) {
  uint32_t b = index / 16;
  if (!r->have || r->block_no != b) {
    memset(r->block, 0, sizeof r->block);
    crypto_stream_chacha20_ietf_xor_ic(r->block, r->block, sizeof r->block,
                                       r->nonce, b, r->key);
    r->block_no = b;
    r->have = true;
  }
  const uint8_t *p = r->block + 4 * (index % 16);
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* True with probability ppm / 1e6, exactly (a 32-bit threshold). */
static bool chance(rng_t *r, uint32_t index, int64_t ppm) {
  uint64_t thr = (uint64_t)(((unsigned __int128)ppm << 32) / MODEL_PPM);
  return (uint64_t)rng_at(r, index) < thr;
}

static void news(model_state_t *st, const model_event_t *ev) {
  model_report_t *rep = &st->report;
  if (rep->n_news < MODEL_NEWS_MAX)
    rep->news[rep->n_news++] = *ev;
}

/* A news item about money (docs/model.md, "Money limits"): at most one of
 * each kind (a bit of `told`) per nation and turn when nation >= 0. */
__attribute__((format(printf, 4, 5))) static void
money_news(model_state_t *st, int nation, uint32_t kind, const char *fmt, ...) {
  if (nation >= 0) {
    if (st->nations[nation].told & kind)
      return;
    st->nations[nation].told |= kind;
  }
  model_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = MODEL_EV_FINANCE;
  ev.turn = st->turn;
  ev.product = ev.stage = -1;
  if (nation >= 0)
    snprintf(ev.nation, sizeof ev.nation, "%s", st->map->nations[nation].id);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ev.text, sizeof ev.text, fmt, ap);
  va_end(ap);
  news(st, &ev);
}

#define TOLD_PROGRAMME  1u  /* a talent programme not paid in full */
#define TOLD_SUBSIDY    2u  /* output subsidies not paid in full */
#define TOLD_BIDS       4u  /* bids cut to what the nation can fund */
#define TOLD_BIDS_CUT   8u  /* set by market.c when it cuts a bid */
#define TOLD_COLLECTION 16u /* recycling collection not paid in full */

/* A firm pays c (a sink or another holder's income); `why` names it in a
 * range error. */
static void seat_out(model_state_t *st, int s, int64_t c, const char *why) {
  seat_t *se = &st->seats[s];
  ck_sub(st, &se->cash, c, s, "cash", MODEL_U_CENTS, why);
  ck_add(st, &se->costs, c, s, "costs", MODEL_U_CENTS, why);
  ck_add(st, &se->flows.money_out, c, s, "money paid out", MODEL_U_CENTS, why);
}

/* The world's books: money created and destroyed this turn. */
static void sink(model_state_t *st, int64_t c, const char *why) {
  ck_add(st, &st->report.money_sinks, c, -1, "money sinks", MODEL_U_CENTS, why);
}

/* A branch's share of its firm's costs (its profit is taxed by its host);
 * nothing when the holder is the firm itself. */
static void branch_cost(model_state_t *st, int32_t fh, int64_t c) {
  if ((size_t)fh >= st->n_seats + st->n_nations)
    ck_add(st, &model_branch_at(st, fh)->costs, c, model_money_holder(st, fh),
           "costs", MODEL_U_CENTS, "branch costs");
}

/* ---- step 2 ---- */
static void construction(model_state_t *st) {
  for (size_t k = 0; k < st->n_fac; k++) {
    facility_t *f = &st->fac[k];
    if (f->build_left <= 0 && f->exp_left <= 0)
      continue; /* nothing to advance, nothing to refresh */
    int64_t speed = st->nations[f->nation].pol.permit_speed[f->stage];
    /* two-phase stages: permits at the permitting speed, no carry-over
     * into construction, then construction one turn a turn; one-phase
     * stages: all of it at the permitting speed (docs/model.md) */
    int64_t step = st->map->stage[f->stage].two_phase ? MODEL_PPM : speed;
    if (f->build_left > 0 && f->permit_left > 0) {
      f->permit_left -= speed;
      if (f->permit_left < 0)
        f->permit_left = 0;
    } else if (f->build_left > 0) {
      f->build_left -= step;
      if (f->build_left <= 0) {
        f->build_left = 0;
        f->ramp_age = 0;
      }
    }
    if (f->exp_left > 0 && f->exp_permit_left > 0) {
      f->exp_permit_left -= speed;
      if (f->exp_permit_left < 0)
        f->exp_permit_left = 0;
    } else if (f->exp_left > 0) {
      f->exp_left -= step;
      if (f->exp_left <= 0) {
        f->exp_left = 0;
        ck_add(st, &f->capacity, f->exp_cap, f->owner, "capacity", MODEL_U_KG,
               "an expansion");
        f->exp_done = f->exp_cap;
        f->exp_age = 0;
        f->exp_cap = 0;
      }
    }
    model_facility_refresh_capacity(st, f);
  }
}

/* Wage-led migration (design C2.4, maps with talent.migration_wage_gap):
 * `move` people of skill s leave nation a only for open nations whose wage
 * for the skill is at least (1 + gap) times a's, split pro rata to their
 * wages (floor; the remainder to the first of them). */
static void wage_led(model_state_t *st, int s, int a, int64_t move) {
  const model_map_t *m = st->map;
  int64_t own = m->nations[a].wage[s];
  int64_t bar = own + ppm_of(own, m->wage_gap_ppm);
  int64_t total = 0;
  int first = -1;
  for (size_t b = 0; b < st->n_nations; b++)
    if ((int)b != a && st->nations[b].pol.mig_in[s] &&
        !model_tech_banned(st, a, s, (int)b) && m->nations[b].wage[s] >= bar &&
        m->nations[b].wage[s] > 0) {
      total += m->nations[b].wage[s];
      if (first < 0)
        first = (int)b;
    }
  if (total <= 0 || move <= 0)
    return;
  int64_t given = 0, share[NN] = {0};
  for (size_t b = 0; b < st->n_nations; b++)
    if ((int)b != a && st->nations[b].pol.mig_in[s] &&
        !model_tech_banned(st, a, s, (int)b) && m->nations[b].wage[s] >= bar &&
        m->nations[b].wage[s] > 0) {
      share[b] = mul_div(move, m->nations[b].wage[s], total);
      given += share[b];
    }
  share[first] += move - given;
  for (size_t b = 0; b < st->n_nations; b++) {
    if (share[b] <= 0)
      continue;
    st->nations[a].pool[s] -= share[b]; /* the shares sum to move <= pool */
    ck_add(st, &st->nations[b].pool[s], share[b], (int32_t)(st->n_seats + b),
           "talent pool", MODEL_U_PEOPLE, "migration");
  }
}

/* ---- step 3 ---- */
static int talent(model_state_t *st) {
  const model_map_t *m = st->map;
  size_t N = st->n_nations;
  for (size_t n = 0; n < N; n++) {
    nation_t *na = &st->nations[n];
    int32_t who = (int32_t)(st->n_seats + n);
    for (int s = 0; s < NS; s++) {
      ck_add(st, &na->pool[s], na->pipeline[s][0], who, "talent pool",
             MODEL_U_PEOPLE, "graduates");
      memmove(na->pipeline[s], na->pipeline[s] + 1,
              sizeof(int64_t) * (MODEL_TRAIN_TURNS_MAX - 1));
      na->pipeline[s][MODEL_TRAIN_TURNS_MAX - 1] = 0;
      int64_t b = na->pol.talent_budget[s];
      if (b > 0 && m->train_cost[s] > 0) {
        int64_t people = b / m->train_cost[s];
        /* a programme enrols only whom the budget's headroom pays */
        int64_t h = model_headroom(st, who);
        int64_t can = h > 0 ? h / m->train_cost[s] : 0;
        /* and only the places its schools have left (capacity) */
        if (na->train_cap[s] >= 0) {
          int64_t room = na->train_cap[s] - na->train_used[s];
          if (room < 0)
            room = 0;
          if (people > room)
            people = room;
        }
        if (people > can) {
          money_news(st, (int)n, TOLD_PROGRAMME,
                     "%s cannot fund its %s talent programme in full: %.2f USD "
                     "of %.2f USD paid",
                     m->nations[n].id, model__stage_names[s],
                     model_cents_to_usd(can * m->train_cost[s]),
                     model_cents_to_usd(people * m->train_cost[s]));
          people = can;
        }
        int64_t cost = people * m->train_cost[s]; /* <= b */
        ck_sub(st, &na->budget, cost, who, "budget", MODEL_U_CENTS,
               "talent programme");
        ck_add(st, &na->flows.money_out, cost, who, "money paid out",
               MODEL_U_CENTS, "talent programme");
        sink(st, cost, "talent programme");
        ck_add(st, &na->pipeline[s][m->train_turns[s] - 1], people, who,
               "trainees", MODEL_U_PEOPLE, "talent programme");
        na->train_used[s] += people;
      }
      ck_add(st, &na->pool[s], ppm_of(na->pool[s], m->talent_growth_ppm_turn),
             who, "talent pool", MODEL_U_PEOPLE, "growth");
    }
  }
  for (size_t si = 0; si < st->n_seats; si++) {
    seat_t *se = &st->seats[si];
    for (int s = 0; s < NS; s++) {
      ck_add(st, &se->staff[s], se->pipeline[s][0], (int32_t)si, "staff",
             MODEL_U_PEOPLE, "graduates");
      memmove(se->pipeline[s], se->pipeline[s] + 1,
              sizeof(int64_t) * (MODEL_TRAIN_TURNS_MAX - 1));
      se->pipeline[s][MODEL_TRAIN_TURNS_MAX - 1] = 0;
      /* seasoned apprentices become experienced staff */
      ck_add(st, &se->staff[s], se->appr[s][0], (int32_t)si, "staff",
             MODEL_U_PEOPLE, "seasoned apprentices");
      memmove(se->appr[s], se->appr[s] + 1,
              sizeof(int64_t) * (MODEL_TRAIN_TURNS_MAX - 1));
      se->appr[s][MODEL_TRAIN_TURNS_MAX - 1] = 0;
    }
  }
  /* migration: a share of each pool whose nation lets it out moves, split
   * evenly (remainder to the first) among nations that let it in */
  if (m->migration_ppm > 0)
    for (int s = 0; s < NS; s++) {
      int64_t start[NN];
      for (size_t n = 0; n < N; n++)
        start[n] = st->nations[n].pool[s];
      for (size_t a = 0; a < N; a++) {
        if (!st->nations[a].pol.mig_out[s])
          continue;
        int64_t dests = 0;
        /* a technology export ban of a's keeps its people of the stage
         * from moving to the nations it covers (only in games that set
         * one: model_tech_banned is false without the extension) */
        for (size_t b = 0; b < N; b++)
          dests += b != a && st->nations[b].pol.mig_in[s] &&
                   !model_tech_banned(st, (int)a, s, (int)b);
        if (!dests)
          continue;
        int64_t move = ppm_of(start[a], m->migration_ppm);
        if (m->wage_gap_ppm >= 0) {
          wage_led(st, s, (int)a, move);
          continue;
        }
        int64_t each = move / dests, extra = move - each * dests;
        for (size_t b = 0; b < N; b++) {
          if (b == a || !st->nations[b].pol.mig_in[s] ||
              model_tech_banned(st, (int)a, s, (int)b))
            continue;
          int64_t x = each + extra;
          extra = 0;
          st->nations[a].pool[s] -= x; /* x <= the pool */
          ck_add(st, &st->nations[b].pool[s], x, (int32_t)(st->n_seats + b),
                 "talent pool", MODEL_U_PEOPLE, "migration");
        }
      }
    }
  /* staffing: each firm's staff of a skill go to its facilities of that
   * stage in facility order, each up to what it needs */
  int64_t *left = st->turn_buf + st->n_fac;
  for (size_t si = 0; si < st->n_seats; si++)
    for (int s = 0; s < NS; s++)
      left[si * NS + (size_t)s] = st->seats[si].staff[s];
  for (size_t k = 0; k < st->n_fac; k++) {
    facility_t *f = &st->fac[k];
    int64_t need = f->build_left > 0 ? 0 : f->staff_needed;
    if (f->abroad) {
      /* a plant abroad (issue 11) keeps its own staff, hired from and
       * released to the host's pool as its need changes */
      int64_t *pool = &st->nations[f->nation].pool[f->stage];
      if (f->staff > need) {
        ck_add(st, pool, f->staff - need,
               (int32_t)(st->n_seats + (size_t)f->nation), "talent pool",
               MODEL_U_PEOPLE, "staff released abroad");
        f->staff = need;
      } else {
        int64_t take = need - f->staff < *pool ? need - f->staff : *pool;
        *pool -= take; /* take <= the pool */
        f->staff += take;
      }
      continue;
    }
    int64_t *l = &left[(size_t)f->owner * NS + (size_t)f->stage];
    f->staff = need < *l ? need : *l;
    *l -= f->staff;
  }
  return st->range_failed ? MODEL_ERANGE : 0;
}

/* ---- step 4 ---- */

/* kg per turn a facility can process: capacity x utilisation x staffing. */
static int64_t can_run(const model_state_t *st, const facility_t *f) {
  if (f->build_left > 0)
    return 0;
  int64_t q = ppm_of(f->effective, f->util) / 4;
  if (f->staff_needed > 0)
    q = mul_div(q, f->staff, f->staff_needed);
  return q;
}

/* The facilities of each stage, in facility order, listed once a turn
 * (after builds) so that each stage's steps visit only its own. */
typedef struct {
  int64_t *want;      /* per facility */
  const int64_t *idx; /* facility indices, stage by stage */
  size_t begin[NS + 1];
} stages_t;

static void stages_list(model_state_t *st, stages_t *sl, int64_t *want,
                        int64_t *idx) {
  size_t cnt[NS] = {0};
  for (size_t k = 0; k < st->n_fac; k++)
    cnt[st->fac[k].stage]++;
  sl->begin[0] = 0;
  for (int s = 0; s < NS; s++)
    sl->begin[s + 1] = sl->begin[s] + cnt[s];
  size_t at[NS];
  memcpy(at, sl->begin, sizeof at);
  for (size_t k = 0; k < st->n_fac; k++)
    idx[at[st->fac[k].stage]++] = (int64_t)k;
  sl->want = want;
  sl->idx = idx;
}

/* The part of a facility's planned amount `w` its nation's production
 * quota limits (design L3), and what that part counts against the quota:
 * all of its feed (the default); where only domestic material counts, the
 * share of its owner's concentrate that is of the nation's own origin
 * (maps that track that nation's material; elsewhere all of it); on a
 * quota on output, the oxides recovered from that part. */
static int64_t quota_part(model_state_t *st, int stage, size_t k, int64_t w,
                          int64_t *counts) {
  const facility_t *f = &st->fac[k];
  const policies_t *p = &st->nations[f->nation].pol;
  if (stage == MODEL_SEPARATION && p->quota_domestic[stage] &&
      model_origin_nation(st) == f->nation) {
    int32_t fh = model_fac_holder(st, f);
    int64_t inv = *inv_at(st, fh, MODEL_CONCENTRATE);
    int64_t dom = model_origin_of(st, fh)[MODEL_CONCENTRATE];
    w = inv > 0 ? mul_div(w, dom < inv ? dom : inv, inv) : 0;
  }
  *counts = stage == MODEL_SEPARATION && p->quota_output[stage]
                ? ppm_of(w, f->recovery)
                : w;
  return w;
}

/* Scales each facility's desired amount by its nation's production quota
 * for the stage (floor; the quota is never exceeded). */
static void apply_quota(model_state_t *st, int stage, const stages_t *sl) {
  bool any = false;
  for (size_t n = 0; n < st->n_nations; n++)
    any |= st->nations[n].pol.prod_quota[stage] >= 0;
  if (!any)
    return;
  int64_t sum[NN] = {0};
  int64_t *want = sl->want;
  for (size_t i = sl->begin[stage]; i < sl->begin[stage + 1]; i++) {
    size_t k = (size_t)sl->idx[i];
    int64_t c;
    (void)quota_part(st, stage, k, want[k], &c);
    ck_add(st, &sum[st->fac[k].nation], c,
           (int32_t)(st->n_seats + (size_t)st->fac[k].nation), "planned output",
           MODEL_U_KG, "a facility");
  }
  for (size_t i = sl->begin[stage]; i < sl->begin[stage + 1]; i++) {
    size_t k = (size_t)sl->idx[i];
    const facility_t *f = &st->fac[k];
    int64_t q = st->nations[f->nation].pol.prod_quota[stage];
    if (q >= 0 && sum[f->nation] > q) {
      /* only the part the quota covers is cut (imported feed outside a
       * quota on domestic material runs as planned) */
      int64_t c, part = quota_part(st, stage, k, want[k], &c);
      want[k] = want[k] - part + mul_div(part, q, sum[f->nation]);
    }
  }
}

static int64_t nation_mining_cut(const model_state_t *st, int nation) {
  int64_t keep = MODEL_PPM;
  for (size_t e = 0; e < st->n_effects; e++) {
    const effect_t *ef = &st->effects[e];
    if ((ef->kind == MODEL_EV_FLOOD || ef->kind == MODEL_EV_CONFLICT) &&
        ef->nation == nation)
      keep = ppm_of(keep, MODEL_PPM - (ef->magnitude_ppm > MODEL_PPM
                                           ? MODEL_PPM
                                           : ef->magnitude_ppm));
  }
  return keep;
}

static void book_output(model_state_t *st, facility_t *f, int product,
                        int64_t out) {
  seat_t *se = &st->seats[f->owner];
  nation_t *na = &st->nations[f->nation];
  int32_t nh = (int32_t)(st->n_seats + (size_t)f->nation);
  int64_t rate = model_subsidy_applies(st, f->nation, f->stage, f->owner)
                     ? na->pol.sub_output[f->stage]
                     : 0;
  int64_t sub =
      ck_mul_div(st, out, rate, 1, nh, "output subsidy", MODEL_U_CENTS);
  int64_t h = sub > 0 ? model_headroom(st, nh) : 0;
  if (sub > h) {
    money_news(st, f->nation, TOLD_SUBSIDY,
               "%s cannot fund its output subsidies in full this turn",
               st->map->nations[f->nation].id);
    sub = h > 0 ? h : 0;
  }
  if (sub > 0) {
    ck_add(st, &se->cash, sub, f->owner, "cash", MODEL_U_CENTS, "subsidy");
    ck_add(st, &se->revenue, sub, f->owner, "revenue", MODEL_U_CENTS,
           "subsidy");
    ck_add(st, &se->flows.money_in, sub, f->owner, "money received",
           MODEL_U_CENTS, "subsidy");
    ck_sub(st, &na->budget, sub, nh, "budget", MODEL_U_CENTS, "subsidy");
    ck_add(st, &na->flows.money_out, sub, nh, "money paid out", MODEL_U_CENTS,
           "subsidy");
  }
  int32_t fh = model_fac_holder(st, f);
  if (fh != f->owner && sub > 0)
    ck_add(st, &model_branch_at(st, fh)->revenue, sub, f->owner, "revenue",
           MODEL_U_CENTS, "subsidy");
  ck_add(st, &flows_at(st, fh)->produced[product], out, f->owner, "output",
         MODEL_U_KG, "production");
  ck_add(st, &st->report.produced[product], out, -1, "output", MODEL_U_KG,
         "production");
}

static int mining(model_state_t *st, const stages_t *sl) {
  int64_t cut[NN];
  int64_t *want = sl->want;
  for (size_t n = 0; n < st->n_nations; n++)
    cut[n] = nation_mining_cut(st, (int)n);
  for (size_t i = sl->begin[MODEL_MINING]; i < sl->begin[MODEL_MINING + 1];
       i++) {
    facility_t *f = &st->fac[sl->idx[i]];
    want[sl->idx[i]] = ppm_of(can_run(st, f), cut[f->nation]);
  }
  apply_quota(st, MODEL_MINING, sl);
  if (st->n_caps)
    model_amend_caps_apply(st, MODEL_MINING, want);
  for (size_t i = sl->begin[MODEL_MINING]; i < sl->begin[MODEL_MINING + 1];
       i++) {
    size_t k = (size_t)sl->idx[i];
    facility_t *f = &st->fac[k];
    int64_t out = want[k];
    if (f->deposit >= 0 && out > st->reserves[f->deposit])
      out = st->reserves[f->deposit];
    f->out_last = out;
    if (out <= 0)
      continue;
    /* the goods' holder: the owner, or its branch (design I2) */
    int32_t fh = model_fac_holder(st, f);
    int64_t *el = el_at(st, fh);
    const int64_t *b = st->map->deposits[f->deposit].basket;
    int32_t nh = (int32_t)(st->n_seats + (size_t)f->nation);
    st->reserves[f->deposit] -= out; /* out <= reserves */
    ck_add(st, inv_at(st, fh, MODEL_CONCENTRATE), out, f->owner, "inventory",
           MODEL_U_KG, "mine output");
    ck_add(st, &el[0], ppm_of(out, b[0]), f->owner, "inventory", MODEL_U_KG,
           "mine output");
    ck_add(st, &el[1], ppm_of(out, b[1]), f->owner, "inventory", MODEL_U_KG,
           "mine output");
    if (st->map->heavy_split)
      ck_add(st, &el[2], ppm_of(out, b[3]), f->owner, "inventory", MODEL_U_KG,
             "mine output");
    /* rules of origin: ore mined in the tracked nation is its material */
    if (f->nation == model_origin_nation(st))
      model_origin_add(st, fh, MODEL_CONCENTRATE, out);
    int64_t opex =
        ck_mul_div(st, out, f->unit_cost, 1, f->owner, "opex", MODEL_U_CENTS);
    seat_out(st, f->owner, opex, "opex");
    branch_cost(st, fh, opex);
    sink(st, opex, "opex");
    book_output(st, f, MODEL_CONCENTRATE, out);
    ck_add(st,
           &st->report_production[MODEL_MINING * st->n_nations +
                                  (size_t)f->nation],
           out, nh, "production", MODEL_U_KG, "mine output");
    ck_add(st, &st->nations[f->nation].value_added,
           ck_mul_div(st, out, st->price[MODEL_CONCENTRATE], 1, nh,
                      "value added", MODEL_U_CENTS),
           nh, "value added", MODEL_U_CENTS, "mine output");
    ck_add(st, &f->cum, out, f->owner, "experience", MODEL_U_KG, "mine output");
    if (st->map->stage[f->stage].learn)
      ck_add(st, &st->nations[f->nation].know_how[f->stage], out,
             (int32_t)(st->n_seats + (size_t)f->nation), "know-how", MODEL_U_KG,
             "output");
    model_facility_refresh(st, f);
  }
  return st->range_failed ? MODEL_ERANGE : 0;
}

/* An understaffed plant's recovery (separation, recycling): the stage's
 * floor plus the rest in proportion to the staff it has. */
static int64_t staffed_recovery(const map_stage_t *ms, const facility_t *f,
                                int64_t recovery) {
  int64_t staffed = f->staff_needed > 0
                        ? mul_div(f->staff, MODEL_PPM, f->staff_needed)
                        : MODEL_PPM;
  int64_t factor =
      ms->rec_understaffed + ppm_of(MODEL_PPM - ms->rec_understaffed, staffed);
  return ppm_of(recovery, factor);
}

/* What follows a plant's feed of x kg of `input` (separation: concentrate;
 * recycling: scrap), value the value of its outputs: opex per kg fed, the
 * nation's production and value added (less the input's value), the
 * plant's experience and the nation's know-how. `what` names the stage in
 * the checked sums' messages. */
static void fed_books(model_state_t *st, facility_t *f, int32_t fh, int64_t x,
                      int input, int64_t value, const char *const what[4]) {
  int32_t nh = (int32_t)(st->n_seats + (size_t)f->nation);
  int64_t opex =
      ck_mul_div(st, x, f->unit_cost, 1, f->owner, "opex", MODEL_U_CENTS);
  seat_out(st, f->owner, opex, "opex");
  branch_cost(st, fh, opex);
  sink(st, opex, "opex");
  ck_add(st,
         &st->report_production[(size_t)f->stage * st->n_nations +
                                (size_t)f->nation],
         f->out_last, nh, "production", MODEL_U_KG, what[0]);
  ck_sub(
      st, &value,
      ck_mul_div(st, x, st->price[input], 1, nh, "value added", MODEL_U_CENTS),
      nh, "value added", MODEL_U_CENTS, what[1]);
  ck_add(st, &st->nations[f->nation].value_added, value, nh, "value added",
         MODEL_U_CENTS, what[2]);
  ck_add(st, &f->cum, x, f->owner, "experience", MODEL_U_KG, what[3]);
  if (st->map->stage[f->stage].learn)
    ck_add(st, &st->nations[f->nation].know_how[f->stage], x, nh, "know-how",
           MODEL_U_KG, "output");
  model_facility_refresh(st, f);
}

static int separation(model_state_t *st, const stages_t *sl) {
  const int stg = MODEL_SEPARATION;
  int64_t *want = sl->want;
  for (size_t i = sl->begin[stg]; i < sl->begin[stg + 1]; i++)
    want[sl->idx[i]] = can_run(st, &st->fac[sl->idx[i]]);
  apply_quota(st, stg, sl);
  if (st->n_caps)
    model_amend_caps_apply(st, stg, want);
  const map_stage_t *ms = &st->map->stage[stg];
  for (size_t i = sl->begin[stg]; i < sl->begin[stg + 1]; i++) {
    size_t k = (size_t)sl->idx[i];
    facility_t *f = &st->fac[k];
    int32_t fh = model_fac_holder(st, f);
    int64_t *si = inv_at(st, fh, 0), *sel = el_at(st, fh);
    model_holder_flows_t *sf = flows_at(st, fh);
    int64_t x = want[k];
    if (x > si[MODEL_CONCENTRATE])
      x = si[MODEL_CONCENTRATE];
    f->out_last = 0;
    if (x <= 0)
      continue;
    /* the basket of what is fed: the holder's elements, pro rata */
    int64_t inv = si[MODEL_CONCENTRATE];
    int64_t el0 = mul_div(sel[0], x, inv);
    int64_t el1 = mul_div(sel[1], x, inv);
    int64_t el3 = mul_div(sel[2], x, inv); /* tb, split maps */
    int64_t el2 = x - el0 - el1 - el3;
    /* rules of origin: the feed's tracked content, before it leaves */
    int64_t fed_o = model_origin_take(st, fh, MODEL_CONCENTRATE, x);
    si[MODEL_CONCENTRATE] -= x; /* x <= inventory, the elements pro rata */
    sel[0] -= el0;
    sel[1] -= el1;
    sel[2] -= el3;
    ck_add(st, &sf->consumed[MODEL_CONCENTRATE], x, f->owner, "consumption",
           MODEL_U_KG, "separation feed");
    ck_add(st, &st->report.consumed[MODEL_CONCENTRATE], x, -1, "consumption",
           MODEL_U_KG, "separation feed");
    /* understaffed plants recover less */
    int64_t rec = staffed_recovery(ms, f, f->recovery);
    int64_t o[4] = {ppm_of(el0, rec), ppm_of(el1, rec), ppm_of(el2, rec),
                    ppm_of(el3, rec)};
    int64_t value = 0;
    int32_t nh = (int32_t)(st->n_seats + (size_t)f->nation);
    int prod[4], elx[4];
    int nox = map_oxides(st->map, prod, elx);
    for (int q = 0; q < nox; q++) {
      ck_add(st, &si[prod[q]], o[q], f->owner, "inventory", MODEL_U_KG,
             "separation output");
      /* processed in the tracked nation: all its material (S65 covers
       * items produced there); elsewhere the feed's share */
      model_origin_add(st, fh, prod[q],
                       f->nation == model_origin_nation(st)
                           ? o[q]
                           : mul_div(o[q], fed_o, x));
      book_output(st, f, prod[q], o[q]);
      f->out_last += o[q]; /* <= x */
      ck_add(st, &value,
             ck_mul_div(st, o[q], st->price[prod[q]], 1, nh, "value added",
                        MODEL_U_CENTS),
             nh, "value added", MODEL_U_CENTS, "separation output");
    }
    static const char *const what[4] = {"separation output", "concentrate fed",
                                        "separation", "separation feed"};
    fed_books(st, f, fh, x, MODEL_CONCENTRATE, value, what);
  }
  return st->range_failed ? MODEL_ERANGE : 0;
}

/* Recycling (design J4, maps with parameters.recycling): each plant feeds
 * magnet_scrap from its holder's stock, up to its capacity for the turn,
 * and recovers the magnet recipe's oxides (ndpr, then the heavies: the
 * basket, or Dy and Tb) times the map's recovery, less on an understaffed
 * plant as in separation; the rest of the scrap (iron, boron) is lost.
 * Opex is per kg of scrap fed. */
static int recycling(model_state_t *st, const stages_t *sl) {
  const int stg = MODEL_RECYCLING;
  int64_t *want = sl->want;
  for (size_t i = sl->begin[stg]; i < sl->begin[stg + 1]; i++)
    want[sl->idx[i]] = can_run(st, &st->fac[sl->idx[i]]);
  apply_quota(st, stg, sl);
  if (st->n_caps)
    model_amend_caps_apply(st, stg, want);
  const map_stage_t *ms = &st->map->stage[stg];
  const int64_t *recipe = st->map->stage[MODEL_MAGNETS].recipe;
  int prod[3];
  int nout = map_magnet_inputs(st->map, prod);
  for (size_t i = sl->begin[stg]; i < sl->begin[stg + 1]; i++) {
    size_t k = (size_t)sl->idx[i];
    facility_t *f = &st->fac[k];
    int32_t fh = model_fac_holder(st, f);
    int64_t *si = inv_at(st, fh, 0);
    model_holder_flows_t *sf = flows_at(st, fh);
    int64_t x = want[k];
    if (x > si[MODEL_SCRAP])
      x = si[MODEL_SCRAP];
    f->out_last = 0;
    if (x <= 0)
      continue;
    int64_t fed_o = model_origin_take(st, fh, MODEL_SCRAP, x);
    si[MODEL_SCRAP] -= x; /* x <= inventory */
    ck_add(st, &sf->consumed[MODEL_SCRAP], x, f->owner, "consumption",
           MODEL_U_KG, "recycling feed");
    ck_add(st, &st->report.consumed[MODEL_SCRAP], x, -1, "consumption",
           MODEL_U_KG, "recycling feed");
    int64_t rec = staffed_recovery(ms, f, st->map->eol_recovery_ppm);
    int64_t value = 0;
    int32_t nh = (int32_t)(st->n_seats + (size_t)f->nation);
    for (int q = 0; q < nout; q++) {
      int64_t o = ppm_of(ppm_of(x, recipe[q]), rec);
      if (o <= 0)
        continue;
      ck_add(st, &si[prod[q]], o, f->owner, "inventory", MODEL_U_KG,
             "recycling output");
      model_origin_add(
          st, fh, prod[q],
          f->nation == model_origin_nation(st) ? o : mul_div(o, fed_o, x));
      book_output(st, f, prod[q], o);
      f->out_last += o; /* <= x */
      ck_add(st, &value,
             ck_mul_div(st, o, st->price[prod[q]], 1, nh, "value added",
                        MODEL_U_CENTS),
             nh, "value added", MODEL_U_CENTS, "recycling output");
    }
    static const char *const what[4] = {"recycling output", "scrap fed",
                                        "recycling", "recycling feed"};
    fed_books(st, f, fh, x, MODEL_SCRAP, value, what);
  }
  return st->range_failed ? MODEL_ERANGE : 0;
}

/* End of life (design J4, recycling maps): the magnets a nation's final
 * demand consumed eol_life turns ago (the ring's entry for this turn)
 * reach their end of life; its collection policy's share of them enters
 * its stockpile as magnet_scrap, from a stated source ("end of life":
 * consumed goods had left the world's stocks), and the budget pays the
 * map's collection cost per kg, within its headroom. This turn's
 * consumption takes the entry's place. */
static void end_of_life(model_state_t *st) {
  const model_map_t *m = st->map;
  size_t slot = (size_t)st->turn % (size_t)m->eol_life;
  for (size_t n = 0; n < st->n_nations; n++) {
    nation_t *na = &st->nations[n];
    int32_t who = (int32_t)(st->n_seats + n);
    int64_t kg = ppm_of(na->eol[slot], na->pol.collect_ppm);
    na->eol[slot] = na->consumed[MODEL_MAGNET];
    na->collected = na->collect_paid = 0;
    if (kg <= 0)
      continue;
    if (m->collection_cost > 0) {
      int64_t h = model_headroom(st, who);
      int64_t can = h > 0 ? h / m->collection_cost : 0;
      if (kg > can) {
        money_news(st, (int)n, TOLD_COLLECTION,
                   "%s cannot fund its recycling collection in full: %.0f t "
                   "of %.0f t collected",
                   m->nations[n].id, model_kg_to_tonnes(can),
                   model_kg_to_tonnes(kg));
        kg = can;
      }
    }
    if (kg <= 0)
      continue;
    int64_t cost =
        ck_mul_div(st, kg, m->collection_cost, 1, who, "budget", MODEL_U_CENTS);
    ck_sub(st, &na->budget, cost, who, "budget", MODEL_U_CENTS,
           "recycling collection");
    ck_add(st, &na->flows.money_out, cost, who, "money paid out", MODEL_U_CENTS,
           "recycling collection");
    sink(st, cost, "recycling collection");
    ck_add(st, &na->stock[MODEL_SCRAP], kg, who, "stockpile", MODEL_U_KG,
           "end of life");
    ck_add(st, &na->flows.produced[MODEL_SCRAP], kg, who, "output", MODEL_U_KG,
           "end of life");
    ck_add(st, &st->report.produced[MODEL_SCRAP], kg, -1, "output", MODEL_U_KG,
           "end of life");
    na->collected = kg;
    na->collect_paid = cost;
  }
}

static int64_t ceil_ppm(int64_t a, int64_t ppm) {
  return (int64_t)(((__int128)a * ppm + MODEL_PPM - 1) / MODEL_PPM);
}

/* A magnet plant's recipe (ppm kg of each input of map_magnet_inputs per
 * kg magnet): the stage's, or the plant's thrifted heavies (design J3: Tb
 * follows Dy's share, rounded down). */
static void magnet_recipe(const model_state_t *st, const facility_t *f,
                          int64_t recipe[3]) {
  memcpy(recipe, st->map->stage[MODEL_MAGNETS].recipe, 3 * sizeof *recipe);
  int64_t full = recipe[1];
  if (f->recipe_dy_now > 0 && f->recipe_dy_now != full && full > 0) {
    recipe[1] = f->recipe_dy_now;
    recipe[2] = mul_div(recipe[2], f->recipe_dy_now, full);
  }
}

/* Design J3: the extra opex of a thrifted plant's output `out` (kg), in
 * cents: thrift_cost x (recipe - now) / (recipe - recipe x min_share) per
 * kg, rounded up (money owed to the world). */
int64_t model_thrift_opex(const model_state_t *st, const facility_t *f,
                          int64_t out) {
  int64_t full = st->map->stage[MODEL_MAGNETS].recipe[1];
  int64_t span = full - ppm_of(full, st->map->thrift_min_ppm);
  if (f->recipe_dy_now <= 0 || f->recipe_dy_now >= full || span <= 0 ||
      out <= 0)
    return 0;
  __int128 num =
      (__int128)out * st->map->thrift_cost * (full - f->recipe_dy_now);
  __int128 c = (num + span - 1) / span;
  return c > INT64_MAX / 4 ? INT64_MAX / 4 : (int64_t)c;
}

void model_thrift_order(model_state_t *st, facility_t *f, int64_t recipe) {
  int64_t now = f->recipe_dy_now > 0 ? f->recipe_dy_now
                                     : st->map->stage[MODEL_MAGNETS].recipe[1];
  f->recipe_dy_target = recipe;
  f->recipe_dy_now = now;
  f->thrift_left = recipe == now ? 0 : st->map->thrift_turns;
  if (f->thrift_left == 0)
    f->recipe_dy_now = recipe;
}

/* Design J3: plants whose ordered recipe is on its way count down a turn;
 * the recipe takes effect when they reach 0 (for the next turn's output). */
static void thrift_countdown(model_state_t *st) {
  for (size_t i = 0; i < st->n_fac; i++) {
    facility_t *f = &st->fac[i];
    if (f->thrift_left > 0 && --f->thrift_left == 0)
      f->recipe_dy_now = f->recipe_dy_target;
  }
}

static int magnets(model_state_t *st, const stages_t *sl) {
  const int stg = MODEL_MAGNETS;
  int64_t *want = sl->want;
  for (size_t i = sl->begin[stg]; i < sl->begin[stg + 1]; i++)
    want[sl->idx[i]] = can_run(st, &st->fac[sl->idx[i]]);
  apply_quota(st, stg, sl);
  if (st->n_caps)
    model_amend_caps_apply(st, stg, want);
  for (size_t i = sl->begin[stg]; i < sl->begin[stg + 1]; i++) {
    size_t k = (size_t)sl->idx[i];
    facility_t *f = &st->fac[k];
    int32_t fh = model_fac_holder(st, f);
    int64_t *si = inv_at(st, fh, 0);
    model_holder_flows_t *sf = flows_at(st, fh);
    int64_t out = want[k];
    int in[3];
    int nin = map_magnet_inputs(st->map, in);
    int64_t recipe[3];
    magnet_recipe(st, f, recipe);
    for (int q = 0; q < nin; q++)
      if (recipe[q] > 0) {
        int64_t most = mul_div(si[in[q]], MODEL_PPM, recipe[q]);
        if (out > most)
          out = most;
      }
    f->out_last = out > 0 ? out : 0;
    if (out <= 0)
      continue;
    int64_t inputs = 0, tracked = 0; /* value of inputs, of their content */
    int32_t nh = (int32_t)(st->n_seats + (size_t)f->nation);
    for (int q = 0; q < nin; q++) {
      int64_t use = ceil_ppm(out, recipe[q]);
      LAN_ASSERT(use <= si[in[q]]);
      int64_t c = model_origin_take(st, fh, in[q], use);
      ck_add(st, &tracked,
             ck_mul_div(st, c, st->price[in[q]], 1, nh, "value added",
                        MODEL_U_CENTS),
             nh, "value added", MODEL_U_CENTS, "magnet feed");
      si[in[q]] -= use;
      ck_add(st, &sf->consumed[in[q]], use, f->owner, "consumption", MODEL_U_KG,
             "magnet feed");
      ck_add(st, &st->report.consumed[in[q]], use, -1, "consumption",
             MODEL_U_KG, "magnet feed");
      ck_add(st, &inputs,
             ck_mul_div(st, use, st->price[in[q]], 1, nh, "value added",
                        MODEL_U_CENTS),
             nh, "value added", MODEL_U_CENTS, "magnet feed");
    }
    ck_add(st, &si[MODEL_MAGNET], out, f->owner, "inventory", MODEL_U_KG,
           "magnet output");
    /* rules of origin: a magnet made in the tracked nation, or with its
     * material worth at least the threshold of the magnet's value (the
     * 0.1% rule, S65), is all the tracked nation's */
    if (model_origin_nation(st) >= 0) {
      int64_t worth = ck_mul_div(st, out, st->price[MODEL_MAGNET], 1, nh,
                                 "value added", MODEL_U_CENTS);
      if (f->nation == model_origin_nation(st) ||
          (tracked > 0 && (__int128)tracked * MODEL_PPM >=
                              (__int128)model_origin_threshold(st) * worth))
        model_origin_add(st, fh, MODEL_MAGNET, out);
    }
    book_output(st, f, MODEL_MAGNET, out);
    int64_t opex =
        ck_mul_div(st, out, f->unit_cost, 1, f->owner, "opex", MODEL_U_CENTS);
    if (f->recipe_dy_now > 0)
      ck_add(st, &opex, model_thrift_opex(st, f, out), f->owner, "opex",
             MODEL_U_CENTS, "thrifting");
    seat_out(st, f->owner, opex, "opex");
    branch_cost(st, fh, opex);
    sink(st, opex, "opex");
    ck_add(st,
           &st->report_production[MODEL_MAGNETS * st->n_nations +
                                  (size_t)f->nation],
           out, nh, "production", MODEL_U_KG, "magnet output");
    int64_t va = ck_mul_div(st, out, st->price[MODEL_MAGNET], 1, nh,
                            "value added", MODEL_U_CENTS);
    ck_sub(st, &va, inputs, nh, "value added", MODEL_U_CENTS, "magnet feed");
    ck_add(st, &st->nations[f->nation].value_added, va, nh, "value added",
           MODEL_U_CENTS, "magnets");
    ck_add(st, &f->cum, out, f->owner, "experience", MODEL_U_KG,
           "magnet output");
    if (st->map->stage[f->stage].learn)
      ck_add(st, &st->nations[f->nation].know_how[f->stage], out,
             (int32_t)(st->n_seats + (size_t)f->nation), "know-how", MODEL_U_KG,
             "output");
    model_facility_refresh(st, f);
  }
  thrift_countdown(st);
  return st->range_failed ? MODEL_ERANGE : 0;
}

/* ---- step 6 ---- */
static void wages_taxes(model_state_t *st) {
  const model_map_t *m = st->map;
  for (size_t si = 0; si < st->n_seats; si++) {
    if (m->seats[si].kind != MODEL_SEAT_FIRM)
      continue;
    seat_t *se = &st->seats[si];
    int home = m->seats[si].nation;
    int64_t w = 0;
    int32_t who = (int32_t)si, nh = (int32_t)(st->n_seats + (size_t)home);
    for (int s = 0; s < NS; s++) {
      /* apprentices are paid from the day they start */
      int64_t people = se->staff[s];
      for (int t = 0; t < MODEL_TRAIN_TURNS_MAX; t++)
        people += se->appr[s][t];
      ck_add(st, &w,
             ck_mul_div(st, people, m->nations[home].wage[s], 4, who, "wages",
                        MODEL_U_CENTS),
             who, "wages", MODEL_U_CENTS, "wages");
    }
    /* plants abroad pay their own staff at the host's wages (issue 11);
     * firms' facilities are listed from first_fac */
    for (int32_t k = se->first_fac; k >= 0; k = st->fac[k].next_of_owner) {
      const facility_t *f = &st->fac[k];
      if (f->abroad && f->staff > 0) {
        int64_t fw =
            ck_mul_div(st, f->staff, m->nations[f->nation].wage[f->stage], 4,
                       who, "wages", MODEL_U_CENTS);
        ck_add(st, &w, fw, who, "wages", MODEL_U_CENTS, "wages abroad");
        branch_cost(st, model_fac_holder(st, f), fw);
      }
    }
    seat_out(st, (int)si, w, "wages");
    sink(st, w, "wages");
    int64_t profit = se->revenue;
    ck_sub(st, &profit, se->costs, who, "profit", MODEL_U_CENTS, "costs");
    if (st->br && m->branches) {
      /* branches' profits are taxed by their hosts (design I2); home taxes
       * the rest */
      int64_t abroad = 0;
      model_branch_taxes(st, (int)si, &abroad);
      ck_sub(st, &profit, abroad, who, "profit", MODEL_U_CENTS,
             "profit taxed abroad");
    }
    int64_t tax =
        profit > 0 ? ppm_of(profit, st->nations[home].pol.tax_ppm) : 0;
    if (tax > 0) {
      ck_sub(st, &se->cash, tax, who, "cash", MODEL_U_CENTS, "tax");
      ck_add(st, &se->flows.money_out, tax, who, "money paid out",
             MODEL_U_CENTS, "tax");
      ck_add(st, &st->nations[home].budget, tax, nh, "budget", MODEL_U_CENTS,
             "tax");
      ck_add(st, &st->nations[home].flows.money_in, tax, nh, "money received",
             MODEL_U_CENTS, "tax");
    }
  }
  for (size_t k = 0; k < st->n_fac; k++) {
    facility_t *f = &st->fac[k];
    if (f->build_left == 0)
      f->book -= f->book / m->depreciation_turns;
  }
}

/* A source of money: the world gives c to a firm (debt written off). */
static void seat_source(model_state_t *st, int s, int64_t c, const char *why) {
  seat_t *se = &st->seats[s];
  ck_add(st, &se->cash, c, s, "cash", MODEL_U_CENTS, why);
  ck_add(st, &se->flows.money_in, c, s, "money received", MODEL_U_CENTS, why);
  ck_add(st, &se->written_off, c, s, "debt written off", MODEL_U_CENTS, why);
  ck_add(st, &st->report.money_sources, c, -1, "money sources", MODEL_U_CENTS,
         why);
}

/* Interest (docs/model.md, "Money limits"): a nation in deficit pays its
 * rate on the deficit, up to its limit (the rest is owed as arrears, paid
 * when the budget has room again); a firm with negative cash pays the firm
 * rate, whatever its limit (a firm that cannot pay defaults). Amounts owed
 * to the world round up. Sinks: the lenders are outside the model. */
static void finance_turn(model_state_t *st) {
  const model_map_t *m = st->map;
  if (!m->finance)
    return;
  for (size_t n = 0; n < st->n_nations; n++) {
    nation_t *na = &st->nations[n];
    int32_t who = (int32_t)(st->n_seats + n);
    int64_t lim = m->nations[n].deficit_limit;
    int64_t i = na->budget < 0 ? ceil_ppm(-na->budget, m->nation_rate_q) : 0;
    int64_t room = na->budget + lim; /* >= 0: the budget never passes it */
    if (room < 0)
      room = 0;
    int64_t pay = i < room ? i : room;
    ck_add(st, &na->arrears, i - pay, who, "interest arrears", MODEL_U_CENTS,
           "interest");
    room -= pay;
    /* arrears first out of what room is left */
    int64_t back = na->arrears < room ? na->arrears : room;
    if (i - pay > 0)
      money_news(st, (int)n, 0,
                 "%s cannot pay %.2f USD of interest within its deficit limit; "
                 "it owes %.2f USD in arrears",
                 m->nations[n].id, model_cents_to_usd(i - pay),
                 model_cents_to_usd(na->arrears));
    na->arrears -= back;
    pay += back;
    ck_sub(st, &na->budget, pay, who, "budget", MODEL_U_CENTS, "interest");
    ck_add(st, &na->flows.money_out, pay, who, "money paid out", MODEL_U_CENTS,
           "interest");
    sink(st, pay, "interest");
  }
  for (size_t s = 0; s < st->n_seats; s++) {
    seat_t *se = &st->seats[s];
    if (m->seats[s].kind != MODEL_SEAT_FIRM || se->receivership > 0 ||
        se->cash >= 0)
      continue;
    int64_t i = ceil_ppm(-se->cash, m->firm_rate_q);
    seat_out(st, (int)s, i, "interest");
    sink(st, i, "interest");
  }
}

/* Holding cost (docs/model.md, "Stocks and prices"): every holder pays, on
 * its closing stock of each product, the map's quarterly rate of its value
 * at this turn's world price, rounded up (storage and the money tied up;
 * a sink). A nation pays for its stockpiles from its budget, within its
 * deficit limit (the rest is owed as arrears, like interest). */
static void holding_costs(model_state_t *st) {
  const model_map_t *m = st->map;
  if (m->hold_q <= 0)
    return;
  for (size_t h = 0; h < st->n_seats + st->n_nations; h++) {
    bool firm = h < st->n_seats;
    if (firm && m->seats[h].kind != MODEL_SEAT_FIRM)
      continue;
    const int64_t *inv =
        firm ? st->seats[h].inv : st->nations[h - st->n_seats].stock;
    __int128 due = 0;
    for (int p = 0; p < NP; p++)
      if (inv[p] > 0)
        due += ((__int128)inv[p] * st->price[p] * m->hold_q + MODEL_PPM - 1) /
               MODEL_PPM;
    if (due <= 0)
      continue;
    if (due > MODEL_HOLDER_MONEY_MAX) {
      model_range_fail(st, (int32_t)h, "holding cost beyond the money limit");
      return;
    }
    int64_t c = (int64_t)due;
    if (firm) {
      seat_out(st, (int)h, c, "holding cost");
      sink(st, c, "holding cost");
      continue;
    }
    size_t n = h - st->n_seats;
    nation_t *na = &st->nations[n];
    int64_t room = model_headroom(st, (int32_t)h);
    int64_t pay = c;
    if (room != MODEL_HEADROOM_NONE && pay > room) {
      pay = room > 0 ? room : 0;
      ck_add(st, &na->arrears, c - pay, (int32_t)h, "interest arrears",
             MODEL_U_CENTS, "holding cost");
    }
    ck_sub(st, &na->budget, pay, (int32_t)h, "budget", MODEL_U_CENTS,
           "holding cost");
    ck_add(st, &na->flows.money_out, pay, (int32_t)h, "money paid out",
           MODEL_U_CENTS, "holding cost");
    sink(st, pay, "holding cost");
  }
  /* branches' stocks, paid by their firms (design I2) */
  model_branch_holding(st, m->hold_q);
}

/* Defaults and receivership (docs/model.md): a firm whose cash is below
 * minus its credit limit defaults: the debt beyond the limit is written
 * off (a source), its plants idle, its people go back to its home pool,
 * its bids are withdrawn, and for receivership_turns it may only sell
 * what it holds. When the receivership ends, what it still owes is
 * written off and it starts again with no cash (as Molycorp's assets did
 * under MP, S100). Runs after every cost of the turn. */
static void defaults(model_state_t *st) {
  const model_map_t *m = st->map;
  if (!m->finance)
    return;
  for (size_t s = 0; s < st->n_seats; s++) {
    seat_t *se = &st->seats[s];
    if (m->seats[s].kind != MODEL_SEAT_FIRM)
      continue;
    int home = m->seats[s].nation;
    if (se->receivership > 0) {
      if (--se->receivership == 0) {
        int64_t debt = se->cash < 0 ? -se->cash : 0;
        if (debt > 0)
          seat_source(st, (int)s, debt, "debt written off");
        money_news(st, -1, 0,
                   "%s leaves receivership: %.2f USD of debt written off",
                   m->seats[s].id, model_cents_to_usd(debt));
        continue;
      }
      /* costs it cannot avoid in receivership are written off too */
      if (se->cash < -se->credit_limit)
        seat_source(st, (int)s, -se->credit_limit - se->cash,
                    "debt written off");
      continue;
    }
    if (se->cash >= -se->credit_limit)
      continue;
    money_news(st, -1, 0,
               "%s defaults: debt %.2f USD, credit limit %.2f USD; in "
               "receivership for %d turns",
               m->seats[s].id, model_cents_to_usd(-se->cash),
               model_cents_to_usd(se->credit_limit), m->receivership_turns);
    seat_source(st, (int)s, -se->credit_limit - se->cash, "debt written off");
    se->receivership = m->receivership_turns;
    for (int32_t f = se->first_fac; f >= 0; f = st->fac[f].next_of_owner)
      st->fac[f].util = 0;
    int32_t nh = (int32_t)(st->n_seats + (size_t)home);
    for (int k = 0; k < NS; k++) {
      int64_t people = se->staff[k];
      for (int t = 0; t < MODEL_TRAIN_TURNS_MAX; t++) {
        people += se->pipeline[k][t];
        se->pipeline[k][t] = 0;
        se->appr[k][t] = 0; /* apprentices leave (they had no pool) */
      }
      se->staff[k] = 0;
      ck_add(st, &st->nations[home].pool[k], people, nh, "talent pool",
             MODEL_U_PEOPLE, "a default");
    }
    for (int p = 0; p < NP; p++)
      se->bid[p].qty = 0;
  }
}

/* Fires an event; fac is its facility's index when the caller knows it
 * (random events, drawn per facility), else -1 (looked up by id). */
static void fire(model_state_t *st, const model_event_t *ev, int fac) {
  const model_map_t *m = st->map;
  int n = ev->nation[0] ? model_nation_index(m, ev->nation) : -1;
  model_event_t out = *ev;
  out.turn = st->turn;
  switch (ev->kind) {
  case MODEL_EV_POLICY:
    /* an event's policy binds from the next turn (its `turns` count from
     * there) */
    if (n >= 0)
      (void)model_policy_apply_from(st, n, &ev->policy, st->turn + 1);
    break;
  case MODEL_EV_STATE_SUPPORT: {
    /* a nation's grant, equity or loan (paid whatever its budget: the
     * event is history, not a choice) or its firm price floor */
    if (n < 0)
      return;
    const model_order_t *o = &ev->policy;
    if (o->op == MODEL_OP_POLICY) {
      (void)model_policy_apply(st, n, o);
    } else if (m->nations[n].seat >= 0) {
      /* a nation at its deficit limit cannot pay: the support does not
       * happen, and the news says so (docs/model.md "Money limits") */
      int64_t head = model_headroom(st, (int32_t)(st->n_seats + (size_t)n));
      if (head != MODEL_HEADROOM_NONE && o->amount_cents > head) {
        snprintf(out.text, sizeof out.text,
                 "%s cannot fund its %s to %s: %.2f USD asked, %.2f USD "
                 "within its deficit limit",
                 m->nations[n].id, model_op_name((int)o->op), o->firm,
                 model_cents_to_usd(o->amount_cents),
                 model_cents_to_usd(head > 0 ? head : 0));
        out.kind = MODEL_EV_FINANCE;
        news(st, &out);
        return;
      }
      (void)model_deal_apply(st, m->nations[n].seat, o);
    } else {
      return;
    }
    break;
  }
  case MODEL_EV_MINE_ACCIDENT:
  case MODEL_EV_PLANT_OUTAGE:
  case MODEL_EV_COST_OVERRUN: {
    int f = fac;
    for (size_t k = 0; f < 0 && k < st->n_fac && ev->facility[0]; k++)
      if (strcmp(st->fac[k].id, ev->facility) == 0)
        f = (int)k;
    if (f < 0)
      return;
    facility_t *fa = &st->fac[f];
    if (ev->kind == MODEL_EV_COST_OVERRUN) {
      int64_t extra = ck_mul_div(st, fa->book, ev->magnitude_ppm, MODEL_PPM,
                                 fa->owner, "cost overrun", MODEL_U_CENTS);
      seat_out(st, fa->owner, extra, "cost overrun");
      sink(st, extra, "cost overrun");
      ck_add(st, &fa->book, extra, fa->owner, "book value", MODEL_U_CENTS,
             "cost overrun");
      if (fa->build_left > 0)
        fa->build_left += (int64_t)ev->duration * MODEL_PPM;
      else if (fa->exp_left > 0)
        fa->exp_left += (int64_t)ev->duration * MODEL_PPM;
    } else {
      fa->outage_ppm =
          ev->magnitude_ppm > MODEL_PPM ? MODEL_PPM : ev->magnitude_ppm;
      fa->outage_turns = ev->duration;
    }
    break;
  }
  case MODEL_EV_FLOOD:
  case MODEL_EV_CONFLICT:
  case MODEL_EV_DEMAND_SURGE: {
    /* past MODEL_EFFECTS_MAX an event has no lasting effect, as before
     * the arrays grew; out of memory refuses the turn (range.c) */
    int rc = model_state_room(st, st->n_effects + 1, 0);
    if (rc == MODEL_ENOMEM)
      model_range_fail(st, -1, "out of memory for the effects of events");
    if (rc == 0) {
      effect_t *e = &st->effects[st->n_effects++];
      e->kind = ev->kind;
      e->nation = n;
      e->facility = -1;
      e->product = ev->product;
      e->magnitude_ppm = ev->magnitude_ppm;
      e->turns_left = ev->duration;
    }
    break;
  }
  default:
    return;
  }
  if (!out.text[0])
    snprintf(out.text, sizeof out.text, "%s%s%s%s%s",
             model_event_name(ev->kind), n >= 0 ? " in " : "",
             n >= 0 ? m->nations[n].id : "", ev->facility[0] ? " at " : "",
             ev->facility);
  news(st, &out);
}

static void events(model_state_t *st) {
  const model_map_t *m = st->map;
  /* effects of earlier turns age first, so a new event lasts its full
   * duration from the next turn */
  size_t w = 0;
  for (size_t e = 0; e < st->n_effects; e++)
    if (--st->effects[e].turns_left > 0)
      st->effects[w++] = st->effects[e];
  st->n_effects = w;
  for (size_t k = 0; k < st->n_fac; k++)
    if (st->fac[k].outage_turns > 0 && --st->fac[k].outage_turns == 0)
      st->fac[k].outage_ppm = 0;
  for (size_t i = 0; i < m->n_scripted; i++)
    if (m->scripted[i].turn == st->turn && model_scripted_on(st, i))
      fire(st, &m->scripted[i], -1);
  for (size_t i = 0; i < st->n_injected; i++)
    fire(st, &st->injected[i], -1);
  st->n_injected = 0;
  for (size_t r = 0; r < m->n_random; r++) {
    const map_random_event_t *re = &m->random[r];
    rng_t g;
    rng_init(&g, st, (uint32_t)r);
    model_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = re->kind;
    ev.magnitude_ppm = re->magnitude_ppm;
    ev.duration = re->duration;
    ev.product = re->product;
    ev.stage = -1;
    switch (re->kind) {
    case MODEL_EV_MINE_ACCIDENT:
    case MODEL_EV_PLANT_OUTAGE:
    case MODEL_EV_COST_OVERRUN:
      for (size_t k = 0; k < st->n_fac; k++) {
        const facility_t *f = &st->fac[k];
        bool cand = re->kind == MODEL_EV_COST_OVERRUN
                        ? (f->build_left > 0 || f->exp_left > 0)
                    : re->kind == MODEL_EV_MINE_ACCIDENT
                        ? f->stage == MODEL_MINING && f->build_left == 0
                        : f->stage != MODEL_MINING && f->build_left == 0;
        if (!cand || (re->nation >= 0 && f->nation != re->nation))
          continue;
        if (!chance(&g, (uint32_t)k, re->probability_ppm))
          continue;
        snprintf(ev.facility, sizeof ev.facility, "%s", f->id);
        snprintf(ev.nation, sizeof ev.nation, "%s", m->nations[f->nation].id);
        fire(st, &ev, (int)k);
      }
      break;
    case MODEL_EV_FLOOD:
    case MODEL_EV_CONFLICT:
    case MODEL_EV_DEMAND_SURGE:
      for (size_t n = 0; n < st->n_nations; n++) {
        if (re->nation >= 0 && (size_t)re->nation != n)
          continue;
        if (!chance(&g, (uint32_t)n, re->probability_ppm))
          continue;
        snprintf(ev.nation, sizeof ev.nation, "%s", m->nations[n].id);
        fire(st, &ev, -1);
      }
      break;
    default:
      break;
    }
  }
}

/* Substitution (R34; docs/model.md, "Participants"): while buyers in a
 * nation pay more than the curve's reference price P0, they substitute
 * away: each quarter, cap/4 x min(1, (P - P0) / P0) of the demand left goes
 * (cap = substitution_cap, a share of demand a year), so never more than
 * cap in a year, and that much only at twice the reference price. At or
 * below P0 it comes back by cap/8 of the trend a quarter: a year at the
 * cap takes about two years to recover, as after 2011. */
static void substitute(int64_t *s, int64_t price, int64_t p0, int64_t quarter) {
  if (price > p0) {
    int64_t excess = mul_div(price - p0, MODEL_PPM, p0);
    int64_t loss = ppm_of(quarter, excess < MODEL_PPM ? excess : MODEL_PPM);
    *s += ppm_of(MODEL_PPM - *s, loss);
  } else {
    *s -= *s < quarter / 2 ? *s : quarter / 2;
  }
}

static void substitution(model_state_t *st) {
  int64_t quarter = st->map->substitution_cap_ppm / 4;
  if (quarter <= 0)
    return;
  for (size_t n = 0; n < st->n_nations; n++) {
    nation_t *na = &st->nations[n];
    const map_nation_t *mn = &st->map->nations[n];
    for (int p = 0; p < NP; p++) {
      const map_demand_t *md = &mn->demand[p];
      if (!md->present)
        continue;
      if (!mn->sectored[p]) {
        substitute(&na->subst_ppm[p], st->regional[p][n], md->price, quarter);
        continue;
      }
      /* demand by sector: each line substitutes at the price of the market
       * it clears in */
      for (int s = 0; s < MODEL_SECTORS; s++)
        if (mn->sector[p][s].present)
          substitute(&na->sec_subst[p][s],
                     st->regional[p][mn->sector[p][s].cleared_in], md->price,
                     quarter);
    }
  }
}

/* Demand by sector: each line grows at its rate of the year (turn / 4,
 * the last rate holding); the nation's trend and substitution figures
 * (demand_q0, subst_ppm) become the sums over its lines, so that what
 * reads them (the observation's demand, indexed bids) sees the total. */
static void sector_growth(model_state_t *st, size_t n, int p) {
  nation_t *na = &st->nations[n];
  const map_nation_t *mn = &st->map->nations[n];
  int64_t q0 = 0, ref = 0;
  int32_t who = (int32_t)(st->n_seats + n);
  for (int s = 0; s < MODEL_SECTORS; s++) {
    const map_sector_t *l = &mn->sector[p][s];
    if (!l->present)
      continue;
    int32_t y = st->turn / 4;
    if (y >= l->n_growth)
      y = l->n_growth - 1;
    ck_add(st, &na->sec_q0[p][s], ppm_of(na->sec_q0[p][s], l->growth_q[y]), who,
           "demand", MODEL_U_KG, "growth");
    ck_add(st, &q0, na->sec_q0[p][s], who, "demand", MODEL_U_KG, "growth");
    ck_add(st, &ref, model_sector_reference(na, p, s), who, "demand",
           MODEL_U_KG, "growth");
  }
  na->demand_q0[p] = q0;
  na->subst_ppm[p] = q0 > 0 ? MODEL_PPM - mul_div(ref, MODEL_PPM, q0) : 0;
}

/* Demand next turn: substitution, trend growth, plus surges from active
 * effects. */
static void demand(model_state_t *st) {
  substitution(st);
  for (size_t n = 0; n < st->n_nations; n++) {
    nation_t *na = &st->nations[n];
    for (int p = 0; p < NP; p++) {
      if (st->map->nations[n].sectored[p])
        sector_growth(st, n, p);
      else
        ck_add(st, &na->demand_q0[p],
               ppm_of(na->demand_q0[p],
                      st->map->nations[n].demand[p].growth_ppm_turn),
               (int32_t)(st->n_seats + n), "demand", MODEL_U_KG, "growth");
      na->surge_ppm[p] = 0;
    }
  }
  for (size_t e = 0; e < st->n_effects; e++) {
    const effect_t *ef = &st->effects[e];
    if (ef->kind != MODEL_EV_DEMAND_SURGE)
      continue;
    for (size_t n = 0; n < st->n_nations; n++)
      for (int p = 0; p < NP; p++)
        if (map_has(st->map, p) &&
            (ef->nation < 0 || (size_t)ef->nation == n) &&
            (ef->product < 0 || ef->product == p))
          st->nations[n].surge_ppm[p] += ef->magnitude_ppm;
  }
}

void model_state_compute_scores(model_state_t *st) {
  const model_map_t *m = st->map;
  for (size_t n = 0; n < st->n_nations; n++) {
    nation_t *na = &st->nations[n];
    int64_t sum = 0, cnt = 0;
    for (int p = 0; p < NP; p++) {
      if (!m->nations[n].demand[p].present)
        continue;
      cnt++;
      /* demand by sector: lines cleared in another market count for the
       * nation they name (credit_*: zero on maps without sectors) */
      int64_t bought = na->bought[p] + na->credit_bought[p];
      int64_t own = na->own_supply[p] + na->credit_own[p];
      sum += bought > 0 ? mul_div(own, MODEL_PPM, bought) : MODEL_PPM;
    }
    na->security_ppm = cnt ? sum / cnt : MODEL_PPM;
    int64_t ref =
        m->nations[n].budget > 0 ? m->nations[n].budget : (int64_t)100000000000;
    const map_seat_t *ms =
        m->nations[n].seat >= 0 ? &m->seats[m->nations[n].seat] : NULL;
    int64_t wsec = ms ? ms->weight[0] : 500000;
    int64_t wva = ms ? ms->weight[1] : 300000;
    int64_t wb = ms ? ms->weight[2] : 200000;
    int32_t who = (int32_t)(st->n_seats + n);
    int64_t va = ck_mul_div(st, na->value_added, MODEL_PPM, ref, who,
                            "score (value added)", MODEL_U_CENTS);
    /* equity stakes count in the budget objective at their share of the
     * firm's net worth (docs/model.md "State support") */
    int64_t held = na->budget;
    for (size_t k = 0; st->ext && k < st->ext->n_stakes; k++) {
      int64_t w;
      if (st->ext->stakes[k].nation == (int32_t)n &&
          model_seat_net_worth(st, st->ext->stakes[k].firm, &w) && w > 0)
        ck_add(st, &held, ppm_of(w, st->ext->stakes[k].stake_ppm), who,
               "budget", MODEL_U_CENTS, "equity stake");
    }
    int64_t bud = ck_mul_div(st, held, MODEL_PPM, ref, who, "score (budget)",
                             MODEL_U_CENTS);
    int64_t score = ppm_of(na->security_ppm, wsec);
    ck_add(st, &score, ppm_of(va, wva), who, "score", MODEL_U_CENTS,
           "value added");
    ck_add(st, &score, ppm_of(bud, wb), who, "score", MODEL_U_CENTS, "budget");
    na->score = score;
  }
  /* firms' net worth as model_seat_net_worth, with the book values summed in
   * one pass over the facilities (each firm's list jumps around memory) */
  int64_t *book = st->turn_buf + st->n_fac;
  memset(book, 0, st->n_seats * sizeof *book);
  for (size_t k = 0; k < st->n_fac; k++)
    ck_add(st, &book[st->fac[k].owner], st->fac[k].book, st->fac[k].owner,
           "book value", MODEL_U_CENTS, "a facility's book value");
  for (size_t s = 0; s < st->n_seats; s++) {
    seat_t *se = &st->seats[s];
    if (m->seats[s].kind == MODEL_SEAT_NATION) {
      se->score = st->nations[m->seats[s].nation].score;
    } else {
      int32_t who = (int32_t)s;
      int64_t worth = se->cash;
      ck_add(st, &worth, book[s], who, "net worth", MODEL_U_CENTS,
             "book value");
      for (int p = 0; p < NP; p++)
        ck_add(st, &worth,
               ck_mul_div(st, se->inv[p], st->price[p], 1, who, "net worth",
                          MODEL_U_CENTS),
               who, "net worth", MODEL_U_CENTS, "inventory");
      if (st->br) {
        /* its branches' stocks (design I2) */
        int64_t bw = 0;
        if (!model_branch_worth(st, (int)s, &bw))
          model_range_fail(st, who, "net worth beyond the int64 range");
        ck_add(st, &worth, bw, who, "net worth", MODEL_U_CENTS,
               "branch inventory");
      }
      /* nations' stakes dilute the owners' share */
      int64_t held = 0;
      for (size_t k = 0; st->ext && k < st->ext->n_stakes; k++)
        if (st->ext->stakes[k].firm == (int32_t)s)
          held += st->ext->stakes[k].stake_ppm;
      if (held > 0 && worth > 0)
        worth =
            ppm_of(worth, MODEL_PPM - (held < MODEL_PPM ? held : MODEL_PPM));
      int64_t ref =
          se->initial_worth > 100000000 ? se->initial_worth : 100000000;
      se->score = mul_div(worth, MODEL_PPM, ref);
    }
    st->report_scores[s] = se->score;
  }
}

static void begin(model_state_t *st) {
  model_report_t *rep = &st->report;
  rep->turn = st->turn;
  rep->n_news = 0;
  rep->n_late_refusals = 0;
  rep->money_sources = rep->money_sinks = 0;
  memset(rep->produced, 0, sizeof rep->produced);
  memset(rep->consumed, 0, sizeof rep->consumed);
  memset(st->report_production, 0, sizeof st->report_production);
  memset(st->report_capacity, 0, sizeof st->report_capacity);
  for (size_t s = 0; s < st->n_seats; s++) {
    seat_t *se = &st->seats[s];
    memset(&se->flows, 0, sizeof se->flows);
    memcpy(se->flows.opening, se->inv, sizeof se->inv);
    memset(se->appr_taken, 0, sizeof se->appr_taken);
    se->flows.money_opening = se->cash;
    se->revenue = se->costs = 0;
  }
  for (size_t n = 0; n < st->n_nations; n++) {
    nation_t *na = &st->nations[n];
    na->told = 0;
    memset(na->poached, 0, sizeof na->poached);
    memset(&na->flows, 0, sizeof na->flows);
    memcpy(na->flows.opening, na->stock, sizeof na->stock);
    na->flows.money_opening = na->budget;
    memset(na->consumed, 0, sizeof na->consumed);
    memset(na->bought, 0, sizeof na->bought);
    memset(na->own_supply, 0, sizeof na->own_supply);
  }
  for (int p = 0; p < NP; p++) {
    st->volume[p] = 0;
    st->market[p].n_trades = st->market[p].n_flows = 0;
  }
  model_branches_begin(st);
}

/* Schools (docs/model.md, "Talent limits"): a nation's training capacity
 * for a skill grows by capacity_growth while it is at least 90% used, up
 * to capacity_max times its opening value; the places free up for the
 * next turn. The pool as the turn closes is the poaching bound of the next
 * turn. */
static void schools(model_state_t *st) {
  const model_map_t *m = st->map;
  for (size_t n = 0; n < st->n_nations; n++) {
    nation_t *na = &st->nations[n];
    for (int s = 0; s < NS; s++) {
      int64_t cap = na->train_cap[s];
      if (cap > 0 && m->cap_growth_q > 0 && na->train_used[s] * 10 >= cap * 9) {
        int64_t most = ppm_of(m->nations[n].train_cap[s], m->cap_max_ppm);
        int64_t g = ppm_of(cap, m->cap_growth_q);
        int64_t grown = cap + (g > 1 ? g : 1);
        if (grown > most)
          grown = most > cap ? most : cap;
        na->train_cap[s] = grown;
      }
      na->train_used[s] = 0;
      na->pool_start[s] = na->pool[s];
    }
  }
  model_train_keep(st);
}

static void finish(model_state_t *st) {
  schools(st);
  for (size_t k = 0; k < st->n_fac; k++) {
    facility_t *f = &st->fac[k];
    /* online: operating facilities' nameplate (a finished expansion
     * included, one under construction not); the observation's public
     * capacity is the announced one, construction included */
    if (f->build_left == 0)
      ck_add(st,
             &st->report_capacity[(size_t)f->stage * st->n_nations +
                                  (size_t)f->nation],
             f->capacity, (int32_t)(st->n_seats + (size_t)f->nation),
             "capacity online", MODEL_U_KG, "a facility");
    if (f->build_left == 0)
      f->ramp_age += f->ramp_age < 100000;
    if (f->exp_done > 0) {
      f->exp_age++;
      if (f->exp_age >= st->map->stage[f->stage].n_bramp)
        f->exp_done = 0;
    }
    model_facility_refresh_capacity(st, f);
  }
  /* the price history observations show (maps that keep one) */
  int32_t keep = st->map->hist_turns;
  if (keep > 0) {
    int32_t n = st->n_hist < keep ? st->n_hist + 1 : keep;
    memmove(st->hist[1], st->hist[0], (size_t)(n - 1) * sizeof st->hist[0]);
    memcpy(st->hist[0], st->price, sizeof st->hist[0]);
    st->n_hist = n;
  }
  for (int p = 0; p < NP; p++) {
    st->report.price[p] = st->price[p];
    st->report.volume[p] = st->volume[p];
    for (size_t n = 0; n < st->n_nations; n++)
      st->report_regional[(size_t)p * st->n_nations + n] = st->regional[p][n];
  }
}

/* One product's market: contract deliveries first (served from what the
 * sellers hold, this turn's output included), then the market, then the
 * firm price floors and contracts for difference on its prices. The
 * first and last do nothing in a game without deals (deals.c). */
static int market(model_state_t *st, int p) {
  model_contracts_deliver(st, p);
  model_branch_transfers(st, p);
  if (st->range_failed)
    return MODEL_ERANGE;
  int rc = model_market_clear(st, p);
  if (rc)
    return rc;
  model_support_settle(st, p);
  return st->range_failed ? MODEL_ERANGE : 0;
}

/* The heavies' markets (design J1): the basket on basket maps, Dy then
 * Tb on split maps. */
static int heavy_markets(model_state_t *st) {
  if (!st->map->heavy_split)
    return market(st, MODEL_DYTB);
  int rc = market(st, MODEL_DY);
  return rc ? rc : market(st, MODEL_TB);
}

/* The turn is accepted: the submissions it played are done with. (Not in
 * finish: a turn refused after finish must find them again.) */
static void commit(model_state_t *st) {
  for (size_t s = 0; s < st->n_seats; s++) {
    seat_t *se = &st->seats[s];
    free(se->pending);
    se->pending = NULL;
    se->n_pending = 0;
    se->submitted = false;
  }
  st->turn++;
}

int model_resolve(model_state_t *st) {
  if (!st)
    return MODEL_EINVAL;
  if (st->turn >= st->map->turns)
    return MODEL_EFINISHED;
  /* Keep the state as it is, so that a turn that fails half-way (money
   * or tonnes beyond int64, a holder beyond the money limit, or out of
   * memory) is refused as a whole and leaves no trace. */
  int rc = model_turn_begin(st);
  if (rc)
    return rc;
  begin(st);
  if ((rc = model_orders_apply(st)))
    goto out;
  /* want[] per facility (new builds included), the staff left per seat
   * and skill, and the facilities by stage, in one buffer kept across
   * turns */
  size_t need = 2 * st->n_fac + NS * st->n_seats + 1;
  if (need > st->cap_turn_buf) {
    int64_t *b = realloc(st->turn_buf, need * sizeof *b);
    if (!b) {
      rc = MODEL_ENOMEM;
      goto out;
    }
    st->turn_buf = b;
    st->cap_turn_buf = need;
  }
  stages_t sl;
  stages_list(st, &sl, st->turn_buf,
              st->turn_buf + st->n_fac + NS * st->n_seats);
  construction(st);
  if ((rc = talent(st)))
    goto out;
  /* A range error stops the turn at the next step: what follows would
   * only compute on figures that are already refused. */
  if ((rc = mining(st, &sl)) || (rc = market(st, MODEL_CONCENTRATE)) ||
      (st->map->recycling && (rc = market(st, MODEL_SCRAP))) ||
      (rc = separation(st, &sl)) ||
      (st->map->recycling && (rc = recycling(st, &sl))) ||
      (rc = market(st, MODEL_NDPR)) || (rc = heavy_markets(st)) ||
      (rc = market(st, MODEL_LACE)) || (rc = magnets(st, &sl)) ||
      (rc = market(st, MODEL_MAGNET)))
    goto out;
  for (size_t n = 0; n < st->n_nations; n++)
    if (st->nations[n].told & TOLD_BIDS_CUT)
      money_news(st, (int)n, TOLD_BIDS,
                 "%s cannot fund all its bids this turn: they were cut to its "
                 "headroom",
                 st->map->nations[n].id);
  wages_taxes(st);
  holding_costs(st);
  finance_turn(st);
  model_deals_finance(st);
  events(st);
  /* policies set with `turns` whose last turn this was lapse */
  model_policy_lapses(st);
  /* the credit limit as the turn's costs leave the collateral: a firm
   * below it defaults now, and it holds for the next turn */
  model_credit_limits(st);
  defaults(st);
  demand(st);
  if (st->map->recycling)
    end_of_life(st);
  /* costs follow the know-how the turn added, everyone's at once */
  model_learning_refresh(st);
  finish(st);
  model_deals_finish(st);
  model_qualification_turn(st);
  model_state_compute_scores(st);
  if (!model_turn_check(st)) {
    rc = MODEL_ERANGE;
    goto out;
  }
  commit(st);
out:
  if (rc)
    model_turn_rollback(st);
  st->n_caps = 0; /* production amendments bind one resolution only */
  return rc;
}

int model_turn(model_state_t *st, const model_order_t *const *orders,
               const size_t *counts) {
  if (!st)
    return MODEL_EINVAL;
  if (orders && counts)
    for (size_t s = 0; s < st->n_seats; s++)
      if (orders[s] && counts[s]) {
        int rc = model_submit(st, (int)s, orders[s], counts[s], NULL, 0, NULL);
        if (rc)
          return rc;
      }
  return model_resolve(st);
}

int model_event_check(const model_state_t *st, const model_event_t *ev,
                      model_refusal_t *r) {
  const model_map_t *m = st->map;
  memset(r, 0, sizeof *r);
  if (ev->kind < 0 || ev->kind >= MODEL_EVENT_KINDS ||
      ev->kind == MODEL_EV_FINANCE) {
    model_refuse(r, "kind",
                 "expected one of mine_accident, flood, conflict, "
                 "demand_surge, cost_overrun, policy, plant_outage, "
                 "state_support (finance is news only)");
    return 1;
  }
  int n = ev->nation[0] ? model_nation_index(m, ev->nation) : -1;
  if (ev->nation[0] && n < 0) {
    model_refuse(r, "nation", "\"%s\" is not a nation of map %s", ev->nation,
                 m->id);
    return 1;
  }
  bool needs_nation =
      ev->kind == MODEL_EV_POLICY || ev->kind == MODEL_EV_STATE_SUPPORT ||
      ev->kind == MODEL_EV_FLOOD || ev->kind == MODEL_EV_CONFLICT;
  if (needs_nation && n < 0) {
    model_refuse(r, "nation", "a %s event needs \"nation\" (a nation id)",
                 model_event_name(ev->kind));
    return 1;
  }
  if (ev->kind == MODEL_EV_MINE_ACCIDENT || ev->kind == MODEL_EV_PLANT_OUTAGE ||
      ev->kind == MODEL_EV_COST_OVERRUN) {
    int f = -1;
    for (size_t k = 0; f < 0 && k < st->n_fac && ev->facility[0]; k++)
      if (strcmp(st->fac[k].id, ev->facility) == 0)
        f = (int)k;
    if (f < 0) {
      model_refuse(r, "facility",
                   "a %s event needs \"facility\": the id of a facility "
                   "of the game (\"%s\" is none)",
                   model_event_name(ev->kind), ev->facility);
      return 1;
    }
    if (ev->kind == MODEL_EV_MINE_ACCIDENT &&
        st->fac[f].stage != MODEL_MINING) {
      model_refuse(r, "facility", "\"%s\" is not a mine", ev->facility);
      return 1;
    }
  }
  if (ev->kind == MODEL_EV_DEMAND_SURGE &&
      (ev->product < 0 || ev->product >= MODEL_PRODUCTS)) {
    model_refuse(r, "product", "a demand_surge event needs \"product\"");
    return 1;
  }
  if (ev->kind == MODEL_EV_DEMAND_SURGE && !map_has(st->map, ev->product)) {
    model_refuse(r, "product", "product %s is not traded on this map; use %s",
                 model_product_name(ev->product),
                 st->map->heavy_split ? "dy_oxide and tb_oxide" : "dytb_oxide");
    return 1;
  }
  if (ev->magnitude_ppm < 0 || ev->magnitude_ppm > 10 * (int64_t)MODEL_PPM) {
    model_refuse(r, "magnitude", "expected a share from 0 to 10");
    return 1;
  }
  if (ev->kind != MODEL_EV_POLICY && ev->kind != MODEL_EV_STATE_SUPPORT &&
      (ev->duration < 1 || ev->duration > MODEL_TURNS_MAX)) {
    model_refuse(r, "duration", "expected a number of turns from 1 to %d",
                 MODEL_TURNS_MAX);
    return 1;
  }
  if (ev->n_audience < 0 || ev->n_audience > MODEL_AUDIENCE_MAX) {
    model_refuse(r, "seats", "at most %d seats", MODEL_AUDIENCE_MAX);
    return 1;
  }
  for (int32_t i = 0; i < ev->n_audience; i++)
    if (ev->audience[i] < 0 || (size_t)ev->audience[i] >= st->n_seats ||
        (i > 0 && ev->audience[i] <= ev->audience[i - 1])) {
      model_refuse(r, "seats",
                   "expected seat indices of the map in increasing order "
                   "without repeats");
      return 1;
    }
  if (ev->kind == MODEL_EV_POLICY || ev->kind == MODEL_EV_STATE_SUPPORT)
    return model_event_order_check(m, n, ev, r) ? 1 : 0;
  return 0;
}

int model_inject_event(model_state_t *st, const model_event_t *ev) {
  if (!st || !ev)
    return MODEL_EINVAL;
  if (st->n_injected >= MODEL_INJECTED_MAX)
    return MODEL_ELIMIT;
  model_refusal_t r;
  if (model_event_check(st, ev, &r))
    return MODEL_EINVAL;
  int rc = model_state_room(st, 0, st->n_injected + 1);
  if (rc)
    return rc;
  st->injected[st->n_injected++] = *ev;
  return 0;
}

void model_inject_clear(model_state_t *st) {
  if (st)
    st->n_injected = 0;
}

bool model_event_visible(const model_event_t *ev, int seat) {
  if (ev->n_audience <= 0)
    return true;
  for (int32_t i = 0; i < ev->n_audience && i < MODEL_AUDIENCE_MAX; i++)
    if (ev->audience[i] == seat)
      return true;
  return false;
}

int model_scripted_set(model_state_t *st, size_t i, bool on) {
  if (!st || i >= st->map->n_scripted)
    return MODEL_EINVAL;
  if (on)
    st->scripted_off[i / 8] &= (uint8_t) ~(1u << (i % 8));
  else
    st->scripted_off[i / 8] |= (uint8_t)(1u << (i % 8));
  return 0;
}

bool model_scripted_on(const model_state_t *st, size_t i) {
  return st && i < st->map->n_scripted &&
         !(st->scripted_off[i / 8] & (1u << (i % 8)));
}
