/* A process that forks is not moved by its children's placement. It pins itself to the last
 * CPU it is allowed (its own choice), forks 100 children that exit at once, waits for each, and
 * appends to the file argv[1] names how often the kernel moved it meanwhile (se.nr_migrations
 * of /proc/thread-self/sched, before and after). Built by tests/exec_forks.rs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long migrations(void) {
    char buf[8192];
    int fd = open("/proc/thread-self/sched", O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strstr(buf, "se.nr_migrations");
    if (!p || !(p = strchr(p, ':'))) return -1;
    return strtol(p + 1, 0, 10);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 3;
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) last = c;
    CPU_ZERO(&set);
    CPU_SET(last, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return 4;
    long before = migrations();
    for (int i = 0; i < 100; i++) {
        pid_t p = fork();
        if (p < 0) return 5;
        if (p == 0) _exit(0);
        if (waitpid(p, 0, 0) != p) return 6;
    }
    long after = migrations();
    FILE *out = fopen(argv[1], "a");
    if (!out || before < 0 || after < 0) return 7;
    fprintf(out, "%ld\n", after - before);
    return fclose(out) == 0 ? 0 : 8;
}
