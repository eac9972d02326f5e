#!/usr/bin/env bash
# Cross-checks pinbench's measurements against independent tools on this machine:
#   1. topology vs hwloc: counts on every recorded machine and this one, whole sets on every
#      recorded machine (tests/fixtures/sysfs and tests/fixtures/shapes);
#   2. migration counts: the perf cpu-migrations event vs the scheduler's procfs count, per worker;
#   3. pipe ping-pong on one CPU vs `perf bench sched pipe` (within 5 %);
#   4. shared-memory cache-line ping-pong vs core-to-core-latency (within 10 %);
#   5. `pinbench exec` tree migrations vs `perf stat -e cpu-migrations` on the same runs (within
#      5 %, as root: perf needs it to count kernel-side migrations).
# Prints pinbench's figure, the tool's figure and their ratio; exits 1 if any is out of tolerance.
# Needs: hwloc, linux-perf (scripts/setup.sh installs them), and cargo to install
# core-to-core-latency into .tools/ when it is not on PATH. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C
scripts/setup.sh
cargo build --release --quiet
B=$PWD/target/release/pinbench
fail=0
report() { # name ours theirs tolerance(fraction)
  python3 - "$@" <<'PY' || fail=1
import sys
name, ours, theirs, tol = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ratio = ours / theirs if theirs else float('inf')
ok = abs(ratio - 1) <= tol
print(f"{'ok  ' if ok else 'FAIL'} {name}: pinbench {ours:.4g}, tool {theirs:.4g}, ratio {ratio:.3f} (tolerance {tol:.0%})")
sys.exit(0 if ok else 1)
PY
}
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

