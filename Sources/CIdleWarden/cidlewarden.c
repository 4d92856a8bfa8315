#define _GNU_SOURCE 1
#include "cidlewarden.h"

#include <sys/file.h>
#include <utmpx.h>

ssize_t iw_recv_with_creds(int fd, void *buf, size_t len, struct iw_credentials *creds, int *has_creds,
                           struct sockaddr_un *from, socklen_t *fromlen, int *truncated) {
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
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
            struct ucred kernel;
            memcpy(&kernel, CMSG_DATA(c), sizeof(kernel));
            creds->pid = kernel.pid;
            creds->uid = kernel.uid;
            creds->gid = kernel.gid;
            *has_creds = 1;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
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

int iw_accept_nonblocking(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int iw_peer_credentials(int fd, struct iw_credentials *creds) {
    struct ucred peer;
    socklen_t length = sizeof(peer);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) return -1;
    creds->pid = peer.pid;
    creds->uid = peer.uid;
    creds->gid = peer.gid;
    return 0;
}

static void copy_field(char *target, size_t capacity, const char *source, size_t length) {
    size_t count = strnlen(source, length);
    if (count >= capacity) count = capacity - 1;
    memcpy(target, source, count);
    target[count] = 0;
}

int iw_utmp_open(const char *file) {
    if (utmpxname(file) != 0) return -1;
    setutxent();
    return 0;
}

int iw_utmp_next(struct iw_login *out) {
    struct utmpx *entry;
    while ((entry = getutxent()) != NULL) {
        if (entry->ut_type != USER_PROCESS || entry->ut_pid <= 0) continue;
        out->pid = entry->ut_pid;
        copy_field(out->user, sizeof(out->user), entry->ut_user, sizeof(entry->ut_user));
        copy_field(out->line, sizeof(out->line), entry->ut_line, sizeof(entry->ut_line));
        copy_field(out->host, sizeof(out->host), entry->ut_host, sizeof(entry->ut_host));
        return 1;
    }
    return 0;
}

void iw_utmp_close(void) { endutxent(); }

int iw_flock_exclusive(int fd) { return flock(fd, LOCK_EX | LOCK_NB); }
