#!/usr/bin/python3
"""The wargame's channels, negotiation and record (issue 13,
docs/protocol.md "Channels", "Negotiation", "After-action review").

Channels: every message reaches exactly its channel's readers (members,
and control; everyone for all and press), by chat.message and by
chat.history, over random messages among a few seats, one of them played
by two people at once; chat.send with `to` keeps its old meaning.
Negotiation: a contract proposed, countered and accepted over the wire is
signed into the turn it was agreed in and delivered by the model (goods
and money move per the terms); a withdrawn one leaves nothing; a third
seat neither sees nor accepts it. Restart: channels, messages and
negotiations survive a kill -9, and `lanthanide replay --verify` still
matches every stored state hash with the negotiated contract in it.
timeline.get is in time order and holds every kind this branch records.
"""
import csv
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pylib"))
import lanserver  # noqa: E402
from harness import (Game, Suite, check, expect_error, settle,  # noqa: E402
                     take)

suite = Suite(__doc__, server_args=("--chat-burst", "100000",
                                    "--chat-history-max", "500"))


def advance_to(admin, game, player, turn):
    admin.advance(game.id, game.admin_token)
    deadline = time.monotonic() + 10
    while player.state()["turn"] < turn:
        if time.monotonic() > deadline:
            raise AssertionError("turn %d did not come" % turn)
        time.sleep(0.01)


def history_all(client, game, **who):
    """Every message `who` may read, paging with after."""
    out, after = [], 0
    while True:
        page = client.call("chat.history", session=game.id, after=after,
                           limit=7, **who)
        out.extend(page)
        if len(page) < 7:
            return out
        after = page[-1]["id"]


