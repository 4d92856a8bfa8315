# shellcheck shell=bash
# End-to-end tests of the daemon's registry, `status`, the audit log and the control socket's checks (issue 4).
# Run by tests/run.sh (each test_* in its own bash process, after sourcing lib.sh); as root, on the real thing:
# the built module in a real pam.d service (pamtester, sshd), rsyslogd writing authpriv to /var/log/auth.log.

# A session opened with pamtester is in `status` (JSON and table) with the right fields, root sees it, its user
# sees it, another user does not; close_session removes it; open and close audit lines reach auth.log.
test_daemon_pamtester_session_in_status_and_audited() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw_daemon_start
    iw_pamtester_service "$service"
    iw_pamtester_hold one "$service" "$a" -I tty=iwtest-tty -I rhost=192.0.2.7

    iw_wait_sessions 1 10 "$a" || iw_fail "status does not list the session of $a: $(iw_status --json)"
    local line id user uid svc tty rhost pid state
    line=$(iw_sessions_of "$a")
    iw_log "status: $line"
    IFS=$'\t' read -r id user uid svc tty rhost pid state _ <<<"$line"
    [[ $uid == "$(id -u "$a")" ]] || iw_fail "uid is $uid, expected $(id -u "$a")"
    [[ $svc == "$service" ]] || iw_fail "service is $svc, expected $service"
    [[ $tty == iwtest-tty ]] || iw_fail "tty is $tty, expected iwtest-tty"
    [[ $rhost == 192.0.2.7 ]] || iw_fail "rhost is $rhost, expected 192.0.2.7"
    [[ $pid == "$IW_PT_PID_one" ]] || iw_fail "pid is $pid, expected pamtester's $IW_PT_PID_one"
    [[ $state =~ ^(active|pending|no-tty)$ ]] || iw_fail "state is $state, expected active, pending or no-tty"
    iw_ok "status --json: session $id of $a, service $svc, tty $tty, rhost $rhost, pid $pid, state $state"
    local keys_error
    keys_error=$(iw_status_keys_check 2>&1) || iw_error "status --json leaves out documented keys: $keys_error"

    local table
    table=$(iw_status) || iw_fail "idlewarden status (table) failed: $table"
    printf '%s\n' "$table"
    grep -F -- "$a" <<<"$table" | grep -qF -- "$service" || iw_fail "the status table has no line with $a and $service"
    iw_ok "status table lists the session"

    [[ $(iw_session_count "$a" --as "$a") == 1 ]] || iw_fail "$a does not see its own session in status"
    local seen
    seen=$(iw_status_tsv --as "$b") || iw_fail "status as $b failed"
    [[ -z $seen ]] || iw_fail "$b sees sessions that are not its own: $seen"
    iw_ok "non-root callers see only their own sessions"

    iw_audit_wait 10 "$(iw_kv event open)" "$(iw_kv session "$id")" "$(iw_kv user "$a")" "$(iw_kv uid "$(id -u "$a")")" \
        "$(iw_kv service "$service")" "$(iw_kv tty iwtest-tty)" "$(iw_kv rhost 192.0.2.7)" ||
        iw_fail "no 'event=open session=$id user=$a ...' line in $IW_AUTHLOG: $(iw_audit)"
    iw_ok "open audited: $(iw_audit "$(iw_kv event open)")"

    iw_pamtester_release one || iw_fail "pamtester close_session failed: $(cat "$IW_TLOG/pamtester-one.log")"
    iw_wait_sessions 0 10 "$a" || iw_fail "the session is still in status after close_session: $(iw_status --json)"
    iw_ok "close_session removed it from status"
    iw_audit_wait 10 "$(iw_kv event close)" "$(iw_kv session "$id")" "$(iw_kv user "$a")" ||
        iw_fail "no 'event=close session=$id user=$a' line in $IW_AUTHLOG: $(iw_audit)"
    iw_ok "close audited: $(iw_audit "$(iw_kv event close)")"
    iw_check "daemon still running" iw_daemon_alive
}

