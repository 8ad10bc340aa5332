/*
 * The orders of `lanthanide play`: typed syntax, the local list, the view;
 * see play_orders.h. Policies are driven by the model's order schema
 * (model.h, model/order_schema.c).
 */
#include "play_orders.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ui.h"
#include "cli_view.h"
#include "model.h"

/* ---- What the observation says about the seat ---------------------------- */

static bool obs_is_nation(const json_t *obs) {
  return obs && strcmp(ui_str(obs, "kind"), "nation") == 0;
}

static bool obs_has_facility(const json_t *obs, const char *id) {
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(json_object_get(obs, "you"), "facilities"),
                     i, f) {
    if (strcmp(ui_str(f, "id"), id) == 0)
      return true;
  }
  return false;
}

/* ---- Messages -------------------------------------------------------------
 */

static json_t *say(char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write the message for the player and return NULL (no order). */
static json_t *say(char *msg, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, cap, fmt, ap);
  va_end(ap);
  return NULL;
}

static const char PRODUCTS[] =
    "concentrate (conc), ndpr_oxide (ndpr), dytb_oxide (dytb), lace_oxide "
    "(lace), magnet, magnet_scrap (scrap; maps with recycling)";
static const char STAGES[] =
    "mining, separation, magnet, recycling (maps with recycling)";

static int number(const char *what, const char *s, double *out, char *msg,
                  size_t cap) {
  if (ui_parse_number(s, out, NULL) == 0)
    return 0;
  say(msg, cap, "%s: '%s' is not a number (examples: 5000, 5k, 2.5M, 55, 80%%)",
      what, ui_clean(s));
  return -1;
}

/* The schema's field of an op (not a policy) by key. */
static const model_field_t *op_field(model_op_t op, const char *key) {
  return model_order_field(model_order_schema(op, -1), key);
}

static bool in_range(const model_field_t *f, double v) {
  return v >= f->min && v <= f->max;
}

/* ---- The positional commands ----------------------------------------------
 */

static json_t *firm_only(const json_t *obs, const char *what, char *msg,
                         size_t cap) {
  if (obs_is_nation(obs))
    return say(msg, cap,
               "Only firms %s; a nation shapes the industry with `policy`, "
               "`train`, `offer` and `bid`.",
               what);
  return NULL;
}

static json_t *p_build(const json_t *obs, int argc, char **argv, char *msg,
                       size_t cap) {
  if (argc < 3 || argc > 4)
    return say(msg, cap,
               "usage: build STAGE CAPACITY [SITE|FACILITY]   e.g. build "
               "separation 2000, build mining 5k deposit_id");
  if (obs_is_nation(obs))
    return firm_only(obs, "build", msg, cap);
  const char *stage = ui_stage(argv[1]);
  double c;
  if (!stage)
    return say(msg, cap, "stage: '%s' is not one of: %s", ui_clean(argv[1]),
               STAGES);
  if (number("capacity", argv[2], &c, msg, cap) != 0)
    return NULL;
  const model_field_t *f = op_field(MODEL_OP_BUILD, "capacity");
  if (!in_range(f, c))
    return say(msg, cap, "capacity: give %s", f->allowed);
  if (argc == 3 && strcmp(stage, "mining") == 0)
    return say(msg, cap,
               "A mine is built at a deposit: build mining CAPACITY SITE (a "
               "deposit id from the map), or name one of your mines to "
               "expand it.");
  json_t *o = json_pack("{s:s, s:s, s:f}", "op", "build", "stage", stage,
                        "capacity", c);
  if (argc == 4)
    json_object_set_new(o, obs_has_facility(obs, argv[3]) ? "facility" : "site",
                        json_string(argv[3]));
  return o;
}

