/* test_maps.c: every shipped map loads; a malformed map is refused with
 * the file, line, column and what was expected. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_shipped_maps_load(void **state) {
  (void)state;
  for (size_t i = 0; i < helper_n_maps; i++) {
    model_map_t *m = helper_load(helper_maps[i]);
    assert_string_equal(model_map_id(m), helper_maps[i]);
    assert_true(model_map_turns(m) > 0);
    assert_true(model_map_seat_count(m) > 0);
    assert_non_null(model_map_title(m));
    model_map_free(m);
  }
  /* the classroom map has six to ten seats and about 16 turns */
  model_map_t *m = helper_load("classroom");
  assert_in_range(model_map_seat_count(m), 6, 10);
  assert_int_equal(model_map_turns(m), 16);
  model_map_free(m);
}

#define BASE                                                                   \
  "{\n"                                                                        \
  "  \"id\": \"x\",\n"                                                         \
  "  \"title\": \"X\",\n"                                                      \
  "  \"turns\": 4,\n"                                                          \
  "  \"sources\": {\"S1\": {\"publisher\": \"P\", \"title\": \"T\", "          \
  "\"url\": \"u\"}},\n"                                                        \
  "  \"parameters\": {\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 50, "   \
  "\"dytb_oxide\": 300, \"lace_oxide\": 1, \"magnet\": 60}},\n"                \
  "  \"nations\": [{\"id\": \"AAA\", \"title\": \"A\"}],\n"

static void expect_error(const char *text, int line, int column,
                         const char *needle) {
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_string(text, strlen(text), "maps/x.json", &m, &e);
  if (rc != MODEL_EMAP)
    fail_msg("expected MODEL_EMAP, got %d for:\n%s", rc, text);
  assert_null(m);
  assert_string_equal(e.file, "maps/x.json");
  if (e.line != line || e.column != column || !strstr(e.message, needle))
    fail_msg("got %s:%d:%d: %s\nwanted line %d column %d with \"%s\"", e.file,
             e.line, e.column, e.message, line, column, needle);
}

static void test_valid_minimal(void **state) {
  (void)state;
  const char *t = BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": "
                       "\"nation\", \"title\": \"A\"}]\n}\n";
  model_map_t *m = NULL;
  model_error_t e;
  assert_int_equal(model_map_load_string(t, strlen(t), "x", &m, &e), 0);
  model_map_free(m);
}

static void test_errors_located(void **state) {
  (void)state;
  /* syntax: a missing comma, reported by jansson */
  expect_error("{\n  \"id\": \"x\"\n  \"title\": \"X\"\n}\n", 3, 9,
               "invalid JSON");
  /* a wrong type, located at the value */
  expect_error(BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": \"nation\", "
                    "\"title\": \"A\"}],\n"
                    "  \"deposits\": [{\"id\": \"d\", \"nation\": \"AAA\", "
                    "\"reserves\": \"lots\", \"basket\": {}}]\n}\n",
               9, 57, "deposits[0].reserves");
  /* an unknown key, located at the key */
  expect_error(BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": \"nation\", "
                    "\"title\": \"A\", \"colour\": 1}]\n}\n",
               8, 61, "unknown key \"colour\"");
  /* a missing required key */
  expect_error(BASE "  \"seats\": [{\"seat\": \"AAA\", \"title\": \"A\"}]\n}\n",
               8, 13, "missing \"kind\"");
  /* a source key that is not in the sources table */
  expect_error(BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": \"nation\", "
                    "\"title\": \"A\"}],\n"
                    "  \"deposits\": [{\"id\": \"d\", \"nation\": \"AAA\", "
                    "\"reserves\": {\"value\": 5, \"source\": \"S9\"}, "
                    "\"basket\": {}}]\n}\n",
               9, 80, "source \"S9\"");
  /* a bad enum value says what is allowed */
  expect_error(BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": \"king\", "
                    "\"title\": \"A\"}]\n}\n",
               8, 37, "expected \"nation\" or \"firm\"");
  /* a standing order that fails validation names the order field */
  expect_error(BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": \"nation\", "
                    "\"title\": \"A\", \"orders\": [{\"op\": \"build\", "
                    "\"stage\": \"mining\", \"capacity\": 5}]}]\n}\n",
               8, 79, "orders[0]");
  /* a basket that does not sum to 1 */
  expect_error(BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": \"nation\", "
                    "\"title\": \"A\"}],\n"
                    "  \"deposits\": [{\"id\": \"d\", \"nation\": \"AAA\", "
                    "\"reserves\": 5, \"basket\": {\"ndpr_oxide\": 0.5}}]\n}\n",
               9, 70, "summing to 1");
}

