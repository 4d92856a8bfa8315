/*
 * C shim for the Embedded Swift PAM module (PAMIdleWarden).
 *
 * Embedded Swift has no Glibc module, so everything the module calls is declared through this header.
 * Variadic functions (pam_syslog, open, fcntl), errno (a macro around a thread-local) and the socket
 * constants that glibc defines as enum members are wrapped in small `static inline` functions with
 * fixed signatures. Nothing here allocates, blocks on its own, prints or keeps state.
 */
#ifndef IDLEWARDEN_CPAM_H
#define IDLEWARDEN_CPAM_H

/* struct ucred and SCM_CREDENTIALS. Only the Embedded module imports this header (there is no Glibc module
 * whose view of the system headers it could contradict). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <security/pam_appl.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <string.h>
#include <syslog.h>
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>

/* pam_syslog with a fixed format: the message is never interpreted as a format string. */
static inline void cpam_syslog(const pam_handle_t *pamh, int priority, const char *message) {
    pam_syslog(pamh, priority, "%s", message);
}

/* open(2) read-only, close-on-exec, never becoming the controlling terminal. */
static inline int cpam_open_read(const char *path) {
    return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

/* fcntl(2) with an int argument (F_GETFL, F_SETFL, F_GETFD, F_SETFD). */
static inline int cpam_fcntl_int(int fd, int command, int argument) {
    return fcntl(fd, command, argument);
}

static inline int cpam_errno(void) { return errno; }

/* Longest socket path that fits in sockaddr_un.sun_path with its terminating NUL. */
static inline size_t cpam_max_socket_path(void) {
    return sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
}

/* Hands one record to the daemon's session socket (SOCK_SEQPACKET at `path`, `path_length` bytes, no NUL
 * needed) without ever waiting: a non-blocking connect, which takes a place in the listener's backlog
 * (net.core.somaxconn) or fails at once (EAGAIN: backlog full; ECONNREFUSED: nobody listens; ENOENT), then one
 * sendmsg into the new connection's own queue, then close. The record waits in the kernel until the daemon
 * accepts the connection.
 *
 * The record carries explicit credentials: this process's pid, effective uid and effective gid. By default the
 * kernel attaches the real uid, which for su and sudo (setuid root) is their caller's; it accepts an explicit
 * uid only if it is the sender's real, effective or saved uid, so the daemon sees uid 0 exactly when the sender
 * runs with root's privileges and no unprivileged process can claim it.
 *
 * Returns 0 when the whole record was queued, else the errno of the step that failed (ENAMETOOLONG: the path is
 * empty or does not fit; EMSGSIZE: the record was cut). A signal is retried twice, never waited out. */
int cpam_deliver(const char *path, size_t path_length, const void *bytes, size_t count);

/* --- The spool (see Spool.swift): files in a root-only directory, for the daemon to read when it can. --- */

/* A directory, never through a symbolic link in its last component. */
static inline int cpam_open_directory(const char *path) {
    return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static inline int cpam_openat_directory(int directory, const char *name) {
    return openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A new file that nobody else can open: it must not exist yet (O_EXCL), mode 0600. */
static inline int cpam_openat_new_file(int directory, const char *name) {
    return openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* Owner, permission bits and size of the directory open as `fd`; -1 (errno ENOTDIR) if it is not one.
 * statx rather than fstat: fstat is a symbol only since glibc 2.33, statx since 2.28. */
static inline int cpam_directory_facts(int fd, uid_t *owner, mode_t *mode, off_t *size) {
    struct statx info;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_UID | STATX_SIZE, &info) != 0) return -1;
    if (!S_ISDIR(info.stx_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    *owner = info.stx_uid;
    *mode = info.stx_mode & 07777;
    *size = (off_t)info.stx_size;
    return 0;
}

/* CLOCK_BOOTTIME in nanoseconds: orders the records of one boot, suspend included. */
static inline uint64_t cpam_boottime_ns(void) {
    struct timespec now;
    if (clock_gettime(CLOCK_BOOTTIME, &now) != 0) return 0;
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* This process's start time, /proc/self/stat field 22 (clock ticks since boot): with the pid, it names the
 * login process when the daemon reads a spooled record later. 0 when it cannot be read. */
static inline uint64_t cpam_self_start_time(void) {
    char text[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t count = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (count <= 0) return 0;
    text[count] = 0;
    /* Field 2 is the command name in parentheses and may hold anything: count from the last ')'. */
    char *field = strrchr(text, ')');
    for (int number = 2; field != NULL && number < 22; number++) field = strchr(field + 1, ' ');
    if (field == NULL) return 0;
    return strtoull(field + 1, NULL, 10);
}

/* The inode of this process's PID namespace (/proc/self/ns/pid): a spooled record's pid means something only
 * there. 0 when it cannot be read. */
static inline uint64_t cpam_self_pid_namespace(void) {
    struct stat info;
    if (stat("/proc/self/ns/pid", &info) != 0) return 0;
    return (uint64_t)info.st_ino;
}

/* A description of `error` (GNU strerror_r: thread-safe, never NULL). Defined in cpam.c. */
const char *cpam_strerror(int error, char *buffer, size_t size);

#endif
