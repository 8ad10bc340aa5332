/*
 * cli: a small blocking MessagePack-RPC client for the lanthanide command-line
 * tool. One connection, one request at a time; notifications that arrive
 * while waiting for a response are handed to a callback.
 *
 * It is deliberately simple (POSIX sockets, no event loop): the CLI is an
 * interactive tool, and a bot that wants pipelining uses its own loop.
 */
#ifndef LANTHANIDE_CLIENT_H
#define LANTHANIDE_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>

typedef struct cli_conn cli_conn_t;

/* Called for each notification [2, method, params] received while waiting. */
typedef void (*cli_notify_fn)(void *data, const char *method, size_t len,
                              const msgpack_object *params);

/* Connect to "HOST:PORT" (IPv4 or a name). Returns NULL and prints why on
 * stderr. timeout_ms bounds connect and every wait for a response. */
cli_conn_t *cli_connect(const char *hostport, int timeout_ms);
void cli_close(cli_conn_t *c);
void cli_on_notify(cli_conn_t *c, cli_notify_fn fn, void *data);

/* The result of one call. result/error point into memory owned by the
 * connection, valid until the next cli_call or cli_close. */
typedef struct cli_reply {
  const msgpack_object *error;  /* NULL on success */
  const msgpack_object *result; /* nil object on error */
} cli_reply_t;

/* Send [0, id, method, [params]] where params is a JSON object (NULL for no
 * arguments) and wait for the matching response. Returns 0 when a response
 * arrived (check reply->error), -1 on a transport failure (printed). */
int cli_call(cli_conn_t *c, const char *method, json_t *params,
             cli_reply_t *reply);

/* The same with params packed by pack (exactly one map), for callers that
 * build MessagePack directly (orders from model_order_t). */
int cli_call_packed(cli_conn_t *c, const char *method,
                    int (*pack)(msgpack_packer *pk, void *arg), void *arg,
                    cli_reply_t *reply);

/* Wait up to timeout_ms for notifications (0: poll once). -1 on a closed or
 * broken connection. */
int cli_wait(cli_conn_t *c, int timeout_ms);

/* Conversions between msgpack objects and jansson values. Binary becomes a
 * base-less hex string; non-string map keys become their JSON text. */
json_t *cli_to_json(const msgpack_object *o);
int cli_pack_json(msgpack_packer *pk, const json_t *j);

/* Look up a string key in a map object (NULL if absent or not a map). */
const msgpack_object *cli_get(const msgpack_object *map, const char *key);

/* ---- Extensions for the interactive commands (play, watch) ---------------
 *
 * An interactive client multiplexes the socket with stdin and timers in its
 * own poll(2) loop. For that, cli_call and cli_wait dispatch every complete
 * message they have read before returning, so that "the socket is readable"
 * is the only sign that a notification may be waiting. */

/* The connection's socket, for poll(2). Owned by the connection. */
int cli_fd(const cli_conn_t *c);

/* cli_call with the reply converted to JSON. params is borrowed. Returns 0
 * with *result set (the caller owns it), 1 when the server answered with an
 * error, with *error set to its map (the caller owns it; error may be NULL
 * to drop it), or -1 on a transport failure (printed on stderr). */
int cli_call_json(cli_conn_t *c, const char *method, json_t *params,
                  json_t **result, json_t **error);

/* Every session of session.list as one JSON array, paging through it
 * ({after} until `next` is nil); an older server that answers the
 * whole list at once is accepted too. Returns as cli_call_json. */
int cli_list_sessions(cli_conn_t *c, json_t **result, json_t **error);

/* Keep notifications in a FIFO as JSON, instead of (or as well as) handing
 * them to the callback. A queue lets the caller act on a notification with
 * further calls, which a callback, running inside cli_call, must not make. */
void cli_queue_notifications(cli_conn_t *c, bool on);

/* Take the oldest queued notification: 1 with *method (the caller frees it)
 * and *params (the caller owns it; an empty object when the notification had
 * none), 0 when the queue is empty. */
int cli_next_notification(cli_conn_t *c, char **method, json_t **params);

#endif
