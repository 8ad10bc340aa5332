/*
 * Writes the seeds of the fuzz targets that take the model's data:
 *   - fuzz_state: real serialised states of every shipped map
 *     (fuzz_common.h's order) at a few turns, each prefixed with the map's
 *     index byte, as DIR/fuzz_state/<map>_t<turn>;
 *   - fuzz_order: the orders the built-in agents gave on the classroom map
 *     at those turns, seat by seat, packed by proto_pack_order as the
 *     array orders.submit carries (prefixed with the seat's index byte), as
 *     DIR/fuzz_order/classroom_t<turn>_s<seat>; and one order of every op
 *     and policy kind, DIR/fuzz_order/every_kind.
 *
 *   fuzz_make_model_seeds fuzz/seeds     (built by the test build)
 *
 * The games are played by the built-in agents (each seat by the first
 * strategy that plays its kind, going round the list, so the states hold
 * facilities, construction, trades and policies) with a fixed seed, so the
 * files are the same on every machine. The
 * world-2024 and race-2028 maps are written at turns 0 and 1 only: their
 * states are larger (over 10 KB), and the fuzzer gets more from many small
 * inputs. race-2028's hold the sections the small maps never write (Dy
 * and Tb apart, branches, recycling).
 */
#include <stdint.h>
#include <string.h>

#include "agent.h"
#include "fuzz_common.h"
#include "proto_types.h"

static const int turns_small[] = {0, 1, 4};

static const char *seed_dir;

static int write_file(const char *path, uint8_t prefix, const void *data,
                      size_t len) {
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(&prefix, 1, 1, f) == 1 &&
           (len == 0 || fwrite(data, 1, len, f) == len);

  if (f && fclose(f) != 0)
    ok = 0;
  if (!ok) {
    fprintf(stderr, "make_model_seeds: cannot write %s\n", path);
    return -1;
  }
  printf("%s: %zu bytes\n", path, len + 1);
  return 0;
}

/* orders[0..n) as the array of orders.submit, after the seat's byte. */
static int write_orders(const char *name, uint8_t seat,
                        const model_order_t *orders, size_t n) {
  char path[1024];
  proto_buf_t buf;
  msgpack_packer pk;
  int rc = 0;

  proto_buf_init(&buf);
  proto_packer_init(&pk, &buf);
  if (msgpack_pack_array(&pk, n) != 0)
    rc = -1;
  for (size_t i = 0; i < n && rc == 0; i++)
    if (proto_pack_order(&pk, &orders[i]) != 0)
      rc = -1;
  snprintf(path, sizeof path, "%s/fuzz_order/%s", seed_dir, name);
  if (rc == 0)
    rc = write_file(path, seat, buf.data, buf.len);
  proto_buf_free(&buf);
  return rc;
}

/* One order of every op and every policy kind, with ids of the classroom
 * map, written as one submission of seat 0 (a nation). */
static int write_every_kind(void) {
  model_order_t o[MODEL_OPS + MODEL_POLICY_KINDS];
  size_t n = 0;

  memset(o, 0, sizeof o);
  for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
    o[i].stage = o[i].product = o[i].skill = -1;
  o[n].op = MODEL_OP_BUILD;
  o[n].stage = MODEL_MINING;
  snprintf(o[n].site, sizeof o[n].site, "mountain");
  o[n++].capacity_kg_per_year = 5000000;
  o[n].op = MODEL_OP_OPERATE;
  snprintf(o[n].facility, sizeof o[n].facility, "f1");
  o[n++].utilisation_ppm = 750000;
  o[n].op = MODEL_OP_HIRE;
  o[n].skill = MODEL_SEPARATION;
  o[n++].count = -3;
  o[n].op = MODEL_OP_TRAIN;
  o[n].skill = MODEL_MAGNETS;
  o[n++].count = 12;
  o[n].op = MODEL_OP_OFFER;
  o[n].product = MODEL_NDPR;
  o[n].quantity_kg = 10000;
  o[n++].price_cents_per_kg = 6250;
  o[n].op = MODEL_OP_BID;
  o[n].product = MODEL_MAGNET;
  o[n].quantity_kg = 2500;
  o[n++].price_cents_per_kg = 12000;
  for (int k = 0; k < MODEL_POLICY_KINDS; k++, n++) {
    o[n].op = MODEL_OP_POLICY;
    o[n].kind = (model_policy_kind_t)k;
    o[n].product = MODEL_NDPR;
    o[n].stage = MODEL_SEPARATION;
    o[n].skill = MODEL_MINING;
    snprintf(o[n].partner, sizeof o[n].partner, k == 1 ? "all" : "USA");
    o[n].quantity_kg = 100000;
    o[n].lift = k == 1;
    o[n].rate_ppm = 250000;
    o[n].approval_ppm = 500000;
    o[n].capex_share_ppm = 300000;
    o[n].output_cents_per_kg = 150;
    o[n].price_cents_per_kg = 5000;
    o[n].target_kg = 200000;
    o[n].budget_cents = 1000000000;
    o[n].inbound = true;
    o[n].speed_ppm = 1500000;
  }
  return write_orders("every_kind", 0, o, n);
}

