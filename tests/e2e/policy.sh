# shellcheck shell=bash
# End-to-end tests of policy and configuration (issue 6): rules by group, terminal and service, max_session,
# keepalive, reload (SIGHUP and `idlewarden reload`, valid and broken), activity = "input+output",
# end = "leader", scope = "user", sweep, explain and check-config. Real sshd and `login -f` sessions under
# tmux, real users and groups, the built module in pam.d, the daemon with the short test policy of lib.sh
# (idle_timeout 15 s, warn_before 5 s, grace 3 s) unless a test says otherwise.
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

# iw__p_line_ms LINE — the syslog timestamp of an audit line (RFC 3339 with microseconds) in ms since the epoch.
iw__p_line_ms() { date -d "${1%% *}" +%s%3N; }

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
    end_ms=$(iw__p_line_ms "$line")
    late=$((end_ms - t0 - idle * 1000))
    iw_measure "pane=$pane lateness_s=$(iw_secs "$late") warned_after_s=$([[ -n $warn_at ]] && iw_secs $((warn_at - t0)) || echo -) ended_after_s=$(iw_secs $((end_ms - t0)))"
    ((late >= -1000)) || iw_fail "session $id ended $(iw_secs $((-late))) s BEFORE $idle s had passed since its last input"
    ((late <= IW_MAX_LATE * 1000)) || iw_fail "session $id ended $(iw_secs "$late") s after its idle timeout (bound ${IW_MAX_LATE}s)"
    iw_ok "session $id ended $(iw_secs "$late") s after its $idle s idle timeout"
    [[ -n $warn_at ]] || iw_wait_until 2 iw__p_more_warnings "$pane" "$warnings" ||
        iw_fail "$pane never showed the warning before the end"
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

# Two users, each in a group that a [[rule]] gives its own idle_timeout (15 s and 40 s; the top level says 300 s,
# so neither comes from the defaults): the first is logged out on its 15 s schedule; the second is still
# connected and unwarned 30 s after its last input, then logged out on its 40 s schedule. Status, the open and
# terminate audit lines name the limit and the rule.
test_policy_group_rule_gives_users_different_timeouts() {
    local gf=iwtest-$IW_ID-fast gs=iwtest-$IW_ID-slow f=iwtest-$IW_ID-f s=iwtest-$IW_ID-s
    iw_mkuser "$f" "$gf"
    iw_mkuser "$s" "$gs"
    IW_IDLE=300 IW_WARN=60 iw_own_ssh_setup \
        '[[rule]]' 'name = "fast"' "groups = [\"$gf\"]" 'idle_timeout = "15s"' 'warn_before = "5s"' \
        '[[rule]]' 'name = "slow"' "groups = [\"$gs\"]" 'idle_timeout = "40s"' 'warn_before = "5s"'
    iw_tmux_new fast "$(iw_ssh_cmd "$f")"
    iw_tmux_new slow "$(iw_ssh_cmd "$s")"
    iw_tmux_mark fast
    iw_tmux_mark slow
    iw_wait_sessions 1 10 "$f" || iw_fail "no session of $f in status"
    iw_wait_sessions 1 10 "$s" || iw_fail "no session of $s in status"
    local idf ids
    idf=$(iw__p_session_id "$f")
    ids=$(iw__p_session_id "$s")
    [[ $(iw_status_value "$f" idle_timeout_seconds | cut -f2) == 15 ]] ||
        iw_fail "status gives $f idle_timeout_seconds=$(iw_status_value "$f" idle_timeout_seconds | cut -f2), expected 15"
    [[ $(iw_status_value "$s" idle_timeout_seconds | cut -f2) == 40 ]] ||
        iw_fail "status gives $s idle_timeout_seconds=$(iw_status_value "$s" idle_timeout_seconds | cut -f2), expected 40"
    iw_audit_wait 5 "$(iw_kv event open)" "$(iw_kv user "$f")" "$(iw_kv idle_timeout 15s)" ||
        iw_fail "no open line with idle_timeout=15s for $f: $(iw_audit "$(iw_kv event open)")"
    iw_audit_wait 5 "$(iw_kv event open)" "$(iw_kv user "$s")" "$(iw_kv idle_timeout 40s)" ||
        iw_fail "no open line with idle_timeout=40s for $s: $(iw_audit "$(iw_kv event open)")"
    iw_ok "status and open lines: $f 15 s (session $idf), $s 40 s (session $ids)"

    iw_expect_logout fast yes
    iw_sleep_until $(($(iw_last_input slow) + 30000))
    iw_check "$s is still connected 30 s after its last input" iw_tmux_is_alive slow
    iw_tmux_has_text slow 'Press any key' && iw_fail "$s was warned before 35 s of idleness"
    iw__p_no_end_for "$ids" "$s"
    iw_ok "$s: connected and unwarned after 30 s idle, while $f was ended"

    IW_IDLE=40 iw_expect_logout slow yes
    local line pair user id rule
    for pair in "$f:$idf:fast" "$s:$ids:slow"; do
        IFS=: read -r user id rule <<<"$pair"
        iw_audit_wait 15 "$(iw_kv event terminate)" "$(iw_kv session "$id")" "$(iw_kv user "$user")" ||
            iw_fail "no terminate line for $user"
        line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | tail -n1)
        [[ $(iw_audit_field "$line" rule) == *"$rule"* ]] ||
            iw_fail "the terminate line of $user does not name rule \"$rule\": $line"
        iw_ok "terminate names the rule: $line"
    done
    iw_check "daemon still running" iw_daemon_alive
}

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

