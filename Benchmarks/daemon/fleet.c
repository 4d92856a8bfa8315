/*
 * fleet: N real login sessions registered with a running idlewarden daemon, for the daemon benchmark.
 *
 *   fleet SOCKET USER N EXPIRING QUIET_S SPREAD_S DAEMON_PID OUT_PREFIX
 *
 * Each session is two processes and a pseudo-terminal, shaped like an ssh login:
 *   leader  (plays sshd's [priv] monitor, or login): root, its own sid; opens a pty with posix_openpt, starts the
 *           shell, sends the PAM module's "open" datagram (pid, start time, sid, uid, user, service, tty=/dev/pts/K,
 *           policy override idle_timeout=Ns) to SOCKET, waits for the shell to end, then sends "close" (as
 *           pam_close_session does) and exits;
 *   shell   setsid, the pty as controlling terminal (raw mode), setuid USER, reads its terminal; records the
 *           moment it receives SIGHUP/SIGTERM (SIGKILL: the moment its leader saw it die) and exits.
 * The daemon accepts open/close only from root and only for the sender's own pid (SCM_CREDENTIALS), so every
 * session needs its own live leader. Each record goes on a connection of its own to the session socket
 * (SOCK_SEQPACKET), as the module sends it. Sessions are started one after the other; a connect that finds the
 * daemon's listen backlog full (EAGAIN) is retried every 2 ms.
 *
 * Phases (timeline letters):
 *   R  register all N sessions with idle_timeout = 1 day;
 *   S  settle: until the daemon's CPU time has not moved for 2 s;
 *   Q  quiet: QUIET_S seconds with N sessions registered and nothing due (the idle-tracking cost);
 *   B  the first EXPIRING sessions get a key press (the leader writes a byte to the pty, the shell reads it: the
 *      kernel sets the terminal's atime) and are registered again (a new open from the same leader replaces
 *      the session) with idle_timeout chosen so that their deadlines (key press + idle_timeout) are spread
 *      evenly over SPREAD_S seconds, starting a little after this phase is expected to end;
 *   W  waiting for the first warning; E  enforcement, until every expiring session has ended (or a timeout).
 * The other N - EXPIRING sessions stay registered and idle-tracked throughout.
 *
 * Output: OUT_PREFIX.timeline, one line per second: t_ms utime stime rss_kib voluntary nonvoluntary phase
 * (of DAEMON_PID); OUT_PREFIX.sessions, one line per session:
 *   i expiring leader tty idle_s t_input_ms t_open_ms atime_ms t_end_ms end_signal t_close_ms send_retries
 * (times: wall clock, ms since the epoch, 0 = never; t_end_ms: when the shell was told to end); with
 * FLEET_STATE_FILE set (FILE[:FILE...]), OUT_PREFIX.state: those files' total size at the end of Q. Every process
 * it starts dies with it (PR_SET_PDEATHSIG, also if fleet is killed), and it kills what is left at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define DAY_MS 86400000LL

struct slot {
    volatile int32_t state; /* 0 starting, 1 open sent, 2 failed, 3 ended, 4 closed */
    volatile int32_t reopen; /* 1 requested by the parent, 2 done */
    int32_t leader, shell;
    int32_t idle_s, retries, end_signal;
    int64_t deadline_ms; /* wanted: key press + idle_timeout */
    int64_t t_input_ms, t_open_ms, atime_ms, t_end_ms, t_close_ms;
    char tty[24];
};

static struct slot *slots;
static long count, expiring;
static struct slot *mine; /* in a shell: its own slot */
static volatile sig_atomic_t stop;

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR && !stop) {}
}

static void shell_signal(int sig) {
    if (mine->t_end_ms == 0) {
        mine->t_end_ms = now_ms();
        mine->end_signal = sig;
    }
    _exit(0);
}

static void wake(int sig) { (void)sig; }
static void on_stop(int sig) { (void)sig; stop = 1; }

