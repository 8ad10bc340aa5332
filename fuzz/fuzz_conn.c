/*
 * libFuzzer target: a whole client connection, bytes in, with everything
 * behind it that a server runs but the socket: the connection core
 * (server/conn.c) with its limits, the dispatcher (rpc.c), the real method
 * table (server/methods.c's hello, ping, maps.list, server.stats, then
 * every session method of sess_methods.c), the session registry with its
 * turn clock, and the store on an in-memory SQLite database driven by
 * durable.c's group commit, all on one libuv loop.
 *
 * The first two bytes of the input choose how the rest is cut into chunks
 * (as reads or WebSocket messages deliver them); between chunks the loop
 * runs once, so replies held for a commit, batches cut at --max-batch and
 * due turns proceed as they would between reads. After the last chunk the
 * input ends (EOF) and the loop runs until the connection is released.
 * Answers go to an in-memory transport (as in tests/unit/test_conn.c),
 * where every write must be whole MessagePack messages; they are then
 * discarded.
 *
 * Each input gets a new loop, registry and dispatcher, and the store is
 * emptied (store_reset: every row goes, the schema and the prepared
 * statements stay, the counters restart), so an input replays the same way
 * alone (no state leaks from one input to the next). Creating the schema
 * and preparing the statements for each input took three quarters of its
 * time.
 * libsodium's random bytes come from a generator reset for each input:
 * the tokens and join codes a session.create hands out are the same on
 * every run, so the seeds (fuzz/make_conn_seeds.c) can quote them and
 * reach the methods that need a seat or the admin token.
 *
 * The maps folder is a temporary one holding the small shipped maps (not
 * world-2024 and race-2028, whose loading and turns would slow every run a
 * hundredfold).
 *
 * The same file also builds without libFuzzer: tests/unit links it with
 * fuzz/replay_main.c to replay the seeds and regressions in every test run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "conn.h"
#include "durable.h"
#include "fuzz_common.h"
#include "fuzz_conn.h"
#include "log.h"
#include "methods.h"
#include "rpc.h"
#include "sess.h"
#include "srv.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- Random bytes, the same for every run of an input -------------------
 */

static uint64_t rng_state;

