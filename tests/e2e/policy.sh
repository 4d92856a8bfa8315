# shellcheck shell=bash
# End-to-end tests of policy and configuration (issue 6): a rule by terminal, keepalive and reload through the
# command and the control socket, activity = "input+output", end = "leader", sweep, explain and check-config.
# Real sshd and `login -f` sessions under tmux, real users and groups, the built module in pam.d, the daemon with
# the short test policy of lib.sh (idle_timeout 15 s, warn_before 5 s, signal_interval 3 s) unless a test says
# otherwise.
# What the policy does to a session once the daemon has it (rules by group and service, max_session, a reload
# that shortens a limit, scope = "user", keepalive over time) is unit-tested with a manual clock:
# Tests/IdleWardenDaemonTests/Daemon (DaemonPolicyTests, DaemonControlTests).
#
# Helpers local to this file start with iw__p_ (lib.sh is shared; see the notes at each helper).

# ---------------------------------------------------------------------------------------------------------------
# Local helpers

# iw__p_login_pane PANE USER — a root shell in a new tmux pane that runs `login -f USER` (the module must be in
# /etc/pam.d/login already); waits until USER's shell answers.
iw__p_root_pane() {
    iw_tmux_new "$1" "exec bash --norc --noprofile"
    iw_tmux_type "$1" "PS1='iwroot# '"
    iw_wait_as "$1" root
}
iw__p_login() {
    iw_tmux_type "$1" "login -f $2"
    iw_wait_as "$1" "$2"
}

# iw__p_session_id USER [TTY] — the id of USER's (only, or the one with PAM_TTY = TTY) session in status.
iw__p_session_id() {
    if [[ -n ${2:-} ]]; then
        iw_sessions_of "$1" | awk -F'\t' -v t="$2" '$5 == t { print $1 }'
    else
        iw_sessions_of "$1" | cut -f1
    fi
}

# iw__p_expect_end PANE ID USER [IDLE] — a session that runs inside a pane whose program survives it (`login -f`
# in a root shell, while USER has other sessions): wait for its terminate audit line (reason=idle), check it
# came within the bounds of the pane's last input + IDLE (measured from the audit line's own timestamp), that
# the pane showed the warning before and the farewell, and that the pane's shell is root again.
iw__p_expect_end() {
    local pane=$1 id=$2 user=$3 idle=${4:-$IW_IDLE}
    local t0 warnings farewells warn_at='' now line='' end_ms late
    t0=$(iw_last_input "$pane")
    [[ -n $t0 ]] || iw_fail "no input time recorded for $pane"
    warnings=$(iw__count_warnings "$pane")
    farewells=$(iw__count_farewells "$pane")
    local limit=$((t0 + (idle + IW_MAX_LATE + 5) * 1000))
    while :; do
        now=$(iw_now_ms)
        if [[ -z $warn_at ]] && (($(iw__count_warnings "$pane") > warnings)); then warn_at=$now; fi
        line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" "$(iw_kv user "$user")" | tail -n1)
        [[ -n $line ]] && break
        ((now > limit)) && break
        sleep 0.2
    done
    [[ -n $line ]] || iw_fail "session $id ($pane) was not ended within $(iw_secs $((limit - t0))) s of its last input: $(iw_audit "$(iw_kv session "$id")" | tail -n 3)"
    iw_ok "audited: $line"
    [[ $(iw_audit_field "$line" reason) == idle ]] || iw_fail "session $id ended with reason $(iw_audit_field "$line" reason), expected idle"
    end_ms=$(iw_audit_line_ms "$line")
    late=$((end_ms - t0 - idle * 1000))
    iw_measure "pane=$pane lateness_s=$(iw_secs "$late") warned_after_s=$([[ -n $warn_at ]] && iw_secs $((warn_at - t0)) || echo -) ended_after_s=$(iw_secs $((end_ms - t0)))"
    ((late >= -1000)) || iw_fail "session $id ended $(iw_secs $((-late))) s BEFORE $idle s had passed since its last input"
    ((late <= IW_MAX_LATE * 1000)) || iw_fail "session $id ended $(iw_secs "$late") s after its idle timeout (bound ${IW_MAX_LATE}s)"
    iw_ok "session $id ended $(iw_secs "$late") s after its $idle s idle timeout"
    if [[ -z $warn_at ]]; then # drawn late: then it is seen after the end, and the check below fails
        iw_wait_until 2 iw__p_more_warnings "$pane" "$warnings" || iw_fail "$pane never showed the warning before the end"
        warn_at=$(iw_now_ms)
    fi
    iw_expect_warned_ahead "$pane (session $id)" "$warn_at" "$end_ms"
    iw_wait_until 5 iw__more_farewells "$pane" "$farewells" || iw_fail "$pane: no farewell line"
    iw_wait_as "$pane" root
    iw_ok "$pane: warned, farewell shown, back to the root shell"
}
iw__p_more_warnings() { (($(iw__count_warnings "$1") > $2)); }

# iw__p_no_end_for ID USER — no warn or terminate audit line for that session.
iw__p_no_end_for() {
    local lines
    lines=$(iw_audit "$(iw_kvre event '(warn|terminate)')" "$(iw_kv session "$1")" "$(iw_kv user "$2")")
    [[ -z $lines ]] || iw_fail "session $1 of $2 was warned or ended: $lines"
}

# iw__p_as USER ARGS... — run the idlewarden binary as USER (a copy any user can execute), at most 15 s.
iw__p_as() {
    local user=$1; shift
    iw__user_bin
    timeout 15 runuser -u "$user" -- "$IW_T/bin/idlewarden" "$@"
}

# iw__p_rule_line NAME — the line number of the [[rule]] header followed by `name = "NAME"` in IW_CONFIG.
iw__p_rule_line() {
    awk -v n="name = \"$1\"" '/^\[\[rule\]\]/ { h = NR } $0 == n { print h; exit }' "$IW_CONFIG"
}

# ---------------------------------------------------------------------------------------------------------------

