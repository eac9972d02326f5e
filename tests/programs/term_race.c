/* Children ended by SIGTERM while they end on their own (a pool's terminate() racing its
 * workers' exit; argv[1] of them, 300 by default), then argv[2] children (10) that live 30 ms.
 * Under pinbench exec a signal that lands while the preload library writes a record must not
 * hold back the records after it: the later children are placed from the log, never found. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int racing = argc > 1 ? atoi(argv[1]) : 300, later = argc > 2 ? atoi(argv[2]) : 10;
    for (int i = 0; i < racing; i++) {
        pid_t p = fork();
        if (p < 0) return 1;
        if (p == 0) _exit(0);
        /* A varying moment, so some signals land in the middle of the child's records. */
        for (volatile int k = 0; k < (i % 50) * 200; k++) {
        }
        kill(p, SIGTERM);
        waitpid(p, 0, 0);
    }
    for (int i = 0; i < later; i++) {
        pid_t p = fork();
        if (p < 0) return 1;
        if (p == 0) {
            struct timespec t = {0, 30000000};
            nanosleep(&t, 0);
            _exit(0);
        }
        waitpid(p, 0, 0);
    }
    return 0;
}
