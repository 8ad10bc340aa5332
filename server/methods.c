/*
 * methods: the handlers of hello, ping, maps.list, orders.schema and
 * server.stats, and the method table. See methods.h, and docs/protocol.md for
 * what each answers.
 */
#include "methods.h"
#include "durable.h"
#include "metrics.h"
#include "model.h"
#include "proto_types.h"
#include "sess.h"
#include "srv.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "log.h"

#ifndef LAN_VERSION
#define LAN_VERSION "0.0.0"
#endif

typedef struct map_info {
  char *id;
  char *title;
  char *file; /* the file name, for log lines */
  uint64_t seats;
  int64_t turns;
} map_info_t;

struct methods {
  char *maps_dir;
  const conn_counters_t *counters;
  /* maps.list reads the folder only when what is in it changed: the
   * fingerprint hashes every *.json file's name, size and mtime. */
  map_info_t *maps;
  size_t n_maps;
  bool cached;
  unsigned char fingerprint[crypto_generichash_BYTES];
};

int methods_new(methods_t **out, const char *maps_dir,
                const conn_counters_t *counters) {
  methods_t *m = calloc(1, sizeof(*m));

  if (!m)
    return -1;
  m->maps_dir = strdup(maps_dir);
  if (!m->maps_dir) {
    free(m);
    return -1;
  }
  m->counters = counters;
  *out = m;
  return 0;
}

static void maps_clear(methods_t *m) {
  for (size_t i = 0; i < m->n_maps; i++) {
    free(m->maps[i].id);
    free(m->maps[i].title);
    free(m->maps[i].file);
  }
  free(m->maps);
  m->maps = NULL;
  m->n_maps = 0;
  m->cached = false;
}

void methods_free(methods_t *m) {
  if (!m)
    return;
  maps_clear(m);
  free(m->maps_dir);
  free(m);
}

/* Pack failures are the writer running out of memory. */
static int out_of_memory(rpc_call_t *call) {
  return proto_error_set(call->err, PROTO_INTERNAL, NULL,
                         "the server ran out of memory packing the answer");
}

/* ---- hello, ping, server.stats ------------------------------------------ */

static int m_hello(rpc_call_t *call) {
  const char *client;
  uint32_t client_len;
  uint64_t protocol;
  int r;

  /* The client's name is optional and only checked for type: nothing is
   * done with it yet (and it is never logged: it is the client's text). */
  if (proto_param_str(call->params, "client", false, &client, &client_len,
                      call->err) < 0)
    return RPC_ERROR;
  r = proto_param_u64(call->params, "protocol", false, &protocol, call->err);
  if (r < 0)
    return RPC_ERROR;
  if (r == 1 && protocol != PROTO_VERSION)
    return proto_error_set(call->err, PROTO_BAD_REQUEST, "protocol",
                           "this server speaks protocol %d only, not %" PRIu64
                           "; send protocol: %d or leave it out",
                           PROTO_VERSION, protocol, PROTO_VERSION);
  if (msgpack_pack_map(call->pk, 3) != 0 ||
      proto_pack_kv_cstr(call->pk, "server", "lanthanide") != 0 ||
      proto_pack_kv_cstr(call->pk, "version", LAN_VERSION) != 0 ||
      proto_pack_kv_u64(call->pk, "protocol", PROTO_VERSION) != 0)
    return out_of_memory(call);
  return RPC_OK;
}

static int m_ping(rpc_call_t *call) {
  if (msgpack_pack_map(call->pk, 0) != 0)
    return out_of_memory(call);
  return RPC_OK;
}

struct stats_pack {
  msgpack_packer *pk;
  int r;
};

static void pack_counter(const char *name, uint64_t value, void *arg) {
  struct stats_pack *sp = arg;

  if (sp->r == 0)
    sp->r = proto_pack_kv_u64(sp->pk, name, value);
}

