/*
 * Shared helpers of the lanthanide subcommands: units, tables, sparklines,
 * parsing what people type. See cli_ui.h.
 */
#include "cli_ui.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

const char *const ui_products[UI_PRODUCTS] = {
    "concentrate", "ndpr_oxide", "dytb_oxide", "lace_oxide",
    "magnet",      "dy_oxide",   "tb_oxide"};

/* A map has the heavies as one basket or as Dy and Tb apart (design J1);
 * the products it lacks are reported at price 0. A server from before the
 * split products lists the basket's five only. */
bool ui_shown(const json_t *prices, const char *prod) {
  if (!json_object_get(prices, "dy_oxide"))
    return strcmp(prod, "dy_oxide") != 0 && strcmp(prod, "tb_oxide") != 0;
  return ui_num(prices, prod, 0) != 0;
}
/* the fourth, recycling, only on maps that have it (design J4) */
const char *const ui_stages[4] = {"mining", "separation", "magnet",
                                  "recycling"};

/* The ring of result buffers (see cli_ui.h). */
static char *ring(void) {
  static char bufs[UI_RING][1024];
  static unsigned next;
  return bufs[next++ % UI_RING];
}

char *ui_buf(void) {
  return ring();
}

/* Digits of an integer with thousands separators ("1,234,567"). */
static void sep_int(char *out, size_t cap, double v) {
  char digits[64];
  bool neg = v < 0;
  snprintf(digits, sizeof digits, "%.0f", fabs(v));
  size_t nd = strlen(digits), o = 0;
  if (neg && strcmp(digits, "0") != 0 && o + 1 < cap)
    out[o++] = '-';
  for (size_t i = 0; i < nd && o + 2 < cap; i++) {
    out[o++] = digits[i];
    if ((nd - i - 1) % 3 == 0 && i + 1 < nd)
      out[o++] = ',';
  }
  out[o] = '\0';
}

const char *ui_count(double n) {
  char *b = ring();
  if (!isfinite(n)) {
    snprintf(b, 1024, "-");
    return b;
  }
  sep_int(b, 1024, n);
  return b;
}

/* Tonnes without the unit: small amounts keep a decimal, large ones are
 * written in millions so that a table column stays narrow. */
static void tonnes(char *b, size_t cap, double t, const char *unit) {
  double a = fabs(t);
  char n[64];
  if (!isfinite(t)) {
    snprintf(b, cap, "-");
  } else if (a >= 1e7) {
    snprintf(b, cap, "%.2f M%s", t / 1e6, unit);
  } else if (a > 0 && a < 10 && t != floor(t)) {
    snprintf(b, cap, "%.1f %s", t, unit);
  } else {
    sep_int(n, sizeof n, t);
    snprintf(b, cap, "%s %s", n, unit);
  }
}

const char *ui_tonnes(double t) {
  char *b = ring();
  tonnes(b, 1024, t, "t");
  return b;
}

const char *ui_tpy(double t) {
  char *b = ring();
  tonnes(b, 1024, t, "t/yr");
  return b;
}

const char *ui_price(double usd) {
  char *b = ring();
  if (!isfinite(usd)) {
    snprintf(b, 1024, "-");
  } else if (fabs(usd) >= 1000) {
    char n[64];
    sep_int(n, sizeof n, usd);
    snprintf(b, 1024, "$%s/kg", n);
  } else {
    snprintf(b, 1024, "$%.2f/kg", usd);
  }
  return b;
}

const char *ui_money(double usd) {
  char *b = ring();
  const char *sign = usd < 0 ? "-" : "";
  double a = fabs(usd);
  if (!isfinite(usd)) {
    snprintf(b, 1024, "-");
  } else if (a >= 1e9) {
    snprintf(b, 1024, "%s$%.2fB", sign, a / 1e9);
  } else if (a >= 1e6) {
    snprintf(b, 1024, "%s$%.1fM", sign, a / 1e6);
  } else {
    char n[64];
    sep_int(n, sizeof n, a);
    snprintf(b, 1024, "%s$%s", sign, n);
  }
  return b;
}

const char *ui_pct(double frac) {
  char *b = ring();
  if (!isfinite(frac))
    snprintf(b, 1024, "-");
  else
    snprintf(b, 1024, "%.1f%%", frac * 100.0);
  return b;
}

const char *ui_signed_pct(double frac) {
  char *b = ring();
  if (!isfinite(frac))
    b[0] = '\0';
  else
    snprintf(b, 1024, "%+.1f%%", frac * 100.0);
  return b;
}

