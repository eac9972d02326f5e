#!/usr/bin/env bash
# The seeds' Python recipes (examples/python/) under pinbench exec, into results/<profile-id>/.
# One sweep per program compares "nobody pins" (`none`), "the program pins itself as a recipe
# says" (`none@index`, `none@modulo`, `none@parent-mask`: pinbench pins nothing and the program,
# run with `--pin from-strategy`, follows the recipe the label names) and "pinbench pins from
# outside" (per-worker, compact, scatter, inherited). Each is judged on the program's own figure
# (the `throughput: N` it prints), higher is better. Extra arguments go to every `pinbench exec`
# (e.g. --reps 10).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
B=target/release/pinbench
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
top -bn1 | sed -n '7,12p' || true
ex=examples/python
common=(--metric 'throughput: ([0-9.]+)' --better higher --timeout 120s --out results)
recipes=none@index,none@modulo,none@parent-mask
"$B" exec -s "none,$recipes,per-worker,compact,scatter,inherited" "${common[@]}" "$@" -- \
  python3 "$ex/pool.py" --maxtasksperchild 4 --pin from-strategy
for prog in process_queue shared_value; do
  "$B" exec -s "none,$recipes,per-worker,compact" "${common[@]}" "$@" -- \
    python3 "$ex/$prog.py" --pin from-strategy
done
# The manager's server takes a slot of its own: one slot more than its workers, so more slots
# than CPUs here (round-robin and compact wrap; per-worker would refuse).
"$B" exec -s none,round-robin,compact -w "$(( $(nproc) + 1 ))" "${common[@]}" "$@" -- \
  python3 "$ex/manager.py"
"$B" exec --workers-are threads -s "none,none@index,per-worker" "${common[@]}" "$@" -- \
  python3 "$ex/threads.py" --pin from-strategy
# The pools people use, pinned from outside only (they take no --pin): ProcessPoolExecutor, and
# joblib's loky backend from the venv scripts/setup.sh makes (skipped without it).
"$B" exec -s none,per-worker,compact,scatter "${common[@]}" "$@" -- \
  python3 "$ex/process_pool_executor.py" --size 1000000
if .tools/venv/bin/python -c 'import joblib' 2>/dev/null; then
  "$B" exec -s none,per-worker,compact,scatter "${common[@]}" "$@" -- \
    .tools/venv/bin/python "$ex/joblib_parallel.py" --size 1000000
else
  echo "joblib is not in .tools/venv (scripts/setup.sh installs it): its recipe is skipped"
fi
"$B" report results
