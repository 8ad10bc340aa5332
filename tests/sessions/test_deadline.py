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
from harness import (LIVE_S, Game, Suite, check,  # noqa: E402
                     check_summary, expect_error)

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

    # Taken before the start: the server's clock starts later, so no turn
    # can be seen resolving before (k + 1) * TURN_S from here.
    t_start = time.monotonic()
    game.start()
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
        n = watcher.wait_for("turn.resolved", timeout=LIVE_S)
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
    n = watcher.wait_for("session.finished", timeout=LIVE_S)
    check(len(n["scores"]) == len(game.seats), "scores of every seat")

    # Turn k cannot resolve before k + 1 turn lengths after the start, and
    # a late read here only makes it look later: a lower bound that a
    # loaded machine cannot break. (Gaps between two notifications can
    # look short when one was read late, so they are printed, not checked.)
    # The server reads its loop clock once per loop iteration, so a deadline
    # set while the loop is busy (a commit, a turn of another session) can
    # end that much early as seen from here; deadlines chain, so this does
    # not add up over turns. 0.15 s are allowed for it.
    since = [t - t_start for t in times]
    for k, s in enumerate(since):
        check(s >= (k + 1) * TURN_S - 0.15,
              "no turn resolves before its deadline", k, since)
    total = times[-1] - t_start
    check(total < TURNS * TURN_S + LIVE_S, "the game advanced on its own",
          total)
    print("# turns resolved at: %s s after the start"
          % ", ".join("%.2f" % s for s in since))

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
    # The deadline is 60 s away: resolving within LIVE_S (30 s) can only
    # be the ready-up's doing.
    n = player.wait_for("turn.resolved", timeout=LIVE_S)
    check(n["turn"] == 0 and time.monotonic() - t0 < LIVE_S,
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


@suite.test
def the_facilitator_extends_a_deadline(server):
    # session.extend moves the open turn's deadline, running or paused;
    # everyone following the session is told; a session without deadlines,
    # or one in the lobby, gets a clear conflict; the next turn has the
    # session's own length again.
    admin = server.client()
    game = Game(admin, "classroom", turns=2, turn_seconds=60)
    player = server.client()
    game.join(player, "CHN")
    game.bots([s for s in game.seats if s != "CHN"])
    expect_error("conflict", admin.extend, game.id, game.admin_token, 30)
    game.start()
    watcher = server.client()
    game.watch(watcher)
    before = player.state()["deadline_ms"]
    res = admin.extend(game.id, game.admin_token, 120)
    check(abs(res["deadline_ms"] - (before + 120000)) < 50,
          "the deadline moved by 120 s", before, res)
    n = watcher.wait_for("session.extended", timeout=LIVE_S)
    check(n["deadline_ms"] == res["deadline_ms"], "watchers are told", n, res)
    obs = player.state()
    check(obs["deadline_ms"] == res["deadline_ms"] and
          obs["remaining_ms"] > 170000, "the player sees the new deadline", obs)
    # Less time, while paused: the time left shrinks and stays put.
    admin.pause(game.id, game.admin_token)
    res = admin.extend(game.id, game.admin_token, -100)
    check(res["deadline_ms"] == 0 and 70000 < res["remaining_ms"] < 81000,
          "paused: the time left shrank by 100 s", res)
    admin.resume(game.id, game.admin_token)
    obs = player.state()
    check(70000 < obs["remaining_ms"] < 81000, "resumed with that time", obs)
    # Taking away more than is left makes the turn due now.
    admin.extend(game.id, game.admin_token, -3600)
    n = watcher.wait_for("turn.resolved", timeout=LIVE_S)
    check(n["turn"] == 0, "the turn resolved at its moved deadline", n)
    obs = player.state()
    check(obs["turn"] == 1 and obs["remaining_ms"] > 50000,
          "the next turn has the session's turn length again", obs)
    for bad in (0, 2592001, -2592001, "10"):
        expect_error("bad_request", admin.extend, game.id, game.admin_token,
                     bad, field="seconds")
    expect_error("unauthorized", admin.extend, game.id, "0" * 64, 10)
    # A turn held for control's review has no clock to move.
    held = Game(admin, "classroom", turns=2, turn_seconds=60, review=True)
    held.bots(held.seats)
    w = server.client()
    held.watch(w)
    held.start()
    w.wait_for("turn.proposed", timeout=LIVE_S)
    err = expect_error("conflict", admin.extend, held.id, held.admin_token, 60)
    check("held" in str(err), "the error says the turn is held", err)
    untimed = Game(admin, "classroom", turns=1)
    untimed.join(server.client(), "CHN")
    untimed.bots([s for s in untimed.seats if s != "CHN"])
    untimed.start()
    err = expect_error("conflict", admin.extend, untimed.id,
                       untimed.admin_token, 10)
    check("no deadline" in str(err), "the error says there is no deadline",
          err)


if __name__ == "__main__":
    sys.exit(suite.run())
