/*
 * Every limit of the Lanthanide server, in one place.
 *
 * These are the defaults of PROTOCOL.md's "Limits" table plus the few
 * internal caps that bound memory. Each one can be overridden by a flag of
 * lanthanide-server (see server/main.c and `lanthanide-server --help`), and
 * every connection that a limit closes or refuses bumps a counter that an
 * operator can read (server/conn.h, `conn_counters_t`, and the `server.stats`
 * method).
 */
#ifndef LANTHANIDE_PROTO_LIMITS_H
#define LANTHANIDE_PROTO_LIMITS_H

/* One MessagePack value (one request) may not be larger than this. */
#define LAN_MAX_MESSAGE_DEFAULT (1024u * 1024u)
/* The smallest and largest values --max-message accepts. */
#define LAN_MAX_MESSAGE_MIN 64u
#define LAN_MAX_MESSAGE_MAX (64u * 1024u * 1024u)

/* Nesting depth of containers (arrays and maps) in one value. The request
 * envelope itself uses three levels: [0, id, "m", [{...}]]. */
#define LAN_MAX_DEPTH_DEFAULT 16u
/* Hard cap on --max-depth: msgpack-c's unpacker keeps a fixed stack of 32
 * levels (MSGPACK_EMBED_STACK_SIZE), and our scanner a stack of this size. */
#define LAN_MAX_DEPTH_CAP 32u

/* From accept to the first complete, well-formed request. */
#define LAN_FIRST_REQUEST_MS_DEFAULT 10000u
/* From a message's first byte to its last. */
#define LAN_MESSAGE_MS_DEFAULT 10000u
/* A connection that holds no seat and watches nothing is closed after this
 * long without a request. */
#define LAN_IDLE_MS_DEFAULT (15u * 60u * 1000u)
/* TCP keepalive delay for connections that are never closed for idleness. */
#define LAN_KEEPALIVE_S_DEFAULT 60u

/* Unsent output to a client that does not read: past this the connection is
 * closed rather than buffered without end. */
#define LAN_MAX_OUTPUT_DEFAULT (8u * 1024u * 1024u)

/* Connections overall and per remote address. */
#define LAN_MAX_CONNECTIONS_DEFAULT 20000u
#define LAN_MAX_PER_ADDRESS_DEFAULT 512u

/* Wrong join codes per address before `rate_limited` (a token bucket:
 * this many at once, refilled at one per LAN_JOIN_REFILL_MS). */
#define LAN_JOIN_BURST_DEFAULT     10u
#define LAN_JOIN_REFILL_MS_DEFAULT 6000u

/* session.create per address (a token bucket, as for join codes): this
 * many at once, then one more every LAN_CREATE_REFILL_MS. */
#define LAN_CREATE_BURST_DEFAULT     20u
#define LAN_CREATE_REFILL_MS_DEFAULT 3000u

/* Game sessions in play (lobby, running, paused) at once on one server. */
#define LAN_MAX_SESSIONS_DEFAULT 1000u
/* Finished sessions kept in memory (session.list, history.get); past it
 * the one finished longest ago is unloaded (its rows stay in the
 * database for replay and export). */
#define LAN_MAX_FINISHED_DEFAULT 1000u
/* The shortest turn a session may have, in ms (turn_seconds 0.05): a
 * shorter one would spend the loop resolving turns. 0 (no deadline) is
 * always allowed. */
#define LAN_MIN_TURN_MS 50u

/* Bytes of one chat message, and messages kept per session. */
#define LAN_MAX_CHAT_BYTES_DEFAULT    2000u
#define LAN_MAX_CHAT_MESSAGES_DEFAULT 10000u
/* Read-only observer tokens one session holds at once (issue 13,
 * --max-observers): each is a row and a hash the server keeps. */
#define LAN_MAX_OBSERVERS_DEFAULT 64u
/* Chat messages per seat (and per session admin): a token bucket of this
 * many at once, then one more every LAN_CHAT_REFILL_MS. */
#define LAN_CHAT_BURST_DEFAULT     10u
#define LAN_CHAT_REFILL_MS_DEFAULT 2000u

/* The largest map file the server reads (--max-map-bytes), on every path
 * that reads one (session.create, maps.list): world-2024 is 120 KB, so
 * 4 MiB leaves room while a symlink to /dev/zero or a huge file costs
 * nothing. Only regular files are read (docs/protocol.md "maps.list"). */
#define LAN_MAX_MAP_BYTES_DEFAULT (4u * 1024u * 1024u)
#define LAN_MAX_MAP_BYTES_MAX     (64u * 1024u * 1024u)

/* orders.submit per seat: a token bucket of this many at once, then one
 * more every LAN_SUBMIT_REFILL_MS (a seat that floods submissions is
 * answered rate_limited, issue 10). */
#define LAN_SUBMIT_BURST_DEFAULT     30u
#define LAN_SUBMIT_REFILL_MS_DEFAULT 100u

/* Writes (and answers waiting for them) queued for the store's next
 * commit; past it, and while commits fail, durable requests are refused
 * at once with `unavailable` rather than queued in memory. */
#define LAN_MAX_PENDING_WRITES_DEFAULT 20000u

/* Complete requests handled from one connection per loop iteration; the
 * rest of a pipelined burst waits for the next iteration, so one client's
 * burst cannot keep every other connection waiting. */
#define LAN_MAX_BATCH_DEFAULT 64u

/* ---- Added for issue 10 (rd-limits) ---- */

/* A lobby session that no person joined expires (leaves the server and
 * its database) this long after its creation; 0 never. */
#define LAN_LOBBY_EXPIRY_S_DEFAULT 3600u
/* Lobby sessions one address may have created and not yet started (an
 * IPv6 address counts by its /64); with --max-sessions 1000, 99 addresses
 * at this cap still leave room. */
#define LAN_MAX_LOBBY_PER_ADDRESS_DEFAULT 10u
/* Sessions one connection may follow (session.watch and session.join
 * together). */
#define LAN_MAX_WATCHES_DEFAULT 256u
/* session.list pages: the size of a page a client does not size, and the
 * largest `limit` it may ask for. */
#define LAN_LIST_LIMIT_DEFAULT     50u
#define LAN_LIST_LIMIT_MAX_DEFAULT 500u
/* Bytes of output the connection core produces per loop iteration, over
 * every connection; a connection that finds it spent waits, in turn, for
 * the next iteration (one request always goes through per iteration). */
#define LAN_MAX_OUTPUT_PER_ITERATION_DEFAULT (1024u * 1024u)

/* Bytes read from a socket at a time. */
#define LAN_READ_CHUNK 65536u

#endif
