#!/usr/bin/python3
"""Seatless firms (issue 11): a map's firm with "seatless": true (race-2028's
six aggregates) plays its standing orders. A session issues no join code
for it (session.create and session.fork answer join_code nil and
seatless: true), puts no agent on it (session.bot is refused, forbidden,
naming the seats that can be joined), re-issues no code for it
(seat.reissue_code is refused the same way), and never waits for it: a
session whose other seats are taken plays its turns. The control cell
still reads it with state.get admin+seat. A map without the key (the
classroom) answers exactly as before: no seat carries the key.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (LIVE_S, Game, Suite, check, expect_error,  # noqa: E402
                     take)

suite = Suite(__doc__)

SEATLESS = ["iluka", "energy_fuels", "neo_performance", "solvay",
            "feedstock_miners", "other_producers"]


def open_seats(game):
    return [s for s in game.seats if s not in SEATLESS]


def check_refusal(err, seat, game):
    msg = err.message
    check("%s of map 'race-2028' is seatless" % seat in msg
          and "standing orders" in msg, "the refusal says why", msg)
    listed = msg.split("can be joined are: ", 1)[-1].split(", ")
    check(sorted(listed) == sorted(open_seats(game)),
          "the refusal lists exactly the seats that can be joined", listed)


@suite.test
def create_and_list_mark_seatless_seats(server):
    admin = server.client()
    g = Game(admin, "race-2028", turns=2)
    check(len(g.seats) == 20 and len(open_seats(g)) == 14,
          "race-2028: 20 seats, 14 to staff", g.seats)
    for s in g.created["seats"]:
        if s["seat"] in SEATLESS:
            check(s.get("seatless") is True and s["join_code"] is None,
                  "session.create: seatless, no join code", s)
        else:
            check("seatless" not in s and isinstance(s["join_code"], str),
                  "session.create: an open seat has its code and no key", s)
    for s in g.listing()["seats"]:
        check(("seatless" in s) == (s["seat"] in SEATLESS)
              and s.get("seatless", True) is True and s["agent"] is None
              and s["taken"] is False,
              "session.list marks the seatless seats", s)
    st = admin.status(g.id, g.admin_token)
    for s in st["seats"]:
        if s["seat"] in SEATLESS:
            check(s.get("seatless") is True and s["played_by"] == "nobody"
                  and s["ready"] is True,
                  "session.status: seatless, never waited for", s)
        else:
            check("seatless" not in s and s["ready"] is False,
                  "session.status: an open seat as before", s)


@suite.test
def bot_and_reissue_refused(server):
    admin = server.client()
    g = Game(admin, "race-2028", turns=2)
    for seat in ("iluka", "other_producers"):
        err = expect_error("forbidden", admin.bot, g.id, g.admin_token, seat,
                           "standing", field="seat")
        check_refusal(err, seat, g)
        err = expect_error("forbidden", admin.reissue_code, g.id,
                           g.admin_token, seat, field="seat")
        check_refusal(err, seat, g)
    # with force too: no agent ever takes it
    err = expect_error("forbidden", admin.bot, g.id, g.admin_token, "solvay",
                       "integrator", force=True, field="seat")
    check_refusal(err, "solvay", g)
    for s in g.listing()["seats"]:
        if s["seat"] in SEATLESS:
            check(s["agent"] is None, "no agent was put on it", s)
    # an open seat takes an agent and re-issues its code as before
    g.bots(["mp_materials"], "integrator")
    res = admin.reissue_code(g.id, g.admin_token, "lynas")
    check(res["seat"] == "lynas" and isinstance(res["join_code"], str),
          "an open seat's code is re-issued", res)
    # no code of the create answer joins a seatless seat: there is none
    err = expect_error("unauthorized", server.client().join, g.id,
                       join_code=None, field="join_code")
    check("needs 'join_code'" in err.message, "no code, no join", err.message)


@suite.test
def a_session_plays_with_seatless_seats_on_standing_orders(server):
    admin = server.client()
    g = Game(admin, "race-2028", turns=2)
    usa, chn = server.client(), server.client()
    g.join(usa, "USA", name="Ada")
    g.join(chn, "CHN", name="Grace")
    g.bots([s for s in open_seats(g) if s not in ("USA", "CHN")], "standing")
    g.watch(admin)
    g.start()
    take(admin, "session.started")
    iluka0 = admin.seat_view(g.id, g.admin_token, "iluka")
    check(iluka0["seat"] == "iluka" and "pending" in iluka0,
          "the control cell reads the seatless seat", iluka0.get("seat"))
    scores = {s["seat"]: s for s in iluka0["public"]["scores"]}
    check(all(scores[s].get("seatless") is True for s in SEATLESS)
          and not any("seatless" in scores[s] for s in open_seats(g)),
          "the observation's scores mark the seatless seats", scores)
    for turn in (0, 1):
        # only the people are waited for, never the seatless seats
        res = usa.ready()
        check(res == {"turn": turn, "waiting": ["CHN"]},
              "after USA, only CHN is waited for", res)
        chn.ready()
        n = admin.wait_for("turn.resolved", timeout=LIVE_S)
        check(n["session"] == g.id, "the turn resolved", n)
    deadline = time.monotonic() + LIVE_S
    while admin.status(g.id, g.admin_token)["status"] != "finished":
        check(time.monotonic() < deadline, "the session finishes")
        time.sleep(0.05)
    iluka = admin.seat_view(g.id, g.admin_token, "iluka")
    check(iluka["turn"] == 2, "two turns played", iluka["turn"])
    check(iluka["you"]["cash"] != iluka0["you"]["cash"],
          "the aggregate traded on its standing orders",
          iluka0["you"]["cash"], iluka["you"]["cash"])


@suite.test
def a_map_without_the_key_answers_as_before(server):
    admin = server.client()
    g = Game(admin, "classroom", turns=2)
    check(all("seatless" not in s and isinstance(s["join_code"], str)
              for s in g.created["seats"]), "create: no key", g.created)
    check(all("seatless" not in s for s in g.listing()["seats"]),
          "list: no key")
    check(all("seatless" not in s
              for s in admin.status(g.id, g.admin_token)["seats"]),
          "status: no key")
    obs = admin.seat_view(g.id, g.admin_token, "USA")
    check(all("seatless" not in s for s in obs["public"]["scores"]),
          "observation: no key")


sys.exit(suite.run())
