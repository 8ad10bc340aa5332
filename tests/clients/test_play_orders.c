/*
 * Unit tests of clients/play_orders.c: the typed orders of `lanthanide
 * play`. Every policy kind of the model's order schema can be typed as
 * `policy KIND key=value ...` with the field types the table gives (short
 * product names, percentages, none to lift), and what it makes is an order
 * the wire codec accepts; mistakes get a message that names the field and
 * says what is allowed; the order view lists a policy's fields in the
 * table's order with their units.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_view.h"
#include "client.h"
#include "play_orders.h"
#include "proto_types.h"

/* Split a line into words (in place) and parse it as a typed order. */
static json_t *parse(const json_t *obs, const char *line, char *msg,
                     size_t cap) {
  static char buf[512];
  char *argv[32];
  int argc = 0;
  snprintf(buf, sizeof buf, "%s", line);
  for (char *w = strtok(buf, " "); w && argc < 32; w = strtok(NULL, " "))
    argv[argc++] = w;
  return play_order_parse(obs, argc, argv, msg, cap);
}

static json_t *nation_obs(void) {
  return json_pack("{s:s, s:{s:[]}}", "kind", "nation", "you", "facilities");
}

static json_t *firm_obs(void) {
  return json_pack("{s:s, s:{s:[{s:s}]}}", "kind", "firm", "you", "facilities",
                   "id", "mine_1");
}

/* The wire codec's verdict on a JSON order: 0 with *out, or -1 with r. */
static int wire_parse(const json_t *o, model_order_t *out, model_refusal_t *r) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_unpacked u;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  assert_int_equal(cli_pack_json(&pk, o), 0);
  msgpack_unpacked_init(&u);
  assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL),
                   MSGPACK_UNPACK_SUCCESS);
  int rc = proto_order_parse(&u.data, out, r);
  msgpack_unpacked_destroy(&u);
  msgpack_sbuffer_destroy(&sb);
  return rc;
}

/* A value to type for a field, in the player's shorthand. */
static const char *typed(const model_field_t *f) {
  static char b[64];
  switch (f->type) {
  case MODEL_FIELD_PRODUCT:
    return "dytb";
  case MODEL_FIELD_STAGE:
  case MODEL_FIELD_SKILL:
    return "sep";
  case MODEL_FIELD_ID:
    return "x1";
  case MODEL_FIELD_PARTNER:
    return "USA";
  case MODEL_FIELD_BOOL:
    return "yes";
  case MODEL_FIELD_NUMBER:
  case MODEL_FIELD_INTEGER:
    if (f->unit == MODEL_UNIT_FRACTION) {
      snprintf(b, sizeof b, "%g%%", 100 * (f->min + (f->max - f->min) / 4));
      return b;
    }
    if (f->unit == MODEL_UNIT_TONNES)
      return "2.5k";
    if (f->type == MODEL_FIELD_INTEGER) /* whole numbers: turns, people */
      snprintf(b, sizeof b, "%lld",
               (long long)(f->min + (f->max - f->min) / 4));
    else
      snprintf(b, sizeof b, "%g", f->min + (f->max - f->min) / 4);
    return b;
  }
  return "?";
}

/* Every policy kind, every field typed: the wire codec accepts the
 * order, with the values typed (2.5k is 2,500 t, 25% is 0.25, dytb is
 * dytb_oxide). */
static void test_every_policy_kind_types(void **state) {
  (void)state;
  json_t *obs = nation_obs();
  for (int k = 0; k < MODEL_POLICY_KINDS; k++) {
    const model_order_schema_t *s = model_order_schema(MODEL_OP_POLICY, k);
    char line[512], msg[600];
    size_t w = (size_t)snprintf(line, sizeof line, "policy %s", s->name);
    for (size_t i = 0; i < s->n_fields; i++)
      w += (size_t)snprintf(line + w, sizeof line - w, " %s=%s",
                            s->fields[i].key, typed(&s->fields[i]));
    json_t *o = parse(obs, line, msg, sizeof msg);
    if (!o)
      fail_msg("%s: %s", line, msg);
    model_order_t got;
    model_refusal_t r;
    if (wire_parse(o, &got, &r) != 0)
      fail_msg("%s: the wire refuses it: %s: %s", line, r.field, r.message);
    assert_int_equal(got.op, MODEL_OP_POLICY);
    assert_int_equal((int)got.kind, k);
    const model_field_t *f = model_order_field(s, "product");
    if (f)
      assert_int_equal(got.product, MODEL_DYTB);
    if ((f = model_order_field(s, "quantity")))
      assert_int_equal(got.quantity_kg, 2500000);
    if ((f = model_order_field(s, "to")) || (f = model_order_field(s, "from")))
      assert_string_equal(got.partner, "USA");
    json_decref(o);
  }
  json_decref(obs);
}

