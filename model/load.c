/* load.c: map files (docs/maps.md) into model_map_t, with jansson.
 *
 * The loader keeps the JSON path it is reading; when it fails, locate.c
 * turns that path (or jansson's own syntax error) into file:line:column.
 */
#include "model_internal.h"

#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  const char *text;
  size_t len;
  const char *name;
  model_error_t *err;
  json_t *sources;
  model_jpath_t path;   /* where the loader is reading (locate.c) */
  const model_map_t *m; /* the map being read (its parameters first) */
} ld_t;

/* Design J4: the message for a stage, skill or product of recycling on a
 * map without it. */
#define NO_RECYCLING                                                           \
  "the map has no recycling; add parameters.recycling (docs/maps.md) to "      \
  "use it"

__attribute__((format(printf, 2, 3))) static int fail(ld_t *ld, const char *fmt,
                                                      ...) {
  if (ld->err) {
    char msg[MODEL_MESSAGE_MAX], where[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    model_jpath_str(&ld->path, where, sizeof where);
    snprintf(ld->err->file, sizeof ld->err->file, "%s", ld->name);
    model_jpath_locate(&ld->path, ld->text, ld->len, &ld->err->line,
                       &ld->err->column);
    /* Long paths and messages are cut, not an error. */
    if (snprintf(ld->err->message, sizeof ld->err->message, "%s%s%s",
                 where[0] ? where : "", where[0] ? ": " : "", msg) < 0)
      ld->err->message[0] = 0;
  }
  return MODEL_EMAP;
}

static void push_key(ld_t *ld, const char *k) {
  model_jpath_push_key(&ld->path, k);
}
static void push_idx(ld_t *ld, size_t i) {
  model_jpath_push_idx(&ld->path, i);
}
static void pop(ld_t *ld) {
  model_jpath_pop(&ld->path);
}

/* Refuses keys not in `allowed` (NULL-terminated); "_"-prefixed keys are
 * comments. */
static int check_keys(ld_t *ld, json_t *obj, const char *const *allowed) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    if (key[0] == '_')
      continue;
    bool ok = false;
    for (const char *const *a = allowed; *a; a++)
      if (strcmp(*a, key) == 0)
        ok = true;
    if (!ok) {
      char list[200] = "";
      size_t k = 0;
      for (const char *const *a = allowed; *a && k < sizeof list - 1; a++) {
        int w = snprintf(list + k, sizeof list - k, "%s%s",
                         a == allowed ? "" : ", ", *a);
        if (w < 0)
          break;
        k += (size_t)w;
      }
      push_key(ld, key);
      ld->path.point_key = true;
      int rc = fail(ld, "unknown key \"%s\"; expected one of: %s", key, list);
      ld->path.point_key = false;
      pop(ld);
      return rc;
    }
  }
  return 0;
}

/* A figure: a number, or {"value": n, "source": key|[keys], "assumption":
 * str, "note": str}. Reads obj[key]; *present says whether it was there. */
/* A figure value: a number, or {"value": n, "source": key|[keys],
 * "assumption": str, "note": str}. The caller has pushed its path. */
static int figure_value(ld_t *ld, json_t *v, double *out) {
  if (json_is_number(v)) {
    *out = json_number_value(v);
    return 0;
  }
  if (!json_is_object(v))
    return fail(ld, "expected a number, or {\"value\": n, \"source\": key}");
  static const char *const ks[] = {"value", "source", "assumption", "note",
                                   NULL};
  int rc = check_keys(ld, v, ks);
  if (rc)
    return rc;
  json_t *val = json_object_get(v, "value");
  if (!json_is_number(val))
    return fail(ld, "a figure object needs \"value\": a number");
  json_t *src = json_object_get(v, "source");
  json_t *as = json_object_get(v, "assumption");
  if (!src && !as)
    return fail(ld, "a figure object needs \"source\" (a key of the "
                    "top-level \"sources\") or \"assumption\" (why)");
  if (as && !json_is_string(as))
    return fail(ld, "\"assumption\" must be a string");
  if (src) {
    if (!json_is_array(src) && !json_is_string(src))
      return fail(ld, "\"source\" must be a source key or an array of keys");
    size_t n = json_is_array(src) ? json_array_size(src) : 1;
    for (size_t i = 0; i < n; i++) {
      json_t *s = json_is_array(src) ? json_array_get(src, i) : src;
      if (!json_is_string(s) ||
          !json_object_get(ld->sources, json_string_value(s))) {
        push_key(ld, "source");
        rc = fail(ld,
                  "source \"%s\" is not a key of the top-level "
                  "\"sources\" table",
                  json_is_string(s) ? json_string_value(s) : "?");
        pop(ld);
        return rc;
      }
    }
  }
  *out = json_number_value(val);
  return 0;
}

/* Reads obj[key] as a figure; *present says whether it was there. */
static int figure(ld_t *ld, json_t *obj, const char *key, bool required,
                  double *out, bool *present) {
  json_t *v = json_object_get(obj, key);
  if (present)
    *present = v != NULL;
  if (!v) {
    if (required)
      return fail(ld,
                  "missing \"%s\" (a number, or {\"value\": ..., "
                  "\"source\": ...})",
                  key);
    return 0;
  }
  push_key(ld, key);
  int rc = figure_value(ld, v, out);
  pop(ld);
  return rc;
}

typedef enum { U_KG, U_CENTS, U_PRICE, U_PPM, U_PLAIN } unit_t;

/* The bounds on a map's own figures (model.h, MODEL_MAP_*), in wire units:
 * tonnes and US dollars. Standing orders in a map are orders, bounded by
 * the orders' own limits (model_order_check_map). */
#define T_MAX       ((double)MODEL_MAP_KG_MAX / 1000.0)
#define RESERVE_MAX ((double)MODEL_MAP_RESERVE_KG_MAX / 1000.0)
#define USD_MAX     ((double)MODEL_MAP_MONEY_MAX / 100.0)
#define PEOPLE_MAX  ((double)MODEL_MAP_PEOPLE_MAX)

static const char *unit_name(unit_t u) {
  switch (u) {
  case U_KG:
    return "tonnes";
  case U_CENTS:
    return "US dollars";
  case U_PRICE:
    return "US dollars per kg";
  case U_PPM:
    return "a fraction";
  default:
    return "a number";
  }
}

/* A figure converted to internal units and checked against [lo, hi] (in
 * wire units). Leaves *out alone when absent and not required. */
static int num(ld_t *ld, json_t *obj, const char *key, bool required, unit_t u,
               double lo, double hi, int64_t *out) {
  double d = 0;
  bool present = false;
  int rc = figure(ld, obj, key, required, &d, &present);
  if (rc || !present)
    return rc;
  push_key(ld, key);
  if (!(d >= lo && d <= hi)) {
    rc = fail(ld, "must be %s between %g and %g, not %g", unit_name(u), lo, hi,
              d);
    pop(ld);
    return rc;
  }
  switch (u) {
  case U_KG:
    rc = model_tonnes_to_kg(d, out);
    break;
  case U_CENTS:
    rc = model_usd_to_cents(d, out);
    break;
  case U_PRICE:
    rc = model_usd_per_kg_to_cents(d, out);
    break;
  case U_PPM:
    rc = model_fraction_to_ppm(d, out);
    break;
  default:
    if (d != (double)(int64_t)d)
      rc = MODEL_ERANGE;
    else
      *out = (int64_t)d;
  }
  if (rc)
    rc = fail(ld, "%g is out of range for %s", d, unit_name(u));
  pop(ld);
  return rc;
}

static int str(ld_t *ld, json_t *obj, const char *key, bool required, char *out,
               size_t cap) {
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required)
      return fail(ld, "missing \"%s\" (a string)", key);
    return 0;
  }
  push_key(ld, key);
  int rc = 0;
  if (!json_is_string(v))
    rc = fail(ld, "expected a string");
  else if (strlen(json_string_value(v)) >= cap || !json_string_value(v)[0])
    rc = fail(ld, "expected a non-empty string of at most %zu bytes", cap - 1);
  else
    snprintf(out, cap, "%s", json_string_value(v));
  pop(ld);
  return rc;
}

static int get_obj(ld_t *ld, json_t *obj, const char *key, json_t **out) {
  json_t *v = json_object_get(obj, key);
  *out = NULL;
  if (!v)
    return 0;
  if (!json_is_object(v)) {
    push_key(ld, key);
    int rc = fail(ld, "expected an object");
    pop(ld);
    return rc;
  }
  *out = v;
  return 0;
}

static int get_arr(ld_t *ld, json_t *obj, const char *key, bool required,
                   json_t **out) {
  json_t *v = json_object_get(obj, key);
  *out = NULL;
  if (!v) {
    if (required)
      return fail(ld, "missing \"%s\" (an array)", key);
    return 0;
  }
  if (!json_is_array(v)) {
    push_key(ld, key);
    int rc = fail(ld, "expected an array");
    pop(ld);
    return rc;
  }
  *out = v;
  return 0;
}

/* An object keyed by product / stage / skill names, each a figure. */
static int named(ld_t *ld, json_t *obj, const char *key,
                 const char *const *names, int n, unit_t u, double lo,
                 double hi, int64_t *out) {
  json_t *o;
  int rc = get_obj(ld, obj, key, &o);
  if (rc || !o)
    return rc;
  push_key(ld, key);
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    if (k[0] == '_')
      continue;
    int idx = -1;
    for (int i = 0; i < n; i++)
      if (strcmp(names[i], k) == 0)
        idx = i;
    if (idx < 0) {
      push_key(ld, k);
      char list[512] = "";
      size_t w = 0;
      for (int i = 0; i < n && w < sizeof list; i++)
        w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", i ? ", " : "",
                              names[i]);
      rc = fail(ld, "unknown name \"%s\"; expected one of: %s", k, list);
      pop(ld);
      break;
    }
    if (ld->m && ((names == model__stage_names && !map_has_stage(ld->m, idx)) ||
                  (names == model__product_names && idx == MODEL_SCRAP &&
                   !map_has(ld->m, idx)))) {
      push_key(ld, k);
      rc = fail(ld, "%s: " NO_RECYCLING, k);
      pop(ld);
      break;
    }
    if ((rc = num(ld, o, k, true, u, lo, hi, &out[idx])))
      break;
  }
  pop(ld);
  return rc;
}

static const char *const ELEMENTS[] = {"ndpr_oxide", "dytb_oxide", "lace_oxide",
                                       "dy_oxide", "tb_oxide"};

/* The message for a product a map does not have (design J1). */
static const char *absent_hint(const model_map_t *m) {
  return m->heavy_split ? "use dy_oxide and tb_oxide (parameters."
                          "heavy_products is \"split\")"
                        : "use dytb_oxide (parameters.heavy_products is "
                          "\"basket\")";
}

/* A concentrate basket (shares of the oxides, summing to 1) into b[4]:
 * ndpr, dytb (dy on split maps), lace, tb (split maps). On a split map a
 * basket given with dytb_oxide is divided by dy_share_of_heavies (floor to
 * Dy, the rest to Tb); dy_oxide and tb_oxide exist on split maps only. */
static int basket(ld_t *ld, const model_map_t *m, json_t *o, const char *key,
                  int64_t b[4]) {
  int64_t e[5] = {-1, -1, -1, -1, -1};
  int rc = named(ld, o, key, ELEMENTS, 5, U_PPM, 0, 1, e);
  if (rc)
    return rc;
  push_key(ld, key);
  bool dytb = e[1] >= 0, dytb_split = e[3] >= 0 || e[4] >= 0;
  if (dytb_split && !m->heavy_split)
    rc = fail(ld, "dy_oxide and tb_oxide are not products of this map; %s",
              absent_hint(m));
  else if (dytb && dytb_split)
    rc = fail(ld, "give dytb_oxide or dy_oxide and tb_oxide, not both");
  else if (e[0] < 0 || e[2] < 0 || (!dytb && (e[3] < 0 || e[4] < 0)))
    rc = fail(ld, m->heavy_split
                      ? "needs ndpr_oxide, dy_oxide, tb_oxide (or dytb_oxide) "
                        "and lace_oxide summing to 1 (to the ppm)"
                      : "needs ndpr_oxide, dytb_oxide and lace_oxide summing "
                        "to 1 (to the ppm)");
  if (!rc) {
    b[0] = e[0];
    b[2] = e[2];
    if (dytb && m->heavy_split) {
      b[1] = ppm_of(e[1], m->dy_share_ppm);
      b[3] = e[1] - b[1];
    } else {
      b[1] = dytb ? e[1] : e[3];
      b[3] = dytb ? 0 : e[4];
    }
    if (b[0] + b[1] + b[2] + b[3] != MODEL_PPM)
      rc = fail(ld, "the shares must sum to 1 (to the ppm)");
  }
  pop(ld);
  return rc;
}

/* ---- orders in PROTOCOL.md's wire format ---- */
static int name_field(ld_t *ld, json_t *o, const char *key,
                      const char *const *names, int n, int32_t *out) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return fail(ld, "missing \"%s\"", key);
  push_key(ld, key);
  int idx = -1;
  if (json_is_string(v))
    for (int i = 0; i < n; i++)
      if (strcmp(names[i], json_string_value(v)) == 0)
        idx = i;
  int rc = 0;
  if (idx < 0) {
    char list[512] = "";
    size_t w = 0;
    for (int i = 0; i < n && w < sizeof list; i++)
      w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", i ? ", " : "",
                            names[i]);
    rc = fail(ld, "expected one of: %s", list);
  } else if (ld->m && names == model__stage_names &&
             !map_has_stage(ld->m, idx)) {
    rc = fail(ld, "%s: " NO_RECYCLING, names[idx]);
  } else {
    *out = idx;
  }
  pop(ld);
  return rc;
}

static int opt_bool(ld_t *ld, json_t *o, const char *key, bool *out) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return 0;
  if (!json_is_boolean(v)) {
    push_key(ld, key);
    int rc = fail(ld, "expected true or false");
    pop(ld);
    return rc;
  }
  *out = json_is_true(v);
  return 0;
}

/* A number field of the order schema: a figure (a number, or {"value": n,
 * "source": ...}) in the field's unit, within its range. The caller knows
 * it is present. */
static int order_num(ld_t *ld, json_t *o, const model_field_t *f,
                     int64_t *out) {
  double d = 0;
  int rc = figure(ld, o, f->key, true, &d, NULL);
  if (rc)
    return rc;
  push_key(ld, f->key);
  if (!(d >= f->min && d <= f->max) ||
      model_unit_to_internal(f->unit, d, out) != 0)
    rc = fail(ld, "must be %s, not %g", f->allowed, d);
  pop(ld);
  return rc;
}

/* One field of the order's schema (model/order_schema.c) into its place
 * in *out. */
