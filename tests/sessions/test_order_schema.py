#!/usr/bin/python3
"""orders.schema: the JSON Schema of one order, checked against real orders.

The schema the server returns must be a valid draft 2020-12 schema, accept
every order that the documentation shows as valid, every standing order and
policy of the maps and every order the built-in agents submitted in a real
game (read back from the server's database), and refuse invalid orders
that the server refuses too (each is also submitted, and the server must
reject it with invalid_order). A bot author who validates with the schema
then sends nothing the protocol layer refuses.

Needs Debian's python3-jsonschema (scripts/deps.sh installs it); without
it the test reports itself skipped (exit status 77).
"""
import glob
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Game, Suite, check, settle  # noqa: E402

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is missing: apt-get install python3-jsonschema "
          "(and run the tests with /usr/bin/python3)")
    sys.exit(77)

import msgpack  # noqa: E402  (lanserver has checked it is there)

suite = Suite(__doc__)

# The order the documentation shows on purpose as refused by the protocol
# layer outside its tables of refusals (the orders.submit example).
DOCS_INVALID = [
    {"op": "offer", "product": "neodymium", "quantity": 1, "min_price": 1},
]

# Invalid orders of every kind of mistake, for a firm (F) or a nation (N):
# each must fail the schema and be refused by the server.
INVALID = [
    ("F", {}),
    ("F", {"op": 7}),
    ("F", {"op": "fly", "to": "the moon"}),
    ("F", {"op": "build", "stage": "smelting", "capacity": 10,
           "site": "x"}),
    ("F", {"op": "build", "stage": "separation", "capacity": 0}),
    ("F", {"op": "build", "stage": "separation", "capacity": 2e7}),
    ("F", {"op": "build", "stage": "mining", "capacity": 500}),
    ("F", {"op": "build", "stage": "separation", "capacity": "lots"}),
    ("F", {"op": "operate", "facility": "mountain_mine"}),
    ("F", {"op": "operate", "facility": "", "utilisation": 0.5}),
    ("F", {"op": "operate", "facility": "x" * 48, "utilisation": 0.5}),
    ("F", {"op": "operate", "facility": "mountain_mine",
           "utilisation": -0.1}),
    ("F", {"op": "hire", "skill": "mining", "count": 2e6}),
    ("F", {"op": "hire", "skill": "mining", "count": 2.5}),
    ("F", {"op": "hire", "skill": "welding", "count": 2}),
    ("F", {"op": "train", "skill": "mining", "count": 0}),
    ("F", {"op": "offer", "product": "magnet", "quantity": -1,
           "min_price": 3}),
    ("F", {"op": "offer", "product": "magnet", "quantity": 1}),
    ("F", {"op": "bid", "product": "magnet", "quantity": 1e10,
           "max_price": 3}),
    ("F", {"op": "bid", "product": "magnet", "quantity": 5,
           "max_price": -3}),
    ("N", {"op": "policy"}),
    ("N", {"op": "policy", "kind": "embargo", "product": "magnet"}),
    ("N", {"op": "policy", "kind": "tariff", "product": "magnet",
           "rate": 99}),
    ("N", {"op": "policy", "kind": "tariff", "rate": 0.1}),
    ("N", {"op": "policy", "kind": "export_quota", "product": "magnet",
           "quantity": -5}),
    ("N", {"op": "policy", "kind": "export_ban", "product": "magnet",
           "lift": "yes"}),
    ("N", {"op": "policy", "kind": "export_licence",
           "product": "dytb_oxide", "approval": 1.5}),
    ("N", {"op": "policy", "kind": "subsidy", "stage": "separation",
           "capex_share": 2}),
    ("N", {"op": "policy", "kind": "price_floor", "product": "magnet",
           "price": 50}),
    ("N", {"op": "policy", "kind": "stockpile", "product": "magnet"}),
    ("N", {"op": "policy", "kind": "talent_programme", "skill": "magnet",
           "budget": 1e13}),
    ("N", {"op": "policy", "kind": "migration", "skill": "magnet",
           "inbound": True}),
    ("N", {"op": "policy", "kind": "permitting", "stage": "mining",
           "speed": 3}),
    ("N", {"op": "policy", "kind": "production_quota", "stage": "mining",
           "quantity": "none"}),
    ("N", {"op": "policy", "kind": "tax", "rate": 1.01}),
]

