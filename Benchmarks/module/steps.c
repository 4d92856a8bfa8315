/*
 * steps: what each thing pam_idlewarden does per call costs on this machine, measured alone, so that the module's
 * open+close pair can be accounted for (see Benchmarks/profile-module.sh).
 *
 *   steps ITERATIONS
 *
 * Per step, the median and p99 over ITERATIONS (µs):
 *   syscall        getppid(): one bare system call, the floor of everything below
 *   getsid+getpid  what the module asked the kernel about itself (now only getpid)
 *   getpwnam_r     the user's uid through NSS (here: files, /etc/passwd): the module did this until it left the
 *                  lookup to the daemon; kept to price that change
 *   proc-self-stat open + read + close /proc/self/stat (the process start time): likewise, now the daemon's
 *   send-live      socket + sendto a 104-byte datagram + close, to a socket whose reader (a child process
 *                  blocked in recv, as the daemon is in epoll_wait) is woken by it
 *   send-missing   socket + sendto a path nobody binds (daemon down: ENOENT) + close
 *   syslog         one syslog(3) line to authpriv (what pam_syslog does once when the daemon is down)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

static const char *live;

static void step_syscall(void) { (void)getppid(); }
static void step_ids(void) { (void)getsid(0); (void)getpid(); }
static void step_getpwnam(void) {
    struct passwd entry, *result;
    char buffer[4096];
    getpwnam_r("root", &entry, buffer, sizeof buffer, &result);
}
static void step_stat(void) {
    char buffer[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) {
        while (read(fd, buffer, sizeof buffer) > 0) {}
        close(fd);
    }
}
static void send_to(const char *path) {
    static const char datagram[104] = "IW\1\1";
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un to;
    memset(&to, 0, sizeof to);
    to.sun_family = AF_UNIX;
    strncpy(to.sun_path, path, sizeof to.sun_path - 1);
    sendto(fd, datagram, sizeof datagram, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof to);
    close(fd);
}
static void step_send_live(void) { send_to(live); }

/* A datagram socket with a reader that drains it; returns the reader's pid. */
static pid_t start_reader(const char *path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un at;
    memset(&at, 0, sizeof at);
    at.sun_family = AF_UNIX;
    strncpy(at.sun_path, path, sizeof at.sun_path - 1);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&at, sizeof at) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char buffer[4096];
        for (;;) recv(fd, buffer, sizeof buffer, 0);
    }
    close(fd);
    return pid;
}
static void step_send_missing(void) { send_to("/nonexistent/iwbench/session.sock"); }
static void step_syslog(void) {
    syslog(LOG_AUTHPRIV | LOG_DEBUG, "iwbench steps: one line as pam_syslog writes it");
    closelog(); /* pam_syslog opens and closes the log per call */
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ITERATIONS\n", argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    char path[108];
    snprintf(path, sizeof path, "/tmp/iwbench-steps-%d.sock", (int)getpid());
    live = path;
    pid_t reader = start_reader(path);
    if (reader < 0) {
        perror("reader socket");
        return 1;
    }
    struct { const char *name; void (*run)(void); } steps[] = {
        {"syscall", step_syscall}, {"getsid+getpid", step_ids}, {"getpwnam_r", step_getpwnam},
        {"proc-self-stat", step_stat}, {"send-live", step_send_live}, {"send-missing", step_send_missing},
        {"syslog", step_syslog},
    };
    double *t = malloc((size_t)n * sizeof *t);
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        for (long i = 0; i < 20; i++) steps[s].run();
        long runs = !strcmp(steps[s].name, "syslog") && n > 200 ? 200 : n; /* not too many lines in auth.log */
        for (long i = 0; i < runs; i++) {
            double a = now_us();
            steps[s].run();
            t[i] = now_us() - a;
            if (!strncmp(steps[s].name, "send-live", 9)) usleep(200); /* the reader is asleep again */
        }
        qsort(t, (size_t)runs, sizeof *t, compare);
        printf("step=%s median=%.2f p99=%.2f\n", steps[s].name, t[runs / 2], t[(runs * 99) / 100]);
    }
    kill(reader, SIGKILL);
    waitpid(reader, NULL, 0);
    unlink(path);
    return 0;
}
