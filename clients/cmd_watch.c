/*
 * `lanthanide watch`: a live view of a session for a projector or a
 * facilitator's second screen. It subscribes with session.watch, then
 * redraws the whole screen (ANSI clear and home; no curses) whenever a turn
 * resolves, the game's status changes or a chat message arrives: prices by
 * product and region, production shares by nation and stage, standings,
 * and sparklines of the last turns, seeded from history.get so the charts
 * show the past from the first frame.
 *
 * Under the title it counts down to the open turn's deadline and says whom
 * the turn waits for. The facilitator's view asks session.status (who
 * plays each seat, connected, submitted, ready, and the deadline) every
 * STATUS_POLL_MS, since a seat's orders and readiness reach watchers by no
 * notification; a server without session.status answers unknown_method
 * and the view says it is too old to tell. A seat's view reads the
 * deadline from state.get. session.extended (the facilitator moved the
 * deadline) sets the clock at once. The countdown runs on the monotonic
 * clock from the remaining_ms the server gave.
 *
 * Each frame is composed in memory and written at once, so the screen does
 * not flicker while it is drawn: it homes the cursor, ends every line with
 * "erase to the end of the line" and erases below the frame, instead of
 * clearing the screen first; the countdown redraws it at most once a
 * second. It exits 0 on session.finished (after the
 * final scores) or on Ctrl-C, and reconnects by itself when the server
 * goes away (a restarted server keeps its sessions and tokens).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_view.h"
#include "cmds.h"

#define CHAT_LINES 6
/* How often the lobby view asks who has joined: joining sends no
 * notification to watchers. */
#define LOBBY_POLL_MS 3000
/* How often the facilitator's view asks session.status while a turn is
 * open: submissions and readiness send watchers no notification. */
#define STATUS_POLL_MS 2000

typedef struct watch {
  ui_conn_opts_t conn;
  cli_conn_t *c;
  const char *session, *token, *admin_token;
  json_t *history; /* one summary per resolved turn, oldest first */
  json_t *info;    /* this session's entry in session.list */
  json_t *chat;    /* the last chat lines (strings) */
  json_t *final;   /* session.finished's scores, once finished */
  json_t *status;  /* session.status's answer (the facilitator), or NULL */
  int has_status;  /* session.status: 0 not asked yet, 1 yes, -1 too old */
  /* The open turn's deadline, from session.status, state.get or
   * session.extended: clock false when none is known (no deadline, or a
   * spectator, who may read neither). left_ms counts while paused. */
  bool clock, clock_paused;
  bool live_known;         /* the last session.status or state.get answered */
  long long deadline_at;   /* ui_now_ms() when it passes */
  long long left_ms;       /* while paused: the time left on resume */
  long long deadline_wall; /* Unix ms, for the wall-clock time shown */
  char note[256];          /* the latest status change, shown under the title */
  size_t span;             /* turns in the charts */
  bool once, no_clear, lost;
  long long retry_at, retry_ms;
  long long drawn_at; /* ui_now_ms() of the last frame */
} watch_t;

static volatile sig_atomic_t g_stop, g_winch;

static void on_stop(int sig) {
  (void)sig;
  g_stop = 1;
}

static void on_winch(int sig) {
  (void)sig;
  g_winch = 1;
}

static const char *clock_now(void) {
  char *b = ui_buf();
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(b, 1024, "%H:%M:%S", &tm);
  return b;
}

static void set_note(watch_t *w, const char *text) {
  snprintf(w->note, sizeof w->note, "%s (%s)", text, clock_now());
}

/* ---- Fetching ------------------------------------------------------------ */

/* {session} plus the identity we watch with. */
static json_t *ident(const watch_t *w) {
  json_t *a = json_pack("{s:s}", "session", w->session);
  if (w->admin_token)
    json_object_set_new(a, "admin_token", json_string(w->admin_token));
  else if (w->token)
    json_object_set_new(a, "token", json_string(w->token));
  return a;
}