static int m_server_stats(rpc_call_t *call) {
  srv_t *srv = call->app;
  methods_t *m = srv->methods;
  struct stats_pack sp = {call->pk, 0};
  uint32_t n = 0;

#define METHODS_COUNT_ONE(name) n++;
  CONN_COUNTERS(METHODS_COUNT_ONE)
  if (srv->sess) {
    SESS_COUNTERS(METHODS_COUNT_ONE)
  }
  if (srv->store) {
    STORE_COUNTERS(METHODS_COUNT_ONE)
  }
#undef METHODS_COUNT_ONE
  if (msgpack_pack_map(call->pk, n) != 0)
    return out_of_memory(call);
  conn_counters_each(m->counters, pack_counter, &sp);
  if (srv->sess) {
    const sess_counters_t *sc = sess_registry_counters(srv->sess);
#define METHODS_PACK_SESS(name) pack_counter(#name, sc->name, &sp);
    SESS_COUNTERS(METHODS_PACK_SESS)
#undef METHODS_PACK_SESS
  }
  if (srv->store) {
    const store_counters_t *tc = store_counters(srv->store);
#define METHODS_PACK_STORE(name) pack_counter("store_" #name, tc->name, &sp);
    STORE_COUNTERS(METHODS_PACK_STORE)
#undef METHODS_PACK_STORE
  }
  if (sp.r != 0)
    return out_of_memory(call);
  return RPC_OK;
}

/* server.metrics: the text of /metrics (metrics.h), for a monitoring
 * system that scrapes over this protocol, and until the HTTP server
 * serves /metrics itself. Answers {"format", "text"}. */
int methods_render_metrics(const srv_t *srv, proto_buf_t *out) {
  metrics_input_t in = {0};
  uint64_t status[SESS_STATUS_COUNT];
  size_t rss = 0;

  in.conn = srv->methods->counters;
  if (srv->sess) {
    in.sess = sess_registry_counters(srv->sess);
    sess_registry_count_status(srv->sess, status);
    in.has_sessions = 1;
    in.sessions_lobby = status[0];
    in.sessions_running = status[1];
    in.sessions_paused = status[2];
    in.sessions_finished = status[3];
    in.turn_resolution = sess_registry_turn_hist(srv->sess);
  }
  if (srv->store)
    in.store = store_counters(srv->store);
  if (srv->durable)
    in.commit = durable_commit_hist(srv->durable);
  if (uv_resident_set_memory(&rss) == 0)
    in.resident_bytes = rss;
  in.start_time_s = srv->start_time_s;
  in.version = LAN_VERSION;
  return metrics_render(out, &in);
}

static int m_server_metrics(rpc_call_t *call) {
  proto_buf_t text;
  int r;

  proto_buf_init(&text);
  r = methods_render_metrics(call->app, &text);
  if (r == 0 &&
      (msgpack_pack_map(call->pk, 2) != 0 ||
       proto_pack_kv_cstr(call->pk, "format", METRICS_CONTENT_TYPE) != 0 ||
       proto_pack_cstr(call->pk, "text") != 0 ||
       msgpack_pack_str(call->pk, text.len) != 0 ||
       msgpack_pack_str_body(call->pk, text.data, text.len) != 0))
    r = -1;
  proto_buf_free(&text);
  if (r != 0)
    return out_of_memory(call);
  return RPC_OK;
}

/* ---- maps.list ---------------------------------------------------------- */

