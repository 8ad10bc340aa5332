#!/usr/bin/python3
"""Review and forks (issue 13, the wargame control cell).

- A session created with review: true resolves each turn on a clone and
  holds the result: control (admin session.watch) gets turn.proposed with
  the outcome per seat; the players get nothing new, their state.get still
  shows the open turn with held: true, and orders.submit, turn.ready and
  session.advance are refused (conflict) while it is held.
- turn.release without amendments commits exactly what an unreviewed
  session of the same seed and orders commits (the same stored state hash
  and summary, turn after turn).
- turn.release with amendments (cash, production, refuse_order) applies
  them, stores each with its reason (table amendments), and `lanthanide
  replay --verify` re-applies them and matches every stored hash.
- Bad amendments get clear errors and leave the turn held.
- A held turn stays held across a restart (the same outcome), and its
  release then commits what it would have committed before.
- A held turn stops the clock: a deadline passes and nothing more
  resolves; pause and resume keep it held; a release while paused opens
  the next turn paused.
- session.fork: a new session paused at the turn, identical before it
  (the same stored hashes), equal to the original after it when played
  with the same orders (bit for bit, replay passes) and different with
  other orders; it counts against --max-sessions.
- A fork carries the control cell's events and the players' agreements:
  an inject fired and a scripted event cancelled before its turn, and a
  contract negotiated over the wire, replay in the fork hash for hash;
  injects of its turn or later are pending in it (those that fired or
  were cancelled later in the original too) and fire in the fork; its
  opened channels, open negotiations and scripted_events flag are the
  original's; chat is not copied.
- timeline.get of a review session holds its injects (made, fired,
  cancelled), amendments and releases (no `resolved`: a reviewed turn is
  stored when released), in time order, each amendment before the release
  it came with; a fork's holds `fork` and the turns it copied.
"""
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CLASSROOM_SEATS, LIVE_S, Game, Server, Suite,  # noqa: E402
                     check, expect_error, notes_of, settle, take,
                     wait_queued)

import lanserver  # noqa: E402

suite = Suite(__doc__)

TAX = {"op": "policy", "kind": "tax", "rate": 0.2}
TAX2 = {"op": "policy", "kind": "tax", "rate": 0.35}
BOTS = [s for s in CLASSROOM_SEATS if s != "USA"]


def rows(db, sql, *args):
    with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as con:
        return con.execute(sql, args).fetchall()


def hashes(db, session):
    return [(t, bytes(h)) for t, h in rows(
        db, "SELECT turn, state_hash FROM turns WHERE session_id = ? "
        "ORDER BY turn", session)]


def replay(server, session):
    cli = os.path.join(os.path.dirname(suite.args.server_bin), "lanthanide")
    p = subprocess.run([cli, "replay", "--db", server.db, "--session",
                        session, "--verify"], capture_output=True,
                       timeout=120)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def wait_for(what, fn):
    deadline = time.monotonic() + LIVE_S
    while True:
        v = fn()
        if v:
            return v
        check(time.monotonic() < deadline, what)
        time.sleep(0.01)


def new_game(server, review, seed=7, turns=4, **kw):
    """A classroom game: USA a person on `player`, the rest standing
    agents, control watching on `admin`."""
    admin = server.client()
    game = Game(admin, "classroom", seed=seed, turns=turns, review=review,
                **kw)
    player = server.client()
    game.token = game.join(player, "USA")
    game.bots(BOTS, "standing")
    game.watch(admin)
    game.start()
    return game, admin, player


def proposal(game):
    return game.admin.turn_proposal(game.id, game.admin_token)


def release(game, amendments=None):
    return game.admin.turn_release(game.id, game.admin_token, amendments)


def wait_held(game, turn):
    return wait_for("turn %d is held" % turn,
                    lambda: (lambda p: p if p and p["turn"] == turn
                             else None)(proposal(game)))