/* 0, 1 (the server refused, printed) or -1 (the connection failed). */
static int call(watch_t *w, const char *method, json_t *params,
                json_t **result) {
  json_t *err = NULL;
  int rc = cli_call_json(w->c, method, params, result, &err);
  json_decref(params);
  if (rc == 1) {
    ui_print_error(err);
    json_decref(err);
  }
  return rc;
}

static int fetch_info(watch_t *w) {
  json_t *list, *err = NULL;
  int rc = cli_list_sessions(w->c, &list, &err);
  if (rc == 1) {
    ui_print_error(err);
    json_decref(err);
  }
  if (rc != 0)
    return rc;
  size_t i;
  json_t *s;
  json_array_foreach(list, i, s) {
    if (strcmp(ui_str(s, "session"), w->session) == 0) {
      json_decref(w->info);
      w->info = json_incref(s);
    }
  }
  json_decref(list);
  return 0;
}

/* The deadline as the server gave it: deadline_ms (Unix ms; nil or 0 while
 * paused or without a deadline) and remaining_ms (nil: no deadline). */
static void set_clock(watch_t *w, const json_t *obj) {
  const json_t *rem = json_object_get(obj, "remaining_ms");
  const json_t *dl = json_object_get(obj, "deadline_ms");
  w->live_known = true;
  if (!json_is_number(rem)) {
    w->clock = false;
    return;
  }
  long long left = (long long)ui_val(rem, 0);
  w->clock = true;
  w->clock_paused = !json_is_number(dl) || ui_val(dl, 0) <= 0;
  w->left_ms = left < 0 ? 0 : left;
  w->deadline_at = ui_now_ms() + w->left_ms;
  w->deadline_wall = w->clock_paused ? 0 : (long long)ui_val(dl, 0);
}

/* What the identity may know of the open turn: the facilitator asks
 * session.status (once the server has been found to lack it, no more); a
 * seat asks state.get for the deadline; a spectator may ask neither.
 * 0, or -1 when the connection failed. A refusal is shown as the note. */
static int fetch_live(watch_t *w) {
  json_t *r = NULL, *err = NULL;
  int rc;
  if ((w->admin_token && w->has_status < 0) || (!w->admin_token && !w->token))
    return 0;
  json_t *params = ident(w); /* cli_call_json borrows it */
  if (w->admin_token) {
    rc = cli_call_json(w->c, "session.status", params, &r, &err);
    if (rc == 0) {
      w->has_status = 1;
      json_decref(w->status);
      w->status = r;
      set_clock(w, r);
    }
  } else {
    rc = cli_call_json(w->c, "state.get", params, &r, &err);
    if (rc == 0) {
      set_clock(w, r);
      json_decref(r);
    }
  }
  json_decref(params);
  if (rc == 1) {
    if (strcmp(ui_str(err, "code"), "unknown_method") == 0) {
      /* An older server: say so once on screen, and stop asking. */
      w->has_status = -1;
      json_decref(w->status);
      w->status = NULL;
      w->clock = false;
    } else {
      /* Refused (a replaced admin token, say): show why, and no clock
       * rather than a stale one. */
      char t[200];
      snprintf(t, sizeof t, "server: %s", ui_clean(ui_str(err, "message")));
      set_note(w, t);
      w->live_known = false;
      w->clock = false;
      json_decref(w->status);
      w->status = NULL;
    }
    json_decref(err);
  }
  return rc < 0 ? -1 : 0;
}

/* Connect, subscribe, and load the history and the session's entry.
 * 0, 1 (refused: do not retry) or -1 (unreachable: retry later). */
