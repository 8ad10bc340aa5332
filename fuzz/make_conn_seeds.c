/*
 * Writes the seeds of fuzz_conn that need what the server hands out: the
 * facilitator's admin token and the seats' join codes from
 * session.create, and a seat's token from session.join. fuzz_conn draws
 * libsodium's random bytes from a generator reset for every input, so a
 * conversation that begins the same way gets the same tokens on every
 * run: this program plays a conversation through the target itself one
 * request at a time, reads each answer (fuzz_conn_set_sink) and writes
 * the next request with the tokens it saw, then writes the whole
 * conversation as a seed (two chunking bytes first), DIR/<name>_<mode>.
 *
 *   fuzz_make_conn_seeds fuzz/seeds/fuzz_conn     (built by the test build)
 *
 * If the server changes how many random bytes it draws before a token,
 * these seeds still run but quote stale tokens: run this again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "fuzz_conn.h"

int lan_fuzz_conn_one(const uint8_t *data, size_t size);

/* What the answers said. */
static char session[64], admin[128], code[2][64], token[2][128];
static uint32_t want_msgid;

static void copy_str(char *dst, size_t cap, const msgpack_object *o) {
  if (o->type == MSGPACK_OBJECT_STR && o->via.str.size < cap) {
    memcpy(dst, o->via.str.ptr, o->via.str.size);
    dst[o->via.str.size] = '\0';
  }
}

static const msgpack_object *get(const msgpack_object *m, const char *k) {
  if (m->type != MSGPACK_OBJECT_MAP)
    return NULL;
  for (uint32_t i = 0; i < m->via.map.size; i++) {
    const msgpack_object *key = &m->via.map.ptr[i].key;
    if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(k) &&
        memcmp(key->via.str.ptr, k, key->via.str.size) == 0)
      return &m->via.map.ptr[i].val;
  }
  return NULL;
}

/* Reads the answer to want_msgid: session.create's or session.join's. */
static void sink(void *arg, const msgpack_object *msg) {
  const msgpack_object *a = msg->via.array.ptr, *r, *v, *seats;

  (void)arg;
  /* Every error is shown: a seed that only meets refusals is worth less. */
  if (msg->via.array.size == 4 && a[2].type != MSGPACK_OBJECT_NIL &&
      (v = get(&a[2], "message")) != NULL)
    fprintf(stderr, "make_conn_seeds: request %u: %.*s\n",
            (unsigned)a[1].via.u64, (int)v->via.str.size, v->via.str.ptr);
  if (msg->via.array.size != 4 || a[0].via.u64 != 1 ||
      a[1].via.u64 != want_msgid)
    return;
  if (a[2].type != MSGPACK_OBJECT_NIL)
    return;
  r = &a[3];
  if ((v = get(r, "session")) != NULL)
    copy_str(session, sizeof session, v);
  if ((v = get(r, "admin_token")) != NULL)
    copy_str(admin, sizeof admin, v);
  if ((seats = get(r, "seats")) != NULL && seats->type == MSGPACK_OBJECT_ARRAY)
    for (uint32_t i = 0; i < seats->via.array.size && i < 2; i++)
      if ((v = get(&seats->via.array.ptr[i], "join_code")) != NULL)
        copy_str(code[i], sizeof code[i], v);
  if ((v = get(r, "token")) != NULL)
    copy_str(token[(want_msgid & 1) ? 1 : 0], sizeof token[0], v);
}

/* The conversation so far, after two chunking bytes. */
static msgpack_sbuffer conv;
static msgpack_packer pk;
static uint32_t msgid;

static void str(const char *s) {
  msgpack_pack_str(&pk, strlen(s));
  msgpack_pack_str_body(&pk, s, strlen(s));
}

/* Start a request: [0, id, method, [{...npairs}]]; the caller packs the
 * pairs. */
static void begin(const char *method, size_t npairs) {
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint32(&pk, 0);
  msgpack_pack_uint32(&pk, ++msgid);
  str(method);
  if (npairs == 0) {
    msgpack_pack_array(&pk, 0);
    return;
  }
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, npairs);
}

static void kv(const char *k, const char *v) {
  str(k);
  str(v);
}

/* Run the conversation so far and read the answer to the last request. */
static void run(void) {
  want_msgid = msgid;
  lan_fuzz_conn_one((const uint8_t *)conv.data, conv.size);
}

