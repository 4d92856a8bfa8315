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

#include <security/pam_appl.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
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

/* A datagram socket in the local domain, close-on-exec (glibc defines SOCK_* as enum members). */
static inline int cpam_socket_dgram(void) {
    return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* Longest socket path that fits in sockaddr_un.sun_path with its terminating NUL. */
static inline size_t cpam_max_socket_path(void) {
    return sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
}

/* sendto(2) with MSG_DONTWAIT | MSG_NOSIGNAL (never wait for room in the receiver's queue, never raise
 * SIGPIPE) to the AF_UNIX socket at `path` (`path_length` bytes, no NUL needed). Returns what sendto
 * returns, or -1 with errno ENAMETOOLONG when the path is empty or does not fit. Defined in cpam.c. */
ssize_t cpam_sendto_unix(int fd, const void *bytes, size_t count, const char *path, size_t path_length);

/* A description of `error` (GNU strerror_r: thread-safe, never NULL). Defined in cpam.c. */
const char *cpam_strerror(int error, char *buffer, size_t size);

#endif
