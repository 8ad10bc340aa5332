/*
 * Order maps, observations and turn summaries on the wire (see
 * proto_types.h). Every conversion between wire units and the model's
 * integers goes through model.h's unit helpers.
 */
#include "proto_types.h"

#include <stdio.h>
#include <string.h>

/* ---- Parsing helpers ----------------------------------------------------- */

static int refuse(model_refusal_t *r, const char *field, const char *fmt,
                  const char *a, const char *b) {
  snprintf(r->code, sizeof r->code, "invalid_order");
  snprintf(r->field, sizeof r->field, "%s", field);
  snprintf(r->message, sizeof r->message, fmt, a ? a : "", b ? b : "");
  return -1;
}

/* Copy a proto_param_* error into the refusal. */
static int from_err(model_refusal_t *r, const proto_error_t *e) {
  snprintf(r->code, sizeof r->code, "invalid_order");
  snprintf(r->field, sizeof r->field, "%.31s", e->field);
  snprintf(r->message, sizeof r->message, "%.255s", e->message);
  return -1;
}

/* A string field copied into an id buffer. 1 present, 0 absent, -1 bad. */
static int get_id(const msgpack_object *o, const char *key, bool required,
                  char out[MODEL_ID_MAX], model_refusal_t *r) {
  proto_error_t e;
  const char *s;
  uint32_t len;
  int rc = proto_param_str(o, key, required, &s, &len, &e);
  if (rc < 0)
    return from_err(r, &e);
  if (rc == 0)
    return 0;
  if (len == 0 || len >= MODEL_ID_MAX) {
    char n[16];
    snprintf(n, sizeof n, "%d", MODEL_ID_MAX - 1);
    return refuse(r, key, "field '%s' must be an id of 1 to %s bytes", key, n);
  }
  memcpy(out, s, len);
  out[len] = '\0';
  return 1;
}

/* The names a name field allows, as a refusal lists them:
 * "concentrate, ndpr_oxide, ...". */
static const char *allowed_names(const model_field_t *f, char *buf,
                                 size_t cap) {
  int n;
  const char *const *names = model_field_names(f->type, &n);
  size_t w = 0;
  buf[0] = '\0';
  for (int i = 0; names && i < n && w < cap; i++)
    w += (size_t)snprintf(buf + w, cap - w, "%s%s", i ? ", " : "", names[i]);
  return buf;
}

/* A name field (product, stage or skill) mapped through its names; the
 * message lists what is allowed. */
static int get_enum(const msgpack_object *o, const model_field_t *f,
                    bool required, int32_t *out, model_refusal_t *r) {
  char buf[MODEL_ID_MAX], allowed[128];
  allowed_names(f, allowed, sizeof allowed);
  int rc = get_id(o, f->key, required, buf, r);
  if (rc <= 0) {
    if (rc < 0 && strstr(r->message, "bytes")) /* an over-long name */
      return refuse(r, f->key, "field '%s' must be one of: %s", f->key,
                    allowed);
    return rc;
  }
  int n;
  const char *const *names = model_field_names(f->type, &n);
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], buf) == 0) {
      *out = i;
      return 1;
    }
  return refuse(r, f->key, "field '%s' must be one of: %s", f->key, allowed);
}

/* A number converted to the field's unit and checked against its range
 * in wire units; the message says the unit and range (f->allowed). */
static int get_num(const msgpack_object *o, const model_field_t *f,
                   bool required, int64_t *out, model_refusal_t *r) {
  proto_error_t e;
  double d;
  int rc = proto_param_f64(o, f->key, required, &d, &e);
  if (rc < 0) {
    /* Say the unit and range, not only the type. */
    if (strstr(e.message, "got"))
      return refuse(r, f->key, "field '%s' must be %s", f->key, f->allowed);
    return from_err(r, &e);
  }
  if (rc == 0)
    return 0;
  if (!(d >= f->min && d <= f->max) ||
      model_unit_to_internal(f->unit, d, out) != 0)
    return refuse(r, f->key, "field '%s' must be %s", f->key, f->allowed);
  return 1;
}

static int get_bool(const msgpack_object *o, const char *key, bool required,
                    bool *out, model_refusal_t *r) {
  proto_error_t e;
  int rc = proto_param_bool(o, key, required, out, &e);
  return rc < 0 ? from_err(r, &e) : rc;
}

/* `to` / `from`: a nation id or "all" (the default). */
static int get_partner(const msgpack_object *o, const char *key, char *out,
                       model_refusal_t *r) {
  int rc = get_id(o, key, false, out, r);
  if (rc < 0 && !r->field[0])
    snprintf(r->field, sizeof r->field, "%s", key);
  if (rc == 0)
    snprintf(out, MODEL_ID_MAX, "all");
  return rc < 0 ? -1 : 0;
}

/* One field of the order's schema into its place in *out. */
static int parse_field(const msgpack_object *o, const model_field_t *f,
                       model_order_t *out, model_refusal_t *r) {
  char *at = (char *)out + f->offset;
  bool required =
      f->presence == MODEL_FIELD_REQUIRED ||
      (f->presence == MODEL_FIELD_IF_QUANTITY && out->quantity_kg > 0);
  int rc;
  switch (f->type) {
  case MODEL_FIELD_PRODUCT:
  case MODEL_FIELD_STAGE:
  case MODEL_FIELD_SKILL:
    return get_enum(o, f, required, (int32_t *)(void *)at, r) < 0 ? -1 : 0;
  case MODEL_FIELD_ID:
    return get_id(o, f->key, required, at, r) < 0 ? -1 : 0;
  case MODEL_FIELD_PARTNER:
    return get_partner(o, f->key, at, r);
  case MODEL_FIELD_NUMBER:
  case MODEL_FIELD_INTEGER:
    rc = get_num(o, f, required, (int64_t *)(void *)at, r);
    if (rc < 0)
      return -1;
    /* nil (or absent) lifts a quota (PROTOCOL.md). */
    if (f->presence == MODEL_FIELD_NIL_LIFTS)
      out->lift = rc == 0;
    return 0;
  case MODEL_FIELD_BOOL:
    if (f->presence == MODEL_FIELD_NEGATED) {
      /* stored negated: absent (true) is false inside */
      bool w = true;
      if (get_bool(o, f->key, false, &w, r) < 0)
        return -1;
      *(bool *)(void *)at = !w;
      return 0;
    }
    return get_bool(o, f->key, required, (bool *)(void *)at, r) < 0 ? -1 : 0;
  }
  return refuse(r, f->key, "field '%s' has no type%s", f->key, NULL);
}

/* "build, operate, ..." or "export_quota, export_ban, ...". */
static const char *name_list(bool kinds, char *buf, size_t cap) {
  size_t w = 0;
  int n = kinds ? MODEL_POLICY_KINDS : MODEL_OPS;
  buf[0] = '\0';
  for (int i = 0; i < n && w < cap; i++)
    w += (size_t)snprintf(buf + w, cap - w, "%s%s", i ? ", " : "",
                          kinds ? model_policy_name(i) : model_op_name(i));
  return buf;
}

int proto_order_parse(const msgpack_object *o, model_order_t *out,
                      model_refusal_t *r) {
  char list[256];
  memset(out, 0, sizeof *out);
  memset(r, 0, sizeof *r);
  if (o->type != MSGPACK_OBJECT_MAP)
    return refuse(r, "",
                  "an order must be a map such as {\"op\": \"bid\", "
                  "...}, got %s%s",
                  proto_type_name(o), NULL);
  char op[MODEL_ID_MAX];
  if (get_id(o, "op", true, op, r) < 0)
    return -1;
  int v = model_op_from_name(op);
  if (v < 0)
    return refuse(r, "op", "field 'op' must be one of: %s; got '%s'",
                  name_list(false, list, sizeof list), op);
  out->op = (model_op_t)v;
  out->stage = out->product = out->skill = -1;
  int kind = -1;
  if (out->op == MODEL_OP_POLICY) {
    char k[MODEL_ID_MAX];
    if (get_id(o, "kind", true, k, r) < 0)
      return -1;
    kind = model_policy_from_name(k);
    if (kind < 0)
      return refuse(r, "kind", "field 'kind' must be one of: %s%s",
                    name_list(true, list, sizeof list), NULL);
    out->kind = (model_policy_kind_t)kind;
  }
  const model_order_schema_t *s = model_order_schema(out->op, kind);
  for (size_t i = 0; i < s->n_fields; i++)
    if (parse_field(o, &s->fields[i], out, r) < 0)
      return -1;
  /* The one rule across fields the wire checks: where a mine goes. */
  if (out->op == MODEL_OP_BUILD && out->stage == MODEL_MINING &&
      !out->site[0] && !out->facility[0])
    return refuse(r, "site",
                  "a mine is built at a deposit: give field 'site' (a "
                  "deposit id from the map)%s%s",
                  NULL, NULL);
  return 0;
}

/* ---- Packing --------------------------------------------------------------
 * Packers return the OR of msgpack's results: 0 when every write succeeded.
 */

static int kv_name(msgpack_packer *pk, const char *k, const char *v) {
  return proto_pack_kv_cstr(pk, k, v ? v : "");
}

static int kv_t(msgpack_packer *pk, const char *k, int64_t kg) {
  return proto_pack_kv_f64(pk, k, model_kg_to_tonnes(kg));
}

static int kv_usdkg(msgpack_packer *pk, const char *k, int64_t cents) {
  return proto_pack_kv_f64(pk, k, model_cents_to_usd(cents));
}

static int kv_frac(msgpack_packer *pk, const char *k, int64_t ppm) {
  return proto_pack_kv_f64(pk, k, model_ppm_to_fraction(ppm));
}

/* Whether a field is left out of the packed map (an empty site). */
static bool omitted(const model_order_t *o, const model_field_t *f) {
  if (!f->omit_empty)
    return false;
  const char *at = (const char *)o + f->offset;
  if (f->type == MODEL_FIELD_NUMBER || f->type == MODEL_FIELD_INTEGER) {
    int64_t v;
    memcpy(&v, at, sizeof v);
    return v == 0;
  }
  if (f->type == MODEL_FIELD_BOOL) {
    bool b;
    memcpy(&b, at, sizeof b);
    return !b; /* false, or a negated field at its default (true) */
  }
  return !at[0];
}

static int pack_field(msgpack_packer *pk, const model_order_t *o,
                      const model_field_t *f) {
  const char *at = (const char *)o + f->offset;
  int32_t name;
  int n;
  const char *const *names;
  switch (f->type) {
  case MODEL_FIELD_PRODUCT:
  case MODEL_FIELD_STAGE:
  case MODEL_FIELD_SKILL:
    memcpy(&name, at, sizeof name);
    names = model_field_names(f->type, &n);
    return kv_name(pk, f->key, name >= 0 && name < n ? names[name] : NULL);
  case MODEL_FIELD_ID:
    return kv_name(pk, f->key, at);
  case MODEL_FIELD_PARTNER:
    return kv_name(pk, f->key, !at[0] || strcmp(at, "all") == 0 ? "all" : at);
  case MODEL_FIELD_NUMBER:
  case MODEL_FIELD_INTEGER: {
    int64_t v;
    memcpy(&v, at, sizeof v);
    if (f->presence == MODEL_FIELD_NIL_LIFTS && o->lift)
      return proto_pack_kv_nil(pk, f->key);
    if (f->type == MODEL_FIELD_INTEGER)
      return proto_pack_kv_i64(pk, f->key, v);
    return proto_pack_kv_f64(pk, f->key, model_unit_to_wire(f->unit, v));
  }
  case MODEL_FIELD_BOOL: {
    bool b;
    memcpy(&b, at, sizeof b);
    return proto_pack_kv_bool(pk, f->key,
                              f->presence == MODEL_FIELD_NEGATED ? !b : b);
  }
  }
  return proto_pack_kv_nil(pk, f->key);
}

int proto_pack_order(msgpack_packer *pk, const model_order_t *o) {
  const model_order_schema_t *s = model_order_schema(o->op, (int)o->kind);
  if (!s)
    return msgpack_pack_nil(pk);
  /* op, the policy's kind, then the schema's fields in its order. */
  size_t n = 1 + (s->kind >= 0);
  for (size_t i = 0; i < s->n_fields; i++)
    n += !omitted(o, &s->fields[i]);
  int rc = msgpack_pack_map(pk, n);
  rc |= kv_name(pk, "op", model_op_name(o->op));
  if (s->kind >= 0)
    rc |= kv_name(pk, "kind", s->name);
  for (size_t i = 0; i < s->n_fields; i++)
    if (!omitted(o, &s->fields[i]))
      rc |= pack_field(pk, o, &s->fields[i]);
  return rc;
}

/* ---- Observation -----------------------------------------------------------
 */

double proto_score(int64_t score_ppm) {
  return model_ppm_to_fraction(score_ppm);
}

/* Design J4: the products and stages an observation lists. Every map
 * lists the first seven products (absent heavies with zeros, design J1)
 * and the first three stages; magnet_scrap and recycling, the last of
 * their enums, only where the map has them, so other maps' observations
 * keep their bytes. */
