/*
 * The tournament's schedule (tournament.h): the seeds of every game and
 * agent, and the rotation that seats the strategies game by game.
 */
#include "tournament_internal.h"

#define GOLDEN 0x9e3779b97f4a7c15ULL
#define KINDS  2 /* MODEL_SEAT_NATION, MODEL_SEAT_FIRM */

/* ---- Seeds ---- */

/* The splitmix64 finaliser: a bijection on 64 bits that spreads every input
 * bit over the output, so neighbouring game indices get unrelated seeds. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t tour_game_seed(uint64_t tournament_seed, uint64_t game) {
  return mix64(tournament_seed + GOLDEN * (game + 1)) >> 1;
}

uint64_t tour_agent_seed(uint64_t game_seed, size_t seat) {
  /* Must stay equal to server/sess.c's sess_agent_seed, so that a session
   * created with a game's seed replays it with the same agent decisions. */
  return game_seed ^ (GOLDEN * (uint64_t)(seat + 1));
}

/* ---- The rotation ---- */

struct tour_plan {
  const model_map_t *map;
  const agent_strategy_t *const *strategies;
  size_t n_strategies;
  size_t n_seats;
  int *kind;   /* [seat] */
  size_t *pos; /* [seat]: its place among the seats of its kind */
  size_t n_elig[KINDS];
  int elig[KINDS][TOUR_STRATEGIES_MAX];
  uint64_t div[KINDS]; /* the kind's offset turns every div games */
  uint64_t cycle;
};

int tour_plan_new(const model_map_t *map,
                  const agent_strategy_t *const *strategies,
                  size_t n_strategies, tour_plan_t **out, char *err,
                  size_t errlen) {
  *out = NULL;
  if (!map || !strategies || n_strategies == 0) {
    tour_set_err(err, errlen,
                 "a tournament needs a map and one strategy or more");
    return TOUR_EINVAL;
  }
  if (n_strategies > TOUR_STRATEGIES_MAX) {
    tour_set_err(err, errlen, "at most %d strategies in a tournament (got %zu)",
                 TOUR_STRATEGIES_MAX, n_strategies);
    return TOUR_EINVAL;
  }
  for (size_t i = 0; i < n_strategies; i++) {
    if (!strategies[i] || !strategies[i]->id ||
        strlen(strategies[i]->id) >= MODEL_ID_MAX ||
        strchr(strategies[i]->id, ',')) {
      tour_set_err(err, errlen, "strategy %zu has no usable id", i + 1);
      return TOUR_EINVAL;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(strategies[i]->id, strategies[j]->id) == 0) {
        tour_set_err(err, errlen,
                     "strategy '%s' is listed twice; list each strategy once "
                     "(the rotation gives it every seat)",
                     strategies[i]->id);
        return TOUR_EINVAL;
      }
  }
  size_t n_seats = model_map_seat_count(map);
  tour_plan_t *p = calloc(1, sizeof *p);
  if (!p)
    return TOUR_ENOMEM;
  p->kind = calloc(n_seats ? n_seats : 1, sizeof *p->kind);
  p->pos = calloc(n_seats ? n_seats : 1, sizeof *p->pos);
  if (!p->kind || !p->pos) {
    tour_plan_free(p);
    return TOUR_ENOMEM;
  }
  p->map = map;
  p->strategies = strategies;
  p->n_strategies = n_strategies;
  p->n_seats = n_seats;
  size_t count[KINDS] = {0, 0};
  for (size_t s = 0; s < n_seats; s++) {
    int k = model_map_seat_kind(map, s);
    if (k < 0 || k >= KINDS) {
      tour_set_err(err, errlen, "seat %zu of the map has an unknown kind", s);
      tour_plan_free(p);
      return TOUR_EINVAL;
    }
    /* A seatless firm (issue 11) is never dealt a strategy: it plays its
     * standing orders, as a filler, off the leaderboard. */
    if (model_map_seat_seatless(map, s)) {
      p->kind[s] = -1;
      continue;
    }
    p->kind[s] = k;
    p->pos[s] = count[k]++;
  }
  for (int k = 0; k < KINDS; k++)
    for (size_t i = 0; i < n_strategies; i++)
      if (agent_strategy_plays(strategies[i], k))
        p->elig[k][p->n_elig[k]++] = (int)i;
  for (size_t i = 0; i < n_strategies; i++) {
    bool plays = false;
    for (int k = 0; k < KINDS; k++)
      plays |= count[k] > 0 && agent_strategy_plays(strategies[i], k);
    if (!plays) {
      bool nat = agent_strategy_plays(strategies[i], MODEL_SEAT_NATION);
      bool firm = agent_strategy_plays(strategies[i], MODEL_SEAT_FIRM);
      tour_set_err(
          err, errlen,
          "strategy '%s' can play no seat of map '%s' (it plays %s; the "
          "map has %zu nation and %zu firm seats)",
          strategies[i]->id, model_map_id(map),
          nat && firm ? "every seat"
          : nat       ? "nation seats"
          : firm      ? "firm seats"
                      : "no seat",
          count[MODEL_SEAT_NATION], count[MODEL_SEAT_FIRM]);
      tour_plan_free(p);
      return TOUR_EINVAL;
    }
  }
  /* A mixed-radix counter over the kinds: nations turn every game, firms
   * every E_n games, so one cycle holds every pair of offsets once. */
  p->cycle = 1;
  for (int k = 0; k < KINDS; k++) {
    p->div[k] = p->cycle;
    if (count[k] > 0 && p->n_elig[k] > 0)
      p->cycle *= p->n_elig[k];
  }
  *out = p;
  return 0;
}

void tour_plan_free(tour_plan_t *p) {
  if (!p)
    return;
  free(p->kind);
  free(p->pos);
  free(p);
}

uint64_t tour_plan_cycle(const tour_plan_t *p) {
  return p->cycle;
}

int tour_plan_seat(const tour_plan_t *p, uint64_t game, size_t seat) {
  if (seat >= p->n_seats)
    return -1;
  int k = p->kind[seat];
  if (k < 0) /* seatless */
    return -1;
  size_t e = p->n_elig[k];
  if (e == 0)
    return -1;
  uint64_t offset = (game / p->div[k]) % e;
  return p->elig[k][(p->pos[seat] + offset) % e];
}
