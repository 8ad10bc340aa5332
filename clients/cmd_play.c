/*
 * `lanthanide play`: the interactive terminal client for one seat.
 *
 * It joins a session with a join code (or reconnects with the seat's
 * token), then runs a prompt loop that polls stdin and the socket together:
 * notifications (a turn resolved, chat, the game paused...) are printed as
 * they arrive, with the line being typed hidden first and redrawn after
 * (cli_prompt.h). Orders are collected locally and sent as one submission,
 * because orders.submit replaces the seat's earlier submission for the
 * turn: the list is what the server will hold after the next `submit`.
 *
 * Turns are shown counted from 1 (the wire counts from 0).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_prompt.h"
#include "cli_view.h"
#include "cmds.h"
#include "play_orders.h"

#define MAX_ARGS 32
/* Warn a player who is not ready this long before the deadline. */
#define WARN_MS 30000

typedef struct play {
  ui_conn_opts_t conn;
  cli_conn_t *c; /* NULL while disconnected */
  const char *session, *name;
  char *token, *seat;
  prompt_t *in;
  json_t *obs;          /* the last state.get answer (NULL before one) */
  long long obs_at;     /* ui_now_ms() when it arrived */
  json_t *seats;        /* session.list's seats: titles, who plays them */
  long session_turns;   /* session.list's turns (a session may be shorter
                           than its map, which state.get's `turns` gives) */
  play_orders_t orders; /* the local order list (play_orders.h) */
  bool sent;            /* the list was submitted this turn */
  bool ready;           /* said ready for the open turn */
  bool warned;          /* the deadline warning was given */
  bool quit;
  char prompt[128];
  json_t *notes;                /* notifications taken from the connection */
  json_t *last_prices;          /* world prices of the previous resolved turn */
  long long retry_at, retry_ms; /* reconnecting */
} play_t;

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

/* ---- Talking to the server ----------------------------------------------- */

/* Move the connection's queued notifications into p->notes, so that they
 * survive the connection being closed. */
static void take_notes(play_t *p) {
  char *method;
  json_t *params;
  while (p->c && cli_next_notification(p->c, &method, &params) == 1) {
    json_array_append_new(
        p->notes, json_pack("{s:s, s:o}", "method", method, "params", params));
    free(method);
  }
}

static void lost(play_t *p) {
  take_notes(p);
  cli_close(p->c);
  p->c = NULL;
  p->retry_ms = 1000;
  p->retry_at = ui_now_ms() + p->retry_ms;
  printf("The connection to the server was lost; reconnecting (your orders "
         "on the server are safe).\n");
}

static void print_error(const json_t *err) {
  const char *field = ui_str(err, "field");
  printf("error: %s: %s", ui_clean(ui_str(err, "code")),
         ui_clean(ui_str(err, "message")));
  if (field[0])
    printf(" (field '%s')", ui_clean(field));
  putchar('\n');
}

/* {session, token} plus the caller's fields. */
static json_t *args(const play_t *p) {
  return json_pack("{s:s, s:s}", "session", p->session, "token", p->token);
}

/* Call a method; params is stolen. 0 with *result (caller owns), 1 after
 * printing the server's error, -1 when not connected. */
static int rpc(play_t *p, const char *method, json_t *params, json_t **result) {
  *result = NULL;
  if (!p->c) {
    printf("Not connected to the server (reconnecting; `quit` to leave).\n");
    json_decref(params);
    return -1;
  }
  json_t *err = NULL;
  fflush(stdout);
  int rc = cli_call_json(p->c, method, params, result, &err);
  json_decref(params);
  take_notes(p);
  if (rc == 1) {
    print_error(err);
    json_decref(err);
    return 1;
  }
  if (rc < 0) {
    lost(p);
    return -1;
  }
  return 0;
}

/* Fetch the observation again (quietly). */
static int refresh(play_t *p) {
  json_t *r;
  if (rpc(p, "state.get", args(p), &r) != 0)
    return -1;
  json_decref(p->obs);
  p->obs = r;
  p->obs_at = ui_now_ms();
  return 0;
}

static void refresh_seats(play_t *p) {
  json_t *r, *err = NULL;
  if (!p->c)
    return;
  fflush(stdout);
  int rc = cli_list_sessions(p->c, &r, &err);
  take_notes(p);
  if (rc == 1) {
    print_error(err);
    json_decref(err);
  }
  if (rc < 0)
    lost(p);
  if (rc != 0)
    return;
  size_t i;
  json_t *s;
  json_array_foreach(r, i, s) {
    if (strcmp(ui_str(s, "session"), p->session) == 0) {
      json_decref(p->seats);
      p->seats = json_incref(json_object_get(s, "seats"));
      p->session_turns = (long)ui_num(s, "turns", 0);
    }
  }
  json_decref(r);
}

/* ---- What the observation says ------------------------------------------- */

static const char *status(const play_t *p) {
  const char *s = ui_str(p->obs, "status");
  return s[0] ? s : "unknown";
}

static long turn_shown(const play_t *p) {
  return (long)ui_num(p->obs, "turn", 0) + 1;
}

static long turns(const play_t *p) {
  return p->session_turns > 0 ? p->session_turns
                              : (long)ui_num(p->obs, "turns", 0);
}

/* Milliseconds left in the open turn, or -1 without a deadline. */
static double remaining(const play_t *p) {
  const json_t *r = json_object_get(p->obs, "remaining_ms");
  if (!json_is_number(r))
    return -1;
  double left = json_number_value(r);
  if (strcmp(status(p), "running") == 0)
    left -= (double)(ui_now_ms() - p->obs_at);
  return left > 0 ? left : 0;
}

static const char *seat_title(const play_t *p, const char *seat) {
  size_t i;
  json_t *s;
  json_array_foreach(p->seats, i, s) {
    if (strcmp(ui_str(s, "seat"), seat) == 0)
      return ui_str(s, "title");
  }
  return "";
}

static bool is_nation(const play_t *p) {
  return strcmp(ui_str(p->obs, "kind"), "nation") == 0;
}

/* "turn 4 of 16, running, 1:42 left" */
static const char *turn_line(const play_t *p) {
  char *b = ui_buf();
  const char *st = status(p);
  double left = remaining(p);
  if (strcmp(st, "finished") == 0) {
    snprintf(b, 1024, "the game is finished (%ld turns)", turns(p));
    return b;
  }
  int n = snprintf(b, 1024, "turn %ld of %ld, %s", turn_shown(p), turns(p),
                   strcmp(st, "lobby") == 0 ? "waiting for the start" : st);
  if (left >= 0 && n > 0)
    snprintf(b + n, 1024 - (size_t)n, ", %s left%s", ui_duration(left),
             strcmp(st, "paused") == 0 ? " when it resumes" : "");
  else if (strcmp(st, "running") == 0 && n > 0)
    snprintf(b + n, 1024 - (size_t)n,
             ", no deadline (it ends when every seat is ready)");
  return b;
}

static void update_prompt(play_t *p) {
  char prompt[128];
  const char *st = status(p);
  if (!p->c)
    snprintf(prompt, sizeof prompt, "%s (offline)> ", p->seat);
  else if (strcmp(st, "finished") == 0)
    snprintf(prompt, sizeof prompt, "%s (game over)> ", p->seat);
  else if (strcmp(st, "lobby") == 0)
    snprintf(prompt, sizeof prompt, "%s (lobby)> ", p->seat);
  else
    snprintf(prompt, sizeof prompt, "%s t%ld%s%s> ", p->seat, turn_shown(p),
             strcmp(st, "paused") == 0 ? " paused" : "",
             p->ready ? " ready" : "");
  snprintf(p->prompt, sizeof p->prompt, "%s", ui_clean(prompt));
  prompt_set(p->in, p->prompt);
}

