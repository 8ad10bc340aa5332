#!/usr/bin/python3
"""The terminal clients, driven as a person would drive them.

Starts the real lanthanide-server on 127.0.0.1 with port 0 (the port comes
from its banner line), then uses the real `lanthanide` binary:

  admin create --map classroom --json   a session and its join codes
  admin bot                             built-in agents on all seats but one
  admin start
  play (under tmux)                     state, an order, submit, ready, and
                                        the turn.resolved that follows
  watch (under tmux)                    the admin's live view, redrawn when
                                        the turn resolves and at the end
  admin stop                            watch prints final scores and exits

plus --help and the exit statuses (0 success, 1 refusal, 2 usage). tmux
runs on its own socket, so a user's tmux is never touched; the server and
tmux are cleaned up on every exit path. The screens captured along the way
are written to the folder given as the fourth argument (docs/cli.md quotes
them).

usage: test_cli.py SERVER-BINARY CLI-BINARY MAPS-DIR [TRANSCRIPT-DIR]
Prints "N passed, M failed"; exit 0 all passed, 1 a failure, 77 skipped
(tmux missing).
"""
import atexit
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# The whole test must finish well within ctest's timeout, so that our own
# cleanup runs rather than ctest's kill.
BUDGET_S = 55
STEP_S = 15  # the longest wait for one screen

SERVER, CLI, MAPS = sys.argv[1], sys.argv[2], sys.argv[3]
TRANSCRIPTS = sys.argv[4] if len(sys.argv) > 4 else None

if not shutil.which("tmux"):
    print("tmux is missing: apt-get install tmux")
    sys.exit(77)

TMP = tempfile.mkdtemp(prefix="lanthanide-cli-test-")
# tmux on a socket of our own, inside TMP: a user's tmux is never touched
# and nothing is left behind.
SOCKET = os.path.join(TMP, "tmux.sock")
ENV = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8", TERM="xterm")
for k in ("LANTHANIDE_SERVER", "LANTHANIDE_TOKEN", "LANTHANIDE_ADMIN_TOKEN"):
    ENV.pop(k, None)
server = None
passed = failed = 0


def cleanup():
    """Kill our tmux server (by its socket) and our lanthanide-server."""
    subprocess.run(["tmux", "-S", SOCKET, "kill-server"], env=ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if server and server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    shutil.rmtree(TMP, ignore_errors=True)


def on_signal(signum, frame):
    print("test_cli: %s, cleaning up" %
          ("out of time" if signum == signal.SIGALRM else "signal %d" % signum))
    cleanup()
    os._exit(1)


atexit.register(cleanup)
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
    signal.signal(s, on_signal)
signal.alarm(BUDGET_S)


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % what)
    else:
        failed += 1
        print("FAIL %s" % what)
        if detail:
            print("     " + str(detail).replace("\n", "\n     "))
    return cond


def run(*args, expect=None):
    """Run the CLI; returns (status, stdout, stderr)."""
    p = subprocess.run([CLI] + list(args), env=ENV, capture_output=True,
                       text=True, timeout=STEP_S)
    if expect is not None:
        words = []
        for a in args:  # the subcommand's words, for the report
            if a.startswith("-"):
                break
            words.append(a)
        check(p.returncode == expect,
              "lanthanide %s exits %d" % (" ".join(words), expect),
              "status %d\nstdout: %s\nstderr: %s" %
              (p.returncode, p.stdout[-800:], p.stderr[-800:]))
    return p.returncode, p.stdout, p.stderr


def tmux(*args):
    return subprocess.run(["tmux", "-S", SOCKET] + list(args), env=ENV,
                          capture_output=True, text=True, timeout=STEP_S)


def screen(name):
    return tmux("capture-pane", "-p", "-t", name).stdout


def wait_screen(name, pattern, what):
    """Wait until the pane shows pattern (a regex); check and return it."""
    deadline = time.monotonic() + STEP_S
    text = ""
    while time.monotonic() < deadline:
        text = screen(name)
        if re.search(pattern, text, re.M):
            check(True, what)
            return text
        time.sleep(0.1)
    check(False, what, "pattern %r not on the screen:\n%s" % (pattern, text))
    return text


def keys(name, line):
    """Type a line and Enter (literally: -l, so no word is a key name)."""
    tmux("send-keys", "-t", name, "-l", line)
    tmux("send-keys", "-t", name, "Enter")


