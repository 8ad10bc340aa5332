/*
 * `lanthanide admin`: the facilitator's (control cell's) commands. create a
 * session and print the seats' join codes to hand out or project; list the
 * sessions and who sits where; put built-in agents on seats; start, pause,
 * resume, stop and advance the game; broadcast a message; lock a seat,
 * re-issue its join code, revoke its token, rotate the admin token.
 *
 * Every subcommand prints readable tables by default and the server's raw
 * answer with --json, so that scripts (and the tests) can read it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"

enum {
  O_SERVER = 1, /* not 0: getopt's optopt is 0 for an unknown option */
  O_TIMEOUT,
  O_JSON,
  O_HELP,
  O_SESSION,
  O_ADMIN,
  O_MAP,
  O_NAME,
  O_SEED,
  O_TURNS,
  O_TURN_S,
  O_SPECTATORS,
  O_FIXED,
  O_SEAT,
  O_STRATEGY,
  O_EMPTY,
  O_TO,
  O_START,
  O_PURGE,
  O_FORCE,
  O_REVIEW,
  O_AMEND,
  O_TURN,
  O_NO_SCRIPTED,
  O_KIND,
  O_NATION,
  O_FACILITY,
  O_PRODUCT,
  O_STAGE,
  O_MAGNITUDE,
  O_DURATION,
  O_TEXT,
  O_POLICY,
  O_EVENT,
  O_NOTE,
  O_INJECT,
  O_SCRIPTED,
  O_CHANNEL,
};

#define BIT(o) (UINT64_C(1) << (o))
/* Options every admin subcommand takes. */
#define COMMON  (BIT(O_SERVER) | BIT(O_TIMEOUT) | BIT(O_JSON) | BIT(O_HELP))
#define CONTROL (BIT(O_SESSION) | BIT(O_ADMIN))

typedef struct admin_opts {
  ui_conn_opts_t conn;
  bool json, spectators, fixed, all_empty, start, purge, force, review;
  bool no_scripted;
  const char *session, *admin_token, *map, *name, *strategy, *to, *seats;
  /* inject: the event's fields as flags, or the whole event as JSON. */
  const char *kind, *nation, *facility, *product, *stage, *text, *policy;
  const char *event, *note, *channel;
  double magnitude;
  long duration, inject, scripted;
  bool has_magnitude, has_duration, has_inject, has_scripted;
  const char *amendments; /* release: a JSON file of amendments, - stdin */
  unsigned long long seed;
  long turns, turn;
  bool has_turn;
  double turn_s;
  bool has_seed, has_turns, has_turn_s;
} admin_opts_t;

typedef struct admin_sub {
  const char *name;
  int (*run)(cli_conn_t *c, admin_opts_t *o, int nargs, char **args);
  uint64_t allowed; /* BIT(O_...) of the options it takes */
  int min_args, max_args;
  const char *synopsis;
  const char *help;
} admin_sub_t;

static const admin_sub_t *find_sub(const char *name);

/* ---- Output helpers ------------------------------------------------------ */

/* Call a method with p (freed here) for a subcommand: UI_EXIT_FAIL when
 * the call failed (the error is printed), UI_EXIT_OK when --json printed
 * the answer, else -1 with *out the answer, for the caller to print and
 * free. */
static int call_or_json(cli_conn_t *c, const admin_opts_t *o,
                        const char *method, json_t *p, json_t **out) {
  int rc = ui_call(c, method, p, out);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json) {
    ui_print_json(*out);
    json_decref(*out);
    return UI_EXIT_OK;
  }
  return -1;
}

/* A join code grouped in fives ("7K2M9-QXD4R"), easier to read from a
 * projector; the server ignores the dash. */
static const char *grouped(const char *code) {
  static char buf[64];
  size_t n = strlen(code);
  if (n != 10 || strchr(code, '-')) {
    snprintf(buf, sizeof buf, "%s", code);
    return buf;
  }
  snprintf(buf, sizeof buf, "%.5s-%.5s", code, code + 5);
  return buf;
}

/* The session's entry in session.list, or NULL (a new reference). */
static json_t *session_entry(cli_conn_t *c, const char *id) {
  json_t *list = NULL, *found = NULL;
  if (cli_list_sessions(c, &list, NULL) != 0)
    return NULL;
  size_t i;
  json_t *s;
  json_array_foreach(list, i, s) {
    if (strcmp(ui_str(s, "session"), id) == 0) {
      found = json_incref(s);
      break;
    }
  }
  json_decref(list);
  return found;
}

/* The commands a facilitator types next, with their identity filled in. */
static void print_control_hint(const admin_opts_t *o, const char *session,
                               const char *token) {
  char srv[300] = "";
  if (strcmp(o->conn.server, UI_DEFAULT_SERVER) != 0)
    snprintf(srv, sizeof srv, "--server %s ", ui_clean(o->conn.server));
  printf("Facilitator commands (keep the admin token private):\n");
  printf("  lanthanide admin bot   %s--session %s --admin-token %s "
         "--all-empty --strategy standing\n",
         srv, session, token);
  printf("  lanthanide admin start %s--session %s --admin-token %s\n", srv,
         session, token);
  printf("  lanthanide watch       %s--session %s --admin-token %s\n", srv,
         session, token);
}

/* ---- create -------------------------------------------------------------- */

static int run_create(cli_conn_t *c, admin_opts_t *o, int nargs, char **args) {
  json_t *p = json_pack("{s:s}", "map", o->map);
  if (o->name)
    json_object_set_new(p, "name", json_string(o->name));
  if (o->has_seed)
    json_object_set_new(p, "seed", json_integer((json_int_t)o->seed));
  if (o->has_turns)
    json_object_set_new(p, "turns", json_integer(o->turns));
  if (o->has_turn_s)
    json_object_set_new(p, "turn_seconds", json_real(o->turn_s));
  if (o->spectators)
    json_object_set_new(p, "spectators", json_true());
  if (o->fixed)
    json_object_set_new(p, "fixed", json_true());
  if (o->review)
    json_object_set_new(p, "review", json_true());
  if (o->no_scripted)
    json_object_set_new(p, "scripted_events", json_false());
  json_t *r;
  int rc = call_or_json(c, o, "session.create", p, &r);
  if (rc >= 0)
    return rc;
  const char *id = ui_str(r, "session");
  const char *token = ui_str(r, "admin_token");
  json_t *entry = session_entry(c, id);
  long turns = entry ? (long)ui_num(entry, "turns", 0) : 0;
  json_decref(entry);

  printf("Session %s created on map %s", ui_clean(id), ui_clean(o->map));
  if (o->name)
    printf(" (\"%s\")", ui_clean(o->name));
  printf(": %ld turns, ", turns);
  if (o->has_turn_s && o->turn_s > 0)
    printf("%s per turn", ui_duration(o->turn_s * 1000.0));
  else
    printf("no deadline (a turn closes when every seat is ready, or with "
           "`admin advance`)");
  printf(".\n%s\nAdmin token: %s\n\n",
         o->spectators ? "Spectators may watch without a token.\n" : "",
         ui_clean(token));

  json_t *seats = json_object_get(r, "seats");
  printf("%-20s %-7s %-26s %s\n", "SEAT", "KIND", "TITLE", "JOIN CODE");
  size_t i;
  json_t *s;
  json_array_foreach(seats, i, s) {
    ui_cell(stdout, ui_clean(ui_str(s, "seat")), 20, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "kind")), 7, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "title")), 26, false);
    if (ui_bool(s, "seatless")) /* issue 11: no code, no player */
      printf(" (standing orders: no join code)\n");
    else
      printf(" %s\n", ui_clean(grouped(ui_str(s, "join_code"))));
  }
  printf("\nPlayers join with (give each player their seat's code):\n"
         "  lanthanide play --server %s --session %s --code JOIN-CODE\n",
         ui_clean(o->conn.server), ui_clean(id));
  if (strncmp(o->conn.server, "127.", 4) == 0 ||
      strncmp(o->conn.server, "localhost", 9) == 0)
    printf("  (players on other machines use this machine's address, and "
           "the server\n   must listen on it: lanthanide-server --listen "
           "0.0.0.0:7447)\n");
  putchar('\n');
  print_control_hint(o, ui_clean(id), ui_clean(token));
  json_decref(r);
  return UI_EXIT_OK;
}

/* ---- list, strategies ---------------------------------------------------- */

static const char *who(const json_t *seat) {
  const char *agent = ui_str(seat, "agent");
  static char buf[80];
  if (agent[0]) {
    snprintf(buf, sizeof buf, "bot (%s)", ui_clean(agent));
    return buf;
  }
  if (ui_bool(seat, "seatless")) /* issue 11 */
    return "standing orders";
  return ui_bool(seat, "taken") ? "player" : "(empty)";
}

static void print_seats(const json_t *seats) {
  printf("%-20s %-7s %-26s %s\n", "SEAT", "KIND", "TITLE", "PLAYED BY");
  size_t i;
  json_t *s;
  json_array_foreach(seats, i, s) {
    ui_cell(stdout, ui_clean(ui_str(s, "seat")), 20, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "kind")), 7, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "title")), 26, false);
    printf(" %s\n", who(s));
  }
}

