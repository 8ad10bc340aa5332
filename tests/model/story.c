/* story.c: the helpers of story.h, shared by test_world2024,
 * test_race2028 and test_v2_story. */
#include "story.h"

#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- every figure has a source or an assumption ---- */

typedef struct {
  const char *id;
  json_t *sources;
  size_t figures;
  size_t failures;
  char path[512];
} walk_t;

static void complain(walk_t *w, const char *what) {
  if (w->failures++ < 20)
    print_error("%s.json %s: %s\n", w->id, w->path[0] ? w->path : "/", what);
}

static bool source_key_ok(walk_t *w, json_t *k) {
  return json_is_string(k) && json_string_length(k) > 0 &&
         json_object_get(w->sources, json_string_value(k)) != NULL;
}

static void check_figure(walk_t *w, json_t *o) {
  json_t *v = json_object_get(o, "value");
  json_t *src = json_object_get(o, "source");
  json_t *as = json_object_get(o, "assumption");
  w->figures++;
  if (!json_is_number(v))
    complain(w, "a figure's \"value\" must be a number");
  if (!src && !as) {
    complain(w, "a figure without \"source\" or \"assumption\"");
    return;
  }
  if (as && (!json_is_string(as) || json_string_length(as) < 10))
    complain(w, "an \"assumption\" must say why (a sentence)");
  if (src) {
    if (json_is_array(src)) {
      if (json_array_size(src) == 0)
        complain(w, "an empty \"source\" array");
      for (size_t i = 0; i < json_array_size(src); i++)
        if (!source_key_ok(w, json_array_get(src, i)))
          complain(w, "a source key that is not in the \"sources\" table");
    } else if (!source_key_ok(w, src)) {
      complain(w, "a source key that is not in the \"sources\" table");
    }
  }
}

/* The story's choices ("choices") are orders as the wire carries them,
 * bare numbers: each choice answers for its figures with its "sources"
 * (keys of the sources table, which the loader checks) or a note that
 * says which are assumptions. */
static void check_choices(walk_t *w, json_t *arr) {
  for (size_t i = 0; i < json_array_size(arr); i++) {
    json_t *c = json_array_get(arr, i);
    const char *note = json_string_value(json_object_get(c, "note"));
    snprintf(w->path, sizeof w->path, "/choices/%zu", i);
    w->figures++;
    if (json_array_size(json_object_get(c, "sources")) == 0 &&
        !(note && strstr(note, "assumption")))
      complain(w, "a choice names its sources or says its figures are "
                  "assumptions in its note");
  }
  w->path[0] = '\0';
}

/* The only bare numbers allowed are the schema's structural integers at
 * the top level ("format", "year", "turns") and the orders of the
 * story's choices (check_choices); "notes" and "_" keys are comments. */
static void walk(walk_t *w, json_t *v, int depth) {
  size_t len = strlen(w->path);
  if (json_is_number(v)) {
    complain(w, "a bare number: give {\"value\", \"source\"} or "
                "{\"value\", \"assumption\"}");
    return;
  }
  if (json_is_object(v)) {
    if (json_object_get(v, "value")) {
      check_figure(w, v);
      return;
    }
    const char *k;
    json_t *c;
    json_object_foreach(v, k, c) {
      if (k[0] == '_')
        continue;
      if (depth == 0 && (strcmp(k, "format") == 0 || strcmp(k, "year") == 0 ||
                         strcmp(k, "turns") == 0 || strcmp(k, "notes") == 0 ||
                         strcmp(k, "sources") == 0))
        continue;
      if (depth == 0 && strcmp(k, "choices") == 0) {
        check_choices(w, c);
        continue;
      }
      snprintf(w->path + len, sizeof w->path - len, "/%s", k);
      walk(w, c, depth + 1);
      w->path[len] = '\0';
    }
  } else if (json_is_array(v)) {
    for (size_t i = 0; i < json_array_size(v); i++) {
      snprintf(w->path + len, sizeof w->path - len, "/%zu", i);
      walk(w, json_array_get(v, i), depth + 1);
      w->path[len] = '\0';
    }
  }
}

