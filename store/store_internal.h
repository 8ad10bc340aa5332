/*
 * What the store's own files share (store.c: schema, writes and commit;
 * store_read.c: the reads). Not for callers outside store/.
 */
#ifndef LANTHANIDE_STORE_INTERNAL_H
#define LANTHANIDE_STORE_INTERNAL_H

#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* The connection, and the schema version of the file as opened (the
 * tools read files of every version up to STORE_SCHEMA_VERSION). */
sqlite3 *store_sqlite(store_t *st);
int64_t store_version(const store_t *st);

#endif