static int run_list(cli_conn_t *c, admin_opts_t *o, int nargs, char **args) {
  json_t *r;
  if (ui_list_sessions(c, &r) != 0)
    return UI_EXIT_FAIL;
  int rc = UI_EXIT_OK;
  if (o->session) {
    json_t *found = NULL, *s;
    size_t i;
    json_array_foreach(r, i, s) {
      if (strcmp(ui_str(s, "session"), o->session) == 0)
        found = s;
    }
    if (!found) {
      fprintf(stderr,
              "error: not_found: no session '%s' on this server (`lanthanide "
              "admin list` shows them)\n",
              ui_clean(o->session));
      rc = UI_EXIT_FAIL;
    } else if (o->json) {
      ui_print_json(found);
    } else {
      printf("Session %s", ui_clean(ui_str(found, "session")));
      if (ui_str(found, "name")[0])
        printf(" (\"%s\")", ui_clean(ui_str(found, "name")));
      long turn = (long)ui_num(found, "turn", 0);
      long turns = (long)ui_num(found, "turns", 0);
      printf(": map %s, %s, turn %ld of %ld\n\n",
             ui_clean(ui_str(found, "map")), ui_clean(ui_str(found, "status")),
             turn < turns ? turn + 1 : turns, turns);
      print_seats(json_object_get(found, "seats"));
    }
    json_decref(r);
    return rc;
  }
  if (o->json) {
    ui_print_json(r);
    json_decref(r);
    return rc;
  }
  if (json_array_size(r) == 0) {
    printf("No sessions on this server yet: `lanthanide admin create --map "
           "classroom` makes one.\n");
    json_decref(r);
    return rc;
  }
  printf("%-12s %-20s %-14s %-9s %-7s %s\n", "SESSION", "NAME", "MAP", "STATUS",
         "TURN", "SEATS");
  size_t i;
  json_t *s;
  json_array_foreach(r, i, s) {
    json_t *seats = json_object_get(s, "seats");
    size_t players = 0, bots = 0, empty = 0, standing = 0, k;
    json_t *seat;
    json_array_foreach(seats, k, seat) {
      if (ui_bool(seat, "seatless")) /* issue 11: its standing orders */
        standing++;
      else if (ui_str(seat, "agent")[0])
        bots++;
      else if (ui_bool(seat, "taken"))
        players++;
      else
        empty++;
    }
    long turn = (long)ui_num(s, "turn", 0);
    long turns = (long)ui_num(s, "turns", 0);
    char t[32];
    snprintf(t, sizeof t, "%ld/%ld", turn < turns ? turn + 1 : turns, turns);
    ui_cell(stdout, ui_clean(ui_str(s, "session")), 12, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "name")), 20, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "map")), 14, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "status")), 9, false);
    printf(" %-7s %zu: %zu players, %zu bots, %zu empty", t,
           json_array_size(seats), players, bots, empty);
    if (standing)
      printf(", %zu on standing orders", standing);
    putchar('\n');
  }
  printf("\n`lanthanide admin list --session ID` shows who sits where.\n");
  json_decref(r);
  return rc;
}

/* The sessions the server keeps out of play because their stored rows
 * are damaged (server.quarantine). */
static int run_quarantined(cli_conn_t *c, admin_opts_t *o, int nargs,
                           char **args) {
  (void)nargs;
  (void)args;
  json_t *r;
  if (ui_call(c, "server.quarantine", NULL, &r) != 0)
    return UI_EXIT_FAIL;
  if (o->json) {
    ui_print_json(r);
    json_decref(r);
    return UI_EXIT_OK;
  }
  json_t *list = json_object_get(r, "sessions");
  if (json_array_size(list) == 0) {
    printf("No quarantined sessions: every stored session was restored.\n");
    json_decref(r);
    return UI_EXIT_OK;
  }
  printf("%-12s %s\n", "SESSION", "WHY IT IS NOT SERVED");
  size_t i;
  json_t *q;
  json_array_foreach(list, i, q) {
    ui_cell(stdout, ui_clean(ui_str(q, "session")), 12, false);
    printf(" %s\n", ui_clean(ui_str(q, "reason")));
  }
  printf("\nTheir rows are kept in the database as they are; restore a "
         "backup or\nrepair them, then restart the server.\n");
  json_decref(r);
  return UI_EXIT_OK;
}

static int run_strategies(cli_conn_t *c, admin_opts_t *o, int nargs,
                          char **args) {
  json_t *r;
  if (ui_call(c, "strategies.list", NULL, &r) != 0)
    return UI_EXIT_FAIL;
  if (o->json) {
    ui_print_json(r);
  } else {
    printf("%-16s %s\n", "STRATEGY", "DESCRIPTION");
    size_t i;
    json_t *s;
    json_array_foreach(r, i, s) {
      ui_cell(stdout, ui_clean(ui_str(s, "id")), 16, false);
      printf(" %s\n", ui_clean(ui_str(s, "description")));
    }
  }
  json_decref(r);
  return UI_EXIT_OK;
}

/* ---- bot ----------------------------------------------------------------- */

/* Put the strategy on one seat; prints the outcome. */
static int bot_one(cli_conn_t *c, admin_opts_t *o, const char *seat,
                   json_t *out) {
  json_t *p =
      json_pack("{s:s, s:s, s:s, s:s}", "session", o->session, "admin_token",
                o->admin_token, "seat", seat, "strategy", o->strategy);
  if (o->force)
    json_object_set_new(p, "force", json_true());
  json_t *r = NULL, *err = NULL;
  int rc = cli_call_json(c, "session.bot", p, &r, &err);
  json_decref(p);
  if (rc < 0)
    return -1;
  if (rc == 1) {
    fprintf(stderr, "seat %s: ", ui_clean(seat));
    ui_print_error(err);
    if (strcmp(ui_str(err, "field"), "strategy") == 0)
      fprintf(stderr, "(`lanthanide admin strategies` lists them)\n");
    else if (strcmp(ui_str(err, "code"), "conflict") == 0 &&
             strcmp(ui_str(err, "field"), "seat") == 0)
      fprintf(stderr, "(--force hands a person's seat to the agent)\n");
    json_decref(err);
    return 1;
  }
  if (out)
    json_array_append(out, r);
  else
    printf("Seat %s is now played by the %s agent.\n",
           ui_clean(ui_str(r, "seat")), ui_clean(o->strategy));
  json_decref(r);
  return 0;
}

static int run_bot(cli_conn_t *c, admin_opts_t *o, int nargs, char **args) {
  if (!o->seats && !o->all_empty) {
    fprintf(stderr, "lanthanide admin bot: give --seat SEAT[,SEAT...] or "
                    "--all-empty (see --help)\n");
    return UI_EXIT_USAGE;
  }
  if (!o->strategy) {
    fprintf(stderr, "lanthanide admin bot: give --strategy NAME "
                    "(`lanthanide admin strategies` lists them)\n");
    return UI_EXIT_USAGE;
  }
  json_t *names = json_array();
  if (o->seats) {
    char *copy = strdup(o->seats), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save))
      if (t[0])
        json_array_append_new(names, json_string(t));
    free(copy);
  }
  if (o->all_empty) {
    json_t *entry = session_entry(c, o->session);
    if (!entry) {
      fprintf(stderr, "error: not_found: no session '%s' on this server\n",
              ui_clean(o->session));
      json_decref(names);
      return UI_EXIT_FAIL;
    }
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(entry, "seats"), i, s) {
      /* a seatless seat (issue 11) takes no agent: it is never empty */
      if (!ui_bool(s, "taken") && !ui_str(s, "agent")[0] &&
          !ui_bool(s, "seatless"))
        json_array_append_new(names, json_string(ui_str(s, "seat")));
    }
    json_decref(entry);
    if (json_array_size(names) == 0 && !o->json)
      printf("No empty seats: every seat has a player or a bot.\n");
  }
  json_t *out = o->json ? json_array() : NULL;
  int rc = UI_EXIT_OK;
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    int r = bot_one(c, o, json_string_value(n), out);
    if (r != 0)
      rc = UI_EXIT_FAIL;
    if (r < 0)
      break;
  }
  if (out)
    ui_print_json(out);
  json_decref(out);
  json_decref(names);
  return rc;
}

/* ---- start, pause, resume, stop, advance, chat --------------------------- */

static int run_control(cli_conn_t *c, admin_opts_t *o, const char *what) {
  char method[32];
  snprintf(method, sizeof method, "session.%s", what);
  json_t *p = json_pack("{s:s, s:s}", "session", o->session, "admin_token",
                        o->admin_token);
  json_t *r;
  int rc = ui_call(c, method, p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json) {
    ui_print_json(r);
  } else if (strcmp(what, "advance") == 0) {
    printf("Session %s: the open turn is closed now; it resolves with the "
           "orders in hand (status %s).\n",
           ui_clean(o->session), ui_clean(ui_str(r, "status")));
  } else {
    printf("Session %s is now %s.\n", ui_clean(o->session),
           ui_clean(ui_str(r, "status")));
  }
  json_decref(r);
  return UI_EXIT_OK;
}

/* After a start, name the seats nobody plays: a turn waits for them until
 * its deadline (or an `admin advance`), which a facilitator should know. */
static void warn_empty_seats(cli_conn_t *c, const admin_opts_t *o) {
  json_t *r;
  if (ui_list_sessions(c, &r) != 0)
    return;
  size_t i, j;
  json_t *s, *seat;
  json_array_foreach(r, i, s) {
    if (!ui_str(s, "session") || strcmp(ui_str(s, "session"), o->session))
      continue;
    size_t empty = 0;
    json_array_foreach(json_object_get(s, "seats"), j, seat) {
      if (json_is_true(json_object_get(seat, "taken")) ||
          json_is_string(json_object_get(seat, "agent")) ||
          ui_bool(seat, "seatless"))
        continue;
      printf(empty++ ? ", %s" : "Nobody plays %s",
             ui_clean(ui_str(seat, "seat")));
    }
    if (empty)
      printf(".\nEach turn waits for %s until its deadline (or `admin "
             "advance`), then %s standing orders; `admin bot --all-empty "
             "--strategy standing` gives %s to an agent.\n",
             empty == 1 ? "that seat" : "those seats",
             empty == 1 ? "it plays its" : "they play their",
             empty == 1 ? "it" : "them");
  }
  json_decref(r);
}