# Valid orders the schema must accept beyond the documented ones: the
# optional forms (lifts, defaults, integers where numbers go).
VALID_EXTRA = [
    {"op": "policy", "kind": "export_quota", "product": "magnet",
     "quantity": None, "to": "all"},
    {"op": "policy", "kind": "export_quota", "product": "magnet"},
    {"op": "policy", "kind": "export_ban", "product": "magnet"},
    {"op": "policy", "kind": "production_quota", "stage": "mining"},
    {"op": "policy", "kind": "subsidy", "stage": "magnet"},
    {"op": "offer", "product": "magnet", "quantity": 0},
    {"op": "hire", "skill": "magnet", "count": -3},
    {"op": "build", "stage": "mining", "capacity": 5, "facility": "m1"},
    {"op": "bid", "product": "magnet", "quantity": 1, "max_price": 2,
     "note": "unknown keys are ignored"},
]


def orders_in_text(text):
    """Every JSON object in `text` that starts with {"op": and parses,
    except in rows of the tables of refusals ("| `{"op": ...}` | message")."""
    found = []
    for m in re.finditer(r'\{"op":', text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if text.startswith("| `", line_start):
            continue
        depth, i = 0, m.start()
        for j in range(i, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                try:
                    o = json.loads(text[i:j + 1])
                except ValueError:
                    break  # an elided example ("...")
                # orders.schema's own example has {"op": {"const": ...}}.
                if isinstance(o["op"], str):
                    found.append(o)
                break
    return found


def plain(value):
    """A map file's figure objects ({"value": n, "source": ...}) as their
    numbers: what the loader reads and the order carries."""
    if isinstance(value, dict):
        if "value" in value and ("source" in value or "assumption" in value):
            return value["value"]
        return {k: plain(v) for k, v in value.items()}
    return value


def orders_in_json(value):
    """Every order map inside a parsed map file."""
    if isinstance(value, dict):
        if "op" in value:
            yield plain(value)
        for v in value.values():
            yield from orders_in_json(v)
    elif isinstance(value, list):
        for v in value:
            yield from orders_in_json(v)


def fetch_schema(server):
    c = server.client()
    res = c.call("orders.schema", {})
    check(sorted(res) == ["schema"], "orders.schema answers {schema}", res)
    schema = res["schema"]
    check(c.orders_schema() == schema, "the Python client's helper gives it")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator, order):
    return [e.message for e in validator.iter_errors(order)]


@suite.test
def schema_is_a_valid_json_schema(server):
    v = fetch_schema(server)
    s = v.schema
    check(s["$schema"] == "https://json-schema.org/draft/2020-12/schema",
          "draft 2020-12", s["$schema"])
    titles = [b["title"] for b in s["oneOf"]]
    check(titles[:6] == ["build", "operate", "hire", "train", "offer", "bid"],
          "one branch per op", titles)
    policies = [t for t in titles[6:] if t.startswith("policy ")]
    kinds = [t.split(" ", 1)[1] for t in policies]
    # PROTOCOL.md's kinds, in its order; new kinds may follow (additions
    # are welcome, renames and removals are not).
    check(kinds[:12] == ["export_quota", "export_ban", "export_licence",
                         "tariff", "subsidy", "price_floor", "stockpile",
                         "talent_programme", "migration", "permitting",
                         "production_quota", "tax"],
          "one branch per policy kind, as PROTOCOL.md lists them", kinds)
    check(titles[6:6 + len(policies)] == policies,
          "the policy kinds follow the ops", titles)
    # ops added after policy (issue 11) follow the kinds, in their order
    check(titles[6 + len(policies):] == [
        "grant", "equity", "loan", "contract_propose", "contract_accept",
        "contract_withdraw", "acquire", "transfer"],
          "the later ops follow the kinds", titles)


@suite.test
def documented_orders_are_valid(server):
    v = fetch_schema(server)
    docs = []
    for path in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        with open(path, encoding="utf-8") as f:
            docs += [(os.path.basename(path), o) for o in orders_in_text(
                f.read())]
    check(len(docs) >= 30, "the docs show orders", len(docs))
    for where, o in docs:
        if o in DOCS_INVALID:
            check(errors(v, o), "a documented refusal fails the schema",
                  where, o)
        else:
            check(not errors(v, o), "a documented order is valid", where, o,
                  errors(v, o))
    for o in VALID_EXTRA:
        check(not errors(v, o), "valid", o, errors(v, o))


@suite.test
def map_orders_are_valid(server):
    v = fetch_schema(server)
    n = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "maps", "*.json"))):
        with open(path, encoding="utf-8") as f:
            for o in orders_in_json(json.load(f)):
                n += 1
                check(not errors(v, o), "a map's order is valid",
                      os.path.basename(path), o, errors(v, o))
    check(n >= 50, "the maps hold standing orders and policies", n)


