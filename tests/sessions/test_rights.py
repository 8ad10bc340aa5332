#!/usr/bin/python3
"""The token rights table: every method x every identity.

PROTOCOL.md "Identity": a seat token acts for its seat alone; an admin
token for its session alone. A missing or unknown token is `unauthorized`;
a valid token acting outside its rights (a seat token where the admin's is
needed, the admin token where a seat's is, any token of another session)
is `forbidden`.

Identities (columns), for session A (the one the request names):
  none          no token at all
  unknown       a well-formed token no session knows
  seat          the token of seat CHN of A
  other_seat    the token of another seat of A (USA): acts for USA
  admin         A's admin token
  other_admin   the admin token of session B
  b_seat        the token of a seat of session B
Seat tokens are sent as `token`, admin tokens as `admin_token`; an unknown
token goes where the method expects one (`admin_token` for the admin's
methods, `token` otherwise). session.join takes every token as `token`
(it has no `admin_token`).

The methods run in an order that keeps A in a state where the one `ok`
call of a control method can succeed (start in the lobby, pause while
running, ...): identity errors are checked before the session's state, so
the refused calls change nothing.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Game, LanthanideError, Suite, check, msgpack  # noqa: E402

suite = Suite(__doc__)

IDENTITIES = ["none", "unknown", "seat", "other_seat", "admin", "other_admin",
              "b_seat"]
OK, UN, FB = "ok", "unauthorized", "forbidden"

# method: expected outcome per identity, in IDENTITIES order.
EXPECTED = {
    #                     none unknown seat other_seat admin other_admin b_seat
    "hello":             (OK,  OK,     OK,  OK,        OK,   OK,         OK),
    "ping":              (OK,  OK,     OK,  OK,        OK,   OK,         OK),
    "maps.list":         (OK,  OK,     OK,  OK,        OK,   OK,         OK),
    "strategies.list":   (OK,  OK,     OK,  OK,        OK,   OK,         OK),
    "session.list":      (OK,  OK,     OK,  OK,        OK,   OK,         OK),
    "server.stats":      (OK,  OK,     OK,  OK,        OK,   OK,         OK),
    "session.create":    (OK,  OK,     OK,  OK,        OK,   OK,         OK),
    "session.join":      (UN,  UN,     OK,  OK,        FB,   FB,         FB),
    "session.watch":     (UN,  UN,     OK,  OK,        OK,   FB,         FB),
    "session.bot":       (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "session.start":     (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    # issue 13: the control cell reads any seat's view (with `seat`)
    "state.get":         (UN,  UN,     OK,  OK,        OK,   FB,         FB),
    "orders.submit":     (UN,  UN,     OK,  OK,        FB,   FB,         FB),
    "turn.ready":        (UN,  UN,     OK,  OK,        FB,   FB,         FB),
    "chat.send":         (UN,  UN,     OK,  OK,        OK,   FB,         FB),
    "history.get":       (UN,  UN,     OK,  OK,        OK,   FB,         FB),
    "session.advance":   (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "session.pause":     (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "session.resume":    (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "session.stop":      (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "contracts.list":    (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    # The control cell (issue 13)
    "session.status":    (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "observer.issue":    (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "observer.list":     (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    # Seat control (issue 10): the facilitator's alone. The rotation of
    # the admin token goes last: its ok call replaces A's admin token.
    "seat.lock":         (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "seat.reissue_code": (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "seat.rotate_token": (UN,  UN,     FB,  FB,        OK,   FB,         FB),
    "session.rotate_admin_token":
                         (UN,  UN,     FB,  FB,        OK,   FB,         FB),
}
ADMIN_METHODS = {"session.bot", "session.start", "session.advance",
                 "session.pause", "session.resume", "session.stop",
                 "contracts.list", "seat.lock", "seat.reissue_code",
                 "session.status", "observer.issue", "observer.list",
                 "seat.rotate_token", "session.rotate_admin_token"}
# The ok call goes last, so that a state change (start, pause, ...) comes
# after every refused call.
ORDER = ["none", "unknown", "seat", "other_seat", "other_admin", "b_seat",
         "admin"]


class World:
    def __init__(self, server):
        self.admin = server.client()
        self.a = Game(self.admin, "classroom", turns=3, turn_seconds=600)
        self.b = Game(self.admin, "classroom", turns=3, turn_seconds=600)
        self.c = server.client()  # makes every call under test
        holder = server.client()  # holds A's CHN and USA seats
        self.tokens = {
            "seat": self.a.join(holder, "CHN"),
            "other_seat": self.a.join(holder, "USA"),
            "b_seat": self.b.join(server.client(), "CHN"),
            "admin": self.a.admin_token,
            "other_admin": self.b.admin_token,
            "unknown": "5eed" * 8,
        }

    def params(self, method, ident):
        """The request's params for `method` with identity `ident`."""
        p = {"session": self.a.id}
        extra = {
            "hello": {"client": "rights", "protocol": 1},
            "session.create": {"map": "classroom", "turns": 1},
            "session.bot": {"seat": "EUU", "strategy": "standing"},
            "orders.submit": {"orders": [{"op": "policy", "kind": "tax",
                                          "rate": 0.2}]},
            "chat.send": {"to": "all", "text": "rights"},
            "seat.lock": {"seat": "EUU", "locked": False},
            "seat.reissue_code": {"seat": "EUU"},
            "seat.rotate_token": {"seat": "EUU"},
        }
        p.update(extra.get(method, {}))
        if method == "state.get" and ident in ("admin", "other_admin"):
            p["seat"] = "EUU"  # the control cell names the seat to view
        if ident == "none":
            return p
        tok = self.tokens[ident]
        if method == "session.join":
            p["token"] = tok  # session.join takes any token as `token`
        elif ident in ("admin", "other_admin") or (
                ident == "unknown" and method in ADMIN_METHODS):
            p["admin_token"] = tok
        else:
            p["token"] = tok
        return p