json_t *story_check_sourced(const char *id) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", LAN_SOURCE_MAPS, id);
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    fail_msg("%s:%d:%d: %s", path, je.line, je.column, je.text);
  walk_t w;
  memset(&w, 0, sizeof w);
  w.id = id;
  w.sources = json_object_get(root, "sources");
  assert_true(json_is_object(w.sources));
  /* every source entry is complete and named like the reference files */
  const char *k;
  json_t *s;
  json_object_foreach(w.sources, k, s) {
    snprintf(w.path, sizeof w.path, "/sources/%s", k);
    if ((k[0] != 'S' && k[0] != 'R') || k[1] < '1' || k[1] > '9')
      complain(&w, "a source key must be S<n> or R<n> (shared/reference)");
    static const char *const need[] = {"publisher", "title", "url"};
    for (size_t i = 0; i < 3; i++) {
      json_t *f = json_object_get(s, need[i]);
      if (!json_is_string(f) || json_string_length(f) == 0)
        complain(&w, "a source needs a publisher, a title and a url");
    }
  }
  w.path[0] = '\0';
  /* the structural integers stay bare */
  assert_true(json_is_integer(json_object_get(root, "turns")));
  walk(&w, root, 0);
  print_message("%s: %zu figures, %zu sources, %zu problems\n", id, w.figures,
                json_object_size(w.sources), w.failures);
  assert_true(w.figures > 300);
  assert_int_equal(w.failures, 0);
  return root;
}

model_map_t *story_load_world(void (*edit)(json_t *root)) {
  char path[512];
  snprintf(path, sizeof path, "%s/world-2024.json", LAN_SOURCE_MAPS);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  assert_non_null(root);
  if (edit)
    edit(root);
  char *text = json_dumps(root, JSON_COMPACT);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_string(text, strlen(text), "world-2024*", &m, &e))
    fail_msg("%d:%d: %s", e.line, e.column, e.message);
  free(text);
  json_decref(root);
  return m;
}

/* ---- readings ---- */

int story_nation(const model_map_t *m, const char *id) {
  for (size_t i = 0; i < model_map_nation_count(m); i++)
    if (strcmp(model_map_nation_id(m, i), id) == 0)
      return (int)i;
  fail_msg("no nation %s in %s", id, model_map_id(m));
  return -1;
}

