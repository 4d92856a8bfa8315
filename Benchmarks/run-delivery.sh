#!/usr/bin/env bash
# Delivery benchmark: how many logins reach the daemon when they come all at once or back to back, for any build
# (IW_BUILD_DIR: compare a build before and after a change of the module or its socket).
#
#   bash Benchmarks/run-delivery.sh            (as root; ~3 minutes)
#
# 1. Burst: BURST (60) pamtester logins released at the same moment (each waits in its session stack, in
#    pam_exec, until a FIFO is opened), while an ordinary user floods the control socket with datagrams as fast as
#    the daemon reads them; ROUNDS (4) times. Counted: opens that returned PAM_SUCCESS, opens the daemon
#    registered (event=open), opens the module spooled or gave up on (its syslog lines).
# 2. Back to back: PAIRS (40,000) logins, 4 at a time, each a process of its own that opens and closes one
#    session (tests/e2e/pam_pairs.c); the daemon's RSS after the first FIRST (5,000) and after all of them.
#    Counted: registered opens, refused records, spooled records, module failures; sessions left open.
# The daemon runs at nice 10 (BENCH_DAEMON_NICE), as installed, with every user but root, nobody and iwbench-* excluded.
# Results: stdout and Benchmarks/results/delivery.md (BENCH_OUT).

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BURST=${BURST:-60}
ROUNDS=${ROUNDS:-4}
PAIRS=${PAIRS:-40000}
FIRST=${FIRST:-5000}
AUTHLOG=${AUTHLOG:-/var/log/auth.log}
OUT=${BENCH_OUT:-delivery.md}

bench_init delivery
bench_need gcc pamtester python3 runuser useradd userdel
bench_bins
gcc -O2 -Wall -o "$BENCH_WORK/pam_pairs" "$BENCH_ROOT/tests/e2e/pam_pairs.c" -lpam || bench_die "cannot compile pam_pairs.c"
bench_sweep_stale
user=iwbench-$$-a
flooder=iwbench-$$-f
for u in "$user" "$flooder"; do
    useradd -M -N -s /usr/sbin/nologin "$u" || bench_die "useradd $u"
    bench_defer userdel -f "$u"
done
BENCH_IDLE=3600 BENCH_WARN=60 bench_daemon_start "$BENCH_WORK"
bench_defer cp "$BENCH_WORK/daemon.log" "${BENCH_KEEP_LOG:-/dev/null}"
bench_defer pkill -KILL -u "$flooder"

count() { grep -cE "$1" "$2" 2>/dev/null || true; }
sessions_left() { # the sessions of $user in status
    "$IW_BIN" status --socket "$BENCH_SOCK" --json 2>/dev/null |
        python3 -c 'import json, sys; print(sum(1 for s in json.load(sys.stdin) if s.get("user") == sys.argv[1]))' "$user"
}
authlog_since() { tail -c +$(($1 + 1)) "$AUTHLOG" 2>/dev/null; }

# --- 1. Burst ---------------------------------------------------------------------------------------------------
barrier=$BENCH_WORK/barrier
install -d -m 0700 "$barrier"
cat >"$BENCH_WORK/barrier.sh" <<'EOF'
#!/bin/sh
: >"$1/ready.$PPID"
read -r _ <"$1/go"
exit 0
EOF
chmod 0755 "$BENCH_WORK/barrier.sh"
burst=idlewarden-bench-burst-$$
bench_pam_service "$burst" \
    "auth     required pam_exec.so expose_authtok /bin/true" \
    "account  required pam_permit.so" \
    "session  required pam_exec.so type=open_session $BENCH_WORK/barrier.sh $barrier" \
    "session  required pam_permit.so" \
    "session  optional $IW_SO socket=$BENCH_SESSION_SOCK"
cat >"$BENCH_WORK/flood.py" <<'PY'
import os, socket, struct, sys
def field(tag, value):
    return bytes([tag]) + struct.pack(">H", len(value)) + value
data = b"IW\x01\x01" + field(1, struct.pack(">I", os.getpid())) + field(5, b"root") + field(6, b"sshd")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
while True:
    s.sendto(data, sys.argv[1])