static int attach(watch_t *w) {
  w->c = cli_connect(w->conn.server, w->conn.timeout_ms);
  if (!w->c)
    return -1;
  cli_queue_notifications(w->c, true);
  json_t *r;
  int rc = call(w, "session.watch", ident(w), &r);
  if (rc == 1 && !w->admin_token && !w->token)
    fprintf(stderr, "This session does not allow spectators: watch with "
                    "--admin-token (the facilitator's) or --token (a "
                    "seat's).\n");
  if (rc == 0) {
    json_decref(r);
    if (w->admin_token || w->token) {
      /* Only players and the control cell may read the history; a
       * spectator's charts start with the next turn. */
      rc = call(w, "history.get", ident(w), &r);
      if (rc == 0) {
        json_decref(w->history);
        w->history = r;
      }
    }
  }
  if (rc == 0)
    rc = fetch_info(w);
  if (rc == 0)
    rc = fetch_live(w);
  if (rc == 0 && !w->info) {
    fprintf(stderr, "error: not_found: no session '%s' on this server\n",
            ui_clean(w->session));
    rc = 1;
  }
  if (rc != 0) {
    cli_close(w->c);
    w->c = NULL;
  }
  return rc;
}

/* ---- Drawing ------------------------------------------------------------- */

static const json_t *last_summary(const watch_t *w) {
  size_t n = json_array_size(w->history);
  return n ? json_array_get(w->history, n - 1) : NULL;
}

static void draw_header(FILE *f, const watch_t *w) {
  const json_t *info = w->info;
  const char *status = ui_str(info, "status");
  long turn = (long)ui_num(info, "turn", 0);
  long turns = (long)ui_num(info, "turns", 0);
  fprintf(f, "Lanthanide \u00b7 session %s", ui_clean(w->session));
  if (ui_str(info, "name")[0])
    fprintf(f, " \"%s\"", ui_clean(ui_str(info, "name")));
  fprintf(f, " \u00b7 map %s \u00b7 ", ui_clean(ui_str(info, "map")));
  if (strcmp(status, "finished") == 0)
    fprintf(f, "FINISHED after %zu turns", json_array_size(w->history));
  else if (strcmp(status, "lobby") == 0)
    fprintf(f, "LOBBY (%ld turns to play)", turns);
  else
    fprintf(f, "turn %ld of %ld \u00b7 %s", turn + 1, turns,
            strcmp(status, "paused") == 0 ? "PAUSED" : "running");
  fprintf(f, " \u00b7 %s\n", clock_now());
  size_t players = 0, bots = 0, empty = 0, standing = 0, i;
  json_t *s;
  json_array_foreach(json_object_get(info, "seats"), i, s) {
    if (ui_bool(s, "seatless")) /* issue 11: neither a bot nor empty */
      standing++;
    else if (ui_str(s, "agent")[0])
      bots++;
    else if (ui_bool(s, "taken"))
      players++;
    else
      empty++;
  }
  fprintf(f, "Seats: %zu player%s, %zu bot%s, %zu empty", players,
          players == 1 ? "" : "s", bots, bots == 1 ? "" : "s", empty);
  if (standing)
    fprintf(f, ", %zu on standing orders", standing);
  if (w->lost)
    fprintf(f, " \u00b7 CONNECTION LOST, retrying");
  else if (w->note[0])
    fprintf(f, " \u00b7 %s", ui_clean(w->note));
  fprintf(f, "\n");
}

/* session.status's entry for a seat, or NULL. */
static const json_t *seat_status(const watch_t *w, const char *seat) {
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(w->status, "seats"), i, s) {
    if (strcmp(ui_str(s, "seat"), seat) == 0)
      return s;
  }
  return NULL;
}

/* The countdown to the open turn's deadline. */
static void draw_clock(FILE *f, const watch_t *w) {
  const char *status = ui_str(w->info, "status");
  bool paused = strcmp(status, "paused") == 0;
  if (!paused && strcmp(status, "running") != 0)
    return;
  long turn = (long)ui_num(w->info, "turn", 0) + 1;
  if (w->admin_token && w->has_status < 0) {
    fprintf(f, "This server is too old to tell the deadline and whom the "
               "turn waits for (it has no session.status).\n");
    return;
  }
  if (!w->clock) {
    if ((w->admin_token || w->token) && w->live_known)
      fprintf(f,
              "Turn %ld has no deadline: it closes when every seat is "
              "ready, or when the facilitator advances it.\n",
              turn);
    return;
  }
  if (paused || w->clock_paused) {
    fprintf(f, "Turn %ld is PAUSED: %s will be left when it resumes.\n", turn,
            ui_duration((double)w->left_ms));
    return;
  }
  long long left = w->deadline_at - ui_now_ms();
  if (left <= 0) {
    fprintf(f,
            "Turn %ld: the deadline has passed; the turn resolves "
            "now.\n",
            turn);
    return;
  }
  /* Round up: "0:01" until the last millisecond, never "0:00" early. */
  fprintf(f, "Turn %ld closes in %s", turn,
          ui_duration((double)((left + 999) / 1000 * 1000)));
  if (w->deadline_wall > 0) {
    time_t t = (time_t)(w->deadline_wall / 1000);
    struct tm tm;
    char at[16];
    localtime_r(&t, &tm);
    strftime(at, sizeof at, "%H:%M:%S", &tm);
    fprintf(f, " (at %s)", at);
  }
  fprintf(f, ".\n");
}

