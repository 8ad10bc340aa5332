/*
 * log: the server's diagnostic lines on stderr.
 *
 * stdout carries exactly one line (the "listening on" banner that tests and
 * scripts parse); everything else goes here, one line per event, with a UTC
 * timestamp and a level. Nothing secret is ever logged: callers never pass
 * tokens, join codes or a client's raw bytes (tests/sessions/test_logs.py
 * checks a whole game's log in both formats).
 *
 * Two formats (--log-format): text, for a person,
 *   2026-12-04T19:00:00.123Z info: session 3f2a...: created: map classroom
 * and json, one object per line for a log shipper (journald, Loki, ELK),
 *   {"time":"2026-12-04T19:00:00.123Z","level":"info",
 *    "message":"created: map classroom","session":"3f2a..."}
 * with "session" and "seat" only where a line is about one (log_sess).
 */
#ifndef LANTHANIDE_LOG_H
#define LANTHANIDE_LOG_H

typedef enum log_level {
  LOG_LEVEL_ERROR = 0,
  LOG_LEVEL_WARN,
  LOG_LEVEL_INFO,
  LOG_LEVEL_DEBUG
} log_level_t;

typedef enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON } log_format_t;

/* The format of every later line (default LOG_FORMAT_TEXT). */
void log_set_format(log_format_t format);
log_format_t log_get_format(void);

/* Parse "text" or "json". 0, or -1 if name is neither. */
int log_parse_format(const char *name, log_format_t *format);

/* Lines above this level are dropped (default LOG_LEVEL_INFO). */
void log_set_level(log_level_t level);

/* Parse "error", "warn", "info" or "debug". 0, or -1 if name is none. */
int log_parse_level(const char *name, log_level_t *level);

/* Write one line (a newline is added). */
void log_write(log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * As log_write, for a line about one session (its id) and maybe one seat
 * of it (its name, or NULL). Text: "session ID: " then the message (the
 * seat is for the message to mention if it matters); JSON: the fields
 * "session" and "seat".
 */
void log_sess(log_level_t level, const char *session, const char *seat,
              const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/*
 * As log_write, for lines that a client can cause at will (a refused or
 * closed connection): at most LOG_EVENT_BURST such lines at once, refilled
 * at LOG_EVENT_PER_SECOND, so a flood of hostile connections cannot flood
 * the log too. The next line written says how many were dropped. The
 * server's counters stay exact whatever the log drops.
 */
#define LOG_EVENT_BURST      100
#define LOG_EVENT_PER_SECOND 20
void log_event(log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