/* ---- state, market, history, who ----------------------------------------- */

static void print_facilities(const json_t *facs) {
  if (json_array_size(facs) == 0) {
    printf("  (none yet: `build` starts one)\n");
    return;
  }
  size_t idw = 8, i;
  json_t *f;
  json_array_foreach(facs, i, f) {
    size_t w = ui_width(ui_str(f, "id"));
    if (w > idw)
      idw = w;
  }
  if (idw > 22)
    idw = 22;
  printf("  %-*s %-10s %10s %5s %-11s %11s %7s %10s\n", (int)idw, "FACILITY",
         "STAGE", "CAP t/yr", "UTIL", "STATUS", "STAFF", "$/kg", "OUTPUT t");
  json_array_foreach(facs, i, f) {
    char st[32], staff[32];
    if (strcmp(ui_str(f, "status"), "building") == 0)
      snprintf(st, sizeof st, "building %ld", (long)ui_num(f, "turns_left", 0));
    else
      snprintf(st, sizeof st, "%s", ui_clean(ui_str(f, "status")));
    snprintf(staff, sizeof staff, "%s/%s", ui_count(ui_num(f, "staff", 0)),
             ui_count(ui_num(f, "staff_needed", 0)));
    printf("  ");
    ui_cell(stdout, ui_clean(ui_str(f, "id")), (int)idw, false);
    char util[16];
    snprintf(util, sizeof util, "%.0f%%", 100 * ui_num(f, "utilisation", 0));
    printf(" %-10s %10s %5s %-11s %11s %7.2f %10s\n",
           ui_clean(ui_str(f, "stage")), ui_count(ui_num(f, "capacity", 0)),
           util, st, staff, ui_num(f, "unit_cost", 0),
           ui_count(ui_num(f, "output", 0)));
  }
}

/* "concentrate 1,200 t · ndpr_oxide 50 t" (non-zero entries). */
static void print_by_key(const json_t *m, bool tonnes) {
  const char *k;
  json_t *v;
  int n = 0;
  json_object_foreach((json_t *)m, k, v) {
    double x = ui_val(v, 0);
    if (x == 0)
      continue;
    printf("%s%s %s", n++ ? " \u00b7 " : "", ui_clean(k),
           tonnes ? ui_tonnes(x) : ui_count(x));
  }
  if (n == 0)
    printf("none");
}

static void print_state(play_t *p) {
  const json_t *you = json_object_get(p->obs, "you");
  const json_t *market = json_object_get(p->obs, "market");
  const json_t *pub = json_object_get(p->obs, "public");
  const char *title = seat_title(p, p->seat);
  printf("%s%s%s (%s), session %s\n", ui_clean(p->seat), title[0] ? ": " : "",
         ui_clean(title), ui_clean(ui_str(p->obs, "kind")),
         ui_clean(p->session));
  const char *tl = turn_line(p);
  printf("%c%s\n", tl[0] >= 'a' && tl[0] <= 'z' ? tl[0] - 'a' + 'A' : tl[0],
         tl + 1);
  printf("Cash %s", ui_money(ui_num(you, "cash", 0)));
  if (is_nation(p))
    printf("    Budget %s", ui_money(ui_num(you, "budget", 0)));
  printf("\n\nFacilities\n");
  print_facilities(json_object_get(you, "facilities"));
  printf("\nInventory  ");
  print_by_key(json_object_get(you, "inventory"), true);
  printf("\nStaff      ");
  print_by_key(json_object_get(you, "staff"), false);
  printf("   (in training: ");
  print_by_key(json_object_get(you, "in_training"), false);
  printf(")\n");
  if (is_nation(p)) {
    const json_t *demand = json_object_get(you, "demand");
    printf("\nDemand        %12s %12s %12s %7s\n", "VOLUME", "PRICE", "MET",
           "MET %");
    const json_t *mp =
        json_object_get(json_object_get(p->obs, "market"), "prices");
    for (size_t i = 0; i < UI_PRODUCTS; i++) {
      if (!ui_shown(mp, ui_products[i]))
        continue;
      const json_t *d = json_object_get(demand, ui_products[i]);
      double vol = ui_num(d, "volume", 0), met = ui_num(d, "met", 0);
      printf("  %-11s %12s %12s %12s %7s\n", view_short(ui_products[i]),
             ui_tonnes(vol), ui_price(ui_num(d, "price", 0)), ui_tonnes(met),
             vol > 0 ? ui_pct(met / vol) : "-");
    }
    printf("\nYour policies\n");
    play_orders_print(json_object_get(you, "policies"), "(none)");
  }
  printf("\nOrders the server holds for this turn\n");
  play_orders_print(json_object_get(you, "orders"),
                    "(none: your standing orders apply)");
  printf("Standing offers and bids (they carry over until changed)\n");
  play_orders_print(json_object_get(you, "standing"), "(none)");
  size_t np = json_array_size(p->orders.pending);
  if (np > 0)
    printf("Your list here: %zu order%s%s (`orders` shows them)\n", np,
           np == 1 ? "" : "s",
           p->orders.dirty ? ", NOT SENT: `submit` sends them" : ", sent");
  printf("\nMarket, last turn\n");
  view_price_table(stdout, json_object_get(market, "prices"),
                   json_object_get(market, "regional"),
                   json_object_get(market, "volumes"));
  printf("\nScores\n");
  view_scores(stdout, json_object_get(pub, "scores"), p->seat, NULL, 0, 0);
  const json_t *events = json_object_get(pub, "events");
  if (json_array_size(events) > 0) {
    printf("\nNews\n");
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
        printf("  - %s\n", ui_clean(ui_str(e, "text")));
  }
}

static json_t *fetch_history(play_t *p) {
  json_t *r;
  if (rpc(p, "history.get", args(p), &r) != 0)
    return NULL;
  return r;
}

static void print_market(play_t *p, json_t *history) {
  const json_t *market = json_object_get(p->obs, "market");
  printf("Market after the last resolved turn (prices in $/kg)\n");
  view_price_table(stdout, json_object_get(market, "prices"),
                   json_object_get(market, "regional"),
                   json_object_get(market, "volumes"));
  if (json_array_size(history) > 1) {
    printf("\nWorld price, last %zu turns\n",
           json_array_size(history) < 24 ? json_array_size(history) : 24);
    for (size_t i = 0; i < UI_PRODUCTS; i++) {
      if (!ui_shown(json_object_get(market, "prices"), ui_products[i]))
        continue;
      double v[24];
      size_t n = view_series(history, "prices", ui_products[i], v, 24);
      double lo = INFINITY, hi = -INFINITY;
      for (size_t k = 0; k < n; k++)
        if (!isnan(v[k])) {
          lo = fmin(lo, v[k]);
          hi = fmax(hi, v[k]);
        }
      printf("  %-7s %s  %.2f..%.2f\n", view_short(ui_products[i]),
             ui_spark(v, n), lo, hi);
    }
  }
}

