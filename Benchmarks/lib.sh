# shellcheck shell=bash
# Shared helpers of the idlewarden benchmarks (Benchmarks/run-*.sh). Sourced, never executed.
#
#   BENCH_ROOT      the repository
#   BENCH_WORK      a private temp dir (/tmp/iwbench-NAME-XXXXXX), removed at exit
#   bench_defer CMD a cleanup step, run last-in first-out at exit (normal end, error, Ctrl-C, SIGTERM)
#   bench_bins      sets IW_BIN and IW_SO: IW_BUILD_DIR if given, else .build/release when it is newer than every
#                   source file, else a build of the working tree in .build-bench-root (never .build, never clean)
#   bench_static_bin sets IW_DAEMON_BIN: the daemon as install.sh builds it (--static-swift-stdlib: the Swift
#                   runtime and Foundation linked in, which is what decides its memory), IW_STATIC_BIN if given, else
#                   .build-bench-static (built from the working tree when older than Sources/)
#   bench_machine   the machine and its load, as Markdown
#   bench_binary_size BIN  its size stripped as installed, and as built
#   bench_daemon_start DIR [CONFIG LINES...]  the daemon in the background on DIR/run/control.sock (+ session.sock)
#                   with every user excluded except root, nobody and iwbench-* (the daemon adopts live logins at
#                   start: nobody else's session on this machine may be ended by a benchmark); with
#                   BENCH_DAEMON_PRELOAD in LD_PRELOAD when that is set
#
# Everything created outside BENCH_WORK is named idlewarden-bench-* (pam.d services) or iwbench-PID-* (users) and
# removed at exit; a raised kernel.pty.max is put back (bench_fleet_limits).

set -u
set -o pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$BENCH_ROOT/Benchmarks
BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
if [[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]]; then PATH=$PATH:/opt/swift/usr/bin; fi
export PATH LC_ALL=C.UTF-8

bench_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

