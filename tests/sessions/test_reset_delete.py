#!/usr/bin/python3
"""session.reset and session.delete: a training server's two methods.

- reset: a classroom session played two turns goes back to turn 0 with a
  new seed, seats and tokens kept (the player plays on with the same
  token, built-in agents stay), its stored turns gone; every subscriber is
  told (session.reset); with start it runs at once. Played to the end it
  is the game of its new seed: its final state hash and scores are those
  of the in-process environment with that seed (every seat standing), and
  the database holds exactly its turns. Only the facilitator may reset.
- delete: a running session cannot be deleted (conflict); a finished or a
  lobby one can; it leaves session.list and answers not_found; its rows
  stay in the database, marked deleted, unless purge removed them; a
  restarted server does not bring a deleted session back, and does not
  quarantine it when its rows are damaged (it never reads them).
- `lanthanide admin reset` and `admin delete` do the same from the CLI.
"""
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CLASSROOM_SEATS, LIVE_S, Game, Suite,  # noqa: E402
                     check, expect_error, settle, take)

import lanserver  # noqa: E402

suite = Suite(__doc__)


def rows(server, sql, *args):
    with sqlite3.connect("file:%s?mode=ro" % server.db, uri=True) as con:
        return con.execute(sql, args).fetchall()


def wait_turn(client, turn):
    deadline = time.monotonic() + LIVE_S
    while True:
        obs = client.state()
        if obs["turn"] >= turn or obs["status"] == "finished":
            return obs
        check(time.monotonic() < deadline, "turn %d comes" % turn)
        time.sleep(0.01)


@suite.test
def reset_starts_the_game_again_with_a_new_seed(server):
    admin = server.client()
    game = Game(admin, "classroom", seed=5, turns=4)
    player = server.client()
    token = game.join(player, "USA")
    game.bots([s for s in CLASSROOM_SEATS if s != "USA"], "standing")
    game.start()
    for turn in range(2):
        player.submit([], ready=True)
        wait_turn(player, turn + 1)
    check(len(rows(server, "SELECT turn FROM turns WHERE session_id = ?",
                   game.id)) == 2, "two turns stored before the reset")
    expect_error("forbidden", player.call, "session.reset",
                 session=game.id, token=token)
    res = admin.call("session.reset", session=game.id,
                     admin_token=game.admin_token, seed=99)
    check(res == {"status": "lobby", "seed": 99, "turn": 0},
          "session.reset answers the new status, seed and turn", res)
    settle(player)
    notes = take(player, "session.reset")
    check(len(notes) == 1 and notes[0].params == {"session": game.id,
                                                  "seed": 99, "turn": 0},
          "the seat is told", [n.params for n in notes])
    obs = player.state()
    check(obs["turn"] == 0 and obs["status"] == "lobby",
          "state.get: turn 0, in the lobby", obs["turn"], obs["status"])
    check(game.listing()["status"] == "lobby", "session.list: lobby")
    check(rows(server, "SELECT seed FROM sessions WHERE id = ?",
               game.id) == [(99,)], "the stored seed is the new one")
    check(rows(server, "SELECT count(*) FROM turns WHERE session_id = ?",
               game.id) == [(0,)], "the old game's turns are gone")
    res = admin.call("session.reset", session=game.id,
                     admin_token=game.admin_token, seed=99, start=True)
    check(res["status"] == "running", "reset with start runs at once", res)
    for turn in range(4):
        player.submit([], ready=True)
        obs = wait_turn(player, turn + 1)
    check(obs["status"] == "finished", "the game of the new seed ends")
    stored = rows(server, "SELECT turn, state_hash FROM turns WHERE "
                  "session_id = ? ORDER BY turn", game.id)
    check([t for t, _ in stored] == [0, 1, 2, 3], "exactly its turns are "
          "stored", stored)
    # The game is the one of seed 99: a fresh session of that seed, played
    # the same way, ends in the same state, bit for bit.
    fresh = Game(admin, "classroom", seed=99, turns=4)
    other = server.client()
    fresh.join(other, "USA")
    fresh.bots([s for s in CLASSROOM_SEATS if s != "USA"], "standing")
    fresh.start()
    for turn in range(4):
        other.submit([], ready=True)
        end = wait_turn(other, turn + 1)
    want = rows(server, "SELECT turn, state_hash FROM turns WHERE "
                "session_id = ? ORDER BY turn", fresh.id)
    check(stored == want, "the reset game is seed 99's game, turn by turn")
    check(obs["public"]["scores"] == end["public"]["scores"],
          "with seed 99's scores")
    res = admin.call("session.reset", session=game.id,
                     admin_token=game.admin_token)
    check(res["status"] == "lobby" and 0 <= res["seed"] < 2 ** 63 and
          res["seed"] != 99, "a finished session resets too, with a drawn "
          "seed", res)
    check(game.listing()["status"] == "lobby", "and is back in the lobby")


