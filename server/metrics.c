/*
 * metrics: the Prometheus text of the server's counters, gauges and
 * histograms. See metrics.h; docs/operations.md lists the metrics.
 */
#include "metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const double metrics_hist_bounds[METRICS_HIST_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

/* The same bounds in nanoseconds, so that observing needs no floating
 * point. */
static const uint64_t bounds_ns[METRICS_HIST_BUCKETS] = {
    100000,     250000,     500000,     1000000,    2500000,   5000000,
    10000000,   25000000,   50000000,   100000000,  250000000, 500000000,
    1000000000, 2500000000, 5000000000, 10000000000};

void metrics_hist_observe(metrics_hist_t *h, uint64_t ns) {
  for (size_t i = 0; i < METRICS_HIST_BUCKETS; i++) {
    if (ns <= bounds_ns[i]) {
      h->bucket[i]++;
      break;
    }
  }
  h->count++;
  h->sum_ns += ns;
}

/* How each server.stats counter is exposed. Several counters may share
 * one metric with a label (the causes of a closed connection); they are
 * adjacent in server.stats's order, as the text format wants a metric's
 * lines together. */
typedef struct counter_spec {
  const char *stats;  /* its name in server.stats */
  const char *metric; /* the metric's name */
  const char *label;  /* `name="value"`, or NULL */
  bool gauge;         /* a level, not a count of events */
  const char *help;
} counter_spec_t;

#define CLOSED(reason, why)                                                    \
  {                                                                            \
    "closed_" reason, "lanthanide_connections_closed_total",                   \
        "reason=\"" reason "\"", false, why                                    \
  }
static const char closed_help[] =
    "Connections closed, each under its first cause: a limit (invalid, "
    "too_large, too_deep, bad_count, first_request_timeout, "
    "message_timeout, idle, output_budget), the peer (by_peer) or an I/O "
    "error or lack of memory (error).";