def in_pane(name, argv):
    """Start argv in a new tmux session; its exit status goes to a file.
    A shell in between records it: tmux's own record of a pane's exit
    status is unreliable for a program built with the sanitizers (whose
    leak check stops the process under ptrace as it exits)."""
    status_file = os.path.join(TMP, name + ".status")
    command = "%s; echo $? > %s" % (" ".join(shlex.quote(a) for a in argv),
                                     shlex.quote(status_file))
    tmux("new-session", "-d", "-s", name, "-x", "110", "-y", "60",
         "sh -c %s" % shlex.quote(command))
    # Keep the pane after its process exits, to read its last words.
    tmux("set-option", "-t", name, "remain-on-exit", "on")


def exit_status(name):
    """The pane's program's exit status, or None if it is still running
    when the wait runs out."""
    status_file = os.path.join(TMP, name + ".status")
    deadline = time.monotonic() + STEP_S
    while time.monotonic() < deadline:
        try:
            with open(status_file) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    return None


def from_line(text, marker):
    """text from the start of the last line holding marker."""
    return text[text.rfind("\n", 0, text.rfind(marker)) + 1:]


def save(filename, text):
    if TRANSCRIPTS:
        os.makedirs(TRANSCRIPTS, exist_ok=True)
        with open(os.path.join(TRANSCRIPTS, filename), "w") as f:
            f.write(text.rstrip("\n") + "\n")


def start_server():
    global server
    server = subprocess.Popen(
        [SERVER, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
         "--db", os.path.join(TMP, "test.db"), "--maps", MAPS],
        stdout=subprocess.PIPE, stderr=open(os.path.join(TMP, "server.log"),
                                            "w"),
        env=ENV)
    ready, _, _ = select.select([server.stdout], [], [], STEP_S)
    line = server.stdout.readline().decode() if ready else ""
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not m:
        with open(os.path.join(TMP, "server.log")) as f:
            log = f.read()[-2000:]
        check(False, "server starts", "banner %r\n%s" % (line, log))
        sys.exit(1)
    return "127.0.0.1:" + m.group(1)