@suite.test
def held_turn_is_controls_alone(server):
    game, admin, player = new_game(server, True)
    player.submit([TAX], ready=True)
    out = wait_held(game, 0)
    check(sorted(out["seats"][0]) == sorted(
        ["seat", "cash", "cash_delta", "cash_cents", "cash_delta_cents",
         "production", "deliveries", "refused", "orders"]),
          "an outcome per seat",
        sorted(out["seats"][0]))
    check([s["seat"] for s in out["seats"]] == CLASSROOM_SEATS,
          "every seat, in map order")
    usa = out["seats"][CLASSROOM_SEATS.index("USA")]
    check(len(usa["orders"]) == 1 and usa["orders"][0]["kind"] == "tax",
          "the seat's accepted orders of the turn", usa["orders"])
    for key in ("prices", "production", "scores", "news"):
        check(key in out, "the outcome has %s" % key, sorted(out))
    wait_queued(admin, "turn.proposed")
    note = take(admin, "turn.proposed")[0].params
    check(note["session"] == game.id and note["turn"] == 0 and
          note["outcome"] == out, "turn.proposed carries the outcome")
    settle(player)
    check(not notes_of(player, "turn.resolved") and
          not notes_of(player, "turn.proposed"),
          "the player is told nothing", [n.method for n in
                                         notes_of(player)])
    obs = player.state()
    check(obs["turn"] == 0 and obs["held"] is True,
          "state.get: still turn 0, held", obs["turn"], obs.get("held"))
    check(player.call("history.get", session=game.id, token=game.token) ==
          [], "history.get shows no held turn")
    expect_error("conflict", player.submit, [TAX])
    expect_error("conflict", player.ready)
    expect_error("conflict", admin.call, "session.advance", session=game.id,
                 admin_token=game.admin_token)
    expect_error("forbidden", player.call, "turn.release", session=game.id,
                 token=game.token)
    expect_error("forbidden", player.call, "turn.proposal", session=game.id,
                 token=game.token)
    listing = game.listing()
    check(listing["review"] is True and listing["proposed"] is True and
          listing["forked_from"] is None, "session.list: review, proposed",
          listing)
    check(release(game) == {"turn": 0, "amendments": 0},
          "turn.release answers the turn")
    wait_queued(player, "turn.resolved")
    check(take(player, "turn.resolved")[0].params["turn"] == 0,
          "the player gets turn.resolved at the release")
    check(proposal(game) is None, "nothing held after the release")
    check(player.state()["held"] is False, "the next turn is open")
    expect_error("conflict", release, game)


@suite.test
def release_without_amendments_equals_unreviewed(server):
    plain, _, p1 = new_game(server, False, seed=21, turns=3)
    rev, _, p2 = new_game(server, True, seed=21, turns=3)
    for turn in range(3):
        orders = [TAX] if turn != 1 else []
        p1.submit(orders, ready=True)
        p2.submit(orders, ready=True)
        wait_held(rev, turn)
        release(rev)
        wait_for("both resolved turn %d" % turn,
                 lambda: len(hashes(server.db, plain.id)) > turn and
                 len(hashes(server.db, rev.id)) > turn)
    check(hashes(server.db, plain.id) == hashes(server.db, rev.id),
          "every stored state hash is the unreviewed session's")
    s1 = rows(server.db, "SELECT turn, summary FROM turns WHERE "
              "session_id = ? ORDER BY turn", plain.id)
    s2 = rows(server.db, "SELECT turn, summary FROM turns WHERE "
              "session_id = ? ORDER BY turn", rev.id)
    check(s1 == s2, "and every summary")


@suite.test
def amended_turn_is_logged_and_replays(server):
    game, admin, player = new_game(server, True, seed=3)
    player.submit([], ready=True)
    out = wait_held(game, 0)
    mining = out["seats"][CLASSROOM_SEATS.index("dragon_mining")]
    amendments = [
        {"seat": "dragon_mining", "kind": "cash", "amount_cents": 123456789,
         "reason": "emergency grant agreed by control"},
        {"seat": "USA", "kind": "cash", "amount_cents": -1000,
         "reason": "a fine, paid to the world's sinks"},
    ]
    check(release(game, amendments) == {"turn": 0, "amendments": 2},
          "turn.release takes two amendments")
    # turn 1: USA orders a tax, which control refuses
    wait_for("turn 1 opens", lambda: player.state()["turn"] == 1)
    player.submit([TAX], ready=True)
    out1 = wait_held(game, 1)
    dm = out1["seats"][CLASSROOM_SEATS.index("dragon_mining")]
    check(dm["cash_cents"] - dm["cash_delta_cents"] ==
          mining["cash_cents"] + 123456789,
          "the firm held the proposal's cash plus the grant", dm, mining)
    refuse = [{"seat": "USA", "kind": "refuse_order", "order": 0,
               "reason": "the tax law was struck down by the court"}]
    check(release(game, refuse) == {"turn": 1, "amendments": 1},
          "a refused order")
    got = rows(server.db, "SELECT turn, seq, seat, kind, reason FROM "
               "amendments WHERE session_id = ? ORDER BY turn, seq",
               game.id)
    want = [(0, i, a["seat"], a["kind"], a["reason"])
            for i, a in enumerate(amendments)] + [
                (1, 0, "USA", "refuse_order", refuse[0]["reason"])]
    check(got == want, "each amendment is stored with its reason", got)
    check(rows(server.db, "SELECT count(*) FROM v_amendments WHERE "
               "session = ?", game.id) == [(3,)], "and in v_amendments")
    rc, text = replay(server, game.id)
    check(rc == 0, "lanthanide replay --verify re-applies the "
          "amendments and matches", text)
    # the refused tax did not act: the turn equals an unreviewed game
    # whose USA ordered nothing at turn 1 (after the same turn 0)
    f = admin.call("session.fork", session=game.id,
                   admin_token=game.admin_token, turn=1)
    check(hashes(server.db, f["session"]) == hashes(server.db, game.id)[:1],
          "a fork keeps the amended turn 0")
    other = server.client()
    other.join(f["session"], join_code=[s for s in f["seats"]
                                        if s["seat"] == "USA"][0]
               ["join_code"])
    admin.call("session.resume", session=f["session"],
               admin_token=f["admin_token"])
    other.submit([], ready=True)
    wait_held(_G(admin, f), 1)
    release(_G(admin, f))
    wait_for("the fork resolves turn 1",
             lambda: len(hashes(server.db, f["session"])) > 1)
    check(hashes(server.db, f["session"])[1] ==
          hashes(server.db, game.id)[1],
          "refusing the order equals not ordering it")
    rc, text = replay(server, f["session"])
    check(rc == 0, "the fork replays with the copied amendments", text)
    # turn 2: a strike caps a plant's output; the turn resolves again
    player.submit([], ready=True)
    out2 = wait_held(game, 2)
    firm = next(s for s in out2["seats"] if s["production"])
    fac = firm["production"][0]
    cap = [{"seat": firm["seat"], "kind": "production",
            "facility": fac["facility"], "kg": fac["kg"] // 2,
            "reason": "a strike halved the plant's output"}]
    check(release(game, cap) == {"turn": 2, "amendments": 1},
          "a production cap")
    player.submit([], ready=True)
    out3 = wait_held(game, 3)
    check(out3["turn"] == 3, "the game goes on after the capped turn")
    rows2 = rows(server.db, "SELECT kg FROM production WHERE session_id = ? "
                 "AND turn = 2 AND stage = ?", game.id, fac["stage"])
    proposed = sum(round(v * 1000) for v in
                   out2["production"][fac["stage"]].values())
    check(sum(r[0] for r in rows2) < proposed,
          "the stored production of the stage is below the proposal's",
          rows2, proposed)
    rc, text = replay(server, game.id)
    check(rc == 0, "replay re-applies the production cap", text)


