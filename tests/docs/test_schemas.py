#!/usr/bin/python3
"""The JSON Schemas of orders and observations (docs/orders.schema.json,
docs/observation.schema.json) against real traffic, with Debian's
python3-jsonschema:

- the server's orders.schema and observation.schema answer the files;
- every seat's observation of a real classroom game on the server, every
  few turns, and observations of world-2024 from the in-process
  environment validate, and the observation schema describes every key
  they carry (a key added to the observation without its description
  fails here);
- real orders validate against the order schema: every order inside
  those observations (accepted orders, standing offers and bids,
  policies), the example bot's, and the environment's action catalogue;
- orders the server refuses for their shape fail the schema too.

    /usr/bin/python3 tests/docs/test_schemas.py --lib build/lib/liblanthanide.so \\
        --server-bin build/bin/lanthanide-server --maps maps
"""
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "env"))
from envtest import check, run  # noqa: E402

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is missing: apt-get install python3-jsonschema")
    sys.exit(77)

import example_bot  # noqa: E402
import lanserver  # noqa: E402
import lanthanide_env as le  # noqa: E402


def load(name):
    with open(os.path.join(ROOT, "docs", name)) as f:
        return json.load(f)


ORDER = load("orders.schema.json")
OBS = load("observation.schema.json")
V_ORDER = jsonschema.Draft202012Validator(ORDER)
V_OBS = jsonschema.Draft202012Validator(OBS)


def resolve(schema, node):
    while "$ref" in node:
        # a JSON pointer into the schema: "#/$defs/order",
        # "#/properties/public"
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def undescribed(value, node, path="", schema=OBS):
    """Keys of value that the schema node does not describe."""
    node = resolve(schema, node)
    out = []
    if isinstance(value, dict):
        props = node.get("properties", {})
        extra = node.get("additionalProperties")
        for k, v in value.items():
            if k in props:
                out += undescribed(v, props[k], path + "." + k)
            elif isinstance(extra, dict):
                out += undescribed(v, extra, path + "." + k)
            elif node.get("description", "").startswith("an order map"):
                pass  # orders are the order schema's
            else:
                out.append(path + "." + k)
    elif isinstance(value, list) and "items" in node:
        for i, v in enumerate(value):
            out += undescribed(v, node["items"], path + "[%d]" % i)
    return out


def orders_in(obs):
    you = obs["you"]
    out = list(you["orders"]) + list(you["standing"]) + \
        list(you.get("policies", []))
    for lst in obs["public"]["policies"].values():
        out += lst
    return out


def check_obs(obs, where):
    errors = sorted(V_OBS.iter_errors(obs), key=lambda e: list(e.path))
    check(not errors, "the observation validates (%s)" % where,
          [(list(e.path), e.message) for e in errors[:3]])
    missing = undescribed(obs, OBS)
    check(not missing, "the schema describes every key (%s)" % where,
          missing[:5])
    n = 0
    for o in orders_in(obs):
        errs = list(V_ORDER.iter_errors(o))
        check(not errs, "orders inside observations validate (%s)" % where,
              o, [e.message for e in errs[:2]])
        n += 1
    return n


def test_server_game(args):
    tmp = tempfile.mkdtemp(prefix="lan-schemas-")
    srv = lanserver.Server(args.server_bin, args.maps,
                           os.path.join(tmp, "lanthanide.db"),
                           ["--join-burst", "100", "--max-per-address", "64"],
                           err_path=os.path.join(tmp, "stderr.log"))
    try:
        admin = srv.client()
        check(admin.orders_schema() == ORDER, "orders.schema answers "
              "docs/orders.schema.json")
        check(admin.observation_schema() == OBS, "observation.schema "
              "answers docs/observation.schema.json")
        created = admin.create_session("classroom", seed=77)
        sid, atok = created["session"], created["admin_token"]
        clients = {}
        for s in created["seats"]:
            c = srv.client()
            c.join(sid, join_code=s["join_code"])
            clients[s["seat"]] = c
        admin.start(sid, atok)
        n_orders = n_obs = 0
        for turn in range(16):
            for seat, c in clients.items():
                obs = c.state()
                if turn % 5 == 0 or turn == 15:
                    n_orders += check_obs(obs, "%s turn %d" % (seat, turn))
                    n_obs += 1
                orders = example_bot.decide(obs, say=lambda *a: None)
                if obs["kind"] == "nation" and turn == 2:
                    orders = [{"op": "policy", "kind": "tariff",
                               "product": "magnet", "rate": 0.1},
                              {"op": "policy", "kind": "export_quota",
                               "product": "concentrate", "quantity": 1000}]
                for o in orders:
                    check(not list(V_ORDER.iter_errors(o)),
                          "the example bot's orders validate", o)
                    n_orders += 1
                res = c.submit(orders, ready=True)
                check(res["rejected"] == [], "and the server takes them",
                      res["rejected"])
            while clients["USA"].state()["turn"] == turn and \
                    clients["USA"].state()["status"] == "running":
                pass
        obs = clients["USA"].state()
        check(obs["status"] == "finished", "the game finished")
        n_orders += check_obs(obs, "USA finished")
        check(n_obs >= 30 and n_orders > 50, "enough was checked", n_obs,
              n_orders)
        # Shapes the server refuses fail the schema as well.
        bad = [{"op": "fly"}, {"op": "operate", "facility": "x",
                               "utilisation": 1.5},
               {"op": "offer", "product": "gold", "quantity": 1,
                "min_price": 1},
               {"op": "policy", "kind": "tariff", "product": "magnet"}]
        for o in bad:
            check(list(V_ORDER.iter_errors(o)), "a malformed order fails "
                  "the schema", o)
        check(srv.stop() == 0, "the server stops cleanly")
    finally:
        if srv.proc.poll() is None:
            srv.kill9()
        shutil.rmtree(tmp, ignore_errors=True)


