/*
 * Game sessions: the registry, maps, and the life of a session. The RPC
 * handlers are in sess_methods.c, identity and tokens in sess_token.c,
 * subscribers, notifications and chat in sess_notify.c, storage in
 * sess_store.c; this file holds the registry and every transition of a
 * session's life:
 *
 *   lobby --start--> running <--pause/resume--> paused
 *     \                 |                          |
 *      `----stop--------+-------------stop---------+--> finished
 *                       `--last turn resolved------^
 *
 * The turn clock is one uv_timer_t per session, which fires at the turn's
 * deadline. A turn that is due (its deadline passed, every seat is ready,
 * the facilitator advanced it) joins the registry's FIFO of due turns,
 * which an idle handle drains one session per loop iteration: a turn is
 * never resolved from inside a request handler (the handler's answer goes
 * out first, and notifications follow in order), and a thousand turns due
 * at once do not keep every connection waiting.
 */
#include "sess_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "proto_types.h"
#include "store.h"
#include "lan_assert.h"

void sess_config_default(sess_config_t *cfg) {
  cfg->maps_dir = LAN_SOURCE_MAPS;
  cfg->max_sessions = LAN_MAX_SESSIONS_DEFAULT;
  cfg->max_finished = LAN_MAX_FINISHED_DEFAULT;
  cfg->join_burst = LAN_JOIN_BURST_DEFAULT;
  cfg->join_refill_ms = LAN_JOIN_REFILL_MS_DEFAULT;
  cfg->create_burst = LAN_CREATE_BURST_DEFAULT;
  cfg->create_refill_ms = LAN_CREATE_REFILL_MS_DEFAULT;
  cfg->max_chat_bytes = LAN_MAX_CHAT_BYTES_DEFAULT;
  cfg->max_chat_messages = LAN_MAX_CHAT_MESSAGES_DEFAULT;
  cfg->max_observers = LAN_MAX_OBSERVERS_DEFAULT;
  cfg->max_injects = LAN_MAX_INJECTS_DEFAULT;
  cfg->chat_burst = LAN_CHAT_BURST_DEFAULT;
  cfg->chat_refill_ms = LAN_CHAT_REFILL_MS_DEFAULT;
  cfg->max_channels = LAN_MAX_CHANNELS_DEFAULT;
  cfg->max_channel_members = LAN_MAX_CHANNEL_MEMBERS_DEFAULT;
  cfg->chat_history_max = LAN_CHAT_HISTORY_MAX_DEFAULT;
  cfg->max_negotiation_steps = LAN_MAX_NEGOTIATION_STEPS_DEFAULT;
  cfg->timeline_max = LAN_TIMELINE_MAX_DEFAULT;
  cfg->rate_table_size = RL_TABLE_SIZE_DEFAULT;
  cfg->lobby_expiry_s = LAN_LOBBY_EXPIRY_S_DEFAULT;
  cfg->max_lobby_per_address = LAN_MAX_LOBBY_PER_ADDRESS_DEFAULT;
  cfg->max_watches = LAN_MAX_WATCHES_DEFAULT;
  cfg->list_limit_max = LAN_LIST_LIMIT_MAX_DEFAULT;
  cfg->max_map_bytes = LAN_MAX_MAP_BYTES_DEFAULT;
  cfg->submit_burst = LAN_SUBMIT_BURST_DEFAULT;
  cfg->submit_refill_ms = LAN_SUBMIT_REFILL_MS_DEFAULT;
  cfg->max_pending = LAN_MAX_PENDING_WRITES_DEFAULT;
}

int64_t sess_wall_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- Registry --------------------------------------------------------------
 */

static void on_expiry(uv_timer_t *t) {
  (void)sess_expire_lobby(t->data);
}

int sess_registry_new(sess_registry_t **out, uv_loop_t *loop,
                      const sess_config_t *cfg) {
  if (sodium_init() < 0)
    return -1;
  sess_registry_t *reg = calloc(1, sizeof *reg);
  if (!reg)
    return -1;
  reg->loop = loop;
  reg->cfg = *cfg;
  snprintf(reg->maps_dir, sizeof reg->maps_dir, "%s", cfg->maps_dir);
  reg->cfg.maps_dir = reg->maps_dir;
  if (rl_table_init(&reg->join_limit,
                    (rl_rate_t){cfg->join_burst, cfg->join_refill_ms},
                    cfg->rate_table_size) != 0 ||
      rl_table_init(&reg->create_limit,
                    (rl_rate_t){cfg->create_burst, cfg->create_refill_ms},
                    cfg->rate_table_size) != 0) {
    rl_table_free(&reg->join_limit);
    rl_table_free(&reg->create_limit);
    free(reg);
    return -1;
  }
  reg->chat_rate = (rl_rate_t){cfg->chat_burst, cfg->chat_refill_ms};
  reg->next_chat_id = 1; /* sess_restore: after the file's largest */
  reg->submit_rate = (rl_rate_t){cfg->submit_burst, cfg->submit_refill_ms};
  proto_buf_init(&reg->nbuf);
  proto_packer_init(&reg->npk, &reg->nbuf);
  uv_idle_init(loop, &reg->due_idle);
  reg->due_idle.data = reg;
  uv_timer_init(loop, &reg->expiry);
  reg->expiry.data = reg;
  if (cfg->lobby_expiry_s > 0) {
    /* Look a few times per expiry period (at most once a minute), and
     * first thing when the loop starts, before any request: sessions
     * restored from the file expire by their stored creation time. */
    uint64_t every = (uint64_t)cfg->lobby_expiry_s * 1000 / 4;
    every = every < 250 ? 250 : every > 60000 ? 60000 : every;
    uv_timer_start(&reg->expiry, on_expiry, 0, every);
  }
  uv_timer_init(loop, &reg->due_wait);
  reg->due_wait.data = reg;
  /* It never keeps the loop alive on its own. */
  uv_unref((uv_handle_t *)&reg->due_wait);
  *out = reg;
  return 0;
}

const sess_counters_t *sess_registry_counters(const sess_registry_t *reg) {
  return &reg->counters;
}

_Static_assert(SESS_STATUS_COUNT == SESS_FINISHED + 1,
               "SESS_STATUS_COUNT counts the statuses of sess_status_t");

const metrics_hist_t *sess_registry_turn_hist(const sess_registry_t *reg) {
  return &reg->turn_hist;
}

void sess_registry_count_status(const sess_registry_t *reg,
                                uint64_t count[SESS_STATUS_COUNT]) {
  memset(count, 0, SESS_STATUS_COUNT * sizeof count[0]);
  for (const sess_session_t *s = reg->sessions; s; s = s->next)
    count[s->status]++;
}

void sess_free(sess_session_t *s) {
  for (size_t i = 0; i < s->n_seats; i++)
    agent_free(s->seats[i].agent);
  free(s->seats);
  for (size_t i = 0; i < s->n_subs; i++)
    free(s->subs[i].seats);
  free(s->subs);
  for (size_t i = 0; i < s->n_history; i++)
    proto_buf_free(&s->history[i].buf);
  free(s->history);
  model_state_free(s->proposal);
  sess_observers_free(s);
  sess_inject_free(s);
  sess_comms_free(s);
  model_state_free(s->st);
  free(s);
}

static void on_timer_closed(uv_handle_t *h) {
  sess_session_t *s = h->data;
  sess_free(s);
}

void sess_registry_close(sess_registry_t *reg) {
  if (!reg || reg->closed)
    return;
  sess_session_t *s = reg->sessions;
  reg->sessions = NULL;
  reg->n_sessions = reg->n_finished = 0;
  reg->due_head = reg->due_tail = NULL;
  reg->fin_head = reg->fin_tail = NULL;
  uv_close((uv_handle_t *)&reg->due_idle, NULL);
  uv_close((uv_handle_t *)&reg->expiry, NULL);
  uv_close((uv_handle_t *)&reg->due_wait, NULL);
  while (s) {
    sess_session_t *next = s->next;
    /* Connections close on their own schedule: none may keep pointing
     * at a session freed before it. */
    sess_unsubscribe_all(s);
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
    s = next;
  }
  reg->closed = true;
}

void sess_registry_free(sess_registry_t *reg) {
  if (!reg)
    return;
  LAN_ASSERT(reg->sessions == NULL); /* sess_registry_close, then uv_run */
  for (size_t i = 0; i < reg->n_maps; i++) {
    model_map_free(reg->maps[i].map);
    free(reg->maps[i].json);
  }
  free(reg->maps);
  free(reg->tokens.keys);
  free(reg->byid);
  rl_table_free(&reg->join_limit);
  rl_table_free(&reg->create_limit);
  free(reg->quarantine);
  proto_buf_free(&reg->nbuf);
  free(reg);
}

/* Compare a session id with id[0..len) as strcmp would. */
static int id_cmp(const char *sid, const char *id, size_t len) {
  size_t n = strlen(sid);
  int c = memcmp(sid, id, n < len ? n : len);
  return c != 0 ? c : n < len ? -1 : n > len;
}

