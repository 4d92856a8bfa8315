/*
 * flood: what ordinary users can throw at the daemon's world-writable control socket, and how fast `status`
 * answers meanwhile, for Benchmarks/run-control.sh.
 *
 *   flood flood SOCKET SECONDS UIDS FIRST_UID OUT [LINGER_MS]
 *   flood probe SOCKET SECONDS INTERVAL_MS UID OUT
 *
 * flood: UIDS processes, process k running as uid FIRST_UID + k (no account needed: the daemon knows a sender by
 * its kernel credentials), each sending as fast as the socket takes it (blocking sends, so the socket's queue
 * stays full), in turn: a status request from an autobound socket, 64 random bytes, 5,000 bytes (oversized), an
 * empty datagram, a status request carrying a descriptor (SCM_RIGHTS of a pipe: refused with EPERM where the
 * kernel has SO_PASSRIGHTS) and one with forged credentials (SCM_CREDENTIALS naming pid 1 and uid 0: refused with
 * EPERM by every kernel). With LINGER_MS, one more process (uid FIRST_UID + UIDS) sends, every LINGER_MS, a status
 * request carrying a loopback TCP socket with unsent data and an hour of SO_LINGER whose last reference is the
 * datagram's: whoever dequeues it sleeps in its close. OUT: one line per kind, "kind sent refused failed lost"
 * (refused: EPERM from the kernel; failed: another error; lost: a lingering socket whose last reference stayed
 * with the sender after all), summed over the processes.
 *
 * probe: as UID, every INTERVAL_MS a status request, every chunk of the answer fetched in turn as
 * `idlewarden status` does, 5 s timeout per chunk. OUT: one line per request, "t_ms latency_ms ok chunks".
 *
 * Both run for SECONDS or until SIGTERM. Every process dies with the one that started it (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { STATUS, GARBAGE, OVERSIZED, EMPTY, DESCRIPTOR, FORGED, LINGER, KINDS };
static const char *kind_names[KINDS] = {"status", "garbage", "oversized", "empty", "descriptor",
                                        "forged-credentials", "lingering-descriptor"};
struct counts {
    long sent[KINDS], refused[KINDS], failed[KINDS], lost[KINDS];
};
static struct counts *shared;
static volatile sig_atomic_t stopping;
static void on_term(int sig) { (void)sig; stopping = 1; }
static struct sockaddr_un target;
static socklen_t target_length;

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void become(uid_t uid) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) {
        perror("flood: cannot switch uid");
        _exit(2);
    }
}

static int datagram_socket(void) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on); /* autobind: an abstract address to reply to */
    return fd;
}

/* A status request for chunk `chunk` of answer `id`: "IW" 1 3, requestID (tag 12, u32), chunk (tag 13, u16). */
static size_t status_request(uint8_t *b, uint32_t id, uint16_t chunk) {
    uint8_t r[] = {'I', 'W', 1, 3, 12, 0, 4, id >> 24, id >> 16, id >> 8, id, 13, 0, 2, chunk >> 8, chunk};
    memcpy(b, r, sizeof r);
    return sizeof r;
}

/* refused: EPERM, the kernel's answer to descriptors (SO_PASSRIGHTS) and forged credentials; failed: any other
 * error (a send cut short by the SIGTERM that ends the run). */