static int obs_np(const model_obs_t *obs) {
  return obs->rules.products[MODEL_SCRAP] ? MODEL_PRODUCTS : MODEL_SCRAP;
}
static int obs_ns(const model_obs_t *obs) {
  return obs->rules.stages[MODEL_RECYCLING] ? MODEL_STAGES : MODEL_RECYCLING;
}
static int map_np(const model_map_t *m) {
  return model_map_has_product(m, MODEL_SCRAP) ? MODEL_PRODUCTS : MODEL_SCRAP;
}
static int map_ns(const model_map_t *m) {
  return model_map_has_stage(m, MODEL_RECYCLING) ? MODEL_STAGES
                                                 : MODEL_RECYCLING;
}

/* {product: tonnes} for the first np products of a per-product array. */
static int pack_products_t(msgpack_packer *pk, const int64_t *kg, int np) {
  int rc = msgpack_pack_map(pk, (uint32_t)np);
  for (int p = 0; p < np; p++)
    rc |= kv_t(pk, model_product_name(p), kg[p]);
  return rc;
}

static int pack_products_usd(msgpack_packer *pk, const int64_t *cents, int np) {
  int rc = msgpack_pack_map(pk, (uint32_t)np);
  for (int p = 0; p < np; p++)
    rc |= kv_usdkg(pk, model_product_name(p), cents[p]);
  return rc;
}

/* {key(i): {nation: value}} over a [i * n_nations + nation] array. */
static int pack_by_nation(msgpack_packer *pk, int rows,
                          const char *(*row_name)(int), size_t n_nations,
                          const char *nation_id(const void *, size_t),
                          const void *ctx, const int64_t *v, bool price) {
  int rc = msgpack_pack_map(pk, (size_t)rows);
  for (int i = 0; i < rows; i++) {
    rc |= proto_pack_cstr(pk, row_name(i));
    rc |= msgpack_pack_map(pk, n_nations);
    for (size_t n = 0; n < n_nations; n++) {
      int64_t x = v[(size_t)i * n_nations + n];
      if (price)
        rc |= kv_usdkg(pk, nation_id(ctx, n), x);
      else
        rc |= kv_t(pk, nation_id(ctx, n), x);
    }
  }
  return rc;
}

static const char *obs_nation(const void *ctx, size_t i) {
  return ((const model_obs_t *)ctx)->nations[i];
}

static const char *map_nation(const void *ctx, size_t i) {
  return model_map_nation_id((const model_map_t *)ctx, i);
}

static int pack_facility(msgpack_packer *pk, const model_obs_facility_t *f) {
  /* design J3: a magnet plant's recipe, once it has ordered one */
  bool thrift = f->heavy_recipe_target_ppm > 0;
  int rc = msgpack_pack_map(pk, 19 + (thrift ? 3 : 0));
  if (thrift) {
    rc |= kv_frac(pk, "heavy_recipe", f->heavy_recipe_ppm);
    rc |= kv_frac(pk, "heavy_recipe_target", f->heavy_recipe_target_ppm);
    rc |= proto_pack_kv_i64(pk, "thrift_turns_left", f->thrift_turns_left);
  }
  rc |= kv_t(pk, "experience_effective", f->effective_experience_kg);
  rc |= kv_name(pk, "id", f->id);
  rc |= kv_name(pk, "stage", model_stage_name(f->stage));
  rc |= kv_name(pk, "site", f->site);
  rc |= kv_name(pk, "nation", f->nation);
  rc |= kv_t(pk, "capacity", f->capacity_kg_per_year);
  rc |= kv_t(pk, "effective_capacity", f->effective_kg_per_year);
  rc |= kv_frac(pk, "utilisation", f->utilisation_ppm);
  rc |= kv_name(pk, "status",
                f->status == MODEL_FAC_BUILDING ? "building" : "operating");
  rc |= proto_pack_kv_i64(pk, "turns_left", f->turns_left);
  rc |= proto_pack_kv_i64(pk, "staff", f->staff);
  rc |= proto_pack_kv_i64(pk, "staff_needed", f->staff_needed);
  rc |= kv_usdkg(pk, "unit_cost", f->unit_cost_cents_per_kg);
  rc |= kv_frac(pk, "recovery", f->recovery_ppm);
  rc |= kv_t(pk, "output", f->output_kg);
  rc |= kv_t(pk, "experience", f->cumulative_kg);
  rc |= kv_t(pk, "expanding", f->expanding_kg_per_year);
  rc |= proto_pack_kv_i64(pk, "expansion_turns_left", f->expansion_turns_left);
  rc |= proto_pack_kv_i64(pk, "permit_turns_left", f->permit_turns_left);
  return rc;
}

static int pack_skills(msgpack_packer *pk, const int64_t *v, int ns) {
  int rc = msgpack_pack_map(pk, (uint32_t)ns);
  for (int s = 0; s < ns; s++)
    rc |= proto_pack_kv_i64(pk, model_skill_name(s), v[s]);
  return rc;
}

/* A contract or open proposal as both its parties see it (docs/protocol.md,
 * "Contracts"; an addition of issue 11). */
int proto_pack_contract(msgpack_packer *pk, const model_obs_contract_t *c) {
  bool formula = c->index_product >= 0;
  int rc = msgpack_pack_map(pk, 17 + (formula ? 4 : 0) + c->consume);
  if (c->consume)
    rc |= proto_pack_kv_bool(pk, "consume", true);
  rc |= kv_name(pk, "id", c->id);
  rc |= kv_usdkg(pk, "price_last", c->price_last_cents_per_kg);
  if (formula) {
    rc |= kv_name(pk, "index", model_product_name(c->index_product));
    rc |= kv_frac(pk, "share", c->index_share_ppm);
    rc |= kv_usdkg(pk, "floor", c->floor_cents_per_kg);
    rc |= kv_usdkg(pk, "cap", c->cap_cents_per_kg);
  }
  rc |= kv_name(pk, "proposer", c->proposer);
  rc |= kv_name(pk, "seller", c->seller);
  rc |= kv_name(pk, "buyer", c->buyer);
  rc |= kv_name(pk, "product", model_product_name(c->product));
  rc |= kv_name(pk, "status", c->accepted ? "running" : "proposed");
  rc |= proto_pack_kv_i64(pk, "expires", c->expires);
  rc |= proto_pack_kv_i64(pk, "turns_left", c->turns_left);
  rc |= kv_t(pk, "quantity", c->quantity_kg);
  rc |= kv_usdkg(pk, "price", c->price_cents_per_kg);
  rc |= kv_usdkg(pk, "penalty", c->penalty_cents_per_kg);
  rc |= kv_t(pk, "delivered", c->delivered_kg);
  rc |= kv_t(pk, "shortfall", c->shortfall_kg);
  rc |= kv_t(pk, "excused", c->excused_kg);
  rc |= proto_pack_kv_f64(pk, "penalty_paid",
                          model_cents_to_usd(c->penalty_cents));
  rc |= kv_t(pk, "delivered_total", c->delivered_total_kg);
  return rc;
}

static const char *const SUPPORT_KINDS[] = {"firm_price_floor", "loan",
                                            "equity"};

/* State support in force, public (issue 11). */
static int pack_support(msgpack_packer *pk, const model_obs_support_t *x) {
  bool floor = x->kind == MODEL_SUPPORT_FLOOR;
  int rc = msgpack_pack_map(pk, floor                           ? 9
                                : x->kind == MODEL_SUPPORT_LOAN ? 7
                                                                : 5);
  rc |= kv_name(pk, "kind", SUPPORT_KINDS[x->kind]);
  rc |= kv_name(pk, "nation", x->nation);
  rc |= kv_name(pk, "firm", x->firm);
  if (floor) {
    rc |= kv_name(pk, "product", model_product_name(x->product));
    rc |= kv_usdkg(pk, "price", x->price_cents_per_kg);
    rc |= kv_t(pk, "quantity", x->quantity_kg);
    rc |= proto_pack_kv_bool(pk, "two_sided", x->two_sided);
    rc |= proto_pack_kv_i64(pk, "turns_left", x->turns_left);
    rc |= proto_pack_kv_f64(pk, "paid_last", model_cents_to_usd(x->last_cents));
  } else if (x->kind == MODEL_SUPPORT_LOAN) {
    rc |= proto_pack_kv_f64(pk, "owed", model_cents_to_usd(x->amount_cents));
    rc |= kv_frac(pk, "rate", x->rate_ppm);
    rc |=
        proto_pack_kv_f64(pk, "repaid_last", model_cents_to_usd(x->last_cents));
    rc |= proto_pack_kv_i64(pk, "turns_left", x->turns_left);
  } else {
    rc |= proto_pack_kv_f64(pk, "paid", model_cents_to_usd(x->amount_cents));
    rc |= kv_frac(pk, "stake", x->rate_ppm);
  }
  return rc;
}

/* A branch's standing offers (or bids): [{product, quantity, price}]. */
static int pack_branch_standing(msgpack_packer *pk, const char *key,
                                const int64_t *kg, const int64_t *cents) {
  size_t n = 0;
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    n += kg[p] > 0;
  int rc = proto_pack_cstr(pk, key);
  rc |= msgpack_pack_array(pk, n);
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    if (kg[p] <= 0)
      continue;
    rc |= msgpack_pack_map(pk, 3);
    rc |= kv_name(pk, "product", model_product_name(p));
    rc |= kv_t(pk, "quantity", kg[p]);
    rc |= kv_usdkg(pk, "price", cents[p]);
  }
  return rc;
}

/* A firm's branches abroad and standing transfers (issue 11, design I2;
 * maps with branches): two keys of `you`. */
static int pack_branches(msgpack_packer *pk, const model_obs_t *obs) {
  int rc = proto_pack_cstr(pk, "branches");
  rc |= msgpack_pack_array(pk, obs->n_branches);
  for (size_t i = 0; i < obs->n_branches; i++) {
    const model_obs_branch_t *b = &obs->branches[i];
    rc |= msgpack_pack_map(pk, 6);
    rc |= kv_name(pk, "nation", b->nation);
    rc |= proto_pack_cstr(pk, "inventory");
    rc |= pack_products_t(pk, b->inventory_kg, obs_np(obs));
    rc |= proto_pack_cstr(pk, "staff");
    rc |= pack_skills(pk, b->staff, obs_ns(obs));
    rc |=
        pack_branch_standing(pk, "offers", b->offer_kg, b->offer_cents_per_kg);
    rc |= pack_branch_standing(pk, "bids", b->bid_kg, b->bid_cents_per_kg);
    rc |= proto_pack_kv_f64(pk, "tax_paid", model_cents_to_usd(b->tax_cents));
  }
  rc |= proto_pack_cstr(pk, "transfers");
  rc |= msgpack_pack_array(pk, obs->n_transfers);
  for (size_t i = 0; i < obs->n_transfers; i++) {
    const model_obs_transfer_t *t = &obs->transfers[i];
    rc |= msgpack_pack_map(pk, 6);
    rc |= kv_name(pk, "product", model_product_name(t->product));
    rc |= kv_name(pk, "from", t->from);
    rc |= kv_name(pk, "to", t->to);
    rc |= kv_t(pk, "quantity", t->quantity_kg);
    rc |= kv_t(pk, "moved", t->moved_kg);
    rc |= kv_t(pk, "excused", t->excused_kg);
  }
  return rc;
}