# A `ttys` rule exempts one terminal: the same user logs in with `login -f` on two tmux terminals; the session
# on the terminal the rule names is exempt (status, event=exempt naming the rule, never warned, still there
# after idle_timeout + the lateness bound) while the one on the other terminal is warned and ended.
# It changes a pam.d file of the system for a while: one such test at a time.
# iw: lock etc-pam.d
test_policy_ttys_rule_exempts_a_terminal() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__p_root_pane kiosk
    iw__p_root_pane other
    local tty_k tty_o
    tty_k=$(iw_tmux_pane kiosk '#{pane_tty}')
    tty_o=$(iw_tmux_pane other '#{pane_tty}')
    iw_log "kiosk pane on $tty_k, other pane on $tty_o"
    iw_own_config '[[rule]]' 'name = "kiosk-tty"' "ttys = [\"${tty_k#/dev/}\"]" 'exempt = true'
    iw_own_daemon_start
    iw_pam_append login "$(iw_module_line)"
    iw__p_login kiosk "$a"
    iw__p_login other "$a"
    iw_wait_sessions 2 10 "$a" || iw_fail "expected two login sessions of $a: $(iw_status --json)"
    iw_log "status: $(iw_sessions_of "$a" | tr '\n' '|')"
    local idk ido line
    idk=$(iw_sessions_of "$a" | awk -F'\t' -v t="$tty_k" '$5 == t || $5 == substr(t, 6) { print $1 }')
    ido=$(iw_sessions_of "$a" | awk -F'\t' -v t="$tty_o" '$5 == t || $5 == substr(t, 6) { print $1 }')
    [[ -n $idk && -n $ido ]] || iw_fail "cannot tell the sessions apart by PAM_TTY: $(iw_sessions_of "$a")"
    line=$(iw_sessions_of "$a" | awk -F'\t' -v i="$idk" '$1 == i')
    [[ $(cut -f8 <<<"$line") == exempt ]] || iw_fail "the session on $tty_k is $(cut -f8 <<<"$line"), expected exempt: $line"
    [[ $(cut -f9 <<<"$line") == *kiosk-tty* ]] || iw_fail "its exempt_reason does not name the rule: $line"
    line=$(iw_sessions_of "$a" | awk -F'\t' -v i="$ido" '$1 == i')
    [[ $(cut -f8 <<<"$line") != exempt ]] || iw_fail "the session on $tty_o is exempt too: $line"
    iw_audit_wait 5 "$(iw_kv event exempt)" "$(iw_kv session "$idk")" "$(iw_kv user "$a")" 'kiosk-tty' ||
        iw_fail "no event=exempt line naming kiosk-tty for session $idk: $(iw_audit "$(iw_kv event exempt)")"
    iw_ok "session $idk on $tty_k is exempt by the ttys rule; session $ido on $tty_o is not"

    iw__p_expect_end other "$ido" "$a"
    iw_sleep_until $(($(iw_last_input kiosk) + (IW_IDLE + IW_MAX_LATE) * 1000))
    iw_tmux_has_text kiosk 'Press any key' && iw_fail "the exempt terminal was warned"
    iw_tmux_has_farewell kiosk && iw_fail "the exempt terminal got a farewell"
    iw__p_no_end_for "$idk" "$a"
    [[ $(iw_sessions_of "$a" | cut -f1) == "$idk" ]] || iw_fail "status should list only session $idk: $(iw_sessions_of "$a")"
    iw_wait_as kiosk "$a"
    iw_ok "the exempt session is still logged in and answering after $((IW_IDLE + IW_MAX_LATE)) s idle"
}

# keepalive through the command and the control socket, where the kernel attests who asks: the owner's
# `idlewarden keepalive` (all sessions, and --session) exits 0, names the session and is audited with the owner's
# uid; another user is refused (exit status, event=keepalive result=refused), with and without --session. That a
# kept-alive session outlives its limit, and that `status` is no activity: DaemonControlTests.
test_policy_keepalive_by_owner_works_by_other_refused() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw_own_ssh_setup
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local id out rc args
    id=$(iw__p_session_id "$a")
    for args in "" "--session $id"; do
        # shellcheck disable=SC2086
        out=$(iw__p_as "$a" keepalive --socket "$IW_SOCK" $args 2>&1)
        rc=$?
        ((rc == 0)) || iw_fail "keepalive ${args:-(all)} by the owner failed (status $rc): $out"
        [[ $out == "kept alive: 1 session(s)" ]] || iw_fail "keepalive ${args:-(all)} by the owner said: $out"
        iw_ok "keepalive ${args:-(all)} by $a: $out"
    done
    local n
    n=$(iw_audit_count "$(iw_kv event keepalive)" "$(iw_kv session "$id")" "$(iw_kv sender_uid "$(id -u "$a")")")
    ((n == 2)) || iw_fail "expected 2 keepalive audit lines for session $id, found $n: $(iw_audit "$(iw_kv event keepalive)")"
    iw_audit "$(iw_kv event keepalive)" "$(iw_kv session "$id")" | grep -q 'result=refused' &&
        iw_fail "an owner's keepalive was audited as refused"
    iw_ok "both keepalives by the owner audited"

    for args in "--session $id" ""; do
        # shellcheck disable=SC2086
        out=$(iw__p_as "$b" keepalive --socket "$IW_SOCK" $args 2>&1)
        rc=$?
        ((rc != 0)) || iw_fail "keepalive $args by $b succeeded: $out"
        iw_ok "keepalive ${args:-(all)} by $b refused, status $rc: $out"
    done
    iw_audit_wait 5 "$(iw_kv event keepalive)" "$(iw_kv result refused)" "$(iw_kv sender_uid "$(id -u "$b")")" ||
        iw_fail "no 'event=keepalive result=refused sender_uid=$(id -u "$b")' line: $(iw_audit "$(iw_kv event keepalive)" | tail -n 3)"
    iw_ok "audited: $(iw_audit "$(iw_kv event keepalive)" "$(iw_kv result refused)" | tail -n1)"
    iw_audit "$(iw_kv event keepalive)" "$(iw_kv sender_uid "$(id -u "$b")")" | grep -v 'result=refused' | grep -q . &&
        iw_fail "a keepalive by $b was accepted: $(iw_audit "$(iw_kv event keepalive)" "$(iw_kv sender_uid "$(id -u "$b")")")"
    iw_check "daemon still running" iw_daemon_alive
    iw__p_logout s1
}

# iw__p_logout PANE — `exit` in the pane's ssh session, so that the test ends without a live login to clean up.
iw__p_logout() {
    iw_tmux_type "$1" exit
    iw_tmux_wait_dead "$1" 10 || iw_fail "ssh in $1 did not exit after 'exit'"
}

# allow_keepalive = false (a rule for the user): the owner's `idlewarden keepalive`, run every 3 s from the key
# press on, is refused each time (non-zero exit, a message naming the policy; event=keepalive result=refused
# reason=allow_keepalive-false) and resets nothing: the session is warned and ended on the schedule of its last
# key press.
test_policy_allow_keepalive_false_is_refused_and_session_ended() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_own_ssh_setup '[[rule]]' 'name = "no-keepalive"' "users = [\"$a\"]" 'allow_keepalive = false'
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local id out rc uid
    id=$(iw__p_session_id "$a")
    uid=$(id -u "$a")
    out=$(iw__p_as "$a" keepalive --socket "$IW_SOCK" 2>&1)
    rc=$?
    iw_log "keepalive by the owner: status $rc: $out"
    ((rc != 0)) || iw_fail "keepalive succeeded although allow_keepalive = false: $out"
    grep -qF 'allow_keepalive = false' <<<"$out" || iw_fail "the refusal does not name allow_keepalive = false: $out"
    iw_audit_wait 5 "$(iw_kv event keepalive)" "$(iw_kv session "$id")" "$(iw_kv sender_uid "$uid")" \
        "$(iw_kv result refused)" "$(iw_kv reason allow_keepalive-false)" ||
        iw_fail "no 'event=keepalive session=$id result=refused reason=allow_keepalive-false': $(iw_audit "$(iw_kv event keepalive)")"
    iw_ok "refused (status $rc) and audited: $(iw_audit "$(iw_kv event keepalive)" | tail -n1)"

    (while :; do
        iw__p_as "$a" keepalive --socket "$IW_SOCK" >/dev/null 2>&1
        sleep 3
    done) &
    local caller=$!
    iw_defer kill "$caller"
    iw_expect_logout s1 yes
    kill "$caller" 2>/dev/null
    local refused
    refused=$(iw_audit_count "$(iw_kv event keepalive)" "$(iw_kv session "$id")" "$(iw_kv reason allow_keepalive-false)")
    ((refused >= 4)) || iw_fail "expected a refused keepalive every 3 s until the end, found $refused"
    iw_audit "$(iw_kv event keepalive)" "$(iw_kv session "$id")" | grep -v 'result=refused' | grep -q . &&
        iw_fail "a keepalive of session $id was accepted: $(iw_audit "$(iw_kv event keepalive)" "$(iw_kv session "$id")")"
    iw_ok "$refused keepalives refused; the session ended on the schedule of its last key press"
}

