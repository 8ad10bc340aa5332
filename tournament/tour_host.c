/*
 * One tournament game with outside bots (tournament.h, "Outside bots"):
 * the worker that plays the game serves it to the bots itself, on a
 * private loopback port, speaking the subset of the wire protocol that a
 * seat uses (hello, ping, session.join, state.get, state.describe,
 * orders.submit, turn.ready, history.get, orders.schema,
 * observation.schema, and the notifications session.started,
 * turn.resolved and session.finished), with the protocol layer's scanner,
 * decoder, codecs and observation packer, so a bot that plays on a server
 * plays here unchanged.
 *
 * Why not a lanthanide-server per worker: the game's turn must close the
 * moment every bot has answered, or when its own budget runs out, and the
 * runner must know which seats answered in time; the server's turn clock
 * is a session's deadline, shared by all seats, and it keeps no count of
 * late turns. Serving the game here keeps the model, the agents and the
 * seeds exactly as tour_play uses them, so a game's result depends only on
 * the map, the seeds and what the bots send, never on --jobs or on which
 * worker plays it.
 *
 * Each bot is started with /bin/sh -c COMMAND once per seat it plays, in
 * a process group of its own, with LANTHANIDE_SERVER, LANTHANIDE_SESSION,
 * LANTHANIDE_TOKEN and LANTHANIDE_SEAT in its environment and resource
 * limits (address space, open files, no core files); it dies with the
 * worker (PR_SET_PDEATHSIG). A turn opens when every bot has joined (or
 * the start allowance has passed) and closes when every bot's seat is
 * ready or turn_ms has passed since it opened; a seat that was not ready
 * when its turn closed plays its standing orders and counts one failed
 * turn. The game ends with session.finished; bots still running a short
 * grace later are killed.
 */
#include "tournament_internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "proto.h"
#include "proto_types.h"

/* Connections a game accepts: two per outside seat (a bot may reconnect
 * or open a second connection) and a few more. */
#define HOST_CONNS_SPARE 8
#define HOST_OUT_MAX     ((size_t)32 << 20) /* a bot that reads nothing */
#define HOST_GRACE_MS    2000 /* after session.finished, before SIGKILL */
#define HOST_TOKEN_LEN   32

typedef struct {
  int fd;
  int seat; /* joined seat, or -1 */
  uint8_t *in;
  size_t in_len, in_cap;
  proto_scan_t scan;
  proto_buf_t out;
  size_t out_off;
} hconn_t;

typedef struct {
  int ext;     /* index into the externals, or -1: a built-in agent */
  pid_t pid;   /* the bot (and its process group); 0 when reaped */
  bool joined; /* the bot has joined once */
  bool ready;  /* for the open turn */
  int conn;    /* the connection that gets the seat's notifications */
  char token[HOST_TOKEN_LEN + 1];
} hseat_t;

enum { H_LOBBY, H_RUNNING, H_FINISHED };
static const char *const STATUS_NAME[] = {"lobby", "running", "finished"};

typedef struct {
  const model_map_t *map;
  const tour_bots_t *bots;
  const agent_strategy_t *const *seat_strategy;
  model_state_t *st;
  agent_t **agents;
  size_t n;
  hseat_t *seats;
  hconn_t *conns;
  int n_conns;
  int lfd;
  int port;
  char session[24];
  int status;
  int64_t deadline; /* monotonic ms: start allowance, turn, or grace */
  proto_limits_t lim;
  proto_decoder_t dec;
  proto_buf_t nbuf; /* notifications */
  tour_seat_result_t *out;
  model_order_t *orders;
  proto_buf_t *history; /* [turn]: the packed summary of each resolved turn */
  size_t n_history;
} host_t;

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- Bots ---- */

/* The process groups of the bots running in this process, for
 * tour_host_kill_all, which a signal handler calls: a worker that is told
 * to stop (SIGTERM from the runner, SIGINT from a terminal) ends its bots
 * and their children before it goes; the kernel's parent-death signal
 * reaches only the shell it started, not what that shell started. Plain
 * static storage because a handler may read nothing else; a game with more
 * than HOST_GROUPS_MAX bots still kills them all on its normal paths. */
#define HOST_GROUPS_MAX 1024
static pid_t host_groups[HOST_GROUPS_MAX];
static volatile sig_atomic_t host_n_groups;

void tour_host_kill_all(void) {
  int n = host_n_groups;
  for (int i = 0; i < n && i < HOST_GROUPS_MAX; i++)
    if (host_groups[i] > 0)
      kill(-host_groups[i], SIGKILL);
}