echo "== 1. topology vs hwloc"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check_topology() { # label root(or empty for this machine)
  local label=$1 root=$2 env=() arg=()
  # A recorded tree must not be mixed with this CPU's own CPUID: keep hwloc's x86 backend out.
  if [ -n "$root" ]; then env=(HWLOC_FSROOT="$root" HWLOC_COMPONENTS=-x86); arg=(--sysfs-root "$root"); fi
  local theirs ours
  # hwloc-calc counts the objects holding allowed CPUs (what pinbench's allowed_summary
  # counts); it answers 1 for a cache level the machine lacks and nothing for a machine
  # without NUMA folders, so lstopo's tree settles those two.
  local calc tree
  calc=$(for t in package core pu l3cache numanode; do echo "$(env "${env[@]}" hwloc-calc -N "$t" all 2>/dev/null)"; done | tr '\n' ',')
  tree=$(env "${env[@]}" lstopo-no-graphics --of console 2>/dev/null | grep -cE '\bL3(Cache)? L#' || true)
  numa_tree=$(env "${env[@]}" lstopo-no-graphics --of console 2>/dev/null | grep -cE '\bNUMANode L#' || true)
  theirs=$(python3 -c "
import sys
c = sys.argv[1].split(',')
l3 = c[3] if int(sys.argv[2]) > 0 else '0'
numa = c[4] or sys.argv[3]
print(c[0], c[1], c[2], l3, numa)" "$calc" "$tree" "$numa_tree")
  ours=$("$B" topology --json "${arg[@]}" | python3 -c "import json,sys; s=json.load(sys.stdin)['allowed_summary']; print(s['packages'], s['cores'], s['cpus'], s['l3_domains'], s['numa_nodes'])")
  if [ "$(echo $theirs)" = "$(echo $ours)" ]; then
    echo "ok   $label: packages cores PUs L3 NUMA = $ours (hwloc: $theirs)"
  else
    echo "FAIL $label: pinbench $ours, hwloc $theirs"; fail=1
  fi
}
for f in tests/fixtures/sysfs/*.tar.bz2 tests/fixtures/shapes/*.tar.bz2; do
  name=$(basename "$f" .tar.bz2)
  mkdir -p "$tmp/$name" && tar xjf "$f" -C "$tmp/$name"
  check_topology "$name" "$(find "$tmp/$name" -mindepth 1 -maxdepth 1 -type d | head -1)"
done
check_topology "this machine" ""
# Whole sets, not counts: hwloc's answer for every recorded tree (tests/fixtures/sysfs and the
# shapes of tests/fixtures/shapes) recorded again with the hwloc installed here, then every
# core's, L3 domain's, NUMA node's and package's CPU set and the allowed set compared with
# pinbench's (tests/hwloc_sets.rs). `git diff tests/fixtures` shows any answer hwloc changed.
python3 scripts/fixtures/shapes.py
if cargo test --quiet --test hwloc_sets >/dev/null 2>&1; then
  echo "ok   every recorded tree: allowed set, PUs, packages, cores, L3 domains, NUMA nodes (sets) and SMT equal hwloc's"
else
  echo "FAIL a recorded tree differs from hwloc: cargo test --test hwloc_sets says which"; fail=1
fi
git diff --stat -- tests/fixtures | tail -1

echo "== 2. migrations: perf event vs procfs, per worker (ipc:server, 5 floating processes, 2 s)"
"$B" run -W ipc:server -s none -w 5 -m processes -d 2s --counting perf --json > "$tmp/mig.json"
python3 - "$tmp/mig.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
bad = 0
for w in d["workers"]:
    p, q = w.get("migrations"), w.get("migrations_procfs_check")
    if w.get("migrations_source") != "perf" or q is None:
        print(f"skip worker {w['worker']}: perf events unavailable here (source {w.get('migrations_source')})"); continue
    ok = abs(p - q) <= max(2, 0.05 * max(p, q))
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} worker {w['worker']}: perf {p}, procfs {q}")
sys.exit(1 if bad else 0)
PY

reps=${PINBENCH_VALIDATE_REPS:-7}
echo "== 3. pipe ping-pong on CPU 0 vs perf bench sched pipe ($reps x A B, medians)"
first=$("$B" topology --json | python3 -c "import json,sys; print(json.load(sys.stdin)['summary']['allowed'].split(',')[0].split('-')[0])")
ours=(); theirs=()
for i in $(seq "$reps"); do
  ours+=("$("$B" run -W ipc:pipe -s "cpus:$first/$first" -w 2 -m processes -d 1s --json | python3 -c "import json,sys; print(json.load(sys.stdin)['total']['ns_per_op']/1000)")")
  theirs+=("$(taskset -c "$first" perf bench sched pipe -l 150000 | awk '/usecs\/op/ {print $1}')")
done
echo "pinbench us/round trip: ${ours[*]}; perf bench: ${theirs[*]}"
report "pipe round trip (us), medians" "$(median "${ours[@]}")" "$(median "${theirs[@]}")" 0.05

echo "== 4. shm cache-line ping-pong vs core-to-core-latency ($reps x A B, medians)"
second=$("$B" plan -s per-worker -w 2 --json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['workers'][1]['cpus'])" || true)
if [ -z "$second" ]; then
  echo "skip: one allowed CPU"
else
  C2C=$(command -v core-to-core-latency || true)
  if [ -z "$C2C" ]; then
    cargo install --quiet core-to-core-latency --root .tools >/dev/null 2>&1 && C2C=$PWD/.tools/bin/core-to-core-latency
  fi
  ours=(); theirs=()
  for i in $(seq "$reps"); do
    # pinbench times a round trip; core-to-core-latency reports half of one.
    ours+=("$("$B" run -W ipc:shm -s "cpus:$first/$second" -w 2 -d 1s --json | python3 -c "import json,sys; print(json.load(sys.stdin)['total']['ns_per_op']/2)")")
    theirs+=("$("$C2C" -c "$first,$second" --csv 5000 100 2>/dev/null | python3 -c "import sys; v=[float(x) for l in sys.stdin for x in l.strip().strip(',').split(',') if x.strip()]; print(max(v))")")
  done
  echo "pinbench ns one-way: ${ours[*]}; core-to-core-latency: ${theirs[*]}"
  report "shm one-way latency (ns), medians" "$(median "${ours[@]}")" "$(median "${theirs[@]}")" 0.10
fi
echo "== 5. exec: tree migrations vs perf stat -e cpu-migrations on the same runs (recycling pool)"
if [ "$(id -u)" != 0 ]; then
  echo "skip: perf counts migrations of other tasks' kernel side only as root"
else
  py=$(python3 -c 'import sys; print(sys.executable)')
  rm -f "$tmp/perf-mig.txt"
  # perf is the command, so it sees exactly the runs pinbench measures; its own process is the
  # tree's main process, whose migrations pinbench reports apart (main_migrations).
  "$B" exec -s none -s per-worker --reps "$reps" --no-warmup --name perfcheck --out "$tmp/exec" -- \
    perf stat -e cpu-migrations -x, --append -o "$tmp/perf-mig.txt" -- \
    "$py" examples/python/pool.py --maxtasksperchild 2 --tasks 96 --size 100000 > /dev/null
  theirs=$(grep cpu-migrations "$tmp/perf-mig.txt" | cut -d, -f1 | tr '\n' ' ')
  ours=$(python3 -c "
import csv, glob, sys
rows = list(csv.DictReader(open(glob.glob(sys.argv[1] + '/*/runs.csv')[0])))
print(' '.join(str(int(r['migrations']) - int(r['main_migrations'])) for r in rows))" "$tmp/exec")
  echo "per run, pinbench: $ours; perf stat: $theirs"
  total() { python3 -c "import sys; print(sum(int(x) for x in sys.argv[1:]))" "$@"; }
  report "tree migrations, summed over runs" "$(total $ours)" "$(total $theirs)" 0.05
fi
exit $fail