# An ssh login through the test sshd (module in its pam.d service) is in status while logged in, with service,
# tty "ssh" and rhost 127.0.0.1 as sshd reports them; logging out removes it; both are audited.
test_daemon_sshd_login_in_status() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    IW_IDLE=300 IW_WARN=60 iw_config # nothing is enforced during this test
    iw_daemon_start
    iw_sshd_start
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "status does not list the ssh session of $a: $(iw_status --json)"
    local line id svc tty rhost pid state
    line=$(iw_sessions_of "$a")
    iw_log "status: $line"
    IFS=$'\t' read -r id _ _ svc tty rhost pid state _ <<<"$line"
    [[ $svc == "$IW_SSHD_SERVICE" ]] || iw_fail "service is $svc, expected $IW_SSHD_SERVICE"
    [[ $tty == ssh ]] || iw_fail "tty is $tty, expected ssh (sshd's PAM_TTY)"
    [[ $rhost == 127.0.0.1 ]] || iw_fail "rhost is $rhost, expected 127.0.0.1"
    [[ $(ps -o comm= -p "$pid" 2>/dev/null) == idlewarden-tes* ]] || iw_fail "pid $pid is not the test sshd"
    iw_ok "ssh session $id: service $svc, tty $tty, rhost $rhost, pid $pid (sshd), state $state"
    iw_audit_wait 10 "$(iw_kv event open)" "$(iw_kv session "$id")" "$(iw_kv user "$a")" \
        "$(iw_kv service "$IW_SSHD_SERVICE")" "$(iw_kv tty ssh)" "$(iw_kv rhost 127.0.0.1)" ||
        iw_fail "no open audit line for the ssh session: $(iw_audit)"

    iw_tmux_type s1 exit
    iw_tmux_wait_dead s1 10 || iw_fail "ssh did not exit after 'exit'"
    iw_wait_sessions 0 10 "$a" || iw_fail "the ssh session is still in status after logout: $(iw_status --json)"
    iw_audit_wait 10 "$(iw_kv event close)" "$(iw_kv session "$id")" "$(iw_kv user "$a")" ||
        iw_fail "no close audit line for the ssh session: $(iw_audit)"
    iw_ok "logout removed the session and was audited"
    iw_check "daemon still running" iw_daemon_alive
}

# Session facts with spaces, quotes and a forged "event=" cannot add a field or start an audit line; control
# bytes and non-UTF-8 never produce a forged line either (the datagram is rejected or the bytes escaped).
test_daemon_audit_quotes_hostile_values() {
    local a=iwtest-$IW_ID-a service=idlewarden-test-pam-$IW_ID
    local evil='evil host" event=forged user=root \x41'
    iw_mkuser "$a"
    iw_daemon_start
    iw_pamtester_service "$service"
    iw_pamtester_hold one "$service" "$a" -I "rhost=$evil" -I tty=iwtest-tty
    iw_audit_wait 10 "$(iw_kv event open)" "$(iw_kv service "$service")" ||
        iw_fail "no open audit line: $(iw_audit)"
    local line
    line=$(iw_audit "$(iw_kv event open)" "$(iw_kv service "$service")" | tail -n1)
    iw_log "audit: $line"
    "$IW_PY" - "$line" "$evil" "$a" <<'PY' || iw_fail "the hostile rhost was not quoted safely: $line"
import re, sys
line, evil, user = sys.argv[1:]
msg = re.split(r" idlewarden(?:\[\d+\])?: ", line, maxsplit=1)[1]
token = re.compile(r'([A-Za-z0-9_]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?: |$)')
fields, pos = [], 0
while pos < len(msg):
    m = token.match(msg, pos)
    if not m:
        sys.exit("cannot parse the audit line at %r" % msg[pos:])
    fields.append((m.group(1), m.group(2)))
    pos = m.end()
def unquote(v):
    if not v.startswith('"'):
        return v
    return re.sub(r'\\x([0-9A-Fa-f]{2})|\\(.)', lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), v[1:-1])
keys = [k for k, v in fields]
if keys.count("event") != 1 or keys[0] != "event" or keys.count("user") != 1:
    sys.exit("fields: %r" % keys)
values = {k: unquote(v) for k, v in fields}
if values["user"] != user:
    sys.exit("user=%r" % values["user"])
if values.get("rhost") != evil:
    sys.exit("rhost=%r, expected %r" % (values.get("rhost"), evil))
