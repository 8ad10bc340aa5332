/*
 * lanthanide: the command-line client and tool.
 *
 * Subcommands talk to a running lanthanide-server over MessagePack-RPC:
 *   lanthanide play              play a seat in this terminal (cmd_play.c)
 *   lanthanide watch             a live view of a session (cmd_watch.c)
 *   lanthanide admin ...         the facilitator's commands (cmd_admin.c)
 *   lanthanide ping              round trip to the server
 *   lanthanide maps              the maps the server offers
 *   lanthanide stats             the server's limit counters
 *   lanthanide call METHOD [JSON] any method, with params given as JSON
 *   lanthanide replay --db FILE  re-run a stored game and check its hashes
 *                                (cmd_replay.c)
 *   lanthanide export --db FILE  a stored game as CSV files (cmd_export.c)
 *   lanthanide schema            the order schema: docs/orders.md or the
 *                                JSON Schema of one order (cmd_schema.c)
 *   lanthanide tournament ...    headless seeded tournaments, and
 *                                `tournament merge` (cmd_tournament.c)
 * replay and export read a database file and need no server. The others
 * take --server HOST:PORT (default 127.0.0.1:7447, or
 * $LANTHANIDE_SERVER) and --help. Exit status: 0 success, 1 failure, 2 usage.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "cmds.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: lanthanide [--server HOST:PORT] COMMAND [ARGS]\n"
          "\n"
          "Play:\n"
          "  play --session ID --code CODE   play a seat in this terminal "
          "(--token T\n"
          "                                  to come back)\n"
          "  watch --session ID [--admin-token T | --token T]\n"
          "                                  a live view of a session\n"
          "  bot --session ID --code CODE --strategy NAME\n"
          "                                  play a seat with a built-in "
          "strategy\n"
          "Run a game (the facilitator):\n"
          "  admin create --map MAP          create a session; prints the "
          "join codes\n"
          "  admin list|bot|start|pause|resume|stop|advance|chat|"
          "strategies\n"
          "Tools:\n"
          "  ping [--count N]        measure round trips to the server\n"
          "  maps                    list the maps the server offers\n"
          "  stats                   show the server's limit counters\n"
          "  call METHOD [JSON]      call any method; JSON is the params\n"
          "                          object, e.g. '{\"client\":\"me\"}'\n"
          "Stored games (read the --db file of a server; no server needed):\n"
          "  replay --db FILE [--session S] [--verify]\n"
          "                          re-run a game from its orders and check\n"
          "                          every turn's state hash\n"
          "  export --db FILE [--session S] [--out DIR]\n"
          "                          write its prices, production, scores,\n"
          "                          orders and chat as CSV files\n"
          "Tournaments (in this process; no server needed):\n"
          "  tournament --map M --strategies A,B --games N --jobs J --seed S\n"
          "             --out FILE [--csv FILE] [--shard I/N]\n"
          "                          play seeded games, print a leaderboard\n"
          "  tournament merge --out FILE SHARD.db...\n"
          "                          join the shards of one tournament\n"
          "Orders (no server needed):\n"
          "  schema --markdown|--json\n"
          "                          every op and policy kind with its "
          "fields:\n"
          "                          docs/orders.md, or the JSON Schema\n"
          "\n"
          "Options (before the command, or after it):\n"
          "  --server HOST:PORT      server address (default %s,\n"
          "                          or $LANTHANIDE_SERVER)\n"
          "  --timeout MS            wait at most MS for each answer "
          "(default %d)\n"
          "  --help                  this text; `lanthanide COMMAND --help` "
          "for one\n"
          "\n"
          "Errors go to stderr with the server's code, message and field. "
          "Exit\nstatus: 0 success, 1 failure (a refusal or no server), 2 a "
          "usage error.\n",
          UI_DEFAULT_SERVER, UI_DEFAULT_TIMEOUT);
}

/* Print an error reply ({code, message[, field]}) and return 1. */
/* A string of the server's answer, fit for the terminal: control
 * characters (an escape sequence in a map's title, say) are shown as '?'
 * (ui_clean); dflt if o is not a string. The result lives in ui_clean's
 * ring of buffers. */
static const char *clean_str(const msgpack_object *o, const char *dflt) {
  char tmp[1024];
  if (!o || o->type != MSGPACK_OBJECT_STR)
    return ui_clean(dflt);
  snprintf(tmp, sizeof tmp, "%.*s", (int)o->via.str.size, o->via.str.ptr);
  return ui_clean(tmp);
}

static int print_error(const msgpack_object *err) {
  const msgpack_object *field = cli_get(err, "field");
  fprintf(stderr, "error: %s: %s", clean_str(cli_get(err, "code"), "?"),
          clean_str(cli_get(err, "message"), ""));
  if (field && field->type == MSGPACK_OBJECT_STR)
    fprintf(stderr, " (field '%s')", clean_str(field, ""));
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
    printf("%-14s %5llu %5llu  %s\n", clean_str(id, ""),
           seats ? (unsigned long long)seats->via.u64 : 0ULL,
           turns ? (unsigned long long)turns->via.u64 : 0ULL,
           clean_str(title, ""));
  }
  return 0;
}

