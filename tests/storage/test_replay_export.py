"""`lanthanide replay` and `lanthanide export` on a game played to the end
over the network (docs/storage.md, "Replay" and "Export").

One classroom game is played by a real lanthanide-server: four seats by
this script with deterministic orders (each seat first sends a submission
that its second one replaces, as a hesitant player does), five by agents
that act every turn (`hawk` on nations, `integrator` on firms), with chat that holds commas, quotes, new lines, non-ASCII
text and a would-be spreadsheet formula. The players join with names (one
a would-be formula), and two of them agree a delivery contract. Then, on the stopped server's
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
- export's files of issue 12 (seats, events, trades, facilities): the
  players' names and who played each seat, the news as history.get gave
  it, each firm's plants whose output adds up to production.csv and whose
  utilisation is what its player ordered, and trades that, with the
  plants' output, account for every change of a firm's concentrate and
  magnet stock in scores.csv (the contract's deliveries included: with
  counterparty and price while it runs, as the rest of the totals after
  its last);
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
# The names the players give at join (session.join `name`), as `lanthanide
# play --name` sends them: non-ASCII, a comma, a would-be formula, none.
NAMES = {"USA": "Zoë Müller", "EUU": "=Ann, B.", "mountain_minerals": "Li Wei",
         "euro_magnets": None}
ALTERED_TURN = 5
CHATS = [
    # (who, to, text): who is a seat or "admin"
    ("admin", "all", 'Welcome, "traders": prices in USD/kg\nsecond line'),
    ("USA", "all", "Grüße — 稀土 naïve café"),
    ("EUU", "USA", "=1+2 private, with a comma"),
    ("mountain_minerals", "all", "-minus and @at\r\nCRLF inside"),
]


# A delivery contract between two players (issue 11), so that trades.csv
# has contract rows: proposed in turn 2, accepted in turn 3, delivering in
# turns 3 and 4 (running after turn 3; gone from the snapshot after 4).
CONTRACT = {"op": "contract_propose", "id": "c1", "to": "euro_magnets",
            "product": "concentrate", "quantity": 100.0, "price": 5.0,
            "turns": 2}
CONTRACT_ORDERS = {
    (2, "mountain_minerals"): CONTRACT,
    (3, "euro_magnets"): {"op": "contract_accept", "id": "c1",
                          "from": "mountain_minerals"},
}


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
            c.join(g.sid, join_code=codes[seat], name=NAMES[seat])
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
                if (turn, seat) in CONTRACT_ORDERS:
                    final = final + [CONTRACT_ORDERS[(turn, seat)]]
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
                   "timeline", "seen_vs_true") + ISSUE12_TABLES)
    check(files == want, "the files, named <session>-<table>.csv",
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


# ---- export: seats, events, trades, facilities (issue 12) -------------------

ISSUE12_TABLES = ("seats", "events", "trades", "facilities")


def t_export_issue12(args, g, tmp):
    out = os.path.join(tmp, "csv12")
    rc, so, se = run_tool(args.cli_bin, "export", "--db", g.db, "--out", out)
    check(rc == 0, "export exits 0", rc, so, se)

    def path(t):
        return os.path.join(out, "%s-%s.csv" % (g.sid, t))

    # seats: map order; the players' names (a formula defused), who plays.
    head, rows, _ = read_csv(path("seats"))
    check(head == ["session", "seat_index", "seat", "kind", "title", "name",
                   "played_by", "agent"], "seats header", head)
    check([r["seat"] for r in rows] == g.seats, "one row per seat, in the "
          "map's order", rows)
    for i, r in enumerate(rows):
        check(int(r["seat_index"]) == i and r["session"] == g.sid,
              "seat_index", r)
        if r["seat"] in PLAYERS:
            name = NAMES[r["seat"]] or ""
            guarded = ("'" + name) if name[:1] and name[0] in "=+-@" \
                else name
            check(r["name"] == guarded and r["played_by"] == "person" and
                  r["agent"] == "", "a player's seat and name", r, name)
        else:
            want = "hawk" if r["kind"] == "nation" else "integrator"
            check(r["played_by"] == "agent" and r["agent"] == want and
                  r["name"] == "", "an agent's seat", r)
    _, raw, _ = read_csv(os.path.join(tmp, "raw", "%s-seats.csv" % g.sid))
    check([r["name"] for r in raw] ==
          [NAMES.get(s) or "" for s in g.seats], "--raw keeps names as "
          "typed", raw)

    # events: the news of every turn, as history.get gave it.
    head, rows, _ = read_csv(path("events"))
    check(head == ["session", "turn", "kind", "nation", "facility",
                   "product", "stage", "magnitude", "text"],
          "events header", head)
    want = []
    for h in g.history:
        for e in h["events"]:
            want.append((h["turn"], e["kind"], e.get("nation", ""),
                         e.get("facility", ""), e.get("product", ""),
                         e.get("stage", ""), e.get("magnitude"),
                         e["text"]))
    got = [(int(r["turn"]), r["kind"], r["nation"], r["facility"],
            r["product"], r["stage"],
            float(r["magnitude"]) if r["magnitude"] else None, r["text"])
           for r in rows]
    check(got == want, "every event of history.get, in order", got, want)

    # facilities: each plant after each turn.
    head, facs, _ = read_csv(path("facilities"))
    check(head == ["session", "turn", "facility", "owner", "stage",
                   "nation", "site", "status", "turns_left", "capacity_tpy",
                   "effective_tpy", "expanding_tpy", "utilisation",
                   "output_t", "staff", "staff_needed", "unit_cost"],
          "facilities header", head)
    turns = sorted({h["turn"] for h in g.history})
    check(sorted({int(r["turn"]) for r in facs}) == turns,
          "facilities for every turn")
    # Output adds up to production.csv, per turn, stage and nation (exact
    # decimals, so compare as such).
    from decimal import Decimal
    _, prod, _ = read_csv(path("production"))
    total = {}
    for r in facs:
        k = (r["turn"], r["stage"], r["nation"])
        total[k] = total.get(k, Decimal(0)) + Decimal(r["output_t"])
    for r in prod:
        k = (r["turn"], r["stage"], r["nation"])
        check(total.get(k, Decimal(0)) == Decimal(r["value"]),
              "plants' output = production", k, total.get(k), r["value"])
    # A player's operate orders are the plants' utilisation of that turn.
    util = {(int(r["turn"]), r["facility"]): float(r["utilisation"])
            for r in facs}
    owner = {r["facility"]: r["owner"] for r in facs}
    n = 0
    for (turn, seat), sent in g.sent.items():
        for o in sent:
            if o["op"] == "operate":
                check(owner[o["facility"]] == seat and
                      util[(turn, o["facility"])] == o["utilisation"],
                      "utilisation as ordered", turn, o)
                n += 1
    check(n > 0, "the players' plants are there")

    # trades: what each seat bought and sold.
    head, trades, _ = read_csv(path("trades"))
    check(head == ["session", "turn", "seat", "channel", "side", "product",
                   "region", "tonnes", "price", "limit_price",
                   "ordered_tonnes", "counterparty"], "trades header", head)
    check(trades, "some trades")
    for r in trades:
        check(r["seat"] in g.seats and r["channel"] in ("market", "contract")
              and r["side"] in ("buy", "sell"), "a trade row", r)
        if r["channel"] == "market":
            check(Decimal(r["tonnes"]) <= Decimal(r["ordered_tonnes"]) and
                  (Decimal(r["tonnes"]) == 0 or Decimal(r["price"]) > 0),
                  "filled no more than ordered, at a price", r)
    check(any(r["side"] == "sell" and Decimal(r["tonnes"]) > 0 and
              r["seat"] in PLAYERS for r in trades), "a player sold")
    # With the plants' output they account for every change of stock:
    # concentrate of a firm that separates none, and magnets (no firm
    # consumes either): stock(t) = stock(t-1) + output + bought - sold.
    _, scores, _ = read_csv(path("scores"))
    stock = {(int(r["turn"]), r["seat"], r["variable"][10:]):
             Decimal(r["value"]) for r in scores
             if r["variable"].startswith("inventory_")}
    stage_of = {"concentrate": "mining", "magnet": "magnet"}
    checked = 0
    for seat in g.seats:
        mine = [r for r in facs if r["owner"] == seat]
        if not mine:
            continue
        for product, stage in stage_of.items():
            if product == "concentrate" and any(
                    r["stage"] == "separation" for r in mine):
                continue
            for t in turns[1:]:
                made = sum((Decimal(r["output_t"]) for r in mine
                            if int(r["turn"]) == t and r["stage"] == stage),
                           Decimal(0))
                moved = sum(((1 if r["side"] == "buy" else -1) *
                             Decimal(r["tonnes"]) for r in trades
                             if int(r["turn"]) == t and r["seat"] == seat
                             and r["product"] == product), Decimal(0))
                before = stock[(t - 1, seat, product)]
                after = stock[(t, seat, product)]
                check(after == before + made + moved, "stock balance",
                      seat, product, t, before, made, moved, after)
                checked += 1
    check(checked > 0, "some stock balances checked")
    # The contract: with counterparty and price while it runs; its last
    # delivery, gone from the snapshot, as the rest of the seats' totals.
    got = sorted((int(r["turn"]), r["seat"], r["side"], r["product"],
                  r["counterparty"], r["price"]) for r in trades
                 if r["channel"] == "contract")
    want = sorted([
        (3, "mountain_minerals", "sell", "concentrate", "euro_magnets", "5"),
        (3, "euro_magnets", "buy", "concentrate", "mountain_minerals", "5"),
        (4, "mountain_minerals", "sell", "concentrate", "", ""),
        (4, "euro_magnets", "buy", "concentrate", "", "")])
    check(got == want, "the contract's deliveries", got, want)
    check(all(Decimal(r["tonnes"]) == 100 for r in trades
              if r["channel"] == "contract"), "100 t each turn", trades)


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
        suite.run("export: seats, events, trades, facilities",
                  t_export_issue12, args, g, suite.tmp)
    return suite.finish()


if __name__ == "__main__":
    raise SystemExit(main())
