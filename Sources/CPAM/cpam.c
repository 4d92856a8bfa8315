/* Out of line: built with _FORTIFY_SOURCE (the checked memcpy into sun_path), and GNU strerror_r (which returns
   the text) is what this file gets, whatever an importer of cpam.h included before it. */
#define _GNU_SOURCE 1
#include "cpam.h"

const char *cpam_strerror(int error, char *buffer, size_t size) {
    const char *text = strerror_r(error, buffer, size);
    return text ? text : "unknown error";
}

int cpam_deliver(const char *path, size_t path_length, const void *bytes, size_t count) {
    struct sockaddr_un address;
    if (path_length == 0 || path_length >= sizeof(address.sun_path)) return ENAMETOOLONG;
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    memcpy(address.sun_path, path, path_length);
    socklen_t length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_length + 1);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return errno;
    int rc, attempts = 0;
    do {
        rc = connect(fd, (const struct sockaddr *)&address, length);
    } while (rc != 0 && errno == EINTR && ++attempts < 3);
    if (rc != 0) {
        int error = errno;
        close(fd);
        return error;
    }
    struct ucred credentials = {.pid = getpid(), .uid = geteuid(), .gid = getegid()};
    union {
        char buffer[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct iovec vector = {.iov_base = (void *)bytes, .iov_len = count};
    struct msghdr message = {0};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof(control.buffer);
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_CREDENTIALS;
    header->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    memcpy(CMSG_DATA(header), &credentials, sizeof(credentials));
    ssize_t sent;
    attempts = 0;
    do {
        sent = sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR && ++attempts < 3);
    int error = sent < 0 ? errno : (size_t)sent == count ? 0 : EMSGSIZE;
    close(fd);
    return error;
}
