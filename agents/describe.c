/*
 * agent_describe (agent.h): a seat's situation in plain language, the
 * briefing that state.describe answers and that a language model (or a
 * person new to the game) reads before deciding: what changed in the last
 * turn, where the seat stands, what it can order this turn and what each
 * order costs, and what its score rewards. Everything comes from the
 * seat's observation and its own books of the last turn
 * (model_state_holder_flows), so it tells nothing a player could not see.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

typedef struct {
  char *buf;
  size_t len, cap;
  bool failed;
} text_t;

static void say(text_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(text_t *t, const char *fmt, ...) {
  if (t->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->failed = true;
      return;
    }
    if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = t->cap * 2 + (size_t)n;
    char *p = realloc(t->buf, cap);
    if (!p) {
      t->failed = true;
      return;
    }
    t->buf = p;
    t->cap = cap;
  }
}

/* Money with a unit people read: $1.25bn, $310.0M, $12,500. */
static void money(char *out, size_t cap, double usd) {
  double a = usd < 0 ? -usd : usd;
  const char *sign = usd < 0 ? "-" : "";
  if (a >= 1e9)
    snprintf(out, cap, "%s$%.2fbn", sign, a / 1e9);
  else if (a >= 1e6)
    snprintf(out, cap, "%s$%.1fM", sign, a / 1e6);
  else
    snprintf(out, cap, "%s$%.0f", sign, a);
}

static int nation_index(const model_obs_t *obs, const char *id) {
  for (size_t k = 0; k < obs->n_nations; k++)
    if (strcmp(obs->nations[k], id) == 0)
      return (int)k;
  return -1;
}

static void changed(text_t *t, const model_state_t *st, int seat,
                    const model_obs_t *obs, int home) {
  const model_report_t *rep = model_last_report(st);
  if (!rep || rep->turn < 0) {
    say(t, "\nWHAT CHANGED\nNothing yet: this is the first turn. Prices "
           "below are the map's reference prices.\n");
    return;
  }
  size_t holder = obs->kind == MODEL_SEAT_FIRM
                      ? (size_t)seat
                      : model_map_seat_count(model_state_map(st)) +
                            (size_t)(home < 0 ? 0 : home);
  model_holder_flows_t f;
  char a[32], b[32], c[32];
  say(t, "\nWHAT CHANGED IN TURN %d\n", rep->turn);
  if (model_state_holder_flows(st, holder, &f) == 0) {
    money(a, sizeof a, model_cents_to_usd(f.money_opening));
    money(b, sizeof b, model_cents_to_usd(f.money_in));
    money(c, sizeof c, model_cents_to_usd(f.money_out));
    say(t,
        "- Money: you began the turn with %s, took in %s and paid out "
        "%s.\n",
        a, b, c);
    for (int p = 0; p < MODEL_PRODUCTS; p++) {
      if (!f.produced[p] && !f.sold[p] && !f.bought[p] && !f.consumed[p])
        continue;
      say(t,
          "- %s: produced %.1f t, sold %.1f t, bought %.1f t, used %.1f "
          "t.\n",
          model_product_name(p), model_kg_to_tonnes(f.produced[p]),
          model_kg_to_tonnes(f.sold[p]), model_kg_to_tonnes(f.bought[p]),
          model_kg_to_tonnes(f.consumed[p]));
    }
  }
  for (size_t i = 0; i < obs->n_scores; i++)
    if (strcmp(obs->scores[i].seat, obs->seat) == 0)
      say(t,
          "- Your score is now %.3f (1.000 = your objective met "
          "exactly).\n",
          (double)obs->scores[i].score / MODEL_PPM);
  for (size_t i = 0; i < rep->n_late_refusals; i++)
    if (rep->late_refusal_seat[i] == seat)
      say(t, "- An order of yours was refused at resolution: %s\n",
          rep->late_refusals[i].message);
  for (size_t i = 0; i < obs->n_news; i++)
    say(t, "- News: %s\n", obs->news[i].text);
}