static void print_history(play_t *p, json_t *history) {
  if (json_array_size(history) == 0) {
    printf("No turn has been resolved yet.\n");
    return;
  }
  printf("World prices ($/kg) and your score, by turn\n");
  printf("  %4s", "TURN");
  const json_t *sel = json_object_get(
      json_array_get(history, json_array_size(history) - 1), "prices");
  for (size_t i = 0; i < UI_PRODUCTS; i++)
    if (ui_shown(sel, ui_products[i]))
      printf(" %9s", view_short(ui_products[i]));
  printf(" %8s %6s\n", "SCORE", "RANK");
  size_t i;
  json_t *h;
  json_array_foreach(history, i, h) {
    const json_t *prices = json_object_get(h, "prices");
    printf("  %4ld", (long)ui_num(h, "turn", 0) + 1);
    for (size_t k = 0; k < UI_PRODUCTS; k++)
      if (ui_shown(sel, ui_products[k]))
        printf(" %9.2f", ui_num(prices, ui_products[k], NAN));
    int of, rank = view_rank(json_object_get(h, "scores"), p->seat, &of);
    double score = NAN;
    size_t j;
    json_t *s;
    json_array_foreach(json_object_get(h, "scores"), j, s) {
      if (strcmp(ui_str(s, "seat"), p->seat) == 0)
        score = ui_num(s, "score", NAN);
    }
    printf(" %8.3f %3d/%-2d\n", score, rank, of);
  }
  double v[64];
  size_t n = view_series(history, "scores", p->seat, v, 64);
  printf("  your score %s\n", ui_spark(v, n));
}

static void print_who(play_t *p) {
  refresh_seats(p);
  printf("%-20s %-7s %-26s %s\n", "SEAT", "KIND", "TITLE", "PLAYED BY");
  size_t i;
  json_t *s;
  json_array_foreach(p->seats, i, s) {
    const char *agent = ui_str(s, "agent");
    char by[80];
    if (agent[0])
      snprintf(by, sizeof by, "bot (%s)", ui_clean(agent));
    else if (ui_bool(s, "seatless")) /* issue 11 */
      snprintf(by, sizeof by, "standing orders");
    else
      snprintf(by, sizeof by, "%s", ui_bool(s, "taken") ? "player" : "(empty)");
    ui_cell(stdout, ui_clean(ui_str(s, "seat")), 20, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "kind")), 7, false);
    putchar(' ');
    ui_cell(stdout, ui_clean(ui_str(s, "title")), 26, false);
    printf(" %s%s\n", by,
           strcmp(ui_str(s, "seat"), p->seat) == 0 ? "  <- you" : "");
  }
}

/* ---- Orders (play_orders.c) ---------------------------------------------- */

/* build, operate, hire, train, offer, bid and policy. */
static void c_order(play_t *p, int argc, char **argv) {
  play_orders_command(&p->orders, p->obs, argc, argv);
}

/* ---- The list, submit, ready --------------------------------------------- */

static void c_orders(play_t *p, int argc, char **argv) {
  size_t n = json_array_size(p->orders.pending);
  if (n == 0) {
    printf("Your list is empty. Add orders (build, operate, hire, train, "
           "offer, bid, policy), then `submit`.\n");
    return;
  }
  printf("Your list for turn %ld (%s):\n", turn_shown(p),
         p->orders.dirty ? "not sent yet: `submit` sends it"
                         : "sent; the server holds it");
  play_orders_print(p->orders.pending, "");
}

static void c_clear(play_t *p, int argc, char **argv) {
  play_orders_clear(&p->orders);
  printf("The list is empty.%s\n",
         p->sent ? " What you sent earlier this turn still stands on the "
                   "server; `submit` the empty list to withdraw it."
                 : "");
}

static void c_drop(play_t *p, int argc, char **argv) {
  play_orders_drop(&p->orders, argc, argv);
}

static int submit(play_t *p) {
  json_t *a = args(p), *r;
  size_t n = json_array_size(p->orders.pending);
  json_object_set_new(a, "orders", json_deep_copy(p->orders.pending));
  if (rpc(p, "orders.submit", a, &r) != 0)
    return -1;
  json_t *rej = json_object_get(r, "rejected");
  size_t nr = json_array_size(rej);
  if (n == 0)
    printf("Sent an empty list for turn %ld: whatever you sent before this "
           "turn is withdrawn and your standing orders apply.\n",
           (long)ui_num(r, "turn", 0) + 1);
  else
    printf("Sent %zu order%s for turn %ld: %zu accepted, %zu refused.\n", n,
           n == 1 ? "" : "s", (long)ui_num(r, "turn", 0) + 1, n - nr, nr);
  json_t *x;
  size_t i;
  json_array_foreach(rej, i, x) {
    size_t idx = (size_t)ui_num(x, "index", -1);
    const char *field = ui_str(x, "field");
    const char *msg = ui_str(x, "message");
    /* Name the field unless the message already does. */
    char quoted[80];
    snprintf(quoted, sizeof quoted, "'%s'", field);
    bool named = !field[0] || strstr(msg, quoted);
    printf("  refused #%zu %s\n      %s%s%s%s\n", idx + 1,
           idx < n ? view_order(json_array_get(p->orders.pending, idx)) : "",
           named ? "" : "field '", named ? "" : ui_clean(field),
           named ? "" : "': ", ui_clean(msg));
  }
  /* Refused orders are not part of the submission: take them out of the
   * list too, so that it keeps matching what the server holds. */
  play_orders_remove_refused(&p->orders, rej);
  if (nr > 0)
    printf("The refused orders were taken out of your list; fix them and "
           "add them again.\n");
  p->orders.dirty = false;
  p->sent = true;
  json_decref(r);
  refresh(p);
  return 0;
}

static void c_submit(play_t *p, int argc, char **argv) {
  if (submit(p) == 0 && !p->ready)
    printf("Type `ready` when you are done with this turn.\n");
}

static void c_ready(play_t *p, int argc, char **argv) {
  if (p->orders.dirty && json_array_size(p->orders.pending) > 0) {
    printf("Sending your list first.\n");
    if (submit(p) != 0)
      return;
  }
  json_t *r;
  if (rpc(p, "turn.ready", args(p), &r) != 0)
    return;
  p->ready = true;
  json_t *waiting = json_object_get(r, "waiting");
  if (json_array_size(waiting) == 0) {
    printf("Ready for turn %ld. Everyone is ready: the turn resolves now.\n",
           (long)ui_num(r, "turn", 0) + 1);
  } else {
    printf("Ready for turn %ld. Waiting for:", (long)ui_num(r, "turn", 0) + 1);
    size_t i;
    json_t *w;
    json_array_foreach(waiting, i, w) {
      printf("%s %s", i ? "," : "", ui_clean(json_string_value(w)));
    }
    printf("\n");
  }
  json_decref(r);
}

/* ---- Channels and negotiation over the wire (issue 13) -------------------
 * docs/cli.md "Playing": chat to a channel, open one, read its messages;
 * propose, counter, accept or withdraw a contract at once instead of with
 * an order that waits for the turn. */

/* "all", a seat, "press", "control" (this seat's control:SEAT channel) or
 * a channel id (team:SEAT, control:SEAT, dm:A:B, ch:N). */
static void c_chat(play_t *p, int argc, char **argv, const char *rest) {
  if (argc < 3 || !rest) {
    printf("usage: chat all|SEAT|press|control|CHANNEL TEXT...   (`who` "
           "lists the seats, `channels` the channels)\n");
    return;
  }
  json_t *a = args(p), *r;
  const char *to = argv[1];
  char chan[160];
  if (strcmp(to, "control") == 0) {
    snprintf(chan, sizeof chan, "control:%s", p->seat);
    json_object_set_new(a, "channel", json_string(chan));
  } else if (strcmp(to, "press") == 0 || strchr(to, ':')) {
    json_object_set_new(a, "channel", json_string(to));
  } else {
    json_object_set_new(a, "to", json_string(to));
  }
  json_object_set_new(a, "text", json_string(rest));
  /* The server echoes the message back to its sender as chat.message, so a
   * sent message shows once, in order with the others. */
  if (rpc(p, "chat.send", a, &r) == 0)
    json_decref(r);
}

