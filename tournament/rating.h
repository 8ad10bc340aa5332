/*
 * rating: multi-player skill ratings for tournament leaderboards.
 *
 * The method is Weng and Lin's Bayesian approximation with the
 * Plackett-Luce model ("A Bayesian Approximation Method for Online Ranking",
 * JMLR 12, 2011, Algorithm 4), exactly as the openskill Python package
 * implements it (openskill.models.weng_lin.PlackettLuce): the same default
 * parameters, the same treatment of ties and of the additive dynamics tau.
 * A rating is a Gaussian belief N(mu, sigma^2) about a player's skill; a
 * game between any number of teams (of one or more players) ranked with
 * ties moves every player's mu towards the outcome and shrinks sigma.
 * tests/tournament/test_rating.c checks it against the numbers published
 * in openskill's own tests.
 *
 * Doubles throughout: ratings are a summary for people, not part of the
 * deterministic game state, and a given sequence of games rates the same
 * on every run of one build.
 *
 * No allocation beyond rating_rate's scratch space; nothing global.
 */
#ifndef LANTHANIDE_RATING_H
#define LANTHANIDE_RATING_H

#include <stdbool.h>
#include <stddef.h>

/* One player's belief. */
typedef struct {
  double mu;
  double sigma;
} rating_t;

/* The model's parameters (openskill's names). */
typedef struct {
  double mu;        /* a new player's mu */
  double sigma;     /* a new player's sigma */
  double beta;      /* performance noise around skill */
  double kappa;     /* floor of the variance shrink factor */
  double tau;       /* added to sigma (in quadrature) before every game, so
                       sigma never reaches zero and ratings can follow a
                       player that changes; 0 for none */
  bool limit_sigma; /* never let a game raise a player's sigma */
} rating_model_t;

/* openskill's PlackettLuce defaults: mu 25, sigma 25/3, beta 25/6,
 * kappa 0.0001, tau 25/300, limit_sigma off. */
rating_model_t rating_model_default(void);

/* A new player's rating. */
rating_t rating_new(const rating_model_t *m);

/* The conservative estimate mu - z * sigma (openskill's ordinal; the
 * leaderboard uses z = 3, as Halite did with TrueSkill). */
double rating_ordinal(rating_t r, double z);

/* Rate one game. players holds every team's players one team after another
 * (team t has team_size[t] players); ranks[t] is team t's place, lower is
 * better and equal values are ties (any real numbers: 1, 2, 2, 4 or
 * 0.5, 0.7, 0.7, ...). Updates players in place. Needs at least two teams
 * of at least one player each. Returns 0, -1 for bad arguments (nothing
 * changed) or -2 when out of memory (nothing changed). */
int rating_rate(const rating_model_t *m, rating_t *players,
                const size_t *team_size, size_t n_teams, const double *ranks);

#endif