class _G:
    """A fork's identity in the shape of Game, for proposal/release."""

    def __init__(self, admin, f):
        self.admin = admin
        self.id = f["session"]
        self.admin_token = f["admin_token"]


@suite.test
def bad_amendments_get_clear_errors(server):
    game, admin, player = new_game(server, True, seed=4)
    plain, _, _ = new_game(server, False, seed=4)
    expect_error("conflict", plain.admin.call, "turn.release",
                 session=plain.id, admin_token=plain.admin_token)
    expect_error("conflict", release, game)  # nothing held yet
    player.submit([TAX], ready=True)
    out = wait_held(game, 0)
    fac = next(s for s in out["seats"] if s["production"])
    bad = [
        ("not_found", {"seat": "XXX", "kind": "cash", "amount_cents": 1,
                       "reason": "r"}),
        ("bad_request", {"seat": "USA", "kind": "bribe", "reason": "r"}),
        ("bad_request", {"seat": "USA", "kind": "cash",
                         "amount_cents": 5}),
        ("bad_request", {"seat": "USA", "kind": "cash", "amount_cents": 0,
                         "reason": "nothing"}),
        ("bad_request", {"seat": "USA", "kind": "cash",
                         "amount_cents": 10 ** 18, "reason": "too much"}),
        ("bad_request", {"seat": "USA", "kind": "refuse_order", "order": 5,
                         "reason": "no such order"}),
        ("bad_request", {"seat": fac["seat"], "kind": "production",
                         "facility": "no_such_plant", "kg": 0,
                         "reason": "r"}),
        ("bad_request", {"seat": fac["seat"], "kind": "production",
                         "facility": fac["production"][0]["facility"],
                         "kg": 10 ** 15,
                         "reason": "above its capacity"}),
        ("bad_request", {"seat": "USA", "kind": "production",
                         "facility": fac["production"][0]["facility"],
                         "kg": 0, "reason": "not USA's plant"}),
        ("bad_request", {"seat": "USA", "kind": "delivery",
                         "contract": "none", "kg": 0, "reason": "r"}),
        ("bad_request", "not a map"),
    ]
    for code, a in bad:
        e = expect_error(code, release, game, [a])
        check("amendments[0]" in e.message, "the error names the amendment",
              e.message)
    expect_error("too_large", release, game,
                 [{"seat": "USA", "kind": "cash", "amount_cents": 1,
                   "reason": "r"}] * 65)
    check(proposal(game) == out, "the turn is still held, unchanged")
    check(rows(server.db, "SELECT count(*) FROM amendments WHERE "
               "session_id = ?", game.id) == [(0,)], "nothing stored")
    release(game)


