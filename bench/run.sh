#!/usr/bin/env bash
# The benchmarks of Lanthanide (`make bench` runs this after building).
#
#   bash bench/run.sh BUILD_DIR
#
# Every figure is one line on stdout,
#
#   BENCH <name> <value> <unit>
#
# for the baselines too, and for each comparison one more,
#
#   BENCH <name>.ratio <value> x
#
# (the same lines, after a header saying when, where and under what load,
# go to bench/results.txt). What each program printed itself goes to
# stderr. docs/benchmarks.md lists the figures, what they measure and the
# latest results. A benchmark reports; it does not fail on its target. This
# exits non-zero only when something could not run (a missing binary, a
# server that did not start, a generator that produced no figure).
#
# The parts, in order (BENCH_ONLY="rpc durable sessions model tournament
# conc env" picks some):
#
# rpc: bench/net/loadgen drives the bare libuv echo server
# (bench/net/echo_server.c: the floor of per-request cost) and
# lanthanide-server's `ping` with the same load, one after the other, for
# 64 connections 16 requests deep (rpc.ping.*) and 64 connections one deep
# (rpc.ping_d1.*): requests per second (the best of BENCH_ROUNDS
# alternations), the ratio of the two, p50 and p99 latency, and CPU
# microseconds per request of each server process as the loadgen read it
# from /proc (cpu.ratio: echo's over lanthanide-server's; it barely moves
# when other jobs steal cycles, so it is the one to watch when comparing
# two builds on a shared machine).
#
# durable (bench/store/bench-store, docs/storage.md): durable
# orders.submit throughput (every answer waits for the COMMIT that stored
# it; group commit shares one fsync among many), against SQLite alone
# inserting the same rows one transaction per row on the same disk; then
# turn-commit latency over STORE_SESSIONS sessions.
#
# sessions: the figures of tests/sessions/test_isolation.py and
# test_fairness.py (a flooding, a stalling and a chattering client beside
# a session with 0.3 s turns; a 20,000-request burst; 40 sessions' turns
# due at once).
#
# model (bench-model): the cost of a firm-turn at 1,000, 10,000 and
# 100,000 firms and their ratio; a turn of the shipped maps.
#
# tournament (bench-tournament): headless classroom games per second of
# one core, all strategies, and the `standing` strategy alone as baseline.
#
# conc (bench/net/classgen.c): CONC_SESSIONS (1,111) classrooms of 9 seats
# and a facilitator, every connection open at once, every turn played:
# the last seat's ready to its turn.resolved (p50, p99, max), the server's
# resident memory, memory per session and per idle connection, database
# bytes per game. conc.* has every player ready the moment a turn opens
# (the server saturated: the latency is the queue of 1,111 sessions'
# turns); conc.paced.* has players think CONC_THINK_MS (10 s, from half to
# one and a half times that) per turn, for CONC_PACED_TURNS (4) turns.
#
# ws: in the same rounds, ping over WebSocket (the server's --http port,
# loadgen --ws) beside ping over TCP: ws.ping.* and ws.ping_d1.*, the
# ratio WebSocket over TCP.
#
# env (bench/env/bench_env.py, issue 14): classroom played from Python
# through liblanthanide.so, one core, empty actions: env.steps_per_s (per
# CPU second; target 2,000), env.steps_per_s_wall (per wall-clock second),
# env.steps_per_s_read (every observation decoded).
#
# Environment: BENCH_SECONDS (3) and BENCH_WARMUP (1) per run;
# BENCH_ROUNDS (3): echo/server alternations per configuration, each side's
# best kept (other jobs on a shared machine come and go: one round can
# lose a third of its rate to them); BENCH_PIN (0): 1 runs the server
# under test on CPU 0 and the loadgen on CPU 1; STORE_CONNECTIONS (64),
# STORE_DEPTH (16), STORE_SESSIONS (20); BENCH_TOURNAMENT_GAMES (2000);
# CONC_SESSIONS (1111), CONC_TURNS (16), CONC_THINK_MS (10000),
# CONC_PACED_TURNS (4); BENCH_RESULTS (bench/results.txt).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
BIN=$(cd "$BUILD" && pwd)/bin
SECONDS_PER_RUN=${BENCH_SECONDS:-3}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-3}
PIN=${BENCH_PIN:-0}
ONLY=${BENCH_ONLY:-rpc durable sessions model tournament conc env}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/results.txt}
CONC_SESSIONS=${CONC_SESSIONS:-1111}
CONC_TURNS=${CONC_TURNS:-16}
CONC_THINK_MS=${CONC_THINK_MS:-10000}
CONC_PACED_TURNS=${CONC_PACED_TURNS:-4}
# connections:depth:name, pipelined first.
CONFIGS=("64:16:rpc.ping" "64:1:rpc.ping_d1")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lanthanide-bench.XXXXXX")
PIDS=()
LINES=()

