/* play.c: in-process games for the agent tests (play.h). */
#include "play.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int by_id(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

size_t play_map_ids(char ids[][MODEL_ID_MAX], size_t cap) {
  DIR *d = opendir(LAN_SOURCE_MAPS);
  if (!d)
    fail_msg("cannot open the maps folder %s", LAN_SOURCE_MAPS);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < cap) {
    size_t len = strlen(e->d_name);
    if (len <= 5 || len - 5 >= MODEL_ID_MAX ||
        strcmp(e->d_name + len - 5, ".json") != 0)
      continue;
    memcpy(ids[n], e->d_name, len - 5);
    ids[n][len - 5] = '\0';
    n++;
  }
  closedir(d);
  qsort(ids, n, sizeof ids[0], by_id);
  /* The folder is listed so that a new map is played without a change
   * here; a shipped map that went missing must fail, not shrink the test. */
  static const char *const shipped[] = {"classroom", "cournot", "learning",
                                        "trade", "world-2024"};
  for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
    bool found = false;
    for (size_t j = 0; j < n && !found; j++)
      found = strcmp(ids[j], shipped[i]) == 0;
    if (!found)
      fail_msg("shipped map %s/%s.json is missing: restore it, or drop it "
               "from the list in tests/agents/play.c",
               LAN_SOURCE_MAPS, shipped[i]);
  }
  return n;
}

model_map_t *play_load(const char *id) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", LAN_SOURCE_MAPS, id);
  model_map_t *m = NULL;
  model_error_t e;
  int rc = model_map_load_file(path, &m, &e);
  if (rc)
    fail_msg("%s:%d:%d: %s (%s)", e.file, e.line, e.column, e.message,
             model_strerror(rc));
  return m;
}

uint64_t play_agent_seed(uint64_t game_seed, size_t seat) {
  return game_seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(seat + 1));
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t play_digest_orders(uint64_t h, const model_order_t *o, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const model_order_t *x = &o[i];
    int64_t v[22] = {x->op,
                     x->stage,
                     x->product,
                     x->skill,
                     x->capacity_kg_per_year,
                     x->utilisation_ppm,
                     x->count,
                     x->quantity_kg,
                     x->price_cents_per_kg,
                     x->kind,
                     x->lift,
                     x->rate_ppm,
                     x->approval_ppm,
                     x->capex_share_ppm,
                     x->output_cents_per_kg,
                     x->target_kg,
                     x->budget_cents,
                     x->inbound,
                     x->outbound,
                     x->speed_ppm,
                     0,
                     0};
    h = fnv(h, v, sizeof v);
    h = fnv(h, x->facility, strnlen(x->facility, sizeof x->facility));
    h = fnv(h, x->site, strnlen(x->site, sizeof x->site));
    h = fnv(h, x->partner, strnlen(x->partner, sizeof x->partner));
    /* issue 11's fields, only where an order has them (so the digests of
     * games without them stay as recorded) */
    int64_t w[6] = {x->amount_cents,         x->stake_ppm, x->turns, x->grace,
                    x->penalty_cents_per_kg, x->two_sided};
    bool more = x->firm[0] || x->contract[0] || x->seat[0] || x->choice[0] ||
                x->host[0];
    for (int k = 0; k < 6; k++)
      more |= w[k] != 0;
    if (more) {
      h = fnv(h, w, sizeof w);
      h = fnv(h, x->firm, strnlen(x->firm, sizeof x->firm));
      h = fnv(h, x->contract, strnlen(x->contract, sizeof x->contract));
      h = fnv(h, x->seat, strnlen(x->seat, sizeof x->seat));
      h = fnv(h, x->choice, strnlen(x->choice, sizeof x->choice));
      h = fnv(h, x->host, strnlen(x->host, sizeof x->host));
    }
    if (x->consume) /* added later: only orders with it hash it */
      h = fnv(h, "consume", 7);
  }
  return h;
}

static void note(play_result_t *res, const char *fmt, ...) {
  if (res->first[0])
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->first, sizeof res->first, fmt, ap);
  va_end(ap);
}

