# shellcheck shell=bash
# End-to-end tests of idle enforcement (issue 5): real ssh/login/su sessions held in tmux, real users and groups,
# the built module in pam.d, the daemon with idle_timeout 15 s, warn_before 5 s, grace 3 s (lib.sh: IW_IDLE...).
# Timing bounds are generous (IW_MAX_LATE); the measured lateness of every logout is printed by tests/run.sh.

# Start the daemon (with extra config lines) and the test sshd.
iw__ssh_setup() {
    iw_config "$@"
    iw_daemon_start
    iw_sshd_start
}

# iw__expect_terminated ID USER — terminate (reason=idle, idle=N >= idle_timeout - 1) and close audit lines.
iw__expect_terminated() {
    local id=$1 user=$2 line idle
    iw_audit_wait 15 "$(iw_kv event terminate)" "$(iw_kv session "$id")" "$(iw_kv user "$user")" "$(iw_kv reason idle)" ||
        iw_fail "no 'event=terminate session=$id user=$user reason=idle' audit line: $(iw_audit | tail -n 5)"
    line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | tail -n1)
    idle=$(iw_audit_field "$line" idle)
    [[ $idle =~ ^[0-9]+(\.[0-9]+)?$ ]] || iw_fail "terminate line has no numeric idle=: $line"
    ((${idle%.*} >= IW_IDLE - 1)) || iw_fail "terminate says idle=$idle, less than idle_timeout $IW_IDLE: $line"
    iw_ok "audited: $line"
    iw_audit_wait 15 "$(iw_kv event close)" "$(iw_kv session "$id")" "$(iw_kv user "$user")" ||
        iw_fail "no 'event=close session=$id user=$user' audit line: $(iw_audit | tail -n 5)"
    iw_ok "audited: $(iw_audit "$(iw_kv event close)" "$(iw_kv session "$id")" | tail -n1)"
}

iw__no_terminate_for() { # ID USER
    if iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$1")" "$(iw_kv user "$2")" | grep -q .; then
        iw_fail "session $1 of $2 was terminated: $(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$1")")"
    fi
}

iw__wait_user_gone() { # USER
    iw_wait_until 20 iw_no_user_procs "$1" || iw_fail "processes of $1 remain after the logout: $(iw_user_procs "$1")"
    iw_ok "no process of $1 remains"
}

# ---------------------------------------------------------------------------------------------------------------

# An idle `ssh -tt` session is warned ("Press any key"; status says warned); a key press answers the warning
# (event=activity, active again); left idle again it is warned and logged out (farewell, disconnect) within the
# bounds; warn, terminate (reason=idle idle=N) and close are audited; no process of the user remains.
test_enforce_idle_ssh_is_warned_then_logged_out() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__ssh_setup
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "the ssh session is not in status"
    local id line
    id=$(iw_sessions_of "$a" | cut -f1)
    iw_log "session $id: $(iw_sessions_of "$a")"

    # 1. Warned; status says so; a key press keeps the session.
    local t0 warned
    t0=$(iw_last_input s1)
    iw_tmux_wait_text s1 'Press any key' $((IW_IDLE + IW_MAX_LATE)) || iw_fail "no warning within $((IW_IDLE + IW_MAX_LATE)) s"
    warned=$(iw_now_ms)
    iw_measure "pane=s1 first_warning_after_s=$(iw_secs $((warned - t0)))"
    ((warned - t0 >= (IW_IDLE - IW_WARN - 1) * 1000)) || iw_fail "warned $(iw_secs $((warned - t0))) s after the last input"
    line=$(iw_sessions_of "$a")
    iw_log "status while warned: $line"
    [[ $(cut -f8 <<<"$line") == warned ]] || iw_fail "status says $(cut -f8 <<<"$line") during the warning, expected warned"
    [[ $(cut -f12 <<<"$line") =~ ^[0-9]+$ ]] || iw_fail "status gives no next_deadline during the warning"
    iw_ok "warned after $(iw_secs $((warned - t0))) s; status: warned, next deadline $(cut -f12 <<<"$line")"
    iw_tmux_keys s1 Space BSpace
    iw__set_last_input s1 "$(iw_now_ms)"
    iw_audit_wait 15 "$(iw_kv event activity)" "$(iw_kv session "$id")" ||
        iw_fail "no 'event=activity session=$id' audit line after a key press answered the warning: $(iw_audit | tail -n 3)"
    iw_ok "audited: $(iw_audit "$(iw_kv event activity)" | tail -n1)"
    iw_check "the session survived the warning" iw_tmux_is_alive s1
    iw_wait_until 10 iw__state_is "$a" active || iw_fail "status does not say active after the key press: $(iw_sessions_of "$a")"
    iw_ok "status: active again"

    # 2. Idle again: warned again, then logged out.
    iw_expect_logout s1 yes
    [[ $(iw_audit_count "$(iw_kv event warn)" "$(iw_kv session "$id")" "$(iw_kv user "$a")") -ge 2 ]] ||
        iw_fail "expected two 'event=warn session=$id' audit lines: $(iw_audit "$(iw_kv event warn)")"
    iw_ok "audited: $(iw_audit "$(iw_kv event warn)" | tail -n1)"
    iw__expect_terminated "$id" "$a"
    iw__wait_user_gone "$a"
    iw_wait_sessions 0 10 "$a" || iw_fail "the session is still in status: $(iw_status --json)"
    iw_check "daemon still running" iw_daemon_alive
}
iw__state_is() { [[ $(iw_sessions_of "$1" | cut -f8) == "$2" ]]; }