size_t sess_byid_lower(const sess_registry_t *reg, const char *id, size_t len) {
  size_t lo = 0, hi = reg->n_sessions;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (id_cmp(reg->byid[mid]->id, id, len) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

size_t sess_byid_after(const sess_registry_t *reg, const char *id, size_t len) {
  size_t i = sess_byid_lower(reg, id, len);
  if (i < reg->n_sessions && id_cmp(reg->byid[i]->id, id, len) == 0)
    i++;
  return i;
}

sess_session_t *sess_find(sess_registry_t *reg, const char *id, size_t len) {
  size_t i = sess_byid_lower(reg, id, len);
  if (i < reg->n_sessions && id_cmp(reg->byid[i]->id, id, len) == 0)
    return reg->byid[i];
  return NULL;
}

/* Take s out of the registry's list and its index by id. */
static void detach(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  for (sess_session_t **p = &reg->sessions; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  size_t i = sess_byid_lower(reg, s->id, strlen(s->id));
  if (i < reg->n_sessions && reg->byid[i] == s)
    memmove(&reg->byid[i], &reg->byid[i + 1],
            (reg->n_sessions - i - 1) * sizeof *reg->byid);
  reg->n_sessions--;
}

/* A map id may hold only [a-z0-9_-]: it names a file in the maps folder,
 * and this keeps a client from naming any other file. */
static bool map_id_ok(const char *id, size_t len) {
  if (len == 0 || len >= MODEL_ID_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  }
  return true;
}

/* Parse a map's text, or find the same map (by digest) in the cache. The
 * text is kept with the map: every session stores the map it was created
 * from, so a game can be resumed and replayed after the file changes.
 * `name` names the text in the log (a file path, a session id); the
 * model's error (file, line, column, and the text near it) is logged and
 * goes into err: callers that answer a client (sess_map_get) replace it
 * with a sentence that holds neither path nor text. */
int sess_map_parse(sess_registry_t *reg, const char *json, size_t len,
                   const char *name, sess_map_t **out, proto_error_t *err) {
  uint8_t digest[MODEL_HASH_BYTES];
  crypto_generichash(digest, sizeof digest, (const unsigned char *)json, len,
                     NULL, 0);
  for (size_t i = 0; i < reg->n_maps; i++)
    if (memcmp(model_map_digest(reg->maps[i].map), digest, sizeof digest) ==
        0) {
      *out = &reg->maps[i];
      return 0;
    }
  model_map_t *m = NULL;
  model_error_t merr;
  if (model_map_load_string(json, len, name, &m, &merr) != 0)
    return proto_error_set(err, PROTO_INTERNAL, "map",
                           "map %s cannot be loaded: %s:%d:%d: %s", name,
                           merr.file, merr.line, merr.column, merr.message);
  char *copy = malloc(len + 1);
  sess_map_t *grown =
      copy ? realloc(reg->maps, (reg->n_maps + 1) * sizeof *reg->maps) : NULL;
  if (!grown) {
    free(copy);
    model_map_free(m);
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  }
  memcpy(copy, json, len);
  copy[len] = '\0';
  reg->maps = grown;
  reg->maps[reg->n_maps] = (sess_map_t){m, copy, len};
  *out = &reg->maps[reg->n_maps++];
  return 0;
}

/* Why a map file could not be read. */
typedef enum {
  MAPF_OK = 0,
  MAPF_MISSING, /* no such file */
  MAPF_TYPE,    /* not a regular file (FIFO, device, folder, socket) */
  MAPF_SIZE,    /* over --max-map-bytes */
  MAPF_IO,      /* cannot be opened or read */
  MAPF_NOMEM
} mapf_t;

/* Read the map file `file` of the maps folder into *text (malloc'd,
 * NUL-terminated, *len bytes), with a sentence for the log in why.
 *
 * Only a regular file is read. It is opened with O_NONBLOCK, so a FIFO
 * cannot hold the loop in open(2) (nor in read(2)), and the type and size
 * are checked with fstat on the descriptor that is then read, so what was
 * checked is what is read (no window between a stat and the open). A
 * symlink is followed (an operator may link a map into the folder; the
 * folder is the operator's, as is the choice), but what it names must be
 * a regular file too: a link to /dev/zero or a FIFO is refused like the
 * thing itself. The read stops at max + 1 bytes whatever fstat said, as a
 * file may grow while it is read (and /proc files claim size 0). */
static mapf_t map_file_read(const char *dir, const char *file, size_t max,
                            char **text, size_t *len, char *why,
                            size_t whylen) {
  char path[1200];
  struct stat sb;
  *text = NULL;
  *len = 0;
  if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) {
    snprintf(why, whylen, "%s/%s: the path is too long", dir, file);
    return MAPF_IO;
  }
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    snprintf(why, whylen, "%s: %s", path, strerror(e));
    return e == ENOENT ? MAPF_MISSING : MAPF_IO;
  }
  if (fstat(fd, &sb) != 0) {
    snprintf(why, whylen, "%s: %s", path, strerror(errno));
    close(fd);
    return MAPF_IO;
  }
  if (!S_ISREG(sb.st_mode)) {
    snprintf(why, whylen,
             "%s is not a regular file (%s); the maps folder should hold "
             "map files only",
             path,
             S_ISFIFO(sb.st_mode)   ? "a FIFO"
             : S_ISCHR(sb.st_mode)  ? "a character device"
             : S_ISBLK(sb.st_mode)  ? "a block device"
             : S_ISDIR(sb.st_mode)  ? "a folder"
             : S_ISSOCK(sb.st_mode) ? "a socket"
                                    : "not a file");
    close(fd);
    return MAPF_TYPE;
  }
  if ((uint64_t)sb.st_size > (uint64_t)max) {
    snprintf(why, whylen, "%s has %lld bytes, more than --max-map-bytes (%zu)",
             path, (long long)sb.st_size, max);
    close(fd);
    return MAPF_SIZE;
  }
  /* The size fstat gave, plus one byte to see whether the file grew. */
  size_t cap = (size_t)sb.st_size + 1, n = 0;
  if (cap < 4096)
    cap = 4096;
  if (cap > max + 1)
    cap = max + 1;
  char *buf = malloc(cap + 1);
  if (!buf) {
    close(fd);
    snprintf(why, whylen, "%s: out of memory", path);
    return MAPF_NOMEM;
  }
  for (;;) {
    if (n == cap) {
      if (cap > max) {
        free(buf);
        close(fd);
        snprintf(why, whylen,
                 "%s has more than --max-map-bytes (%zu) bytes (it grew "
                 "while read)",
                 path, max);
        return MAPF_SIZE;
      }
      size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *g = realloc(buf, nc + 1);
      if (!g) {
        free(buf);
        close(fd);
        snprintf(why, whylen, "%s: out of memory", path);
        return MAPF_NOMEM;
      }
      buf = g;
      cap = nc;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      snprintf(why, whylen, "%s: %s", path, strerror(errno));
      free(buf);
      close(fd);
      return MAPF_IO;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  if (n > max) {
    free(buf);
    snprintf(why, whylen, "%s has more than --max-map-bytes (%zu) bytes", path,
             max);
    return MAPF_SIZE;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return MAPF_OK;
}

static void map_refused(sess_registry_t *reg, mapf_t why) {
  if (why == MAPF_TYPE)
    reg->counters.maps_refused_type++;
  else if (why == MAPF_SIZE)
    reg->counters.maps_refused_size++;
}

int sess_map_load_listed(sess_registry_t *reg, const char *file,
                         model_map_t **out) {
  char why[1400], *text;
  size_t n;
  *out = NULL;
  mapf_t rc = map_file_read(reg->maps_dir, file, reg->cfg.max_map_bytes, &text,
                            &n, why, sizeof why);
  if (rc != MAPF_OK) {
    map_refused(reg, rc);
    log_warn("maps: skipping %s", why);
    return -1;
  }
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", reg->maps_dir, file);
  model_error_t merr;
  int r = model_map_load_string(text, n, path, out, &merr);
  free(text);
  if (r != 0) {
    reg->counters.maps_refused_invalid++;
    log_warn("maps: skipping %s:%d:%d: %s", merr.file, merr.line, merr.column,
             merr.message);
    return -1;
  }
  return 0;
}

/* A client never sees the maps folder's path or a file's text: what went
 * wrong is in the log, and the client is told so. */
static int map_unloadable(proto_error_t *err, const char *id, size_t len) {
  return proto_error_set(err, PROTO_UNAVAILABLE, "map",
                         "map '%.*s' cannot be loaded; the server's log "
                         "says why (maps.list shows the maps that load)",
                         (int)len, id);
}

int sess_map_get(sess_registry_t *reg, const char *id, size_t len,
                 sess_map_t **out, proto_error_t *err) {
  if (!map_id_ok(id, len))
    return proto_error_set(err, PROTO_BAD_REQUEST, "map",
                           "field 'map' must be a map id of lowercase "
                           "letters, digits, '_' and '-' (maps.list shows "
                           "them)");
  char file[MODEL_ID_MAX + 8], path[1200], why[1400];
  snprintf(file, sizeof file, "%.*s.json", (int)len, id);
  snprintf(path, sizeof path, "%s/%s", reg->maps_dir, file);
  char *text;
  size_t n;
  mapf_t rc = map_file_read(reg->maps_dir, file, reg->cfg.max_map_bytes, &text,
                            &n, why, sizeof why);
  if (rc == MAPF_MISSING)
    return proto_error_set(err, PROTO_NOT_FOUND, "map",
                           "no map '%.*s' in this server's maps folder "
                           "(maps.list shows the maps)",
                           (int)len, id);
  if (rc == MAPF_NOMEM)
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  if (rc != MAPF_OK) {
    map_refused(reg, rc);
    log_warn("session.create: map '%.*s' refused: %s", (int)len, id, why);
    return map_unloadable(err, id, len);
  }
  proto_error_t perr;
  int r = sess_map_parse(reg, text, n, path, out, &perr);
  free(text);
  if (r != 0) {
    if (perr.code == PROTO_INTERNAL && perr.field[0] == '\0')
      return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
    reg->counters.maps_refused_invalid++;
    log_warn("session.create: %s", perr.message);
    return map_unloadable(err, id, len);
  }
  if (strlen(model_map_id((*out)->map)) != len ||
      memcmp(model_map_id((*out)->map), id, len) != 0) {
    reg->counters.maps_refused_invalid++;
    log_warn("session.create: %s holds map '%s', not '%.*s'; the operator "
             "should make a map's id its file name",
             path, model_map_id((*out)->map), (int)len, id);
    return proto_error_set(err, PROTO_NOT_FOUND, "map",
                           "the file of map '%.*s' holds another map; the "
                           "operator should make a map's id its file name "
                           "(the server's log says which)",
                           (int)len, id);
  }
  return 0;
}

static void on_timer(uv_timer_t *t);

int sess_attach(sess_registry_t *reg, sess_session_t *s) {
  if (reg->n_sessions == reg->cap_byid) {
    size_t cap = reg->cap_byid ? 2 * reg->cap_byid : 64;
    sess_session_t **grown = realloc(reg->byid, cap * sizeof *grown);
    if (!grown)
      return -1;
    reg->byid = grown;
    reg->cap_byid = cap;
  }
  size_t i = sess_byid_lower(reg, s->id, strlen(s->id));
  memmove(&reg->byid[i + 1], &reg->byid[i],
          (reg->n_sessions - i) * sizeof *reg->byid);
  reg->byid[i] = s;
  uv_timer_init(reg->loop, &s->timer);
  s->timer.data = s;
  s->next = reg->sessions;
  reg->sessions = s;
  reg->n_sessions++;
  return 0;
}

uint64_t sess_agent_seed(const sess_session_t *s, int seat) {
  /* Each agent's randomness comes from the game seed and its seat, so a
   * replayed or restored game gets the same agent decisions. */
  return s->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(seat + 1));
}

int sess_create(sess_registry_t *reg, const sess_map_t *sm, const char *name,
                uint64_t seed, int turns, int64_t turn_ms, bool spectators,
                bool fixed, const rl_key_t *creator,
                char admin_token[SESS_TOKEN_LEN + 1],
                char (*codes)[SESS_CODE_LEN + 1], sess_session_t **out,
                proto_error_t *err) {
  /* The limit is on sessions in play: finished ones cost no timer and
   * no turn, and stay for history, replay and export (--max-finished
   * bounds those kept in memory). */
  size_t live = reg->n_sessions - reg->n_finished;
  /* Lobby sessions that expired since the last sweep make room first. */
  if (live >= reg->cfg.max_sessions && sess_expire_lobby(reg) > 0)
    live = reg->n_sessions - reg->n_finished;
  if (live >= reg->cfg.max_sessions) {
    reg->counters.sessions_refused_limit++;
    return proto_error_set(err, PROTO_UNAVAILABLE, NULL,
                           "this server has its maximum of %u sessions in "
                           "play (--max-sessions); stop one that is no "
                           "longer needed, or ask the operator to raise "
                           "the limit",
                           reg->cfg.max_sessions);
  }
  sess_session_t *s = calloc(1, sizeof *s);
  if (!s)
    goto nomem;
  const model_map_t *map = sm->map;
  s->reg = reg;
  s->map = map;
  s->map_json = sm->json;
  s->map_len = sm->len;
  s->seed = seed;
  s->turns = turns;
  s->turn_ms = turn_ms;
  s->spectators = spectators;
  s->fixed = fixed;
  s->status = SESS_LOBBY;
  s->forked_turn = -1;
  s->created_ms = sess_wall_ms();
  if (creator) {
    s->creator = *creator;
    s->has_creator = true;
  }
  snprintf(s->name, sizeof s->name, "%s", name);
  /* Session ids are not secret (session.list shows them); random ones
   * just never collide with a loaded session's, nor with one unloaded
   * from memory but still in the database. */
  do {
    s->id[0] = 's';
    sess_random_code(s->id + 1, 7);
    for (char *p = s->id + 1; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
  } while (sess_find(reg, s->id, strlen(s->id)) || sp_id_stored(reg, s->id));
  sess_random_token(admin_token);
  sess_hash_token(admin_token, SESS_TOKEN_LEN, s->admin_hash);
  if (model_state_new(map, seed, &s->st) != 0)
    goto nomem;
  s->n_seats = model_map_seat_count(map);
  s->seats = calloc(s->n_seats, sizeof *s->seats);
  if (!s->seats)
    goto nomem;
  for (size_t i = 0; i < s->n_seats; i++) {
    char token[SESS_TOKEN_LEN + 1];
    sess_random_token(token);
    sess_random_code(codes[i], SESS_CODE_LEN);
    sess_hash_token(token, SESS_TOKEN_LEN, s->seats[i].token_hash);
    sess_hash_code(s, codes[i], s->seats[i].code_hash);
    sess_seal_token(s, (int)i, codes[i], token, s->seats[i].box);
    /* Sealed under the admin token too: seat.reissue_code gives a new
     * code for the same token (docs/protocol.md "Seat control"). */
    sess_seal_admin(s, (int)i, admin_token, SESS_TOKEN_LEN, token,
                    s->seats[i].admin_box);
    s->seats[i].has_admin_box = true;
    sodium_memzero(token, sizeof token);
  }
  if (sess_token_add(reg, s->admin_hash) != 0)
    goto nomem;
  for (size_t i = 0; i < s->n_seats; i++)
    if (sess_token_add(reg, s->seats[i].token_hash) != 0)
      goto nomem;
  if (sess_attach(reg, s) != 0)
    goto nomem;
  reg->counters.sessions_created++;
  sp_session(s);
  sp_seat_controls(s);
  *out = s;
  return 0;
nomem:
  if (s) {
    model_state_free(s->st);
    free(s->seats);
    free(s);
  }
  return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
}

/* ---- Turns -----------------------------------------------------------------
 */

static bool seat_ready(const sess_seat_t *seat) {
  return seat->ready || seat->agent != NULL;
}

/* A seatless seat (issue 11) plays its standing orders: the turn never
 * waits for it. */
size_t sess_waiting(const sess_session_t *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->n_seats; i++)
    n += !seat_ready(&s->seats[i]) && !model_map_seat_seatless(s->map, i);
  return n;
}

/* Let an agent decide its seat's orders for the open turn. A failure
 * leaves the seat on its standing orders (PROTOCOL.md) and is logged. */
void sess_agent_act(sess_session_t *s, int seat) {
  sess_seat_t *st = &s->seats[seat];
  model_obs_t *obs = NULL;
  model_order_t orders[MODEL_ORDERS_MAX];
  model_refusal_t refusals[8];
  size_t n = 0, n_refused = 0;
  if (model_observe(s->st, seat, &obs) != 0) {
    log_sess(LOG_LEVEL_WARN, s->id, SESS_SEAT_NAME(s, seat),
             "cannot observe seat %d for its agent", seat);
    return;
  }
  obs->turns = s->turns; /* Fix: the session's turns, not the map's. */
  if (agent_act(st->agent, obs, orders, MODEL_ORDERS_MAX, &n) != 0) {
    log_sess(LOG_LEVEL_WARN, s->id, SESS_SEAT_NAME(s, seat),
             "agent %s failed on seat %s; standing orders",
             agent_strategy(st->agent)->id,
             model_map_seat_id(s->map, (size_t)seat));
    n = 0;
  }
  model_obs_free(obs);
  if (n == 0)
    return;
  model_refusal_t all[MODEL_ORDERS_MAX];
  if (model_submit(s->st, seat, orders, n, all, MODEL_ORDERS_MAX, &n_refused) !=
      0) {
    log_sess(LOG_LEVEL_WARN, s->id, SESS_SEAT_NAME(s, seat),
             "agent orders of seat %d not accepted", seat);
    return;
  }
  for (size_t k = 0; k < n_refused && k < 8; k++)
    refusals[k] = all[k];
  sess_store_accepted(s, seat, orders, n, all, n_refused, "agent");
  s->reg->counters.orders_accepted += n - n_refused;
  if (n_refused > 0) {
    s->reg->counters.orders_refused += n_refused;
    log_sess(LOG_LEVEL_INFO, s->id, SESS_SEAT_NAME(s, seat),
             "agent %s on seat %s had %zu orders refused (first: "
             "%s)",
             agent_strategy(st->agent)->id,
             model_map_seat_id(s->map, (size_t)seat), n_refused,
             refusals[0].message);
  }
}

/* ---- The FIFO of due turns ------------------------------------------------
 * A turn that is due is resolved from the registry's idle handle, one
 * session per loop iteration, in the order they came due; the loop polls
 * for I/O between two resolutions, so every connection is served while a
 * thousand turns come due at once. */

static void on_due(uv_idle_t *h);

static void due_push(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  if (s->due || reg->closed)
    return;
  s->due = true;
  s->due_next = NULL;
  if (reg->due_tail)
    reg->due_tail->due_next = s;
  else
    reg->due_head = s;
  reg->due_tail = s;
  uv_idle_start(&reg->due_idle, on_due);
}

static void due_remove(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  if (!s->due)
    return;
  sess_session_t *prev = NULL;
  for (sess_session_t *x = reg->due_head; x; prev = x, x = x->due_next) {
    if (x != s)
      continue;
    if (prev)
      prev->due_next = s->due_next;
    else
      reg->due_head = s->due_next;
    if (reg->due_tail == s)
      reg->due_tail = prev;
    break;
  }
  s->due = false;
  s->due_next = NULL;
  if (!reg->due_head)
    uv_idle_stop(&reg->due_idle);
}

static sess_session_t *due_pop(sess_registry_t *reg) {
  sess_session_t *s = reg->due_head;
  if (!s)
    return NULL;
  reg->due_head = s->due_next;
  if (!reg->due_head)
    reg->due_tail = NULL;
  s->due = false;
  s->due_next = NULL;
  return s;
}

static int resolve_queue(sess_session_t *s, bool *finished_out);
static void resolved_after(sess_session_t *s, bool finished);
static void commit_now(sess_session_t *s);

static void on_due_wait(uv_timer_t *t) {
  sess_registry_t *reg = t->data;
  if (reg->due_head && !reg->closed)
    uv_idle_start(&reg->due_idle, on_due);
}

static void on_due(uv_idle_t *h) {
  sess_registry_t *reg = h->data;
  /* While the database cannot be written, due turns wait (in order): a
   * turn resolved now could be told to nobody and would only pile up in
   * memory. They are looked at again every SESS_DUE_WAIT_MS. */
  if (reg->store && store_failing(reg->store)) {
    uv_idle_stop(&reg->due_idle);
    uv_timer_start(&reg->due_wait, on_due_wait, SESS_DUE_WAIT_MS, 0);
    return;
  }
  /* Several due turns per pass, up to SESS_DUE_BUDGET_NS of resolving
   * or SESS_DUE_BATCH turns: they are committed together, in one
   * transaction (one fsync) instead of one each, and only then is anyone
   * told of them; no pass holds the loop (and every connection) for much
   * longer than the budget. A session comes back into the queue only in
   * resolved_after (sess_arm), so none is twice in one batch. */
  sess_session_t *batch[SESS_DUE_BATCH];
  bool finished[SESS_DUE_BATCH];
  size_t n = 0;
  uint64_t t0 = uv_hrtime();
  do {
    sess_session_t *s = due_pop(reg);
    if (s && s->status == SESS_RUNNING && resolve_queue(s, &finished[n]) == 0)
      batch[n++] = s;
  } while (reg->due_head && n < SESS_DUE_BATCH &&
           uv_hrtime() - t0 < SESS_DUE_BUDGET_NS);
  if (!reg->due_head)
    uv_idle_stop(&reg->due_idle);
  if (n == 0)
    return;
  commit_now(batch[0]);
  for (size_t i = 0; i < n; i++)
    resolved_after(batch[i], finished[i]);
}

void sess_resolve_due(sess_registry_t *reg) {
  sess_session_t *s;
  while ((s = due_pop(reg)) != NULL)
    if (s->status == SESS_RUNNING)
      (void)sess_resolve(s);
  uv_idle_stop(&reg->due_idle);
}

/* The deadline passed: the turn joins the queue (never resolved here). */
static void on_timer(uv_timer_t *t) {
  sess_session_t *s = t->data;
  if (s->status == SESS_RUNNING)
    due_push(s);
}

/* Arm the clock for the open turn: queue it for resolution when it is due
 * (every seat ready, unless the turn is fixed-length; the deadline passed;
 * the facilitator advanced it), else wake at the deadline. */
void sess_arm(sess_session_t *s) {
  if (s->status != SESS_RUNNING || s->reg->closed)
    return;
  /* A held turn waits for control's turn.release: no clock runs. */
  if (s->held) {
    uv_timer_stop(&s->timer);
    due_remove(s);
    return;
  }
  bool due = s->advancing ||
             (sess_waiting(s) == 0 && (!s->fixed || s->deadline_wall_ms == 0));
  if (!due && s->deadline_wall_ms > 0) {
    int64_t left = s->deadline_wall_ms - sess_wall_ms();
    if (left > 0) {
      due_remove(s);
      uv_timer_start(&s->timer, on_timer, (uint64_t)left, 0);
      return;
    }
    due = true;
  }
  uv_timer_stop(&s->timer);
  if (due)
    due_push(s);
  else
    due_remove(s);
}

/* Open the turn now in the model's state: clear ready flags, let agents
 * play, set the deadline (the caller stores and arms). */
static void open_turn(sess_session_t *s) {
  s->advancing = false;
  for (size_t i = 0; i < s->n_seats; i++) {
    s->seats[i].ready = false;
    s->seats[i].submitted = false;
    /* A new turn gives every seat its whole --submit-burst again: the
     * limit stops a flood within a turn (or the lobby), not a fast game
     * (issue 10). */
    s->seats[i].submit = (rl_bucket_t){0};
    if (s->seats[i].agent)
      sess_agent_act(s, (int)i);
  }
  s->deadline_wall_ms = s->turn_ms > 0 ? sess_wall_ms() + s->turn_ms : 0;
  /* A turn opened while paused (turn.release of a paused session, a
   * fork) keeps its whole length for the resume. */
  if (s->status == SESS_PAUSED)
    s->remaining_ms = s->turn_ms;
}

static const char *const STATUS_NAME[] = {"lobby", "running", "paused",
                                          "finished"};

/* Every transition is committed before anyone is told of it: its
 * notifications go out from the commit's callback (sess_tell). The commit
 * is tried at once; if it fails the store keeps it queued, in order
 * behind everything before it, and commits it with the retry (store.h),
 * and only then are the notifications sent (issue 10). */
static void commit_now(sess_session_t *s) {
  if (sp_flush(s) != 0)
    log_sess(LOG_LEVEL_WARN, s->id, NULL,
             "its new status (%s, turn %d) is not committed "
             "yet; it is kept and committed with the store's retry, and "
             "nobody is told of it before",
             STATUS_NAME[s->status], model_state_turn(s->st));
}

void sess_start(sess_session_t *s) {
  s->status = SESS_RUNNING;
  open_turn(s);
  sp_status(s);
  msgpack_packer *pk = sess_notify_begin(s, "session.started", 1);
  proto_pack_kv_i64(pk, "turn", model_state_turn(s->st));
  sess_tell(s);
  commit_now(s);
  sess_arm(s);
}

void sess_pause(sess_session_t *s) {
  uv_timer_stop(&s->timer);
  due_remove(s);
  s->remaining_ms =
      s->deadline_wall_ms > 0 ? s->deadline_wall_ms - sess_wall_ms() : 0;
  if (s->remaining_ms < 0)
    s->remaining_ms = 0;
  s->status = SESS_PAUSED;
  sp_status(s);
  sess_notify_begin(s, "session.paused", 0);
  sess_tell(s);
  commit_now(s);
}

void sess_resume(sess_session_t *s) {
  s->status = SESS_RUNNING;
  if (s->deadline_wall_ms > 0)
    s->deadline_wall_ms = sess_wall_ms() + s->remaining_ms;
  s->remaining_ms = 0;
  sp_status(s);
  sess_notify_begin(s, "session.resumed", 0);
  sess_tell(s);
  commit_now(s);
  sess_arm(s);
}

/* The facilitator moves the open turn's deadline by delta_ms (more time,
 * or less): a running turn's wall-clock deadline, a paused one's time
 * left. A deadline moved into the past makes the turn due at once, as a
 * passed deadline does. The caller checked that the turn has a deadline. */
void sess_extend(sess_session_t *s, int64_t delta_ms) {
  if (s->status == SESS_PAUSED) {
    s->remaining_ms += delta_ms;
    if (s->remaining_ms < 0)
      s->remaining_ms = 0;
  } else {
    int64_t now = sess_wall_ms();
    s->deadline_wall_ms += delta_ms;
    if (s->deadline_wall_ms < now)
      s->deadline_wall_ms = now;
  }
  sp_status(s);
  msgpack_packer *pk = sess_notify_begin(s, "session.extended", 2);
  proto_pack_kv_i64(pk, "deadline_ms",
                    s->status == SESS_RUNNING ? s->deadline_wall_ms : 0);
  proto_pack_kv_i64(pk, "remaining_ms",
                    s->status == SESS_RUNNING
                        ? s->deadline_wall_ms - sess_wall_ms()
                        : s->remaining_ms);
  sess_tell(s);
  commit_now(s);
  sess_arm(s);
}

static void notify_finished(sess_session_t *s);

/* Pack the final scores: from the last resolved turn, or zeros before
 * the first. */
static void pack_scores(sess_session_t *s, msgpack_packer *pk) {
  const model_report_t *rep = model_last_report(s->st);
  msgpack_pack_array(pk, s->n_seats);
  for (size_t i = 0; i < s->n_seats; i++) {
    msgpack_pack_map(pk, 2);
    proto_pack_kv_cstr(pk, "seat", model_map_seat_id(s->map, i));
    proto_pack_kv_f64(pk, "score",
                      rep && rep->turn >= 0 && i < rep->n_seats
                          ? proto_score(rep->scores[i])
                          : 0.0);
  }
}

/* Forget a held result (the session is stopped or reset). */
static void drop_held(sess_session_t *s) {
  if (!s->held)
    return;
  model_state_free(s->proposal);
  s->proposal = NULL;
  s->held = false;
  sp_held(s);
}

void sess_finish(sess_session_t *s) {
  uv_timer_stop(&s->timer);
  due_remove(s);
  drop_held(s);
  s->status = SESS_FINISHED;
  s->deadline_wall_ms = 0;
  sp_status(s);
  notify_finished(s);
  commit_now(s);
  sess_finished(s);
}

/* Forget a finished session: out of the registry now, its memory once its
 * timer handle has closed (so a caller up the stack may still read it). */
static void unload(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  detach(s);
  reg->n_finished--;
  sess_unsubscribe_all(s);
  due_remove(s);
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, on_timer_closed);
  reg->counters.sessions_unloaded++;
  log_sess(LOG_LEVEL_INFO, s->id, NULL,
           "unloaded from memory (more than %u finished sessions, "
           "--max-finished); its rows stay in the database",
           reg->cfg.max_finished);
}

/* Take a finished session out of the registry's list of finished ones
 * (a reset brings it back into play; a delete forgets it). */
static void fin_remove(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  sess_session_t *prev = NULL;
  for (sess_session_t *x = reg->fin_head; x; prev = x, x = x->fin_next) {
    if (x != s)
      continue;
    if (prev)
      prev->fin_next = s->fin_next;
    else
      reg->fin_head = s->fin_next;
    if (reg->fin_tail == s)
      reg->fin_tail = prev;
    reg->n_finished--;
    break;
  }
  s->fin_next = NULL;
}

int sess_reset(sess_session_t *s, uint64_t seed, bool start) {
  model_state_t *st = NULL;
  if (model_state_new(s->map, seed, &st) != 0)
    return -1;
  agent_t **fresh = calloc(s->n_seats ? s->n_seats : 1, sizeof *fresh);
  if (!fresh) {
    model_state_free(st);
    return -1;
  }
  uint64_t old_seed = s->seed;
  s->seed = seed;
  for (size_t i = 0; i < s->n_seats; i++)
    if (s->seats[i].agent) {
      fresh[i] = agent_new(agent_strategy(s->seats[i].agent),
                           sess_agent_seed(s, (int)i));
      if (!fresh[i])
        goto fail;
    }
  /* Queued for storage before memory changes: if it cannot be queued,
   * the session is as it was and the client is told. */
  if (sp_reset(s, seed) != 0)
    goto fail;
  uv_timer_stop(&s->timer);
  due_remove(s);
  drop_held(s);
  if (s->status == SESS_FINISHED)
    fin_remove(s);
  model_state_free(s->st);
  s->st = st;
  sess_inject_reset(s);
  sess_comms_reset(s);
  for (size_t i = 0; i < s->n_seats; i++) {
    agent_free(s->seats[i].agent);
    s->seats[i].agent = fresh[i];
    s->seats[i].ready = false;
    s->seats[i].submitted = false;
  }
  free(fresh);
  for (size_t i = 0; i < s->n_history; i++)
    proto_buf_free(&s->history[i].buf);
  free(s->history);
  s->history = NULL;
  s->n_history = 0;
  s->advancing = false;
  s->status = SESS_LOBBY;
  s->deadline_wall_ms = 0;
  s->remaining_ms = 0;
  sp_status(s);
  /* Told once the reset is committed (sess_tell), as every transition. */
  msgpack_packer *pk = sess_notify_begin(s, "session.reset", 2);
  proto_pack_kv_u64(pk, "seed", seed);
  proto_pack_kv_i64(pk, "turn", 0);
  sess_tell(s);
  if (start)
    sess_start(s); /* commits and tells session.started */
  else
    commit_now(s);
  s->reg->counters.sessions_reset++;
  return 0;
fail:
  for (size_t j = 0; j < s->n_seats; j++)
    agent_free(fresh[j]);
  free(fresh);
  model_state_free(st);
  s->seed = old_seed;
  return -1;
}

int sess_delete(sess_session_t *s, bool purge) {
  sess_registry_t *reg = s->reg;
  if (sp_delete(s, purge) != 0)
    return -1;
  if (s->status == SESS_FINISHED)
    fin_remove(s);
  /* Its followers stop following it now: none may keep pointing at a
   * session that is freed once its timer has closed. */
  sess_unsubscribe_all(s);
  if (purge) {
    /* Its tokens leave with its rows, as an expired lobby session's do:
     * after a restart the server would not know them either. */
    sess_token_del(reg, s->admin_hash);
    for (size_t i = 0; i < s->n_seats; i++)
      sess_token_del(reg, s->seats[i].token_hash);
    sess_observers_forget(s);
  }
  detach(s);
  due_remove(s);
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, on_timer_closed);
  /* Committed at once; the reply waits for the commit (RPC_OK_DURABLE). */
  if (reg->store && store_flush(reg->store) != 0)
    log_warn("session %s: its deletion is not committed yet; it is kept and "
             "committed with the store's retry",
             s->id);
  reg->counters.sessions_deleted++;
  log_info("session %s deleted by its facilitator%s", s->id,
           purge ? ", its rows removed from the database"
                 : "; its rows stay in the database for replay");
  return 0;
}

void sess_finished(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  s->fin_next = NULL;
  if (reg->fin_tail)
    reg->fin_tail->fin_next = s;
  else
    reg->fin_head = s;
  reg->fin_tail = s;
  reg->n_finished++;
  sess_trim_finished(reg);
}

void sess_trim_finished(sess_registry_t *reg) {
  /* One whose watchers still wait for a notification stays until they
   * have it (sess_tell calls this again). */
  while (reg->n_finished > reg->cfg.max_finished && reg->fin_head &&
         reg->fin_head->untold == 0) {
    sess_session_t *old = reg->fin_head;
    reg->fin_head = old->fin_next;
    if (!reg->fin_head)
      reg->fin_tail = NULL;
    unload(old);
  }
}

/* ---- Lobby expiry ---------------------------------------------------------
 * A lobby session that no person joined within --lobby-expiry-s of its
 * creation holds nothing worth keeping (no turn, no player), yet it
 * counts against --max-sessions: it leaves the registry and the file.
 * The clock is the stored creation time, so a restart neither resets it
 * nor spares the sessions that were due while the server was down. A
 * session someone joined stays: --max-lobby-per-address bounds those. */

static bool lobby_expired(const sess_session_t *s, int64_t now,
                          int64_t expiry_ms) {
  if (s->status != SESS_LOBBY || now - s->created_ms < expiry_ms)
    return false;
  for (size_t i = 0; i < s->n_seats; i++)
    if (s->seats[i].taken)
      return false;
  return true;
}

/* Expire s: queue the deletion of its rows, tell its watchers once that
 * commits, and drop it from memory. Returns false, s untouched, if the
 * deletion could not be queued (out of memory: the next sweep tries
 * again). */
static bool expire_one(sess_session_t *s) {
  sess_registry_t *reg = s->reg;
  if (reg->store && store_del_session(reg->store, s->id) != 0) {
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory queueing the deletion of an "
             "expired lobby session; it is kept and tried again later");
    return false;
  }
  log_sess(LOG_LEVEL_INFO, s->id, NULL,
           "expired: in the lobby for %u s and nobody joined "
           "(--lobby-expiry-s); it is deleted",
           reg->cfg.lobby_expiry_s);
  /* Its watchers (the facilitator) learn why it is gone, once the
   * deletion is committed (issue 10: nothing is told before it is
   * stored); from now on every method naming it answers not_found. */
  sess_notify_begin(s, "session.expired", 0);
  sess_tell_leaving(s);
  sess_unsubscribe_all(s);
  /* Its tokens leave with its rows: they are no tokens of this server's
   * any more (and an attacker's expired sessions do not grow the set). */
  sess_token_del(reg, s->admin_hash);
  for (size_t i = 0; i < s->n_seats; i++)
    sess_token_del(reg, s->seats[i].token_hash);
  sess_observers_forget(s);
  detach(s);
  due_remove(s);
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, on_timer_closed);
  reg->counters.lobby_expired++;
  return true;
}

