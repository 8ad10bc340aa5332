/* serialise.c: the state as a sequence of MessagePack values (msgpack-c's
 * packer and unpacker), and its BLAKE2b-256 hash.
 *
 * One visitor walks every field of the state in a fixed order; packing
 * writes each field, unpacking reads it back into the same place. Because
 * both directions share the walk, a field cannot be written and then
 * forgotten on reading, and the round trip is exact (same bytes, same
 * hash). Only explicit integer fields are written, never raw structs, so
 * padding and pointers never reach the bytes that are hashed.
 */
#include "model_internal.h"

#include <msgpack.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC   "lanthanide-state"
#define VERSION 2 /* 2: substitution; version 1 states read with none */

typedef struct {
  bool rd;
  int64_t version; /* of the state being read (VERSION when writing) */
  msgpack_sbuffer sb;
  msgpack_packer pk;
  const uint8_t *buf;
  size_t len, off;
  msgpack_unpacked un;
  int err;
} vis_t;

/* True for the first byte of a MessagePack array or map. */
static bool is_container(uint8_t b) {
  return (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
}

static const msgpack_object *next(vis_t *v) {
  if (v->err)
    return NULL;
  /* The state holds scalars only. msgpack-c allocates for an array or map
   * as soon as it reads the header, whatever bytes follow (five bytes ask
   * for 96 GiB), so a container in a blob from the database is refused
   * before it reaches the unpacker (found by fuzz/fuzz_state.c). */
  if (v->off < v->len && is_container(v->buf[v->off])) {
    v->err = MODEL_ESTATE;
    return NULL;
  }
  if (msgpack_unpack_next(&v->un, (const char *)v->buf, v->len, &v->off) !=
      MSGPACK_UNPACK_SUCCESS) {
    v->err = MODEL_ESTATE;
    return NULL;
  }
  return &v->un.data;
}

static void vi(vis_t *v, int64_t *x) {
  if (!v->rd) {
    if (msgpack_pack_int64(&v->pk, *x))
      v->err = MODEL_ENOMEM;
    return;
  }
  const msgpack_object *o = next(v);
  if (!o)
    return;
  if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
    *x = (int64_t)o->via.u64;
  else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
    *x = o->via.i64;
  else
    v->err = MODEL_ESTATE;
}

static void vi32(vis_t *v, int32_t *x) {
  int64_t t = *x;
  vi(v, &t);
  if (v->rd && !v->err) {
    if (t < INT32_MIN || t > INT32_MAX)
      v->err = MODEL_ESTATE;
    else
      *x = (int32_t)t;
  }
}

static void vb(vis_t *v, bool *x) {
  int64_t t = *x;
  vi(v, &t);
  if (v->rd && !v->err)
    *x = t != 0;
}

static void vu8(vis_t *v, uint8_t *x) {
  int64_t t = *x;
  vi(v, &t);
  if (v->rd && !v->err)
    *x = (uint8_t)(t != 0);
}

static void vsz(vis_t *v, size_t *x, size_t limit) {
  int64_t t = (int64_t)*x;
  vi(v, &t);
  if (v->rd && !v->err) {
    if (t < 0 || (uint64_t)t > limit)
      v->err = MODEL_ESTATE;
    else
      *x = (size_t)t;
  }
}

static void vstr(vis_t *v, char *s, size_t cap) {
  if (!v->rd) {
    const char *z = memchr(s, 0, cap);
    size_t n = z ? (size_t)(z - s) : cap;
    if (msgpack_pack_str(&v->pk, n) || msgpack_pack_str_body(&v->pk, s, n))
      v->err = MODEL_ENOMEM;
    return;
  }
  const msgpack_object *o = next(v);
  if (!o)
    return;
  if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap) {
    v->err = MODEL_ESTATE;
    return;
  }
  memset(s, 0, cap);
  if (o->via.str.size)
    memcpy(s, o->via.str.ptr, o->via.str.size);
}

static void vbin(vis_t *v, uint8_t *b, size_t n) {
  if (!v->rd) {
    if (msgpack_pack_bin(&v->pk, n) ||
        msgpack_pack_bin_body(&v->pk, (const char *)b, n))
      v->err = MODEL_ENOMEM;
    return;
  }
  const msgpack_object *o = next(v);
  if (!o)
    return;
  if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n) {
    v->err = MODEL_ESTATE;
    return;
  }
  memcpy(b, o->via.bin.ptr, n);
}

static void varr(vis_t *v, int64_t *a, size_t n) {
  for (size_t i = 0; i < n && !v->err; i++)
    vi(v, &a[i]);
}

