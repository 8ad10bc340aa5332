#!/usr/bin/env python3
"""HTTP on --http: the web client from memory, and nothing else.

    test_http.py SERVER_BINARY MAPS_DIR

Raw requests, written byte for byte: / and the client's files with their
content types, caching and security headers; every other path (path
traversal in every spelling, /etc/passwd, the source tree's files, encoded
dots and slashes, absolute URLs) is 404 and never a file; other methods are
405; a request head over --max-http-head is 431; garbage is 400; a client
that sends nothing is closed at --first-request-ms; --max-per-address counts
an address's TCP, HTTP and WebSocket connections together; each is counted
in server.stats.
"""
import os
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))

import lanserver  # noqa: E402,F401  (exits 77 without msgpack; sets the path)
from lanserver import check, failures  # noqa: E402
from lanthanide import Client  # noqa: E402
from wsclient import HttpServer, WsClient, raw_http  # noqa: E402

def get(port, path, method="GET", headers=""):
    close = "" if "Connection:" in headers else "Connection: close\r\n"
    return raw_http(port, ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s"
                           "\r\n" % (method, path, port, headers, close)
                           ).encode("latin-1"))


TRAVERSALS = [
    "/etc/passwd", "/../../../../etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
    "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/assets/../../../etc/passwd", "/assets/..%2f..%2fpackage.json",
    "/..\\..\\etc\\passwd", "/./index.html", "//etc/passwd",
    "/index.html%00.js", "/%00", "/assets/", "/assets", "/src/main.jsx",
    "/package.json", "/dist/index.html", "/.git/config", "/CMakeLists.txt",
    "/server/main.c", "/proc/self/environ", "/favicon.svg/..",
    "/index.html/", "/INDEX.HTML", "/%69ndex.html",
    "http://127.0.0.1/etc/passwd", "*", "/..", "/.",
]


