"""numpy's own threads (OpenBLAS's pool, OPENBLAS_NUM_THREADS of them) multiplying matrices;
then the program reads the mask and last CPU of each of its threads from /proc/self/task and
appends them to argv[1], one line per thread, in seen.py's form:

    <strategy>:<main|other> - <tid> <cpus> <last cpu>

(the strategy from PINBENCH_STRATEGY, which pinbench exec sets)."""
import os
import sys

import numpy as np

a = np.random.default_rng(1).random((600, 600))
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 20):
    a = a @ a
    a /= np.abs(a).max()
me = os.getpid()
strategy = os.environ.get("PINBENCH_STRATEGY", "-")
lines = []
for tid in sorted(int(t) for t in os.listdir("/proc/self/task")):
    try:
        status = open(f"/proc/self/task/{tid}/status").read()
        stat = open(f"/proc/self/task/{tid}/stat").read()
    except FileNotFoundError:  # a thread that ended meanwhile
        continue
    cpus = next(l.split(":")[1].strip() for l in status.splitlines()
                if l.startswith("Cpus_allowed_list"))
    last = stat.rsplit(")", 1)[1].split()[36]
    lines.append(f"{strategy}:{'main' if tid == me else 'other'} - {tid} {cpus} {last}\n")
with open(sys.argv[1], "a") as out:
    out.write("".join(lines))
