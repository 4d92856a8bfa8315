/*
 * steps: what each thing pam_idlewarden does per call costs on this machine, measured alone, so that the module's
 * open+close pair can be accounted for (see Benchmarks/profile-module.sh).
 *
 *   steps ITERATIONS [SPOOL_PARENT]
 *
 * Per step, the median and p99 over ITERATIONS (µs):
 *   syscall        getppid(): one bare system call, the floor of everything below
 *   getsid+getpid  what the module asked the kernel about itself (now only getpid)
 *   getpwnam_r     the user's uid through NSS (here: files, /etc/passwd): the module did this until it left the
 *                  lookup to the daemon; kept to price that change
 *   proc-self-stat open + read + close /proc/self/stat (the process start time): likewise, now the daemon's
 *   send-live      socket + sendto a 104-byte datagram + close, to a socket whose reader (a child process
 *                  blocked in recv, as the daemon is in epoll_wait) is woken by it: what the module did until it
 *                  connected (kept to price that change)
 *   send-missing   the same to a path nobody binds (daemon down: ENOENT)
 *   deliver-live   what the module does now: SOCK_SEQPACKET socket + non-blocking connect + sendmsg of a 104-byte
 *                  record with explicit credentials (SCM_CREDENTIALS) + close, to a listener whose reader (a child
 *                  blocked in accept) takes the connection and reads the record
 *   deliver-missing  the same to a path nobody binds (daemon down: ENOENT, before the module spools)
 *   spool-write    what the module does when it spools: open the socket's directory and the spool (each checked
 *                  with statx), read /proc/self/stat, create a 0600 file with O_EXCL, write the record, rename
 *                  it, close (the record is removed again, untimed), in a directory made in SPOOL_PARENT
 *                  (default /run, where the real spool is: a tmpfs on most systems)
 *   syslog         one syslog(3) line to authpriv (what pam_syslog does once when the daemon is down)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
/* The address of the unix socket at PATH (cut to what sun_path holds). */
static struct sockaddr_un unix_address(const char *path) {
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    return address;
}

static void send_to(const char *path) {
    static const char datagram[104] = "IW\1\1";
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un to = unix_address(path);
    sendto(fd, datagram, sizeof datagram, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof to);
    close(fd);
}
static void step_send_live(void) { send_to(live); }

static const char *live_listener;
static char spool_dir[108];

static void deliver_to(const char *path) {
    static const char record[104] = "IW\1\1";
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un to = unix_address(path);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0) {
        struct ucred credentials = {getpid(), geteuid(), getegid()};
        union { char buffer[CMSG_SPACE(sizeof(struct ucred))]; struct cmsghdr align; } control;
        memset(&control, 0, sizeof control);
        struct iovec vector = {(void *)record, sizeof record};
        struct msghdr message = {0};
        message.msg_iov = &vector;
        message.msg_iovlen = 1;
        message.msg_control = control.buffer;
        message.msg_controllen = sizeof control.buffer;
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_CREDENTIALS;
        header->cmsg_len = CMSG_LEN(sizeof(struct ucred));
        memcpy(CMSG_DATA(header), &credentials, sizeof credentials);
        sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    close(fd);
}
static void step_deliver_live(void) { deliver_to(live_listener); }
static void step_deliver_missing(void) { deliver_to("/nonexistent/iwbench/session.sock"); }

/* A seqpacket listener with a reader that accepts and drains every connection; returns the reader's pid. */
static pid_t start_listener(const char *path) {
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un at = unix_address(path);
    unlink(path);
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    if (fd < 0 || bind(fd, (struct sockaddr *)&at, sizeof at) != 0 || listen(fd, 4096) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char buffer[4096];
        for (;;) {
            int connection = accept(fd, NULL, NULL);
            if (connection < 0) continue;
            recv(connection, buffer, sizeof buffer, 0);
            close(connection);
        }
    }
    close(fd);
    return pid;
}

