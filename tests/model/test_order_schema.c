/* test_order_schema.c: the order schema table (model/order_schema.c) is
 * well formed, since the wire codec, the loader, the canonical copy, the
 * CLI and the docs all trust it: one entry per op and policy kind in enum
 * order, keys unique, each field inside model_order_t and of a type that
 * fits its place, ranges that convert to exact integers, a refusal text
 * for every number, and the rules the codec relies on (a price that
 * depends on quantity comes after it). Also: the canonical copy keeps
 * exactly the schema's fields, and docs/orders.md's text names them all. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Where each type may live in model_order_t. */
static bool place_fits(const model_field_t *f) {
  size_t o = f->offset;
  switch (f->type) {
  case MODEL_FIELD_PRODUCT:
    return o == offsetof(model_order_t, product);
  case MODEL_FIELD_STAGE:
    return o == offsetof(model_order_t, stage);
  case MODEL_FIELD_SKILL:
    return o == offsetof(model_order_t, skill);
  case MODEL_FIELD_ID:
    return o == offsetof(model_order_t, facility) ||
           o == offsetof(model_order_t, site) ||
           o == offsetof(model_order_t, firm) ||
           o == offsetof(model_order_t, contract) ||
           o == offsetof(model_order_t, seat) ||
           o == offsetof(model_order_t, choice) ||
           o == offsetof(model_order_t, host) ||
           o == offsetof(model_order_t, origin) ||
           o == offsetof(model_order_t, index);
  case MODEL_FIELD_PARTNER:
    return o == offsetof(model_order_t, partner);
  case MODEL_FIELD_BOOL:
    return o == offsetof(model_order_t, lift) ||
           o == offsetof(model_order_t, inbound) ||
           o == offsetof(model_order_t, outbound) ||
           o == offsetof(model_order_t, two_sided) ||
           o == offsetof(model_order_t, apprentice) ||
           o == offsetof(model_order_t, consume) ||
           o == offsetof(model_order_t, home_only);
  case MODEL_FIELD_NUMBER:
  case MODEL_FIELD_INTEGER:
    /* every int64_t of the struct lies between these two */
    return o >= offsetof(model_order_t, capacity_kg_per_year) &&
           o + sizeof(int64_t) <= sizeof(model_order_t) && o % 8 == 0 &&
           o != offsetof(model_order_t, kind) &&
           o != offsetof(model_order_t, partner) &&
           (o < offsetof(model_order_t, firm) ||
            o >= offsetof(model_order_t, amount_cents));
  }
  return false;
}

static void test_table_well_formed(void **state) {
  (void)state;
  assert_int_equal(model_order_schema_count(),
                   MODEL_OPS - 1 + MODEL_POLICY_KINDS);
  for (size_t i = 0; i < model_order_schema_count(); i++) {
    const model_order_schema_t *s = model_order_schema_at(i);
    /* enum order: the ops before policy, the kinds, the ops after */
    if (i < MODEL_OP_POLICY) {
      assert_int_equal(s->op, (int)i);
      assert_int_equal(s->kind, -1);
      assert_string_equal(s->name, model_op_name((int)i));
    } else if (i >= (size_t)MODEL_OP_POLICY + MODEL_POLICY_KINDS) {
      int op = (int)(i - MODEL_POLICY_KINDS) + 1;
      assert_int_equal(s->op, op);
      assert_int_equal(s->kind, -1);
      assert_string_equal(s->name, model_op_name(op));
    } else {
      assert_int_equal(s->op, MODEL_OP_POLICY);
      assert_int_equal(s->kind, (int)(i - MODEL_OP_POLICY));
      assert_int_equal(model_policy_from_name(s->name), s->kind);
    }
    assert_ptr_equal(model_order_schema(s->op, s->kind < 0 ? 0 : s->kind), s);
    assert_true(s->description && s->description[0] && s->who[0]);
    assert_true(s->n_fields > 0);
    bool quantity_seen = false;
    for (size_t k = 0; k < s->n_fields; k++) {
      const model_field_t *f = &s->fields[k];
      if (!place_fits(f))
        fail_msg("%s.%s: offset %zu does not hold a field of its type", s->name,
                 f->key, f->offset);
      for (size_t j = 0; j < k; j++)
        assert_string_not_equal(f->key, s->fields[j].key);
      assert_ptr_equal(model_order_field(s, f->key), f);
      assert_true(f->description && f->description[0]);
      bool num =
          f->type == MODEL_FIELD_NUMBER || f->type == MODEL_FIELD_INTEGER;
      if (num) {
        int64_t lo, hi;
        assert_true(f->allowed && f->allowed[0]);
        assert_true(f->min < f->max);
        assert_int_equal(model_field_range(f, &lo, &hi), 0);
        assert_true(lo < hi);
        assert_true(model_unit_name(f->unit)[0]);
      } else {
        assert_int_equal(f->unit, MODEL_UNIT_NONE);
        assert_int_equal(model_field_range(f, &(int64_t){0}, &(int64_t){0}),
                         MODEL_EINVAL);
      }
      if (f->presence == MODEL_FIELD_NIL_LIFTS)
        assert_true(num);
      /* proto_order_parse reads quantity before what depends on it */
      if (f->presence == MODEL_FIELD_IF_QUANTITY)
        assert_true(quantity_seen);
      quantity_seen |= strcmp(f->key, "quantity") == 0;
      /* only optional ids, flags and numbers may be left out when empty
       * (false, 0): the fields added to older orders, so that those keep
       * their bytes; a negated flag (subsidy's foreign) is left out at its
       * default, true on the wire */
      if (f->omit_empty)
        assert_true(
            ((f->type == MODEL_FIELD_ID || f->type == MODEL_FIELD_BOOL ||
              f->type == MODEL_FIELD_NUMBER ||
              f->type == MODEL_FIELD_INTEGER) &&
             f->presence == MODEL_FIELD_OPTIONAL) ||
            (f->type == MODEL_FIELD_BOOL &&
             f->presence == MODEL_FIELD_NEGATED));
      if (f->presence == MODEL_FIELD_NEGATED)
        assert_true(f->type == MODEL_FIELD_BOOL && f->omit_empty);
    }
  }
  assert_null(model_order_schema(MODEL_OPS, 0));
  assert_null(model_order_schema(MODEL_OP_POLICY, MODEL_POLICY_KINDS));
  assert_null(model_order_schema(-1, 0));
}

