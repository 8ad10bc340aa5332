/* observe_plan.c: the part of an observation that lets a player plan:
 * the deposits (where mines may be built, what they yield), the rules of
 * building and staffing from the map, each nation's factors, and the
 * home nation's talent pool. All of it is public: geology and the costs of
 * building are the same for every seat (docs/protocol.md, "public.rules"). */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

int model_obs_fill_plan(const model_state_t *st, int32_t home, model_obs_t *o) {
  const model_map_t *m = st->map;
  size_t N = st->n_nations;

  o->n_deposits = st->n_deposits;
  o->deposits = calloc(o->n_deposits ? o->n_deposits : 1, sizeof *o->deposits);
  o->capex_factor_ppm = calloc((size_t)NS * N + 1, sizeof(int64_t));
  o->unit_cost_factor_ppm = calloc((size_t)NS * N + 1, sizeof(int64_t));
  o->lead_factor_ppm = calloc((size_t)NS * N + 1, sizeof(int64_t));
  o->permit_turns = calloc((size_t)NS * N * 2 + 1, sizeof(int32_t));
  if (!o->deposits || !o->capex_factor_ppm || !o->unit_cost_factor_ppm ||
      !o->lead_factor_ppm || !o->permit_turns)
    return -1;
  for (size_t d = 0; d < st->n_deposits; d++) {
    const map_deposit_t *md = &m->deposits[d];
    model_obs_deposit_t *od = &o->deposits[d];
    memcpy(od->id, md->id, sizeof od->id);
    memcpy(od->nation, m->nations[md->nation].id, sizeof od->nation);
    od->type = md->type;
    od->reserves_kg = st->reserves[d];
    memcpy(od->basket_ppm, md->basket, sizeof od->basket_ppm);
    od->basket_tb_ppm = md->basket[3];
    od->unit_cost_cents_per_kg = md->unit_cost;
    od->open = md->open;
    if (md->owner >= 0)
      memcpy(od->owner, m->seats[md->owner].id, sizeof od->owner);
  }
  model_obs_rules_t *r = &o->rules;
  /* the map's stages only (design J4: recycling's entries stay 0 on maps
   * without it) */
  for (int s = 0; s < map_ns(m); s++) {
    const map_stage_t *g = &m->stage[s];
    r->lead_greenfield[s] = g->lead_green;
    r->lead_brownfield[s] = g->lead_brown;
    r->capex_cents_per_kg_year[s] = g->capex;
    r->brownfield_capex_ppm[s] = g->brown_factor;
    r->unit_cost_cents_per_kg[s] = g->unit_cost;
    r->learning_ppm[s] = g->learning_ppm;
    /* The map keeps people per kt/yr in thousandths (map_stage_t's
     * staff_milli_per_t holds exactly that, despite its name). */
    r->staff_milli_per_kt[s] = g->staff_milli_per_t;
    r->wage_cents[s] = m->nations[home].wage[s];
    r->training_turns[s] = m->train_turns[s];
    r->training_cost_cents[s] = m->train_cost[s];
    for (size_t n = 0; n < N; n++) {
      o->capex_factor_ppm[(size_t)s * N + n] = m->nations[n].capex_factor[s];
      o->unit_cost_factor_ppm[(size_t)s * N + n] =
          m->nations[n].unit_cost_factor[s];
      o->lead_factor_ppm[(size_t)s * N + n] = m->nations[n].lead_factor[s];
      for (int b = 0; b < 2; b++) {
        int32_t pt = m->nations[n].permit_turns[s][b];
        o->permit_turns[((size_t)s * N + n) * 2 + (size_t)b] =
            pt >= 0 ? pt : g->permit_turns[b];
      }
    }
    r->two_phase[s] = g->two_phase;
    r->build_turns[s][0] = g->build_turns[0];
    r->build_turns[s][1] = g->build_turns[1];
    r->reference_capacity_kg[s] = g->reference_kg;
    r->turns_per_doubling_milli[s] = g->tpd_milli;
    r->brownfield_max_share_ppm[s] = g->brown_max_ppm;
    o->talent_pool[s] = st->nations[home].pool[s];
  }
  r->recovery_initial_ppm = m->stage[MODEL_SEPARATION].rec_initial;
  r->recovery_max_ppm = m->stage[MODEL_SEPARATION].rec_max;
  memcpy(r->recipe_ppm, m->stage[MODEL_MAGNETS].recipe, sizeof r->recipe_ppm);
  r->recipe_tb_ppm = m->stage[MODEL_MAGNETS].recipe[2];
  r->thrift_min_share_ppm = m->thrift_min_ppm;
  r->thrift_turns = m->thrift_turns;
  r->thrift_cost_cents_per_kg = m->thrift_cost;
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    r->products[p] = map_has(m, p);
  for (int s = 0; s < MODEL_STAGES; s++)
    r->stages[s] = map_has_stage(m, s);
  if (m->recycling) {
    r->scrap_price_share_ppm = m->scrap_share_ppm;
    r->recycling_recovery_ppm = m->eol_recovery_ppm;
    r->collection_cost_cents_per_kg = m->collection_cost;
    r->eol_lifetime = m->eol_life;
  }
  return 0;
}
