/*
 * replyq: the per-connection FIFO that keeps responses in request order.
 *
 * PROTOCOL.md promises that responses on one connection leave in the order
 * the requests arrived, "also where an answer waits for a storage commit".
 * A handler that answers at once pushes its bytes with replyq_push; one that
 * must wait (orders.submit waits for the SQLite commit that stores it)
 * takes a slot with replyq_defer and fills it later with replyq_complete.
 * Bytes pushed while an earlier slot is still open are held back, and flow
 * out in order as soon as every slot before them is complete.
 *
 * The common case costs nothing: while no slot is open, replyq_push hands
 * the bytes straight to the emit callback (no allocation, no copy here).
 * Only replies queued behind an open slot are copied to the heap.
 *
 * Ownership: the queue copies what it holds. A slot belongs to the queue
 * until the queue is detached (its connection closed); after that the slot
 * is an orphan that still belongs to whoever was going to complete it, and
 * replyq_complete frees it. Either way, every slot returned by replyq_defer
 * is released by exactly one call to replyq_complete.
 */
#ifndef LANTHANIDE_REPLYQ_H
#define LANTHANIDE_REPLYQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deliver len bytes of finished replies, in order, to the transport.
 * Returns 0, or a negative code if the transport refused them (it is
 * closing); the queue then stops emitting. */
typedef int (*replyq_emit_fn)(void *ctx, const char *data, size_t len);

typedef struct replyq_slot replyq_slot_t;

typedef struct replyq {
  replyq_slot_t *head; /* the oldest reply not yet emitted; NULL if none */
  replyq_slot_t *tail;
  size_t held_bytes; /* bytes of finished replies waiting behind a slot */
  size_t slots;      /* slots in the queue, open or finished */
  replyq_emit_fn emit;
  void *ctx;
} replyq_t;

void replyq_init(replyq_t *q, replyq_emit_fn emit, void *ctx);

/* Queue a finished reply of len bytes (copied if it must wait). Returns 0,
 * -1 out of memory, or the emit callback's negative code. */
int replyq_push(replyq_t *q, const char *data, size_t len);

/* Open a slot for a reply that will be completed later, remembering tag
 * (the msgid, for the caller). NULL if out of memory. */
replyq_slot_t *replyq_defer(replyq_t *q, uint32_t tag);

/* The tag given to replyq_defer. */
uint32_t replyq_slot_tag(const replyq_slot_t *s);

/* True once the slot's queue was detached: its connection is gone. While
 * false, the connection (and whatever embeds the queue) is alive. */
bool replyq_slot_orphaned(const replyq_slot_t *s);

/*
 * Fill slot s with its reply (copied if it must wait) and emit every reply
 * that is now at the head. Always consumes s: after this call s is freed or
 * owned by the queue. Returns 0; 1 if the queue had been detached (the
 * connection is gone; the bytes are dropped and s is freed); -1 out of
 * memory (s is then finished with no bytes, so the queue does not stall);
 * or the emit callback's negative code.
 */
int replyq_complete(replyq_slot_t *s, const char *data, size_t len);

/* True while no slot is open or holding bytes (a reply pushed now would be
 * emitted at once). */
bool replyq_idle(const replyq_t *q);

/* Bytes held in the queue, for the connection's output budget. */
size_t replyq_held(const replyq_t *q);

/*
 * The connection is closing: free every finished reply and turn every open
 * slot into an orphan (replyq_complete will free it). The queue is empty
 * afterwards and may be discarded.
 */
void replyq_detach(replyq_t *q);

#endif
