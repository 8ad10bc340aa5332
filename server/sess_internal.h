/*
 * The layout of sessions, shared by the files of the session layer and by
 * nothing else: sess.c (the registry, maps and the life of a session: create,
 * start, pause, resume, stop, the turn clock), sess_token.c (identity and
 * tokens), sess_notify.c (subscribers, notifications, chat), sess_store.c
 * (storage) and sess_methods.c (the RPC handlers).
 */
#ifndef LANTHANIDE_SESS_INTERNAL_H
#define LANTHANIDE_SESS_INTERNAL_H

#include "sess.h"

#include <sodium.h>

#include "agent.h"
#include "metrics.h"
#include "ratelimit.h"

/* A token: 128 bits from the OS's CSPRNG, as 32 hex digits. */
#define SESS_TOKEN_LEN 32
/* A join code: 10 characters of Crockford base32, 50 bits; guessing is
 * further bounded by the per-address rate limit. */
#define SESS_CODE_LEN 10

typedef enum {
  SESS_LOBBY = 0,
  SESS_RUNNING,
  SESS_PAUSED,
  SESS_FINISHED
} sess_status_t;
/* SESS_STATUS_COUNT (sess.h) is the number of statuses above. */

/* The name of seat i of session s (its id in the map), for log_sess. */
#define SESS_SEAT_NAME(s, i) model_map_seat_id((s)->map, (size_t)(i))

/* Secrets are kept as BLAKE2b-256 hashes, in memory as in the database,
 * and compared in constant time. A seat's token is also kept sealed
 * (crypto_secretbox) under a key derived from its join code, so joining
 * with the code always answers the same token, also after a restart,
 * while the database alone reveals neither. */
#define SESS_HASH_BYTES 32
/* How often due turns are looked at again while the store's commits
 * fail (they are resolved once the database can be written). */
#define SESS_DUE_WAIT_MS 500u
/* How long one loop pass may spend resolving due turns (2 ms), and how
 * many it may resolve: turns resolved in one pass are committed together,
 * in one transaction. */
#define SESS_DUE_BUDGET_NS 2000000u
#define SESS_DUE_BATCH     64
#define SESS_BOX_BYTES                                                         \
  (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SESS_TOKEN_LEN)

typedef struct sess_seat {
  uint8_t token_hash[SESS_HASH_BYTES];
  uint8_t code_hash[SESS_HASH_BYTES];
  uint8_t box[SESS_BOX_BYTES];
  char name[64];      /* the player's name given at join, "" if none */
  bool taken;         /* a person has joined it */
  rpc_peer_t *conn;   /* the seat's connection for notifications */
  agent_t *agent;     /* a built-in agent plays it, or NULL */
  bool ready;         /* ready for this turn */
  bool submitted;     /* orders were taken for this turn (any source) */
  rl_bucket_t chat;   /* chat messages from this seat */
  rl_bucket_t submit; /* orders.submit from this seat */
  /* Seat control (sess_token.c): the facilitator locked the seat (its
   * join code is refused; its token still works), and the seat's token
   * sealed under the admin token (has_admin_box false for a session
   * created before the seat_controls table, schema 4), from which
   * seat.reissue_code seals the same token under a new code. */
  bool locked;
  bool has_admin_box;
  uint8_t admin_box[SESS_BOX_BYTES];
} sess_seat_t;

/* A connection subscribed to a session's notifications, with what it may
 * see: the admin sees everything; seats[i] marks seats it holds or
 * watches (private chat to or from them). */
typedef struct sess_sub {
  rpc_peer_t *peer;
  bool admin;
  uint8_t *seats; /* n_seats flags */
  size_t pidx;    /* where peer->watches names this subscription */
} sess_sub_t;

/* One entry of a connection's list of the sessions it follows
 * (rpc_peer_t.watches): the session and where its subs array holds the
 * connection. The two indices point at each other and are kept right on
 * every removal, so a connection's close costs O(its own subscriptions)
 * and a session's end O(its subscribers). */
struct sess_watch {
  sess_session_t *s;
  size_t sidx;
};

/* A read-only observer (issue 13, docs/protocol.md "observer.issue"):
 * issued by the control cell, its token (kept as a hash, as a seat's)
 * reads state.get (public, or one of its seats), history.get and
 * session.watch; every write is forbidden. */
