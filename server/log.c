/*
 * log: one line per event on stderr, with a UTC timestamp and a level.
 * See log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static log_level_t log_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(log_level_t level) {
  log_level = level;
}

int log_parse_level(const char *name, log_level_t *level) {
  for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
    if (strcmp(name, level_names[i]) == 0) {
      *level = (log_level_t)i;
      return 0;
    }
  }
  return -1;
}

/* Lines dropped by log_event since the last line written. */
static unsigned long events_dropped;

static void log_vwrite(log_level_t level, const char *fmt, va_list ap) {
  char line[1024];
  char stamp[32];
  struct timeval tv;
  struct tm tm;

  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  vsnprintf(line, sizeof(line), fmt, ap);
  if (events_dropped > 0) {
    fprintf(stderr,
            "%s.%03ldZ warn: %lu lines about connections dropped "
            "(too many at once)\n",
            stamp, (long)(tv.tv_usec / 1000), events_dropped);
    events_dropped = 0;
  }
  /* One fprintf per line, so that lines from a crash handler or another
   * writer interleave whole rather than in pieces. */
  fprintf(stderr, "%s.%03ldZ %s: %s\n", stamp, (long)(tv.tv_usec / 1000),
          level_names[level], line);
}

void log_write(log_level_t level, const char *fmt, ...) {
  va_list ap;

  if (level > log_level)
    return;
  va_start(ap, fmt);
  log_vwrite(level, fmt, ap);
  va_end(ap);
}

void log_event(log_level_t level, const char *fmt, ...) {
  static double tokens = LOG_EVENT_BURST;
  static struct timespec last;
  struct timespec now;
  va_list ap;

  if (level > log_level)
    return;
  /* A token bucket on the monotonic clock. */
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (last.tv_sec != 0 || last.tv_nsec != 0) {
    double dt = (double)(now.tv_sec - last.tv_sec) +
                (double)(now.tv_nsec - last.tv_nsec) / 1e9;
    tokens += dt * LOG_EVENT_PER_SECOND;
    if (tokens > LOG_EVENT_BURST)
      tokens = LOG_EVENT_BURST;
  }
  last = now;
  if (tokens < 1.0) {
    events_dropped++;
    return;
  }
  tokens -= 1.0;
  va_start(ap, fmt);
  log_vwrite(level, fmt, ap);
  va_end(ap);
}
