# shellcheck shell=bash
# End-to-end tests of how a session ends and what the daemon holds (issue 14, items 5, 7, 8, 9): as the user the
# daemon polices, on a real sshd (pam_loginuid) with the short test policy of lib.sh (15 s / 5 s / 3 s).
#   - nothing outlives an ended session: respawners, double forks, setsid children, signal ignorers;
#   - a login inside a systemd container on the host is another machine's: never adopted, probed or signalled;
#   - one daemon per state directory: a second one is refused and leaves the first one's sockets alone;
#   - 40,000 open/close pairs leave the daemon's memory where it was after 5,000;
#   - a login name in another case than the account's (a case-insensitive name service) is the account's.
# Helpers local to this file start with iw__e_.

# shellcheck source=lib-roots.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-roots.sh"

# iw__e_attack_scripts — $IW_T/respawn.sh FILE (records each start in FILE, restarts itself with setsid from its
# SIGHUP and SIGTERM traps and exits) and $IW_T/ignore.sh FILE (records its pid, ignores SIGHUP and SIGTERM).
iw__e_attack_scripts() {
    install -d -m 1777 "$IW_T/shared"
    cat >"$IW_T/respawn.sh" <<'EOF'
#!/bin/bash
echo "$$" >>"$1"
trap 'setsid "$0" "$1" </dev/null >/dev/null 2>&1 & exit 0' HUP TERM
while :; do sleep 1 & wait $!; done
EOF
    cat >"$IW_T/ignore.sh" <<'EOF'
#!/bin/bash
echo "$$" >"$1"
trap '' HUP TERM
while :; do sleep 1; done
EOF
    chmod 0755 "$IW_T/respawn.sh" "$IW_T/ignore.sh"
}

iw__e_has_proc() { pgrep -u "$1" -f -- "$2" >/dev/null; } # USER ERE

# ---------------------------------------------------------------------------------------------------------------

# Nothing outlives an ended session. In an idle ssh session the user starts a program that restarts itself with
# setsid from its SIGHUP and SIGTERM traps, a double-forked job (its parent exits at once: init adopts it), a
# setsid child and a job that ignores SIGHUP and SIGTERM, then goes idle. The session is warned and ended on
# time; the respawner did restart itself (the attack ran), the terminate line counts what was found after the
# first listing, and 30 s after event=terminate no process of the user is left.
test_ending_respawners_leave_nothing_behind() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__e_attack_scripts
    iw_own_ssh_setup
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "the ssh session is not in status"
    local id
    id=$(iw_sessions_of "$a" | cut -f1)
    iw_tmux_type s1 "setsid $IW_T/respawn.sh $IW_T/shared/respawns </dev/null >/dev/null 2>&1 &"
    iw_tmux_type s1 '( ( exec sleep 1001 </dev/null >/dev/null 2>&1 & ) & )'
    iw_tmux_type s1 'setsid sleep 1002 </dev/null >/dev/null 2>&1 &'
    iw_tmux_type s1 "nohup $IW_T/ignore.sh $IW_T/shared/ignorer >/dev/null 2>&1 &"
    iw_tmux_type s1 'sleep 1; echo iwstarted-$((6 * 7))'
    iw_tmux_wait_text s1 'iwstarted-42' 15 || iw_fail "the jobs did not start: $(iw__pane_tail s1)"
    iw__set_last_input s1 "$(iw_now_ms)"
    local what
    for what in 'respawn\.sh' '^sleep 1001' '^sleep 1002' 'ignore\.sh'; do
        iw_wait_until 10 iw__e_has_proc "$a" "$what" || iw_fail "no process $what of $a: $(iw_user_procs "$a")"
    done
    iw_log "processes of $a before the end: $(iw_user_procs "$a" | tr '\n' '|')"
    [[ $(ps -o ppid= -p "$(pgrep -u "$a" -f '^sleep 1001' | head -n1)" | tr -d ' ') == 1 ]] ||
        iw_fail "the double-forked sleep is not a child of init: $(ps -o pid,ppid,args -u "$a")"
    iw_ok "respawner, double fork (adopted by init), setsid child and signal ignorer are running"

    iw_expect_logout s1 yes
    iw_audit_wait 20 "$(iw_kv event terminate)" "$(iw_kv session "$id")" ||
        iw_fail "no terminate line for session $id: $(iw_audit | tail -n 5)"
    local ended line
    ended=$(iw_now_ms)
    line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | tail -n1)
    iw_log "audit: $line"
    local starts
    starts=$(grep -c . "$IW_T/shared/respawns")
    ((starts >= 2)) || iw_fail "the respawner never restarted itself ($starts start): the attack did not run"
    iw_ok "the respawner restarted itself $((starts - 1)) time(s) from its traps"
    [[ $(iw_audit_field "$line" found_later) =~ ^[1-9][0-9]*$ ]] ||
        iw_fail "the terminate line counts no process found after the first listing: $line"
    [[ $(iw_audit_field "$line" ended_by) == *KILL* ]] || iw_fail "nothing was killed (the ignorer must be): $line"
    iw_wait_until 10 iw_no_user_procs "$a" || iw_fail "processes of $a left 10 s after the end: $(iw_user_procs "$a")"
    iw_sleep_until $((ended + 30000))
    iw_no_user_procs "$a" || iw_fail "processes of $a left 30 s after the end: $(iw_user_procs "$a")"
    iw_ok "30 s after event=terminate nothing of $a is left (found_later=$(iw_audit_field "$line" found_later), ended_by=$(iw_audit_field "$line" ended_by))"
    iw_check "daemon still running" iw_daemon_alive
}

