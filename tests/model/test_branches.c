/* test_branches.c: building abroad with branches (issue 11,
 * docs/design/model-v2.md I4; docs/model.md "Branches abroad"). On
 * classroom with parameters.branches: a firm builds a magnet plant abroad
 * under the host's lead times and subsidy; the plant staffs itself from the
 * host's pool, its output sits in the firm's branch there and sells in the
 * host's market; a transfer moves concentrate between two of a firm's
 * locations, paying transport and the importer's tariff, and an export ban
 * excuses it; the home's technology ban and the host's investment screen
 * refuse the build; a subsidy with foreign false pays home firms only; every
 * turn keeps DOMAIN.md's balances with the branch holders counted; the state
 * survives serialisation; a map without branches keeps its bytes. Also
 * firm-owned deposits (deposits[].owner): only the owner may open a mine
 * there. */
#define _GNU_SOURCE /* memmem */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* classroom with "branches": true in its parameters. */
static model_map_t *branch_map(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/classroom.json", LAN_SOURCE_MAPS);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char text[1 << 20], out[(1 << 20) + 512];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  const char *at = strstr(text, "\"parameters\": {");
  assert_non_null(at);
  size_t head = (size_t)(at - text) + strlen("\"parameters\": {");
  snprintf(out, sizeof out, "%.*s\"branches\": true, %s", (int)head, text,
           text + head);
  model_map_t *m;
  model_error_t err;
  if (model_map_load_string(out, strlen(out), "classroom+branches", &m, &err) !=
      0)
    fail_msg("%s:%d:%d: %s", err.file, err.line, err.column, err.message);
  return m;
}

static int nation_of(const model_map_t *m, const char *id) {
  for (size_t n = 0; n < model_map_nation_count(m); n++)
    if (strcmp(model_map_nation_id(m, n), id) == 0)
      return (int)n;
  fail_msg("no nation %s", id);
  return -1;
}

static model_order_t pol(model_policy_kind_t k) {
  model_order_t x = helper_order(MODEL_OP_POLICY);
  x.kind = k;
  strcpy(x.partner, "all");
  return x;
}

static model_order_t build(int stage, int64_t kg, const char *host) {
  model_order_t b = helper_order(MODEL_OP_BUILD);
  b.stage = stage;
  b.capacity_kg_per_year = kg;
  if (host)
    strcpy(b.host, host);
  return b;
}

static model_order_t trade(model_op_t op, int p, int64_t kg, int64_t cents,
                           const char *nation) {
  model_order_t o = helper_order(op);
  o.product = p;
  o.quantity_kg = kg;
  o.price_cents_per_kg = cents;
  if (nation)
    strcpy(o.host, nation);
  return o;
}

static model_order_t transfer(int p, int64_t kg, const char *from,
                              const char *to) {
  model_order_t o = helper_order(MODEL_OP_TRANSFER);
  o.product = p;
  o.quantity_kg = kg;
  strcpy(o.origin, from);
  strcpy(o.host, to);
  return o;
}

/* Submits a seat's orders for the turn (all or nothing). */
static void submit(model_state_t *st, int s, const model_order_t *o, size_t n) {
  model_refusal_t r;
  size_t k = 9;
  assert_int_equal(model_submit(st, s, o, n, &r, 1, &k), 0);
  if (k)
    fail_msg("%s refused: %s: %s", model_op_name(o[r.index].op), r.field,
             r.message);
}

static const model_obs_facility_t *facility_in(const model_obs_t *o,
                                               const char *nation, int stage) {
  for (size_t k = 0; k < o->n_facilities; k++)
    if (strcmp(o->facilities[k].nation, nation) == 0 &&
        o->facilities[k].stage == stage)
      return &o->facilities[k];
  return NULL;
}

static const model_obs_branch_t *branch_in(const model_obs_t *o,
                                           const char *nation) {
  for (size_t k = 0; o->has_branches && k < o->n_branches; k++)
    if (strcmp(o->branches[k].nation, nation) == 0)
      return &o->branches[k];
  return NULL;
}

/* A magnet plant abroad: host lead times and subsidy, host staff, output
 * in the branch, sold in the host's market. */
