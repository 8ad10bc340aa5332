/* test_netsimplex.c: the network simplex of model/netsimplex.h on its own,
 * away from markets:
 * - a transport problem whose optimum is worked out by hand;
 * - convex curves: a linear supply meets a linear demand where the last
 *   unit still gains;
 * - ties go to the lowest arc id, and the same problem gives the same flow
 *   in a fresh workspace and in one reused after larger problems;
 * - unbalanced and infeasible networks (more supply than demand, routes
 *   closed or unprofitable), and malformed problems refused with
 *   MODEL_EINVAL;
 * - random tiny networks: the optimal cost equals that of a plain
 *   cycle-cancelling reference on the unit-expanded graph, flow is
 *   conserved, and the potentials certify optimality. */
#include "netsimplex.h"

#include "helpers.h"
#include "model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- curves given as tables ---- */

#define MAXU 64 /* units of one curve in these tests */
#define MAXC 16 /* curves of one problem */

/* unit[c][t - 1] is the cost of the t-th unit of curve c. */
typedef struct {
  int64_t unit[MAXC][MAXU];
} table_t;

static int64_t table_cost(void *ctx, size_t c, int64_t t) {
  const table_t *tb = ctx;
  assert_true(c < MAXC && t >= 1 && t <= MAXU);
  return tb->unit[c][t - 1];
}

/* The test's count sees the curve's cap through the problem, so it is
 * kept beside the table. */
static const model_ns_problem_t *counting;

static int64_t table_count(void *ctx, size_t c, int64_t y) {
  const table_t *tb = ctx;
  int64_t n = 0;
  for (int64_t t = 1; t <= counting->curves[c].cap; t++)
    if (tb->unit[c][t - 1] <= y)
      n++;
  return n;
}

static int solve(model_ns_t *ns, model_ns_problem_t *pb, table_t *tb) {
  pb->cost = table_cost;
  pb->count = table_count;
  pb->ctx = tb;
  counting = pb;
  return model_ns_solve(ns, pb);
}

/* The total cost of the flows in pb. */
static int64_t total_cost(const model_ns_problem_t *pb, const table_t *tb) {
  int64_t sum = 0;
  for (size_t k = 0; k < pb->n_arcs; k++)
    sum += pb->arcs[k].flow * pb->arcs[k].cost;
  for (size_t c = 0; c < pb->n_curves; c++)
    for (int64_t t = 1; t <= pb->curves[c].flow; t++)
      sum += tb->unit[c][t - 1];
  return sum;
}

/* Flow in equals flow out at every node, the root included; arcs and
 * curves within their capacities. */
static void check_conservation(const model_ns_problem_t *pb) {
  int64_t bal[32] = {0};
  assert_true(pb->n_nodes <= 32);
  for (size_t k = 0; k < pb->n_arcs; k++) {
    const model_ns_arc_t *a = &pb->arcs[k];
    assert_true(a->flow >= 0 && a->flow <= a->cap);
    bal[a->from] -= a->flow;
    bal[a->to] += a->flow;
  }
  for (size_t c = 0; c < pb->n_curves; c++) {
    const model_ns_curve_t *cu = &pb->curves[c];
    assert_true(cu->flow >= 0 && cu->flow <= cu->cap);
    bal[cu->out ? 0 : cu->node] -= cu->flow;
    bal[cu->out ? cu->node : 0] += cu->flow;
  }
  for (int v = 0; v < pb->n_nodes; v++)
    if (bal[v] != 0)
      fail_msg("node %d: %lld units more in than out; a circulation must "
               "balance every node",
               v, (long long)bal[v]);
}

/* Complementary slackness with the solver's potentials: no residual arc or
 * curve piece at a touched node has a negative reduced cost. */