static int run_start(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  int rc = run_control(c, o, "start");
  if (rc == UI_EXIT_OK && !o->json)
    warn_empty_seats(c, o);
  return rc;
}
static int run_pause(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  return run_control(c, o, "pause");
}
static int run_resume(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  return run_control(c, o, "resume");
}
static int run_stop(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  return run_control(c, o, "stop");
}
static int run_advance(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  return run_control(c, o, "advance");
}

static int parse_seconds(const char *s, double *out);

/* session.extend: more (or, with a leading '-', less) time for the open
 * turn: `admin extend ... 2m`, `... -30s`. */
static int run_extend(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n;
  const char *arg = a[0];
  double sign = 1, secs;
  if (arg[0] == '-' || arg[0] == '+')
    sign = arg++[0] == '-' ? -1 : 1;
  if (parse_seconds(arg, &secs) != 0 || secs == 0) {
    fprintf(stderr,
            "lanthanide admin extend: '%s' is not a duration; give the time "
            "to add, such as 90, 90s, 2m or 1h, or to take away, such as "
            "-30s\n",
            ui_clean(a[0]));
    return UI_EXIT_USAGE;
  }
  json_t *p = json_pack("{s:s, s:s, s:f}", "session", o->session, "admin_token",
                        o->admin_token, "seconds", sign * secs);
  json_t *r;
  int rc = ui_call(c, "session.extend", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json)
    ui_print_json(r);
  else
    printf("Session %s: the open turn now has %s left%s.\n",
           ui_clean(o->session),
           ui_duration(
               (double)json_integer_value(json_object_get(r, "remaining_ms"))),
           json_integer_value(json_object_get(r, "deadline_ms")) == 0
               ? " (paused: the clock runs again on resume)"
               : "");
  json_decref(r);
  return UI_EXIT_OK;
}

/* ---- The control cell: status, a seat's view, observers (issue 13) ------ */

/* session.status as a table: who plays each seat, and where the turn is. */
static int run_status(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  json_t *p = json_pack("{s:s, s:s}", "session", o->session, "admin_token",
                        o->admin_token);
  json_t *r;
  int rc = call_or_json(c, o, "session.status", p, &r);
  if (rc >= 0)
    return rc;
  printf("Session %s (%s), map %s: %s, turn %lld of %lld", ui_clean(o->session),
         ui_clean(ui_str(r, "name")), ui_clean(ui_str(r, "map")),
         ui_clean(ui_str(r, "status")),
         (long long)json_integer_value(json_object_get(r, "turn")),
         (long long)json_integer_value(json_object_get(r, "turns")));
  json_t *left = json_object_get(r, "remaining_ms");
  if (json_is_integer(left))
    printf(", %s left", ui_duration((double)json_integer_value(left)));
  printf(".\n");
  if (ui_bool(r, "review"))
    printf("Review: %s.\n", ui_bool(r, "proposed")
                                ? "a resolved turn waits for you (admin "
                                  "proposal, admin release)"
                                : "on; no turn is held");
  json_t *ff = json_object_get(r, "forked_from");
  if (json_is_object(ff))
    printf("Forked from %s at turn %lld.\n", ui_clean(ui_str(ff, "session")),
           (long long)json_integer_value(json_object_get(ff, "turn")));
  printf("%-20s %-6s %-18s %-16s %4s %-9s %-5s %s\n", "SEAT", "KIND", "NAME",
         "PLAYED BY", "CONN", "SUBMITTED", "READY", "LOCKED");
  size_t i;
  json_t *x;
  size_t waiting = 0;
  json_array_foreach(json_object_get(r, "seats"), i, x) {
    ui_cell(stdout, ui_clean(ui_str(x, "seat")), 20, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(x, "kind")), 6, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(x, "name")), 18, false);
    putchar(' ');
    char by[64];
    if (json_is_string(json_object_get(x, "agent")))
      snprintf(by, sizeof by, "agent %s", ui_str(x, "agent"));
    else if (ui_bool(x, "seatless"))
      snprintf(by, sizeof by, "standing orders");
    else
      snprintf(by, sizeof by, "%s", ui_str(x, "played_by"));
    ui_cell(stdout, ui_clean(by), 16, false);
    printf(" %4lld %-9s %-5s %s\n",
           (long long)json_integer_value(json_object_get(x, "connected")),
           ui_bool(x, "submitted") ? "yes" : "-",
           ui_bool(x, "ready") ? "yes" : "-",
           ui_bool(x, "locked") ? "yes" : "-");
    waiting += !ui_bool(x, "ready");
  }
  if (strcmp(ui_str(r, "status"), "running") == 0)
    printf("The turn waits for %zu seat%s.\n", waiting,
           waiting == 1 ? "" : "s");
  json_decref(r);
  return UI_EXIT_OK;
}

/* state.get with the admin token: what one seat sees, its pending orders
 * and the ground truth, as JSON (views are large: pipe to jq). */
static int run_view(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  if (!o->seats || strchr(o->seats, ',')) {
    fprintf(stderr, "lanthanide admin view: give one --seat SEAT (the seat "
                    "whose view to show)\n");
    return UI_EXIT_USAGE;
  }
  json_t *p = json_pack("{s:s, s:s, s:s}", "session", o->session, "admin_token",
                        o->admin_token, "seat", o->seats);
  json_t *r;
  int rc = ui_call(c, "state.get", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  ui_print_json(r);
  json_decref(r);
  return UI_EXIT_OK;
}

/* observer.issue / observer.list / observer.revoke. */
static int run_observer(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  const char *what = a[0];
  json_t *p = json_pack("{s:s, s:s}", "session", o->session, "admin_token",
                        o->admin_token);
  const char *method;
  if (strcmp(what, "issue") == 0 && n == 1) {
    method = "observer.issue";
    if (o->name)
      json_object_set_new(p, "name", json_string(o->name));
    json_t *seats = json_array();
    if (o->seats) {
      char buf[1024];
      snprintf(buf, sizeof buf, "%s", o->seats);
      for (char *save, *t = strtok_r(buf, ",", &save); t;
           t = strtok_r(NULL, ",", &save))
        json_array_append_new(seats, json_string(t));
    }
    json_object_set_new(p, "seats", seats);
  } else if (strcmp(what, "list") == 0 && n == 1) {
    method = "observer.list";
  } else if (strcmp(what, "revoke") == 0 && n == 2) {
    char *end;
    long id = strtol(a[1], &end, 10);
    if (*end || id <= 0) {
      fprintf(stderr,
              "lanthanide admin observer revoke: '%s' is not an "
              "observer id (a number from `admin observer list`)\n",
              ui_clean(a[1]));
      json_decref(p);
      return UI_EXIT_USAGE;
    }
    method = "observer.revoke";
    json_object_set_new(p, "observer", json_integer(id));
  } else {
    fprintf(stderr, "lanthanide admin observer: say `issue [--name N] "
                    "[--seat A,B]`, `list` or `revoke ID`\n");
    json_decref(p);
    return UI_EXIT_USAGE;
  }
  json_t *r;
  int rc = ui_call(c, method, p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json) {
    ui_print_json(r);
  } else if (strcmp(method, "observer.issue") == 0) {
    printf("Observer %lld: token %s\nIt reads (state.get, history.get, "
           "session.watch) and cannot act; keep it for whoever observes.\n",
           (long long)json_integer_value(json_object_get(r, "observer")),
           ui_clean(ui_str(r, "token")));
  } else if (strcmp(method, "observer.list") == 0) {
    size_t i;
    json_t *x;
    printf("%-4s %-24s %s\n", "ID", "NAME", "SEATS");
    json_array_foreach(r, i, x) {
      printf("%-4lld ",
             (long long)json_integer_value(json_object_get(x, "observer")));
      ui_cell(stdout, ui_clean(ui_str(x, "name")), 24, false);
      size_t j;
      json_t *seat;
      putchar(' ');
      if (!json_array_size(json_object_get(x, "seats")))
        printf("(public view only)");
      json_array_foreach(json_object_get(x, "seats"), j, seat)
          printf(j ? ",%s" : "%s", ui_clean(json_string_value(seat)));
      putchar('\n');
    }
  } else {
    printf("Observer %s revoked: its token no longer works.\n", ui_clean(a[1]));
  }
  json_decref(r);
  return UI_EXIT_OK;
}

/* session.reset: the game again from turn 0 with a new seed (issue 14). */
static int run_reset(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  json_t *p = json_pack("{s:s, s:s, s:b}", "session", o->session, "admin_token",
                        o->admin_token, "start", o->start);
  if (p && o->has_seed)
    json_object_set_new(p, "seed", json_integer((json_int_t)o->seed));
  json_t *r;
  int rc = ui_call(c, "session.reset", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json)
    ui_print_json(r);
  else
    printf("Session %s is back at turn 0 with seed %lld, %s.\n",
           ui_clean(o->session),
           (long long)json_integer_value(json_object_get(r, "seed")),
           strcmp(ui_str(r, "status") ? ui_str(r, "status") : "", "running")
               ? "in the lobby (`admin start` plays it)"
               : "running");
  json_decref(r);
  return UI_EXIT_OK;
}

/* session.delete: a lobby or finished session leaves the server. */
static int run_delete(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  json_t *p = json_pack("{s:s, s:s, s:b}", "session", o->session, "admin_token",
                        o->admin_token, "purge", o->purge);
  json_t *r;
  int rc = ui_call(c, "session.delete", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json)
    ui_print_json(r);
  else
    printf("Session %s is deleted%s.\n", ui_clean(o->session),
           o->purge ? " and its rows removed from the database"
                    : "; its rows stay in the database for replay and export");
  json_decref(r);
  return UI_EXIT_OK;
}

/* ---- review and forks (issue 13) ------------------------------------------
 * docs/cli.md "The control cell". */

/* turn.proposal: the result held for review, one line per seat. */
static int run_proposal(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  json_t *p = json_pack("{s:s, s:s}", "session", o->session, "admin_token",
                        o->admin_token);
  json_t *r;
  int rc = ui_call(c, "turn.proposal", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json) {
    ui_print_json(r);
  } else if (json_is_null(r)) {
    printf("Session %s holds no result: its open turn has not resolved "
           "yet.\n",
           ui_clean(o->session));
  } else {
    printf("Turn %ld of session %s is resolved and held for your review.\n"
           "Players see nothing until `admin release`.\n\n",
           (long)ui_num(r, "turn", 0), ui_clean(o->session));
    printf("%-20s %16s %16s %7s %7s %8s\n", "SEAT", "CASH (USD)",
           "CHANGE (USD)", "ORDERS", "PLANTS", "REFUSED");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r, "seats"), i, s) {
      ui_cell(stdout, ui_clean(ui_str(s, "seat")), 20, false);
      printf(" %16.2f %16.2f %7zu %7zu %8zu\n", ui_num(s, "cash", 0),
             ui_num(s, "cash_delta", 0),
             json_array_size(json_object_get(s, "orders")),
             json_array_size(json_object_get(s, "production")),
             json_array_size(json_object_get(s, "refused")));
    }
    printf("\n--json shows every figure (plants' output, deliveries, the "
           "orders to refuse by index).\n");
  }
  json_decref(r);
  return UI_EXIT_OK;
}

