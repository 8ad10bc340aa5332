#!/usr/bin/env python3
"""Writes maps/race-2028.json from maps/world-2024.json and a turn-2 run of it.

    python3 scripts/race2028.py BUILD_DIR    (BUILD_DIR/bin/race-derive)

1. world-2024 without its three DoD-MP state_support events of turn 1 (in
   race-2028 the deal is the US players' first decision) is played for two
   turns under its standing orders, seed 1, by race-derive
   (tests/model/race_derive.c), which prints the state as turn 2 (2025 Q3)
   opens.
2. That state becomes race-2028's turn 0: facilities (capacity,
   utilisation, experience, unit cost, recovery, construction left, ramp
   age, book value), seats' cash, stocks and staff, nations' budgets,
   stockpiles, talent pools and demand trend, deposits' reserves, and the
   world prices of turn 1 as the reference prices. The policies scripted
   at world-2024's turns 0 and 1 (April licences, their June relaxation,
   China's 125% tariff) are written into nations[].policies.
3. The rest is written here: seats, new firms, events, objectives, notes.

Every figure carried over keeps its source keys; derived figures say so in
their note; figures without a source are assumptions.
"""
import copy
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import split_heavies  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DERIVED = "derived: world-2024, turn 2 (2025 Q3), seed 1, standing orders"


def fig(value, note, src=None, assumption=None):
    """A figure object: a derived value keeps the keys of the figure it
    came from (src), else it is an assumption."""
    if src:
        return {"value": value, "source": src, "note": note}
    return {"value": value, "assumption": assumption or note}


def val(x):
    return x["value"] if isinstance(x, dict) else x


def srcs(x):
    if isinstance(x, dict) and "source" in x:
        s = x["source"]
        return s if isinstance(s, list) else [s]
    return None


