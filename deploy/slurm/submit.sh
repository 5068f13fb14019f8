#!/usr/bin/env bash
# Submits a whole prep job to SLURM as dependent jobs and prints their ids:
#   run array (N CPU tasks) -> merge [-> embed array (M GPU tasks) -> merge] [-> push]
# usage: deploy/slurm/submit.sh PIPELINE.yaml OUT N
# Environment:
#   PREP_EMBED_ARGS  options of a separate GPU embed stage, e.g. "--model whisper --device cuda
#                    --clip-length 25" (unset: no embed stage; the pipeline's `embeddings`
#                    section, if any, is computed in the run stage)
#   PREP_EMBED_TASKS M, the embed array's size (default N)
#   PREP_EMBED_GRES  the embed tasks' --gres (default gpu:1; empty for none)
#   PREP_PUSH_REPO   OWNER/NAME: `prep push` after the final merge
#   PREP_SBATCH_ARGS extra sbatch options for every job (partition, account, time)
#   PREP_WAIT=1      wait for the final merge to end (sbatch --wait), exit with its status
set -euo pipefail
pipeline=${1:?usage: submit.sh PIPELINE.yaml OUT N}
out=${2:?usage: submit.sh PIPELINE.yaml OUT N}
n=${3:?usage: submit.sh PIPELINE.yaml OUT N}
here=$(cd "$(dirname "$0")" && pwd)
script=$here/prep-array.sbatch
# shellcheck disable=SC2086
submit() { sbatch --parsable --kill-on-invalid-dep=yes ${PREP_SBATCH_ARGS:-} "$@"; }
run=$(submit --array=0-$((n - 1)) "$script" run "$pipeline" "$out")
echo "run array: $run"
last=$run
if [ -n "${PREP_EMBED_ARGS:-}" ]; then
  merged=$(submit --dependency=afterok:"$last" "$script" merge "$out")
  echo "merge: $merged"
  m=${PREP_EMBED_TASKS:-$n}
  gres=${PREP_EMBED_GRES-gpu:1}
  # shellcheck disable=SC2086
  embed=$(submit --array=0-$((m - 1)) ${gres:+--gres=$gres} --dependency=afterok:"$merged" "$script" embed "$out" $PREP_EMBED_ARGS)
  echo "embed array: $embed"
  last=$embed
fi
wait_flag=()
[ "${PREP_WAIT:-0}" = 1 ] && wait_flag=(--wait)
final=$(PREP_FINAL=1 submit "${wait_flag[@]}" --export=ALL,PREP_FINAL=1 --dependency=afterok:"$last" "$script" merge "$out")
echo "final merge: $final"
