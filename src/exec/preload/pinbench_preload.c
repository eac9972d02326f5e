/*
 * pinbench's preload library: places the processes of a program that `pinbench exec` runs
 * from inside, with no ptrace stop. Loaded through LD_PRELOAD into every dynamically linked
 * process of the tree, it shares one table with pinbench (a file in /dev/shm named by
 * PINBENCH_PRELOAD_TABLE, laid out as in src/exec/preload.rs):
 *
 * - a process about to fork reserves the slot its child will take by the rules of
 *   src/exec/slots.rs 2 and 3 (its own slot if it holds one: the work moves to the child; else
 *   the lowest free one; else none, under the main mask); the child takes the slot and moves
 *   onto its CPUs in pthread_atfork's child handler, before fork() returns in it (the parent
 *   is not moved); a process that exec'd without a fork handler (vfork, posix_spawn) claims a
 *   slot and sets its own mask in its constructor, before main;
 * - each of these, each exec of the command's own process, and each exit (a destructor, and
 *   _exit/_Exit interposed, with the exiting thread's final counters) is appended to the
 *   table's log, which pinbench reads every tick: its slot rules stay the judge and correct any
 *   claim they disagree with. (Another process's exec keeps the mask it was given at its fork;
 *   pinbench reads its new command line in /proc.)
 *
 * Everything here after a fork is async-signal-safe (system calls and atomics on the shared
 * mapping; no allocation, no stdio, no locks; signal() and raise() only to end a process by a
 * SIGTERM that came while it wrote a record).
 *
 * It is also cheap for a child, which pays in page faults, not instructions: a forked child's
 * page tables start empty for every file page and every shared page, and each page it touches
 * first costs a fault (2-4 us on a KVM guest). So the paths a child runs (the fork handler,
 * the exit record, the constructor) make their system calls themselves (no libc function,
 * whose page and lazy binding the child would fault in), read the mask the parent copied for
 * it into thread-local memory the fork already copied, keep their stack small, and find the
 * table's hot words (counters and slot holders) on its first page. A parent, likewise, writes
 * its thread-local words only where they change: after a fork every page it shares with the
 * child is copied at its first store. Measured on a loop of bare forks: 14 faults and 52 us of
 * CPU more per child than run directly at first, 2 and 18 after the above, none more with the
 * parent's stores gone (docs/exec.md, "What tracing costs").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PB_MAGIC 0x4c504250u /* "PBPL" */
#define PB_VERSION 2u
#define PB_MAX_SLOTS 1024
#define PB_MASK_WORDS 16 /* 1024 CPUs: the kernel's cpu_set_t, word for word */
#define PB_FORKING 256
#define PB_UNKNOWN UINT64_MAX
/* A process that ran less CPU time than this exits without reading /proc for its migrations
 * and wait (pinbench counts it unread); its run time is still reported. */
#define PB_READ_PROC_NS 2000000u

/* An exec that placed a process nothing placed before is PB_EXEC_PLACED. */
enum { PB_FORK = 1, PB_EXEC = 2, PB_EXIT = 3, PB_EXEC_PLACED = 4 };

struct pb_mask {
    uint64_t w[PB_MASK_WORDS];
};

struct pb_entry {
    uint32_t kind;
    int32_t pid;
    int32_t ppid;
    int32_t slot; /* the slot it holds after the event, -1 none */
    uint64_t ns;  /* CLOCK_MONOTONIC */
    uint64_t run_ns, wait_ns;
    uint64_t user_us, system_us;
    uint64_t migrations, voluntary, involuntary;
    int32_t last_cpu;
    uint32_t ready; /* written last, with release order */
    struct pb_mask mask;
};

/* What a new process touches comes first: the counters and the holders share the first page
 * (up to 1,008 slots); the masks, read by the parent before a fork, come after. */
struct pb_table {
    uint32_t magic, version, nslots, log_cap;
    int32_t root;
    uint32_t has_main;
    uint64_t log_next; /* atomic */
    uint64_t dropped;  /* atomic */
    uint32_t spare[6];
    int32_t holder[PB_MAX_SLOTS]; /* atomic */
    /* Processes inside a fork that hand their slot to the child and move to the main mask:
     * that mask is not a re-pin of their own. */
    int32_t forking[PB_FORKING]; /* atomic */
    uint32_t has_slot_mask[PB_MAX_SLOTS];
    struct pb_mask main_mask;
    struct pb_mask slot_mask[PB_MAX_SLOTS];
    struct pb_entry log[];
};