static void child_exec(const host_t *h, size_t seat, const char *command) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  int null = open("/dev/null", O_RDWR);
  int log = -1;
  if (h->bots->log_dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-%s.log", h->bots->log_dir, h->session,
             model_map_seat_id(h->map, seat));
    log = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  dup2(null, 0);
  dup2(log >= 0 ? log : null, 1);
  dup2(log >= 0 ? log : null, 2);
  /* Nothing of the runner's leaks into the bot: its database, pipes and
   * listening socket. */
  struct rlimit nf;
  int maxfd = getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur < 65536
                  ? (int)nf.rlim_cur
                  : 65536;
  for (int fd = 3; fd < maxfd; fd++)
    close(fd);
  char server[64], port[16];
  snprintf(port, sizeof port, "%d", h->port);
  snprintf(server, sizeof server, "127.0.0.1:%d", h->port);
  setenv("LANTHANIDE_SERVER", server, 1);
  setenv("LANTHANIDE_SESSION", h->session, 1);
  setenv("LANTHANIDE_TOKEN", h->seats[seat].token, 1);
  setenv("LANTHANIDE_SEAT", model_map_seat_id(h->map, seat), 1);
  if (h->bots->memory_mb > 0) {
    rlim_t bytes = (rlim_t)h->bots->memory_mb << 20;
    struct rlimit r = {bytes, bytes};
    setrlimit(RLIMIT_AS, &r);
  }
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);
  struct rlimit files = {256, 256};
  setrlimit(RLIMIT_NOFILE, &files);
  execl("/bin/sh", "sh", "-c", command, (char *)NULL);
  _exit(127);
}

static int spawn_bots(host_t *h, char *err, size_t errlen) {
  for (size_t s = 0; s < h->n; s++) {
    hseat_t *x = &h->seats[s];
    if (x->ext < 0)
      continue;
    pid_t pid = fork();
    if (pid < 0) {
      tour_set_err(err, errlen, "starting bot '%s': fork: %s",
                   h->bots->externals[x->ext].strategy.id, strerror(errno));
      return TOUR_EWORKER;
    }
    if (pid == 0)
      child_exec(h, s, h->bots->externals[x->ext].command);
    setpgid(pid, pid); /* also here: no race with the kill below */
    x->pid = pid;
    if (host_n_groups < HOST_GROUPS_MAX) {
      host_groups[host_n_groups] = pid;
      host_n_groups = host_n_groups + 1;
    }
  }
  return 0;
}

/* Reap bots that have exited; a seat whose bot is gone is waited for no
 * more. */
static void reap(host_t *h) {
  for (size_t s = 0; s < h->n; s++) {
    hseat_t *x = &h->seats[s];
    if (x->pid > 0 && waitpid(x->pid, NULL, WNOHANG) == x->pid)
      x->pid = 0;
  }
}

static void kill_bots(host_t *h) {
  if (!h->seats)
    return;
  for (size_t s = 0; s < h->n; s++)
    if (h->seats[s].ext >= 0 && h->seats[s].pid > 0)
      kill(-h->seats[s].pid, SIGKILL);
  for (size_t s = 0; s < h->n; s++) {
    hseat_t *x = &h->seats[s];
    if (x->ext >= 0 && x->pid > 0) {
      while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      x->pid = 0;
    }
  }
  host_n_groups = 0; /* every group of this game is gone */
}

/* ---- Connections ---- */

static void conn_close(host_t *h, int i) {
  hconn_t *c = &h->conns[i];
  if (c->fd < 0)
    return;
  close(c->fd);
  c->fd = -1;
  free(c->in);
  c->in = NULL;
  c->in_len = c->in_cap = 0;
  proto_buf_free(&c->out);
  for (size_t s = 0; h->seats && s < h->n; s++)
    if (h->seats[s].conn == i)
      h->seats[s].conn = -1;
}

static void conn_flush(host_t *h, int i) {
  hconn_t *c = &h->conns[i];
  while (c->fd >= 0 && c->out_off < c->out.len) {
    ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
                     MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (w <= 0) {
      conn_close(h, i);
      return;
    }
    c->out_off += (size_t)w;
  }
  if (c->fd >= 0 && c->out_off == c->out.len) {
    proto_buf_reset(&c->out);
    c->out_off = 0;
  }
}

static void conn_send(host_t *h, int i, const char *data, size_t len) {
  hconn_t *c = &h->conns[i];
  if (c->fd < 0)
    return;
  if (c->out.len - c->out_off + len > HOST_OUT_MAX ||
      proto_buf_write(&c->out, data, len) != 0) {
    conn_close(h, i); /* it reads nothing: as the server, let it go */
    return;
  }
  conn_flush(h, i);
}

/* Send the notification in h->nbuf to every seat's connection. */
static void notify_all(host_t *h) {
  if (proto_buf_failed(&h->nbuf))
    return;
  /* A connection may hold several seats: tell it once. */
  for (size_t s = 0; s < h->n; s++) {
    int i = h->seats[s].conn;
    bool told = false;
    for (size_t t = 0; t < s && !told; t++)
      told = h->seats[t].conn == i;
    if (i >= 0 && !told)
      conn_send(h, i, h->nbuf.data, h->nbuf.len);
  }
}

