#!/bin/bash
# A safetylab study as a SLURM array job: every array task is one worker of the same study
# directory (on a shared filesystem). Workers split the grid with --shard i/k and take a file
# lock per cell, so no cell runs twice; a finished cell is never redone, and a task that is
# requeued resumes its half-done cell. No extra service is needed.
#
#   sbatch --array=1-8 configs/cluster/slurm-study.sh paper runs/paper /data/public
#   safetylab study --status runs/paper          # done / running / failed / pending, ETA
#
# The last worker to finish writes metrics.json, answers.csv and report.html over every
# finished cell; run `safetylab study CONFIG --out DIR` once more after all tasks end to
# rebuild the report (it runs nothing that is done) or to retry failed cells.
#SBATCH --job-name=safetylab-study
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --mem=64G
#SBATCH --time=24:00:00
#SBATCH --requeue
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

CONFIG=${1:?study config or preset, e.g. paper}
OUT=${2:?shared study directory}
SOURCE=${3:-}

# one shared generation cache per study (SQLite; safe across workers on one node, use a
# per-task cache on network filesystems without reliable locks)
export SAFETYLAB_CACHE=${SAFETYLAB_CACHE:-$HOME/.cache/safetylab}
export TOKENIZERS_PARALLELISM=false

args=(study "$CONFIG" --out "$OUT" --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}")
[ -n "$SOURCE" ] && args+=(--source "$SOURCE")
exec safetylab "${args[@]}"
