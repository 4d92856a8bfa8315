#!/usr/bin/env bash
# Control-socket benchmark: ordinary users flood the world-writable control socket while N sessions come due.
# Reports how fast `status` answers meanwhile (as root, whose answer lists every session in several chunks, and as
# a uid with no session) and how late the sessions are ended, against a run without the flood.
#
#   bash Benchmarks/run-control.sh                     (as root; about 4 minutes)
#   CONTROL_N=1000 FLOOD_UIDS=16 bash Benchmarks/run-control.sh
#
# Three runs, each with a fresh daemon and CONTROL_N (300) real sessions (Benchmarks/daemon/fleet.c: pty, leader,
# shell), registered, then all re-registered with deadlines spread over SPREAD_S (10) seconds:
#   quiet          nobody floods: the reference;
#   flood          FLOOD_UIDS (8) processes, each its own uid (no account: uids 61000 and up), send as fast as the
#                  socket takes them, from the end of registration to the last end (Benchmarks/control/flood.c:
#                  status requests, garbage, oversized and empty datagrams, descriptors, forged credentials);
#   flood+linger   the same plus, every LINGER_MS (500), a datagram carrying a TCP socket that sleeps in its last
#                  close, with the daemon made to run as on a kernel without SO_PASSRIGHTS (Debian 12's 6.1): an
#                  LD_PRELOAD shim makes setsockopt(SO_PASSRIGHTS) fail, so every such datagram reaches the
#                  receiver and stalls it until the daemon kills it.
# Probes ask for status every PROBE_MS (200) ms, each waiting 5 s at most per chunk, from the end of registration
# (fleet's phase Q: 5 s with nothing due) to the last end. The event loop's longest step comes from the daemon's
# stop line (StepMeter). Results: stdout and
# Benchmarks/results/control.md; raw files in Benchmarks/results/control-RUN/.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CONTROL_N=${CONTROL_N:-300}
SPREAD_S=${SPREAD_S:-10}
FLOOD_UIDS=${FLOOD_UIDS:-8}
LINGER_MS=${LINGER_MS:-500}
PROBE_MS=${PROBE_MS:-200}
BENCH_USER=${BENCH_USER:-nobody}
OUT=${BENCH_OUT:-control.md}
RAW=${BENCH_RAW:-$BENCH_RESULTS}
FIRST_UID=61000
PROBE_UID=60999

bench_init control
bench_need gcc python3
bench_bins
id "$BENCH_USER" >/dev/null 2>&1 || bench_die "no user $BENCH_USER (BENCH_USER)"
gcc -O2 -Wall -o "$BENCH_WORK/fleet" "$BENCH_DIR/daemon/fleet.c" || bench_die "cannot compile fleet.c"
gcc -O2 -Wall -o "$BENCH_WORK/flood" "$BENCH_DIR/control/flood.c" || bench_die "cannot compile flood.c"
cat >"$BENCH_WORK/no_passrights.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>
int setsockopt(int fd, int level, int name, const void *value, socklen_t length) {
    static int (*real)(int, int, int, const void *, socklen_t);
    if (level == SOL_SOCKET && name == 83) { errno = ENOPROTOOPT; return -1; }
    if (!real) real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
    return real(fd, level, name, value, length);
}
EOF
gcc -shared -fPIC -O2 -o "$BENCH_WORK/no_passrights.so" "$BENCH_WORK/no_passrights.c" -ldl ||
    bench_die "cannot compile the SO_PASSRIGHTS shim"
chmod 0755 "$BENCH_WORK" "$BENCH_WORK/no_passrights.so"
bench_fleet_limits_init
why=$(bench_fleet_limits "$CONTROL_N")
[[ -z $why ]] || bench_die "N=$CONTROL_N does not fit: $why"

