/* test_observe_private.c: an observation never holds another seat's
 * private data, and closed information (issue 13) hides what a map says
 * it hides.
 *
 * The property (issue 13, "Done when"): over random games (random seeds,
 * a random number of turns played by the built-in agents, whose orders are
 * legal and varied), on world-2024 and on a map with closed information
 * (tests/control/closed-info.json), for every seat S and every other seat
 * T, S's observation does not change when only T's private state changes.
 * "Does not change" is checked on the bytes S would receive: the whole
 * observation packed for the wire (proto_pack_obs_pairs), so a field a
 * future change adds is covered without touching this test. T's private
 * state is what no rule publishes: a firm's cash, inventory, staff, people
 * in training, the utilisation of its plants, its pending orders and its
 * standing offers and bids; a nation's budget, stockpile and pending
 * orders, and its policies of the kinds the map leaves unpublished; and
 * the terms of the contracts T holds with anyone but S. Three things are
 * public by the model's rules and therefore not perturbed: capacity and
 * production (announced), a nation's talent pool (the pool its home firms
 * hire from, in their observations by design) and the scores.
 *
 * Closed information itself: another nation's unpublished export quota is
 * absent from every other seat's public policies, present in the nation's
 * own `you.policies` and in the ground truth (model_observe_truth); the
 * estimates of capacity under construction are within the map's error,
 * the same for the same request, flagged as estimates, and exact in the
 * truth.
 */
#include "model_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.h"
#include "proto.h"
#include "proto_types.h"

#ifndef LAN_SOURCE_DIR
#error "LAN_SOURCE_DIR must name the source tree"
#endif

static model_map_t *load(const char *rel) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", LAN_SOURCE_DIR, rel);
  model_map_t *m = NULL;
  model_error_t e;
  if (model_map_load_file(path, &m, &e) != 0)
    fail_msg("%s:%d:%d: %s", e.file, e.line, e.column, e.message);
  return m;
}

static uint64_t rnd(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

/* S's observation as the bytes of the wire. */
static void pack(const model_state_t *st, int seat, proto_buf_t *b) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, seat, &o), 0);
  proto_buf_init(b);
  msgpack_packer pk;
  proto_packer_init(&pk, b);
  msgpack_pack_map(&pk, PROTO_OBS_PAIRS);
  assert_int_equal(proto_pack_obs_pairs(&pk, o), 0);
  assert_false(proto_buf_failed(b));
  model_obs_free(o);
}

/* Every seat plays a random built-in strategy for one turn. */
static void play_turn(model_state_t *st, uint64_t *r) {
  const model_map_t *m = st->map;
  for (size_t s = 0; s < m->n_seats; s++) {
    const agent_strategy_t *strat = NULL;
    for (int tries = 0; tries < 16 && !strat; tries++) {
      const agent_strategy_t *c =
          agent_strategy_at(rnd(r) % agent_strategy_count());
      if (agent_strategy_plays(c, m->seats[s].kind))
        strat = c;
    }
    if (!strat)
      continue;
    agent_t *a = agent_new(strat, rnd(r));
    assert_non_null(a);
    model_obs_t *o;
    assert_int_equal(model_observe(st, (int)s, &o), 0);
    model_order_t orders[MODEL_ORDERS_MAX];
    size_t n = 0, nref = 0;
    assert_int_equal(agent_act(a, o, orders, MODEL_ORDERS_MAX, &n), 0);
    /* now and then a contract offered to another seat, so that the
     * states checked hold contracts between others */
    if (n < MODEL_ORDERS_MAX && rnd(r) % 2) {
      model_order_t *c = &orders[n++];
      memset(c, 0, sizeof *c);
      c->op = MODEL_OP_CONTRACT_PROPOSE;
      snprintf(c->contract, sizeof c->contract, "c%d-%zu", st->turn, s);
      snprintf(c->seat, sizeof c->seat, "%s",
               m->seats[(s + 1 + rnd(r) % (m->n_seats - 1)) % m->n_seats].id);
      c->product = (int32_t)(rnd(r) % NP);
      c->quantity_kg = 1000 + (int64_t)(rnd(r) % 100000);
      c->price_cents_per_kg = 100 + (int64_t)(rnd(r) % 10000);
      c->turns = 1 + (int64_t)(rnd(r) % 8);
    }
    model_refusal_t ref[MODEL_ORDERS_MAX];
    assert_int_equal(
        model_submit(st, (int)s, orders, n, ref, MODEL_ORDERS_MAX, &nref), 0);
    model_obs_free(o);
    agent_free(a);
  }
  int rc = model_resolve(st);
  /* A refused turn (MODEL_ERANGE) leaves the state as it was: the
   * property holds of that state as of any other. */
  assert_true(rc == 0 || rc == MODEL_ERANGE);
}

