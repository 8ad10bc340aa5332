/* market.c: clearing one product's market across borders, exactly.
 *
 * The allocation maximises welfare (the value of what buyers get, less what
 * sellers ask, less transport and tariffs) subject to quotas, bans and
 * licences. It is a min-cost circulation on a small network of nation nodes
 * around one "outside" node o:
 *
 *   o -> s_i   (sellers in i: one convex arc, the nation's offers sorted by
 *               price; its flow is what i sells)
 *   s_i -> d_i (at home, free), s_i -> d_j or s_i -> x_i -> d_j (exports,
 *               capacity from quotas/bans/licences, cost transport + tariff)
 *   d_j -> o   (buyers in j: one convex arc, minus the value of bids and of
 *               the final-demand curve, one-cent levels of value)
 *
 * solved by a primal network simplex on strongly feasible spanning trees
 * (Cunningham's rule, so degenerate pivots cannot cycle). A convex arc is a
 * bundle of parallel unit-price pieces; instead of pivoting piece by piece,
 * each pivot pushes flow round its cycle up to the exact number of kg that
 * still lower the cost (a bisection on a price level over the two convex
 * arcs' step curves) or until a trade arc's capacity binds. The work per
 * pivot is O(nodes + arcs + log(price range) log(steps)) and does not grow
 * with the number of offers and bids, which are only sorted once.
 *
 * Prices: the optimal flow's residual graph (plus free disposal at 0 and a
 * backstop supply at MODEL_PRICE_MAX_CENTS at every node) has no negative
 * cycle, so node potentials exist; the highest and lowest feasible
 * potentials come from two Bellman-Ford runs, and each node's price is the
 * floor of their midpoint (a feasible potential too). The set of feasible
 * potentials is the set of optimal duals, the same for every optimal flow,
 * so prices do not depend on which optimal allocation the solver finds.
 * docs/model.md gives the argument.
 */
#include "model_internal.h"
#include "netsimplex.h"

#include <stdlib.h>
#include <string.h>

#define INF_CAP  MODEL_NS_CAP_MAX /* an arc without a quota or licence */
#define INF_DIST ((int64_t)1 << 62)
#define PMAX     ((int64_t)MODEL_PRICE_MAX_CENTS)
#define VMAX     (1 + 5 * NN) /* nodes: o, s_i, x_i, d_j, r_j, e_i */

typedef struct {
  int32_t holder, nation;
  uint8_t is_bid, kind; /* kind: 0 order, 1 floor, 2 stockpile */
  int64_t price, qty, fill;
  int64_t ctrl; /* offers under rules of origin: kg of qty that is the
                   tracked nation's material */
  uint8_t cls;  /* offers, demand by sector: 1 when restricted buyers may
                   take it (the eligible sellers' node e_i), else 0 */
} part_t;

/* What a trade arc of the network (model_ns_arc_t) means to settlement:
 * the pair (exporter, importer) of an export, else -1, and its transport
 * and tariff per kg. */
typedef struct {
  int32_t pi, pj;
  int64_t transport, tariff;
} route_t;

/* Demand by sector (issue 11; maps whose demand lists sectors): one
 * linear line of final demand, whose nation (owner) and sector it is, the
 * nation whose security its purchases count for, and its fill. */
typedef struct {
  int64_t q0, p0, maxp, slope_q32;
  int64_t fill;
  int32_t owner, sector, counts_for;
} line_t;

typedef struct {
  /* supply: offers parts[o_begin, o_end), sorted by price; merged into
   * steps k_price/k_cum[k_begin, k_end) (k_cum: kg through the step) */
  size_t o_begin, o_end;
  size_t k_begin, k_end;
  int64_t offered;
  int64_t sold;           /* flow of o -> s_i */
  int64_t sq;             /* the sold value the cache below is for */
  int64_t p_last, p_next; /* price of the last sold and next kg, -1 none */
  /* demand: bids parts[b_begin, b_end), by price descending */
  size_t b_begin, b_end;
  bool fd;
  int64_t q0, p0, el, maxp;
  int64_t slope_q32;      /* kg per cent of price, Q32: el q0 / (p0 1e6) */
  int64_t dmax;           /* all demand valued 1 cent or more */
  int64_t filled;         /* flow of d_j -> o */
  int64_t dq;             /* the filled value the cache below is for */
  int64_t v_last, v_next; /* value of the last filled and next kg, -1 */
  bool has_supply, has_demand;
  int64_t ctrl; /* rules of origin: kg offered that is tracked material */
  /* demand by sector: final demand is the sum of these lines (n_lines >
   * 0 only on maps with sectors; the fields above are then unused) */
  line_t *lines;
  int32_t n_lines;
} node_t;

/* An arc of the residual graph that prices are read from. */
typedef struct {
  int32_t u, v;
  int64_t c;
} edge_t;

/* Settlement, per nation: final demand's fill, concentrate elements in the
 * exporters' pools and on their way to the buyers, whether exports are
 * capped by a full hub arc. */
typedef struct {
  int64_t fd_fill, into, out_total, out_done;
  int64_t pool_el[NEL], in_el[NEL], el_done[NEL];
  bool hub_full;
  /* rules of origin: the tracked content sold in the nation, on its way
   * to buyers along the arcs (as the concentrate's elements) */
  int64_t pool_o, in_o, o_done, o_flow_done;
} nat_t;

/* The workspace, kept in the state's scratch pointer and reused by every
 * market of every turn, so clearing allocates only when a market is larger
 * than any before it. */
typedef struct {
  model_state_t *st;
  int p, n, V;
  part_t *parts, *tmp;
  size_t n_parts, cap_parts;
  uint64_t *keys, *keytmp; /* setup's sort: [2 cap_parts], [cap_parts] */
  size_t n_offers, n_bids;
  int64_t *bprefix; /* [n_bids + 1], over the bids in order */
  int64_t *k_price, *k_cum;
  size_t n_steps;
  model_ns_arc_t *arcs; /* the trade arcs, and what each means */
  route_t *routes;
  size_t n_arcs, cap_arcs;
  int32_t first[2 * NN]; /* home and hub arcs: the solver's first tree */
  size_t n_first;
  model_ns_curve_t curves[4 * NN]; /* sellers of each nation, then buyers
                                      (then restricted buyers and eligible
                                      sellers) */
  model_ns_t *ns;
  const int64_t *pot;     /* after solve: the optimal potentials */
  const uint8_t *in_tree; /* after solve: nodes a trade arc touches */
  int32_t *adj;           /* least_volume: adjacency, 2 per arc */
  edge_t *edges;          /* compute_prices: the residual graph */
  size_t cap_edges;
  edge_t *price_arcs; /* routes into nations without buyers (for prices) */
  size_t n_price_arcs;
  int64_t *buf;   /* settlement: amounts and shares */
  int64_t **pbuf; /* settlement: pointers to fills */
  size_t cap_buf;
  node_t nd[NN];
  nat_t na[NN];
  int64_t offered[NN]; /* gather: a nation's stock already offered */
  int64_t spend[NN];   /* gather: the most a nation's bids may cost */
  uint32_t mark[VMAX]; /* least_volume: nodes seen in this search */
  uint32_t stamp;
  /* licences on the exports basis (docs/model.md "Export controls"): pass
   * 1 clears without them and records each route's exports x0 (and each
   * exporter's total), pass 2 caps them at approval x those; pass 0 is a
   * market without such licences */
  int pass;
  int64_t x0[NN][NN], x0tot[NN];
  /* caps shared between buyer classes (restricted buyers, below): the cap
   * setup put on each route i -> j and on all of i's exports (INF_CAP for
   * none); when a clearing used more of a cap in the two classes together
   * than it allows, the market clears again with `shared` set: the
   * restricted class keeps ralloc[i][j] of each route (its first
   * clearing's flow, cut pro rata to the cap on all of i's exports; rhub[i]
   * their sum where that cap is finite, INF_CAP where no cap binds the
   * route) and the open class gets what is left of each cap */
  int64_t capij[NN][NN], hubcap[NN];
  int64_t ralloc[NN][NN], rhub[NN];
  bool shared;
  /* demand by sector: the lines of every node, grouped by node; and
   * settlement's kg into each node from each exporter (home included) */
  line_t lines[NN * MODEL_SECTORS];
  int64_t into_from[NN][NN];
  /* demand by sector, restricted buyers (qualified_only, exclude_origin):
   * in a market where such a line's rule binds (one rule a market, load.c
   * checks: bit 0 qualified sellers only, bit 1 free of the tracked origin
   * only), nation j's restricted lines are a buyer node r_j (rd[j]), and
   * the offers the rule allows (the free part of an offer under rules of
   * origin) are a seller node e_i (ed[i]), which sells to r nodes and, by
   * an arc e_i -> s_i, to everyone else */
  bool any_r;
  uint8_t rule;
  node_t rd[NN];
  node_t ed[NN];
} mk_t;

static int S_(const mk_t *m, int i) {
  return 1 + i;
}
static int X_(const mk_t *m, int i) {
  return 1 + m->n + i;
}
static int D_(const mk_t *m, int j) {
  return 1 + 2 * m->n + j;
}
static int R_(const mk_t *m, int j) {
  return 1 + 3 * m->n + j;
}
static int E_(const mk_t *m, int i) {
  return 1 + 4 * m->n + i;
}

/* ---- demand curves ---- */

/* Final demand at price t (cents): linear through (p0, q0) with slope
 * slope_q32 / 2^32 kg per cent (el q0 / p0 at the reference point, to 2^-32
 * relative), zero above maxp, never negative. Exact integers; a shift, not a
 * division, because the market evaluates it many times. */
static int64_t line_at(int64_t q0, int64_t p0, int64_t maxp, int64_t slope,
                       int64_t t) {
  if (t > maxp)
    return 0;
  __int128 x = (__int128)slope * (p0 - t);
  __int128 q = x >> 32; /* floor, also for negative x */
  q += q0;
  if (q < 0)
    return 0;
  if (q > MODEL_QTY_MAX_KG)
    return MODEL_QTY_MAX_KG;
  return (int64_t)q;
}

/* With demand by sector, the sum of the node's lines, each exactly as a
 * nation's single curve (so a one-line node equals it bit for bit). */
static int64_t fd_at(const node_t *d, int64_t t) {
  if (d->n_lines > 0) {
    int64_t sum = 0;
    for (int32_t k = 0; k < d->n_lines; k++) {
      const line_t *l = &d->lines[k];
      sum += line_at(l->q0, l->p0, l->maxp, l->slope_q32, t);
      if (sum > MODEL_QTY_MAX_KG)
        return MODEL_QTY_MAX_KG;
    }
    return sum;
  }
  if (!d->fd)
    return 0;
  return line_at(d->q0, d->p0, d->maxp, d->slope_q32, t);
}

/* Bid kg with max price >= t. */
static int64_t bids_at(const mk_t *m, const node_t *d, int64_t t) {
  size_t lo = d->b_begin, hi = d->b_end; /* first with price < t */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->parts[mid].price >= t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return m->bprefix[lo - m->n_offers] - m->bprefix[d->b_begin - m->n_offers];
}

/* All demand (kg) valued at t or more. Nonincreasing in t. */
static int64_t dem_at(const mk_t *m, const node_t *d, int64_t t) {
  return fd_at(d, t) + bids_at(m, d, t);
}

/* The same, where values below one cent do not exist (the network has no
 * kg of value 0). */
static int64_t dem_ge(const mk_t *m, const node_t *d, int64_t t) {
  return t <= 1 ? d->dmax : dem_at(m, d, t);
}