# A `services` rule: the sshd service gets a 40 s idle_timeout, `login` keeps the 15 s default. The same user,
# logged in both ways and idle in both: the login session is ended on the 15 s schedule; the ssh session is
# still connected and unwarned 30 s after its last input.
# It changes a pam.d file of the system for a while: one such test at a time.
# iw: lock etc-pam.d
test_policy_services_rule_sets_a_service_timeout() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__p_root_pane con
    iw_own_ssh_setup '[[rule]]' 'name = "ssh-long"' "services = [\"$IW_SSHD_SERVICE\"]" \
        'idle_timeout = "40s"' 'warn_before = "5s"'
    iw_pam_append login "$(iw_module_line)"
    iw_tmux_new ssh "$(iw_ssh_cmd "$a")"
    iw_tmux_mark ssh
    iw__p_login con "$a"
    iw_wait_sessions 2 10 "$a" || iw_fail "expected an ssh and a login session of $a: $(iw_status --json)"
    local ids idl
    ids=$(iw_sessions_of "$a" | awk -F'\t' -v s="$IW_SSHD_SERVICE" '$4 == s { print $1 }')
    idl=$(iw_sessions_of "$a" | awk -F'\t' '$4 == "login" { print $1 }')
    [[ -n $ids && -n $idl ]] || iw_fail "cannot find the ssh and login sessions: $(iw_sessions_of "$a")"
    local limits
    limits=$(iw_status_value "$a" idle_timeout_seconds | sort | tr '\n' ' ')
    iw_log "idle_timeout_seconds per session: $limits"
    [[ $(iw_status_value "$a" idle_timeout_seconds | awk -F'\t' -v i="$ids" '$1 == i { print $2 }') == 40 ]] ||
        iw_fail "the ssh session's limit is not 40 s: $limits"
    [[ $(iw_status_value "$a" idle_timeout_seconds | awk -F'\t' -v i="$idl" '$1 == i { print $2 }') == 15 ]] ||
        iw_fail "the login session's limit is not 15 s: $limits"
    iw_audit_wait 5 "$(iw_kv event open)" "$(iw_kv session "$ids")" "$(iw_kv idle_timeout 40s)" ||
        iw_fail "the ssh session's open line lacks idle_timeout=40s: $(iw_audit "$(iw_kv event open)")"
    iw_ok "ssh session $ids: 40 s (rule ssh-long); login session $idl: 15 s"

    iw__p_expect_end con "$idl" "$a"
    iw_sleep_until $(($(iw_last_input ssh) + 30000))
    iw_check "the ssh session is still connected 30 s after its last input" iw_tmux_is_alive ssh
    iw_tmux_has_text ssh 'Press any key' && iw_fail "the ssh session was warned before 35 s of idleness"
    iw__p_no_end_for "$ids" "$a"
    iw_ok "the ssh session lives on its 40 s limit"
}

