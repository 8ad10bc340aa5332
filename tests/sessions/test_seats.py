#!/usr/bin/python3
"""Seat control (issue 10, finding 8): the facilitator can lock a seat,
re-issue its join code, revoke (rotate) its token, rotate the admin token,
and session.bot does not take a person's seat without force.

Before this, a join code stayed valid for ever: whoever saw the projected
sheet could take a seat over in the middle of the game, and the
facilitator could neither lock, re-issue nor revoke. Every change here is
stored: a restarted server (after SIGKILL) keeps the lock, the new code,
the new tokens and the new admin token.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (LIVE_S, Game, Server, Suite, check,  # noqa: E402
                     expect_error, settle, take)
import lanserver  # noqa: E402

suite = Suite(__doc__)


def stats(c):
    return c.call("server.stats")


def counted(c, before, name, n=1):
    got = stats(c)[name]
    check(got == before[name] + n, "%s moved by %d" % (name, n),
          before[name], got)


@suite.test
def lock_refuses_the_code_and_keeps_the_token(server):
    admin = server.client()
    g = Game(admin, "classroom", turns=3)
    holder = server.client()
    tok = g.join(holder, "CHN", name="Ada")
    before = stats(admin)
    res = admin.lock_seat(g.id, g.admin_token, "CHN", True)
    check(res == {"seat": "CHN", "locked": True}, "seat.lock answers", res)
    counted(admin, before, "seat_locks")

    thief = server.client()
    err = expect_error("forbidden", thief.join, g.id, join_code=g.codes["CHN"],
                       field="join_code")
    check("locked" in err.message and "token" in err.message,
          "the error says the seat is locked and how to come back",
          err.message)
    counted(admin, before, "join_refused_locked")
    # A right code on a locked seat is not a guess: no rate-limit charge.
    check(stats(admin)["join_rate_limited"] == before["join_rate_limited"],
          "not rate limited")

    # The holder reconnects with the token, from another connection too.
    again = server.client()
    res = again.join(g.id, token=tok)
    check(res == {"seat": "CHN", "token": tok}, "the token still joins", res)

    # Unlocked, the code works again and gives the same token.
    res = admin.lock_seat(g.id, g.admin_token, "CHN", False)
    check(res == {"seat": "CHN", "locked": False}, "unlocked", res)
    counted(admin, before, "seat_unlocks")
    res = server.client().join(g.id, join_code=g.codes["CHN"])
    check(res["token"] == tok, "the code joins again after unlock", res)


@suite.test
def seat_methods_refuse_wrong_callers(server):
    admin = server.client()
    g = Game(admin, "classroom", turns=3)
    other = Game(admin, "classroom", turns=3)
    seat_tok = g.join(server.client(), "USA")
    c = server.client()
    calls = [("seat.lock", {"seat": "USA", "locked": True}),
             ("seat.reissue_code", {"seat": "USA"}),
             ("seat.rotate_token", {"seat": "USA"}),
             ("session.rotate_admin_token", {})]
    for method, extra in calls:
        p = dict(extra, session=g.id)
        for key, tok, code in (("admin_token", "5eed" * 8, "unauthorized"),
                               ("admin_token", seat_tok, "forbidden"),
                               ("admin_token", other.admin_token,
                                "forbidden"),
                               (None, None, "unauthorized")):
            q = dict(p)
            if key:
                q[key] = tok
            err, _ = c.try_call(method, q)
            check(err is not None and err["code"] == code,
                  "%s with %s: %s" % (method, tok, code), err)
        if "seat" in extra:
            q = dict(p, admin_token=g.admin_token, seat="ZZZ")
            err, _ = c.try_call(method, q)
            check(err is not None and err["code"] == "not_found" and
                  err["field"] == "seat", "%s: unknown seat" % method, err)
    err, _ = c.try_call("seat.lock", session=g.id, admin_token=g.admin_token,
                        seat="USA")
    check(err is not None and err["code"] == "bad_request" and
          err["field"] == "locked", "seat.lock needs locked", err)
    # Nothing changed: the seat token and the code still work.
    check(server.client().join(g.id, join_code=g.codes["USA"])["token"] ==
          seat_tok, "the code still works")


@suite.test
def reissue_code_retires_the_old_code(server):
    admin = server.client()
    g = Game(admin, "classroom", turns=3)
    holder = server.client()
    tok = g.join(holder, "USA")
    before = stats(admin)
    res = admin.reissue_code(g.id, g.admin_token, "USA")
    check(res["seat"] == "USA" and len(res["join_code"]) == 10 and
          res["join_code"] != g.codes["USA"], "a new code", res)
    counted(admin, before, "codes_reissued")
    err = expect_error("unauthorized", server.client().join, g.id,
                       join_code=g.codes["USA"], field="join_code")
    check("join code" in err.message, "the old code is refused", err.message)
    # The new code gives the seat's token (the holder keeps playing).
    res2 = server.client().join(g.id, join_code=res["join_code"])
    check(res2 == {"seat": "USA", "token": tok}, "the new code, same token",
          res2)
    check(holder.state(g.id, tok)["seat"] == "USA", "the token still works")


@suite.test
def rotate_token_revokes_and_tells_the_holder(server):
    admin = server.client()
    g = Game(admin, "classroom", turns=3)
    holder, watcher = server.client(), server.client()
    tok = g.join(holder, "EUU", name="Eve")
    check(watcher.watch(g.id, token=tok) == {}, "watching with the token")
    before = stats(admin)
    res = admin.rotate_token(g.id, g.admin_token, "EUU")
    check(res == {"seat": "EUU"}, "seat.rotate_token answers the seat", res)
    counted(admin, before, "tokens_revoked")
    for c in (holder, watcher):
        n = c.wait_for("seat.revoked", timeout=LIVE_S)
        check(n["session"] == g.id and n["seat"] == "EUU",
              "seat.revoked names the seat", n.params)
    # The old token is no token of this server any more.
    err = expect_error("unauthorized", holder.state, g.id, tok, field="token")
    check("not known" in err.message, err.message)
    expect_error("unauthorized", server.client().join, g.id, token=tok)
    # The old code is gone too; the seat is free.
    expect_error("unauthorized", server.client().join, g.id,
                 join_code=g.codes["EUU"])
    check(g.seat_listing("EUU")["taken"] is False, "the seat is free again")
    # The facilitator hands out a fresh code: it joins with a new token.
    code = admin.reissue_code(g.id, g.admin_token, "EUU")["join_code"]
    res = server.client().join(g.id, join_code=code)
    check(res["seat"] == "EUU" and res["token"] != tok, "a new token", res)
    check(server.client().state(g.id, res["token"])["seat"] == "EUU",
          "the new token works")


@suite.test
def rotate_admin_token(server):
    admin, follower = server.client(), server.client()
    g = Game(admin, "classroom", turns=3)
    tok = g.join(server.client(), "CHN")
    g.watch(admin)
    check(follower.watch(g.id, admin_token=g.admin_token) == {},
          "another connection watches as the admin")
    before = stats(admin)
    res = admin.rotate_admin_token(g.id, g.admin_token)
    new = res["admin_token"]
    check(len(new) == 32 and new != g.admin_token, "a new admin token", res)
    counted(admin, before, "admin_tokens_rotated")
    n = follower.wait_for("session.admin_rotated", timeout=LIVE_S)
    check(n["session"] == g.id, "the other admin watcher is told", n.params)
    settle(admin)
    check(not take(admin, "session.admin_rotated"),
          "the caller's own connection is not told")
    err = expect_error("unauthorized", admin.start, g.id, g.admin_token,
                       field="admin_token")
    check("not known" in err.message, err.message)
    # The new token does everything, re-issuing codes for the same tokens
    # included (the seats' sealed tokens moved to it).
    code = admin.reissue_code(g.id, new, "CHN")["join_code"]
    check(server.client().join(g.id, join_code=code)["token"] == tok,
          "a code re-issued under the new admin token gives the same token")
    check(admin.start(g.id, new) == {"status": "running"}, "start works")


@suite.test
def bot_on_a_persons_seat_needs_force(server):
    admin = server.client()
    g = Game(admin, "classroom", turns=3)
    person = server.client()
    tok = g.join(person, "USA", name="Ada")
    before = stats(admin)
    err = expect_error("conflict", admin.bot, g.id, g.admin_token, "USA",
                       "standing", field="seat")
    check("force" in err.message and "Ada" in err.message, err.message)
    counted(admin, before, "bot_refused_person")
    check(g.seat_listing("USA")["agent"] is None, "no agent was put on it")
    # A seat nobody joined takes an agent without force.
    check(admin.bot(g.id, g.admin_token, "EUU") == {"seat": "EUU"}, "free seat")
    # With force: the agent plays, and the person is told.
    res = admin.bot(g.id, g.admin_token, "USA", "standing", force=True)
    check(res == {"seat": "USA"}, "forced", res)
    counted(admin, before, "bot_forced")
    n = person.wait_for("seat.agent", timeout=LIVE_S)
    check(n["seat"] == "USA" and n["strategy"] == "standing",
          "seat.agent names the seat and the strategy", n.params)
    check(g.seat_listing("USA")["agent"] == "standing", "the agent plays")
    # The seat is the agent's now: another bot call needs no force.
    check(admin.bot(g.id, g.admin_token, "USA", "standing") == {"seat": "USA"},
          "replacing an agent needs no force")
    # The person can still take it back with the token (unless revoked).
    check(person.join(g.id, token=tok)["seat"] == "USA", "taken back")


@suite.test
def changes_survive_a_restart(server):
    tmp = server.tmp
    db = os.path.join(tmp, "restart.db")
    args = suite.args

    def start():
        return lanserver.Server(args.server_bin, args.maps, db, (),
                                timeout=10.0,
                                err_path=os.path.join(tmp, "restart.log"))

    srv = start()
    try:
        admin = srv.client()
        g = Game(admin, "classroom", turns=3)
        chn_tok = g.join(srv.client(), "CHN")
        usa_tok = g.join(srv.client(), "USA")
        eu_tok = g.join(srv.client(), "EUU")
        admin.lock_seat(g.id, g.admin_token, "CHN", True)
        usa_code = admin.reissue_code(g.id, g.admin_token, "USA")["join_code"]
        admin.rotate_token(g.id, g.admin_token, "EUU")
        new_admin = admin.rotate_admin_token(g.id, g.admin_token)["admin_token"]
    finally:
        srv.kill9()  # every answer above was durable: nothing may be lost
    srv = start()
    try:
        c = srv.client()
        expect_error("forbidden", c.join, g.id, join_code=g.codes["CHN"])
        check(c.join(g.id, token=chn_tok)["seat"] == "CHN",
              "the locked seat's token still works")
        expect_error("unauthorized", c.join, g.id, join_code=g.codes["USA"])
        check(srv.client().join(g.id, join_code=usa_code)["token"] == usa_tok,
              "the re-issued code gives the same token after a restart")
        expect_error("unauthorized", c.state, g.id, eu_tok)
        expect_error("unauthorized", c.start, g.id, g.admin_token)
        # The new admin token works, with the seats' sealed tokens.
        code = c.reissue_code(g.id, new_admin, "CHN")["join_code"]
        expect_error("forbidden", srv.client().join, g.id, join_code=code)
        c.lock_seat(g.id, new_admin, "CHN", False)
        check(srv.client().join(g.id, join_code=code)["token"] == chn_tok,
              "unlocked, the new code gives CHN's token")
        check(srv.stop() == 0, "the server exits 0")
    finally:
        srv.kill9()


@suite.test
def session_without_admin_boxes(server):
    """A session created before schema 4 has no seat_controls rows (no
    token sealed under the admin token): seat.reissue_code then gives the
    seat a new token too, and its holder is told (seat.revoked). The file
    is made a schema-3 one (no seat_controls table, no sessions.creator,
    user_version 3), as servers before seat control wrote it, and the
    server migrates it."""
    import sqlite3
    tmp = server.tmp
    db = os.path.join(tmp, "legacy.db")
    args = suite.args

    def start():
        return lanserver.Server(args.server_bin, args.maps, db, (),
                                timeout=10.0,
                                err_path=os.path.join(tmp, "legacy.log"))

    srv = start()
    try:
        g = Game(srv.client(), "classroom", turns=3)
        tok = g.join(srv.client(), "USA")
    finally:
        check(srv.stop() == 0, "the server exits 0")
    con = sqlite3.connect(db)
    con.execute("DROP TABLE seat_controls")
    # What later schemas added goes too (5: sessions.creator, 6:
    # sessions.deleted_ms, 7: observers).
    con.execute("ALTER TABLE sessions DROP COLUMN creator")
    con.execute("ALTER TABLE sessions DROP COLUMN deleted_ms")
    con.execute("DROP TABLE observers")
    con.execute("PRAGMA user_version = 3")
    con.commit()
    con.close()
    srv = start()
    try:
        holder = srv.client()
        check(holder.join(g.id, token=tok)["seat"] == "USA", "reconnected")
        admin = srv.client()
        code = admin.reissue_code(g.id, g.admin_token, "USA")["join_code"]
        n = holder.wait_for("seat.revoked", timeout=LIVE_S)
        check(n["seat"] == "USA", "the holder is told", n.params)
        expect_error("unauthorized", holder.state, g.id, tok)
        res = srv.client().join(g.id, join_code=code)
        check(res["seat"] == "USA" and res["token"] != tok,
              "the re-issued code joins a new token", res)
        # From now on the seat has an admin box: the next code keeps it.
        code2 = admin.reissue_code(g.id, g.admin_token, "USA")["join_code"]
        check(srv.client().join(g.id, join_code=code2)["token"] ==
              res["token"], "the next re-issue keeps the token")
        check(srv.stop() == 0, "the server exits 0")
    finally:
        srv.kill9()
    con = sqlite3.connect(db)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    n = con.execute("SELECT COUNT(*) FROM seat_controls WHERE session_id = ?"
                    " AND admin_box IS NOT NULL", (g.id,)).fetchone()[0]
    con.close()
    check(version >= 4 and n == 1, "migrated from 3 to 4 (and on); USA's "
          "box is stored", version, n)


@suite.test
def cli_admin_subcommands(server):
    """lanthanide admin lock|unlock|reissue|revoke|rotate-admin, and bot
    --force."""
    import json
    import subprocess
    cli = os.path.join(os.path.dirname(os.path.abspath(suite.args.server_bin)),
                       "lanthanide")
    admin = server.client()
    g = Game(admin, "classroom", turns=3)
    tok = g.join(server.client(), "CHN")
    srv = ["--server", "127.0.0.1:%d" % server.port]

    def run(*args, expect=0, atok=None):
        argv = [cli, "admin", args[0]] + srv + ["--session", g.id,
                                               "--admin-token",
                                               atok or g.admin_token]
        argv += list(args[1:])
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=LIVE_S)
        check(p.returncode == expect, "%s: exit %d" % (" ".join(args), expect),
              p.returncode, p.stdout, p.stderr)
        return p.stdout, p.stderr

    out, _ = run("lock", "--seat", "CHN")
    check("locked" in out, "lock says so", out)
    expect_error("forbidden", server.client().join, g.id,
                 join_code=g.codes["CHN"])
    run("lock", expect=2)  # no --seat
    out, _ = run("unlock", "--seat", "CHN")
    check("unlocked" in out, "unlock says so", out)
    out, _ = run("reissue", "--seat", "CHN", "--json")
    code = json.loads(out)["join_code"]
    expect_error("unauthorized", server.client().join, g.id,
                 join_code=g.codes["CHN"])
    check(server.client().join(g.id, join_code=code)["token"] == tok,
          "the re-issued code from the CLI joins the seat")
    out, _ = run("reissue", "--seat", "USA")
    check("New join code for seat USA" in out, "reissue prints the code", out)
    _, err = run("bot", "--seat", "CHN", "--strategy", "standing", expect=1)
    check("--force" in err, "bot on a person's seat points at --force", err)
    run("bot", "--seat", "CHN", "--strategy", "standing", "--force")
    out, _ = run("revoke", "--seat", "CHN")
    check("revoked" in out, "revoke says so", out)
    expect_error("unauthorized", server.client().state, g.id, tok)
    out, _ = run("rotate-admin", "--json")
    new = json.loads(out)["admin_token"]
    _, err = run("lock", "--seat", "USA", expect=1)
    check("unauthorized" in err, "the old admin token is refused", err)
    run("lock", "--seat", "USA", atok=new)


sys.exit(suite.run())