print("parsed: event=%s user=%s rhost=%r" % (values["event"], values["user"], values["rhost"]))
PY
    iw_ok "spaces, quotes and backslashes are quoted: one event, one user, rhost round-trips"
    iw_pamtester_release one

    # A newline and invalid UTF-8 in rhost: whatever the daemon does, no line may start with the forged event.
    local n
    n=$(iw_audit | grep -c .)
    iw_pamtester_hold two "$service" "$a" -I $'rhost=x\nevent=forged user=root \xff' -I tty=iwtest-tty
    iw_wait_until 10 iw__audit_count_above "$n" || iw_fail "the daemon logged nothing for the control-byte rhost"
    sleep 1
    iw_pamtester_release two
    if iw_syslog_new | grep -E "$IW_AUDIT_RE" | grep -qE "$IW_AUDIT_RE(event=forged|.*#012event=forged)"; then
        iw_fail "a forged audit line was written: $(iw_audit | grep forged)"
    fi
    iw_log "audit lines for the control-byte rhost: $(iw_audit | tail -n 3)"
    iw_ok "no forged audit line from a newline in rhost"
    iw_check "daemon still running" iw_daemon_alive
}

# An open datagram from a non-root user is rejected and audited, and registers nothing; the same datagram from
# root is accepted (so the rejection is about the sender, not the bytes).
test_daemon_rejects_non_root_sender() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_daemon_start
    sleep 600 &
    local leader=$!
    iw_defer kill "$leader"
    local fields=(pid="$leader" uid="$(id -u "$a")" user="$a" service=idlewarden-test-forged tty=iwtest-notty)

    if [[ $IW_SESSION_SOCK != "$IW_SOCK" ]]; then
        iw_dgram_as "$a" "$IW_SESSION_SOCK" open "${fields[@]}" 2>/dev/null &&
            iw_fail "$a could send to the root-only session socket $IW_SESSION_SOCK"
        iw_ok "$a cannot reach the session socket"
    fi
    iw_dgram_as "$a" "$IW_SOCK" open "${fields[@]}" || iw_fail "$a could not send a datagram to $IW_SOCK"
    iw_audit_wait 10 "$(iw_kv event reject)" "$(iw_kv reason not-root)" "$(iw_kv sender_uid "$(id -u "$a")")" ||
        iw_fail "no 'event=reject reason=not-root sender_uid=$(id -u "$a")' audit line for a datagram from $a: $(iw_audit)"
    iw_ok "rejected: $(iw_audit "$(iw_kv event reject)")"
    sleep 1
    [[ $(iw_session_count "$a") == 0 ]] || iw_fail "a non-root datagram registered a session: $(iw_status --json)"
    [[ $(iw_audit_count "$(iw_kv event open)") == 0 ]] || iw_fail "an open was audited for a non-root datagram"
    iw_ok "nothing registered"

    iw_dgram "$IW_SESSION_SOCK" open "${fields[@]}" creds_pid="$leader" || iw_fail "root could not send"
    iw_wait_sessions 1 10 "$a" ||
        iw_fail "the same datagram from root was not accepted (test encoder wrong?): $(iw_audit | tail -n 3)"
    iw_ok "the same datagram from root registers a session"
    iw_dgram "$IW_SESSION_SOCK" close "${fields[@]}" creds_pid="$leader"
    iw_wait_sessions 0 10 "$a" || iw_fail "close from root did not remove it"
    iw_check "daemon still running" iw_daemon_alive
}

