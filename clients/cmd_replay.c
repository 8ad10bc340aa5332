/*
 * `lanthanide replay`: re-run a stored game from its map, seed and orders
 * and check every turn's state hash against the one the server stored
 * (docs/storage.md, "Replay").
 *
 *   lanthanide replay --db FILE [--session S] [--verify]
 *   lanthanide replay --db FILE [--session S] --turn N [--seat SEAT]
 *
 * With --turn, nothing is replayed: the state after turn N is read from
 * its stored snapshot and printed as JSON, the ground truth (every seat's
 * `you`, and `public` and `market`) or, with --seat, what that seat saw
 * (its observation, as state.get gave it) next to the truth of the same
 * turn and the figures where they differ (the debrief's "what you saw
 * versus what was true"; issue 13).
 *
 * The model is deterministic and has no I/O, so a game is fully defined by
 * its map (stored as text in sessions.map_json), its seed and, turn by
 * turn, each seat's submission. As in the live server, a later submission
 * of a seat replaces its earlier one for that turn, so the last one (by
 * submissions.id) is the one submitted here; a seat without one plays its
 * standing orders. Agents' submissions are stored like players' (source
 * 'agent'), so no agent runs here.
 *
 * A turn that control amended before releasing it (a review session,
 * issue 13) is replayed with its stored amendments (table amendments):
 * refused orders are taken out before the turn is resolved, the other
 * amendments applied to its result, each with model_amend as the server
 * did, and the hash is compared after them.
 *
 * The control cell's events (issue 13, docs/storage.md "Injects") are
 * applied as the server applied them: a session without scripted events
 * has them all off from the start; a scripted event control cancelled is
 * turned off before the turn that was open when it was cancelled
 * resolves; the injects that fired at a turn are given to the model, in
 * id order, just before that turn resolves.
 *
 * The first turn whose replayed hash differs from turns.state_hash is
 * named with the submissions that went into it, and the replay stops
 * there: every later state descends from the one that differs.
 *
 * The database is opened read-only and read through the store library
 * (store/store.h, dbtool.h). Exit status: 0 every turn
 * matches, 1 a turn differs or the data cannot be replayed, 2 usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli_ui.h"
#include "client.h"
#include "cmds.h"
#include "dbtool.h"
#include "proto_types.h"

/* The submission that counts for one seat in one turn. */
typedef struct seat_sub {
  int64_t id; /* 0: the seat sent nothing this turn */
  char source[8];
  uint8_t *blob;
  size_t len;
  int count;    /* submissions of the seat this turn (the last one counts) */
  int n_orders; /* orders in the one that counts */
} seat_sub_t;

/* An inject that fired, or a cancelled scripted event. */
typedef struct replay_event {
  int64_t id; /* inject id; scripted: the index */
  int turn;
  model_event_t ev;
} replay_event_t;

typedef struct replay {
  store_t *db;
  dbtool_game_t g;
  bool verify;
  size_t n_seats;
  seat_sub_t *subs;
  proto_decoder_t dec;
  model_state_t *st; /* the replayed game */
  int checked;       /* turns whose hash matched */
  /* the amendments of the turn being replayed, in their stored order */
  model_amendment_t amend[LAN_MAX_AMENDMENTS];
  size_t n_amend;
  replay_event_t *fired, *cancels;
  size_t n_fired, n_cancels;
  /* --turn: the snapshot of the turn asked for */
  int want_turn;
  uint8_t *snap;
  size_t snap_len;
  bool found;
} replay_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: lanthanide replay --db FILE [--session S] [--verify]\n"
          "\n"
          "Re-run a stored game from its map, seed and orders, and compare "
          "each\nturn's state hash with the stored one. Without --verify, "
          "prints one line\nper turn; with it, only the verdict. The "
          "database is only read.\n"
          "\n"
          "  --db FILE       the server's database (lanthanide-server --db)\n"
          "  --session S     the session to replay (needed when the "
          "database holds\n"
          "                  more than one)\n"
          "  --verify        print only the verdict\n"
          "  --turn N        print the state after turn N (JSON) instead\n"
          "  --seat SEAT     with --turn: what SEAT saw, next to the truth\n"
          "\n"
          "Exit status: 0 every turn matches, 1 a turn differs (it is "
          "named) or the\ndata cannot be replayed, 2 a usage error.\n");
}

