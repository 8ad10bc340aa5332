/*
 * lanthanide-server: the program. Parses the flags, wires the dispatcher
 * (rpc.h, methods.h) to the connection core (conn.h) and its transports,
 * TCP (net.h) and, with --http, HTTP and WebSocket (http.h), prints the
 * line
 * that scripts and tests parse, runs the loop, and on SIGINT or SIGTERM
 * closes every connection and handle and exits 0 with a closed loop.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <sodium.h>
#include <uv.h>

#include "http.h"
#include "log.h"
#include "methods.h"
#include "metrics.h"
#include "net.h"
#include "ratelimit.h"
#include "rpc.h"
#include "sess.h"
#include "srv.h"
#include "durable.h"
#include "store.h"

#ifndef LAN_VERSION
#define LAN_VERSION "0.0.0"
#endif
#ifndef LAN_SOURCE_MAPS
#define LAN_SOURCE_MAPS "maps"
#endif

#define DEFAULT_LISTEN "127.0.0.1:7447"
#define DEFAULT_HTTP   "127.0.0.1:8080"
#define DEFAULT_DB     "lanthanide.db"

/* Exit statuses: 0 clean shutdown, 1 a runtime failure, 2 bad usage. */
#define EXIT_USAGE 2

typedef struct config {
  const char *listen;
  const char *http; /* NULL: no HTTP (the default) */
  const char *db;
  const char *maps;
  struct sockaddr_storage listen_addr;
  struct sockaddr_storage http_addr;
  conn_config_t conn;
  net_config_t net;
  http_config_t web;
  char origins[1024]; /* --http-origin, split in place */
  sess_config_t sess;
  bool sync_full;
  log_level_t log_level;
  log_format_t log_format;
} config_t;

/* Everything the signal handler needs to stop the server. */
typedef struct app {
  uv_loop_t loop;
  uv_signal_t sigint;
  uv_signal_t sigterm;
  uv_signal_t sighup;
  methods_t *methods;
  conn_core_t *conns;
  net_server_t *net;
  http_server_t *http;
  sess_registry_t *sess;
  store_t *store;
  durable_t *durable; /* drives the store's commits from the loop */
  bool stopping;
} app_t;

enum {
  OPT_LISTEN = 256,
  OPT_HTTP,
  OPT_HTTP_ORIGIN,
  OPT_MAX_HTTP_HEAD,
  OPT_DB,
  OPT_MAPS,
  OPT_MAX_MAP_BYTES,
  OPT_MAX_MESSAGE,
  OPT_MAX_DEPTH,
  OPT_FIRST_REQUEST_MS,
  OPT_MESSAGE_MS,
  OPT_IDLE_MS,
  OPT_KEEPALIVE_S,
  OPT_MAX_OUTPUT,
  OPT_MAX_CONNECTIONS,
  OPT_MAX_PER_ADDRESS,
  OPT_SYNC,
  OPT_MAX_SESSIONS,
  OPT_MAX_FINISHED,
  OPT_MAX_CHAT_BYTES,
  OPT_MAX_CHAT_MESSAGES,
  OPT_MAX_OBSERVERS,
  OPT_CHAT_BURST,
  OPT_CHAT_REFILL_MS,
  OPT_SUBMIT_BURST,
  OPT_SUBMIT_REFILL_MS,
  OPT_MAX_PENDING_WRITES,
  OPT_JOIN_BURST,
  OPT_JOIN_REFILL_MS,
  OPT_CREATE_BURST,
  OPT_CREATE_REFILL_MS,
  OPT_MAX_BATCH,
  OPT_RATE_TABLE_SIZE,
  OPT_LOBBY_EXPIRY_S,
  OPT_MAX_LOBBY_PER_ADDRESS,
  OPT_MAX_WATCHES,
  OPT_MAX_LIST_PAGE,
  OPT_MAX_OUTPUT_PER_ITERATION,
  OPT_LOG_LEVEL,
  OPT_LOG_FORMAT,
  OPT_VERSION,
  OPT_HELP
};

