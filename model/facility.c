/* facility.c: a facility's derived figures (ramp-up, outages, learning,
 * staffing) and the state's facility list (growing it, finding a seat's
 * facility by id). Below orders.c, state.c and turn.c, which all create or
 * refresh facilities; it needs only util.c's arithmetic.
 */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

int model_facility_push(model_state_t *st, facility_t **out) {
  if (st->n_fac == st->cap_fac) {
    size_t nc = st->cap_fac ? st->cap_fac * 2 : 64;
    facility_t *nf = realloc(st->fac, nc * sizeof *nf);
    if (!nf)
      return MODEL_ENOMEM;
    st->fac = nf;
    st->cap_fac = nc;
  }
  facility_t *f = &st->fac[st->n_fac++];
  memset(f, 0, sizeof *f);
  f->deposit = -1;
  f->next_of_owner = -1;
  f->lg_exp0 = -1;
  *out = f;
  return 0;
}

int model_facility_of_seat(const model_state_t *st, int seat, const char *id) {
  for (int32_t f = st->seats[seat].first_fac; f >= 0;
       f = st->fac[f].next_of_owner)
    if (strcmp(st->fac[f].id, id) == 0)
      return f;
  return -1;
}

static int64_t ramp_at(const int64_t *ramp, int32_t n, int32_t age) {
  if (n <= 0)
    return MODEL_PPM;
  return ramp[age < n ? age : n - 1];
}

/* Effective capacity in kg/yr: nameplate through the ramp-up tables, less
 * an outage. Zero while building. */
int64_t model_facility_effective(const model_state_t *st, const facility_t *f) {
  if (f->build_left > 0)
    return 0;
  const map_stage_t *ms = &st->map->stage[f->stage];
  int64_t base = f->capacity - f->exp_done;
  int64_t e = ppm_of(base, ramp_at(ms->ramp, ms->n_ramp, f->ramp_age)) +
              ppm_of(f->exp_done, ramp_at(ms->bramp, ms->n_bramp, f->exp_age));
  return ppm_of(e, MODEL_PPM - f->outage_ppm);
}

/* The staff a facility needs and its effective capacity: what changes
 * with construction, ramp-up and outages. */
void model_facility_refresh_capacity(const model_state_t *st, facility_t *f) {
  const map_stage_t *ms = &st->map->stage[f->stage];
  /* people = t/yr x people-per-kt / 1000 = kg/yr x milli-people-per-kt /
   * 1e9, rounded up: a plant needs whole people. */
  f->staff_needed =
      (int64_t)(((__int128)f->capacity * ms->staff_milli_per_t + 999999999) /
                1000000000);
  f->effective = model_facility_effective(st, f);
}

/* Unit cost and recovery from cumulative output (learning), then the
 * capacity figures. Learning changes only with output, so the turn calls
 * this where output is booked and model_facility_refresh_capacity elsewhere
 * (the fixed-point log and exp are the costly part). */
void model_facility_refresh(const model_state_t *st, facility_t *f) {
  const map_stage_t *ms = &st->map->stage[f->stage];
  if (f->lg_exp0 < 0 && f->exp0 >= 1)
    f->lg_exp0 = model_fx_log2_q32((uint64_t)f->exp0);
  int64_t mult =
      model_fx_learning_lg_ppm(f->cum, f->exp0, f->lg_exp0, ms->log2_pr_q32);
  f->unit_cost = ppm_of(f->cost0, mult);
  if (f->stage == MODEL_SEPARATION) {
    int64_t gap = ms->rec_max - f->rec0;
    f->recovery = gap > 0 ? ms->rec_max - ppm_of(gap, mult) : f->rec0;
  } else {
    f->recovery = MODEL_PPM;
  }
  model_facility_refresh_capacity(st, f);
}

void model_project_rule(const model_state_t *st, int stage, int nation,
                        bool brown, model_project_rule_t *r) {
  const map_stage_t *ms = &st->map->stage[stage];
  const map_nation_t *mn = &st->map->nations[nation];
  int32_t permit = mn->permit_turns[stage][brown];
  memset(r, 0, sizeof *r);
  r->two_phase = ms->two_phase;
  r->lead_turns = brown ? ms->lead_brown : ms->lead_green;
  r->permit_turns = permit >= 0 ? permit : ms->permit_turns[brown];
  r->build_turns = ms->build_turns[brown];
  r->reference_kg = ms->reference_kg;
  r->turns_per_doubling_milli = ms->tpd_milli;
  r->lead_factor_ppm = mn->lead_factor[stage];
  r->speed_ppm = st->nations[nation].pol.permit_speed[stage];
}
