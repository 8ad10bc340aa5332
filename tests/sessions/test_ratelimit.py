#!/usr/bin/python3
"""Wrong join codes are rate-limited per address.

The server runs with --join-burst 3 --join-refill-ms 60000: an address may
send 3 wrong join codes, then one more per minute. This test documents the
behaviour:
  - a right code does not use up the budget;
  - the first 3 wrong codes are `unauthorized` (field join_code);
  - then every join with a code from that address, wrong or RIGHT, is
    `rate_limited` (field join_code) until the bucket refills: the server
    does not even look at the code, so a guesser learns nothing from it,
    and a player behind the same address (a classroom's NAT) has to wait
    for the refill (one code per minute here, one per 6 s by default);
  - the limit is per address, not per connection or per session: a new
    connection from the same address is refused too, in any session;
  - joining with a token is not limited (a token is 128 random bits);
  - another address has its own budget (127.0.0.2 and 127.0.0.3 are
    loopback addresses too; one of them suffices, since two addresses may
    share a bucket of the server's fixed table).

session.create is rate-limited per address the same way (--create-burst 4
--create-refill-ms 60000 here): 4 at once, then `rate_limited`, with a
message that says when to try again.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Game, Suite, check, expect_error  # noqa: E402

BURST = 3
CREATE_BURST = 4
suite = Suite(__doc__, server_args=["--join-burst", str(BURST),
                                    "--join-refill-ms", "60000",
                                    "--create-burst", str(CREATE_BURST),
                                    "--create-refill-ms", "60000"])


@suite.test
def wrong_codes_are_rate_limited(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=2)
    other = Game(admin, "classroom", turns=2)

    c = server.client()
    token = game.join(c, "CHN")           # a right code costs nothing
    for i in range(BURST):
        expect_error("unauthorized", c.join, game.id, join_code="WRONG%05d" % i,
                     field="join_code")
    expect_error("rate_limited", c.join, game.id, join_code="WRONG99999",
                 field="join_code")
    # Documented: the right code is refused too until the bucket refills.
    expect_error("rate_limited", c.join, game.id,
                 join_code=game.codes["USA"], field="join_code")
    check(not game.seat_listing("USA")["taken"],
          "the refused right code did not join")
    # Per address: a new connection, another session, same refusal.
    c2 = server.client()
    expect_error("rate_limited", c2.join, other.id,
                 join_code=other.codes["EUU"], field="join_code")
    # Tokens are not rate-limited.
    res = c2.join(game.id, token=token)
    check(res == {"seat": "CHN", "token": token}, "joining with a token works",
          res)
    # Missing session: not_found before any code is looked at.
    expect_error("not_found", c2.join, "s_nosuch", join_code="X",
                 field="session")

    # Another address has its own budget.
    joined = []
    for addr in ("127.0.0.2", "127.0.0.3"):
        try:
            c3 = server.client(source_address=(addr, 0))
        except OSError as e:
            raise AssertionError("cannot connect from %s: %s" % (addr, e))
        err, res = c3.try_call("session.join", session=game.id,
                               join_code=game.codes["USA"])
        if err is None:
            joined.append(addr)
            check(res["seat"] == "USA", "joined USA from another address", res)
            break
        check(err["code"] == "rate_limited", "only a shared bucket refuses",
              err)
    check(joined, "another address joins with the right code")

    stats = admin.call("server.stats")
    check(stats.get("join_rate_limited", 0) >= 3,
          "the refusals are counted (server.stats join_rate_limited)", stats)


@suite.test
def session_create_is_rate_limited(server):
    # From an address no other test uses (it may still share a bucket
    # with one: then fewer are allowed, never more).
    c = server.client(source_address=("127.0.0.7", 0))
    created, refused = 0, None
    for _ in range(CREATE_BURST + 2):
        err, res = c.try_call("session.create", map="classroom", turns=1)
        if err:
            refused = err
            break
        created += 1
    check(refused is not None and refused["code"] == "rate_limited",
          "session.create is rate-limited per address", refused, created)
    check(created <= CREATE_BURST, "at most --create-burst at once", created)
    check("try again in" in refused["message"] and
          "--create-burst" in refused["message"],
          "the refusal says when to try again and which limit", refused)
    stats = c.call("server.stats")
    check(stats["sessions_rate_limited"] >= 1, "the refusal is counted",
          stats)


if __name__ == "__main__":
    sys.exit(suite.run())