static json_t *p_operate(const json_t *obs, int argc, char **argv, char *msg,
                         size_t cap) {
  if (argc != 3)
    return say(msg, cap,
               "usage: operate FACILITY UTIL   (UTIL from 0 to 1, or a "
               "percentage: operate mine_1 80%%)");
  if (obs_is_nation(obs))
    return firm_only(obs, "operate facilities", msg, cap);
  double u;
  if (number("utilisation", argv[2], &u, msg, cap) != 0)
    return NULL;
  if (!in_range(op_field(MODEL_OP_OPERATE, "utilisation"), u))
    return say(msg, cap,
               "utilisation: give a share from 0 to 1, or a percentage such "
               "as 80%%");
  if (obs && !obs_has_facility(obs, argv[1]))
    return say(msg, cap, "You have no facility '%s'; `state` lists yours.",
               ui_clean(argv[1]));
  return json_pack("{s:s, s:s, s:f}", "op", "operate", "facility", argv[1],
                   "utilisation", u);
}

static json_t *p_staff(const json_t *obs, int argc, char **argv, char *msg,
                       size_t cap) {
  bool hire = strcmp(argv[0], "hire") == 0;
  if (argc != 3)
    return say(msg, cap, "usage: %s SKILL N   (SKILL: %s%s)", argv[0], STAGES,
               hire ? "; a negative N releases staff" : "");
  if (hire && obs_is_nation(obs))
    return firm_only(obs, "hire", msg, cap);
  const char *skill = ui_skill(argv[1]);
  double n;
  if (!skill)
    return say(msg, cap, "skill: '%s' is not one of: %s", ui_clean(argv[1]),
               STAGES);
  if (number("count", argv[2], &n, msg, cap) != 0)
    return NULL;
  const model_field_t *f =
      op_field(hire ? MODEL_OP_HIRE : MODEL_OP_TRAIN, "count");
  if (n != floor(n) || !in_range(f, n))
    return say(msg, cap, "count: give %s", f->allowed);
  return json_pack("{s:s, s:s, s:I}", "op", argv[0], "skill", skill, "count",
                   (json_int_t)n);
}

static json_t *p_trade(const json_t *obs, int argc, char **argv, char *msg,
                       size_t cap) {
  (void)obs;
  bool offer = strcmp(argv[0], "offer") == 0;
  model_op_t op = offer ? MODEL_OP_OFFER : MODEL_OP_BID;
  const char *pf = offer ? "min_price" : "max_price";
  if (argc != 4 && !(argc == 3 && strcmp(argv[2], "0") == 0))
    return say(msg, cap,
               "usage: %s PRODUCT QTY %s   (tonnes this turn, $/kg; QTY 0 "
               "withdraws)\n  e.g. %s",
               argv[0], offer ? "MIN_PRICE" : "MAX_PRICE",
               offer ? "offer ndpr 200 45" : "bid conc 1000 6.5");
  const char *prod = ui_product(argv[1]);
  double q, price = 0;
  if (!prod)
    return say(msg, cap, "product: '%s' is not one of: %s", ui_clean(argv[1]),
               PRODUCTS);
  if (number("quantity", argv[2], &q, msg, cap) != 0 ||
      (argc == 4 && number("price", argv[3], &price, msg, cap) != 0))
    return NULL;
  if (q < 0 || price < 0)
    return say(msg, cap, "Quantities and prices are 0 or more.");
  const model_field_t *fq = op_field(op, "quantity"), *fp = op_field(op, pf);
  if (!in_range(fq, q))
    return say(msg, cap, "quantity: give %s", fq->allowed);
  if (!in_range(fp, price))
    return say(msg, cap, "%s: give %s", pf, fp->allowed);
  json_t *o = json_pack("{s:s, s:s, s:f}", "op", argv[0], "product", prod,
                        "quantity", q);
  if (argc == 4)
    json_object_set_new(o, pf, json_real(price));
  return o;
}

/* ---- Policies, from the order schema --------------------------------------
 */