# A login inside a booted systemd container on the host (systemd-nspawn -b, the container's own sshd, its user
# with a uid that a host user has too, as the issue saw it) is another machine's. A host daemon started while that
# login is idle does not adopt it, never names it in an audit line, and never warns or ends it, although it warns
# and ends an idle host login of the host user with the same uid meanwhile. A session datagram sent to the host's
# session socket from the container's PID namespace is refused.
# iw: root
# iw: long
# iw: timeout 600
test_ending_container_login_is_never_adopted_or_touched() {
    iw_ct_boot
    local c=iwtest-$IW_ID-c h=iwtest-$IW_ID-h uid
    # The host user first, as any other (a uid from the host's own range: host users never get the container
    # range, lib-roots.sh), then the container's user with the same uid.
    iw_mkuser "$h"
    uid=$(id -u "$h")
    iw_ct useradd -m -s /bin/bash -u "$uid" "$c" || iw_fail "useradd -u $uid $c in the container"
    iw_ct install -d -m 0700 -o "$c" -g "$c" "/home/$c/.ssh" || iw_fail "mkdir ~$c/.ssh in the container"
    iw_ct sh -c 'cat >"$1" && chown "$2:$2" "$1" && chmod 0600 "$1"' sh "/home/$c/.ssh/authorized_keys" "$c" \
        <"$IW_T/client_key.pub" || iw_fail "authorized_keys of $c in the container"
    iw_log "host user $h and container user $c share uid $uid"

    # The container login first, then left idle.
    IW_SSH_PORT=$IW_CT_SSH_PORT iw_tmux_new ct "$(IW_SSH_PORT=$IW_CT_SSH_PORT iw_ssh_cmd "$c")"
    iw_wait_as ct "$c"
    local shell shell_start sshd_pids
    shell=$(pgrep -u "$uid" -x bash | head -n1)
    [[ -n $shell ]] || iw_fail "no shell of uid $uid on the host's /proc"
    shell_start=$(iw_proc_start "$shell")
    [[ $(readlink "/proc/$shell/ns/pid") != "$(readlink /proc/self/ns/pid)" ]] ||
        iw_fail "the container's shell $shell is in the host's PID namespace"
    sshd_pids=$(pgrep -u "$uid" -x sshd | tr '\n' ' ')
    iw_log "container login: shell host pid $shell ($(ps -o tty=,args= -p "$shell")), its sshd $sshd_pids"

    # Then the host daemon (adopting live logins at start) and a host login of the same uid.
    iw_own_config
    iw_own_daemon_start
    iw_sshd_start
    iw_tmux_new host "$(iw_ssh_cmd "$h")"
    iw_wait_as host "$h"
    iw_tmux_mark host
    local t0
    t0=$(iw_now_ms)
    iw_expect_logout host yes
    iw_ok "the host login of uid $uid was warned and ended meanwhile"

    # A session datagram from a process in the container's PID namespace (through the host's socket).
    # (In the host's mount namespace: its /proc is the host's, so pid, start time and sid are given.)
    nsenter -t "$IW_CT_PID" -p -- "$IW_PY" -c "$IW_PY_DGRAM" "$IW_SESSION_SOCK" open pid=1 start=1 sid=1 uid=0 \
        user="$h" service=sshd tty=ssh linger=5 ||
        iw_fail "could not send from the container's PID namespace"
    iw_audit_wait 10 "$(iw_kv event reject)" "$(iw_kv reason foreign-pid-namespace)" ||
        iw_fail "no 'event=reject reason=foreign-pid-namespace': $(iw_audit | tail -n 3)"
    iw_ok "refused: $(iw_audit "$(iw_kv reason foreign-pid-namespace)" | tail -n1)"

    # The container's login: idle well past its limit and the end's grace periods since the daemon started.
    iw_sleep_until $((t0 + (IW_IDLE + IW_MAX_LATE + 2 * IW_GRACE + 5) * 1000))
    iw_check "the container login is still connected" iw_tmux_is_alive ct
    iw_check "its shell runs (same pid and start time)" iw_same_proc "$shell" "$shell_start"
    iw_tmux_has_text ct 'Press any key' && iw_fail "the container login was warned: $(iw__pane_tail ct)"
    iw_tmux_has_farewell ct && iw_fail "the container login got a farewell"
    local p
    for p in $shell $sshd_pids; do
        iw_audit | grep -E "(^|[[:space:]])(pid|sender_pid)=$p([[:space:]]|$)" &&
            iw_fail "an audit line names the container's process $p"
    done
    iw_audit "$(iw_kv event adopt)" | grep -q . && iw_fail "something was adopted: $(iw_audit "$(iw_kv event adopt)")"
    [[ $(iw_session_count "$h") == 0 ]] || iw_fail "status lists a session of uid $uid: $(iw_sessions_of "$h")"
    iw_ok "the container login was not adopted, named, warned or ended"
    iw_wait_as ct "$c"
}

