/*
 * A blocking MessagePack-RPC client over TCP, used by the lanthanide CLI.
 * See client.h for the contract.
 */
#include "client.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

/* One queued notification (cli_queue_notifications). */
typedef struct cli_note {
  struct cli_note *next;
  char *method;
  json_t *params;
} cli_note_t;

struct cli_conn {
  int fd;
  int timeout_ms;
  uint32_t next_id;
  msgpack_unpacker unp;
  msgpack_unpacked last; /* the most recent response, kept for the caller */
  cli_notify_fn notify;
  void *notify_data;
  proto_buf_t out;
  bool queue;        /* keep notifications in the FIFO below */
  cli_note_t *head;  /* oldest queued notification */
  cli_note_t **tail; /* where the next one is linked */
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cli_conn_t *cli_connect(const char *hostport, int timeout_ms) {
  char host[256];
  const char *colon = strrchr(hostport, ':');
  if (!colon || colon == hostport ||
      (size_t)(colon - hostport) >= sizeof host || !colon[1]) {
    fprintf(stderr, "lanthanide: --server must be HOST:PORT, got '%s'\n",
            hostport);
    return NULL;
  }
  memcpy(host, hostport, (size_t)(colon - hostport));
  host[colon - hostport] = '\0';
  if (host[0] == '[' && host[strlen(host) - 1] == ']') {
    memmove(host, host + 1, strlen(host));
    host[strlen(host) - 1] = '\0';
  }
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(host, colon + 1, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "lanthanide: cannot resolve '%s': %s\n", hostport,
            gai_strerror(rc));
    return NULL;
  }
  int fd = -1;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
      continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
      break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    fprintf(stderr,
            "lanthanide: cannot connect to %s: %s (is lanthanide-server "
            "running? `make run` starts one on 127.0.0.1:7447)\n",
            hostport, strerror(errno));
    return NULL;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  cli_conn_t *c = calloc(1, sizeof *c);
  if (!c || !msgpack_unpacker_init(&c->unp, 65536)) {
    free(c);
    close(fd);
    fprintf(stderr, "lanthanide: out of memory\n");
    return NULL;
  }
  c->fd = fd;
  c->timeout_ms = timeout_ms;
  c->next_id = 1;
  msgpack_unpacked_init(&c->last);
  proto_buf_init(&c->out);
  c->tail = &c->head;
  return c;
}

void cli_close(cli_conn_t *c) {
  if (!c)
    return;
  close(c->fd);
  while (c->head) {
    cli_note_t *n = c->head;
    c->head = n->next;
    free(n->method);
    json_decref(n->params);
    free(n);
  }
  msgpack_unpacked_destroy(&c->last);
  msgpack_unpacker_destroy(&c->unp);
  proto_buf_free(&c->out);
  free(c);
}

void cli_on_notify(cli_conn_t *c, cli_notify_fn fn, void *data) {
  c->notify = fn;
  c->notify_data = data;
}

int cli_fd(const cli_conn_t *c) {
  return c->fd;
}

void cli_queue_notifications(cli_conn_t *c, bool on) {
  c->queue = on;
}

int cli_next_notification(cli_conn_t *c, char **method, json_t **params) {
  cli_note_t *n = c->head;
  if (!n)
    return 0;
  c->head = n->next;
  if (!c->head)
    c->tail = &c->head;
  *method = n->method;
  *params = n->params;
  free(n);
  return 1;
}

/* Append a notification to the FIFO; dropped (and said) when out of memory,
 * as a notification is information, never a reply someone waits for. */
static void enqueue(cli_conn_t *c, const msgpack_object *method,
                    const msgpack_object *params) {
  cli_note_t *n = calloc(1, sizeof *n);
  if (n) {
    n->method = strndup(method->via.str.ptr, method->via.str.size);
    n->params = params ? cli_to_json(params) : json_object();
  }
  if (!n || !n->method || !n->params) {
    if (n) {
      free(n->method);
      json_decref(n->params);
      free(n);
    }
    fprintf(stderr, "lanthanide: out of memory; a notification was lost\n");
    return;
  }
  *c->tail = n;
  c->tail = &n->next;
}

static int send_all(cli_conn_t *c, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "lanthanide: send failed: %s\n", strerror(errno));
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Read whatever is available within timeout_ms into the unpacker.
 * 1: bytes read, 0: timed out, -1: closed or failed. */
static int fill(cli_conn_t *c, int timeout_ms) {
  struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
  int pr;
  do {
    pr = poll(&pfd, 1, timeout_ms);
  } while (pr < 0 && errno == EINTR);
  if (pr == 0)
    return 0;
  if (pr < 0)
    return -1;
  if (!msgpack_unpacker_reserve_buffer(&c->unp, 65536))
    return -1;
  ssize_t r = recv(c->fd, msgpack_unpacker_buffer(&c->unp),
                   msgpack_unpacker_buffer_capacity(&c->unp), 0);
  if (r <= 0)
    return -1;
  msgpack_unpacker_buffer_consumed(&c->unp, (size_t)r);
  return 1;
}

