/*
 * lanthanide: the command-line client and tool.
 *
 * Subcommands talk to a running lanthanide-server over MessagePack-RPC:
 *   lanthanide ping              round trip to the server
 *   lanthanide maps              the maps the server offers
 *   lanthanide stats             the server's limit counters
 *   lanthanide call METHOD [JSON] any method, with params given as JSON
 * Every subcommand takes --server HOST:PORT (default 127.0.0.1:7447) and
 * --help.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

#define DEFAULT_SERVER "127.0.0.1:7447"

typedef struct opts {
  const char *server;
  int timeout_ms;
  int count;
} opts_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: lanthanide [--server HOST:PORT] COMMAND [ARGS]\n"
          "\n"
          "Commands:\n"
          "  ping [--count N]        measure round trips to the server\n"
          "  maps                    list the maps the server offers\n"
          "  stats                   show the server's limit counters\n"
          "  call METHOD [JSON]      call any method; JSON is the params\n"
          "                          object, e.g. '{\"client\":\"me\"}'\n"
          "\n"
          "Options (before or after the command):\n"
          "  --server HOST:PORT      server address (default %s)\n"
          "  --timeout MS            wait at most MS for each answer "
          "(default 10000)\n"
          "  --help                  this text\n"
          "\n"
          "Output is JSON on stdout; errors go to stderr with the server's\n"
          "code and message, and the exit status is 1.\n",
          DEFAULT_SERVER);
}

/* Print an error reply ({code, message[, field]}) and return 1. */
static int print_error(const msgpack_object *err) {
  const msgpack_object *code = cli_get(err, "code");
  const msgpack_object *msg = cli_get(err, "message");
  const msgpack_object *field = cli_get(err, "field");
  fprintf(stderr, "error: %.*s: %.*s",
          code && code->type == MSGPACK_OBJECT_STR ? (int)code->via.str.size
                                                   : 1,
          code && code->type == MSGPACK_OBJECT_STR ? code->via.str.ptr : "?",
          msg && msg->type == MSGPACK_OBJECT_STR ? (int)msg->via.str.size : 0,
          msg && msg->type == MSGPACK_OBJECT_STR ? msg->via.str.ptr : "");
  if (field && field->type == MSGPACK_OBJECT_STR)
    fprintf(stderr, " (field '%.*s')", (int)field->via.str.size,
            field->via.str.ptr);
  fputc('\n', stderr);
  return 1;
}

static void print_json(const msgpack_object *o) {
  json_t *j = cli_to_json(o);
  char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY) : NULL;
  printf("%s\n", s ? s : "null");
  free(s);
  json_decref(j);
}

