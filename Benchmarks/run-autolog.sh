#!/usr/bin/env bash
# idlewarden and autolog side by side: the same real ssh logins, the same idle limit (60 s), how late each ends
# them and what each costs while doing it.
#
#   bash Benchmarks/run-autolog.sh         (as root; ~5 minutes; apt-get install -y autolog openssh-server)
#
# Everything runs in a private mount namespace (unshare -m) with a fresh tmpfs on /run and private copies of
# /var/log/{wtmp,lastlog,btmp}: sshd writes its logins to that private utmp, which is what autolog reads, and the
# system's own utmp and login records are never touched. A private sshd (a symlink to /usr/sbin/sshd named
# idlewarden-bench-sshd-PID, PAM service /etc/pam.d/idlewarden-bench-sshd-PID with the built module) listens on
# 127.0.0.1; K users iwbench-PID-1..K (removed at the end) log in with `ssh -tt`, type one command at staggered
# moments, then nothing.
#   round 1: the idlewarden daemon (as installed: --static-swift-stdlib) with idle_timeout 60s, warn_before 5s;
#   round 2: the daemon stopped (the module fails open), autolog running (foreground, -d) with
#            `name=iwbench-.* idle=1 grace=AUTOLOG_GRACE` (its unit is whole minutes; 1 is its smallest limit)
#            and `nolostkill` (otherwise it kills the processes of any uid 500-60000 that is not logged in).
# Measured per session: lateness = the moment the ssh client sees the connection end − (last key press + 60 s);
# per daemon: utime+stime (own and of the children it waited for, e.g. autolog's `ps`), voluntary context switches
# (wake-ups) and RSS, over the round. Knobs: K (3), AUTOLOG_GRACE (0), ROUND_TIMEOUT_S (240), IDLE_S (60; the
# smoke test uses 5, with which autolog, whose unit is minutes, cannot be compared).
# Results: stdout and Benchmarks/results/autolog.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
K=${K:-3}
AUTOLOG_GRACE=${AUTOLOG_GRACE:-0}
ROUND_TIMEOUT_S=${ROUND_TIMEOUT_S:-240}
IDLE_S=${IDLE_S:-60}
OUT=${BENCH_OUT:-autolog.md}

if [[ ${IWBENCH_IN_NAMESPACE:-} != 1 ]]; then
    [[ $(id -u) == 0 ]] || bench_die "run as root"
    bench_need unshare
    exec unshare --mount --propagation private env IWBENCH_IN_NAMESPACE=1 bash "${BASH_SOURCE[0]}" "$@"
fi

bench_init autolog
bench_need autolog ssh ssh-keygen useradd userdel python3 mount
[[ -x /usr/sbin/sshd ]] || bench_die "missing /usr/sbin/sshd (apt-get install -y openssh-server)"
bench_bins
bench_static_bin
bench_sweep_stale

# Private /run (utmp, sshd's privilege separation directory) and login records, in this namespace only.
mount -t tmpfs -o mode=0755 iwbench-run /run || bench_die "cannot mount a private /run"
install -d -m 0755 /run/sshd
install -m 0664 -g utmp /dev/null /run/utmp
for f in wtmp lastlog btmp; do
    [[ -e /var/log/$f ]] || continue
    install -m 0664 -g utmp /dev/null "$BENCH_WORK/$f"
    mount --bind "$BENCH_WORK/$f" "/var/log/$f" || bench_die "cannot bind a private /var/log/$f"
done

# Users.
ssh-keygen -q -t ed25519 -N '' -C iwbench -f "$BENCH_WORK/client_key" || bench_die "ssh-keygen"
users=()
for ((k = 1; k <= K; k++)); do
    u=iwbench-$$-$k
    useradd -m -s /bin/bash "$u" || bench_die "useradd $u"
    bench_defer userdel -r -f "$u"
    bench_defer pkill -KILL -u "$u"
    home=$(getent passwd "$u" | cut -d: -f6)
    install -d -m 0700 -o "$u" -g "$(id -g "$u")" "$home/.ssh"
    install -m 0600 -o "$u" -g "$(id -g "$u")" "$BENCH_WORK/client_key.pub" "$home/.ssh/authorized_keys"
    users+=("$u")
done

# The idlewarden daemon for round 1 (its socket is what the module line names in both rounds).
BENCH_IDLE=$IDLE_S BENCH_WARN=$((IDLE_S > 10 ? 5 : 1)) BENCH_GRACE=3 bench_daemon_start "$BENCH_WORK"

# sshd.
# sshd names its PAM service after argv[0]: a symlink named idlewarden-bench-sshd-PID gives this run its own.
sshd_service=idlewarden-bench-sshd-$$
ln -s /usr/sbin/sshd "$BENCH_WORK/$sshd_service"
bench_pam_service "$sshd_service" \
    "auth     required pam_deny.so" \
    "account  required pam_permit.so" \
    "password required pam_deny.so" \
    "session  required pam_permit.so" \
    "session  optional $IW_SO socket=$BENCH_SESSION_SOCK"