static uint64_t rng_next(void) {
  /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static const char *rng_name(void) {
  return "lanthanide-fuzz";
}

static uint32_t rng_random(void) {
  return (uint32_t)rng_next();
}

static void rng_buf(void *const buf, const size_t size) {
  uint8_t *p = buf;

  for (size_t i = 0; i < size; i++)
    p[i] = (uint8_t)rng_next();
}

static randombytes_implementation rng_impl = {
    .implementation_name = rng_name,
    .random = rng_random,
    .stir = NULL,
    .uniform = NULL, /* libsodium derives it from random */
    .buf = rng_buf,
    .close = NULL};

/* ---- The in-memory transport -------------------------------------------- */

typedef struct mock {
  conn_t conn;
  uv_idle_t handle; /* stands for the socket's handle */
  bool released;
} mock_t;

static mock_t *mock_of(conn_t *c) {
  return (mock_t *)((char *)c - offsetof(mock_t, conn));
}

static proto_decoder_t out_dec;
static fuzz_conn_sink_fn sink;
static void *sink_arg;

void fuzz_conn_set_sink(fuzz_conn_sink_fn fn, void *arg) {
  sink = fn;
  sink_arg = arg;
}

/* Whatever the core writes is whole messages that decode. */
static int m_write(conn_t *c, const char *data, size_t len) {
  proto_limits_t lim = {LAN_MAX_MESSAGE_MAX, LAN_MAX_DEPTH_CAP};
  size_t off = 0;

  (void)c;
  CHECK(len > 0);
  while (off < len) {
    proto_scan_t s;
    proto_error_t err;
    msgpack_object obj;
    size_t n = 0;

    proto_scan_init(&s);
    CHECK(proto_scan_feed(&s, &lim, (const uint8_t *)data + off, len - off,
                          &n) == PROTO_SCAN_DONE);
    CHECK(proto_decode(&out_dec, (const uint8_t *)data + off, n, &obj, &err) ==
          0);
    CHECK(obj.type == MSGPACK_OBJECT_ARRAY);
    if (sink)
      sink(sink_arg, &obj);
    proto_decoder_reset(&out_dec);
    off += n;
  }
  return 0;
}

static size_t m_queued(conn_t *c) {
  (void)c;
  return 0;
}

static void m_read_stop(conn_t *c) {
  (void)c;
}

static int m_read_start(conn_t *c) {
  (void)c;
  return 0;
}

static int m_shutdown(conn_t *c) {
  (void)c;
  return 0;
}

static void on_handle_closed(uv_handle_t *h) {
  mock_t *m = (mock_t *)((char *)h - offsetof(mock_t, handle));

  conn_transport_closed(&m->conn);
}

static void m_close(conn_t *c) {
  uv_close((uv_handle_t *)&mock_of(c)->handle, on_handle_closed);
}

static void m_release(conn_t *c) {
  mock_of(c)->released = true;
}

static const conn_ops_t mock_ops = {
    .write = m_write,
    .queued = m_queued,
    .read_stop = m_read_stop,
    .read_start = m_read_start,
    .shutdown = m_shutdown,
    .close = m_close,
    .release = m_release,
};

/* ---- Once per process ---------------------------------------------------- */

static char maps_dir[64];
static methods_t *methods;
static conn_counters_t counters;
static store_t *store;

static void remove_maps_dir(void) {
  char path[128];

  for (size_t i = 0; i < FUZZ_MAPS; i++) {
    snprintf(path, sizeof path, "%s/%s.json", maps_dir, fuzz_map_names[i]);
    unlink(path);
  }
  rmdir(maps_dir);
}

/* Copy a shipped map into the temporary maps folder (a copy, not a
 * symlink: the server may refuse what is not a regular file). */
static void copy_map(const char *name) {
  char src[1024], dst[128], buf[8192];
  FILE *in, *out;
  size_t n;

  snprintf(src, sizeof src, "%s/%s.json", LAN_SOURCE_MAPS, name);
  snprintf(dst, sizeof dst, "%s/%s.json", maps_dir, name);
  in = fopen(src, "rb");
  out = fopen(dst, "wb");
  CHECK(in != NULL && out != NULL);
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    CHECK(fwrite(buf, 1, n, out) == n);
  CHECK(fclose(in) == 0 && fclose(out) == 0);
}

static void setup_once(void) {
  static bool done;

  if (done)
    return;
  done = true;
  randombytes_set_implementation(&rng_impl);
  CHECK(sodium_init() >= 0);
  log_set_level(LOG_LEVEL_ERROR);
  CHECK(proto_decoder_init(&out_dec) == 0);
  snprintf(maps_dir, sizeof maps_dir, "/tmp/lan-fuzz-maps-XXXXXX");
  CHECK(mkdtemp(maps_dir) != NULL);
  for (size_t i = 0; i < FUZZ_MAPS; i++)
    if (strcmp(fuzz_map_names[i], "world-2024") != 0 &&
        strcmp(fuzz_map_names[i], "race-2028") != 0)
      copy_map(fuzz_map_names[i]);
  atexit(remove_maps_dir);
  /* The maps listing is cached across inputs; it holds nothing an input
   * can change. Its counters are reset for each input. */
  CHECK(methods_new(&methods, maps_dir, &counters) == 0);
  {
    store_config_t stcfg = {false, durable_log, NULL};
    char err[256];

    CHECK(store_open(&store, ":memory:", &stcfg, err, sizeof err) == 0);
  }
}

/* ---- One input ----------------------------------------------------------- */

static void on_close_walk(uv_handle_t *h, void *arg) {
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

/* xorshift32 for chunk sizes; never zero-seeded. */
static uint32_t next_rand(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uv_loop_t loop;
  conn_config_t ccfg;
  sess_config_t scfg;
  sess_registry_t *reg = NULL;
  durable_t *durable = NULL;
  rpc_t *rpc = NULL;
  conn_core_t *core = NULL;
  rpc_method_t *table;
  const rpc_method_t *base;
  size_t n_base, n_methods, have = 0;
  srv_t srv = {0};
  mock_t *m;
  char err[256];
  unsigned mode;
  uint32_t x;

  if (size < 2)
    return 0;
  setup_once();
  rng_state = 0x6c616e7468616e69ull; /* the same bytes for every input */
  mode = data[0] % 4;
  x = 0x9e3779b9u ^ ((uint32_t)data[0] << 8) ^ data[1];
  data += 2;
  size -= 2;

  memset(&counters, 0, sizeof counters);
  CHECK(uv_loop_init(&loop) == 0);
  sess_config_default(&scfg);
  scfg.maps_dir = maps_dir;
  /* One client address: a small table of rate-limit buckets (the
   * default 16,384 were allocated and freed for every input). */
  scfg.rate_table_size = 64;
  CHECK(sess_registry_new(&reg, &loop, &scfg) == 0);
  if (store_reset(store, err, sizeof err) != 0) {
    /* Not idle (a write the last input's shutdown could not commit): start
     * from a new database, as before store_reset. */
    store_config_t stcfg = {false, durable_log, NULL};

    store_close(store);
    CHECK(store_open(&store, ":memory:", &stcfg, err, sizeof err) == 0);
  }
  CHECK(durable_new(&durable, &loop, store) == 0);
  sess_set_store(reg, store);
  CHECK(sess_restore(reg, err, sizeof err) == 0);
  srv.methods = methods;
  srv.sess = reg;
  srv.store = store;
  base = methods_table(&n_base);
  n_methods = n_base + sess_method_count;
  table = malloc(n_methods * sizeof *table);
  CHECK(table != NULL);
  memcpy(table, base, n_base * sizeof *table);
  memcpy(table + n_base, sess_methods, sess_method_count * sizeof *table);
  CHECK(rpc_new(&rpc, table, n_methods, &srv, &counters) == 0);
  rpc_set_peer_closed(rpc, peer_closed, reg);
  rpc_set_hold(rpc, hold_reply, durable);
  conn_config_default(&ccfg);
  CHECK(conn_core_new(&core, &loop, &ccfg, rpc, &counters) == 0);

  m = calloc(1, sizeof *m);
  CHECK(m != NULL);
  CHECK(uv_idle_init(&loop, &m->handle) == 0);
  CHECK(conn_init(core, &m->conn, &mock_ops, "fuzz:1", "192.0.2.1") == 0);
  CHECK(conn_admit(&m->conn) == 0);
  conn_start(&m->conn);

  /* The bytes, chunk by chunk, with a turn of the loop between chunks. */
  while (have < size && !m->released) {
    size_t chunk = mode == 0   ? size - have
                   : mode == 1 ? 1 + next_rand(&x) % 16
                   : mode == 2 ? 1 + next_rand(&x) % 512
                               : 1 + next_rand(&x) % size;
    if (chunk > size - have)
      chunk = size - have;
    if (!m->conn.closing)
      conn_feed(&m->conn, data + have, chunk);
    have += chunk;
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  if (!m->conn.closing)
    conn_read_end(&m->conn, UV_EOF);
  /* Until the connection is gone: what was owed is answered, held
   * replies are committed, the output is flushed. A bound, not a hang,
   * if something keeps it (a deadline in the future). */
  for (int i = 0; i < 10000 && !m->released; i++)
    uv_run(&loop, UV_RUN_NOWAIT);

  /* Shut down as lanthanide-server does on SIGTERM. */
  conn_core_close(core);
  sess_registry_close(reg);
  durable_stop(durable);
  uv_walk(&loop, on_close_walk, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(m->released);
  CHECK(counters.active == 0);
  CHECK(uv_loop_close(&loop) == 0);
  conn_core_free(core);
  rpc_free(rpc);
  free(table);
  durable_free(durable);
  sess_registry_free(reg);
  free(m);
  return 0;
}
