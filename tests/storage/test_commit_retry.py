"""A commit that fails drops nothing, and a restart agrees with memory
(docs/storage.md, "When a commit fails").

- Another process holds the database's write lock (BEGIN IMMEDIATE, as a
  `sqlite3` shell left open would) while a player submits orders: its
  answer does not come back while the lock is held. Once the server
  knows its commits fail (store_commit_failures), new requests that
  would store something (chat.send, turn.ready) are refused at once with
  `unavailable` (issue 10), counted in durable_refused, and nothing of
  theirs is kept. Once the lock is released the server's retry commits
  what it kept: the held answer arrives; the refused requests, sent
  again, are taken; the chat message is delivered. After kill -9 and a
  restart, the session is where the running server had it: the resolved
  turn, the next turn's ready flags, the submission and the chat message
  are in the file.
- A seat that said ready, was handed to an agent and taken back by its
  person is not ready any more, in memory and, after kill -9 and a
  restart, in the file too.
- Seat control (docs/protocol.md "Seat control") follows the same rules:
  the notification a change causes (seat.moved of session.join,
  seat.revoked of seat.rotate_token,
  session.admin_rotated of session.rotate_admin_token, seat.agent of
  session.bot with force) is not sent while the change's commit fails,
  and is once the retry commits it; while commits fail, seat.lock,
  seat.reissue_code, seat.rotate_token, session.rotate_admin_token (and
  session.bot) are refused at once with `unavailable`, counted in
  durable_refused, and change nothing (the seat's token, its code and the
  admin token still work, the seat is not locked).
- Lobby expiry (--lobby-expiry-s) follows them too. While commits fail,
  no lobby session expires: it stays in session.list and in the file,
  and its watcher is told nothing; once the retry commits, it expires,
  its watcher gets session.expired and its rows are gone. A session whose
  deletion was queued while commits worked, and whose commit then fails,
  leaves memory at once, but its watcher gets session.expired only after
  the retry commits the deletion (never before its rows are gone).
- session.reset and session.delete (issue 14) follow them too: while
  commits fail both are refused at once with `unavailable`, counted in
  durable_refused; a reset queued before the failure is told
  (session.reset) only once the retry commits it. A purged session loses
  every row keyed by it, its seat locks (seat_controls) included.
"""
import os
import sqlite3
import time

from common import Server, Suite, check, db_query, parse_args

SEATS = ["CHN", "USA", "EUU", "dragon_mining", "dragon_separation",
         "dragon_magnets", "mountain_minerals", "kangaroo_rare",
         "euro_magnets"]
PLAYERS = ["CHN", "USA"]


def new_game(srv, turns=4):
    """A classroom session with PLAYERS joined (each on its own
    connection) and the other seats played by `standing` agents, started,
    no deadline. Returns (admin, watcher, session, admin token, {seat:
    (client, token)})."""
    admin = srv.client()
    r = admin.create_session("classroom", turns=turns, turn_seconds=0)
    sid, atok = r["session"], r["admin_token"]
    codes = {s["seat"]: s["join_code"] for s in r["seats"]}
    players = {}
    for seat in PLAYERS:
        c = srv.client()
        players[seat] = (c, c.join(sid, join_code=codes[seat])["token"])
    for seat in SEATS:
        if seat not in PLAYERS:
            admin.bot(sid, atok, seat, "standing")
    watcher = srv.client()
    watcher.watch(sid, admin_token=atok)
    admin.start(sid, atok)
    return admin, watcher, sid, atok, players


def lock(db):
    """Take the write lock as another process would; returns the
    connection that holds it."""
    con = sqlite3.connect(db, isolation_level=None, timeout=5)
    con.execute("BEGIN IMMEDIATE")
    return con


