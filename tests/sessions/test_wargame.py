#!/usr/bin/python3
"""A wargame rehearsal: what a control cell does over one session of the
April 2025 licensing scenario (maps/licensing-2025.json, issue 13,
docs/wargaming.md), end to end over the wire and through the command line.

Control creates the session with review: true and scripted_events: false;
people play the USA and China on two clients, agents the other seats; an
analyst's observer token reads the public view only, a red-team token
China's view too. session.status says who is where; control reads China's
view and its pending orders; event.list shows the map's prepared injects;
control cancels one and injects a flood that only the USA is told of. The
USA and China talk in a channel of their own, the USA asks control on
control:USA, control speaks to the press; the two negotiate a contract
(propose, counter, accept). The turn closes and is held: control gets
turn.proposed, and the players nothing. The server is killed (-9) with
the turn held and restarted: nothing is lost. Control releases the turn
with a cash amendment and its reason; the players get the result, the
USA reads its flood in the news and China does not, the contract has
delivered. Control forks at turn 1 (identical to the original before it),
timeline.get holds every kind of step, `lanthanide replay --verify`
passes and `lanthanide export` writes the timeline.

The second test runs the key steps through `lanthanide admin` and the
play prompt (a script piped to `lanthanide play`) and reads what they
print.
"""
import csv
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pylib"))
import lanserver  # noqa: E402
from harness import (LIVE_S, Game, Suite, check, expect_error,  # noqa: E402
                     notes_of, settle, take, wait_queued)

# A page of chat.history holds 2 messages: `admin history` and `messages`
# must page through.
suite = Suite(__doc__, server_args=("--chat-history-max", "2"))

MAP = "licensing-2025"
HUMANS = ("USA", "CHN")
FLOOD = "Floods close part of the US mines (control's inject)"
DYTB = {"product": "dytb_oxide", "quantity": 10, "turns": 2, "penalty": 10}


def wait_for(what, fn):
    deadline = time.monotonic() + LIVE_S
    while True:
        v = fn()
        if v:
            return v
        check(time.monotonic() < deadline, what)
        time.sleep(0.02)


def cli_path():
    return os.path.join(os.path.dirname(suite.args.server_bin), "lanthanide")


def rows(db, sql, *args):
    with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as con:
        return con.execute(sql, args).fetchall()


def start_server(db, log):
    return lanserver.Server(suite.args.server_bin, suite.args.maps, db, (),
                            timeout=10.0, err_path=log)


def texts(events):
    return [e.get("text", "") for e in events]