static void check_certificate(const model_ns_t *ns,
                              const model_ns_problem_t *pb, const table_t *tb) {
  const int64_t *pot = model_ns_potentials(ns);
  const uint8_t *touched = model_ns_touched(ns);
  assert_int_equal(pot[0], 0);
  for (size_t k = 0; k < pb->n_arcs; k++) {
    const model_ns_arc_t *a = &pb->arcs[k];
    int64_t rc = a->cost + pot[a->from] - pot[a->to];
    if (rc > 0 && a->flow != 0)
      fail_msg("arc %zu: reduced cost %lld > 0 but flow %lld (should be 0)", k,
               (long long)rc, (long long)a->flow);
    if (rc < 0 && a->flow != a->cap)
      fail_msg("arc %zu: reduced cost %lld < 0 but flow %lld of cap %lld", k,
               (long long)rc, (long long)a->flow, (long long)a->cap);
  }
  for (size_t c = 0; c < pb->n_curves; c++) {
    const model_ns_curve_t *cu = &pb->curves[c];
    if (!touched[cu->node]) {
      assert_int_equal(cu->flow, 0);
      continue;
    }
    /* reduced cost of a unit: cost + pot(tail) - pot(head) */
    int64_t pv = cu->out ? -pot[cu->node] : pot[cu->node];
    if (cu->flow > 0 && tb->unit[c][cu->flow - 1] + pv > 0)
      fail_msg("curve %zu: its last unit has reduced cost %lld > 0", c,
               (long long)(tb->unit[c][cu->flow - 1] + pv));
    if (cu->flow < cu->cap && tb->unit[c][cu->flow] + pv < 0)
      fail_msg("curve %zu: its next unit has reduced cost %lld < 0", c,
               (long long)(tb->unit[c][cu->flow] + pv));
  }
}

static void fill(table_t *tb, size_t c, int64_t units, int64_t cost) {
  for (int64_t t = 0; t < units; t++)
    tb->unit[c][t] = cost;
}

/* ---- a transport problem ---- */

/* Two mines (20 and 30 t) and three towns (10, 25 and 15 t), shipping
 * costs per t
 *            town 1  town 2  town 3
 *   mine 1      8       6      10
 *   mine 2      9      12      13
 * Every town is worth 100 a tonne, so all 50 t ship. Shipping all from
 * mine 2 costs 585; moving a tonne to mine 1 saves 1, 6 or 3 at towns 1, 2
 * and 3, so mine 1's 20 t go to town 2: cost 465, welfare
 * 50 x 100 - 465 = 4535. */
static void test_transport(void **state) {
  (void)state;
  static const int64_t cost[2][3] = {{8, 6, 10}, {9, 12, 13}};
  static const int64_t want[2][3] = {{0, 20, 0}, {10, 5, 15}};
  model_ns_arc_t arcs[6];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      arcs[i * 3 + j] = (model_ns_arc_t){1 + i, 3 + j, 1000, cost[i][j], 0};
  model_ns_curve_t curves[5] = {
      {1, true, 20, 0},  {2, true, 30, 0},  {3, false, 10, 0},
      {4, false, 25, 0}, {5, false, 15, 0},
  };
  table_t *tb = calloc(1, sizeof *tb);
  assert_non_null(tb);
  fill(tb, 0, 20, 0);
  fill(tb, 1, 30, 0);
  for (int c = 2; c < 5; c++)
    fill(tb, (size_t)c, MAXU, -100);
  model_ns_problem_t pb = {
      .n_nodes = 6, .arcs = arcs, .n_arcs = 6, .curves = curves, .n_curves = 5};
  model_ns_t *ns;
  assert_int_equal(model_ns_new(&ns), 0);
  assert_int_equal(solve(ns, &pb, tb), 0);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      if (arcs[i * 3 + j].flow != want[i][j])
        fail_msg("mine %d -> town %d ships %lld t; the optimum ships %lld",
                 i + 1, j + 1, (long long)arcs[i * 3 + j].flow,
                 (long long)want[i][j]);
  assert_int_equal(total_cost(&pb, tb), -4535);
  check_conservation(&pb);
  check_certificate(ns, &pb, tb);
  model_ns_free(ns);
  free(tb);
}