static bool is_map_file(const char *name) {
  size_t n = strlen(name);

  return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Hash the name, size and mtime of every map file into fp. Returns 0, or
 * -1 with errno set if the folder cannot be read. */
static int maps_fingerprint(const char *dir,
                            unsigned char fp[crypto_generichash_BYTES]) {
  crypto_generichash_state st;
  struct dirent *de;
  struct stat sb;
  DIR *d = opendir(dir);
  int64_t stamp[3];

  if (!d)
    return -1;
  crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
  /* readdir's order is stable while the folder is unchanged, and any
   * change to the set of files changes the hash anyway. */
  while ((de = readdir(d)) != NULL) {
    if (!is_map_file(de->d_name))
      continue;
    if (fstatat(dirfd(d), de->d_name, &sb, 0) != 0 || !S_ISREG(sb.st_mode))
      continue;
    stamp[0] = (int64_t)sb.st_size;
    stamp[1] = (int64_t)sb.st_mtim.tv_sec;
    stamp[2] = (int64_t)sb.st_mtim.tv_nsec;
    crypto_generichash_update(&st, (const unsigned char *)de->d_name,
                              strlen(de->d_name) + 1);
    crypto_generichash_update(&st, (const unsigned char *)stamp, sizeof(stamp));
  }
  closedir(d);
  crypto_generichash_final(&st, fp, crypto_generichash_BYTES);
  return 0;
}

/* Read one map file's summary. The whole map is loaded with the model's
 * loader, so maps.list offers only maps session.create can start (it is
 * cached until the folder changes). The file is read as session.create
 * reads it (sess_map_load_listed: a regular file within --max-map-bytes,
 * counted when refused). 0, or -1 (logged) if the file is not a
 * well-formed map or its id is not its file name. */
static int map_read(sess_registry_t *reg, const char *dir, const char *file,
                    map_info_t *out) {
  model_map_t *map = NULL;
  size_t stem = strlen(file) - 5; /* without ".json" */
  int r = -1;

  if (sess_map_load_listed(reg, file, &map) != 0)
    return -1;
  const char *id = model_map_id(map);
  if (strlen(id) != stem || strncmp(id, file, stem) != 0) {
    log_warn("maps: skipping %s/%s: its \"id\" is \"%s\", but a map's id "
             "must be its file name (\"%.*s\")",
             dir, file, id, (int)stem, file);
  } else {
    out->id = strdup(id);
    out->title = strdup(model_map_title(map));
    out->file = strdup(file);
    out->seats = model_map_seat_count(map);
    out->turns = model_map_turns(map);
    if (out->id && out->title && out->file) {
      r = 0;
    } else {
      free(out->id);
      free(out->title);
      free(out->file);
      log_error("maps: out of memory reading %s/%s", dir, file);
    }
  }
  model_map_free(map);
  return r;
}

static int map_cmp(const void *a, const void *b) {
  const map_info_t *x = a, *y = b;
  int r = strcmp(x->id, y->id);

  return r ? r : strcmp(x->file, y->file);
}

/* Re-read the folder into m->maps. 0, or -1 with errno set. */
static int maps_load(methods_t *m, sess_registry_t *reg) {
  DIR *d = opendir(m->maps_dir);
  struct dirent *de;
  map_info_t info, *grown;
  size_t cap = 0, n = 0, w;

  if (!d)
    return -1;
  maps_clear(m);
  while ((de = readdir(d)) != NULL) {
    if (!is_map_file(de->d_name))
      continue;
    if (map_read(reg, m->maps_dir, de->d_name, &info) != 0)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      grown = realloc(m->maps, cap * sizeof(*grown));
      if (!grown) {
        free(info.id);
        free(info.title);
        free(info.file);
        break;
      }
      m->maps = grown;
    }
    m->maps[n++] = info;
  }
  closedir(d);
  if (n > 1)
    qsort(m->maps, n, sizeof(*m->maps), map_cmp);
  /* Two files with one id: keep the first by file name, say so. */
  for (size_t i = w = 0; i < n; i++) {
    if (w > 0 && strcmp(m->maps[w - 1].id, m->maps[i].id) == 0) {
      log_warn("maps: skipping %s/%s: id \"%s\" is already used by %s",
               m->maps_dir, m->maps[i].file, m->maps[i].id,
               m->maps[w - 1].file);
      free(m->maps[i].id);
      free(m->maps[i].title);
      free(m->maps[i].file);
      continue;
    }
    m->maps[w++] = m->maps[i];
  }
  m->n_maps = w;
  m->cached = true;
  return 0;
}

