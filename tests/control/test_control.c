/* test_control.c: the wargame control cell over the wire (issue 13,
 * docs/protocol.md "state.get", "session.status", "observer.issue"):
 * the real server on loopback, driven with msgpack-c directly.
 *
 * - control's state.get of a seat equals that seat's own state.get plus
 *   `pending` and `truth`, before and after the seat submits;
 * - session.status follows joins, connections, submissions, ready flags
 *   and agents;
 * - observer tokens read, never write, survive a restart, and a revoked
 *   one is refused (also after a restart);
 * - closed information: another nation's unpublished export quota is
 *   absent from a seat's view and present in control's truth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#ifndef LAN_SOURCE_DIR
#error "LAN_SOURCE_DIR must name the source tree"
#endif

/* A reply kept beyond the next receive: its own copy of the message. */
typedef struct reply {
  msgpack_sbuffer bytes; /* the strings of u point into it */
  msgpack_unpacked u;
  const msgpack_object *err, *res;
} reply_t;

static void reply_free(reply_t *r) {
  msgpack_unpacked_destroy(&r->u);
  msgpack_sbuffer_destroy(&r->bytes);
}

static uint32_t next_id = 1;

/* Call method with params packed from spec: per character one pair,
 * 's' (key, string), 'b' (key, int as bool), 'i' (key, int64), 'S' (key,
 * NULL-terminated array of strings), 'R' (key, packed bytes, length). */
static reply_t call(lt_conn_t *c, const char *method, const char *spec, ...) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  uint32_t id = next_id++;
  msgpack_pack_array(&pk, 4);
  msgpack_pack_int(&pk, 0);
  msgpack_pack_uint32(&pk, id);
  msgpack_pack_str_with_body(&pk, method, strlen(method));
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, strlen(spec));
  va_list ap;
  va_start(ap, spec);
  for (const char *p = spec; *p; p++) {
    const char *key = va_arg(ap, const char *);
    msgpack_pack_str_with_body(&pk, key, strlen(key));
    switch (*p) {
    case 's': {
      const char *v = va_arg(ap, const char *);
      msgpack_pack_str_with_body(&pk, v, strlen(v));
      break;
    }
    case 'b':
      if (va_arg(ap, int))
        msgpack_pack_true(&pk);
      else
        msgpack_pack_false(&pk);
      break;
    case 'i':
      msgpack_pack_int64(&pk, va_arg(ap, int64_t));
      break;
    case 'S': {
      const char *const *v = va_arg(ap, const char *const *);
      size_t n = 0;
      while (v[n])
        n++;
      msgpack_pack_array(&pk, n);
      for (size_t i = 0; i < n; i++)
        msgpack_pack_str_with_body(&pk, v[i], strlen(v[i]));
      break;
    }
    case 'R': {
      const char *data = va_arg(ap, const char *);
      size_t len = va_arg(ap, size_t);
      msgpack_sbuffer_write(&sb, data, len);
      break;
    }
    default:
      fail_msg("bad spec '%c'", *p);
    }
  }
  va_end(ap);
  assert_int_equal(lt_send(c, sb.data, sb.size), 0);
  msgpack_sbuffer_destroy(&sb);
  /* Skip notifications until the response. */
  for (;;) {
    msgpack_object *o;
    uint32_t got;
    assert_int_equal(lt_recv(c, LT_WAIT_MS, &o), 1);
    if (!lt_is_response(o, &got))
      continue;
    assert_int_equal(got, id);
    reply_t r;
    msgpack_sbuffer_init(&r.bytes);
    msgpack_packer cp;
    msgpack_packer_init(&cp, &r.bytes, msgpack_sbuffer_write);
    msgpack_pack_object(&cp, *o);
    msgpack_unpacked_init(&r.u);
    size_t off = 0;
    assert_int_equal(
        msgpack_unpack_next(&r.u, r.bytes.data, r.bytes.size, &off),
        MSGPACK_UNPACK_SUCCESS);
    r.err = lt_response_error(&r.u.data);
    r.res = lt_response_result(&r.u.data);
    return r;
  }
}

static void expect_ok(const reply_t *r, const char *what) {
  if (r->err) {
    const msgpack_object *m = lt_get(r->err, "message");
    fail_msg("%s: error %.*s", what, m ? (int)m->via.str.size : 0,
             m ? m->via.str.ptr : "");
  }
}