/* Whom the open turn waits for (session.status): every seat not ready
 * that no agent plays; agents are never waited for, empty seats are. */
static void draw_waiting(FILE *f, const watch_t *w) {
  const char *status = ui_str(w->info, "status");
  if (!w->status ||
      (strcmp(status, "running") != 0 && strcmp(status, "paused") != 0))
    return;
  size_t n = 0, i;
  json_t *s;
  json_array_foreach(json_object_get(w->status, "seats"), i, s) {
    if (!ui_bool(s, "ready") && strcmp(ui_str(s, "played_by"), "agent") != 0)
      n++;
  }
  if (n == 0) {
    fprintf(f, "Every seat is ready.\n");
    return;
  }
  fprintf(f, "Waiting for %zu seat%s:", n, n == 1 ? "" : "s");
  size_t k = 0;
  json_array_foreach(json_object_get(w->status, "seats"), i, s) {
    if (ui_bool(s, "ready") || strcmp(ui_str(s, "played_by"), "agent") == 0)
      continue;
    const char *name = ui_str(s, "name");
    bool person = strcmp(ui_str(s, "played_by"), "person") == 0;
    fprintf(f, "%s %s (", k++ ? "," : "", ui_clean(ui_str(s, "seat")));
    if (!person)
      fprintf(f, "nobody has joined");
    else if (name[0])
      fprintf(f, "%s", ui_clean(name));
    else
      fprintf(f, "a player");
    if (person && ui_num(s, "connected", 0) <= 0)
      fprintf(f, ", not connected");
    if (ui_bool(s, "submitted"))
      fprintf(f, ", orders sent");
    fprintf(f, ")");
  }
  fprintf(f, "\n");
}

static void draw_lobby(FILE *f, const watch_t *w) {
  fprintf(f, "\nWaiting for the facilitator to start. Who is here:\n");
  fprintf(f, "  %-20s %-7s %-26s %s\n", "SEAT", "KIND", "TITLE", "PLAYED BY");
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(w->info, "seats"), i, s) {
    const char *agent = ui_str(s, "agent");
    fprintf(f, "  ");
    ui_cell(f, ui_clean(ui_str(s, "seat")), 20, false);
    fputc(' ', f);
    ui_cell(f, ui_clean(ui_str(s, "kind")), 7, false);
    fputc(' ', f);
    ui_cell(f, ui_clean(ui_str(s, "title")), 26, false);
    const json_t *st = seat_status(w, ui_str(s, "seat"));
    const char *name = ui_str(st, "name");
    if (agent[0])
      fprintf(f, " bot (%s)\n", ui_clean(agent));
    else if (ui_bool(s, "seatless"))
      fprintf(f, " standing orders\n");
    else if (ui_bool(s, "taken") && name[0])
      fprintf(f, " %s%s\n", ui_clean(name),
              st && ui_num(st, "connected", 0) <= 0 ? " (not connected)" : "");
    else
      fprintf(f, " %s\n", ui_bool(s, "taken") ? "player" : "-");
  }
}