const char *ui_duration(double ms) {
  char *b = ring();
  if (!isfinite(ms) || ms < 0)
    ms = 0;
  long long s = (long long)ceil(ms / 1000.0);
  if (s >= 3600)
    snprintf(b, 1024, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    snprintf(b, 1024, "%lld:%02lld", s / 60, s % 60);
  return b;
}

const char *ui_clean(const char *s) {
  char *b = ring();
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  while (*p && o + 1 < 1000) {
    if (*p == '\t') {
      b[o++] = ' ';
      p++;
    } else if (*p < 0x20 || *p == 0x7f) {
      b[o++] = '?';
      p++;
    } else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
      /* C1 controls (U+0080..U+009F) include CSI, which some terminals
       * obey like ESC [. */
      b[o++] = '?';
      p += 2;
    } else {
      b[o++] = (char)*p++;
    }
  }
  b[o] = '\0';
  return b;
}

void ui_print_error(const json_t *err) {
  const char *code = ui_str(err, "code");
  const char *field = ui_str(err, "field");
  fprintf(stderr, "error: %s: %s", code[0] ? ui_clean(code) : "?",
          ui_clean(ui_str(err, "message")));
  if (field[0])
    fprintf(stderr, " (field '%s')", ui_clean(field));
  fputc('\n', stderr);
}

void ui_print_json(const json_t *j) {
  char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY) : NULL;
  printf("%s\n", s ? s : "null");
  free(s);
}

const char *ui_str(const json_t *obj, const char *key) {
  const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  return json_is_string(v) ? json_string_value(v) : "";
}

double ui_val(const json_t *v, double dflt) {
  return json_is_number(v) ? json_number_value(v) : dflt;
}

double ui_num(const json_t *obj, const char *key, double dflt) {
  return ui_val(json_is_object(obj) ? json_object_get(obj, key) : NULL, dflt);
}

bool ui_bool(const json_t *obj, const char *key) {
  return json_is_true(json_is_object(obj) ? json_object_get(obj, key) : NULL);
}

size_t ui_width(const char *s) {
  size_t w = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    w += (*p & 0xc0) != 0x80;
  return w;
}

void ui_cell(FILE *f, const char *s, int w, bool right) {
  size_t sw = ui_width(s);
  size_t bytes = strlen(s);
  if (w < 0)
    w = 0;
  if (sw > (size_t)w) {
    /* Cut after w code points. */
    size_t cps = 0, i = 0;
    for (; i < bytes; i++) {
      if (((unsigned char)s[i] & 0xc0) != 0x80) {
        if (cps == (size_t)w)
          break;
        cps++;
      }
    }
    bytes = i;
    sw = (size_t)w;
  }
  int pad = w - (int)sw;
  if (right)
    fprintf(f, "%*s", pad, "");
  fwrite(s, 1, bytes, f);
  if (!right)
    fprintf(f, "%*s", pad, "");
}

const char *ui_spark(const double *v, size_t n) {
  static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                        "\u2585", "\u2586", "\u2587", "\u2588"};
  char *b = ring();
  double lo = INFINITY, hi = -INFINITY;
  if (n > 300)
    n = 300; /* 3 bytes each must fit the ring buffer */
  for (size_t i = 0; i < n; i++) {
    if (isnan(v[i]))
      continue;
    lo = fmin(lo, v[i]);
    hi = fmax(hi, v[i]);
  }
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(v[i])) {
      b[o++] = ' ';
      continue;
    }
    /* A flat series sits in the middle, so that it reads as "no change"
     * rather than "at the bottom". */
    int level = hi - lo < 1e-9 * fmax(1.0, fabs(hi))
                    ? 3
                    : (int)lround((v[i] - lo) / (hi - lo) * 7.0);
    if (level < 0)
      level = 0;
    if (level > 7)
      level = 7;
    memcpy(b + o, blocks[level], 3);
    o += 3;
  }
  b[o] = '\0';
  return b;
}

int ui_term_width(void) {
  struct winsize ws;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
    return ws.ws_col;
  const char *cols = getenv("COLUMNS");
  if (cols && atoi(cols) >= 20)
    return atoi(cols);
  return 80;
}

