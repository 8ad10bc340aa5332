/*
 * A hostile client in a loop: every bad input built below, again
 * and again over fresh connections (and some held open at once), while the
 * test watches the server's resident memory. The memory must stay bounded,
 * every connection must be accounted for afterwards, and the server must
 * still answer ping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define ITERATIONS 10000
/* Allowed growth of resident memory from the warmed-up server to the end.
 * The sanitizer build keeps freed memory in quarantine, so it gets more. */
#ifdef LAN_TEST_SANITIZED
#define RSS_GROWTH_KIB (256L * 1024L)
#else
#define RSS_GROWTH_KIB (64L * 1024L)
#endif

typedef struct hostile {
  const char *name;
  const uint8_t *bytes;
  size_t len;
  bool fatal; /* the server closes the connection */
} hostile_t;

static const uint8_t c1[] = {0xc1};
static const uint8_t array32[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
static const uint8_t map32[] = {0xdf, 0x10, 0x00, 0x00, 0x00};
static const uint8_t msgid_str[] = {0x94, 0x00, 0xa1, 'x', 0xa1, 'm', 0x90};
static const uint8_t type3[] = {0x94, 0x03, 0x01, 0xa1, 'm', 0x90};
static const uint8_t response[] = {0x94, 0x01, 0x01, 0xc0, 0xc0};
static const uint8_t params_map[] = {0x94, 0x00, 0x07, 0xa4, 'p',
                                     'i',  'n',  'g',  0x80};
static const uint8_t unknown[] = {0x94, 0x00, 0x08, 0xa4, 'n',
                                  'o',  'p',  'e',  0x90};
/* [0, 9, "hello", [{"protocol": "one"}]] */
static const uint8_t wrong_type[] = {
    0x94, 0x00, 0x09, 0xa5, 'h', 'e', 'l', 'l', 'o',  0x91, 0x81, 0xa8,
    'p',  'r',  'o',  't',  'o', 'c', 'o', 'l', 0xa3, 'o',  'n',  'e'};
static const uint8_t truncated[] = {0x94, 0x00, 0x01, 0xa4, 'p', 'i'};
static uint8_t nested16[32 * 3];
static uint8_t too_deep[64];
static uint8_t too_big[20000];
static size_t too_big_len;
static uint8_t held_open[15 * 3];

static hostile_t inputs[16];
static size_t n_inputs;

static void add(const char *name, const uint8_t *b, size_t n, bool fatal) {
  inputs[n_inputs++] = (hostile_t){name, b, n, fatal};
}

static void build_inputs(void) {
  size_t n = 0;

  for (int i = 0; i < 32; i++) {
    nested16[3 * i] = 0xdc;
    nested16[3 * i + 1] = 0xff;
    nested16[3 * i + 2] = 0xff;
  }
  /* [0, 1, "ping", [[[[...]]]]]: 40 levels. */
  memcpy(too_deep,
         (const uint8_t[]){0x94, 0x00, 0x01, 0xa4, 'p', 'i', 'n', 'g'}, 8);
  memset(too_deep + 8, 0x91, 40);
  too_deep[48] = 0xc0;
  /* A message over --max-message 16384: an array of 9000 one-letter
   * strings (18005 bytes), each header honest, the sum too large. */
  too_big[n++] = 0xdd;
  too_big[n++] = 0x00;
  too_big[n++] = 0x00;
  too_big[n++] = 0x23;
  too_big[n++] = 0x28;
  for (int i = 0; i < 9000; i++) {
    too_big[n++] = 0xa1;
    too_big[n++] = 'z';
  }
  too_big_len = n;
  /* 15 nested array16 headers of 4096 items: within every limit, so the
   * server must hold the connection open waiting for the rest (msgpack-c
   * alone would already have allocated 1.4 MiB for it). */
  for (int i = 0; i < 15; i++) {
    held_open[3 * i] = 0xdc;
    held_open[3 * i + 1] = 0x10;
    held_open[3 * i + 2] = 0x00;
  }

  add("invalid byte", c1, sizeof(c1), true);
  add("array32 of 2^32-1", array32, sizeof(array32), true);
  add("map32 of 2^28", map32, sizeof(map32), true);
  add("32 nested array16", nested16, sizeof(nested16), true);
  add("depth 43", too_deep, 49, true);
  add("message over the limit", too_big, too_big_len, true);
  add("truncated", truncated, sizeof(truncated), false);
  add("msgid not an integer", msgid_str, sizeof(msgid_str), false);
  add("type 3", type3, sizeof(type3), false);
  add("response from a client", response, sizeof(response), false);
  add("params not an array", params_map, sizeof(params_map), false);
  add("unknown method", unknown, sizeof(unknown), false);
  add("wrong-typed argument", wrong_type, sizeof(wrong_type), false);
}

/* One round: send the input on a fresh connection and finish the
 * exchange (the server's close, or its error answer and our close). */
static void one_round(int port, const hostile_t *h) {
  lt_conn_t c;
  msgpack_object *o;

  assert_int_equal(lt_connect(&c, port, 0), 0);
  /* The server may close while a large input is still going out. */
  if (lt_send(&c, h->bytes, h->len) != 0) {
    assert_true(h->fatal);
  } else if (h->fatal) {
    assert_true(lt_wait_closed(&c, LT_WAIT_MS));
  } else if (h->bytes != truncated) {
    assert_int_equal(lt_recv(&c, LT_WAIT_MS, &o), 1);
  }
  lt_close(&c);
}

static void test_hostile_loop(void **state) {
  lt_fixture_t *f = *state;
  int port = f->srv.port;
  long rss0, rss1, peak = 0;
  lt_conn_t held[32], b;
  uint64_t active = UINT64_MAX;

  build_inputs();
  assert_int_equal(lt_connect(&b, port, 0), 0);
  assert_true(lt_ping(&b, 1));
  /* Warm up: the allocator's first chunks are not growth. */
  for (size_t i = 0; i < 200; i++)
    one_round(port, &inputs[i % n_inputs]);
  rss0 = lt_rss_kib(f->srv.pid);
  assert_true(rss0 > 0);

  for (int i = 0; i < ITERATIONS; i++) {
    long rss;

    one_round(port, &inputs[(size_t)i % n_inputs]);
    /* Now and then, many attackers at once, each holding a partial
     * message open. */
    if (i % 500 == 250) {
      for (int k = 0; k < 32; k++) {
        assert_int_equal(lt_connect(&held[k], port, 0), 0);
        assert_int_equal(lt_send(&held[k], held_open, sizeof(held_open)), 0);
      }
      assert_true(lt_ping(&b, 2));
      for (int k = 0; k < 32; k++)
        lt_close(&held[k]);
    }
    if (i % 100 == 0) {
      rss = lt_rss_kib(f->srv.pid);
      if (rss > peak)
        peak = rss;
    }
  }
  rss1 = lt_rss_kib(f->srv.pid);
  if (rss1 > peak)
    peak = rss1;
  print_message("resident memory: %ld KiB after warm-up, %ld KiB at the end, "
                "%ld KiB at the peak\n",
                rss0, rss1, peak);
  assert_true(peak - rss0 < RSS_GROWTH_KIB);

  /* Every hostile connection is gone; only the bystander remains. */
  for (int i = 0; i < 100 && active != 1; i++) {
    lt_sleep_ms(50);
    active = lt_stat(&b, "active");
  }
  assert_int_equal(active, 1);
  assert_true(lt_ping(&b, 3));
  assert_true(lt_stat(&b, "closed_bad_count") >= ITERATIONS / n_inputs * 2);
  lt_close(&b);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      LT_TEST_ARGS(test_hostile_loop, "--max-message", "16384"),
  };

  lt_init(argc, argv);
  return cmocka_run_group_tests_name("hostile loop", tests, NULL, NULL);
}
