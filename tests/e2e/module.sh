#!/usr/bin/env bash
# End-to-end tests of the PAM module (libpam_idlewarden.so) inside real libpam, driven by pamtester.
#
# Source this file from a runner and call the test_module_* functions (each returns 0 on pass and prints a
# reason on failure), or run it directly to run them all. Needs root, pamtester, python3, unshare, readelf,
# nm and ldd; a missing tool is a failure, not a skip. The module is taken from
# ${IDLEWARDEN_MODULE:-$PWD/.build/release/libpam_idlewarden.so} and must already be built.
#
# Every test runs in a subshell whose EXIT trap removes what it made: /etc/pam.d/idlewarden-test-mod-*,
# its temp dir (sockets, scripts, captured output), the test user iwtest-PID-mod and background helpers.
#
# pamtester runs in a private mount namespace (unshare -m) where /dev/log is bound to a test socket, so the
# module's pam_syslog lines are captured and checked without touching the host's syslog. The pam.d lines use
# `required` so that a module that fails to load fails the test instead of being skipped by libpam.
# The test user has one name (iwtest-mod) for all of them: one of these tests at a time.
# iw: lock module-user

# One user per test process, named like lib.sh's (iwtest-PID-...), so that runs side by side never share or
# remove each other's user, and tests/run.sh removes one left by a killed run.
IW_MOD_USER=iwtest-$$-mod

_iw_mod_path() { printf '%s\n' "${IDLEWARDEN_MODULE:-$PWD/.build/release/libpam_idlewarden.so}"; }

_iw_mod_fail() {
    local name=module caller
    for caller in "${FUNCNAME[@]}"; do
        case $caller in test_module_*) name=$caller ;; esac
    done
    printf '%s: %s\n' "$name" "$*" >&2
    return 1
}

# The Swift toolchain directory to hide: IDLEWARDEN_TOOLCHAIN, else the one that holds `swift` (DIR/usr/bin/swift,
# itself often a link to swift-driver beside it), else /opt/swift.
_iw_mod_toolchain() {
    if [ -n "${IDLEWARDEN_TOOLCHAIN:-}" ]; then
        printf '%s\n' "$IDLEWARDEN_TOOLCHAIN"
        return
    fi
    local swift
    swift=$(command -v swift 2>/dev/null) && swift=$(readlink -f "$swift") \
        && [ "${swift%/usr/bin/*}" != "$swift" ] && { printf '%s\n' "${swift%/usr/bin/*}"; return; }
    printf '%s\n' /opt/swift
}
# The Swift runtime library in a toolchain directory: what a module built the ordinary way would load.
_iw_mod_runtime() { printf '%s\n' "$1/usr/lib/swift/linux/libswiftCore.so"; }

