#!/usr/bin/env bash
# Where the module's cost goes (issue 9, target (a)): the module benchmark's loop and pamtester runs for variants of
# the second session line, the cost of each thing the module does per call, and system calls per iteration.
#
#   bash Benchmarks/profile-module.sh      (as root; ~2 minutes; uses patchelf and strace when installed)
#
# Variants, all with the daemon down (socket path absent) unless marked "up":
#   permit            session required pam_permit.so (the floor)
#   noop              + a C module whose pam_sm_open/close_session return PAM_SUCCESS: the cost of loading any
#                     second module
#   built             + libpam_idlewarden.so as the build leaves it (what run-module.sh measures)
#   installed         + the same stripped and renamed pam_idlewarden.so, as install.sh installs it (RUNPATH $ORIGIN
#                     is still in it)
#   installed-norpath + the installed file with its RUNPATH removed (patchelf --remove-rpath)
#   installed-sink    installed, sending to a socket whose reader only drains it (a daemon that does no work)
#   installed-up      installed, with the daemon up (it registers every open: its work shares the 2 CPUs)
# and installed-up again with the daemon pinned to one CPU under SCHED_OTHER (as now), SCHED_BATCH and nice 10, the
# loop on the same CPU or another (taskset, chrt): whether waking the daemon makes the login wait for its work.
# Whole-process figures: pamtester runs interleaved one by one (module/spawn_loop.c), RUNS rounds.
# Knobs: ROUNDS (11) x BATCH (50), PAUSE_US (5000), RUNS (300). Results: stdout and Benchmarks/results/module-profile.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROUNDS=${ROUNDS:-11}
BATCH=${BATCH:-50}
PAUSE_US=${PAUSE_US:-5000}
RUNS=${RUNS:-300}
OUT=${BENCH_OUT:-module-profile.md}

bench_init profile
bench_need gcc pamtester python3
bench_bins
gcc -O2 -Wall -o "$BENCH_WORK/pam_loop" "$BENCH_DIR/module/pam_loop.c" -lpam || bench_die "pam_loop.c"
gcc -O2 -Wall -o "$BENCH_WORK/steps" "$BENCH_DIR/module/steps.c" || bench_die "steps.c"
gcc -O2 -Wall -o "$BENCH_WORK/spawn_loop" "$BENCH_DIR/module/spawn_loop.c" || bench_die "spawn_loop.c"
printf '%s\n' '#include <security/pam_modules.h>' \
    'int pam_sm_open_session(pam_handle_t *h, int f, int c, const char **v) { (void)h; (void)f; (void)c; (void)v; return PAM_SUCCESS; }' \
    'int pam_sm_close_session(pam_handle_t *h, int f, int c, const char **v) { (void)h; (void)f; (void)c; (void)v; return PAM_SUCCESS; }' \
    >"$BENCH_WORK/noop.c"
install -d -m 0755 "$BENCH_WORK/security"
gcc -O2 -shared -fPIC -o "$BENCH_WORK/security/pam_noop.so" "$BENCH_WORK/noop.c" -lpam || bench_die "noop module"
cp "$IW_SO" "$BENCH_WORK/security/pam_idlewarden.so"
strip --strip-unneeded "$BENCH_WORK/security/pam_idlewarden.so"
norpath=
if command -v patchelf >/dev/null 2>&1; then
    install -d -m 0755 "$BENCH_WORK/norpath"
    cp "$BENCH_WORK/security/pam_idlewarden.so" "$BENCH_WORK/norpath/pam_idlewarden.so"
    patchelf --remove-rpath "$BENCH_WORK/norpath/pam_idlewarden.so" && norpath=$BENCH_WORK/norpath/pam_idlewarden.so
fi
bench_daemon_start "$BENCH_WORK"
down=$BENCH_WORK/down/session.sock
sink=$BENCH_WORK/sink.sock
python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600)
while True: s.recv(65536)' "$sink" &
sink_pid=$!
bench_defer kill "$sink_pid"
for ((i = 0; i < 50; i++)); do [[ -S $sink ]] && break; sleep 0.1; done

