/* test_v2.c: the mechanics of model version 2 that close the loopholes
 * (docs/design/model-v2.md, sections A-E): lead times in two phases,
 * the brownfield bound, money limits, talent limits, holding costs and
 * stock-following asks. Each test plays the real model through
 * model_submit, model_resolve and model_observe. */
#include "helpers.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

/* world-2024 without its random events (cost overruns would move the
 * completion turns the tests count), edited by `edit` if not NULL. */
static model_map_t *world(void (*edit)(json_t *root)) {
  char path[512];
  snprintf(path, sizeof path, "%s/world-2024.json", LAN_SOURCE_MAPS);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  assert_non_null(root);
  json_t *ev = json_object_get(root, "events");
  assert_int_equal(json_object_del(ev, "random"), 0);
  if (edit)
    edit(root);
  char *text = json_dumps(root, JSON_COMPACT);
  assert_non_null(text);
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_string(text, strlen(text), "world-2024*", &m, &e);
  if (rc)
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  free(text);
  json_decref(root);
  return m;
}

static model_order_t op(model_op_t o) {
  model_order_t x;
  memset(&x, 0, sizeof x);
  x.op = o;
  return x;
}

static model_order_t build(int stage, double tonnes, const char *facility) {
  model_order_t o = op(MODEL_OP_BUILD);
  o.stage = stage;
  o.capacity_kg_per_year = (int64_t)(tonnes * 1000.0);
  if (facility)
    snprintf(o.facility, sizeof o.facility, "%s", facility);
  return o;
}

/* Submits one order; returns the number refused, *r the first refusal. */
static size_t submit1(model_state_t *st, int seat, model_order_t o,
                      model_refusal_t *r) {
  size_t n = 0;
  assert_int_equal(model_submit(st, seat, &o, 1, r, 1, &n), 0);
  if (n && getenv("V2_VERBOSE"))
    fprintf(stderr, "refused: %s: %s\n", r->field, r->message);
  return n;
}

/* The seat's facility with this id, in its observation (NULL if none);
 * *obs is kept for the caller to free. */
static const model_obs_facility_t *find_fac(const model_state_t *st, int seat,
                                            const char *id, model_obs_t **obs) {
  assert_int_equal(model_observe(st, seat, obs), 0);
  for (size_t i = 0; i < (*obs)->n_facilities; i++)
    if (strcmp((*obs)->facilities[i].id, id) == 0)
      return &(*obs)->facilities[i];
  return NULL;
}

/* The id of the seat's newest facility. */
static void newest(const model_state_t *st, int seat, char *id, size_t cap) {
  model_obs_t *obs;
  assert_int_equal(model_observe(st, seat, &obs), 0);
  assert_true(obs->n_facilities > 0);
  snprintf(id, cap, "%s", obs->facilities[obs->n_facilities - 1].id);
  model_obs_free(obs);
}

/* Resolves turns until the facility operates; returns how many turns of
 * construction it took, counting the turn it was ordered. */
static int turns_to_operate(model_state_t *st, int seat, const char *id,
                            bool expansion) {
  for (int t = 1; t <= 60; t++) {
    assert_int_equal(model_resolve(st), 0);
    model_obs_t *obs;
    const model_obs_facility_t *f = find_fac(st, seat, id, &obs);
    assert_non_null(f);
    bool done = expansion ? f->expanding_kg_per_year == 0
                          : f->status == MODEL_FAC_OPERATING;
    model_obs_free(obs);
    if (done)
      return t;
  }
  fail_msg("%s never finished", id);
  return -1;
}

static int plant_turns(double tonnes) {
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int mp = model_map_seat_index(m, "mp_materials");
  model_refusal_t r;
  assert_int_equal(submit1(st, mp, build(MODEL_MAGNETS, tonnes, NULL), &r), 0);
  assert_int_equal(model_resolve(st), 0);
  char id[MODEL_ID_MAX];
  newest(st, mp, id, sizeof id);
  model_obs_t *obs;
  const model_obs_facility_t *f = find_fac(st, mp, id, &obs);
  /* a US magnet plant: one turn of permits, spent in the turn ordered */
  assert_int_equal(f->permit_turns_left, 0);
  int planned = model_obs_project_turns(obs, MODEL_MAGNETS, 1, false,
                                        (int64_t)(tonnes * 1000.0), 1000000);
  model_obs_free(obs);
  int t = 1 + turns_to_operate(st, mp, id, false);
  assert_int_equal(t, planned);
  model_state_free(st);
  model_map_free(m);
  return t;
}

/* A: a magnet plant of the reference size takes 1 turn of permits and 7
 * of construction; 4,000 t/yr is one doubling bigger: a turn more. */
static void test_construction_grows_with_size(void **state) {
  (void)state;
  assert_int_equal(plant_turns(2000), 8);
  assert_int_equal(plant_turns(4000), 9);
  assert_int_equal(plant_turns(6000), 10); /* 1 + 7 + ceil(1.58) */
  assert_int_equal(plant_turns(1000), 8);  /* never less than the reference */
}

/* A: permitting speed shortens permits, not construction: a US mine of
 * 20,000 t/yr takes 28 + 12 turns at speed 1 and 14 + 12 at speed 2; a
 * magnet plant takes 8 turns at either speed. */