static void test_magnet_plant_abroad(void **state) {
  (void)state;
  model_map_t *m = branch_map();
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int usa = helper_seat(m, "USA"), em = helper_seat(m, "euro_magnets"),
      mm = helper_seat(m, "mountain_minerals");
  int usa_n = nation_of(m, "USA");
  size_t S = model_map_seat_count(m), N = model_map_nation_count(m);
  /* the USA pays half of the capital cost of magnet plants */
  model_order_t sub = pol(MODEL_POL_SUBSIDY);
  sub.stage = MODEL_MAGNETS;
  sub.capex_share_ppm = 500000;
  helper_submit1(st, usa, sub);
  helper_resolve_clean(st);
  /* before any build, euro_magnets has no branch: an offer there is
   * refused with what would be right */
  helper_refused(st, em, trade(MODEL_OP_OFFER, MODEL_MAGNET, 1000, 5000, "USA"),
                 "nation", "build with nation USA");
  model_state_t *plain;
  assert_int_equal(model_state_clone(st, &plain), 0);
  /* euro_magnets builds 1,000 t/yr in the USA; a US firm builds the same
   * plant at home in both games (the yardstick of US lead times) */
  helper_submit1(st, em, build(MODEL_MAGNETS, 1000000, "USA"));
  helper_submit1(st, mm, build(MODEL_MAGNETS, 1000000, NULL));
  helper_submit1(plain, mm, build(MODEL_MAGNETS, 1000000, NULL));
  helper_resolve_clean(st);
  helper_resolve_clean(plain);
  assert_int_equal(model_state_holder_count(st), S + N + 1);
  assert_int_equal(model_state_holder_count(plain), S + N);
  model_obs_t *o, *y;
  assert_int_equal(model_observe(st, em, &o), 0);
  assert_int_equal(model_observe(st, mm, &y), 0);
  const model_obs_facility_t *abroad = facility_in(o, "USA", MODEL_MAGNETS),
                             *home = facility_in(y, "USA", MODEL_MAGNETS);
  assert_non_null(abroad);
  assert_non_null(home);
  assert_int_equal(abroad->status, MODEL_FAC_BUILDING);
  /* the host's permits and construction: as a US firm's plant at home */
  assert_int_equal(abroad->turns_left, home->turns_left);
  assert_int_equal(abroad->permit_turns_left, home->permit_turns_left);
  printf("  a magnet plant in the USA: %d turns left, %d of them permits\n",
         (int)abroad->turns_left, (int)abroad->permit_turns_left);
  /* the branch opened with the build */
  assert_true(o->has_branches);
  assert_int_equal(o->n_branches, 1);
  assert_non_null(branch_in(o, "USA"));
  int64_t capex = o->rules.capex_cents_per_kg_year[MODEL_MAGNETS] * 1000000;
  capex = capex *
          o->capex_factor_ppm[MODEL_MAGNETS * o->n_nations + (size_t)usa_n] /
          1000000;
  model_obs_free(o);
  model_obs_free(y);
  /* the host paid half of the capital cost, the firm the other half */
  model_holder_flows_t a, p;
  size_t usa_h = S + (size_t)usa_n;
  assert_int_equal(model_state_holder_flows(st, usa_h, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, usa_h, &p), 0);
  assert_int_equal(a.money_out - p.money_out, capex / 2);
  assert_int_equal(model_state_holder_flows(st, (size_t)em, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, (size_t)em, &p), 0);
  assert_int_equal(a.money_out - p.money_out, capex - capex / 2);
  /* the branch buys its oxides in the US market and offers its magnets
   * there */
  model_order_t orders[3] = {
      trade(MODEL_OP_BID, MODEL_NDPR, 100000, 20000, "USA"),
      trade(MODEL_OP_BID, MODEL_DYTB, 5000, 90000, "USA"),
      trade(MODEL_OP_OFFER, MODEL_MAGNET, 1000000, 100, "USA")};
  submit(st, em, orders, 3);
  int64_t home_staff = 0;
  assert_int_equal(model_observe(st, em, &o), 0);
  home_staff = o->staff[MODEL_MAGNETS];
  model_obs_free(o);
  int64_t staff = 0, sold = 0, made = 0, tax = 0;
  for (int t = 0; t < 24 && sold == 0; t++) {
    helper_resolve_clean(st);
    helper_resolve_clean(plain);
    assert_int_equal(model_observe(st, em, &o), 0);
    const model_obs_facility_t *f = facility_in(o, "USA", MODEL_MAGNETS);
    const model_obs_branch_t *b = branch_in(o, "USA");
    if (f->status == MODEL_FAC_OPERATING && staff == 0 && f->staff > 0) {
      /* its staff came from the US pool; the branch reports them */
      staff = f->staff;
      assert_int_equal(b->staff[MODEL_MAGNETS], staff);
      assert_int_equal(o->staff[MODEL_MAGNETS], home_staff);
      /* a nation's staff in its observation: its pool */
      model_obs_t *u, *v;
      assert_int_equal(model_observe(st, usa, &u), 0);
      assert_int_equal(model_observe(plain, usa, &v), 0);
      printf("  staffed: %lld people; the US pool holds %lld, %lld without "
             "the plant\n",
             (long long)staff, (long long)u->staff[MODEL_MAGNETS],
             (long long)v->staff[MODEL_MAGNETS]);
      assert_true(v->staff[MODEL_MAGNETS] - u->staff[MODEL_MAGNETS] >=
                  staff * 9 / 10);
      model_obs_free(u);
      model_obs_free(v);
    }
    made += f->output_kg;
    tax += b->tax_cents;

    /* the magnets it made sold in the US market from the branch (its
     * holder is S + N + 0), never from the firm's home stock */
    const model_trade_t *tr;
    size_t nt = model_last_trades(st, MODEL_MAGNET, &tr);
    for (size_t k = 0; k < nt; k++)
      if (!tr[k].is_bid && (size_t)tr[k].holder == S + N) {
        assert_int_equal(tr[k].nation, usa_n);
        sold += tr[k].filled_kg;
      }
    model_obs_free(o);
  }
  printf("  the branch made %lld kg of magnets and sold %lld kg in the USA; "
         "%.2f USD of profit tax to the USA\n",
         (long long)made, (long long)sold, tax / 100.0);
  assert_true(staff > 0);
  assert_true(made > 0);
  assert_true(sold > 0);
  /* with its bids withdrawn the branch sells from stock at a profit,
   * which the USA taxes */
  model_order_t stop[2] = {trade(MODEL_OP_BID, MODEL_NDPR, 0, 0, "USA"),
                           trade(MODEL_OP_BID, MODEL_DYTB, 0, 0, "USA")};
  submit(st, em, stop, 2);
  tax = 0;
  for (int t = 0; t < 2; t++) {
    helper_resolve_clean(st);
    helper_resolve_clean(plain);
    assert_int_equal(model_observe(st, em, &o), 0);
    tax += branch_in(o, "USA")->tax_cents;
    model_obs_free(o);
  }
  printf("  then %.2f USD of profit tax paid to the USA\n", tax / 100.0);
  assert_true(tax > 0);
  /* its oxides and magnets are in the branch's accounts, not the firm's:
   * the branch holder's flows say what it made */
  assert_int_equal(model_state_holder_flows(st, S + N, &a), 0);
  assert_true(a.produced[MODEL_MAGNET] > 0);
  assert_int_equal(a.money_in, 0);
  assert_int_equal(a.money_out, 0);
  assert_int_equal(model_state_holder_money(st, S + N), 0);
  model_state_free(plain);
  model_state_free(st);
  model_map_free(m);
}

