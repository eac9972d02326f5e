/* 100 children forked two at a time; each child's first action is to read its own mask, which it
 * then appends to the file argv[1] names as "<index in its pair> <cpu>,<cpu>,...". Both children
 * of a pair live until their parent has forked them both, so under `exec -w 2` they hold the two
 * slots. Built dynamic and static by tests/exec_forks.rs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(int j, int out, int hold) {
    cpu_set_t set;
    int ok = sched_getaffinity(0, sizeof set, &set) == 0;
    char line[4096];
    int n = snprintf(line, sizeof line, "%d ", j);
    for (int c = 0; ok && c < CPU_SETSIZE && n < (int)sizeof line - 16; c++)
        if (CPU_ISSET(c, &set)) n += snprintf(line + n, sizeof line - n, "%d,", c);
    line[n - 1] = '\n';
    if (write(out, line, n) != n) _exit(1);
    char b;
    while (read(hold, &b, 1) > 0) {}
    _exit(ok ? 0 : 1);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    int out = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (out < 0) return 2;
    for (int i = 0; i < 50; i++) {
        int hold[2];
        if (pipe(hold) != 0) return 3;
        pid_t p[2];
        for (int j = 0; j < 2; j++) {
            p[j] = fork();
            if (p[j] < 0) return 4;
            if (p[j] == 0) {
                close(hold[1]);
                child(j, out, hold[0]);
            }
        }
        close(hold[0]);
        close(hold[1]);
        for (int j = 0; j < 2; j++) {
            int st;
            if (waitpid(p[j], &st, 0) != p[j] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 5;
        }
    }
    return 0;
}