/* A problem without linear arcs (the market of a map with one nation) on
 * a fresh workspace: nothing can move, and solving it must not pass a
 * NULL pointer to memset (undefined even for 0 bytes; UBSan's nonnull
 * check caught it through fuzz/fuzz_map.c). */
static void test_no_arcs(void **state) {
  (void)state;
  model_ns_curve_t curves[2] = {{1, true, 10, 0}, {1, false, 10, 0}};
  table_t *tb = calloc(1, sizeof *tb);
  assert_non_null(tb);
  fill(tb, 0, 10, 1);
  fill(tb, 1, 10, -5);
  model_ns_problem_t pb = {
      .n_nodes = 2, .arcs = NULL, .n_arcs = 0, .curves = curves, .n_curves = 2};
  model_ns_t *ns;
  assert_int_equal(model_ns_new(&ns), 0);
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(curves[0].flow, 0);
  assert_int_equal(curves[1].flow, 0);
  model_ns_free(ns);
  free(tb);
}

/* ---- convex curves ---- */

/* A seller asks t for its t-th unit, a buyer values its t-th unit at
 * 101 - t, one free route: unit t gains 101 - 2t, so exactly 50 units
 * trade (the 50th gains 1, the 51st would lose 1). With a transport cost
 * of 11 a unit, unit t gains 90 - 2t: 44 trade (the 45th gains nothing,
 * and whether it moves the cost does not say; the solver leaves it). */
static void test_convex(void **state) {
  (void)state;
  table_t *tb = calloc(1, sizeof *tb);
  assert_non_null(tb);
  for (int t = 1; t <= 60; t++) {
    tb->unit[0][t - 1] = t;
    tb->unit[1][t - 1] = -(101 - t);
  }
  model_ns_t *ns;
  assert_int_equal(model_ns_new(&ns), 0);
  int64_t tr[2] = {0, 11}, want[2] = {50, 44}, welfare[2] = {2500, 1980};
  for (int k = 0; k < 2; k++) {
    model_ns_arc_t arc = {1, 2, 1000, tr[k], 0};
    model_ns_curve_t curves[2] = {{1, true, 60, 0}, {2, false, 60, 0}};
    model_ns_problem_t pb = {.n_nodes = 3,
                             .arcs = &arc,
                             .n_arcs = 1,
                             .curves = curves,
                             .n_curves = 2};
    assert_int_equal(solve(ns, &pb, tb), 0);
    if (arc.flow != want[k])
      fail_msg("transport %lld: %lld units trade; the curves cross at %lld",
               (long long)tr[k], (long long)arc.flow, (long long)want[k]);
    assert_int_equal(curves[0].flow, want[k]);
    assert_int_equal(curves[1].flow, want[k]);
    assert_int_equal(-total_cost(&pb, tb), welfare[k]);
    check_certificate(ns, &pb, tb);
  }
  model_ns_free(ns);
  free(tb);
}

/* ---- ties ---- */

/* Two sellers at the same price and transport cost, 4 units each, and a
 * buyer of 5: either split is optimal, and the seller on the lower arc id
 * sells all it has. Swapping the arcs swaps the result. */
