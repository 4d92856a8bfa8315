/*
 * pam_pairs: COUNT logins, PARALLEL at a time, each one a process of its own that opens and closes one PAM
 * session, as a login program does.
 *
 *   pam_pairs SERVICE USER COUNT PARALLEL
 *
 * PARALLEL workers each fork their share of children one after the other; a child runs pam_start,
 * pam_open_session, pam_close_session and pam_end, and exits 0 if all four succeeded. A worker waits for each
 * child to exit without reaping it (waitid WNOWAIT) and reaps it only WINDOW children later: a login's process
 * must still exist (a zombie keeps its pid and start time) when the daemon reads the login's records, which may
 * wait behind the whole listen backlog (4096 connections, two per login) and, while the backlog is full and logins
 * are spooled, behind everything spooled meanwhile: at full speed, 4 x WINDOW logins are some seconds. A real
 * login program lives that long anyway. 4 x WINDOW stays well below kernel.pid_max (32768 by default). When its share is done, a worker
 * prints "worker=I pairs=N failures=F seconds=S", waits for end of file on its standard input, reaps what is
 * left and exits. The driver exits 0 when every pair succeeded.
 */
#define _GNU_SOURCE
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WINDOW = 2000 };

static int no_conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
    (void)n; (void)msg; (void)resp; (void)data;
    return PAM_CONV_ERR;
}

static int one_login(const char *service, const char *user) {
    struct pam_conv conv = {no_conversation, NULL};
    pam_handle_t *pamh = NULL;
    int rc = pam_start(service, user, &conv, &pamh);
    if (rc != PAM_SUCCESS) return 1;
    int opened = pam_open_session(pamh, 0);
    int closed = opened == PAM_SUCCESS ? pam_close_session(pamh, 0) : opened;
    pam_end(pamh, closed);
    return opened == PAM_SUCCESS && closed == PAM_SUCCESS ? 0 : 1;
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int worker(int index, const char *service, const char *user, long count) {
    pid_t *ring = calloc(WINDOW, sizeof(pid_t));
    if (!ring) return 1;
    long failures = 0, held = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++) {
        long slot = i % WINDOW;
        if (held == WINDOW) {
            failures += reap(ring[slot]);
            held--;
        }
        pid_t child = fork();
        if (child < 0) {
            perror("fork");
            failures++;
            continue;
        }
        if (child == 0) _exit(one_login(service, user));
        siginfo_t info;
        while (waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT) < 0) {}
        ring[slot] = child;
        held++;
    }
    printf("worker=%d pairs=%ld seconds=%.1f\n", index, count, seconds_since(&start));
    fflush(stdout);
    char buffer[64];
    while (read(0, buffer, sizeof(buffer)) > 0) {}
    for (long i = count - held; i < count; i++) failures += reap(ring[i % WINDOW]);
    printf("worker=%d failures=%ld\n", index, failures);
    fflush(stdout);
    return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s SERVICE USER COUNT PARALLEL\n", argv[0]);
        return 2;
    }
    long count = atol(argv[3]), parallel = atol(argv[4]);
    if (count < 1 || parallel < 1) return 2;
    pid_t *workers = calloc((size_t)parallel, sizeof(pid_t));
    if (!workers) return 1;
    for (long w = 0; w < parallel; w++) {
        long share = count / parallel + (w < count % parallel ? 1 : 0);
        workers[w] = fork();
        if (workers[w] < 0) {
            perror("fork");
            return 1;
        }
        if (workers[w] == 0) _exit(worker((int)w, argv[1], argv[2], share));
    }
    int failed = 0;
    for (long w = 0; w < parallel; w++) failed |= reap(workers[w]);
    return failed;
}