def r(x, nd=3):
    x = round(x, nd)
    return int(x) if x == int(x) else x


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    # Dy and Tb apart (design J1): race-2028 opens in 2025, when Dy and Tb
    # prices diverge (S1, S71-S73); world-2024 is split first, so the run
    # and the map trade dy_oxide and tb_oxide (scripts/split_heavies.py)
    w = split_heavies.split(
        json.load(open(os.path.join(ROOT, "maps", "world-2024.json"))))
    tmp = copy.deepcopy(w)
    tmp["events"]["scripted"] = [
        e for e in w["events"]["scripted"] if e["kind"] != "state_support"]
    os.makedirs(os.path.join(build, "race"), exist_ok=True)
    tpath = os.path.join(build, "race", "world-2024-no-dod.json")
    json.dump(tmp, open(tpath, "w"))
    out = subprocess.run([os.path.join(build, "bin", "race-derive"), tpath,
                          "1", "2"], check=True, capture_output=True,
                         text=True).stdout
    d = json.loads(out)
    assert not [n for n in d["news"] if n["kind"] != "policy"], d["news"]
    assert d["effects"] == 0

    m = copy.deepcopy(w)
    m.pop("_turns", None)
    m["id"] = "race-2028"
    m["title"] = "The race to 2028: magnets outside China"
    m["description"] = (
        "The story's race, played from 2025 Q3: can the United States and "
        "its allies build a magnet chain by 2028 while China uses its "
        "levers? The world is world-2024's as it stood in 2025 Q3 (after "
        "the April 2025 licences and their June relaxation, before the "
        "DoD-MP deal); the story's moves (the DoD-MP deal, MP's 10X plant, "
        "the Vulcan package, Lynas in Texas, Noveon's and USA Rare Earth's "
        "expansions, China's October 2025 package and its suspension) are "
        "on the table as the players' choices (the map's choices), not "
        "scripted. 22 quarters, 2025 Q3 to 2030 Q4; turn 13 is 2028 Q4.")
    m["year"] = 2025
    m["turns"] = 22
    m["_turns"] = ("22 quarters: 2025 Q3 (turn 0) to 2030 Q4 (turn 21); the "
                   "2028 horizon of the story (S56, S60) plus two years to "
                   "see the plants ramp")

    # ---- sources: the keys the new figures use, from shared/reference
    new_src = {
        "S28": ("Magnetics Magazine", "U.S. DoD strengthens support for Lynas U.S. facility (US$258 M)",
                "https://magneticsmag.com/u-s-dod-strengthens-support-for-lynas-u-s-facility/"),
        "S49": ("Noveon Magnetics / Nikkei", "Noveon Magnetics (Nikkei interview)",
                "https://noveon.co/nikkei"),
        "S50": ("The Vanguard", "The United States enters the rare-earth magnet manufacturing race (e-VAC)",
                "https://www.thevanguardusa.com/1602/engineering/the-united-states-enters-the-rare-earth-magnet-manufacturing-race/"),
    }
    for k, (pub, title, url) in new_src.items():
        if k not in m["sources"]:
            m["sources"][k] = {"publisher": pub, "title": title, "url": url,
                               "reliability": "S"}

    # ---- parameters: the world prices of turn 1 as reference prices
    for p, v in d["prices"].items():
        old = m["parameters"]["prices"][p]
        m["parameters"]["prices"][p] = fig(
            v, DERIVED + ": the world price of turn 1 (Q2 2025) the run "
            "formed from these sourced 2024 figures", srcs(old) or ["S1"])

    # ---- branches abroad (design I2): a firm's new plants abroad belong
    # to its branch in the host (Lynas Seadrift in the USA, S28-S30); map
    # facilities abroad (Lynas Kuantan, e-VAC Sumter) keep turn 0 as
    # world-2024 has it
    m["parameters"]["branches"] = True

    # ---- firm-owned deposits (issue 11): only the owner may open a mine
    owners = {"mountain_pass": "mp_materials",     # MP bought it in 2017 (S100, S13)
              "mt_weld": "lynas",                  # Lynas's mine (S24, S26)
              "round_top": "usa_rare_earth"}       # 70% owned (S48)
    for dep in m["deposits"]:
        if dep["id"] in owners:
            dep["owner"] = owners[dep["id"]]

    # ---- deposits
    res = {x["id"]: x["reserves"] for x in d["deposits"]}
    for dep in m["deposits"]:
        old = dep["reserves"]
        if abs(res[dep["id"]] - val(old)) > 0.5:
            dep["reserves"] = fig(r(res[dep["id"]]),
                                  DERIVED + ": reserves less two quarters "
                                  "of output", srcs(old))

    # ---- facilities
    wf = {f["id"]: f for f in w["facilities"]}
    facs = []
    for x in d["facilities"]:
        f = copy.deepcopy(wf[x["id"]])
        s0 = srcs(f.get("experience")) or srcs(f.get("capacity")) or []
        if x["experience"] > 0 or "experience" in f:
            f["experience"] = fig(r(x["experience"]), DERIVED +
                                  ": cumulative output (separation: feed)",
                                  s0 or None,
                                  "cumulative output (separation: feed) "
                                  "after two quarters; " + DERIVED)
        if True:
            f["unit_cost"] = fig(x["unit_cost"], DERIVED + ": on its "
                                 "learning curve", srcs(f.get("unit_cost"))
                                 or s0 or None,
                                 "the unit cost the learning curve gives "
                                 "it; " + DERIVED)
        if x["stage"] == "separation":
            f["recovery"] = fig(r(x["recovery"], 4), DERIVED + ": on its "
                                "learning curve", srcs(f.get("recovery"))
                                or s0 or None,
                                "the recovery the learning curve gives it; "
                                + DERIVED)
        if "building" in f:
            if x["building"] > 0:
                f["building"] = fig(x["building"], DERIVED + ": "
                                    + f["building"]["note"] if
                                    isinstance(f["building"], dict) else
                                    DERIVED, srcs(f["building"]))
            else:
                del f["building"]
        if x["ramp_age"] < 1000:
            f["ramp_age"] = fig(x["ramp_age"], DERIVED + ": quarters since "
                                "completion", srcs(f.get("ramp_age"))
                                or s0 or None, "quarters since completion; "
                                + DERIVED)
        if True:
            f["book_value"] = fig(r(x["book_value"], 2), DERIVED +
                                  ": depreciated two quarters",
                                  srcs(f.get("book_value")) or s0 or None,
                                  "book value after two quarters of "
                                  "depreciation; " + DERIVED)
        facs.append(f)

    # the new firms' plants (notes.new_firms)
    facs.append({
        "id": "noveon_san_marcos", "owner": "noveon", "stage": "magnet",
        "capacity": fig(2000, "commercial sales from 2023; no capacity in "
                        "the references (design L8)", None,
                        "no capacity in the references: 2,000 t/yr, a "
                        "fifth of the 10,000 t/yr target (S49); design L8"),
        "utilisation": fig(0.25, "", None, "a small seller still placing "
                           "its magnets (design L8)"),
        "ramp_age": fig(8, "", None, "sales since 2023: ramp-up done"),
    })
    facs.append({
        "id": "usar_stillwater", "owner": "usa_rare_earth", "stage": "magnet",
        "capacity": fig(600, "600 t/yr initially, then 5,000 t/yr", ["S48"]),
        "building": fig(3, "production 2026: operating from turn 2 (2026 "
                        "Q1)", ["S48"]),
    })
    facs.append({
        "id": "evac_sumter", "owner": "japan_magnets", "nation": "USA",
        "stage": "magnet",
        "capacity": fig(1500, "", None, "e-VAC's South Carolina plant: a "
                        "$500 M plant (S50) with no capacity in the "
                        "references; 1,500 t/yr (design L8)"),
        "building": fig(2, "", None, "opening in 2025 (S50): operating "
                        "from turn 1 (2025 Q4); design L8"),
    })
    m["facilities"] = facs

    # ---- seats
    dseat = {x["seat"]: x for x in d["seats"]}
    keep_firms = ["china_northern", "china_re_group", "china_magnets",
                  "japan_magnets", "mp_materials", "lynas"]
    aggregates = ["iluka", "energy_fuels", "neo_performance", "solvay",
                  "feedstock_miners", "other_producers"]
    seats = []
    for s in w["seats"]:
        s = copy.deepcopy(s)
        x = dseat[s["seat"]]
        if s["kind"] == "firm":
            s0 = srcs(s.get("cash"))
            s["cash"] = fig(r(x["cash"], 2), DERIVED + ": opening cash plus "
                            "two quarters of trade", s0 or None,
                            "opening cash plus two quarters of trade; "
                            + DERIVED)
            inv = {p: r(q) for p, q in x["inventory"].items() if q > 0}
            if inv or "inventory" in s:
                s["inventory"] = {p: fig(q, DERIVED, None, "the stock "
                                         "after two quarters; " + DERIVED)
                                  for p, q in inv.items()}
            c = x["inventory"]["concentrate"]
            if c > 0:
                nd, dy, tb = x["concentrate_el"]
                s["concentrate_basket"] = {
                    "ndpr_oxide": fig(r(nd / c, 4), "", None, "the oxides "
                                      "in its concentrate stock; " + DERIVED),
                    "dy_oxide": fig(r(dy / c, 5), "", None, "the oxides "
                                    "in its concentrate stock; " + DERIVED),
                    "tb_oxide": fig(r(tb / c, 5), "", None, "the oxides "
                                    "in its concentrate stock; " + DERIVED),
                    "lace_oxide": fig(r(1 - r(nd / c, 4) - r(dy / c, 5)
                                        - r(tb / c, 5), 5),
                                      "", None, "the rest; " + DERIVED)}
            else:
                s.pop("concentrate_basket", None)
            s["staff"] = {k: fig(v, "", None, "staff after two quarters; "
                                 + DERIVED)
                          for k, v in x["staff"].items() if v > 0}
            if s["seat"] in aggregates and "(aggregate)" not in s["title"]:
                s["title"] += " (aggregate)"
        else:
            if s["seat"] == "USA":
                s["objectives"] = {
                    k: fig(v, "", None, "the outline's weights (design 7): "
                           "security first (magnets and defence, S60); "
                           "designer's choice")
                    for k, v in (("security", 0.6), ("value_added", 0.2),
                                 ("budget", 0.2))}
            if s["seat"] == "CHN":
                s["objectives"] = {
                    k: fig(v, "", None, "the outline's weights (design 7): "
                           "the incumbent values its industry; designer's "
                           "choice")
                    for k, v in (("value_added", 0.5), ("security", 0.3),
                                 ("budget", 0.2))}
        seats.append(s)
    # seat order: nations, the played firms, the new firms, the aggregates
    by = {s["seat"]: s for s in seats}
    nations = [s for s in seats if s["kind"] == "nation"]
    m["seats"] = nations + [by[k] for k in keep_firms]
    m["seats"].append({
        "seat": "noveon", "kind": "firm", "title": "Noveon Magnetics",
        "nation": "USA",
        "cash": fig(185000000, "about $35 M of DoD support and $150 M of "
                    "equity, held as cash", ["S49", "S56"]),
        "credit_line": fig(50000000, "", None, "a small manufacturer's "
                           "bank line; no figure in the references"),
        "staff": {"magnet": fig(340, "", None, "170 per kt/yr (the stage's "
                                "ratio) for its 2,000 t/yr; design L8")},
        "orders": [
            {"op": "offer", "product": "magnet", "quantity":
             fig(1000000, "", None, "offer everything held: a standing "
                 "'sell all'"), "min_price": fig(45, "", None, "near the "
                                                 "2024 magnet price (S86); "
                                                 "designer's choice")},
            {"op": "bid", "product": "ndpr_oxide", "quantity":
             fig(41, "", None, "a quarter's recipe need at 25% of 2,000 "
                 "t/yr x 0.33 (R30)"),
             "max_price": fig(75, "", None, "as japan_magnets; designer's "
                              "choice")},
            {"op": "bid", "product": "dytb_oxide", "quantity":
             fig(2, "", None, "a quarter's recipe need at 25% of 2,000 "
                 "t/yr x 0.013 (R30)"),
             "max_price": fig(600, "", None, "as japan_magnets; designer's "
                              "choice")}]})
    m["seats"].append({
        "seat": "usa_rare_earth", "kind": "firm",
        "title": "USA Rare Earth", "nation": "USA",
        "cash": fig(100000000, "", None, "no figure in the references; "
                    "enough for its 600 t/yr plant's staff and first "
                    "expansion"),
        "credit_line": fig(50000000, "", None, "no figure in the "
                           "references"),
        "orders": [
            {"op": "offer", "product": "magnet", "quantity":
             fig(1000000, "", None, "offer everything held: a standing "
                 "'sell all'"), "min_price": fig(45, "", None, "near the "
                                                 "2024 magnet price (S86); "
                                                 "designer's choice")}]})
    m["seats"].append({
        "seat": "vulcan_elements", "kind": "firm",
        "title": "Vulcan Elements", "nation": "USA",
        "cash": fig(550000000, "the private share of its Nov 2025 "
                    "financing, held as cash so that the 10,000 t/yr plant "
                    "is its own choice; the $620 M OSC loan and $50 M "
                    "Commerce equity are the USA's choice", ["S47"]),
        "credit_line": fig(100000000, "", None, "no figure in the "
                           "references"),
        "orders": []})
    # The six aggregates of design section 7 are seatless (issue 11): no
    # person or agent takes them; they play their standing orders.
    # china_magnets and japan_magnets are aggregates too, but seats to
    # staff (design 7: the magnet makers of the race; e-VAC's owner).
    for k in aggregates:
        by[k]["seatless"] = True
    m["seats"] += [by[k] for k in aggregates]

    # ---- nations
    dn = {x["id"]: x for x in d["nations"]}
    ev01 = [e for e in w["events"]["scripted"]
            if e["kind"] == "policy" and val(e["turn"]) <= 1]
    for n in m["nations"]:
        x = dn[n["id"]]
        if "budget" in n:
            n["budget"] = fig(r(x["budget"], 2), DERIVED + ": opening "
                              "budget plus two quarters of taxes and "
                              "spending", srcs(n["budget"]) or None,
                              "opening budget plus two quarters; " + DERIVED)
        if "talent" in n:
            n["talent"] = {k: fig(v, DERIVED + ": the pool after two "
                                  "quarters of hiring and growth",
                                  srcs(n["talent"].get(k)) or None,
                                  "the pool after two quarters; " + DERIVED)
                           for k, v in x["talent"].items()
                           if k in n["talent"]}
        if "stockpile" in n:
            n["stockpile"] = {p: fig(r(q), DERIVED, srcs(n["stockpile"]
                                                         .get(p)) or None,
                                     "the stockpile after two quarters; "
                                     + DERIVED)
                              for p, q in x["stockpile"].items()
                              if q > 0 or p in n["stockpile"]}
        for p, dm in n.get("demand", {}).items():
            if p.startswith("_"):
                continue
            dd = x["demand"][p]
            if "sectors" in dm:
                # demand by sector (design J2): each line's trend, net of
                # its substitution; origin rules' turns count from 2025 Q3
                for sec in dm["sectors"]:
                    sd = dd["sectors"][sec["sector"]]
                    v = sd["volume"] * (1 - sd["substituted"])
                    sec["volume"] = fig(
                        r(v), DERIVED + ": the %s line's trend after two "
                        "quarters of growth, net of the substitution the "
                        "run booked (%.2f%%)"
                        % (sec["sector"], 100 * sd["substituted"]),
                        srcs(sec["volume"]) or None,
                        "the trend after two quarters; " + DERIVED)
                    if "from_turn" in sec:
                        ft = val(sec["from_turn"]) - 2
                        sec["from_turn"] = fig(
                            ft, "world-2024's turn %d (2027 Q1) is race-2028's "
                            "turn %d" % (ft + 2, ft), srcs(sec["from_turn"]))
                continue
            v = dd["volume"] * (1 - dd["substituted"])
            dm["volume"] = fig(r(v), DERIVED + ": the trend after two "
                               "quarters of growth, net of the substitution "
                               "the run booked (%.2f%%)"
                               % (100 * dd["substituted"]),
                               srcs(dm["volume"]) or None,
                               "the trend after two quarters; " + DERIVED)
        for e in ev01:
            if e["nation"] == n["id"]:
                pol = copy.deepcopy(e["policy"])
                pol["_event"] = ("scripted in world-2024 at turn %d: %s"
                                 % (val(e["turn"]), e["text"]))
                n.setdefault("policies", []).append(pol)

    # ---- events: history only (decisions stay the players')
    sec301 = [e for e in w["events"]["scripted"]
              if e["kind"] == "policy" and e["nation"] == "USA"][0]
    sec301 = copy.deepcopy(sec301)
    sec301["turn"] = fig(1, "25% from 1 Jan 2026: fires at the end of turn "
                         "1 (2025 Q4), in force from turn 2 (2026 Q1)",
                         ["S81"])
    m["events"]["scripted"] = [sec301]

    # ---- Dy thrifting's terms (design J3), stated with their sources
    if "R32" not in m["sources"]:
        m["sources"]["R32"] = {
            "publisher": "S&P Global / Nikkei",
            "title": "Honda achieves 30% reduction in rare earth metal use in "
                     "hybrid car motors (2012)",
            "url": "https://autotechinsight.spglobal.com/news/18819/honda-"
                   "achieves-30-reduction-in-rare-earth-metal-use-in-hybrid-"
                   "car-motors",
            "reliability": "S"}
    m["parameters"]["thrift"] = {
        "min_share": fig(0.6, "Nissan cut Dy in the Leaf motor magnet by "
                         "40% (R33); Honda ~30% (R32)", ["R33", "R32"]),
        "turns": fig(4, "", None, "a qualification cycle for a changed "
                     "grade (R32's development took years; a plant switch is "
                     "shorter): designer's choice"),
        "cost": fig(2.0, "", None, "USD per kg of magnet at the full cut: no "
                    "sourced cost; R32's heavy-free magnet was reported 10% "
                    "cheaper after development, so the cost is kept small"),
    }
    recycling(m)
    m["notes"] = notes(w, d)
    # the orders written here on the heavies' basket (Noveon's standing bid,
    # China's licence choices) become one on Dy and one on Tb, as
    # split_heavies divides world-2024's (quantities 0.8 / 0.2, prices in
    # the ratio of S1's Dy $260 and Tb $810)
    for seat in m["seats"]:
        if "orders" in seat:
            seat["orders"] = split_heavies.split_list(seat["orders"])
    # the story's choices are a top-level list of the map ("choices",
    # docs/maps.md), which the server offers each seat in its observation
    ch = m["notes"].pop("choices")
    m["notes"]["choices"] = ch.pop("_")
    m["choices"] = []
    for cid, c in ch.items():
        keys = []
        for k in re.findall(r"\b([SR]\d+[a-z]?)\b", c["note"]):
            if k not in m["sources"]:
                k = k.rstrip("abcdefghijklmnopqrstuvwxyz")  # S77f: S77's f
            if k in m["sources"] and k not in keys:
                keys.append(k)
        for k in re.findall(r"\b([SR])(\d+)-[SR]?(\d+)\b", c["note"]):
            for i in range(int(k[1]) + 1, int(k[2]) + 1):
                key = k[0] + str(i)
                if key in m["sources"] and key not in keys:
                    keys.append(key)
        keys.sort(key=lambda k: (k[0], int(re.match(r"\d+", k[1:]).group()),
                                 k))
        entry = {"id": cid, "by": c["by"],
                 "orders": split_heavies.split_list(c["orders"]),
                 "note": c["note"]}
        if keys:
            entry["sources"] = keys
        m["choices"].append(entry)
    with open(os.path.join(ROOT, "maps", "race-2028.json"), "w") as fh:
        json.dump(m, fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def recycling(m):
    """Recycling of end-of-life magnets as a fourth stage (design J4),
    with the J4 table's figures and sources; assumptions labelled."""
    more = {
        "S49b": ("Published Reporter", "United States businesses accelerate "
                 "efforts in rare earth production locally (2023)",
                 "https://www.publishedreporter.com/2023/12/25/united-states-"
                 "businesses-accelerate-efforts-in-rare-earth-production-"
                 "locally/", "W"),
        "S88": ("Adamas Intelligence", "China NdFeB production, 2019",
                "https://www.adamasintel.com/china-ndfeb-production-2019/",
                "S"),
        "R29": ("MarketScreener (Dow Jones)", "Lynas says demand for rare "
                "earths very strong outside China (June 2022 quarterly)",
                "https://www.marketscreener.com/quote/stock/LYNAS-RARE-EARTHS-"
                "LIMITED-6492543/news/Lynas-Says-Demand-For-Rare-Earths-Very-"
                "Strong-Outside-China-Commodity-Comment-41007282/", "P"),
        "R58": ("J. Electrochem. Soc. 135:66", "Sharma & Seefurth (1988), "
                "Metallothermic reduction of Nd2O3 with Ca in CaCl2-NaCl "
                "melts", "https://www.springerprofessional.de/article/10.1149/"
                "1.2095591", "P"),
        "S23": ("NDTV Profit", "Apple to buy rare earths from Pentagon-backed "
                "US producer MP ($500 M, recycled feed)",
                "https://www.ndtvprofit.com/business/apple-to-buy-rare-earths-"
                "from-pentagon-backed-us-producer-mp", "S"),
    }
    for k, (pub, title, url, rel) in more.items():
        if k not in m["sources"]:
            m["sources"][k] = {"publisher": pub, "title": title, "url": url,
                               "reliability": rel}
    par = m["parameters"]
    par["recycling"] = {
        "lifetime": fig(48, "", None, "12 years from sale to end of life "
                        "(motors and generators); no sourced lifetime"),
        "history": {
            "growth": fig(0.074, "NdFeB demand 130 kt (2020) to 265 kt "
                          "(2030), 7.4% a year (R29); China's NdFeB output "
                          "170 kt in 2019 (S88) and 220-240 kt of NdFeB in "
                          "2024 (S51) agree with it; the ring's older years "
                          "are each nation's opening magnet demand deflated "
                          "at this rate (derived)", ["R29", "S88", "S51"]),
        },
        "_content": ("NdPr 0.33, Dy 0.0104, Tb 0.0026 t per t of scrap: the "
                     "magnet recipe (R30), since scrap is magnet"),
        "recovery": fig(0.9, "", None, "of the recipe's oxides; R58's 95% "
                        "oxide-to-metal yield in the laboratory bounds it; "
                        "no sourced recovery from scrap"),
        "scrap_price_share": fig(0.3, "", None, "collected scrap is offered "
                                 "at 30% of the magnet price; no sourced "
                                 "price"),
        "collection_cost": fig(1.0, "", None, "USD per kg collected "
                               "(dismantling and sorting motors), paid by "
                               "the collecting nation; no sourced cost"),
    }
    sep = par["stages"]["separation"]
    rec_assume = ("Vulcan/ReElement's 10 kt recycling-led plant (S47) and "
                  "the MP/Apple recycled feed (S23) are the only sourced "
                  "projects and give no times or costs: an assumption")
    par["stages"]["recycling"] = {
        "permit_turns": copy.deepcopy(sep["permit_turns"]),
        "build_turns": {
            "greenfield": fig(6, "", None, "6 quarters at 2,000 t/yr; " +
                              rec_assume),
            "brownfield": fig(3, "", None, "half the greenfield build"),
        },
        "reference_capacity": fig(2000, "", None, "t/yr of scrap; " +
                                  rec_assume),
        "turns_per_doubling": fig(1, "", None, "one quarter more per "
                                  "doubling; " + rec_assume),
        "capex": fig(20000, "", None, "USD per t/yr of scrap; " + rec_assume),
        "brownfield_capex_factor": fig(0.5, "", None, "half the greenfield "
                                       "capex per t/yr"),
        "unit_cost": fig(4.0, "", None, "USD per kg of scrap fed, about half "
                         "of separation's per kg fed (scrap needs no "
                         "cracking); no sourced figure"),
        "experience": fig(1000, "", None, "about two quarters of a new "
                          "plant's feed"),
        "learning_rate": fig(0.12, "as separation: median of 11 chemical "
                             "and metal series 12.6% per doubling (R5)",
                             ["R5"]),
        "staff_per_kt": fig(60, "", None, "60 people per kt/yr; " +
                            rec_assume),
        "wage": copy.deepcopy(sep["wage"]),
        "ramp": [fig(x, "", None, "a year from first feed to nameplate; no "
                     "sourced figure") for x in (0.25, 0.5, 0.75, 1)],
    }
    tal = par["talent"]
    tal["training_turns"]["recycling"] = fig(4, "", None, "a year: "
                                             "hydrometallurgy shared with "
                                             "separation; no sourced figure")
    tal["training_cost"]["recycling"] = copy.deepcopy(
        tal["training_cost"]["separation"])
    if "seasoning_turns" in tal:
        tal["seasoning_turns"]["recycling"] = fig(
            4, "", None, "a year of seasoning; no sourced figure")
    for n in m["nations"]:
        t = n.get("talent")
        if t and "separation" in t:
            t["recycling"] = fig(val(t["separation"]) // 5, "", None,
                                 "a fifth of the nation's separation pool "
                                 "knows recycling chemistry; no sourced "
                                 "figure")
        tc = n.get("training_capacity")
        if tc and "separation" in tc:
            tc["recycling"] = fig(max(val(tc["separation"]) // 2, 5), "", None,
                                  "half the separation places; no sourced "
                                  "figure")
        if n["id"] in ("CHN", "EUU", "USA", "JPN"):
            n.setdefault("policies", []).append({
                "op": "policy", "kind": "recycling_collection",
                "rate": fig(0.01, "less than 1% of rare earths are "
                            "recycled (S49b)", ["S49b"])})


def notes(w, d):
    dod = [e["order"] for e in w["events"]["scripted"]
           if e["kind"] == "state_support"]
    octo = [e["policy"] for e in w["events"]["scripted"]
            if e["kind"] == "policy" and e["nation"] == "CHN"
            and val(e["turn"]) >= 2]

    def plain(o):
        if isinstance(o, dict):
            if "value" in o and ("source" in o or "assumption" in o):
                return o["value"]
            return {k: plain(v) for k, v in o.items()}
        if isinstance(o, list):
            return [plain(v) for v in o]
        return o

    n = {
        "sources": w["notes"]["sources"],
        "calendar": (
            "Turn 0 is 2025 Q3; turn t is quarter t+3 counted from January "
            "2025: turn 1 is 2025 Q4, turn 2 2026 Q1, turn 13 2028 Q4, turn "
            "21 2030 Q4. A scripted event fires at the end of the turn it "
            "names. The model has no start quarter: year is 2025 and the "
            "quarters are counted here."),
        "derivation": (
            "derived: world-2024, turn 2, seed 1. scripts/race2028.py plays "
            "maps/world-2024.json, without its three DoD-MP state_support "
            "events of turn 1 (here they are the US players' choice), for "
            "two turns under its standing orders with seed 1 "
            "(tests/model/race_derive.c prints the state as turn 2 opens; "
            "no random event fired in those turns) and writes that state "
            "as turn 0: facilities (capacity, utilisation, experience, unit "
            "cost, recovery, construction left, ramp age, book value), "
            "firms' cash, stocks (and the oxides inside their concentrate), "
            "staff, nations' budgets, stockpiles, talent pools and demand "
            "trends (net of the substitution booked), deposits' reserves, "
            "and the world prices of turn 1 as parameters.prices. The "
            "policies scripted in world-2024 at turns 0 and 1 (April 2025 "
            "licences, their June relaxation, China's 125% tariff on US "
            "concentrate) stand in nations[].policies, each with an _event "
            "comment. Every other figure is world-2024's, with its source. "
            "Re-run the script after a change to world-2024 or the model "
            "(tests/model/test_race2028.c compares turn 0 with world-2024's "
            "turn 2)."),
        "not_carried": (
            "What the map format cannot carry from the turn-2 state, and so "
            "starts afresh at turn 0: each nation's last regional price "
            "(the map has one reference price per product: China's magnet "
            "price of Q2 2025 was $40, the world's $52.5), the price "
            "history of the observation (the first two turns' prices; "
            "strategies anchor on last turn's price until it fills), national know-how beyond "
            "the facilities' experience (it is rebuilt from them), MP's "
            "qualification clock (two turns of output towards the six; "
            "MP's Independence qualifies at turn 5 instead of 4), the "
            "substitution state (folded into the demand volumes, so it "
            "does not come back when prices fall), Chinese-origin content "
            "of stocks (origin tracking starts from the opening stocks). "
            "No trainees were in training and no effect was running."),
        "seats": (
            "14 seats to staff (design 7): USA, CHN, EUU, JPN, AUS; "
            "china_northern, china_re_group, china_magnets, japan_magnets "
            "(with VAC and its e-VAC plant in South Carolina), mp_materials, "
            "lynas, noveon (S49), usa_rare_earth (S48), vulcan_elements "
            "(S47). Six more firms are seatless aggregates (\"seatless\": "
            "true, docs/maps.md): they run on their standing orders, and "
            "a session issues no join code for them and puts no agent on "
            "them: iluka, energy_fuels, neo_performance, solvay, "
            "feedstock_miners, other_producers."),
        "new_firms": (
            "noveon: its San Marcos plant at 2,000 t/yr (assumption: "
            "'commercial sales from 2023', no capacity in the references) "
            "at utilisation 0.25, not qualified at turn 0; its target of "
            "10,000 t/yr within ~5 years (S49) is its choice (brownfield "
            "expansions, at most doubling the plant each time, or a new "
            "plant). usa_rare_earth: Stillwater 600 t/yr under construction, "
            "producing from 2026 (S48); 600 -> 5,000 t/yr is its choice "
            "(the brownfield bound means 600 -> 1,200 -> 2,400 -> 4,800); "
            "it owns 70% of Round Top (S48), which the map has as the "
            "deposit round_top with owner usa_rare_earth: a mine there is "
            "its choice, and no other firm's. "
            "vulcan_elements: no plant at turn 0; the 10,000 t/yr "
            "recycling-led plant (S47) is its choice: an ordinary magnet "
            "plant, fed by a recycling plant of its own (the map's fourth "
            "stage, design J4) if it builds one. e-VAC: "
            "japan_magnets' evac_sumter, 1,500 t/yr in the USA (assumption: "
            "S50 gives $500 M, no capacity), operating from turn 1; as a "
            "map facility it is staffed from japan_magnets' staff, not from "
            "the US pool as a plant built abroad by order would be."),
        "choices": choices(dod, octo, plain),
        "events": (
            "Scripted (history): the Section 301 25% tariff on Chinese "
            "magnets from 1 Jan 2026 (S81), at turn 1. Random, as in "
            "world-2024: Myanmar conflict (S85, S85b), mine accidents, "
            "plant outages, cost overruns (S33, S34), magnet demand surges. "
            "Not scripted because they are decisions: the DoD-MP deal, the "
            "October 2025 package, its suspension and its end after turn 5 "
            "(10 Nov 2026, S67) unless CHN renews it, the Busan general "
            "licences (the map's choices). Demand by sector (design J2) as "
            "in world-2024: US defence buys only qualified suppliers' "
            "magnets, and none with Chinese content from turn 6 (2027 Q1, "
            "the FY2021 NDAA rule, S60); 23,000 t/yr of US demand embedded "
            "in finished goods is bought in China's market and counts in "
            "US supply security (S61, S51)."),
        "left_out": (
            "What the outline (docs/design/model-v2.md section 7) asks and "
            "the model cannot express today: contract proposals pending "
            "at turn 0 (the USA's proposals are choices it submits at "
            "turn 0 or later, you.choices); "
            "the EU's 25% CRMA recycling benchmark as an objective "
            "(recycling is a stage, design J4, but EUU's objectives stay "
            "world-2024's); "
            "the CRMA's other benchmarks as objectives (10% mined, 40% "
            "processed, <=65% from one country: the model's objectives are "
            "security, value added, budget). Firm-owned deposits are in "
            "(deposits[].owner: Mountain Pass is MP's, S100, S13; Mt Weld "
            "Lynas's, S24, S26; Round Top USA Rare Earth's, 70%, S48); "
            "Bayan Obo and the others stay open to any firm (no source on "
            "their owners in the references)."),
        "aggregates": w["notes"]["aggregates"].replace(
            "Not in the map as firms: Shenghe, Arafura, Serra Verde, USA "
            "Rare Earth, Noveon, Vulcan, VAC, e-VAC",
            "Not in the map as firms: Shenghe, Arafura, Serra Verde, VAC's "
            "European plants (in japan_magnets)"),
        "dytb_basket": w["notes"]["dytb_basket"],
        "heavy_products": (
            "Dy and Tb are separate products (parameters.heavy_products "
            "\"split\", docs/design/model-v2.md J1): race-2028 opens in "
            "2025, when Dy at $260 and Tb at $810 (S1) diverge under "
            "China's licences (S71, S72, S73). The map is world-2024 divided "
            "by scripts/split_heavies.py before the run that derives it: "
            "final demand, stocks and the recipe 0.8 Dy / 0.2 Tb "
            "(dy_share_of_heavies, R21, S43), standing asks and bids in the "
            "ratio of S1's prices (China's $360 basket ask: Dy $253, Tb "
            "$788), the Donald deposit's Dy 0.0170 and Tb 0.0028 (S46), "
            "licences and controls on the basket on both."),
        "standing_orders": w["notes"]["standing_orders"],
        "quota": w["notes"]["quota"],
        "licence": w["notes"]["licence"],
        "tolerances": (
            "tests/model/test_race2028.c resolves turn 0 and world-2024's "
            "turn 2 (same seed, no DoD deal) and compares them: world mine "
            "output within 2%, China's shares of mining, separation and "
            "magnet output within 1 percentage point, NdPr, La/Ce and "
            "concentrate prices within 3%, the heavies' basket value (0.8 "
            "Dy + 0.2 Tb) within 5% of world-2024's basket price, "
            "magnets within 10% (each nation's last regional price, the "
            "price history and the substitution state start afresh: "
            "notes.not_carried; seed 1 gives $51.7 against $48.7)."),
    }
    return n


def choices(dod, octo, plain):
    """The map's choices: each move of the story as the seat that makes it and
    its wire orders (docs/protocol.md), with where its figures come from."""
    def c(by, orders, note):
        return {"by": by, "orders": orders, "note": note}

    octo = [o for o in octo
            if o["kind"] in ("origin_rule", "technology_export_ban")]
    chn_pkg = [plain(o) for o in octo if not o.get("lift")]
    for o in chn_pkg:
        if "from_turn" in o:
            o["from_turn"] = 2  # 1 Dec 2025 (S64, S65): 2026 Q1 here
    chn_susp = [plain(o) for o in octo if o.get("lift")]
    for o in chn_susp:
        # No. 70 holds to 10 Nov 2026: from turn 1, five turns (lapsing
        # policies, issue 11); then the October package returns
        o["turns"] = 5
    dod = [plain(o) for o in dod]
    for o in dod:
        if o.get("kind") == "firm_price_floor":
            o["turns"] = 40  # S16's ten years (world-2024 cuts it to 39)
    return {
        "_": ("The players' choices of the story are the map's "
              "top-level \"choices\": for each, the seat that makes it "
              "('by') and the orders it submits, as on the wire "
              "(docs/protocol.md; money in USD, quantities in t, per turn "
              "for contracts and floors, prices in USD/kg). The server "
              "offers each seat its own in its observation (you.choices), "
              "and the clients submit one with a click; nobody is made to "
              "take them. tests/docs/test_race_choices.py checks every "
              "order against docs/orders.schema.json; tests/model/"
              "test_race2028.c submits the main ones from the "
              "observation and checks that they are accepted."),
        "dod_mp_deal": c("USA", dod,
                         "the DoD-MP deal of 10 Jul 2025 (S16-S19), the "
                         "orders world-2024 scripts at its turn 1: a $110/kg "
                         "NdPr floor, $400 M of equity for 15%, a $150 M "
                         "loan (terms assumptions, as in world-2024)"),
        "mp_10x": c("mp_materials",
                    [{"op": "build", "stage": "magnet", "capacity": 10000}],
                    "the 10X plant (S16). $1.25 bn at the map's capex: MP's "
                    "cash and credit at turn 0 fall ~$185 M short; with the "
                    "DoD deal's $550 M (paid during the turn it is ordered) "
                    "MP can build from the next turn, or at once with a US "
                    "magnet capex subsidy"),
        "dod_10x_offtake": c("USA", [
            {"op": "contract_propose", "id": "dod-10x", "to": "mp_materials",
             "side": "buy", "product": "magnet", "quantity": 2500,
             "price": 60, "turns": 40, "index": "magnet", "share": 1,
             "floor": 60, "consume": True}],
            "the 10X offtake (S16): 100% of 10,000 t/yr (2,500 t a "
            "quarter) for the 40 turns of S16's ten years, at the US magnet "
            "price with a floor of $60/kg (assumption: about 10X's cost on "
            "its curve), consumed by the US (defence). A proposal stays "
            "open until the end of the next turn, so the USA proposes it "
            "as 10X is about to open; mp_materials answers with "
            "{\"op\": \"contract_accept\", \"id\": \"dod-10x\", "
            "\"from\": \"USA\"}"),
        "mp_accepts_offtake": c("mp_materials", [
            {"op": "contract_accept", "id": "dod-10x", "from": "USA"}],
            "MP's side of the 10X offtake (S16)"),
        "us_stockpile": c("USA", [
            {"op": "policy", "kind": "stockpile", "product": "magnet",
             "target": 3750}],
            "OBBBA's $7.5 bn for critical minerals, with $2 bn for the "
            "National Defense Stockpile through 2027 (S84), is in the "
            "opening budget (world-2024's, S84); the DLA's rotating "
            "six-month supply of magnets (R46) at the ~7,500 t/yr of US "
            "magnet demand at turn 0 is ~3,750 t, against 1,750 t held"),
        "vulcan_package": c("USA", [
            {"op": "loan", "firm": "vulcan_elements", "amount": 620000000,
             "rate": 0.045, "turns": 40, "grace": 8},
            {"op": "equity", "firm": "vulcan_elements", "amount": 50000000,
             "stake": 0.05}],
            "the OSC loan of $620 M and $50 M of Commerce (CHIPS) equity "
            "(S47); the rate, term, grace and stake are assumptions"),
        "vulcan_plant": c("vulcan_elements", [
            {"op": "build", "stage": "magnet", "capacity": 9500}],
            "the recycling-led plant (S47: 10,000 t/yr): the turn after "
            "the package, its $1.22 bn pays 9,500 t/yr at the map's $125 "
            "per t/yr (10,000 t/yr with any US magnet capex subsidy)"),
        "lynas_seadrift": c("lynas", [
            {"op": "build", "stage": "separation", "capacity": 5000,
             "nation": "USA"}],
            "Lynas's heavy and light separation plant at Seadrift, Texas "
            "(S28, S29, S30), built in the USA under its permits, policies "
            "and talent; the capacity is an assumption (none in the "
            "references). It opens Lynas's US branch (parameters.branches): "
            "the plant is staffed from the US pool at US wages, its oxides "
            "are held and sold in the US market (offer with nation USA), "
            "its feed is bought there (bid with nation USA) or moved from "
            "Australia (transfer from AUS to USA, paying transport and the "
            "US tariff), and the branch's profit is taxed by the USA"),
        "ibas_grant": c("USA", [
            {"op": "grant", "firm": "lynas", "amount": 258000000}],
            "the DoD IBAS award of about US$258 M for Seadrift (S28), "
            "cost-reimbursable: grant it when Lynas builds"),
        "evac_grant": c("USA", [
            {"op": "grant", "firm": "japan_magnets", "amount": 100000000}],
            "at least $100 M of US government funds for e-VAC (S50)"),
        "noveon_expansion": c("noveon", [
            {"op": "build", "stage": "magnet", "capacity": 2000,
             "facility": "noveon_san_marcos"}],
            "towards 10,000 t/yr within ~5 years (S49): each expansion at "
            "most doubles the plant"),
        "usar_expansion": c("usa_rare_earth", [
            {"op": "build", "stage": "magnet", "capacity": 600,
             "facility": "usar_stillwater"}],
            "600 -> 5,000 t/yr (S48): once the plant operates (turn 2), "
            "then again on the larger plant"),
        "us_aus_floor": c("AUS", [
            {"op": "policy", "kind": "firm_price_floor", "firm": "lynas",
             "product": "ndpr_oxide", "price": 110, "quantity": 500,
             "turns": 20}],
            "a template for the October 2025 US-Australia agreement on "
            "joint investment and floor prices (S56, which gives no "
            "terms): the $110 floor mirrors the DoD-MP deal (assumption)"),
        "us_aus_offtake": c("USA", [
            {"op": "contract_propose", "id": "us-aus-ndpr", "to": "lynas",
             "side": "buy", "product": "ndpr_oxide", "quantity": 250,
             "price": 110, "turns": 20, "index": "ndpr_oxide", "share": 1,
             "floor": 110}],
            "the US side of the same template (S56; terms assumptions)"),
        "chn_october_package": c("CHN", chn_pkg,
            "MOFCOM No. 61 and 62 of 9 Oct 2025 (S64, S65, S66): "
            "historically at turn 0 here; the rule of origin was to bind "
            "from 1 Dec 2025 (turn 2)"),
        "chn_suspension": c("CHN", chn_susp,
            "Announcement No. 70 of 7 Nov 2025 (S67, S68): historically "
            "at turn 1, until 10 Nov 2026: ordered at turn 1 with turns 5 "
            "it holds turns 1-5, then the October package returns; "
            "renewing it (ordering it again) or not is CHN's decision"),
        "chn_general_licences": c("CHN", [
            {"op": "policy", "kind": "export_licence", "product":
             "dytb_oxide", "approval": 1, "to": "all"},
            {"op": "policy", "kind": "export_licence", "product": "magnet",
             "approval": 1, "to": "all"}],
            "the Busan deal's general licences (S68, S104)"),
        "chn_licences_on_exports": c("CHN", [
            {"op": "policy", "kind": "export_licence", "product":
             "dytb_oxide", "approval": 0.26, "to": "all",
             "basis": "exports"}],
            "the April 2025 regime as it reads, licences on exports only "
            "(S69, S70)"),
        "chn_quota_on_output": c("CHN", [
            {"op": "policy", "kind": "production_quota", "stage":
             "separation", "basis": "output", "imports": "inside",
             "quantity": 63500}],
            "the separation quota on output, 254 kt a year (S77f), with "
            "the 2025 draft rule bringing imported ore under it (S77g)"),
        "chn_reserve": c("CHN", [
            {"op": "policy", "kind": "stockpile", "product": "ndpr_oxide",
             "target": 14000}],
            "the state reserve's buying (R45: ~10 kt in a week): 10 kt "
            "above the 4,000 t held (assumption)"),
        "jpn_jogmec": c("JPN", [
            {"op": "policy", "kind": "stockpile", "product": "ndpr_oxide",
             "target": 2361}],
            "JOGMEC's 60-180 days (R44): 180 days, three times the 60-day "
            "787 t"),
        "euu_permits": c("EUU", [
            {"op": "policy", "kind": "permitting", "stage": "magnet",
             "speed": 1.5}],
            "the CRMA's permit caps of 27 and 15 months (R49) as faster "
            "permitting (speed an assumption)"),
    }


if __name__ == "__main__":
    main()
