/*
 * lan_env.h: the C API of liblanthanide.so, the industry model as a
 * library for in-process play (docs/env.md). It is what
 * clients/python/lanthanide_env.py drives through ctypes, and it is small
 * on purpose: load a map, start a game with a seed, observe a seat, submit
 * a seat's orders, resolve a turn, read scores and the state hash, clone,
 * free. Observations and orders cross the boundary as MessagePack, in
 * exactly the shapes of the wire protocol (state.get's result, an
 * orders.submit `orders` array and its `rejected` answer), packed and
 * parsed by the protocol layer the server uses, so a game played here and
 * the same game played on a server agree bit for bit.
 *
 * A flat numeric view serves learning code that needs arrays: a
 * fixed-length vector of a seat's observation (lan_flat_*) and a discrete
 * catalogue of single orders with a legal-action mask (lan_action_*).
 *
 * Ownership: a lan_map_t comes from lan_map_load and is freed with
 * lan_map_free after every game made from it; a lan_game_t comes from
 * lan_game_new or lan_game_clone and is freed with lan_game_free. Buffers
 * returned through uint8_t ** are malloc'd; free them with lan_free.
 * Functions return 0 or a negative code (lan_strerror names it); the
 * ones that take err write a sentence there on failure. Nothing keeps
 * global state; one game must not be used from two threads at once.
 */
#ifndef LANTHANIDE_LAN_ENV_H
#define LANTHANIDE_LAN_ENV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAN_ENV_API_VERSION 1
/* Facility slots of the flat observation and of the action catalogue: a
 * seat's first LAN_FLAT_FACILITIES facilities, in observation order. */
#define LAN_FLAT_FACILITIES 16

typedef struct lan_map lan_map_t;
typedef struct lan_game lan_game_t;

/* The API version this library implements (LAN_ENV_API_VERSION). */
int lan_api_version(void);
/* The model's error codes (model.h) and this: */
#define LAN_ENV_EBADORDERS (-100) /* the orders are not a MessagePack array */
/* A sentence for an error code. Never NULL. */
const char *lan_strerror(int err);
void lan_free(void *p);

/* A map from a file path, or from an id looked up as DIR/ID.json in
 * maps_dir (NULL: the source tree's maps/). */
int lan_map_load(const char *map, const char *maps_dir, lan_map_t **out,
                 char *err, size_t errlen);
void lan_map_free(lan_map_t *m);
const char *lan_map_id(const lan_map_t *m);
int lan_map_turns(const lan_map_t *m);
int lan_map_seat_count(const lan_map_t *m);
/* Seat i's id; NULL out of range. */
const char *lan_map_seat_id(const lan_map_t *m, int i);
/* 0 nation, 1 firm, -1 out of range. */
int lan_map_seat_kind(const lan_map_t *m, int i);

/* A new game at turn 0. turns 0 plays the map's turns; fewer ends the game
 * earlier, as session.create's `turns` does. */
int lan_game_new(const lan_map_t *m, uint64_t seed, int turns, lan_game_t **out,
                 char *err, size_t errlen);
int lan_game_clone(const lan_game_t *g, lan_game_t **out);
void lan_game_free(lan_game_t *g);
/* The turn open for orders, the game's turns, and whether it is over
 * (turn == turns). */
int lan_game_turn(const lan_game_t *g);
int lan_game_turns(const lan_game_t *g);
int lan_game_finished(const lan_game_t *g);

/* Seat's observation as state.get answers it (a MessagePack map: session
 * "env", status, deadline_ms and remaining_ms nil, then the observation's
 * keys). *buf is malloc'd (lan_free). */
int lan_game_observe(const lan_game_t *g, int seat, uint8_t **buf, size_t *len);
/* Every seat's observation in one call (what a step needs): the maps of
 * lan_game_observe one after another in *buf (malloc'd, lan_free); seat
 * i's are bytes offsets[i] to offsets[i + 1] (offsets holds seat count + 1
 * entries). */
int lan_game_observe_all(const lan_game_t *g, uint8_t **buf, size_t *len,
                         size_t *offsets);
/* Submit seat's orders for the open turn: orders is a MessagePack array of
 * order maps, exactly orders.submit's `orders`. Replaces an earlier
 * submission this turn; an empty array keeps the standing orders. *rejected
 * (malloc'd, lan_free) is orders.submit's `rejected` array; *n_rejected
 * counts its entries. */
int lan_game_submit(lan_game_t *g, int seat, const uint8_t *orders, size_t len,
                    uint8_t **rejected, size_t *rejected_len, int *n_rejected);
/* Resolve the open turn (every seat without a submission plays its
 * standing orders). On failure the game is as it was (model_resolve). */
int lan_game_resolve(lan_game_t *g, char *err, size_t errlen);
/* Seat's score after the last resolved turn, in parts per million of its
 * objectives (0 before the first turn); the wire's score is this / 1e6. */
int64_t lan_game_score_ppm(const lan_game_t *g, int seat);
/* The BLAKE2b-256 state hash (the server stores the same per turn). */
int lan_game_hash(const lan_game_t *g, uint8_t out[32]);
/* turn.resolved's summary of the last resolved turn (a MessagePack map:
 * turn, prices, regional, production, scores, events). */
int lan_game_summary(const lan_game_t *g, uint8_t **buf, size_t *len);

/* state.describe's briefing of seat (a UTF-8 text, malloc'd, lan_free): what
 * changed, the position, what the seat can order and what it costs, what
 * its score rewards. */
int lan_game_describe(const lan_game_t *g, int seat, char **text, size_t *len);

/* ---- The flat view ---- */
/* The vector's length, the same for every seat of a map. */
size_t lan_flat_len(const lan_map_t *m);
/* Writes feature i's name ("cash", "inventory.magnet", ...) into buf. */
int lan_flat_name(const lan_map_t *m, size_t i, char *buf, size_t cap);
/* Seat's observation as lan_flat_len numbers in wire units. */
int lan_flat_observe(const lan_game_t *g, int seat, double *out, size_t cap);

/* The action catalogue: index 0 keeps the standing orders; every other
 * index is one order built from the seat's observation (run facility slot
 * k at 0, 50% or 100%; offer a product's stock at 90%, 100% or 110% of the
 * home price; withdraw an offer; ban or free a product's exports; a tariff
 * of 0, 10% or 25% on a product). The same size for every seat. */
size_t lan_action_count(const lan_map_t *m);
int lan_action_name(const lan_map_t *m, size_t i, char *buf, size_t cap);
/* mask[i] = 1 where action i is legal for seat now (the model accepts its
 * order), else 0; cap >= lan_action_count. */
int lan_action_mask(const lan_game_t *g, int seat, uint8_t *mask, size_t cap);
/* The orders of actions idx[0..n) for seat, as a MessagePack array of
 * order maps (malloc'd, lan_free), ready for lan_game_submit. Illegal
 * actions are left out; index 0 adds nothing. */
int lan_action_orders(const lan_game_t *g, int seat, const int32_t *idx,
                      size_t n, uint8_t **buf, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
