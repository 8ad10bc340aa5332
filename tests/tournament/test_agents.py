#!/usr/bin/python3
"""Outside bots in tournaments (`lanthanide tournament --agent NAME=COMMAND`).

- The example Python bot (clients/python/example_bot.py, unchanged, as a
  command) plays a tournament with three built-in strategies on classroom
  and on world-2024; --jobs 1 and --jobs 2 give the same results file and
  the same final state hash for every game, and the bot failed no turn.
- A Python bot that always sends nothing plays exactly as the built-in
  `standing` strategy: the same rotation gives the same state hashes. On
  the way it reads history.get, state.describe and both schemas, which a
  tournament game serves as a server does.
- A bot that dies at once has every turn of its seats counted as failed;
  a bot slower than --agent-turn-ms has its late turns counted; both
  tournaments still finish.
- An interrupted tournament (^C) leaves no bot behind, nor anything a bot
  started, with --jobs 1 and 2.
- A name that is neither built in nor given with --agent is refused with a
  message that says how to enter a bot.

    /usr/bin/python3 tests/tournament/test_agents.py --cli build/bin/lanthanide
"""
import argparse
import csv
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3"
EXAMPLE = "%s %s" % (PY, os.path.join(ROOT, "clients", "python",
                                      "example_bot.py"))

try:
    import msgpack  # noqa: F401  (the bots need it)
except ImportError:
    print("python3-msgpack is missing: apt-get install python3-msgpack")
    sys.exit(77)

# Sends nothing, ever; on the way it uses the other methods a bot may call
# (history.get, state.describe, orders.schema, observation.schema) and
# exits with status 3 if one answers wrong: the seat then fails its turns.
STAND_BOT = '''
import os, sys
sys.path.insert(0, %r)
import lanthanide
host, _, port = os.environ["LANTHANIDE_SERVER"].rpartition(":")
extra = lanthanide.Client(host, int(port))
extra.join(os.environ["LANTHANIDE_SESSION"],
           token=os.environ["LANTHANIDE_TOKEN"])
assert extra.seat == os.environ["LANTHANIDE_SEAT"]
assert "op" in extra.orders_schema()["properties"]
assert "you" in extra.observation_schema()["properties"]
def decide(obs):
    hist = extra.history()
    if [h["turn"] for h in hist] != list(range(obs["turn"])):
        sys.exit(3)
    if not extra.describe().startswith("You play " + obs["seat"]):
        sys.exit(3)
    return []
lanthanide.run_bot(host, int(port), os.environ["LANTHANIDE_SESSION"], None,
                   decide, token=os.environ["LANTHANIDE_TOKEN"], log=None)
''' % os.path.join(ROOT, "clients", "python")

SLOW_BOT = '''
import os, sys, time
sys.path.insert(0, %r)
import lanthanide
def decide(obs):
    time.sleep(0.6)  # three times the turn budget of the test
    return []
host, _, port = os.environ["LANTHANIDE_SERVER"].rpartition(":")
lanthanide.run_bot(host, int(port), os.environ["LANTHANIDE_SESSION"], None,
                   decide, token=os.environ["LANTHANIDE_TOKEN"], log=None)
''' % os.path.join(ROOT, "clients", "python")


class Failure(AssertionError):
    pass


def check(cond, what, *details):
    if not cond:
        raise Failure(what + (": " + " ".join(repr(d) for d in details)
                              if details else ""))


def tournament(cli, tmp, name, args):
    out = os.path.join(tmp, name + ".db")
    csv_path = os.path.join(tmp, name + ".csv")
    argv = [cli, "tournament", "--out", out, "--csv", csv_path, "--force",
            "--quiet"] + args
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, "the tournament runs", argv, p.stderr)
    with sqlite3.connect(out) as db:
        games = db.execute("SELECT game, seed, hash FROM games "
                           "ORDER BY game").fetchall()
        rows = db.execute("SELECT game, seat_id, strategy, score, refused, "
                          "failed FROM results ORDER BY game, seat"
                          ).fetchall()
    with open(csv_path) as f:
        text = f.read()
    return games, rows, text


