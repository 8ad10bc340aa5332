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
  f->anchor_cost = MODEL_PPM; /* on the learning curve as it stands */
  f->staff_milli = -1;
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
  int64_t milli = f->staff_milli >= 0 ? f->staff_milli : ms->staff_milli_per_t;
  f->staff_needed =
      (int64_t)(((__int128)f->capacity * milli + 999999999) / 1000000000);
  f->effective = model_facility_effective(st, f);
}

/* Unit cost and recovery from cumulative output (learning), then the
 * capacity figures. Learning changes only with output, so the turn calls
 * this where output is booked and model_facility_refresh_capacity elsewhere
 * (the fixed-point log and exp are the costly part). */
/* ---- learning on effective experience (docs/model.md, "Learning") ---- */

int64_t model_effective_experience(const model_state_t *st,
                                   const facility_t *f) {
  const map_stage_t *ms = &st->map->stage[f->stage];
  int n = f->nation;
  /* the firm's other plants of the stage, in full; the part of them in
   * this nation, so that the national term does not count them twice */
  int64_t firm = 0, firm_here = 0;
  for (int32_t k = st->seats[f->owner].first_fac; k >= 0;
       k = st->fac[k].next_of_owner) {
    const facility_t *g = &st->fac[k];
    if (g == f || g->stage != f->stage)
      continue;
    firm += g->cum;
    if (g->nation == n)
      firm_here += g->cum;
  }
  int64_t rest = st->nations[n].know_how[f->stage] - f->cum - firm_here;
  int64_t world = 0;
  for (size_t m = 0; m < st->n_nations; m++)
    if ((int)m != n && !model_tech_banned(st, (int)m, f->stage, n))
      world += st->nations[m].know_how[f->stage];
  int64_t e = f->cum + firm;
  if (rest > 0)
    e += ppm_of(rest, ms->spill_n_ppm);
  e += ppm_of(world, ms->spill_w_ppm);
  return e > 0 ? e : 1;
}

int64_t model_learning_mult(const model_state_t *st, int stage, int64_t e) {
  const map_stage_t *ms = &st->map->stage[stage];
  int64_t kref = st->learn_kref[stage];
  if (kref < 1 || ms->log2_pr_q32 == 0)
    return MODEL_PPM;
  if (e < 1)
    e = 1;
  if (e >= kref)
    return model_fx_learning_lg_ppm(e, kref, st->learn_lgkref[stage],
                                    ms->log2_pr_q32);
  /* below the reference: the inverse of the curve from e up to it, capped
   * at max_multiplier so that a nation with no know-how has a finite cost */
  int64_t v = model_fx_learning_lg_ppm(kref, e, model_fx_log2_q32((uint64_t)e),
                                       ms->log2_pr_q32);
  int64_t lo = (int64_t)1000000000000 / ms->max_mult_ppm;
  if (v <= lo)
    return ms->max_mult_ppm;
  return mul_div(MODEL_PPM, MODEL_PPM, v);
}

/* The curve's cost (cents/kg, at the nation's factor) and recovery (ppm)
 * at effective experience e. */
static void curve_at(const model_state_t *st, const facility_t *f, int64_t e,
                     int64_t *cost, int64_t *rec) {
  const map_stage_t *ms = &st->map->stage[f->stage];
  int64_t mult = model_learning_mult(st, f->stage, e);
  int64_t c = ppm_of(st->learn_cref[f->stage],
                     st->map->nations[f->nation].unit_cost_factor[f->stage]);
  *cost = mul_div(c, mult, MODEL_PPM);
  int64_t gap = ms->rec_lmax - ms->rec_ref;
  *rec = ms->rec_lmax - mul_div(gap, mult, MODEL_PPM);
}

