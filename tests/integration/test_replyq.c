/*
 * Unit test of server/replyq.c, the FIFO that keeps responses in request
 * order when some of them are completed later (deferred).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "replyq.h"

/* What the fake transport received, and whether it refuses more. */
typedef struct sink {
  char data[256];
  size_t len;
  int calls;
  bool refuse;
} sink_t;

static int sink_emit(void *ctx, const char *data, size_t len) {
  sink_t *s = ctx;

  if (s->refuse)
    return -42;
  assert_true(s->len + len < sizeof(s->data));
  memcpy(s->data + s->len, data, len);
  s->len += len;
  s->data[s->len] = '\0';
  s->calls++;
  return 0;
}

static void test_push_without_slots_is_immediate(void **state) {
  sink_t sink = {0};
  replyq_t q;

  (void)state;
  replyq_init(&q, sink_emit, &sink);
  assert_true(replyq_idle(&q));
  assert_int_equal(replyq_push(&q, "A", 1), 0);
  assert_int_equal(replyq_push(&q, "B", 1), 0);
  assert_string_equal(sink.data, "AB");
  assert_int_equal(sink.calls, 2);
  assert_int_equal(replyq_held(&q), 0);
  replyq_detach(&q);
}

static void test_replies_wait_behind_a_deferred_one(void **state) {
  sink_t sink = {0};
  replyq_t q;
  replyq_slot_t *a;

  (void)state;
  replyq_init(&q, sink_emit, &sink);
  a = replyq_defer(&q, 7);
  assert_non_null(a);
  assert_int_equal(replyq_slot_tag(a), 7);
  assert_false(replyq_idle(&q));
  assert_int_equal(replyq_push(&q, "B", 1), 0);
  assert_int_equal(replyq_push(&q, "CC", 2), 0);
  assert_int_equal(sink.len, 0);
  assert_int_equal(replyq_held(&q), 3);
  assert_int_equal(replyq_complete(a, "A", 1), 0);
  assert_string_equal(sink.data, "ABCC");
  assert_int_equal(replyq_held(&q), 0);
  assert_true(replyq_idle(&q));
  /* The queue is back to the direct path. */
  assert_int_equal(replyq_push(&q, "D", 1), 0);
  assert_string_equal(sink.data, "ABCCD");
  replyq_detach(&q);
}

static void test_completion_out_of_order(void **state) {
  sink_t sink = {0};
  replyq_t q;
  replyq_slot_t *a, *b, *d;

  (void)state;
  replyq_init(&q, sink_emit, &sink);
  a = replyq_defer(&q, 1);
  b = replyq_defer(&q, 2);
  assert_int_equal(replyq_push(&q, "C", 1), 0);
  d = replyq_defer(&q, 4);
  assert_int_equal(replyq_push(&q, "E", 1), 0);
  /* b finishes first: it must wait for a. */
  assert_int_equal(replyq_complete(b, "B", 1), 0);
  assert_int_equal(sink.len, 0);
  assert_int_equal(replyq_held(&q), 3);
  /* a finishes: a, b, c go; d is still open so e waits. */
  assert_int_equal(replyq_complete(a, "A", 1), 0);
  assert_string_equal(sink.data, "ABC");
  assert_int_equal(replyq_held(&q), 1);
  assert_int_equal(replyq_complete(d, "D", 1), 0);
  assert_string_equal(sink.data, "ABCDE");
  assert_true(replyq_idle(&q));
  replyq_detach(&q);
}

static void test_empty_completion(void **state) {
  sink_t sink = {0};
  replyq_t q;
  replyq_slot_t *a, *b;

  (void)state;
  replyq_init(&q, sink_emit, &sink);
  a = replyq_defer(&q, 1);
  b = replyq_defer(&q, 2);
  assert_int_equal(replyq_push(&q, "C", 1), 0);
  assert_int_equal(replyq_complete(b, NULL, 0), 0);
  assert_int_equal(replyq_complete(a, "A", 1), 0);
  assert_string_equal(sink.data, "AC");
  assert_true(replyq_idle(&q));
  replyq_detach(&q);
}

/* The connection closes with slots open: their completers still own
 * them, and completing an orphan frees it and sends nothing. */
static void test_detach_orphans_open_slots(void **state) {
  sink_t sink = {0};
  replyq_t q;
  replyq_slot_t *a, *c;

  (void)state;
  replyq_init(&q, sink_emit, &sink);
  a = replyq_defer(&q, 1);
  assert_int_equal(replyq_push(&q, "B", 1), 0);
  c = replyq_defer(&q, 3);
  assert_int_equal(replyq_push(&q, "D", 1), 0);
  replyq_detach(&q);
  assert_true(replyq_idle(&q));
  assert_int_equal(replyq_held(&q), 0);
  assert_int_equal(replyq_complete(c, "C", 1), 1);
  assert_int_equal(replyq_complete(a, "A", 1), 1);
  assert_int_equal(sink.len, 0);
}

/* A transport that refuses (it is closing) stops the queue; the rest is
 * released by detach. */
static void test_emit_failure(void **state) {
  sink_t sink = {0};
  replyq_t q;
  replyq_slot_t *a;

  (void)state;
  replyq_init(&q, sink_emit, &sink);
  sink.refuse = true;
  assert_int_equal(replyq_push(&q, "A", 1), -42);
  a = replyq_defer(&q, 1);
  assert_int_equal(replyq_push(&q, "B", 1), 0);
  assert_int_equal(replyq_complete(a, "A", 1), -42);
  replyq_detach(&q);
  assert_int_equal(sink.len, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_push_without_slots_is_immediate),
      cmocka_unit_test(test_replies_wait_behind_a_deferred_one),
      cmocka_unit_test(test_completion_out_of_order),
      cmocka_unit_test(test_empty_completion),
      cmocka_unit_test(test_detach_orphans_open_slots),
      cmocka_unit_test(test_emit_failure),
  };

  return cmocka_run_group_tests_name("replyq", tests, NULL, NULL);
}
