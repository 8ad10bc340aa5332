/*
 * webassets: the web client's files (clients/web/dist), compiled into the
 * server. webassets.c is generated at build time by server/webassets.py
 * from whatever dist/ holds (nothing, when the client was not built), so
 * the HTTP transport serves them from memory and never opens a file.
 */
#ifndef LANTHANIDE_WEBASSETS_H
#define LANTHANIDE_WEBASSETS_H

#include <stddef.h>

typedef struct web_asset {
  const char *path;         /* "/index.html", "/assets/index-abc123.js" */
  const char *content_type; /* "text/javascript; charset=utf-8" */
  int immutable;            /* a hashed name: cache for a year */
  const unsigned char *data;
  size_t len;
} web_asset_t;

/* The files, sorted by path; web_asset_count is 0 when the client was
 * not built. */
extern const web_asset_t web_assets[];
extern const size_t web_asset_count;

#endif