static const struct option long_options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-origin", required_argument, NULL, OPT_HTTP_ORIGIN},
    {"max-http-head", required_argument, NULL, OPT_MAX_HTTP_HEAD},
    {"db", required_argument, NULL, OPT_DB},
    {"maps", required_argument, NULL, OPT_MAPS},
    {"max-map-bytes", required_argument, NULL, OPT_MAX_MAP_BYTES},
    {"max-message", required_argument, NULL, OPT_MAX_MESSAGE},
    {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
    {"first-request-ms", required_argument, NULL, OPT_FIRST_REQUEST_MS},
    {"message-ms", required_argument, NULL, OPT_MESSAGE_MS},
    {"idle-ms", required_argument, NULL, OPT_IDLE_MS},
    {"keepalive-s", required_argument, NULL, OPT_KEEPALIVE_S},
    {"max-output", required_argument, NULL, OPT_MAX_OUTPUT},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"max-per-address", required_argument, NULL, OPT_MAX_PER_ADDRESS},
    {"sync", required_argument, NULL, OPT_SYNC},
    {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
    {"max-finished", required_argument, NULL, OPT_MAX_FINISHED},
    {"max-chat-bytes", required_argument, NULL, OPT_MAX_CHAT_BYTES},
    {"max-chat-messages", required_argument, NULL, OPT_MAX_CHAT_MESSAGES},
    {"max-observers", required_argument, NULL, OPT_MAX_OBSERVERS},
    {"chat-burst", required_argument, NULL, OPT_CHAT_BURST},
    {"chat-refill-ms", required_argument, NULL, OPT_CHAT_REFILL_MS},
    {"submit-burst", required_argument, NULL, OPT_SUBMIT_BURST},
    {"submit-refill-ms", required_argument, NULL, OPT_SUBMIT_REFILL_MS},
    {"max-pending-writes", required_argument, NULL, OPT_MAX_PENDING_WRITES},
    {"join-burst", required_argument, NULL, OPT_JOIN_BURST},
    {"join-refill-ms", required_argument, NULL, OPT_JOIN_REFILL_MS},
    {"create-burst", required_argument, NULL, OPT_CREATE_BURST},
    {"create-refill-ms", required_argument, NULL, OPT_CREATE_REFILL_MS},
    {"max-batch", required_argument, NULL, OPT_MAX_BATCH},
    {"rate-table-size", required_argument, NULL, OPT_RATE_TABLE_SIZE},
    {"lobby-expiry-s", required_argument, NULL, OPT_LOBBY_EXPIRY_S},
    {"max-lobby-per-address", required_argument, NULL,
     OPT_MAX_LOBBY_PER_ADDRESS},
    {"max-watches-per-connection", required_argument, NULL, OPT_MAX_WATCHES},
    {"max-list-page", required_argument, NULL, OPT_MAX_LIST_PAGE},
    {"max-output-per-iteration", required_argument, NULL,
     OPT_MAX_OUTPUT_PER_ITERATION},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fprintf(
      f,
      "Usage: lanthanide-server [OPTION]...\n"
      "The Lanthanide game server: MessagePack-RPC over TCP (docs/protocol.md)"
      "\nand, with --http, over WebSocket, with the browser client.\n"
      "On start it prints one line to stdout,\n"
      "  lanthanide-server VERSION listening on ADDRESS:PORT\n"
      "then, with --http, a second one,\n"
      "  lanthanide-server VERSION http on ADDRESS:PORT\n"
      "and logs to stderr. SIGINT or SIGTERM closes every connection and "
      "exits 0;\n"
      "SIGHUP reads the maps folder again and logs the maps found.\n"
      "\n"
      "Addresses and files:\n"
      "  --listen ADDR:PORT     TCP address to serve on: IPv4 ADDR:PORT or\n"
      "                         [IPv6]:PORT; port 0 picks a free port\n"
      "                         (default %s; 0.0.0.0:7447 opens it\n"
      "                         to the network)\n"
      "  --http ADDR:PORT       also serve HTTP and WebSocket there: the\n"
      "                         browser client at /, MessagePack-RPC at /ws\n"
      "                         (off unless given; make run uses %s;\n"
      "                         port 0 picks a free port)\n"
      "  --http-origin LIST     origins besides the server's own host whose\n"
      "                         pages may open /ws, comma-separated, like\n"
      "                         https://class.example.org (default none; *\n"
      "                         allows any site: not advised). --http answers\n"
      "                         only requests for its IP addresses, localhost\n"
      "                         and these origins' hosts (DNS rebinding)\n"
      "  --db FILE              SQLite database holding every session; a\n"
      "                         restarted server resumes them (default %s)\n"
      "  --sync full|normal     full (default): an acknowledged order\n"
      "                         survives power loss; normal: it survives a\n"
      "                         crash of the server, and commits are faster\n"
      "  --maps DIR             folder of map files, *.json\n"
      "                         (default %s)\n"
      "  --max-map-bytes BYTES  largest map file read; only regular files\n"
      "                         are read (default %u; 1024 to %u)\n"
      "\n"
      "Limits (each hit is counted; the server.stats method reports them):\n"
      "  --max-message BYTES    largest message (default %u; %u to %u)\n"
      "  --max-http-head BYTES  request line and headers of one HTTP request\n"
      "                         (default %u; %u to %u)\n"
      "  --max-depth N          deepest nesting of arrays and maps; a request\n"
      "                         uses 3 (default %u; 3 to %u)\n"
      "  --first-request-ms MS  from connecting to the first complete request\n"
      "                         (default %u)\n"
      "  --message-ms MS        from a message's first byte to its last\n"
      "                         (default %u)\n"
      "  --idle-ms MS           without a request, for a connection that "
      "holds\n"
      "                         no seat (default %u = 15 min; 0 never)\n"
      "  --keepalive-s S        TCP keepalive delay, for --http too (default "
      "%u;\n"
      "                         0 off)\n"
      "  --max-output BYTES     unsent output to a client that does not read\n"
      "                         before it is cut off (default %u)\n"
      "  --max-connections N    open connections overall (default %u)\n"
      "  --max-per-address N    open connections from one address, TCP and\n"
      "                         HTTP/WebSocket together (default %u)\n"
      "  --max-batch N          requests of one connection handled per loop\n"
      "                         iteration before others get their turn\n"
      "                         (default %u)\n"
      "  --max-sessions N       game sessions in play (lobby, running, "
      "paused)\n"
      "                         at once (default %u)\n"
      "  --max-finished N       finished sessions kept in memory; past it the\n"
      "                         one finished longest ago is unloaded (its "
      "rows\n"
      "                         stay in --db for replay and export; "
      "session.list\n"
      "                         and history.get no longer show it) (default "
      "%u)\n"
      "  --create-burst N       session.create one address may send at once\n"
      "                         before rate_limited (default %u)\n"
      "  --create-refill-ms MS  one more session.create allowed every MS\n"
      "                         (default %u; 0 never)\n"
      "  --max-chat-bytes N     bytes of one chat message (default %u)\n"
      "  --max-chat-messages N  chat messages kept per session (default %u)\n"
      "  --max-observers N      observer tokens one session holds at once\n"
      "                         (observer.issue; default %u)\n"
      "  --chat-burst N         chat messages one seat (or the admin) may "
      "send\n"
      "                         at once before rate_limited (default %u)\n"
      "  --chat-refill-ms MS    one more chat message allowed every MS\n"
      "                         (default %u; 0 never)\n"
      "  --submit-burst N       orders.submit one seat may send at once\n"
      "                         before rate_limited; full again when a turn\n"
      "                         opens (default %u)\n"
      "  --submit-refill-ms MS  one more orders.submit allowed every MS\n"
      "                         (default %u; 0 never)\n"
      "  --max-pending-writes N writes waiting for the database's next "
      "commit;\n"
      "                         past it, and while commits fail (disk "
      "full),\n"
      "                         requests that store something are refused\n"
      "                         at once with unavailable (default %u)\n"
      "  --join-burst N         wrong join codes one address may send at once\n"
      "                         before rate_limited (default %u)\n"
      "  --join-refill-ms MS    one more wrong join code allowed every MS\n"
      "                         (default %u; 0 never); a right code is "
      "always\n"
      "                         accepted\n"
      "  --rate-table-size N    addresses each per-address rate limit "
      "tracks\n"
      "                         (an IPv6 address counts by its /64); when "
      "full,\n"
      "                         only an address that owes nothing is "
      "forgotten\n"
      "                         (default %u)\n"
      "  --lobby-expiry-s S     a lobby session nobody joined is deleted S\n"
      "                         seconds after its creation (default %u; 0 "
      "never)\n"
      "  --max-lobby-per-address N\n"
      "                         lobby sessions one address may have created\n"
      "                         (default %u)\n"
      "  --max-watches-per-connection N\n"
      "                         sessions one connection may follow with\n"
      "                         session.watch and session.join (default %u)\n"
      "  --max-list-page N      largest session.list page, its 'limit'\n"
      "                         (default %u; a page is %u unless asked)\n"
      "  --max-output-per-iteration BYTES\n"
      "                         output produced per loop iteration over all\n"
      "                         connections; past it, connections wait their\n"
      "                         turn for the next iteration (default %u)\n"
      "\n"
      "Other:\n"
      "  --log-level LEVEL      error, warn, info or debug (default info)\n"
      "  --log-format FORMAT    text (default) or json: one JSON object per\n"
      "                         line (time, level, message, and session and\n"
      "                         seat where they apply)\n"
      "  --version              print the version and exit\n"
      "  --help                 print this help and exit\n",
      DEFAULT_LISTEN, DEFAULT_HTTP, DEFAULT_DB, LAN_SOURCE_MAPS,
      LAN_MAX_MAP_BYTES_DEFAULT, LAN_MAX_MAP_BYTES_MAX, LAN_MAX_MESSAGE_DEFAULT,
      LAN_MAX_MESSAGE_MIN, LAN_MAX_MESSAGE_MAX, LAN_MAX_HTTP_HEAD_DEFAULT,
      LAN_MAX_HTTP_HEAD_MIN, LAN_MAX_HTTP_HEAD_MAX, LAN_MAX_DEPTH_DEFAULT,
      LAN_MAX_DEPTH_CAP, LAN_FIRST_REQUEST_MS_DEFAULT, LAN_MESSAGE_MS_DEFAULT,
      LAN_IDLE_MS_DEFAULT, LAN_KEEPALIVE_S_DEFAULT, LAN_MAX_OUTPUT_DEFAULT,
      LAN_MAX_CONNECTIONS_DEFAULT, LAN_MAX_PER_ADDRESS_DEFAULT,
      LAN_MAX_BATCH_DEFAULT, LAN_MAX_SESSIONS_DEFAULT, LAN_MAX_FINISHED_DEFAULT,
      LAN_CREATE_BURST_DEFAULT, LAN_CREATE_REFILL_MS_DEFAULT,
      LAN_MAX_CHAT_BYTES_DEFAULT, LAN_MAX_CHAT_MESSAGES_DEFAULT,
      LAN_MAX_OBSERVERS_DEFAULT, LAN_CHAT_BURST_DEFAULT,
      LAN_CHAT_REFILL_MS_DEFAULT, LAN_SUBMIT_BURST_DEFAULT,
      LAN_SUBMIT_REFILL_MS_DEFAULT, LAN_MAX_PENDING_WRITES_DEFAULT,
      LAN_JOIN_BURST_DEFAULT, LAN_JOIN_REFILL_MS_DEFAULT, RL_TABLE_SIZE_DEFAULT,
      LAN_LOBBY_EXPIRY_S_DEFAULT, LAN_MAX_LOBBY_PER_ADDRESS_DEFAULT,
      LAN_MAX_WATCHES_DEFAULT, LAN_LIST_LIMIT_MAX_DEFAULT,
      LAN_LIST_LIMIT_DEFAULT, LAN_MAX_OUTPUT_PER_ITERATION_DEFAULT);
}

