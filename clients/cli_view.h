/*
 * view: the pieces of the game that `play` and `watch` both show: orders
 * in words, standings, price and production tables, and series taken from
 * history.get (one map per resolved turn) for the charts.
 *
 * All functions read JSON as the server sends it (PROTOCOL.md, the
 * observation and the turn summary) and never keep a reference to it.
 */
#ifndef LANTHANIDE_CLI_VIEW_H
#define LANTHANIDE_CLI_VIEW_H

#include <stdio.h>

#include <jansson.h>

/* An order map in words: "bid 100 t ndpr_oxide, max $55.00/kg". Ring
 * buffer (see cli_ui.h). */
const char *view_order(const json_t *order);

/* Standings, best first: "RANK SEAT SCORE [chart]". `you` (may be NULL) is
 * marked; with history (may be NULL) each seat gets a sparkline of its
 * score over the last `span` turns. At most `limit` rows (0: all). */
void view_scores(FILE *f, const json_t *scores, const char *you,
                 const json_t *history, size_t span, size_t limit);

/* Rank (1 = best) of seat in a scores array, and the number of seats;
 * 0 when the seat is not there. */
int view_rank(const json_t *scores, const char *seat, int *of);

/* The last `max` values of a series in a history array: summary[what][key]
 * (what: "prices"; key: a product), or the seat's score when what is
 * "scores". Missing turns are NaN. Returns the number written to out. */
size_t view_series(const json_t *history, const char *what, const char *key,
                   double *out, size_t max);

/* A product's short column title: "conc", "NdPr", "Dy/Tb", "La/Ce",
 * "magnet". */
const char *view_short(const char *product);

/* Regional prices: one row per product, one column per nation, in $/kg.
 * regional is {product: {nation: price}}, world {product: price}. Columns
 * beyond the terminal's width are left out (and said). */
void view_price_table(FILE *f, const json_t *world, const json_t *regional,
                      const json_t *volumes);

/* Production shares: {stage: {nation: tonnes}} as percentages per stage,
 * with the stage's total. */
void view_share_table(FILE *f, const json_t *production);

#endif