@suite.test
def control_cell_rehearsal(server):
    db = os.path.join(server.tmp, "wargame.db")
    log = os.path.join(server.tmp, "wargame.log")
    srv = start_server(db, log)
    try:
        admin = srv.client()
        game = Game(admin, MAP, turns=4, seed=11, review=True,
                    scripted_events=False)
        agents = [s for s in game.seats if s not in HUMANS]
        usa, chn = srv.client(), srv.client()
        usa_tok = game.join(usa, "USA", name="Blue lead")
        chn_tok = game.join(chn, "CHN", name="Red lead")
        game.bots(agents, "standing")
        game.watch(admin)
        analyst = admin.observer_issue(game.id, game.admin_token,
                                       name="analyst")
        red = admin.observer_issue(game.id, game.admin_token,
                                   name="red team", seats=["CHN"])
        game.start()

        # Who is where.
        st = admin.status(game.id, game.admin_token)
        check(st["review"] is True and st["scripted_events"] is False,
              "the session reviews turns and runs no scripted history", st)
        by = {s["seat"]: s for s in st["seats"]}
        for seat, name in (("USA", "Blue lead"), ("CHN", "Red lead")):
            check(by[seat]["played_by"] == "person" and
                  by[seat]["name"] == name and by[seat]["connected"] >= 1,
                  "a person plays %s" % seat, by[seat])
        check(all(by[s]["played_by"] == "agent" and
                  by[s]["agent"] == "standing" for s in agents),
              "agents play the rest", [by[s] for s in agents])

        # Control reads China's view and its pending orders.
        chn_orders = [{"op": "policy", "kind": "tax", "rate": 0.1}]
        res = chn.submit(chn_orders)
        check(res["rejected"] == [], "China's orders are accepted", res)
        view = admin.seat_view(game.id, game.admin_token, "CHN")
        own = chn.state()
        check(view["you"] == own["you"] and view["public"] == own["public"],
              "control sees China's view exactly as China does")
        check(view["pending"]["submitted"] is True and
              [o["kind"] for o in view["pending"]["orders"]] == ["tax"],
              "and China's pending orders", view["pending"])
        usa.submit([{"op": "policy", "kind": "tax", "rate": 0.05}])

        # Observers: the analyst reads the public view only; red team
        # China's too; neither writes.
        pub = admin.call("state.get", session=game.id, token=analyst["token"])
        check("you" not in pub and "public" in pub and "market" in pub,
              "the analyst reads the public view", sorted(pub))
        expect_error("forbidden", admin.call, "state.get", session=game.id,
                     token=analyst["token"], seat="CHN")
        rv = admin.call("state.get", session=game.id, token=red["token"],
                        seat="CHN")
        check(rv["you"] == own["you"], "red team reads China's view")
        expect_error("forbidden", admin.call, "state.get", session=game.id,
                     token=red["token"], seat="USA")
        expect_error("forbidden", admin.call, "chat.send", session=game.id,
                     token=red["token"], to="all", text="hello")

        # The map's prepared injects; control cancels one and adds its own
        # for the USA only.
        ev = admin.events(game.id, game.admin_token)
        check(ev["scripted_events"] is False and
              {s["status"] for s in ev["scripted"]} == {"off"},
              "the map's scripted events are off", ev["scripted"])
        prepared = ev["injects"]
        check(len(prepared) == 4 and
              all(i["status"] == "pending" and i["note"].startswith("MSEL")
                  for i in prepared),
              "the scenario's four prepared injects are pending, with "
              "their MSEL notes", prepared)
        magnet = [i for i in prepared if i["turn"] == 0 and
                  i["event"]["policy"]["product"] == "magnet"][0]
        check(admin.cancel_event(game.id, game.admin_token,
                                 inject=magnet["inject"]) ==
              {"status": "cancelled"}, "control cancels the magnet licence")
        flood = admin.inject(game.id, game.admin_token,
                             {"kind": "flood", "nation": "USA",
                              "magnitude": 0.3, "duration": 2,
                              "text": FLOOD},
                             seats=["USA"], note="MSEL 9: blue's bad day")
        check(flood["turn"] == 0, "the inject fires at the open turn", flood)
        ev = {i["inject"]: i for i in
              admin.events(game.id, game.admin_token)["injects"]}
        check(ev[magnet["inject"]]["status"] == "cancelled" and
              ev[flood["inject"]]["seats"] == ["USA"] and
              ev[flood["inject"]]["status"] == "pending",
              "event.list shows the cancel and the new inject", ev)

        # Talk: a bilateral channel, a request to control, the press.
        ch = usa.channel_open(["CHN"], title="Dy/Tb talks")
        check(ch["kind"] == "bilateral" and
              sorted(ch["members"]) == ["CHN", "USA"], "a bilateral", ch)
        usa.chat_channel(ch["channel"], "Can we talk about Dy/Tb supply?")
        chn.chat_channel(ch["channel"], "Licences take 45 days.")
        usa.chat_channel("control:USA", "What does China hold in stock?")
        admin.chat_channel("control:USA", "About 1,000 t of Dy/Tb oxide.",
                           session=game.id, admin_token=game.admin_token)
        admin.chat_channel("press", "Beijing announces export licences.",
                           session=game.id, admin_token=game.admin_token)
        check([m["text"] for m in chn.chat_history(channel=ch["channel"])]
              == ["Can we talk about Dy/Tb supply?", "Licences take 45 days."],
              "China reads the bilateral channel")
        expect_error("forbidden", chn.chat_history, channel="control:USA")
        check([m["from"] for m in admin.chat_history(
            channel="control:USA", session=game.id,
            admin_token=game.admin_token)] == ["USA", "admin"],
              "control reads the USA's request and its answer")
        check([m["text"] for m in chn.chat_history(channel="press")] ==
              ["Beijing announces export licences."], "the press is public")

        # A contract negotiated over the wire.
        nid = usa.contract_propose("CHN", dict(DYTB, side="buy", price=400))[
            "negotiation"]
        check(chn.contract_counter(nid, dict(DYTB, side="sell", price=450))
              ["status"] == "countered", "China counters")
        acc = usa.contract_accept(nid)
        check(acc["status"] == "accepted" and acc["turn"] == 0,
              "the USA accepts; the contract delivers from turn 0", acc)
        settle(admin, usa, chn)
        for c in (admin, usa, chn):
            check([n["action"] for n in take(c, "contract.updated")] ==
                  ["propose", "counter", "accept"],
                  "each step reaches both parties and control")
        spare = chn.contract_propose("USA", dict(DYTB, price=500,
                                                 id="spare"))
        check(chn.contract_withdraw(spare["negotiation"])["status"] ==
              "withdrawn", "China withdraws a second offer")
        check({n["negotiation"]: n["status"] for n in chn.negotiations()}
              == {nid: "accepted", spare["negotiation"]: "withdrawn"},
              "China's negotiations")

        # The turn closes and is held for control.
        usa.ready()
        chn.ready()
        wait_queued(admin, "turn.proposed", timeout=LIVE_S)
        note = take(admin, "turn.proposed")[0]
        check(note["turn"] == 0, "turn 0 is held", note.params)
        held = note["outcome"]
        settle(usa, chn)
        check(not notes_of(usa, "turn.resolved") and
              not notes_of(chn, "turn.resolved"),
              "the players see nothing yet")
        before = {
            "events": admin.events(game.id, game.admin_token),
            "negotiations": admin.negotiations(session=game.id,
                                               admin_token=game.admin_token),
            "chat": admin.chat_history(session=game.id,
                                       admin_token=game.admin_token),
            "channels": admin.channels(session=game.id,
                                       admin_token=game.admin_token),
            "observers": admin.observer_list(game.id, game.admin_token),
        }

        # kill -9 with the turn held, and back.
        srv.kill9()
        srv = start_server(db, log)
        admin = srv.client()
        game.admin = admin
        game.watch(admin)
        usa, chn = srv.client(), srv.client()
        usa.join(game.id, token=usa_tok)
        chn.join(game.id, token=chn_tok)
        check(admin.turn_proposal(game.id, game.admin_token) == held,
              "the held turn survives the restart, unchanged")
        after = {
            "events": admin.events(game.id, game.admin_token),
            "negotiations": admin.negotiations(session=game.id,
                                               admin_token=game.admin_token),
            "chat": admin.chat_history(session=game.id,
                                       admin_token=game.admin_token),
            "channels": admin.channels(session=game.id,
                                       admin_token=game.admin_token),
            "observers": admin.observer_list(game.id, game.admin_token),
        }
        for k in before:
            check(before[k] == after[k], "%s survive the restart" % k,
                  before[k], after[k])
        check(admin.call("state.get", session=game.id, token=red["token"],
                         seat="CHN")["turn"] == 0, "observer tokens too")

        # Control amends and releases.
        usa_out = [s for s in held["seats"] if s["seat"] == "USA"][0]
        reason = "compensation for the flood, agreed by control"
        rel = admin.turn_release(game.id, game.admin_token, [
            {"seat": "USA", "kind": "cash", "amount_cents": 100000000,
             "reason": reason}])
        check(rel == {"turn": 0, "amendments": 1}, "released with one "
              "amendment", rel)
        for c in (usa, chn):
            c.wait_for("turn.resolved", timeout=LIVE_S,
                       predicate=lambda n: n["turn"] == 0)
        u, c_ = usa.state(), chn.state()
        check(u["turn"] == 1 and c_["turn"] == 1, "turn 1 is open")
        check(round(u["you"]["cash"] * 100) ==
              usa_out["cash_cents"] + 100000000,
              "the USA's cash is the held result plus the amendment",
              u["you"]["cash"], usa_out["cash_cents"])
        check(FLOOD in texts(u["public"]["events"]),
              "the USA reads its inject in the news", u["public"]["events"])
        check(FLOOD not in texts(c_["public"]["events"]),
              "China does not", c_["public"]["events"])
        check(FLOOD not in texts(admin.call(
            "state.get", session=game.id, token=analyst["token"])
            ["public"]["events"]), "nor the analyst's public view")
        for who in (u, c_):
            cs = [x for x in who["you"]["contracts"] if x["id"] == nid]
            check(len(cs) == 1 and cs[0]["status"] == "running" and
                  cs[0]["price"] == 450 and cs[0]["seller"] == "CHN" and
                  cs[0]["buyer"] == "USA", "the negotiated contract runs",
                  who["you"]["contracts"])
            check(cs[0]["delivered"] > 0 and
                  cs[0]["delivered"] + cs[0]["shortfall"] +
                  cs[0]["excused"] == 10, "and has delivered", cs[0])

        # A fork at turn 1 is the original before turn 1.
        fork = admin.fork(game.id, game.admin_token, 1)
        check(fork["forked_from"] == {"session": game.id, "turn": 1},
              "a fork at turn 1", fork)
        h = "SELECT turn, state_hash FROM turns WHERE session_id = ? " \
            "AND turn < 1 ORDER BY turn"
        check(rows(srv.db, h, fork["session"]) == rows(srv.db, h, game.id)
              and len(rows(srv.db, h, game.id)) == 1,
              "the fork's turn 0 is the original's, bit for bit")
        orig_h = admin.history(session=game.id, admin_token=game.admin_token)
        fork_h = admin.history(session=fork["session"],
                               admin_token=fork["admin_token"])
        for key in ("prices", "production", "scores"):
            check([t[key] for t in fork_h if t["turn"] < 1] ==
                  [t[key] for t in orig_h if t["turn"] < 1],
                  "the fork's history before turn 1: %s" % key)

        # The record.
        tl = admin.timeline(game.id, game.admin_token)
        times = [r["t_ms"] for r in tl]
        check(times == sorted(times), "the timeline is in time order")
        kinds = {r["kind"] for r in tl}
        # (A review session's turn is recorded as its release.)
        for k in ("session", "orders", "ready", "message", "contract",
                  "inject", "amendment", "release"):
            check(k in kinds, "the timeline holds %s rows" % k, sorted(kinds))
        one = admin.timeline(game.id, game.admin_token, from_turn=0,
                             to_turn=0)
        check(one and all(r["turn"] == 0 for r in one) and
              len(one) < len(tl), "from_turn/to_turn keep turn 0's rows")
        am = [r for r in tl if r["kind"] == "amendment"]
        check(len(am) == 1 and am[0]["seat"] == "USA" and
              reason in am[0]["text"] + json.dumps(am[0]["data"]),
              "the amendment is in the record with its reason", am)
        check({r["data"]["channel"] for r in tl if r["kind"] == "message"}
              == {ch["channel"], "control:USA", "press"},
              "every channel's messages are in the record")
        check(srv.stop() == 0, "the server exits 0")
    finally:
        srv.kill9()

    r = subprocess.run([cli_path(), "replay", "--db", db, "--session",
                        game.id, "--verify"], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, "replay --verify matches every stored state "
          "(amendment, inject, contract)", r.stdout, r.stderr)
    out = os.path.join(server.tmp, "export")
    r = subprocess.run([cli_path(), "export", "--db", db, "--session",
                        game.id, "--out", out], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 0, "export runs", r.stdout, r.stderr)
    with open(os.path.join(out, "%s-timeline.csv" % game.id)) as f:
        kinds = {row["kind"] for row in csv.DictReader(f)}
    check({"message", "contract", "inject", "amendment", "release"} <= kinds,
          "timeline.csv holds the record", sorted(kinds))


