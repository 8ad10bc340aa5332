/* test_v2.c: the mechanics of model version 2 that close the loopholes
 * (docs/design/model-v2.md, sections A-E): lead times in two phases,
 * the brownfield bound, money limits, talent limits, holding costs and
 * stock-following asks. Each test plays the real model through
 * model_submit, model_resolve and model_observe. */
#include "helpers.h"

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_construction_grows_with_size),
      cmocka_unit_test(test_permitting_speed_applies_to_permits),
      cmocka_unit_test(test_brownfield_bound),
      cmocka_unit_test(test_phases_serialise),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