typedef struct sess_observer {
  int64_t id; /* 1, 2, ... in the session, never reused */
  char name[64];
  uint8_t token_hash[SESS_HASH_BYTES];
  uint8_t *seats; /* n_seats flags: the seats it may view */
} sess_observer_t;

/* One of the control cell's injects (issue 13, sess_inject.c): an event
 * that fires at `turn` (given to the model just before that turn
 * resolves), seen as news by the seats of its audience. */
typedef enum {
  SESS_INJECT_PENDING = 0,
  SESS_INJECT_FIRED,
  SESS_INJECT_CANCELLED
} sess_inject_status_t;

typedef struct sess_inject {
  int64_t id; /* 1, 2, ... in the session */
  int turn;
  model_event_t ev; /* ev.turn == turn; ev.n_audience 0: every seat */
  char note[MODEL_MESSAGE_MAX];
  char sources[MODEL_MESSAGE_MAX]; /* a map's inject: its source keys */
  sess_inject_status_t status;
  int64_t created_ms;
  int64_t changed_ms; /* when status last changed (0: never), as stored */
} sess_inject_t;

typedef struct sess_turn {
  int turn;
  proto_buf_t buf; /* the packed summary map of history.get */
} sess_turn_t;

/* Channels (issue 13, docs/protocol.md "Channels"; sess_comms.c). A
 * message's channel, resolved from its id: the built-in ones (all, press,
 * team:<SEAT>, control:<SEAT>, dm:<A>:<B>) are implied by the map's
 * seats; opened ones (ch:<N>) are s->channels[opened]. */
typedef enum {
  SESS_CHAN_ALL = 0, /* chat.send to "all": everyone, as before channels */
  SESS_CHAN_PRESS,   /* everyone reads; seats and control post */
  SESS_CHAN_TEAM,    /* the people on seat a, and control */
  SESS_CHAN_CONTROL, /* seat a and control: requests for information */
  SESS_CHAN_DM,      /* seats a and b (chat.send to a seat), and control */
  SESS_CHAN_OPENED   /* channel.open: its members, and control */
} sess_chan_kind_t;

#define SESS_CHAN_ID_MAX 160
typedef struct sess_chan {
  sess_chan_kind_t kind;
  int a, b;   /* seats (team, control: a; dm: a < b) */
  int opened; /* SESS_CHAN_OPENED: index in s->channels */
  char id[SESS_CHAN_ID_MAX];
} sess_chan_t;

typedef struct sess_channel {
  char id[24]; /* "ch:<N>" */
  char title[LAN_CHANNEL_TITLE_BYTES + 1];
  uint8_t *members; /* n_seats flags */
  size_t n_members;
} sess_channel_t;

/* A negotiation over the wire (docs/protocol.md "Negotiation"). The
 * offer in force is a contract_propose order by `author` to the other
 * party, kept as its canonical wire map; each step is kept for the
 * history and the record. */
typedef enum {
  SESS_NEGO_OPEN = 0,
  SESS_NEGO_COUNTERED,
  SESS_NEGO_ACCEPTED,
  SESS_NEGO_WITHDRAWN
} sess_nego_status_t;

typedef struct sess_nego_step {
  char action[12]; /* propose, counter, accept, withdraw */
  int seat;        /* who took it */
  int turn;
  int64_t t_ms;
  uint8_t *terms; /* the offer after the step (MessagePack map) */
  size_t terms_len;
} sess_nego_step_t;

typedef struct sess_nego {
  char id[16]; /* "n<N>" */
  int a, b;    /* the parties: a proposed first */
  int author;  /* whose offer stands */
  sess_nego_status_t status;
  int accepted_turn;   /* the turn it delivers from (accepted), else -1 */
  size_t accepted_seq; /* steps of the session up to its acceptance: the
                          order contracts are signed in */
  bool signing;        /* sess_comms_sign's mark */
  sess_nego_step_t *steps;
  size_t n_steps;
} sess_nego_t;

