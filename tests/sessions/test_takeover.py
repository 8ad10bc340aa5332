#!/usr/bin/python3
"""Seats between people and built-in agents.

A seat given to an agent (session.bot) is taken back by joining with its
join code: session.list then shows agent nil and taken true, and the turn
waits for the person again. A seat whose player left can be handed to an
agent: the turns then go on without waiting for it. session.bot refuses
unknown strategies and seats, and finished sessions.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Game, Suite, check, expect_error, msgpack,  # noqa: E402
                     notes_of, settle)

suite = Suite(__doc__)


@suite.test
def strategies_list(server):
    c = server.client()
    strategies = c.strategies()
    ids = [s["id"] for s in strategies]
    check("standing" in ids, "the standing strategy is built in", ids)
    for s in strategies:
        check(isinstance(s["description"], str) and s["description"],
              "each strategy has a description", s)


@suite.test
def agent_seat_taken_back_and_left_seat_handed_to_agent(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=5, turn_seconds=600)
    watcher = server.client()
    game.watch(watcher)
    usa = server.client()
    usa_token = game.join(usa, "USA")
    game.bots([s for s in game.seats if s != "USA"])
    check(game.seat_listing("CHN") == {"seat": "CHN", "kind": "nation",
                                       "title": "China", "taken": False,
                                       "agent": "standing"},
          "session.list shows the agent", game.seat_listing("CHN"))

    # Take CHN back from its agent, in the lobby.
    chn = server.client()
    game.join(chn, "CHN")
    check(game.seat_listing("CHN")["agent"] is None and
          game.seat_listing("CHN")["taken"] is True,
          "after joining: agent nil, taken true", game.seat_listing("CHN"))

    game.start()
    res = usa.ready()
    check(res == {"turn": 0, "waiting": ["CHN"]},
          "the turn waits for the person who took the seat back", res)
    settle(watcher)
    check(not notes_of(watcher, "turn.resolved"), "not resolved yet")
    chn.ready()
    n = watcher.wait_for("turn.resolved", timeout=5)
    check(n["turn"] == 0, "resolved when both people are ready")

    # Take a seat back while the game runs (turn 1): dragon_mining.
    dm = server.client()
    game.join(dm, "dragon_mining")
    check(game.seat_listing("dragon_mining")["agent"] is None,
          "taken back mid-game")
    usa.ready()
    res = chn.ready()
    check(res == {"turn": 1, "waiting": ["dragon_mining"]},
          "the turn now waits for dragon_mining's person", res)
    dm.ready()
    watcher.wait_for("turn.resolved", timeout=5, predicate=lambda n:
                     n["turn"] == 1)

    # USA's player leaves; the facilitator hands the seat to an agent.
    usa.close()
    res = admin.bot(game.id, game.admin_token, "USA", "standing", force=True)
    check(res == {"seat": "USA"}, "session.bot answers the seat", res)
    listed = game.seat_listing("USA")
    check(listed["agent"] == "standing", "session.list: USA has an agent",
          listed)
    chn.ready()
    res = dm.ready()
    check(res == {"turn": 2, "waiting": []},
          "the agent's seat is not waited for", res)
    n = watcher.wait_for("turn.resolved", timeout=5)
    check(n["turn"] == 2, "the turn resolved without the player who left")

    # The player comes back with the token and takes the seat again.
    usa = server.client()
    res = usa.join(game.id, token=usa_token)
    check(res["seat"] == "USA", "back on USA", res)
    check(game.seat_listing("USA")["agent"] is None and
          game.seat_listing("USA")["taken"], "agent nil, taken true again")
    chn.ready()
    res = dm.ready()
    check(res == {"turn": 3, "waiting": ["USA"]},
          "the turn waits for USA's person again", res)

    # Handing a seat whose person is ready for this turn to an agent.
    admin.bot(game.id, game.admin_token, "CHN", "standing", force=True)
    check(game.seat_listing("CHN")["agent"] == "standing",
          "a connected person's seat can be handed to an agent too")
    usa.ready()
    n = watcher.wait_for("turn.resolved", timeout=5)
    check(n["turn"] == 3, "turn 3 resolved")
    # The person whose seat went to an agent still follows the game.
    check(chn.state()["seat"] == "CHN", "the token still works")

    # Refusals.
    expect_error("bad_request", admin.bot, game.id, game.admin_token, "USA",
                 "no_such_strategy", field="strategy")
    expect_error("not_found", admin.bot, game.id, game.admin_token, "ATL",
                 "standing", field="seat")
    admin.stop(game.id, game.admin_token)
    expect_error("conflict", admin.bot, game.id, game.admin_token, "USA",
                 "standing")


@suite.test
def takeover_right_after_the_last_ready(server):
    # The last person's ready and a takeover of an agent's seat arrive in
    # one read: after the takeover not every seat is ready, so the turn
    # must wait for the new person (PROTOCOL.md: a turn resolves when
    # every seat is ready or its deadline passes).
    admin = server.client()
    game = Game(admin, "classroom", turns=2, turn_seconds=600)
    chn = server.client()
    game.join(chn, "CHN")
    game.bots([s for s in game.seats if s != "CHN"])
    game.start()
    batch = (msgpack.packb([0, 901, "turn.ready",
                            [{"session": game.id, "token": chn.token}]]) +
             msgpack.packb([0, 902, "session.join",
                            [{"session": game.id,
                              "join_code": game.codes["USA"]}]]))
    chn.sock.sendall(batch)
    err, res = chn.response(901)
    check(err is None and res == {"turn": 0, "waiting": []},
          "CHN ready: nobody else to wait for", err, res)
    err, res = chn.response(902)
    check(err is None and res["seat"] == "USA", "USA taken back", err, res)
    usa_token = res["token"]
    time.sleep(0.3)
    settle(chn)
    check(not notes_of(chn, "turn.resolved"),
          "the turn waits for the person who took USA back",
          chn.pending_notifications())
    res = chn.ready(token=usa_token)
    check(res == {"turn": 0, "waiting": []}, "USA ready", res)
    n = chn.wait_for("turn.resolved", timeout=5)
    check(n["turn"] == 0, "then the turn resolves")


@suite.test
def all_agents_play_a_whole_game(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=4, turn_seconds=600)
    watcher = server.client()
    game.watch(watcher)
    game.bots(game.seats)
    game.start()
    turns = [watcher.wait_for("turn.resolved", timeout=10)["turn"]
             for _ in range(4)]
    check(turns == [0, 1, 2, 3], "agents alone play every turn", turns)
    n = watcher.wait_for("session.finished", timeout=10)
    check(len(n["scores"]) == 9, "nine scores", n["scores"])


if __name__ == "__main__":
    sys.exit(suite.run())
