/* A thread other than the main one execs this program again ("after"): the kernel gives it the
 * main thread's id and its own id vanishes without a death report. The new program then starts
 * two threads, each of which reads its own mask first (its CPUs are printed, a line each) and
 * waits for the other. Under `exec --workers-are threads -w 2` the vanished thread must not keep
 * a slot. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *self;
static pthread_barrier_t both;

static void *execer(void *arg) {
    (void)arg;
    execl(self, self, "after", (char *)0);
    return 0;
}

static void *report(void *arg) {
    cpu_set_t set;
    char *line = arg;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < 1000; c++)
        if (CPU_ISSET(c, &set)) n += snprintf(line + n, 1024 - n, "%d,", c);
    if (n > 0) line[n - 1] = 0;
    pthread_barrier_wait(&both); /* both live: each holds a slot of its own */
    return 0;
}

int main(int argc, char **argv) {
    self = argv[0];
    pthread_t t[2];
    if (argc < 2) {
        if (pthread_create(&t[0], 0, execer, 0) != 0) return 2;
        pthread_join(t[0], 0); /* never returns: the exec replaces the whole process */
        return 3;
    }
    usleep(200000); /* a few of the tracer's ticks after the exec */
    static char lines[2][1024];
    pthread_barrier_init(&both, 0, 2);
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], 0, report, lines[i]) != 0) return 4;
    for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
    printf("%s\n%s\n", lines[0], lines[1]);
    return 0;
}