static void vorder(vis_t *v, model_order_t *o) {
  int32_t op = (int32_t)o->op, kind = (int32_t)o->kind;
  vi32(v, &op);
  vi32(v, &o->stage);
  vi32(v, &o->product);
  vi32(v, &o->skill);
  vstr(v, o->facility, sizeof o->facility);
  vstr(v, o->site, sizeof o->site);
  vi(v, &o->capacity_kg_per_year);
  vi(v, &o->utilisation_ppm);
  vi(v, &o->count);
  vi(v, &o->quantity_kg);
  vi(v, &o->price_cents_per_kg);
  vi32(v, &kind);
  vstr(v, o->partner, sizeof o->partner);
  vb(v, &o->lift);
  vi(v, &o->rate_ppm);
  vi(v, &o->approval_ppm);
  vi(v, &o->capex_share_ppm);
  vi(v, &o->output_cents_per_kg);
  vi(v, &o->target_kg);
  vi(v, &o->budget_cents);
  vb(v, &o->inbound);
  vb(v, &o->outbound);
  vi(v, &o->speed_ppm);
  if (v->rd) {
    if (op < 0 || op >= MODEL_OPS || kind < 0 || kind >= MODEL_POLICY_KINDS)
      v->err = v->err ? v->err : MODEL_ESTATE;
    o->op = (model_op_t)op;
    o->kind = (model_policy_kind_t)kind;
  }
}

static void vevent(vis_t *v, model_event_t *e) {
  int32_t kind = (int32_t)e->kind;
  vi32(v, &kind);
  vi32(v, &e->turn);
  vstr(v, e->nation, sizeof e->nation);
  vstr(v, e->facility, sizeof e->facility);
  vi32(v, &e->product);
  vi32(v, &e->stage);
  vi(v, &e->magnitude_ppm);
  vi32(v, &e->duration);
  vorder(v, &e->policy);
  vstr(v, e->text, sizeof e->text);
  if (v->rd) {
    if (kind < 0 || kind >= MODEL_EVENT_KINDS)
      v->err = v->err ? v->err : MODEL_ESTATE;
    e->kind = (model_event_kind_t)kind;
  }
}

static void vflows(vis_t *v, model_holder_flows_t *f) {
  varr(v, f->bought, NP);
  varr(v, f->sold, NP);
  varr(v, f->produced, NP);
  varr(v, f->consumed, NP);
  varr(v, f->opening, NP);
  vi(v, &f->money_opening);
  vi(v, &f->money_in);
  vi(v, &f->money_out);
}

/* per-partner arrays: the nations in use, then the "all" slot */
static void vpartner(vis_t *v, int64_t *a, size_t n) {
  varr(v, a, n);
  vi(v, &a[ALL]);
}

static void vpartner8(vis_t *v, uint8_t *a, size_t n) {
  for (size_t i = 0; i < n; i++)
    vu8(v, &a[i]);
  vu8(v, &a[ALL]);
}

static void vnation(vis_t *v, nation_t *na, size_t n) {
  vi(v, &na->budget);
  varr(v, na->stock, NP);
  varr(v, na->stock_el, 2);
  varr(v, na->pool, NS);
  for (int s = 0; s < NS; s++)
    varr(v, na->pipeline[s], MODEL_TRAIN_TURNS_MAX);
  policies_t *p = &na->pol;
  for (int q = 0; q < NP; q++) {
    vpartner(v, p->quota[q], n);
    vpartner8(v, p->ban[q], n);
    vpartner(v, p->licence[q], n);
    vpartner(v, p->tariff[q], n);
  }
  varr(v, p->sub_capex, NS);
  varr(v, p->sub_output, NS);
  varr(v, p->floor_price, NP);
  varr(v, p->floor_qty, NP);
  varr(v, p->stock_target, NP);
  varr(v, p->talent_budget, NS);
  for (int s = 0; s < NS; s++) {
    vu8(v, &p->mig_in[s]);
    vu8(v, &p->mig_out[s]);
  }
  varr(v, p->permit_speed, NS);
  varr(v, p->prod_quota, NS);
  vi(v, &p->tax_ppm);
  varr(v, na->demand_q0, NP);
  if (v->version >= 2)
    varr(v, na->subst_ppm, NP);
  varr(v, na->surge_ppm, NP);
  varr(v, na->consumed, NP);
  varr(v, na->bought, NP);
  varr(v, na->own_supply, NP);
  vi(v, &na->value_added);
  vi(v, &na->security_ppm);
  vi(v, &na->score);
  vflows(v, &na->flows);
}