/* turn.release: commit the held turn, with the amendments of a JSON file
 * (an array of {seat, kind, reason, ...}; - reads stdin). */
static int run_release(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  json_t *p = json_pack("{s:s, s:s}", "session", o->session, "admin_token",
                        o->admin_token);
  if (o->amendments) {
    json_error_t jerr;
    json_t *am = strcmp(o->amendments, "-") == 0
                     ? json_loadf(stdin, 0, &jerr)
                     : json_load_file(o->amendments, 0, &jerr);
    if (!am || !json_is_array(am)) {
      fprintf(stderr,
              "lanthanide admin release: %s: %s (expected a JSON array of "
              "amendments, each {\"seat\", \"kind\", \"reason\", ...})\n",
              ui_clean(o->amendments), am ? "not an array" : jerr.text);
      json_decref(am);
      json_decref(p);
      return UI_EXIT_USAGE;
    }
    json_object_set_new(p, "amendments", am);
  }
  json_t *r;
  int rc = ui_call(c, "turn.release", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json)
    ui_print_json(r);
  else
    printf("Turn %ld of session %s is released with %ld amendment%s; the "
           "players have its result and the next turn is open.\n",
           (long)ui_num(r, "turn", 0), ui_clean(o->session),
           (long)ui_num(r, "amendments", 0),
           ui_num(r, "amendments", 0) == 1 ? "" : "s");
  json_decref(r);
  return UI_EXIT_OK;
}

/* session.fork: a new session, paused at --turn, identical before it. */
static int run_fork(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  if (!o->has_turn) {
    fprintf(stderr, "lanthanide admin fork: give --turn N (the turn the "
                    "fork opens at)\n");
    return UI_EXIT_USAGE;
  }
  json_t *p = json_pack("{s:s, s:s, s:I}", "session", o->session, "admin_token",
                        o->admin_token, "turn", (json_int_t)o->turn);
  json_t *r;
  int rc = call_or_json(c, o, "session.fork", p, &r);
  if (rc >= 0)
    return rc;
  const char *id = ui_str(r, "session");
  const char *token = ui_str(r, "admin_token");
  printf("Session %s is a fork of %s at turn %ld: its turns before are the "
         "original's,\nand it waits paused at turn %ld.\nAdmin token: %s\n\n",
         ui_clean(id), ui_clean(o->session), o->turn, o->turn, ui_clean(token));
  printf("%-20s %-7s %-26s %s\n", "SEAT", "KIND", "TITLE", "JOIN CODE");
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(r, "seats"), i, s) {
    ui_cell(stdout, ui_clean(ui_str(s, "seat")), 20, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "kind")), 7, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "title")), 26, false);
    const char *agent = ui_str(s, "agent");
    if (ui_bool(s, "seatless"))
      printf(" (standing orders: no join code)\n");
    else if (agent[0])
      printf(" %s (bot %s)\n", ui_clean(grouped(ui_str(s, "join_code"))),
             ui_clean(agent));
    else
      printf(" %s\n", ui_clean(grouped(ui_str(s, "join_code"))));
  }
  printf("\nHand out the codes, then: lanthanide admin resume --session %s "
         "--admin-token %s\n",
         ui_clean(id), ui_clean(token));
  json_decref(r);
  return UI_EXIT_OK;
}

/* ---- injects, the record and the channels (issue 13) ----------------------
 * docs/cli.md "The control cell". */

/* The session and admin token of a control call, as a new params map. */
static json_t *control_params(const admin_opts_t *o) {
  return json_pack("{s:s, s:s}", "session", o->session, "admin_token",
                   o->admin_token);
}

/* A JSON map from a flag's text; NULL (and a message) when not one. */
static json_t *json_map_arg(const char *sub, const char *flag, const char *text,
                            const char *expected) {
  json_error_t jerr;
  json_t *v = strcmp(text, "-") == 0 ? json_loadf(stdin, 0, &jerr)
                                     : json_loads(text, 0, &jerr);
  if (!v || !json_is_object(v)) {
    fprintf(stderr, "lanthanide admin %s: --%s: %s (expected %s)\n", sub, flag,
            v ? "not a JSON map" : ui_clean(jerr.text), expected);
    json_decref(v);
    return NULL;
  }
  return v;
}

/* A comma-separated list of seats as a JSON array. */
static json_t *seat_array(const char *list) {
  json_t *a = json_array();
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save, *t = strtok_r(buf, ",", &save); t;
       t = strtok_r(NULL, ",", &save))
    json_array_append_new(a, json_string(t));
  return a;
}

/* "2026-12-04 21:53:14" (UTC) from a wall clock in ms. Ring of 4. */
static const char *utc_time(const json_t *ms) {
  static char ring[4][24];
  static int next;
  char *b = ring[next++ & 3];
  time_t t = (time_t)(ui_val(ms, 0) / 1000.0);
  struct tm tm;
  if (!json_is_number(ms) || !gmtime_r(&t, &tm))
    snprintf(b, 24, "-");
  else
    strftime(b, 24, "%Y-%m-%d %H:%M:%S", &tm);
  return b;
}

/* "USA,JPN", or "everyone" for nil. */
static const char *audience(const json_t *seats) {
  static char buf[512];
  if (!json_is_array(seats))
    return "everyone";
  size_t i, o = 0;
  json_t *s;
  buf[0] = '\0';
  json_array_foreach(seats, i, s) {
    int n = snprintf(buf + o, sizeof buf - o, "%s%s", i ? "," : "",
                     ui_clean(json_string_value(s)));
    if (n < 0 || (size_t)n >= sizeof buf - o)
      break;
    o += (size_t)n;
  }
  return buf;
}

/* The event's headline, or its kind and nation when it has none. */
static const char *headline(const json_t *ev) {
  static char buf[600];
  if (ui_str(ev, "text")[0])
    snprintf(buf, sizeof buf, "%s", ui_str(ev, "text"));
  else
    snprintf(buf, sizeof buf, "%s %s %s", ui_str(ev, "kind"),
             ui_str(ev, "nation"), ui_str(ev, "facility"));
  return ui_clean(buf);
}

/* Print s (cleaned) from column col, its words wrapped to the terminal's
 * width, continuation lines indented to indent; ends the line. */
static void print_wrapped(const char *s, int col, int indent) {
  int width = ui_term_width();
  if (width < indent + 24)
    width = indent + 24;
  bool first = true;
  while (*s) {
    while (*s == ' ')
      s++;
    if (!*s)
      break;
    size_t n = strcspn(s, " ");
    char word[1024];
    snprintf(word, sizeof word, "%.*s", (int)(n < 1023 ? n : 1023), s);
    int w = (int)ui_width(word);
    if (!first && col + 1 + w > width) {
      printf("\n%*s", indent, "");
      col = indent;
    } else if (!first) {
      putchar(' ');
      col++;
    }
    fputs(word, stdout);
    col += w;
    first = false;
    s += n;
  }
  putchar('\n');
}

/* event.inject: an event from flags (or --event JSON) for the open turn or
 * a later one, seen by --seat (default: every seat). */
static int run_inject(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  json_t *ev;
  if (o->event) {
    if (o->kind || o->nation || o->facility || o->product || o->stage ||
        o->text || o->policy || o->has_magnitude || o->has_duration) {
      fprintf(stderr, "lanthanide admin inject: give the event either as "
                      "--event JSON or with --kind and its fields, not "
                      "both\n");
      return UI_EXIT_USAGE;
    }
    ev = json_map_arg("inject", "event", o->event,
                      "an event map such as {\"kind\": \"flood\", "
                      "\"nation\": \"USA\", \"magnitude\": 0.3}");
    if (!ev)
      return UI_EXIT_USAGE;
  } else {
    if (!o->kind) {
      fprintf(stderr,
              "lanthanide admin inject: give --kind (flood, mine_accident, "
              "conflict, demand_surge, cost_overrun, plant_outage, policy, "
              "state_support) and its fields, or --event JSON\n");
      return UI_EXIT_USAGE;
    }
    ev = json_pack("{s:s}", "kind", o->kind);
    const char *keys[] = {"nation", "facility", "product", "stage", "text"};
    const char *vals[] = {o->nation, o->facility, o->product, o->stage,
                          o->text};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
      if (vals[i])
        json_object_set_new(ev, keys[i], json_string(vals[i]));
    if (o->has_magnitude)
      json_object_set_new(ev, "magnitude", json_real(o->magnitude));
    if (o->has_duration)
      json_object_set_new(ev, "duration", json_integer(o->duration));
    if (o->policy) {
      json_t *pol = json_map_arg("inject", "policy", o->policy,
                                 "an order map such as {\"op\": \"policy\", "
                                 "\"kind\": \"export_ban\", \"product\": "
                                 "\"dytb_oxide\", \"to\": \"USA\"}");
      if (!pol) {
        json_decref(ev);
        return UI_EXIT_USAGE;
      }
      json_object_set_new(ev, "policy", pol);
    }
  }
  json_t *p = control_params(o);
  json_object_set_new(p, "event", ev);
  if (o->has_turn)
    json_object_set_new(p, "turn", json_integer(o->turn));
  if (o->seats)
    json_object_set_new(p, "seats", seat_array(o->seats));
  if (o->note)
    json_object_set_new(p, "note", json_string(o->note));
  json_t *r;
  int rc = ui_call(c, "event.inject", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json)
    ui_print_json(r);
  else
    printf("Inject %lld fires at the end of turn %lld; %s see%s it in the "
           "news.\nUntil then no seat sees it; `admin events` lists it, "
           "`admin cancel --inject %lld`\ntakes it back.\n",
           (long long)json_integer_value(json_object_get(r, "inject")),
           (long long)json_integer_value(json_object_get(r, "turn")),
           o->seats ? ui_clean(o->seats) : "every seat",
           o->seats && strchr(o->seats, ',') ? "" : "s",
           (long long)json_integer_value(json_object_get(r, "inject")));
  json_decref(r);
  return UI_EXIT_OK;
}