static void test_ties(void **state) {
  (void)state;
  table_t *tb = calloc(1, sizeof *tb);
  assert_non_null(tb);
  fill(tb, 0, 4, 10);
  fill(tb, 1, 4, 10);
  fill(tb, 2, 5, -100);
  model_ns_t *ns;
  assert_int_equal(model_ns_new(&ns), 0);
  for (int swap = 0; swap < 2; swap++) {
    model_ns_arc_t arcs[2] = {{1 + swap, 3, 100, 1, 0},
                              {2 - swap, 3, 100, 1, 0}};
    model_ns_curve_t curves[3] = {
        {1, true, 4, 0}, {2, true, 4, 0}, {3, false, 5, 0}};
    model_ns_problem_t pb = {.n_nodes = 4,
                             .arcs = arcs,
                             .n_arcs = 2,
                             .curves = curves,
                             .n_curves = 3};
    assert_int_equal(solve(ns, &pb, tb), 0);
    if (arcs[0].flow != 4 || arcs[1].flow != 1)
      fail_msg("arcs carry %lld and %lld; ties go to the lower arc id, so "
               "4 and 1",
               (long long)arcs[0].flow, (long long)arcs[1].flow);
    assert_int_equal(curves[swap].flow, 4);
    assert_int_equal(curves[1 - swap].flow, 1);
  }
  /* two parallel arcs from one seller: the lower id carries it all */
  model_ns_arc_t par[2] = {{1, 3, 100, 1, 0}, {1, 3, 100, 1, 0}};
  model_ns_curve_t one[2] = {{1, true, 4, 0}, {3, false, 5, 0}};
  fill(tb, 1, 5, -100);
  model_ns_problem_t p2 = {
      .n_nodes = 4, .arcs = par, .n_arcs = 2, .curves = one, .n_curves = 2};
  assert_int_equal(solve(ns, &p2, tb), 0);
  assert_int_equal(par[0].flow, 4);
  assert_int_equal(par[1].flow, 0);
  model_ns_free(ns);
  free(tb);
}

/* ---- unbalanced, infeasible and malformed ---- */

static void test_unbalanced(void **state) {
  (void)state;
  table_t *tb = calloc(1, sizeof *tb);
  assert_non_null(tb);
  fill(tb, 0, 10, 5);  /* 10 units offered at 5 */
  fill(tb, 1, 4, -20); /* 4 wanted at 20 */
  model_ns_t *ns;
  assert_int_equal(model_ns_new(&ns), 0);
  model_ns_arc_t arc = {1, 2, 1000, 1, 0};
  model_ns_curve_t curves[2] = {{1, true, 10, 0}, {2, false, 4, 0}};
  model_ns_problem_t pb = {
      .n_nodes = 3, .arcs = &arc, .n_arcs = 1, .curves = curves, .n_curves = 2};
  /* more supply than demand: the demand is met, the rest stays unsold */
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(arc.flow, 4);
  assert_int_equal(curves[0].flow, 4);
  check_certificate(ns, &pb, tb);
  /* more demand than supply */
  curves[0].cap = 3;
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(arc.flow, 3);
  assert_int_equal(curves[1].flow, 3);
  curves[0].cap = 10;
  /* a capacity binds */
  arc.cap = 2;
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(arc.flow, 2);
  check_certificate(ns, &pb, tb);
  /* a closed route (capacity 0): nothing moves, and that is no error */
  arc.cap = 0;
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(arc.flow, 0);
  assert_int_equal(curves[0].flow + curves[1].flow, 0);
  /* an unprofitable route: 5 + 15 >= 20, nothing moves */
  arc.cap = 1000;
  arc.cost = 15;
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(arc.flow, 0);
  check_certificate(ns, &pb, tb);
  /* no arcs at all */
  pb.n_arcs = 0;
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(curves[0].flow + curves[1].flow, 0);
  model_ns_free(ns);
  free(tb);
}