static void vseat(vis_t *v, seat_t *s) {
  vi(v, &s->cash);
  varr(v, s->inv, NP);
  varr(v, s->inv_el, 2);
  varr(v, s->staff, NS);
  for (int k = 0; k < NS; k++)
    varr(v, s->pipeline[k], MODEL_TRAIN_TURNS_MAX);
  for (int p = 0; p < NP; p++) {
    vi(v, &s->offer[p].qty);
    vi(v, &s->offer[p].price);
    vi(v, &s->bid[p].qty);
    vi(v, &s->bid[p].price);
  }
  vi32(v, &s->first_fac);
  vi32(v, &s->n_fac);
  vi(v, &s->score);
  vi(v, &s->initial_worth);
  vi(v, &s->revenue);
  vi(v, &s->costs);
  vb(v, &s->submitted);
  vsz(v, &s->n_pending, MODEL_ORDERS_MAX);
  if (v->rd && !v->err && s->n_pending) {
    s->pending = calloc(s->n_pending, sizeof *s->pending);
    if (!s->pending)
      v->err = MODEL_ENOMEM;
  }
  for (size_t k = 0; k < s->n_pending && !v->err; k++)
    vorder(v, &s->pending[k]);
  vflows(v, &s->flows);
}

static void vfac(vis_t *v, facility_t *f) {
  vstr(v, f->id, sizeof f->id);
  vi32(v, &f->owner);
  vi32(v, &f->nation);
  vi32(v, &f->stage);
  vi32(v, &f->deposit);
  vi32(v, &f->next_of_owner);
  vi(v, &f->capacity);
  vi(v, &f->util);
  vi(v, &f->cum);
  vi(v, &f->exp0);
  vi(v, &f->cost0);
  vi(v, &f->rec0);
  vi(v, &f->build_left);
  vi32(v, &f->ramp_age);
  vi(v, &f->exp_cap);
  vi(v, &f->exp_left);
  vi(v, &f->exp_done);
  vi32(v, &f->exp_age);
  vi(v, &f->book);
  vi(v, &f->outage_ppm);
  vi32(v, &f->outage_turns);
  vi(v, &f->out_last);
  vi(v, &f->staff);
  vi(v, &f->staff_needed);
  vi(v, &f->unit_cost);
  vi(v, &f->recovery);
  vi(v, &f->effective);
}

static void vmarket(vis_t *v, market_result_t *r, size_t n) {
  varr(v, r->seller_price, n);
  varr(v, r->buyer_price, n);
  vsz(v, &r->n_trades, (size_t)MODEL_SEATS_MAX * 2 + 4 * NN + 1);
  if (v->rd && !v->err && r->n_trades) {
    r->trades = calloc(r->n_trades, sizeof *r->trades);
    r->cap_trades = r->n_trades;
    if (!r->trades)
      v->err = MODEL_ENOMEM;
  }
  for (size_t k = 0; k < r->n_trades && !v->err; k++) {
    model_trade_t *t = &r->trades[k];
    vi32(v, &t->holder);
    vi32(v, &t->nation);
    vb(v, &t->is_bid);
    vi(v, &t->limit_cents);
    vi(v, &t->quantity_kg);
    vi(v, &t->filled_kg);
    vi(v, &t->price_cents);
  }
  vsz(v, &r->n_flows, (size_t)NN * NN + 2 * NN + 1);
  if (v->rd && !v->err && r->n_flows) {
    r->flows = calloc(r->n_flows, sizeof *r->flows);
    r->cap_flows = r->n_flows;
    if (!r->flows)
      v->err = MODEL_ENOMEM;
  }
  for (size_t k = 0; k < r->n_flows && !v->err; k++) {
    model_flow_t *f = &r->flows[k];
    vi32(v, &f->from);
    vi32(v, &f->to);
    vi(v, &f->flow_kg);
    vi(v, &f->cap_kg);
    vi(v, &f->transport_cents);
    vi(v, &f->tariff_cents);
    vb(v, &f->banned);
    vb(v, &f->capped);
  }
}