# check_no_tty = true (a rule for one user): `ssh -T HOST sleep 600` of that user (no pty: nothing to watch) is
# idle-checked from its open: status says active, it is warned (audited; there is no terminal to write to) and
# ended warn_before later, idle_timeout after it opened, and the ssh client exits. The same command of another
# user (check_no_tty off, the default) is left alone: no-tty in status, never warned or ended, still running.
test_policy_check_no_tty_ends_a_session_without_terminal() {
    local c=iwtest-$IW_ID-c n=iwtest-$IW_ID-n
    iw_mkuser "$c"
    iw_mkuser "$n"
    iw_own_ssh_setup '[[rule]]' 'name = "no-tty-too"' "users = [\"$c\"]" 'check_no_tty = true'
    local t0
    t0=$(iw_now_ms)
    iw_tmux_new checked "$(iw_ssh_cmd "$c" -T) sleep 600"
    iw_tmux_new free "$(iw_ssh_cmd "$n" -T) sleep 600"
    iw_wait_sessions 1 10 "$c" || iw_fail "no session of $c in status"
    iw_wait_sessions 1 10 "$n" || iw_fail "no session of $n in status"
    local idc idn
    idc=$(iw__p_session_id "$c")
    idn=$(iw__p_session_id "$n")
    iw_wait_until 15 iw__p_state_is "$n" no-tty || iw_fail "the session of $n did not settle as no-tty: $(iw_sessions_of "$n")"
    # By now (the terminal search ended 10 s after the open) the checked one is idle-checked: active, warned, or
    # on a loaded machine already being ended (the audit lines below prove the end).
    local line
    line=$(iw_sessions_of "$c")
    if [[ -n $line ]]; then
        [[ $(cut -f8 <<<"$line") =~ ^(active|warned|terminating)$ ]] || iw_fail "the check_no_tty session is not idle-checked: $line"
        [[ $(cut -f10 <<<"$line") == - ]] || iw_fail "the ssh -T session has terminals: $line"
        iw_ok "status: session $idc of $c $(cut -f8 <<<"$line") (check_no_tty), session $idn of $n no-tty"
    fi

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_tmux_is_dead checked ||
        iw_fail "the check_no_tty session was not ended: $(iw_audit "$(iw_kv session "$idc")")"
    iw_expect_end_on_time "ssh -T" "$t0"
    local warn term
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv session "$idc")" "$(iw_kv reason idle)" ||
        iw_fail "no terminate line (reason=idle) for session $idc: $(iw_audit "$(iw_kv session "$idc")")"
    term=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$idc")" | tail -n1)
    warn=$(iw_audit "$(iw_kv event warn)" "$(iw_kv session "$idc")" | tail -n1)
    [[ -n $warn ]] || iw_fail "session $idc was ended without a warning: $(iw_audit "$(iw_kv session "$idc")")"
    iw_expect_warned_ahead "session $idc (audit)" "$(iw_audit_line_ms "$warn")" "$(iw_audit_line_ms "$term")"
    iw_ok "audited: $warn"
    iw_ok "audited: $term"

    iw_sleep_until $((t0 + (IW_IDLE + IW_MAX_LATE) * 1000))
    iw_check "the ssh -T session of $n (check_no_tty off) still runs" iw_tmux_is_alive free
    iw__p_no_end_for "$idn" "$n"
    [[ $(iw_sessions_of "$n" | cut -f8) == no-tty ]] || iw_fail "the session of $n changed: $(iw_sessions_of "$n")"
    iw_ok "without check_no_tty the session without a terminal was left alone"
}

# A broken config (a bad duration on one line, and idle_timeout raised to 300 s elsewhere) sent with SIGHUP is
# refused as a whole: event=config-error names FILE:LINE and the key, `idlewarden reload` exits non-zero with the
# same error, and status still shows the old 15 s limit. That the session is warned and ended on it:
# DaemonControlTests.
test_policy_sighup_broken_config_keeps_old_limits() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_own_ssh_setup
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local good=$IW_T/good.conf bad_line
    cp "$IW_CONFIG" "$good"
    sed -i -e 's/^idle_timeout = .*/idle_timeout = "300s"/' -e 's/^signal_interval = .*/signal_interval = "3x"/' "$IW_CONFIG"
    bad_line=$(grep -n '^signal_interval = "3x"' "$IW_CONFIG" | cut -d: -f1)
    [[ -n $bad_line ]] || iw_fail "could not write the broken config"
    cp "$IW_CONFIG" "$IW_TLOG/broken.conf"
    kill -HUP "$IW_DAEMON_PID"
    local re
    re="$(iw_regex_escape "$IW_CONFIG"):$bad_line:[0-9]+: signal_interval:"
    iw_audit_wait 10 "$(iw_kv event config-error)" "$re" ||
        iw_fail "no event=config-error naming $IW_CONFIG:$bad_line and signal_interval: $(iw_audit | tail -n 3)"
    iw_ok "audited: $(iw_audit "$(iw_kv event config-error)" | tail -n1)"
    iw_audit "$(iw_kv event config-reload)" | grep -q . && iw_fail "a config-reload was audited for the broken file"
    local out rc
    out=$(timeout 15 "$IW_BIN" reload --socket "$IW_SOCK" 2>&1)
    rc=$?
    iw_log "idlewarden reload (broken file): status $rc: $out"
    ((rc != 0)) || iw_fail "idlewarden reload exited 0 for a broken config"
    grep -qE "$re" <<<"$out" || iw_fail "idlewarden reload does not print FILE:LINE:COLUMN: signal_interval: ...: $out"
    iw_ok "reload refused the file (status $rc) and named $IW_CONFIG:$bad_line"
    iw_check "daemon still running" iw_daemon_alive
    [[ $(iw_status_value "$a" idle_timeout_seconds | cut -f2) == "$IW_IDLE" ]] ||
        iw_fail "status gives idle_timeout_seconds=$(iw_status_value "$a" idle_timeout_seconds | cut -f2), expected the old $IW_IDLE"
    iw_ok "the old ${IW_IDLE} s limit stayed in force"
    iw__p_logout s1
}

