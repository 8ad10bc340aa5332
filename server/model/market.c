/* market.c: clearing one product's market across borders, exactly.
 *
 * The allocation maximises welfare (the value of what buyers get, less what
 * sellers ask, less transport and tariffs) subject to quotas, bans and
 * licences. It is a min-cost flow on a small network of nation nodes:
 *
 *   source -> s_i (sellers in i; parallel arcs = their price steps)
 *   s_i -> d_i (at home, free), s_i -> d_j or s_i -> x_i -> d_j (exports,
 *            capacity from quotas/bans/licences, cost transport + tariff)
 *   d_j -> sink (buyers in j: bids and the final-demand curve, one-cent
 *            levels of value)
 *
 * solved by successive shortest paths (SSP): Dijkstra with potentials over
 * the nation nodes, and, at the sink side, a "water-filling" step that
 * augments every demand node up to a common path length at once (exactly
 * what SSP would do one kg at a time, ties taken in node order). Demand
 * curves are never enumerated cent by cent: each fill jumps straight to the
 * level where a capacity binds, found by bisection. Every Dijkstra run is
 * followed by at least one exhausted price step or saturated arc, so the
 * work is O((steps + arcs) * nodes^2) per product.
 *
 * Prices: the optimal flow's residual graph (source and sink merged into one
 * "outside" node, plus free disposal at 0 and a backstop supply at
 * MODEL_PRICE_MAX_CENTS) has no negative cycle, so node potentials exist;
 * the highest and lowest feasible potentials come from two Bellman-Ford
 * runs, and each node's price is the floor of their midpoint (a feasible
 * potential too). docs/model.md gives the argument.
 */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

#define INF_CAP  ((int64_t)1 << 60)
#define INF_DIST ((int64_t)1 << 62)
#define PMAX     ((int64_t)MODEL_PRICE_MAX_CENTS)

typedef struct {
  int32_t holder, nation, seq;
  uint8_t is_bid, kind; /* kind: 0 order, 1 floor, 2 stockpile */
  int64_t price, qty, fill;
} part_t;

typedef struct {
  int32_t from, to;
  int64_t cap, cost, flow;
  int32_t pi, pj; /* pair (exporter, importer) for exports, else -1 */
  int64_t transport, tariff;
} arc_t;

typedef struct {
  /* supply */
  size_t o_begin, o_end; /* offers of the nation, in sorted order */
  size_t cur;            /* first offer of the current price step */
  size_t step_end;       /* one past its last offer */
  int64_t step_left;     /* kg left in the current step */
  int64_t sold;
  int64_t offered;
  /* demand */
  size_t b_begin, b_end; /* bids, sorted by price descending */
  int64_t *bprefix;      /* prefix sums of bid quantities (shared array) */
  bool fd;
  int64_t q0, p0, el, maxp;
  int64_t slope_q32; /* kg per cent of price, Q32: el q0 / (p0 1e6) */
  int64_t filled;
  int64_t top_q, top_v; /* cache: dem_top(filled = top_q) = top_v */
  bool has_supply, has_demand;
} node_t;

