/*
 * The clock and sorting helpers shared by the module benchmarks (pam_loop.c, spawn_loop.c, steps.c).
 */
#ifndef IDLEWARDEN_BENCH_TIMING_H
#define IDLEWARDEN_BENCH_TIMING_H

#include <time.h>

/* CLOCK_MONOTONIC in microseconds. */
static inline double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* qsort comparator for doubles, ascending. */
static inline int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