# Two ssh sessions of one user: the one with a key pressed every 4 s survives well past idle_timeout (40 s) and
# shows as active in status; the idle one is logged out. Only the idle one is terminated.
test_enforce_typing_keeps_session_alive_idle_sibling_ends() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__ssh_setup
    iw_tmux_new busy "$(iw_ssh_cmd "$a")"
    iw_tmux_new idle "$(iw_ssh_cmd "$a")"
    iw_tmux_mark busy
    iw_tmux_mark idle
    local tty_busy tty_idle
    tty_busy=$(iw_tmux_tty busy)
    tty_idle=$(iw_tmux_tty idle)
    iw_log "busy pane on $tty_busy, idle pane on $tty_idle"
    iw_wait_sessions 2 10 "$a" || iw_fail "status does not list two sessions of $a: $(iw_status --json)"
    local start
    start=$(iw_now_ms)

    iw_keep_typing 40 busy &
    local typer=$!
    iw_expect_logout idle yes
    wait "$typer" || iw_fail "the busy session did not survive 40 s of typing"
    iw_ok "the busy session survived $(iw_secs $(($(iw_now_ms) - start))) s with a key every ${IW_TYPE_INTERVAL} s"
    iw_check "busy pane still connected" iw_tmux_is_alive busy
    iw_tmux_has_farewell busy && iw_fail "the busy pane received a farewell"

    iw_wait_sessions 1 10 "$a" || iw_fail "status should list only the busy session: $(iw_status --json)"
    local line id state
    line=$(iw_sessions_of "$a")
    iw_log "status: $line"
    id=$(cut -f1 <<<"$line")
    state=$(cut -f8 <<<"$line")
    [[ $state == active || $state == warned ]] || iw_fail "the busy session's state is $state"
    [[ ",$(cut -f10 <<<"$line")," == *",$tty_busy,"* ]] || iw_fail "status terminals of the busy session lack $tty_busy"
    iw__no_terminate_for "$id" "$a"
    [[ $(iw_audit_count "$(iw_kv event terminate)" "$(iw_kv user "$a")") == 1 ]] ||
        iw_fail "expected exactly one terminate for $a: $(iw_audit "$(iw_kv event terminate)")"
    iw_ok "only the idle session was terminated; the busy one ($id) is $state on $tty_busy"
    iw_tmux_mark busy # the shell still answers
}