/* What a field takes, as the help writes it: PRODUCT, TONNES|none, ... */
static const char *placeholder(const model_field_t *f) {
  static char b[48];
  const char *p = "VALUE";
  switch (f->type) {
  case MODEL_FIELD_PRODUCT:
    p = "PRODUCT";
    break;
  case MODEL_FIELD_STAGE:
    p = "STAGE";
    break;
  case MODEL_FIELD_SKILL:
    p = "SKILL";
    break;
  case MODEL_FIELD_ID:
    p = "ID";
    break;
  case MODEL_FIELD_PARTNER:
    p = "NATION|all";
    break;
  case MODEL_FIELD_BOOL:
    p = "yes|no";
    break;
  case MODEL_FIELD_NUMBER:
  case MODEL_FIELD_INTEGER:
    switch (f->unit) {
    case MODEL_UNIT_TONNES:
      p = "TONNES";
      break;
    case MODEL_UNIT_TONNES_PER_YEAR:
      p = "T/YR";
      break;
    case MODEL_UNIT_USD:
      p = "USD";
      break;
    case MODEL_UNIT_USD_PER_KG:
      p = "USD/KG";
      break;
    case MODEL_UNIT_FRACTION:
      p = "SHARE";
      break;
    case MODEL_UNIT_FACTOR:
      p = "FACTOR";
      break;
    case MODEL_UNIT_PEOPLE:
    case MODEL_UNIT_TURNS:
      p = "N";
      break;
    case MODEL_UNIT_NONE:
      break;
    }
    break;
  }
  snprintf(b, sizeof b, "%s%s", p,
           f->presence == MODEL_FIELD_NIL_LIFTS ? "|none" : "");
  return b;
}

static const model_order_schema_t *policy_schema(const char *kind) {
  int k = model_policy_from_name(kind);
  return k < 0 ? NULL : model_order_schema(MODEL_OP_POLICY, k);
}

/* "product, quantity, to" */
static const char *field_list(const model_order_schema_t *s) {
  static char b[256];
  size_t w = 0;
  b[0] = '\0';
  for (size_t i = 0; i < s->n_fields && w < sizeof b; i++)
    w += (size_t)snprintf(b + w, sizeof b - w, "%s%s", i ? ", " : "",
                          s->fields[i].key);
  return b;
}

static const char *kind_list(void) {
  static char b[512];
  size_t w = 0;
  b[0] = '\0';
  for (int k = 0; k < MODEL_POLICY_KINDS && w < sizeof b; k++)
    w += (size_t)snprintf(b + w, sizeof b - w, "%s%s", k ? ", " : "",
                          model_policy_name(k));
  return b;
}

/* One key=value of a policy as its field's wire value, or NULL with msg. */
static json_t *policy_value(const model_field_t *f, const char *v, char *msg,
                            size_t cap) {
  const char *name;
  double d;
  switch (f->type) {
  case MODEL_FIELD_PRODUCT:
    if (!(name = ui_product(v)))
      return say(msg, cap, "%s: '%s' is not one of: %s", f->key, ui_clean(v),
                 PRODUCTS);
    return json_string(name);
  case MODEL_FIELD_STAGE:
  case MODEL_FIELD_SKILL:
    if (!(name = ui_stage(v)))
      return say(msg, cap, "%s: '%s' is not one of: %s", f->key, ui_clean(v),
                 STAGES);
    return json_string(name);
  case MODEL_FIELD_ID:
  case MODEL_FIELD_PARTNER:
    return json_string(v);
  case MODEL_FIELD_BOOL:
    if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "on") == 0)
      return json_true();
    if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
        strcmp(v, "off") == 0)
      return json_false();
    return say(msg, cap, "%s: give yes or no, not '%s'", f->key, ui_clean(v));
  case MODEL_FIELD_NUMBER:
  case MODEL_FIELD_INTEGER:
    if (strcmp(v, "none") == 0 || strcmp(v, "nil") == 0 ||
        strcmp(v, "null") == 0) {
      if (f->presence == MODEL_FIELD_NIL_LIFTS)
        return json_null();
      return say(msg, cap, "%s: give %s (only a quota is lifted with none)",
                 f->key, f->allowed);
    }
    if (number(f->key, v, &d, msg, cap) != 0)
      return NULL;
    if (!in_range(f, d) || (f->type == MODEL_FIELD_INTEGER && d != floor(d)))
      return say(msg, cap, "%s: give %s", f->key, f->allowed);
    return f->type == MODEL_FIELD_INTEGER ? json_integer((json_int_t)d)
                                          : json_real(d);
  }
  return say(msg, cap, "%s: this field cannot be typed here", f->key);
}