static void clear_subs(replay_t *r) {
  for (size_t i = 0; i < r->n_seats; i++) {
    free(r->subs[i].blob);
    memset(&r->subs[i], 0, sizeof r->subs[i]);
  }
}

/* One stored submission of the turn being loaded: the last of each seat
 * counts. */
static int on_sub(void *arg, const store_submission_row_t *row, char *err,
                  size_t errlen) {
  replay_t *r = arg;
  int seat = row->seat_index;
  if (seat < 0 || (size_t)seat >= r->n_seats) {
    snprintf(err, errlen,
             "session %s, turn %d: submission #%lld names seat %d, but the "
             "map has %zu seats",
             r->g.id, row->turn, (long long)row->id, seat, r->n_seats);
    return -1;
  }
  seat_sub_t *s = &r->subs[seat];
  uint8_t *copy = malloc(row->orders_len ? row->orders_len : 1);
  if (!copy) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(copy, row->orders, row->orders_len);
  free(s->blob);
  s->blob = copy;
  s->len = row->orders_len;
  s->id = row->id;
  snprintf(s->source, sizeof s->source, "%s",
           row->source == STORE_AGENT ? "agent" : "player");
  s->count++;
  return 0;
}

/* Read turn t's submissions, keeping the last of each seat. */
static int load_turn(replay_t *r, int t) {
  char err[1024];
  clear_subs(r);
  if (store_read_submissions(r->db, r->g.id, t, on_sub, r, err, sizeof err) !=
      0) {
    fprintf(stderr, "replay: cannot read the submissions of turn %d: %s\n", t,
            err);
    return -1;
  }
  return 0;
}

/* Submit every seat's submission of the turn. A stored submission holds
 * only orders the server accepted, so a refusal here is reported (the
 * stored order was altered, or the model changed); the hash decides. */
static int submit_turn(replay_t *r, model_state_t *st, int t) {
  for (size_t i = 0; i < r->n_seats; i++) {
    seat_sub_t *s = &r->subs[i];
    if (s->id == 0)
      continue;
    const char *seat = model_map_seat_id(r->g.map, i);
    msgpack_object arr;
    char err[256];
    int rc = dbtool_decode(&r->dec, s->blob, s->len, &arr, err, sizeof err);
    if (rc != 0 || arr.via.array.size > MODEL_ORDERS_MAX) {
      fprintf(stderr,
              "replay: session %s, turn %d: submission #%lld of seat %s "
              "cannot be read: %s\n",
              r->g.id, t, (long long)s->id, seat,
              rc != 0 ? err : "more orders than a submission may hold");
      proto_decoder_reset(&r->dec);
      return -1;
    }
    static model_order_t orders[MODEL_ORDERS_MAX];
    static model_refusal_t refs[MODEL_ORDERS_MAX];
    size_t n = 0, n_refused = 0;
    for (uint32_t k = 0; k < arr.via.array.size; k++) {
      model_refusal_t why;
      if (proto_order_parse(&arr.via.array.ptr[k], &orders[n], &why) == 0) {
        n++;
      } else {
        fprintf(stderr,
                "replay: session %s, turn %d: order %u of submission #%lld "
                "(seat %s) is malformed: %s\n",
                r->g.id, t, k, (long long)s->id, seat, why.message);
      }
    }
    proto_decoder_reset(&r->dec);
    s->n_orders = (int)arr.via.array.size;
    rc =
        model_submit(st, (int)i, orders, n, refs, MODEL_ORDERS_MAX, &n_refused);
    if (rc != 0) {
      fprintf(stderr,
              "replay: session %s, turn %d: the model does not take seat "
              "%s's orders: %s\n",
              r->g.id, t, seat, model_strerror(rc));
      return -1;
    }
    for (size_t k = 0; k < n_refused; k++)
      fprintf(stderr,
              "replay: session %s, turn %d: seat %s's stored order %zu "
              "(submission #%lld) is refused now: %s\n",
              r->g.id, t, seat, refs[k].index, (long long)s->id,
              refs[k].message);
  }
  return 0;
}

