/*
 * The control cell's events over the wire (issue 13; docs/protocol.md
 * event.inject, event.list, event.cancel, session.create's
 * scripted_events), against the real server on the shipped world-2024
 * map:
 * - an inject fires at its turn and only the seats it names see it, in
 *   their observation, their history and their turn.resolved; before its
 *   turn it is nowhere a seat can look;
 * - scripted_events: false lets China's own export licence stand;
 * - event.cancel stops an inject and a scripted event;
 * - a restart between an inject and its turn loses nothing;
 * - `lanthanide replay --verify` re-runs a game with injects, a cancelled
 *   scripted event and without scripted history, hash for hash.
 *
 * Requests are written as JSON (jansson) and sent as MessagePack.
 * Arguments: the server binary, the lanthanide binary, the maps folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

static const char *lanthanide_bin, *maps_dir;

/* ---- JSON requests as MessagePack -------------------------------------- */

static void pack_json(msgpack_packer *pk, const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    const char *k;
    json_t *v;
    msgpack_pack_map(pk, json_object_size(j));
    json_object_foreach((json_t *)j, k, v) {
      msgpack_pack_str(pk, strlen(k));
      msgpack_pack_str_body(pk, k, strlen(k));
      pack_json(pk, v);
    }
    break;
  }
  case JSON_ARRAY:
    msgpack_pack_array(pk, json_array_size(j));
    for (size_t i = 0; i < json_array_size(j); i++)
      pack_json(pk, json_array_get(j, i));
    break;
  case JSON_STRING:
    msgpack_pack_str(pk, json_string_length(j));
    msgpack_pack_str_body(pk, json_string_value(j), json_string_length(j));
    break;
  case JSON_INTEGER:
    msgpack_pack_int64(pk, json_integer_value(j));
    break;
  case JSON_REAL:
    msgpack_pack_double(pk, json_real_value(j));
    break;
  case JSON_TRUE:
    msgpack_pack_true(pk);
    break;
  case JSON_FALSE:
    msgpack_pack_false(pk);
    break;
  case JSON_NULL:
    msgpack_pack_nil(pk);
    break;
  }
}

static uint32_t next_id = 1;

/* Send [0, id, method, [params]] with params from a printf-formatted JSON
 * object; return the id. */