def nothing_for(client, seconds):
    """Read for a while; returns the notifications queued on the client
    (it keeps them)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        client.poll()
        time.sleep(0.01)
    return client.pending_notifications()


def answered_within(client, msgid, seconds):
    """Did the answer to msgid come within seconds? (It stays claimable
    later only if it did not.)"""
    try:
        client.response(msgid, timeout=seconds)
        return True
    except TimeoutError:
        return False


def t_failed_commit_retried(args, tmp):
    db = os.path.join(tmp, "retry.db")
    srv = Server(args.server_bin, args.maps, db)
    try:
        admin, watcher, sid, atok, players = new_game(srv)
        chn, chn_tok = players["CHN"]
        usa, usa_tok = players["USA"]
        orders = [{"op": "policy", "kind": "tax", "rate": 0.1}]

        other = lock(db)
        m_submit = chn.send("orders.submit", session=sid, token=chn_tok,
                            orders=orders, ready=True)
        # While the lock is held the answer cannot come back.
        check(not answered_within(chn, m_submit, 0.2),
              "no answer while the file is locked", m_submit)
        probe = srv.client()
        end = time.monotonic() + 10
        while probe.call("server.stats")["store_commit_failures"] == 0:
            check(time.monotonic() < end, "the failed commit is counted")
            time.sleep(0.02)
        # The server knows its commits fail: what would be stored is
        # refused at once, before anything changes (issue 10).
        for c, method, kw in (
                (usa, "chat.send", dict(token=usa_tok, to="all",
                                        text="refused")),
                (usa, "turn.ready", dict(token=usa_tok))):
            e, _ = c.try_call(method, session=sid, **kw)
            check(e and e.get("code") == "unavailable" and
                  "cannot write its database" in e.get("message", ""),
                  "%s is refused with unavailable at once" % method, e)
        check(probe.call("server.stats")["durable_refused"] == 2,
              "the refusals are counted")
        check(not answered_within(chn, m_submit, 0.1),
              "still no answer while the file is locked", m_submit)
        # The server keeps serving meanwhile.
        check(probe.ping() == {}, "ping answers while locked")
        other.execute("ROLLBACK")
        other.close()

        res = chn.result(m_submit, timeout=10)
        check(res["turn"] == 0 and res["rejected"] == [],
              "the held orders.submit is answered after the retry", res)
        check(chn.call("chat.send", session=sid, token=chn_tok, to="all",
                       text="while locked") == {}, "chat.send answered")
        res = usa.call("turn.ready", session=sid, token=usa_tok)
        check(res["turn"] == 0, "turn.ready answered for turn 0", res)
        n = watcher.wait_for("chat.message", timeout=10)
        check(n["text"] == "while locked", "chat.message after the commit",
              n.params)
        watcher.wait_for("turn.resolved", timeout=10,
                         predicate=lambda x: x["turn"] == 0)
        stats = admin.call("server.stats")
        check(stats["store_commit_failures"] >= 1,
              "the failed commits are counted", stats)
        # Turn 1: CHN says ready again; the file must know it after a crash.
        chn.ready(session=sid, token=chn_tok)
        state = chn.state(session=sid, token=chn_tok)
        check(state["turn"] == 1, "turn 1 is open", state["turn"])
    finally:
        srv.kill9()

    rows = db_query(db, "SELECT turn, seat_index FROM readies WHERE "
                    "session_id = ? ORDER BY turn, seat_index", (sid,))
    check((1, 0) in rows and (1, 1) not in rows,
          "the file holds CHN's ready for turn 1, not USA's", rows)
    check(db_query(db, "SELECT COUNT(*) FROM submissions WHERE session_id = ?"
                   " AND turn = 0 AND source = 'player'", (sid,))[0][0] == 1,
          "the submission sent while locked is stored")
    check(db_query(db, "SELECT text FROM chat WHERE session_id = ?", (sid,))
          == [("while locked",)], "the chat message is stored")

    srv = Server(args.server_bin, args.maps, db)
    try:
        c = srv.client()
        res = c.call("turn.ready", session=sid, token=usa_tok)
        check(res["turn"] == 1 and res["waiting"] == [],
              "restored: turn 1 with CHN ready (USA's ready resolves it)",
              res)
        hist = c.history(session=sid, admin_token=atok)
        check([h["turn"] for h in hist][:1] == [0],
              "restored: turn 0 in the history", hist)
    finally:
        check(srv.stop() == 0, "the server exits 0")


def t_takeover_clears_ready(args, tmp):
    db = os.path.join(tmp, "takeover.db")
    srv = Server(args.server_bin, args.maps, db)
    try:
        admin, watcher, sid, atok, players = new_game(srv)
        chn, chn_tok = players["CHN"]
        usa, usa_tok = players["USA"]
        chn.ready(session=sid, token=chn_tok)
        admin.bot(sid, atok, "CHN", "standing", force=True)
        chn.join(sid, token=chn_tok)  # the person takes the seat back
        res = usa.call("turn.ready", session=sid, token=usa_tok)
        check(res["waiting"] == ["CHN"],
              "live: CHN is not ready after taking its seat back", res)
    finally:
        srv.kill9()
    srv = Server(args.server_bin, args.maps, db)
    try:
        c = srv.client()
        res = c.call("turn.ready", session=sid, token=usa_tok)
        check(res["turn"] == 0 and res["waiting"] == ["CHN"],
              "restored: the same, CHN not ready", res)
    finally:
        check(srv.stop() == 0, "the server exits 0")


def failures(probe):
    return probe.call("server.stats")["store_commit_failures"]


def wait_failing(probe, since):
    """Wait until the server counts a failed commit after `since`."""
    end = time.monotonic() + 10
    while failures(probe) <= since:
        check(time.monotonic() < end, "the failed commit is counted")
        time.sleep(0.02)


def notes_named(client, seconds, *methods):
    return [n for n in nothing_for(client, seconds) if n.method in methods]


def t_seat_control_waits_for_commits(args, tmp):
    db = os.path.join(tmp, "control.db")
    srv = Server(args.server_bin, args.maps, db)
    try:
        admin, watcher, sid, atok, players = new_game(srv)
        chn, chn_tok = players["CHN"]
        usa, usa_tok = players["USA"]
        probe = srv.client()
        codes = {}

        # seat.rotate_token is taken; its commit fails: CHN is not told.
        other = lock(db)
        m = admin.send("seat.rotate_token", session=sid, admin_token=atok,
                       seat="CHN")
        wait_failing(probe, 0)
        check(not notes_named(chn, 0.3, "seat.revoked"),
              "no seat.revoked while the change is not committed")
        check(not answered_within(admin, m, 0.05),
              "no answer while the file is locked", m)

        # Commits fail: every seat-control method is refused at once and
        # changes nothing (another connection: admin's answers wait).
        other_admin = srv.client()
        refused0 = probe.call("server.stats")["durable_refused"]
        tried = (("seat.lock", dict(seat="USA", locked=True)),
                 ("seat.reissue_code", dict(seat="USA")),
                 ("seat.rotate_token", dict(seat="USA")),
                 ("session.rotate_admin_token", {}),
                 ("session.bot", dict(seat="USA", strategy="standing",
                                      force=True)))
        for method, kw in tried:
            e, _ = other_admin.try_call(method, session=sid,
                                        admin_token=atok, **kw)
            check(e and e.get("code") == "unavailable" and
                  "cannot write its database" in e.get("message", ""),
                  "%s is refused with unavailable at once" % method, e)
        check(probe.call("server.stats")["durable_refused"] ==
              refused0 + len(tried), "the refusals are counted")
        check(not notes_named(usa, 0.2, "seat.revoked", "seat.agent"),
              "USA is told nothing: nothing changed")
        check(not notes_named(watcher, 0.1, "session.admin_rotated"),
              "the admin's watcher is told nothing")

        other.execute("ROLLBACK")
        other.close()
        check(admin.result(m, timeout=10) == {"seat": "CHN"},
              "seat.rotate_token answered after the retry")
        n = chn.wait_for("seat.revoked", timeout=10)
        check(n["seat"] == "CHN", "seat.revoked after the commit", n.params)
        # The refused requests changed nothing.
        check(usa.state(session=sid, token=usa_tok)["seat"] == "USA",
              "USA's token still works")
        r = other_admin.reissue_code(sid, atok, "USA")
        codes["USA"] = r["join_code"]
        mover = srv.client()
        check(mover.join(sid, join_code=codes["USA"])["token"] == usa_tok,
              "USA is not locked, and its token is the same")
        usa.wait_for("seat.moved", timeout=10)
        # The first connection takes the seat back while the commit fails:
        # the one that lost it is told (seat.moved) only after the commit
        # (the same path as seat.revoked).
        other = lock(db)
        since = failures(probe)
        m = usa.send("session.join", session=sid, token=usa_tok)
        wait_failing(probe, since)
        check(not notes_named(mover, 0.3, "seat.moved"),
              "no seat.moved while the join is not committed")
        other.execute("ROLLBACK")
        other.close()
        check(usa.result(m, timeout=10)["seat"] == "USA", "USA joined again")
        mover.wait_for("seat.moved", timeout=10)

        # session.rotate_admin_token: the other watcher is told only after
        # the commit.
        other = lock(db)
        since = failures(probe)
        m = admin.send("session.rotate_admin_token", session=sid,
                       admin_token=atok)
        wait_failing(probe, since)
        check(not notes_named(watcher, 0.3, "session.admin_rotated"),
              "no session.admin_rotated while not committed")
        other.execute("ROLLBACK")
        other.close()
        atok = admin.result(m, timeout=10)["admin_token"]
        watcher.wait_for("session.admin_rotated", timeout=10)

        # session.bot with force: the person is told only after the commit.
        other = lock(db)
        since = failures(probe)
        m = admin.send("session.bot", session=sid, admin_token=atok,
                       seat="USA", strategy="standing", force=True)
        wait_failing(probe, since)
        check(not notes_named(usa, 0.3, "seat.agent"),
              "no seat.agent while not committed")
        other.execute("ROLLBACK")
        other.close()
        admin.result(m, timeout=10)
        n = usa.wait_for("seat.agent", timeout=10)
        check(n["seat"] == "USA" and n["strategy"] == "standing",
              "seat.agent after the commit", n.params)
    finally:
        check(srv.stop() == 0, "the server exits 0")


def listed(client, sid):
    page = client.call("session.list", limit=500)
    return any(x["session"] == sid for x in page["sessions"])


def stored(db, sid):
    return db_query(db, "SELECT COUNT(*) FROM sessions WHERE id = ?",
                    (sid,))[0][0]


def t_lobby_expiry_waits_for_commits(args, tmp):
    db = os.path.join(tmp, "expiry.db")
    srv = Server(args.server_bin, args.maps, db, ("--lobby-expiry-s", "1"))
    try:
        probe = srv.client()
        admin = srv.client()

        # Commits fail before the session is due: it does not expire.
        r = admin.create_session("classroom", turns=1)
        sid, atok = r["session"], r["admin_token"]
        watcher = srv.client()
        watcher.watch(sid, admin_token=atok)
        other = lock(db)
        m = admin.send("chat.send", session=sid, admin_token=atok, to="all",
                       text="anyone?")
        wait_failing(probe, 0)
        time.sleep(1.5)  # past its expiry, and several sweeps
        check(not notes_named(watcher, 0.5, "session.expired"),
              "no session.expired while commits fail")
        check(listed(probe, sid), "it is still listed (memory is not ahead "
              "of the file)")
        check(probe.call("server.stats")["lobby_expired"] == 0,
              "nothing expired")
        check(stored(db, sid) == 1, "its row is in the file")
        other.execute("ROLLBACK")
        other.close()
        admin.result(m, timeout=10)
        n = watcher.wait_for("session.expired", timeout=10)
        check(n["session"] == sid, "session.expired once commits work",
              n.params)
        check(stored(db, sid) == 0, "its rows were gone before it was told")
        check(not listed(probe, sid), "it left session.list")

        # The deletion is queued while commits work, and its commit fails:
        # the session leaves memory, the notice waits for the retry.
        r = admin.create_session("classroom", turns=1)
        sid, atok = r["session"], r["admin_token"]
        watcher.watch(sid, admin_token=atok)
        other = lock(db)
        since = failures(probe)
        end = time.monotonic() + 10
        while probe.call("server.stats")["lobby_expired"] < 2:
            check(time.monotonic() < end, "the second session expires")
            time.sleep(0.05)
        wait_failing(probe, since)
        check(not notes_named(watcher, 0.3, "session.expired"),
              "no session.expired before its deletion is committed")
        check(stored(db, sid) == 1, "its row is still in the file")
        other.execute("ROLLBACK")
        other.close()
        n = watcher.wait_for("session.expired", timeout=10)
        check(n["session"] == sid, "session.expired after the retry",
              n.params)
        check(stored(db, sid) == 0, "its rows are gone")
    finally:
        check(srv.stop() == 0, "the server exits 0")


def t_reset_delete_wait_for_commits(args, tmp):
    db = os.path.join(tmp, "reset.db")
    srv = Server(args.server_bin, args.maps, db)
    try:
        admin, watcher, sid, atok, players = new_game(srv)
        probe = srv.client()
        admin.call("seat.lock", session=sid, admin_token=atok, seat="USA",
                   locked=True)
        check(db_query(db, "SELECT COUNT(*) FROM seat_controls WHERE "
                       "session_id = ?", (sid,))[0][0] > 0,
              "the lock is stored in seat_controls")

        # A reset taken before the commits fail is told only after the
        # retry commits it.
        other = lock(db)
        m = admin.send("session.reset", session=sid, admin_token=atok,
                       seed=42)
        wait_failing(probe, 0)
        check(not notes_named(watcher, 0.3, "session.reset"),
              "no session.reset while the reset is not committed")
        check(not answered_within(admin, m, 0.05),
              "no answer while the file is locked", m)
        other_admin = srv.client()
        refused0 = probe.call("server.stats")["durable_refused"]
        for method, kw in (("session.reset", dict(seed=7)),
                           ("session.delete", dict(purge=True))):
            e, _ = other_admin.try_call(method, session=sid,
                                        admin_token=atok, **kw)
            check(e and e.get("code") == "unavailable" and
                  "cannot write its database" in e.get("message", ""),
                  "%s is refused with unavailable at once" % method, e)
        check(probe.call("server.stats")["durable_refused"] ==
              refused0 + 2, "the refusals are counted")
        other.execute("ROLLBACK")
        other.close()
        r = admin.result(m, timeout=10)
        check(r["seed"] == 42 and r["status"] == "lobby",
              "session.reset answered after the retry", r)
        n = watcher.wait_for("session.reset", timeout=10)
        check(n["seed"] == 42, "session.reset told after the commit",
              n.params)
        check(db_query(db, "SELECT seed FROM sessions WHERE id = ?",
                       (sid,)) == [(42,)], "the new seed is stored")

        # A purge removes every row keyed by the session.
        r = admin.call("session.delete", session=sid, admin_token=atok,
                       purge=True)
        check(r == {"session": sid, "purged": True}, "purged", r)
        for table, col in (("sessions", "id"), ("seats", "session_id"),
                           ("seat_controls", "session_id"),
                           ("chat", "session_id"), ("turns", "session_id")):
            check(db_query(db, "SELECT COUNT(*) FROM %s WHERE %s = ?"
                           % (table, col), (sid,)) == [(0,)],
                  "purge removes its rows from %s" % table)
    finally:
        check(srv.stop() == 0, "the server exits 0")


def main():
    args = parse_args(__doc__)
    suite = Suite(args)
    suite.run("a failed commit drops nothing and is retried",
              t_failed_commit_retried, args, suite.tmp)
    suite.run("a seat taken back from an agent is not ready, after a "
              "restart too", t_takeover_clears_ready, args, suite.tmp)
    suite.run("seat control: refused while commits fail, told after the "
              "commit", t_seat_control_waits_for_commits, args, suite.tmp)
    suite.run("lobby expiry: nothing expires while commits fail, "
              "session.expired after the commit",
              t_lobby_expiry_waits_for_commits, args, suite.tmp)
    suite.run("session.reset and session.delete: refused while commits "
              "fail, told after the commit",
              t_reset_delete_wait_for_commits, args, suite.tmp)
    return suite.finish()


if __name__ == "__main__":
    raise SystemExit(main())
