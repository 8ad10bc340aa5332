#!/usr/bin/python3
"""Benchmark of the in-process environment (clients/python/lanthanide_env.py).

Plays classroom from Python, one process on one core, with empty actions
(every seat plays its standing orders), for BENCH_SECONDS (default 3)
after a warm-up, and prints:

    BENCH env.steps_per_s <value> steps/s
    BENCH env.steps_per_s_wall <value> steps/s
    BENCH env.steps_per_s_read <value> steps/s

The first is steps per second of this process's CPU time (it runs on one
core, pinned, single-threaded): what one core delivers, which other jobs
on a shared machine barely move. The second divides the same steps by
wall-clock time (equal on an idle machine). Both are steps as a learning
loop that reads no observation sees them (observations are taken each
step, decoded only when read). The third reads every seat's observation
map each step (decoding them all), per CPU second. Resets are counted in
the time, not as steps. The target of issue 14 is 2,000 steps/s for the
first. A benchmark reports; it does not fail on its target.

    /usr/bin/python3 bench/env/bench_env.py [--lib build/lib/liblanthanide.so]
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

import lanthanide_env  # noqa: E402


def run(env, seconds, read):
    """(steps per CPU second, steps per wall-clock second)."""
    steps = 0
    start = time.perf_counter()
    cpu = time.process_time()
    end = start + seconds
    while time.perf_counter() < end:
        env.reset()
        while env.agents:
            obs = env.step({})[0]
            if read:
                for o in obs.values():
                    o["turn"]
            steps += 1
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - start
    return steps / cpu if cpu > 0 else 0.0, steps / wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=None)
    ap.add_argument("--map", default="classroom")
    args = ap.parse_args()
    seconds = float(os.environ.get("BENCH_SECONDS", "3"))
    warmup = float(os.environ.get("BENCH_WARMUP", "1"))
    if hasattr(os, "sched_setaffinity"):
        # One core, as the figure promises: the loop is single-threaded
        # anyway, and pinning keeps it from hopping between cores.
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    env = lanthanide_env.make_env(map=args.map, seed=1, library=args.lib)
    run(env, warmup, False)
    cpu, wall = run(env, seconds, False)
    print("BENCH env.steps_per_s %.0f steps/s" % cpu)
    print("BENCH env.steps_per_s_wall %.0f steps/s" % wall)
    print("BENCH env.steps_per_s_read %.0f steps/s" % run(env, seconds, True)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