/* Change T's private state in st (see the file's comment); `s` is the
 * seat whose view is compared, whose contracts with T stay as they are. */
static void perturb(model_state_t *st, int t, int s, uint64_t *r) {
  const model_map_t *m = st->map;
  seat_t *se = &st->seats[t];
  int64_t d = 1 + (int64_t)(rnd(r) % 100000);
  /* pending orders: one the seat could give */
  model_order_t o;
  memset(&o, 0, sizeof o);
  size_t nref = 0;
  if (m->seats[t].kind == MODEL_SEAT_FIRM) {
    se->cash += d * 100;
    for (int p = 0; p < NP; p++)
      se->inv[p] += d + p;
    for (int k = 0; k < NS; k++) {
      se->staff[k] += d % 97 + k;
      se->pipeline[k][0] += d % 13;
    }
    for (int32_t f = se->first_fac; f >= 0; f = st->fac[f].next_of_owner)
      st->fac[f].util = (int64_t)(rnd(r) % (MODEL_PPM + 1));
    for (int p = 0; p < NP; p++) {
      se->offer[p].qty += d;
      se->bid[p].price += d % 500;
    }
    o.op = MODEL_OP_OFFER;
    o.product = (int32_t)(rnd(r) % NP);
    o.quantity_kg = d * 1000;
    o.price_cents_per_kg = 1000 + d % 5000;
  } else {
    nation_t *na = &st->nations[m->seats[t].nation];
    na->budget += d * 100;
    for (int p = 0; p < NP; p++)
      na->stock[p] += d + p;
    uint32_t un = m->unpublished ? m->unpublished[m->seats[t].nation] : 0;
    for (int q = 0; q < NP; q++)
      if (un >> MODEL_POL_EXPORT_QUOTA & 1)
        na->pol.quota[q][NN] = d * 1000 + q;
    for (int k = 0; k < NS; k++)
      if (un >> MODEL_POL_PRODUCTION_QUOTA & 1)
        na->pol.prod_quota[k] = d * 2000 + k;
    o.op = MODEL_OP_POLICY;
    o.kind = MODEL_POL_TAX;
    o.rate_ppm = (int64_t)(rnd(r) % 500000);
  }
  assert_int_equal(model_submit(st, t, &o, 1, NULL, 0, &nref), 0);
  /* contracts T holds with anyone but S */
  model_ext_t *x = st->ext;
  for (size_t k = 0; x && k < x->n_contracts; k++) {
    contract_t *c = &x->contracts[k];
    if ((c->seller == t || c->buyer == t) && c->seller != s && c->buyer != s) {
      c->qty += d;
      c->price += d % 100;
      c->delivered_last += d;
    }
  }
}

/* The property on one state: every ordered pair (S, T), S != T. */
static void check_state(const model_state_t *st, uint64_t *r,
                        const char *where) {
  size_t n = st->map->n_seats;
  proto_buf_t *before = calloc(n, sizeof *before);
  assert_non_null(before);
  for (size_t s = 0; s < n; s++)
    pack(st, (int)s, &before[s]);
  for (size_t t = 0; t < n; t++) {
    for (size_t s = 0; s < n; s++) {
      if (s == t)
        continue;
      model_state_t *b;
      assert_int_equal(model_state_clone(st, &b), 0);
      perturb(b, (int)t, (int)s, r);
      proto_buf_t after;
      pack(b, (int)s, &after);
      if (after.len != before[s].len ||
          memcmp(after.data, before[s].data, after.len) != 0)
        fail_msg("%s: seat %s's observation changed when only seat %s's "
                 "private state did",
                 where, st->map->seats[s].id, st->map->seats[t].id);
      proto_buf_free(&after);
      model_state_free(b);
    }
  }
  for (size_t s = 0; s < n; s++)
    proto_buf_free(&before[s]);
  free(before);
}

