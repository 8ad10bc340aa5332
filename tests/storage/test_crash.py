"""The crash test (label `slow`): a real lanthanide-server, playing three
classroom sessions at once, is killed with SIGKILL at random moments and
restarted on the same database, again and again, while its clients keep
playing (docs/storage.md, "Durability").

Each session has four seats played by this script with deterministic
orders (a function of the session's index, the turn and the seat:
common.orders_for) sent with ready=true, and five seats played by the
`standing` agent; turns have no deadline, so a turn resolves only when
every seat is ready. After each kill the clients reconnect
(session.join with their token) and send again every submission that was
not acknowledged: they ask state.get which turn is open and submit that
turn's orders unless that exact submission was answered already.

Kills come from a separate thread at moments drawn from a seeded RNG (the
seed is printed; --seed repeats a run), measured from the moment the
restarted server printed its banner, so they fall anywhere: mid-request,
mid-commit, mid-resolution, between turns.

Afterwards, on the crashed database:
- every acknowledged submission is in the submissions table, with the
  orders that were accepted;
- every turn a client saw resolved (turn.resolved) is in the turns table,
  and every session is finished with all its turns;
- PRAGMA integrity_check is ok;
- every session's final state hash (turns.state_hash of its last turn)
  equals the one of a control run of the same three games, played on
  another database by a server that was never killed;
- `lanthanide replay --verify` passes on every session.
"""
import os
import random
import sqlite3
import threading
import time

from common import (Client, Server, ServerFailed, Suite, check,
                    decode_orders, orders_for, parse_args, run_tool)

SEEDS = [11, 222, 3333]
PLAYERS = ["CHN", "dragon_separation", "kangaroo_rare", "euro_magnets"]
MIN_KILLS = 20
# A player thinks a moment after each submission (drawn from the same
# seeded RNG): a commit takes well under a millisecond on a fast disk, and
# without it the three games (48 turns, 192 submissions) would be over
# before a handful of kills. With it the crash run lasts a few seconds.
THINK_MIN_S, THINK_MAX_S = 0.002, 0.010
# Kill moments after each (re)start, seconds: short enough that the games
# see about twice MIN_KILLS kills, long enough that the clients make
# progress between two (reconnecting takes a few milliseconds).
KILL_MIN_S, KILL_MAX_S = 0.005, 0.045
# Half the kills are aimed instead: they fall within AIM_MAX_S of a
# submission being sent, while the server parses it, queues it, commits it
# or resolves the turn it completes. On a disk where a commit takes a tenth
# of a millisecond, kills at uniformly random moments would mostly find
# the server idle.
AIM_SHARE, AIM_MAX_S = 0.5, 0.003
RUN_LIMIT_S = 150  # the whole crash run, a backstop