__attribute__((format(printf, 3, 4))) static uint32_t
send_req(lt_conn_t *c, const char *method, const char *fmt, ...) {
  char text[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  json_error_t je;
  json_t *params = json_loads(text, 0, &je);
  if (!params)
    fail_msg("bad JSON in the test: %s: %s", text, je.text);
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  uint32_t id = next_id++;
  msgpack_pack_array(&pk, 4);
  msgpack_pack_int(&pk, 0);
  msgpack_pack_uint32(&pk, id);
  msgpack_pack_str(&pk, strlen(method));
  msgpack_pack_str_body(&pk, method, strlen(method));
  msgpack_pack_array(&pk, 1);
  pack_json(&pk, params);
  json_decref(params);
  assert_int_equal(lt_send(c, sb.data, sb.size), 0);
  msgpack_sbuffer_destroy(&sb);
  return id;
}

/* Notifications seen while waiting, by method (the last of each). */
typedef struct seen {
  char method[32];
  msgpack_sbuffer body; /* the whole message, repacked */
} seen_t;

/* Wait for the response to id; notifications on the way are kept in
 * *note when their method is note_method. Returns the response (valid
 * until the next receive on c). */
static const msgpack_object *wait_resp(lt_conn_t *c, uint32_t id,
                                       const char *note_method,
                                       msgpack_sbuffer *note) {
  for (;;) {
    msgpack_object *o;
    assert_int_equal(lt_recv(c, LT_WAIT_MS, &o), 1);
    uint32_t got;
    if (lt_is_response(o, &got) && got == id)
      return o;
    if (note_method && o->type == MSGPACK_OBJECT_ARRAY &&
        o->via.array.size == 3 &&
        lt_str_is(&o->via.array.ptr[1], note_method) && note) {
      msgpack_sbuffer_clear(note);
      msgpack_packer pk;
      msgpack_packer_init(&pk, note, msgpack_sbuffer_write);
      msgpack_pack_object(&pk, *o);
    }
  }
}

/* The result of a call that must succeed. */
static const msgpack_object *ok(lt_conn_t *c, uint32_t id) {
  const msgpack_object *o = wait_resp(c, id, NULL, NULL);
  const msgpack_object *e = lt_response_error(o);
  if (e) {
    const msgpack_object *m = lt_get(e, "message");
    fail_msg("request %u failed: %.*s", id, m ? (int)m->via.str.size : 0,
             m ? m->via.str.ptr : "");
  }
  return lt_response_result(o);
}

/* The error code of a call that must fail. */
static void fails(lt_conn_t *c, uint32_t id, const char *code) {
  const msgpack_object *o = wait_resp(c, id, NULL, NULL);
  const msgpack_object *e = lt_response_error(o);
  assert_non_null(e);
  if (!lt_str_is(lt_get(e, "code"), code)) {
    const msgpack_object *m = lt_get(e, "message");
    fail_msg("expected %s, got: %.*s", code, m ? (int)m->via.str.size : 0,
             m ? m->via.str.ptr : "");
  }
}

/* Does o hold, anywhere, a string containing needle? */
static bool holds(const msgpack_object *o, const char *needle) {
  switch (o->type) {
  case MSGPACK_OBJECT_STR:
    return lt_str_has(o, needle);
  case MSGPACK_OBJECT_ARRAY:
    for (uint32_t i = 0; i < o->via.array.size; i++)
      if (holds(&o->via.array.ptr[i], needle))
        return true;
    return false;
  case MSGPACK_OBJECT_MAP:
    for (uint32_t i = 0; i < o->via.map.size; i++)
      if (holds(&o->via.map.ptr[i].key, needle) ||
          holds(&o->via.map.ptr[i].val, needle))
        return true;
    return false;
  default:
    return false;
  }
}

static bool buf_holds(const msgpack_sbuffer *b, const char *needle) {
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t off = 0;
  bool r = b->size > 0 &&
           msgpack_unpack_next(&u, b->data, b->size, &off) ==
               MSGPACK_UNPACK_SUCCESS &&
           holds(&u.data, needle);
  msgpack_unpacked_destroy(&u);
  return r;
}

static void copy_str(char *out, size_t size, const msgpack_object *o) {
  assert_non_null(o);
  assert_int_equal(o->type, MSGPACK_OBJECT_STR);
  assert_true(o->via.str.size < size);
  memcpy(out, o->via.str.ptr, o->via.str.size);
  out[o->via.str.size] = 0;
}

/* ---- A game on world-2024 with two people: CHN and USA ---------------- */

typedef struct game {
  lt_server_t srv;
  char dbdir[64];
  char db[128];
  lt_conn_t admin, chn, usa;
  char id[32], atok[64], tok_chn[64], tok_usa[64];
  char code_chn[32], code_usa[32];
} game_t;

static void start_server(game_t *g) {
  const char *args[] = {"--db", g->db, "--maps", maps_dir, NULL};
  assert_int_equal(lt_start(&g->srv, args), 0);
}

static void connect_all(game_t *g) {
  assert_int_equal(lt_connect(&g->admin, g->srv.port, 0), 0);
  assert_int_equal(lt_connect(&g->chn, g->srv.port, 0), 0);
  assert_int_equal(lt_connect(&g->usa, g->srv.port, 0), 0);
}

static void join(game_t *g, lt_conn_t *c, const char *code, char *tok) {
  const msgpack_object *r =
      ok(c, send_req(c, "session.join",
                     "{\"session\": \"%s\", \"join_code\": "
                     "\"%s\", \"name\": \"test\"}",
                     g->id, code));
  copy_str(tok, 64, lt_get(r, "token"));
}

/* A new server and session; extra: more session.create fields (",
 * \"k\": v" or ""). */
static void new_game_on(game_t *g, const char *map, const char *extra) {
  memset(g, 0, sizeof *g);
  snprintf(g->dbdir, sizeof g->dbdir, "/tmp/lan-inject-XXXXXX");
  assert_non_null(mkdtemp(g->dbdir));
  snprintf(g->db, sizeof g->db, "%s/game.db", g->dbdir);
  start_server(g);
  connect_all(g);
  const msgpack_object *r =
      ok(&g->admin, send_req(&g->admin, "session.create",
                             "{\"map\": \"%s\", \"turns\": 4, \"seed\": "
                             "7%s}",
                             map, extra));
  copy_str(g->id, sizeof g->id, lt_get(r, "session"));
  copy_str(g->atok, sizeof g->atok, lt_get(r, "admin_token"));
  const msgpack_object *seats = lt_get(r, "seats");
  for (uint32_t i = 0; i < seats->via.array.size; i++) {
    const msgpack_object *s = &seats->via.array.ptr[i];
    if (lt_str_is(lt_get(s, "seat"), "CHN"))
      copy_str(g->code_chn, sizeof g->code_chn, lt_get(s, "join_code"));
    if (lt_str_is(lt_get(s, "seat"), "USA"))
      copy_str(g->code_usa, sizeof g->code_usa, lt_get(s, "join_code"));
  }
  join(g, &g->chn, g->code_chn, g->tok_chn);
  join(g, &g->usa, g->code_usa, g->tok_usa);
  ok(&g->admin, send_req(&g->admin, "session.watch",
                         "{\"session\": \"%s\", \"admin_token\": \"%s\"}",
                         g->id, g->atok));
}

static void new_game(game_t *g, const char *extra) {
  new_game_on(g, "world-2024", extra);
}

/* session.start, by the facilitator. */
static void start_session(game_t *g) {
  ok(&g->admin, send_req(&g->admin, "session.start",
                         "{\"session\": \"%s\", \"admin_token\": \"%s\"}",
                         g->id, g->atok));
}

static void stop_game(game_t *g) {
  lt_close(&g->admin);
  lt_close(&g->chn);
  lt_close(&g->usa);
  assert_int_equal(lt_stop(&g->srv), 0);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g->dbdir);
  assert_int_equal(system(cmd), 0);
}

