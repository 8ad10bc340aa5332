/* policy.c: a nation's trade and industrial policies: the defaults (no
 * policy at all) and applying one policy order. Below orders.c (which
 * validates and applies a seat's orders), state.c (a map's opening
 * policies) and turn.c (policy events); it needs only util.c's names.
 */
#include "model_internal.h"

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
    return model_deal_policy(st, n, o); /* its basis */
  case MODEL_POL_TARIFF:
    p->tariff[o->product][partner] = o->rate_ppm;
    break;
  case MODEL_POL_SUBSIDY:
    p->sub_capex[o->stage] = o->capex_share_ppm;
    p->sub_output[o->stage] = o->output_cents_per_kg;
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
    break;
  case MODEL_POL_TAX:
    p->tax_ppm = o->rate_ppm;
    break;
  case MODEL_POL_FIRM_PRICE_FLOOR:
  case MODEL_POL_TECHNOLOGY_EXPORT_BAN:
  case MODEL_POL_SANCTION:
  case MODEL_POL_INVESTMENT_SCREEN:
    return model_deal_policy(st, n, o);
  default:
    return MODEL_EINVAL;
  }
  return 0;
}