size_t sess_expire_lobby(sess_registry_t *reg) {
  if (reg->closed || reg->cfg.lobby_expiry_s == 0)
    return 0;
  /* A deletion is a write like any other: while commits fail (or the
   * queue is at --max-pending-writes) nothing expires, so memory never
   * runs ahead of a database that cannot follow; the next sweep tries
   * again. A deletion queued while commits worked stays queued, in order,
   * if the commit then fails, and is committed with the retry (store.h);
   * if the server stops first, the session is restored and expires
   * again. */
  if (reg->store && (store_failing(reg->store) ||
                     store_queued(reg->store) >= reg->cfg.max_pending))
    return 0;
  int64_t now = sess_wall_ms();
  int64_t expiry_ms = (int64_t)reg->cfg.lobby_expiry_s * 1000;
  size_t n = 0;
  sess_session_t *s = reg->sessions;
  while (s) {
    sess_session_t *next = s->next;
    if (lobby_expired(s, now, expiry_ms) && expire_one(s))
      n++;
    s = next;
  }
  /* Committed at once, as a session's transitions are: the store keeps
   * it queued if this fails, and the notices wait for it. */
  if (n > 0 && reg->store && store_flush(reg->store) != 0)
    log_warn("the deletion of %zu expired lobby sessions is not committed "
             "yet; it is kept and committed with the store's retry, and "
             "nobody is told of it before",
             n);
  return n;
}

