#ifndef IDLEWARDEN_CIDLEWARDEN_H
#define IDLEWARDEN_CIDLEWARDEN_H

/* Small wrappers for the system calls and macros that Swift cannot call directly: variadic functions,
   syscalls without a libc wrapper on Debian 12's glibc, and the CMSG_* macros. */

#define _GNU_SOURCE 1
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

static inline void iw_syslog(int priority, const char *message) { syslog(priority, "%s", message); }

static inline int iw_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static inline int iw_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Receives one datagram and the sender's kernel credentials (SCM_CREDENTIALS, needs SO_PASSCRED).
   Returns the byte count or -1; *has_creds is 0 when the kernel attached none. A datagram longer than
   `len` is reported through *truncated (MSG_TRUNC) so that the caller can refuse it as oversized. */
static inline ssize_t iw_recv_with_creds(int fd, void *buf, size_t len, struct ucred *creds, int *has_creds,
                                         struct sockaddr_un *from, socklen_t *fromlen, int *truncated) {
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {0};
    msg.msg_name = from;
    msg.msg_namelen = *fromlen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    *has_creds = 0;
    *truncated = 0;
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
    if (n < 0) return n;
    *fromlen = msg.msg_namelen;
    if (msg.msg_flags & MSG_TRUNC) *truncated = 1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
            memcpy(creds, CMSG_DATA(c), sizeof(struct ucred));
            *has_creds = 1;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            /* Never keep descriptors a sender smuggled in. */
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count; i++) {
                int passed;
                memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                close(passed);
            }
        }
    }
    return n;
}

/* One USER_PROCESS entry of a utmp file, copied out of glibc's struct (whose header clashes with the Glibc
   module's view when included here). Strings are NUL-terminated. */
struct iw_login {
    int pid;
    char user[33];
    char line[33];
    char host[257];
};

/* Iterates the USER_PROCESS entries of `file`: open, then next until it returns 0, then close. */
int iw_utmp_open(const char *file);
int iw_utmp_next(struct iw_login *out);
void iw_utmp_close(void);

#endif
