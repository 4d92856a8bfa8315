#ifndef IDLEWARDEN_CIDLEWARDEN_H
#define IDLEWARDEN_CIDLEWARDEN_H

/* Small wrappers for the system calls and macros that Swift cannot call directly: variadic functions,
   syscalls without a libc wrapper on Debian 12's glibc, and the CMSG_* macros. No _GNU_SOURCE here: the
   header is imported beside Swift's Glibc module, whose view of the system headers must not differ; what
   needs GNU definitions lives in cidlewarden.c. */

#include <malloc.h>
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

/* The sender of a datagram as the kernel reports it (SCM_CREDENTIALS). */
struct iw_credentials {
    int pid;
    unsigned int uid;
    unsigned int gid;
};

/* Receives one datagram and the sender's kernel credentials (SCM_CREDENTIALS, needs SO_PASSCRED).
   Returns the byte count or -1; *has_creds is 0 when the kernel attached none. A datagram longer than
   `len` is reported through *truncated (MSG_TRUNC) so that the caller can refuse it as oversized. File
   descriptors a sender passes (SCM_RIGHTS) are closed at once. */
ssize_t iw_recv_with_creds(int fd, void *buf, size_t len, struct iw_credentials *creds, int *has_creds,
                           struct sockaddr_un *from, socklen_t *fromlen, int *truncated);

/* One USER_PROCESS entry of a utmp file, copied out of glibc's struct (whose header clashes with the Glibc
   module's view when included here). Strings are NUL-terminated. */
struct iw_login {
    int pid;
    char user[33];
    char line[33];
    char host[257];
};

/* Takes an exclusive, non-blocking flock on `fd`: 0, or -1 with errno (EWOULDBLOCK: another process holds it). */
int iw_flock_exclusive(int fd);

/* Iterates the USER_PROCESS entries of `file`: open, then next until it returns 0, then close. */
int iw_utmp_open(const char *file);
int iw_utmp_next(struct iw_login *out);
void iw_utmp_close(void);

#endif