# activity = "input+output" (a rule for one user): that user's session, whose only activity is a loop printing
# the date, is still connected and unwarned 40 s later, while another user's identical session (activity
# "input", the default) is ended. After Ctrl-C (the output stops) the first one is ended on schedule too.
test_policy_input_output_activity_keeps_output_session() {
    local o=iwtest-$IW_ID-o i=iwtest-$IW_ID-i
    iw_mkuser "$o"
    iw_mkuser "$i"
    iw_own_ssh_setup '[[rule]]' 'name = "wall"' "users = [\"$o\"]" 'activity = "input+output"'
    local who pane
    for who in "$o:out" "$i:in"; do
        pane=${who#*:}
        iw_tmux_new "$pane" "$(iw_ssh_cmd "${who%%:*}")"
        iw_tmux_mark "$pane"
    done
    iw_wait_sessions 1 10 "$o" || iw_fail "no session of $o"
    iw_wait_sessions 1 10 "$i" || iw_fail "no session of $i"
    local ido
    ido=$(iw__p_session_id "$o")
    for pane in out in; do
        iw_tmux_type "$pane" 'while :; do date; sleep 1; done'
        iw__set_last_input "$pane" "$(iw_now_ms)"
        iw_tmux_wait_text "$pane" '[0-9]{2}:[0-9]{2}:[0-9]{2}' 10 || iw_fail "the date loop in $pane prints nothing"
    done
    iw_expect_logout in yes
    iw_ok "the output-only session with activity = input was ended"
    iw_sleep_until $(($(iw_last_input out) + 40000))
    iw_check "the input+output session is still connected 40 s after its last key press" iw_tmux_is_alive out
    iw_tmux_has_text out 'Press any key' && iw_fail "the input+output session was warned while printing"
    iw__p_no_end_for "$ido" "$o"
    iw_ok "output kept the activity = input+output session alive"
    iw_tmux_keys out C-c
    iw__set_last_input out "$(iw_now_ms)"
    iw_expect_logout out yes
    local line
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv session "$ido")" || iw_fail "no terminate line for $o"
    iw_ok "after the output stopped it was ended: $(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$ido")" | tail -n1)"
}

# end = "leader" (a rule for one user): both users start a detached tmux server (`tmux -L x new -d sleep 1000`)
# and a `nohup sleep` job inside their ssh session, then go idle. For the end = "leader" user the login shell
# ends (ssh disconnects) and the tmux server is left running (same pid and start time); the terminate line says
# end=leader, and the nohup job (its own process group, as the interactive shell made it) lives on too. The other
# user (end = "session") is ended with end=session: its nohup job and its detached tmux server too.
test_policy_end_leader_leaves_detached_tmux_running() {
    local l=iwtest-$IW_ID-l s=iwtest-$IW_ID-s
    iw_mkuser "$l"
    iw_mkuser "$s"
    iw_own_ssh_setup '[[rule]]' 'name = "keep-tmux"' "users = [\"$l\"]" 'end = "leader"'
    local who user pane
    for who in "$l:lead" "$s:sess"; do
        user=${who%%:*} pane=${who#*:}
        iw_tmux_new "$pane" "$(iw_ssh_cmd "$user")"
        iw_tmux_mark "$pane"
        iw_tmux_type "$pane" 'tmux -L x new -d sleep 1000; nohup sleep 1001 >/dev/null 2>&1 & sleep 1; echo iwstarted-$((6 * 7))'
        iw_tmux_wait_text "$pane" 'iwstarted-42' 15 || iw_fail "could not start tmux in $pane: $(iw__pane_tail "$pane")"
        iw__set_last_input "$pane" "$(iw_now_ms)"
    done
    iw_wait_sessions 1 10 "$l" || iw_fail "no session of $l"
    iw_wait_sessions 1 10 "$s" || iw_fail "no session of $s"
    local idl ids
    idl=$(iw__p_session_id "$l")
    ids=$(iw__p_session_id "$s")
    iw_wait_until 10 iw__p_has_proc "$l" 'tmux -L x' || iw_fail "no tmux server of $l: $(iw_user_procs "$l")"
    iw_wait_until 10 iw__p_has_proc "$s" 'tmux -L x' || iw_fail "no tmux server of $s: $(iw_user_procs "$s")"
    local ltmux lstart stmux sstart snohup snohup_start lnohup lnohup_start
    ltmux=$(pgrep -u "$l" -f '^tmux -L x' | head -n1)
    stmux=$(pgrep -u "$s" -f '^tmux -L x' | head -n1)
    snohup=$(pgrep -u "$s" -f '^sleep 1001' | head -n1)
    lnohup=$(pgrep -u "$l" -f '^sleep 1001' | head -n1)
    lstart=$(iw_proc_start "$ltmux")
    sstart=$(iw_proc_start "$stmux")
    snohup_start=$(iw_proc_start "$snohup")
    lnohup_start=$(iw_proc_start "$lnohup")
    [[ -n $lstart && -n $sstart && -n $snohup_start && -n $lnohup_start ]] ||
        iw_fail "could not find the processes: $(iw_user_procs "$l"; iw_user_procs "$s")"
    iw_log "processes of $l: $(iw_user_procs "$l" | tr '\n' '|')"
    iw_log "processes of $s: $(iw_user_procs "$s" | tr '\n' '|')"

    # Both went idle together: watch both panes at once (a finished pane's warning would not count as new).
    iw_expect_logout sess yes &
    local watcher=$!
    iw_expect_logout lead yes
    wait "$watcher" || iw_fail "the end = session pane was not logged out as expected (see above)"
    sleep $((IW_GRACE * 2 + 2)) # past SIGTERM and SIGKILL
    local line
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv session "$idl")" || iw_fail "no terminate line for $l"
    line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$idl")" | tail -n1)
    iw_log "audit: $line"
    [[ $(iw_audit_field "$line" end) == leader ]] || iw_fail "the terminate line of $l does not say end=leader: $line"
    line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$ids")" | tail -n1)
    iw_log "audit: $line"
    [[ $(iw_audit_field "$line" end) == session ]] || iw_fail "the terminate line of $s does not say end=session: $line"

    iw_log "left of $l: $(iw_user_procs "$l" | tr '\n' '|')"
    iw_log "left of $s: $(iw_user_procs "$s" | tr '\n' '|')"
    iw_check "the detached tmux server of $l (end = leader) is still running" iw_same_proc "$ltmux" "$lstart"
    iw_user_procs "$l" | grep -E ' (-bash|idlewarden-test-sshd-[0-9]+: )' && iw_fail "the login shell or sshd of $l survived"
    runuser -u "$l" -- tmux -L x has-session 2>/dev/null || iw_fail "the tmux server of $l does not answer"
    iw_ok "$l: login shell gone, detached tmux server running and answering"
    iw_check "the nohup job of $l (end = leader: not the login shell's process group) is still running" \
        iw_same_proc "$lnohup" "$lnohup_start"
    iw_same_proc "$snohup" "$snohup_start" && iw_fail "the nohup job of $s (end = session) survived"
    iw_ok "$s: the nohup job of the session was ended (end = session reaches every process of the session)"
    # The tmux server daemonized out of the login's process tree; its audit session (pam_loginuid) still names it.
    iw_same_proc "$stmux" "$sstart" && iw_fail "the detached tmux server of $s (end = session) survived"
    iw_ok "$s: the detached tmux server was ended too (end = session, found by its audit session id)"
}
iw__p_has_proc() { pgrep -u "$1" -f "^$2" >/dev/null; }

