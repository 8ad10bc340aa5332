/*
 * ui: what the lanthanide subcommands share for talking to people: number
 * formatting in the game's units, safe printing of server strings, tables,
 * sparklines, reading JSON replies, parsing numbers and names typed by a
 * person, and the options every networked subcommand takes.
 *
 * Formatting functions return pointers into a small ring of static buffers
 * so that several can appear in one printf; a pointer stays valid for the
 * next UI_RING - 1 calls. The CLI is single-threaded, which makes this safe.
 */
#ifndef LANTHANIDE_CLI_UI_H
#define LANTHANIDE_CLI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "client.h"

#define UI_DEFAULT_SERVER  "127.0.0.1:7447"
#define UI_DEFAULT_TIMEOUT 10000
#define UI_RING            32

/* Exit statuses of every subcommand. */
enum { UI_EXIT_OK = 0, UI_EXIT_FAIL = 1, UI_EXIT_USAGE = 2 };

/* ---- Units --------------------------------------------------------------- */

/* A buffer of 1024 bytes from the ring, for other modules' formatters. */
char *ui_buf(void);

const char *ui_tonnes(double t);        /* "1,234 t", "12.5 kt", "1.23 Mt" */
const char *ui_tpy(double t);           /* the same, per year: "20,000 t/yr" */
const char *ui_price(double usd);       /* "$62.10/kg" */
const char *ui_money(double usd);       /* "$12,345", "$456.7M", "$1.23B" */
const char *ui_pct(double frac);        /* 0.425 -> "42.5%" */
const char *ui_count(double n);         /* "12,345" */
const char *ui_signed_pct(double frac); /* "+3.5%", "-0.2%" */
/* "1:05:09", "4:09", "0:07" from milliseconds. */
const char *ui_duration(double ms);

/* ---- Server strings ------------------------------------------------------ */

/* s with every control character (C0, DEL, C1) replaced by '?', so that a
 * chat message or a name cannot move the cursor or recolour the terminal.
 * Ring buffer, cut at 1000 bytes. */
const char *ui_clean(const char *s);

/* Print "error: CODE: MESSAGE (field 'F')" for an error map on stderr. */
void ui_print_error(const json_t *err);

/* Print the JSON value on stdout, indented (the --json output). */
void ui_print_json(const json_t *j);

/* ---- JSON getters (NULL-safe, with defaults) ----------------------------- */

const char *ui_str(const json_t *obj, const char *key); /* "" if absent */
double ui_num(const json_t *obj, const char *key, double dflt);
bool ui_bool(const json_t *obj, const char *key);
/* The number in a JSON value (integer or real), or dflt. */
double ui_val(const json_t *v, double dflt);

/* ---- Tables and charts --------------------------------------------------- */

/* The display width of a UTF-8 string (one column per code point). */
size_t ui_width(const char *s);
/* Print s left- or right-aligned in w columns, counting code points, and
 * cut to w when longer. */
void ui_cell(FILE *f, const char *s, int w, bool right);

/* A sparkline of n values (NaN: no data, a space) with ▁▂▃▄▅▆▇█, scaled
 * between the series' own minimum and maximum. Ring buffer. */
const char *ui_spark(const double *v, size_t n);

/* The terminal's width in columns (80 when unknown). */
int ui_term_width(void);

/* ---- Parsing what a person types ----------------------------------------- */

/* A number such as 5000, 5,000, 5_000, 5k, 2.5M, $55, 55/kg, 80%.
 * A trailing % divides by 100 and sets *percent (may be NULL). 0 on
 * success, -1 when s is not a number. */
int ui_parse_number(const char *s, double *out, bool *percent);

/* Canonical names: "ndpr" -> "ndpr_oxide", "conc" -> "concentrate", ...
 * NULL when unknown. */
const char *ui_product(const char *s);
const char *ui_stage(const char *s); /* mining, separation, magnet */
#define ui_skill ui_stage            /* skills are named as the stages */
/* Every product of the model, in enum order (docs/protocol.md; dy_oxide
 * and tb_oxide only on split maps), and whether a prices map shows one
 * the map has. */
#define UI_PRODUCTS 7
extern const char *const ui_products[UI_PRODUCTS];
bool ui_shown(const json_t *prices, const char *prod);
extern const char *const ui_stages[4];

/* Milliseconds of the monotonic clock (for countdowns). */
long long ui_now_ms(void);

/* ---- Connection options -------------------------------------------------- */

/* What every networked subcommand takes: --server, --timeout. Defaults come
 * from the environment (LANTHANIDE_SERVER) or UI_DEFAULT_*. */
typedef struct ui_conn_opts {
  const char *server;
  int timeout_ms;
} ui_conn_opts_t;

void ui_conn_defaults(ui_conn_opts_t *o);
/* Parse a --timeout value; -1 (and a message) when it is not positive. */
int ui_parse_timeout(const char *s, int *out);

/* Connect, or print why not. NULL on failure. */
cli_conn_t *ui_connect(const ui_conn_opts_t *o);

/* Call and report: 0 with *result (caller owns), 1 after printing the
 * server's error or the transport failure. */
int ui_call(cli_conn_t *c, const char *method, json_t *params, json_t **result);
/* ui_call for session.list, paged through: every session in one array. */
int ui_list_sessions(cli_conn_t *c, json_t **result);
/* One page `r` of chat.history, paged through with `after`: appends its
 * messages to `all`, moves *after to the id of its last one and frees r.
 * Returns how many it held: 0 is the empty page after the last. */
size_t ui_history_page(json_t *all, json_t *r, long long *after);

/* A secret from an option, or else from the environment variable env (so
 * that it need not appear in `ps` or the shell history). NULL if neither. */
const char *ui_secret(const char *opt, const char *env);

#endif