class Run:
    """One run of the three games: the server (restarted after each kill
    when killing), the clients and everything they saw."""

    def __init__(self, args, db, kill_rng=None):
        self.args = args
        self.db = db
        self.kill_rng = kill_rng
        self.think_rng = (random.Random(kill_rng.random()) if kill_rng
                          else None)
        self.lock = threading.Lock()
        self.server = self._start()
        self.kills = 0
        self.restarts = 0
        self.done = threading.Event()
        self.sending = threading.Event()  # a submission is being sent
        self.aimed = 0
        self.killer_error = None
        self.acked = {}       # (game, turn, seat) -> accepted orders
        self.sent = set()     # (game, turn, seat) sent at least once
        self.resolved = set()  # (game, turn) seen in turn.resolved
        self.resent = 0        # submissions sent again after a kill
        self.reconnects = 0
        self.games = []

    def _start(self):
        return Server(self.args.server_bin, self.args.maps, self.db)

    def port(self):
        with self.lock:
            return self.server.port

    # ---- setup (before any kill) --------------------------------------------

    def setup(self):
        admin = self.server.client()
        for i, seed in enumerate(SEEDS):
            r = admin.create_session("classroom", seed=seed, turn_seconds=0,
                                     name="crash game %d" % i)
            g = {"index": i, "sid": r["session"], "atok": r["admin_token"],
                 "kinds": {s["seat"]: s["kind"] for s in r["seats"]},
                 "seats": [s["seat"] for s in r["seats"]],
                 "turns": r.get("turns", 16), "tokens": {}, "facs": {}}
            for s in r["seats"]:
                if s["seat"] in PLAYERS:
                    c = self.server.client()
                    res = c.join(g["sid"], join_code=s["join_code"])
                    g["tokens"][s["seat"]] = res["token"]
                    g["facs"][s["seat"]] = [
                        f["id"] for f in c.state()["you"]["facilities"]]
                    c.close()
                else:
                    admin.bot(g["sid"], g["atok"], s["seat"], "standing")
            admin.start(g["sid"], g["atok"])
            self.games.append(g)
        admin.close()

    # ---- the killer thread --------------------------------------------------

    def killer(self):
        try:
            while not self.done.is_set():
                if self.kill_rng.random() < AIM_SHARE:
                    self.sending.clear()
                    while not self.sending.wait(0.1):
                        if self.done.is_set():
                            return
                    time.sleep(self.kill_rng.uniform(0, AIM_MAX_S))
                    self.aimed += 1
                else:
                    delay = self.kill_rng.uniform(KILL_MIN_S, KILL_MAX_S)
                    if self.done.wait(delay):
                        break
                with self.lock:
                    self.server.kill9()
                    self.kills += 1
                    # Restarting is part of what is tested: a server that
                    # cannot restore its sessions refuses to start.
                    self.server = self._start()
                    self.restarts += 1
        except Exception as e:  # noqa: BLE001
            self.killer_error = e
            self.done.set()

    # ---- the clients --------------------------------------------------------

    def connect(self):
        """One connection per played seat, joined with its token."""
        conns = {}
        port = self.port()
        for g in self.games:
            for seat, tok in g["tokens"].items():
                c = self._client(port)
                conns[(g["index"], seat)] = c
                r = c.join(g["sid"], token=tok)
                check(r["token"] == tok and r["seat"] == seat,
                      "the same token after a restart", r, seat)
        return conns

    @staticmethod
    def _client(port):
        return Client("127.0.0.1", port, timeout=10.0)

    def collect(self, c, gi):
        for n in c.clear_notifications():
            if n.method == "turn.resolved":
                self.resolved.add((gi, n["turn"]))

    def play(self):
        """Play every game to its end, surviving kills. Returns the time
        it took."""
        t0 = time.monotonic()
        conns = None
        while True:
            if time.monotonic() - t0 > RUN_LIMIT_S:
                raise AssertionError("the games did not finish within %d s"
                                     % RUN_LIMIT_S)
            if self.killer_error:
                raise self.killer_error
            try:
                if conns is None:
                    conns = self.connect()
                progress, finished = False, 0
                for g in self.games:
                    gi = g["index"]
                    for seat in PLAYERS:
                        c = conns[(gi, seat)]
                        st = c.state()
                        self.collect(c, gi)
                        if st["status"] == "finished":
                            finished += 1
                            continue
                        turn = st["turn"]
                        key = (gi, turn, seat)
                        if key in self.acked:
                            continue  # answered; waiting for the others
                        orders = orders_for(gi, turn, seat, g["kinds"][seat],
                                            g["facs"][seat])
                        if key in self.sent:
                            self.resent += 1
                        self.sent.add(key)
                        self.sending.set()
                        res = c.submit(orders, ready=True)
                        check(res["turn"] == turn,
                              "a submission lands in the turn state.get "
                              "said was open", res, key)
                        bad = {x["index"] for x in res["rejected"]}
                        self.acked[key] = [o for i, o in enumerate(orders)
                                           if i not in bad]
                        progress = True
                        self.collect(c, gi)
                        if self.think_rng:
                            time.sleep(self.think_rng.uniform(THINK_MIN_S,
                                                              THINK_MAX_S))
                if finished == len(self.games) * len(PLAYERS):
                    for (gi, _), c in conns.items():
                        c.poll()
                        self.collect(c, gi)
                        c.close()
                    return time.monotonic() - t0
                if not progress:
                    time.sleep(0.002)
            except (OSError, ConnectionError, TimeoutError, EOFError) as e:
                # The server died under us: reconnect to its successor.
                if conns:
                    for c in conns.values():
                        c.close()
                conns = None
                self.reconnects += 1
                if self.kill_rng is None:
                    raise AssertionError("the control server failed: %r" % e)
                time.sleep(0.005)

    def run(self):
        self.setup()
        killer = None
        if self.kill_rng is not None:
            killer = threading.Thread(target=self.killer, daemon=True)
            killer.start()
        try:
            elapsed = self.play()
        finally:
            self.done.set()
            if killer:
                killer.join(30)
        status = self.server.stop()
        check(status == 0, "the last server exits 0 on SIGTERM", status,
              self.server.stderr_tail())
        return elapsed

    # ---- what the database says ---------------------------------------------

    def final_hashes(self):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        out = {}
        for g in self.games:
            row = con.execute("SELECT turn, state_hash FROM turns WHERE "
                              "session_id = ? ORDER BY turn DESC LIMIT 1",
                              (g["sid"],)).fetchone()
            out[g["index"]] = (row[0], row[1].hex()) if row else None
        con.close()
        return out