/* Host wages: a branch plant's staff are paid the host's wage. With its
 * plants idle and no trade, the firm pays exactly its home staff at home
 * wages and the plant's staff at the host's. */
static void test_host_wages(void **state) {
  (void)state;
  model_map_t *m = branch_map();
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int em = helper_seat(m, "euro_magnets"), chn = helper_seat(m, "CHN");
  helper_submit1(st, em, build(MODEL_MAGNETS, 1000000, "CHN"));
  helper_resolve_clean(st);
  model_obs_t *o;
  int64_t staff = 0;
  for (int t = 0; t < 24 && staff == 0; t++) {
    helper_resolve_clean(st);
    assert_int_equal(model_observe(st, em, &o), 0);
    staff = facility_in(o, "CHN", MODEL_MAGNETS)->staff;
    model_obs_free(o);
  }
  assert_true(staff > 0);
  /* idle everything, trade nothing */
  assert_int_equal(model_observe(st, em, &o), 0);
  model_order_t idle[2 * MODEL_PRODUCTS + 8];
  size_t n = 0;
  for (size_t k = 0; k < o->n_facilities && k < 8; k++) {
    model_order_t op = helper_order(MODEL_OP_OPERATE);
    strcpy(op.facility, o->facilities[k].id);
    op.utilisation_ppm = 0;
    idle[n++] = op;
  }
  for (int p = 0; p < MODEL_PRODUCTS; p++) {
    if (!model_map_has_product(model_state_map(st), p))
      continue; /* design J1: classroom trades the heavy basket */
    idle[n++] = trade(MODEL_OP_OFFER, p, 0, 0, NULL);
    idle[n++] = trade(MODEL_OP_BID, p, 0, 0, NULL);
  }
  submit(st, em, idle, n);
  model_obs_free(o);
  helper_resolve_clean(st);
  model_obs_t *c;
  assert_int_equal(model_observe(st, em, &o), 0);
  assert_int_equal(model_observe(st, chn, &c), 0);
  staff = facility_in(o, "CHN", MODEL_MAGNETS)->staff;
  int64_t home = 0;
  for (int s = 0; s < MODEL_SKILLS; s++)
    home += o->staff[s] * o->rules.wage_cents[s] / 4;
  int64_t abroad = staff * c->rules.wage_cents[MODEL_MAGNETS] / 4;
  model_holder_flows_t a;
  assert_int_equal(model_state_holder_flows(st, (size_t)em, &a), 0);
  /* classroom lends: a firm in debt after its wages pays the firm rate on
   * it (rounded up) */
  int64_t after = a.money_opening - home - abroad, interest = 0;
  if (after < 0)
    interest = (-after * o->interest_rate_ppm + 999999) / 1000000;
  printf("  %lld people in China at %.0f USD/yr, home staff cost %.2f USD; "
         "paid %.2f USD\n",
         (long long)staff, c->rules.wage_cents[MODEL_MAGNETS] / 100.0,
         home / 100.0, a.money_out / 100.0);
  assert_int_not_equal(c->rules.wage_cents[MODEL_MAGNETS],
                       o->rules.wage_cents[MODEL_MAGNETS]);
  assert_int_equal(a.money_out, home + abroad + interest);
  model_obs_free(o);
  model_obs_free(c);
  model_state_free(st);
  model_map_free(m);
}

/* classroom+branches with text inserted before the first occurrence of
 * `anchor`; NULL when the map does not load (err filled). */
static model_map_t *edited(const char *anchor, const char *insert,
                           model_error_t *err) {
  char path[512];
  snprintf(path, sizeof path, "%s/classroom.json", LAN_SOURCE_MAPS);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char text[1 << 20], mid[(1 << 20) + 512], out[(1 << 20) + 1024];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  const char *at = strstr(text, "\"parameters\": {");
  assert_non_null(at);
  size_t head = (size_t)(at - text) + strlen("\"parameters\": {");
  snprintf(mid, sizeof mid, "%.*s\"branches\": true, %s", (int)head, text,
           text + head);
  at = strstr(mid, anchor);
  assert_non_null(at);
  head = (size_t)(at - mid);
  snprintf(out, sizeof out, "%.*s%s%s", (int)head, mid, insert, mid + head);
  model_map_t *m = NULL;
  if (model_map_load_string(out, strlen(out), "classroom+edit", &m, err) != 0)
    return NULL;
  return m;
}

/* A map plant marked "branch" (design I2) belongs to its owner's branch
 * from turn 0: euro_magnets' plant moved to Japan staffs itself from the
 * Japanese pool and its magnets sit in the branch; "branch" at home is
 * refused by the loader. */
static void test_map_branch_facility(void **state) {
  (void)state;
  model_error_t err;
  model_map_t *m = edited("\"capacity\": 2000, \"experience\": 1000",
                          "\"nation\": \"JPN\", \"branch\": true, ", &err);
  if (!m)
    fail_msg("%s", err.message);
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  size_t S = model_map_seat_count(m), N = model_map_nation_count(m);
  assert_int_equal(model_state_holder_count(st), S + N + 1);
  int em = helper_seat(m, "euro_magnets");
  helper_resolve_clean(st);
  helper_resolve_clean(st);
  model_obs_t *o;
  assert_int_equal(model_observe(st, em, &o), 0);
  const model_obs_branch_t *b = branch_in(o, "JPN");
  assert_non_null(b);
  const model_obs_facility_t *f = facility_in(o, "JPN", MODEL_MAGNETS);
  assert_non_null(f);
  assert_true(f->staff > 0);
  assert_int_equal(b->staff[MODEL_MAGNETS], f->staff);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
  assert_null(edited("\"capacity\": 2000, \"experience\": 1000",
                     "\"branch\": true, ", &err));
  assert_non_null(strstr(err.message, "outside its owner's home nation"));
}

