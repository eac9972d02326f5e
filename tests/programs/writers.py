"""Several processes writing many lines to stdout at once, each line numbered by its writer:

    python3 writers.py --writers 4 --lines 20000
"""
import argparse
import multiprocessing as mp
import sys


def write(i, lines):
    out = sys.stdout
    for j in range(lines):
        out.write(f"writer {i} line {j}\n")
    out.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--lines", type=int, default=20000)
    a = p.parse_args()
    ps = [mp.Process(target=write, args=(i, a.lines)) for i in range(a.writers)]
    for x in ps:
        x.start()
    for x in ps:
        x.join()


if __name__ == "__main__":
    main()