# run NAME FLOOD(yes|no) LINGER(yes|no)
run() {
    local name=$1 flood=$2 linger=$3 dir=$BENCH_WORK/run-$1
    mkdir -p "$dir"
    BENCH_DAEMON_PRELOAD=$([[ $linger == yes ]] && echo "$BENCH_WORK/no_passrights.so") bench_daemon_start "$dir"
    bench_log "$name: daemon pid $BENCH_DAEMON_PID, N=$CONTROL_N, flood=$flood, lingering descriptors=$linger"
    sleep 1
    "$BENCH_WORK/fleet" "$BENCH_SESSION_SOCK" "$BENCH_USER" "$CONTROL_N" "$CONTROL_N" 5 "$SPREAD_S" \
        "$BENCH_DAEMON_PID" "$dir/fleet" 2>"$dir/fleet.err" &
    local fleet=$!
    # The probes and the flood start once every session is registered and the daemon has settled (phase Q):
    # fleet waits for the daemon's CPU time to stand still before that.
    local i
    for ((i = 0; i < 1200; i++)); do
        grep -q ' Q$' "$dir/fleet.timeline" 2>/dev/null && break
        kill -0 "$fleet" 2>/dev/null || break
        sleep 0.1
    done
    local pids=() t0 t1
    t0=$(date +%s%3N)
    "$BENCH_WORK/flood" probe "$BENCH_SOCK" 3600 "$PROBE_MS" 0 "$dir/probe-root" &
    pids+=($!)
    "$BENCH_WORK/flood" probe "$BENCH_SOCK" 3600 "$PROBE_MS" "$PROBE_UID" "$dir/probe-user" &
    pids+=($!)
    if [[ $flood == yes ]]; then
        "$BENCH_WORK/flood" flood "$BENCH_SOCK" 3600 "$FLOOD_UIDS" "$FIRST_UID" "$dir/flood" \
            $([[ $linger == yes ]] && echo "$LINGER_MS") &
        pids+=($!)
    fi
    wait "$fleet"
    local rc=$?
    t1=$(date +%s%3N)
    kill -TERM "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
    cat "$dir/fleet.err" >&2
    bench_daemon_stop "$BENCH_DAEMON_PID"
    sleep 1
    rm -rf "$RAW/control-$name" && mkdir -p "$RAW/control-$name"
    cp "$dir"/fleet.* "$dir"/probe-* "$dir/daemon.log" "$dir/idlewarden.conf" "$RAW/control-$name/" 2>/dev/null
    [[ -f $dir/flood ]] && cp "$dir/flood" "$RAW/control-$name/flood"
    runs+=("$name $dir $rc $t0 $t1")
}

runs=()
run quiet no no
run flood yes no
run flood+linger yes yes

{
    echo "### Control-socket benchmark (\`bash Benchmarks/run-control.sh\`)"
    echo
    bench_machine
    echo "- $CONTROL_N sessions (shells run as $BENCH_USER), all re-registered with deadlines spread over ${SPREAD_S}s;" \
        "idle_timeout per session, warn_before ${BENCH_WARN:-5}s, grace ${BENCH_GRACE:-3}s; daemon at nice 10;" \
        "flood: $FLOOD_UIDS processes, uids $FIRST_UID–$((FIRST_UID + FLOOD_UIDS - 1)), blocking sends;" \
        "lingering descriptor every ${LINGER_MS} ms (uid $((FIRST_UID + FLOOD_UIDS))); status probes every ${PROBE_MS} ms" \
        "as root and as uid $PROBE_UID; net.unix.max_dgram_qlen $(cat /proc/sys/net/unix/max_dgram_qlen)"
    echo
    python3 - "$(getconf CLK_TCK)" "${runs[@]}" <<'EOF'
import re, statistics, sys
hz = int(sys.argv[1])
def pct(values, p):
    s = sorted(values)
    if not s: return float("nan")
    return s[max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))]
def f1(x): return "–" if x != x else f"{x:.1f}"
def stats(values, digits=f1):
    if not values: return "–"
    return f"{digits(statistics.median(values))} / {digits(pct(values, 99))} / {digits(max(values))}"
def ms(x): return "–" if x != x else f"{x:.0f}"

