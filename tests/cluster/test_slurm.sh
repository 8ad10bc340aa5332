#!/bin/bash
# The cluster test (label `cluster`): a one-node Slurm on loopback (munged,
# slurmctld and slurmd, started here as root, every file in a temporary
# folder, ports of its own) runs a tournament as a 4-task job array of
# clients/cluster/tournament.sbatch and the dependent merge.sbatch, through
# clients/cluster/submit.sh; the merged results must equal those of the
# same tournament run with --jobs 1, row for row (the CSV) and in the
# leaderboard printed by `tournament show`. See docs/cluster.md.
#
#   tests/cluster/test_slurm.sh LANTHANIDE_BINARY SOURCE_DIR
#
# Needs root (the daemons) and installs slurm-wlm and munge through
# scripts/deps.sh cluster. Exit 77 (skipped) when not root. Every daemon
# started here is stopped by its pid on any exit.
set -euo pipefail

exe=$(readlink -f "$1")
src=$(cd "$2" && pwd)

if [[ $(id -u) -ne 0 ]]; then
  echo "test_slurm: skipped: the one-node Slurm needs root (CI runs as root)"
  exit 77
fi
bash "$src/scripts/deps.sh" cluster

tmp=$(mktemp -d /tmp/lanthanide-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
# shellcheck disable=SC2317 # (called from the EXIT trap)
cleanup() {
  local rc=$? p f
  # The daemons write their pid files once they have daemonised.
  for f in slurmd.pid slurmctld.pid munged.pid; do
    [[ -s $tmp/$f ]] && pids+=("$(cat "$tmp/$f")")
  done
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
  done
  if ((rc != 0)); then
    for f in slurmctld.log slurmd.log munged.log out/merge.log out/shard-0.log; do
      [[ -f $tmp/$f ]] && { echo "---- $f"; tail -n 30 "$tmp/$f"; }
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "test_slurm: FAIL: $*" >&2
  exit 1
}

# Two free TCP ports on loopback, so that two runs never collide. They are
# taken below the kernel's ephemeral range: a port from bind(0) is free
# only until it is closed, and the daemons' own outgoing connections (and
# other tests running beside this one) draw from that range, so slurmd
# could find its port taken ("Address already in use").
read -r ctld_port slurmd_port < <(/usr/bin/python3 -c '
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
ports = []
for p in random.sample(range(10000, max(lo, 10100)), 200):
    try:
        with socket.socket() as x:
            x.bind(("127.0.0.1", p))
    except OSError:
        continue
    ports.append(p)
    if len(ports) == 2:
        break
print(*ports)')

# munge: a key and a socket of this test's own.
mungekey -c -k "$tmp/munge.key"
munged -f --key-file="$tmp/munge.key" --socket="$tmp/munge.sock" \
  --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" \
  --seed-file="$tmp/munged.seed"
for _ in $(seq 50); do [[ -S $tmp/munge.sock ]] && break; sleep 0.1; done
munge -S "$tmp/munge.sock" -n | unmunge -S "$tmp/munge.sock" >/dev/null ||
  fail "munged does not answer on $tmp/munge.sock"

host=$(hostname -s)
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/out"
cat >"$tmp/slurm.conf" <<CONF
ClusterName=lanthanide-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf

slurmctld -c -f "$SLURM_CONF"
slurmd -c -f "$SLURM_CONF"
state=""
for _ in $(seq 150); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n1 || true)
  [[ $state == idle* ]] && break
  sleep 0.2
done
[[ $state == idle* ]] || fail "the node is '$state', not idle, after 30 s"

# The tournament: 4 shards on Slurm, and the same with --jobs 1 here.
args=(--map classroom --games 24 --seed 31)
export LANTHANIDE=$exe
mapfile -t jobs < <(bash "$src/clients/cluster/submit.sh" 4 "$tmp/out" \
  --maps "$src/maps" "${args[@]}")
((${#jobs[@]} == 2)) || fail "submit.sh printed '${jobs[*]}', not two job ids"
merge=${jobs[1]}
for _ in $(seq 600); do
  # squeue forgets a job soon after it ends; sacct is not configured.
  if ! squeue -h -j "${jobs[0]},$merge" 2>/dev/null | grep -q .; then
    break
  fi
  sleep 0.2
done
squeue -h -j "${jobs[0]},$merge" 2>/dev/null | grep -q . &&
  fail "the jobs did not finish in 120 s: $(squeue 2>&1)"
for i in 0 1 2 3; do
  [[ -f $tmp/out/shard-$i.db ]] || fail "task $i wrote no shard-$i.db"
done
[[ -f $tmp/out/all.csv ]] || fail "the merge job wrote no all.csv"

"$exe" tournament --maps "$src/maps" "${args[@]}" --jobs 1 \
  --out "$tmp/j1.db" --csv "$tmp/j1.csv" --quiet
cmp "$tmp/j1.csv" "$tmp/out/all.csv" ||
  fail "the merged results differ from those of --jobs 1"
"$exe" tournament show "$tmp/j1.db" >"$tmp/j1.board"
"$exe" tournament show "$tmp/out/all.db" >"$tmp/all.board"
grep -q rating "$tmp/j1.board" || fail "no leaderboard: $(cat "$tmp/j1.board")"
diff "$tmp/j1.board" "$tmp/all.board" ||
  fail "the merged leaderboard differs from that of --jobs 1"
grep -q rating "$tmp/out/merge.log" ||
  fail "merge.sbatch printed no leaderboard: $(cat "$tmp/out/merge.log")"
echo "test_slurm: ok: 4 Slurm tasks and the merge equal --jobs 1"