def check_outcome(world, method, ident, want):
    params = world.params(method, ident)
    err, res = world.c.try_call(method, params)
    got = OK if err is None else err["code"]
    check(got == want, "%s as %s: expected %s, got %s"
          % (method, ident, want, got), err)
    if err is not None:
        check(isinstance(err.get("message"), str) and err["message"],
              "an error message", err)
        check(err.get("field") in ("token", "admin_token", "join_code"),
              "the error names the identity field", err)
    elif method in ("state.get",):
        # A seat token acts for its own seat, and only for it; the
        # control cell sees the seat it names, with its pending orders.
        seat = {"seat": "CHN", "other_seat": "USA", "admin": "EUU"}[ident]
        check(res["seat"] == seat, "state.get shows the token's seat",
              res["seat"], seat)
    elif method == "session.join":
        seat = "CHN" if ident == "seat" else "USA"
        check(res["seat"] == seat and res["token"] == world.tokens[ident],
              "session.join with a token joins that token's seat", res)
    elif method == "session.rotate_admin_token":
        # The old admin token is gone; later calls use the new one.
        world.tokens["admin"] = world.a.admin_token = res["admin_token"]


def make_test(world_box, method):
    def run(server):
        if "w" not in world_box:
            world_box["w"] = World(server)
        w = world_box["w"]
        row = dict(zip(IDENTITIES, EXPECTED[method]))
        failures = []
        for ident in ORDER:
            try:
                check_outcome(w, method, ident, row[ident])
            except AssertionError as e:
                failures.append(str(e))
        if failures:
            raise AssertionError("\n".join(failures))
    return run


def table_is_complete(server):
    check(list(EXPECTED) == [m for m in EXPECTED], "a row per method")
    for method, row in EXPECTED.items():
        check(len(row) == len(IDENTITIES), "a cell per identity", method)
    # Every session method of PROTOCOL.md's v1 core is in the table.
    core = {"hello", "ping", "maps.list", "strategies.list", "session.create",
            "session.list", "session.join", "session.bot", "session.start",
            "session.pause", "session.resume", "session.stop",
            "session.watch", "state.get", "orders.submit", "turn.ready",
            "chat.send", "history.get"}
    check(core <= set(EXPECTED), "every v1 core method has a row",
          sorted(core - set(EXPECTED)))


def admin_token_as_seat_token(server):
    # The admin token sent as `token` to a seat method is still the
    # admin's, and still forbidden there; a seat token sent as
    # `admin_token` to an admin method is still a seat's.
    admin = server.client()
    game = Game(admin, "classroom", turns=1)
    tok = game.join(server.client(), "CHN")
    c = server.client()
    err, _ = c.try_call("turn.ready", session=game.id, token=game.admin_token)
    check(err and err["code"] == FB, "admin token as token: forbidden", err)
    err, _ = c.try_call("session.start", session=game.id, admin_token=tok)
    check(err and err["code"] == FB, "seat token as admin_token: forbidden",
          err)
    err, _ = c.try_call("state.get", session="s_nosuch", token=tok)
    check(err and err["code"] == "not_found" and err["field"] == "session",
          "an unknown session is not_found", err)


def nil_token_is_absent(server):
    # {"token": nil} is no token at all, in every method: on a session
    # with spectators, session.watch and history.get need none.
    admin = server.client()
    game = Game(admin, "classroom", turns=1, spectators=True)
    c = server.client()
    for i, (method, key) in enumerate((("session.watch", "token"),
                                       ("session.watch", "admin_token"),
                                       ("history.get", "token"),
                                       ("history.get", "admin_token"))):
        msgid = 900000 + i
        c.sock.sendall(msgpack.packb([0, msgid, method,
                                      [{"session": game.id, key: None}]]))
        err, res = c.response(msgid)
        check(err is None, "%s with %s nil is as without it" % (method, key),
              err)
    # And where a token is needed, nil is a missing token.
    c.sock.sendall(msgpack.packb([0, 900010, "state.get",
                                  [{"session": game.id, "token": None}]]))
    err, _ = c.response(900010)
    check(err and err["code"] == UN, "state.get with token nil: "
          "unauthorized", err)


suite.add("rights_table_is_complete", table_is_complete)
_box = {}
for _m in EXPECTED:
    suite.add("rights %s" % _m, make_test(_box, _m))
suite.add("rights_token_under_the_other_key", admin_token_as_seat_token)
suite.add("rights_nil_token_is_absent", nil_token_is_absent)


if __name__ == "__main__":
    try:
        sys.exit(suite.run())
    except LanthanideError as e:
        print("unexpected error setting up: %s" % e)
        sys.exit(1)
