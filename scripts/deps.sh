#!/usr/bin/env bash
# Installs the Debian packages Lanthanide needs, if any are missing.
# Idempotent and non-interactive: checks with dpkg first, runs `apt-get
# update` at most once, uses sudo when not root, and when it cannot install
# it names the packages to install by hand and exits non-zero.
#
#   scripts/deps.sh          build, run and test dependencies
#   scripts/deps.sh fuzz     also clang and libFuzzer (make fuzz)
#   scripts/deps.sh cluster  also Slurm and munge (the `cluster` test)
#   scripts/deps.sh metrics  also promtool (the metrics test)
set -euo pipefail

pkgs=(
  cmake make gcc pkg-config         # the build
  libuv1-dev                        # event loop
  libmsgpack-dev                    # MessagePack (msgpack-c 4.0)
  libsqlite3-dev                    # storage
  libjansson-dev                    # map files (JSON)
  libsodium-dev                     # hashes, constant-time compare
  libedit-dev                       # line editor of lanthanide play (BSD)
  libcmocka-dev                     # unit tests
  python3 python3-msgpack           # the off-the-shelf client test
  python3-jsonschema                # orders.schema's test validates orders
  tmux                              # terminal-client tests
  help2man                          # man pages from --help (make install)
  systemd                           # systemd-analyze verify (the unit's test)
)
case "${1:-}" in
  "") ;;
  fuzz) pkgs+=(clang libclang-rt-14-dev) ;;
  cluster) pkgs+=(slurm-wlm munge) ;;  # slurmctld, slurmd, sbatch; munged
  metrics) pkgs+=(prometheus) ;;       # promtool check metrics
  *)
    echo "deps: unknown group '$1' (expected fuzz, cluster or metrics)" >&2
    exit 2
    ;;
esac

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