/* Contracts (and open proposals) in the states checked, all games. */
static size_t contracts_seen;

static void property(const char *rel, int games, int max_turns) {
  model_map_t *m = load(rel);
  uint64_t r = 0x13c0ffee ^ (uint64_t)games;
  for (int g = 0; g < games; g++) {
    uint64_t seed = rnd(&r);
    model_state_t *st;
    assert_int_equal(model_state_new(m, seed, &st), 0);
    int turns = (int)(rnd(&r) % (uint64_t)(max_turns + 1));
    for (int k = 0; k < turns; k++)
      play_turn(st, &r);
    /* the open turn's orders are part of the private state too */
    char where[128];
    snprintf(where, sizeof where, "%s, seed %llu, turn %d", rel,
             (unsigned long long)seed, st->turn);
    check_state(st, &r, where);
    contracts_seen += st->ext ? st->ext->n_contracts : 0;
    model_state_free(st);
  }
  model_map_free(m);
}

static void test_private_closed_info(void **state) {
  (void)state;
  contracts_seen = 0;
  property("tests/control/closed-info.json", 24, 6);
  /* the perturbation of contracts between others was exercised */
  assert_true(contracts_seen > 0);
}

static void test_private_world2024(void **state) {
  (void)state;
  property("maps/world-2024.json", 6, 3);
}

/* A build in each nation that is under construction for several turns:
 * each firm orders the largest greenfield plant it can afford of the
 * stage it has staff for. */
static void build_everywhere(model_state_t *st) {
  const model_map_t *m = st->map;
  for (size_t s = 0; s < m->n_seats; s++) {
    if (m->seats[s].kind != MODEL_SEAT_FIRM)
      continue;
    model_obs_t *o;
    assert_int_equal(model_observe(st, (int)s, &o), 0);
    if (o->n_facilities == 0) {
      model_obs_free(o);
      continue;
    }
    model_order_t b;
    memset(&b, 0, sizeof b);
    b.op = MODEL_OP_BUILD;
    b.stage = o->facilities[0].stage;
    b.capacity_kg_per_year = 1000000; /* 1,000 t/yr */
    snprintf(b.site, sizeof b.site, "%s", o->facilities[0].site);
    size_t nref = 0;
    assert_int_equal(model_submit(st, (int)s, &b, 1, NULL, 0, &nref), 0);
    model_obs_free(o);
  }
  assert_int_equal(model_resolve(st), 0);
}

static bool has_quota(const model_obs_t *o, int nation) {
  for (size_t i = 0; i < o->n_public_policies; i++)
    if (o->public_policies[i].nation == nation &&
        o->public_policies[i].policy.kind == MODEL_POL_EXPORT_QUOTA)
      return true;
  return false;
}

