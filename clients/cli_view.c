/*
 * What `play` and `watch` both draw; see cli_view.h.
 */
#include "cli_view.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ui.h"
#include "model.h"

/* The model's highest price (MODEL_PRICE_MAX_CENTS, $1e6/kg): a market
 * that nothing reached clears at this backstop. */
#define PRICE_CAP 999999.995

const char *view_short(const char *product) {
  static const char *const names[] = {
      "concentrate", "conc",  "ndpr_oxide",   "NdPr",   "dytb_oxide", "Dy/Tb",
      "lace_oxide",  "La/Ce", "magnet",       "magnet", "dy_oxide",   "Dy",
      "tb_oxide",    "Tb",    "magnet_scrap", "scrap",  NULL};
  for (size_t i = 0; names[i]; i += 2)
    if (strcmp(product, names[i]) == 0)
      return names[i + 1];
  return product;
}

/* A policy field's value as the player reads it: names and ids as they
 * are, shares as percentages, tonnes and prices with their units (the
 * field's unit from the order schema, f NULL for a key it does not list),
 * "none" for nil (a lifted quota), yes or no. */
static void field_value(const model_field_t *f, const json_t *v, char *out,
                        size_t cap) {
  if (json_is_string(v)) {
    snprintf(out, cap, "%s", ui_clean(json_string_value(v)));
  } else if (json_is_null(v)) {
    snprintf(out, cap, "none");
  } else if (json_is_boolean(v)) {
    snprintf(out, cap, "%s", json_is_true(v) ? "yes" : "no");
  } else if (json_is_number(v)) {
    double d = json_number_value(v);
    switch (f ? f->unit : MODEL_UNIT_NONE) {
    case MODEL_UNIT_TONNES:
      snprintf(out, cap, "%s", ui_tonnes(d));
      break;
    case MODEL_UNIT_TONNES_PER_YEAR:
      snprintf(out, cap, "%s", ui_tpy(d));
      break;
    case MODEL_UNIT_USD_PER_KG:
      snprintf(out, cap, "%s", ui_price(d));
      break;
    case MODEL_UNIT_FRACTION:
      snprintf(out, cap, "%s", ui_pct(d));
      break;
    case MODEL_UNIT_USD:
      snprintf(out, cap, "$%s", ui_count(d));
      break;
    default:
      snprintf(out, cap, "%g", d);
    }
  } else {
    snprintf(out, cap, "...");
  }
}

/* Append " key=value" to out (of cap bytes, n used); false when full. */
static bool append_kv(char *out, size_t cap, size_t *n, const char *key,
                      const model_field_t *f, const json_t *v) {
  char val[128];
  field_value(f, v, val, sizeof val);
  int w = snprintf(out + *n, cap - *n, "%s%s=%s", *n ? " " : "", ui_clean(key),
                   val);
  if (w < 0 || (size_t)w >= cap - *n)
    return false;
  *n += (size_t)w;
  return true;
}

/* The fields of an order other than op and kind, as "key=value ...": the
 * fields of its schema (the op's, or the policy kind's) in the schema's
 * order, then any other keys (a newer server's) as they come. */
static void order_fields(const json_t *o, char *out, size_t cap) {
  int op = model_op_from_name(ui_str(o, "op"));
  int k =
      op == MODEL_OP_POLICY ? model_policy_from_name(ui_str(o, "kind")) : -1;
  const model_order_schema_t *s = op < 0 || (op == MODEL_OP_POLICY && k < 0)
                                      ? NULL
                                      : model_order_schema(op, k);
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; s && i < s->n_fields; i++) {
    const json_t *v = json_object_get(o, s->fields[i].key);
    if (v && !append_kv(out, cap, &n, s->fields[i].key, &s->fields[i], v))
      return;
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)o, key, v) {
    if (strcmp(key, "op") == 0 || strcmp(key, "kind") == 0 ||
        model_order_field(s, key))
      continue;
    if (!append_kv(out, cap, &n, key, NULL, v))
      return;
  }
}