size_t sess_lobby_count(const sess_registry_t *reg, const rl_key_t *creator) {
  size_t n = 0;
  for (const sess_session_t *s = reg->sessions; s; s = s->next)
    n += s->status == SESS_LOBBY && s->has_creator &&
         memcmp(s->creator.b, creator->b, RL_KEY_BYTES) == 0;
  return n;
}

static void notify_finished(sess_session_t *s) {
  msgpack_packer *pk = sess_notify_begin(s, "session.finished", 1);
  proto_pack_cstr(pk, "scores");
  pack_scores(s, pk);
  sess_tell(s);
}

/* Keep the summary of the turn just resolved for history.get, packed once
 * as the map history.get and turn.resolved both carry. */
static int keep_history(sess_session_t *s, const model_report_t *rep) {
  sess_turn_t *grown =
      realloc(s->history, (s->n_history + 1) * sizeof *s->history);
  if (!grown)
    return -1;
  s->history = grown;
  s->history[s->n_history].turn = rep->turn;
  proto_buf_t *b = &s->history[s->n_history].buf;
  proto_buf_init(b);
  msgpack_packer pk;
  proto_packer_init(&pk, b);
  msgpack_pack_map(&pk, PROTO_SUMMARY_PAIRS + 1);
  proto_pack_kv_i64(&pk, "turn", rep->turn);
  if (proto_pack_summary_pairs(&pk, s->map, rep, s->st) != 0) {
    proto_buf_free(b);
    return -1;
  }
  s->n_history++;
  return 0;
}

