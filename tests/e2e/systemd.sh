# shellcheck shell=bash
# End-to-end tests on a booted systemd host: Debian 12 with systemd as PID 1, logind and the journal, in a
# container of each test's own (tests/e2e/lib-roots.sh: systemd-nspawn -b of a fresh copy of the cached image).
# The package that `./install.sh --deb` builds is installed with apt (offline: the image has its dependencies);
# logins are real ssh logins from the host to the container's own sshd (PAM service sshd, with pam_loginuid and,
# through common-session, pam_systemd and pam_idlewarden); the daemon is the packaged unit.
#
# Host daemons of other tests see the container's processes in /proc. The container's users have uids no host
# user has (50000-59999, see lib-roots.sh), so a host daemon finds no account for them and adopts none of their
# logins; the container's daemon sees only the container's processes (its own PID namespace).
# Each takes a minute or more (a boot, an install, an idle timeout): they start before the shorter tests.
# iw: deb
# iw: long
# iw: timeout 900

# shellcheck source=lib-roots.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-roots.sh"

IW_SD_CONF=/etc/idlewarden/idlewarden.conf

# iw__sd_up — a booted container with the package installed by apt and its unit running.
iw__sd_up() {
    iw_root_deb
    iw_ct_boot
    IW_SSH_PORT=$IW_CT_SSH_PORT # iw_ssh_cmd logs in to the container
    iw_ct_sh 'sha256sum /etc/pam.d/* /var/lib/pam/* | sort -k2' >"$IW_T/pam-before.txt"
    cp "$IW_DEB" "$IW_CT/root/"
    # Offline: the image has every dependency (apt would say what it wants to download, and fail).
    if ! iw_ct_sh "DEBIAN_FRONTEND=noninteractive apt-get install -y -o Acquire::Retries=0 /root/${IW_DEB##*/}" \
        >"$IW_TLOG/apt-install.log" 2>&1; then
        tail -n 20 "$IW_TLOG/apt-install.log"
        iw_fail "apt-get install ./${IW_DEB##*/} failed in the container"
    fi
    grep "^Get:" "$IW_TLOG/apt-install.log" | grep -v "^Get:[0-9]* /root/" | grep -q . &&
        iw_fail "apt downloaded something: $(grep "^Get:" "$IW_TLOG/apt-install.log")"
    rm -f "$IW_CT/root/${IW_DEB##*/}"
    iw_wait_until 20 iw_ct systemctl is-active --quiet idlewarden.service ||
        iw_fail "idlewarden.service is not active after the install: $(iw_ct systemctl status --no-pager idlewarden.service 2>&1 | tail -n 8)"
    iw_check "the unit is enabled" iw_ct systemctl is-enabled --quiet idlewarden.service
    iw_ct grep -qE '^session[[:space:]]+optional[[:space:]]+pam_idlewarden\.so' /etc/pam.d/common-session ||
        iw_fail "the package did not enable the module in common-session"
    iw_ct grep -q pam_systemd /etc/pam.d/common-session || iw_fail "pam_systemd is not in common-session"
    iw_ok "installed with apt; unit active and enabled; common-session has pam_systemd and pam_idlewarden"
}

# iw__sd_config [TOML LINES...] — the test policy (lib.sh's short timeouts, or IW_IDLE/IW_WARN/IW_GRACE as set)
# plus LINES as the container's config, applied with `systemctl reload`.
iw__sd_config() {
    iw__sd_write_config "$@"
    iw_ct systemctl reload idlewarden.service ||
        iw_fail "systemctl reload idlewarden failed: $(iw_ct journalctl -t idlewarden -n 5 --no-pager -o cat)"
}
iw__sd_write_config() {
    printf '%s\n' 'allow_short_timeouts = true' "idle_timeout = \"${IW_IDLE}s\"" "warn_before = \"${IW_WARN}s\"" \
        "grace = \"${IW_GRACE}s\"" "$@" >"$IW_T/container.conf"
    cp "$IW_T/container.conf" "$IW_TLOG/container-idlewarden.conf"
    iw_ct sh -c "cat >$IW_SD_CONF" <"$IW_T/container.conf" || iw_fail "cannot write $IW_SD_CONF in the container"
}

# The container daemon's view of USER's sessions: status --json as lib.sh's TSV (1 id, 2 user, ... 8 state,
# 9 exempt_reason, 10 terminals).
iw__sd_sessions_of() {
    local out
    out=$(iw_ct idlewarden status --json) || return 1
    printf '%s' "$out" | "$IW_PY" -c "$IW_PY_STATUS_TSV" | awk -F'\t' -v u="$1" '$2 == u'
}
iw__sd_count_is() { [[ $(iw__sd_sessions_of "$2" | grep -c .) == "$1" ]]; }

# logind's sessions of USER (loginctl list-sessions: SESSION UID USER SEAT TTY).
iw__sd_logind_sessions() { iw_ct loginctl list-sessions --no-legend 2>/dev/null | awk -v u="$1" '$3 == u { print $1 }'; }
iw__sd_logind_has() { [[ -n $(iw__sd_logind_sessions "$1") ]]; }
iw__sd_logind_gone() { [[ -z $(iw__sd_logind_sessions "$1") ]]; }
# No process of USER outside user@UID.service: that is logind's per-user manager, which it stops UserStopDelaySec
# (10 s) after the user's last session, not a process of any session.
iw__sd_no_procs() { [[ -z $(iw__sd_session_procs "$1") ]]; }
iw__sd_session_procs() {
    iw_ct sh -c 'for p in $(pgrep -u "$1"); do grep -q "/user@[0-9]*\.service" "/proc/$p/cgroup" 2>/dev/null || ps -o pid=,stat=,args= -p "$p"; done' sh "$1"
}

# The journal lines of the daemon (identifier idlewarden) since the boot, message only, filtered by EREs.
iw__sd_journal() { iw_ct journalctl -t idlewarden -b --no-pager -o cat | iw__syslog_filter "$@"; }
iw__sd_journal_has() { iw__sd_journal "$@" | grep -q .; }

# iw__sd_login PANE USER — an ssh login of USER into the container in a tmux pane; waits for its shell, for
# logind's session (pam_systemd) and for idlewarden's (pam_idlewarden through common-session, service sshd).
iw__sd_login() {
    local pane=$1 user=$2
    iw_tmux_new "$pane" "$(iw_ssh_cmd "$user")"
    iw_wait_as "$pane" "$user"
    iw_wait_until 10 iw__sd_logind_has "$user" ||
        iw_fail "logind has no session of $user: $(iw_ct loginctl list-sessions --no-legend | tr '\n' '|')"
    iw_wait_until 10 iw__sd_count_is 1 "$user" ||
        iw_fail "idlewarden does not list the ssh login of $user: $(iw_ct idlewarden status 2>&1 | tr '\n' '|')"
    local row
    row=$(iw__sd_sessions_of "$user")
    [[ $(cut -f4 <<<"$row") == sshd ]] || iw_fail "the session's service is not sshd: $row"
    iw_ok "$user logged in over ssh: logind session $(iw__sd_logind_sessions "$user" | tr '\n' ' ')and idlewarden session $(cut -f1 <<<"$row")"
    iw_tmux_mark "$pane" # the last input
}

