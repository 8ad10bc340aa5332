#!/usr/bin/python3
"""One client's burst, or many turns due at once, do not stall the others.

- A client pipelines 20,000 state.get requests with a token no session
  knows, in one write. The server handles at most --max-batch (64) of one
  connection's requests per loop iteration, so another client's ping is
  answered meanwhile (a loose bound); the burst's answers all come back,
  in order, `unauthorized`; server.stats counts the deferred batches.
- 40 sessions played by agents only, with no deadline, are started at
  once: every turn of every session is due at the same moment. Turns are
  resolved one per loop iteration, so another client's pings stay answered
  (a loose bound) and every session finishes.

The bounds on time are liveness bounds (LIVE_S, 30 s), not performance
claims: each test prints its measured wait as a `bench=` line, and
bench/run.sh runs this script to report those figures.

The server runs with --create-burst 100 and --max-lobby-per-address 100
(the test creates 41 sessions from one address).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CLASSROOM_SEATS, LIVE_S, Game, Suite,  # noqa: E402
                     check, msgpack)

suite = Suite(__doc__, server_args=["--create-burst", "100",
                                    "--max-lobby-per-address", "100"])

BURST = 20000
SESSIONS = 40
TURNS = 3


@suite.test
def pipelined_burst_does_not_stall_others(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=1)
    attacker = server.client()
    victim = server.client(timeout=LIVE_S)
    victim.ping()
    burst = b"".join(msgpack.packb([0, 1 + i, "state.get",
                                    [{"session": game.id,
                                      "token": "0" * 32}]])
                     for i in range(BURST))
    attacker._pending.update(range(1, BURST + 1))
    attacker.sock.sendall(burst)
    t0 = time.monotonic()
    victim.ping()
    waited = time.monotonic() - t0
    print("bench=fairness_burst requests=%d ping_wait_s=%.3f"
          % (BURST, waited), flush=True)
    check(waited < LIVE_S, "another client's ping is answered meanwhile",
          waited)
    for i in range(1, BURST + 1):
        err, _ = attacker.response(i, timeout=30)
        check(err and err["code"] == "unauthorized",
              "every request of the burst is answered, in order", i, err)
    stats = admin.call("server.stats")
    check(stats["batches_deferred"] >= 1,
          "the burst was handled in batches", stats["batches_deferred"])
    check(stats["unauthorized"] >= BURST, "each unknown token counted",
          stats["unauthorized"])


@suite.test
def many_turns_due_at_once(server):
    admin = server.client()
    games = [Game(admin, "classroom", turns=TURNS)
             for _ in range(SESSIONS)]
    for g in games:
        for seat in CLASSROOM_SEATS:
            admin.send("session.bot", session=g.id,
                       admin_token=g.admin_token, seat=seat,
                       strategy="random")
    admin.ping()  # every session.bot above is answered before this
    ids = {g.id for g in games}
    victim = server.client(timeout=LIVE_S)
    for g in games:
        admin.send("session.start", session=g.id, admin_token=g.admin_token)
    worst, deadline = 0.0, time.monotonic() + LIVE_S
    while True:
        t0 = time.monotonic()
        listing = victim.sessions()
        worst = max(worst, time.monotonic() - t0)
        done = [s for s in listing
                if s["session"] in ids and s["status"] == "finished"]
        if len(done) == len(ids):
            break
        check(time.monotonic() < deadline, "every session finishes",
              len(done), len(ids))
        time.sleep(0.01)
    print("bench=fairness_turns_due sessions=%d turns=%d "
          "worst_list_wait_s=%.3f" % (SESSIONS, TURNS, worst), flush=True)
    check(worst < LIVE_S, "the other client is served while turns resolve",
          worst)
    for s in done:
        check(s["turn"] == TURNS, "each session played every turn", s)


if __name__ == "__main__":
    sys.exit(suite.run())