@suite.test
def held_turn_stops_the_clock_and_pauses(server):
    game, admin, player = new_game(server, True, seed=5, turn_seconds=0.5)
    out = wait_held(game, 0)  # the deadline closes the turn
    time.sleep(1.2)  # two more deadlines' worth: nothing else resolves
    check(proposal(game) == out, "still turn 0 held, the clock stopped")
    check(player.state()["turn"] == 0, "the player is at turn 0")
    check(admin.call("session.pause", session=game.id,
                     admin_token=game.admin_token) == {"status": "paused"},
          "pause while held")
    check(proposal(game) == out, "pausing keeps it held")
    admin.call("session.resume", session=game.id,
               admin_token=game.admin_token)
    time.sleep(0.7)  # past a turn's length: the resumed clock is stopped
    check(proposal(game) == out and player.state()["turn"] == 0,
          "resuming keeps it held, the clock stopped")
    admin.call("session.pause", session=game.id,
               admin_token=game.admin_token)
    check(release(game)["turn"] == 0, "a release while paused")
    obs = wait_for("turn 1 opens", lambda: (lambda o: o if o["turn"] == 1
                                            else None)(player.state()))
    check(obs["status"] == "paused" and obs["remaining_ms"] == 500,
          "the next turn opens paused with its whole length",
          obs["status"], obs["remaining_ms"])
    admin.call("session.resume", session=game.id,
               admin_token=game.admin_token)
    wait_held(game, 1)


@suite.test
def held_turn_survives_a_restart(server):
    own = Server(suite.args.server_bin, suite.args.maps)
    try:
        game, admin, player = new_game(own, True, seed=9)
        ref, _, rp = new_game(own, False, seed=9)
        player.submit([TAX], ready=True)
        rp.submit([TAX], ready=True)
        out = wait_held(game, 0)
        wait_for("the reference resolved",
                 lambda: hashes(own.db, ref.id))
        check(own.stop() == 0, "the server stops cleanly")
        again = lanserver.Server(suite.args.server_bin, suite.args.maps,
                                 own.db)
        try:
            game.admin = again.client()
            check(proposal(game) == out,
                  "after the restart the same outcome is held")
            c = again.client()
            obs = c.state(session=game.id, token=game.token)
            check(obs["turn"] == 0 and obs["held"] is True,
                  "the player still sees turn 0, held")
            expect_error("conflict", c.submit, [], session=game.id,
                         token=game.token)
            release(game)
            wait_for("turn 0 committed", lambda: hashes(own.db, game.id))
            check(hashes(own.db, game.id) == hashes(own.db, ref.id),
                  "the release commits what the unreviewed game did")
            check(again.stop() == 0, "the restarted server exits 0")
        finally:
            again.kill9()
    finally:
        own.cleanup()


@suite.test
def held_turn_with_inject_and_contract_survives_kill9(server):
    """A held turn that fired an inject and signs a contract negotiated in
    it is held again, the same, after a kill -9; its release then
    replays."""
    own = Server(suite.args.server_bin, suite.args.maps)
    try:
        admin = own.client()
        game = Game(admin, "classroom", seed=17, turns=3, review=True,
                    turn_seconds=3600)
        sell, buy = own.client(), own.client()
        s_tok = game.join(sell, "dragon_separation")
        b_tok = game.join(buy, "dragon_magnets")
        game.bots([s for s in game.seats
                   if s not in ("dragon_separation", "dragon_magnets")])
        game.start()
        inject(admin, game, 0, "a surge before the storm")
        nid = sell.call("contract.propose", session=game.id, token=s_tok,
                        to="dragon_magnets", **NDPR)["negotiation"]
        buy.call("contract.accept", session=game.id, token=b_tok,
                 negotiation=nid)
        sell.submit([], ready=True, session=game.id, token=s_tok)
        buy.submit([], ready=True, session=game.id, token=b_tok)
        out = wait_held(game, 0)
        check(any(e.get("text") == "a surge before the storm"
                  for e in out["news"]), "the held turn fired the inject",
              out["news"])
        seller = out["seats"][CLASSROOM_SEATS.index("dragon_separation")]
        check(any(d["contract"] == nid and d["buyer"] == "dragon_magnets"
                  and d["kg"] > 0 for d in seller["deliveries"]),
              "and delivers the contract signed in it",
              seller["deliveries"])
        own.kill9()
        again = lanserver.Server(suite.args.server_bin, suite.args.maps,
                                 own.db)
        try:
            game.admin = again.client()
            check(proposal(game) == out,
                  "after kill -9 the same outcome is held")
            check(release(game) == {"turn": 0, "amendments": 0}, "released")
            wait_for("turn 0 committed", lambda: hashes(own.db, game.id))
            c = again.client()
            cs = c.state(session=game.id, token=b_tok)["you"]["contracts"]
            check([x["id"] for x in cs] == [nid], "the contract runs", cs)
            check(again.stop() == 0, "the restarted server exits 0")
        finally:
            again.kill9()
        rc, text = replay(own, game.id)
        check(rc == 0, "replay --verify with the inject and the contract",
              text)
    finally:
        own.cleanup()


