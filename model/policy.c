/* policy.c: a nation's trade and industrial policies: the defaults (no
 * policy at all) and applying one policy order. Below orders.c (which
 * validates and applies a seat's orders), state.c (a map's opening
 * policies) and turn.c (policy events); it needs only util.c's names.
 */
#include "model_internal.h"

#include <stdio.h>
#include <string.h>

/* A policy's partner: "all" (or empty) is the ALL slot, else a nation's
 * index, -1 when no nation has that id. */
int model_partner_index(const model_map_t *m, const char *p) {
  if (!p[0] || strcmp(p, "all") == 0)
    return ALL;
  return model_nation_index(m, p);
}

/* No policy: no quotas, bans, licensing or tariffs, no subsidies, floors
 * or stockpile targets, permits at normal speed, migration open. */
void model_policies_default(policies_t *p) {
  memset(p, 0, sizeof *p);
  for (int i = 0; i < NP; i++) {
    for (int j = 0; j <= NN; j++) {
      p->quota[i][j] = -1;
      p->licence[i][j] = MODEL_PPM;
    }
    p->stock_target[i] = -1;
  }
  for (int s = 0; s < NS; s++) {
    p->permit_speed[s] = MODEL_PPM;
    p->prod_quota[s] = -1;
    p->mig_in[s] = 1;
    p->mig_out[s] = 1;
  }
}

/* A seat's index by id, or -1 (a plain scan: deals are rare). */
static int seat_index(const model_map_t *m, const char *id) {
  for (size_t s = 0; id[0] && s < m->n_seats; s++)
    if (strcmp(m->seats[s].id, id) == 0)
      return (int)s;
  return -1;
}

int model_firm_index(const model_map_t *m, const char *id) {
  int s = seat_index(m, id);
  return s >= 0 && m->seats[s].kind == MODEL_SEAT_FIRM ? s : -1;
}

/* Sets bit j (or the "all" flag for ALL) of a per-destination set. */
static void set_dest(uint64_t *bits, uint8_t *all, int j, bool on) {
  if (j == ALL)
    *all = on;
  else if (on)
    *bits |= (uint64_t)1 << j;
  else
    *bits &= ~((uint64_t)1 << j);
}

/* The policies of issue 11 (docs/design/model-v2.md F, H, I) and an
 * export licence's basis: kept in the state's model_ext_t, which only a
 * game that uses them allocates. */
static int ext_policy(model_state_t *st, int n, const model_order_t *o) {
  const model_map_t *m = st->map;
  int partner = model_partner_index(m, o->partner);
  if (o->kind == MODEL_POL_EXPORT_LICENCE) {
    /* only an exports-basis licence needs the extension; an offers-basis
     * one clears a bit that may be there */
    bool exports = strcmp(o->choice, "exports") == 0;
    if (!exports && !st->ext)
      return 0;
    model_ext_t *x = model_ext(st);
    if (!x)
      return MODEL_ENOMEM;
    set_dest(&x->lic_exports[n][o->product], &x->lic_exports_all[n][o->product],
             partner, exports && o->approval_ppm < MODEL_PPM);
    return 0;
  }
  model_ext_t *x = model_ext(st);
  if (!x)
    return MODEL_ENOMEM;
  switch (o->kind) {
  case MODEL_POL_FIRM_PRICE_FLOOR: {
    int firm = model_firm_index(m, o->firm);
    size_t k = 0;
    while (k < x->n_support &&
           !(x->support[k].nation == n && x->support[k].firm == firm &&
             x->support[k].product == o->product))
      k++;
    if (o->quantity_kg == 0) {
      if (k < x->n_support) {
        memmove(&x->support[k], &x->support[k + 1],
                (x->n_support - k - 1) * sizeof x->support[0]);
        x->n_support--;
      }
      return 0;
    }
    if (k == x->n_support) {
      if (x->n_support >= MODEL_SUPPORT_MAX)
        return 0; /* refused at validation; a map or event beyond it is
                     ignored */
      x->n_support++;
    }
    x->support[k] = (support_t){n,
                                firm,
                                o->product,
                                (int32_t)o->turns,
                                o->price_cents_per_kg,
                                o->quantity_kg,
                                o->two_sided,
                                0};
    return 0;
  }
  case MODEL_POL_ORIGIN_RULE: {
    /* the first rule starts tracking its nation's material (a map may
     * start it at turn 0: parameters.origin_tracking) */
    if (x->track1 == 0 && !o->lift)
      x->track1 = n + 1;
    x->origin[n][o->product].on = !o->lift;
    x->origin[n][o->product].to = partner;
    x->origin[n][o->product].threshold = o->rate_ppm;
    x->origin[n][o->product].approval = o->approval_ppm;
    x->origin[n][o->product].from_turn = (int32_t)o->turns;
    return 0;
  }
  case MODEL_POL_TECHNOLOGY_EXPORT_BAN:
    set_dest(&x->tech_ban[n][o->stage], &x->tech_ban_all[n][o->stage], partner,
             !o->lift);
    return 0;
  case MODEL_POL_INVESTMENT_SCREEN:
    set_dest(&x->screen[n][o->stage], &x->screen_all[n][o->stage], partner,
             !o->lift);
    return 0;
  case MODEL_POL_SANCTION: {
    int firm = model_firm_index(m, o->firm);
    size_t k = 0;
    while (k < x->n_sanctions &&
           !(x->sanctions[k].nation == n && x->sanctions[k].firm == firm))
      k++;
    if (o->lift) {
      if (k < x->n_sanctions) {
        memmove(&x->sanctions[k], &x->sanctions[k + 1],
                (x->n_sanctions - k - 1) * sizeof x->sanctions[0]);
        x->n_sanctions--;
      }
    } else if (k == x->n_sanctions && x->n_sanctions < MODEL_SANCTIONS_MAX) {
      x->sanctions[k].nation = n;
      x->sanctions[k].firm = firm;
      x->n_sanctions++;
    }
    return 0;
  }
  default:
    return MODEL_EINVAL;
  }
}