static int pack_you(msgpack_packer *pk, const model_obs_t *obs) {
  bool nation = obs->kind == MODEL_SEAT_NATION;
  bool collection = nation && obs->rules.stages[MODEL_RECYCLING];
  int rc = msgpack_pack_map(
      pk, (nation ? 12 : 9) + (obs->finance ? (nation ? 4 : 5) : 0) +
              obs->train_caps + obs->origin_tracked + obs->qualification +
              2 * obs->has_branches + (obs->n_choices > 0) + collection);
  if (obs->has_branches)
    rc |= pack_branches(pk, obs);
  if (collection) {
    /* design J4: last turn's collection of end-of-life magnets */
    rc |= proto_pack_cstr(pk, "collection");
    rc |= msgpack_pack_map(pk, 2);
    rc |= kv_t(pk, "scrap", obs->scrap_collected_kg);
    rc |= proto_pack_kv_f64(pk, "paid",
                            model_cents_to_usd(obs->collection_paid_cents));
  }
  if (obs->n_choices > 0) {
    /* the story's moves this seat may make (issue 11, the map's
     * "choices"): [{id, note, sources, orders}] */
    rc |= proto_pack_cstr(pk, "choices");
    rc |= msgpack_pack_array(pk, obs->n_choices);
    for (size_t i = 0; i < obs->n_choices; i++) {
      const model_map_choice_t *c = obs->choices[i];
      rc |= msgpack_pack_map(pk, 4);
      rc |= kv_name(pk, "id", c->id);
      rc |= kv_name(pk, "note", c->note);
      rc |= kv_name(pk, "sources", c->sources);
      rc |= proto_pack_cstr(pk, "orders");
      rc |= msgpack_pack_array(pk, c->n_orders);
      for (size_t k = 0; k < c->n_orders; k++)
        rc |= proto_pack_order(pk, &c->orders[k]);
    }
  }
  if (obs->qualification) {
    /* qualification (issue 11): {qualified, turns_done, turns, min_output} */
    rc |= proto_pack_cstr(pk, "qualification");
    rc |= msgpack_pack_map(pk, 4);
    rc |= proto_pack_kv_bool(pk, "qualified", obs->qualified);
    rc |= proto_pack_kv_i64(pk, "turns_done", obs->qualification_turns_done);
    rc |= proto_pack_kv_i64(pk, "turns", obs->qualification_turns);
    rc |= kv_t(pk, "min_output", obs->qualification_min_kg);
  }
  if (obs->origin_tracked) {
    /* rules of origin (issue 11): what the seat holds that the tracked
     * nation's origin rules control */
    rc |= proto_pack_cstr(pk, "controlled");
    rc |= pack_products_t(pk, obs->controlled_kg, obs_np(obs));
  }
  /* the seat's contracts and open proposals (issue 11) */
  rc |= proto_pack_cstr(pk, "contracts");
  rc |= msgpack_pack_array(pk, obs->n_contracts);
  for (size_t i = 0; i < obs->n_contracts; i++)
    rc |= proto_pack_contract(pk, &obs->contracts[i]);
  if (obs->train_caps) {
    /* places left at home this turn; nil where a skill has no limit */
    rc |= proto_pack_cstr(pk, "training_left");
    rc |= msgpack_pack_map(pk, (uint32_t)obs_ns(obs));
    for (int s = 0; s < obs_ns(obs); s++) {
      if (obs->training_left[s] < 0)
        rc |= proto_pack_kv_nil(pk, model_skill_name(s));
      else
        rc |= proto_pack_kv_i64(pk, model_skill_name(s), obs->training_left[s]);
    }
  }
  if (obs->finance) {
    /* money limits (docs/protocol.md, "you"): on maps with finance */
    rc |= proto_pack_kv_f64(pk, "headroom",
                            model_cents_to_usd(obs->headroom_cents));
    rc |= kv_frac(pk, "interest_rate", obs->interest_rate_ppm);
    if (nation) {
      rc |= proto_pack_kv_f64(pk, "deficit_limit",
                              model_cents_to_usd(obs->deficit_limit_cents));
      rc |= proto_pack_kv_f64(pk, "interest_arrears",
                              model_cents_to_usd(obs->interest_arrears_cents));
    } else {
      rc |= proto_pack_kv_f64(pk, "credit_line",
                              model_cents_to_usd(obs->credit_line_cents));
      rc |= proto_pack_kv_f64(pk, "credit_limit",
                              model_cents_to_usd(obs->credit_limit_cents));
      rc |=
          proto_pack_kv_i64(pk, "receivership_turns", obs->receivership_turns);
    }
  }
  rc |= proto_pack_kv_f64(pk, "cash", model_cents_to_usd(obs->cash_cents));
  rc |= proto_pack_cstr(pk, "facilities");
  rc |= msgpack_pack_array(pk, obs->n_facilities);
  for (size_t i = 0; i < obs->n_facilities; i++)
    rc |= pack_facility(pk, &obs->facilities[i]);
  rc |= proto_pack_cstr(pk, "inventory");
  rc |= pack_products_t(pk, obs->inventory_kg, obs_np(obs));
  rc |= proto_pack_cstr(pk, "staff");
  rc |= pack_skills(pk, obs->staff, obs_ns(obs));
  rc |= proto_pack_cstr(pk, "in_training");
  rc |= pack_skills(pk, obs->in_training, obs_ns(obs));
  rc |= proto_pack_cstr(pk, "talent_pool");
  rc |= pack_skills(pk, obs->talent_pool, obs_ns(obs));
  rc |= proto_pack_cstr(pk, "orders");
  rc |= msgpack_pack_array(pk, obs->n_orders);
  for (size_t i = 0; i < obs->n_orders; i++)
    rc |= proto_pack_order(pk, &obs->orders[i]);
  /* The offers and bids standing from earlier turns, which the seat plays
   * if it sends nothing. */
  size_t n_standing = 0;
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    n_standing += (obs->standing_offer[p].quantity_kg > 0) +
                  (obs->standing_bid[p].quantity_kg > 0);
  rc |= proto_pack_cstr(pk, "standing");
  rc |= msgpack_pack_array(pk, n_standing);
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    if (obs->standing_offer[p].quantity_kg > 0)
      rc |= proto_pack_order(pk, &obs->standing_offer[p]);
    if (obs->standing_bid[p].quantity_kg > 0)
      rc |= proto_pack_order(pk, &obs->standing_bid[p]);
  }
  if (nation) {
    rc |= proto_pack_cstr(pk, "policies");
    rc |= msgpack_pack_array(pk, obs->n_policies);
    for (size_t i = 0; i < obs->n_policies; i++)
      rc |= proto_pack_order(pk, &obs->policies[i]);
    rc |=
        proto_pack_kv_f64(pk, "budget", model_cents_to_usd(obs->budget_cents));
    rc |= proto_pack_cstr(pk, "demand");
    rc |= msgpack_pack_map(pk, (uint32_t)obs_np(obs));
    for (int p = 0; p < obs_np(obs); p++) {
      rc |= proto_pack_cstr(pk, model_product_name(p));
      rc |= msgpack_pack_map(pk, 3);
      rc |= kv_t(pk, "volume", obs->demand_kg[p]);
      rc |= kv_usdkg(pk, "price", obs->demand_price[p]);
      rc |= kv_t(pk, "met", obs->consumed_kg[p]);
    }
  }
  return rc;
}

/* An event; with a map, an event some seats only see carries `seats`
 * (issue 13: the summary's copy, which each seat gets filtered). */
static int pack_event(msgpack_packer *pk, const model_event_t *ev,
                      const model_map_t *map) {
  bool aud = map && ev->n_audience > 0;
  size_t n = 4 + (ev->nation[0] != 0) + (ev->facility[0] != 0) +
             (ev->product >= 0) + (ev->stage >= 0) + aud;
  int rc = msgpack_pack_map(pk, n);
  rc |= kv_name(pk, "kind", model_event_name(ev->kind));
  rc |= proto_pack_kv_i64(pk, "turn", ev->turn);
  rc |= kv_name(pk, "text", ev->text);
  rc |= kv_frac(pk, "magnitude", ev->magnitude_ppm);
  if (ev->nation[0])
    rc |= kv_name(pk, "nation", ev->nation);
  if (ev->facility[0])
    rc |= kv_name(pk, "facility", ev->facility);
  if (ev->product >= 0)
    rc |= kv_name(pk, "product", model_product_name(ev->product));
  if (ev->stage >= 0)
    rc |= kv_name(pk, "stage", model_stage_name(ev->stage));
  if (aud) {
    rc |= proto_pack_cstr(pk, "seats");
    rc |= proto_pack_audience(pk, map, ev);
  }
  return rc;
}

int proto_pack_event(msgpack_packer *pk, const model_event_t *ev) {
  return pack_event(pk, ev, NULL);
}

static int pack_market(msgpack_packer *pk, const model_obs_t *obs) {
  int rc = msgpack_pack_map(pk, 3 + (obs->n_history > 0));
  if (obs->n_history > 0) {
    /* the world prices of the last turns, newest first (issue 11) */
    rc |= proto_pack_cstr(pk, "history");
    rc |= msgpack_pack_array(pk, (size_t)obs->n_history);
    for (int32_t t = 0; t < obs->n_history; t++)
      rc |= pack_products_usd(pk, obs->history[t], obs_np(obs));
  }
  rc |= proto_pack_cstr(pk, "prices");
  rc |= pack_products_usd(pk, obs->price, obs_np(obs));
  rc |= proto_pack_cstr(pk, "regional");
  rc |= pack_by_nation(pk, obs_np(obs), model_product_name, obs->n_nations,
                       obs_nation, obs, obs->regional, true);
  rc |= proto_pack_cstr(pk, "volumes");
  rc |= pack_products_t(pk, obs->volume, obs_np(obs));
  return rc;
}

/* Capex per (kg/yr) in cents is, per (t/yr) in USD, ten times the number. */
static double capex_usd_per_t_year(int64_t cents_per_kg_year) {
  return (double)cents_per_kg_year * 10.0;
}

/* On split maps (design J1) dy_oxide and tb_oxide instead of dytb_oxide. */
static int pack_basket(msgpack_packer *pk, const int64_t *ppm, bool split,
                       int64_t tb) {
  int rc = msgpack_pack_map(pk, split ? 4 : 3);
  rc |= kv_frac(pk, "ndpr_oxide", ppm[0]);
  rc |= kv_frac(pk, split ? "dy_oxide" : "dytb_oxide", ppm[1]);
  if (split)
    rc |= kv_frac(pk, "tb_oxide", tb);
  rc |= kv_frac(pk, "lace_oxide", ppm[2]);
  return rc;
}

static int pack_deposits(msgpack_packer *pk, const model_obs_t *obs) {
  int rc = msgpack_pack_array(pk, obs->n_deposits);
  for (size_t i = 0; i < obs->n_deposits; i++) {
    const model_obs_deposit_t *d = &obs->deposits[i];
    rc |= msgpack_pack_map(pk, 7 + (d->owner[0] != 0));
    if (d->owner[0]) /* issue 11: only where a firm owns it */
      rc |= kv_name(pk, "owner", d->owner);
    rc |= kv_name(pk, "id", d->id);
    rc |= kv_name(pk, "nation", d->nation);
    rc |= kv_name(pk, "type",
                  d->type == 1 ? "ionic_clay_heavy" : "hard_rock_light");
    rc |= kv_t(pk, "reserves", d->reserves_kg);
    rc |= proto_pack_cstr(pk, "basket");
    rc |= pack_basket(pk, d->basket_ppm, obs->rules.products[MODEL_DY],
                      d->basket_tb_ppm);
    if (d->unit_cost_cents_per_kg >= 0)
      rc |= kv_usdkg(pk, "unit_cost", d->unit_cost_cents_per_kg);
    else
      rc |= proto_pack_kv_nil(pk, "unit_cost");
    rc |= proto_pack_kv_bool(pk, "open", d->open);
  }
  return rc;
}

static int pack_factors(msgpack_packer *pk, const model_obs_t *obs,
                        const int64_t *v, size_t n) {
  int rc = msgpack_pack_map(pk, (uint32_t)obs_ns(obs));
  for (int s = 0; s < obs_ns(obs); s++)
    rc |= kv_frac(pk, model_stage_name(s), v[(size_t)s * obs->n_nations + n]);
  return rc;
}

