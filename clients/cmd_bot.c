/*
 * lanthanide bot: play one seat with a built-in strategy through the public
 * protocol, exactly as a bot written in any other language would: join,
 * then each turn state.get -> the strategy decides -> orders.submit with
 * ready -> wait for turn.resolved, until session.finished.
 *
 * The observation arrives as MessagePack and is rebuilt into the model's
 * model_obs_t (proto_obs_parse), so the strategy sees exactly the struct a
 * built-in agent sees inside the server.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "client.h"
#include "cmds.h"
#include "proto_types.h"

typedef struct bot {
  bool finished;
  bool moved;
  int resolved;    /* the last turn.resolved seen, -1 before */
  unsigned events; /* notifications seen */
  bool quiet;
} bot_t;

static void on_notify(void *data, const char *method, size_t len,
                      const msgpack_object *params) {
  bot_t *b = data;
  b->events++;
  const msgpack_object *t = cli_get(params, "turn");
  if (len == 13 && memcmp(method, "turn.resolved", len) == 0 && t) {
    b->resolved = (int)t->via.u64;
    if (!b->quiet)
      fprintf(stderr, "bot: turn %d resolved\n", b->resolved);
  } else if (len == 16 && memcmp(method, "session.finished", len) == 0) {
    b->finished = true;
  } else if (len == 10 && memcmp(method, "seat.moved", len) == 0) {
    b->moved = true;
  }
}

typedef struct submit_args {
  const char *session;
  const char *token;
  const model_order_t *orders;
  size_t n;
} submit_args_t;

static int pack_submit(msgpack_packer *pk, void *arg) {
  submit_args_t *a = arg;
  int rc = msgpack_pack_map(pk, 4);
  rc |= proto_pack_kv_cstr(pk, "session", a->session);
  rc |= proto_pack_kv_cstr(pk, "token", a->token);
  rc |= proto_pack_kv_bool(pk, "ready", true);
  rc |= proto_pack_cstr(pk, "orders");
  rc |= msgpack_pack_array(pk, a->n);
  for (size_t i = 0; i < a->n; i++)
    rc |= proto_pack_order(pk, &a->orders[i]);
  return rc;
}

static void usage(FILE *f) {
  fprintf(f, "usage: lanthanide bot --session S (--code CODE | --token TOKEN)\n"
             "                      --strategy NAME [--server HOST:PORT] "
             "[--quiet]\n"
             "\n"
             "Plays one seat with a built-in strategy over the network until "
             "the\n"
             "session finishes. Strategies:\n");
  for (size_t i = 0; i < agent_strategy_count(); i++)
    fprintf(f, "  %-14s %s\n", agent_strategy_at(i)->id,
            agent_strategy_at(i)->description);
}

static void print_error(const char *what, const msgpack_object *err) {
  const msgpack_object *code = cli_get(err, "code");
  const msgpack_object *msg = cli_get(err, "message");
  fprintf(stderr, "bot: %s: %.*s: %.*s\n", what,
          code ? (int)code->via.str.size : 1, code ? code->via.str.ptr : "?",
          msg ? (int)msg->via.str.size : 0, msg ? msg->via.str.ptr : "");
}

