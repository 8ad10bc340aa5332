/* story.h: shared by the calibration and story tests of the shipped maps
 * (test_world2024, test_race2028, test_v2_story): the check that every
 * figure of a map names a source, world-2024 loaded with edits, report
 * readings, the test strategies that build orders against the public
 * observation, and the money-limit check. Needs jansson. */
#ifndef LANTHANIDE_TEST_MODEL_STORY_H
#define LANTHANIDE_TEST_MODEL_STORY_H

#include "model.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- maps ---- */

/* Checks maps/<id>.json: every numeric figure is {"value", "source"} or
 * {"value", "assumption"} (a sentence), every source key is in the
 * top-level "sources" table, every source is named S<n> or R<n> and has a
 * publisher, a title and a url, and "turns" is a bare integer; prints the
 * counts and fails the test on any problem or on 300 figures or fewer.
 * Returns the parsed file for further checks; the caller json_decref()s
 * it. */
json_t *story_check_sourced(const char *id);

/* Loads maps/world-2024.json after `edit` (NULL: none) changed its JSON,
 * as the map "world-2024*"; fails the test on error. The caller frees the
 * map. */
model_map_t *story_load_world(void (*edit)(json_t *root));

/* The index of nation `id` in `m`; fails the test if there is none. */
int story_nation(const model_map_t *m, const char *id);

/* A stage's output share of one nation in the report, in percent. */
double story_share(const model_report_t *r, int stage, int nation);

/* The median of v[0..n), n > 0 (v is not changed). */
double story_median(const double *v, size_t n);

/* The Dy/Tb basket price outside China (the cheapest of Japan, the EU and
 * the USA) over China's in the turn st resolved last (turn t of seed
 * `seed`); *cn and *lo get the two prices in $/kg. From turn 2 of a
 * sustained licence on (t >= 2) it fails the test outside 0.9 to 10. */
double story_dytb_ratio(const model_state_t *st, uint64_t seed, int t,
                        double *cn, double *lo);
/* The same for any product (design J1: dy_oxide and tb_oxide on split
 * maps). */
double story_heavy_ratio(const model_state_t *st, int product, uint64_t seed,
                         int t, double *cn, double *lo);

/* Fills `ev` with China's Dy/Tb export licences at 26% of exports (S69,
 * S70) on the exports basis, for model_inject_event at `turn`. */
void story_licence_event(model_event_t *ev, int turn);
/* The same licence on `product` (split maps: one on dy_oxide, one on
 * tb_oxide). */
void story_licence_event_on(model_event_t *ev, int turn, int product);

/* Plays a whole game of map `id` (which must have `turns` turns), seed 1,
 * under standing orders: the invariants after every turn, every price
 * positive and below MODEL_PRICE_MAX_CENTS, then MODEL_EFINISHED. */
void story_whole_game(const char *id, int turns);

/* Fails the test if any holder is below its money limit after turn `t`. */
void story_check_limits(const model_state_t *st, uint64_t seed, int t);

/* ---- orders, as test strategies build them ---- */

typedef struct {
  model_order_t o[MODEL_ORDERS_MAX];
  size_t n;
} story_batch_t;

/* Appends a zeroed order of `op` (fails the test when the batch is full). */
model_order_t *story_push(story_batch_t *b, model_op_t op);
/* Appends a policy of kind `k`, its stage, product and skill at -1. */
model_order_t *story_policy(story_batch_t *b, model_policy_kind_t k);

/* The US government of design 5.1: every lever at its limit for every
 * stage (subsidies, permitting, talent programmes, migration, all the
 * training it may), and half of what it may still spend granted to
 * `firms` in equal parts (at most $1e12 each). */
void story_spender(const model_state_t *st, int seat, const char *const *firms,
                   size_t n_firms, story_batch_t *b);

/* A US firm that builds, hires, poaches, trains and runs everything it
 * can: ten new magnet plants, every plant at full use and expanded as far
 * as a brownfield expansion may, hires from home and every other nation,
 * apprentices, the oxide its plants use at $500/kg, offers of every
 * product. */
void story_rush(const model_state_t *st, int seat, story_batch_t *b);

/* The US levers of design 5.2's moderate plan: half of new magnet and
 * separation capex, magnet and separation talent programmes of $15 M and
 * $6 M a turn. */
void story_moderate_us(story_batch_t *b);

/* MP in design 5.2's moderate plan, from its observation: bids for the
 * oxide its magnet plants use at full output (NdPr $150/kg, the Dy/Tb
 * basket $800/kg), and staff for its magnet plants from six turns before
 * they open (hires, then training, then apprentices). */
void story_moderate_mp_supply(const model_obs_t *obs, story_batch_t *b);

#endif