static msgpack_packer *notify_begin(host_t *h, msgpack_packer *pk,
                                    const char *method, size_t pairs) {
  proto_buf_reset(&h->nbuf);
  proto_packer_init(pk, &h->nbuf);
  proto_pack_notification_head(pk, method);
  msgpack_pack_map(pk, pairs + 1);
  proto_pack_kv_cstr(pk, "session", h->session);
  return pk;
}

/* ---- The game ---- */

static int open_turn(host_t *h) {
  for (size_t s = 0; s < h->n; s++) {
    h->seats[s].ready = false;
    if (h->seats[s].ext >= 0 || !h->agents[s])
      continue;
    /* As tour_play: a built-in agent decides at once; a failing one
     * stands. */
    model_obs_t *obs = NULL;
    size_t k = 0, refused = 0;
    int rc = model_observe(h->st, (int)s, &obs);
    if (rc != 0)
      return rc;
    if (agent_act(h->agents[s], obs, h->orders, MODEL_ORDERS_MAX, &k) != 0) {
      h->out[s].failed++;
      k = 0;
    }
    model_obs_free(obs);
    if (k == 0)
      continue;
    rc = model_submit(h->st, (int)s, h->orders, k, NULL, 0, &refused);
    if (rc != 0)
      return rc;
    h->out[s].refused += (int32_t)refused;
  }
  h->deadline = now_ms() + (int64_t)h->bots->turn_ms;
  return 0;
}

static int start_game(host_t *h) {
  h->status = H_RUNNING;
  int rc = open_turn(h);
  if (rc != 0)
    return rc;
  msgpack_packer pk;
  notify_begin(h, &pk, "session.started", 1);
  proto_pack_kv_i64(&pk, "turn", model_state_turn(h->st));
  notify_all(h);
  return 0;
}

static int resolve_turn(host_t *h) {
  for (size_t s = 0; s < h->n; s++)
    if (h->seats[s].ext >= 0 && !h->seats[s].ready)
      h->out[s].failed++;
  int rc = model_resolve(h->st);
  if (rc != 0)
    return rc;
  const model_report_t *rep = model_last_report(h->st);
  /* The turn's summary, packed once for turn.resolved and history.get. */
  proto_buf_t *grown =
      realloc(h->history, (h->n_history + 1) * sizeof *h->history);
  if (!grown)
    return MODEL_ENOMEM;
  h->history = grown;
  proto_buf_t *sum = &h->history[h->n_history++];
  proto_buf_init(sum);
  msgpack_packer pk;
  proto_packer_init(&pk, sum);
  msgpack_pack_map(&pk, PROTO_SUMMARY_PAIRS + 1);
  proto_pack_kv_i64(&pk, "turn", rep->turn);
  proto_pack_summary_pairs(&pk, h->map, rep, h->st);
  if (proto_buf_failed(sum))
    return MODEL_ENOMEM;
  notify_begin(h, &pk, "turn.resolved", 2);
  proto_pack_kv_i64(&pk, "turn", rep->turn);
  proto_pack_cstr(&pk, "summary");
  proto_buf_write(&h->nbuf, sum->data, sum->len);
  notify_all(h);
  if (model_state_turn(h->st) < model_state_turns(h->st))
    return open_turn(h);
  h->status = H_FINISHED;
  notify_begin(h, &pk, "session.finished", 1);
  proto_pack_cstr(&pk, "scores");
  msgpack_pack_array(&pk, h->n);
  for (size_t s = 0; s < h->n; s++) {
    msgpack_pack_map(&pk, 2);
    proto_pack_kv_cstr(&pk, "seat", model_map_seat_id(h->map, s));
    proto_pack_kv_f64(&pk, "score", proto_score(rep->scores[s]));
  }
  notify_all(h);
  h->deadline = now_ms() + HOST_GRACE_MS;
  return 0;
}

/* Every outside seat is ready, or its bot is gone. */
static bool all_answered(const host_t *h) {
  for (size_t s = 0; s < h->n; s++)
    if (h->seats[s].ext >= 0 && !h->seats[s].ready && h->seats[s].pid > 0)
      return false;
  return true;
}

static bool all_joined(const host_t *h) {
  for (size_t s = 0; s < h->n; s++)
    if (h->seats[s].ext >= 0 && !h->seats[s].joined && h->seats[s].pid > 0)
      return false;
  return true;
}

static bool all_exited(const host_t *h) {
  for (size_t s = 0; s < h->n; s++)
    if (h->seats[s].ext >= 0 && h->seats[s].pid > 0)
      return false;
  return true;
}

/* ---- Requests ---- */

typedef struct {
  host_t *h;
  int conn;
  msgpack_packer *pk; /* the result value goes here */
  const msgpack_object *params;
  proto_error_t *err;
} call_t;