@suite.test
def channels_reach_their_readers_only(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=4, turn_seconds=3600)
    seats = ["CHN", "USA", "EUU", "dragon_mining"]
    conns, tokens = {}, {}
    for seat in seats:
        conns[seat] = server.client()
        tokens[seat] = game.join(conns[seat], seat)
    # A second person on CHN: the team channel is theirs too.
    conns["CHN2"] = server.client()
    conns["CHN2"].watch(game.id, token=tokens["CHN"])
    conns["admin"] = server.client()
    game.watch(conns["admin"])
    holder = {c: (c if c in seats else "CHN") for c in conns if c != "admin"}
    everyone = list(conns.values())

    opened = conns["CHN"].call("channel.open", session=game.id,
                               token=tokens["CHN"], members=["USA"],
                               title="Pacific talks")
    check(opened["kind"] == "bilateral" and opened["title"] == "Pacific talks"
          and sorted(opened["members"]) == ["CHN", "USA"],
          "channel.open answers the channel", opened)
    multi = admin.call("channel.open", session=game.id,
                       admin_token=game.admin_token,
                       members=["USA", "EUU", "dragon_mining"])
    check(multi["kind"] == "multilateral", "three seats: multilateral", multi)
    expect_error("bad_request", conns["EUU"].call, "channel.open",
                 session=game.id, token=tokens["EUU"], members=["EUU"],
                 field="members")
    expect_error("bad_request", conns["EUU"].call, "channel.open",
                 session=game.id, token=tokens["EUU"], members=["XXX"],
                 field="members")
    settle(*everyone)
    for c in conns.values():
        take(c, "channel.opened")

    listed = {s: {c["channel"] for c in conns[s].call(
        "channels.list", session=game.id, token=tokens[s])} for s in seats}
    check(listed["CHN"] == {"all", "press", "team:CHN", "control:CHN",
                            opened["channel"]}, "CHN's channels", listed)
    check(listed["USA"] == {"all", "press", "team:USA", "control:USA",
                            opened["channel"], multi["channel"]},
          "USA's channels", listed)
    every = {c["channel"] for c in admin.call(
        "channels.list", session=game.id, admin_token=game.admin_token)}
    check(every >= set().union(*listed.values()), "control lists all", every)

    def members(ch):
        if ch in ("all", "press"):
            return set(seats)
        if ch.startswith("team:") or ch.startswith("control:"):
            return {ch.split(":", 1)[1]}
        if ch.startswith("dm:"):
            return set(ch.split(":")[1:])
        return set(opened["members"] if ch == opened["channel"]
                   else multi["members"])

    rng = random.Random(13)
    sent = []
    for i in range(60):
        who = rng.choice(seats + ["admin"])
        if who == "admin":
            ch = rng.choice(sorted(every))
            params = dict(admin_token=game.admin_token, channel=ch)
        elif rng.random() < 0.25:
            to = rng.choice(seats + ["all"])
            ch = ("all" if to == "all" else "team:" + who if to == who else
                  "dm:%s:%s" % tuple(sorted((who, to))))
            params = dict(token=tokens[who], to=to)
        else:
            ch = rng.choice(sorted(listed[who]))
            params = dict(token=tokens[who], channel=ch)
        text = "m%d" % i
        check(admin.call("chat.send", session=game.id, text=text, **params)
              == {} if who == "admin" else
              conns[who].call("chat.send", session=game.id, text=text,
                              **params) == {}, "chat.send answers {}")
        sent.append((text, ch))
    # A seat may not post where it does not belong.
    expect_error("forbidden", conns["EUU"].call, "chat.send", session=game.id,
                 token=tokens["EUU"], channel=opened["channel"], text="x",
                 field="channel")
    expect_error("forbidden", conns["EUU"].call, "chat.send", session=game.id,
                 token=tokens["EUU"], channel="team:CHN", text="x")
    expect_error("not_found", conns["EUU"].call, "chat.send", session=game.id,
                 token=tokens["EUU"], channel="ch:99", text="x")
    settle(*everyone)
    notes = {}
    for name, c in conns.items():
        got = notes[name] = {n["text"]: n for n in take(c, "chat.message")}
        for text, ch in sent:
            reads = name == "admin" or holder[name] in members(ch)
            check((text in got) == reads,
                  "%s %s message %s on %s" % (name, "gets" if reads else
                                              "does not get", text, ch),
                  got.get(text))
            if text in got:
                check(got[text]["channel"] == ch and got[text]["id"] > 0,
                      "chat.message names its channel and id", got[text])
    for seat in seats:
        hist = history_all(conns[seat], game, token=tokens[seat])
        want = [t for t, ch in sent if seat in members(ch)]
        check([m["text"] for m in hist] == want,
              "chat.history of %s: exactly its channels, in order" % seat,
              [m["text"] for m in hist], want)
        for m in hist:
            n = notes[seat][m["text"]]
            check(all(m[k] == n[k] for k in ("id", "channel", "from", "to")),
                  "chat.history and chat.message agree", m, n.params)
        ids = [m["id"] for m in hist]
        check(ids == sorted(ids) and len(set(ids)) == len(ids),
              "ids rise", ids)
    hist = history_all(admin, game, admin_token=game.admin_token)
    check([m["text"] for m in hist] == [t for t, _ in sent],
          "control reads every channel")
    one = admin.call("chat.history", session=game.id,
                     admin_token=game.admin_token, channel=opened["channel"])
    check([m["text"] for m in one] == [t for t, ch in sent
                                       if ch == opened["channel"]],
          "chat.history of one channel")
    expect_error("forbidden", conns["EUU"].call, "chat.history",
                 session=game.id, token=tokens["EUU"],
                 channel=opened["channel"])
    expect_error("too_large", conns["EUU"].call, "chat.history",
                 session=game.id, token=tokens["EUU"], limit=501,
                 field="limit")