# Stops exactly the processes this script started, by pid.
stop_servers() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
# shellcheck disable=SC2317 # (called from the EXIT trap)
cleanup() {
  stop_servers
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
  echo "bench: $*" >&2
  exit 1
}

# bench NAME VALUE UNIT: one figure.
bench() {
  [[ -n $2 ]] || die "no value for $1"
  LINES+=("BENCH $1 $2 $3")
  echo "BENCH $1 $2 $3"
}

# ratio NAME A B: the comparison A / B (0 when B is 0).
ratio() {
  bench "$1.ratio" "$(awk -v a="$2" -v b="$3" \
    'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" x
}

# field NAME LINE: the value of NAME=... in LINE.
field() {
  sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"
}

# min A B, of two decimals (B when A is empty).
min() {
  awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'
}

wants() {
  [[ " $ONLY " == *" $1 "* ]]
}

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer"
for prog in loadgen echo-server classgen lanthanide-server lanthanide \
  bench-store bench-model bench-tournament; do
  [[ -x $BIN/$prog ]] || die "$BIN/$prog not found: build first (make bench)"
done

SERVER_CPU=()
LOADGEN_CPU=()
if [[ $PIN == 1 ]] && command -v taskset >/dev/null &&
  (($(nproc 2>/dev/null || echo 1) >= 2)); then
  SERVER_CPU=(taskset -c 0)
  LOADGEN_CPU=(--cpu 1)
  echo "bench: servers pinned to CPU 0, loadgen to CPU 1" >&2
fi

