/* test_events.c: the control cell's events in the model (issue 13): an
 * event's audience (only its seats see it as news, and it survives the
 * serialisation), scripted events turned off, and the licensing-2025
 * scenario: its prepared injects load with their sources, are world-2024's
 * licence events with the same figures (and the scenario's scripted history
 * no longer holds them), and fire at their turns when given to the model
 * as the server does, just before their turn resolves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

static bool news_has(const model_event_t *news, size_t n, const char *text) {
  for (size_t i = 0; i < n; i++)
    if (strstr(news[i].text, text))
      return true;
  return false;
}

static bool seat_sees(const model_state_t *st, int seat, const char *text) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, seat, &o), 0);
  bool r = news_has(o->news, o->n_news, text);
  for (size_t i = 0; i < o->n_news; i++)
    assert_int_equal(o->news[i].n_audience, 0); /* nobody sees who else */
  model_obs_free(o);
  return r;
}

static model_event_t surge(const char *text) {
  model_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = MODEL_EV_DEMAND_SURGE;
  ev.product = MODEL_MAGNET;
  ev.stage = -1;
  ev.magnitude_ppm = 100000;
  ev.duration = 2;
  snprintf(ev.nation, sizeof ev.nation, "CHN");
  snprintf(ev.text, sizeof ev.text, "%s", text);
  return ev;
}

static void hash_of(const model_state_t *st, uint8_t h[MODEL_HASH_BYTES]) {
  assert_int_equal(model_state_hash(st, h), 0);
}

/* Only the audience sees an inject; everyone sees the others; the
 * audience is in the state (hash, snapshot) and round-trips. */
static void test_audience(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 5, &st), 0);
  int usa = model_map_seat_index(m, "USA"),
      chn = model_map_seat_index(m, "CHN"),
      euu = model_map_seat_index(m, "EUU");
  model_event_t a = surge("for USA and EUU only"), b = surge("for all");
  a.audience[0] = usa < euu ? usa : euu;
  a.audience[1] = usa < euu ? euu : usa;
  a.n_audience = 2;
  assert_int_equal(model_inject_event(st, &a), 0);
  assert_int_equal(model_inject_event(st, &b), 0);
  /* an audience out of order or beyond the seats is refused */
  model_event_t bad = a;
  bad.audience[0] = a.audience[1];
  bad.audience[1] = a.audience[0];
  assert_int_equal(model_inject_event(st, &bad), MODEL_EINVAL);
  bad = a;
  bad.audience[1] = (int32_t)model_map_seat_count(m);
  assert_int_equal(model_inject_event(st, &bad), MODEL_EINVAL);
  assert_int_equal(model_resolve(st), 0);
  assert_true(seat_sees(st, usa, "for USA and EUU only"));
  assert_true(seat_sees(st, euu, "for USA and EUU only"));
  assert_false(seat_sees(st, chn, "for USA and EUU only"));
  for (size_t s = 0; s < model_map_seat_count(m); s++)
    assert_true(seat_sees(st, (int)s, "for all"));
  const model_report_t *rep = model_last_report(st);
  assert_true(news_has(rep->news, rep->n_news, "for USA and EUU only"));
  /* the snapshot keeps the audience */
  uint8_t *buf;
  size_t len;
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  model_state_t *back;
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  free(buf);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  hash_of(st, h1);
  hash_of(back, h2);
  assert_memory_equal(h1, h2, sizeof h1);
  assert_false(seat_sees(back, chn, "for USA and EUU only"));
  assert_true(seat_sees(back, usa, "for USA and EUU only"));
  model_state_free(back);
  model_state_free(st);
  /* the same game with the inject for everyone differs in its hash */
  assert_int_equal(model_state_new(m, 5, &st), 0);
  a.n_audience = 0;
  assert_int_equal(model_inject_event(st, &a), 0);
  assert_int_equal(model_inject_event(st, &b), 0);
  assert_int_equal(model_resolve(st), 0);
  hash_of(st, h2);
  assert_memory_not_equal(h1, h2, sizeof h1);
  assert_true(seat_sees(st, chn, "for USA and EUU only"));
  model_state_free(st);
  model_map_free(m);
}

