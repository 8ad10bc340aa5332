#!/usr/bin/python3
"""Contracts between seats over the wire (issue 11, docs/protocol.md
"Contracts"): a seat proposes with an order `contract_propose` inside
orders.submit, the counterparty sees the proposal in its state.get and
accepts it with `contract_accept`; the model delivers it before the
market; both parties see it running, no other seat sees it, and the
facilitator lists every contract with contracts.list (its admin token
only). A wrong acceptance is refused with the field at fault.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Game, LanthanideError, Suite, check  # noqa: E402

suite = Suite(__doc__)


def advance_to(admin, game, player, turn):
    """session.advance, then wait until the player's state shows `turn`."""
    admin.advance(game.id, game.admin_token)
    deadline = time.monotonic() + 10
    while player.state()["turn"] < turn:
        if time.monotonic() > deadline:
            raise AssertionError("turn %d did not come" % turn)
        time.sleep(0.01)


def contract(state, cid):
    for c in state["you"]["contracts"]:
        if c["id"] == cid:
            return c
    return None


@suite.test
def propose_accept_deliver_and_list(server):
    admin = server.client()
    game = Game(admin, "classroom", turns=4, turn_seconds=3600)
    seller, buyer, other = server.client(), server.client(), server.client()
    game.join(seller, "dragon_separation")
    game.join(buyer, "dragon_magnets")
    game.join(other, "euro_magnets")
    game.start()
    res = seller.submit([{"op": "contract_propose", "id": "ndpr-1",
                          "to": "dragon_magnets", "product": "ndpr_oxide",
                          "quantity": 100, "price": 45, "turns": 2,
                          "penalty": 10}])
    check(res["rejected"] == [], "the proposal is accepted as an order", res)
    advance_to(admin, game, seller, 1)

    c = contract(buyer.state(), "ndpr-1")
    check(c is not None and c["status"] == "proposed"
          and c["seller"] == "dragon_separation"
          and c["buyer"] == "dragon_magnets" and c["quantity"] == 100
          and c["price"] == 45, "the buyer sees the proposal", c)
    check(contract(other.state(), "ndpr-1") is None,
          "another seat does not see it")

    res = buyer.submit([{"op": "contract_accept", "id": "ndpr-9",
                         "from": "dragon_separation"}])
    check(len(res["rejected"]) == 1 and res["rejected"][0]["field"] == "id",
          "an unknown contract is refused on id", res)
    res = buyer.submit([{"op": "contract_accept", "id": "ndpr-1",
                         "from": "dragon_separation"}])
    check(res["rejected"] == [], "the acceptance is taken", res)
    advance_to(admin, game, seller, 2)

    for who in (seller, buyer):
        c = contract(who.state(), "ndpr-1")
        check(c is not None and c["status"] == "running"
              and c["delivered"] == 100 and c["shortfall"] == 0
              and c["turns_left"] == 1,
              "both parties see it running and delivered", c)
    listed = admin.call("contracts.list", session=game.id,
                        admin_token=game.admin_token)
    check([x["id"] for x in listed["contracts"]] == ["ndpr-1"]
          and listed["turn"] == 2, "the facilitator lists it", listed)
    try:
        other.call("contracts.list", session=game.id, token=other.token)
        check(False, "a seat token may not list every contract")
    except LanthanideError as e:
        check(e.code == "forbidden", "forbidden for a seat", e.code)


if __name__ == "__main__":
    sys.exit(suite.run())
