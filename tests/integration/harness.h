/*
 * harness: what every integration test needs to drive the real server.
 *
 * lt_start runs build/bin/lanthanide-server (the path is the test program's
 * first argument, given by CTest) with --listen 127.0.0.1:0 in a fresh
 * temporary folder, reads the port from the one line the server prints,
 * and sends the server's stderr to a log file in that folder. lt_stop sends
 * SIGTERM and returns the exit status, which a clean shutdown makes 0.
 *
 * Clients are plain blocking sockets with a msgpack-c unpacker: the tests
 * use the library directly, not the server's own codec, so a bug in one is
 * not hidden by the same bug in the other.
 */
#ifndef LANTHANIDE_TEST_HARNESS_H
#define LANTHANIDE_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <msgpack.h>

/* How long a test waits for an answer that should come at once. Generous,
 * because the sanitizer build is several times slower. */
#define LT_WAIT_MS 5000
/* The upper bound on anything a test waits for that a deadline of the
 * server's decides (a connection closed at --message-ms, say): a liveness
 * bound, not a performance claim. A test checks that the server does not
 * act before its deadline (a lower bound, which a slow machine cannot
 * break) and that it acts at all, within this; how fast is for bench/. */
#define LT_LIVE_MS 30000

typedef struct lt_server {
  pid_t pid;
  int port;
  int out_fd;    /* the server's stdout (kept open) */
  char dir[128]; /* temporary folder: log, database, default maps */
  char log_path[192];
  char maps_dir[192];
} lt_server_t;

/* Remember the server binary (argv[1]). Exits with a message if absent. */
void lt_init(int argc, char **argv);

/*
 * Start the server. args: extra flags, NULL-terminated (may be NULL). If
 * they hold no --maps, the server gets an empty maps folder in s->dir.
 * Returns 0, or -1 (with a message on stderr).
 */
int lt_start(lt_server_t *s, const char *const *args);

/* SIGTERM, then wait (up to 15 s, then SIGKILL). Returns the exit status,
 * or -1 if the server died of a signal or had to be killed. The log is
 * printed to stderr when the status is not 0; the folder is removed. */
int lt_stop(lt_server_t *s);

/* As lt_stop with another signal (SIGINT). */
int lt_stop_with(lt_server_t *s, int sig);

/* Run the server binary with args (NULL-terminated) to completion, its
 * stdout and stderr together into out (NUL-terminated, cut to size).
 * Returns the exit status, or -1. */
int lt_run(const char *const *args, char *out, size_t size);

/* The server binary's path (argv[1]). */
const char *lt_server_path(void);

/* The server's resident memory in KiB (VmRSS), or -1. */
long lt_rss_kib(pid_t pid);

/* True if the server's log contains needle. */
bool lt_log_contains(const lt_server_t *s, const char *needle);

/* Write a file (for maps). 0 or -1. */
int lt_write_file(const char *dir, const char *name, const char *text);

typedef struct lt_conn {
  int fd;
  msgpack_unpacker up;
  msgpack_unpacked msg;
} lt_conn_t;

/* Connect to 127.0.0.1:port. rcvbuf > 0 sets SO_RCVBUF first. 0 or -1. */
int lt_connect(lt_conn_t *c, int port, int rcvbuf);
void lt_close(lt_conn_t *c);

/* Send all bytes. 0, or -1 if the peer closed or reset. */
int lt_send(lt_conn_t *c, const void *data, size_t len);

/* The next message, valid until the next lt_recv or lt_close. Returns 1
 * with *obj set, 0 on end of stream (or reset), -1 on timeout or garbage. */
int lt_recv(lt_conn_t *c, int timeout_ms, msgpack_object **obj);

/* Read and discard until end of stream. True if it ended in time. */
bool lt_wait_closed(lt_conn_t *c, int timeout_ms);

/* Append the request [0, msgid, method, []] to sb. Requests with
 * arguments are packed by the tests themselves. */
void lt_pack_request(msgpack_sbuffer *sb, uint32_t msgid, const char *method);

/* Send [0, msgid, method, []] and wait for its response. Returns 1 with
 * *obj the whole response, 0/-1 as lt_recv. */
int lt_call(lt_conn_t *c, uint32_t msgid, const char *method,
            msgpack_object **obj);

/* A ping that must succeed: true if the answer is [1, msgid, nil, {}]. */
bool lt_ping(lt_conn_t *c, uint32_t msgid);

/* The value of key in a map with string keys, or NULL. */
const msgpack_object *lt_get(const msgpack_object *map, const char *key);
bool lt_str_is(const msgpack_object *o, const char *s);
/* True if o is a string containing needle. */
bool lt_str_has(const msgpack_object *o, const char *needle);

/* If obj is a response [1, id, error, result], store id and return its
 * error map (NULL when the error is nil). */
bool lt_is_response(const msgpack_object *obj, uint32_t *msgid);
const msgpack_object *lt_response_error(const msgpack_object *obj);
const msgpack_object *lt_response_result(const msgpack_object *obj);
/* The error map of an "error" notification, or NULL if obj is not one. */
const msgpack_object *lt_error_notification(const msgpack_object *obj);

/* Read counter name from server.stats on c (msgid 4000000000). Returns the
 * value, or UINT64_MAX on failure. */
uint64_t lt_stat(lt_conn_t *c, const char *name);
/* The same on a fresh connection to port. */
uint64_t lt_stat_port(int port, const char *name);

/* A cmocka fixture: the flags of one test and its server. Use with
 * cmocka_unit_test_prestate_setup_teardown(fn, lt_setup, lt_teardown, &f):
 * lt_setup starts the server with f->args, lt_teardown stops it and fails
 * the test unless it exited 0 (a clean shutdown with a closed loop). */
typedef struct lt_fixture {
  const char *const *args;
  lt_server_t srv;
  bool stopped; /* the test stopped the server itself */
} lt_fixture_t;

int lt_setup(void **state);
int lt_teardown(void **state);

/* A cmocka test entry with its own server: LT_TEST(fn) runs it with the
 * default flags, LT_TEST_ARGS(fn, "--flag", "value", ...) with these. */
#define LT_TEST(fn)                                                            \
  {                                                                            \
    .name = #fn, .test_func = fn, .setup_func = lt_setup,                      \
    .teardown_func = lt_teardown, .initial_state = &(lt_fixture_t) {           \
      .args = NULL                                                             \
    }                                                                          \
  }
#define LT_TEST_ARGS(fn, ...)                                                  \
  {                                                                            \
    .name = #fn, .test_func = fn, .setup_func = lt_setup,                      \
    .teardown_func = lt_teardown, .initial_state = &(lt_fixture_t) {           \
      .args = (const char *const[]) {                                          \
        __VA_ARGS__, NULL                                                      \
      }                                                                        \
    }                                                                          \
  }

/* Sleep ms milliseconds. */
void lt_sleep_ms(int ms);
/* Monotonic milliseconds. */
uint64_t lt_now_ms(void);

#endif
