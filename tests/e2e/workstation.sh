# shellcheck shell=bash
# End-to-end tests of shared workstations (issue 18): `idlewarden inhibit` holding a real ssh session, the policy
# that bounds it (allow_inhibit, max_inhibit), and a user who tries to hold a session that is not theirs. Each test
# has its own users, daemon and sshd; the idle limit is 30 s (warning 10 s before), as the issue asks.

# iw__w_setup [TOML LINES...] — 30 s idle limit, 10 s warning; config, daemon and sshd; the binary users may run.
iw__w_setup() {
    IW_IDLE=30
    IW_WARN=10
    iw_own_ssh_setup "$@"
    iw__user_bin
}

# iw__w_inhibit PANE ARGS... — types `idlewarden inhibit ARGS` in the pane's shell, then `echo IW-RC=$?`.
iw__w_inhibit() {
    local pane=$1; shift
    iw_tmux_type "$pane" "$IW_T/bin/idlewarden inhibit --socket $IW_SOCK $*; echo IW-RC=\$?"
}

# iw__w_terminated ID USER — the idle end of session ID is audited (terminate reason=idle, then close).
iw__w_terminated() {
    iw_audit_wait 15 "$(iw_kv event terminate)" "$(iw_kv session "$1")" "$(iw_kv user "$2")" "$(iw_kv reason idle)" ||
        iw_fail "no 'event=terminate session=$1 reason=idle' line: $(iw_audit | tail -n 5)"
    iw_audit_wait 15 "$(iw_kv event close)" "$(iw_kv session "$1")" ||
        iw_fail "no 'event=close session=$1' line: $(iw_audit | tail -n 5)"
    iw_ok "audited: $(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$1")" | tail -n1)"
}

# iw__w_status_inhibitors USER — "STATE<TAB>PID<TAB>WHY<TAB>HOLDING" of USER's session, from status --json.
iw__w_status_inhibitors() {
    local out
    out=$(iw_status --json) || return 1
    printf '%s' "$out" | "$IW_PY" -c '
import json, sys
for s in json.load(sys.stdin):
    if s["user"] == sys.argv[1]:
        for h in s["inhibitors"] or [{"pid": "-", "why": "-", "holding": "-"}]:
            print("\t".join(str(x) for x in (s["state"], h["pid"], h["why"], h["holding"])))
' "$1"
}

# A user's `idlewarden inhibit --why "nightly build" -- sleep 60` in an ssh session with a 30 s idle limit: the
# session is neither warned nor ended while sleep runs (status: inhibited, the pid and the reason); the hold is
# audited at its start and end with the reason; when the command ends (exit status 0 passed on) the idle clock
# runs from then: warned and logged out 30 s later, within the usual bounds.
test_workstation_inhibit_holds_until_the_command_ends() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__w_setup
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local id started
    id=$(iw_sessions_of "$a" | cut -f1)
    iw__w_inhibit s1 --why "'nightly build'" -- sleep 60
    started=$(iw_now_ms)
    iw_audit_wait 10 "$(iw_kv event inhibit)" "$(iw_kv session "$id")" "$(iw_kv result started)" ||
        iw_fail "no 'event=inhibit result=started' line: $(iw_audit | tail -n 3)"
    local line
    line=$(iw_audit "$(iw_kv event inhibit)" "$(iw_kv result started)" | tail -n1)
    [[ $(iw_audit_field "$line" why) == "nightly build" ]] || iw_fail "the start line lacks why=\"nightly build\": $line"
    iw_ok "audited: $line"
    iw_wait_until 5 eval '[[ $(iw__w_status_inhibitors "$a" | cut -f1) == inhibited ]]' ||
        iw_fail "status does not say inhibited: $(iw__w_status_inhibitors "$a")"
    line=$(iw__w_status_inhibitors "$a")
    [[ $(cut -f3 <<<"$line") == "nightly build" && $(cut -f4 <<<"$line") == True ]] ||
        iw_fail "status does not show the hold and its reason: $line"
    iw_status | grep -q "held by pid $(cut -f2 <<<"$line") .*: nightly build" ||
        iw_fail "the status table does not show the hold: $(iw_status)"
    iw_ok "status: $line"

    # Twice the idle limit would have passed by now: no warning, no end while sleep runs.
    iw_sleep_until $((started + 55000))
    iw_tmux_has_text s1 'Press any key' && iw_fail "warned while the command held the session"
    iw_check "the session is alive while the command runs" iw_tmux_is_alive s1
    iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | grep -q . && iw_fail "ended while held"
    iw_ok "not warned or ended 55 s into the hold (idle limit ${IW_IDLE} s)"

    iw_audit_wait 15 "$(iw_kv event inhibit)" "$(iw_kv session "$id")" "$(iw_kv result ended)" ||
        iw_fail "no 'event=inhibit result=ended' line after the command: $(iw_audit | tail -n 3)"
    iw__set_last_input s1 "$(iw_now_ms)"
    line=$(iw_audit "$(iw_kv event inhibit)" "$(iw_kv result ended)" | tail -n1)
    [[ $(iw_audit_field "$line" why) == "nightly build" ]] || iw_fail "the end line lacks the reason: $line"
    iw_ok "audited: $line"
    iw_tmux_wait_text s1 'IW-RC=0' 5 || iw_fail "inhibit did not exit 0 after sleep 60: $(iw__pane_tail s1)"
    iw_expect_logout s1 yes
    iw__w_terminated "$id" "$a"
}