# On a host with systemd-logind (a booted systemd container, the daemon and the module of this build run inside
# it), an idle ssh login through pam_systemd is ended through its scope: the same respawner, double fork and
# signal ignorer as above are gone, the scope was frozen before SIGKILL (members=scope, frozen=scope), and
# logind's session closes (the login process, in the same scope, was thawed and closed it).
# iw: root
# iw: long
# iw: timeout 600
test_ending_logind_scope_is_frozen_and_emptied() {
    iw_ct_boot
    local c=iwtest-$IW_ID-c dir=/run/iwtest-$IW_ID log=$IW_TLOG/container-daemon.log
    iw_ct_mkuser "$c"
    iw_ct install -d -m 0755 "$dir" || iw_fail "mkdir $dir in the container"
    {
        echo 'allow_short_timeouts = true'
        echo "idle_timeout = \"${IW_IDLE}s\""
        echo "warn_before = \"${IW_WARN}s\""
        echo "grace = \"${IW_GRACE}s\""
        printf 'exclude_users = [%s]\n' "$(iw_ct getent passwd | cut -d: -f1 | grep -vx "$c" | sed 's/.*/"&"/' | paste -sd,)"
    } >"$IW_CT/etc/iwtest-$IW_ID.conf"
    cp "$IW_CT/etc/iwtest-$IW_ID.conf" "$IW_TLOG/container-idlewarden.conf"
    printf '%s\n' "session optional $IW_SO socket=$dir/session.sock debug" >>"$IW_CT/etc/pam.d/sshd"
    iw__e_attack_scripts
    install -m 0755 "$IW_T/respawn.sh" "$IW_CT/usr/local/bin/iwtest-respawn"
    install -m 0755 "$IW_T/ignore.sh" "$IW_CT/usr/local/bin/iwtest-ignore"
    iw_ct install -d -m 1777 /var/tmp/iwtest || iw_fail "mkdir /var/tmp/iwtest in the container"
    iw_ct "$IW_BIN" daemon --config "/etc/iwtest-$IW_ID.conf" --socket "$dir/control.sock" \
        --state-dir "/var/lib/iwtest-$IW_ID" </dev/null >>"$log" 2>&1 &
    IW__E_CT_DAEMON=$!
    iw_defer iw__e_ct_daemon_stop
    iw_wait_until 20 iw_ct "$IW_BIN" status --socket "$dir/control.sock" >/dev/null 2>&1 ||
        iw_fail "the daemon in the container does not answer: $(tail -n 5 "$log")"
    iw_ok "daemon of this build runs in the container (logind: $(iw_ct systemctl is-active systemd-logind))"

    IW_SSH_PORT=$IW_CT_SSH_PORT iw_tmux_new ct "$(IW_SSH_PORT=$IW_CT_SSH_PORT iw_ssh_cmd "$c")"
    iw_wait_as ct "$c"
    iw_tmux_type ct 'cat /proc/self/cgroup | grep -m1 -o "session-[^/]*scope"; echo iwscope-$((6 * 7))'
    iw_tmux_wait_text ct 'iwscope-42' 10 || iw_fail "the shell did not answer"
    local scope
    scope=$(iw_tmux_capture ct | grep -oE '^session-[^ ]*\.scope' | tail -n1)
    [[ -n $scope ]] || iw_fail "the login is in no logind scope: $(iw__pane_tail ct)"
    iw_ok "the ssh login is in $scope"
    iw_tmux_type ct "setsid iwtest-respawn /var/tmp/iwtest/respawns </dev/null >/dev/null 2>&1 &"
    iw_tmux_type ct '( ( exec sleep 1001 </dev/null >/dev/null 2>&1 & ) & )'
    iw_tmux_type ct "nohup iwtest-ignore /var/tmp/iwtest/ignorer >/dev/null 2>&1 &"
    iw_tmux_type ct 'sleep 1; echo iwstarted-$((6 * 7))'
    iw_tmux_wait_text ct 'iwstarted-42' 15 || iw_fail "the jobs did not start: $(iw__pane_tail ct)"
    iw__set_last_input ct "$(iw_now_ms)"
    iw_log "processes of $c: $(iw_ct ps -o pid,ppid,sid,args -u "$c" | tr '\n' '|')"
    iw_expect_logout ct yes
    iw_wait_until 20 grep -q "event=terminate .*user=$c" "$log" || iw_fail "no terminate line: $(tail -n 5 "$log")"
    local line
    line=$(grep "event=terminate .*user=$c" "$log" | tail -n1)
    iw_log "audit: ${line#*event=}"
    [[ $(iw_audit_field "$line" members) == scope ]] || iw_fail "the end did not list the scope: $line"
    [[ $(iw_audit_field "$line" scope) == */"$scope" ]] || iw_fail "the end's scope is not $scope: $line"
    [[ $(iw_audit_field "$line" frozen) == scope ]] || iw_fail "the scope was not frozen before SIGKILL: $line"
    [[ $(iw_audit_field "$line" ended_by) == *KILL* ]] || iw_fail "nothing was killed: $line"
    iw_wait_until 10 iw__e_ct_no_procs "$c" || iw_fail "processes of $c left: $(iw_ct ps -o pid,args -u "$c")"
    sleep 10
    iw__e_ct_no_procs "$c" || iw_fail "processes of $c left 10 s later: $(iw_ct ps -o pid,args -u "$c")"
    iw_ok "nothing of $c is left in the container"
    iw_wait_until 15 iw__e_ct_no_session "$c" ||
        iw_fail "logind still lists a session of $c: $(iw_ct loginctl list-sessions --no-legend | tr '\n' '|')"
    iw_ok "logind's session of $c closed (its login process was thawed and closed the PAM session)"
    grep -q "event=close .*user=$c.*reason=pam-close" "$log" || iw_fail "no event=close reason=pam-close: $(tail -n 3 "$log")"
}
iw__e_ct_no_procs() { ! iw_ct pgrep -u "$1" >/dev/null; }
iw__e_ct_no_session() { ! iw_ct loginctl list-sessions --no-legend | awk '{ print $3 }' | grep -qx "$1"; }
iw__e_ct_daemon_stop() {
    [[ -n ${IW__E_CT_DAEMON:-} ]] || return 0
    iw_ct pkill -TERM -f "^$IW_BIN daemon --config /etc/iwtest-$IW_ID.conf" 2>/dev/null
    iw_wait_until 5 iw__not_alive "$IW__E_CT_DAEMON" || kill -KILL "$IW__E_CT_DAEMON" 2>/dev/null
    wait "$IW__E_CT_DAEMON" 2>/dev/null
    IW__E_CT_DAEMON=
}

