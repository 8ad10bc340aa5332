"""check_names.py: every wire name the model knows is in the documentation
(issue 11, design 5.6). Every op, event kind, product and stage of
model/util.c's name tables and every order field key of the order schema
(model/order_schema.c) appears in backticks in docs/protocol.md; every key
the map loader accepts (its check_keys lists in model/load.c) appears in
docs/maps.md. A name added to the code without its documentation fails
here, naming it and the file it belongs in.

Usage: check_names.py <source root>"""
import os
import re
import sys


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def names_of(src, table):
    m = re.search(r"%s\[[^\]]*\]\s*=\s*\{(.*?)\};" % re.escape(table), src,
                  re.S)
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    util = read(root, "model/util.c")
    schema = read(root, "model/order_schema.c")
    load = read(root, "model/load.c")
    protocol = read(root, "docs/protocol.md")
    maps = read(root, "docs/maps.md")
    missing = []
    tables = ["model__op_names", "model__event_names",
              "model__product_names", "model__stage_names"]
    for table in tables:
        names = names_of(util, table)
        if not names:
            missing.append("model/util.c has no table %s any more" % table)
        for n in names:
            if "`%s`" % n not in protocol:
                missing.append("docs/protocol.md: `%s` (%s)" % (n, table))
    for key in sorted(set(re.findall(r'\{"([a-z_]+)",\s*MODEL_FIELD_',
                                     schema))):
        if "`%s`" % key not in protocol:
            missing.append("docs/protocol.md: order field `%s`" % key)
    lists = re.findall(r"static const char \*const \w+\[\]\s*=\s*\{(.*?)\};",
                       load, re.S)
    if not lists:
        missing.append("model/load.c has no check_keys lists any more")
    for body in lists:
        for key in re.findall(r'"([^"]+)"', body):
            if "`%s`" % key not in maps and '"%s"' % key not in maps:
                missing.append("docs/maps.md: map key `%s`" % key)
    for m in missing:
        print(m)
    if missing:
        print("%d names are not documented: document them where named"
              % len(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