static int cmd_call(cli_conn_t *c, const char *method, const char *json_text) {
  json_t *params = NULL;
  if (json_text) {
    json_error_t jerr;
    params = json_loads(json_text, JSON_DECODE_ANY, &jerr);
    if (!params) {
      fprintf(stderr,
              "lanthanide: the params are not valid JSON (column %d: %s); "
              "give an object such as '{\"session\": \"s1\"}'\n",
              jerr.column, jerr.text);
      return 2;
    }
    if (!json_is_object(params)) {
      fprintf(stderr, "lanthanide: the params must be a JSON object, such "
                      "as '{\"session\": \"s1\"}'\n");
      json_decref(params);
      return 2;
    }
  }
  cli_reply_t r;
  int rc = cli_call(c, method, params, &r);
  json_decref(params);
  if (rc != 0)
    return 1;
  if (r.error)
    return print_error(r.error);
  print_json(r.result);
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_ping(cli_conn_t *c, int count) {
  double total = 0, best = 1e9, worst = 0;
  for (int i = 0; i < count; i++) {
    cli_reply_t r;
    double t0 = now_s();
    if (cli_call(c, "ping", NULL, &r) != 0)
      return 1;
    if (r.error)
      return print_error(r.error);
    double dt = (now_s() - t0) * 1e3;
    total += dt;
    if (dt < best)
      best = dt;
    if (dt > worst)
      worst = dt;
  }
  printf("%d pings: min %.3f ms, mean %.3f ms, max %.3f ms\n", count, best,
         total / count, worst);
  return 0;
}

static int cmd_maps(cli_conn_t *c) {
  cli_reply_t r;
  if (cli_call(c, "maps.list", NULL, &r) != 0)
    return 1;
  if (r.error)
    return print_error(r.error);
  if (r.result->type != MSGPACK_OBJECT_ARRAY) {
    print_json(r.result);
    return 0;
  }
  printf("%-14s %5s %5s  %s\n", "MAP", "SEATS", "TURNS", "TITLE");
  for (uint32_t i = 0; i < r.result->via.array.size; i++) {
    const msgpack_object *m = &r.result->via.array.ptr[i];
    const msgpack_object *id = cli_get(m, "id"), *title = cli_get(m, "title");
    const msgpack_object *seats = cli_get(m, "seats");
    const msgpack_object *turns = cli_get(m, "turns");
    printf("%-14.*s %5llu %5llu  %.*s\n",
           id && id->type == MSGPACK_OBJECT_STR ? (int)id->via.str.size : 0,
           id && id->type == MSGPACK_OBJECT_STR ? id->via.str.ptr : "",
           seats ? (unsigned long long)seats->via.u64 : 0ULL,
           turns ? (unsigned long long)turns->via.u64 : 0ULL,
           title && title->type == MSGPACK_OBJECT_STR ? (int)title->via.str.size
                                                      : 0,
           title && title->type == MSGPACK_OBJECT_STR ? title->via.str.ptr
                                                      : "");
  }
  return 0;
}

int main(int argc, char **argv) {
  opts_t o = {.server = DEFAULT_SERVER, .timeout_ms = 10000, .count = 1};
  static const struct option longopts[] = {
      {"server", required_argument, NULL, 's'},
      {"timeout", required_argument, NULL, 't'},
      {"count", required_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int ch;
  /* "+" would stop at the first non-option; we allow options anywhere. */
  while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
    case 's':
      o.server = optarg;
      break;
    case 't':
      o.timeout_ms = atoi(optarg);
      if (o.timeout_ms <= 0) {
        fprintf(stderr, "lanthanide: --timeout must be a positive number of "
                        "milliseconds\n");
        return 2;
      }
      break;
    case 'n':
      o.count = atoi(optarg);
      if (o.count <= 0) {
        fprintf(stderr, "lanthanide: --count must be a positive integer\n");
        return 2;
      }
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[optind];
  int nargs = argc - optind - 1;
  char **args = argv + optind + 1;

  if (strcmp(cmd, "call") == 0 && (nargs < 1 || nargs > 2)) {
    fprintf(stderr, "usage: lanthanide call METHOD [JSON-PARAMS]\n");
    return 2;
  }
  if (strcmp(cmd, "call") != 0 && strcmp(cmd, "ping") != 0 &&
      strcmp(cmd, "maps") != 0 && strcmp(cmd, "stats") != 0) {
    fprintf(stderr, "lanthanide: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
  }
  if (strcmp(cmd, "call") != 0 && nargs != 0) {
    fprintf(stderr, "lanthanide: '%s' takes no arguments (see --help)\n", cmd);
    return 2;
  }

  cli_conn_t *c = cli_connect(o.server, o.timeout_ms);
  if (!c)
    return 1;
  int rc;
  if (strcmp(cmd, "call") == 0)
    rc = cmd_call(c, args[0], nargs > 1 ? args[1] : NULL);
  else if (strcmp(cmd, "ping") == 0)
    rc = cmd_ping(c, o.count);
  else if (strcmp(cmd, "maps") == 0)
    rc = cmd_maps(c);
  else
    rc = cmd_call(c, "server.stats", NULL);
  cli_close(c);
  return rc;
}