@suite.test
def delete_forgets_a_finished_or_lobby_session(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=3)
    player = server.client()
    game.join(player, "USA")
    game.bots([s for s in CLASSROOM_SEATS if s != "USA"], "standing")
    game.start()
    expect_error("conflict", admin.call, "session.delete", session=game.id,
                 admin_token=game.admin_token)
    admin.stop(game.id, game.admin_token)
    res = admin.call("session.delete", session=game.id,
                     admin_token=game.admin_token)
    check(res == {"session": game.id, "purged": False},
          "session.delete answers", res)
    check(game.id not in [s["session"] for s in admin.sessions()],
          "it leaves session.list")
    expect_error("not_found", admin.call, "session.start", session=game.id,
                 admin_token=game.admin_token)
    kept = rows(server, "SELECT deleted_ms FROM sessions WHERE id = ?",
                game.id)
    check(len(kept) == 1 and kept[0][0] is not None,
          "its rows stay, marked deleted", kept)
    lobby = Game(admin, "classroom")
    res = admin.call("session.delete", session=lobby.id,
                     admin_token=lobby.admin_token, purge=True)
    check(res["purged"] is True, "a lobby session is deleted, purged", res)
    for table, col in (("sessions", "id"), ("seats", "session_id")):
        check(rows(server, "SELECT count(*) FROM %s WHERE %s = ?"
                   % (table, col), lobby.id) == [(0,)],
              "purge removes its rows from %s" % table)
    # A restarted server does not bring a deleted session back, nor
    # quarantines one whose rows were damaged since: it reads none of it.
    check(server.stop() == 0, "the server stops cleanly")
    with sqlite3.connect(server.db) as con:
        con.execute("UPDATE sessions SET map_digest = x'00' WHERE id = ?",
                    (game.id,))
    lanserver.Server.__init__(server, server.argv[0], suite.args.maps,
                              server.db, server.argv[7:], timeout=10.0,
                              err_path=server.err_path)
    listed = [s["session"] for s in server.client().sessions()]
    check(game.id not in listed and lobby.id not in listed,
          "a restarted server does not serve deleted sessions", listed)
    quarantined = server.client().call("server.quarantine")
    check(quarantined == {"sessions": []},
          "a deleted session is not quarantined",
          quarantined)


@suite.test
def the_cli_resets_and_deletes(server):
    import subprocess
    cli = os.path.join(os.path.dirname(server.argv[0]), "lanthanide")
    admin = server.client()
    game = Game(admin, "classroom", turns=2)
    base = ["--server", "127.0.0.1:%d" % server.port, "--session", game.id,
            "--admin-token", game.admin_token]

    def run(*args):
        p = subprocess.run([cli, "admin", args[0]] + base + list(args[1:]),
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, "lanthanide admin %s works" % args[0],
              p.stdout, p.stderr)
        return p.stdout
    out = run("reset", "--seed", "7", "--start")
    check("back at turn 0 with seed 7, running" in out,
          "admin reset says what it did", out)
    check(rows(server, "SELECT seed FROM sessions WHERE id = ?",
               game.id) == [(7,)], "with the seed given")
    admin.stop(game.id, game.admin_token)
    out = run("delete", "--purge")
    check("deleted and its rows removed" in out, "admin delete says so", out)
    check(rows(server, "SELECT count(*) FROM sessions WHERE id = ?",
               game.id) == [(0,)], "and the rows are gone")


if __name__ == "__main__":
    sys.exit(suite.run())
