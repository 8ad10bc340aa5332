#!/usr/bin/python3
"""session.list is paged, and its answers cannot starve others (issue 10,
finding 6).

- Paging: `limit` (default 50, at most --max-list-page, 500) sessions after
  the session id `after`, in order of id; a paged request gets
  {sessions, next}, `next` being the `after` of the following page and nil
  on the last. A request with neither (every v1 client: [] or [{}]) gets
  the first page as the bare array it always got. A `limit` out of range
  is `bad_request` (field limit), counted in list_refused_limit.
- Amplification: with 1,000 sessions a 25-byte session.list answered
  1.27 MB, and 300 connections that pipeline it and never read pushed
  another client's ping to 14.5 s. Now an answer is at most a page, and
  the connection core produces at most --max-output-per-iteration bytes
  of output per loop iteration over all connections: the others wait,
  in turn, for the next iteration (counted in output_paused). Here 300
  such connections each pipeline 64 requests for the largest page (500
  sessions, 635 KB); another
  client's pings are answered within a loose bound (10 s: about 1 s here,
  some 4 s under the sanitizers; the old server took 18 to 24 s), and the
  server's resident memory stays within a generous bound.

The server runs with --sync normal; the sessions are created 10 per
address (the default --max-lobby-per-address) from 127.4.x.y.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Suite, check, expect_error, msgpack  # noqa: E402

suite = Suite(__doc__, server_args=["--sync", "normal"])

SESSIONS = 1000
ATTACKERS = 300
PIPELINE = 64
PING_BOUND_S = 10.0
RSS_BOUND_MB = 4096  # generous: what matters is that it is bounded


_next_address = [0]


def create_many(server, n):
    """n new sessions, 10 from each of the next addresses 127.4.x.y."""
    made = []
    while len(made) < n:
        k = _next_address[0]
        _next_address[0] += 1
        c = Client("127.0.0.1", server.port, timeout=60,
                   source_address=("127.4.%d.%d" % (k // 200, 1 + k % 200),
                                   0))
        ids = [c.send("session.create", map="classroom", turns=1)
               for _ in range(min(10, n - len(made)))]
        made += [c.result(i)["session"] for i in ids]
        c.close()
    return made


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


@suite.test
def paging(server):
    c = server.client()
    made = sorted(create_many(server, 120))
    first = c.call("session.list")
    check(isinstance(first, list) and len(first) == 50,
          "a v1 request gets the first page (50) as an array", len(first))
    check([s["session"] for s in first] == made[:50], "in order of id")
    # the v1 fields, and the additions of issue 13 (review and forks)
    check(set(first[0]) == {"session", "name", "map", "status", "turn",
                            "turns", "seats", "review", "proposed",
                            "forked_from"}, "the v1 fields", first[0])
    seen, after, pages = [], None, 0
    while True:
        page = c.call("session.list", limit=33, after=after)
        check(set(page) == {"sessions", "next"}, "a paged answer", page.keys())
        check(len(page["sessions"]) <= 33, "at most limit")
        seen += [s["session"] for s in page["sessions"]]
        pages += 1
        after = page["next"]
        if after is None:
            break
        check(after == seen[-1], "next is the last id of the page")
    check(seen == made, "every session once, in order of id", len(seen))
    check(pages == 4, "120 sessions in pages of 33", pages)
    page = c.call("session.list", after=made[-1])
    check(page == {"sessions": [], "next": None}, "after the last: empty",
          page)
    page = c.call("session.list", after="")
    check([s["session"] for s in page["sessions"]] == made[:50],
          "after '' starts at the first", page["next"])
    for bad in (0, 501):
        e = expect_error("bad_request", c.call, "session.list", limit=bad,
                         field="limit")
        check("500" in e.message and "--max-list-page" in e.message,
              "the error says the range and the flag", e.message)
    check(c.call("server.stats")["list_refused_limit"] == 2, "counted")


@suite.test
def pipelined_lists_do_not_starve_others(server):
    admin = server.client()
    listed = admin.call("session.list", limit=500)
    have = len(listed if isinstance(listed, list) else listed["sessions"])
    create_many(server, SESSIONS - have)
    victim = server.client()
    victim.ping()
    req = b"".join(msgpack.packb([0, 1 + i, "session.list",
                                  [{"limit": 500}]])
                   for i in range(PIPELINE))
    attackers = []
    worst_ping, worst_rss = 0.0, 0.0
    try:
        for i in range(ATTACKERS):
            s = socket.create_connection(("127.0.0.1", server.port),
                                         timeout=10)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(req)
            attackers.append(s)
        # The server works through 300 x 64 requests for 500 sessions;
        # meanwhile the victim's pings are answered.
        for _ in range(10):
            t0 = time.monotonic()
            victim.call("ping", _timeout=30)
            worst_ping = max(worst_ping, time.monotonic() - t0)
            worst_rss = max(worst_rss, rss_mb(server.proc.pid))
            time.sleep(0.2)
    finally:
        for s in attackers:
            s.close()
    check(worst_ping < PING_BOUND_S,
          "another client's ping is answered within %.0f s" % PING_BOUND_S,
          round(worst_ping, 2))
    check(worst_rss < RSS_BOUND_MB, "the server's memory stays bounded",
          round(worst_rss), "MB")
    stats = victim.call("server.stats")
    check(stats["output_paused"] > 0,
          "connections were paused at the iteration's output budget "
          "(output_paused)", stats["output_paused"])
    print("# worst ping %.2f s, worst RSS %.0f MB, output_paused %d"
          % (worst_ping, worst_rss, stats["output_paused"]))


if __name__ == "__main__":
    sys.exit(suite.run())