/* Handle one unpacked value: a notification goes to the callback; a
 * response with id `want` is kept in c->last and returns 1. */
static int handle(cli_conn_t *c, msgpack_unpacked *u, uint32_t want) {
  const msgpack_object *o = &u->data;
  if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3)
    return 0;
  const msgpack_object *a = o->via.array.ptr;
  if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    return 0;
  if (a[0].via.u64 == 2 && a[1].type == MSGPACK_OBJECT_STR) {
    const msgpack_object *params = NULL;
    if (a[2].type == MSGPACK_OBJECT_ARRAY && a[2].via.array.size == 1)
      params = &a[2].via.array.ptr[0];
    if (c->queue)
      enqueue(c, &a[1], params);
    if (c->notify)
      c->notify(c->notify_data, a[1].via.str.ptr, a[1].via.str.size, params);
    return 0;
  }
  if (a[0].via.u64 == 1 && o->via.array.size == 4 &&
      a[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER && a[1].via.u64 == want) {
    msgpack_unpacked_destroy(&c->last);
    c->last = *u; /* take ownership of the zone */
    msgpack_unpacked_init(u);
    return 1;
  }
  return 0;
}

static int pack_json_params(msgpack_packer *pk, void *arg) {
  return cli_pack_json(pk, arg);
}

int cli_call(cli_conn_t *c, const char *method, json_t *params,
             cli_reply_t *reply) {
  return cli_call_packed(c, method, params ? pack_json_params : NULL, params,
                         reply);
}

int cli_call_packed(cli_conn_t *c, const char *method,
                    int (*pack)(msgpack_packer *pk, void *arg), void *arg,
                    cli_reply_t *reply) {
  uint32_t id = c->next_id++;
  msgpack_packer pk;
  proto_buf_reset(&c->out);
  proto_packer_init(&pk, &c->out);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint32(&pk, 0);
  msgpack_pack_uint32(&pk, id);
  proto_pack_cstr(&pk, method);
  if (pack) {
    msgpack_pack_array(&pk, 1);
    if (pack(&pk, arg) != 0) {
      fprintf(stderr, "lanthanide: cannot encode the parameters\n");
      return -1;
    }
  } else {
    msgpack_pack_array(&pk, 0);
  }
  if (send_all(c, c->out.data, c->out.len) != 0)
    return -1;

  int64_t deadline = now_ms() + c->timeout_ms;
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  for (;;) {
    msgpack_unpack_return r;
    while ((r = msgpack_unpacker_next(&c->unp, &u)) == MSGPACK_UNPACK_SUCCESS) {
      if (handle(c, &u, id) == 1) {
        /* Dispatch what else was read with the response, so that nothing
         * complete waits in the buffer while the caller polls the socket.
         * Message ids start at 1, so 0 matches no response. */
        while (msgpack_unpacker_next(&c->unp, &u) == MSGPACK_UNPACK_SUCCESS)
          handle(c, &u, 0);
        msgpack_unpacked_destroy(&u);
        const msgpack_object *a = c->last.data.via.array.ptr;
        reply->error = a[2].type == MSGPACK_OBJECT_NIL ? NULL : &a[2];
        reply->result = &a[3];
        return 0;
      }
    }
    if (r == MSGPACK_UNPACK_PARSE_ERROR || r == MSGPACK_UNPACK_NOMEM_ERROR) {
      fprintf(stderr, "lanthanide: the server sent invalid MessagePack\n");
      break;
    }
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      fprintf(stderr, "lanthanide: no answer to '%s' within %d ms\n", method,
              c->timeout_ms);
      break;
    }
    int f = fill(c, (int)left);
    if (f < 0) {
      fprintf(stderr, "lanthanide: the server closed the connection\n");
      break;
    }
  }
  msgpack_unpacked_destroy(&u);
  return -1;
}

int cli_wait(cli_conn_t *c, int timeout_ms) {
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  int rc = 0;
  int f = fill(c, timeout_ms);
  if (f < 0)
    rc = -1;
  while (msgpack_unpacker_next(&c->unp, &u) == MSGPACK_UNPACK_SUCCESS)
    handle(c, &u, 0);
  msgpack_unpacked_destroy(&u);
  return rc;
}

int cli_call_json(cli_conn_t *c, const char *method, json_t *params,
                  json_t **result, json_t **error) {
  cli_reply_t r;
  *result = NULL;
  if (error)
    *error = NULL;
  if (cli_call(c, method, params, &r) != 0)
    return -1;
  if (r.error) {
    if (error)
      *error = cli_to_json(r.error);
    return 1;
  }
  *result = cli_to_json(r.result);
  if (!*result) {
    fprintf(stderr, "lanthanide: out of memory\n");
    return -1;
  }
  return 0;
}