static int order_field(ld_t *ld, json_t *o, const model_field_t *f,
                       model_order_t *out) {
  char *at = (char *)out + f->offset;
  json_t *v = json_object_get(o, f->key);
  bool required =
      f->presence == MODEL_FIELD_REQUIRED ||
      (f->presence == MODEL_FIELD_IF_QUANTITY && out->quantity_kg > 0);
  int n;
  const char *const *names = model_field_names(f->type, &n);
  switch (f->type) {
  case MODEL_FIELD_PRODUCT:
  case MODEL_FIELD_STAGE:
  case MODEL_FIELD_SKILL:
    if (!v && !required)
      return 0;
    return name_field(ld, o, f->key, names, n, (int32_t *)(void *)at);
  case MODEL_FIELD_ID:
  case MODEL_FIELD_PARTNER: /* absent: "", which means "all" */
    return str(ld, o, f->key, required, at, MODEL_ID_MAX);
  case MODEL_FIELD_NUMBER:
  case MODEL_FIELD_INTEGER:
    /* nil (or absent) lifts a quota (PROTOCOL.md). */
    if (f->presence == MODEL_FIELD_NIL_LIFTS && (!v || json_is_null(v))) {
      out->lift = true;
      return 0;
    }
    if (!v) {
      if (required)
        return fail(ld, "missing \"%s\" (%s)", f->key, f->allowed);
      return 0;
    }
    return order_num(ld, o, f, (int64_t *)(void *)at);
  case MODEL_FIELD_BOOL:
    if (!v && required)
      return fail(ld, "missing \"%s\" (true or false)", f->key);
    if (f->presence == MODEL_FIELD_NEGATED) {
      /* stored negated: absent (true) is false inside */
      bool w = true;
      int rc = opt_bool(ld, o, f->key, &w);
      *(bool *)(void *)at = !w;
      return rc;
    }
    return opt_bool(ld, o, f->key, (bool *)(void *)at);
  }
  return fail(ld, "field \"%s\" has no type", f->key);
}

/* Parses one order map into internal units, field by field as the order
 * schema lists them, with its ranges; what depends on the map (the seat's
 * kind, ids) is left to order validation (orders.c), which the loader runs
 * too. Fields outside the op's schema keep the values this loader has
 * always given them (zero; a policy's product -1), because scripted policy
 * events carry these orders into the state's news, and so into its hash. */
static int parse_order(ld_t *ld, json_t *o, model_order_t *out) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(o))
    return fail(ld, "expected an order map {\"op\": ...}");
  int32_t op = 0, kind = -1;
  int rc = name_field(ld, o, "op", model__op_names, MODEL_OPS, &op);
  if (rc)
    return rc;
  out->op = (model_op_t)op;
  if (out->op == MODEL_OP_POLICY) {
    const char *kinds[MODEL_POLICY_KINDS];
    for (int k = 0; k < MODEL_POLICY_KINDS; k++)
      kinds[k] = model_policy_name(k);
    if ((rc = name_field(ld, o, "kind", kinds, MODEL_POLICY_KINDS, &kind)))
      return rc;
    out->kind = (model_policy_kind_t)kind;
    out->product = -1;
  }
  const model_order_schema_t *s = model_order_schema(op, kind);
  for (size_t i = 0; i < s->n_fields && !rc; i++)
    rc = order_field(ld, o, &s->fields[i], out);
  return rc;
}

/* Parses an array of orders and validates each with the map-level checks
 * (seat kind, ranges). */
static int parse_orders(ld_t *ld, model_map_t *m, json_t *arr, int who,
                        bool is_nation, model_order_t **out, size_t *n) {
  size_t k = json_array_size(arr);
  *out = NULL;
  *n = 0;
  if (k == 0)
    return 0;
  if (k > MODEL_ORDERS_MAX)
    return fail(ld, "at most %d orders", MODEL_ORDERS_MAX);
  model_order_t *o = calloc(k, sizeof *o);
  if (!o)
    return MODEL_ENOMEM;
  *out = o;
  for (size_t i = 0; i < k; i++) {
    push_idx(ld, i);
    int rc = parse_order(ld, json_array_get(arr, i), &o[i]);
    if (!rc) {
      model_refusal_t r;
      if (model_order_check_map(m, who, is_nation, &o[i], &r)) {
        push_key(ld, r.field);
        rc = fail(ld, "%s", r.message);
        pop(ld);
      }
    }
    pop(ld);
    if (rc)
      return rc;
    (*n)++;
  }
  return 0;
}

/* ---- sorted id indices (duplicate checks and lookups in O(n log n)) ---- */
typedef struct {
  const char *id;
  int32_t idx;
} idx_t;

static int idx_cmp(const void *a, const void *b) {
  const idx_t *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Builds a sorted index of n ids (stride bytes apart); returns the index of
 * a duplicated entry in *dup (or -1). */
static idx_t *idx_build(const char *base, size_t stride, size_t n,
                        int32_t *dup) {
  idx_t *ix = malloc((n ? n : 1) * sizeof *ix);
  *dup = -1;
  if (!ix)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    ix[i].id = base + i * stride;
    ix[i].idx = (int32_t)i;
  }
  qsort(ix, n, sizeof *ix, idx_cmp);
  for (size_t i = 1; i < n; i++)
    if (strcmp(ix[i].id, ix[i - 1].id) == 0 && (*dup < 0 || ix[i].idx < *dup))
      *dup = ix[i].idx;
  return ix;
}

static int32_t idx_find(const idx_t *ix, size_t n, const char *id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(ix[mid].id, id);
    if (c == 0)
      return ix[mid].idx;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* A wage (docs/maps.md): a number (USD per person-year), or, in model
 * version 2, {"engineer": USD, "worker": USD, "engineer_share": f}: the
 * wage of a stage's staff as a mix of engineers and production workers
 * (floor to the cent). Leaves *out alone when absent. */
static int wage_value(ld_t *ld, model_map_t *m, json_t *obj, const char *key,
                      int64_t *out) {
  json_t *v = json_object_get(obj, key);
  double hi = (double)MODEL_MAP_WAGE_MAX / 100.0;
  if (!v || !json_is_object(v) || json_object_get(v, "value"))
    return num(ld, obj, key, false, U_CENTS, 0, hi, out);
  static const char *const wk[] = {"engineer", "worker", "engineer_share",
                                   NULL};
  push_key(ld, key);
  int64_t eng = 0, wrk = 0, share = 0;
  int rc = check_keys(ld, v, wk);
  if (!rc)
    rc = num(ld, v, "engineer", true, U_CENTS, 0, hi, &eng);
  if (!rc)
    rc = num(ld, v, "worker", true, U_CENTS, 0, hi, &wrk);
  if (!rc)
    rc = num(ld, v, "engineer_share", true, U_PPM, 0, 1, &share);
  if (!rc)
    *out = ppm_of(eng, share) + ppm_of(wrk, MODEL_PPM - share);
  m->v2 = true;
  pop(ld);
  return rc;
}

/* A nation's "wages": an object keyed by stage, each a wage_value. */
static int wages_by_stage(ld_t *ld, model_map_t *m, json_t *o, int64_t *out) {
  json_t *w;
  int rc = get_obj(ld, o, "wages", &w);
  if (rc || !w)
    return rc;
  push_key(ld, "wages");
  const char *k;
  json_t *v;
  json_object_foreach(w, k, v) {
    if (k[0] == '_')
      continue;
    int idx = -1;
    for (int i = 0; i < NS; i++)
      if (strcmp(model__stage_names[i], k) == 0)
        idx = i;
    if (idx < 0 || !map_has_stage(m, idx)) {
      push_key(ld, k);
      rc = idx < 0 ? fail(ld,
                          "unknown name \"%s\"; expected one of: mining, "
                          "separation, magnet",
                          k)
                   : fail(ld, "%s: " NO_RECYCLING, k);
      pop(ld);
      break;
    }
    if ((rc = wage_value(ld, m, w, k, &out[idx])))
      break;
  }
  pop(ld);
  return rc;
}

/* A yearly rate g (ppm) as a per-turn rate: the smallest ppm r with
 * (1 + r)^4 >= 1 + g, by bisection on exact integers whose products are
 * truncated to ppm (so it may be 1 ppm above the exact root; 0 for 0). */
static int64_t yearly_to_quarter_ppm(int64_t g) {
  int64_t lo = -MODEL_PPM / 4, hi = MODEL_PPM;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    __int128 x = MODEL_PPM + mid, y = x;
    for (int q = 0; q < 3; q++)
      y = y * x / MODEL_PPM;
    if (y >= MODEL_PPM + g)
      hi = mid;
    else
      lo = mid + 1;
  }
  return g ? lo : 0;
}

/* parameters.finance (docs/maps.md): yearly interest rates, the share of
 * collateral banks lend against, receivership. Its presence switches the
 * money limits on. */
static int load_finance(ld_t *ld, model_map_t *m, json_t *p) {
  json_t *f;
  int rc = get_obj(ld, p, "finance", &f);
  if (rc || !f)
    return rc;
  push_key(ld, "finance");
  static const char *const fk[] = {"nation_rate",       "firm_rate",
                                   "collateral_share",  "receivership_turns",
                                   "liquidation_share", NULL};
  int64_t nr = 0, fr = 0, rt = 8;
  m->collateral_ppm = 500000;
  m->liquidation_ppm = 300000;
  rc = check_keys(ld, f, fk);
  if (!rc)
    rc = num(ld, f, "nation_rate", false, U_PPM, 0, 1, &nr);
  if (!rc)
    rc = num(ld, f, "firm_rate", false, U_PPM, 0, 1, &fr);
  if (!rc)
    rc = num(ld, f, "collateral_share", false, U_PPM, 0, 1, &m->collateral_ppm);
  if (!rc)
    rc = num(ld, f, "receivership_turns", false, U_PLAIN, 1, 400, &rt);
  if (!rc)
    rc = num(ld, f, "liquidation_share", false, U_PPM, 0, 1,
             &m->liquidation_ppm);
  m->nation_rate_q = yearly_to_quarter_ppm(nr);
  m->firm_rate_q = yearly_to_quarter_ppm(fr);
  m->receivership_turns = (int32_t)rt;
  m->finance = true;
  m->v2 = true;
  pop(ld);
  return rc;
}

/* {"greenfield": n, "brownfield": n} turns into out[0], out[1] (both
 * required); *present says whether obj[key] was there. */
static int green_brown(ld_t *ld, json_t *obj, const char *key, int32_t *out,
                       bool *present) {
  json_t *o;
  int rc = get_obj(ld, obj, key, &o);
  *present = o != NULL;
  if (rc || !o)
    return rc;
  static const char *const gk[] = {"greenfield", "brownfield", NULL};
  push_key(ld, key);
  int64_t g = 0, b = 0;
  rc = check_keys(ld, o, gk);
  if (!rc)
    rc = num(ld, o, "greenfield", true, U_PLAIN, 0, 400, &g);
  if (!rc)
    rc = num(ld, o, "brownfield", true, U_PLAIN, 0, 400, &b);
  pop(ld);
  out[0] = (int32_t)g;
  out[1] = (int32_t)b;
  return rc;
}

/* A stage's version-2 lead times (docs/maps.md): permit_turns and
 * build_turns together switch the stage to two phases; the size term and
 * the brownfield bound go with them. */
static int lead_v2(ld_t *ld, model_map_t *m, json_t *so, map_stage_t *st) {
  bool hp = false, hb = false;
  int rc = green_brown(ld, so, "permit_turns", st->permit_turns, &hp);
  if (!rc)
    rc = green_brown(ld, so, "build_turns", st->build_turns, &hb);
  if (!rc && hp != hb)
    rc = fail(ld, "give both \"permit_turns\" and \"build_turns\" (two "
                  "phases), or neither (\"lead_turns\", one phase)");
  st->two_phase = hp && hb;
  if (!rc)
    rc = num(ld, so, "reference_capacity", false, U_KG, 0.001, T_MAX,
             &st->reference_kg);
  double d = 0;
  bool has = false;
  if (!rc)
    rc = figure(ld, so, "turns_per_doubling", false, &d, &has);
  if (!rc && has) {
    push_key(ld, "turns_per_doubling");
    if (!(d >= 0 && d <= 100))
      rc = fail(ld, "must be turns between 0 and 100");
    else
      st->tpd_milli = (int64_t)(d * 1000.0 + 0.5);
    pop(ld);
  }
  if (!rc && has && !st->reference_kg)
    rc = fail(ld, "\"turns_per_doubling\" needs \"reference_capacity\"");
  if (!rc)
    rc = num(ld, so, "brownfield_max_share", false, U_PPM, 0, 100,
             &st->brown_max_ppm);
  if (st->two_phase) {
    /* lead_turns, still in the observation's rules, says the whole lead at
     * the reference size and speed 1 (without a nation's override) */
    st->lead_green = st->permit_turns[0] + st->build_turns[0];
    st->lead_brown = st->permit_turns[1] + st->build_turns[1];
  }
  if (st->two_phase || st->brown_max_ppm >= 0)
    m->v2 = true;
  return rc;
}

/* A stage's learning object (docs/maps.md): the curve on effective
 * experience, anchored on a reference facility of the map. */
static int learning_v2(ld_t *ld, model_map_t *m, json_t *so, map_stage_t *st) {
  json_t *l, *rec;
  int rc = get_obj(ld, so, "learning", &l);
  if (rc || !l)
    return rc;
  push_key(ld, "learning");
  static const char *const lk[] = {"reference_facility", "national_spillover",
                                   "world_spillover",    "max_multiplier",
                                   "recovery",           NULL};
  st->max_mult_ppm = 10 * MODEL_PPM;
  st->rec_ref = st->rec_lmax = -1; /* the stage's recovery, once read */
  st->rec_lmin = 0;
  rc = check_keys(ld, l, lk);
  if (!rc)
    rc = str(ld, l, "reference_facility", true, st->learn_ref,
             sizeof st->learn_ref);
  if (!rc)
    rc = num(ld, l, "national_spillover", false, U_PPM, 0, 1, &st->spill_n_ppm);
  if (!rc)
    rc = num(ld, l, "world_spillover", false, U_PPM, 0, 1, &st->spill_w_ppm);
  if (!rc)
    rc = num(ld, l, "max_multiplier", false, U_PPM, 1, 1000, &st->max_mult_ppm);
  if (!rc)
    rc = get_obj(ld, l, "recovery", &rec);
  if (!rc && rec) {
    static const char *const rk[] = {"reference", "max", "min", NULL};
    push_key(ld, "recovery");
    rc = check_keys(ld, rec, rk);
    if (!rc)
      rc = num(ld, rec, "reference", true, U_PPM, 0, 1, &st->rec_ref);
    if (!rc)
      rc = num(ld, rec, "max", true, U_PPM, 0, 1, &st->rec_lmax);
    if (!rc)
      rc = num(ld, rec, "min", false, U_PPM, 0, 1, &st->rec_lmin);
    if (!rc && (st->rec_lmax < st->rec_ref || st->rec_lmin > st->rec_ref))
      rc = fail(ld, "expected min <= reference <= max");
    pop(ld);
  }
  st->learn = true;
  m->v2 = true;
  pop(ld);
  return rc;
}

/* The magnet recipe's heavies (design J1): dytb_oxide on basket maps;
 * dy_oxide and tb_oxide on split maps, or dytb_oxide divided there by
 * dy_share_of_heavies (floor to Dy). */