/* The walk. Sizes come first; on reading they must match the map. */
static void visit(vis_t *v, model_state_t *st) {
  char magic[32] = MAGIC, id[MODEL_ID_MAX];
  int64_t version = VERSION;
  uint8_t digest[MODEL_HASH_BYTES];
  memcpy(id, st->map->id, sizeof id);
  memcpy(digest, st->map->digest, sizeof digest);
  vstr(v, magic, sizeof magic);
  vi(v, &version);
  vstr(v, id, sizeof id);
  vbin(v, digest, sizeof digest);
  v->version = version;
  if (v->rd && !v->err &&
      (strcmp(magic, MAGIC) != 0 || version < 1 || version > VERSION ||
       strcmp(id, st->map->id) != 0 ||
       memcmp(digest, st->map->digest, sizeof digest) != 0)) {
    v->err = MODEL_ESTATE;
    return;
  }
  int64_t seed = (int64_t)st->seed;
  vi(v, &seed);
  st->seed = (uint64_t)seed;
  vi32(v, &st->turn);
  size_t nn = st->n_nations, ns = st->n_seats, nd = st->n_deposits;
  vsz(v, &nn, NN);
  vsz(v, &ns, MODEL_SEATS_MAX);
  vsz(v, &nd, MODEL_DEPOSITS_MAX);
  if (v->err || nn != st->n_nations || ns != st->n_seats ||
      nd != st->n_deposits) {
    v->err = MODEL_ESTATE;
    return;
  }
  size_t n = st->n_nations;
  for (size_t i = 0; i < n && !v->err; i++)
    vnation(v, &st->nations[i], n);
  for (size_t i = 0; i < st->n_seats && !v->err; i++)
    vseat(v, &st->seats[i]);
  varr(v, st->reserves, st->n_deposits);
  size_t nf = st->n_fac;
  vsz(v, &nf, MODEL_FACILITIES_MAX);
  if (v->rd && !v->err && nf) {
    st->fac = calloc(nf, sizeof *st->fac);
    if (!st->fac) {
      v->err = MODEL_ENOMEM;
      return;
    }
    st->n_fac = st->cap_fac = nf;
    for (size_t i = 0; i < nf; i++)
      st->fac[i].lg_exp0 = -1;
  }
  for (size_t i = 0; i < st->n_fac && !v->err; i++)
    vfac(v, &st->fac[i]);
  vsz(v, &st->n_effects, MODEL_EFFECTS_MAX);
  for (size_t i = 0; i < st->n_effects && !v->err; i++) {
    effect_t *e = &st->effects[i];
    int32_t kind = (int32_t)e->kind;
    vi32(v, &kind);
    e->kind = (model_event_kind_t)kind;
    vi32(v, &e->nation);
    vi32(v, &e->facility);
    vi32(v, &e->product);
    vi(v, &e->magnitude_ppm);
    vi32(v, &e->turns_left);
  }
  vsz(v, &st->n_injected, sizeof st->injected / sizeof st->injected[0]);
  for (size_t i = 0; i < st->n_injected && !v->err; i++)
    vevent(v, &st->injected[i]);
  varr(v, st->price, NP);
  for (int p = 0; p < NP; p++)
    varr(v, st->regional[p], n);
  varr(v, st->volume, NP);
  for (int p = 0; p < NP && !v->err; p++)
    vmarket(v, &st->market[p], n);
  model_report_t *r = &st->report;
  vi32(v, &r->turn);
  varr(v, r->price, NP);
  varr(v, r->volume, NP);
  varr(v, st->report_regional, (size_t)NP * n);
  varr(v, st->report_production, (size_t)NS * n);
  varr(v, st->report_capacity, (size_t)NS * n);
  varr(v, st->report_scores, st->n_seats);
  vsz(v, &r->n_news, MODEL_NEWS_MAX);
  for (size_t i = 0; i < r->n_news && !v->err; i++)
    vevent(v, &r->news[i]);
  vi(v, &r->money_sources);
  vi(v, &r->money_sinks);
  varr(v, r->produced, NP);
  varr(v, r->consumed, NP);
  vsz(v, &r->n_late_refusals, 16);
  for (size_t i = 0; i < r->n_late_refusals && !v->err; i++) {
    model_refusal_t *rf = &r->late_refusals[i];
    vsz(v, &rf->index, MODEL_ORDERS_MAX);
    vstr(v, rf->code, sizeof rf->code);
    vstr(v, rf->field, sizeof rf->field);
    vstr(v, rf->message, sizeof rf->message);
    vi32(v, &r->late_refusal_seat[i]);
  }
}

static int pack(const model_state_t *st, uint8_t **buf, size_t *len) {
  vis_t v;
  memset(&v, 0, sizeof v);
  msgpack_sbuffer_init(&v.sb);
  msgpack_packer_init(&v.pk, &v.sb, msgpack_sbuffer_write);
  /* The walk takes a non-const state because reading fills it; writing
   * never changes it. */
  visit(&v, (model_state_t *)(uintptr_t)st);
  if (v.err) {
    msgpack_sbuffer_destroy(&v.sb);
    return v.err;
  }
  *buf = (uint8_t *)v.sb.data;
  *len = v.sb.size;
  if (!*buf) {
    *buf = malloc(1);
    if (!*buf)
      return MODEL_ENOMEM;
  }
  return 0;
}