# ---------------------------------------------------------------------------------------------------------------

# An idle ssh login through the system's sshd (pam_loginuid, pam_systemd, then pam_idlewarden) is warned on its
# terminal, then ended by the packaged daemon under its unit's sandbox, on time; logind's session is gone
# afterwards and no process of the user is left.
test_systemd_idle_ssh_login_is_warned_and_ended() {
    iw__sd_up
    iw__sd_config
    local a=iwtest-$IW_ID-a
    iw_ct_mkuser "$a"
    iw__sd_login s1 "$a"
    local shell loginuid
    shell=$(iw_ct pgrep -u "$a" -x bash | head -n1)
    loginuid=$(iw_ct cat "/proc/$shell/loginuid")
    [[ $loginuid == "$(iw_ct id -u "$a")" ]] || iw_fail "the login shell's loginuid is $loginuid, not $a's uid (pam_loginuid)"
    iw_ok "pam_loginuid set the login's loginuid ($loginuid)"
    iw_expect_logout s1
    iw_wait_until 15 iw__sd_logind_gone "$a" ||
        iw_fail "logind still lists a session of $a: $(iw_ct loginctl list-sessions --no-legend | tr '\n' '|')"
    iw_ok "logind's session of $a is gone"
    iw_wait_until 15 iw__sd_no_procs "$a" || iw_fail "processes of $a survived: $(iw__sd_session_procs "$a")"
    iw_ok "no process of $a is left"
    iw_wait_until 10 iw__sd_count_is 0 "$a" || iw_fail "idlewarden still lists the ended session"
    iw__sd_journal_has "$(iw_kv event terminate)" "$(iw_kv user "$a")" || iw_fail "no event=terminate in the journal"
    iw_ok "journal: $(iw__sd_journal "$(iw_kv event terminate)" "$(iw_kv user "$a")" | head -n1)"
}

# `systemctl reload` applies a good config to the sessions already open (here: the user becomes exempt), and
# keeps the config in force when the new file is broken: the reload fails, the error names the file and line in
# the journal, the daemon (same pid) goes on with the old config.
test_systemd_reload_good_and_broken_config() {
    IW_IDLE=300 IW_WARN=60 iw__sd_up
    local a=iwtest-$IW_ID-a
    IW_IDLE=300 IW_WARN=60 iw__sd_config
    iw_ct_mkuser "$a"
    iw__sd_login s1 "$a"
    [[ $(iw__sd_sessions_of "$a" | cut -f9) == - ]] || iw_fail "$a is exempt before any rule says so: $(iw__sd_sessions_of "$a")"
    local pid
    pid=$(iw_ct systemctl show -P MainPID idlewarden.service)

    IW_IDLE=300 IW_WARN=60 iw__sd_write_config "exclude_users = [\"$a\"]"
    iw_check "systemctl reload with a good config succeeds" iw_ct systemctl reload idlewarden.service
    iw_wait_until 10 iw__sd_journal_has "$(iw_kv event config-reload)" || iw_fail "no event=config-reload in the journal"
    iw_ok "journal: $(iw__sd_journal "$(iw_kv event config-reload)" | tail -n1)"
    [[ $(iw__sd_sessions_of "$a" | cut -f8) == exempt ]] || iw_fail "the reloaded config did not apply to the open session: $(iw__sd_sessions_of "$a")"
    iw_ok "the open session of $a is exempt now"

    iw_ct sh -c "printf '%s\n' '# broken on purpose' 'idle_timeout = 15' >$IW_SD_CONF"
    iw_ct systemctl reload idlewarden.service && iw_fail "systemctl reload succeeded with a broken config"
    iw_ok "systemctl reload with a broken config fails"
    iw_wait_until 10 iw__sd_journal_has "$(iw_kv event config-error)" "$IW_SD_CONF:2" ||
        iw_fail "no event=config-error naming $IW_SD_CONF:2 in the journal: $(iw__sd_journal | tail -n 3)"
    iw_ok "journal: $(iw__sd_journal "$(iw_kv event config-error)" | tail -n1)"
    iw_check "the daemon still runs" iw_ct systemctl is-active --quiet idlewarden.service
    [[ $(iw_ct systemctl show -P MainPID idlewarden.service) == "$pid" ]] || iw_fail "the daemon was restarted (pid $pid before)"
    [[ $(iw__sd_sessions_of "$a" | cut -f8) == exempt ]] || iw_fail "the old config is not in force any more: $(iw__sd_sessions_of "$a")"
    iw_ok "same daemon (pid $pid), old config in force: $a still exempt"
}

# `systemctl restart` keeps the sessions: the open ssh login is still listed (same id) by the new daemon, and is
# still warned and ended on time.
test_systemd_restart_keeps_tracking() {
    iw__sd_up
    iw__sd_config
    local a=iwtest-$IW_ID-a
    iw_ct_mkuser "$a"
    iw__sd_login s1 "$a"
    local id pid
    id=$(iw__sd_sessions_of "$a" | cut -f1)
    pid=$(iw_ct systemctl show -P MainPID idlewarden.service)
    iw_check "systemctl restart idlewarden" iw_ct systemctl restart idlewarden.service
    iw_wait_until 10 iw_ct systemctl is-active --quiet idlewarden.service || iw_fail "not active after the restart"
    [[ $(iw_ct systemctl show -P MainPID idlewarden.service) != "$pid" ]] || iw_fail "the daemon was not restarted"
    iw_wait_until 10 iw__sd_count_is 1 "$a" || iw_fail "the restarted daemon does not list the session of $a"
    [[ $(iw__sd_sessions_of "$a" | cut -f1) == "$id" ]] || iw_fail "the session is listed with another id: $(iw__sd_sessions_of "$a") (was $id)"
    iw_ok "after the restart (pid $pid → $(iw_ct systemctl show -P MainPID idlewarden.service)) session $id is still tracked"
    iw_expect_logout s1
    iw_wait_until 15 iw__sd_no_procs "$a" || iw_fail "processes of $a survived: $(iw__sd_session_procs "$a")"
    iw_ok "ended after the restart; no process of $a is left"
}

