/*
 * log: the server's diagnostic lines on stderr.
 *
 * stdout carries exactly one line (the "listening on" banner that tests and
 * scripts parse); everything else goes here, one line per event, with a UTC
 * timestamp and a level. Nothing secret is ever logged: callers never pass
 * tokens, join codes or a client's raw bytes.
 */
#ifndef LANTHANIDE_LOG_H
#define LANTHANIDE_LOG_H

typedef enum log_level {
  LOG_LEVEL_ERROR = 0,
  LOG_LEVEL_WARN,
  LOG_LEVEL_INFO,
  LOG_LEVEL_DEBUG
} log_level_t;

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