static void expect_code(const reply_t *r, const char *code, const char *what) {
  if (!r->err)
    fail_msg("%s: expected %s, got a result", what, code);
  if (!lt_str_is(lt_get(r->err, "code"), code))
    fail_msg("%s: expected %s", what, code);
}

static char *dup_str(const msgpack_object *o) {
  assert_non_null(o);
  assert_int_equal(o->type, MSGPACK_OBJECT_STR);
  char *s = malloc(o->via.str.size + 1);
  memcpy(s, o->via.str.ptr, o->via.str.size);
  s[o->via.str.size] = 0;
  return s;
}

static bool get_bool(const msgpack_object *m, const char *key) {
  const msgpack_object *v = lt_get(m, key);
  assert_non_null(v);
  assert_int_equal(v->type, MSGPACK_OBJECT_BOOLEAN);
  return v->via.boolean;
}

static int64_t get_int(const msgpack_object *m, const char *key) {
  const msgpack_object *v = lt_get(m, key);
  assert_non_null(v);
  assert_true(v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
              v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER);
  return v->via.i64;
}

/* ---- a server with its own folder (maps, database), restartable ---- */

typedef struct world {
  char dir[128], maps[192], db[192];
  lt_server_t srv;
} world_t;

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  b[n] = 0;
  fclose(f);
  return b;
}

static void world_start(world_t *w) {
  const char *args[] = {"--db", w->db, "--maps", w->maps, "--max-observers",
                        "3",    NULL};
  assert_int_equal(lt_start(&w->srv, args), 0);
}

static void world_stop(world_t *w) {
  assert_int_equal(lt_stop(&w->srv), 0);
}

static void world_new(world_t *w) {
  snprintf(w->dir, sizeof w->dir, "/tmp/lan-ctl-XXXXXX");
  assert_non_null(mkdtemp(w->dir));
  snprintf(w->maps, sizeof w->maps, "%s/maps", w->dir);
  snprintf(w->db, sizeof w->db, "%s/game.db", w->dir);
  assert_int_equal(mkdir(w->maps, 0700), 0);
  const char *files[][2] = {
      {"maps/classroom.json", "classroom.json"},
      {"tests/control/closed-info.json", "closed-info.json"}};
  for (size_t i = 0; i < 2; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", LAN_SOURCE_DIR, files[i][0]);
    char *text = slurp(path);
    assert_int_equal(lt_write_file(w->maps, files[i][1], text), 0);
    free(text);
  }
  world_start(w);
}

static void world_free(world_t *w) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
  assert_int_equal(system(cmd), 0);
}

/* A session of map, its admin token and each seat's join code. */
typedef struct game {
  char *id, *admin;
  char *codes[16], *seats[16];
  size_t n;
} game_t;

static void game_create(lt_conn_t *c, const char *map, game_t *g) {
  reply_t r = call(c, "session.create", "si", "map", map, "seed", (int64_t)7);
  expect_ok(&r, "session.create");
  g->id = dup_str(lt_get(r.res, "session"));
  g->admin = dup_str(lt_get(r.res, "admin_token"));
  const msgpack_object *seats = lt_get(r.res, "seats");
  g->n = seats->via.array.size;
  assert_true(g->n <= 16);
  for (size_t i = 0; i < g->n; i++) {
    g->seats[i] = dup_str(lt_get(&seats->via.array.ptr[i], "seat"));
    g->codes[i] = dup_str(lt_get(&seats->via.array.ptr[i], "join_code"));
  }
  reply_free(&r);
}

static const char *code_of(const game_t *g, const char *seat) {
  for (size_t i = 0; i < g->n; i++)
    if (strcmp(g->seats[i], seat) == 0)
      return g->codes[i];
  fail_msg("no seat %s", seat);
  return NULL;
}

static void game_free(game_t *g) {
  free(g->id);
  free(g->admin);
  for (size_t i = 0; i < g->n; i++) {
    free(g->codes[i]);
    free(g->seats[i]);
  }
}

static char *join(lt_conn_t *c, const game_t *g, const char *seat,
                  const char *name) {
  reply_t r = call(c, "session.join", "sss", "session", g->id, "join_code",
                   code_of(g, seat), "name", name);
  expect_ok(&r, "session.join");
  char *tok = dup_str(lt_get(r.res, "token"));
  reply_free(&r);
  return tok;
}