# start NAME CMD...: runs CMD in the background with its output in $TMP,
# waits for its "listening on HOST:PORT" line and sets PORT and PID.
start() {
  local name=$1 line="" i
  shift
  "${SERVER_CPU[@]}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS+=($!)
  for ((i = 0; i < 100; i++)); do
    line=$(grep -m1 ' listening on ' "$TMP/$name.out" || true)
    [[ -n $line ]] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $line ]]; then
    echo "bench: $name did not start; its stderr:" >&2
    tail -n 20 "$TMP/$name.err" >&2 || true
    exit 1
  fi
  PORT=${line##*:}
  PID=${PIDS[-1]}
  [[ $PORT =~ ^[0-9]+$ ]] || die "$name: cannot read the port in '$line'"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
T0=$(date +%s)

# ---- rpc: ping against the echo floor -----------------------------------
# load LABEL PORT PID CONNECTIONS DEPTH [--ws]: prints the loadgen's line
# on stderr, and sets RPS, ERRORS, US (server CPU microseconds per
# request) and P50, P99 (microseconds).
load() {
  local out
  out=$("$BIN/loadgen" --server "127.0.0.1:$2" --server-pid "$3" \
    --connections "$4" --depth "$5" --seconds "$SECONDS_PER_RUN" \
    --warmup "$WARMUP" --method ping --label "$1" "${LOADGEN_CPU[@]}" \
    "${@:6}") || die "loadgen against $1 failed"
  echo "$out" >&2
  RPS=$(field rps "$out")
  ERRORS=$(field errors "$out")
  US=$(field server_us_per_req "$out")
  P50=$(field p50_us "$out")
  P99=$(field p99_us "$out")
  [[ -n $RPS && -n $ERRORS && -n $US && -n $P99 ]] ||
    die "cannot parse loadgen output: $out"
}

if wants rpc; then
  start echo "$BIN/echo-server" --listen 127.0.0.1:0
  ECHO_PORT=$PORT
  ECHO_PID=$PID
  start server "$BIN/lanthanide-server" --listen 127.0.0.1:0 \
    --http 127.0.0.1:0 --db "$TMP/bench.db" --maps "$ROOT/maps"
  SERVER_PORT=$PORT
  SERVER_PID=$PID
  HTTP_PORT=""
  for ((i = 0; i < 50; i++)); do
    HTTP_PORT=$(sed -n 's/.* http on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
      "$TMP/server.out")
    [[ -n $HTTP_PORT ]] && break
    sleep 0.1
  done
  [[ -n $HTTP_PORT ]] || die "lanthanide-server printed no 'http on' line"
  for cfg in "${CONFIGS[@]}"; do
    IFS=: read -r conns depth name <<<"$cfg"
    best_echo=0 best_server=0 echo_us="" server_us="" server_errors=0
    echo_p50="" echo_p99="" server_p50="" server_p99=""
    best_ws=0 ws_us="" ws_p50="" ws_p99=""
    for ((r = 0; r < ROUNDS; r++)); do
      load echo "$ECHO_PORT" "$ECHO_PID" "$conns" "$depth"
      if ((RPS > best_echo)); then
        best_echo=$RPS echo_p50=$P50 echo_p99=$P99
      fi
      echo_us=$(min "$echo_us" "$US")
      load ping "$SERVER_PORT" "$SERVER_PID" "$conns" "$depth"
      if ((RPS > best_server)); then
        best_server=$RPS server_p50=$P50 server_p99=$P99
      fi
      server_us=$(min "$server_us" "$US")
      server_errors=$((server_errors + ERRORS))
      load ping_ws "$HTTP_PORT" "$SERVER_PID" "$conns" "$depth" --ws
      if ((RPS > best_ws)); then
        best_ws=$RPS ws_p50=$P50 ws_p99=$P99
      fi
      ws_us=$(min "$ws_us" "$US")
      server_errors=$((server_errors + ERRORS))
    done
    base=${name/ping/echo}
    bench "$base.rps" "$best_echo" req/s
    bench "$name.rps" "$best_server" req/s
    ratio "$name" "$best_server" "$best_echo"
    bench "$base.p50_us" "$echo_p50" us
    bench "$base.p99_us" "$echo_p99" us
    bench "$name.p50_us" "$server_p50" us
    bench "$name.p99_us" "$server_p99" us
    bench "$base.cpu_us_per_req" "$echo_us" us
    bench "$name.cpu_us_per_req" "$server_us" us
    ratio "$name.cpu" "$echo_us" "$server_us"
    # WebSocket over TCP: the same ping through the --http port.
    ws=ws.${name#rpc.}
    bench "$ws.rps" "$best_ws" req/s
    ratio "$ws" "$best_ws" "$best_server"
    bench "$ws.p50_us" "$ws_p50" us
    bench "$ws.p99_us" "$ws_p99" us
    bench "$ws.cpu_us_per_req" "$ws_us" us
    ratio "$ws.cpu" "$server_us" "$ws_us"
    ((server_errors == 0)) || echo "bench: lanthanide-server gave" \
      "$server_errors errors at $conns connections, depth $depth" >&2
  done
  # Other benchmarks should have the machine to themselves.
  stop_servers
fi

# ---- durable: orders.submit and turn commits ----------------------------
if wants durable; then
  STORE_CONNECTIONS=${STORE_CONNECTIONS:-64}
  STORE_DEPTH=${STORE_DEPTH:-16}
  STORE_SESSIONS=${STORE_SESSIONS:-20}
  # The bench pipelines submissions from few seats: the per-seat rate
  # limit (--submit-burst, a defence against one seat filling the disk) is
  # opened wide so that it measures the commit path, not the limit; so is
  # the number of lobby sessions one address may hold (all are created
  # from 127.0.0.1).
  start store "$BIN/lanthanide-server" --listen 127.0.0.1:0 \
    --db "$TMP/store.db" --maps "$ROOT/maps" \
    --submit-burst 1000000 --submit-refill-ms 1 \
    --max-lobby-per-address 1000000
  STORE_PORT=$PORT
  STORE_PID=$PID
  # session.create through the CLI; its JSON answer (session, admin token,
  # seats and join codes) is what bench-store reads.
  create_session() {
    "$BIN/lanthanide" --server "127.0.0.1:$STORE_PORT" call session.create \
      "{\"map\": \"classroom\", \"name\": \"$1\", \"seed\": $2}" >"$3" ||
      die "session.create failed"
  }
  create_session "bench submit" 1 "$TMP/submit.json"
  out=$("$BIN/bench-store" submit --server "127.0.0.1:$STORE_PORT" \
    --session-json "$TMP/submit.json" --connections "$STORE_CONNECTIONS" \
    --depth "$STORE_DEPTH" --seconds "$SECONDS_PER_RUN" --warmup "$WARMUP" \
    --server-pid "$STORE_PID") || die "bench-store submit failed"
  echo "$out" >&2
  SUBMIT_RPS=$(field rps "$out")
  ROWS_PER_COMMIT=$(field rows_per_commit "$out")
  [[ -n $SUBMIT_RPS ]] || die "cannot parse bench-store output: $out"
  TURN_ARGS=()
  for ((i = 0; i < STORE_SESSIONS; i++)); do
    create_session "bench turns $i" $((100 + i)) "$TMP/turns$i.json"
    TURN_ARGS+=(--session-json "$TMP/turns$i.json")
  done
  turns=$("$BIN/bench-store" turns --server "127.0.0.1:$STORE_PORT" \
    "${TURN_ARGS[@]}") || die "bench-store turns failed"
  echo "$turns" >&2
  stop_servers
  # The baselines, with the machine to themselves, on the same disk ($TMP).
  out=$("$BIN/bench-store" sqlite --dir "$TMP" --seconds "$SECONDS_PER_RUN" \
    2>/dev/null) || die "bench-store sqlite failed"
  echo "$out" >&2
  PER_ROW_RPS=$(sed -n 's/^bench=sqlite_txn_per_row .* rps=\([0-9.]*\).*/\1/p' \
    <<<"$out")
  ONE_TXN_RPS=$(sed -n 's/^bench=sqlite_one_txn .* rps=\([0-9.]*\).*/\1/p' \
    <<<"$out")
  [[ -n $PER_ROW_RPS && -n $ONE_TXN_RPS ]] ||
    die "cannot parse bench-store output: $out"
  bench durable.orders_per_s "$SUBMIT_RPS" orders/s
  bench durable.sqlite_txn_per_row.rows_per_s "$PER_ROW_RPS" rows/s
  bench durable.sqlite_one_txn.rows_per_s "$ONE_TXN_RPS" rows/s
  ratio durable.orders_per_s "$SUBMIT_RPS" "$PER_ROW_RPS"
  bench durable.rows_per_commit "$ROWS_PER_COMMIT" rows
  for f in ready_ack resolve ready_to_resolved; do
    for q in p50 p99; do
      bench "durable.turn_${f}_${q}_ms" "$(field "${f}_${q}_ms" "$turns")" ms
    done
  done
fi

# ---- sessions under hostile load ----------------------------------------
if wants sessions; then
  # Debian's python3 has python3-msgpack (the python3 on PATH may not).
  for t in isolation fairness; do
    out=$(/usr/bin/python3 "$ROOT/tests/sessions/test_$t.py" \
      --server-bin "$BIN/lanthanide-server" --maps "$ROOT/maps") ||
      die "tests/sessions/test_$t.py failed: $out"
    grep '^bench=' <<<"$out" >&2 || die "test_$t.py printed no bench= line"
    while read -r line; do
      kind=${line%% *}
      kind=${kind#bench=}
      for kv in ${line#* }; do
        k=${kv%%=*} v=${kv#*=}
        case $k in
        turn_s) ;; # a parameter of the scenario
        *_s) bench "sessions.$kind.$k" "$v" s ;;
        esac
      done
    done < <(grep '^bench=' <<<"$out")
  done
fi

# ---- model --------------------------------------------------------------
if wants model; then
  out=$("$BIN/bench-model" "$ROOT/maps") || die "bench-model failed"
  echo "$out" >&2
  while read -r line; do
    firms=$(field firms "$line")
    ns=$(field ns_per_firm_turn "$line")
    case $firms in
    1000) bench model.firm_turn_ns.1k "$ns" ns ;;
    10000) bench model.firm_turn_ns.10k "$ns" ns ;;
    100000) bench model.firm_turn_ns "$ns" ns ;;
    esac
  done < <(grep '^bench=model_turn firms=' <<<"$out")
  bench model.scaling.ratio "$(field ratio_100k_to_1k "$(grep \
    '^bench=model_turn_scaling' <<<"$out")")" x
  while read -r line; do
    map=$(sed -n 's/.* map=\([^ ]*\).*/\1/p' <<<"$line")
    bench "model.turn_us.$map" "$(field us_per_turn "$line")" us
  done < <(grep '^bench=model_turn map=' <<<"$out")