/* Sets the policy order o (validated by model_order_check_map) for nation
 * n; it stands until another replaces it. MODEL_EINVAL for an unknown
 * partner or kind. */
static int policy_set(model_state_t *st, int n, const model_order_t *o) {
  policies_t *p = &st->nations[n].pol;
  int partner = model_partner_index(st->map, o->partner);
  if (partner < 0)
    return MODEL_EINVAL;
  switch (o->kind) {
  case MODEL_POL_EXPORT_QUOTA:
    p->quota[o->product][partner] = o->lift ? -1 : o->quantity_kg;
    break;
  case MODEL_POL_EXPORT_BAN:
    p->ban[o->product][partner] = o->lift ? 0 : 1;
    break;
  case MODEL_POL_EXPORT_LICENCE:
    p->licence[o->product][partner] = o->approval_ppm;
    return ext_policy(st, n, o); /* its basis */
  case MODEL_POL_TARIFF:
    p->tariff[o->product][partner] = o->rate_ppm;
    break;
  case MODEL_POL_SUBSIDY:
    p->sub_capex[o->stage] = o->capex_share_ppm;
    p->sub_output[o->stage] = o->output_cents_per_kg;
    p->sub_home_only[o->stage] = o->home_only;
    break;
  case MODEL_POL_PRICE_FLOOR:
    p->floor_price[o->product] = o->price_cents_per_kg;
    p->floor_qty[o->product] = o->quantity_kg;
    break;
  case MODEL_POL_STOCKPILE:
    p->stock_target[o->product] = o->target_kg;
    break;
  case MODEL_POL_TALENT_PROGRAMME:
    p->talent_budget[o->skill] = o->budget_cents;
    break;
  case MODEL_POL_MIGRATION:
    p->mig_in[o->skill] = o->inbound;
    p->mig_out[o->skill] = o->outbound;
    break;
  case MODEL_POL_PERMITTING:
    p->permit_speed[o->stage] = o->speed_ppm;
    break;
  case MODEL_POL_PRODUCTION_QUOTA:
    p->prod_quota[o->stage] = o->lift ? -1 : o->quantity_kg;
    p->quota_output[o->stage] = !o->lift && strcmp(o->choice, "output") == 0;
    p->quota_domestic[o->stage] = !o->lift && strcmp(o->origin, "outside") == 0;
    break;
  case MODEL_POL_TAX:
    p->tax_ppm = o->rate_ppm;
    break;
  case MODEL_POL_RECYCLING_COLLECTION:
    p->collect_ppm = o->rate_ppm;
    break;
  case MODEL_POL_FIRM_PRICE_FLOOR:
  case MODEL_POL_TECHNOLOGY_EXPORT_BAN:
  case MODEL_POL_SANCTION:
  case MODEL_POL_INVESTMENT_SCREEN:
  case MODEL_POL_ORIGIN_RULE:
    return ext_policy(st, n, o);
  default:
    return MODEL_EINVAL;
  }
  return 0;
}

