/*
 * proto_types: the typed messages of the game on the wire (PROTOCOL.md
 * "Orders", "The observation", "Notifications"): order maps to and from the
 * model's model_order_t, and observations and turn summaries packed from the
 * model's structs.
 *
 * This is the one place that converts between wire units (tonnes, USD,
 * USD/kg, fractions, as MessagePack numbers) and the model's exact integers
 * (kg, cents, cents/kg, ppm), so the server, the CLI, the built-in agents
 * and the tests all agree on them.
 *
 * Ownership: nothing is kept; packers write into the caller's packer.
 */
#ifndef LANTHANIDE_PROTO_TYPES_H
#define LANTHANIDE_PROTO_TYPES_H

#include <msgpack.h>

#include "model.h"
#include "proto.h"

/*
 * Parse one order map ({"op": ..., fields}) into *out. Returns 0, or -1 with
 * r filled (r->index is left to the caller): the field at fault and a
 * message saying what is allowed, e.g. "field 'utilisation' must be a
 * number from 0 to 1, got 1.5". Unknown keys are ignored (PROTOCOL.md).
 * The order's meaning (does the facility exist, is the seat allowed) is the
 * model's to check; this checks shape, types and units only.
 */
int proto_order_parse(const msgpack_object *o, model_order_t *out,
                      model_refusal_t *r);

/* Pack one order as its wire map (the inverse of proto_order_parse). */
int proto_pack_order(msgpack_packer *pk, const model_order_t *o);

/* The JSON Schema (draft 2020-12) of one order map, as a MessagePack map
 * that mirrors it key for key (the result's `schema` of orders.schema),
 * generated from the model's order schema table. */
int proto_pack_order_schema(msgpack_packer *pk);

/* The JSON Schema (draft 2020-12) of an observation, the result of
 * state.get, as a MessagePack map that mirrors docs/observation.schema.json
 * key for key (the result's `schema` of observation.schema). */
int proto_pack_observation_schema(msgpack_packer *pk);

/* The observation's body: packs exactly PROTO_OBS_PAIRS key/value pairs
 * (seat, kind, turn, turns, you, market, public) into a map whose header
 * the caller wrote, so the session layer can add its own pairs (session,
 * status, deadline_ms, remaining_ms) to the same map. */
#define PROTO_OBS_PAIRS 8
int proto_pack_obs_pairs(msgpack_packer *pk, const model_obs_t *obs);
/* The same pairs in two parts, for a caller that packs many seats'
 * observations of one state (the in-process environment): the seat's own
 * (seat, kind, nation, turn, turns, you) and the shared ones (market,
 * public), whose bytes are the same for every seat of a state with the same
 * home nation (public.rules carries the home nation's wages).
 * proto_pack_obs_pairs is the one, then the other. */
#define PROTO_OBS_SEAT_PAIRS   6
#define PROTO_OBS_SHARED_PAIRS 2
int proto_pack_obs_seat_pairs(msgpack_packer *pk, const model_obs_t *obs);
int proto_pack_obs_shared_pairs(msgpack_packer *pk, const model_obs_t *obs);
/* The observation's `public` map alone (the value, no key): the `truth`
 * of the control cell's state.get, packed from model_observe_truth. */
int proto_pack_obs_public(msgpack_packer *pk, const model_obs_t *obs);

/*
 * The inverse: rebuild a model_obs_t from a state.get result, so a bot
 * that plays over the network (lanthanide bot) hands its agent exactly the
 * struct a built-in agent gets in the server. Returns 0 and a new
 * observation (free with model_obs_free), or -1 with err filled when the
 * map is not an observation.
 */
int proto_obs_parse(const msgpack_object *o, model_obs_t **out,
                    proto_error_t *err);

/* The summary of a resolved turn, as turn.resolved and history.get carry
 * it: packs PROTO_SUMMARY_PAIRS pairs: prices (product -> USD/kg), regional
 * (product -> nation -> USD/kg), production (stage -> nation -> t),
 * scores (array of {seat, score}), events (array of news). */
#define PROTO_SUMMARY_PAIRS 5
int proto_pack_summary_pairs(msgpack_packer *pk, const model_map_t *map,
                             const model_report_t *rep);

/* Pack one contract or proposal (issue 11) as the observation's "you"
 * carries it: {id, proposer, seller, buyer, product, status, expires,
 * turns_left, quantity, price, penalty, delivered, shortfall, excused,
 * penalty_paid, delivered_total}. */
int proto_pack_contract(msgpack_packer *pk, const model_obs_contract_t *c);

/* Pack one news item / event as {kind, turn, text[, nation, ...]}. */
int proto_pack_event(msgpack_packer *pk, const model_event_t *ev);

/* A score in ppm of the seat's objectives as the wire's fraction. */
double proto_score(int64_t score_ppm);

#endif