static int pack_rules(msgpack_packer *pk, const model_obs_t *obs) {
  const model_obs_rules_t *r = &obs->rules;
  int np = 0;
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    np += r->products[p];
  bool recycling = r->stages[MODEL_RECYCLING];
  int rc = msgpack_pack_map(pk, 7 + recycling);
  if (recycling) {
    /* design J4: the terms of recycling (maps with it only) */
    rc |= proto_pack_cstr(pk, "recycling");
    rc |= msgpack_pack_map(pk, 4);
    rc |= proto_pack_kv_i64(pk, "lifetime", r->eol_lifetime);
    rc |= kv_frac(pk, "recovery", r->recycling_recovery_ppm);
    rc |= kv_frac(pk, "scrap_price_share", r->scrap_price_share_ppm);
    rc |= kv_usdkg(pk, "collection_cost", r->collection_cost_cents_per_kg);
  }
  /* design J3: Dy thrifting's terms */
  rc |= proto_pack_cstr(pk, "thrift");
  rc |= msgpack_pack_map(pk, 3);
  rc |= kv_frac(pk, "min_share", r->thrift_min_share_ppm);
  rc |= proto_pack_kv_i64(pk, "turns", r->thrift_turns);
  rc |= kv_usdkg(pk, "cost", r->thrift_cost_cents_per_kg);
  /* design J1: the products that exist on the map */
  rc |= proto_pack_cstr(pk, "products");
  rc |= msgpack_pack_array(pk, (uint32_t)np);
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (r->products[p])
      rc |= proto_pack_cstr(pk, model_product_name(p));
  /* the map's stages (design J4: recycling only where it exists) */
  rc |= proto_pack_cstr(pk, "stages");
  rc |= msgpack_pack_map(pk, (uint32_t)obs_ns(obs));
  for (int s = 0; s < obs_ns(obs); s++) {
    rc |= proto_pack_cstr(pk, model_stage_name(s));
    bool two = r->two_phase[s];
    bool bound = r->brownfield_max_share_ppm[s] >= 0;
    rc |= msgpack_pack_map(pk, 6 + (two ? 4 : 0) + bound);
    if (two) {
      rc |= proto_pack_cstr(pk, "build_turns");
      rc |= msgpack_pack_map(pk, 2);
      rc |= proto_pack_kv_i64(pk, "greenfield", r->build_turns[s][0]);
      rc |= proto_pack_kv_i64(pk, "brownfield", r->build_turns[s][1]);
      rc |= proto_pack_cstr(pk, "permit_turns");
      rc |= msgpack_pack_map(pk, obs->n_nations);
      for (size_t n = 0; n < obs->n_nations; n++) {
        size_t at = ((size_t)s * obs->n_nations + n) * 2;
        rc |= proto_pack_cstr(pk, obs->nations[n]);
        rc |= msgpack_pack_map(pk, 2);
        rc |= proto_pack_kv_i64(pk, "greenfield", obs->permit_turns[at]);
        rc |= proto_pack_kv_i64(pk, "brownfield", obs->permit_turns[at + 1]);
      }
      rc |= kv_t(pk, "reference_capacity", r->reference_capacity_kg[s]);
      rc |= proto_pack_kv_f64(pk, "turns_per_doubling",
                              (double)r->turns_per_doubling_milli[s] / 1000.0);
    }
    if (bound)
      rc |= kv_frac(pk, "brownfield_max_share", r->brownfield_max_share_ppm[s]);
    rc |= proto_pack_cstr(pk, "lead_turns");
    rc |= msgpack_pack_map(pk, 2);
    rc |= proto_pack_kv_i64(pk, "greenfield", r->lead_greenfield[s]);
    rc |= proto_pack_kv_i64(pk, "brownfield", r->lead_brownfield[s]);
    rc |= proto_pack_kv_f64(
        pk, "capex", capex_usd_per_t_year(r->capex_cents_per_kg_year[s]));
    rc |= kv_frac(pk, "brownfield_capex_share", r->brownfield_capex_ppm[s]);
    rc |= kv_usdkg(pk, "unit_cost", r->unit_cost_cents_per_kg[s]);
    rc |= kv_frac(pk, "learning_rate", r->learning_ppm[s]);
    rc |= proto_pack_kv_f64(pk, "staff_per_kt",
                            (double)r->staff_milli_per_kt[s] / 1000.0);
  }
  rc |= proto_pack_cstr(pk, "skills");
  rc |= msgpack_pack_map(pk, (uint32_t)obs_ns(obs));
  for (int s = 0; s < obs_ns(obs); s++) {
    rc |= proto_pack_cstr(pk, model_skill_name(s));
    rc |= msgpack_pack_map(pk, 3);
    rc |= proto_pack_kv_f64(pk, "wage", model_cents_to_usd(r->wage_cents[s]));
    rc |= proto_pack_kv_i64(pk, "training_turns", r->training_turns[s]);
    rc |= proto_pack_kv_f64(pk, "training_cost",
                            model_cents_to_usd(r->training_cost_cents[s]));
  }
  rc |= proto_pack_cstr(pk, "separation_recovery");
  rc |= msgpack_pack_map(pk, 2);
  rc |= kv_frac(pk, "initial", r->recovery_initial_ppm);
  rc |= kv_frac(pk, "max", r->recovery_max_ppm);
  rc |= proto_pack_cstr(pk, "magnet_recipe");
  bool split = r->products[MODEL_DY];
  rc |= msgpack_pack_map(pk, split ? 3 : 2);
  rc |= kv_frac(pk, "ndpr_oxide", r->recipe_ppm[0]);
  rc |= kv_frac(pk, split ? "dy_oxide" : "dytb_oxide", r->recipe_ppm[1]);
  if (split)
    rc |= kv_frac(pk, "tb_oxide", r->recipe_tb_ppm);
  rc |= proto_pack_cstr(pk, "nations");
  rc |= msgpack_pack_map(pk, obs->n_nations);
  for (size_t n = 0; n < obs->n_nations; n++) {
    rc |= proto_pack_cstr(pk, obs->nations[n]);
    rc |= msgpack_pack_map(pk, 3);
    rc |= proto_pack_cstr(pk, "capex_factor");
    rc |= pack_factors(pk, obs, obs->capex_factor_ppm, n);
    rc |= proto_pack_cstr(pk, "unit_cost_factor");
    rc |= pack_factors(pk, obs, obs->unit_cost_factor_ppm, n);
    rc |= proto_pack_cstr(pk, "lead_factor");
    rc |= pack_factors(pk, obs, obs->lead_factor_ppm, n);
  }
  return rc;
}

/* Closed information (issue 13; maps with "information" only, so every
 * other observation keeps its bytes): which capacity figures are
 * estimates, {stage: [nation ids]}, and which policy kinds of each nation
 * public.policies leaves out, {nation: [kinds]} (nations with any). */
static int pack_closed_info(msgpack_packer *pk, const model_obs_t *obs) {
  int rc = proto_pack_cstr(pk, "estimated");
  rc |= msgpack_pack_map(pk, 1);
  rc |= proto_pack_cstr(pk, "capacity");
  rc |= msgpack_pack_map(pk, (uint32_t)obs_ns(obs));
  size_t N = obs->n_nations;
  for (int s = 0; s < obs_ns(obs); s++) {
    size_t k = 0;
    for (size_t n = 0; n < N; n++)
      k += obs->capacity_estimated[(size_t)s * N + n] != 0;
    rc |= proto_pack_cstr(pk, model_stage_name(s));
    rc |= msgpack_pack_array(pk, k);
    for (size_t n = 0; n < N; n++)
      if (obs->capacity_estimated[(size_t)s * N + n])
        rc |= proto_pack_cstr(pk, obs->nations[n]);
  }
  size_t with = 0;
  for (size_t n = 0; n < N; n++)
    with += obs->unpublished[n] != 0;
  rc |= proto_pack_cstr(pk, "unpublished");
  rc |= msgpack_pack_map(pk, with);
  for (size_t n = 0; n < N; n++) {
    uint32_t bits = obs->unpublished[n];
    if (!bits)
      continue;
    rc |= proto_pack_cstr(pk, obs->nations[n]);
    rc |= msgpack_pack_array(pk, (size_t)__builtin_popcount(bits));
    for (int q = 0; q < MODEL_POLICY_KINDS; q++)
      if (bits >> q & 1)
        rc |= proto_pack_cstr(pk, model_policy_name(q));
  }
  return rc;
}

/* Demand by sector (issue 11; maps with sectors only, so every other
 * observation keeps its bytes): every nation's demand lines. */
static int pack_sectors(msgpack_packer *pk, const model_obs_t *obs) {
  int rc = proto_pack_cstr(pk, "demand_sectors");
  rc |= msgpack_pack_array(pk, obs->n_sectors);
  for (size_t i = 0; i < obs->n_sectors; i++) {
    const model_obs_sector_t *x = &obs->sectors[i];
    bool ex = x->exclude_origin != 0;
    rc |= msgpack_pack_map(pk, 10 + 2 * (size_t)ex);
    rc |= kv_name(pk, "nation", obs->nations[x->nation]);
    rc |= kv_name(pk, "product", model_product_name(x->product));
    rc |= kv_name(pk, "sector", model_sector_name(x->sector));
    rc |= kv_t(pk, "volume", x->volume_kg);
    rc |= kv_t(pk, "consumed", x->consumed_kg);
    rc |= kv_usdkg(pk, "price", x->price_cents);
    rc |= kv_frac(pk, "elasticity", -x->elasticity_ppm);
    rc |= kv_name(pk, "cleared_in", obs->nations[x->cleared_in]);
    rc |= kv_name(pk, "counts_for", obs->nations[x->counts_for]);
    rc |= proto_pack_kv_bool(pk, "qualified_only", x->qualified_only);
    if (ex) {
      rc |= proto_pack_cstr(pk, "exclude_origin");
      rc |= msgpack_pack_array(pk,
                               (size_t)__builtin_popcountll(x->exclude_origin));
      for (size_t n = 0; n < obs->n_nations; n++)
        if (x->exclude_origin >> n & 1)
          rc |= proto_pack_cstr(pk, obs->nations[n]);
      rc |= proto_pack_kv_i64(pk, "from_turn", x->exclude_from);
    }
  }
  return rc;
}

static int pack_public(msgpack_packer *pk, const model_obs_t *obs) {
  int rc = msgpack_pack_map(pk, 10 + 2 * (size_t)obs->closed_info +
                                    (obs->n_sectors > 0) + (obs->n_lapses > 0));
  if (obs->closed_info)
    rc |= pack_closed_info(pk, obs);
  if (obs->n_sectors > 0)
    rc |= pack_sectors(pk, obs);
  if (obs->n_lapses > 0) {
    /* lapsing policies (issue 11): what returns when */
    rc |= proto_pack_cstr(pk, "lapses");
    rc |= msgpack_pack_array(pk, obs->n_lapses);
    for (size_t i = 0; i < obs->n_lapses; i++) {
      rc |= msgpack_pack_map(pk, 3);
      rc |= kv_name(pk, "nation", obs->nations[obs->lapses[i].nation]);
      rc |= proto_pack_kv_i64(pk, "turn", obs->lapses[i].turn);
      rc |= proto_pack_cstr(pk, "returns");
      rc |= proto_pack_order(pk, &obs->lapses[i].policy);
    }
  }
  /* plants of firms in receivership, for `acquire` (issue 11) */
  rc |= proto_pack_cstr(pk, "receivership");
  rc |= msgpack_pack_array(pk, obs->n_for_sale);
  for (size_t i = 0; i < obs->n_for_sale; i++) {
    const model_obs_for_sale_t *x = &obs->for_sale[i];
    rc |= msgpack_pack_map(pk, 7);
    rc |= kv_name(pk, "firm", x->firm);
    rc |= kv_name(pk, "facility", x->facility);
    rc |= kv_name(pk, "stage", model_stage_name(x->stage));
    rc |= kv_name(pk, "nation", x->nation);
    rc |= kv_t(pk, "capacity", x->capacity_kg_per_year);
    rc |= proto_pack_kv_f64(pk, "liquidation_value",
                            model_cents_to_usd(x->liquidation_cents));
    rc |= proto_pack_kv_i64(pk, "turns_left", x->turns_left);
  }
  /* the map's reference prices, USD/kg (issue 11) */
  rc |= proto_pack_cstr(pk, "reference_price");
  rc |= msgpack_pack_map(pk, (uint32_t)obs_np(obs));
  for (int p = 0; p < obs_np(obs); p++)
    rc |= kv_usdkg(pk, model_product_name(p), obs->reference_price[p]);
  /* state support in force (issue 11): announced, so public */
  rc |= proto_pack_cstr(pk, "support");
  rc |= msgpack_pack_array(pk, obs->n_support);
  for (size_t i = 0; i < obs->n_support; i++)
    rc |= pack_support(pk, &obs->support[i]);
  rc |= proto_pack_cstr(pk, "deposits");
  rc |= pack_deposits(pk, obs);
  rc |= proto_pack_cstr(pk, "rules");
  rc |= pack_rules(pk, obs);
  rc |= proto_pack_cstr(pk, "production");
  rc |= pack_by_nation(pk, obs_ns(obs), model_stage_name, obs->n_nations,
                       obs_nation, obs, obs->production, false);
  rc |= proto_pack_cstr(pk, "capacity");
  rc |= pack_by_nation(pk, obs_ns(obs), model_stage_name, obs->n_nations,
                       obs_nation, obs, obs->capacity, false);
  /* Policies by nation: {nation: [policy maps]}, only nations with any. */
  size_t with = 0;
  for (size_t n = 0; n < obs->n_nations; n++)
    for (size_t i = 0; i < obs->n_public_policies; i++)
      if ((size_t)obs->public_policies[i].nation == n) {
        with++;
        break;
      }
  rc |= proto_pack_cstr(pk, "policies");
  rc |= msgpack_pack_map(pk, with);
  for (size_t n = 0; n < obs->n_nations; n++) {
    size_t k = 0;
    for (size_t i = 0; i < obs->n_public_policies; i++)
      k += (size_t)obs->public_policies[i].nation == n;
    if (k == 0)
      continue;
    rc |= proto_pack_cstr(pk, obs->nations[n]);
    rc |= msgpack_pack_array(pk, k);
    for (size_t i = 0; i < obs->n_public_policies; i++)
      if ((size_t)obs->public_policies[i].nation == n)
        rc |= proto_pack_order(pk, &obs->public_policies[i].policy);
  }
  rc |= proto_pack_cstr(pk, "events");
  rc |= msgpack_pack_array(pk, obs->n_news);
  for (size_t i = 0; i < obs->n_news; i++)
    rc |= proto_pack_event(pk, &obs->news[i]);
  rc |= proto_pack_cstr(pk, "scores");
  rc |= msgpack_pack_array(pk, obs->n_scores);
  for (size_t i = 0; i < obs->n_scores; i++) {
    rc |=
        msgpack_pack_map(pk, 4 + obs->qualification + obs->scores[i].seatless);
    rc |= kv_name(pk, "seat", obs->scores[i].seat);
    if (obs->qualification)
      rc |= proto_pack_kv_bool(pk, "qualified", obs->scores[i].qualified);
    rc |= proto_pack_kv_f64(pk, "score", proto_score(obs->scores[i].score));
    /* additions (issue 11): who the seat is, so that a nation can name a
     * firm in state support and a seat a counterparty in a contract */
    rc |= kv_name(pk, "kind",
                  obs->scores[i].kind == MODEL_SEAT_FIRM ? "firm" : "nation");
    rc |= kv_name(pk, "nation", obs->scores[i].nation);
    /* addition (issue 11): a seatless firm, on its standing orders; the
     * key is there only when true */
    if (obs->scores[i].seatless)
      rc |= proto_pack_kv_bool(pk, "seatless", true);
  }
  return rc;
}

int proto_pack_obs_seat_pairs(msgpack_packer *pk, const model_obs_t *obs) {
  int rc = 0;
  rc |= kv_name(pk, "seat", obs->seat);
  rc |= kv_name(pk, "kind", obs->kind == MODEL_SEAT_NATION ? "nation" : "firm");
  rc |= kv_name(pk, "nation", obs->nation);
  rc |= proto_pack_kv_i64(pk, "turn", obs->turn);
  rc |= proto_pack_kv_i64(pk, "turns", obs->turns);
  rc |= proto_pack_cstr(pk, "you");
  rc |= pack_you(pk, obs);
  return rc;
}

