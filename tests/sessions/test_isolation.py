#!/usr/bin/python3
"""A hostile client in one session does not delay another session.

In one server: session A has three hostile clients,
  - a reader that never reads: it holds a seat (so it gets every
    notification), floods pipelined state.get requests and pings, and never
    reads an answer (the server closes it at its output budget);
  - a staller: it sends half a request and then nothing;
  - a chatterbox: a seat that floods A with chat messages, which every
    subscriber of A (the non-reader included) is sent.
Meanwhile session B, with 0.3-second turns and nobody ready, keeps
resolving its turns: none before its deadline, every one within a liveness
bound (LIVE_S, 30 s), and B's player gets every answer within it too.
How close to the turn length B's turns stay, and how fast B's player is
answered, are performance figures: the test prints them as a `bench=`
line, and bench/run.sh runs this script to report them.

The chatterbox's flood must reach the server's subscribers to be a load,
so the server runs with a chat budget per seat that lets it through
(--chat-burst; the per-seat limit itself is tested in test_chat.py).
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LIVE_S, Game, Suite, check, msgpack  # noqa: E402

suite = Suite(__doc__, server_args=["--chat-burst", "1000000"])

TURN_S = 0.3
TURNS = 8


def flood_without_reading(port, session, token, stop, out):
    """Pipeline requests and never read; stop when the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    # A small receive buffer: the server's output budget is what fills.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    join = msgpack.packb([0, 1, "session.join",
                          [{"session": session, "token": token}]])
    s.sendall(join)
    state = msgpack.packb([0, 2, "state.get",
                           [{"session": session, "token": token}]])
    ping = msgpack.packb([0, 3, "ping", []])
    batch = (state * 50) + (ping * 50)
    sent = 0
    try:
        while not stop.is_set() and sent < 200000:
            s.sendall(batch)
            sent += 100
    except OSError as e:  # closed by the server, as it should be
        out["closed"] = repr(e)
    out["sent"] = sent
    s.close()


@suite.test
def hostile_clients_in_a_do_not_delay_b(server):
    admin = server.client()
    a = Game(admin, "classroom", turns=16, turn_seconds=600)
    b = Game(admin, "classroom", turns=TURNS, turn_seconds=TURN_S)

    # Session A and its hostile clients.
    holder = server.client()
    a_token = a.join(holder, "CHN")
    holder.close()
    chatter = server.client()
    a.join(chatter, "USA")
    a.start()

    staller = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    half = msgpack.packb([0, 9, "state.get",
                          [{"session": a.id, "token": a_token}]])
    staller.sendall(half[: len(half) // 2])

    # Session B: a watcher, a player who never says ready.
    watcher = server.client(timeout=LIVE_S)
    b.watch(watcher)
    player = server.client(timeout=LIVE_S)
    b.join(player, "kangaroo_rare")

    stop = threading.Event()
    flood_out = {}
    flooder = threading.Thread(target=flood_without_reading,
                               args=(server.port, a.id, a_token, stop,
                                     flood_out), daemon=True)

    def chat_flood():
        n = 0
        try:
            while not stop.is_set() and n < 3000:
                ids = [chatter.send("chat.send", session=a.id,
                                    token=chatter.token, to="all",
                                    text="spam %d " % (n + i) + "x" * 1500)
                       for i in range(50)]
                for i in ids:
                    chatter.result(i)
                chatter.clear_notifications()
                n += 50
        except Exception as e:  # noqa: BLE001
            flood_out["chat_error"] = repr(e)
        flood_out["chats"] = n

    chatterer = threading.Thread(target=chat_flood, daemon=True)
    flooder.start()
    chatterer.start()
    time.sleep(0.2)  # the floods are on

    # Taken before the start: B's clock starts later, so its turn k cannot
    # be seen resolving before (k + 1) * TURN_S from here.
    t0 = time.monotonic()
    b.start()
    times = []
    latencies = []
    try:
        for turn in range(TURNS):
            q0 = time.monotonic()
            obs = player.state()
            latencies.append(time.monotonic() - q0)
            check(obs["turn"] >= turn, "B's turn advances", obs["turn"], turn)
            n = watcher.wait_for("turn.resolved", timeout=LIVE_S)
            times.append(n.received)
            check(n["turn"] == turn, "B's turns in order", n["turn"], turn)
        watcher.wait_for("session.finished", timeout=LIVE_S)
    finally:
        stop.set()
        flooder.join(10)
        chatterer.join(10)

    gaps = [times[0] - t0] + [y - x for x, y in zip(times, times[1:])]
    print("# B's turn gaps: %s s; flood: %s"
          % (", ".join("%.2f" % g for g in gaps), flood_out))
    print("bench=isolation turn_s=%.1f turns=%d gap_min_s=%.3f "
          "gap_max_s=%.3f finish_s=%.3f state_get_max_s=%.3f"
          % (TURN_S, TURNS, min(gaps), max(gaps), times[-1] - t0,
             max(latencies)), flush=True)
    # Turn k cannot resolve before k + 1 turn lengths after the start; a
    # late read here only makes it look later (see test_deadline.py). The
    # server reads its loop clock once per loop iteration, so a deadline
    # set while the loop is busy (a commit, a turn of another session) can
    # end that much early as seen from here; deadlines chain, so this does
    # not add up over turns. 0.15 s are allowed for it.
    for k, t in enumerate(times):
        check(t - t0 >= (k + 1) * TURN_S - 0.15,
              "B's turns do not resolve before their deadline", k, gaps)
    check(times[-1] - t0 < TURNS * TURN_S + LIVE_S,
          "B's turns keep resolving under A's flood", times[-1] - t0)
    check(max(latencies) < LIVE_S, "B's player is answered under A's flood",
          latencies)
    check("chat_error" not in flood_out, "the chatterbox was served",
          flood_out)

    # The non-reader was cut off at its output budget; the server and A
    # are fine.
    stats = admin.call("server.stats")
    check(stats["closed_output_budget"] >= 1,
          "the client that does not read was closed at its output budget",
          stats["closed_output_budget"])
    obs = chatter.state()
    check(obs["status"] == "running" and obs["turn"] == 0,
          "session A is unharmed", obs["status"], obs["turn"])
    admin.advance(a.id, a.admin_token)
    chatter.wait_for("turn.resolved", timeout=5,
                     predicate=lambda n: n["turn"] == 0)
    # The staller still holds its half message; it will be closed at the
    # message deadline. Nobody waited for it.
    staller.close()


if __name__ == "__main__":
    sys.exit(suite.run())
