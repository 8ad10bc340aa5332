#!/bin/bash
# make install and what it installs (docs/operations.md): `cmake --install`
# into a temporary prefix puts the programs, the maps, the systemd unit,
# the man pages and the bash completion in place; the unit passes
# `systemd-analyze verify` (with the installed man pages found), has the
# sandboxing it promises, and its ExecStart flags start the installed
# server on the installed maps; SIGHUP makes the server read its maps
# again (ExecReload); the man pages document the options; bash completion
# completes commands and options.
#
#   tests/packaging/test_install.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
tmp=$(mktemp -d /tmp/lanthanide-install.XXXXXX)
pid=""
# shellcheck disable=SC2317 # (called from the EXIT trap)
cleanup() {
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "test_install: FAIL: $*" >&2
  exit 1
}

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  fail "cmake --install failed: $(cat "$tmp/install.log")"
unit=$prefix/lib/systemd/system/lanthanide.service
for f in bin/lanthanide-server bin/lanthanide \
  share/lanthanide/maps/classroom.json share/lanthanide/maps/world-2024.json \
  lib/systemd/system/lanthanide.service \
  share/man/man1/lanthanide-server.1 share/man/man1/lanthanide.1 \
  share/bash-completion/completions/lanthanide \
  share/bash-completion/completions/lanthanide-server; do
  [[ -e $prefix/$f ]] || fail "make install did not install $f"
done

# The unit: verified by systemd, sandboxed, pointing at this prefix.
if command -v systemd-analyze >/dev/null; then
  MANPATH=$prefix/share/man systemd-analyze verify "$unit" \
    >"$tmp/verify.log" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$tmp/verify.log")"
  [[ ! -s $tmp/verify.log ]] ||
    fail "systemd-analyze verify is not clean: $(cat "$tmp/verify.log")"
else
  fail "systemd-analyze is missing (scripts/deps.sh installs systemd)"
fi
# shellcheck disable=SC2016 # ($MAINPID is systemd's, not ours)
for d in DynamicUser=yes StateDirectory=lanthanide ProtectSystem=strict \
  NoNewPrivileges=yes Restart=on-failure 'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$d" "$unit" || fail "the unit lacks $d"
done
grep -qF "ExecStart=$prefix/bin/lanthanide-server" "$unit" ||
  fail "ExecStart does not name the installed server"

# ExecStart's flags start the installed server (the addresses and the
# database moved to this test's own: later flags win).
exec_start=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$unit" | tr -d '\\\n' |
  sed 's/^ExecStart=//')
read -r -a argv <<<"$exec_start"
[[ ${argv[0]} == "$prefix/bin/lanthanide-server" ]] || fail "ExecStart: $exec_start"
"${argv[@]}" --listen 127.0.0.1:0 --http 127.0.0.1:0 --db "$tmp/test.db" \
  >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
  grep -q ' listening on ' "$tmp/out" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
grep -q ' listening on ' "$tmp/out" ||
  fail "the server did not start with the unit's flags: $(cat "$tmp/err")"
grep -q '"message":"maps from '"$prefix"'/share/lanthanide/maps' "$tmp/err" ||
  fail "the server does not log JSON lines naming the installed maps: $(cat "$tmp/err")"
kill -HUP "$pid"
for _ in $(seq 100); do
  grep -q 'SIGHUP: maps reloaded' "$tmp/err" && break
  sleep 0.1
done
grep -q 'SIGHUP: maps reloaded from [^:]*: 7 maps (classroom, ' "$tmp/err" ||
  fail "SIGHUP did not reload the maps: $(cat "$tmp/err")"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
((status == 0)) || fail "the server exited $status on SIGTERM"

# The man pages hold the options of --help.
# (roff writes a minus as \-)
for opt in log-format max-connections sync; do
  grep -qF -- "\-\-${opt//-/\\-}" "$prefix/share/man/man1/lanthanide-server.1" ||
    fail "lanthanide-server.1 does not document --$opt"
done
grep -q tournament "$prefix/share/man/man1/lanthanide.1" ||
  fail "lanthanide.1 does not document tournament"

# bash completion, with the installed programs first on PATH.
complete_words() {
  PATH="$prefix/bin:$PATH" bash -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    if [[ $1 == lanthanide-server ]]; then _lanthanide_server; else _lanthanide; fi
    printf "%s\n" "${COMPREPLY[@]}"' _ \
    "$prefix/share/bash-completion/completions/lanthanide" "$@"
}
[[ $(complete_words lanthanide-server --log-f) == --log-format ]] ||
  fail "lanthanide-server --log-f does not complete to --log-format"
[[ $(complete_words lanthanide-server --log-format j) == json ]] ||
  fail "--log-format j does not complete to json"
[[ $(complete_words lanthanide tour) == tournament ]] ||
  fail "lanthanide tour does not complete to tournament"
complete_words lanthanide tournament --sh | grep -qx -- --shard ||
  fail "lanthanide tournament --sh does not offer --shard"
echo "test_install: ok"
