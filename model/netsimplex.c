/* netsimplex.c: the primal network simplex of netsimplex.h (strongly
 * feasible trees, Cunningham's rule, convex arcs at the root pushed a whole
 * run of units per pivot). It knows nothing of markets: market.c builds the
 * network and reads the flows and potentials back.
 *
 * Arc ids: linear arcs 0 .. E-1, then curve c at E + c. A curve in the tree
 * stands for one of its unit pieces; the rule of strongly feasible trees
 * fixes which: an out-curve's next unit (it has room to push), an
 * in-curve's last unit (it has flow to take back).
 */
#include "netsimplex.h"

#include "model.h"
#include "lan_assert.h"

#include <stdlib.h>
#include <string.h>

#define INF_CAP MODEL_NS_CAP_MAX

/* The costs of a curve's last moved and next unit, for the flow q. */
typedef struct {
  int64_t q; /* the flow the two costs are for, -1 none */
  int64_t last, next;
} cache_t;

struct model_ns {
  const model_ns_problem_t *pb;
  int32_t V, E, C; /* nodes, linear arcs, curves of the current problem */
  int32_t cap_nodes;
  size_t cap_arcs, cap_curves;
  uint8_t *a_tree; /* [cap_arcs] linear arc in the spanning tree */
  cache_t *cache;  /* [cap_curves] */
  /* the spanning tree, rooted at 0; [cap_nodes] each, w_* one more */
  int32_t *parent, *parc, *depth;
  int64_t *pot;
  uint32_t *mark;
  uint32_t stamp;
  int32_t *stack, *tree_nodes;
  int n_tree;
  uint8_t *in_tree;
  int32_t *w_arc;
  uint8_t *w_fwd;
};

/* One curve as a pivot sees it, moved forward (more) or backward (less)
 * from its flow q. */
typedef struct {
  int32_t c;
  bool fwd;
  int64_t q, avail;
} cvx_t;

int model_ns_new(model_ns_t **out) {
  *out = calloc(1, sizeof **out);
  return *out ? 0 : MODEL_ENOMEM;
}

void model_ns_free(model_ns_t *ns) {
  if (!ns)
    return;
  free(ns->a_tree);
  free(ns->cache);
  free(ns->parent);
  free(ns->parc);
  free(ns->depth);
  free(ns->pot);
  free(ns->mark);
  free(ns->stack);
  free(ns->tree_nodes);
  free(ns->in_tree);
  free(ns->w_arc);
  free(ns->w_fwd);
  free(ns);
}

const int64_t *model_ns_potentials(const model_ns_t *ns) {
  return ns->pot;
}

const uint8_t *model_ns_touched(const model_ns_t *ns) {
  return ns->in_tree;
}

/* realloc that leaves *p alone on failure. */
static int grow(void *pp, size_t n, size_t size) {
  void **p = pp;
  void *q = realloc(*p, n * size);
  if (!q)
    return MODEL_ENOMEM;
  *p = q;
  return 0;
}

static int reserve(model_ns_t *ns, int32_t V, size_t E, size_t C) {
  if (V > ns->cap_nodes) {
    size_t n = (size_t)V;
    if (grow(&ns->parent, n, sizeof *ns->parent) ||
        grow(&ns->parc, n, sizeof *ns->parc) ||
        grow(&ns->depth, n, sizeof *ns->depth) ||
        grow(&ns->pot, n, sizeof *ns->pot) ||
        grow(&ns->stack, n, sizeof *ns->stack) ||
        grow(&ns->tree_nodes, n, sizeof *ns->tree_nodes) ||
        grow(&ns->in_tree, n, sizeof *ns->in_tree) ||
        grow(&ns->w_arc, n + 1, sizeof *ns->w_arc) ||
        grow(&ns->w_fwd, n + 1, sizeof *ns->w_fwd))
      return MODEL_ENOMEM;
    /* the marks restart from zero in the larger array */
    uint32_t *mk = calloc(n, sizeof *mk);
    if (!mk)
      return MODEL_ENOMEM;
    free(ns->mark);
    ns->mark = mk;
    ns->stamp = 0;
    ns->cap_nodes = V;
  }
  if (E > ns->cap_arcs) {
    if (grow(&ns->a_tree, E, sizeof *ns->a_tree))
      return MODEL_ENOMEM;
    ns->cap_arcs = E;
  }
  if (C > ns->cap_curves) {
    if (grow(&ns->cache, C, sizeof *ns->cache))
      return MODEL_ENOMEM;
    ns->cap_curves = C;
  }
  return 0;
}