int proto_pack_obs_shared_pairs(msgpack_packer *pk, const model_obs_t *obs) {
  int rc = 0;
  rc |= proto_pack_cstr(pk, "market");
  rc |= pack_market(pk, obs);
  rc |= proto_pack_cstr(pk, "public");
  rc |= pack_public(pk, obs);
  return rc;
}

int proto_pack_obs_public(msgpack_packer *pk, const model_obs_t *obs) {
  return pack_public(pk, obs);
}

int proto_pack_obs_pairs(msgpack_packer *pk, const model_obs_t *obs) {
  return proto_pack_obs_seat_pairs(pk, obs) |
         proto_pack_obs_shared_pairs(pk, obs);
}

/* ---- Turn summary ----------------------------------------------------------
 */

int proto_pack_summary_pairs(msgpack_packer *pk, const model_map_t *map,
                             const model_report_t *rep,
                             const model_state_t *st) {
  int rc = 0;
  rc |= proto_pack_cstr(pk, "prices");
  rc |= pack_products_usd(pk, rep->price, map_np(map));
  rc |= proto_pack_cstr(pk, "regional");
  rc |= pack_by_nation(pk, map_np(map), model_product_name, rep->n_nations,
                       map_nation, map, rep->regional, true);
  rc |= proto_pack_cstr(pk, "production");
  rc |= pack_by_nation(pk, map_ns(map), model_stage_name, rep->n_nations,
                       map_nation, map, rep->production, false);
  /* issue 12: the debrief's "capacity built over time" (kg/yr -> t/yr) */
  rc |= proto_pack_cstr(pk, "capacity");
  rc |= pack_by_nation(pk, map_ns(map), model_stage_name, rep->n_nations,
                       map_nation, map, rep->capacity, false);
  /* issue 12: the debrief's "supply security per nation" */
  rc |= proto_pack_cstr(pk, "security");
  rc |= msgpack_pack_map(pk, rep->n_nations);
  for (size_t n = 0; n < rep->n_nations; n++)
    rc |= proto_pack_kv_f64(pk, model_map_nation_id(map, n),
                            (double)model_state_security_ppm(st, n) / 1e6);
  rc |= proto_pack_cstr(pk, "scores");
  rc |= msgpack_pack_array(pk, rep->n_seats);
  for (size_t s = 0; s < rep->n_seats; s++) {
    rc |= msgpack_pack_map(pk, 2);
    rc |= kv_name(pk, "seat", model_map_seat_id(map, s));
    rc |= proto_pack_kv_f64(pk, "score", proto_score(rep->scores[s]));
  }
  rc |= proto_pack_cstr(pk, "events");
  rc |= msgpack_pack_array(pk, rep->n_news);
  for (size_t i = 0; i < rep->n_news; i++)
    rc |= pack_event(pk, &rep->news[i], map);
  return rc;
}

/* ---- Observation, parsed back
 * ------------------------------------------------ */

const msgpack_object *proto_map_get(const msgpack_object *map,
                                    const char *key) {
  if (!map || map->type != MSGPACK_OBJECT_MAP)
    return NULL;
  size_t n = strlen(key);
  for (uint32_t i = 0; i < map->via.map.size; i++) {
    const msgpack_object *k = &map->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
        memcmp(k->via.str.ptr, key, n) == 0)
      return &map->via.map.ptr[i].val;
  }
  return NULL;
}

static const msgpack_object *get(const msgpack_object *map, const char *key) {
  return proto_map_get(map, key);
}

static double num(const msgpack_object *o) {
  if (!o)
    return 0;
  switch (o->type) {
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    return (double)o->via.u64;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    return (double)o->via.i64;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    return o->via.f64;
  default:
    return 0;
  }
}

static int64_t kg_of(const msgpack_object *o) {
  int64_t v = 0;
  return model_tonnes_to_kg(num(o), &v) == 0 ? v : 0;
}

static int64_t cents_of(const msgpack_object *o) {
  int64_t v = 0;
  return model_usd_per_kg_to_cents(num(o), &v) == 0 ? v : 0;
}

static int64_t ppm_of_obj(const msgpack_object *o) {
  int64_t v = 0;
  return model_fraction_to_ppm(num(o), &v) == 0 ? v : 0;
}

static void copy_str(char *dst, size_t cap, const msgpack_object *o) {
  if (o && o->type == MSGPACK_OBJECT_STR) {
    size_t n = o->via.str.size < cap - 1 ? o->via.str.size : cap - 1;
    memcpy(dst, o->via.str.ptr, n);
    dst[n] = '\0';
  } else {
    dst[0] = '\0';
  }
}

/* A nation's index in the observation's list, -1 if not there. */
static int nation_of(const model_obs_t *obs, const char *id) {
  for (size_t n = 0; n < obs->n_nations; n++)
    if (strcmp(obs->nations[n], id) == 0)
      return (int)n;
  return -1;
}

