"""Finished sessions past --max-finished leave memory, not the file
(docs/storage.md, "Finished sessions"), and what a session's rows hold.

- With --max-finished 2, finishing a third session unloads the one that
  finished first: session.list and history.get no longer show it, it is
  counted (sessions_unloaded), and its rows stay in the file. Its tokens
  stay the server's: used on another session they are `forbidden`, never
  `unauthorized`, before and after a restart.
- At start the server restores every session in play and only the newest
  --max-finished finished ones.
- A player's name is cut to the column's 63 bytes at a character
  boundary: the stored name is valid UTF-8.
"""
import os

from common import Server, Suite, check, db_query, parse_args


def listed(client):
    return {s["session"]: s["status"] for s in client.sessions()}


def t_max_finished(args, tmp):
    db = os.path.join(tmp, "finished.db")
    srv = Server(args.server_bin, args.maps, db, ["--max-finished", "2"])
    games = []
    try:
        admin = srv.client()
        for _ in range(4):
            r = admin.create_session("classroom", turns=2)
            games.append((r["session"], r["admin_token"],
                          r["seats"][0]["join_code"]))
        seat_tok = admin.join(games[0][0],
                              join_code=games[0][2])["token"]
        # Finish the first three, oldest first.
        for sid, atok, _ in games[:3]:
            check(admin.stop(sid, atok) == {"status": "finished"},
                  "session.stop finishes it")
        ids = [g[0] for g in games]
        now = listed(admin)
        check(ids[0] not in now, "the first finished is unloaded", now)
        check(now.get(ids[1]) == "finished" and now.get(ids[2]) == "finished"
              and now.get(ids[3]) == "lobby",
              "the newest two finished and the one in play are listed", now)
        err, _ = admin.try_call("history.get", session=ids[0],
                                admin_token=games[0][1])
        check(err and err["code"] == "not_found",
              "history.get of an unloaded session: not_found", err)
        err, _ = admin.try_call("state.get", session=ids[3], token=seat_tok)
        check(err and err["code"] == "forbidden",
              "an unloaded session's token is still the server's: forbidden",
              err)
        stats = admin.call("server.stats")
        check(stats["sessions_unloaded"] == 1, "the unload is counted",
              stats["sessions_unloaded"])
    finally:
        check(srv.stop() == 0, "the server exits 0")
    rows = db_query(db, "SELECT id, status FROM sessions ORDER BY id")
    check(len(rows) == 4 and dict(rows)[ids[0]] == "finished",
          "every session, the unloaded one included, is in the file", rows)

    # A restart restores the two newest finished and the one in play.
    srv = Server(args.server_bin, args.maps, db, ["--max-finished", "2"])
    try:
        c = srv.client()
        now = listed(c)
        check(set(now) == set(ids[1:]), "restored: the newest 2 finished "
              "and the one in play", now, ids)
        err, _ = c.try_call("state.get", session=ids[3], token=seat_tok)
        check(err and err["code"] == "forbidden",
              "restored: an unrestored session's token is still forbidden",
              err)
    finally:
        check(srv.stop() == 0, "the server exits 0")
    srv = Server(args.server_bin, args.maps, db, ["--max-finished", "0"])
    try:
        now = listed(srv.client())
        check(set(now) == {ids[3]}, "--max-finished 0 restores only the "
              "sessions in play", now)
    finally:
        check(srv.stop() == 0, "the server exits 0")


def t_long_name(args, tmp):
    db = os.path.join(tmp, "names.db")
    srv = Server(args.server_bin, args.maps, db)
    try:
        admin = srv.client()
        r = admin.create_session("classroom", turns=1)
        code = r["seats"][0]["join_code"]
        # 35 two-byte characters (70 bytes): a cut at 63 bytes would split
        # the 32nd.
        admin.join(r["session"], join_code=code, name="é" * 35)
    finally:
        check(srv.stop() == 0, "the server exits 0")
    raw = db_query(db, "SELECT CAST(name AS BLOB) FROM seats WHERE "
                   "session_id = ? AND seat_index = 0", (r["session"],))[0][0]
    check(len(raw) <= 63, "the name fits the column", len(raw))
    check(raw.decode("utf-8") == "é" * 31,
          "the name is cut at a character boundary", raw)


def main():
    args = parse_args(__doc__)
    suite = Suite(args)
    suite.run("finished sessions past --max-finished leave memory only",
              t_max_finished, args, suite.tmp)
    suite.run("a long player name is cut between characters", t_long_name,
              args, suite.tmp)
    return suite.finish()


if __name__ == "__main__":
    raise SystemExit(main())