iw__p_state_is() { [[ $(iw_sessions_of "$1" | cut -f8) == "$2" ]]; }

# sweep: `sweep --dry-run` lists every session with what it would do and changes nothing (no warning, state
# unchanged); non-root may not sweep. Then, with the daemon stopped just before an idle session's warning is
# due, a queued `sweep --dry-run` and `sweep` are answered first when it resumes: the dry run says "would warn
# now" and warns nobody, the sweep warns the session (the warning reaches the pane, event=warn between the two
# event=sweep lines).
test_policy_sweep_dry_run_lists_sweep_warns() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_mkuser "$b"
    # A long warning window, and the warning due well after the pamtester session's last terminal search (10 s
    # after its open): no other timer of the daemon may fire while it is stopped below.
    IW_IDLE=40 IW_WARN=20 iw_own_ssh_setup
    iw_pamtester_service "$service"
    iw_pamtester_hold nt "$service" "$b"
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a"
    iw_wait_sessions 1 10 "$b" || iw_fail "no session of $b"
    local id idb
    id=$(iw__p_session_id "$a")
    idb=$(iw__p_session_id "$b")
    iw_audit_wait 15 "$(iw_kv event terminals)" "$(iw_kv session "$id")" "$(iw_kv idle_check on)" ||
        iw_fail "the ssh session's terminal was not found: $(iw_audit "$(iw_kv session "$id")")"
    local out rc
    out=$(timeout 15 "$IW_BIN" sweep --dry-run --socket "$IW_SOCK" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    ((rc == 0)) || iw_fail "sweep --dry-run failed ($rc): $out"
    grep -qE "session $id \($(iw_regex_escape "$a")\): would " <<<"$out" || iw_fail "dry run does not list session $id"
    grep -E "session $id \(" <<<"$out" | grep -qE 'would (warn|end)' && iw_fail "the fresh session is already due?"
    grep -qE "session $idb \($(iw_regex_escape "$b")\): would " <<<"$out" || iw_fail "dry run does not list session $idb"
    iw_audit_wait 5 "$(iw_kv event sweep)" "$(iw_kv dry_run yes)" || iw_fail "no event=sweep dry_run=yes"
    [[ $(iw_sessions_of "$a" | cut -f8) == active ]] || iw_fail "state changed after a dry run: $(iw_sessions_of "$a")"
    out=$(iw__p_as "$b" sweep --socket "$IW_SOCK" 2>&1) && iw_fail "a non-root user may sweep: $out"
    iw_ok "non-root sweep refused: $out"

    iw_wait_until 15 iw__p_state_is "$b" no-tty || iw_fail "the pamtester session did not settle as no-tty: $(iw_sessions_of "$b")"
    local d
    d=$(iw_status_value "$a" next_deadline | cut -f2)
    [[ $d =~ ^[0-9]+$ ]] || iw_fail "no next_deadline for session $id"
    local dms now
    dms=$(iw_ms_of_wall $((d * 1000)))
    now=$(iw_now_ms)
    iw_log "the warning is due in $(iw_secs $((dms - now))) s"
    ((dms - now > 3000)) || iw_fail "the warning is due too soon ($(iw_secs $((dms - now))) s) to stop the daemon before it"
    iw_sleep_until $((dms - 2500))
    kill -STOP "$IW_DAEMON_PID"
    iw_defer kill -CONT "$IW_DAEMON_PID"
    iw_sleep_until $((dms - 2000))
    timeout 15 "$IW_BIN" sweep --dry-run --socket "$IW_SOCK" >"$IW_T/dry.out" 2>&1 &
    local dry=$!
    sleep 0.3
    timeout 15 "$IW_BIN" sweep --socket "$IW_SOCK" >"$IW_T/sweep.out" 2>&1 &
    local real=$!
    iw_sleep_until $((dms + 1500))
    kill -CONT "$IW_DAEMON_PID"
    wait "$dry" || iw_fail "sweep --dry-run failed: $(cat "$IW_T/dry.out")"
    wait "$real" || iw_fail "sweep failed: $(cat "$IW_T/sweep.out")"
    iw_log "dry run: $(tr '\n' '|' <"$IW_T/dry.out")"
    iw_log "sweep:   $(tr '\n' '|' <"$IW_T/sweep.out")"
    grep -qE "session $id \($(iw_regex_escape "$a")\): would warn now" "$IW_T/dry.out" ||
        iw_fail "the dry run did not say it would warn session $id: $(cat "$IW_T/dry.out")"
    grep -qE "session $id \($(iw_regex_escape "$a")\): " "$IW_T/sweep.out" || iw_fail "sweep does not list session $id"
    iw_tmux_wait_text s1 'Press any key' 5 || iw_fail "no warning reached the pane"
    local trail
    trail=$(iw_audit "$(iw_kvre event '(sweep|warn)')" | grep -E "$(iw_kv session "$id")|event=sweep" |
        sed -E 's/.*(event=[a-z-]+).*(dry_run=[a-z]+|session=[0-9]+).*/\1 \2/' | tr '\n' ',')
    iw_log "audit order: $trail"
    [[ $trail == *"event=sweep dry_run=yes,event=warn session=$id,event=sweep dry_run=no"* ]] ||
        iw_fail "expected the dry run, then the warning, then the sweep: $trail"
    iw_ok "the dry run changed nothing; the sweep warned the due session"
    iw_check "daemon still running" iw_daemon_alive
}