static void test_permitting_speed_applies_to_permits(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_obs_t *obs;
  assert_int_equal(model_observe(st, 0, &obs), 0);
  int usa = -1;
  for (size_t n = 0; n < obs->n_nations; n++)
    if (strcmp(obs->nations[n], "USA") == 0)
      usa = (int)n;
  assert_true(usa >= 0);
  assert_int_equal(
      model_obs_project_turns(obs, MODEL_MINING, usa, false, 20000000, 1000000),
      40);
  assert_int_equal(
      model_obs_project_turns(obs, MODEL_MINING, usa, false, 20000000, 2000000),
      26);
  assert_int_equal(
      model_obs_project_turns(obs, MODEL_MAGNETS, usa, false, 2000000, 2000000),
      8);
  /* the rules are on the observation */
  assert_true(obs->rules.two_phase[MODEL_MAGNETS]);
  assert_int_equal(obs->rules.build_turns[MODEL_MAGNETS][0], 7);
  model_obs_free(obs);
  /* and the model builds what the rule says, with the nation's speed 2 */
  int us = model_map_seat_index(m, "USA");
  int mp = model_map_seat_index(m, "mp_materials");
  model_order_t p = op(MODEL_OP_POLICY);
  p.kind = MODEL_POL_PERMITTING;
  p.stage = MODEL_MAGNETS;
  p.speed_ppm = 2000000;
  model_refusal_t r;
  assert_int_equal(submit1(st, us, p, &r), 0);
  assert_int_equal(submit1(st, mp, build(MODEL_MAGNETS, 2000, NULL), &r), 0);
  assert_int_equal(model_resolve(st), 0);
  char id[MODEL_ID_MAX];
  newest(st, mp, id, sizeof id);
  assert_int_equal(1 + turns_to_operate(st, mp, id, false), 8);
  model_state_free(st);
  model_map_free(m);
}

/* A: the case. MP may not expand Independence (1,000 t/yr) by
 * 60,000 t/yr; the largest expansion allowed doubles it, in 1 + 4 turns. */
static void test_brownfield_bound(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int mp = model_map_seat_index(m, "mp_materials");
  model_refusal_t r;
  memset(&r, 0, sizeof r);
  assert_int_equal(
      submit1(st, mp, build(MODEL_MAGNETS, 60000, "mp_independence"), &r), 1);
  assert_string_equal(r.field, "capacity");
  if (!strstr(r.message, "at most 1,000 t/yr") ||
      !strstr(r.message, "build a new plant"))
    fail_msg("message: %s", r.message);
  assert_int_equal(
      submit1(st, mp, build(MODEL_MAGNETS, 1001, "mp_independence"), &r), 1);
  assert_int_equal(
      submit1(st, mp, build(MODEL_MAGNETS, 1000, "mp_independence"), &r), 0);
  assert_int_equal(turns_to_operate(st, mp, "mp_independence", true), 5);
  model_obs_t *obs;
  const model_obs_facility_t *f = find_fac(st, mp, "mp_independence", &obs);
  assert_int_equal(f->capacity_kg_per_year, 2000000);
  model_obs_free(obs);
  model_state_free(st);
  model_map_free(m);
}

/* A: a cost overrun during permits delays construction, not permits; and
 * a state with projects in both phases round-trips exactly. */
static void test_phases_serialise(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int lynas = model_map_seat_index(m, "lynas");
  model_order_t o = build(MODEL_MINING, 10000, NULL);
  snprintf(o.site, sizeof o.site, "nolans");
  model_refusal_t r;
  assert_int_equal(submit1(st, lynas, o, &r), 0);
  assert_int_equal(model_resolve(st), 0);
  char id[MODEL_ID_MAX];
  newest(st, lynas, id, sizeof id);
  model_obs_t *obs;
  const model_obs_facility_t *f = find_fac(st, lynas, id, &obs);
  /* Australia: 7 turns of permits, one spent; 12 of construction */
  assert_int_equal(f->permit_turns_left, 6);
  assert_int_equal(f->turns_left, 18);
  model_obs_free(obs);
  model_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = MODEL_EV_COST_OVERRUN;
  ev.product = ev.stage = -1;
  snprintf(ev.facility, sizeof ev.facility, "%s", id);
  ev.magnitude_ppm = 100000;
  ev.duration = 2;
  assert_int_equal(model_inject_event(st, &ev), 0);
  assert_int_equal(model_resolve(st), 0);
  f = find_fac(st, lynas, id, &obs);
  assert_int_equal(f->permit_turns_left, 5);
  assert_int_equal(f->turns_left, 5 + 14);
  model_obs_free(obs);
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

/* ---- B: money limits ---- */

static model_obs_t *obs_of(const model_state_t *st, int seat) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, seat, &o), 0);
  return o;
}

/* Every holder within its floor, and the money and material balances. */
static void limits_hold(const model_state_t *st) {
  size_t H = model_state_holder_count(st);
  for (size_t h = 0; h < H; h++) {
    int64_t floor = model_state_holder_floor(st, h);
    int64_t money = model_state_holder_money(st, h);
    if (money < floor)
      fail_msg("turn %d: holder %zu holds %lld cents, below its floor %lld",
               model_state_turn(st), h, (long long)money, (long long)floor);
  }
  helper_check_invariants(st, NULL, "world-2024 (v2 test)");
}

/* B: a build the firm cannot fund is refused with the amount missing;
 * credit counts; the host's subsidy must be fundable too. */
static void test_build_needs_funds(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int ef = model_map_seat_index(m, "energy_fuels");
  model_obs_t *o = obs_of(st, ef);
  assert_true(o->finance);
  assert_int_equal(o->credit_line_cents, 500000000); /* $5 M */
  assert_int_equal(o->credit_limit_cents, 500000000);
  assert_int_equal(o->headroom_cents, o->cash_cents + 500000000);
  int64_t head = o->headroom_cents;
  model_obs_free(o);
  /* separation at $66,000 per t/yr: 3,105 t/yr costs $204.93 M, more
   * than the $200 M of cash but within cash and credit */
  model_refusal_t r;
  assert_int_equal(submit1(st, ef, build(MODEL_SEPARATION, 3105, NULL), &r), 0);
  memset(&r, 0, sizeof r);
  assert_int_equal(submit1(st, ef, build(MODEL_SEPARATION, 3200, NULL), &r), 1);
  assert_string_equal(r.field, "capacity");
  char want[160];
  snprintf(want, sizeof want, "you can fund %.2f USD this turn",
           (double)head / 100.0);
  if (!strstr(r.message, want) || !strstr(r.message, "is missing") ||
      !strstr(r.message, "credit 5000000.00 USD"))
    fail_msg("message: %s", r.message);
  /* 3,200 t/yr costs $211.2 M: $6.2 M missing (cash + credit $205 M) */
  if (!strstr(r.message, "6200000.00 USD is missing"))
    fail_msg("message: %s", r.message);
  model_state_free(st);
  model_map_free(m);
}

