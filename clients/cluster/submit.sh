#!/bin/bash
# Submits a tournament as a Slurm job array of N shards and the merge that
# depends on it; prints the two job ids (array, merge), one per line.
#
#   clients/cluster/submit.sh N OUT_DIR TOURNAMENT-ARGS...
#   e.g. clients/cluster/submit.sh 16 /shared/t1 --map world-2024 --games 5000
#
# OUT_DIR must be on a file system every node sees. Extra sbatch options
# (a partition, an account, a time limit) go in SBATCH_* variables, which
# sbatch reads itself: SBATCH_PARTITION=short SBATCH_TIMELIMIT=30 submit.sh ...
set -euo pipefail

if [[ $# -lt 2 || ! $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: submit.sh N OUT_DIR TOURNAMENT-ARGS... (N shards, N >= 1)" >&2
  exit 2
fi
n=$1
out=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$out"
array=$(sbatch --parsable --array="0-$((n - 1))" \
  --output="$out/shard-%a.log" "$here/tournament.sbatch" "$out" "$@")
array=${array%%;*} # "JOBID;CLUSTER" on a federation
merge=$(sbatch --parsable --dependency="afterok:$array" \
  --output="$out/merge.log" "$here/merge.sbatch" "$out")
merge=${merge%%;*}
echo "$array"
echo "$merge"