/* event.list: the injects, then the map's scripted events. */
static int run_events(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  json_t *p = control_params(o), *r;
  int rc = call_or_json(c, o, "event.list", p, &r);
  if (rc >= 0)
    return rc;
  json_t *injects = json_object_get(r, "injects");
  size_t i;
  json_t *x;
  if (!json_array_size(injects)) {
    printf("No injects yet: `admin inject` makes one.\n");
  } else {
    printf("Injects (control's events; a pending one is hidden from every "
           "seat until it fires)\n");
    printf("%-4s %-4s %-9s %-14s %s\n", "ID", "TURN", "STATUS", "SEEN BY",
           "KIND (then the headline, and your note)");
    json_array_foreach(injects, i, x) {
      const json_t *ev = json_object_get(x, "event");
      printf("%-4lld %-4lld ",
             (long long)json_integer_value(json_object_get(x, "inject")),
             (long long)json_integer_value(json_object_get(x, "turn")));
      ui_cell(stdout, ui_clean(ui_str(x, "status")), 9, false);
      putchar(' ');
      ui_cell(stdout, audience(json_object_get(x, "seats")), 14, false);
      putchar(' ');
      printf("%s\n     ", ui_clean(ui_str(ev, "kind")));
      print_wrapped(headline(ev), 5, 5);
      if (ui_str(x, "note")[0]) {
        char note[1100];
        snprintf(note, sizeof note, "note: %s", ui_clean(ui_str(x, "note")));
        printf("     ");
        print_wrapped(note, 5, 11);
      }
    }
  }
  json_t *scripted = json_object_get(r, "scripted");
  printf("\nThe map's scripted events (%s)\n",
         ui_bool(r, "scripted_events")
             ? "they run; `admin cancel --scripted INDEX` stops one"
             : "off: this session runs without them");
  if (!json_array_size(scripted)) {
    printf("  (none)\n");
  } else {
    printf("%-5s %-4s %-9s %s\n", "INDEX", "TURN", "STATUS",
           "KIND (then the headline)");
    json_array_foreach(scripted, i, x) {
      const json_t *ev = json_object_get(x, "event");
      printf("%-5lld %-4lld ",
             (long long)json_integer_value(json_object_get(x, "index")),
             (long long)json_integer_value(json_object_get(x, "turn")));
      ui_cell(stdout, ui_clean(ui_str(x, "status")), 9, false);
      putchar(' ');
      printf("%s\n     ", ui_clean(ui_str(ev, "kind")));
      print_wrapped(headline(ev), 5, 5);
    }
  }
  json_decref(r);
  return UI_EXIT_OK;
}

/* event.cancel: a pending inject or scripted event will not fire. */
static int run_cancel(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  if (o->has_inject == o->has_scripted) {
    fprintf(stderr, "lanthanide admin cancel: give one of --inject ID and "
                    "--scripted INDEX (`admin events` lists them)\n");
    return UI_EXIT_USAGE;
  }
  json_t *p = control_params(o), *r;
  json_object_set_new(p, o->has_inject ? "inject" : "scripted",
                      json_integer(o->has_inject ? o->inject : o->scripted));
  int rc = ui_call(c, "event.cancel", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json)
    ui_print_json(r);
  else if (o->has_inject)
    printf("Inject %ld is cancelled: it will not fire.\n", o->inject);
  else
    printf("Scripted event %ld is cancelled: it will not fire.\n", o->scripted);
  json_decref(r);
  return UI_EXIT_OK;
}

/* timeline.get: the record, one line per row. */
static int run_timeline(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  json_t *p = control_params(o), *r;
  if (o->has_turn) {
    json_object_set_new(p, "from_turn", json_integer(o->turn));
    json_object_set_new(p, "to_turn", json_integer(o->turn));
  }
  int rc = call_or_json(c, o, "timeline.get", p, &r);
  if (rc >= 0)
    return rc;
  printf("%-19s %-4s %-9s %-18s %s\n", "TIME (UTC)", "TURN", "KIND", "SEAT",
         "WHAT");
  size_t i;
  json_t *x;
  json_array_foreach(r, i, x) {
    printf("%-19s %-4lld ", utc_time(json_object_get(x, "t_ms")),
           (long long)json_integer_value(json_object_get(x, "turn")));
    ui_cell(stdout, ui_clean(ui_str(x, "kind")), 9, false);
    putchar(' ');
    ui_cell(stdout, ui_str(x, "seat")[0] ? ui_clean(ui_str(x, "seat")) : "-",
            18, false);
    const char *chan = ui_str(json_object_get(x, "data"), "channel");
    if (chan[0])
      printf(" [%s] %s\n", ui_clean(chan), ui_clean(ui_str(x, "text")));
    else
      printf(" %s\n", ui_clean(ui_str(x, "text")));
  }
  if (!json_array_size(r))
    printf("(nothing recorded%s)\n", o->has_turn ? " in that turn" : "");
  json_decref(r);
  return UI_EXIT_OK;
}

/* channels.list as control: every channel of the session. */
static int run_channels(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  json_t *p = control_params(o), *r;
  int rc = call_or_json(c, o, "channels.list", p, &r);
  if (rc >= 0)
    return rc;
  printf("%-24s %-12s %-28s %s\n", "CHANNEL", "KIND", "TITLE", "MEMBERS");
  size_t i;
  json_t *x;
  json_array_foreach(r, i, x) {
    ui_cell(stdout, ui_clean(ui_str(x, "channel")), 24, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(x, "kind")), 12, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(x, "title")), 28, false);
    const char *k = ui_str(x, "kind");
    printf(" %s\n", strcmp(k, "all") == 0 || strcmp(k, "press") == 0
                        ? "everyone"
                        : audience(json_object_get(x, "members")));
  }
  printf("\nControl reads them all: `admin history --channel C`; two seats' "
         "direct\nmessages are dm:A:B (seat ids in byte order).\n");
  json_decref(r);
  return UI_EXIT_OK;
}

/* chat.history as control: one channel's messages, or every channel's. */
static int run_history(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  json_t *all = json_array();
  long long after = 0;
  /* Page through with `after` until an empty page: the whole record,
   * whatever the server's --chat-history-max. */
  for (;;) {
    json_t *p = control_params(o), *r;
    if (o->channel)
      json_object_set_new(p, "channel", json_string(o->channel));
    json_object_set_new(p, "after", json_integer(after));
    int rc = ui_call(c, "chat.history", p, &r);
    json_decref(p);
    if (rc != 0) {
      json_decref(all);
      return UI_EXIT_FAIL;
    }
    if (ui_history_page(all, r, &after) == 0)
      break;
  }
  if (o->json) {
    ui_print_json(all);
    json_decref(all);
    return UI_EXIT_OK;
  }
  size_t i;
  json_t *x;
  json_array_foreach(all, i, x) {
    printf("%s t%lld [%s] %s -> %s: %s\n",
           utc_time(json_object_get(x, "created_ms")),
           (long long)json_integer_value(json_object_get(x, "turn")),
           ui_clean(ui_str(x, "channel")), ui_clean(ui_str(x, "from")),
           ui_clean(ui_str(x, "to")), ui_clean(ui_str(x, "text")));
  }
  if (!json_array_size(all))
    printf("No messages%s%s yet.\n", o->channel ? " in " : "",
           o->channel ? ui_clean(o->channel) : "");
  json_decref(all);
  return UI_EXIT_OK;
}

/* The terms of an offer in a few words: "sells 100 t ndpr_oxide at
 * $60.00/kg for 2 turns". */
static const char *terms_line(const json_t *t) {
  static char buf[256];
  snprintf(buf, sizeof buf, "%s %s %s at $%.2f/kg for %lld turn%s",
           strcmp(ui_str(t, "side"), "buy") == 0 ? "buys" : "sells",
           ui_tonnes(ui_num(t, "quantity", 0)), ui_clean(ui_str(t, "product")),
           ui_num(t, "price", 0), (long long)ui_num(t, "turns", 0),
           ui_num(t, "turns", 0) == 1 ? "" : "s");
  return buf;
}

/* contract.negotiations as control: every negotiation, its offer in
 * force and its steps. */