static void expect_order(const json_t *obs, const char *line,
                         const char *want_json) {
  char msg[600];
  json_t *o = parse(obs, line, msg, sizeof msg);
  if (!o)
    fail_msg("%s: %s", line, msg);
  json_t *want = json_loads(want_json, 0, NULL);
  assert_non_null(want);
  if (!json_equal(o, want)) {
    char *got = json_dumps(o, JSON_SORT_KEYS);
    fail_msg("%s: got %s, wanted %s", line, got, want_json);
  }
  json_decref(want);
  json_decref(o);
}

static void expect_refusal(const json_t *obs, const char *line,
                           const char *needle) {
  char msg[600];
  json_t *o = parse(obs, line, msg, sizeof msg);
  if (o)
    fail_msg("%s: accepted, wanted a message with \"%s\"", line, needle);
  if (!strstr(msg, needle))
    fail_msg("%s: got \"%s\", wanted \"%s\" in it", line, msg, needle);
}

static void test_policy_syntax(void **state) {
  (void)state;
  json_t *nation = nation_obs(), *firm = firm_obs();
  expect_order(nation, "policy export_licence product=dytb approval=20%",
               "{\"op\": \"policy\", \"kind\": \"export_licence\", "
               "\"product\": \"dytb_oxide\", \"approval\": 0.2}");
  expect_order(nation, "policy export_quota product=ndpr quantity=none to=USA",
               "{\"op\": \"policy\", \"kind\": \"export_quota\", \"product\": "
               "\"ndpr_oxide\", \"quantity\": null, \"to\": \"USA\"}");
  expect_order(nation, "policy migration skill=magnet inbound=no outbound=yes",
               "{\"op\": \"policy\", \"kind\": \"migration\", \"skill\": "
               "\"magnet\", \"inbound\": false, \"outbound\": true}");
  expect_refusal(nation, "policy tariff product=magnet rat=25%",
                 "policy tariff has no field 'rat'; its fields: product, "
                 "rate, from");
  expect_refusal(nation, "policy export_licence product=dytb approval=150%",
                 "approval: give a share from 0 to 1");
  expect_refusal(nation, "policy tariff product=magnet",
                 "policy tariff needs rate=SHARE");
  expect_refusal(nation, "policy tax rate=none",
                 "rate: give a rate from 0 "
                 "to 1");
  expect_refusal(nation, "policy permitting stage=mining speed=3",
                 "speed: give a factor from 0.5 (twice as slow) to 2");
  expect_refusal(nation, "policy stockpile product=gold target=5",
                 "product: 'gold' is not one of:");
  expect_refusal(nation, "policy embargo product=magnet",
                 "'embargo' is not a policy kind; kinds: export_quota");
  expect_refusal(nation, "policy tax rate", "'rate' is not key=value");
  expect_refusal(firm, "policy tax rate=0.2", "Only nations set policy");
  expect_refusal(nation, "hire mining 5", "Only firms hire");
  json_decref(nation);
  json_decref(firm);
}