# Malformed datagrams through the real sockets, as root: one larger than a request may be (the receiver cuts it)
# and one cut short, on each socket, give event=reject with their reason, leave the registry as it was, and the
# daemon keeps working. That every class of malformed datagram gets its own reason: DaemonDatagramTests.
test_daemon_rejects_malformed_datagrams() {
    local a=iwtest-$IW_ID-a service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_daemon_start
    iw_pamtester_service "$service"
    iw_pamtester_hold one "$service" "$a" -I tty=iwtest-tty
    iw_wait_sessions 1 10 "$a" || iw_fail "the baseline session is not in status"
    local before
    before=$(iw_status_tsv | cut -f1-8 | sort)
    iw_log "registry before: $before"

    sleep 600 &
    local leader=$!
    iw_defer kill "$leader"
    local fields=(pid="$leader" creds_pid="$leader" uid="$(id -u "$a")" user="$a" service=idlewarden-test-forged
        tty=iwtest-notty)
    local recipe n line reason sock sockets=("$IW_SOCK")
    [[ $IW_SESSION_SOCK != "$IW_SOCK" ]] && sockets+=("$IW_SESSION_SOCK")
    for sock in "${sockets[@]}"; do
        for recipe in oversized truncated-header; do
            n=$(iw_audit_count "$(iw_kv event reject)")
            iw_dgram "$sock" "$recipe" "${fields[@]}" || iw_fail "could not send $recipe to $sock"
            iw_wait_until 10 iw__reject_count_above "$n" ||
                iw_fail "no reject audit line for $recipe on $sock: $(iw_audit | tail -n 3)"
            line=$(iw_audit "$(iw_kv event reject)" | tail -n1)
            reason=$(iw_audit_field "$line" reason)
            [[ $reason == "${recipe%%-*}" ]] || iw_fail "reject line for $recipe says reason=$reason: $line"
            iw_ok "$recipe on ${sock##*/} → reason=$reason"
            iw_daemon_alive || iw_fail "the daemon died on $recipe: $(tail -n 20 "$IW_DAEMON_LOG")"
        done
    done
    [[ $(iw_audit_count "$(iw_kv event open)" "$(iw_kv service idlewarden-test-forged)") == 0 ]] ||
        iw_fail "a malformed datagram was registered"
    local after
    after=$(iw_status_tsv | cut -f1-8 | sort)
    [[ $after == "$before" ]] || iw_fail "the registry changed: before [$before] after [$after]"
    iw_ok "registry unchanged, daemon alive"

    # The encoder itself is right: the well-formed datagram with the same fields is accepted.
    iw_dgram "$IW_SESSION_SOCK" open "${fields[@]}" || iw_fail "could not send the valid datagram"
    iw_wait_sessions 2 10 "$a" || iw_fail "the well-formed datagram was not accepted: $(iw_audit | tail -n 3)"
    iw_dgram "$IW_SESSION_SOCK" close "${fields[@]}"
    iw_pamtester_release one || iw_fail "pamtester close_session failed"
    iw_wait_sessions 0 10 "$a" || iw_fail "sessions left after close: $(iw_status --json)"
    iw_ok "the daemon still registers and closes sessions afterwards"
}
iw__audit_count_above() { (($(iw_audit | grep -c .) > $1)); }
iw__reject_count_above() { (($(iw_audit_count "$(iw_kv event reject)") > $1)); }

# exclude_users and exclude_groups (supplementary and primary group) mark sessions exempt at open, with
# event=exempt; a user in neither is not exempt.
test_daemon_marks_excluded_sessions_exempt() {
    local g=iwtest-$IW_ID-g u=iwtest-$IW_ID-u s=iwtest-$IW_ID-s p=iwtest-$IW_ID-p c=iwtest-$IW_ID-c
    local service=idlewarden-test-pam-$IW_ID
    iw_mkgroup "$g"
    iw_mkuser "$u"
    iw_mkuser "$s" "$g"
    iw_mkuser --primary "$g" "$p"
    iw_mkuser "$c"
    IW_EXCLUDE_USERS=("$u")
    iw_config "exclude_groups = [\"$g\"]"
    iw_daemon_start
    iw_pamtester_service "$service"
    local who
    for who in u s p c; do
        iw_pamtester_hold "$who" "$service" "iwtest-$IW_ID-$who" -I tty=iwtest-tty
    done
    local user state reason
    for who in u s p c; do
        user=iwtest-$IW_ID-$who
        iw_wait_sessions 1 10 "$user" || iw_fail "no session of $user in status"
        state=$(iw_sessions_of "$user" | cut -f8)
        reason=$(iw_sessions_of "$user" | cut -f9)
        if [[ $who == c ]]; then
            [[ $state != exempt && $reason == - ]] || iw_fail "$user is in no exclusion but state=$state reason=$reason"
            iw_audit "$(iw_kv event exempt)" "$(iw_kv user "$user")" | grep -q . && iw_fail "event=exempt for $user"
            iw_ok "$user: not exempt (state $state)"
        else
            [[ $state == exempt && $reason != - ]] || iw_fail "$user should be exempt: state=$state reason=$reason"
            iw_audit_wait 5 "$(iw_kv event exempt)" "$(iw_kv user "$user")" || iw_fail "no event=exempt for $user"
            iw_ok "$user: exempt ($reason)"
        fi
    done
    for who in u s p c; do iw_pamtester_release "$who"; done
}
