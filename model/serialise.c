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

#define MAGIC "lanthanide-state"
/* 2: substitution (version 1 states read with none); 3: the section of
 * model version 2 at the end, written only for maps that use one of its
 * keys (model_map_t.v2), so other maps' states keep version 2's bytes. */
#define VERSION 3

typedef struct {
  bool rd;
  int64_t version; /* of the state being read (VERSION when writing) */
  msgpack_sbuffer sb;
  msgpack_packer pk;
  const uint8_t *buf;
  size_t len, off;
  msgpack_unpacked un;
  int err;
  /* the products the walk visits in per-product arrays: those before
   * dy_oxide in the main walk, dy_oxide and tb_oxide in the section of
   * split maps (design J1), so that basket maps keep their bytes */
  int p0, p1;
  /* design J4: the stages (NS_V1, or NS on recycling maps) and products
   * (NP_V1, or NP) of the arrays the walk writes whole, so that maps
   * without recycling keep their bytes */
  int ns, np;
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

/* A count of elements that follow, each at least one byte: a count
 * larger than the bytes left is refused before anything is allocated for
 * it (a five-byte count asked for 280 MB of facilities; found by
 * fuzz/fuzz_state.c, where it cost most of the time). */
static void vcount(vis_t *v, size_t *x, size_t limit) {
  vsz(v, x, limit);
  if (v->rd && !v->err && *x > v->len - v->off)
    v->err = MODEL_ESTATE;
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

/* A per-product array, the products of the walk's range. */
static void vprod(vis_t *v, int64_t *a) {
  varr(v, a + v->p0, (size_t)(v->p1 - v->p0));
}

/* Whether the next value is the string `tag` (then it is consumed). A
 * section that only some states have starts with a tag, so that states
 * without it keep their bytes. */
static bool vtag(vis_t *v, const char *tag, bool present) {
  size_t n = strlen(tag);
  if (!v->rd) {
    if (present &&
        (msgpack_pack_str(&v->pk, n) || msgpack_pack_str_body(&v->pk, tag, n)))
      v->err = MODEL_ENOMEM;
    return present;
  }
  /* not a tag; and never handed to the unpacker, which would allocate
   * for a container's header whatever follows (next() refuses it; an
   * array header here asked for 4 GiB: found by fuzz/fuzz_state.c) */
  if (v->err || v->off >= v->len || is_container(v->buf[v->off]))
    return false;
  size_t off = v->off;
  msgpack_unpacked un;
  msgpack_unpacked_init(&un);
  bool hit = msgpack_unpack_next(&un, (const char *)v->buf, v->len, &off) ==
                 MSGPACK_UNPACK_SUCCESS &&
             un.data.type == MSGPACK_OBJECT_STR && un.data.via.str.size == n &&
             memcmp(un.data.via.str.ptr, tag, n) == 0;
  msgpack_unpacked_destroy(&un);
  if (hit)
    v->off = off;
  return hit;
}

/* The hire fields of closing the loopholes (model.h: from, apprentice),
 * after a tag of their own and only where the order has them. */
static void vorder_talent(vis_t *v, model_order_t *o) {
  if (vtag(v, "\001order-talent", o->origin[0] || o->apprentice)) {
    vstr(v, o->origin, sizeof o->origin);
    vb(v, &o->apprentice);
  }
  if (vtag(v, "\001order-index", o->index[0] != 0))
    vstr(v, o->index, sizeof o->index);
  /* subsidy foreign false (issue 11, design I2) */
  if (vtag(v, "\001order-home-only", o->home_only))
    vb(v, &o->home_only);
  if (vtag(v, "\001order-stock", o->normal_stock_kg != 0)) {
    vi(v, &o->normal_stock_kg);
    vi(v, &o->stock_discount_ppm);
    vi(v, &o->min_share_ppm);
  }
}

/* An order's issue-11 fields (model.h), after a tag and only where the
 * order has them, so that every other order keeps its bytes. */
static void vorder_more(vis_t *v, model_order_t *o) {
  bool more =
      o->op > MODEL_OP_POLICY ||
      (o->op == MODEL_OP_POLICY && o->kind >= MODEL_POL_FIRM_PRICE_FLOOR) ||
      o->firm[0] || o->contract[0] || o->seat[0] || o->choice[0] || o->host[0];
  if (!vtag(v, "\001order-v2", more))
    return;
  vstr(v, o->firm, sizeof o->firm);
  vstr(v, o->contract, sizeof o->contract);
  vstr(v, o->seat, sizeof o->seat);
  vstr(v, o->choice, sizeof o->choice);
  vstr(v, o->host, sizeof o->host);
  vi(v, &o->amount_cents);
  vi(v, &o->stake_ppm);
  vi(v, &o->turns);
  vi(v, &o->grace);
  vi(v, &o->penalty_cents_per_kg);
  vb(v, &o->two_sided);
  /* a contract's price formula (its index product is serialised under
   * the order-index tag, as a bid's) */
  vi(v, &o->index_share_ppm);
  vi(v, &o->floor_cents_per_kg);
  vi(v, &o->cap_cents_per_kg);
  vb(v, &o->consume);
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
  vorder_more(v, o);
  vorder_talent(v, o);
  /* a lapsing policy's turns (issue 11), only where set */
  if (vtag(v, "\001order-lapse", o->lapse_turns != 0))
    vi(v, &o->lapse_turns);
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
  /* an inject's audience (issue 13), after a tag of its own and only where
   * the event has one, so every other event serialises as before */
  if (v->rd)
    e->n_audience = 0;
  if (vtag(v, "\001audience", e->n_audience > 0)) {
    vi32(v, &e->n_audience);
    if (v->rd && !v->err &&
        (e->n_audience < 1 || e->n_audience > MODEL_AUDIENCE_MAX))
      v->err = MODEL_ESTATE;
    for (int32_t i = 0; i < e->n_audience && !v->err; i++)
      vi32(v, &e->audience[i]);
  }
  if (v->rd) {
    if (kind < 0 || kind >= MODEL_EVENT_KINDS)
      v->err = v->err ? v->err : MODEL_ESTATE;
    e->kind = (model_event_kind_t)kind;
  }
}

static void vflows_p(vis_t *v, model_holder_flows_t *f) {
  vprod(v, f->bought);
  vprod(v, f->sold);
  vprod(v, f->produced);
  vprod(v, f->consumed);
  vprod(v, f->opening);
}

static void vflows(vis_t *v, model_holder_flows_t *f) {
  vflows_p(v, f);
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

static void vtrade_p(vis_t *v, policies_t *p, size_t n) {
  for (int q = v->p0; q < v->p1; q++) {
    vpartner(v, p->quota[q], n);
    vpartner8(v, p->ban[q], n);
    vpartner(v, p->licence[q], n);
    vpartner(v, p->tariff[q], n);
  }
}

static void vnation(vis_t *v, nation_t *na, size_t n) {
  vi(v, &na->budget);
  vprod(v, na->stock);
  varr(v, na->stock_el, 2);
  varr(v, na->pool, v->ns);
  for (int s = 0; s < v->ns; s++)
    varr(v, na->pipeline[s], MODEL_TRAIN_TURNS_MAX);
  policies_t *p = &na->pol;
  vtrade_p(v, p, n);
  varr(v, p->sub_capex, v->ns);
  varr(v, p->sub_output, v->ns);
  vprod(v, p->floor_price);
  vprod(v, p->floor_qty);
  vprod(v, p->stock_target);
  varr(v, p->talent_budget, v->ns);
  for (int s = 0; s < v->ns; s++) {
    vu8(v, &p->mig_in[s]);
    vu8(v, &p->mig_out[s]);
  }
  varr(v, p->permit_speed, v->ns);
  varr(v, p->prod_quota, v->ns);
  vi(v, &p->tax_ppm);
  vprod(v, na->demand_q0);
  if (v->version >= 2)
    vprod(v, na->subst_ppm);
  vprod(v, na->surge_ppm);
  vprod(v, na->consumed);
  vprod(v, na->bought);
  vprod(v, na->own_supply);
  vi(v, &na->value_added);
  vi(v, &na->security_ppm);
  vi(v, &na->score);
  vflows(v, &na->flows);
}

static void vstanding_p(vis_t *v, seat_t *s) {
  for (int p = v->p0; p < v->p1; p++) {
    vi(v, &s->offer[p].qty);
    vi(v, &s->offer[p].price);
    vi(v, &s->bid[p].qty);
    vi(v, &s->bid[p].price);
  }
}

static void vseat(vis_t *v, seat_t *s) {
  vi(v, &s->cash);
  vprod(v, s->inv);
  varr(v, s->inv_el, 2);
  varr(v, s->staff, v->ns);
  for (int k = 0; k < v->ns; k++)
    varr(v, s->pipeline[k], MODEL_TRAIN_TURNS_MAX);
  vstanding_p(v, s);
  vi32(v, &s->first_fac);
  vi32(v, &s->n_fac);
  vi(v, &s->score);
  vi(v, &s->initial_worth);
  vi(v, &s->revenue);
  vi(v, &s->costs);
  vb(v, &s->submitted);
  vcount(v, &s->n_pending, MODEL_ORDERS_MAX);
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
  vcount(v, &r->n_trades, (size_t)MODEL_SEATS_MAX * 2 + 4 * NN + 1);
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
  vcount(v, &r->n_flows, (size_t)NN * NN + 2 * NN + 1);
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

/* The section of model version 2 (docs/design/model-v2.md), after
 * everything else; new fields go at its end. Each mechanic's fields are
 * there only when the map switches the mechanic on, so a mechanic added
 * later leaves the states of maps that do not use it byte for byte as
 * they were (the golden games check it). */
static void visit_v2(vis_t *v, model_state_t *st) {
  const model_map_t *m = st->map;
  bool lead = false;
  for (int s = 0; s < v->ns; s++)
    lead |= m->stage[s].two_phase;
  for (size_t i = 0; lead && i < st->n_fac && !v->err; i++) {
    vi(v, &st->fac[i].permit_left);
    vi(v, &st->fac[i].exp_permit_left);
  }
  for (size_t i = 0; m->finance && i < st->n_nations && !v->err; i++)
    vi(v, &st->nations[i].arrears);
  for (size_t i = 0; m->finance && i < st->n_seats && !v->err; i++) {
    seat_t *se = &st->seats[i];
    vi(v, &se->credit_line);
    vi(v, &se->credit_limit);
    vi(v, &se->written_off);
    vi32(v, &se->receivership);
  }
  for (size_t i = 0; m->train_caps && i < st->n_nations && !v->err; i++) {
    varr(v, st->nations[i].train_cap,
         v->ns); /* train_used is 0 between turns */
    varr(v, st->nations[i].train_kept, v->ns);
  }
  bool poach = m->poach_ppm > 0;
  for (size_t i = 0; poach && i < st->n_nations && !v->err; i++)
    varr(v, st->nations[i].pool_start, v->ns);
  for (size_t i = 0; m->mentor_ppm > 0 && i < st->n_seats && !v->err; i++)
    for (int s = 0; s < v->ns; s++)
      varr(v, st->seats[i].appr[s], MODEL_TRAIN_TURNS_MAX);
  bool learn = false;
  for (int s = 0; s < v->ns; s++)
    learn |= m->stage[s].learn;
  if (learn) {
    varr(v, st->learn_kref, v->ns);
    varr(v, st->learn_cref, v->ns);
    varr(v, st->learn_lgkref, v->ns);
    for (size_t i = 0; i < st->n_nations && !v->err; i++)
      varr(v, st->nations[i].know_how, v->ns);
    for (size_t i = 0; i < st->n_fac && !v->err; i++) {
      vi(v, &st->fac[i].anchor_cost);
      vi(v, &st->fac[i].anchor_rec);
    }
  }
  if (m->hist_turns > 0) {
    vi32(v, &st->n_hist);
    if (v->rd && (st->n_hist < 0 || st->n_hist > m->hist_turns))
      v->err = MODEL_ESTATE;
    for (int32_t t = 0; t < st->n_hist && !v->err; t++)
      vprod(v, st->hist[t]);
  }
}

static void vbid_index_p(vis_t *v, model_state_t *st);

/* Indexed standing bids (model v2, markets), after a tag and only when a
 * seat has one, so that other states keep their bytes. */
static void vbid_index(vis_t *v, model_state_t *st) {
  bool any = false;
  for (size_t i = 0; i < st->n_seats; i++)
    for (int p = 0; p < NP; p++)
      any |= st->seats[i].bid_index[p] != 0;
  if (vtag(v, "\001bid-index", any))
    vbid_index_p(v, st);
}

static void vbid_index_p(vis_t *v, model_state_t *st) {
  for (size_t i = 0; i < st->n_seats && !v->err; i++)
    for (int p = v->p0; p < v->p1; p++) {
      int32_t x = st->seats[i].bid_index[p];
      vi32(v, &x);
      if (v->rd && (x < 0 || x > NP))
        v->err = MODEL_ESTATE;
      st->seats[i].bid_index[p] = (int8_t)x;
    }
}

static void voffer_stock_p(vis_t *v, model_state_t *st) {
  for (size_t i = 0; i < st->n_seats && !v->err; i++) {
    vprod(v, st->seats[i].offer_normal);
    vprod(v, st->seats[i].offer_disc);
    vprod(v, st->seats[i].offer_min);
  }
}

/* Stock-following standing offers (model v2, markets), after a tag and
 * only when a seat has one. */
static void voffer_stock(vis_t *v, model_state_t *st) {
  bool any = false;
  for (size_t i = 0; i < st->n_seats; i++)
    for (int p = 0; p < NP; p++)
      any |= st->seats[i].offer_normal[p] != 0;
  if (!vtag(v, "\001offer-stock", any))
    return;
  voffer_stock_p(v, st);
}

/* Production quotas on output or on domestic material (design L3), after
 * a tag and only when a nation has one. */
static void vquota_basis(vis_t *v, model_state_t *st) {
  bool any = false;
  for (size_t n = 0; n < st->n_nations; n++)
    for (int s = 0; s < v->ns; s++)
      any |= st->nations[n].pol.quota_output[s] ||
             st->nations[n].pol.quota_domestic[s];
  if (!vtag(v, "\001quota-basis", any))
    return;
  for (size_t n = 0; n < st->n_nations && !v->err; n++)
    for (int s = 0; s < v->ns; s++) {
      vu8(v, &st->nations[n].pol.quota_output[s]);
      vu8(v, &st->nations[n].pol.quota_domestic[s]);
    }
}

static void vlic_p(vis_t *v, model_ext_t *x, size_t i) {
  for (int p = v->p0; p < v->p1; p++) {
    int64_t b = (int64_t)x->lic_exports[i][p];
    vi(v, &b);
    x->lic_exports[i][p] = (uint64_t)b;
    vu8(v, &x->lic_exports_all[i][p]);
  }
}

static void vorigin_p(vis_t *v, model_state_t *st) {
  model_ext_t *x = st->ext;
  size_t n = st->n_nations;
  for (size_t i = 0; i < n && !v->err; i++)
    for (int p = v->p0; p < v->p1; p++) {
      vb(v, &x->origin[i][p].on);
      vi32(v, &x->origin[i][p].to);
      vi(v, &x->origin[i][p].threshold);
      vi(v, &x->origin[i][p].approval);
      vi32(v, &x->origin[i][p].from_turn);
    }
  for (size_t i = 0; i < st->n_seats && !v->err; i++)
    vprod(v, st->seats[i].orig);
  for (size_t i = 0; i < n && !v->err; i++)
    vprod(v, st->nations[i].orig);
}

static void vbranches(vis_t *v, model_state_t *st);
static void vrecycling(vis_t *v, model_state_t *st);

/* Subsidies with foreign false (issue 11, design I2), after a tag of
 * their own and only when a nation has one. */
static void vsub_home_only(vis_t *v, model_state_t *st) {
  bool any = false;
  for (size_t n = 0; n < st->n_nations; n++)
    for (int s = 0; s < v->ns; s++)
      any |= st->nations[n].pol.sub_home_only[s] != 0;
  if (!vtag(v, "\001subsidy-home-only", any))
    return;
  for (size_t n = 0; n < st->n_nations && !v->err; n++)
    for (int s = 0; s < v->ns; s++)
      vu8(v, &st->nations[n].pol.sub_home_only[s]);
}

/* Deals and controls (model_ext_t), written only when the state has them,
 * at the end, so that other states keep their bytes. */
static void vext(vis_t *v, model_state_t *st) {
  if (!vtag(v, "\001deals", st->ext != NULL))
    return;
  if (v->rd && !(st->ext = calloc(1, sizeof *st->ext))) {
    v->err = MODEL_ENOMEM;
    return;
  }
  model_ext_t *x = st->ext;
  size_t n = st->n_nations;
  vcount(v, &x->n_support, MODEL_SUPPORT_MAX);
  for (size_t k = 0; k < x->n_support && !v->err; k++) {
    support_t *s = &x->support[k];
    vi32(v, &s->nation);
    vi32(v, &s->firm);
    vi32(v, &s->product);
    vi32(v, &s->turns_left);
    vi(v, &s->strike);
    vi(v, &s->qty);
    vb(v, &s->two_sided);
    vi(v, &s->paid_last);
  }
  vcount(v, &x->n_loans, MODEL_LOANS_MAX);
  for (size_t k = 0; k < x->n_loans && !v->err; k++) {
    loan_t *l = &x->loans[k];
    vi32(v, &l->nation);
    vi32(v, &l->firm);
    vi32(v, &l->turns_left);
    vi32(v, &l->grace_left);
    vi(v, &l->principal);
    vi(v, &l->rate_q);
    vi(v, &l->paid_last);
  }
  vcount(v, &x->n_stakes, MODEL_STAKES_MAX);
  for (size_t k = 0; k < x->n_stakes && !v->err; k++) {
    vi32(v, &x->stakes[k].nation);
    vi32(v, &x->stakes[k].firm);
    vi(v, &x->stakes[k].stake_ppm);
    vi(v, &x->stakes[k].paid);
  }
  vcount(v, &x->n_contracts, MODEL_CONTRACTS_MAX);
  for (size_t k = 0; k < x->n_contracts && !v->err; k++) {
    contract_t *c = &x->contracts[k];
    vstr(v, c->id, sizeof c->id);
    vi32(v, &c->proposer);
    vi32(v, &c->seller);
    vi32(v, &c->buyer);
    vi32(v, &c->product);
    vi32(v, &c->expires);
    vi32(v, &c->turns_left);
    vb(v, &c->accepted);
    vi(v, &c->qty);
    vi(v, &c->price);
    vi(v, &c->penalty);
    vi(v, &c->delivered_last);
    vi(v, &c->shortfall_last);
    vi(v, &c->excused_last);
    vi(v, &c->penalty_last);
    vi(v, &c->delivered_total);
    vi32(v, &c->index);
    vi(v, &c->share);
    vi(v, &c->floor);
    vi(v, &c->cap);
    vi(v, &c->price_last);
    vb(v, &c->consume);
  }
  vcount(v, &x->n_sanctions, MODEL_SANCTIONS_MAX);
  for (size_t k = 0; k < x->n_sanctions && !v->err; k++) {
    vi32(v, &x->sanctions[k].nation);
    vi32(v, &x->sanctions[k].firm);
  }
  for (size_t i = 0; i < n && !v->err; i++) {
    for (int s = 0; s < v->ns; s++) {
      int64_t b = (int64_t)x->tech_ban[i][s], c = (int64_t)x->screen[i][s];
      vi(v, &b);
      vi(v, &c);
      x->tech_ban[i][s] = (uint64_t)b;
      x->screen[i][s] = (uint64_t)c;
      vu8(v, &x->tech_ban_all[i][s]);
      vu8(v, &x->screen_all[i][s]);
    }
    vlic_p(v, x, i);
  }
  /* rules of origin, after a tag of their own (states from before them
   * have none) */
  if (!vtag(v, "\001origin", x->track1 > 0))
    return;
  vi32(v, &x->track1);
  if (v->rd && (x->track1 < 0 || (size_t)x->track1 > n))
    v->err = MODEL_ESTATE;
  vorigin_p(v, st);
}

/* Dy and Tb apart (design J1), only on split maps: the entries of
 * dy_oxide and tb_oxide in every per-product array of the walk above, in
 * its order, and the Tb element sub-accounts. Basket maps never have
 * anything in them (the products do not exist there), so their states
 * keep their bytes. */
static void vprod_range(vis_t *v, model_state_t *st, bool el);

static void vheavy_split(vis_t *v, model_state_t *st) {
  if (!vtag(v, "\001heavy-split", st->map->heavy_split))
    return;
  if (!st->map->heavy_split) { /* a basket map has no Dy or Tb */
    v->err = MODEL_ESTATE;
    return;
  }
  v->p0 = NP_BASE;
  v->p1 = NP_V1; /* not magnet_scrap: its section is vrecycling's */
  vprod_range(v, st, true);
  v->p0 = 0;
  v->p1 = NP_BASE;
}

/* The entries of products p0..p1 in every per-product array of the main
 * walk, in its order (and with el the Tb element sub-accounts): the
 * products that sections of their own add. */
static void vprod_range(vis_t *v, model_state_t *st, bool el) {
  size_t n = st->n_nations;
  for (size_t i = 0; i < n && !v->err; i++) {
    nation_t *na = &st->nations[i];
    policies_t *p = &na->pol;
    vprod(v, na->stock);
    if (el)
      vi(v, &na->stock_el[2]);
    vtrade_p(v, p, n);
    vprod(v, p->floor_price);
    vprod(v, p->floor_qty);
    vprod(v, p->stock_target);
    vprod(v, na->demand_q0);
    vprod(v, na->subst_ppm);
    vprod(v, na->surge_ppm);
    vprod(v, na->consumed);
    vprod(v, na->bought);
    vprod(v, na->own_supply);
    vflows_p(v, &na->flows);
  }
  for (size_t i = 0; i < st->n_seats && !v->err; i++) {
    seat_t *se = &st->seats[i];
    vprod(v, se->inv);
    if (el)
      vi(v, &se->inv_el[2]);
    vstanding_p(v, se);
    vflows_p(v, &se->flows);
  }
  vprod(v, st->price);
  for (int p = v->p0; p < v->p1; p++)
    varr(v, st->regional[p], n);
  vprod(v, st->volume);
  for (int p = v->p0; p < v->p1 && !v->err; p++)
    vmarket(v, &st->market[p], n);
  model_report_t *r = &st->report;
  vprod(v, r->price);
  vprod(v, r->volume);
  varr(v, st->report_regional + (size_t)v->p0 * n, (size_t)(v->p1 - v->p0) * n);
  vprod(v, r->produced);
  vprod(v, r->consumed);
  if (v->version >= 3 && st->map->hist_turns > 0)
    for (int32_t t = 0; t < st->n_hist && !v->err; t++)
      vprod(v, st->hist[t]);
  /* the optional sections' entries, each after a flag */
  bool any = false;
  for (size_t i = 0; i < st->n_seats; i++)
    for (int p = 0; p < NP; p++)
      any |= st->seats[i].bid_index[p] != 0;
  vb(v, &any);
  if (any)
    vbid_index_p(v, st);
  any = false;
  for (size_t i = 0; i < st->n_seats; i++)
    for (int p = 0; p < NP; p++)
      any |= st->seats[i].offer_normal[p] != 0;
  vb(v, &any);
  if (any)
    voffer_stock_p(v, st);
  if (st->ext) {
    for (size_t i = 0; i < n && !v->err; i++)
      vlic_p(v, st->ext, i);
    if (st->ext->track1 > 0)
      vorigin_p(v, st);
  }
}

/* Recycling (design J4), only on maps with parameters.recycling: the
 * magnet_scrap entries of every per-product array (as vheavy_split does
 * for Dy and Tb), then each nation's collection policy, end-of-life ring
 * and last collection. The stage's own entries are in the main walk
 * (vis_t.ns). */
static void vrecycling(vis_t *v, model_state_t *st) {
  const model_map_t *m = st->map;
  if (!vtag(v, "\001recycling", m->recycling))
    return;
  if (!m->recycling) {
    v->err = MODEL_ESTATE;
    return;
  }
  v->p0 = MODEL_SCRAP;
  v->p1 = NP;
  vprod_range(v, st, false);
  v->p0 = 0;
  v->p1 = NP_BASE;
  for (size_t i = 0; i < st->n_nations && !v->err; i++) {
    nation_t *na = &st->nations[i];
    vi(v, &na->pol.collect_ppm);
    varr(v, na->eol, (size_t)m->eol_life);
    vi(v, &na->collected);
    vi(v, &na->collect_paid);
    if (v->rd && (na->pol.collect_ppm < 0 || na->pol.collect_ppm > MODEL_PPM))
      v->err = MODEL_ESTATE;
  }
}

/* The walk. Sizes come first; on reading they must match the map. */
static void visit(vis_t *v, model_state_t *st) {
  char magic[32] = MAGIC, id[MODEL_ID_MAX];
  int64_t version = st->map->v2 ? VERSION : 2;
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
  v->ns = map_ns(st->map);
  v->np = st->map->recycling ? NP : NP_V1;
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
  vcount(v, &nf, MODEL_FACILITIES_MAX);
  if (v->rd && !v->err && nf) {
    st->fac = calloc(nf, sizeof *st->fac);
    if (!st->fac) {
      v->err = MODEL_ENOMEM;
      return;
    }
    st->n_fac = st->cap_fac = nf;
    for (size_t i = 0; i < nf; i++) {
      st->fac[i].lg_exp0 = -1;
      /* a map facility's own staffing ratio comes from the map (facilities
       * are never removed, so the first ones are the map's) */
      st->fac[i].staff_milli =
          i < st->map->n_facilities ? st->map->facilities[i].staff_milli : -1;
      st->fac[i].anchor_cost = MODEL_PPM;
    }
  }
  for (size_t i = 0; i < st->n_fac && !v->err; i++)
    vfac(v, &st->fac[i]);
  vcount(v, &st->n_effects, MODEL_EFFECTS_MAX);
  if (v->rd && !v->err && model_state_room(st, st->n_effects, 0))
    v->err = MODEL_ENOMEM;
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
  vcount(v, &st->n_injected, MODEL_INJECTED_MAX);
  if (v->rd && !v->err && model_state_room(st, 0, st->n_injected))
    v->err = MODEL_ENOMEM;
  for (size_t i = 0; i < st->n_injected && !v->err; i++)
    vevent(v, &st->injected[i]);
  /* scripted events turned off (issue 13), only when one is */
  bool off = false;
  for (size_t i = 0; i < sizeof st->scripted_off; i++)
    off |= st->scripted_off[i] != 0;
  if (vtag(v, "\001scripted-off", off))
    for (size_t i = 0; i < sizeof st->scripted_off && !v->err; i++) {
      int32_t b = st->scripted_off[i];
      vi32(v, &b);
      if (v->rd && !v->err && (b < 0 || b > 255))
        v->err = MODEL_ESTATE;
      st->scripted_off[i] = (uint8_t)b;
    }
  vprod(v, st->price);
  for (int p = v->p0; p < v->p1; p++)
    varr(v, st->regional[p], n);
  vprod(v, st->volume);
  for (int p = v->p0; p < v->p1 && !v->err; p++)
    vmarket(v, &st->market[p], n);
  model_report_t *r = &st->report;
  vi32(v, &r->turn);
  vprod(v, r->price);
  vprod(v, r->volume);
  varr(v, st->report_regional + (size_t)v->p0 * n, (size_t)(v->p1 - v->p0) * n);
  varr(v, st->report_production, (size_t)v->ns * n);
  varr(v, st->report_capacity, (size_t)v->ns * n);
  varr(v, st->report_scores, st->n_seats);
  vcount(v, &r->n_news, MODEL_NEWS_MAX);
  for (size_t i = 0; i < r->n_news && !v->err; i++)
    vevent(v, &r->news[i]);
  vi(v, &r->money_sources);
  vi(v, &r->money_sinks);
  vprod(v, r->produced);
  vprod(v, r->consumed);
  vcount(v, &r->n_late_refusals, 16);
  for (size_t i = 0; i < r->n_late_refusals && !v->err; i++) {
    model_refusal_t *rf = &r->late_refusals[i];
    vsz(v, &rf->index, MODEL_ORDERS_MAX);
    vstr(v, rf->code, sizeof rf->code);
    vstr(v, rf->field, sizeof rf->field);
    vstr(v, rf->message, sizeof rf->message);
    vi32(v, &r->late_refusal_seat[i]);
  }
  if (v->version >= 3)
    visit_v2(v, st);
  vext(v, st);
  vbid_index(v, st);
  voffer_stock(v, st);
  vquota_basis(v, st);
  vsub_home_only(v, st);
  /* plants abroad (issue 11), only when a game has one */
  bool abroad = false;
  for (size_t i = 0; i < st->n_fac; i++)
    abroad |= st->fac[i].abroad;
  if (vtag(v, "\001abroad", abroad))
    for (size_t i = 0; i < st->n_fac && !v->err; i++)
      vb(v, &st->fac[i].abroad);
  /* qualification (issue 11), only on maps with parameters.qualification */
  if (vtag(v, "\001qualification", st->map->qual_turns > 0))
    for (size_t i = 0; i < st->n_seats && !v->err; i++) {
      vi32(v, &st->seats[i].qual_done);
      vb(v, &st->seats[i].qualified);
    }
  vheavy_split(v, st);
  /* Dy thrifting (design J3), only once a plant has ordered a recipe */
  bool thrift = false;
  for (size_t i = 0; i < st->n_fac; i++)
    thrift |= st->fac[i].recipe_dy_target != 0;
  if (vtag(v, "\001thrift", thrift))
    for (size_t i = 0; i < st->n_fac && !v->err; i++) {
      facility_t *f = &st->fac[i];
      vi(v, &f->recipe_dy_now);
      vi(v, &f->recipe_dy_target);
      vi32(v, &f->thrift_left);
      if (v->rd && !v->err &&
          (f->recipe_dy_now < 0 || f->recipe_dy_now > 10 * MODEL_PPM ||
           f->recipe_dy_target < 0 || f->recipe_dy_target > 10 * MODEL_PPM ||
           f->thrift_left < 0 || f->thrift_left > 40))
        v->err = MODEL_ESTATE;
    }
  /* demand by sector (issue 11), only on maps whose demand lists sectors:
   * each line's trend, substitution and last purchases, and the security
   * credit of lines cleared in other markets */
  if (vtag(v, "\001sectors", st->map->sectors))
    for (size_t i = 0; i < st->n_nations && !v->err; i++) {
      nation_t *na = &st->nations[i];
      /* the map's products only, so a basket map's section has the
       * bytes it had before Dy and Tb were products */
      for (int p = 0; p < NP; p++) {
        if (!map_has(st->map, p))
          continue;
        varr(v, na->sec_q0[p], MODEL_SECTORS);
        varr(v, na->sec_subst[p], MODEL_SECTORS);
        varr(v, na->sec_consumed[p], MODEL_SECTORS);
        varr(v, na->sec_price[p], MODEL_SECTORS);
      }
      for (int p = 0; p < NP; p++)
        if (map_has(st->map, p))
          vi(v, &na->credit_bought[p]);
      for (int p = 0; p < NP; p++)
        if (map_has(st->map, p))
          vi(v, &na->credit_own[p]);
    }
  /* lapsing policies (issue 11), only while one is set: the nation, the
   * turn it lapses and the policy that returns then */
  if (vtag(v, "\001lapses", st->ext && st->ext->n_lapses > 0)) {
    if (v->rd && !st->ext && !(st->ext = calloc(1, sizeof *st->ext)))
      v->err = MODEL_ENOMEM;
    model_ext_t *x = st->ext;
    if (x) {
      vcount(v, &x->n_lapses, MODEL_LAPSES_MAX);
      for (size_t k = 0; k < x->n_lapses && !v->err; k++) {
        vi32(v, &x->lapses[k].nation);
        vi32(v, &x->lapses[k].due);
        vorder(v, &x->lapses[k].prev);
        if (v->rd && (x->lapses[k].nation < 0 ||
                      (size_t)x->lapses[k].nation >= st->n_nations ||
                      x->lapses[k].prev.op != MODEL_OP_POLICY))
          v->err = MODEL_ESTATE;
      }
    }
  }
  vbranches(v, st);
  vrecycling(v, st);
}

/* Branches abroad and transfers (issue 11, design I2; model_br_t), after
 * a tag of their own, only when the state has them (maps with
 * parameters.branches). */
static void vbranches(vis_t *v, model_state_t *st) {
  if (!vtag(v, "\001branches", st->br != NULL))
    return;
  if (v->rd && !(st->br = calloc(1, sizeof *st->br))) {
    v->err = MODEL_ENOMEM;
    return;
  }
  model_br_t *br = st->br;
  vcount(v, &br->n, MODEL_BRANCHES_MAX);
  for (size_t b = 0; b < br->n && !v->err; b++) {
    branch_t *x = &br->b[b];
    vi32(v, &x->seat);
    vi32(v, &x->nation);
    varr(v, x->inv, v->np);
    varr(v, x->inv_el, NEL);
    varr(v, x->orig, v->np);
    for (int p = 0; p < v->np; p++) {
      vi(v, &x->offer[p].qty);
      vi(v, &x->offer[p].price);
      vi(v, &x->bid[p].qty);
      vi(v, &x->bid[p].price);
    }
    vi(v, &x->revenue);
    vi(v, &x->costs);
    vi(v, &x->tax_last);
    varr(v, x->flows.opening, v->np);
    varr(v, x->flows.produced, v->np);
    varr(v, x->flows.consumed, v->np);
    varr(v, x->flows.bought, v->np);
    varr(v, x->flows.sold, v->np);
  }
  vcount(v, &br->n_transfers, MODEL_TRANSFERS_MAX);
  for (size_t k = 0; k < br->n_transfers && !v->err; k++) {
    transfer_t *t = &br->t[k];
    vi32(v, &t->seat);
    vi32(v, &t->product);
    vi32(v, &t->from);
    vi32(v, &t->to);
    vi(v, &t->qty);
    vi(v, &t->moved_last);
    vi(v, &t->excused_last);
  }
}

/* The branches' references point inside the state. */
static bool br_ok(const model_state_t *st) {
  const model_br_t *br = st->br;
  int32_t S = (int32_t)st->n_seats, N = (int32_t)st->n_nations;
  for (size_t b = 0; b < br->n; b++)
    if (br->b[b].seat < 0 || br->b[b].seat >= S || br->b[b].nation < 0 ||
        br->b[b].nation >= N ||
        st->map->seats[br->b[b].seat].kind != MODEL_SEAT_FIRM)
      return false;
  for (size_t k = 0; k < br->n_transfers; k++) {
    const transfer_t *t = &br->t[k];
    if (t->seat < 0 || t->seat >= S || t->from < 0 || t->from >= N ||
        t->to < 0 || t->to >= N || t->product < 0 || t->product >= NP)
      return false;
  }
  return true;
}

static int pack(const model_state_t *st, uint8_t **buf, size_t *len) {
  vis_t v;
  memset(&v, 0, sizeof v);
  v.p1 = NP_BASE;
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

/* The extension's references point inside the state. */
static bool ext_ok(const model_state_t *st) {
  const model_ext_t *x = st->ext;
  int32_t S = (int32_t)st->n_seats, N = (int32_t)st->n_nations;
#define SEAT_OK(i)   ((i) >= 0 && (i) < S)
#define NATION_OK(i) ((i) >= 0 && (i) < N)
  for (size_t k = 0; k < x->n_support; k++)
    if (!NATION_OK(x->support[k].nation) || !SEAT_OK(x->support[k].firm) ||
        x->support[k].product < 0 || x->support[k].product >= NP)
      return false;
  for (size_t k = 0; k < x->n_loans; k++)
    if (!NATION_OK(x->loans[k].nation) || !SEAT_OK(x->loans[k].firm))
      return false;
  for (size_t k = 0; k < x->n_stakes; k++)
    if (!NATION_OK(x->stakes[k].nation) || !SEAT_OK(x->stakes[k].firm))
      return false;
  for (size_t k = 0; k < x->n_contracts; k++) {
    const contract_t *c = &x->contracts[k];
    if (!SEAT_OK(c->proposer) || !SEAT_OK(c->seller) || !SEAT_OK(c->buyer) ||
        c->product < 0 || c->product >= NP)
      return false;
  }
  for (size_t k = 0; k < x->n_sanctions; k++)
    if (!NATION_OK(x->sanctions[k].nation) || !SEAT_OK(x->sanctions[k].firm))
      return false;
#undef SEAT_OK
#undef NATION_OK
  return true;
}

/* Whether every count of people in the state is within +-2^40, so that
 * the model's sums of them (a seat's trainees over the pipeline, a
 * nation's staff) cannot overflow. */
static bool people_ok(const model_state_t *st) {
  const int64_t max = (int64_t)1 << 40;
#define PEOPLE_OK(x) ((x) >= -max && (x) <= max)
  for (size_t i = 0; i < st->n_nations; i++)
    for (int s = 0; s < NS; s++) {
      if (!PEOPLE_OK(st->nations[i].pool[s]))
        return false;
      for (int k = 0; k < MODEL_TRAIN_TURNS_MAX; k++)
        if (!PEOPLE_OK(st->nations[i].pipeline[s][k]))
          return false;
    }
  for (size_t i = 0; i < st->n_seats; i++)
    for (int s = 0; s < NS; s++) {
      if (!PEOPLE_OK(st->seats[i].staff[s]))
        return false;
      for (int k = 0; k < MODEL_TRAIN_TURNS_MAX; k++)
        if (!PEOPLE_OK(st->seats[i].pipeline[s][k]))
          return false;
    }
  for (size_t i = 0; i < st->n_fac; i++)
    if (!PEOPLE_OK(st->fac[i].staff) || !PEOPLE_OK(st->fac[i].staff_needed))
      return false;
#undef PEOPLE_OK
  return true;
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
  v.p1 = NP_BASE;
  v.rd = true;
  v.buf = buf;
  v.len = len;
  /* the fields a map without recycling does not serialise (the stage's
   * and magnet_scrap's entries, design J4) keep the values of no policy;
   * the walk overwrites the rest */
  for (size_t n = 0; n < st->n_nations; n++) {
    model_policies_default(&st->nations[n].pol);
    memcpy(st->nations[n].train_cap, map->nations[n].train_cap,
           sizeof st->nations[n].train_cap);
  }
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
  /* People (pools, staff, trainees) are counts no game comes near 2^40
   * of; a blob's larger ones overflowed the observation's sum of a
   * seat's trainees (found by fuzz/fuzz_state.c). */
  if (!people_ok(st)) {
    model_state_free(st);
    return MODEL_ESTATE;
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
  /* fields a map's mechanics do not use are not serialised: give them
   * the values model_state_new gives (a nation without training capacity
   * has -1, no limit, not the 0 of a fresh allocation) */
  if (!map->train_caps)
    for (size_t n = 0; n < st->n_nations; n++)
      memcpy(st->nations[n].train_cap, map->nations[n].train_cap,
             sizeof st->nations[n].train_cap);
  /* the products a basket map does not have are not serialised: give
   * their policies the values of no policy (model_policies_default) */
  if (!map->heavy_split)
    for (size_t n = 0; n < st->n_nations; n++)
      for (int p = NP_BASE; p < NP; p++) {
        policies_t *pol = &st->nations[n].pol;
        for (int j = 0; j <= NN; j++) {
          pol->quota[p][j] = -1;
          pol->licence[p][j] = MODEL_PPM;
        }
        pol->stock_target[p] = -1;
      }
  if ((st->ext && !ext_ok(st)) || (st->br && !br_ok(st))) {
    model_state_free(st);
    return MODEL_ESTATE;
  }
  /* a state stored before its map had branches: none yet */
  if (map->branches && !st->br && model_branches_alloc(st) != 0) {
    model_state_free(st);
    return MODEL_ENOMEM;
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