double story_share(const model_report_t *r, int stage, int nation) {
  int64_t tot = 0;
  for (size_t n = 0; n < r->n_nations; n++)
    tot += r->production[(size_t)stage * r->n_nations + n];
  assert_true(tot > 0);
  return 100.0 *
         (double)r->production[(size_t)stage * r->n_nations + (size_t)nation] /
         (double)tot;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double story_median(const double *v, size_t n) {
  double *s = malloc(n * sizeof *s);
  assert_non_null(s);
  memcpy(s, v, n * sizeof *s);
  qsort(s, n, sizeof s[0], cmp_double);
  double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  free(s);
  return median;
}

double story_dytb_ratio(const model_state_t *st, uint64_t seed, int t,
                        double *cn, double *lo) {
  return story_heavy_ratio(st, MODEL_DYTB, seed, t, cn, lo);
}

double story_heavy_ratio(const model_state_t *st, int product, uint64_t seed,
                         int t, double *cn, double *lo) {
  const model_map_t *m = model_state_map(st);
  const model_report_t *r = model_last_report(st);
  size_t N = r->n_nations;
  static const char *const ex[] = {"JPN", "EUU", "USA"};
  *cn = model_cents_to_usd(
      r->regional[(size_t)product * N + (size_t)story_nation(m, "CHN")]);
  *lo = 1e18;
  for (int k = 0; k < 3; k++) {
    double x = model_cents_to_usd(
        r->regional[(size_t)product * N + (size_t)story_nation(m, ex[k])]);
    if (x < *lo)
      *lo = x;
  }
  double ratio = *lo / *cn;
  if (t >= 2 && (ratio < 0.9 || ratio > 10.0))
    fail_msg("seed %llu turn %d: ex-China %s %.2f is %.2fx China's "
             "%.2f $/kg; expected 0.9 to 10",
             (unsigned long long)seed, t, model_product_name(product), *lo,
             ratio, *cn);
  return ratio;
}

void story_licence_event(model_event_t *ev, int turn) {
  story_licence_event_on(ev, turn, MODEL_DYTB);
}

void story_licence_event_on(model_event_t *ev, int turn, int product) {
  memset(ev, 0, sizeof *ev);
  ev->kind = MODEL_EV_POLICY;
  ev->turn = turn;
  ev->product = ev->stage = -1;
  strcpy(ev->nation, "CHN");
  model_order_t *o = &ev->policy;
  o->op = MODEL_OP_POLICY;
  o->kind = MODEL_POL_EXPORT_LICENCE;
  o->product = product;
  o->stage = o->skill = -1;
  o->approval_ppm = 260000;
  strcpy(o->partner, "all");
  strcpy(o->choice, "exports");
  snprintf(ev->text, sizeof ev->text,
           "China keeps %s export licences at 26%% of exports",
           product == MODEL_DYTB ? "Dy/Tb" : model_product_name(product));
}

void story_whole_game(const char *id, int turns) {
  model_map_t *m = helper_load(id);
  model_state_t *st = NULL;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  assert_int_equal(model_state_turns(st), turns);
  for (int t = 0; t < turns; t++) {
    char where[64];
    snprintf(where, sizeof where, "%s turn %d", id, t);
    helper_resolve(st, where);
    const model_report_t *r = model_last_report(st);
    for (int p = 0; p < MODEL_PRODUCTS; p++)
      assert_true(model_map_has_product(m, p)
                      ? r->price[p] > 0 && r->price[p] < MODEL_PRICE_MAX_CENTS
                      : r->price[p] == 0);
  }
  assert_int_equal(model_resolve(st), MODEL_EFINISHED);
  model_state_free(st);
  model_map_free(m);
}

void story_check_limits(const model_state_t *st, uint64_t seed, int t) {
  size_t H = model_state_holder_count(st);
  for (size_t h = 0; h < H; h++)
    if (model_state_holder_money(st, h) < model_state_holder_floor(st, h))
      fail_msg("seed %llu turn %d: holder %zu below its money limit",
               (unsigned long long)seed, t, h);
}

/* ---- orders ---- */

model_order_t *story_push(story_batch_t *b, model_op_t op) {
  assert_true(b->n < MODEL_ORDERS_MAX);
  model_order_t *o = &b->o[b->n++];
  memset(o, 0, sizeof *o);
  o->op = op;
  return o;
}

model_order_t *story_policy(story_batch_t *b, model_policy_kind_t k) {
  model_order_t *o = story_push(b, MODEL_OP_POLICY);
  o->kind = k;
  o->stage = o->product = o->skill = -1;
  return o;
}

static void set(char *dst, const char *src) {
  snprintf(dst, MODEL_ID_MAX, "%s", src);
}

void story_spender(const model_state_t *st, int seat, const char *const *firms,
                   size_t n_firms, story_batch_t *b) {
  model_obs_t *obs;
  assert_int_equal(model_observe(st, seat, &obs), 0);
  for (int s = 0; s < MODEL_STAGES; s++) {
    model_order_t *o = story_policy(b, MODEL_POL_SUBSIDY);
    o->stage = s;
    o->capex_share_ppm = 1000000;
    o->output_cents_per_kg = 100000; /* $1,000/kg */
    o = story_policy(b, MODEL_POL_PERMITTING);
    o->stage = s;
    o->speed_ppm = 2000000;
    o = story_policy(b, MODEL_POL_TALENT_PROGRAMME);
    o->skill = s;
    o->budget_cents = (int64_t)1e14; /* $1e12 */
    o = story_policy(b, MODEL_POL_MIGRATION);
    o->skill = s;
    o->inbound = o->outbound = true;
    if (obs->training_left[s] != 0) {
      o = story_push(b, MODEL_OP_TRAIN);
      o->skill = s;
      o->count = obs->training_left[s] > 0 ? obs->training_left[s] : 1000000;
    }
  }
  /* the rest of what it may spend, granted to its firms */
  int64_t h = obs->finance ? obs->headroom_cents : obs->budget_cents;
  if (h > (int64_t)n_firms * 100) {
    for (size_t i = 0; i < n_firms; i++) {
      model_order_t *o = story_push(b, MODEL_OP_GRANT);
      set(o->firm, firms[i]);
      o->amount_cents = h / 2 / (int64_t)n_firms; /* half: training first */
      if (o->amount_cents > (int64_t)1e14)
        o->amount_cents = (int64_t)1e14;
    }
  }
  model_obs_free(obs);
}

void story_rush(const model_state_t *st, int seat, story_batch_t *b) {
  model_obs_t *obs;
  assert_int_equal(model_observe(st, seat, &obs), 0);
  /* ten new magnet plants of the size that finishes soonest per tonne */
  for (int k = 0; k < 10; k++) {
    model_order_t *o = story_push(b, MODEL_OP_BUILD);
    o->stage = MODEL_MAGNETS;
    o->capacity_kg_per_year = 2000000;
  }
  /* (within a submission's limit, keeping room for what follows) */
  for (size_t i = 0; i < obs->n_facilities && b->n + 80 < MODEL_ORDERS_MAX;
       i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    model_order_t *o = story_push(b, MODEL_OP_OPERATE);
    set(o->facility, f->id);
    o->utilisation_ppm = 1000000;
    if (f->stage == MODEL_MAGNETS && f->status == MODEL_FAC_OPERATING &&
        f->expanding_kg_per_year == 0) {
      int64_t sh = obs->rules.brownfield_max_share_ppm[MODEL_MAGNETS];
      o = story_push(b, MODEL_OP_BUILD);
      o->stage = MODEL_MAGNETS;
      set(o->facility, f->id);
      o->capacity_kg_per_year = sh >= 0
                                    ? f->capacity_kg_per_year * sh / 1000000
                                    : 60000000; /* the 60,000 t/yr */
    }
  }
  int s = MODEL_MAGNETS;
  if (obs->talent_pool[s] > 0) {
    model_order_t *o = story_push(b, MODEL_OP_HIRE);
    o->skill = s;
    o->count = obs->talent_pool[s];
  }
  /* from every other nation, in decreasing steps: each is applied while
   * the poaching bound has room (the rest are refused at resolution) */
  static const int64_t steps[] = {100, 30, 10, 3, 1};
  for (size_t n = 0; n < obs->n_nations; n++) {
    if (strcmp(obs->nations[n], obs->nation) == 0)
      continue;
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
      model_order_t *o = story_push(b, MODEL_OP_HIRE);
      o->skill = s;
      o->count = steps[k];
      set(o->origin, obs->nations[n]);
    }
  }
  int64_t appr = obs->staff[s] / 20; /* the map's 0.05 per mentor */
  if (appr > 0) {
    model_order_t *o = story_push(b, MODEL_OP_HIRE);
    o->skill = s;
    o->count = appr;
    o->apprentice = true;
  }
  /* oxide for every plant at full output, at a price no one outbids (but
   * no more than the plants use: a firm that bought oxide it cannot use
   * would only go bankrupt) */
  int64_t magnets = 0;
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == MODEL_MAGNETS)
      magnets += obs->facilities[i].effective_kg_per_year / 4;
  for (int p = MODEL_NDPR; p <= MODEL_DYTB; p++) {
    bool split = obs->rules.products[MODEL_DY];
    /* split maps (design J1): Dy and Tb, the $500 in S1's ratio */
    for (int k = 0; k < (split && p == MODEL_DYTB ? 2 : 1); k++) {
      model_order_t *o = story_push(b, MODEL_OP_BID);
      o->product = split && p == MODEL_DYTB ? (k ? MODEL_TB : MODEL_DY) : p;
      int64_t r = o->product == MODEL_TB
                      ? obs->rules.recipe_tb_ppm
                      : obs->rules.recipe_ppm[p - MODEL_NDPR];
      o->quantity_kg = magnets * r / 1000000 + 1000;
      o->price_cents_per_kg = o->product == MODEL_DY   ? 35135
                              : o->product == MODEL_TB ? 109459
                                                       : 50000;
      /* $500/kg: high, yet a real quantity */
    }
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    if (!obs->rules.products[p])
      continue;
    model_order_t *o = story_push(b, MODEL_OP_OFFER);
    o->product = p;
  }
  model_obs_free(obs);
}

