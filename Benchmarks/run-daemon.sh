#!/usr/bin/env bash
# Daemon benchmark: N real sessions (pty + leader + shell each, registered through the real session socket as root),
# a quiet idle-tracking window, then deadlines spread out and every expiring session ended by the daemon.
#
#   bash Benchmarks/run-daemon.sh                       (as root; sizes 100 and 1000: ~6 minutes)
#   DAEMON_SIZES="100 1000 3000:100" bash Benchmarks/run-daemon.sh
#
# DAEMON_SIZES: space-separated N or N:E (N sessions registered, the first E of them expire; default E = N).
# QUIET_S (60): seconds of idle tracking measured with all N registered and nothing due.
# SPREAD_S (120): the expiring sessions' deadlines are spread evenly over this many seconds.
# Policy: idle_timeout per session (pam.d argument idle_timeout=Ns), warn_before 5 s, grace 3 s.
# Per size: a fresh daemon and state dir; Benchmarks/daemon/fleet.c does the sessions (see its header) and samples
# the daemon's /proc/PID/stat+status every second. Limits are checked first (pid_max, ulimit -u, ptys, memory);
# kernel.pty.max is raised for the run if N needs it and put back at the end. Results: stdout and
# Benchmarks/results/daemon.md; raw files in Benchmarks/results/daemon-N/ (timeline, sessions, daemon log).

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DAEMON_SIZES=${DAEMON_SIZES:-100 1000}
QUIET_S=${QUIET_S:-60}
SPREAD_S=${SPREAD_S:-120}
BENCH_USER=${BENCH_USER:-nobody}
OUT=${BENCH_OUT:-daemon.md}
RAW=${BENCH_RAW:-$BENCH_RESULTS}

bench_init daemon
bench_need gcc python3 strip
bench_static_bin
IW_BIN=$IW_DAEMON_BIN
id "$BENCH_USER" >/dev/null 2>&1 || bench_die "no user $BENCH_USER (BENCH_USER)"
gcc -O2 -Wall -o "$BENCH_WORK/fleet" "$BENCH_DIR/daemon/fleet.c" || bench_die "cannot compile fleet.c"

# ---------------------------------------------------------------------------------------------------------------
# Limits: every session is 2 processes and 1 pty; the daemon holds 1 pidfd per session.

bench_fleet_limits_init

# ---------------------------------------------------------------------------------------------------------------

