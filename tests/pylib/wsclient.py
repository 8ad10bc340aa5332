"""A minimal WebSocket client (RFC 6455) on a raw socket, for tests only.

Standard library plus msgpack: it can send what a browser never would
(unmasked frames, text frames, several values in one message, a message
split across frames with a ping in between, a message over the limit), and
it reads frames one by one, so that a test sees the server's "error"
notification and then its close frame with the status code and reason.

Also: HttpServer, a lanthanide-server started with --http 127.0.0.1:0 (both
ports read from its two banner lines), and raw_http(), one HTTP request
written byte for byte.
"""
import base64
import hashlib
import os
import re
import select
import signal
import socket
import struct
import subprocess
import time

import msgpack

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BANNER = re.compile(r"^lanthanide-server (\S+) (listening|http) on "
                    r"127\.0\.0\.1:(\d+)$")

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def pack_request(msgid, method, params=None):
    """A MessagePack-RPC request as bytes (params: one map)."""
    return msgpack.packb([0, msgid, method, [params or {}]])


class Closed(Exception):
    """The server closed: .code and .reason of its close frame (None if the
    TCP connection ended without one)."""

    def __init__(self, code, reason):
        super().__init__("closed %s %r" % (code, reason))
        self.code = code
        self.reason = reason


class WsClient:
    def __init__(self, port, path="/ws", origin=None, host=None,
                 timeout=10.0, extra_headers=""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.buf = b""
        self.msgid = 0
        key = base64.b64encode(os.urandom(16)).decode()
        head = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                % (path, host or "127.0.0.1:%d" % port, key))
        if origin:
            head += "Origin: %s\r\n" % origin
        head += extra_headers + "\r\n"
        self.sock.sendall(head.encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during the handshake: %r"
                                      % self.buf)
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        self.head = head.decode("latin-1")
        if self.status == 101:
            want = base64.b64encode(
                hashlib.sha1(key.encode() + GUID).digest()).decode()
            assert ("Sec-WebSocket-Accept: %s" % want) in self.head, self.head

    # ---- frames ---------------------------------------------------------

    @staticmethod
    def frame(opcode, payload, fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            head = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return head + key + body

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload, **kw):
        self.sock.sendall(self.frame(opcode, payload, **kw))

    def send_binary(self, payload):
        self.send_frame(OP_BINARY, payload)

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame within %.0f s" % self.timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed(None, None)
            self.buf += chunk

    def recv_frame(self, timeout=None):
        """(opcode, payload) of the next frame from the server."""
        deadline = time.monotonic() + (timeout or self.timeout)
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        assert not b1 & 0x80, "a server's frames are never masked"
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n, deadline)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        assert b0 & 0x80, "the server sends whole messages"
        return b0 & 0x0F, payload

    def recv(self, timeout=None):
        """The next MessagePack value (one per binary message); raises
        Closed on a close frame."""
        while True:
            op, payload = self.recv_frame(timeout)
            if op == OP_BINARY:
                return msgpack.unpackb(payload, raw=False, strict_map_key=False)
            if op == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if payload else None
                raise Closed(code, payload[2:].decode("utf-8"))
            if op in (OP_PING, OP_PONG):
                continue
            raise AssertionError("unexpected frame opcode %d" % op)

    # ---- MessagePack-RPC --------------------------------------------------

    def request(self, method, params=None):
        self.msgid += 1
        self.send_binary(pack_request(self.msgid, method, params))
        return self.msgid

    def call(self, method, params=None):
        msgid = self.request(method, params)
        while True:
            m = self.recv()
            if m[0] == 1 and m[1] == msgid:
                if m[2] is not None:
                    raise RuntimeError("error: %r" % (m[2],))
                return m[3]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def raw_http(port, request, timeout=10.0):
    """Send request (bytes) as it is; return (status, headers dict with
    lower-case names, body) of the answer, read until the server closes or
    Content-Length is complete."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.settimeout(timeout)
    try:
        s.sendall(request)
        buf = b""
        while True:
            if b"\r\n\r\n" in buf:
                head, body = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for ln in lines[1:]:
                    k, _, v = ln.partition(":")
                    headers[k.strip().lower()] = v.strip()
                n = int(headers.get("content-length", "-1"))
                if request.startswith(b"HEAD "):
                    n = 0
                if n >= 0 and len(body) >= n:
                    return int(lines[0].split(" ", 2)[1]), headers, body[:n]
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                if b"\r\n\r\n" not in buf:
                    return None, {}, buf
                head, body = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                return int(lines[0].split(" ", 2)[1]), {}, body
            buf += chunk
    finally:
        s.close()


class HttpServer:
    """lanthanide-server with --http 127.0.0.1:0 on database db."""

    def __init__(self, binary, maps, db, extra=(), timeout=15.0):
        self.err_path = db + ".stderr.log"
        self._err = open(self.err_path, "ab")
        argv = [binary, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                "--db", db, "--maps", maps] + list(extra)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._err)
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while buf.count(b"\n") < 2:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.proc.kill()
                raise RuntimeError("no banner; stderr:\n" + self.stderr())
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the server exited:\n" + self.stderr())
            buf += chunk
        ports = {}
        for line in buf.decode().splitlines()[:2]:
            m = BANNER.match(line)
            assert m, line
            ports[m.group(2)] = int(m.group(3))
        self.port = ports["listening"]
        self.http_port = ports["http"]

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=15.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "hung"
        self._err.close()
        self.proc.stdout.close()
        return self.proc.returncode