@suite.test
def a_release_that_resolves_again_counts_a_contract_once(server):
    """A contract negotiated in a held turn is signed when the turn is held
    and again when a refused order makes the release resolve the turn
    again: server.stats counts it once."""
    own = Server(suite.args.server_bin, suite.args.maps)
    try:
        admin = own.client()
        game = Game(admin, "classroom", seed=19, turns=2, review=True,
                    turn_seconds=3600)
        sell, buy, usa = own.client(), own.client(), own.client()
        s_tok = game.join(sell, "dragon_separation")
        b_tok = game.join(buy, "dragon_magnets")
        u_tok = game.join(usa, "USA")
        game.bots([s for s in game.seats
                   if s not in ("dragon_separation", "dragon_magnets", "USA")])
        game.start()
        nid = sell.call("contract.propose", session=game.id, token=s_tok,
                        to="dragon_magnets", **NDPR)["negotiation"]
        buy.call("contract.accept", session=game.id, token=b_tok,
                 negotiation=nid)
        usa.submit([TAX], ready=True, session=game.id, token=u_tok)
        sell.submit([], ready=True, session=game.id, token=s_tok)
        buy.submit([], ready=True, session=game.id, token=b_tok)
        wait_held(game, 0)
        held = admin.call("server.stats")["contracts_signed"]
        check(held == 1, "signed once when the turn is held", held)
        refuse = [{"seat": "USA", "kind": "refuse_order", "order": 0,
                   "reason": "the tax law was struck down"}]
        check(release(game, refuse) == {"turn": 0, "amendments": 1},
              "released with the refused order")
        after = admin.call("server.stats")["contracts_signed"]
        check(after == 1, "still one after the release resolved it again",
              after)
        cs = buy.state(session=game.id, token=b_tok)["you"]["contracts"]
        check([x["id"] for x in cs] == [nid], "and the contract runs", cs)
        check(own.stop() == 0, "the server exits 0")
    finally:
        if own.alive():
            own.kill9()
        own.cleanup()


@suite.test
def fork_is_identical_before_and_diverges_after(server):
    orig, admin, player = new_game(server, False, seed=13, turns=5)
    for turn in range(3):
        player.submit([TAX] if turn == 0 else [], ready=True)
        wait_for("turn %d" % turn,
                 lambda: len(hashes(server.db, orig.id)) > turn)
    expect_error("forbidden", player.call, "session.fork", session=orig.id,
                 token=orig.token, turn=1)
    expect_error("bad_request", admin.call, "session.fork", session=orig.id,
                 admin_token=orig.admin_token, turn=4)
    forks = []
    for _ in range(2):
        f = admin.fork(orig.id, orig.admin_token, 2)
        check(f["forked_from"] == {"session": orig.id, "turn": 2} and
              f["status"] == "paused" and f["session"] != orig.id and
              f["admin_token"] != orig.admin_token,
              "a new session, paused, forked from the original", f)
        codes = {s["seat"]: s["join_code"] for s in f["seats"]}
        check(codes["USA"] != orig.codes["USA"], "new join codes")
        check(all(s["agent"] == "standing" for s in f["seats"]
                  if s["seat"] != "USA"), "agents stay agents", f["seats"])
        forks.append(f)
    orig_h = hashes(server.db, orig.id)
    for f in forks:
        check(hashes(server.db, f["session"]) == orig_h[:2],
              "the fork's turns 0 and 1 are the original's", f["session"])
        listing = [s for s in admin.sessions() if s["session"] ==
                   f["session"]][0]
        check(listing["forked_from"] == {"session": orig.id, "turn": 2} and
              listing["status"] == "paused" and listing["turn"] == 2,
              "session.list shows the fork", listing)
        hist = admin.call("history.get", session=f["session"],
                          admin_token=f["admin_token"])
        check(hist == admin.call("history.get", session=orig.id,
                                 admin_token=orig.admin_token, to=1),
              "its history is the original's turns 0 and 1",
              [h["turn"] for h in hist])
    # fork A: the same orders as the original; fork B: other orders
    same = server.client()
    same.join(forks[0]["session"], join_code=[s for s in forks[0]["seats"]
                                              if s["seat"] == "USA"][0]
              ["join_code"])
    other = server.client()
    other.join(forks[1]["session"], join_code=[s for s in forks[1]["seats"]
                                               if s["seat"] == "USA"][0]
               ["join_code"])
    check(same.state()["turn"] == 2, "the fork opens at turn 2")
    for f in forks:
        admin.call("session.resume", session=f["session"],
                   admin_token=f["admin_token"])
    same.submit([], ready=True)
    other.submit([TAX2], ready=True)
    wait_for("both forks resolve turn 2",
             lambda: len(hashes(server.db, forks[0]["session"])) > 2 and
             len(hashes(server.db, forks[1]["session"])) > 2)
    check(hashes(server.db, forks[0]["session"])[2] == orig_h[2],
          "the same orders give the original's turn 2, bit for bit")
    check(hashes(server.db, forks[1]["session"])[2] != orig_h[2],
          "other orders diverge")
    for f in forks:
        rc, text = replay(server, f["session"])
        check(rc == 0, "replay verifies the fork from turn 0", text)


NDPR = {"product": "ndpr_oxide", "quantity": 100, "price": 45, "turns": 2,
        "penalty": 10}


def inject(admin, game, turn, text):
    return admin.call("event.inject", session=game.id,
                      admin_token=game.admin_token, turn=turn,
                      event={"kind": "demand_surge", "nation": "CHN",
                             "product": "magnet", "magnitude": 0.2,
                             "duration": 1, "text": text})["inject"]