static int usage_error(const char *fmt, const char *flag, const char *value) {
  fprintf(stderr, "lanthanide-server: ");
  fprintf(stderr, fmt, flag, value);
  fprintf(stderr, "\nTry 'lanthanide-server --help'.\n");
  return -1;
}

/* A decimal number in [min, max]: no sign, no suffix, no overflow. */
static int parse_uint(const char *flag, const char *s, uint64_t min,
                      uint64_t max, uint64_t *out) {
  char *end;
  unsigned long long v;

  if (s[0] < '0' || s[0] > '9')
    goto bad;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    goto bad;
  *out = v;
  return 0;

bad:
  fprintf(stderr,
          "lanthanide-server: %s: expected a whole number from %" PRIu64
          " to %" PRIu64 ", got '%s'\nTry 'lanthanide-server --help'.\n",
          flag, min, max, s);
  return -1;
}

/* "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6). */
static int parse_addr(const char *flag, const char *s,
                      struct sockaddr_storage *out) {
  char host[INET6_ADDRSTRLEN + 1];
  const char *colon, *port_s;
  unsigned long long port;
  char *end;
  size_t n;
  bool v6 = s[0] == '[';

  memset(out, 0, sizeof(*out));
  if (v6) {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':')
      goto bad;
    n = (size_t)(close - (s + 1));
    if (n == 0 || n >= sizeof(host))
      goto bad;
    memcpy(host, s + 1, n);
    host[n] = '\0';
    port_s = close + 2;
  } else {
    colon = strrchr(s, ':');
    if (!colon)
      goto bad;
    n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof(host))
      goto bad;
    memcpy(host, s, n);
    host[n] = '\0';
    port_s = colon + 1;
  }
  if (port_s[0] < '0' || port_s[0] > '9' || strlen(port_s) > 5)
    goto bad;
  port = strtoull(port_s, &end, 10);
  if (*end != '\0' || port > 65535)
    goto bad;
  if (v6 ? uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)out)
         : uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out))
    goto bad;
  return 0;