static json_t *p_policy(const json_t *obs, int argc, char **argv, char *msg,
                        size_t cap) {
  if (argc < 2)
    return say(msg, cap,
               "usage: policy KIND key=value ...   (`policy` alone "
               "lists the kinds and their fields)");
  if (obs && !obs_is_nation(obs))
    return say(msg, cap, "Only nations set policy.");
  const model_order_schema_t *s = policy_schema(argv[1]);
  if (!s)
    return say(msg, cap, "policy: '%s' is not a policy kind; kinds: %s",
               ui_clean(argv[1]), kind_list());
  json_t *o = json_pack("{s:s, s:s}", "op", "policy", "kind", s->name);
  for (int i = 2; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq || eq == argv[i]) {
      json_decref(o);
      return say(msg, cap, "policy: '%s' is not key=value", ui_clean(argv[i]));
    }
    *eq = '\0';
    const model_field_t *f = model_order_field(s, argv[i]);
    if (!f) {
      json_decref(o);
      return say(msg, cap, "policy %s has no field '%s'; its fields: %s",
                 s->name, ui_clean(argv[i]), field_list(s));
    }
    json_t *v = policy_value(f, eq + 1, msg, cap);
    if (!v) {
      json_decref(o);
      return NULL;
    }
    json_object_set_new(o, f->key, v);
  }
  for (size_t i = 0; i < s->n_fields; i++) {
    const model_field_t *f = &s->fields[i];
    if (f->presence == MODEL_FIELD_REQUIRED && !json_object_get(o, f->key)) {
      json_decref(o);
      return say(msg, cap,
                 "policy %s needs %s=%s (%s); `policy %s` shows its "
                 "fields",
                 s->name, f->key, placeholder(f), f->description, s->name);
    }
  }
  return o;
}

/* The ops added after policy (issue 11: grant, equity, loan and the
 * contract ops): `OP key=value ...`, field by field from the order schema
 * as for a policy. Grants, equity and loans are for nations. */
static json_t *p_keyed(const json_t *obs, const model_order_schema_t *s,
                       int argc, char **argv, char *msg, size_t cap) {
  bool nations_only = s->op == MODEL_OP_GRANT || s->op == MODEL_OP_EQUITY ||
                      s->op == MODEL_OP_LOAN;
  if (obs && nations_only && !obs_is_nation(obs))
    return say(msg, cap, "Only nations give %s.", s->name);
  json_t *o = json_pack("{s:s}", "op", s->name);
  for (int i = 1; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq || eq == argv[i]) {
      json_decref(o);
      return say(msg, cap, "%s: '%s' is not key=value; its fields: %s", s->name,
                 ui_clean(argv[i]), field_list(s));
    }
    *eq = '\0';
    const model_field_t *f = model_order_field(s, argv[i]);
    if (!f) {
      json_decref(o);
      return say(msg, cap, "%s has no field '%s'; its fields: %s", s->name,
                 ui_clean(argv[i]), field_list(s));
    }
    json_t *v = policy_value(f, eq + 1, msg, cap);
    if (!v) {
      json_decref(o);
      return NULL;
    }
    json_object_set_new(o, f->key, v);
  }
  for (size_t i = 0; i < s->n_fields; i++) {
    const model_field_t *f = &s->fields[i];
    if (f->presence == MODEL_FIELD_REQUIRED && !json_object_get(o, f->key)) {
      json_decref(o);
      return say(msg, cap, "%s needs %s=%s (%s)", s->name, f->key,
                 placeholder(f), f->description);
    }
  }
  return o;
}

/* ---- The list -------------------------------------------------------------
 */

int play_orders_init(play_orders_t *l) {
  l->pending = json_array();
  l->dirty = false;
  return l->pending ? 0 : -1;
}

void play_orders_free(play_orders_t *l) {
  json_decref(l->pending);
  l->pending = NULL;
}

static const char *const COMMANDS[] = {"build",
                                       "operate",
                                       "hire",
                                       "train",
                                       "offer",
                                       "bid",
                                       "policy",
                                       "grant",
                                       "equity",
                                       "loan",
                                       "contract_propose",
                                       "contract_accept",
                                       "contract_withdraw",
                                       NULL};

