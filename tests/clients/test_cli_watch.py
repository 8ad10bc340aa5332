#!/usr/bin/python3
"""`lanthanide watch` counts down to the deadline and says whom the turn
waits for; `lanthanide play --name` reaches the facilitator and the export
(issue 12, "the terminal tools keep up").

Against a fake server that answers exactly what docs/protocol.md says
(session.status of the control cell, or an unknown_method error from an
older server), so that every branch is checked whatever the real server
of this tree has:
- the facilitator's view: "Turn 3 closes in 2:05" and "Waiting for 2
  seats: USA (Zoë Müller, not connected, orders sent), EUU (nobody has
  joined)": agents and ready seats are not waited for;
- a server without session.status: the view says it is too old to tell,
  and exits 0;
- a seat's view: the deadline from state.get, no waiting list;
- session.extended moves the countdown at once; the screen is redrawn in
  place (no clear-screen, each line erased to its end), at most once a
  second, and the countdown moves.

Against the real server (lanthanide-server of this build):
- `play --name` joins with the name; the facilitator's session.status
  (where the server has it) and `watch` show it; a later `play --token
  --name` changes it; `export`'s seats file has it;
- `watch --token` shows the turn's deadline; session.extend moves it on
  the screen of a running `watch`;
- `watch --admin-token` shows whom the turn waits for, or says that this
  server is too old to tell (when it answers session.status with
  unknown_method).

usage: test_cli_watch.py SERVER-BINARY CLI-BINARY MAPS-DIR
Prints "N passed, M failed"; exit 0 all passed, 1 a failure, 77 skipped
(python3-msgpack missing).
"""
import csv
import io
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import lanserver  # noqa: E402 (exits 77 without python3-msgpack)
import msgpack  # noqa: E402
from lanthanide import LanthanideError  # noqa: E402

SERVER, CLI, MAPS = sys.argv[1], sys.argv[2], sys.argv[3]
passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok     " + what)
    else:
        failed += 1
        print("FAILED " + what + ("\n  " + str(detail) if detail else ""))


def env():
    e = dict(os.environ)
    for k in ("LANTHANIDE_SERVER", "LANTHANIDE_TOKEN",
              "LANTHANIDE_ADMIN_TOKEN"):
        e.pop(k, None)
    e["TZ"] = "UTC"
    return e


def run(*args, stdin=""):
    p = subprocess.run([CLI] + list(args), capture_output=True, timeout=60,
                       env=env(), input=stdin.encode())
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class Watch:
    """A running `lanthanide watch`, its output read as it comes."""

    def __init__(self, *args):
        self.p = subprocess.Popen([CLI, "watch"] + list(args),
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, env=env())
        self.out = b""

    def read_until(self, pattern, timeout=8.0):
        """Read until the text matches pattern (a regex); the match or
        None."""
        end = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.out.decode("utf-8", "replace"))
            if m:
                return m
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    return None
                self.out += chunk

    def read_for(self, seconds):
        self.read_until(r"(?!x)x", seconds)
        return self.out.decode("utf-8", "replace")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()
        return self.p.returncode


# ---- A fake server ----------------------------------------------------------

SEATS = [
    {"seat": "CHN", "kind": "nation", "title": "China"},
    {"seat": "USA", "kind": "nation", "title": "United States"},
    {"seat": "EUU", "kind": "nation", "title": "European Union"},
    {"seat": "mountain_minerals", "kind": "firm",
     "title": "Mountain Minerals"},
]
# session.status's seats (docs/protocol.md of the control cell): CHN an
# agent (never waited for), USA a person who sent orders and is not
# connected, EUU empty, mountain_minerals a person who is ready.
STATUS_SEATS = [
    dict(SEATS[0], name="", played_by="agent", agent="hawk", connected=0,
         submitted=True, ready=False, locked=False),
    dict(SEATS[1], name="Zoë Müller", played_by="person", agent=None,
         connected=0, submitted=True, ready=False, locked=False),
    dict(SEATS[2], name="", played_by="nobody", agent=None, connected=0,
         submitted=False, ready=False, locked=False),
    dict(SEATS[3], name="Li Wei", played_by="person", agent=None,
         connected=1, submitted=True, ready=True, locked=False),
]