/* One turn: every seat's agent acts on its observation, then resolve.
 * With record, each seat's orders are also written as a fuzz_order seed. */
static int play_turn(model_state_t *st, agent_t **agents, size_t seats,
                     bool record) {
  static model_order_t orders[64][MODEL_ORDERS_MAX];
  const model_order_t *ptr[64];
  size_t counts[64];

  if (seats > 64)
    return -1;
  for (size_t s = 0; s < seats; s++) {
    model_obs_t *obs = NULL;

    counts[s] = 0;
    ptr[s] = orders[s];
    if (model_observe(st, (int)s, &obs) != 0)
      return -1;
    if (agent_act(agents[s], obs, orders[s], MODEL_ORDERS_MAX, &counts[s]) != 0)
      counts[s] = 0;
    model_obs_free(obs);
    if (record && counts[s] > 0) {
      char name[64];

      snprintf(name, sizeof name, "classroom_t%d_s%zu", model_state_turn(st),
               s);
      if (write_orders(name, (uint8_t)s, orders[s], counts[s]) != 0)
        return -1;
    }
  }
  return model_turn(st, ptr, counts);
}

static int write_seed(size_t m, const model_state_t *st) {
  char path[1024];
  uint8_t *buf = NULL;
  size_t len = 0;
  int rc;

  if (model_state_serialise(st, &buf, &len) != 0)
    return -1;
  snprintf(path, sizeof path, "%s/fuzz_state/%s_t%d", seed_dir,
           fuzz_map_names[m], model_state_turn(st));
  rc = write_file(path, (uint8_t)m, buf, len);
  free(buf);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  seed_dir = argv[1];
  if (write_every_kind() != 0)
    return 1;
  for (size_t m = 0; m < FUZZ_MAPS; m++) {
    const model_map_t *map = fuzz_map(m);
    size_t seats = model_map_seat_count(map), next = 0;
    size_t nt = strcmp(fuzz_map_names[m], "world-2024") == 0 ||
                        strcmp(fuzz_map_names[m], "race-2028") == 0
                    ? 2
                    : 3;
    agent_t *agents[64] = {NULL};
    model_state_t *st;

    if (seats > 64 || model_state_new(map, 2026, &st) != 0)
      return 1;
    for (size_t s = 0; s < seats; s++) {
      const agent_strategy_t *a;

      do
        a = agent_strategy_at(next++ % agent_strategy_count());
      while (!agent_strategy_plays(a, model_map_seat_kind(map, s)));
      agents[s] = agent_new(a, 1000 + s);
      if (!agents[s])
        return 1;
    }
    for (size_t i = 0; i < nt; i++) {
      while (model_state_turn(st) < turns_small[i] &&
             model_state_turn(st) < model_state_turns(st))
        if (play_turn(st, agents, seats, m == 0) != 0)
          return 1;
      if (write_seed(m, st) != 0)
        return 1;
    }
    for (size_t s = 0; s < seats; s++)
      agent_free(agents[s]);
    model_state_free(st);
  }
  return 0;
}