static void test_malformed(void **state) {
  (void)state;
  table_t *tb = calloc(1, sizeof *tb);
  assert_non_null(tb);
  fill(tb, 0, 4, 1);
  fill(tb, 1, 4, -9);
  model_ns_t *ns;
  assert_int_equal(model_ns_new(&ns), 0);
  model_ns_curve_t curves[2] = {{1, true, 4, 0}, {2, false, 4, 0}};
  model_ns_arc_t arc;
  model_ns_problem_t pb = {
      .n_nodes = 3, .arcs = &arc, .n_arcs = 1, .curves = curves, .n_curves = 2};
  /* a linear arc at the root */
  arc = (model_ns_arc_t){0, 2, 5, 0, 0};
  assert_int_equal(solve(ns, &pb, tb), MODEL_EINVAL);
  /* a node out of range */
  arc = (model_ns_arc_t){1, 3, 5, 0, 0};
  assert_int_equal(solve(ns, &pb, tb), MODEL_EINVAL);
  /* capacities out of range: negative, above "unbounded", or a curve's
   * as large as "unbounded" */
  arc = (model_ns_arc_t){1, 2, -1, 0, 0};
  assert_int_equal(solve(ns, &pb, tb), MODEL_EINVAL);
  arc.cap = MODEL_NS_CAP_MAX + 1;
  assert_int_equal(solve(ns, &pb, tb), MODEL_EINVAL);
  arc.cap = MODEL_NS_CAP_MAX; /* unbounded is allowed */
  curves[1].cap = MODEL_NS_CAP_MAX;
  assert_int_equal(solve(ns, &pb, tb), MODEL_EINVAL);
  curves[1].cap = 4;
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(arc.flow, 4);
  /* the tail of the only arc has no way in from the root (its out-curve
   * is empty), so the starting tree cannot reach it */
  arc = (model_ns_arc_t){1, 2, 5, 0, 0};
  curves[0].cap = 0;
  assert_int_equal(solve(ns, &pb, tb), MODEL_EINVAL);
  /* a first-arc id out of range */
  curves[0].cap = 4;
  int32_t first = 1;
  pb.first = &first;
  pb.n_first = 1;
  assert_int_equal(solve(ns, &pb, tb), MODEL_EINVAL);
  /* and the well-formed problem solves */
  first = 0;
  assert_int_equal(solve(ns, &pb, tb), 0);
  assert_int_equal(arc.flow, 4);
  model_ns_free(ns);
  free(tb);
}

/* ---- random tiny networks against a reference ---- */

/* The reference: cycle cancelling on the graph where each curve is
 * expanded into unit arcs of cost cost(t). From zero flow, it pushes along
 * any negative cycle of the residual graph (found by Bellman-Ford) until
 * none is left, which is optimal. Slow, simple, and independent of the
 * simplex. Only curves at touched nodes take part, as in the solver. */
typedef struct {
  int u, v;
  int64_t cost;
  int64_t *flow; /* forward residual cap - flow, backward flow */
  int64_t cap;
  int sign; /* +1: forward, -1: backward */
} redge_t;