struct sess_session {
  sess_registry_t *reg;
  sess_session_t *next;
  sess_session_t *due_next; /* in the registry's FIFO of due turns */
  sess_session_t *fin_next; /* in the registry's list of finished ones */
  bool due;                 /* in the FIFO of due turns */
  bool advancing;           /* session.advance closed the open turn */
  char id[16];
  char name[96];
  const model_map_t *map; /* owned by the registry's map cache */
  const char *map_json;   /* the text it was parsed from (same owner) */
  size_t map_len;
  model_state_t *st;
  uint64_t seed;
  int turns;       /* the session ends after this many turns */
  int64_t turn_ms; /* turn length; 0 for no deadline */
  bool spectators; /* session.watch without a token is allowed */
  bool fixed;      /* turns last their full length even when all are ready */
  sess_status_t status;
  int64_t created_ms; /* wall clock, as stored: the lobby expiry counts it */
  bool has_creator;   /* known (stored since schema 5) */
  rl_key_t creator;   /* the creating address, for --max-lobby-per-address */
  uint8_t admin_hash[SESS_HASH_BYTES];
  uv_timer_t timer;
  int64_t deadline_wall_ms; /* wall-clock deadline of the open turn, 0 none */
  int64_t remaining_ms;     /* time left of the turn while paused */
  sess_seat_t *seats;
  size_t n_seats;
  /* The control cell's events (issue 13, sess_inject.c): whether the
   * map's scripted history runs, and the injects, by id. */
  bool scripted_events;
  sess_inject_t *injects;
  size_t n_injects, cap_injects;
  sess_sub_t *subs;
  size_t n_subs, cap_subs;
  /* Chat messages of the session (they are in the database; the server
   * never reads them back), for --max-chat-messages. */
  size_t n_chat;
  rl_bucket_t admin_chat; /* chat messages from the admin */
  sess_turn_t *history;
  size_t n_history;
  /* Observers (issue 13): at most --max-observers at once */
  sess_observer_t *observers;
  size_t n_observers;
  int64_t next_observer; /* the id the next one gets */
  /* issue 13: opened channels (--max-channels) and negotiations (their
   * steps count against --max-negotiation-steps), both restored from the
   * store. */
  sess_channel_t *channels;
  size_t n_channels;
  sess_nego_t *negos;
  size_t n_negos, n_nego_steps;
  /* Notifications waiting for a commit (sess_tell): a finished session
   * stays loaded until they are sent. */
  size_t untold;
  /* Review (issue 13, docs/protocol.md "Review"): each turn's result is
   * resolved on a clone of the state and held for control; `proposal` is
   * that clone, resolved, while `held` (st stays the open turn's state,
   * its orders closed) until turn.release commits it. */
  bool review;
  bool held;
  model_state_t *proposal;
  /* session.fork: the session and turn it was forked from ("", -1). */
  char forked_from[16];
  int forked_turn;
};

/* A loaded map and the text it was parsed from. */
typedef struct sess_map {
  model_map_t *map;
  char *json;
  size_t len;
} sess_map_t;

/* Every token hash this server has issued (admin and seats, of every
 * session in the database, loaded or not): an open-addressing set keyed
 * by the hash itself (BLAKE2b of 128 random bits, uniform already). It
 * tells "another session's token" (forbidden) from "no token of ours"
 * (unauthorized) in O(1). A token leaves it only when the facilitator
 * revokes or rotates it (sess_token_del): it is then no token of ours. */
typedef struct sess_tokset {
  uint8_t (*keys)[SESS_HASH_BYTES]; /* all-zero: an empty slot */
  size_t cap, n;                    /* cap is a power of two */
} sess_tokset_t;

/* A stored session the restore found damaged (server.quarantine). */
typedef struct sess_quarantined {
  char id[64];
  char reason[1024];
} sess_quarantined_t;

struct sess_registry {
  uv_loop_t *loop;
  sess_config_t cfg;
  char maps_dir[1024];
  sess_session_t *sessions;
  size_t n_sessions;
  sess_session_t **byid; /* the n_sessions sessions in order of id */
  size_t cap_byid;
  uv_timer_t expiry;                   /* expires unjoined lobby sessions */
  size_t n_finished;                   /* of n_sessions */
  sess_session_t *fin_head, *fin_tail; /* finished, oldest first */
  sess_session_t *due_head, *due_tail; /* turns due, first come first */
  uv_idle_t due_idle;                  /* resolves due turns, 2 ms a pass */
  uv_timer_t due_wait;                 /* due turns wait while commits fail */
  sess_tokset_t tokens;
  sess_map_t *maps; /* loaded maps, shared by sessions */
  size_t n_maps;
  sess_counters_t counters;
  metrics_hist_t turn_hist; /* model_resolve's time per turn */
  struct store *store;      /* NULL: nothing is stored (tools, unit tests) */
  rl_table_t join_limit;    /* wrong join codes, per address */
  rl_table_t create_limit;  /* session.create, per address */
  rl_rate_t chat_rate;      /* chat per seat */
  rl_rate_t submit_rate;    /* orders.submit per seat */
  int64_t next_chat_id;     /* the next chat message's id (issue 13) */
  proto_buf_t nbuf;         /* where notifications are packed */
  msgpack_packer npk;
  sess_quarantined_t *quarantine; /* damaged sessions, not served */
  size_t n_quarantine;
  bool closed;
};

