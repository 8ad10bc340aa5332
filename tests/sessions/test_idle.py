#!/usr/bin/python3
"""The idle deadline and seats (PROTOCOL.md limits).

A connection that holds no seat and watches nothing is closed after
--idle-ms without a request; one that holds a seat is never closed for
idleness; and one that loses its only seat to a newer connection
(seat.moved) is an ordinary connection again, closed at the idle deadline.
The server here runs with --idle-ms 400. A close is waited for up to
LIVE_S (a liveness bound; a loaded machine may close late), and a
connection that must stay open is checked after the deadline has passed
twice over (slowness can only make that check easier to pass).
"""
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LIVE_S, Game, Suite, check  # noqa: E402

IDLE_S = 0.4
suite = Suite(__doc__, server_args=["--idle-ms", str(int(IDLE_S * 1000))])


def closed(client):
    """True if the server has closed the client's connection (this sends
    a ping, which restarts an open connection's idle deadline)."""
    try:
        client.ping()
    except Exception:  # noqa: BLE001 (any failure means it is gone)
        return True
    return False


def closed_within(client, timeout):
    """Wait, sending nothing, until the server closes the client's
    connection (whatever it says first is read and dropped); True if it
    did within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([client.sock], [], [], left)
        if ready:
            try:
                if not client.sock.recv(65536):
                    return True
            except OSError:
                return True


@suite.test
def idle_connections_close_and_seats_keep_theirs(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=2, turn_seconds=600)

    plain = server.client()
    plain.ping()
    holder = server.client()
    game.join(holder, "CHN")
    check(closed_within(plain, LIVE_S),
          "a connection without a seat is closed when idle")
    time.sleep(IDLE_S * 2)  # the holder's deadline is past too, twice over
    check(not closed(holder), "a connection holding a seat is not closed")


@suite.test
def a_connection_that_loses_its_seat_becomes_idle_again(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=2, turn_seconds=600)
    old = server.client()
    game.join(old, "USA")
    new = server.client()
    game.join(new, "USA")          # the newest connection wins
    n = old.wait_for("seat.moved", timeout=LIVE_S)
    check(n["seat"] == "USA", "the old connection is told", n.params)
    check(closed_within(old, LIVE_S), "after seat.moved, following nothing, "
          "it is closed when idle")
    time.sleep(IDLE_S * 2)  # the new connection's deadline is past too
    check(not closed(new), "the seat's new connection stays open")


if __name__ == "__main__":
    sys.exit(suite.run())