/* China's policy of a kind and product in force (its observation), or
 * -1. */
static int64_t chn_approval(const model_state_t *st, int product) {
  const model_map_t *m = model_state_map(st);
  model_obs_t *o;
  assert_int_equal(model_observe(st, model_map_seat_index(m, "CHN"), &o), 0);
  int64_t r = -1;
  for (size_t i = 0; i < o->n_policies; i++)
    if (o->policies[i].kind == MODEL_POL_EXPORT_LICENCE &&
        o->policies[i].product == product)
      r = o->policies[i].approval_ppm;
  model_obs_free(o);
  return r;
}

/* A scripted event turned off does not fire; the switch is in the
 * state; a game that turns nothing off hashes as before. */
static void test_scripted_off(void **state) {
  (void)state;
  model_map_t *m = helper_load("world-2024");
  assert_true(model_map_scripted_count(m) > 1);
  const model_event_t *e0 = model_map_scripted(m, 0);
  assert_int_equal(e0->turn, 0);
  assert_int_equal(e0->policy.product, MODEL_DYTB);
  assert_null(model_map_scripted(m, model_map_scripted_count(m)));
  model_state_t *on, *off;
  assert_int_equal(model_state_new(m, 3, &on), 0);
  assert_int_equal(model_state_new(m, 3, &off), 0);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  hash_of(on, h1);
  hash_of(off, h2);
  assert_memory_equal(h1, h2, sizeof h1);
  assert_int_equal(model_scripted_set(off, 0, false), 0);
  assert_false(model_scripted_on(off, 0));
  assert_true(model_scripted_on(off, 1));
  assert_int_equal(model_scripted_set(off, model_map_scripted_count(m), false),
                   MODEL_EINVAL);
  hash_of(off, h2);
  assert_memory_not_equal(h1, h2, sizeof h1);
  /* on again: as before, byte for byte */
  assert_int_equal(model_scripted_set(off, 0, true), 0);
  hash_of(off, h2);
  assert_memory_equal(h1, h2, sizeof h1);
  assert_int_equal(model_scripted_set(off, 0, false), 0);
  assert_int_equal(model_resolve(on), 0);
  assert_int_equal(model_resolve(off), 0);
  assert_int_equal(chn_approval(on, MODEL_DYTB), e0->policy.approval_ppm);
  assert_int_equal(chn_approval(off, MODEL_DYTB), -1);
  /* the magnet licence of the same turn fired in both */
  assert_true(chn_approval(off, MODEL_MAGNET) > 0);
  /* the switch survives a snapshot */
  uint8_t *buf;
  size_t len;
  assert_int_equal(model_state_serialise(off, &buf, &len), 0);
  model_state_t *back;
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  free(buf);
  assert_false(model_scripted_on(back, 0));
  model_state_t *clone;
  assert_int_equal(model_state_clone(back, &clone), 0);
  assert_false(model_scripted_on(clone, 0));
  model_state_free(clone);
  model_state_free(back);
  model_state_free(on);
  model_state_free(off);
  model_map_free(m);
}

/* The licensing-2025 scenario: world-2024's licence events of turns 0
 * and 1 as prepared injects, with their sources, and no scripted copy. */