# One daemon per state directory. A second `idlewarden daemon` on the same paths (an admin trying it by hand)
# exits 75 and names the running daemon; one on the same sockets with another state directory exits 71 (the
# sockets are in use). Neither takes or removes the first one's sockets: the first still answers status,
# registers and closes a login, and removes its own sockets when it stops.
test_ending_second_daemon_is_refused_first_keeps_working() {
    local a=iwtest-$IW_ID-a service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_own_config
    iw_own_daemon_start
    local control session second rc
    control=$(stat -c %i "$IW_SOCK")
    session=$(stat -c %i "$IW_SESSION_SOCK")
    "$IW_BIN" daemon --config "$IW_CONFIG" --socket "$IW_SOCK" --state-dir "$IW_T/state" \
        </dev/null >"$IW_TLOG/second-daemon.log" 2>&1 &
    second=$!
    iw_wait_until 20 iw__not_alive "$second" || { kill -KILL "$second"; iw_fail "the second daemon did not stop by itself"; }
    wait "$second"
    rc=$?
    [[ $rc == 75 ]] || iw_fail "the second daemon exited $rc, expected 75: $(cat "$IW_TLOG/second-daemon.log")"
    grep -q "another idlewarden daemon (pid $IW_DAEMON_PID) runs on this state directory" "$IW_TLOG/second-daemon.log" ||
        iw_fail "its error does not name the running daemon: $(cat "$IW_TLOG/second-daemon.log")"
    iw_syslog_wait 10 "idlewarden\\[$second\\]: " "$(iw_kv event start-failed)" "$(iw_kv reason already-running)" "$(iw_kv exit 75)" ||
        iw_fail "no event=start-failed reason=already-running line of the second daemon"
    iw_ok "second daemon on the same paths: exit 75, $(grep -o 'another idlewarden daemon.*' "$IW_TLOG/second-daemon.log" | head -n1)"

    install -d -m 0700 "$IW_T/state2"
    "$IW_BIN" daemon --config "$IW_CONFIG" --socket "$IW_SOCK" --state-dir "$IW_T/state2" \
        </dev/null >"$IW_TLOG/third-daemon.log" 2>&1 &
    second=$!
    iw_wait_until 20 iw__not_alive "$second" || { kill -KILL "$second"; iw_fail "the third daemon did not stop by itself"; }
    wait "$second"
    rc=$?
    [[ $rc == 71 ]] || iw_fail "the daemon with another state directory exited $rc, expected 71: $(cat "$IW_TLOG/third-daemon.log")"
    grep -q "is in use by another running daemon" "$IW_TLOG/third-daemon.log" ||
        iw_fail "its error does not say the socket is in use: $(cat "$IW_TLOG/third-daemon.log")"
    iw_ok "second daemon on the same sockets, another state directory: exit 71, socket in use"

    [[ $(stat -c %i "$IW_SOCK") == "$control" && $(stat -c %i "$IW_SESSION_SOCK") == "$session" ]] ||
        iw_fail "the running daemon's sockets were replaced"
    iw_check "the first daemon answers status" iw_status
    iw_pamtester_service "$service"
    iw_pamtester_hold one "$service" "$a"
    iw_wait_sessions 1 10 "$a" || iw_fail "the first daemon did not register the login: $(iw_status --json)"
    iw_pamtester_release one || iw_fail "pamtester failed"
    iw_wait_sessions 0 10 "$a" || iw_fail "the first daemon did not close the login"
    iw_ok "the first daemon registered and closed a login after both refusals"
    iw_daemon_stop
    [[ ! -e $IW_SOCK && ! -e $IW_SESSION_SOCK ]] || iw_fail "the first daemon left its sockets behind when it stopped"
    iw_ok "the first daemon removed its own sockets when it stopped"
}