typedef enum {
  SESS_ID_NONE,    /* no token given */
  SESS_ID_UNKNOWN, /* a token no session knows: unauthorized */
  SESS_ID_OTHER,   /* another session's token: forbidden here */
  SESS_ID_ADMIN,
  SESS_ID_SEAT,
  SESS_ID_OBSERVER /* *seat: the index in s->observers */
} sess_ident_t;

int64_t sess_wall_ms(void);
void sess_random_token(char out[SESS_TOKEN_LEN + 1]);
void sess_random_code(char *out, size_t len);
void sess_hash_token(const char *tok, size_t len, uint8_t out[SESS_HASH_BYTES]);
void sess_hash_code(const sess_session_t *s, const char *code,
                    uint8_t out[SESS_HASH_BYTES]);
/* Seal token for seat under its code / open it again (0, or -1 if the
 * code does not open the box). */
void sess_seal_token(const sess_session_t *s, int seat, const char *code,
                     const char *token, uint8_t box[SESS_BOX_BYTES]);
int sess_open_token(const sess_session_t *s, int seat, const char *code,
                    char token[SESS_TOKEN_LEN + 1]);
/* Seal a seat's token under the session's admin token / open it again
 * (0, or -1 if that admin token does not open the box). */
void sess_seal_admin(const sess_session_t *s, int seat, const char *admin_token,
                     size_t admin_len, const char *token,
                     uint8_t box[SESS_BOX_BYTES]);
int sess_open_admin(const sess_session_t *s, int seat, const char *admin_token,
                    size_t admin_len, char token[SESS_TOKEN_LEN + 1]);
sess_ident_t sess_identify(sess_registry_t *reg, const sess_session_t *s,
                           const char *tok, size_t len, int *seat);
/* The registry's set of token hashes: 0, or -1 out of memory. */
int sess_token_add(sess_registry_t *reg, const uint8_t h[SESS_HASH_BYTES]);
bool sess_token_known(const sess_registry_t *reg,
                      const uint8_t h[SESS_HASH_BYTES]);
/* A revoked token leaves the set (it is then no token of ours). */
void sess_token_del(sess_registry_t *reg, const uint8_t h[SESS_HASH_BYTES]);

/* Seat control (sess_token.c; docs/protocol.md "Seat control"). Each
 * changes memory, queues the change for storage and answers 0, or -1 out
 * of memory (nothing changed). */
/* Give seat a new token (and a new code nobody knows: the facilitator
 * re-issues one); the old token stops working, and every connection that
 * held the seat is told (seat.revoked) and loses it. The admin token is
 * the caller's (the new token is sealed under it). */
int sess_seat_rotate(sess_session_t *s, int seat, const char *admin_token,
                     size_t admin_len);
/* A new join code for seat, for the token the seat has (or, without an
 * admin box, for a new token, as sess_seat_rotate). */
int sess_seat_reissue(sess_session_t *s, int seat, const char *admin_token,
                      size_t admin_len, char code[SESS_CODE_LEN + 1]);
void sess_seat_lock(sess_session_t *s, int seat, bool locked);
/* A new admin token; the old one stops working, and every other
 * connection watching as the admin loses the admin's view and is told
 * (session.admin_rotated). keep: the caller's connection (keeps it). */
int sess_admin_rotate(sess_session_t *s, const char *old, size_t old_len,
                      rpc_peer_t *keep, char admin_token[SESS_TOKEN_LEN + 1]);
/* Observers (sess_token.c, issue 13). Issue one: a new token into
 * token (the only time it exists in plain text), its seats as n_seats
 * flags (copied); 0, or -1 out of memory (nothing changed). Revoke the
 * observer at index i: its token stops working at once. Both queue the
 * change for storage. */
int sess_observer_issue(sess_session_t *s, const char *name,
                        const uint8_t *seats, int64_t *id,
                        char token[SESS_TOKEN_LEN + 1]);