# Sets up a test: prerequisites, temp dir, helper scripts, cleanup trap. Call first in every test subshell.
_iw_mod_setup() {
    set +e +o pipefail   # whatever the sourcing runner set: statuses are checked one by one here
    IW_SERVICES=()
    IW_PIDS=()
    IW_MADE_USER=0
    IW_MADE_DEVLOG=0
    IW_TMP=""
    trap _iw_mod_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    [ "$(id -u)" = 0 ] || { _iw_mod_fail "must run as root"; return 1; }
    local tool
    for tool in pamtester python3 unshare mount readelf nm ldd useradd userdel timeout; do
        command -v "$tool" >/dev/null 2>&1 || { _iw_mod_fail "required tool '$tool' is missing"; return 1; }
    done
    IW_MODULE=$(_iw_mod_path)
    [ -f "$IW_MODULE" ] || { _iw_mod_fail "module not built: $IW_MODULE"; return 1; }
    case "$IW_MODULE" in /*) ;; *) IW_MODULE="$PWD/$IW_MODULE" ;; esac
    IW_TMP=$(mktemp -d /tmp/idlewarden-test-mod.XXXXXX) || { _iw_mod_fail "mktemp failed"; return 1; }
    _iw_mod_write_helpers
    _iw_mod_log_sink || return 1
}

_iw_mod_cleanup() {
    local pid service
    for pid in "${IW_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for service in "${IW_SERVICES[@]}"; do
        rm -f "/etc/pam.d/$service"
    done
    if [ "$IW_MADE_USER" = 1 ] && id "$IW_MOD_USER" >/dev/null 2>&1; then
        userdel "$IW_MOD_USER" >/dev/null 2>&1
    fi
    # Only the empty placeholder this test made, never a real syslog socket created meanwhile.
    if [ "$IW_MADE_DEVLOG" = 1 ] && [ -f /dev/log ] && [ ! -s /dev/log ]; then
        rm -f /dev/log
    fi
    if [ -n "$IW_TMP" ] && [ -d "$IW_TMP" ]; then
        rm -rf "$IW_TMP"
    fi
}

_iw_mod_write_helpers() {
    # A sink: binds an AF_UNIX socket and appends each datagram or record, hex-encoded, as one line to OUT.
    # KIND dgram (the syslog socket) or seqpacket (the session socket, as the daemon binds it: one record per
    # connection, written as "HEX pid=P uid=U gid=G" with the credentials it carried). Modes: read (default),
    # stale (bind and exit: the socket file stays, nobody listens), full (fill the queue or the listen backlog
    # from another socket and never read). It ends by itself after 120 s.
    cat >"$IW_TMP/sink.py" <<'PY'
import os, socket, struct, sys, time
path, out = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "read"
kind = sys.argv[4] if len(sys.argv) > 4 else "dgram"
stream = kind == "seqpacket"
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET if stream else socket.SOCK_DGRAM)
s.bind(path)
if stream:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.listen(0 if mode == "full" else 128)
open(out + ".ready", "w").close()
if mode == "stale":
    s.close()
    sys.exit(0)
if mode == "full":
    count, held = 0, []
    while count < 100000:
        if stream:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            c.setblocking(False)
            try:
                c.connect(path)
            except BlockingIOError:
                break
            held.append(c)
        else:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                c.sendto(b"filler", socket.MSG_DONTWAIT, path)
            except BlockingIOError:
                break
        count += 1
    with open(out, "w") as f:
        f.write("%d\n" % count)
    time.sleep(120)
    sys.exit(0)
s.settimeout(0.5)
deadline = time.time() + 120
space = socket.CMSG_SPACE(struct.calcsize("iII"))
with open(out, "a") as f:
    while time.time() < deadline:
        try:
            if stream:
                conn, _ = s.accept()
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
                conn.settimeout(2)
                data, ancillary, flags, _ = conn.recvmsg(65536, space)
                conn.close()
                creds = ""
                for level, kind_, value in ancillary:
                    if level == socket.SOL_SOCKET and kind_ == socket.SCM_CREDENTIALS:
                        creds = " pid=%d uid=%d gid=%d" % struct.unpack("iII", value)
                f.write(data.hex() + creds + "\n")
            else:
                f.write(s.recv(65536).hex() + "\n")
        except socket.timeout:
            continue
        f.flush()
PY
    # Shared assertions for the python checks of each test.
    cat >"$IW_TMP/iwcheck.py" <<'PY'
import sys

SENTINEL = b"IWTEST-SENTINEL"
PID, START, USER, SERVICE, TTY, RHOST, XDG, OVERRIDE, XDISPLAY, XDG_TYPE = 1, 3, 5, 6, 7, 8, 9, 10, 17, 18

def fail(message):
    print(message)
    sys.exit(1)

def captured(path, with_credentials=False):
    """The datagrams or records of a sink, in order; with_credentials: (data, {pid, uid, gid}) pairs."""
    result = []
    try:
        with open(path) as f:
            for line in f:
                words = line.split()
                if words:
                    data = bytes.fromhex(words[0])
                    if data != SENTINEL:
                        creds = dict((k, int(v)) for k, v in (w.split("=") for w in words[1:]))
                        result.append((data, creds) if with_credentials else data)
    except FileNotFoundError:
        pass
    return result

def parse(data):
    """(version, kind, [(tag, value)]) of one datagram, checking the framing."""
    if len(data) < 4 or data[:2] != b"IW":
        fail("not an idlewarden datagram: %r" % data[:16])
    fields, i = [], 4
    while i < len(data):
        if len(data) - i < 3:
            fail("truncated field header at offset %d" % i)
        tag, length = data[i], int.from_bytes(data[i + 1:i + 3], "big")
        i += 3
        if i + length > len(data):
            fail("field %d claims %d bytes, %d remain" % (tag, length, len(data) - i))
        fields.append((tag, data[i:i + length]))
        i += length
    return data[2], data[3], fields

def datagrams(path):
    return [parse(d) for d in captured(path)]

def values(fields, tag):
    return [v for t, v in fields if t == tag]

def one(fields, tag):
    found = values(fields, tag)
    if len(found) != 1:
        fail("field %d present %d times, expected once" % (tag, len(found)))
    return found[0]

def integer(fields, tag):
    return int.from_bytes(one(fields, tag), "big")

def logs(path):
    """The module's syslog lines: [(severity, message)]."""
    result = []
    for data in captured(path):
        text = data.decode("latin-1")
        end = text.find(">")
        if not text.startswith("<") or end < 0 or not text[1:end].isdigit():
            continue
        if "pam_idlewarden(" in text:
            result.append((int(text[1:end]) & 7, text[end + 1:]))
    return result

def expect_logs(path, count, severity, *needles):
    lines = logs(path)
    if len(lines) != count:
        fail("expected %d module log lines, got %d: %r" % (count, len(lines), lines))
    for level, message in lines:
        if level != severity:
            fail("log line has severity %d, expected %d: %r" % (level, severity, message))
        if any(ord(c) < 0x20 or ord(c) > 0x7e for c in message):
            fail("log line holds unescaped control or non-ASCII bytes: %r" % message)
        for needle in needles:
            if needle not in message:
                fail("log line lacks %r: %r" % (needle, message))
    return lines
PY
}

# Starts the syslog sink and decides how /dev/log is replaced in pamtester's mount namespace.
_iw_mod_log_sink() {
    IW_LOG_SOCK="$IW_TMP/log.sock"
    IW_LOG_OUT="$IW_TMP/log.out"
    if [ ! -e /dev/log ] && [ ! -L /dev/log ]; then
        : >/dev/log && IW_MADE_DEVLOG=1   # a mount point for the bind mount below; removed by cleanup
    fi
    [ -e /dev/log ] || { _iw_mod_fail "/dev/log is a dangling symlink; cannot capture pam_syslog"; return 1; }
    _iw_mod_sink "$IW_LOG_SOCK" "$IW_LOG_OUT"
}

# _iw_mod_sink SOCKET OUT [MODE [KIND]]: starts sink.py in the background and waits until it is ready.
_iw_mod_sink() {
    local socket=$1 out=$2 mode=${3:-read} kind=${4:-dgram} i
    python3 "$IW_TMP/sink.py" "$socket" "$out" "$mode" "$kind" &
    local pid=$!
    IW_PIDS+=("$pid")
    for i in $(seq 1 100); do
        case "$mode" in
            read) [ -e "$out.ready" ] && return 0 ;;
            full) [ -s "$out" ] && return 0 ;;
            stale) if ! kill -0 "$pid" 2>/dev/null; then [ -S "$socket" ] && return 0; break; fi ;;
        esac
        sleep 0.05
    done
    _iw_mod_fail "sink ($mode, $kind) at $socket did not become ready"
}

# _iw_mod_flush SOCKET OUT: waits until everything sent to a read-mode sink so far is written to OUT
# (a unix datagram queue, and a listen backlog, are FIFO: once a sentinel sent now shows up, all earlier
# datagrams or records have).
_iw_mod_flush() {
    local socket=$1 out=$2 i
    local hex
    hex=$(printf 'IWTEST-SENTINEL' | od -An -tx1 | tr -d ' \n')
    python3 -c '
import errno, socket, sys
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"IWTEST-SENTINEL", sys.argv[1])
except OSError as e:
    if e.errno != errno.EPROTOTYPE:
        raise
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.send(b"IWTEST-SENTINEL")' "$socket" || { _iw_mod_fail "cannot send the sentinel to $socket"; return 1; }
    for i in $(seq 1 200); do
        grep -qE "^$hex( |\$)" "$out" 2>/dev/null && return 0
        sleep 0.025
    done
    _iw_mod_fail "sink $socket did not drain"
}

# Clears a sink's capture so that the next pamtester run is checked alone.
_iw_mod_reset() { : >"$1"; }

_iw_mod_user() {
    if id "$IW_MOD_USER" >/dev/null 2>&1; then
        [ "$IW_MADE_USER" = 1 ] && return 0
        _iw_mod_fail "user $IW_MOD_USER exists already (left by another run?)"
        return 1
    fi
    useradd -M -s /usr/sbin/nologin "$IW_MOD_USER" >/dev/null 2>&1 \
        || { _iw_mod_fail "useradd $IW_MOD_USER failed"; return 1; }
    IW_MADE_USER=1
}

# _iw_mod_service ARGS...: writes a pam.d service whose session stack is this module with ARGS; prints its name.
_iw_mod_service() {
    local name="idlewarden-test-mod-$BASHPID-${#IW_SERVICES[@]}"
    IW_SERVICES+=("$name")
    printf 'session required %s %s\n' "$IW_MODULE" "$*" >"/etc/pam.d/$name"
    IW_SERVICE=$name
}

# _iw_mod_run [--hide-toolchain] PAMTESTER-ARGS...: runs pamtester (at most 20 s) in a private mount namespace
# where /dev/log is the test's log sink (and, with --hide-toolchain, an empty dir covers the Swift toolchain: it
# fails unless the toolchain's runtime library is there before and gone after).
# Sets IW_RC to pamtester's exit status and IW_PAMTESTER_PID to its pid; output goes to $IW_TMP/pamtester.out.
_iw_mod_run() {
    local hide="" runtime=""
    if [ "$1" = --hide-toolchain ]; then
        hide=$(_iw_mod_toolchain)
        runtime=$(_iw_mod_runtime "$hide")
        [ -e "$runtime" ] || {
            _iw_mod_fail "no Swift toolchain to hide: $runtime does not exist (set IDLEWARDEN_TOOLCHAIN)"
            return 1
        }
        mkdir -p "$IW_TMP/empty"
        shift
    fi
    rm -f "$IW_TMP/pamtester.pid"
    IW_LOG_SOCK=$IW_LOG_SOCK IW_HIDE=$hide IW_RUNTIME=$runtime IW_EMPTY="$IW_TMP/empty" \
        IW_PIDFILE="$IW_TMP/pamtester.pid" timeout -s KILL 20 unshare -m sh -c '
            mount --bind "$IW_LOG_SOCK" /dev/log || exit 96
            if [ -n "$IW_HIDE" ]; then
                mount --bind "$IW_EMPTY" "$IW_HIDE" || exit 97
                [ -z "$(ls -A "$IW_HIDE")" ] && [ ! -e "$IW_RUNTIME" ] || exit 98
            fi
            echo $$ >"$IW_PIDFILE"
            exec pamtester "$@"' sh "$@" >"$IW_TMP/pamtester.out" 2>&1
    IW_RC=$?
    IW_PAMTESTER_PID=$(cat "$IW_TMP/pamtester.pid" 2>/dev/null)
    case $IW_RC in
        96|97) _iw_mod_fail "could not prepare the mount namespace (status $IW_RC)"; return 1 ;;
        98) _iw_mod_fail "the toolchain $hide is still visible after hiding it ($runtime)"; return 1 ;;
    esac
    return 0
}

# Fails unless pamtester ended by itself (not by a signal, not blocked) with status $1.
_iw_mod_expect_rc() {
    local expected=$1 what=$2
    if [ "$IW_RC" = 124 ]; then
        _iw_mod_fail "$what: pamtester did not finish within 20 s (blocked): $(cat "$IW_TMP/pamtester.out")"
        return 1
    fi
    if [ "$IW_RC" -gt 128 ]; then
        _iw_mod_fail "$what: pamtester was killed by signal $((IW_RC - 128)) (blocked or crashed): $(cat "$IW_TMP/pamtester.out")"
        return 1
    fi
    if [ "$IW_RC" != "$expected" ]; then
        _iw_mod_fail "$what: pamtester exited $IW_RC, expected $expected: $(cat "$IW_TMP/pamtester.out")"
        return 1
    fi
}

_iw_mod_check() {
    # _iw_mod_check PYTHON-CODE ARGS...: runs code with iwcheck's names, TMP (the test's temp dir) and ARGS
    # defined; on failure prints the reason the code printed.
    local code=$1
    shift
    local reason
    reason=$(python3 -c "import sys; sys.path.insert(0, sys.argv[1]); from iwcheck import *
TMP, ARGS = sys.argv[1], sys.argv[2:]
$code" "$IW_TMP" "$@" 2>&1) || { _iw_mod_fail "$reason"; return 1; }
}

# (1) The shared object needs nothing from the toolchain and exports only the two entry points.
test_module_links_only_system_libraries() (
    _iw_mod_setup || exit 1
    local toolchain ldd_out needed defined undefined
    toolchain=$(_iw_mod_toolchain)
    ldd_out=$(ldd "$IW_MODULE" 2>&1) || { _iw_mod_fail "ldd failed: $ldd_out"; exit 1; }
    if grep -q "not found" <<<"$ldd_out"; then _iw_mod_fail "unresolved library: $ldd_out"; exit 1; fi
    if grep -qiE "swift|${toolchain//./\\.}" <<<"$ldd_out"; then
        _iw_mod_fail "links something from the Swift toolchain: $ldd_out"
        exit 1
    fi
    needed=$(readelf -d "$IW_MODULE" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    if ! grep -qx "libpam\.so\.0" <<<"$needed" || grep -qvxE "libpam\.so\.0|libm\.so\.6|libc\.so\.6" <<<"$needed"; then
        _iw_mod_fail "NEEDED should be libpam (and libm, libc) only:" $needed
        exit 1
    fi
    defined=$(nm -D --defined-only "$IW_MODULE" | awk '{print $NF}' | sort | tr '\n' ' ')
    if [ "$defined" != "pam_sm_close_session pam_sm_open_session " ]; then
        _iw_mod_fail "exported symbols should be exactly the two entry points, got: $defined"
        exit 1
    fi
    undefined=$(nm -D --undefined-only "$IW_MODULE" | awk '{print $NF}')
    if grep -E '^(swift_|\$s|\$e|_swift)|arc4random' <<<"$undefined"; then
        _iw_mod_fail "needs Swift runtime or arc4random symbols at load time"
        exit 1
    fi
)

# (2) No daemon (socket missing, or a stale socket nobody listens on): the session opens and closes, and both
# records go to the spool beside the socket (made as root's: the socket's directory 0755, spool/ 0700, files 0600),
# open then close, each naming the login process by pid and start time. The open logs exactly one warning
# naming the reason, the socket and the spool; the close of a spooled open is spooled without a line. A socket
# whose directory others may write to gets no spool (fail open, one line saying why), and neither does a spool
# that is not root's alone.
test_module_spools_without_daemon() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local missing="$IW_TMP/not-there/session.sock"
    _iw_mod_service "socket=$missing"
    # The socket's directory is made 0755 whatever the login program's umask (users reach control.sock in it).
    umask 077
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    umask 022
    _iw_mod_expect_rc 0 "missing socket" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check '
lines = expect_logs(TMP + "/log.out", 1, 4, "session open spooled", "does not exist", ARGS[0], "from the spool")' \
        "$missing" || exit 1
    _iw_mod_check_spool "$IW_TMP/not-there" 0755 "$IW_PAMTESTER_PID" open close || exit 1

    _iw_mod_reset "$IW_LOG_OUT"
    local stale="$IW_TMP/stale/session.sock"
    mkdir -m 0755 "$IW_TMP/stale"
    _iw_mod_sink "$stale" "$IW_TMP/stale.out" stale seqpacket || exit 1
    _iw_mod_service "socket=$stale"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session || exit 1
    _iw_mod_expect_rc 0 "stale socket" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 1, 4, "spooled", "not running", ARGS[0])' "$stale" || exit 1
    _iw_mod_check_spool "$IW_TMP/stale" 0755 "$IW_PAMTESTER_PID" open || exit 1

    _iw_mod_reset "$IW_LOG_OUT"
    mkdir -m 1777 "$IW_TMP/open"
    _iw_mod_service "socket=$IW_TMP/open/session.sock"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "socket directory writable by all" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 1, 4, "not spooled: socket directory is not owned by root or is writable by others", "fail open")' || exit 1
    [ ! -e "$IW_TMP/open/spool" ] || { _iw_mod_fail "a spool was made in a directory writable by all"; exit 1; }

    _iw_mod_reset "$IW_LOG_OUT"
    mkdir -m 0755 "$IW_TMP/shared" "$IW_TMP/shared/spool"
    _iw_mod_service "socket=$IW_TMP/shared/session.sock"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "spool readable by all" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 1, 4, "not spooled: spool is not owned by root or is writable by others")' || exit 1
    [ -z "$(ls -A "$IW_TMP/shared/spool")" ] || { _iw_mod_fail "a record was written to a spool open to all"; exit 1; }
)

# _iw_mod_check_spool DIR DIRMODE PID PHASE...: DIR (root's, mode DIRMODE) holds spool/ (0700, root) with one
# record per PHASE, in that order, each a root-owned 0600 file named <20 digits>-PID-PHASE whose datagram names PID
# and its start time.
_iw_mod_check_spool() {
    local dir=$1 dirmode=$2 pid=$3
    shift 3
    _iw_mod_check '
import os, re, stat
directory, dirmode, pid, phases = ARGS[0], int(ARGS[1], 8), int(ARGS[2]), ARGS[3:]
spool = directory + "/spool"
for path, mode in ((directory, dirmode), (spool, 0o700)):
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or stat.S_IMODE(info.st_mode) != mode:
        fail("%s: mode %o uid %d, expected a directory of root, mode %o" % (path, info.st_mode, info.st_uid, mode))
names = sorted(os.listdir(spool))
if [n.rsplit("-", 1)[-1] for n in names] != phases:
    fail("spool holds %r, expected records of %r in that order" % (names, phases))
for name, phase in zip(names, phases):
    if not re.fullmatch(r"[0-9]{20}-%d-%s" % (pid, phase), name):
        fail("record name %r is not <20 digits>-%d-%s" % (name, pid, phase))
    info = os.lstat(spool + "/" + name)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != 0 or stat.S_IMODE(info.st_mode) != 0o600:
        fail("record %s: mode %o uid %d, expected a regular file of root, mode 0600" % (name, info.st_mode, info.st_uid))
    version, kind, fields = parse(open(spool + "/" + name, "rb").read())
    if kind != (1 if phase == "open" else 2) or integer(fields, PID) != pid:
        fail("record %s: kind %d pid %d" % (name, kind, integer(fields, PID)))
    # The start time of the pamtester that wrote it (gone now): after boot, before now, in clock ticks.
    start = integer(fields, START)
    ticks_now = float(open("/proc/uptime").read().split()[0]) * os.sysconf("SC_CLK_TCK")
    if not 0 < start <= ticks_now:
        fail("record %s: start time %d is not a time since boot (now %d ticks)" % (name, start, ticks_now))
' "$dir" "$dirmode" "$pid" "$@"
}

# (3) With require_daemon, a missing or dead daemon fails open_session (PAM_SESSION_ERR), logged at LOG_ERR, and
# nothing is spooled: the login program abandons the login.
test_module_require_daemon_fails_closed() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local missing="$IW_TMP/not-there/session.sock"
    _iw_mod_service "socket=$missing require_daemon"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 1 "require_daemon, missing socket" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 1, 3, "session open", "does not exist", ARGS[0], "require_daemon")' \
        "$missing" || exit 1
    [ ! -e "$IW_TMP/not-there" ] || { _iw_mod_fail "require_daemon spooled a refused login: $(ls -R "$IW_TMP/not-there")"; exit 1; }

    local stale="$IW_TMP/stale.sock"
    _iw_mod_sink "$stale" "$IW_TMP/stale.out" stale seqpacket || exit 1
    _iw_mod_service "socket=$stale require_daemon"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session || exit 1
    _iw_mod_expect_rc 1 "require_daemon, stale socket" || exit 1
    [ ! -e "$IW_TMP/spool" ] || { _iw_mod_fail "require_daemon spooled a refused login"; exit 1; }
)

# (4) With the Swift toolchain hidden (empty dir bound over it in a mount namespace) the module still loads
# and registers: `required` + require_daemon + a live receiver make success impossible without it.
test_module_works_without_toolchain() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local socket="$IW_TMP/control.sock" out="$IW_TMP/control.out"
    _iw_mod_sink "$socket" "$out" read seqpacket || exit 1
    _iw_mod_service "socket=$socket require_daemon"
    _iw_mod_run --hide-toolchain "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "toolchain hidden" || exit 1
    _iw_mod_flush "$socket" "$out" || exit 1
    _iw_mod_check '
kinds = [kind for version, kind, fields in datagrams(TMP + "/control.out")]
if kinds != [1, 2]:
    fail("expected an open then a close datagram with the toolchain hidden, got kinds %r" % kinds)' || exit 1
)

# (5) A receiver gets one open then one close record with the header and every field as given, each on a
# connection of its own with the module's credentials.
test_module_sends_open_and_close() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local socket="$IW_TMP/control.sock" out="$IW_TMP/control.out"
    _iw_mod_sink "$socket" "$out" read seqpacket || exit 1
    _iw_mod_service "socket=$socket debug idle_timeout=30m warn_before=1m max_session=8h grace=10s exempt"
    _iw_mod_run -I tty=/dev/pts/9 -I rhost=example -E XDG_SESSION_ID=c7 -E XDG_SESSION_TYPE=wayland \
        "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "receiver" || exit 1
    _iw_mod_flush "$socket" "$out" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check '
service, pid, socket, user = ARGS
got = datagrams(TMP + "/control.out")
if [kind for version, kind, fields in got] != [1, 2]:
    fail("expected kinds [1, 2] (open, close), got %r" % [kind for version, kind, fields in got])
for version, kind, fields in got:
    if version != 1:
        fail("version %d, expected 1" % version)
    tags = sorted(tag for tag, value in fields)
    # No start time, sid or uid: the daemon reads those itself.
    if tags != sorted([PID, USER, SERVICE, TTY, RHOST, XDG, XDG_TYPE] + [OVERRIDE] * 5):
        fail("unexpected set of fields: %r" % fields)
    checks = [
        (one(fields, USER), user.encode()), (one(fields, SERVICE), service.encode()),
        (one(fields, TTY), b"/dev/pts/9"), (one(fields, RHOST), b"example"),
        (one(fields, XDG), b"c7"), (one(fields, XDG_TYPE), b"wayland"),
        (values(fields, OVERRIDE), [b"idle_timeout=30m", b"warn_before=1m", b"max_session=8h", b"grace=10s", b"exempt"]),
        (integer(fields, PID), int(pid)),
    ]
    for actual, expected in checks:
        if actual != expected:
            fail("field is %r, expected %r (kind %d)" % (actual, expected, kind))
if got[0][2] != got[1][2]:
    fail("open and close carry different fields")
# Each record on a connection of its own, with the credentials the module attached: its pid and effective ids.
for data, creds in captured(TMP + "/control.out", with_credentials=True):
    if creds != {"pid": int(pid), "uid": 0, "gid": 0}:
        fail("record carried credentials %r, expected pid %s uid 0 gid 0" % (creds, pid))
expect_logs(TMP + "/log.out", 2, 7, "sent session", socket)
' "$IW_SERVICE" "$IW_PAMTESTER_PID" "$socket" "$IW_MOD_USER" || exit 1
)

# (6) Hostile items: a 4 KiB user name and a 4 KiB rhost: pamtester ends by itself (no signal, no hang) in
# fail-open and require_daemon modes, nothing is sent, and the open logs one escaped line (its close, never
# registered, sends and logs nothing). A user name, tty or rhost that is not UTF-8 or holds a newline is sent byte
# for byte: the module looks nothing up, the daemon judges them (it rejects such a user name or tty, audited, and
# stores such an rhost escaped).
test_module_survives_hostile_items() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local socket="$IW_TMP/control.sock" out="$IW_TMP/control.out" long mode
    _iw_mod_sink "$socket" "$out" read seqpacket || exit 1
    long=$(head -c 4096 /dev/zero | tr '\0' a)
    for mode in open required; do
        if [ "$mode" = open ]; then _iw_mod_service "socket=$socket"; else _iw_mod_service "socket=$socket require_daemon"; fi
        local expected=0 severity=4
        [ "$mode" = required ] && { expected=1; severity=3; }
        _iw_mod_reset "$IW_LOG_OUT"
        _iw_mod_run "$IW_SERVICE" "$long" open_session close_session || exit 1
        _iw_mod_expect_rc $expected "4 KiB user name, $mode" || exit 1
        _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
        _iw_mod_check 'expect_logs(TMP + "/log.out", 1, int(ARGS[0]), *ARGS[1:])' \
            $severity "user name too long (4096 bytes, limit 256)" 'user "aaaa' || exit 1
        _iw_mod_reset "$IW_LOG_OUT"
        _iw_mod_run -I "rhost=$long" "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
        _iw_mod_expect_rc $expected "4 KiB rhost, $mode" || exit 1
        _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
        _iw_mod_check 'expect_logs(TMP + "/log.out", 1, int(ARGS[0]), "PAM_RHOST too long (4096 bytes")' \
            $severity || exit 1
    done
    _iw_mod_flush "$socket" "$out" || exit 1
    _iw_mod_check 'got = captured(ARGS[0]); got and fail("non-registrable sessions were sent: %r" % got)' "$out" || exit 1

    _iw_mod_reset "$IW_LOG_OUT"
    _iw_mod_run "$IW_SERVICE" $'iw\xff\ntest' open_session close_session || exit 1
    _iw_mod_expect_rc 0 "user name with \\xff and a newline" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 0, 0)' || exit 1
    _iw_mod_flush "$socket" "$out" || exit 1
    _iw_mod_check '
got = datagrams(ARGS[0])
if [one(fields, USER) for version, kind, fields in got] != [b"iw\xff\ntest"] * 2:
    fail("the user name was not sent as given in an open and a close: %r" % got)' "$out" || exit 1
    _iw_mod_reset "$out"

    _iw_mod_service "socket=$socket require_daemon"
    _iw_mod_run -I $'tty=pts\xfe/1' -I $'rhost=ex\xffam\nple' "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "non-UTF-8 tty and rhost" || exit 1
    _iw_mod_flush "$socket" "$out" || exit 1
    _iw_mod_check '
got = datagrams(ARGS[0])
if len(got) != 2:
    fail("expected 2 datagrams, got %d" % len(got))
for version, kind, fields in got:
    if one(fields, TTY) != b"pts\xfe/1" or one(fields, RHOST) != b"ex\xffam\nple":
        fail("tty/rhost not sent as given: %r %r" % (one(fields, TTY), one(fields, RHOST)))' "$out" || exit 1
)

# (7) An unknown argument is logged (once per call) and ignored: the session still registers, with
# require_daemon to prove that nothing else was given up, and the argument is not sent as an override.
test_module_ignores_unknown_argument() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local socket="$IW_TMP/control.sock" out="$IW_TMP/control.out"
    _iw_mod_sink "$socket" "$out" read seqpacket || exit 1
    _iw_mod_service "frobnicate=1 socket=$socket require_daemon"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "unknown argument" || exit 1
    _iw_mod_flush "$socket" "$out" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check '
got = datagrams(TMP + "/control.out")
if [kind for version, kind, fields in got] != [1, 2]:
    fail("expected an open and a close datagram, got %r" % got)
for version, kind, fields in got:
    if values(fields, OVERRIDE):
        fail("unknown argument sent as a policy override: %r" % values(fields, OVERRIDE))
expect_logs(TMP + "/log.out", 2, 4, "unknown argument", "frobnicate=1")' || exit 1
)

# Policy overrides that the wire format cannot carry (more than 16, or one over 128 bytes) are not truncated
# or dropped: the session is not registered, with one log line (the open's).
test_module_refuses_unsendable_overrides() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local socket="$IW_TMP/control.sock" out="$IW_TMP/control.out" many="" i
    _iw_mod_sink "$socket" "$out" read seqpacket || exit 1
    for i in $(seq 1 17); do many="$many grace=${i}s"; done
    _iw_mod_service "socket=$socket$many"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "17 overrides" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 1, 4, "more than 16 policy overrides")' || exit 1
    _iw_mod_reset "$IW_LOG_OUT"
    _iw_mod_service "socket=$socket idle_timeout=$(head -c 200 /dev/zero | tr '\0' 9)s"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "long override" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 1, 4, "policy override argument too long (214 bytes, limit 128)")' || exit 1
    _iw_mod_flush "$socket" "$out" || exit 1
    _iw_mod_check 'got = captured(ARGS[0]); got and fail("unsendable overrides were sent: %r" % got)' "$out" || exit 1
)

# A full listen backlog (EAGAIN) never blocks the login: the open is spooled (or refused with require_daemon).
test_module_never_blocks_on_full_backlog() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local socket="$IW_TMP/full.sock"
    _iw_mod_sink "$socket" "$IW_TMP/full.out" full seqpacket || exit 1
    _iw_mod_service "socket=$socket"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "full backlog" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 1, 4, "backlog is full", "spooled", ARGS[0])' "$socket" || exit 1
    _iw_mod_check_spool "$IW_TMP" 0700 "$IW_PAMTESTER_PID" open close || exit 1
    rm -rf "$IW_TMP/spool"
    _iw_mod_service "socket=$socket require_daemon"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session || exit 1
    _iw_mod_expect_rc 1 "full backlog, require_daemon" || exit 1
)

# A socket= path that cannot fit in sockaddr_un is refused with one log line, never truncated.
test_module_rejects_overlong_socket_path() (
    _iw_mod_setup || exit 1
    _iw_mod_user || exit 1
    local path
    path="$IW_TMP/$(head -c 120 /dev/zero | tr '\0' s).sock"
    _iw_mod_service "socket=$path"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session close_session || exit 1
    _iw_mod_expect_rc 0 "overlong socket path" || exit 1
    _iw_mod_flush "$IW_LOG_SOCK" "$IW_LOG_OUT" || exit 1
    _iw_mod_check 'expect_logs(TMP + "/log.out", 1, 4, "socket path is empty or longer than 107 bytes")' || exit 1
    _iw_mod_service "socket=$path require_daemon"
    _iw_mod_run "$IW_SERVICE" "$IW_MOD_USER" open_session || exit 1
    _iw_mod_expect_rc 1 "overlong socket path, require_daemon" || exit 1
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    iw_mod_passed=0
    iw_mod_failed=0
    for iw_mod_test in $(declare -F | awk '$3 ~ /^test_module_/ {print $3}'); do
        if "$iw_mod_test"; then
            echo "PASS $iw_mod_test"
            iw_mod_passed=$((iw_mod_passed + 1))
        else
            echo "FAIL $iw_mod_test"
            iw_mod_failed=$((iw_mod_failed + 1))
        fi
    done
    echo "$iw_mod_passed passed, $iw_mod_failed failed"
    [ "$iw_mod_failed" -eq 0 ]
fi
