/*
 * fuzz_conn's one hook for fuzz/make_conn_seeds.c: every message the
 * server writes to the fuzzed connection is shown to fn (after its checks),
 * so a seed generator can read the tokens and codes a request got.
 */
#ifndef LANTHANIDE_FUZZ_CONN_H
#define LANTHANIDE_FUZZ_CONN_H

#include <msgpack.h>

typedef void (*fuzz_conn_sink_fn)(void *arg, const msgpack_object *msg);
void fuzz_conn_set_sink(fuzz_conn_sink_fn fn, void *arg);

#endif
