/* world_report.c: plays a whole world-2024 game under the map's standing
 * orders (no seat submits anything) and prints, turn by turn, the prices,
 * the shares of China in each stage and the news, as Markdown tables for
 * docs/model.md ("world-2024 calibration and a whole-game report").
 *
 *   world-report [--map PATH] [--seed N] [--no-growth]
 *
 * --no-growth sets every demand growth rate of the map to zero before
 * loading it (a diagnostic: with supply fixed by the standing orders, any
 * trend left in the prices then comes from the model, not from demand).
 */
#include "model.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LAN_SOURCE_MAPS
#define LAN_SOURCE_MAPS "maps"
#endif

/* Loads the map, with every "growth" of nations[].demand set to 0 when
 * no_growth is true. Returns 0 or a model error. */
static int load(const char *path, bool no_growth, model_map_t **out) {
  model_error_t e;
  int rc;
  if (!no_growth) {
    rc = model_map_load_file(path, out, &e);
  } else {
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
      fprintf(stderr, "%s:%d:%d: %s\n", path, je.line, je.column, je.text);
      return MODEL_EMAP;
    }
    json_t *nations = json_object_get(root, "nations"), *n;
    size_t i;
    json_array_foreach(nations, i, n) {
      json_t *dm = json_object_get(n, "demand"), *d;
      const char *k;
      json_object_foreach(dm, k, d) {
        if (json_object_get(d, "growth"))
          json_object_set_new(d, "growth", json_real(0));
      }
    }
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
      return MODEL_ENOMEM;
    rc = model_map_load_string(text, strlen(text), path, out, &e);
    free(text);
  }
  if (rc)
    fprintf(stderr, "%s:%d:%d: %s (%s)\n", e.file, e.line, e.column, e.message,
            model_strerror(rc));
  return rc;
}

static int nation_of(const model_map_t *m, const char *id) {
  for (size_t i = 0; i < model_map_nation_count(m); i++)
    if (strcmp(model_map_nation_id(m, i), id) == 0)
      return (int)i;
  return -1;
}

static double usd(int64_t cents) {
  return model_cents_to_usd(cents);
}

static double pct(const model_report_t *r, int stage, int nation) {
  int64_t tot = 0;
  size_t N = r->n_nations;
  for (size_t n = 0; n < N; n++)
    tot += r->production[(size_t)stage * N + n];
  return tot > 0
             ? 100.0 *
                   (double)r->production[(size_t)stage * N + (size_t)nation] /
                   (double)tot
             : 0;
}

static double kt_year(const model_report_t *r, int stage) {
  int64_t tot = 0;
  for (size_t n = 0; n < r->n_nations; n++)
    tot += r->production[(size_t)stage * r->n_nations + n];
  return 4.0 * model_kg_to_tonnes(tot) / 1000.0;
}