void sess_observer_revoke(sess_session_t *s, size_t i);
/* Read the stored observers of a restored session. 0, or -1 with err. */
int sess_restore_observers(sess_session_t *s, char *err, size_t errlen);
void sess_observers_free(sess_session_t *s);
/* Drop every observer token of s from the registry's set (purge). */
void sess_observers_forget(sess_session_t *s);

/* Store every seat's control row (at session.create). */
void sp_seat_controls(sess_session_t *s);
/* Read the stored control rows of a restored session. 0, or -1 with err. */
int sess_restore_controls(sess_session_t *s, char *err, size_t errlen);

sess_session_t *sess_find(sess_registry_t *reg, const char *id, size_t len);
int sess_map_get(sess_registry_t *reg, const char *id, size_t len,
                 sess_map_t **out, proto_error_t *err);
int sess_map_parse(sess_registry_t *reg, const char *json, size_t len,
                   const char *name, sess_map_t **out, proto_error_t *err);
/* Create a session; writes the admin token and every seat's join code
 * (the only time they exist in plain text) into admin_token and codes.
 * creator: the creating address's key, stored with the session for
 * --max-lobby-per-address (NULL: unknown). */
int sess_create(sess_registry_t *reg, const sess_map_t *sm, const char *name,
                uint64_t seed, int turns, int64_t turn_ms, bool spectators,
                bool fixed, const rl_key_t *creator,
                char admin_token[SESS_TOKEN_LEN + 1],
                char (*codes)[SESS_CODE_LEN + 1], sess_session_t **out,
                proto_error_t *err);

/* The connection's subscription to s, made if it has none: NULL with err
 * set (too_large at --max-watches-per-connection, else out of memory). */
sess_sub_t *sess_subscribe(sess_session_t *s, rpc_peer_t *peer,
                           proto_error_t *err);
/* Drop every subscription of s (it is leaving the registry). */
void sess_unsubscribe_all(sess_session_t *s);
/* Start packing the notification [2, method, [{"session": id, ...}]] in
 * the registry's buffer; the caller packs `pairs` more key-value pairs
 * and sends it with sess_broadcast. */
msgpack_packer *sess_notify_begin(sess_session_t *s, const char *method,
                                  size_t pairs);
/* Send the notification packed by sess_notify_begin to every subscriber
 * that may see it (chat_from/chat_to: -2 for what everyone sees). */
void sess_broadcast(sess_session_t *s, int chat_from, int chat_to);
/* Send the notification packed by sess_notify_begin to every subscriber
 * once everything queued for storage so far is committed, never before
 * (issue 10: nothing is told before it is stored); never if the server
 * stops first. Without a store, now. */
void sess_tell(sess_session_t *s);
/* As sess_tell, for a session that leaves the registry before the commit
 * (session.expired): each subscriber's place in its connection's order
 * is taken now, the bytes go out once the change is committed (never if
 * the server stops first). Call it before dropping the subscriptions. */
void sess_tell_leaving(sess_session_t *s);
/* Unload finished sessions past --max-finished (those told of their end). */
void sess_trim_finished(sess_registry_t *reg);
void sess_notify_seat_moved(sess_session_t *s, rpc_peer_t *peer, int seat);
/* Tell peer it lost seat ([2, method, [{session, seat[, strategy]}]]) and
 * stop sending it the seat's notifications (seat.moved, seat.revoked,
 * seat.agent) from now on. The notice's place in peer's order is taken
 * now and it goes out once everything queued for storage so far (the
 * change that caused it: queue that first) is committed, never before
 * (issue 10). The caller must re-find subscriptions after this. */
void sess_notify_seat_lost(sess_session_t *s, rpc_peer_t *peer, int seat,
                           const char *method, const char *strategy);
/* Tell every connection that follows seat (its connection and watches
 * with its token) [2, method, [{session, seat[, strategy]}]], after the
 * commit as sess_notify_seat_lost; with drop, as sess_notify_seat_lost:
 * they stop following it at once, and the seat has no connection after. */
void sess_seat_notify_all(sess_session_t *s, int seat, const char *method,
                          const char *strategy, bool drop);
/* Every connection but keep that watches as the admin loses the admin's
 * view at once and is sent session.admin_rotated after the commit (as
 * sess_notify_seat_lost). */
void sess_admin_drop_all(sess_session_t *s, const rpc_peer_t *keep);
/* Queue a chat message on channel ch for storage; chat.message goes out
 * once it is committed (RPC_OK_DURABLE for the caller), to the channel's
 * readers (sess_chan_reads). to: the message's `to` (-1: "all"; for an
 * opened channel, the channel's id is sent as `to`). */