/* Tell the session's admin connections why a turn was refused: the
 * "error" notification (PROTOCOL.md), with the session named. Only the
 * facilitator gets it, because the model's message may name a seat's
 * private figures (a budget); the players see session.paused. */
static void notify_turn_refused(sess_session_t *s, const model_state_t *st,
                                int turn, int rc) {
  const char *why = model_last_error(st);
  char msg[MODEL_MESSAGE_MAX + 256];
  snprintf(msg, sizeof msg,
           "turn %d was not resolved: %s; it was not stored, the game stands "
           "where it stood before the turn, and the session is paused: have "
           "the seats change their orders, then resume",
           turn, why[0] ? why : model_strerror(rc));
  msgpack_packer *pk = sess_notify_begin(s, "error", 2);
  proto_pack_kv_cstr(pk, "code", "conflict");
  proto_pack_kv_cstr(pk, "message", msg);
  sess_registry_t *reg = s->reg;
  for (size_t i = 0; i < s->n_subs; i++)
    if (s->subs[i].admin && replyq_push(&s->subs[i].peer->replies,
                                        reg->nbuf.data, reg->nbuf.len) == 0)
      reg->counters.notifications++;
}

/* Resolve s's open turn and queue everything it changes for the store
 * (the turn, the next turn's opening, turn.resolved held until the
 * commit). 0 with *finished set when resolved: the caller commits, then
 * calls resolved_after. Non-zero when the model refused the turn: the
 * session is paused (and that committed). */
