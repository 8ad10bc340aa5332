#!/usr/bin/env python3
"""Turns a basket map (one dytb_oxide product) into a split map (dy_oxide and
tb_oxide apart), as docs/design/model-v2.md section J1 describes.

    python3 scripts/split_heavies.py IN.json OUT.json [IN2.json OUT2.json ...]

Also imported by scripts/race2028.py (split(m)). Every figure keeps the
source keys of the figure it came from; the division itself says so:

- parameters.heavy_products "split" and dy_share_of_heavies 0.8 (DOMAIN.md's
  stated split, an assumption there; cross-checked by R21 and S43);
- prices: dy_oxide $260/kg and tb_oxide $810/kg (S1, USGS 2024 averages),
  or, for a map whose basket price is not S1's $370, the basket price
  divided in the ratio of S1's prices so that 0.8 Dy + 0.2 Tb is the basket;
- the magnet recipe's 0.013 becomes Dy 0.0104 and Tb 0.0026 (R30, S92, the
  basket split 0.8 / 0.2);
- final demand, stockpiles, inventories and stockpile targets: x 0.8 for
  Dy, x 0.2 for Tb;
- standing offers and bids: the quantity split 0.8 / 0.2, the price in the
  ratio of S1's prices (China's $360 basket ask: Dy $253, Tb $788);
- policies and scripted events on dytb_oxide: one for each (a licence or
  ban on the basket applies to both);
- the Donald deposit (S46): Dy 0.0170, Tb 0.0028; other deposits and
  concentrate baskets keep dytb_oxide, which the loader divides by
  dy_share_of_heavies.
"""
import copy
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DY_SHARE = 0.8
DY_PRICE, TB_PRICE, BASKET = 260.0, 810.0, 370.0  # S1
NOTE = "split of the Dy/Tb basket (design J1)"


def val(x):
    return x["value"] if isinstance(x, dict) else x


def scaled(x, f, why):
    """x (a number or a figure object) times f, keeping its sources."""
    v = val(x) * f
    v = round(v, 6)
    if v == int(v):
        v = int(v)
    if not isinstance(x, dict):
        return v
    y = {k: w for k, w in x.items() if k != "value"}
    y["value"] = v
    key = "note" if "source" in y else "assumption"
    y[key] = (y.get(key, "") + "; " if y.get(key) else "") + why
    return y


def price_ratio(product):
    return (DY_PRICE if product == "dy_oxide" else TB_PRICE) / (
        DY_SHARE * DY_PRICE + (1 - DY_SHARE) * TB_PRICE)


def share(product):
    return DY_SHARE if product == "dy_oxide" else 1 - DY_SHARE


def split_keyed(obj, how):
    """obj["dytb_oxide"] -> obj["dy_oxide"], obj["tb_oxide"] by how(x, p)."""
    if not isinstance(obj, dict) or "dytb_oxide" not in obj:
        return
    x = obj.pop("dytb_oxide")
    for p in ("dy_oxide", "tb_oxide"):
        obj[p] = how(copy.deepcopy(x), p)


def split_order(o):
    """An order or policy on dytb_oxide -> one for each, or None."""
    if o.get("product") != "dytb_oxide":
        return None
    out = []
    for p in ("dy_oxide", "tb_oxide"):
        y = copy.deepcopy(o)
        y["product"] = p
        if o.get("op") in ("offer", "bid"):
            if "quantity" in y and val(y["quantity"]) < 1000000:
                y["quantity"] = scaled(y["quantity"], share(p),
                                       NOTE + ": %g of it" % share(p))
            for k in ("min_price", "max_price"):
                if k in y:
                    y[k] = scaled(y[k], price_ratio(p),
                                  NOTE + ": in the ratio of S1's prices")
        for k in ("target", "quantity"):
            if o.get("op") == "policy" and k in y:
                y[k] = scaled(y[k], share(p), NOTE + ": %g of it" % share(p))
        out.append(y)
    return out


def split_list(orders):
    res = []
    for o in orders:
        s = split_order(o)
        res.extend(s if s else [o])
    return res