/* The layout src/exec/preload.rs maps: both sides check the same figures. */
_Static_assert(sizeof(struct pb_entry) == 216, "pb_entry layout");
_Static_assert(__builtin_offsetof(struct pb_table, holder) == 64, "pb_table layout");
_Static_assert(__builtin_offsetof(struct pb_table, forking) == 4160, "pb_table layout");
_Static_assert(__builtin_offsetof(struct pb_table, main_mask) == 9280, "pb_table layout");
_Static_assert(__builtin_offsetof(struct pb_table, log) == 140480, "pb_table layout");
_Static_assert(sizeof(cpu_set_t) == sizeof(struct pb_mask), "a mask is a cpu_set_t");

/* A system call made here, not through libc: a child would fault in libc's page for the
 * wrapper and resolve its lazy binding, costing more than the call. Returns -errno on error. */
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
#else
    long r = syscall(n, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
#endif
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

#define PB_TLS __thread __attribute__((tls_model("initial-exec")))

static struct pb_table *table;
static void catch_term(void);
/* The process whose exit was logged: a vfork child shares this memory with its parent until it
 * exec, so a flag would silence the parent's own exit. Thread-local: the page is the one the
 * fork already copied for the thread's own words, where a global would cost a child a fault. */
static PB_TLS int32_t exit_logged;

static int32_t my_pid(void) { return (int32_t)sys0(SYS_getpid); }

static uint64_t clock_ns(long clock) {
    struct timespec t;
    if (sys2(SYS_clock_gettime, clock, &t) != 0) return PB_UNKNOWN;
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void pin_self(const struct pb_mask *m) {
    sys3(SYS_sched_setaffinity, 0, sizeof *m, m);
}

/* The mask a process holding `slot` runs under (-1, none held: the main mask); none where the
 * plan leaves it where it is. */
static const struct pb_mask *mask_of(int slot) {
    if (slot >= 0) return table->has_slot_mask[slot] ? &table->slot_mask[slot] : 0;
    return table->has_main ? &table->main_mask : 0;
}

/* A holder whose process is gone (reaped) leaves its slot free. */
static int gone(int32_t pid) { return pid > 0 && sys2(SYS_kill, pid, 0) == -ESRCH; }

/* The slot `self` takes as a new process of `parent` (rules 2 and 3), -1 for none. `self` is
 * negative for a reservation a parent makes for the child it is about to fork (-its pid),
 * which counts as held until that child takes it (or its maker is gone). */
static int claim(int32_t self, int32_t parent) {
    uint32_t n = table->nslots;
    for (uint32_t k = 0; k < n; k++) {
        int32_t h = __atomic_load_n(&table->holder[k], __ATOMIC_ACQUIRE);
        if (h == parent &&
            __atomic_compare_exchange_n(&table->holder[k], &h, self, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return (int)k;
    }
    for (uint32_t k = 0; k < n; k++) {
        int32_t h = __atomic_load_n(&table->holder[k], __ATOMIC_ACQUIRE);
        if ((h == 0 || gone(h < 0 ? -h : h)) &&
            __atomic_compare_exchange_n(&table->holder[k], &h, self, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return (int)k;
    }
    return -1;
}

static int held_by(int32_t self) {
    for (uint32_t k = 0; k < table->nslots; k++)
        if (__atomic_load_n(&table->holder[k], __ATOMIC_ACQUIRE) == self) return (int)k;
    return -1;
}

/* The process whose thread is writing a record (from taking its place in the log to
 * publishing it; a pid, as a vfork child shares its parent's thread-local memory), and a
 * SIGTERM that came meanwhile. pinbench reads the log in order: a record left unfinished (its
 * writer ended by a signal in the middle) holds back the records after it until pinbench sees
 * its writer gone, and what it said is lost. So our own SIGTERM handler, when it runs on the
 * thread writing, lets the record be finished first. (A SIGTERM taken by another thread of
 * the process, a SIGKILL, or a program's own handler still end it in the middle: pinbench
 * passes over the record then.) */
static PB_TLS volatile sig_atomic_t in_record;
static PB_TLS volatile sig_atomic_t term_pending;

/* `pid` is the writer's own. */
static struct pb_entry *entry(uint32_t kind, int32_t pid, int32_t ppid, int32_t slot) {
    in_record = pid;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint64_t i = __atomic_fetch_add(&table->log_next, 1, __ATOMIC_ACQ_REL);
    if (i >= table->log_cap) {
        __atomic_fetch_add(&table->dropped, 1, __ATOMIC_RELAXED);
        in_record = 0;
        return 0;
    }
    struct pb_entry *e = &table->log[i];
    e->kind = kind;
    e->pid = pid;
    e->ppid = ppid;
    e->slot = slot;
    e->ns = 0; /* set by the events whose moment pinbench reads: an exec, an exit */
    e->run_ns = e->wait_ns = e->user_us = e->system_us = PB_UNKNOWN;
    e->migrations = e->voluntary = e->involuntary = PB_UNKNOWN;
    e->last_cpu = -1;
    return e;
}

static void publish(struct pb_entry *e) {
    if (e) __atomic_store_n(&e->ready, 1, __ATOMIC_RELEASE);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    in_record = 0;
}

static void log_exit(void);
static void term_now(int sig);

/* A SIGTERM that came while a record was written takes effect now, as it would have then. */
static void after_record(void) {
    if (!term_pending) return;
    int sig = term_pending;
    term_pending = 0;
    log_exit();
    term_now(sig);
}

/* A new process takes its place: the slot it claims, or the main mask. */
static void place(uint32_t kind) {
    int32_t self = my_pid();
    int32_t parent = (int32_t)sys0(SYS_getppid);
    int slot = claim(self, parent);
    const struct pb_mask *m = mask_of(slot);
    if (m) pin_self(m);
    struct pb_entry *e = entry(kind, self, parent, slot);
    if (e) e->ns = clock_ns(CLOCK_MONOTONIC);
    publish(e);
    after_record();
}

/* A thread-local word stored only where it changes (see before_fork). */
static inline void set_tls(int *at, int v) {
    if (*at != v) *at = v;
}

static int same_mask(const struct pb_mask *a, const struct pb_mask *b) {
    for (int w = 0; w < PB_MASK_WORDS; w++)
        if (a->w[w] != b->w[w]) return 0;
    return 1;
}

/* Where this thread said it is inside a fork (index into table->forking), -1 nowhere. */
static PB_TLS int forking_at = -1;
/* This thread's process handed its slot to the child it forks (rule 3): afterwards it runs
 * under the main mask. */
static PB_TLS int handing_down;
/* What the child of this thread's fork reads from its copy of this thread's memory: the slot
 * reserved for it, its parent, and the mask it takes (copied here before the fork, so the
 * child reads no mask page of the table). */
static PB_TLS int reserved = -1;
static PB_TLS int32_t fork_parent;
static PB_TLS int child_pins;
static PB_TLS struct pb_mask child_mask;

/* Before a fork: the slot the child will take is reserved for it (-parent in the table). The
 * forking thread stays where it is: a process that forks is not moved by its children's
 * placement. (An earlier version stood the forking thread on the child's CPUs for the fork, so
 * the child was born there: that dragged the program's main process onto its workers' CPUs, a
 * placement no strategy asked for, and made a fork loop read 1.11x faster under per-worker
 * where children pinning themselves run it 0.94x as fast.) */
static void before_fork(void) {
    if (!table) return;
    int32_t self = my_pid();
    int at = -1;
    int hands = held_by(self) >= 0;
    if (hands)
        for (int i = 0; i < PB_FORKING && at < 0; i++) {
            int32_t free_ = 0;
            if (__atomic_compare_exchange_n(&table->forking[i], &free_, self, 0,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                at = i;
        }
    int slot = claim(-self, self);
    const struct pb_mask *m = mask_of(slot);
    /* Written only where they change: the fork left this page shared with the last child, and
     * a store costs a fault and a copy of it; a loop of forks from one place writes nothing. */
    set_tls(&forking_at, at);
    set_tls(&handing_down, hands);
    set_tls(&reserved, slot);
    set_tls(&fork_parent, self);
    set_tls(&child_pins, m != 0);
    if (m && !same_mask(&child_mask, m)) child_mask = *m;
}

static void after_fork_parent(void) {
    if (!table) return;
    /* `reserved` stays: only a child of the next fork reads it, and before_fork sets it first. */
    if (handing_down && table->has_main) {
        /* It handed its slot down and waits under the main mask, unless pinbench's rules gave
         * the slot back meanwhile (they set the holder, then the mask): looked at before and
         * after its own move, so whichever of the two moves comes last is the rules'. */
        int32_t self = my_pid();
        int k = held_by(self);
        if (k < 0) {
            pin_self(&table->main_mask);
            k = held_by(self);
        }
        const struct pb_mask *m = k >= 0 ? mask_of(k) : 0;
        if (m) pin_self(m);
    }
    set_tls(&handing_down, 0);
    if (forking_at >= 0) {
        __atomic_store_n(&table->forking[forking_at], 0, __ATOMIC_RELEASE);
        forking_at = -1;
    }
}

/* The child takes the slot reserved for it and moves onto its CPUs, in pthread_atfork's child
 * handler: before fork() returns in it, so before any of the program's code runs there. */
static void forked_child(void) {
    if (!table) return;
    set_tls(&forking_at, -1);
    set_tls(&handing_down, 0);
    int32_t self = my_pid();
    int32_t parent = fork_parent;
    int slot = -1;
    int32_t expect = -parent;
    if (reserved >= 0 && (uint32_t)reserved < table->nslots &&
        __atomic_compare_exchange_n(&table->holder[reserved], &expect, self, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        slot = reserved;
    /* Its copy of the reserved slot's mask; a reservation lost (its maker counted as gone)
     * leaves it with none: the main mask, read from the table. */
    const struct pb_mask *m = slot == reserved ? (child_pins ? &child_mask : 0) : mask_of(slot);
    if (m) pin_self(m);
    set_tls(&reserved, -1);
    publish(entry(PB_FORK, self, parent, slot));
    after_record();
}

/* The numbers of a `/proc/thread-self/sched` line `key ... : value`. */
static uint64_t sched_field(const char *text, const char *key) {
    const char *p = strstr(text, key);
    if (!p) return PB_UNKNOWN;
    p = strchr(p, ':');
    if (!p) return PB_UNKNOWN;
    p++;
    while (*p == ' ') p++;
    uint64_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    return digits ? v : PB_UNKNOWN;
}

static long read_file(const char *path, char *buf, size_t size) {
    long fd = sys3(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    long n = sys3(SYS_read, fd, buf, size - 1);
    sys1(SYS_close, fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return n;
}

/* Migrations and the wait for a CPU, which only /proc tells: read where they are worth it (a
 * new process's first /proc read costs ~35 us). Out of line, so its page of stack is touched
 * only by a process that reads. */
__attribute__((noinline)) static void read_proc(struct pb_entry *e) {
    char buf[4096];
    if (read_file("/proc/thread-self/schedstat", buf, sizeof buf) > 0) {
        char *p = buf;
        e->run_ns = strtoull(p, &p, 10);
        e->wait_ns = strtoull(p, &p, 10);
    }
    if (e->wait_ns != PB_UNKNOWN && read_file("/proc/thread-self/sched", buf, sizeof buf) > 0) {
        e->migrations = sched_field(buf, "se.nr_migrations");
        e->voluntary = sched_field(buf, "nr_voluntary_switches");
        e->involuntary = sched_field(buf, "nr_involuntary_switches");
    }
}

/* The exit record this thread is writing: one a signal handler cuts short by ending the
 * process is published void (see log_exit). */
static PB_TLS struct pb_entry *writing;

/* The exiting thread's final counters, as pinbench would read them from its zombie. */
static void log_exit(void) {
    if (!table) return;
    int32_t self = my_pid();
    /* The command's own process is pinbench's child: its zombie is read there. */
    if (self == table->root) return;
    if (exit_logged == self) {
        /* Entered again from a signal handler that ends the process while the record is
         * being written (a program's own handler calling _exit): the unfinished record goes
         * out as void, so the records after it are read. */
        struct pb_entry *w = writing;
        writing = 0;
        if (w && !__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE)) {
            w->kind = 0;
            publish(w);
        }
        return;
    }
    exit_logged = self;
    struct pb_entry *e = entry(PB_EXIT, self, 0, held_by(self));
    if (!e) return;
    writing = e;
    /* Its run time: user + system, which the kernel scales to add up to the thread's exact
     * run time (to the microsecond); /proc's nanoseconds replace it where it is read. */
    struct rusage r;
    if (sys2(SYS_getrusage, RUSAGE_THREAD, &r) == 0) {
        e->user_us = (uint64_t)r.ru_utime.tv_sec * 1000000u + (uint64_t)r.ru_utime.tv_usec;
        e->system_us = (uint64_t)r.ru_stime.tv_sec * 1000000u + (uint64_t)r.ru_stime.tv_usec;
        e->run_ns = (e->user_us + e->system_us) * 1000u;
        if (e->run_ns >= PB_READ_PROC_NS) read_proc(e);
    }
    unsigned cpu;
    if (sys3(SYS_getcpu, &cpu, 0, 0) == 0) e->last_cpu = (int32_t)cpu;
    /* The moment it reads its mask, which pinbench may be moving. */
    e->ns = clock_ns(CLOCK_MONOTONIC);
    long n = sys3(SYS_sched_getaffinity, 0, sizeof e->mask, &e->mask);
    for (long w = n > 0 ? n / 8 : 0; w < PB_MASK_WORDS; w++) e->mask.w[w] = 0;
    publish(e);
    writing = 0;
}

/* A signal's default action, taken now. */
static void term_now(int sig) {
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The table's path from the environment glibc hands a constructor (no getenv: one libc
 * function fewer to bind in every process). */
static const char *table_path(char **envp) {
    static const char key[] = "PINBENCH_PRELOAD_TABLE=";
    for (char **e = envp; e && *e; e++) {
        const char *v = *e;
        size_t i = 0;
        while (key[i] && v[i] == key[i]) i++;
        if (!key[i]) return v + i;
    }
    return 0;
}

__attribute__((constructor)) static void pb_start(int argc, char **argv, char **envp) {
    (void)argc;
    (void)argv;
    const char *path = table_path(envp);
    if (!path || !*path) return;
    long fd = sys3(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (sys2(SYS_fstat, fd, &st) != 0 || (size_t)st.st_size < sizeof(struct pb_table)) {
        sys1(SYS_close, fd);
        return;
    }
    long m = sys6(SYS_mmap, 0, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    sys1(SYS_close, fd);
    if (m < 0 && m > -4096) return;
    struct pb_table *t = (struct pb_table *)m;
    if (t->magic != PB_MAGIC || t->version != PB_VERSION || t->nslots > PB_MAX_SLOTS) {
        sys2(SYS_munmap, m, st.st_size);
        return;
    }
    table = t;
    pthread_atfork(before_fork, after_fork_parent, forked_child);
    catch_term();
    int32_t self = my_pid();
    if (self == table->root) {
        /* The command's own process: the moment it started is where its run begins. */
        struct pb_entry *e = entry(PB_EXEC, self, (int32_t)sys0(SYS_getppid), -1);
        if (e) e->ns = clock_ns(CLOCK_MONOTONIC);
        publish(e);
        after_record();
    } else if (held_by(self) < 0) {
        /* Started by vfork or posix_spawn (no fork handler ran), or by a process pinbench's
         * library is not in: placed now, before main. */
        place(PB_EXEC_PLACED);
    }
    /* Else it was placed at its fork and an exec keeps its mask: nothing to log (pinbench
     * reads the new command line in /proc). */
}

/* exit(): the record, then a SIGTERM that came while it was written takes effect, as it would
 * have in the destructors and atexit handlers still to run. */
__attribute__((destructor)) static void pb_end(void) {
    log_exit();
    after_record();
}

/* SIGTERM with its default action (a Pool's terminate(), a supervisor's stop) ends a process
 * without any exit path above: its counters are logged, then it dies of the signal as it
 * would have. Installed only where the action is the default; a program that sets its own
 * replaces it. */
static void on_term(int sig) {
    /* In the middle of a record: it is finished first, and the signal waits for it. */
    if (in_record && in_record == my_pid()) {
        term_pending = sig;
        return;
    }
    log_exit();
    term_now(sig);
}

static void catch_term(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term; /* sa_mask empty: zeroed */
    sa.sa_flags = SA_RESTART;
    /* One call sets it and tells what was there; one the program inherited is put back. */
    if (sigaction(SIGTERM, &sa, &old) == 0 && old.sa_handler != SIG_DFL)
        sigaction(SIGTERM, &old, 0);
}

/* _exit and _Exit end the process with the program's status once the record is out; a
 * SIGTERM that came while it was written is dropped, as it would have been had the record
 * not delayed the exit. */
__attribute__((visibility("default"))) void _exit(int status) {
    log_exit();
    term_pending = 0;
    sys1(SYS_exit_group, status);
    __builtin_unreachable();
}

__attribute__((visibility("default"))) void _Exit(int status) {
    log_exit();
    term_pending = 0;
    sys1(SYS_exit_group, status);
    __builtin_unreachable();
}
