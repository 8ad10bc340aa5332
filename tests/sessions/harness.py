"""Shared helpers of the session integration tests.

Each test script starts its own real lanthanide-server on 127.0.0.1 with
port 0 (the port is read from the banner line on stdout), a database in a
temporary folder and the source tree's maps, runs its tests against it
with the Python client (clients/python/lanthanide.py), sends SIGTERM at the
end and checks the exit status is 0. The last line it prints is
"N passed, M failed"; the exit status is non-zero if anything failed (77 if
python3-msgpack is missing, which CTest reports as skipped).

Run with /usr/bin/python3 (Debian's, with python3-msgpack):

    /usr/bin/python3 tests/sessions/test_chat.py \\
        --server-bin build/bin/lanthanide-server --maps maps
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "pylib"))

import lanserver  # noqa: E402 (exits 77 without python3-msgpack)
import msgpack  # noqa: E402,F401
import lanthanide  # noqa: E402
from lanserver import BANNER  # noqa: E402,F401
from lanthanide import Client, LanthanideError, Notification  # noqa: E402,F401

# The seats of maps/classroom.json, in map order.
CLASSROOM_SEATS = ["CHN", "USA", "EUU", "dragon_mining", "dragon_separation",
                   "dragon_magnets", "mountain_minerals", "kangaroo_rare",
                   "euro_magnets"]
# every product of the model, in enum order: a summary names each (price 0
# where the map does not have it: dy_oxide and tb_oxide on basket maps,
# dytb_oxide on split maps; design J1)
PRODUCTS = ["concentrate", "ndpr_oxide", "dytb_oxide", "lace_oxide", "magnet",
            "dy_oxide", "tb_oxide"]
STAGES = ["mining", "separation", "magnet"]

# The upper bound on anything a test waits for that the server's clock or
# scheduling decides (a turn at its deadline, an answer under load): a
# liveness bound, generous enough for the sanitizer build on a busy
# machine, never a performance claim. Tests check that nothing happens
# before its time (a lower bound, which slowness cannot break) and that it
# happens at all, within this; how fast is measured in bench/ (bench/run.sh).
LIVE_S = 30.0


class TestFailure(AssertionError):
    pass


def check(cond, what, *details):
    """Assert with a readable message."""
    if not cond:
        msg = what
        if details:
            msg += ": " + " ".join(repr(d) for d in details)
        raise TestFailure(msg)


def expect_error(code, fn, *args, field=None, **kw):
    """Call fn and check it raises LanthanideError with this code (and
    field, if given), with a message for a person. Returns the error."""
    try:
        got = fn(*args, **kw)
    except LanthanideError as e:
        check(e.code == code, "expected error %s, got %s" % (code, e.code),
              str(e))
        check(isinstance(e.message, str) and len(e.message) > 10,
              "the error message says what was wrong", e.message)
        if field is not None:
            check(e.field == field, "expected field %r, got %r" % (field, e.field),
                  str(e))
        return e
    raise TestFailure("expected error %s, got the result %r" % (code, got))


class Server(lanserver.Server):
    """One lanthanide-server process on 127.0.0.1, port 0, with its database
    in a temporary folder of its own (removed by cleanup)."""

    def __init__(self, binary, maps, extra=()):
        self.tmp = tempfile.mkdtemp(prefix="lan-sessions-")
        super().__init__(binary, maps, os.path.join(self.tmp, "lanthanide.db"),
                         extra, timeout=10.0,
                         err_path=os.path.join(self.tmp, "stderr.log"))

    def cleanup(self):
        self._close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Game:
    """A session created over `admin` (a Client): its id, admin token and
    the join code of each seat."""

    def __init__(self, admin, map="classroom", **options):
        self.admin = admin
        res = admin.create_session(map, **options)
        self.created = res
        self.id = res["session"]
        self.admin_token = res["admin_token"]
        self.seats = [s["seat"] for s in res["seats"]]
        self.codes = {s["seat"]: s["join_code"] for s in res["seats"]}
        self.kinds = {s["seat"]: s["kind"] for s in res["seats"]}

    def join(self, client, seat, name=None):
        """Join `seat` on `client`; returns the seat's token."""
        res = client.join(self.id, join_code=self.codes[seat], name=name)
        check(res["seat"] == seat, "joined the seat asked for", res, seat)
        check(isinstance(res["token"], str) and len(res["token"]) >= 32,
              "a token of at least 128 bits", res)
        return res["token"]

    def watch(self, client):
        """Follow the session on `client` as the admin."""
        check(client.watch(self.id, admin_token=self.admin_token) == {},
              "session.watch answers {}")

    def bots(self, seats, strategy="standing", force=None):
        """session.bot on each seat; force=True also on seats a person
        holds (they are told with seat.agent)."""
        for seat in seats:
            res = self.admin.bot(self.id, self.admin_token, seat, strategy,
                                 force=force)
            check(res == {"seat": seat}, "session.bot answers the seat", res)

    def start(self):
        check(self.admin.start(self.id, self.admin_token) == {"status": "running"},
              "session.start answers running")

    def listing(self):
        """This session's entry of session.list."""
        for s in self.admin.sessions():
            if s["session"] == self.id:
                return s
        raise TestFailure("session %s missing from session.list" % self.id)

    def seat_listing(self, seat):
        for s in self.listing()["seats"]:
            if s["seat"] == seat:
                return s
        raise TestFailure("seat %s missing from session.list" % seat)


