"""Opening databases of other schema versions, and damaged ones
(docs/storage.md, "Versions and migrations").

- A version-0 database (user_version 0, none of our tables) that holds a
  table of someone else's with rows is migrated to the current version,
  and those rows are kept. An empty (0-byte) file is migrated too.
- A version-1 database written by hand from the released schema
  (fixtures/schema-v1.sql), holding a lobby session with known tokens, is
  opened by the current server: the session is restored, its tokens work,
  it starts and plays a turn, and the file is at the current version
  afterwards.
- A migration that cannot run (version 0 with a clashing `sessions` table)
  is refused, the server exits non-zero and the file stays at version 0
  with its data.
- A database of a newer version (user_version 99) is refused: the server
  exits non-zero with a message naming both versions, and the file's
  bytes are unchanged.
- A corrupt file (random bytes; a server-written database with one page
  overwritten) is refused: the server exits non-zero with a message, and
  the file's bytes are unchanged.
"""
import hashlib
import json
import os
import random
import secrets
import sqlite3
import time

from common import (Server, ServerFailed, Suite, check, file_digest,
                    parse_args, schema_version, HERE)

TABLES = {"sessions", "seats", "submissions", "readies", "turns", "prices",
          "production", "scores", "chat", "seat_controls", "channels",
          "negotiation_steps"}
VIEWS = {"v_prices", "v_production", "v_scores", "v_chat", "v_sessions",
         "v_seats", "v_turns", "v_submissions"}