# A daemon that runs for months holds nothing per past login. Four processes log in and out through PAM in a
# loop (Benchmarks/module/pam_loop.c: pam_start, pam_open_session, pam_close_session, pam_end through the built
# module) 40,000 times in all; the daemon's resident memory (VmRSS) after the last is within 1 MiB of what it was
# after the first 5,000.
# iw: serial
# iw: timeout 900
test_ending_memory_flat_over_40000_logins() {
    local a=iwtest-$IW_ID-a service=idlewarden-test-churn-$IW_ID
    iw_mkuser "$a"
    gcc -O2 -Wall -o "$IW_T/pam_loop" "$IW_ROOT/Benchmarks/module/pam_loop.c" -lpam || iw_fail "cannot compile pam_loop.c"
    iw_own_config
    iw_own_daemon_start
    # No `debug`: 80,000 module lines in syslog would measure rsyslog, not the daemon.
    iw_pam_service "$service" "session required pam_permit.so" "session optional $IW_SO socket=$IW_SESSION_SOCK"
    local rss_5k rss_40k opened
    iw__e_churn "$a" "$service" 1250
    rss_5k=$(iw__e_rss)
    opened=$(iw_audit_count "$(iw_kv event open)" "$(iw_kv user "$a")")
    iw_log "after 5,000 open/close pairs: VmRSS $rss_5k KiB, $opened opens registered"
    iw__e_churn "$a" "$service" 8750
    rss_40k=$(iw__e_rss)
    opened=$(iw_audit_count "$(iw_kv event open)" "$(iw_kv user "$a")")
    iw_log "after 40,000 open/close pairs: VmRSS $rss_40k KiB, $opened opens registered"
    iw_measure "memory rss_5k_kib=$rss_5k rss_40k_kib=$rss_40k growth_kib=$((rss_40k - rss_5k)) opens_registered=$opened"
    ((opened >= 20000)) || iw_fail "only $opened of 40,000 opens reached the daemon: the test did not load it"
    ((rss_40k - rss_5k <= 1024)) || iw_fail "VmRSS grew by $((rss_40k - rss_5k)) KiB from 5,000 to 40,000 logins (bound 1024)"
    iw_ok "VmRSS $rss_5k KiB after 5,000 logins, $rss_40k KiB after 40,000 ($((rss_40k - rss_5k)) KiB)"
    [[ $(iw_session_count "$a") == 0 ]] || iw_fail "sessions of $a are still registered: $(iw_sessions_of "$a" | head -n 3)"
    iw_check "daemon still running" iw_daemon_alive
}