/* model_resolve(st), timed; a refusal is logged, told to the admin and
 * pauses s. */
static int resolve_timed(sess_session_t *s, model_state_t *st) {
  int turn = model_state_turn(st);
  uint64_t t0 = uv_hrtime();
  /* the control cell's injects for this turn fire with its events, and
   * the contracts agreed over the wire this turn join it, in the state
   * resolved (a review session's copy, too); lanthanide replay does the
   * same before the same turn */
  sess_inject_fire(s, st);
  sess_comms_sign(s, st, true);
  int rc = model_resolve(st);
  sess_inject_resolved(s, st, turn, rc == 0);
  /* Refused turns are timed too: they cost the loop the same. */
  metrics_hist_observe(&s->reg->turn_hist, uv_hrtime() - t0);
  if (rc != 0) {
    /* The model leaves the state as it was before the turn (a turn whose
     * money or tonnes would leave the exact range is refused as a whole,
     * MODEL_ERANGE), so nothing is stored and the submissions stand. */
    const char *why = model_last_error(st);
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "turn %d cannot be resolved: %s%s%s; the turn is "
             "not stored and the session is paused",
             turn, model_strerror(rc), why[0] ? ": " : "", why);
    notify_turn_refused(s, st, turn, rc);
    sess_pause(s);
  }
  return rc;
}

static int queue_resolved(sess_session_t *s, bool *finished_out);

static int resolve_queue(sess_session_t *s, bool *finished_out) {
  if (s->review) {
    /* Held for control: nothing of the turn is committed but the hold. */
    *finished_out = false;
    return sess_hold(s, true);
  }
  int rc = resolve_timed(s, s->st);
  if (rc != 0)
    return rc;
  return queue_resolved(s, finished_out);
}

/* The turn just resolved in s->st (and amended, after a review): queue
 * its storage, open the next turn, and hold turn.resolved until the
 * commit. */
static int queue_resolved(sess_session_t *s, bool *finished_out) {
  s->reg->counters.turns_resolved++;
  const model_report_t *rep = model_last_report(s->st);
  if (keep_history(s, rep) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory keeping turn %d's history", rep->turn);
  /* The stored hash and snapshot are those of the state just resolved,
   * before the next turn opens: that is what a replay from the stored
   * orders reaches (lanthanide replay --verify), and the agents'
   * submissions for the next turn are stored as that turn's. */
  if (s->n_history > 0 && s->history[s->n_history - 1].turn == rep->turn &&
      sp_turn(s, rep, &s->history[s->n_history - 1].buf) != 0)
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "turn %d could not be queued for storage", rep->turn);
  bool finished = model_state_turn(s->st) >= s->turns;
  if (finished) {
    uv_timer_stop(&s->timer);
    due_remove(s);
    s->status = SESS_FINISHED;
    s->deadline_wall_ms = 0;
  } else {
    open_turn(s);
  }
  /* The resolution, the submissions before it and the next turn's opening
   * are one transaction, committed before turn.resolved goes out. */
  sp_status(s);
  /* turn.resolved {session, turn, summary}: the summary is the history
   * entry just packed, written as raw bytes. */
  sess_tell_resolved(s, s->n_history > 0 &&
                                s->history[s->n_history - 1].turn == rep->turn
                            ? &s->history[s->n_history - 1]
                            : NULL);
  if (finished)
    notify_finished(s);
  *finished_out = finished;
  return 0;
}

/* After the commit of a resolution: a finished session joins the finished
 * ones (and may unload the oldest), a running one waits for its next
 * turn. */
static void resolved_after(sess_session_t *s, bool finished) {
  if (finished)
    sess_finished(s);
  else
    sess_arm(s);
}