static void draw_prices(FILE *f, const watch_t *w) {
  size_t n = json_array_size(w->history);
  size_t span = n < w->span ? n : w->span;
  const json_t *last = last_summary(w);
  const json_t *prev = n > 1 ? json_array_get(w->history, n - 2) : NULL;
  fprintf(f, "\nWorld prices ($/kg), turn %ld; chart of the last %zu turn%s\n",
          (long)ui_num(last, "turn", 0) + 1, span, span == 1 ? "" : "s");
  fprintf(f, "  %-8s %10s %8s  %-*s  %s\n", "PRODUCT", "PRICE", "CHANGE",
          (int)(span > 5 ? span : 5), "CHART", "LOW..HIGH");
  for (size_t i = 0; i < UI_PRODUCTS; i++) {
    const char *prod = ui_products[i];
    if (!ui_shown(json_object_get(last, "prices"), prod))
      continue;
    double v[256];
    size_t k =
        view_series(w->history, "prices", prod, v, span < 256 ? span : 256);
    double now = ui_num(json_object_get(last, "prices"), prod, NAN);
    double before = ui_num(json_object_get(prev, "prices"), prod, NAN);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t j = 0; j < k; j++)
      if (!isnan(v[j])) {
        lo = fmin(lo, v[j]);
        hi = fmax(hi, v[j]);
      }
    fprintf(f, "  %-8s %10.2f %8s  ", view_short(prod), now,
            before > 0 ? ui_signed_pct(now / before - 1) : "");
    ui_cell(f, ui_spark(v, k), (int)(span > 5 ? span : 5), false);
    fprintf(f, "  %.2f..%.2f\n", lo, hi);
  }
  fprintf(f, "\nPrices by region ($/kg), turn %ld\n",
          (long)ui_num(last, "turn", 0) + 1);
  view_price_table(f, json_object_get(last, "prices"),
                   json_object_get(last, "regional"), NULL);
  fprintf(f, "\nProduction shares by nation and stage, turn %ld\n",
          (long)ui_num(last, "turn", 0) + 1);
  view_share_table(f, json_object_get(last, "production"));
}

/* Write the frame: in place (home, each line erased to its end, the rest
 * of the screen erased below) or, for --once and --no-clear, as it is. */
static void put_frame(const watch_t *w, const char *frame, size_t len) {
  if (w->no_clear || w->once) {
    fwrite(frame, 1, len, stdout);
    return;
  }
  char *out = NULL;
  size_t olen = 0;
  FILE *o = open_memstream(&out, &olen);
  if (!o)
    return;
  fputs("\033[H", o);
  for (size_t i = 0; i < len; i++) {
    if (frame[i] == '\n')
      fputs("\033[K", o);
    fputc(frame[i], o);
  }
  fputs("\033[J", o);
  fclose(o);
  fwrite(out, 1, olen, stdout);
  free(out);
}

static void draw(watch_t *w) {
  char *frame = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&frame, &len);
  if (!f)
    return;
  draw_header(f, w);
  draw_clock(f, w);
  draw_waiting(f, w);
  const json_t *last = last_summary(w);
  if (strcmp(ui_str(w->info, "status"), "lobby") == 0) {
    draw_lobby(f, w);
  } else if (!last) {
    fprintf(f, "\nNo turn has been resolved yet; the first one draws the "
               "charts.\n");
  } else {
    draw_prices(f, w);
  }
  const json_t *scores = w->final ? w->final : json_object_get(last, "scores");
  if (json_array_size(scores) > 0) {
    fprintf(f, "\n%s\n", w->final ? "FINAL SCORES" : "Scores");
    view_scores(f, scores, NULL, w->history, w->span > 24 ? 24 : w->span,
                w->final ? 0 : 12);
  }
  const json_t *events = json_object_get(last, "events");
  if (json_array_size(events) > 0) {
    fprintf(f, "\nNews\n");
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
        fprintf(f, "  - %s\n", ui_clean(ui_str(e, "text")));
  }
  if (json_array_size(w->chat) > 0) {
    fprintf(f, "\nChat\n");
    size_t i;
    json_t *c;
    json_array_foreach(w->chat, i, c)
        fprintf(f, "  %s\n", json_string_value(c));
  }
  if (w->no_clear)
    fprintf(f, "----\n");
  fclose(f);
  put_frame(w, frame, len);
  fflush(stdout);
  free(frame);
  w->drawn_at = ui_now_ms();
}