/* A map whose one nation has the given policies (a JSON array). */
static char *with_policies(const char *policies) {
  static char text[4096];
  snprintf(text, sizeof text,
           "{\n  \"id\": \"x\",\n  \"title\": \"X\",\n  \"turns\": 4,\n"
           "  \"parameters\": {\"prices\": {\"concentrate\": 5, "
           "\"ndpr_oxide\": 50, \"dytb_oxide\": 300, \"lace_oxide\": 1, "
           "\"magnet\": 60}},\n"
           "  \"nations\": [{\"id\": \"AAA\", \"title\": \"A\"}, "
           "{\"id\": \"BBB\", \"title\": \"B\",\n"
           "    \"policies\": %s}],\n"
           "  \"seats\": [{\"seat\": \"AAA\", \"kind\": \"nation\", "
           "\"title\": \"A\"}]\n}\n",
           policies);
  return text;
}

/* Where `at` first occurs in text, as a 1-based line and column. */
static void where(const char *text, const char *at, int *line, int *col) {
  const char *p = strstr(text, at);
  assert_non_null(p);
  *line = 1;
  const char *bol = text;
  for (const char *c = text; c < p; c++)
    if (*c == '\n') {
      (*line)++;
      bol = c + 1;
    }
  *col = (int)(p - bol) + 1;
}

/* The map's standing orders and policies are read field by field from the
 * order schema table: its ranges (with the wire's wording), its required
 * fields, nil lifting a quota, and figures for numbers. */
static void test_policies_follow_the_schema(void **state) {
  (void)state;
  int line, col;
  char *t = with_policies("[{\"op\": \"policy\", \"kind\": \"tariff\", "
                          "\"product\": \"magnet\", \"rate\": 99}]");
  where(t, "99", &line, &col);
  expect_error(t, line, col,
               "must be a rate from 0 to 10 (0.25 is a 25% "
               "tariff), not 99");
  t = with_policies("[{\"op\": \"policy\", \"kind\": \"permitting\", "
                    "\"stage\": \"mining\", \"speed\": 0.25}]");
  where(t, "0.25", &line, &col);
  expect_error(t, line, col, "from 0.5 (twice as slow) to 2");
  t = with_policies("[{\"op\": \"policy\", \"kind\": \"migration\", "
                    "\"skill\": \"magnet\", \"inbound\": true}]");
  where(t, "{\"op\": \"policy\", \"kind\": \"migration\"", &line, &col);
  expect_error(t, line, col, "missing \"outbound\" (true or false)");
  t = with_policies("[{\"op\": \"policy\", \"kind\": \"stockpile\", "
                    "\"product\": \"magnet\"}]");
  where(t, "{\"op\": \"policy\", \"kind\": \"stockpile\"", &line, &col);
  expect_error(t, line, col, "missing \"target\" (a number of tonnes");
  t = with_policies("[{\"op\": \"policy\", \"kind\": \"tax\", "
                    "\"rate\": \"high\"}]");
  where(t, "\"high\"", &line, &col);
  expect_error(t, line, col, "expected a number");

  /* Valid: nil lifts a quota, a figure gives a number, "to" defaults to
   * every nation, and the state starts with these policies in force. */
  t = with_policies(
      "[{\"op\": \"policy\", \"kind\": \"export_quota\", \"product\": "
      "\"magnet\", \"quantity\": null},\n"
      "     {\"op\": \"policy\", \"kind\": \"production_quota\", \"stage\": "
      "\"mining\", \"quantity\": {\"value\": 2500, \"assumption\": \"a cap\"}},"
      "\n     {\"op\": \"policy\", \"kind\": \"tax\", \"rate\": 0.25}]");
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(t, strlen(t), "maps/x.json", &m, &e) != 0)
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  model_obs_t *obs;
  assert_int_equal(model_observe(st, 0, &obs), 0);
  bool quota = false, tax = false;
  for (size_t i = 0; i < obs->n_public_policies; i++) {
    const model_order_t *p = &obs->public_policies[i].policy;
    if (strcmp(obs->nations[obs->public_policies[i].nation], "BBB") != 0)
      continue;
    if (p->kind == MODEL_POL_PRODUCTION_QUOTA) {
      quota = true;
      assert_int_equal(p->quantity_kg, 2500000);
    }
    if (p->kind == MODEL_POL_TAX) {
      tax = true;
      assert_int_equal(p->rate_ppm, 250000);
    }
  }
  assert_true(quota && tax);
  model_obs_free(obs);
  model_state_free(st);
  model_map_free(m);
}

