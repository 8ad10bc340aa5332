#!/usr/bin/env python3
"""The --http transport under floods that cost the server memory or time.

    test_web_flood.py SERVER_BINARY MAPS_DIR

Each case is one an outside tester found (docs/security.md, "The browser
transport"), checked on the server's own memory (VmRSS) and counters, never
on timings:

- pings from a WebSocket client that never reads: the pongs count against
  --max-output like answers, so the connection is closed there
  (closed_output_budget), not buffered for without end;
- WebSocket clients pipelining requests while the core has paused them (its
  output per loop iteration spent): the completed messages wait in the
  transport with reading stopped, so the core's input stays small;
- pipelined HTTP requests: at most --max-batch are answered from one read,
  the rest on later loop iterations (batches_deferred), in order, and a
  WebSocket handshake behind them still upgrades;
- a WebSocket message of a megabyte does not leave a megabyte behind on its
  connection once answered.
"""
import os
import select
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))

import lanserver  # noqa: E402,F401  (exits 77 without msgpack; sets the path)
from lanserver import check, failures  # noqa: E402
import msgpack  # noqa: E402
from lanthanide import Client  # noqa: E402
from wsclient import (OP_BINARY, OP_PING, HttpServer, WsClient,  # noqa: E402
                      pack_request)

MAX_OUTPUT = 256 * 1024
def sanitized(pid):
    """ASan keeps freed memory in quarantine: memory bounds mean nothing
    there (the behaviour and the counters are still checked)."""
    with open("/proc/%d/maps" % pid) as f:
        return "asan" in f.read()


def check_memory(server, cond, what, detail):
    if server.sanitized:
        print("skip - %s (ASan build: %s)" % (what, detail))
    else:
        check(cond, what, detail)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ping_flood(server, tcp):
    """Pings from a client that never reads its pongs."""
    before = tcp.call("server.stats")["closed_output_budget"]
    r0 = rss_kb(server.proc.pid)
    c = WsClient(server.http_port)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    check(c.call("ping") is not None, "ping flood: a first request answered")
    chunk = b"".join(c.frame(OP_PING, b"p" * 125) for _ in range(8000))
    sent, closed = 0, False
    while sent < 64 << 20:
        try:
            c.sock.sendall(chunk)
        except (ConnectionError, socket.timeout, OSError):
            closed = True
            break
        sent += len(chunk)
    grew = rss_kb(server.proc.pid) - r0
    c.sock.close()
    check(closed, "ping flood: the server closed the connection",
          "after %d MB of pings" % (sent >> 20))
    after = tcp.call("server.stats")["closed_output_budget"]
    check(after == before + 1, "ping flood: closed_output_budget counted",
          "%d -> %d" % (before, after))
    check_memory(server, grew < 48 * 1024,
                 "ping flood: server memory grew under 48 MB", "%d KB" % grew)