int sess_resolve(sess_session_t *s) {
  bool finished;
  int rc = resolve_queue(s, &finished);
  if (rc != 0)
    return rc;
  commit_now(s);
  resolved_after(s, finished);
  return 0;
}

/* The facilitator closes the open turn now, as if its deadline passed,
 * fixed-length sessions included. */
void sess_advance(sess_session_t *s) {
  for (size_t i = 0; i < s->n_seats; i++)
    if (!s->seats[i].ready) {
      s->seats[i].ready = true;
      sp_ready(s, (int)i);
    }
  s->advancing = true;
  sess_arm(s);
}

void sess_seat_ready(sess_session_t *s, int seat) {
  if (!s->seats[seat].ready)
    sp_ready(s, seat);
  s->seats[seat].ready = true;
  if (sess_waiting(s) == 0)
    sess_arm(s);
}

void sess_seat_to_agent(sess_session_t *s, int seat, agent_t *agent) {
  sess_seat_t *st = &s->seats[seat];
  agent_free(st->agent);
  st->agent = agent;
  sp_seat(s, seat);
  if (s->status == SESS_RUNNING || s->status == SESS_PAUSED) {
    /* Take over this turn at once, unless the person already ordered, or
     * the turn is closed and held for control's review (the agent plays
     * from the next turn: the held result stands on the orders it was
     * resolved with). */
    if (!st->ready && !s->held)
      sess_agent_act(s, seat);
    sess_arm(s);
  }
}

/* Store the accepted part of a submission: orders[0..n) less the refused
 * ones (refusal indices point into orders). */
void sess_store_accepted(sess_session_t *s, int seat,
                         const model_order_t *orders, size_t n,
                         const model_refusal_t *refused, size_t n_refused,
                         const char *source) {
  model_order_t kept[MODEL_ORDERS_MAX];
  size_t k = 0;
  for (size_t i = 0; i < n && i < MODEL_ORDERS_MAX; i++) {
    bool out = false;
    for (size_t j = 0; j < n_refused && !out; j++)
      out = refused[j].index == i;
    if (!out)
      kept[k++] = orders[i];
  }
  s->seats[seat].submitted = true;
  sp_submission(s, seat, kept, k, source);
}

/* ---- Review (issue 13; docs/protocol.md "Review") -------------------------
 * A review session's turn resolves on a clone of the state; the clone is
 * held (s->proposal) while s->st stays the open turn's state with every
 * accepted order, so a release with refuse_order amendments can resolve
 * the turn again from it, and a restart can hold the same result again
 * (resolution is deterministic). The turn's clock stops while it is held;
 * orders for it are refused. */

int sess_hold(sess_session_t *s, bool tell) {
  model_state_t *p = NULL;
  if (model_state_clone(s->st, &p) != 0) {
    log_sess(LOG_LEVEL_ERROR, s->id, NULL,
             "out of memory holding turn %d for review",
             model_state_turn(s->st));
    return -1;
  }
  int rc = resolve_timed(s, p);
  if (rc != 0) {
    model_state_free(p);
    return rc;
  }
  model_state_free(s->proposal);
  s->proposal = p;
  s->held = true;
  uv_timer_stop(&s->timer);
  due_remove(s);
  /* The deadline stops while control reviews: the next turn gets its
   * whole length when it opens at the release. */
  s->deadline_wall_ms = 0;
  s->remaining_ms = 0;
  sp_held(s);
  sp_status(s);
  s->reg->counters.turns_held++;
  log_sess(LOG_LEVEL_INFO, s->id, NULL,
           "turn %d resolved and held for control's review",
           model_state_turn(s->st));
  if (tell) {
    msgpack_packer *pk = sess_notify_begin(s, "turn.proposed", 2);
    proto_pack_kv_i64(pk, "turn", model_state_turn(s->st));
    proto_pack_cstr(pk, "outcome");
    if (sess_pack_outcome(pk, s) == 0)
      sess_tell_admin(s);
    else
      log_sess(LOG_LEVEL_ERROR, s->id, NULL,
               "out of memory packing turn.proposed; control can read the "
               "outcome with turn.proposal");
  }
  return 0;
}

int sess_release(sess_session_t *s, const model_amendment_t *a, size_t n,
                 proto_error_t *err) {
  LAN_ASSERT(s->held && s->proposal);
  int turn = model_state_turn(s->st);
  bool before = false;
  for (size_t i = 0; i < n; i++)
    before |= model_amend_before(a[i].kind);
  model_state_t *w = NULL;
  char why[MODEL_MESSAGE_MAX];
  if (model_state_clone(before ? s->st : s->proposal, &w) != 0)
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  /* Resolved again from before the turn: with what its first resolution
   * had, the control cell's injects of the turn (already marked fired)
   * and the contracts agreed over the wire, in the order lanthanide
   * replay gives them (then the amendments, then the resolution). */
  if (before) {
    sess_inject_fire(s, w);
    sess_comms_sign(s, w, false);
  }
  /* Orders refused first (on the state before the turn), then the turn
   * resolved again without them, then the other amendments on its
   * result, each in the order given: as a replay applies them. */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < n; i++) {
      if (model_amend_before(a[i].kind) != (pass == 0))
        continue;
      if (model_amend(w, &a[i], why, sizeof why) != 0) {
        model_state_free(w);
        return proto_error_set(err, PROTO_BAD_REQUEST, "amendments",
                               "amendments[%zu] (%s, seat %s): %s", i,
                               model_amend_kind_name(a[i].kind),
                               model_map_seat_id(s->map, (size_t)a[i].seat),
                               why);
      }
    }
    if (pass == 0 && before) {
      int rc = model_resolve(w);
      if (rc != 0) {
        proto_error_set(err, PROTO_CONFLICT, "amendments",
                        "turn %d cannot be resolved without the refused "
                        "orders: %s; nothing was released",
                        turn, model_last_error(w));
        model_state_free(w);
        return -1;
      }
    }
  }
  if (sp_amendments(s, turn, a, n) != 0) {
    model_state_free(w);
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  }
  model_state_free(s->st);
  s->st = w;
  model_state_free(s->proposal);
  s->proposal = NULL;
  s->held = false;
  s->reg->counters.amendments += n;
  sp_held(s);
  log_sess(LOG_LEVEL_INFO, s->id, NULL,
           "turn %d released by control with %zu amendment%s", turn, n,
           n == 1 ? "" : "s");
  bool finished;
  (void)queue_resolved(s, &finished);
  commit_now(s);
  resolved_after(s, finished);
  return 0;
}

/* One seat's money (a firm's cash, a nation's budget) in a state. */
static int64_t seat_money(const model_state_t *st, int seat) {
  model_obs_t *o = NULL;
  if (model_observe(st, seat, &o) != 0)
    return 0;
  int64_t c = o->cash_cents;
  model_obs_free(o);
  return c;
}

