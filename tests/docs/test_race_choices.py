#!/usr/bin/python3
"""The players' choices of maps/race-2028.json (its top-level "choices",
which the server offers each seat in you.choices) are orders a seat can
submit: each entry names a seat of the map ("by") and its orders
validate against docs/orders.schema.json (Debian's python3-jsonschema),
with no key the order's schema does not know (the wire ignores unknown
keys, so a typo would pass silently), every required key, and an op the
seat's kind may give (the schema's x-who). tests/model/test_race2028.c
submits the main ones to the model.

    test_race_choices.py SOURCE_DIR
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    schema = json.load(open(os.path.join(root, "docs", "orders.schema.json")))
    m = json.load(open(os.path.join(root, "maps", "race-2028.json")))
    kinds = {s["seat"]: s["kind"] for s in m["seats"]}
    validator = jsonschema.Draft202012Validator(schema)
    branches = {}
    for b in schema["oneOf"]:
        branches[b["title"]] = b
    choices = m["choices"]
    problems = []
    n_orders = 0
    for c in choices:
        name = c.get("id", "?")
        by = c.get("by")
        if by not in kinds:
            problems.append("%s: 'by' %r is not a seat of the map" % (name, by))
            continue
        if not isinstance(c.get("note"), str) or len(c["note"]) < 10:
            problems.append("%s: a choice says where it comes from (note)"
                            % name)
        for i, o in enumerate(c.get("orders", [])):
            n_orders += 1
            where = "%s.orders[%d]" % (name, i)
            for e in validator.iter_errors(o):
                problems.append("%s: %s" % (where, e.message))
            title = o.get("op", "")
            if title == "policy":
                title = "policy " + o.get("kind", "")
            b = branches.get(title)
            if b is None:
                problems.append("%s: no schema for %r" % (where, title))
                continue
            unknown = set(o) - set(b.get("properties", {}))
            if unknown:
                problems.append("%s: keys the order does not know: %s"
                                % (where, sorted(unknown)))
            missing = set(b.get("required", [])) - set(o)
            if missing:
                problems.append("%s: missing %s" % (where, sorted(missing)))
            who = b.get("x-who", "")
            if kinds[by] + "s" not in who:
                problems.append("%s: %s is a %s; %s is for %s"
                                % (where, by, kinds[by], title, who))
    print("race-2028: %d choices, %d orders, %d problems"
          % (len(choices), n_orders, len(problems)))
    for p in problems:
        print("FAIL:", p)
    if n_orders < 20:
        print("FAIL: fewer than 20 orders in the choices")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