/* floor(a / b) and ceil(a / b) for b > 0 (C division truncates). */
static __int128 floor_div(__int128 a, __int128 b) {
  __int128 q = a / b;
  return q * b > a ? q - 1 : q;
}

/* The largest t in [lo, hi] with fd_at(t) >= need, given fd_at(lo) >=
 * need >= 1; exact. fd_at is q0 + floor(s (p0 - t) / 2^32) clamped to
 * [0, QMAX] (and 0 above maxp), so fd_at(t) >= need iff t <= maxp and
 * s (p0 - t) >= (need - q0) 2^32, i.e. t <= p0 - ceil((need - q0) 2^32 / s);
 * the clamps do not matter because 1 <= need <= QMAX. */
static int64_t fd_last(const node_t *d, int64_t need, int64_t lo, int64_t hi) {
  if (d->n_lines > 0) {
    /* a sum of lines, each with its own slope and choke price: a
     * bisection on the price (fd_at is nonincreasing in t), at most
     * log2(PMAX) ~ 27 evaluations */
    while (lo < hi) {
      int64_t mid = lo + (hi - lo + 1) / 2;
      if (fd_at(d, mid) >= need)
        lo = mid;
      else
        hi = mid - 1;
    }
    return lo;
  }
  if (hi > d->maxp)
    hi = d->maxp;
  int64_t t = hi;
  if (d->slope_q32 > 0) {
    __int128 num = ((__int128)need - d->q0) * ((__int128)1 << 32);
    __int128 c = -floor_div(-num, d->slope_q32); /* ceil */
    __int128 x = (__int128)d->p0 - c;
    if (x < t)
      t = (int64_t)x;
  } else if (d->q0 < need) {
    t = lo; /* a flat curve below need: only lo, which is given */
  }
  if (t < lo)
    t = lo;
  /* two more evaluations of the curve in the market's inner loop: Debug
   * builds only */
  LAN_DEBUG_ASSERT(fd_at(d, t) >= need && (t == hi || fd_at(d, t + 1) < need));
  return t;
}

/* The value of the q-th kg of demand, 1 <= q <= dmax: the largest t with
 * dem_at(t) >= q. A bisection over the bids finds the highest bid price
 * where demand reaches q; above it, up to the next higher bid price, the
 * bids are constant and the final-demand line is inverted exactly. */
static int64_t dem_value(const mk_t *m, const node_t *d, int64_t q) {
  size_t lo = d->b_begin, hi = d->b_end; /* first bid k: dem_at(p_k) >= q */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (dem_at(m, d, m->parts[mid].price) >= q)
      hi = mid;
    else
      lo = mid + 1;
  }
  /* the answer is in [floor_t, ceil_t]: floor_t is that bid's price (or
   * 1), ceil_t one below the next higher bid price (or the top) */
  int64_t floor_t = lo < d->b_end ? m->parts[lo].price : 1;
  int64_t ceil_t = lo > d->b_begin ? m->parts[lo - 1].price - 1 : PMAX - 1;
  if (floor_t < 1)
    floor_t = 1;
  if (ceil_t <= floor_t)
    return floor_t;
  /* above floor_t the bids with price >= t are those before lo */
  int64_t bids =
      m->bprefix[lo - m->n_offers] - m->bprefix[d->b_begin - m->n_offers];
  int64_t need = q - bids;
  if (need <= 0)
    return ceil_t;
  if (fd_at(d, floor_t + 1) < need)
    return floor_t;
  return fd_last(d, need, floor_t + 1, ceil_t);
}

static void dem_cache(const mk_t *m, node_t *d) {
  if (d->dq == d->filled)
    return;
  d->dq = d->filled;
  d->v_last = d->filled > 0 ? dem_value(m, d, d->filled) : -1;
  d->v_next = d->filled < d->dmax ? dem_value(m, d, d->filled + 1) : -1;
}

/* ---- supply curves ---- */

/* kg offered at price <= y. */
static int64_t sup_upto(const mk_t *m, const node_t *s, int64_t y) {
  size_t lo = s->k_begin, hi = s->k_end; /* first step priced above y */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->k_price[mid] <= y)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo > s->k_begin ? m->k_cum[lo - 1] : 0;
}

/* The step holding the q-th kg, 1 <= q <= offered. */
static size_t sup_step(const mk_t *m, const node_t *s, int64_t q) {
  size_t lo = s->k_begin, hi = s->k_end - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->k_cum[mid] >= q)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

static void sup_cache(const mk_t *m, node_t *s) {
  if (s->sq == s->sold)
    return;
  s->sq = s->sold;
  s->p_last = s->sold > 0 ? m->k_price[sup_step(m, s, s->sold)] : -1;
  s->p_next =
      s->sold < s->offered ? m->k_price[sup_step(m, s, s->sold + 1)] : -1;
}

/* ---- solving ---- */

/* The sellers' and buyers' step curves as the solver's curves (the cost of
 * the t-th kg: the seller's price of it, minus the buyer's value of it). */
static int64_t curve_cost(void *ctx, size_t c, int64_t t) {
  const mk_t *m = ctx;
  size_t n = (size_t)m->n;
  if (c < n)
    return m->k_price[sup_step(m, &m->nd[c], t)];
  if (c >= 3 * n)
    return m->k_price[sup_step(m, &m->ed[c - 3 * n], t)];
  if (c >= 2 * n)
    return -dem_value(m, &m->rd[c - 2 * n], t);
  return -dem_value(m, &m->nd[c - n], t);
}

static int64_t curve_count(void *ctx, size_t c, int64_t y) {
  const mk_t *m = ctx;
  size_t n = (size_t)m->n;
  if (c < n)
    return sup_upto(m, &m->nd[c], y);
  if (c >= 3 * n)
    return sup_upto(m, &m->ed[c - 3 * n], y);
  const node_t *d = c >= 2 * n ? &m->rd[c - 2 * n] : &m->nd[c - n];
  return y > -PMAX ? dem_ge(m, d, -y) : 0;
}

/* The welfare-maximising flow: o -> s_i carries what i sells, d_j -> o
 * what j buys. */
static int solve(mk_t *m) {
  int n = m->n;
  for (int i = 0; i < n; i++) {
    m->curves[i] = (model_ns_curve_t){S_(m, i), true, m->nd[i].offered, 0};
    m->curves[n + i] = (model_ns_curve_t){D_(m, i), false, m->nd[i].dmax, 0};
    if (m->any_r) {
      m->curves[2 * n + i] =
          (model_ns_curve_t){R_(m, i), false, m->rd[i].dmax, 0};
      m->curves[3 * n + i] =
          (model_ns_curve_t){E_(m, i), true, m->ed[i].offered, 0};
    }
  }
  model_ns_problem_t pb = {
      .n_nodes = m->V,
      .arcs = m->arcs,
      .n_arcs = m->n_arcs,
      .curves = m->curves,
      .n_curves = (m->any_r ? 4 : 2) * (size_t)n,
      .first = m->first,
      .n_first = m->n_first,
      .cost = curve_cost,
      .count = curve_count,
      .ctx = m,
  };
  int rc = model_ns_solve(m->ns, &pb);
  if (rc)
    return rc;
  for (int i = 0; i < n; i++) {
    m->nd[i].sold = m->curves[i].flow;
    m->nd[i].filled = m->curves[n + i].flow;
    m->rd[i].filled = m->any_r ? m->curves[2 * n + i].flow : 0;
    m->ed[i].sold = m->any_r ? m->curves[3 * n + i].flow : 0;
  }
  m->pot = model_ns_potentials(m->ns);
  m->in_tree = model_ns_touched(m->ns);
  return 0;
}

/* Takes back trades that gain nothing. With the final potentials pi (an
 * optimal dual), every optimal flow differs from this one by flow along
 * residual arcs of zero reduced cost; pushing flow from o into buyers at
 * exactly their price (unfilling kg valued pi(d_j)), along such arcs, back
 * to sellers at exactly their price (unselling kg priced pi(s_i)) keeps the
 * welfare and lowers the volume, and a maximum flow of such paths gives the
 * least volume of all welfare-maximising allocations (cycles through o that
 * fill or sell more cannot help: a decomposition of any better allocation's
 * difference keeps its volume-lowering cycles feasible on their own).
 * Augmenting paths are found breadth-first, in node and arc order. */
static void least_volume(mk_t *m) {
  int n = m->n, V = m->V;
  if (!m->n_arcs)
    return; /* nothing traded, and no potentials to read */
  const int64_t *pot = m->pot;
  int64_t src[NN], sink[NN];
  bool any_src = false, any_sink = false;
  for (int i = 0; i < n; i++) {
    node_t *d = &m->nd[i];
    src[i] = sink[i] = 0;
    int vd = D_(m, i), vs = S_(m, i);
    if (m->in_tree[vd] && d->filled > 0) {
      int64_t keep = dem_ge(m, d, pot[vd] + 1);
      src[i] = d->filled > keep ? d->filled - keep : 0;
      any_src |= src[i] > 0;
    }
    if (m->in_tree[vs] && d->sold > 0) {
      int64_t keep = sup_upto(m, d, pot[vs] - 1);
      sink[i] = d->sold > keep ? d->sold - keep : 0;
      any_sink |= sink[i] > 0;
    }
  }
  if (!any_src || !any_sink)
    return;
  /* adjacency of the zero-reduced-cost arcs (both directions, residuals
   * checked when used): adj entries are arc * 2 + (1 if backward) */
  int32_t start[VMAX + 1], cnt[VMAX + 1], *adj = m->adj;
  memset(cnt, 0, sizeof cnt);
  size_t na = 0;
  for (size_t k = 0; k < m->n_arcs; k++) {
    const model_ns_arc_t *a = &m->arcs[k];
    if (a->cost + pot[a->from] - pot[a->to] != 0)
      continue;
    cnt[a->from + 1]++;
    cnt[a->to + 1]++;
    na += 2;
  }
  if (!na)
    return;
  for (int v = 0; v < V; v++)
    cnt[v + 1] += cnt[v];
  memcpy(start, cnt, sizeof start);
  for (size_t k = 0; k < m->n_arcs; k++) {
    const model_ns_arc_t *a = &m->arcs[k];
    if (a->cost + pot[a->from] - pot[a->to] != 0)
      continue;
    adj[cnt[a->from]++] = (int32_t)k * 2;
    adj[cnt[a->to]++] = (int32_t)k * 2 + 1;
  }
  int32_t queue[VMAX], via[VMAX]; /* via: the adj entry that reached it */
  uint32_t *seen = m->mark;
  for (;;) {
    if (++m->stamp == 0) {
      memset(m->mark, 0, sizeof m->mark);
      m->stamp = 1;
    }
    int qh = 0, qt = 0, found = -1;
    for (int j = 0; j < n; j++)
      if (src[j] > 0) {
        int v = D_(m, j);
        seen[v] = m->stamp;
        via[v] = -1;
        queue[qt++] = v;
      }
    while (qh < qt && found < 0) {
      int u = queue[qh++];
      if (u >= 1 && u <= n && sink[u - 1] > 0) {
        found = u;
        break;
      }
      for (int32_t k = start[u]; k < cnt[u]; k++) {
        int32_t code = adj[k];
        const model_ns_arc_t *a = &m->arcs[code / 2];
        bool back = code & 1;
        int64_t room = back ? a->flow : a->cap - a->flow;
        int v = back ? a->from : a->to;
        if (room <= 0 || seen[v] == m->stamp)
          continue;
        seen[v] = m->stamp;
        via[v] = code;
        queue[qt++] = v;
      }
    }
    if (found < 0)
      break;
    /* the bottleneck, then the push */
    int64_t b = sink[found - 1];
    int v = found;
    while (via[v] >= 0) {
      const model_ns_arc_t *a = &m->arcs[via[v] / 2];
      int64_t room = via[v] & 1 ? a->flow : a->cap - a->flow;
      if (room < b)
        b = room;
      v = via[v] & 1 ? a->to : a->from;
    }
    if (src[v - 1 - 2 * n] < b)
      b = src[v - 1 - 2 * n];
    sink[found - 1] -= b;
    m->nd[found - 1].sold -= b;
    v = found;
    while (via[v] >= 0) {
      model_ns_arc_t *a = &m->arcs[via[v] / 2];
      a->flow += via[v] & 1 ? -b : b;
      v = via[v] & 1 ? a->to : a->from;
    }
    src[v - 1 - 2 * n] -= b;
    m->nd[v - 1 - 2 * n].filled -= b;
  }
}

