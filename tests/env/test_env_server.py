#!/usr/bin/python3
"""The environment and the server play the same game.

A classroom session on a real lanthanide-server (seed 4242) and an
environment made with the same map and seed get the same orders every
turn: the example bot's for every firm, a few policies for the nations,
and some invalid orders. Every turn, each seat's observation in the
environment equals the server's state.get (less the keys only a session
has: session, status, deadline_ms, remaining_ms), the refusals are the
same, and the environment's state hash equals the one the server stored
for the turn; at the end the scores are the same, exactly.

    /usr/bin/python3 tests/env/test_env_server.py \\
        --lib build/lib/liblanthanide.so \\
        --server-bin build/bin/lanthanide-server --maps maps
"""
import os
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from envtest import check, run  # noqa: E402

import example_bot  # noqa: E402
import lanserver  # noqa: E402
import lanthanide_env as le  # noqa: E402

SEED = 4242
SESSION_ONLY = ("session", "status", "deadline_ms", "remaining_ms")


def nation_orders(seat, turn):
    if seat == "USA" and turn == 2:
        return [{"op": "policy", "kind": "tariff", "product": "magnet",
                 "rate": 0.15},
                {"op": "policy", "kind": "tariff", "product": "magnet",
                 "rate": 50}]  # refused: beyond the range
    if seat == "CHN" and turn == 4:
        return [{"op": "policy", "kind": "export_quota",
                 "product": "ndpr_oxide", "quantity": 500}]
    if seat == "EUU" and turn == 6:
        return [{"op": "policy", "kind": "subsidy", "stage": "magnet",
                 "capex_share": 0.3}, {"op": "train", "skill": "magnet",
                                       "count": 40}]
    return []


def orders_for(obs):
    turn = obs["turn"]
    if obs["kind"] == "nation":
        return nation_orders(obs["seat"], turn)
    orders = example_bot.decide(obs, say=lambda *a: None)
    if turn == 3:
        orders.append({"op": "operate", "facility": "nowhere",
                       "utilisation": 1})  # refused by the model
    return orders


def strip(obs):
    return {k: v for k, v in obs.items() if k not in SESSION_ONLY}


def test_same_game(args):
    tmp = tempfile.mkdtemp(prefix="lan-env-server-")
    db = os.path.join(tmp, "lanthanide.db")
    srv = lanserver.Server(args.server_bin, args.maps, db,
                           ["--join-burst", "100", "--max-per-address", "64",
                            "--submit-burst", "100"],
                           err_path=os.path.join(tmp, "stderr.log"))
    try:
        admin = srv.client()
        created = admin.create_session("classroom", seed=SEED)
        sid, atok = created["session"], created["admin_token"]
        seats = [s["seat"] for s in created["seats"]]
        clients, tokens = {}, {}
        for s in created["seats"]:
            c = srv.client()
            res = c.join(sid, join_code=s["join_code"])
            clients[s["seat"]], tokens[s["seat"]] = c, res["token"]
        admin.start(sid, atok)
        env = le.make_env(map="classroom", seed=SEED)
        env_obs, _ = env.reset()
        check(env.possible_agents == seats, "the same seats, in order")
        turns = 0
        while env.agents:
            turn = env.turn
            actions = {}
            for seat in seats:
                sobs = clients[seat].state()
                check(sobs["turn"] == turn, "the server is at the turn",
                      seat, sobs["turn"], turn)
                check(strip(sobs) == strip(dict(env_obs[seat])),
                      "the observations are the same", seat, turn)
                actions[seat] = orders_for(sobs)
            server_rej = {}
            for seat in seats:
                server_rej[seat] = clients[seat].submit(
                    actions[seat], ready=True)["rejected"]
            env_obs, rew, term, trunc, info = env.step(actions)
            for seat in seats:
                check(info[seat].get("rejected", []) == server_rej[seat],
                      "the same refusals", seat, turn, server_rej[seat])
            # Every seat is ready: the server resolves at once.
            deadline = time.monotonic() + 30
            while clients[seats[0]].state()["turn"] == turn and \
                    clients[seats[0]].state()["status"] == "running":
                check(time.monotonic() < deadline, "the server resolves "
                      "the turn once every seat is ready", turn)
                time.sleep(0.01)
            with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as con:
                row = con.execute("SELECT state_hash FROM turns WHERE "
                                  "session_id = ? AND turn = ?",
                                  (sid, turn)).fetchone()
            check(row is not None, "the server stored the turn", turn)
            check(bytes(row[0]).hex() == env.state_hash(),
                  "the same state hash after the turn", turn)
            turns += 1
        check(turns == 16, "the whole game was played", turns)
        final = clients["USA"].state()
        check(final["status"] == "finished", "the session finished")
        server_scores = {s["seat"]: s["score"]
                         for s in final["public"]["scores"]}
        check(server_scores == env.scores(), "the same final scores",
              server_scores, env.scores())
        check(any(v != 0 for v in server_scores.values()),
              "scores are real")
        check(srv.stop() == 0, "the server stops cleanly")
    finally:
        if srv.proc.poll() is None:
            srv.kill9()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_same_game], ["--server-bin", "--maps"])
