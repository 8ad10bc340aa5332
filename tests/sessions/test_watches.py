#!/usr/bin/python3
"""Watches are bounded per connection (issue 10, finding 9).

- One connection may follow --max-watches-per-connection sessions (5
  here; 256 by default), session.watch and session.join together: past it
  the request is `too_large` (field session) with a message that says the
  limit and how to raise it, counted in watches_refused_limit. Following
  a session it already follows costs nothing.
- Each connection keeps the list of its own subscriptions, so closing it
  costs O(its subscriptions) instead of a scan of every session: closing
  a connection removes it from every session it watched and from nothing
  else (another connection's subscriptions still get their
  notifications, and the closed one's no longer count).

The server runs with --max-watches-per-connection 5.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Game, Suite, check, expect_error, settle  # noqa: E402

CAP = 5
suite = Suite(__doc__, server_args=["--max-watches-per-connection", str(CAP),
                                    "--max-lobby-per-address", "100"])


@suite.test
def watches_are_capped(server):
    admin = server.client()
    games = [Game(admin, "classroom", turns=1, spectators=True)
             for _ in range(CAP + 1)]
    fan = server.client()
    for g in games[:CAP]:
        check(fan.watch(g.id) == {}, "watching within the cap")
    check(fan.watch(games[0].id) == {}, "watching again costs nothing")
    e = expect_error("too_large", fan.watch, games[CAP].id, field="session")
    check(str(CAP) in e.message and
          "--max-watches-per-connection" in e.message,
          "the error says the limit and how to raise it", e.message)
    # A seat is a subscription too.
    expect_error("too_large", fan.join, games[CAP].id,
                 join_code=games[CAP].codes["CHN"], field="session")
    check(not games[CAP].seat_listing("CHN")["taken"],
          "the refused join took no seat")
    check(admin.call("server.stats")["watches_refused_limit"] == 2,
          "counted in watches_refused_limit")
    # Another connection has its own allowance.
    other = server.client()
    check(other.watch(games[CAP].id) == {}, "another connection may watch")


def wait_active(client, n, timeout=10.0):
    deadline = time.monotonic() + timeout
    while client.call("server.stats")["active"] != n:
        check(time.monotonic() < deadline, "the closed connection is gone")
        time.sleep(0.05)


@suite.test
def closing_forgets_only_its_own(server):
    admin = server.client()
    games = [Game(admin, "classroom", turns=1) for _ in range(4)]
    a = server.client()
    b = server.client()
    for g in games:
        g.watch(a)
    for g in games[:2]:
        g.watch(b)
    # b also holds a seat in the third session: a seat is a subscription.
    games[2].join(b, "CHN")
    active = admin.call("server.stats")["active"]
    a.close()
    wait_active(admin, active - 1)
    before = admin.call("server.stats")["notifications"]
    for g in games:
        g.start()
    settle(b)
    started = sorted(n["session"] for n in b.clear_notifications()
                     if n.method == "session.started")
    check(started == sorted(g.id for g in games[:3]),
          "b still gets the notifications of every session it follows",
          started)
    after = admin.call("server.stats")["notifications"]
    check(after - before == 3, "a's subscriptions left every session "
          "(only b's 3 notifications went out)", after - before)
    # b's subscriptions are whole: closing it leaves nothing behind either.
    active = admin.call("server.stats")["active"]
    b.close()
    wait_active(admin, active - 1)
    before = admin.call("server.stats")["notifications"]
    for g in games:
        admin.call("session.pause", session=g.id, admin_token=g.admin_token)
    after = admin.call("server.stats")["notifications"]
    check(after == before, "nobody is subscribed any more", after - before)


if __name__ == "__main__":
    sys.exit(suite.run())
