/*
 * metrics: the server's counters, gauges and latency histograms in the
 * Prometheus text exposition format (version 0.0.4), for an operator's
 * monitoring. metrics_render is a pure function of what it is given (no
 * clock, no I/O), so a unit test checks its text and promtool checks a
 * live server's (GET /metrics on --http, and the server.metrics method:
 * methods_render_metrics gathers the input for both).
 *
 * Names: every metric starts with lanthanide_, counters end in _total,
 * durations are in seconds and sizes in bytes (Prometheus's base units).
 * Each counter of server.stats appears once, under a name derived from
 * its server.stats name (docs/operations.md lists them).
 *
 * Ownership: a metrics_hist_t is a plain value its owner embeds (the
 * session registry's turn resolutions, durable's commits); the input of
 * metrics_render is only read during the call.
 */
#ifndef LANTHANIDE_METRICS_H
#define LANTHANIDE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "proto.h"
#include "sess.h"
#include "store.h"

/* The Content-Type of the text (for HTTP, and server.metrics's format). */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Upper bounds of the histogram buckets, in seconds, from 100 us to 10 s
 * (a classroom turn resolves in well under a millisecond, a world-2024 turn
 * in a few; an fsync takes from 50 us on NVMe to tens of ms on a disk). */
#define METRICS_HIST_BUCKETS 16
extern const double metrics_hist_bounds[METRICS_HIST_BUCKETS];

/* Observations per bucket (not cumulative: render adds them up), their
 * count (the +Inf bucket) and their sum in nanoseconds. */
typedef struct metrics_hist {
  uint64_t bucket[METRICS_HIST_BUCKETS];
  uint64_t count;
  uint64_t sum_ns;
} metrics_hist_t;

/* Count one observation of ns nanoseconds. */
void metrics_hist_observe(metrics_hist_t *h, uint64_t ns);

/* What the server knows; any pointer may be NULL, and its metrics are
 * then left out (a tool without sessions or a database). */
typedef struct metrics_input {
  const conn_counters_t *conn;
  const sess_counters_t *sess;
  const store_counters_t *store;
  /* Sessions in memory by status; has_sessions false leaves them out. */
  int has_sessions;
  uint64_t sessions_lobby, sessions_running, sessions_paused, sessions_finished;
  const metrics_hist_t *turn_resolution; /* model_resolve per turn */
  const metrics_hist_t *commit;          /* one store commit each */
  uint64_t resident_bytes;               /* 0: left out */
  double start_time_s;                   /* Unix time; 0: left out */
  const char *version;                   /* NULL: left out */
} metrics_input_t;

/* Append the text to out (it ends with a newline). Returns 0, or -1 if
 * out of memory (out then holds part of the text: reset it). */
int metrics_render(proto_buf_t *out, const metrics_input_t *in)
    __attribute__((warn_unused_result));

/* The help line metrics_render writes for the server.stats counter name
 * (as server.stats spells it, store counters with their store_ prefix),
 * or NULL if it has none: the unit test checks every counter has one. */
const char *metrics_counter_help(const char *stats_name);

#endif
