#!/usr/bin/python3
"""`lanthanide admin list` pages through session.list (issue 10, finding 6).

session.list answers a page at a time now; the CLI asks for page after
page until `next` is nil. The server here runs with --max-list-page 10
(so a page is 10 sessions) and holds 25: `admin list` shows all 25,
`admin list --json` prints all 25 once each, and `admin list --session ID`
finds a session that is not on the first page.

usage: test_cli_list.py SERVER-BINARY CLI-BINARY MAPS-DIR
Prints "N passed, M failed"; exit 0 all passed, 1 a failure, 77 skipped
(python3-msgpack missing).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import lanserver  # noqa: E402 (exits 77 without python3-msgpack)

SERVER, CLI, MAPS = sys.argv[1], sys.argv[2], sys.argv[3]
SESSIONS = 25
passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok     " + what)
    else:
        failed += 1
        print("FAILED " + what + ("\n  " + str(detail) if detail else ""))


def run(*args):
    env = dict(os.environ)
    for k in ("LANTHANIDE_SERVER", "LANTHANIDE_TOKEN",
              "LANTHANIDE_ADMIN_TOKEN"):
        env.pop(k, None)
    p = subprocess.run([CLI] + list(args), capture_output=True, timeout=60,
                       env=env, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    tmp = tempfile.mkdtemp(prefix="lan-cli-list-")
    srv = lanserver.Server(SERVER, MAPS, os.path.join(tmp, "db"),
                           ["--max-list-page", "10", "--sync", "normal",
                            "--max-lobby-per-address", "100",
                            "--create-burst", "100"])
    try:
        c = srv.client()
        ids = sorted(c.create_session("classroom", turns=1)["session"]
                     for _ in range(SESSIONS))
        first = c.call("session.list")
        check(len(first) == 10, "the server's page is 10 sessions",
              len(first))
        check(sorted(s["session"] for s in c.sessions()) == ids,
              "the Python client's sessions() pages through all 25")
        where = "127.0.0.1:%d" % srv.port
        rc, out, err = run("admin", "list", "--server", where)
        shown = [i for i in ids if i in out]
        check(rc == 0 and shown == ids,
              "admin list shows all 25 sessions", (rc, len(shown), err))
        rc, out, err = run("admin", "list", "--server", where, "--json")
        listed = [s["session"] for s in json.loads(out)] if rc == 0 else []
        check(sorted(listed) == ids, "admin list --json lists each once",
              (rc, len(listed), err))
        rc, out, err = run("admin", "list", "--server", where, "--session",
                           ids[-1])
        check(rc == 0 and ids[-1] in out,
              "admin list --session finds a session past the first page",
              (rc, out, err))
        check(srv.stop() == 0, "the server exits 0")
    finally:
        srv.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
