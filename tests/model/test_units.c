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
   * (design J1), then magnet_scrap (design J4) */
  const char *p[] = {"concentrate", "ndpr_oxide", "dytb_oxide", "lace_oxide",
                     "magnet",      "dy_oxide",   "tb_oxide",   "magnet_scrap"};
  assert_int_equal(MODEL_PRODUCTS, 8);
  assert_int_equal(MODEL_SCRAP, 7);
  assert_int_equal(MODEL_DYTB, 2);
  assert_int_equal(MODEL_MAGNET, 4);
  assert_int_equal(MODEL_DY, 5);
  assert_int_equal(MODEL_TB, 6);
  for (int i = 0; i < MODEL_PRODUCTS; i++) {
    assert_int_equal(model_product_from_name(p[i]), i);
    assert_string_equal(model_product_name(i), p[i]);
  }
  assert_int_equal(model_stage_from_name("magnet"), MODEL_MAGNETS);
  /* design J4: the fourth stage (and skill) keeps the first three's
   * numbers */
  const char *s[] = {"mining", "separation", "magnet", "recycling"};
  assert_int_equal(MODEL_STAGES, 4);
  assert_int_equal(MODEL_RECYCLING, 3);
  for (int i = 0; i < MODEL_STAGES; i++) {
    assert_int_equal(model_stage_from_name(s[i]), i);
    assert_int_equal(model_skill_from_name(s[i]), i);
    assert_string_equal(model_stage_name(i), s[i]);
    assert_string_equal(model_skill_name(i), s[i]);
  }
  assert_null(model_stage_name(MODEL_STAGES));
  assert_int_equal(model_policy_from_name("recycling_collection"),
                   MODEL_POL_RECYCLING_COLLECTION);
  assert_string_equal(model_product_name(MODEL_SCRAP), "magnet_scrap");
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