/* A firm trains people in its branch's host: it pays, they use the
 * host's training places and join the host's pool (from which its plants
 * there staff themselves); without a branch there it may not. */
static void test_train_abroad(void **state) {
  (void)state;
  model_map_t *m = branch_map();
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int em = helper_seat(m, "euro_magnets"), usa = helper_seat(m, "USA");
  model_order_t t = helper_order(MODEL_OP_TRAIN);
  t.skill = MODEL_MAGNETS;
  t.count = 10;
  strcpy(t.host, "USA");
  helper_refused(st, em, t, "nation", "you have no branch in USA");
  helper_submit1(st, em, build(MODEL_MAGNETS, 1000000, "USA"));
  /* no profit tax at home, so that the firm's payments are the
   * training's alone */
  model_order_t tax = pol(MODEL_POL_TAX);
  tax.rate_ppm = 0;
  helper_submit1(st, helper_seat(m, "EUU"), tax);
  helper_resolve_clean(st);
  model_state_t *plain;
  assert_int_equal(model_state_clone(st, &plain), 0);
  helper_submit1(st, em, t);
  helper_resolve_clean(st);
  helper_resolve_clean(plain);
  model_obs_t *a, *p;
  assert_int_equal(model_observe(st, usa, &a), 0);
  assert_int_equal(model_observe(plain, usa, &p), 0);
  assert_int_equal(
      a->in_training[MODEL_MAGNETS] - p->in_training[MODEL_MAGNETS], 10);
  int64_t cost = a->rules.training_cost_cents[MODEL_MAGNETS] * 10;
  model_obs_free(a);
  model_obs_free(p);
  assert_int_equal(model_observe(st, em, &a), 0);
  assert_int_equal(model_observe(plain, em, &p), 0);
  assert_int_equal(a->in_training[MODEL_MAGNETS],
                   p->in_training[MODEL_MAGNETS]);
  model_obs_free(a);
  model_obs_free(p);
  model_holder_flows_t x, y;
  assert_int_equal(model_state_holder_flows(st, (size_t)em, &x), 0);
  assert_int_equal(model_state_holder_flows(plain, (size_t)em, &y), 0);
  assert_int_equal(x.money_out - y.money_out, cost);
  model_state_free(plain);
  model_state_free(st);
  model_map_free(m);
}

/* A transfer moves concentrate from a firm's home to its branch, paying
 * transport and the importer's tariff; an export ban excuses it. */
/* After a turn: seat s's one standing transfer moved and excused these. */
static void expect_transfer(model_state_t *st, int s, int64_t moved,
                            int64_t excused) {
  model_obs_t *o;
  assert_int_equal(model_observe(st, s, &o), 0);
  assert_int_equal(o->n_transfers, 1);
  assert_int_equal(o->transfers[0].moved_kg, moved);
  assert_int_equal(o->transfers[0].excused_kg, excused);
  model_obs_free(o);
}

