# shellcheck shell=bash
# Helpers for the idlewarden end-to-end tests. Sourced (never executed) by tests/run.sh and by every test process.
#
# Each test runs as its own bash process (tests/run.sh → iw_run_test NAME), as root, with:
#   IW_T        a private temp dir (0755 so test users can reach files in it), removed at the end
#   IW_ID       a short unique id; use it in every name the test creates (users iwtest-$IW_ID-a, ...)
#   IW_TLOG     a directory kept after the run: daemon.log, sshd.log, pane captures, pamtester output
# and a cleanup stack: `iw_defer CMD ARGS...` pushes a command that runs (last in, first out) when the test ends,
# whether it passed, failed, timed out or was interrupted. Every helper that creates something defers its removal.
#
# Results: `iw_fail MSG` ends the test as failed; `iw_error MSG` records a failure and goes on (for cleanup);
# `iw_ok MSG` logs a passed check; `iw_check MSG CMD...` runs CMD and fails the test unless it succeeds.
# `iw_measure key=value...` writes an IW-MEASURE line that tests/run.sh collects into its summary.
#
# Everything created is named iwtest-* (users, groups, tmux sockets, temp dirs) or idlewarden-test-* (pam.d
# services, the sshd copy in /usr/local/sbin).

IW_ROOT=${IW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
IW_BIN=${IW_BIN:-$IW_ROOT/.build/release/idlewarden}
IW_SO=${IW_SO:-$IW_ROOT/.build/release/libpam_idlewarden.so}
IW_PY=${IW_PY:-$(command -v /usr/bin/python3 || command -v python3)}
IW_AUTHLOG=${IW_AUTHLOG:-/var/log/auth.log}
IW_SSHD_ORIG=${IW_SSHD_ORIG:-/usr/sbin/sshd}
# sshd names its PAM service after argv[0]'s basename: each test has its own copy (iw_run_test adds -ID), so
# that tests running at the same time never share, overwrite or remove each other's /etc/pam.d service.
IW_SSHD=/usr/local/sbin/idlewarden-test-sshd
IW_SSHD_SERVICE=idlewarden-test-sshd
IW_PAM_BACKUP_DIR=/var/tmp/idlewarden-test-pam-backup

# The short policy every enforcement test uses (seconds), and the bounds the tests assert with.
IW_IDLE=15
IW_WARN=5
IW_GRACE=3
# Bound on (end - (last input + idle_timeout)): the kernel's 8 s atime bucket, the 0.5 s pause after the farewell
# and the time to act (README, "When a session ends": never early, at most 10 s late).
IW_MAX_LATE=${IW_MAX_LATE:-10}
IW_TYPE_INTERVAL=4                 # seconds between key presses when a test keeps a session busy

# ---------------------------------------------------------------------------------------------------------------
# Logging and results

iw_log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
iw_ok() { iw_log "ok - $*"; }
iw_error() {
    iw_log "FAIL: $*"
    if [[ -n ${IW_FAIL_FILE:-} ]]; then printf '%s\n' "$*" >>"$IW_FAIL_FILE"; fi
}
iw_fail() { iw_error "$@"; exit 1; }
iw_check() { # MSG CMD...
    local msg=$1; shift
    if "$@"; then iw_ok "$msg"; else iw_fail "$msg"; fi
}
iw_measure() { printf 'IW-MEASURE %s %s\n' "${IW_TEST:-?}" "$*"; }

# ---------------------------------------------------------------------------------------------------------------
# Time and polling

# iw_now_ms — milliseconds on the boot-time clock (/proc/uptime: 10 ms steps), for durations and deadlines: the
# daemon counts idle time on that clock and follows a wall clock that was set (event=clock-jump), so a test timed
# on the wall clock would see a step of it (a virtual machine's clock resynchronised) as a session ended late.
iw_now_ms() { local up; read -r up _ </proc/uptime; echo $((10#${up/./} * 10)); }
# iw_ms_of_wall MS — a wall-clock time (ms since the epoch: a status deadline, an audit line's time) on the
# iw_now_ms clock, as the two clocks stand now.
iw_ms_of_wall() {
    local up wall=${EPOCHREALTIME/./}
    read -r up _ </proc/uptime
    echo $(($1 - wall / 1000 + 10#${up/./} * 10))
}
# iw_audit_line_ms LINE — the syslog timestamp of an audit line (RFC 3339 with microseconds), on the iw_now_ms clock.
iw_audit_line_ms() { iw_ms_of_wall "$(date -d "${1%% *}" +%s%3N)"; }
iw_secs() { awk -v m="$1" 'BEGIN { printf "%.1f", m / 1000 }'; } # milliseconds → "12.3"

# iw_wait_until TIMEOUT_SECONDS CMD... — poll CMD every 0.2 s; 0 as soon as it succeeds, 1 on timeout.
iw_wait_until() {
    local timeout=$1; shift
    local end=$(($(iw_now_ms) + timeout * 1000))
    while :; do
        "$@" && return 0
        (($(iw_now_ms) >= end)) && return 1
        sleep 0.2
    done
}

# iw_not CMD... — succeeds when CMD fails (for iw_wait_until: wait until something is gone).
iw_not() { ! "$@"; }

# iw_sleep_until MS — sleep until the iw_now_ms clock reaches MS (no-op if already past).
iw_sleep_until() {
    local left=$(($1 - $(iw_now_ms)))
    ((left > 0)) && sleep "$(iw_secs "$left")"
    return 0
}

iw_regex_escape() { printf '%s' "$1" | sed 's/[][\.*^$()+?{}|/]/\\&/g'; }

# ---------------------------------------------------------------------------------------------------------------
# Cleanup stack and the per-test entry point

IW_CLEANUP=()
iw_defer() { IW_CLEANUP+=("$(printf '%q ' "$@")"); }

iw_run_cleanups() {
    local i
    for ((i = ${#IW_CLEANUP[@]} - 1; i >= 0; i--)); do
        eval "${IW_CLEANUP[i]}" || iw_log "cleanup step failed (ignored): ${IW_CLEANUP[i]}"
    done
    IW_CLEANUP=()
}

iw__on_exit() {
    local rc=$?
    trap - EXIT
    trap '' TERM INT HUP # cleanup must finish; tests/run.sh's timeout -k is the last resort
    iw_log "cleanup (status $rc)"
    iw_run_cleanups
    if [[ -n ${IW_FAIL_FILE:-} && -s $IW_FAIL_FILE ]]; then rc=1; fi
    iw_log "end of $IW_TEST (status $rc)"
    exit "$rc"
}

# iw_run_test NAME — what tests/run.sh calls in a fresh bash after sourcing lib.sh and the test's file.
iw_run_test() {
    IW_TEST=$1
    IW_ID=$$
    IW_SSHD=/usr/local/sbin/idlewarden-test-sshd-$IW_ID
    IW_SSHD_SERVICE=${IW_SSHD##*/}
    IW_TLOG=${IW_LOG_DIR:-/tmp/idlewarden-e2e-logs}/$IW_TEST
    mkdir -p "$IW_TLOG"
    trap iw__on_exit EXIT
    trap 'iw_log "interrupted by a signal (timeout?)"; iw_error "interrupted (timeout)"; exit 143' TERM INT HUP
    IW_T=$(mktemp -d /tmp/iwtest-XXXXXX) || iw_fail "mktemp"
    chmod 0755 "$IW_T"
    iw_defer rm -rf "$IW_T"
    iw_syslog_mark
    iw_log "begin $IW_TEST (id $IW_ID, temp $IW_T, logs $IW_TLOG)"
    "$IW_TEST"
    local rc=$?
    if ((rc != 0)); then iw_error "$IW_TEST returned status $rc"; fi
    exit "$rc"
}

# ---------------------------------------------------------------------------------------------------------------
# Users and groups (always removed, with every process they own)

iw_mkgroup() { # NAME
    local g=$1
    [[ $g == iwtest-* ]] || iw_fail "test group names start with iwtest-: $g"
    getent group "$g" >/dev/null && return 0
    groupadd "$g" || iw_fail "groupadd $g"
    iw_defer iw_rmgroup "$g"
}
iw_rmgroup() { groupdel "$1" 2>/dev/null || true; }

# iw_mkuser [--primary GROUP] NAME [GROUP...] — a user with a home, /bin/bash, the test's client key in
# ~/.ssh/authorized_keys, and the given supplementary groups (made if missing).
iw_mkuser() {
    local primary=
    if [[ ${1:-} == --primary ]]; then primary=$2; shift 2; fi
    local name=$1; shift
    [[ $name == iwtest-* ]] || iw_fail "test user names start with iwtest-: $name"
    local g opts=(-m -s /bin/bash)
    for g in ${primary:+"$primary"} "$@"; do iw_mkgroup "$g"; done
    [[ -n $primary ]] && opts+=(-g "$primary")
    if (($# > 0)); then opts+=(-G "$(IFS=,; echo "$*")"); fi
    useradd "${opts[@]}" "$name" || iw_fail "useradd $name"
    iw_defer iw_rmuser "$name"
    iw_client_key
    local home
    home=$(getent passwd "$name" | cut -d: -f6)
    install -d -m 0700 -o "$name" -g "$(id -g "$name")" "$home/.ssh"
    install -m 0600 -o "$name" -g "$(id -g "$name")" "$IW_T/client_key.pub" "$home/.ssh/authorized_keys"
    iw_log "user $name uid=$(id -u "$name") groups=$(id -Gn "$name" | tr ' ' ,)"
}

iw_rmuser() {
    local name=$1 uid
    uid=$(id -u "$name" 2>/dev/null) || return 0
    pkill -KILL -u "$uid" 2>/dev/null
    pkill -KILL -U "$uid" 2>/dev/null
    iw_wait_until 10 iw_no_user_procs "$name"
    userdel -r -f "$name" 2>/dev/null || userdel -f "$name" 2>/dev/null || true
}

# The processes whose real or effective uid is the user's ("pid ruser euser sid tty args").
iw_user_procs() {
    local uid
    uid=$(id -u "$1" 2>/dev/null) || return 0
    ps -ww -o pid=,ruser=,euser=,sid=,tty=,args= -u "$uid" -U "$uid" 2>/dev/null
}
iw_no_user_procs() { [[ -z $(iw_user_procs "$1") ]]; }

# iw_proc_start PID — field 22 of /proc/PID/stat (start time in clock ticks), empty if the process is gone.
iw_proc_start() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    awk '{ print $20 }' <<<"$stat"
}
# iw_same_proc PID START — true while that exact process (pid and start time) is alive.
iw_same_proc() { [[ -n $2 && $(iw_proc_start "$1") == "$2" ]]; }

# Remove users, groups and sshd copies of earlier test processes that were killed before their cleanup ran: the
# names made by these tests carry the test's pid (iwtest-PID-x); only those whose pid is gone are touched.
iw_sweep_stale() {
    local name pid
    for name in $(getent passwd | cut -d: -f1 | grep -E '^iwtest-[0-9]+-'); do
        pid=${name#iwtest-}; pid=${pid%%-*}
        kill -0 "$pid" 2>/dev/null && continue
        iw_rmuser "$name" && echo "removed stale user $name"
    done
    for name in $(getent group | cut -d: -f1 | grep -E '^iwtest-[0-9]+-'); do
        pid=${name#iwtest-}; pid=${pid%%-*}
        kill -0 "$pid" 2>/dev/null && continue
        iw_rmgroup "$name" && echo "removed stale group $name"
    done
    for name in /usr/local/sbin/idlewarden-test-sshd-*; do # the test's sshd copy (iw_sshd_start)
        [[ -e $name ]] || continue
        kill -0 "${name##*-}" 2>/dev/null && continue
        rm -f "$name" && echo "removed stale $name"
    done
}

# ---------------------------------------------------------------------------------------------------------------
# System log (rsyslogd writing authpriv to /var/log/auth.log)

iw__authlog_configured() {
    grep -rqsE '^[^#]*auth(,|priv|\.)' /etc/rsyslog.conf /etc/rsyslog.d/ 2>/dev/null &&
        grep -rqsF "$IW_AUTHLOG" /etc/rsyslog.conf /etc/rsyslog.d/ 2>/dev/null
}

# Make sure rsyslogd runs and that an authpriv line reaches auth.log. Fails the test otherwise.
iw_syslog_start() {
    if ! pgrep -x rsyslogd >/dev/null; then
        iw__authlog_configured || iw_fail "rsyslog is not configured to write authpriv to $IW_AUTHLOG"
        rsyslogd || iw_fail "could not start rsyslogd"
        iw_log "started rsyslogd"
    fi
    local probe="idlewarden-test-probe-$$-$RANDOM"
    logger -p authpriv.notice -t idlewarden-test "$probe"
    iw_wait_until 10 grep -qF "$probe" "$IW_AUTHLOG" ||
        iw_fail "an authpriv line did not reach $IW_AUTHLOG within 10 s (is rsyslogd running and configured?)"
}

iw_syslog_mark() { IW_AUTHLOG_MARK=$(stat -c %s "$IW_AUTHLOG" 2>/dev/null || echo 0); }
iw_syslog_new() { tail -c +$((${IW_AUTHLOG_MARK:-0} + 1)) "$IW_AUTHLOG" 2>/dev/null; }

# iw_syslog_wait TIMEOUT PATTERN... — wait for a line written since the test began that matches every ERE.
iw_syslog_wait() {
    local timeout=$1; shift
    iw_wait_until "$timeout" iw__syslog_has "$@"
}
iw__syslog_filter() { # PATTERN... : stdin → the lines matching every ERE
    if (($# == 0)); then cat; return; fi
    local p=$1; shift
    grep -E -- "$p" | iw__syslog_filter "$@"
}
iw__syslog_has() { iw_syslog_new | iw__syslog_filter "$@" | grep -q .; }

# Audit lines of the daemon (syslog ident "idlewarden") since the test began, optionally filtered by EREs.
IW_AUDIT_RE=' idlewarden(\[[0-9]+\])?: '
iw_audit() { iw_syslog_new | grep -E -- "$IW_AUDIT_RE" | iw__syslog_filter "$@"; }
iw_audit_count() { iw_audit "$@" | grep -c .; }
iw_audit_wait() { local t=$1; shift; iw_syslog_wait "$t" "$IW_AUDIT_RE" "$@"; }
# iw_kv KEY VALUE — ERE for one key=value field (value optionally double-quoted).
iw_kv() { printf '(^|[[:space:]])%s="?%s"?([[:space:]]|$)' "$1" "$(iw_regex_escape "$2")"; }
# iw_kvre KEY ERE — the same with the value given as a regular expression, e.g. iw_kvre event '(warn|terminate)'.
iw_kvre() { printf '(^|[[:space:]])%s="?%s"?([[:space:]]|$)' "$1" "$2"; }
# iw_audit_field LINE KEY — the (unquoted) value of KEY in an audit line.
iw_audit_field() { grep -oE "(^|[[:space:]])$2=(\"([^\"\\\\]|\\\\.)*\"|[^[:space:]]*)" <<<"$1" | head -n1 | sed -E "s/^[[:space:]]*$2=//; s/^\"(.*)\"$/\\1/"; }

# ---------------------------------------------------------------------------------------------------------------
# The daemon

# iw_config [TOML LINES...] — write the test config (short timeouts) plus extra lines; sets IW_CONFIG.
# Put users to exclude in the array IW_EXCLUDE_USERS (not in an exclude_users line): the config always excludes
# every user that is not this test's own (iwtest-ID-*), because the daemon adopts the live logins it finds at
# start (utmp, terminals below sshd or login) — with a 15 s timeout it would otherwise log out whoever is running
# the tests, or the sessions of the tests running beside this one (tests/run.sh runs several at a time).
iw_config() {
    IW_CONFIG=$IW_T/idlewarden.conf
    local users=() u list=
    mapfile -t users < <(getent passwd | cut -d: -f1 | grep -v "^iwtest-$IW_ID-")
    for u in "${users[@]}" ${IW_EXCLUDE_USERS[@]+"${IW_EXCLUDE_USERS[@]}"}; do
        u=${u//\\/\\\\}; u=${u//\"/\\\"}
        list+="${list:+, }\"$u\""
    done
    {
        echo 'allow_short_timeouts = true'
        echo "idle_timeout = \"${IW_IDLE}s\""
        echo "warn_before = \"${IW_WARN}s\""
        echo "signal_interval = \"${IW_GRACE}s\""
        echo "exclude_users = [$list]"
        printf '%s\n' "$@"
    } >"$IW_CONFIG"
    cp "$IW_CONFIG" "$IW_TLOG/idlewarden.conf"
}

# iw_daemon_start [CONFIG] — start `idlewarden daemon` in the background and wait for its socket.
# Sets IW_SOCK (control socket: status, any user), IW_SESSION_SOCK (where the PAM module sends: session.sock
# beside it if the daemon made one, else the control socket), IW_DAEMON_PID (also in $IW_T/daemon.pid),
# IW_DAEMON_LOG (its stderr). The daemon is stopped at cleanup. With IW_DAEMON_PRELOAD set, the daemon runs with
# that library in LD_PRELOAD (a test harness's way to play another kernel; never a switch of the product).
iw_daemon_start() {
    [[ -x $IW_BIN ]] || iw_fail "missing $IW_BIN (build first: swift build -c release)"
    [[ -n ${1:-} ]] && IW_CONFIG=$1
    [[ -n ${IW_CONFIG:-} ]] || iw_config
    iw_syslog_start
    install -d -m 0755 "$IW_T/run"
    install -d -m 0700 "$IW_T/state"
    IW_SOCK=$IW_T/run/control.sock
    IW_DAEMON_LOG=$IW_TLOG/daemon.log
    env ${IW_DAEMON_PRELOAD:+LD_PRELOAD=$IW_DAEMON_PRELOAD} \
        "$IW_BIN" daemon --config "$IW_CONFIG" --socket "$IW_SOCK" --state-dir "$IW_T/state" \
        </dev/null >>"$IW_DAEMON_LOG" 2>&1 &
    IW_DAEMON_PID=$!
    echo "$IW_DAEMON_PID" >"$IW_T/daemon.pid"
    # The audit helpers see only the lines of this test's daemons: other tests' daemons log with the same ident.
    IW_OWN_DAEMON_PIDS+="${IW_OWN_DAEMON_PIDS:+|}$IW_DAEMON_PID"
    IW_AUDIT_RE=" idlewarden\\[($IW_OWN_DAEMON_PIDS)\\]: "
    iw_defer iw_daemon_stop
    iw_wait_until 20 iw__daemon_ready_or_dead
    if ! iw_daemon_alive || ! iw_status >/dev/null 2>&1; then
        tail -n 30 "$IW_DAEMON_LOG" | sed 's/^/  daemon: /'
        iw_fail "daemon did not answer status on $IW_SOCK within 20 s (or exited)"
    fi
    # The PAM module's socket: the root-only session socket beside the control socket when the daemon has one.
    IW_SESSION_SOCK=$IW_SOCK
    [[ -S ${IW_SOCK%/*}/session.sock ]] && IW_SESSION_SOCK=${IW_SOCK%/*}/session.sock
    iw_check "daemon running (pid $IW_DAEMON_PID), control socket $IW_SOCK, session socket $IW_SESSION_SOCK" iw_daemon_alive
}
iw__daemon_ready_or_dead() { { [[ -S $IW_SOCK ]] && iw_status >/dev/null 2>&1; } || ! iw_daemon_alive; }
iw_daemon_alive() { [[ -n ${IW_DAEMON_PID:-} ]] && kill -0 "$IW_DAEMON_PID" 2>/dev/null; }
iw_daemon_stop() {
    [[ -n ${IW_DAEMON_PID:-} ]] || return 0
    kill -TERM "$IW_DAEMON_PID" 2>/dev/null
    iw_wait_until 5 iw__not_alive "$IW_DAEMON_PID" || kill -KILL "$IW_DAEMON_PID" 2>/dev/null
    wait "$IW_DAEMON_PID" 2>/dev/null
    IW_DAEMON_PID=
}
iw__not_alive() { ! kill -0 "$1" 2>/dev/null; }

# iw_status [--as USER] [ARGS...] — run `idlewarden status` against the test daemon (at most 10 s).
iw_status() {
    local as=
    if [[ ${1:-} == --as ]]; then as=$2; shift 2; fi
    if [[ -n $as ]]; then
        iw__user_bin
        timeout 10 runuser -u "$as" -- "$IW_T/bin/idlewarden" status --socket "$IW_SOCK" "$@"
    else
        timeout 10 "$IW_BIN" status --socket "$IW_SOCK" "$@"
    fi
}
iw__user_bin() { # a copy of the binary that any user can run, whatever the permissions above the checkout
    [[ -x $IW_T/bin/idlewarden ]] && return 0
    install -d -m 0755 "$IW_T/bin"
    install -m 0755 "$IW_BIN" "$IW_T/bin/idlewarden"
}

# iw_status_tsv [--as USER] — `status --json` as tab-separated lines:
#   1 id, 2 user, 3 uid, 4 service, 5 tty, 6 rhost, 7 pid, 8 state, 9 exempt_reason, 10 terminals (comma-separated),
#   11 idle_seconds, 12 next_deadline
# (null or absent → "-"). Returns 1 (message on stderr) unless the output is a JSON array of objects with at least
# the keys that are never null. iw_status_keys_check checks that every documented key is present.
IW_PY_STATUS_TSV='
import json, sys
strict = sys.argv[1:] == ["--strict"]
raw = sys.stdin.read()
try:
    data = json.loads(raw)
except Exception as e:
    sys.exit("status --json is not JSON (%s): %r" % (e, raw[:300]))
if not isinstance(data, list):
    sys.exit("status --json is not an array: %r" % raw[:300])
keys = ["id", "user", "uid", "service", "tty", "rhost", "pid", "state", "exempt_reason", "terminals",
        "idle_seconds", "next_deadline"]
required = keys if strict else ["id", "user", "uid", "service", "pid", "state", "terminals", "idle_seconds"]
def cell(v):
    if v is None: return "-"
    if isinstance(v, list): return ",".join(str(x) for x in v) or "-"
    return str(v).replace("\t", " ").replace("\n", " ")
for s in data:
    missing = [k for k in required if k not in s]
    if missing:
        sys.exit("status --json entry lacks %s: %s" % (missing, json.dumps(s)))
    if not strict:
        print("\t".join(cell(s.get(k)) for k in keys))
'
iw_status_tsv() {
    local out
    out=$(iw_status "$@" --json) || { echo "idlewarden status --json failed: $out" >&2; return 1; }
    printf '%s' "$out" | "$IW_PY" -c "$IW_PY_STATUS_TSV"
}
# iw_status_keys_check — every entry of `status --json` has all the documented keys (null when unknown).
iw_status_keys_check() {
    local out
    out=$(iw_status --json) && printf '%s' "$out" | "$IW_PY" -c "$IW_PY_STATUS_TSV" --strict
}
# iw_sessions_of USER [--as USER] — status lines (TSV above) of USER's sessions. Returns 1 and prints nothing
# when `status` itself fails, so that "no session of USER" is never concluded from a broken status; and
# iw_session_count then prints "status-failed", which equals no number.
iw_sessions_of() {
    local user=$1 out; shift
    out=$(iw_status_tsv "$@") || { iw_log "status failed while listing the sessions of $user" >&2; return 1; }
    [[ -n $out ]] || return 0
    awk -F'\t' -v u="$user" '$2 == u' <<<"$out"
}
iw_session_count() {
    local out
    out=$(iw_sessions_of "$@") || { echo status-failed; return 1; }
    grep -c . <<<"$out"
}
iw__count_is() { local n=$1; shift; [[ $(iw_session_count "$@") == "$n" ]]; }
# iw_wait_sessions N TIMEOUT USER — wait until status lists exactly N sessions of USER.
iw_wait_sessions() { iw_wait_until "$2" iw__count_is "$1" "$3"; }

# ---------------------------------------------------------------------------------------------------------------
# Control-socket datagrams, built by hand (the wire format of IdleWardenWire):
#   "IW" | version u8 (1) | kind u8 (1 open, 2 close) | fields: tag u8 | length u16 BE | value
#   pid=1 u32, sid=2 u32, startTime=3 u64, uid=4 u32, user=5, service=6, tty=7, rhost=8 (UTF-8 strings)
# Sent as a datagram to the control socket, or as one record on a connection of its own to the session socket
# (SOCK_SEQPACKET), whichever SOCKET is.
# iw_dgram SOCKET RECIPE [key=value...]
#   recipes: open close truncated-header truncated-field oversized bad-version bad-magic lying-length bad-utf8
#   keys: pid (default: sender), start (default: /proc/pid/stat), sid, uid, user, service, tty, rhost,
#         creds_pid (send SCM_CREDENTIALS with this pid, uid 0, gid 0 — root only)
IW_PY_DGRAM='
import os, socket, struct, sys
sock, recipe = sys.argv[1], sys.argv[2]
a = dict(x.split("=", 1) for x in sys.argv[3:])
pid = int(a.get("pid", os.getpid()))
def start_of(p):
    with open("/proc/%d/stat" % p) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])
start = int(a["start"]) if "start" in a else start_of(pid)
sid = int(a["sid"]) if "sid" in a else os.getsid(pid)
uid = int(a.get("uid", os.getuid()))
def field(tag, value):
    return bytes([tag]) + struct.pack(">H", len(value)) + value
def enc(s):
    return s.encode("utf-8", "surrogateescape")
def message(kind=1, version=1, magic=b"IW", user=None):
    b = magic + bytes([version, kind])
    b += field(1, struct.pack(">I", pid))
    b += field(3, struct.pack(">Q", start))
    b += field(2, struct.pack(">I", sid))
    b += field(4, struct.pack(">I", uid))
    b += field(5, user if user is not None else enc(a.get("user", "nobody")))
    b += field(6, enc(a.get("service", "idlewarden-test")))
    if "tty" in a: b += field(7, enc(a["tty"]))
    if "rhost" in a: b += field(8, enc(a["rhost"]))
    return b
if recipe == "open": data = message(1)
elif recipe == "close": data = message(2)
elif recipe == "truncated-header": data = b"IW\x01"
elif recipe == "truncated-field": data = message(1) + b"\x08\x00"
elif recipe == "oversized": data = message(1) + b"\x00" * 5000
elif recipe == "bad-version": data = message(1, version=2)
elif recipe == "bad-magic": data = message(1, magic=b"XW")
elif recipe == "lying-length":
    data = b"IW\x01\x01" + field(1, struct.pack(">I", pid)) + bytes([5]) + struct.pack(">H", 300) + b"liar"
elif recipe == "bad-utf8": data = message(1, user=b"iwtest-\xff\xfe\xc0\xaf")
else: sys.exit("unknown recipe " + recipe)
import errno
ancillary = []
if "creds_pid" in a:
    ancillary = [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack("iII", int(a["creds_pid"]), 0, 0))]
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendmsg([data], ancillary, 0, sock)
except OSError as e:
    if e.errno != errno.EPROTOTYPE:
        raise
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock)
    s.sendmsg([data], ancillary)
print("sent %s: %d bytes" % (recipe, len(data)))
# linger=S: stay alive S seconds after sending, as a login program stays in its PAM stack: the daemon reads the
# /proc entry of the sender (its PID namespace, for one) when it takes the datagram.
import time
time.sleep(float(a.get("linger", 0)))
'
iw_dgram() { timeout 10 "$IW_PY" -c "$IW_PY_DGRAM" "$@"; }
# iw_dgram_as USER SOCKET RECIPE [key=value...] — the same, sent by a non-root user.
iw_dgram_as() {
    local user=$1; shift
    timeout 10 runuser -u "$user" -- "$IW_PY" -c "$IW_PY_DGRAM" "$@"
}

# ---------------------------------------------------------------------------------------------------------------
# pam.d services

# iw_module_line [ARGS...] — the pam.d line that loads the built module against the test daemon.
iw_module_line() { echo "session optional $IW_SO socket=${IW_SESSION_SOCK:-$IW_SOCK} debug${*:+ $*}"; }

# iw_pam_service NAME LINES... — write /etc/pam.d/NAME (NAME must start with idlewarden-test-); removed at cleanup.
iw_pam_service() {
    local name=$1; shift
    [[ $name == idlewarden-test-* ]] || iw_fail "test pam.d services start with idlewarden-test-: $name"
    printf '%s\n' "# written by the idlewarden e2e test $IW_TEST; removed when it ends" "$@" >"/etc/pam.d/$name"
    iw_defer rm -f "/etc/pam.d/$name"
    cp "/etc/pam.d/$name" "$IW_TLOG/pam.d-$name"
}

# iw_pam_append SERVICE LINE — append LINE to an existing /etc/pam.d/SERVICE (login, su-l) for this test only.
# The original is backed up and put back byte for byte at cleanup (verified with sha256sum); tests/run.sh also
# restores leftovers of a test that was killed (iw_pam_restore_stale).
iw_pam_append() {
    local service=$1 line=$2 file=/etc/pam.d/$1
    [[ -f $file ]] || iw_fail "$file does not exist"
    install -d -m 0700 "$IW_PAM_BACKUP_DIR"
    local backup=$IW_PAM_BACKUP_DIR/$service.$$ sum
    cp -p "$file" "$backup" || iw_fail "cannot back up $file"
    sum=$(sha256sum <"$file" | cut -d' ' -f1)
    iw_defer iw_pam_restore "$file" "$backup" "$sum"
    printf '%s\n' "$line" >>"$file"
    iw_log "appended to $file: $line"
}
iw_pam_restore() { # FILE BACKUP SHA256
    local file=$1 backup=$2 sum=$3
    [[ -f $backup ]] || { iw_error "backup $backup of $file is missing"; return 1; }
    cat "$backup" >"$file"
    if [[ $(sha256sum <"$file" | cut -d' ' -f1) == "$sum" ]]; then
        rm -f "$backup"
        rmdir "$IW_PAM_BACKUP_DIR" 2>/dev/null
        iw_log "restored $file (sha256 $sum)"
    else
        iw_error "$file differs from its backup after restore (backup kept at $backup)"
        return 1
    fi
}
# Put back pam.d files whose test process died without cleaning up (backup named SERVICE.PID, PID gone).
iw_pam_restore_stale() {
    local backup base service pid
    for backup in "$IW_PAM_BACKUP_DIR"/*.*; do
        [[ -f $backup ]] || continue
        base=${backup##*/}; service=${base%.*}; pid=${base##*.}
        kill -0 "$pid" 2>/dev/null && continue
        cat "$backup" >"/etc/pam.d/$service" && rm -f "$backup" && echo "restored /etc/pam.d/$service from $backup"
    done
}

# ---------------------------------------------------------------------------------------------------------------
# pamtester, held open: open_session, then it blocks in `authenticate` (pam_exec prompts for a password) until
# iw_pamtester_release feeds a line, then close_session. So the session stays open while the test looks at it.

# iw_pamtester_service NAME [MODULE ARGS...] — a pam.d service for held pamtester sessions.
iw_pamtester_service() {
    local name=$1; shift
    iw_pam_service "$name" \
        "auth     required pam_exec.so expose_authtok /bin/true" \
        "account  required pam_permit.so" \
        "session  required pam_permit.so" \
        "$(iw_module_line "$@")"
}

# iw_fill_session_backlog SOCK — connects to the session socket SOCK (a SEQPACKET listener) without sending until
# a non-blocking connect fails with EAGAIN, and prints how many connections that took. Their sockets close when it
# exits, but the connections stay in the listener's backlog until the daemon accepts them: with the daemon
# stopped, the backlog stays full.
iw_fill_session_backlog() {
    timeout 20 "$IW_PY" - "$1" <<'PY'
import resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
while True:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except BlockingIOError:
        break
    held.append(s)
    if len(held) > 1000000:
        sys.exit("the backlog never filled")
print(len(held))
PY
}

# iw_pamtester_hold TAG SERVICE USER [pamtester -I item=value ...] — sets IW_PT_PID_<TAG>.
iw_pamtester_hold() {
    local tag=$1 service=$2 user=$3; shift 3
    local fifo=$IW_T/pamtester-$tag.fifo out=$IW_TLOG/pamtester-$tag.log fd pid
    mkfifo "$fifo"
    # setsid: no controlling terminal, so the daemon never takes the runner's terminal for this session's.
    setsid pamtester -v "$@" "$service" "$user" open_session authenticate close_session <"$fifo" >"$out" 2>&1 &
    pid=$!
    exec {fd}>"$fifo"
    printf -v "IW_PT_PID_$tag" '%s' "$pid"
    printf -v "IW_PT_FD_$tag" '%s' "$fd"
    iw_defer iw__pamtester_kill "$tag"
    iw_wait_until 10 grep -q 'performing operation - authenticate' "$out" ||
        iw_fail "pamtester $tag did not get through open_session: $(cat "$out")"
    iw_log "pamtester $tag (pid $pid): session open for $user via $service"
}
# iw_pamtester_release TAG — let it close the session; returns pamtester's exit status.
iw_pamtester_release() {
    local tag=$1 pidvar=IW_PT_PID_$1 fdvar=IW_PT_FD_$1
    local pid=${!pidvar:-} fd=${!fdvar:-}
    [[ -n $pid ]] || { iw_error "no pamtester $tag"; return 1; }
    echo "iwtest-password" >&"$fd"
    exec {fd}>&-
    wait "$pid"
    local rc=$?
    printf -v "$pidvar" '%s' ""
    iw_log "pamtester $tag exited with $rc"
    return "$rc"
}
iw__pamtester_kill() {
    local pidvar=IW_PT_PID_$1 fdvar=IW_PT_FD_$1
    local pid=${!pidvar:-} fd=${!fdvar:-}
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null
    [[ -n $fd ]] && exec {fd}>&-
    wait "$pid" 2>/dev/null
    return 0
}

# ---------------------------------------------------------------------------------------------------------------
# sshd: a copy of /usr/sbin/sshd named idlewarden-test-sshd-ID (so its PAM service is
# /etc/pam.d/idlewarden-test-sshd-ID, the test's own) on 127.0.0.1, a free port, its own host key and config,
# UsePAM yes, key authentication only.

iw_free_port() {
    "$IW_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The client key that iw_mkuser puts in every test user's authorized_keys.
iw_client_key() {
    [[ -f $IW_T/client_key ]] && return 0
    ssh-keygen -q -t ed25519 -N '' -C "iwtest-$IW_ID" -f "$IW_T/client_key" || iw_fail "ssh-keygen (client)"
}

# iw_sshd_start [MODULE ARGS...] — needs the daemon (IW_SOCK) first. Sets IW_SSH_PORT, IW_SSHD_PID.
iw_sshd_start() {
    [[ -n ${IW_SOCK:-} ]] || iw_fail "iw_sshd_start: start the daemon first"
    [[ -x $IW_SSHD_ORIG ]] || iw_fail "missing $IW_SSHD_ORIG (package openssh-server)"
    if ! cmp -s "$IW_SSHD_ORIG" "$IW_SSHD"; then
        if ! { cp "$IW_SSHD_ORIG" "$IW_SSHD.tmp.$$" && mv -f "$IW_SSHD.tmp.$$" "$IW_SSHD"; }; then
            iw_fail "cannot copy $IW_SSHD_ORIG to $IW_SSHD"
        fi
    fi
    iw_defer rm -f "$IW_SSHD"
    if [[ ! -d /run/sshd ]]; then # privilege separation directory
        install -d -m 0755 /run/sshd
        iw_defer iw__run_sshd_remove
    fi
    iw_pam_service "$IW_SSHD_SERVICE" \
        "auth     required pam_deny.so" \
        "account  required pam_permit.so" \
        "password required pam_deny.so" \
        "session  required pam_loginuid.so" \
        "session  required pam_permit.so" \
        "$(iw_module_line "$@")"
    iw_sshd_run "$IW_SSHD"
}

# iw_sshd_run SSHD — start the sshd binary SSHD (absolute path; its basename names its PAM service) with the test
# config: 127.0.0.1, a free port, its own host key, UsePAM yes, key authentication for the test users only.
iw_sshd_run() {
    local sshd=$1
    iw_client_key
    ssh-keygen -q -t ed25519 -N '' -f "$IW_T/ssh_host_key" || iw_fail "ssh-keygen (host)"
    IW_SSH_PORT=$(iw_free_port)
    cat >"$IW_T/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $IW_SSH_PORT
HostKey $IW_T/ssh_host_key
PidFile $IW_T/sshd.pid
UsePAM yes
PubkeyAuthentication yes
AuthenticationMethods publickey
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
MaxSessions 10
MaxStartups 100
ClientAliveInterval 0
LogLevel VERBOSE
EOF
    cp "$IW_T/sshd_config" "$IW_TLOG/sshd_config"
    "$sshd" -t -f "$IW_T/sshd_config" || iw_fail "sshd -t rejects the test config"
    "$sshd" -D -e -f "$IW_T/sshd_config" </dev/null >>"$IW_TLOG/sshd.log" 2>&1 &
    IW_SSHD_PID=$!
    iw_defer iw_sshd_stop
    iw_wait_until 15 grep -q "Server listening on 127.0.0.1 port $IW_SSH_PORT" "$IW_TLOG/sshd.log" ||
        iw_fail "sshd did not start: $(tail -n 5 "$IW_TLOG/sshd.log")"
    iw_log "sshd $sshd (pid $IW_SSHD_PID) on 127.0.0.1:$IW_SSH_PORT, PAM service ${sshd##*/}"
}
iw_sshd_stop() {
    [[ -n ${IW_SSHD_PID:-} ]] || return 0
    iw_kill_tree "$IW_SSHD_PID"
    wait "$IW_SSHD_PID" 2>/dev/null
    IW_SSHD_PID=
}
iw__run_sshd_remove() { pgrep -x sshd >/dev/null || pgrep -x idlewarden-test >/dev/null || rmdir /run/sshd 2>/dev/null; }

# iw_kill_tree PID — SIGTERM a process and all its descendants, then SIGKILL what is left.
iw_kill_tree() {
    local pids
    pids=$(iw_descendants "$1")
    kill -TERM $pids 2>/dev/null
    sleep 0.3
    kill -KILL $pids 2>/dev/null
    return 0
}
iw_descendants() { # PID → PID and all descendants
    local p
    echo "$1"
    for p in $(pgrep -P "$1"); do iw_descendants "$p"; done
}

# iw_ssh_cmd USER [SSH OPTIONS...] — the client command line (for a tmux pane) that logs USER in with a pty.
iw_ssh_cmd() {
    local user=$1; shift
    local cmd=(ssh -tt -F /dev/null -i "$IW_T/client_key" -p "$IW_SSH_PORT"
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR
        -o ServerAliveInterval=0 "$@" "$user@127.0.0.1")
    printf '%q ' "${cmd[@]}"
}

# ---------------------------------------------------------------------------------------------------------------
# tmux: one server per test (tmux -L iwtest-$IW_ID), panes kept after their program exits (remain-on-exit)
# so that the text a session received is still there after it is disconnected.

IW_TMUX_SESSIONS=()
iw_tmux() { tmux -L "iwtest-$IW_ID" -f "$IW_T/tmux.conf" "$@"; }

# iw_tmux_new NAME COMMAND — a detached session running COMMAND (a shell command line).
iw_tmux_new() {
    local name=$1 command=$2
    if [[ ! -f $IW_T/tmux.conf ]]; then
        printf '%s\n' 'set -g remain-on-exit on' 'set -g history-limit 20000' 'set -g default-shell /bin/bash' \
            >"$IW_T/tmux.conf"
        iw_defer iw__tmux_stop
    fi
    iw_tmux new-session -d -s "$name" -x 200 -y 50 "$command" || iw_fail "tmux new-session $name"
    IW_TMUX_SESSIONS+=("$name")
    iw_log "tmux $name: $command"
}
iw__tmux_stop() {
    local s
    for s in "${IW_TMUX_SESSIONS[@]}"; do iw_tmux_capture "$s" >"$IW_TLOG/pane-$s.txt" 2>/dev/null; done
    iw_tmux kill-server 2>/dev/null
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/iwtest-$IW_ID"
    return 0
}
iw_tmux_keys() { local name=$1; shift; iw_tmux send-keys -t "=$name:" "$@"; }
iw_tmux_type() { iw_tmux send-keys -t "=$1:" -l -- "$2" && iw_tmux send-keys -t "=$1:" Enter; } # NAME TEXT
iw_tmux_capture() { iw_tmux capture-pane -p -J -S - -t "=$1:"; }
iw_tmux_has_text() { iw_tmux_capture "$1" | grep -qE -- "$2"; } # NAME ERE
iw_tmux_wait_text() { iw_wait_until "$3" iw_tmux_has_text "$1" "$2"; } # NAME ERE TIMEOUT
# The farewell line: names idlewarden and says "logged out", and is not the warning (which says "will be logged
# out ... Press any key").
iw_tmux_has_farewell() { (($(iw__count_farewells "$1") > 0)); }
iw__count_farewells() { iw_tmux_capture "$1" | grep -i 'idlewarden' | grep 'logged out' | grep -vc 'Press any key'; }
iw__more_farewells() { (($(iw__count_farewells "$1") > $2)); }
iw__count_warnings() { iw_tmux_capture "$1" | grep -c 'Press any key'; }
iw_tmux_pane() { iw_tmux display-message -p -t "=$1:" "$2"; } # NAME FORMAT, e.g. '#{pane_pid}'
iw_tmux_is_dead() { [[ $(iw_tmux_pane "$1" '#{pane_dead}' 2>/dev/null) == 1 ]]; }
iw_tmux_is_alive() { [[ $(iw_tmux_pane "$1" '#{pane_dead}' 2>/dev/null) == 0 ]]; }
iw_tmux_wait_dead() { iw_wait_until "$2" iw_tmux_is_dead "$1"; } # NAME TIMEOUT

# iw_tmux_mark NAME [TIMEOUT] — type a command whose output proves the pane's shell is reading input, and wait
# for that output. Sets IW_LAST_INPUT_<NAME> (and IW_LAST_INPUT) to the time of that input, in ms.
iw_tmux_mark() {
    local name=$1 timeout=${2:-30} n=$RANDOM
    local t=$(iw_now_ms)
    iw_tmux_type "$name" "echo iwmark-\$(( $n + 1 ))"
    iw_tmux_wait_text "$name" "iwmark-$((n + 1))" "$timeout" ||
        iw_fail "shell in tmux pane $name did not answer within ${timeout}s; pane: $(iw__pane_tail "$name")"
    iw__set_last_input "$name" "$t"
}
iw__set_last_input() {
    local var=IW_LAST_INPUT_${1//[^A-Za-z0-9_]/_}
    printf -v "$var" '%s' "$2"
    IW_LAST_INPUT=$2
}
iw_last_input() { local var=IW_LAST_INPUT_${1//[^A-Za-z0-9_]/_}; echo "${!var:-}"; }

# iw_tmux_tty NAME — the terminal of the shell in the pane (asks the shell, so it is the remote pty for ssh).
iw_tmux_tty() {
    local name=$1 n=$RANDOM
    iw_tmux_type "$name" "echo iwtty-$n=\$(tty)"
    iw_tmux_wait_text "$name" "iwtty-$n=/dev/" 10 || iw_fail "could not read the tty of pane $name"
    iw__set_last_input "$name" "$(iw_now_ms)"
    iw_tmux_capture "$name" | grep -oE "iwtty-$n=/dev/[^[:space:]]+" | tail -n1 | cut -d= -f2
}

# iw_keep_typing SECONDS PANE [WATCHED PANE...] — press a key in PANE every IW_TYPE_INTERVAL seconds for
# SECONDS; fail as soon as PANE or a watched pane dies. A space and a backspace: input, but no command.
iw_keep_typing() {
    local seconds=$1 pane=$2; shift 2
    local end=$(($(iw_now_ms) + seconds * 1000)) w next
    while (($(iw_now_ms) < end)); do
        iw_tmux_keys "$pane" Space BSpace
        iw__set_last_input "$pane" "$(iw_now_ms)"
        next=$(($(iw_now_ms) + IW_TYPE_INTERVAL * 1000))
        ((next > end)) && next=$end
        while (($(iw_now_ms) < next)); do
            for w in "$pane" "$@"; do
                iw_tmux_is_alive "$w" || iw_fail "pane $w was disconnected while $pane was being typed in ($(iw__pane_tail "$w"))"
            done
            sleep 0.5
        done
    done
}
iw__pane_tail() { iw_tmux_capture "$1" | grep -v '^$' | tail -n 4 | tr '\n' '|'; }

# iw_expect_end_on_time WHAT T0_MS [EXTRA MEASURE FIELDS...] — something whose last input (or idle hint) was at
# T0_MS has just been seen ended: records its lateness (now - T0 - idle_timeout) as "WHAT lateness_s=..." and
# fails when it ended before idle_timeout or more than IW_MAX_LATE after it.
iw_expect_end_on_time() {
    local what=$1 t0=$2; shift 2
    local late=$(($(iw_now_ms) - t0 - IW_IDLE * 1000))
    iw_measure "$what lateness_s=$(iw_secs "$late")${*:+ $*}"
    ((late >= -1000)) || iw_fail "$what ended $(iw_secs $((-late))) s before idle_timeout"
    ((late <= IW_MAX_LATE * 1000)) || iw_fail "$what ended $(iw_secs "$late") s after idle_timeout"
    iw_ok "$what ended $(iw_secs "$late") s after idle_timeout"
}

# iw_expect_warned_ahead WHAT WARNED_MS END_MS — the warning was seen at least warn_before before the end (less
# 1 s for the polling that saw them): a session always gets its full warning.
iw_expect_warned_ahead() {
    local what=$1 warned=$2 end=$3
    ((end - warned >= (IW_WARN - 1) * 1000)) ||
        iw_fail "$what was warned only $(iw_secs $((end - warned))) s before its end (warn_before ${IW_WARN} s)"
    iw_ok "$what was warned $(iw_secs $((end - warned))) s before its end (warn_before ${IW_WARN} s)"
}

# iw_watch_warned_and_gone PANE LIMIT_MS — polls the pane until it is gone or the clock passes LIMIT_MS (epoch
# ms); sets IW_WARN_AT / IW_GONE_AT to when the warning first showed / the pane died (empty if not seen), and logs
# the pane's last lines.
iw_watch_warned_and_gone() {
    local pane=$1 limit=$2 now
    IW_WARN_AT='' IW_GONE_AT=''
    while :; do
        now=$(iw_now_ms)
        [[ -z $IW_WARN_AT ]] && iw_tmux_has_text "$pane" 'Press any key' && IW_WARN_AT=$now
        if iw_tmux_is_dead "$pane"; then IW_GONE_AT=$now; break; fi
        ((now > limit)) && break
        sleep 0.1
    done
    iw_log "pane: $(iw__pane_tail "$pane")"
}

# Helpers for tests that start their own daemon while other test processes may run beside them: the daemon adopts
# every live login at start, so the iwtest-* users of other test processes are excluded, and the audit helpers are
# narrowed (IW_AUDIT_RE) to the lines of this test's own daemons, since others log with the same ident.
iw_foreign_test_users() {
    getent passwd | cut -d: -f1 | grep -E '^iwtest-' | grep -vE "^iwtest-$IW_ID-" || true
}

# iw_own_config [TOML LINES...] — iw_config, excluding the other test processes' users too. Remembers the lines
# so that iw_own_daemon_restart can write the config again (with the users of tests started meanwhile).
IW_OWN_CONFIG_LINES=()
iw_own_config() {
    IW_OWN_CONFIG_LINES=("$@")
    # shellcheck disable=SC2034 # read by iw_config
    mapfile -t IW_EXCLUDE_USERS < <(iw_foreign_test_users)
    iw_config "$@"
}

IW_OWN_DAEMON_PIDS= # every daemon this test started (iw_daemon_start narrows IW_AUDIT_RE to them)
iw_own_daemon_start() { iw_daemon_start; }

# iw_own_daemon_restart — a new daemon on the same config, sockets and state dir.
iw_own_daemon_restart() {
    iw_own_config "${IW_OWN_CONFIG_LINES[@]}"
    iw_own_daemon_start
}

# iw_own_ssh_setup [TOML LINES...] — config, daemon and the test sshd.
iw_own_ssh_setup() {
    iw_own_config "$@"
    iw_own_daemon_start
    iw_sshd_start
}

# iw_expect_logout PANE [WARN=yes|no] — wait for the idle pane to be warned (optional), then logged out: the pane's
# program exits (ssh) — or, with IW_LOGOUT_GONE_USER set, that user's processes (those running when the wait
# began, watched through /proc: a `ps` each round would make the polling too coarse on a busy machine) are gone
# (login/su, where the pane's root shell stays). Asserts the bounds and records the lateness. Uses the pane's last
# input time.
iw_expect_logout() {
    local pane=$1 want_warn=${2:-yes}
    local t0 watched=()
    t0=$(iw_last_input "$pane")
    [[ -n $t0 ]] || iw_fail "no input time recorded for $pane"
    if [[ -n ${IW_LOGOUT_GONE_USER:-} ]]; then
        mapfile -t watched < <(iw_user_procs "$IW_LOGOUT_GONE_USER" | awk '{ print $1 }')
        ((${#watched[@]} > 0)) || iw_fail "no process of $IW_LOGOUT_GONE_USER to watch"
    fi
    local idle_ms=$((IW_IDLE * 1000)) warn_at='' farewell_at='' gone_at='' now
    local limit=$((t0 + idle_ms + IW_MAX_LATE * 1000 + 5000))
    # Only new text counts: the pane may show an earlier warning that a key press answered.
    local warnings farewells
    warnings=$(iw__count_warnings "$pane")
    farewells=$(iw__count_farewells "$pane")
    while :; do
        now=$(iw_now_ms)
        if [[ -z $warn_at ]] && (($(iw__count_warnings "$pane") > warnings)); then warn_at=$now; fi
        if [[ -z $farewell_at ]] && (($(iw__count_farewells "$pane") > farewells)); then farewell_at=$now; fi
        if [[ -n ${IW_LOGOUT_GONE_USER:-} ]]; then
            iw__all_gone "${watched[@]}" && gone_at=$now
        else
            iw_tmux_is_dead "$pane" && gone_at=$now
        fi
        [[ -n $gone_at ]] && break
        ((now > limit)) && break
        sleep 0.2
    done
    local text
    text=$(iw_tmux_capture "$pane")
    printf '%s\n' "--- pane $pane ---" "$(sed '/^[[:space:]]*$/d' <<<"$text")" "--- end of pane $pane ---"
    [[ -n $gone_at ]] || iw_fail "$pane was not logged out within $(iw_secs $((limit - t0))) s of its last input"
    local late=$((gone_at - t0 - idle_ms))
    iw_measure "pane=$pane lateness_s=$(iw_secs "$late") warned_after_s=$([[ -n $warn_at ]] && iw_secs $((warn_at - t0)) || echo -) warned_before_end_s=$([[ -n $warn_at ]] && iw_secs $((gone_at - warn_at)) || echo -) farewell_after_s=$([[ -n $farewell_at ]] && iw_secs $((farewell_at - t0)) || echo -) ended_after_s=$(iw_secs $((gone_at - t0)))"
    ((late >= -1000)) || iw_fail "$pane ended $(iw_secs $((-late))) s BEFORE idle_timeout had passed since its last input"
    ((late <= IW_MAX_LATE * 1000)) || iw_fail "$pane ended $(iw_secs "$late") s after idle_timeout (bound ${IW_MAX_LATE}s)"
    iw_ok "$pane logged out $(iw_secs "$late") s after idle_timeout"
    if [[ $want_warn == yes ]]; then
        [[ -n $warn_at ]] || iw_fail "$pane never showed the warning ('Press any key')"
        grep 'Press any key' <<<"$text" | grep -qi 'idlewarden' || iw_fail "$pane: the warning does not name idlewarden"
        local early=$(((IW_IDLE - IW_WARN - 1) * 1000))
        ((warn_at - t0 >= early)) || iw_fail "$pane was warned $(iw_secs $((warn_at - t0))) s after its last input (before idle - warn_before)"
        iw_ok "$pane warned $(iw_secs $((warn_at - t0))) s after its last input"
        iw_expect_warned_ahead "$pane" "$warn_at" "$gone_at"
    fi
    # The farewell is written just before SIGHUP; give tmux a moment to draw it if the pane died at once.
    [[ -n $farewell_at ]] || iw_wait_until 3 iw__more_farewells "$pane" "$farewells" ||
        iw_fail "$pane: no farewell line (idlewarden ... logged out) before the disconnect (pane ends: $(iw__pane_tail "$pane"))"
    iw_ok "$pane received the farewell line"
}

iw__all_gone() { local p; for p; do [[ -e /proc/$p ]] && return 1; done; return 0; } # PID...

# ---------------------------------------------------------------------------------------------------------------
# Shared by the enforcement, policy and reliability tests

# iw_status_value USER KEY — "ID<TAB>VALUE" for each of USER's sessions in root's `status --json`.
iw_status_value() {
    local out
    out=$(iw_status --json) || return 1
    printf '%s' "$out" | "$IW_PY" -c '
import json, sys
user, key = sys.argv[1:]
for s in json.load(sys.stdin):
    if s.get("user") == user:
        print("%s\t%s" % (s.get("id"), s.get(key)))
' "$1" "$2"
}

# iw_wait_as PANE USER — wait until the pane's shell runs as USER (after login/su); records the input time. The
# question is typed again after 6 and 12 s: su and sudo flush what was typed ahead while they restore the terminal
# after a password (TCSAFLUSH), so a question typed then is lost.
iw_wait_as() {
    local pane=$1 user=$2 t n=$RANDOM round
    local want="iwwho-$(iw_regex_escape "$user")-$n"
    for round in 1 2 3; do
        t=$(iw_now_ms)
        iw_tmux_type "$pane" "echo iwwho-\$(id -un)-$n"
        if iw_tmux_wait_text "$pane" "$want" 6; then
            iw__set_last_input "$pane" "$t"
            return 0
        fi
    done
    iw_fail "pane $pane is not a shell of $user: $(iw__pane_tail "$pane")"
}

# iw_recorder — write $IW_T/recorder.sh, run as `recorder.sh FILE`: it records the signals it gets (to
# FILE.sig), writes its pid (FILE.pid), runs a child `sleep` (FILE.child) and lives as long as that child.
iw_recorder() {
    install -d -m 1777 "$IW_T/shared"
    cat >"$IW_T/recorder.sh" <<'EOF'
#!/bin/bash
echo $$ >"$1.pid"
trap 'echo HUP >>"$1.sig"' HUP
trap 'echo TERM >>"$1.sig"' TERM
sleep 1000 &
echo $! >"$1.child"
while kill -0 $! 2>/dev/null; do wait $!; done
EOF
    chmod 0755 "$IW_T/recorder.sh"
}
