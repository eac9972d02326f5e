"""`concurrent.futures.ProcessPoolExecutor.map` over CPU-bound tasks, optionally recycling its
workers (`max_tasks_per_child`, Python 3.11+), each task reporting from inside itself where it
ran.

    pinbench exec -s none,per-worker -w 2 --show-output -- \
        python3 examples/python/process_pool_executor.py --max-tasks-per-child 1

Prints one line per task (`task I: pid P cpu C mask M`), then `single-cpu masks: K/N tasks` and
`throughput: <tasks/s>` for `--metric 'throughput: ([0-9.]+)' --better higher`.

`--max-tasks-per-child` is off by default. Above 1 it can hang on CPython 3.11-3.13 once more
tasks are queued than workers can take (gh-115634: the executor stops replacing the workers that
retire); 1 is safe. With it, the executor starts its workers with `spawn`, as CPython requires.
"""
import argparse
import multiprocessing as mp
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import placement
import recipes


def init(how):
    recipes.in_worker(how, recipes.worker_index())


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    recipes.add_arguments(p)
    p.add_argument("--tasks", type=int, default=32)
    p.add_argument("--size", type=int, default=100_000, help="loop iterations per task")
    p.add_argument("--max-tasks-per-child", type=int, default=None, metavar="N",
                   help="retire each worker after N tasks (Python 3.11+; above 1 see gh-115634)")
    a = recipes.parse(p)
    extra = {}
    if a.max_tasks_per_child is not None:
        if sys.version_info < (3, 11):
            p.exit(2, f"--max-tasks-per-child needs Python 3.11+ (this is "
                      f"{sys.version.split()[0]}): drop it or use a newer Python\n")
        if a.max_tasks_per_child < 1:
            p.exit(2, f"--max-tasks-per-child {a.max_tasks_per_child}: give 1 or more\n")
        if a.max_tasks_per_child > 1:
            print(f"note: --max-tasks-per-child {a.max_tasks_per_child} can hang on CPython "
                  "3.11-3.13 (gh-115634); 1 is safe", file=sys.stderr)
        extra["max_tasks_per_child"] = a.max_tasks_per_child
    recipes.before_pool(a.pin, a.workers)
    start = time.perf_counter()
    with ProcessPoolExecutor(a.workers, initializer=init, initargs=(a.pin,), **extra) as ex:
        out = list(ex.map(placement.busy_task, [a.size] * a.tasks))
    took = time.perf_counter() - start
    placement.print_reports([report for _, report in out])
    print(f"throughput: {a.tasks / took:.3f} tasks/s")


if __name__ == "__main__":
    main()
