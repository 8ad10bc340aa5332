#!/usr/bin/python3
"""Session slots cannot be used up for good (issue 10, finding 3).

- 51 addresses (127.3.0.x) each send 20 session.create at once (the
  default --create-burst): with --max-sessions 1000 they filled the server
  in 3 s, and a legitimate create from another address failed, even after
  a restart. Now one address may hold --max-lobby-per-address (default
  10) sessions in the lobby: the 51 get 510, the rest are refused
  (`rate_limited`, counted in lobby_refused_per_address), and a create
  from another address succeeds. One connection per address, so the
  per-address connection cap plays no part (refused_per_address stays 0).
- A lobby session that nobody joined expires --lobby-expiry-s after its
  creation: it leaves session.list and the database, its watchers get
  session.expired, lobby_expired counts it, and its slot is free again.
  A session someone joined stays.
  Every row of it goes, in every table keyed by session (seat_controls
  and chat included).
- The expiry survives a restart: it counts from the stored creation time,
  so sessions that came due while the server was down are gone before
  the first request is answered.
- So does the lobby cap: the creator's address is stored with the
  session (schema 5), and a restart does not give each address
  --max-lobby-per-address more.

The main server runs with --sync normal (the test creates 1,000 sessions;
durability is not what it checks); the expiry tests start servers of
their own.
"""
import os
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Game, Suite, check, lanserver  # noqa: E402

ADDRESSES = 51
CREATES = 20
LOBBY_CAP = 10  # the default --max-lobby-per-address

suite = Suite(__doc__, server_args=["--sync", "normal"])


def all_sessions(client):
    """Every session, paging through session.list."""
    out, after = [], None
    while True:
        page = client.call("session.list", limit=500, after=after)
        out.extend(page["sessions"])
        after = page["next"]
        if after is None:
            return out


@suite.test
def many_addresses_leave_room(server):
    clients = [Client("127.0.0.1", server.port, timeout=60,
                      source_address=("127.3.0.%d" % (1 + i), 0))
               for i in range(ADDRESSES)]
    # Everyone's 20 creates are in flight at once, as in the attack.
    sent = [[c.send("session.create", map="classroom", turns=1)
             for _ in range(CREATES)] for c in clients]
    created = refused = 0
    per_address = []
    for c, ids in zip(clients, sent):
        mine = 0
        for msgid in ids:
            err, res = c.response(msgid)
            if err is None:
                mine += 1
            else:
                check(err["code"] == "rate_limited",
                      "a create past the cap is rate_limited", err)
                check("--max-lobby-per-address" in err["message"] and
                      "--lobby-expiry-s" in err["message"],
                      "the refusal names the limit and the expiry", err)
                refused += 1
        per_address.append(mine)
        created += mine
    for c in clients:
        c.close()

    # A legitimate create from another address still has room.
    teacher = server.client(source_address=("127.3.1.1", 0))
    err, res = teacher.try_call("session.create", map="classroom", turns=1)
    check(err is None, "the teacher's session is created", err)
    check(per_address == [LOBBY_CAP] * ADDRESSES, "each address gets its cap",
          per_address)
    check(created == ADDRESSES * LOBBY_CAP, "510 sessions created", created)
    game = Game.__new__(Game)
    game.admin, game.id = teacher, res["session"]
    game.admin_token = res["admin_token"]
    stats = teacher.call("server.stats")
    check(stats["lobby_refused_per_address"] == refused,
          "the refusals are counted (lobby_refused_per_address)",
          stats["lobby_refused_per_address"], refused)
    check(stats["sessions_refused_limit"] == 0,
          "--max-sessions never refused anyone",
          stats["sessions_refused_limit"])
    check(stats["refused_per_address"] == 0,
          "the per-address connection cap played no part",
          stats["refused_per_address"])
    listed = all_sessions(teacher)
    check(len(listed) == created + 1, "session.list pages through them all",
          len(listed))
    check(len({s["session"] for s in listed}) == len(listed),
          "no session is listed twice")

    # Starting a session frees its lobby place: the address may create
    # again (the teacher's address is at 1 of 10; fill it, start one).
    for _ in range(LOBBY_CAP - 1):
        Game(teacher, "classroom", turns=1)
    err, _ = teacher.try_call("session.create", map="classroom", turns=1)
    check(err and err["code"] == "rate_limited", "the teacher is at the cap",
          err)
    game.start()
    Game(teacher, "classroom", turns=1)


def start(args, db, *extra):
    return lanserver.Server(args.server_bin, args.maps, db,
                            ["--sync", "normal"] + list(extra), timeout=10.0)