int main(int argc, char **argv) {
  const char *path = LAN_SOURCE_MAPS "/world-2024.json";
  uint64_t seed = 1;
  bool no_growth = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--map") == 0 && i + 1 < argc)
      path = argv[++i];
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--no-growth") == 0)
      no_growth = true;
    else {
      fprintf(stderr, "usage: %s [--map PATH] [--seed N] [--no-growth]\n",
              argv[0]);
      return 2;
    }
  }
  model_map_t *m = NULL;
  if (load(path, no_growth, &m))
    return 1;
  model_state_t *st = NULL;
  int rc = model_state_new(m, seed, &st);
  if (rc) {
    fprintf(stderr, "model_state_new: %s\n", model_strerror(rc));
    return 1;
  }
  int chn = nation_of(m, "CHN"), jpn = nation_of(m, "JPN");
  int euu = nation_of(m, "EUU"), usa = nation_of(m, "USA");
  if (chn < 0 || jpn < 0 || euu < 0 || usa < 0) {
    fprintf(stderr, "%s: expected nations CHN, USA, JPN and EUU\n", path);
    return 1;
  }
  size_t N = model_map_nation_count(m);
  printf("world-2024 under standing orders, seed %llu%s\n\n",
         (unsigned long long)seed, no_growth ? ", demand growth 0" : "");
  printf("| turn | quarter | conc | NdPr | Dy/Tb CHN | Dy/Tb JPN | La/Ce "
         "| magnet CHN | magnet USA | magnet EU | mined kt/yr | CHN mine %% "
         "| separated kt/yr | CHN sep %% | magnets kt/yr | CHN mag %% |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
         "\n");
  char news[8192] = "";
  size_t used = 0;
  for (int t = 0; t < model_state_turns(st); t++) {
    if ((rc = model_resolve(st))) {
      fprintf(stderr, "turn %d: %s\n", t, model_strerror(rc));
      return 1;
    }
    const model_report_t *r = model_last_report(st);
    printf("| %d | %d Q%d | %.2f | %.2f | %.0f | %.0f | %.2f | %.2f | %.2f "
           "| %.2f | %.0f | %.1f | %.0f | %.1f | %.0f | %.1f |\n",
           t, 2025 + t / 4, t % 4 + 1, usd(r->price[MODEL_CONCENTRATE]),
           usd(r->price[MODEL_NDPR]),
           usd(r->regional[(size_t)MODEL_DYTB * N + (size_t)chn]),
           usd(r->regional[(size_t)MODEL_DYTB * N + (size_t)jpn]),
           usd(r->price[MODEL_LACE]),
           usd(r->regional[(size_t)MODEL_MAGNET * N + (size_t)chn]),
           usd(r->regional[(size_t)MODEL_MAGNET * N + (size_t)usa]),
           usd(r->regional[(size_t)MODEL_MAGNET * N + (size_t)euu]),
           kt_year(r, MODEL_MINING), pct(r, MODEL_MINING, chn),
           kt_year(r, MODEL_SEPARATION), pct(r, MODEL_SEPARATION, chn),
           kt_year(r, MODEL_MAGNETS), pct(r, MODEL_MAGNETS, chn));
    for (size_t i = 0; i < r->n_news && used < sizeof news - 200; i++) {
      int w = snprintf(news + used, sizeof news - used, "- turn %d: %s\n", t,
                       r->news[i].text);
      if (w > 0)
        used += (size_t)w;
    }
  }
  printf("\nNews (scripted and random events):\n\n%s\n", news);
  /* a nation's budget is held by holder seats + nation (model.h) */
  printf("| seat | cash or budget at the end, $M | score |\n|---|---|---|\n");
  const model_report_t *r = model_last_report(st);
  size_t S = model_map_seat_count(m);
  for (size_t s = 0; s < S; s++) {
    size_t h = s;
    if (model_map_seat_kind(m, s) == MODEL_SEAT_NATION)
      h = S + (size_t)nation_of(m, model_map_seat_id(m, s));
    printf("| %s | %.0f | %.3f |\n", model_map_seat_id(m, s),
           model_cents_to_usd(model_state_holder_money(st, h)) / 1e6,
           model_ppm_to_fraction(r->scores[s]));
  }
  printf("\n| seat | NdPr held, t | Dy/Tb held, t | La/Ce held, t | "
         "concentrate held, t |\n|---|---|---|---|---|\n");
  for (size_t s = 0; s < model_map_seat_count(m); s++) {
    if (model_map_seat_kind(m, s) != MODEL_SEAT_FIRM)
      continue;
    printf("| %s | %.0f | %.0f | %.0f | %.0f |\n", model_map_seat_id(m, s),
           model_kg_to_tonnes(model_state_holder_inventory(st, s, MODEL_NDPR)),
           model_kg_to_tonnes(model_state_holder_inventory(st, s, MODEL_DYTB)),
           model_kg_to_tonnes(model_state_holder_inventory(st, s, MODEL_LACE)),
           model_kg_to_tonnes(
               model_state_holder_inventory(st, s, MODEL_CONCENTRATE)));
  }
  model_state_free(st);
  model_map_free(m);
  return 0;
}