# max_session = 25s (a rule for the user): a session with a key pressed every 3 s (never idle) is warned about
# its maximum length and ended ~25 s after it opened, with reason=max-session in the terminate line and the
# farewell naming the maximum length.
test_policy_max_session_ends_an_active_session() {
    local a=iwtest-$IW_ID-a max=25
    iw_mkuser "$a"
    iw_own_ssh_setup '[[rule]]' 'name = "capped"' "users = [\"$a\"]" "max_session = \"${max}s\""
    local start
    start=$(iw_now_ms)
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local id warn_at='' gone_at='' now limit=$((start + (max + IW_MAX_LATE + 5) * 1000))
    id=$(iw__p_session_id "$a")
    while :; do
        now=$(iw_now_ms)
        if iw_tmux_is_dead s1; then gone_at=$now; break; fi
        ((now > limit)) && break
        [[ -z $warn_at ]] && iw_tmux_has_text s1 'maximum' && warn_at=$now
        iw_tmux_keys s1 Space BSpace 2>/dev/null
        sleep 3
    done
    iw_log "pane: $(iw__pane_tail s1)"
    [[ -n $gone_at ]] || iw_fail "the typing session was not ended within $((max + IW_MAX_LATE + 5)) s of its start"
    iw_measure "pane=s1 max_session_s=$max ended_after_start_s=$(iw_secs $((gone_at - start))) warned_after_start_s=$([[ -n $warn_at ]] && iw_secs $((warn_at - start)) || echo -)"
    ((gone_at - start >= (max - 1) * 1000)) || iw_fail "ended $(iw_secs $((gone_at - start))) s after start, before max_session"
    ((gone_at - start <= (max + IW_MAX_LATE) * 1000)) || iw_fail "ended $(iw_secs $((gone_at - start))) s after start"
    iw_ok "the active session ended $(iw_secs $((gone_at - start))) s after it started (max_session ${max}s)"
    local line
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv session "$id")" "$(iw_kv user "$a")" ||
        iw_fail "no terminate line: $(iw_audit "$(iw_kv session "$id")")"
    line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | tail -n1)
    iw_log "audit: $line"
    [[ $(iw_audit_field "$line" reason) == max-session ]] || iw_fail "reason is $(iw_audit_field "$line" reason), expected max-session"
    [[ $(iw_audit_field "$line" rule) == *capped* ]] || iw_fail "the terminate line does not name the rule capped: $line"
    local idle
    idle=$(iw_audit_field "$line" idle)
    ((${idle%.*} < IW_IDLE)) || iw_fail "idle=$idle: the session was not active, the test proves nothing"
    iw_audit "$(iw_kv event warn)" "$(iw_kv session "$id")" "$(iw_kv reason max-session)" | grep -q . ||
        iw_fail "no max-session warning was audited: $(iw_audit "$(iw_kv event warn)")"
    iw_tmux_capture s1 | grep -i idlewarden | grep -qi 'maximum' ||
        iw_fail "the pane shows no idlewarden notice about the maximum length"
    iw_ok "warned and ended with reason=max-session while active (idle=$idle)"
}

# keepalive: the owner running `idlewarden keepalive` every 5 s (no key pressed) keeps an idle ssh session
# connected and unwarned for 30 s (twice idle_timeout), each call audited as event=keepalive; another user
# is refused (exit status, event=keepalive result=refused), with and without --session. Then, with only
# `idlewarden status` run by the owner every 2 s (never activity), the session is ended 15 s after the last
# keepalive.
test_policy_keepalive_by_owner_works_by_other_refused() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw_own_ssh_setup
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local id out rc end last=''
    id=$(iw__p_session_id "$a")
    end=$(($(iw_last_input s1) + 30000))
    while (($(iw_now_ms) < end)); do
        out=$(iw__p_as "$a" keepalive --socket "$IW_SOCK" 2>&1)
        rc=$?
        ((rc == 0)) || iw_fail "keepalive by the owner failed (status $rc): $out"
        last=$(iw_now_ms)
        iw_tmux_is_alive s1 || iw_fail "the session was ended although its owner kept it alive"
        sleep 5
    done
    iw_log "last keepalive said: $out"
    iw_check "still connected 30 s after the last key press" iw_tmux_is_alive s1
    iw_tmux_has_text s1 'Press any key' && iw_fail "the kept-alive session was warned"
    iw__p_no_end_for "$id" "$a"
    local n
    n=$(iw_audit_count "$(iw_kv event keepalive)" "$(iw_kv session "$id")" "$(iw_kv sender_uid "$(id -u "$a")")")
    ((n >= 5)) || iw_fail "expected >= 5 keepalive audit lines for session $id, found $n: $(iw_audit "$(iw_kv event keepalive)")"
    iw_audit "$(iw_kv event keepalive)" "$(iw_kv session "$id")" | grep -q 'result=refused' &&
        iw_fail "an owner's keepalive was audited as refused"
    iw_ok "$n keepalives by the owner audited; no warning in 30 s"

    local args
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

    iw__set_last_input s1 "$last"
    (while :; do iw_status --as "$a" >/dev/null 2>&1; sleep 2; done) &
    local poller=$!
    iw_defer kill "$poller"
    iw_expect_logout s1 yes
    kill "$poller" 2>/dev/null
    iw_ok "without keepalive (status polled by the owner every 2 s) the session ended on schedule"
}