PY
chmod 0644 "$BENCH_WORK/flood.py"
runuser -u "$flooder" -- python3 "$BENCH_WORK/flood.py" "$BENCH_SOCK" 2>/dev/null &
flood_pid=$!
bench_defer kill "$flood_pid"
sleep 1

burst_rows=()
for ((round = 1; round <= ROUNDS; round++)); do
    rm -f "$barrier"/ready.* "$barrier/go" "$barrier/hold"
    mkfifo -m 0600 "$barrier/go" "$barrier/hold"
    mark=$(stat -c %s "$AUTHLOG" 2>/dev/null || echo 0)
    opens_before=$(count "event=open .*service=$burst( |$)" "$BENCH_DAEMON_LOG")
    exec {hold}<>"$barrier/hold"
    pids=()
    for ((i = 1; i <= BURST; i++)); do
        setsid pamtester -v "$burst" "$user" open_session authenticate close_session <"$barrier/hold" \
            >"$BENCH_WORK/burst-$round-$i.log" 2>&1 {hold}>&- &
        pids+=("$!")
    done
    for ((t = 0; t < 600; t++)); do
        (($(find "$barrier" -maxdepth 1 -name 'ready.*' | wc -l) == BURST)) && break
        sleep 0.1
    done
    sleep 0.5
    timeout 10 bash -c ': >"$1"' release "$barrier/go" || bench_die "nobody at the barrier"
    released=$(date +%s%N)
    # Registered within 30 s, or never.
    for ((t = 0; t < 300; t++)); do
        (($(count "event=open .*service=$burst( |$)" "$BENCH_DAEMON_LOG") - opens_before == BURST)) && break
        sleep 0.1
    done
    registered=$(($(count "event=open .*service=$burst( |$)" "$BENCH_DAEMON_LOG") - opens_before))
    took_ms=$((($(date +%s%N) - released) / 1000000))
    opened=$(grep -l 'performing operation - authenticate' "$BENCH_WORK"/burst-"$round"-*.log | wc -l)
    lines=$(authlog_since "$mark" | grep -F "($burst:session)")
    spooled=$(grep -c 'spooled' <<<"$lines" || true)
    failed=$(grep -c 'not registered' <<<"$lines" || true)
    burst_rows+=("| $round | $BURST | $opened | $registered | $spooled | $failed | $took_ms |")
    exec {hold}>&-
    wait "${pids[@]}" 2>/dev/null
    bench_log "burst $round: $registered of $BURST registered ($spooled spooled, $failed failed)"
    sleep 2
done
kill "$flood_pid" 2>/dev/null

