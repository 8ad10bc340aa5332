/* race_derive.c: plays a map under its standing orders for a number of
 * turns and prints, as JSON, the state as the next turn opens: facilities,
 * seats' money, stocks and staff, nations' budgets, stockpiles, talent
 * pools and demand trend, deposits' reserves, the last prices and the
 * effects still running. scripts/race2028.py writes maps/race-2028.json
 * from it ("derived: world-2024, turn 2, seed 1").
 *
 *   race-derive MAP SEED TURNS
 *
 * Reads the model's internal state (model_internal.h): a tool for map
 * makers, not part of the server.
 */
#include "model.h"
#include "model_internal.h"

#include <stdio.h>
#include <stdlib.h>

static double t(int64_t kg) {
  return (double)kg / 1000.0;
}
static double usd(int64_t cents) {
  return (double)cents / 100.0;
}
static double fr(int64_t ppm) {
  return (double)ppm / 1e6;
}
static int turns_up(int64_t x) {
  return (int)((x + 999999) / 1000000);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: race-derive MAP SEED TURNS\n");
    return 2;
  }
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_file(argv[1], &m, &e);
  if (rc) {
    fprintf(stderr, "%s:%d:%d: %s\n", e.file, e.line, e.column, e.message);
    return 1;
  }
  model_state_t *st = NULL;
  if (model_state_new(m, strtoull(argv[2], NULL, 10), &st)) {
    fprintf(stderr, "model_state_new failed\n");
    return 1;
  }
  int turns = atoi(argv[3]);
  printf("{\"turn\": %d, \"news\": [", turns);
  for (int k = 0; k < turns; k++) {
    if (model_resolve(st)) {
      fprintf(stderr, "turn %d: %s\n", k, model_last_error(st));
      return 1;
    }
    const model_report_t *r = model_last_report(st);
    for (size_t n = 0; n < r->n_news; n++)
      printf("%s\n  {\"turn\": %d, \"kind\": \"%s\", \"text\": \"%s\"}",
             k || n ? "," : "", k, model_event_name(r->news[n].kind),
             r->news[n].kind == MODEL_EV_POLICY ||
                     r->news[n].kind == MODEL_EV_STATE_SUPPORT
                 ? "(scripted)"
                 : r->news[n].facility);
  }
  /* the map's products only (design J1: a basket or Dy and Tb apart) */
  printf("],\n \"prices\": {");
  for (int p = 0; p < NP; p++)
    if (map_has(m, p))
      printf("%s\"%s\": %.2f", p ? ", " : "", model_product_name(p),
             usd(st->price[p]));
  printf("},\n \"regional\": {");
  for (int p = 0; p < NP; p++) {
    if (!map_has(m, p))
      continue;
    printf("%s\"%s\": {", p ? ", " : "", model_product_name(p));
    for (size_t n = 0; n < m->n_nations; n++)
      printf("%s\"%s\": %.2f", n ? ", " : "", m->nations[n].id,
             usd(st->regional[p][n]));
    printf("}");
  }
  printf("},\n \"facilities\": [");
  for (size_t i = 0; i < st->n_fac; i++) {
    const facility_t *f = &st->fac[i];
    printf("%s\n  {\"id\": \"%s\", \"owner\": \"%s\", \"stage\": \"%s\", "
           "\"nation\": \"%s\", \"capacity\": %.3f, \"utilisation\": %.6f, "
           "\"experience\": %.3f, \"unit_cost\": %.2f, \"recovery\": %.6f, "
           "\"building\": %d, \"permit\": %d, \"ramp_age\": %d, "
           "\"book_value\": %.2f, \"expanding\": %.3f, \"outage\": %d, "
           "\"staff\": %lld, \"staff_needed\": %lld, \"abroad\": %s}",
           i ? "," : "", f->id, m->seats[f->owner].id,
           model_stage_name(f->stage), m->nations[f->nation].id, t(f->capacity),
           fr(f->util), t(f->cum), usd(f->unit_cost), fr(f->recovery),
           turns_up(f->build_left + f->permit_left), turns_up(f->permit_left),
           f->ramp_age, usd(f->book), t(f->exp_cap), f->outage_turns,
           (long long)f->staff, (long long)f->staff_needed,
           f->abroad ? "true" : "false");
  }
  printf("],\n \"seats\": [");
  for (size_t s = 0; s < st->n_seats; s++) {
    const seat_t *x = &st->seats[s];
    printf("%s\n  {\"seat\": \"%s\", \"cash\": %.2f, \"inventory\": {",
           s ? "," : "", m->seats[s].id, usd(x->cash));
    for (int p = 0; p < NP; p++)
      if (map_has(m, p))
        printf("%s\"%s\": %.3f", p ? ", " : "", model_product_name(p),
               t(x->inv[p]));
    if (m->heavy_split)
      printf("}, \"concentrate_el\": [%.3f, %.3f, %.3f], \"staff\": {",
             t(x->inv_el[0]), t(x->inv_el[1]), t(x->inv_el[2]));
    else
      printf("}, \"concentrate_el\": [%.3f, %.3f], \"staff\": {",
             t(x->inv_el[0]), t(x->inv_el[1]));
    int64_t pipe = 0;
    for (int k = 0; k < map_ns(m); k++) {
      printf("%s\"%s\": %lld", k ? ", " : "", model_skill_name(k),
             (long long)x->staff[k]);
      for (int j = 0; j < MODEL_TRAIN_TURNS_MAX; j++)
        pipe += x->pipeline[k][j] + x->appr[k][j];
    }
    printf("}, \"in_training\": %lld, \"receivership\": %d}", (long long)pipe,
           x->receivership);
  }
  printf("],\n \"nations\": [");
  for (size_t n = 0; n < st->n_nations; n++) {
    const nation_t *x = &st->nations[n];
    printf("%s\n  {\"id\": \"%s\", \"budget\": %.2f, \"stockpile\": {",
           n ? "," : "", m->nations[n].id, usd(x->budget));
    for (int p = 0; p < NP; p++)
      if (map_has(m, p))
        printf("%s\"%s\": %.3f", p ? ", " : "", model_product_name(p),
               t(x->stock[p]));
    printf("}, \"talent\": {");
    int64_t pipe = 0;
    for (int k = 0; k < map_ns(m); k++) {
      printf("%s\"%s\": %lld", k ? ", " : "", model_skill_name(k),
             (long long)x->pool[k]);
      for (int j = 0; j < MODEL_TRAIN_TURNS_MAX; j++)
        pipe += x->pipeline[k][j];
    }
    printf("}, \"training_capacity\": {");
    for (int k = 0; k < map_ns(m); k++)
      printf("%s\"%s\": %lld", k ? ", " : "", model_skill_name(k),
             (long long)x->train_cap[k]);
    printf("}, \"in_training\": %lld, \"demand\": {", (long long)pipe);
    int first = 1;
    for (int p = 0; p < NP; p++) {
      if (!m->nations[n].demand[p].present)
        continue;
      printf("%s\"%s\": {\"volume\": %.3f, \"substituted\": %.6f",
             first ? "" : ", ", model_product_name(p), 4 * t(x->demand_q0[p]),
             fr(x->subst_ppm[p]));
      /* demand by sector: each line's trend and substitution */
      if (m->nations[n].sectored[p]) {
        printf(", \"sectors\": {");
        int f2 = 1;
        for (int s = 0; s < MODEL_SECTORS; s++) {
          if (!m->nations[n].sector[p][s].present)
            continue;
          printf("%s\"%s\": {\"volume\": %.3f, \"substituted\": %.6f}",
                 f2 ? "" : ", ", model_sector_name(s), 4 * t(x->sec_q0[p][s]),
                 fr(x->sec_subst[p][s]));
          f2 = 0;
        }
        printf("}");
      }
      printf("}");
      first = 0;
    }
    printf("}}");
  }
  printf("],\n \"deposits\": [");
  for (size_t d = 0; d < m->n_deposits; d++)
    printf("%s\n  {\"id\": \"%s\", \"reserves\": %.3f}", d ? "," : "",
           m->deposits[d].id, t(st->reserves[d]));
  printf("],\n \"effects\": %zu, \"ext\": %s, \"history\": %d}\n",
         st->n_effects, st->ext ? "true" : "false", st->n_hist);
  model_state_free(st);
  model_map_free(m);
  return 0;
}