@suite.test
def private_lines_are_listed_to_their_two_seats(server):
    # A private line (dm:A:B) exists once a message used it: channels.list
    # names it to its two seats and to control, never to a third seat, and
    # keeps naming it after a reconnect (it is read from the stored chat).
    admin = server.client()
    game = Game(admin, "classroom", turns=2)
    conns, tokens = {}, {}
    for seat in ("CHN", "USA", "EUU"):
        conns[seat] = server.client()
        tokens[seat] = game.join(conns[seat], seat)

    def listed(conn, **who):
        return {c["channel"] for c in conn.channels(session=game.id, **who)
                if c["channel"].startswith("dm:")}

    check(listed(conns["CHN"], token=tokens["CHN"]) == set(),
          "no private line before a message", listed(conns["CHN"],
                                                     token=tokens["CHN"]))
    conns["USA"].chat("a word in private", to="CHN", session=game.id,
                      token=tokens["USA"])
    conns["EUU"].chat("and another", to="CHN", session=game.id,
                      token=tokens["EUU"])
    check(listed(conns["CHN"], token=tokens["CHN"]) ==
          {"dm:CHN:USA", "dm:CHN:EUU"}, "CHN sees both of its lines",
          listed(conns["CHN"], token=tokens["CHN"]))
    check(listed(conns["USA"], token=tokens["USA"]) == {"dm:CHN:USA"},
          "USA sees its own line only", listed(conns["USA"],
                                               token=tokens["USA"]))
    check(listed(admin, admin_token=game.admin_token) ==
          {"dm:CHN:USA", "dm:CHN:EUU"}, "control sees every line",
          listed(admin, admin_token=game.admin_token))
    again = server.client()
    check(listed(again, token=tokens["USA"]) == {"dm:CHN:USA"},
          "a reconnected player finds its line again",
          listed(again, token=tokens["USA"]))
    kinds = {c["channel"]: c["kind"]
             for c in again.channels(session=game.id, token=tokens["USA"])}
    check(kinds.get("dm:CHN:USA") == "bilateral", "a line is bilateral", kinds)


def ndpr_terms(**kw):
    t = {"product": "ndpr_oxide", "quantity": 100, "price": 45, "turns": 2,
         "penalty": 10}
    t.update(kw)
    return t


@suite.test
def negotiated_contract_is_enforced(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=4, turn_seconds=3600)
    seller, buyer, other = server.client(), server.client(), server.client()
    game.join(seller, "dragon_separation")
    game.join(buyer, "dragon_magnets")
    game.join(other, "euro_magnets")
    game.watch(admin)
    game.start()
    res = seller.call("contract.propose", session=game.id, token=seller.token,
                      to="dragon_magnets", **ndpr_terms(price=60))
    nid = res["negotiation"]
    check(res["status"] == "open", "proposed", res)
    expect_error("invalid_order", seller.call, "contract.propose",
                 session=game.id, token=seller.token, to="dragon_magnets",
                 **ndpr_terms(product="gold"))
    e = expect_error("conflict", seller.call, "contract.accept",
                     session=game.id, token=seller.token, negotiation=nid)
    check(e.message == "the offer in force in '%s' is yours; only "
          "dragon_magnets may accept it" % nid, "who may accept", e.message)
    e = expect_error("conflict", seller.call, "contract.counter",
                     session=game.id, token=seller.token, negotiation=nid,
                     side="sell", **ndpr_terms(price=61))
    check(e.message == "the offer in force in '%s' is yours; wait for the "
          "other party's answer, or withdraw" % nid, "no counter to oneself",
          e.message)
    expect_error("forbidden", other.call, "contract.accept", session=game.id,
                 token=other.token, negotiation=nid)
    check(other.call("contract.negotiations", session=game.id,
                     token=other.token) == [], "a third seat sees none")
    res = buyer.call("contract.counter", session=game.id, token=buyer.token,
                     negotiation=nid, side="buy", **ndpr_terms(price=45))
    check(res["status"] == "countered", "countered", res)
    res = seller.call("contract.accept", session=game.id, token=seller.token,
                      negotiation=nid)
    check(res["status"] == "accepted" and res["turn"] == 0, "accepted", res)
    settle(seller, buyer, other, admin)
    for c in (seller, buyer, admin):
        ups = take(c, "contract.updated")
        check([u["action"] for u in ups] == ["propose", "counter", "accept"],
              "each step reaches both parties and control at once",
              [u.params for u in ups])
    check(take(other, "contract.updated") == [], "not the third seat")
    neg = buyer.call("contract.negotiations", session=game.id,
                     token=buyer.token)
    check(len(neg) == 1 and neg[0]["author"] == "dragon_magnets"
          and neg[0]["terms"]["price"] == 45
          and [h["action"] for h in neg[0]["history"]]
          == ["propose", "counter", "accept"], "the record", neg)

    # A withdrawn proposal leaves nothing.
    w = buyer.call("contract.propose", session=game.id, token=buyer.token,
                   to="dragon_separation", side="buy", id="gone",
                   **ndpr_terms())
    check(buyer.call("contract.withdraw", session=game.id, token=buyer.token,
                     negotiation=w["negotiation"])["status"] == "withdrawn",
          "withdrawn")
    expect_error("conflict", seller.call, "contract.accept", session=game.id,
                 token=seller.token, negotiation=w["negotiation"])

    advance_to(admin, game, seller, 1)
    for who in (seller, buyer):
        cs = who.state()["you"]["contracts"]
        check([c["id"] for c in cs] == [nid], "only the agreed contract", cs)
        c = cs[0]
        check(c["status"] == "running" and c["seller"] == "dragon_separation"
              and c["buyer"] == "dragon_magnets" and c["price"] == 45
              and c["turns_left"] == 1, "it runs on the countered terms", c)
        check(c["delivered"] + c["shortfall"] + c["excused"] == 100,
              "the turn's 100 t are accounted for", c)
    check(c["delivered"] > 0, "goods moved", c)
    listed = admin.call("contracts.list", session=game.id,
                        admin_token=game.admin_token)
    check([x["id"] for x in listed["contracts"]] == [nid], "listed", listed)
    check(other.state()["you"]["contracts"] == [], "the third seat has none")


