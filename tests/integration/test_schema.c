/*
 * orders.schema over TCP: the real server answers {schema: map}, the JSON
 * Schema of one order, and that map lists exactly the model's order schema
 * table (model/order_schema.c): one oneOf branch per op and policy kind,
 * every field with its range and the required ones in `required`. Bots
 * validate their orders with it, so it must never drift from the parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "model.h"

static lt_server_t *srv_of(void **state) {
  return &((lt_fixture_t *)*state)->srv;
}

static double num(const msgpack_object *o) {
  assert_non_null(o);
  switch (o->type) {
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    return (double)o->via.u64;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    return (double)o->via.i64;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    return o->via.f64;
  default:
    fail_msg("expected a number, got msgpack type %d", (int)o->type);
  }
  return 0;
}

static bool array_has(const msgpack_object *a, const char *s) {
  assert_non_null(a);
  assert_int_equal(a->type, MSGPACK_OBJECT_ARRAY);
  for (uint32_t i = 0; i < a->via.array.size; i++)
    if (lt_str_is(&a->via.array.ptr[i], s))
      return true;
  return false;
}

/* One branch of oneOf against its entry of the table. */
static void check_branch(const msgpack_object *b,
                         const model_order_schema_t *s) {
  char title[64];
  snprintf(title, sizeof title, "%s%s", s->kind >= 0 ? "policy " : "", s->name);
  assert_true(lt_str_is(lt_get(b, "title"), title));
  assert_true(lt_str_is(lt_get(b, "type"), "object"));
  const msgpack_object *props = lt_get(b, "properties");
  assert_non_null(props);
  assert_int_equal(props->via.map.size, 1 + (s->kind >= 0) + s->n_fields);
  assert_true(
      lt_str_is(lt_get(lt_get(props, "op"), "const"), model_op_name(s->op)));
  const msgpack_object *req = lt_get(b, "required");
  assert_true(array_has(req, "op"));
  if (s->kind >= 0) {
    assert_true(lt_str_is(lt_get(lt_get(props, "kind"), "const"), s->name));
    assert_true(array_has(req, "kind"));
  }
  for (size_t i = 0; i < s->n_fields; i++) {
    const model_field_t *f = &s->fields[i];
    const msgpack_object *p = lt_get(props, f->key);
    if (!p)
      fail_msg("%s: field %s missing from the schema", title, f->key);
    assert_true(lt_str_is(lt_get(p, "description"), f->description));
    assert_int_equal(array_has(req, f->key),
                     f->presence == MODEL_FIELD_REQUIRED);
    if (f->type == MODEL_FIELD_NUMBER || f->type == MODEL_FIELD_INTEGER) {
      assert_true(num(lt_get(p, "minimum")) == f->min);
      assert_true(num(lt_get(p, "maximum")) == f->max);
      assert_true(lt_str_is(lt_get(p, "x-unit"), model_unit_name(f->unit)));
    }
  }
}

static void test_orders_schema(void **state) {
  msgpack_object *o;
  lt_conn_t c;
  uint32_t id;

  assert_int_equal(lt_connect(&c, srv_of(state)->port, 0), 0);
  assert_int_equal(lt_call(&c, 7, "orders.schema", &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_int_equal(id, 7);
  assert_null(lt_response_error(o));
  const msgpack_object *r = lt_response_result(o);
  assert_int_equal(r->type, MSGPACK_OBJECT_MAP);
  assert_int_equal(r->via.map.size, 1);
  const msgpack_object *s = lt_get(r, "schema");
  assert_non_null(s);
  assert_true(lt_str_is(lt_get(s, "$schema"),
                        "https://json-schema.org/draft/2020-12/schema"));
  assert_true(lt_str_is(lt_get(s, "type"), "object"));
  assert_true(array_has(lt_get(s, "required"), "op"));
  const msgpack_object *ops =
      lt_get(lt_get(lt_get(s, "properties"), "op"), "enum");
  for (int op = 0; op < MODEL_OPS; op++)
    assert_true(array_has(ops, model_op_name(op)));
  const msgpack_object *one = lt_get(s, "oneOf");
  assert_non_null(one);
  assert_int_equal(one->type, MSGPACK_OBJECT_ARRAY);
  assert_int_equal(one->via.array.size, model_order_schema_count());
  for (size_t i = 0; i < model_order_schema_count(); i++)
    check_branch(&one->via.array.ptr[i], model_order_schema_at(i));
  /* A connection that asked for the schema keeps working. */
  assert_true(lt_ping(&c, 8));
  lt_close(&c);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      LT_TEST(test_orders_schema),
  };

  lt_init(argc, argv);
  return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