# A broken config (a bad duration on one line, and idle_timeout raised to 300 s elsewhere) sent with SIGHUP is
# refused as a whole: event=config-error names FILE:LINE and the key, `idlewarden reload` exits non-zero with the
# same error, and the session is still warned and ended on the old 15 s schedule.
test_policy_sighup_broken_config_keeps_old_limits() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_own_ssh_setup
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local good=$IW_T/good.conf bad_line
    cp "$IW_CONFIG" "$good"
    sed -i -e 's/^idle_timeout = .*/idle_timeout = "300s"/' -e 's/^grace = .*/grace = "3x"/' "$IW_CONFIG"
    bad_line=$(grep -n '^grace = "3x"' "$IW_CONFIG" | cut -d: -f1)
    [[ -n $bad_line ]] || iw_fail "could not write the broken config"
    cp "$IW_CONFIG" "$IW_TLOG/broken.conf"
    kill -HUP "$IW_DAEMON_PID"
    local re
    re="$(iw_regex_escape "$IW_CONFIG"):$bad_line:[0-9]+: grace:"
    iw_audit_wait 10 "$(iw_kv event config-error)" "$re" ||
        iw_fail "no event=config-error naming $IW_CONFIG:$bad_line and grace: $(iw_audit | tail -n 3)"
    iw_ok "audited: $(iw_audit "$(iw_kv event config-error)" | tail -n1)"
    iw_audit "$(iw_kv event config-reload)" | grep -q . && iw_fail "a config-reload was audited for the broken file"
    local out rc
    out=$(timeout 15 "$IW_BIN" reload --socket "$IW_SOCK" 2>&1)
    rc=$?
    iw_log "idlewarden reload (broken file): status $rc: $out"
    ((rc != 0)) || iw_fail "idlewarden reload exited 0 for a broken config"
    grep -qE "$re" <<<"$out" || iw_fail "idlewarden reload does not print FILE:LINE:COLUMN: grace: ...: $out"
    iw_ok "reload refused the file (status $rc) and named $IW_CONFIG:$bad_line"
    iw_check "daemon still running" iw_daemon_alive
    iw_expect_logout s1 yes
    iw_ok "the old 15 s limit stayed in force"
}

