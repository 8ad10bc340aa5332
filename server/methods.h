/*
 * methods: the handlers of protocol v1 that exist so far (hello, ping,
 * maps.list, server.stats) and the table that rpc.h dispatches through.
 *
 * The handlers share one context (methods_t): the maps folder and its
 * cached listing, and the counters that server.stats reports. Later issues
 * add the session, storage and agent methods to the same table.
 */
#ifndef LANTHANIDE_METHODS_H
#define LANTHANIDE_METHODS_H

#include <stddef.h>

#include "net.h"
#include "rpc.h"

typedef struct methods methods_t;

/* maps_dir is copied; counters must outlive the context. 0 or -1. */
int methods_new(methods_t **out, const char *maps_dir,
                const net_counters_t *counters);
void methods_free(methods_t *m);

/* The method table (static storage); pass the methods_t as rpc_new's app. */
const rpc_method_t *methods_table(size_t *n);

#endif
