"""`lanthanide replay` and `lanthanide export` on a game played to the end
over the network (docs/storage.md, "Replay" and "Export").

One classroom game is played by a real lanthanide-server: four seats by
this script with deterministic orders (each seat first sends a submission
that its second one replaces, as a hesitant player does), five by agents
that act every turn (`hawk` on nations, `integrator` on firms), with chat that holds commas, quotes, new lines, non-ASCII
text and a would-be spreadsheet formula. Then, on the stopped server's
database:

- replay, with and without --verify, passes, and leaves the file's bytes
  as they were;
- replay --verify catches an altered stored order: a copy of the database
  whose final submission of one seat in turn 5 has another utilisation
  exits 1 and names turn 5 and the submissions that went into it;
- altering a submission that a later one replaced changes nothing (the
  last submission of a seat is the one that counts, as live);
- export writes RFC 4180 CSV whose prices, production and scores equal,
  turn by turn, what history.get said; orders.csv has every stored order
  and chat.csv every message, formulas defused unless --raw;
- usage errors exit 2, a missing session or a newer schema exits 1.
"""
import csv
import io
import os
import shutil
import sqlite3

from common import (Server, Suite, check, db_query, decode_orders,
                    file_digest, orders_for, parse_args, run_tool,
                    schema_version)

import msgpack

SEED = 424242
PLAYERS = ["USA", "EUU", "mountain_minerals", "euro_magnets"]
ALTERED_TURN = 5
CHATS = [
    # (who, to, text): who is a seat or "admin"
    ("admin", "all", 'Welcome, "traders": prices in USD/kg\nsecond line'),
    ("USA", "all", "Grüße — 稀土 naïve café"),
    ("EUU", "USA", "=1+2 private, with a comma"),
    ("mountain_minerals", "all", "-minus and @at\r\nCRLF inside"),
]


class Game:
    pass


def play(args, tmp):
    """Play the game to the end; returns a Game with the database path,
    session id, admin token, history.get and what was sent."""
    g = Game()
    g.db = os.path.join(tmp, "game.db")
    srv = Server(args.server_bin, args.maps, g.db)
    try:
        admin = srv.client()
        r = admin.create_session("classroom", seed=SEED, turn_seconds=0,
                                 name="storage test, replay and export")
        g.sid, g.atok = r["session"], r["admin_token"]
        kinds = {s["seat"]: s["kind"] for s in r["seats"]}
        codes = {s["seat"]: s["join_code"] for s in r["seats"]}
        g.seats = [s["seat"] for s in r["seats"]]
        # Agents that act (they send orders every turn), so replay checks
        # their stored submissions too, not only the players'.
        for seat in g.seats:
            if seat not in PLAYERS:
                admin.bot(g.sid, g.atok, seat,
                          "hawk" if kinds[seat] == "nation" else "integrator")
        conns, facs = {}, {}
        for seat in PLAYERS:
            c = srv.client()
            c.join(g.sid, join_code=codes[seat])
            conns[seat] = c
            facs[seat] = [f["id"] for f in c.state()["you"]["facilities"]]
        admin.start(g.sid, g.atok)
        g.turns = r.get("turns") or 16
        g.sent = {}
        g.chat = []
        turn = 0
        while True:
            st = conns[PLAYERS[0]].state()
            if st["status"] == "finished":
                break
            turn = st["turn"]
            for who, to, text in CHATS:
                if turn == 2 + CHATS.index((who, to, text)):
                    if who == "admin":
                        admin.chat(text, to=to, session=g.sid,
                                   admin_token=g.atok)
                    else:
                        conns[who].chat(text, to=to)
                    g.chat.append((turn, who, to, text))
            for seat in PLAYERS:
                first = orders_for(0, turn, seat, kinds[seat], facs[seat],
                                   variant=1)
                conns[seat].submit(first)
                final = orders_for(0, turn, seat, kinds[seat], facs[seat])
                res = conns[seat].submit(final, ready=True)
                check(res["turn"] == turn, "the submission is for the open "
                      "turn", res, turn)
                check(not res["rejected"], "the test's orders are accepted",
                      seat, turn, res["rejected"])
                g.sent[(turn, seat)] = final
            conns[PLAYERS[0]].wait_for(
                "turn.resolved", timeout=30,
                predicate=lambda n, t=turn: n["turn"] == t)
        g.history = admin.history(g.sid, admin_token=g.atok)
        check(len(g.history) == g.turns, "history.get has every turn",
              len(g.history), g.turns)
        for c in conns.values():
            c.close()
        admin.close()
    finally:
        status = srv.stop()
    check(status == 0, "the server exits 0 on SIGTERM", status,
          srv.stderr_tail())
    return g


