#!/usr/bin/env bash
# Where the daemon's CPU goes with many sessions (issue 9, target (b)): perf samples of the daemon (as installed,
# --static-swift-stdlib, with symbols) during a run of Benchmarks/daemon/fleet.c, split by phase.
#
#   bash Benchmarks/profile-daemon.sh               (as root; N=1000 sessions, 100 of them expiring; ~4 minutes)
#   N=300 E=30 bash Benchmarks/profile-daemon.sh
#
# Phases as in run-daemon.sh: R+S registration of N sessions, Q quiet, B+W+E re-registration of E sessions and
# their warnings and ends. For each phase: the share of the daemon's samples (inclusive: the function and what it
# calls) of the functions that matter, demangled. Results: stdout and Benchmarks/results/daemon-profile.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${N:-1000}
E=${E:-100}
QUIET_S=${QUIET_S:-10}
SPREAD_S=${SPREAD_S:-30}
OUT=${BENCH_OUT:-daemon-profile.md}

bench_init dprofile
bench_need gcc perf python3 swift
bench_static_bin
IW_BIN=$IW_DAEMON_BIN
gcc -O2 -Wall -o "$BENCH_WORK/fleet" "$BENCH_DIR/daemon/fleet.c" || bench_die "fleet.c"
bench_fleet_limits_init
why=$(bench_fleet_limits "$N")
[[ -z $why ]] || bench_die "N=$N does not fit: $why"
bench_daemon_start "$BENCH_WORK"
perf record -q -F 499 -g -k CLOCK_REALTIME -p "$BENCH_DAEMON_PID" -o "$BENCH_WORK/perf.data" >/dev/null 2>&1 &
perf_pid=$!
bench_defer kill -INT "$perf_pid"
sleep 1
"$BENCH_WORK/fleet" "$BENCH_SESSION_SOCK" nobody "$N" "$E" "$QUIET_S" "$SPREAD_S" "$BENCH_DAEMON_PID" "$BENCH_WORK/fleet" ||
    bench_die "fleet failed"
kill -INT "$perf_pid"
wait "$perf_pid" 2>/dev/null

phase_window() { # LETTERS → "start,end" in seconds (perf --time), from the fleet timeline
    awk -v p="$1" 'index(p, $7) { if (!s) s = $1; e = $1 } END { if (s) printf "%.3f,%.3f", s / 1000, e / 1000 }' \
        "$BENCH_WORK/fleet.timeline"
}
report() { # WINDOW → "percent symbol" lines, inclusive, demangled
    perf report -i "$BENCH_WORK/perf.data" --time "$1" --children --sort symbol --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9.]+%' | swift demangle --simplified | awk '{ pct = $1; $1 = $2 = $3 = ""; sub(/^ +/, ""); sub(/( +-)* *$/, ""); print pct "\t" $0 }'
}

{
    echo "### Daemon profile (\`N=$N E=$E bash Benchmarks/profile-daemon.sh\`)"
    echo
    bench_machine
    echo "- perf record -F 499 -g (frame pointers) of the daemon; inclusive share of its samples per phase"
    echo
    for phase in RS Q BWE; do
        window=$(phase_window "$phase")
        [[ -n $window ]] || continue
        report "$window" >"$BENCH_WORK/report-$phase.txt"
    done
    python3 - "$BENCH_WORK" <<'EOF'
import re, sys
work = sys.argv[1]
keys = [
    ("Daemon.run()", r"^Daemon\.run\(\)$"),
    ("Daemon.saveStateIfNeeded (whole state, every change)", r"^Daemon\.saveStateIfNeeded"),
    ("  JSONEncoder.encode", r"^JSONEncoder\.encode<A>\(_:\)$"),
    ("  fsync", r"^fsync$"),
    ("ProcessTable.snapshot (every process in /proc)", r"ProcessTable\.snapshot"),
    ("  ProcFile.read (/proc/PID/stat, status)", r"ProcFile\.read"),
    ("Daemon.handleDue", r"^Daemon\.handleDue"),
    ("Daemon.evaluate", r"^Daemon\.evaluate"),
    ("Daemon.open (a registration)", r"Daemon\.open\(_:sender:\)"),
    ("Daemon.drain (datagrams)", r"^Daemon\.drain"),
    ("Termination", r"^Termination\.|Termination\.init"),
    ("kernel: seq_read (procfs)", r"^seq_read$"),
]
names = {"RS": "registration (R+S)", "Q": "quiet (Q)", "BWE": "enforcement (B+W+E)"}
tables = {}
for phase in names:
    try:
        rows = [l.rstrip("\n").split("\t", 1) for l in open(f"{work}/report-{phase}.txt")]
    except OSError:
        continue
    tables[phase] = [(float(r[0].rstrip("%")), r[1]) for r in rows if len(r) == 2]
print("| function (inclusive) | " + " | ".join(names[p] for p in tables) + " |")
print("|---|" + "---|" * len(tables))
for label, pattern in keys:
    cells = []
    for phase, rows in tables.items():
        hits = [p for p, s in rows if re.search(pattern, s)]
        cells.append(f"{max(hits):.1f} %" if hits else "–")
    print(f"| {label} | " + " | ".join(cells) + " |")
EOF
    echo
    echo "Daemon CPU per phase (from the fleet timeline, utime+stime):"
    awk -v hz="$(getconf CLK_TCK)" '{ c = $2 + $3; if (!($7 in first)) { first[$7] = c; t0[$7] = $1; order[++n] = $7 } last[$7] = c; t1[$7] = $1 }
        END { for (i = 1; i <= n; i++) { p = order[i]; printf "%s%s %.1f s CPU in %.0f s", (i > 1 ? "; " : ""), p, (last[p] - first[p]) / hz, (t1[p] - t0[p]) / 1000 } print "." }' \
        "$BENCH_WORK/fleet.timeline"
} | bench_emit "$OUT"