# iw__e_churn USER SERVICE N — four pam_loop processes, N open/close pairs each; returns once the daemon has
# handled them (no session of USER left, its CPU time still for a second).
iw__e_churn() {
    local user=$1 service=$2 n=$3 i pids=()
    for i in 1 2 3 4; do
        "$IW_T/pam_loop" "$user" 2 $((n / 2)) 500 "$service" >>"$IW_TLOG/pam_loop-$i.log" 2>&1 &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || iw_fail "pam_loop failed: $(tail -n 3 "$IW_TLOG"/pam_loop-*.log)"; done
    iw_wait_until 60 iw__count_is 0 "$user" || iw_fail "sessions of $user are still registered after the loop"
    iw_wait_until 60 iw__e_daemon_still || iw_fail "the daemon did not settle after the loop"
}
iw__e_cpu() { awk '{ print $14 + $15 }' "/proc/$IW_DAEMON_PID/stat"; }
iw__e_daemon_still() { local c; c=$(iw__e_cpu); sleep 1; [[ $(iw__e_cpu) == "$c" ]]; }
iw__e_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$IW_DAEMON_PID/status"; }

# A login name in another case than the account's: with a name service that matches names whatever their case
# (as sssd and LDAP do; here a small NSS module, tests/e2e/nss_iwtestfold.c, loaded in a mount namespace of the
# daemon's own), a PAM session opened for IWTEST-ID-A is the account iwtest-ID-a's: a `users` rule for
# iwtest-ID-a applies to it (its idle_timeout), and status and the audit name the account (the audit keeps the
# name as typed in pam_user=).
test_ending_upper_case_login_matches_users_rule() {
    local a=iwtest-$IW_ID-a service=idlewarden-test-pam-$IW_ID upper nss=iwtest$IW_ID
    upper=$(tr '[:lower:]' '[:upper:]' <<<"$a")
    iw_mkuser "$a"
    getent passwd "$upper" >/dev/null && iw_fail "the host's own name service already folds case"
    install -d -m 0755 "$IW_T/nss"
    gcc -O2 -Wall -shared -fPIC -DIW_NSS_GETPWNAM="_nss_${nss}_getpwnam_r" -o "$IW_T/nss/libnss_$nss.so.2" \
        "$IW_ROOT/tests/e2e/nss_iwtestfold.c" || iw_fail "cannot build the NSS module"
    sed -E "s/^(passwd:.*)$/\\1 $nss/" /etc/nsswitch.conf >"$IW_T/nsswitch.conf"
    grep -qE "^passwd:.* $nss$" "$IW_T/nsswitch.conf" || iw_fail "no passwd line in /etc/nsswitch.conf"
    cp "$IW_T/nsswitch.conf" "$IW_TLOG/nsswitch.conf"
    # idlewarden as the test runs it: its daemon in a mount namespace where /etc/nsswitch.conf names the module.
    cat >"$IW_T/idlewarden-nss" <<'EOF'
#!/bin/sh
# idlewarden for tests/e2e/ending.sh: `daemon` (and `getent`, to check) see user names through NSS_CONF
case "$1" in
    daemon) set -- IW_BIN "$@" ;;
    getent) shift; set -- /usr/bin/getent "$@" ;;
    *) exec IW_BIN "$@" ;;