/* ---- prices ---- */

/* Bellman-Ford from node 0 over edges (reversed if rev). */
static void bellman(const edge_t *e, size_t ne, int V, bool rev,
                    int64_t *dist) {
  for (int v = 0; v < V; v++)
    dist[v] = INF_DIST;
  dist[0] = 0;
  for (int it = 0; it < V; it++) {
    bool changed = false;
    for (size_t k = 0; k < ne; k++) {
      int32_t a = rev ? e[k].v : e[k].u, b = rev ? e[k].u : e[k].v;
      if (dist[a] < INF_DIST && dist[a] + e[k].c < dist[b]) {
        dist[b] = dist[a] + e[k].c;
        changed = true;
      }
    }
    if (!changed)
      break;
  }
}

static void compute_prices(mk_t *m, int64_t *ps, int64_t *px, int64_t *pd,
                           int64_t *pr, int64_t *pe) {
  int V = m->V;
  edge_t *e = m->edges;
  int64_t hi[VMAX], lo[VMAX];
  size_t ne = 0;
  for (int i = 0; i < m->n; i++) {
    node_t *s = &m->nd[i];
    if (!s->has_supply)
      continue;
    sup_cache(m, s);
    if (s->p_next >= 0)
      e[ne++] = (edge_t){0, S_(m, i), s->p_next};
    if (s->p_last >= 0)
      e[ne++] = (edge_t){S_(m, i), 0, -s->p_last};
  }
  for (int i = 0; m->any_r && i < m->n; i++) {
    node_t *s = &m->ed[i];
    if (!s->has_supply)
      continue;
    sup_cache(m, s);
    if (s->p_next >= 0)
      e[ne++] = (edge_t){0, E_(m, i), s->p_next};
    if (s->p_last >= 0)
      e[ne++] = (edge_t){E_(m, i), 0, -s->p_last};
  }
  for (size_t k = 0; k < m->n_arcs; k++) {
    const model_ns_arc_t *a = &m->arcs[k];
    if (a->flow < a->cap)
      e[ne++] = (edge_t){a->from, a->to, a->cost};
    if (a->flow > 0)
      e[ne++] = (edge_t){a->to, a->from, -a->cost};
  }
  for (int j = 0; j < m->n; j++) {
    node_t *d = &m->nd[j];
    if (!d->has_demand)
      continue;
    dem_cache(m, d);
    if (d->v_next >= 1)
      e[ne++] = (edge_t){D_(m, j), 0, -d->v_next};
    if (d->v_last >= 1)
      e[ne++] = (edge_t){0, D_(m, j), d->v_last};
  }
  for (int j = 0; m->any_r && j < m->n; j++) {
    node_t *d = &m->rd[j];
    if (!d->has_demand)
      continue;
    dem_cache(m, d);
    if (d->v_next >= 1)
      e[ne++] = (edge_t){R_(m, j), 0, -d->v_next};
    if (d->v_last >= 1)
      e[ne++] = (edge_t){0, R_(m, j), d->v_last};
  }
  /* routes into nations without buyers: they carry nothing, and change no
   * other node's bounds (their heads lead only back to o, at cost 0), but
   * give such a nation the cost of one more kg delivered there */
  for (size_t k = 0; k < m->n_price_arcs; k++)
    e[ne++] = m->price_arcs[k];
  for (int v = 1; v < V; v++) {
    e[ne++] = (edge_t){0, v, PMAX};
    e[ne++] = (edge_t){v, 0, 0};
  }
  LAN_ASSERT(ne <= m->cap_edges);
  /* Bellman-Ford: at these sizes (a few dozen nodes, and every node one
   * edge from o) it settles in a few passes, faster than Dijkstra */
  bellman(e, ne, V, false, hi);
  bellman(e, ne, V, true, lo);
  for (int v = 0; v < V; v++)
    lo[v] = -lo[v];
  for (int i = 0; i < m->n; i++) {
    int s = S_(m, i), x = X_(m, i), d = D_(m, i);
    LAN_ASSERT(lo[s] <= hi[s] && lo[d] <= hi[d]);
    /* s_i also sells the eligible sellers' kg (e_i -> s_i) */
    bool sup = m->nd[i].has_supply || (m->any_r && m->ed[i].has_supply);
    ps[i] = sup ? (lo[s] + hi[s]) / 2 : lo[s];
    px[i] = (lo[x] + hi[x]) / 2;
    pd[i] = m->nd[i].has_demand ? (lo[d] + hi[d]) / 2 : hi[d];
    /* nothing can be delivered to i (no seller with a route that trade
     * policy leaves open): the upper bound is only the backstop, which
     * would print $1,000,000/kg. Buyers there set the price instead: the
     * lowest feasible one, the value of their first unmet kg (the top bid
     * or the final-demand curve's choke price), where local demand is
     * zero; with no buyers either, last turn's price stands. */
    if (hi[d] >= PMAX)
      pd[i] = m->nd[i].has_demand ? lo[d] : m->st->regional[m->p][i];
    /* restricted buyers: their class's price, where they bought */
    pr[i] = pd[i];
    pe[i] = ps[i];
    if (m->any_r && m->rd[i].has_demand) {
      int r = R_(m, i);
      pr[i] = hi[r] >= PMAX ? lo[r] : (lo[r] + hi[r]) / 2;
    }
    if (m->any_r && m->ed[i].has_supply) {
      int es = E_(m, i);
      pe[i] = (lo[es] + hi[es]) / 2;
    }
  }
}

/* ---- building the problem ---- */
static void add_part(mk_t *m, int32_t holder, int32_t nation, bool bid,
                     uint8_t kind, int64_t price, int64_t qty) {
  if (qty <= 0)
    return;
  if (price > PMAX - 1)
    price = PMAX - 1;
  if (price < 0) /* validation keeps prices >= 0; the sort keys need it */
    price = 0;
  part_t *pt = &m->parts[m->n_parts];
  pt->holder = holder;
  pt->nation = nation;
  pt->is_bid = bid;
  pt->kind = kind;
  pt->price = price;
  pt->qty = qty;
  pt->fill = 0;
  pt->ctrl = 0;
  pt->cls = 0;
  m->n_parts++;
}

/* Holders (model_internal.h): a firm, a nation, or a branch abroad, whose
 * goods are its own and whose money is its firm's. */
static int64_t *inv_of(model_state_t *st, int32_t holder, int p) {
  return inv_at(st, holder, p);
}
static int64_t *el_of(model_state_t *st, int32_t holder) {
  return el_at(st, holder);
}

/* Grows the workspace for a market of up to capn participants and maxarcs
 * trade arcs. */
static int mk_reserve(mk_t *m, size_t capn, size_t maxarcs) {
  if (capn > m->cap_parts) {
    part_t *p = realloc(m->parts, capn * sizeof *p);
    if (!p)
      return MODEL_ENOMEM;
    m->parts = p;
    part_t *t = realloc(m->tmp, capn * sizeof *t);
    if (!t)
      return MODEL_ENOMEM;
    m->tmp = t;
    int64_t *b = realloc(m->bprefix, (capn + 1) * sizeof *b);
    if (!b)
      return MODEL_ENOMEM;
    m->bprefix = b;
    int64_t *kp = realloc(m->k_price, capn * sizeof *kp);
    if (!kp)
      return MODEL_ENOMEM;
    m->k_price = kp;
    int64_t *kc = realloc(m->k_cum, capn * sizeof *kc);
    if (!kc)
      return MODEL_ENOMEM;
    m->k_cum = kc;
    uint64_t *ks = realloc(m->keys, 2 * capn * sizeof *ks);
    if (!ks)
      return MODEL_ENOMEM;
    m->keys = ks;
    uint64_t *kt = realloc(m->keytmp, capn * sizeof *kt);
    if (!kt)
      return MODEL_ENOMEM;
    m->keytmp = kt;
    m->cap_parts = capn;
  }
  if (maxarcs > m->cap_arcs) {
    model_ns_arc_t *a = realloc(m->arcs, maxarcs * sizeof *a);
    if (!a)
      return MODEL_ENOMEM;
    m->arcs = a;
    route_t *r = realloc(m->routes, maxarcs * sizeof *r);
    if (!r)
      return MODEL_ENOMEM;
    m->routes = r;
    int32_t *j = realloc(m->adj, 2 * maxarcs * sizeof *j);
    if (!j)
      return MODEL_ENOMEM;
    m->adj = j;
    edge_t *pa = realloc(m->price_arcs, maxarcs * sizeof *pa);
    if (!pa)
      return MODEL_ENOMEM;
    m->price_arcs = pa;
    m->cap_arcs = maxarcs;
  }
  size_t ecap = 3 * maxarcs + 8 * NN + 2 * VMAX + 4;
  if (ecap > m->cap_edges) {
    edge_t *e = realloc(m->edges, ecap * sizeof *e);
    if (!e)
      return MODEL_ENOMEM;
    m->edges = e;
    m->cap_edges = ecap;
  }
  size_t need = 2 * (capn + 1);
  if (need > m->cap_buf) {
    int64_t *b = realloc(m->buf, need * sizeof *b);
    if (!b)
      return MODEL_ENOMEM;
    m->buf = b;
    int64_t **pb = realloc(m->pbuf, need * sizeof *pb);
    if (!pb)
      return MODEL_ENOMEM;
    m->pbuf = pb;
    m->cap_buf = need;
  }
  return 0;
}

/* A nation's bid of q at price, cut to what its headroom pays at that price
 * after its earlier bids in this market (m->spend), which it then adds to
 * (docs/model.md, "Money limits": its seat's bid, its price floor, its
 * stockpile purchases, in that order). */
static int64_t nation_cap(mk_t *m, int32_t nation, int64_t price, int64_t q) {
  model_state_t *st = m->st;
  int32_t holder = (int32_t)(st->n_seats + (size_t)nation);
  int64_t h = model_headroom(st, holder);
  if (h == MODEL_HEADROOM_NONE)
    return q;
  h -= m->spend[nation];
  int64_t afford = h <= 0 ? 0 : price > 0 ? h / price : q;
  if (afford < q) {
    q = afford;
    st->nations[nation].told |= 8u; /* turn.c tells it once a turn */
  }
  int64_t c;
  if (mul_div_ok(q, price, 1, &c))
    m->spend[nation] += c;
  return q;
}

/* Rules of origin: the offer just added (q kg of a stock of `have`)
 * carries the holder's tracked content pro rata. */
static void offer_ctrl(mk_t *m, int32_t holder, int64_t q, int64_t have) {
  model_state_t *st = m->st;
  if (q <= 0 || have <= 0 || model_origin_nation(st) < 0)
    return;
  int64_t o = model_origin_of(st, holder)[m->p];
  int64_t c = q >= have ? o : mul_div(o, q, have);
  /* never more than the offer: content is part of the goods */
  m->parts[m->n_parts - 1].ctrl = c < q ? c : q;
}