static void print_channel(const json_t *ch) {
  printf("  ");
  ui_cell(stdout, ui_clean(ui_str(ch, "channel")), 22, false);
  printf(" ");
  ui_cell(stdout, ui_clean(ui_str(ch, "kind")), 12, false);
  printf(" ");
  ui_cell(stdout, ui_clean(ui_str(ch, "title")), 26, false);
  const char *k = ui_str(ch, "kind");
  if (strcmp(k, "all") == 0 || strcmp(k, "press") == 0) {
    printf(" everyone\n");
    return;
  }
  size_t i;
  json_t *m;
  putchar(' ');
  json_array_foreach(json_object_get(ch, "members"), i, m)
      printf(i ? ",%s" : "%s", ui_clean(json_string_value(m)));
  putchar('\n');
}

static void c_channels(play_t *p, int argc, char **argv) {
  json_t *r;
  if (rpc(p, "channels.list", args(p), &r) != 0)
    return;
  printf("Your channels (`chat CHANNEL TEXT` posts; a seat's direct channel "
         "is `chat SEAT TEXT`):\n");
  size_t i;
  json_t *ch;
  json_array_foreach(r, i, ch) print_channel(ch);
  json_decref(r);
}

/* channel SEAT[,SEAT...] [TITLE...] */
static void c_channel(play_t *p, int argc, char **argv, const char *rest) {
  if (argc < 2) {
    printf("usage: channel SEAT[,SEAT...] [TITLE...]   (opens a channel "
           "between you and those seats)\n");
    return;
  }
  json_t *a = args(p), *members = json_array(), *r;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", argv[1]);
  for (char *save, *t = strtok_r(buf, ",", &save); t;
       t = strtok_r(NULL, ",", &save))
    json_array_append_new(members, json_string(t));
  json_object_set_new(a, "members", members);
  if (rest)
    json_object_set_new(a, "title", json_string(rest));
  if (rpc(p, "channel.open", a, &r) != 0)
    return;
  printf("Opened %s; post with: chat %s TEXT\n", ui_clean(ui_str(r, "channel")),
         ui_clean(ui_str(r, "channel")));
  json_decref(r);
}

/* messages [CHANNEL]: the last 20 messages this seat may read. */
static void c_messages(play_t *p, int argc, char **argv) {
  json_t *all = json_array();
  long long after = 0;
  for (;;) {
    json_t *a = args(p), *r;
    if (argc > 1)
      json_object_set_new(a, "channel", json_string(argv[1]));
    json_object_set_new(a, "after", json_integer(after));
    if (rpc(p, "chat.history", a, &r) != 0) {
      json_decref(all);
      return;
    }
    if (ui_history_page(all, r, &after) == 0)
      break;
  }
  size_t n = json_array_size(all);
  if (n == 0)
    printf("No messages yet.\n");
  for (size_t i = n > 20 ? n - 20 : 0; i < n; i++) {
    const json_t *m = json_array_get(all, i);
    /* Turns as the prompt shows them: 1 is the first. */
    printf("  t%lld [%s] %s: %s\n",
           (long long)json_integer_value(json_object_get(m, "turn")) + 1,
           ui_clean(ui_str(m, "channel")), ui_clean(ui_str(m, "from")),
           ui_clean(ui_str(m, "text")));
  }
  json_decref(all);
}

/* key=value words into a, numbers as numbers. -1 (said) on a bad word. */
static int terms_into(json_t *a, int argc, char **argv, int from) {
  for (int i = from; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq || eq == argv[i]) {
      printf("'%s' is not key=value (product=ndpr quantity=100 price=60 "
             "turns=4 penalty=10 [side=buy] [id=ID])\n",
             ui_clean(argv[i]));
      return -1;
    }
    *eq = '\0';
    const char *v = eq + 1;
    char *end;
    long long iv = strtoll(v, &end, 10);
    if (*v && !*end) {
      json_object_set_new(a, argv[i], json_integer(iv));
      continue;
    }
    double dv = strtod(v, &end);
    if (*v && !*end && isfinite(dv))
      json_object_set_new(a, argv[i], json_real(dv));
    else
      json_object_set_new(a, argv[i], json_string(v));
  }
  return 0;
}

static void print_step(const json_t *r) {
  printf("Negotiation %s: %s", ui_clean(ui_str(r, "negotiation")),
         ui_clean(ui_str(r, "status")));
  if (json_is_integer(json_object_get(r, "turn")))
    printf(", the contract delivers from turn %lld",
           (long long)json_integer_value(json_object_get(r, "turn")) + 1);
  printf(".\n");
}

/* propose SEAT key=value... | counter N key=value... */
static void c_propose(play_t *p, int argc, char **argv) {
  bool counter = strcmp(argv[0], "counter") == 0;
  if (argc < 3) {
    printf("usage: %s %s product=P quantity=T price=USD turns=N penalty=USD "
           "[side=buy] [id=ID]\n",
           argv[0], counter ? "NEGOTIATION" : "SEAT");
    return;
  }
  json_t *a = args(p), *r;
  json_object_set_new(a, counter ? "negotiation" : "to", json_string(argv[1]));
  if (terms_into(a, argc, argv, 2) != 0) {
    json_decref(a);
    return;
  }
  if (rpc(p, counter ? "contract.counter" : "contract.propose", a, &r) != 0)
    return;
  print_step(r);
  json_decref(r);
}

/* accept N | withdraw N */
static void c_settle(play_t *p, int argc, char **argv) {
  if (argc != 2) {
    printf("usage: %s NEGOTIATION   (`negotiations` lists them)\n", argv[0]);
    return;
  }
  json_t *a = args(p), *r;
  json_object_set_new(a, "negotiation", json_string(argv[1]));
  bool accept = strcmp(argv[0], "accept") == 0;
  if (rpc(p, accept ? "contract.accept" : "contract.withdraw", a, &r) != 0)
    return;
  print_step(r);
  json_decref(r);
}

static const char *deal_terms(const json_t *t) {
  static char buf[256];
  bool buy = strcmp(ui_str(t, "side"), "buy") == 0;
  snprintf(buf, sizeof buf, "%s %s %s %s %s at $%.2f/kg for %lld turn%s",
           buy ? "buy" : "sell", ui_tonnes(ui_num(t, "quantity", 0)),
           ui_clean(ui_str(t, "product")), buy ? "from" : "to",
           ui_clean(ui_str(t, "to")), ui_num(t, "price", 0),
           (long long)ui_num(t, "turns", 0),
           ui_num(t, "turns", 0) == 1 ? "" : "s");
  return buf;
}

static void c_negotiations(play_t *p, int argc, char **argv) {
  json_t *r;
  if (rpc(p, "contract.negotiations", args(p), &r) != 0)
    return;
  if (!json_array_size(r))
    printf("No negotiations: `propose SEAT product=... quantity=... "
           "price=... turns=... penalty=...` starts one.\n");
  size_t i;
  json_t *x;
  json_array_foreach(r, i, x) {
    printf("  %s %s <-> %s, %s: %s offers to %s\n",
           ui_clean(ui_str(x, "negotiation")), ui_clean(ui_str(x, "from")),
           ui_clean(ui_str(x, "to")), ui_clean(ui_str(x, "status")),
           ui_clean(ui_str(x, "author")),
           deal_terms(json_object_get(x, "terms")));
  }
  json_decref(r);
}

