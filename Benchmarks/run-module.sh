#!/usr/bin/env bash
# Module benchmark: what pam_idlewarden adds to a login, against pam_permit alone.
#
#   bash Benchmarks/run-module.sh            (as root; ~2 minutes)
#
# Three pam.d services, measured side by side in one run:
#   permit  session required pam_permit.so
#   up      + session optional <built .so> socket=<running daemon's session.sock>
#   down    + the same line with a socket nobody listens on (the daemon is down): the module spools each record
#           beside that socket (builds before the spool: one failed send and the fail-open line). The socket's
#           directory is a tmpfs mounted for the run, as /run is on Debian (systemd or sysvinit);
#           DOWN_ON_TMPFS=0 leaves it in the run's temp dir, on whatever file system that is
# 1. in-process: Benchmarks/module/pam_loop.c loops pam_start/pam_open_session/pam_close_session/pam_end
#    (pam_start dlopens the modules, pam_end dlcloses them), services interleaved in batches;
# 2. whole process: `pamtester SERVICE root open_session close_session` under hyperfine, the three commands in
#    one hyperfine run.
# Knobs (environment): ROUNDS (21, the first is a warm-up) x BATCH (50) loop iterations per service, PAUSE_US
# (5000) untimed pause after each iteration so that the daemon registers every open (see pam_loop.c);
# RUNS (300) hyperfine runs per command, WARMUP (30); SPAWN_ROUNDS (300) rounds of module/spawn_loop.c, the same
# pamtester runs interleaved one by one (drift-free: hyperfine runs all of one command before the next).
# Results: stdout and Benchmarks/results/module.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROUNDS=${ROUNDS:-21}
BATCH=${BATCH:-50}
PAUSE_US=${PAUSE_US:-5000}
AUTHLOG=${AUTHLOG:-/var/log/auth.log}
RUNS=${RUNS:-300}
WARMUP=${WARMUP:-30}
SPAWN_ROUNDS=${SPAWN_ROUNDS:-300}
OUT=${BENCH_OUT:-module.md}
DOWN_ON_TMPFS=${DOWN_ON_TMPFS:-1}

bench_init module
bench_need gcc pamtester hyperfine python3
[[ -f /usr/include/security/pam_appl.h ]] || bench_die "missing libpam headers (apt-get install -y libpam0g-dev)"
bench_bins

gcc -O2 -Wall -o "$BENCH_WORK/pam_loop" "$BENCH_DIR/module/pam_loop.c" -lpam || bench_die "cannot compile pam_loop.c"
gcc -O2 -Wall -o "$BENCH_WORK/spawn_loop" "$BENCH_DIR/module/spawn_loop.c" || bench_die "cannot compile spawn_loop.c"
bench_daemon_start "$BENCH_WORK"
install -d -m 0755 "$BENCH_WORK/down"
if [[ $DOWN_ON_TMPFS == 1 ]]; then
    mount -t tmpfs -o size=64m,mode=0755 iwbench-down "$BENCH_WORK/down" || bench_die "cannot mount a tmpfs for the down socket"
    bench_defer umount "$BENCH_WORK/down"
fi
down_fs=$(stat -f -c %T "$BENCH_WORK/down")

tag=$$
permit=idlewarden-bench-permit-$tag
up=idlewarden-bench-up-$tag
down=idlewarden-bench-down-$tag
bench_pam_service "$permit" "session required pam_permit.so"
bench_pam_service "$up" "session required pam_permit.so" "session optional $IW_SO socket=$BENCH_SESSION_SOCK"
bench_pam_service "$down" "session required pam_permit.so" \
    "session optional $IW_SO socket=$BENCH_WORK/down/session.sock"

authlog_mark=$(stat -c %s "$AUTHLOG" 2>/dev/null || echo 0)
daemon_before=$(bench_proc_sample "$BENCH_DAEMON_PID")
bench_log "in-process loop: $ROUNDS rounds x $BATCH iterations per service, ${PAUSE_US} µs pause"
"$BENCH_WORK/pam_loop" root "$ROUNDS" "$BATCH" "$PAUSE_US" "$permit" "$up" "$down" >"$BENCH_WORK/loop.txt" ||
    bench_die "pam_loop failed"
sleep 1
daemon_after=$(bench_proc_sample "$BENCH_DAEMON_PID")
opens=$(grep -c "event=open .*service=$up" "$BENCH_DAEMON_LOG" || true)
rejected=$(grep -c "event=reject" "$BENCH_DAEMON_LOG" || true)
# The module's own fail-open lines (daemon queue full) for the "up" service, if syslog writes auth.log.
dropped=$(tail -c +$((authlog_mark + 1)) "$AUTHLOG" 2>/dev/null | grep -F "($up:session)" | grep -c 'not registered' || true)

bench_log "whole process: hyperfine, $RUNS runs per command"
hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$BENCH_WORK/hyperfine.json" \
    -n permit "pamtester $permit root open_session close_session" \
    -n up "pamtester $up root open_session close_session" \
    -n down "pamtester $down root open_session close_session" >"$BENCH_WORK/hyperfine.txt" 2>&1 ||
    { cat "$BENCH_WORK/hyperfine.txt" >&2; bench_die "hyperfine failed"; }
