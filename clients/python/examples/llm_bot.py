#!/usr/bin/python3
"""A Lanthanide bot played by a language model.

Every turn it asks the server for the seat's briefing (state.describe: what
changed, what the seat can order and what each order costs, what its score
rewards), sends it with the order schema (orders.schema) to any
OpenAI-compatible chat endpoint you name (a llama.cpp server, vLLM, Ollama,
or a hosted service), reads a JSON array of orders from the answer, checks
each order against the schema, and submits the valid ones. When the model
is too slow, or its answer holds no usable orders, the seat keeps its
standing orders for the turn. Every prompt and answer is logged (JSON
lines), with what was done with it.

    /usr/bin/python3 clients/python/examples/llm_bot.py \\
        --endpoint http://127.0.0.1:8080/v1 --model qwen2.5-7b-instruct \\
        --server 127.0.0.1:7447 --session s1abc234 --code K3J9Q2W7XP \\
        --log llm_bot.jsonl

Without --server/--session/--code it reads LANTHANIDE_SERVER,
LANTHANIDE_SESSION and LANTHANIDE_TOKEN, so it enters a tournament as a
command (docs/bots.md):

    lanthanide tournament --map classroom --out r.db --agent-turn-ms 60000 \\
        --agent llm='/usr/bin/python3 clients/python/examples/llm_bot.py \\
                     --endpoint http://127.0.0.1:8080/v1 --model m' \\
        --strategies llm,cournot,cautious,builder

Needs python3-msgpack; uses python3-jsonschema when present to check
orders (else a shape check), and only the standard library to talk HTTP.
An API key, if the endpoint wants one, comes from --api-key or
$OPENAI_API_KEY.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import lanthanide  # noqa: E402

try:
    import jsonschema
except ImportError:  # the shape check below stands in
    jsonschema = None

SYSTEM = (
    "You play one seat of Lanthanide, a turn-based game about the "
    "rare-earth supply chain. Each turn you get a briefing and answer with "
    "this turn's orders: a JSON array of order objects and nothing else "
    "(an empty array [] keeps your standing orders). Every order must "
    "follow this JSON Schema:\n%s")


class Fallback(Exception):
    """Why this turn plays the standing orders."""


def ask(endpoint, model, api_key, messages, timeout):
    """One chat completion; returns the answer's text."""
    body = json.dumps({"model": model, "messages": messages,
                       "temperature": 0.2}).encode()
    req = urllib.request.Request(
        endpoint.rstrip("/") + "/chat/completions", data=body,
        headers={"Content-Type": "application/json"})
    if api_key:
        req.add_header("Authorization", "Bearer " + api_key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            reply = json.loads(r.read().decode("utf-8"))
    except (TimeoutError, OSError) as e:
        # urllib wraps a read timeout in URLError or raises it bare.
        reason = getattr(e, "reason", e)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise Fallback("the model did not answer within %.1f s"
                           % timeout)
        raise Fallback("the endpoint failed: %s" % reason)
    except ValueError as e:
        raise Fallback("the endpoint's reply is not JSON: %s" % e)
    try:
        return reply["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        raise Fallback("the endpoint's reply has no choices[0].message."
                       "content")


def parse_orders(text):
    """The JSON array of orders in a model's answer: a ```json block, or
    the first balanced [...] in the text that parses as a JSON array."""
    m = re.search(r"```(?:json)?\s*(\[.*?\])\s*```", text, re.S)
    candidates = [m.group(1)] if m else []
    for start in (i for i, ch in enumerate(text) if ch == "["):
        depth = 0
        for i in range(start, len(text)):
            depth += {"[": 1, "]": -1}.get(text[i], 0)
            if depth == 0:
                candidates.append(text[start:i + 1])
                break
    for c in candidates:
        try:
            v = json.loads(c)
        except ValueError:
            continue
        if isinstance(v, list):
            return v
    raise Fallback("the answer holds no JSON array of orders")


def valid_orders(orders, schema):
    """The orders that follow the schema, and why the others do not."""
    good, bad = [], []
    check = (jsonschema.Draft202012Validator(schema).iter_errors
             if jsonschema else None)
    for o in orders:
        if not isinstance(o, dict) or not isinstance(o.get("op"), str):
            bad.append("not an order object: %r" % (o,))
            continue
        errs = list(check(o)) if check else []
        if errs:
            bad.append("%s: %s" % (json.dumps(o), errs[0].message))
        else:
            good.append(o)
    return good, bad


class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8") if path else None

    def write(self, **entry):
        if self.f:
            entry["time"] = round(time.time(), 3)
            self.f.write(json.dumps(entry) + "\n")
            self.f.flush()


def play(args):
    host, _, port = args.server.rpartition(":")
    log = Log(args.log)
    with lanthanide.Client(host.strip("[]"), int(port), timeout=30) as c:
        c.hello(client="llm_bot.py")
        me = c.join(args.session, join_code=args.code,
                    token=None if args.code else args.token,
                    name="llm_bot")
        schema = c.orders_schema()
        system = SYSTEM % json.dumps(schema, separators=(",", ":"))
        while True:
            obs = c.state()
            if obs["status"] == "finished":
                break
            if obs["status"] != "running":
                c.wait_for(("session.started", "session.resumed",
                            "session.finished"), timeout=3600)
                continue
            turn = obs["turn"]
            brief = c.describe()
            timeout = args.timeout
            if obs.get("remaining_ms") is not None:
                # Leave time to submit before the turn closes.
                timeout = max(0.1, min(timeout,
                                       obs["remaining_ms"] / 1000.0 - 0.3))
            messages = [{"role": "system", "content": system},
                        {"role": "user", "content": brief}]
            answer, outcome, orders = None, None, []
            try:
                answer = ask(args.endpoint, args.model, args.api_key,
                             messages, timeout)
                orders, bad = valid_orders(parse_orders(answer), schema)
                if bad:
                    outcome = "dropped %d invalid: %s" % (len(bad),
                                                          "; ".join(bad))
                if not orders and bad:
                    raise Fallback("no valid order in the answer (%s)"
                                   % "; ".join(bad))
                outcome = outcome or "submitted %d" % len(orders)
            except Fallback as e:
                orders, outcome = [], "standing orders: %s" % e
            res = c.submit(orders, ready=True)
            log.write(seat=me["seat"], turn=turn, prompt=messages,
                      answer=answer, outcome=outcome, orders=orders,
                      rejected=res["rejected"])
            n = c.wait_for(("turn.resolved", "session.finished"),
                           timeout=3600,
                           predicate=lambda n: n.method == "session.finished"
                           or n["turn"] >= turn)
            if n.method == "session.finished":
                break
            c.clear_notifications()
    return 0


def main(argv=None):
    env = os.environ
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", required=True,
                    help="base URL of an OpenAI-compatible API, such as "
                    "http://127.0.0.1:8080/v1")
    ap.add_argument("--model", required=True, help="the model's name")
    ap.add_argument("--api-key", default=env.get("OPENAI_API_KEY"))
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds to wait for the model (default 60; never "
                    "past the turn's deadline)")
    ap.add_argument("--log", help="append each prompt and answer to this "
                    "file (JSON lines)")
    ap.add_argument("--server",
                    default=env.get("LANTHANIDE_SERVER", "127.0.0.1:7447"))
    ap.add_argument("--session", default=env.get("LANTHANIDE_SESSION"),
                    required="LANTHANIDE_SESSION" not in env)
    who = ap.add_mutually_exclusive_group(
        required="LANTHANIDE_TOKEN" not in env)
    who.add_argument("--code", help="the seat's join code")
    who.add_argument("--token", default=env.get("LANTHANIDE_TOKEN"))
    args = ap.parse_args(argv)
    try:
        return play(args)
    except lanthanide.LanthanideError as e:
        print("the server refused: %s" % e, file=sys.stderr)
        return 1
    except (OSError, TimeoutError) as e:
        print("connection problem: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
