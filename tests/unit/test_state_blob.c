/*
 * model_state_deserialise reads state blobs from the database. What
 * fuzz/fuzz_state.c found there, each now refused with MODEL_ESTATE:
 *   - a blob that holds an array or map header where the state has a
 *     scalar: msgpack-c allocates for a container as soon as it reads the
 *     header (five bytes asked for 96 GiB), so it is refused before
 *     msgpack-c sees it;
 *   - a seat whose count of facilities (n_fac) disagrees with its list of
 *     facilities: model_observe sized its array by the count (a negative
 *     count asked calloc for 2^64 - 9 elements; a short one overflowed it).
 * The inputs the fuzzer found are in fuzz/regressions/fuzz_state/; this
 * test reads them too.
 *
 * The test counts the largest single malloc while such blobs are read. It
 * replaces malloc with a wrapper of glibc's __libc_malloc, so it runs in
 * the normal build; under AddressSanitizer (which owns malloc) it checks
 * the refusal only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "fuzz_common.h"
#include "model.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_MALLOC 0
#endif
#endif
#ifndef COUNT_MALLOC
#define COUNT_MALLOC 1
#endif

static size_t largest_malloc;

#if COUNT_MALLOC
extern void *__libc_malloc(size_t n);
void *malloc(size_t n);
void *malloc(size_t n) {
  if (n > largest_malloc)
    largest_malloc = n;
  return __libc_malloc(n);
}
#endif

static model_map_t *load(const char *name) {
  char path[1024];
  model_map_t *m = NULL;
  model_error_t err;

  snprintf(path, sizeof path, "%s/%s.json", LAN_SOURCE_MAPS, name);
  assert_int_equal(model_map_load_file(path, &m, &err), 0);
  return m;
}

/* Every container header, alone and in place of the version (the second
 * value of a real state), is refused without a large allocation. */
static void test_container_refused_before_unpacker(void **state) {
  static const uint8_t heads[][5] = {
      {0xdd, 0xff, 0xff, 0xff, 0xff}, /* array32, 4 Gi elements */
      {0xdf, 0x10, 0x00, 0x00, 0x00}, /* map32, 256 Mi pairs */
      {0xdc, 0xff, 0xff, 0, 0},       /* array16 */
      {0xde, 0xff, 0xff, 0, 0},       /* map16 */
      {0x9f, 0, 0, 0, 0},             /* fixarray */
      {0x8f, 0, 0, 0, 0},             /* fixmap */
  };
  model_map_t *m = load("classroom");
  model_state_t *st = NULL, *back = NULL;
  uint8_t *a = NULL, *bad;
  size_t la = 0, magic_len;

  (void)state;
  assert_int_equal(model_state_new(m, 3, &st), 0);
  assert_int_equal(model_state_serialise(st, &a, &la), 0);
  /* The first value is the magic string, a fixstr. */
  assert_true((a[0] & 0xe0) == 0xa0);
  magic_len = 1 + (a[0] & 0x1f);
  bad = malloc(la + 5);
  assert_non_null(bad);
  for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
    largest_malloc = 0;
    assert_int_equal(model_state_deserialise(m, heads[i], 5, &back),
                     MODEL_ESTATE);
    assert_null(back);
    /* In place of the version: the magic, the header, the rest. */
    memcpy(bad, a, magic_len);
    memcpy(bad + magic_len, heads[i], 5);
    memcpy(bad + magic_len + 5, a + magic_len + 1, la - magic_len - 1);
    assert_int_equal(model_state_deserialise(m, bad, la + 4, &back),
                     MODEL_ESTATE);
    assert_null(back);
    if (COUNT_MALLOC && largest_malloc > ((size_t)1 << 20))
      fail_msg("reading a %zu-byte blob with container header %02x "
               "allocated %zu bytes at once; a container must be refused "
               "before msgpack-c allocates for it",
               la + 4, heads[i][0], largest_malloc);
  }
  /* The real state still reads. */
  assert_int_equal(model_state_deserialise(m, a, la, &back), 0);
  model_state_free(back);
  free(bad);
  free(a);
  model_state_free(st);
  model_map_free(m);
}

/* Every input saved in fuzz/regressions/fuzz_state/ (a map byte, then a
 * blob) is refused, or read into a state every seat can observe. */
static void test_fuzz_regressions_refused(void **state) {
  DIR *d = opendir(LAN_FUZZ_DIR "/regressions/fuzz_state");
  struct dirent *e;
  size_t files = 0;

  (void)state;
  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    char path[1024];
    uint8_t *buf;
    long n;
    FILE *f;
    const model_map_t *m;
    model_state_t *st = NULL;
    int rc;

    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/regressions/fuzz_state/%s", LAN_FUZZ_DIR,
             e->d_name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 1);
    rewind(f);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    m = fuzz_map(buf[0] % FUZZ_MAPS);
    rc = model_state_deserialise(m, buf + 1, (size_t)n - 1, &st);
    if (rc == 0) {
      for (size_t s = 0; s < model_map_seat_count(m); s++) {
        model_obs_t *obs = NULL;
        if (model_observe(st, (int)s, &obs) != 0)
          fail_msg("%s: the state was read but seat %zu cannot observe it; "
                   "a state the model cannot use must be refused",
                   e->d_name, s);
        model_obs_free(obs);
      }
      model_state_free(st);
    } else {
      assert_int_equal(rc, MODEL_ESTATE);
    }
    free(buf);
    files++;
  }
  closedir(d);
  assert_true(files >= 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_container_refused_before_unpacker),
      cmocka_unit_test(test_fuzz_regressions_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
