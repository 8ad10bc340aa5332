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
int model_policy_apply(model_state_t *st, int n, const model_order_t *o) {
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