/* ---- Help and the command table ------------------------------------------ */

typedef struct command {
  const char *name, *usage, *help;
  void (*fn)(play_t *p, int argc, char **argv);
} command_t;

static void c_help(play_t *p, int argc, char **argv);

static void c_state(play_t *p, int argc, char **argv) {
  if (refresh(p) == 0)
    print_state(p);
}

static void c_market(play_t *p, int argc, char **argv) {
  if (refresh(p) != 0)
    return;
  json_t *h = fetch_history(p);
  print_market(p, h);
  json_decref(h);
}

/* The story's moves the map offers this seat (you.choices, issue 11):
 * `moves` lists them, `take ID` adds one's orders to the list. */
static const json_t *find_move(const json_t *moves, const char *id) {
  size_t i;
  json_t *c;
  json_array_foreach(moves, i, c) {
    if (strcmp(ui_str(c, "id"), id) == 0)
      return c;
  }
  return NULL;
}

static void c_moves(play_t *p, int argc, char **argv) {
  if (refresh(p) != 0)
    return;
  const json_t *moves =
      json_object_get(json_object_get(p->obs, "you"), "choices");
  if (strcmp(argv[0], "take") == 0) {
    const json_t *c = argc == 2 ? find_move(moves, argv[1]) : NULL;
    if (!c) {
      printf("usage: take ID, where ID is one of the moves `moves` lists%s\n",
             json_array_size(moves) ? "" : " (this seat has none)");
      return;
    }
    play_orders_take(&p->orders, json_object_get(c, "orders"));
    printf("`orders` shows the list; `submit` sends it.\n");
    return;
  }
  if (json_array_size(moves) == 0) {
    printf("The map offers this seat no moves of its story.\n");
    return;
  }
  if (argc == 2) { /* one move in full: its note, sources and orders */
    const json_t *c = find_move(moves, argv[1]);
    if (!c) {
      printf("usage: moves [ID], where ID is one of the moves `moves` "
             "lists\n");
      return;
    }
    const char *src = ui_str(c, "sources");
    printf("%s\n  %s%s%s%s\n", ui_clean(ui_str(c, "id")),
           ui_clean(ui_str(c, "note")), src[0] ? " [" : "", ui_clean(src),
           src[0] ? "]" : "");
    play_orders_print(json_object_get(c, "orders"), "(none)");
    printf("`take %s` adds these orders to your list.\n",
           ui_clean(ui_str(c, "id")));
    return;
  }
  printf("The story's moves this seat may make (`moves ID` shows one, "
         "`take ID` adds its orders to your list)\n");
  size_t i;
  json_t *c;
  json_array_foreach(moves, i, c) {
    const char *note = ui_str(c, "note");
    size_t n = json_array_size(json_object_get(c, "orders"));
    printf("  %-22s %zu order%s  %.50s%s\n", ui_clean(ui_str(c, "id")), n,
           n == 1 ? " " : "s", ui_clean(note), strlen(note) > 50 ? "..." : "");
  }
}

/* The deposits (where a mine may be built) and the costs of building, from
 * public.deposits and public.rules of the observation. */
static void c_sites(play_t *p, int argc, char **argv) {
  if (refresh(p) != 0)
    return;
  const json_t *pub = json_object_get(p->obs, "public");
  const json_t *deps = json_object_get(pub, "deposits");
  const json_t *stages =
      json_object_get(json_object_get(pub, "rules"), "stages");
  bool firm = strcmp(json_string_value(json_object_get(p->obs, "kind"))
                         ? json_string_value(json_object_get(p->obs, "kind"))
                         : "",
                     "firm") == 0;
  printf("Deposits%s\n",
         firm ? " (build a mine with: build mining CAPACITY SITE)"
              : " (firms build mines; a nation's permitting and subsidy "
                "policies shape what it costs them)");
  printf("  %-18s %-6s %-5s %12s  %5s %5s %5s  %s\n", "SITE", "NATION", "OPEN",
         "RESERVES", "NdPr", "Dy/Tb", "La/Ce", "UNIT COST");
  size_t i;
  json_t *d;
  json_array_foreach(deps, i, d) {
    const json_t *b = json_object_get(d, "basket");
    const json_t *uc = json_object_get(d, "unit_cost");
    char cost[32] = "stage's";
    if (json_is_number(uc))
      snprintf(cost, sizeof cost, "$%.2f/kg", json_number_value(uc));
    printf("  %-18s %-6s %-5s %12s  %4.0f%% %4.1f%% %4.0f%%  %s\n",
           json_string_value(json_object_get(d, "id")),
           json_string_value(json_object_get(d, "nation")),
           json_is_true(json_object_get(d, "open")) ? "yes" : "no",
           ui_tonnes(json_number_value(json_object_get(d, "reserves"))),
           100 * json_number_value(json_object_get(b, "ndpr_oxide")),
           100 * json_number_value(json_object_get(b, "dytb_oxide")),
           100 * json_number_value(json_object_get(b, "lace_oxide")), cost);
  }
  printf("\nBuilding, per stage, before a nation's factors (LEAD in turns "
         "of a quarter; UNIT COST \"stage's\" means the stage's default)\n");
  printf("  %-11s %12s %10s %10s %9s\n", "STAGE", "CAPEX $/t/yr", "LEAD NEW",
         "LEAD EXP", "STAFF/kt");
  const char *name;
  json_t *g;
  json_object_foreach((json_t *)stages, name, g) {
    const json_t *lead = json_object_get(g, "lead_turns");
    printf("  %-11s %12.0f %7.0f tn %7.0f tn %9.0f\n", name,
           json_number_value(json_object_get(g, "capex")),
           json_number_value(json_object_get(lead, "greenfield")),
           json_number_value(json_object_get(lead, "brownfield")),
           json_number_value(json_object_get(g, "staff_per_kt")));
  }
}

static void c_history(play_t *p, int argc, char **argv) {
  json_t *h = fetch_history(p);
  if (h)
    print_history(p, h);
  json_decref(h);
}

static void c_who(play_t *p, int argc, char **argv) {
  print_who(p);
}

static void c_quit(play_t *p, int argc, char **argv) {
  p->quit = true;
}