static int name_is(const msgpack_object *o, const char *s) {
  return o && o->type == MSGPACK_OBJECT_STR && strlen(s) == o->via.str.size &&
         memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static size_t arr_len(const msgpack_object *o) {
  return o && o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0;
}

/* Orders of an array into a new array (refused ones skipped). */
static model_order_t *parse_orders(const msgpack_object *arr, size_t *n) {
  size_t len = arr_len(arr);
  model_order_t *out = calloc(len ? len : 1, sizeof *out);
  model_refusal_t r;
  *n = 0;
  if (!out)
    return NULL;
  for (size_t i = 0; i < len; i++)
    if (proto_order_parse(&arr->via.array.ptr[i], &out[*n], &r) == 0)
      (*n)++;
  return out;
}

/* {row name: {nation: value}} into a [row * n + nation] array. */
static int64_t *parse_by_nation(const msgpack_object *m, int rows,
                                const char *(*row_name)(int),
                                const model_obs_t *obs, bool price) {
  int64_t *v = calloc((size_t)rows * obs->n_nations + 1, sizeof *v);
  if (!v)
    return NULL;
  for (int r = 0; r < rows; r++) {
    const msgpack_object *row = get(m, row_name(r));
    for (size_t n = 0; n < obs->n_nations; n++) {
      const msgpack_object *x = get(row, obs->nations[n]);
      v[(size_t)r * obs->n_nations + n] = price ? cents_of(x) : kg_of(x);
    }
  }
  return v;
}

static void parse_event(const msgpack_object *e, model_event_t *ev) {
  memset(ev, 0, sizeof *ev);
  char kind[MODEL_ID_MAX];
  copy_str(kind, sizeof kind, get(e, "kind"));
  for (int k = 0; k < MODEL_EVENT_KINDS; k++)
    if (model_event_name(k) && strcmp(model_event_name(k), kind) == 0)
      ev->kind = (model_event_kind_t)k;
  ev->turn = (int32_t)num(get(e, "turn"));
  copy_str(ev->text, sizeof ev->text, get(e, "text"));
  ev->magnitude_ppm = ppm_of_obj(get(e, "magnitude"));
  copy_str(ev->nation, sizeof ev->nation, get(e, "nation"));
  copy_str(ev->facility, sizeof ev->facility, get(e, "facility"));
  char name[MODEL_ID_MAX];
  copy_str(name, sizeof name, get(e, "product"));
  ev->product = name[0] ? model_product_from_name(name) : -1;
  copy_str(name, sizeof name, get(e, "stage"));
  ev->stage = name[0] ? model_stage_from_name(name) : -1;
}

/* public.deposits and public.rules back into the observation. */
static int parse_plan(const msgpack_object *pub, model_obs_t *obs) {
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    obs->reference_price[p] =
        cents_of(get(get(pub, "reference_price"), model_product_name(p)));
  const msgpack_object *sale = get(pub, "receivership");
  obs->n_for_sale = arr_len(sale);
  obs->for_sale =
      calloc(obs->n_for_sale ? obs->n_for_sale : 1, sizeof *obs->for_sale);
  if (!obs->for_sale)
    return -1;
  for (size_t i = 0; i < obs->n_for_sale; i++) {
    const msgpack_object *x = &sale->via.array.ptr[i];
    model_obs_for_sale_t *y = &obs->for_sale[i];
    copy_str(y->firm, sizeof y->firm, get(x, "firm"));
    copy_str(y->facility, sizeof y->facility, get(x, "facility"));
    char stage[MODEL_ID_MAX];
    copy_str(stage, sizeof stage, get(x, "stage"));
    y->stage = model_stage_from_name(stage);
    copy_str(y->nation, sizeof y->nation, get(x, "nation"));
    y->capacity_kg_per_year = kg_of(get(x, "capacity"));
    int64_t v = 0;
    y->liquidation_cents =
        model_usd_to_cents(num(get(x, "liquidation_value")), &v) == 0 ? v : 0;
    y->turns_left = (int32_t)num(get(x, "turns_left"));
  }
  const msgpack_object *deps = get(pub, "deposits");
  obs->n_deposits = arr_len(deps);
  obs->deposits =
      calloc(obs->n_deposits ? obs->n_deposits : 1, sizeof *obs->deposits);
  size_t cells = (size_t)MODEL_STAGES * obs->n_nations + 1;
  obs->capex_factor_ppm = calloc(cells, sizeof(int64_t));
  obs->unit_cost_factor_ppm = calloc(cells, sizeof(int64_t));
  obs->lead_factor_ppm = calloc(cells, sizeof(int64_t));
  obs->permit_turns = calloc(cells * 2, sizeof(int32_t));
  if (!obs->deposits || !obs->capex_factor_ppm || !obs->unit_cost_factor_ppm ||
      !obs->lead_factor_ppm || !obs->permit_turns)
    return -1;
  static const char *const basket[3] = {"ndpr_oxide", "dytb_oxide",
                                        "lace_oxide"};
  for (size_t i = 0; i < obs->n_deposits; i++) {
    const msgpack_object *d = &deps->via.array.ptr[i];
    model_obs_deposit_t *x = &obs->deposits[i];
    copy_str(x->id, sizeof x->id, get(d, "id"));
    copy_str(x->nation, sizeof x->nation, get(d, "nation"));
    x->type = name_is(get(d, "type"), "ionic_clay_heavy") ? 1 : 0;
    x->reserves_kg = kg_of(get(d, "reserves"));
    for (int k = 0; k < 3; k++)
      x->basket_ppm[k] = ppm_of_obj(get(get(d, "basket"), basket[k]));
    /* design J1: a split map's deposits give Dy and Tb */
    if (get(get(d, "basket"), "dy_oxide")) {
      x->basket_ppm[1] = ppm_of_obj(get(get(d, "basket"), "dy_oxide"));
      x->basket_tb_ppm = ppm_of_obj(get(get(d, "basket"), "tb_oxide"));
    }
    const msgpack_object *uc = get(d, "unit_cost");
    x->unit_cost_cents_per_kg =
        uc && uc->type != MSGPACK_OBJECT_NIL ? cents_of(uc) : -1;
    const msgpack_object *open = get(d, "open");
    x->open = open && open->type == MSGPACK_OBJECT_BOOLEAN && open->via.boolean;
    copy_str(x->owner, sizeof x->owner, get(d, "owner"));
  }
  const msgpack_object *rules = get(pub, "rules");
  model_obs_rules_t *r = &obs->rules;
  for (int s = 0; s < MODEL_STAGES; s++) {
    const msgpack_object *g = get(get(rules, "stages"), model_stage_name(s));
    r->lead_greenfield[s] =
        (int32_t)num(get(get(g, "lead_turns"), "greenfield"));
    r->lead_brownfield[s] =
        (int32_t)num(get(get(g, "lead_turns"), "brownfield"));
    /* USD per (t/yr) back to cents per (kg/yr): a tenth. */
    int64_t c = 0;
    if (model_usd_to_cents(num(get(g, "capex")) / 1000.0, &c) == 0)
      r->capex_cents_per_kg_year[s] = c;
    r->brownfield_capex_ppm[s] = ppm_of_obj(get(g, "brownfield_capex_share"));
    r->unit_cost_cents_per_kg[s] = cents_of(get(g, "unit_cost"));
    r->learning_ppm[s] = ppm_of_obj(get(g, "learning_rate"));
    r->staff_milli_per_kt[s] =
        (int64_t)(num(get(g, "staff_per_kt")) * 1000.0 + 0.5);
    const msgpack_object *bt = get(g, "build_turns");
    r->two_phase[s] = bt != NULL;
    r->build_turns[s][0] = (int32_t)num(get(bt, "greenfield"));
    r->build_turns[s][1] = (int32_t)num(get(bt, "brownfield"));
    r->reference_capacity_kg[s] = kg_of(get(g, "reference_capacity"));
    r->turns_per_doubling_milli[s] =
        (int64_t)(num(get(g, "turns_per_doubling")) * 1000.0 + 0.5);
    const msgpack_object *bm = get(g, "brownfield_max_share");
    r->brownfield_max_share_ppm[s] = bm ? ppm_of_obj(bm) : g ? -1 : 0;
    for (size_t n = 0; n < obs->n_nations; n++) {
      const msgpack_object *pn = get(get(g, "permit_turns"), obs->nations[n]);
      size_t at = ((size_t)s * obs->n_nations + n) * 2;
      obs->permit_turns[at] = (int32_t)num(get(pn, "greenfield"));
      obs->permit_turns[at + 1] = (int32_t)num(get(pn, "brownfield"));
    }
    const msgpack_object *k = get(get(rules, "skills"), model_skill_name(s));
    int64_t v = 0;
    if (model_usd_to_cents(num(get(k, "wage")), &v) == 0)
      r->wage_cents[s] = v;
    r->training_turns[s] = (int32_t)num(get(k, "training_turns"));
    if (model_usd_to_cents(num(get(k, "training_cost")), &v) == 0)
      r->training_cost_cents[s] = v;
    for (size_t n = 0; n < obs->n_nations; n++) {
      const msgpack_object *f = get(get(rules, "nations"), obs->nations[n]);
      size_t at = (size_t)s * obs->n_nations + n;
      obs->capex_factor_ppm[at] =
          ppm_of_obj(get(get(f, "capex_factor"), model_stage_name(s)));
      obs->unit_cost_factor_ppm[at] =
          ppm_of_obj(get(get(f, "unit_cost_factor"), model_stage_name(s)));
      obs->lead_factor_ppm[at] =
          ppm_of_obj(get(get(f, "lead_factor"), model_stage_name(s)));
    }
  }
  r->recovery_initial_ppm =
      ppm_of_obj(get(get(rules, "separation_recovery"), "initial"));
  r->recovery_max_ppm =
      ppm_of_obj(get(get(rules, "separation_recovery"), "max"));
  r->recipe_ppm[0] = ppm_of_obj(get(get(rules, "magnet_recipe"), basket[0]));
  r->recipe_ppm[1] = ppm_of_obj(get(get(rules, "magnet_recipe"), basket[1]));
  /* design J1: the products of the map (a server from before them: the
   * basket's five) */
  const msgpack_object *pl = get(rules, "products");
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    r->products[p] = !pl && p < MODEL_DY;
  if (pl && pl->type == MSGPACK_OBJECT_ARRAY)
    for (uint32_t i = 0; i < pl->via.array.size; i++)
      for (int p = 0; p < MODEL_PRODUCTS; p++)
        if (name_is(&pl->via.array.ptr[i], model_product_name(p)))
          r->products[p] = true;
  /* design J4: the map's stages are the keys of rules.stages (a server
   * from before recycling: the first three) */
  for (int s = 0; s < MODEL_STAGES; s++)
    r->stages[s] = s < MODEL_RECYCLING ||
                   get(get(rules, "stages"), model_stage_name(s)) != NULL;
  const msgpack_object *rc = get(rules, "recycling");
  if (rc) {
    r->eol_lifetime = (int32_t)num(get(rc, "lifetime"));
    r->recycling_recovery_ppm = ppm_of_obj(get(rc, "recovery"));
    r->scrap_price_share_ppm = ppm_of_obj(get(rc, "scrap_price_share"));
    r->collection_cost_cents_per_kg = cents_of(get(rc, "collection_cost"));
  }
  const msgpack_object *th = get(rules, "thrift");
  if (th) {
    r->thrift_min_share_ppm = ppm_of_obj(get(th, "min_share"));
    r->thrift_turns = (int32_t)num(get(th, "turns"));
    r->thrift_cost_cents_per_kg = cents_of(get(th, "cost"));
  }
  if (r->products[MODEL_DY]) {
    r->recipe_ppm[1] = ppm_of_obj(get(get(rules, "magnet_recipe"), "dy_oxide"));
    r->recipe_tb_ppm = ppm_of_obj(get(get(rules, "magnet_recipe"), "tb_oxide"));
  }
  return 0;
}

int proto_obs_parse(const msgpack_object *o, model_obs_t **out,
                    proto_error_t *err) {
  const msgpack_object *you = get(o, "you"), *market = get(o, "market"),
                       *pub = get(o, "public");
  if (!you || !market || !pub || !get(o, "seat"))
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "not an observation: it needs seat, you, market "
                           "and public");
  model_obs_t *obs = calloc(1, sizeof *obs);
  if (!obs)
    goto nomem;
  copy_str(obs->seat, sizeof obs->seat, get(o, "seat"));
  copy_str(obs->nation, sizeof obs->nation, get(o, "nation"));
  obs->kind =
      name_is(get(o, "kind"), "nation") ? MODEL_SEAT_NATION : MODEL_SEAT_FIRM;
  obs->turn = (int32_t)num(get(o, "turn"));
  obs->turns = (int32_t)num(get(o, "turns"));

  /* The nations, in the order the server lists them everywhere. */
  const msgpack_object *reg = get(market, "regional");
  const msgpack_object *first = get(reg, model_product_name(0));
  obs->n_nations =
      first && first->type == MSGPACK_OBJECT_MAP ? first->via.map.size : 0;
  obs->nations = calloc(obs->n_nations + 1, sizeof *obs->nations);
  if (!obs->nations)
    goto nomem;
  for (size_t n = 0; n < obs->n_nations; n++)
    copy_str(obs->nations[n], MODEL_ID_MAX, &first->via.map.ptr[n].key);

  /* you */
  int64_t v;
  obs->cash_cents = model_usd_to_cents(num(get(you, "cash")), &v) == 0 ? v : 0;
  obs->budget_cents =
      model_usd_to_cents(num(get(you, "budget")), &v) == 0 ? v : 0;
  const msgpack_object *qu = get(you, "qualification");
  obs->qualification = qu != NULL;
  if (qu) {
    const msgpack_object *b = get(qu, "qualified");
    obs->qualified = b && b->type == MSGPACK_OBJECT_BOOLEAN && b->via.boolean;
    obs->qualification_turns_done = (int32_t)num(get(qu, "turns_done"));
    obs->qualification_turns = (int32_t)num(get(qu, "turns"));
    obs->qualification_min_kg = kg_of(get(qu, "min_output"));
  }
  const msgpack_object *ctl = get(you, "controlled");
  obs->origin_tracked = ctl != NULL;
  for (int q = 0; q < MODEL_PRODUCTS; q++)
    obs->controlled_kg[q] = kg_of(get(ctl, model_product_name(q)));
  /* branches abroad (issue 11): where, what they hold, their staff */
  const msgpack_object *bs = get(you, "branches");
  obs->has_branches = bs && bs->type == MSGPACK_OBJECT_ARRAY;
  if (obs->has_branches) {
    size_t nb = bs->via.array.size;
    obs->branches = calloc(nb ? nb : 1, sizeof *obs->branches);
    if (!obs->branches)
      goto nomem;
    for (size_t i = 0; i < nb; i++) {
      const msgpack_object *b = &bs->via.array.ptr[i];
      model_obs_branch_t *y = &obs->branches[obs->n_branches++];
      const msgpack_object *id = get(b, "nation");
      if (id && id->type == MSGPACK_OBJECT_STR)
        copy_str(y->nation, MODEL_ID_MAX, id);
      const msgpack_object *inv = get(b, "inventory"), *sf = get(b, "staff");
      for (int q = 0; q < MODEL_PRODUCTS; q++)
        y->inventory_kg[q] = kg_of(get(inv, model_product_name(q)));
      for (int s = 0; s < MODEL_SKILLS; s++)
        y->staff[s] = (int64_t)num(get(sf, model_skill_name(s)));
    }
  }
  /* design J4: a nation's last collection of end-of-life magnets */
  const msgpack_object *col = get(you, "collection");
  obs->scrap_collected_kg = kg_of(get(col, "scrap"));
  obs->collection_paid_cents =
      model_usd_to_cents(num(get(col, "paid")), &v) == 0 ? v : 0;
  /* the story's choices (issue 11): one block holding the pointers, the
   * choices and their orders, which model_obs_free frees at once */
  const msgpack_object *chs = get(you, "choices");
  if (arr_len(chs) > 0) {
    /* at most what a map may hold: a map's choices, each its orders */
    size_t nc = arr_len(chs), no = 0;
    if (nc > MODEL_MAP_CHOICES_MAX)
      nc = MODEL_MAP_CHOICES_MAX;
    for (size_t i = 0; i < nc; i++) {
      size_t k = arr_len(get(&chs->via.array.ptr[i], "orders"));
      no += k < MODEL_ORDERS_MAX ? k : MODEL_ORDERS_MAX;
    }
    char *blk = calloc(
        1, nc * (sizeof(model_map_choice_t *) + sizeof(model_map_choice_t)) +
               no * sizeof(model_order_t));
    if (!blk)
      goto nomem;
    model_map_choice_t **ptr = (model_map_choice_t **)(void *)blk;
    model_map_choice_t *ch =
        (model_map_choice_t *)(void *)(blk + nc * sizeof *ptr);
    model_order_t *ord = (model_order_t *)(void *)(ch + nc);
    obs->choices = (const model_map_choice_t **)ptr;
    for (size_t i = 0; i < nc; i++) {
      const msgpack_object *c = &chs->via.array.ptr[i], *os = get(c, "orders");
      model_map_choice_t *y = &ch[i];
      model_refusal_t r;
      copy_str(y->id, sizeof y->id, get(c, "id"));
      copy_str(y->note, sizeof y->note, get(c, "note"));
      copy_str(y->sources, sizeof y->sources, get(c, "sources"));
      y->seat = -1;
      y->orders = ord;
      for (size_t k = 0; k < arr_len(os) && k < MODEL_ORDERS_MAX; k++)
        if (proto_order_parse(&os->via.array.ptr[k], &ord[y->n_orders], &r) ==
            0)
          y->n_orders++;
      ord += y->n_orders;
      ptr[obs->n_choices++] = y;
    }
  }
  const msgpack_object *tl = get(you, "training_left");
  obs->train_caps = tl != NULL;
  for (int s = 0; s < MODEL_SKILLS; s++) {
    const msgpack_object *x = get(tl, model_skill_name(s));
    obs->training_left[s] =
        x && x->type != MSGPACK_OBJECT_NIL ? (int64_t)num(x) : -1;
  }
  const msgpack_object *hr = get(you, "headroom");
  obs->finance = hr != NULL;
  if (obs->finance) {
    obs->headroom_cents = model_usd_to_cents(num(hr), &v) == 0 ? v : 0;
    obs->interest_rate_ppm = ppm_of_obj(get(you, "interest_rate"));
    obs->deficit_limit_cents =
        model_usd_to_cents(num(get(you, "deficit_limit")), &v) == 0 ? v : 0;
    obs->interest_arrears_cents =
        model_usd_to_cents(num(get(you, "interest_arrears")), &v) == 0 ? v : 0;
    obs->credit_line_cents =
        model_usd_to_cents(num(get(you, "credit_line")), &v) == 0 ? v : 0;
    obs->credit_limit_cents =
        model_usd_to_cents(num(get(you, "credit_limit")), &v) == 0 ? v : 0;
    obs->receivership_turns = (int32_t)num(get(you, "receivership_turns"));
  }
  /* lapsing policies (issue 11): the turn and nation (the policy that
   * returns is not decoded: strategies read the standing ones) */
  const msgpack_object *lp = get(pub, "lapses");
  obs->n_lapses = arr_len(lp);
  obs->lapses = calloc(obs->n_lapses ? obs->n_lapses : 1, sizeof *obs->lapses);
  if (!obs->lapses)
    goto nomem;
  for (size_t i = 0; i < obs->n_lapses; i++) {
    char name[MODEL_ID_MAX] = "";
    copy_str(name, sizeof name, get(&lp->via.array.ptr[i], "nation"));
    obs->lapses[i].nation = nation_of(obs, name);
    obs->lapses[i].turn = (int32_t)num(get(&lp->via.array.ptr[i], "turn"));
  }
  /* demand by sector (issue 11) */
  const msgpack_object *ds = get(pub, "demand_sectors");
  obs->n_sectors = arr_len(ds);
  obs->sectors =
      calloc(obs->n_sectors ? obs->n_sectors : 1, sizeof *obs->sectors);
  if (!obs->sectors)
    goto nomem;
  for (size_t i = 0; i < obs->n_sectors; i++) {
    const msgpack_object *c = &ds->via.array.ptr[i];
    model_obs_sector_t *x = &obs->sectors[i];
    char name[MODEL_ID_MAX] = "";
    copy_str(name, sizeof name, get(c, "nation"));
    x->nation = nation_of(obs, name);
    copy_str(name, sizeof name, get(c, "cleared_in"));
    x->cleared_in = nation_of(obs, name);
    copy_str(name, sizeof name, get(c, "counts_for"));
    x->counts_for = nation_of(obs, name);
    copy_str(name, sizeof name, get(c, "product"));
    x->product = model_product_from_name(name);
    copy_str(name, sizeof name, get(c, "sector"));
    x->sector = model_sector_from_name(name);
    x->volume_kg = kg_of(get(c, "volume"));
    x->consumed_kg = kg_of(get(c, "consumed"));
    x->price_cents = cents_of(get(c, "price"));
    x->elasticity_ppm = -ppm_of_obj(get(c, "elasticity"));
    const msgpack_object *q = get(c, "qualified_only");
    x->qualified_only =
        q && q->type == MSGPACK_OBJECT_BOOLEAN && q->via.boolean;
    const msgpack_object *ex = get(c, "exclude_origin");
    for (size_t k = 0; k < arr_len(ex); k++) {
      name[0] = '\0';
      copy_str(name, sizeof name, &ex->via.array.ptr[k]);
      int n = nation_of(obs, name);
      if (n >= 0)
        x->exclude_origin |= (uint64_t)1 << n;
    }
    x->exclude_from = (int32_t)num(get(c, "from_turn"));
  }
  /* contracts and support (issue 11) */
  const msgpack_object *cs = get(you, "contracts"), *su = get(pub, "support");
  obs->n_contracts = arr_len(cs);
  obs->n_support = arr_len(su);
  obs->contracts =
      calloc(obs->n_contracts ? obs->n_contracts : 1, sizeof *obs->contracts);
  obs->support =
      calloc(obs->n_support ? obs->n_support : 1, sizeof *obs->support);
  if (!obs->contracts || !obs->support)
    goto nomem;
  for (size_t i = 0; i < obs->n_contracts; i++) {
    const msgpack_object *c = &cs->via.array.ptr[i];
    model_obs_contract_t *x = &obs->contracts[i];
    char name[MODEL_ID_MAX] = "";
    copy_str(x->id, sizeof x->id, get(c, "id"));
    copy_str(x->proposer, sizeof x->proposer, get(c, "proposer"));
    copy_str(x->seller, sizeof x->seller, get(c, "seller"));
    copy_str(x->buyer, sizeof x->buyer, get(c, "buyer"));
    copy_str(name, sizeof name, get(c, "product"));
    x->product = model_product_from_name(name);
    copy_str(name, sizeof name, get(c, "status"));
    x->accepted = strcmp(name, "running") == 0;
    x->expires = (int32_t)num(get(c, "expires"));
    x->turns_left = (int32_t)num(get(c, "turns_left"));
    x->quantity_kg = kg_of(get(c, "quantity"));
    x->price_cents_per_kg = cents_of(get(c, "price"));
    x->penalty_cents_per_kg = cents_of(get(c, "penalty"));
    x->delivered_kg = kg_of(get(c, "delivered"));
    x->shortfall_kg = kg_of(get(c, "shortfall"));
    x->excused_kg = kg_of(get(c, "excused"));
    x->penalty_cents =
        model_usd_to_cents(num(get(c, "penalty_paid")), &v) == 0 ? v : 0;
    x->delivered_total_kg = kg_of(get(c, "delivered_total"));
    x->price_last_cents_per_kg = cents_of(get(c, "price_last"));
    const msgpack_object *cu = get(c, "consume");
    x->consume = cu && cu->type == MSGPACK_OBJECT_BOOLEAN && cu->via.boolean;
    name[0] = '\0';
    copy_str(name, sizeof name, get(c, "index"));
    x->index_product = name[0] ? model_product_from_name(name) : -1;
    x->index_share_ppm = ppm_of_obj(get(c, "share"));
    x->floor_cents_per_kg = cents_of(get(c, "floor"));
    x->cap_cents_per_kg = cents_of(get(c, "cap"));
  }
  for (size_t i = 0; i < obs->n_support; i++) {
    const msgpack_object *c = &su->via.array.ptr[i];
    model_obs_support_t *x = &obs->support[i];
    char name[MODEL_ID_MAX] = "";
    copy_str(name, sizeof name, get(c, "kind"));
    x->kind = strcmp(name, "loan") == 0     ? MODEL_SUPPORT_LOAN
              : strcmp(name, "equity") == 0 ? MODEL_SUPPORT_STAKE
                                            : MODEL_SUPPORT_FLOOR;
    copy_str(x->nation, sizeof x->nation, get(c, "nation"));
    copy_str(x->firm, sizeof x->firm, get(c, "firm"));
    copy_str(name, sizeof name, get(c, "product"));
    x->product = model_product_from_name(name);
    x->price_cents_per_kg = cents_of(get(c, "price"));
    x->quantity_kg = kg_of(get(c, "quantity"));
    const msgpack_object *ts = get(c, "two_sided");
    x->two_sided = ts && ts->type == MSGPACK_OBJECT_BOOLEAN && ts->via.boolean;
    x->turns_left = (int32_t)num(get(c, "turns_left"));
    const char *amount = x->kind == MODEL_SUPPORT_LOAN ? "owed" : "paid";
    x->amount_cents = model_usd_to_cents(num(get(c, amount)), &v) == 0 ? v : 0;
    x->rate_ppm =
        ppm_of_obj(get(c, x->kind == MODEL_SUPPORT_LOAN ? "rate" : "stake"));
    const char *last =
        x->kind == MODEL_SUPPORT_FLOOR ? "paid_last" : "repaid_last";
    x->last_cents = model_usd_to_cents(num(get(c, last)), &v) == 0 ? v : 0;
  }
  const msgpack_object *facs = get(you, "facilities");
  obs->n_facilities = arr_len(facs);
  obs->facilities = calloc(obs->n_facilities ? obs->n_facilities : 1,
                           sizeof *obs->facilities);
  if (!obs->facilities)
    goto nomem;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const msgpack_object *f = &facs->via.array.ptr[i];
    model_obs_facility_t *x = &obs->facilities[i];
    char stage[MODEL_ID_MAX];
    copy_str(x->id, sizeof x->id, get(f, "id"));
    copy_str(stage, sizeof stage, get(f, "stage"));
    x->stage = model_stage_from_name(stage);
    copy_str(x->site, sizeof x->site, get(f, "site"));
    copy_str(x->nation, sizeof x->nation, get(f, "nation"));
    x->capacity_kg_per_year = kg_of(get(f, "capacity"));
    x->effective_kg_per_year = kg_of(get(f, "effective_capacity"));
    x->utilisation_ppm = ppm_of_obj(get(f, "utilisation"));
    if (get(f, "heavy_recipe_target")) {
      x->heavy_recipe_ppm = ppm_of_obj(get(f, "heavy_recipe"));
      x->heavy_recipe_target_ppm = ppm_of_obj(get(f, "heavy_recipe_target"));
      x->thrift_turns_left = (int32_t)num(get(f, "thrift_turns_left"));
    }
    x->status = name_is(get(f, "status"), "building") ? MODEL_FAC_BUILDING
                                                      : MODEL_FAC_OPERATING;
    x->turns_left = (int32_t)num(get(f, "turns_left"));
    x->staff = (int64_t)num(get(f, "staff"));
    x->staff_needed = (int64_t)num(get(f, "staff_needed"));
    x->unit_cost_cents_per_kg = cents_of(get(f, "unit_cost"));
    x->recovery_ppm = ppm_of_obj(get(f, "recovery"));
    x->output_kg = kg_of(get(f, "output"));
    x->cumulative_kg = kg_of(get(f, "experience"));
    x->expanding_kg_per_year = kg_of(get(f, "expanding"));
    x->expansion_turns_left = (int32_t)num(get(f, "expansion_turns_left"));
    x->permit_turns_left = (int32_t)num(get(f, "permit_turns_left"));
    x->effective_experience_kg = kg_of(get(f, "experience_effective"));
  }
  const msgpack_object *hist = get(market, "history");
  size_t nh = arr_len(hist);
  obs->n_history = (int32_t)(nh < MODEL_HISTORY_MAX ? nh : MODEL_HISTORY_MAX);
  for (int32_t t = 0; t < obs->n_history; t++)
    for (int p = 0; p < MODEL_PRODUCTS; p++)
      obs->history[t][p] =
          cents_of(get(&hist->via.array.ptr[t], model_product_name(p)));
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    const char *pn = model_product_name(p);
    obs->inventory_kg[p] = kg_of(get(get(you, "inventory"), pn));
    obs->price[p] = cents_of(get(get(market, "prices"), pn));
    obs->volume[p] = kg_of(get(get(market, "volumes"), pn));
    const msgpack_object *d = get(get(you, "demand"), pn);
    obs->demand_kg[p] = kg_of(get(d, "volume"));
    obs->demand_price[p] = cents_of(get(d, "price"));
    obs->consumed_kg[p] = kg_of(get(d, "met"));
  }
  for (int s = 0; s < MODEL_SKILLS; s++) {
    obs->talent_pool[s] =
        (int64_t)num(get(get(you, "talent_pool"), model_skill_name(s)));
    obs->staff[s] = (int64_t)num(get(get(you, "staff"), model_skill_name(s)));
    obs->in_training[s] =
        (int64_t)num(get(get(you, "in_training"), model_skill_name(s)));
  }
  obs->orders = parse_orders(get(you, "orders"), &obs->n_orders);
  obs->policies = parse_orders(get(you, "policies"), &obs->n_policies);
  if (!obs->orders || !obs->policies)
    goto nomem;
  {
    size_t n_standing;
    model_order_t *st = parse_orders(get(you, "standing"), &n_standing);
    if (!st)
      goto nomem;
    for (size_t i = 0; i < n_standing; i++) {
      if (st[i].product < 0 || st[i].product >= MODEL_PRODUCTS)
        continue;
      if (st[i].op == MODEL_OP_OFFER)
        obs->standing_offer[st[i].product] = st[i];
      else if (st[i].op == MODEL_OP_BID)
        obs->standing_bid[st[i].product] = st[i];
    }
    free(st);
  }

  /* market and public */
  obs->regional =
      parse_by_nation(reg, MODEL_PRODUCTS, model_product_name, obs, true);
  obs->production = parse_by_nation(get(pub, "production"), MODEL_STAGES,
                                    model_stage_name, obs, false);
  obs->capacity = parse_by_nation(get(pub, "capacity"), MODEL_STAGES,
                                  model_stage_name, obs, false);
  if (!obs->regional || !obs->production || !obs->capacity)
    goto nomem;
  const msgpack_object *pol = get(pub, "policies");
  size_t total = 0;
  for (size_t n = 0; n < obs->n_nations; n++)
    total += arr_len(get(pol, obs->nations[n]));
  obs->public_policies =
      calloc(total ? total : 1, sizeof *obs->public_policies);
  if (!obs->public_policies)
    goto nomem;
  for (size_t n = 0; n < obs->n_nations; n++) {
    const msgpack_object *arr = get(pol, obs->nations[n]);
    model_refusal_t r;
    for (size_t i = 0; i < arr_len(arr); i++) {
      model_obs_policy_t *x = &obs->public_policies[obs->n_public_policies];
      if (proto_order_parse(&arr->via.array.ptr[i], &x->policy, &r) == 0) {
        x->nation = (int32_t)n;
        obs->n_public_policies++;
      }
    }
  }
  const msgpack_object *ev = get(pub, "events");
  obs->n_news = arr_len(ev);
  obs->news = calloc(obs->n_news ? obs->n_news : 1, sizeof *obs->news);
  const msgpack_object *sc = get(pub, "scores");
  obs->n_scores = arr_len(sc);
  obs->scores = calloc(obs->n_scores ? obs->n_scores : 1, sizeof *obs->scores);
  if (!obs->news || !obs->scores)
    goto nomem;
  for (size_t i = 0; i < obs->n_news; i++)
    parse_event(&ev->via.array.ptr[i], &obs->news[i]);
  for (size_t i = 0; i < obs->n_scores; i++) {
    copy_str(obs->scores[i].seat, MODEL_ID_MAX,
             get(&sc->via.array.ptr[i], "seat"));
    obs->scores[i].score = ppm_of_obj(get(&sc->via.array.ptr[i], "score"));
    char kind[16] = "";
    copy_str(kind, sizeof kind, get(&sc->via.array.ptr[i], "kind"));
    obs->scores[i].kind =
        strcmp(kind, "firm") == 0 ? MODEL_SEAT_FIRM : MODEL_SEAT_NATION;
    copy_str(obs->scores[i].nation, MODEL_ID_MAX,
             get(&sc->via.array.ptr[i], "nation"));
    const msgpack_object *qb = get(&sc->via.array.ptr[i], "qualified");
    obs->scores[i].qualified =
        qb && qb->type == MSGPACK_OBJECT_BOOLEAN && qb->via.boolean;
    const msgpack_object *sb = get(&sc->via.array.ptr[i], "seatless");
    obs->scores[i].seatless =
        sb && sb->type == MSGPACK_OBJECT_BOOLEAN && sb->via.boolean;
  }
  if (parse_plan(pub, obs) != 0)
    goto nomem;
  *out = obs;
  return 0;
