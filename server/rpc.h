/*
 * rpc: the method table and the dispatcher of MessagePack-RPC requests.
 *
 * This module knows nothing of sockets. The connection core (conn.h),
 * which every transport feeds, frames and limits the bytes with
 * proto_scan_feed and hands each complete value to rpc_handle together
 * with the rpc_peer_t of the connection it came from. The dispatcher decodes it
 * with the one decoder of the server (the loop is single-threaded), checks the
 * envelope, calls the method's handler and queues the answer on the peer's
 * reply FIFO, which calls back into the connection core to send it.
 *
 * A handler answers in one of three ways:
 *   RPC_OK        it packed exactly one result value into call->pk;
 *   RPC_ERROR     it filled call->err (the proto_param_* accessors do);
 *   RPC_DEFERRED  it took a slot with rpc_defer() and will answer later
 *                 with rpc_complete() or rpc_complete_error(); replies to
 *                 later requests on the same connection wait behind it.
 */
#ifndef LANTHANIDE_RPC_H
#define LANTHANIDE_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "proto.h"
#include "replyq.h"

struct conn_counters;

/* The dispatcher's view of a connection, embedded in its conn_t. */
typedef struct rpc_peer {
  replyq_t replies; /* answers in request order */
  /* The connection holds a seat or watches a session (set by the session
   * layer): it is then never closed for idleness. The
   * connection core reads it whenever its idle deadline passes, so setting
   * or clearing it needs no call into the core. */
  bool holds_seat;
  /* The remote address without the port ("127.0.0.1", "::1"), for limits
   * kept per address (wrong join codes). */
  char addr[48];
  /* The sessions this connection follows, kept by the session layer
   * (struct sess_watch in server/sess_internal.h) so that closing it costs
   * O(its own subscriptions); the session layer frees the array in its
   * peer-closed hook. */
  struct sess_watch *watches;
  size_t n_watches, cap_watches;
} rpc_peer_t;

/* emit/ctx: where the peer's finished replies go (see replyq.h). */
void rpc_peer_init(rpc_peer_t *peer, replyq_emit_fn emit, void *ctx);

typedef struct rpc rpc_t;
typedef struct rpc_call rpc_call_t;

enum { RPC_ERROR = -1, RPC_OK = 0, RPC_DEFERRED = 1, RPC_OK_DURABLE = 2 };

/*
 * RPC_OK_DURABLE: the handler packed its result like RPC_OK, but the
 * answer may leave only once what the handler queued for storage is
 * committed (PROTOCOL.md: an acknowledged orders.submit survives a crash).
 * The dispatcher reserves the reply's place in order and hands the bytes
 * to the hold function set here (the store), which completes the slot
 * after COMMIT. Without a hold function the answer leaves at once.
 * The hold function returns 0, or -1 if it could not hold the reply (out
 * of memory); it has then completed the slot with an `internal` error
 * response itself, which the dispatcher counts as one.
 */
typedef int (*rpc_hold_fn)(void *arg, replyq_slot_t *slot, const char *data,
                           size_t len);
void rpc_set_hold(rpc_t *rpc, rpc_hold_fn fn, void *arg);

typedef int (*rpc_handler_fn)(rpc_call_t *call);

typedef struct rpc_method {
  const char *name;
  rpc_handler_fn handler;
} rpc_method_t;

/* What a handler gets. Pointers live for the duration of the call only;
 * params points into the decoded message (see proto.h). */
struct rpc_call {
  rpc_t *rpc;
  rpc_peer_t *peer;
  void *app; /* the app pointer given to rpc_new */
  uint32_t msgid;
  const msgpack_object *params; /* named arguments, NULL if none */
  msgpack_packer *pk;           /* RPC_OK: pack exactly one value here */
  proto_error_t *err;           /* RPC_ERROR: fill this */
  bool deferred;                /* rpc_defer was called */
};

/*
 * Create a dispatcher over methods[0..n) (the array must outlive it).
 * app is handed to every handler; counters (requests, error_responses,
 * error_notifications) are bumped here for every transport alike.
 * Returns 0 or -1 (out of memory).
 */
int rpc_new(rpc_t **out, const rpc_method_t *methods, size_t n, void *app,
            struct conn_counters *counters);
void rpc_free(rpc_t *rpc);

/*
 * The connection core calls rpc_peer_closed once, just before a connection's
 * memory goes away (from its close callback, never from a read path). It
 * calls the hook set with rpc_set_peer_closed (so that, say, the session
 * layer forgets the connection), then drops queued replies and orphans
 * open deferred slots. The core must not emit for the peer after.
 */
typedef void (*rpc_peer_closed_fn)(void *arg, rpc_peer_t *peer);
void rpc_set_peer_closed(rpc_t *rpc, rpc_peer_closed_fn fn, void *arg);
void rpc_peer_closed(rpc_t *rpc, rpc_peer_t *peer);

typedef enum rpc_outcome {
  RPC_OUT_REQUEST = 1, /* a well-formed request was dispatched */
  RPC_OUT_REJECTED = 0 /* not a well-formed request; an error was sent */
} rpc_outcome_t;

/*
 * Handle one complete value msg[0..len), as delimited by the scanner. The
 * bytes must stay valid during the call only. Queues the answer (a
 * response, or an "error" notification where no msgid is known) on the
 * peer. Returns RPC_OUT_REQUEST or RPC_OUT_REJECTED; a failure to queue
 * the answer is the connection core's to handle (its emit callback saw it).
 */
rpc_outcome_t rpc_handle(rpc_t *rpc, rpc_peer_t *peer, const uint8_t *msg,
                         size_t len);

/* Queue the notification [2, "error", [{code, message}]] on the peer.
 * Returns 0 or negative (out of memory, or the connection refused it). */
int rpc_notify_error(rpc_t *rpc, rpc_peer_t *peer, const proto_error_t *err);

/* ---- Deferred answers --------------------------------------------------- */

typedef replyq_slot_t rpc_deferred_t;

/* From inside a handler: reserve this request's place in the reply order.
 * The handler then returns RPC_DEFERRED. NULL if out of memory (return
 * RPC_ERROR with an "internal" error instead). */
rpc_deferred_t *rpc_defer(rpc_call_t *call);

/* Answer a deferred request: pack(pk, arg) packs exactly one result value
 * and returns 0 or -1. Consumes d. Returns 0, 1 if the connection had gone
 * (the answer is dropped), or negative. */
int rpc_complete(rpc_t *rpc, rpc_deferred_t *d,
                 int (*pack)(msgpack_packer *pk, void *arg), void *arg);
/* Answer a deferred request with an error. Consumes d. As rpc_complete. */
int rpc_complete_error(rpc_t *rpc, rpc_deferred_t *d, const proto_error_t *err);

#endif