ssh-keygen -q -t ed25519 -N '' -f "$BENCH_WORK/host_key" || bench_die "ssh-keygen (host)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$BENCH_WORK/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $BENCH_WORK/host_key
PidFile $BENCH_WORK/sshd.pid
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
ClientAliveInterval 0
MaxStartups 100
EOF
"$BENCH_WORK/$sshd_service" -D -e -f "$BENCH_WORK/sshd_config" </dev/null >"$BENCH_WORK/sshd.log" 2>&1 &
sshd_pid=$!
bench_defer kill "$sshd_pid"
for ((i = 0; i < 100; i++)); do grep -q "Server listening" "$BENCH_WORK/sshd.log" && break; sleep 0.1; done
grep -q "Server listening" "$BENCH_WORK/sshd.log" || { cat "$BENCH_WORK/sshd.log" >&2; bench_die "sshd did not start"; }

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# ssh_round NAME — K logins, one command each at staggered moments, then idle until something ends them.
# Writes NAME.sessions: user t_input_ms t_end_ms
ssh_round() {
    local name=$1 k u fifo fd pid i fds=() pids=()
    for ((k = 0; k < K; k++)); do
        u=${users[k]}
        fifo=$BENCH_WORK/$name-$k.in
        mkfifo "$fifo"
        (
            ssh -tt -F /dev/null -i "$BENCH_WORK/client_key" -p "$port" -o StrictHostKeyChecking=no \
                -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -o ServerAliveInterval=0 \
                "$u@127.0.0.1" <"$fifo" >"$BENCH_WORK/$name-$k.out" 2>&1
            now_ms >"$BENCH_WORK/$name-$k.end"
        ) &
        pids+=($!)
        exec {fd}>"$fifo"
        fds+=("$fd")
    done
    # Wait for every shell, then one command per session, 2.7 s apart (different places in the 8 s atime step).
    for ((k = 0; k < K; k++)); do
        # The shell's answer (ready-100k) differs from the echo of what was typed (the $(( )) expression).
        printf 'echo iwbench-ready-$((100 + %s))\n' "$k" >&"${fds[k]}"
        for ((i = 0; i < 300; i++)); do grep -q "iwbench-ready-$((100 + k))" "$BENCH_WORK/$name-$k.out" 2>/dev/null && break; sleep 0.1; done
        grep -q "iwbench-ready-$((100 + k))" "$BENCH_WORK/$name-$k.out" || bench_die "$name: login $k did not come up: $(tail -c 300 "$BENCH_WORK/$name-$k.out")"
    done
    sleep 2
    for ((k = 0; k < K; k++)); do
        now_ms >"$BENCH_WORK/$name-$k.input"
        printf 'echo iwbench-input-%s\n' "$k" >&"${fds[k]}"
        sleep 2.7
    done
    local deadline=$(($(now_ms) + ROUND_TIMEOUT_S * 1000))
    while (($(now_ms) < deadline)); do
        local left=0
        for ((k = 0; k < K; k++)); do [[ -f $BENCH_WORK/$name-$k.end ]] || left=$((left + 1)); done
        ((left == 0)) && break
        sleep 0.2
    done
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait "${pids[@]}" 2>/dev/null
    for ((k = 0; k < K; k++)); do
        echo "${users[k]} $(cat "$BENCH_WORK/$name-$k.input") $(cat "$BENCH_WORK/$name-$k.end" 2>/dev/null || echo 0)"
    done >"$BENCH_WORK/$name.sessions"
}