/* The canonical copy keeps the schema's fields and nothing else. */
static void test_canonical_keeps_schema_fields(void **state) {
  (void)state;
  for (size_t i = 0; i < model_order_schema_count(); i++) {
    const model_order_schema_t *s = model_order_schema_at(i);
    model_order_t full, c;
    /* every byte set, then the op and kind */
    memset(&full, 0x11, sizeof full);
    /* every bool of any entry holds a valid bool (0x11 is none) */
    for (size_t e = 0; e < model_order_schema_count(); e++) {
      const model_order_schema_t *x = model_order_schema_at(e);
      for (size_t k = 0; k < x->n_fields; k++)
        if (x->fields[k].type == MODEL_FIELD_BOOL)
          *(bool *)((char *)&full + x->fields[k].offset) = true;
    }
    full.op = s->op;
    full.kind = s->kind < 0 ? MODEL_POL_TAX : (model_policy_kind_t)s->kind;
    full.lift = false;
    full.inbound = full.outbound = true;
    full.facility[5] = full.site[5] = full.partner[5] = '\0';
    model_order_canonical(&full, &c);
    assert_int_equal(c.op, s->op);
    assert_int_equal(c.kind, s->kind < 0 ? 0 : s->kind);
    assert_int_equal(c.stage, model_order_field(s, "stage") ? full.stage : -1);
    assert_int_equal(c.product,
                     model_order_field(s, "product") ? full.product : -1);
    assert_int_equal(c.skill, model_order_field(s, "skill") ? full.skill : -1);
    assert_int_equal(c.count, model_order_field(s, "count") ? full.count : 0);
    /* rate_ppm carries a tariff's or tax's rate and an origin rule's
     * threshold: kept when a field of the schema sits there */
    bool rate_field = false;
    for (size_t k = 0; k < s->n_fields; k++)
      rate_field |= s->fields[k].offset == offsetof(model_order_t, rate_ppm);
    assert_int_equal(c.rate_ppm, rate_field ? full.rate_ppm : 0);
    assert_int_equal(c.inbound, model_order_field(s, "inbound") != NULL);
    const model_field_t *pt = model_order_field(s, "to");
    if (!pt)
      pt = model_order_field(s, "from");
    bool partner = pt && pt->type == MODEL_FIELD_PARTNER;
    assert_string_equal(c.partner, partner ? full.partner : "");
    /* a lifted quota keeps no quantity */
    const model_field_t *q = model_order_field(s, "quantity");
    if (q && q->presence == MODEL_FIELD_NIL_LIFTS) {
      full.lift = true;
      model_order_canonical(&full, &c);
      assert_true(c.lift);
      assert_int_equal(c.quantity_kg, 0);
    }
  }
}

static void test_markdown_lists_everything(void **state) {
  (void)state;
  char *md;
  size_t len;
  assert_int_equal(model_order_schema_markdown(&md, &len), 0);
  assert_int_equal(strlen(md), len);
  for (size_t i = 0; i < model_order_schema_count(); i++) {
    const model_order_schema_t *s = model_order_schema_at(i);
    char head[96], row[96];
    snprintf(head, sizeof head, "`%s`\n", s->name);
    assert_non_null(strstr(md, head));
    for (size_t k = 0; k < s->n_fields; k++) {
      snprintf(row, sizeof row, "| `%s` |", s->fields[k].key);
      assert_non_null(strstr(strstr(md, head), row));
    }
  }
  assert_non_null(strstr(md, "| `rate` | number | fraction | 0 to 10 | yes |"));
  free(md);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_well_formed),
      cmocka_unit_test(test_canonical_keeps_schema_fields),
      cmocka_unit_test(test_markdown_lists_everything),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
