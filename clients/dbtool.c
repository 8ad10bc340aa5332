/*
 * dbtool: reading a Lanthanide database from the command-line tools
 * (replay, export). See dbtool.h.
 */
#include "dbtool.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto_types.h"

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

/* ---- What a seat saw versus what was true ------------------------------ */

/* Pack seat's observation of st as state.get's body, made by observe:
 * model_observe (what the seat saw) or model_observe_truth (the same
 * with the map's closed information ignored). */
static int pack_obs(int (*observe)(const model_state_t *, int, model_obs_t **),
                    const model_state_t *st, int seat, msgpack_packer *pk,
                    char *err, size_t errlen) {
  model_obs_t *obs = NULL;
  int rc = observe(st, seat, &obs);
  if (rc != 0) {
    snprintf(err, errlen, "the observation of seat %d cannot be made: %s", seat,
             model_strerror(rc));
    return -1;
  }
  msgpack_pack_map(pk, PROTO_OBS_PAIRS);
  rc = proto_pack_obs_pairs(pk, obs);
  model_obs_free(obs);
  if (rc != 0) {
    snprintf(err, errlen, "out of memory packing an observation");
    return -1;
  }
  return 0;
}

int dbtool_pack_seen(const model_state_t *st, int seat, msgpack_packer *pk,
                     char *err, size_t errlen) {
  return pack_obs(model_observe, st, seat, pk, err, errlen);
}

/* The ground truth (issue 13): the seat's observation as model_observe_truth
 * makes it, every other nation's capacity exact and every policy public
 * (the control cell's state.get `truth`). On a map without closed
 * information it equals the seat's own observation. */
int dbtool_pack_truth(const model_state_t *st, int seat, msgpack_packer *pk,
                      char *err, size_t errlen) {
  return pack_obs(model_observe_truth, st, seat, pk, err, errlen);
}

static const msgpack_object *get_key(const msgpack_object *m, const char *k,
                                     size_t klen) {
  if (!m || m->type != MSGPACK_OBJECT_MAP)
    return NULL;
  for (uint32_t i = 0; i < m->via.map.size; i++) {
    const msgpack_object *key = &m->via.map.ptr[i].key;
    if (key->type == MSGPACK_OBJECT_STR && key->via.str.size == klen &&
        memcmp(key->via.str.ptr, k, klen) == 0)
      return &m->via.map.ptr[i].val;
  }
  return NULL;
}

static void leaf_text(const msgpack_object *o, char *b, size_t len) {
  if (!o) {
    b[0] = '\0';
    return;
  }
  switch (o->type) {
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    snprintf(b, len, "%" PRIu64, o->via.u64);
    break;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    snprintf(b, len, "%" PRId64, o->via.i64);
    break;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    snprintf(b, len, "%.17g", o->via.f64);
    break;
  case MSGPACK_OBJECT_BOOLEAN:
    snprintf(b, len, "%s", o->via.boolean ? "true" : "false");
    break;
  case MSGPACK_OBJECT_STR:
    snprintf(b, len, "%.*s", (int)o->via.str.size, o->via.str.ptr);
    break;
  case MSGPACK_OBJECT_NIL:
    snprintf(b, len, "nil");
    break;
  default:
    snprintf(b, len, "(%s)", proto_type_name(o));
    break;
  }
}

static bool is_tree(const msgpack_object *o) {
  return o &&
         (o->type == MSGPACK_OBJECT_MAP || o->type == MSGPACK_OBJECT_ARRAY);
}

/* Walk a and b together (a: seen, b: truth; either may be NULL); with
 * swap, a is the truth (the walk over the truth's own keys, for leaves the
 * seat does not have). */
static void diff(const msgpack_object *a, const msgpack_object *b, char *path,
                 size_t used, size_t cap, bool swap, dbtool_diff_fn fn,
                 void *arg) {
  if (is_tree(a)) {
    bool map = a->type == MSGPACK_OBJECT_MAP;
    uint32_t n = map ? a->via.map.size : a->via.array.size;
    for (uint32_t i = 0; i < n; i++) {
      const msgpack_object *av, *bv = NULL;
      int w;
      if (map) {
        const msgpack_object *k = &a->via.map.ptr[i].key;
        av = &a->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
          continue;
        bv = get_key(b, k->via.str.ptr, k->via.str.size);
        w = snprintf(path + used, cap - used, "%s%.*s", used ? "." : "",
                     (int)k->via.str.size, k->via.str.ptr);
      } else {
        av = &a->via.array.ptr[i];
        if (b && b->type == MSGPACK_OBJECT_ARRAY && i < b->via.array.size)
          bv = &b->via.array.ptr[i];
        w = snprintf(path + used, cap - used, "%s%u", used ? "." : "", i);
      }
      size_t next = w > 0 && used + (size_t)w < cap ? used + (size_t)w : used;
      diff(av, bv, path, next, cap, swap, fn, arg);
      path[used] = '\0';
    }
    return;
  }
  if (swap && b)
    return; /* seen on the first walk */
  char at[256], bt[256];
  leaf_text(a, at, sizeof at);
  leaf_text(is_tree(b) ? NULL : b, bt, sizeof bt);
  if (a && b && !is_tree(b) && strcmp(at, bt) == 0)
    return;
  if (swap)
    fn(arg, path, bt, at);
  else
    fn(arg, path, at, bt);
}

void dbtool_diff(const msgpack_object *seen, const msgpack_object *truth,
                 dbtool_diff_fn fn, void *arg) {
  char path[512] = "";
  diff(seen, truth, path, 0, sizeof path, false, fn, arg);
  diff(truth, seen, path, 0, sizeof path, true, fn, arg);
}

int dbtool_seen_vs_true(const model_state_t *st, int seat, dbtool_diff_fn fn,
                        void *arg, char *err, size_t errlen) {
  proto_buf_t sb, tb;
  msgpack_packer sp, tp;
  proto_buf_init(&sb);
  proto_buf_init(&tb);
  proto_packer_init(&sp, &sb);
  proto_packer_init(&tp, &tb);
  msgpack_unpacked su, tu;
  msgpack_unpacked_init(&su);
  msgpack_unpacked_init(&tu);
  int rc = -1;
  size_t off = 0, toff = 0;
  if (dbtool_pack_seen(st, seat, &sp, err, errlen) != 0 ||
      dbtool_pack_truth(st, seat, &tp, err, errlen) != 0)
    goto done;
  if (proto_buf_failed(&sb) || proto_buf_failed(&tb) ||
      msgpack_unpack_next(&su, sb.data, sb.len, &off) !=
          MSGPACK_UNPACK_SUCCESS ||
      msgpack_unpack_next(&tu, tb.data, tb.len, &toff) !=
          MSGPACK_UNPACK_SUCCESS) {
    snprintf(err, errlen, "out of memory comparing seat %d's view", seat);
    goto done;
  }
  const msgpack_object *seen = get_key(&su.data, "public", 6);
  const msgpack_object *truth = get_key(&tu.data, "public", 6);
  dbtool_diff(seen, truth, fn, arg);
  rc = 0;
done:
  msgpack_unpacked_destroy(&su);
  msgpack_unpacked_destroy(&tu);
  proto_buf_free(&sb);
  proto_buf_free(&tb);
  return rc;
}
