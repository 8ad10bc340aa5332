#!/usr/bin/python3
"""Who sees which chat message, and each notification once per connection.

Connections: CHN, USA and EUU each on their own; one connection holding two
seats (dragon_mining and dragon_separation); the facilitator watching with
the admin token; a connection that joined nothing; and the admin of
another session watching that session. A message to "all" reaches every
subscriber of the session; a private message reaches its sender, its
addressee and the admin, nobody else; the two-seat connection gets each
notification once.

Chat is rate-limited per seat (and for the admin): --chat-burst messages
at once (10 by default), then one every --chat-refill-ms (2 s); each seat
has its own budget. A refused message is `rate_limited` and says when to
try again.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Game, Suite, check, expect_error, settle, take,  # noqa: E402
                     wait_queued)

suite = Suite(__doc__)


@suite.test
def chat_visibility(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=2, turn_seconds=600)
    other = Game(admin, "classroom", turns=2, turn_seconds=600)

    conns = {}
    for seat in ("CHN", "USA", "EUU"):
        conns[seat] = server.client()
        game.join(conns[seat], seat)
    two = server.client()
    t_mining = game.join(two, "dragon_mining")
    t_sep = game.join(two, "dragon_separation")
    conns["two"] = two
    conns["admin"] = server.client()
    game.watch(conns["admin"])
    conns["nobody"] = server.client()         # subscribed to nothing
    conns["other_admin"] = server.client()    # watches the other session
    other.watch(conns["other_admin"])
    everyone = list(conns.values())

    def say(sender, to, text, **who):
        res = sender.call("chat.send", session=game.id, to=to, text=text,
                          **who)
        check(res == {}, "chat.send answers {}", res)
        settle(*everyone)
        got = {}
        for name, c in conns.items():
            msgs = [n for n in take(c, "chat.message") if n["text"] == text]
            got[name] = len(msgs)
            for n in msgs:
                check(n["session"] == game.id and n["to"] == to,
                      "chat.message names the session and addressee",
                      n.params)
        return got

    def expect(got, receivers, what):
        want = {name: (1 if name in receivers else 0) for name in conns}
        check(got == want, what, got, want)

    tok = {seat: conns[seat].token for seat in ("CHN", "USA", "EUU")}

    got = say(conns["CHN"], "all", "hello everyone", token=tok["CHN"])
    expect(got, {"CHN", "USA", "EUU", "two", "admin"},
           "to all: every subscriber of the session, once each")

    got = say(conns["CHN"], "USA", "psst USA", token=tok["CHN"])
    expect(got, {"CHN", "USA", "admin"},
           "private: sender, addressee and admin only")

    got = say(conns["USA"], "dragon_mining", "to the miner",
              token=tok["USA"])
    expect(got, {"USA", "two", "admin"},
           "private to one of two seats of a connection: once")

    got = say(two, "dragon_mining", "between my two seats", token=t_sep)
    expect(got, {"two", "admin"},
           "private between the two seats of one connection: once")

    got = say(conns["admin"], "EUU", "from the control cell",
              admin_token=game.admin_token)
    expect(got, {"EUU", "admin"}, "the admin's private message")

    got = say(conns["admin"], "all", "announcement",
              admin_token=game.admin_token)
    expect(got, {"CHN", "USA", "EUU", "two", "admin"},
           "the admin's message to all")

    # The sender is named: a seat, or "admin".
    conns["CHN"].chat("who am I", to="EUU")
    n = conns["EUU"].wait_for("chat.message", timeout=5)
    check(n["from"] == "CHN" and n["to"] == "EUU" and n["text"] == "who am I",
          "from names the sender's seat", n.params)
    admin.chat("and I", to="EUU", session=game.id,
               admin_token=game.admin_token)
    n = conns["EUU"].wait_for("chat.message", timeout=5)
    check(n["from"] == "admin", "from is 'admin' for the control cell",
          n.params)
    for c in everyone:
        c.clear_notifications()

    # Sent from a connection that follows nothing: the sending connection
    # itself gets a copy (PROTOCOL.md: it reaches its sender), and so do
    # the sender's seat, the addressee and the admin.
    got = say(conns["nobody"], "USA", "from a bare connection",
              token=tok["CHN"])
    expect(got, {"nobody", "CHN", "USA", "admin"},
           "a seat's message reaches the sending connection and the seat's "
           "own connection")

    # Refusals.
    expect_error("not_found", conns["CHN"].chat, "x", to="ATL",
                 field="to")
    expect_error("too_large", conns["CHN"].chat, "x" * 2001, to="all",
                 field="text")
    expect_error("bad_request", conns["CHN"].call, "chat.send",
                 session=game.id, token=tok["CHN"], to="all")

    # Turn notifications: once per connection, also with two seats.
    game.bots(["CHN", "USA", "EUU", "dragon_magnets", "mountain_minerals",
               "kangaroo_rare", "euro_magnets"], force=True)
    game.start()
    two.ready(token=t_mining)
    res = two.ready(token=t_sep)
    check(res["waiting"] == [], "both seats of the connection ready", res)
    wait_queued(conns["admin"], "turn.resolved")
    settle(*everyone)
    for name, c in conns.items():
        started = take(c, "session.started")
        resolved = take(c, "turn.resolved")
        want = 0 if name in ("nobody", "other_admin") else 1
        check(len(started) == want and len(resolved) == want,
              "session.started and turn.resolved once per connection", name,
              len(started), len(resolved))


@suite.test
def spectators_see_public_notifications_only(server):
    # A session created with spectators: true may be watched without a
    # token; the spectator sees chat to all and the turns, not private
    # messages. Without spectators, watching needs a token.
    admin = server.client()
    game = Game(admin, "classroom", turns=1, turn_seconds=600,
                spectators=True)
    closed = Game(admin, "classroom", turns=1)
    spectator = server.client()
    check(spectator.watch(game.id) == {}, "watching without a token")
    expect_error("unauthorized", spectator.watch, closed.id)
    chn, usa = server.client(), server.client()
    game.join(chn, "CHN")
    game.join(usa, "USA")
    chn.chat("public", to="all")
    chn.chat("private", to="USA")
    settle(usa, spectator)
    texts = [n["text"] for n in take(spectator, "chat.message")]
    check(texts == ["public"], "the spectator sees chat to all only", texts)
    expect_error("unauthorized", spectator.call, "chat.send", session=game.id,
                 to="all", text="a spectator cannot talk")
    game.bots([s for s in game.seats if s not in ("CHN", "USA")])
    game.start()
    chn.ready()
    usa.ready()
    n = spectator.wait_for("turn.resolved", timeout=5)
    check(n["turn"] == 0, "the spectator follows the turns")
    spectator.wait_for("session.finished", timeout=5)


@suite.test
def chat_is_rate_limited_per_seat(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=1, turn_seconds=600)
    chn, usa = server.client(), server.client()
    game.join(chn, "CHN")
    game.join(usa, "USA")
    # The default budget is 10 at once; a slow machine may see one or two
    # refills while this runs, hence "within 15" rather than exactly 11.
    sent, refused = 0, None
    for i in range(15):
        err, res = chn.try_call("chat.send", session=game.id,
                                token=chn.token, to="all", text="m%d" % i)
        if err:
            refused = err
            break
        sent += 1
    check(refused is not None and refused["code"] == "rate_limited",
          "a seat's chat is rate-limited", refused, sent)
    check(sent >= 10, "10 messages at once are allowed", sent)
    check("try again in" in refused["message"] and
          "--chat-burst" in refused["message"],
          "the refusal says when to try again and which limit", refused)
    # Other seats and the admin have their own budgets.
    check(usa.call("chat.send", session=game.id, token=usa.token, to="all",
                   text="mine") == {}, "another seat still chats")
    check(admin.call("chat.send", session=game.id,
                     admin_token=game.admin_token, to="all",
                     text="control") == {}, "the admin still chats")
    stats = admin.call("server.stats")
    check(stats["chat_rate_limited"] >= 1, "the refusal is counted", stats)


if __name__ == "__main__":
    sys.exit(suite.run())