static void step_spool_write(void) {
    static const char record[120] = "IW\1\1";
    char stat_text[1024], name[64], temporary[66];
    struct statx info;
    int socket_dir = open(spool_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    statx(socket_dir, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_UID | STATX_SIZE, &info);
    int spool = openat(socket_dir, "spool", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    statx(spool, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_UID | STATX_SIZE, &info);
    int self = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (self >= 0) {
        if (read(self, stat_text, sizeof stat_text) < 0) stat_text[0] = 0;
        close(self);
    }
    struct timespec now;
    clock_gettime(CLOCK_BOOTTIME, &now);
    snprintf(name, sizeof name, "%020llu-%d-open",
             (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec, (int)getpid());
    snprintf(temporary, sizeof temporary, ".%s", name);
    int file = openat(spool, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (file >= 0) {
        if (write(file, record, sizeof record) < 0) perror("write");
        close(file);
        renameat(spool, temporary, spool, name);
    }
    close(spool);
    close(socket_dir);
}

/* Empties the spool of step_spool_write (untimed). */
static void clear_spool(void) {
    char path[160];
    snprintf(path, sizeof path, "rm -f %s/spool/*", spool_dir);
    if (system(path) != 0) perror("rm");
}

/* A datagram socket with a reader that drains it; returns the reader's pid. */
static pid_t start_reader(const char *path) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un at = unix_address(path);
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
        fprintf(stderr, "usage: %s ITERATIONS [SPOOL_PARENT]\n", argv[0]);
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
    char listener_path[108];
    snprintf(listener_path, sizeof listener_path, "/tmp/iwbench-steps-%d.seqpacket", (int)getpid());
    live_listener = listener_path;
    pid_t listener = start_listener(listener_path);
    if (listener < 0) {
        perror("listener socket");
        return 1;
    }
    snprintf(spool_dir, sizeof spool_dir, "%s/iwbench-steps-%d.d", argc > 2 ? argv[2] : "/run", (int)getpid());
    char spool_path[120];
    snprintf(spool_path, sizeof spool_path, "%s/spool", spool_dir);
    if (mkdir(spool_dir, 0755) != 0 || mkdir(spool_path, 0700) != 0) {
        perror("spool directory");
        return 1;
    }
    struct { const char *name; void (*run)(void); } steps[] = {
        {"syscall", step_syscall}, {"getsid+getpid", step_ids}, {"getpwnam_r", step_getpwnam},
        {"proc-self-stat", step_stat}, {"send-live", step_send_live}, {"send-missing", step_send_missing},
        {"deliver-live", step_deliver_live}, {"deliver-missing", step_deliver_missing},
        {"spool-write", step_spool_write}, {"syslog", step_syslog},
    };
    double *t = malloc((size_t)n * sizeof *t);
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        for (long i = 0; i < 20; i++) steps[s].run();
        long runs = !strcmp(steps[s].name, "syslog") && n > 200 ? 200 : n; /* not too many lines in auth.log */
        for (long i = 0; i < runs; i++) {
            double a = now_us();
            steps[s].run();
            t[i] = now_us() - a;
            if (!strcmp(steps[s].name, "send-live") || !strcmp(steps[s].name, "deliver-live"))
                usleep(200); /* the reader is asleep again */
            if (!strcmp(steps[s].name, "spool-write") && i % 100 == 99) clear_spool();
        }
        qsort(t, (size_t)runs, sizeof *t, compare);
        printf("step=%s median=%.2f p99=%.2f\n", steps[s].name, t[runs / 2], t[(runs * 99) / 100]);
    }
    kill(reader, SIGKILL);
    waitpid(reader, NULL, 0);
    unlink(path);
    kill(listener, SIGKILL);
    waitpid(listener, NULL, 0);
    unlink(listener_path);
    clear_spool();
    rmdir(spool_path);
    rmdir(spool_dir);
    return 0;
}