/* One seat's standing offer and bid; a firm holds its own goods, a nation
 * seat its nation's stockpile (offered[] counts what it already offers). */
static void gather_seat(mk_t *m, size_t s) {
  model_state_t *st = m->st;
  const model_map_t *map = st->map;
  int p = m->p;
  seat_t *se = &st->seats[s];
  bool firm = map->seats[s].kind == MODEL_SEAT_FIRM;
  int32_t nation = map->seats[s].nation;
  int32_t holder = firm ? (int32_t)s : (int32_t)(st->n_seats + (size_t)nation);
  if (se->offer[p].qty > 0) {
    int64_t have = *inv_of(st, holder, p);
    int64_t q = se->offer[p].qty < have ? se->offer[p].qty : have;
    int64_t ask = se->offer[p].price;
    int64_t normal = se->offer_normal[p];
    if (normal > 0 && have > normal) {
      /* a stock-following ask (docs/model.md, "Stocks and prices"): the
       * min price falls by stock_discount per normal stock held beyond the
       * normal one, down to min_share of it; never above min_price */
      int64_t floor = se->offer_min[p] > 0 ? se->offer_min[p] : 500000;
      int64_t cut = mul_div(se->offer_disc[p], have - normal, normal);
      int64_t keep = MODEL_PPM - (cut < MODEL_PPM ? cut : MODEL_PPM);
      ask = mul_div(ask, keep > floor ? keep : floor, MODEL_PPM);
    }
    add_part(m, holder, nation, false, 0, ask, q);
    offer_ctrl(m, holder, q, have);
    if (!firm)
      m->offered[nation] += q;
  }
  if (se->bid[p].qty > 0) {
    int64_t q = se->bid[p].qty;
    int64_t bprice = se->bid[p].price;
    if (se->bid_index[p] > 0) {
      /* an indexed bid: the max price follows the index product's last
       * price in the bidder's market against its reference (the opening
       * price, so that the cap is max_price at turn 0) */
      int ix = se->bid_index[p] - 1;
      const map_demand_t *d = &map->nations[nation].demand[ix];
      int64_t ref = d->present ? d->price : map->price0[ix];
      int64_t now = st->regional[ix][nation];
      if (ref > 0 && now > 0 && !mul_div_ok(bprice, now, ref, &bprice))
        bprice = PMAX - 1;
      if (bprice > PMAX - 1)
        bprice = PMAX - 1;
    }
    if (firm) {
      /* what its cash and credit pay at its max price (cash alone on maps
       * without finance: the credit limit is 0) */
      int64_t price = bprice, h = model_headroom(st, holder);
      int64_t afford = h <= 0 ? 0 : price > 0 ? h / price : q;
      if (afford < q)
        q = afford;
    } else {
      q = nation_cap(m, nation, bprice, q);
    }
    add_part(m, holder, nation, true, 0, bprice, q);
  }
}

/* The participants, in holder order (firms by seat, then each nation: its
 * seat's orders, its price floor, its stockpile policy), so that a stable
 * sort by (nation, price) orders them by (nation, price, holder, order of
 * insertion). */
static void gather(mk_t *m) {
  model_state_t *st = m->st;
  const model_map_t *map = st->map;
  int p = m->p;
  size_t S = st->n_seats, N = st->n_nations;
  memset(m->offered, 0, N * sizeof *m->offered);
  memset(m->spend, 0, N * sizeof *m->spend);
  m->n_parts = 0;
  for (size_t s = 0; s < S; s++)
    if (map->seats[s].kind == MODEL_SEAT_FIRM)
      gather_seat(m, s);
  for (size_t n = 0; n < N; n++) {
    nation_t *na = &st->nations[n];
    int32_t holder = (int32_t)(S + n);
    if (map->nations[n].seat >= 0)
      gather_seat(m, (size_t)map->nations[n].seat);
    if (na->pol.floor_qty[p] > 0)
      add_part(m, holder, (int32_t)n, true, 1, na->pol.floor_price[p],
               nation_cap(m, (int32_t)n, na->pol.floor_price[p],
                          na->pol.floor_qty[p]));
    int64_t target = na->pol.stock_target[p];
    if (target >= 0) {
      int64_t ref = st->regional[p][n] > 0 ? st->regional[p][n] : st->price[p];
      int64_t gap = target - na->stock[p];
      int64_t most = ppm_of(target, map->stock_max_share);
      if (most < 1)
        most = target > 0 ? target : 1;
      if (gap > 0) {
        int64_t price = ref + ppm_of(ref, map->stock_premium);
        if (price < 1)
          price = 1;
        add_part(m, holder, (int32_t)n, true, 2, price,
                 nation_cap(m, (int32_t)n, price, gap < most ? gap : most));
      } else if (gap < 0) {
        int64_t price = ref - ppm_of(ref, map->stock_discount);
        int64_t q = -gap < most ? -gap : most;
        if (q > na->stock[p] - m->offered[n])
          q = na->stock[p] - m->offered[n];
        add_part(m, holder, (int32_t)n, false, 2, price, q);
        offer_ctrl(m, holder, q, na->stock[p]);
      }
    }
  }
  /* design J4: each nation offers the scrap it collected, a standing
   * release at the map's share of the magnet price in its market */
  for (size_t n = 0; p == MODEL_SCRAP && n < N; n++) {
    nation_t *na = &st->nations[n];
    int64_t q = na->stock[p] - m->offered[n];
    if (q <= 0)
      continue;
    int64_t ref = st->regional[MODEL_MAGNET][n] > 0
                      ? st->regional[MODEL_MAGNET][n]
                      : st->price[MODEL_MAGNET];
    int64_t price = ppm_of(ref, map->scrap_share_ppm);
    int32_t holder = (int32_t)(S + n);
    add_part(m, holder, (int32_t)n, false, 2, price > 0 ? price : 0, q);
    offer_ctrl(m, holder, q, na->stock[p]);
  }
  /* branches abroad (design I2), numbered after the nations: their fixed
   * price offers and bids in their host's market; a bid is paid from the
   * firm's headroom left after the firm's own bid at its max price */
  for (size_t b = 0; st->br && b < st->br->n; b++) {
    branch_t *x = &st->br->b[b];
    int32_t holder = model_branch_holder(st, (int)b);
    if (x->offer[p].qty > 0) {
      int64_t have = x->inv[p];
      int64_t q = x->offer[p].qty < have ? x->offer[p].qty : have;
      add_part(m, holder, x->nation, false, 0, x->offer[p].price, q);
      offer_ctrl(m, holder, q, have);
    }
    if (x->bid[p].qty > 0) {
      const seat_t *se = &st->seats[x->seat];
      int64_t price = x->bid[p].price, q = x->bid[p].qty;
      int64_t h = model_headroom(st, x->seat), home = 0;
      if (se->bid[p].qty > 0 &&
          !mul_div_ok(se->bid[p].qty, se->bid[p].price, 1, &home))
        home = INT64_MAX;
      h = home >= h ? 0 : h - home;
      for (size_t c = 0; c < b; c++) /* its earlier branches' bids */
        if (st->br->b[c].seat == x->seat && st->br->b[c].bid[p].qty > 0) {
          int64_t e;
          if (!mul_div_ok(st->br->b[c].bid[p].qty, st->br->b[c].bid[p].price, 1,
                          &e))
            e = INT64_MAX;
          h = e >= h ? 0 : h - e;
        }
      int64_t afford = h <= 0 ? 0 : price > 0 ? h / price : q;
      add_part(m, holder, x->nation, true, 0, price, afford < q ? afford : q);
    }
  }
}

/* Sorts a[0..n) ascending by bits 31..63 (a key), stably: LSD radix sort,
 * three passes of 11 bits; insertion sort when short. */