/* ---- lapsing policies (issue 11, design L7) ----
 * A policy order with `turns` (lapse_turns) holds for that many turns from
 * the turn it first binds; then the nation's policy it replaced returns.
 * The replaced policy is kept as an order (the slot's value before), so
 * that restoring it is applying an order. */

/* Whether a and b set the same policy of a nation: the same kind and the
 * same product, stage, skill, partner or firm, as the kind is keyed. */
static bool same_slot(const model_map_t *m, const model_order_t *a,
                      const model_order_t *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case MODEL_POL_EXPORT_QUOTA:
  case MODEL_POL_EXPORT_BAN:
  case MODEL_POL_EXPORT_LICENCE:
  case MODEL_POL_TARIFF:
    return a->product == b->product && model_partner_index(m, a->partner) ==
                                           model_partner_index(m, b->partner);
  case MODEL_POL_PRICE_FLOOR:
  case MODEL_POL_STOCKPILE:
  case MODEL_POL_ORIGIN_RULE:
    return a->product == b->product;
  case MODEL_POL_SUBSIDY:
  case MODEL_POL_PERMITTING:
  case MODEL_POL_PRODUCTION_QUOTA:
    return a->stage == b->stage;
  case MODEL_POL_TALENT_PROGRAMME:
  case MODEL_POL_MIGRATION:
    return a->skill == b->skill;
  case MODEL_POL_TECHNOLOGY_EXPORT_BAN:
  case MODEL_POL_INVESTMENT_SCREEN:
    return a->stage == b->stage && model_partner_index(m, a->partner) ==
                                       model_partner_index(m, b->partner);
  case MODEL_POL_SANCTION:
  case MODEL_POL_FIRM_PRICE_FLOOR:
    return strcmp(a->firm, b->firm) == 0;
  default:
    return true; /* tax: one a nation */
  }
}

/* The nation's policy in o's slot now, as the order that sets it. */
static void policy_now(const model_state_t *st, int n, const model_order_t *o,
                       model_order_t *out) {
  const policies_t *p = &st->nations[n].pol;
  const model_ext_t *x = st->ext;
  int j = model_partner_index(st->map, o->partner);
  int q = o->product, s = o->stage, k = o->skill;
  *out = *o;
  out->lapse_turns = 0;
  out->lift = false;
  switch (o->kind) {
  case MODEL_POL_EXPORT_QUOTA:
    out->quantity_kg = p->quota[q][j] < 0 ? 0 : p->quota[q][j];
    out->lift = p->quota[q][j] < 0;
    break;
  case MODEL_POL_EXPORT_BAN:
    out->lift = !p->ban[q][j];
    break;
  case MODEL_POL_EXPORT_LICENCE: {
    out->approval_ppm = p->licence[q][j];
    bool exp = x && (j == ALL ? x->lic_exports_all[n][q] != 0
                              : (x->lic_exports[n][q] >> j & 1) != 0);
    snprintf(out->choice, sizeof out->choice, "%s", exp ? "exports" : "");
    break;
  }
  case MODEL_POL_TARIFF:
    out->rate_ppm = p->tariff[q][j];
    break;
  case MODEL_POL_SUBSIDY:
    out->capex_share_ppm = p->sub_capex[s];
    out->output_cents_per_kg = p->sub_output[s];
    break;
  case MODEL_POL_PRICE_FLOOR:
    out->price_cents_per_kg = p->floor_price[q];
    out->quantity_kg = p->floor_qty[q];
    break;
  case MODEL_POL_STOCKPILE:
    out->target_kg = p->stock_target[q];
    break;
  case MODEL_POL_TALENT_PROGRAMME:
    out->budget_cents = p->talent_budget[k];
    break;
  case MODEL_POL_MIGRATION:
    out->inbound = p->mig_in[k];
    out->outbound = p->mig_out[k];
    break;
  case MODEL_POL_PERMITTING:
    out->speed_ppm = p->permit_speed[s];
    break;
  case MODEL_POL_PRODUCTION_QUOTA:
    out->quantity_kg = p->prod_quota[s] < 0 ? 0 : p->prod_quota[s];
    out->lift = p->prod_quota[s] < 0;
    snprintf(out->choice, sizeof out->choice, "%s",
             p->quota_output[s] ? "output" : "");
    snprintf(out->origin, sizeof out->origin, "%s",
             p->quota_domestic[s] ? "outside" : "");
    break;
  case MODEL_POL_TAX:
    out->rate_ppm = p->tax_ppm;
    break;
  case MODEL_POL_RECYCLING_COLLECTION:
    out->rate_ppm = p->collect_ppm;
    break;
  case MODEL_POL_TECHNOLOGY_EXPORT_BAN:
    out->lift = !(x && (j == ALL ? x->tech_ban_all[n][s] != 0
                                 : (x->tech_ban[n][s] >> j & 1) != 0));
    break;
  case MODEL_POL_INVESTMENT_SCREEN:
    out->lift = !(x && (j == ALL ? x->screen_all[n][s] != 0
                                 : (x->screen[n][s] >> j & 1) != 0));
    break;
  case MODEL_POL_SANCTION: {
    int firm = model_firm_index(st->map, o->firm);
    out->lift = true;
    for (size_t e = 0; x && e < x->n_sanctions; e++)
      if (x->sanctions[e].nation == n && x->sanctions[e].firm == firm)
        out->lift = false;
    break;
  }
  case MODEL_POL_ORIGIN_RULE:
    if (x && x->origin[n][q].on) {
      int to = x->origin[n][q].to;
      snprintf(out->partner, sizeof out->partner, "%s",
               to == ALL ? "all" : st->map->nations[to].id);
      out->rate_ppm = x->origin[n][q].threshold;
      out->approval_ppm = x->origin[n][q].approval;
      out->turns = x->origin[n][q].from_turn;
    } else {
      out->lift = true;
    }
    break;
  default:
    break;
  }
}

