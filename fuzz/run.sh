#!/usr/bin/env bash
# Runs each libFuzzer target of fuzz/ for a bounded time.
#
#   fuzz/run.sh BUILD_DIR            (BUILD_DIR configured with -DLAN_FUZZ=ON)
#   FUZZ_SECONDS=600 fuzz/run.sh build-fuzz
#
# Each target runs for FUZZ_SECONDS (default 60) with a 2 GiB RSS cap, on a
# working corpus fuzz/corpus-<target>/ (not committed) that starts from the
# committed seeds in fuzz/seeds/<target>/ and keeps what the fuzzer found
# across runs. A crash leaves crash-*/leak-*/timeout-* at the top of the
# tree; once it is fixed, copy the input into fuzz/regressions/ so the
# `fuzz_regressions` unit test replays it in every build from then on.
# Exits non-zero if any target failed.
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$1
secs=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
failed=()

for name in fuzz_scan fuzz_request; do
  bin=$build/bin/$name
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin not found; configure with CC=clang -DLAN_FUZZ=ON" >&2
    failed+=("$name")
    continue
  fi
  corpus=$here/corpus-$name
  mkdir -p "$corpus"
  # Add the seeds without overwriting what earlier runs found.
  cp -n "$here/seeds/$name/"* "$corpus/" 2>/dev/null || true
  echo "fuzz: $name for ${secs}s (corpus $corpus)"
  if ! "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
      -max_len=16384 -print_final_stats=1 -artifact_prefix="$root/" \
      "$corpus"; then
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets ran ${secs}s without a failure"