/* The seat entry of session.status's seats. */
static const msgpack_object *status_seat(const reply_t *r, const char *seat) {
  const msgpack_object *seats = lt_get(r->res, "seats");
  assert_non_null(seats);
  for (uint32_t i = 0; i < seats->via.array.size; i++)
    if (lt_str_is(lt_get(&seats->via.array.ptr[i], "seat"), seat))
      return &seats->via.array.ptr[i];
  fail_msg("session.status has no seat %s", seat);
  return NULL;
}

/* The seat's view as control sees it equals the seat's own, key by key,
 * plus pending and truth. */
static void compare_views(const msgpack_object *own,
                          const msgpack_object *ctl) {
  assert_int_equal(own->type, MSGPACK_OBJECT_MAP);
  assert_int_equal(ctl->type, MSGPACK_OBJECT_MAP);
  assert_int_equal(ctl->via.map.size, own->via.map.size + 2);
  for (uint32_t i = 0; i < own->via.map.size; i++) {
    const msgpack_object_kv *kv = &own->via.map.ptr[i];
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)kv->key.via.str.size,
             kv->key.via.str.ptr);
    const msgpack_object *v = lt_get(ctl, key);
    if (!v || !msgpack_object_equal(*v, kv->val))
      fail_msg("control's view differs from the seat's in '%s'", key);
  }
  assert_non_null(lt_get(ctl, "pending"));
  assert_non_null(lt_get(ctl, "truth"));
  /* pending.orders are the seat's accepted orders of the open turn */
  const msgpack_object *you = lt_get(own, "you");
  assert_true(msgpack_object_equal(*lt_get(lt_get(ctl, "pending"), "orders"),
                                   *lt_get(you, "orders")));
}

static const char TAX[] = "\x91\x83\xa2op\xa6policy\xa4kind\xa3tax\xa4rate"
                          "\xcb\x3f\xc9\x99\x99\x99\x99\x99\x9a";