const char *view_order(const json_t *o) {
  char *b = ui_buf();
  const char *op = ui_str(o, "op");
  if (strcmp(op, "build") == 0) {
    const char *fac = ui_str(o, "facility"), *site = ui_str(o, "site");
    snprintf(b, 1024, "build %s %s%s%s", ui_clean(ui_str(o, "stage")),
             ui_tpy(ui_num(o, "capacity", 0)),
             fac[0]    ? ", expanding "
             : site[0] ? " at "
                       : "",
             ui_clean(fac[0] ? fac : site));
  } else if (strcmp(op, "operate") == 0) {
    snprintf(b, 1024, "operate %s at %s", ui_clean(ui_str(o, "facility")),
             ui_pct(ui_num(o, "utilisation", 0)));
  } else if (strcmp(op, "hire") == 0 || strcmp(op, "train") == 0) {
    double n = ui_num(o, "count", 0);
    snprintf(b, 1024, "%s %s %s staff", n < 0 ? "release" : op,
             ui_count(fabs(n)), ui_clean(ui_str(o, "skill")));
  } else if (strcmp(op, "offer") == 0 || strcmp(op, "bid") == 0) {
    bool offer = op[0] == 'o';
    double q = ui_num(o, "quantity", 0);
    if (q <= 0)
      snprintf(b, 1024, "withdraw the %s for %s", op,
               ui_clean(ui_str(o, "product")));
    else
      snprintf(b, 1024, "%s %s %s, %s %s", op, ui_tonnes(q),
               ui_clean(ui_str(o, "product")), offer ? "min" : "max",
               ui_price(ui_num(o, offer ? "min_price" : "max_price", 0)));
  } else if (strcmp(op, "policy") == 0) {
    char f[700];
    order_fields(o, f, sizeof f);
    snprintf(b, 1024, "policy %s %s", ui_clean(ui_str(o, "kind")), f);
  } else {
    /* grant, equity, loan, the contract ops and any later op: its name and
     * fields, in units */
    char f[700];
    order_fields(o, f, sizeof f);
    snprintf(b, 1024, "%s %s", ui_clean(op[0] ? op : "?"), f);
  }
  return b;
}

/* Indices of a scores array, best score first (ties by seat id). */
typedef struct ranked {
  const char *seat;
  double score;
} ranked_t;

static int by_score(const void *a, const void *b) {
  const ranked_t *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return strcmp(x->seat, y->seat);
}

static size_t rank_all(const json_t *scores, ranked_t **out) {
  size_t n = json_array_size(scores);
  *out = calloc(n ? n : 1, sizeof **out);
  if (!*out)
    return 0;
  for (size_t i = 0; i < n; i++) {
    const json_t *s = json_array_get(scores, i);
    (*out)[i].seat = ui_str(s, "seat");
    (*out)[i].score = ui_num(s, "score", 0);
  }
  qsort(*out, n, sizeof **out, by_score);
  return n;
}

int view_rank(const json_t *scores, const char *seat, int *of) {
  ranked_t *r;
  size_t n = rank_all(scores, &r);
  int rank = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(r[i].seat, seat) == 0)
      rank = (int)i + 1;
  free(r);
  if (of)
    *of = (int)n;
  return rank;
}

size_t view_series(const json_t *history, const char *what, const char *key,
                   double *out, size_t max) {
  size_t n = json_array_size(history);
  size_t start = n > max ? n - max : 0, k = 0;
  bool scores = strcmp(what, "scores") == 0;
  for (size_t i = start; i < n; i++) {
    const json_t *h = json_array_get(history, i);
    double v = NAN;
    if (scores) {
      size_t j;
      json_t *s;
      json_array_foreach(json_object_get(h, "scores"), j, s) {
        if (strcmp(ui_str(s, "seat"), key) == 0)
          v = ui_num(s, "score", NAN);
      }
    } else {
      v = ui_num(json_object_get(h, what), key, NAN);
    }
    out[k++] = v;
  }
  return k;
}

void view_scores(FILE *f, const json_t *scores, const char *you,
                 const json_t *history, size_t span, size_t limit) {
  ranked_t *r;
  size_t n = rank_all(scores, &r);
  if (limit == 0 || limit > n)
    limit = n;
  for (size_t i = 0; i < limit; i++) {
    bool me = you && strcmp(r[i].seat, you) == 0;
    fprintf(f, "  %2zu. ", i + 1);
    ui_cell(f, ui_clean(r[i].seat), 20, false);
    fprintf(f, " %7.3f", r[i].score);
    if (history && span > 0) {
      double v[64];
      size_t k =
          view_series(history, "scores", r[i].seat, v, span < 64 ? span : 64);
      fprintf(f, "  %s", ui_spark(v, k));
    }
    fprintf(f, "%s\n", me ? "  <- you" : "");
  }
  if (limit < n)
    fprintf(f, "  ... and %zu more\n", n - limit);
  free(r);
}

