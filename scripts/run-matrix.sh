#!/usr/bin/env bash
# The full measurement for a new machine: checks it is quiet, runs the default matrix into
# results/<profile-id>/, then draws the charts. Extra arguments go to `pinbench run`
# (e.g. --quick, --reps 10, -d 200ms). Run it under `taskset -c LIST` to measure an allowed set.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
top -bn1 | sed -n '7,12p' || true
target/release/pinbench run --out results "$@" || echo "some runs failed: see status=failed in runs.csv" >&2
target/release/pinbench report results