/* ---- curves ---- */

static void curve_cache(model_ns_t *ns, int32_t c) {
  const model_ns_problem_t *pb = ns->pb;
  const model_ns_curve_t *cu = &pb->curves[c];
  cache_t *k = &ns->cache[c];
  if (k->q == cu->flow)
    return;
  k->q = cu->flow;
  k->last = cu->flow > 0 ? pb->cost(pb->ctx, (size_t)c, cu->flow) : 0;
  k->next = cu->flow < cu->cap ? pb->cost(pb->ctx, (size_t)c, cu->flow + 1) : 0;
}

static void cvx_of(const model_ns_t *ns, int32_t k, bool fwd, cvx_t *c) {
  c->c = k - ns->E;
  const model_ns_curve_t *cu = &ns->pb->curves[c->c];
  c->fwd = fwd;
  c->q = cu->flow;
  c->avail = fwd ? cu->cap - c->q : c->q;
}

/* How many of the next units along the curve cost at most y each: the
 * cost of the t-th unit is f(t), nondecreasing in t (the curve's cost going
 * forward, minus it going back). */
static int64_t cvx_count(const model_ns_t *ns, const cvx_t *c, int64_t y) {
  const model_ns_problem_t *pb = ns->pb;
  int64_t r;
  if (c->fwd) {
    r = pb->count(pb->ctx, (size_t)c->c, y) - c->q;
  } else {
    int64_t below = pb->count(pb->ctx, (size_t)c->c, -y - 1);
    r = c->q - (below < c->q ? below : c->q);
  }
  if (r < 0)
    return 0;
  return r < c->avail ? r : c->avail;
}

/* The cost of the k-th unit moved along the curve, 1 <= k <= avail. */
static int64_t cvx_cost(const model_ns_t *ns, const cvx_t *c, int64_t k) {
  const model_ns_problem_t *pb = ns->pb;
  return c->fwd ? pb->cost(pb->ctx, (size_t)c->c, c->q + k)
                : -pb->cost(pb->ctx, (size_t)c->c, c->q - k + 1);
}

/* The number of units worth pushing round a cycle through the root whose
 * linear arcs cost L per unit, given that the first unit is: the t-th unit
 * costs L + f1(t) + f2(t), and both f are nondecreasing, so the units worth
 * pushing are a prefix. The t-th unit lowers the cost iff some integer
 * level lam has f1(t) + L <= lam - 1 and -f2(t) >= lam, hence the count is
 * the maximum over lam of min(count1(lam - 1 - L), count2(-lam)): the first
 * is nondecreasing in lam, the second nonincreasing, so a bisection over
 * lam in [f1(1) + L, 1 - f2(1)] (the first unit's gain wide) finds the
 * crossing. */