static const counter_spec_t specs[] = {
    {"accepted", "lanthanide_connections_accepted_total", NULL, false,
     "Connections admitted."},
    {"active", "lanthanide_connections", NULL, true, "Connections open now."},
    {"refused_total", "lanthanide_connections_refused_total", NULL, false,
     "Connections refused at --max-connections or --max-per-address."},
    {"refused_per_address", "lanthanide_connections_refused_per_address_total",
     NULL, false, "Connections refused at --max-per-address."},
    CLOSED("invalid", closed_help),
    CLOSED("too_large", closed_help),
    CLOSED("too_deep", closed_help),
    CLOSED("bad_count", closed_help),
    CLOSED("first_request_timeout", closed_help),
    CLOSED("message_timeout", closed_help),
    CLOSED("idle", closed_help),
    CLOSED("output_budget", closed_help),
    CLOSED("by_peer", closed_help),
    CLOSED("error", closed_help),
    {"requests", "lanthanide_requests_total", NULL, false,
     "Well-formed requests, unknown methods included."},
    {"error_responses", "lanthanide_error_responses_total", NULL, false,
     "Error responses sent."},
    {"error_notifications", "lanthanide_error_notifications_total", NULL, false,
     "Error notifications sent."},
    {"batches_deferred", "lanthanide_batches_deferred_total", NULL, false,
     "Pipelined bursts cut at --max-batch (the rest waited a loop turn)."},
    {"output_paused", "lanthanide_output_paused_total", NULL, false,
     "Connections paused at --max-output-per-iteration (resumed later)."},
    {"http_requests", "lanthanide_http_requests_total", NULL, false,
     "HTTP requests answered on --http."},
    {"http_not_found", "lanthanide_http_not_found_total", NULL, false,
     "HTTP requests answered 404."},
    {"http_not_built", "lanthanide_http_not_built_total", NULL, false,
     "/ asked of a server built without the web client (503)."},
    {"http_bad_request", "lanthanide_http_bad_request_total", NULL, false,
     "HTTP requests refused as malformed (or a bad WebSocket handshake)."},
    {"http_head_too_large", "lanthanide_http_head_too_large_total", NULL, false,
     "HTTP request heads over --max-http-head."},
    {"http_timeout", "lanthanide_http_timeout_total", NULL, false,
     "HTTP connections without a complete head in --first-request-ms."},
    {"http_refused", "lanthanide_http_refused_total", NULL, false,
     "HTTP connections refused at --max-connections."},
    {"http_refused_host", "lanthanide_http_refused_host_total", NULL, false,
     "HTTP requests refused (421) for a Host that is not the server's."},
    {"ws_upgrades", "lanthanide_ws_upgrades_total", NULL, false,
     "WebSocket handshakes accepted on /ws."},
    {"ws_refused_origin", "lanthanide_ws_refused_origin_total", NULL, false,
     "WebSocket handshakes refused by the Origin check."},
    {"bytes_in", "lanthanide_received_bytes_total", NULL, false,
     "Bytes received from clients."},
    {"bytes_out", "lanthanide_sent_bytes_total", NULL, false,
     "Bytes handed to the operating system for clients."},
    {"sessions_created", "lanthanide_sessions_created_total", NULL, false,
     "Sessions created by session.create."},
    {"turns_resolved", "lanthanide_turns_resolved_total", NULL, false,
     "Turns resolved, all sessions together."},
    {"orders_accepted", "lanthanide_orders_accepted_total", NULL, false,
     "Players' orders accepted by orders.submit."},
    {"orders_refused", "lanthanide_orders_refused_total", NULL, false,
     "Orders refused, from orders.submit and from built-in agents."},
    {"join_rate_limited", "lanthanide_join_rate_limited_total", NULL, false,
     "session.join refused at --join-burst (wrong join codes)."},
    {"unauthorized", "lanthanide_unauthorized_total", NULL, false,
     "Answers unauthorized from the session methods."},
    {"forbidden", "lanthanide_forbidden_total", NULL, false,
     "Answers forbidden from the session methods."},
    {"notifications", "lanthanide_notifications_total", NULL, false,
     "Session notifications queued, one per connection and notification."},
    {"sessions_refused_limit", "lanthanide_sessions_refused_limit_total", NULL,
     false, "session.create refused at --max-sessions."},
    {"sessions_rate_limited", "lanthanide_sessions_rate_limited_total", NULL,
     false, "session.create refused at --create-burst."},
    {"sessions_unloaded", "lanthanide_sessions_unloaded_total", NULL, false,
     "Finished sessions unloaded from memory at --max-finished."},
    {"sessions_reset", "lanthanide_sessions_reset_total", NULL, false,
     "Sessions sent back to turn 0 by session.reset."},
    {"sessions_deleted", "lanthanide_sessions_deleted_total", NULL, false,
     "Sessions deleted by session.delete."},
    {"chat_refused_limit", "lanthanide_chat_refused_limit_total", NULL, false,
     "chat.send refused at --max-chat-bytes or --max-chat-messages."},
    {"chat_rate_limited", "lanthanide_chat_rate_limited_total", NULL, false,
     "chat.send refused at --chat-burst."},
    {"lobby_expired", "lanthanide_lobby_expired_total", NULL, false,
     "Lobby sessions nobody joined, deleted at --lobby-expiry-s."},
    {"lobby_refused_per_address", "lanthanide_lobby_refused_per_address_total",
     NULL, false, "session.create refused at --max-lobby-per-address."},
    {"ratelimit_evicted", "lanthanide_ratelimit_evicted_total", NULL, false,
     "Addresses forgotten by a full per-address rate table for a new one."},
    {"ratelimit_table_full", "lanthanide_ratelimit_table_full_total", NULL,
     false, "Addresses refused for lack of room in the rate table."},
    {"watches_refused_limit", "lanthanide_watches_refused_limit_total", NULL,
     false,
     "session.watch and session.join refused at "
     "--max-watches-per-connection."},
    {"list_refused_limit", "lanthanide_list_refused_limit_total", NULL, false,
     "session.list refused for a limit over --max-list-page."},
    {"maps_refused_type", "lanthanide_maps_refused_type_total", NULL, false,
     "Map files refused for not being a regular file."},
    {"maps_refused_size", "lanthanide_maps_refused_size_total", NULL, false,
     "Map files refused at --max-map-bytes."},
    {"maps_refused_invalid", "lanthanide_maps_refused_invalid_total", NULL,
     false, "Map files that are not a valid map."},
    {"seat_locks", "lanthanide_seat_locks_total", NULL, false,
     "seat.lock with locked: true."},
    {"seat_unlocks", "lanthanide_seat_unlocks_total", NULL, false,
     "seat.lock with locked: false."},
    {"join_refused_locked", "lanthanide_join_refused_locked_total", NULL, false,
     "session.join refused because the seat is locked."},
    {"codes_reissued", "lanthanide_codes_reissued_total", NULL, false,
     "Join codes re-issued by seat.reissue_code."},
    {"tokens_revoked", "lanthanide_tokens_revoked_total", NULL, false,
     "Seat tokens revoked."},
    {"admin_tokens_rotated", "lanthanide_admin_tokens_rotated_total", NULL,
     false, "Admin tokens replaced by session.rotate_admin_token."},
    {"bot_refused_person", "lanthanide_bot_refused_person_total", NULL, false,
     "session.bot refused on a seat a person holds."},
    {"bot_forced", "lanthanide_bot_forced_total", NULL, false,
     "session.bot with force on a seat a person held."},
    {"submit_rate_limited", "lanthanide_submit_rate_limited_total", NULL, false,
     "orders.submit refused at --submit-burst."},
    {"durable_refused", "lanthanide_durable_refused_total", NULL, false,
     "Requests refused with unavailable while commits failed or at "
     "--max-pending-writes."},
    {"sessions_quarantined", "lanthanide_sessions_quarantined_total", NULL,
     false, "Stored sessions found damaged at start and kept out of play."},
    {"observers_issued", "lanthanide_observers_issued_total", NULL, false,
     "Observer tokens issued (observer.issue)."},
    {"observers_revoked", "lanthanide_observers_revoked_total", NULL, false,
     "Observer tokens revoked (observer.revoke)."},
    {"observers_refused_limit", "lanthanide_observers_refused_limit_total",
     NULL, false, "observer.issue refused at --max-observers."},
    {"observer_writes_refused", "lanthanide_observer_writes_refused_total",
     NULL, false,
     "Calls with a read-only observer token refused as forbidden."},
    {"store_commits", "lanthanide_store_commits_total", NULL, false,
     "Database transactions committed."},
    {"store_statements", "lanthanide_store_statements_total", NULL, false,
     "Database statements executed."},
    {"store_replies_held", "lanthanide_store_replies_held_total", NULL, false,
     "Answers held until the commit that made them durable."},
    {"store_commit_failures", "lanthanide_store_commit_failures_total", NULL,
     false, "Commit attempts that failed (what they held was retried)."},
    {"store_writes_dropped", "lanthanide_store_writes_dropped_total", NULL,
     false, "Writes the database refused for themselves, dropped."},
};