static void test_transfer(void **state) {
  (void)state;
  model_map_t *m = branch_map();
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int usa = helper_seat(m, "USA"), euu = helper_seat(m, "EUU"),
      mm = helper_seat(m, "mountain_minerals");
  size_t S = model_map_seat_count(m), N = model_map_nation_count(m);
  int eu_n = nation_of(m, "EUU");
  /* no branch in the EU yet: a transfer there is refused */
  helper_refused(st, mm, transfer(MODEL_CONCENTRATE, 100000, "USA", "EUU"),
                 "to", "neither your home nor a branch in EUU");
  /* a separation plant in the EU opens mountain_minerals' branch there;
   * the USA taxes no profits (so that the firm's payments are the
   * transfer's alone), nor does the EU (so that its income is the
   * tariff's alone), which levies 10% on US concentrate */
  helper_submit1(st, mm, build(MODEL_SEPARATION, 100000, "EUU"));
  model_order_t tax = pol(MODEL_POL_TAX);
  tax.rate_ppm = 0;
  helper_submit1(st, usa, tax);
  model_order_t tar = pol(MODEL_POL_TARIFF);
  tar.product = MODEL_CONCENTRATE;
  strcpy(tar.partner, "USA");
  tar.rate_ppm = 100000;
  model_order_t eu[2] = {tar, tax};
  submit(st, euu, eu, 2);
  helper_resolve_clean(st);
  helper_resolve_clean(st);
  helper_refused(st, mm, transfer(MODEL_CONCENTRATE, 100000, "EUU", "EUU"),
                 "to", "the same nation");
  model_state_t *plain;
  assert_int_equal(model_state_clone(st, &plain), 0);
  helper_submit1(st, mm, transfer(MODEL_CONCENTRATE, 100000, "USA", "EUU"));
  /* the tariff is on the goods' value at last turn's world price */
  int64_t price = model_last_report(st)->price[MODEL_CONCENTRATE];
  helper_resolve_clean(st);
  helper_resolve_clean(plain);
  model_obs_t *o;
  assert_int_equal(model_observe(st, mm, &o), 0);
  assert_int_equal(o->n_transfers, 1);
  assert_int_equal(o->transfers[0].moved_kg, 100000);
  assert_int_equal(o->transfers[0].excused_kg, 0);
  const model_obs_branch_t *b = branch_in(o, "EUU");
  assert_non_null(b);
  assert_int_equal(b->inventory_kg[MODEL_CONCENTRATE], 100000);
  /* classroom: transport 0.30 USD/kg of concentrate between any two
   * nations */
  int64_t transport = 100000 * 30;
  model_obs_free(o);
  int64_t tariff = 100000 * (price * 100000 / 1000000);
  model_holder_flows_t a, p;
  /* the firm paid transport and tariff, nothing else changed its
   * payments; the EU received the tariff */
  assert_int_equal(model_state_holder_flows(st, (size_t)mm, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, (size_t)mm, &p), 0);
  printf("  100 t moved: transport %.2f USD, tariff %.2f USD\n",
         transport / 100.0, tariff / 100.0);
  assert_int_equal(a.money_out - p.money_out, transport + tariff);
  assert_int_equal(model_state_holder_flows(st, S + (size_t)eu_n, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, S + (size_t)eu_n, &p), 0);
  assert_int_equal(a.money_in - p.money_in, tariff);
  /* the branch's books: bought what was moved, holds it */
  assert_int_equal(model_state_holder_flows(st, S + N, &a), 0);
  assert_int_equal(a.bought[MODEL_CONCENTRATE], 100000);
  model_state_free(plain);
  /* the USA bans concentrate exports to the EU: the transfer is excused
   * (force majeure), nothing moves */
  model_order_t ban = pol(MODEL_POL_EXPORT_BAN);
  ban.product = MODEL_CONCENTRATE;
  strcpy(ban.partner, "EUU");
  helper_submit1(st, usa, ban);
  helper_resolve_clean(st);
  expect_transfer(st, mm, 0, 100000);
  /* the ban lifted, the EU sanctions the firm: excused again, since a
   * sanctioned firm's goods may not enter (nor leave) the nation */
  ban.lift = true;
  helper_submit1(st, usa, ban);
  model_order_t sanction = pol(MODEL_POL_SANCTION);
  strcpy(sanction.firm, "mountain_minerals");
  helper_submit1(st, euu, sanction);
  helper_resolve_clean(st);
  expect_transfer(st, mm, 0, 100000);
  sanction.lift = true;
  helper_submit1(st, euu, sanction);
  helper_resolve_clean(st);
  expect_transfer(st, mm, 100000, 0);
  /* quantity 0 withdraws it */
  helper_submit1(st, mm, transfer(MODEL_CONCENTRATE, 0, "USA", "EUU"));
  helper_resolve_clean(st);
  assert_int_equal(model_observe(st, mm, &o), 0);
  assert_int_equal(o->n_transfers, 0);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
}

/* China's rule of origin binds a firm's own transfers: the EU magnet
 * maker's Chinese NdPr (China's rule on NdPr, approval 0) may not go to
 * its US branch, as it could not be sold there; without the rule it
 * goes. */
static void test_transfer_origin_rule(void **state) {
  (void)state;
  model_map_t *m = branch_map();
  int chn = helper_seat(m, "CHN"), em = helper_seat(m, "euro_magnets");
  int64_t moved[2] = {0, 0}, excused[2] = {0, 0}, ctrl = 0;
  for (int v = 0; v < 2; v++) {
    model_state_t *st;
    assert_int_equal(model_state_new(m, 1, &st), 0);
    if (v) {
      model_order_t rule = pol(MODEL_POL_ORIGIN_RULE);
      rule.product = MODEL_NDPR;
      rule.rate_ppm = 1000;
      rule.approval_ppm = 0;
      helper_submit1(st, chn, rule);
    }
    /* the other separators keep their NdPr: the EU maker buys China's */
    model_order_t keep = helper_order(MODEL_OP_OFFER);
    keep.product = MODEL_NDPR;
    helper_submit1(st, helper_seat(m, "mountain_minerals"), keep);
    helper_submit1(st, helper_seat(m, "kangaroo_rare"), keep);
    /* a magnet plant in the USA opens its branch there */
    helper_submit1(st, em, build(MODEL_MAGNETS, 100000, "USA"));
    helper_resolve_clean(st);
    helper_submit1(st, em, transfer(MODEL_NDPR, 20000, "EUU", "USA"));
    for (int t = 0; t < 3; t++) {
      helper_resolve_clean(st);
      model_obs_t *o;
      assert_int_equal(model_observe(st, em, &o), 0);
      assert_int_equal(o->n_transfers, 1);
      moved[v] += o->transfers[0].moved_kg;
      excused[v] += o->transfers[0].excused_kg;
      if (v)
        ctrl += o->controlled_kg[MODEL_NDPR];
      model_obs_free(o);
    }
    model_state_free(st);
  }
  printf("  EU maker's NdPr to its US branch, 3 turns: %lld kg moved without "
         "the rule, %lld kg with it (%lld kg excused)\n",
         (long long)moved[0], (long long)moved[1], (long long)excused[1]);
  assert_true(ctrl > 0); /* it held Chinese NdPr */
  assert_true(moved[0] > 0);
  assert_int_equal(excused[0], 0);
  assert_true(excused[1] > 0);
  assert_true(moved[1] < moved[0]);
  model_map_free(m);
}

/* A subsidy with foreign false pays the nation's own firms only: a
 * foreign firm's plant there pays its whole capital cost, a home firm's
 * half; the policy survives serialisation and shows in public policies.
 * (Works on maps without branches too: plants built with build.nation.) */