nomem:
  model_obs_free(obs);
  return proto_error_set(err, PROTO_INTERNAL, NULL, "out of memory");
}

/* ---- The JSON Schema of one order (orders.schema) --------------------------
 * Generated from model/order_schema.c: one branch of a oneOf per op and
 * policy kind, each fixing op (and kind) with const, so exactly one branch
 * applies to an order. additionalProperties is left open: the wire ignores
 * unknown keys. Units ride along as "x-unit", which validators ignore. */

static int pack_strs(msgpack_packer *pk, const char *const *s, size_t n) {
  int rc = msgpack_pack_array(pk, n);
  for (size_t i = 0; i < n; i++)
    rc |= proto_pack_cstr(pk, s[i]);
  return rc;
}

static int pack_field_schema(msgpack_packer *pk, const model_field_t *f) {
  int rc = proto_pack_cstr(pk, f->key);
  int n;
  const char *const *names = model_field_names(f->type, &n);
  switch (f->type) {
  case MODEL_FIELD_PRODUCT:
  case MODEL_FIELD_STAGE:
  case MODEL_FIELD_SKILL:
    rc |= msgpack_pack_map(pk, 3);
    rc |= proto_pack_kv_cstr(pk, "type", "string");
    rc |= proto_pack_cstr(pk, "enum");
    rc |= pack_strs(pk, names, (size_t)n);
    break;
  case MODEL_FIELD_ID:
  case MODEL_FIELD_PARTNER:
    rc |= msgpack_pack_map(pk, f->type == MODEL_FIELD_PARTNER ? 5 : 4);
    rc |= proto_pack_kv_cstr(pk, "type", "string");
    rc |= proto_pack_kv_u64(pk, "minLength", 1);
    rc |= proto_pack_kv_u64(pk, "maxLength", MODEL_ID_MAX - 1);
    if (f->type == MODEL_FIELD_PARTNER)
      rc |= proto_pack_kv_cstr(pk, "default", "all");
    break;
  case MODEL_FIELD_NUMBER:
  case MODEL_FIELD_INTEGER:
    rc |= msgpack_pack_map(pk, 5);
    if (f->presence == MODEL_FIELD_NIL_LIFTS) {
      static const char *const nullable[] = {"number", "null"};
      rc |= proto_pack_cstr(pk, "type");
      rc |= pack_strs(pk, nullable, 2);
    } else {
      rc |= proto_pack_kv_cstr(
          pk, "type", f->type == MODEL_FIELD_INTEGER ? "integer" : "number");
    }
    if (f->type == MODEL_FIELD_INTEGER) {
      rc |= proto_pack_kv_i64(pk, "minimum", (int64_t)f->min);
      rc |= proto_pack_kv_i64(pk, "maximum", (int64_t)f->max);
    } else {
      rc |= proto_pack_kv_f64(pk, "minimum", f->min);
      rc |= proto_pack_kv_f64(pk, "maximum", f->max);
    }
    rc |= proto_pack_kv_cstr(pk, "x-unit", model_unit_name(f->unit));
    break;
  case MODEL_FIELD_BOOL:
    rc |= msgpack_pack_map(pk, f->presence == MODEL_FIELD_OPTIONAL ||
                                       f->presence == MODEL_FIELD_NEGATED
                                   ? 3
                                   : 2);
    rc |= proto_pack_kv_cstr(pk, "type", "boolean");
    if (f->presence == MODEL_FIELD_OPTIONAL)
      rc |= proto_pack_kv_bool(pk, "default", false);
    if (f->presence == MODEL_FIELD_NEGATED)
      rc |= proto_pack_kv_bool(pk, "default", true);
    break;
  }
  rc |= proto_pack_kv_cstr(pk, "description", f->description);
  return rc;
}

