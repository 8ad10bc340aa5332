/* test_lapse.c: policies that lapse after some turns (issue 11,
 * docs/model.md "Policies that lapse").
 * - a policy ordered with `turns` holds for that many turns, the standing
 *   policy shows the turns it still holds, then the policy it replaced
 *   returns (a map's tariff comes back; a quota that was not there goes);
 * - a policy set without `turns` in the same slot stands: nothing lapses;
 * - a scripted policy event with `turns` binds from the next turn and
 *   lapses after its turns (a suspension "for one year"), and
 *   public.lapses says what returns when;
 * - a game with a lapse pending round-trips through serialisation and
 *   plays on identically;
 * - `turns` out of range is refused with the field named. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Nations A (a seat, a 10% tariff on magnets from B at turn 0) and B; a
 * scripted event `event` (JSON, may be empty). */
static model_map_t *lapse_map(const char *event) {
  static char json[8192];
  snprintf(
      json, sizeof json,
      "{\"id\": \"lapse\", \"title\": \"lapse\", \"turns\": 12,"
      " \"parameters\": {\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 50,"
      " \"dytb_oxide\": 300, \"lace_oxide\": 1, \"magnet\": 60}},"
      " \"nations\": [{\"id\": \"A\", \"title\": \"A\", \"policies\": "
      "[{\"op\": \"policy\", \"kind\": \"tariff\", \"product\": \"magnet\", "
      "\"rate\": 0.1, \"from\": \"B\"}]}, {\"id\": \"B\", \"title\": \"B\"}],"
      " \"seats\": [{\"seat\": \"A\", \"kind\": \"nation\", \"title\": \"A\", "
      "\"nation\": \"A\"}], \"events\": {\"scripted\": [%s]}}",
      event);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(json, strlen(json), "lapse", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  return m;
}

/* Nation A's standing policy of `kind` on magnets, or NULL. */
static const model_order_t *standing(const model_obs_t *o, int kind) {
  for (size_t i = 0; i < o->n_public_policies; i++)
    if (o->public_policies[i].nation == 0 &&
        o->public_policies[i].policy.kind == (model_policy_kind_t)kind &&
        o->public_policies[i].policy.product == MODEL_MAGNET)
      return &o->public_policies[i].policy;
  return NULL;
}

static model_order_t policy(int kind, int64_t turns) {
  model_order_t o = helper_order(MODEL_OP_POLICY);
  o.kind = (model_policy_kind_t)kind;
  o.product = MODEL_MAGNET;
  strcpy(o.partner, "B");
  o.lapse_turns = turns;
  return o;
}

static void test_order_lapses(void **state) {
  (void)state;
  model_map_t *m = lapse_map("");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  /* turn 0: a 50% tariff for two turns, and a quota of 100 t for one */
  model_order_t t = policy(MODEL_POL_TARIFF, 2);
  t.rate_ppm = 500000;
  model_order_t q = policy(MODEL_POL_EXPORT_QUOTA, 1);
  q.quantity_kg = 100000;
  model_order_t both[2] = {t, q};
  model_refusal_t r[2];
  size_t nr = 0;
  assert_int_equal(model_submit(st, 0, both, 2, r, 2, &nr), 0);
  assert_int_equal(nr, 0);
  helper_resolve(st, "turn 0");
  model_obs_t *o;
  assert_int_equal(model_observe(st, 0, &o), 0);
  /* turn 1 opens: the tariff holds one more turn, the quota has lapsed */
  const model_order_t *tt = standing(o, MODEL_POL_TARIFF);
  assert_non_null(tt);
  assert_int_equal(tt->rate_ppm, 500000);
  assert_int_equal(tt->lapse_turns, 1);
  assert_null(standing(o, MODEL_POL_EXPORT_QUOTA));
  model_obs_free(o);
  helper_resolve(st, "turn 1");
  assert_int_equal(model_observe(st, 0, &o), 0);
  /* turn 2 opens: the map's 10% tariff is back, standing */
  tt = standing(o, MODEL_POL_TARIFF);
  assert_non_null(tt);
  assert_int_equal(tt->rate_ppm, 100000);
  assert_int_equal(tt->lapse_turns, 0);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

static void test_standing_replaces(void **state) {
  (void)state;
  model_map_t *m = lapse_map("");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_order_t t = policy(MODEL_POL_TARIFF, 2);
  t.rate_ppm = 500000;
  helper_submit1(st, 0, t);
  helper_resolve(st, "turn 0");
  /* turn 1: a 30% tariff that stands replaces the lapsing one */
  t.lapse_turns = 0;
  t.rate_ppm = 300000;
  helper_submit1(st, 0, t);
  for (int k = 1; k < 5; k++)
    helper_resolve(st, "standing");
  model_obs_t *o;
  assert_int_equal(model_observe(st, 0, &o), 0);
  const model_order_t *tt = standing(o, MODEL_POL_TARIFF);
  assert_non_null(tt);
  assert_int_equal(tt->rate_ppm, 300000);
  assert_int_equal(tt->lapse_turns, 0);
  model_obs_free(o);
  /* a refused `turns` names the field */
  t.lapse_turns = 401;
  model_refusal_t r;
  size_t nr = 0;
  assert_int_equal(model_validate(st, 0, &t, 1, &r, 1, &nr), 0);
  assert_int_equal(nr, 1);
  assert_string_equal(r.field, "turns");
  model_state_free(st);
  model_map_free(m);
}

/* A suspension "for one year": an event at turn 1 lifts A's tariff for
 * four turns (it binds from turn 2, so turns 2-5), then the tariff
 * returns at turn 6. */
static void test_event_lapses(void **state) {
  (void)state;
  model_map_t *m = lapse_map(
      "{\"turn\": 1, \"kind\": \"policy\", \"nation\": \"A\", \"policy\": "
      "{\"op\": \"policy\", \"kind\": \"tariff\", \"product\": \"magnet\", "
      "\"rate\": 0, \"from\": \"B\", \"turns\": 4}, \"text\": \"A suspends "
      "its tariff for a year\"}");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int64_t want[8] = {100000, 100000, 0, 0, 0, 0, 100000, 100000};
  int64_t left[8] = {0, 0, 4, 3, 2, 1, 0, 0};
  for (int t = 0; t < 8; t++) {
    model_obs_t *o;
    assert_int_equal(model_observe(st, 0, &o), 0);
    const model_order_t *tt = standing(o, MODEL_POL_TARIFF);
    int64_t rate = tt ? tt->rate_ppm : 0;
    print_message("turn %d opens: tariff %.2f, turns left %lld\n", t,
                  (double)rate / 1e6, (long long)(tt ? tt->lapse_turns : 0));
    assert_int_equal(rate, want[t]);
    if (tt)
      assert_int_equal(tt->lapse_turns, left[t]);
    /* a suspension lifts the tariff, so it is not among the standing
     * policies: public.lapses says what returns when */
    if (t >= 2 && t <= 5) {
      assert_int_equal(o->n_lapses, 1);
      assert_int_equal(o->lapses[0].nation, 0);
      assert_int_equal(o->lapses[0].turn, 6);
      assert_int_equal(o->lapses[0].policy.kind, MODEL_POL_TARIFF);
      assert_int_equal(o->lapses[0].policy.rate_ppm, 100000);
    } else {
      assert_int_equal(o->n_lapses, 0);
    }
    model_obs_free(o);
    if (t == 3) {
      /* the pending lapse survives serialisation, and the game plays on
       * the same from the copy */
      uint8_t *buf;
      size_t len;
      assert_int_equal(model_state_serialise(st, &buf, &len), 0);
      model_state_t *back;
      assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
      free(buf);
      uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
      for (int k = 0; k < 4; k++) {
        helper_resolve(back, "copy");
        helper_resolve(st, "original");
        assert_int_equal(model_state_hash(st, h1), 0);
        assert_int_equal(model_state_hash(back, h2), 0);
        assert_memory_equal(h1, h2, sizeof h1);
      }
      model_state_free(back);
      model_state_free(st);
      assert_int_equal(model_state_new(m, 1, &st), 0);
      for (int k = 0; k <= t; k++)
        helper_resolve(st, "replay");
      continue;
    }
    helper_resolve(st, "event");
  }
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_lapses),
      cmocka_unit_test(test_standing_replaces),
      cmocka_unit_test(test_event_lapses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
