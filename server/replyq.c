/*
 * replyq: responses in request order, with room for answers that come
 * later. See replyq.h for the contract.
 */
#include "replyq.h"
#include "lan_assert.h"

#include <stdlib.h>
#include <string.h>

struct replyq_slot {
  replyq_slot_t *next;
  replyq_t *q;      /* NULL once the queue was detached (an orphan) */
  uint32_t tag;     /* the caller's msgid */
  bool done;        /* the reply is known (data/len are final) */
  bool inline_data; /* data points just past this struct, in one block */
  char *data;
  size_t len;
};

void replyq_init(replyq_t *q, replyq_emit_fn emit, void *ctx) {
  memset(q, 0, sizeof(*q));
  q->emit = emit;
  q->ctx = ctx;
}

static void slot_free(replyq_slot_t *s) {
  if (!s->inline_data)
    free(s->data);
  free(s);
}

static void enqueue(replyq_t *q, replyq_slot_t *s) {
  s->next = NULL;
  s->q = q;
  if (q->tail)
    q->tail->next = s;
  else
    q->head = s;
  q->tail = s;
  q->slots++;
}

/* Emit finished replies from the head until an open slot (or the end). The
 * held bytes are released before each emit so that the transport's budget
 * check sees the queue as it will be. */
static int drain(replyq_t *q) {
  while (q->head && q->head->done) {
    replyq_slot_t *s = q->head;
    int r = 0;

    q->head = s->next;
    if (!q->head)
      q->tail = NULL;
    q->slots--;
    LAN_ASSERT(q->held_bytes >= s->len);
    q->held_bytes -= s->len;
    if (s->len > 0)
      r = q->emit(q->ctx, s->data, s->len);
    slot_free(s);
    if (r < 0)
      return r;
  }
  return 0;
}

int replyq_push(replyq_t *q, const char *data, size_t len) {
  replyq_slot_t *s;

  if (!q->head)
    return len > 0 ? q->emit(q->ctx, data, len) : 0;
  /* Something before this reply is still open: hold a copy. */
  s = malloc(sizeof(*s) + len);
  if (!s)
    return -1;
  memset(s, 0, sizeof(*s));
  s->done = true;
  s->inline_data = true;
  s->data = (char *)(s + 1);
  s->len = len;
  if (len > 0)
    memcpy(s->data, data, len);
  enqueue(q, s);
  q->held_bytes += len;
  return 0;
}

replyq_slot_t *replyq_defer(replyq_t *q, uint32_t tag) {
  replyq_slot_t *s = calloc(1, sizeof(*s));

  if (!s)
    return NULL;
  s->tag = tag;
  enqueue(q, s);
  return s;
}

uint32_t replyq_slot_tag(const replyq_slot_t *s) {
  return s->tag;
}

int replyq_complete(replyq_slot_t *s, const char *data, size_t len) {
  replyq_t *q = s->q;
  int r = 0;

  LAN_ASSERT(!s->done);
  if (!q) {
    slot_free(s);
    return 1;
  }
  if (q->head == s) {
    /* At the head: nothing waits in front, so send without a copy. */
    q->head = s->next;
    if (!q->head)
      q->tail = NULL;
    q->slots--;
    slot_free(s);
    if (len > 0)
      r = q->emit(q->ctx, data, len);
    if (r < 0)
      return r;
    return drain(q);
  }
  s->done = true;
  if (len > 0) {
    s->data = malloc(len);
    if (!s->data) {
      /* Finish the slot empty rather than stall every reply behind it. */
      s->len = 0;
      return -1;
    }
    memcpy(s->data, data, len);
    s->len = len;
    q->held_bytes += len;
  }
  return 0;
}

bool replyq_slot_orphaned(const replyq_slot_t *s) {
  return s->q == NULL;
}

bool replyq_idle(const replyq_t *q) {
  return q->head == NULL;
}

size_t replyq_held(const replyq_t *q) {
  return q->held_bytes;
}

void replyq_detach(replyq_t *q) {
  replyq_slot_t *s = q->head, *next;

  while (s) {
    next = s->next;
    if (s->done) {
      slot_free(s);
    } else {
      /* Its completer still holds it: make it an orphan. */
      s->q = NULL;
      s->next = NULL;
    }
    s = next;
  }
  q->head = q->tail = NULL;
  q->held_bytes = 0;
  q->slots = 0;
}