# --- 2. Back to back --------------------------------------------------------------------------------------------
pairs=idlewarden-bench-pairs-$$
bench_pam_service "$pairs" "session required pam_permit.so" "session optional $IW_SO socket=$BENCH_SESSION_SOCK"
pairs_failures=0
# Logins the daemon accounts for: registered opens, and logins read from the spool as opened and closed.
accounted() {
    echo $(($(count "event=open .*service=$pairs( |$)" "$BENCH_DAEMON_LOG") +
        $(count "event=spool-cancel .*service=$pairs( |$)" "$BENCH_DAEMON_LOG")))
}
# run_pairs COUNT BEFORE — sets pairs_ms; waits until every login is accounted for, no session is left and the
# spool is empty, or until the daemon has logged nothing for 10 s (logins that were lost never come).
run_pairs() {
    local n=$1 before=$2 fifo=$BENCH_WORK/pairs-$2.fifo hold t0
    mkfifo "$fifo"
    t0=$(date +%s%N)
    "$BENCH_WORK/pam_pairs" "$pairs" "$user" "$n" 4 <"$fifo" >"$BENCH_WORK/pairs-$before.log" 2>&1 &
    local driver=$!
    exec {hold}>"$fifo"
    while (($(grep -c '^worker=[0-9]* pairs=' "$BENCH_WORK/pairs-$before.log") < 4)); do
        kill -0 "$driver" 2>/dev/null || bench_die "pam_pairs ended early: $(cat "$BENCH_WORK/pairs-$before.log")"
        sleep 0.5
    done
    pairs_ms=$((($(date +%s%N) - t0) / 1000000))
    local seen=-1 now still=0
    while ((still < 20)); do
        (($(accounted) >= before + n)) && [[ $(sessions_left) == 0 && -z $(ls -A "$BENCH_WORK/run/spool" 2>/dev/null) ]] && break
        now=$(stat -c %s "$BENCH_DAEMON_LOG")
        if ((now == seen)); then still=$((still + 1)); else still=0; seen=$now; fi
        sleep 0.5
    done
    exec {hold}>&-
    wait "$driver"
    pairs_failures=$((pairs_failures + $(grep -oE 'failures=[0-9]+' "$BENCH_WORK/pairs-$before.log" |
        cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }')))
}
mark=$(stat -c %s "$AUTHLOG" 2>/dev/null || echo 0)
bench_log "back to back: $FIRST logins"
run_pairs "$FIRST" 0
first_ms=$pairs_ms
sleep 1
rss_first=$(bench_proc_sample "$BENCH_DAEMON_PID" | cut -d' ' -f3)
bench_log "back to back: $((PAIRS - FIRST)) more"
run_pairs $((PAIRS - FIRST)) "$FIRST"
rest_ms=$pairs_ms
sleep 1
rss_total=$(bench_proc_sample "$BENCH_DAEMON_PID" | cut -d' ' -f3)
registered=$(count "event=open .*service=$pairs( |$)" "$BENCH_DAEMON_LOG")
spooled=$(count "event=open .*service=$pairs .*source=spool" "$BENCH_DAEMON_LOG")
cancelled=$(count "event=spool-cancel .*service=$pairs( |$)" "$BENCH_DAEMON_LOG")
still_spooled=$(ls -A "$BENCH_WORK/run/spool" 2>/dev/null | wc -l)
# Reject lines name no service; this daemon hears only this benchmark's logins.
refused=$(count "event=reject .*reason=(pid-mismatch|unknown-user)" "$BENCH_DAEMON_LOG")
gone=$(count "event=reject .*reason=leader-gone" "$BENCH_DAEMON_LOG")
closed=$(count "event=close session=.*service=$pairs( |$)" "$BENCH_DAEMON_LOG")
left=$(sessions_left)
module_lines=$(authlog_since "$mark" | grep -F "($pairs:session)")
module_failed=$(grep -c 'not registered' <<<"$module_lines" || true)
module_spooled=$(grep -c 'spooled' <<<"$module_lines" || true)
kill -0 "$BENCH_DAEMON_PID" 2>/dev/null || bench_die "the daemon died during the benchmark"

{
    echo "### Delivery benchmark (\`bash Benchmarks/run-delivery.sh\`)"
    echo
    bench_machine
    echo "- so: $IW_SO; net.unix.max_dgram_qlen=$(cat /proc/sys/net/unix/max_dgram_qlen), net.core.somaxconn=$(cat /proc/sys/net/core/somaxconn); daemon at nice ${BENCH_DAEMON_NICE:-10}"
    echo
    echo "$BURST logins released at once while an ordinary user floods the control socket, $ROUNDS rounds:"
    echo
    echo "| round | logins | opens that returned PAM_SUCCESS | registered | spooled by the module | not registered (module's fail-open line) | ms from release to the last registration (or 30 s) |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${burst_rows[@]}"
    echo
    echo "$PAIRS logins back to back, 4 at a time, each a process of its own (\`tests/e2e/pam_pairs.c\`):"
    echo
    echo "| logins | made in | registered (event=open) | of them from the spool | read from the spool as opened and closed (spool-cancel) | accounted for | process gone before its open was read (leader-gone) | lost | refused by the daemon | closed (event=close session=) | left open | left in the spool | module's lines: spooled / not registered | failed PAM calls | daemon RSS after $FIRST | after $PAIRS | growth |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    echo "| $PAIRS | $(((first_ms + rest_ms) / 1000)) s | $registered | $spooled | $cancelled | $((registered + cancelled)) | $gone | $((PAIRS - registered - cancelled - gone)) | $refused | $closed | $left | $still_spooled | $module_spooled / $module_failed | $pairs_failures | $rss_first KiB | $rss_total KiB | $((rss_total - rss_first)) KiB |"
} | bench_emit "$OUT"