int sess_chat(sess_session_t *s, rpc_peer_t *sender, int from, int to,
              const sess_chan_t *ch, const char *text, size_t len,
              proto_error_t *err);

/* ---- issue 13: channels, negotiation (sess_comms.c) ---- */
/* Resolve a channel id: 0, or -1 with err (not_found). */
int sess_chan_parse(const sess_session_t *s, const char *id, size_t len,
                    sess_chan_t *out, proto_error_t *err);
/* The channel chat.send's `to` implies (from, to: seats; -1 the admin,
 * "all"). */
void sess_chan_of_to(const sess_session_t *s, int from, int to,
                     sess_chan_t *out);
/* Does seat (>= 0) belong to ch (read and post)? */
bool sess_chan_member(const sess_session_t *s, const sess_chan_t *ch, int seat);
/* May the subscriber read ch (admin: all; public channels: all)? */
bool sess_chan_sub_reads(const sess_session_t *s, const sess_chan_t *ch,
                         const sess_sub_t *sub);
/* As sess_tell, to the readers of channel ch only (after the commit). */
void sess_tell_chan(sess_session_t *s, const sess_chan_t *ch);
/* Send the notification packed in reg->nbuf to ch's readers but skip, now
 * (ch NULL: everyone). */
void sess_broadcast_chan(sess_session_t *s, const sess_chan_t *ch,
                         const rpc_peer_t *skip);
/* Restore a session's channels and negotiations (sess_store.c calls it):
 * 0, or an error with err. */
int sess_comms_restore(sess_session_t *s, char *err, size_t errlen);
/* Free them (sess_free). */
void sess_comms_free(sess_session_t *s);
/* session.fork at `turn` (sess.c): f gets a copy of s's opened channels
 * (not their chat) and of the negotiation steps taken before `turn`, as
 * store_fork_rows copies their rows. 0, or -1 out of memory (what was
 * copied is f's, freed with it). */
int sess_comms_fork(sess_session_t *f, const sess_session_t *s, int turn);
/* session.reset: the negotiations go (their rows with the game's). */
void sess_comms_reset(sess_session_t *s);
/* Sign the open turn's accepted negotiations into st (s->st, or a review
 * session's copy) before it is resolved (model_contract_sign; replay
 * signs the same). count: add them to `contracts_signed` (false when a
 * held turn is resolved again at its release: they were counted when it
 * was held). */
void sess_comms_sign(sess_session_t *s, model_state_t *st, bool count);
/* The handlers (the table is sess_methods.c's). */
int sess_m_channel_open(rpc_call_t *call);
int sess_m_channels_list(rpc_call_t *call);
int sess_m_chat_history(rpc_call_t *call);
int sess_m_contract_propose(rpc_call_t *call);
int sess_m_contract_counter(rpc_call_t *call);
int sess_m_contract_accept(rpc_call_t *call);
int sess_m_contract_withdraw(rpc_call_t *call);
int sess_m_contract_negotiations(rpc_call_t *call);
int sess_m_timeline(rpc_call_t *call);
/* sess_methods.c's helpers, for the handlers above: the registry, the
 * session of params.session, the caller's identity, a seat by id. */
sess_registry_t *sess_call_reg(rpc_call_t *call);
sess_session_t *sess_call_session(rpc_call_t *call);
int sess_call_authorise(rpc_call_t *call, sess_session_t *s, bool want_admin,
                        bool want_seat, bool *is_admin, int *seat);
int sess_call_seat(rpc_call_t *call, sess_session_t *s, const char *key,
                   int *seat);
/* The observer whose token the caller gave as `token` (its index in
 * s->observers), or -1: not an observer's (sess_call_authorise judges
 * it). */
int sess_call_observer(rpc_call_t *call, sess_session_t *s);
void sess_advance(sess_session_t *s);

/* Add s (its id set) to the registry: 0, or -1 out of memory. */
int sess_attach(sess_registry_t *reg, sess_session_t *s)
    __attribute__((warn_unused_result));