def test_example_bot_jobs(cli, tmp):
    for map_id, games in (("classroom", 8), ("world-2024", 3)):
        runs = []
        for jobs in (1, 2):
            runs.append(tournament(cli, tmp, "%s-j%d" % (map_id, jobs), [
                "--map", map_id, "--games", str(games), "--jobs", str(jobs),
                # A generous budget: a late turn would make the runs
                # differ, and a loaded CI machine (the sanitizer build)
                # must not fail the test for it.
                "--agent-turn-ms", "15000",
                "--agent", "example=" + EXAMPLE,
                "--strategies", "example,cournot,cautious,builder"]))
        (g1, r1, c1), (g2, r2, c2) = runs
        check(len(g1) == games, "every game is stored", map_id, len(g1))
        check(g1 == g2, "--jobs 1 and 2 give the same games and hashes",
              map_id)
        check(c1 == c2, "--jobs 1 and 2 write the same CSV", map_id)
        mine = [r for r in r1 if r[2] == "example"]
        check(len(mine) > 0, "the bot played seats", map_id)
        check(all(r[5] == 0 for r in mine),
              "the example bot answered every turn in time", map_id,
              [r for r in mine if r[5]])
        rows = list(csv.DictReader(c1.splitlines()))
        check({r["strategy"] for r in rows} >=
              {"example", "cournot", "cautious", "builder"},
              "every strategy appears in the CSV", map_id)


def test_stand_bot_is_standing(cli, tmp):
    bot = os.path.join(tmp, "stand_bot.py")
    with open(bot, "w") as f:
        f.write(STAND_BOT)
    common = ["--map", "classroom", "--games", "4", "--jobs", "2",
              "--agent-turn-ms", "15000"]
    g_bot, r_bot, _ = tournament(cli, tmp, "stand-bot", common + [
        "--agent", "stand=%s %s" % (PY, bot),
        "--strategies", "stand,cournot,cautious"])
    g_std, r_std, _ = tournament(cli, tmp, "stand-builtin", common + [
        "--strategies", "standing,cournot,cautious"])
    check(all(r[5] == 0 for r in r_bot if r[2] == "stand"),
          "the bot's history.get, state.describe and schemas answered "
          "right every turn (it failed none)",
          [r for r in r_bot if r[2] == "stand" and r[5]])
    check(g_bot == g_std, "a bot sending nothing plays as `standing` (same "
          "state hashes)", g_bot, g_std)
    check([r[3] for r in r_bot] == [r[3] for r in r_std],
          "and the same scores")


def test_dead_and_slow_bots(cli, tmp):
    _, rows, _ = tournament(cli, tmp, "dead", [
        "--map", "classroom", "--games", "1", "--jobs", "1",
        "--agent", "dead=exit 3", "--strategies", "dead,cournot"])
    dead = [r for r in rows if r[2] == "dead"]
    check(dead and all(r[5] == 16 for r in dead),
          "a bot that dies fails every one of its 16 turns", dead)
    slow = os.path.join(tmp, "slow_bot.py")
    with open(slow, "w") as f:
        f.write(SLOW_BOT)
    _, rows, _ = tournament(cli, tmp, "slow", [
        "--map", "classroom", "--games", "1", "--jobs", "1",
        "--agent-turn-ms", "200", "--agent", "slow=%s %s" % (PY, slow),
        "--strategies", "slow,cournot"])
    late = [r for r in rows if r[2] == "slow"]
    check(late and all(r[5] >= 4 for r in late),
          "a bot slower than --agent-turn-ms has its late turns counted",
          late)


