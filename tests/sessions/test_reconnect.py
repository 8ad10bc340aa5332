#!/usr/bin/python3
"""Reconnecting, and a seat moving to another connection.

A player drops (closes the socket) and comes back with session.join
{token}: same seat, same token, state.get works and the game goes on.
Joining the seat from a second connection sends seat.moved to the first,
which then no longer gets the seat's notifications (turns, chat), while
its token still works for requests. Joining is idempotent: the join code
always answers the same token.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Game, Suite, check, expect_error, notes_of,  # noqa: E402
                     settle)

suite = Suite(__doc__)


def play_turn(game, turn, holder):
    """CHN (the only person) says ready; the turn resolves."""
    res = holder.ready()
    check(res == {"turn": turn, "waiting": []}, "ready", res, turn)
    n = holder.wait_for("turn.resolved", timeout=5)
    check(n["turn"] == turn, "turn.resolved on the seat's connection",
          n.params, turn)


@suite.test
def drop_and_come_back_with_the_token(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=4, turn_seconds=600)
    game.bots([s for s in game.seats if s != "CHN"])

    first = server.client()
    token = game.join(first, "CHN", name="Ada")
    again = first.join(game.id, join_code=game.codes["CHN"])
    check(again == {"seat": "CHN", "token": token},
          "joining again with the code answers the same token", again)
    game.start()
    first.wait_for("session.started", timeout=5)
    first.submit([{"op": "policy", "kind": "tax", "rate": 0.3}])
    first.close()                       # the player drops
    settle(admin)
    check(game.seat_listing("CHN")["taken"], "the seat stays taken")

    second = server.client()
    res = second.join(game.id, token=token)
    check(res == {"seat": "CHN", "token": token},
          "coming back with the token: same seat, same token", res)
    obs = second.state()
    check(obs["seat"] == "CHN" and obs["turn"] == 0 and
          obs["status"] == "running", "state.get works after reconnecting",
          obs["seat"], obs["turn"], obs["status"])
    check({"op": "policy", "kind": "tax", "rate": 0.3} in obs["you"]["orders"],
          "the orders sent before the drop are kept", obs["you"]["orders"])
    play_turn(game, 0, second)
    play_turn(game, 1, second)

    # A third connection joins with the code: the second is told.
    third = server.client()
    res = third.join(game.id, join_code=game.codes["CHN"].lower())
    check(res == {"seat": "CHN", "token": token},
          "the code (in lower case) answers the same token", res)
    n = second.wait_for("seat.moved", timeout=5)
    check(n.params == {"session": game.id, "seat": "CHN"},
          "seat.moved names the session and seat", n.params)
    settle(third)
    check(not notes_of(third, "seat.moved"), "the new holder gets no seat.moved")

    # The seat's notifications now go to the third connection only.
    admin.chat("for CHN only", to="CHN", session=game.id,
               admin_token=game.admin_token)
    play_turn(game, 2, third)
    n = third.wait_for("chat.message", timeout=5)
    check(n["text"] == "for CHN only", "the new holder gets the seat's chat")
    settle(second)
    leaked = notes_of(second, "chat.message") + notes_of(second,
                                                         "turn.resolved")
    check(not leaked, "the old connection no longer gets the seat's "
          "notifications", leaked)

    # The old connection's token still works for requests.
    obs = second.state()
    check(obs["seat"] == "CHN" and obs["turn"] == 3,
          "state.get with the token from the old connection", obs["seat"],
          obs["turn"])
    res = second.submit([{"op": "policy", "kind": "tax", "rate": 0.2}])
    check(res == {"turn": 3, "rejected": []},
          "orders.submit from the old connection", res)
    check({"op": "policy", "kind": "tax", "rate": 0.2} in
          third.state()["you"]["orders"],
          "the order is the seat's, whoever sent it")

    # The second connection takes the seat back: now the third is told.
    second.join(game.id, token=token)
    n = third.wait_for("seat.moved", timeout=5)
    check(n["seat"] == "CHN", "seat.moved to the third connection")
    res = second.ready()
    check(res["turn"] == 3, "ready from the second connection", res)
    n = second.wait_for("session.finished", timeout=5)
    check(len(n["scores"]) == len(game.seats), "the game finished")
    settle(third)
    check(not notes_of(third, "session.finished"),
          "the third connection no longer follows the seat",
          third.pending_notifications())
    check(third.state()["status"] == "finished",
          "the token still works from the third connection")


@suite.test
def wrong_tokens_are_refused(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=2)
    other = Game(admin, "classroom", turns=2)
    c = server.client()
    usa_token = game.join(c, "USA")
    c2 = server.client()
    expect_error("unauthorized", c2.join, game.id, token="0" * 32,
                 field="token")
    expect_error("forbidden", c2.join, other.id, token=usa_token,
                 field="token")
    expect_error("forbidden", c2.join, game.id, token=game.admin_token,
                 field="token")
    expect_error("not_found", c2.join, "s_nosuch", token=usa_token,
                 field="session")
    # The two seats of one session have different tokens.
    t2 = game.join(c2, "EUU")
    check(t2 != usa_token, "each seat has its own token")


if __name__ == "__main__":
    sys.exit(suite.run())