/* ping, maps, stats and call: options may come anywhere after the
 * command (argv[0] is the command). */
static int run_tool(int argc, char **argv, ui_conn_opts_t conn) {
  static const struct option longopts[] = {
      {"server", required_argument, NULL, 's'},
      {"timeout", required_argument, NULL, 't'},
      {"count", required_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *cmd = argv[0];
  int count = 1, ch;
  optind = 0;
  while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
    case 's':
      conn.server = optarg;
      break;
    case 't':
      if (ui_parse_timeout(optarg, &conn.timeout_ms) != 0)
        return UI_EXIT_USAGE;
      break;
    case 'n':
      count = atoi(optarg);
      if (count <= 0) {
        fprintf(stderr, "lanthanide: --count must be a positive integer\n");
        return UI_EXIT_USAGE;
      }
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    default:
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  int nargs = argc - optind;
  char **args = argv + optind;
  if (strcmp(cmd, "call") == 0 && (nargs < 1 || nargs > 2)) {
    fprintf(stderr, "usage: lanthanide call METHOD [JSON-PARAMS]\n");
    return UI_EXIT_USAGE;
  }
  if (strcmp(cmd, "call") != 0 && nargs != 0) {
    fprintf(stderr, "lanthanide: '%s' takes no arguments (see --help)\n", cmd);
    return UI_EXIT_USAGE;
  }
  cli_conn_t *c = cli_connect(conn.server, conn.timeout_ms);
  if (!c)
    return UI_EXIT_FAIL;
  int rc;
  if (strcmp(cmd, "call") == 0)
    rc = cmd_call(c, args[0], nargs > 1 ? args[1] : NULL);
  else if (strcmp(cmd, "ping") == 0)
    rc = cmd_ping(c, count);
  else if (strcmp(cmd, "maps") == 0)
    rc = cmd_maps(c);
  else
    rc = cmd_call(c, "server.stats", NULL);
  cli_close(c);
  return rc;
}

int main(int argc, char **argv) {
  ui_conn_opts_t conn;
  ui_conn_defaults(&conn);
  static const struct option longopts[] = {
      {"server", required_argument, NULL, 's'},
      {"timeout", required_argument, NULL, 't'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  int ch;
  /* Options before the command apply to it; "+" stops at the command so
   * that its own options are left for it. */
  while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
    switch (ch) {
    case 's':
      conn.server = optarg;
      break;
    case 't':
      if (ui_parse_timeout(optarg, &conn.timeout_ms) != 0)
        return UI_EXIT_USAGE;
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    case 'V':
      printf("lanthanide %s (protocol 1)\n", LAN_VERSION);
      return UI_EXIT_OK;
    default:
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  int sargc = argc - optind;
  char **sargv = argv + optind;
  static char help_opt[] = "--help";
  char *help[3] = {NULL, help_opt, NULL}; /* `help CMD` runs `CMD --help` */
  const char *cmd = sargv[0];
  if (strcmp(cmd, "help") == 0) {
    /* Commands with a help of their own; the tools (call, ping, maps,
     * stats) are described in full by the general usage. */
    static const char *const own[] = {"play",       "watch",  "admin",
                                      "bot",        "replay", "export",
                                      "tournament", "schema", NULL};
    static const char *const tools[] = {"call", "ping", "maps", "stats", NULL};
    if (sargc < 2) {
      usage(stdout);
      return UI_EXIT_OK;
    }
    for (size_t i = 0; tools[i]; i++)
      if (strcmp(sargv[1], tools[i]) == 0) {
        usage(stdout);
        return UI_EXIT_OK;
      }
    bool known = false;
    for (size_t i = 0; own[i] && !known; i++)
      known = strcmp(sargv[1], own[i]) == 0;
    if (!known) {
      fprintf(stderr, "lanthanide: no command '%s' to help with\n\n", sargv[1]);
      usage(stderr);
      return UI_EXIT_USAGE;
    }
    help[0] = sargv[1];
    cmd = sargv[1];
    sargc = 2;
    sargv = help;
  }
  if (strcmp(cmd, "play") == 0)
    return cmd_play(sargc, sargv, &conn);
  if (strcmp(cmd, "watch") == 0)
    return cmd_watch(sargc, sargv, &conn);
  if (strcmp(cmd, "admin") == 0)
    return cmd_admin(sargc, sargv, &conn);
  if (strcmp(cmd, "bot") == 0)
    return cmd_bot(sargc, sargv, &conn);
  if (strcmp(cmd, "replay") == 0)
    return cmd_replay(sargc, sargv, &conn);
  if (strcmp(cmd, "export") == 0)
    return cmd_export(sargc, sargv, &conn);
  if (strcmp(cmd, "tournament") == 0) /* also `tournament merge` */
    return cmd_tournament(sargc, sargv, &conn);
  if (strcmp(cmd, "schema") == 0)
    return cmd_schema(sargc, sargv, &conn);
  if (strcmp(cmd, "call") == 0 || strcmp(cmd, "ping") == 0 ||
      strcmp(cmd, "maps") == 0 || strcmp(cmd, "stats") == 0)
    return run_tool(sargc, sargv, conn);
  fprintf(stderr, "lanthanide: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return UI_EXIT_USAGE;
}