static int write_seed(const char *dir, const char *name) {
  char path[1024];

  for (int mode = 0; mode < 4; mode++) {
    FILE *f;

    conv.data[0] = (char)mode;
    snprintf(path, sizeof path, "%s/%s_%d", dir, name, mode);
    f = fopen(path, "wb");
    if (!f || fwrite(conv.data, 1, conv.size, f) != conv.size ||
        fclose(f) != 0) {
      fprintf(stderr, "make_conn_seeds: cannot write %s\n", path);
      return -1;
    }
    printf("%s: %zu bytes\n", path, conv.size);
  }
  return 0;
}

static void restart(void) {
  msgpack_sbuffer_clear(&conv);
  msgpack_sbuffer_write(&conv, "\0\7", 2);
  msgid = 0;
}

/* session.create of a classroom game of 3 turns, then join seats 0 and 1. */
static int create_and_join(void) {
  begin("session.create", 4);
  kv("map", "classroom");
  kv("name", "seed");
  str("turns");
  msgpack_pack_int(&pk, 3);
  str("seed");
  msgpack_pack_int(&pk, 11);
  run();
  if (!session[0] || !admin[0] || !code[0][0] || !code[1][0]) {
    fprintf(stderr, "make_conn_seeds: session.create gave no tokens\n");
    return -1;
  }
  for (int s = 0; s < 2; s++) {
    begin("session.join", 2);
    kv("session", session);
    kv("join_code", code[s]);
    run();
    if (!token[s][0]) {
      fprintf(stderr, "make_conn_seeds: session.join gave no token\n");
      return -1;
    }
  }
  return 0;
}

static void seat_call(const char *method, int s) {
  begin(method, 2);
  kv("session", session);
  kv("token", token[s]);
}

static void admin_call(const char *method) {
  begin(method, 2);
  kv("session", session);
  kv("admin_token", admin);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  fuzz_conn_set_sink(sink, NULL);
  msgpack_sbuffer_init(&conv);
  msgpack_packer_init(&pk, &conv, msgpack_sbuffer_write);

  /* A seat plays: observation, orders, ready, chat, history; the
   * facilitator starts, advances, pauses, resumes and stops. */
  restart();
  if (create_and_join() != 0)
    return 1;
  admin_call("session.start");
  seat_call("state.get", 0);
  begin("orders.submit", 4);
  kv("session", session);
  kv("token", token[1]);
  str("ready");
  msgpack_pack_true(&pk);
  str("orders");
  msgpack_pack_array(&pk, 3);
  msgpack_pack_map(&pk, 3);
  kv("op", "operate");
  kv("facility", "f1");
  str("utilisation");
  msgpack_pack_double(&pk, 0.5);
  msgpack_pack_map(&pk, 4);
  kv("op", "offer");
  kv("product", "ndpr_oxide");
  str("quantity");
  msgpack_pack_double(&pk, 10);
  str("min_price");
  msgpack_pack_double(&pk, 60);
  msgpack_pack_map(&pk, 4);
  kv("op", "hire");
  kv("skill", "separation");
  str("count");
  msgpack_pack_int(&pk, 2);
  str("bogus");
  msgpack_pack_nil(&pk);
  seat_call("turn.ready", 0);
  begin("chat.send", 4);
  kv("session", session);
  kv("token", token[0]);
  kv("to", "all");
  kv("text", "hello, class");
  admin_call("session.advance");
  seat_call("history.get", 0);
  admin_call("session.pause");
  admin_call("session.resume");
  seat_call("session.watch", 1);
  admin_call("session.stop");
  run();
  if (write_seed(argv[1], "play") != 0)
    return 1;

  /* The facilitator alone: bots on every seat, start, advance to the end,
   * chat as the admin, history. */
  restart();
  memset(token, 0, sizeof token);
  if (create_and_join() != 0)
    return 1;
  for (int s = 0; s < 2; s++) {
    begin("session.bot", 4);
    kv("session", session);
    kv("admin_token", admin);
    kv("seat", "CHN");
    kv("strategy", s ? "hawk" : "standing");
  }
  admin_call("session.start");
  for (int t = 0; t < 3; t++)
    admin_call("session.advance");
  begin("chat.send", 4);
  kv("session", session);
  kv("admin_token", admin);
  kv("to", "all");
  kv("text", "debrief");
  admin_call("history.get");
  admin_call("session.watch");
  run();
  if (write_seed(argv[1], "facilitate") != 0)
    return 1;
  msgpack_sbuffer_destroy(&conv);
  return 0;
}
