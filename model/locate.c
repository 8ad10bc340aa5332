/* locate.c: where in a JSON text a map error is, as file:line:column.
 *
 * jansson reports syntax errors with line and column, but keeps no
 * positions for values, so a schema error ("capacity must be a number") is
 * located by walking the text once more to the JSON path the loader was
 * reading when it failed (a model_jpath_t). That walker only finds offsets;
 * all parsing is jansson's. It sits below load.c and needs nothing else of
 * the model.
 */
#include "model_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

void model_jpath_push_key(model_jpath_t *p, const char *k) {
  LAN_ASSERT(p->depth < MODEL_JPATH_MAX);
  p->elem[p->depth].key = k;
  p->elem[p->depth].idx = 0;
  p->depth++;
}

void model_jpath_push_idx(model_jpath_t *p, size_t i) {
  LAN_ASSERT(p->depth < MODEL_JPATH_MAX);
  p->elem[p->depth].key = NULL;
  p->elem[p->depth].idx = i;
  p->depth++;
}

void model_jpath_pop(model_jpath_t *p) {
  LAN_ASSERT(p->depth > 0);
  p->depth--;
}

/* ---- locating a path in the text ---- */
typedef struct {
  const char *s;
  size_t n, i;
  const model_jpath_t *p;
  int depth;    /* how many path components match so far */
  size_t found; /* offset, or SIZE_MAX */
} scan_t;

static void sk_ws(scan_t *sc) {
  while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\n' ||
                           sc->s[sc->i] == '\r' || sc->s[sc->i] == '\t'))
    sc->i++;
}

/* Skips a string; copies up to cap-1 bytes of it (escapes kept raw). */
static void sk_string(scan_t *sc, char *out, size_t cap) {
  size_t k = 0;
  sc->i++; /* opening quote */
  while (sc->i < sc->n && sc->s[sc->i] != '"') {
    if (sc->s[sc->i] == '\\' && sc->i + 1 < sc->n) {
      if (out && k + 1 < cap)
        out[k++] = sc->s[sc->i];
      sc->i++;
    }
    if (out && k + 1 < cap)
      out[k++] = sc->s[sc->i];
    sc->i++;
  }
  if (out)
    out[k] = 0;
  if (sc->i < sc->n)
    sc->i++;
}

static void sk_value(scan_t *sc, int level, bool on_path);

static void sk_value(scan_t *sc, int level, bool on_path) {
  sk_ws(sc);
  if (sc->i >= sc->n)
    return;
  if (on_path && level == sc->p->depth && sc->found == SIZE_MAX)
    sc->found = sc->i;
  char c = sc->s[sc->i];
  if (c == '{') {
    sc->i++;
    for (;;) {
      sk_ws(sc);
      if (sc->i >= sc->n || sc->s[sc->i] == '}') {
        sc->i++;
        return;
      }
      char key[128];
      size_t key_at = sc->i;
      sk_string(sc, key, sizeof key);
      bool next = on_path && level < sc->p->depth && sc->p->elem[level].key &&
                  strcmp(sc->p->elem[level].key, key) == 0;
      /* A failure about a key itself (unknown key) points at the key. */
      if (next && sc->p->point_key && level + 1 == sc->p->depth &&
          sc->found == SIZE_MAX)
        sc->found = key_at;
      sk_ws(sc);
      if (sc->i < sc->n && sc->s[sc->i] == ':')
        sc->i++;
      sk_value(sc, level + 1, next);
      sk_ws(sc);
      if (sc->i < sc->n && sc->s[sc->i] == ',')
        sc->i++;
    }
  } else if (c == '[') {
    sc->i++;
    size_t k = 0;
    for (;;) {
      sk_ws(sc);
      if (sc->i >= sc->n || sc->s[sc->i] == ']') {
        sc->i++;
        return;
      }
      bool next = on_path && level < sc->p->depth && !sc->p->elem[level].key &&
                  sc->p->elem[level].idx == k;
      sk_value(sc, level + 1, next);
      sk_ws(sc);
      if (sc->i < sc->n && sc->s[sc->i] == ',')
        sc->i++;
      k++;
    }
  } else if (c == '"') {
    sk_string(sc, NULL, 0);
  } else {
    while (sc->i < sc->n && sc->s[sc->i] != ',' && sc->s[sc->i] != '}' &&
           sc->s[sc->i] != ']' && sc->s[sc->i] != ' ' && sc->s[sc->i] != '\n' &&
           sc->s[sc->i] != '\r' && sc->s[sc->i] != '\t')
      sc->i++;
  }
}

void model_jpath_locate(const model_jpath_t *p, const char *text, size_t len,
                        int *line, int *col) {
  scan_t sc = {text, len, 0, p, 0, SIZE_MAX};
  sk_value(&sc, 0, true);
  size_t at = sc.found == SIZE_MAX ? 0 : sc.found;
  int l = 1, c = 1;
  for (size_t i = 0; i < at && i < len; i++) {
    if (text[i] == '\n') {
      l++;
      c = 1;
    } else {
      c++;
    }
  }
  *line = l;
  *col = c;
}

void model_jpath_str(const model_jpath_t *p, char *out, size_t cap) {
  size_t k = 0;
  out[0] = 0;
  for (int i = 0; i < p->depth && k < cap; i++) {
    int w;
    if (p->elem[i].key)
      w = snprintf(out + k, cap - k, "%s%s", i ? "." : "", p->elem[i].key);
    else
      w = snprintf(out + k, cap - k, "[%zu]", p->elem[i].idx);
    if (w < 0)
      break;
    k += (size_t)w;
  }
}

void model_locate_json_error(const struct json_error_t *je, const char *name,
                             model_error_t *err) {
  if (!err)
    return;
  snprintf(err->file, sizeof err->file, "%s", name);
  err->line = je->line;
  err->column = je->column;
  snprintf(err->message, sizeof err->message, "invalid JSON: %s", je->text);
}
