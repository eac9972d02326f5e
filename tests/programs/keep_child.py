"""A Pool whose workers each keep a long-lived child (the initializer opens `gzip -c` as a pipe,
as a logger or a compressor would), each task reporting the mask and CPU it ran with through
seen.py. Standard library and gzip only.

    python3 keep_child.py --tasks 40
"""
import argparse
import multiprocessing as mp
import os
import subprocess

import seen

_child = None


def init():
    global _child
    _child = subprocess.Popen(["gzip", "-c"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)


def task(_):
    s = 0
    for k in range(300_000):
        s += k * k
    return seen.report("task")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tasks", type=int, default=40)
    a = p.parse_args()
    n = int(os.environ.get("PINBENCH_WORKERS", "2"))
    with mp.Pool(n, initializer=init) as pool:
        pool.map(task, range(a.tasks), chunksize=1)


if __name__ == "__main__":
    main()