/* The seat a request's session and token name (-1 with err set). */
static int authorise(call_t *c) {
  const char *sid, *tok;
  uint32_t slen, tlen;
  if (proto_param_str(c->params, "session", true, &sid, &slen, c->err) < 0)
    return -1;
  if (slen != strlen(c->h->session) || memcmp(sid, c->h->session, slen) != 0)
    return proto_error_set(c->err, PROTO_NOT_FOUND, "session",
                           "no session '%.*s' here; this tournament game is "
                           "session '%s' (LANTHANIDE_SESSION)",
                           (int)(slen > 40 ? 40 : slen), sid, c->h->session);
  int r = proto_param_str(c->params, "token", false, &tok, &tlen, c->err);
  if (r < 0)
    return -1;
  if (r == 0)
    return proto_error_set(c->err, PROTO_UNAUTHORIZED, "token",
                           "give the seat's token (LANTHANIDE_TOKEN); join "
                           "codes are not used in tournaments");
  for (size_t s = 0; s < c->h->n; s++)
    if (c->h->seats[s].ext >= 0 && tlen == HOST_TOKEN_LEN &&
        memcmp(tok, c->h->seats[s].token, HOST_TOKEN_LEN) == 0)
      return (int)s;
  return proto_error_set(c->err, PROTO_UNAUTHORIZED, "token",
                         "that token opens no seat of session '%s'; use "
                         "LANTHANIDE_TOKEN as given",
                         c->h->session);
}

static int m_hello(call_t *c) {
  msgpack_pack_map(c->pk, 3);
  proto_pack_kv_cstr(c->pk, "server", "lanthanide");
  proto_pack_kv_cstr(c->pk, "version", LAN_VERSION);
  proto_pack_kv_u64(c->pk, "protocol", PROTO_VERSION);
  return 0;
}

static int m_ping(call_t *c) {
  msgpack_pack_map(c->pk, 0);
  return 0;
}

static int m_schema(call_t *c) {
  msgpack_pack_map(c->pk, 1);
  proto_pack_cstr(c->pk, "schema");
  return proto_pack_order_schema(c->pk);
}

static int m_obs_schema(call_t *c) {
  msgpack_pack_map(c->pk, 1);
  proto_pack_cstr(c->pk, "schema");
  return proto_pack_observation_schema(c->pk);
}

static int m_join(call_t *c) {
  int s = authorise(c);
  if (s < 0)
    return -1;
  hseat_t *x = &c->h->seats[s];
  x->joined = true;
  x->conn = c->conn;
  c->h->conns[c->conn].seat = s;
  msgpack_pack_map(c->pk, 2);
  proto_pack_kv_cstr(c->pk, "seat", model_map_seat_id(c->h->map, (size_t)s));
  proto_pack_kv_cstr(c->pk, "token", x->token);
  return 0;
}

static int m_state(call_t *c) {
  int s = authorise(c);
  if (s < 0)
    return -1;
  model_obs_t *obs = NULL;
  if (model_observe(c->h->st, s, &obs) != 0)
    return proto_error_set(c->err, PROTO_INTERNAL, NULL,
                           "the observation could not be built");
  msgpack_pack_map(c->pk, PROTO_OBS_PAIRS + 4);
  proto_pack_kv_cstr(c->pk, "session", c->h->session);
  proto_pack_kv_cstr(c->pk, "status", STATUS_NAME[c->h->status]);
  if (c->h->status == H_RUNNING) {
    int64_t left = c->h->deadline - now_ms();
    /* Wall-clock milliseconds, as the server gives them. */
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    int64_t wall = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
    proto_pack_kv_i64(c->pk, "deadline_ms", wall + (left > 0 ? left : 0));
    proto_pack_kv_i64(c->pk, "remaining_ms", left > 0 ? left : 0);
  } else {
    proto_pack_kv_nil(c->pk, "deadline_ms");
    proto_pack_kv_nil(c->pk, "remaining_ms");
  }
  int rc = proto_pack_obs_pairs(c->pk, obs);
  model_obs_free(obs);
  return rc;
}

static int m_describe(call_t *c) {
  int s = authorise(c);
  if (s < 0)
    return -1;
  char *text = NULL;
  size_t len = 0;
  if (agent_describe(c->h->st, s, 0, &text, &len) != 0)
    return proto_error_set(c->err, PROTO_INTERNAL, NULL,
                           "the briefing could not be written");
  msgpack_pack_map(c->pk, 3);
  proto_pack_kv_cstr(c->pk, "seat", model_map_seat_id(c->h->map, (size_t)s));
  proto_pack_kv_i64(c->pk, "turn", model_state_turn(c->h->st));
  proto_pack_cstr(c->pk, "text");
  msgpack_pack_str_with_body(c->pk, text, len);
  free(text);
  return 0;
}

/* history.get {session, token, from?, to?}: the summaries of the resolved
 * turns from..to, as the server answers it. */
