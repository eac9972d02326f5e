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
 * - each of these, each exec, and each exit (a destructor, and _exit/_Exit interposed) is
 *   appended to the table's log with the exiting thread's final counters, which pinbench reads
 *   every tick: its slot rules stay the judge and correct any claim they disagree with.
 *
 * Everything here after a fork is async-signal-safe (system calls and atomics on the shared
 * mapping; no allocation, no stdio, no locks).
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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PB_MAGIC 0x4c504250u /* "PBPL" */
#define PB_VERSION 1u
#define PB_MAX_SLOTS 1024
#define PB_MASK_WORDS 16 /* 1024 CPUs */
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

struct pb_table {
    uint32_t magic, version, nslots, log_cap;
    int32_t root;
    uint32_t has_main;
    uint64_t log_next; /* atomic */
    uint64_t dropped;  /* atomic */
    struct pb_mask main_mask;
    uint32_t has_slot_mask[PB_MAX_SLOTS];
    struct pb_mask slot_mask[PB_MAX_SLOTS];
    int32_t holder[PB_MAX_SLOTS]; /* atomic */
    /* Processes inside a fork, whose forking thread stands on the child's CPUs for the moment:
     * their mask is not a re-pin of their own. */
    int32_t forking[PB_FORKING]; /* atomic */
    struct pb_entry log[];
};

/* The layout src/exec/preload.rs maps: both sides check the same figures. */
_Static_assert(sizeof(struct pb_entry) == 216, "pb_entry layout");
_Static_assert(__builtin_offsetof(struct pb_table, holder) == 135336, "pb_table layout");
_Static_assert(__builtin_offsetof(struct pb_table, forking) == 139432, "pb_table layout");
_Static_assert(__builtin_offsetof(struct pb_table, log) == 140456, "pb_table layout");

static struct pb_table *table;
static void catch_term(void);
/* The process whose exit was logged: a vfork child shares this memory with its parent until it
 * execs, so a flag would silence the parent's own exit. */
static int32_t exit_logged;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void to_cpuset(const struct pb_mask *m, cpu_set_t *s) {
    CPU_ZERO(s);
    for (int w = 0; w < PB_MASK_WORDS; w++)
        for (int b = 0; b < 64; b++)
            if (m->w[w] >> b & 1) CPU_SET(w * 64 + b, s);
}

static void from_cpuset(const cpu_set_t *s, struct pb_mask *m) {
    memset(m, 0, sizeof *m);
    for (int c = 0; c < PB_MASK_WORDS * 64; c++)
        if (CPU_ISSET(c, s)) m->w[c / 64] |= (uint64_t)1 << (c % 64);
}

static void pin_self(const struct pb_mask *m) {
    cpu_set_t s;
    to_cpuset(m, &s);
    sched_setaffinity(0, sizeof s, &s);
}

/* A holder whose process is gone (reaped) leaves its slot free. */
static int gone(int32_t pid) {
    return pid > 0 && kill(pid, 0) == -1 && errno == ESRCH;
}

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

static struct pb_entry *entry(uint32_t kind, int32_t pid, int32_t ppid, int32_t slot) {
    uint64_t i = __atomic_fetch_add(&table->log_next, 1, __ATOMIC_ACQ_REL);
    if (i >= table->log_cap) {
        __atomic_fetch_add(&table->dropped, 1, __ATOMIC_RELAXED);
        return 0;
    }
    struct pb_entry *e = &table->log[i];
    e->kind = kind;
    e->pid = pid;
    e->ppid = ppid;
    e->slot = slot;
    e->ns = now_ns();
    e->run_ns = e->wait_ns = e->user_us = e->system_us = PB_UNKNOWN;
    e->migrations = e->voluntary = e->involuntary = PB_UNKNOWN;
    e->last_cpu = -1;
    return e;
}

static void publish(struct pb_entry *e) {
    if (e) __atomic_store_n(&e->ready, 1, __ATOMIC_RELEASE);
}

/* A new process takes its place: the slot it claims, or the main mask. */
static void place(uint32_t kind) {
    int32_t self = (int32_t)syscall(SYS_getpid);
    int32_t parent = (int32_t)getppid();
    int slot = claim(self, parent);
    if (slot >= 0 && table->has_slot_mask[slot])
        pin_self(&table->slot_mask[slot]);
    else if (slot < 0 && table->has_main)
        pin_self(&table->main_mask);
    publish(entry(kind, self, parent, slot));
}

/* Where this thread said it is inside a fork (index into table->forking), -1 nowhere. */
static __thread int forking_at = -1;
/* This thread's process handed its slot to the child it forks (rule 3): afterwards it runs
 * under the main mask. */
static __thread int handing_down;
/* The slot reserved for the child this thread forks; the child reads it from its copy of
 * this thread's memory. */
static __thread int reserved = -1;

/* Before a fork: the slot the child will take is reserved for it (-parent in the table). The
 * forking thread stays where it is: a process that forks is not moved by its children's
 * placement. (An earlier version stood the forking thread on the child's CPUs for the fork, so
 * the child was born there: that dragged the program's main process onto its workers' CPUs, a
 * placement no strategy asked for, and made a fork loop read 1.11x faster under per-worker
 * where children pinning themselves run it 0.94x as fast.) */