int sess_pack_outcome(msgpack_packer *pk, const sess_session_t *s) {
  if (!s->held || !s->proposal)
    return msgpack_pack_nil(pk);
  const model_report_t *rep = model_last_report(s->proposal);
  int rc = msgpack_pack_map(pk, PROTO_SUMMARY_PAIRS + 3);
  rc |= proto_pack_kv_i64(pk, "turn", rep->turn);
  rc |= proto_pack_summary_pairs(pk, s->map, rep, s->proposal);
  /* news: the turn's events, as the summary's `events` */
  rc |= proto_pack_cstr(pk, "news");
  rc |= msgpack_pack_array(pk, rep->n_news);
  for (size_t i = 0; i < rep->n_news; i++)
    rc |= proto_pack_event(pk, &rep->news[i]);
  rc |= proto_pack_cstr(pk, "seats");
  rc |= msgpack_pack_array(pk, s->n_seats);
  for (size_t i = 0; i < s->n_seats; i++) {
    int64_t before = seat_money(s->st, (int)i);
    model_obs_t *o = NULL;
    if (model_observe(s->proposal, (int)i, &o) != 0)
      return -1;
    model_obs_t *open = NULL;
    if (model_observe(s->st, (int)i, &open) != 0) {
      model_obs_free(o);
      return -1;
    }
    size_t n_fac = 0, n_ref = 0, n_del = 0;
    for (size_t f = 0; f < o->n_facilities; f++)
      n_fac += o->facilities[f].output_kg > 0;
    for (size_t k = 0; k < o->n_contracts; k++)
      n_del += o->contracts[k].accepted && o->contracts[k].delivered_kg > 0 &&
               strcmp(o->contracts[k].seller, o->seat) == 0;
    for (size_t k = 0; k < rep->n_late_refusals && k < 16; k++)
      n_ref += rep->late_refusal_seat[k] == (int32_t)i;
    rc |= msgpack_pack_map(pk, 9);
    rc |= proto_pack_kv_cstr(pk, "seat", model_map_seat_id(s->map, i));
    rc |= proto_pack_kv_f64(pk, "cash", model_cents_to_usd(o->cash_cents));
    rc |= proto_pack_kv_f64(pk, "cash_delta",
                            model_cents_to_usd(o->cash_cents - before));
    rc |= proto_pack_kv_i64(pk, "cash_cents", o->cash_cents);
    rc |= proto_pack_kv_i64(pk, "cash_delta_cents", o->cash_cents - before);
    /* production: each facility that produced, for `production`
     * amendments (facility, kg) */
    rc |= proto_pack_cstr(pk, "production");
    rc |= msgpack_pack_array(pk, n_fac);
    for (size_t f = 0; f < o->n_facilities; f++) {
      const model_obs_facility_t *x = &o->facilities[f];
      if (x->output_kg <= 0)
        continue;
      rc |= msgpack_pack_map(pk, 3);
      rc |= proto_pack_kv_cstr(pk, "facility", x->id);
      rc |= proto_pack_kv_cstr(pk, "stage", model_stage_name(x->stage));
      rc |= proto_pack_kv_i64(pk, "kg", x->output_kg);
    }
    /* deliveries: its running contracts as the seller that delivered
     * this turn, for `delivery` amendments (contract, kg) */
    rc |= proto_pack_cstr(pk, "deliveries");
    rc |= msgpack_pack_array(pk, n_del);
    for (size_t k = 0; k < o->n_contracts; k++) {
      const model_obs_contract_t *c = &o->contracts[k];
      if (!c->accepted || c->delivered_kg <= 0 || strcmp(c->seller, o->seat))
        continue;
      rc |= msgpack_pack_map(pk, 5);
      rc |= proto_pack_kv_cstr(pk, "contract", c->id);
      rc |= proto_pack_kv_cstr(pk, "buyer", c->buyer);
      rc |= proto_pack_kv_cstr(pk, "product", model_product_name(c->product));
      rc |= proto_pack_kv_i64(pk, "kg", c->delivered_kg);
      rc |= proto_pack_kv_i64(pk, "price_cents_per_kg",
                              c->price_last_cents_per_kg);
    }
    rc |= proto_pack_cstr(pk, "refused");
    rc |= msgpack_pack_array(pk, n_ref);
    for (size_t k = 0; k < rep->n_late_refusals && k < 16; k++)
      if (rep->late_refusal_seat[k] == (int32_t)i)
        rc |= proto_pack_cstr(pk, rep->late_refusals[k].message);
    /* the seat's accepted orders of the turn, in order: `order` of a
     * refuse_order amendment indexes this list */
    rc |= proto_pack_cstr(pk, "orders");
    rc |= msgpack_pack_array(pk, open->n_orders);
    for (size_t k = 0; k < open->n_orders; k++)
      rc |= proto_pack_order(pk, &open->orders[k]);
    model_obs_free(open);
    model_obs_free(o);
  }
  return rc ? -1 : 0;
}

void sess_pack_review_pairs(msgpack_packer *pk, const sess_session_t *s) {
  proto_pack_kv_bool(pk, "review", s->review);
  proto_pack_kv_bool(pk, "proposed", s->held);
  proto_pack_cstr(pk, "forked_from");
  if (s->forked_from[0]) {
    msgpack_pack_map(pk, 2);
    proto_pack_kv_cstr(pk, "session", s->forked_from);
    proto_pack_kv_i64(pk, "turn", s->forked_turn);
  } else {
    msgpack_pack_nil(pk);
  }
}

/* ---- Forks (issue 13; docs/protocol.md "session.fork") -------------------
 * A fork is a new session whose turns before `turn` are the original's:
 * their rows are copied in the database, its state is the original's
 * stored snapshot after turn - 1 (a new game for turn 0), its history the
 * original's summaries; its seats get new codes and tokens (new people
 * join), agents stay agents. It opens paused at `turn`. */

typedef struct fork_snap {
  int want;
  uint8_t *snap;
  size_t len;
  int64_t resolved_ms; /* when turn `want` resolved */
} fork_snap_t;

static int on_fork_turn(void *arg, const store_turn_row_t *row, char *err,
                        size_t errlen) {
  fork_snap_t *f = arg;
  if (row->turn != f->want)
    return 0;
  f->snap = malloc(row->snapshot_len ? row->snapshot_len : 1);
  if (!f->snap) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(f->snap, row->snapshot, row->snapshot_len);
  f->len = row->snapshot_len;
  f->resolved_ms = row->resolved_ms;
  return 0;
}

int sess_fork(sess_session_t *s, int turn, const rl_key_t *creator,
              char admin_token[SESS_TOKEN_LEN + 1],
              char (*codes)[SESS_CODE_LEN + 1], sess_session_t **out,
              proto_error_t *err) {
  sess_registry_t *reg = s->reg;
  model_state_t *st = NULL;
  int64_t resolved_ms = 0; /* when turn - 1 resolved */
  if (turn == 0) {
    if (model_state_new(s->map, s->seed, &st) != 0)
      return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  } else {
    fork_snap_t f = {turn - 1, NULL, 0, 0};
    char why[512];
    int rc =
        store_read_turns(reg->store, s->id, on_fork_turn, &f, why, sizeof why);
    if (rc != 0 || !f.snap) {
      free(f.snap);
      log_sess(LOG_LEVEL_ERROR, s->id, NULL,
               "session.fork: turn %d's snapshot cannot be read: %s", turn - 1,
               rc != 0 ? why : "not stored");
      return proto_error_set(err, PROTO_UNAVAILABLE, "turn",
                             "turn %d of session '%s' is not in the database "
                             "yet; try again in a moment",
                             turn - 1, s->id);
    }
    rc = model_state_deserialise(s->map, f.snap, f.len, &st);
    free(f.snap);
    resolved_ms = f.resolved_ms;
    if (rc != 0)
      return proto_error_set(err, PROTO_INTERNAL, NULL,
                             "turn %d's stored snapshot cannot be restored: "
                             "%s",
                             turn - 1, model_strerror(rc));
  }
  proto_error_t perr;
  sess_map_t *sm;
  if (sess_map_parse(reg, s->map_json, s->map_len, s->id, &sm, &perr) != 0) {
    model_state_free(st);
    return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
  }
  char name[96];
  snprintf(name, sizeof name, "%.60s (fork at turn %d)", s->name, turn);
  sess_session_t *f;
  if (sess_create(reg, sm, name, s->seed, s->turns, s->turn_ms, s->spectators,
                  s->fixed, creator, admin_token, codes, &f, err) != 0) {
    model_state_free(st);
    return -1;
  }
  model_state_free(f->st);
  f->st = st;
  f->review = s->review;
  snprintf(f->forked_from, sizeof f->forked_from, "%s", s->id);
  f->forked_turn = turn;
  for (size_t i = 0; i < s->n_history; i++) {
    if (s->history[i].turn >= turn)
      continue;
    sess_turn_t *grown =
        realloc(f->history, (f->n_history + 1) * sizeof *f->history);
    if (!grown)
      break; /* history.get shows less; the rows are copied anyway */
    f->history = grown;
    sess_turn_t *h = &f->history[f->n_history];
    h->turn = s->history[i].turn;
    proto_buf_init(&h->buf);
    if (proto_buf_reserve(&h->buf, s->history[i].buf.len) != 0) {
      proto_buf_free(&h->buf);
      break;
    }
    memcpy(h->buf.data, s->history[i].buf.data, s->history[i].buf.len);
    h->buf.len = s->history[i].buf.len;
    f->n_history++;
  }
  /* The control cell's events, channels and negotiations (issue 13):
   * what makes the fork's turns before `turn` replay as the original's,
   * and its MSEL the original's from `turn` on. Out of memory here the
   * fork lacks some of them in memory; its rows are copied all the same
   * and a restart restores them. */
  if (sess_inject_fork(f, s, turn, resolved_ms) != 0 ||
      sess_comms_fork(f, s, turn) != 0)
    log_sess(LOG_LEVEL_ERROR, f->id, NULL,
             "out of memory copying the injects, channels or negotiations "
             "of %s",
             s->id);
  sp_review(f);
  if (reg->store && store_fork_rows(reg->store, f->id, s->id, turn) != 0)
    log_sess(LOG_LEVEL_ERROR, f->id, NULL,
             "out of memory queueing the rows copied from %s", s->id);
  for (size_t i = 0; i < s->n_seats; i++)
    if (s->seats[i].agent) {
      f->seats[i].agent = agent_new(agent_strategy(s->seats[i].agent),
                                    sess_agent_seed(f, (int)i));
      sp_seat(f, (int)i);
    }
  /* Paused at `turn`: agents play it now (as they would have in the
   * original), people join with the new codes, control resumes. */
  f->status = SESS_PAUSED;
  open_turn(f);
  sp_status(f);
  commit_now(f);
  reg->counters.sessions_forked++;
  log_sess(LOG_LEVEL_INFO, f->id, NULL, "forked from %s at turn %d", s->id,
           turn);
  *out = f;
  return 0;
}