# ---- replay -----------------------------------------------------------------

def t_replay_summary(args, g):
    before = file_digest(g.db)
    rc, out, err = run_tool(args.cli_bin, "replay", "--db", g.db,
                            "--session", g.sid)
    check(rc == 0, "replay exits 0", rc, out, err)
    rows = [ln for ln in out.splitlines() if ln.strip()[:1].isdigit()]
    check(len(rows) == g.turns, "one line per turn", len(rows), out)
    check(all(ln.rstrip().endswith("ok") for ln in rows),
          "every turn's hash matches", out)
    check("every state hash matches" in out, "the verdict", out)
    check(file_digest(g.db) == before, "the database's bytes are unchanged")
    check_no_wal_content(g.db)


def check_no_wal_content(db):
    """A read-only reader of a WAL database may leave an empty -wal file
    (SQLite's own behaviour; only a writer removes it), never content."""
    wal = db + "-wal"
    check(not os.path.exists(wal) or os.path.getsize(wal) == 0,
          "no WAL content was written", os.path.exists(wal) and
          os.path.getsize(wal))


def t_replay_verify(args, g):
    before = file_digest(g.db)
    rc, out, err = run_tool(args.cli_bin, "replay", "--db", g.db,
                            "--session", g.sid, "--verify")
    check(rc == 0, "replay --verify exits 0", rc, out, err)
    check(len(out.strip().splitlines()) == 1, "only the verdict", out)
    # One session only: --session may be left out.
    rc, out, err = run_tool(args.cli_bin, "replay", "--db", g.db, "--verify")
    check(rc == 0, "replay --verify without --session (one session)", rc,
          out, err)
    check(file_digest(g.db) == before, "the database's bytes are unchanged")


def last_submission(db, sid, turn, seat_index):
    return db_query(db, "SELECT id, orders FROM submissions WHERE "
                    "session_id = ? AND turn = ? AND seat_index = ? "
                    "ORDER BY id DESC LIMIT 1", (sid, turn, seat_index))[0]


def altered_copy(g, tmp, name, pick):
    """A copy of the database with one submission's first operate order
    changed to another utilisation; pick(rows) chooses the row among the
    (id, orders) of seat mountain_minerals in ALTERED_TURN, oldest
    first. Returns (path, submission id)."""
    path = os.path.join(tmp, name)
    shutil.copyfile(g.db, path)
    seat_index = g.seats.index("mountain_minerals")
    rows = db_query(path, "SELECT id, orders FROM submissions WHERE "
                    "session_id = ? AND turn = ? AND seat_index = ? "
                    "ORDER BY id", (g.sid, ALTERED_TURN, seat_index))
    # The seat submitted twice in the turn; the file keeps the last only
    # (issue 10: one row per session, turn and seat).
    check(len(rows) == 1, "one stored submission of the seat in the turn",
          rows)
    sub_id, blob = pick(rows)
    orders = decode_orders(blob)
    op = next(o for o in orders if o["op"] == "operate")
    op["utilisation"] = 0.1 if op["utilisation"] != 0.1 else 0.2
    con = sqlite3.connect(path)
    con.execute("UPDATE submissions SET orders = ? WHERE id = ?",
                (msgpack.packb(orders), sub_id))
    con.commit()
    con.close()
    return path, sub_id


def t_replay_catches_altered_order(args, g, tmp):
    path, sub_id = altered_copy(g, tmp, "altered.db", lambda rows: rows[-1])
    rc, out, err = run_tool(args.cli_bin, "replay", "--db", path,
                            "--session", g.sid, "--verify")
    check(rc == 1, "replay --verify exits 1 on an altered order", rc, out,
          err)
    check("turn %d differs" % ALTERED_TURN in err, "the turn is named", err)
    check("turns 0 to %d match" % (ALTERED_TURN - 1) in err,
          "the turns before it match", err)
    check("mountain_minerals" in err and "#%d" % sub_id in err,
          "the altered seat's submission is named", err)
    # Without --verify the per-turn table shows where it went wrong.
    rc, out, err = run_tool(args.cli_bin, "replay", "--db", path,
                            "--session", g.sid)
    check(rc == 1, "replay exits 1", rc)
    rows = [ln for ln in out.splitlines() if ln.strip()[:1].isdigit()]
    check(len(rows) == ALTERED_TURN + 1 and rows[-1].endswith("DIFFERS"),
          "the table stops at the differing turn", out)


