# shellcheck shell=bash
# End-to-end tests of what counts as input (issue 14, items 1 and 4), as the policed user on a real sshd: forged
# terminal times (utimensat), a terminal opened late in a session that had none, and what the host lets a user
# inject (TIOCSTI). Policy: lib.sh's short one (idle_timeout 15 s, warn_before 5 s, grace 3 s).

# iw__in_ssh_login USER PANE [SSH OPTIONS...] — config, daemon and sshd (first call), an ssh login of USER in tmux
# pane PANE; sets IW_IN_ID (its session id) and IW_IN_OPEN (ms, just before the login).
iw__in_ssh_login() {
    local user=$1 pane=$2; shift 2
    [[ -n ${IW_SSH_PORT:-} ]] || iw_own_ssh_setup
    IW_IN_OPEN=$(iw_now_ms)
    iw_tmux_new "$pane" "$(iw_ssh_cmd "$user" "$@")"
    iw_wait_sessions 1 15 "$user" || iw_fail "the ssh login of $user is not in status: $(iw_status --json)"
    IW_IN_ID=$(iw_sessions_of "$user" | cut -f1)
    iw_log "session $IW_IN_ID: $(iw_sessions_of "$user")"
}
# iw__in_watched USER — wait until the daemon has found the session's terminal (its first look, 1 s after the open):
# what a terminal shows at that look is its baseline, so a forgery made before it is never seen as one.
iw__in_watched() {
    iw_wait_until 15 iw__in_has_terminal "$1" || iw_fail "no terminal found for $1: $(iw_sessions_of "$1")"
}
iw__in_has_terminal() { [[ $(iw_sessions_of "$1" | cut -f10) == /dev/* ]]; }

# iw__in_expect_ended PANE ID USER FIRST_MS LAST_MS — the pane is disconnected (warned first, in the audit trail)
# no earlier than idle_timeout after FIRST_MS (the last input the daemon can have counted) and no later than the
# bound after LAST_MS (the user's last real key press): forged times kept nothing alive. Records the lateness
# against LAST_MS.
iw__in_expect_ended() {
    local pane=$1 id=$2 user=$3 first=$4 last=$5
    local limit=$((last + (IW_IDLE + IW_MAX_LATE + 5) * 1000))
    iw_wait_until $(((limit - $(iw_now_ms)) / 1000 + 1)) iw_tmux_is_dead "$pane" ||
        iw_fail "$pane was not logged out within $(iw_secs $((limit - last))) s of its last key press: $(iw_audit "$(iw_kv session "$id")")"
    local ended
    ended=$(iw_now_ms)
    iw_measure "pane=$pane lateness_s=$(iw_secs $((ended - last - IW_IDLE * 1000))) (vs the last key press)"
    ((ended - first >= (IW_IDLE - 1) * 1000)) ||
        iw_fail "$pane ended $(iw_secs $((ended - first))) s after its first possible last input: before idle_timeout"
    ((ended - last <= (IW_IDLE + IW_MAX_LATE) * 1000)) ||
        iw_fail "$pane ended $(iw_secs $((ended - last - IW_IDLE * 1000))) s after idle_timeout from its last key press"
    iw_ok "$pane logged out $(iw_secs $((ended - last))) s after its last key press"
    iw_audit_wait 15 "$(iw_kv event terminate)" "$(iw_kv session "$id")" "$(iw_kv reason idle)" ||
        iw_fail "no 'event=terminate session=$id reason=idle': $(iw_audit "$(iw_kv session "$id")")"
    iw_audit "$(iw_kv event warn)" "$(iw_kv session "$id")" | grep -q . ||
        iw_fail "session $id was ended without a warning: $(iw_audit "$(iw_kv session "$id")")"
    iw_ok "audited: $(iw_audit "$(iw_kv event warn)" "$(iw_kv session "$id")" | tail -n1)"
    iw_ok "audited: $(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | tail -n1)"
}

# iw__in_forged_once ID TTY REASON — exactly one event=forged-input for the session, on its terminal, for REASON.
iw__in_forged_once() {
    local id=$1 tty=$2 reason=$3 n line
    iw_audit_wait 10 "$(iw_kv event forged-input)" "$(iw_kv session "$id")" ||
        iw_fail "no 'event=forged-input session=$id': $(iw_audit "$(iw_kv session "$id")")"
    n=$(iw_audit_count "$(iw_kv event forged-input)" "$(iw_kv session "$id")")
    ((n == 1)) || iw_fail "expected one forged-input line for session $id, got $n: $(iw_audit "$(iw_kv event forged-input)")"
    line=$(iw_audit "$(iw_kv event forged-input)" "$(iw_kv session "$id")")
    [[ $(iw_audit_field "$line" terminal) == "$tty" && $(iw_audit_field "$line" reason) == "$reason" &&
        $(iw_audit_field "$line" counted) == no ]] || iw_fail "forged-input line does not say $tty $reason counted=no: $line"
    iw_ok "audited once: $line"
}

# ---------------------------------------------------------------------------------------------------------------

# `touch -a "$(tty)"` every 3 s in the background (the attack of issue 14): the session is still warned and ended
# within its bounds, and event=forged-input is audited exactly once (the loop's times have a fraction of a second,
# which no read of a terminal stores). The forged times also hide the key presses made since the daemon's previous
# look, so the end may come up to that much before idle_timeout after the last key press, never before
# idle_timeout after the login.
test_input_touch_loop_keeps_nothing_alive() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__in_ssh_login "$a" s1
    iw__in_watched "$a"
    local tty
    tty=$(iw_tmux_tty s1)
    iw_tmux_type s1 't=$(tty); (while :; do touch -a "$t"; sleep 3; done) &'
    local last
    last=$(iw_now_ms)
    iw_tmux_wait_text s1 '^\[1\] [0-9]+' 10 || iw_fail "the touch loop did not start: $(iw__pane_tail s1)"
    iw_log "touch loop running on $tty: $(iw_user_procs "$a" | grep -c 'sleep 3') sleep(s)"
    iw__in_expect_ended s1 "$IW_IN_ID" "$a" "$IW_IN_OPEN" "$last"
    iw__in_forged_once "$IW_IN_ID" "$tty" fractional-time
    iw_wait_until 20 iw_no_user_procs "$a" || iw_fail "processes of $a remain (the loop?): $(iw_user_procs "$a")"
    iw_ok "the touch loop ended with the session"
}

# One `touch -a -d 2099-01-01 "$(tty)"`: status does not show the session as used now (idle grows, the next deadline
# is seconds away, not 26,000 days), the session is warned and ended within its bounds, event=forged-input
# (reason=future-time) is audited once.
test_input_atime_in_2099_is_not_input() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__in_ssh_login "$a" s1
    iw__in_watched "$a"
    local tty
    tty=$(iw_tmux_tty s1)
    iw_tmux_type s1 'touch -a -d 2099-01-01 "$(tty)" && stat -c iwatime=%X "$(tty)"'
    local last
    last=$(iw_now_ms)
    iw_tmux_wait_text s1 'iwatime=4070908800' 10 || iw_fail "the touch did not take: $(iw__pane_tail s1)"
    iw_wait_until $((IW_IDLE - IW_WARN + IW_MAX_LATE)) iw__in_status_warned "$a" || iw_fail "not warned: $(iw_sessions_of "$a")"
    local line idle next now
    line=$(iw_sessions_of "$a")
    idle=$(cut -f11 <<<"$line")
    next=$(cut -f12 <<<"$line")
    now=$(date +%s)
    iw_log "status while warned: $line"
    ((idle >= IW_IDLE - IW_WARN - 1)) || iw_fail "status says idle $idle s after a forged atime in 2099"
    ((next <= now + IW_WARN + 1)) || iw_fail "status says the next deadline is $((next - now)) s away"
    iw_ok "status: idle $idle s, next deadline in $((next - now)) s"
    iw__in_expect_ended s1 "$IW_IN_ID" "$a" "$IW_IN_OPEN" "$last"
    iw__in_forged_once "$IW_IN_ID" "$tty" future-time
}
iw__in_status_warned() { [[ $(iw_sessions_of "$1" | cut -f8) == warned ]]; }

# `ssh -T` (no pty: the session has no terminal and is not idle-checked), then after 12 s `exec script -q
# /dev/null`: an interactive shell on a new pty of the user. The daemon finds it when the session next comes due
# (when a session with a terminal would be warned: idle_timeout − warn_before after the login, and every as long
# after that), audits it (event=terminals idle_check=on), warns and ends the session.
test_input_terminal_opened_late_is_found_and_ended() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__in_ssh_login "$a" s1 -T
    iw_tmux_type s1 'echo iwnotty-$(tty >/dev/null && echo tty || echo none)'
    iw_tmux_wait_text s1 'iwnotty-none' 10 || iw_fail "the ssh -T shell does not answer: $(iw__pane_tail s1)"
    iw_wait_until 15 iw__in_state_is "$a" no-tty || iw_fail "the ssh -T session did not settle as no-tty: $(iw_sessions_of "$a")"
    iw_ok "status: $(iw_sessions_of "$a")"
    iw_sleep_until $((IW_IN_OPEN + 12000))
    iw_tmux_type s1 'exec script -q /dev/null'
    local script_at
    script_at=$(iw_now_ms)
    iw_tmux_type s1 'echo iwpty=$(tty)'
    iw_tmux_wait_text s1 'iwpty=/dev/pts/[0-9]+' 10 || iw_fail "script gave no pty: $(iw__pane_tail s1)"
    local pty
    pty=$(iw_tmux_capture s1 | grep -oE 'iwpty=/dev/pts/[0-9]+' | tail -n1 | cut -d= -f2)
    local last
    last=$(iw_now_ms)
    iw_log "script's shell is on $pty"
    iw_audit_wait $((IW_IDLE + IW_MAX_LATE)) "$(iw_kv event terminals)" "$(iw_kv session "$IW_IN_ID")" \
        "$(iw_kv terminals "$pty")" "$(iw_kv idle_check on)" ||
        iw_fail "the late pty $pty was not found: $(iw_audit "$(iw_kv session "$IW_IN_ID")")"
    iw_ok "audited: $(iw_audit "$(iw_kv event terminals)" "$(iw_kv session "$IW_IN_ID")" | tail -n1)"
    local found
    found=$(iw_now_ms)
    ((found - script_at <= (IW_IDLE - IW_WARN + 3) * 1000)) ||
        iw_fail "the pty was found $(iw_secs $((found - script_at))) s after it appeared (bound: idle_timeout - warn_before)"
    iw__in_expect_ended s1 "$IW_IN_ID" "$a" "$IW_IN_OPEN" "$last"
    iw_wait_until 20 iw_no_user_procs "$a" || iw_fail "processes of $a remain: $(iw_user_procs "$a")"
}
iw__in_state_is() { [[ $(iw_sessions_of "$1" | cut -f8) == "$2" ]]; }

# Where the kernel lets a process push input into its own terminal (TIOCSTI: dev.tty.legacy_tiocsti = 1, or a
# kernel without that setting), the daemon says so once at start (event=host-notice topic=tiocsti) and
# `check-config` prints a host notice naming the setting, after a clean config's OK line and without counting it as a
# warning; where it is 0, neither says anything.
test_input_tiocsti_is_named_at_start_and_in_check_config() {
    local setting=absent
    [[ -r /proc/sys/dev/tty/legacy_tiocsti ]] && setting=$(cat /proc/sys/dev/tty/legacy_tiocsti)
    iw_log "dev.tty.legacy_tiocsti: $setting"
    iw_own_config
    iw_own_daemon_start
    local clean=$IW_T/clean.conf out rc=0
    printf '%s\n' 'idle_timeout = "15m"' 'warn_before = "1m"' >"$clean"
    out=$("$IW_BIN" check-config "$clean" 2>&1) || rc=$?
    printf '%s\n' "$out" | sed 's/^/  check-config: /'
    ((rc == 0)) || iw_fail "check-config failed on a clean config (status $rc)"
    grep -qi 'warning' <<<"$out" && iw_fail "check-config printed a warning for a clean config"
    if [[ $setting == 0 ]]; then
        grep -q 'host notice' <<<"$out" && iw_fail "check-config names TIOCSTI although dev.tty.legacy_tiocsti = 0"
        sleep 1
        iw_audit "$(iw_kv event host-notice)" | grep -q . && iw_fail "the daemon named TIOCSTI although it is off"
        iw_ok "TIOCSTI is restricted: no notice"
        return 0
    fi
    grep -q '^host notice: .*dev.tty.legacy_tiocsti = 0' <<<"$out" ||
        iw_fail "check-config does not name dev.tty.legacy_tiocsti = 0"
    iw_ok "check-config: $(grep '^host notice' <<<"$out")"
    iw_audit_wait 10 "$(iw_kv event host-notice)" "$(iw_kv topic tiocsti)" "$(iw_kv setting "$setting")" \
        "$(iw_kv fix "dev.tty.legacy_tiocsti = 0")" || iw_fail "no host-notice audit line at start: $(iw_audit | tail -n 3)"
    iw_ok "audited: $(iw_audit "$(iw_kv event host-notice)" | tail -n1)"
}