/* /proc/self/stat field 22, the start time in clock ticks since boot. */
static uint64_t start_time(void) {
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    p += 2; /* field 3 */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p) p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

static size_t field(uint8_t *b, size_t at, uint8_t tag, const void *value, size_t length) {
    b[at] = tag;
    b[at + 1] = (uint8_t)(length >> 8);
    b[at + 2] = (uint8_t)length;
    memcpy(b + at + 3, value, length);
    return at + 3 + length;
}

static size_t be_field(uint8_t *b, size_t at, uint8_t tag, uint64_t value, int width) {
    uint8_t v[8];
    for (int k = 0; k < width; k++) v[k] = (uint8_t)(value >> (8 * (width - 1 - k)));
    return field(b, at, tag, v, (size_t)width);
}

/* The PAM module's datagram: "IW" 1 kind, pid=1 u32, startTime=3 u64, sid=2 u32, uid=4 u32, user=5,
 * service=6, tty=7, policyOverride=10. */
static size_t datagram(uint8_t *b, int kind, uint64_t start, uint32_t uid, const char *user, const char *tty,
                       int idle_s) {
    size_t at = 0;
    b[at++] = 'I';
    b[at++] = 'W';
    b[at++] = 1;
    b[at++] = (uint8_t)kind;
    at = be_field(b, at, 1, (uint64_t)getpid(), 4);
    at = be_field(b, at, 3, start, 8);
    at = be_field(b, at, 2, (uint64_t)getsid(0), 4);
    at = be_field(b, at, 4, uid, 4);
    at = field(b, at, 5, user, strlen(user));
    at = field(b, at, 6, "idlewarden-bench", 16);
    at = field(b, at, 7, tty, strlen(tty));
    char override[48];
    int n = snprintf(override, sizeof override, "idle_timeout=%ds", idle_s);
    at = field(b, at, 10, override, (size_t)n);
    return at;
}

/* Sends one record on a connection of its own; a full backlog (the daemon is busy) is retried every 2 ms for up
 * to 10 minutes. */
static int send_datagram(const struct sockaddr_un *to, const uint8_t *b, size_t n, int32_t *retries) {
    for (long attempt = 0; attempt < 300000; attempt++) {
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) return -1;
        if (connect(fd, (const struct sockaddr *)to, sizeof *to) == 0) {
            ssize_t sent = send(fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL);
            close(fd);
            return sent == (ssize_t)n ? 0 : -1;
        }
        int error = errno;
        close(fd);
        if (error != EAGAIN && error != EINTR) return -1;
        if (retries) (*retries)++;
        sleep_ms(2);
    }
    return -1;
}

static int64_t atime_ms(const char *tty) {
    struct stat info;
    if (stat(tty, &info) != 0) return 0;
    return (int64_t)info.st_atim.tv_sec * 1000 + info.st_atim.tv_nsec / 1000000;
}

static void run_shell(struct slot *s, int master, int ready, uid_t uid, gid_t gid, pid_t leader) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != leader) _exit(1);
    mine = s;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = shell_signal;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGUSR1, SIG_IGN);
    setsid();
    int slave = open(s->tty, O_RDWR); /* the first terminal a session leader opens becomes its ctty */
    if (slave < 0) _exit(1);
    close(master);
    struct termios mode;
    if (tcgetattr(slave, &mode) == 0) { /* raw: every byte is read at once, nothing echoed back */
        mode.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
        mode.c_cc[VMIN] = 1;
        mode.c_cc[VTIME] = 0;
        tcsetattr(slave, TCSANOW, &mode);
    }
    if (setgid(gid) != 0 || setuid(uid) != 0) _exit(1);
    char c = 1;
    if (write(ready, &c, 1) != 1) _exit(1);
    close(ready);
    for (;;) {
        if (read(slave, &c, 1) < 0 && errno != EINTR) pause();
    }
}

