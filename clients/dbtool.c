/*
 * dbtool: reading a Lanthanide database from the command-line tools
 * (replay, export). See dbtool.h.
 */
#include "dbtool.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static int64_t pragma_int(sqlite3 *db, const char *sql, int *ok) {
  sqlite3_stmt *s;
  int64_t v = 0;
  *ok = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
    return 0;
  if (sqlite3_step(s) == SQLITE_ROW) {
    v = sqlite3_column_int64(s, 0);
    *ok = 1;
  }
  sqlite3_finalize(s);
  return v;
}

int dbtool_open(const char *path, sqlite3 **out, char *err, size_t errlen) {
  sqlite3 *db = NULL;
  *out = NULL;
  /* READONLY never creates the file, so a mistyped name is an error rather
   * than a new empty database. */
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open %s: %s", path,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    goto fail;
  }
  /* Belt and braces: even a statement of ours that tried to write would be
   * refused. */
  sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
  /* A running server holds no lock long; wait a little rather than fail. */
  sqlite3_busy_timeout(db, 2000);
  int ok;
  int64_t version = pragma_int(db, "PRAGMA user_version", &ok);
  if (!ok) {
    snprintf(err, errlen, "%s is not a Lanthanide database (SQLite says: %s)",
             path, sqlite3_errmsg(db));
    goto fail;
  }
  if (version > STORE_SCHEMA_VERSION) {
    snprintf(err, errlen,
             "%s has schema version %" PRId64 ", newer than this tool's %d; "
             "use the lanthanide of the server that wrote it",
             path, version, STORE_SCHEMA_VERSION);
    goto fail;
  }
  if (version < 1) {
    snprintf(err, errlen,
             "%s has no Lanthanide schema (version %" PRId64 "); a server "
             "creates it on first start with --db",
             path, version);
    goto fail;
  }
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "%s cannot be checked: %s", path, sqlite3_errmsg(db));
    goto fail;
  }
  const char *res = sqlite3_step(s) == SQLITE_ROW
                        ? (const char *)sqlite3_column_text(s, 0)
                        : NULL;
  if (!res || strcmp(res, "ok") != 0) {
    snprintf(err, errlen, "%s is damaged (PRAGMA quick_check: %s)", path,
             res ? res : sqlite3_errmsg(db));
    sqlite3_finalize(s);
    goto fail;
  }
  sqlite3_finalize(s);
  *out = db;
  return 0;
fail:
  sqlite3_close(db);
  return -1;
}

int dbtool_session(sqlite3 *db, const char *wanted, char *id, size_t idlen,
                   char *err, size_t errlen) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db,
                         "SELECT id, name, map_id, status FROM sessions "
                         "ORDER BY created_ms, id",
                         -1, &s, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "cannot read the sessions: %s", sqlite3_errmsg(db));
    return -1;
  }
  size_t n = 0, used = 0;
  int found = 0;
  err[0] = '\0';
  while (sqlite3_step(s) == SQLITE_ROW) {
    const char *sid = (const char *)sqlite3_column_text(s, 0);
    if (wanted && strcmp(sid, wanted) == 0) {
      snprintf(id, idlen, "%s", sid);
      found = 1;
    }
    if (!wanted && n == 0)
      snprintf(id, idlen, "%s", sid);
    /* The list of sessions, for the message when the choice is unclear. */
    if (used < errlen) {
      int w =
          snprintf(err + used, errlen - used, "%s  %s (%s, map %s)", "\n", sid,
                   sqlite3_column_text(s, 3), sqlite3_column_text(s, 2));
      used += w > 0 ? (size_t)w : 0;
    }
    n++;
  }
  sqlite3_finalize(s);
  if (wanted ? found : n == 1) {
    err[0] = '\0';
    return 0;
  }
  char list[1024];
  snprintf(list, sizeof list, "%s", err);
  if (n == 0)
    snprintf(err, errlen, "the database holds no session");
  else if (wanted)
    snprintf(err, errlen, "no session '%s' in the database; it holds:%s",
             wanted, list);
  else
    snprintf(err, errlen,
             "the database holds %zu sessions; choose one with "
             "--session:%s",
             n, list);
  return 1;
}