bool play_orders_is_command(const char *word) {
  for (size_t i = 0; COMMANDS[i]; i++)
    if (strcmp(COMMANDS[i], word) == 0)
      return true;
  return false;
}

json_t *play_order_parse(const json_t *obs, int argc, char **argv, char *msg,
                         size_t cap) {
  msg[0] = '\0';
  if (argc < 1)
    return say(msg, cap, "no order");
  const char *w = argv[0];
  if (strcmp(w, "build") == 0)
    return p_build(obs, argc, argv, msg, cap);
  if (strcmp(w, "operate") == 0)
    return p_operate(obs, argc, argv, msg, cap);
  if (strcmp(w, "hire") == 0 || strcmp(w, "train") == 0)
    return p_staff(obs, argc, argv, msg, cap);
  if (strcmp(w, "offer") == 0 || strcmp(w, "bid") == 0)
    return p_trade(obs, argc, argv, msg, cap);
  if (strcmp(w, "policy") == 0)
    return p_policy(obs, argc, argv, msg, cap);
  int op = model_op_from_name(w);
  if (op > MODEL_OP_POLICY)
    return p_keyed(obs, model_order_schema(op, -1), argc, argv, msg, cap);
  return say(msg, cap,
             "'%s' is not an order; orders: build, operate, hire, "
             "train, offer, bid, policy, grant, equity, loan, "
             "contract_propose, contract_accept, contract_withdraw",
             ui_clean(w));
}

/* The key under which an order stands (offer/bid per product, operate per
 * facility, a policy per kind and target), or "" for one-off orders. A new
 * order with the same key replaces the one in the list. */
static void order_key(const json_t *o, char *out, size_t cap) {
  const char *op = ui_str(o, "op");
  if (strcmp(op, "offer") == 0 || strcmp(op, "bid") == 0)
    snprintf(out, cap, "%s/%s", op, ui_str(o, "product"));
  else if (strcmp(op, "operate") == 0)
    snprintf(out, cap, "operate/%s", ui_str(o, "facility"));
  else if (strcmp(op, "policy") == 0)
    snprintf(out, cap, "policy/%s/%s%s%s/%s%s", ui_str(o, "kind"),
             ui_str(o, "product"), ui_str(o, "stage"), ui_str(o, "skill"),
             ui_str(o, "to"), ui_str(o, "from"));
  else
    out[0] = '\0';
}

/* Add an order (stolen) to the list, replacing one with the same key. */
static void add_order(play_orders_t *l, json_t *o) {
  char key[256], other[256];
  order_key(o, key, sizeof key);
  size_t replaced = 0;
  if (key[0]) {
    size_t i;
    json_t *x;
    json_array_foreach(l->pending, i, x) {
      order_key(x, other, sizeof other);
      if (strcmp(key, other) == 0) {
        json_array_set(l->pending, i, o);
        replaced = i + 1;
        break;
      }
    }
  }
  if (!replaced)
    json_array_append(l->pending, o);
  l->dirty = true;
  if (replaced)
    printf("Replaced #%zu: %s", replaced, view_order(o));
  else
    printf("Added #%zu: %s", json_array_size(l->pending), view_order(o));
  printf("   [%zu in the list, not sent]\n", json_array_size(l->pending));
  json_decref(o);
}

void play_orders_take(play_orders_t *l, const json_t *orders) {
  size_t i;
  json_t *o;
  json_array_foreach(orders, i, o) {
    json_t *copy = json_deep_copy(o);
    if (copy)
      add_order(l, copy);
  }
}

void play_orders_command(play_orders_t *l, const json_t *obs, int argc,
                         char **argv) {
  /* `policy` and `policy KIND` alone: what can be typed. */
  if (strcmp(argv[0], "policy") == 0 && argc <= 2 &&
      (argc == 1 || policy_schema(argv[1]))) {
    if (obs && !obs_is_nation(obs)) {
      printf("Only nations set policy.\n");
      return;
    }
    play_orders_policy_help(argc == 2 ? argv[1] : NULL);
    return;
  }
  char msg[600];
  json_t *o = play_order_parse(obs, argc, argv, msg, sizeof msg);
  if (o)
    add_order(l, o);
  else
    printf("%s\n", msg);
}