static void test_closed_information(void **state) {
  (void)state;
  model_map_t *m = load("tests/control/closed-info.json");
  int chn_n = model_nation_index(m, "CHN");
  int chn = model_map_seat_index(m, "CHN");
  assert_true(chn_n >= 0 && chn >= 0);
  assert_true(m->info);
  int64_t err = m->construction_error_ppm;
  assert_int_equal(err, 250000);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 77, &st), 0);
  build_everywhere(st);
  size_t N = st->n_nations;
  bool some_off = false;
  for (size_t s = 0; s < m->n_seats; s++) {
    model_obs_t *o, *again, *truth;
    assert_int_equal(model_observe(st, (int)s, &o), 0);
    assert_int_equal(model_observe(st, (int)s, &again), 0);
    assert_int_equal(model_observe_truth(st, (int)s, &truth), 0);
    assert_true(o->closed_info && truth->closed_info);
    /* China's export quota: in its own policies, nowhere public, and in
     * the truth of every seat */
    assert_false(has_quota(o, chn_n));
    assert_true(has_quota(truth, chn_n));
    assert_true(o->unpublished[chn_n] >> MODEL_POL_EXPORT_QUOTA & 1);
    if ((int)s == chn) {
      bool own = false;
      for (size_t i = 0; i < o->n_policies; i++)
        own |= o->policies[i].kind == MODEL_POL_EXPORT_QUOTA;
      assert_true(own);
    }
    /* China's published policy (its tax) stays public */
    bool tax = false;
    for (size_t i = 0; i < o->n_public_policies; i++)
      tax |= o->public_policies[i].nation == chn_n &&
             o->public_policies[i].policy.kind == MODEL_POL_TAX;
    assert_true(tax);
    /* estimates: deterministic, bounded by the map's error on the part
     * under construction, flagged; exact at home and in the truth */
    int home = m->seats[s].nation;
    for (int k = 0; k < NS; k++)
      for (size_t n = 0; n < N; n++) {
        size_t at = (size_t)k * N + n;
        int64_t building = 0, exact = 0;
        for (size_t f = 0; f < st->n_fac; f++) {
          const facility_t *fa = &st->fac[f];
          if (fa->stage != k || (size_t)fa->nation != n)
            continue;
          exact += fa->capacity + fa->exp_cap;
          building += (fa->build_left > 0 ? fa->capacity : 0) +
                      (fa->exp_left > 0 ? fa->exp_cap : 0);
        }
        assert_int_equal(truth->capacity[at], exact);
        assert_int_equal(o->capacity[at], again->capacity[at]);
        assert_int_equal(o->capacity_estimated[at], (int)n != home);
        assert_int_equal(truth->capacity_estimated[at], (int)n != home);
        int64_t off = o->capacity[at] - exact;
        if ((int)n == home)
          assert_int_equal(off, 0);
        else
          assert_true((off < 0 ? -off : off) <= building * err / MODEL_PPM);
        some_off |= off != 0;
      }
    model_obs_free(o);
    model_obs_free(again);
    model_obs_free(truth);
  }
  /* with construction under way somewhere, some estimate is off */
  assert_true(some_off);
  /* the outsider's public view: every nation estimated, quota hidden */
  model_obs_t *pub;
  assert_int_equal(model_observe_public(st, &pub), 0);
  assert_false(has_quota(pub, chn_n));
  for (size_t i = 0; i < (size_t)NS * N; i++)
    assert_true(pub->capacity_estimated[i]);
  model_obs_free(pub);
  model_state_free(st);
  model_map_free(m);
}

/* Without "information" nothing changes: the truth equals the view, and
 * nothing is flagged (world-2024, after some turns with construction). */
static void test_open_map_truth_equals_view(void **state) {
  (void)state;
  model_map_t *m = load("maps/classroom.json");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 5, &st), 0);
  build_everywhere(st);
  for (size_t s = 0; s < m->n_seats; s++) {
    model_obs_t *o, *t;
    assert_int_equal(model_observe(st, (int)s, &o), 0);
    assert_int_equal(model_observe_truth(st, (int)s, &t), 0);
    assert_false(o->closed_info);
    assert_null(o->capacity_estimated);
    proto_buf_t a, b;
    proto_buf_init(&a);
    proto_buf_init(&b);
    msgpack_packer pa, pb;
    proto_packer_init(&pa, &a);
    proto_packer_init(&pb, &b);
    assert_int_equal(proto_pack_obs_public(&pa, o), 0);
    assert_int_equal(proto_pack_obs_public(&pb, t), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    proto_buf_free(&a);
    proto_buf_free(&b);
    model_obs_free(o);
    model_obs_free(t);
  }
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_closed_information),
      cmocka_unit_test(test_open_map_truth_equals_view),
      cmocka_unit_test(test_private_closed_info),
      cmocka_unit_test(test_private_world2024),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
