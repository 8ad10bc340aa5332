#!/usr/bin/python3
"""A client written with an off-the-shelf MessagePack library.

Starts the real lanthanide-server (its path is the first argument) on
127.0.0.1 with port 0, reads the port from the banner line, and talks to it
with nothing but the socket module and Debian's python3-msgpack: hello, ping,
maps.list (over a temporary maps folder), an error response, and pipelining.
Prints "N passed, M failed" and exits non-zero if anything failed.

Run it with /usr/bin/python3: the python3 on PATH may be one without msgpack.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import msgpack
except ImportError:
    print("python3-msgpack is missing: apt-get install python3-msgpack")
    sys.exit(77)


class Client:
    """A blocking MessagePack-RPC client: requests out, responses in."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.unpacker = msgpack.Unpacker(raw=False)
        self.next_id = 1

    def send(self, method, params=None):
        msgid = self.next_id
        self.next_id += 1
        args = [] if params is None else [params]
        self.sock.sendall(msgpack.packb([0, msgid, method, args]))
        return msgid

    def receive(self):
        while True:
            for message in self.unpacker:
                return message
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.unpacker.feed(data)

    def call(self, method, params=None):
        msgid = self.send(method, params)
        message = self.receive()
        assert message[0] == 1, message
        assert message[1] == msgid, (message, msgid)
        return message[2], message[3]

    def close(self):
        self.sock.close()


def test_hello(port, _maps):
    c = Client(port)
    error, result = c.call("hello", {"client": "python-test", "protocol": 1})
    assert error is None, error
    assert result["server"] == "lanthanide", result
    assert result["protocol"] == 1, result
    assert isinstance(result["version"], str) and result["version"], result
    c.close()


def test_ping(port, _maps):
    c = Client(port)
    assert c.call("ping") == (None, {})
    assert c.call("ping", {}) == (None, {})
    c.close()


def test_maps_list(port, maps):
    c = Client(port)
    error, result = c.call("maps.list")
    assert error is None, error
    assert result == [
        {"id": "py-one", "title": "One", "seats": 2, "turns": 4},
        {"id": "py-two", "title": "Two", "seats": 1, "turns": 20},
    ], result
    c.close()


def test_error_response(port, _maps):
    c = Client(port)
    error, result = c.call("no.such.method")
    assert result is None
    assert error["code"] == "unknown_method", error
    assert "ping" in error["message"], error
    error, result = c.call("hello", {"protocol": "one"})
    assert error["code"] == "bad_request", error
    assert error["field"] == "protocol", error
    # The connection is still good after errors.
    assert c.call("ping") == (None, {})
    c.close()


def test_error_notification_and_close(port, _maps):
    c = Client(port)
    c.sock.sendall(b"\xc1")
    message = c.receive()
    assert message[0] == 2 and message[1] == "error", message
    assert message[2][0]["code"] == "bad_request", message
    assert c.sock.recv(1) == b""
    c.close()


def test_pipelining(port, _maps):
    c = Client(port)
    ids = [c.send("ping") for _ in range(500)]
    got = [c.receive()[1] for _ in range(500)]
    assert got == ids
    c.close()


def mini_map(map_id, title, turns, nations):
    """A minimal map the server's loader accepts: nation seats only."""
    return {
        "id": map_id, "title": title, "turns": turns,
        "parameters": {"prices": {"concentrate": 5, "ndpr_oxide": 50,
                                  "dytb_oxide": 300, "lace_oxide": 1,
                                  "magnet": 60}},
        "nations": [{"id": n, "title": n} for n in nations],
        "seats": [{"seat": n, "kind": "nation", "title": n} for n in nations],
    }


def write_maps(folder):
    maps = {
        "py-one.json": mini_map("py-one", "One", 4, ["CHN", "USA"]),
        "py-two.json": mini_map("py-two", "Two", 20, ["AUS"]),
    }
    for name, content in maps.items():
        with open(os.path.join(folder, name), "w") as f:
            json.dump(content, f)
    with open(os.path.join(folder, "bad.json"), "w") as f:
        f.write("{ not json")


def main():
    if len(sys.argv) != 2:
        print("usage: test_python_client.py PATH-TO-lanthanide-server")
        return 2
    workdir = tempfile.mkdtemp(prefix="lan-pytest-")
    maps = os.path.join(workdir, "maps")
    os.mkdir(maps)
    write_maps(maps)
    log = open(os.path.join(workdir, "server.log"), "w")
    server = subprocess.Popen(
        [sys.argv[1], "--listen", "127.0.0.1:0", "--maps", maps,
         "--db", os.path.join(workdir, "test.db")],
        stdout=subprocess.PIPE, stderr=log, text=True)
    passed = failed = 0
    try:
        banner = server.stdout.readline().strip()
        match = re.fullmatch(
            r"lanthanide-server \S+ listening on 127\.0\.0\.1:(\d+)", banner)
        if not match:
            print(f"FAIL banner: {banner!r}")
            return 1
        port = int(match.group(1))
        tests = [test_hello, test_ping, test_maps_list, test_error_response,
                 test_error_notification_and_close, test_pipelining]
        for test in tests:
            try:
                test(port, maps)
                passed += 1
                print(f"ok   {test.__name__}")
            except Exception as e:  # report every failure, then go on
                failed += 1
                print(f"FAIL {test.__name__}: {e!r}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            status = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            status = server.wait()
        log.close()
    if status != 0:
        failed += 1
        print(f"FAIL shutdown: exit status {status}")
        with open(os.path.join(workdir, "server.log")) as f:
            sys.stdout.write(f.read())
    else:
        passed += 1
        print("ok   clean shutdown (exit status 0)")
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