static const counter_spec_t *spec_of(const char *stats) {
  for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
    if (strcmp(specs[i].stats, stats) == 0)
      return &specs[i];
  return NULL;
}

const char *metrics_counter_help(const char *stats_name) {
  const counter_spec_t *s = spec_of(stats_name);
  return s ? s->help : NULL;
}

typedef struct render {
  proto_buf_t *out;
  const char *family; /* the metric whose HELP and TYPE were written last */
  int r;
} render_t;

static void emit(render_t *rd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void emit(render_t *rd, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  int n;

  if (rd->r != 0)
    return;
  va_start(ap, fmt);
  n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* Every line is far shorter than the buffer (the names and help are
   * ours); a longer one would be a bug, and is cut rather than split. */
  if (n < 0)
    n = 0;
  if ((size_t)n >= sizeof line)
    n = (int)sizeof line - 1;
  if (proto_buf_write(rd->out, line, (size_t)n) != 0)
    rd->r = -1;
}

/* HELP and TYPE, once per metric. */
static void family(render_t *rd, const char *name, const char *type,
                   const char *help) {
  if (rd->family && strcmp(rd->family, name) == 0)
    return;
  rd->family = name;
  emit(rd, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(const char *stats, uint64_t value, void *arg) {
  render_t *rd = arg;
  const counter_spec_t *s = spec_of(stats);
  char generic[128];

  if (!s) {
    /* A counter added to server.stats without a line above still shows,
     * under a name derived from its own; the unit test fails until it is
     * given its line. */
    snprintf(generic, sizeof generic, "lanthanide_%s_total", stats);
    family(rd, generic, "counter", "A server.stats counter.");
    emit(rd, "%s %" PRIu64 "\n", generic, value);
    rd->family = NULL;
    return;
  }
  family(rd, s->metric, s->gauge ? "gauge" : "counter", s->help);
  if (s->label)
    emit(rd, "%s{%s} %" PRIu64 "\n", s->metric, s->label, value);
  else
    emit(rd, "%s %" PRIu64 "\n", s->metric, value);
}

static void histogram(render_t *rd, const char *name, const char *help,
                      const metrics_hist_t *h) {
  uint64_t cum = 0;

  family(rd, name, "histogram", help);
  for (size_t i = 0; i < METRICS_HIST_BUCKETS; i++) {
    cum += h->bucket[i];
    emit(rd, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, metrics_hist_bounds[i],
         cum);
  }
  emit(rd, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
  emit(rd, "%s_sum %" PRIu64 ".%09" PRIu64 "\n", name, h->sum_ns / 1000000000u,
       h->sum_ns % 1000000000u);
  emit(rd, "%s_count %" PRIu64 "\n", name, h->count);
}

int metrics_render(proto_buf_t *out, const metrics_input_t *in) {
  render_t rd = {out, NULL, 0};

  if (in->version) {
    family(&rd, "lanthanide_build_info", "gauge",
           "Always 1; the label says which version of the server runs.");
    /* The version is ours (a build definition), never a client's text. */
    emit(&rd, "lanthanide_build_info{version=\"%s\"} 1\n", in->version);
  }
  if (in->conn)
    conn_counters_each(in->conn, counter, &rd);
  if (in->sess) {
#define METRICS_SESS(name) counter(#name, in->sess->name, &rd);
    SESS_COUNTERS(METRICS_SESS)
#undef METRICS_SESS
  }
  if (in->store) {
#define METRICS_STORE(name) counter("store_" #name, in->store->name, &rd);
    STORE_COUNTERS(METRICS_STORE)
#undef METRICS_STORE
  }
  if (in->has_sessions) {
    family(&rd, "lanthanide_sessions", "gauge",
           "Sessions in memory, by status.");
    emit(&rd, "lanthanide_sessions{status=\"lobby\"} %" PRIu64 "\n",
         in->sessions_lobby);
    emit(&rd, "lanthanide_sessions{status=\"running\"} %" PRIu64 "\n",
         in->sessions_running);
    emit(&rd, "lanthanide_sessions{status=\"paused\"} %" PRIu64 "\n",
         in->sessions_paused);
    emit(&rd, "lanthanide_sessions{status=\"finished\"} %" PRIu64 "\n",
         in->sessions_finished);
  }
  if (in->turn_resolution)
    histogram(&rd, "lanthanide_turn_resolution_duration_seconds",
              "Time the model took to resolve one turn of one session.",
              in->turn_resolution);
  if (in->commit)
    histogram(&rd, "lanthanide_store_commit_duration_seconds",
              "Time of one database commit (BEGIN IMMEDIATE to COMMIT, "
              "fsync included).",
              in->commit);
  if (in->resident_bytes) {
    family(&rd, "process_resident_memory_bytes", "gauge",
           "Resident memory size in bytes.");
    emit(&rd, "process_resident_memory_bytes %" PRIu64 "\n",
         in->resident_bytes);
  }
  if (in->start_time_s > 0) {
    family(&rd, "process_start_time_seconds", "gauge",
           "Start time of the process since the Unix epoch in seconds.");
    emit(&rd, "process_start_time_seconds %.3f\n", in->start_time_s);
  }
  return rd.r;
}
