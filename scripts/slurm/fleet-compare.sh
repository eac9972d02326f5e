#!/usr/bin/env bash
# Draws the fleet view of every profile in a results folder: results/compare/fleet/ (the
# scenarios x machines chart, compare.csv, compare.md) and each profile against the first.
# submit-fleet.sh runs it as a job after the measuring arrays; it also runs by hand:
#   scripts/slurm/fleet-compare.sh results
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 RESULTS_DIR" >&2; exit 2; }
results=$1
bin=${PINBENCH:-$(command -v pinbench || echo "$(dirname "$0")/../../target/release/pinbench")}
# Profile folders with results: a task that failed before its first runs left only profile.json.
mapfile -t profiles < <(find "$results" -mindepth 2 -maxdepth 2 -name summary.csv -printf '%h\n' | sort)
if [ ${#profiles[@]} -lt 2 ]; then
  echo "fleet-compare: ${#profiles[@]} profile(s) in $results: a comparison needs two or more" >&2
  exit 1
fi
for p in "${profiles[@]}"; do "$bin" report "$p" >/dev/null; done
exec "$bin" compare "${profiles[@]}" --out "$results"
