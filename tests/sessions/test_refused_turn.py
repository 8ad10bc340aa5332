#!/usr/bin/python3
"""A turn the model refuses (MODEL_ERANGE) is reported, not stored.

The map is maps/classroom.json with every nation's magnet demand at
5e7 t a year and $1e6/kg and three firms selling 5e7 t each at $9e5/kg:
every figure inside the loader's bounds, but the first turn's magnet market
would book more than int64 cents (tests/model/test_overflow.c has the same
map). When the facilitator advances the turn, the model refuses it and
leaves the game as it was. The admin connection gets an "error"
notification (code conflict) saying which turn, which seat and which
quantity; every subscriber gets session.paused; the players get no error
(the message may name another seat's private figures); the session stays
in turn 0, paused, and the server log names the refusal. Resumed, the same
orders are refused the same way, and the server keeps serving.
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Game, Suite, check  # noqa: E402

suite = Suite(__doc__)
MAP_ID = "classroom-overflow"


def write_map(maps_src, folder):
    with open(os.path.join(maps_src, "classroom.json")) as f:
        m = json.load(f)
    m["id"] = MAP_ID
    for n in m["nations"]:
        n.setdefault("demand", {})["magnet"] = {
            "volume": 5e7, "price": 1e6, "elasticity": -10}
    for s in m["seats"]:
        if s["seat"] in ("dragon_magnets", "euro_magnets",
                         "mountain_minerals"):
            s.setdefault("inventory", {})["magnet"] = 5e7
            s.setdefault("orders", []).append(
                {"op": "offer", "product": "magnet", "quantity": 5e7,
                 "min_price": 9e5})
    with open(os.path.join(folder, MAP_ID + ".json"), "w") as f:
        json.dump(m, f)


@suite.test
def a_refused_turn_pauses_and_tells_the_admin(server):
    admin = server.client()
    game = Game(admin, MAP_ID, turns=3, turn_seconds=3600)
    watcher = server.client()
    game.watch(watcher)
    player = server.client()
    game.join(player, "EUU")
    game.start()
    check(admin.advance(game.id, game.admin_token) is not None,
          "session.advance answers")

    err = watcher.wait_for("error", timeout=10)
    p = err.params
    check(p.get("session") == game.id and p.get("code") == "conflict",
          "the admin gets an error notification for the session", p)
    msg = p.get("message", "")
    check("turn 0 was not resolved" in msg
          and "would pass the int64 range" in msg and "seat " in msg,
          "the message says which turn, seat and quantity", msg)
    for c in (watcher, player):
        n = c.wait_for("session.paused", timeout=10)
        check(n.params == {"session": game.id}, "session.paused", n)
    check(not any(n.method == "error"
                  for n in player.pending_notifications()),
          "the player gets no error notification")
    check(not any(n.method == "turn.resolved"
                  for c in (watcher, player)
                  for n in c.pending_notifications()),
          "no turn.resolved")
    obs = player.state()
    check(obs["status"] == "paused" and obs["turn"] == 0,
          "state.get: paused in turn 0", obs["status"], obs["turn"])
    listing = game.listing()
    check(listing["status"] == "paused" and listing["turn"] == 0,
          "session.list: paused in turn 0", listing)
    with open(server.err_path) as f:
        log = f.read()
    check("turn 0 cannot be resolved" in log and "not stored" in log,
          "the server log names the refused turn")

    # Resumed with the same orders: refused again, the same way.
    admin.resume(game.id, game.admin_token)
    err = watcher.wait_for("error", timeout=10)
    check(err.params.get("message") == msg, "refused again, the same way",
          err.params)
    watcher.wait_for("session.paused", timeout=10)
    check(player.state()["turn"] == 0, "still in turn 0")
    check(admin.ping() is not None, "the server keeps serving")


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="lan-refused-")
    try:
        write_map(suite.args.maps, tmp)
        suite.args.maps = tmp
        code = suite.run()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(code)
