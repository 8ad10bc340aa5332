/* helpers.h: shared by the model tests: loading shipped maps and checking
 * DOMAIN.md's invariants after a turn. */
#ifndef LANTHANIDE_TEST_MODEL_HELPERS_H
#define LANTHANIDE_TEST_MODEL_HELPERS_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The maps shipped in maps/. Every one must be there: a missing map fails
 * the test that asked for it, naming the file. */
extern const char *const helper_maps[];
extern const size_t helper_n_maps;

/* Loads maps/<id>.json from the source tree; fails the test on error,
 * a missing file included. */
model_map_t *helper_load(const char *id);

/* Checks material balance (per holder and world), money balance (per
 * holder, and world against sources and sinks) and market sanity (floors,
 * bids, quotas and bans, no arbitrage beyond tariff plus transport on free
 * arcs). `where` names the map and turn in failure messages. */
void helper_check_invariants(const model_state_t *st,
                             const int64_t *money_before, const char *where);
/* Total money of all holders (before a turn, for the world balance). */
int64_t helper_money_total(const model_state_t *st);
/* Resolves a turn of st (failing the test unless model_resolve returns 0)
 * and checks the invariants after it; `where` as in
 * helper_check_invariants. */
void helper_resolve(model_state_t *st, const char *where);
/* helper_resolve naming the turn, and no order refused late. */
void helper_resolve_clean(model_state_t *st);
/* Expects order o of seat s refused on `field`, with `words` in the
 * message. */
void helper_refused(model_state_t *st, int s, model_order_t o,
                    const char *field, const char *words);

/* The index of seat `id` in `m`; fails the test if there is none. */
int helper_seat(const model_map_t *m, const char *id);
/* A zeroed order of `op` with its stage, product and skill at -1. */
model_order_t helper_order(model_op_t op);
/* Submits one order for seat `s` and fails the test, naming the field and
 * the reason, if it is refused. */
void helper_submit1(model_state_t *st, int s, model_order_t o);

/* A small deterministic generator for property tests (xorshift64*). */
uint64_t helper_rand(uint64_t *s);
int64_t helper_range(uint64_t *s, int64_t lo, int64_t hi); /* [lo, hi] */

#endif