# allow_inhibit = false for the user: `idlewarden inhibit -- sleep 60` exits 1 without running sleep, says why,
# and is audited (event=inhibit result=refused reason=allow_inhibit-false); the session is logged out on the
# schedule of its last key press. The attacks, by a second user b whose own session may be held: naming a's
# session (--session) is refused (reason=not-own-session); asking from a process outside any of b's sessions is
# refused (reason=not-in-session). Nothing was held: no event=inhibit result=started at all.
test_workstation_inhibit_refused_by_policy_and_for_others() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw__w_setup '[[rule]]' "users = [\"$a\"]" 'allow_inhibit = false'
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_new s2 "$(iw_ssh_cmd "$b")"
    iw_tmux_mark s2
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    iw_wait_sessions 1 10 "$b" || iw_fail "no session of $b in status"
    local ida
    ida=$(iw_sessions_of "$a" | cut -f1)

    iw__w_inhibit s1 --why please -- sh -c "'echo IW-RAN; sleep 60'"
    iw__set_last_input s1 "$(iw_now_ms)"
    iw_tmux_wait_text s1 'IW-RC=1' 10 || iw_fail "inhibit did not exit 1: $(iw__pane_tail s1)"
    iw_tmux_has_text s1 'allow_inhibit = false' || iw_fail "the refusal does not name the policy: $(iw__pane_tail s1)"
    iw_tmux_has_text s1 '^IW-RAN' && iw_fail "the command ran although the hold was refused"
    iw_audit_wait 5 "$(iw_kv event inhibit)" "$(iw_kv session "$ida")" "$(iw_kv result refused)" \
        "$(iw_kv reason allow_inhibit-false)" "$(iw_kv why please)" ||
        iw_fail "no 'event=inhibit result=refused reason=allow_inhibit-false' line: $(iw_audit | tail -n 3)"
    iw_ok "refused by policy: $(iw_audit "$(iw_kv event inhibit)" "$(iw_kv result refused)" | tail -n1)"

    iw__w_inhibit s2 --session "$ida" -- sleep 60
    iw_tmux_wait_text s2 'IW-RC=1' 10 || iw_fail "$b's inhibit of $a's session did not exit 1: $(iw__pane_tail s2)"
    iw_audit_wait 5 "$(iw_kv event inhibit)" "$(iw_kv session "$ida")" "$(iw_kv result refused)" \
        "$(iw_kv reason not-own-session)" "$(iw_kv sender_uid "$(id -u "$b")")" ||
        iw_fail "no 'reason=not-own-session' line for $b: $(iw_audit | tail -n 3)"
    iw_ok "$b naming $a's session: refused"

    local out rc
    out=$(timeout 10 runuser -u "$b" -- setsid "$IW_T/bin/idlewarden" inhibit --socket "$IW_SOCK" -- true 2>&1)
    rc=$?
    ((rc == 1)) || iw_fail "inhibit from outside b's sessions exited $rc: $out"
    iw_audit_wait 5 "$(iw_kv event inhibit)" "$(iw_kv result refused)" "$(iw_kv reason not-in-session)" \
        "$(iw_kv sender_uid "$(id -u "$b")")" || iw_fail "no 'reason=not-in-session' line for $b: $(iw_audit | tail -n 3)"
    iw_ok "$b from outside a session: refused ($out)"

    iw_expect_logout s1 yes
    [[ $(iw_audit_count "$(iw_kv event inhibit)" "$(iw_kv result started)") == 0 ]] ||
        iw_fail "a hold was started: $(iw_audit "$(iw_kv event inhibit)")"
    iw_ok "no hold was ever started"
}