def t_replay_last_submission_counts(args, g, tmp):
    # The seat's second submission of the turn replaced the first in the
    # file: the one row holds the last orders sent, and replay --verify
    # (which uses them) passes on the unaltered file.
    seat_index = g.seats.index("mountain_minerals")
    n = db_query(g.db, "SELECT COUNT(*) FROM submissions WHERE session_id = ?"
                 " AND turn = ? AND seat_index = ?",
                 (g.sid, ALTERED_TURN, seat_index))[0][0]
    check(n == 1, "one row for the seat's two submissions", n)
    rc, out, err = run_tool(args.cli_bin, "replay", "--db", g.db,
                            "--session", g.sid, "--verify")
    check(rc == 0, "replay --verify passes with the last submission", rc,
          out, err)


def t_replay_usage(args, g, tmp):
    rc, _, err = run_tool(args.cli_bin, "replay", "--session", g.sid)
    check(rc == 2, "no --db is a usage error", rc, err)
    rc, _, err = run_tool(args.cli_bin, "replay", "--db", g.db, "--bogus")
    check(rc == 2, "an unknown option is a usage error", rc, err)
    rc, _, err = run_tool(args.cli_bin, "replay", "--db", g.db, "--session",
                          "nosuch")
    check(rc == 1 and "nosuch" in err and g.sid in err,
          "a missing session is named with the ones there are", rc, err)
    rc, _, err = run_tool(args.cli_bin, "replay", "--db",
                          os.path.join(tmp, "missing.db"))
    check(rc == 1 and "cannot open" in err, "a missing file", rc, err)
    check(not os.path.exists(os.path.join(tmp, "missing.db")),
          "a missing file is not created")
    newer = os.path.join(tmp, "newer.db")
    shutil.copyfile(g.db, newer)
    con = sqlite3.connect(newer)
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    for tool in ("replay", "export"):
        rc, _, err = run_tool(args.cli_bin, tool, "--db", newer)
        check(rc == 1 and "99" in err and str(schema_version()) in err,
              "%s refuses a newer schema, naming both versions" % tool, rc,
              err)
    rc, _, err = run_tool(args.cli_bin, "export", "--db", g.db, "--format",
                          "xlsx")
    check(rc == 2 and "csv" in err, "an unknown format is a usage error", rc,
          err)


# ---- export -----------------------------------------------------------------

def read_csv(path):
    with open(path, "rb") as f:
        data = f.read()
    check(not data.startswith(b"\xef\xbb\xbf"), "no byte-order mark", path)
    text = data.decode("utf-8")  # raises if not UTF-8
    check(text.endswith("\r\n"), "CRLF line ends (RFC 4180)", path)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]], rows


