/*
 * liblanthanide.so (lan_env.h): the model for in-process play, with
 * observations and orders in the wire's MessagePack shapes, and a flat
 * numeric view for learning code. Everything that converts between wire
 * units and the model's integers is the protocol layer's (proto_types.h),
 * the same code the server runs, so that a game played here equals the
 * game played on a server with the same map, seed and orders.
 */
#include "lan_env.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "agent.h"
#include "model.h"
#include "proto.h"
#include "proto_types.h"

#ifndef LAN_SOURCE_MAPS
#define LAN_SOURCE_MAPS "maps"
#endif

/* An orders array larger than this is refused before it is unpacked (256
 * orders of a few hundred bytes each fit many times over). */
#define ENV_ORDERS_BYTES_MAX (1u << 20)

struct lan_map {
  model_map_t *map;
};

struct lan_game {
  const lan_map_t *m;
  model_state_t *st;
  int turns;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

int lan_api_version(void) {
  return LAN_ENV_API_VERSION;
}

const char *lan_strerror(int err) {
  if (err == LAN_ENV_EBADORDERS)
    return "the orders are not a MessagePack array of order maps";
  return model_strerror(err);
}

void lan_free(void *p) {
  free(p);
}

/* ---- Maps ---- */

int lan_map_load(const char *map, const char *maps_dir, lan_map_t **out,
                 char *err, size_t errlen) {
  *out = NULL;
  if (!map || !*map) {
    set_err(err, errlen, "name a map: an id such as classroom, or a file");
    return MODEL_EINVAL;
  }
  char path[4096];
  size_t len = strlen(map);
  if (strchr(map, '/') || (len > 5 && strcmp(map + len - 5, ".json") == 0))
    snprintf(path, sizeof path, "%s", map);
  else
    snprintf(path, sizeof path, "%s/%s.json",
             maps_dir && *maps_dir ? maps_dir : LAN_SOURCE_MAPS, map);
  lan_map_t *m = calloc(1, sizeof *m);
  if (!m)
    return MODEL_ENOMEM;
  model_error_t e;
  memset(&e, 0, sizeof e);
  int rc = model_map_load_file(path, &m->map, &e);
  if (rc != 0) {
    if (rc == MODEL_EMAP)
      set_err(err, errlen, "%s:%d:%d: %s", e.file, e.line, e.column, e.message);
    else
      set_err(err, errlen, "cannot load map %s: %s", path, model_strerror(rc));
    free(m);
    return rc;
  }
  *out = m;
  return 0;
}

void lan_map_free(lan_map_t *m) {
  if (!m)
    return;
  model_map_free(m->map);
  free(m);
}

const char *lan_map_id(const lan_map_t *m) {
  return model_map_id(m->map);
}

int lan_map_turns(const lan_map_t *m) {
  return model_map_turns(m->map);
}

int lan_map_seat_count(const lan_map_t *m) {
  return (int)model_map_seat_count(m->map);
}

const char *lan_map_seat_id(const lan_map_t *m, int i) {
  return i < 0 ? NULL : model_map_seat_id(m->map, (size_t)i);
}

int lan_map_seat_kind(const lan_map_t *m, int i) {
  return i < 0 ? -1 : model_map_seat_kind(m->map, (size_t)i);
}

/* ---- Games ---- */

int lan_game_new(const lan_map_t *m, uint64_t seed, int turns, lan_game_t **out,
                 char *err, size_t errlen) {
  *out = NULL;
  int max = model_map_turns(m->map);
  if (turns < 0 || turns > max) {
    set_err(err, errlen,
            "turns must be from 1 to the map's %d (0 plays them all), got %d",
            max, turns);
    return MODEL_EINVAL;
  }
  if (seed > (uint64_t)INT64_MAX) {
    set_err(err, errlen,
            "the seed must be from 0 to 2^63-1, as session.create takes it");
    return MODEL_EINVAL;
  }
  lan_game_t *g = calloc(1, sizeof *g);
  if (!g)
    return MODEL_ENOMEM;
  int rc = model_state_new(m->map, seed, &g->st);
  if (rc != 0) {
    set_err(err, errlen, "cannot start a game: %s", model_strerror(rc));
    free(g);
    return rc;
  }
  g->m = m;
  g->turns = turns ? turns : max;
  *out = g;
  return 0;
}

int lan_game_clone(const lan_game_t *g, lan_game_t **out) {
  *out = NULL;
  lan_game_t *c = calloc(1, sizeof *c);
  if (!c)
    return MODEL_ENOMEM;
  int rc = model_state_clone(g->st, &c->st);
  if (rc != 0) {
    free(c);
    return rc;
  }
  c->m = g->m;
  c->turns = g->turns;
  *out = c;
  return 0;
}

void lan_game_free(lan_game_t *g) {
  if (!g)
    return;
  model_state_free(g->st);
  free(g);
}

int lan_game_turn(const lan_game_t *g) {
  return model_state_turn(g->st);
}

int lan_game_turns(const lan_game_t *g) {
  return g->turns;
}

int lan_game_finished(const lan_game_t *g) {
  return model_state_turn(g->st) >= g->turns;
}

static int bad_seat(const lan_game_t *g, int seat) {
  return seat < 0 || (size_t)seat >= model_map_seat_count(g->m->map);
}

/* Hand a packed buffer to the caller (its bytes become *buf). */
static int take_buf(proto_buf_t *b, uint8_t **buf, size_t *len) {
  if (proto_buf_failed(b)) {
    proto_buf_free(b);
    return MODEL_ENOMEM;
  }
  *buf = (uint8_t *)b->data;
  *len = b->len;
  if (!*buf) {
    *buf = malloc(1);
    if (!*buf)
      return MODEL_ENOMEM;
  }
  return 0;
}

static int observe(const lan_game_t *g, int seat, model_obs_t **obs) {
  if (bad_seat(g, seat))
    return MODEL_EINVAL;
  int rc = model_observe(g->st, seat, obs);
  if (rc == 0)
    (*obs)->turns = g->turns; /* as the server's state.get says */
  return rc;
}

/* The shared pairs (market, public) of one home nation, packed once per
 * lan_game_observe_all: they are most of an observation's bytes and of
 * the cost of packing it, and the same for every seat of that nation. */
typedef struct {
  char nation[MODEL_ID_MAX];
  proto_buf_t bytes;
} shared_t;

/* Append seat's state.get map to b. With a cache (cache, *n_cache), the
 * shared pairs are copied from the entry of the seat's home nation, or
 * packed and kept there. */
static int pack_observation(const lan_game_t *g, int seat, proto_buf_t *b,
                            shared_t *cache, size_t *n_cache) {
  model_obs_t *obs = NULL;
  int rc = observe(g, seat, &obs);
  if (rc != 0)
    return rc;
  msgpack_packer pk;
  proto_packer_init(&pk, b);
  /* The keys the server adds to state.get's map (PROTOCOL.md): an
   * environment has no session and no clock. */
  msgpack_pack_map(&pk, PROTO_OBS_PAIRS + 4);
  proto_pack_kv_cstr(&pk, "session", "env");
  proto_pack_kv_cstr(&pk, "status",
                     lan_game_finished(g) ? "finished" : "running");
  proto_pack_kv_nil(&pk, "deadline_ms");
  proto_pack_kv_nil(&pk, "remaining_ms");
  rc = proto_pack_obs_seat_pairs(&pk, obs);
  shared_t *hit = NULL;
  for (size_t i = 0; cache && i < *n_cache && !hit; i++)
    if (strcmp(cache[i].nation, obs->nation) == 0)
      hit = &cache[i];
  if (rc == 0 && hit) {
    rc = proto_buf_write(b, hit->bytes.data, hit->bytes.len);
  } else if (rc == 0) {
    size_t start = b->len;
    rc = proto_pack_obs_shared_pairs(&pk, obs);
    if (rc == 0 && cache) {
      shared_t *e = &cache[(*n_cache)++];
      snprintf(e->nation, sizeof e->nation, "%s", obs->nation);
      proto_buf_init(&e->bytes);
      rc = proto_buf_write(&e->bytes, b->data + start, b->len - start);
    }
  }
  model_obs_free(obs);
  return rc != 0 || proto_buf_failed(b) ? MODEL_ENOMEM : 0;
}

int lan_game_observe(const lan_game_t *g, int seat, uint8_t **buf,
                     size_t *len) {
  *buf = NULL;
  *len = 0;
  proto_buf_t b;
  proto_buf_init(&b);
  int rc = pack_observation(g, seat, &b, NULL, NULL);
  if (rc != 0) {
    proto_buf_free(&b);
    return rc;
  }
  return take_buf(&b, buf, len);
}

int lan_game_observe_all(const lan_game_t *g, uint8_t **buf, size_t *len,
                         size_t *offsets) {
  *buf = NULL;
  *len = 0;
  size_t n = model_map_seat_count(g->m->map);
  /* At most one entry per seat (a seat's home is one nation). */
  shared_t *cache = calloc(n ? n : 1, sizeof *cache);
  size_t n_cache = 0;
  if (!cache)
    return MODEL_ENOMEM;
  proto_buf_t b;
  proto_buf_init(&b);
  int rc = 0;
  for (size_t s = 0; s < n && rc == 0; s++) {
    offsets[s] = b.len;
    rc = pack_observation(g, (int)s, &b, cache, &n_cache);
  }
  for (size_t i = 0; i < n_cache; i++)
    proto_buf_free(&cache[i].bytes);
  free(cache);
  if (rc != 0) {
    proto_buf_free(&b);
    return rc;
  }
  offsets[n] = b.len;
  return take_buf(&b, buf, len);
}

static void pack_refusals(msgpack_packer *pk, const model_refusal_t *r,
                          size_t n) {
  msgpack_pack_array(pk, n);
  for (size_t k = 0; k < n; k++) {
    msgpack_pack_map(pk, r[k].field[0] ? 4 : 3);
    proto_pack_kv_u64(pk, "index", r[k].index);
    proto_pack_kv_cstr(pk, "code", "invalid_order");
    proto_pack_kv_cstr(pk, "message", r[k].message);
    if (r[k].field[0])
      proto_pack_kv_cstr(pk, "field", r[k].field);
  }
}

/* orders.submit's handling of one submission (server/sess_methods.c
 * m_submit): each order parsed by the protocol layer, the parsed ones
 * given to the model together, refusals of both layers in submission
 * order. */
int lan_game_submit(lan_game_t *g, int seat, const uint8_t *orders, size_t len,
                    uint8_t **rejected, size_t *rejected_len, int *n_rejected) {
  *rejected = NULL;
  *rejected_len = 0;
  *n_rejected = 0;
  if (bad_seat(g, seat))
    return MODEL_EINVAL;
  if (lan_game_finished(g))
    return MODEL_EFINISHED;
  if (len > ENV_ORDERS_BYTES_MAX)
    return MODEL_ELIMIT;
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t off = 0;
  if (msgpack_unpack_next(&u, (const char *)orders, len, &off) !=
          MSGPACK_UNPACK_SUCCESS ||
      u.data.type != MSGPACK_OBJECT_ARRAY) {
    msgpack_unpacked_destroy(&u);
    return LAN_ENV_EBADORDERS;
  }
  const msgpack_object_array *arr = &u.data.via.array;
  if (arr->size > MODEL_ORDERS_MAX) {
    msgpack_unpacked_destroy(&u);
    return MODEL_ELIMIT;
  }
  size_t n = arr->size;
  model_order_t *o = calloc(MODEL_ORDERS_MAX, sizeof *o);
  model_refusal_t *ref = calloc(2 * MODEL_ORDERS_MAX, sizeof *ref);
  model_refusal_t *mref = ref + MODEL_ORDERS_MAX;
  size_t where[MODEL_ORDERS_MAX];
  int rc = 0;
  if (!o || !ref) {
    rc = MODEL_ENOMEM;
    goto done;
  }
  size_t n_ok = 0, n_ref = 0, n_mref = 0;
  for (size_t i = 0; i < n; i++) {
    if (proto_order_parse(&arr->ptr[i], &o[n_ok], &ref[n_ref]) == 0)
      where[n_ok++] = i;
    else
      ref[n_ref++].index = i;
  }
  rc = model_submit(g->st, seat, o, n_ok, mref, MODEL_ORDERS_MAX, &n_mref);
  if (rc != 0)
    goto done;
  for (size_t k = 0; k < n_mref && n_ref < MODEL_ORDERS_MAX; k++) {
    ref[n_ref] = mref[k];
    ref[n_ref++].index = where[mref[k].index];
  }
  for (size_t a = 1; a < n_ref; a++)
    for (size_t b = a; b > 0 && ref[b - 1].index > ref[b].index; b--) {
      model_refusal_t t = ref[b];
      ref[b] = ref[b - 1];
      ref[b - 1] = t;
    }
  proto_buf_t b;
  proto_buf_init(&b);
  msgpack_packer pk;
  proto_packer_init(&pk, &b);
  pack_refusals(&pk, ref, n_ref);
  rc = take_buf(&b, rejected, rejected_len);
  if (rc == 0)
    *n_rejected = (int)n_ref;
done:
  free(o);
  free(ref);
  msgpack_unpacked_destroy(&u);
  return rc;
}

int lan_game_resolve(lan_game_t *g, char *err, size_t errlen) {
  if (lan_game_finished(g)) {
    set_err(err, errlen, "the game is over (turn %d of %d); reset it",
            model_state_turn(g->st), g->turns);
    return MODEL_EFINISHED;
  }
  int rc = model_resolve(g->st);
  if (rc != 0) {
    const char *why = model_last_error(g->st);
    set_err(err, errlen, "turn %d was not resolved: %s",
            model_state_turn(g->st), why[0] ? why : model_strerror(rc));
  }
  return rc;
}

int64_t lan_game_score_ppm(const lan_game_t *g, int seat) {
  const model_report_t *rep = model_last_report(g->st);
  if (bad_seat(g, seat) || !rep || rep->turn < 0 ||
      (size_t)seat >= rep->n_seats)
    return 0;
  return rep->scores[seat];
}

int lan_game_hash(const lan_game_t *g, uint8_t out[32]) {
  return model_state_hash(g->st, out);
}

int lan_game_summary(const lan_game_t *g, uint8_t **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  const model_report_t *rep = model_last_report(g->st);
  if (!rep || rep->turn < 0)
    return MODEL_EINVAL;
  proto_buf_t b;
  proto_buf_init(&b);
  msgpack_packer pk;
  proto_packer_init(&pk, &b);
  msgpack_pack_map(&pk, PROTO_SUMMARY_PAIRS + 1);
  proto_pack_kv_i64(&pk, "turn", rep->turn);
  if (proto_pack_summary_pairs(&pk, g->m->map, rep, g->st) != 0) {
    proto_buf_free(&b);
    return MODEL_ENOMEM;
  }
  return take_buf(&b, buf, len);
}

int lan_game_describe(const lan_game_t *g, int seat, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  if (bad_seat(g, seat))
    return MODEL_EINVAL;
  return agent_describe(g->st, seat, g->turns, text, len);
}

/* ---- The flat view ----
 * One walk over the features writes either their values (from an
 * observation) or their names, so the two can never disagree. */

typedef struct {
  const model_map_t *map;
  const model_obs_t *obs; /* NULL when naming */
  double *vals;
  size_t cap;
  size_t i;
  size_t want; /* the feature to name */
  char *name;
  size_t name_cap;
} walk_t;

static void feat(walk_t *w, double v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void feat(walk_t *w, double v, const char *fmt, ...) {
  if (w->obs && w->i < w->cap)
    w->vals[w->i] = v;
  if (w->name && w->i == w->want) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->name, w->name_cap, fmt, ap);
    va_end(ap);
  }
  w->i++;
}

