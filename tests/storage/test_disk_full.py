"""A full disk, simulated with a file-size limit (RLIMIT_FSIZE, as
`ulimit -f` sets it), never breaks "committed before told"
(docs/storage.md, "When a commit fails"; issue 10).

The server runs with a file-size limit small enough that its WAL cannot
grow for long. Two players submit and say ready turn after turn while a
watcher follows the session, until the database cannot take more:

- the server does not die of SIGXFSZ (it ignores the signal; the write
  fails with EFBIG, which is a failed commit);
- while commits fail, a new orders.submit is refused at once with
  `unavailable` and the message "the server cannot write its database
  (disk full?); your order was not stored; try again later", counted in
  server.stats (durable_refused, store_commit_failures);
- the limit is then lifted while the server runs (prlimit, as freeing
  space would): the store's retry commits what it kept, and orders are
  taken again;
- after kill -9 and a restart without the limit, every turn the watcher
  was told of (turn.resolved) is in the database, the session is where it
  was, and `lanthanide replay --verify` passes.

And the queue of writes waiting for a commit is bounded: with
--max-pending-writes 1, two submissions that arrive in one packet give
one answer and one `unavailable` naming the flag (counted in
durable_refused).
"""
import os
import resource
import time

import msgpack

from common import (Server, Suite, check, db_query, parse_args, run_tool)
from lanthanide import LanthanideError

SEATS = ["CHN", "USA", "EUU", "dragon_mining", "dragon_separation",
         "dragon_magnets", "mountain_minerals", "kangaroo_rare",
         "euro_magnets"]
PLAYERS = ["CHN", "USA"]
# Bytes a file of the server may reach: the 32 KiB shared-memory file of
# the WAL fits, and the WAL gets a few pages more before it is "full".
LIMIT = 48 * 1024


def make_game(args, db):
    """A started classroom session of many turns with PLAYERS (tokens) and
    agents on the other seats, stored and the server stopped cleanly.
    Returns (session, admin token, {seat: token})."""
    srv = Server(args.server_bin, args.maps, db)
    try:
        admin = srv.client()
        r = admin.create_session("classroom", turns=16, turn_seconds=0)
        sid, atok = r["session"], r["admin_token"]
        codes = {s["seat"]: s["join_code"] for s in r["seats"]}
        tokens = {}
        for seat in PLAYERS:
            c = srv.client()
            tokens[seat] = c.join(sid, join_code=codes[seat])["token"]
        for seat in SEATS:
            if seat not in PLAYERS:
                admin.bot(sid, atok, seat, "standing")
        admin.start(sid, atok)
    finally:
        check(srv.stop() == 0, "the server exits 0")
    return sid, atok, tokens


def limited():
    # The soft limit bites; the hard one stays, so the test may lift the
    # soft one later without privileges.
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, hard))


def play_until_full(srv, sid, tokens, watcher):
    """Both players submit with ready=True, turn after turn, until an
    answer is an error. Returns (the error, the turns resolved meanwhile
    as the watcher saw them)."""
    players = {seat: srv.client() for seat in PLAYERS}
    for turn in range(16):
        for seat in PLAYERS:
            try:
                players[seat].call("orders.submit", session=sid,
                                   token=tokens[seat], orders=[], ready=True)
            except LanthanideError as e:
                return e
        # Wait for the turn to resolve, or for the commit that fails.
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                watcher.wait_for("turn.resolved", timeout=0.2,
                                 predicate=lambda n: n["turn"] == turn)
                break
            except TimeoutError:
                stats = watcher.call("server.stats")
                if stats["store_commit_failures"] > 0:
                    break
    raise AssertionError("the session played 16 turns under a %d-byte "
                         "file-size limit" % LIMIT)