# sweep (not a dry run) at a moment when no timer is due: session A was warned and its user has pressed a key
# since, which the daemon would see only at A's deadline. The sweep reads A's terminal now: the warning is taken
# back before the deadline (event=activity result=warning-cancelled; status active at once; the sweep's line
# says "next: look again in ..."), A outlives its old deadline and is then warned and ended on the schedule of
# that key press. Session B, idle as long but with a 60 s limit (a rule), is not due: the sweep neither warns
# nor ends it.
test_policy_sweep_between_deadlines_reads_input_now() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw_own_ssh_setup '[[rule]]' 'name = "longer"' "users = [\"$b\"]" 'idle_timeout = "60s"'
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_new s2 "$(iw_ssh_cmd "$b")"
    iw_tmux_mark s1
    iw_tmux_mark s2
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a"
    iw_wait_sessions 1 10 "$b" || iw_fail "no session of $b"
    local id idb line deadline
    id=$(iw__p_session_id "$a")
    idb=$(iw__p_session_id "$b")
    iw_tmux_wait_text s1 'Press any key' $((IW_IDLE + IW_MAX_LATE)) || iw_fail "session $id was not warned"
    line=$(iw_sessions_of "$a")
    deadline=$(cut -f12 <<<"$line")
    [[ $(cut -f8 <<<"$line") == warned && $deadline =~ ^[0-9]+$ ]] || iw_fail "status during the warning: $line"
    local deadline_ms
    deadline_ms=$(iw_ms_of_wall $((deadline * 1000)))
    iw_ok "session $id warned; deadline $deadline ($(iw_secs $((deadline_ms - $(iw_now_ms)))) s from now)"

    iw_tmux_keys s1 Space BSpace
    iw__set_last_input s1 "$(iw_now_ms)"
    sleep 0.5
    local out rc swept
    out=$(timeout 15 "$IW_BIN" sweep --socket "$IW_SOCK" 2>&1)
    rc=$?
    swept=$(iw_now_ms)
    printf '%s\n' "$out"
    ((rc == 0)) || iw_fail "sweep failed ($rc): $out"
    ((swept < deadline_ms - 500)) || iw_fail "the sweep came too late to tell it from the deadline; rerun"
    grep -qE "^session $id \($(iw_regex_escape "$a")\): next: look again in " <<<"$out" ||
        iw_fail "the sweep does not say it looks at session $id again later: $out"
    grep -qE "^session $idb \($(iw_regex_escape "$b")\): next: look again in " <<<"$out" ||
        iw_fail "the sweep does not leave session $idb for later: $out"
    iw_audit_wait 5 "$(iw_kv event activity)" "$(iw_kv session "$id")" "$(iw_kv result warning-cancelled)" ||
        iw_fail "no 'event=activity session=$id result=warning-cancelled': $(iw_audit "$(iw_kv session "$id")" | tail -n 3)"
    line=$(iw_audit "$(iw_kv event activity)" "$(iw_kv session "$id")" | tail -n1)
    (($(iw_audit_line_ms "$line") < deadline_ms)) || iw_fail "the warning was taken back only at the deadline: $line"
    [[ $(iw_sessions_of "$a" | cut -f8) == active ]] || iw_fail "status after the sweep: $(iw_sessions_of "$a")"
    iw_ok "the sweep saw the key press before the deadline: $line"
    iw_audit "$(iw_kvre event '(warn|terminate)')" "$(iw_kv session "$idb")" | grep -q . &&
        iw_fail "the sweep warned or ended session $idb, which was not due: $(iw_audit "$(iw_kv session "$idb")")"
    iw_ok "session $idb (not due) untouched by the sweep"

    iw_sleep_until $((deadline_ms + 3000))
    iw_check "session $id outlived its old deadline" iw_tmux_is_alive s1
    iw_expect_logout s1 yes
    iw_check "daemon still running" iw_daemon_alive
}

# explain prints each limit with the rule (number, name, header line) or level that set it: a group rule's
# idle_timeout, the top level for a user no rule matches, a module argument when no rule sets the key (but not
# over a rule), and a ttys rule's exempt.
test_policy_explain_names_the_rule() {
    local g=iwtest-$IW_ID-ops u=iwtest-$IW_ID-u o=iwtest-$IW_ID-o
    iw_mkuser "$u" "$g"
    iw_mkuser "$o"
    iw_own_config '[[rule]]' 'name = "serial"' 'ttys = ["ttyS*"]' 'exempt = true' \
        '[[rule]]' 'name = "ops"' "groups = [\"$g\"]" 'idle_timeout = "40m"' 'warn_before = "2m"'
    local line_ops line_serial out
    line_ops=$(iw__p_rule_line ops)
    line_serial=$(iw__p_rule_line serial)
    out=$("$IW_BIN" explain "$u" --config "$IW_CONFIG" 2>&1) || iw_fail "explain $u failed: $out"
    printf '%s\n' "$out"
    grep -qE "^idle_timeout = 40m +\(rule 2 \"ops\" \($(iw_regex_escape "$IW_CONFIG"):$line_ops\)\)" <<<"$out" ||
        iw_fail "explain does not say idle_timeout = 40m from rule 2 \"ops\" (line $line_ops)"
    grep -qE "^warn_before = 2m +\(rule 2 \"ops\"" <<<"$out" || iw_fail "explain: warn_before not from rule ops"
    grep -qE "^signal_interval = 3s +\(config top level, $(iw_regex_escape "$IW_CONFIG"):[0-9]+\)" <<<"$out" ||
        iw_fail "explain: signal_interval not from the top level of $IW_CONFIG"
    iw_ok "explain $u: idle_timeout from rule 2 \"ops\" (line $line_ops)"
    out=$("$IW_BIN" explain "$o" --config "$IW_CONFIG" 2>&1) || iw_fail "explain $o failed: $out"
    printf '%s\n' "$out"
    grep -qE "^idle_timeout = ${IW_IDLE}s +\(config top level, " <<<"$out" || iw_fail "explain $o: idle_timeout not from the top level"
    out=$("$IW_BIN" explain "$o" --config "$IW_CONFIG" --arg idle_timeout=30m 2>&1) || iw_fail "explain --arg failed: $out"
    grep -qE "^idle_timeout = 30m +\(module argument idle_timeout=30m\)" <<<"$out" ||
        iw_fail "explain $o --arg idle_timeout=30m: $out"
    out=$("$IW_BIN" explain "$u" --config "$IW_CONFIG" --arg idle_timeout=30m 2>&1) || iw_fail "explain --arg failed: $out"
    grep -qE "^idle_timeout = 40m +\(rule 2 \"ops\"" <<<"$out" || iw_fail "a module argument won over the rule: $out"
    iw_ok "module argument used when no rule sets the key, and not over a rule"
    out=$("$IW_BIN" explain "$o" --config "$IW_CONFIG" --service login --tty ttyS0 2>&1) || iw_fail "explain --tty failed: $out"
    printf '%s\n' "$out"
    grep -qE "^exempt = true.*\(rule 1 \"serial\" \([^)]*:$line_serial\)\)" <<<"$out" ||
        iw_fail "explain --tty ttyS0 does not say exempt by rule 1 \"serial\" (line $line_serial)"
    out=$("$IW_BIN" explain "$o" --config "$IW_CONFIG" --service login --tty pts/3 2>&1)
    grep -qE "^exempt = false" <<<"$out" || iw_fail "explain --tty pts/3 is exempt: $out"
    iw_ok "the ttys rule exempts ttyS0 and not pts/3"
    "$IW_BIN" explain "iwtest-$IW_ID-nosuchuser" --config "$IW_CONFIG" >/dev/null 2>&1 && iw_fail "explain of an unknown user exits 0"
    iw_ok "explain of an unknown user fails"
}

