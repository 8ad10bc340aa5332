#!/usr/bin/python3
"""A tiny Lanthanide bot, to copy and improve.

A firm keeps every plant it has running at full utilisation and offers
what it can sell this turn (its stock plus a quarter of a year's output)
at 95% of last turn's price in its home market. A nation does nothing new:
its announced policies stand.

    /usr/bin/python3 clients/python/example_bot.py \\
        --server 127.0.0.1:7447 --session s1abc234 --code K3J9Q2W7XP

The facilitator gives you the session id and your seat's join code. To come
back to a seat after a disconnection, pass --token (printed when joining)
instead of --code. Needs Debian's python3-msgpack (or pip's msgpack).

Without options it reads LANTHANIDE_SERVER, LANTHANIDE_SESSION and
LANTHANIDE_TOKEN from its environment, which is how a tournament starts it:

    build/bin/lanthanide tournament --map classroom --out r.db \\
        --agent example='/usr/bin/python3 clients/python/example_bot.py' \\
        --strategies example,cournot,cautious,standing
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lanthanide  # noqa: E402

# What each stage makes (a separation plant splits concentrate into the
# three oxides of its deposit's basket).
OUTPUTS = {
    "mining": ["concentrate"],
    "separation": ["ndpr_oxide", "dytb_oxide", "lace_oxide", "dy_oxide",
                   "tb_oxide"],
    "magnet": ["magnet"],
    # maps with recycling (public.rules.stages lists it): the magnet
    # recipe's oxides, recovered from scrap
    "recycling": ["ndpr_oxide", "dytb_oxide", "dy_oxide", "tb_oxide"],
}

TURNS_PER_YEAR = 4  # a turn is a quarter; capacities are tonnes per year


def decide(obs, say=print):
    """The orders for this turn, from the seat's observation."""
    you = obs["you"]
    turn = obs["turn"]
    if obs["kind"] == "nation":
        kinds = ", ".join(p["kind"] for p in you.get("policies", [])) or "none"
        say("turn %d: %s keeps its policies (%s); budget %.0f USD"
            % (turn, obs["seat"], kinds, you.get("budget", 0)))
        return []

    orders = []
    per_turn = {}  # product -> tonnes the running plants can make this turn
    for f in you["facilities"]:
        if f["status"] != "operating":
            say("turn %d: %s is still being built (%d turns left)"
                % (turn, f["id"], f["turns_left"]))
            continue
        if f["utilisation"] < 1.0:
            orders.append({"op": "operate", "facility": f["id"],
                           "utilisation": 1.0})
            say("turn %d: run %s at full capacity (was %.0f%%)"
                % (turn, f["id"], 100 * f["utilisation"]))
        # only the map's products: the heavies are one basket (dytb_oxide)
        # or Dy and Tb apart (public.rules.products; older servers: all)
        products = obs.get("public", {}).get("rules", {}).get("products")
        rules = obs.get("public", {}).get("rules", {})
        for product in OUTPUTS.get(f["stage"], []):
            if products is not None and product not in products:
                continue
            made = f["effective_capacity"] / TURNS_PER_YEAR
            if f["stage"] == "recycling":  # t of oxide per t of scrap fed
                made *= (rules.get("magnet_recipe", {}).get(product, 0.0)
                         * rules.get("recycling", {}).get("recovery", 0.0))
            per_turn[product] = per_turn.get(product, 0.0) + made

    # Sell where the firm sits: at 95% of last turn's price in its home
    # market (the world price can sit above what buyers there pay, and an
    # offer above it never fills).
    home = obs["nation"]
    regional = obs["market"]["regional"]
    for product, made in sorted(per_turn.items()):
        quantity = round(you["inventory"].get(product, 0.0) + made, 3)
        price = regional.get(product, {}).get(home,
                                              obs["market"]["prices"].get(product))
        if quantity <= 0 or price is None:
            continue
        price = round(0.95 * price, 2)
        orders.append({"op": "offer", "product": product,
                       "quantity": quantity, "min_price": price})
        say("turn %d: offer up to %.0f t of %s at %.2f USD/kg"
            % (turn, quantity, product, price))
    say("turn %d: cash %.0f USD" % (turn, you["cash"]))
    return orders


def main(argv=None):
    env = os.environ
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server",
                    default=env.get("LANTHANIDE_SERVER", "127.0.0.1:7447"),
                    help="HOST:PORT of the game server (default "
                    "$LANTHANIDE_SERVER or %(default)s)")
    ap.add_argument("--session", default=env.get("LANTHANIDE_SESSION"),
                    required="LANTHANIDE_SESSION" not in env,
                    help="the session id (default $LANTHANIDE_SESSION)")
    who = ap.add_mutually_exclusive_group(
        required="LANTHANIDE_TOKEN" not in env)
    who.add_argument("--code", help="your seat's join code")
    who.add_argument("--token", default=env.get("LANTHANIDE_TOKEN"),
                     help="your seat's token, to reconnect (default "
                     "$LANTHANIDE_TOKEN)")
    ap.add_argument("--name", default="example_bot",
                    help="your name, shown to the facilitator")
    args = ap.parse_args(argv)
    host, _, port = args.server.rpartition(":")
    if not host or not port.isdigit():
        ap.error("--server must be HOST:PORT, such as 127.0.0.1:7447")
    try:
        lanthanide.run_bot(host.strip("[]"), int(port), args.session,
                           args.code, decide,
                           token=None if args.code else args.token,
                           name=args.name)
    except lanthanide.LanthanideError as e:
        print("the server refused: %s" % e, file=sys.stderr)
        return 1
    except (OSError, TimeoutError) as e:
        print("connection problem: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
