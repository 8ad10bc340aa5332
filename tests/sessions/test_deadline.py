#!/usr/bin/python3
"""Turns resolve at their deadline when nobody is ready.

A `classroom` session with turn_seconds 0.3 and one person who submits
orders but never says ready (no agents: an agent counts as ready). The
turns resolve on their own, one after the other, roughly a turn length
apart (a loose bound: at least 0.2 s, and the game advances; never a tight
timing assertion), and the seat's offers stand from turn to turn.
turn_seconds is 0 (no deadline) or at least 0.05.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Game, Suite, check, check_summary,  # noqa: E402
                     expect_error)

suite = Suite(__doc__)

TURN_S = 0.3
TURNS = 5
OFFER = {"op": "offer", "product": "concentrate", "quantity": 1234.0,
         "min_price": 4.25}


@suite.test
def turns_resolve_at_the_deadline(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=TURNS, turn_seconds=TURN_S)
    watcher = server.client()
    game.watch(watcher)
    player = server.client()
    game.join(player, "mountain_minerals")

    obs = player.state()
    check(obs["deadline_ms"] is None and obs["remaining_ms"] is None,
          "no deadline in the lobby", obs["deadline_ms"], obs["remaining_ms"])
    check(obs["turns"] == TURNS, "the observation counts the session's turns "
          "(session.create turns), not the map's", obs["turns"], TURNS)

    game.start()
    t_start = time.monotonic()
    obs = player.state()
    check(obs["status"] == "running" and obs["turn"] == 0, "turn 0 is open",
          obs["status"], obs["turn"])
    check(0 < obs["remaining_ms"] <= TURN_S * 1000,
          "remaining_ms within the turn length", obs["remaining_ms"])
    now_ms = time.time() * 1000
    check(abs(obs["deadline_ms"] - (now_ms + obs["remaining_ms"])) < 2000,
          "deadline_ms is a Unix time in ms, now + remaining",
          obs["deadline_ms"], now_ms, obs["remaining_ms"])

    # Offers stand until changed; no ready, ever.
    res = player.submit([OFFER])
    check(res["rejected"] == [], "the offer is accepted", res)
    submitted_turn = res["turn"]

    times = []
    for turn in range(TURNS):
        n = watcher.wait_for("turn.resolved", timeout=5)
        times.append(n.received)
        check(n["turn"] == turn, "turns resolve in order", n["turn"], turn)
        check_summary(n["summary"], game.seats)
        if turn == submitted_turn + 1:
            # A later turn: the player sent nothing, the offer stands.
            obs = player.state()
            check(obs["turn"] > submitted_turn, "state.get: the turn advanced",
                  obs["turn"])
            check(obs["you"]["orders"] == [], "nothing sent for this turn",
                  obs["you"]["orders"])
            check(OFFER in obs["you"]["standing"],
                  "the offer is a standing order", obs["you"]["standing"])
    n = watcher.wait_for("session.finished", timeout=5)
    check(len(n["scores"]) == len(game.seats), "scores of every seat")

    # Loose bounds: the server never resolves early, but this client may
    # read a notification late (a loaded machine), which shortens the next
    # gap as seen here; so each gap is checked loosely and their mean a
    # little closer.
    first = times[0] - t_start
    gaps = [b - a for a, b in zip(times, times[1:])]
    check(first >= 0.2, "the first turn waits for its deadline", first)
    for g in gaps:
        check(g >= 0.1, "no turn resolves long before its deadline", gaps)
    check(times[-1] - times[0] >= 0.2 * (TURNS - 1),
          "turns last about their length, not less", gaps)
    total = times[-1] - t_start
    check(total < TURNS * TURN_S + 5, "the game advanced on its own", total)
    print("# turn gaps: %s s" % ", ".join("%.2f" % g for g in [first] + gaps))

    obs = player.state()
    check(obs["status"] == "finished" and obs["turn"] == TURNS,
          "finished after the last deadline", obs["status"], obs["turn"])
    check(OFFER in obs["you"]["standing"],
          "the standing offer is still there at the end",
          obs["you"]["standing"])
    # Each turn produced a history entry, though nobody was ready.
    hist = player.history()
    check([h["turn"] for h in hist] == list(range(TURNS)),
          "history: one entry per turn", [h["turn"] for h in hist])


@suite.test
def ready_before_the_deadline_resolves_at_once(server):
    # The counterpart: with a long deadline, a ready-up resolves the turn
    # at once (every other seat is an agent).
    admin = server.client()
    game = Game(admin, "classroom", turns=2, turn_seconds=60)
    player = server.client()
    game.join(player, "CHN")
    game.bots([s for s in game.seats if s != "CHN"])
    game.start()
    t0 = time.monotonic()
    res = player.ready()
    check(res == {"turn": 0, "waiting": []}, "nobody else to wait for", res)
    n = player.wait_for("turn.resolved", timeout=5)
    check(n["turn"] == 0 and time.monotonic() - t0 < 5,
          "resolved on ready, long before the deadline")
    obs = player.state()
    check(obs["turn"] == 1 and obs["remaining_ms"] > 50000,
          "the next turn has a fresh deadline", obs["turn"],
          obs["remaining_ms"])


@suite.test
def turn_seconds_has_a_minimum(server):
    # 0 is "no deadline"; otherwise a turn lasts at least 0.05 s (a
    # shorter one would have the server do little but resolve turns).
    admin = server.client()
    for bad in (0.001, 0.049, -1, 2592001):
        expect_error("bad_request", admin.create_session, "classroom",
                     turn_seconds=bad, field="turn_seconds")
    for good in (0, 0.05, 0.3):
        res = admin.create_session("classroom", turns=1, turn_seconds=good)
        check(res["session"], "turn_seconds %s is allowed" % good)


if __name__ == "__main__":
    sys.exit(suite.run())