status_rows, end_rows, flood_rows, step_rows = [], [], [], []
for run in sys.argv[2:]:
    name, d, rc, t0, t1 = run.split()
    tl = []
    for line in open(f"{d}/fleet.timeline"):
        t, u, s, rss, vol, inv, ph = line.split()
        tl.append((int(t), int(u) + int(s), int(rss), ph))
    e_points = [x for x in tl if x[3] in "BWE"]
    e_start = e_points[0][0] if e_points else int(t0)
    sessions = [l.split() for l in open(f"{d}/fleet.sessions")]
    ended = [x for x in sessions if x[1] == "1" and int(x[8]) > 0]
    e_end = max([int(x[8]) for x in ended] or [int(t1)])
    cpu = (tl[-1][1] - tl[0][1]) / hz if len(tl) > 1 else float("nan")
    secs = (tl[-1][0] - tl[0][0]) / 1000 if len(tl) > 1 else float("nan")
    for who in ("root", "user"):
        rows = [l.split() for l in open(f"{d}/probe-{who}") if l.strip()]
        lat = [int(r[1]) for r in rows if r[2] == "1"]
        failed = sum(1 for r in rows if r[2] != "1")
        during = [int(r[1]) for r in rows if r[2] == "1" and e_start <= int(r[0]) <= e_end]
        chunks = max([int(r[3]) for r in rows] or [0])
        status_rows.append((name, who, len(rows), failed, stats(lat, ms), stats(during, ms), chunks))
    true_late, sched_late = [], []
    for x in ended:
        idle, t_in, t_open, atime, t_end = int(x[4]), int(x[5]), int(x[6]), int(x[7]), int(x[8])
        last_input = t_in if t_in else t_open
        true_late.append((t_end - (last_input + idle * 1000)) / 1000)
        bucket_end = (atime // 1000 // 8 + 1) * 8 * 1000
        sched_late.append((t_end - (max(t_open, bucket_end) + idle * 1000)) / 1000)
    log = open(f"{d}/daemon.log", errors="replace").read()
    kills = len(re.findall(r"event=receiver result=killed", log))
    starts = len(re.findall(r"event=receiver result=started", log))
    passed = "refused-by-kernel" if "passed_descriptors=refused-by-kernel" in log else "dropped-by-receiver"
    stop = re.search(r"event=stop .*", log)
    stop = dict(re.findall(r"(\w+)=(\S+)", stop.group(0))) if stop else {}
    step_rows.append((name, stop.get("steps", "–"), stop.get("longest_step_ms", "–"),
                      stop.get("longest_step_cpu_ms", "–"), stop.get("longest_step_woken_by", "–"),
                      stop.get("most_cpu_step_ms", "–"), stop.get("steps_over_100ms", "–")))
    early = sum(1 for v in true_late if v < 0)
    over = sum(1 for v in true_late if v > 9)
    end_rows.append((name, len(ended), sum(1 for x in sessions if x[1] == "1"), stats(true_late), stats(sched_late),
                     early, over, f"{cpu:.1f} s in {secs:.0f} s" if cpu == cpu else "–",
                     max(x[2] for x in tl) / 1024 if tl else 0, rc))
    try:
        flood = {l.split()[0]: l.split()[1:] for l in open(f"{d}/flood")}
        duration = (int(t1) - int(t0)) / 1000
        sent = sum(int(v[0]) for v in flood.values())
        refused = sum(int(v[1]) for v in flood.values())
        detail = ", ".join(f"{k} {int(v[0])}" + (f" (+{int(v[1])} refused: EPERM)" if int(v[1]) else "")
                           + (f" ({int(v[2])} cut short at the end)" if int(v[2]) else "")
                           + (f" ({int(v[3])} lost the race)" if int(v[3]) else "") for k, v in flood.items())
        flood_rows.append((name, passed, f"{sent:,} in {duration:.0f} s ({sent / duration:,.0f}/s) + {refused:,} refused",
                           detail, kills, starts))
    except OSError:
        flood_rows.append((name, passed, "none", "–", kills, starts))

print("Status answer latency (ms; median / p99 / max; *while due*: from the re-registration to the last end). "
      "Root's answer lists every session (chunks: the most one answer took); the other uid has no session.")
print()
print("| run | asked as | requests | unanswered (5 s) | all | while due | chunks |")
print("|---|---|---|---|---|---|---|")
for r in status_rows:
    print("| " + " | ".join(str(c) for c in r) + " |")
print()
print("Lateness of the ends (s; median / p99 / max). *vs last input*: shell's SIGHUP − (key press + idle_timeout), "
      "target [0, 9]; *vs daemon deadline*: − (max(open, end of the atime's 8 s bucket) + idle_timeout), the daemon's "
      "own delay. Daemon CPU: utime + stime over the run.")
print()
print("| run | ended | vs last input | vs daemon deadline | ended early | > 9 s late | daemon CPU | max RSS |")
print("|---|---|---|---|---|---|---|---|")
for name, n_end, n_exp, tl_, sl, early, over, cpu, rss, rc in end_rows:
    print(f"| {name} | {n_end}/{n_exp} | {tl_} | {sl} | {early} | {over} | {cpu} | {rss:.1f} MiB |")
print()
print("The event loop's steps (from a wake-up to the next wait: how long anything that became ready may wait for the "
      "daemon), as the daemon's stop line reports them: the longest by wall time (with its thread CPU time and what "
      "woke it), the most CPU time one step took, and how many steps took over 100 ms (wall).")
print()
print("| run | steps | longest step (ms) | its CPU (ms) | woken by | most CPU in one step (ms) | steps > 100 ms |")
print("|---|---|---|---|---|---|---|")
for r in step_rows:
    print("| " + " | ".join(str(c) for c in r) + " |")
print()
print("| run | descriptors | flood sent (all uids) | by kind | receivers killed | receivers started |")
print("|---|---|---|---|---|---|")
for r in flood_rows:
    print("| " + " | ".join(str(c) for c in r) + " |")
EOF
} | bench_emit "$OUT"