static void test_subsidy_not_foreign(void **state) {
  (void)state;
  model_map_t *m = helper_load("classroom");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int usa = helper_seat(m, "USA"), em = helper_seat(m, "euro_magnets"),
      mm = helper_seat(m, "mountain_minerals");
  size_t S = model_map_seat_count(m);
  model_order_t sub = pol(MODEL_POL_SUBSIDY);
  sub.stage = MODEL_MAGNETS;
  sub.capex_share_ppm = 500000;
  sub.home_only = true; /* "foreign": false on the wire */
  helper_submit1(st, usa, sub);
  helper_resolve_clean(st);
  model_obs_t *o;
  assert_int_equal(model_observe(st, em, &o), 0);
  bool seen = false;
  for (size_t k = 0; k < o->n_public_policies; k++)
    if (o->public_policies[k].policy.kind == MODEL_POL_SUBSIDY &&
        o->public_policies[k].policy.stage == MODEL_MAGNETS) {
      seen = true;
      assert_true(o->public_policies[k].policy.home_only);
    }
  assert_true(seen);
  int64_t capex = o->rules.capex_cents_per_kg_year[MODEL_MAGNETS] * 1000000;
  capex = capex *
          o->capex_factor_ppm[MODEL_MAGNETS * o->n_nations +
                              (size_t)nation_of(m, "USA")] /
          1000000;
  model_obs_free(o);
  /* the state keeps it through serialisation */
  uint8_t *buf;
  size_t len;
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  assert_non_null(memmem(buf, len, "\001subsidy-home-only", 18));
  model_state_t *back;
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  free(buf);
  model_state_t *plain;
  assert_int_equal(model_state_clone(back, &plain), 0);
  /* the EU firm builds in the USA, the US firm at home */
  helper_submit1(back, em, build(MODEL_MAGNETS, 1000000, "USA"));
  helper_submit1(back, mm, build(MODEL_MAGNETS, 1000000, NULL));
  helper_resolve_clean(back);
  helper_resolve_clean(plain);
  model_holder_flows_t a, p;
  size_t usa_h = S + (size_t)nation_of(m, "USA");
  assert_int_equal(model_state_holder_flows(back, usa_h, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, usa_h, &p), 0);
  assert_int_equal(a.money_out - p.money_out, capex / 2); /* mm's only */
  assert_int_equal(model_state_holder_flows(back, (size_t)em, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, (size_t)em, &p), 0);
  assert_int_equal(a.money_out - p.money_out, capex);
  assert_int_equal(model_state_holder_flows(back, (size_t)mm, &a), 0);
  assert_int_equal(model_state_holder_flows(plain, (size_t)mm, &p), 0);
  assert_int_equal(a.money_out - p.money_out, capex - capex / 2);
  model_state_free(plain);
  model_state_free(back);
  model_state_free(st);
  model_map_free(m);
}

/* The home's technology ban and the host's investment screen refuse a
 * build abroad, each saying what is wrong and what would be right. */
static void test_build_refused(void **state) {
  (void)state;
  model_map_t *m = branch_map();
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int chn = helper_seat(m, "CHN"), usa = helper_seat(m, "USA"),
      dm = helper_seat(m, "dragon_magnets"),
      em = helper_seat(m, "euro_magnets");
  model_order_t ban = pol(MODEL_POL_TECHNOLOGY_EXPORT_BAN);
  ban.stage = MODEL_MAGNETS;
  strcpy(ban.partner, "USA");
  helper_submit1(st, chn, ban);
  model_order_t scr = pol(MODEL_POL_INVESTMENT_SCREEN);
  scr.stage = MODEL_MAGNETS;
  strcpy(scr.partner, "EUU");
  helper_submit1(st, usa, scr);
  helper_resolve_clean(st);
  model_order_t b = build(MODEL_MAGNETS, 1000000, "USA");
  helper_refused(st, dm, b, "nation",
                 "CHN bans the export of magnet technology to USA");
  helper_refused(st, dm, b, "nation", "build at home or elsewhere");
  helper_refused(st, em, b, "nation",
                 "USA refuses magnet builds by firms of EUU");
  /* not a nation of the map */
  strcpy(b.host, "XXX");
  helper_refused(st, em, b, "nation", "nation must be the id of a nation");
  model_state_free(st);
  model_map_free(m);
}

/* race-2028's Seadrift choice: Lynas builds its separation plant in the
 * USA (with the IBAS grant), which opens its US branch; once it runs
 * (turn 20: US permits and construction take 19 turns), concentrate moved
 * from Australia feeds it, staffed from the US pool, and its oxides sell
 * in the US market from the branch. Every turn keeps the balances
 * (holding costs of branch stocks included). */