class Fake:
    """One listening socket; each connection answers requests from the
    tables below. has_status False answers session.status as a server
    without it does (unknown_method). extend_after: seconds after the
    first status or state answer, push session.extended with 600 s left
    (and answer that from then on)."""

    def __init__(self, has_status=True, extend_after=None):
        self.has_status = has_status
        self.extend_after = extend_after
        self.remaining = 125000
        self.calls = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def deadline(self):
        return {"deadline_ms": int(time.time() * 1000) + self.remaining,
                "remaining_ms": self.remaining}

    def answer(self, method, params):
        sess = {"session": "sfake001", "name": "Period 3",
                "map": "classroom", "status": "running", "turn": 2,
                "turns": 16}
        if method == "session.watch":
            return None, True
        if method == "history.get":
            return None, []
        if method == "session.list":
            return None, [dict(sess, seats=[
                dict(s, taken=s["seat"] != "EUU",
                     agent="hawk" if s["seat"] == "CHN" else None)
                for s in SEATS])]
        if method == "session.status":
            if not self.has_status:
                return {"code": "unknown_method",
                        "message": "unknown method 'session.status'; this "
                                   "server knows: hello, ping"}, None
            return None, dict(sess, review=False, proposed=False,
                              scripted_events=True, observers=0,
                              seats=STATUS_SEATS, **self.deadline())
        if method == "state.get":
            return None, dict(self.deadline(), session="sfake001",
                              status="running", seat="USA", turn=2,
                              turns=16)
        return {"code": "unknown_method", "message": "not in the fake"}, None

    def _serve(self, c):
        up = msgpack.Unpacker(raw=False)
        lock = threading.Lock()

        def send(obj):
            with lock:
                c.sendall(msgpack.packb(obj))

        timer = None
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    return
                up.feed(data)
                for msg in up:
                    _, msgid, method, params = msg
                    self.calls.append(method)
                    err, res = self.answer(method, params[0] if params
                                           else {})
                    send([1, msgid, err, res])
                    if (self.extend_after is not None and timer is None and
                            method in ("session.status", "state.get")):
                        def extend():
                            self.remaining = 600000
                            send([2, "session.extended",
                                  [dict(self.deadline(),
                                        session="sfake001")]])
                        timer = threading.Timer(self.extend_after, extend)
                        timer.start()
        except OSError:
            return
        finally:
            if timer:
                timer.cancel()
            c.close()

    def close(self):
        self.stopping = True
        self.sock.close()


def t_fake():
    f = Fake()
    rc, out, err = run("watch", "--server", f.addr, "--session", "sfake001",
                       "--admin-token", "a" * 32, "--once")
    check(rc == 0, "watch --once exits 0", (rc, err))
    check("session.status" in f.calls, "the facilitator's view asks "
          "session.status", f.calls)
    check(re.search(r"^Turn 3 closes in 2:0[45] \(at \d\d:\d\d:\d\d\)\.$",
                    out, re.M), "the countdown, with the wall-clock time",
          out)
    check("Waiting for 2 seats: USA (Zoë Müller, not connected, orders "
          "sent), EUU (nobody has joined)\n" in out,
          "whom the turn waits for: not the agent, not the ready seat", out)
    f.close()

    f = Fake(has_status=False)
    rc, out, err = run("watch", "--server", f.addr, "--session", "sfake001",
                       "--admin-token", "a" * 32, "--once")
    check(rc == 0 and "This server is too old to tell the deadline and whom "
          "the turn waits for (it has no session.status).\n" in out,
          "an older server: the view says it cannot tell", (rc, out, err))
    check("Waiting for" not in out and "closes in" not in out,
          "and guesses nothing", out)
    check("error" not in err, "no error printed for the missing method",
          err)
    f.close()

    f = Fake()
    rc, out, err = run("watch", "--server", f.addr, "--session", "sfake001",
                       "--token", "b" * 32, "--once")
    check(rc == 0 and re.search(r"^Turn 3 closes in 2:0[45]", out, re.M),
          "a seat's view: the deadline from state.get", (rc, out, err))
    check("session.status" not in f.calls and "Waiting for" not in out,
          "a seat asks no session.status", f.calls)
    f.close()

    # In place: a running watch redraws each second, the countdown moves,
    # and session.extended moves it at once.
    f = Fake(extend_after=2.5)
    w = Watch("--server", f.addr, "--session", "sfake001", "--admin-token",
              "a" * 32)
    text = w.read_for(2.2)
    frames = text.count("\033[H")
    check(2 <= frames <= 4, "about one frame a second while the countdown "
          "runs (2.2 s)", frames)
    check("\033[2J" not in text and "\033[K\n" in text and "\033[J" in text,
          "frames drawn in place: no clear-screen, lines erased to their "
          "end", repr(text[:300]))
    shown = re.findall(r"closes in (\d+:\d\d)", text)
    check(len(set(shown)) >= 2, "the countdown moves", shown)
    m = w.read_until(r"closes in 10:00|closes in 9:5\d", 5)
    check(m, "session.extended: the new deadline is shown", w.out[-600:])
    check("the facilitator moved the deadline" in w.out.decode(),
          "and said", w.out[-600:])
    check(w.stop() == 0, "watch exits 0 on SIGTERM")
    f.close()