def split(m):
    m = copy.deepcopy(m)
    if "sources" in m:
        # the keys the division cites, from world-2024's table
        w = json.load(open(os.path.join(ROOT, "maps", "world-2024.json")))
        for k in ("S1", "R21", "S43", "R30", "S92", "S46"):
            if k not in m["sources"]:
                m["sources"][k] = w["sources"][k]
    par = m["parameters"]
    par["heavy_products"] = "split"
    par["dy_share_of_heavies"] = {
        "value": DY_SHARE,
        "source": ["R21", "S43"],
        "note": "DOMAIN.md's 80/20 split (an assumption there); Energy Fuels "
                "LOM Dy 165 t / Tb 48 t = 0.775 (R21), BFS ~240 / ~66 = 0.78 "
                "(S43)"}
    basket = val(par["prices"].pop("dytb_oxide"))
    if abs(basket - BASKET) < 1e-9:
        par["prices"]["dy_oxide"] = {"value": DY_PRICE, "source": "S1",
                                     "note": "USGS 2024 average Dy oxide"}
        par["prices"]["tb_oxide"] = {"value": TB_PRICE, "source": "S1",
                                     "note": "USGS 2024 average Tb oxide"}
    else:
        for p in ("dy_oxide", "tb_oxide"):
            par["prices"][p] = {
                "value": round(basket * price_ratio(p), 2), "source": "S1",
                "note": NOTE + ": the basket's %g in the ratio of S1's "
                "prices (Dy $260, Tb $810)" % basket}
    rec = par["stages"]["magnet"].get("recipe")
    if rec and "dytb_oxide" in rec:
        split_keyed(rec, lambda x, p: scaled(
            x, share(p), NOTE + ": 0.8 / 0.2 of the basket (R30, S92)"))
    for t in par.get("transport", {}).values():
        if isinstance(t, dict):
            split_keyed(t, lambda x, p: x)
    for arc in par.get("transport", {}).get("arcs", []) or []:
        if isinstance(arc, dict) and arc.get("product") == "dytb_oxide":
            arc["product"] = "dy_oxide"
    for n in m["nations"]:
        split_keyed(n.get("demand"), lambda d, p: split_demand(d, p))
        split_keyed(n.get("stockpile"), lambda x, p: scaled(
            x, share(p), NOTE + ": %g of it" % share(p)))
        if "policies" in n:
            n["policies"] = split_list(n["policies"])
    for s in m["seats"]:
        split_keyed(s.get("inventory"), lambda x, p: scaled(
            x, share(p), NOTE + ": %g of it" % share(p)))
        if "orders" in s:
            s["orders"] = split_list(s["orders"])
    for d in m["deposits"]:
        if d["id"] == "donald":
            b = d["basket"]
            x = b.pop("dytb_oxide")
            b["dy_oxide"] = {"value": 0.017, "source": "S46",
                             "note": "Donald: 84 t Dy per ~990 t NdPr"}
            b["tb_oxide"] = {"value": round(val(x) - 0.017, 6),
                             "source": "S46",
                             "note": "Donald: 14 t Tb per ~990 t NdPr (the "
                                     "basket's rest)"}
    ev = m.get("events", {})
    res = []
    for e in ev.get("scripted", []):
        if e.get("kind") == "policy" and \
                e.get("policy", {}).get("product") == "dytb_oxide":
            for o in split_order(e["policy"]):
                y = copy.deepcopy(e)
                y["policy"] = o
                res.append(y)
        elif e.get("product") == "dytb_oxide":
            for p in ("dy_oxide", "tb_oxide"):
                y = copy.deepcopy(e)
                y["product"] = p
                res.append(y)
        else:
            res.append(e)
    if "scripted" in ev:
        ev["scripted"] = res
    return m


def split_demand(d, p):
    d = copy.deepcopy(d)
    if "volume" in d:
        d["volume"] = scaled(d["volume"], share(p),
                             NOTE + ": %g of it" % share(p))
    for k in ("price", "max_price"):
        if k in d:
            d[k] = scaled(d[k], price_ratio(p),
                          NOTE + ": in the ratio of S1's prices")
    return d


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit("usage: split_heavies.py IN.json OUT.json [IN OUT ...]")
    for src, dst in zip(args[::2], args[1::2]):
        out = split(json.load(open(src)))
        os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
        with open(dst, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