def settle(*clients):
    """Make sure every notification the server sent before now has been
    read: a ping's answer leaves after everything queued before it."""
    for c in clients:
        c.ping()


def notes_of(client, method=None):
    """The queued notifications of `client` (of `method`, if given), left
    in the queue."""
    return [n for n in client.pending_notifications()
            if method is None or n.method == method]


def wait_queued(client, method, timeout=5.0):
    """Wait until a notification of `method` is queued on `client`,
    leaving it (and everything else) in the queue."""
    deadline = time.monotonic() + timeout
    while not notes_of(client, method):
        if time.monotonic() > deadline:
            raise TestFailure("no %s notification within %.1f s"
                              % (method, timeout))
        client.poll()
        time.sleep(0.005)


def take(client, method):
    """Remove and return the queued notifications of `method`."""
    kept, taken = [], []
    for n in client.clear_notifications():
        (taken if n.method == method else kept).append(n)
    client._notes.extend(kept)
    return taken


def check_summary(summary, seats):
    """A turn summary (turn.resolved, history.get): prices of every
    product, production and capacity by stage and nation, a score for
    every seat."""
    check(isinstance(summary, dict), "a summary map", summary)
    for key in ("prices", "production", "scores"):
        check(key in summary, "the summary has %s" % key, sorted(summary))
    check(sorted(summary["prices"]) == sorted(PRODUCTS),
          "prices for every product", summary["prices"])
    for p, v in summary["prices"].items():
        check(isinstance(v, (int, float)) and v >= 0, "a price", p, v)
    check(sorted(summary["production"]) == sorted(STAGES),
          "production for every stage", summary["production"])
    for stage, by_nation in summary["production"].items():
        check(isinstance(by_nation, dict) and by_nation,
              "production by nation", stage, by_nation)
    check(sorted(summary["capacity"]) == sorted(STAGES),
          "capacity for every stage", summary.get("capacity"))
    for stage, by_nation in summary["capacity"].items():
        check(isinstance(by_nation, dict) and
              sorted(by_nation) == sorted(summary["production"][stage]) and
              all(isinstance(v, (int, float)) and v >= 0
                  for v in by_nation.values()),
              "capacity by nation, t/yr, the nations of production", stage,
              by_nation)
    sec = summary["security"]
    check(isinstance(sec, dict) and sorted(sec) ==
          sorted(summary["production"]["mining"]) and
          all(0 <= v <= 1 for v in sec.values()),
          "supply security, a fraction for every nation", sec)
    check([s["seat"] for s in summary["scores"]] == list(seats),
          "a score for every seat, in seat order", summary["scores"])
    for s in summary["scores"]:
        check(isinstance(s["score"], (int, float)), "a numeric score", s)


class Suite:
    """Runs the test functions of one script against one server."""

    def __init__(self, doc, server_args=()):
        ap = argparse.ArgumentParser(description=doc)
        ap.add_argument("--server-bin", required=True,
                        help="path of lanthanide-server")
        ap.add_argument("--maps", required=True, help="the maps folder")
        ap.add_argument("-k", dest="only", default=None,
                        help="run only the tests whose name contains this")
        self.args = ap.parse_args()
        self.server_args = list(server_args)
        self.tests = []
        self.passed = 0
        self.failed = 0

    def test(self, fn):
        """Decorator: register a test function taking the Server."""
        self.tests.append((fn.__name__, fn))
        return fn

    def add(self, name, fn):
        self.tests.append((name, fn))

    def _result(self, name, ok, elapsed, detail=None):
        if ok:
            self.passed += 1
            print("ok     %-44s %6.2f s" % (name, elapsed), flush=True)
        else:
            self.failed += 1
            print("FAILED %-44s %6.2f s" % (name, elapsed), flush=True)
            if detail:
                print("  " + detail.rstrip().replace("\n", "\n  "), flush=True)

    def run(self):
        started = time.monotonic()
        try:
            server = Server(self.args.server_bin, self.args.maps,
                            self.server_args)
        except Exception as e:  # noqa: BLE001
            self._result("server starts", False, 0.0, str(e))
            print("%d passed, %d failed" % (self.passed, self.failed))
            return 1
        print("# %s, port %d, %s" % (" ".join(self.server_args) or "defaults",
                                     server.port, server.version), flush=True)
        try:
            for name, fn in self.tests:
                if self.args.only and self.args.only not in name:
                    continue
                t0 = time.monotonic()
                try:
                    fn(server)
                    ok, detail = True, None
                except Exception:  # noqa: BLE001
                    ok, detail = False, traceback.format_exc()
                if not server.alive():
                    ok = False
                    detail = (detail or "") + "\nthe server died (status %s)" \
                        % server.proc.returncode
                self._result(name, ok, time.monotonic() - t0, detail)
                if not server.alive():
                    break
            t0 = time.monotonic()
            status = server.stop()
            self._result("server exits with status 0 on SIGTERM", status == 0,
                         time.monotonic() - t0,
                         None if status == 0 else "exit status %s" % status)
            if self.failed:
                print("# server stderr (last lines):\n" + server.stderr_tail())
        finally:
            server.kill()
            server.cleanup()
        print("# %.1f s" % (time.monotonic() - started))
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0