static void before_fork(void) {
    if (!table) return;
    int32_t self = (int32_t)syscall(SYS_getpid);
    forking_at = -1;
    for (int i = 0; i < PB_FORKING && forking_at < 0; i++) {
        int32_t free_ = 0;
        if (__atomic_compare_exchange_n(&table->forking[i], &free_, self, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            forking_at = i;
    }
    handing_down = held_by(self) >= 0;
    reserved = claim(-self, self);
}

static void after_fork_parent(void) {
    if (!table) return;
    reserved = -1;
    if (handing_down && table->has_main) pin_self(&table->main_mask);
    handing_down = 0;
    if (forking_at >= 0) __atomic_store_n(&table->forking[forking_at], 0, __ATOMIC_RELEASE);
    forking_at = -1;
}

/* The child takes the slot reserved for it and moves onto its CPUs, in pthread_atfork's child
 * handler: before fork() returns in it, so before any of the program's code runs there. */
static void forked_child(void) {
    if (!table) return;
    forking_at = -1;
    handing_down = 0;
    int32_t self = (int32_t)syscall(SYS_getpid);
    int32_t parent = (int32_t)getppid();
    int slot = -1;
    int32_t expect = -parent;
    if (reserved >= 0 && (uint32_t)reserved < table->nslots &&
        __atomic_compare_exchange_n(&table->holder[reserved], &expect, self, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        slot = reserved;
    reserved = -1;
    if (slot >= 0 && table->has_slot_mask[slot])
        pin_self(&table->slot_mask[slot]);
    else if (slot < 0 && table->has_main)
        pin_self(&table->main_mask);
    publish(entry(PB_FORK, self, parent, slot));
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

static ssize_t read_file(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return n;
}

/* The exiting thread's final counters, as pinbench would read them from its zombie. */
static void log_exit(void) {
    if (!table) return;
    int32_t self = (int32_t)syscall(SYS_getpid);
    /* The command's own process is pinbench's child: its zombie is read there. */
    if (exit_logged == self || self == table->root) return;
    exit_logged = self;
    struct pb_entry *e = entry(PB_EXIT, self, (int32_t)getppid(), held_by(self));
    if (!e) return;
    /* Its run time, from the clock (no /proc read: a new process's first /proc read costs
     * ~35 us, twice what a short child runs). */
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
        e->run_ns = (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;
    char buf[4096];
    /* Migrations and the wait for a CPU only /proc tells: read where they are worth it. */
    if (e->run_ns != PB_UNKNOWN && e->run_ns >= PB_READ_PROC_NS &&
        read_file("/proc/thread-self/schedstat", buf, sizeof buf) > 0) {
        unsigned long long run = 0, wait = 0;
        char *p = buf;
        run = strtoull(p, &p, 10);
        wait = strtoull(p, &p, 10);
        e->run_ns = run;
        e->wait_ns = wait;
    }
    if (e->wait_ns != PB_UNKNOWN && read_file("/proc/thread-self/sched", buf, sizeof buf) > 0) {
        e->migrations = sched_field(buf, "se.nr_migrations");
        e->voluntary = sched_field(buf, "nr_voluntary_switches");
        e->involuntary = sched_field(buf, "nr_involuntary_switches");
    }
    struct rusage r;
    if (getrusage(RUSAGE_THREAD, &r) == 0) {
        e->user_us = (uint64_t)r.ru_utime.tv_sec * 1000000u + (uint64_t)r.ru_utime.tv_usec;
        e->system_us = (uint64_t)r.ru_stime.tv_sec * 1000000u + (uint64_t)r.ru_stime.tv_usec;
    }
    e->last_cpu = sched_getcpu();
    /* The moment it reads its mask, which pinbench may be moving. */
    e->ns = now_ns();
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof s, &s) == 0) from_cpuset(&s, &e->mask);
    publish(e);
}

__attribute__((constructor)) static void pb_start(void) {
    const char *path = getenv("PINBENCH_PRELOAD_TABLE");
    if (!path || !*path) return;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(struct pb_table)) {
        close(fd);
        return;
    }
    void *m = mmap(0, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return;
    struct pb_table *t = m;
    if (t->magic != PB_MAGIC || t->version != PB_VERSION || t->nslots > PB_MAX_SLOTS) {
        munmap(m, (size_t)st.st_size);
        return;
    }
    table = t;
    pthread_atfork(before_fork, after_fork_parent, forked_child);
    catch_term();
    int32_t self = (int32_t)syscall(SYS_getpid);
    if (self == table->root) {
        publish(entry(PB_EXEC, self, (int32_t)getppid(), -1));
    } else if (held_by(self) >= 0) {
        /* Placed at its fork: an exec keeps its mask. */
        publish(entry(PB_EXEC, self, (int32_t)getppid(), held_by(self)));
    } else {
        /* Started by vfork or posix_spawn (no fork handler ran), or by a process pinbench's
         * library is not in: placed now, before main. */
        place(PB_EXEC_PLACED);
    }
}

__attribute__((destructor)) static void pb_end(void) { log_exit(); }

/* SIGTERM with its default action (a Pool's terminate(), a supervisor's stop) ends a process
 * without any exit path above: its counters are logged, then it dies of the signal as it
 * would have. Installed only where the action is the default; a program that sets its own
 * replaces it. */
static void on_term(int sig) {
    log_exit();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_term(void) {
    struct sigaction old;
    if (sigaction(SIGTERM, 0, &old) != 0 || old.sa_handler != SIG_DFL) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, 0);
}

void _exit(int status) {
    log_exit();
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

void _Exit(int status) {
    log_exit();
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}