# remote = [...] rules match PAM_RHOST (case ignored; "local" when there is none). The top level says 300 s;
# rule "loopback" (remote = ["127.0.0.*"]) gives the ssh login from 127.0.0.1 15 s, and it is ended on that
# schedule; rule "trusted" (remote = ["*.Trusted.TEST"]) exempts a login from ws1.trusted.test; rule "console"
# (remote = ["local"]) gives a login without rhost 40 s; a login from elsewhere keeps the top level. Status,
# the open and terminate lines, and `explain --rhost` name the same limits and rules.
test_policy_remote_rules_match_rhost() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_mkuser "$b"
    IW_IDLE=300 IW_WARN=60 iw_own_ssh_setup \
        '[[rule]]' 'name = "loopback"' 'remote = ["127.0.0.*"]' 'idle_timeout = "15s"' 'warn_before = "5s"' \
        '[[rule]]' 'name = "trusted"' 'remote = ["*.Trusted.TEST"]' 'exempt = true' \
        '[[rule]]' 'name = "console"' 'remote = ["local"]' 'idle_timeout = "40s"' 'warn_before = "5s"'
    local line_loopback line_trusted line_console
    line_loopback=$(iw__p_rule_line loopback)
    line_trusted=$(iw__p_rule_line trusted)
    line_console=$(iw__p_rule_line console)
    iw_pamtester_service "$service"
    iw_pamtester_hold trusted "$service" "$b" -I rhost=ws1.trusted.test
    iw_pamtester_hold other "$service" "$b" -I rhost=198.51.100.4
    iw_pamtester_hold local "$service" "$b"
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a"
    iw_wait_sessions 3 10 "$b" || iw_fail "expected three sessions of $b: $(iw_sessions_of "$b")"
    local id sessions_b rhost want limit state
    id=$(iw__p_session_id "$a")
    [[ $(iw_status_value "$a" idle_timeout_seconds | cut -f2) == 15 ]] ||
        iw_fail "the ssh login from 127.0.0.1 does not get 15 s: $(iw_status_value "$a" idle_timeout_seconds)"
    iw_audit_wait 5 "$(iw_kv event open)" "$(iw_kv session "$id")" "$(iw_kv rhost 127.0.0.1)" "$(iw_kv idle_timeout 15s)" ||
        iw_fail "the open line of session $id lacks rhost=127.0.0.1 idle_timeout=15s: $(iw_audit "$(iw_kv event open)")"
    sessions_b=$(iw_status --json) || iw_fail "status failed"
    for want in "ws1.trusted.test exempt -" "198.51.100.4 active 300" "- active 40"; do
        read -r rhost state limit <<<"$want"
        "$IW_PY" - "$sessions_b" "$b" "$rhost" "$state" "$limit" <<'PY' || iw_fail "the session of $b from $rhost: expected $state, limit $limit"
import json, sys
data, user, rhost, state, limit = sys.argv[1:]
rhost = None if rhost == "-" else rhost
mine = [s for s in json.loads(data) if s["user"] == user and s.get("rhost") == rhost]
if len(mine) != 1:
    sys.exit("sessions of %s from %r: %r" % (user, rhost, mine))
s = mine[0]
ok_state = s["state"] == "exempt" if state == "exempt" else s["state"] in ("active", "pending", "no-tty")
ok_limit = limit == "-" or s.get("idle_timeout_seconds") == int(limit)
print("from %r: state %s, idle_timeout_seconds %s, exempt_reason %s" % (rhost, s["state"], s.get("idle_timeout_seconds"), s.get("exempt_reason")))
if not (ok_state and ok_limit) or (state == "exempt" and "trusted" not in (s.get("exempt_reason") or "")):
    sys.exit(1)
PY
    done
    iw_ok "limits by rhost: 127.0.0.1 15 s, ws1.trusted.test exempt, 198.51.100.4 300 s, none 40 s"

    local out
    out=$("$IW_BIN" explain "$a" --config "$IW_CONFIG" --service "$IW_SSHD_SERVICE" --rhost 127.0.0.1 2>&1) ||
        iw_fail "explain --rhost 127.0.0.1 failed: $out"
    printf '%s\n' "$out"
    grep -qE "^idle_timeout = 15s +\(rule 1 \"loopback\" \([^)]*:$line_loopback\)\)" <<<"$out" ||
        iw_fail "explain --rhost 127.0.0.1 does not give 15s from rule 1 \"loopback\" (line $line_loopback)"
    out=$("$IW_BIN" explain "$a" --config "$IW_CONFIG" --service "$IW_SSHD_SERVICE" --rhost WS1.trusted.test 2>&1) ||
        iw_fail "explain --rhost WS1.trusted.test failed: $out"
    grep -qE "^exempt = true.*\(rule 2 \"trusted\" \([^)]*:$line_trusted\)\)" <<<"$out" ||
        iw_fail "explain --rhost WS1.trusted.test is not exempt by rule 2 \"trusted\": $out"
    out=$("$IW_BIN" explain "$a" --config "$IW_CONFIG" --service login 2>&1) || iw_fail "explain without --rhost failed: $out"
    grep -qE "^idle_timeout = 40s +\(rule 3 \"console\" \([^)]*:$line_console\)\)" <<<"$out" ||
        iw_fail "explain without --rhost does not give 40s from rule 3 \"console\": $out"
    out=$("$IW_BIN" explain "$a" --config "$IW_CONFIG" --service "$IW_SSHD_SERVICE" --rhost 198.51.100.4 2>&1) ||
        iw_fail "explain --rhost 198.51.100.4 failed: $out"
    grep -qE "^idle_timeout = 5m +\(config top level, " <<<"$out" && grep -qE "^exempt = false" <<<"$out" ||
        iw_fail "explain --rhost 198.51.100.4 does not fall back to the top level: $out"
    iw_ok "explain --rhost names the same rules"

    iw_expect_logout s1 yes
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv session "$id")" || iw_fail "no terminate line for session $id"
    line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | tail -n1)
    [[ $(iw_audit_field "$line" rule) == *loopback* ]] || iw_fail "the terminate line does not name rule loopback: $line"
    iw_ok "audited: $line"
    local tag
    for tag in trusted other local; do iw_pamtester_release "$tag" || iw_fail "pamtester $tag could not close"; done
}