tag=$$
declare -A line=(
    [permit]=""
    [noop]="session optional $BENCH_WORK/security/pam_noop.so"
    [built]="session optional $IW_SO socket=$down"
    [installed]="session optional $BENCH_WORK/security/pam_idlewarden.so socket=$down"
    [installed-sink]="session optional $BENCH_WORK/security/pam_idlewarden.so socket=$sink"
    [installed-up]="session optional $BENCH_WORK/security/pam_idlewarden.so socket=$BENCH_SESSION_SOCK"
)
variants=(permit noop built installed)
if [[ -n $norpath ]]; then
    line[installed-norpath]="session optional $norpath socket=$down"
    variants+=(installed-norpath)
fi
variants+=(installed-sink installed-up)
services=()
for v in "${variants[@]}"; do
    bench_pam_service "idlewarden-bench-$v-$tag" "session required pam_permit.so" ${line[$v]:+"${line[$v]}"}
    services+=("idlewarden-bench-$v-$tag")
done

bench_log "loop: ${#variants[@]} variants x $(((ROUNDS - 1) * BATCH)) iterations"
"$BENCH_WORK/pam_loop" root "$ROUNDS" "$BATCH" "$PAUSE_US" "${services[@]}" >"$BENCH_WORK/loop.txt" || bench_die "pam_loop"
# The same without the pause between iterations (warm caches; not with the daemon, whose queue would overflow).
warm=()
for v in "${variants[@]}"; do [[ $v == installed-up ]] || warm+=("idlewarden-bench-$v-$tag"); done
"$BENCH_WORK/pam_loop" root "$ROUNDS" "$BATCH" 0 "${warm[@]}" >"$BENCH_WORK/loop-warm.txt" || bench_die "pam_loop (warm)"
bench_log "pamtester, $RUNS interleaved rounds"
"$BENCH_WORK/spawn_loop" "$RUNS" "${services[@]}" >"$BENCH_WORK/spawn.txt" || bench_die "spawn_loop"
"$BENCH_WORK/steps" 2000 >"$BENCH_WORK/steps.txt" || bench_die "steps"
# Where the daemon runs when the module wakes it: the daemon pinned to the last CPU under each scheduling policy,
# the loop (permit + installed-up) pinned to the same CPU, then to another one.
: >"$BENCH_WORK/sched.txt"
last_cpu=$(($(nproc) - 1))
if ((last_cpu >= 1)) && command -v taskset >/dev/null && command -v chrt >/dev/null; then
    taskset -pc "$last_cpu" "$BENCH_DAEMON_PID" >/dev/null
    for setting in "same other" "same batch" "same nice10" "other other"; do
        read -r where policy <<<"$setting"
        chrt -o -p 0 "$BENCH_DAEMON_PID"
        renice -n 0 -p "$BENCH_DAEMON_PID" >/dev/null
        case $policy in
            batch) chrt -b -p 0 "$BENCH_DAEMON_PID" ;;
            nice10) renice -n 10 -p "$BENCH_DAEMON_PID" >/dev/null ;;
        esac
        cpu=$last_cpu
        [[ $where == other ]] && cpu=0
        taskset -c "$cpu" "$BENCH_WORK/pam_loop" root "$ROUNDS" "$BATCH" "$PAUSE_US" \
            "idlewarden-bench-permit-$tag" "idlewarden-bench-installed-up-$tag" |
            sed "s/^/where=$where policy=$policy /" >>"$BENCH_WORK/sched.txt"
    done
    chrt -o -p 0 "$BENCH_DAEMON_PID"
    renice -n 0 -p "$BENCH_DAEMON_PID" >/dev/null
fi
# System calls per iteration: strace -c over 100 iterations of each variant (strace slows them; counts only).
if command -v strace >/dev/null 2>&1; then
    for v in "${variants[@]}"; do
        strace -f -c -o "$BENCH_WORK/strace-$v.txt" "$BENCH_WORK/pam_loop" root 2 100 0 "idlewarden-bench-$v-$tag" >/dev/null
    done
fi