/* (b) and (c) */
static void test_state_and_status(void **state) {
  (void)state;
  world_t w;
  world_new(&w);
  lt_conn_t ctl, p1, p2;
  assert_int_equal(lt_connect(&ctl, w.srv.port, 0), 0);
  assert_int_equal(lt_connect(&p1, w.srv.port, 0), 0);
  game_t g;
  game_create(&ctl, "classroom", &g);

  /* before anyone joins */
  reply_t st = call(&ctl, "session.status", "ss", "session", g.id,
                    "admin_token", g.admin);
  expect_ok(&st, "session.status");
  assert_true(lt_str_is(lt_get(st.res, "status"), "lobby"));
  assert_int_equal(get_int(st.res, "turn"), 0);
  assert_false(get_bool(st.res, "review"));
  assert_false(get_bool(st.res, "proposed"));
  assert_true(get_bool(st.res, "scripted_events"));
  const msgpack_object *chn = status_seat(&st, "CHN");
  assert_true(lt_str_is(lt_get(chn, "played_by"), "nobody"));
  assert_true(lt_str_is(lt_get(chn, "title"), "China"));
  assert_true(lt_str_is(lt_get(chn, "kind"), "nation"));
  assert_int_equal(get_int(chn, "connected"), 0);
  reply_free(&st);

  /* a person joins CHN, an agent takes USA */
  char *tok = join(&p1, &g, "CHN", "Li Wei");
  reply_t r = call(&ctl, "session.bot", "ssss", "session", g.id, "admin_token",
                   g.admin, "seat", "USA", "strategy", "hawk");
  expect_ok(&r, "session.bot");
  reply_free(&r);
  st = call(&ctl, "session.status", "ss", "session", g.id, "admin_token",
            g.admin);
  chn = status_seat(&st, "CHN");
  assert_true(lt_str_is(lt_get(chn, "played_by"), "person"));
  assert_true(lt_str_is(lt_get(chn, "name"), "Li Wei"));
  assert_int_equal(lt_get(chn, "agent")->type, MSGPACK_OBJECT_NIL);
  assert_int_equal(get_int(chn, "connected"), 1);
  assert_false(get_bool(chn, "submitted"));
  assert_false(get_bool(chn, "ready"));
  assert_false(get_bool(chn, "locked"));
  const msgpack_object *usa = status_seat(&st, "USA");
  assert_true(lt_str_is(lt_get(usa, "played_by"), "agent"));
  assert_true(lt_str_is(lt_get(usa, "agent"), "hawk"));
  reply_free(&st);

  /* the player disconnects: no connection holds the seat; it comes back
   * with its token on another connection */
  lt_close(&p1);
  int64_t connected = -1;
  for (int k = 0; k < 100 && connected != 0; k++) {
    st = call(&ctl, "session.status", "ss", "session", g.id, "admin_token",
              g.admin);
    connected = get_int(status_seat(&st, "CHN"), "connected");
    reply_free(&st);
    if (connected)
      lt_sleep_ms(20);
  }
  assert_int_equal(connected, 0);
  assert_int_equal(lt_connect(&p2, w.srv.port, 0), 0);
  r = call(&p2, "session.join", "ss", "session", g.id, "token", tok);
  expect_ok(&r, "session.join with the token");
  reply_free(&r);

  r = call(&ctl, "session.start", "ss", "session", g.id, "admin_token",
           g.admin);
  expect_ok(&r, "session.start");
  reply_free(&r);

  /* (b) control's view of CHN before and after CHN submits */
  for (int round = 0; round < 2; round++) {
    reply_t own = call(&p2, "state.get", "ss", "session", g.id, "token", tok);
    reply_t view = call(&ctl, "state.get", "sss", "session", g.id,
                        "admin_token", g.admin, "seat", "CHN");
    expect_ok(&own, "state.get (seat)");
    expect_ok(&view, "state.get (control)");
    compare_views(own.res, view.res);
    const msgpack_object *pending = lt_get(view.res, "pending");
    assert_int_equal(get_bool(pending, "submitted"), round == 1);
    assert_int_equal(get_bool(pending, "ready"), false);
    assert_int_equal(lt_get(pending, "orders")->via.array.size,
                     round == 1 ? 1 : 0);
    /* an open map: the truth is the public part */
    assert_true(msgpack_object_equal(*lt_get(view.res, "truth"),
                                     *lt_get(own.res, "public")));
    reply_free(&own);
    reply_free(&view);
    if (round == 0) {
      r = call(&p2, "orders.submit", "ssR", "session", g.id, "token", tok,
               "orders", TAX, sizeof TAX - 1);
      expect_ok(&r, "orders.submit");
      assert_int_equal(lt_get(r.res, "rejected")->via.array.size, 0);
      reply_free(&r);
    }
  }
  /* control names the seat; a seat cannot look at another */
  r = call(&ctl, "state.get", "ss", "session", g.id, "admin_token", g.admin);
  expect_code(&r, "bad_request", "control's state.get without seat");
  reply_free(&r);
  r = call(&p2, "state.get", "sss", "session", g.id, "token", tok, "seat",
           "USA");
  expect_code(&r, "forbidden", "a seat's state.get of another seat");
  reply_free(&r);

  /* (c) submitted, ready; the agent seat has submitted */
  r = call(&p2, "turn.ready", "ss", "session", g.id, "token", tok);
  expect_ok(&r, "turn.ready");
  reply_free(&r);
  st = call(&ctl, "session.status", "ss", "session", g.id, "admin_token",
            g.admin);
  chn = status_seat(&st, "CHN");
  assert_true(get_bool(chn, "submitted"));
  assert_true(get_bool(chn, "ready"));
  assert_int_equal(get_int(chn, "connected"), 1);
  assert_true(get_bool(status_seat(&st, "USA"), "submitted"));
  assert_false(get_bool(status_seat(&st, "EUU"), "submitted"));
  assert_true(lt_str_is(lt_get(st.res, "status"), "running"));
  reply_free(&st);

  /* a seat token cannot read the control cell's status */
  r = call(&p2, "session.status", "ss", "session", g.id, "token", tok);
  expect_code(&r, "forbidden", "session.status with a seat token");
  reply_free(&r);

  free(tok);
  game_free(&g);
  lt_close(&ctl);
  lt_close(&p2);
  world_stop(&w);
  world_free(&w);
}

/* Read notifications on c until chat.message with text `until`; true if
 * a chat.message with text `never` came before it. */
