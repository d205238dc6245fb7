#!/usr/bin/env bash
# Slurm job array: one task per shard. Submit from the repository root with
#   sbatch --array=1-8 Recipes/cluster/slurm.sh
# and merge when all tasks are done:
#   mithai -c "merge out/shard-*.db | sort pnl_net desc"
#SBATCH --job-name=mithai-sweep
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=out/slurm-%A_%a.log
set -euo pipefail
mkdir -p out
N=${SLURM_ARRAY_TASK_COUNT:?run as a job array (sbatch --array=1-N)}
I=${SLURM_ARRAY_TASK_ID:?}
exec .build/release/mithai --shard "$I/$N" --out "out/shard-$I.db" Recipes/cluster/sweep.mithai