bad:
  return usage_error("%s: expected ADDR:PORT with a numeric IPv4 address "
                     "and a port from 0 to 65535 (like 127.0.0.1:7447, or "
                     "[::1]:7447 for IPv6), got '%s'",
                     flag, s);
}

static int parse_args(int argc, char **argv, config_t *cfg) {
  uint64_t v;
  int opt;

  memset(cfg, 0, sizeof(*cfg));
  cfg->listen = DEFAULT_LISTEN;
  cfg->http = NULL;
  cfg->db = DEFAULT_DB;
  cfg->maps = LAN_SOURCE_MAPS;
  cfg->log_level = LOG_LEVEL_INFO;
  conn_config_default(&cfg->conn);
  net_config_default(&cfg->net);
  http_config_default(&cfg->web);
  sess_config_default(&cfg->sess);
  cfg->sync_full = true;

  opterr = 0;
  /* The leading ':' makes a missing value ':' rather than '?'. */
  while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
    switch (opt) {
    case OPT_LISTEN:
      cfg->listen = optarg;
      break;
    case OPT_HTTP:
      cfg->http = optarg;
      break;
    case OPT_HTTP_ORIGIN: {
      char err[256];
      if (http_config_origins(&cfg->web, optarg, cfg->origins,
                              sizeof(cfg->origins), err, sizeof(err)) != 0)
        return usage_error("%s: %s", "--http-origin", err);
      break;
    }
    case OPT_MAX_HTTP_HEAD:
      if (parse_uint("--max-http-head", optarg, LAN_MAX_HTTP_HEAD_MIN,
                     LAN_MAX_HTTP_HEAD_MAX, &v) != 0)
        return -1;
      cfg->web.max_head = (size_t)v;
      break;
    case OPT_DB:
      if (optarg[0] == '\0')
        return usage_error("%s: expected a file name%s", "--db", "");
      cfg->db = optarg;
      break;
    case OPT_MAPS:
      cfg->maps = optarg;
      break;
    case OPT_MAX_MAP_BYTES:
      if (parse_uint("--max-map-bytes", optarg, 1024, LAN_MAX_MAP_BYTES_MAX,
                     &v) != 0)
        return -1;
      cfg->sess.max_map_bytes = (size_t)v;
      break;
    case OPT_MAX_MESSAGE:
      if (parse_uint("--max-message", optarg, LAN_MAX_MESSAGE_MIN,
                     LAN_MAX_MESSAGE_MAX, &v) != 0)
        return -1;
      cfg->conn.max_message = (size_t)v;
      break;
    case OPT_MAX_DEPTH:
      if (parse_uint("--max-depth", optarg, 3, LAN_MAX_DEPTH_CAP, &v) != 0)
        return -1;
      cfg->conn.max_depth = (unsigned)v;
      break;
    case OPT_FIRST_REQUEST_MS:
      if (parse_uint("--first-request-ms", optarg, 1, UINT32_MAX, &v) != 0)
        return -1;
      cfg->conn.first_request_ms = v;
      break;
    case OPT_MESSAGE_MS:
      if (parse_uint("--message-ms", optarg, 1, UINT32_MAX, &v) != 0)
        return -1;
      cfg->conn.message_ms = v;
      break;
    case OPT_IDLE_MS:
      if (parse_uint("--idle-ms", optarg, 0, UINT32_MAX, &v) != 0)
        return -1;
      cfg->conn.idle_ms = v;
      break;
    case OPT_KEEPALIVE_S:
      if (parse_uint("--keepalive-s", optarg, 0, 86400, &v) != 0)
        return -1;
      cfg->net.keepalive_s = (unsigned)v;
      break;
    case OPT_MAX_OUTPUT:
      if (parse_uint("--max-output", optarg, 4096, (uint64_t)1 << 30, &v) != 0)
        return -1;
      cfg->conn.max_output = (size_t)v;
      break;
    case OPT_MAX_CONNECTIONS:
      if (parse_uint("--max-connections", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->conn.max_connections = (unsigned)v;
      break;
    case OPT_MAX_PER_ADDRESS:
      if (parse_uint("--max-per-address", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->net.max_per_address = (unsigned)v;
      break;
    case OPT_SYNC:
      if (strcmp(optarg, "full") == 0)
        cfg->sync_full = true;
      else if (strcmp(optarg, "normal") == 0)
        cfg->sync_full = false;
      else
        return usage_error("%s: expected full or normal, got '%s'", "--sync",
                           optarg);
      break;
    case OPT_MAX_SESSIONS:
      if (parse_uint("--max-sessions", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->sess.max_sessions = (unsigned)v;
      break;
    case OPT_MAX_FINISHED:
      if (parse_uint("--max-finished", optarg, 0, 1000000, &v) != 0)
        return -1;
      cfg->sess.max_finished = (unsigned)v;
      break;
    case OPT_CREATE_BURST:
      if (parse_uint("--create-burst", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->sess.create_burst = (unsigned)v;
      break;
    case OPT_CREATE_REFILL_MS:
      if (parse_uint("--create-refill-ms", optarg, 0, UINT32_MAX, &v) != 0)
        return -1;
      cfg->sess.create_refill_ms = (unsigned)v;
      break;
    case OPT_CHAT_BURST:
      if (parse_uint("--chat-burst", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->sess.chat_burst = (unsigned)v;
      break;
    case OPT_CHAT_REFILL_MS:
      if (parse_uint("--chat-refill-ms", optarg, 0, UINT32_MAX, &v) != 0)
        return -1;
      cfg->sess.chat_refill_ms = (unsigned)v;
      break;
    case OPT_SUBMIT_BURST:
      if (parse_uint("--submit-burst", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->sess.submit_burst = (unsigned)v;
      break;
    case OPT_SUBMIT_REFILL_MS:
      if (parse_uint("--submit-refill-ms", optarg, 0, UINT32_MAX, &v) != 0)
        return -1;
      cfg->sess.submit_refill_ms = (unsigned)v;
      break;
    case OPT_MAX_PENDING_WRITES:
      if (parse_uint("--max-pending-writes", optarg, 1, 100000000, &v) != 0)
        return -1;
      cfg->sess.max_pending = (unsigned)v;
      break;
    case OPT_MAX_BATCH:
      if (parse_uint("--max-batch", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->conn.max_batch = (unsigned)v;
      break;
    case OPT_MAX_CHAT_BYTES:
      if (parse_uint("--max-chat-bytes", optarg, 1, 1 << 20, &v) != 0)
        return -1;
      cfg->sess.max_chat_bytes = (unsigned)v;
      break;
    case OPT_MAX_CHAT_MESSAGES:
      if (parse_uint("--max-chat-messages", optarg, 0, 10000000, &v) != 0)
        return -1;
      cfg->sess.max_chat_messages = (unsigned)v;
      break;
    case OPT_MAX_OBSERVERS:
      if (parse_uint("--max-observers", optarg, 0, 100000, &v) != 0)
        return -1;
      cfg->sess.max_observers = (unsigned)v;
      break;
    case OPT_JOIN_BURST:
      if (parse_uint("--join-burst", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->sess.join_burst = (unsigned)v;
      break;
    case OPT_JOIN_REFILL_MS:
      if (parse_uint("--join-refill-ms", optarg, 0, UINT32_MAX, &v) != 0)
        return -1;
      cfg->sess.join_refill_ms = (unsigned)v;
      break;
    case OPT_RATE_TABLE_SIZE:
      if (parse_uint("--rate-table-size", optarg, RL_TABLE_PROBE, 1u << 24,
                     &v) != 0)
        return -1;
      cfg->sess.rate_table_size = (unsigned)v;
      break;
    case OPT_LOBBY_EXPIRY_S:
      if (parse_uint("--lobby-expiry-s", optarg, 0, 365u * 86400u, &v) != 0)
        return -1;
      cfg->sess.lobby_expiry_s = (unsigned)v;
      break;
    case OPT_MAX_LOBBY_PER_ADDRESS:
      if (parse_uint("--max-lobby-per-address", optarg, 1, 1000000, &v) != 0)
        return -1;
      cfg->sess.max_lobby_per_address = (unsigned)v;
      break;
    case OPT_MAX_WATCHES:
      if (parse_uint("--max-watches-per-connection", optarg, 1, 1000000, &v) !=
          0)
        return -1;
      cfg->sess.max_watches = (unsigned)v;
      break;
    case OPT_MAX_LIST_PAGE:
      if (parse_uint("--max-list-page", optarg, 1, 100000, &v) != 0)
        return -1;
      cfg->sess.list_limit_max = (unsigned)v;
      break;
    case OPT_MAX_OUTPUT_PER_ITERATION:
      if (parse_uint("--max-output-per-iteration", optarg, 4096,
                     (uint64_t)1 << 30, &v) != 0)
        return -1;
      cfg->conn.max_output_per_iteration = (size_t)v;
      break;
    case OPT_LOG_LEVEL:
      if (log_parse_level(optarg, &cfg->log_level) != 0)
        return usage_error("%s: expected error, warn, info or debug, got "
                           "'%s'",
                           "--log-level", optarg);
      break;
    case OPT_LOG_FORMAT:
      if (log_parse_format(optarg, &cfg->log_format) != 0)
        return usage_error("%s: expected text or json, got '%s'",
                           "--log-format", optarg);
      break;
    case OPT_VERSION:
      printf("lanthanide-server %s\n", LAN_VERSION);
      exit(0);
    case 'h':
    case OPT_HELP:
      usage(stdout);
      exit(0);
    case ':':
      return usage_error("%s: %s", argv[optind - 1], "expects a value");
    default:
      return usage_error("%s: %s", argv[optind - 1], "unknown option");
    }
  }
  if (optind < argc)
    return usage_error("%s: %s", argv[optind], "unexpected argument");
  if (parse_addr("--listen", cfg->listen, &cfg->listen_addr) != 0 ||
      (cfg->http && parse_addr("--http", cfg->http, &cfg->http_addr) != 0))
    return -1;
  return 0;
}

/* The stdout line: "lanthanide-server 0.1.0 listening on 127.0.0.1:7447"
 * (what is "listening on" TCP, or "http on" for --http). */
static void print_banner(const char *what, const struct sockaddr_storage *ss) {
  char ip[INET6_ADDRSTRLEN] = "?";

  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    uv_ip6_name(a, ip, sizeof(ip));
    printf("lanthanide-server %s %s [%s]:%d\n", LAN_VERSION, what, ip,
           ntohs(a->sin6_port));
  } else {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    uv_ip4_name(a, ip, sizeof(ip));
    printf("lanthanide-server %s %s %s:%d\n", LAN_VERSION, what, ip,
           ntohs(a->sin_port));
  }
  fflush(stdout);
}

/* Make room for --max-connections file descriptors if the hard limit
 * allows; say so if it does not. */
static void raise_fd_limit(unsigned want_conns) {
  struct rlimit rl;
  rlim_t want = (rlim_t)want_conns + 64;

  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return;
  if (rl.rlim_cur >= want)
    return;
  rl.rlim_cur =
      rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
  /* Only worth a warning when the limit is far below the connection
   * limit; a few dozen short is the usual hard limit of a desktop. */
  if ((setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want) &&
      rl.rlim_cur + 1024 < want)
    log_warn("the open-file limit (%llu) allows fewer connections than "
             "--max-connections (%u); raise it with ulimit -n, or lower "
             "--max-connections",
             (unsigned long long)rl.rlim_cur, want_conns);
}

static void on_signal(uv_signal_t *sig, int signum) {
  app_t *app = sig->data;

  if (app->stopping)
    return;
  app->stopping = true;
  log_info("%s: closing every connection",
           signum == SIGINT ? "SIGINT" : "SIGTERM");
  net_server_close(app->net);
  http_server_close(app->http);
  conn_core_close(app->conns);
  sess_registry_close(app->sess);
  durable_stop(app->durable);
  uv_close((uv_handle_t *)&app->sigint, NULL);
  uv_close((uv_handle_t *)&app->sigterm, NULL);
  uv_close((uv_handle_t *)&app->sighup, NULL);
}

/* SIGHUP: the maps folder again (methods_reload_maps logs the result). */
static void on_sighup(uv_signal_t *sig, int signum) {
  app_t *app = sig->data;

  (void)signum;
  if (!app->stopping)
    (void)methods_reload_maps(app->methods, app->sess);
}

/* uv_walk callback: close whatever is still open at the end. */
static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static int hold_reply(void *arg, replyq_slot_t *slot, const char *data,
                      size_t len) {
  return durable_hold_reply(arg, slot, data, len);
}

static void peer_closed(void *arg, rpc_peer_t *peer) {
  sess_peer_closed(arg, peer);
}

static int render_metrics(void *arg, proto_buf_t *out) {
  return methods_render_metrics(arg, out);
}

static void print_counter(const char *name, uint64_t value, void *arg) {
  (void)arg;
  fprintf(stderr, "  %-30s %" PRIu64 "\n", name, value);
}

/* The counters at exit as "name=value ..." (one line, for --log-format
 * json, where every line is one object). */
struct counter_line {
  char text[2048];
  size_t len;
};
static void join_counter(const char *name, uint64_t value, void *arg) {
  struct counter_line *cl = arg;
  int n;

  if (cl->len >= sizeof cl->text)
    return;
  n = snprintf(cl->text + cl->len, sizeof cl->text - cl->len, "%s%s=%" PRIu64,
               cl->len ? " " : "", name, value);
  if (n > 0)
    cl->len += (size_t)n;
}

int main(int argc, char **argv) {
  config_t cfg;
  app_t app;
  conn_counters_t counters;
  methods_t *methods = NULL;
  rpc_t *rpc = NULL;
  rpc_method_t *table = NULL;
  const rpc_method_t *base;
  size_t n_methods, n_base;
  srv_t srv = {0};
  struct sockaddr_storage bound, http_bound;
  struct stat sb;
  int status = 1, r;
  bool served = false; /* the banner went out and the loop ran */

  if (parse_args(argc, argv, &cfg) != 0)
    return EXIT_USAGE;
  log_set_level(cfg.log_level);
  log_set_format(cfg.log_format);
  if (stat(cfg.maps, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    fprintf(stderr,
            "lanthanide-server: --maps: '%s' is not a folder; give the "
            "folder of map files\n",
            cfg.maps);
    return EXIT_USAGE;
  }
  /* A client that vanishes mid-write must not kill the server. */
  signal(SIGPIPE, SIG_IGN);
  /* A file-size limit (ulimit -f) must not kill the server: the write
   * that passes it fails with EFBIG instead, SQLite reports the commit
   * as failed, and the store keeps it for the retry (issue 10). */
  signal(SIGXFSZ, SIG_IGN);
  if (sodium_init() < 0) {
    log_error("libsodium failed to initialise");
    return 1;
  }
  raise_fd_limit(cfg.conn.max_connections);

  memset(&app, 0, sizeof(app));
  memset(&counters, 0, sizeof(counters));
  r = uv_loop_init(&app.loop);
  if (r != 0) {
    log_error("cannot start the event loop: %s", uv_strerror(r));
    return 1;
  }
  /* From here on, every failure goes to `stop`, which closes whatever was
   * opened as a shutdown would (sessions, the store's last commit, the
   * loop's handles) and exits 1. */
  if (methods_new(&methods, cfg.maps, &counters) != 0) {
    log_error("out of memory starting the server");
    goto stop;
  }
  cfg.sess.maps_dir = cfg.maps;
  if (sess_registry_new(&app.sess, &app.loop, &cfg.sess) != 0) {
    log_error("out of memory starting the server");
    goto stop;
  }
  {
    char err[512];
    const store_config_t scfg = {cfg.sync_full, durable_log, NULL};
    if (store_open(&app.store, cfg.db, &scfg, err, sizeof err) != 0) {
      log_error("--db: %s", err);
      goto stop;
    }
    if (durable_new(&app.durable, &app.loop, app.store) != 0) {
      log_error("out of memory starting the server");
      goto stop;
    }
    sess_set_store(app.sess, app.store);
    if (sess_restore(app.sess, err, sizeof err) != 0) {
      log_error("--db %s: %s; the server does not start rather than lose a "
                "session",
                cfg.db, err);
      goto stop;
    }
  }
  srv.methods = methods;
  srv.sess = app.sess;
  srv.store = app.store;
  srv.durable = app.durable;
  {
    uv_timeval64_t now;
    if (uv_gettimeofday(&now) == 0)
      srv.start_time_s = (double)now.tv_sec + (double)now.tv_usec / 1e6;
  }
  /* One table for every transport: the basic methods, then sessions. */
  base = methods_table(&n_base);
  n_methods = n_base + sess_method_count;
  table = malloc(n_methods * sizeof *table);
  if (!table) {
    log_error("out of memory starting the server");
    goto stop;
  }
  memcpy(table, base, n_base * sizeof *table);
  memcpy(table + n_base, sess_methods, sess_method_count * sizeof *table);
  if (rpc_new(&rpc, table, n_methods, &srv, &counters) != 0) {
    log_error("out of memory starting the server");
    goto stop;
  }
  rpc_set_peer_closed(rpc, peer_closed, app.sess);
  rpc_set_hold(rpc, hold_reply, app.durable);
  r = conn_core_new(&app.conns, &app.loop, &cfg.conn, rpc, &counters);
  if (r != 0) {
    log_error("cannot start the server: %s", conn_strerror(r));
    goto stop;
  }
  r = net_server_new(&app.net, &app.loop, &cfg.net, app.conns);
  if (r != 0) {
    log_error("cannot start the TCP server: %s", net_strerror(r));
    goto stop;
  }
  r = net_server_listen(app.net, (const struct sockaddr *)&cfg.listen_addr,
                        &bound);
  if (r != 0) {
    log_error("cannot listen on %s: %s; the server stops (its sessions are "
              "kept in %s)",
              cfg.listen, uv_strerror(r), cfg.db);
    goto stop;
  }
  if (cfg.http) {
    cfg.web.keepalive_s = cfg.net.keepalive_s;
    r = http_server_new(&app.http, &app.loop, &cfg.web, app.conns, app.net);
    if (r != 0) {
      log_error("out of memory starting the server");
      goto stop;
    }
    /* GET /metrics: the text of server.metrics (docs/operations.md). */
    http_server_set_metrics(app.http, render_metrics, &srv,
                            METRICS_CONTENT_TYPE);
    r = http_server_listen(app.http, (const struct sockaddr *)&cfg.http_addr,
                           &http_bound);
    if (r != 0) {
      log_error("cannot listen on %s (--http): %s; the server stops (its "
                "sessions are kept in %s)",
                cfg.http, uv_strerror(r), cfg.db);
      goto stop;
    }
    if (!http_client_built())
      log_warn("--http: the web client was not built into this server (npm "
               "was missing); / says how to build it, /ws works");
  }
  uv_signal_init(&app.loop, &app.sigint);
  uv_signal_init(&app.loop, &app.sigterm);
  app.sigint.data = app.sigterm.data = &app;
  uv_signal_start(&app.sigint, on_signal, SIGINT);
  uv_signal_start(&app.sigterm, on_signal, SIGTERM);
  uv_signal_init(&app.loop, &app.sighup);
  app.sighup.data = &app;
  app.methods = methods;
  uv_signal_start(&app.sighup, on_sighup, SIGHUP);

  log_info("maps from %s; database %s (synchronous=%s)", cfg.maps, cfg.db,
           cfg.sync_full ? "full" : "normal");
  print_banner("listening on", &bound);
  if (cfg.http)
    print_banner("http on", &http_bound);
  served = true;
  uv_run(&app.loop, UV_RUN_DEFAULT);
  status = 0;
  goto drain;

stop:
  if (app.net)
    net_server_close(app.net);
  http_server_close(app.http);
  if (app.conns)
    conn_core_close(app.conns);
  sess_registry_close(app.sess);
  durable_stop(app.durable);
drain:
  /* Anything still open (nothing, normally) is closed and given its
   * callbacks, so the loop can close. */
  uv_walk(&app.loop, close_walk, NULL);
  uv_run(&app.loop, UV_RUN_DEFAULT);
  r = uv_loop_close(&app.loop);
  if (r != 0) {
    log_error("the event loop did not close: %s", uv_strerror(r));
    status = 1;
  }
  if (app.net)
    net_server_free(app.net);
  http_server_free(app.http);
  conn_core_free(app.conns);
  rpc_free(rpc);
  free(table);
  /* The store first: callbacks it never ran are told so, and only free. */
  store_close(app.store);
  durable_free(app.durable);
  sess_registry_free(app.sess);
  methods_free(methods);
  /* A server that never served has only zeros to report, and they would
   * bury the line that says why it did not start. */
  if (served && cfg.log_format == LOG_FORMAT_JSON) {
    struct counter_line cl = {.len = 0};
    conn_counters_each(&counters, join_counter, &cl);
    log_info("counters at exit: %s", cl.text);
  } else if (served) {
    fprintf(stderr, "lanthanide-server: counters at exit:\n");
    conn_counters_each(&counters, print_counter, NULL);
  }
  return status;
}
