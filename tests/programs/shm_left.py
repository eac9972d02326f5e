"""Leaves SharedMemory segments to the resource tracker, the documented pattern: a process that
created a segment and closed it without unlinking relies on the tracker to unlink it when the
program ends. Names start with the prefix given, so a test can count what is left in /dev/shm.

    python3 shm_left.py --prefix pinbench_t_ --segments 4
"""
import argparse
import multiprocessing as mp
from multiprocessing import shared_memory


def work(i):
    return sum(range(100_000 + i))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--prefix", required=True)
    p.add_argument("--segments", type=int, default=4)
    a = p.parse_args()
    segs = [
        shared_memory.SharedMemory(name=f"{a.prefix}{i}", create=True, size=4096)
        for i in range(a.segments)
    ]
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(work, range(4))
    for s in segs:
        s.close()  # closed, not unlinked: the tracker unlinks them at the end


if __name__ == "__main__":
    main()
