/*
 * sess: game sessions, seats and identity, the turn clock, and the
 * notifications of PROTOCOL.md.
 *
 * A session is one game of one map: a model state, its seats (each with a
 * join code, a token, maybe a player's connection or a built-in agent), the
 * facilitator's admin token, subscribers (connections that joined a seat or
 * watch the session), chat, and the history of resolved turns. Many sessions
 * run side by side on the one loop; each has its own uv_timer_t for the turn
 * deadline, and nothing in one session waits on another.
 *
 * The methods of the v1 core that concern sessions are in sess_methods
 * (server/sess_methods.c); this header is what they and main.c need. The
 * layer's files share sess_internal.h.
 *
 * Ownership: the registry owns every session, map and agent. Connections
 * (rpc_peer_t) belong to the connection core (conn.h); the registry only
 * points at them and forgets them in sess_peer_closed, which the core calls
 * (through rpc_peer_closed) before a connection's memory goes away.
 */
#ifndef LANTHANIDE_SESS_H
#define LANTHANIDE_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "proto.h"
#include "rpc.h"

typedef struct sess_registry sess_registry_t;
struct store;
typedef struct sess_session sess_session_t;

typedef struct sess_config {
  const char *maps_dir;       /* where session.create finds maps */
  unsigned max_sessions;      /* sessions in play at once (--max-sessions) */
  unsigned max_finished;      /* finished sessions kept in memory */
  unsigned join_burst;        /* wrong join codes per address at once */
  unsigned join_refill_ms;    /* one more allowed every this many ms */
  unsigned create_burst;      /* session.create per address at once */
  unsigned create_refill_ms;  /* one more allowed every this many ms */
  unsigned max_chat_bytes;    /* bytes of one chat message */
  unsigned max_chat_messages; /* messages kept per session */
  unsigned chat_burst;        /* chat messages per seat at once */
  unsigned chat_refill_ms;    /* one more allowed every this many ms */
  unsigned rate_table_size;   /* addresses each per-address limit tracks */
  unsigned lobby_expiry_s;    /* an unjoined lobby session expires; 0 never */
  unsigned max_lobby_per_address; /* lobby sessions one address created */
  unsigned max_watches;           /* sessions one connection follows */
  unsigned list_limit_max;        /* largest session.list page */
  size_t max_map_bytes;           /* largest map file read (--max-map-bytes) */
  unsigned submit_burst;          /* orders.submit per seat at once */
  unsigned submit_refill_ms;      /* one more allowed every this many ms */
  unsigned max_pending;           /* writes queued for the store's commit */
  unsigned max_observers;         /* observer tokens per session */
} sess_config_t;

void sess_config_default(sess_config_t *cfg);

/* Counters of the session layer, read by server.stats. */
#define SESS_COUNTERS(X)                                                       \
  X(sessions_created)                                                          \
  X(turns_resolved)                                                            \
  X(orders_accepted)                                                           \
  X(orders_refused)                                                            \
  X(join_rate_limited)                                                         \
  X(unauthorized)                                                              \
  X(forbidden)                                                                 \
  X(notifications)                                                             \
  X(sessions_refused_limit)                                                    \
  X(sessions_rate_limited)                                                     \
  X(sessions_unloaded)                                                         \
  X(sessions_reset)                                                            \
  X(sessions_deleted)                                                          \
  X(chat_refused_limit)                                                        \
  X(chat_rate_limited)                                                         \
  X(lobby_expired)                                                             \
  X(lobby_refused_per_address)                                                 \
  X(ratelimit_evicted)                                                         \
  X(ratelimit_table_full)                                                      \
  X(watches_refused_limit)                                                     \
  X(list_refused_limit)                                                        \
  X(maps_refused_type)                                                         \
  X(maps_refused_size)                                                         \
  X(maps_refused_invalid)                                                      \
  X(seat_locks)                                                                \
  X(seat_unlocks)                                                              \
  X(join_refused_locked)                                                       \
  X(codes_reissued)                                                            \
  X(tokens_revoked)                                                            \
  X(admin_tokens_rotated)                                                      \
  X(bot_refused_person)                                                        \
  X(bot_forced)                                                                \
  X(submit_rate_limited)                                                       \
  X(durable_refused)                                                           \
  X(sessions_quarantined)                                                      \
  X(observers_issued)                                                          \
  X(observers_revoked)                                                         \
  X(observers_refused_limit)                                                   \
  X(observer_writes_refused)