static void count(int kind, ssize_t rc) {
    long *counter = rc >= 0 ? &shared->sent[kind] : errno == EPERM ? &shared->refused[kind] : &shared->failed[kind];
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static ssize_t send_with(int fd, const uint8_t *bytes, size_t length, int level, int type, const void *data,
                         size_t data_length) {
    struct iovec iov = {.iov_base = (void *)bytes, .iov_len = length};
    char control[CMSG_SPACE(sizeof(struct ucred))] = {0};
    struct msghdr msg = {.msg_name = &target, .msg_namelen = target_length, .msg_iov = &iov, .msg_iovlen = 1};
    if (data) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(data_length);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = level;
        c->cmsg_type = type;
        c->cmsg_len = CMSG_LEN(data_length);
        memcpy(CMSG_DATA(c), data, data_length);
    }
    return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

static void flooder(uid_t uid, int64_t end) {
    become(uid);
    int fds[4];
    for (int i = 0; i < 4; i++) fds[i] = datagram_socket();
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) _exit(2);
    uint8_t buffer[5000];
    memset(buffer, 0, sizeof buffer);
    uint32_t id = (uint32_t)uid << 16;
    for (long i = 0; now_ms() < end && !stopping; i++) {
        int fd = fds[i % 4], kind = (int)(i % 6);
        size_t n;
        ssize_t rc;
        switch (kind) {
        case STATUS:
            n = status_request(buffer, ++id, 0);
            rc = sendto(fd, buffer, n, MSG_NOSIGNAL, (struct sockaddr *)&target, target_length);
            break;
        case GARBAGE:
            for (int k = 0; k < 64; k++) buffer[k] = (uint8_t)random();
            rc = sendto(fd, buffer, 64, MSG_NOSIGNAL, (struct sockaddr *)&target, target_length);
            memset(buffer, 0, 64);
            break;
        case OVERSIZED:
            rc = sendto(fd, buffer, sizeof buffer, MSG_NOSIGNAL, (struct sockaddr *)&target, target_length);
            break;
        case EMPTY:
            rc = sendto(fd, buffer, 0, MSG_NOSIGNAL, (struct sockaddr *)&target, target_length);
            break;
        case DESCRIPTOR:
            n = status_request(buffer, ++id, 0);
            rc = send_with(fd, buffer, n, SOL_SOCKET, SCM_RIGHTS, &pipefd[0], sizeof(int));
            break;
        default: {
            struct ucred forged = {.pid = 1, .uid = 0, .gid = 0};
            n = status_request(buffer, ++id, 0);
            rc = send_with(fd, buffer, n, SOL_SOCKET, SCM_CREDENTIALS, &forged, sizeof forged);
        }
        }
        count(kind, rc);
    }
    _exit(0);
}

/* One lingering descriptor sent; 1 when the datagram held its last reference, 0 when the sender's close did
 * (that child then sleeps in it and is killed at the end: its pid is left in *stuck), -1 when refused. */
static int send_lingering(pid_t *stuck) {
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, length) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0)
        return -1;
    int lingering = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(lingering, (struct sockaddr *)&address, length) != 0) return -1;
    int peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC); /* kept open, never read */
    (void)peer;
    struct linger linger = {.l_onoff = 1, .l_linger = 3600};
    setsockopt(lingering, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
    fcntl(lingering, F_SETFL, O_NONBLOCK);
    static char chunk[65536];
    while (send(lingering, chunk, sizeof chunk, MSG_NOSIGNAL) > 0) {}
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) return -1;
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(go[1]);
        char byte;
        if (read(go[0], &byte, 1) != 1) _exit(3);
        uint8_t request[32];
        size_t n = status_request(request, 0x4c494e47, 0);
        int fd = datagram_socket();
        if (send_with(fd, request, n, SOL_SOCKET, SCM_RIGHTS, &lingering, sizeof(int)) < 0) _exit(4);
        close(lingering);
        _exit(0);
    }
    close(lingering);
    close(go[0]);
    if (write(go[1], "x", 1) != 1) return -1;
    close(go[1]);
    for (int k = 0; k < 100; k++) {
        int status;
        if (waitpid(child, &status, WNOHANG) == child)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : -1;
        usleep(10000);
    }
    *stuck = child;
    return 0;
}

static void lingerer(uid_t uid, int64_t end, long interval_ms) {
    become(uid);
    pid_t stuck[4096];
    int nstuck = 0;
    struct sigaction stop = {.sa_handler = on_term};
    sigaction(SIGTERM, &stop, NULL);
    while (now_ms() < end && !stopping) {
        pid_t pid = 0;
        int result = send_lingering(&pid);
        if (result > 0) __atomic_fetch_add(&shared->sent[LINGER], 1, __ATOMIC_RELAXED);
        if (result < 0) __atomic_fetch_add(&shared->refused[LINGER], 1, __ATOMIC_RELAXED);
        if (result == 0) {
            __atomic_fetch_add(&shared->lost[LINGER], 1, __ATOMIC_RELAXED);
            if (nstuck < 4096) stuck[nstuck++] = pid;
        }
        usleep((useconds_t)interval_ms * 1000);
    }
    for (int k = 0; k < nstuck; k++) kill(stuck[k], SIGKILL);
    while (wait(NULL) > 0) {}
    _exit(0);
}