/* B: a nation's programme is paid only up to its headroom, with one news
 * item; interest beyond the deficit limit is owed as arrears, and a nation
 * in arrears cannot train; budgets never pass their limit. */
/* world-2024 without training capacities: a programme is then bounded by
 * money alone. */
static void no_training_caps(json_t *root) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(root, "nations"), i, v)
      json_object_del(v, "training_capacity");
}

static void test_nation_headroom(void **state) {
  (void)state;
  model_map_t *m = world(no_training_caps);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int us = model_map_seat_index(m, "USA");
  model_order_t p = op(MODEL_OP_POLICY);
  p.kind = MODEL_POL_TALENT_PROGRAMME;
  p.skill = MODEL_MAGNETS;
  p.budget_cents = (int64_t)1e14; /* $1 trillion a turn */
  model_refusal_t r;
  assert_int_equal(submit1(st, us, p, &r), 0);
  bool told = false, arrears = false;
  for (int t = 0; t < 6; t++) {
    assert_int_equal(model_resolve(st), 0);
    limits_hold(st);
    const model_report_t *rep = model_last_report(st);
    for (size_t i = 0; i < rep->n_news; i++)
      told |= rep->news[i].kind == MODEL_EV_FINANCE &&
              strstr(rep->news[i].text, "cannot fund its magnet talent");
    model_obs_t *o = obs_of(st, us);
    assert_true(o->budget_cents >= -o->deficit_limit_cents);
    assert_int_equal(o->deficit_limit_cents, 750000000000);
    if (o->interest_arrears_cents > 0) {
      arrears = true;
      assert_true(o->headroom_cents <= 0);
      model_order_t tr = op(MODEL_OP_TRAIN);
      tr.skill = MODEL_MAGNETS;
      tr.count = 1;
      memset(&r, 0, sizeof r);
      assert_int_equal(submit1(st, us, tr, &r), 1);
      if (!strstr(r.message, "is missing") || !strstr(r.message, "arrears"))
        fail_msg("message: %s", r.message);
    }
    model_obs_free(o);
  }
  assert_true(told);
  assert_true(arrears);
  model_state_free(st);
  model_map_free(m);
}

/* B: interest on a firm's debt, to the cent, for 40 turns: each turn
 * ceil(debt x quarterly rate), against a reference loop in 128 bits. The
 * firm has an idle mine as collateral and nothing else. */
static const char *const DEBT_MAP =
    "{\"format\": 1, \"id\": \"debt\", \"title\": \"debt\", \"year\": 2025, "
    "\"turns\": 40, \"parameters\": {\"prices\": {\"concentrate\": 5, "
    "\"ndpr_oxide\": 50, \"dytb_oxide\": 300, \"lace_oxide\": 1, \"magnet\": "
    "50}, \"finance\": {\"nation_rate\": 0.045, \"firm_rate\": 0.08}, "
    "\"stages\": {\"mining\": {\"capex\": 1000, \"staff_per_kt\": 0, "
    "\"wage\": 0}}}, \"nations\": [{\"id\": \"N\", \"title\": \"N\", "
    "\"deficit_limit\": 1000000}], \"seats\": [{\"seat\": \"f\", \"kind\": "
    "\"firm\", \"title\": \"f\", \"nation\": \"N\", \"cash\": -1000000, "
    "\"credit_line\": 5000000}], \"deposits\": [{\"id\": \"d\", \"nation\": "
    "\"N\", \"reserves\": 1000000, \"basket\": {\"ndpr_oxide\": 0.2, "
    "\"dytb_oxide\": 0.01, \"lace_oxide\": 0.79}}], \"facilities\": [{\"id\": "
    "\"mine\", \"owner\": \"f\", \"stage\": \"mining\", \"site\": \"d\", "
    "\"capacity\": 20000, \"utilisation\": 0}]}";

