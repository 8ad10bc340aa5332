#!/bin/sh
# The layout rule "clients/ includes no server/ header" (docs/storage.md,
# DESIGN.md "Dependencies point one way"): the CLI reads databases through
# the store library (store/store.h) and talks to servers over the wire, so
# nothing under clients/ may include a header of server/.
#
#   tests/layout/check_clients_includes.sh ROOT      check the tree at ROOT
#   tests/layout/check_clients_includes.sh --self-test
#
# An #include "x.h" or <x.h> resolves to server/ when x.h is not beside the
# including file, nor in a module clients may use (model, protocol, store,
# agents, tournament), but is in server/; a path naming server/ outright
# ("../server/x.h", "server/x.h") counts too. Exit status 0: none; 1: each
# offending include is listed as FILE:LINE: #include ... -> server/x.h.
set -u

check() {
  root=$1
  bad=0
  allowed="model protocol store agents tournament"
  # Every C source and header under clients/, at any depth.
  files=$(cd "$root" && find clients -type f \( -name '*.c' -o -name '*.h' \) | sort)
  for f in $files; do
    here=$(dirname "$f")
    # FILE:LINE:TEXT of every #include line (spaces after # allowed).
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$root/$f" |
      while IFS= read -r line; do
        n=${line%%:*}
        text=${line#*:}
        name=$(printf '%s\n' "$text" | sed 's/^[^<"]*[<"]\([^>"]*\)[>"].*/\1/')
        case "$name" in
        server/* | */server/*)
          echo "$f:$n: $text -> names server/ outright"
          echo x >>"$tmp_bad"
          continue
          ;;
        esac
        [ -f "$root/$here/$name" ] && continue
        found=
        for m in $allowed; do
          if [ -f "$root/$m/$name" ]; then
            found=1
            break
          fi
        done
        [ -n "$found" ] && continue
        if [ -f "$root/server/$name" ]; then
          echo "$f:$n: $text -> server/$name"
          echo x >>"$tmp_bad"
        fi
      done
  done
  [ -s "$tmp_bad" ] && bad=1
  : >"$tmp_bad"
  return $bad
}

tmp_bad=$(mktemp)
trap 'rm -f "$tmp_bad"; [ -n "${tree:-}" ] && rm -rf "$tree"' EXIT

if [ "${1:-}" = "--self-test" ]; then
  # The checker must catch what it is for: a tree with one offending
  # include fails, the same tree without it passes.
  tree=$(mktemp -d)
  mkdir -p "$tree/clients" "$tree/server" "$tree/store"
  echo '/* x */' >"$tree/server/rpc.h"
  echo '/* x */' >"$tree/store/store.h"
  printf '#include <stdio.h>\n#include "store.h"\n' >"$tree/clients/good.c"
  if ! check "$tree" >/dev/null; then
    echo "self-test: a clean tree was refused" >&2
    exit 1
  fi
  printf '#include "store.h"\n#  include "rpc.h"\n' >"$tree/clients/bad.c"
  if check "$tree" >/dev/null; then
    echo "self-test: an include of server/rpc.h was not caught" >&2
    exit 1
  fi
  rm "$tree/clients/bad.c"
  printf '#include "../server/rpc.h"\n' >"$tree/clients/bad.h"
  if check "$tree" >/dev/null; then
    echo "self-test: an include naming ../server/ was not caught" >&2
    exit 1
  fi
  echo "self-test: ok"
  exit 0
fi

root=${1:?usage: check_clients_includes.sh ROOT | --self-test}
if check "$root"; then
  echo "clients/ includes no server/ header"
  exit 0
fi
echo "clients/ must not include server/ headers: read databases through" \
  "store/store.h and talk to a server over the wire (DESIGN.md)" >&2
exit 1