static void test_missing_file(void **state) {
  (void)state;
  model_map_t *m = NULL;
  model_error_t e;
  assert_int_equal(model_map_load_file("/nonexistent/x.json", &m, &e),
                   MODEL_EIO);
  assert_string_equal(e.file, "/nonexistent/x.json");
}

/* Seatless firms (issue 11): "seatless": true on a firm, refused on a
 * nation seat and on a map where no seat is left to a player; the model
 * API and the observation's scores say which seats are seatless. */
static void test_seatless(void **state) {
  (void)state;
  int line, col;
  const char *nation = BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": "
                            "\"nation\", \"title\": \"A\", \"seatless\": "
                            "true},\n    {\"seat\": \"f\", \"kind\": "
                            "\"firm\", \"title\": \"F\", \"nation\": "
                            "\"AAA\"}]\n}\n";
  where(nation, "true},", &line, &col); /* located at the value */
  expect_error(nation, line, col, "only a firm may be seatless");
  const char *notbool = BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": "
                             "\"nation\", \"title\": \"A\"},\n    {\"seat\": "
                             "\"f\", \"kind\": \"firm\", \"title\": \"F\", "
                             "\"nation\": \"AAA\", \"seatless\": 1}]\n}\n";
  where(notbool, "1}]", &line, &col);
  expect_error(notbool, line, col, "expected true or false");
  const char *none = BASE "  \"seats\": [{\"seat\": \"f\", \"kind\": "
                          "\"firm\", \"title\": \"F\", \"nation\": \"AAA\", "
                          "\"seatless\": true}]\n}\n";
  model_map_t *m = NULL;
  model_error_t e;
  assert_int_equal(model_map_load_string(none, strlen(none), "x", &m, &e),
                   MODEL_EMAP);
  assert_non_null(strstr(e.message, "every seat is seatless"));
  const char *ok = BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": "
                        "\"nation\", \"title\": \"A\"},\n    {\"seat\": "
                        "\"f\", \"kind\": \"firm\", \"title\": \"F\", "
                        "\"nation\": \"AAA\", \"seatless\": true},\n    "
                        "{\"seat\": \"g\", \"kind\": \"firm\", \"title\": "
                        "\"G\", \"nation\": \"AAA\", \"seatless\": false}]\n"
                        "}\n";
  assert_int_equal(model_map_load_string(ok, strlen(ok), "x", &m, &e), 0);
  assert_false(model_map_seat_seatless(m, 0));
  assert_true(model_map_seat_seatless(m, 1));
  assert_false(model_map_seat_seatless(m, 2));
  assert_false(model_map_seat_seatless(m, 3)); /* out of range */
  assert_false(model_map_seat_seatless(NULL, 0));
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int seat = 0; seat < 3; seat++) {
    model_obs_t *obs;
    assert_int_equal(model_observe(st, seat, &obs), 0);
    assert_int_equal(obs->n_scores, 3);
    assert_false(obs->scores[0].seatless);
    assert_true(obs->scores[1].seatless);
    assert_false(obs->scores[2].seatless);
    model_obs_free(obs);
  }
  /* it plays like any seat: the turn resolves with it on its (no) orders */
  assert_int_equal(model_resolve(st), 0);
  assert_int_equal(model_state_turn(st), 1);
  model_state_free(st);
  model_map_free(m);
  /* a map without the key: no seat is seatless */
  for (size_t i = 0; i < helper_n_maps; i++) {
    if (strcmp(helper_maps[i], "race-2028") == 0)
      continue;
    m = helper_load(helper_maps[i]);
    for (size_t s = 0; s < model_map_seat_count(m); s++)
      assert_false(model_map_seat_seatless(m, s));
    model_map_free(m);
  }
}

/* The story's choices ("choices", issue 11): orders a seat may submit,
 * checked against the map when it loads, offered to that seat only. */
#define TWO_SEATS                                                              \
  BASE "  \"seats\": [{\"seat\": \"AAA\", \"kind\": \"nation\", \"title\": "   \
       "\"A\"},\n    {\"seat\": \"f\", \"kind\": \"firm\", \"title\": \"F\", " \
       "\"nation\": \"AAA\"}],\n"

static void expect_refused(const char *text, const char *needle) {
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_string(text, strlen(text), "maps/x.json", &m, &e);
  if (rc != MODEL_EMAP || !strstr(e.message, needle))
    fail_msg("wanted a refusal with \"%s\", got %d: %s", needle, rc,
             rc ? e.message : "(loaded)");
  assert_null(m);
}

