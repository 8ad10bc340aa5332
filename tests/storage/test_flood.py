"""One seat flooding orders.submit can neither fill the disk nor slow
the next start (docs/storage.md, "What is stored"; issue 10).

- Storage keeps what replay needs only: with the rate limit out of the
  way (--submit-burst 1000000), one seat pipelines 1,500 submissions of
  256 offers each in the lobby. Every one is acknowledged; the database
  then holds one submission row for that seat and turn (the last one
  sent), the file (with its WAL) stays small, and after a restart the
  session is there with the same single row.
- A per-seat rate limit: with --submit-burst 5 --submit-refill-ms 0, 20
  pipelined submissions give 5 answers and 15 `rate_limited` errors that
  name the flags, counted in server.stats (submit_rate_limited); another
  seat is not affected, and a turn that opens gives the seat its burst
  again.
"""
import os

from common import Server, Suite, check, db_query, parse_args

SEAT = "mountain_minerals"
OTHER = "kangaroo_rare"
N_FLOOD = 1500
# What the file may grow to: far below what 1,500 stored submissions of
# 256 offers would take (about 20 MB), far above one session's rows.
MAX_BYTES = 4 * 1024 * 1024


def offers(k):
    return [{"op": "offer", "product": "concentrate",
             "quantity": 1000.0 + i + k, "min_price": 4.25}
            for i in range(256)]


def new_session(srv):
    admin = srv.client()
    r = admin.create_session("classroom", turns=4)
    codes = {s["seat"]: s["join_code"] for s in r["seats"]}
    return admin, r["session"], r["admin_token"], codes


def db_bytes(db):
    return sum(os.path.getsize(p) for p in (db, db + "-wal")
               if os.path.exists(p))


def t_storage_bounded(args, tmp):
    db = os.path.join(tmp, "flood.db")
    srv = Server(args.server_bin, args.maps, db,
                 extra=["--submit-burst", "1000000"])
    try:
        admin, sid, atok, codes = new_session(srv)
        p = srv.client(timeout=120)
        tok = p.join(sid, join_code=codes[SEAT])["token"]
        first = p.call("orders.submit", session=sid, token=tok,
                       orders=offers(0))
        check(first["rejected"] == [], "256 offers are accepted", first)
        ids = [p.send("orders.submit", session=sid, token=tok,
                      orders=offers(k)) for k in range(1, N_FLOOD)]
        for m in ids:
            res = p.result(m)
            check(res["turn"] == 0, "each submission is acknowledged", res)
        size = db_bytes(db)
    finally:
        check(srv.stop() == 0, "the server exits 0")
    seat_index = list(codes).index(SEAT)
    rows = db_query(db, "SELECT turn, seat_index, orders FROM submissions "
                    "WHERE session_id = ?", (sid,))
    check(len(rows) == 1, "one submission row for the seat and turn",
          len(rows))
    check(rows[0][0] == 0 and rows[0][1] == seat_index,
          "the row is the seat's, for turn 0", rows[0][:2])
    check(size < MAX_BYTES and db_bytes(db) < MAX_BYTES,
          "the file stays small", size, db_bytes(db))
    srv = Server(args.server_bin, args.maps, db)
    try:
        c = srv.client()
        got = {s["session"]: s["status"] for s in c.sessions()}
        check(got.get(sid) == "lobby", "restored after the flood", got)
    finally:
        check(srv.stop() == 0, "the server exits 0")
    n = db_query(db, "SELECT COUNT(*) FROM submissions WHERE "
                 "session_id = ?", (sid,))[0][0]
    check(n == 1, "still one row after the restart", n)


def t_rate_limited(args, tmp):
    db = os.path.join(tmp, "limited.db")
    srv = Server(args.server_bin, args.maps, db,
                 extra=["--submit-burst", "5", "--submit-refill-ms", "0"])
    try:
        admin, sid, atok, codes = new_session(srv)
        p = srv.client()
        tok = p.join(sid, join_code=codes[SEAT])["token"]
        ids = [p.send("orders.submit", session=sid, token=tok, orders=[])
               for _ in range(20)]
        answers = [p.response(m) for m in ids]
        ok = [r for e, r in answers if e is None]
        refused = [e for e, r in answers if e is not None]
        check(len(ok) == 5, "the burst is taken", len(ok))
        check(len(refused) == 15 and
              all(e["code"] == "rate_limited" for e in refused),
              "the rest is rate_limited", refused[:2])
        check("--submit-burst" in refused[0]["message"] and
              SEAT in refused[0]["message"],
              "the message names the seat and the flags", refused[0])
        q = srv.client()
        tok2 = q.join(sid, join_code=codes[OTHER])["token"]
        res = q.call("orders.submit", session=sid, token=tok2, orders=[])
        check(res["rejected"] == [], "another seat is not limited", res)
        stats = admin.call("server.stats")
        check(stats["submit_rate_limited"] == 15, "counted", stats)
        # A new turn gives the seat its burst again (a fast game is not
        # limited, a flood within one turn is).
        admin.start(sid, atok)
        res = p.call("orders.submit", session=sid, token=tok, orders=[])
        check(res["turn"] == 0, "taken again once a turn opens", res)
    finally:
        check(srv.stop() == 0, "the server exits 0")


def main():
    args = parse_args(__doc__)
    suite = Suite(args)
    suite.run("a flood of submissions keeps one row; the file stays small",
              t_storage_bounded, args, suite.tmp)
    suite.run("orders.submit is rate limited per seat", t_rate_limited,
              args, suite.tmp)
    return suite.finish()


if __name__ == "__main__":
    raise SystemExit(main())