/* One stored amendment of the turn being loaded. */
static int on_amend(void *arg, const store_amendment_row_t *row, char *err,
                    size_t errlen) {
  replay_t *r = arg;
  if (r->n_amend >= LAN_MAX_AMENDMENTS) {
    snprintf(err, errlen, "turn %d has more than %u amendments", row->turn,
             LAN_MAX_AMENDMENTS);
    return -1;
  }
  msgpack_object o;
  char why[PROTO_MESSAGE_MAX + 64];
  proto_error_t perr;
  /* The store scanned the stored value; it is one map. */
  int rc = proto_decode(&r->dec, row->fields, row->fields_len, &o, &perr);
  if (rc != 0)
    snprintf(why, sizeof why, "%s", perr.message);
  if (rc == 0 &&
      proto_amendment_parse(&o, r->g.map, &r->amend[r->n_amend], &perr) != 0) {
    snprintf(why, sizeof why, "%s", perr.message);
    rc = -1;
  }
  proto_decoder_reset(&r->dec);
  if (rc != 0) {
    snprintf(err, errlen, "amendment %d of turn %d cannot be read: %s",
             row->seq, row->turn, why);
    return -1;
  }
  r->n_amend++;
  return 0;
}

/* Apply the turn's amendments that act before (before) or after its
 * resolution. */
static int amend_turn(replay_t *r, model_state_t *st, int t, bool before) {
  for (size_t i = 0; i < r->n_amend; i++) {
    const model_amendment_t *a = &r->amend[i];
    if (model_amend_before(a->kind) != before)
      continue;
    char why[MODEL_MESSAGE_MAX];
    if (model_amend(st, a, why, sizeof why) != 0) {
      fprintf(stderr,
              "replay: session %s, turn %d: amendment %zu (%s, seat %s) "
              "does not apply: %s\n",
              r->g.id, t, i, model_amend_kind_name(a->kind),
              model_map_seat_id(r->g.map, (size_t)a->seat), why);
      return -1;
    }
    if (!r->verify && !before)
      printf("      amended: %s of seat %s: %s\n",
             model_amend_kind_name(a->kind),
             model_map_seat_id(r->g.map, (size_t)a->seat), a->reason);
    if (!r->verify && before)
      printf("      amended: order %d of seat %s refused: %s\n", a->order,
             model_map_seat_id(r->g.map, (size_t)a->seat), a->reason);
  }
  return 0;
}

/* One contract agreed over the wire in the turn being replayed (issue
 * 13): signed into the state before the turn resolves, in the order
 * accepted, as the server did. */
static int on_signed(void *arg, const store_negotiation_row_t *row, char *err,
                     size_t errlen) {
  replay_t *r = arg;
  int seat = -1;
  for (size_t i = 0; i < r->n_seats; i++)
    if (strcmp(model_map_seat_id(r->g.map, i), row->author) == 0)
      seat = (int)i;
  msgpack_object obj;
  model_order_t o;
  model_refusal_t why;
  proto_error_t perr;
  memset(&why, 0, sizeof why);
  /* The store scanned the terms with the wire's limits already. */
  if (seat < 0 ||
      proto_decode(&r->dec, row->terms, row->terms_len, &obj, &perr) != 0 ||
      proto_order_parse(&obj, &o, &why) != 0) {
    proto_decoder_reset(&r->dec);
    snprintf(err, errlen,
             "negotiation %s (step #%lld): its terms or author '%s' cannot "
             "be read%s%s",
             row->negotiation, (long long)row->id, row->author,
             why.message[0] ? ": " : "", why.message);
    return -1;
  }
  proto_decoder_reset(&r->dec);
  int rc = model_contract_sign(r->st, seat, &o, &why);
  if (rc < 0) {
    snprintf(err, errlen, "negotiation %s cannot be signed: %s",
             row->negotiation, model_strerror(rc));
    return -1;
  }
  if (rc > 0) /* refused as the server refused it; the hash decides */
    fprintf(stderr,
            "replay: session %s, turn %d: the contract of negotiation %s "
            "does not start: %s\n",
            r->g.id, row->turn, row->negotiation, why.message);
  return 0;
}

static int sign_turn(replay_t *r, int t) {
  char err[1024];
  if (store_read_negotiation_steps(r->db, r->g.id, t, on_signed, r, err,
                                   sizeof err) != 0) {
    fprintf(stderr, "replay: session %s, turn %d: %s\n", r->g.id, t, err);
    return -1;
  }
  return 0;
}