def objects(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        rows = con.execute("SELECT type, name FROM sqlite_schema").fetchall()
        version = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    return ({n for t, n in rows if t == "table"},
            {n for t, n in rows if t == "view"}, version)


def start_stop(args, db):
    """Start a server on db, check it runs, stop it; returns its stderr."""
    srv = Server(args.server_bin, args.maps, db)
    c = srv.client()
    c.ping()
    c.close()
    status = srv.stop()
    check(status == 0, "the server exits 0", status, srv.stderr_tail())
    return srv.stderr_tail()


def refused(args, db):
    """Start a server on db and expect it to refuse: returns (status,
    stderr)."""
    try:
        srv = Server(args.server_bin, args.maps, db)
    except ServerFailed as e:
        return e.status, e.stderr
    srv.stop()
    raise AssertionError("the server started on %s" % db)


def t_v0_with_data(args, tmp):
    db = os.path.join(tmp, "v0.db")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE facilitator_notes (id INTEGER PRIMARY KEY, "
                "note TEXT)")
    notes = [(1, "class 3B, Tuesday"), (2, "remember the tariff debrief")]
    con.executemany("INSERT INTO facilitator_notes VALUES (?, ?)", notes)
    con.execute("PRAGMA user_version = 0")
    con.commit()
    con.close()
    err = start_stop(args, db)
    tables, views, version = objects(db)
    check(version == schema_version(), "migrated to the current version",
          version, err)
    check(TABLES <= tables and VIEWS <= views, "every table and view",
          tables, views)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    got = con.execute("SELECT id, note FROM facilitator_notes ORDER BY id")\
        .fetchall()
    con.close()
    check(got == notes, "the rows that were there are kept", got)
    # Opening it again migrates nothing and loses nothing.
    start_stop(args, db)
    check(objects(db)[2] == schema_version(), "still the current version")


def t_empty_file(args, tmp):
    db = os.path.join(tmp, "empty.db")
    open(db, "wb").close()
    start_stop(args, db)
    tables, views, version = objects(db)
    check(version == schema_version() and TABLES <= tables,
          "an empty file becomes a database of the current version",
          version, tables)


def blake(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def t_v1_fixture(args, tmp):
    db = os.path.join(tmp, "v1.db")
    with open(os.path.join(HERE, "fixtures", "schema-v1.sql")) as f:
        schema = f.read()
    with open(os.path.join(args.maps, "trade.json"), "rb") as f:
        map_bytes = f.read()
    m = json.loads(map_bytes)
    admin_tok = secrets.token_hex(16)
    tokens = {s["seat"]: secrets.token_hex(16) for s in m["seats"]}
    con = sqlite3.connect(db)
    con.executescript(schema)
    now = int(time.time() * 1000)
    con.execute("INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                "?,?)",
                ("sfixture", "written by hand at schema 1", m["id"],
                 map_bytes.decode(), blake(map_bytes), 5, m["turns"], 0, 0,
                 blake(admin_tok.encode()), "0.1.0", now, "lobby", 0, 0, 0))
    for i, s in enumerate(m["seats"]):
        con.execute("INSERT INTO seats (session_id, seat_index, seat, kind, "
                    "title, token_hash, code_hash, token_box) VALUES "
                    "(?,?,?,?,?,?,?,?)",
                    ("sfixture", i, s["seat"], s["kind"], s["title"],
                     blake(tokens[s["seat"]].encode()), os.urandom(32),
                     os.urandom(72)))
    # Chat of schema 1 has no channel: each row reads as the channel its
    # to_seat implies (issue 13, docs/protocol.md "Channels").
    for i, (frm, to) in enumerate((("AAA", "all"), ("AAA", "BBB"),
                                   ("admin", "BBB"), ("a_miner", "a_miner"))):
        con.execute("INSERT INTO chat (session_id, turn, from_seat, to_seat,"
                    " text, created_ms) VALUES (?,?,?,?,?,?)",
                    ("sfixture", 0, frm, to, "old%d" % i, now + i))
    con.commit()
    con.close()
    check(objects(db)[2] == 1, "the fixture is at version 1")

    srv = Server(args.server_bin, args.maps, db)
    try:
        c = srv.client()
        listed = [s for s in c.sessions() if s["session"] == "sfixture"]
        check(len(listed) == 1 and listed[0]["status"] == "lobby",
              "the version-1 session is restored", listed)
        seats = []
        for s in m["seats"]:
            p = srv.client()
            r = p.join("sfixture", token=tokens[s["seat"]])
            check(r["seat"] == s["seat"], "its tokens still work", r)
            seats.append(p)
        want = {"AAA": [("all", "old0"), ("dm:AAA:BBB", "old1")],
                "BBB": [("all", "old0"), ("dm:AAA:BBB", "old1"),
                        ("control:BBB", "old2")],
                "a_miner": [("all", "old0"), ("team:a_miner", "old3")]}
        for seat, p in zip([s["seat"] for s in m["seats"]], seats):
            h = p.call("chat.history", session="sfixture",
                       token=tokens[seat])
            check([(x["channel"], x["text"]) for x in h] == want[seat],
                  "old chat reads as the channel its `to` implies", seat, h)
        seats[0].chat("new", to="all")
        h = seats[1].call("chat.history", session="sfixture",
                          token=tokens["BBB"], after=h[-1]["id"])
        check([x["text"] for x in h] == ["new"] and h[0]["id"] > 4,
              "new messages' ids follow the old ones", h)
        check(c.start("sfixture", admin_tok) == {"status": "running"},
              "its admin token starts it")
        for p in seats:
            p.submit([], ready=True)
        n = seats[0].wait_for("turn.resolved", timeout=20)
        check(n["turn"] == 0, "it plays a turn", n.params)
        for p in seats:
            p.close()
        c.close()
    finally:
        status = srv.stop()
    check(status == 0, "the server exits 0", status, srv.stderr_tail())
    tables, views, version = objects(db)
    check(version == schema_version(), "the file is at the current version",
          version)
    check(TABLES <= tables and VIEWS <= views, "every table and view",
          tables, views)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    n = con.execute("SELECT COUNT(*) FROM turns WHERE session_id = "
                    "'sfixture'").fetchone()[0]
    con.close()
    check(n == 1, "the turn is stored", n)


def t_failed_migration(args, tmp):
    db = os.path.join(tmp, "clash.db")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE sessions (mine TEXT)")
    con.execute("INSERT INTO sessions VALUES ('keep me')")
    con.commit()
    con.close()
    status, err = refused(args, db)
    check(status != 0, "the server exits non-zero", status)
    check("cannot be migrated from schema 0 to 1" in err and
          "left at schema 0" in err, "the message says why", err)
    tables, views, version = objects(db)
    check(version == 0 and tables == {"sessions"} and not views,
          "the failed migration left nothing behind", tables, views, version)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    check(con.execute("SELECT mine FROM sessions").fetchall() ==
          [("keep me",)], "the data is kept")
    con.close()


def t_newer(args, tmp):
    db = os.path.join(tmp, "newer.db")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE future (x)")
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    before = file_digest(db)
    status, err = refused(args, db)
    check(status != 0, "the server exits non-zero", status)
    check("99" in err and str(schema_version()) in err and "newer" in err,
          "the message names both versions", err)
    check(file_digest(db) == before, "the file's bytes are unchanged")


def t_random_bytes(args, tmp):
    db = os.path.join(tmp, "noise.db")
    rng = random.Random(1234)
    with open(db, "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(16384)))
    before = file_digest(db)
    status, err = refused(args, db)
    check(status != 0, "the server exits non-zero", status)
    check("not a Lanthanide database" in err, "the message says why", err)
    check(file_digest(db) == before, "the file's bytes are unchanged")


def t_damaged_page(args, tmp):
    db = os.path.join(tmp, "damaged.db")
    # A real database with some content, closed cleanly (WAL folded in).
    srv = Server(args.server_bin, args.maps, db)
    c = srv.client()
    for i in range(5):
        c.create_session("classroom", seed=i, name="game %d" % i)
    c.close()
    check(srv.stop() == 0, "the server exits 0")
    with open(db, "rb") as f:
        data = bytearray(f.read())
    page = int.from_bytes(data[16:18], "big")
    page = 65536 if page == 1 else page
    check(len(data) >= 4 * page, "a database of several pages", len(data))
    # Page 2 holds the root of the first table: garbage there is damage
    # that any read of the sessions finds.
    rng = random.Random(99)
    data[page:2 * page] = bytes(rng.randrange(256) for _ in range(page))
    with open(db, "wb") as f:
        f.write(data)
    before = file_digest(db)
    status, err = refused(args, db)
    check(status != 0, "the server exits non-zero", status)
    check("damaged" in err or "malformed" in err, "the message says why",
          err)
    check(file_digest(db) == before, "the file's bytes are unchanged")


def main():
    args = parse_args(__doc__)
    suite = Suite(args)
    suite.run("version 0 with foreign data migrates, keeping it",
              t_v0_with_data, args, suite.tmp)
    suite.run("an empty file migrates", t_empty_file, args, suite.tmp)
    suite.run("a hand-written version-1 database opens and plays",
              t_v1_fixture, args, suite.tmp)
    suite.run("a migration that fails is rolled back and refused",
              t_failed_migration, args, suite.tmp)
    suite.run("a newer version is refused, bytes unchanged", t_newer, args,
              suite.tmp)
    suite.run("random bytes are refused, bytes unchanged", t_random_bytes,
              args, suite.tmp)
    suite.run("a damaged page is refused, bytes unchanged", t_damaged_page,
              args, suite.tmp)
    return suite.finish()


if __name__ == "__main__":
    raise SystemExit(main())
