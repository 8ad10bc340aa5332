/*
 * The debrief's "what you saw versus what was true" (clients/dbtool.c,
 * issue 13): dbtool_diff names every leaf where a seat's view and the
 * ground truth differ, by path, including figures the seat did not see at
 * all and ones it saw that the truth lacks; equal trees give nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dbtool.h"

typedef struct diffs {
  int n;
  char line[8][96];
} diffs_t;

static void on_diff(void *arg, const char *path, const char *seen,
                    const char *truth) {
  diffs_t *d = arg;
  assert_true(d->n < 8);
  snprintf(d->line[d->n++], sizeof d->line[0], "%s|%s|%s", path, seen, truth);
}

static void kv_str(msgpack_packer *pk, const char *k, const char *v) {
  msgpack_pack_str_with_body(pk, k, strlen(k));
  msgpack_pack_str_with_body(pk, v, strlen(v));
}

/* {"nations": {"CHN": {"quota": q, "budget": 10[, "hidden": 3]}},
 *  "prices": [1.5, 2.5(, 4)], "note": note} */
static void pack_view(msgpack_sbuffer *b, int64_t q, bool hidden, bool third,
                      const char *note) {
  msgpack_packer pk;
  msgpack_sbuffer_init(b);
  msgpack_packer_init(&pk, b, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 3);
  msgpack_pack_str_with_body(&pk, "nations", 7);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_str_with_body(&pk, "CHN", 3);
  msgpack_pack_map(&pk, hidden ? 3 : 2);
  msgpack_pack_str_with_body(&pk, "quota", 5);
  msgpack_pack_int64(&pk, q);
  msgpack_pack_str_with_body(&pk, "budget", 6);
  msgpack_pack_int64(&pk, 10);
  if (hidden) {
    msgpack_pack_str_with_body(&pk, "hidden", 6);
    msgpack_pack_int64(&pk, 3);
  }
  msgpack_pack_str_with_body(&pk, "prices", 6);
  msgpack_pack_array(&pk, third ? 3 : 2);
  msgpack_pack_double(&pk, 1.5);
  msgpack_pack_double(&pk, 2.5);
  if (third)
    msgpack_pack_int64(&pk, 4);
  kv_str(&pk, "note", note);
}

static void compare(int64_t sq, bool sh, bool s3, const char *sn, int64_t tq,
                    bool th, bool t3, const char *tn, diffs_t *d) {
  msgpack_sbuffer a, b;
  pack_view(&a, sq, sh, s3, sn);
  pack_view(&b, tq, th, t3, tn);
  msgpack_unpacked ua, ub;
  msgpack_unpacked_init(&ua);
  msgpack_unpacked_init(&ub);
  size_t oa = 0, ob = 0;
  assert_int_equal(msgpack_unpack_next(&ua, a.data, a.size, &oa),
                   MSGPACK_UNPACK_SUCCESS);
  assert_int_equal(msgpack_unpack_next(&ub, b.data, b.size, &ob),
                   MSGPACK_UNPACK_SUCCESS);
  memset(d, 0, sizeof *d);
  dbtool_diff(&ua.data, &ub.data, on_diff, d);
  msgpack_unpacked_destroy(&ua);
  msgpack_unpacked_destroy(&ub);
  msgpack_sbuffer_destroy(&a);
  msgpack_sbuffer_destroy(&b);
}

static void test_equal_views_differ_nowhere(void **state) {
  (void)state;
  diffs_t d;
  compare(5, true, true, "x", 5, true, true, "x", &d);
  assert_int_equal(d.n, 0);
}

static void test_every_difference_named(void **state) {
  (void)state;
  diffs_t d;
  /* The seat saw a quota of 5 (truly 7), not the hidden figure, two of
   * three prices, and a note the truth words otherwise. */
  compare(5, false, false, "rumour", 7, true, true, "fact", &d);
  assert_int_equal(d.n, 4);
  assert_string_equal(d.line[0], "nations.CHN.quota|5|7");
  assert_string_equal(d.line[1], "note|rumour|fact");
  assert_string_equal(d.line[2], "nations.CHN.hidden||3");
  assert_string_equal(d.line[3], "prices.2||4");
  /* What the seat holds that the truth lacks is named too. */
  compare(7, true, false, "fact", 7, false, false, "fact", &d);
  assert_int_equal(d.n, 1);
  assert_string_equal(d.line[0], "nations.CHN.hidden|3|");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_equal_views_differ_nowhere),
      cmocka_unit_test(test_every_difference_named),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
