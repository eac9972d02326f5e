"""Workers talk to a `multiprocessing.Manager` server: request and response per operation.

The manager's server is a process of its own and takes a slot like a worker does: by default
the program runs one worker fewer than pinbench's slots (PINBENCH_WORKERS), so that the
server and the workers fill them.

    pinbench exec -w 3 -- python3 examples/python/manager.py

Prints `throughput: <requests/s>`.
"""
import argparse
import multiprocessing as mp

import recipes


def worker(index, how, requests, shared):
    recipes.in_worker(how, index + 1)
    for i in range(requests):
        shared[index] = shared.get(index, 0) + 1


def main():
    p = argparse.ArgumentParser(description=__doc__)
    recipes.add_arguments(p, spare=1)
    p.add_argument("--requests", type=int, default=2_000, help="per worker")
    a = recipes.parse(p)
    recipes.before_pool(a.pin, a.workers + 1)
    with mp.Manager() as m:
        shared = m.dict()
        procs = [mp.Process(target=worker, args=(i, a.pin, a.requests, shared))
                 for i in range(a.workers)]
        took, _ = recipes.run_all(procs)
        total = sum(shared.values())
    assert total == a.requests * a.workers, total
    print(f"throughput: {total / took:.1f} requests/s")


if __name__ == "__main__":
    main()