int model_state_serialise(const model_state_t *st, uint8_t **buf, size_t *len) {
  if (!st || !buf || !len)
    return MODEL_EINVAL;
  return pack(st, buf, len);
}

int model_state_deserialise(const model_map_t *map, const uint8_t *buf,
                            size_t len, model_state_t **out) {
  if (!map || !buf || !out)
    return MODEL_EINVAL;
  *out = NULL;
  int rc = model_crypto_init();
  if (rc)
    return rc;
  model_state_t *st;
  if ((rc = model_state_alloc(map, &st)))
    return rc;
  vis_t v;
  memset(&v, 0, sizeof v);
  v.rd = true;
  v.buf = buf;
  v.len = len;
  msgpack_unpacked_init(&v.un);
  visit(&v, st);
  if (!v.err && v.off != len)
    v.err = MODEL_ESTATE; /* trailing bytes */
  msgpack_unpacked_destroy(&v.un);
  if (v.err) {
    model_state_free(st);
    return v.err;
  }
  /* Permits run at a speed the permitting policy allows (0.5 to 2): the
   * model divides by it (a speed of 0 from a blob divided by zero in
   * model_observe; found by fuzz/fuzz_state.c). */
  for (size_t i = 0; i < st->n_nations; i++)
    for (int s = 0; s < NS; s++) {
      int64_t speed = st->nations[i].pol.permit_speed[s];
      if (speed < MODEL_PPM / 2 || speed > 2 * MODEL_PPM) {
        model_state_free(st);
        return MODEL_ESTATE;
      }
    }
  /* references must point inside the state; the turns left to build or
   * expand (in ppm of a turn) fit the int32 turns they came from, so
   * rounding them up cannot overflow */
  for (size_t i = 0; i < st->n_fac; i++) {
    facility_t *f = &st->fac[i];
    if (f->build_left > (int64_t)INT32_MAX * MODEL_PPM ||
        f->exp_left > (int64_t)INT32_MAX * MODEL_PPM || f->owner < 0 ||
        (size_t)f->owner >= st->n_seats || f->nation < 0 ||
        (size_t)f->nation >= st->n_nations || f->stage < 0 || f->stage >= NS ||
        f->deposit >= (int32_t)st->n_deposits ||
        (f->stage == MODEL_MINING && f->deposit < 0) ||
        f->next_of_owner >= (int32_t)st->n_fac) {
      model_state_free(st);
      return MODEL_ESTATE;
    }
  }
  /* Each seat's list of facilities (first_fac, then next_of_owner) holds
   * exactly its n_fac facilities, all its own, and the lists together hold
   * every facility once: the model walks these lists and sizes arrays by
   * n_fac (a negative or short count overflowed model_observe's buffer, a
   * cycle would never end; found by fuzz/fuzz_state.c). The bound on each
   * walk also stops a cycle. */
  size_t listed = 0;
  for (size_t s = 0; s < st->n_seats; s++) {
    int32_t n = 0;
    if (st->seats[s].first_fac >= (int32_t)st->n_fac ||
        st->seats[s].n_fac < 0) {
      model_state_free(st);
      return MODEL_ESTATE;
    }
    for (int32_t f = st->seats[s].first_fac; f >= 0;
         f = st->fac[f].next_of_owner) {
      if (st->fac[f].owner != (int32_t)s || n >= st->seats[s].n_fac) {
        model_state_free(st);
        return MODEL_ESTATE;
      }
      n++;
    }
    if (n != st->seats[s].n_fac) {
      model_state_free(st);
      return MODEL_ESTATE;
    }
    listed += (size_t)n;
  }
  if (listed != st->n_fac) {
    model_state_free(st);
    return MODEL_ESTATE;
  }
  *out = st;
  return 0;
}

int model_state_hash(const model_state_t *st, uint8_t out[MODEL_HASH_BYTES]) {
  if (!st || !out)
    return MODEL_EINVAL;
  uint8_t *buf;
  size_t len;
  int rc = model_crypto_init();
  if (rc)
    return rc;
  if ((rc = pack(st, &buf, &len)))
    return rc;
  crypto_generichash(out, MODEL_HASH_BYTES, buf, len, NULL, 0);
  free(buf);
  return 0;
}