/* The first index of reg->byid whose id is not below id[0..len). */
size_t sess_byid_lower(const sess_registry_t *reg, const char *id, size_t len);
/* The first index of reg->byid whose id is above id[0..len). */
size_t sess_byid_after(const sess_registry_t *reg, const char *id, size_t len);
/* Lobby sessions created (since this start) from this address key. */
size_t sess_lobby_count(const sess_registry_t *reg, const rl_key_t *creator);
void sess_free(sess_session_t *s);
uint64_t sess_agent_seed(const sess_session_t *s, int seat);
void sess_store_accepted(sess_session_t *s, int seat,
                         const model_order_t *orders, size_t n,
                         const model_refusal_t *refused, size_t n_refused,
                         const char *source);

/* ---- Review and forks (issue 13; sess.c) ----
 * Hold the open turn's result for control: resolve a clone of the state,
 * keep it as s->proposal, stop the clock, store the held turn, and (tell)
 * send turn.proposed to the admin's connections once committed. 0 when
 * held; non-zero when the model refused the turn (the session is paused,
 * as a refused turn always pauses it) or memory ran out. */
int sess_hold(sess_session_t *s, bool tell);
/* Commit the held turn with amendments a[0..n) (each validated by the
 * model; any error refuses the whole release, nothing changed): stored
 * with the turn, then the turn commits exactly as an unreviewed one. 0, or
 * -1 with err set. */
int sess_release(sess_session_t *s, const model_amendment_t *a, size_t n,
                 proto_error_t *err);
/* Pack the held outcome of s (a map; nil when nothing is held). */
int sess_pack_outcome(msgpack_packer *pk, const sess_session_t *s);
/* Pack review, proposed and forked_from as three key-value pairs (for
 * session.list, and session.status where it exists). */
void sess_pack_review_pairs(msgpack_packer *pk, const sess_session_t *s);
/* A new session, paused at `turn`, whose turns before it are s's (their
 * rows copied), with its own id, admin token and seats' codes (written
 * into admin_token and codes, as sess_create). */
int sess_fork(sess_session_t *s, int turn, const rl_key_t *creator,
              char admin_token[SESS_TOKEN_LEN + 1],
              char (*codes)[SESS_CODE_LEN + 1], sess_session_t **out,
              proto_error_t *err);
/* Send the notification packed by sess_notify_begin to the admin's
 * connections only, once everything queued so far is committed. */
void sess_tell_admin(sess_session_t *s);
/* Storage of review and forks (sess_store.c). */
void sp_review(sess_session_t *s);
void sp_held(sess_session_t *s);
int sp_amendments(sess_session_t *s, int turn, const model_amendment_t *a,
                  size_t n);

/* Storage of sessions (sess_store.c); each queues writes, sp_flush
 * commits them. */
void sp_session(sess_session_t *s);
void sp_status(sess_session_t *s);
void sp_seat(sess_session_t *s, int seat);
void sp_submission(sess_session_t *s, int seat, const model_order_t *orders,
                   size_t n, const char *source);
void sp_ready(sess_session_t *s, int seat);
void sp_unready(sess_session_t *s, int seat);
int sp_chat(sess_session_t *s, int from, int to, const sess_chan_t *ch,
            int64_t id, const char *text, size_t len);
/* Is a session of this id in the database (loaded or not)? */
bool sp_id_stored(sess_registry_t *reg, const char *id);
int sp_turn(sess_session_t *s, const model_report_t *rep,
            const proto_buf_t *summary);
int sp_flush(sess_session_t *s);
/* May a request that stores something be taken now? 0; or, while the
 * store's commits fail or --max-pending-writes writes wait, -1 with an
 * `unavailable` error in err naming what (an "order") was not stored,
 * counted in durable_refused. */
int sp_refuse(sess_registry_t *reg, const char *what, proto_error_t *err);

size_t sess_waiting(const sess_session_t *s);
void sess_agent_act(sess_session_t *s, int seat);
void sess_arm(sess_session_t *s);
/* Resolve every due turn now (at start, before serving). */
void sess_resolve_due(sess_registry_t *reg);
/* The session just finished: count it, and unload the finished session
 * that finished longest ago if more than --max-finished are kept. */
void sess_finished(sess_session_t *s);
void sess_start(sess_session_t *s);
void sess_pause(sess_session_t *s);
void sess_resume(sess_session_t *s);
void sess_extend(sess_session_t *s, int64_t delta_ms);
void sess_finish(sess_session_t *s);
int sess_resolve(sess_session_t *s);
void sess_seat_ready(sess_session_t *s, int seat);
void sess_seat_to_agent(sess_session_t *s, int seat, agent_t *agent);
/* session.reset (issue 14): the game back to turn 0 with `seed` (a new
 * model state, no history, no submission, agents re-seeded), seats, tokens
 * and connections kept; the session goes to the lobby, or is started at
 * once with `start`. Tells the session's connections (session.reset).
 * Returns 0, or -1 out of memory (nothing changed). */
