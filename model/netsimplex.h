/* netsimplex.h: a primal network simplex for min-cost circulations through
 * one root node, where the arcs at the root are convex (the model's market
 * clearing, market.c, is its caller; tests/model/test_netsimplex.c its
 * unit test).
 *
 * The network: nodes 0 .. n_nodes-1, node 0 the root. Linear arcs join two
 * non-root nodes, with a capacity (units) and a cost per unit. Convex arcs
 * ("curves") join the root and one node, either root -> node (out) or
 * node -> root (in); a curve carries up to cap units and its t-th unit
 * costs cost(t), nondecreasing in t (a seller's ask of the t-th kg, or
 * minus a buyer's value of it). The solver finds a circulation of least
 * total cost, starting from zero flow. There is no balance to meet: an
 * unbalanced network (more supply than demand, or no route at all) is no
 * special case, its optimum just leaves units unmoved.
 *
 * It pivots on strongly feasible spanning trees (Cunningham's rule), so
 * degenerate pivots cannot cycle, and the entering arc is the most negative
 * reduced cost, ties to the lowest arc id (linear arcs first, then curves)
 * and forward before backward: the same problem gives the same flow, bit
 * for bit. A curve is a bundle of unit pieces; instead of pivoting piece
 * by piece, each pivot through the root pushes as many units as still lower
 * the cost (a bisection over the two curves' step functions), so the work
 * does not grow with the number of steps. docs/model.md gives the method
 * and the argument.
 *
 * Ownership: the caller owns the problem's arrays; the solver writes the
 * flows into them. A model_ns_t is a workspace reused across solves (it
 * allocates only when a problem is larger than any before it); the arrays
 * model_ns_potentials and model_ns_touched return live until the next
 * model_ns_solve or model_ns_free on it.
 */
#ifndef LANTHANIDE_MODEL_NETSIMPLEX_H
#define LANTHANIDE_MODEL_NETSIMPLEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Capacities: a linear arc's at most MODEL_NS_CAP_MAX, which stands for
 * "unbounded" (a directed cycle of such arcs must not have negative cost:
 * the problem would be unbounded); a curve's below it. */
#define MODEL_NS_CAP_MAX ((int64_t)1 << 60)

/* A linear arc between two non-root nodes. */
typedef struct {
  int32_t from, to; /* 1 .. n_nodes-1 */
  int64_t cap;      /* 0 .. MODEL_NS_CAP_MAX; an arc of capacity 0 never carries
                       flow */
  int64_t cost;     /* per unit, either sign */
  int64_t flow;     /* written by model_ns_solve: the optimal flow */
} model_ns_arc_t;

/* A convex arc between the root and one node. */
typedef struct {
  int32_t node; /* 1 .. n_nodes-1 */
  bool out;     /* true: root -> node; false: node -> root */
  int64_t cap;  /* units, 0 .. MODEL_NS_CAP_MAX - 1 */
  int64_t flow; /* written by model_ns_solve */
} model_ns_curve_t;

typedef struct {
  int32_t n_nodes; /* the root included */
  model_ns_arc_t *arcs;
  size_t n_arcs;
  model_ns_curve_t *curves;
  size_t n_curves;
  /* Arc ids to hang nodes from first when the solver builds its starting
   * tree (see model_ns_solve); may be NULL. */
  const int32_t *first;
  size_t n_first;
  /* The curves: cost(ctx, c, t) is the cost of the t-th unit of curve c,
   * 1 <= t <= cap, nondecreasing in t; count(ctx, c, y) is how many units
   * of curve c cost at most y (0 .. cap, nondecreasing in y). Both must be
   * pure functions of their arguments while the solver runs. */
  int64_t (*cost)(void *ctx, size_t curve, int64_t t);
  int64_t (*count)(void *ctx, size_t curve, int64_t y);
  void *ctx;
} model_ns_problem_t;

typedef struct model_ns model_ns_t;

/* A new, empty workspace: 0, or MODEL_ENOMEM. Free with model_ns_free. */
int model_ns_new(model_ns_t **out);
void model_ns_free(model_ns_t *ns);

/* Solves pb from zero flow and writes the flows into pb's arcs and
 * curves. Only nodes that a linear arc of positive capacity touches take
 * part (a curve at any other node carries no flow). The starting tree
 * hangs every such node from the root by its first out-curve with room,
 * else by the first arc into it among pb->first, else among all arcs in id
 * order (arcs of capacity 0 skipped). Returns 0; MODEL_EINVAL when the problem
 * is malformed (a node out of range, a linear arc at the root, a capacity
 * out of range) or that starting tree does not reach every touched node from
 * the root (give each such node an out-curve or an arc in from one that has);
 * MODEL_ELIMIT if the pivots exceed a bound far above what termination needs (a
 * broken cost or count function); MODEL_ENOMEM. */
int model_ns_solve(model_ns_t *ns, const model_ns_problem_t *pb)
    __attribute__((warn_unused_result));

/* After a successful solve: node potentials of the optimal tree, an
 * optimal dual (pot[root] = 0, and a linear arc of positive reduced cost
 * cost + pot[from] - pot[to] carries no flow, one of negative reduced cost
 * is full), and whether each node takes part (is touched by a linear arc
 * of positive capacity; the root does when any node does; the others have
 * potential 0). Both have n_nodes entries. */
const int64_t *model_ns_potentials(const model_ns_t *ns);
const uint8_t *model_ns_touched(const model_ns_t *ns);

#endif
