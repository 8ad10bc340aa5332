/*
 * methods: the server-wide handlers of protocol v1 (hello, ping, maps.list,
 * server.stats) and their table.
 *
 * The handlers share one context (methods_t): the maps folder and its
 * cached listing, and the counters that server.stats reports. main.c
 * concatenates this table with sess_methods (sess.h) into the one table
 * that rpc.h dispatches through; handlers reach their context through
 * call->app, the server's srv_t (srv.h).
 */
#ifndef LANTHANIDE_METHODS_H
#define LANTHANIDE_METHODS_H

#include <stddef.h>

#include "conn.h"
#include "rpc.h"

typedef struct methods methods_t;

/* maps_dir is copied; counters must outlive the context. 0 or -1. */
int methods_new(methods_t **out, const char *maps_dir,
                const conn_counters_t *counters);
void methods_free(methods_t *m);

/* Read the maps folder again now (SIGHUP), logging each file skipped and
 * the ids found, so that an operator who changed a map sees at once
 * whether the server takes it. maps.list and session.create read the
 * folder anew when it changed anyway; this is the operator's check.
 * Returns the number of maps, or -1 if the folder cannot be read. */
struct sess_registry;
int methods_reload_maps(methods_t *m, struct sess_registry *reg);

/* The server's metrics in the Prometheus text (metrics.h), appended to
 * out: what server.metrics answers and GET /metrics serves. 0, or -1 if
 * out of memory. */
struct srv;
int methods_render_metrics(const struct srv *srv, proto_buf_t *out);

/* The method table (static storage); pass the methods_t as rpc_new's app. */
const rpc_method_t *methods_table(size_t *n);

#endif