static void test_choices(void **state) {
  (void)state;
  const char *ok =
      TWO_SEATS "  \"choices\": [{\"id\": \"subsidy\", \"by\": \"AAA\", "
                "\"note\": \"a capex subsidy (assumption)\", \"sources\": "
                "\"S1\", \"orders\": [{\"op\": \"policy\", \"kind\": "
                "\"subsidy\", \"stage\": \"magnet\", \"rate\": 0.5}]},\n"
                "    {\"id\": \"plant\", \"by\": \"f\", \"orders\": "
                "[{\"op\": \"build\", \"stage\": \"magnet\", \"capacity\": "
                "1000}, {\"op\": \"build\", \"stage\": \"separation\", "
                "\"capacity\": 500}]}]\n}\n";
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(ok, strlen(ok), "x", &m, &e) != 0)
    fail_msg("%s", e.message);
  assert_int_equal(model_map_choice_count(m), 2);
  const model_map_choice_t *c = model_map_choice(m, 1);
  assert_string_equal(c->id, "plant");
  assert_int_equal(c->seat, 1);
  assert_int_equal(c->n_orders, 2);
  assert_int_equal(c->orders[0].op, MODEL_OP_BUILD);
  assert_int_equal(c->orders[0].capacity_kg_per_year, 1000000);
  assert_string_equal(model_map_choice(m, 0)->sources, "S1");
  assert_null(model_map_choice(m, 2));
  /* each seat is offered its own, and submitting one is accepted */
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  for (int seat = 0; seat < 2; seat++) {
    model_obs_t *obs;
    assert_int_equal(model_observe(st, seat, &obs), 0);
    assert_int_equal(obs->n_choices, 1);
    assert_ptr_equal(obs->choices[0], model_map_choice(m, (size_t)seat));
    model_refusal_t r[4];
    size_t nr = 0;
    assert_int_equal(model_submit(st, seat, obs->choices[0]->orders,
                                  obs->choices[0]->n_orders, r, 4, &nr),
                     0);
    if (nr)
      fail_msg("seat %d's choice refused: %s", seat, r[0].message);
    model_obs_free(obs);
  }
  model_state_free(st);
  model_map_free(m);

  /* what is wrong, and what would be right */
  expect_refused(TWO_SEATS "  \"choices\": [{\"id\": \"c\", \"by\": \"ZZZ\", "
                           "\"orders\": [{\"op\": \"hire\", \"skill\": "
                           "\"magnet\", \"count\": 1}]}]\n}\n",
                 "unknown seat \"ZZZ\"; expected the id of one of \"seats\"");
  expect_refused(TWO_SEATS "  \"choices\": [{\"id\": \"c\", \"by\": \"AAA\", "
                           "\"orders\": [{\"op\": \"build\", \"stage\": "
                           "\"magnet\", \"capacity\": 5}]}]\n}\n",
                 "only firms may build");
  expect_refused(TWO_SEATS "  \"choices\": [{\"id\": \"c\", \"by\": \"f\", "
                           "\"orders\": []}]\n}\n",
                 "expected at least one order");
  expect_refused(TWO_SEATS "  \"choices\": [{\"id\": \"c\", \"by\": \"f\", "
                           "\"orders\": [{\"op\": \"hire\", \"skill\": "
                           "\"magnet\", \"count\": 1}]},\n    {\"id\": \"c\", "
                           "\"by\": \"f\", \"orders\": [{\"op\": \"hire\", "
                           "\"skill\": \"magnet\", \"count\": 2}]}]\n}\n",
                 "choice \"c\" is listed twice");
  expect_refused(TWO_SEATS "  \"choices\": [{\"id\": \"c\", \"by\": \"f\", "
                           "\"sources\": \"S7\", \"orders\": [{\"op\": "
                           "\"hire\", \"skill\": \"magnet\", \"count\": "
                           "1}]}]\n}\n",
                 "source \"S7\" is not a key");
  expect_refused(TWO_SEATS "  \"choices\": [{\"id\": \"c\", \"by\": \"f\", "
                           "\"when\": 3, \"orders\": [{\"op\": \"hire\", "
                           "\"skill\": \"magnet\", \"count\": 1}]}]\n}\n",
                 "unknown key \"when\"");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shipped_maps_load),
      cmocka_unit_test(test_valid_minimal),
      cmocka_unit_test(test_errors_located),
      cmocka_unit_test(test_policies_follow_the_schema),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_seatless),
      cmocka_unit_test(test_choices),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