static int recipe_heavies(ld_t *ld, const model_map_t *m, json_t *rcp,
                          int64_t r[3]) {
  bool split =
      json_object_get(rcp, "dy_oxide") || json_object_get(rcp, "tb_oxide");
  if (split && !m->heavy_split)
    return fail(ld, "dy_oxide and tb_oxide are not products of this map; %s",
                absent_hint(m));
  if (split && json_object_get(rcp, "dytb_oxide"))
    return fail(ld, "give dytb_oxide or dy_oxide and tb_oxide, not both");
  if (!split) {
    int64_t h = r[1] + r[2];
    int rc = num(ld, rcp, "dytb_oxide", false, U_PPM, 0, 10, &h);
    if (!rc && m->heavy_split) {
      r[1] = ppm_of(h, m->dy_share_ppm);
      r[2] = h - r[1];
    } else if (!rc) {
      r[1] = h;
    }
    return rc;
  }
  int rc = num(ld, rcp, "dy_oxide", true, U_PPM, 0, 10, &r[1]);
  return rc ? rc : num(ld, rcp, "tb_oxide", true, U_PPM, 0, 10, &r[2]);
}

/* ---- sections ---- */
/* parameters.recycling (design J4, docs/maps.md "Recycling"): its
 * presence makes the stage `recycling` and the product magnet_scrap
 * exist. */
static int load_recycling(ld_t *ld, model_map_t *m, json_t *p) {
  json_t *o, *h;
  int rc = get_obj(ld, p, "recycling", &o);
  if (rc || !o)
    return rc;
  m->recycling = true;
  m->eol_life = 48;
  m->eol_recovery_ppm = 900000;
  m->scrap_share_ppm = 300000;
  push_key(ld, "recycling");
  static const char *const rk[] = {"lifetime",        "history",
                                   "recovery",        "scrap_price_share",
                                   "collection_cost", NULL};
  int64_t life = m->eol_life, g = 0;
  rc = check_keys(ld, o, rk);
  if (!rc)
    rc = num(ld, o, "lifetime", false, U_PLAIN, 1, MODEL_EOL_MAX, &life);
  if (!rc)
    rc = num(ld, o, "recovery", false, U_PPM, 0, 1, &m->eol_recovery_ppm);
  if (!rc)
    rc = num(ld, o, "scrap_price_share", false, U_PPM, 0, 1,
             &m->scrap_share_ppm);
  if (!rc)
    rc = num(ld, o, "collection_cost", false, U_PRICE, 0, 1e4,
             &m->collection_cost);
  if (!rc)
    rc = get_obj(ld, o, "history", &h);
  if (!rc && h) {
    static const char *const hk[] = {"growth", NULL};
    push_key(ld, "history");
    rc = check_keys(ld, h, hk);
    if (!rc)
      rc = num(ld, h, "growth", false, U_PPM, 0, 1, &g);
    pop(ld);
  }
  m->eol_life = (int32_t)life;
  m->eol_growth_q = yearly_to_quarter_ppm(g);
  pop(ld);
  return rc;
}

static int load_params(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *p, *o;
  int rc = get_obj(ld, root, "parameters", &p);
  if (rc)
    return rc;
  /* defaults */
  for (int s = 0; s < NS; s++) {
    map_stage_t *st = &m->stage[s];
    st->lead_green = s == 0 ? 40 : s == 1 ? 20 : 10;
    st->lead_brown = s == 0 ? 8 : s == 1 ? 8 : 4;
    st->brown_factor = 600000;
    st->experience = 1000000;
    st->n_ramp = 1;
    st->ramp[0] = MODEL_PPM;
    st->rec_initial = st->rec_max = MODEL_PPM;
    st->rec_understaffed = 500000;
    st->recipe[0] = 350000;
    st->recipe[1] = 20000;
    st->brown_max_ppm = -1;
  }
  for (int s = 0; s < NS; s++)
    m->train_turns[s] = 4;
  m->stock_premium = 100000;
  m->stock_discount = 100000;
  m->stock_max_share = 250000;
  m->cap_max_ppm = 4 * MODEL_PPM;
  m->wage_gap_ppm = -1;
  for (int s = 0; s < NS; s++)
    m->seasoning_turns[s] = 4;
  m->substitution_cap_ppm = 100000;
  m->depreciation_turns = 80;
  if (!p)
    return fail(ld, "missing \"parameters\" (at least \"prices\")");
  push_key(ld, "parameters");
  static const char *const pk[] = {"prices",
                                   "stages",
                                   "talent",
                                   "transport",
                                   "stockpile",
                                   "substitution_cap",
                                   "depreciation_turns",
                                   "finance",
                                   "holding_cost",
                                   "price_history",
                                   "origin_tracking",
                                   "qualification",
                                   "heavy_products",
                                   "dy_share_of_heavies",
                                   "thrift",
                                   "branches",
                                   "recycling",
                                   NULL};
  if ((rc = check_keys(ld, p, pk)))
    goto out;
  if ((rc = load_recycling(ld, m, p)))
    goto out;
  /* design J1: the heavies as one basket (default) or as Dy and Tb */
  {
    char hp[16] = "basket";
    m->dy_share_ppm = 800000;
    if ((rc = str(ld, p, "heavy_products", false, hp, sizeof hp)))
      goto out;
    if (strcmp(hp, "split") == 0) {
      m->heavy_split = true;
    } else if (strcmp(hp, "basket") != 0) {
      push_key(ld, "heavy_products");
      rc = fail(ld, "expected \"basket\" or \"split\"");
      pop(ld);
      goto out;
    }
    if ((rc = num(ld, p, "dy_share_of_heavies", false, U_PPM, 0, 1,
                  &m->dy_share_ppm)))
      goto out;
    if (m->heavy_split)
      for (int s = 0; s < NS; s++) {
        int64_t h = m->stage[s].recipe[1];
        m->stage[s].recipe[1] = ppm_of(h, m->dy_share_ppm);
        m->stage[s].recipe[2] = h - m->stage[s].recipe[1];
      }
  }
  /* design J3: Dy thrifting (R33, R32; the turns and the cost are
   * assumptions) */
  m->thrift_min_ppm = 600000;
  m->thrift_turns = 4;
  m->thrift_cost = 200;
  if ((rc = get_obj(ld, p, "thrift", &o)))
    goto out;
  if (o) {
    static const char *const tk[] = {"min_share", "turns", "cost", NULL};
    int64_t turns = m->thrift_turns;
    push_key(ld, "thrift");
    rc = check_keys(ld, o, tk);
    if (!rc)
      rc = num(ld, o, "min_share", false, U_PPM, 0.01, 1, &m->thrift_min_ppm);
    if (!rc)
      rc = num(ld, o, "turns", false, U_PLAIN, 0, 40, &turns);
    if (!rc)
      rc = num(ld, o, "cost", false, U_PRICE, 0, 1e4, &m->thrift_cost);
    m->thrift_turns = (int32_t)turns;
    pop(ld);
    if (rc)
      goto out;
  }
  if ((rc = get_obj(ld, p, "prices", &o)))
    goto out;
  if (!o) {
    rc = fail(ld, "missing \"prices\" (USD/kg per product)");
    goto out;
  }
  push_key(ld, "prices");
  for (int i = 0; i < NP && !rc; i++) {
    if (i == MODEL_SCRAP && map_has(m, i)) {
      /* design J4: scrap's opening price is its share of the magnet's
       * (the map may give its own) */
      m->price0[i] = -1;
      rc = num(ld, o, model__product_names[i], false, U_PRICE, 0, 1e6,
               &m->price0[i]);
    } else if (map_has(m, i))
      rc = num(ld, o, model__product_names[i], true, U_PRICE, 0, 1e6,
               &m->price0[i]);
    else if (i == MODEL_SCRAP && json_object_get(o, model__product_names[i])) {
      push_key(ld, model__product_names[i]);
      rc = fail(ld, "%s: " NO_RECYCLING, model__product_names[i]);
      pop(ld);
    } else if (json_object_get(o, model__product_names[i])) {
      push_key(ld, model__product_names[i]);
      rc = fail(ld, "%s is not a product of this map; %s",
                model__product_names[i], absent_hint(m));
      pop(ld);
    }
  }
  pop(ld);
  if (!rc && m->recycling && m->price0[MODEL_SCRAP] < 0)
    m->price0[MODEL_SCRAP] =
        ppm_of(m->price0[MODEL_MAGNET], m->scrap_share_ppm);
  if (rc)
    goto out;
  if ((rc = num(ld, p, "substitution_cap", false, U_PPM, 0, 1,
                &m->substitution_cap_ppm)))
    goto out;
  int64_t dep = m->depreciation_turns;
  if ((rc = num(ld, p, "depreciation_turns", false, U_PLAIN, 1, 4000, &dep)))
    goto out;
  m->depreciation_turns = (int32_t)dep;
  /* rules of origin: whose material is tracked from turn 0 (the nation id
   * is checked once the nations are read) */
  m->origin_track = -1;
  if ((rc = str(ld, p, "origin_tracking", false, m->origin_track_id,
                sizeof m->origin_track_id)))
    goto out;
  if ((rc = load_finance(ld, m, p)))
    goto out;
  /* branches abroad (issue 11, design I2) */
  if ((rc = opt_bool(ld, p, "branches", &m->branches)))
    goto out;
  {
    /* the yearly cost of holding stock, as a per-quarter rate */
    int64_t hold = 0;
    if ((rc = num(ld, p, "holding_cost", false, U_PPM, 0, 1, &hold)))
      goto out;
    m->hold_q = yearly_to_quarter_ppm(hold);
    if (m->hold_q > 0)
      m->v2 = true;
    /* turns of world prices the observation shows (strategies anchor on
     * their median) */
    int64_t ht = 0;
    if ((rc = num(ld, p, "price_history", false, U_PLAIN, 0, MODEL_HISTORY_MAX,
                  &ht)))
      goto out;
    m->hist_turns = (int32_t)ht;
    if (ht > 0)
      m->v2 = true;
  }

  json_t *stages;
  if ((rc = get_obj(ld, p, "stages", &stages)))
    goto out;
  if (stages) {
    push_key(ld, "stages");
    static const char *const sk[] = {"mining", "separation", "magnet",
                                     "recycling", NULL};
    if ((rc = check_keys(ld, stages, sk)))
      goto out_stages;
    for (int s = 0; s < NS; s++) {
      json_t *so = json_object_get(stages, model__stage_names[s]);
      if (!so)
        continue;
      push_key(ld, model__stage_names[s]);
      if (!map_has_stage(m, s)) {
        rc = fail(ld, "%s: " NO_RECYCLING, model__stage_names[s]);
        pop(ld);
        goto out_stages;
      }
      map_stage_t *st = &m->stage[s];
      static const char *const ks[] = {"lead_turns",
                                       "capex",
                                       "brownfield_capex_factor",
                                       "unit_cost",
                                       "experience",
                                       "learning_rate",
                                       "staff_per_kt",
                                       "wage",
                                       "ramp",
                                       "brownfield_ramp",
                                       "recovery",
                                       "recipe",
                                       "understaffed_recovery",
                                       "permit_turns",
                                       "build_turns",
                                       "reference_capacity",
                                       "turns_per_doubling",
                                       "brownfield_max_share",
                                       "learning",
                                       NULL};
      json_t *lt, *rec, *rcp;
      int64_t lg = st->lead_green, lb = st->lead_brown, spk = 0;
      if (!json_is_object(so))
        rc = fail(ld, "expected an object");
      if (!rc)
        rc = check_keys(ld, so, ks);
      if (!rc)
        rc = get_obj(ld, so, "lead_turns", &lt);
      if (!rc && lt) {
        push_key(ld, "lead_turns");
        rc = num(ld, lt, "greenfield", false, U_PLAIN, 0, 400, &lg);
        if (!rc)
          rc = num(ld, lt, "brownfield", false, U_PLAIN, 0, 400, &lb);
        pop(ld);
      }
      st->lead_green = (int32_t)lg;
      st->lead_brown = (int32_t)lb;
      if (!rc)
        rc = lead_v2(ld, m, so, st);
      if (!rc)
        rc = learning_v2(ld, m, so, st);
      double capex = 0;
      bool has_capex = false;
      if (!rc)
        rc = figure(ld, so, "capex", false, &capex, &has_capex);
      if (!rc && has_capex) {
        /* USD per (t/yr) -> cents per (kg/yr): x 100 / 1000 */
        push_key(ld, "capex");
        double capex_max = (double)MODEL_MAP_CAPEX_MAX * 1000.0 / 100.0;
        if (!(capex >= 0 && capex <= capex_max) ||
            model_usd_to_cents(capex / 1000.0, &st->capex))
          rc = fail(ld, "must be US dollars per t/yr between 0 and %g",
                    capex_max);
        pop(ld);
      }
      if (!rc)
        rc = num(ld, so, "brownfield_capex_factor", false, U_PPM, 0, 10,
                 &st->brown_factor);
      if (!rc)
        rc = num(ld, so, "unit_cost", false, U_PRICE, 0, 1e6, &st->unit_cost);
      if (!rc)
        rc = num(ld, so, "experience", false, U_KG, 0.001, RESERVE_MAX,
                 &st->experience);
      if (!rc)
        rc = num(ld, so, "learning_rate", false, U_PPM, 0, 0.9,
                 &st->learning_ppm);
      if (!rc) {
        double d = 0;
        bool has = false;
        rc = figure(ld, so, "staff_per_kt", false, &d, &has);
        if (!rc && has) {
          push_key(ld, "staff_per_kt");
          if (!(d >= 0 && d <= 1e6))
            rc = fail(ld, "must be people per kt/yr between 0 and 1e6");
          else
            spk = (int64_t)(d * 1000.0 + 0.5);
          pop(ld);
          st->staff_milli_per_t = spk;
        }
      }
      if (!rc)
        rc = wage_value(ld, m, so, "wage", &st->wage);
      for (int r = 0; r < 2 && !rc; r++) {
        const char *key = r ? "brownfield_ramp" : "ramp";
        json_t *ra;
        rc = get_arr(ld, so, key, false, &ra);
        if (rc || !ra)
          continue;
        push_key(ld, key);
        size_t n = json_array_size(ra);
        if (n < 1 || n > MODEL_RAMP_MAX)
          rc = fail(ld, "expected 1 to %d fractions", MODEL_RAMP_MAX);
        for (size_t i = 0; i < n && !rc; i++) {
          int64_t *dst = r ? &st->bramp[i] : &st->ramp[i];
          double d = 0;
          push_idx(ld, i);
          rc = figure_value(ld, json_array_get(ra, i), &d);
          if (!rc && !(d >= 0 && d <= 2))
            rc = fail(ld, "a ramp entry is a fraction of nameplate, 0..2");
          if (!rc && model_fraction_to_ppm(d, dst))
            rc = fail(ld, "out of range");
          pop(ld);
        }
        if (r)
          st->n_bramp = (int32_t)n;
        else
          st->n_ramp = (int32_t)n;
        pop(ld);
      }
      if (!rc)
        rc = get_obj(ld, so, "recovery", &rec);
      if (!rc && rec) {
        push_key(ld, "recovery");
        rc = num(ld, rec, "initial", true, U_PPM, 0, 1, &st->rec_initial);
        if (!rc)
          rc = num(ld, rec, "max", true, U_PPM, 0, 1, &st->rec_max);
        if (!rc && st->rec_max < st->rec_initial)
          rc = fail(ld, "\"max\" must be at least \"initial\"");
        pop(ld);
      }
      if (!rc)
        rc = num(ld, so, "understaffed_recovery", false, U_PPM, 0, 1,
                 &st->rec_understaffed);
      if (!rc)
        rc = get_obj(ld, so, "recipe", &rcp);
      if (!rc && rcp) {
        push_key(ld, "recipe");
        rc = num(ld, rcp, "ndpr_oxide", true, U_PPM, 0, 10, &st->recipe[0]);
        if (!rc)
          rc = recipe_heavies(ld, m, rcp, st->recipe);
        pop(ld);
      }
      pop(ld);
      if (rc)
        goto out_stages;
    }
  out_stages:
    pop(ld);
    if (rc)
      goto out;
  }
  for (int s = 0; s < NS; s++) {
    map_stage_t *st = &m->stage[s];
    if (st->n_bramp == 0) {
      st->n_bramp = st->n_ramp;
      memcpy(st->bramp, st->ramp, sizeof st->ramp);
    }
    if (st->learn && st->rec_lmax < 0) {
      st->rec_ref = st->rec_initial;
      st->rec_lmax = st->rec_max;
    }
    st->log2_pr_q32 =
        st->learning_ppm > 0
            ? model_fx_log2_q32((uint64_t)(MODEL_PPM - st->learning_ppm)) -
                  model_fx_log2_q32(MODEL_PPM)
            : 0;
  }

  json_t *t;
  if ((rc = get_obj(ld, p, "talent", &t)))
    goto out;
  if (t) {
    push_key(ld, "talent");
    static const char *const tk[] = {
        "training_turns",   "training_cost",      "migration_rate",
        "growth",           "capacity_growth",    "capacity_max",
        "mentor_ratio",     "seasoning_turns",    "poach_share",
        "poach_cost_years", "migration_wage_gap", NULL};
    int64_t tt[NS] = {4, 4, 4, 4}, g = 0;
    rc = check_keys(ld, t, tk);
    if (!rc)
      rc = named(ld, t, "training_turns", model__stage_names, NS, U_PLAIN, 1,
                 MODEL_TRAIN_TURNS_MAX, tt);
    if (!rc)
      rc = named(ld, t, "training_cost", model__stage_names, NS, U_CENTS, 0,
                 (double)MODEL_MAP_TRAIN_COST_MAX / 100.0, m->train_cost);
    if (!rc)
      rc = num(ld, t, "migration_rate", false, U_PPM, 0, 1, &m->migration_ppm);
    if (!rc)
      rc = num(ld, t, "growth", false, U_PPM, -0.5, 1, &g);
    for (int s = 0; s < NS; s++)
      m->train_turns[s] = (int32_t)tt[s];
    m->talent_growth_ppm_turn = yearly_to_quarter_ppm(g);
    int64_t cg = 0, st4[NS] = {4, 4, 4, 4};
    if (!rc)
      rc = num(ld, t, "capacity_growth", false, U_PPM, 0, 10, &cg);
    m->cap_growth_q = yearly_to_quarter_ppm(cg);
    if (!rc)
      rc = num(ld, t, "capacity_max", false, U_PPM, 1, 1000, &m->cap_max_ppm);
    if (!rc)
      rc = num(ld, t, "mentor_ratio", false, U_PPM, 0, 10, &m->mentor_ppm);
    if (!rc)
      rc = named(ld, t, "seasoning_turns", model__stage_names, NS, U_PLAIN, 1,
                 MODEL_TRAIN_TURNS_MAX, st4);
    for (int s = 0; s < NS; s++)
      m->seasoning_turns[s] = (int32_t)st4[s];
    if (!rc)
      rc = num(ld, t, "poach_share", false, U_PPM, 0, 1, &m->poach_ppm);
    if (!rc)
      rc = num(ld, t, "poach_cost_years", false, U_PPM, 0, 100,
               &m->poach_cost_ppm);
    if (!rc && json_object_get(t, "migration_wage_gap")) {
      rc = num(ld, t, "migration_wage_gap", false, U_PPM, 0, 100,
               &m->wage_gap_ppm);
      m->v2 = true;
    }
    if (m->mentor_ppm > 0 || m->poach_ppm > 0)
      m->v2 = true;
    pop(ld);
    if (rc)
      goto out;
  }

  json_t *st;
  if ((rc = get_obj(ld, p, "stockpile", &st)))
    goto out;
  if (st) {
    push_key(ld, "stockpile");
    static const char *const sk[] = {"bid_premium", "offer_discount",
                                     "max_share_per_turn", NULL};
    rc = check_keys(ld, st, sk);
    if (!rc)
      rc = num(ld, st, "bid_premium", false, U_PPM, 0, 10, &m->stock_premium);
    if (!rc)
      rc =
          num(ld, st, "offer_discount", false, U_PPM, 0, 1, &m->stock_discount);
    if (!rc)
      rc = num(ld, st, "max_share_per_turn", false, U_PPM, 0, 1,
               &m->stock_max_share);
    pop(ld);
    if (rc)
      goto out;
  }
out:
  pop(ld);
  return rc;
}