def test_roles_warning_and_csv_units(cli, tmp):
    out = os.path.join(tmp, "roles.db")
    csv_path = os.path.join(tmp, "roles.csv")
    p = subprocess.run([cli, "tournament", "--map", "classroom", "--games",
                        "2", "--jobs", "1", "--out", out, "--csv", csv_path,
                        "--strategies", "cournot,hawk"],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "the tournament runs", p.stderr)
    for text, where in ((p.stderr, "before the games"),
                        (p.stdout, "on the leaderboard")):
        check("cournot and hawk never share a role" in text or
              "hawk and cournot never share a role" in text,
              "strategies that never share a role are named " + where, text)
        check("only strategy on its seats" in text,
              "a rating that is 0.500 by construction is explained " + where)
    p = subprocess.run([cli, "tournament", "show", out], capture_output=True,
                       text=True)
    check("never share a role" in p.stdout, "`show` says so too", p.stdout)
    with sqlite3.connect(out) as db:
        ppm = [r[0] for r in db.execute(
            "SELECT score FROM results ORDER BY game, seat")]
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    check([float(r["score"]) for r in rows] == [v / 1e6 for v in ppm],
          "the CSV's scores are in the leaderboard's unit (1 = the whole "
          "objective), exactly")


def test_stop_leaves_no_bot(cli, tmp):
    import signal
    import time
    for jobs in ("1", "2"):
        piddir = os.path.join(tmp, "pids" + jobs)
        os.makedirs(piddir)
        # The bot's own child writes its pid: what a shell started must go
        # too, not only the shell.
        bot = ("sh -c 'sleep 300 & echo $! > %s/$LANTHANIDE_SEAT.pid; wait'"
               % piddir)
        p = subprocess.Popen([cli, "tournament", "--map", "classroom",
                              "--games", "2", "--jobs", jobs, "--out",
                              os.path.join(tmp, "stop%s.db" % jobs),
                              "--agent-turn-ms", "60000", "--agent",
                              "sleepy=" + bot, "--strategies",
                              "sleepy,cournot"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        deadline = time.monotonic() + 30
        while len(os.listdir(piddir)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = []
        for f in os.listdir(piddir):
            with open(os.path.join(piddir, f)) as fh:
                text = fh.read().strip()
            if text:
                pids.append(int(text))
        check(pids, "the bots started", os.listdir(piddir))
        # ^C at a terminal: SIGINT to the whole process group.
        os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=30)
        check(p.returncode == 130 and b"stopped" in err,
              "an interrupted tournament stops (130)", p.returncode, err)
        time.sleep(0.3)
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                with open("/proc/%d/stat" % pid) as fh:
                    if fh.read().split()[2] != "Z":
                        alive.append(pid)
            except (ProcessLookupError, FileNotFoundError):
                pass
        check(not alive, "no bot (nor its children) is left behind, --jobs "
              + jobs, alive)


def test_unknown_name(cli, tmp):
    p = subprocess.run([cli, "tournament", "--map", "classroom", "--out",
                        os.path.join(tmp, "x.db"), "--strategies",
                        "cournot,mybot.py"], capture_output=True, text=True)
    check(p.returncode == 2, "an unknown strategy is a usage error",
          p.returncode)
    check("--agent mybot.py=COMMAND" in p.stderr,
          "the message says how to enter a bot", p.stderr)
    p = subprocess.run([cli, "tournament", "--map", "classroom", "--out",
                        os.path.join(tmp, "x.db"), "--agent", "cournot=true"],
                       capture_output=True, text=True)
    check(p.returncode == 2 and "built-in" in p.stderr,
          "a bot may not take a built-in strategy's name", p.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lan-agents-")
    passed = failed = 0
    try:
        for name, fn in sorted(globals().items()):
            if not name.startswith("test_"):
                continue
            try:
                fn(args.cli, tmp)
                print("ok   %s" % name)
                passed += 1
            except Exception:
                print("FAIL %s" % name)
                traceback.print_exc()
                failed += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