@suite.test
def reset_forgets_negotiations_keeps_channels(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=3, turn_seconds=3600)
    s, b = server.client(), server.client()
    st, bt = game.join(s, "dragon_separation"), game.join(b, "dragon_magnets")
    ch = s.call("channel.open", session=game.id, token=st,
                members=["dragon_magnets"])["channel"]
    s.call("chat.send", session=game.id, token=st, channel=ch, text="kept")
    s.call("contract.propose", session=game.id, token=st,
           to="dragon_magnets", **ndpr_terms())
    admin.reset(game.id, game.admin_token)
    check(b.call("contract.negotiations", session=game.id, token=bt) == [],
          "a reset game has no negotiations")
    check([m["text"] for m in b.call("chat.history", session=game.id,
                                     token=bt, channel=ch)] == ["kept"],
          "channels and chat stay, as chat always did")
    nid = s.call("contract.propose", session=game.id, token=st,
                 to="dragon_magnets", **ndpr_terms())["negotiation"]
    check(nid == "n1", "negotiation ids start again", nid)


@suite.test
def survives_restart_and_replays(server):
    tmp = server.tmp
    db = os.path.join(tmp, "comms.db")
    args = suite.args

    def start():
        return lanserver.Server(args.server_bin, args.maps, db, (),
                                timeout=10.0,
                                err_path=os.path.join(tmp, "comms.log"))

    srv = start()
    try:
        admin = srv.client()
        g = Game(admin, "classroom", turns=3, turn_seconds=3600)
        s_tok = g.join(srv.client(), "dragon_separation")
        b_tok = g.join(srv.client(), "dragon_magnets")
        c = srv.client()
        g.start()
        ch = c.call("channel.open", session=g.id, token=s_tok,
                    members=["dragon_magnets"])["channel"]
        c.call("chat.send", session=g.id, token=s_tok, channel=ch, text="hi")
        c.call("chat.send", session=g.id, token=b_tok, to="all", text="old")
        nid = c.call("contract.propose", session=g.id, token=s_tok,
                     to="dragon_magnets", **ndpr_terms())["negotiation"]
        c.call("contract.counter", session=g.id, token=b_tok, negotiation=nid,
               side="buy", **ndpr_terms(price=44))
    finally:
        srv.kill9()  # every answer above was durable
    srv = start()
    try:
        c = srv.client()
        hist = c.call("chat.history", session=g.id, token=b_tok)
        check([(m["channel"], m["text"]) for m in hist]
              == [(ch, "hi"), ("all", "old")], "messages kept", hist)
        lst = {x["channel"] for x in c.call("channels.list", session=g.id,
                                            token=b_tok)}
        check(ch in lst, "channel kept", lst)
        neg = c.call("contract.negotiations", session=g.id, token=s_tok)
        check(len(neg) == 1 and neg[0]["status"] == "countered"
              and neg[0]["terms"]["price"] == 44, "negotiation kept", neg)
        c.call("chat.send", session=g.id, token=s_tok, channel=ch, text="new")
        hist = c.call("chat.history", session=g.id, token=b_tok,
                      after=hist[-1]["id"])
        check([m["text"] for m in hist] == ["new"], "ids go on", hist)
        c.call("contract.accept", session=g.id, token=s_tok, negotiation=nid)
        c.submit([], ready=True, session=g.id, token=b_tok)
        c.advance(g.id, g.admin_token)
        deadline = time.monotonic() + 10
        while c.state(g.id, s_tok)["turn"] < 1:
            check(time.monotonic() < deadline, "turn 1 comes")
            time.sleep(0.01)
        cs = c.state(g.id, b_tok)["you"]["contracts"]
        check([x["id"] for x in cs] == [nid] and cs[0]["price"] == 44,
              "the contract agreed after the restart runs", cs)
        tl = c.call("timeline.get", session=g.id, admin_token=g.admin_token)
        times = [r["t_ms"] for r in tl]
        check(times == sorted(times), "timeline in time order", tl)
        kinds = {r["kind"] for r in tl}
        check(kinds == {"session", "orders", "ready", "message", "contract",
                        "resolved"}, "timeline: every kind recorded", kinds)
        check(tl[0]["kind"] == "session" and tl[-1]["kind"] == "resolved",
              "from the session's creation to the turn's resolution", tl)
        msgs = [r for r in tl if r["kind"] == "message"]
        check([r["data"]["channel"] for r in msgs] == [ch, "all", ch],
              "timeline messages carry their channel", msgs)
        steps = [r["text"].split()[0] for r in tl if r["kind"] == "contract"]
        check(steps == ["propose", "counter", "accept"], "steps", steps)
        expect_error("forbidden", c.call, "timeline.get", session=g.id,
                     token=s_tok)
        check(srv.stop() == 0, "the server exits 0")
    finally:
        srv.kill9()
    cli = os.path.join(os.path.dirname(args.server_bin), "lanthanide")
    r = subprocess.run([cli, "replay", "--db", db, "--session", g.id,
                        "--verify"], capture_output=True, text=True)
    check(r.returncode == 0, "replay verifies with the signed contract",
          r.stdout, r.stderr)
    # What the buyer saw after turn 0, next to the truth.
    r = subprocess.run([cli, "replay", "--db", db, "--session", g.id,
                        "--turn", "0", "--seat", "dragon_magnets"],
                       capture_output=True, text=True)
    check(r.returncode == 0, "replay --turn --seat", r.stderr)
    j = json.loads(r.stdout)
    check(j["turn"] == 0 and j["seat"] == "dragon_magnets"
          and [c["id"] for c in j["seen"]["you"]["contracts"]] == [nid]
          and j["truth"] == j["seen"]["public"] and j["differences"] == [],
          "the seat's view after turn 0, equal to the truth on classroom",
          sorted(j))
    r = subprocess.run([cli, "replay", "--db", db, "--session", g.id,
                        "--turn", "0"], capture_output=True, text=True)
    j = json.loads(r.stdout)
    check(r.returncode == 0 and "public" in j and "market" in j
          and sorted(j["seats"]) == sorted(g.seats)
          and j["seats"]["dragon_separation"]["contracts"][0]["id"] == nid,
          "replay --turn: the ground truth, every seat", sorted(j))
    r = subprocess.run([cli, "replay", "--db", db, "--session", g.id,
                        "--turn", "7"], capture_output=True, text=True)
    check(r.returncode == 1 and "no stored turn 7" in r.stderr,
          "a turn not stored is named", r.stderr)
    out = os.path.join(tmp, "csv")
    r = subprocess.run([cli, "export", "--db", db, "--session", g.id,
                        "--out", out], capture_output=True, text=True)
    check(r.returncode == 0, "export", r.stderr)
    with open(os.path.join(out, "%s-timeline.csv" % g.id), newline="") as f:
        rows = list(csv.DictReader(f))
    check([int(x["t_ms"]) for x in rows] == sorted(int(x["t_ms"])
                                                   for x in rows),
          "timeline.csv in time order")
    check([x["kind"] for x in rows] == [x["kind"] for x in tl]
          and [x["text"] for x in rows] == [x["text"] for x in tl],
          "timeline.csv is timeline.get's record", rows)
    with open(os.path.join(out, "%s-seen_vs_true.csv" % g.id),
              newline="") as f:
        rows = list(csv.reader(f))
    check(rows == [["session", "turn", "seat", "path", "seen", "true"]],
          "seen_vs_true.csv: every seat saw the truth on classroom", rows)


if __name__ == "__main__":
    sys.exit(suite.run())
