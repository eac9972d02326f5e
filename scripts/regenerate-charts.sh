#!/usr/bin/env bash
# Rebuilds every chart and report.md under results/ from the committed CSV and profile.json
# alone (no measuring), then every comparison already present under results/compare/, then the
# fleet view of every profile (results/compare/fleet/).
# Output is deterministic: running it twice gives byte-identical files.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-results}"
export LC_ALL=C
cargo build --release --quiet
bin=target/release/pinbench
"$bin" report "$root"
if [ -d "$root/compare" ]; then
  for d in "$root"/compare/*--vs--*/; do
    [ -d "$d" ] || continue
    name=$(basename "$d")
    a="$root/${name%%--vs--*}"
    b="$root/${name##*--vs--}"
    if [ -f "$a/profile.json" ] && [ -f "$b/profile.json" ]; then
      "$bin" compare "$a" "$b" --out "$root"
    fi
  done
fi
# The fleet of every profile here (its pairs against the first are among those above).
mapfile -t profiles < <(find "$root" -mindepth 2 -maxdepth 2 -name summary.csv -printf '%h\n' | sort)
if [ ${#profiles[@]} -ge 2 ]; then
  "$bin" compare "${profiles[@]}" --out "$root"
fi
