"""What the storage tests share: starting and killing the real
lanthanide-server on a database file, running the `lanthanide` tool,
reading the database directly, deterministic orders, and the
"N passed, M failed" report.

Every script takes the same arguments:

    /usr/bin/python3 tests/storage/test_X.py \\
        --server-bin build/bin/lanthanide-server \\
        --cli-bin build/bin/lanthanide --maps maps

(Debian's python3, which has python3-msgpack; exit status 77 if it is
missing, which CTest reports as skipped.)
"""
import argparse
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "pylib"))

# The server process (exits 77 without python3-msgpack).
from lanserver import BANNER, Client, Server, ServerFailed  # noqa: E402,F401
import msgpack  # noqa: E402


def schema_version():
    """STORE_SCHEMA_VERSION of the source tree (store/store.h)."""
    with open(os.path.join(ROOT, "store", "store.h")) as f:
        m = re.search(r"#define STORE_SCHEMA_VERSION (\d+)", f.read())
    return int(m.group(1))


def file_digest(path):
    """SHA-256 of a file's bytes, or None if it does not exist."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None


def run_tool(cli, *args, cwd=None, timeout=120):
    """Run `lanthanide ARGS`; returns (status, stdout, stderr)."""
    p = subprocess.run([cli] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout, cwd=cwd)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def db_query(path, sql, params=()):
    """Rows of a query on a read-only connection (never changes the
    file)."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def decode_orders(blob):
    return msgpack.unpackb(blob, raw=False, strict_map_key=False)


# ---- Deterministic play -----------------------------------------------------

def _h(*parts):
    """A stable integer from the parts (not Python's salted hash)."""
    d = hashlib.blake2b(":".join(str(p) for p in parts).encode(),
                        digest_size=8).digest()
    return int.from_bytes(d, "big")


PRODUCTS = ["concentrate", "ndpr_oxide", "dytb_oxide", "lace_oxide",
            "magnet"]
SKILLS = ["mining", "separation", "magnet"]


def orders_for(game, turn, seat, kind, facilities, variant=0):
    """The orders a test seat sends in a turn: a function of the game's
    index, the turn, the seat and its facilities (from the map) only, so a
    game played twice gets the same orders whatever happened in between.
    Every number is the double nearest a decimal of at most six places (a
    division, not a product: 3 * 0.05 is not 0.15), which is what the
    server's exact integers give back, so a stored order compares equal.
    variant gives another, different set (for a submission that a later
    one replaces)."""
    h = _h(game, turn, seat, variant)
    orders = []
    if kind == "firm":
        for i, fac in enumerate(sorted(facilities)):
            u = (5 + (h >> (3 * i)) % 6) / 10.0  # 0.5 .. 1.0
            orders.append({"op": "operate", "facility": fac,
                           "utilisation": u})
        if turn % 3 == 0:
            orders.append({"op": "hire", "skill": SKILLS[h % 3],
                           "count": 1 + (h >> 20) % 3})
    else:
        orders.append({"op": "policy", "kind": "tariff",
                       "product": PRODUCTS[(h >> 8) % 5],
                       "rate": ((h >> 12) % 4) * 5 / 100.0, "from": "all"})
        if turn % 4 == 1:
            orders.append({"op": "policy", "kind": "tax",
                           "rate": ((h >> 16) % 3) / 10.0})
    return orders


def accepted(orders, result):
    """The orders a submission kept: those not in result['rejected']."""
    bad = {r["index"] for r in result.get("rejected", [])}
    return [o for i, o in enumerate(orders) if i not in bad]


# ---- Test runner ------------------------------------------------------------

def parse_args(doc, extra=None):
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--server-bin", required=True)
    ap.add_argument("--cli-bin", required=True)
    ap.add_argument("--maps", required=True)
    ap.add_argument("-k", dest="only", default=None,
                    help="run only the tests whose name contains this")
    if extra:
        extra(ap)
    return ap.parse_args()


class TestFailure(AssertionError):
    pass


def check(cond, what, *details):
    if not cond:
        msg = what
        if details:
            msg += ": " + " | ".join(str(d) for d in details)
        raise TestFailure(msg)


class Suite:
    """Runs named test functions and prints "N passed, M failed" last."""

    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = 0
        self.tmp = tempfile.mkdtemp(prefix="lan-storage-")

    def run(self, name, fn, *a):
        if self.args.only and self.args.only not in name:
            return
        t0 = time.monotonic()
        try:
            fn(*a)
            ok, detail = True, None
        except Exception:  # noqa: BLE001
            ok, detail = False, traceback.format_exc()
        dt = time.monotonic() - t0
        if ok:
            self.passed += 1
            print("ok     %-52s %6.2f s" % (name, dt), flush=True)
        else:
            self.failed += 1
            print("FAILED %-52s %6.2f s" % (name, dt), flush=True)
            print("  " + detail.rstrip().replace("\n", "\n  "), flush=True)

    def finish(self):
        import shutil
        if self.failed == 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("# files kept in %s" % self.tmp)
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0