def advance(admin, game, db, turn):
    """session.advance until turn `turn` is stored."""
    while len(hashes(db, game.id)) <= turn:
        n = len(hashes(db, game.id))
        admin.advance(game.id, game.admin_token)
        wait_for("turn %d resolves" % n, lambda: len(hashes(db, game.id)) > n)


@suite.test
def fork_carries_injects_scripted_cancels_and_contracts(server):
    admin = server.client()
    orig = Game(admin, "classroom", seed=21, turns=6, turn_seconds=3600)
    sell, buy = server.client(), server.client()
    s_tok = orig.join(sell, "dragon_separation")
    b_tok = orig.join(buy, "dragon_magnets")
    orig.bots([s for s in orig.seats
               if s not in ("dragon_separation", "dragon_magnets")])
    orig.start()
    ch = sell.call("channel.open", session=orig.id, token=s_tok,
                   members=["dragon_magnets"], title="offtake")["channel"]
    sell.call("chat.send", session=orig.id, token=s_tok, channel=ch,
              text="not copied")
    fired = inject(admin, orig, 0, "fired before the fork")
    later = inject(admin, orig, 3, "fires after the fork")
    undone = inject(admin, orig, 4, "cancelled after the fork's turn")
    dropped = inject(admin, orig, 4, "cancelled before the fork's turn")
    admin.call("event.cancel", session=orig.id, admin_token=orig.admin_token,
               inject=dropped)
    admin.call("event.cancel", session=orig.id, admin_token=orig.admin_token,
               scripted=0)
    nid = sell.call("contract.propose", session=orig.id, token=s_tok,
                    to="dragon_magnets", **NDPR)["negotiation"]
    check(buy.call("contract.accept", session=orig.id, token=b_tok,
                   negotiation=nid)["turn"] == 0, "agreed in turn 0")
    advance(admin, orig, server.db, 0)
    open_n = buy.call("contract.propose", session=orig.id, token=b_tok,
                      to="dragon_separation", side="buy", id="open",
                      **NDPR)["negotiation"]
    advance(admin, orig, server.db, 2)
    admin.call("event.cancel", session=orig.id, admin_token=orig.admin_token,
               inject=undone)  # in turn 3, after the fork's turn 2
    late_n = sell.call("contract.propose", session=orig.id, token=s_tok,
                       to="dragon_magnets", id="late", **NDPR)["negotiation"]
    advance(admin, orig, server.db, 3)
    status = {i["inject"]: i["status"] for i in admin.call(
        "event.list", session=orig.id,
        admin_token=orig.admin_token)["injects"]}
    check(status == {fired: "fired", later: "fired", undone: "cancelled",
                     dropped: "cancelled"}, "the original's injects", status)
    rc, text = replay(server, orig.id)
    check(rc == 0, "the original replays", text)

    f = admin.fork(orig.id, orig.admin_token, 2)
    fg = _G(admin, f)
    orig_h = hashes(server.db, orig.id)
    check(hashes(server.db, fg.id) == orig_h[:2],
          "the fork's turns 0 and 1 are the original's", fg.id)
    rc, text = replay(server, fg.id)
    check(rc == 0, "the fork replays turns 0 and 1 with the fired inject, "
          "the cancelled scripted event and the signed contract", text)
    ev = admin.call("event.list", session=fg.id, admin_token=fg.admin_token)
    got = {i["inject"]: (i["status"], i["turn"]) for i in ev["injects"]}
    check(got == {fired: ("fired", 0), later: ("pending", 3),
                  undone: ("pending", 4), dropped: ("cancelled", 4)},
          "fired before the fork stays fired; later ones are pending, those "
          "cancelled after the fork's turn too", got)
    check([x["status"] for x in ev["scripted"]] == ["cancelled"],
          "the scripted event stays cancelled", ev["scripted"])
    check(admin.status(fg.id, fg.admin_token)["scripted_events"] is True,
          "the fork runs the map's scripted history as the original")
    chans = admin.call("channels.list", session=fg.id,
                       admin_token=fg.admin_token)
    check([c["title"] for c in chans if c["channel"] == ch] == ["offtake"],
          "the opened channel is the fork's", chans)
    check(admin.call("chat.history", session=fg.id,
                     admin_token=fg.admin_token) == [],
          "chat is not copied")
    negs = {n["negotiation"]: n["status"] for n in admin.call(
        "contract.negotiations", session=fg.id, admin_token=fg.admin_token)}
    check(negs == {nid: "accepted", open_n: "open"},
          "negotiations before turn 2 as they stood; the later one not",
          negs, late_n)
    # the fork plays on: the pending inject fires at turn 3 in it too
    admin.call("session.resume", session=fg.id, admin_token=fg.admin_token)
    advance(admin, fg, server.db, 3)
    ev = admin.call("event.list", session=fg.id, admin_token=fg.admin_token)
    check({i["inject"]: i["status"] for i in ev["injects"]}[later] ==
          "fired", "the pending inject fires in the fork", ev)
    news = admin.call("history.get", session=fg.id,
                      admin_token=fg.admin_token, **{"from": 3, "to": 3})
    check(any("fires after the fork" in (n.get("text") or "")
              for n in news[0]["events"]), "its news is in the fork's turn 3",
          news[0]["events"])
    check(hashes(server.db, fg.id)[2] == orig_h[2],
          "turn 2 as the original's (the agents play the same)")
    rc, text = replay(server, fg.id)
    check(rc == 0, "the fork replays with the inject it fired", text)
    # a session without the scripted history forks without it
    plain = Game(admin, "classroom", seed=2, turns=3, scripted_events=False)
    pf = admin.fork(plain.id, plain.admin_token, 0)
    check(admin.status(pf["session"], pf["admin_token"])["scripted_events"]
          is False, "scripted_events: false carries to the fork")