# max_inhibit = "20s": `idlewarden inhibit -- sleep 300` holds the session for 20 s after its last key press only;
# then the idle clock runs again while sleep still runs, and the session is warned and logged out idle_timeout
# (30 s) later — 50 s after the key press, not 300 s. status shows the hold as no longer holding. Its --why text
# carries a C1 CSI and a right-to-left override (the wire refuses C0 controls; these are valid UTF-8): the status
# table shows them as \xC2\x9B and \xE2\x80\xAE, never raw, so a user's text cannot restyle root's terminal.
test_workstation_max_inhibit_caps_the_hold() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__w_setup 'max_inhibit = "20s"'
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local id typed
    id=$(iw_sessions_of "$a" | cut -f1)
    iw__w_inhibit s1 --why "\$'build\\xc2\\x9b31m\\xe2\\x80\\xaeX'" -- sleep 300
    typed=$(iw_now_ms)
    iw_audit_wait 10 "$(iw_kv event inhibit)" "$(iw_kv session "$id")" "$(iw_kv result started)" \
        "$(iw_kv max_inhibit 20s)" || iw_fail "no 'event=inhibit result=started max_inhibit=20s' line: $(iw_audit | tail -n 3)"
    local table
    table=$(iw_status)
    [[ $table == *'held by pid '*': build\xC2\x9B31m\xE2\x80\xAEX'* && $table != *$'\xc2\x9b'* &&
        $table != *$'\xe2\x80\xae'* ]] ||
        iw_fail "the status table does not escape the --why text: $(printf '%q' "$table")"
    iw_ok "status escapes the --why text: $(grep 'held by pid' <<<"$table")"
    iw_sleep_until $((typed + 30000))
    [[ $(iw__w_status_inhibitors "$a" | cut -f4) == False ]] ||
        iw_fail "30 s after the key press the hold still holds: $(iw__w_status_inhibitors "$a")"
    iw_ok "status after max_inhibit: $(iw__w_status_inhibitors "$a")"
    # The idle clock runs again from the key press + max_inhibit.
    iw__set_last_input s1 $((typed + 20000))
    iw_expect_logout s1 yes
    iw__w_terminated "$id" "$a"
}

# The site's warning text: a rule's warn_message with every placeholder, and warn_again = "4s". The idle ssh
# session's terminal shows the text filled in (user, session, idle and time left, clock time, how to stay), then
# again 4 s before the end, both audited (the second with again=yes); then the session is logged out on schedule.
test_workstation_custom_warning_text_and_warn_again() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__w_setup 'warn_again = "4s"' '[[rule]]' "users = [\"$a\"]" \
        'warn_message = "Lab notice for {user} (session {session}): idle {idle}, logout at {deadline} in {left}. {stay}."'
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a in status"
    local id
    id=$(iw_sessions_of "$a" | cut -f1)
    iw_expect_logout s1 yes
    local text
    text=$(iw_tmux_capture s1 | tr -d '\n')
    grep -qE "Lab notice for $a \\(session $id\\): idle [0-9]+s, logout at [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Z]+ in [0-9]+s\\. Press any key to stay logged in\\." <<<"$text" ||
        iw_fail "the site's text, filled in, is not on the terminal: $(iw__pane_tail s1)"
    local n
    n=$(iw_tmux_capture s1 | tr -d '\n' | grep -o "Lab notice for $a" | grep -c .)
    ((n == 2)) || iw_fail "expected the notice twice (warn_again), saw it $n times"
    iw_ok "the site's text reached the terminal twice"
    [[ $(iw_audit_count "$(iw_kv event warn)" "$(iw_kv session "$id")" "$(iw_kv again yes)") == 1 ]] ||
        iw_fail "no 'event=warn again=yes' line: $(iw_audit "$(iw_kv event warn)")"
    iw_ok "audited: $(iw_audit "$(iw_kv event warn)" "$(iw_kv again yes)" | tail -n1)"
    iw__w_terminated "$id" "$a"
}