static size_t lapse_find(const model_state_t *st, int n,
                         const model_order_t *o) {
  const model_ext_t *x = st->ext;
  size_t k = 0;
  while (
      x && k < x->n_lapses &&
      !(x->lapses[k].nation == n && same_slot(st->map, &x->lapses[k].prev, o)))
    k++;
  return k;
}

bool model_policy_lapse_room(const model_state_t *st, int n,
                             const model_order_t *o) {
  return !st->ext || st->ext->n_lapses < MODEL_LAPSES_MAX ||
         lapse_find(st, n, o) < st->ext->n_lapses;
}

int32_t model_policy_lapse_due(const model_state_t *st, int n,
                               const model_order_t *o) {
  size_t k = lapse_find(st, n, o);
  return st->ext && k < st->ext->n_lapses ? st->ext->lapses[k].due : 0;
}

int model_policy_apply_from(model_state_t *st, int n, const model_order_t *o,
                            int32_t first) {
  bool lapse = o->lapse_turns > 0 && o->kind != MODEL_POL_FIRM_PRICE_FLOOR;
  model_order_t prev;
  if (lapse)
    policy_now(st, n, o, &prev);
  int rc = policy_set(st, n, o);
  if (rc)
    return rc;
  size_t k = lapse_find(st, n, o);
  model_ext_t *x = st->ext;
  bool found = x && k < x->n_lapses;
  if (!lapse) {
    /* a policy that stands replaces a lapsing one in its slot */
    if (found) {
      memmove(&x->lapses[k], &x->lapses[k + 1],
              (x->n_lapses - k - 1) * sizeof x->lapses[0]);
      x->n_lapses--;
    }
    return 0;
  }
  if (!found) {
    if (!(x = model_ext(st)))
      return MODEL_ENOMEM;
    if (x->n_lapses >= MODEL_LAPSES_MAX)
      return 0; /* refused at submission; a map or event beyond it stands */
    k = x->n_lapses++;
    x->lapses[k].nation = n;
    x->lapses[k].prev = prev; /* a second lapsing policy in the slot keeps
                                 the policy from before the first */
  }
  x->lapses[k].due = first + (int32_t)o->lapse_turns;
  return 0;
}

int model_policy_apply(model_state_t *st, int n, const model_order_t *o) {
  return model_policy_apply_from(st, n, o, st->turn);
}

/* At the end of a turn: the policies whose last turn it was lapse, and
 * the policies they replaced return (in the order they were set). */
void model_policy_lapses(model_state_t *st) {
  model_ext_t *x = st->ext;
  for (size_t k = 0; x && k < x->n_lapses;) {
    if (x->lapses[k].due > st->turn + 1) {
      k++;
      continue;
    }
    int n = x->lapses[k].nation;
    model_order_t prev = x->lapses[k].prev;
    memmove(&x->lapses[k], &x->lapses[k + 1],
            (x->n_lapses - k - 1) * sizeof x->lapses[0]);
    x->n_lapses--;
    (void)policy_set(st, n, &prev); /* it stands */
  }
}