static int run_negotiations(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  (void)n, (void)a;
  json_t *p = control_params(o), *r;
  int rc = call_or_json(c, o, "contract.negotiations", p, &r);
  if (rc >= 0)
    return rc;
  if (!json_array_size(r)) {
    printf("No negotiations yet: seats propose contracts with "
           "contract.propose (`propose` at the play prompt).\n");
    json_decref(r);
    return UI_EXIT_OK;
  }
  size_t i;
  json_t *x;
  json_array_foreach(r, i, x) {
    const json_t *t = json_object_get(x, "terms");
    printf("%s  %s <-> %s: %s", ui_clean(ui_str(x, "negotiation")),
           ui_clean(ui_str(x, "from")), ui_clean(ui_str(x, "to")),
           ui_clean(ui_str(x, "status")));
    if (json_is_integer(json_object_get(x, "turn")))
      printf(" (delivers from turn %lld)",
             (long long)json_integer_value(json_object_get(x, "turn")));
    printf("\n    offer in force: %s %s to %s\n", ui_clean(ui_str(x, "author")),
           terms_line(t), ui_clean(ui_str(t, "to")));
    size_t j;
    json_t *h;
    json_array_foreach(json_object_get(x, "history"), j, h) {
      printf("    %s t%lld %-8s by %s: %s\n",
             utc_time(json_object_get(h, "t_ms")),
             (long long)json_integer_value(json_object_get(h, "turn")),
             ui_clean(ui_str(h, "action")), ui_clean(ui_str(h, "seat")),
             terms_line(json_object_get(h, "terms")));
    }
  }
  json_decref(r);
  return UI_EXIT_OK;
}

static int run_chat(cli_conn_t *c, admin_opts_t *o, int nargs, char **args) {
  size_t len = 0;
  for (int i = 0; i < nargs; i++)
    len += strlen(args[i]) + 1;
  char *text = malloc(len + 1);
  if (!text)
    return UI_EXIT_FAIL;
  text[0] = '\0';
  for (int i = 0; i < nargs; i++) {
    if (i)
      strcat(text, " ");
    strcat(text, args[i]);
  }
  if (o->to && o->channel) {
    fprintf(stderr, "lanthanide admin chat: give --to or --channel, not "
                    "both\n");
    free(text);
    return UI_EXIT_USAGE;
  }
  json_t *p = json_pack("{s:s, s:s, s:s}", "session", o->session, "admin_token",
                        o->admin_token, "text", text);
  if (o->channel)
    json_object_set_new(p, "channel", json_string(o->channel));
  else
    json_object_set_new(p, "to", json_string(o->to ? o->to : "all"));
  free(text);
  json_t *r;
  int rc = ui_call(c, "chat.send", p, &r);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json)
    ui_print_json(r);
  else
    printf("Sent to %s.\n", ui_clean(o->channel ? o->channel
                                     : o->to    ? o->to
                                                : "all"));
  json_decref(r);
  return UI_EXIT_OK;
}

/* ---- lock, unlock, reissue, revoke, rotate-admin ------------------------- */

/* One seat-control call; *out is the answer (the caller frees it). */
static int seat_call(cli_conn_t *c, admin_opts_t *o, const char *method,
                     json_t *p, json_t **out) {
  json_object_set_new(p, "session", json_string(o->session));
  json_object_set_new(p, "admin_token", json_string(o->admin_token));
  int rc = ui_call(c, method, p, out);
  json_decref(p);
  if (rc != 0)
    return UI_EXIT_FAIL;
  if (o->json) {
    ui_print_json(*out);
    json_decref(*out);
    *out = NULL;
  }
  return UI_EXIT_OK;
}

static int need_seat(const admin_opts_t *o, const char *sub) {
  if (o->seats && o->seats[0] && !strchr(o->seats, ','))
    return 0;
  fprintf(stderr,
          "lanthanide admin %s: give --seat SEAT (one seat; `lanthanide "
          "admin list --session ID` shows them)\n",
          sub);
  return -1;
}

static int run_lock_to(cli_conn_t *c, admin_opts_t *o, bool locked) {
  if (need_seat(o, locked ? "lock" : "unlock") != 0)
    return UI_EXIT_USAGE;
  json_t *r,
      *p = json_pack("{s:s, s:b}", "seat", o->seats, "locked", (int)locked);
  int rc = seat_call(c, o, "seat.lock", p, &r);
  if (rc != UI_EXIT_OK || !r)
    return rc;
  if (locked)
    printf("Seat %s is locked: its join code is refused. The player who "
           "holds it\nreconnects with the seat's token; `admin unlock` lifts "
           "the lock.\n",
           ui_clean(ui_str(r, "seat")));
  else
    printf("Seat %s is unlocked: its join code works again.\n",
           ui_clean(ui_str(r, "seat")));
  json_decref(r);
  return UI_EXIT_OK;
}

static int run_lock(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  return run_lock_to(c, o, true);
}
static int run_unlock(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  return run_lock_to(c, o, false);
}

static int run_reissue(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  if (need_seat(o, "reissue") != 0)
    return UI_EXIT_USAGE;
  json_t *r, *p = json_pack("{s:s}", "seat", o->seats);
  int rc = seat_call(c, o, "seat.reissue_code", p, &r);
  if (rc != UI_EXIT_OK || !r)
    return rc;
  printf("New join code for seat %s: %s\nThe old code no longer works. "
         "This is the only time the new one is shown.\n",
         ui_clean(ui_str(r, "seat")),
         ui_clean(grouped(ui_str(r, "join_code"))));
  json_decref(r);
  return UI_EXIT_OK;
}

static int run_revoke(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  if (need_seat(o, "revoke") != 0)
    return UI_EXIT_USAGE;
  json_t *r, *p = json_pack("{s:s}", "seat", o->seats);
  int rc = seat_call(c, o, "seat.rotate_token", p, &r);
  if (rc != UI_EXIT_OK || !r)
    return rc;
  printf("Seat %s: its token is revoked and whoever held the seat lost it.\n"
         "`lanthanide admin reissue --seat %s` gives a join code for its new "
         "token.\n",
         ui_clean(ui_str(r, "seat")), ui_clean(ui_str(r, "seat")));
  json_decref(r);
  return UI_EXIT_OK;
}

static int run_rotate_admin(cli_conn_t *c, admin_opts_t *o, int n, char **a) {
  json_t *r, *p = json_object();
  int rc = seat_call(c, o, "session.rotate_admin_token", p, &r);
  if (rc != UI_EXIT_OK || !r)
    return rc;
  printf("New admin token: %s\nThe old one no longer works (connections "
         "watching with it lost the\nadmin's view). Keep this one private.\n",
         ui_clean(ui_str(r, "admin_token")));
  json_decref(r);
  return UI_EXIT_OK;
}

/* ---- The table of subcommands -------------------------------------------- */

