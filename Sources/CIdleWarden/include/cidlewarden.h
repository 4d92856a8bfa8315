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

/* The control socket's receiver: a child process of the daemon (`idlewarden control-receiver`) that holds the
   world-writable control socket and forwards each datagram to the daemon over a SOCK_SEQPACKET socketpair.
   It may block where the daemon must not: the kernel drops the descriptors a datagram carries (SCM_RIGHTS) in
   the thread that dequeues it, and the last close of a lingering TCP socket sleeps. So each datagram is first
   peeked (bytes, credentials, sender address: nothing is dequeued, no descriptor is closed), forwarded, then
   dequeued, then a CONSUMED frame follows; a receiver that forwarded a datagram and does not say CONSUMED in
   time is killed by the daemon and replaced (see ControlReceiver.swift). */
#define IW_FRAME_DATAGRAM 1
#define IW_FRAME_CONSUMED 2
/* Flags of a DATAGRAM frame */
#define IW_FRAME_NO_CREDENTIALS 1 /* the kernel attached no SCM_CREDENTIALS */
#define IW_FRAME_ANCILLARY 2      /* more ancillary data than credentials: descriptors (MSG_CTRUNC) */
#define IW_FRAME_OVERSIZED 4      /* longer than the capacity: only its size is forwarded */
/* The head of every frame; a DATAGRAM frame is followed by the datagram's bytes (none when oversized). */
struct iw_frame_header {
    unsigned char kind;
    unsigned char flags;
    unsigned short address_length; /* bytes of `address` the kernel filled (sockaddr_un, family included) */
    int pid;
    unsigned int uid;
    unsigned int gid;
    unsigned int size; /* the datagram's length as sent */
    unsigned char address[sizeof(struct sockaddr_un)];
};

/* Peeks the datagram at the head of `control`'s queue, forwards it as a DATAGRAM frame on `channel`, dequeues
   it, then writes a CONSUMED frame. `buffer` holds `capacity` bytes. Returns 1 after a datagram, 0 when the
   queue was empty, -1 when the channel or the socket failed (the receiver then exits). */
int iw_receiver_step(int control, int channel, void *buffer, size_t capacity);

/* The receiver's loop on descriptors 3 (control socket) and 4 (channel): steps, and waits in poll when the queue
   is empty; returns when the daemon closed its end of the channel or on an error. */
int iw_receiver_run(int control, int channel, size_t capacity);

/* Starts `exe` (the daemon's own executable, /proc/self/exe) as `idlewarden control-receiver --parent PID` in a
   new session, with `control` as descriptor 3 and one end of a new SOCK_SEQPACKET socketpair as 4, every other
   descriptor closed. Returns the child's pid and sets *channel (the daemon's end, non-blocking) and *pidfd, or
   returns -1 with errno set. */
int iw_receiver_spawn(const char *exe, int control, int *channel, int *pidfd);

/* SO_PASSRIGHTS (Linux 6.16+): with 0, the kernel refuses to queue a datagram that carries descriptors for this
   socket (the sender gets EPERM). Returns 0, or the errno (ENOPROTOOPT on older kernels). */
int iw_refuse_passed_descriptors(int fd);

/* The receiver gives up what it does not need: no capabilities, no new privileges, not dumpable, and it dies
   with the daemon (PR_SET_PDEATHSIG; 0 if `parent` is no longer its parent). Returns 1 when set up. */
int iw_receiver_confine(int parent);
/* accept4(2) of a connection, non-blocking and close-on-exec (accept4 needs _GNU_SOURCE). */
int iw_accept_nonblocking(int fd);

/* The credentials of the process that connected a stream or seqpacket socket, as the kernel recorded them at
   connect (SO_PEERCRED). 0, or -1 with errno. */
int iw_peer_credentials(int fd, struct iw_credentials *creds);

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