# The journal (journalctl -t idlewarden) has each audit event of a session exactly once, with its fields:
# open, warn, terminate, close of one idle ssh login; and the config-reload.
test_systemd_journal_has_each_audit_event_once() {
    iw__sd_up
    iw__sd_config
    local a=iwtest-$IW_ID-a
    iw_ct_mkuser "$a"
    iw__sd_login s1 "$a"
    local id
    id=$(iw__sd_sessions_of "$a" | cut -f1)
    iw_expect_logout s1
    iw_wait_until 10 iw__sd_journal_has "$(iw_kv event close)" "$(iw_kv session "$id")" || true
    iw__sd_journal >"$IW_TLOG/journal-idlewarden.txt"
    iw_ct journalctl -t idlewarden -b --no-pager -o verbose >"$IW_TLOG/journal-idlewarden-verbose.txt"
    local event n line bad=()
    for event in open warn terminate close; do
        n=$(iw__sd_journal "$(iw_kv event "$event")" "$(iw_kv session "$id")" | grep -c .)
        line=$(iw__sd_journal "$(iw_kv event "$event")" "$(iw_kv session "$id")" | head -n1)
        iw_log "event=$event: $n line(s): $line"
        if [[ $n != 1 ]]; then bad+=("event=$event $n times"); continue; fi
        [[ $(iw_audit_field "$line" user) == "$a" ]] || bad+=("event=$event without user=$a")
        [[ $(iw_audit_field "$line" uid) == "$(iw_ct id -u "$a")" ]] || bad+=("event=$event without uid=")
    done
    line=$(iw__sd_journal "$(iw_kv event open)" "$(iw_kv session "$id")" | head -n1)
    [[ $(iw_audit_field "$line" service) == sshd ]] || bad+=("event=open without service=sshd")
    [[ $(iw_audit_field "$line" rhost) == 127.0.0.1 ]] || bad+=("event=open without rhost=127.0.0.1")
    n=$(iw__sd_journal "$(iw_kv event config-reload)" | grep -c .)
    [[ $n == 1 ]] || bad+=("event=config-reload $n times")
    ((${#bad[@]} == 0)) || iw_fail "journal: ${bad[*]} (journal-idlewarden.txt)"
    iw_ok "each event of session $id once in the journal, with its fields"
}

# apt-get purge leaves nothing: no file named idlewarden anywhere, /etc/pam.d and /var/lib/pam byte-identical to
# before the install, no unit, no daemon, dpkg knows nothing of it.
test_systemd_apt_purge_leaves_nothing() {
    iw__sd_up
    iw__sd_config
    local a=iwtest-$IW_ID-a
    iw_ct_mkuser "$a"
    iw__sd_login s1 "$a" # the daemon has state to leave behind
    iw_tmux_type s1 exit
    if ! iw_ct_sh 'DEBIAN_FRONTEND=noninteractive apt-get purge -y idlewarden' >"$IW_TLOG/apt-purge.log" 2>&1; then
        tail -n 20 "$IW_TLOG/apt-purge.log"
        iw_fail "apt-get purge idlewarden failed"
    fi
    local state
    state=$(iw_ct dpkg-query -W -f='${Status}' idlewarden 2>/dev/null)
    [[ -z $state || $state == *not-installed* ]] || iw_fail "dpkg still knows idlewarden: $state"
    iw_ct pgrep -x idlewarden >/dev/null && iw_fail "a daemon still runs: $(iw_ct pgrep -a -x idlewarden)"
    iw_ct systemctl cat idlewarden.service >/dev/null 2>&1 && iw_fail "systemd still has idlewarden.service"
    iw_ct_sh 'sha256sum /etc/pam.d/* /var/lib/pam/* | sort -k2' >"$IW_T/pam-after.txt"
    diff "$IW_T/pam-before.txt" "$IW_T/pam-after.txt" >"$IW_TLOG/pam-diff.txt" ||
        iw_fail "/etc/pam.d or /var/lib/pam differ from before the install: $(tr '\n' '|' <"$IW_TLOG/pam-diff.txt")"
    local left
    left=$(iw_ct find / -xdev -name '*idlewarden*' 2>/dev/null; iw_ct find /run -xdev -name '*idlewarden*' 2>/dev/null)
    [[ -z $left ]] || iw_fail "left behind after apt-get purge: $(tr '\n' ' ' <<<"$left")"
    iw_ok "purged: no file named idlewarden, /etc/pam.d as before, no unit, no daemon"
}

# The README's set-up commands, verbatim (no sudo added or taken away), in the order the README gives them, as
# root on a fresh Debian 12 with systemd (which has no sudo): the one that installs idlewarden is run from the
# checkout and must leave the unit running, the module enabled and an ssh login registered; the test command
# (`bash .ci/run`, the whole suite: what runs this test) is checked for what it is, and
# test_install_ci_run_installs_what_the_tests_use checks that it installs every tool the tests use.
test_systemd_readme_set_up_commands_as_root() {
    local cmds
    cmds=$(iw_readme_setup_commands) || iw_fail "cannot read the set-up commands from README.md"
    iw_log "README set-up commands:"$'\n'"$(sed 's/^/    /' <<<"$cmds")"
    [[ $(grep -c . <<<"$cmds") == 2 ]] || iw_fail "README.md gives $(grep -c . <<<"$cmds") set-up commands, not two: $(tr '\n' '|' <<<"$cmds")"
    grep -q '^sudo ' <<<"$cmds" && iw_fail "a set-up command starts with sudo; as root there is none to run (say so in the text instead)"
    iw_ct_boot
    iw_ct sh -c 'command -v sudo' >/dev/null && iw_fail "the fresh root has sudo"
    local cmd n=0 rc fd scratch=${IW_INSTALL_SCRATCH:-$IW_ROOT/.build}
    while IFS= read -r cmd; do
        n=$((n + 1))
        case $cmd in
            "bash .ci/run")
                iw_check ".ci/run exists" test -f "$IW_ROOT/.ci/run"
                grep -qE '^[^#]*apt-get install' "$IW_ROOT/.ci/run" || iw_fail ".ci/run installs nothing with apt"
                grep -qE '^[^#]*bash tests/run\.sh[[:space:]]*$' "$IW_ROOT/.ci/run" ||
                    iw_fail ".ci/run does not run the whole suite (bash tests/run.sh, no pattern)"
                iw_ok "README $n: $cmd: .ci/run installs the test dependencies and runs the whole suite (that is what runs this test)"
                ;;
            *)
                # One build at a time in .build (see iw_root_swift_wrapper); the command itself is the README's.
                exec {fd}>"$scratch/.iwtest-build.lock"
                flock -w 600 "$fd" || iw_fail "waited 10 minutes for another build"
                iw_ct bash -c "cd $(printf '%q' "$IW_ROOT") && $cmd" </dev/null >"$IW_TLOG/readme-$n.log" 2>&1
                rc=$?
                exec {fd}>&-
                iw_log "README $n: $cmd → status $rc"
                ((rc == 0)) || { tail -n 20 "$IW_TLOG/readme-$n.log"; iw_fail "README command failed (status $rc): $cmd"; }
                ;;
        esac
    done <<<"$cmds"
    iw_check "idlewarden.service is active" iw_ct systemctl is-active --quiet idlewarden.service
    iw_check "idlewarden.service is enabled" iw_ct systemctl is-enabled --quiet idlewarden.service
    iw_ct grep -qE '^session[[:space:]]+optional[[:space:]]+pam_idlewarden\.so' /etc/pam.d/common-session ||
        iw_fail "the module is not enabled in common-session"
    IW_SSH_PORT=$IW_CT_SSH_PORT
    local a=iwtest-$IW_ID-a
    iw_ct_mkuser "$a"
    iw__sd_login s1 "$a"
    iw_tmux_type s1 exit
    iw_ok "the README's commands installed and started idlewarden; an ssh login is registered"
}

# ---------------------------------------------------------------------------------------------------------------
# The unit tells systemd the truth (Type=notify), and the journal has each audit line once

# iw__sd_field USER KEY — KEY of USER's (only) session in the container daemon's `status --json`.
iw__sd_field() {
    local out
    out=$(iw_ct idlewarden status --json) || return 1
    printf '%s' "$out" | "$IW_PY" -c '
import json, sys
user, key = sys.argv[1:]
for s in json.load(sys.stdin):
    if s.get("user") == user:
        print("" if s.get(key) is None else s.get(key))
' "$1" "$2"
}
iw__sd_show() { iw_ct systemctl show -P "$1" idlewarden.service; }

# The unit is Type=notify and the daemon says READY=1 only once it answers: right after `systemctl restart`
# returns, `idlewarden status` answers (no wait); its status line (STATUS=) says what it does, and a reload
# (systemctl reload, and SIGHUP, which the daemon reports with RELOADING=1 then READY=1) leaves it active with
# the new status.
test_systemd_unit_reports_readiness_and_reloads() {
    iw__sd_up
    iw__sd_config
    [[ $(iw__sd_show Type) == notify ]] || iw_fail "the unit's Type is $(iw__sd_show Type), not notify"
    [[ $(iw__sd_show NotifyAccess) == main ]] || iw_fail "NotifyAccess is $(iw__sd_show NotifyAccess), not main"
    local n
    for n in 1 2 3; do
        iw_check "systemctl restart idlewarden ($n)" iw_ct systemctl restart idlewarden.service
        iw_ct idlewarden status >/dev/null 2>&1 ||
            iw_fail "restart $n returned before the daemon answered: $(iw_ct idlewarden status 2>&1 | tail -n 2)"
    done
    iw_ok "after each of 3 restarts the daemon answered at once (systemctl waited for READY=1)"
    local text
    text=$(iw__sd_show StatusText)
    [[ $text == "Watching 0 session(s); config /etc/idlewarden/idlewarden.conf (0 rule(s))" ]] ||
        iw_fail "StatusText after the start: '$text'"
    iw_ok "Status: $text"
    iw_check "systemctl reload" iw_ct systemctl reload idlewarden.service
    [[ $(iw__sd_show StatusText) == *"reloaded (0 rule(s))" ]] || iw_fail "StatusText after the reload: '$(iw__sd_show StatusText)'"
    local pid reloads
    pid=$(iw__sd_show MainPID)
    reloads=$(iw__sd_journal "$(iw_kv event config-reload)" | grep -c .)
    iw_check "SIGHUP" iw_ct kill -HUP "$pid"
    iw_wait_until 10 iw__sd_reloads_are $((reloads + 1)) || iw_fail "no event=config-reload after SIGHUP"
    iw_wait_until 10 iw__sd_active || iw_fail "not active after SIGHUP: $(iw__sd_show ActiveState)/$(iw__sd_show SubState)"
    [[ $(iw__sd_show MainPID) == "$pid" && $(iw__sd_show NRestarts) == 0 ]] || iw_fail "the daemon was restarted"
    iw_ok "SIGHUP: RELOADING=1 then READY=1, active again, same pid; Status: $(iw__sd_show StatusText)"
    iw_ct sh -c "printf '%s\n' 'idle_timeout = 15' >$IW_SD_CONF"
    iw_ct systemctl reload idlewarden.service && iw_fail "systemctl reload succeeded with a broken config"
    [[ $(iw__sd_show StatusText) == "Reload refused: 1 error(s) in /etc/idlewarden/idlewarden.conf"* ]] ||
        iw_fail "StatusText after a refused reload: '$(iw__sd_show StatusText)'"
    iw__sd_active || iw_fail "not active after a refused reload"
    iw_ok "refused reload: still active; Status: $(iw__sd_show StatusText)"
}
iw__sd_reloads_are() { [[ $(iw__sd_journal "$(iw_kv event config-reload)" | grep -c .) -ge $1 ]]; }
iw__sd_active() { [[ $(iw__sd_show ActiveState)/$(iw__sd_show SubState) == active/running ]]; }

# `systemctl restart` with a broken config fails (non-zero, the unit failed), says why in `systemctl status`
# (the config's file:line, exit status 78), does not restart in a loop, and logs event=start-failed once; with the
# config fixed, `systemctl restart` works again.
test_systemd_restart_with_broken_config_fails_visibly() {
    iw__sd_up
    iw__sd_config
    iw_ct sh -c "printf '%s\n' 'warn_before = \"1m\"' 'idle_timeout = 15m' >$IW_SD_CONF"
    local rc out
    iw_ct systemctl restart idlewarden.service >"$IW_TLOG/restart.txt" 2>&1
    rc=$?
    iw_log "systemctl restart → status $rc: $(tr '\n' '|' <"$IW_TLOG/restart.txt")"
    ((rc != 0)) || iw_fail "systemctl restart returned 0 with a broken config"
    iw_ok "systemctl restart with a broken config returns $rc"
    iw_ct systemctl is-failed --quiet idlewarden.service || iw_fail "the unit is $(iw__sd_show ActiveState), not failed"
    [[ $(iw__sd_show ExecMainStatus) == 78 ]] || iw_fail "the daemon's exit status is $(iw__sd_show ExecMainStatus), not 78"
    out=$(iw_ct systemctl status --no-pager -n 20 idlewarden.service 2>&1)
    printf '%s\n' "$out" >"$IW_TLOG/systemctl-status.txt"
    grep -q "status=78" <<<"$out" || iw_fail "systemctl status does not show status=78: $out"
    grep -q "$IW_SD_CONF:2" <<<"$out" || iw_fail "systemctl status does not name $IW_SD_CONF:2: $out"
    iw_ok "systemctl status: $(grep -m1 "$IW_SD_CONF:2" <<<"$out" | sed 's/^ *//')"
    sleep 3
    [[ $(iw__sd_show NRestarts) == 0 ]] || iw_fail "restarted $(iw__sd_show NRestarts) times (RestartPreventExitStatus=78)"
    [[ $(iw__sd_journal "$(iw_kv event start-failed)" "$(iw_kv reason config-error)" | grep -c .) == 1 ]] ||
        iw_fail "event=start-failed reason=config-error is not in the journal once: $(iw__sd_journal "$(iw_kv event start-failed)")"
    iw_ok "journal: $(iw__sd_journal "$(iw_kv event start-failed)")"
    iw__sd_write_config
    iw_check "systemctl restart with the config fixed" iw_ct systemctl restart idlewarden.service
    iw_check "the daemon answers" iw_ct idlewarden status
    iw_ok "fixed: restarted and answering"
}

# ---------------------------------------------------------------------------------------------------------------
# The package

# lintian (Debian 12's) finds nothing in the package that `./install.sh --deb` builds: no error, no warning, and
# no info or pedantic tag either. Its binaries are hardened: full RELRO and BIND_NOW for the daemon and the
# module, the C parts built with _FORTIFY_SOURCE (checked variants of libc functions imported).
test_systemd_package_passes_lintian() {
    command -v lintian >/dev/null 2>&1 || iw_fail "lintian is missing (apt-get install lintian)"
    iw_root_deb
    local out rc
    out=$(lintian --info --pedantic --display-experimental --tag-display-limit 0 "$IW_DEB" 2>&1)
    rc=$?
    printf '%s\n' "$out" >"$IW_TLOG/lintian.txt"
    iw_log "lintian $(lintian --version) on ${IW_DEB##*/} → status $rc:"$'\n'"$(sed 's/^/    /' <<<"$out")"
    ((rc == 0)) || iw_fail "lintian ended with status $rc"
    grep -qE '^[EWIPX]: ' <<<"$out" && iw_fail "lintian reports: $(grep -E '^[EWIPX]: ' <<<"$out" | tr '\n' '|')"
    iw_ok "lintian: no tag at all"
    local x=$IW_T/deb-tree f
    dpkg-deb -x "$IW_DEB" "$x" || iw_fail "dpkg-deb -x failed"
    for f in "$x/usr/sbin/idlewarden" "$x"/lib/*/security/pam_idlewarden.so; do
        [[ -f $f ]] || iw_fail "missing $f in the package"
        readelf -lW "$f" | grep -q GNU_RELRO || iw_fail "${f#"$x"}: no RELRO segment"
        readelf -dW "$f" | grep -qE '\(FLAGS\).*BIND_NOW' || iw_fail "${f#"$x"}: not linked with -z now"
        nm -D "$f" | grep -qE ' U __[a-z_]+_chk@' || iw_fail "${f#"$x"}: no fortified libc function imported"
        iw_ok "${f#"$x"}: RELRO, BIND_NOW, $(nm -D "$f" | grep -oE '__[a-z_]+_chk' | sort -u | tr '\n' ' ')"
    done
    [[ $(zcat "$x/usr/share/doc/idlewarden/changelog.gz" | tail -n1) == " -- "*"<"*"@"*">  "* ]] ||
        iw_fail "changelog.gz has no maintainer line: $(zcat "$x/usr/share/doc/idlewarden/changelog.gz")"
    head -n1 "$x/usr/share/doc/idlewarden/copyright" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
        iw_fail "the copyright file is not machine-readable (DEP-5)"
    iw_ok "Maintainer: $(dpkg-deb -f "$IW_DEB" Maintainer)"
}

# ---------------------------------------------------------------------------------------------------------------
# logind: StopIdleSessionSec, the session list at start-up

# check-config warns when systemd-logind's own idle logout is on (StopIdleSessionSec= in logind.conf or a
# drop-in), naming the file and line, and stays silent when it is off again; the config is still valid (exit 0).
test_systemd_check_config_warns_about_logind_idle_stop() {
    iw__sd_up
    local out
    out=$(iw_ct idlewarden check-config 2>&1) || iw_fail "check-config failed: $out"
    grep -q StopIdleSessionSec <<<"$out" && iw_fail "check-config warns with logind's default: $out"
    iw_ct install -d /etc/systemd/logind.conf.d || iw_fail "mkdir logind.conf.d"
    iw_ct sh -c 'printf "%s\n" "[Login]" "StopIdleSessionSec=30" >/etc/systemd/logind.conf.d/50-iwtest.conf'
    out=$(iw_ct idlewarden check-config 2>&1) || iw_fail "check-config failed with logind's idle logout on: $out"
    printf '%s\n' "$out" >"$IW_TLOG/check-config.txt"
    grep -q '^warning: /etc/systemd/logind.conf.d/50-iwtest.conf:2:1: StopIdleSessionSec: systemd-logind ends idle sessions itself (StopIdleSessionSec=30)' <<<"$out" ||
        iw_fail "no StopIdleSessionSec warning naming the drop-in: $out"
    iw_ok "$(grep StopIdleSessionSec <<<"$out")"
    iw_ct sh -c 'printf "%s\n" "[Login]" "StopIdleSessionSec=infinity" >/etc/systemd/logind.conf.d/60-iwtest.conf'
    out=$(iw_ct idlewarden check-config 2>&1) || iw_fail "check-config failed: $out"
    grep -q StopIdleSessionSec <<<"$out" && iw_fail "check-config still warns after a later drop-in turned it off: $out"
    iw_ok "a later drop-in with StopIdleSessionSec=infinity: no warning"
}

# Where logind runs, its session list reconciles the daemon's sessions when it starts. With the daemon stopped:
# (a) a tracked ssh login logs out, so logind removes its session: dropped at start (reason=logind-gone);
# (b) an ssh login opens; the record the module spooled for it is removed (a record lost, as when the spool is
# full: a spooled login is registered from the spool, see delivery.sh): adopted from logind (source=logind,
# service sshd, its logind id and scope), then warned and ended on time; (c) a session of a PAM service without the module (pam_systemd
# only) is not adopted (reason=no-module).
test_systemd_logind_reconcile_adopts_and_drops() {
    iw__sd_up
    iw__sd_config
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b c=iwtest-$IW_ID-c
    iw_ct_mkuser "$a"
    iw_ct_mkuser "$b"
    iw_ct_mkuser "$c"
    iw__sd_login s1 "$a"
    local a_id a_logind a_scope
    a_id=$(iw__sd_sessions_of "$a" | cut -f1)
    a_logind=$(iw__sd_logind_sessions "$a")
    a_scope=$(iw__sd_field "$a" scope)
    [[ $(iw__sd_field "$a" logind_session) == "$a_logind" ]] ||
        iw_fail "status --json: logind_session=$(iw__sd_field "$a" logind_session), loginctl says $a_logind"
    [[ $a_scope == "/user.slice/user-$(iw_ct id -u "$a").slice/session-$a_logind.scope" ]] ||
        iw_fail "status --json: scope=$a_scope"
    iw__sd_journal_has "$(iw_kv event open)" "$(iw_kv session "$a_id")" "$(iw_kv logind_session "$a_logind")" \
        "$(iw_kv scope "session-$a_logind.scope")" || iw_fail "the open line lacks logind_session= and scope="
    iw_ok "$a: logind session $a_logind, scope $a_scope (status --json and the open line)"

    iw_check "systemctl stop idlewarden" iw_ct systemctl stop idlewarden.service
    iw_tmux_type s1 exit
    iw_wait_until 15 iw__sd_logind_gone "$a" || iw_fail "logind still lists $a's session after the logout"
    iw__sd_login_untracked s2 "$b"
    iw_ct sh -c 'ls /run/idlewarden/spool | grep -q .' || iw_fail "the module spooled nothing for $b's login"
    iw_ct sh -c 'rm -f /run/idlewarden/spool/*' || iw_fail "cannot empty the spool"
    iw__sd_hold_session iwtest-nomod-"$IW_ID" "$c"
    iw_check "systemctl start idlewarden" iw_ct systemctl start idlewarden.service

    iw__sd_journal_has "$(iw_kv event drop)" "$(iw_kv session "$a_id")" "$(iw_kv reason logind-gone)" ||
        iw_fail "$a's session was not dropped as logind-gone: $(iw__sd_journal "$(iw_kvre event '(drop|restore|adopt|reconcile)')" | tr '\n' '|')"
    iw_ok "dropped: $(iw__sd_journal "$(iw_kv event drop)" "$(iw_kv session "$a_id")")"
    local line b_logind
    b_logind=$(iw__sd_logind_sessions "$b")
    line=$(iw__sd_journal "$(iw_kv event adopt)" "$(iw_kv user "$b")" | tail -n1)
    [[ $(iw_audit_field "$line" source) == logind && $(iw_audit_field "$line" service) == sshd &&
        $(iw_audit_field "$line" logind_session) == "$b_logind" && $(iw_audit_field "$line" scope) == "session-$b_logind.scope" &&
        $(iw_audit_field "$line" terminals) == /dev/pts/* ]] || iw_fail "$b was not adopted from logind as expected: $line"
    iw_ok "adopted: $line"
    [[ $(iw__sd_field "$b" logind_session) == "$b_logind" ]] || iw_fail "status --json of $b: $(iw__sd_sessions_of "$b")"
    line=$(iw__sd_journal "$(iw_kv event adopt)" "$(iw_kv user "$c")" | tail -n1)
    [[ $(iw_audit_field "$line" result) == skipped && $(iw_audit_field "$line" reason) == no-module &&
        $(iw_audit_field "$line" service) == "iwtest-nomod-$IW_ID" ]] || iw_fail "$c's session: $line"
    iw__sd_count_is 0 "$c" || iw_fail "$c's session without the module is tracked: $(iw__sd_sessions_of "$c")"
    iw_ok "not adopted: $line"
    iw_ok "reconcile: $(iw__sd_journal "$(iw_kv event reconcile)" | tail -n1)"
    iw_expect_logout s2
    iw_wait_until 15 iw__sd_no_procs "$b" || iw_fail "processes of $b survived: $(iw__sd_session_procs "$b")"
    iw_ok "the adopted session was warned and ended on time; nothing of $b is left"
}

# iw__sd_login_untracked PANE USER — an ssh login while the daemon is down: logind registers it, idlewarden not.
iw__sd_login_untracked() {
    local pane=$1 user=$2
    iw_tmux_new "$pane" "$(iw_ssh_cmd "$user")"
    iw_wait_as "$pane" "$user"
    iw_wait_until 10 iw__sd_logind_has "$user" || iw_fail "logind has no session of $user"
    iw_ok "$user logged in over ssh with the daemon stopped: logind session $(iw__sd_logind_sessions "$user")"
    iw_tmux_mark "$pane"
}

# iw__sd_hold_session SERVICE USER — a logind session of USER opened through a PAM service SERVICE that has
# pam_systemd and not the module: a process (libpam through ctypes) in a transient unit opens it and holds it.
iw__sd_hold_session() {
    local service=$1 user=$2
    iw_ct sh -c "printf '%s\n' 'session required pam_permit.so' 'session optional pam_systemd.so' >/etc/pam.d/$service" ||
        iw_fail "cannot write /etc/pam.d/$service in the container"
    cat >"$IW_CT/root/iwtest-hold.py" <<'PY'
import ctypes, sys, time
pam = ctypes.CDLL("libpam.so.0")
CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
class Conv(ctypes.Structure):
    _fields_ = [("conv", CONV), ("appdata_ptr", ctypes.c_void_p)]
conv = Conv(CONV(lambda *args: 19), None)  # PAM_CONV_ERR: nothing here asks
handle = ctypes.c_void_p()
assert pam.pam_start(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(conv), ctypes.byref(handle)) == 0
print("pam_open_session:", pam.pam_open_session(handle, 0), flush=True)
time.sleep(3600)
PY
    iw_ct systemd-run --quiet --unit="iwtest-hold-$IW_ID" -E XDG_SESSION_CLASS=user -E XDG_SESSION_TYPE=tty \
        python3 /root/iwtest-hold.py "$service" "$user" || iw_fail "systemd-run of the session holder failed"
    iw_wait_until 10 iw__sd_logind_has "$user" ||
        iw_fail "no logind session of $user through $service: $(iw_ct journalctl -u "iwtest-hold-$IW_ID" --no-pager | tail -n 5)"
    iw_ok "$user has logind session $(iw__sd_logind_sessions "$user") through $service (no pam_idlewarden)"
}

# ---------------------------------------------------------------------------------------------------------------
# The sandbox

# `systemd-analyze security idlewarden` rates the shipped unit 2.3 or better (lower is better), and every
# exposure it still lists is one the unit's comments explain. With the desktop drop-in linked (as on a machine
# with a display manager), the daemon still starts and answers, and its sandbox has what desktops need: the
# capabilities to switch to a user, /tmp/.X11-unix and home directories visible (read-only).
test_systemd_sandbox_exposure() {
    iw__sd_up
    local out score
    out=$(iw_ct systemd-analyze security --no-pager idlewarden.service 2>&1)
    printf '%s\n' "$out" >"$IW_TLOG/security.txt"
    score=$(sed -nE 's/.*Overall exposure level for idlewarden.service: ([0-9.]+).*/\1/p' <<<"$out")
    iw_log "systemd-analyze security:"$'\n'"$(grep -E '^✗|Overall' <<<"$out" | sed 's/^/    /')"
    [[ -n $score ]] || iw_fail "no overall exposure level in: $out"
    awk -v s="$score" 'BEGIN { exit !(s <= 2.3) }' || iw_fail "overall exposure $score is above 2.3"
    iw_measure "exposure=$score"
    iw_ok "overall exposure $score (2.3 or better)"
    local setting missing=()
    for setting in $(grep '^✗' <<<"$out" | awk '{ print $2 }' | sed -E 's/=.*//' | sort -u); do
        grep -qF "$setting" "$IW_ROOT/packaging/idlewarden.service.in" || missing+=("$setting")
    done
    ((${#missing[@]} == 0)) || iw_fail "exposures the unit's comments do not explain: ${missing[*]}"
    iw_ok "every remaining exposure is named in the unit's comments"

    iw_ct install -d /etc/systemd/system/idlewarden.service.d
    iw_ct ln -s /usr/share/idlewarden/idlewarden-desktop.conf /etc/systemd/system/idlewarden.service.d/desktop.conf ||
        iw_fail "cannot link the desktop drop-in"
    iw_ct systemctl daemon-reload
    iw_check "restart with the desktop drop-in" iw_ct systemctl restart idlewarden.service
    iw_check "the daemon answers" iw_ct idlewarden status
    out=$(iw_ct systemd-analyze security --no-pager idlewarden.service 2>&1)
    printf '%s\n' "$out" >"$IW_TLOG/security-desktop.txt"
    score=$(sed -nE 's/.*Overall exposure level for idlewarden.service: ([0-9.]+).*/\1/p' <<<"$out")
    iw_measure "exposure_with_desktop_dropin=$score"
    iw_log "with the desktop drop-in: $score; exposures it adds:"$'\n'"$(grep -vFf <(grep '^✗' "$IW_TLOG/security.txt" | awk '{ print $2 }') <(grep '^✗' <<<"$out") | sed 's/^/    /')"
    local pid caps
    pid=$(iw__sd_show MainPID)
    caps=$(iw_ct awk '/^CapBnd/ { print $2 }' "/proc/$pid/status")
    [[ $(iw_ct capsh --decode="$caps") == *cap_setgid*cap_setuid* ]] || iw_fail "CapBnd $caps lacks cap_setuid/cap_setgid"
    iw_ct nsenter -t "$pid" -m test -d /tmp/.X11-unix || iw_fail "/tmp/.X11-unix is not in the daemon's /tmp"
    iw_ct nsenter -t "$pid" -m test -r /home/. || iw_fail "/home is hidden from the daemon"
    iw_ok "with the drop-in ($score): CapBnd $(iw_ct capsh --decode="$caps"), /tmp/.X11-unix and /home visible"
}

# ---------------------------------------------------------------------------------------------------------------
# The README on a systemd host

# The README's commands for systemd hosts (iw_readme_systemd_command: systemctl, journalctl, the unit's drop-in
# directory), in README order, as root in the booted container with the package installed and an ssh login
# registered, each with status 0: those of its ```sh blocks verbatim (a leading sudo left out: the container,
# like a minimal Debian, has none, and the README says to leave it out as root), then the complete commands it
# quotes inline. Inline mentions that name no unit (`systemctl reload`) are prose for the commands run here.
declare -A IW_SD_README_INLINE=(
    ['systemctl daemon-reload']='run'
    ['systemctl restart idlewarden']='run'
    ['journalctl -t idlewarden']='run'
    ['journalctl -u idlewarden']='run'
    ['systemctl reload']='prose: sudo systemctl reload idlewarden is run from its block'
    ['systemctl edit idlewarden']='prose: an editor for a drop-in; the desktop drop-in block shows the same kind of file, linked and run'
    ['sudo systemctl reload idlewarden']='prose: the same command is run from its block'
    ['systemctl restart']='prose: systemctl restart idlewarden is run'
    ['systemctl start']='prose: the package starts the unit (iw__sd_up checks it is active)'
    ['systemctl status']='prose: sudo systemctl status idlewarden is run from its block'
    ['/etc/systemd/system/idlewarden.service.d/desktop.conf']='a path: the ln -s and rm of its block are run'
)
test_systemd_readme_commands() {
    iw__sd_up
    iw__sd_config
    local a=iwtest-$IW_ID-a
    iw_ct_mkuser "$a"
    iw__sd_login s1 "$a"
    local cmds cmd run n=0 rc out
    cmds=$(awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on' "$IW_ROOT/README.md" |
        sed -E 's/[[:space:]]+#.*$//; s/[[:space:]]+$//' | grep -vE '^(#|$)')
    while IFS= read -r cmd; do
        iw_readme_systemd_command "$cmd" || continue
        n=$((n + 1))
        run=${cmd#sudo }
        out=$(iw_ct bash -c "$run" 2>&1 </dev/null)
        rc=$?
        printf '%s\n' "$out" >"$IW_TLOG/readme-$n.txt"
        iw_log "README $n: $cmd → status $rc"$'\n'"$(head -n 4 <<<"$out" | sed 's/^/    /')"
        ((rc == 0)) || iw_fail "README command failed (status $rc): $cmd: $(tail -n 5 <<<"$out")"
        case $run in
            "journalctl -t idlewarden") grep -q "event=open .*user=$a" <<<"$out" || iw_fail "journalctl -t idlewarden does not show the login" ;;
            "systemctl status idlewarden") grep -q 'Active: active (running)' <<<"$out" || iw_fail "systemctl status: not running" ;;
        esac
    done <<<"$cmds"
    ((n >= 8)) || iw_fail "only $n systemd commands in the README's blocks"
    local inline
    inline=$(awk '/^```/ { on = !on; next } !on' "$IW_ROOT/README.md" | grep -oE '`[^`]+`' | tr -d '`' | sort -u)
    while IFS= read -r cmd; do
        iw_readme_systemd_command "$cmd" || continue
        [[ -n ${IW_SD_README_INLINE[$cmd]+x} ]] || iw_fail "README quotes a systemd command no test runs: $cmd (add it to IW_SD_README_INLINE)"
        if [[ ${IW_SD_README_INLINE[$cmd]} != run ]]; then
            iw_log "README inline: $cmd → ${IW_SD_README_INLINE[$cmd]}"
            continue
        fi
        out=$(iw_ct bash -c "$cmd" 2>&1 </dev/null) || iw_fail "README inline command failed: $cmd: $(tail -n 5 <<<"$out")"
        n=$((n + 1))
        iw_log "README inline: $cmd → status 0"
    done <<<"$inline"
    iw_check "the daemon runs" iw_ct systemctl is-active --quiet idlewarden.service
    iw_ok "$n README systemd commands ran in the container, each with status 0"
}

# ---------------------------------------------------------------------------------------------------------------
# A desktop under the unit's sandbox

# A desktop session in the container: the X server is an Xvfb of the host (the container shares the host's
# network namespace, so the server's abstract socket @/tmp/.X11-unix/XN reaches it), the user's X authority is
# ~/.Xauthority (a wildcard entry of the server's cookie), and the session is opened through PAM as a display
# manager opens one: PAM_XDISPLAY and PAM_TTY ":N", XDG_SESSION_TYPE=x11, pam_systemd and pam_idlewarden, the
# user's X client (here a sleep with DISPLAY and XAUTHORITY) a child of the process that opened it.
# Without the desktop drop-in, the shipped sandbox keeps the daemon from reading the display (the x-idle helper
# cannot switch to the user): event=display result=unknown, no warning, not ended. With it (linked as on a
# machine with a display manager, then a restart), the same session is read as idle, warned with an xmessage
# window on the display (seen from the host), and ended.
# iw: lock x-display
test_systemd_desktop_under_the_sandbox() {
    # shellcheck source=graphical.sh
    source "$IW_ROOT/tests/e2e/graphical.sh"
    iw_gui_require
    iw__sd_up
    iw__sd_config
    iw_xvfb_start
    local u=iwtest-$IW_ID-x uid gid
    iw_ct_mkuser "$u"
    uid=$(iw_ct id -u "$u")
    gid=$(iw_ct id -g "$u")
    xauth -q -f "$IW_XAUTH" nlist | sed -E 's/^..../ffff/' | xauth -q -f "$IW_T/xauth-wild" nmerge - ||
        iw_fail "cannot make a wildcard X authority entry"
    iw_ct install -m 0600 -o "$u" -g "$gid" /dev/null "/home/$u/.Xauthority"
    iw_ct sh -c "cat >/home/$u/.Xauthority" <"$IW_T/xauth-wild" || iw_fail "cannot write ~$u/.Xauthority"
    iw_ct sh -c "printf '%s\n' 'session optional pam_systemd.so' 'session optional pam_idlewarden.so' >/etc/pam.d/iwtest-dm-$IW_ID"
    cat >"$IW_CT/root/iwtest-desktop.py" <<'PY'
import ctypes, os, sys, time
service, user, display, uid, gid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
pam = ctypes.CDLL("libpam.so.0")
CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
class Conv(ctypes.Structure):
    _fields_ = [("conv", CONV), ("appdata_ptr", ctypes.c_void_p)]
conv = Conv(CONV(lambda *args: 19), None)
handle = ctypes.c_void_p()
assert pam.pam_start(service.encode(), user.encode(), ctypes.byref(conv), ctypes.byref(handle)) == 0
pam.pam_set_item(handle, 11, display.encode())  # PAM_XDISPLAY
pam.pam_set_item(handle, 3, display.encode())   # PAM_TTY
print("pam_open_session:", pam.pam_open_session(handle, 0), flush=True)
child = os.fork()
if child == 0:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.execve("/bin/sleep", ["sleep", "3600"], {"DISPLAY": display, "XAUTHORITY": "/home/%s/.Xauthority" % user,
                                                 "HOME": "/home/" + user, "PATH": "/usr/bin:/bin"})
os.waitpid(child, 0)
print("desktop ended; pam_close_session:", pam.pam_close_session(handle, 0), flush=True)
PY
    iw_ct systemd-run --quiet --unit="iwtest-desktop-$IW_ID" -E XDG_SESSION_TYPE=x11 -E XDG_SESSION_CLASS=user \
        python3 /root/iwtest-desktop.py "iwtest-dm-$IW_ID" "$u" "$IW_DISPLAY" "$uid" "$gid" ||
        iw_fail "systemd-run of the desktop failed"
    iw_wait_until 10 iw__sd_count_is 1 "$u" || iw_fail "the desktop is not registered: $(iw_ct idlewarden status 2>&1 | tr '\n' '|')"
    [[ $(iw__sd_field "$u" display) == "$IW_DISPLAY" ]] || iw_fail "not a desktop on $IW_DISPLAY: $(iw__sd_sessions_of "$u")"
    iw_ok "desktop of $u on $IW_DISPLAY registered (logind session $(iw__sd_field "$u" logind_session))"

    iw_wait_until $((IW_IDLE + 15)) iw__sd_journal_has "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$u")" ||
        iw_fail "no event=display result=unknown under the shipped sandbox: $(iw__sd_journal "$(iw_kv user "$u")" | tail -n 3)"
    local line
    line=$(iw__sd_journal "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$u")" | head -n1)
    [[ $(iw_audit_field "$line" reason) == *"cannot switch to uid"* ]] || iw_fail "unknown for another reason: $line"
    iw__sd_journal_has "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$u")" && iw_fail "warned or ended without reading the display"
    iw_ok "shipped sandbox: $line"

    iw_ct install -d /etc/systemd/system/idlewarden.service.d
    iw_ct ln -s /usr/share/idlewarden/idlewarden-desktop.conf /etc/systemd/system/idlewarden.service.d/desktop.conf
    iw_ct systemctl daemon-reload
    iw_check "restart with the desktop drop-in" iw_ct systemctl restart idlewarden.service
    iw_wait_until $((IW_IDLE + 10)) iw__sd_journal_has "$(iw_kv event warn)" "$(iw_kv user "$u")" ||
        iw_fail "the idle desktop was not warned with the drop-in: $(iw__sd_journal "$(iw_kv user "$u")" | tail -n 4)"
    line=$(iw__sd_journal "$(iw_kv event warn)" "$(iw_kv user "$u")" | tail -n1)
    [[ $(iw_audit_field "$line" desktop) == xmessage && $(iw_audit_field "$line" display) == "$IW_DISPLAY" ]] ||
        iw_fail "the warning was not an xmessage on $IW_DISPLAY: $line"
    if ! iw_wait_until 5 iw_gui_window_named idlewarden; then
        iw_ct journalctl -b --no-pager -n 60 >"$IW_TLOG/container-journal.txt" 2>&1
        iw_ct ps -eo pid,ppid,uid,stat,args >"$IW_TLOG/container-ps.txt" 2>&1
        iw_fail "no idlewarden window on $IW_DISPLAY: $(iw_x "$IW_XAUTH" xwininfo -root -tree | grep -c .) windows (container-journal.txt, container-ps.txt)"
    fi
    iw_ok "warned on the desktop (a window on the host's $IW_DISPLAY): $line"
    iw_wait_until $((IW_WARN + 3 * IW_GRACE + 10)) iw__sd_journal_has "$(iw_kv event terminate)" "$(iw_kv user "$u")" ||
        iw_fail "the desktop was not ended"
    iw_wait_until 10 iw__sd_no_procs "$u" || iw_fail "processes of $u survived: $(iw__sd_session_procs "$u")"
    iw_ok "ended: $(iw__sd_journal "$(iw_kv event terminate)" "$(iw_kv user "$u")" | tail -n1)"
}