/* ---- Notifications ------------------------------------------------------- */

/* Act on one notification; returns true when the game is over. */
static bool on_note(watch_t *w, const char *method, json_t *params) {
  if (strcmp(method, "turn.resolved") == 0) {
    json_t *sum = json_object_get(params, "summary");
    if (json_is_object(sum)) {
      if (!json_object_get(sum, "turn"))
        json_object_set(sum, "turn", json_object_get(params, "turn"));
      json_array_append(w->history, sum);
    }
    char t[64];
    snprintf(t, sizeof t, "turn %ld resolved",
             (long)ui_num(params, "turn", 0) + 1);
    set_note(w, t);
  } else if (strcmp(method, "chat.message") == 0) {
    char line[1200];
    snprintf(line, sizeof line, "%s %s -> %s: %s", clock_now(),
             ui_clean(ui_str(params, "from")), ui_clean(ui_str(params, "to")),
             ui_clean(ui_str(params, "text")));
    json_array_append_new(w->chat, json_string(line));
    while (json_array_size(w->chat) > CHAT_LINES)
      json_array_remove(w->chat, 0);
  } else if (strcmp(method, "session.started") == 0) {
    set_note(w, "the game started");
  } else if (strcmp(method, "session.paused") == 0) {
    if (w->clock && !w->clock_paused) {
      /* Stop the countdown now; the refresh that follows has the figure
       * the server kept. */
      long long left = w->deadline_at - ui_now_ms();
      w->left_ms = left > 0 ? left : 0;
      w->clock_paused = true;
    }
    set_note(w, "paused by the facilitator");
  } else if (strcmp(method, "session.resumed") == 0) {
    set_note(w, "resumed");
  } else if (strcmp(method, "session.extended") == 0) {
    set_clock(w, params);
    set_note(w, "the facilitator moved the deadline");
  } else if (strcmp(method, "session.finished") == 0) {
    json_decref(w->final);
    w->final = json_incref(json_object_get(params, "scores"));
    set_note(w, "the game is over");
    return true;
  } else if (strcmp(method, "error") == 0) {
    char t[200];
    snprintf(t, sizeof t, "server: %s", ui_clean(ui_str(params, "message")));
    set_note(w, t);
  }
  return false;
}

/* ---- Options and the loop ------------------------------------------------ */

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: lanthanide watch --session ID [--admin-token T | --token T]\n"
      "                        [--server HOST:PORT] [--turns N] [--once]\n"
      "\n"
      "A live view of a session, for a projector or a second screen: prices "
      "by\nproduct and region, production shares by nation and stage, "
      "scores, and\ncharts of the last turns, with the countdown to the "
      "deadline and whom the\nturn waits for. The screen is redrawn when a "
      "turn resolves, the\ngame's status changes or a chat message arrives, "
      "and each second while a\ndeadline counts down. "
      "Ctrl-C leaves; at the end\nof the game it prints the final scores and "
      "exits.\n"
      "\n"
      "Watch as the facilitator (--admin-token: sees all chat), as a seat "
      "(--token),\nor with neither where the session allows spectators. "
      "Tokens may also come\nfrom $LANTHANIDE_ADMIN_TOKEN or "
      "$LANTHANIDE_TOKEN.\n"
      "\n"
      "Options:\n"
      "  --server HOST:PORT   the server (default %s, or $LANTHANIDE_SERVER)"
      "\n"
      "  --session ID         the session to watch\n"
      "  --admin-token T      the facilitator's token\n"
      "  --token T            a seat's token\n"
      "  --turns N            turns in the charts (default 20)\n"
      "  --once               draw one frame, without clearing, and exit\n"
      "  --no-clear           print each frame below the last (for a log)\n"
      "  --timeout MS         wait at most MS for each answer (default %d)\n"
      "  --help               this text\n"
      "\n"
      "Exit status: 0 at the end of the game or on Ctrl-C, 1 when the "
      "server\nrefused or could not be reached, 2 a usage error.\n",
      UI_DEFAULT_SERVER, UI_DEFAULT_TIMEOUT);
}

