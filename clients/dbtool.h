/*
 * dbtool: what `lanthanide replay` and `lanthanide export` share for
 * reading a server's database directly (docs/storage.md): choosing a
 * session, loading its map and seed, and writing exact decimal numbers
 * from the integers the database stores. The reads themselves are the
 * store library's (store/store.h): the tools run no SQL of their own.
 *
 * The tools never change a database: they open it with
 * store_open_readonly (SQLITE_OPEN_READONLY and PRAGMA query_only), so it
 * can be read while a server is running on it, or after a crash, without
 * touching a byte.
 *
 * Ownership: dbtool_game_load fills a dbtool_game_t the caller frees with
 * dbtool_game_free.
 */
#ifndef LANTHANIDE_DBTOOL_H
#define LANTHANIDE_DBTOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "proto.h"
#include "store.h"

/* The session to work on: `wanted` if it exists, or the only session when
 * wanted is NULL. Returns 0 with its id in id; 1 when it does not exist,
 * or when wanted is NULL and there is not exactly one session (err then
 * names the sessions there are); -1 on a database error. */
int dbtool_session(store_t *st, const char *wanted, char *id, size_t idlen,
                   char *err, size_t errlen);

/* A stored game: its map (parsed from the stored text) and parameters. */
typedef struct dbtool_game {
  char id[64];
  char name[128];
  char status[16];
  char engine[32]; /* the server version that created it */
  model_map_t *map;
  uint64_t seed;
  int turns; /* the session's length */
  int turn;  /* the turn open for orders when last stored */
} dbtool_game_t;

/* Load session id's map and parameters, checking the map against its
 * stored digest. Returns 0, or -1 with a sentence in err. */
int dbtool_game_load(store_t *st, const char *id, dbtool_game_t *g, char *err,
                     size_t errlen);
void dbtool_game_free(dbtool_game_t *g);

/* v / 10^decimals written exactly as a decimal ("1234.5", "-0.25", "3"),
 * trailing zeros dropped; out needs 32 bytes. Parsing the text as a double
 * gives the same value as the server's v / 10^decimals on the wire, since
 * both are the correctly rounded value of the same rational. */
const char *dbtool_decimal(int64_t v, int decimals, char out[32]);

/* Decode a stored submission (a MessagePack array of order maps) into
 * *out, after the protocol's scanner has checked it with the wire's limits
 * (store_scan):
 * an altered or damaged file must not make msgpack-c allocate without
 * bound. *out lives in d's zone until proto_decoder_reset(d). Returns 0,
 * or -1 with a sentence in err. */
int dbtool_decode(proto_decoder_t *d, const void *blob, size_t len,
                  msgpack_object *out, char *err, size_t errlen);

/* ---- What a seat saw versus what was true (issue 13) ------------------
 * dbtool_pack_seen packs seat's observation of st (model_observe, as
 * state.get's body) as a map; dbtool_pack_truth packs the ground truth of
 * the same state in the same shape (model_observe_truth: the map's closed
 * information ignored, every capacity exact, every policy public; on a map
 * without closed information it equals the seat's own observation).
 * dbtool_seen_vs_true compares the seen `public` with the truth, leaf by
 * leaf (paths like "nations.CHN.policies.export_quota"), and calls fn for
 * each leaf that differs (seen or truth "" where a side has no such leaf).
 * Each returns 0, or -1 with a sentence in err. */
int dbtool_pack_seen(const model_state_t *st, int seat, msgpack_packer *pk,
                     char *err, size_t errlen);
int dbtool_pack_truth(const model_state_t *st, int seat, msgpack_packer *pk,
                      char *err, size_t errlen);
typedef void (*dbtool_diff_fn)(void *arg, const char *path, const char *seen,
                               const char *truth);
/* The comparison itself, of any two MessagePack trees (maps by key,
 * arrays by index; a missing side is ""). */
void dbtool_diff(const msgpack_object *seen, const msgpack_object *truth,
                 dbtool_diff_fn fn, void *arg);
int dbtool_seen_vs_true(const model_state_t *st, int seat, dbtool_diff_fn fn,
                        void *arg, char *err, size_t errlen);

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void dbtool_hex(const uint8_t *b, size_t n, char *out);

#endif
