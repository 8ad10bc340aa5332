"""A damaged session is quarantined; a file the server cannot use stops
the start (docs/storage.md, "Resuming after a restart"; issue 10).

Every read of the restore is checked. A row that is not as the server
wrote it is damage of one session: that session is quarantined (logged
with the reason, listed by server.quarantine and `lanthanide admin
quarantined`, counted in sessions_quarantined, its rows left untouched
byte for byte, not served) while the other sessions start normally. An
error of the file itself (another process holds it locked) or a file the
server may not write stops the start with a message saying so.

- A stored submission of the open turn whose orders are the five bytes
  dd ff ff ff ff (an array header claiming 4 billion items) is refused by
  the scanner before msgpack-c sees it: the session is quarantined with
  a reason naming the submissions table and the damage, and `lanthanide
  export` refuses it the same way.
- A seat whose token hash is one byte long: quarantined, the reason
  names the seats table and the column.
- A sessions row whose admin token hash, or creator (schema 5), is one
  byte long: quarantined (the read of sessions goes past it).
- A seat_controls row whose admin_box is one byte long, or that names a
  seat the map does not have: quarantined, the reason names the table
  (or the seat).
- A database another process holds with an exclusive lock: exits
  non-zero with SQLite's "locked"; once the lock is released, the same
  file starts and the session is there, as it was.
- A read-only database file, or a read-only folder: exits non-zero with
  a message that says what is read-only (as root, the server runs as
  nobody here, since root writes read-only files).
"""
import json
import os
import shutil
import sqlite3
import sys

from common import (Server, ServerFailed, Suite, check, db_query,
                    parse_args, run_tool)


def refused(args, db):
    """Start a server on db and expect it to refuse: (status, stderr)."""
    try:
        srv = Server(args.server_bin, args.maps, db)
    except ServerFailed as e:
        return e.status, e.stderr
    srv.stop()
    raise AssertionError("the server started on %s" % db)


def make_game(args, tmp):
    """Two classroom sessions: a running one with one stored submission in
    its open turn (the one the tests damage), and a lobby one beside it,
    the server stopped cleanly. Returns (db, damaged id, other id, the
    other's admin token)."""
    db = os.path.join(tmp, "game.db")
    srv = Server(args.server_bin, args.maps, db)
    try:
        c = srv.client()
        r = c.create_session("classroom", turns=4)
        sid, atok = r["session"], r["admin_token"]
        p = srv.client()
        p.join(sid, join_code=r["seats"][0]["join_code"])
        check(c.start(sid, atok) == {"status": "running"}, "it starts")
        p.submit([])
        p.close()
        r2 = c.create_session("classroom", turns=4)
        c.close()
    finally:
        check(srv.stop() == 0, "the server exits 0")
    rows = db_query(db, "SELECT id FROM submissions WHERE session_id = ? "
                    "AND turn = 0", (sid,))
    check(len(rows) == 1, "one submission stored in the open turn", rows)
    return db, sid, r2["session"], r2["admin_token"]


TABLES = ["seats", "submissions", "readies", "turns", "prices",
          "production", "scores", "chat", "seat_controls"]


def rows_of(db, sid):
    """Every row of session sid, table by table, as stored."""
    out = {"sessions": db_query(db, "SELECT * FROM sessions WHERE id = ?",
                                (sid,))}
    for t in TABLES:
        out[t] = db_query(db, "SELECT * FROM %s WHERE session_id = ? ORDER "
                          "BY rowid" % t, (sid,))
    return out


def quarantined(args, path, sid, other, other_atok, why):
    """Start on path: sid is quarantined for a reason holding every word
    of why, the other session is served, sid's rows are unchanged."""
    before = rows_of(path, sid)
    srv = Server(args.server_bin, args.maps, path)
    try:
        c = srv.client()
        got = {s["session"]: s["status"] for s in c.sessions()}
        check(got.get(other) == "lobby", "the other session is served", got)
        check(sid not in got, "the damaged session is not served", got)
        check(c.start(other, other_atok) == {"status": "running"},
              "the other session starts (and is stored)")
        q = c.call("server.quarantine")["sessions"]
        check([x["session"] for x in q] == [sid],
              "server.quarantine lists the damaged session", q)
        for w in why:
            check(w in q[0]["reason"], "the reason says %r" % w, q[0])
        stats = c.call("server.stats")
        check(stats["sessions_quarantined"] == 1, "counted", stats)
        rc, out, err = run_tool(args.cli_bin, "admin", "quarantined",
                                "--server", "127.0.0.1:%d" % srv.port,
                                "--json")
        check(rc == 0 and [x["session"] for x in
                           json.loads(out)["sessions"]] == [sid],
              "lanthanide admin quarantined lists it", rc, out, err)
        rc, out, err = run_tool(args.cli_bin, "admin", "quarantined",
                                "--server", "127.0.0.1:%d" % srv.port)
        check(rc == 0 and sid in out, "and prints it as a table", out)
        check("quarantined" in srv.stderr_tail() and sid in
              srv.stderr_tail(), "the log says so", srv.stderr_tail())
    finally:
        check(srv.stop() == 0, "the server exits 0")
    check(rows_of(path, sid) == before,
          "the damaged session's rows are unchanged byte for byte")


def altered(db, tmp, name, sql, params=()):
    path = os.path.join(tmp, name)
    shutil.copyfile(db, path)
    con = sqlite3.connect(path)
    con.execute(sql, params)
    con.commit()
    con.close()
    return path