esac
exec unshare --mount --propagation private -- sh -c 'mount --bind "$0" /etc/nsswitch.conf || exit 71; exec "$@"' \
    NSS_CONF env LD_LIBRARY_PATH=NSS_DIR "$@"
EOF
    sed -i "s|IW_BIN|$IW_BIN|g; s|NSS_CONF|$IW_T/nsswitch.conf|g; s|NSS_DIR|$IW_T/nss|g" "$IW_T/idlewarden-nss"
    chmod 0755 "$IW_T/idlewarden-nss"
    [[ $("$IW_T/idlewarden-nss" getent passwd "$upper" | cut -d: -f1) == "$a" ]] ||
        iw_fail "the folding name service does not find $a for $upper: $("$IW_T/idlewarden-nss" getent passwd "$upper" 2>&1)"
    iw_ok "in the daemon's mount namespace, getpwnam($upper) is the account $a"

    local IW_BIN=$IW_T/idlewarden-nss
    iw_own_config '[[rule]]' 'name = "case-folded"' "users = [\"$a\"]" 'idle_timeout = "7m"'
    iw_own_daemon_start
    iw_pamtester_service "$service"
    iw_pamtester_hold one "$service" "$upper"
    iw_wait_sessions 1 10 "$a" || iw_fail "status lists no session of $a: $(iw_status --json)"
    [[ $(iw_session_count "$upper") == 0 ]] || iw_fail "status names the session $upper, not $a"
    local line
    iw_audit_wait 10 "$(iw_kv event open)" "$(iw_kv user "$a")" || iw_fail "no event=open user=$a: $(iw_audit | tail -n 3)"
    line=$(iw_audit "$(iw_kv event open)" "$(iw_kv user "$a")" | tail -n1)
    iw_log "audit: $line"
    [[ $(iw_audit_field "$line" pam_user) == "$upper" ]] || iw_fail "the open line does not keep pam_user=$upper: $line"
    [[ $(iw_audit_field "$line" idle_timeout) == 7m ]] || iw_fail "the rule for $a did not apply (idle_timeout): $line"
    iw_ok "the login as $upper is $a's session, under the rule for $a (idle_timeout=7m)"
    iw_pamtester_release one || iw_fail "pamtester failed"
    iw_wait_sessions 0 10 "$a" || iw_fail "the session was not closed"
}
