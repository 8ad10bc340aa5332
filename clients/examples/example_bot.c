/*
 * example_bot.c: a Lanthanide bot in plain C, with nothing but POSIX
 * sockets and msgpack-c, to show that a bot needs no code of ours. It does
 * much what clients/python/example_bot.py does: a firm keeps its plants at
 * full utilisation and offers what it holds at last turn's world price; a
 * nation keeps its policies.
 *
 *   build/bin/example-bot HOST PORT SESSION JOIN_CODE
 *
 * The loop of every bot (docs/bots.md): join, then each turn state.get ->
 * decide -> orders.submit with ready -> wait for turn.resolved, until
 * session.finished.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <msgpack.h>

static int fd = -1;
static uint32_t next_id = 1;
static msgpack_unpacker unp;

/* A key of a map, or NULL. */
static const msgpack_object *get(const msgpack_object *m, const char *key) {
  if (!m || m->type != MSGPACK_OBJECT_MAP)
    return NULL;
  for (uint32_t i = 0; i < m->via.map.size; i++) {
    const msgpack_object *k = &m->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(key) &&
        memcmp(k->via.str.ptr, key, k->via.str.size) == 0)
      return &m->via.map.ptr[i].val;
  }
  return NULL;
}

static double num(const msgpack_object *o) {
  if (!o)
    return 0;
  if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
    return (double)o->via.u64;
  if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
    return (double)o->via.i64;
  if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)
    return o->via.f64;
  return 0;
}

static int is(const msgpack_object *o, const char *s) {
  return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
         memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static void pack_str(msgpack_packer *pk, const char *s) {
  msgpack_pack_str(pk, strlen(s));
  msgpack_pack_str_body(pk, s, strlen(s));
}

/* Send the request in sbuf and return its response (owned by *u): the
 * result, or NULL after printing the error. Notifications that arrive
 * first are reported in *finished / *resolved. */
static const msgpack_object *call(msgpack_sbuffer *sb, uint32_t id,
                                  msgpack_unpacked *u, int *finished) {
  if (send(fd, sb->data, sb->size, MSG_NOSIGNAL) != (ssize_t)sb->size)
    return NULL;
  for (;;) {
    while (msgpack_unpacker_next(&unp, u) == MSGPACK_UNPACK_SUCCESS) {
      const msgpack_object *a = u->data.via.array.ptr;
      if (a[0].via.u64 == 2) {
        if (is(&a[1], "session.finished"))
          *finished = 1;
        continue;
      }
      if (a[0].via.u64 == 1 && a[1].via.u64 == id) {
        if (a[2].type != MSGPACK_OBJECT_NIL) {
          const msgpack_object *m = get(&a[2], "message");
          fprintf(stderr, "error: %.*s\n", m ? (int)m->via.str.size : 0,
                  m ? m->via.str.ptr : "");
          return NULL;
        }
        return &a[3];
      }
    }
    msgpack_unpacker_reserve_buffer(&unp, 65536);
    ssize_t r = recv(fd, msgpack_unpacker_buffer(&unp), 65536, 0);
    if (r <= 0)
      return NULL;
    msgpack_unpacker_buffer_consumed(&unp, (size_t)r);
  }
}

/* Start a request [0, id, method, [{...n pairs}]] in a fresh buffer. */
static uint32_t begin(msgpack_sbuffer *sb, msgpack_packer *pk,
                      const char *method, size_t pairs) {
  msgpack_sbuffer_clear(sb);
  msgpack_pack_array(pk, 4);
  msgpack_pack_uint32(pk, 0);
  msgpack_pack_uint32(pk, next_id);
  pack_str(pk, method);
  msgpack_pack_array(pk, 1);
  msgpack_pack_map(pk, pairs);
  return next_id++;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: example-bot HOST PORT SESSION JOIN_CODE\n");
    return 2;
  }
  const char *session = argv[3];
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
  if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
    return 1;
  fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    perror("connect");
    return 1;
  }
  freeaddrinfo(ai);
  msgpack_unpacker_init(&unp, 65536);
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  int finished = 0;

  uint32_t id = begin(&sb, &pk, "session.join", 2);
  pack_str(&pk, "session");
  pack_str(&pk, session);
  pack_str(&pk, "join_code");
  pack_str(&pk, argv[4]);
  const msgpack_object *res = call(&sb, id, &u, &finished);
  const msgpack_object *t = get(res, "token");
  if (!t)
    return 1;
  char token[64];
  snprintf(token, sizeof token, "%.*s", (int)t->via.str.size, t->via.str.ptr);
  printf("joined as %.*s\n", (int)get(res, "seat")->via.str.size,
         get(res, "seat")->via.str.ptr);

  int acted = -1;
  while (!finished) {
    id = begin(&sb, &pk, "state.get", 2);
    pack_str(&pk, "session");
    pack_str(&pk, session);
    pack_str(&pk, "token");
    pack_str(&pk, token);
    const msgpack_object *obs = call(&sb, id, &u, &finished);
    if (!obs)
      return 1;
    if (is(get(obs, "status"), "finished"))
      break;
    int turn = (int)num(get(obs, "turn"));
    if (!is(get(obs, "status"), "running") || turn == acted) {
      /* Wait for a notification (turn.resolved, session.started...). */
      id = begin(&sb, &pk, "ping", 0);
      sleep(1);
      call(&sb, id, &u, &finished);
      continue;
    }
    /* Decide: full utilisation everywhere, offer the stock at the last
     * world price. */
    const msgpack_object *you = get(obs, "you");
    const msgpack_object *facs = get(you, "facilities");
    const msgpack_object *prices = get(get(obs, "market"), "prices");
    int firm = is(get(obs, "kind"), "firm");
    size_t nf = firm && facs ? facs->via.array.size : 0;
    static const char *const products[] = {"concentrate", "ndpr_oxide",
                                           "magnet"};
    id = begin(&sb, &pk, "orders.submit", 4);
    pack_str(&pk, "session");
    pack_str(&pk, session);
    pack_str(&pk, "token");
    pack_str(&pk, token);
    pack_str(&pk, "ready");
    msgpack_pack_true(&pk);
    pack_str(&pk, "orders");
    msgpack_pack_array(&pk, nf + (firm ? 3 : 0));
    for (size_t i = 0; i < nf; i++) {
      msgpack_pack_map(&pk, 3);
      pack_str(&pk, "op");
      pack_str(&pk, "operate");
      pack_str(&pk, "facility");
      msgpack_pack_object(&pk, *get(&facs->via.array.ptr[i], "id"));
      pack_str(&pk, "utilisation");
      msgpack_pack_double(&pk, 1.0);
    }
    for (int p = 0; firm && p < 3; p++) {
      double held = num(get(get(you, "inventory"), products[p]));
      msgpack_pack_map(&pk, 4);
      pack_str(&pk, "op");
      pack_str(&pk, "offer");
      pack_str(&pk, "product");
      pack_str(&pk, products[p]);
      pack_str(&pk, "quantity");
      msgpack_pack_double(&pk, held);
      pack_str(&pk, "min_price");
      msgpack_pack_double(&pk, num(get(prices, products[p])));
    }
    res = call(&sb, id, &u, &finished);
    if (!res)
      return 1;
    printf("turn %d: %u orders refused\n", turn,
           get(res, "rejected") ? get(res, "rejected")->via.array.size : 0);
    acted = turn;
  }
  printf("the session is finished\n");
  msgpack_unpacked_destroy(&u);
  msgpack_sbuffer_destroy(&sb);
  msgpack_unpacker_destroy(&unp);
  close(fd);
  return 0;
}
