#!/usr/bin/env bash
# Compares two profiles' committed results: scripts/compare-profiles.sh results/A results/B
# Writes results/compare/<A>--vs--<B>/ (compare.csv, compare.md, charts).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ]; then
  echo "usage: scripts/compare-profiles.sh results/<profile-a> results/<profile-b>" >&2
  exit 2
fi
cargo build --release --quiet
target/release/pinbench compare "$1" "$2" --out "$(dirname "$1")"