static void position(text_t *t, const model_obs_t *obs, int home) {
  char a[32];
  say(t, "\nYOUR POSITION\n");
  money(a, sizeof a, model_cents_to_usd(obs->cash_cents));
  say(t, "- %s: %s.\n", obs->kind == MODEL_SEAT_FIRM ? "Cash" : "Budget", a);
  say(t, "- %s:", obs->kind == MODEL_SEAT_FIRM ? "Stock" : "State stockpile");
  bool any = false;
  for (int p = 0; p < MODEL_PRODUCTS; p++)
    if (obs->inventory_kg[p] > 0) {
      say(t, "%s %.1f t %s", any ? "," : "",
          model_kg_to_tonnes(obs->inventory_kg[p]), model_product_name(p));
      any = true;
    }
  say(t, "%s.\n", any ? "" : " none");
  for (size_t i = 0; i < obs->n_facilities; i++) {
    const model_obs_facility_t *x = &obs->facilities[i];
    if (x->status == MODEL_FAC_BUILDING)
      say(t,
          "- Facility %s (%s, %.0f t/yr): under construction, %d turns "
          "left.\n",
          x->id, model_stage_name(x->stage),
          model_kg_to_tonnes(x->capacity_kg_per_year), x->turns_left);
    else
      say(t,
          "- Facility %s (%s, %.0f t/yr, %.0f t/yr effective): runs at "
          "%.0f%%, made %.1f t last turn at $%.2f/kg, staff %lld of %lld "
          "needed.\n",
          x->id, model_stage_name(x->stage),
          model_kg_to_tonnes(x->capacity_kg_per_year),
          model_kg_to_tonnes(x->effective_kg_per_year),
          100.0 * model_ppm_to_fraction(x->utilisation_ppm),
          model_kg_to_tonnes(x->output_kg),
          model_cents_to_usd(x->unit_cost_cents_per_kg), (long long)x->staff,
          (long long)x->staff_needed);
  }
  say(t,
      "- Staff (mining, separation, magnet): %lld, %lld, %lld; in "
      "training %lld, %lld, %lld; %s %lld, %lld, %lld.\n",
      (long long)obs->staff[0], (long long)obs->staff[1],
      (long long)obs->staff[2], (long long)obs->in_training[0],
      (long long)obs->in_training[1], (long long)obs->in_training[2],
      obs->kind == MODEL_SEAT_FIRM ? "the home pool you may hire from holds"
                                   : "the talent pool holds",
      (long long)obs->talent_pool[0], (long long)obs->talent_pool[1],
      (long long)obs->talent_pool[2]);
  for (size_t i = 0; i < obs->n_policies; i++) {
    const model_order_t *p = &obs->policies[i];
    say(t, "- Policy in force: %s", model_policy_name((int)p->kind));
    if (p->product >= 0 && p->product < MODEL_PRODUCTS)
      say(t, " on %s", model_product_name(p->product));
    if (p->stage >= 0 && p->stage < MODEL_STAGES && p->product < 0)
      say(t, " for %s", model_stage_name(p->stage));
    say(t, ".\n");
  }
  say(t, "- Prices at home (%s) last turn, USD/kg:", obs->nation);
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    if (!obs->rules.products[p])
      continue; /* not on this map (design J1) */
    int64_t c = home >= 0
                    ? obs->regional[(size_t)p * obs->n_nations + (size_t)home]
                    : obs->price[p];
    say(t, "%s %s %.2f", p ? "," : "", model_product_name(p),
        model_cents_to_usd(c));
  }
  say(t, ".\n");
}