/* The rules across fields, as JSON Schema conditionals: a price is
 * required when quantity is more than 0; a new mine needs a site. */
static size_t n_conditions(const model_order_schema_t *s) {
  size_t n = s->op == MODEL_OP_BUILD;
  for (size_t i = 0; i < s->n_fields; i++)
    n += s->fields[i].presence == MODEL_FIELD_IF_QUANTITY;
  return n;
}

static int pack_conditions(msgpack_packer *pk, const model_order_schema_t *s) {
  int rc = proto_pack_cstr(pk, "allOf");
  rc |= msgpack_pack_array(pk, n_conditions(s));
  for (size_t i = 0; i < s->n_fields; i++) {
    if (s->fields[i].presence != MODEL_FIELD_IF_QUANTITY)
      continue;
    /* {"if": {"properties": {"quantity": {"exclusiveMinimum": 0}},
     *         "required": ["quantity"]},
     *  "then": {"required": [key]}} */
    static const char *const q[] = {"quantity"};
    rc |= msgpack_pack_map(pk, 2);
    rc |= proto_pack_cstr(pk, "if");
    rc |= msgpack_pack_map(pk, 2);
    rc |= proto_pack_cstr(pk, "properties");
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_cstr(pk, "quantity");
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_kv_i64(pk, "exclusiveMinimum", 0);
    rc |= proto_pack_cstr(pk, "required");
    rc |= pack_strs(pk, q, 1);
    rc |= proto_pack_cstr(pk, "then");
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_cstr(pk, "required");
    rc |= pack_strs(pk, &s->fields[i].key, 1);
  }
  if (s->op == MODEL_OP_BUILD) {
    /* {"if": {"properties": {"stage": {"const": "mining"}}},
     *  "then": {"anyOf": [{"required": ["site"]},
     *                     {"required": ["facility"]}]}} */
    static const char *const site[] = {"site"}, *const fac[] = {"facility"};
    rc |= msgpack_pack_map(pk, 2);
    rc |= proto_pack_cstr(pk, "if");
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_cstr(pk, "properties");
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_cstr(pk, "stage");
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_kv_cstr(pk, "const", model_stage_name(MODEL_MINING));
    rc |= proto_pack_cstr(pk, "then");
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_cstr(pk, "anyOf");
    rc |= msgpack_pack_array(pk, 2);
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_cstr(pk, "required");
    rc |= pack_strs(pk, site, 1);
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_cstr(pk, "required");
    rc |= pack_strs(pk, fac, 1);
  }
  return rc;
}

static int pack_branch(msgpack_packer *pk, const model_order_schema_t *s) {
  bool policy = s->kind >= 0;
  size_t n_cond = n_conditions(s);
  char title[64];
  snprintf(title, sizeof title, "%s%s", policy ? "policy " : "", s->name);
  int rc = msgpack_pack_map(pk, 7 + (n_cond > 0));
  rc |= proto_pack_kv_cstr(pk, "title", title);
  rc |= proto_pack_kv_cstr(pk, "description", s->description);
  rc |= proto_pack_kv_cstr(pk, "x-who", s->who);
  rc |= proto_pack_kv_bool(pk, "x-stands", s->stands);
  rc |= proto_pack_kv_cstr(pk, "type", "object");
  rc |= proto_pack_cstr(pk, "properties");
  rc |= msgpack_pack_map(pk, 1 + policy + s->n_fields);
  rc |= proto_pack_cstr(pk, "op");
  rc |= msgpack_pack_map(pk, 1);
  rc |= proto_pack_kv_cstr(pk, "const", model_op_name(s->op));
  if (policy) {
    rc |= proto_pack_cstr(pk, "kind");
    rc |= msgpack_pack_map(pk, 1);
    rc |= proto_pack_kv_cstr(pk, "const", s->name);
  }
  for (size_t i = 0; i < s->n_fields; i++)
    rc |= pack_field_schema(pk, &s->fields[i]);
  size_t n_req = 1 + policy;
  for (size_t i = 0; i < s->n_fields; i++)
    n_req += s->fields[i].presence == MODEL_FIELD_REQUIRED;
  rc |= proto_pack_cstr(pk, "required");
  rc |= msgpack_pack_array(pk, n_req);
  rc |= proto_pack_cstr(pk, "op");
  if (policy)
    rc |= proto_pack_cstr(pk, "kind");
  for (size_t i = 0; i < s->n_fields; i++)
    if (s->fields[i].presence == MODEL_FIELD_REQUIRED)
      rc |= proto_pack_cstr(pk, s->fields[i].key);
  if (n_cond)
    rc |= pack_conditions(pk, s);
  return rc;
}

int proto_pack_order_schema(msgpack_packer *pk) {
  const char *ops[MODEL_OPS];
  for (int i = 0; i < MODEL_OPS; i++)
    ops[i] = model_op_name(i);
  size_t n = model_order_schema_count();
  int rc = msgpack_pack_map(pk, 7);
  rc |= proto_pack_kv_cstr(pk, "$schema",
                           "https://json-schema.org/draft/2020-12/schema");
  rc |= proto_pack_kv_cstr(pk, "title", "Lanthanide order");
  rc |= proto_pack_kv_cstr(
      pk, "description",
      "One order map of orders.submit (docs/orders.md). Numbers are in wire "
      "units (x-unit); unknown keys are ignored.");
  rc |= proto_pack_kv_cstr(pk, "type", "object");
  static const char *const op_req[] = {"op"};
  rc |= proto_pack_cstr(pk, "required");
  rc |= pack_strs(pk, op_req, 1);
  rc |= proto_pack_cstr(pk, "properties");
  rc |= msgpack_pack_map(pk, 1);
  rc |= proto_pack_cstr(pk, "op");
  rc |= msgpack_pack_map(pk, 2);
  rc |= proto_pack_kv_cstr(pk, "type", "string");
  rc |= proto_pack_cstr(pk, "enum");
  rc |= pack_strs(pk, ops, MODEL_OPS);
  rc |= proto_pack_cstr(pk, "oneOf");
  rc |= msgpack_pack_array(pk, n);
  for (size_t i = 0; i < n; i++)
    rc |= pack_branch(pk, model_order_schema_at(i));
  return rc;
}

/* ---- Amendments (issue 13) ---------------------------------------------- */

static int copy_id(const msgpack_object *o, const char *key, char *out,
                   size_t cap, proto_error_t *err) {
  const char *s;
  uint32_t len;
  if (proto_param_str(o, key, true, &s, &len, err) < 0)
    return -1;
  if (len == 0 || len >= cap)
    return proto_error_set(err, PROTO_BAD_REQUEST, key,
                           "field '%s' must hold 1 to %zu bytes", key, cap - 1);
  memcpy(out, s, len);
  out[len] = '\0';
  return 0;
}

int proto_amendment_parse(const msgpack_object *o, const model_map_t *map,
                          model_amendment_t *out, proto_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!o || o->type != MSGPACK_OBJECT_MAP)
    return proto_error_set(err, PROTO_BAD_REQUEST, NULL,
                           "an amendment must be a map {seat, kind, reason, "
                           "...}, not %s",
                           proto_type_name(o));
  char kind[32], seat[MODEL_ID_MAX];
  if (copy_id(o, "kind", kind, sizeof kind, err) != 0)
    return -1;
  int k = model_amend_kind_from_name(kind);
  if (k < 0)
    return proto_error_set(err, PROTO_BAD_REQUEST, "kind",
                           "field 'kind' must be cash, production, delivery "
                           "or refuse_order, not '%s'",
                           kind);
  out->kind = (model_amend_kind_t)k;
  if (copy_id(o, "seat", seat, sizeof seat, err) != 0)
    return -1;
  out->seat = model_map_seat_index(map, seat);
  if (out->seat < 0)
    return proto_error_set(
        err, PROTO_NOT_FOUND, "seat",
        "there is no seat '%s' in this session (session.list "
        "shows its seats)",
        seat);
  const char *reason;
  uint32_t rlen;
  if (proto_param_str(o, "reason", true, &reason, &rlen, err) < 0)
    return -1;
  if (rlen == 0 || rlen >= MODEL_REASON_MAX)
    return proto_error_set(err, PROTO_BAD_REQUEST, "reason",
                           "field 'reason' must say why, in 1 to %d bytes",
                           MODEL_REASON_MAX - 1);
  memcpy(out->reason, reason, rlen);
  out->reason[rlen] = '\0';
  int64_t v = 0;
  switch (out->kind) {
  case MODEL_AMEND_CASH:
    if (proto_param_i64(o, "amount_cents", true, &out->amount_cents, err) < 0)
      return -1;
    break;
  case MODEL_AMEND_PRODUCTION:
    if (copy_id(o, "facility", out->facility, sizeof out->facility, err) != 0 ||
        proto_param_i64(o, "kg", true, &out->kg, err) < 0)
      return -1;
    break;
  case MODEL_AMEND_DELIVERY:
    if (copy_id(o, "contract", out->contract, sizeof out->contract, err) != 0 ||
        proto_param_i64(o, "kg", true, &out->kg, err) < 0)
      return -1;
    break;
  case MODEL_AMEND_REFUSE_ORDER:
    if (proto_param_i64(o, "order", true, &v, err) < 0)
      return -1;
    if (v < 0 || v >= MODEL_ORDERS_MAX)
      return proto_error_set(err, PROTO_BAD_REQUEST, "order",
                             "field 'order' must be an index from 0 to %d "
                             "into the seat's accepted orders of the turn",
                             MODEL_ORDERS_MAX - 1);
    out->order = (int32_t)v;
    break;
  default:
    break;
  }
  return 0;
}

int proto_pack_amendment(msgpack_packer *pk, const model_map_t *map,
                         const model_amendment_t *a) {
  int rc = 0;
  bool two =
      a->kind == MODEL_AMEND_PRODUCTION || a->kind == MODEL_AMEND_DELIVERY;
  rc |= msgpack_pack_map(pk, 4 + (two ? 1 : 0));
  rc |= proto_pack_kv_cstr(pk, "seat", model_map_seat_id(map, (size_t)a->seat));
  rc |= proto_pack_kv_cstr(pk, "kind", model_amend_kind_name(a->kind));
  rc |= proto_pack_kv_cstr(pk, "reason", a->reason);
  switch (a->kind) {
  case MODEL_AMEND_CASH:
    rc |= proto_pack_kv_i64(pk, "amount_cents", a->amount_cents);
    break;
  case MODEL_AMEND_PRODUCTION:
    rc |= proto_pack_kv_cstr(pk, "facility", a->facility);
    rc |= proto_pack_kv_i64(pk, "kg", a->kg);
    break;
  case MODEL_AMEND_DELIVERY:
    rc |= proto_pack_kv_cstr(pk, "contract", a->contract);
    rc |= proto_pack_kv_i64(pk, "kg", a->kg);
    break;
  default:
    rc |= proto_pack_kv_i64(pk, "order", a->order);
    break;
  }
  return rc ? -1 : 0;
}
