/*
 * dbtool: reading a Lanthanide database from the command-line tools
 * (replay, export). See dbtool.h.
 */
#include "dbtool.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The list of sessions, for the message when the choice is unclear. */
typedef struct pick {
  const char *wanted;
  char *id;
  size_t idlen;
  size_t n;
  int found;
  char list[1024];
  size_t used;
} pick_t;

static int on_session(void *arg, const store_session_row_t *row, char *err,
                      size_t errlen) {
  pick_t *p = arg;
  static const char *const STATUS[] = {"lobby", "running", "paused",
                                       "finished"};
  (void)err;
  (void)errlen;
  if (p->wanted && strcmp(row->id, p->wanted) == 0) {
    snprintf(p->id, p->idlen, "%s", row->id);
    p->found = 1;
  }
  if (!p->wanted && p->n == 0)
    snprintf(p->id, p->idlen, "%s", row->id);
  if (p->used < sizeof p->list) {
    int w = snprintf(p->list + p->used, sizeof p->list - p->used,
                     "\n  %s (%s, map %s)", row->id, STATUS[row->status],
                     row->map_id);
    p->used += w > 0 ? (size_t)w : 0;
  }
  p->n++;
  return 0;
}

int dbtool_session(store_t *st, const char *wanted, char *id, size_t idlen,
                   char *err, size_t errlen) {
  pick_t p = {.wanted = wanted, .id = id, .idlen = idlen};
  if (store_read_all_sessions(st, on_session, &p, err, errlen) != 0)
    return -1;
  if (wanted ? p.found : p.n == 1)
    return 0;
  if (p.n == 0)
    snprintf(err, errlen, "the database holds no session");
  else if (wanted)
    snprintf(err, errlen, "no session '%s' in the database; it holds:%s",
             wanted, p.list);
  else
    snprintf(err, errlen,
             "the database holds %zu sessions; choose one with "
             "--session:%s",
             p.n, p.list);
  return 1;
}

static int on_game(void *arg, const store_session_row_t *row, char *err,
                   size_t errlen) {
  static const char *const STATUS[] = {"lobby", "running", "paused",
                                       "finished"};
  dbtool_game_t *g = arg;
  snprintf(g->id, sizeof g->id, "%s", row->id);
  snprintf(g->name, sizeof g->name, "%s", row->name);
  snprintf(g->engine, sizeof g->engine, "%s", row->engine_version);
  snprintf(g->status, sizeof g->status, "%s", STATUS[row->status]);
  g->seed = row->seed;
  g->turns = row->turns;
  g->turn = row->turn;
  model_error_t merr;
  int rc = model_map_load_string(row->map_json, row->map_len, row->id, &g->map,
                                 &merr);
  if (rc != 0) {
    snprintf(err, errlen, "session %s: its stored map cannot be read: %s%s%s",
             row->id, model_strerror(rc), rc == MODEL_EMAP ? ": " : "",
             rc == MODEL_EMAP ? merr.message : "");
    return -1;
  }
  if (memcmp(row->map_digest, model_map_digest(g->map), MODEL_HASH_BYTES) !=
      0) {
    snprintf(err, errlen,
             "session %s: its stored map does not match its stored digest "
             "(the row was altered)",
             row->id);
    dbtool_game_free(g);
    return -1;
  }
  return 0;
}

int dbtool_game_load(store_t *st, const char *id, dbtool_game_t *g, char *err,
                     size_t errlen) {
  memset(g, 0, sizeof *g);
  int rc = store_read_session(st, id, on_game, g, err, errlen);
  if (rc == 1)
    snprintf(err, errlen, "no session '%s' in the database", id);
  return rc == 0 ? 0 : -1;
}

void dbtool_game_free(dbtool_game_t *g) {
  model_map_free(g->map);
  g->map = NULL;
}

const char *dbtool_decimal(int64_t v, int decimals, char out[32]) {
  uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  if (decimals < 0)
    decimals = 0;
  if (decimals > 18) /* 10^19 overflows; no unit of ours needs more */
    decimals = 18;
  /* The digits from the right: the fraction (trailing zeros dropped), the
   * point, the whole part, the sign. */
  char tmp[32];
  size_t n = 0;
  bool any = false;
  for (int i = 0; i < decimals; i++, mag /= 10) {
    int d = (int)(mag % 10);
    if (d != 0 || any) {
      tmp[n++] = (char)('0' + d);
      any = true;
    }
  }
  if (any)
    tmp[n++] = '.';
  do {
    tmp[n++] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag > 0);
  if (v < 0)
    tmp[n++] = '-';
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return out;
}

int dbtool_decode(proto_decoder_t *d, const void *blob, size_t len,
                  msgpack_object *out, char *err, size_t errlen) {
  proto_error_t perr;
  /* The store's reads scan every stored MessagePack value already; this
   * is the same scanner again, for bytes that came from anywhere. */
  if (store_scan(blob, len, false, err, errlen) != 0)
    return -1;
  if (proto_decode(d, blob, len, out, &perr) != 0) {
    snprintf(err, errlen, "not valid MessagePack: %s", perr.message);
    return -1;
  }
  if (out->type != MSGPACK_OBJECT_ARRAY) {
    snprintf(err, errlen, "not an array of orders but %s",
             proto_type_name(out));
    return -1;
  }
  return 0;
}

void dbtool_hex(const uint8_t *b, size_t n, char *out) {
  static const char hx[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hx[b[i] >> 4];
    out[2 * i + 1] = hx[b[i] & 15];
  }
  out[2 * n] = '\0';
}