# A session whose program only writes output (a loop printing the date) is still ended: output is not input.
# A process of the same user started outside the session (runuser + setsid) is not signalled and survives.
test_enforce_output_only_session_is_ended_outside_process_untouched() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_recorder
    iw__ssh_setup
    runuser -u "$a" -- setsid "$IW_T/recorder.sh" "$IW_T/shared/outside" </dev/null >/dev/null 2>&1 &
    iw_wait_until 10 test -s "$IW_T/shared/outside.child" || iw_fail "the outside process did not start"
    local opid ostart cpid cstart
    opid=$(cat "$IW_T/shared/outside.pid")
    cpid=$(cat "$IW_T/shared/outside.child")
    ostart=$(iw_proc_start "$opid")
    cstart=$(iw_proc_start "$cpid")
    iw_log "outside process $opid (sid $(ps -o sid= -p "$opid")), child $cpid"

    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "the ssh session is not in status"
    local id
    id=$(iw_sessions_of "$a" | cut -f1)
    iw__set_last_input s1 "$(iw_now_ms)"
    iw_tmux_type s1 'while :; do date; sleep 1; done'
    iw_tmux_wait_text s1 '[0-9]{2}:[0-9]{2}:[0-9]{2}' 10 || iw_fail "the date loop prints nothing"
    iw_expect_logout s1 yes
    local dates
    dates=$(iw_tmux_capture s1 | grep -cE '[0-9]{2}:[0-9]{2}:[0-9]{2} ')
    ((dates >= IW_IDLE)) || iw_fail "the loop printed only $dates lines before the logout"
    iw_ok "the output-only session was ended after printing $dates lines"
    iw__expect_terminated "$id" "$a"

    sleep $((IW_GRACE * 2 + 2)) # past the SIGTERM and SIGKILL steps
    iw_check "the outside process is alive (same pid and start time)" iw_same_proc "$opid" "$ostart"
    iw_check "its child is alive" iw_same_proc "$cpid" "$cstart"
    [[ ! -s $IW_T/shared/outside.sig ]] || iw_fail "the outside process got signals: $(cat "$IW_T/shared/outside.sig")"
    iw_ok "the outside process got no signal"
    local others
    others=$(iw_user_procs "$a" | awk -v s="$opid" '$4 != s')
    [[ -z $others ]] || iw_fail "processes of the ended session remain: $others"
    iw_ok "nothing of the ended session remains"
}

# A user in an excluded group (supplementary) is never warned or ended and shows as exempt in status, while
# a user outside the group, idle on the same sshd, is logged out.
test_enforce_excluded_group_is_exempt() {
    local g=iwtest-$IW_ID-x e=iwtest-$IW_ID-e c=iwtest-$IW_ID-c
    iw_mkgroup "$g"
    iw_mkuser "$e" "$g"
    iw_mkuser "$c"
    iw__ssh_setup "exclude_groups = [\"$g\"]"
    iw_tmux_new exempt "$(iw_ssh_cmd "$e")"
    iw_tmux_new control "$(iw_ssh_cmd "$c")"
    iw_tmux_mark exempt
    iw_tmux_mark control
    iw_wait_sessions 1 10 "$e" || iw_fail "the exempt user's session is not in status"
    local id
    id=$(iw_sessions_of "$e" | cut -f1)
    iw_expect_logout control yes
    # Leave the exempt session idle well past the point where it would have been ended.
    iw_sleep_until $(($(iw_last_input exempt) + (IW_IDLE + IW_MAX_LATE) * 1000))
    iw_check "the exempt session is still connected" iw_tmux_is_alive exempt
    iw_tmux_has_text exempt 'Press any key' && iw_fail "the exempt session was warned"
    iw_tmux_has_farewell exempt && iw_fail "the exempt session got a farewell"
    local line state reason
    line=$(iw_sessions_of "$e")
    iw_log "status: $line"
    state=$(cut -f8 <<<"$line")
    reason=$(cut -f9 <<<"$line")
    [[ $state == exempt ]] || iw_fail "status says $state for $e, expected exempt"
    [[ $reason != - ]] || iw_fail "status gives no exempt_reason"
    iw_audit_wait 5 "$(iw_kv event exempt)" "$(iw_kv session "$id")" "$(iw_kv user "$e")" ||
        iw_fail "no event=exempt audit line for $e"
    iw_audit "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$e")" | grep -q . &&
        iw_fail "the exempt session was warned or terminated: $(iw_audit "$(iw_kv user "$e")")"
    iw_ok "exempt ($reason), idle $(cut -f11 <<<"$line") s, never warned or ended"
    iw_tmux_mark exempt
}