static void test_firm_interest(void **state) {
  (void)state;
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(DEBT_MAP, strlen(DEBT_MAP), "debt", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_obs_t *o = obs_of(st, 0);
  int64_t rate = o->interest_rate_ppm;
  /* 8% a year as the smallest quarterly ppm that compounds to at least it */
  assert_true(rate > 19000 && rate < 20000);
  __int128 y = 1000000 + rate, x = y;
  for (int k = 0; k < 3; k++)
    x = x * y / 1000000;
  assert_true(x >= 1080000);
  __int128 debt = 100000000; /* $1 M in cents */
  assert_int_equal(o->cash_cents, -(int64_t)debt);
  model_obs_free(o);
  for (int t = 0; t < 40; t++) {
    assert_int_equal(model_resolve(st), 0);
    debt += (debt * rate + 999999) / 1000000;
    o = obs_of(st, 0);
    if (o->cash_cents != -(int64_t)debt)
      fail_msg("turn %d: cash %lld, the reference %lld", t,
               (long long)o->cash_cents, (long long)-(int64_t)debt);
    model_obs_free(o);
    if (-(int64_t)debt < model_state_holder_floor(st, 0))
      break; /* defaulted: the next test's subject */
  }
  model_state_free(st);
  model_map_free(m);
}

/* B: a firm pushed past its credit limit by a cost it did not choose
 * defaults: debt beyond the limit written off, plants idle, people back to
 * the pool, orders refused but offers, another firm may buy one of its
 * plants (acquire) at no less than its liquidation value, and after
 * receivership_turns the rest is written off. Balances hold every turn. */
static void test_default_and_receivership(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int ef = model_map_seat_index(m, "energy_fuels");
  model_obs_t *o = obs_of(st, ef);
  int64_t head = o->headroom_cents;
  model_obs_free(o);
  model_order_t b = build(MODEL_SEPARATION, 0, NULL);
  /* $66 per kg/yr: 80% of what it may spend, so that the plant's wages
   * alone do not push it over */
  b.capacity_kg_per_year = head / 10 * 8 / 6600;
  model_refusal_t r;
  assert_int_equal(submit1(st, ef, b, &r), 0);
  assert_int_equal(model_resolve(st), 0);
  limits_hold(st);
  char id[MODEL_ID_MAX];
  newest(st, ef, id, sizeof id);
  model_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = MODEL_EV_COST_OVERRUN;
  ev.product = ev.stage = -1;
  snprintf(ev.facility, sizeof ev.facility, "%s", id);
  ev.magnitude_ppm = 1000000; /* the whole capex again */
  ev.duration = 1;
  assert_int_equal(model_inject_event(st, &ev), 0);
  assert_int_equal(model_resolve(st), 0);
  limits_hold(st);
  o = obs_of(st, ef);
  assert_int_equal(o->receivership_turns, 8);
  assert_int_equal(o->cash_cents, -o->credit_limit_cents);
  for (int s = 0; s < MODEL_SKILLS; s++)
    assert_int_equal(o->staff[s], 0);
  for (size_t i = 0; i < o->n_facilities; i++)
    assert_int_equal(o->facilities[i].utilisation_ppm, 0);
  model_obs_free(o);
  const model_report_t *rep = model_last_report(st);
  bool told = false;
  for (size_t i = 0; i < rep->n_news; i++)
    told |= strstr(rep->news[i].text, "energy_fuels defaults") != NULL;
  assert_true(told);
  /* in receivership: no build, offers still stand */
  memset(&r, 0, sizeof r);
  assert_int_equal(submit1(st, ef, build(MODEL_MAGNETS, 10, NULL), &r), 1);
  assert_string_equal(r.field, "op");
  if (!strstr(r.message, "receivership until turn"))
    fail_msg("message: %s", r.message);
  model_order_t off = op(MODEL_OP_OFFER);
  off.product = MODEL_NDPR;
  off.quantity_kg = 1000;
  off.price_cents_per_kg = 100;
  assert_int_equal(submit1(st, ef, off, &r), 0);
  /* another firm buys one of its plants, with its experience: not below
   * its liquidation value; the price goes to the firm in receivership */
  int mp = model_map_seat_index(m, "mp_materials");
  model_order_t aq = op(MODEL_OP_ACQUIRE);
  snprintf(aq.facility, sizeof aq.facility, "ef_white_mesa");
  aq.amount_cents = 1;
  memset(&r, 0, sizeof r);
  assert_int_equal(submit1(st, mp, aq, &r), 1);
  assert_string_equal(r.field, "price");
  if (!strstr(r.message, "liquidation value"))
    fail_msg("message: %s", r.message);
  aq.amount_cents = 10000000000; /* $100 M */
  assert_int_equal(submit1(st, mp, aq, &r), 0);
  o = obs_of(st, ef);
  int64_t ef_cash = o->cash_cents, exp = -1;
  for (size_t i = 0; i < o->n_facilities; i++)
    if (strcmp(o->facilities[i].id, "ef_white_mesa") == 0)
      exp = o->facilities[i].cumulative_kg;
  model_obs_free(o);
  assert_true(exp > 0);
  assert_int_equal(model_resolve(st), 0);
  limits_hold(st);
  o = obs_of(st, mp);
  bool has = false;
  for (size_t i = 0; i < o->n_facilities; i++)
    if (strcmp(o->facilities[i].id, "ef_white_mesa") == 0) {
      has = true;
      assert_true(o->facilities[i].cumulative_kg >= exp);
      assert_int_equal(o->facilities[i].utilisation_ppm, 0);
    }
  model_obs_free(o);
  assert_true(has);
  o = obs_of(st, ef);
  assert_true(o->cash_cents >= ef_cash + 9000000000);
  for (size_t i = 0; i < o->n_facilities; i++)
    assert_string_not_equal(o->facilities[i].id, "ef_white_mesa");
  model_obs_free(o);
  for (int t = 0; t < 7; t++) {
    assert_int_equal(model_resolve(st), 0);
    limits_hold(st);
  }
  o = obs_of(st, ef);
  assert_int_equal(o->receivership_turns, 0);
  assert_true(o->cash_cents >= 0);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

/* ---- C: talent limits ---- */

static int64_t in_training(const model_state_t *st, int seat, int skill) {
  model_obs_t *o = obs_of(st, seat);
  int64_t n = o->in_training[skill];
  model_obs_free(o);
  return n;
}

/* C: a nation's programme enrols no more than its schools' capacity and
 * pays only for whom it enrols; orders may not take the programme's
 * places; capacity grows only while full. */
static void test_training_capacity(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int us = model_map_seat_index(m, "USA");
  model_obs_t *o = obs_of(st, us);
  assert_true(o->train_caps);
  assert_int_equal(o->training_left[MODEL_MAGNETS], 100);
  model_obs_free(o);
  /* 101 people is one more than the schools hold */
  model_order_t tr = op(MODEL_OP_TRAIN);
  tr.skill = MODEL_MAGNETS;
  tr.count = 101;
  model_refusal_t r;
  memset(&r, 0, sizeof r);
  assert_int_equal(submit1(st, us, tr, &r), 1);
  assert_string_equal(r.field, "count");
  if (!strstr(r.message, "USA can train 100 more magnet people"))
    fail_msg("message: %s", r.message);
  /* a programme with money for 500 a turn enrols the capacity, 100 */
  model_order_t p = op(MODEL_OP_POLICY);
  p.kind = MODEL_POL_TALENT_PROGRAMME;
  p.skill = MODEL_MAGNETS;
  p.budget_cents = 500 * 3000000; /* 500 x $30,000 */
  assert_int_equal(submit1(st, us, p, &r), 0);
  assert_int_equal(model_resolve(st), 0);
  assert_int_equal(in_training(st, us, MODEL_MAGNETS), 100);
  o = obs_of(st, us);
  /* the programme keeps all of the places now: orders get none */
  assert_int_equal(o->training_left[MODEL_MAGNETS], 0);
  model_obs_free(o);
  tr.count = 1;
  memset(&r, 0, sizeof r);
  assert_int_equal(submit1(st, us, tr, &r), 1);
  if (!strstr(r.message, "can train 0 more"))
    fail_msg("message: %s", r.message);
  /* the programme stops: the places free up after the turn, and they
   * grew while full: 100 + floor(100 x the quarterly rate of 25% a year) */
  p.budget_cents = 0;
  assert_int_equal(submit1(st, us, p, &r), 0);
  assert_int_equal(model_resolve(st), 0);
  o = obs_of(st, us);
  assert_int_equal(o->training_left[MODEL_MAGNETS], 105);
  model_obs_free(o);
  /* not full this time: no growth */
  assert_int_equal(model_resolve(st), 0);
  o = obs_of(st, us);
  assert_int_equal(o->training_left[MODEL_MAGNETS], 105);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

/* C: apprentices, at most mentor_ratio per experienced person, paid from
 * the start, staff after seasoning_turns. */
static void test_apprentices(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int mp = model_map_seat_index(m, "mp_materials");
  model_obs_t *o = obs_of(st, mp);
  int64_t staff = o->staff[MODEL_MAGNETS];
  model_obs_free(o);
  int64_t most = staff * 5 / 100;
  assert_true(most >= 1);
  model_order_t h = op(MODEL_OP_HIRE);
  h.skill = MODEL_MAGNETS;
  h.apprentice = true;
  h.count = most + 1;
  model_refusal_t r;
  memset(&r, 0, sizeof r);
  assert_int_equal(submit1(st, mp, h, &r), 1);
  if (!strstr(r.message, "can mentor"))
    fail_msg("message: %s", r.message);
  h.count = most;
  assert_int_equal(submit1(st, mp, h, &r), 0);
  for (int t = 0; t < 4; t++) {
    assert_int_equal(model_resolve(st), 0);
    o = obs_of(st, mp);
    /* seasoning: not staff for three turns, then staff */
    assert_int_equal(o->staff[MODEL_MAGNETS], t < 3 ? staff : staff + most);
    model_obs_free(o);
  }
  model_state_free(st);
  model_map_free(m);
}

/* C: hiring from another nation's pool obeys its migration policy, at most
 * poach_share of its pool a turn for all firms of the destination (first
 * come in seat order), with a signing cost. */
static void test_poaching(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int mp = model_map_seat_index(m, "mp_materials");
  int ef = model_map_seat_index(m, "energy_fuels");
  model_order_t h = op(MODEL_OP_HIRE);
  h.skill = MODEL_MAGNETS;
  h.count = 10;
  snprintf(h.origin, sizeof h.origin, "CHN");
  model_refusal_t r;
  memset(&r, 0, sizeof r);
  assert_int_equal(submit1(st, mp, h, &r), 1);
  assert_string_equal(r.field, "from");
  if (!strstr(r.message, "CHN does not let magnet people out"))
    fail_msg("message: %s", r.message);
  /* Japan's 1,500 magnet people: 2% is 30 a turn */
  snprintf(h.origin, sizeof h.origin, "JPN");
  h.count = 31;
  memset(&r, 0, sizeof r);
  assert_int_equal(submit1(st, mp, h, &r), 1);
  if (!strstr(r.message, "at most 30 magnet people can be hired from JPN"))
    fail_msg("message: %s", r.message);
  h.count = 30;
  assert_int_equal(submit1(st, mp, h, &r), 0);
  h.count = 1;
  assert_int_equal(submit1(st, ef, h, &r), 0); /* checked before MP's */
  model_obs_t *o = obs_of(st, mp);
  int64_t staff = o->staff[MODEL_MAGNETS];
  model_obs_free(o);
  assert_int_equal(model_resolve(st), 0);
  const model_report_t *rep = model_last_report(st);
  bool late = false;
  for (size_t i = 0; i < rep->n_late_refusals; i++)
    late |= rep->late_refusal_seat[i] == ef &&
            strstr(rep->late_refusals[i].message, "at most 0") != NULL;
  assert_true(late);
  o = obs_of(st, mp);
  assert_int_equal(o->staff[MODEL_MAGNETS], staff + 30);
  model_obs_free(o);
  limits_hold(st);
  model_state_free(st);
  model_map_free(m);
}

/* ---- D: learning on effective experience ---- */

/* The curve against the map's incumbents at turn 0 (design D3's check):
 * printed, and every anchored incumbent's map cost within 25% of its
 * curve cost, but for the two separation costs the map keeps as stated
 * assumptions off the curve (Silmet's $8, the rest of the world's $7;
 * docs/model.md, "Learning"). */
static void test_learning_consistency(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  static const struct {
    const char *seat, *id;
    bool on_curve;
  } inc[] = {{"china_magnets", "china_magnet_plants", true},
             {"japan_magnets", "japan_magnet_plants", true},
             {"mp_materials", "mp_independence", true},
             {"china_northern", "northern_baotou_separation", true},
             {"china_re_group", "creg_separation", true},
             {"mp_materials", "mp_stage2_separation", true},
             {"lynas", "lynas_kuantan", true},
             {"neo_performance", "neo_silmet", false},
             {"solvay", "solvay_la_rochelle", true},
             {"other_producers", "row_separation", false}};
  for (size_t i = 0; i < sizeof inc / sizeof inc[0]; i++) {
    int64_t e = 0, curve = 0;
    assert_int_equal(model_state_learning(st, inc[i].id, &e, &curve), 0);
    model_obs_t *o = obs_of(st, model_map_seat_index(m, inc[i].seat));
    int64_t map_cost = -1;
    for (size_t k = 0; k < o->n_facilities; k++)
      if (strcmp(o->facilities[k].id, inc[i].id) == 0)
        map_cost = o->facilities[k].unit_cost_cents_per_kg;
    model_obs_free(o);
    print_message("%-28s E %9.0f t  curve $%6.2f  map $%6.2f\n", inc[i].id,
                  (double)e / 1000.0, (double)curve / 100.0,
                  (double)map_cost / 100.0);
    if (inc[i].on_curve)
      assert_true(map_cost * 100 >= curve * 75 &&
                  map_cost * 100 <= curve * 125);
  }
  model_state_free(st);
  model_map_free(m);
}

/* A one-nation industry of three mines, all learning from the nation's
 * output (national spillover `sn`); only the first produces. */
static model_map_t *industry(const char *sn) {
  char text[4096];
  snprintf(
      text, sizeof text,
      "{\"format\": 1, \"id\": \"industry\", \"title\": \"industry\", "
      "\"year\": 2025, \"turns\": 40, \"parameters\": {\"prices\": "
      "{\"concentrate\": 200, \"ndpr_oxide\": 50, \"dytb_oxide\": 300, "
      "\"lace_oxide\": 1, \"magnet\": 60}, \"substitution_cap\": 0, "
      "\"stages\": {\"mining\": {\"capex\": 0, \"unit_cost\": 100, "
      "\"learning_rate\": 0.2, \"staff_per_kt\": 0, \"wage\": 0, \"ramp\": "
      "[1], \"learning\": {\"reference_facility\": \"a\", "
      "\"national_spillover\": %s}}}}, \"nations\": [{\"id\": \"N\", "
      "\"title\": \"N\", \"demand\": {\"concentrate\": {\"volume\": 8000, "
      "\"elasticity\": -0.5}}}], \"seats\": ["
      "{\"seat\": \"fa\", \"kind\": \"firm\", \"title\": \"a\", \"nation\": "
      "\"N\", \"cash\": 1000000000, \"orders\": [{\"op\": \"offer\", "
      "\"product\": \"concentrate\", \"quantity\": 1000000, \"min_price\": "
      "0}]}, {\"seat\": \"fb\", \"kind\": \"firm\", \"title\": \"b\", "
      "\"nation\": \"N\", \"cash\": 1000000000}, {\"seat\": \"fc\", "
      "\"kind\": \"firm\", \"title\": \"c\", \"nation\": \"N\", \"cash\": "
      "1000000000}], \"deposits\": [{\"id\": \"d\", \"nation\": \"N\", "
      "\"reserves\": 100000000, \"basket\": {\"ndpr_oxide\": 0.2, "
      "\"dytb_oxide\": 0.01, \"lace_oxide\": 0.79}}], \"facilities\": ["
      "{\"id\": \"a\", \"owner\": \"fa\", \"stage\": \"mining\", \"site\": "
      "\"d\", \"capacity\": 4000, \"experience\": 1000, \"unit_cost\": 100}, "
      "{\"id\": \"b\", \"owner\": \"fb\", \"stage\": \"mining\", \"site\": "
      "\"d\", \"capacity\": 4000, \"utilisation\": 0, \"experience\": 1000, "
      "\"unit_cost\": 100}, {\"id\": \"c\", \"owner\": \"fc\", \"stage\": "
      "\"mining\", \"site\": \"d\", \"capacity\": 4000, \"utilisation\": 0, "
      "\"experience\": 1000, \"unit_cost\": 100}]}",
      sn);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(text, strlen(text), "industry", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  return m;
}

static int64_t fac_cost(const model_state_t *st, int seat) {
  model_obs_t *o = obs_of(st, seat);
  int64_t c = o->facilities[0].unit_cost_cents_per_kg;
  model_obs_free(o);
  return c;
}

/* D: with full national spillover, doubling the nation's cumulative output
 * lowers every firm's cost by the learning rate, whoever produced it
 * (Lieberman, R1); with half, a firm that produces nothing learns at the
 * rate the effective-experience formula predicts. */
static void test_learning_industry(void **state) {
  (void)state;
  model_map_t *m = industry("1");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  /* K = 3,000 t; firm a makes 1,000 t a turn: K doubles after 3 turns */
  int64_t c0 = fac_cost(st, 1);
  assert_int_equal(c0, 10000);
  for (int t = 0; t < 3; t++)
    assert_int_equal(model_resolve(st), 0);
  int64_t e = 0;
  assert_int_equal(model_state_learning(st, "b", &e, NULL), 0);
  assert_int_equal(e, 6000000);
  int64_t c1 = fac_cost(st, 1), c2 = fac_cost(st, 2), ca = fac_cost(st, 0);
  print_message("after a doubling: a $%.2f, b $%.2f, c $%.2f\n",
                (double)ca / 100.0, (double)c1 / 100.0, (double)c2 / 100.0);
  /* 80% of the cost, within 0.5% */
  assert_true(c1 * 1000 >= 8000 * 995 && c1 * 1000 <= 8000 * 1005);
  assert_int_equal(c1, c2);
  assert_int_equal(c1, ca);
  model_state_free(st);
  model_map_free(m);
  /* half: b's E = 1,000 + 0.5 x (K - 1,000 t) = 3,500 t after 3 turns
   * (K 6,000 t), against the reference's 2,000 t: cost (3,500/2,000)^b */
  m = industry("0.5");
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int t = 0; t < 3; t++)
    assert_int_equal(model_resolve(st), 0);
  assert_int_equal(model_state_learning(st, "b", &e, NULL), 0);
  assert_int_equal(e, 3500000);
  int64_t cb = fac_cost(st, 1);
  /* 100 x (3,500 / 2,000)^log2(0.8) = $83.51 */
  double want = 10000.0 * 0.835146;
  print_message("half spillover: b $%.2f (predicted $%.2f)\n",
                (double)cb / 100.0, want / 100.0);
  assert_true((double)cb >= want * 0.995 && (double)cb <= want * 1.005);
  model_state_free(st);
  model_map_free(m);
}

/* ---- E: stocks weigh on prices ---- */

/* One nation, one firm holding `held` t of NdPr oxide and offering it at
 * $100/kg with a normal stock of 100 t (discount 0.5, floor share 0.5);
 * buyers want 1 t at any price up to $1,000. */
static model_map_t *stock_map(int held, const char *holding) {
  char text[4096];
  snprintf(
      text, sizeof text,
      "{\"format\": 1, \"id\": \"stock\", \"title\": \"stock\", \"year\": "
      "2025, \"turns\": 8, \"parameters\": {\"prices\": {\"concentrate\": 5, "
      "\"ndpr_oxide\": 100, \"dytb_oxide\": 300, \"lace_oxide\": 1, "
      "\"magnet\": 60}, \"substitution_cap\": 0%s}, \"nations\": [{\"id\": "
      "\"N\", \"title\": \"N\", \"demand\": {\"ndpr_oxide\": {\"volume\": 4, "
      "\"elasticity\": -0.01, \"max_price\": 1000}}}], \"seats\": [{\"seat\": "
      "\"f\", \"kind\": \"firm\", \"title\": \"f\", \"nation\": \"N\", "
      "\"cash\": 1000000, \"inventory\": {\"ndpr_oxide\": %d}, \"orders\": "
      "[{\"op\": \"offer\", \"product\": \"ndpr_oxide\", \"quantity\": 1e6, "
      "\"min_price\": 100, \"normal_stock\": 100, \"stock_discount\": 0.5, "
      "\"min_share\": 0.5}]}], \"deposits\": [], \"facilities\": []}",
      holding, held);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(text, strlen(text), "stock", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  return m;
}

/* The limit (min price) of the firm's NdPr offer in the last market. */
static int64_t ask_of(const model_state_t *st) {
  const model_trade_t *t;
  size_t n = model_last_trades(st, MODEL_NDPR, &t);
  for (size_t i = 0; i < n; i++)
    if (!t[i].is_bid && t[i].holder == 0)
      return t[i].limit_cents;
  return -1;
}

/* E: a stock-following ask falls with the stock held beyond normal: 150 t
 * held against 100 t normal asks 75% of the min price; 400 t asks the
 * floor share, 50%; at or below normal, the min price itself. */
static void test_stock_following_ask(void **state) {
  (void)state;
  static const struct {
    int held;
    int64_t ask;
  } c[] = {{90, 10000}, {150, 7500}, {400, 5000}};
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    model_map_t *m = stock_map(c[i].held, "");
    model_state_t *st;
    assert_int_equal(model_state_new(m, 1, &st), 0);
    assert_int_equal(model_resolve(st), 0);
    assert_int_equal(ask_of(st), c[i].ask);
    model_state_free(st);
    model_map_free(m);
  }
}

/* E: the holding cost of closing stock, to the cent, rounded up: the
 * quarterly rate of 8% a year on the stock's value at the turn's world
 * price. */
static void test_holding_cost(void **state) {
  (void)state;
  model_map_t *m = stock_map(400, ", \"holding_cost\": 0.08");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_int_equal(model_resolve(st), 0);
  model_holder_flows_t f;
  assert_int_equal(model_state_holder_flows(st, 0, &f), 0);
  int64_t stock = model_state_holder_inventory(st, 0, MODEL_NDPR);
  int64_t price = model_last_report(st)->price[MODEL_NDPR];
  /* the quarterly rate: the smallest ppm q with (1 + q)^4 >= 1.08 */
  int64_t q = 19427;
  __int128 y = 1000000 + q, x = y, z = 1000000 + q - 1, w = z;
  for (int k = 0; k < 3; k++) {
    x = x * y / 1000000;
    w = w * z / 1000000;
  }
  assert_true(x >= 1080000 && w < 1080000);
  int64_t want = (int64_t)(((__int128)stock * price * q + 999999) / 1000000);
  print_message("holding cost: %lld kg at %lld cents/kg: %lld cents\n",
                (long long)stock, (long long)price, (long long)want);
  assert_true(want > 0);
  assert_int_equal(f.money_out, want);
  helper_check_invariants(st, NULL, "stock map");
  model_state_free(st);
  model_map_free(m);
}

/* ---- L3: a production quota on output, on domestic material ---- */

static const char *quota_imports = "inside";

/* China's separation quota set to 10,000 t of output a quarter, China's
 * material tracked from turn 0. */
static void small_quota(json_t *root) {
  json_object_set_new(json_object_get(root, "parameters"), "origin_tracking",
                      json_string("CHN"));
  size_t i, k;
  json_t *n, *p;
  json_array_foreach(json_object_get(root, "nations"), i, n) {
    if (strcmp(json_string_value(json_object_get(n, "id")), "CHN") != 0)
      continue;
    json_array_foreach(json_object_get(n, "policies"), k, p) {
      json_t *kind = json_object_get(p, "kind"),
             *stg = json_object_get(p, "stage");
      if (strcmp(json_string_value(kind), "production_quota") == 0 &&
          strcmp(json_string_value(stg), "separation") == 0) {
        json_object_set_new(p, "quantity", json_integer(10000));
        json_object_set_new(p, "basis", json_string("output"));
        json_object_set_new(p, "imports", json_string(quota_imports));
      }
    }
  }
}

/* L3: a quota on output caps the oxides China separates (imports inside)
 * and, with imports outside, caps only what it separates from its own
 * ore: its imported feed runs on top (S77f: 254 kt of product from
 * domestic ore in 2024). */
static void test_quota_on_output(void **state) {
  (void)state;
  int64_t out[2];
  for (int v = 0; v < 2; v++) {
    quota_imports = v ? "outside" : "inside";
    model_map_t *m = world(small_quota);
    model_state_t *st;
    assert_int_equal(model_state_new(m, 1, &st), 0);
    assert_int_equal(model_resolve(st), 0);
    /* CHN is nation 0 */
    out[v] = model_last_report(st)
                 ->production[MODEL_SEPARATION * model_map_nation_count(m)];
    print_message("imports %s: China separates %.0f t of oxides\n",
                  quota_imports, (double)out[v] / 1000.0);
    model_state_free(st);
    model_map_free(m);
  }
  assert_true(out[0] <= 10000000 && out[0] >= 9900000);
  assert_true(out[1] > out[0] + 1000000);
}

/* ---- C: wage-led migration ---- */

static model_map_t *migration_map(int c_wage) {
  char text[4096];
  snprintf(
      text, sizeof text,
      "{\"format\": 1, \"id\": \"mig\", \"title\": \"mig\", \"year\": 2025, "
      "\"turns\": 4, \"parameters\": {\"prices\": {\"concentrate\": 5, "
      "\"ndpr_oxide\": 50, \"dytb_oxide\": 300, \"lace_oxide\": 1, "
      "\"magnet\": 60}, \"talent\": {\"migration_rate\": 0.1, "
      "\"migration_wage_gap\": 0.2}}, \"nations\": [{\"id\": \"A\", "
      "\"title\": \"A\", \"talent\": {\"magnet\": 10000}, \"wages\": "
      "{\"magnet\": 10000}}, {\"id\": \"B\", \"title\": \"B\", \"wages\": "
      "{\"magnet\": 20000}}, {\"id\": \"C\", \"title\": \"C\", \"wages\": "
      "{\"magnet\": %d}}], \"seats\": [{\"seat\": \"A\", \"kind\": "
      "\"nation\", \"title\": \"A\"}, {\"seat\": \"B\", \"kind\": \"nation\", "
      "\"title\": \"B\"}, {\"seat\": \"C\", \"kind\": \"nation\", \"title\": "
      "\"C\"}], \"deposits\": [], \"facilities\": []}",
      c_wage);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(text, strlen(text), "mig", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  return m;
}

static int64_t pool_of(const model_state_t *st, int seat) {
  model_obs_t *o = obs_of(st, seat);
  int64_t n = o->staff[MODEL_MAGNETS]; /* a nation's staff: its pool */
  model_obs_free(o);
  return n;
}

/* C: with a wage gap, people move only to nations paying at least (1 +
 * gap) times their own wage, split pro rata to those wages. */
static void test_wage_led_migration(void **state) {
  (void)state;
  model_map_t *m = migration_map(11000); /* C pays under A's + 20% */
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_int_equal(model_resolve(st), 0);
  assert_int_equal(pool_of(st, 0), 9000);
  assert_int_equal(pool_of(st, 1), 1000);
  assert_int_equal(pool_of(st, 2), 0);
  model_state_free(st);
  model_map_free(m);
  m = migration_map(30000); /* both pay enough: 1,000 split 2:3 */
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_int_equal(model_resolve(st), 0);
  assert_int_equal(pool_of(st, 1), 400);
  assert_int_equal(pool_of(st, 2), 600);
  model_state_free(st);
  model_map_free(m);
}

/* E: the observation shows the world prices of the last turns, newest
 * first, as many as the map keeps (world-2024: 8), and the kit's anchor is
 * their median. */
static void test_price_history(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_obs_t *o = obs_of(st, 0);
  assert_int_equal(o->n_history, 0);
  model_obs_free(o);
  int64_t last[10];
  for (int t = 0; t < 10; t++) {
    assert_int_equal(model_resolve(st), 0);
    last[t] = model_last_report(st)->price[MODEL_NDPR];
  }
  o = obs_of(st, 0);
  assert_int_equal(o->n_history, 8);
  for (int t = 0; t < 8; t++)
    assert_int_equal(o->history[t][MODEL_NDPR], last[9 - t]);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

/* D: the cited learning rates are what the curve does in play: over a
 * 40-turn world-2024 game under standing orders, a regression of log curve
 * cost on log effective experience for China's reference plants gives
 * log2(1 - rate) within 0.01 (mining 5%, separation 12%, magnets 20%: R5,
 * as the map states them). */
static void test_learning_rates_in_play(void **state) {
  (void)state;
  model_map_t *m = world(NULL);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  static const struct {
    const char *id;
    double rate;
  } ref[] = {{"northern_bayan_obo", 0.05},
             {"northern_baotou_separation", 0.12},
             {"china_magnet_plants", 0.20}};
  double sx[3] = {0}, sy[3] = {0}, sxx[3] = {0}, sxy[3] = {0};
  int n = 0;
  for (int t = 0; t <= 40 && model_state_turn(st) < model_state_turns(st);
       t++) {
    for (int k = 0; k < 3; k++) {
      int64_t e = 0, c = 0;
      assert_int_equal(model_state_learning(st, ref[k].id, &e, &c), 0);
      double x = log2((double)e), y = log2((double)c);
      sx[k] += x;
      sy[k] += y;
      sxx[k] += x * x;
      sxy[k] += x * y;
    }
    n++;
    if (model_state_turn(st) < model_state_turns(st))
      assert_int_equal(model_resolve(st), 0);
  }
  for (int k = 0; k < 3; k++) {
    double slope = (n * sxy[k] - sx[k] * sy[k]) / (n * sxx[k] - sx[k] * sx[k]);
    double want = log2(1.0 - ref[k].rate);
    print_message("%-28s slope %.4f, log2(1 - %.2f) = %.4f\n", ref[k].id, slope,
                  ref[k].rate, want);
    assert_true(fabs(slope - want) < 0.01);
  }
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_construction_grows_with_size),
      cmocka_unit_test(test_permitting_speed_applies_to_permits),
      cmocka_unit_test(test_brownfield_bound),
      cmocka_unit_test(test_phases_serialise),
      cmocka_unit_test(test_build_needs_funds),
      cmocka_unit_test(test_nation_headroom),
      cmocka_unit_test(test_firm_interest),
      cmocka_unit_test(test_default_and_receivership),
      cmocka_unit_test(test_training_capacity),
      cmocka_unit_test(test_apprentices),
      cmocka_unit_test(test_poaching),
      cmocka_unit_test(test_wage_led_migration),
      cmocka_unit_test(test_learning_consistency),
      cmocka_unit_test(test_learning_industry),
      cmocka_unit_test(test_learning_rates_in_play),
      cmocka_unit_test(test_stock_following_ask),
      cmocka_unit_test(test_holding_cost),
      cmocka_unit_test(test_price_history),
      cmocka_unit_test(test_quota_on_output),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