static int flood(int argc, char **argv) {
    double seconds = atof(argv[3]);
    int uids = atoi(argv[4]);
    uid_t first = (uid_t)atol(argv[5]);
    const char *out = argv[6];
    long linger_ms = argc > 7 ? atol(argv[7]) : 0;
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) return 2;
    int64_t end = now_ms() + (int64_t)(seconds * 1000);
    struct sigaction stop = {.sa_handler = on_term};
    sigaction(SIGTERM, &stop, NULL);
    pid_t children[1024];
    int n = 0;
    for (int k = 0; k < uids && n < 1023; k++)
        if ((children[n++] = fork()) == 0) flooder(first + (uid_t)k, end);
    if (linger_ms > 0 && (children[n++] = fork()) == 0) lingerer(first + (uid_t)uids, end, linger_ms);
    /* Until the time is up or SIGTERM: then the flooders stop, and what they counted is written. */
    while (!stopping && wait(NULL) > 0) {}
    for (int k = 0; k < n; k++) kill(children[k], stopping ? SIGTERM : SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR) {}
    FILE *f = fopen(out, "w");
    if (!f) return 2;
    for (int kind = 0; kind < KINDS; kind++)
        fprintf(f, "%s %ld %ld %ld %ld\n", kind_names[kind], shared->sent[kind], shared->refused[kind],
                shared->failed[kind], shared->lost[kind]);
    fclose(f);
    return 0;
}

/* The reply chunk's fields: "IW" 1 0x80, then tag u8, length u16 BE, value: requestID 12, chunk 13, isFinal 14. */
static int parse_reply(const uint8_t *b, ssize_t n, uint32_t *id, int *index, int *final) {
    if (n < 4 || b[0] != 'I' || b[1] != 'W' || b[3] != 0x80) return 0;
    *id = 0;
    *index = -1;
    *final = 0;
    for (ssize_t at = 4; at + 3 <= n;) {
        int tag = b[at], length = (b[at + 1] << 8) | b[at + 2];
        const uint8_t *v = b + at + 3;
        if (at + 3 + length > n) return 0;
        uint64_t value = 0;
        for (int k = 0; k < length && k < 8; k++) value = value << 8 | v[k];
        if (tag == 12) *id = (uint32_t)value;
        if (tag == 13) *index = (int)value;
        if (tag == 14) *final = value != 0;
        at += 3 + length;
    }
    return 1;
}

static int probe(char **argv) {
    double seconds = atof(argv[3]);
    long interval = atol(argv[4]);
    uid_t uid = (uid_t)atol(argv[5]);
    FILE *f = fopen(argv[6], "w");
    if (!f) return 2;
    if (uid != 0) become(uid);
    int fd = datagram_socket();
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    static uint8_t reply[70000];
    int64_t end = now_ms() + (int64_t)(seconds * 1000);
    uint32_t id = (uint32_t)getpid() << 12;
    struct sigaction stop = {.sa_handler = on_term};
    sigaction(SIGTERM, &stop, NULL);
    while (now_ms() < end && !stopping) {
        int64_t t0 = now_ms();
        uint32_t want = ++id;
        int ok = 1, chunks = 0;
        for (uint16_t chunk = 0; ok; chunk++) {
            uint8_t request[32];
            size_t n = status_request(request, want, chunk);
            if (sendto(fd, request, n, MSG_NOSIGNAL, (struct sockaddr *)&target, target_length) < 0) {
                ok = 0;
                break;
            }
            int final = 0, got = 0;
            while (!got) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, 5000) != 1) {
                    ok = 0;
                    break;
                }
                ssize_t r = recv(fd, reply, sizeof reply, 0);
                uint32_t rid;
                int index;
                if (r > 0 && parse_reply(reply, r, &rid, &index, &final) && rid == want && index == chunk) got = 1;
            }
            if (!got) break;
            chunks++;
            if (final) break;
        }
        if (stopping) break; /* a request cut short by the end of the run is no answer */
        fprintf(f, "%lld %lld %d %d\n", (long long)t0, (long long)(now_ms() - t0), ok, chunks);
        fflush(f);
        int64_t next = t0 + interval;
        while (now_ms() < next) usleep(1000);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 7 || (strcmp(argv[1], "flood") && strcmp(argv[1], "probe"))) {
        fprintf(stderr, "usage: %s flood SOCKET SECONDS UIDS FIRST_UID OUT [LINGER_MS]\n"
                        "       %s probe SOCKET SECONDS INTERVAL_MS UID OUT\n", argv[0], argv[0]);
        return 2;
    }
    target.sun_family = AF_UNIX;
    if (strlen(argv[2]) >= sizeof target.sun_path) return 2;
    strcpy(target.sun_path, argv[2]);
    target_length = (socklen_t)sizeof target;
    return strcmp(argv[1], "flood") == 0 ? flood(argc, argv) : probe(argv);
}