int cli_list_sessions(cli_conn_t *c, json_t **result, json_t **error) {
  json_t *all = json_array();
  char after[64] = "";
  *result = NULL;
  if (error)
    *error = NULL;
  if (!all)
    goto nomem;
  for (;;) {
    /* `after` alone asks for a page of the server's default size, which
     * its --max-list-page always allows ("" is before every id). */
    json_t *params = json_object(), *r = NULL;
    if (!params || json_object_set_new(params, "after", json_string(after))) {
      json_decref(params);
      goto nomem;
    }
    int rc = cli_call_json(c, "session.list", params, &r, error);
    json_decref(params);
    if (rc != 0) {
      json_decref(all);
      return rc;
    }
    if (json_is_array(r)) { /* a server before paging: everything */
      json_array_extend(all, r);
      json_decref(r);
      break;
    }
    json_t *page = json_object_get(r, "sessions");
    json_t *next = json_object_get(r, "next");
    if (json_is_array(page))
      json_array_extend(all, page);
    bool more = json_is_string(next) && json_array_size(page) > 0 &&
                strlen(json_string_value(next)) < sizeof after;
    if (more)
      snprintf(after, sizeof after, "%s", json_string_value(next));
    json_decref(r);
    if (!more)
      break;
  }
  *result = all;
  return 0;
nomem:
  json_decref(all);
  fprintf(stderr, "lanthanide: out of memory\n");
  return -1;
}

const msgpack_object *cli_get(const msgpack_object *map, const char *key) {
  if (!map || map->type != MSGPACK_OBJECT_MAP)
    return NULL;
  size_t klen = strlen(key);
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object *k = &map->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
        memcmp(k->via.str.ptr, key, klen) == 0)
      return &map->via.map.ptr[i].val;
  }
  return NULL;
}

json_t *cli_to_json(const msgpack_object *o) {
  switch (o->type) {
  case MSGPACK_OBJECT_NIL:
    return json_null();
  case MSGPACK_OBJECT_BOOLEAN:
    return json_boolean(o->via.boolean);
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    if (o->via.u64 > (uint64_t)INT64_MAX)
      return json_real((double)o->via.u64);
    return json_integer((json_int_t)o->via.u64);
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    return json_integer((json_int_t)o->via.i64);
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    return json_real(o->via.f64);
  case MSGPACK_OBJECT_STR:
    return json_stringn(o->via.str.ptr, o->via.str.size);
  case MSGPACK_OBJECT_BIN: {
    static const char hex[] = "0123456789abcdef";
    char *s = malloc((size_t)o->via.bin.size * 2 + 1);
    if (!s)
      return NULL;
    for (uint32_t i = 0; i < o->via.bin.size; i++) {
      s[2 * i] = hex[(unsigned char)o->via.bin.ptr[i] >> 4];
      s[2 * i + 1] = hex[(unsigned char)o->via.bin.ptr[i] & 15];
    }
    s[(size_t)o->via.bin.size * 2] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
  }
  case MSGPACK_OBJECT_ARRAY: {
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < o->via.array.size; i++)
      json_array_append_new(a, cli_to_json(&o->via.array.ptr[i]));
    return a;
  }
  case MSGPACK_OBJECT_MAP: {
    json_t *m = json_object();
    for (uint32_t i = 0; m && i < o->via.map.size; i++) {
      const msgpack_object *k = &o->via.map.ptr[i].key;
      json_t *v = cli_to_json(&o->via.map.ptr[i].val);
      if (k->type == MSGPACK_OBJECT_STR) {
        json_object_setn_new(m, k->via.str.ptr, k->via.str.size, v);
      } else {
        json_t *kj = cli_to_json(k);
        char *ks = kj ? json_dumps(kj, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        json_object_set_new(m, ks ? ks : "?", v);
        free(ks);
        json_decref(kj);
      }
    }
    return m;
  }
  case MSGPACK_OBJECT_EXT:
  default:
    return json_string("<ext>");
  }
}

int cli_pack_json(msgpack_packer *pk, const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_NULL:
    return msgpack_pack_nil(pk);
  case JSON_TRUE:
    return msgpack_pack_true(pk);
  case JSON_FALSE:
    return msgpack_pack_false(pk);
  case JSON_INTEGER: {
    json_int_t v = json_integer_value(j);
    return v >= 0 ? msgpack_pack_uint64(pk, (uint64_t)v)
                  : msgpack_pack_int64(pk, (int64_t)v);
  }
  case JSON_REAL: {
    double d = json_real_value(j);
    /* Integral reals (1e3) go as integers so they fit integer fields. */
    if (d == floor(d) && d >= 0 && d < 9.0e15)
      return msgpack_pack_uint64(pk, (uint64_t)d);
    return msgpack_pack_double(pk, d);
  }
  case JSON_STRING:
    return proto_pack_str(pk, json_string_value(j), json_string_length(j));
  case JSON_ARRAY: {
    size_t n = json_array_size(j);
    if (msgpack_pack_array(pk, n) != 0)
      return -1;
    for (size_t i = 0; i < n; i++)
      if (cli_pack_json(pk, json_array_get(j, i)) != 0)
        return -1;
    return 0;
  }
  case JSON_OBJECT: {
    if (msgpack_pack_map(pk, json_object_size(j)) != 0)
      return -1;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
      if (proto_pack_cstr(pk, k) != 0 || cli_pack_json(pk, v) != 0)
        return -1;
    }
    return 0;
  }
  }
  return -1;
}
