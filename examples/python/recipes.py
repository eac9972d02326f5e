"""How Python programs pin themselves today, as the blog posts and answers write it.

Every example takes --pin with one of these. With `--pin from-strategy` the recipe comes from
the label of pinbench's strategy (PINBENCH_STRATEGY, `none@index` -> `index`), so one sweep
compares "the program pins itself as the recipe says" (`-s none@index`), "pinbench pins from
outside" (`-s per-worker`) and "nobody pins" (`-s none`):

    pinbench exec -s none -s none@index -s none@modulo -s none@parent-mask -s per-worker \
        -- python3 examples/python/pool.py --pin from-strategy

Standard library only.
"""
import os
import time

RECIPES = ("none", "index", "modulo", "parent-mask")


def recipe(how):
    """The recipe to follow: `how`, or with `from-strategy` the label of pinbench's strategy."""
    if how != "from-strategy":
        return how
    label = os.environ.get("PINBENCH_STRATEGY", "").partition("@")[2]
    return label if label in RECIPES else "none"


def workers_default():
    """The worker count pinbench asks for (PINBENCH_WORKERS), else the CPUs we may use."""
    return int(os.environ.get("PINBENCH_WORKERS", len(os.sched_getaffinity(0))))


def before_pool(how, workers):
    """The parent's part: `taskset -p -c 0,1 <pid>` on the parent so its children inherit."""
    if how == "parent-mask":
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, allowed[: max(1, min(workers, len(allowed)))])


def in_worker(how, index):
    """The worker's part, first thing inside it."""
    if how == "index":
        # psutil.Process().cpu_affinity([i]) with i the i-th allowed CPU.
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, [allowed[index % len(allowed)]])
    elif how == "modulo":
        # The `i % os.cpu_count()` recipe: right only when the allowed CPUs are 0..n-1.
        os.sched_setaffinity(0, [index % os.cpu_count()])


def worker_index():
    """This pool worker's index (multiprocessing numbers its children from 1)."""
    import multiprocessing as mp

    ident = mp.current_process()._identity
    return (ident[0] - 1) if ident else 0


def add_arguments(parser, spare=0):
    """--workers (default: pinbench's slots less `spare` processes of the program's own) and
    --pin."""
    parser.add_argument("--workers", type=int, default=max(1, workers_default() - spare))
    parser.add_argument("--pin", choices=RECIPES + ("from-strategy",), default="none",
                        help="pin the way a recipe does, from inside the program")


def parse(parser):
    """Parses the arguments, the recipe resolved (see `recipe`)."""
    args = parser.parse_args()
    args.pin = recipe(args.pin)
    return args


def run_all(workers, during=None):
    """Starts every worker (a Process or a Thread), runs `during()` meanwhile (a consumer's
    loop) and joins them; returns the seconds from the first start to the last join."""
    start = time.perf_counter()
    for w in workers:
        w.start()
    result = during() if during else None
    for w in workers:
        w.join()
    return time.perf_counter() - start, result