static void run_leader(struct slot *s, const char *socket_path, const char *user, uid_t uid, gid_t gid,
                       pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = wake; /* no SA_RESTART: interrupts waitpid for a re-registration */
    sigaction(SIGUSR1, &sa, NULL);
    setsid();
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    int ready[2];
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
        ptsname_r(master, s->tty, sizeof s->tty) != 0 || pipe2(ready, O_CLOEXEC) != 0) {
        s->state = 2;
        _exit(1);
    }
    pid_t leader = getpid();
    pid_t shell = fork();
    if (shell < 0) {
        s->state = 2;
        _exit(1);
    }
    if (shell == 0) run_shell(s, master, ready[1], uid, gid, leader);
    s->shell = shell;
    close(ready[1]);
    char c;
    if (read(ready[0], &c, 1) != 1) {
        s->state = 2;
        kill(shell, SIGKILL);
        _exit(1);
    }
    close(ready[0]);
    s->atime_ms = atime_ms(s->tty);

    struct sockaddr_un to;
    memset(&to, 0, sizeof to);
    to.sun_family = AF_UNIX;
    strncpy(to.sun_path, socket_path, sizeof to.sun_path - 1);
    uint64_t start = start_time();
    uint8_t b[512];
    int idle_s = (int)((s->deadline_ms - now_ms() + 999) / 1000);
    s->idle_s = idle_s;
    size_t n = datagram(b, 1, start, uid, user, s->tty, idle_s);
    int32_t retries = 0;
    if (send_datagram(&to, b, n, &retries) != 0) {
        s->state = 2;
        kill(shell, SIGKILL);
        _exit(1);
    }
    s->t_open_ms = now_ms();
    s->retries = retries;
    s->state = 1;
    int status;
    for (;;) {
        pid_t r = waitpid(shell, &status, 0);
        if (r == shell) break;
        if (r < 0 && errno != EINTR) break;
        if (s->reopen != 1) continue;
        /* A key press: the shell reads it and the kernel moves the terminal's atime (if it left its 8 s
         * bucket). Then register again, with the idle_timeout that puts the deadline where the parent wants. */
        s->t_input_ms = now_ms();
        if (write(master, "x", 1) != 1) s->t_input_ms = 0;
        for (int k = 0; k < 100 && atime_ms(s->tty) / 1000 != s->t_input_ms / 1000; k++) usleep(1000);
        s->atime_ms = atime_ms(s->tty);
        idle_s = (int)((s->deadline_ms - s->t_input_ms + 999) / 1000);
        if (idle_s < 1) idle_s = 1;
        s->idle_s = idle_s;
        n = datagram(b, 1, start, uid, user, s->tty, idle_s);
        if (send_datagram(&to, b, n, &retries) == 0) s->t_open_ms = now_ms();
        s->retries = retries;
        s->reopen = 2;
    }
    if (s->t_end_ms == 0 && WIFSIGNALED(status)) { /* SIGKILL: the shell's handler never ran */
        s->t_end_ms = now_ms();
        s->end_signal = WTERMSIG(status);
    }
    s->t_close_ms = now_ms();
    s->state = 3;
    n = datagram(b, 2, start, uid, user, s->tty, idle_s);
    send_datagram(&to, b, n, NULL);
    s->state = 4;
    _exit(0);
}

/* utime stime rss_kib voluntary nonvoluntary of pid; -1 when it is gone. */
static int sample(pid_t pid, long long v[5]) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    p += 2;
    long long fields[64] = {0};
    int k = 3;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok && k < 64; tok = strtok_r(NULL, " ", &save), k++)
        fields[k] = atoll(tok);
    v[0] = fields[14];
    v[1] = fields[15];
    v[2] = fields[24] * (sysconf(_SC_PAGESIZE) / 1024);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    v[3] = v[4] = 0;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "voluntary_ctxt_switches:", 24)) v[3] = atoll(line + 24);
        if (!strncmp(line, "nonvoluntary_ctxt_switches:", 27)) v[4] = atoll(line + 27);
    }
    fclose(f);
    return 0;
}

static FILE *timeline;
static pid_t daemon_pid;
static char phase = 'R';
static int64_t next_sample;
static int daemon_gone;