# ---- The real server --------------------------------------------------------

def read_seats_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {r["seat"]: r for r in csv.DictReader(f)}


def t_real(tmp):
    db = os.path.join(tmp, "game.db")
    srv = lanserver.Server(SERVER, MAPS, db, ["--sync", "normal"])
    stopped = False
    try:
        addr = "127.0.0.1:%d" % srv.port
        a = srv.client()
        r = a.create_session("classroom", turn_seconds=120, turns=3)
        sid, atok = r["session"], r["admin_token"]
        codes = {s["seat"]: s["join_code"] for s in r["seats"]}
        for s in r["seats"]:
            if s["seat"] not in ("mountain_minerals", "EUU"):
                a.bot(sid, atok, s["seat"], "standing")
        rc, out, err = run("play", "--server", addr, "--session", sid,
                           "--code", codes["mountain_minerals"], "--name",
                           "Ana Lima", stdin="quit\n")
        check(rc == 0, "play --name joins", (rc, out, err))
        m = re.search(r"Your seat token: ([0-9a-f]+)", out)
        check(m, "play prints the seat's token", out)
        token = m.group(1) if m else ""
        try:
            status = a.call("session.status", session=sid, admin_token=atok)
        except LanthanideError as e:
            check(getattr(e, "code", None) == "unknown_method",
                  "session.status: answered, or unknown_method", e)
            status = None
        if status:
            seat = [s for s in status["seats"]
                    if s["seat"] == "mountain_minerals"][0]
            check(seat["name"] == "Ana Lima" and
                  seat["played_by"] == "person",
                  "the facilitator's session.status has the name", seat)
        rc, out, err = run("watch", "--server", addr, "--session", sid,
                           "--admin-token", atok, "--once")
        check(rc == 0, "watch in the lobby", (rc, out, err))
        if status:
            check(re.search(r"mountain_minerals .* Ana Lima", out),
                  "the lobby shows the player's name", out)
        a.start(sid, atok)
        rc, out, err = run("watch", "--server", addr, "--session", sid,
                           "--token", token, "--once")
        check(rc == 0 and re.search(r"^Turn 1 closes in (2:00|1:5\d)", out,
                                    re.M),
              "watch --token: the turn's deadline", (rc, out, err))
        rc, out, err = run("watch", "--server", addr, "--session", sid,
                           "--admin-token", atok, "--once")
        if status:
            check(re.search(r"^Turn 1 closes in (2:00|1:5\d)", out, re.M) and
                  "Waiting for 2 seats: EUU (nobody has joined), "
                  "mountain_minerals (Ana Lima, not connected)" in out,
                  "watch --admin-token: the deadline and whom the turn "
                  "waits for", out)
        else:
            check("This server is too old to tell the deadline and whom the "
                  "turn waits for" in out, "watch --admin-token on a server "
                  "without session.status says so", out)
        # session.extend moves the countdown of a running watch.
        w = Watch("--server", addr, "--session", sid, "--token", token,
                  "--no-clear")
        check(w.read_until(r"closes in (2:00|1:5\d)"), "the running watch "
              "shows the deadline", w.out)
        a.call("session.extend", session=sid, admin_token=atok, seconds=600)
        check(w.read_until(r"closes in (12:00|11:5\d)"),
              "session.extend: 10 more minutes on the watch's screen",
              w.out[-800:])
        check(w.stop() == 0, "watch exits 0 on SIGTERM")
        # A later join with the token and another name changes it.
        rc, out, err = run("play", "--server", addr, "--session", sid,
                           "--token", token, "--name", "Ana L.",
                           stdin="quit\n")
        check(rc == 0, "play --token --name", (rc, out, err))
        a.close()
        check(srv.stop() == 0, "the server exits 0")
        stopped = True
        outdir = os.path.join(tmp, "csv")
        rc, out, err = run("export", "--db", db, "--out", outdir)
        check(rc == 0, "export", (rc, out, err))
        seats = read_seats_csv(os.path.join(outdir, sid + "-seats.csv"))
        check(seats["mountain_minerals"]["name"] == "Ana L." and
              seats["mountain_minerals"]["played_by"] == "person",
              "export's seats file has the player's latest name",
              seats["mountain_minerals"])
        check(seats["EUU"]["played_by"] == "nobody" and
              seats["CHN"]["played_by"] == "agent" and
              seats["CHN"]["agent"] == "standing",
              "and who plays the other seats", seats)
    finally:
        if not stopped:
            srv.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="lan-cli-watch-")
    try:
        t_fake()
        t_real(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
