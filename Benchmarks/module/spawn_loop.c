/*
 * spawn_loop: whole-process runs of pamtester, services interleaved one run at a time, so that a change in the
 * machine's load (other builds, other tests) hits every service alike. hyperfine runs all of one command, then
 * all of the next; this is the drift-free complement.
 *
 *   spawn_loop ROUNDS SERVICE...
 *
 * Each round runs `pamtester SERVICE root open_session close_session` once per SERVICE, in a rotating order, and
 * times fork+exec+exit with CLOCK_MONOTONIC. The first round is a warm-up. Output, one line per service (ms):
 *   service=NAME n=N min= median= p99= mean= failures=F
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "timing.h"

extern char **environ;

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ROUNDS SERVICE...\n", argv[0]);
        return 2;
    }
    long rounds = atol(argv[1]);
    int services = argc - 2;
    double **t = calloc((size_t)services, sizeof *t);
    long *failures = calloc((size_t)services, sizeof *failures);
    for (int s = 0; s < services; s++) t[s] = malloc((size_t)rounds * sizeof(double));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    long n = 0;
    for (long r = 0; r < rounds; r++) {
        for (int k = 0; k < services; k++) {
            int s = (int)((k + r) % services);
            char *args[] = {"pamtester", argv[2 + s], "root", "open_session", "close_session", NULL};
            pid_t pid;
            int status = 0;
            double a = (now_us() / 1e3);
            if (posix_spawnp(&pid, "pamtester", &actions, NULL, args, environ) != 0) return 1;
            waitpid(pid, &status, 0);
            double b = (now_us() / 1e3);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failures[s]++;
            if (r > 0) t[s][r - 1] = b - a;
        }
        if (r > 0) n++;
    }
    for (int s = 0; s < services; s++) {
        double sum = 0;
        for (long i = 0; i < n; i++) sum += t[s][i];
        qsort(t[s], (size_t)n, sizeof(double), compare);
        long p99 = (long)(0.99 * (double)n + 0.999999);
        if (p99 < 1) p99 = 1;
        printf("service=%s n=%ld min=%.3f median=%.3f p99=%.3f mean=%.3f failures=%ld\n", argv[2 + s], n, t[s][0],
               t[s][n / 2], t[s][p99 - 1], n ? sum / (double)n : 0, failures[s]);
    }
    return 0;
}
