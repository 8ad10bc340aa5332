#!/usr/bin/python3
"""Special files in the maps folder (issue 10, finding 5).

The server reads map files from its --maps folder for session.create and
maps.list. Only regular files are read, opened so that a FIFO cannot
block the loop and checked on the opened descriptor; every read is capped
by --max-map-bytes; and a client's error never holds a file path or a
fragment of a file (the log has the detail).

The server runs on a maps folder of its own (a temporary folder) holding:
  trade.json     a copy of maps/trade.json (a good map)
  evil.json      a FIFO that nobody writes (the old server blocked in open)
  zero.json      a symlink to /dev/zero (the old server read it unbounded)
  big.json       a regular file larger than --max-map-bytes
  bad.json       malformed JSON holding a secret-looking fragment
  linked.json    a symlink to a good map file outside the folder (allowed)
  esc.json       a good map whose title holds a terminal escape sequence
                 (the CLI's `lanthanide maps` must not pass it through)
"""
import os
import json
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import LIVE_S, Suite, check, expect_error  # noqa: E402

MAX_MAP_BYTES = 65536
SECRET = "SECRETFRAGMENT"

suite = Suite(__doc__, ["--max-map-bytes", str(MAX_MAP_BYTES)])
SRC_MAPS = suite.args.maps
FOLDER = tempfile.mkdtemp(prefix="lan-mapfiles-")
OUTSIDE = tempfile.mkdtemp(prefix="lan-mapfiles-out-")


def build_folder():
    shutil.copy(os.path.join(SRC_MAPS, "trade.json"),
                os.path.join(FOLDER, "trade.json"))
    os.mkfifo(os.path.join(FOLDER, "evil.json"))
    os.symlink("/dev/zero", os.path.join(FOLDER, "zero.json"))
    with open(os.path.join(FOLDER, "big.json"), "w") as f:
        f.write('{"id": "big", "title": "%s"}' % ("x" * (2 * MAX_MAP_BYTES)))
    with open(os.path.join(FOLDER, "bad.json"), "w") as f:
        f.write('{"id": "bad",\n "title": "t" "%s": 1}\n' % SECRET)
    # A good map outside the folder, linked in under its own id.
    with open(os.path.join(SRC_MAPS, "learning.json")) as f:
        text = f.read()
    text = text.replace('"id": "learning"', '"id": "linked"', 1)
    check('"id": "linked"' in text, "the learning map's id was renamed")
    target = os.path.join(OUTSIDE, "linked.json")
    with open(target, "w") as f:
        f.write(text)
    os.symlink(target, os.path.join(FOLDER, "linked.json"))
    with open(os.path.join(SRC_MAPS, "trade.json")) as f:
        m = json.load(f)
    m["id"], m["title"] = "esc", "Escape \u001b[2J\u001b]0;owned\u0007 map"
    with open(os.path.join(FOLDER, "esc.json"), "w") as f:
        json.dump(m, f)


build_folder()
suite.args.maps = FOLDER


def stats(c):
    return c.call("server.stats")


def no_leak(err):
    """A client's error names no path and holds no text of the file."""
    msg = err.message
    check("/" not in msg, "no path in the error", msg)
    check(FOLDER not in msg and OUTSIDE not in msg, "no folder", msg)
    check(SECRET not in msg and "near" not in msg, "no file fragment", msg)


@suite.test
def fifo_does_not_block_the_loop(server):
    # maps.list over a folder with a FIFO: answered, and a ping from
    # another connection made while it is asked is answered too.
    lister, pinger = server.client(timeout=LIVE_S), server.client(timeout=LIVE_S)
    result = {}

    def list_maps():
        try:
            result["maps"] = lister.maps()
        except Exception as e:  # noqa: BLE001
            result["error"] = e

    t = threading.Thread(target=list_maps)
    t.start()
    check(pinger.ping() == {}, "ping answered while maps.list runs")
    t.join(LIVE_S)
    check(not t.is_alive(), "maps.list answered within the liveness bound")
    check("maps" in result, "maps.list succeeded", result)
    ids = [m["id"] for m in result["maps"]]
    check(ids == ["esc", "linked", "trade"], "only the good maps are listed",
          ids)