int ui_parse_number(const char *s, double *out, bool *percent) {
  char num[64];
  size_t n = 0;
  const char *p = s;
  if (percent)
    *percent = false;
  while (isspace((unsigned char)*p))
    p++;
  if (*p == '$')
    p++;
  /* Digits, sign, point and exponent; separators are dropped. */
  while (*p && (isdigit((unsigned char)*p) || strchr("+-.,_eE", *p))) {
    if (*p != ',' && *p != '_') {
      if (n + 1 >= sizeof num)
        return -1;
      num[n++] = *p;
    }
    p++;
  }
  num[n] = '\0';
  if (n == 0)
    return -1;
  char *end;
  double v = strtod(num, &end);
  if (*end || !isfinite(v))
    return -1;
  switch (*p) {
  case 'k':
  case 'K':
    v *= 1e3;
    p++;
    break;
  case 'm':
  case 'M':
    v *= 1e6;
    p++;
    break;
  case 'b':
  case 'B':
    v *= 1e9;
    p++;
    break;
  default:
    break;
  }
  if (*p == '%') {
    v /= 100.0;
    if (percent)
      *percent = true;
    p++;
  }
  static const char *const units[] = {"",    "t",    "t/yr", "/yr",
                                      "/kg", "$",    "usd",  "t/y",
                                      "kg",  "$/kg", "/t",   NULL};
  for (size_t i = 0; units[i]; i++)
    if (strcmp(p, units[i]) == 0) {
      *out = v;
      return 0;
    }
  return -1;
}

/* s in lower case with '-' as '_', in buf. */
static const char *fold(const char *s, char *buf, size_t cap) {
  size_t i = 0;
  for (; s[i] && i + 1 < cap; i++)
    buf[i] = s[i] == '-' ? '_' : (char)tolower((unsigned char)s[i]);
  buf[i] = '\0';
  return buf;
}

static const char *lookup(const char *s, const char *const *table) {
  char buf[32];
  fold(s, buf, sizeof buf);
  for (size_t i = 0; table[i]; i += 2)
    if (strcmp(buf, table[i]) == 0)
      return table[i + 1];
  return NULL;
}

const char *ui_product(const char *s) {
  static const char *const names[] = {
      "concentrate", "concentrate",  "conc",
      "concentrate", "ndpr_oxide",   "ndpr_oxide",
      "ndpr",        "ndpr_oxide",   "nd",
      "ndpr_oxide",  "dytb_oxide",   "dytb_oxide",
      "dytb",        "dytb_oxide",   "dy",
      "dytb_oxide",  "tb",           "dytb_oxide",
      "lace_oxide",  "lace_oxide",   "lace",
      "lace_oxide",  "la",           "lace_oxide",
      "magnet",      "magnet",       "magnets",
      "magnet",      "mag",          "magnet",
      "dy_oxide",    "dy_oxide",     "tb_oxide",
      "tb_oxide",    "magnet_scrap", "magnet_scrap",
      "scrap",       "magnet_scrap", NULL};
  return lookup(s, names);
}

const char *ui_stage(const char *s) {
  static const char *const names[] = {
      "mining",   "mining",     "mine",       "mining",    "mines",
      "mining",   "separation", "separation", "sep",       "separation",
      "refining", "separation", "magnet",     "magnet",    "magnets",
      "magnet",   "mag",        "magnet",     "recycling", "recycling",
      "recycle",  "recycling",  "rec",        "recycling", NULL};
  return lookup(s, names);
}

long long ui_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ui_conn_defaults(ui_conn_opts_t *o) {
  const char *env = getenv("LANTHANIDE_SERVER");
  o->server = env && env[0] ? env : UI_DEFAULT_SERVER;
  o->timeout_ms = UI_DEFAULT_TIMEOUT;
}

int ui_parse_timeout(const char *s, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v <= 0 || v > 3600000) {
    fprintf(stderr, "lanthanide: --timeout must be a number of milliseconds "
                    "from 1 to 3600000\n");
    return -1;
  }
  *out = (int)v;
  return 0;
}

cli_conn_t *ui_connect(const ui_conn_opts_t *o) {
  return cli_connect(o->server, o->timeout_ms);
}

int ui_call(cli_conn_t *c, const char *method, json_t *params,
            json_t **result) {
  json_t *err = NULL;
  int rc = cli_call_json(c, method, params, result, &err);
  if (rc == 1) {
    ui_print_error(err);
    json_decref(err);
  }
  return rc == 0 ? 0 : 1;
}

int ui_list_sessions(cli_conn_t *c, json_t **result) {
  json_t *err = NULL;
  int rc = cli_list_sessions(c, result, &err);
  if (rc == 1) {
    ui_print_error(err);
    json_decref(err);
  }
  return rc == 0 ? 0 : 1;
}

size_t ui_history_page(json_t *all, json_t *r, long long *after) {
  size_t got = json_array_size(r);
  if (got)
    *after =
        json_integer_value(json_object_get(json_array_get(r, got - 1), "id"));
  json_array_extend(all, r);
  json_decref(r);
  return got;
}

const char *ui_secret(const char *opt, const char *env) {
  if (opt && opt[0])
    return opt;
  const char *e = getenv(env);
  return e && e[0] ? e : NULL;
}