/* Name the submissions that went into turn t, for a person reading why it
 * differs. */
static void print_turn_subs(const replay_t *r, int t) {
  size_t with = 0;
  fprintf(stderr,
          "  the submissions of turn %d (the last of each seat "
          "counts):\n",
          t);
  for (size_t i = 0; i < r->n_seats; i++) {
    const seat_sub_t *s = &r->subs[i];
    if (s->id == 0)
      continue;
    with++;
    fprintf(stderr, "    seat %-20s submission #%lld (%s, %d order%s",
            model_map_seat_id(r->g.map, i), (long long)s->id, s->source,
            s->n_orders, s->n_orders == 1 ? "" : "s");
    if (s->count > 1)
      fprintf(stderr, "; it replaced %d earlier", s->count - 1);
    fprintf(stderr, ")\n");
  }
  fprintf(stderr,
          "    %zu other seat%s sent nothing and kept standing "
          "orders\n",
          r->n_seats - with, r->n_seats - with == 1 ? "" : "s");
}

static int on_inject(void *arg, const store_inject_row_t *row, char *err,
                     size_t errlen) {
  replay_t *r = arg;
  if (row->status != STORE_INJECT_FIRED)
    return 0;
  replay_event_t *grown =
      realloc(r->fired, (r->n_fired + 1) * sizeof *r->fired);
  if (!grown) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  r->fired = grown;
  replay_event_t *f = &r->fired[r->n_fired];
  memset(f, 0, sizeof *f);
  f->id = row->inject;
  f->turn = row->turn;
  /* the store's read scanned both values already */
  if (proto_inject_stored_parse(&r->dec, row->event, row->event_len, row->seats,
                                row->seats_len, r->g.map, &f->ev) != 0) {
    snprintf(err, errlen, "session %s: inject %lld cannot be read", r->g.id,
             (long long)row->inject);
    return -1;
  }
  f->ev.turn = row->turn;
  r->n_fired++;
  return 0;
}

static int on_cancel(void *arg, int index, int turn, char *err, size_t errlen) {
  replay_t *r = arg;
  replay_event_t *grown =
      realloc(r->cancels, (r->n_cancels + 1) * sizeof *r->cancels);
  if (!grown) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  r->cancels = grown;
  memset(&r->cancels[r->n_cancels], 0, sizeof *r->cancels);
  r->cancels[r->n_cancels].id = index;
  r->cancels[r->n_cancels].turn = turn;
  r->n_cancels++;
  return 0;
}

/* What control did to turn t before it resolved: scripted events
 * cancelled while it was open, injects that fired at it. */
static int control_turn(replay_t *r, model_state_t *st, int t) {
  for (size_t i = 0; i < r->n_cancels; i++)
    if (r->cancels[i].turn == t &&
        model_scripted_set(st, (size_t)r->cancels[i].id, false) != 0) {
      fprintf(stderr,
              "replay: session %s: cancelled scripted event %lld is not one "
              "of the map's\n",
              r->g.id, (long long)r->cancels[i].id);
      return -1;
    }
  for (size_t i = 0; i < r->n_fired; i++) {
    if (r->fired[i].turn != t)
      continue;
    int rc = model_inject_event(st, &r->fired[i].ev);
    if (rc != 0) {
      fprintf(stderr,
              "replay: session %s, turn %d: inject %lld is refused by the "
              "model: %s\n",
              r->g.id, t, (long long)r->fired[i].id, model_strerror(rc));
      return -1;
    }
  }
  return 0;
}

/* One stored turn: replay it and compare the hashes. Returns 0 to go
 * on, 1 when the replay stops here (said on stderr), -1 on an error in
 * err. */
