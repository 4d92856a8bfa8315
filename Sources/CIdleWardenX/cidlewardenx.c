#define _GNU_SOURCE 1
#include "cidlewardenx.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The few Xlib/Xss types used, declared here so that no X headers are needed to build. */
typedef struct _XDisplay XDisplay;
typedef unsigned long XID;
typedef struct {
    XID window;
    int state;
    int kind;
    unsigned long til_or_since;
    unsigned long idle;
    unsigned long eventMask;
} XssInfo;
typedef int (*x_error_handler)(XDisplay *, void *);
typedef int (*x_io_error_handler)(XDisplay *);

static int ignore_x_error(XDisplay *d, void *e) {
    (void)d;
    (void)e;
    return 0;
}
/* Xlib calls exit() after this returns; leave at once with a code the daemon reads as "query failed". */
static int x_io_error(XDisplay *d) {
    (void)d;
    _exit(3);
}

int iw_x_idle_ms(const char *display, unsigned long *idle_ms, char *err, size_t errlen) {
    void *x11 = dlopen("libX11.so.6", RTLD_NOW | RTLD_LOCAL);
    void *xss = x11 ? dlopen("libXss.so.1", RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!x11 || !xss) {
        snprintf(err, errlen, "cannot load %s: %s", x11 ? "libXss.so.1" : "libX11.so.6", dlerror());
        return -1;
    }
    XDisplay *(*open_display)(const char *) = (XDisplay * (*)(const char *)) dlsym(x11, "XOpenDisplay");
    int (*close_display)(XDisplay *) = (int (*)(XDisplay *))dlsym(x11, "XCloseDisplay");
    XID (*root_window)(XDisplay *) = (XID(*)(XDisplay *))dlsym(x11, "XDefaultRootWindow");
    x_error_handler (*set_error)(x_error_handler) = (x_error_handler(*)(x_error_handler))dlsym(x11, "XSetErrorHandler");
    x_io_error_handler (*set_io_error)(x_io_error_handler) =
        (x_io_error_handler(*)(x_io_error_handler))dlsym(x11, "XSetIOErrorHandler");
    int (*query_extension)(XDisplay *, int *, int *) = (int (*)(XDisplay *, int *, int *))dlsym(xss, "XScreenSaverQueryExtension");
    int (*query_info)(XDisplay *, XID, XssInfo *) = (int (*)(XDisplay *, XID, XssInfo *))dlsym(xss, "XScreenSaverQueryInfo");
    if (!open_display || !close_display || !root_window || !set_error || !set_io_error || !query_extension || !query_info) {
        snprintf(err, errlen, "libX11/libXss lack a needed symbol");
        return -1;
    }
    set_error(ignore_x_error);
    set_io_error(x_io_error);
    XDisplay *d = open_display(display);
    if (!d) {
        snprintf(err, errlen, "cannot open display %s (server gone or no authorization)", display);
        return -2;
    }
    int event_base, error_base;
    if (!query_extension(d, &event_base, &error_base)) {
        snprintf(err, errlen, "display %s has no MIT-SCREEN-SAVER extension", display);
        close_display(d);
        return -3;
    }
    XssInfo info;
    memset(&info, 0, sizeof(info));
    if (!query_info(d, root_window(d), &info)) {
        snprintf(err, errlen, "XScreenSaverQueryInfo failed on %s", display);
        close_display(d);
        return -4;
    }
    *idle_ms = info.idle;
    close_display(d);
    return 0;
}

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* posix_spawn with stdin and stderr on /dev/null, stdout on `stdout_fd` (-1: /dev/null), no signal blocked and
 * every one at its default (the daemon blocks those it reads through signalfd), plus `flags`. */
static int spawn_clean(pid_t *pid, char *const argv[], char *const envp[], int stdout_fd, short flags) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (stdout_fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | flags);
    int rc = posix_spawn(pid, argv[0], &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc;
}

int iw_spawn_capture(char *const argv[], char *const envp[], int timeout_ms, char *out, size_t outlen) {
    int fds[2];
    if (outlen > 0) out[0] = 0;
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid;
    int rc = spawn_clean(&pid, argv, envp, fds[1], 0);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    size_t used = 0;
    long long deadline = monotonic_ms() + timeout_ms;
    int timed_out = 0;
    for (;;) {
        long long left = deadline - monotonic_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        char buf[256];
        ssize_t got = read(fds[0], buf, sizeof(buf));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break; /* EOF: the child closed stdout (normally: exited) */
        for (ssize_t i = 0; i < got && used + 1 < outlen; i++) out[used++] = buf[i];
        if (outlen > 0) out[used] = 0;
    }
    close(fds[0]);
    int status = 0;
    if (timed_out) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -2;
    }
    /* stdout closed: the child is exiting; give it the rest of the deadline, then kill it. */
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) return -1;
        if (monotonic_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            return -2;
        }
        usleep(2000);
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 256 + WTERMSIG(status);
    return -1;
}

int iw_spawn_detached(char *const argv[], char *const envp[]) {
    pid_t pid;
    return spawn_clean(&pid, argv, envp, -1, POSIX_SPAWN_SETSID) == 0 ? pid : -1;
}

int iw_reap(int pid) {
    int status;
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) return 1;
    if (w < 0 && errno == ECHILD) return 1;
    return 0;
}