static void sort_keys(uint64_t *a, uint64_t *tmp, size_t n) {
  if (n < 48) {
    for (size_t i = 1; i < n; i++) {
      uint64_t x = a[i];
      size_t j = i;
      for (; j > 0 && a[j - 1] >> 31 > x >> 31; j--)
        a[j] = a[j - 1];
      a[j] = x;
    }
    return;
  }
  uint32_t cnt[2048];
  for (int shift = 31; shift < 64; shift += 11) {
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; i++)
      cnt[(a[i] >> shift) & 2047]++;
    if (cnt[(a[0] >> shift) & 2047] == n)
      continue; /* one digit for all: nothing moves */
    uint32_t sum = 0;
    for (int d = 0; d < 2048; d++) {
      uint32_t c = cnt[d];
      cnt[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      tmp[cnt[(a[i] >> shift) & 2047]++] = a[i];
    memcpy(a, tmp, n * sizeof *a);
  }
}

/* A trade arc: an export from exporter pi to importer pj (else -1 both)
 * costs transport plus tariff per kg. */
static void add_arc(mk_t *m, int from, int to, int64_t cap, int pi, int pj,
                    int64_t transport, int64_t tariff) {
  m->arcs[m->n_arcs] = (model_ns_arc_t){from, to, cap, transport + tariff, 0};
  m->routes[m->n_arcs] = (route_t){pi, pj, transport, tariff};
  m->n_arcs++;
}

/* Whether nation i's licence on the market's product to j (ALL: to all)
 * is on the exports basis. */
static bool exports_basis(const mk_t *m, int i, int j) {
  const model_ext_t *x = m->st->ext;
  if (!x)
    return false;
  return j == ALL ? x->lic_exports_all[i][m->p] != 0
                  : (x->lic_exports[i][m->p] >> j & 1) != 0;
}

/* The cap a licence puts on i's exports to j (ALL: on all its exports):
 * approval x everything offered in i (the offers basis), or approval x
 * what i exported there in the first pass (the exports basis; none in the
 * first pass itself). */
static int64_t licence_cap(const mk_t *m, int i, int j, int64_t offered,
                           int64_t approval) {
  if (!exports_basis(m, i, j))
    return ppm_of(offered, approval);
  if (m->pass == 1)
    return INF_CAP;
  return ppm_of(j == ALL ? m->x0tot[i] : m->x0[i][j], approval);
}

/* Rules of origin (docs/model.md): the tracked nation k's rule on the
 * product caps the exports of another nation i (to j, or to all at the
 * hub) at its free offers plus the approved share of its controlled
 * offers. An aggregate cap: goods in a nation are one pool, so the cap
 * lets the free kg leave first. INF_CAP where no rule binds. */
static int64_t origin_cap(const mk_t *m, int i, int j) {
  const model_state_t *st = m->st;
  int k = model_origin_nation(st);
  if (k < 0 || i == k)
    return INF_CAP;
  const model_ext_t *x = st->ext;
  if (!x->origin[k][m->p].on || st->turn < x->origin[k][m->p].from_turn ||
      x->origin[k][m->p].to != j)
    return INF_CAP;
  const node_t *s = &m->nd[i];
  int64_t offered = s->offered, ctrl = s->ctrl;
  if (m->any_r) { /* the eligible sellers' node sells through s_i too */
    offered += m->ed[i].offered;
    ctrl += m->ed[i].ctrl;
  }
  return offered - ctrl + ppm_of(ctrl, x->origin[k][m->p].approval);
}

/* Sanctions (deals.c): nation j's buyers may not buy the goods of a firm
 * j sanctions; i's exports to j are capped at what i's other sellers
 * offer (an aggregate cap on the pooled node, as for rules of origin).
 * INF_CAP when j sanctions no seller of i. */
static int64_t sanction_cap(const mk_t *m, int i, int j) {
  const model_ext_t *x = m->st->ext;
  if (!x || !x->n_sanctions)
    return INF_CAP;
  int64_t barred = 0, offered = 0;
  for (int c = 0; c < (m->any_r ? 2 : 1); c++) {
    const node_t *s = c ? &m->ed[i] : &m->nd[i];
    offered += s->offered;
    for (size_t k = s->o_begin; k < s->o_end; k++)
      for (size_t e = 0; e < x->n_sanctions; e++)
        if (x->sanctions[e].nation == j &&
            x->sanctions[e].firm ==
                model_money_holder(m->st, m->parts[k].holder)) {
          barred += m->parts[k].qty;
          break;
        }
  }
  return barred ? offered - barred : INF_CAP;
}

/* Whether this market has a licence on the exports basis (two passes). */
static bool two_passes(const model_state_t *st, int p) {
  const model_ext_t *x = st->ext;
  for (size_t i = 0; x && i < st->n_nations; i++)
    if (x->lic_exports_all[i][p] || x->lic_exports[i][p])
      return true;
  return false;
}

/* A final-demand line through (p0, q0 plus the owner's surges) with
 * elasticity el at that point, zero above maxp; false when it has no
 * volume. The slope as a nation's single curve always had it. */
static bool make_line(mk_t *m, line_t *l, int32_t owner, int64_t base,
                      int64_t p0, int64_t el, int64_t maxp) {
  model_state_t *st = m->st;
  if (base <= 0)
    return false;
  int32_t who = (int32_t)(st->n_seats + (size_t)owner);
  l->q0 = base;
  ck_add(st, &l->q0,
         ck_mul_div(st, base, st->nations[owner].surge_ppm[m->p], MODEL_PPM,
                    who, "demand", MODEL_U_KG),
         who, "demand", MODEL_U_KG, "a demand surge");
  l->p0 = p0;
  l->maxp = maxp < PMAX - 1 ? maxp : PMAX - 1;
  __int128 slope = ((__int128)el * l->q0 << 32) / ((__int128)p0 * MODEL_PPM);
  if (slope > INT64_MAX) {
    model_range_overflow(st, who, "demand slope", MODEL_U_KG, l->q0, '*', el,
                         NULL);
    slope = 0;
  }
  l->slope_q32 = (int64_t)slope;
  l->fill = 0;
  return true;
}

/* Demand by sector: node j's lines, from every nation's demand that
 * clears in j (its own first, then the others' in nation order); a
 * nation's demand without sectors is one line of sector "other", the
 * curve it always had. */
static uint8_t line_rule(const model_state_t *st, const map_sector_t *se) {
  int k = model_origin_nation(st);
  uint8_t r = 0;
  if (se->qualified_only && st->map->qual_turns > 0)
    r |= 1;
  if (k >= 0 && (se->exclude >> k & 1) && st->turn >= se->exclude_from)
    r |= 2;
  return r;
}

static void node_lines(mk_t *m, node_t *d, int j, size_t *n_lines,
                       bool restricted) {
  model_state_t *st = m->st;
  const model_map_t *map = st->map;
  int p = m->p;
  d->lines = &m->lines[*n_lines];
  for (size_t k = 0; k < st->n_nations; k++) {
    int o = (int)((k + (size_t)j) % st->n_nations); /* j first */
    const map_nation_t *mn = &map->nations[o];
    const map_demand_t *md = &mn->demand[p];
    if (!md->present)
      continue;
    nation_t *na = &st->nations[o];
    if (!mn->sectored[p]) {
      line_t *l = &m->lines[*n_lines];
      if (o == j && !restricted &&
          make_line(m, l, o, model_demand_reference(na, p), md->price,
                    md->elasticity_ppm, md->max_price)) {
        l->owner = l->counts_for = o;
        l->sector = MODEL_SECTORS - 1;
        (*n_lines)++;
        d->n_lines++;
      }
      continue;
    }
    for (int s = 0; s < MODEL_SECTORS; s++) {
      const map_sector_t *se = &mn->sector[p][s];
      line_t *l = &m->lines[*n_lines];
      uint8_t rule = se->present ? line_rule(st, se) : 0;
      if (!se->present || se->cleared_in != j || (rule != 0) != restricted ||
          !make_line(m, l, o, model_sector_reference(na, p, s), md->price,
                     se->elasticity_ppm, se->max_price))
        continue;
      l->owner = o;
      l->sector = s;
      l->counts_for = se->counts_for;
      (*n_lines)++;
      d->n_lines++;
    }
  }
  d->fd = d->n_lines > 0;
}

/* Demand by sector: whether a restricted line's rule binds in this
 * market this turn (any_r), and the rule (one a market: load.c). */
static void restricted_rule(mk_t *m) {
  const model_state_t *st = m->st;
  for (size_t n = 0; n < st->n_nations; n++)
    for (int s = 0; s < MODEL_SECTORS; s++) {
      const map_sector_t *se = &st->map->nations[n].sector[m->p][s];
      uint8_t r = se->present ? line_rule(st, se) : 0;
      if (r) {
        m->any_r = true;
        m->rule = r;
      }
    }
}

/* Demand by sector: marks the offers restricted buyers may take (cls 1):
 * a qualified firm's (rule bit 0), the part free of the tracked origin
 * (bit 1: an offer with some tracked content is split in two, its free
 * kg eligible). */
static void split_offers(mk_t *m) {
  const model_state_t *st = m->st;
  size_t n = m->n_parts;
  for (size_t k = 0; k < n; k++) {
    part_t *pt = &m->parts[k];
    if (pt->is_bid)
      continue;
    /* a branch abroad is qualified when its firm is */
    int32_t firm = model_money_holder(st, pt->holder);
    bool q = !(m->rule & 1) ||
             ((size_t)firm < st->n_seats && st->seats[firm].qualified);
    int64_t e = !q ? 0 : m->rule & 2 ? pt->qty - pt->ctrl : pt->qty;
    if (e <= 0)
      continue;
    if (e >= pt->qty) {
      pt->cls = 1;
      continue;
    }
    /* e = qty - ctrl: the controlled kg stay, the free kg are eligible */
    part_t *x = &m->parts[m->n_parts++];
    *x = *pt;
    x->qty = e;
    x->ctrl = 0;
    x->cls = 1;
    pt->qty -= e;
  }
}

/* A seller node: the offers parts[*k, end) of nation i, merged into price
 * steps. */
static void supply_node(mk_t *m, node_t *d, int i, size_t *k, size_t end) {
  model_state_t *st = m->st;
  d->o_begin = *k;
  d->k_begin = m->n_steps;
  int32_t who = (int32_t)(st->n_seats + (size_t)i);
  for (; *k < end && m->parts[*k].nation == i; (*k)++) {
    int64_t q = m->parts[*k].qty;
    if (m->n_steps > d->k_begin &&
        m->k_price[m->n_steps - 1] == m->parts[*k].price) {
      ck_add(st, &m->k_cum[m->n_steps - 1], q, who, "kg offered", MODEL_U_KG,
             "an offer");
    } else {
      m->k_price[m->n_steps] = m->parts[*k].price;
      m->k_cum[m->n_steps] = d->offered;
      ck_add(st, &m->k_cum[m->n_steps], q, who, "kg offered", MODEL_U_KG,
             "an offer");
      m->n_steps++;
    }
    ck_add(st, &d->offered, q, who, "kg offered", MODEL_U_KG, "an offer");
    d->ctrl += m->parts[*k].ctrl; /* <= offered */
  }
  d->o_end = *k;
  d->k_end = m->n_steps;
  d->has_supply = d->offered > 0;
}

static int setup(mk_t *m) {
  model_state_t *st = m->st;
  const model_map_t *map = st->map;
  int p = m->p, n = (int)st->n_nations;
  m->n = n;
  m->V = 1 + 3 * n;
  m->any_r = false;
  m->rule = 0;
  /* branches abroad (design I2) trade as holders of their own */
  size_t nbr = st->br ? st->br->n : 0;
  size_t capn = 2 * st->n_seats + 4 * st->n_nations + 1 + 2 * nbr;
  size_t maxarcs = (size_t)n * (size_t)n + 2 * (size_t)n + 1;
  if (map->sectors) {
    /* offers split in two, arcs e_i -> s_i, into r_j and from e_i */
    capn += st->n_seats + 2 * st->n_nations + nbr;
    maxarcs += (size_t)n * (size_t)n + 2 * (size_t)n;
    restricted_rule(m);
  }
  int rc = mk_reserve(m, capn, maxarcs);
  if (rc)
    return rc;
  gather(m);
  if (m->any_r)
    split_offers(m);
  /* offers first, then bids, each sorted by (nation, price, holder, order)
   * (bids by price descending): keys (nation, price) above bit 31, the
   * gather position below it, sorted stably; parts is rewritten in that
   * order so that indices are positions */
  size_t no = 0, nb = 0;
  uint64_t *ko_ = m->keys, *kb_ = m->keys + m->cap_parts;
  for (size_t k = 0; k < m->n_parts; k++) {
    const part_t *pt = &m->parts[k];
    uint64_t price = (uint64_t)(pt->is_bid ? PMAX - 1 - pt->price : pt->price);
    uint64_t key = ((uint64_t)pt->nation << 27 | price) << 31 | k;
    if (pt->is_bid)
      kb_[nb++] = key;
    else
      ko_[no++] = key;
  }
  sort_keys(ko_, m->keytmp, no);
  sort_keys(kb_, m->keytmp, nb);
  /* restricted buyers: the eligible offers after the others, each class
   * in (nation, price) order (a stable partition of the sorted keys) */
  size_t no0 = 0;
  for (size_t k = 0; k < no; k++)
    if (!m->parts[ko_[k] & 0x7fffffff].cls)
      m->tmp[no0++] = m->parts[ko_[k] & 0x7fffffff];
  for (size_t k = 0, w = no0; k < no; k++)
    if (m->parts[ko_[k] & 0x7fffffff].cls)
      m->tmp[w++] = m->parts[ko_[k] & 0x7fffffff];
  for (size_t k = 0; k < nb; k++)
    m->tmp[no + k] = m->parts[kb_[k] & 0x7fffffff];
  memcpy(m->parts, m->tmp, m->n_parts * sizeof *m->tmp);
  m->n_offers = no;
  m->n_bids = nb;
  m->bprefix[0] = 0;
  /* kg sums over many holders: checked (model_internal.h), so that a
   * market too large for int64 is refused, never solved on wrapped sums */
  for (size_t k = 0; k < nb; k++) {
    m->bprefix[k + 1] = m->bprefix[k];
    ck_add(st, &m->bprefix[k + 1], m->parts[no + k].qty, -1, "kg bid",
           MODEL_U_KG, "a bid");
  }
  size_t ko = 0, kb = no;
  size_t n_lines = 0;
  m->n_steps = 0;
  size_t ke = no0; /* the eligible offers */
  for (int i = 0; i < n; i++) {
    node_t *d = &m->nd[i];
    memset(d, 0, sizeof *d);
    supply_node(m, d, i, &ko, no0);
    if (m->any_r) {
      memset(&m->ed[i], 0, sizeof m->ed[i]);
      supply_node(m, &m->ed[i], i, &ke, no);
      m->ed[i].sq = m->ed[i].dq = -1;
    }
    d->sq = d->dq = -1;
    d->b_begin = kb;
    while (kb < no + nb && m->parts[kb].nation == i)
      kb++;
    d->b_end = kb;
    const map_demand_t *md = &map->nations[i].demand[p];
    nation_t *na = &st->nations[i];
    int64_t base = model_demand_reference(na, p);
    if (map->sectors) {
      node_lines(m, d, i, &n_lines, false);
      /* restricted buyers: no bids, only lines whose rule binds */
      node_t *r = &m->rd[i];
      memset(r, 0, sizeof *r);
      r->b_begin = r->b_end = no;
      r->sq = r->dq = -1;
      node_lines(m, r, i, &n_lines, true);
      r->dmax = r->fd ? dem_at(m, r, 1) : 0;
      r->has_demand = r->dmax > 0;
    } else if (md->present && base > 0) {
      int32_t who = (int32_t)(st->n_seats + (size_t)i);
      d->fd = true;
      d->q0 = base;
      ck_add(st, &d->q0,
             ck_mul_div(st, base, na->surge_ppm[p], MODEL_PPM, who, "demand",
                        MODEL_U_KG),
             who, "demand", MODEL_U_KG, "a demand surge");
      d->p0 = md->price;
      d->el = md->elasticity_ppm;
      d->maxp = md->max_price < PMAX - 1 ? md->max_price : PMAX - 1;
      /* el <= 1e7 and q0 < 2^63, so the numerator fits in 128 bits; the
       * slope itself must fit in int64 */
      __int128 slope =
          ((__int128)d->el * d->q0 << 32) / ((__int128)d->p0 * MODEL_PPM);
      if (slope > INT64_MAX) {
        model_range_overflow(st, who, "demand slope", MODEL_U_KG, d->q0, '*',
                             d->el, NULL);
        slope = 0;
      }
      d->slope_q32 = (int64_t)slope;
    }
    d->dmax = d->b_end > d->b_begin || d->fd ? dem_at(m, d, 1) : 0;
    d->has_demand = d->dmax > 0;
    /* the network simplex takes amounts below MODEL_NS_CAP_MAX (2^60 kg) */
    if (d->offered >= MODEL_NS_CAP_MAX || d->dmax >= MODEL_NS_CAP_MAX)
      model_range_fail(
          st, (int32_t)(st->n_seats + (size_t)i),
          "%s kg %s in one market would pass the market's limit "
          "of 2^60 kg (%lld kg)",
          model__product_names[p],
          d->offered >= MODEL_NS_CAP_MAX ? "offered" : "bid",
          (long long)(d->offered >= MODEL_NS_CAP_MAX ? d->offered : d->dmax));
  }
  if (m->any_r)
    m->V = 1 + 5 * n;
  /* network */
  m->n_arcs = m->n_price_arcs = m->n_first = 0;
  for (int i = 0; i < n; i++) {
    m->hubcap[i] = INF_CAP;
    for (int j = 0; j < n; j++)
      m->capij[i][j] = INF_CAP;
  }
  int64_t ref = st->price[p];
  for (int i = 0; i < n; i++) {
    const policies_t *pol = &st->nations[i].pol;
    node_t *s = &m->nd[i];
    /* restricted buyers: the eligible sellers sell to everyone through
     * s_i, and to restricted buyers at home and abroad */
    bool e_sup = m->any_r && m->ed[i].has_supply;
    if (!s->has_supply && !e_sup)
      continue;
    int64_t offered = s->offered + (e_sup ? m->ed[i].offered : 0);
    if (e_sup) {
      add_arc(m, E_(m, i), S_(m, i), INF_CAP, -1, -1, 0, 0);
      if (m->rd[i].has_demand)
        add_arc(m, E_(m, i), R_(m, i), INF_CAP, -1, -1, 0, 0);
    }
    /* home market (for a nation without buyers, an arc for its price
     * only: see compute_prices) */
    if (m->nd[i].has_demand) {
      m->first[m->n_first++] = (int32_t)m->n_arcs;
      add_arc(m, S_(m, i), D_(m, i), INF_CAP, -1, -1, 0, 0);
    } else
      m->price_arcs[m->n_price_arcs++] = (edge_t){S_(m, i), D_(m, i), 0};
    /* a cap on total exports: quota, ban or licence "to all" */
    int64_t hub = INF_CAP;
    const model_ext_t *x = st->ext;
    int64_t cx_all = 0; /* this turn's contract exports (deals.c) */
    for (int j = 0; x && j < n; j++)
      cx_all += x->cx[i][j];
    if (pol->quota[p][ALL] >= 0)
      hub = pol->quota[p][ALL] > cx_all ? pol->quota[p][ALL] - cx_all : 0;
    if (pol->ban[p][ALL])
      hub = 0;
    if (pol->licence[p][ALL] < MODEL_PPM) {
      int64_t l = licence_cap(m, i, ALL, offered, pol->licence[p][ALL]);
      if (l < hub)
        hub = l;
    }
    int64_t oc = origin_cap(m, i, ALL);
    if (oc < hub)
      hub = oc;
    m->hubcap[i] = hub;
    if (hub == 0)
      continue;
    /* the open class's share of the cap: all of it, or (shared) what the
     * restricted class leaves */
    int64_t hub_open = hub;
    if (m->shared && hub < INF_CAP)
      hub_open = hub - m->rhub[i] > 0 ? hub - m->rhub[i] : 0;
    int from = S_(m, i);
    bool open_out = hub_open > 0;
    if (open_out && hub_open < INF_CAP) {
      m->first[m->n_first++] = (int32_t)m->n_arcs;
      add_arc(m, S_(m, i), X_(m, i), hub_open, -1, -1, 0, 0);
      from = X_(m, i);
    }
    for (int j = 0; j < n; j++) {
      if (j == i)
        continue;
      int64_t cap = INF_CAP;
      if (pol->quota[p][j] >= 0) {
        int64_t used = x ? x->cx[i][j] : 0;
        cap = pol->quota[p][j] > used ? pol->quota[p][j] - used : 0;
      }
      if (pol->ban[p][j])
        cap = 0;
      if (pol->licence[p][j] < MODEL_PPM) {
        int64_t l = licence_cap(m, i, j, offered, pol->licence[p][j]);
        if (l < cap)
          cap = l;
      }
      int64_t ocj = origin_cap(m, i, j);
      if (ocj < cap)
        cap = ocj;
      int64_t scj = sanction_cap(m, i, j);
      if (scj < cap)
        cap = scj;
      m->capij[i][j] = cap;
      if (cap == 0)
        continue;
      const policies_t *imp = &st->nations[j].pol;
      int64_t rate =
          imp->tariff[p][i] ? imp->tariff[p][i] : imp->tariff[p][ALL];
      int64_t tariff = ppm_of(ref, rate);
      int64_t tr = map_transport(map, p, i, j);
      int64_t cap_open = cap;
      if (m->shared && cap < INF_CAP && m->ralloc[i][j] < INF_CAP)
        cap_open = cap - m->ralloc[i][j] > 0 ? cap - m->ralloc[i][j] : 0;
      if (open_out && cap_open > 0) {
        if (m->nd[j].has_demand)
          add_arc(m, from, D_(m, j), cap_open, i, j, tr, tariff);
        else
          m->price_arcs[m->n_price_arcs++] =
              (edge_t){from, D_(m, j), tr + tariff};
      }
      /* restricted buyers in j buy i's eligible offers under the route's
       * caps and the cap on all of i's exports; where the two classes
       * together would use more of a cap than it allows, the market
       * clears again with the caps shared (share_caps) */
      if (e_sup && m->rd[j].has_demand) {
        int64_t rcap = m->shared ? m->ralloc[i][j] : hub < cap ? hub : cap;
        if (rcap > 0)
          add_arc(m, E_(m, i), R_(m, j), rcap, i, j, tr, tariff);
      }
    }
  }
  LAN_ASSERT(m->n_arcs + m->n_price_arcs <= maxarcs);
  return 0;
}

/* Splits `total` kg over amounts a[0..k) pro rata (floor), then one kg each
 * in order to those with room until none is left; g is scratch of k. */
static void pro_rata(int64_t total, int64_t *const *a, const int64_t *amt,
                     size_t k, int64_t *g) {
  int64_t sum = 0;
  for (size_t i = 0; i < k; i++)
    sum += amt[i];
  if (sum <= 0 || total <= 0)
    return;
  if (total >= sum) {
    for (size_t i = 0; i < k; i++)
      *a[i] += amt[i];
    return;
  }
  int64_t given = 0;
  for (size_t i = 0; i < k; i++) {
    int64_t x = mul_div(total, amt[i], sum);
    g[i] = x;
    *a[i] += x;
    given += x;
  }
  for (size_t i = 0; i < k && given < total; i++) {
    int64_t room = amt[i] - g[i];
    if (room > 0) {
      *a[i] += 1;
      given++;
    }
  }
}

/* The names of a market's totals in range errors. */
static const char *const PAID[NP] = {"money paid in the concentrate market",
                                     "money paid in the ndpr_oxide market",
                                     "money paid in the dytb_oxide market",
                                     "money paid in the lace_oxide market",
                                     "money paid in the magnet market",
                                     "money paid in the dy_oxide market",
                                     "money paid in the tb_oxide market",
                                     "money paid in the magnet_scrap market"};
static const char *const RECEIVED[NP] = {
    "money received in the concentrate market",
    "money received in the ndpr_oxide market",
    "money received in the dytb_oxide market",
    "money received in the lace_oxide market",
    "money received in the magnet market",
    "money received in the dy_oxide market",
    "money received in the tb_oxide market",
    "money received in the magnet_scrap market"};

/* Demand by sector: a node's final-demand fill over its lines, each
 * taking what it wants above the last kg's value v, and the kg valued at
 * v pro rata (the way final demand and bids share them). */
static void split_lines(node_t *d, int64_t v, int64_t fill) {
  int64_t *ptrs[NN * MODEL_SECTORS], amts[NN * MODEL_SECTORS],
      g[NN * MODEL_SECTORS];
  int64_t above = 0;
  for (int32_t k = 0; k < d->n_lines; k++) {
    line_t *l = &d->lines[k];
    l->fill = line_at(l->q0, l->p0, l->maxp, l->slope_q32, v + 1);
    above += l->fill;
    ptrs[k] = &l->fill;
    amts[k] = line_at(l->q0, l->p0, l->maxp, l->slope_q32, v) - l->fill;
  }
  if (fill > above)
    pro_rata(fill - above, ptrs, amts, (size_t)d->n_lines, g);
}

/* Demand by sector, after settlement: each line's purchases to its
 * nation's sector accounts, and lines that count for another nation than
 * the market's move their share of its purchases, and of the own or
 * allied supply in them, to that nation's security (credit_*). */
static void settle_lines(mk_t *m, const int64_t *pd, const int64_t *pr) {
  model_state_t *st = m->st;
  const model_map_t *map = st->map;
  int p = m->p, n = m->n;
  for (int j = 0; j < n; j++) {
    st->nations[j].credit_bought[p] = st->nations[j].credit_own[p] = 0;
    for (int s = 0; s < MODEL_SECTORS; s++)
      st->nations[j].sec_consumed[p][s] = st->nations[j].sec_price[p][s] = 0;
  }
  for (int jr = 0; jr < 2 * n; jr++) {
    int j = jr % n;
    const node_t *d = jr < n ? &m->nd[j] : &m->rd[j];
    if (jr >= n && !m->any_r)
      break;
    int64_t filled = m->nd[j].filled + (m->any_r ? m->rd[j].filled : 0);
    for (int32_t k = 0; k < d->n_lines; k++) {
      const line_t *l = &d->lines[k];
      st->nations[l->owner].sec_consumed[p][l->sector] = l->fill;
      st->nations[l->owner].sec_price[p][l->sector] = jr < n ? pd[j] : pr[j];
      int c = l->counts_for;
      if (c == j || l->fill <= 0 || filled <= 0)
        continue;
      int64_t own_c = 0;
      for (int e = 0; e < n; e++)
        if (e == c || (map->nations[c].allies >> e & 1))
          own_c += m->into_from[j][e];
      nation_t *nj = &st->nations[j], *nc = &st->nations[c];
      int64_t own_j = mul_div(l->fill, nj->own_supply[p], filled);
      nj->credit_bought[p] -= l->fill;
      nj->credit_own[p] -= own_j;
      nc->credit_bought[p] += l->fill;
      nc->credit_own[p] += mul_div(l->fill, own_c, filled);
    }
  }
}

/* Allocates node totals to participants, moves goods and money. */
static int settle(mk_t *m, const int64_t *ps, const int64_t *px,
                  const int64_t *pd, const int64_t *pr, const int64_t *pe) {
  model_state_t *st = m->st;
  int p = m->p, n = m->n;
  market_result_t *res = &st->market[p];
  memset(m->na, 0, (size_t)n * sizeof m->na[0]);
  if (st->map->sectors)
    for (int j = 0; j < n; j++)
      memset(m->into_from[j], 0, (size_t)n * sizeof m->into_from[j][0]);
  /* scratch for pro_rata: pointers, amounts, shares */
  size_t capk = m->n_parts + 1;
  int64_t **ptrs = m->pbuf;
  int64_t *amts = m->buf, *g = m->buf + capk;
  /* sellers (and the eligible sellers' nodes) */
  for (int ii = 0; ii < (m->any_r ? 2 : 1) * n; ii++) {
    int i = ii % n;
    node_t *s = ii < n ? &m->nd[i] : &m->ed[i];
    int64_t left = s->sold;
    size_t k = s->o_begin;
    while (k < s->o_end && left > 0) {
      size_t e = k;
      int64_t tot = 0;
      while (e < s->o_end && m->parts[e].price == m->parts[k].price)
        tot += m->parts[e++].qty;
      int64_t take = left < tot ? left : tot;
      size_t cnt = e - k;
      for (size_t q = 0; q < cnt; q++) {
        ptrs[q] = &m->parts[k + q].fill;
        amts[q] = m->parts[k + q].qty;
      }
      pro_rata(take, ptrs, amts, cnt, g);
      left -= take;
      k = e;
    }
  }
  /* buyers */
  for (int j = 0; j < n; j++) {
    node_t *d = &m->nd[j];
    if (d->filled <= 0)
      continue;
    dem_cache(m, d);
    int64_t v = d->v_last; /* the value of the last kg filled */
    int64_t above = dem_at(m, d, v + 1);
    int64_t fd_above = fd_at(d, v + 1);
    m->na[j].fd_fill = fd_above;
    size_t k = d->b_begin;
    for (; k < d->b_end && m->parts[k].price > v; k++)
      m->parts[k].fill = m->parts[k].qty;
    size_t e = k;
    while (e < d->b_end && m->parts[e].price == v)
      e++;
    size_t cnt = 1 + (e - k);
    ptrs[0] = &m->na[j].fd_fill;
    amts[0] = fd_at(d, v) - fd_above;
    for (size_t q = 0; q < e - k; q++) {
      ptrs[1 + q] = &m->parts[k + q].fill;
      amts[1 + q] = m->parts[k + q].qty;
    }
    pro_rata(d->filled - above, ptrs, amts, cnt, g);
    if (d->n_lines > 0)
      split_lines(d, v, m->na[j].fd_fill);
  }
  for (int j = 0; m->any_r && j < n; j++) {
    node_t *r = &m->rd[j];
    if (r->filled <= 0)
      continue;
    dem_cache(m, r);
    split_lines(r, r->v_last, r->filled);
  }
  /* goods and money of participants */
  int64_t paid = 0, received = 0, fd_paid = 0;
  res->n_trades = 0;
  if (res->cap_trades < m->n_parts) {
    model_trade_t *t = realloc(res->trades, m->n_parts * sizeof *t);
    if (!t)
      return MODEL_ENOMEM;
    res->trades = t;
    res->cap_trades = m->n_parts;
  }
  for (size_t k = 0; k < m->n_parts; k++) {
    part_t *pt = &m->parts[k];
    int64_t price = pt->is_bid ? pd[pt->nation]
                    : pt->cls  ? pe[pt->nation]
                               : ps[pt->nation];
    res->trades[res->n_trades++] =
        (model_trade_t){pt->holder, pt->nation, pt->is_bid, pt->price,
                        pt->qty,    pt->fill,   price};
    if (pt->fill <= 0)
      continue;
    /* goods to or from the holder (a branch's own), money to or from its
     * payer (a branch's firm) */
    int32_t h = pt->holder, mh = model_money_holder(st, h);
    bool seat = (size_t)mh < st->n_seats;
    branch_t *br = h != mh ? model_branch_at(st, h) : NULL;
    const char *what = seat ? "cash" : "budget";
    int64_t money =
        ck_mul_div(st, pt->fill, price, 1, h,
                   pt->is_bid ? "a purchase" : "a sale", MODEL_U_CENTS);
    model_holder_flows_t *fl = flows_at(st, h), *mfl = flows_at(st, mh);
    int64_t *inv = inv_of(st, h, p);
    if (pt->is_bid) {
      const char *why = pt->kind == 1   ? "price floor purchase"
                        : pt->kind == 2 ? "stockpile purchase"
                                        : "purchase";
      ck_sub(st, money_at(st, mh), money, h, what, MODEL_U_CENTS, why);
      ck_add(st, &mfl->money_out, money, h, "money paid out", MODEL_U_CENTS,
             why);
      ck_add(st, &fl->bought[p], pt->fill, h, "kg bought", MODEL_U_KG, why);
      ck_add(st, inv, pt->fill, h, "inventory", MODEL_U_KG, why);
      ck_add(st, &paid, money, h, PAID[p], MODEL_U_CENTS, why);
      if (seat)
        ck_add(st, &st->seats[mh].costs, money, h, "costs", MODEL_U_CENTS, why);
      if (br)
        ck_add(st, &br->costs, money, h, "costs", MODEL_U_CENTS, why);
    } else {
      if (p == MODEL_CONCENTRATE) {
        /* the seller's elements leave pro rata, into the nation's pool */
        int64_t *el = el_of(st, pt->holder);
        for (int q = 0; q < NEL; q++) {
          int64_t x = *inv > 0 ? mul_div(el[q], pt->fill, *inv) : 0;
          el[q] -= x;
          m->na[pt->nation].pool_el[q] += x;
        }
      }
      /* rules of origin: the seller's tracked content leaves pro rata */
      m->na[pt->nation].pool_o += model_origin_take(st, h, p, pt->fill);
      ck_add(st, money_at(st, mh), money, h, what, MODEL_U_CENTS, "sale");
      ck_add(st, &mfl->money_in, money, h, "money received", MODEL_U_CENTS,
             "sale");
      ck_add(st, &fl->sold[p], pt->fill, h, "kg sold", MODEL_U_KG, "sale");
      *inv -= pt->fill; /* fill <= what it offered <= inventory */
      /* a market total that overflows names the seat whose sale did it */
      ck_add(st, &received, money, h, RECEIVED[p], MODEL_U_CENTS, "sale");
      if (seat)
        ck_add(st, &st->seats[mh].revenue, money, h, "revenue", MODEL_U_CENTS,
               "sale");
      if (br)
        ck_add(st, &br->revenue, money, h, "revenue", MODEL_U_CENTS, "sale");
    }
  }
  /* final demand: a source of money, a sink of goods */
  for (int j = 0; j < n; j++) {
    int64_t fill = m->na[j].fd_fill;
    int64_t rfill = m->any_r ? m->rd[j].filled : 0;
    if (fill + rfill <= 0)
      continue;
    int32_t who = (int32_t)(st->n_seats + (size_t)j);
    int64_t money =
        ck_mul_div(st, fill, pd[j], 1, who, "final demand", MODEL_U_CENTS);
    if (rfill > 0) /* restricted buyers pay their class's price */
      ck_add(
          st, &money,
          ck_mul_div(st, rfill, pr[j], 1, who, "final demand", MODEL_U_CENTS),
          who, "final demand", MODEL_U_CENTS, "final demand");
    fill += rfill;
    ck_add(st, &fd_paid, money, who, "final demand", MODEL_U_CENTS,
           "final demand");
    st->nations[j].consumed[p] = fill;
    ck_add(st, &st->report.money_sources, money, -1, "money sources",
           MODEL_U_CENTS, "final demand");
    ck_add(st, &st->report.consumed[p], fill, -1, "consumption", MODEL_U_KG,
           "final demand");
  }
  /* arcs: transport (a sink), tariffs (to the importer), rents (to the
   * exporter); record flows */
  int64_t transport = 0, tariffs = 0, rents = 0;
  res->n_flows = 0;
  if (res->cap_flows < m->n_arcs + 1) {
    model_flow_t *f = realloc(res->flows, (m->n_arcs + 1) * sizeof *f);
    if (!f)
      return MODEL_ENOMEM;
    res->flows = f;
    res->cap_flows = m->n_arcs + 1;
  }
  /* elements leave each exporter's pool pro rata to its outflows */
  for (size_t k = 0; k < m->n_arcs; k++) {
    const model_ns_arc_t *a = &m->arcs[k];
    const route_t *ro = &m->routes[k];
    if (a->from > 4 * n && a->to <= n)
      continue; /* e_i -> s_i: those kg leave i from s_i */
    /* into a demand node or a restricted buyer: every kg that leaves i's
     * pool counts, or the content of the kg restricted buyers took would
     * go to the other buyers (a buyer held more tracked content than
     * goods, and a capacity went negative) */
    if (a->to > 2 * n)
      m->na[ro->pi >= 0       ? ro->pi
            : a->from > 4 * n ? a->from - 1 - 4 * n
                              : a->from - 1]
          .out_total += a->flow;
    else if (a->flow >= a->cap) /* a full hub arc s_i -> x_i */
      m->na[a->from - 1].hub_full = true;
  }
  for (size_t k = 0; k < m->n_arcs; k++) {
    const model_ns_arc_t *a = &m->arcs[k];
    const route_t *ro = &m->routes[k];
    int64_t hp, tp;
    int exporter;
    bool from_e = a->from > 4 * n;
    if (from_e && a->to <= n)
      continue; /* e_i -> s_i: no money (both prices equal when it flows) */
    if (a->to == X_(m, a->from - 1) && a->from <= n) {
      /* s_i -> x_i: the rent between seller and hub prices */
      exporter = a->from - 1;
      hp = px[exporter];
      tp = ps[exporter];
      int32_t eh = (int32_t)(st->n_seats + (size_t)exporter);
      int64_t r =
          ck_mul_div(st, a->flow, hp - tp, 1, eh, "export rent", MODEL_U_CENTS);
      ck_add(st, &rents, r, -1, "export rents", MODEL_U_CENTS, "export rent");
      ck_add(st, &st->nations[exporter].budget, r, eh, "budget", MODEL_U_CENTS,
             "export rent");
      ck_add(st, &st->nations[exporter].flows.money_in, r, eh, "money received",
             MODEL_U_CENTS, "export rent");
      continue;
    }
    bool restricted = a->to > 3 * n; /* into r_j */
    int j = a->to - 1 - (restricted ? 3 : 2) * n;
    exporter = ro->pi >= 0 ? ro->pi
               : from_e    ? a->from - 1 - 4 * n
                           : a->from - 1;
    tp = from_e ? pe[exporter] : a->from <= n ? ps[exporter] : px[exporter];
    hp = restricted ? pr[j] : pd[j];
    if (a->flow > 0) {
      int32_t jh = (int32_t)(st->n_seats + (size_t)j);
      int32_t eh = (int32_t)(st->n_seats + (size_t)exporter);
      int64_t tr = ck_mul_div(st, a->flow, ro->transport, 1, -1, "transport",
                              MODEL_U_CENTS);
      int64_t ta =
          ck_mul_div(st, a->flow, ro->tariff, 1, jh, "tariff", MODEL_U_CENTS);
      int64_t r = ck_mul_div(st, a->flow, hp - tp - a->cost, 1, eh,
                             "export rent", MODEL_U_CENTS);
      LAN_ASSERT(st->range_failed || hp - tp - a->cost >= 0);
      ck_add(st, &transport, tr, -1, "transport", MODEL_U_CENTS, "transport");
      ck_add(st, &tariffs, ta, -1, "tariffs", MODEL_U_CENTS, "tariff");
      ck_add(st, &rents, r, -1, "export rents", MODEL_U_CENTS, "export rent");
      ck_add(st, &st->nations[j].budget, ta, jh, "budget", MODEL_U_CENTS,
             "tariff");
      ck_add(st, &st->nations[j].flows.money_in, ta, jh, "money received",
             MODEL_U_CENTS, "tariff");
      ck_add(st, &st->nations[exporter].budget, r, eh, "budget", MODEL_U_CENTS,
             "export rent");
      ck_add(st, &st->nations[exporter].flows.money_in, r, eh, "money received",
             MODEL_U_CENTS, "export rent");
      if (!restricted)
        m->na[j].into += a->flow;
      if (model_origin_nation(st) >= 0) {
        /* tracked content along the arc, pro rata; the last arc out of a
         * pool takes what is left; restricted buyers consume theirs (it
         * leaves the world with the goods) */
        nat_t *ex = &m->na[exporter];
        ex->o_flow_done += a->flow;
        int64_t x = ex->o_flow_done == ex->out_total
                        ? ex->pool_o - ex->o_done
                        : mul_div(ex->pool_o, a->flow, ex->out_total);
        ex->o_done += x;
        if (!restricted)
          m->na[j].in_o += x;
      }
      m->into_from[j][exporter] += a->flow;
      bool own = exporter == j || (st->map->nations[j].allies >> exporter & 1);
      if (own)
        st->nations[j].own_supply[p] += a->flow;
      if (p == MODEL_CONCENTRATE) {
        nat_t *ex = &m->na[exporter];
        ex->out_done += a->flow;
        for (int q = 0; q < NEL; q++) {
          /* the last arc out of a pool takes what is left, so no kg of an
           * element is lost to rounding */
          int64_t x = ex->out_done == ex->out_total
                          ? ex->pool_el[q] - ex->el_done[q]
                          : mul_div(ex->pool_el[q], a->flow, ex->out_total);
          ex->el_done[q] += x;
          if (!restricted)
            m->na[j].in_el[q] += x;
        }
      }
    }
    if (restricted) {
      /* restricted buyers' imports are not in the reported flows: those
       * are the open market's, at its prices */
    } else if (ro->pi >= 0) {
      /* an export through a hub is capped when the hub's arc is full */
      bool capped =
          a->flow >= a->cap || (a->from > n && m->na[ro->pi].hub_full);
      res->flows[res->n_flows++] = (model_flow_t){
          ro->pi,        ro->pj,     a->flow, a->cap >= INF_CAP ? -1 : a->cap,
          ro->transport, ro->tariff, false,   capped};
    }
  }
  ck_add(st, &st->report.money_sinks, transport, -1, "money sinks",
         MODEL_U_CENTS, "transport");
  /* elements arriving at each demand node go to its buyers pro rata to
   * their purchases; final demand takes its share out of the world */
  if (p == MODEL_CONCENTRATE) {
    for (int j = 0; j < n; j++) {
      if (m->na[j].into <= 0)
        continue;
      int64_t got[NEL] = {0, 0, 0};
      int64_t last_holder = -1;
      node_t *d = &m->nd[j];
      for (size_t k = d->b_begin; k < d->b_end; k++) {
        part_t *pt = &m->parts[k];
        if (pt->fill <= 0)
          continue;
        int64_t *el = el_of(st, pt->holder);
        for (int q = 0; q < NEL; q++) {
          int64_t x = mul_div(m->na[j].in_el[q], pt->fill, m->na[j].into);
          el[q] += x;
          got[q] += x;
        }
        last_holder = pt->holder;
      }
      /* rounding remainders go to the last buyer unless final demand took
       * part (then they leave with the consumed concentrate) */
      if (last_holder >= 0 && m->na[j].fd_fill == 0)
        for (int q = 0; q < NEL; q++)
          el_of(st, (int32_t)last_holder)[q] += m->na[j].in_el[q] - got[q];
    }
  }
  /* rules of origin: content arriving at each nation goes to its buyers
   * pro rata to their purchases; final demand's share leaves the world */
  for (int j = 0; model_origin_nation(st) >= 0 && j < n; j++) {
    if (m->na[j].into <= 0 || m->na[j].in_o <= 0)
      continue;
    node_t *d = &m->nd[j];
    for (size_t k = d->b_begin; k < d->b_end; k++) {
      part_t *pt = &m->parts[k];
      if (pt->fill > 0)
        model_origin_add(st, pt->holder, p,
                         mul_div(m->na[j].in_o, pt->fill, m->na[j].into));
    }
  }
  /* the books of this market must balance to the cent (unless a sum was
   * refused: then the turn is rolled back) */
  LAN_ASSERT(st->range_failed ||
             (__int128)paid + fd_paid ==
                 (__int128)received + transport + tariffs + rents);
  (void)tariffs;
  for (int j = 0; j < n; j++)
    st->nations[j].bought[p] =
        m->nd[j].filled + (m->any_r ? m->rd[j].filled : 0);
  if (st->map->sectors)
    settle_lines(m, pd, pr);
  return 0;
}

/* Whether the last clearing used more of a cap on i's exports (to j, or
 * to all) in the two buyer classes together than the cap allows (each
 * class's arcs carry the whole cap: a network flow cannot share one
 * capacity between two kinds of goods). If so, fills ralloc and rhub for
 * a clearing with the caps shared: the restricted class keeps what it
 * bought on each capped route, cut pro rata (floor, then a kg at a time
 * in nation order) to the cap on all of i's exports, and the open class
 * gets the rest of each cap. */
static bool share_caps(mk_t *m) {
  if (!m->any_r)
    return false;
  int n = m->n;
  int64_t(*rf)[NN] = m->ralloc; /* the restricted flows first */
  int64_t open[NN][NN];
  memset(open, 0, sizeof open);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      rf[i][j] = 0;
  for (size_t k = 0; k < m->n_arcs; k++) {
    const route_t *ro = &m->routes[k];
    if (ro->pi < 0)
      continue;
    if (m->arcs[k].from == E_(m, ro->pi))
      rf[ro->pi][ro->pj] += m->arcs[k].flow;
    else
      open[ro->pi][ro->pj] += m->arcs[k].flow;
  }
  bool over = false;
  for (int i = 0; i < n && !over; i++) {
    int64_t to = 0, tr = 0;
    for (int j = 0; j < n; j++) {
      to += open[i][j];
      tr += rf[i][j];
      over |=
          m->capij[i][j] < INF_CAP && open[i][j] + rf[i][j] > m->capij[i][j];
    }
    over |= m->hubcap[i] < INF_CAP && to + tr > m->hubcap[i];
  }
  if (!over)
    return false;
  for (int i = 0; i < n; i++) {
    int64_t sum = 0;
    for (int j = 0; j < n; j++)
      sum += rf[i][j];
    int64_t hub = m->hubcap[i];
    if (hub < INF_CAP && sum > hub) {
      int64_t *a[NN], amt[NN], g[NN], cut[NN];
      for (int j = 0; j < n; j++) {
        cut[j] = 0;
        a[j] = &cut[j];
        amt[j] = rf[i][j];
      }
      pro_rata(hub, a, amt, (size_t)n, g);
      sum = 0;
      for (int j = 0; j < n; j++) {
        rf[i][j] = cut[j];
        sum += cut[j];
      }
    }
    m->rhub[i] = hub < INF_CAP ? sum : 0;
    /* a route no cap binds stays open to the restricted class */
    for (int j = 0; j < n; j++)
      if (hub >= INF_CAP && m->capij[i][j] >= INF_CAP)
        rf[i][j] = INF_CAP;
  }
  return true;
}

/* One clearing: the network, the welfare-maximising flow, and the least
 * volume among the optimal flows. */
static int clear_once(mk_t *m) {
  int rc = setup(m);
  if (rc)
    return rc;
  if (m->st->range_failed)
    return MODEL_ERANGE; /* never solve on sums that did not fit */
  if ((rc = solve(m)))
    return rc;
  least_volume(m);
  return 0;
}

int model_market_clear(model_state_t *st, int p) {
  mk_t *m = st->scratch;
  if (!m) {
    m = calloc(1, sizeof *m);
    if (!m)
      return MODEL_ENOMEM;
    if (model_ns_new(&m->ns)) {
      free(m);
      return MODEL_ENOMEM;
    }
    st->scratch = m;
  }
  m->st = st;
  m->p = p;
  m->pass = 0;
  m->shared = false;
  int rc;
  if (two_passes(st, p)) {
    /* pass 1: the exports each route would carry without the licences on
     * the exports basis */
    m->pass = 1;
    if ((rc = clear_once(m))) /* the flows a market without them reports */
      return rc;
    memset(m->x0, 0, sizeof m->x0);
    memset(m->x0tot, 0, sizeof m->x0tot);
    for (size_t k = 0; k < m->n_arcs; k++) {
      const route_t *ro = &m->routes[k];
      if (ro->pi < 0)
        continue;
      m->x0[ro->pi][ro->pj] += m->arcs[k].flow;
      m->x0tot[ro->pi] += m->arcs[k].flow;
    }
    m->pass = 2;
  }
  if ((rc = clear_once(m)))
    return rc;
  if (share_caps(m)) {
    /* the caps shared between the buyer classes: clear again */
    m->shared = true;
    if ((rc = clear_once(m)))
      return rc;
  }
  int64_t ps[NN], px[NN], pd[NN], pr[NN], pe[NN];
  compute_prices(m, ps, px, pd, pr, pe);
  if ((rc = settle(m, ps, px, pd, pr, pe)))
    return rc;
  int64_t vol = 0;
  __int128 val = 0;
  for (int j = 0; j < m->n; j++) {
    st->regional[p][j] = pd[j];
    st->market[p].seller_price[j] = ps[j];
    st->market[p].buyer_price[j] = pd[j];
    vol += m->nd[j].filled;
    val += (__int128)m->nd[j].filled * pd[j];
    /* restricted buyers' kg count in the volume; the world price stays
     * the open class's (the class prices are their own) */
  }
  int64_t open = vol;
  for (int j = 0; m->any_r && j < m->n; j++)
    vol += m->rd[j].filled;
  st->volume[p] = vol;
  if (open > 0)
    st->price[p] = (int64_t)(val / open);
  return st->range_failed ? MODEL_ERANGE : 0;
}

void model_market_free(model_state_t *st) {
  for (int p = 0; p < NP; p++) {
    free(st->market[p].trades);
    free(st->market[p].flows);
    st->market[p].trades = NULL;
    st->market[p].flows = NULL;
    st->market[p].n_trades = st->market[p].cap_trades = 0;
    st->market[p].n_flows = st->market[p].cap_flows = 0;
  }
  mk_t *m = st->scratch;
  if (m) {
    free(m->parts);
    free(m->tmp);
    free(m->bprefix);
    free(m->k_price);
    free(m->k_cum);
    free(m->keys);
    free(m->keytmp);
    free(m->arcs);
    free(m->routes);
    model_ns_free(m->ns);
    free(m->adj);
    free(m->price_arcs);
    free(m->edges);
    free(m->buf);
    free(m->pbuf);
    free(m);
    st->scratch = NULL;
  }
}
