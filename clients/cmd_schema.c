/*
 * lanthanide schema: the order schema of this build, without a server.
 *
 *   lanthanide schema --markdown   docs/orders.md (the tables of every op and
 *                                  policy kind), as generated from
 *                                  model/order_schema.c
 *   lanthanide schema --json       the JSON Schema of one order, the same
 *                                  map the server's orders.schema answers
 *
 * docs/orders.md is this command's output, committed; the test
 * docs_orders_current fails when the two differ.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"
#include "cmds.h"
#include "proto_types.h"

static void usage(FILE *f) {
  fprintf(f, "usage: lanthanide schema --markdown | --json\n"
             "  --markdown   print docs/orders.md: every op and policy kind "
             "with its fields\n"
             "               (regenerate the file with `lanthanide schema "
             "--markdown > docs/orders.md`)\n"
             "  --json       print the JSON Schema of one order (what the "
             "server's\n"
             "               orders.schema method answers)\n");
}

static int print_markdown(void) {
  char *text;
  size_t len;
  if (model_order_schema_markdown(&text, &len) != 0) {
    fprintf(stderr, "lanthanide schema: out of memory\n");
    return UI_EXIT_FAIL;
  }
  int rc = fwrite(text, 1, len, stdout) == len ? UI_EXIT_OK : UI_EXIT_FAIL;
  free(text);
  return rc;
}

static int print_json_schema(void) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  msgpack_unpacked u;
  int rc = UI_EXIT_FAIL;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_unpacked_init(&u);
  if (proto_pack_order_schema(&pk) == 0 &&
      msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
          MSGPACK_UNPACK_SUCCESS) {
    json_t *j = cli_to_json(&u.data);
    char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    if (s) {
      printf("%s\n", s);
      rc = UI_EXIT_OK;
    }
    free(s);
    json_decref(j);
  }
  if (rc != UI_EXIT_OK)
    fprintf(stderr, "lanthanide schema: out of memory\n");
  msgpack_unpacked_destroy(&u);
  msgpack_sbuffer_destroy(&sb);
  return rc;
}

int cmd_schema(int argc, char **argv, const ui_conn_opts_t *dflt) {
  (void)dflt;
  static const struct option opts[] = {{"markdown", no_argument, NULL, 'm'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int what = 0, c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
    case 'j':
      what = c;
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    default:
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  if (!what || optind < argc) {
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  return what == 'm' ? print_markdown() : print_json_schema();
}