@suite.test
def fork_survives_kill9_as_it_was_made(server):
    """What a fork holds in memory when made (its injects, channels,
    negotiations, scripted_events) is what a restart reads back from the
    rows it copied."""
    own = Server(suite.args.server_bin, suite.args.maps)
    try:
        admin = own.client()
        orig = Game(admin, "classroom", seed=23, turns=5, turn_seconds=3600,
                    scripted_events=False)
        sell, buy = own.client(), own.client()
        s_tok = orig.join(sell, "dragon_separation")
        b_tok = orig.join(buy, "dragon_magnets")
        orig.bots([s for s in orig.seats
                   if s not in ("dragon_separation", "dragon_magnets")])
        orig.start()
        sell.call("channel.open", session=orig.id, token=s_tok,
                  members=["dragon_magnets"], title="room")
        a = inject(admin, orig, 0, "a")
        b = inject(admin, orig, 2, "b")
        c = inject(admin, orig, 3, "c")
        d = inject(admin, orig, 3, "d")
        admin.call("event.cancel", session=orig.id,
                   admin_token=orig.admin_token, inject=d)
        nid = sell.call("contract.propose", session=orig.id, token=s_tok,
                        to="dragon_magnets", **NDPR)["negotiation"]
        buy.call("contract.accept", session=orig.id, token=b_tok,
                 negotiation=nid)
        advance(admin, orig, own.db, 0)
        buy.call("contract.propose", session=orig.id, token=b_tok,
                 to="dragon_separation", side="buy", id="x", **NDPR)
        advance(admin, orig, own.db, 1)
        admin.call("event.cancel", session=orig.id,
                   admin_token=orig.admin_token, inject=c)
        advance(admin, orig, own.db, 2)
        f = _G(admin, admin.fork(orig.id, orig.admin_token, 1))

        def held(cl):
            return (cl.call("event.list", session=f.id,
                            admin_token=f.admin_token),
                    cl.call("channels.list", session=f.id,
                            admin_token=f.admin_token),
                    cl.call("contract.negotiations", session=f.id,
                            admin_token=f.admin_token),
                    cl.status(f.id, f.admin_token)["scripted_events"])
        before = held(admin)
        check({i["inject"]: i["status"] for i in before[0]["injects"]} ==
              {a: "fired", b: "pending", c: "pending", d: "cancelled"},
              "the fork's injects", before[0])
        check(before[3] is False, "without scripted history, as the original")
        own.kill9()
        again = lanserver.Server(suite.args.server_bin, suite.args.maps,
                                 own.db)
        try:
            after = held(again.client())
            for what, x, y in zip(("event.list", "channels.list",
                                   "contract.negotiations",
                                   "scripted_events"), before, after):
                check(x == y, "%s of the fork after kill -9" % what, x, y)
            check(again.stop() == 0, "the restarted server exits 0")
        finally:
            again.kill9()
        rc, text = replay(own, f.id)
        check(rc == 0, "the fork replays", text)
    finally:
        own.cleanup()