static void test_race_seadrift(void **state) {
  (void)state;
  model_map_t *m = helper_load("race-2028");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int lynas = helper_seat(m, "lynas"), usa = helper_seat(m, "USA");
  size_t S = model_map_seat_count(m), N = model_map_nation_count(m);
  helper_submit1(st, lynas, build(MODEL_SEPARATION, 5000000, "USA"));
  model_order_t g = helper_order(MODEL_OP_GRANT);
  strcpy(g.firm, "lynas");
  g.amount_cents = 25800000000;
  helper_submit1(st, usa, g);
  helper_resolve_clean(st);
  assert_int_equal(model_state_holder_count(st), S + N + 1);
  /* race-2028 trades Dy and Tb apart (design J1) */
  model_order_t go[5] = {
      transfer(MODEL_CONCENTRATE, 1000000, "AUS", "USA"),
      trade(MODEL_OP_OFFER, MODEL_NDPR, 1000000, 4000, "USA"),
      trade(MODEL_OP_OFFER, MODEL_DY, 1000000, 15000, "USA"),
      trade(MODEL_OP_OFFER, MODEL_TB, 1000000, 50000, "USA"),
      trade(MODEL_OP_OFFER, MODEL_LACE, 1000000, 10, "USA")};
  submit(st, lynas, go, 5);
  int64_t moved = 0, made = 0, sold = 0, tax = 0;
  int turns = 0;
  while (model_state_turn(st) < model_state_turns(st)) {
    helper_resolve_clean(st);
    turns++;
    model_obs_t *o;
    assert_int_equal(model_observe(st, lynas, &o), 0);
    moved += o->transfers[0].moved_kg;
    tax += branch_in(o, "USA")->tax_cents;
    model_obs_free(o);
    model_holder_flows_t f;
    assert_int_equal(model_state_holder_flows(st, S + N, &f), 0);
    made += f.produced[MODEL_NDPR] + f.produced[MODEL_DY] +
            f.produced[MODEL_TB] + f.produced[MODEL_LACE];
    sold += f.sold[MODEL_NDPR] + f.sold[MODEL_DY] + f.sold[MODEL_TB] +
            f.sold[MODEL_LACE];
  }
  printf("  Seadrift in %d turns: %.0f t of concentrate moved from AUS, %.0f t "
         "of oxides made and %.0f t sold in the USA; %.2f USD of US profit "
         "tax\n",
         turns, moved / 1000.0, made / 1000.0, sold / 1000.0, tax / 100.0);
  assert_true(moved > 0);
  assert_true(made > 0);
  assert_true(sold > 0);
  model_state_free(st);
  model_map_free(m);
}

/* A plant bought abroad out of a receivership belongs to the buyer's
 * branch there: on race-2028, energy_fuels defaults (a cost overrun on a
 * plant it built at 80% of its headroom, as test_v2's default test) and
 * lynas buys its US separation plant. */
static void test_acquired_abroad(void **state) {
  (void)state;
  model_map_t *m = helper_load("race-2028");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int ef = helper_seat(m, "energy_fuels"), ly = helper_seat(m, "lynas");
  size_t S = model_map_seat_count(m), N = model_map_nation_count(m);
  model_obs_t *o;
  assert_int_equal(model_observe(st, ef, &o), 0);
  int64_t head = o->headroom_cents;
  model_obs_free(o);
  helper_submit1(st, ef, build(MODEL_SEPARATION, head / 10 * 8 / 6600, NULL));
  helper_resolve_clean(st);
  assert_int_equal(model_observe(st, ef, &o), 0);
  char id[MODEL_ID_MAX] = "";
  for (size_t k = 0; k < o->n_facilities; k++)
    if (o->facilities[k].status == MODEL_FAC_BUILDING)
      snprintf(id, sizeof id, "%s", o->facilities[k].id);
  model_obs_free(o);
  assert_true(id[0]);
  model_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = MODEL_EV_COST_OVERRUN;
  ev.product = ev.stage = -1;
  snprintf(ev.facility, sizeof ev.facility, "%s", id);
  ev.magnitude_ppm = 1000000;
  ev.duration = 1;
  assert_int_equal(model_inject_event(st, &ev), 0);
  helper_resolve_clean(st);
  assert_int_equal(model_observe(st, ef, &o), 0);
  assert_true(o->receivership_turns > 0);
  model_obs_free(o);
  model_order_t aq = helper_order(MODEL_OP_ACQUIRE);
  strcpy(aq.facility, "ef_white_mesa");
  aq.amount_cents = 10000000000; /* $100 M */
  helper_submit1(st, ly, aq);
  assert_int_equal(model_state_holder_count(st), S + N);
  helper_resolve_clean(st);
  assert_int_equal(model_state_holder_count(st), S + N + 1);
  assert_int_equal(model_observe(st, ly, &o), 0);
  assert_non_null(branch_in(o, "USA"));
  assert_non_null(facility_in(o, "USA", MODEL_SEPARATION));
  model_obs_free(o);
  /* it runs for the branch: staffed from the US pool, fed in the US
   * market */
  model_order_t run[2] = {
      helper_order(MODEL_OP_OPERATE),
      trade(MODEL_OP_BID, MODEL_CONCENTRATE, 500000, 2000, "USA")};
  strcpy(run[0].facility, "ef_white_mesa");
  run[0].utilisation_ppm = 1000000;
  submit(st, ly, run, 2);
  int64_t staff = 0, made = 0;
  for (int t = 0; t < 3; t++) {
    helper_resolve_clean(st);
    assert_int_equal(model_observe(st, ly, &o), 0);
    staff = branch_in(o, "USA")->staff[MODEL_SEPARATION];
    model_obs_free(o);
    model_holder_flows_t f;
    assert_int_equal(model_state_holder_flows(st, S + N, &f), 0);
    made += f.produced[MODEL_NDPR];
  }
  printf("  lynas's US branch (ef_white_mesa): %lld staff, %.1f t NdPr made\n",
         (long long)staff, made / 1000.0);
  assert_true(staff > 0);
  model_state_free(st);
  model_map_free(m);
}

/* Firm-owned deposits (race-2028's deposits[].owner): only the owner may
 * open a mine on its deposit; others are refused with the owner named;
 * every seat sees the owner; a deposit without one is open to all; the
 * loader refuses an owner that is not a firm. */