/* The nations of a {row: {nation: x}} map, in the server's order. */
static size_t nations_of(const json_t *by_row, const char **out, size_t max) {
  size_t n = 0;
  const char *row;
  json_t *m;
  json_object_foreach((json_t *)by_row, row, m) {
    const char *nat;
    json_t *v;
    json_object_foreach(m, nat, v) {
      bool seen = false;
      for (size_t i = 0; i < n; i++)
        seen = seen || strcmp(out[i], nat) == 0;
      if (!seen && n < max)
        out[n++] = nat;
    }
  }
  return n;
}

void view_price_table(FILE *f, const json_t *world, const json_t *regional,
                      const json_t *volumes) {
  const char *nat[32];
  size_t nn = nations_of(regional, nat, 32);
  int width = ui_term_width();
  /* PRODUCT 8, WORLD 11, TRADED 12, then 9 per nation. */
  int fixed = 2 + 8 + 1 + 11 + (volumes ? 13 : 0);
  size_t fit = width > fixed ? (size_t)(width - fixed) / 9 : 0;
  size_t shown = nn < fit ? nn : fit;
  bool capped = false;
  fprintf(f, "  %-8s %11s", "PRODUCT", "WORLD $/kg");
  if (volumes)
    fprintf(f, " %12s", "TRADED");
  for (size_t i = 0; i < shown; i++)
    fprintf(f, " %8.8s", ui_clean(nat[i]));
  fputc('\n', f);
  for (size_t p = 0; p < UI_PRODUCTS; p++) {
    const char *prod = ui_products[p];
    if (!ui_shown(world, prod))
      continue;
    fprintf(f, "  %-8s %11.2f", view_short(prod), ui_num(world, prod, NAN));
    if (volumes)
      fprintf(f, " %12s", ui_tonnes(ui_num(volumes, prod, NAN)));
    const json_t *row = json_object_get(regional, prod);
    for (size_t i = 0; i < shown; i++) {
      double v = ui_num(row, nat[i], NAN);
      if (v >= PRICE_CAP) {
        fprintf(f, " %8s", "-");
        capped = true;
      } else {
        fprintf(f, " %8.2f", v);
      }
    }
    fputc('\n', f);
  }
  if (capped)
    fprintf(f, "  (-: no supply reached that market; the price sits at the "
               "cap)\n");
  if (shown < nn)
    fprintf(f, "  (%zu more nations do not fit this terminal's width)\n",
            nn - shown);
}

void view_share_table(FILE *f, const json_t *production) {
  const char *nat[32];
  size_t nn = nations_of(production, nat, 32);
  int width = ui_term_width();
  int fixed = 2 + 10 + 13;
  size_t fit = width > fixed ? (size_t)(width - fixed) / 7 : 0;
  size_t shown = nn < fit ? nn : fit;
  fprintf(f, "  %-10s", "STAGE");
  for (size_t i = 0; i < shown; i++)
    fprintf(f, " %6.6s", ui_clean(nat[i]));
  fprintf(f, " %12s\n", "TOTAL");
  for (size_t s = 0; s < 4; s++) {
    const json_t *row = json_object_get(production, ui_stages[s]);
    if (s == 3 && !row)
      continue; /* recycling: only on maps that have it (design J4) */
    double total = 0;
    for (size_t i = 0; i < nn; i++)
      total += ui_num(row, nat[i], 0);
    fprintf(f, "  %-10s", ui_stages[s]);
    for (size_t i = 0; i < shown; i++) {
      double t = ui_num(row, nat[i], 0);
      if (total > 0)
        fprintf(f, " %5.1f%%", 100.0 * t / total);
      else
        fprintf(f, " %6s", "-");
    }
    fprintf(f, " %12s\n", ui_tonnes(total));
  }
  if (shown < nn)
    fprintf(f, "  (%zu more nations do not fit this terminal's width)\n",
            nn - shown);
}
