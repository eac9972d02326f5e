"""Workers share a `Value` counter (under its lock) and fill their slice of an `Array`.

    pinbench exec -w 2 -- python3 examples/python/shared_value.py

Prints `throughput: <updates/s>`.
"""
import argparse
import multiprocessing as mp

import recipes


def worker(index, how, updates, counter, arr, workers):
    recipes.in_worker(how, index)
    for i in range(updates):
        with counter.get_lock():
            counter.value += 1
        arr[index + workers * (i % 64)] += 1.0


def main():
    p = argparse.ArgumentParser(description=__doc__)
    recipes.add_arguments(p)
    p.add_argument("--updates", type=int, default=50_000, help="per worker")
    a = recipes.parse(p)
    recipes.before_pool(a.pin, a.workers)
    counter = mp.Value("q", 0)
    arr = mp.Array("d", a.workers * 64)
    procs = [mp.Process(target=worker, args=(i, a.pin, a.updates, counter, arr, a.workers))
             for i in range(a.workers)]
    took, _ = recipes.run_all(procs)
    assert counter.value == a.updates * a.workers, counter.value
    print(f"throughput: {counter.value / took:.1f} updates/s")


if __name__ == "__main__":
    main()