@suite.test
def control_cell_from_the_command_line(server):
    srv = ["--server", "127.0.0.1:%d" % server.port]

    def run(*args, expect=0, stdin=None):
        p = subprocess.run([cli_path(), *args, *srv], capture_output=True,
                           text=True, timeout=60, input=stdin)
        check(p.returncode == expect, "exit %d" % expect, args, p.stdout,
              p.stderr)
        return p.stdout + p.stderr

    created = json.loads(run("admin", "create", "--map", MAP, "--turns", "3",
                             "--review", "--no-scripted-events", "--json"))
    sid, atok = created["session"], created["admin_token"]
    ctl = ["--session", sid, "--admin-token", atok]
    codes = {s["seat"]: s["join_code"] for s in created["seats"]}
    admin = server.client()
    st = admin.status(sid, atok)
    check(st["review"] and not st["scripted_events"],
          "--review --no-scripted-events", st)
    usa = server.client()
    usa_tok = usa.join(sid, join_code=codes["USA"])["token"]
    chn = server.client()
    chn.join(sid, join_code=codes["CHN"])
    run("admin", "bot", *ctl, "--all-empty", "--strategy", "standing")
    run("admin", "start", *ctl)

    text = run("admin", "events", *ctl)
    check("MSEL 1" in text and "pending" in text and "off" in text,
          "events lists the prepared injects and the scripted ones, off",
          text)
    text = run("admin", "cancel", *ctl, "--inject", "2")
    check("Inject 2 is cancelled" in text, "cancel says so", text)
    run("admin", "cancel", *ctl, expect=2)
    text = run("admin", "inject", *ctl, "--kind", "demand_surge",
               "--nation", "USA", "--product", "magnet", "--magnitude",
               "0.2", "--duration", "2", "--seat", "USA", "--text",
               "US magnet buyers stockpile", "--note", "MSEL 10")
    check("Inject 5 fires at the end of turn 0; USA sees it" in text,
          "inject says when it fires and who sees it", text)
    text = run("admin", "inject", *ctl, "--turn", "2", "--kind", "policy",
               "--nation", "CHN", "--policy",
               json.dumps({"op": "policy", "kind": "export_ban",
                           "product": "dytb_oxide", "to": "USA"}),
               "--text", "China bans Dy/Tb to the US")
    check("Inject 6 fires at the end of turn 2" in text, "a prepared inject",
          text)
    text = run("admin", "inject", *ctl, "--turn", "1", "--json", "--event",
               json.dumps({"kind": "flood", "nation": "AUS",
                           "magnitude": 0.1}))
    check(json.loads(text) == {"inject": 7, "turn": 1}, "--event", text)
    run("admin", "inject", *ctl, "--kind", "flood", "--magnitude", "x",
        expect=2)
    run("admin", "inject", *ctl, "--event", "{", expect=2)
    run("admin", "inject", *ctl, "--event", "{}", "--kind", "flood",
        expect=2)
    text = run("admin", "inject", *ctl, "--kind", "plant_outage", expect=1)
    check("facility" in text, "the server's refusal is printed", text)
    run("admin", "cancel", *ctl, "--inject", "7")
    text = run("admin", "events", *ctl)
    lines = {line.split()[0]: line for line in
             text.split("scripted events")[0].splitlines()
             if line[:1].isdigit()}
    check("cancelled" in lines["2"] and "pending" in lines["5"] and
          "USA" in lines["5"] and "MSEL 10" in text and
          "China bans Dy/Tb" in text and lines["6"].split()[-1] == "policy",
          "events shows statuses, audiences and notes", text)

    # The players talk and deal at the play prompt.
    script = ("channels\nchannel CHN Dy/Tb talks\nchat ch:1 Shall we deal?\n"
              "chat control What does China hold?\n"
              "propose CHN side=buy product=dytb_oxide quantity=10 price=400 "
              "turns=2 penalty=10\nnegotiations\nquit\n")
    text = run("play", "--session", sid, "--token", usa_tok, stdin=script)
    check("control:USA" in text and "Opened ch:1" in text and
          "Negotiation n1: open." in text and
          "buy 10 t dytb_oxide from CHN at $400.00/kg" in text,
          "play opens a channel, posts and proposes", text)
    script = ("negotiations\ncounter n1 side=sell product=dytb_oxide "
              "quantity=10 price=450 turns=2 penalty=10\n"
              "propose USA product=ndpr_oxide quantity=5 price=70 turns=1 "
              "penalty=5\nwithdraw n2\nmessages ch:1\nquit\n")
    chn_tok = chn.token
    text = run("play", "--session", sid, "--token", chn_tok, stdin=script)
    check("n1 USA <-> CHN, open: USA offers to buy 10 t dytb_oxide" in text
          and "Negotiation n1: countered." in text and
          "Negotiation n2: withdrawn." in text and
          "t1 [ch:1] USA: Shall we deal?" in text,
          "play lists, accepts, proposes and withdraws; reads a channel",
          text)
    chn.join(sid, token=chn_tok)  # back on the Python client
    text = run("play", "--session", sid, "--token", usa_tok,
               stdin="accept n1\nquit\n")
    check("Negotiation n1: accepted, the contract delivers from turn 1."
          in text, "play accepts the counter-offer", text)
    run("admin", "chat", *ctl, "--channel", "press", "Statement at noon")

    text = run("admin", "channels", *ctl)
    check("ch:1" in text and "Dy/Tb talks" in text and "control:USA" in text,
          "channels lists every channel", text)
    text = run("admin", "history", *ctl, "--channel", "control:USA")
    check("USA -> USA: What does China hold?" in text and
          "Shall we deal" not in text, "history reads one channel", text)
    text = run("admin", "history", *ctl)
    check("[ch:1] USA -> ch:1: Shall we deal?" in text and
          "[press] admin -> all: Statement at noon" in text,
          "history reads every channel", text)
    text = run("admin", "negotiations", *ctl)
    check("n1  USA <-> CHN: accepted (delivers from turn 0)" in text and
          "counter  by CHN: sells 10 t dytb_oxide at $450.00/kg" in text and
          "accept   by USA" in text and "n2  CHN <-> USA: withdrawn" in text,
          "negotiations shows the deals", text)
    run("admin", "history", *ctl, "--channel", "nope", expect=1)

    text = run("admin", "status", *ctl)
    check("person" in text and "agent standing" in text,
          "status shows who plays", text)
    usa.ready()
    chn.ready()
    wait_for("turn 0 held", lambda: admin.turn_proposal(sid, atok))
    run("admin", "release", *ctl)
    text = run("admin", "timeline", *ctl)
    for k in ("session", "inject", "message", "contract", "ready", "release"):
        check(" %s " % k in text, "timeline prints %s rows" % k, text)
    check("[control:USA] What does China hold?" in text,
          "timeline messages name their channel", text)
    one = run("admin", "timeline", *ctl, "--turn", "1")
    check("inject 5" not in one, "--turn keeps one turn", one)
    tl = json.loads(run("admin", "timeline", *ctl, "--json"))
    check(isinstance(tl, list) and tl[0]["kind"] == "session",
          "timeline --json is timeline.get's answer", tl[:1])


if __name__ == "__main__":
    sys.exit(suite.run())
