/*
 * The server's life and its simple methods: the banner and hello, ping and
 * server.stats, maps.list over a folder with good and malformed files,
 * clean shutdown on SIGTERM and SIGINT with clients connected, --help, bad
 * flags, and an address already in use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static lt_server_t *srv_of(void **state) {
  return &((lt_fixture_t *)*state)->srv;
}

static void test_hello(void **state) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_object *o;
  const msgpack_object *r;
  lt_conn_t c;
  uint32_t id;

  assert_int_equal(lt_connect(&c, srv_of(state)->port, 0), 0);
  assert_int_equal(lt_call(&c, 1, "hello", &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_null(lt_response_error(o));
  r = lt_response_result(o);
  assert_int_equal(r->via.map.size, 3);
  assert_true(lt_str_is(lt_get(r, "server"), "lanthanide"));
  assert_true(lt_str_is(lt_get(r, "version"), LAN_VERSION));
  assert_int_equal(lt_get(r, "protocol")->via.u64, 1);

  /* With both arguments, and [{}] meaning "none" as [] does. */
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint8(&pk, 2);
  msgpack_pack_str_with_body(&pk, "hello", 5);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 3);
  msgpack_pack_str_with_body(&pk, "client", 6);
  msgpack_pack_str_with_body(&pk, "lifecycle-test", 14);
  msgpack_pack_str_with_body(&pk, "protocol", 8);
  msgpack_pack_uint8(&pk, 1);
  msgpack_pack_str_with_body(&pk, "unknown_key_ignored", 19);
  msgpack_pack_true(&pk);
  msgpack_pack_array(&pk, 4);
  msgpack_pack_uint8(&pk, 0);
  msgpack_pack_uint8(&pk, 3);
  msgpack_pack_str_with_body(&pk, "ping", 4);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_map(&pk, 0);
  assert_int_equal(lt_send(&c, sb.data, sb.size), 0);
  msgpack_sbuffer_destroy(&sb);
  assert_int_equal(lt_recv(&c, LT_WAIT_MS, &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_int_equal(id, 2);
  assert_null(lt_response_error(o));
  assert_int_equal(lt_recv(&c, LT_WAIT_MS, &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_int_equal(id, 3);
  assert_null(lt_response_error(o));
  lt_close(&c);
}

static void test_server_stats(void **state) {
  static const char *const names[] = {
      "accepted",
      "active",
      "refused_total",
      "refused_per_address",
      "closed_invalid",
      "closed_too_large",
      "closed_too_deep",
      "closed_bad_count",
      "closed_first_request_timeout",
      "closed_message_timeout",
      "closed_idle",
      "closed_output_budget",
      "closed_by_peer",
      "requests",
      "error_responses",
      "error_notifications",
  };
  msgpack_object *o;
  const msgpack_object *r;
  lt_conn_t c;

  assert_int_equal(lt_connect(&c, srv_of(state)->port, 0), 0);
  assert_true(lt_ping(&c, 1));
  assert_true(lt_ping(&c, 2));
  assert_int_equal(lt_call(&c, 3, "server.stats", &o), 1);
  r = lt_response_result(o);
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    const msgpack_object *v = lt_get(r, names[i]);
    assert_non_null(v);
    assert_int_equal(v->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
  }
  assert_int_equal(lt_get(r, "requests")->via.u64, 3);
  assert_int_equal(lt_get(r, "accepted")->via.u64, 1);
  assert_int_equal(lt_get(r, "active")->via.u64, 1);
  lt_close(&c);
}

/* The ids of a maps.list answer, comma-separated, into buf. */
static void maps_ids(lt_conn_t *c, uint32_t msgid, char *buf, size_t size) {
  msgpack_object *o;
  const msgpack_object *r;
  uint32_t id;

  buf[0] = '\0';
  assert_int_equal(lt_call(c, msgid, "maps.list", &o), 1);
  assert_true(lt_is_response(o, &id));
  assert_null(lt_response_error(o));
  r = lt_response_result(o);
  assert_int_equal(r->type, MSGPACK_OBJECT_ARRAY);
  for (uint32_t i = 0; i < r->via.array.size; i++) {
    const msgpack_object *m = &r->via.array.ptr[i];
    const msgpack_object *mid = lt_get(m, "id");
    assert_non_null(mid);
    assert_non_null(lt_get(m, "title"));
    assert_int_equal(lt_get(m, "seats")->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(lt_get(m, "turns")->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    snprintf(buf + strlen(buf), size - strlen(buf), "%s%.*s:%u:%u",
             i ? "," : "", (int)mid->via.str.size, mid->via.str.ptr,
             (unsigned)lt_get(m, "seats")->via.u64,
             (unsigned)lt_get(m, "turns")->via.u64);
  }
}

/* A minimal map the model's loader accepts, with the given nation seats
 * (ISO codes) and firm seats (slugs, in the first nation). */
#define MINI_PRICES                                                            \
  "\"parameters\": {\"prices\": {\"concentrate\": 5, \"ndpr_oxide\": 50, "     \
  "\"dytb_oxide\": 300, \"lace_oxide\": 1, \"magnet\": 60}},\n"

static void test_maps_list(void **state) {
  lt_server_t *s = srv_of(state);
  lt_conn_t c;
  char ids[512];

  assert_int_equal(lt_connect(&c, s->port, 0), 0);
  /* An empty folder lists nothing. */
  maps_ids(&c, 1, ids, sizeof(ids));
  assert_string_equal(ids, "");

  assert_int_equal(
      lt_write_file(
          s->maps_dir, "zeta.json",
          "{\"id\": \"zeta\", \"title\": \"Zeta\", \"turns\": 40,\n" MINI_PRICES
          " \"nations\": [{\"id\": \"CHN\", \"title\": \"China\"},\n"
          "               {\"id\": \"USA\", \"title\": \"United States\"}],\n"
          " \"seats\": [{\"seat\": \"CHN\", \"kind\": \"nation\", "
          "\"title\": \"China\"},\n"
          "           {\"seat\": \"USA\", \"kind\": \"nation\", "
          "\"title\": \"United States\"},\n"
          "           {\"seat\": \"lynas\", \"kind\": \"firm\", "
          "\"title\": \"Lynas\", \"nation\": \"USA\"}]}\n"),
      0);
  assert_int_equal(
      lt_write_file(s->maps_dir, "alpha.json",
                    "{\"id\": \"alpha\", \"title\": \"Alpha\", \"turns\": "
                    "8,\n" MINI_PRICES
                    " \"nations\": [{\"id\": \"AUS\", \"title\": \"Oz\"}],\n"
                    " \"seats\": [{\"seat\": \"AUS\", \"kind\": \"nation\", "
                    "\"title\": \"Oz\"}]}\n"),
      0);
  /* Not JSON: a key without quotes on line 2. */
  assert_int_equal(lt_write_file(s->maps_dir, "broken.json",
                                 "{\"id\": \"broken\",\n  title: \"x\"}\n"),
                   0);
  /* JSON, but not a map. */
  assert_int_equal(lt_write_file(s->maps_dir, "shape.json",
                                 "{\"id\": \"shape\", \"title\": \"S\", "
                                 "\"turns\": \"many\", \"seats\": []}\n"),
                   0);
  /* A file whose id is not its file name (here: an id already taken). */
  assert_int_equal(
      lt_write_file(s->maps_dir, "zz-copy.json",
                    "{\"id\": \"alpha\", \"title\": \"Copy\", "
                    "\"turns\": 1,\n" MINI_PRICES
                    " \"nations\": [{\"id\": \"AUS\", "
                    "\"title\": \"Oz\"}],\n"
                    " \"seats\": [{\"seat\": \"AUS\", "
                    "\"kind\": \"nation\", \"title\": \"Oz\"}]}\n"),
      0);
  assert_int_equal(lt_write_file(s->maps_dir, "README.txt", "not a map\n"), 0);
  maps_ids(&c, 2, ids, sizeof(ids));
  assert_string_equal(ids, "alpha:1:8,zeta:3:40");
  /* The log names the malformed file, the line and column, and why. */
  assert_true(lt_log_contains(s, "broken.json:2:"));
  assert_true(lt_log_contains(s, "shape.json"));
  assert_true(lt_log_contains(s, "zz-copy.json"));

  /* A new file shows up without a restart. */
  assert_int_equal(
      lt_write_file(
          s->maps_dir, "mid.json",
          "{\"id\": \"mid\", \"title\": \"Mid\", \"turns\": 12,\n" MINI_PRICES
          " \"nations\": [{\"id\": \"JPN\", \"title\": \"Japan\"}],\n"
          " \"seats\": [{\"seat\": \"JPN\", \"kind\": \"nation\", "
          "\"title\": \"Japan\"},\n"
          "           {\"seat\": \"tdk\", \"kind\": \"firm\", "
          "\"title\": \"TDK\", \"nation\": \"JPN\"}]}\n"),
      0);
  maps_ids(&c, 3, ids, sizeof(ids));
  assert_string_equal(ids, "alpha:1:8,mid:2:12,zeta:3:40");
  /* Unchanged folder, same answer (from the cache). */
  maps_ids(&c, 4, ids, sizeof(ids));
  assert_string_equal(ids, "alpha:1:8,mid:2:12,zeta:3:40");
  lt_close(&c);
}

static void test_maps_folder_gone(void **state) {
  lt_server_t *s = srv_of(state);
  msgpack_object *o;
  const msgpack_object *e;
  lt_conn_t c;

  assert_int_equal(rmdir(s->maps_dir), 0);
  assert_int_equal(lt_connect(&c, s->port, 0), 0);
  assert_int_equal(lt_call(&c, 1, "maps.list", &o), 1);
  e = lt_response_error(o);
  assert_non_null(e);
  assert_true(lt_str_is(lt_get(e, "code"), "unavailable"));
  assert_true(lt_ping(&c, 2));
  lt_close(&c);
}

/* SIGTERM (or SIGINT) with clients in every state: the server closes
 * them all and exits 0 with its loop closed; each client sees the end. */
static void shutdown_with_clients(void **state, int sig) {
  lt_fixture_t *f = *state;
  static const uint8_t partial[] = {0x94, 0x00, 0x01};
  lt_conn_t busy, partway, silent;

  assert_int_equal(lt_connect(&busy, f->srv.port, 0), 0);
  assert_true(lt_ping(&busy, 1));
  assert_int_equal(lt_connect(&partway, f->srv.port, 0), 0);
  assert_true(lt_ping(&partway, 1));
  assert_int_equal(lt_send(&partway, partial, sizeof(partial)), 0);
  assert_int_equal(lt_connect(&silent, f->srv.port, 0), 0);
  lt_sleep_ms(50);
  f->stopped = true;
  assert_int_equal(lt_stop_with(&f->srv, sig), 0);
  assert_true(lt_wait_closed(&busy, LT_WAIT_MS));
  assert_true(lt_wait_closed(&partway, LT_WAIT_MS));
  assert_true(lt_wait_closed(&silent, LT_WAIT_MS));
  lt_close(&busy);
  lt_close(&partway);
  lt_close(&silent);
}

static void test_sigterm_with_clients(void **state) {
  shutdown_with_clients(state, SIGTERM);
}

static void test_sigint_with_clients(void **state) {
  shutdown_with_clients(state, SIGINT);
}

static void test_help(void **state) {
  static const char *const flags[] = {
      "--listen",
      "--http",
      "--db",
      "--maps",
      "--max-message",
      "--max-depth",
      "--first-request-ms",
      "--message-ms",
      "--idle-ms",
      "--keepalive-s",
      "--max-output",
      "--max-connections",
      "--max-per-address",
      "--log-level",
      "--help",
  };
  static char out[16384];
  const char *const args[] = {"--help", NULL};

  (void)state;
  assert_int_equal(lt_run(args, out, sizeof(out)), 0);
  for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
    assert_non_null(strstr(out, flags[i]));
  assert_non_null(strstr(out, "default 127.0.0.1:7447"));
  assert_non_null(strstr(out, "--http-origin"));
  assert_non_null(strstr(out, "--max-http-head"));
  assert_non_null(
      strstr(out, "off unless given; make run uses 127.0.0.1:8080"));
  assert_non_null(strstr(out, "default lanthanide.db"));
  assert_non_null(strstr(out, "default 1048576"));
}

static void test_bad_flags(void **state) {
  static const char *const cases[][3] = {
      {"--max-message", "10", NULL},
      {"--max-message", "-5", NULL},
      {"--max-depth", "99", NULL},
      {"--listen", "nonsense", NULL},
      {"--listen", "127.0.0.1:70000", NULL},
      {"--http", "localhost", NULL},
      {"--http-origin", "ftp://x", NULL},
      {"--max-http-head", "10", NULL},
      {"--maps", "/nonexistent/lanthanide-maps", NULL},
      {"--log-level", "loud", NULL},
      {"--no-such-flag", NULL, NULL},
      {"--idle-ms", "12abc", NULL},
  };
  static char out[4096];

  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(lt_run(cases[i], out, sizeof(out)), 2);
    /* The message names the flag (or the bad word) that was wrong. */
    assert_non_null(strstr(out, cases[i][0]));
  }
}

/* A second server on the same port fails with a message and status 1.
 * Its database is a file of its own in the test's temporary folder:
 * without --db it would write lanthanide.db into the working folder. */
static void test_address_in_use(void **state) {
  char addr[64], db[256];
  static char out[4096];
  const char *maps = srv_of(state)->dir;
  const char *const args[] = {"--listen", addr, "--db", db,
                              "--maps",   maps, NULL};

  snprintf(addr, sizeof(addr), "127.0.0.1:%d", srv_of(state)->port);
  snprintf(db, sizeof(db), "%s/second.db", srv_of(state)->dir);
  assert_int_equal(lt_run(args, out, sizeof(out)), 1);
  assert_non_null(strstr(out, "cannot listen"));
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      LT_TEST(test_hello),
      LT_TEST(test_server_stats),
      LT_TEST(test_maps_list),
      LT_TEST(test_maps_folder_gone),
      LT_TEST(test_sigterm_with_clients),
      LT_TEST(test_sigint_with_clients),
      LT_TEST_ARGS(test_address_in_use, "--keepalive-s", "1"),
      cmocka_unit_test(test_help),
      cmocka_unit_test(test_bad_flags),
  };

  lt_init(argc, argv);
  return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