def main():
    binary, maps = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="lan-http-")
    server = HttpServer(binary, maps, os.path.join(tmp, "http.db"),
                        extra=["--max-http-head", "2048",
                               "--first-request-ms", "500"])
    port = server.http_port
    tcp = Client("127.0.0.1", server.port, timeout=10)
    stats = lambda: tcp.call("server.stats")  # noqa: E731
    try:
        status, h, body = get(port, "/")
        built = status == 200
        if built:
            check(h.get("content-type") == "text/html; charset=utf-8",
                  "/ is the client's index.html", h.get("content-type"))
            check(b"<script" in body and b"src=" in body,
                  "index.html loads its script from a file")
            check(h.get("cache-control") == "no-cache", "index is no-cache")
        else:
            check(status == 503 and b"npm" in body,
                  "/ says how to build the web client (not built)", status)
        csp = h.get("content-security-policy", "")
        check("default-src 'self'" in csp and "script-src 'self'" in csp and
              "unsafe-inline" not in csp and "object-src 'none'" in csp and
              "frame-ancestors 'none'" in csp, "strict CSP", csp)
        check(h.get("x-content-type-options") == "nosniff", "nosniff")
        check(h.get("referrer-policy") == "no-referrer", "no referrer")
        if built:
            assets = [p for p in body.decode().split('"')
                      if p.startswith("./assets/")]
            check(len(assets) >= 2, "index.html names hashed assets", assets)
            for a in assets:
                status, h, data = get(port, a[1:])
                ctype = ("text/javascript" if a.endswith(".js") else
                         "text/css")
                check(status == 200 and h["content-type"].startswith(ctype)
                      and len(data) == int(h["content-length"]) > 0,
                      "%s served as %s" % (a, ctype), status)
                check("immutable" in h.get("cache-control", ""),
                      "%s is immutable" % a, h.get("cache-control"))
                check(h.get("x-content-type-options") == "nosniff",
                      "%s nosniff" % a)
            status, h, data = get(port, "/favicon.svg")
            check(status == 200 and h["content-type"] == "image/svg+xml",
                  "favicon.svg", status)
            status, h, data = get(port, "/", method="HEAD")
            check(status == 200 and data == b"" and
                  int(h["content-length"]) > 0, "HEAD /: headers only")
            status, h, data = get(port, "/?ws=x#/admin")
            check(status == 200, "a query string is ignored", status)

        before = stats()["http_not_found"]
        for path in TRAVERSALS:
            status, h, data = get(port, path)
            check(status in (400, 404) and b"root:" not in data and
                  b"<script" not in data,
                  "%r: %s, no file" % (path, status), status)
        check(stats()["http_not_found"] >= before + len(TRAVERSALS) - 3,
              "http_not_found counted")

        # DNS rebinding: a name that is not the server's is not answered,
        # neither / nor /ws (even with a matching Origin).
        before = stats()["http_refused_host"]
        status, h, data = raw_http(port, ("GET / HTTP/1.1\r\nHost: evil.example:"
                                          "%d\r\n\r\n" % port).encode())
        check(status == 421 and b"--http-origin" in data,
              "a foreign Host: 421 says how to allow a name", status)
        ws = WsClient(port, host="evil.example:%d" % port,
                      origin="http://evil.example:%d" % port)
        check(ws.status == 421, "/ws for a foreign Host: 421", ws.status)
        ws.close()
        check(stats()["http_refused_host"] == before + 2,
              "http_refused_host counted")
        for host in ("localhost:%d" % port, "127.0.0.1:%d" % port,
                     "[::1]:%d" % port, "127.0.0.1"):
            status, h, data = raw_http(port, ("GET /favicon.svg HTTP/1.1\r\n"
                                              "Host: %s\r\nConnection: close"
                                              "\r\n\r\n" % host).encode())
            check(status in (200, 404), "Host %s answered" % host, status)

        # Keep-alive: two requests on one connection, then a bad one.
        s = socket.create_connection(("127.0.0.1", port), 10)
        s.sendall(b"GET /etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                  b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        buf = b""
        deadline = time.monotonic() + 10
        while buf.count(b"404 Not Found") < 2 and time.monotonic() < deadline:
            buf += s.recv(65536)
        check(buf.count(b"HTTP/1.1 404") == 2, "pipelined requests answered")
        s.close()

        before = stats()
        status, h, data = get(port, "/", method="POST",
                              headers="Content-Length: 0\r\n")
        check(status == 405 and "GET" in h.get("allow", ""), "POST: 405",
              status)
        # A body announced as huge is not waited for: 405 at once.
        s = socket.create_connection(("127.0.0.1", port), 10)
        s.settimeout(5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Length: 10000000000\r\n\r\nxx")
        got = s.recv(200)
        check(got.startswith(b"HTTP/1.1 405"),
              "POST with a 10 GB body: 405 without waiting for it", got[:40])
        s.close()
        status, h, data = get(port, "/", method="DELETE")
        check(status == 405, "DELETE: 405", status)
        status, h, data = get(port, "/", headers="X-Pad: %s\r\n" % ("a" * 3000))
        check(status == 431 and b"--max-http-head" in data,
              "a head over --max-http-head: 431 says which flag", status)
        status, h, data = raw_http(port, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
        check(status == 400 or status is None, "not HTTP: 400", status)
        status, h, data = get(port, "/ws")
        check(status == 400 and b"WebSocket" in data,
              "/ws without a handshake: 400", status)
        status, h, data = get(port, "/ws", headers="Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: "
                              "AAAAAAAAAAAAAAAAAAAAAA==\r\n"
                              "Sec-WebSocket-Version: 8\r\n")
        check(status == 426, "an old WebSocket version: 426", status)
        for body_hdr in ("Content-Length: 4\r\n",
                         "Transfer-Encoding: chunked\r\n"):
            s = socket.create_connection(("127.0.0.1", port), 10)
            s.settimeout(10)
            s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
                       "Sec-WebSocket-Version: 13\r\n%s\r\n\x81\x80ab"
                       % (port, body_hdr)).encode("latin-1"))
            got = b""
            while True:
                try:
                    chunk = s.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                got += chunk
            s.close()
            check(got.startswith(b"HTTP/1.1 400") and b"no body" in got,
                  "a WebSocket handshake with a body (%s): 400, not "
                  "upgraded" % body_hdr.split(":")[0], got[:60])
        status, h, data = get(port, "/other", headers="Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n")
        check(status == 404, "an upgrade elsewhere than /ws: 404", status)
        after = stats()
        check(after["http_bad_request"] >= before["http_bad_request"] + 7,
              "http_bad_request counted")
        check(after["http_head_too_large"] == before["http_head_too_large"]
              + 1, "http_head_too_large counted")

        # A kept-alive connection, idle after its answer, just closes.
        before = stats()["http_timeout"]
        s = socket.create_connection(("127.0.0.1", port), 10)
        s.settimeout(10)
        s.sendall(b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        buf = b""
        while b"Not found" not in buf:
            buf += s.recv(4096)
        try:
            closed = s.recv(100) == b""
        except OSError:
            closed = True
        check(closed, "an idle kept-alive connection is closed")
        s.close()
        check(stats()["http_timeout"] == before,
              "and not counted as a slow client")

        # A client that connects and says nothing is closed.
        s = socket.create_connection(("127.0.0.1", port), 10)
        s.settimeout(10)
        t0 = time.monotonic()
        closed = s.recv(100) == b""
        check(closed and time.monotonic() - t0 < 9,
              "a silent client is closed at --first-request-ms")
        s.close()
        check(stats()["http_timeout"] >= 1, "http_timeout counted")
        check(stats()["http_requests"] > 0, "http_requests counted")
        check(tcp.call("ping") is not None, "TCP clients unaffected")
    finally:
        tcp.close()
        status = server.stop()
        check(status == 0, "the server exits 0 on SIGTERM", status)
    # --http-origin names the hosts a server answers to besides its
    # addresses.
    named = HttpServer(binary, maps, os.path.join(tmp, "named.db"),
                       extra=["--http-origin", "http://class.test:8080"])
    try:
        ws = WsClient(named.http_port, host="class.test:8080",
                      origin="http://class.test:8080")
        check(ws.status == 101 and ws.call("ping") is not None,
              "a host of --http-origin is answered, and its page opens /ws")
        ws.close()
        ws = WsClient(named.http_port, host="other.test:8080",
                      origin="http://other.test:8080")
        check(ws.status == 421, "another name still is not", ws.status)
        ws.close()
    finally:
        check(named.stop() == 0, "the named server exits 0")

    # --max-per-address counts TCP, HTTP and WebSocket connections of one
    # address together.
    cap = HttpServer(binary, maps, os.path.join(tmp, "cap.db"),
                     extra=["--max-per-address", "3"])
    try:
        t1 = Client("127.0.0.1", cap.port, timeout=10)
        w1 = WsClient(cap.http_port)
        check(w1.status == 101 and w1.call("ping") is not None,
              "a WebSocket beside a TCP connection")
        h = socket.create_connection(("127.0.0.1", cap.http_port), 10)
        h.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        check(h.recv(12).startswith(b"HTTP/1.1"), "a third, HTTP")
        extra = socket.create_connection(("127.0.0.1", cap.http_port), 10)
        extra.settimeout(10)
        try:
            extra.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            refused = extra.recv(100) == b""
        except OSError:
            refused = True
        check(refused, "the fourth from the address is refused")
        extra.close()
        st = t1.call("server.stats")
        check(st["refused_per_address"] == 1,
              "refused_per_address counted", st["refused_per_address"])
        h.close()
        w1.close()
        t1.close()
    finally:
        check(cap.stop() == 0, "the capped server exits 0")

    if failures:
        print("%d failed" % len(failures))
        print(server.stderr()[-3000:])
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
