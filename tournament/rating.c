/*
 * Weng-Lin Plackett-Luce ratings (rating.h). The steps follow openskill's
 * PlackettLuce.rate and PlackettLuce._compute (openskill.py,
 * openskill/models/weng_lin/plackett_luce.py) one for one, so the results
 * agree with its published test data to rounding; the comments give the
 * paper's names (Weng and Lin 2011, Algorithm 4).
 */
#include "rating.h"

#include <math.h>
#include <stdlib.h>

rating_model_t rating_model_default(void) {
  return (rating_model_t){.mu = 25.0,
                          .sigma = 25.0 / 3.0,
                          .beta = 25.0 / 6.0,
                          .kappa = 0.0001,
                          .tau = 25.0 / 300.0,
                          .limit_sigma = false};
}

rating_t rating_new(const rating_model_t *m) {
  return (rating_t){m->mu, m->sigma};
}

double rating_ordinal(rating_t r, double z) {
  return r.mu - z * r.sigma;
}

/* One team, in the order of places. */
typedef struct {
  size_t index; /* the caller's team number */
  size_t first; /* its first player in the caller's array */
  double rank;
  size_t place;      /* sorted position of the first team tied with it */
  double mu, sigma2; /* sums over the players (after tau) */
  double e;          /* exp((mu - max mu) / c) */
  double sum_q;      /* sum of e over teams placed here or lower */
  double a;          /* teams tied at this place */
} team_t;

/* A stable sort by rank: teams with equal ranks keep the caller's order,
 * as Python's list.sort does in openskill's _unwind. Insertion sort: games
 * have a handful of teams. */
static void sort_by_rank(team_t *t, size_t n) {
  for (size_t i = 1; i < n; i++) {
    team_t x = t[i];
    size_t j = i;
    while (j > 0 && t[j - 1].rank > x.rank) {
      t[j] = t[j - 1];
      j--;
    }
    t[j] = x;
  }
}

int rating_rate(const rating_model_t *m, rating_t *players,
                const size_t *team_size, size_t n_teams, const double *ranks) {
  if (!m || !players || !team_size || !ranks || n_teams < 2)
    return -1;
  for (size_t i = 0; i < n_teams; i++)
    if (team_size[i] == 0 || isnan(ranks[i]))
      return -1;
  team_t *t = calloc(n_teams, sizeof *t);
  if (!t)
    return -2;

  size_t n_players = 0;
  for (size_t i = 0; i < n_teams; i++) {
    t[i].index = i;
    t[i].first = n_players;
    t[i].rank = ranks[i];
    n_players += team_size[i];
  }
  /* limit_sigma compares with the sigmas from before tau was added. */
  double *orig = NULL;
  if (m->limit_sigma) {
    orig = malloc(n_players * sizeof *orig);
    if (!orig) {
      free(t);
      return -2;
    }
    for (size_t p = 0; p < n_players; p++)
      orig[p] = players[p].sigma;
  }

  /* Additive dynamics: sigma grows by tau (in quadrature) before the game. */
  double tau2 = m->tau * m->tau;
  for (size_t p = 0; p < n_players; p++)
    players[p].sigma = sqrt(players[p].sigma * players[p].sigma + tau2);

  sort_by_rank(t, n_teams);

  /* Team strengths and c^2 = sum over teams of (sigma_q^2 + beta^2). */
  double c2 = 0, max_mu = -INFINITY;
  for (size_t k = 0; k < n_teams; k++) {
    const rating_t *r = &players[t[k].first];
    for (size_t j = 0; j < team_size[t[k].index]; j++) {
      t[k].mu += r[j].mu;
      t[k].sigma2 += r[j].sigma * r[j].sigma;
    }
    t[k].place = (k > 0 && t[k - 1].rank == t[k].rank) ? t[k - 1].place : k;
    c2 += t[k].sigma2 + m->beta * m->beta;
    if (t[k].mu > max_mu)
      max_mu = t[k].mu;
  }
  double c = sqrt(c2);
  /* exp(mu/c) only ever appears in ratios, so shifting every exponent by
   * the largest keeps them finite without changing a result. */
  for (size_t k = 0; k < n_teams; k++)
    t[k].e = exp((t[k].mu - max_mu) / c);
  /* sum_q: the teams still in the running when q's place is decided
   * (C_q = {i : r(i) >= r(q)}); A_q: the teams tied at q's place. */
  for (size_t q = 0; q < n_teams; q++)
    for (size_t i = 0; i < n_teams; i++) {
      if (t[i].place >= t[q].place)
        t[q].sum_q += t[i].e;
      if (t[i].place == t[q].place)
        t[q].a += 1;
    }

  for (size_t i = 0; i < n_teams; i++) {
    double omega = 0, delta = 0;
    for (size_t q = 0; q < n_teams; q++) {
      if (t[q].place > t[i].place)
        continue;
      double p = t[i].e / t[q].sum_q; /* P(i wins among C_q) */
      delta += p * (1 - p) / t[q].a;
      omega += (q == i ? 1 - p : -p) / t[q].a;
    }
    omega *= t[i].sigma2 / c;
    delta *= t[i].sigma2 / c2;
    delta *= sqrt(t[i].sigma2) / c; /* gamma, openskill's default */
    rating_t *r = &players[t[i].first];
    for (size_t j = 0; j < team_size[t[i].index]; j++) {
      double share = r[j].sigma * r[j].sigma / t[i].sigma2;
      r[j].mu += share * omega;
      double f = 1 - share * delta;
      r[j].sigma *= sqrt(f > m->kappa ? f : m->kappa);
    }
  }

  if (orig) {
    for (size_t p = 0; p < n_players; p++)
      if (players[p].sigma > orig[p])
        players[p].sigma = orig[p];
    free(orig);
  }
  free(t);
  return 0;
}