/* A countdown is on screen and moves: redraw it each second. */
static bool ticking(const watch_t *w) {
  return w->clock && !w->clock_paused && !w->no_clear && !w->once &&
         strcmp(ui_str(w->info, "status"), "running") == 0;
}

static void lose(watch_t *w) {
  cli_close(w->c);
  w->c = NULL;
  w->lost = true;
  w->retry_ms = 1000;
  w->retry_at = ui_now_ms() + w->retry_ms;
}

static int loop(watch_t *w) {
  long long next_poll = ui_now_ms() + LOBBY_POLL_MS;
  long long next_status = ui_now_ms() + STATUS_POLL_MS;
  /* A frame is due for the countdown or a polled change; it waits until a
   * second has passed since the last (news and status changes do not). */
  bool pending = false;
  while (!g_stop) {
    bool redraw = false, over = false;
    struct pollfd pfd = {.fd = w->c ? cli_fd(w->c) : -1, .events = POLLIN};
    int timeout = w->c ? LOBBY_POLL_MS : 1000;
    if (w->c && w->has_status > 0) {
      long long until = next_status - ui_now_ms();
      if (until < timeout)
        timeout = until > 0 ? (int)until : 0;
    }
    if (ticking(w) || pending) {
      long long until = w->drawn_at + 1000 - ui_now_ms();
      if (until < timeout)
        timeout = until > 0 ? (int)until : 0;
    }
    int pr = poll(&pfd, 1, timeout);
    if (pr < 0 && errno != EINTR) {
      perror("lanthanide: poll");
      return UI_EXIT_FAIL;
    }
    if (g_winch) {
      g_winch = 0;
      redraw = true;
    }
    if (w->c && pr > 0 && pfd.revents && cli_wait(w->c, 0) < 0) {
      /* Show what arrived before the connection went. */
      char *method;
      json_t *params;
      while (cli_next_notification(w->c, &method, &params) == 1) {
        over = on_note(w, method, params) || over;
        free(method);
        json_decref(params);
      }
      cli_close(w->c);
      w->c = NULL;
      w->lost = true;
      w->retry_ms = 1000;
      w->retry_at = ui_now_ms() + w->retry_ms;
      redraw = true;
    }
    if (w->c) {
      char *method;
      json_t *params;
      bool status_change = false;
      while (cli_next_notification(w->c, &method, &params) == 1) {
        over = on_note(w, method, params) || over;
        status_change = status_change || strncmp(method, "session.", 8) == 0 ||
                        strcmp(method, "turn.resolved") == 0;
        free(method);
        json_decref(params);
        redraw = true;
      }
      /* The turn, status and seats come from session.list: after a
       * change, and now and then in the lobby, where joins are silent. */
      bool lobby = strcmp(ui_str(w->info, "status"), "lobby") == 0;
      if (status_change || (lobby && ui_now_ms() >= next_poll)) {
        json_t *before = json_deep_copy(w->info);
        if (fetch_info(w) < 0)
          lose(w);
        redraw = redraw || !json_equal(before, w->info);
        json_decref(before);
        next_poll = ui_now_ms() + LOBBY_POLL_MS;
      }
      /* The deadline and who is ready: after a change, and every
       * STATUS_POLL_MS for the facilitator (readiness is silent). */
      if (w->c && (status_change ||
                   (w->has_status > 0 && ui_now_ms() >= next_status))) {
        /* Only a change a person would see asks for a frame: the seats,
         * or the clock started, stopped or moved (remaining_ms itself
         * changes with every answer). */
        json_t *before = json_deep_copy(json_object_get(w->status, "seats"));
        bool had_clock = w->clock, was_paused = w->clock_paused;
        long long wall = w->deadline_wall, left = w->left_ms;
        if (fetch_live(w) < 0)
          lose(w);
        const json_t *now = json_object_get(w->status, "seats");
        pending = pending || ((before || now) && !json_equal(before, now)) ||
                  had_clock != w->clock || was_paused != w->clock_paused ||
                  llabs(wall - w->deadline_wall) > 1000 ||
                  (w->clock_paused && left != w->left_ms);
        json_decref(before);
        next_status = ui_now_ms() + STATUS_POLL_MS;
      }
    } else if (ui_now_ms() >= w->retry_at) {
      int rc = attach(w);
      if (rc == 1)
        return UI_EXIT_FAIL;
      if (rc == 0) {
        w->lost = false;
        set_note(w, "reconnected");
        redraw = true;
      } else {
        w->retry_ms = w->retry_ms * 2 > 30000 ? 30000 : w->retry_ms * 2;
        w->retry_at = ui_now_ms() + w->retry_ms;
      }
    }
    if (ticking(w))
      pending = true;
    if (pending && ui_now_ms() - w->drawn_at >= 1000)
      redraw = true;
    if (redraw) {
      draw(w);
      pending = false;
    }
    if (over) {
      printf("\nThe game is over. Final scores are above.\n");
      return UI_EXIT_OK;
    }
  }
  return UI_EXIT_OK;
}

