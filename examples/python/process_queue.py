"""One `Process` per worker, results sent back through a `multiprocessing.Queue`.

    pinbench exec -w 2 -- python3 examples/python/process_queue.py

Prints `throughput: <messages/s>`.
"""
import argparse
import multiprocessing as mp

import recipes


def worker(index, how, messages, q):
    recipes.in_worker(how, index)
    for i in range(messages):
        q.put((index, i, sum(range(200))))
    q.put(None)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    recipes.add_arguments(p)
    p.add_argument("--messages", type=int, default=20_000, help="per worker")
    a = recipes.parse(p)
    recipes.before_pool(a.pin, a.workers)
    q = mp.Queue()
    procs = [mp.Process(target=worker, args=(i, a.pin, a.messages, q)) for i in range(a.workers)]

    def consume():
        done = got = 0
        while done < a.workers:
            item = q.get()
            if item is None:
                done += 1
            else:
                got += 1
        return got

    took, got = recipes.run_all(procs, consume)
    print(f"throughput: {got / took:.1f} messages/s")


if __name__ == "__main__":
    main()
