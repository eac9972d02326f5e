"""The pools people use, each task reporting the mask and CPU it ran with through seen.py:

    python3 pools.py --kind loky --tasks 40          # joblib.Parallel, loky backend
    python3 pools.py --kind spawn --tasks 40         # ProcessPoolExecutor, spawn context
    python3 pools.py --kind forkserver --tasks 40    # ProcessPoolExecutor, forkserver context
"""
import argparse
import concurrent.futures as cf
import multiprocessing as mp
import os

import seen


def task(_):
    s = 0
    for k in range(300_000):
        s += k * k
    return seen.report("task")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--kind", choices=["loky", "spawn", "forkserver"], required=True)
    p.add_argument("--tasks", type=int, default=40)
    a = p.parse_args()
    n = int(os.environ.get("PINBENCH_WORKERS", "2"))
    if a.kind == "loky":
        from joblib import Parallel, delayed

        Parallel(n_jobs=n, backend="loky")(delayed(task)(i) for i in range(a.tasks))
    else:
        with cf.ProcessPoolExecutor(n, mp_context=mp.get_context(a.kind)) as ex:
            list(ex.map(task, range(a.tasks)))


if __name__ == "__main__":
    main()