/* The admin advances the open turn; each connection's turn.resolved is
 * kept in note_*. */
static void advance(game_t *g, msgpack_sbuffer *note_chn,
                    msgpack_sbuffer *note_usa) {
  ok(&g->admin, send_req(&g->admin, "session.advance",
                         "{\"session\": \"%s\", \"admin_token\": \"%s\"}",
                         g->id, g->atok));
  /* a ping answered after the notification: the turn resolves within the
   * loop's next passes, so wait for turn.resolved itself */
  for (lt_conn_t *c = &g->chn; c; c = c == &g->chn ? &g->usa : NULL) {
    msgpack_sbuffer *note = c == &g->chn ? note_chn : note_usa;
    for (;;) {
      msgpack_object *o;
      assert_int_equal(lt_recv(c, LT_LIVE_MS, &o), 1);
      if (o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 3 &&
          lt_str_is(&o->via.array.ptr[1], "turn.resolved")) {
        if (note) {
          msgpack_sbuffer_clear(note);
          msgpack_packer pk;
          msgpack_packer_init(&pk, note, msgpack_sbuffer_write);
          msgpack_pack_object(&pk, *o);
        }
        break;
      }
    }
  }
}

static const msgpack_object *state_of(lt_conn_t *c, game_t *g,
                                      const char *tok) {
  return ok(c, send_req(c, "state.get",
                        "{\"session\": \"%s\", \"token\": "
                        "\"%s\"}",
                        g->id, tok));
}

static const msgpack_object *history_of(lt_conn_t *c, game_t *g,
                                        const char *key, const char *tok) {
  return ok(c, send_req(c, "history.get",
                        "{\"session\": \"%s\", \"%s\": "
                        "\"%s\"}",
                        g->id, key, tok));
}

