/* The two shim functions that need more than a one-line wrapper. */
#define _GNU_SOURCE 1
#include "cpam.h"

ssize_t cpam_sendto_unix(int fd, const void *bytes, size_t count, const char *path, size_t path_length) {
    struct sockaddr_un address;
    if (path_length == 0 || path_length >= sizeof(address.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    memcpy(address.sun_path, path, path_length);
    socklen_t length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_length + 1);
    return sendto(fd, bytes, count, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&address, length);
}

const char *cpam_strerror(int error, char *buffer, size_t size) {
    const char *text = strerror_r(error, buffer, size);
    return text ? text : "unknown error";
}