static int load_transport(ld_t *ld, model_map_t *m, json_t *root) {
  size_t n = m->n_nations;
  m->transport = calloc((size_t)NP * n * n, sizeof *m->transport);
  if (!m->transport)
    return MODEL_ENOMEM;
  json_t *p = json_object_get(root, "parameters"), *t = NULL;
  if (!p || !(t = json_object_get(p, "transport")))
    return 0;
  push_key(ld, "parameters");
  push_key(ld, "transport");
  int rc = 0;
  static const char *const tk[] = {"default", "pairs", NULL};
  int64_t def[NP] = {0};
  json_t *pairs;
  if (!json_is_object(t))
    rc = fail(ld, "expected an object");
  if (!rc)
    rc = check_keys(ld, t, tk);
  if (!rc)
    rc =
        named(ld, t, "default", model__product_names, NP, U_PRICE, 0, 1e4, def);
  for (int p2 = 0; p2 < NP && !rc; p2++)
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++)
        if (i != j)
          m->transport[((size_t)p2 * n + i) * n + j] = def[p2];
  if (!rc)
    rc = get_arr(ld, t, "pairs", false, &pairs);
  if (!rc && pairs) {
    push_key(ld, "pairs");
    for (size_t k = 0; k < json_array_size(pairs) && !rc; k++) {
      json_t *e = json_array_get(pairs, k);
      push_idx(ld, k);
      char from[MODEL_ID_MAX] = "", to[MODEL_ID_MAX] = "",
           prod[MODEL_ID_MAX] = "all";
      int64_t cost = 0;
      static const char *const ek[] = {"from", "to", "product", "cost", NULL};
      if (!json_is_object(e))
        rc = fail(ld, "expected {\"from\", \"to\", \"product\", \"cost\"}");
      if (!rc)
        rc = check_keys(ld, e, ek);
      if (!rc)
        rc = str(ld, e, "from", true, from, sizeof from);
      if (!rc)
        rc = str(ld, e, "to", true, to, sizeof to);
      if (!rc)
        rc = str(ld, e, "product", false, prod, sizeof prod);
      if (!rc)
        rc = num(ld, e, "cost", true, U_PRICE, 0, 1e4, &cost);
      int fi = rc ? 0 : model_nation_index(m, from),
          ti = rc ? 0 : model_nation_index(m, to);
      int pi = strcmp(prod, "all") == 0 ? -1 : model_product_from_name(prod);
      if (!rc && (fi < 0 || ti < 0))
        rc = fail(ld, "\"from\" and \"to\" must be ids of \"nations\"");
      if (!rc && pi < 0 && strcmp(prod, "all") != 0)
        rc = fail(ld, "\"product\" must be a product name or \"all\"");
      for (int p2 = 0; p2 < NP && !rc; p2++)
        if (pi < 0 || pi == p2)
          m->transport[((size_t)p2 * n + (size_t)fi) * n + (size_t)ti] = cost;
      pop(ld);
    }
    pop(ld);
  }
  pop(ld);
  pop(ld);
  return rc;
}

/* A demand object's "sectors" (issue 11, docs/maps.md "Demand by
 * sector"): each {"sector", "volume", "elasticity", "growth" (a yearly
 * rate or an array of them, the last holding), "max_price",
 * "qualified_only", "exclude_origin" (nation ids) with "from_turn",
 * "cleared_in", "counts_for"}; the object's elasticity, growth and
 * max_price are the defaults. Nation n's demand for product p becomes the
 * sum of the lines. */
static int load_sectors(ld_t *ld, model_map_t *m, int n, int p, json_t *arr,
                        const int64_t *def) {
  map_nation_t *na = &m->nations[n];
  int rc = 0;
  size_t k = json_array_size(arr);
  push_key(ld, "sectors");
  if (k < 1 || k > MODEL_SECTORS)
    rc = fail(ld, "expected 1 to %d sectors, each listed once", MODEL_SECTORS);
  for (size_t i = 0; i < k && !rc; i++) {
    json_t *o = json_array_get(arr, i);
    push_idx(ld, i);
    static const char *const sk[] = {
        "sector",         "volume",    "elasticity",
        "growth",         "max_price", "qualified_only",
        "exclude_origin", "from_turn", "cleared_in",
        "counts_for",     NULL};
    int32_t s = -1;
    if (!json_is_object(o))
      rc = fail(ld, "expected {\"sector\", \"volume\", ...}");
    if (!rc)
      rc = check_keys(ld, o, sk);
    if (!rc)
      rc = name_field(ld, o, "sector", model__sector_names, MODEL_SECTORS, &s);
    map_sector_t *se = s >= 0 ? &na->sector[p][s] : NULL;
    if (!rc && se->present) {
      push_key(ld, "sector");
      rc = fail(ld, "sector \"%s\" is listed twice", model__sector_names[s]);
      pop(ld);
    }
    int64_t vol = 0, el = -def[0];
    if (!rc) {
      se->present = true;
      se->max_price = def[2];
      se->cleared_in = se->counts_for = n;
      se->exclude_from = 0;
      rc = num(ld, o, "volume", true, U_KG, 0, T_MAX, &vol);
    }
    if (!rc)
      rc = num(ld, o, "elasticity", def[0] < 0, U_PPM, -10, -0.0001, &el);
    if (!rc)
      rc = num(ld, o, "max_price", false, U_PRICE, 0.01, 1e6, &se->max_price);
    if (!rc) {
      se->volume_kg_turn = vol / 4;
      se->elasticity_ppm = -el;
    }
    /* growth: one yearly rate, or one a year (the last holding) */
    json_t *g = json_object_get(o, "growth");
    if (!rc && g && json_is_array(g)) {
      size_t ng = json_array_size(g);
      push_key(ld, "growth");
      if (ng < 1 || ng > MODEL_SECTOR_YEARS)
        rc = fail(ld, "expected 1 to %d yearly rates", MODEL_SECTOR_YEARS);
      for (size_t y = 0; y < ng && !rc; y++) {
        int64_t r = 0;
        double d = 0;
        json_t *gy = json_array_get(g, y);
        push_idx(ld, y);
        rc = figure_value(ld, gy, &d);
        if (!rc && !(d >= -0.5 && d <= 1))
          rc = fail(ld, "must be a fraction between -0.5 and 1, not %g", d);
        if (!rc && model_fraction_to_ppm(d, &r))
          rc = fail(ld, "%g is out of range for a fraction", d);
        if (!rc)
          se->growth_q[y] = yearly_to_quarter_ppm(r);
        pop(ld);
      }
      se->n_growth = (int32_t)ng;
      pop(ld);
    } else if (!rc) {
      int64_t r = def[1];
      rc = num(ld, o, "growth", false, U_PPM, -0.5, 1, &r);
      se->growth_q[0] = yearly_to_quarter_ppm(r);
      se->n_growth = 1;
    }
    if (!rc)
      rc = opt_bool(ld, o, "qualified_only", &se->qualified_only);
    static const char *const nk[] = {"cleared_in", "counts_for"};
    for (int f = 0; f < 2 && !rc; f++) {
      json_t *v = json_object_get(o, nk[f]);
      if (!v)
        continue;
      int idx =
          json_is_string(v) ? model_nation_index(m, json_string_value(v)) : -1;
      push_key(ld, nk[f]);
      if (idx < 0)
        rc = fail(ld, "expected the id of one of \"nations\"");
      else if (f == 0)
        se->cleared_in = idx;
      else
        se->counts_for = idx;
      pop(ld);
    }
    json_t *ex;
    if (!rc)
      rc = get_arr(ld, o, "exclude_origin", false, &ex);
    if (!rc && ex) {
      push_key(ld, "exclude_origin");
      for (size_t e = 0; e < json_array_size(ex) && !rc; e++) {
        json_t *a = json_array_get(ex, e);
        int ai = json_is_string(a) ? model_nation_index(m, json_string_value(a))
                                   : -1;
        push_idx(ld, e);
        if (ai < 0)
          rc = fail(ld, "expected the id of one of \"nations\"");
        else
          se->exclude |= (uint64_t)1 << ai;
        pop(ld);
      }
      pop(ld);
    }
    if (!rc && json_object_get(o, "from_turn")) {
      int64_t ft = 0;
      rc = num(ld, o, "from_turn", true, U_PLAIN, 0, MODEL_TURNS_MAX, &ft);
      se->exclude_from = (int32_t)ft;
      if (!rc && !se->exclude) {
        push_key(ld, "from_turn");
        rc = fail(ld, "from_turn says when exclude_origin binds; give "
                      "exclude_origin too");
        pop(ld);
      }
    }
    if (!rc && (se->qualified_only || se->exclude) && p != MODEL_MAGNET) {
      rc = fail(ld, "qualified_only and exclude_origin apply to magnet "
                    "demand only");
    }
    /* origin tracking's nation is resolved after the nations: look it up.
     * The rule binds while the nation's material is tracked (from turn 0
     * with parameters.origin_tracking, else once an origin_rule policy
     * starts tracking it), and one nation is tracked */
    int ot =
        m->origin_track_id[0] ? model_nation_index(m, m->origin_track_id) : -1;
    if (!rc && se->exclude && (se->exclude & (se->exclude - 1))) {
      push_key(ld, "exclude_origin");
      rc = fail(ld, "one nation: the model tracks one nation's material");
      pop(ld);
    }
    if (!rc && se->exclude && ot >= 0 && se->exclude != (uint64_t)1 << ot) {
      push_key(ld, "exclude_origin");
      rc = fail(ld,
                "only the tracked origin \"%s\" "
                "(parameters.origin_tracking) can be excluded",
                m->origin_track_id);
      pop(ld);
    }
    pop(ld);
  }
  pop(ld);
  if (!rc) {
    na->sectored[p] = true;
    m->sectors = true;
  }
  return rc;
}

/* Restricted lines (qualified_only, exclude_origin) of a product form one
 * buyer class in its market (market.c), so they must share their rule. */