def verify_crashed(args, run, control):
    con = sqlite3.connect("file:%s?mode=ro" % run.db, uri=True)
    try:
        check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
              "PRAGMA integrity_check is ok")
        # Every acknowledged submission is stored, with its accepted orders.
        n = 0
        for key, orders in run.acked.items():
            gi, turn, seat = key
            g = run.games[gi]
            rows = con.execute(
                "SELECT orders FROM submissions WHERE session_id = ? AND "
                "turn = ? AND seat_index = ? AND source = 'player'",
                (g["sid"], turn, g["seats"].index(seat))).fetchall()
            check(any(decode_orders(b) == orders for (b,) in rows),
                  "an acknowledged submission is stored", key, orders,
                  [decode_orders(b) for (b,) in rows])
            n += 1
        # A submission may be committed and its answer lost with the
        # server; if it made the turn complete, the restarted server
        # resolves that turn at once and the client never sees an answer.
        # It is stored all the same: every played seat of every turn has
        # one.
        unanswered = 0
        for g in run.games:
            for turn in range(g["turns"]):
                for seat in PLAYERS:
                    k = con.execute(
                        "SELECT COUNT(*) FROM submissions WHERE "
                        "session_id = ? AND turn = ? AND seat_index = ? AND "
                        "source = 'player'",
                        (g["sid"], turn, g["seats"].index(seat))).fetchone()[0]
                    check(k >= 1, "a played seat's submission is stored",
                          g["sid"], turn, seat)
                    unanswered += (g["index"], turn, seat) not in run.acked
        print("# %d acknowledged submissions, all stored; %d stored whose "
              "answer was lost with the server" % (n, unanswered),
              flush=True)
        # Every resolved turn is stored; every game is finished.
        for gi, turn in run.resolved:
            sid = run.games[gi]["sid"]
            check(con.execute("SELECT COUNT(*) FROM turns WHERE session_id = "
                              "? AND turn = ?", (sid, turn)).fetchone()[0]
                  == 1, "a turn seen resolved is stored", gi, turn)
        for g in run.games:
            status, turn, turns = con.execute(
                "SELECT status, turn, turns FROM sessions WHERE id = ?",
                (g["sid"],)).fetchone()
            check(status == "finished" and turn == turns,
                  "the game is finished", g["sid"], status, turn, turns)
            stored = [t for (t,) in con.execute(
                "SELECT turn FROM turns WHERE session_id = ? ORDER BY turn",
                (g["sid"],))]
            check(stored == list(range(turns)), "every turn is stored",
                  g["sid"], stored)
    finally:
        con.close()
    got = run.final_hashes()
    want = control.final_hashes()
    check(got == want, "the same final state hashes as the control run",
          got, want)
    for g in run.games:
        rc, out, err = run_tool(args.cli_bin, "replay", "--db", run.db,
                                "--session", g["sid"], "--verify")
        check(rc == 0, "replay --verify passes on a crashed game", g["sid"],
              rc, out, err)


def main():
    def extra(ap):
        ap.add_argument("--seed", type=int, default=None,
                        help="seed of the kill moments (default: random)")
    args = parse_args(__doc__, extra)
    seed = args.seed if args.seed is not None else random.SystemRandom().\
        randrange(1 << 32)
    print("# kill seed %d (--seed %d repeats this run)" % (seed, seed),
          flush=True)
    suite = Suite(args)
    runs = {}

    def control():
        r = Run(args, os.path.join(suite.tmp, "control.db"))
        t = r.run()
        runs["control"] = r
        print("# control run: %.1f s, %d submissions" % (t, len(r.acked)),
              flush=True)

    def crashed():
        r = Run(args, os.path.join(suite.tmp, "crash.db"),
                random.Random(seed))
        try:
            t = r.run()
        except ServerFailed as e:
            raise AssertionError("a restart failed (status %s):\n%s"
                                 % (e.status, e.stderr))
        runs["crash"] = r
        print("# crash run: %.1f s, %d kills (%d aimed at a submission), %d "
              "reconnects, %d submissions sent again"
              % (t, r.kills, r.aimed, r.reconnects, r.resent), flush=True)
        check(r.kills >= MIN_KILLS, "at least %d kills" % MIN_KILLS,
              r.kills)

    suite.run("control run (never killed)", control)
    suite.run("crash run (SIGKILL at random moments)", crashed)
    if "control" in runs and "crash" in runs:
        suite.run("after the crashes: acked orders, turns, integrity, "
                  "hashes, replay",
                  verify_crashed, args, runs["crash"], runs["control"])
    return suite.finish()


if __name__ == "__main__":
    raise SystemExit(main())