/* One timeline line per second, whatever the phase. */
static void tick(void) {
    int64_t now = now_ms();
    if (now < next_sample) return;
    long long v[5];
    if (sample(daemon_pid, v) == 0)
        fprintf(timeline, "%lld %lld %lld %lld %lld %lld %c\n", (long long)now, v[0], v[1], v[2], v[3], v[4], phase);
    else
        daemon_gone = 1;
    while (next_sample <= now) next_sample += 1000;
}

static void reap(void) { while (waitpid(-1, NULL, WNOHANG) > 0) {} }

static void kill_all(void) {
    for (long i = 0; i < count; i++) {
        if (slots[i].shell > 0) kill(slots[i].shell, SIGKILL);
        if (slots[i].leader > 0) kill(slots[i].leader, SIGKILL);
    }
    sleep_ms(100);
    reap();
}

static double cpu_of(void) {
    long long v[5];
    return sample(daemon_pid, v) == 0 ? (double)(v[0] + v[1]) : -1;
}

int main(int argc, char **argv) {
    if (argc < 9) {
        fprintf(stderr, "usage: %s SOCKET USER N EXPIRING QUIET_S SPREAD_S DAEMON_PID OUT_PREFIX\n", argv[0]);
        return 2;
    }
    const char *socket_path = argv[1], *user = argv[2], *prefix = argv[8];
    count = atol(argv[3]);
    expiring = atol(argv[4]);
    int64_t quiet_ms = atoll(argv[5]) * 1000, spread_ms = atoll(argv[6]) * 1000;
    daemon_pid = (pid_t)atoi(argv[7]);
    struct passwd *pw = getpwnam(user);
    if (!pw || count < 1 || expiring < 0 || expiring > count) {
        fprintf(stderr, "no such user %s, or not 0 <= EXPIRING <= N, N >= 1\n", user);
        return 2;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    slots = mmap(NULL, (size_t)count * sizeof *slots, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED) return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGUSR1, SIG_IGN);

    char path[4096];
    snprintf(path, sizeof path, "%s.timeline", prefix);
    timeline = fopen(path, "w");
    if (!timeline) return 1;
    setvbuf(timeline, NULL, _IOLBF, 0);
    next_sample = now_ms();

    /* R: register everything, idle_timeout one day. */
    pid_t parent = getpid();
    long failed = 0;
    int64_t t0 = now_ms();
    int64_t *sent_at = calloc((size_t)count, sizeof *sent_at);
    for (long i = 0; i < count && !stop && !daemon_gone; i++) {
        slots[i].deadline_ms = now_ms() + DAY_MS;
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "fleet: fork failed at session %ld: %s\n", i, strerror(errno));
            failed += count - i;
            break;
        }
        if (pid == 0) run_leader(&slots[i], socket_path, user, uid, gid, parent);
        slots[i].leader = pid;
        while (slots[i].state == 0 && !stop) {
            usleep(200);
            if (waitpid(pid, NULL, WNOHANG) == pid) { /* the leader died before sending */
                slots[i].leader = 0;
                if (slots[i].state == 0) slots[i].state = 2;
            }
            tick();
        }
        if (slots[i].state == 2) failed++;
        sent_at[i] = now_ms();
        tick();
    }
    int64_t t_sent = now_ms();
    fprintf(stderr, "fleet: %ld sessions sent in %.1f s (%ld failed)\n", count, (t_sent - t0) / 1000.0, failed);

    /* S: settle. */
    phase = 'S';
    double last = cpu_of();
    int64_t unchanged = now_ms();
    while (!stop && !daemon_gone && now_ms() - unchanged < 2000) {
        sleep_ms(100);
        double cpu = cpu_of();
        if (cpu != last) unchanged = now_ms();
        last = cpu;
        tick();
    }
    fprintf(stderr, "fleet: daemon settled %.1f s after the last open\n", (now_ms() - t_sent) / 1000.0);

    /* Q: quiet. */
    phase = 'Q';
    int64_t quiet_end = now_ms() + quiet_ms;
    while (!stop && !daemon_gone && now_ms() < quiet_end) {
        sleep_ms(200);
        tick();
    }

    /* The state's size on disk with everything registered, for the report: the sum of the ':'-separated files
     * (the snapshot and its journal). */
    const char *state_files = getenv("FLEET_STATE_FILE");
    if (state_files) {
        char list[2048];
        long long total = 0;
        snprintf(list, sizeof list, "%s", state_files);
        for (char *save = NULL, *name = strtok_r(list, ":", &save); name; name = strtok_r(NULL, ":", &save)) {
            struct stat info;
            if (stat(name, &info) == 0) total += (long long)info.st_size;
        }
        snprintf(path, sizeof path, "%s.state", prefix);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%lld\n", total);
            fclose(f);
        }
    }

    /* B: key press + re-registration of the expiring sessions, deadlines spread after it. The phase is
     * expected to take EXPIRING x (the time an open took at the end of R) x 1.5; deadlines start 10 s later. */
    int64_t first = 0;
    if (expiring > 0 && !stop && !daemon_gone) {
        phase = 'B';
        long window = count > 50 ? 50 : count - 1;
        double per_open = window > 0 ? (double)(sent_at[count - 1] - sent_at[count - 1 - window]) / window : 5;
        if (per_open < 2) per_open = 2;
        first = now_ms() + (int64_t)(expiring * per_open * 1.5) + 3000 + 10000;
        for (long j = 0; j < expiring && !stop && !daemon_gone; j++) {
            struct slot *s = &slots[j];
            if (s->state != 1) continue;
            s->deadline_ms = first + (expiring > 1 ? spread_ms * j / (expiring - 1) : 0);
            s->reopen = 1;
            kill(s->leader, SIGUSR1);
            int64_t give_up = now_ms() + 60000;
            while (s->reopen == 1 && !stop && now_ms() < give_up) {
                usleep(200);
                tick();
            }
            tick();
        }
        fprintf(stderr, "fleet: %ld sessions re-registered; first deadline in %.1f s\n", expiring,
                (first - now_ms()) / 1000.0);
        phase = 'W';
    }

    /* W, E: until every expiring session has ended. */
    int64_t end_by = first + spread_ms + 120000;
    while (!stop && !daemon_gone && expiring > 0) {
        int64_t now = now_ms();
        if (phase == 'W' && now >= first - 6000) phase = 'E';
        long open = 0;
        for (long j = 0; j < expiring; j++)
            if (slots[j].state == 1) open++;
        if (open == 0) break;
        if (now >= end_by) {
            fprintf(stderr, "fleet: timeout with %ld expiring sessions still open\n", open);
            break;
        }
        reap();
        tick();
        sleep_ms(200);
    }
    phase = 'X';
    tick();
    /* Let leaders send their close datagrams, then end everything that is left. */
    for (int k = 0; k < 50; k++) {
        long busy = 0;
        for (long i = 0; i < count; i++)
            if (slots[i].state == 3) busy++;
        if (!busy) break;
        sleep_ms(100);
    }
    kill_all();
    if (daemon_gone) fprintf(stderr, "fleet: the daemon (pid %d) is gone\n", (int)daemon_pid);

    snprintf(path, sizeof path, "%s.sessions", prefix);
    FILE *out = fopen(path, "w");
    if (!out) return 1;
    for (long i = 0; i < count; i++) {
        struct slot *s = &slots[i];
        fprintf(out, "%ld %d %d %s %d %lld %lld %lld %lld %d %lld %d\n", i, i < expiring, s->leader,
                s->tty[0] ? s->tty : "-", s->idle_s, (long long)s->t_input_ms, (long long)s->t_open_ms,
                (long long)s->atime_ms, (long long)s->t_end_ms, s->end_signal, (long long)s->t_close_ms,
                s->retries);
    }
    fclose(out);
    fclose(timeline);
    return stop ? 130 : daemon_gone ? 3 : 0;
}
