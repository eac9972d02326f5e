"""Reports what each of its processes saw itself: the CPU mask (`os.sched_getaffinity`) and the
CPU it was running on (field 39 of /proc/self/stat), one line each, appended to the file that
PINBENCH_TEST_SEEN names:

    <role> <PINBENCH_WORKER or -> <pid> <mask, e.g. 0,1> <cpu>

The tests read it (`tests/common`: `read_seen`, `assert_saw`) to check the mask a program ran
under from the program's own side, not from pinbench's records.

    python3 seen.py                                   # the main process reports itself
    python3 seen.py --pool 2 --tasks 6 --maxtasksperchild 2  # and every task of a pool

Standard library only.
"""
import argparse
import multiprocessing as mp
import os


def cpu():
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[36])


def report(role):
    # Busy for a moment first: the CPU read is one the scheduler gave a running process.
    s = 0
    for i in range(100_000):
        s += i
    mask = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    line = f"{role} {os.environ.get('PINBENCH_WORKER', '-')} {os.getpid()} {mask} {cpu()}\n"
    fd = os.open(os.environ["PINBENCH_TEST_SEEN"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())  # one short write with O_APPEND: never torn
    finally:
        os.close(fd)
    return s


def task(_):
    return report("task")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pool", type=int, default=0, help="pool processes (0: none)")
    p.add_argument("--tasks", type=int, default=4)
    p.add_argument("--maxtasksperchild", type=int, default=None)
    a = p.parse_args()
    report("main")
    if a.pool > 0:
        with mp.Pool(a.pool, maxtasksperchild=a.maxtasksperchild) as pool:
            pool.map(task, range(a.tasks), chunksize=1)


if __name__ == "__main__":
    main()