static void test_deposit_owner(void **state) {
  (void)state;
  model_map_t *m = helper_load("race-2028");
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int cn = helper_seat(m, "china_northern"),
      mp = helper_seat(m, "mp_materials"), ly = helper_seat(m, "lynas"),
      usar = helper_seat(m, "usa_rare_earth");
  model_order_t b = build(MODEL_MINING, 1000000, NULL);
  strcpy(b.site, "mountain_pass");
  helper_refused(
      st, cn, b, "site",
      "deposit \"mountain_pass\" belongs to mp_materials; only its owner "
      "may open a mine there");
  size_t n = 9;
  assert_int_equal(model_validate(st, mp, &b, 1, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
  strcpy(b.site, "round_top");
  helper_refused(st, ly, b, "site", "belongs to usa_rare_earth");
  assert_int_equal(model_validate(st, usar, &b, 1, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
  strcpy(b.site, "mt_weld");
  helper_refused(st, mp, b, "site", "belongs to lynas");
  /* nobody owns Nolans: any firm may open a mine there */
  strcpy(b.site, "nolans");
  assert_int_equal(model_validate(st, mp, &b, 1, NULL, 0, &n), 0);
  assert_int_equal(n, 0);
  model_obs_t *o;
  assert_int_equal(model_observe(st, cn, &o), 0);
  int owned = 0;
  for (size_t d = 0; d < o->n_deposits; d++) {
    if (strcmp(o->deposits[d].id, "mountain_pass") == 0)
      assert_string_equal(o->deposits[d].owner, "mp_materials");
    if (strcmp(o->deposits[d].id, "nolans") == 0)
      assert_string_equal(o->deposits[d].owner, "");
    owned += o->deposits[d].owner[0] != 0;
  }
  assert_int_equal(owned, 3);
  model_obs_free(o);
  model_state_free(st);
  model_map_free(m);
  /* an owner must be a firm of the map */
  char path[512];
  snprintf(path, sizeof path, "%s/classroom.json", LAN_SOURCE_MAPS);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char text[1 << 20], out[(1 << 20) + 512];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = '\0';
  const char *at = strstr(text, "\"id\": \"mountain\",");
  assert_non_null(at);
  size_t head = (size_t)(at - text);
  snprintf(out, sizeof out, "%.*s\"owner\": \"USA\", %s", (int)head, text,
           text + head);
  model_error_t err;
  assert_int_equal(
      model_map_load_string(out, strlen(out), "bad-owner", &m, &err),
      MODEL_EMAP);
  assert_non_null(strstr(err.message, "a firm"));
}

/* A branch game survives serialisation and cloning, and plays on the same;
 * a map without branches writes no branch section. */
static void test_serialise_round_trip(void **state) {
  (void)state;
  model_map_t *m = branch_map();
  model_state_t *st;
  assert_int_equal(model_state_new(m, 1, &st), 0);
  int mm = helper_seat(m, "mountain_minerals");
  helper_submit1(st, mm, build(MODEL_SEPARATION, 100000, "EUU"));
  helper_resolve_clean(st);
  model_order_t two[2] = {
      transfer(MODEL_CONCENTRATE, 50000, "USA", "EUU"),
      trade(MODEL_OP_OFFER, MODEL_CONCENTRATE, 10000, 900, "EUU")};
  submit(st, mm, two, 2);
  helper_resolve_clean(st);
  uint8_t *buf;
  size_t len;
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  assert_non_null(memmem(buf, len, "\001branches", 9));
  model_state_t *back;
  assert_int_equal(model_state_deserialise(m, buf, len, &back), 0);
  uint8_t h1[MODEL_HASH_BYTES], h2[MODEL_HASH_BYTES];
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  helper_resolve_clean(st);
  helper_resolve_clean(back);
  assert_int_equal(model_state_hash(st, h1), 0);
  assert_int_equal(model_state_hash(back, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  model_state_t *cl;
  assert_int_equal(model_state_clone(st, &cl), 0);
  assert_int_equal(model_state_hash(cl, h2), 0);
  assert_memory_equal(h1, h2, sizeof h1);
  model_obs_t *o;
  assert_int_equal(model_observe(back, mm, &o), 0);
  assert_int_equal(o->n_branches, 1);
  assert_int_equal(o->n_transfers, 1);
  assert_int_equal(o->transfers[0].moved_kg, 50000);
  model_obs_free(o);
  model_holder_flows_t f;
  assert_int_equal(
      model_state_holder_flows(
          back, model_map_seat_count(m) + model_map_nation_count(m), &f),
      0);
  assert_int_equal(f.bought[MODEL_CONCENTRATE], 50000);
  free(buf);
  model_state_free(cl);
  model_state_free(back);
  model_state_free(st);
  model_map_free(m);
  /* the plain map: no section, and branch orders are refused */
  m = helper_load("classroom");
  assert_int_equal(model_state_new(m, 1, &st), 0);
  mm = helper_seat(m, "mountain_minerals");
  helper_submit1(st, mm, build(MODEL_SEPARATION, 100000, "EUU"));
  helper_resolve_clean(st);
  helper_refused(st, mm, transfer(MODEL_CONCENTRATE, 50000, "USA", "EUU"), "op",
                 "no branches abroad");
  helper_refused(st, mm,
                 trade(MODEL_OP_OFFER, MODEL_CONCENTRATE, 10, 900, "EUU"),
                 "nation", "no branches abroad");
  assert_int_equal(model_state_serialise(st, &buf, &len), 0);
  assert_null(memmem(buf, len, "\001branches", 9));
  assert_int_equal(model_state_holder_count(st),
                   model_map_seat_count(m) + model_map_nation_count(m));
  free(buf);
  model_state_free(st);
  model_map_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_magnet_plant_abroad),
      cmocka_unit_test(test_host_wages),
      cmocka_unit_test(test_train_abroad),
      cmocka_unit_test(test_map_branch_facility),
      cmocka_unit_test(test_transfer),
      cmocka_unit_test(test_transfer_origin_rule),
      cmocka_unit_test(test_build_refused),
      cmocka_unit_test(test_subsidy_not_foreign),
      cmocka_unit_test(test_race_seadrift),
      cmocka_unit_test(test_deposit_owner),
      cmocka_unit_test(test_acquired_abroad),
      cmocka_unit_test(test_serialise_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