static int m_history(call_t *c) {
  int64_t from = 0, to = INT32_MAX;
  if (authorise(c) < 0 ||
      proto_param_i64(c->params, "from", false, &from, c->err) < 0 ||
      proto_param_i64(c->params, "to", false, &to, c->err) < 0)
    return -1;
  size_t n = 0;
  for (size_t t = 0; t < c->h->n_history; t++)
    n += (int64_t)t >= from && (int64_t)t <= to;
  msgpack_pack_array(c->pk, n);
  for (size_t t = 0; t < c->h->n_history; t++)
    if ((int64_t)t >= from && (int64_t)t <= to)
      c->pk->callback(c->pk->data, c->h->history[t].data, c->h->history[t].len);
  return 0;
}

static int open_for_orders(call_t *c) {
  if (c->h->status == H_FINISHED)
    return proto_error_set(c->err, PROTO_CONFLICT, NULL,
                           "session '%s' is finished; no turn is open",
                           c->h->session);
  return 0;
}

static void pack_waiting(call_t *c) {
  size_t n = 0;
  for (size_t s = 0; s < c->h->n; s++)
    n += c->h->seats[s].ext >= 0 && !c->h->seats[s].ready;
  proto_pack_cstr(c->pk, "waiting");
  msgpack_pack_array(c->pk, n);
  for (size_t s = 0; s < c->h->n; s++)
    if (c->h->seats[s].ext >= 0 && !c->h->seats[s].ready)
      proto_pack_cstr(c->pk, model_map_seat_id(c->h->map, s));
}

/* orders.submit as the server takes it (server/sess_methods.c m_submit):
 * each order parsed by the protocol layer, the parsed ones given to the
 * model together, the refusals of both in submission order. */
static int m_submit(call_t *c) {
  const msgpack_object *arr;
  bool ready = false;
  int s = authorise(c);
  if (s < 0 || open_for_orders(c) != 0 ||
      proto_param_array(c->params, "orders", true, &arr, c->err) < 0 ||
      proto_param_bool(c->params, "ready", false, &ready, c->err) < 0)
    return -1;
  size_t n = arr->via.array.size;
  if (n > MODEL_ORDERS_MAX)
    return proto_error_set(c->err, PROTO_TOO_LARGE, "orders",
                           "at most %d orders per submission; this one has "
                           "%zu",
                           MODEL_ORDERS_MAX, n);
  model_order_t orders[MODEL_ORDERS_MAX];
  size_t where[MODEL_ORDERS_MAX];
  model_refusal_t refused[MODEL_ORDERS_MAX], mref[MODEL_ORDERS_MAX];
  size_t n_ok = 0, n_ref = 0, n_mref = 0;
  for (size_t i = 0; i < n; i++) {
    if (proto_order_parse(&arr->via.array.ptr[i], &orders[n_ok],
                          &refused[n_ref]) == 0)
      where[n_ok++] = i;
    else
      refused[n_ref++].index = i;
  }
  if (model_submit(c->h->st, s, orders, n_ok, mref, MODEL_ORDERS_MAX,
                   &n_mref) != 0)
    return proto_error_set(c->err, PROTO_INTERNAL, NULL,
                           "the orders could not be recorded");
  for (size_t k = 0; k < n_mref && n_ref < MODEL_ORDERS_MAX; k++) {
    refused[n_ref] = mref[k];
    refused[n_ref++].index = where[mref[k].index];
  }
  for (size_t a = 1; a < n_ref; a++)
    for (size_t b = a; b > 0 && refused[b - 1].index > refused[b].index; b--) {
      model_refusal_t t = refused[b];
      refused[b] = refused[b - 1];
      refused[b - 1] = t;
    }
  c->h->out[s].refused += (int32_t)n_ref;
  if (ready && c->h->status == H_RUNNING)
    c->h->seats[s].ready = true;
  msgpack_pack_map(c->pk, 2);
  proto_pack_kv_i64(c->pk, "turn", model_state_turn(c->h->st));
  proto_pack_cstr(c->pk, "rejected");
  msgpack_pack_array(c->pk, n_ref);
  for (size_t k = 0; k < n_ref; k++) {
    msgpack_pack_map(c->pk, refused[k].field[0] ? 4 : 3);
    proto_pack_kv_u64(c->pk, "index", refused[k].index);
    proto_pack_kv_cstr(c->pk, "code", "invalid_order");
    proto_pack_kv_cstr(c->pk, "message", refused[k].message);
    if (refused[k].field[0])
      proto_pack_kv_cstr(c->pk, "field", refused[k].field);
  }
  return 0;
}

static int m_ready(call_t *c) {
  int s = authorise(c);
  if (s < 0 || open_for_orders(c) != 0)
    return -1;
  if (c->h->status == H_LOBBY)
    return proto_error_set(c->err, PROTO_CONFLICT, NULL,
                           "session '%s' has not started; ready counts once "
                           "it starts",
                           c->h->session);
  c->h->seats[s].ready = true;
  msgpack_pack_map(c->pk, 2);
  proto_pack_kv_i64(c->pk, "turn", model_state_turn(c->h->st));
  pack_waiting(c);
  return 0;
}

