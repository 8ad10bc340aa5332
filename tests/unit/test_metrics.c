/*
 * server/metrics.c: the Prometheus text of known counters and histograms.
 * A live server's text is checked by promtool in tests/sessions/test_ops.py;
 * here the figures and the shape are checked line by line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

/* The rendered text, NUL-terminated, in a buffer the caller frees. */
static char *render(const metrics_input_t *in) {
  proto_buf_t b;
  char *s;

  proto_buf_init(&b);
  assert_int_equal(metrics_render(&b, in), 0);
  s = malloc(b.len + 1);
  assert_non_null(s);
  memcpy(s, b.data, b.len);
  s[b.len] = '\0';
  proto_buf_free(&b);
  return s;
}

/* The text holds this whole line. */
static void has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
    if ((p == text || p[-1] == '\n') && p[n] == '\n')
      return;
  fail_msg("missing line \"%s\" in:\n%s", line, text);
}

static size_t count(const char *text, const char *needle) {
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
    n++;
  return n;
}

static void counters_and_gauges(void **state) {
  conn_counters_t conn = {0};
  sess_counters_t sess = {0};
  store_counters_t store = {0};
  metrics_input_t in = {0};
  char *t;

  (void)state;
  conn.accepted = 12;
  conn.active = 3;
  conn.closed_idle = 4;
  conn.closed_by_peer = 5;
  conn.bytes_in = 1000;
  conn.bytes_out = 123456789012ull;
  sess.turns_resolved = 77;
  sess.submit_rate_limited = 2;
  store.commits = 9;
  in.conn = &conn;
  in.sess = &sess;
  in.store = &store;
  in.has_sessions = 1;
  in.sessions_running = 6;
  in.sessions_finished = 1;
  in.resident_bytes = 4096;
  in.start_time_s = 1796410940.5;
  in.version = "1.2.3";
  t = render(&in);
  has_line(t, "lanthanide_build_info{version=\"1.2.3\"} 1");
  has_line(t, "# TYPE lanthanide_connections_accepted_total counter");
  has_line(t, "lanthanide_connections_accepted_total 12");
  has_line(t, "# TYPE lanthanide_connections gauge");
  has_line(t, "lanthanide_connections 3");
  has_line(t, "lanthanide_connections_closed_total{reason=\"idle\"} 4");
  has_line(t, "lanthanide_connections_closed_total{reason=\"by_peer\"} 5");
  has_line(t, "lanthanide_received_bytes_total 1000");
  has_line(t, "lanthanide_sent_bytes_total 123456789012");
  has_line(t, "lanthanide_turns_resolved_total 77");
  has_line(t, "lanthanide_submit_rate_limited_total 2");
  has_line(t, "lanthanide_store_commits_total 9");
  has_line(t, "lanthanide_sessions{status=\"lobby\"} 0");
  has_line(t, "lanthanide_sessions{status=\"running\"} 6");
  has_line(t, "lanthanide_sessions{status=\"finished\"} 1");
  has_line(t, "process_resident_memory_bytes 4096");
  has_line(t, "process_start_time_seconds 1796410940.500");
  /* One HELP and one TYPE per metric, the labelled ones included: the
   * text format wants a metric's lines together, once. */
  assert_int_equal(
      count(t, "# TYPE lanthanide_connections_closed_total counter\n"), 1);
  assert_int_equal(count(t, "# HELP lanthanide_sessions "), 1);
  assert_int_equal(count(t, "lanthanide_connections_closed_total{"), 10);
  /* Left out what is not given. */
  assert_null(strstr(t, "_duration_seconds"));
  free(t);

  /* Only the connection layer (a tool without sessions or database). */
  memset(&in, 0, sizeof in);
  in.conn = &conn;
  t = render(&in);
  assert_null(strstr(t, "lanthanide_sessions"));
  assert_null(strstr(t, "lanthanide_store_"));
  assert_null(strstr(t, "process_"));
  has_line(t, "lanthanide_connections 3");
  free(t);
}

static void every_counter_has_help(void **state) {
  (void)state;
#define CHECK_HELP(name) assert_non_null(metrics_counter_help(#name));
  CONN_COUNTERS(CHECK_HELP)
  SESS_COUNTERS(CHECK_HELP)
#undef CHECK_HELP
#define CHECK_STORE_HELP(name)                                                 \
  assert_non_null(metrics_counter_help("store_" #name));
  STORE_COUNTERS(CHECK_STORE_HELP)
#undef CHECK_STORE_HELP
  assert_null(metrics_counter_help("no_such_counter"));
}

static void histograms(void **state) {
  metrics_hist_t turn = {0}, commit = {0};
  metrics_input_t in = {0};
  char *t;

  (void)state;
  metrics_hist_observe(&turn, 0);              /* le 0.0001 */
  metrics_hist_observe(&turn, 100000);         /* le 0.0001, the bound */
  metrics_hist_observe(&turn, 100001);         /* le 0.00025 */
  metrics_hist_observe(&turn, 3000000);        /* le 0.005 */
  metrics_hist_observe(&turn, 20000000000ull); /* +Inf only */
  in.turn_resolution = &turn;
  in.commit = &commit;
  t = render(&in);
  has_line(t, "# TYPE lanthanide_turn_resolution_duration_seconds histogram");
  has_line(
      t, "lanthanide_turn_resolution_duration_seconds_bucket{le=\"0.0001\"} 2");
  has_line(t, "lanthanide_turn_resolution_duration_seconds_bucket"
              "{le=\"0.00025\"} 3");
  has_line(
      t, "lanthanide_turn_resolution_duration_seconds_bucket{le=\"0.0025\"} 3");
  has_line(
      t, "lanthanide_turn_resolution_duration_seconds_bucket{le=\"0.005\"} 4");
  has_line(t,
           "lanthanide_turn_resolution_duration_seconds_bucket{le=\"10\"} 4");
  has_line(t,
           "lanthanide_turn_resolution_duration_seconds_bucket{le=\"+Inf\"} 5");
  has_line(t, "lanthanide_turn_resolution_duration_seconds_count 5");
  /* 0 + 100000 + 100001 + 3000000 + 20000000000 ns, exactly. */
  has_line(t, "lanthanide_turn_resolution_duration_seconds_sum 20.003200001");
  /* An empty histogram is still complete. */
  has_line(t, "lanthanide_store_commit_duration_seconds_bucket{le=\"+Inf\"} 0");
  has_line(t, "lanthanide_store_commit_duration_seconds_sum 0.000000000");
  has_line(t, "lanthanide_store_commit_duration_seconds_count 0");
  assert_int_equal(count(t, "lanthanide_store_commit_duration_seconds_bucket{"),
                   METRICS_HIST_BUCKETS + 1);
  free(t);
}

static void out_of_memory(void **state) {
  conn_counters_t conn = {0};
  metrics_input_t in = {0};
  proto_buf_t b;

  (void)state;
  in.conn = &conn;
  proto_buf_init(&b);
  proto_buf_set_limit(&b, 200);
  assert_int_equal(metrics_render(&b, &in), -1);
  proto_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(counters_and_gauges),
      cmocka_unit_test(every_counter_has_help),
      cmocka_unit_test(histograms),
      cmocka_unit_test(out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