@suite.test
def timeline_records_review_injects_and_forks(server):
    game, admin, player = new_game(server, True, seed=11)
    first = inject(admin, game, 0, "surge")
    gone = inject(admin, game, 1, "never")
    admin.call("event.cancel", session=game.id, admin_token=game.admin_token,
               inject=gone)
    player.submit([TAX], ready=True)
    wait_held(game, 0)
    release(game, [{"seat": "USA", "kind": "cash", "amount_cents": 500,
                    "reason": "aid from control"}])
    wait_for("turn 1 opens", lambda: player.state()["turn"] == 1)
    tl = admin.call("timeline.get", session=game.id,
                    admin_token=game.admin_token)
    times = [r["t_ms"] for r in tl]
    check(times == sorted(times), "timeline in time order", tl)
    kinds = [r["kind"] for r in tl]
    check({"session", "orders", "ready", "inject", "amendment",
           "release"} <= set(kinds) and "resolved" not in kinds,
          "a review session's record: injects, amendments, releases", kinds)
    texts = [r["text"] for r in tl if r["kind"] == "inject"]
    check("inject %d for turn 0" % first in texts and
          "inject %d fired" % first in texts and
          "inject %d cancelled" % gone in texts,
          "each inject made, and fired or cancelled", texts)
    am = [r for r in tl if r["kind"] == "amendment"]
    check(len(am) == 1 and am[0]["seat"] == "USA" and am[0]["turn"] == 0
          and "aid from control" in am[0]["text"] and
          am[0]["data"]["amendment"] == "cash" and
          am[0]["data"]["fields"]["amount_cents"] == 500,
          "the amendment, its fields as turn.release took them", am)
    made = [r for r in tl if r["kind"] == "inject" and
            r["data"]["status"] == "created"]
    check([r["data"]["event"]["kind"] for r in made] ==
          ["demand_surge", "demand_surge"] and
          made[0]["data"]["event"]["text"] == "surge",
          "an inject's creation carries its event", made)
    rel = [i for i, r in enumerate(tl) if r["kind"] == "release"]
    check(len(rel) == 1 and tl[rel[0]]["turn"] == 0 and
          kinds.index("amendment") < rel[0],
          "turn 0's release, after its amendment", tl)
    f = admin.fork(game.id, game.admin_token, 1)
    ftl = admin.call("timeline.get", session=f["session"],
                     admin_token=f["admin_token"])
    check([r["t_ms"] for r in ftl] == sorted(r["t_ms"] for r in ftl),
          "the fork's timeline in time order", ftl)
    forks = [r for r in ftl if r["kind"] == "fork"]
    check(len(forks) == 1 and forks[0]["turn"] == 1 and
          forks[0]["text"] == "forked from %s at turn 1" % game.id and
          forks[0]["data"] == {"forked_from": game.id},
          "the fork's record names where it came from", forks)
    check({"release", "amendment", "inject"} <= {r["kind"] for r in ftl},
          "and holds the turns, amendments and injects it copied",
          [r["kind"] for r in ftl])


@suite.test
def fork_counts_against_max_sessions(server):
    own = Server(suite.args.server_bin, suite.args.maps,
                 ["--max-sessions", "2"])
    try:
        game, admin, player = new_game(own, False, seed=1)
        f = admin.call("session.fork", session=game.id,
                       admin_token=game.admin_token, turn=0)
        check(f["forked_from"]["turn"] == 0, "a fork at turn 0")
        expect_error("unavailable", admin.call, "session.fork",
                     session=game.id, admin_token=game.admin_token, turn=0)
        check(own.stop() == 0, "the server exits 0")
    finally:
        own.cleanup()


@suite.test
def cli_review_and_fork(server):
    """lanthanide admin create --review, proposal, release --amendments,
    fork --turn."""
    import json
    import tempfile
    cli = os.path.join(os.path.dirname(suite.args.server_bin), "lanthanide")
    base = [cli, "admin"]
    srv = ["--server", "127.0.0.1:%d" % server.port]

    def run(*args, expect=0, stdin=None):
        p = subprocess.run(base + list(args) + srv, capture_output=True,
                           text=True, timeout=60, input=stdin)
        check(p.returncode == expect, "exit %d" % expect, args, p.stdout,
              p.stderr)
        return p.stdout
    created = json.loads(run("create", "--map", "classroom", "--seed", "8",
                             "--turns", "3", "--review", "--json"))
    sid, atok = created["session"], created["admin_token"]
    ctl = ["--session", sid, "--admin-token", atok]
    admin = server.client()
    check([s for s in admin.sessions() if s["session"] == sid][0]["review"],
          "--review makes a review session")
    run("bot", *ctl, "--all-empty", "--strategy", "standing")
    run("start", *ctl)
    out = wait_for("a held turn", lambda: json.loads(
        run("proposal", *ctl, "--json")))
    check(out["turn"] == 0, "proposal --json is the outcome", out["turn"])
    text = run("proposal", *ctl)
    check("held for your review" in text and "dragon_mining" in text,
          "proposal prints a table", text)
    with tempfile.NamedTemporaryFile("w", suffix=".json",
                                     delete=False) as f:
        json.dump([{"seat": "dragon_mining", "kind": "cash",
                    "amount_cents": 100, "reason": "via the CLI"}], f)
    try:
        text = run("release", *ctl, "--amendments", f.name)
    finally:
        os.unlink(f.name)
    check("released with 1 amendment" in text, "release says so", text)
    run("release", *ctl, "--amendments", "-", stdin="{}", expect=2)
    wait_for("turn 1 held", lambda: (json.loads(
        run("proposal", *ctl, "--json")) or {}).get("turn") == 1)
    fork = json.loads(run("fork", *ctl, "--turn", "1", "--json"))
    check(fork["forked_from"] == {"session": sid, "turn": 1},
          "fork --json answers the fork", fork)
    text = run("fork", *ctl, "--turn", "1")
    check("fork of %s at turn 1" % sid in text and "JOIN CODE" in text,
          "fork prints the codes", text)
    run("fork", *ctl, expect=2)  # no --turn
    check(rows(server.db, "SELECT reason FROM amendments WHERE "
               "session_id = ?", sid) == [("via the CLI",)],
          "the CLI's amendment is stored with its reason")


if __name__ == "__main__":
    sys.exit(suite.run())