fi

# ---- tournament ---------------------------------------------------------
if wants tournament; then
  out=$("$BIN/bench-tournament" "${BENCH_TOURNAMENT_GAMES:-2000}" \
    "$ROOT/maps") || die "bench-tournament failed"
  echo "$out" >&2
  line=$(grep '^bench=tournament ' <<<"$out")
  gps=$(field games_per_s "$line")
  base=$(field baseline_games_per_s "$line")
  # games_per_s is per CPU second of the one process: per core.
  bench tournament.games_per_s_per_core "$gps" games/s
  bench tournament.standing.games_per_s_per_core "$base" games/s
  ratio tournament.games_per_s_per_core "$gps" "$base"
fi

# ---- conc: classrooms at once -------------------------------------------
if wants conc; then
  conns=$((CONC_SESSIONS * 10))
  # conc_run PREFIX CLASSGEN-ARGS...: a fresh server, then classgen.
  conc_run() {
    local prefix=$1
    shift
    start conc "$BIN/lanthanide-server" --listen 127.0.0.1:0 \
      --db "$TMP/$prefix.db" --maps "$ROOT/maps" \
      --max-connections $((conns + 100)) --max-per-address $((conns + 100)) \
      --max-sessions $((CONC_SESSIONS + 10)) --create-burst 1000000 \
      --create-refill-ms 1 --max-pending-writes 1000000 \
      --max-lobby-per-address 1000000
    out=$("$BIN/classgen" --server "127.0.0.1:$PORT" --server-pid "$PID" \
      --sessions "$CONC_SESSIONS" --prefix "$prefix" "$@") ||
      die "classgen failed: $out"
    stop_servers
    while read -r line; do
      # shellcheck disable=SC2086 # (the line's three words)
      bench ${line#BENCH }
    done < <(grep '^BENCH ' <<<"$out")
  }
  # Every player ready at once, every turn: the server saturated.
  conc_run conc --turns "$CONC_TURNS"
  db_bytes=$(stat -c %s "$TMP/conc.db" 2>/dev/null || echo 0)
  bench conc.db_bytes_per_game "$((db_bytes / CONC_SESSIONS))" bytes
  # Players who think (CONC_THINK_MS, each from half to one and a half
  # times it): the same classrooms at a classroom's pace.
  conc_run conc.paced --turns "$CONC_PACED_TURNS" --think-ms "$CONC_THINK_MS"
fi

# ---- env: the in-process environment (issue 14) -------------------------
# bench/env/bench_env.py: classroom played from Python through
# liblanthanide.so, one core, empty actions.
if wants env; then
  out=$(/usr/bin/python3 "$ROOT/bench/env/bench_env.py" \
    --lib "$BIN/../lib/liblanthanide.so") ||
    die "bench/env/bench_env.py failed: $out"
  grep -q '^BENCH env\.' <<<"$out" ||
    die "bench_env.py printed no BENCH line: $out"
  while read -r _ name value unit; do
    bench "$name" "$value" "$unit"
  done < <(grep '^BENCH env\.' <<<"$out")
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "# make bench, $STARTED, $(($(date +%s) - T0)) s"
  echo "# machine: $(uname -srm), $(nproc) CPUs," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "# load average (1, 5, 15 min): $LOAD_START at start, $LOAD_END at end"
  echo "# parts: $ONLY"
  printf '%s\n' "${LINES[@]}"
} >"$RESULTS"
echo "bench: $((${#LINES[@]})) figures in $(($(date +%s) - T0)) s;" \
  "written to $RESULTS (load average $LOAD_START at start, $LOAD_END" \
  "at end)" >&2
exit 0