static int check_sector_rules(ld_t *ld, model_map_t *m) {
  for (int p = 0; p < NP; p++) {
    const map_sector_t *first = NULL;
    for (size_t o = 0; o < m->n_nations; o++)
      for (int s = 0; s < MODEL_SECTORS; s++) {
        const map_sector_t *se = &m->nations[o].sector[p][s];
        if (!se->present || (!se->qualified_only && !se->exclude))
          continue;
        if (!first) {
          first = se;
          continue;
        }
        if (se->qualified_only != first->qualified_only ||
            se->exclude != first->exclude ||
            se->exclude_from != first->exclude_from) {
          push_key(ld, "nations");
          push_idx(ld, o);
          push_key(ld, "demand");
          push_key(ld, model__product_names[p]);
          int rc = fail(ld,
                        "sector \"%s\": the restricted sectors of %s demand "
                        "must have the same qualified_only, exclude_origin "
                        "and from_turn (one restricted class a market)",
                        model__sector_names[s], model__product_names[p]);
          pop(ld);
          pop(ld);
          pop(ld);
          pop(ld);
          return rc;
        }
      }
  }
  return 0;
}

static int load_nations(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *arr;
  int rc = get_arr(ld, root, "nations", true, &arr);
  if (rc)
    return rc;
  size_t n = json_array_size(arr);
  push_key(ld, "nations");
  if (n < 1 || n > MODEL_NATIONS_MAX) {
    rc = fail(ld, "expected 1 to %d nations", MODEL_NATIONS_MAX);
    goto out;
  }
  m->nations = calloc(n, sizeof *m->nations);
  if (!m->nations) {
    rc = MODEL_ENOMEM;
    goto out;
  }
  m->n_nations = n;
  /* ids first, so that allies may refer forward */
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *o = json_array_get(arr, i);
    push_idx(ld, i);
    if (!json_is_object(o))
      rc = fail(ld, "expected a nation object");
    if (!rc)
      rc = str(ld, o, "id", true, m->nations[i].id, sizeof m->nations[i].id);
    for (size_t j = 0; j < i && !rc; j++)
      if (strcmp(m->nations[j].id, m->nations[i].id) == 0) {
        push_key(ld, "id");
        rc = fail(ld, "duplicate nation id \"%s\"", m->nations[i].id);
        pop(ld);
      }
    pop(ld);
  }
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *o = json_array_get(arr, i);
    map_nation_t *na = &m->nations[i];
    push_idx(ld, i);
    static const char *const ks[] = {"id",
                                     "title",
                                     "budget",
                                     "allies",
                                     "talent",
                                     "wages",
                                     "unit_cost_factor",
                                     "capex_factor",
                                     "lead_factor",
                                     "demand",
                                     "stockpile",
                                     "policies",
                                     "permit_turns",
                                     "deficit_limit",
                                     "training_capacity",
                                     NULL};
    na->seat = -1;
    for (int s = 0; s < NS; s++) {
      na->wage[s] = m->stage[s].wage;
      na->unit_cost_factor[s] = na->capex_factor[s] = na->lead_factor[s] =
          MODEL_PPM;
    }
    rc = check_keys(ld, o, ks);
    if (!rc)
      rc = str(ld, o, "title", true, na->title, sizeof na->title);
    if (!rc)
      rc = num(ld, o, "budget", false, U_CENTS, -USD_MAX, USD_MAX, &na->budget);
    if (!rc)
      rc = named(ld, o, "talent", model__stage_names, NS, U_PLAIN, 0,
                 PEOPLE_MAX, na->talent);
    if (!rc)
      rc = wages_by_stage(ld, m, o, na->wage);
    if (!rc)
      rc = named(ld, o, "unit_cost_factor", model__stage_names, NS, U_PPM, 0,
                 100, na->unit_cost_factor);
    if (!rc)
      rc = named(ld, o, "capex_factor", model__stage_names, NS, U_PPM, 0, 100,
                 na->capex_factor);
    if (!rc)
      rc = named(ld, o, "lead_factor", model__stage_names, NS, U_PPM, 0.01, 100,
                 na->lead_factor);
    if (!rc)
      rc = named(ld, o, "stockpile", model__product_names, NP, U_KG, 0, T_MAX,
                 na->stockpile);
    for (int s2 = 0; s2 < NS; s2++)
      na->permit_turns[s2][0] = na->permit_turns[s2][1] = -1;
    na->deficit_limit = m->finance ? 0 : -1;
    for (int s2 = 0; s2 < NS; s2++)
      na->train_cap[s2] = -1;
    if (!rc)
      rc = named(ld, o, "training_capacity", model__stage_names, NS, U_PLAIN, 0,
                 PEOPLE_MAX, na->train_cap);
    for (int s2 = 0; s2 < NS; s2++)
      if (na->train_cap[s2] >= 0)
        m->train_caps = m->v2 = true;
    if (!rc && m->finance)
      rc = num(ld, o, "deficit_limit", false, U_CENTS, 0, USD_MAX,
               &na->deficit_limit);
    if (!rc && !m->finance && json_object_get(o, "deficit_limit")) {
      push_key(ld, "deficit_limit");
      rc = fail(ld, "a deficit limit needs parameters.finance");
      pop(ld);
    }
    json_t *pt;
    if (!rc)
      rc = get_obj(ld, o, "permit_turns", &pt);
    if (!rc && pt) {
      push_key(ld, "permit_turns");
      static const char *const sk[] = {"mining", "separation", "magnet",
                                       "recycling", NULL};
      rc = check_keys(ld, pt, sk);
      if (!rc && !m->recycling && json_object_get(pt, "recycling")) {
        push_key(ld, "recycling");
        rc = fail(ld, "recycling: " NO_RECYCLING);
        pop(ld);
      }
      for (int s2 = 0; s2 < NS && !rc; s2++) {
        bool has = false;
        rc = green_brown(ld, pt, model__stage_names[s2], na->permit_turns[s2],
                         &has);
        if (!rc && has && !m->stage[s2].two_phase) {
          push_key(ld, model__stage_names[s2]);
          rc = fail(ld,
                    "the stage has one-phase lead times; give "
                    "parameters.stages.%s permit_turns and build_turns",
                    model__stage_names[s2]);
          pop(ld);
        }
      }
      pop(ld);
    }
    json_t *al;
    if (!rc)
      rc = get_arr(ld, o, "allies", false, &al);
    if (!rc && al) {
      push_key(ld, "allies");
      for (size_t k = 0; k < json_array_size(al) && !rc; k++) {
        json_t *a = json_array_get(al, k);
        int ai = json_is_string(a) ? model_nation_index(m, json_string_value(a))
                                   : -1;
        push_idx(ld, k);
        if (ai < 0)
          rc = fail(ld, "expected the id of one of \"nations\"");
        else
          na->allies |= (uint64_t)1 << ai;
        pop(ld);
      }
      pop(ld);
    }
    json_t *dm;
    if (!rc)
      rc = get_obj(ld, o, "demand", &dm);
    if (!rc && dm) {
      push_key(ld, "demand");
      const char *k;
      json_t *d;
      json_object_foreach(dm, k, d) {
        if (k[0] == '_')
          continue;
        int p = model_product_from_name(k);
        push_key(ld, k);
        static const char *const dk[] = {"volume", "price",     "elasticity",
                                         "growth", "max_price", "sectors",
                                         NULL};
        if (p < 0)
          rc = fail(ld,
                    "\"%s\" is not a product; expected concentrate, "
                    "ndpr_oxide, dytb_oxide, lace_oxide or magnet",
                    k);
        else if (!map_has(m, p))
          rc = fail(ld, "%s is not a product of this map; %s", k,
                    p == MODEL_SCRAP ? NO_RECYCLING : absent_hint(m));
        else if (!json_is_object(d))
          rc = fail(ld, "expected {\"volume\", \"elasticity\", ...}");
        if (!rc)
          rc = check_keys(ld, d, dk);
        map_demand_t *de = p >= 0 ? &na->demand[p] : NULL;
        int64_t vol = 0, el = 0, g = 0;
        json_t *secs = json_is_object(d) ? json_object_get(d, "sectors") : NULL;
        if (!rc && secs && !json_is_array(secs)) {
          push_key(ld, "sectors");
          rc = fail(ld, "expected an array of sectors");
          pop(ld);
        }
        if (!rc && secs && json_object_get(d, "volume")) {
          push_key(ld, "volume");
          rc = fail(ld, "with \"sectors\", give the volume of each sector "
                        "(the demand is their sum)");
          pop(ld);
        }
        if (!rc) {
          de->present = true;
          de->price = m->price0[p];
          de->max_price = MODEL_PRICE_MAX_CENTS;
          rc = num(ld, d, "volume", !secs, U_KG, 0, T_MAX, &vol);
        }
        if (!rc)
          rc = num(ld, d, "price", false, U_PRICE, 0.01, 1e6, &de->price);
        if (!rc)
          rc = num(ld, d, "elasticity", !secs, U_PPM, -10, -0.0001, &el);
        if (!rc)
          rc = num(ld, d, "growth", false, U_PPM, -0.5, 1, &g);
        if (!rc)
          rc = num(ld, d, "max_price", false, U_PRICE, 0.01, 1e6,
                   &de->max_price);
        if (!rc) {
          de->volume_kg_turn = vol / 4;
          de->elasticity_ppm = -el;
          if (de->price < 1) {
            push_key(ld, "price");
            rc = fail(ld, "the reference price must be at least 0.01 USD/kg "
                          "(set parameters.prices)");
            pop(ld);
          }
          de->growth_ppm_turn = yearly_to_quarter_ppm(g);
        }
        if (!rc && secs) {
          /* the lines; the object's figures are their defaults, and it
           * records the sum of the nation's lines (the volume it consumes)
           * and their volume-weighted elasticity */
          int64_t def[3] = {el < 0 ? -el : -1, g, de->max_price};
          rc = load_sectors(ld, m, (int)i, p, secs, def);
          __int128 sv = 0, se = 0;
          for (int s = 0; !rc && s < MODEL_SECTORS; s++) {
            const map_sector_t *l = &na->sector[p][s];
            if (!l->present)
              continue;
            sv += l->volume_kg_turn;
            se += (__int128)l->volume_kg_turn * l->elasticity_ppm;
          }
          de->volume_kg_turn = (int64_t)sv;
          de->elasticity_ppm = sv > 0 ? (int64_t)(se / sv) : 0;
          de->growth_ppm_turn = 0;
        }
        pop(ld);
        if (rc)
          break;
      }
      pop(ld);
    }
    pop(ld);
  }
out:
  pop(ld);
  return rc;
}

static int load_policies(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *arr = json_object_get(root, "nations");
  int rc = 0;
  push_key(ld, "nations");
  for (size_t i = 0; i < m->n_nations && !rc; i++) {
    json_t *o = json_array_get(arr, i), *pa;
    push_idx(ld, i);
    rc = get_arr(ld, o, "policies", false, &pa);
    if (!rc && pa) {
      push_key(ld, "policies");
      rc = parse_orders(ld, m, pa, (int)i, true, &m->nations[i].policies,
                        &m->nations[i].n_policies);
      for (size_t k = 0; k < m->nations[i].n_policies && !rc; k++)
        if (m->nations[i].policies[k].op != MODEL_OP_POLICY) {
          push_idx(ld, k);
          rc = fail(ld, "a nation's map policies must be {\"op\": "
                        "\"policy\", ...}");
          pop(ld);
        }
      pop(ld);
    }
    pop(ld);
  }
  pop(ld);
  return rc;
}

static int load_seats(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *arr;
  int rc = get_arr(ld, root, "seats", true, &arr);
  if (rc)
    return rc;
  size_t n = json_array_size(arr);
  push_key(ld, "seats");
  if (n < 1 || n > MODEL_SEATS_MAX) {
    rc = fail(ld, "expected 1 to %d seats", MODEL_SEATS_MAX);
    goto out;
  }
  m->seats = calloc(n, sizeof *m->seats);
  if (!m->seats) {
    rc = MODEL_ENOMEM;
    goto out;
  }
  m->n_seats = n;
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *o = json_array_get(arr, i);
    map_seat_t *s = &m->seats[i];
    push_idx(ld, i);
    static const char *const ks[] = {"seat",
                                     "kind",
                                     "title",
                                     "nation",
                                     "cash",
                                     "inventory",
                                     "concentrate_basket",
                                     "staff",
                                     "objectives",
                                     "orders",
                                     "credit_line",
                                     "seatless",
                                     NULL};
    char kind[16] = "", nation[MODEL_ID_MAX] = "";
    if (!json_is_object(o))
      rc = fail(ld, "expected a seat object");
    if (!rc)
      rc = check_keys(ld, o, ks);
    if (!rc)
      rc = str(ld, o, "seat", true, s->id, sizeof s->id);
    if (!rc)
      rc = str(ld, o, "kind", true, kind, sizeof kind);
    if (!rc)
      rc = str(ld, o, "title", true, s->title, sizeof s->title);
    if (!rc)
      rc = str(ld, o, "nation", false, nation, sizeof nation);
    if (!rc) {
      if (strcmp(kind, "nation") == 0) {
        s->kind = MODEL_SEAT_NATION;
        s->nation = model_nation_index(m, s->id);
        push_key(ld, "seat");
        if (s->nation < 0)
          rc = fail(ld, "a nation seat's \"seat\" must be the id of one of "
                        "\"nations\"");
        else if (m->nations[s->nation].seat >= 0)
          rc = fail(ld, "nation \"%s\" already has a seat", s->id);
        else
          m->nations[s->nation].seat = (int32_t)i;
        pop(ld);
        if (!rc && nation[0] && strcmp(nation, s->id) != 0) {
          push_key(ld, "nation");
          rc = fail(ld, "a nation seat's \"nation\" must equal its \"seat\"");
          pop(ld);
        }
        s->weight[0] = 500000;
        s->weight[1] = 300000;
        s->weight[2] = 200000;
      } else if (strcmp(kind, "firm") == 0) {
        s->kind = MODEL_SEAT_FIRM;
        s->nation = nation[0] ? model_nation_index(m, nation) : -1;
        if (s->nation < 0) {
          if (nation[0])
            push_key(ld, "nation");
          rc = fail(ld, "a firm needs \"nation\": the id of one of "
                        "\"nations\" (its home)");
          if (nation[0])
            pop(ld);
        }
        s->weight[0] = MODEL_PPM;
      } else {
        push_key(ld, "kind");
        rc = fail(ld, "expected \"nation\" or \"firm\"");
        pop(ld);
      }
    }
    if (!rc)
      rc = num(ld, o, "cash", false, U_CENTS, -USD_MAX, USD_MAX, &s->cash);
    if (!rc && json_object_get(o, "credit_line") &&
        (!m->finance || s->kind != MODEL_SEAT_FIRM)) {
      push_key(ld, "credit_line");
      rc = fail(ld, "a credit line is for firms, on maps with "
                    "parameters.finance");
      pop(ld);
    }
    if (!rc)
      rc = num(ld, o, "credit_line", false, U_CENTS, 0, USD_MAX,
               &s->credit_line);
    if (!rc)
      rc = opt_bool(ld, o, "seatless", &s->seatless);
    if (!rc && s->seatless && s->kind != MODEL_SEAT_FIRM) {
      push_key(ld, "seatless");
      rc = fail(ld, "only a firm may be seatless (a nation seat is always "
                    "open to a player)");
      pop(ld);
    }
    if (!rc)
      rc = named(ld, o, "inventory", model__product_names, NP, U_KG, 0, T_MAX,
                 s->inventory);
    if (!rc)
      rc = named(ld, o, "staff", model__stage_names, NS, U_PLAIN, 0, PEOPLE_MAX,
                 s->staff);
    s->basket[0] = -1;
    if (!rc && json_object_get(o, "concentrate_basket"))
      rc = basket(ld, m, o, "concentrate_basket", s->basket);
    json_t *ob;
    if (!rc)
      rc = get_obj(ld, o, "objectives", &ob);
    if (!rc && ob) {
      static const char *const fo[] = {"net_worth"};
      static const char *const no[] = {"security", "value_added", "budget"};
      int64_t w[3] = {0, 0, 0};
      if (s->kind == MODEL_SEAT_FIRM)
        rc = named(ld, o, "objectives", fo, 1, U_PPM, 0, 1000, w);
      else
        rc = named(ld, o, "objectives", no, 3, U_PPM, 0, 1000, w);
      int64_t sum = w[0] + w[1] + w[2];
      if (!rc && sum <= 0) {
        push_key(ld, "objectives");
        rc = fail(ld, "the weights must not all be zero");
        pop(ld);
      }
      if (!rc)
        for (int k = 0; k < 3; k++)
          s->weight[k] = mul_div(w[k], MODEL_PPM, sum);
    }
    pop(ld);
  }
  if (!rc) {
    int32_t dup;
    idx_t *ix = idx_build(m->seats[0].id, sizeof m->seats[0], n, &dup);
    free(ix);
    if (!ix)
      rc = MODEL_ENOMEM;
    else if (dup >= 0) {
      push_idx(ld, (size_t)dup);
      push_key(ld, "seat");
      rc = fail(ld, "duplicate seat id \"%s\"", m->seats[dup].id);
      pop(ld);
      pop(ld);
    }
  }
  if (!rc) { /* issue 11: someone must be able to play */
    size_t open = 0;
    for (size_t i = 0; i < n; i++)
      open += !m->seats[i].seatless;
    if (open == 0)
      rc = fail(ld, "every seat is seatless; at least one seat must be open "
                    "to a player");
  }
  /* standing orders, now that every seat exists */
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *o = json_array_get(arr, i), *oa;
    push_idx(ld, i);
    rc = get_arr(ld, o, "orders", false, &oa);
    if (!rc && oa) {
      push_key(ld, "orders");
      rc = parse_orders(ld, m, oa, (int)i, false, &m->seats[i].orders,
                        &m->seats[i].n_orders);
      for (size_t k = 0; k < m->seats[i].n_orders && !rc; k++) {
        model_op_t op = m->seats[i].orders[k].op;
        if (op != MODEL_OP_OFFER && op != MODEL_OP_BID &&
            op != MODEL_OP_OPERATE && op != MODEL_OP_POLICY) {
          push_idx(ld, k);
          rc = fail(ld, "a map's standing orders are offer, bid, operate "
                        "or policy");
          pop(ld);
        }
      }
      pop(ld);
    }
    pop(ld);
  }