@suite.test
def invalid_orders_fail_and_the_server_agrees(server):
    v = fetch_schema(server)
    admin = server.client()
    game = Game(admin, "classroom", name="schema", turn_seconds=3600)
    firm, nation = server.client(), server.client()
    tokens = {"F": game.join(firm, "mountain_minerals"),
              "N": game.join(nation, "USA")}
    clients = {"F": firm, "N": nation}
    game.start()
    for who, o in INVALID:
        check(errors(v, o), "an invalid order fails the schema", o)
        res = clients[who].call("orders.submit", {
            "session": game.id, "token": tokens[who], "orders": [o]})
        check(len(res["rejected"]) == 1 and
              res["rejected"][0]["code"] == "invalid_order",
              "the server refuses it too", o, res)
    # And what the schema accepts, the protocol layer accepts: the
    # extra valid forms are refused, if at all, by the game (the model's
    # own checks name a field the schema cannot know about).
    for o in VALID_EXTRA:
        who = "N" if o["op"] == "policy" else "F"
        res = clients[who].call("orders.submit", {
            "session": game.id, "token": tokens[who], "orders": [o]})
        for r in res["rejected"]:
            check("must be" not in r["message"] or
                  r["field"] in ("count", "facility"),
                  "a schema-valid order passes the protocol layer", o, r)
    settle(admin, firm, nation)


@suite.test
def agents_orders_are_valid(server):
    v = fetch_schema(server)
    admin = server.client()
    game = Game(admin, "classroom", name="agents", turns=4,
                turn_seconds=3600)
    strategies = admin.strategies()
    check(len(strategies) >= 3, "several built-in strategies", strategies)
    for i, seat in enumerate(game.seats):
        fits = [s["id"] for s in strategies
                if game.kinds[seat] in s["kinds"]]
        admin.bot(game.id, game.admin_token, seat, fits[i % len(fits)])
    game.watch(admin)
    game.start()
    admin.wait_for("session.finished", timeout=60)
    db = sqlite3.connect("file:%s?mode=ro" % server.db, uri=True)
    rows = db.execute("SELECT orders FROM submissions WHERE session_id = ?",
                      (game.id,)).fetchall()
    db.close()
    seen = 0
    ops = set()
    for (blob,) in rows:
        for o in msgpack.unpackb(blob, raw=False):
            seen += 1
            ops.add(o["op"] if o["op"] != "policy" else o["kind"])
            check(not errors(v, o), "an agent's order is valid", o,
                  errors(v, o))
    check(seen >= 20, "the agents submitted orders", seen)
    check(len(ops) >= 4, "of several ops and kinds", sorted(ops))


sys.exit(suite.run())