# A valid reload shortens idle_timeout from 60 s to 15 s, 26 s into the session's idleness (past the new
# limit): the session is not ended at once; it is warned first and ended no sooner than warn_before later.
test_policy_reload_shortens_limit_with_a_warning_first() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    IW_IDLE=60 iw_own_ssh_setup
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local id t0
    id=$(iw__p_session_id "$a")
    t0=$(iw_last_input s1)
    iw_sleep_until $((t0 + 26000))
    iw_tmux_has_text s1 'Press any key' && iw_fail "warned before the reload (limit 60 s)"
    iw_own_config # the short test policy: idle_timeout 15 s, warn_before 5 s
    local out rc reload_at
    reload_at=$(iw_now_ms)
    out=$(timeout 15 "$IW_BIN" reload --socket "$IW_SOCK" 2>&1)
    rc=$?
    ((rc == 0)) || iw_fail "idlewarden reload failed (status $rc): $out"
    iw_ok "reload: $out"
    iw_audit_wait 5 "$(iw_kv event config-reload)" || iw_fail "no event=config-reload"
    iw_watch_warned_and_gone s1 $((reload_at + (IW_WARN + IW_MAX_LATE + 5) * 1000))
    local warn_at=$IW_WARN_AT gone_at=$IW_GONE_AT
    [[ -n $gone_at ]] || iw_fail "not ended within $((IW_WARN + IW_MAX_LATE + 5)) s of the reload"
    [[ -n $warn_at ]] || iw_fail "ended without a warning after the limit was shortened"
    iw_measure "pane=s1 warned_after_reload_s=$(iw_secs $((warn_at - reload_at))) ended_after_warning_s=$(iw_secs $((gone_at - warn_at))) ended_after_reload_s=$(iw_secs $((gone_at - reload_at)))"
    ((warn_at - reload_at <= 5000)) || iw_fail "the warning came $(iw_secs $((warn_at - reload_at))) s after the reload (overdue: expected at once)"
    ((gone_at - warn_at >= (IW_WARN - 1) * 1000)) ||
        iw_fail "ended $(iw_secs $((gone_at - warn_at))) s after the warning: less than warn_before ($IW_WARN s)"
    iw_ok "warned $(iw_secs $((warn_at - reload_at))) s after the reload, ended $(iw_secs $((gone_at - warn_at))) s after the warning"
    local line
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv session "$id")" || iw_fail "no terminate line"
    line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | tail -n1)
    [[ $(iw_audit_field "$line" idle_timeout) == 15s ]] || iw_fail "terminate line shows the old limit: $line"
    iw_ok "audited: $line"
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
# end=leader. The other user (end = "session") is ended with end=session and its nohup job is killed.
# What happens to that user's detached tmux server is logged (see the report in the test log).
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
    local ltmux lstart stmux sstart snohup snohup_start lnohup
    ltmux=$(pgrep -u "$l" -f '^tmux -L x' | head -n1)
    stmux=$(pgrep -u "$s" -f '^tmux -L x' | head -n1)
    snohup=$(pgrep -u "$s" -f '^sleep 1001' | head -n1)
    lnohup=$(pgrep -u "$l" -f '^sleep 1001' | head -n1)
    lstart=$(iw_proc_start "$ltmux")
    sstart=$(iw_proc_start "$stmux")
    snohup_start=$(iw_proc_start "$snohup")
    [[ -n $lstart && -n $sstart && -n $snohup_start ]] || iw_fail "could not find the processes: $(iw_user_procs "$l"; iw_user_procs "$s")"
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
    iw_same_proc "$snohup" "$snohup_start" && iw_fail "the nohup job of $s (end = session) survived"
    iw_ok "$s: the nohup job of the session was ended (end = session reaches every process of the session)"
    # The tmux server daemonized out of the login's process tree; its audit session (pam_loginuid) still names it.
    iw_same_proc "$stmux" "$sstart" && iw_fail "the detached tmux server of $s (end = session) survived"
    iw_ok "$s: the detached tmux server was ended too (end = session, found by its audit session id)"
    [[ -n $lnohup ]] && iw_log "note: the nohup job of $l (end = leader) is $(kill -0 "$lnohup" 2>/dev/null && echo alive || echo gone)"
}
iw__p_has_proc() { pgrep -u "$1" -f "^$2" >/dev/null; }