out:
  pop(ld);
  return rc;
}

/* Zeroed room for a list of n entries of `size` bytes that the map may
 * hold at most `max` of (else a message naming the list, `what`): NULL
 * with *rc set when it is too long or memory runs out. */
static void *list_alloc(ld_t *ld, size_t n, int max, const char *what,
                        size_t size, int *rc) {
  if (n > (size_t)max) {
    *rc = fail(ld, "at most %d %s", max, what);
    return NULL;
  }
  void *p = calloc(n ? n : 1, size);
  if (!p)
    *rc = MODEL_ENOMEM;
  return p;
}

static int load_deposits(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *arr;
  int rc = get_arr(ld, root, "deposits", false, &arr);
  if (rc || !arr)
    return rc;
  size_t n = json_array_size(arr);
  push_key(ld, "deposits");
  m->deposits = list_alloc(ld, n, MODEL_DEPOSITS_MAX, "deposits",
                           sizeof *m->deposits, &rc);
  if (rc)
    goto out;
  m->n_deposits = n;
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *o = json_array_get(arr, i);
    map_deposit_t *d = &m->deposits[i];
    push_idx(ld, i);
    static const char *const ks[] = {"id",       "nation", "type",
                                     "reserves", "basket", "unit_cost",
                                     "open",     "owner",  NULL};
    char nation[MODEL_ID_MAX] = "", type[32] = "hard_rock_light";
    d->unit_cost = -1;
    d->open = true;
    d->owner = -1;
    if (!json_is_object(o))
      rc = fail(ld, "expected a deposit object");
    if (!rc)
      rc = check_keys(ld, o, ks);
    if (!rc)
      rc = str(ld, o, "id", true, d->id, sizeof d->id);
    if (!rc)
      rc = str(ld, o, "nation", true, nation, sizeof nation);
    if (!rc && (d->nation = model_nation_index(m, nation)) < 0) {
      push_key(ld, "nation");
      rc = fail(ld, "expected the id of one of \"nations\"");
      pop(ld);
    }
    if (!rc)
      rc = str(ld, o, "type", false, type, sizeof type);
    if (!rc) {
      if (strcmp(type, "hard_rock_light") == 0)
        d->type = 0;
      else if (strcmp(type, "ionic_clay_heavy") == 0)
        d->type = 1;
      else {
        push_key(ld, "type");
        rc = fail(ld, "expected \"hard_rock_light\" or \"ionic_clay_heavy\"");
        pop(ld);
      }
    }
    if (!rc)
      rc = num(ld, o, "reserves", true, U_KG, 0, RESERVE_MAX, &d->reserves);
    if (!rc) {
      if (!json_object_get(o, "basket"))
        rc = fail(ld, "missing \"basket\" (shares of ndpr_oxide, dytb_oxide, "
                      "lace_oxide)");
      if (!rc)
        rc = basket(ld, m, o, "basket", d->basket);
    }
    if (!rc)
      rc = num(ld, o, "unit_cost", false, U_PRICE, 0, 1e6, &d->unit_cost);
    if (!rc)
      rc = opt_bool(ld, o, "open", &d->open);
    if (!rc) /* a firm's seat id, checked once the seats are read */
      rc = str(ld, o, "owner", false, d->owner_id, sizeof d->owner_id);
    pop(ld);
  }
  if (!rc && n) {
    int32_t dup;
    idx_t *ix = idx_build(m->deposits[0].id, sizeof m->deposits[0], n, &dup);
    free(ix);
    if (!ix)
      rc = MODEL_ENOMEM;
    else if (dup >= 0) {
      push_idx(ld, (size_t)dup);
      push_key(ld, "id");
      rc = fail(ld, "duplicate deposit id \"%s\"", m->deposits[dup].id);
      pop(ld);
      pop(ld);
    }
  }
out:
  pop(ld);
  return rc;
}

static int load_facilities(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *arr;
  int rc = get_arr(ld, root, "facilities", false, &arr);
  if (rc || !arr)
    return rc;
  size_t n = json_array_size(arr);
  push_key(ld, "facilities");
  m->facilities = list_alloc(ld, n, MODEL_FACILITIES_MAX, "facilities",
                             sizeof *m->facilities, &rc);
  if (rc)
    goto out;
  m->n_facilities = n;
  int32_t dup;
  idx_t *seat_ix =
      idx_build(m->seats[0].id, sizeof m->seats[0], m->n_seats, &dup);
  idx_t *dep_ix = m->n_deposits
                      ? idx_build(m->deposits[0].id, sizeof m->deposits[0],
                                  m->n_deposits, &dup)
                      : NULL;
  if (!seat_ix || (m->n_deposits && !dep_ix)) {
    free(seat_ix);
    free(dep_ix);
    rc = MODEL_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *o = json_array_get(arr, i);
    map_facility_t *f = &m->facilities[i];
    push_idx(ld, i);
    static const char *const ks[] = {
        "id",         "owner",        "stage",       "site",
        "nation",     "capacity",     "utilisation", "experience",
        "unit_cost",  "recovery",     "building",    "ramp_age",
        "book_value", "staff_per_kt", "branch",      NULL};
    char owner[MODEL_ID_MAX] = "", site[MODEL_ID_MAX] = "",
         nation[MODEL_ID_MAX] = "";
    int64_t b = 0, age = 1000;
    f->utilisation = MODEL_PPM;
    f->experience = f->unit_cost = f->recovery = f->book_value = -1;
    f->staff_milli = -1;
    f->deposit = -1;
    if (!json_is_object(o))
      rc = fail(ld, "expected a facility object");
    if (!rc)
      rc = check_keys(ld, o, ks);
    if (!rc)
      rc = str(ld, o, "id", true, f->id, sizeof f->id);
    if (!rc)
      rc = str(ld, o, "owner", true, owner, sizeof owner);
    if (!rc) {
      f->owner = idx_find(seat_ix, m->n_seats, owner);
      if (f->owner < 0 || m->seats[f->owner].kind != MODEL_SEAT_FIRM) {
        push_key(ld, "owner");
        rc = fail(ld, "expected the seat id of a firm");
        pop(ld);
      }
    }
    if (!rc)
      rc = name_field(ld, o, "stage", model__stage_names, NS, &f->stage);
    if (!rc)
      rc = str(ld, o, "site", false, site, sizeof site);
    if (!rc && f->stage == MODEL_MINING) {
      f->deposit = site[0] ? idx_find(dep_ix, m->n_deposits, site) : -1;
      if (f->deposit < 0) {
        if (site[0])
          push_key(ld, "site");
        rc = fail(ld, "a mine needs \"site\": the id of one of \"deposits\"");
        if (site[0])
          pop(ld);
      }
    }
    if (!rc)
      rc = str(ld, o, "nation", false, nation, sizeof nation);
    if (!rc) {
      if (nation[0])
        f->nation = model_nation_index(m, nation);
      else if (f->deposit >= 0)
        f->nation = m->deposits[f->deposit].nation;
      else
        f->nation = m->seats[f->owner].nation;
      if (f->nation < 0) {
        push_key(ld, "nation");
        rc = fail(ld, "expected the id of one of \"nations\"");
        pop(ld);
      }
    }
    if (!rc)
      rc = num(ld, o, "capacity", true, U_KG, 0, T_MAX, &f->capacity);
    if (!rc)
      rc = num(ld, o, "utilisation", false, U_PPM, 0, 1, &f->utilisation);
    if (!rc)
      rc =
          num(ld, o, "experience", false, U_KG, 0, RESERVE_MAX, &f->experience);
    if (!rc)
      rc = num(ld, o, "unit_cost", false, U_PRICE, 0, 1e6, &f->unit_cost);
    if (!rc)
      rc = num(ld, o, "recovery", false, U_PPM, 0, 1, &f->recovery);
    if (!rc)
      rc = num(ld, o, "building", false, U_PLAIN, 0, 400, &b);
    if (!rc)
      rc = num(ld, o, "ramp_age", false, U_PLAIN, 0, 100000, &age);
    if (!rc)
      rc = num(ld, o, "book_value", false, U_CENTS, 0, USD_MAX, &f->book_value);
    {
      /* a plant's own staffing ratio where the stage's does not fit it
       * (people per kt/yr, in thousandths; model v2) */
      double d = 0;
      bool has = false;
      if (!rc)
        rc = figure(ld, o, "staff_per_kt", false, &d, &has);
      if (!rc && has) {
        push_key(ld, "staff_per_kt");
        if (!(d >= 0 && d <= 1e6))
          rc = fail(ld, "must be people per kt/yr between 0 and 1e6");
        else
          f->staff_milli = (int64_t)(d * 1000.0 + 0.5);
        pop(ld);
        m->fac_staff = m->v2 = true;
      }
    }
    f->building = (int32_t)b;
    f->ramp_age = (int32_t)age;
    /* a map plant may belong to its owner's branch abroad (design I2) */
    if (!rc && (rc = opt_bool(ld, o, "branch", &f->branch)) == 0 && f->branch &&
        (!m->branches || f->nation == m->seats[f->owner].nation)) {
      push_key(ld, "branch");
      rc = fail(ld, "a branch plant stands outside its owner's home nation, "
                    "on a map with parameters.branches");
      pop(ld);
    }
    pop(ld);
  }
  free(seat_ix);
  free(dep_ix);
  if (!rc && n) {
    idx_t *ix =
        idx_build(m->facilities[0].id, sizeof m->facilities[0], n, &dup);
    free(ix);
    if (!ix)
      rc = MODEL_ENOMEM;
    else if (dup >= 0) {
      push_idx(ld, (size_t)dup);
      push_key(ld, "id");
      rc = fail(ld, "duplicate facility id \"%s\"", m->facilities[dup].id);
      pop(ld);
      pop(ld);
    }
  }
out:
  pop(ld);
  return rc;
}

/* parameters.qualification (issue 11, design K): {"turns": n,
 * "min_output": t, "qualified": [firm seat ids]}; read after the seats,
 * whose ids it names. */
static int load_qualification(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *p = json_object_get(root, "parameters"), *q;
  int rc = 0;
  push_key(ld, "parameters");
  if ((rc = get_obj(ld, p, "qualification", &q)) || !q) {
    pop(ld);
    return rc;
  }
  push_key(ld, "qualification");
  static const char *const qk[] = {"turns", "min_output", "qualified", NULL};
  int64_t turns = 0;
  json_t *list = NULL;
  rc = check_keys(ld, q, qk);
  if (!rc)
    rc = num(ld, q, "turns", true, U_PLAIN, 1, 400, &turns);
  if (!rc)
    rc = num(ld, q, "min_output", false, U_KG, 0, 1e9, &m->qual_min_kg);
  if (!rc)
    rc = get_arr(ld, q, "qualified", false, &list);
  m->qual_turns = (int32_t)turns;
  if (!rc && !(m->qualified0 = calloc(m->n_seats ? m->n_seats : 1, 1)))
    rc = MODEL_ENOMEM;
  for (size_t i = 0; !rc && list && i < json_array_size(list); i++) {
    json_t *v = json_array_get(list, i);
    int s =
        json_is_string(v) ? model_map_seat_index(m, json_string_value(v)) : -1;
    if (s < 0 || m->seats[s].kind != MODEL_SEAT_FIRM) {
      push_key(ld, "qualified");
      push_idx(ld, i);
      rc = fail(ld, "expected the seat id of a firm");
      pop(ld);
      pop(ld);
      break;
    }
    m->qualified0[s] = 1;
  }
  pop(ld);
  pop(ld);
  return rc;
}

/* deposits[].owner (issue 11) names a firm seat of the map. */
static int load_deposit_owners(ld_t *ld, model_map_t *m) {
  for (size_t i = 0; i < m->n_deposits; i++) {
    map_deposit_t *d = &m->deposits[i];
    if (!d->owner_id[0])
      continue;
    d->owner = -1;
    for (size_t s = 0; s < m->n_seats; s++)
      if (strcmp(m->seats[s].id, d->owner_id) == 0 &&
          m->seats[s].kind == MODEL_SEAT_FIRM)
        d->owner = (int32_t)s;
    if (d->owner >= 0)
      continue;
    push_key(ld, "deposits");
    push_idx(ld, i);
    push_key(ld, "owner");
    int rc = fail(ld, "expected the seat id of a firm of \"seats\"");
    pop(ld);
    pop(ld);
    pop(ld);
    return rc;
  }
  return 0;
}