static void learning_cost(const model_state_t *st, facility_t *f) {
  const map_stage_t *ms = &st->map->stage[f->stage];
  int64_t cost, rec;
  curve_at(st, f, model_effective_experience(st, f), &cost, &rec);
  f->unit_cost = mul_div(cost, f->anchor_cost, MODEL_PPM);
  if (f->stage == MODEL_SEPARATION) {
    rec += f->anchor_rec;
    f->recovery = rec < ms->rec_lmin   ? ms->rec_lmin
                  : rec > ms->rec_lmax ? ms->rec_lmax
                                       : rec;
  } else {
    f->recovery = MODEL_PPM;
  }
}

void model_learning_init(model_state_t *st) {
  const model_map_t *m = st->map;
  for (size_t k = 0; k < st->n_fac; k++)
    st->fac[k].anchor_cost = MODEL_PPM;
  bool any = false;
  for (int s = 0; s < NS; s++)
    any |= m->stage[s].learn;
  if (!any)
    return;
  /* know-how: the map's experience of the nation's plants */
  for (size_t k = 0; k < st->n_fac; k++) {
    const facility_t *f = &st->fac[k];
    if (m->stage[f->stage].learn)
      st->nations[f->nation].know_how[f->stage] += f->cum;
  }
  for (int s = 0; s < NS; s++) {
    if (!m->stage[s].learn)
      continue;
    for (size_t k = 0; k < st->n_fac; k++) {
      const facility_t *f = &st->fac[k];
      if (strcmp(f->id, m->stage[s].learn_ref) != 0)
        continue;
      /* the reference: its experience at turn 0 and its cost at factor 1 */
      st->learn_kref[s] = model_effective_experience(st, f);
      st->learn_lgkref[s] = model_fx_log2_q32((uint64_t)st->learn_kref[s]);
      int64_t fac = m->nations[f->nation].unit_cost_factor[s];
      st->learn_cref[s] =
          fac > 0 ? mul_div(f->cost0, MODEL_PPM, fac) : f->cost0;
    }
  }
  /* the map's plants keep their turn-0 cost and recovery where the map
   * states them (anchors); the others sit on the curve */
  for (size_t i = 0; i < m->n_facilities && i < st->n_fac; i++) {
    facility_t *f = &st->fac[i];
    const map_facility_t *mf = &m->facilities[i];
    if (!m->stage[f->stage].learn)
      continue;
    int64_t cost, rec;
    curve_at(st, f, model_effective_experience(st, f), &cost, &rec);
    if (mf->unit_cost >= 0 && cost > 0)
      f->anchor_cost = mul_div(mf->unit_cost, MODEL_PPM, cost);
    if (mf->recovery >= 0 && f->stage == MODEL_SEPARATION)
      f->anchor_rec = mf->recovery - rec;
    learning_cost(st, f);
    if (f->anchor_cost != MODEL_PPM && mf->unit_cost >= 0)
      f->unit_cost = mf->unit_cost; /* exactly, whatever the rounding */
    if (mf->recovery >= 0 && f->stage == MODEL_SEPARATION)
      f->recovery = mf->recovery;
  }
}

int model_state_learning(const model_state_t *st, const char *facility,
                         int64_t *effective_kg, int64_t *curve_cents) {
  for (size_t k = 0; st && facility && k < st->n_fac; k++) {
    const facility_t *f = &st->fac[k];
    if (strcmp(f->id, facility) != 0)
      continue;
    if (!st->map->stage[f->stage].learn)
      return MODEL_EINVAL;
    int64_t e = model_effective_experience(st, f), cost, rec;
    curve_at(st, f, e, &cost, &rec);
    if (effective_kg)
      *effective_kg = e;
    if (curve_cents)
      *curve_cents = cost;
    return 0;
  }
  return MODEL_EINVAL;
}

void model_learning_refresh(model_state_t *st) {
  for (size_t k = 0; k < st->n_fac; k++)
    if (st->map->stage[st->fac[k].stage].learn)
      learning_cost(st, &st->fac[k]);
}

void model_facility_refresh(const model_state_t *st, facility_t *f) {
  const map_stage_t *ms = &st->map->stage[f->stage];
  if (ms->learn) {
    learning_cost(st, f);
    model_facility_refresh_capacity(st, f);
    return;
  }
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