static const command_t COMMANDS[] = {
    {"state", "state",
     "your position: turn and time left, cash, facilities, stocks, staff, "
     "orders, market, scores",
     c_state},
    {"market", "market", "prices by product and region, and their trend",
     c_market},
    {"build", "build STAGE CAPACITY [SITE|FACILITY]",
     "(firms) build capacity (t/yr): a mine at a deposit SITE (see "
     "`sites`), or expand a FACILITY of yours",
     c_order},
    {"operate", "operate FACILITY UTIL",
     "(firms) run a facility at UTIL (0..1 or 80%); stands until changed",
     c_order},
    {"hire", "hire SKILL N",
     "(firms) hire N people from your nation's pool (negative: release "
     "them)",
     c_order},
    {"train", "train SKILL N", "put N people into training", c_order},
    {"offer", "offer PRODUCT QTY MIN_PRICE",
     "sell up to QTY t this turn at MIN_PRICE $/kg or more; stands", c_order},
    {"bid", "bid PRODUCT QTY MAX_PRICE",
     "buy up to QTY t this turn at MAX_PRICE $/kg or less; stands", c_order},
    {"policy", "policy KIND key=value ...",
     "(nations) set a policy; `policy` alone lists the kinds and their "
     "fields",
     c_order},
    {"grant", "grant firm=F amount=USD",
     "(nations) pay a firm from the budget, once", c_order},
    {"equity", "equity firm=F amount=USD stake=S",
     "(nations) buy a share S of a firm, once", c_order},
    {"loan", "loan firm=F amount=USD rate=R turns=N [grace=N]",
     "(nations) lend to a firm; it repays with interest", c_order},
    {"contract_propose",
     "contract_propose id=ID to=SEAT product=P quantity=T price=USD turns=N "
     "[side=buy] [penalty=USD]",
     "offer a seat a delivery contract (you sell unless side=buy)", c_order},
    {"contract_accept", "contract_accept id=ID from=SEAT",
     "accept a contract offered to you (see `state`)", c_order},
    {"contract_withdraw", "contract_withdraw id=ID [from=SEAT]",
     "withdraw your proposal, or leave a running contract (exit fee)", c_order},
    {"orders", "orders", "show your list of orders", c_orders},
    {"drop", "drop N", "take order N out of the list", c_drop},
    {"clear", "clear", "empty the list", c_clear},
    {"submit", "submit",
     "send the whole list; it replaces what you sent earlier this turn",
     c_submit},
    {"ready", "ready",
     "say you are done with this turn (sends the list first if it changed)",
     c_ready},
    {"chat", "chat all|SEAT|press|control|CHANNEL TEXT...",
     "send a message to everyone, a seat, the press, control, or a channel",
     NULL},
    {"channels", "channels", "the channels you read, with their members",
     c_channels},
    {"channel", "channel SEAT[,SEAT...] [TITLE...]",
     "open a channel between you and those seats", NULL},
    {"messages", "messages [CHANNEL]",
     "the last 20 messages you may read (of one channel)", c_messages},
    {"propose", "propose SEAT product=P quantity=T price=USD turns=N ...",
     "negotiate a contract now (you sell unless side=buy; penalty=USD, "
     "id=ID)",
     c_propose},
    {"counter", "counter NEGOTIATION product=P quantity=T price=USD ...",
     "answer an offer with your own terms (side from your point of view)",
     c_propose},
    {"accept", "accept NEGOTIATION",
     "agree to the offer in force: it delivers from this turn", c_settle},
    {"withdraw", "withdraw NEGOTIATION", "end a negotiation before agreement",
     c_settle},
    {"negotiations", "negotiations",
     "your negotiations: the offer in force and its status", c_negotiations},
    {"history", "history", "prices and your score, turn by turn", c_history},
    {"sites", "sites",
     "the deposits where a mine may be built, and what building costs",
     c_sites},
    {"moves", "moves [ID]",
     "the story's moves the map offers your seat (one with its orders)",
     c_moves},
    {"take", "take ID", "add the orders of one of those moves to your list",
     c_moves},
    {"who", "who", "the seats, and who plays them", c_who},
    {"help", "help", "this list", c_help},
    {"quit", "quit",
     "leave (your seat and orders stay; come back with "
     "--token)",
     c_quit},
};

static const char *const WORDS[] = {"state",
                                    "market",
                                    "build",
                                    "operate",
                                    "hire",
                                    "train",
                                    "offer",
                                    "bid",
                                    "policy",
                                    "orders",
                                    "drop",
                                    "clear",
                                    "submit",
                                    "ready",
                                    "chat",
                                    "history",
                                    "who",
                                    "help",
                                    "quit",
                                    "exit",
                                    "sites",
                                    "grant",
                                    "equity",
                                    "loan",
                                    "contract_propose",
                                    "contract_accept",
                                    "contract_withdraw",
                                    "channels",
                                    "channel",
                                    "messages",
                                    "propose",
                                    "counter",
                                    "accept",
                                    "withdraw",
                                    "negotiations",
                                    "moves",
                                    "take",
                                    NULL};

static void c_help(play_t *p, int argc, char **argv) {
  printf("Commands (Tab completes them):\n");
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
    printf("  ");
    ui_cell(stdout, COMMANDS[i].usage, 37, false);
    printf(" %s\n", COMMANDS[i].help);
  }
  printf(
      "\nHow orders work: build, operate, hire, train, offer, bid and policy "
      "add\nto a list kept here. `submit` sends the whole list as one "
      "submission,\nwhich REPLACES everything you sent earlier this turn, "
      "so the list keeps\nwhat you sent: change it and `submit` again. "
      "Offers, bids, operate\nand policies stand from turn to turn until "
      "changed (QTY 0 withdraws);\nbuild, hire and train happen once. "
      "`ready` ends your turn; the turn\nresolves when every seat is ready "
      "or its time is up.\n"
      "Units: tonnes (5k = 5,000 t), capacity in t/yr, prices in $/kg. "
      "Names\nmay be short: conc, ndpr, dytb, lace, magnet; sep for "
      "separation.\n"
      "Keys: arrows and Ctrl-A/E edit, Up/Down recall, Ctrl-C on an "
      "empty line\nor Ctrl-D quits.\n");
}

/* Split a line into words in place; *rest is the text after the first two
 * words (for chat), or NULL. */
static int split(char *line, char **argv, const char **rest) {
  int argc = 0;
  char *s = line;
  *rest = NULL;
  while (*s && argc < MAX_ARGS) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (!*s)
      break;
    if (argc == 2)
      *rest = s;
    argv[argc++] = s;
    while (*s && *s != ' ' && *s != '\t')
      s++;
    if (*s)
      *s++ = '\0';
  }
  return argc;
}

static void run_line(play_t *p, const char *text) {
  char *line = strdup(text);
  char *copy = strdup(text); /* chat keeps the text as typed */
  char *argv[MAX_ARGS];
  const char *rest;
  if (!line || !copy) {
    free(line);
    free(copy);
    return;
  }
  int argc = split(line, argv, &rest);
  if (argc == 0)
    goto done;
  for (char *c = argv[0]; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  if (strcmp(argv[0], "chat") == 0) {
    const char *r2 = rest ? copy + (rest - line) : NULL;
    c_chat(p, argc, argv, r2);
    goto done;
  }
  if (strcmp(argv[0], "channel") == 0) {
    const char *r2 = rest ? copy + (rest - line) : NULL;
    c_channel(p, argc, argv, r2);
    goto done;
  }
  if (strcmp(argv[0], "exit") == 0 || strcmp(argv[0], "q") == 0 ||
      strcmp(argv[0], "?") == 0) {
    argv[0] = argv[0][0] == '?' ? "help" : "quit";
  }
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
    if (COMMANDS[i].fn && strcmp(COMMANDS[i].name, argv[0]) == 0) {
      COMMANDS[i].fn(p, argc, argv);
      goto done;
    }
  }
  printf("Unknown command '%s'; `help` lists them.\n", ui_clean(argv[0]));
done:
  free(line);
  free(copy);
}

/* ---- Notifications ------------------------------------------------------- */

