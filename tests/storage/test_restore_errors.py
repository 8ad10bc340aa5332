"""A restore that cannot read everything stops the server's start
(docs/storage.md, "Resuming after a restart").

Every read of the restore is checked: an error of SQLite (a file another
process holds locked, SQLITE_BUSY; a damaged page, SQLITE_CORRUPT) or a
row that is not as the server wrote it is an error that names the table,
the session and what was wrong, and the server exits non-zero rather than
serve a session restored in part.

- A stored submission of the open turn whose orders are the five bytes
  dd ff ff ff ff (an array header claiming 4 billion items) is refused by
  the scanner before msgpack-c sees it: the server exits non-zero naming
  the submissions table, the session and the damage, and
  `lanthanide export` refuses it the same way.
- A seat whose token hash is one byte long: exits non-zero naming the
  seats table and the session.
- A database another process holds with an exclusive lock: exits
  non-zero with SQLite's "locked"; once the lock is released, the same
  file starts and the session is there, as it was.
"""
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
    """A running classroom session with one stored submission in its open
    turn, the server stopped cleanly. Returns (db, session id)."""
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
        c.close()
    finally:
        check(srv.stop() == 0, "the server exits 0")
    rows = db_query(db, "SELECT id FROM submissions WHERE session_id = ? "
                    "AND turn = 0", (sid,))
    check(len(rows) == 1, "one submission stored in the open turn", rows)
    return db, sid


def altered(db, tmp, name, sql, params=()):
    path = os.path.join(tmp, name)
    shutil.copyfile(db, path)
    con = sqlite3.connect(path)
    con.execute(sql, params)
    con.commit()
    con.close()
    return path


def t_huge_submission(args, tmp, game):
    db, sid = game
    path = altered(db, tmp, "huge.db", "UPDATE submissions SET orders = ?",
                   (bytes.fromhex("ddffffffff"),))
    status, err = refused(args, path)
    check(status != 0, "the server exits non-zero", status, err)
    check("submissions" in err and sid in err and "damaged" in err,
          "the message names the table, the session and the damage", err)
    check("does not start" in err, "the message says the server stops", err)
    # The tools read through the same functions: export refuses it too.
    rc, _, err = run_tool(args.cli_bin, "export", "--db", path, "--out",
                          os.path.join(tmp, "huge-export"))
    check(rc == 1 and "submission 1" in err and "damaged" in err,
          "export names the damaged submission and exits 1", rc, err)


def t_damaged_seat(args, tmp, game):
    db, sid = game
    path = altered(db, tmp, "seat.db",
                   "UPDATE seats SET token_hash = x'00' WHERE seat_index = 1")
    status, err = refused(args, path)
    check(status != 0, "the server exits non-zero", status, err)
    check("seats" in err and sid in err and "token_hash" in err,
          "the message names the table, the session and the column", err)


def t_locked(args, tmp, game):
    db, sid = game
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


def main():
    args = parse_args(__doc__)
    suite = Suite(args)
    game = make_game(args, suite.tmp)
    suite.run("a stored submission of dd ff ff ff ff stops the start",
              t_huge_submission, args, suite.tmp, game)
    suite.run("a damaged seat row stops the start", t_damaged_seat, args,
              suite.tmp, game)
    suite.run("a locked file stops the start; released, it starts",
              t_locked, args, suite.tmp, game)
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
