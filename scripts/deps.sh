#!/usr/bin/env bash
# Installs the Debian packages Lanthanide needs, if any are missing.
# Idempotent and non-interactive: checks with dpkg first, runs `apt-get
# update` at most once, uses sudo when not root, and when it cannot install
# it names the packages to install by hand and exits non-zero.
#
#   scripts/deps.sh          build, run and test dependencies
#   scripts/deps.sh fuzz     also clang and libFuzzer (make fuzz)
set -euo pipefail

pkgs=(
  cmake make gcc pkg-config         # the build
  libuv1-dev                        # event loop
  libmsgpack-dev                    # MessagePack (msgpack-c 4.0)
  libsqlite3-dev                    # storage
  libjansson-dev                    # map files (JSON)
  libsodium-dev                     # hashes, constant-time compare
  libedit-dev                       # line editor of lanthanide play (BSD)
  libhttp-parser-dev                # HTTP requests of --http
  libwslay-dev                      # WebSocket framing of --http (/ws)
  nettle-dev                        # SHA-1 of the WebSocket handshake
  libcmocka-dev                     # unit tests
  python3 python3-msgpack           # the off-the-shelf client test
  python3-jsonschema                # orders.schema's test validates orders
  tmux                              # terminal-client tests
  curl                              # browser tests: is the client served
  chromium                          # browser tests (playwright-core drives it)
)
# The web client is built with Node.js 20 and npm, which CI and most
# machines have from NodeSource or nvm; Debian's npm package conflicts
# with those, so it is installed only when there is no npm at all (and
# then Debian's nodejs with it). Without npm the server still builds,
# without the browser client.
if ! command -v npm >/dev/null 2>&1; then
  pkgs+=(nodejs npm)
fi
if [ "${1:-}" = fuzz ]; then
  pkgs+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "deps: cannot install packages (not root, and no password-less sudo)." >&2
  echo "deps: please run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq; then
  echo "deps: apt-get update failed; install by hand: ${missing[*]}" >&2
  exit 1
fi
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "deps: apt-get install failed; install by hand: ${missing[*]}" >&2
  exit 1
fi