static int64_t reference_cost(const model_ns_problem_t *pb, const table_t *tb,
                              const uint8_t *touched) {
  int V = pb->n_nodes;
  int64_t aflow[64] = {0};
  int64_t uflow[MAXC][MAXU];
  memset(uflow, 0, sizeof uflow);
  redge_t e[2 * (64 + MAXC * MAXU)];
  for (;;) {
    size_t ne = 0;
    for (size_t k = 0; k < pb->n_arcs; k++) {
      const model_ns_arc_t *a = &pb->arcs[k];
      if (aflow[k] < a->cap)
        e[ne++] = (redge_t){a->from, a->to, a->cost, &aflow[k], a->cap, 1};
      if (aflow[k] > 0)
        e[ne++] = (redge_t){a->to, a->from, -a->cost, &aflow[k], a->cap, -1};
    }
    for (size_t c = 0; c < pb->n_curves; c++) {
      const model_ns_curve_t *cu = &pb->curves[c];
      if (!touched[cu->node])
        continue;
      int u = cu->out ? 0 : cu->node, v = cu->out ? cu->node : 0;
      for (int64_t t = 0; t < cu->cap; t++) {
        int64_t w = tb->unit[c][t];
        if (uflow[c][t] == 0)
          e[ne++] = (redge_t){u, v, w, &uflow[c][t], 1, 1};
        else
          e[ne++] = (redge_t){v, u, -w, &uflow[c][t], 1, -1};
      }
    }
    /* Bellman-Ford from a virtual source at distance 0 to all */
    int64_t dist[32];
    int pred[32];
    for (int v = 0; v < V; v++) {
      dist[v] = 0;
      pred[v] = -1;
    }
    int last = -1;
    for (int it = 0; it < V; it++) {
      last = -1;
      for (size_t k = 0; k < ne; k++)
        if (dist[e[k].u] + e[k].cost < dist[e[k].v]) {
          dist[e[k].v] = dist[e[k].u] + e[k].cost;
          pred[e[k].v] = (int)k;
          last = e[k].v;
        }
      if (last < 0)
        break;
    }
    if (last < 0)
      break;
    /* walk back V steps to land on the cycle, then push one unit round */
    int v = last;
    for (int i = 0; i < V; i++) {
      assert_true(pred[v] >= 0);
      v = e[pred[v]].u;
    }
    int start = v;
    do {
      redge_t *r = &e[pred[v]];
      *r->flow += r->sign;
      v = r->u;
    } while (v != start);
  }
  int64_t sum = 0;
  for (size_t k = 0; k < pb->n_arcs; k++)
    sum += aflow[k] * pb->arcs[k].cost;
  for (size_t c = 0; c < pb->n_curves; c++)
    for (int64_t t = 0; t < pb->curves[c].cap; t++)
      sum += uflow[c][t] * tb->unit[c][t];
  return sum;
}

/* A random nondecreasing table of n costs in [lo, hi]. */
static void random_curve(uint64_t *rng, int64_t *u, int64_t n, int64_t lo,
                         int64_t hi) {
  for (int64_t t = 0; t < n; t++)
    u[t] = helper_range(rng, lo, hi);
  for (int64_t i = 1; i < n; i++)
    for (int64_t j = i; j > 0 && u[j - 1] > u[j]; j--) {
      int64_t x = u[j];
      u[j] = u[j - 1];
      u[j - 1] = x;
    }
}

/* Layered networks like the market's: sellers (out-curves, sometimes an
 * in-curve too), hubs, buyers (in-curves, sometimes an out-curve too);
 * arcs seller -> hub, seller -> buyer, hub -> buyer (a hub only once
 * something leads into it), costs of either sign, caps often binding. */
