#!/usr/bin/env python3
"""check_layout.py: the source tree keeps the shape DESIGN.md gives it.

Checks, each reported with what was found and what the rule wants:
  1. The model library exports only names that start with model_ (one
     module, one prefix): `nm -g --defined-only` on the static library.
  2. No include cycle between modules. A module is a top-level directory
     (model, protocol, server, agents, tournament, clients); every
     #include "..." in their C sources and headers is resolved against the
     including file's directory, then against every directory of those
     modules, and gives an edge between the two modules. A cycle in that
     graph is a failure, named module by module with one include per edge.
  3. The include rules in RULES below (who may not include what). Add a
     rule as one line; a rule that does not hold yet stays commented out
     with a note, so that the list says what is planned.

Usage: check_layout.py --source DIR --model-lib PATH [--nm NM]
Exit status 0 when every check holds, 1 otherwise.
"""

import argparse
import os
import re
import subprocess
import sys
from collections import namedtuple

MODULES = ["model", "protocol", "store", "server", "agents", "tournament",
           "clients"]

# A rule forbids an include from a file whose path (relative to the source
# tree) starts with one of `frm` but none of `unless`, of a file whose path
# starts with one of `to`.
Rule = namedtuple("Rule", "why frm to unless")

RULES = [
    Rule("model_internal.h is the model's own: the rest of the code sees "
         "model.h", frm=[""], to=["model/model_internal.h"],
         unless=["model/"]),
    Rule("the model is the bottom layer: it includes no other module",
         frm=["model/"], to=[m + "/" for m in MODULES if m != "model"],
         unless=[]),
    Rule("the wire codec and typed messages know nothing of servers, "
         "agents, tournaments or clients",
         frm=["protocol/"], to=["server/", "agents/", "tournament/",
                                "clients/"], unless=[]),
    Rule("the store holds SQL only: it knows no event loop, server, agents "
         "or clients", frm=["store/"],
         to=["server/", "agents/", "tournament/", "clients/"], unless=[]),
    Rule("clients/ includes no server/ header (the CLI reads databases "
         "through store/)", frm=["clients/"], to=["server/"], unless=[]),
]

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def check_symbols(lib, nm):
    """Names the model library defines that lack the model_ prefix."""
    out = subprocess.run([nm, "-g", "--defined-only", lib],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return ["%s -g --defined-only %s failed: %s"
                % (nm, lib, out.stderr.strip())]
    bad, obj, seen = [], "?", 0
    for line in out.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.endswith(":"):
            obj = line[:-1]
            continue
        parts = line.split()
        name = parts[-1]
        seen += 1
        # Names the compiler's instrumentation adds (ASan's __odr_asan.X,
        # __asan_*, gcov's __gcov_*) are not the model's own.
        if name.startswith("__"):
            continue
        if not name.startswith("model_"):
            bad.append("%s (in %s)" % (name, obj))
    if seen == 0:
        return ["%s defines no symbols at all; is it the model library?" % lib]
    return ["the model library exports %s; every exported name must start "
            "with model_ (make it static, or prefix it)" % b for b in bad]


def source_files(root):
    for mod in MODULES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, mod)):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def includes(root):
    """(includer, included, line number) for every resolved #include "..."
    of the modules; paths relative to root."""
    files = list(source_files(root))
    dirs = sorted({os.path.dirname(f) for f in files})
    found = []
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8",
                  errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                name = m.group(1)
                here = os.path.normpath(os.path.join(os.path.dirname(f), name))
                if os.path.isfile(os.path.join(root, here)):
                    found.append((f, here, n))
                    continue
                hits = [os.path.normpath(os.path.join(d, name)) for d in dirs
                        if os.path.isfile(os.path.join(root, d, name))]
                # a name found nowhere is a system or generated header
                for h in hits[:1]:
                    found.append((f, h, n))
    return found


def module_of(path):
    return path.split("/", 1)[0]


def find_cycle(edges):
    """A cycle in the module graph as a list of modules (first == last),
    or None. Depth-first, in sorted order, so the answer is stable."""
    graph = {}
    for (a, b) in edges:
        graph.setdefault(a, set()).add(b)
    state = {}

    def visit(v, stack):
        state[v] = 1
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state:
                c = visit(w, stack)
                if c:
                    return c
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state:
            c = visit(v, [])
            if c:
                return c
    return None


def check_includes(root):
    errors = []
    inc = includes(root)
    edges = {}
    for (f, h, n) in inc:
        a, b = module_of(f), module_of(h)
        if a != b and (a, b) not in edges:
            edges[(a, b)] = "%s:%d includes %s" % (f, n, h)
    cycle = find_cycle(edges)
    if cycle:
        steps = ["  %s -> %s: %s" % (a, b, edges[(a, b)])
                 for a, b in zip(cycle, cycle[1:])]
        errors.append("include cycle between modules %s; dependencies "
                      "must point one way (DESIGN.md, Layout):\n%s"
                      % (" -> ".join(cycle), "\n".join(steps)))
    for r in RULES:
        for (f, h, n) in inc:
            if (any(f.startswith(p) for p in r.frm)
                    and not any(f.startswith(p) for p in r.unless)
                    and any(h.startswith(p) for p in r.to)):
                errors.append("%s:%d includes %s, but %s"
                              % (f, n, h, r.why))
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--model-lib", required=True)
    ap.add_argument("--nm", default="nm")
    a = ap.parse_args()
    errors = check_symbols(a.model_lib, a.nm) + check_includes(a.source)
    for e in errors:
        print("layout: " + e, file=sys.stderr)
    if not errors:
        print("layout: the model exports only model_ names; no include "
              "cycle between modules; %d include rules hold" % len(RULES))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