static void on_turn_resolved(play_t *p, const json_t *params) {
  const json_t *sum = json_object_get(params, "summary");
  const json_t *prices = json_object_get(sum, "prices");
  long turn = (long)ui_num(params, "turn", 0) + 1;
  printf("\n=== Turn %ld resolved ===\n", turn);
  /* "World prices: conc $8.00/kg +60.0%, ..." wrapped to the terminal. */
  int width = ui_term_width(), col = printf("World prices:");
  for (size_t i = 0; i < UI_PRODUCTS; i++) {
    const char *prod = ui_products[i];
    if (!ui_shown(prices, prod))
      continue;
    double now = ui_num(prices, prod, NAN);
    double before = ui_num(p->last_prices, prod, NAN);
    char item[96];
    snprintf(item, sizeof item, " %s %s%s%s%s", view_short(prod), ui_price(now),
             isfinite(before) && before > 0 ? " (" : "",
             isfinite(before) && before > 0 ? ui_signed_pct(now / before - 1)
                                            : "",
             isfinite(before) && before > 0 ? ")" : "");
    int w = (int)ui_width(item) + (i < 4);
    if (col + w >= width) {
      printf("\n ");
      col = 1;
    }
    col += printf("%s%s", item, i < 4 ? "," : "");
  }
  printf("\n");
  json_decref(p->last_prices);
  p->last_prices = json_deep_copy(prices);
  const json_t *scores = json_object_get(sum, "scores");
  int of, rank = view_rank(scores, p->seat, &of);
  double mine = NAN;
  size_t i;
  json_t *s;
  json_array_foreach(scores, i, s) {
    if (strcmp(ui_str(s, "seat"), p->seat) == 0)
      mine = ui_num(s, "score", NAN);
  }
  if (rank > 0)
    printf("Your score: %.3f, rank %d of %d.\n", mine, rank, of);
  json_array_foreach(json_object_get(sum, "events"), i, s)
      printf("News: %s\n", ui_clean(ui_str(s, "text")));

  /* The list was for the turn just closed: what was sent is on the server
   * now (and what stands, stands); an unsent list is kept for the next. */
  if (!p->orders.dirty || json_array_size(p->orders.pending) == 0)
    json_array_clear(p->orders.pending);
  else
    printf("Your list of %zu orders was NOT sent before the turn closed; it "
           "is kept for the next turn (`orders`, `submit`).\n",
           json_array_size(p->orders.pending));
  p->orders.dirty = json_array_size(p->orders.pending) > 0;
  p->sent = p->ready = p->warned = false;
  if (refresh(p) == 0 && strcmp(status(p), "finished") != 0)
    printf("Turn %ld of %ld is open%s%s%s. `state` shows your position.\n",
           turn_shown(p), turns(p), remaining(p) >= 0 ? " (" : "",
           remaining(p) >= 0 ? ui_duration(remaining(p)) : "",
           remaining(p) >= 0 ? " to order)" : "");
}

static void on_finished(play_t *p, const json_t *params) {
  printf("\n=== The game is over ===\nFinal scores:\n");
  view_scores(stdout, json_object_get(params, "scores"), p->seat, NULL, 0, 0);
  printf("`history` shows the whole game; `quit` leaves.\n");
  refresh(p);
}

static void on_note(play_t *p, const char *method, const json_t *params) {
  if (strcmp(method, "turn.resolved") == 0) {
    on_turn_resolved(p, params);
  } else if (strcmp(method, "chat.message") == 0) {
    const char *to = ui_str(params, "to");
    const char *ch = ui_str(params, "channel");
    if (ch[0] && strcmp(ch, "all") != 0 && strncmp(ch, "dm:", 3) != 0)
      printf("[%s] %s: %s\n", ui_clean(ch), ui_clean(ui_str(params, "from")),
             ui_clean(ui_str(params, "text")));
    else
      printf("[chat] %s -> %s: %s\n", ui_clean(ui_str(params, "from")),
             strcmp(to, p->seat) == 0 ? "you" : ui_clean(to),
             ui_clean(ui_str(params, "text")));
  } else if (strcmp(method, "channel.opened") == 0) {
    printf("[channel] %s opened %s:\n", ui_clean(ui_str(params, "opened_by")),
           ui_clean(ui_str(json_object_get(params, "channel"), "channel")));
    print_channel(json_object_get(params, "channel"));
  } else if (strcmp(method, "contract.updated") == 0) {
    const json_t *n = json_object_get(params, "negotiation");
    printf("[deal] %s: %s %ss; %s offers to %s (`negotiations` lists them)\n",
           ui_clean(ui_str(n, "negotiation")), ui_clean(ui_str(params, "seat")),
           ui_clean(ui_str(params, "action")), ui_clean(ui_str(n, "author")),
           deal_terms(json_object_get(n, "terms")));
  } else if (strcmp(method, "session.started") == 0) {
    refresh(p);
    printf("\n=== The game has started: turn %ld of %ld is open%s%s ===\n"
           "`state` shows your position, `help` the commands.\n",
           turn_shown(p), turns(p), remaining(p) >= 0 ? ", " : "",
           remaining(p) >= 0 ? ui_duration(remaining(p)) : "");
  } else if (strcmp(method, "session.paused") == 0) {
    refresh(p);
    printf("The facilitator paused the game; the clock has stopped.\n");
  } else if (strcmp(method, "session.resumed") == 0) {
    refresh(p);
    printf("The game resumed: %s.\n", turn_line(p));
  } else if (strcmp(method, "session.finished") == 0) {
    on_finished(p, params);
  } else if (strcmp(method, "seat.moved") == 0) {
    printf("Your seat %s was joined from another connection: this window no "
           "longer gets its notifications (commands still work). Start "
           "`lanthanide play` again with --token to take it back.\n",
           ui_clean(ui_str(params, "seat")));
  } else if (strcmp(method, "error") == 0) {
    print_error(params);
  }
}

static bool process_notes(play_t *p) {
  bool any = false;
  while (json_array_size(p->notes) > 0) {
    json_t *n = json_incref(json_array_get(p->notes, 0));
    json_array_remove(p->notes, 0);
    if (!any)
      prompt_hide(p->in);
    any = true;
    on_note(p, ui_str(n, "method"), json_object_get(n, "params"));
    json_decref(n);
  }
  return any;
}

/* ---- Joining ------------------------------------------------------------- */

static int join(play_t *p, const char *code, bool first) {
  json_t *a = json_pack("{s:s}", "session", p->session);
  if (code)
    json_object_set_new(a, "join_code", json_string(code));
  else
    json_object_set_new(a, "token", json_string(p->token));
  if (p->name)
    json_object_set_new(a, "name", json_string(p->name));
  json_t *r = NULL, *err = NULL;
  int rc = cli_call_json(p->c, "session.join", a, &r, &err);
  json_decref(a);
  if (rc != 0) {
    if (rc == 1) {
      print_error(err);
      json_decref(err);
    }
    return rc;
  }
  free(p->seat);
  free(p->token);
  p->seat = strdup(ui_str(r, "seat"));
  p->token = strdup(ui_str(r, "token"));
  json_decref(r);
  if (!p->seat || !p->token)
    return -1;
  if (first && code) {
    printf("Your seat token: %s\n"
           "Keep it private. To come back later (or from another terminal):\n"
           "  lanthanide play --server %s --session %s --token %s\n\n",
           ui_clean(p->token), ui_clean(p->conn.server), ui_clean(p->session),
           ui_clean(p->token));
  }
  return 0;
}