int sess_reset(sess_session_t *s, uint64_t seed, bool start)
    __attribute__((warn_unused_result));
/* session.delete (issue 14): forget a lobby or finished session now; its
 * rows stay in the database for replay (marked deleted) unless purge
 * (then they go as an expired lobby session's do, store_del_session, and
 * its tokens with them). The deletion is queued for storage first: -1 out
 * of memory, nothing changed. Its followers stop following it at once
 * (each keeps its place for the answers already on their way); the
 * session's memory is freed once its timer handle has closed. */
int sess_delete(sess_session_t *s, bool purge)
    __attribute__((warn_unused_result));
/* Storage of a reset (the game rows go, the seed is `seed`) and a delete
 * (sess_store.c): queued, committed with the session's next commit.
 * 0, or -1 out of memory (nothing queued). */
int sp_reset(sess_session_t *s, uint64_t seed)
    __attribute__((warn_unused_result));
int sp_delete(sess_session_t *s, bool purge)
    __attribute__((warn_unused_result));

/* ---- The control cell's events (sess_inject.c, issue 13) ---- */

/* Does the session run its map's scripted history (session.create's
 * scripted_events; session.status reports it)? */
bool sess_scripted_events(const sess_session_t *s);
/* At session.create, with the state new: turn the map's scripted events
 * off when the session runs without them, load the map's prepared
 * injects as pending ones, and queue both for the store. 0, or -1 out of
 * memory. */
int sess_inject_created(sess_session_t *s, bool scripted_events);
/* At the restore, with the state restored: the flag, the injects and the
 * cancelled scripted events as stored. 0, STORE_DAMAGED or -1 (err). */
int sess_inject_restore(sess_session_t *s, char *err, size_t errlen);
/* session.reset, the new state in place: the fired injects wait to fire
 * again, cancelled scripted events run again (the store's reset does the
 * same to the rows). */
void sess_inject_reset(sess_session_t *s);
/* Just before model_resolve of the open turn on st (s->st, or a review
 * session's copy): queue the turn's injects in st, those pending and
 * those already fired at this turn (a held turn resolved again: after a
 * restart, or at a release that refuses orders). After it:
 * sess_inject_resolved with the result (pending injects are marked fired
 * and stored, or st's queue is emptied when the turn was refused). */
void sess_inject_fire(sess_session_t *s, model_state_t *st);
void sess_inject_resolved(sess_session_t *s, model_state_t *st, int turn,
                          bool ok);
/* Pack turn h's summary as a viewer may see it: everything for the admin,
 * else without the news whose audience names none of `seats` (flags by
 * seat index; NULL for the public view). */
void sess_pack_summary_for(const sess_session_t *s, msgpack_packer *pk,
                           const sess_turn_t *h, bool admin,
                           const uint8_t *seats);
/* Send turn.resolved {session, turn, summary} once the resolution is
 * committed, each subscriber its own copy of the summary when the turn
 * has news for some seats only. */
void sess_tell_resolved(sess_session_t *s, const sess_turn_t *h);
void sess_inject_free(sess_session_t *s);
/* session.fork at `turn` (sess.c): f takes s's scripted_events flag and a
 * copy of every inject, those of `turn` or later pending again when they
 * fired, or were cancelled after resolved_ms (when turn - 1 resolved;
 * every cancellation for a fork at turn 0): the rule of store.c's
 * FORK_REARM for the rows. 0, or -1 out of memory. */
int sess_inject_fork(sess_session_t *f, const sess_session_t *s, int turn,
                     int64_t resolved_ms);

/* The handlers of event.inject, event.list, event.cancel (the method
 * table is in sess_methods.c). */
int sess_m_event_inject(rpc_call_t *call);
int sess_m_event_list(rpc_call_t *call);
int sess_m_event_cancel(rpc_call_t *call);
/* For handlers outside sess_methods.c: the session named by `session`
 * and the caller as its admin (refused with `unavailable` first while
 * the database cannot take a change, when `what` names one). NULL with
 * call->err filled. */
sess_session_t *sess_method_admin(rpc_call_t *call, const char *what);

#endif