bench_log "whole process, interleaved: $SPAWN_ROUNDS rounds"
"$BENCH_WORK/spawn_loop" "$SPAWN_ROUNDS" "$permit" "$up" "$down" >"$BENCH_WORK/spawn.txt" || bench_die "spawn_loop failed"
kill -0 "$BENCH_DAEMON_PID" 2>/dev/null || bench_die "the daemon died during the benchmark"

{
    echo "### Module benchmark (\`bash Benchmarks/run-module.sh\`)"
    echo
    bench_machine
    echo "- so: $(stat -c %s "$IW_SO") bytes ($IW_SO); daemon up on $BENCH_SESSION_SOCK; rsyslogd $(pgrep -x rsyslogd >/dev/null && echo running || echo 'not running')"
    echo "- down: socket $BENCH_WORK/down/session.sock on $down_fs; $(find "$BENCH_WORK/down/spool" -type f 2>/dev/null | wc -l) records spooled during the run"
    echo
    python3 - "$BENCH_WORK/loop.txt" "$BENCH_WORK/hyperfine.json" "$daemon_before" "$daemon_after" "$opens" \
        "$(getconf CLK_TCK)" "$rejected" "$dropped" "$PAUSE_US" "$BENCH_WORK/spawn.txt" <<'EOF'
import json, sys
loop_file, hyper_file, before, after, opens, hz, rejected, dropped, pause, spawn_file = sys.argv[1:11]
rows = {}
for line in open(loop_file):
    f = dict(kv.split("=", 1) for kv in line.split())
    name = f["service"].split("-")[2]  # idlewarden-bench-NAME-PID
    rows[name] = f
base = rows["permit"]
print(f"In-process loop, per iteration (pam_start + open_session + close_session + pam_end; µs; {pause} µs untimed "
      "pause between iterations):")
print()
print("| service | n | min | median | p99 | mean | ratio (median) | open+close pair median | pair p99 | pair − permit (median) | page faults / iteration | / pair | errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name in ("permit", "up", "down"):
    r = rows[name]
    ratio = float(r["iter_median"]) / float(base["iter_median"])
    extra = float(r["pair_median"]) - float(base["pair_median"])
    print(f"| {name} | {r['n']} | {r['iter_min']} | {r['iter_median']} | {r['iter_p99']} | {r['iter_mean']} | "
          f"{ratio:.3f}× | {r['pair_median']} | {r['pair_p99']} | {extra:+.2f} | {r['iter_faults']} | {r['pair_faults']} | "
          f"{r['errors']} |")
print()
b = [int(x) for x in before.split()]
a = [int(x) for x in after.split()]
cpu_ms = (a[0] + a[1] - b[0] - b[1]) * 1000 / int(hz)
print(f"Daemon during the loop: {opens} opens registered for the 'up' service (warm-up included), {rejected} rejected, "
      f"{dropped} fail-open lines from the module (daemon queue full); daemon CPU {cpu_ms:.0f} ms (utime+stime), "
      f"{cpu_ms * 1000 / max(int(opens), 1):.0f} µs per registered open+close; RSS {a[2]} KiB.")
print()
data = json.load(open(hyper_file))["results"]
by = {r["command"]: r for r in data}
p = by["permit"]
print("Whole process, `pamtester SERVICE root open_session close_session` (hyperfine -N; ms):")
print()
print("| service | runs | mean ± sd | median | min | max | ratio (mean) | ratio (median) |")
print("|---|---|---|---|---|---|---|---|")
for name in ("permit", "up", "down"):
    r = by[name]
    ms = lambda v: f"{v * 1000:.3f}"
    print(f"| {name} | {len(r['times'])} | {ms(r['mean'])} ± {ms(r['stddev'])} | {ms(r['median'])} | {ms(r['min'])} | "
          f"{ms(r['max'])} | {r['mean'] / p['mean']:.3f}× | {r['median'] / p['median']:.3f}× |")
print()
spawn = {}
for line in open(spawn_file):
    f = dict(kv.split("=", 1) for kv in line.split())
    spawn[f["service"].split("-")[2]] = f
sp = spawn["permit"]
print("Whole process, the same pamtester runs interleaved one by one (`module/spawn_loop.c`; ms):")
print()
print("| service | runs | median | p99 | mean | min | ratio (median) | ratio (mean) | failures |")
print("|---|---|---|---|---|---|---|---|---|")
for name in ("permit", "up", "down"):
    r = spawn[name]
    print(f"| {name} | {r['n']} | {r['median']} | {r['p99']} | {r['mean']} | {r['min']} | "
          f"{float(r['median']) / float(sp['median']):.3f}× | {float(r['mean']) / float(sp['mean']):.3f}× | {r['failures']} |")
print()
worst = max(by["up"]["median"] / p["median"], by["down"]["median"] / p["median"],
            float(spawn["up"]["median"]) / float(sp["median"]), float(spawn["down"]["median"]) / float(sp["median"]))
pair = max(float(rows["up"]["pair_median"]), float(rows["down"]["pair_median"]))
print(f"Targets: whole login process ≤ 1.10× pam_permit → worst median ratio (either table) {worst:.3f}× "
      f"({'met' if worst <= 1.10 else 'MISSED'}); open+close pair ≤ 20 µs → worst median {pair:.2f} µs "
      f"({'met' if pair <= 20 else 'MISSED'}).")
EOF
} | bench_emit "$OUT"