void play_orders_drop(play_orders_t *l, int argc, char **argv) {
  char *end = NULL;
  long k = argc == 2 ? strtol(argv[1], &end, 10) : 0;
  if (argc != 2 || *end || k < 1 || (size_t)k > json_array_size(l->pending)) {
    printf("usage: drop N   (N: a number from `orders`)\n");
    return;
  }
  printf("Dropped #%ld: %s\n", k,
         view_order(json_array_get(l->pending, (size_t)k - 1)));
  json_array_remove(l->pending, (size_t)k - 1);
  l->dirty = true;
}

void play_orders_clear(play_orders_t *l) {
  json_array_clear(l->pending);
  l->dirty = true;
}

static int by_index_desc(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x < y) - (x > y);
}

void play_orders_remove_refused(play_orders_t *l, const json_t *rejected) {
  size_t nr = json_array_size(rejected), n = json_array_size(l->pending);
  size_t *drop = calloc(nr ? nr : 1, sizeof *drop);
  size_t i, nd = 0;
  json_t *x;
  if (!drop)
    return;
  json_array_foreach(rejected, i, x) {
    double idx = ui_num(x, "index", -1);
    if (idx >= 0 && idx < (double)n)
      drop[nd++] = (size_t)idx;
  }
  /* From the highest index down, so that the others keep their place. */
  qsort(drop, nd, sizeof *drop, by_index_desc);
  for (size_t k = 0; k < nd; k++)
    if (k == 0 || drop[k] != drop[k - 1])
      json_array_remove(l->pending, drop[k]);
  free(drop);
}

void play_orders_print(const json_t *orders, const char *none) {
  if (json_array_size(orders) == 0) {
    printf("  %s\n", none);
    return;
  }
  size_t i;
  json_t *o;
  json_array_foreach(orders, i, o) printf("  %2zu. %s\n", i + 1, view_order(o));
}

/* "product=PRODUCT [quantity=TONNES|none] [to=NATION|all]" */
static void print_synopsis(const model_order_schema_t *s) {
  for (size_t i = 0; i < s->n_fields; i++) {
    const model_field_t *f = &s->fields[i];
    bool opt = f->presence != MODEL_FIELD_REQUIRED;
    printf(" %s%s=%s%s", opt ? "[" : "", f->key, placeholder(f),
           opt ? "]" : "");
  }
}

void play_orders_policy_help(const char *kind) {
  const model_order_schema_t *s = kind ? policy_schema(kind) : NULL;
  if (!s) {
    printf("usage: policy KIND key=value ...   e.g.\n"
           "  policy export_licence product=dytb approval=20%%\n"
           "  policy export_quota product=ndpr quantity=500 to=USA\n"
           "  policy export_quota product=ndpr quantity=none   (lifts it)\n"
           "  policy tariff product=magnet rate=25%%\n"
           "Kinds and their fields ([optional]; `policy KIND` says more):\n");
    for (int k = 0; k < MODEL_POLICY_KINDS; k++) {
      const model_order_schema_t *x = model_order_schema(MODEL_OP_POLICY, k);
      printf("  %-16s", x->name);
      print_synopsis(x);
      printf("\n");
    }
    printf("SHARE takes 0.2 or 20%%; TONNES takes 500, 5k or 2.5M; products "
           "may be\nshort (conc, ndpr, dytb, lace); docs/orders.md has the "
           "full tables.\n");
    return;
  }
  printf("policy %s: %s (%s; %s)\n  policy %s", s->name, s->description, s->who,
         s->stands ? "stands until changed" : "acts once", s->name);
  print_synopsis(s);
  printf("\n");
  for (size_t i = 0; i < s->n_fields; i++) {
    const model_field_t *f = &s->fields[i];
    int n;
    const char *const *names = model_field_names(f->type, &n);
    printf("  %-12s %s", f->key, f->description);
    if (f->allowed)
      printf(";\n  %-12s %s", "", f->allowed);
    else if (names) {
      printf(";\n  %-12s one of:", "");
      for (int k = 0; k < n; k++)
        printf("%s %s", k ? "," : "", names[k]);
    }
    printf("\n");
  }
}