int methods_reload_maps(methods_t *m, sess_registry_t *reg) {
  char ids[512];
  size_t used = 0;

  if (maps_fingerprint(m->maps_dir, m->fingerprint) != 0 ||
      maps_load(m, reg) != 0) {
    log_error("SIGHUP: cannot read the maps folder %s: %s; maps.list "
              "answers unavailable until it can",
              m->maps_dir, strerror(errno));
    maps_clear(m);
    return -1;
  }
  ids[0] = '\0';
  for (size_t i = 0; i < m->n_maps && used < sizeof ids; i++) {
    int n = snprintf(ids + used, sizeof ids - used, "%s%s", i ? ", " : "",
                     m->maps[i].id);
    if (n < 0)
      break;
    used += (size_t)n;
  }
  log_info("SIGHUP: maps reloaded from %s: %zu map%s (%s)", m->maps_dir,
           m->n_maps, m->n_maps == 1 ? "" : "s", ids);
  return (int)m->n_maps;
}

static int m_maps_list(rpc_call_t *call) {
  srv_t *srv = call->app;
  methods_t *m = srv->methods;
  unsigned char fp[crypto_generichash_BYTES];

  if (maps_fingerprint(m->maps_dir, fp) != 0 ||
      (!(m->cached && memcmp(fp, m->fingerprint, sizeof(fp)) == 0) &&
       maps_load(m, srv->sess) != 0)) {
    log_error("maps: cannot read %s: %s", m->maps_dir, strerror(errno));
    maps_clear(m);
    return proto_error_set(call->err, PROTO_UNAVAILABLE, NULL,
                           "the server cannot read its maps folder; the "
                           "operator should check --maps and the log");
  }
  memcpy(m->fingerprint, fp, sizeof(fp));
  if (msgpack_pack_array(call->pk, (uint32_t)m->n_maps) != 0)
    return out_of_memory(call);
  for (size_t i = 0; i < m->n_maps; i++) {
    const map_info_t *mi = &m->maps[i];
    if (msgpack_pack_map(call->pk, 4) != 0 ||
        proto_pack_kv_cstr(call->pk, "id", mi->id) != 0 ||
        proto_pack_kv_cstr(call->pk, "title", mi->title) != 0 ||
        proto_pack_kv_u64(call->pk, "seats", mi->seats) != 0 ||
        proto_pack_kv_i64(call->pk, "turns", mi->turns) != 0)
      return out_of_memory(call);
  }
  return RPC_OK;
}

/* ---- orders.schema -------------------------------------------------------
 * The JSON Schema of one order, generated from the model's order schema
 * table (model/order_schema.c), so that a bot author can validate orders
 * before sending them. */
static int m_orders_schema(rpc_call_t *call) {
  if (msgpack_pack_map(call->pk, 1) != 0 ||
      proto_pack_cstr(call->pk, "schema") != 0 ||
      proto_pack_order_schema(call->pk) != 0)
    return out_of_memory(call);
  return RPC_OK;
}

/* observation.schema: {schema}, the JSON Schema of state.get's result
 * (docs/observation.schema.json, embedded by the build). */
static int m_observation_schema(rpc_call_t *call) {
  if (msgpack_pack_map(call->pk, 1) != 0 ||
      proto_pack_cstr(call->pk, "schema") != 0 ||
      proto_pack_observation_schema(call->pk) != 0)
    return out_of_memory(call);
  return RPC_OK;
}

/* ---- The table ---------------------------------------------------------- */

static const rpc_method_t method_table[] = {
    {"hello", m_hello},
    {"ping", m_ping},
    {"maps.list", m_maps_list},
    {"server.stats", m_server_stats},
    {"server.metrics", m_server_metrics},
    {"orders.schema", m_orders_schema},
    {"observation.schema", m_observation_schema},
};

const rpc_method_t *methods_table(size_t *n) {
  *n = sizeof(method_table) / sizeof(method_table[0]);
  return method_table;
}