static const struct {
  const char *name;
  int (*fn)(call_t *);
} METHODS[] = {
    {"hello", m_hello},
    {"ping", m_ping},
    {"orders.schema", m_schema},
    {"session.join", m_join},
    {"state.get", m_state},
    {"orders.submit", m_submit},
    {"turn.ready", m_ready},
    {"observation.schema", m_obs_schema},
    {"state.describe", m_describe},
    {"history.get", m_history},
};

/* Answer one complete message of conn i. */
static void handle(host_t *h, int i, const uint8_t *msg, size_t len) {
  proto_error_t err;
  memset(&err, 0, sizeof err);
  msgpack_object obj;
  proto_request_t req;
  bool known = false;
  proto_buf_t b;
  proto_buf_init(&b);
  msgpack_packer pk;
  proto_packer_init(&pk, &b);
  if (proto_decode(&h->dec, msg, len, &obj, &err) != 0 ||
      proto_request_parse(&obj, &req, &known, &err) != 0) {
    if (known)
      proto_pack_error_response(&pk, req.msgid, &err);
    goto send;
  }
  for (size_t k = 0; k < sizeof METHODS / sizeof METHODS[0]; k++) {
    if (!proto_method_is(&req, METHODS[k].name))
      continue;
    size_t mark = b.len;
    proto_pack_response_head(&pk, req.msgid);
    call_t c = {h, i, &pk, req.params, &err};
    if (METHODS[k].fn(&c) != 0 || proto_buf_failed(&b)) {
      if (proto_buf_failed(&b) && err.message[0] == '\0')
        proto_error_set(&err, PROTO_INTERNAL, NULL, "out of memory");
      proto_buf_reset(&b);
      b.len = mark;
      proto_pack_error_response(&pk, req.msgid, &err);
    }
    goto send;
  }
  proto_error_set(&err, PROTO_UNKNOWN_METHOD, NULL,
                  "'%.*s' is not served in a tournament game, which serves "
                  "hello, ping, orders.schema, observation.schema, "
                  "session.join, state.get, state.describe, history.get, "
                  "orders.submit and turn.ready",
                  (int)(req.method_len > 40 ? 40 : req.method_len), req.method);
  proto_pack_error_response(&pk, req.msgid, &err);
send:
  proto_decoder_reset(&h->dec);
  if (b.len > 0 && !proto_buf_failed(&b))
    conn_send(h, i, b.data, b.len);
  proto_buf_free(&b);
}