bench_log "sizes: $DAEMON_SIZES; quiet ${QUIET_S}s; spread ${SPREAD_S}s"
runs=()
for size in $DAEMON_SIZES; do
    n=${size%%:*}
    e=$n
    [[ $size == *:* ]] && e=${size#*:}
    why=$(bench_fleet_limits "$n")
    if [[ -n $why ]]; then
        bench_log "N=$n skipped: $why"
        runs+=("$n $e skipped:${why// /_}")
        continue
    fi
    dir=$BENCH_WORK/n$n
    mkdir -p "$dir"
    bench_daemon_start "$dir"
    bench_log "N=$n (E=$e): daemon pid $BENCH_DAEMON_PID"
    sleep 1
    awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s %s ", $1, $2 }' "/proc/$BENCH_DAEMON_PID/status" >"$dir/idle-rss"
    t_start=$(date +%s%3N)
    FLEET_STATE_FILE=$dir/state/state:$dir/state/state.journal "$BENCH_WORK/fleet" "$BENCH_SESSION_SOCK" "$BENCH_USER" "$n" "$e" "$QUIET_S" "$SPREAD_S" "$BENCH_DAEMON_PID" \
        "$dir/fleet" 2>"$dir/fleet.err"
    rc=$?
    cat "$dir/fleet.err" >&2
    sleep 2
    bench_proc_sample "$BENCH_DAEMON_PID" >"$dir/daemon-end" 2>/dev/null
    grep -E '^(VmRSS|VmHWM|RssAnon|RssFile)' "/proc/$BENCH_DAEMON_PID/status" >"$dir/daemon-status" 2>/dev/null
    bench_daemon_stop "$BENCH_DAEMON_PID"
    raw=$RAW/daemon-$n
    [[ $e != "$n" ]] && raw=$RAW/daemon-$n-$e
    rm -rf "$raw" && mkdir -p "$raw"
    cp "$dir"/fleet.* "$dir/daemon.log" "$dir/idlewarden.conf" "$raw/" 2>/dev/null
    runs+=("$n $e $dir $rc $t_start")
done

{
    echo "### Daemon benchmark (\`bash Benchmarks/run-daemon.sh\`)"
    echo
    bench_machine
    echo "- daemon binary: $(bench_binary_size "$IW_BIN")"
    echo "- policy: idle_timeout per session (pam.d argument), warn_before ${BENCH_WARN:-5}s, grace ${BENCH_GRACE:-3}s;" \
        "quiet window ${QUIET_S}s; deadlines spread over ${SPREAD_S}s; shells run as $BENCH_USER;" \
        "kernel.pty.max $pty_max_orig, pid_max $(cat /proc/sys/kernel/pid_max), ulimit -n $(ulimit -n)," \
        "net.unix.max_dgram_qlen $(cat /proc/sys/net/unix/max_dgram_qlen)"
    echo
    python3 - "$(getconf CLK_TCK)" "${runs[@]}" <<'EOF'
import os, re, statistics, sys
hz = int(sys.argv[1])
def pct(values, p):
    s = sorted(values)
    if not s: return float("nan")
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]
def f1(x): return "–" if x != x else f"{x:.1f}"
def f2(x): return "–" if x != x else f"{x:.2f}"
def stats(values):
    if not values: return "–"
    return f"{f1(min(values))} / {f1(statistics.median(values))} / {f1(pct(values, 99))} / {f1(max(values))}"

rows, late_rows, notes = [], [], []
for run in sys.argv[2:]:
    parts = run.split()
    n, e = int(parts[0]), int(parts[1])
    if parts[2].startswith("skipped:"):
        notes.append(f"N={n}: not run: {parts[2][8:].replace('_', ' ')}")
        continue
    d, rc = parts[2], parts[3]
    tl = []
    for line in open(f"{d}/fleet.timeline"):
        t, u, s, rss, vol, inv, ph = line.split()
        tl.append((int(t), int(u) + int(s), int(rss), int(vol), int(inv), ph))
    def window(phases):
        pts = [x for x in tl if x[5] in phases]
        return (pts[0], pts[-1]) if len(pts) >= 2 else (None, None)
    def cost(phases):
        a, b = window(phases)
        if a is None: return None
        secs = (b[0] - a[0]) / 1000
        cpu = (b[1] - a[1]) / hz
        return dict(secs=secs, cpu=cpu, pct=100 * cpu / secs if secs else float("nan"),
                    vol=b[3] - a[3], inv=b[4] - a[4], rss=max(x[2] for x in tl if a[0] <= x[0] <= b[0]))
    reg, quiet, enf = cost("RS"), cost("Q"), cost("BWE")
    sessions = [l.split() for l in open(f"{d}/fleet.sessions")]
    opened = [x for x in sessions if int(x[6]) > 0]
    exp = [x for x in sessions if x[1] == "1"]
    ended = [x for x in exp if int(x[8]) > 0]
    true_late, sched_late = [], []
    for x in ended:
        idle, t_in, t_open, atime, t_end = int(x[4]), int(x[5]), int(x[6]), int(x[7]), int(x[8])
        last_input = t_in if t_in else t_open
        true_late.append((t_end - (last_input + idle * 1000)) / 1000)
        bucket_end = (atime // 1000 // 8 + 1) * 8 * 1000
        sched_late.append((t_end - (max(t_open, bucket_end) + idle * 1000)) / 1000)
    # Audit cross-check: terminate lines (1 s resolution) against the same true deadlines, by leader pid.
    log = open(f"{d}/daemon.log", errors="replace").read().splitlines()
    from datetime import datetime
    sid_by_pid, t_term = {}, {}
    for line in log:
        m = re.match(r"(\S+) \S+ idlewarden: \[\S+\] event=(open|terminate) session=(\d+)(.*)", line)
        if not m: continue
        when = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S%z").timestamp()
        if m.group(2) == "open":
            p = re.search(r" pid=(\d+)", m.group(4))
            if p: sid_by_pid[int(p.group(1))] = m.group(3)
        else:
            t_term[m.group(3)] = when
    audit_late = []
    for x in ended:
        sid = sid_by_pid.get(int(x[2]))
        if sid in t_term:
            last_input = int(x[5]) or int(x[6])
            audit_late.append(t_term[sid] - (last_input + int(x[4]) * 1000) / 1000)
    counts = {k: sum(1 for l in log if f"event={k} " in l) for k in ("open", "warn", "terminate", "close", "reject")}
    early = sum(1 for v in true_late if v < 0)
    over = sum(1 for v in true_late if v > 9)
    try: state = int(open(f"{d}/fleet.state").read().strip())
    except (OSError, ValueError): state = 0
    retries = sum(int(x[11]) for x in sessions)
    try:
        f = open(f"{d}/idle-rss").read().split()
        idle = dict(zip(f[0::2], f[1::2]))
        idle_note = (f"before its first session the daemon's RSS was {int(idle['VmRSS:']) / 1024:.1f} MiB "
                     f"({int(idle['RssFile:']) / 1024:.1f} MiB file-backed, {int(idle['RssAnon:']) / 1024:.1f} MiB anonymous)")
    except (OSError, KeyError, ValueError):
        idle_note = "idle RSS not sampled"
    rows.append((n, e, reg, quiet, enf, len(opened), len(ended), retries, counts, state, rc, idle_note))
    late_rows.append((n, e, len(exp), len(ended), true_late, sched_late, audit_late, early, over))

def cpu_cell(c):
    if c is None: return "–"
    return f"{c['secs']:.0f} s: {c['cpu']:.2f} s CPU ({f2(c['pct'])} % of a core), {c['vol']} vol / {c['inv']} invol switches"
print("Cost (daemon utime+stime, context switches from /proc; R = registration, Q = quiet idle tracking, E = re-registering the expiring sessions + warnings + ends):")
print()
print("| N (expiring) | registration (R+S) | per open | quiet, all registered (Q) | wake-ups/min in Q | enforcement (B+W+E) | CPU per ended session | max RSS | state on disk, snapshot + journal (all registered) |")
print("|---|---|---|---|---|---|---|---|---|")
for n, e, reg, quiet, enf, opened, ended, retries, counts, state, rc, idle_note in rows:
    per_open = f"{1000 * reg['cpu'] / max(opened, 1):.1f} ms CPU, {1000 * reg['secs'] / max(opened, 1):.1f} ms wall" if reg else "–"
    wake = f"{quiet['vol'] * 60 / quiet['secs']:.1f}" if quiet and quiet['secs'] else "–"
    per_end = f"{1000 * enf['cpu'] / max(ended, 1):.1f} ms" if enf else "–"
    rss = max([c['rss'] for c in (reg, quiet, enf) if c] or [0])
    print(f"| {n} ({e}) | {cpu_cell(reg)} | {per_open} | {cpu_cell(quiet)} | {wake} | {cpu_cell(enf)} | {per_end} | {rss / 1024:.1f} MiB | {state / 1024:.0f} KiB |")
print()
print("Lateness of each end (s; min / median / p99 / max). *vs last input*: shell's SIGHUP − (key press + idle_timeout), "
      "what the user sees, target [0, 9]; *vs daemon deadline*: − (max(open, end of the atime's 8 s bucket) + idle_timeout), "
      "the scheduling and enforcement delay alone; *audit line*: the `event=terminate` line's time (1 s resolution) − (key press + idle_timeout).")
print()
print("| N (expiring) | ended | vs last input | vs daemon deadline | audit line | ended early | > 9 s late |")
print("|---|---|---|---|---|---|---|")
for n, e, nexp, nended, tl_, sl, al, early, over in late_rows:
    print(f"| {n} ({e}) | {nended}/{nexp} | {stats(tl_)} | {stats(sl)} | {stats(al)} | {early} | {over} |")
print()
for n, e, reg, quiet, enf, opened, ended, retries, counts, state, rc, idle_note in rows:
    print(f"N={n}: {idle_note}; {opened} sessions opened, {retries} sends retried (queue full), audit: " +
          ", ".join(f"{k} {v}" for k, v in counts.items()) + (f"; fleet exit status {rc}" if rc != "0" else ""))
for note in notes:
    print(note)
EOF
} | bench_emit "$OUT"