void story_moderate_us(story_batch_t *b) {
  model_order_t *o = story_policy(b, MODEL_POL_SUBSIDY);
  o->stage = MODEL_MAGNETS;
  o->capex_share_ppm = 500000;
  o = story_policy(b, MODEL_POL_SUBSIDY);
  o->stage = MODEL_SEPARATION;
  o->capex_share_ppm = 500000;
  o = story_policy(b, MODEL_POL_TALENT_PROGRAMME);
  o->skill = MODEL_MAGNETS;
  o->budget_cents = 1500000000; /* $15 M */
  o = story_policy(b, MODEL_POL_TALENT_PROGRAMME);
  o->skill = MODEL_SEPARATION;
  o->budget_cents = 600000000; /* $6 M */
}

void story_moderate_mp_supply(const model_obs_t *obs, story_batch_t *b) {
  /* the oxide its magnet plants use at full output, at prices that win
   * it (NdPr $150/kg: it sells its own NdPr into the market and buys it
   * back, so the price only has to beat the Chinese magnet makers'
   * indexed bids; the Dy/Tb basket $800/kg, ~2.2x its 2024 price) */
  int64_t mag = 0;
  for (size_t i = 0; i < obs->n_facilities; i++)
    if (obs->facilities[i].stage == MODEL_MAGNETS)
      mag += obs->facilities[i].effective_kg_per_year / 4;
  model_order_t *o = story_push(b, MODEL_OP_BID);
  o->product = MODEL_NDPR;
  o->quantity_kg = mag * obs->rules.recipe_ppm[0] / 1000000;
  o->price_cents_per_kg = 15000;
  if (obs->rules.products[MODEL_DY]) {
    /* split maps (design J1): the same $800 basket in S1's ratio, Dy
     * $260 : Tb $810 */
    o = story_push(b, MODEL_OP_BID);
    o->product = MODEL_DY;
    o->quantity_kg = mag * obs->rules.recipe_ppm[1] / 1000000;
    o->price_cents_per_kg = 56216;
    o = story_push(b, MODEL_OP_BID);
    o->product = MODEL_TB;
    o->quantity_kg = mag * obs->rules.recipe_tb_ppm / 1000000;
    o->price_cents_per_kg = 175135;
  } else {
    o = story_push(b, MODEL_OP_BID);
    o->product = MODEL_DYTB;
    o->quantity_kg = mag * obs->rules.recipe_ppm[1] / 1000000;
    o->price_cents_per_kg = 80000;
  }
  /* staff for its plants from six turns before they open */
  int64_t need = 0;
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *f = &obs->facilities[i];
    if (f->stage == MODEL_MAGNETS &&
        (f->status == MODEL_FAC_OPERATING || f->turns_left <= 6))
      need += f->staff_needed > 0 ? f->staff_needed
                                  : f->capacity_kg_per_year * 170 / 1000000;
  }
  int64_t gap = need - obs->staff[MODEL_MAGNETS];
  if (gap > 0 && obs->talent_pool[MODEL_MAGNETS] > 0) {
    o = story_push(b, MODEL_OP_HIRE);
    o->skill = MODEL_MAGNETS;
    o->count = gap < obs->talent_pool[MODEL_MAGNETS]
                   ? gap
                   : obs->talent_pool[MODEL_MAGNETS];
    gap -= o->count;
  }
  if (gap > 0 && obs->training_left[MODEL_MAGNETS] > 0) {
    o = story_push(b, MODEL_OP_TRAIN);
    o->skill = MODEL_MAGNETS;
    o->count = gap < obs->training_left[MODEL_MAGNETS]
                   ? gap
                   : obs->training_left[MODEL_MAGNETS];
  }
  int64_t appr = obs->staff[MODEL_MAGNETS] / 20;
  if (gap > 0 && appr > 0) {
    o = story_push(b, MODEL_OP_HIRE);
    o->skill = MODEL_MAGNETS;
    o->count = appr;
    o->apprentice = true;
  }
}