static bool chat_before(lt_conn_t *c, const char *until, const char *never) {
  bool seen = false;
  for (;;) {
    msgpack_object *o;
    assert_int_equal(lt_recv(c, LT_WAIT_MS, &o), 1);
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 3 ||
        !lt_str_is(&o->via.array.ptr[1], "chat.message"))
      continue;
    const msgpack_object *params = &o->via.array.ptr[2];
    const msgpack_object *text = lt_get(&params->via.array.ptr[0], "text");
    if (lt_str_is(text, never))
      seen = true;
    if (lt_str_is(text, until))
      return seen;
  }
}

/* (d) */
static void test_observers(void **state) {
  (void)state;
  world_t w;
  world_new(&w);
  lt_conn_t ctl, p;
  assert_int_equal(lt_connect(&ctl, w.srv.port, 0), 0);
  assert_int_equal(lt_connect(&p, w.srv.port, 0), 0);
  game_t g;
  game_create(&ctl, "classroom", &g);
  char *tok = join(&p, &g, "CHN", "Li");
  const char *chn_only[] = {"CHN", NULL};
  reply_t r = call(&ctl, "observer.issue", "sssS", "session", g.id,
                   "admin_token", g.admin, "name", "umpire", "seats", chn_only);
  expect_ok(&r, "observer.issue");
  int64_t id1 = get_int(r.res, "observer");
  char *obs1 = dup_str(lt_get(r.res, "token"));
  reply_free(&r);
  r = call(&ctl, "observer.issue", "sss", "session", g.id, "admin_token",
           g.admin, "name", "press");
  expect_ok(&r, "observer.issue (public)");
  int64_t id2 = get_int(r.res, "observer");
  char *obs2 = dup_str(lt_get(r.res, "token"));
  reply_free(&r);
  assert_true(id2 != id1);
  /* a seat that does not exist */
  const char *bad[] = {"ATLANTIS", NULL};
  r = call(&ctl, "observer.issue", "ssS", "session", g.id, "admin_token",
           g.admin, "seats", bad);
  expect_code(&r, "not_found", "observer.issue with an unknown seat");
  reply_free(&r);

  r = call(&ctl, "session.start", "ss", "session", g.id, "admin_token",
           g.admin);
  expect_ok(&r, "session.start");
  reply_free(&r);

  lt_conn_t o;
  assert_int_equal(lt_connect(&o, w.srv.port, 0), 0);
  for (int life = 0; life < 2; life++) {
    /* reads: its seat exactly as the seat sees it, the public view, the
     * history, the notifications */
    reply_t own = call(&p, "state.get", "ss", "session", g.id, "token", tok);
    r = call(&o, "state.get", "sss", "session", g.id, "token", obs1, "seat",
             "CHN");
    expect_ok(&r, "observer's state.get of its seat");
    assert_true(msgpack_object_equal(*r.res, *own.res));
    reply_free(&r);
    r = call(&o, "state.get", "ss", "session", g.id, "token", obs2);
    expect_ok(&r, "observer's public state.get");
    assert_null(lt_get(r.res, "you"));
    assert_null(lt_get(r.res, "seat"));
    assert_true(msgpack_object_equal(*lt_get(r.res, "market"),
                                     *lt_get(own.res, "market")));
    assert_non_null(lt_get(r.res, "public"));
    reply_free(&r);
    reply_free(&own);
    r = call(&o, "state.get", "sss", "session", g.id, "token", obs1, "seat",
             "USA");
    expect_code(&r, "forbidden", "an observer's state.get of another seat");
    reply_free(&r);
    r = call(&o, "history.get", "ss", "session", g.id, "token", obs1);
    expect_ok(&r, "observer's history.get");
    reply_free(&r);
    r = call(&o, "session.watch", "ss", "session", g.id, "token", obs2);
    expect_ok(&r, "observer's session.watch");
    reply_free(&r);
    /* it follows the public notifications, not a seat's private chat */
    r = call(&ctl, "chat.send", "ssss", "session", g.id, "admin_token", g.admin,
             "to", "CHN", "text", "for China only");
    expect_ok(&r, "control's private chat to CHN");
    reply_free(&r);
    r = call(&ctl, "chat.send", "ssss", "session", g.id, "admin_token", g.admin,
             "to", "all", "text", "for everyone");
    expect_ok(&r, "control's chat to all");
    reply_free(&r);
    assert_false(chat_before(&o, "for everyone", "for China only"));
    assert_true(chat_before(&p, "for everyone", "for China only"));
    /* writes: forbidden, with a message that says why */
    r = call(&o, "orders.submit", "ssR", "session", g.id, "token", obs1,
             "orders", TAX, sizeof TAX - 1);
    expect_code(&r, "forbidden", "an observer's orders.submit");
    assert_true(lt_str_has(lt_get(r.err, "message"), "read-only"));
    reply_free(&r);
    r = call(&o, "turn.ready", "ss", "session", g.id, "token", obs1);
    expect_code(&r, "forbidden", "an observer's turn.ready");
    reply_free(&r);
    r = call(&o, "chat.send", "ssss", "session", g.id, "token", obs1, "to",
             "all", "text", "hello");
    expect_code(&r, "forbidden", "an observer's chat.send");
    reply_free(&r);
    r = call(&o, "session.join", "ss", "session", g.id, "token", obs1);
    expect_code(&r, "forbidden", "an observer's session.join");
    reply_free(&r);
    r = call(&o, "session.pause", "ss", "session", g.id, "admin_token", obs1);
    expect_code(&r, "forbidden", "an observer's session.pause");
    reply_free(&r);
    r = call(&o, "observer.list", "ss", "session", g.id, "token", obs1);
    expect_code(&r, "forbidden", "an observer's observer.list");
    reply_free(&r);
    /* the list, as control sees it */
    r = call(&ctl, "observer.list", "ss", "session", g.id, "admin_token",
             g.admin);
    expect_ok(&r, "observer.list");
    assert_int_equal(r.res->via.array.size, 2);
    const msgpack_object *e = &r.res->via.array.ptr[0];
    assert_int_equal(get_int(e, "observer"), id1);
    assert_true(lt_str_is(lt_get(e, "name"), "umpire"));
    assert_int_equal(lt_get(e, "seats")->via.array.size, 1);
    assert_true(lt_str_is(&lt_get(e, "seats")->via.array.ptr[0], "CHN"));
    reply_free(&r);
    if (life == 0) {
      /* the limit: --max-observers 3 */
      r = call(&ctl, "observer.issue", "ss", "session", g.id, "admin_token",
               g.admin);
      expect_ok(&r, "the third observer");
      int64_t id3 = get_int(r.res, "observer");
      reply_free(&r);
      r = call(&ctl, "observer.issue", "ss", "session", g.id, "admin_token",
               g.admin);
      expect_code(&r, "too_large", "a fourth observer");
      assert_true(lt_str_has(lt_get(r.err, "message"), "--max-observers"));
      reply_free(&r);
      assert_int_equal(lt_stat(&ctl, "observers_refused_limit"), 1);
      r = call(&ctl, "observer.revoke", "ssi", "session", g.id, "admin_token",
               g.admin, "observer", id3);
      expect_ok(&r, "observer.revoke");
      reply_free(&r);
      /* a restart keeps them */
      lt_close(&o);
      lt_close(&p);
      lt_close(&ctl);
      world_stop(&w);
      world_start(&w);
      assert_int_equal(lt_connect(&ctl, w.srv.port, 0), 0);
      assert_int_equal(lt_connect(&p, w.srv.port, 0), 0);
      assert_int_equal(lt_connect(&o, w.srv.port, 0), 0);
      r = call(&p, "session.join", "ss", "session", g.id, "token", tok);
      expect_ok(&r, "the player rejoins");
      reply_free(&r);
    }
  }
  /* revoked: refused at once, and after a restart; ids are not reused */
  r = call(&ctl, "observer.revoke", "ssi", "session", g.id, "admin_token",
           g.admin, "observer", id1);
  expect_ok(&r, "observer.revoke");
  reply_free(&r);
  r = call(&o, "state.get", "sss", "session", g.id, "token", obs1, "seat",
           "CHN");
  expect_code(&r, "unauthorized", "a revoked observer's state.get");
  reply_free(&r);
  r = call(&ctl, "observer.revoke", "ssi", "session", g.id, "admin_token",
           g.admin, "observer", id1);
  expect_code(&r, "not_found", "revoking twice");
  reply_free(&r);
  lt_close(&o);
  lt_close(&p);
  lt_close(&ctl);
  world_stop(&w);
  world_start(&w);
  assert_int_equal(lt_connect(&ctl, w.srv.port, 0), 0);
  r = call(&ctl, "state.get", "sss", "session", g.id, "token", obs1, "seat",
           "CHN");
  expect_code(&r, "unauthorized", "a revoked observer after a restart");
  reply_free(&r);
  r = call(&ctl, "state.get", "ss", "session", g.id, "token", obs2);
  expect_ok(&r, "the other observer after a restart");
  reply_free(&r);
  r = call(&ctl, "observer.list", "ss", "session", g.id, "admin_token",
           g.admin);
  expect_ok(&r, "observer.list after revocations");
  assert_int_equal(r.res->via.array.size, 1);
  assert_int_equal(get_int(&r.res->via.array.ptr[0], "observer"), id2);
  reply_free(&r);
  r = call(&ctl, "observer.issue", "ss", "session", g.id, "admin_token",
           g.admin);
  expect_ok(&r, "a new observer");
  assert_true(get_int(r.res, "observer") > id2 + 1); /* id3 stays taken */
  reply_free(&r);
  free(obs1);
  free(obs2);
  free(tok);
  game_free(&g);
  lt_close(&ctl);
  world_stop(&w);
  world_free(&w);
}

