#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/seeds/<target>/.

The seeds are committed; this script documents what each one is and
regenerates them (python3-msgpack). fuzz_request takes a raw byte stream;
fuzz_scan takes four configuration bytes first (max_depth, a max_message
choice, a chunking mode and a chunking seed; see fuzz/fuzz_scan.c), so each
stream is written there under a few configurations. fuzz_conn takes two
chunking bytes first, then a conversation with the server; fuzz_map the
small shipped maps as they are, and compact copies of the large ones
(compact_map: figures as bare numbers, no sources, notes or event texts,
under the target's 32 KB) so that the fuzzer starts from every map key
they use (Dy and Tb apart, demand by sector, branches, owners, seatless
firms, story choices, recycling, closed information, injects). The seeds of fuzz_state and fuzz_order are
real states and orders, written by fuzz/make_model_seeds.c.
"""
import json
import os

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))


def req(msgid, method, params=None):
    return msgpack.packb([0, msgid, method, [params] if params is not None else []])


STREAMS = {
    "ping": req(1, "ping"),
    "ping_empty_map": req(2, "ping", {}),
    "hello": req(3, "hello", {"client": "seed", "protocol": 1}),
    "session_create": req(4, "session.create",
                          {"map": "classroom", "seed": 2**64 - 1, "turns": 12,
                           "spectators": True, "name": "caf\u00e9"}),
    "orders_submit": req(5, "orders.submit",
                         {"session": "s1", "token": "t" * 32, "ready": True,
                          "orders": [
                              {"op": "build", "stage": "mining",
                               "capacity": 1500, "site": "mountain_pass"},
                              {"op": "operate", "facility": "f1",
                               "utilisation": 0.75},
                              {"op": "hire", "skill": "separation",
                               "count": -3},
                              {"op": "offer", "product": "ndpr_oxide",
                               "quantity": 10, "min_price": 62.5},
                          ]}),
    "pipelined": req(6, "ping") + req(7, "maps.list") + req(8, "ping", {}),
    "no_params": msgpack.packb([0, 9, "ping"]),
    "response": msgpack.packb([1, 10, None, {}]),
    "notification": msgpack.packb([2, "ping", []]),
    "bad_msgid": msgpack.packb([0, 2**32, "ping", []]),
    # [0, 11, "chat.send", [{"text": <str of the invalid UTF-8 c3 28>,
    #                        "to": "all"}]], written out by hand because
    # msgpack-python will not pack invalid UTF-8 as a str.
    "bad_utf8": (b"\x94\x00\x0b\xa9chat.send\x91\x82\xa4text\xa2\xc3\x28"
                 b"\xa2to\xa3all"),
    "invalid_c1": bytes([0x92, 0x01, 0xc1]),
    "array32_max": bytes([0xdd, 0xff, 0xff, 0xff, 0xff]),
    "map32_2_28": bytes([0xdf, 0x10, 0x00, 0x00, 0x00]),
    "str32_huge": bytes([0xdb, 0xff, 0xff, 0xff, 0xff]),
    "nested32": bytes([0xdc, 0x00, 0x01] * 32) + b"\xc0",
    "nested16": bytes([0xdc, 0x00, 0x01] * 16) + b"\xc0",
    "every_format": msgpack.packb([
        None, True, False, 0, 127, -32, 255, 65535, 2**32 - 1, 2**64 - 1,
        -128, -32768, -2**31, -2**63, 1.5, b"bin", "str" * 20,
        msgpack.ExtType(1, b"x"), msgpack.ExtType(2, b"xyz"),
        msgpack.ExtType(3, b"y" * 16), [], {}, {"k": [1, {"a": None}]},
    ]) + bytes([0xca, 0x3f, 0x80, 0, 0]),
}

# Conversations of one connection with the whole server (fuzz_conn): the
# methods that need no token, and the session methods refused without one.
CONVERSATIONS = {
    "basics": req(1, "hello", {"client": "seed", "protocol": 1}) +
    req(2, "ping") + req(3, "maps.list") + req(4, "server.stats") +
    req(5, "strategies.list") + req(6, "session.list"),
    "create": req(1, "session.create",
                  {"map": "classroom", "seed": 5, "turns": 3,
                   "name": "seed"}) + req(2, "session.list"),
    "create_bad": req(1, "session.create", {"map": "../etc/passwd"}) +
    req(2, "session.create", {"map": "world-2024"}) +
    req(3, "session.create", {"map": "cournot", "turns": -1}),
    "unauthorized": req(1, "state.get", {"session": "s1", "token": "x" * 32}) +
    req(2, "orders.submit", {"session": "s1", "token": "t", "orders": []}) +
    req(3, "turn.ready", {"session": "s1", "token": "t"}) +
    req(4, "chat.send", {"session": "s1", "token": "t", "text": "hi",
                         "to": "all"}) +
    req(5, "history.get", {"session": "s1"}) +
    req(6, "session.watch", {"session": "s1"}),
    "join_wrong": b"".join(req(i, "session.join",
                               {"session": "s1", "join_code": "ABCDEFGH"})
                           for i in range(1, 14)),
    "admin_wrong": b"".join(
        req(i, m, {"session": "s1", "admin_token": "a" * 64})
        for i, m in enumerate(["session.start", "session.pause",
                               "session.resume", "session.advance",
                               "session.stop", "session.bot"], 1)),
    "pipelined_pings": b"".join(req(i, "ping") for i in range(100)),
    "garbage": STREAMS["invalid_c1"] + req(1, "ping"),
    "unknown": req(1, "no.such.method") + msgpack.packb([2, "ping", []]) +
    msgpack.packb([1, 1, None, None]),
}

# (max_depth byte, max_message choice, chunking mode, chunking seed)
SCAN_CONFIGS = [(16, 7, 0, 1), (16, 7, 1, 2), (3, 3, 2, 3), (32, 5, 3, 4)]


def write(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def compact_map(name, max_choices=None):
    """A shipped map under fuzz_map's 32 KB: each figure {value, source,
    ...} replaced by its value, without sources, notes, descriptions or
    event texts (and at most max_choices story choices)."""
    with open(os.path.join(HERE, "..", "maps", name + ".json")) as f:
        m = json.load(f)
    drop = {"notes", "sources", "note", "description", "text", "_", "_turns"}

    def strip(v):
        if isinstance(v, dict):
            if "value" in v and ("source" in v or "assumption" in v
                                 or "note" in v):
                return strip(v["value"])
            return {k: strip(x) for k, x in v.items() if k not in drop}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    m = strip(m)
    if max_choices is not None and "choices" in m:
        m["choices"] = m["choices"][:max_choices]
    data = json.dumps(m, separators=(",", ":")).encode()
    assert len(data) <= 32768, (name, len(data))
    return data


def main():
    for name, data in CONVERSATIONS.items():
        for mode in range(4):
            write("fuzz_conn", "%s_%d" % (name, mode), bytes([mode, 7]) + data)
    for name in ("classroom", "cournot", "learning", "trade"):
        with open(os.path.join(HERE, "..", "maps", name + ".json"), "rb") as f:
            write("fuzz_map", name, f.read())
    for name, cap in (("world-2024", None), ("licensing-2025", None),
                      ("race-2028", 10)):
        write("fuzz_map", name + "-compact", compact_map(name, cap))
    for name, data in STREAMS.items():
        write("fuzz_request", name, data)
    for name in ("ping", "orders_submit", "pipelined", "invalid_c1",
                 "array32_max", "map32_2_28", "str32_huge", "nested32",
                 "nested16", "every_format"):
        for i, cfg in enumerate(SCAN_CONFIGS):
            write("fuzz_scan", "%s_%d" % (name, i), bytes(cfg) + STREAMS[name])


if __name__ == "__main__":
    main()
