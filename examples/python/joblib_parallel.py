"""joblib's `Parallel(n_jobs=N)` on its default loky backend: CPU-bound tasks in loky's worker
processes, each reporting from inside itself where it ran.

    pinbench exec -s none,per-worker -w 2 --show-output -- python3 examples/python/joblib_parallel.py

Prints one line per task (`task I: pid P cpu C mask M`), then `single-cpu masks: K/N tasks` and
`throughput: <tasks/s>` for `--metric 'throughput: ([0-9.]+)' --better higher`. Needs joblib
(`pip install joblib`): without it, says so and exits 0 with no figure (under `exec --metric`
the run then fails, quoting that line). With `--workers 1` joblib runs the tasks in the program's
own process, not in a loky worker: there is no worker to pin.
"""
import argparse
import sys
import time

import placement
import recipes

try:
    from joblib import Parallel, delayed
except ImportError:
    Parallel = None


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    # loky names its workers itself: no worker index for the in-program recipes (--pin).
    p.add_argument("--workers", type=int, default=recipes.workers_default(), help="n_jobs")
    p.add_argument("--tasks", type=int, default=32)
    p.add_argument("--size", type=int, default=100_000, help="loop iterations per task")
    a = p.parse_args()
    if Parallel is None:
        print("skipped: joblib is not installed (pip install joblib)", file=sys.stderr)
        return
    start = time.perf_counter()
    out = Parallel(n_jobs=a.workers, backend="loky")(delayed(placement.busy_task)(a.size) for _ in range(a.tasks))
    took = time.perf_counter() - start
    placement.print_reports([report for _, report in out])
    print(f"throughput: {a.tasks / took:.3f} tasks/s")


if __name__ == "__main__":
    main()
