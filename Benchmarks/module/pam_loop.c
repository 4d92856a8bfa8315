/*
 * pam_loop: the cost of one PAM session as a login process pays it, per pam.d service.
 *
 *   pam_loop USER ROUNDS BATCH PAUSE_US SERVICE...
 *
 * For each round, for each SERVICE in turn, BATCH iterations of
 *     pam_start(SERVICE, USER) → pam_open_session → pam_close_session → pam_end
 * are timed with CLOCK_MONOTONIC. pam_start reads /etc/pam.d/SERVICE and dlopens its modules, pam_end dlcloses
 * them, so an iteration includes loading the module; the open+close pair alone is timed too. Services are
 * interleaved in small batches so that a change in background load hits every service alike.
 * The first round is a warm-up and is not recorded. After each iteration the loop sleeps PAUSE_US microseconds
 * (not timed), so that a daemon that registers every open keeps up and every datagram is accepted: logins do
 * not come back to back, and a full socket queue would make the module take its fail-open path instead.
 *
 * Output: one line per service (times in microseconds):
 *   service=NAME n=N iter_min= iter_median= iter_p99= iter_mean= pair_min= pair_median= pair_p99= pair_mean=
 *           iter_faults= pair_faults= errors=E
 * (faults: minor page faults per iteration / per open+close pair, mean: pages of freshly mapped libraries touched).
 * This program loads nothing itself: libpam does, as in sshd, login and su.
 */
#define _GNU_SOURCE
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "timing.h"

static int no_conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
    (void)n; (void)msg; (void)resp; (void)data;
    return PAM_CONV_ERR;
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *sorted, long n, double p) {
    long rank = (long)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static long minor_faults(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

static double mean(const double *v, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += v[i];
    return n ? s / (double)n : 0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s USER ROUNDS BATCH PAUSE_US SERVICE...\n", argv[0]);
        return 2;
    }
    const char *user = argv[1];
    long rounds = atol(argv[2]), batch = atol(argv[3]), pause_us = atol(argv[4]);
    int services = argc - 5;
    if (rounds < 2 || batch < 1) {
        fprintf(stderr, "ROUNDS must be >= 2 (the first is a warm-up), BATCH >= 1\n");
        return 2;
    }
    long capacity = (rounds - 1) * batch;
    double **iter = calloc((size_t)services, sizeof *iter), **pair = calloc((size_t)services, sizeof *pair);
    long *count = calloc((size_t)services, sizeof *count), *errors = calloc((size_t)services, sizeof *errors);
    long *iter_faults = calloc((size_t)services, sizeof *iter_faults);
    long *pair_faults = calloc((size_t)services, sizeof *pair_faults);
    if (!iter || !pair || !count || !errors) return 1;
    for (int s = 0; s < services; s++) {
        iter[s] = malloc((size_t)capacity * sizeof(double));
        pair[s] = malloc((size_t)capacity * sizeof(double));
        if (!iter[s] || !pair[s]) return 1;
    }
    struct pam_conv conv = {no_conversation, NULL};
    for (long r = 0; r < rounds; r++) {
        for (int s = 0; s < services; s++) {
            const char *service = argv[5 + s];
            for (long b = 0; b < batch; b++) {
                pam_handle_t *pamh = NULL;
                long f0 = minor_faults();
                double t0 = now_us();
                int rc = pam_start(service, user, &conv, &pamh);
                long f1 = minor_faults();
                double t1 = now_us();
                int rc_open = rc == PAM_SUCCESS ? pam_open_session(pamh, 0) : rc;
                int rc_close = rc == PAM_SUCCESS ? pam_close_session(pamh, 0) : rc;
                double t2 = now_us();
                long f2 = minor_faults();
                if (rc == PAM_SUCCESS) pam_end(pamh, rc_close);
                double t3 = now_us();
                long f3 = minor_faults();
                if (rc != PAM_SUCCESS || rc_open != PAM_SUCCESS || rc_close != PAM_SUCCESS) {
                    if (errors[s]++ == 0)
                        fprintf(stderr, "%s: pam_start=%d open=%d close=%d\n", service, rc, rc_open, rc_close);
                }
                if (pause_us > 0) {
                    struct timespec pause = {pause_us / 1000000, (pause_us % 1000000) * 1000};
                    nanosleep(&pause, NULL);
                }
                if (r == 0) continue; /* warm-up */
                iter[s][count[s]] = t3 - t0;
                pair[s][count[s]] = t2 - t1;
                iter_faults[s] += f3 - f0;
                pair_faults[s] += f2 - f1;
                count[s]++;
            }
        }
    }
    for (int s = 0; s < services; s++) {
        long n = count[s];
        double im = mean(iter[s], n), pm = mean(pair[s], n);
        qsort(iter[s], (size_t)n, sizeof(double), compare);
        qsort(pair[s], (size_t)n, sizeof(double), compare);
        printf("service=%s n=%ld iter_min=%.1f iter_median=%.1f iter_p99=%.1f iter_mean=%.1f "
               "pair_min=%.2f pair_median=%.2f pair_p99=%.2f pair_mean=%.2f iter_faults=%.1f pair_faults=%.1f "
               "errors=%ld\n",
               argv[5 + s], n, iter[s][0], percentile(iter[s], n, 50), percentile(iter[s], n, 99), im,
               pair[s][0], percentile(pair[s], n, 50), percentile(pair[s], n, 99), pm,
               n ? (double)iter_faults[s] / (double)n : 0, n ? (double)pair_faults[s] / (double)n : 0, errors[s]);
    }
    return 0;
}