# The installed config and the full example in the repository pass check-config (exit 0; warnings about absent
# groups allowed in the example, none for the installed one); a file with several errors gives one
# FILE:LINE:COLUMN: KEY: MESSAGE line for each (unknown key with a did-you-mean, a bare number as a duration, a
# bad unit, a bad choice, an idle_timeout under 60 s) and exits non-zero; a missing file is an error too.
test_policy_check_config_example_ok_broken_file_located() {
    local example out rc
    for example in "$IW_ROOT/etc/idlewarden.conf" "$IW_ROOT/etc/examples/idlewarden.conf"; do
        [[ -f $example ]] || iw_fail "no example config at $example"
        out=$("$IW_BIN" check-config "$example" 2>&1)
        rc=$?
        printf '%s\n' "$out"
        ((rc == 0)) || iw_fail "check-config rejects the example config $example (status $rc)"
        grep -qF "$example: OK" <<<"$out" || iw_fail "check-config does not say OK"
        iw_ok "$example passes check-config"
    done
    grep -qE '^(warning|note):' <<<"$("$IW_BIN" check-config "$IW_ROOT/etc/idlewarden.conf" 2>&1)" &&
        iw_fail "check-config warns about the installed config"

    local bad=$IW_T/bad.conf
    cat >"$bad" <<'EOF'
# a config with one error per line below
idel_timeout = "10m"
warn_before = 5
grace = "10x"
idle_timeout = "30s"

[[rule]]
name = "x"
users = ["root"]
activity = "keyboard"
EOF
    cp "$bad" "$IW_TLOG/bad.conf"
    out=$("$IW_BIN" check-config "$bad" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    ((rc != 0)) || iw_fail "check-config exits 0 for a broken file"
    local want
    for want in "2:[0-9]+: idel_timeout: .*did you mean \"idle_timeout\"" "3:[0-9]+: warn_before: " \
        "4:[0-9]+: grace: " "5:[0-9]+: idle_timeout: " "10:[0-9]+: activity: .*keyboard"; do
        grep -qE "$(iw_regex_escape "$bad"):$want" <<<"$out" || iw_fail "no error line $bad:$want"
    done
    iw_ok "every error located as FILE:LINE:COLUMN: KEY: MESSAGE, exit status $rc"
    out=$("$IW_BIN" check-config "$IW_T/no-such.conf" 2>&1) && iw_fail "check-config of a missing file exits 0: $out"
    iw_ok "a missing file is an error: $out"
}

# Drop-ins for fleets: conf.d/*.conf beside the config are merged in byte order of their names. Two drop-ins set
# idle_timeout: the one that sorts last wins, for check-config, explain (which names its file and line) and the
# daemon; a rule in a drop-in is numbered after the main file's rules; a file not named *.conf is not read. A new
# drop-in is read by a reload, and one with an error is refused with its file and line while the config in force
# stays.
test_policy_drop_ins_conflict_resolve_in_name_order() {
    local g=iwtest-$IW_ID-ops u=iwtest-$IW_ID-u service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$u" "$g"
    iw_own_config '[[rule]]' 'name = "serial"' 'ttys = ["ttyS*"]' 'exempt = true'
    local d=$IW_T/conf.d
    install -d -m 0755 "$d"
    printf '# site defaults\nidle_timeout = "40m"\n\n[[rule]]\nname = "ops"\ngroups = ["%s"]\nwarn_before = "3m"\n' "$g" \
        >"$d/10-site.conf"
    printf '\n\nidle_timeout = "50m"\n' >"$d/20-role.conf"
    printf 'idle_timeout = "1m"\n' >"$d/30-disabled.conf.bak"
    cp -r "$d" "$IW_TLOG/"
    local out rc
    out=$("$IW_BIN" check-config "$IW_CONFIG" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    ((rc == 0)) || iw_fail "check-config with the drop-ins failed (status $rc)"
    grep -qF "drop-in $d/10-site.conf" <<<"$out" && grep -qF "drop-in $d/20-role.conf" <<<"$out" ||
        iw_fail "check-config does not list both drop-ins"
    grep -qF "30-disabled" <<<"$out" && iw_fail "check-config read a file not named *.conf"
    grep -qF "$IW_CONFIG and 2 drop-in(s): OK" <<<"$out" || iw_fail "check-config does not say OK for the file and 2 drop-ins"
    grep -qE "^  idle_timeout = 50m +\(config top level, $(iw_regex_escape "$d/20-role.conf"):3\)" <<<"$out" ||
        iw_fail "check-config does not give idle_timeout = 50m from 20-role.conf:3"
    grep -qE "^  rule 2 \"ops\" \($(iw_regex_escape "$d/10-site.conf"):4\)" <<<"$out" ||
        iw_fail "check-config does not number the drop-in's rule 2 at 10-site.conf:4"
    iw_ok "check-config: both drop-ins read, 20-role.conf wins, the rule is number 2"

    out=$("$IW_BIN" explain "$u" --config "$IW_CONFIG" 2>&1) || iw_fail "explain failed: $out"
    printf '%s\n' "$out"
    grep -qE "^idle_timeout = 50m +\(config top level, $(iw_regex_escape "$d/20-role.conf"):3\)$" <<<"$out" ||
        iw_fail "explain does not name $d/20-role.conf:3 for idle_timeout"
    grep -qE "^warn_before = 3m +\(rule 2 \"ops\" \($(iw_regex_escape "$d/10-site.conf"):4\)\)$" <<<"$out" ||
        iw_fail "explain does not name rule 2 \"ops\" in $d/10-site.conf:4 for warn_before"
    grep -qF "config: $IW_CONFIG, $d/10-site.conf, $d/20-role.conf" <<<"$out" || iw_fail "explain does not list the files it read"
    iw_ok "explain names the file and line of each value"

    iw_own_daemon_start
    iw_pamtester_service "$service"
    iw_pamtester_hold one "$service" "$u"
    iw_wait_sessions 1 10 "$u" || iw_fail "no session of $u"
    [[ $(iw_status_value "$u" idle_timeout_seconds | cut -f2) == 3000 ]] ||
        iw_fail "the daemon gives $(iw_status_value "$u" idle_timeout_seconds), expected 3000 s from 20-role.conf"
    iw_audit_wait 5 "$(iw_kv event start)" "$(iw_kv drop_ins 2)" || iw_fail "the start line does not say drop_ins=2"
    iw_ok "the daemon applies 50m from 20-role.conf"

    printf 'idle_timeout = "45m"\n' >"$d/90-late.conf"
    out=$(timeout 15 "$IW_BIN" reload --socket "$IW_SOCK" 2>&1) || iw_fail "reload with a third drop-in failed: $out"
    iw_pamtester_release one || iw_fail "pamtester could not close"
    iw_pamtester_hold two "$service" "$u"
    iw_wait_sessions 1 10 "$u" || iw_fail "no new session of $u"
    [[ $(iw_status_value "$u" idle_timeout_seconds | cut -f2) == 2700 ]] ||
        iw_fail "after the reload the daemon gives $(iw_status_value "$u" idle_timeout_seconds), expected 2700 s from 90-late.conf"
    iw_ok "reload read the new drop-in 90-late.conf"

    printf '[[rule]]\nname = "serial"\nusers = ["x"]\nexempt = true\n' >"$d/95-broken.conf"
    out=$(timeout 15 "$IW_BIN" reload --socket "$IW_SOCK" 2>&1) && iw_fail "reload accepted a drop-in with a duplicate rule name: $out"
    grep -qE "^$(iw_regex_escape "$d/95-broken.conf"):2:1: name: \"serial\" is already the name of rule 1 \($(iw_regex_escape "$IW_CONFIG"):[0-9]+\)" <<<"$out" ||
        iw_fail "the refusal does not name 95-broken.conf:2 and the main file's rule: $out"
    iw_audit_wait 5 "$(iw_kv event config-error)" "$(iw_kv result old-config-kept)" || iw_fail "no config-error line"
    [[ $(iw_status_value "$u" idle_timeout_seconds | cut -f2) == 2700 ]] || iw_fail "the session's limit changed"
    iw_ok "a broken drop-in is refused with its file and line: $(head -n1 <<<"$out")"
    iw_pamtester_release two || iw_fail "pamtester could not close"
}
