#!/usr/bin/python3
"""The LLM bot (clients/python/examples/llm_bot.py) against a fake
OpenAI-compatible endpoint made here, on a real server.

A classroom session of 5 turns: the bot plays mountain_minerals, built-in
`standing` agents the other seats. The fake endpoint answers, turn by turn:
valid orders in a ```json block; prose with no orders; nothing in time
(it sleeps past the bot's --timeout); one invalid order (utilisation 7)
and one valid; an empty array. The test checks that every request was a
chat completion carrying the schema and the briefing (state.describe), that
the valid orders reached the game (the mine's utilisation), that the bot
fell back to standing orders on prose, on the timeout and on the invalid
order (keeping the valid one), and that the log holds one line per turn
with the prompt, the answer and what was done.

    /usr/bin/python3 tests/clients/test_llm_bot.py \\
        --server-bin build/bin/lanthanide-server --maps maps
"""
import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "pylib"))
import lanserver  # noqa: E402  (exits 77 without python3-msgpack)

BOT = os.path.join(ROOT, "clients", "python", "examples", "llm_bot.py")
SEAT = "mountain_minerals"

ANSWERS = [
    'Here are my orders:\n```json\n[{"op": "operate", "facility": '
    '"mountain_mine", "utilisation": 0.5}]\n```',
    "I would rather think about it for another quarter.",
    None,  # too slow
    '[{"op": "operate", "facility": "mountain_mine", "utilisation": 7}, '
    '{"op": "operate", "facility": "mountain_sep", "utilisation": 0.25}]',
    "[]",
]


class Failure(AssertionError):
    pass


def check(cond, what, *details):
    if not cond:
        raise Failure(what + (": " + " ".join(repr(d) for d in details)
                              if details else ""))


class Fake(http.server.BaseHTTPRequestHandler):
    requests = []

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Fake.requests.append((self.path, body))
        answer = ANSWERS[min(len(Fake.requests), len(ANSWERS)) - 1]
        if answer is None:
            time.sleep(6)
            answer = "[]"
        data = json.dumps({"choices": [{"message": {
            "role": "assistant", "content": answer}}]}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the bot gave up waiting


def test_llm_bot(args, tmp):
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    srv = lanserver.Server(args.server_bin, args.maps,
                           os.path.join(tmp, "lanthanide.db"),
                           err_path=os.path.join(tmp, "stderr.log"))
    log = os.path.join(tmp, "llm.jsonl")
    bot = None
    try:
        admin = srv.client()
        g = admin.create_session("classroom", seed=3, turns=5)
        sid, atok = g["session"], g["admin_token"]
        code = [s["join_code"] for s in g["seats"] if s["seat"] == SEAT][0]
        for s in g["seats"]:
            if s["seat"] != SEAT:
                admin.bot(sid, atok, s["seat"], "standing")
        me = srv.client()
        token = me.join(sid, join_code=code)["token"]
        env = dict(os.environ, LANTHANIDE_SERVER="127.0.0.1:%d" % srv.port,
                   LANTHANIDE_SESSION=sid, LANTHANIDE_TOKEN=token)
        bot = subprocess.Popen(
            ["/usr/bin/python3", BOT, "--endpoint",
             "http://127.0.0.1:%d/v1" % fake.server_address[1], "--model",
             "fake-model", "--timeout", "3", "--log", log],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        admin.start(sid, atok)
        before = {f["id"]: f["utilisation"] for f in
                  me.state(session=sid, token=token)["you"]["facilities"]}
        check(before["mountain_mine"] == 1.0, "the mine starts at full "
              "utilisation", before)
        out = bot.communicate(timeout=60)[0].decode()
        check(bot.returncode == 0, "the bot ends with the game", out)
        obs = me.state(session=sid, token=token)
        check(obs["status"] == "finished", "the game finished")
        after = {f["id"]: f["utilisation"] for f in obs["you"]["facilities"]}
        check(len(Fake.requests) == 5, "one chat request per turn",
              len(Fake.requests))
        for path, body in Fake.requests:
            check(path == "/v1/chat/completions", "an OpenAI-style path",
                  path)
            check(body["model"] == "fake-model", "the model named")
            msgs = body["messages"]
            check(msgs[0]["role"] == "system" and '"op"' in
                  msgs[0]["content"] and "JSON Schema" in msgs[0]["content"],
                  "the system prompt carries the order schema")
            check("WHAT YOU CAN DO THIS TURN" in msgs[1]["content"] and
                  SEAT in msgs[1]["content"],
                  "the user prompt is the seat's briefing")
        # Turn 0's order stands to the end; turn 3's invalid order was
        # dropped by the bot (the server saw only the valid one).
        check(after["mountain_mine"] == 0.5 and after["mountain_sep"] == 0.25,
              "the model's valid orders reached the game", after)
        with open(log) as f:
            lines = [json.loads(x) for x in f]
        check([x["turn"] for x in lines] == [0, 1, 2, 3, 4],
              "the log has a line per turn", [x["turn"] for x in lines])
        o = [x["outcome"] for x in lines]
        check(o[0] == "submitted 1", "turn 0 submitted", o)
        check(o[1].startswith("standing orders: the answer holds no JSON"),
              "prose falls back to standing orders", o[1])
        check(o[2].startswith("standing orders: the model did not answer"),
              "a slow model falls back to standing orders", o[2])
        check(o[3].startswith("dropped 1 invalid") and
              "utilisation" in o[3], "an invalid order is named", o[3])
        check(lines[3]["orders"] == [{"op": "operate",
                                      "facility": "mountain_sep",
                                      "utilisation": 0.25}] and
              lines[3]["rejected"] == [],
              "only the valid order was sent, and taken", lines[3])
        check(o[4] == "submitted 0", "an empty array is a valid answer",
              o[4])
        check(lines[0]["prompt"][1]["content"].startswith("You play " + SEAT),
              "the log keeps the prompt")
        check("```json" in lines[0]["answer"], "and the answer")
        check(srv.stop() == 0, "the server stops cleanly")
    finally:
        if bot and bot.poll() is None:
            bot.kill()
        if srv.proc.poll() is None:
            srv.kill9()
        fake.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-bin", required=True)
    ap.add_argument("--maps", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lan-llm-")
    try:
        test_llm_bot(args, tmp)
        print("ok   test_llm_bot")
        ok = True
    except Exception:
        print("FAIL test_llm_bot")
        traceback.print_exc()
        ok = False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