int cmd_bot(int argc, char **argv, const ui_conn_opts_t *dflt) {
  const char *server = dflt->server, *session = NULL, *code = NULL,
             *token = NULL, *strategy = NULL;
  bot_t b = {.resolved = -1};
  static const struct option opts[] = {
      {"server", required_argument, NULL, 's'},
      {"session", required_argument, NULL, 'S'},
      {"code", required_argument, NULL, 'c'},
      {"token", required_argument, NULL, 't'},
      {"strategy", required_argument, NULL, 'g'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (ch) {
    case 's':
      server = optarg;
      break;
    case 'S':
      session = optarg;
      break;
    case 'c':
      code = optarg;
      break;
    case 't':
      token = optarg;
      break;
    case 'g':
      strategy = optarg;
      break;
    case 'q':
      b.quiet = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (!session || (!code && !token) || !strategy) {
    usage(stderr);
    return 2;
  }
  const agent_strategy_t *strat = agent_find(strategy);
  if (!strat) {
    fprintf(stderr, "bot: no strategy '%s'\n\n", strategy);
    usage(stderr);
    return 2;
  }

  cli_conn_t *c = cli_connect(server, dflt->timeout_ms);
  if (!c)
    return 1;
  cli_on_notify(c, on_notify, &b);
  int rc = 1;
  char tok[128] = "";
  agent_t *agent = NULL;
  cli_reply_t r;
  json_t *p = json_pack("{s:s}", "session", session);
  json_object_set_new(p, code ? "join_code" : "token",
                      json_string(code ? code : token));
  if (cli_call(c, "session.join", p, &r) != 0)
    goto done;
  if (r.error) {
    print_error("cannot join", r.error);
    goto done;
  }
  const msgpack_object *t = cli_get(r.result, "token");
  const msgpack_object *seat = cli_get(r.result, "seat");
  if (!t || t->type != MSGPACK_OBJECT_STR || t->via.str.size >= sizeof tok)
    goto done;
  memcpy(tok, t->via.str.ptr, t->via.str.size);
  tok[t->via.str.size] = '\0';
  if (!b.quiet)
    fprintf(stderr,
            "bot: playing seat %.*s with '%s' (reconnect with "
            "--token %s)\n",
            seat ? (int)seat->via.str.size : 0, seat ? seat->via.str.ptr : "",
            strat->id, tok);
  /* The seed only varies the strategy's own choices; the game's seed is the
   * server's. */
  agent = agent_new(strat, 0x6c616e7468616e69ULL);
  if (!agent)
    goto done;

  int acted = -1;
  while (!b.finished && !b.moved) {
    json_decref(p);
    p = json_pack("{s:s,s:s}", "session", session, "token", tok);
    if (cli_call(c, "state.get", p, &r) != 0)
      goto done;
    if (r.error) {
      print_error("state.get", r.error);
      goto done;
    }
    const msgpack_object *status = cli_get(r.result, "status");
    const msgpack_object *turn = cli_get(r.result, "turn");
    if (status && status->type == MSGPACK_OBJECT_STR &&
        status->via.str.size == 8 &&
        memcmp(status->via.str.ptr, "finished", 8) == 0)
      break;
    bool running = status && status->type == MSGPACK_OBJECT_STR &&
                   status->via.str.size == 7 &&
                   memcmp(status->via.str.ptr, "running", 7) == 0;
    int now = turn ? (int)turn->via.u64 : -1;
    if (running && now != acted) {
      model_obs_t *obs;
      proto_error_t perr;
      model_order_t orders[MODEL_ORDERS_MAX];
      size_t n = 0;
      if (proto_obs_parse(r.result, &obs, &perr) != 0) {
        fprintf(stderr, "bot: %s\n", perr.message);
        goto done;
      }
      if (agent_act(agent, obs, orders, MODEL_ORDERS_MAX, &n) != 0)
        n = 0; /* the seat plays its standing orders */
      model_obs_free(obs);
      submit_args_t a = {session, tok, orders, n};
      if (cli_call_packed(c, "orders.submit", pack_submit, &a, &r) != 0)
        goto done;
      if (r.error) {
        print_error("orders.submit", r.error);
      } else {
        const msgpack_object *rej = cli_get(r.result, "rejected");
        if (rej && rej->via.array.size > 0)
          fprintf(stderr, "bot: turn %d: %u of %zu orders refused\n", now,
                  rej->via.array.size, n);
        else if (!b.quiet)
          fprintf(stderr, "bot: turn %d: %zu orders sent, ready\n", now, n);
      }
      acted = now;
    }
    /* Wait for the next notification (turn.resolved, session.started,
     * session.resumed, session.finished); poll state at least every few
     * seconds in case one was missed. */
    unsigned before = b.events;
    for (int i = 0; i < 50 && b.events == before && !b.finished && !b.moved;
         i++)
      if (cli_wait(c, 100) < 0) {
        fprintf(stderr, "bot: the server closed the connection\n");
        goto done;
      }
  }
  if (b.moved)
    fprintf(stderr, "bot: another connection took this seat; stopping\n");
  else if (!b.quiet)
    fprintf(stderr, "bot: the session is finished\n");
  rc = 0;
done:
  json_decref(p);
  agent_free(agent);
  cli_close(c);
  return rc;
}