static int home_index(const model_obs_t *obs) {
  for (size_t k = 0; k < obs->n_nations; k++)
    if (strcmp(obs->nations[k], obs->nation) == 0)
      return (int)k;
  return -1;
}

/* The map's products only (design J1: a basket map's vector is the five
 * products' of before; a split map has Dy and Tb instead of Dy/Tb). */
static void walk(walk_t *w) {
  const model_obs_t *o = w->obs;
  const model_map_t *map = w->map;
  size_t nn = model_map_nation_count(map);
  size_t ns = model_map_seat_count(map);
  feat(w, o ? o->turn : 0, "turn");
  feat(w, o ? o->turns - o->turn : 0, "turns_left");
  feat(w, o ? model_cents_to_usd(o->cash_cents) : 0, "cash");
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (model_map_has_product(map, p))
      feat(w, o ? model_kg_to_tonnes(o->inventory_kg[p]) : 0, "inventory.%s",
           model_product_name(p));
  for (int s = 0; s < MODEL_SKILLS; s++)
    if (model_map_has_stage(map, s))
      feat(w, o ? (double)o->staff[s] : 0, "staff.%s", model_skill_name(s));
  for (int s = 0; s < MODEL_SKILLS; s++)
    if (model_map_has_stage(map, s))
      feat(w, o ? (double)o->in_training[s] : 0, "in_training.%s",
           model_skill_name(s));
  for (int s = 0; s < MODEL_SKILLS; s++)
    if (model_map_has_stage(map, s))
      feat(w, o ? (double)o->talent_pool[s] : 0, "talent_pool.%s",
           model_skill_name(s));
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (model_map_has_product(map, p))
      feat(w, o ? model_cents_to_usd(o->price[p]) : 0, "price.%s",
           model_product_name(p));
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (model_map_has_product(map, p))
      feat(w, o ? model_kg_to_tonnes(o->volume[p]) : 0, "volume.%s",
           model_product_name(p));
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (model_map_has_product(map, p))
      for (size_t k = 0; k < nn; k++)
        feat(w,
             o && k < o->n_nations
                 ? model_cents_to_usd(o->regional[(size_t)p * o->n_nations + k])
                 : 0,
             "regional.%s.%s", model_product_name(p),
             model_map_nation_id(map, k));
  for (int s = 0; s < MODEL_STAGES; s++)
    for (size_t k = 0; model_map_has_stage(map, s) && k < nn; k++)
      feat(w,
           o && k < o->n_nations
               ? model_kg_to_tonnes(o->production[s * o->n_nations + k])
               : 0,
           "production.%s.%s", model_stage_name(s),
           model_map_nation_id(map, k));
  for (int s = 0; s < MODEL_STAGES; s++)
    for (size_t k = 0; model_map_has_stage(map, s) && k < nn; k++)
      feat(w,
           o && k < o->n_nations
               ? model_kg_to_tonnes(o->capacity[s * o->n_nations + k])
               : 0,
           "capacity.%s.%s", model_stage_name(s), model_map_nation_id(map, k));
  for (size_t k = 0; k < ns; k++) {
    double v = 0;
    if (o)
      for (size_t j = 0; j < o->n_scores; j++)
        if (strcmp(o->scores[j].seat, model_map_seat_id(map, k)) == 0)
          v = proto_score(o->scores[j].score);
    feat(w, v, "score.%s", model_map_seat_id(map, k));
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (model_map_has_product(map, p)) {
      const char *pn = model_product_name(p);
      feat(w, o ? model_kg_to_tonnes(o->standing_offer[p].quantity_kg) : 0,
           "offer.%s.quantity", pn);
      feat(w,
           o ? model_cents_to_usd(o->standing_offer[p].price_cents_per_kg) : 0,
           "offer.%s.min_price", pn);
      feat(w, o ? model_kg_to_tonnes(o->standing_bid[p].quantity_kg) : 0,
           "bid.%s.quantity", pn);
      feat(w, o ? model_cents_to_usd(o->standing_bid[p].price_cents_per_kg) : 0,
           "bid.%s.max_price", pn);
    }
  for (size_t f = 0; f < LAN_FLAT_FACILITIES; f++) {
    const model_obs_facility_t *x =
        o && f < o->n_facilities ? &o->facilities[f] : NULL;
    feat(w, x ? 1 : 0, "facility%zu.present", f);
    feat(w, x ? x->stage : 0, "facility%zu.stage", f);
    feat(w, x ? model_kg_to_tonnes(x->capacity_kg_per_year) : 0,
         "facility%zu.capacity", f);
    feat(w, x ? model_kg_to_tonnes(x->effective_kg_per_year) : 0,
         "facility%zu.effective_capacity", f);
    feat(w, x ? model_ppm_to_fraction(x->utilisation_ppm) : 0,
         "facility%zu.utilisation", f);
    feat(w, x ? x->status == MODEL_FAC_OPERATING : 0, "facility%zu.operating",
         f);
    feat(w, x ? x->turns_left : 0, "facility%zu.turns_left", f);
    feat(w, x ? model_cents_to_usd(x->unit_cost_cents_per_kg) : 0,
         "facility%zu.unit_cost", f);
    feat(w, x ? model_kg_to_tonnes(x->output_kg) : 0, "facility%zu.output", f);
  }
}

size_t lan_flat_len(const lan_map_t *m) {
  walk_t w;
  memset(&w, 0, sizeof w);
  w.map = m->map;
  w.want = (size_t)-1;
  walk(&w);
  return w.i;
}

int lan_flat_name(const lan_map_t *m, size_t i, char *buf, size_t cap) {
  if (!buf || cap == 0)
    return MODEL_EINVAL;
  buf[0] = '\0';
  walk_t w;
  memset(&w, 0, sizeof w);
  w.map = m->map;
  w.want = i;
  w.name = buf;
  w.name_cap = cap;
  walk(&w);
  return i < w.i ? 0 : MODEL_EINVAL;
}

int lan_flat_observe(const lan_game_t *g, int seat, double *out, size_t cap) {
  model_obs_t *obs = NULL;
  int rc = observe(g, seat, &obs);
  if (rc != 0)
    return rc;
  walk_t w;
  memset(&w, 0, sizeof w);
  w.map = g->m->map;
  w.obs = obs;
  w.vals = out;
  w.cap = cap;
  w.want = (size_t)-1;
  walk(&w);
  model_obs_free(obs);
  return w.i <= cap ? 0 : MODEL_ELIMIT;
}

/* ---- The action catalogue ---- */

enum {
  A_OPERATE = 1,
  A_UTIL_LEVELS = 3,
  A_PRICE_LEVELS = 3,
  A_TARIFF_LEVELS = 3
};
static const double UTIL[A_UTIL_LEVELS] = {0.0, 0.5, 1.0};
static const double PRICE_M[A_PRICE_LEVELS] = {0.9, 1.0, 1.1};
static const double TARIFF[A_TARIFF_LEVELS] = {0.0, 0.1, 0.25};

/* The product-dependent actions cover the map's products (design J1:
 * the basket's five, or six on split maps), the k-th in enum order. */
typedef struct {
  int n;                 /* products of the map */
  int p[MODEL_PRODUCTS]; /* their numbers */
} prods_t;

static prods_t prods_of(const bool *has) {
  prods_t x = {0, {0}};
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (has[p])
      x.p[x.n++] = p;
  return x;
}

static prods_t map_prods(const lan_map_t *m) {
  bool has[MODEL_PRODUCTS];
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    has[p] = model_map_has_product(m->map, p);
  return prods_of(has);
}

#define A_OFFER    (A_OPERATE + LAN_FLAT_FACILITIES * A_UTIL_LEVELS)
#define A_WITHDRAW (A_OFFER + (size_t)P.n * A_PRICE_LEVELS)
#define A_BAN      (A_WITHDRAW + (size_t)P.n)
#define A_UNBAN    (A_BAN + (size_t)P.n)
#define A_TARIFF   (A_UNBAN + (size_t)P.n)
#define A_COUNT    (A_TARIFF + (size_t)P.n * A_TARIFF_LEVELS)

size_t lan_action_count(const lan_map_t *m) {
  prods_t P = map_prods(m);
  return A_COUNT;
}

int lan_action_name(const lan_map_t *m, size_t i, char *buf, size_t cap) {
  prods_t P = map_prods(m);
  if (!buf || cap == 0 || i >= A_COUNT)
    return MODEL_EINVAL;
  if (i == 0)
    snprintf(buf, cap, "stand");
  else if (i < A_OFFER)
    snprintf(buf, cap, "operate facility%zu %g", (i - A_OPERATE) / 3,
             UTIL[(i - A_OPERATE) % 3]);
  else if (i < A_WITHDRAW)
    snprintf(buf, cap, "offer %s stock at %g x home price",
             model_product_name(P.p[(i - A_OFFER) / 3]),
             PRICE_M[(i - A_OFFER) % 3]);
  else if (i < A_BAN)
    snprintf(buf, cap, "withdraw offer %s",
             model_product_name(P.p[i - A_WITHDRAW]));
  else if (i < A_UNBAN)
    snprintf(buf, cap, "export_ban %s", model_product_name(P.p[i - A_BAN]));
  else if (i < A_TARIFF)
    snprintf(buf, cap, "lift export_ban %s",
             model_product_name(P.p[i - A_UNBAN]));
  else
    snprintf(buf, cap, "tariff %s %g",
             model_product_name(P.p[(i - A_TARIFF) / 3]),
             TARIFF[(i - A_TARIFF) % 3]);
  return 0;
}

/* Action i's order for the seat whose observation is obs; 0 when it has
 * one, -1 when it means nothing here (no such facility, no stock). */
static int action_order(const model_obs_t *obs, size_t i, model_order_t *o) {
  prods_t P = prods_of(obs->rules.products);
  memset(o, 0, sizeof *o);
  o->product = o->stage = o->skill = -1;
  if (i == 0 || i >= A_COUNT)
    return -1;
  if (i < A_OFFER) {
    size_t f = (i - A_OPERATE) / 3;
    if (f >= obs->n_facilities)
      return -1;
    o->op = MODEL_OP_OPERATE;
    snprintf(o->facility, sizeof o->facility, "%s", obs->facilities[f].id);
    o->utilisation_ppm = (int64_t)(UTIL[(i - A_OPERATE) % 3] * MODEL_PPM);
    return 0;
  }
  if (i < A_WITHDRAW) {
    int p = P.p[(i - A_OFFER) / 3];
    int home = home_index(obs);
    int64_t ref = home >= 0
                      ? obs->regional[(size_t)p * obs->n_nations + (size_t)home]
                      : 0;
    if (ref <= 0)
      ref = obs->price[p];
    if (obs->inventory_kg[p] <= 0 || ref <= 0)
      return -1;
    o->op = MODEL_OP_OFFER;
    o->product = p;
    o->quantity_kg = obs->inventory_kg[p];
    /* Whole cents, as a wire price in USD/kg with two decimals gives. */
    o->price_cents_per_kg =
        (int64_t)((double)ref * PRICE_M[(i - A_OFFER) % 3] + 0.5);
    return 0;
  }
  if (i < A_BAN) {
    int p = P.p[i - A_WITHDRAW];
    if (obs->standing_offer[p].quantity_kg <= 0)
      return -1;
    o->op = MODEL_OP_OFFER;
    o->product = p;
    return 0;
  }
  o->op = MODEL_OP_POLICY;
  snprintf(o->partner, sizeof o->partner, "all");
  if (i < A_TARIFF) {
    o->kind = MODEL_POL_EXPORT_BAN;
    o->product = P.p[i < A_UNBAN ? i - A_BAN : i - A_UNBAN];
    o->lift = i >= A_UNBAN;
    return 0;
  }
  o->kind = MODEL_POL_TARIFF;
  o->product = P.p[(i - A_TARIFF) / 3];
  o->rate_ppm = (int64_t)(TARIFF[(i - A_TARIFF) % 3] * MODEL_PPM);
  return 0;
}

int lan_action_mask(const lan_game_t *g, int seat, uint8_t *mask, size_t cap) {
  prods_t P = map_prods(g->m);
  if (cap < A_COUNT)
    return MODEL_EINVAL;
  model_obs_t *obs = NULL;
  int rc = observe(g, seat, &obs);
  if (rc != 0)
    return rc;
  mask[0] = 1;
  for (size_t i = 1; i < A_COUNT; i++) {
    model_order_t o;
    model_refusal_t r;
    size_t n_ref = 0;
    mask[i] = 0;
    if (action_order(obs, i, &o) != 0)
      continue;
    if (model_validate(g->st, seat, &o, 1, &r, 1, &n_ref) == 0 && n_ref == 0)
      mask[i] = 1;
  }
  model_obs_free(obs);
  return 0;
}

int lan_action_orders(const lan_game_t *g, int seat, const int32_t *idx,
                      size_t n, uint8_t **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  model_obs_t *obs = NULL;
  int rc = observe(g, seat, &obs);
  if (rc != 0)
    return rc;
  model_order_t *o = calloc(n ? n : 1, sizeof *o);
  if (!o) {
    model_obs_free(obs);
    return MODEL_ENOMEM;
  }
  size_t k = 0;
  for (size_t j = 0; j < n && k < MODEL_ORDERS_MAX; j++) {
    model_refusal_t r;
    size_t n_ref = 0;
    if (idx[j] < 0 || action_order(obs, (size_t)idx[j], &o[k]) != 0)
      continue;
    if (model_validate(g->st, seat, &o[k], 1, &r, 1, &n_ref) == 0 && n_ref == 0)
      k++;
  }
  model_obs_free(obs);
  proto_buf_t b;
  proto_buf_init(&b);
  msgpack_packer pk;
  proto_packer_init(&pk, &b);
  msgpack_pack_array(&pk, k);
  for (size_t j = 0; j < k; j++)
    proto_pack_order(&pk, &o[j]);
  free(o);
  return take_buf(&b, buf, len);
}