/* Does the policy list of nation hold one of kind? */
static bool lists_kind(const msgpack_object *policies, const char *nation,
                       const char *kind) {
  const msgpack_object *l = lt_get(policies, nation);
  for (uint32_t i = 0; l && i < l->via.array.size; i++)
    if (lt_str_is(lt_get(&l->via.array.ptr[i], "kind"), kind))
      return true;
  return false;
}

/* (e) */
static void test_closed_information(void **state) {
  (void)state;
  world_t w;
  world_new(&w);
  lt_conn_t ctl, us, cn;
  assert_int_equal(lt_connect(&ctl, w.srv.port, 0), 0);
  assert_int_equal(lt_connect(&us, w.srv.port, 0), 0);
  assert_int_equal(lt_connect(&cn, w.srv.port, 0), 0);
  game_t g;
  game_create(&ctl, "closed-info", &g);
  char *usa = join(&us, &g, "USA", "Sam");
  char *chn = join(&cn, &g, "CHN", "Li");
  reply_t a = call(&us, "state.get", "ss", "session", g.id, "token", usa);
  reply_t b = call(&us, "state.get", "ss", "session", g.id, "token", usa);
  reply_t v = call(&ctl, "state.get", "sss", "session", g.id, "admin_token",
                   g.admin, "seat", "USA");
  reply_t c = call(&cn, "state.get", "ss", "session", g.id, "token", chn);
  expect_ok(&a, "state.get USA");
  expect_ok(&v, "control's state.get USA");
  expect_ok(&c, "state.get CHN");
  const msgpack_object *pub = lt_get(a.res, "public");
  /* the quota is China's secret: not in the US view, in control's truth,
   * in China's own policies */
  assert_false(lists_kind(lt_get(pub, "policies"), "CHN", "export_quota"));
  assert_true(lists_kind(lt_get(pub, "policies"), "CHN", "tax"));
  assert_true(lists_kind(lt_get(lt_get(v.res, "truth"), "policies"), "CHN",
                         "export_quota"));
  bool own = false;
  const msgpack_object *mine = lt_get(lt_get(c.res, "you"), "policies");
  for (uint32_t i = 0; i < mine->via.array.size; i++)
    own |= lt_str_is(lt_get(&mine->via.array.ptr[i], "kind"), "export_quota");
  assert_true(own);
  /* the view says what it hides and what it estimates */
  const msgpack_object *un = lt_get(lt_get(pub, "unpublished"), "CHN");
  assert_non_null(un);
  assert_int_equal(un->via.array.size, 2);
  const msgpack_object *est = lt_get(lt_get(pub, "estimated"), "capacity");
  assert_non_null(est);
  assert_int_equal(lt_get(est, "mining")->via.array.size, 4); /* not USA */
  /* the same request twice: the same view; control's copy is the seat's */
  assert_true(msgpack_object_equal(*a.res, *b.res));
  compare_views(a.res, v.res);
  reply_free(&a);
  reply_free(&b);
  reply_free(&v);
  reply_free(&c);
  free(usa);
  free(chn);
  game_free(&g);
  lt_close(&ctl);
  lt_close(&us);
  lt_close(&cn);
  world_stop(&w);
  world_free(&w);
}

int main(int argc, char **argv) {
  lt_init(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_state_and_status),
      cmocka_unit_test(test_observers),
      cmocka_unit_test(test_closed_information),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