def paused_backlog(server, tcp):
    """WebSocket clients pipelining while the core pauses them."""
    k0 = tcp.call("server.stats")
    r0 = rss_kb(server.proc.pid)
    unit = WsClient.frame(OP_BINARY, pack_request(7, "server.stats",
                                         {"pad": "x" * 950}))
    blob = unit * (256 * 1024 // len(unit))
    socks = []
    for _ in range(40):
        c = WsClient(server.http_port)
        c.sock.setblocking(False)
        socks.append(c.sock)
    off = {s: 0 for s in socks}
    peak = r0
    t0 = time.monotonic()
    while time.monotonic() - t0 < 4:
        rl, wl, _ = select.select(socks, socks, [], 0.05)
        for s in rl:
            try:
                s.recv(1 << 20)
            except (BlockingIOError, ConnectionError):
                pass
        for s in wl:
            try:
                n = s.send(blob[off[s]:] if off[s] else blob)
                off[s] = (off[s] + n) % len(blob)
            except (BlockingIOError, ConnectionError):
                pass
        peak = max(peak, rss_kb(server.proc.pid))
    k1 = tcp.call("server.stats")
    check(k1["output_paused"] > k0["output_paused"],
          "paused backlog: the core paused connections (output_paused)")
    check_memory(server, peak - r0 < 96 * 1024,
                 "paused backlog: server memory grew under 96 MB",
                 "%d KB at the peak" % (peak - r0))
    check(tcp.call("ping") is not None, "paused backlog: a bystander answered")
    for s in socks:
        s.close()


def read_answers(sock, n, timeout=20.0):
    """n HTTP answers (Content-Length framed); returns their status codes
    and what follows the last one."""
    buf, codes = b"", []
    sock.settimeout(timeout)
    while len(codes) < n:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                return codes, buf
            buf += chunk
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        codes.append(int(lines[0].split(" ", 2)[1]))
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if lines[0].split(" ", 2)[1] == "101":
            return codes, rest
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return codes, rest
            rest += chunk
        buf = rest[length:]
    return codes, buf


def http_pipeline(server, tcp):
    """Pipelined HTTP requests, then a WebSocket handshake, in one write."""
    host = "127.0.0.1:%d" % server.http_port
    before = tcp.call("server.stats")["batches_deferred"]
    s = socket.create_connection(("127.0.0.1", server.http_port), 10)
    n = 300
    one = [b"GET /nothing-%d HTTP/1.1\r\nHost: %s\r\n\r\n"
           % (i, host.encode()) for i in range(n)]
    s.sendall(b"".join(one))
    codes, _ = read_answers(s, n)
    check(len(codes) == n and all(c == 404 for c in codes),
          "HTTP pipeline: %d requests in one write, %d answers" % (n, n),
          "%d answers" % len(codes))
    after = tcp.call("server.stats")["batches_deferred"]
    check(after > before,
          "HTTP pipeline: answered in --max-batch batches (batches_deferred)",
          "%d -> %d" % (before, after))
    # Exactly one batch in a write, then one more request later: the
    # connection reads again after the batch.
    s.sendall(b"".join(one[:64]))
    codes, _ = read_answers(s, 64)
    s.sendall(one[0])
    more, _ = read_answers(s, 1)
    check(len(codes) == 64 and more == [404],
          "HTTP pipeline: a request after a whole batch is answered",
          "%d, %r" % (len(codes), more))
    # A handshake behind 150 requests in the same write still upgrades.
    key = b"dGhlIHNhbXBsZSBub25jZQ=="
    ws = (b"GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
          b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
          b"Sec-WebSocket-Version: 13\r\n\r\n" % (host.encode(), key))
    s.sendall(b"".join(one[:150]) + ws + WsClient.frame(
        OP_BINARY, pack_request(9, "ping")))
    codes, rest = read_answers(s, 151)
    check(len(codes) == 151 and codes[-1] == 101,
          "HTTP pipeline: a handshake behind 150 requests upgrades",
          repr(codes[-3:]))
    while len(rest) < 2:
        rest += s.recv(65536)
    check(rest[0] == 0x82, "HTTP pipeline: the ping sent with the handshake "
          "is answered over WebSocket", repr(rest[:8]))
    s.close()


def message_buffers(server, tcp):
    """A megabyte message leaves no megabyte behind."""
    big = msgpack.packb([0, 1, "ping", [{"pad": b"\x01" * (1000 * 1024)}]])
    r0 = rss_kb(server.proc.pid)
    clients = []
    for _ in range(30):
        c = WsClient(server.http_port)
        c.send_binary(big)
        m = c.recv()
        clients.append(c)
        if m[0] != 1:
            check(False, "big message: answered", repr(m)[:200])
            break
    grew = rss_kb(server.proc.pid) - r0
    check_memory(server, grew < 12 * 1024,
                 "big message: 30 connections that each sent 1 MB hold "
                 "under 12 MB", "%d KB" % grew)
    for c in clients:
        c.close()


def main():
    binary, maps = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="lan-webflood-")
    server = HttpServer(binary, maps, os.path.join(tmp, "f.db"),
                        extra=["--max-output", str(MAX_OUTPUT),
                               "--max-output-per-iteration", "65536",
                               "--max-message", str(2 << 20)])
    server.sanitized = sanitized(server.proc.pid)
    tcp = Client("127.0.0.1", server.port, timeout=20)
    try:
        ping_flood(server, tcp)
        paused_backlog(server, tcp)
        http_pipeline(server, tcp)
        message_buffers(server, tcp)
        check(server.alive(), "the server is still running")
    finally:
        tcp.close()
        status = server.stop()
        if status not in (0, None):
            print("server exit status %r; stderr:\n%s"
                  % (status, server.stderr()))
            failures.append("clean exit")
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
