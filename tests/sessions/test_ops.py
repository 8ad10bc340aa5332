#!/usr/bin/python3
"""What an operator relies on (docs/operations.md): the logs, the metrics
and SIGHUP, over a whole game.

The same complete game of the `classroom` map is played twice, against a
server logging at --log-level debug in the text format and then in
--log-format json: two seats joined by clients (one after a wrong join
code, one coming back with its token on a new connection), one seat taken
over from a built-in agent, six seats played by agents, sixteen turns
resolved on ready-ups, chat. Then:

- logs: neither log holds the admin token, any join code or any seat's
  token (a log is read by more people than the game's players); every
  line of the JSON log is one JSON object with time, level and message,
  and the lines about the session carry its id in "session" (the
  takeover's line also the seat in "seat");
- metrics: server.metrics answers the Prometheus text whose figures match
  the game (16 turns resolved and timed, one finished session, commits
  timed, bytes counted) and that `promtool check metrics` (Debian's
  prometheus package, installed through scripts/deps.sh metrics) accepts;
  GET /metrics on the --http port serves the same text (its Content-Type
  the exposition format's), and promtool accepts that too;
- SIGHUP: the server reads its maps folder again, says so in the log,
  and goes on serving.

    /usr/bin/python3 tests/sessions/test_ops.py \\
        --server-bin build/bin/lanthanide-server --maps maps
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CLASSROOM_SEATS, LIVE_S, ROOT, Game, Server,  # noqa: E402
                     check, expect_error)

PEOPLE = ["USA", "mountain_minerals"]
TAKEOVER = "dragon_magnets"


def play_game(server):
    """A whole game; returns (session id, every secret the game handed
    out)."""
    admin = server.client()
    game = Game(admin, "classroom", name="ops test", seed=5,
                turn_seconds=3600)
    secrets = {"admin token": game.admin_token}
    for seat, code in game.codes.items():
        secrets["join code of " + seat] = code

    players = {}
    for seat in PEOPLE:
        c = server.client()
        players[seat] = c
        secrets["token of " + seat] = game.join(c, seat, name="player")
    # A wrong join code (refused, and logged at most as an event).
    stranger = server.client()
    expect_error("unauthorized", stranger.join, game.id,
                 join_code="ZZZZZZZZZZ")
    game.bots([s for s in game.seats if s not in PEOPLE])
    # A person takes a seat over from its agent (a line about that seat).
    taker = server.client()
    secrets["token of " + TAKEOVER] = game.join(taker, TAKEOVER,
                                                name="late player")
    players[TAKEOVER] = taker
    # One player comes back on a new connection with the token.
    back = server.client()
    back.join(game.id, token=secrets["token of USA"])
    players["USA"].close()
    players["USA"] = back

    watcher = server.client()
    game.watch(watcher)
    game.start()
    watcher.wait_for("session.started", timeout=LIVE_S)
    for turn in range(16):
        if turn % 4 == 0:
            players["USA"].chat("turn %d, all well" % turn)
        for seat, c in players.items():
            res = c.submit([], ready=True)
            check(res["turn"] == turn, "orders.submit answers the open turn",
                  seat, res, turn)
        n = watcher.wait_for("turn.resolved", timeout=LIVE_S)
        check(n["turn"] == turn, "the turn resolved", n.params, turn)
    watcher.wait_for("session.finished", timeout=LIVE_S)
    check(game.listing()["status"] == "finished", "the game finished")
    return game.id, secrets


def check_no_secrets(log, secrets, fmt):
    for what, value in secrets.items():
        check(isinstance(value, str) and len(value) >= 8,
              "a secret to look for", what, value)
        check(value not in log, "the %s log does not hold the %s" % (fmt, what),
              value)
        # Join codes are typed by people in any case; look for that too.
        check(value.lower() not in log.lower(),
              "the %s log does not hold the %s in another case" % (fmt, what))


def read_log(server):
    with open(server.err_path, "rb") as f:
        return f.read().decode("utf-8")


def test_text(args):
    server = Server(args.server_bin, args.maps, ["--log-level", "debug"])
    try:
        sid, secrets = play_game(server)
        check(server.stop() == 0, "the server exits 0 on SIGTERM")
        log = read_log(server)
        check_no_secrets(log, secrets, "text")
        check(re.search(r"^\S+Z info: session %s: created: map classroom"
                        % re.escape(sid), log, re.M),
              "the text log names the session on its lines", log[:2000])
        check("taken over from agent" in log, "the takeover is logged")
    finally:
        server.kill()
        server.cleanup()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_json_and_metrics(args):
    http_port = free_port()
    server = Server(args.server_bin, args.maps,
                    ["--log-level", "debug", "--log-format", "json",
                     "--http", "127.0.0.1:%d" % http_port])
    try:
        sid, secrets = play_game(server)
        metrics = server.client().call("server.metrics")
        check_metrics(metrics)
        # GET /metrics: the same text over HTTP.
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % http_port,
                                    timeout=LIVE_S) as r:
            check(r.status == 200, "GET /metrics answers 200", r.status)
            ctype = r.headers.get("Content-Type", "")
            body = r.read().decode()
        check(ctype.startswith("text/plain; version=0.0.4"),
              "/metrics has the exposition format's type", ctype)
        check(sample(body, "lanthanide_turns_resolved_total") == 16,
              "/metrics has the game's turns")
        check(sample(body, "lanthanide_http_requests_total") >= 1,
              "/metrics counts itself as an HTTP request")
        promtool(body)
        # SIGHUP: the maps again; the server goes on serving.
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + LIVE_S
        while "maps reloaded" not in read_log(server):
            check(time.monotonic() < deadline, "SIGHUP is logged within "
                  "%.0f s" % LIVE_S, read_log(server)[-2000:])
            time.sleep(0.05)
        check(server.client().ping() == {}, "the server serves after SIGHUP")
        check(server.stop() == 0, "the server exits 0 on SIGTERM")
        log = read_log(server)
        check_no_secrets(log, secrets, "json")
        lines = log.splitlines()
        check(len(lines) >= 5, "the server logged the game", lines)
        about = []
        for line in lines:
            try:
                o = json.loads(line)
            except ValueError:
                raise AssertionError("a log line that is not JSON: %r" % line)
            check(isinstance(o, dict), "each line is one JSON object", line)
            for key in ("time", "level", "message"):
                check(isinstance(o.get(key), str), "a line has %s" % key, o)
            check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$",
                           o["time"]), "time is UTC ISO 8601", o)
            check(o["level"] in ("error", "warn", "info", "debug"),
                  "a known level", o)
            if o.get("session") == sid:
                about.append(o)
        check(any(o["message"].startswith("created: map classroom")
                  for o in about), "the creation carries the session", about)
        check(any(o.get("seat") == TAKEOVER
                  and "taken over" in o["message"] for o in about),
              "the takeover carries the seat", about)
        check(any("SIGHUP: maps reloaded" in json.loads(x)["message"]
                  and "classroom" in json.loads(x)["message"] for x in lines),
              "SIGHUP lists the maps", lines[-5:])
    finally:
        server.kill()
        server.cleanup()


def sample(text, name, labels=""):
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)),
                  text, re.M)
    check(m, "the metrics have %s%s" % (name, labels), text[:3000])
    return float(m.group(1))


def check_metrics(res):
    check(res["format"].startswith("text/plain; version=0.0.4"),
          "the Prometheus text format", res["format"])
    text = res["text"]
    check(sample(text, "lanthanide_turns_resolved_total") == 16,
          "16 turns resolved")
    check(sample(text, "lanthanide_turn_resolution_duration_seconds_count")
          == 16, "each turn timed")
    check(sample(text, "lanthanide_turn_resolution_duration_seconds_bucket",
                 '{le="+Inf"}') == 16, "the +Inf bucket holds every turn")
    check(sample(text, "lanthanide_sessions", '{status="finished"}') == 1,
          "one finished session")
    check(sample(text, "lanthanide_sessions", '{status="running"}') == 0,
          "none running")
    commits = sample(text, "lanthanide_store_commits_total")
    check(commits >= 16, "a commit per turn at least", commits)
    check(sample(text, "lanthanide_store_commit_duration_seconds_count")
          == commits, "every commit timed")
    check(sample(text, "lanthanide_received_bytes_total") > 1000,
          "bytes in counted")
    check(sample(text, "lanthanide_sent_bytes_total") > 10000,
          "bytes out counted")
    check(sample(text, "lanthanide_connections_closed_total",
                 '{reason="by_peer"}') >= 1, "the closed connection counted")
    check(sample(text, "process_resident_memory_bytes") > 1e6, "the RSS")
    # promtool, from Debian's prometheus package.
    r = subprocess.run(["bash", os.path.join(ROOT, "scripts", "deps.sh"),
                        "metrics"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    check(r.returncode == 0 and shutil.which("promtool"),
          "promtool is installed (scripts/deps.sh metrics)",
          r.stdout.decode(errors="replace")[-2000:])
    promtool(text)


def promtool(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "promtool check metrics accepts the text",
          r.stdout.decode(errors="replace"))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--server-bin", required=True)
    ap.add_argument("--maps", required=True)
    args = ap.parse_args()
    check(len(CLASSROOM_SEATS) == 9, "the classroom's nine seats")
    failed = 0
    for fn in (test_text, test_json_and_metrics):
        t0 = time.monotonic()
        try:
            fn(args)
            print("ok     %-30s %6.2f s" % (fn.__name__, time.monotonic() - t0))
        except Exception:  # noqa: BLE001
            import traceback
            failed += 1
            print("FAILED %-30s %6.2f s" % (fn.__name__,
                                            time.monotonic() - t0))
            traceback.print_exc(file=sys.stdout)
    print("%d passed, %d failed" % (2 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