# `login -f USER` in a root shell under tmux, with the module in /etc/pam.d/login (appended for the test, then
# restored byte for byte): the idle login session is ended; the root shell around it survives, unsignalled.
# It changes a pam.d file of the system for a while: one such test at a time.
# iw: lock etc-pam.d
test_enforce_login_f_idle_is_ended() {
    iw__console_test login "login -f"
}

# `su -l USER` from a root shell under tmux, with the module in /etc/pam.d/su-l: the idle su session is ended;
# the caller's shell (same terminal, same sid) survives and was not signalled.
# It changes a pam.d file of the system for a while: one such test at a time.
# iw: lock etc-pam.d
test_enforce_su_l_idle_is_ended_caller_survives() {
    iw__console_test su-l "su -l"
}

iw__console_test() { # PAM-SERVICE COMMAND
    local service=$1 command=$2 a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_config
    iw_daemon_start
    iw_pam_append "$service" "$(iw_module_line)"
    install -d -m 0700 "$IW_T/root"
    iw_tmux_new s1 "exec bash --norc --noprofile"
    local shell_pid shell_start
    shell_pid=$(iw_tmux_pane s1 '#{pane_pid}')
    shell_start=$(iw_proc_start "$shell_pid")
    iw_tmux_type s1 "trap 'echo HUP >>$IW_T/root/sig' HUP; trap 'echo TERM >>$IW_T/root/sig' TERM; PS1='iwroot# '"
    iw_wait_as s1 root
    iw_tmux_type s1 "$command $a"
    iw_wait_as s1 "$a"
    iw_wait_sessions 1 10 "$a" || iw_fail "the $command session is not in status: $(iw_status --json)"
    local line id
    line=$(iw_sessions_of "$a")
    iw_log "status: $line"
    id=$(cut -f1 <<<"$line")
    [[ $(cut -f4 <<<"$line") == "$service" ]] || iw_fail "service is $(cut -f4 <<<"$line"), expected $service"
    IW_LOGOUT_GONE_USER=$a iw_expect_logout s1 yes
    iw__expect_terminated "$id" "$a"
    iw__wait_user_gone "$a"
    sleep $((IW_GRACE * 2 + 1))
    iw_check "the root shell around $command is alive (same pid and start time)" iw_same_proc "$shell_pid" "$shell_start"
    [[ ! -s $IW_T/root/sig ]] || iw_fail "the root shell got signals: $(cat "$IW_T/root/sig")"
    iw_check "the pane is still open" iw_tmux_is_alive s1
    iw_wait_as s1 root
    iw_ok "the root shell got no signal and still answers"
}

# One ssh connection, two shells (ControlMaster): one PAM session with two terminals. Typing in either keeps
# both alive (30 s in the first, then 30 s in the second); when both are idle, both are logged out.
test_enforce_controlmaster_two_shells_one_session() {
    local a=iwtest-$IW_ID-a cm=$IW_T/cm
    iw_mkuser "$a"
    iw__ssh_setup
    iw_tmux_new master "$(iw_ssh_cmd "$a" -o ControlMaster=yes -o "ControlPath=$cm" -o ControlPersist=no)"
    iw_tmux_mark master
    iw_wait_until 10 test -S "$cm" || iw_fail "the control master socket $cm did not appear"
    iw_tmux_new second "$(iw_ssh_cmd "$a" -o ControlMaster=no -o "ControlPath=$cm")"
    iw_tmux_mark second
    local tty1 tty2
    tty1=$(iw_tmux_tty master)
    tty2=$(iw_tmux_tty second)
    [[ $tty1 != "$tty2" ]] || iw_fail "both shells are on $tty1"
    iw_wait_sessions 1 10 "$a" || iw_fail "expected one session (one connection) for $a: $(iw_status --json)"
    local id
    id=$(iw_sessions_of "$a" | cut -f1)
    iw_log "session $id, shells on $tty1 and $tty2"

    iw_keep_typing 30 master second
    iw_ok "typing in the master shell kept both alive for 30 s"
    local terminals
    terminals=$(iw_sessions_of "$a" | cut -f10)
    [[ ",$terminals," == *",$tty1,"* && ",$terminals," == *",$tty2,"* ]] ||
        iw_fail "status terminals of session $id are [$terminals], expected $tty1 and $tty2"
    iw_ok "status: session $id has terminals $terminals"
    iw_keep_typing 30 second master
    iw_ok "typing in the second shell kept both alive for 30 s"
    iw__no_terminate_for "$id" "$a"

    iw__set_last_input master "$(iw_last_input second)" # the session's last input was in the second shell
    iw_expect_logout master yes
    iw_tmux_wait_dead second 10 || iw_fail "the second shell was not disconnected with the master"
    iw_wait_until 3 iw_tmux_has_farewell second || iw_fail "the second shell got no farewell"
    iw_ok "both shells were logged out"
    iw__expect_terminated "$id" "$a"
    iw__wait_user_gone "$a"
}