/* parameters.origin_tracking names a nation of the map. */
static int load_origin_tracking(ld_t *ld, model_map_t *m) {
  if (!m->origin_track_id[0])
    return 0;
  m->origin_track = model_nation_index(m, m->origin_track_id);
  if (m->origin_track >= 0)
    return 0;
  push_key(ld, "parameters");
  push_key(ld, "origin_tracking");
  int rc = fail(ld, "expected the id of one of \"nations\"");
  pop(ld);
  pop(ld);
  return rc;
}

/* issue 13, closed information (docs/maps.md "information"):
 * {"unpublished": [{"nation": id, "policies": [policy kinds]}],
 *  "estimates": {"construction_error": share 0..1}}. Both keys are
 * optional; the key itself turns closed information on (an empty object
 * publishes everything, as a map without it, but observations say so). */
_Static_assert(MODEL_POLICY_KINDS <= 32, "a bit per policy kind in a uint32_t");
static int load_information(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *info;
  int rc = get_obj(ld, root, "information", &info);
  if (rc || !info)
    return rc;
  push_key(ld, "information");
  static const char *const ks[] = {"unpublished", "estimates", NULL};
  static const char *const es[] = {"construction_error", NULL};
  static const char *const us[] = {"nation", "policies", NULL};
  json_t *un = NULL, *est = NULL;
  m->info = true;
  m->unpublished =
      calloc(m->n_nations ? m->n_nations : 1, sizeof *m->unpublished);
  if (!m->unpublished) {
    pop(ld);
    return MODEL_ENOMEM;
  }
  if ((rc = check_keys(ld, info, ks)) ||
      (rc = get_arr(ld, info, "unpublished", false, &un)) ||
      (rc = get_obj(ld, info, "estimates", &est)))
    goto out;
  if (est) {
    push_key(ld, "estimates");
    rc = check_keys(ld, est, es);
    if (!rc)
      rc = num(ld, est, "construction_error", false, U_PPM, 0, 1,
               &m->construction_error_ppm);
    pop(ld);
    if (rc)
      goto out;
  }
  for (size_t i = 0; un && i < json_array_size(un); i++) {
    json_t *e = json_array_get(un, i), *pols = NULL;
    char nation[MODEL_ID_MAX];
    push_key(ld, "unpublished");
    push_idx(ld, i);
    if (!json_is_object(e))
      rc = fail(ld, "expected {\"nation\": id, \"policies\": [policy kinds]}");
    if (!rc && !(rc = check_keys(ld, e, us)) &&
        !(rc = str(ld, e, "nation", true, nation, sizeof nation)) &&
        !(rc = get_arr(ld, e, "policies", true, &pols))) {
      int n = model_nation_index(m, nation);
      if (n < 0) {
        push_key(ld, "nation");
        rc = fail(ld, "\"%s\" is not a nation of the map", nation);
        pop(ld);
      }
      for (size_t k = 0; !rc && k < json_array_size(pols); k++) {
        json_t *v = json_array_get(pols, k);
        int kind = -1;
        for (int q = 0; json_is_string(v) && q < MODEL_POLICY_KINDS; q++)
          if (strcmp(json_string_value(v), model_policy_name(q)) == 0)
            kind = q;
        if (kind < 0) {
          push_key(ld, "policies");
          push_idx(ld, k);
          rc = fail(ld, "expected a policy kind (export_quota, "
                        "production_quota, ...; docs/protocol.md \"Policy "
                        "kinds\")");
          pop(ld);
          pop(ld);
        } else {
          m->unpublished[n] |= 1u << kind;
        }
      }
    }
    pop(ld);
    pop(ld);
    if (rc)
      goto out;
  }
out:
  pop(ld);
  return rc;
}

/* An event's optional "nation" into buf: when given, the id of one of
 * "nations" (its index into *index, when index is not NULL). */
static int event_nation(ld_t *ld, const model_map_t *m, json_t *o, char *buf,
                        size_t size, int32_t *index) {
  int rc = str(ld, o, "nation", false, buf, size);
  if (rc || !buf[0])
    return rc;
  int ni = model_nation_index(m, buf);
  if (index)
    *index = ni;
  if (ni < 0) {
    push_key(ld, "nation");
    rc = fail(ld, "expected the id of one of \"nations\"");
    pop(ld);
  }
  return rc;
}

/* An event's optional "product": when given, a product name, into
 * *product. */
static int event_product(ld_t *ld, json_t *o, int32_t *product) {
  char prod[MODEL_ID_MAX] = "";
  int rc = str(ld, o, "product", false, prod, sizeof prod);
  if (!rc && prod[0] && (*product = model_product_from_name(prod)) < 0) {
    push_key(ld, "product");
    rc = fail(ld, "expected a product name");
    pop(ld);
  }
  return rc;
}

/* One event object of the map: a scripted event (with its "turn") or the
 * "event" of a prepared inject (without: the inject has its own). */
static int parse_event(ld_t *ld, model_map_t *m, json_t *o, model_event_t *e,
                       bool with_turn) {
  int rc = 0;
  static const char *const ek[] = {"turn",    "kind",  "nation",    "facility",
                                   "product", "stage", "magnitude", "duration",
                                   "policy",  "text",  "order",     NULL};
  /* an inject's event has no "turn" of its own */
  int32_t kind = 0;
  int64_t turn = 0, dur = 1;
  char stage[MODEL_ID_MAX] = "";
  e->product = e->stage = -1;
  if (!json_is_object(o))
    rc = fail(ld, "expected an event object");
  if (!rc)
    rc = check_keys(ld, o, with_turn ? ek : ek + 1);
  if (!rc && with_turn)
    rc = num(ld, o, "turn", true, U_PLAIN, 0, m->turns - 1, &turn);
  if (!rc)
    rc =
        name_field(ld, o, "kind", model__event_names, MODEL_EVENT_KINDS, &kind);
  e->kind = (model_event_kind_t)kind;
  e->turn = (int32_t)turn;
  if (!rc)
    rc = event_nation(ld, m, o, e->nation, sizeof e->nation, NULL);
  if (!rc)
    rc = str(ld, o, "facility", false, e->facility, sizeof e->facility);
  if (!rc)
    rc = event_product(ld, o, &e->product);
  if (!rc)
    rc = str(ld, o, "stage", false, stage, sizeof stage);
  if (!rc && stage[0] && (e->stage = model_stage_from_name(stage)) < 0) {
    push_key(ld, "stage");
    rc = fail(ld, "expected a stage name");
    pop(ld);
  }
  if (!rc)
    rc = num(ld, o, "magnitude",
             kind != MODEL_EV_POLICY && kind != MODEL_EV_STATE_SUPPORT, U_PPM,
             0, 10, &e->magnitude_ppm);
  if (!rc)
    rc = num(ld, o, "duration", false, U_PLAIN, 1, 400, &dur);
  e->duration = (int32_t)dur;
  if (!rc)
    rc = str(ld, o, "text", false, e->text, sizeof e->text);
  if (!rc && (kind == MODEL_EV_POLICY || kind == MODEL_EV_STATE_SUPPORT)) {
    /* a policy event carries its order under "policy", a state_support
     * event (a grant, equity, loan or firm_price_floor) under "order" */
    const char *key = kind == MODEL_EV_POLICY ? "policy" : "order";
    json_t *po = json_object_get(o, key);
    int ni = model_nation_index(m, e->nation);
    if (!po || ni < 0)
      rc = fail(ld, "a \"%s\" event needs \"nation\" and \"%s\"",
                model__event_names[kind], key);
    if (!rc) {
      push_key(ld, key);
      rc = parse_order(ld, po, &e->policy);
      model_refusal_t r;
      if (!rc && model_event_order_check(m, ni, e, &r))
        rc = fail(ld, "%s", r.message);
      pop(ld);
    }
  }
  return rc;
}

static int load_events(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *ev;
  int rc = get_obj(ld, root, "events", &ev);
  if (rc || !ev)
    return rc;
  push_key(ld, "events");
  static const char *const ks[] = {"random", "scripted", NULL};
  json_t *ra = NULL, *sa = NULL;
  rc = check_keys(ld, ev, ks);
  if (!rc)
    rc = get_arr(ld, ev, "random", false, &ra);
  if (!rc)
    rc = get_arr(ld, ev, "scripted", false, &sa);
  if (!rc && ra) {
    size_t n = json_array_size(ra);
    push_key(ld, "random");
    m->random = list_alloc(ld, n, MODEL_EVENT_KINDS_MAX, "random events",
                           sizeof *m->random, &rc);
    for (size_t i = 0; i < n && !rc; i++) {
      json_t *o = json_array_get(ra, i);
      map_random_event_t *r = &m->random[i];
      push_idx(ld, i);
      static const char *const ek[] = {"kind",     "probability", "magnitude",
                                       "duration", "nation",      "product",
                                       NULL};
      int32_t kind = 0;
      int64_t dur = 1;
      char nation[MODEL_ID_MAX] = "";
      r->nation = r->product = -1;
      if (!json_is_object(o))
        rc = fail(ld, "expected an event object");
      if (!rc)
        rc = check_keys(ld, o, ek);
      if (!rc)
        rc = name_field(ld, o, "kind", model__event_names, MODEL_EVENT_KINDS,
                        &kind);
      if (!rc && (kind == MODEL_EV_POLICY || kind == MODEL_EV_STATE_SUPPORT)) {
        push_key(ld, "kind");
        rc = fail(ld, "\"%s\" events are scripted only",
                  model__event_names[kind]);
        pop(ld);
      }
      r->kind = (model_event_kind_t)kind;
      if (!rc)
        rc = num(ld, o, "probability", true, U_PPM, 0, 1, &r->probability_ppm);
      if (!rc)
        rc = num(ld, o, "magnitude", true, U_PPM, 0, 10, &r->magnitude_ppm);
      if (!rc)
        rc = num(ld, o, "duration", false, U_PLAIN, 1, 400, &dur);
      r->duration = (int32_t)dur;
      if (!rc)
        rc = event_nation(ld, m, o, nation, sizeof nation, &r->nation);
      if (!rc)
        rc = event_product(ld, o, &r->product);
      pop(ld);
      if (!rc)
        m->n_random++;
    }
    pop(ld);
  }
  if (!rc && sa) {
    size_t n = json_array_size(sa);
    push_key(ld, "scripted");
    m->scripted = list_alloc(ld, n, MODEL_SCRIPTED_MAX, "scripted events",
                             sizeof *m->scripted, &rc);
    for (size_t i = 0; i < n && !rc; i++) {
      json_t *o = json_array_get(sa, i);
      model_event_t *e = &m->scripted[i];
      push_idx(ld, i);
      rc = parse_event(ld, m, o, e, true);
      pop(ld);
      if (!rc)
        m->n_scripted++;
    }
    pop(ld);
  }
  pop(ld);
  return rc;
}

/* An inject's or a choice's "sources": a key of the top-level "sources"
 * table or an array of them, kept as one ", "-separated string in out
 * (cut at its size). */
static int item_sources(ld_t *ld, json_t *o, char *out, size_t size) {
  json_t *src = json_object_get(o, "sources");
  int rc = 0;
  if (!src)
    return 0;
  push_key(ld, "sources");
  if (!json_is_array(src) && !json_is_string(src))
    rc = fail(ld, "expected a source key or an array of keys");
  size_t ns = json_is_array(src) ? json_array_size(src) : 1;
  size_t at = 0;
  for (size_t k = 0; k < ns && !rc; k++) {
    json_t *sv = json_is_array(src) ? json_array_get(src, k) : src;
    if (!json_is_string(sv) ||
        !json_object_get(ld->sources, json_string_value(sv))) {
      rc = fail(ld,
                "source \"%s\" is not a key of the top-level "
                "\"sources\" table",
                json_is_string(sv) ? json_string_value(sv) : "?");
      break;
    }
    int w = snprintf(out + at, size - at, "%s%s", k ? ", " : "",
                     json_string_value(sv));
    if (w > 0 && (size_t)w < size - at)
      at += (size_t)w;
  }
  pop(ld);
  return rc;
}

/* The control cell's prepared injects (issue 13, docs/maps.md
 * "injects"): [{turn, event, seats, note, sources}]. */
static int load_injects(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *arr = NULL;
  int rc = get_arr(ld, root, "injects", false, &arr);
  if (rc || !arr)
    return rc;
  size_t n = json_array_size(arr);
  push_key(ld, "injects");
  m->injects = list_alloc(ld, n, MODEL_MAP_INJECTS_MAX, "prepared injects",
                          sizeof *m->injects, &rc);
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *o = json_array_get(arr, i);
    model_map_inject_t *in = &m->injects[i];
    model_event_t *e = &in->event;
    push_idx(ld, i);
    static const char *const ik[] = {"turn", "event",   "seats",
                                     "note", "sources", NULL};
    int64_t turn = 0;
    json_t *seats = NULL;
    if (!json_is_object(o))
      rc = fail(ld, "expected an inject object {turn, event, seats, note, "
                    "sources}");
    if (!rc)
      rc = check_keys(ld, o, ik);
    if (!rc)
      rc = num(ld, o, "turn", true, U_PLAIN, 0, m->turns - 1, &turn);
    if (!rc) {
      json_t *eo = json_object_get(o, "event");
      if (!eo)
        rc = fail(ld, "missing \"event\" (an event object)");
      if (!rc) {
        push_key(ld, "event");
        rc = parse_event(ld, m, eo, e, false);
        pop(ld);
      }
    }
    e->turn = (int32_t)turn;
    if (!rc)
      rc = str(ld, o, "note", false, in->note, sizeof in->note);
    if (!rc)
      rc = get_arr(ld, o, "seats", false, &seats);
    if (!rc && seats) {
      push_key(ld, "seats");
      size_t ns = json_array_size(seats);
      if (ns > MODEL_AUDIENCE_MAX)
        rc = fail(ld, "at most %d seats", MODEL_AUDIENCE_MAX);
      for (size_t k = 0; k < ns && !rc; k++) {
        json_t *sv = json_array_get(seats, k);
        int si = json_is_string(sv)
                     ? model_map_seat_index(m, json_string_value(sv))
                     : -1;
        push_idx(ld, k);
        if (si < 0)
          rc = fail(ld, "expected the id of one of \"seats\"");
        pop(ld);
        /* kept in increasing order without repeats */
        int32_t at = 0;
        while (!rc && at < e->n_audience && e->audience[at] < si)
          at++;
        if (!rc && !(at < e->n_audience && e->audience[at] == si)) {
          memmove(&e->audience[at + 1], &e->audience[at],
                  (size_t)(e->n_audience - at) * sizeof e->audience[0]);
          e->audience[at] = si;
          e->n_audience++;
        }
      }
      pop(ld);
    }
    if (!rc)
      rc = item_sources(ld, o, in->sources, sizeof in->sources);
    pop(ld);
    if (!rc)
      m->n_injects++;
  }
  pop(ld);
  return rc;
}

/* The story's choices (issue 11, docs/maps.md "choices"):
 * [{id, by, orders, note, sources}]. Each choice's orders are checked as
 * the seat's orders against the map (names, who may give them, ranges). */