def main():
    addr = start_server()
    srv = ["--server", addr]

    # --help everywhere, usage errors are 2.
    for args in (["--help"], ["play", "--help"], ["watch", "--help"],
                 ["admin", "--help"], ["admin", "create", "--help"],
                 ["admin", "bot", "--help"]):
        status, out, _ = run(*args)
        check(status == 0 and "usage:" in out, "%s prints usage, exits 0" %
              " ".join(args))
    run("admin", expect=2)
    run("admin", "create", *srv, expect=2)        # no --map
    run("admin", "frobnicate", *srv, expect=2)
    run("play", *srv, "--session", "x", expect=2)  # neither code nor token
    run("watch", *srv, "--session", "x", "--token", "a", "--admin-token",
        "b", expect=2)

    # The facilitator creates a session, puts bots on all seats but one.
    status, out, err = run("admin", "create", *srv, "--map", "classroom",
                           "--json", expect=0)
    created = json.loads(out)
    sid, admin = created["session"], created["admin_token"]
    seats = {s["seat"]: s for s in created["seats"]}
    me = "mountain_minerals" if "mountain_minerals" in seats else \
        [s for s in seats if seats[s]["kind"] == "firm"][0]
    check(all(s["join_code"] for s in created["seats"]),
          "admin create gives every seat a join code")
    ctl = ["--session", sid, "--admin-token", admin]

    # The readable table a teacher projects.
    status, out, _ = run("admin", "create", *srv, "--map", "classroom",
                         "--name", "Period 3", "--turns", "4",
                         "--turn-seconds", "2m", expect=0)
    check("JOIN CODE" in out and "Admin token:" in out and
          "lanthanide play" in out, "admin create prints the seats table")
    save("admin-create.txt", "$ lanthanide admin create --map classroom "
         "--name 'Period 3' --turns 4 --turn-seconds 2m\n" + out)

    others = ",".join(s for s in seats if s != me)
    status, out, _ = run("admin", "bot", *srv, *ctl, "--seat", others,
                         "--strategy", "standing", expect=0)
    check(out.count("is now played by") == len(seats) - 1,
          "admin bot puts an agent on each named seat", out)
    status, _, err = run("admin", "bot", *srv, *ctl, "--seat", me,
                         "--strategy", "no-such-strategy", expect=1)
    check("error: bad_request" in err and "strategy" in err,
          "a refused bot prints the server's code, message and field", err)
    status, _, err = run("admin", "start", *srv, "--session", sid,
                         "--admin-token", "0" * 32, expect=1)
    check("unauthorized" in err, "a wrong admin token is unauthorized", err)

    # Seatless firms (issue 11): race-2028's aggregates get no code, show as
    # "standing orders", and --all-empty leaves them to their standing
    # orders (the server would refuse an agent there).
    status, out, _ = run("admin", "create", *srv, "--map", "race-2028",
                         "--turns", "2", expect=0)
    iluka = [ln for ln in out.splitlines() if ln.startswith("iluka ")]
    check(len(iluka) == 1 and "standing orders: no join code" in iluka[0],
          "admin create shows a seatless seat without a code", out)
    status, out, _ = run("admin", "create", *srv, "--map", "race-2028",
                         "--turns", "2", "--json", expect=0)
    race = json.loads(out)
    rctl = ["--session", race["session"], "--admin-token",
            race["admin_token"]]
    status, out, err = run("admin", "bot", *srv, *rctl, "--all-empty",
                           "--strategy", "standing", expect=0)
    check(out.count("is now played by") == 14 and "iluka" not in out,
          "admin bot --all-empty skips the six seatless seats", out + err)
    status, out, _ = run("admin", "list", *srv, "--session",
                         race["session"], expect=0)
    check(out.count("standing orders") == 6,
          "admin list --session shows the seatless seats", out)
    run("admin", "start", *srv, *ctl, expect=0)
    status, _, err = run("admin", "start", *srv, *ctl, expect=1)
    check("conflict" in err, "starting twice is a conflict", err)
    save("admin-conflict.txt", "$ lanthanide admin start --session %s "
         "--admin-token %s\n%s$ echo $?\n%d\n" % (sid, admin, err, status))
    status, out, _ = run("admin", "list", *srv, "--session", sid, expect=0)
    check("bot (standing)" in out and "(empty)" in out,
          "admin list --session shows bots and the empty seat", out)
    save("admin-list.txt", "$ lanthanide admin list --session %s\n%s" %
         (sid, out))

    # The player joins under tmux; the facilitator watches in another pane.
    code = seats[me]["join_code"]
    play = "play"
    watch = "watch"
    in_pane(play, [CLI, "play", *srv, "--session", sid, "--code", code])
    in_pane(watch, [CLI, "watch", *srv, *ctl])

    text = wait_screen(play, r"t1> *$", "play joins and shows a prompt")
    check("Your seat token:" in text and "--token" in text,
          "play prints the token and how to reconnect", text)
    wait_screen(watch, r"turn 1 of \d+ .* running",
                "watch draws the session before the first turn")

    keys(play, "state")
    text = wait_screen(play, r"Scores[\s\S]*<- you[\s\S]*t1> *$",
                       "state shows the position, market and scores")
    check("Facilities" in text and "Cash $" in text and
          "WORLD $/kg" in text, "state has cash, facilities and prices",
          text)
    save("play-state.txt", text)

    keys(play, "clear")
    keys(play, "offer ndpr 10 45")
    wait_screen(play, r"Added #1: offer 10 t ndpr_oxide, min \$45\.00/kg",
                "offer adds an order to the list")
    keys(play, "bid magnet 1 -3")
    wait_screen(play, r"0 or more", "a negative price is refused locally")
    # A firm without magnet staff cannot release any: the server refuses
    # that order, and play names it with its number and the reason.
    keys(play, "hire magnet -3")
    keys(play, "submit")
    wait_screen(play, r"Sent 2 orders for turn 1: 1 accepted, 1 refused\.\n"
                r"  refused #2 release 3 magnet staff\n\s+\S",
                "submit reports each refusal with its number and reason")
    keys(play, "orders")
    wait_screen(play, r"sent; the server holds it", "orders shows the list")
    keys(play, "ready")
    text = wait_screen(play, r"=== Turn 1 resolved ===[\s\S]*World prices:"
                       r"[\s\S]*Turn 2 of \d+ is open[\s\S]*t2> *$",
                       "ready resolves the turn and turn.resolved shows")
    save("play-turn.txt", from_line(text, "> clear"))

    text = wait_screen(watch, r"turn 1 resolved[\s\S]*World prices \(\$/kg\)"
                       r", turn 1[\s\S]*Production shares[\s\S]*Scores",
                       "watch redraws with prices, shares and scores")
    check(re.search("[\u2581-\u2588]", text) is not None,
          "watch draws sparklines", text)
    check("\x1b" not in text, "the screen holds no stray escape codes")

    keys(play, "chat all hello from %s" % me)
    wait_screen(play, r"\[chat\] %s -> all: hello" % re.escape(me),
                "chat comes back as chat.message")
    wait_screen(watch, r"Chat\s+\S+ %s -> all: hello" % re.escape(me),
                "the admin's watch shows the chat")

    # A second turn, closed by the facilitator.
    run("admin", "advance", *srv, *ctl, expect=0)
    wait_screen(play, r"=== Turn 2 resolved ===", "admin advance closes "
                "the turn")
    wait_screen(watch, r"turn 2 resolved", "watch redraws again")
    # A few more turns, so that the charts have a history to draw.
    for turn in (3, 4, 5, 6):
        run("admin", "advance", *srv, *ctl, expect=0)
        text = wait_screen(watch, r"turn %d resolved" % turn,
                           "watch redraws after turn %d" % turn)
    check(re.search(r"chart of the last 6 turns", text) is not None,
          "watch charts the last turns", text)
    save("watch.txt", text)

    keys(play, "history")
    text = wait_screen(play, r"TURN[\s\S]*\n\s+6 [\s\S]*your score",
                       "history lists the turns")
    save("play-history.txt", from_line(text, "> history"))

    # The end: watch prints the final scores and exits 0.
    run("admin", "stop", *srv, *ctl, expect=0)
    wait_screen(play, r"The game is over", "play shows the end of the game")
    text = wait_screen(watch, r"FINAL SCORES[\s\S]*The game is over",
                       "watch prints the final scores")
    status = exit_status(watch)
    check(status == 0, "watch exits 0 at the end",
          "%s\n%s" % (status, screen(watch)[-1500:]))

    keys(play, "quit")
    status = exit_status(play)
    check(status == 0, "play exits 0 after quit",
          "%s\n%s" % (status, screen(play)[-1500:]))

    # The story's moves (issue 11): race-2028 offers the USA the DoD-MP
    # deal; `take` adds its three orders, which the server accepts.
    status, out, _ = run("admin", "create", *srv, "--map", "race-2028",
                         "--turns", "2", "--json", expect=0)
    story = json.loads(out)
    usa = [x for x in story["seats"] if x["seat"] == "USA"][0]
    in_pane("story", [CLI, "play", *srv, "--session", story["session"],
                      "--code", usa["join_code"]])
    wait_screen("story", r"USA \(lobby\)> *$", "the USA joins race-2028")
    keys("story", "moves")
    text = wait_screen("story", r"dod_mp_deal +3 orders +the DoD-MP deal"
                       r"[\s\S]*us_aus_offtake[\s\S]*> *$",
                       "moves lists the seat's story moves")
    check("mp_10x" not in text, "moves lists only the seat's own", text)
    save("play-moves.txt", from_line(text, "> moves"))
    keys("story", "clear")
    keys("story", "moves dod_mp_deal")
    text = wait_screen("story", r"\[S16, S17, S18, S19\]\n[\s\S]*"
                       r"equity firm=mp_materials amount=\$400,000,000 "
                       r"stake=15\.0%[\s\S]*take dod_mp_deal", "moves ID "
                       "shows the move's sources and orders, in units")
    save("play-move.txt", from_line(text, "> moves dod_mp_deal"))
    keys("story", "take dod_mp_deal")
    wait_screen("story", r"Added #3: [\s\S]*\[3 in the list, not sent\]",
                "take adds the move's three orders to the list")
    keys("story", "take no_such_move")
    wait_screen("story", r"usage: take ID, where ID is one of the moves",
                "take names what it takes when the id is unknown")
    keys("story", "submit")
    wait_screen("story", r"Sent 3 orders for turn 1: 3 accepted",
                "the server accepts the move's orders")
    keys("story", "quit")
    check(exit_status("story") == 0, "play exits 0")
    check(server.poll() is None, "the server is still up")


try:
    main()
except Exception as e:  # report, then clean up through atexit
    check(False, "no exception", repr(e))
if failed:
    try:  # the server's side of the story, before cleanup removes it
        with open(os.path.join(TMP, "server.log")) as f:
            print("server log (last lines):\n  " +
                  "  ".join(f.readlines()[-20:]))
    except OSError:
        pass
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