static int64_t cvx_cross(const model_ns_t *ns, const cvx_t *c1, const cvx_t *c2,
                         int64_t L) {
  int64_t lo = cvx_cost(ns, c1, 1) + L, hi = 1 - cvx_cost(ns, c2, 1);
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (cvx_count(ns, c1, mid - 1 - L) <= cvx_count(ns, c2, -mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  int64_t a = cvx_count(ns, c1, lo - 1 - L);
  int64_t b = cvx_count(ns, c2, -(lo + 1));
  return a > b ? a : b;
}

static bool cvx_end(const model_ns_t *ns, const cvx_t *c) {
  const model_ns_curve_t *cu = &ns->pb->curves[c->c];
  return c->fwd ? cu->flow == cu->cap : cu->flow == 0;
}

/* True when the flow sits between two different unit costs: the piece last
 * moved through is used up. */
static bool cvx_break(model_ns_t *ns, const cvx_t *c) {
  const model_ns_curve_t *cu = &ns->pb->curves[c->c];
  if (cu->flow <= 0 || cu->flow >= cu->cap)
    return true;
  curve_cache(ns, c->c);
  return ns->cache[c->c].last != ns->cache[c->c].next;
}

/* ---- the tree ---- */

static void arc_ends(const model_ns_t *ns, int32_t k, int *u, int *w) {
  if (k < ns->E) {
    *u = ns->pb->arcs[k].from;
    *w = ns->pb->arcs[k].to;
    return;
  }
  const model_ns_curve_t *cu = &ns->pb->curves[k - ns->E];
  *u = cu->out ? 0 : cu->node;
  *w = cu->out ? cu->node : 0;
}

/* The potential of child c across its tree arc. */
static int64_t child_pot(model_ns_t *ns, int c) {
  int32_t k = ns->parc[c];
  int par = ns->parent[c];
  if (k < ns->E) {
    const model_ns_arc_t *a = &ns->pb->arcs[k];
    return a->from == par ? ns->pot[par] + a->cost : ns->pot[par] - a->cost;
  }
  int32_t cv = k - ns->E;
  const model_ns_curve_t *cu = &ns->pb->curves[cv];
  curve_cache(ns, cv);
  /* root -> node: pot = pot(root) + cost of the next unit; node -> root:
   * pot(root) = pot + cost of the last unit; pot(root) is 0 */
  if (cu->out) {
    LAN_ASSERT(cu->flow < cu->cap);
    return ns->cache[cv].next;
  }
  LAN_ASSERT(cu->flow > 0);
  return -ns->cache[cv].last;
}

static void tree_refresh(model_ns_t *ns) {
  if (++ns->stamp == 0) {
    memset(ns->mark, 0, (size_t)ns->cap_nodes * sizeof *ns->mark);
    ns->stamp = 1;
  }
  ns->mark[0] = ns->stamp;
  ns->pot[0] = 0;
  ns->depth[0] = 0;
  for (int t = 0; t < ns->n_tree; t++) {
    int v = ns->tree_nodes[t], sp = 0;
    while (ns->mark[v] != ns->stamp) {
      ns->stack[sp++] = v;
      v = ns->parent[v];
    }
    while (sp > 0) {
      int c = ns->stack[--sp];
      ns->pot[c] = child_pot(ns, c);
      ns->depth[c] = ns->depth[ns->parent[c]] + 1;
      ns->mark[c] = ns->stamp;
    }
  }
}

/* Entering arc: the most negative reduced cost (Dantzig), ties to the
 * lowest arc id and forward before backward; -1 when the flow is optimal. */
static int32_t choose_entering(model_ns_t *ns, bool *fwd) {
  int64_t best = 0;
  int32_t arc = -1;
  int32_t E = ns->E;
  const int64_t *pot = ns->pot;
  const model_ns_arc_t *arcs = ns->pb->arcs;
  for (int32_t k = 0; k < E; k++) {
    if (ns->a_tree[k])
      continue;
    const model_ns_arc_t *a = &arcs[k];
    int64_t rc = a->cost + pot[a->from] - pot[a->to];
    if (a->flow < a->cap && rc < best) {
      best = rc;
      arc = k;
      *fwd = true;
    } else if (a->flow > 0 && -rc < best) {
      best = -rc;
      arc = k;
      *fwd = false;
    }
  }
  for (int32_t c = 0; c < ns->C; c++) {
    const model_ns_curve_t *cu = &ns->pb->curves[c];
    int v = cu->node;
    if (!ns->in_tree[v] || ns->parc[v] == E + c)
      continue;
    curve_cache(ns, c);
    const cache_t *k = &ns->cache[c];
    /* reduced cost of the next unit: cost + pot(tail) - pot(head) */
    int64_t pv = cu->out ? -pot[v] : pot[v];
    if (cu->flow < cu->cap && k->next + pv < best) {
      best = k->next + pv;
      arc = E + c;
      *fwd = true;
    }
    if (cu->flow > 0 && -(k->last + pv) < best) {
      best = -(k->last + pv);
      arc = E + c;
      *fwd = false;
    }
  }
  return arc;
}

/* One pivot: push round the cycle of the entering arc and the tree, then
 * exchange the first blocking arc met from the apex along the cycle's
 * orientation (that choice keeps the tree strongly feasible: every node can
 * still receive flow from the root along its tree path, which is what makes
 * a degenerate pivot unable to cycle). */
static void pivot(model_ns_t *ns, int32_t e, bool fwd) {
  int32_t E = ns->E;
  model_ns_arc_t *arcs = ns->pb->arcs;
  int32_t *parent = ns->parent, *parc = ns->parc;
  int u, w;
  arc_ends(ns, e, &u, &w);
  int a = fwd ? u : w, b = fwd ? w : u;
  int x = a, y = b;
  while (ns->depth[x] > ns->depth[y])
    x = parent[x];
  while (ns->depth[y] > ns->depth[x])
    y = parent[y];
  while (x != y) {
    x = parent[x];
    y = parent[y];
  }
  int apex = x;
  /* the cycle W from the apex: down to a, the entering arc, up from b */
  int nw = 0;
  for (int v = a; v != apex; v = parent[v]) {
    int tu, tw;
    arc_ends(ns, parc[v], &tu, &tw);
    ns->w_arc[nw] = parc[v];
    ns->w_fwd[nw++] = tu == parent[v];
  }
  for (int i = 0, j = nw - 1; i < j; i++, j--) {
    int32_t ta = ns->w_arc[i];
    uint8_t tf = ns->w_fwd[i];
    ns->w_arc[i] = ns->w_arc[j];
    ns->w_fwd[i] = ns->w_fwd[j];
    ns->w_arc[j] = ta;
    ns->w_fwd[j] = tf;
  }
  int ie = nw;
  ns->w_arc[nw] = e;
  ns->w_fwd[nw++] = fwd;
  for (int v = b; v != apex; v = parent[v]) {
    int tu, tw;
    arc_ends(ns, parc[v], &tu, &tw);
    ns->w_arc[nw] = parc[v];
    ns->w_fwd[nw++] = tu == v;
  }
  /* the most the linear arcs allow, and their cost per unit */
  int64_t R = INF_CAP * 2, L = 0;
  for (int k = 0; k < nw; k++) {
    int32_t id = ns->w_arc[k];
    if (id >= E) {
      LAN_ASSERT(apex == 0 && (k == 0 || k == nw - 1));
      continue;
    }
    const model_ns_arc_t *ar = &arcs[id];
    int64_t room = ns->w_fwd[k] ? ar->cap - ar->flow : ar->flow;
    if (room < R)
      R = room;
    L += ns->w_fwd[k] ? ar->cost : -ar->cost;
  }
  /* through the root: as many units as pay, often all that the arcs allow
   * (two lookups), else found by cvx_cross; `more` says whether unit t + 1
   * would still pay */
  cvx_t c1, c2;
  int64_t t = R;
  bool more = false;
  if (apex == 0) {
    cvx_of(ns, ns->w_arc[0], ns->w_fwd[0], &c1);
    cvx_of(ns, ns->w_arc[nw - 1], ns->w_fwd[nw - 1], &c2);
    int64_t A = c1.avail < c2.avail ? c1.avail : c2.avail;
    t = R < A ? R : A;
    if (t > 0) {
      if (cvx_cost(ns, &c1, t) + L + cvx_cost(ns, &c2, t) < 0)
        more = t < A &&
               cvx_cost(ns, &c1, t + 1) + L + cvx_cost(ns, &c2, t + 1) < 0;
      else
        t = cvx_cross(ns, &c1, &c2, L);
    }
  }
  LAN_ASSERT(t < INF_CAP);
  /* push t units */
  for (int k = 0; k < nw; k++) {
    int32_t id = ns->w_arc[k];
    int64_t dt = ns->w_fwd[k] ? t : -t;
    if (id < E)
      arcs[id].flow += dt;
    else
      ns->pb->curves[id - E].flow += dt;
  }
  /* the first blocking arc from the apex */
  int leave = -1;
  for (int k = 0; k < nw && leave < 0; k++) {
    int32_t id = ns->w_arc[k];
    if (id < E) {
      const model_ns_arc_t *ar = &arcs[id];
      if ((ns->w_fwd[k] ? ar->cap - ar->flow : ar->flow) == 0)
        leave = k;
    } else if (k == 0) {
      /* the first piece stays in the tree when more units would still pay
       * and something else stopped the push */
      if (cvx_end(ns, &c1) || (t > 0 && !more && cvx_break(ns, &c1)))
        leave = k;
    } else {
      if (cvx_end(ns, &c2) || cvx_break(ns, &c2))
        leave = k;
    }
  }
  LAN_ASSERT(leave >= 0);
  if (ns->w_arc[leave] == e)
    return; /* the entering arc went from bound to bound */
  int32_t lk = ns->w_arc[leave];
  int lu, lw;
  arc_ends(ns, lk, &lu, &lw);
  int c = parent[lu] == lw && parc[lu] == lk ? lu : lw;
  /* re-hang the cut-off subtree from the entering arc */
  int xs = leave < ie ? a : b, ys = leave < ie ? b : a;
  int prev = ys;
  int32_t prevarc = e;
  int cur = xs;
  for (;;) {
    int nxt = parent[cur];
    int32_t nxtarc = parc[cur];
    parent[cur] = prev;
    parc[cur] = prevarc;
    if (cur == c)
      break;
    prev = cur;
    prevarc = nxtarc;
    cur = nxt;
  }
  if (e < E)
    ns->a_tree[e] = 1;
  if (lk < E)
    ns->a_tree[lk] = 0;
}

/* The invariant the pivots rely on: the tree is strongly feasible, every
 * node can receive flow from the root along its path. A walk of the whole
 * tree after every pivot, so checked in Debug builds only (elsewhere the
 * loop has no effect and compiles away). */
static void tree_check(const model_ns_t *ns) {
  for (int t = 0; t < ns->n_tree; t++) {
    int c = ns->tree_nodes[t];
    int32_t k = ns->parc[c];
    int par = ns->parent[c];
    if (k < ns->E) {
      const model_ns_arc_t *a = &ns->pb->arcs[k];
      LAN_DEBUG_ASSERT(a->from == par ? a->flow < a->cap : a->flow > 0);
    } else {
      const model_ns_curve_t *cu = &ns->pb->curves[k - ns->E];
      LAN_DEBUG_ASSERT(par == 0 &&
                       (cu->out ? cu->flow < cu->cap : cu->flow > 0));
    }
  }
}

/* ---- solving ---- */

static int check_problem(const model_ns_problem_t *pb) {
  if (pb->n_nodes < 1 || (pb->n_arcs && !pb->arcs) ||
      (pb->n_curves && (!pb->curves || !pb->cost || !pb->count)) ||
      pb->n_arcs > INT32_MAX / 2 || pb->n_curves > INT32_MAX / 2)
    return MODEL_EINVAL;
  for (size_t k = 0; k < pb->n_arcs; k++) {
    const model_ns_arc_t *a = &pb->arcs[k];
    if (a->from < 1 || a->from >= pb->n_nodes || a->to < 1 ||
        a->to >= pb->n_nodes || a->cap < 0 || a->cap > MODEL_NS_CAP_MAX)
      return MODEL_EINVAL;
  }
  for (size_t c = 0; c < pb->n_curves; c++) {
    const model_ns_curve_t *cu = &pb->curves[c];
    if (cu->node < 1 || cu->node >= pb->n_nodes || cu->cap < 0 ||
        cu->cap >= MODEL_NS_CAP_MAX)
      return MODEL_EINVAL;
  }
  for (size_t k = 0; k < pb->n_first; k++)
    if (pb->first[k] < 0 || (size_t)pb->first[k] >= pb->n_arcs)
      return MODEL_EINVAL;
  return 0;
}

/* Hangs node `to` of arc k from its tail unless it hangs already. */
static void hang(model_ns_t *ns, int32_t k) {
  const model_ns_arc_t *a = &ns->pb->arcs[k];
  if (ns->parent[a->to] >= 0 || a->cap == 0)
    return;
  ns->parent[a->to] = a->from;
  ns->parc[a->to] = k;
  ns->a_tree[k] = 1;
}

/* The starting tree (see model_ns_solve): all flows are zero and every
 * tree arc points away from the root with room, so it is strongly
 * feasible, provided it is a tree that spans the touched nodes. */
static int start_tree(model_ns_t *ns) {
  const model_ns_problem_t *pb = ns->pb;
  int32_t E = ns->E;
  ns->in_tree[0] = 1;
  ns->parent[0] = -1;
  ns->parc[0] = -1;
  for (int v = 1; v < ns->V; v++)
    ns->parent[v] = -1;
  for (int32_t c = 0; c < ns->C; c++) {
    const model_ns_curve_t *cu = &pb->curves[c];
    if (cu->out && cu->cap > 0 && ns->in_tree[cu->node] &&
        ns->parent[cu->node] < 0) {
      ns->parent[cu->node] = 0;
      ns->parc[cu->node] = E + c;
    }
  }
  for (size_t k = 0; k < pb->n_first; k++)
    hang(ns, pb->first[k]);
  for (int32_t k = 0; k < E; k++)
    hang(ns, k);
  ns->n_tree = 0;
  for (int v = 1; v < ns->V; v++)
    if (ns->in_tree[v]) {
      if (ns->parent[v] < 0)
        return MODEL_EINVAL; /* nothing leads there from the root */
      ns->tree_nodes[ns->n_tree++] = v;
    }
  /* no cycle among the parents: each walk up reaches the root within V
   * steps */
  for (int t = 0; t < ns->n_tree; t++) {
    int v = ns->tree_nodes[t], steps = 0;
    while (v != 0) {
      if (++steps > ns->V)
        return MODEL_EINVAL;
      v = ns->parent[v];
    }
  }
  return 0;
}

int model_ns_solve(model_ns_t *ns, const model_ns_problem_t *pb) {
  int rc = check_problem(pb);
  if (rc)
    return rc;
  rc = reserve(ns, pb->n_nodes, pb->n_arcs, pb->n_curves);
  if (rc)
    return rc;
  ns->pb = pb;
  ns->V = pb->n_nodes;
  ns->E = (int32_t)pb->n_arcs;
  ns->C = (int32_t)pb->n_curves;
  for (size_t k = 0; k < pb->n_arcs; k++)
    pb->arcs[k].flow = 0;
  for (size_t c = 0; c < pb->n_curves; c++) {
    pb->curves[c].flow = 0;
    ns->cache[c].q = -1;
  }
  memset(ns->pot, 0, (size_t)ns->V * sizeof *ns->pot);
  /* nodes that can carry flow: those a linear arc of positive capacity
   * touches (an arc of capacity 0 can never enter the tree) */
  memset(ns->in_tree, 0, (size_t)ns->V);
  if (pb->n_arcs > 0) /* a_tree is NULL while no arc was ever seen */
    memset(ns->a_tree, 0, pb->n_arcs);
  bool any = false;
  for (size_t k = 0; k < pb->n_arcs; k++)
    if (pb->arcs[k].cap > 0) {
      ns->in_tree[pb->arcs[k].from] = 1;
      ns->in_tree[pb->arcs[k].to] = 1;
      any = true;
    }
  if (!any)
    return 0;
  if ((rc = start_tree(ns)))
    return rc;
  size_t guard = 0, limit = 1000000 + 1000 * (pb->n_arcs + (size_t)ns->V);
  for (;;) {
    tree_refresh(ns);
    bool fwd = true;
    int32_t e = choose_entering(ns, &fwd);
    if (e < 0)
      break;
    if (++guard > limit)
      return MODEL_ELIMIT;
    pivot(ns, e, fwd);
    tree_check(ns);
  }
  return 0;
}