# scope = "user": key presses in one of a user's two ssh sessions keep the other (idle) one connected and
# unwarned for 40 s; when both are idle both are ended, on the schedule of the last input in either.
test_policy_scope_user_typing_in_one_keeps_the_other() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_own_ssh_setup 'scope = "user"'
    iw_tmux_new busy "$(iw_ssh_cmd "$a")"
    iw_tmux_new idle "$(iw_ssh_cmd "$a")"
    iw_tmux_mark busy
    iw_tmux_mark idle
    iw_wait_sessions 2 10 "$a" || iw_fail "expected two sessions of $a: $(iw_status --json)"
    local idi
    # Which id is the idle pane's: the one whose terminals include its tty.
    local tty_idle
    tty_idle=$(iw_tmux_tty idle)
    iw_tmux_mark busy
    iw__set_last_input idle "$(iw_now_ms)"
    iw_wait_until 15 iw__p_has_terminal "$a" "$tty_idle" || iw_fail "no session of $a watches $tty_idle: $(iw_sessions_of "$a")"
    idi=$(iw_sessions_of "$a" | awk -F'\t' -v t="$tty_idle" '("," $10 ",") ~ ("," t ",") { print $1 }')
    iw_log "the idle pane ($tty_idle) is session $idi"
    iw_keep_typing 40 busy idle
    iw_ok "typing in the other session kept session $idi connected for 40 s"
    iw_tmux_has_text idle 'Press any key' && iw_fail "the idle session was warned although its user was typing elsewhere"
    iw__p_no_end_for "$idi" "$a"
    iw__set_last_input idle "$(iw_last_input busy)"
    iw_expect_logout idle yes
    iw_tmux_wait_dead busy 15 || iw_fail "the other session was not ended with it"
    iw_ok "both idle sessions ended"
}
iw__p_state_is() { [[ $(iw_sessions_of "$1" | cut -f8) == "$2" ]]; }
iw__p_has_terminal() { iw_sessions_of "$1" | awk -F'\t' -v t="$2" '("," $10 ",") ~ ("," t ",") { f = 1 } END { exit !f }'; }

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
    local dms=$((d * 1000)) now
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
    grep -qE "^idle_timeout = 40m +\(rule 2 \"ops\" \(line $line_ops\)\)" <<<"$out" ||
        iw_fail "explain does not say idle_timeout = 40m from rule 2 \"ops\" (line $line_ops)"
    grep -qE "^warn_before = 2m +\(rule 2 \"ops\"" <<<"$out" || iw_fail "explain: warn_before not from rule ops"
    grep -qE "^grace = 3s +\(config top level\)" <<<"$out" || iw_fail "explain: grace not from the top level"
    iw_ok "explain $u: idle_timeout from rule 2 \"ops\" (line $line_ops)"
    out=$("$IW_BIN" explain "$o" --config "$IW_CONFIG" 2>&1) || iw_fail "explain $o failed: $out"
    printf '%s\n' "$out"
    grep -qE "^idle_timeout = ${IW_IDLE}s +\(config top level\)" <<<"$out" || iw_fail "explain $o: idle_timeout not from the top level"
    out=$("$IW_BIN" explain "$o" --config "$IW_CONFIG" --arg idle_timeout=30m 2>&1) || iw_fail "explain --arg failed: $out"
    grep -qE "^idle_timeout = 30m +\(module argument idle_timeout=30m\)" <<<"$out" ||
        iw_fail "explain $o --arg idle_timeout=30m: $out"
    out=$("$IW_BIN" explain "$u" --config "$IW_CONFIG" --arg idle_timeout=30m 2>&1) || iw_fail "explain --arg failed: $out"
    grep -qE "^idle_timeout = 40m +\(rule 2 \"ops\"" <<<"$out" || iw_fail "a module argument won over the rule: $out"
    iw_ok "module argument used when no rule sets the key, and not over a rule"
    out=$("$IW_BIN" explain "$o" --config "$IW_CONFIG" --service login --tty ttyS0 2>&1) || iw_fail "explain --tty failed: $out"
    printf '%s\n' "$out"
    grep -qE "^exempt = true.*\(rule 1 \"serial\" \(line $line_serial\)\)" <<<"$out" ||
        iw_fail "explain --tty ttyS0 does not say exempt by rule 1 \"serial\" (line $line_serial)"
    out=$("$IW_BIN" explain "$o" --config "$IW_CONFIG" --service login --tty pts/3 2>&1)
    grep -qE "^exempt = false" <<<"$out" || iw_fail "explain --tty pts/3 is exempt: $out"
    iw_ok "the ttys rule exempts ttyS0 and not pts/3"
    "$IW_BIN" explain "iwtest-$IW_ID-nosuchuser" --config "$IW_CONFIG" >/dev/null 2>&1 && iw_fail "explain of an unknown user exits 0"
    iw_ok "explain of an unknown user fails"
}

# The example config in the repository passes check-config (exit 0, warnings about absent groups allowed);
# a file with several errors gives one FILE:LINE:COLUMN: KEY: MESSAGE line for each (unknown key with a
# did-you-mean, a bare number as a duration, a bad unit, a bad choice, an idle_timeout under 60 s) and exits
# non-zero; a missing file is an error too.
test_policy_check_config_example_ok_broken_file_located() {
    local example=$IW_ROOT/etc/idlewarden.conf out rc
    [[ -f $example ]] || iw_fail "no example config at $example"
    out=$("$IW_BIN" check-config "$example" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    ((rc == 0)) || iw_fail "check-config rejects the example config $example (status $rc)"
    grep -qF "$example: OK" <<<"$out" || iw_fail "check-config does not say OK"
    iw_ok "the example config passes check-config"

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
