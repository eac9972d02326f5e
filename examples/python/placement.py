"""Where a task ran, read from inside it: its process, the CPUs its mask allows and the CPU it
was on, so that a run (or a test reading its output) can check the placement without trusting
the plan. Standard library only; Linux.
"""
import os


def current_cpu():
    """The CPU this process last ran on (field 39 of /proc/self/stat); -1 without /proc."""
    try:
        with open("/proc/self/stat") as f:
            stat = f.read()
    except OSError:
        return -1
    # Field 2, the command name, may hold spaces: count from its closing parenthesis (field 3).
    return int(stat.rpartition(")")[2].split()[36])


def mask():
    """The CPUs this process may run on, sorted."""
    return sorted(os.sched_getaffinity(0))


def run(work, *args):
    """Calls `work(*args)` and returns `(its result, report)`: the report is the pid, the mask
    read before the work, the mask and CPU read after it."""
    before = mask()
    result = work(*args)
    return result, (os.getpid(), before, mask(), current_cpu())


def busy(n):
    """n loop iterations of integer arithmetic: a CPU-bound task."""
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


def busy_task(n):
    """One CPU-bound task with its placement report (the pools' recipes share it)."""
    return run(busy, n)


def cpus(cpu_list):
    return ",".join(map(str, cpu_list))


def print_reports(reports):
    """One line per task, then `single-cpu masks: K/N tasks ...`: a task counts when its mask was
    one CPU before and after its work (it ran on that CPU throughout)."""
    single = 0
    for i, (pid, before, after, cpu) in enumerate(reports):
        m = cpus(before) if before == after else f"{cpus(before)} -> {cpus(after)}"
        print(f"task {i}: pid {pid} cpu {cpu} mask {m}")
        single += len(before) == 1 and before == after
    pids = len({r[0] for r in reports})
    print(f"single-cpu masks: {single}/{len(reports)} tasks, in {pids} processes")
