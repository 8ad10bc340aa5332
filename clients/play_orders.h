/*
 * play_orders: the orders side of `lanthanide play`, apart from its
 * interactive loop (cmd_play.c): the typed order syntax (build, operate,
 * hire, train, offer, bid and `policy KIND key=value ...`), the local list
 * of orders that `submit` sends, and how that list is shown.
 *
 * Policies are read field by field from the model's order schema table
 * (model/order_schema.c): which keys a kind has, their types, units and
 * ranges, and the help that lists them; a new policy kind needs nothing
 * here.
 *
 * Orders are jansson objects in wire form ({"op": ..., fields}). Nothing
 * here talks to the server; the functions print to stdout for the player.
 */
#ifndef LANTHANIDE_PLAY_ORDERS_H
#define LANTHANIDE_PLAY_ORDERS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct play_orders {
  json_t *pending; /* the local list (an array the struct owns) */
  bool dirty;      /* changed since the last submit */
} play_orders_t;

/* An empty list; free it with play_orders_free. 0, or -1 out of memory. */
int play_orders_init(play_orders_t *l);
void play_orders_free(play_orders_t *l);

/* Whether argv[0] is a command that adds an order (build, operate, hire,
 * train, offer, bid, policy). */
bool play_orders_is_command(const char *word);

/*
 * Parse a typed order (argv[0] is the command) into a new wire order, or
 * NULL with msg saying what was wrong and what would be right (the usage
 * when argc is too short). obs is the seat's last observation (NULL before
 * one): it says whether the seat is a nation and which facilities it has.
 * The caller owns the result.
 */
json_t *play_order_parse(const json_t *obs, int argc, char **argv, char *msg,
                         size_t cap);

/* Parse a typed order and add it to the list, replacing the one that
 * stands under the same key (the offer for a product, a policy of a kind
 * and target...), or print why not. */
void play_orders_command(play_orders_t *l, const json_t *obs, int argc,
                         char **argv);

/* Add copies of an array of wire orders (a story move's, you.choices) to
 * the list, each as a typed order would be (replacing one under the same
 * key). */
void play_orders_take(play_orders_t *l, const json_t *orders);

/* `drop N` and `clear`. */
void play_orders_drop(play_orders_t *l, int argc, char **argv);
void play_orders_clear(play_orders_t *l);

/* Take the orders orders.submit refused (its `rejected` array) out of the
 * list, so that the list keeps matching what the server holds. */
void play_orders_remove_refused(play_orders_t *l, const json_t *rejected);

/* Print a list of wire orders, numbered from 1, or `none` when empty. */
void play_orders_print(const json_t *orders, const char *none);

/* The help of `policy`: every kind with its fields (kind NULL), or one
 * kind's fields with their units, ranges and descriptions. */
void play_orders_policy_help(const char *kind);

#endif