static void orders(text_t *t, const model_obs_t *obs, int home) {
  const model_obs_rules_t *r = &obs->rules;
  size_t nn = obs->n_nations;
  char a[32];
  bool firm = obs->kind == MODEL_SEAT_FIRM;
  say(t, "\nWHAT YOU CAN DO THIS TURN (turn %d)\n", obs->turn);
  say(t, "Send a list of orders (JSON maps, as orders.schema describes "
         "them); an empty list keeps your standing orders. Orders that "
         "stand (operate, offer, bid, policy) last until changed; build, "
         "hire and train act once.\n");
  if (firm) {
    for (int s = 0; s < MODEL_STAGES; s++) {
      if (!r->stages[s])
        continue; /* recycling: maps with it only (design J4) */
      int64_t f = home >= 0
                      ? obs->capex_factor_ppm[(size_t)s * nn + (size_t)home]
                      : MODEL_PPM;
      double per_t = model_cents_to_usd(r->capex_cents_per_kg_year[s]) *
                     1000.0 * (double)f / MODEL_PPM;
      money(a, sizeof a, per_t * 1000.0);
      say(t,
          "- build %s: %s per 1,000 t/yr of capacity here, ready in about "
          "%d turns (expanding a plant of yours costs %.0f%% of that); "
          "needs %.1f staff per 1,000 t/yr; %s.\n",
          model_stage_name(s), a, r->lead_greenfield[s],
          100.0 * model_ppm_to_fraction(r->brownfield_capex_ppm[s]),
          (double)r->staff_milli_per_kt[s] / 1000.0,
          s == MODEL_MINING ? "a mine needs a site: an open deposit of "
                              "public.deposits"
                            : "no site needed");
    }
    say(t, "- operate FACILITY at a utilisation from 0 to 1: running costs "
           "each plant's unit cost per kg made (above).\n");
    for (int s = 0; s < MODEL_SKILLS; s++)
      if (r->stages[s])
        say(t,
            "- hire %s staff from the home pool: %s a person-year in wages "
            "(a quarter of it per turn); train them: $%.0f each, %d "
            "turns.\n",
            model_skill_name(s),
            (money(a, sizeof a, model_cents_to_usd(r->wage_cents[s])), a),
            model_cents_to_usd(r->training_cost_cents[s]),
            r->training_turns[s]);
    say(t, "- offer a product you hold (quantity in t, min_price in "
           "USD/kg) or bid for one you need (max_price): trades clear at "
           "the market price; a trade costs nothing more than transport "
           "and tariffs.\n");
  } else {
    say(t, "- policy orders (kind, and the fields orders.schema lists): "
           "export_quota, export_ban, export_licence, tariff, subsidy "
           "(pays part of capex or per kg, from your budget), price_floor "
           "(buys at the floor, from your budget), stockpile (buys up to "
           "a target, from your budget), talent_programme (its budget per "
           "turn), migration, permitting, production_quota, tax.\n");
    if (r->stages[MODEL_RECYCLING])
      say(t,
          "- recycling_collection (rate): collect that share of your "
          "end-of-life magnets as magnet_scrap in your stockpile, paying "
          "$%.2f a kg collected; sell it like any stock.\n",
          model_cents_to_usd(r->collection_cost_cents_per_kg));
    for (int s = 0; s < MODEL_SKILLS; s++)
      if (r->stages[s])
        say(t, "- train %s people for the pool: $%.0f each, %d turns.\n",
            model_skill_name(s), model_cents_to_usd(r->training_cost_cents[s]),
            r->training_turns[s]);
    say(t, "- offer from your stockpile, or bid, like a firm.\n");
  }
}

static void rewards(text_t *t, const model_obs_t *obs) {
  say(t, "\nWHAT YOUR SCORE REWARDS\n");
  if (obs->kind == MODEL_SEAT_FIRM)
    say(t,
        "Your score is your net worth over your opening net worth: cash "
        "plus the book value of your facilities plus your stock at "
        "world prices. Profitable output, cheap capacity that pays back "
        "before the game ends and stock sold above cost raise it; idle "
        "plants, unpaid staff and debt lower it. The game ends after "
        "turn %d.\n",
        obs->turns - 1);
  else
    say(t,
        "Your score weighs supply security (the share of your final "
        "demand met by your own or allied sellers), the value your "
        "industry adds at world prices, and your budget, each against "
        "your opening figures, with the weights of your objectives in "
        "the map. The game ends after turn %d.\n",
        obs->turns - 1);
}

int agent_describe(const model_state_t *st, int seat, int turns, char **out,
                   size_t *len) {
  *out = NULL;
  *len = 0;
  model_obs_t *obs = NULL;
  int rc = model_observe(st, seat, &obs);
  if (rc != 0)
    return rc;
  if (turns > 0)
    obs->turns = turns;
  text_t t = {malloc(4096), 0, 4096, false};
  if (!t.buf) {
    model_obs_free(obs);
    return MODEL_ENOMEM;
  }
  int home = nation_index(obs, obs->nation);
  say(&t,
      "You play %s, a %s%s%s, in a game about the rare-earth supply "
      "chain (mining -> separation -> magnets). It is turn %d of %d "
      "(turns are quarters of a year).\n",
      obs->seat, obs->kind == MODEL_SEAT_FIRM ? "firm based in " : "nation",
      obs->kind == MODEL_SEAT_FIRM ? obs->nation : "",
      obs->kind == MODEL_SEAT_FIRM ? "" : "", obs->turn, obs->turns);
  if (obs->turn >= obs->turns)
    say(&t, "The game is over; no orders are taken.\n");
  changed(&t, st, seat, obs, home);
  position(&t, obs, home);
  if (obs->turn < obs->turns)
    orders(&t, obs, home);
  rewards(&t, obs);
  model_obs_free(obs);
  if (t.failed) {
    free(t.buf);
    return MODEL_ENOMEM;
  }
  *out = t.buf;
  *len = t.len;
  return 0;
}
