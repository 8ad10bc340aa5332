#!/usr/bin/env bash
# Runs each libFuzzer target of fuzz/ for a bounded time.
#
#   fuzz/run.sh BUILD_DIR            (BUILD_DIR configured with -DLAN_FUZZ=ON)
#   FUZZ_SECONDS=600 fuzz/run.sh build-fuzz
#   FUZZ_TARGETS="fuzz_conn" FUZZ_RUNS=10000000 FUZZ_SECONDS=86400 \
#     fuzz/run.sh build-fuzz
#
# The targets: fuzz_scan (the MessagePack scanner), fuzz_request (a
# connection's read path without the server), fuzz_order (orders through
# proto_order_parse and model_validate), fuzz_map (the map loader, and a
# turn on what it loads), fuzz_state (state blobs of the database through
# model_state_deserialise) and fuzz_conn (a whole connection through the
# connection core, the dispatcher, every method, the sessions and an
# in-memory store). docs/security.md has their figures.
#
# Each target runs for FUZZ_SECONDS (default 60), or FUZZ_RUNS executions
# if that comes first (default: no bound), one at a time (-jobs=1 would
# only add a process), niced, with a 2 GiB RSS cap, on a
# working corpus fuzz/corpus-<target>/ (not committed) that starts from the
# committed seeds in fuzz/seeds/<target>/ and keeps what the fuzzer found
# across runs. A crash leaves crash-*/leak-*/timeout-*/oom-* at the top of
# the tree; once it is fixed, copy the input into
# fuzz/regressions/<target>/ so the
# `fuzz_regressions` unit test replays it in every build from then on.
# Exits non-zero if any target failed.
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$1
secs=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:--1}
targets=${FUZZ_TARGETS:-fuzz_scan fuzz_request fuzz_order fuzz_map fuzz_state fuzz_conn}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
failed=()

for name in $targets; do
  bin=$build/bin/$name
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin not found; configure with CC=clang -DLAN_FUZZ=ON" >&2
    failed+=("$name")
    continue
  fi
  corpus=$here/corpus-$name
  mkdir -p "$corpus"
  # Add the seeds and regressions without overwriting what earlier runs
  # found.
  cp -n "$here/seeds/$name/"* "$corpus/" 2>/dev/null || true
  cp -n "$here/regressions/$name/"* "$corpus/" 2>/dev/null || true
  # The states of world-2024 and race-2028 are over 16 KB (race-2028's up
  # to 33 KB); fuzz_map takes maps up to
  # 32 KB (its compact seeds of the large maps are near that).
  maxlen=16384
  [ "$name" = fuzz_state ] && maxlen=40000
  [ "$name" = fuzz_map ] && maxlen=32768
  echo "fuzz: $name for ${secs}s (corpus $corpus)"
  if ! nice "$bin" -max_total_time="$secs" -runs="$runs" -rss_limit_mb=2048 \
      -timeout=10 -max_len="$maxlen" -print_final_stats=1 \
      -artifact_prefix="$root/" "$corpus"; then
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets ran ${secs}s without a failure"