def stored_ids(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return {r[0] for r in con.execute("SELECT id FROM sessions")}, \
            con.execute("SELECT COUNT(*) FROM seats").fetchone()[0]
    finally:
        con.close()


def rows_of(db, sid):
    """{table: rows of session sid} over every table of the file that is
    keyed by session (a `session_id` column, and sessions.id): a table a
    later schema adds is checked without changing this test."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        out = {"sessions": con.execute(
            "SELECT COUNT(*) FROM sessions WHERE id = ?", (sid,)).fetchone()[0]}
        for (t,) in con.execute("SELECT name FROM sqlite_schema WHERE "
                                "type = 'table'").fetchall():
            cols = [r[1] for r in con.execute("PRAGMA table_info(%s)" % t)]
            if "session_id" in cols:
                out[t] = con.execute("SELECT COUNT(*) FROM %s WHERE "
                                     "session_id = ?" % t,
                                     (sid,)).fetchone()[0]
        return out
    finally:
        con.close()


@suite.test
def unjoined_lobby_sessions_expire(server):
    tmp = tempfile.mkdtemp(prefix="lan-lobby-")
    db = os.path.join(tmp, "lanthanide.db")
    srv = start(suite.args, db, "--lobby-expiry-s", "1")
    try:
        admin = srv.client()
        idle = Game(admin, "classroom", turns=1)
        joined = Game(admin, "classroom", turns=1)
        player = srv.client()
        joined.join(player, "CHN")
        watcher = srv.client()
        idle.watch(watcher)
        # Rows in more tables than sessions and seats (seat_controls since
        # schema 4): the admin says something in its chat too.
        admin.call("chat.send", session=idle.id, admin_token=idle.admin_token,
                   to="all", text="anyone?")
        before = rows_of(db, idle.id)
        check(before["seat_controls"] > 0 and before["chat"] == 1,
              "the idle session has rows in seat_controls and chat", before)
        # Within a loose bound the unjoined one goes, the joined one stays.
        deadline = time.monotonic() + 15
        while True:
            ids = {s["session"] for s in all_sessions(admin)}
            if idle.id not in ids:
                break
            check(time.monotonic() < deadline,
                  "the unjoined lobby session expires")
            time.sleep(0.2)
        check(joined.id in ids, "a session someone joined stays", ids)
        note = watcher.wait_for("session.expired", timeout=5)
        check(note["session"] == idle.id, "its watcher is told", note.params)
        err, _ = admin.try_call("session.start", session=idle.id,
                                admin_token=idle.admin_token)
        check(err and err["code"] == "not_found", "it is gone", err)
        stats = admin.call("server.stats")
        check(stats["lobby_expired"] == 1, "counted in lobby_expired",
              stats["lobby_expired"])
        check(srv.stop() == 0, "the server exits 0")
        ids, seats = stored_ids(db)
        check(ids == {joined.id}, "its rows left the database too", ids)
        check(seats == len(joined.seats), "its seats too", seats)
        left = {t: n for t, n in rows_of(db, idle.id).items() if n}
        check(not left, "no table keeps a row of it", left)
        check(rows_of(db, joined.id)["seat_controls"] > 0,
              "the joined session keeps its rows")
    finally:
        srv.kill()
        shutil.rmtree(tmp, ignore_errors=True)


@suite.test
def expiry_survives_a_restart(server):
    tmp = tempfile.mkdtemp(prefix="lan-lobby-")
    db = os.path.join(tmp, "lanthanide.db")
    srv = start(suite.args, db)  # the default expiry: an hour
    try:
        admin = srv.client()
        idle = [Game(admin, "classroom", turns=1) for _ in range(3)]
        joined = Game(admin, "classroom", turns=1)
        joined.join(srv.client(), "USA")
        check(srv.stop() == 0, "the first server exits 0")
        time.sleep(2.5)
        # Restarted with a 2 s expiry: the unjoined sessions are more than
        # 2 s old by their stored creation time, so they are gone before
        # the first request (a clock restarted at load would keep them).
        srv = start(suite.args, db, "--lobby-expiry-s", "2")
        admin = srv.client()
        ids = {s["session"] for s in all_sessions(admin)}
        check(ids == {joined.id}, "only the joined session is left", ids,
              [g.id for g in idle])
        check(admin.call("server.stats")["lobby_expired"] == 3,
              "the three are counted")
        check(srv.stop() == 0, "the second server exits 0")
        check(stored_ids(db)[0] == {joined.id}, "and deleted from the file")
    finally:
        srv.kill()
        shutil.rmtree(tmp, ignore_errors=True)


@suite.test
def lobby_cap_survives_a_restart(server):
    """The creator's address is stored with its session (schema 5): a
    restart does not give each address --max-lobby-per-address more
    lobby sessions (it did while the count lived in memory only)."""
    tmp = tempfile.mkdtemp(prefix="lan-lobby-")
    db = os.path.join(tmp, "lanthanide.db")
    srv = start(suite.args, db, "--max-lobby-per-address", "2")
    try:
        admin = srv.client()
        games = [Game(admin, "classroom", turns=1) for _ in range(2)]
        err, _ = admin.try_call("session.create", map="classroom", turns=1)
        check(err and err["code"] == "rate_limited", "at the cap", err)
        check(srv.stop() == 0, "the first server exits 0")
        srv = start(suite.args, db, "--max-lobby-per-address", "2")
        admin = srv.client()
        err, _ = admin.try_call("session.create", map="classroom", turns=1)
        check(err and err["code"] == "rate_limited" and
              "--max-lobby-per-address" in err["message"],
              "still at the cap after a restart", err)
        check(admin.call("server.stats")["lobby_refused_per_address"] == 1,
              "counted in lobby_refused_per_address")
        # Another address is not charged for them.
        other = Client("127.0.0.1", srv.port, timeout=10,
                       source_address=("127.3.1.1", 0))
        Game(other, "classroom", turns=1)
        # A started session leaves the lobby, and its slot is free again.
        check(admin.start(games[0].id, games[0].admin_token) ==
              {"status": "running"}, "a session of the first server starts")
        Game(admin, "classroom", turns=1)
        check(srv.stop() == 0, "the second server exits 0")
    finally:
        srv.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(suite.run())