typedef struct sess_counters {
#define SESS_COUNTER_FIELD(name) uint64_t name;
  SESS_COUNTERS(SESS_COUNTER_FIELD)
#undef SESS_COUNTER_FIELD
} sess_counters_t;

/* Turns that are due (every seat ready, a deadline passed, the
 * facilitator advanced) wait in one FIFO and are resolved in order, for
 * at most SESS_DUE_BUDGET_NS (2 ms) per loop iteration, so a thousand
 * sessions due at once do not hold the loop (and every connection) for
 * the time of a thousand resolutions, and the turns of one iteration share
 * one commit. */
int sess_registry_new(sess_registry_t **out, uv_loop_t *loop,
                      const sess_config_t *cfg);
/* Stop every session's timer and the registry's handle (for shutdown, or
 * a failed start); the handles close asynchronously, then
 * sess_registry_free may be called after uv_run. Idempotent. */
void sess_registry_close(sess_registry_t *reg);
void sess_registry_free(sess_registry_t *reg);
const sess_counters_t *sess_registry_counters(const sess_registry_t *reg);
/* The time model_resolve took for each turn resolved (metrics.h). */
struct metrics_hist;
const struct metrics_hist *sess_registry_turn_hist(const sess_registry_t *reg);
/* Sessions in memory by status: lobby, running, paused, finished. */
#define SESS_STATUS_COUNT 4
void sess_registry_count_status(const sess_registry_t *reg,
                                uint64_t count[SESS_STATUS_COUNT]);

/* Store every session change in store (see store/store.h); call before
 * sess_restore and before any session exists. */
void sess_set_store(sess_registry_t *reg, struct store *store);
/* Rebuild every stored session where it stood (docs/storage.md): every
 * session in play, and the newest --max-finished finished ones. Turns that
 * came due while the server was down are resolved before it returns (so
 * before the first request). Returns 0, or -1 with a sentence in err. */
int sess_restore(sess_registry_t *reg, char *err, size_t errlen);

/* Read and parse the map file `file` (a name in the maps folder, such
 * as "trade.json") for maps.list: the same checks as session.create
 * (a regular file, at most --max-map-bytes, counted when refused), the
 * reason in the log only. 0 with *out (free with model_map_free), or -1. */
struct model_map;
int sess_map_load_listed(sess_registry_t *reg, const char *file,
                         struct model_map **out);

/* The connection is going away: forget it everywhere. Costs O(the
 * sessions it follows): each connection keeps the list of its own
 * subscriptions (rpc_peer_t.watches). */
void sess_peer_closed(sess_registry_t *reg, rpc_peer_t *peer);

/* Expire the lobby sessions that nobody joined within --lobby-expiry-s of
 * their creation (stored, so the clock survives restarts): each leaves
 * the registry and the database, its watchers get session.expired.
 * Runs from the registry's timer and before session.create refuses for
 * --max-sessions; returns how many expired. */
size_t sess_expire_lobby(sess_registry_t *reg);

/* The RPC methods of sessions (session.*, state.get, orders.submit,
 * turn.ready, chat.send, history.get, strategies.list). Handlers expect
 * call->app to point at the server's srv_t (server/srv.h) and take the
 * registry from its `sess` member. */
extern const rpc_method_t sess_methods[];
extern const size_t sess_method_count;

#endif