/* The positional commands take their ranges from the table too. */
static void test_other_orders(void **state) {
  (void)state;
  json_t *firm = firm_obs();
  expect_order(firm, "operate mine_1 80%",
               "{\"op\": \"operate\", \"facility\": \"mine_1\", "
               "\"utilisation\": 0.8}");
  expect_order(firm, "build mining 5k mine_1",
               "{\"op\": \"build\", \"stage\": \"mining\", \"capacity\": "
               "5000.0, \"facility\": \"mine_1\"}");
  expect_order(firm, "offer ndpr 10 45",
               "{\"op\": \"offer\", \"product\": \"ndpr_oxide\", "
               "\"quantity\": 10.0, \"min_price\": 45.0}");
  expect_refusal(firm, "operate mine_1 120%", "utilisation: give a share");
  expect_refusal(firm, "build separation 20M",
                 "capacity: give a capacity in tonnes per year, more than 0 "
                 "and at most 10,000,000");
  expect_refusal(firm, "train mining 0",
                 "count: give a whole number of people from 1 to 1,000,000");
  expect_refusal(firm, "bid magnet 1 -3", "0 or more");
  expect_refusal(firm, "bid magnet 1 2000000",
                 "max_price: give a price in USD per kg from 0 to 999,999.99");
  /* issue 11: contracts (any seat), state support (nations only) */
  expect_order(firm,
               "contract_propose id=k1 to=USA product=magnet quantity=2.5k "
               "price=80 turns=8 penalty=5",
               "{\"op\": \"contract_propose\", \"id\": \"k1\", \"to\": "
               "\"USA\", \"product\": \"magnet\", \"quantity\": 2500.0, "
               "\"price\": 80.0, \"turns\": 8, \"penalty\": 5.0}");
  expect_order(firm, "contract_accept id=k2 from=CHN",
               "{\"op\": \"contract_accept\", \"id\": \"k2\", \"from\": "
               "\"CHN\"}");
  expect_refusal(firm, "contract_accept id=k2", "contract_accept needs from=");
  expect_refusal(firm, "grant firm=x amount=5", "Only nations give grant");
  json_t *nation = nation_obs();
  expect_order(nation, "loan firm=x amount=1e6 rate=4.5% turns=12",
               "{\"op\": \"loan\", \"firm\": \"x\", \"amount\": "
               "1000000.0, \"rate\": 0.045, \"turns\": 12}");
  json_decref(nation);
  json_decref(firm);
}

/* A policy reads in the table's order of its fields, with units. */
static void test_view(void **state) {
  (void)state;
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f}", "op", "policy", "to",
                        "all", "kind", "export_licence", "product",
                        "dytb_oxide", "approval", 0.2);
  assert_string_equal(view_order(o), "policy export_licence product=dytb_oxide "
                                     "approval=20.0% to=all");
  json_object_set_new(o, "colour", json_string("red"));
  assert_string_equal(view_order(o), "policy export_licence product=dytb_oxide "
                                     "approval=20.0% to=all colour=red");
  json_decref(o);
  o = json_pack("{s:s, s:s, s:s, s:n}", "op", "policy", "kind",
                "production_quota", "stage", "mining", "quantity");
  assert_string_equal(view_order(o),
                      "policy production_quota stage=mining quantity=none");
  json_decref(o);
}

/* The list: a policy of the same kind and target replaces the one before;
 * refused orders leave the list. */
static void test_list(void **state) {
  (void)state;
  play_orders_t l;
  json_t *nation = nation_obs();
  assert_int_equal(play_orders_init(&l), 0);
  char a1[] = "policy", a2[] = "tax", a3[] = "rate=20%", a4[] = "rate=25%";
  char *argv1[] = {a1, a2, a3};
  play_orders_command(&l, nation, 3, argv1);
  char *argv2[] = {a1, a2, a4};
  play_orders_command(&l, nation, 3, argv2);
  assert_int_equal(json_array_size(l.pending), 1);
  assert_true(json_number_value(json_object_get(json_array_get(l.pending, 0),
                                                "rate")) == 0.25);
  char b2[] = "stockpile", b3[] = "product=magnet", b4[] = "target=50";
  char *argv3[] = {a1, b2, b3, b4};
  play_orders_command(&l, nation, 4, argv3);
  assert_int_equal(json_array_size(l.pending), 2);
  assert_true(l.dirty);
  json_t *rej = json_pack("[{s:i}]", "index", 0);
  play_orders_remove_refused(&l, rej);
  json_decref(rej);
  assert_int_equal(json_array_size(l.pending), 1);
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(l.pending, 0), "kind")),
      "stockpile");
  play_orders_free(&l);
  json_decref(nation);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_policy_kind_types),
      cmocka_unit_test(test_policy_syntax),
      cmocka_unit_test(test_other_orders),
      cmocka_unit_test(test_view),
      cmocka_unit_test(test_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
