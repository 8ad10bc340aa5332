#!/usr/bin/env bash
# `make run`: the server on the default map folder and an embedded SQLite
# file, plus a demo: a world-2024 session played by built-in agents that
# advances a turn every few seconds. Prints how to watch it and how to take
# over a seat, in a browser (the server's --http port: the facilitator's
# dashboard and the players' join links) and in a terminal. Ctrl-C stops
# the server (the database keeps everything; the next `make run` resumes
# the demo where it stood).
#
#   scripts/run.sh BUILD_DIR LISTEN DB [HTTP]
set -euo pipefail
build=${1:-build}
listen=${2:-127.0.0.1:7447}
db=${3:-lanthanide.db}
http=${4:-127.0.0.1:8080}
turn_seconds=${DEMO_TURN_SECONDS:-4}
py=/usr/bin/python3
cli=("$build/bin/lanthanide" --server "$listen")
demo="$db.demo.json"

"$build/bin/lanthanide-server" --listen "$listen" --http "$http" --db "$db" \
  --maps maps &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; exit 0' INT TERM
for _ in $(seq 50); do
  if ! kill -0 $server 2>/dev/null; then
    echo "run: the server did not start (see above; is another server on" \
      "$listen or $http? make run LISTEN=127.0.0.1:7448 HTTP=127.0.0.1:8081" \
      "picks other ports)" >&2
    exit 1
  fi
  "${cli[@]}" ping >/dev/null 2>&1 && break
  sleep 0.1
done
# The answer must have come from our server, not from one already there.
sleep 0.2
if ! kill -0 $server 2>/dev/null; then
  echo "run: the server did not start (see above; is another server on" \
    "$listen? make run LISTEN=127.0.0.1:7448 picks another port)" >&2
  exit 1
fi

json() { $py -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Reuse the demo of an earlier run if the server resumed it.
session=""
if [ -f "$demo" ]; then
  session=$(json 'd["session"]' < "$demo")
  status=$("${cli[@]}" call session.list |
    json "next((s['status'] for s in d if s['session']=='$session'), '')")
  [ "$status" = running ] || session=""
fi

if [ -z "$session" ]; then
  map=world-2024
  if ! "${cli[@]}" call session.create \
      "{\"map\":\"$map\",\"name\":\"demo\",\"turn_seconds\":$turn_seconds,\"fixed\":true}" \
      > "$demo.tmp" 2>/dev/null; then
    map=classroom
    "${cli[@]}" call session.create \
      "{\"map\":\"$map\",\"name\":\"demo\",\"turn_seconds\":$turn_seconds,\"fixed\":true}" \
      > "$demo.tmp"
  fi
  mv "$demo.tmp" "$demo"
  session=$(json 'd["session"]' < "$demo")
  admin=$(json 'd["admin_token"]' < "$demo")
  # One built-in agent per seat: firms and nations each cycle through the
  # strategies written for them; standing where a strategy is missing.
  strategies=$("${cli[@]}" call strategies.list | json '" ".join(s["id"] for s in d)')
  firm=(expander integrator cournot cautious)
  nation=(hawk free_trader builder)
  i=0
  while IFS=' ' read -r seat kind; do
    if [ "$kind" = firm ]; then s=${firm[$((i % ${#firm[@]}))]}; else s=${nation[$((i % ${#nation[@]}))]}; fi
    case " $strategies " in *" $s "*) ;; *) s=standing ;; esac
    "${cli[@]}" call session.bot \
      "{\"session\":\"$session\",\"admin_token\":\"$admin\",\"seat\":\"$seat\",\"strategy\":\"$s\"}" >/dev/null
    i=$((i + 1))
  done < <(json '"\n".join(s["seat"]+" "+s["kind"] for s in d["seats"])' < "$demo")
  "${cli[@]}" call session.start \
    "{\"session\":\"$session\",\"admin_token\":\"$admin\"}" >/dev/null
fi

admin=$(json 'd["admin_token"]' < "$demo")
# The printed commands name the server unless it is the default one.
srv=""
[ "$listen" = 127.0.0.1:7447 ] || srv=" --server $listen"
seat=$(json 'd["seats"][0]["seat"]' < "$demo")
code=$(json 'd["seats"][0]["join_code"]' < "$demo")
# A browser on this machine reaches a wildcard address as 127.0.0.1.
web="http://${http/0.0.0.0/127.0.0.1}"
cat <<MSG

Lanthanide is running on $listen and, for browsers, on $web
(database $db). A demo session, $session, is playing: built-in agents in
every seat, a turn every $turn_seconds s.

In a browser:

$(printf '  %-18s %s\n' \
  "your own class:" "$web/#/admin   (the facilitator's dashboard: create a game, hand out join codes)" \
  "run the demo:" "$web/#/admin   (\"Run a session created elsewhere\": $session, admin token $admin)" \
  "take over $seat:" "$web/#/play?session=$session&code=$code" \
  "the debrief:" "$web/#/debrief?session=$session" \
  "control cell:" "$web/#/control?session=$session   (a wargame's control view, once this browser holds the admin token; docs/wargaming.md)")

In another terminal:

$(printf '  %-18s %s\n' \
  "watch it:" "$build/bin/lanthanide$srv watch --session $session --admin-token $admin" \
  "take over $seat:" "$build/bin/lanthanide$srv play --session $session --code $code" \
  "every join code:" "$demo" \
  "your own game:" "$build/bin/lanthanide$srv admin create --map classroom")

Ctrl-C stops the server; the next 'make run' resumes where it stood.
MSG
wait $server