int cmd_watch(int argc, char **argv, const ui_conn_opts_t *dflt) {
  static const struct option longopts[] = {
      {"server", required_argument, NULL, 's'},
      {"timeout", required_argument, NULL, 't'},
      {"session", required_argument, NULL, 'S'},
      {"token", required_argument, NULL, 'T'},
      {"admin-token", required_argument, NULL, 'A'},
      {"turns", required_argument, NULL, 'n'},
      {"once", no_argument, NULL, '1'},
      {"no-clear", no_argument, NULL, 'k'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  watch_t w = {.conn = *dflt, .span = 20};
  int ch;
  char *end;
  optind = 0;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
    case 's':
      w.conn.server = optarg;
      break;
    case 't':
      if (ui_parse_timeout(optarg, &w.conn.timeout_ms) != 0)
        return UI_EXIT_USAGE;
      break;
    case 'S':
      w.session = optarg;
      break;
    case 'T':
      w.token = optarg;
      break;
    case 'A':
      w.admin_token = optarg;
      break;
    case 'n': {
      long n = strtol(optarg, &end, 10);
      if (*end || n < 2 || n > 200) {
        fprintf(stderr, "lanthanide watch: --turns must be from 2 to 200\n");
        return UI_EXIT_USAGE;
      }
      w.span = (size_t)n;
      break;
    }
    case '1':
      w.once = true;
      break;
    case 'k':
      w.no_clear = true;
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    default:
      fprintf(stderr, "lanthanide watch: %s option '%s'\n\n",
              optopt ? "missing value for" : "unknown",
              ui_clean(argv[optind - 1]));
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  if (optind < argc || !w.session || (w.token && w.admin_token)) {
    fprintf(stderr, "lanthanide watch: give --session, and at most one of "
                    "--admin-token and --token\n\n");
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  if (!w.token && !w.admin_token) {
    w.admin_token = ui_secret(NULL, "LANTHANIDE_ADMIN_TOKEN");
    if (!w.admin_token)
      w.token = ui_secret(NULL, "LANTHANIDE_TOKEN");
  }
  w.history = json_array();
  w.chat = json_array();
  int rc = attach(&w);
  if (rc != 0) {
    rc = UI_EXIT_FAIL;
    goto out;
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sa.sa_handler = on_winch;
  sigaction(SIGWINCH, &sa, NULL);
  if (strcmp(ui_str(w.info, "status"), "finished") == 0)
    w.final = json_incref(json_object_get(last_summary(&w), "scores"));
  draw(&w);
  if (w.once || strcmp(ui_str(w.info, "status"), "finished") == 0) {
    rc = UI_EXIT_OK;
    goto out;
  }
  rc = loop(&w);
out:
  cli_close(w.c);
  json_decref(w.history);
  json_decref(w.info);
  json_decref(w.chat);
  json_decref(w.final);
  json_decref(w.status);
  return rc;
}