def t_huge_submission(args, tmp, game):
    db, sid, other, other_atok = game
    path = altered(db, tmp, "huge.db", "UPDATE submissions SET orders = ?",
                   (bytes.fromhex("ddffffffff"),))
    quarantined(args, path, sid, other, other_atok,
                ["submissions", sid, "damaged"])
    # The tools read through the same functions: export refuses it too.
    rc, _, err = run_tool(args.cli_bin, "export", "--db", path, "--session",
                          sid, "--out", os.path.join(tmp, "huge-export"))
    check(rc == 1 and "submission 1" in err and "damaged" in err,
          "export names the damaged submission and exits 1", rc, err)


def t_damaged_seat(args, tmp, game):
    db, sid, other, other_atok = game
    path = altered(db, tmp, "seat.db",
                   "UPDATE seats SET token_hash = x'00' WHERE seat_index = 1 "
                   "AND session_id = ?", (sid,))
    quarantined(args, path, sid, other, other_atok,
                ["seats", sid, "token_hash"])


def t_damaged_session_row(args, tmp, game):
    db, sid, other, other_atok = game
    path = altered(db, tmp, "session.db",
                   "UPDATE sessions SET admin_token_hash = x'00' WHERE "
                   "id = ?", (sid,))
    quarantined(args, path, sid, other, other_atok,
                ["sessions", sid, "admin_token_hash"])
    # sessions.creator (schema 5) is NULL or 16 bytes.
    path = altered(db, tmp, "creator.db",
                   "UPDATE sessions SET creator = x'00' WHERE id = ?", (sid,))
    quarantined(args, path, sid, other, other_atok,
                ["sessions", sid, "creator"])


def t_damaged_seat_control(args, tmp, game):
    db, sid, other, other_atok = game
    path = altered(db, tmp, "control.db",
                   "UPDATE seat_controls SET admin_box = x'00' WHERE "
                   "seat_index = 1 AND session_id = ?", (sid,))
    quarantined(args, path, sid, other, other_atok,
                ["seat_controls", sid, "admin_box"])
    path = altered(db, tmp, "control-seat.db",
                   "UPDATE seat_controls SET seat_index = 99 WHERE "
                   "seat_index = 1 AND session_id = ?", (sid,))
    quarantined(args, path, sid, other, other_atok,
                ["seat control", sid, "seat 99"])


def t_locked(args, tmp, game):
    db, sid, _, _ = game
    path = os.path.join(tmp, "locked.db")
    shutil.copyfile(db, path)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA locking_mode=EXCLUSIVE")
    con.execute("BEGIN EXCLUSIVE")
    con.execute("UPDATE sessions SET name = name")
    try:
        status, err = refused(args, path)
    finally:
        con.execute("ROLLBACK")
        con.close()
    check(status != 0, "the server exits non-zero", status, err)
    check("locked" in err, "the message gives SQLite's error", err)
    # Released: the same file starts, with its session as it was.
    srv = Server(args.server_bin, args.maps, path)
    try:
        c = srv.client()
        got = {s["session"]: s["status"] for s in c.sessions()}
        check(got.get(sid) == "running", "the session is restored", got)
        c.close()
    finally:
        check(srv.stop() == 0, "the server exits 0")


def as_writer_of_nothing():
    """preexec_fn: as root, become nobody, for whom read-only is
    read-only."""
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)


def refused_readonly(args, path):
    try:
        srv = Server(args.server_bin, args.maps, path,
                     err_path=path + ".log", preexec_fn=as_writer_of_nothing)
    except ServerFailed as e:
        return e.status, e.stderr
    srv.stop()
    raise AssertionError("the server started on %s" % path)


def t_readonly(args, tmp, game):
    db = game[0]
    os.chmod(tmp, 0o755)  # nobody may look in
    # A read-only file in a writable folder.
    ro = os.path.join(tmp, "rofile")
    os.mkdir(ro)
    os.chmod(ro, 0o777)
    path = os.path.join(ro, "ro.db")
    shutil.copyfile(db, path)
    os.chmod(path, 0o444)
    before = open(path, "rb").read()
    status, err = refused_readonly(args, path)
    check(status != 0, "the server exits non-zero", status, err)
    check("read-only" in err and path in err,
          "the message says the file is read-only", err)
    check(open(path, "rb").read() == before, "the file is unchanged")
    # A writable file in a read-only folder (its -wal cannot be made).
    rodir = os.path.join(tmp, "rodir")
    os.mkdir(rodir)
    path = os.path.join(rodir, "rw.db")
    shutil.copyfile(db, path)
    os.chmod(path, 0o666)
    os.chmod(rodir, 0o555)
    status, err = refused_readonly(args, path)
    check(status != 0, "the server exits non-zero", status, err)
    check("not writable" in err and rodir in err,
          "the message says the folder is not writable", err)


def main():
    args = parse_args(__doc__)
    suite = Suite(args)
    game = make_game(args, suite.tmp)
    suite.run("a stored submission of dd ff ff ff ff: quarantined",
              t_huge_submission, args, suite.tmp, game)
    suite.run("a damaged seat row: quarantined", t_damaged_seat, args,
              suite.tmp, game)
    suite.run("a damaged sessions row: quarantined", t_damaged_session_row,
              args, suite.tmp, game)
    suite.run("a damaged seat_controls row: quarantined",
              t_damaged_seat_control, args, suite.tmp, game)
    suite.run("a locked file stops the start; released, it starts",
              t_locked, args, suite.tmp, game)
    suite.run("a read-only file or folder stops the start, saying so",
              t_readonly, args, suite.tmp, game)
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
