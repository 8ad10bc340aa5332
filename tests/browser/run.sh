#!/usr/bin/env bash
# The web client's browser tests against the real server (no bridge):
#
#   tests/browser/run.sh classroom|control|playtalk|story|reconnect SERVER_BINARY MAPS_DIR SHOTS_DIR [ARGS...]
#
# classroom: starts lanthanide-server with --http 127.0.0.1:0 (and TCP on
# port 0) on a fresh database, and plays clients/web/tests/classroom.mjs
# against its HTTP port with Chromium (playwright-core, /usr/bin/chromium),
# saving screenshots to SHOTS_DIR. control: the same with
# clients/web/tests/control.mjs (the control view of issue 13), playtalk
# with clients/web/tests/playtalk.mjs (the player's channels and deals);
# ARGS go to
# the script (control: --parts, the parts of the control cell to drive). reconnect: clients/web/tests/reconnect.mjs
# starts, kills and restarts the server itself.
#
# Exit 77 (ctest: skipped) when what a browser test needs is missing: node,
# /usr/bin/chromium, clients/web/node_modules (npm ci), or a server built
# without the web client.
set -uo pipefail
which=$1 server=$2 maps=$3 shots=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
web="$here/../../clients/web"
chromium=${CHROMIUM:-/usr/bin/chromium}

skip() { echo "skipped: $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed"
[ -x "$chromium" ] || skip "$chromium is missing (scripts/deps.sh installs Debian's chromium)"
[ -d "$web/node_modules/playwright-core" ] || skip "clients/web/node_modules is missing (npm ci in clients/web; make does it)"

tmp=$(mktemp -d /tmp/lan-browser-XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid"
    status=$?
    [ "$status" -eq 0 ] || { echo "lanthanide-server exited $status"; tail -20 "$tmp/server.err"; rc=1; }
  fi
  rm -rf "$tmp"
}
rc=0
trap cleanup EXIT
mkdir -p "$shots"

if [ "$which" = reconnect ]; then
  node "$web/tests/reconnect.mjs" --lanthanide-server "$server" --maps "$maps" \
    --screenshots "$shots" --chromium "$chromium" || rc=1
  exit $rc
fi

# control: the maps, and the test map with closed information
# (tests/control/closed-info.json), for its part `closed`.
if [ "$which" = control ] && [ -f "$here/../control/closed-info.json" ]; then
  mkdir -p "$tmp/maps"
  cp "$maps"/*.json "$here/../control/closed-info.json" "$tmp/maps/"
  maps="$tmp/maps"
fi
: >"$tmp/server.out"
"$server" --listen 127.0.0.1:0 --http 127.0.0.1:0 --db "$tmp/web.db" \
  --maps "$maps" >"$tmp/server.out" 2>"$tmp/server.err" &
pid=$!
for _ in $(seq 100); do
  port=$(sed -n 's/^lanthanide-server .* http on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/server.out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.err"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "no http banner"; cat "$tmp/server.err"; exit 1; }
base="http://127.0.0.1:$port/"
if ! curl -sf -o /dev/null "$base" 2>/dev/null &&
   ! python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "$base" 2>/dev/null; then
  skip "the server was built without the web client (npm missing)"
fi
node "$web/tests/$which.mjs" --base "$base" --screenshots "$shots" \
  --chromium "$chromium" "$@" || rc=1
exit $rc