static const char *const INTEL =
    "Intelligence: Chinese magnet buyers stockpile ahead of controls";

/* An inject for turn 1 that USA alone sees. */
static int64_t inject_for_usa(game_t *g, int turn) {
  const msgpack_object *r =
      ok(&g->admin,
         send_req(&g->admin, "event.inject",
                  "{\"session\": \"%s\", \"admin_token\": \"%s\", \"turn\": %d,"
                  " \"seats\": [\"USA\"], \"note\": \"MSEL 3\", \"event\": "
                  "{\"kind\": \"demand_surge\", \"nation\": \"CHN\", "
                  "\"product\": \"magnet\", \"magnitude\": 0.2, \"duration\": "
                  "2, \"text\": \"%s\"}}",
                  g->id, g->atok, turn, INTEL));
  assert_int_equal(lt_get(r, "turn")->via.i64, turn);
  return lt_get(r, "inject")->via.i64;
}

/* The status of inject id in event.list. */
static bool inject_status_is(game_t *g, int64_t id, const char *status) {
  const msgpack_object *r =
      ok(&g->admin, send_req(&g->admin, "event.list",
                             "{\"session\": \"%s\", \"admin_token\": \"%s\"}",
                             g->id, g->atok));
  const msgpack_object *a = lt_get(r, "injects");
  for (uint32_t i = 0; i < a->via.array.size; i++)
    if (lt_get(&a->via.array.ptr[i], "inject")->via.i64 == id)
      return lt_str_is(lt_get(&a->via.array.ptr[i], "status"), status);
  return false;
}

/* ---- Tests ------------------------------------------------------------- */

static void test_inject_reaches_its_seats_at_its_turn(void **state) {
  (void)state;
  game_t g;
  new_game(&g, "");
  int64_t id = inject_for_usa(&g, 1);
  /* a seat cannot inject nor list */
  fails(&g.usa,
        send_req(&g.usa, "event.list",
                 "{\"session\": \"%s\", \"token\": "
                 "\"%s\"}",
                 g.id, g.tok_usa),
        "forbidden");
  start_session(&g);
  msgpack_sbuffer n_chn, n_usa;
  msgpack_sbuffer_init(&n_chn);
  msgpack_sbuffer_init(&n_usa);
  advance(&g, &n_chn, &n_usa); /* turn 0 */
  /* prepared for turn 1: nowhere yet, for nobody */
  assert_false(buf_holds(&n_usa, "buyers stockpile ahead"));
  assert_false(
      holds(state_of(&g.usa, &g, g.tok_usa), "buyers stockpile ahead"));
  assert_false(holds(history_of(&g.usa, &g, "token", g.tok_usa),
                     "buyers stockpile ahead"));
  assert_false(holds(history_of(&g.admin, &g, "admin_token", g.atok),
                     "buyers stockpile ahead"));
  assert_true(inject_status_is(&g, id, "pending"));
  advance(&g, &n_chn, &n_usa); /* turn 1: it fires */
  assert_true(inject_status_is(&g, id, "fired"));
  assert_true(buf_holds(&n_usa, "buyers stockpile ahead"));
  assert_false(buf_holds(&n_chn, "buyers stockpile ahead"));
  assert_true(holds(state_of(&g.usa, &g, g.tok_usa), "buyers stockpile ahead"));
  assert_false(
      holds(state_of(&g.chn, &g, g.tok_chn), "buyers stockpile ahead"));
  assert_true(holds(history_of(&g.usa, &g, "token", g.tok_usa),
                    "buyers stockpile ahead"));
  assert_false(holds(history_of(&g.chn, &g, "token", g.tok_chn),
                     "buyers stockpile ahead"));
  /* control sees it, with its audience; the seat does not see who else
   * was told */
  const msgpack_object *h = history_of(&g.admin, &g, "admin_token", g.atok);
  assert_true(holds(h, "buyers stockpile ahead"));
  const msgpack_object *ev = lt_get(&h->via.array.ptr[1], "events");
  bool found = false;
  for (uint32_t i = 0; i < ev->via.array.size; i++) {
    const msgpack_object *e = &ev->via.array.ptr[i];
    if (!holds(e, "buyers stockpile ahead"))
      continue;
    found = true;
    const msgpack_object *seats = lt_get(e, "seats");
    assert_non_null(seats);
    assert_int_equal(seats->via.array.size, 1);
    assert_true(lt_str_is(&seats->via.array.ptr[0], "USA"));
    assert_int_equal(lt_get(e, "turn")->via.i64, 1);
  }
  assert_true(found);
  h = history_of(&g.usa, &g, "token", g.tok_usa);
  ev = lt_get(&h->via.array.ptr[1], "events");
  for (uint32_t i = 0; i < ev->via.array.size; i++)
    assert_null(lt_get(&ev->via.array.ptr[i], "seats"));
  /* the surge acts on the model: CHN's magnet demand rose for both */
  msgpack_sbuffer_destroy(&n_chn);
  msgpack_sbuffer_destroy(&n_usa);
  /* a fired inject cannot be cancelled */
  fails(&g.admin,
        send_req(&g.admin, "event.cancel",
                 "{\"session\": \"%s\", \"admin_token\": \"%s\", \"inject\": "
                 "%lld}",
                 g.id, g.atok, (long long)id),
        "conflict");
  stop_game(&g);
}

