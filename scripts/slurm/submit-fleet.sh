#!/usr/bin/env bash
# Submits pinbench across a cluster: one job array per node type (each array task one allocation
# shape on a node of its own, see pinbench.sbatch), then one small job that waits for them all
# and draws the fleet view into RESULTS/compare/fleet/.
#
#   scripts/slurm/submit-fleet.sh [NODE_TYPES_FILE]
#
# NODE_TYPES_FILE: one node type per line, a name and the sbatch options that land on such a
# node (`#` comments, blank lines ignored); without it, one array on the default partition:
#
#   epyc-9654   --partition=cpu --constraint=genoa
#   xeon-8480   --partition=cpu --constraint=sapphire
#   a100-host   --partition=gpu --gres=gpu:1
#
# The settings of pinbench.sbatch apply (PINBENCH, PINBENCH_RESULTS, PINBENCH_SHAPES,
# PINBENCH_BIND, PINBENCH_ARGS); PINBENCH_LOGS is where the jobs' output goes (default:
# ./slurm-logs); PINBENCH_FLEET_OPTS, sbatch options for the small fleet-view job (default: none,
# the default partition; e.g. "--partition=short --time=10"). Prints the job ids; `squeue --me`
# follows them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
types=${1:-}
if [ -n "$types" ] && [ ! -r "$types" ]; then
  echo "submit-fleet: cannot read the node types file $types" >&2; exit 2
fi
command -v sbatch >/dev/null || { echo "submit-fleet: sbatch not found: run this on a Slurm login node" >&2; exit 2; }
export PINBENCH_RESULTS=$(realpath -m "${PINBENCH_RESULTS:-results}")
if [ -z "${PINBENCH:-}" ]; then
  PINBENCH=$(command -v pinbench || echo "$here/../../target/release/pinbench")
fi
export PINBENCH=$(realpath -m "$PINBENCH")
[ -x "$PINBENCH" ] || { echo "submit-fleet: no pinbench binary at $PINBENCH: cargo build --release, or set PINBENCH" >&2; exit 2; }
read -r -a shapes <<< "${PINBENCH_SHAPES:-all}"
[ ${#shapes[@]} -gt 0 ] || { echo "submit-fleet: PINBENCH_SHAPES is empty: give one word per array task, e.g. \"all 1\"" >&2; exit 2; }
for shape in "${shapes[@]}"; do
  case $shape in
    all) ;;
    *[!0-9]* | 0*) echo "submit-fleet: shape '$shape' in PINBENCH_SHAPES is neither 'all' nor a CPU count (PINBENCH_SHAPES=\"all 1 8\")" >&2; exit 2 ;;
    *) if [ "${PINBENCH_BIND:-cores}" = none ]; then
         echo "submit-fleet: PINBENCH_BIND=none with shape $shape: an unbound step may see every CPU of its node; keep the binding (cores) or use only the shape 'all'" >&2; exit 2
       fi ;;
  esac
done
case " ${PINBENCH_ARGS:-} " in
  *" --out "* | *" --out="*) echo "submit-fleet: PINBENCH_ARGS has --out: the results folder is PINBENCH_RESULTS (default ./results)" >&2; exit 2 ;;
esac
last=$(( ${#shapes[@]} - 1 ))
logs=$(realpath -m "${PINBENCH_LOGS:-slurm-logs}")
mkdir -p "$logs" "$PINBENCH_RESULTS"

jobs=()
submit() { # name, sbatch options...
  local name=$1; shift
  local id
  if ! id=$(sbatch --parsable --job-name="pinbench-$name" --array="0-$last" \
    --output="$logs/%x-%A_%a.out" "$@" "$here/pinbench.sbatch"); then
    echo "submit-fleet: sbatch refused node type $name (its message is above); submitted before it: ${jobs[*]:-none} (scancel them, or draw them with fleet-compare.sh when they end)" >&2
    exit 1
  fi
  id=${id%%;*}
  jobs+=("$id")
  echo "submitted $name: job array $id (${#shapes[@]} task(s): ${shapes[*]})"
}
if [ -n "$types" ]; then
  while read -r name opts; do
    [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
    # shellcheck disable=SC2086 # the options are a list
    submit "$name" $opts
  done < "$types"
else
  submit default
fi
[ ${#jobs[@]} -gt 0 ] || { echo "submit-fleet: no node types in $types" >&2; exit 2; }
deps=$(IFS=:; echo "${jobs[*]}")
# shellcheck disable=SC2086 # PINBENCH_FLEET_OPTS is a list of options
fleet=$(sbatch --parsable --job-name=pinbench-fleet --dependency="afterany:$deps" \
  --ntasks=1 --cpus-per-task=1 --output="$logs/%x-%j.out" ${PINBENCH_FLEET_OPTS:-} \
  --wrap="'$here/fleet-compare.sh' '$PINBENCH_RESULTS'")
echo "submitted fleet view: job $fleet, after ${jobs[*]}; it writes $PINBENCH_RESULTS/compare/fleet/"