static int on_turn(void *arg, const store_turn_row_t *row, char *err,
                   size_t errlen) {
  replay_t *r = arg;
  model_state_t *st = r->st;
  int t = row->turn, rc;
  (void)err;
  (void)errlen;
  if (t != model_state_turn(st)) {
    fprintf(stderr,
            "replay: session %s: turn %d is missing from the stored turns "
            "(the next stored one is %d)\n",
            r->g.id, model_state_turn(st), t);
    return 1;
  }
  if (load_turn(r, t) != 0 || submit_turn(r, st, t) != 0 ||
      control_turn(r, st, t) != 0 || sign_turn(r, t))
    return 1;
  char aerr[512];
  r->n_amend = 0;
  if (store_read_amendments(r->db, r->g.id, t, on_amend, r, aerr,
                            sizeof aerr) != 0) {
    fprintf(stderr, "replay: session %s: %s\n", r->g.id, aerr);
    return 1;
  }
  if (amend_turn(r, st, t, true) != 0)
    return 1;
  if ((rc = model_resolve(st)) != 0) {
    fprintf(stderr, "replay: session %s: turn %d cannot be resolved: %s\n",
            r->g.id, t, model_strerror(rc));
    return 1;
  }
  if (amend_turn(r, st, t, false) != 0)
    return 1;
  uint8_t hash[MODEL_HASH_BYTES];
  if ((rc = model_state_hash(st, hash)) != 0) {
    fprintf(stderr, "replay: cannot hash the state: %s\n", model_strerror(rc));
    return 1;
  }
  char got[2 * MODEL_HASH_BYTES + 1], want[2 * MODEL_HASH_BYTES + 1];
  dbtool_hex(hash, sizeof hash, got);
  bool same = memcmp(row->state_hash, hash, MODEL_HASH_BYTES) == 0;
  int seats = 0, orders = 0;
  for (size_t i = 0; i < r->n_seats; i++) {
    seats += r->subs[i].id != 0;
    orders += r->subs[i].n_orders;
  }
  if (!r->verify)
    printf("%5d %6d %7d  %.16s  %s\n", t, seats, orders, got,
           same ? "ok" : "DIFFERS");
  if (!same) {
    dbtool_hex(row->state_hash, MODEL_HASH_BYTES, want);
    fprintf(stderr,
            "replay: session %s: turn %d differs: the stored state hash is "
            "%s, the replay gives %s",
            r->g.id, t, want, got);
    if (r->checked > 0)
      fprintf(stderr, " (turns 0 to %d match)", r->checked - 1);
    fprintf(stderr, "\n");
    print_turn_subs(r, t);
    return 1;
  }
  r->checked++;
  return 0;
}

static int run(replay_t *r) {
  int status = UI_EXIT_FAIL, rc;
  if ((rc = model_state_new(r->g.map, r->g.seed, &r->st)) != 0) {
    fprintf(stderr, "replay: session %s: cannot start the game: %s\n", r->g.id,
            model_strerror(rc));
    return UI_EXIT_FAIL;
  }
  r->n_seats = model_map_seat_count(r->g.map);
  r->subs = calloc(r->n_seats ? r->n_seats : 1, sizeof *r->subs);
  if (!r->subs) {
    fprintf(stderr, "replay: out of memory\n");
    goto done;
  }
  if (!r->verify) {
    printf("session %s (%s): map %s, seed %" PRIu64 ", %d turns, %s at turn "
           "%d; stored by lanthanide-server %s\n",
           r->g.id, r->g.name, model_map_id(r->g.map), r->g.seed, r->g.turns,
           r->g.status, r->g.turn, r->g.engine);
    printf("%5s %6s %7s  %-16s  %s\n", "TURN", "SEATS", "ORDERS", "STATE HASH",
           "STORED");
  }
  if (strcmp(r->g.engine, LAN_VERSION) != 0)
    fprintf(stderr,
            "replay: note: session %s was stored by lanthanide-server %s; "
            "this is %s. A rule that changed between them shows as a "
            "differing turn.\n",
            r->g.id, r->g.engine, LAN_VERSION);
  char err[1024];
  bool scripted = true;
  if (store_read_scripted_events(r->db, r->g.id, &scripted, err, sizeof err) !=
          0 ||
      store_read_injects(r->db, r->g.id, on_inject, r, err, sizeof err) != 0 ||
      store_read_scripted_cancels(r->db, r->g.id, on_cancel, r, err,
                                  sizeof err) != 0) {
    fprintf(stderr, "replay: cannot read the control cell's events: %s\n", err);
    goto done;
  }
  if (!scripted)
    for (size_t i = 0; i < model_map_scripted_count(r->g.map); i++)
      (void)model_scripted_set(r->st, i, false);
  rc = store_read_turns(r->db, r->g.id, on_turn, r, err, sizeof err);
  if (rc != 0) {
    if (rc < 0)
      fprintf(stderr, "replay: cannot read the stored turns: %s\n", err);
    goto done;
  }
  /* sessions.turn is the turn open for orders: every turn before it must
   * have been stored. */
  if (r->checked < r->g.turn) {
    fprintf(stderr,
            "replay: session %s is at turn %d, but only turns 0 to %d are "
            "stored\n",
            r->g.id, r->g.turn, r->checked - 1);
    goto done;
  }
  printf("replay: session %s: %d turn%s replayed, every state hash "
         "matches\n",
         r->g.id, r->checked, r->checked == 1 ? "" : "s");
  status = UI_EXIT_OK;
done:
  if (r->subs)
    clear_subs(r);
  free(r->subs);
  free(r->fired);
  free(r->cancels);
  model_state_free(r->st);
  r->st = NULL;
  return status;
}