int dbtool_game_load(sqlite3 *db, const char *id, dbtool_game_t *g, char *err,
                     size_t errlen) {
  memset(g, 0, sizeof *g);
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db,
                         "SELECT name, map_json, map_digest, seed, turns, "
                         "engine_version, status, turn FROM sessions "
                         "WHERE id = ?",
                         -1, &s, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "cannot read session %s: %s", id, sqlite3_errmsg(db));
    return -1;
  }
  sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s) != SQLITE_ROW) {
    snprintf(err, errlen, "no session '%s' in the database", id);
    sqlite3_finalize(s);
    return -1;
  }
  snprintf(g->id, sizeof g->id, "%s", id);
  snprintf(g->name, sizeof g->name, "%s", sqlite3_column_text(s, 0));
  snprintf(g->engine, sizeof g->engine, "%s", sqlite3_column_text(s, 5));
  snprintf(g->status, sizeof g->status, "%s", sqlite3_column_text(s, 6));
  g->seed = (uint64_t)sqlite3_column_int64(s, 3);
  g->turns = sqlite3_column_int(s, 4);
  g->turn = sqlite3_column_int(s, 7);
  model_error_t merr;
  int rc = model_map_load_string((const char *)sqlite3_column_text(s, 1),
                                 (size_t)sqlite3_column_bytes(s, 1), id,
                                 &g->map, &merr);
  if (rc != 0) {
    snprintf(err, errlen, "session %s: its stored map cannot be read: %s%s%s",
             id, model_strerror(rc), rc == MODEL_EMAP ? ": " : "",
             rc == MODEL_EMAP ? merr.message : "");
    sqlite3_finalize(s);
    return -1;
  }
  if (sqlite3_column_bytes(s, 2) != MODEL_HASH_BYTES ||
      memcmp(sqlite3_column_blob(s, 2), model_map_digest(g->map),
             MODEL_HASH_BYTES) != 0) {
    snprintf(err, errlen,
             "session %s: its stored map does not match its stored digest "
             "(the row was altered)",
             id);
    sqlite3_finalize(s);
    dbtool_game_free(g);
    return -1;
  }
  sqlite3_finalize(s);
  return 0;
}

void dbtool_game_free(dbtool_game_t *g) {
  model_map_free(g->map);
  g->map = NULL;
}

const char *dbtool_decimal(int64_t v, int decimals, char out[32]) {
  uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  if (decimals < 0)
    decimals = 0;
  if (decimals > 18) /* 10^19 overflows; no unit of ours needs more */
    decimals = 18;
  /* The digits from the right: the fraction (trailing zeros dropped), the
   * point, the whole part, the sign. */
  char tmp[32];
  size_t n = 0;
  bool any = false;
  for (int i = 0; i < decimals; i++, mag /= 10) {
    int d = (int)(mag % 10);
    if (d != 0 || any) {
      tmp[n++] = (char)('0' + d);
      any = true;
    }
  }
  if (any)
    tmp[n++] = '.';
  do {
    tmp[n++] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag > 0);
  if (v < 0)
    tmp[n++] = '-';
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return out;
}

int dbtool_decode(proto_decoder_t *d, const void *blob, size_t len,
                  msgpack_object *out, char *err, size_t errlen) {
  proto_limits_t lim;
  proto_scan_t scan;
  proto_error_t perr;
  size_t used = 0;
  proto_limits_default(&lim);
  proto_scan_init(&scan);
  proto_scan_result_t r = len > 0
                              ? proto_scan_feed(&scan, &lim, blob, len, &used)
                              : PROTO_SCAN_MORE;
  if (r != PROTO_SCAN_DONE || used != len) {
    snprintf(err, errlen, "not one MessagePack value (%s)",
             r < 0 ? proto_scan_strerror(r) : "cut short or followed by more");
    return -1;
  }
  if (proto_decode(d, blob, len, out, &perr) != 0) {
    snprintf(err, errlen, "not valid MessagePack: %s", perr.message);
    return -1;
  }
  if (out->type != MSGPACK_OBJECT_ARRAY) {
    snprintf(err, errlen, "not an array of orders but %s",
             proto_type_name(out));
    return -1;
  }
  return 0;
}

void dbtool_hex(const uint8_t *b, size_t n, char *out) {
  static const char hx[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hx[b[i] >> 4];
    out[2 * i + 1] = hx[b[i] & 15];
  }
  out[2 * n] = '\0';
}
