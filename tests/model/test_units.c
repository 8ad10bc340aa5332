/* test_units.c: unit conversions, names, and the fixed-point learning
 * curve (exact integers, no libm). */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void test_conversions(void **state) {
  (void)state;
  int64_t x;
  assert_int_equal(model_tonnes_to_kg(1.5, &x), 0);
  assert_int_equal(x, 1500);
  assert_int_equal(model_tonnes_to_kg(0.0005, &x), 0);
  assert_int_equal(x, 1); /* half away from zero */
  assert_int_equal(model_usd_to_cents(-2.345, &x), 0);
  assert_int_equal(x, -235);
  assert_int_equal(model_usd_per_kg_to_cents(55.0, &x), 0);
  assert_int_equal(x, 5500);
  assert_int_equal(model_fraction_to_ppm(0.25, &x), 0);
  assert_int_equal(x, 250000);
  assert_int_equal(model_tonnes_to_kg(1e300, &x), MODEL_ERANGE);
  assert_int_equal(model_usd_to_cents(0.0 / 0.0, &x), MODEL_ERANGE);
}

static void test_names(void **state) {
  (void)state;
  /* the old names keep their numbers; dy_oxide and tb_oxide are appended
   * (design J1) */
  const char *p[] = {"concentrate", "ndpr_oxide", "dytb_oxide", "lace_oxide",
                     "magnet",      "dy_oxide",   "tb_oxide"};
  assert_int_equal(MODEL_PRODUCTS, 7);
  assert_int_equal(MODEL_DYTB, 2);
  assert_int_equal(MODEL_MAGNET, 4);
  assert_int_equal(MODEL_DY, 5);
  assert_int_equal(MODEL_TB, 6);
  for (int i = 0; i < MODEL_PRODUCTS; i++) {
    assert_int_equal(model_product_from_name(p[i]), i);
    assert_string_equal(model_product_name(i), p[i]);
  }
  assert_int_equal(model_stage_from_name("magnet"), MODEL_MAGNETS);
  assert_int_equal(model_op_from_name("policy"), MODEL_OP_POLICY);
  assert_int_equal(model_policy_from_name("production_quota"),
                   MODEL_POL_PRODUCTION_QUOTA);
  assert_int_equal(model_policy_from_name("nope"), -1);
  assert_null(model_product_name(9));
  assert_string_equal(model_strerror(MODEL_EMAP), "malformed map");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conversions),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