static const admin_sub_t SUBS[] = {
    {"create", run_create,
     BIT(O_MAP) | BIT(O_NAME) | BIT(O_SEED) | BIT(O_TURNS) | BIT(O_TURN_S) |
         BIT(O_SPECTATORS) | BIT(O_FIXED) | BIT(O_REVIEW) | BIT(O_NO_SCRIPTED),
     0, 0,
     "create --map MAP [--name NAME] [--seed N] [--turns N]\n"
     "                        [--turn-seconds S] [--fixed] [--spectators]\n"
     "                        [--review] [--no-scripted-events]",
     "Create a session and print its admin token and the seats' join codes\n"
     "(the table to hand out or project). --turns shortens the map's game;\n"
     "--turn-seconds gives every turn a deadline (90, 90s, 2m, 1h; 0 or\n"
     "absent: no deadline, a turn closes when every seat is ready or with\n"
     "`admin advance`); --fixed makes every turn last its full length even\n"
     "when all are ready; --spectators lets anyone watch without a token;\n"
     "--seed fixes the game's randomness (0 to 9223372036854775807);\n"
     "--review holds each turn's result for you (`admin proposal`,\n"
     "`admin release`) before the players see it; --no-scripted-events\n"
     "runs the map without its scripted history (a seat's own policy is\n"
     "never overridden by the script; your injects still fire).\n"
     "`lanthanide maps` lists the maps."},
    {"list", run_list, BIT(O_SESSION), 0, 0, "list [--session ID]",
     "List the server's sessions; with --session, who sits at each seat of\n"
     "that one (a player, a bot, or empty): the lobby view before you start."},
    {"strategies", run_strategies, 0, 0, 0, "strategies",
     "List the built-in agents that can play a seat."},
    {"quarantined", run_quarantined, 0, 0, 0, "quarantined",
     "List the stored sessions the server keeps out of play because their\n"
     "rows in its database are damaged, each with the reason (its log says\n"
     "it too at start)."},
    {"bot", run_bot,
     CONTROL | BIT(O_SEAT) | BIT(O_STRATEGY) | BIT(O_EMPTY) | BIT(O_FORCE), 0,
     0,
     "bot --session ID --admin-token T --strategy NAME\n"
     "                        (--seat SEAT[,SEAT...] | --all-empty) [--force]",
     "Let a built-in agent play seats: the ones named, or every seat that\n"
     "has neither a player nor a bot. A player who later joins a bot's seat\n"
     "with its code takes it back. A seat a player holds is refused unless\n"
     "--force is given (the player is then told the agent took over)."},
    {"start", run_start, CONTROL, 0, 0, "start --session ID --admin-token T",
     "Start the game: turn 1 opens and players may submit orders."},
    {"pause", run_pause, CONTROL, 0, 0, "pause --session ID --admin-token T",
     "Pause the game: the turn's clock stops until `resume`."},
    {"resume", run_resume, CONTROL, 0, 0, "resume --session ID --admin-token T",
     "Resume a paused game; the turn's deadline keeps the time it had left."},
    {"stop", run_stop, CONTROL, 0, 0, "stop --session ID --admin-token T",
     "End the game now: it is finished, with the scores of the last turn."},
    {"advance", run_advance, CONTROL, 0, 0,
     "advance --session ID --admin-token T",
     "Close the open turn now, as if its deadline had passed: seats that\n"
     "have not sent orders keep their standing ones (the \"advance the\n"
     "slowest\" button)."},
    {"status", run_status, CONTROL, 0, 0, "status --session ID --admin-token T",
     "Where the session stands and who plays each seat: name, person or\n"
     "agent, connections, submitted, ready, locked; who the turn waits for."},
    {"view", run_view, CONTROL | BIT(O_SEAT), 0, 0,
     "view --session ID --admin-token T --seat SEAT",
     "Print what one seat sees (its observation, exactly as the seat gets\n"
     "it), its pending orders and the ground truth, as JSON."},
    {"observer", run_observer, CONTROL | BIT(O_NAME) | BIT(O_SEAT), 1, 2,
     "observer --session ID --admin-token T (issue [--name N] [--seat A,B] "
     "| list | revoke ID)",
     "Read-only observer tokens: issue one (with the seats whose view it\n"
     "may read; none: the public view only), list them, or revoke one."},
    {"extend", run_extend, CONTROL, 1, 1,
     "extend --session ID --admin-token T DURATION",
     "Give the open turn more time (90, 90s, 2m, 1h), or less with a\n"
     "leading '-' (-30s); the next turns keep the session's turn length.\n"
     "Players see the new deadline at once."},
    {"reset", run_reset, CONTROL | BIT(O_SEED) | BIT(O_START), 0, 0,
     "reset --session ID --admin-token T [--seed N] [--start]",
     "Start the game again at turn 0 with a new seed (drawn if --seed is\n"
     "not given), keeping the seats, tokens, join codes and bots; in the\n"
     "lobby, or running at once with --start. For training loops: no new\n"
     "session, no rate limit."},
    {"delete", run_delete, CONTROL | BIT(O_PURGE), 0, 0,
     "delete --session ID --admin-token T [--purge]",
     "Take a session in the lobby or finished off the server. Its rows stay\n"
     "in the database for replay and export, unless --purge removes them."},
    {"proposal", run_proposal, CONTROL, 0, 0,
     "proposal --session ID --admin-token T",
     "In a session created with --review: show the turn's result held for\n"
     "you (each seat's money and its change, orders, plants, refusals);\n"
     "--json gives every figure."},
    {"release", run_release, CONTROL | BIT(O_AMEND), 0, 0,
     "release --session ID --admin-token T [--amendments FILE]",
     "Release the held turn to the players, with the amendments of FILE (a\n"
     "JSON array; - reads stdin), each {\"seat\", \"kind\", \"reason\", ...}:\n"
     "cash (amount_cents), production (facility, kg), delivery (contract,\n"
     "kg) or refuse_order (order). Each is stored with its reason."},
    {"fork", run_fork, CONTROL | BIT(O_TURN), 0, 0,
     "fork --session ID --admin-token T --turn N",
     "Make a new session whose turns before N are this one's, paused at\n"
     "turn N, with its own admin token and new join codes (bots stay):\n"
     "a what-if to compare with the original."},
    {"lock", run_lock, CONTROL | BIT(O_SEAT), 0, 0,
     "lock --session ID --admin-token T --seat SEAT",
     "Lock a seat to the player who holds it: its join code is refused\n"
     "(someone who saw the code on the projector cannot take the seat);\n"
     "the player reconnects with the seat's token."},
    {"unlock", run_unlock, CONTROL | BIT(O_SEAT), 0, 0,
     "unlock --session ID --admin-token T --seat SEAT",
     "Lift a seat's lock: its join code works again."},
    {"reissue", run_reissue, CONTROL | BIT(O_SEAT), 0, 0,
     "reissue --session ID --admin-token T --seat SEAT",
     "Give a seat a new join code and print it (once); the old code stops\n"
     "working. The new code joins the seat's current token, so its player\n"
     "keeps playing."},
    {"revoke", run_revoke, CONTROL | BIT(O_SEAT), 0, 0,
     "revoke --session ID --admin-token T --seat SEAT",
     "Revoke a seat's token: the player who held it loses the seat (and is\n"
     "told); their token and the seat's code stop working. `reissue` then\n"
     "gives a code for the seat's new token."},
    {"rotate-admin", run_rotate_admin, CONTROL, 0, 0,
     "rotate-admin --session ID --admin-token T",
     "Replace the session's admin token and print the new one (once); the\n"
     "old one stops working."},
    {"inject", run_inject,
     CONTROL | BIT(O_KIND) | BIT(O_NATION) | BIT(O_FACILITY) | BIT(O_PRODUCT) |
         BIT(O_STAGE) | BIT(O_MAGNITUDE) | BIT(O_DURATION) | BIT(O_TEXT) |
         BIT(O_POLICY) | BIT(O_EVENT) | BIT(O_TURN) | BIT(O_SEAT) | BIT(O_NOTE),
     0, 0,
     "inject --session ID --admin-token T (--kind KIND [--nation N]\n"
     "                        [--facility F] [--product P] [--stage S]\n"
     "                        [--magnitude SHARE] [--duration TURNS]\n"
     "                        [--policy JSON] [--text HEADLINE] | --event "
     "JSON)\n"
     "                        [--turn N] [--seat A,B] [--note TEXT]",
     "Make an event happen at the end of the open turn, or of a later\n"
     "--turn (prepared: hidden from every seat until it fires): flood,\n"
     "mine_accident, conflict, demand_surge, cost_overrun, plant_outage\n"
     "(with --magnitude, a share: 0.3 = 30%), policy or state_support\n"
     "(with --policy, the order as JSON; - reads stdin). --seat names who\n"
     "sees it in the news (default everyone); --note is yours alone.\n"
     "--event gives the whole event map as JSON instead of the flags."},
    {"events", run_events, CONTROL, 0, 0, "events --session ID --admin-token T",
     "List the injects (turn, status, who sees them, your note) and the\n"
     "map's scripted events (status), with the numbers `cancel` takes."},
    {"cancel", run_cancel, CONTROL | BIT(O_INJECT) | BIT(O_SCRIPTED), 0, 0,
     "cancel --session ID --admin-token T (--inject ID | --scripted INDEX)",
     "Stop a pending inject or a pending scripted event of the map from\n"
     "firing (`events` shows their numbers)."},
    {"timeline", run_timeline, CONTROL | BIT(O_TURN), 0, 0,
     "timeline --session ID --admin-token T [--turn N]",
     "The session's record for the after-action review, in time order:\n"
     "orders, ready, messages, contract steps, injects, amendments,\n"
     "releases, resolved turns (one turn's with --turn)."},
    {"channels", run_channels, CONTROL, 0, 0,
     "channels --session ID --admin-token T",
     "List the session's channels (press, each seat's team and control\n"
     "channels, the ones seats opened) with their members."},
    {"history", run_history, CONTROL | BIT(O_CHANNEL), 0, 0,
     "history --session ID --admin-token T [--channel C]",
     "Read the messages of one channel (all, press, team:SEAT,\n"
     "control:SEAT, dm:A:B, ch:N), or of every channel, oldest first."},
    {"negotiations", run_negotiations, CONTROL, 0, 0,
     "negotiations --session ID --admin-token T",
     "Every contract negotiation between seats: who, the offer in force,\n"
     "its status and each step (propose, counter, accept, withdraw)."},
    {"chat", run_chat, CONTROL | BIT(O_TO) | BIT(O_CHANNEL), 1, 1000,
     "chat --session ID --admin-token T [--to all|SEAT | --channel C] "
     "TEXT...",
     "Send a message to every seat (the default), to one seat (on its\n"
     "control:SEAT channel), or to a channel (press, team:SEAT, ch:N...)."},
};

static const admin_sub_t *find_sub(const char *name) {
  for (size_t i = 0; i < sizeof SUBS / sizeof SUBS[0]; i++)
    if (strcmp(SUBS[i].name, name) == 0)
      return &SUBS[i];
  return NULL;
}

static void usage(FILE *f) {
  fprintf(f, "usage: lanthanide admin SUBCOMMAND [OPTIONS]\n\n"
             "The facilitator's commands. Subcommands:\n");
  for (size_t i = 0; i < sizeof SUBS / sizeof SUBS[0]; i++)
    fprintf(f, "  %s\n", SUBS[i].synopsis);
  fprintf(f,
          "\nOptions every subcommand takes:\n"
          "  --server HOST:PORT   the server (default %s, or "
          "$LANTHANIDE_SERVER)\n"
          "  --timeout MS         wait at most MS for each answer (default "
          "%d)\n"
          "  --json               print the server's answer as JSON\n"
          "  --help               help on a subcommand: lanthanide admin "
          "create --help\n\n"
          "--admin-token may instead come from $LANTHANIDE_ADMIN_TOKEN, so "
          "that it\nappears neither in `ps` nor in the shell's history.\n"
          "Exit status: 0 done, 1 the server refused (its error is printed) "
          "or\nwas unreachable, 2 a usage error.\n",
          UI_DEFAULT_SERVER, UI_DEFAULT_TIMEOUT);
}

static void sub_usage(FILE *f, const admin_sub_t *s) {
  fprintf(f, "usage: lanthanide admin %s\n\n%s\n\n", s->synopsis, s->help);
  fprintf(f, "Also: --server HOST:PORT, --timeout MS, --json, --help.\n");
  if (s->allowed & BIT(O_ADMIN))
    fprintf(f, "The admin token may come from $LANTHANIDE_ADMIN_TOKEN.\n");
}

/* A duration in seconds: 90, 90s, 2m, 1.5h. -1 when not one. */
static int parse_seconds(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || !isfinite(v) || v < 0)
    return -1;
  if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
    *out = v;
  else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
    *out = v * 60;
  else if (strcmp(end, "h") == 0)
    *out = v * 3600;
  else
    return -1;
  return 0;
}