def test_closed_information(args):
    """Issue 13: a map with closed information (tests/control), each
    seat's view (public.estimated, public.unpublished) and the control
    cell's view of it (pending, truth) validate and are described."""
    tmp = tempfile.mkdtemp(prefix="lan-schemas-")
    maps = os.path.join(tmp, "maps")
    os.mkdir(maps)
    shutil.copy(os.path.join(ROOT, "tests", "control", "closed-info.json"),
                maps)
    srv = lanserver.Server(args.server_bin, maps,
                           os.path.join(tmp, "lanthanide.db"),
                           ["--join-burst", "100", "--max-per-address", "64"],
                           err_path=os.path.join(tmp, "stderr.log"))
    try:
        admin = srv.client()
        created = admin.create_session("closed-info", seed=3)
        sid, atok = created["session"], created["admin_token"]
        clients = {}
        for s in created["seats"]:
            c = srv.client()
            c.join(sid, join_code=s["join_code"])
            clients[s["seat"]] = c
        admin.start(sid, atok)
        for turn in range(3):
            for seat, c in clients.items():
                obs = c.state()
                check("estimated" in obs["public"] and
                      "unpublished" in obs["public"],
                      "closed information is said", seat)
                check_obs(obs, "closed-info %s turn %d" % (seat, turn))
                view = admin.seat_view(sid, atok, seat)
                check_obs(view, "control's view of %s, turn %d"
                          % (seat, turn))
                orders = example_bot.decide(obs, say=lambda *a: None)
                c.submit(orders, ready=True)
            while clients["USA"].state()["turn"] == turn:
                pass
        check(srv.stop() == 0, "the server stops cleanly")
    finally:
        if srv.proc.poll() is None:
            srv.kill9()
        shutil.rmtree(tmp, ignore_errors=True)


def test_environment_world(args):
    env = le.make_env(map="world-2024", seed=5, turns=6)
    obs, _ = env.reset()
    for seat in env.possible_agents:
        check_obs(obs[seat].to_dict(), "world-2024 %s turn 0" % seat)
    while env.agents:
        acts = {}
        for seat in env.agents:
            mask = env.action_mask(seat)
            legal = [i for i, m in enumerate(mask) if m][1:4]
            acts[seat] = legal
            for o in env.action_orders(seat, legal):
                check(not list(V_ORDER.iter_errors(o)),
                      "catalogue orders validate", o)
        obs = env.step(acts)[0]
    for seat in env.possible_agents:
        check_obs(obs[seat].to_dict(), "world-2024 %s end" % seat)


def test_environment_race(args):
    """race-2028 has recycling (design J4): the fourth stage, magnet_scrap
    and rules.recycling are described, and listed."""
    env = le.make_env(map="race-2028", seed=5, turns=3)
    obs, _ = env.reset()
    for seat in env.possible_agents:
        o = obs[seat].to_dict()
        check_obs(o, "race-2028 %s turn 0" % seat)
        check("recycling" in o["public"]["rules"]["stages"] and
              "magnet_scrap" in o["market"]["prices"] and
              "recycling" in o["public"]["rules"],
              "race-2028 lists recycling and scrap", seat)
    while env.agents:
        obs = env.step({seat: [] for seat in env.agents})[0]
    for seat in env.possible_agents:
        check_obs(obs[seat].to_dict(), "race-2028 %s end" % seat)


if __name__ == "__main__":
    run([test_server_game, test_closed_information, test_environment_world,
         test_environment_race],
        ["--server-bin", "--maps"])
