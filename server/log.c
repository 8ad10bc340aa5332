/*
 * log: one line per event on stderr, with a UTC timestamp and a level, as
 * text or as JSON. See log.h.
 */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static log_level_t log_level = LOG_LEVEL_INFO;
static log_format_t log_format = LOG_FORMAT_TEXT;

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

void log_set_format(log_format_t format) {
  log_format = format;
}

log_format_t log_get_format(void) {
  return log_format;
}

int log_parse_format(const char *name, log_format_t *format) {
  if (strcmp(name, "text") == 0)
    *format = LOG_FORMAT_TEXT;
  else if (strcmp(name, "json") == 0)
    *format = LOG_FORMAT_JSON;
  else
    return -1;
  return 0;
}

/* Lines dropped by log_event since the last line written. */
static unsigned long events_dropped;

/* A JSON string of s. Jansson refuses bytes that are not UTF-8 (a map
 * file's name may hold any); those are written as '?' rather than lose
 * the line. */
static json_t *json_text(const char *s) {
  json_t *j = json_string(s);
  char clean[1024];
  size_t i;

  if (j)
    return j;
  for (i = 0; s[i] && i + 1 < sizeof clean; i++)
    clean[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
  clean[i] = '\0';
  return json_string(clean);
}

/* One line, whole: one fprintf per line, so that lines from a crash
 * handler or another writer interleave whole rather than in pieces. */
static void emit(const char *stamp, log_level_t level, const char *session,
                 const char *seat, const char *msg) {
  if (log_format == LOG_FORMAT_JSON) {
    json_t *o = json_object();
    char *text = NULL;
    if (o) {
      json_object_set_new(o, "time", json_string(stamp));
      json_object_set_new(o, "level", json_string(level_names[level]));
      json_object_set_new(o, "message", json_text(msg));
      if (session)
        json_object_set_new(o, "session", json_text(session));
      if (seat)
        json_object_set_new(o, "seat", json_text(seat));
      text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
      json_decref(o);
    }
    if (text) {
      fprintf(stderr, "%s\n", text);
      free(text);
      return;
    }
    /* Out of memory: a fixed line that is still one JSON object. */
    fprintf(stderr,
            "{\"time\":\"%s\",\"level\":\"error\",\"message\":\"out of "
            "memory writing a log line\"}\n",
            stamp);
    return;
  }
  if (session)
    fprintf(stderr, "%s %s: session %s: %s\n", stamp, level_names[level],
            session, msg);
  else
    fprintf(stderr, "%s %s: %s\n", stamp, level_names[level], msg);
}

static void log_vwrite(log_level_t level, const char *session, const char *seat,
                       const char *fmt, va_list ap) {
  char line[1024];
  char stamp[64];
  char secs[32];
  struct timeval tv;
  struct tm tm;

  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(stamp, sizeof stamp, "%s.%03dZ", secs,
           (int)(tv.tv_usec / 1000) % 1000);
  vsnprintf(line, sizeof(line), fmt, ap);
  if (events_dropped > 0) {
    char note[128];
    snprintf(note, sizeof note,
             "%lu lines about connections dropped (too many at once)",
             events_dropped);
    emit(stamp, LOG_LEVEL_WARN, NULL, NULL, note);
    events_dropped = 0;
  }
  emit(stamp, level, session, seat, line);
}

void log_write(log_level_t level, const char *fmt, ...) {
  va_list ap;

  if (level > log_level)
    return;
  va_start(ap, fmt);
  log_vwrite(level, NULL, NULL, fmt, ap);
  va_end(ap);
}

void log_sess(log_level_t level, const char *session, const char *seat,
              const char *fmt, ...) {
  va_list ap;

  if (level > log_level)
    return;
  va_start(ap, fmt);
  log_vwrite(level, session, seat, fmt, ap);
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
  log_vwrite(level, NULL, NULL, fmt, ap);
  va_end(ap);
}