static void try_reconnect(play_t *p) {
  prompt_hide(p->in);
  fflush(stdout);
  p->c = ui_connect(&p->conn);
  if (p->c) {
    cli_queue_notifications(p->c, true);
    int rc = join(p, NULL, false);
    if (rc == 0) {
      printf("Reconnected.\n");
      refresh(p);
      p->retry_at = 0;
      return;
    }
    cli_close(p->c);
    p->c = NULL;
    if (rc == 1) {
      printf("The server no longer accepts this seat; leaving.\n");
      p->quit = true;
      return;
    }
  }
  p->retry_ms = p->retry_ms * 2 > 30000 ? 30000 : p->retry_ms * 2;
  p->retry_at = ui_now_ms() + p->retry_ms;
  printf("Next try in %s.\n", ui_duration((double)p->retry_ms));
}

/* ---- The loop ------------------------------------------------------------ */

static void deadline_check(play_t *p) {
  double left = remaining(p);
  if (p->warned || p->ready || left < 0 || left > WARN_MS ||
      strcmp(status(p), "running") != 0)
    return;
  p->warned = true;
  prompt_hide(p->in);
  printf("%s left in turn %ld: %s`ready` when you are done.\n",
         ui_duration(left), turn_shown(p),
         p->orders.dirty && json_array_size(p->orders.pending)
             ? "your list is not sent; "
               "`submit` it and "
             : "");
}

static int loop(play_t *p) {
  while (!p->quit && !g_stop) {
    update_prompt(p);
    prompt_show(p->in);
    struct pollfd fds[2];
    nfds_t n = 0;
    fds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    if (p->c)
      fds[n++] = (struct pollfd){.fd = cli_fd(p->c), .events = POLLIN};
    int timeout = -1;
    if (!p->c || remaining(p) >= 0)
      timeout = 1000;
    int pr = poll(fds, n, timeout);
    if (pr < 0 && errno != EINTR) {
      perror("lanthanide: poll");
      return UI_EXIT_FAIL;
    }
    if (pr > 0 && fds[0].revents) {
      int eof = prompt_feed(p->in);
      char *line;
      int r = 0;
      while (!p->quit && (r = prompt_next(p->in, &line)) == 1) {
        prompt_history_add(p->in, line);
        /* A script piped in: show each command as if typed, so that the
         * output reads as a transcript. */
        if (!prompt_is_tty(p->in))
          printf("%s%s\n", p->prompt, ui_clean(line));
        run_line(p, line);
        free(line);
        process_notes(p);
      }
      if (eof < 0 || r < 0)
        p->quit = true;
    }
    if (pr > 0 && p->c && n > 1 && fds[1].revents) {
      if (cli_wait(p->c, 0) < 0) {
        prompt_hide(p->in);
        lost(p);
      } else {
        take_notes(p);
      }
    }
    process_notes(p);
    deadline_check(p);
    if (!p->c && !p->quit && ui_now_ms() >= p->retry_at)
      try_reconnect(p);
  }
  prompt_hide(p->in);
  return UI_EXIT_OK;
}

/* ---- Options and start --------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: lanthanide play --session ID (--code JOIN-CODE | --token TOKEN)"
      "\n                       [--server HOST:PORT] [--name NAME]\n"
      "\n"
      "Play one seat of a session in this terminal. Join the first time with "
      "the\njoin code your facilitator gave you; play prints your seat's "
      "token, which\nreconnects you later (the token may also come from "
      "$LANTHANIDE_TOKEN).\n"
      "\n"
      "Then type commands at the prompt (`help` lists them): `state` shows "
      "your\nposition, order with build/operate/hire/train/offer/bid/policy, "
      "send the\nlist with `submit` and end your turn with `ready`. News of "
      "the game (a turn\nresolved, chat, pauses) appears as it comes. "
      "`chat`, `channel` and `messages`\ntalk on the session's channels "
      "(press, control, your own); `propose`,\n`counter`, `accept` and "
      "`withdraw` negotiate a contract at once.\n"
      "\n"
      "Options:\n"
      "  --server HOST:PORT   the server (default %s, or $LANTHANIDE_SERVER)"
      "\n"
      "  --session ID         the session (from your facilitator)\n"
      "  --code JOIN-CODE     your seat's join code (the first time)\n"
      "  --token TOKEN        your seat's token (to reconnect)\n"
      "  --name NAME          your name, shown to the facilitator and in the "
      "export\n"
      "  --timeout MS         wait at most MS for each answer (default %d)\n"
      "  --help               this text\n"
      "\n"
      "Exit status: 0 after `quit`, 1 when joining failed, 2 a usage error.\n",
      UI_DEFAULT_SERVER, UI_DEFAULT_TIMEOUT);
}

int cmd_play(int argc, char **argv, const ui_conn_opts_t *dflt) {
  static const struct option longopts[] = {
      {"server", required_argument, NULL, 's'},
      {"timeout", required_argument, NULL, 't'},
      {"session", required_argument, NULL, 'S'},
      {"code", required_argument, NULL, 'c'},
      {"token", required_argument, NULL, 'T'},
      {"name", required_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  play_t p = {.conn = *dflt};
  const char *code = NULL, *token = NULL;
  int ch;
  optind = 0;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
    case 's':
      p.conn.server = optarg;
      break;
    case 't':
      if (ui_parse_timeout(optarg, &p.conn.timeout_ms) != 0)
        return UI_EXIT_USAGE;
      break;
    case 'S':
      p.session = optarg;
      break;
    case 'c':
      code = optarg;
      break;
    case 'T':
      token = optarg;
      break;
    case 'n':
      p.name = optarg;
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    default:
      fprintf(stderr, "lanthanide play: %s option '%s'\n\n",
              optopt ? "missing value for" : "unknown",
              ui_clean(argv[optind - 1]));
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "lanthanide play: unexpected argument '%s'\n\n",
            ui_clean(argv[optind]));
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  if (!code)
    token = ui_secret(token, "LANTHANIDE_TOKEN");
  if (!p.session || (!code && !token) || (code && token)) {
    fprintf(stderr, "lanthanide play: give --session and either --code (to "
                    "join) or --token (to reconnect)\n\n");
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  p.token = token ? strdup(token) : NULL;
  p.c = ui_connect(&p.conn);
  if (!p.c) {
    free(p.token);
    return UI_EXIT_FAIL;
  }
  cli_queue_notifications(p.c, true);
  p.notes = json_array();
  play_orders_init(&p.orders);
  int rc = UI_EXIT_FAIL;
  if (join(&p, code, true) != 0)
    goto out;
  refresh_seats(&p);
  if (refresh(&p) != 0)
    goto out;
  p.last_prices = json_deep_copy(
      json_object_get(json_object_get(p.obs, "market"), "prices"));
  const char *title = seat_title(&p, p.seat);
  printf("%s session %s as %s%s%s%s%s%s.\n", code ? "Joined" : "Reconnected to",
         ui_clean(p.session), ui_clean(p.seat), title[0] ? " (" : "",
         ui_clean(title), title[0] ? ", a " : "",
         title[0] ? ui_clean(ui_str(p.obs, "kind")) : "", title[0] ? ")" : "");
  if (strcmp(status(&p), "lobby") == 0)
    printf("The game has not started yet: you will see it start here.\n");
  else
    printf("Now: %s.\n", turn_line(&p));
  printf("`state` shows your position, `help` the commands.\n");

  p.in = prompt_new();
  if (!p.in)
    goto out;
  prompt_set_words(p.in, WORDS);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  rc = loop(&p);
  prompt_free(p.in);
out:
  cli_close(p.c);
  json_decref(p.obs);
  json_decref(p.seats);
  play_orders_free(&p.orders);
  json_decref(p.notes);
  json_decref(p.last_prices);
  free(p.seat);
  free(p.token);
  return rc;
}