static int load_choices(ld_t *ld, model_map_t *m, json_t *root) {
  json_t *arr = NULL;
  int rc = get_arr(ld, root, "choices", false, &arr);
  if (rc || !arr)
    return rc;
  size_t n = json_array_size(arr);
  push_key(ld, "choices");
  m->choices = list_alloc(ld, n, MODEL_MAP_CHOICES_MAX, "choices",
                          sizeof *m->choices, &rc);
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *o = json_array_get(arr, i), *oa = NULL;
    model_map_choice_t *c = &m->choices[i];
    char by[MODEL_ID_MAX] = "";
    push_idx(ld, i);
    static const char *const ck[] = {"id",   "by",      "orders",
                                     "note", "sources", NULL};
    if (!json_is_object(o))
      rc = fail(ld, "expected a choice object {id, by, orders, note, "
                    "sources}");
    if (!rc)
      rc = check_keys(ld, o, ck);
    if (!rc)
      rc = str(ld, o, "id", true, c->id, sizeof c->id);
    for (size_t k = 0; k < i && !rc; k++)
      if (strcmp(m->choices[k].id, c->id) == 0) {
        push_key(ld, "id");
        rc = fail(ld, "choice \"%s\" is listed twice", c->id);
        pop(ld);
      }
    if (!rc)
      rc = str(ld, o, "by", true, by, sizeof by);
    if (!rc) {
      c->seat = model_map_seat_index(m, by);
      if (c->seat < 0) {
        push_key(ld, "by");
        rc = fail(ld,
                  "unknown seat \"%s\"; expected the id of one of "
                  "\"seats\"",
                  by);
        pop(ld);
      }
    }
    if (!rc && m->seats[c->seat].seatless) {
      push_key(ld, "by");
      rc = fail(ld,
                "seat \"%s\" is seatless: nobody could make this "
                "choice; give it to a seat that has a player",
                by);
      pop(ld);
    }
    if (!rc)
      rc = get_arr(ld, o, "orders", true, &oa);
    if (!rc && json_array_size(oa) == 0) {
      push_key(ld, "orders");
      rc = fail(ld, "expected at least one order");
      pop(ld);
    }
    if (!rc) {
      push_key(ld, "orders");
      rc = parse_orders(ld, m, oa, c->seat, false, &c->orders, &c->n_orders);
      pop(ld);
    }
    if (!rc)
      rc = str(ld, o, "note", false, c->note, sizeof c->note);
    if (!rc)
      rc = item_sources(ld, o, c->sources, sizeof c->sources);
    pop(ld);
    if (!rc || c->orders)
      m->n_choices++; /* freed with the map, loaded or not */
  }
  pop(ld);
  return rc;
}

void model_map_free(model_map_t *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->n_nations; i++)
    free(m->nations[i].policies);
  for (size_t i = 0; i < m->n_seats; i++)
    free(m->seats[i].orders);
  free(m->nations);
  free(m->seats);
  free(m->qualified0);
  free(m->unpublished);
  free(m->deposits);
  free(m->facilities);
  free(m->random);
  free(m->scripted);
  free(m->injects);
  for (size_t i = 0; i < m->n_choices; i++)
    free(m->choices[i].orders);
  free(m->choices);
  free(m->transport);
  free(m);
}

/* Design J1: nothing of the map names a product the map does not have
 * (stockpiles, inventories, policies, standing orders, events). */
static int check_products(ld_t *ld, const model_map_t *m) {
  for (int p = 0; p < NP; p++) {
    if (map_has(m, p))
      continue;
    const char *what = NULL, *who = "";
    for (size_t n = 0; !what && n < m->n_nations; n++) {
      const map_nation_t *mn = &m->nations[n];
      who = mn->id;
      if (mn->stockpile[p])
        what = "a stockpile";
      for (size_t k = 0; !what && k < mn->n_policies; k++)
        if (mn->policies[k].product == p)
          what = "a policy";
    }
    for (size_t s = 0; !what && s < m->n_seats; s++) {
      const map_seat_t *ms = &m->seats[s];
      who = ms->id;
      if (ms->inventory[p])
        what = "an inventory";
      for (size_t k = 0; !what && k < ms->n_orders; k++)
        if (ms->orders[k].product == p)
          what = "an order";
    }
    for (size_t k = 0; !what && k < m->n_scripted; k++)
      if (m->scripted[k].product == p ||
          (m->scripted[k].kind == MODEL_EV_POLICY &&
           m->scripted[k].policy.product == p))
        what = "a scripted event", who = m->scripted[k].nation;
    for (size_t k = 0; !what && k < m->n_random; k++)
      if (m->random[k].product == p)
        what = "a random event", who = "";
    for (size_t k = 0; !what && k < m->n_injects; k++)
      if (m->injects[k].event.product == p ||
          (m->injects[k].event.kind == MODEL_EV_POLICY &&
           m->injects[k].event.policy.product == p))
        what = "an inject", who = m->injects[k].event.nation;
    if (what)
      return fail(ld, "%s%s%s names %s, which is not a product of this map; %s",
                  what, who[0] ? " of " : "", who, model__product_names[p],
                  p == MODEL_SCRAP ? NO_RECYCLING : absent_hint(m));
  }
  return 0;
}

int model_map_load_string(const char *text, size_t len, const char *name,
                          model_map_t **out, model_error_t *err) {
  if (!text || !out)
    return MODEL_EINVAL;
  *out = NULL;
  if (err)
    memset(err, 0, sizeof *err);
  /* model_map_load_file comes here too, before anything is hashed */
  int crc = model_crypto_init();
  if (crc)
    return crc;
  ld_t ld = {text, len, name ? name : "(string)", err, NULL, {0}, NULL};
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    model_locate_json_error(&je, ld.name, err);
    return MODEL_EMAP;
  }
  int rc = 0;
  model_map_t *m = calloc(1, sizeof *m);
  if (!m) {
    json_decref(root);
    return MODEL_ENOMEM;
  }
  crypto_generichash(m->digest, sizeof m->digest, (const uint8_t *)text, len,
                     NULL, 0);
  ld.m = m;
  if (!json_is_object(root)) {
    rc = fail(&ld, "a map is a JSON object");
    goto fail;
  }
  static const char *const ks[] = {
      "format",   "id",         "title",   "description", "year",
      "turns",    "seats",      "nations", "sources",     "parameters",
      "deposits", "facilities", "events",  "notes",       "information",
      "injects",  "choices",    NULL};
  if ((rc = check_keys(&ld, root, ks)))
    goto fail;
  json_t *src = json_object_get(root, "sources");
  if (src && !json_is_object(src)) {
    push_key(&ld, "sources");
    rc = fail(&ld, "expected an object {key: {publisher, title, url}}");
    goto fail;
  }
  ld.sources = src ? src : json_object();
  if (!src && !ld.sources) {
    rc = MODEL_ENOMEM;
    goto fail;
  }
  if (src) {
    const char *k;
    json_t *v;
    push_key(&ld, "sources");
    json_object_foreach(src, k, v) {
      push_key(&ld, k);
      static const char *const sk[] = {"publisher",   "title",    "url",
                                       "reliability", "accessed", NULL};
      char tmp[1024];
      if (!json_is_object(v))
        rc = fail(&ld, "expected {\"publisher\", \"title\", \"url\"}");
      if (!rc)
        rc = check_keys(&ld, v, sk);
      if (!rc)
        rc = str(&ld, v, "publisher", true, tmp, sizeof tmp);
      if (!rc)
        rc = str(&ld, v, "title", true, tmp, sizeof tmp);
      if (!rc)
        rc = str(&ld, v, "url", true, tmp, sizeof tmp);
      pop(&ld);
      if (rc)
        break;
    }
    pop(&ld);
    if (rc)
      goto fail;
  }
  int64_t fmt = 1, turns = 0, year = 2025;
  if ((rc = num(&ld, root, "format", false, U_PLAIN, 1, 1, &fmt)) ||
      (rc = str(&ld, root, "id", true, m->id, sizeof m->id)) ||
      (rc = str(&ld, root, "title", true, m->title, sizeof m->title)) ||
      (rc = num(&ld, root, "turns", true, U_PLAIN, 1, MODEL_TURNS_MAX,
                &turns)) ||
      (rc = num(&ld, root, "year", false, U_PLAIN, 1900, 2200, &year)))
    goto fail;
  m->turns = (int32_t)turns;
  m->year = (int32_t)year;
  if ((rc = load_params(&ld, m, root)) || (rc = load_nations(&ld, m, root)) ||
      (rc = load_origin_tracking(&ld, m)) ||
      (rc = check_sector_rules(&ld, m)) ||
      (rc = load_transport(&ld, m, root)) ||
      (rc = load_deposits(&ld, m, root)) || (rc = load_seats(&ld, m, root)) ||
      (rc = load_deposit_owners(&ld, m)) ||
      (rc = load_policies(&ld, m, root)) ||
      (rc = load_facilities(&ld, m, root)) ||
      (rc = load_qualification(&ld, m, root)) ||
      (rc = load_events(&ld, m, root)) ||
      (rc = load_information(&ld, m, root)) ||
      (rc = load_injects(&ld, m, root)) || (rc = load_choices(&ld, m, root)) ||
      (rc = check_products(&ld, m)))
    goto fail;
  /* a stage that learns needs its reference facility among the map's */
  for (int s = 0; s < NS; s++) {
    if (!m->stage[s].learn)
      continue;
    bool found = false;
    for (size_t i = 0; i < m->n_facilities; i++)
      found |= m->facilities[i].stage == s &&
               strcmp(m->facilities[i].id, m->stage[s].learn_ref) == 0;
    if (!found) {
      push_key(&ld, "parameters");
      push_key(&ld, "stages");
      push_key(&ld, model__stage_names[s]);
      push_key(&ld, "learning");
      push_key(&ld, "reference_facility");
      rc = fail(&ld, "\"%s\" is not a %s facility of the map",
                m->stage[s].learn_ref, model__stage_names[s]);
      goto fail;
    }
  }
  for (size_t i = 0; i < m->n_seats; i++)
    if (m->seats[i].basket[0] < 0) {
      /* default opening basket: the home nation's first deposit */
      int64_t b[4] = {200000, 20000, 780000, 0};
      if (m->heavy_split) {
        b[1] = ppm_of(20000, m->dy_share_ppm);
        b[3] = 20000 - b[1];
      }
      for (size_t d = 0; d < m->n_deposits; d++)
        if (m->deposits[d].nation == m->seats[i].nation) {
          memcpy(b, m->deposits[d].basket, sizeof b);
          break;
        }
      memcpy(m->seats[i].basket, b, sizeof b);
    }
  if (!src)
    json_decref(ld.sources);
  json_decref(root);
  *out = m;
  return 0;
fail:
  if (ld.sources && !src)
    json_decref(ld.sources);
  json_decref(root);
  model_map_free(m);
  return rc;
}

int model_map_load_file(const char *path, model_map_t **out,
                        model_error_t *err) {
  if (!path || !out)
    return MODEL_EINVAL;
  *out = NULL;
  if (err)
    memset(err, 0, sizeof *err);
  /* jansson reads the file; the text is kept for locating errors. Only a
   * regular file is read: O_NONBLOCK keeps a FIFO from blocking the
   * open, and the type is checked on the opened descriptor (a device
   * such as /dev/zero would otherwise be read up to the size limit). */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  struct stat sb;
  FILE *f = NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = 0;
  if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
    close(fd);
    if (err) {
      snprintf(err->file, sizeof err->file, "%s", path);
      snprintf(err->message, sizeof err->message, "not a regular file");
    }
    return MODEL_EIO;
  }
  if (fd >= 0 && !(f = fdopen(fd, "rb")))
    close(fd);
  if (!f) {
    if (err) {
      snprintf(err->file, sizeof err->file, "%s", path);
      snprintf(err->message, sizeof err->message, "cannot open the file");
    }
    return MODEL_EIO;
  }
  for (;;) {
    if (len + 65536 > cap) {
      if (cap > ((size_t)64 << 20)) {
        rc = MODEL_ELIMIT;
        goto out;
      }
      size_t nc = cap ? cap * 2 : 65536;
      char *nb = realloc(buf, nc + 1);
      if (!nb) {
        rc = MODEL_ENOMEM;
        goto out;
      }
      buf = nb;
      cap = nc;
    }
    size_t r = fread(buf + len, 1, cap - len, f);
    len += r;
    if (r == 0)
      break;
  }
  if (ferror(f)) {
    rc = MODEL_EIO;
    goto out;
  }
  rc = model_map_load_string(buf ? buf : "", len, path, out, err);
out:
  if (rc == MODEL_EIO && err) {
    snprintf(err->file, sizeof err->file, "%s", path);
    snprintf(err->message, sizeof err->message, "read error");
  }
  fclose(f);
  free(buf);
  return rc;
}

const char *model_map_id(const model_map_t *m) {
  return m ? m->id : NULL;
}
const char *model_map_title(const model_map_t *m) {
  return m ? m->title : NULL;
}
int model_map_turns(const model_map_t *m) {
  return m ? m->turns : 0;
}
size_t model_map_seat_count(const model_map_t *m) {
  return m ? m->n_seats : 0;
}
size_t model_map_nation_count(const model_map_t *m) {
  return m ? m->n_nations : 0;
}
bool model_map_has_product(const model_map_t *m, int product) {
  return m && map_has(m, product);
}
bool model_map_has_stage(const model_map_t *m, int stage) {
  return m && map_has_stage(m, stage);
}
const char *model_map_seat_id(const model_map_t *m, size_t i) {
  return m && i < m->n_seats ? m->seats[i].id : NULL;
}
int model_map_seat_kind(const model_map_t *m, size_t i) {
  return m && i < m->n_seats ? (int)m->seats[i].kind : -1;
}
bool model_map_seat_seatless(const model_map_t *m, size_t i) {
  return m && i < m->n_seats && m->seats[i].seatless;
}
const char *model_map_seat_title(const model_map_t *m, size_t i) {
  return m && i < m->n_seats ? m->seats[i].title : NULL;
}
int model_map_seat_index(const model_map_t *m, const char *id) {
  if (!m || !id)
    return -1;
  for (size_t i = 0; i < m->n_seats; i++)
    if (strcmp(m->seats[i].id, id) == 0)
      return (int)i;
  return -1;
}
const char *model_map_nation_id(const model_map_t *m, size_t i) {
  return m && i < m->n_nations ? m->nations[i].id : NULL;
}
const uint8_t *model_map_digest(const model_map_t *m) {
  return m ? m->digest : NULL;
}

size_t model_map_scripted_count(const model_map_t *map) {
  return map ? map->n_scripted : 0;
}

const model_event_t *model_map_scripted(const model_map_t *map, size_t i) {
  return map && i < map->n_scripted ? &map->scripted[i] : NULL;
}

size_t model_map_inject_count(const model_map_t *map) {
  return map ? map->n_injects : 0;
}

const model_map_inject_t *model_map_inject(const model_map_t *map, size_t i) {
  return map && i < map->n_injects ? &map->injects[i] : NULL;
}

size_t model_map_choice_count(const model_map_t *map) {
  return map ? map->n_choices : 0;
}

const model_map_choice_t *model_map_choice(const model_map_t *map, size_t i) {
  return map && i < map->n_choices ? &map->choices[i] : NULL;
}