def resolved_turns(watcher, seconds):
    """Every turn.resolved the watcher got (it keeps reading a while)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        watcher.poll()
        time.sleep(0.02)
    return [n["turn"] for n in watcher.pending_notifications()
            if n.method == "turn.resolved"]


def t_disk_full(args, tmp):
    db = os.path.join(tmp, "full.db")
    sid, atok, tokens = make_game(args, db)
    srv = Server(args.server_bin, args.maps, db, preexec_fn=limited)
    try:
        watcher = srv.client()
        watcher.watch(sid, admin_token=atok)
        err = play_until_full(srv, sid, tokens, watcher)
        check(err.code == "unavailable", "a full disk answers unavailable",
              err.code, err.message)
        check("cannot write its database" in err.message and
              "not stored" in err.message, "the message says so", err)
        check(srv.alive(), "the server is alive (SIGXFSZ ignored)",
              srv.stderr_tail())
        # A new submission is refused at once while commits fail: its
        # answer comes without waiting for any commit.
        c = srv.client()
        t0 = time.monotonic()
        try:
            c.call("orders.submit", session=sid, token=tokens["CHN"],
                   orders=[], _timeout=10)
            raise AssertionError("orders.submit was taken with the disk "
                                 "full")
        except LanthanideError as e:
            check(e.code == "unavailable", "refused with unavailable", e)
        check(time.monotonic() - t0 < 10, "answered (liveness bound)")
        stats = c.call("server.stats")
        check(stats["durable_refused"] >= 2,
              "the refusals are counted", stats)
        check(stats["store_commit_failures"] >= 1,
              "the failed commits are counted", stats)
        told = resolved_turns(watcher, 0.5)
        # Space comes back: the retry commits what was kept.
        hard = resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE)[1]
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (hard, hard))
        end = time.monotonic() + 15
        while True:
            try:
                c.call("orders.submit", session=sid, token=tokens["CHN"],
                       orders=[])
                break
            except LanthanideError as e:
                check(e.code == "unavailable" and time.monotonic() < end,
                      "orders are taken again once space is back", e)
                time.sleep(0.1)
        told += resolved_turns(watcher, 0.5)
        state = c.call("state.get", session=sid, token=tokens["CHN"])
        open_turn = state["turn"]
    finally:
        srv.kill9()
    check(told == sorted(told) and len(set(told)) == len(told),
          "each turn.resolved once, in order", told)
    check(told and told[-1] == open_turn - 1,
          "the watcher was told of every resolved turn once committed",
          told, open_turn)
    stored = [t for (t,) in db_query(db, "SELECT turn FROM turns WHERE "
                                     "session_id = ? ORDER BY turn", (sid,))]
    for t in told:
        check(t in stored, "turn %d, told to the watcher, is stored" % t,
              stored)
    srv = Server(args.server_bin, args.maps, db)
    try:
        c = srv.client()
        state = c.call("state.get", session=sid, token=tokens["CHN"])
        check(state["turn"] == open_turn, "restored where it stood",
              state["turn"], open_turn)
    finally:
        check(srv.stop() == 0, "the server exits 0")
    rc, out, err = run_tool(args.cli_bin, "replay", "--db", db, "--session",
                            sid, "--verify")
    check(rc == 0, "replay --verify passes", rc, out, err)


def t_pending_bounded(args, tmp):
    db = os.path.join(tmp, "pending.db")
    srv = Server(args.server_bin, args.maps, db,
                 extra=["--max-pending-writes", "1"])
    try:
        admin = srv.client()
        r = admin.create_session("classroom", turns=4)
        sid = r["session"]
        p = srv.client()
        tok = p.join(sid, join_code=r["seats"][0]["join_code"])["token"]
        # Both in one write: the server reads them in one loop iteration,
        # so the second finds the first's write still queued.
        req = {"session": sid, "token": tok, "orders": []}
        p.sock.sendall(msgpack.packb([0, 9001, "orders.submit", [req]]) +
                       msgpack.packb([0, 9002, "orders.submit", [req]]))
        e1, r1 = p.response(9001)
        e2, r2 = p.response(9002)
        check(e1 is None and r1["turn"] == 0, "the first is taken", e1)
        check(e2 and e2["code"] == "unavailable" and
              "--max-pending-writes" in e2["message"],
              "the second is refused, naming the limit", e2)
        check(admin.call("server.stats")["durable_refused"] == 1, "counted")
    finally:
        check(srv.stop() == 0, "the server exits 0")


def main():
    args = parse_args(__doc__)
    suite = Suite(args)
    suite.run("--max-pending-writes bounds the queue of writes",
              t_pending_bounded, args, suite.tmp)
    suite.run("a full disk: unavailable at once, nothing told before "
              "stored, resumes", t_disk_full, args, suite.tmp)
    return suite.finish()


if __name__ == "__main__":
    raise SystemExit(main())
