#!/usr/bin/env python3
"""WebSocket on --http: the same protocol, limits and errors as TCP.

    test_ws.py SERVER_BINARY MAPS_DIR

The bad inputs of test_badinput.c (garbage, counts larger than the bytes
left, nesting too deep, a message over --max-message, not-a-request
envelopes, pipelines), sent as WebSocket messages, get the same "error"
notification a TCP client gets and, for the fatal ones, a close frame
whose reason repeats it, with the same counter in server.stats. What only
WebSocket has is checked too: a text message, a binary message holding two
values or part of one, an empty one, an unmasked frame, a message split
over frames (with a ping between) and a message over the limit split over
frames. Bystanders on TCP and on WebSocket keep being answered
throughout. And the Origin check: a page of another site cannot open /ws.
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))

import lanserver  # noqa: E402,F401  (exits 77 without msgpack; sets the path)
from lanserver import check, failures  # noqa: E402
import msgpack  # noqa: E402
from lanthanide import Client  # noqa: E402
from wsclient import (OP_BINARY, OP_CONT, OP_PING, OP_TEXT, Closed,  # noqa
                      HttpServer, WsClient, pack_request)

MAX_MESSAGE = 4096
class Ctx:
    def __init__(self, server):
        self.server = server
        self.tcp = Client("127.0.0.1", server.port, timeout=10)
        self.ws = WsClient(server.http_port)

    def stats(self):
        return self.tcp.call("server.stats")

    def bystanders_fine(self, what):
        t = self.tcp.call("ping")
        w = self.ws.call("ping")
        check(t is not None and w is not None,
              "bystanders (TCP and WebSocket) still answered after " + what)


def expect_fatal(ctx, what, send, code, counter, close_code, needle=None):
    """Open a WebSocket, send, expect the error notification, then a close
    frame with close_code and a reason, and counter + 1. With code None,
    a frame wslay itself refuses: its close frame (no notification can
    precede it) and the counter."""
    before = ctx.stats()[counter]
    c = WsClient(ctx.server.http_port)
    check(c.status == 101, what + ": handshake", c.status)
    send(c)
    if code is None:
        try:
            c.recv()
            check(False, what + ": closed")
        except Closed as e:
            check(e.code == close_code, what + ": close frame %d" % close_code,
                  "%s %r" % (e.code, e.reason))
    try:
        if code is None:
            raise StopIteration
        m = c.recv()
        check(m[0] == 2 and m[1] == "error" and m[2][0]["code"] == code,
              what + ": error notification %s" % code, repr(m))
        if needle:
            check(needle in m[2][0]["message"],
                  what + ": message says %r" % needle, m[2][0]["message"])
        try:
            extra = c.recv()
            check(False, what + ": closed after the error", repr(extra))
        except Closed as e:
            check(e.code == close_code and e.reason,
                  what + ": close frame %d with a reason" % close_code,
                  "%s %r" % (e.code, e.reason))
    except Closed as e:
        check(False, what + ": error notification before the close",
              "%s %r" % (e.code, e.reason))
    except StopIteration:
        pass
    c.close()
    after = ctx.stats()[counter]
    check(after == before + 1, what + ": %s counted" % counter,
          "%d -> %d" % (before, after))
    ctx.bystanders_fine(what)


def expect_error_open(ctx, what, payload, code, msgid=None):
    """A message that is not a request: an error (a response when the
    msgid is known), and the connection stays usable."""
    c = WsClient(ctx.server.http_port)
    c.send_binary(payload)
    m = c.recv()
    if msgid is None:
        check(m[0] == 2 and m[1] == "error" and m[2][0]["code"] == code,
              what + ": error notification " + code, repr(m))
    else:
        check(m[0] == 1 and m[1] == msgid and m[2]["code"] == code,
              what + ": error response " + code, repr(m))
    check(c.call("ping") is not None, what + ": the connection still works")
    c.close()


def main():
    binary, maps = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="lan-ws-")
    server = HttpServer(binary, maps, os.path.join(tmp, "ws.db"),
                        extra=["--max-message", str(MAX_MESSAGE),
                               "--message-ms", "1500"])
    ctx = Ctx(server)
    try:
        # The same protocol: hello and ping over WebSocket.
        hello = ctx.ws.call("hello", {"client": "test_ws"})
        check(isinstance(hello, dict), "hello over WebSocket", repr(hello))
        check(ctx.stats()["ws_upgrades"] >= 1, "ws_upgrades counted")

        # Pipelines: many requests in one TCP write, each its own message;
        # the answers come in order, one per message.
        deferred = ctx.stats()["batches_deferred"]
        c = WsClient(server.http_port)
        c.send_raw(b"".join(c.frame(OP_BINARY, pack_request(i, "ping"))
                            for i in range(1, 201)))
        ids = [c.recv()[1] for _ in range(200)]
        check(ids == list(range(1, 201)),
              "200 pipelined requests answered in order, one per message")
        check(ctx.stats()["batches_deferred"] > deferred,
              "the burst was handled in --max-batch batches (counted)")
        # A message split over three frames with a ping between.
        body = pack_request(7, "ping")
        c.send_frame(OP_BINARY, body[:3], fin=False)
        c.send_frame(OP_PING, b"hi")
        c.send_frame(OP_CONT, body[3:6], fin=False)
        c.send_frame(OP_CONT, body[6:])
        got = None
        while got is None:
            op, payload = c.recv_frame()
            if op == OP_BINARY:
                got = msgpack.unpackb(payload, raw=False)
            else:
                check(op == 10 and payload == b"hi", "ping answered by pong")
        check(got[0] == 1 and got[1] == 7, "a fragmented message is one "
              "request", repr(got))
        c.close()

        # Fatal: the bad inputs of test_badinput.c.
        expect_fatal(ctx, "invalid byte", lambda c: c.send_binary(b"\xc1"),
                     "bad_request", "closed_invalid", 1002)
        expect_fatal(ctx, "invalid byte inside a request",
                     lambda c: c.send_binary(b"\x94\x00\x01\xa4ping\x91\xc1"),
                     "bad_request", "closed_invalid", 1002)
        expect_fatal(ctx, "array32 with a huge count",
                     lambda c: c.send_binary(b"\xdd\xff\xff\xff\xff"),
                     "too_large", "closed_bad_count", 1009)
        expect_fatal(ctx, "map32 with a huge count",
                     lambda c: c.send_binary(b"\xdf\x10\x00\x00\x00"),
                     "too_large", "closed_bad_count", 1009)
        expect_fatal(ctx, "nesting beyond --max-depth",
                     lambda c: c.send_binary(b"\x91" * 40 + b"\x01"),
                     "too_large", "closed_too_deep", 1009)
        big = pack_request(1, "ping", {"pad": "x" * MAX_MESSAGE})
        expect_fatal(ctx, "a message over --max-message",
                     lambda c: c.send_binary(big), "too_large",
                     "closed_too_large", 1009, str(MAX_MESSAGE))
        expect_fatal(ctx, "a message over --max-message in small frames",
                     lambda c: [c.send_frame(OP_BINARY if i == 0 else OP_CONT,
                                             big[i:i + 1000],
                                             fin=i + 1000 >= len(big))
                                for i in range(0, len(big), 1000)],
                     "too_large", "closed_too_large", 1009)
        # A frame header that claims gigabytes: refused at the header.
        expect_fatal(ctx, "a frame header claiming 4 GiB",
                     lambda c: c.send_raw(b"\x82\xff" +
                                          (1 << 32).to_bytes(8, "big") +
                                          b"\x00\x00\x00\x00" + b"\x94"),
                     "too_large", "closed_too_large", 1009)

        # A message that never ends: --message-ms, as over TCP.
        expect_fatal(ctx, "a message still incomplete at --message-ms",
                     lambda c: c.send_frame(OP_BINARY, pack_request(1, "ping")[:4],
                                            fin=False),
                     "bad_request", "closed_message_timeout", 1008,
                     "--message-ms")

        # Fatal, WebSocket only.
        expect_fatal(ctx, "a text message",
                     lambda c: c.send_frame(OP_TEXT, b'[0,1,"ping",[{}]]'),
                     "bad_request", "closed_invalid", 1003, "binary")
        expect_fatal(ctx, "two values in one message",
                     lambda c: c.send_binary(pack_request(1, "ping") + pack_request(2, "ping")),
                     "bad_request", "closed_invalid", 1002, "one MessagePack")
        expect_fatal(ctx, "part of a value in a message",
                     lambda c: c.send_binary(b"\x94\x00\x01\xa4pi"),
                     "bad_request", "closed_invalid", 1002, "ends inside")
        expect_fatal(ctx, "an empty message", lambda c: c.send_binary(b""),
                     "bad_request", "closed_invalid", 1002, "empty")
        expect_fatal(ctx, "an unmasked frame",
                     lambda c: c.send_frame(OP_BINARY, pack_request(1, "ping"),
                                            mask=False),
                     None, "closed_invalid", 1002)

        # Not a request: an error, and the connection stays.
        expect_error_open(ctx, "msgid not an integer",
                          b"\x94\x00\xa1x\xa1m\x90", "bad_request")
        expect_error_open(ctx, "message type 3", b"\x94\x03\x01\xa1m\x90",
                          "bad_request")
        expect_error_open(ctx, "a response from the client",
                          b"\x94\x01\x01\xc0\xc0", "bad_request")
        expect_error_open(ctx, "a number", b"\x2a", "bad_request")
        expect_error_open(ctx, "an empty array", b"\x90", "bad_request")
        expect_error_open(ctx, "params not an array",
                          b"\x94\x00\x07\xa4ping\x80", "bad_request", 7)
        expect_error_open(ctx, "an unknown method", pack_request(9, "nope"),
                          "unknown_method", 9)

        # Origin: same host, or --http-origin; another site is refused.
        before = ctx.stats()["ws_refused_origin"]
        ok = WsClient(server.http_port,
                      origin="http://127.0.0.1:%d" % server.http_port)
        check(ok.status == 101, "same-origin page may open /ws")
        check(ok.call("ping") is not None, "and use it")
        ok.close()
        bad = WsClient(server.http_port, origin="http://evil.example")
        check(bad.status == 403, "another site's page may not", bad.status)
        bad.close()
        bad = WsClient(server.http_port,
                       origin="http://127.0.0.1:%d.evil.example"
                       % server.http_port)
        check(bad.status == 403, "nor a look-alike origin", bad.status)
        bad.close()
        check(ctx.stats()["ws_refused_origin"] == before + 2,
              "ws_refused_origin counted")
        ctx.bystanders_fine("everything")
    finally:
        ctx.tcp.close()
        ctx.ws.close()
        status = server.stop()
        check(status == 0, "the server exits 0 on SIGTERM", status)
    if failures:
        print("%d failed" % len(failures))
        print(server.stderr()[-3000:])
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()