# A registered session whose leader pid now belongs to another process (start time differs) must never lead
# to that process being signalled, while a correctly registered twin, just as idle, is ended. Both leaders are
# processes of the user on their own tmux terminal, registered with hand-made open datagrams from root.
test_enforce_reused_pid_is_not_signalled() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_recorder
    iw_config
    iw_daemon_start
    local who
    for who in reused twin; do
        iw_tmux_new "$who" "runuser -u $a -- $IW_T/recorder.sh $IW_T/shared/$who"
        iw_wait_until 10 test -s "$IW_T/shared/$who.child" || iw_fail "the $who process did not start"
    done
    local t0 rpid rstart rchild rchild_start tpid tstart tchild
    t0=$(iw_now_ms)
    rpid=$(cat "$IW_T/shared/reused.pid")
    rchild=$(cat "$IW_T/shared/reused.child")
    rstart=$(iw_proc_start "$rpid")
    rchild_start=$(iw_proc_start "$rchild")
    tpid=$(cat "$IW_T/shared/twin.pid")
    tchild=$(cat "$IW_T/shared/twin.child")
    tstart=$(iw_proc_start "$tpid")
    local common=(uid="$(id -u "$a")" user="$a" service=idlewarden-test-forged)
    iw_dgram "$IW_SESSION_SOCK" open pid="$tpid" creds_pid="$tpid" start="$tstart" "${common[@]}" \
        tty="$(iw_tmux_pane twin '#{pane_tty}')" || iw_fail "could not register the twin"
    # The recorded start time is older than the process that holds the pid now: a reused pid.
    iw_dgram "$IW_SESSION_SOCK" open pid="$rpid" creds_pid="$rpid" start=$((rstart - 100)) "${common[@]}" \
        tty="$(iw_tmux_pane reused '#{pane_tty}')" || iw_fail "could not send the reused-pid open"
    iw_wait_until 10 iw__session_with_leader "$tpid" || iw_fail "the twin was not registered: $(iw_audit | tail -n 3)"
    iw_log "status: $(iw_status_tsv)"
    iw_log "audit: $(iw_audit | tail -n 3)"
    iw__set_last_input twin "$t0"
    # The twin's child is signalled (its leader is never signalled: it stands for the login process). It opened
    # after t0 on a terminal nobody typed on, so it ends no sooner than idle_timeout after t0, and no later than
    # the bound (t0 is within the 8 s atime bucket of the terminal's creation).
    iw_wait_until $((IW_IDLE + IW_MAX_LATE + 5)) iw__not_alive "$tchild" || iw_fail "the correctly registered twin was not ended"
    iw_expect_end_on_time twin "$t0"
    iw_ok "the twin (same user, same idleness) was ended"
    sleep $((IW_GRACE * 2 + 2))
    iw_check "the process holding the reused pid is alive" iw_same_proc "$rpid" "$rstart"
    iw_check "its child is alive" iw_same_proc "$rchild" "$rchild_start"
    [[ ! -s $IW_T/shared/reused.sig ]] || iw_fail "the reused-pid process got signals: $(cat "$IW_T/shared/reused.sig")"
    iw_ok "the process that reused the pid was never signalled"
}
iw__session_with_leader() { iw_status_tsv | awk -F'\t' -v p="$1" '$7 == p { f = 1 } END { exit !f }'; }
