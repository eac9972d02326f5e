"""CPU-bound `Pool.map`, optionally recycling workers (`maxtasksperchild`).

    pinbench exec -s none -s per-worker -w 2 -- python3 examples/python/pool.py --maxtasksperchild 2

Prints `throughput: <tasks/s>` for `--metric 'throughput: ([0-9.]+)' --better higher`.
"""
import argparse
import multiprocessing as mp
import time

import recipes


def init(how):
    recipes.in_worker(how, recipes.worker_index())


def work(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__)
    recipes.add_arguments(p)
    p.add_argument("--tasks", type=int, default=32)
    p.add_argument("--size", type=int, default=100_000, help="loop iterations per task")
    p.add_argument("--maxtasksperchild", type=int, default=None)
    a = recipes.parse(p)
    recipes.before_pool(a.pin, a.workers)
    start = time.perf_counter()
    with mp.Pool(a.workers, initializer=init, initargs=(a.pin,),
                 maxtasksperchild=a.maxtasksperchild) as pool:
        pool.map(work, [a.size] * a.tasks, chunksize=1)
    took = time.perf_counter() - start
    print(f"throughput: {a.tasks / took:.3f} tasks/s")


if __name__ == "__main__":
    main()