{
    echo "### Module profile (\`bash Benchmarks/profile-module.sh\`)"
    echo
    bench_machine
    echo "- daemon down (socket path absent) except installed-sink and installed-up; stripped module $(stat -c %s "$BENCH_WORK/security/pam_idlewarden.so") bytes," \
        "as built $(stat -c %s "$IW_SO") bytes; RUNPATH: $(readelf -d "$IW_SO" | grep -oE 'RUNPATH.*' | sed 's/.*\[//; s/\]//')"
    echo
    python3 - "$BENCH_WORK" "${variants[@]}" <<'EOF'
import json, os, re, sys
work, variants = sys.argv[1], sys.argv[2:]
loop = {}
for l in open(f"{work}/loop.txt"):
    f = dict(kv.split("=", 1) for kv in l.split())
    name = re.sub(r"^idlewarden-bench-(.*)-\d+$", r"\1", f["service"])
    loop[name] = f
hyper = {}
for l in open(f"{work}/spawn.txt"):
    f = dict(kv.split("=", 1) for kv in l.split())
    hyper[re.sub(r"^idlewarden-bench-(.*)-\d+$", r"\1", f["service"])] = {"median": float(f["median"]) / 1000}
warm = {}
for l in open(f"{work}/loop-warm.txt"):
    f = dict(kv.split("=", 1) for kv in l.split())
    warm[re.sub(r"^idlewarden-bench-(.*)-\d+$", r"\1", f["service"])] = f
def syscalls(v):
    path = f"{work}/strace-{v}.txt"
    if not os.path.exists(path): return None
    for l in open(path):
        if l.strip().endswith("total"):
            return int(l.split()[3]) / 200  # 2 rounds x 100 iterations (calls column)
    return None
base = loop["permit"]
print("| variant | loop: iteration median (µs) | Δ vs permit | open+close pair median (µs) | Δ vs permit | pair Δ, no pause | page faults / iteration | / pair | syscalls / iteration | pamtester median (ms, interleaved) | ratio |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for v in variants:
    r, h = loop[v], hyper[v]
    sc = syscalls(v)
    warm_delta = "–" if v not in warm else f"{float(warm[v]['pair_median']) - float(warm['permit']['pair_median']):+.1f}"
    print(f"| {v} | {r['iter_median']} | {float(r['iter_median']) - float(base['iter_median']):+.1f} | {r['pair_median']} | "
          f"{float(r['pair_median']) - float(base['pair_median']):+.1f} | "
          f"{warm_delta} | "
          f"{r['iter_faults']} | {r['pair_faults']} | "
          f"{'–' if sc is None else f'{sc:.0f}'} | {h['median'] * 1000:.3f} | {h['median'] / hyper['permit']['median']:.3f}× |")
print()
sched = [dict(kv.split("=", 1) for kv in l.split()) for l in open(f"{work}/sched.txt")]
if sched:
    print("The daemon's scheduling: daemon pinned to one CPU, the loop (permit, installed-up) on the same CPU or on")
    print("another; the daemon's policy set with chrt/renice (µs):")
    print()
    print("| loop on | daemon policy | up: iteration median | up: pair median | pair p99 | pair − permit (median) |")
    print("|---|---|---|---|---|---|")
    rows = {}
    for f in sched:
        rows.setdefault((f["where"], f["policy"]), {})[re.sub(r"^idlewarden-bench-(.*)-\d+$", r"\1", f["service"])] = f
    labels = {"other": "SCHED_OTHER, nice 0 (as now)", "batch": "SCHED_BATCH", "nice10": "SCHED_OTHER, nice 10"}
    for (where, policy), r in rows.items():
        up, pm = r["installed-up"], r["permit"]
        print(f"| {'the daemon' + chr(39) + 's CPU' if where == 'same' else 'another CPU'} | {labels[policy]} | "
              f"{up['iter_median']} | {up['pair_median']} | {up['pair_p99']} | "
              f"{float(up['pair_median']) - float(pm['pair_median']):+.1f} |")
    print()
print("Each thing the module does per call, alone (µs, median / p99 over 2000; `Benchmarks/module/steps.c`):")
print()
print("| step | median | p99 |")
print("|---|---|---|")
for l in open(f"{work}/steps.txt"):
    f = dict(kv.split("=", 1) for kv in l.split())
    print(f"| {f['step']} | {f['median']} | {f['p99']} |")
EOF
} | bench_emit "$OUT"
