/*
 * durable: the server's side of the store's group commit (store/store.h).
 *
 * The store has no event loop; this module drives it from the server's:
 * every queued write of one loop iteration goes into one transaction, run
 * in a uv_check handle right after the iteration's I/O, so a burst of
 * orders from many clients costs one fsync. An idle handle keeps the loop
 * from blocking in poll while something waits to be committed. Replies
 * that promise durability wait behind the commit (durable_hold_reply) and
 * leave only after COMMIT has returned.
 *
 * A commit that fails is retried on a timer (the store's backoff: 100 ms
 * doubling to 1 s), and at the next check phase that has something new to
 * carry; nothing is dropped meanwhile (store.h).
 *
 * Ownership: durable_new returns a driver the caller stops with
 * durable_stop (before the loop's last run) and frees with durable_free
 * after the loop has closed its handles. The store must outlive neither:
 * close the store (store_close) after durable_stop; replies it never
 * committed are then answered with `unavailable`.
 */
#ifndef LANTHANIDE_DURABLE_H
#define LANTHANIDE_DURABLE_H

#include <stddef.h>

#include <uv.h>

#include "replyq.h"
#include "store.h"

typedef struct durable durable_t;

/* Start driving st's commits on loop. Returns 0, or -1 if out of memory. */
int durable_new(durable_t **out, uv_loop_t *loop, store_t *st)
    __attribute__((warn_unused_result));

/* Hold a reply (bytes copied) in slot s until the writes queued so far are
 * committed; then it is completed. While commits fail it stays held; a
 * store closed with writes it never could commit answers it with an
 * `unavailable` error. Returns 0, or -1 if out of memory: s is then
 * completed at once with an `internal` error response. */
int durable_hold_reply(durable_t *d, replyq_slot_t *s, const char *data,
                       size_t len) __attribute__((warn_unused_result));

/* Stop the handles (at shutdown); what is pending is committed first,
 * waiting up to a few seconds for a lock another process holds (blocking
 * is acceptable at shutdown). Idempotent; d may be NULL. */
void durable_stop(durable_t *d);
void durable_free(durable_t *d);

/* The duration of every commit so far (metrics.h). */
struct metrics_hist;
const struct metrics_hist *durable_commit_hist(const durable_t *d);

/* A store_config_t.log that writes the store's lines to the server log. */
void durable_log(void *arg, store_log_level_t level, const char *line);

#endif