/* ---- --turn N [--seat S]: one turn's state ---------------------------- */

static int on_snap(void *arg, const store_turn_row_t *row, char *err,
                   size_t errlen) {
  replay_t *r = arg;
  if (row->turn != r->want_turn)
    return 0;
  if (!(r->snap = malloc(row->snapshot_len ? row->snapshot_len : 1))) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(r->snap, row->snapshot, row->snapshot_len);
  r->snap_len = row->snapshot_len;
  r->found = true;
  return 0;
}

/* Pack with fn and return it as JSON (NULL on failure, err said). */
static json_t *as_json(int (*fn)(const model_state_t *, int, msgpack_packer *,
                                 char *, size_t),
                       const model_state_t *st, int seat) {
  proto_buf_t b;
  msgpack_packer pk;
  proto_buf_init(&b);
  proto_packer_init(&pk, &b);
  char err[512];
  json_t *j = NULL;
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t off = 0;
  if (fn(st, seat, &pk, err, sizeof err) != 0)
    fprintf(stderr, "replay: %s\n", err);
  else if (!proto_buf_failed(&b) &&
           msgpack_unpack_next(&u, b.data, b.len, &off) ==
               MSGPACK_UNPACK_SUCCESS)
    j = cli_to_json(&u.data);
  msgpack_unpacked_destroy(&u);
  proto_buf_free(&b);
  return j;
}

static void on_print_diff(void *arg, const char *path, const char *seen,
                          const char *truth) {
  json_t *d = json_object();
  json_object_set_new(d, "path", json_string(path));
  json_object_set_new(d, "seen", json_string(seen));
  json_object_set_new(d, "true", json_string(truth));
  json_array_append_new(arg, d);
}

static int print_turn(replay_t *r, const char *seat_id) {
  char err[1024];
  int rc = store_read_turns(r->db, r->g.id, on_snap, r, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "replay: cannot read the stored turns: %s\n", err);
    return UI_EXIT_FAIL;
  }
  if (!r->found) {
    fprintf(stderr,
            "replay: session %s has no stored turn %d (turns 0 to %d are "
            "resolved)\n",
            r->g.id, r->want_turn, r->g.turn - 1);
    return UI_EXIT_FAIL;
  }
  model_state_t *st = NULL;
  if ((rc = model_state_deserialise(r->g.map, r->snap, r->snap_len, &st)) !=
      0) {
    fprintf(stderr, "replay: the snapshot of turn %d cannot be read: %s\n",
            r->want_turn, model_strerror(rc));
    return UI_EXIT_FAIL;
  }
  size_t n = model_map_seat_count(r->g.map);
  int seat = -1;
  if (seat_id) {
    for (size_t i = 0; i < n; i++)
      if (strcmp(model_map_seat_id(r->g.map, i), seat_id) == 0)
        seat = (int)i;
    if (seat < 0) {
      fprintf(stderr, "replay: session %s has no seat '%s'\n", r->g.id,
              seat_id);
      model_state_free(st);
      return UI_EXIT_USAGE;
    }
  }
  json_t *root = json_object();
  json_object_set_new(root, "session", json_string(r->g.id));
  json_object_set_new(root, "turn", json_integer(r->want_turn));
  int status = UI_EXIT_OK;
  if (seat >= 0) {
    json_t *seen = as_json(dbtool_pack_seen, st, seat);
    json_t *truth = as_json(dbtool_pack_truth, st, seat);
    json_t *diffs = json_array();
    if (!seen || !truth ||
        dbtool_seen_vs_true(st, seat, on_print_diff, diffs, err, sizeof err) !=
            0) {
      status = UI_EXIT_FAIL;
    } else {
      json_object_set_new(root, "seat", json_string(seat_id));
      json_object_set(root, "seen", seen);
      json_object_set(root, "truth", json_object_get(truth, "public"));
      json_object_set(root, "differences", diffs);
    }
    json_decref(seen);
    json_decref(truth);
    json_decref(diffs);
  } else {
    json_t *seats = json_object();
    for (size_t i = 0; i < n && status == UI_EXIT_OK; i++) {
      json_t *o = as_json(dbtool_pack_truth, st, (int)i);
      if (!o) {
        status = UI_EXIT_FAIL;
        break;
      }
      if (i == 0) {
        json_object_set(root, "public", json_object_get(o, "public"));
        json_object_set(root, "market", json_object_get(o, "market"));
      }
      json_object_set(seats, model_map_seat_id(r->g.map, i),
                      json_object_get(o, "you"));
      json_decref(o);
    }
    json_object_set_new(root, "seats", seats);
  }
  if (status == UI_EXIT_OK)
    ui_print_json(root);
  json_decref(root);
  model_state_free(st);
  return status;
}

