"""Threads that hash buffers (hashlib releases the GIL), for `--workers-are threads`.

    pinbench exec --workers-are threads -w 2 -- python3 examples/python/threads.py

Prints `throughput: <MiB/s>`.
"""
import argparse
import hashlib
import os
import threading

import recipes


def worker(index, how, rounds, buf):
    if how in ("index", "modulo"):
        allowed = sorted(os.sched_getaffinity(0))
        cpu = allowed[index % len(allowed)] if how == "index" else index % os.cpu_count()
        os.sched_setaffinity(0, [cpu])  # this thread only, as pthread_setaffinity_np
    for _ in range(rounds):
        hashlib.sha256(buf).digest()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    recipes.add_arguments(p)
    p.add_argument("--rounds", type=int, default=40)
    a = recipes.parse(p)
    recipes.before_pool(a.pin, a.workers)
    buf = os.urandom(1 << 20)
    ts = [threading.Thread(target=worker, args=(i, a.pin, a.rounds, buf)) for i in range(a.workers)]
    took, _ = recipes.run_all(ts)
    print(f"throughput: {a.workers * a.rounds / took:.1f} MiB/s")


if __name__ == "__main__":
    main()