static void conn_read(host_t *h, int i) {
  hconn_t *c = &h->conns[i];
  if (c->in_cap - c->in_len < 65536) {
    size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
    if (cap > h->lim.max_message + 131072) {
      cap = h->lim.max_message + 131072;
      if (cap <= c->in_len) {
        conn_close(h, i);
        return;
      }
    }
    uint8_t *p = realloc(c->in, cap);
    if (!p) {
      conn_close(h, i);
      return;
    }
    c->in = p;
    c->in_cap = cap;
  }
  ssize_t got = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
  if (got < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (got <= 0) {
    conn_close(h, i);
    return;
  }
  c->in_len += (size_t)got;
  size_t off = 0;
  while (c->fd >= 0 && off < c->in_len) {
    size_t mlen = 0;
    proto_scan_result_t r =
        proto_scan_feed(&c->scan, &h->lim, c->in + off, c->in_len - off, &mlen);
    if (r == PROTO_SCAN_MORE)
      break;
    if (r < 0) {
      conn_close(h, i); /* the stream cannot be trusted any more */
      return;
    }
    handle(h, i, c->in + off, mlen);
    off += mlen;
  }
  if (c->fd >= 0) {
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
  }
}

static void conn_accept(host_t *h) {
  int fd = accept(h->lfd, NULL, NULL);
  if (fd < 0)
    return;
  int i = -1;
  for (int k = 0; k < h->n_conns && i < 0; k++)
    if (h->conns[k].fd < 0)
      i = k;
  if (i < 0) {
    close(fd);
    return;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  hconn_t *c = &h->conns[i];
  memset(c, 0, sizeof *c);
  c->fd = fd;
  c->seat = -1;
  proto_scan_init(&c->scan);
  proto_buf_init(&c->out);
}

/* ---- The game's loop ---- */

static int listen_loopback(host_t *h, char *err, size_t errlen) {
  h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (h->lfd < 0) {
    tour_set_err(err, errlen, "socket: %s", strerror(errno));
    return TOUR_EWORKER;
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(h->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(h->lfd, 64) != 0 ||
      getsockname(h->lfd, (struct sockaddr *)&a, &alen) != 0) {
    tour_set_err(err, errlen, "listening on 127.0.0.1: %s", strerror(errno));
    return TOUR_EWORKER;
  }
  h->port = ntohs(a.sin_port);
  return 0;
}

static int make_tokens(host_t *h) {
  static const char hex[] = "0123456789abcdef";
  for (size_t s = 0; s < h->n; s++) {
    uint8_t raw[HOST_TOKEN_LEN / 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
      return -1;
    for (size_t k = 0; k < sizeof raw; k++) {
      h->seats[s].token[2 * k] = hex[raw[k] >> 4];
      h->seats[s].token[2 * k + 1] = hex[raw[k] & 15];
    }
    h->seats[s].token[HOST_TOKEN_LEN] = '\0';
  }
  return 0;
}

static int run_loop(host_t *h, struct pollfd *pfd, int *idx,
                    const volatile sig_atomic_t *stop) {
  for (;;) {
    if (stop && *stop)
      return TOUR_EINTR;
    reap(h);
    int64_t now = now_ms();
    int rc = 0;
    if (h->status == H_LOBBY && (all_joined(h) || now >= h->deadline))
      rc = start_game(h);
    else if (h->status == H_RUNNING && (all_answered(h) || now >= h->deadline))
      rc = resolve_turn(h);
    else if (h->status == H_FINISHED && (all_exited(h) || now >= h->deadline))
      return 0;
    if (rc != 0)
      return rc;
    if (h->status == H_RUNNING && all_answered(h))
      continue; /* the next turn may close at once (every bot gone) */
    nfds_t np = 0;
    pfd[np] = (struct pollfd){.fd = h->lfd, .events = POLLIN};
    idx[np++] = -1;
    for (int i = 0; i < h->n_conns; i++) {
      hconn_t *c = &h->conns[i];
      if (c->fd < 0)
        continue;
      short ev = POLLIN;
      if (c->out_off < c->out.len)
        ev |= POLLOUT;
      pfd[np] = (struct pollfd){.fd = c->fd, .events = ev};
      idx[np++] = i;
    }
    int64_t wait = h->deadline - now_ms();
    /* Short enough to notice a bot's exit (SIGCHLD is not caught). */
    if (wait > 20)
      wait = 20;
    if (wait < 0)
      wait = 0;
    int pr = poll(pfd, np, (int)wait);
    if (pr <= 0)
      continue;
    for (nfds_t p = 0; p < np; p++) {
      if (!pfd[p].revents)
        continue;
      if (idx[p] < 0) {
        conn_accept(h);
        continue;
      }
      if (pfd[p].revents & POLLOUT)
        conn_flush(h, idx[p]);
      if (pfd[p].revents & (POLLIN | POLLHUP | POLLERR))
        conn_read(h, idx[p]);
    }
  }
}

int tour_play_hosted(const model_map_t *map,
                     const agent_strategy_t *const *seat_strategy,
                     const int *seat_external, const tour_bots_t *bots,
                     uint64_t game, uint64_t seed, tour_seat_result_t *out,
                     uint8_t hash[MODEL_HASH_BYTES],
                     const volatile sig_atomic_t *stop, char *err,
                     size_t errlen) {
  host_t h;
  memset(&h, 0, sizeof h);
  h.map = map;
  h.bots = bots;
  h.seat_strategy = seat_strategy;
  h.n = model_map_seat_count(map);
  h.out = out;
  h.lfd = -1;
  proto_limits_default(&h.lim);
  proto_buf_init(&h.nbuf);
  snprintf(h.session, sizeof h.session, "t%llu", (unsigned long long)game);
  int rc = 0;
  bool dec = false;
  h.seats = calloc(h.n ? h.n : 1, sizeof *h.seats);
  h.agents = calloc(h.n ? h.n : 1, sizeof *h.agents);
  h.orders = malloc(MODEL_ORDERS_MAX * sizeof *h.orders);
  size_t n_ext = 0;
  for (size_t s = 0; s < h.n; s++)
    n_ext += seat_external[s] >= 0;
  h.n_conns = (int)(2 * n_ext + HOST_CONNS_SPARE);
  h.conns = calloc((size_t)h.n_conns, sizeof *h.conns);
  struct pollfd *pfd = calloc((size_t)h.n_conns + 1, sizeof *pfd);
  int *idx = calloc((size_t)h.n_conns + 1, sizeof *idx);
  if (h.conns)
    for (int i = 0; i < h.n_conns; i++)
      h.conns[i].fd = -1;
  if (!h.seats || !h.agents || !h.orders || !h.conns || !pfd || !idx) {
    rc = TOUR_ENOMEM;
    goto done;
  }
  if (proto_decoder_init(&h.dec) != 0) {
    rc = TOUR_ENOMEM;
    goto done;
  }
  dec = true;
  rc = model_state_new(map, seed, &h.st);
  if (rc != 0) {
    tour_set_err(err, errlen, "cannot start game %llu: %s",
                 (unsigned long long)game, model_strerror(rc));
    rc = TOUR_EMODEL;
    goto done;
  }
  const agent_strategy_t *standing = agent_find("standing");
  for (size_t s = 0; s < h.n; s++) {
    out[s] = (tour_seat_result_t){0, 0, 0};
    h.seats[s].ext = seat_external[s];
    h.seats[s].conn = -1;
    if (seat_external[s] >= 0 || seat_strategy[s] == standing)
      continue; /* standing sends nothing: no agent needed */
    h.agents[s] = agent_new(seat_strategy[s], tour_agent_seed(seed, s));
    if (!h.agents[s]) {
      rc = TOUR_ENOMEM;
      goto done;
    }
  }
  if (make_tokens(&h) != 0) {
    tour_set_err(err, errlen, "getrandom: %s", strerror(errno));
    rc = TOUR_EWORKER;
    goto done;
  }
  rc = listen_loopback(&h, err, errlen);
  if (rc == 0)
    rc = spawn_bots(&h, err, errlen);
  if (rc != 0)
    goto done;
  h.status = H_LOBBY;
  h.deadline = now_ms() + (int64_t)bots->start_ms;
  rc = run_loop(&h, pfd, idx, stop);
  if (rc == TOUR_EINTR) {
    tour_set_err(err, errlen, "game %llu was stopped",
                 (unsigned long long)game);
    goto done;
  }
  if (rc != 0) {
    tour_set_err(err, errlen, "game %llu: %s%s%s", (unsigned long long)game,
                 model_strerror(rc), model_last_error(h.st)[0] ? ": " : "",
                 model_last_error(h.st));
    rc = TOUR_EMODEL;
    goto done;
  }
  const model_report_t *rep = model_last_report(h.st);
  for (size_t s = 0; s < h.n; s++)
    out[s].score = rep->scores[s];
  if (hash && model_state_hash(h.st, hash) != 0)
    rc = TOUR_ENOMEM;
done:
  kill_bots(&h);
  for (int i = 0; h.conns && i < h.n_conns; i++)
    conn_close(&h, i);
  free(h.conns);
  free(pfd);
  free(idx);
  if (h.lfd >= 0)
    close(h.lfd);
  if (h.agents)
    for (size_t s = 0; s < h.n; s++)
      agent_free(h.agents[s]);
  free(h.agents);
  free(h.seats);
  free(h.orders);
  for (size_t t = 0; t < h.n_history; t++)
    proto_buf_free(&h.history[t]);
  free(h.history);
  if (dec)
    proto_decoder_destroy(&h.dec);
  proto_buf_free(&h.nbuf);
  model_state_free(h.st);
  return rc;
}

/* ---- --agent NAME=COMMAND ---- */

/* An outside bot's strategy is never asked in-process: a seat it plays is
 * served to the bot (tour_play_hosted). Anything that asks anyway gets a
 * failure, and the seat stands. */
static int external_act(uint64_t seed, const model_obs_t *obs,
                        model_order_t *orders, size_t cap, size_t *n) {
  (void)seed;
  (void)obs;
  (void)orders;
  (void)cap;
  *n = 0;
  return -1;
}

int tour_external_parse(tour_external_t *x, const char *spec, char *name_buf,
                        size_t name_cap, char *err, size_t errlen) {
  memset(x, 0, sizeof *x);
  const char *eq = spec ? strchr(spec, '=') : NULL;
  size_t len = eq ? (size_t)(eq - spec) : 0;
  if (!eq || len == 0 || !eq[1]) {
    tour_set_err(err, errlen,
                 "--agent takes NAME=COMMAND, such as "
                 "mybot='python3 mybot.py'; got '%s'",
                 spec ? spec : "");
    return TOUR_EINVAL;
  }
  if (len >= name_cap || len >= MODEL_ID_MAX) {
    tour_set_err(err, errlen, "--agent: the name must be under %d bytes",
                 MODEL_ID_MAX);
    return TOUR_EINVAL;
  }
  memcpy(name_buf, spec, len);
  name_buf[len] = '\0';
  for (size_t i = 0; i < len; i++)
    if (name_buf[i] == ',' || name_buf[i] == ' ') {
      tour_set_err(err, errlen,
                   "--agent: the name '%s' may not hold a comma or a space "
                   "(it goes into --strategies)",
                   name_buf);
      return TOUR_EINVAL;
    }
  if (agent_find(name_buf)) {
    tour_set_err(err, errlen,
                 "--agent: '%s' is a built-in strategy; give the bot "
                 "another name",
                 name_buf);
    return TOUR_EINVAL;
  }
  x->strategy.id = name_buf;
  x->strategy.description = "an outside bot, run as a command";
  x->strategy.kinds = AGENT_BOTH;
  x->strategy.act = external_act;
  x->command = eq + 1;
  return 0;
}
