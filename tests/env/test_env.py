#!/usr/bin/python3
"""The in-process environment (clients/python/lanthanide_env.py on
build/lib/liblanthanide.so), as a learning loop uses it: the PettingZoo
parallel API (agents, reset, step, rewards, terminations), determinism by
seed, clone, orders and their refusals, shorter games, the flat view and
the action catalogue with its legal-action mask, and the errors a user
meets.

    /usr/bin/python3 tests/env/test_env.py --lib build/lib/liblanthanide.so
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from envtest import check, expect_raises, run  # noqa: E402

import lanthanide_env as le  # noqa: E402

SEATS = ["CHN", "USA", "EUU", "dragon_mining", "dragon_separation",
         "dragon_magnets", "mountain_minerals", "kangaroo_rare",
         "euro_magnets"]
OBS_KEYS = {"session", "status", "deadline_ms", "remaining_ms", "seat",
            "kind", "turn", "turns", "you", "market", "public"}


def play(env, policy=lambda env, obs: {}):
    """Play env to the end; returns (summed rewards, steps)."""
    obs, _ = env.reset()
    total = {s: 0.0 for s in env.possible_agents}
    steps = 0
    while env.agents:
        obs, rew, term, trunc, info = env.step(policy(env, obs))
        for s, r in rew.items():
            total[s] += r
        steps += 1
    return total, steps


def test_parallel_api(args):
    env = le.make_env(map="classroom", seed=11)
    check(env.possible_agents == SEATS, "possible_agents are the map's "
          "seats in map order", env.possible_agents)
    check(env.agents == [], "no agents before reset", env.agents)
    obs, infos = env.reset()
    check(env.agents == SEATS, "every seat plays after reset")
    check(set(obs) == set(SEATS) and set(infos) == set(SEATS),
          "an observation and an info for every seat")
    for s in SEATS:
        o = obs[s]
        check(OBS_KEYS <= set(o), "the observation has state.get's keys",
              s, sorted(o))
        check(o["seat"] == s and o["turn"] == 0 and o["status"] == "running",
              "it is the seat's, at turn 0, running", o["seat"], o["turn"])
    check(obs["CHN"]["kind"] == "nation" and obs["euro_magnets"]["kind"] ==
          "firm", "kinds are the map's")
    for step in range(16):
        obs, rew, term, trunc, info = env.step({})
        last = step == 15
        check(set(rew) == set(SEATS), "a reward for every seat")
        check(all(v is last for v in term.values()),
              "terminated exactly after the last turn", step, term)
        check(not any(trunc.values()), "never truncated")
        check(all(info[s]["turn"] == step + 1 for s in SEATS),
              "infos say the new turn", info)
        check(obs["USA"]["turn"] == step + 1, "observations move on")
    check(env.agents == [], "no agents once the game is over")
    check(obs["USA"]["status"] == "finished", "the last observation says "
          "finished", obs["USA"]["status"])
    expect_raises(le.LanthanideEnvError, env.step, {}, contains="reset()")


def test_rewards_sum_to_scores(args):
    env = le.make_env(map="classroom", seed=5)
    total, steps = play(env)
    check(steps == 16, "classroom lasts 16 turns", steps)
    scores = env.scores()
    for s in SEATS:
        check(abs(total[s] - scores[s]) < 1e-9,
              "a seat's rewards add up to its final score", s, total[s],
              scores[s])
    check(any(v != 0 for v in scores.values()), "scores are not all zero")


def test_seed_determinism(args):
    a = le.make_env(map="classroom", seed=21)
    b = le.make_env(map="classroom", seed=21)
    play(a)
    play(b)
    check(a.state_hash() == b.state_hash(), "same map, seed and orders: "
          "same state hash")
    h = a.state_hash()
    a.reset(seed=22)
    while a.agents:
        a.step({})
    check(a.state_hash() != h, "another seed gives another game")
    a.reset(seed=21)
    while a.agents:
        a.step({})
    check(a.state_hash() == h, "reset(seed) replays the game exactly")


def operate_policy(env, obs):
    """Every firm runs its first plant at half capacity."""
    acts = {}
    for s, o in obs.items():
        fac = o["you"].get("facilities") or []
        if o["kind"] == "firm" and fac:
            acts[s] = [{"op": "operate", "facility": fac[0]["id"],
                        "utilisation": 0.5}]
    return acts


def test_clone(args):
    env = le.make_env(map="classroom", seed=3)
    env.reset()
    for _ in range(5):
        env.step({})
    c = env.clone()
    check(c.state_hash() == env.state_hash() and c.turn == env.turn == 5,
          "a clone starts where the original stands")
    while env.agents:
        env.step({})
    d = c.clone()
    while c.agents:
        c.step({})
    check(c.state_hash() == env.state_hash(),
          "the clone played alike ends alike")
    obs = d.observe("USA")
    check(obs["turn"] == 5, "a clone is independent of its original's moves")
    while d.agents:
        d.step(operate_policy(d, {s: d.observe(s) for s in d.agents}))
    check(d.state_hash() != env.state_hash(),
          "the clone played differently ends differently")


def test_orders_and_refusals(args):
    env = le.make_env(map="classroom", seed=9)
    obs, _ = env.reset()
    mine = obs["mountain_minerals"]["you"]["facilities"][0]["id"]
    _, _, _, _, info = env.step({
        "mountain_minerals": [
            {"op": "operate", "facility": mine, "utilisation": 0.25},
            {"op": "fly", "to": "the moon"},
            {"op": "operate", "facility": "no_such_plant",
             "utilisation": 0.5}],
        "USA": [{"op": "policy", "kind": "tariff", "product": "magnet",
                 "rate": 99}]})
    rej = {r["index"]: r for r in info["mountain_minerals"]["rejected"]}
    check(sorted(rej) == [1, 2], "exactly the bad orders are refused",
          info["mountain_minerals"])
    check(rej[1]["field"] == "op" and rej[2]["field"] == "facility",
          "each refusal names its field", rej)
    check(all(r["code"] == "invalid_order" and len(r["message"]) > 10
              for r in rej.values()), "and says why", rej)
    usa = info["USA"]["rejected"]
    check(len(usa) == 1 and usa[0]["field"] == "rate",
          "a tariff beyond its range is refused", usa)
    fac = [f for f in env.observe("mountain_minerals")["you"]["facilities"]
           if f["id"] == mine][0]
    check(abs(fac["utilisation"] - 0.25) < 1e-9,
          "the accepted order applied (and stands)", fac)


def test_shorter_game(args):
    env = le.make_env(map="classroom", seed=1, turns=4)
    obs, _ = env.reset()
    check(obs["CHN"]["turns"] == 4, "the observation says the game's turns",
          obs["CHN"]["turns"])
    _, steps = play(env)
    check(steps == 4, "a game of 4 turns ends after 4 steps", steps)
    expect_raises(le.LanthanideEnvError, le.make_env, map="classroom",
                  turns=99, contains="turns")
    obs, _ = env.reset(options={"turns": 2})
    check(obs["CHN"]["turns"] == 2, "reset(options={'turns': 2}) says so")
    steps = 0
    while env.agents:
        env.step({})
        steps += 1
    check(steps == 2, "and plays 2 turns", steps)
    expect_raises(le.LanthanideEnvError, env.reset, options={"speed": 2},
                  contains="turns")


def test_flat_view(args):
    env = le.make_env(map="classroom", seed=2)
    obs, _ = env.reset()
    env.step({})
    names = env.observation_names
    check(len(names) == len(set(names)) and len(names) > 100,
          "feature names are unique", len(names))
    for s in ("CHN", "mountain_minerals"):
        o = env.observe(s)
        v = list(env.observation_vector(s))
        check(len(v) == len(names), "the vector has a value per name")
        at = dict(zip(names, v))
        check(at["cash"] == o["you"]["cash"], "cash is the observation's",
              at["cash"], o["you"]["cash"])
        check(at["turn"] == 1 and at["turns_left"] == 15, "turn and turns "
              "left", at["turn"], at["turns_left"])
        # the map's products only (design J1: classroom has the basket)
        prods = o["public"]["rules"]["products"]
        check("inventory.dytb_oxide" in at and
              "inventory.dy_oxide" not in at, "the map's products", prods)
        for p, t in o["you"]["inventory"].items():
            if p not in prods:
                check(t == 0, "a product the map lacks is never held", p)
                continue
            check(abs(at["inventory." + p] - t) < 1e-9,
                  "inventory is the observation's", p)
        fac = o["you"].get("facilities", [])
        check(at["facility0.present"] == (1 if fac else 0),
              "facility slots say what is there", s)
        if fac:
            check(at["facility0.capacity"] == fac[0]["capacity"],
                  "a slot holds its facility's figures")


def test_observation_forms(args):
    lazy = le.make_env(map="classroom", seed=8)
    plain = le.make_env(map="classroom", seed=8, observations="dict")
    flat = le.make_env(map="classroom", seed=8, observations="vector")
    a, b, c = lazy.reset()[0], plain.reset()[0], flat.reset()[0]
    for _ in range(3):
        a, b, c = lazy.step({})[0], plain.step({})[0], flat.step({})[0]
    for s in SEATS:
        check(type(b[s]) is dict and b[s] == a[s].to_dict(),
              "observations='dict' gives plain dicts, the same maps", s)
        check(list(c[s]) == list(lazy.observation_vector(s)),
              "observations='vector' gives the flat view", s)
    expect_raises(le.LanthanideEnvError, le.make_env, map="classroom",
                  observations="json", contains="lazy")


def test_action_catalogue(args):
    env = le.make_env(map="classroom", seed=4)
    env.reset()
    names = env.action_names
    check(names[0] == "stand", "action 0 keeps the standing orders")
    n_taken = 0
    for turn in range(3):
        acts = {}
        for s in env.agents:
            mask = list(env.action_mask(s))
            check(len(mask) == len(names) and mask[0] == 1,
                  "a mask entry per action, standing always legal")
            legal = [i for i, m in enumerate(mask) if m]
            kinds = {names[i].split()[0] for i in legal[1:]}
            if env.observe(s)["kind"] == "nation":
                check("operate" not in kinds, "a nation may not operate a "
                      "plant", s, kinds)
                check("tariff" in kinds, "a nation may set a tariff", s)
            else:
                check("tariff" not in kinds and "export_ban" not in kinds,
                      "a firm sets no policy", s, kinds)
                check("operate" in kinds, "a firm may run its plant", s)
            # One legal action of each kind, in catalogue order.
            pick, seen = [], set()
            for i in legal[1:]:
                k = names[i].split()[0]
                if k not in seen:
                    seen.add(k)
                    pick.append(i)
            acts[s] = pick
            n_taken += len(pick)
        _, _, _, _, info = env.step(acts)
        for s in acts:
            check(not info[s].get("rejected"),
                  "legal catalogue actions are all accepted", s,
                  info[s].get("rejected"))
    check(n_taken > 20, "the catalogue offered actions", n_taken)
    orders = env.action_orders("CHN", [0, len(names) - 1])
    check(len(orders) == 1 and orders[0]["op"] == "policy",
          "action_orders gives the order maps (0 adds none)", orders)


def test_describe(args):
    env = le.make_env(map="classroom", seed=6)
    env.reset()
    first = env.describe("mountain_minerals")
    check(first.startswith("You play mountain_minerals, a firm") and
          "first turn" in first, "the briefing opens with who and when",
          first[:200])
    for _ in range(2):
        env.step({})
    text = env.describe("mountain_minerals")
    for part in ("WHAT CHANGED IN TURN 1", "YOUR POSITION",
                 "WHAT YOU CAN DO THIS TURN (turn 2)", "build separation",
                 "hire magnet staff", "WHAT YOUR SCORE REWARDS",
                 "mountain_mine"):
        check(part in text, "the briefing says %r" % part, text)
    nation = env.describe("USA")
    check("policy orders" in nation and "build mining" not in nation,
          "a nation is offered policies, not plants", nation)
    cash = env.observe("mountain_minerals")["you"]["cash"]
    check("$%.1fM" % (cash / 1e6) in text, "the figures are the seat's "
          "own (cash)", cash)


def test_errors(args):
    expect_raises(le.LanthanideEnvError, le.make_env, map="atlantis",
                  contains="atlantis")
    env = le.make_env(map="classroom")
    expect_raises(le.LanthanideEnvError, env.step, {}, contains="reset()")
    env.reset()
    expect_raises(le.LanthanideEnvError, env.step, {"XYZ": []},
                  contains="CHN")


if __name__ == "__main__":
    run([test_parallel_api, test_rewards_sum_to_scores, test_seed_determinism,
         test_clone, test_orders_and_refusals, test_shorter_game,
         test_flat_view, test_observation_forms, test_action_catalogue,
         test_describe, test_errors])