proc_cost() { # PID → "utime+stime cutime+cstime rss_kib voluntary" (clock ticks)
    local stat p=$1
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || { echo "0 0 0 0"; return; }
    stat=${stat##*) }
    set -- $stat
    local vol
    vol=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$p/status" 2>/dev/null)
    echo "$((${12} + ${13})) $((${14} + ${15})) $((${22} * $(getconf PAGESIZE) / 1024)) ${vol:-0}"
}

# Round 1: idlewarden.
bench_log "round 1: idlewarden (idle_timeout ${IDLE_S}s), $K ssh logins"
target=$BENCH_DAEMON_PID
t1=$(now_ms); c1=$(proc_cost "$target")
ssh_round idlewarden
t2=$(now_ms); c2=$(proc_cost "$target")
echo "$t1 $c1 $t2 $c2" >"$BENCH_WORK/idlewarden.cost"
cp "$BENCH_DAEMON_LOG" "$BENCH_WORK/idlewarden.log"
bench_daemon_stop "$BENCH_DAEMON_PID"

# Round 2: autolog.
bench_log "round 2: autolog (idle=1 minute, grace=${AUTOLOG_GRACE}s), $K ssh logins"
printf '%s\n' "# idlewarden benchmark: only the benchmark's users" "nolostkill" \
    "name=iwbench-.* idle=1 grace=$AUTOLOG_GRACE nomail noclear log" >"$BENCH_WORK/autolog.conf"
: >"$BENCH_WORK/autolog.log"
stdbuf -oL -eL autolog -d -f "$BENCH_WORK/autolog.conf" -l "$BENCH_WORK/autolog.log" >"$BENCH_WORK/autolog.out" 2>&1 &
autolog_pid=$!
bench_defer kill "$autolog_pid"
sleep 1
kill -0 "$autolog_pid" 2>/dev/null || { cat "$BENCH_WORK/autolog.out" >&2; bench_die "autolog did not start"; }
target=$autolog_pid
# How autolog waits between its scans: its sleep calls, traced (only those) for the whole round.
strace_pid=
if command -v strace >/dev/null 2>&1; then
    strace -tt -e trace=clock_nanosleep,nanosleep -p "$autolog_pid" -o "$BENCH_WORK/autolog.strace" >/dev/null 2>&1 &
    strace_pid=$!
fi
t1=$(now_ms); c1=$(proc_cost "$target")
ssh_round autolog
t2=$(now_ms); c2=$(proc_cost "$target")
echo "$t1 $c1 $t2 $c2" >"$BENCH_WORK/autolog.cost"
[[ -n $strace_pid ]] && kill "$strace_pid" 2>/dev/null
kill "$autolog_pid" 2>/dev/null
if [[ -n ${BENCH_KEEP:-} ]]; then mkdir -p "$BENCH_KEEP" && cp -r "$BENCH_WORK"/. "$BENCH_KEEP/"; who /run/utmp >"$BENCH_KEEP/who.txt" 2>&1; fi

{
    echo "### idlewarden vs autolog (\`bash Benchmarks/run-autolog.sh\`)"
    echo
    IW_BIN=$IW_DAEMON_BIN bench_machine
    echo "- $K ssh logins (OpenSSH $(ssh -V 2>&1 | cut -d' ' -f1 | cut -d_ -f2), pty, bash) per round, one command typed in each at 2.7 s intervals, then idle;" \
        "limit ${IDLE_S} s for both; idlewarden warn_before 5 s, grace 3 s; autolog $(dpkg-query -W -f '${Version}' autolog 2>/dev/null) idle=1 grace=$AUTOLOG_GRACE"
    echo
    python3 - "$BENCH_WORK" "$IDLE_S" "$(getconf CLK_TCK)" <<'EOF'
import statistics, sys
work, idle, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print("| daemon | ended | lateness per login (s) | median | max | CPU over the round (own + children) | wake-ups (voluntary switches) | RSS |")
print("|---|---|---|---|---|---|---|---|")
for name in ("idlewarden", "autolog"):
    rows = [l.split() for l in open(f"{work}/{name}.sessions")]
    late = [(int(end) - (int(inp) + idle * 1000)) / 1000 for _, inp, end in rows if int(end) > 0]
    t1, own1, kids1, rss1, vol1, t2, own2, kids2, rss2, vol2 = map(int, open(f"{work}/{name}.cost").read().split())
    secs = (t2 - t1) / 1000
    own, kids = (own2 - own1) / hz, (kids2 - kids1) / hz
    each = ", ".join(f"{v:.1f}" for v in late) or "–"
    med = f"{statistics.median(late):.1f}" if late else "–"
    mx = f"{max(late):.1f}" if late else "–"
    print(f"| {name} | {len(late)}/{len(rows)} | {each} | {med} | {mx} | {own:.2f} + {kids:.2f} s in {secs:.0f} s "
          f"({100 * (own + kids) / secs:.2f} % of a core) | {vol2 - vol1} ({(vol2 - vol1) * 60 / secs:.1f}/min) | "
          f"{max(rss1, rss2) / 1024:.1f} MiB |")
EOF
    echo
    [[ -n $strace_pid ]] && wait "$strace_pid" 2>/dev/null
    echo "autolog's sleep calls during round 2 (strace): $(grep -oE 'tv_sec=[0-9]+' "$BENCH_WORK/autolog.strace" 2>/dev/null | sort | uniq -c | awk '{ printf "%s%s x %s s", (n++ ? ", " : ""), $1, substr($2, 8) }')."
    echo "idlewarden audit: $(grep -oE 'event=(open|warn|terminate|close) ' "$BENCH_WORK/idlewarden.log" | sort | uniq -c | awk '{ printf "%s%s %s", (n++ ? ", " : ""), $2, $1 }')."
    echo "autolog log: $(grep -c . "$BENCH_WORK/autolog.log") lines; first: $(head -n 1 "$BENCH_WORK/autolog.log" | cut -c1-120)"
} | bench_emit "$OUT"