int cmd_admin(int argc, char **argv, const ui_conn_opts_t *dflt) {
  if (argc < 2) {
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    const admin_sub_t *s = argc > 2 ? find_sub(argv[2]) : NULL;
    if (s)
      sub_usage(stdout, s);
    else
      usage(stdout);
    return UI_EXIT_OK;
  }
  const admin_sub_t *sub = find_sub(argv[1]);
  if (!sub) {
    fprintf(stderr, "lanthanide admin: unknown subcommand '%s'\n\n",
            ui_clean(argv[1]));
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  static const struct option longopts[] = {
      {"server", required_argument, NULL, O_SERVER},
      {"timeout", required_argument, NULL, O_TIMEOUT},
      {"json", no_argument, NULL, O_JSON},
      {"help", no_argument, NULL, O_HELP},
      {"session", required_argument, NULL, O_SESSION},
      {"admin-token", required_argument, NULL, O_ADMIN},
      {"map", required_argument, NULL, O_MAP},
      {"name", required_argument, NULL, O_NAME},
      {"seed", required_argument, NULL, O_SEED},
      {"turns", required_argument, NULL, O_TURNS},
      {"turn-seconds", required_argument, NULL, O_TURN_S},
      {"spectators", no_argument, NULL, O_SPECTATORS},
      {"fixed", no_argument, NULL, O_FIXED},
      {"seat", required_argument, NULL, O_SEAT},
      {"strategy", required_argument, NULL, O_STRATEGY},
      {"all-empty", no_argument, NULL, O_EMPTY},
      {"to", required_argument, NULL, O_TO},
      {"start", no_argument, NULL, O_START},
      {"purge", no_argument, NULL, O_PURGE},
      {"force", no_argument, NULL, O_FORCE},
      {"review", no_argument, NULL, O_REVIEW},
      {"amendments", required_argument, NULL, O_AMEND},
      {"turn", required_argument, NULL, O_TURN},
      {"no-scripted-events", no_argument, NULL, O_NO_SCRIPTED},
      {"kind", required_argument, NULL, O_KIND},
      {"nation", required_argument, NULL, O_NATION},
      {"facility", required_argument, NULL, O_FACILITY},
      {"product", required_argument, NULL, O_PRODUCT},
      {"stage", required_argument, NULL, O_STAGE},
      {"magnitude", required_argument, NULL, O_MAGNITUDE},
      {"duration", required_argument, NULL, O_DURATION},
      {"text", required_argument, NULL, O_TEXT},
      {"policy", required_argument, NULL, O_POLICY},
      {"event", required_argument, NULL, O_EVENT},
      {"note", required_argument, NULL, O_NOTE},
      {"inject", required_argument, NULL, O_INJECT},
      {"scripted", required_argument, NULL, O_SCRIPTED},
      {"channel", required_argument, NULL, O_CHANNEL},
      {NULL, 0, NULL, 0}};
  admin_opts_t o = {.conn = *dflt};
  int sargc = argc - 1;
  char **sargv = argv + 1;
  int ch, idx;
  optind = 0; /* glibc: start a fresh scan of this argv */
  opterr = 0;
  while ((ch = getopt_long(sargc, sargv, "h", longopts, &idx)) != -1) {
    if (ch == 'h')
      ch = O_HELP;
    if (ch == '?' || ch == ':') {
      fprintf(stderr, "lanthanide admin %s: %s option '%s'\n\n", sub->name,
              optopt ? "missing value for" : "unknown",
              ui_clean(sargv[optind - 1]));
      sub_usage(stderr, sub);
      return UI_EXIT_USAGE;
    }
    if (!(BIT(ch) & (COMMON | sub->allowed))) {
      fprintf(stderr, "lanthanide admin %s: does not take --%s\n\n", sub->name,
              longopts[idx].name);
      sub_usage(stderr, sub);
      return UI_EXIT_USAGE;
    }
    char *end;
    switch (ch) {
    case O_HELP:
      sub_usage(stdout, sub);
      return UI_EXIT_OK;
    case O_SERVER:
      o.conn.server = optarg;
      break;
    case O_TIMEOUT:
      if (ui_parse_timeout(optarg, &o.conn.timeout_ms) != 0)
        return UI_EXIT_USAGE;
      break;
    case O_JSON:
      o.json = true;
      break;
    case O_SESSION:
      o.session = optarg;
      break;
    case O_ADMIN:
      o.admin_token = optarg;
      break;
    case O_MAP:
      o.map = optarg;
      break;
    case O_NAME:
      o.name = optarg;
      break;
    case O_SEED:
      errno = 0;
      o.seed = strtoull(optarg, &end, 10);
      if (*end || errno || optarg[0] == '-' || o.seed > (uint64_t)INT64_MAX) {
        fprintf(stderr,
                "lanthanide admin %s: --seed must be a whole number from 0 "
                "to 9223372036854775807\n",
                sub->name);
        return UI_EXIT_USAGE;
      }
      o.has_seed = true;
      break;
    case O_TURNS:
      o.turns = strtol(optarg, &end, 10);
      if (*end || o.turns < 1 || o.turns > 100000) {
        fprintf(stderr, "lanthanide admin create: --turns must be a whole "
                        "number of turns, at least 1\n");
        return UI_EXIT_USAGE;
      }
      o.has_turns = true;
      break;
    case O_TURN_S:
      if (parse_seconds(optarg, &o.turn_s) != 0) {
        fprintf(stderr, "lanthanide admin create: --turn-seconds must be a "
                        "duration such as 90, 90s, 2m or 1h (0: none)\n");
        return UI_EXIT_USAGE;
      }
      o.has_turn_s = true;
      break;
    case O_SPECTATORS:
      o.spectators = true;
      break;
    case O_FIXED:
      o.fixed = true;
      break;
    case O_SEAT:
      o.seats = optarg;
      break;
    case O_STRATEGY:
      o.strategy = optarg;
      break;
    case O_EMPTY:
      o.all_empty = true;
      break;
    case O_TO:
      o.to = optarg;
      break;
    case O_START:
      o.start = true;
      break;
    case O_PURGE:
      o.purge = true;
      break;
    case O_FORCE:
      o.force = true;
      break;
    case O_REVIEW:
      o.review = true;
      break;
    case O_AMEND:
      o.amendments = optarg;
      break;
    case O_TURN:
      o.turn = strtol(optarg, &end, 10);
      if (*end || optarg[0] == '\0' || o.turn < 0 || o.turn > 100000) {
        fprintf(stderr,
                "lanthanide admin %s: --turn must be a turn number, "
                "0 or more\n",
                sub->name);
        return UI_EXIT_USAGE;
      }
      o.has_turn = true;
      break;
    case O_NO_SCRIPTED:
      o.no_scripted = true;
      break;
    case O_KIND:
      o.kind = optarg;
      break;
    case O_NATION:
      o.nation = optarg;
      break;
    case O_FACILITY:
      o.facility = optarg;
      break;
    case O_PRODUCT:
      o.product = optarg;
      break;
    case O_STAGE:
      o.stage = optarg;
      break;
    case O_TEXT:
      o.text = optarg;
      break;
    case O_POLICY:
      o.policy = optarg;
      break;
    case O_EVENT:
      o.event = optarg;
      break;
    case O_NOTE:
      o.note = optarg;
      break;
    case O_CHANNEL:
      o.channel = optarg;
      break;
    case O_MAGNITUDE:
      errno = 0;
      o.magnitude = strtod(optarg, &end);
      if (*end || optarg[0] == '\0' || errno || !isfinite(o.magnitude) ||
          o.magnitude < 0) {
        fprintf(stderr,
                "lanthanide admin %s: --magnitude must be a share, 0 or more "
                "(0.3 is 30%% of capacity lost or demand added)\n",
                sub->name);
        return UI_EXIT_USAGE;
      }
      o.has_magnitude = true;
      break;
    case O_DURATION:
      o.duration = strtol(optarg, &end, 10);
      if (*end || optarg[0] == '\0' || o.duration < 1 || o.duration > 100000) {
        fprintf(stderr,
                "lanthanide admin %s: --duration must be a number of turns, "
                "1 or more\n",
                sub->name);
        return UI_EXIT_USAGE;
      }
      o.has_duration = true;
      break;
    case O_INJECT:
    case O_SCRIPTED: {
      long v = strtol(optarg, &end, 10);
      if (*end || optarg[0] == '\0' || v < 0 || v > 1000000000) {
        fprintf(stderr,
                "lanthanide admin %s: --%s must be a number from `admin "
                "events` (an inject's ID or a scripted event's INDEX)\n",
                sub->name, ch == O_INJECT ? "inject" : "scripted");
        return UI_EXIT_USAGE;
      }
      if (ch == O_INJECT)
        o.inject = v, o.has_inject = true;
      else
        o.scripted = v, o.has_scripted = true;
      break;
    }
    }
  }
  int nargs = sargc - optind;
  char **args = sargv + optind;
  if (nargs < sub->min_args || nargs > sub->max_args) {
    fprintf(stderr, "lanthanide admin %s: %s\n\n", sub->name,
            nargs < sub->min_args ? "missing arguments"
                                  : "unexpected arguments");
    sub_usage(stderr, sub);
    return UI_EXIT_USAGE;
  }
  if (sub->run == run_create && !o.map) {
    fprintf(stderr, "lanthanide admin create: give --map MAP (`lanthanide "
                    "maps` lists them)\n");
    return UI_EXIT_USAGE;
  }
  if (sub->allowed & BIT(O_SESSION) && sub->allowed & BIT(O_ADMIN)) {
    o.admin_token = ui_secret(o.admin_token, "LANTHANIDE_ADMIN_TOKEN");
    if (!o.session || !o.admin_token) {
      fprintf(stderr,
              "lanthanide admin %s: give --session ID and --admin-token "
              "TOKEN (both printed by `lanthanide admin create`)\n",
              sub->name);
      return UI_EXIT_USAGE;
    }
  }
  cli_conn_t *c = ui_connect(&o.conn);
  if (!c)
    return UI_EXIT_FAIL;
  int rc = sub->run(c, &o, nargs, args);
  cli_close(c);
  return rc;
}