BENCH_CLEANUP=()
bench_defer() { BENCH_CLEANUP+=("$(printf '%q ' "$@")"); }
bench__cleanup() {
    local rc=$? i
    trap - EXIT
    trap '' INT TERM HUP
    for ((i = ${#BENCH_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${BENCH_CLEANUP[i]}" >/dev/null 2>&1 || true; done
    BENCH_CLEANUP=()
    exit "$rc"
}

# bench_init NAME — root check, temp dir, cleanup traps.
bench_init() {
    [[ $(id -u) == 0 ]] || bench_die "run as root (pam.d services, a root daemon, ptys, other users' processes)"
    trap bench__cleanup EXIT
    trap 'bench_log "interrupted"; exit 130' INT TERM HUP
    BENCH_WORK=$(mktemp -d "/tmp/iwbench-$1-XXXXXX") || bench_die "mktemp"
    chmod 0755 "$BENCH_WORK"
    bench_defer rm -rf "$BENCH_WORK"
    mkdir -p "$BENCH_RESULTS"
}

bench_need() { # TOOL... — fail (with the Debian package to install) when a tool is missing
    local tool missing=()
    for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    ((${#missing[@]} == 0)) || bench_die "missing: ${missing[*]} (apt-get install -y ${missing[*]})"
}

# The newest modification time (seconds) of the files that go into the release binaries.
bench__sources_mtime() {
    find "$BENCH_ROOT/Sources" "$BENCH_ROOT/Package.swift" "$BENCH_ROOT/Package.resolved" -type f \
        -printf '%T@\n' 2>/dev/null | sort -n | tail -n1 | cut -d. -f1
}

bench_bins() {
    local dir
    if [[ -n ${IW_BUILD_DIR:-} ]]; then
        dir=$IW_BUILD_DIR
    else
        dir=$BENCH_ROOT/.build/release
        local newest built
        newest=$(bench__sources_mtime)
        built=$(stat -c %Y "$dir/idlewarden" "$dir/libpam_idlewarden.so" 2>/dev/null | sort -n | head -n1)
        if [[ -z $built ]] || ((built < newest)) || [[ ! -f $dir/libpam_idlewarden.so ]]; then
            bench_log ".build/release is missing or older than Sources/: building .build-bench-root (release)"
            (cd "$BENCH_ROOT" && swift build -c release --scratch-path .build-bench-root) >"${BENCH_WORK:-/tmp}/build-root.log" 2>&1 ||
                { tail -n 30 "${BENCH_WORK:-/tmp}/build-root.log" >&2; bench_die "release build of the working tree failed"; }
            dir=$BENCH_ROOT/.build-bench-root/release
        fi
    fi
    IW_BIN=$dir/idlewarden
    IW_SO=$dir/libpam_idlewarden.so
    [[ -x $IW_BIN && -f $IW_SO ]] || bench_die "no idlewarden binaries in $dir"
    export IW_BIN IW_SO
    bench_log "binaries: $dir"
}

bench_static_bin() {
    if [[ -n ${IW_STATIC_BIN:-} ]]; then
        IW_DAEMON_BIN=$IW_STATIC_BIN
    else
        IW_DAEMON_BIN=$BENCH_ROOT/.build-bench-static/release/idlewarden
        local built newest
        newest=$(bench__sources_mtime)
        built=$(stat -c %Y "$IW_DAEMON_BIN" 2>/dev/null || echo 0)
        if ((built < newest)); then
            bench_log "building the daemon as installed (--static-swift-stdlib) in .build-bench-static"
            (cd "$BENCH_ROOT" && swift build -c release --static-swift-stdlib --product idlewarden \
                --scratch-path .build-bench-static) >"${BENCH_WORK:-/tmp}/build-static.log" 2>&1 ||
                { tail -n 30 "${BENCH_WORK:-/tmp}/build-static.log" >&2; bench_die "static build failed"; }
        fi
    fi
    [[ -x $IW_DAEMON_BIN ]] || bench_die "no daemon binary $IW_DAEMON_BIN"
    export IW_DAEMON_BIN
    bench_log "daemon binary: $IW_DAEMON_BIN"
}

# TOML list of every user of this machine except root, nobody and iwbench-*.
bench_exclusions() {
    getent passwd | cut -d: -f1 | grep -vE '^(root|nobody|iwbench-.*)$' | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&"/' | paste -sd, | sed 's/,/, /g'
}

# Users and groups iwbench-PID-* left by a benchmark that was killed (its PID is gone).
bench_sweep_stale() {
    local name pid
    for name in $(getent passwd | cut -d: -f1 | grep -E '^iwbench-[0-9]+-'); do
        pid=${name#iwbench-}; pid=${pid%%-*}
        kill -0 "$pid" 2>/dev/null && continue
        pkill -KILL -u "$name" 2>/dev/null
        userdel -r -f "$name" >/dev/null 2>&1 && bench_log "removed stale user $name"
    done
}

bench_git_rev() {
    local rev dirty=
    rev=$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null) || { echo unknown; return; }
    [[ -n $(git -C "$BENCH_ROOT" status --porcelain -- Sources Package.swift 2>/dev/null) ]] && dirty="+uncommitted changes in Sources/"
    echo "$rev$dirty"
}

BENCH_STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
BENCH_REV=$(bench_git_rev 2>/dev/null)

bench_machine() {
    local cpu mem swiftv built
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    swiftv=$(swift --version 2>/dev/null | head -n1)
    built=$(date -u -r "$IW_BIN" '+%H:%M UTC' 2>/dev/null || echo "?")
    echo "- run began $BENCH_STARTED, repository at $BENCH_REV; binaries: ${IW_BIN%/*} (built $built)"
    echo "- machine: $(nproc) CPU ($cpu), $mem RAM, $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "- toolchain: ${swiftv:-swift not on PATH}; gcc $(gcc -dumpfullversion 2>/dev/null)"
    echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(bench_busy_summary))"
}

# bench_binary_size BIN — the size of BIN stripped as install.sh installs it (strip --strip-unneeded), and as built.
bench_binary_size() {
    local stripped=$BENCH_WORK/stripped-${1##*/}
    cp "$1" "$stripped" && strip --strip-unneeded "$stripped" || { echo "size unknown"; return; }
    awk -v s="$(stat -c %s "$stripped")" -v b="$(stat -c %s "$1")" \
        'BEGIN { printf "%.1f MB (%d bytes) stripped as install.sh installs it; %.1f MB as built", s / 1e6, s, b / 1e6 }'
}

# What else is using the CPUs right now (the benchmarks share the machine): the three busiest processes.
bench_busy_summary() {
    ps -eo pcpu=,comm= --sort=-pcpu 2>/dev/null | awk 'NR <= 3 && $1 > 5 { printf "%s%s %s%%", (n++ ? ", " : "busy: "), $2, $1 } END { if (!n) printf "nothing else busy" }'
}

# bench_daemon_start DIR [CONFIG LINES...] — sets BENCH_DAEMON_PID, BENCH_SOCK, BENCH_SESSION_SOCK, BENCH_DAEMON_LOG.
# The config is the short test policy (idle 20 s, warning 5 s, grace 3 s) plus the given lines.
bench_daemon_start() {
    local dir=$1; shift
    install -d -m 0755 "$dir/run"
    install -d -m 0700 "$dir/state"
    {
        echo 'allow_short_timeouts = true'
        echo "idle_timeout = \"${BENCH_IDLE:-20}s\""
        echo "warn_before = \"${BENCH_WARN:-5}s\""
        echo "grace = \"${BENCH_GRACE:-3}s\""
        echo "exclude_users = [$(bench_exclusions)]"
        printf '%s\n' "$@"
    } >"$dir/idlewarden.conf"
    BENCH_SOCK=$dir/run/control.sock
    BENCH_SESSION_SOCK=$dir/run/session.sock
    BENCH_DAEMON_LOG=$dir/daemon.log
    # At nice 10, as the systemd unit (Nice=10) and the init script (--nicelevel 10) run it. BENCH_DAEMON_PRELOAD:
    # a library for LD_PRELOAD (a benchmark's way to play another kernel, see run-control.sh).
    nice -n "${BENCH_DAEMON_NICE:-10}" env ${BENCH_DAEMON_PRELOAD:+LD_PRELOAD=$BENCH_DAEMON_PRELOAD} \
        "${IW_DAEMON_BIN:-$IW_BIN}" daemon --config "$dir/idlewarden.conf" \
        --socket "$BENCH_SOCK" --state-dir "$dir/state" </dev/null >>"$BENCH_DAEMON_LOG" 2>&1 &
    BENCH_DAEMON_PID=$!
    bench_defer bench_daemon_stop "$BENCH_DAEMON_PID"
    local i
    for ((i = 0; i < 200; i++)); do
        [[ -S $BENCH_SESSION_SOCK ]] && break
        kill -0 "$BENCH_DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    [[ -S $BENCH_SESSION_SOCK ]] || { tail -n 20 "$BENCH_DAEMON_LOG" >&2; bench_die "the daemon did not start"; }
}

bench_daemon_stop() { # PID
    kill -TERM "$1" 2>/dev/null || return 0
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
    return 0
}

# bench_pam_service NAME LINES... — /etc/pam.d/NAME (NAME starts with idlewarden-bench-), removed at exit.
bench_pam_service() {
    local name=$1; shift
    [[ $name == idlewarden-bench-* ]] || bench_die "benchmark pam.d services start with idlewarden-bench-: $name"
    bench_defer rm -f "/etc/pam.d/$name"
    printf '%s\n' "# written by idlewarden Benchmarks (pid $$); removed when it ends" "$@" >"/etc/pam.d/$name"
}

# /proc/PID/stat → "utime_ticks stime_ticks rss_kib" and /proc/PID/status → "voluntary nonvoluntary".
bench_proc_sample() { # PID → "utime stime rss_kib vol invol"
    local pid=$1 stat
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    set -- $stat
    local utime=${12} stime=${13} rss_pages=${22}
    local vol invol
    vol=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$pid/status")
    invol=$(awk '/^nonvoluntary_ctxt_switches/ { print $2 }' "/proc/$pid/status")
    echo "$utime $stime $((rss_pages * $(getconf PAGESIZE) / 1024)) $vol $invol"
}

# bench_emit FILE — stdin to stdout and to FILE in BENCH_RESULTS.
bench_emit() { tee "$BENCH_RESULTS/$1"; }

# Limits for N fleet sessions (Benchmarks/daemon/fleet.c): every session is 2 processes and 1 pty; the daemon holds
# 1 pidfd per session. bench_fleet_limits_init once (puts kernel.pty.max back at exit), then
# `why=$(bench_fleet_limits N)`: empty when N fits (raising kernel.pty.max for the run if needed), else the reason.
bench_fleet_limits_init() {
    pty_max_orig=$(cat /proc/sys/kernel/pty/max)
    bench_defer bench__restore_pty_max
}
# Puts kernel.pty.max back only if it still has the value this run set (another benchmark run at the same time
# may have raised it too, for itself).
bench__restore_pty_max() {
    local raised
    raised=$(cat "$BENCH_WORK/pty-max-raised" 2>/dev/null) || return 0
    [[ $(cat /proc/sys/kernel/pty/max) == "$raised" ]] && echo "$pty_max_orig" >/proc/sys/kernel/pty/max
    return 0
}

bench_fleet_limits() { # N → "" if it fits, else the reason
    local n=$1 procs pid_max nproc ptys pty_max pty_nr mem_kib need_kib
    procs=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)
    pid_max=$(cat /proc/sys/kernel/pid_max)
    nproc=$(ulimit -u)
    pty_max=$(cat /proc/sys/kernel/pty/max)
    pty_nr=$(cat /proc/sys/kernel/pty/nr)
    mem_kib=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
    need_kib=$((n * 2 * 400)) # measured ~140 KiB per process (20,000 processes: 2.8 GB); 400 with margin
    if ((procs + 2 * n + 1000 > pid_max)); then echo "pid_max $pid_max < $((procs + 2 * n + 1000)) (running + 2N + margin)"; return; fi
    if [[ $nproc != unlimited ]] && ((procs + 2 * n + 1000 > nproc)); then echo "ulimit -u $nproc too small"; return; fi
    if ((n + 16 > $(ulimit -n))); then echo "ulimit -n $(ulimit -n) < N + 16 (the daemon holds a pidfd per session)"; return; fi
    if ((need_kib > mem_kib / 2)); then echo "needs ~$((need_kib / 1024)) MiB, MemAvailable $((mem_kib / 1024)) MiB"; return; fi
    if ((pty_nr + n + 64 > pty_max)); then
        if echo $((pty_nr + n + 256)) >/proc/sys/kernel/pty/max 2>/dev/null; then
            echo $((pty_nr + n + 256)) >"$BENCH_WORK/pty-max-raised"
            bench_log "raised kernel.pty.max from $pty_max to $((pty_nr + n + 256)) for this run"
        else
            echo "kernel.pty.max $pty_max < $((pty_nr + n + 64)) and not writable"; return
        fi
    fi
}