int play_game(const model_map_t *map, uint64_t seed,
              const agent_strategy_t *const *strat, play_result_t *res) {
  int64_t *scores = res->scores;
  void (*after)(const model_state_t *, void *) = res->after_turn;
  void *ctx = res->ctx;
  bool seatless_agents = res->seatless_agents;
  memset(res, 0, sizeof *res);
  res->scores = scores;
  res->after_turn = after;
  res->ctx = ctx;
  res->seatless_agents = seatless_agents;
  res->orders_digest = 0xcbf29ce484222325ULL;
  size_t S = model_map_seat_count(map);
  agent_t **agents = calloc(S, sizeof *agents);
  model_order_t *orders = calloc(MODEL_ORDERS_MAX, sizeof *orders);
  model_refusal_t *refusals = calloc(MODEL_ORDERS_MAX, sizeof *refusals);
  model_state_t *st = NULL;
  int rc = MODEL_ENOMEM;
  if (!agents || !orders || !refusals)
    goto out;
  /* A seatless seat (issue 11) plays its standing orders whatever strat
   * says: a session puts no agent on it. */
  for (size_t i = 0; i < S; i++)
    if (strat[i] && (seatless_agents || !model_map_seat_seatless(map, i)) &&
        !(agents[i] = agent_new(strat[i], play_agent_seed(seed, i))))
      goto out;
  if ((rc = model_state_new(map, seed, &st)))
    goto out;
  while (model_state_turn(st) < model_state_turns(st)) {
    int turn = model_state_turn(st);
    for (size_t i = 0; i < S; i++) {
      if (!agents[i])
        continue;
      model_obs_t *obs = NULL;
      if ((rc = model_observe(st, (int)i, &obs)))
        goto out;
      size_t n = 0;
      int arc = agent_act(agents[i], obs, orders, MODEL_ORDERS_MAX, &n);
      model_obs_free(obs);
      if (arc != 0 || n > MODEL_ORDERS_MAX) {
        res->failures++;
        note(res, "%s turn %d: agent %s on seat %s failed (%d)",
             model_map_id(map), turn, strat[i]->id, model_map_seat_id(map, i),
             arc);
        continue;
      }
      res->orders += n;
      res->orders_digest = play_digest_orders(res->orders_digest, orders, n);
      if (n == 0)
        continue;
      size_t bad = 0;
      if ((rc = model_validate(st, (int)i, orders, n, refusals,
                               MODEL_ORDERS_MAX, &bad)))
        goto out;
      /* A subsidised build the host nation cannot fund this turn is
       * refused for the host's money, which is private to the nation's
       * seat (docs/protocol.md "The observation"): no firm can foresee
       * it, so it is counted apart. Every other refusal is the agent's. */
      size_t unforeseeable = 0;
      for (size_t k = 0; k < bad && k < MODEL_ORDERS_MAX; k++)
        unforeseeable +=
            strstr(refusals[k].message, "capex subsidy on this build") != NULL;
      res->host_unfunded += unforeseeable;
      if (bad > unforeseeable) {
        res->refused += bad - unforeseeable;
        size_t first = 0;
        while (strstr(refusals[first].message, "capex subsidy on this build"))
          first++;
        const model_order_t *o = &orders[refusals[first].index];
        note(res,
             "%s seed %llu turn %d: %s on seat %s: order %zu (%s) refused: "
             "%s: %s",
             model_map_id(map), (unsigned long long)seed, turn, strat[i]->id,
             model_map_seat_id(map, i), refusals[first].index,
             model_op_name((int)o->op), refusals[first].field,
             refusals[first].message);
      }
      if ((rc = model_submit(st, (int)i, orders, n, NULL, 0, NULL)))
        goto out;
    }
    if ((rc = model_resolve(st)))
      goto out;
    if (after)
      after(st, ctx);
    const model_report_t *rep = model_last_report(st);
    for (size_t k = 0; k < rep->n_late_refusals; k++) {
      int seat = rep->late_refusal_seat[k];
      if (seat < 0 || (size_t)seat >= S || !agents[seat])
        continue; /* a seat no agent plays */
      res->late_refused++;
      note(res, "%s seed %llu turn %d: %s on seat %s: late refusal: %s: %s",
           model_map_id(map), (unsigned long long)seed, turn, strat[seat]->id,
           model_map_seat_id(map, (size_t)seat), rep->late_refusals[k].field,
           rep->late_refusals[k].message);
    }
  }
  if (res->scores) {
    const model_report_t *rep = model_last_report(st);
    for (size_t i = 0; i < S; i++)
      res->scores[i] = rep->scores[i];
  }
  rc = model_state_hash(st, res->hash);
out:
  model_state_free(st);
  if (agents)
    for (size_t i = 0; i < S; i++)
      agent_free(agents[i]);
  free(agents);
  free(orders);
  free(refusals);
  return rc;
}
