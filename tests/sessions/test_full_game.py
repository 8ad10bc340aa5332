#!/usr/bin/python3
"""A complete game of the `classroom` map over TCP with several clients.

Three seats are played by clients of this test (a nation and a firm that
submit valid and invalid orders every turn, and a firm played by
lanthanide.run_bot with the example bot's decide in a thread); the other
six are given to built-in agents with session.bot; the facilitator watches
with the admin token. Every client gets session.started, exactly one
turn.resolved per turn with a summary, and session.finished with a score
for every seat; history.get has one entry per turn; state.get shows the
turn advancing. Turns have a long deadline and resolve on ready-ups.

The pipelining test sends 300 chat messages from one seat at once, so the
server runs with a chat budget that allows them (--chat-burst).
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CLASSROOM_SEATS, ROOT, Game, Suite, check,  # noqa: E402
                     check_summary, expect_error, lanthanide, settle, take)

sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
import example_bot  # noqa: E402

suite = Suite(__doc__, server_args=["--chat-burst", "1000"])

# Orders of the firm `mountain_minerals` (mine mountain_mine, separation
# plant mountain_sep): indices 1, 3 and 5 are refused, the others apply.
FIRM_ORDERS = [
    {"op": "operate", "facility": "mountain_mine", "utilisation": 0.9},
    {"op": "fly", "to": "the moon"},                                     # 1
    {"op": "offer", "product": "concentrate", "quantity": 1200,
     "min_price": 4.5},
    {"op": "operate", "facility": "no_such_plant", "utilisation": 0.5},  # 3
    {"op": "hire", "skill": "separation", "count": 5},
    {"op": "bid", "product": "magnet", "quantity": 10, "max_price": -3},  # 5
]
FIRM_REFUSED = {1: "op", 3: "facility", 5: "max_price"}

# Orders of the nation USA: indices 0 and 2 are refused.
NATION_ORDERS = [
    {"op": "operate", "facility": "mountain_mine", "utilisation": 1},    # 0
    {"op": "policy", "kind": "subsidy", "stage": "separation",
     "capex_share": 0.3, "output": 1.5},
    {"op": "policy", "kind": "tariff", "product": "magnet", "rate": 99},  # 2
    {"op": "policy", "kind": "stockpile", "product": "dytb_oxide",
     "target": 50},
]
NATION_REFUSED = {0: None, 2: "rate"}  # None: any field


def check_rejected(res, refused, turn):
    check(res["turn"] == turn, "orders.submit answers the open turn",
          res["turn"], turn)
    got = {r["index"]: r for r in res["rejected"]}
    check(sorted(got) == sorted(refused), "exactly the invalid orders are "
          "rejected", sorted(got), sorted(refused), res["rejected"])
    for i, r in got.items():
        check(r["code"] == "invalid_order", "code invalid_order", r)
        check(isinstance(r["message"], str) and len(r["message"]) > 10,
              "a message for a person", r)
        check(isinstance(r.get("field"), str) and r["field"],
              "the refused field is named", r)
        if refused[i] is not None:
            check(r["field"] == refused[i], "the right field", r, refused[i])


@suite.test
def full_classroom_game(server):
    admin = server.client()
    admin.hello(client="full-game-test")
    game = Game(admin, "classroom", name="full game", seed=42,
                turn_seconds=3600)
    check(game.seats == CLASSROOM_SEATS, "the classroom's nine seats",
          game.seats)
    turns = game.listing()["turns"]
    check(turns == 16, "classroom lasts 16 turns", turns)
    check(game.listing()["status"] == "lobby", "a new session is in the lobby")

    watcher = server.client()
    game.watch(watcher)
    firm = server.client()
    game.join(firm, "mountain_minerals", name="firm player")
    nation = server.client()
    game.join(nation, "USA", name="nation player")
    people = ["mountain_minerals", "USA", "euro_magnets"]
    game.bots([s for s in game.seats if s not in people])

    listing = {s["seat"]: s for s in game.listing()["seats"]}
    for seat in game.seats:
        if seat in ("mountain_minerals", "USA"):
            check(listing[seat]["taken"] and listing[seat]["agent"] is None,
                  "a joined seat is taken, no agent", listing[seat])
        elif seat == "euro_magnets":
            check(not listing[seat]["taken"], "a free seat", listing[seat])
        else:
            check(listing[seat]["agent"] == "standing", "an agent's seat",
                  listing[seat])

    # The third person: the example bot through run_bot, in a thread.
    bot_out = {}

    def play():
        try:
            bot_out["scores"] = lanthanide.run_bot(
                "127.0.0.1", server.port, game.id, game.codes["euro_magnets"],
                lambda obs: example_bot.decide(obs, say=lambda *a: None),
                name="example bot", log=None, turn_timeout=30)
        except Exception as e:  # noqa: BLE001
            bot_out["error"] = repr(e)

    bot = threading.Thread(target=play, daemon=True)
    bot.start()
    # Wait until the bot holds its seat, so the game cannot start without it.
    for _ in range(200):
        if game.seat_listing("euro_magnets")["taken"]:
            break
        bot.join(0.02)
    check(game.seat_listing("euro_magnets")["taken"], "run_bot joined")

    # Orders may be sent in the lobby; ready only counts once started.
    res = firm.submit(FIRM_ORDERS)
    check_rejected(res, FIRM_REFUSED, 0)
    expect_error("conflict", firm.ready)

    game.start()
    check(game.listing()["status"] == "running", "running after start")
    for c in (watcher, firm, nation):
        n = c.wait_for("session.started", timeout=5)
        check(n.params == {"session": game.id, "turn": 0},
              "session.started names the session and turn 0", n)

    resolved = {id(c): [] for c in (watcher, firm, nation)}
    for turn in range(turns):
        obs = firm.state()
        check(obs["turn"] == turn and obs["status"] == "running",
              "state.get shows the open turn", obs["turn"], obs["status"], turn)
        check(obs["session"] == game.id and obs["seat"] == "mountain_minerals"
              and obs["turns"] == turns, "the observation's header",
              {k: obs[k] for k in ("session", "seat", "turn", "turns")})
        check(obs["deadline_ms"] is not None and obs["remaining_ms"] > 0,
              "a running turn has a deadline",
              obs["deadline_ms"], obs["remaining_ms"])

        # The firm: valid and invalid orders in one submission; the valid
        # ones apply (they are this turn's orders in state.get).
        res = firm.submit(FIRM_ORDERS)
        check_rejected(res, FIRM_REFUSED, turn)
        mine = firm.state()["you"]["orders"]
        ops = sorted(o["op"] for o in mine)
        check(ops == ["hire", "offer", "operate"],
              "the valid orders are the seat's orders for the turn", mine)
        offer = [o for o in mine if o["op"] == "offer"][0]
        check(offer == {"op": "offer", "product": "concentrate",
                        "quantity": 1200.0, "min_price": 4.5},
              "the offer as sent", offer)
        ready = firm.ready()
        check(ready["turn"] == turn and "mountain_minerals" not in
              ready["waiting"], "turn.ready: the seat is no longer waited for",
              ready)
        check(set(ready["waiting"]) <= {"USA", "euro_magnets"},
              "only people's seats are waited for", ready)

        # The nation: some refused, the rest applies, ready in the same call.
        res = nation.submit(NATION_ORDERS, ready=True)
        check_rejected(res, NATION_REFUSED, turn)

        for c in (watcher, firm, nation):
            n = c.wait_for("turn.resolved", timeout=10)
            check(n["session"] == game.id and n["turn"] == turn,
                  "turn.resolved names the turn just resolved", n.params, turn)
            check_summary(n["summary"], game.seats)
            resolved[id(c)].append(n["turn"])

    for c in (watcher, firm, nation):
        n = c.wait_for("session.finished", timeout=10)
        check(n["session"] == game.id, "session.finished names the session")
        check([s["seat"] for s in n["scores"]] == game.seats,
              "session.finished has a score for every seat", n["scores"])
        for s in n["scores"]:
            check(isinstance(s["score"], (int, float)), "a numeric score", s)
    settle(watcher, firm, nation)
    for c in (watcher, firm, nation):
        extra = take(c, "turn.resolved") + take(c, "session.started") + \
            take(c, "session.finished")
        check(not extra, "each notification once per connection", extra)
        check(resolved[id(c)] == list(range(turns)),
              "one turn.resolved per turn, in order", resolved[id(c)])

    bot.join(10)
    check(not bot.is_alive(), "run_bot returned at the end of the game")
    check("error" not in bot_out, "run_bot played without error", bot_out)
    check(sorted(bot_out["scores"]) == sorted(game.seats),
          "run_bot returns every seat's final score", bot_out)

    # After the game.
    obs = firm.state()
    check(obs["status"] == "finished" and obs["turn"] == turns,
          "state.get after the last turn", obs["status"], obs["turn"])
    check(game.listing()["status"] == "finished", "session.list: finished")
    expect_error("conflict", firm.submit, FIRM_ORDERS)
    expect_error("conflict", firm.ready)
    expect_error("conflict", admin.start, game.id, game.admin_token)

    for who in ({"token": firm.token}, {"admin_token": game.admin_token}):
        hist = admin.history(game.id, **who)
        check([h["turn"] for h in hist] == list(range(turns)),
              "history.get: one entry per turn", [h["turn"] for h in hist])
        for h in hist:
            check_summary(h, game.seats)
            check(isinstance(h["events"], list), "events in history", h)
    part = admin.history(game.id, admin_token=game.admin_token,
                         from_turn=3, to_turn=5)
    check([h["turn"] for h in part] == [3, 4, 5], "history.get from/to",
          [h["turn"] for h in part])
    # The last turn's scores are the final ones.
    final = {s["seat"]: s["score"] for s in hist[-1]["scores"]}
    check(final == bot_out["scores"], "final scores = last turn's scores",
          final, bot_out["scores"])


@suite.test
def client_pipelining_keeps_notifications(server):
    # The client's msgid matching: many requests in flight, results taken
    # in any order, and the notifications that arrive meanwhile are kept.
    admin = server.client()
    game = Game(admin, "classroom", turns=1)
    c = server.client()
    game.join(c, "CHN")
    ids = []
    for i in range(300):
        ids.append(("ping", c.send("ping")))
        ids.append(("chat", c.send("chat.send", session=game.id,
                                   token=c.token, to="all", text="n%d" % i)))
        ids.append(("state", c.send("state.get", session=game.id,
                                    token=c.token)))
        ids.append(("bad", c.send("state.get", session=game.id,
                                  token="0" * 32)))
    for kind, msgid in reversed(ids):
        if kind == "bad":
            err, res = c.response(msgid)
            check(err["code"] == "unauthorized" and res is None,
                  "an error answer", err)
            continue
        res = c.result(msgid)
        if kind == "ping" or kind == "chat":
            check(res == {}, "ping and chat.send answer {}", res)
        else:
            check(res["seat"] == "CHN", "state.get answers", res["seat"])
    texts = [n["text"] for n in take(c, "chat.message")]
    check(texts == ["n%d" % i for i in range(300)],
          "every notification kept, in order", len(texts))
    check(c.next_notification(timeout=0.05) is None, "nothing else queued")
    try:
        c.wait_for("turn.resolved", timeout=0.05)
        raise AssertionError("wait_for should time out")
    except TimeoutError:
        pass
    try:
        c.call("nope.nope")
        raise AssertionError("an error response should raise")
    except lanthanide.LanthanideError as e:
        check(e.code == "unknown_method" and e.field is None,
              "LanthanideError(code, message, field)", e.code, e.field)


if __name__ == "__main__":
    sys.exit(suite.run())
