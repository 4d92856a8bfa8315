#define _GNU_SOURCE 1
#include "cidlewarden.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/prctl.h>

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

static int send_frame(int channel, const struct iw_frame_header *header, const void *payload, size_t length) {
    struct iovec iov[2] = {
        {.iov_base = (void *)header, .iov_len = sizeof(*header)},
        {.iov_base = (void *)payload, .iov_len = length},
    };
    struct msghdr msg = {0};
    msg.msg_iov = iov;
    msg.msg_iovlen = length > 0 ? 2 : 1;
    for (;;) {
        ssize_t n = sendmsg(channel, &msg, MSG_NOSIGNAL);
        if (n >= 0) return 0;
        if (errno != EINTR) return -1;
    }
}

int iw_receiver_step(int control, int channel, void *buffer, size_t capacity) {
    struct iw_frame_header header = {0};
    struct sockaddr_un from;
    struct iovec iov = {.iov_base = buffer, .iov_len = capacity};
    /* Room for the credentials only: descriptors do not fit, so the peek installs none (MSG_CTRUNC says they
       were there), and the references it took are dropped while the queued datagram still holds its own. */
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } ancillary;
    struct msghdr msg = {0};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ancillary.buf;
    msg.msg_controllen = sizeof(ancillary.buf);
    ssize_t n = recvmsg(control, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;

    header.kind = IW_FRAME_DATAGRAM;
    header.flags = IW_FRAME_NO_CREDENTIALS;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
            struct ucred kernel;
            memcpy(&kernel, CMSG_DATA(c), sizeof(kernel));
            header.pid = kernel.pid;
            header.uid = kernel.uid;
            header.gid = kernel.gid;
            header.flags &= ~IW_FRAME_NO_CREDENTIALS;
        }
    }
    if (msg.msg_flags & MSG_CTRUNC) header.flags |= IW_FRAME_ANCILLARY;
    header.size = (unsigned int)n;
    size_t length = (size_t)n;
    if (length > capacity) {
        header.flags |= IW_FRAME_OVERSIZED;
        length = 0;
    }
    socklen_t named = msg.msg_namelen <= sizeof(from) ? msg.msg_namelen : sizeof(from);
    header.address_length = (unsigned short)named;
    memcpy(header.address, &from, named);
    if (send_frame(channel, &header, buffer, length) != 0) return -1;

    /* Dequeue it. This is where the kernel drops what the datagram carried, and may sleep doing so. */
    char discard;
    while (recv(control, &discard, 0, MSG_DONTWAIT | MSG_TRUNC) < 0 && errno == EINTR) {}

    struct iw_frame_header consumed = {0};
    consumed.kind = IW_FRAME_CONSUMED;
    return send_frame(channel, &consumed, NULL, 0) == 0 ? 1 : -1;
}

int iw_receiver_run(int control, int channel, size_t capacity) {
    unsigned char *buffer = malloc(capacity);
    if (buffer == NULL) return -1;
    for (;;) {
        int stepped = iw_receiver_step(control, channel, buffer, capacity);
        if (stepped < 0) break;
        if (stepped > 0) continue;
        struct pollfd wait[2] = {{.fd = control, .events = POLLIN}, {.fd = channel, .events = POLLIN}};
        if (poll(wait, 2, -1) < 0 && errno != EINTR) break;
        if (wait[1].revents & (POLLHUP | POLLERR | POLLIN)) break; /* the daemon closed its end */
    }
    free(buffer);
    return -1;
}

int iw_receiver_spawn(const char *exe, int control, int *channel, int *pidfd) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
    /* Above 4 first, so that placing them on 3 and 4 never overwrites the other. */
    int high_control = fcntl(control, F_DUPFD_CLOEXEC, 10);
    int high_child = fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
    close(pair[1]);
    if (high_control < 0 || high_child < 0) {
        int saved = errno;
        if (high_control >= 0) close(high_control);
        if (high_child >= 0) close(high_child);
        close(pair[0]);
        errno = saved;
        return -1;
    }
    char parent[16];
    snprintf(parent, sizeof(parent), "%d", (int)getpid());
    char *const argv[] = {"idlewarden", "control-receiver", "--parent", parent, NULL};
    char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, high_control, 3);
    posix_spawn_file_actions_adddup2(&actions, high_child, 4);
    posix_spawn_file_actions_addclosefrom_np(&actions, 5);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(high_control);
    close(high_child);
    if (rc != 0) {
        close(pair[0]);
        errno = rc;
        return -1;
    }
    int flags = fcntl(pair[0], F_GETFL);
    fcntl(pair[0], F_SETFL, flags | O_NONBLOCK);
    *channel = pair[0];
    *pidfd = iw_pidfd_open(pid);
    return pid;
}

int iw_refuse_passed_descriptors(int fd) {
    int off = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off)) != 0) return errno;
    int value = 1;
    socklen_t length = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &value, &length) != 0) return errno;
    return value == 0 ? 0 : EINVAL;
}

int iw_receiver_confine(int parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) return 0;
    prctl(PR_SET_NAME, "iw-control-recv");
    prctl(PR_SET_DUMPABLE, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    /* Refused under systemd's system call filter, where the unit's bounding set already holds only two. */
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    syscall(SYS_capset, &head, data);
    return 1;
}
