#!/usr/bin/env bash
# Builds the web client (clients/web -> clients/web/dist) for the server to
# embed, when npm is there and something changed since the last build.
#
#   scripts/build_web.sh WEB_DIR STAMP
#
# `npm ci` runs when node_modules is missing or older than package-lock.json;
# `npm run build` when any source is newer than STAMP. Quiet unless it fails.
# Without npm it says so once and exits 0: the server then builds without
# the client and answers / with how to build it.
set -euo pipefail
web=$1
stamp=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")

if ! command -v npm >/dev/null 2>&1; then
  if [ ! -e "$stamp.nonpm" ]; then
    echo "web: npm not found; the server is built without the browser client" \
         "(install Node.js 20 and npm, then run make again)" >&2
    touch "$stamp.nonpm"
  fi
  exit 0
fi
rm -f "$stamp.nonpm"
cd "$web"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "web: npm ci (clients/web)"
  if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    cat "$log" >&2
    echo "web: npm ci failed in $web" >&2
    exit 1
  fi
  touch node_modules
fi
if [ -f "$stamp" ] && [ -d dist ] &&
   [ -z "$(find index.html vite.config.js package.json package-lock.json src public \
              -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  exit 0
fi
echo "web: npm run build (clients/web)"
if ! npm run build --silent >"$log" 2>&1; then
  cat "$log" >&2
  echo "web: npm run build failed in $web" >&2
  exit 1
fi
touch "$stamp"