static void test_licensing_map(void **state) {
  (void)state;
  model_map_t *lic = helper_load("licensing-2025");
  model_map_t *w = helper_load("world-2024");
  assert_string_equal(model_map_id(lic), "licensing-2025");
  assert_int_equal(model_map_inject_count(lic), 4);
  assert_null(model_map_inject(lic, 4));
  static const int turns[] = {0, 0, 1, 1};
  static const int products[] = {MODEL_DYTB, MODEL_MAGNET, MODEL_DYTB,
                                 MODEL_MAGNET};
  for (size_t i = 0; i < 4; i++) {
    const model_map_inject_t *in = model_map_inject(lic, i);
    assert_int_equal(in->event.turn, turns[i]);
    assert_int_equal(in->event.kind, MODEL_EV_POLICY);
    assert_string_equal(in->event.nation, "CHN");
    assert_int_equal(in->event.policy.kind, MODEL_POL_EXPORT_LICENCE);
    assert_int_equal(in->event.policy.product, products[i]);
    assert_int_equal(in->event.n_audience, 0);
    assert_true(in->sources[0] != 0);
    assert_true(in->note[0] != 0);
    assert_true(in->event.text[0] != 0);
    /* the same approval as world-2024's scripted licence of that turn */
    bool twin = false;
    for (size_t k = 0; k < model_map_scripted_count(w); k++) {
      const model_event_t *e = model_map_scripted(w, k);
      if (e->turn == turns[i] && e->kind == MODEL_EV_POLICY &&
          e->policy.kind == MODEL_POL_EXPORT_LICENCE &&
          e->policy.product == products[i]) {
        assert_int_equal(e->policy.approval_ppm, in->event.policy.approval_ppm);
        twin = true;
      }
    }
    assert_true(twin);
  }
  assert_non_null(strstr(model_map_inject(lic, 0)->sources, "S70"));
  assert_non_null(strstr(model_map_inject(lic, 1)->sources, "S87c"));
  assert_non_null(strstr(model_map_inject(lic, 0)->event.text, "Sm, Gd"));
  /* the scenario's scripted history holds no licence of turns 0 and 1 */
  for (size_t k = 0; k < model_map_scripted_count(lic); k++) {
    const model_event_t *e = model_map_scripted(lic, k);
    assert_false(e->turn <= 1 && e->kind == MODEL_EV_POLICY &&
                 e->policy.kind == MODEL_POL_EXPORT_LICENCE);
  }
  model_map_free(w);
  model_map_free(lic);
}

/* Fired as the server fires them (each just before its turn resolves),
 * the injects act at their turns: China's licences stand at the
 * injects' approvals from the turn after, and their headlines are the
 * news of their turn, not before. */
static void test_licensing_injects_fire(void **state) {
  (void)state;
  model_map_t *lic = helper_load("licensing-2025");
  model_state_t *st;
  assert_int_equal(model_state_new(lic, 11, &st), 0);
  const model_map_inject_t *in0 = model_map_inject(lic, 0),
                           *in2 = model_map_inject(lic, 2);
  for (int t = 0; t < 3; t++) {
    for (size_t i = 0; i < model_map_inject_count(lic); i++)
      if (model_map_inject(lic, i)->event.turn == t)
        assert_int_equal(
            model_inject_event(st, &model_map_inject(lic, i)->event), 0);
    assert_int_equal(model_resolve(st), 0);
    const model_report_t *rep = model_last_report(st);
    for (size_t i = 0; i < model_map_inject_count(lic); i++) {
      const model_map_inject_t *in = model_map_inject(lic, i);
      assert_int_equal(news_has(rep->news, rep->n_news, in->event.text),
                       in->event.turn == t);
    }
    if (t == 0)
      assert_int_equal(chn_approval(st, MODEL_DYTB),
                       in0->event.policy.approval_ppm);
    else
      assert_int_equal(chn_approval(st, MODEL_DYTB),
                       in2->event.policy.approval_ppm);
  }
  model_state_free(st);
  /* without them, China licenses nothing in turns 0 and 1 */
  assert_int_equal(model_state_new(lic, 11, &st), 0);
  assert_int_equal(model_resolve(st), 0);
  assert_int_equal(chn_approval(st, MODEL_DYTB), -1);
  assert_int_equal(chn_approval(st, MODEL_MAGNET), -1);
  model_state_free(st);
  model_map_free(lic);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_audience),
      cmocka_unit_test(test_scripted_off),
      cmocka_unit_test(test_licensing_map),
      cmocka_unit_test(test_licensing_injects_fire),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