static void random_problem(uint64_t *rng, model_ns_problem_t *pb,
                           model_ns_arc_t *arcs, model_ns_curve_t *curves,
                           table_t *tb) {
  int ns = (int)helper_range(rng, 1, 3), nh = (int)helper_range(rng, 0, 2),
      nb = (int)helper_range(rng, 1, 3);
  int S0 = 1, H0 = S0 + ns, B0 = H0 + nh;
  pb->n_nodes = B0 + nb;
  size_t na = 0, nc = 0;
  bool hub_in[4] = {false};
  int tries = (int)helper_range(rng, 1, 12);
  for (int k = 0; k < tries && na < 16; k++) {
    /* capacities: often binding, sometimes unbounded, sometimes 0 */
    int64_t cap = helper_range(rng, 0, 4) == 0 ? 1000 : helper_range(rng, 0, 5);
    int kind = (int)helper_range(rng, 0, 2), from, to;
    if (kind == 0 && nh > 0) {
      from = S0 + (int)helper_range(rng, 0, ns - 1);
      to = H0 + (int)helper_range(rng, 0, nh - 1);
      hub_in[to - H0] |= cap > 0;
    } else if (kind == 1 && nh > 0) {
      int h = (int)helper_range(rng, 0, nh - 1);
      if (!hub_in[h])
        continue;
      from = H0 + h;
      to = B0 + (int)helper_range(rng, 0, nb - 1);
    } else {
      from = S0 + (int)helper_range(rng, 0, ns - 1);
      to = B0 + (int)helper_range(rng, 0, nb - 1);
    }
    arcs[na++] = (model_ns_arc_t){from, to, cap, helper_range(rng, -3, 8), 0};
  }
  for (int i = 0; i < ns; i++) {
    int64_t cap = helper_range(rng, 1, 6);
    random_curve(rng, tb->unit[nc], cap, 0, 12);
    curves[nc++] = (model_ns_curve_t){S0 + i, true, cap, 0};
    if (helper_range(rng, 0, 4) == 0) {
      cap = helper_range(rng, 0, 4);
      random_curve(rng, tb->unit[nc], cap, -15, 0);
      curves[nc++] = (model_ns_curve_t){S0 + i, false, cap, 0};
    }
  }
  for (int j = 0; j < nb; j++) {
    int64_t cap = helper_range(rng, 0, 6);
    random_curve(rng, tb->unit[nc], cap, -20, 2);
    curves[nc++] = (model_ns_curve_t){B0 + j, false, cap, 0};
    if (helper_range(rng, 0, 4) == 0) {
      cap = helper_range(rng, 1, 4);
      random_curve(rng, tb->unit[nc], cap, 0, 10);
      curves[nc++] = (model_ns_curve_t){B0 + j, true, cap, 0};
    }
  }
  pb->arcs = arcs;
  pb->n_arcs = na;
  pb->curves = curves;
  pb->n_curves = nc;
  pb->first = NULL;
  pb->n_first = 0;
}

static void test_random(void **state) {
  (void)state;
  uint64_t rng = 0x5eed2026u;
  table_t *tb = calloc(1, sizeof *tb);
  assert_non_null(tb);
  model_ns_t *reused;
  assert_int_equal(model_ns_new(&reused), 0);
  for (int it = 0; it < 2000; it++) {
    model_ns_arc_t arcs[16], arcs2[16];
    model_ns_curve_t curves[MAXC], curves2[MAXC];
    model_ns_problem_t pb;
    random_problem(&rng, &pb, arcs, curves, tb);
    assert_int_equal(solve(reused, &pb, tb), 0);
    check_conservation(&pb);
    check_certificate(reused, &pb, tb);
    /* the nodes that take part: those a linear arc touches */
    uint8_t touched[32] = {0};
    for (size_t k = 0; k < pb.n_arcs; k++)
      if (arcs[k].cap > 0)
        touched[arcs[k].from] = touched[arcs[k].to] = 1;
    assert_memory_equal(touched + 1, model_ns_touched(reused) + 1,
                        (size_t)pb.n_nodes - 1);
    int64_t got = total_cost(&pb, tb);
    int64_t want = reference_cost(&pb, tb, touched);
    if (got != want)
      fail_msg("random network %d: the simplex's cost is %lld, cycle "
               "cancelling finds %lld",
               it, (long long)got, (long long)want);
    /* a fresh workspace gives the same flows, bit for bit */
    memcpy(arcs2, arcs, sizeof arcs);
    memcpy(curves2, curves, sizeof curves);
    model_ns_problem_t p2 = pb;
    p2.arcs = arcs2;
    p2.curves = curves2;
    model_ns_t *fresh;
    assert_int_equal(model_ns_new(&fresh), 0);
    assert_int_equal(solve(fresh, &p2, tb), 0);
    for (size_t k = 0; k < pb.n_arcs; k++)
      assert_int_equal(arcs2[k].flow, arcs[k].flow);
    for (size_t c = 0; c < pb.n_curves; c++)
      assert_int_equal(curves2[c].flow, curves[c].flow);
    model_ns_free(fresh);
  }
  model_ns_free(reused);
  free(tb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transport),  cmocka_unit_test(test_no_arcs),
      cmocka_unit_test(test_convex),     cmocka_unit_test(test_ties),
      cmocka_unit_test(test_unbalanced), cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