def t_export(args, g, tmp):
    out = os.path.join(tmp, "csv")
    before = file_digest(g.db)
    rc, so, se = run_tool(args.cli_bin, "export", "--db", g.db, "--session",
                          g.sid, "--format", "csv", "--out", out)
    check(rc == 0, "export exits 0", rc, so, se)
    check(file_digest(g.db) == before, "the database's bytes are unchanged")
    files = sorted(os.listdir(out))
    want = sorted("%s-%s.csv" % (g.sid, t) for t in
                  ("prices", "production", "scores", "orders", "chat",
                   "timeline", "seen_vs_true"))
    check(files == want, "the seven files, named <session>-<table>.csv",
          files)

    def path(t):
        return os.path.join(out, "%s-%s.csv" % (g.sid, t))

    # prices: world and regional, USD/kg, equal to history.get's numbers.
    head, rows, _ = read_csv(path("prices"))
    check(head == ["session", "turn", "product", "region", "unit", "value"],
          "prices header", head)
    got = {(int(r["turn"]), r["product"], r["region"]): float(r["value"])
           for r in rows}
    check(all(r["unit"] == "USD/kg" and r["session"] == g.sid for r in rows),
          "prices in USD/kg")
    n = 0
    for h in g.history:
        t = h["turn"]
        for p, v in h["prices"].items():
            check(got.get((t, p, "world")) == v, "world price", t, p, v,
                  got.get((t, p, "world")))
            n += 1
        for p, by in h["regional"].items():
            for nation, v in by.items():
                check(got.get((t, p, nation)) == v, "regional price", t, p,
                      nation, v, got.get((t, p, nation)))
                n += 1
    check(n == len(rows), "no price row more than history.get has", n,
          len(rows))

    head, rows, _ = read_csv(path("production"))
    check(head == ["session", "turn", "stage", "nation", "unit", "value"],
          "production header", head)
    got = {(int(r["turn"]), r["stage"], r["nation"]): float(r["value"])
           for r in rows}
    n = 0
    for h in g.history:
        for stage, by in h["production"].items():
            for nation, v in by.items():
                check(got.get((h["turn"], stage, nation)) == v,
                      "production in tonnes", h["turn"], stage, nation, v,
                      got.get((h["turn"], stage, nation)))
                n += 1
    check(n == len(rows), "no production row more than history.get has")
    check(any(v > 0 for v in got.values()), "some production")

    head, rows, _ = read_csv(path("scores"))
    check(head == ["session", "turn", "seat", "variable", "unit", "value"],
          "scores header", head)
    scores = {(int(r["turn"]), r["seat"]): float(r["value"])
              for r in rows if r["variable"] == "score"}
    n = 0
    for h in g.history:
        for s in h["scores"]:
            check(scores.get((h["turn"], s["seat"])) == s["score"], "score",
                  h["turn"], s, scores.get((h["turn"], s["seat"])))
            n += 1
    check(n == len(scores), "a score per seat and turn", n, len(scores))
    variables = {r["variable"] for r in rows}
    check({"score", "cash", "inventory_ndpr_oxide", "staff_mining"}
          <= variables, "per-seat variables from the snapshots", variables)
    units = {r["variable"]: r["unit"] for r in rows}
    check(units["cash"] == "USD" and units["inventory_magnet"] == "t",
          "units", units)

    # orders: one row per stored order; the final ones are what was sent.
    head, rows, _ = read_csv(path("orders"))
    for col in ("turn", "seat", "source", "submission_id", "final",
                "order_index", "op", "facility", "utilisation", "rate"):
        check(col in head, "orders has a column " + col, head)
    stored = db_query(g.db, "SELECT orders FROM submissions WHERE "
                      "session_id = ?", (g.sid,))
    n_orders = sum(max(1, len(decode_orders(b))) for (b,) in stored)
    check(len(rows) == n_orders, "one row per stored order", len(rows),
          n_orders)
    for (turn, seat), sent in g.sent.items():
        mine = [r for r in rows if int(r["turn"]) == turn and
                r["seat"] == seat and r["final"] == "1"]
        check(len(mine) == len(sent), "the final submission's orders", turn,
              seat, mine, sent)
        for r, o in zip(sorted(mine, key=lambda r: int(r["order_index"])),
                        sent):
            check(r["op"] == o["op"] and r["source"] == "player",
                  "op", r, o)
            for k, v in o.items():
                if k == "op":
                    continue
                cell = r[k]
                check(cell == v if isinstance(v, str) else
                      float(cell) == v, "order field " + k, r, o)

    # chat: every message, text exact (formulas defused), UTF-8.
    head, rows, _ = read_csv(path("chat"))
    check(head == ["session", "id", "turn", "from", "to", "text",
                   "created_ms", "time_utc", "channel"], "chat header", head)
    check(len(rows) == len(g.chat), "every message", rows, g.chat)
    for r, (turn, who, to, text) in zip(rows, g.chat):
        guarded = ("'" + text) if text[:1] in "=+-@" else text
        check(r["text"] == guarded and r["from"] == who and r["to"] == to
              and int(r["turn"]) == turn, "a chat row", r, text)
        check(r["time_utc"].endswith("Z"), "an ISO 8601 UTC time", r)
    raw_out = os.path.join(tmp, "raw")
    rc, so, se = run_tool(args.cli_bin, "export", "--db", g.db, "--out",
                          raw_out, "--raw")
    check(rc == 0, "export --raw", rc, se)
    _, rows, _ = read_csv(os.path.join(raw_out, "%s-chat.csv" % g.sid))
    check([r["text"] for r in rows] == [c[3] for c in g.chat],
          "--raw keeps the text as typed", rows)
    check(not [f for f in os.listdir(out) if f.endswith(".tmp")],
          "no temporary file left")


def main():
    args = parse_args(__doc__)
    suite = Suite(args)
    holder = {}

    def setup():
        holder["g"] = play(args, suite.tmp)

    suite.run("a classroom game is played to the end", setup)
    g = holder.get("g")
    if g:
        suite.run("replay prints every turn; bytes unchanged",
                  t_replay_summary, args, g)
        suite.run("replay --verify passes on a normal game",
                  t_replay_verify, args, g)
        suite.run("replay --verify catches an altered order",
                  t_replay_catches_altered_order, args, g, suite.tmp)
        suite.run("replay: the last submission of a seat counts",
                  t_replay_last_submission_counts, args, g, suite.tmp)
        suite.run("replay and export: usage and refusals", t_replay_usage,
                  args, g, suite.tmp)
        suite.run("export: CSV equals history.get; orders; chat", t_export,
                  args, g, suite.tmp)
    return suite.finish()


if __name__ == "__main__":
    raise SystemExit(main())