static void test_inject_refusals(void **state) {
  (void)state;
  game_t g;
  new_game(&g, "");
  const char *base = "{\"session\": \"%s\", \"admin_token\": \"%s\", %s}";
  static const struct {
    const char *rest, *code;
  } cases[] = {
      {"\"event\": {\"kind\": \"finance\"}", "bad_request"},
      {"\"event\": {\"kind\": \"flood\"}", "bad_request"},
      {"\"event\": {\"kind\": \"flood\", \"nation\": \"XXX\", "
       "\"magnitude\": 0.5}",
       "bad_request"},
      {"\"event\": {\"kind\": \"plant_outage\", \"facility\": \"nope\"}",
       "bad_request"},
      {"\"event\": {\"kind\": \"flood\", \"nation\": \"CHN\"}, \"turn\": 9",
       "bad_request"},
      {"\"event\": {\"kind\": \"flood\", \"nation\": \"CHN\"}, \"seats\": "
       "[\"ZZZ\"]",
       "not_found"},
      {"\"event\": {\"kind\": \"flood\", \"nation\": \"CHN\"}, \"seats\": []",
       "bad_request"},
      {"\"event\": {\"kind\": \"policy\", \"nation\": \"CHN\", \"policy\": "
       "{\"op\": \"policy\", \"kind\": \"export_licence\", \"product\": "
       "\"magnet\", \"approval\": 2}}",
       "bad_request"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char fmt[1024];
    snprintf(fmt, sizeof fmt, base, g.id, g.atok, cases[i].rest);
    fails(&g.admin, send_req(&g.admin, "event.inject", "%s", fmt),
          cases[i].code);
  }
  stop_game(&g);
}

/* CHN sets its own Dy/Tb export licence at 90% at turn 0; the map's
 * scripted history sets 1.3% at the end of turn 0. */
static double chn_dytb_approval(game_t *g) {
  ok(&g->chn,
     send_req(&g->chn, "orders.submit",
              "{\"session\": \"%s\", \"token\": \"%s\", \"orders\": "
              "[{\"op\": \"policy\", \"kind\": \"export_licence\", "
              "\"product\": \"dytb_oxide\", \"approval\": 0.9, \"to\": "
              "\"all\"}]}",
              g->id, g->tok_chn));
  advance(g, NULL, NULL);
  const msgpack_object *st = state_of(&g->chn, g, g->tok_chn);
  const msgpack_object *pol = lt_get(lt_get(st, "you"), "policies");
  assert_non_null(pol);
  for (uint32_t i = 0; i < pol->via.array.size; i++) {
    const msgpack_object *p = &pol->via.array.ptr[i];
    if (lt_str_is(lt_get(p, "kind"), "export_licence") &&
        lt_str_is(lt_get(p, "product"), "dytb_oxide"))
      return lt_get(p, "approval")->via.f64;
  }
  fail_msg("CHN has no Dy/Tb export licence");
  return -1;
}

static void test_scripted_events_off_lets_a_policy_stand(void **state) {
  (void)state;
  game_t g;
  /* with the scripted history, the script overrides the human */
  new_game(&g, "");
  start_session(&g);
  double with = chn_dytb_approval(&g);
  assert_true(with < 0.1);
  stop_game(&g);
  /* without it, China's own licence stands */
  new_game(&g, ", \"scripted_events\": false");
  const msgpack_object *l =
      ok(&g.admin, send_req(&g.admin, "event.list",
                            "{\"session\": \"%s\", \"admin_token\": \"%s\"}",
                            g.id, g.atok));
  assert_false(lt_get(l, "scripted_events")->via.boolean);
  const msgpack_object *sc = lt_get(l, "scripted");
  assert_true(sc->via.array.size > 0);
  assert_true(lt_str_is(lt_get(&sc->via.array.ptr[0], "status"), "off"));
  start_session(&g);
  double without = chn_dytb_approval(&g);
  assert_true(without > 0.89 && without < 0.91);
  stop_game(&g);
}

static void test_cancel_inject_and_scripted(void **state) {
  (void)state;
  game_t g;
  new_game(&g, "");
  int64_t id = inject_for_usa(&g, 0);
  ok(&g.admin, send_req(&g.admin, "event.cancel",
                        "{\"session\": \"%s\", \"admin_token\": \"%s\", "
                        "\"inject\": %lld}",
                        g.id, g.atok, (long long)id));
  assert_true(inject_status_is(&g, id, "cancelled"));
  /* scripted event 0 of world-2024: China's Dy/Tb licence at turn 0 */
  const msgpack_object *r =
      ok(&g.admin, send_req(&g.admin, "event.cancel",
                            "{\"session\": \"%s\", \"admin_token\": \"%s\", "
                            "\"scripted\": 0}",
                            g.id, g.atok));
  assert_true(lt_str_is(lt_get(r, "status"), "cancelled"));
  fails(&g.admin,
        send_req(&g.admin, "event.cancel",
                 "{\"session\": \"%s\", \"admin_token\": \"%s\", "
                 "\"scripted\": 100000}",
                 g.id, g.atok),
        "not_found");
  fails(&g.admin,
        send_req(&g.admin, "event.cancel",
                 "{\"session\": \"%s\", \"admin_token\": \"%s\"}", g.id,
                 g.atok),
        "bad_request");
  start_session(&g);
  advance(&g, NULL, NULL);
  const msgpack_object *h = history_of(&g.admin, &g, "admin_token", g.atok);
  assert_false(holds(h, "buyers stockpile ahead"));
  assert_false(holds(h, "dysprosium and terbium oxides"));
  /* the magnet licence of the same turn (scripted 1) did fire */
  assert_true(holds(h, "covers magnets"));
  r = ok(&g.admin, send_req(&g.admin, "event.list",
                            "{\"session\": \"%s\", \"admin_token\": \"%s\"}",
                            g.id, g.atok));
  const msgpack_object *sc = lt_get(r, "scripted");
  assert_true(lt_str_is(lt_get(&sc->via.array.ptr[0], "status"), "cancelled"));
  assert_true(lt_str_is(lt_get(&sc->via.array.ptr[1], "status"), "fired"));
  /* a scripted event that fired cannot be cancelled */
  fails(&g.admin,
        send_req(&g.admin, "event.cancel",
                 "{\"session\": \"%s\", \"admin_token\": \"%s\", "
                 "\"scripted\": 1}",
                 g.id, g.atok),
        "conflict");
  stop_game(&g);
}

/* Run `lanthanide replay --db FILE --verify`; its exit status. */
static int replay(const game_t *g) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execl(lanthanide_bin, lanthanide_bin, "replay", "--db", g->db, "--verify",
          (char *)NULL);
    _exit(127);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_restart_then_fire_then_replay(void **state) {
  (void)state;
  game_t g;
  new_game(&g, "");
  start_session(&g);
  int64_t id = inject_for_usa(&g, 2);
  /* a policy inject for every seat at the open turn, and a scripted
   * event of turn 1 cancelled */
  ok(&g.admin,
     send_req(&g.admin, "event.inject",
              "{\"session\": \"%s\", \"admin_token\": \"%s\", \"event\": "
              "{\"kind\": \"policy\", \"nation\": \"USA\", \"policy\": "
              "{\"op\": \"policy\", \"kind\": \"tariff\", \"product\": "
              "\"magnet\", \"from\": \"CHN\", \"rate\": 0.5}, \"text\": "
              "\"Control: a US tariff of 50%% on Chinese magnets\"}}",
              g.id, g.atok));
  ok(&g.admin, send_req(&g.admin, "event.cancel",
                        "{\"session\": \"%s\", \"admin_token\": \"%s\", "
                        "\"scripted\": 3}",
                        g.id, g.atok));
  advance(&g, NULL, NULL); /* turn 0 */
  /* the server stops and starts again between the inject and its turn */
  lt_close(&g.admin);
  lt_close(&g.chn);
  lt_close(&g.usa);
  assert_int_equal(lt_stop(&g.srv), 0);
  start_server(&g);
  connect_all(&g);
  join(&g, &g.chn, g.code_chn, g.tok_chn);
  join(&g, &g.usa, g.code_usa, g.tok_usa);
  ok(&g.admin,
     send_req(&g.admin, "session.watch",
              "{\"session\": \"%s\", \"admin_token\": \"%s\"}", g.id, g.atok));
  assert_true(inject_status_is(&g, id, "pending"));
  const msgpack_object *r =
      ok(&g.admin, send_req(&g.admin, "event.list",
                            "{\"session\": \"%s\", \"admin_token\": \"%s\"}",
                            g.id, g.atok));
  const msgpack_object *sc = lt_get(r, "scripted");
  assert_true(lt_str_is(lt_get(&sc->via.array.ptr[3], "status"), "cancelled"));
  const msgpack_object *in = &lt_get(r, "injects")->via.array.ptr[0];
  assert_true(lt_str_is(lt_get(in, "note"), "MSEL 3"));
  assert_true(lt_str_is(&lt_get(in, "seats")->via.array.ptr[0], "USA"));
  msgpack_sbuffer n_chn, n_usa;
  msgpack_sbuffer_init(&n_chn);
  msgpack_sbuffer_init(&n_usa);
  advance(&g, &n_chn, &n_usa); /* turn 1 */
  assert_false(buf_holds(&n_usa, "buyers stockpile ahead"));
  advance(&g, &n_chn, &n_usa); /* turn 2: it fires */
  assert_true(buf_holds(&n_usa, "buyers stockpile ahead"));
  assert_false(buf_holds(&n_chn, "buyers stockpile ahead"));
  assert_true(inject_status_is(&g, id, "fired"));
  msgpack_sbuffer_destroy(&n_chn);
  msgpack_sbuffer_destroy(&n_usa);
  /* every stored turn replays to the same hash (the injects applied) */
  assert_int_equal(replay(&g), 0);
  stop_game(&g);
}

static void test_replay_without_scripted_events(void **state) {
  (void)state;
  game_t g;
  new_game(&g, ", \"scripted_events\": false");
  inject_for_usa(&g, 0);
  start_session(&g);
  advance(&g, NULL, NULL);
  advance(&g, NULL, NULL);
  assert_int_equal(replay(&g), 0);
  stop_game(&g);
}

/* The scenario's prepared injects are the session's pending ones from
 * session.create: listed for control with their sources, hidden from the
 * seats until they fire, cancellable. */
static void test_licensing_scenario(void **state) {
  (void)state;
  game_t g;
  new_game_on(&g, "licensing-2025", "");
  const msgpack_object *r =
      ok(&g.admin, send_req(&g.admin, "event.list",
                            "{\"session\": \"%s\", \"admin_token\": \"%s\"}",
                            g.id, g.atok));
  const msgpack_object *in = lt_get(r, "injects");
  assert_int_equal(in->via.array.size, 4);
  for (uint32_t i = 0; i < 4; i++) {
    const msgpack_object *x = &in->via.array.ptr[i];
    assert_true(lt_str_is(lt_get(x, "status"), "pending"));
    assert_true(lt_str_has(lt_get(x, "sources"), "S"));
    assert_int_equal(lt_get(x, "turn")->via.i64, i < 2 ? 0 : 1);
  }
  assert_true(lt_str_has(lt_get(&in->via.array.ptr[1], "sources"), "S87c"));
  /* control drops the June recovery of Dy/Tb (inject 3) */
  ok(&g.admin, send_req(&g.admin, "event.cancel",
                        "{\"session\": \"%s\", \"admin_token\": \"%s\", "
                        "\"inject\": 3}",
                        g.id, g.atok));
  start_session(&g);
  assert_false(holds(state_of(&g.chn, &g, g.tok_chn), "Sm, Gd, Tb"));
  advance(&g, NULL, NULL);
  assert_true(holds(state_of(&g.chn, &g, g.tok_chn), "Sm, Gd, Tb"));
  assert_true(holds(state_of(&g.usa, &g, g.tok_usa), "Sm, Gd, Tb"));
  assert_false(holds(state_of(&g.usa, &g, g.tok_usa), "Licences flow again"));
  assert_true(inject_status_is(&g, 1, "fired"));
  assert_true(inject_status_is(&g, 2, "fired"));
  advance(&g, NULL, NULL);
  assert_true(inject_status_is(&g, 3, "cancelled"));
  assert_true(inject_status_is(&g, 4, "fired"));
  const msgpack_object *h = history_of(&g.admin, &g, "admin_token", g.atok);
  assert_false(holds(h, "Licences flow again"));
  assert_true(holds(h, "magnet exports recover"));
  assert_int_equal(replay(&g), 0);
  stop_game(&g);
}

/* session.reset starts the game again: its injects are pending again
 * and fire again; the new game replays. */
static void test_reset_fires_again(void **state) {
  (void)state;
  game_t g;
  new_game(&g, "");
  int64_t id = inject_for_usa(&g, 0);
  start_session(&g);
  advance(&g, NULL, NULL);
  assert_true(inject_status_is(&g, id, "fired"));
  ok(&g.admin,
     send_req(&g.admin, "session.reset",
              "{\"session\": \"%s\", \"admin_token\": \"%s\"}", g.id, g.atok));
  assert_true(inject_status_is(&g, id, "pending"));
  start_session(&g);
  msgpack_sbuffer n_chn, n_usa;
  msgpack_sbuffer_init(&n_chn);
  msgpack_sbuffer_init(&n_usa);
  advance(&g, &n_chn, &n_usa);
  assert_true(inject_status_is(&g, id, "fired"));
  assert_true(buf_holds(&n_usa, "buyers stockpile ahead"));
  assert_false(buf_holds(&n_chn, "buyers stockpile ahead"));
  msgpack_sbuffer_destroy(&n_chn);
  msgpack_sbuffer_destroy(&n_usa);
  assert_int_equal(replay(&g), 0);
  stop_game(&g);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: test_injects SERVER LANTHANIDE MAPS\n");
    return 2;
  }
  lt_init(argc, argv);
  lanthanide_bin = argv[2];
  maps_dir = argv[3];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inject_reaches_its_seats_at_its_turn),
      cmocka_unit_test(test_inject_refusals),
      cmocka_unit_test(test_scripted_events_off_lets_a_policy_stand),
      cmocka_unit_test(test_cancel_inject_and_scripted),
      cmocka_unit_test(test_restart_then_fire_then_replay),
      cmocka_unit_test(test_replay_without_scripted_events),
      cmocka_unit_test(test_licensing_scenario),
      cmocka_unit_test(test_reset_fires_again),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