int cmd_replay(int argc, char **argv, const ui_conn_opts_t *dflt) {
  (void)dflt; /* no server: the tool reads the database file */
  static const struct option longopts[] = {
      {"db", required_argument, NULL, 'd'},
      {"session", required_argument, NULL, 's'},
      {"verify", no_argument, NULL, 'v'},
      {"turn", required_argument, NULL, 't'},
      {"seat", required_argument, NULL, 'S'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *path = NULL, *session = NULL, *seat = NULL;
  replay_t r;
  memset(&r, 0, sizeof r);
  r.want_turn = -1;
  int ch;
  optind = 0;
  while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (ch) {
    case 'd':
      path = optarg;
      break;
    case 's':
      session = optarg;
      break;
    case 'v':
      r.verify = true;
      break;
    case 't': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0' || v < 0 || v > 1000000) {
        fprintf(stderr, "lanthanide replay: --turn must be a turn number "
                        "(0 or more)\n");
        return UI_EXIT_USAGE;
      }
      r.want_turn = (int)v;
      break;
    }
    case 'S':
      seat = optarg;
      break;
    case 'h':
      usage(stdout);
      return UI_EXIT_OK;
    default:
      usage(stderr);
      return UI_EXIT_USAGE;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "lanthanide replay: unexpected argument '%s'\n",
            argv[optind]);
    return UI_EXIT_USAGE;
  }
  if (seat && r.want_turn < 0) {
    fprintf(stderr, "lanthanide replay: --seat needs --turn N\n");
    return UI_EXIT_USAGE;
  }
  if (!path) {
    fprintf(stderr, "lanthanide replay: --db FILE is required\n");
    usage(stderr);
    return UI_EXIT_USAGE;
  }
  char err[2048], id[64];
  if (store_open_readonly(&r.db, path, err, sizeof err) != 0) {
    fprintf(stderr, "replay: %s\n", err);
    return UI_EXIT_FAIL;
  }
  int status = UI_EXIT_FAIL;
  int rc = dbtool_session(r.db, session, id, sizeof id, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "replay: %s\n", err);
    if (rc > 0 && !session)
      status = UI_EXIT_USAGE;
    goto done;
  }
  if (dbtool_game_load(r.db, id, &r.g, err, sizeof err) != 0) {
    fprintf(stderr, "replay: %s\n", err);
    goto done;
  }
  if (proto_decoder_init(&r.dec) != 0) {
    fprintf(stderr, "replay: out of memory\n");
    goto done;
  }
  status = r.want_turn >= 0 ? print_turn(&r, seat) : run(&r);
  free(r.snap);
  proto_decoder_destroy(&r.dec);
done:
  dbtool_game_free(&r.g);
  store_close(r.db);
  return status;
}