typedef struct {
  model_state_t *st;
  int p;
  int n;
  part_t *parts;
  size_t n_parts;
  size_t *offers, n_offers; /* indices into parts */
  size_t *bids, n_bids;
  int64_t *bprefix;
  node_t *nd;
  arc_t *arcs;
  size_t n_arcs;
  int V;
  int32_t *out_start, *out_list, *in_start, *in_list;
  int64_t *pot, *dist;
  int32_t *pred; /* arc id * 2 + dir(1 = reverse); -2 source arc; -1 none */
  uint8_t *done;
  int64_t *load_arc, *load_src;
  int32_t *active; /* nodes with arcs, in index order */
  int n_active;
  int32_t *touched; /* pred codes with a load, for resetting */
  size_t n_touched;
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

/* ---- demand curves ---- */

/* Final demand at price t (cents): linear through (p0, q0) with slope
 * slope_q32 / 2^32 kg per cent (el q0 / p0 at the reference point, to 2^-32
 * relative), zero above maxp, never negative. Exact integers; a shift, not a
 * division, because the market evaluates it many times. */
static int64_t fd_at(const node_t *d, int64_t t) {
  if (!d->fd || t > d->maxp)
    return 0;
  __int128 x = (__int128)d->slope_q32 * (d->p0 - t);
  __int128 q = x >> 32; /* floor, also for negative x */
  q += d->q0;
  if (q < 0)
    return 0;
  if (q > MODEL_QTY_MAX_KG)
    return MODEL_QTY_MAX_KG;
  return (int64_t)q;
}

/* Bid kg with max price >= t. */
static int64_t bids_at(const mk_t *m, const node_t *d, int64_t t) {
  size_t lo = d->b_begin, hi = d->b_end; /* first with price < t */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->parts[m->bids[mid]].price >= t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return m->bprefix[lo] - m->bprefix[d->b_begin];
}

/* All demand (kg) valued at t or more. Nonincreasing in t. */
static int64_t dem_at(const mk_t *m, const node_t *d, int64_t t) {
  return fd_at(d, t) + bids_at(m, d, t);
}

/* Largest t in [1, PMAX] with dem_at(t) > q (strict) or >= q; -1 if none. */
static int64_t dem_top(const mk_t *m, const node_t *d, int64_t q, bool strict) {
  int64_t a1 = dem_at(m, d, 1);
  if (strict ? a1 <= q : a1 < q)
    return -1;
  int64_t lo = 1, hi = PMAX;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    int64_t a = dem_at(m, d, mid);
    if (strict ? a > q : a >= q)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

/* ---- supply steps ---- */
/* dem_top(filled, strict) with a cache: filled only grows, so the next
 * unused value only falls, and the last search bounds the next one. */
static int64_t node_top(const mk_t *m, node_t *d) {
  if (d->top_q == d->filled && d->top_v != 0)
    return d->top_v;
  int64_t hi = d->top_v > 0 ? d->top_v : PMAX;
  int64_t v = -1;
  if (dem_at(m, d, 1) > d->filled) {
    int64_t lo = 1;
    while (lo < hi) {
      int64_t mid = lo + (hi - lo + 1) / 2;
      if (dem_at(m, d, mid) > d->filled)
        lo = mid;
      else
        hi = mid - 1;
    }
    v = lo;
  }
  d->top_q = d->filled;
  d->top_v = v;
  return v;
}

static void step_load(mk_t *m, node_t *s) {
  s->step_left = 0;
  s->step_end = s->cur;
  if (s->cur >= s->o_end)
    return;
  int64_t price = m->parts[m->offers[s->cur]].price;
  while (s->step_end < s->o_end &&
         m->parts[m->offers[s->step_end]].price == price) {
    s->step_left += m->parts[m->offers[s->step_end]].qty;
    s->step_end++;
  }
}

static void step_next(mk_t *m, node_t *s) {
  do {
    s->cur = s->step_end;
    step_load(m, s);
  } while (s->cur < s->o_end && s->step_left == 0);
}

static int64_t step_price(const mk_t *m, const node_t *s) {
  return m->parts[m->offers[s->cur]].price;
}

/* ---- shortest paths ---- */
static void dijkstra(mk_t *m) {
  int V = m->V;
  for (int v = 0; v < V; v++) {
    m->dist[v] = INF_DIST;
    m->pred[v] = -1;
    m->done[v] = 0;
  }
  m->dist[0] = 0;
  for (;;) {
    int u = -1;
    for (int k = 0; k < m->n_active; k++) {
      int v = m->active[k];
      if (!m->done[v] && m->dist[v] < INF_DIST &&
          (u < 0 || m->dist[v] < m->dist[u]))
        u = v;
    }
    if (u < 0)
      break;
    m->done[u] = 1;
    if (u == 0) {
      for (int i = 0; i < m->n; i++) {
        node_t *s = &m->nd[i];
        if (!s->has_supply || s->cur >= s->o_end)
          continue;
        int v = S_(m, i);
        int64_t rc = step_price(m, s) + m->pot[0] - m->pot[v];
        assert(rc >= 0);
        if (m->dist[u] + rc < m->dist[v]) {
          m->dist[v] = m->dist[u] + rc;
          m->pred[v] = -2;
        }
      }
      continue;
    }
    for (int32_t k = m->out_start[u]; k < m->out_start[u + 1]; k++) {
      arc_t *a = &m->arcs[m->out_list[k]];
      if (a->flow >= a->cap)
        continue;
      int v = a->to;
      int64_t rc = a->cost + m->pot[u] - m->pot[v];
      if (!m->done[v] && m->dist[u] + rc < m->dist[v]) {
        m->dist[v] = m->dist[u] + rc;
        m->pred[v] = m->out_list[k] * 2;
      }
    }
    for (int32_t k = m->in_start[u]; k < m->in_start[u + 1]; k++) {
      arc_t *a = &m->arcs[m->in_list[k]];
      if (a->flow <= 0)
        continue;
      int v = a->from;
      int64_t rc = -a->cost + m->pot[u] - m->pot[v];
      if (!m->done[v] && m->dist[u] + rc < m->dist[v]) {
        m->dist[v] = m->dist[u] + rc;
        m->pred[v] = m->in_list[k] * 2 + 1;
      }
    }
  }
  for (int v = 0; v < V; v++)
    if (m->dist[v] < INF_DIST)
      m->pot[v] += m->dist[v];
}

/* Adds w kg of load along the path to v (for the feasibility check). */
static void path_load(mk_t *m, int v, int64_t w) {
  while (m->pred[v] >= 0) {
    int32_t pa = m->pred[v];
    const arc_t *a = &m->arcs[pa / 2];
    if (m->load_arc[pa] == 0)
      m->touched[m->n_touched++] = pa;
    m->load_arc[pa] += w;
    v = (pa & 1) ? a->to : a->from;
  }
  m->load_src[v - 1] += w;
}

static int64_t want(const mk_t *m, int j, int64_t M) {
  const node_t *d = &m->nd[j];
  int64_t t = m->pot[D_(m, j)] - M;
  if (t < 1)
    t = 1;
  if (t > PMAX)
    return 0;
  int64_t a = dem_at(m, d, t) - d->filled;
  return a > 0 ? a : 0;
}

static bool reachable_d(const mk_t *m, int j) {
  return m->nd[j].has_demand && m->dist[D_(m, j)] < INF_DIST;
}

static bool feasible(mk_t *m, int64_t M) {
  for (size_t k = 0; k < m->n_touched; k++)
    m->load_arc[m->touched[k]] = 0;
  m->n_touched = 0;
  memset(m->load_src, 0, (size_t)m->n * sizeof *m->load_src);
  for (int j = 0; j < m->n; j++)
    if (reachable_d(m, j)) {
      int64_t w = want(m, j, M);
      if (w > 0)
        path_load(m, D_(m, j), w);
    }
  for (size_t t = 0; t < m->n_touched; t++) {
    int32_t k = m->touched[t];
    const arc_t *a = &m->arcs[k / 2];
    int64_t room = (k & 1) ? a->flow : a->cap - a->flow;
    if (m->load_arc[k] > room)
      return false;
  }
  for (int i = 0; i < m->n; i++)
    if (m->load_src[i] > m->nd[i].step_left)
      return false;
  return true;
}

static int64_t bottleneck(const mk_t *m, int v) {
  int64_t b = INF_CAP;
  while (m->pred[v] >= 0) {
    int32_t pa = m->pred[v];
    const arc_t *a = &m->arcs[pa / 2];
    int64_t room = (pa & 1) ? a->flow : a->cap - a->flow;
    if (room < b)
      b = room;
    v = (pa & 1) ? a->to : a->from;
  }
  int64_t sl = m->nd[v - 1].step_left;
  return sl < b ? sl : b;
}

/* Pushes w kg along the tree path to d_j; returns true when an arc got
 * saturated or a price step exhausted (the tree must be recomputed). */
static bool augment(mk_t *m, int j, int64_t w) {
  bool dirty = false;
  int v = D_(m, j);
  while (m->pred[v] >= 0) {
    int32_t pa = m->pred[v];
    arc_t *a = &m->arcs[pa / 2];
    if (pa & 1) {
      a->flow -= w;
      assert(a->flow >= 0);
      if (a->flow == 0)
        dirty = true;
      v = a->to;
    } else {
      a->flow += w;
      assert(a->flow <= a->cap);
      if (a->flow == a->cap)
        dirty = true;
      v = a->from;
    }
  }
  node_t *s = &m->nd[v - 1];
  s->step_left -= w;
  s->sold += w;
  assert(s->step_left >= 0);
  if (s->step_left == 0) {
    step_next(m, s);
    dirty = true;
  }
  m->nd[j].filled += w;
  return dirty;
}

static void solve(mk_t *m) {
  bool dirty = true;
  size_t guard = 0, limit = 4 * (m->n_offers + m->n_arcs + m->n_bids) +
                            64 * (size_t)m->n + 1000;
  for (;;) {
    if (++guard > limit * 64) {
      assert(!"market clearing did not terminate");
      break;
    }
    if (dirty)
      dijkstra(m);
    dirty = false;
    int64_t L = 0;
    bool any = false;
    for (int j = 0; j < m->n; j++) {
      if (!reachable_d(m, j))
        continue;
      int64_t top = node_top(m, &m->nd[j]);
      if (top < 1)
        continue;
      int64_t key = m->pot[D_(m, j)] - top;
      if (!any || key < L)
        L = key;
      any = true;
    }
    if (!any || L >= 0)
      break;
    /* largest M in [L, -1] that routes without exceeding a capacity:
     * galloping up from L (capacities usually bind near it), then
     * bisection */
    int64_t lo = L - 1, hi = -1;
    if (feasible(m, hi)) {
      lo = hi;
    } else {
      for (int64_t step = 1; lo + step < hi; step *= 2) {
        if (!feasible(m, lo + step)) {
          hi = lo + step;
          break;
        }
        lo += step;
      }
      while (lo < hi - 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (feasible(m, mid))
          lo = mid;
        else
          hi = mid;
      }
    }
    int64_t M = lo;
    bool progress = false;
    if (M >= L) {
      int64_t w[NN];
      for (int j = 0; j < m->n; j++)
        w[j] = reachable_d(m, j) ? want(m, j, M) : 0;
      for (int j = 0; j < m->n; j++)
        if (w[j] > 0) {
          dirty |= augment(m, j, w[j]);
          progress = true;
        }
    }
    if (M < -1 && !dirty) {
      /* the next level fits only in part: fill it in node order */
      for (int j = 0; j < m->n && !dirty; j++) {
        if (!reachable_d(m, j))
          continue;
        int64_t extra = want(m, j, M + 1);
        if (extra <= 0)
          continue;
        int64_t b = bottleneck(m, D_(m, j));
        int64_t amt = extra < b ? extra : b;
        if (amt > 0) {
          dirty |= augment(m, j, amt);
          progress = true;
        }
        if (amt < extra)
          dirty = true;
      }
    }
    if (!progress && !dirty)
      dirty = true; /* recompute; the guard stops a pathological loop */
  }
}

/* ---- prices ---- */
typedef struct {
  int32_t u, v;
  int64_t c;
} edge_t;

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

static int64_t last_offer_price(const mk_t *m, const node_t *s) {
  /* the step holding the last sold kg: the current one if partly used */
  int64_t used_in_cur = 0;
  if (s->cur < s->o_end) {
    int64_t total = 0;
    for (size_t k = s->cur; k < s->step_end; k++)
      total += m->parts[m->offers[k]].qty;
    used_in_cur = total - s->step_left;
  }
  if (used_in_cur > 0)
    return step_price(m, s);
  /* otherwise the last exhausted step: the highest price of sold offers */
  size_t k = s->cur;
  while (k > s->o_begin) {
    k--;
    if (m->parts[m->offers[k]].qty > 0)
      return m->parts[m->offers[k]].price;
  }
  return 0;
}

static int compute_prices(mk_t *m, int64_t *ps, int64_t *px, int64_t *pd) {
  int V = m->V;
  size_t cap = m->n_arcs * 2 + (size_t)m->n * 4 + (size_t)V * 2 + 4;
  edge_t *e = malloc(cap * sizeof *e);
  int64_t *hi = malloc((size_t)V * sizeof *hi);
  int64_t *lo = malloc((size_t)V * sizeof *lo);
  if (!e || !hi || !lo) {
    free(e);
    free(hi);
    free(lo);
    return MODEL_ENOMEM;
  }
  size_t ne = 0;
  for (int i = 0; i < m->n; i++) {
    node_t *s = &m->nd[i];
    if (!s->has_supply)
      continue;
    if (s->cur < s->o_end)
      e[ne++] = (edge_t){0, S_(m, i), step_price(m, s)};
    if (s->sold > 0)
      e[ne++] = (edge_t){S_(m, i), 0, -last_offer_price(m, s)};
  }
  for (size_t k = 0; k < m->n_arcs; k++) {
    const arc_t *a = &m->arcs[k];
    if (a->flow < a->cap)
      e[ne++] = (edge_t){a->from, a->to, a->cost};
    if (a->flow > 0)
      e[ne++] = (edge_t){a->to, a->from, -a->cost};
  }
  for (int j = 0; j < m->n; j++) {
    node_t *d = &m->nd[j];
    if (!d->has_demand)
      continue;
    int64_t top = dem_top(m, d, d->filled, true);
    if (top >= 1)
      e[ne++] = (edge_t){D_(m, j), 0, -top};
    if (d->filled > 0)
      e[ne++] = (edge_t){0, D_(m, j), dem_top(m, d, d->filled, false)};
  }
  for (int v = 1; v < V; v++) {
    e[ne++] = (edge_t){0, v, PMAX};
    e[ne++] = (edge_t){v, 0, 0};
  }
  assert(ne <= cap);
  bellman(e, ne, V, false, hi);
  bellman(e, ne, V, true, lo);
  for (int v = 0; v < V; v++)
    lo[v] = -lo[v];
  for (int i = 0; i < m->n; i++) {
    int s = S_(m, i), x = X_(m, i), d = D_(m, i);
    assert(lo[s] <= hi[s] && lo[d] <= hi[d]);
    ps[i] = m->nd[i].has_supply ? (lo[s] + hi[s]) / 2 : lo[s];
    px[i] = (lo[x] + hi[x]) / 2;
    pd[i] = m->nd[i].has_demand ? (lo[d] + hi[d]) / 2 : hi[d];
  }
  free(e);
  free(hi);
  free(lo);
  return 0;
}

/* ---- building the problem ---- */
static int cmp_parts(const part_t *x, const part_t *y, bool bid) {
  if (x->nation != y->nation)
    return x->nation < y->nation ? -1 : 1;
  if (x->price != y->price)
    return bid ? (x->price > y->price ? -1 : 1)
               : (x->price < y->price ? -1 : 1);
  if (x->holder != y->holder)
    return x->holder < y->holder ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* C11 qsort has no context pointer, so the parts themselves are sorted
 * (each carries its insertion order, seq, as the last tie-breaker). */
static int by_offer(const void *a, const void *b) {
  return cmp_parts(a, b, false);
}
static int by_bid(const void *a, const void *b) {
  return cmp_parts(a, b, true);
}

static void add_part(mk_t *m, int32_t holder, int32_t nation, bool bid,
                     uint8_t kind, int64_t price, int64_t qty) {
  if (qty <= 0)
    return;
  if (price > PMAX - 1)
    price = PMAX - 1;
  part_t *pt = &m->parts[m->n_parts];
  pt->holder = holder;
  pt->nation = nation;
  pt->seq = (int32_t)m->n_parts;
  pt->is_bid = bid;
  pt->kind = kind;
  pt->price = price;
  pt->qty = qty;
  pt->fill = 0;
  m->n_parts++;
}

static int64_t *inv_of(model_state_t *st, int32_t holder, int p) {
  size_t S = st->n_seats;
  return (size_t)holder < S ? &st->seats[holder].inv[p]
                            : &st->nations[holder - (int32_t)S].stock[p];
}
static int64_t *el_of(model_state_t *st, int32_t holder) {
  size_t S = st->n_seats;
  return (size_t)holder < S ? st->seats[holder].inv_el
                            : st->nations[holder - (int32_t)S].stock_el;
}
static int64_t *money_of(model_state_t *st, int32_t holder) {
  size_t S = st->n_seats;
  return (size_t)holder < S ? &st->seats[holder].cash
                            : &st->nations[holder - (int32_t)S].budget;
}
static model_holder_flows_t *flows_of(model_state_t *st, int32_t holder) {
  size_t S = st->n_seats;
  return (size_t)holder < S ? &st->seats[holder].flows
                            : &st->nations[holder - (int32_t)S].flows;
}

static int gather(mk_t *m) {
  model_state_t *st = m->st;
  const model_map_t *map = st->map;
  int p = m->p;
  size_t S = st->n_seats, N = st->n_nations;
  size_t capn = 2 * S + 4 * N + 1;
  int64_t offered[NN] = {0}; /* a nation's stock already offered */
  m->parts = malloc(capn * sizeof *m->parts);
  if (!m->parts)
    return MODEL_ENOMEM;
  for (size_t s = 0; s < S; s++) {
    seat_t *se = &st->seats[s];
    bool firm = map->seats[s].kind == MODEL_SEAT_FIRM;
    int32_t nation = map->seats[s].nation;
    int32_t holder = firm ? (int32_t)s : (int32_t)(S + (size_t)nation);
    if (se->offer[p].qty > 0) {
      int64_t have = *inv_of(st, holder, p);
      int64_t q = se->offer[p].qty < have ? se->offer[p].qty : have;
      add_part(m, holder, nation, false, 0, se->offer[p].price, q);
      if (!firm)
        offered[nation] += q;
    }
    if (se->bid[p].qty > 0) {
      int64_t q = se->bid[p].qty;
      if (firm) {
        int64_t price = se->bid[p].price;
        int64_t afford = se->cash <= 0 ? 0 : price > 0 ? se->cash / price : q;
        if (afford < q)
          q = afford;
      }
      add_part(m, holder, nation, true, 0, se->bid[p].price, q);
    }
  }
  for (size_t n = 0; n < N; n++) {
    nation_t *na = &st->nations[n];
    int32_t holder = (int32_t)(S + n);
    if (na->pol.floor_qty[p] > 0)
      add_part(m, holder, (int32_t)n, true, 1, na->pol.floor_price[p],
               na->pol.floor_qty[p]);
    int64_t target = na->pol.stock_target[p];
    if (target >= 0) {
      int64_t ref = st->regional[p][n] > 0 ? st->regional[p][n] : st->price[p];
      int64_t gap = target - na->stock[p];
      int64_t most = ppm_of(target, map->stock_max_share);
      if (most < 1)
        most = target > 0 ? target : 1;
      if (gap > 0) {
        int64_t price = ref + ppm_of(ref, map->stock_premium);
        add_part(m, holder, (int32_t)n, true, 2, price > 0 ? price : 1,
                 gap < most ? gap : most);
      } else if (gap < 0) {
        int64_t price = ref - ppm_of(ref, map->stock_discount);
        int64_t q = -gap < most ? -gap : most;
        if (q > na->stock[p] - offered[n])
          q = na->stock[p] - offered[n];
        add_part(m, holder, (int32_t)n, false, 2, price, q);
      }
    }
  }
  return 0;
}

static int setup(mk_t *m) {
  model_state_t *st = m->st;
  const model_map_t *map = st->map;
  int p = m->p, n = (int)st->n_nations;
  m->n = n;
  int rc = gather(m);
  if (rc)
    return rc;
  /* split offers and bids, sort each by (nation, price, holder, seq) */
  size_t no = 0, nb = 0;
  for (size_t k = 0; k < m->n_parts; k++)
    m->parts[k].is_bid ? nb++ : no++;
  part_t *tmp = malloc((m->n_parts ? m->n_parts : 1) * sizeof *tmp);
  m->offers = malloc((no ? no : 1) * sizeof *m->offers);
  m->bids = malloc((nb ? nb : 1) * sizeof *m->bids);
  m->bprefix = malloc((nb + 1) * sizeof *m->bprefix);
  m->nd = calloc((size_t)n, sizeof *m->nd);
  if (!tmp || !m->offers || !m->bids || !m->bprefix || !m->nd) {
    free(tmp);
    return MODEL_ENOMEM;
  }
  /* offers first, then bids, each sorted; parts is rewritten in that order
   * so that indices are positions */
  size_t k2 = 0;
  for (size_t k = 0; k < m->n_parts; k++)
    if (!m->parts[k].is_bid)
      tmp[k2++] = m->parts[k];
  qsort(tmp, no, sizeof *tmp, by_offer);
  for (size_t k = 0; k < m->n_parts; k++)
    if (m->parts[k].is_bid)
      tmp[k2++] = m->parts[k];
  qsort(tmp + no, nb, sizeof *tmp, by_bid);
  memcpy(m->parts, tmp, m->n_parts * sizeof *tmp);
  free(tmp);
  m->n_offers = no;
  m->n_bids = nb;
  for (size_t k = 0; k < no; k++)
    m->offers[k] = k;
  m->bprefix[0] = 0;
  for (size_t k = 0; k < nb; k++) {
    m->bids[k] = no + k;
    m->bprefix[k + 1] = m->bprefix[k] + m->parts[no + k].qty;
  }
  size_t ko = 0, kb = 0;
  for (int i = 0; i < n; i++) {
    node_t *d = &m->nd[i];
    d->o_begin = ko;
    while (ko < no && m->parts[m->offers[ko]].nation == i) {
      d->offered += m->parts[m->offers[ko]].qty;
      ko++;
    }
    d->o_end = ko;
    d->cur = d->o_begin;
    step_load(m, d);
    if (d->step_left == 0)
      step_next(m, d);
    d->has_supply = d->offered > 0;
    d->b_begin = kb;
    while (kb < nb && m->parts[m->bids[kb]].nation == i)
      kb++;
    d->b_end = kb;
    const map_demand_t *md = &map->nations[i].demand[p];
    nation_t *na = &st->nations[i];
    if (md->present && na->demand_q0[p] > 0) {
      d->fd = true;
      d->q0 = na->demand_q0[p] + ppm_of(na->demand_q0[p], na->surge_ppm[p]);
      d->p0 = md->price;
      d->el = md->elasticity_ppm;
      d->maxp = md->max_price < PMAX - 1 ? md->max_price : PMAX - 1;
      d->slope_q32 = (int64_t)(((__int128)d->el * d->q0 << 32) /
                               ((__int128)d->p0 * MODEL_PPM));
    }
    d->has_demand = d->b_end > d->b_begin || (d->fd && fd_at(d, 1) > 0);
  }
  /* network */
  m->V = 1 + 3 * n;
  size_t maxarcs = (size_t)n * (size_t)n + 2 * (size_t)n + 1;
  m->arcs = calloc(maxarcs, sizeof *m->arcs);
  if (!m->arcs)
    return MODEL_ENOMEM;
  int64_t ref = st->price[p];
  for (int i = 0; i < n; i++) {
    const policies_t *pol = &st->nations[i].pol;
    node_t *s = &m->nd[i];
    if (!s->has_supply)
      continue;
    /* home market */
    if (m->nd[i].has_demand)
      m->arcs[m->n_arcs++] =
          (arc_t){S_(m, i), D_(m, i), INF_CAP, 0, 0, -1, -1, 0, 0};
    /* a cap on total exports: quota, ban or licence "to all" */
    int64_t hub = INF_CAP;
    if (pol->quota[p][ALL] >= 0)
      hub = pol->quota[p][ALL];
    if (pol->ban[p][ALL])
      hub = 0;
    if (pol->licence[p][ALL] < MODEL_PPM) {
      int64_t l = ppm_of(s->offered, pol->licence[p][ALL]);
      if (l < hub)
        hub = l;
    }
    int from = S_(m, i);
    if (hub < INF_CAP) {
      if (hub == 0)
        continue;
      m->arcs[m->n_arcs++] =
          (arc_t){S_(m, i), X_(m, i), hub, 0, 0, -1, -1, 0, 0};
      from = X_(m, i);
    }
    for (int j = 0; j < n; j++) {
      if (j == i || !m->nd[j].has_demand)
        continue;
      int64_t cap = INF_CAP;
      if (pol->quota[p][j] >= 0)
        cap = pol->quota[p][j];
      if (pol->ban[p][j])
        cap = 0;
      if (pol->licence[p][j] < MODEL_PPM) {
        int64_t l = ppm_of(s->offered, pol->licence[p][j]);
        if (l < cap)
          cap = l;
      }
      if (cap == 0)
        continue;
      const policies_t *imp = &st->nations[j].pol;
      int64_t rate =
          imp->tariff[p][i] ? imp->tariff[p][i] : imp->tariff[p][ALL];
      int64_t tariff = ppm_of(ref, rate);
      int64_t tr = map_transport(map, p, i, j);
      m->arcs[m->n_arcs++] =
          (arc_t){from, D_(m, j), cap, tr + tariff, 0, i, j, tr, tariff};
    }
  }
  assert(m->n_arcs <= maxarcs);
  /* adjacency (CSR) */
  int V = m->V;
  m->out_start = calloc((size_t)V + 1, sizeof *m->out_start);
  m->in_start = calloc((size_t)V + 1, sizeof *m->in_start);
  m->out_list = malloc((m->n_arcs ? m->n_arcs : 1) * sizeof *m->out_list);
  m->in_list = malloc((m->n_arcs ? m->n_arcs : 1) * sizeof *m->in_list);
  m->pot = calloc((size_t)V, sizeof *m->pot);
  m->dist = calloc((size_t)V, sizeof *m->dist);
  m->pred = calloc((size_t)V, sizeof *m->pred);
  m->done = calloc((size_t)V, sizeof *m->done);
  m->load_arc = calloc(m->n_arcs * 2 + 1, sizeof *m->load_arc);
  m->load_src = calloc((size_t)n, sizeof *m->load_src);
  m->touched = calloc(m->n_arcs * 2 + 1, sizeof *m->touched);
  if (!m->touched)
    return MODEL_ENOMEM;
  if (!m->out_start || !m->in_start || !m->out_list || !m->in_list || !m->pot ||
      !m->dist || !m->pred || !m->done || !m->load_arc || !m->load_src)
    return MODEL_ENOMEM;
  for (size_t k = 0; k < m->n_arcs; k++) {
    m->out_start[m->arcs[k].from + 1]++;
    m->in_start[m->arcs[k].to + 1]++;
  }
  for (int v = 0; v < V; v++) {
    m->out_start[v + 1] += m->out_start[v];
    m->in_start[v + 1] += m->in_start[v];
  }
  /* the nodes Dijkstra needs to scan: the source, sellers with offers, and
   * every node an arc touches (ascending, so ties settle by index) */
  m->active = calloc((size_t)V, sizeof *m->active);
  if (!m->active)
    return MODEL_ENOMEM;
  for (int v = 0; v < V; v++) {
    bool used = v == 0 || m->out_start[v + 1] > m->out_start[v] ||
                m->in_start[v + 1] > m->in_start[v] ||
                (v >= 1 && v <= n && m->nd[v - 1].has_supply);
    if (used)
      m->active[m->n_active++] = v;
  }
  int32_t *fo = calloc((size_t)V, sizeof *fo),
          *fi = calloc((size_t)V, sizeof *fi);
  if (!fo || !fi) {
    free(fo);
    free(fi);
    return MODEL_ENOMEM;
  }
  for (size_t k = 0; k < m->n_arcs; k++) {
    int u = m->arcs[k].from, v = m->arcs[k].to;
    m->out_list[m->out_start[u] + fo[u]++] = (int32_t)k;
    m->in_list[m->in_start[v] + fi[v]++] = (int32_t)k;
  }
  free(fo);
  free(fi);
  return 0;
}

static void mk_free(mk_t *m) {
  free(m->parts);
  free(m->offers);
  free(m->bids);
  free(m->bprefix);
  free(m->nd);
  free(m->arcs);
  free(m->out_start);
  free(m->in_start);
  free(m->out_list);
  free(m->in_list);
  free(m->pot);
  free(m->dist);
  free(m->pred);
  free(m->done);
  free(m->load_arc);
  free(m->load_src);
  free(m->touched);
  free(m->active);
}

/* Splits `total` kg over amounts a[0..k) pro rata (floor), then one kg each
 * in order to those with room until none is left. */
static void pro_rata(int64_t total, int64_t *const *a, const int64_t *amt,
                     size_t k) {
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
  int64_t *g = calloc(k, sizeof *g);
  for (size_t i = 0; i < k; i++) {
    int64_t x = mul_div(total, amt[i], sum);
    if (g)
      g[i] = x;
    *a[i] += x;
    given += x;
  }
  for (size_t i = 0; i < k && given < total; i++) {
    int64_t room = amt[i] - (g ? g[i] : 0);
    if (room > 0) {
      *a[i] += 1;
      given++;
    }
  }
  free(g);
}

/* Allocates node totals to participants, moves goods and money. */
static int settle(mk_t *m, const int64_t *ps, const int64_t *px,
                  const int64_t *pd) {
  model_state_t *st = m->st;
  int p = m->p, n = m->n;
  market_result_t *res = &st->market[p];
  int64_t fd_fill[NN] = {0};
  /* sellers */
  for (int i = 0; i < n; i++) {
    node_t *s = &m->nd[i];
    int64_t left = s->sold;
    size_t k = s->o_begin;
    while (k < s->o_end && left > 0) {
      size_t e = k;
      int64_t tot = 0;
      while (e < s->o_end &&
             m->parts[m->offers[e]].price == m->parts[m->offers[k]].price)
        tot += m->parts[m->offers[e++]].qty;
      int64_t take = left < tot ? left : tot;
      size_t cnt = e - k;
      int64_t **ptrs = malloc(cnt * sizeof *ptrs);
      int64_t *amts = malloc(cnt * sizeof *amts);
      if (!ptrs || !amts) {
        free(ptrs);
        free(amts);
        return MODEL_ENOMEM;
      }
      for (size_t q = 0; q < cnt; q++) {
        ptrs[q] = &m->parts[m->offers[k + q]].fill;
        amts[q] = m->parts[m->offers[k + q]].qty;
      }
      pro_rata(take, ptrs, amts, cnt);
      free(ptrs);
      free(amts);
      left -= take;
      k = e;
    }
  }
  /* buyers */
  for (int j = 0; j < n; j++) {
    node_t *d = &m->nd[j];
    if (d->filled <= 0)
      continue;
    int64_t v = dem_top(m, d, d->filled, false);
    int64_t above = dem_at(m, d, v + 1);
    int64_t fd_above = fd_at(d, v + 1);
    fd_fill[j] = fd_above;
    size_t k = d->b_begin;
    for (; k < d->b_end && m->parts[m->bids[k]].price > v; k++)
      m->parts[m->bids[k]].fill = m->parts[m->bids[k]].qty;
    size_t e = k;
    while (e < d->b_end && m->parts[m->bids[e]].price == v)
      e++;
    size_t cnt = 1 + (e - k);
    int64_t **ptrs = malloc(cnt * sizeof *ptrs);
    int64_t *amts = malloc(cnt * sizeof *amts);
    if (!ptrs || !amts) {
      free(ptrs);
      free(amts);
      return MODEL_ENOMEM;
    }
    ptrs[0] = &fd_fill[j];
    amts[0] = fd_at(d, v) - fd_above;
    for (size_t q = 0; q < e - k; q++) {
      ptrs[1 + q] = &m->parts[m->bids[k + q]].fill;
      amts[1 + q] = m->parts[m->bids[k + q]].qty;
    }
    pro_rata(d->filled - above, ptrs, amts, cnt);
    free(ptrs);
    free(amts);
  }
  /* goods and money of participants */
  int64_t pool_el[NN][2];
  memset(pool_el, 0, sizeof pool_el);
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
    int64_t price = pt->is_bid ? pd[pt->nation] : ps[pt->nation];
    res->trades[res->n_trades++] =
        (model_trade_t){pt->holder, pt->nation, pt->is_bid, pt->price,
                        pt->qty,    pt->fill,   price};
    if (pt->fill <= 0)
      continue;
    int64_t money = mul_div(pt->fill, price, 1);
    model_holder_flows_t *fl = flows_of(st, pt->holder);
    int64_t *inv = inv_of(st, pt->holder, p);
    if (pt->is_bid) {
      *money_of(st, pt->holder) -= money;
      fl->money_out += money;
      fl->bought[p] += pt->fill;
      *inv += pt->fill;
      paid += money;
      if ((size_t)pt->holder < st->n_seats)
        st->seats[pt->holder].costs += money;
    } else {
      if (p == MODEL_CONCENTRATE) {
        /* the seller's elements leave pro rata, into the nation's pool */
        int64_t *el = el_of(st, pt->holder);
        for (int q = 0; q < 2; q++) {
          int64_t x = *inv > 0 ? mul_div(el[q], pt->fill, *inv) : 0;
          el[q] -= x;
          pool_el[pt->nation][q] += x;
        }
      }
      *money_of(st, pt->holder) += money;
      fl->money_in += money;
      fl->sold[p] += pt->fill;
      *inv -= pt->fill;
      received += money;
      if ((size_t)pt->holder < st->n_seats)
        st->seats[pt->holder].revenue += money;
    }
  }
  /* final demand: a source of money, a sink of goods */
  for (int j = 0; j < n; j++) {
    if (fd_fill[j] <= 0)
      continue;
    int64_t money = mul_div(fd_fill[j], pd[j], 1);
    fd_paid += money;
    st->nations[j].consumed[p] = fd_fill[j];
    st->report.money_sources += money;
    st->report.consumed[p] += fd_fill[j];
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
  int64_t in_el[NN][2];
  int64_t into[NN];
  memset(in_el, 0, sizeof in_el);
  memset(into, 0, sizeof into);
  /* elements leave each exporter's pool pro rata to its outflows */
  int64_t out_total[NN] = {0};
  for (size_t k = 0; k < m->n_arcs; k++) {
    const arc_t *a = &m->arcs[k];
    if (a->to > 2 * n) /* into a demand node */
      out_total[a->pi >= 0 ? a->pi : a->from - 1] += a->flow;
  }
  int64_t out_done[NN] = {0}, el_done[NN][2];
  memset(el_done, 0, sizeof el_done);
  for (size_t k = 0; k < m->n_arcs; k++) {
    const arc_t *a = &m->arcs[k];
    int64_t hp, tp;
    int exporter;
    if (a->to == X_(m, a->from - 1) && a->from <= n) {
      /* s_i -> x_i: the rent between seller and hub prices */
      exporter = a->from - 1;
      hp = px[exporter];
      tp = ps[exporter];
      int64_t r = mul_div(a->flow, hp - tp, 1);
      rents += r;
      st->nations[exporter].budget += r;
      st->nations[exporter].flows.money_in += r;
      continue;
    }
    int j = a->to - 1 - 2 * n;
    exporter = a->pi >= 0 ? a->pi : a->from - 1;
    tp = a->from <= n ? ps[exporter] : px[exporter];
    hp = pd[j];
    if (a->flow > 0) {
      int64_t tr = mul_div(a->flow, a->transport, 1);
      int64_t ta = mul_div(a->flow, a->tariff, 1);
      int64_t r = mul_div(a->flow, hp - tp - a->cost, 1);
      assert(hp - tp - a->cost >= 0);
      transport += tr;
      tariffs += ta;
      rents += r;
      st->nations[j].budget += ta;
      st->nations[j].flows.money_in += ta;
      st->nations[exporter].budget += r;
      st->nations[exporter].flows.money_in += r;
      into[j] += a->flow;
      bool own = exporter == j || (st->map->nations[j].allies >> exporter & 1);
      if (own)
        st->nations[j].own_supply[p] += a->flow;
      if (p == MODEL_CONCENTRATE) {
        out_done[exporter] += a->flow;
        for (int q = 0; q < 2; q++) {
          /* the last arc out of a pool takes what is left, so no kg of an
           * element is lost to rounding */
          int64_t x =
              out_done[exporter] == out_total[exporter]
                  ? pool_el[exporter][q] - el_done[exporter][q]
                  : mul_div(pool_el[exporter][q], a->flow, out_total[exporter]);
          el_done[exporter][q] += x;
          in_el[j][q] += x;
        }
      }
    }
    if (a->pi >= 0) {
      /* an export through a hub is capped when the hub's arc is full */
      bool capped = a->flow >= a->cap;
      if (a->from > n)
        for (size_t h = 0; h < m->n_arcs; h++)
          if (m->arcs[h].to == a->from && m->arcs[h].flow >= m->arcs[h].cap)
            capped = true;
      res->flows[res->n_flows++] = (model_flow_t){
          a->pi,        a->pj,     a->flow, a->cap >= INF_CAP ? -1 : a->cap,
          a->transport, a->tariff, false,   capped};
    }
  }
  st->report.money_sinks += transport;
  /* elements arriving at each demand node go to its buyers pro rata to
   * their purchases; final demand takes its share out of the world */
  if (p == MODEL_CONCENTRATE) {
    for (int j = 0; j < n; j++) {
      if (into[j] <= 0)
        continue;
      int64_t got[2] = {0, 0};
      int64_t last_holder = -1;
      for (size_t k = 0; k < m->n_parts; k++) {
        part_t *pt = &m->parts[k];
        if (!pt->is_bid || pt->nation != j || pt->fill <= 0)
          continue;
        int64_t *el = el_of(st, pt->holder);
        for (int q = 0; q < 2; q++) {
          int64_t x = mul_div(in_el[j][q], pt->fill, into[j]);
          el[q] += x;
          got[q] += x;
        }
        last_holder = pt->holder;
      }
      /* rounding remainders go to the last buyer unless final demand took
       * part (then they leave with the consumed concentrate) */
      if (last_holder >= 0 && fd_fill[j] == 0)
        for (int q = 0; q < 2; q++)
          el_of(st, (int32_t)last_holder)[q] += in_el[j][q] - got[q];
    }
  }
  /* the books of this market must balance to the cent */
  assert(paid + fd_paid == received + transport + tariffs + rents);
  (void)tariffs;
  for (int j = 0; j < n; j++)
    st->nations[j].bought[p] = m->nd[j].filled;
  return 0;
}

int market_clear(model_state_t *st, int p) {
  mk_t m;
  memset(&m, 0, sizeof m);
  m.st = st;
  m.p = p;
  int rc = setup(&m);
  if (rc)
    goto out;
  solve(&m);
  int64_t ps[NN], px[NN], pd[NN];
  if ((rc = compute_prices(&m, ps, px, pd)))
    goto out;
  if ((rc = settle(&m, ps, px, pd)))
    goto out;
  int64_t vol = 0;
  __int128 val = 0;
  for (int j = 0; j < m.n; j++) {
    st->regional[p][j] = pd[j];
    st->market[p].seller_price[j] = ps[j];
    st->market[p].buyer_price[j] = pd[j];
    vol += m.nd[j].filled;
    val += (__int128)m.nd[j].filled * pd[j];
  }
  st->volume[p] = vol;
  if (vol > 0)
    st->price[p] = (int64_t)(val / vol);
out:
  mk_free(&m);
  return rc;
}

void market_free(model_state_t *st) {
  for (int p = 0; p < NP; p++) {
    free(st->market[p].trades);
    free(st->market[p].flows);
    st->market[p].trades = NULL;
    st->market[p].flows = NULL;
    st->market[p].n_trades = st->market[p].cap_trades = 0;
    st->market[p].n_flows = st->market[p].cap_flows = 0;
  }
}
