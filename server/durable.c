/*
 * durable: drives the store's group commit from the event loop and holds
 * the replies that wait for it. See durable.h.
 */
#include "durable.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "proto.h"

/* How long the last commit at shutdown waits for another process's lock. */
#define DURABLE_STOP_BUSY_MS 5000

struct durable {
  store_t *st;
  uv_check_t check; /* commits after each iteration's I/O */
  uv_idle_t idle;   /* keeps the loop from blocking while writes wait */
  uv_timer_t retry; /* tries a failed commit again */
  bool handles;     /* started and not yet closed */
  metrics_hist_t commit_hist; /* each commit's duration */
  uint64_t commits_seen;      /* store_counters()->commits observed */
};

/* A reply waiting for the commit: its slot and a copy of its bytes. */
typedef struct held {
  replyq_slot_t *slot;
  size_t len;
  char data[];
} held_t;

/* Complete s with an error response of code and message (with no bytes
 * only if even that fails), so the reply order goes on. */
static void complete_error(replyq_slot_t *s, proto_code_t code,
                           const char *message) {
  proto_error_t e;
  proto_buf_t b;
  msgpack_packer pk;
  proto_error_set(&e, code, NULL, "%s", message);
  proto_buf_init(&b);
  proto_packer_init(&pk, &b);
  if (proto_pack_error_response(&pk, replyq_slot_tag(s), &e) == 0)
    replyq_complete(s, b.data, b.len);
  else
    replyq_complete(s, NULL, 0);
  proto_buf_free(&b);
}

static void release(void *arg, bool committed) {
  held_t *h = arg;
  if (committed)
    replyq_complete(h->slot, h->data, h->len);
  else
    complete_error(h->slot, PROTO_UNAVAILABLE,
                   "the server stopped before it could store this durably; "
                   "it may not have been kept. Send it again once the "
                   "server is back; if this persists, tell the operator "
                   "(see the server log)");
  free(h);
}

int durable_hold_reply(durable_t *d, replyq_slot_t *s, const char *data,
                       size_t len) {
  held_t *h = malloc(sizeof *h + (len ? len : 1));
  if (!h)
    goto nomem;
  h->slot = s;
  h->len = len;
  memcpy(h->data, data, len);
  if (store_hold(d->st, release, h) != 0) {
    free(h);
    goto nomem;
  }
  return 0;
nomem:
  complete_error(s, PROTO_INTERNAL,
                 "the server ran out of memory holding this answer; it may "
                 "or may not be stored: send it again");
  return -1;
}

/* An active idle handle makes the loop poll without blocking, so queued
 * writes are committed in this iteration's check phase. */
static void on_idle(uv_idle_t *h) {
  (void)h;
}

static void on_check(uv_check_t *h) {
  durable_t *d = h->data;
  /* While commits fail, only something new makes the check phase try
   * again; otherwise the retry timer does, so a locked file does not make
   * the loop spin. */
  if (store_due(d->st))
    (void)store_flush(d->st);
}

static void on_retry(uv_timer_t *h) {
  durable_t *d = h->data;
  if (store_pending(d->st))
    (void)store_flush(d->st);
}

static void on_queued(void *arg) {
  durable_t *d = arg;
  if (d->handles && !uv_is_active((uv_handle_t *)&d->idle))
    uv_idle_start(&d->idle, on_idle);
}

static void on_flushed(void *arg, bool ok) {
  durable_t *d = arg;
  /* An attempt with nothing to write commits nothing and is not timed. */
  uint64_t commits = store_counters(d->st)->commits;
  if (ok && commits != d->commits_seen) {
    d->commits_seen = commits;
    metrics_hist_observe(&d->commit_hist, store_last_commit_ns(d->st));
  }
  if (!d->handles)
    return;
  /* Committed: nothing waits. Failed: the timer (or new work) wakes the
   * loop, so there is no need to spin. */
  uv_idle_stop(&d->idle);
  if (ok)
    uv_timer_stop(&d->retry);
  else
    uv_timer_start(&d->retry, on_retry, store_retry_ms(d->st), 0);
}

int durable_new(durable_t **out, uv_loop_t *loop, store_t *st) {
  durable_t *d = calloc(1, sizeof *d);
  if (!d)
    return -1;
  d->st = st;
  d->commits_seen = store_counters(st)->commits;
  uv_check_init(loop, &d->check);
  uv_idle_init(loop, &d->idle);
  uv_timer_init(loop, &d->retry);
  d->check.data = d->idle.data = d->retry.data = d;
  uv_check_start(&d->check, on_check);
  /* The check handle must not keep the loop alive on its own. */
  uv_unref((uv_handle_t *)&d->check);
  d->handles = true;
  static const store_hooks_t hooks = {on_queued, on_flushed};
  store_set_hooks(st, &hooks, d);
  /* Something may be queued already (the restore's writes). */
  if (store_pending(st))
    on_queued(d);
  *out = d;
  return 0;
}

void durable_stop(durable_t *d) {
  if (!d || !d->handles)
    return;
  /* The last chance to keep what the server acted on: wait a little for
   * a lock another process holds rather than lose it. */
  if (store_pending(d->st))
    (void)store_flush_wait(d->st, DURABLE_STOP_BUSY_MS);
  store_set_hooks(d->st, NULL, NULL);
  d->handles = false;
  uv_close((uv_handle_t *)&d->check, NULL);
  uv_close((uv_handle_t *)&d->idle, NULL);
  uv_close((uv_handle_t *)&d->retry, NULL);
}

const metrics_hist_t *durable_commit_hist(const durable_t *d) {
  return &d->commit_hist;
}

void durable_free(durable_t *d) {
  free(d);
}

void durable_log(void *arg, store_log_level_t level, const char *line) {
  (void)arg;
  log_write(level == STORE_LOG_ERROR  ? LOG_LEVEL_ERROR
            : level == STORE_LOG_WARN ? LOG_LEVEL_WARN
                                      : LOG_LEVEL_INFO,
            "%s", line);
}