@suite.test
def fifo_session_create_refused(server):
    c = server.client(timeout=LIVE_S)
    before = stats(c)
    err = expect_error("unavailable", c.create_session, "evil", field="map")
    no_leak(err)
    check("'evil'" in err.message and "log" in err.message,
          "the error names the map and points at the log", err.message)
    after = stats(c)
    check(after["maps_refused_type"] > before["maps_refused_type"],
          "maps_refused_type counted", before["maps_refused_type"],
          after["maps_refused_type"])
    check(c.ping() == {}, "the server still answers")


@suite.test
def dev_zero_refused_by_type(server):
    c = server.client(timeout=LIVE_S)
    before = stats(c)["maps_refused_type"]
    err = expect_error("unavailable", c.create_session, "zero", field="map")
    no_leak(err)
    check(stats(c)["maps_refused_type"] == before + 1,
          "maps_refused_type counts the device")


@suite.test
def big_file_refused_by_size(server):
    c = server.client(timeout=LIVE_S)
    before = stats(c)["maps_refused_size"]
    err = expect_error("unavailable", c.create_session, "big", field="map")
    no_leak(err)
    check(stats(c)["maps_refused_size"] == before + 1,
          "maps_refused_size counted")


@suite.test
def malformed_map_error_has_no_path_or_fragment(server):
    c = server.client(timeout=LIVE_S)
    before = stats(c)["maps_refused_invalid"]
    err = expect_error("unavailable", c.create_session, "bad", field="map")
    no_leak(err)
    check(stats(c)["maps_refused_invalid"] == before + 1,
          "maps_refused_invalid counted")
    # The operator's log has the detail: the path of the file.
    log = server.stderr_tail(200)
    check(os.path.join(FOLDER, "bad.json") in log,
          "the log names the file", log[-2000:])
    check("not a regular file" in log, "the log says why the FIFO was refused")


@suite.test
def good_and_linked_maps_still_work(server):
    c = server.client(timeout=LIVE_S)
    for m in ("trade", "linked"):
        res = c.create_session(m)
        check(res["session"] and res["seats"], "session created on", m)


@suite.test
def cli_maps_output_is_clean(server):
    # The CLI prints the server's strings through ui_clean: no control
    # character of a map's title reaches the terminal.
    cli = os.path.join(os.path.dirname(os.path.abspath(suite.args.server_bin)),
                       "lanthanide")
    p = subprocess.run([cli, "maps", "--server", "127.0.0.1:%d" % server.port],
                       capture_output=True, timeout=LIVE_S)
    check(p.returncode == 0, "lanthanide maps exits 0", p.returncode, p.stderr)
    check(b"Escape" in p.stdout and b"esc" in p.stdout, "the map is listed",
          p.stdout)
    check(not any(b < 0x20 and b not in (0x0a,) for b in p.stdout),
          "no control characters in the output", p.stdout)
    p = subprocess.run([cli, "call", "--server", "127.0.0.1:%d" % server.port,
                        "session.create", '{"map": "bad"}'],
                       capture_output=True, timeout=LIVE_S)
    check(p.returncode != 0 and b"unavailable" in p.stderr + p.stdout,
          "the CLI shows the server's refusal", p.stdout, p.stderr)
    check(FOLDER.encode() not in p.stderr + p.stdout, "without the path")


@suite.test
def missing_map_is_not_found(server):
    c = server.client(timeout=LIVE_S)
    err = expect_error("not_found", c.create_session, "nosuch", field="map")
    no_leak(err)


try:
    status = suite.run()
finally:
    shutil.rmtree(FOLDER, ignore_errors=True)
    shutil.rmtree(OUTSIDE, ignore_errors=True)
sys.exit(status)
