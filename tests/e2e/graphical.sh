# shellcheck shell=bash
# End-to-end tests of graphical sessions: an X display (Xvfb), a session opened through PAM with PAM_TTY=":N" as a
# display manager does, and an X client of the user running on that display below the registered process.
#
# How the desktop is started: pamtester opens the session through a pam.d service whose session stack is
#   session optional pam_idlewarden.so ...         (registers pamtester, PAM_TTY=":N")
#   session optional pam_exec.so .../desktop.sh    (open_session only: exec setpriv → the user's X client)
# pam_exec forks and waits, so the X client (xclock) is a child of pamtester, the registered process, exactly as a
# display manager's session child is of the process that called pam_open_session; pamtester stays in open_session
# while the "desktop" runs and goes on to close_session when it ends (the display manager returning to its greeter).
# The X display numbers (:70-:99, the first free one) are shared with displaymanager.sh: one of these tests at a
# time picks one.
# iw: lock x-display

IW_GUI_CLIENT=${IW_GUI_CLIENT:-xclock}

iw_gui_require() {
    local tool missing=()
    for tool in Xvfb xauth xdotool xwininfo xmessage "$IW_GUI_CLIENT" setpriv pamtester; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [[ -e /usr/lib/x86_64-linux-gnu/libXss.so.1 || -n $(ldconfig -p | grep 'libXss.so.1 ') ]] || missing+=(libxss1)
    ((${#missing[@]} == 0)) || iw_fail "missing for the graphical tests: ${missing[*]} (apt-get install xvfb xauth x11-utils x11-apps xdotool libxss1 util-linux pamtester)"
}

# iw_xvfb_start — Xvfb on a free private display with a cookie (-auth), no TCP. Sets IW_DISPLAY (":N") and
# IW_XAUTH (a cookie file root uses). iw_gui_xauth_for USER copies it for a user.
iw_xvfb_start() {
    local n
    for n in $(seq 70 99); do
        [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
        IW_DISPLAY=:$n
        break
    done
    [[ -n ${IW_DISPLAY:-} ]] || iw_fail "no free X display between :70 and :99"
    IW_XAUTH=$IW_T/xauth-root
    xauth -q -f "$IW_XAUTH" add "$IW_DISPLAY" . "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" 2>/dev/null ||
        iw_fail "xauth add"
    iw_defer iw__xvfb_stop
    iw_xvfb_run
}
# iw_xvfb_run — (re)start Xvfb on IW_DISPLAY with the cookie of IW_XAUTH; waits until it answers. -noreset: like a
# desktop's server, which always has clients, it does not reset (and restart its idle time) whenever its last
# client, such as the daemon's idle query, disconnects.
iw_xvfb_run() {
    iw__xvfb_release_display
    Xvfb "$IW_DISPLAY" -auth "$IW_XAUTH" -nolisten tcp -noreset -screen 0 1024x768x24 >>"$IW_TLOG/xvfb.log" 2>&1 &
    IW_XVFB_PID=$!
    iw_wait_until 15 iw_x "$IW_XAUTH" xwininfo -root >/dev/null 2>&1 ||
        iw_fail "Xvfb $IW_DISPLAY did not come up: $(tail -n 5 "$IW_TLOG/xvfb.log")"
    iw_log "Xvfb (pid $IW_XVFB_PID) on $IW_DISPLAY, cookie $IW_XAUTH"
}
iw__xvfb_stop() {
    [[ -n ${IW_XVFB_PID:-} ]] && { kill "$IW_XVFB_PID" 2>/dev/null; wait "$IW_XVFB_PID" 2>/dev/null; }
    IW_XVFB_PID=
    iw__xvfb_release_display
    return 0
}
# iw_xvfb_gone — stop the X server but keep its display number: a lock file naming this test's process (as X
# servers write theirs) makes other tests' servers, and iw_xvfb_start, pass the display by until iw_xvfb_run.
iw_xvfb_gone() {
    local lock=/tmp/.X${IW_DISPLAY#:}-lock
    [[ -n ${IW_XVFB_PID:-} ]] && { kill "$IW_XVFB_PID" 2>/dev/null; wait "$IW_XVFB_PID" 2>/dev/null; }
    IW_XVFB_PID=
    (set -C; printf '%10d\n' "$$" >"$lock") 2>/dev/null || iw_fail "display $IW_DISPLAY was taken as soon as it was free"
    iw_log "X server $IW_DISPLAY stopped; $lock holds the display"
}
iw__xvfb_release_display() {
    local lock=/tmp/.X${IW_DISPLAY#:}-lock
    [[ $(tr -d ' ' 2>/dev/null <"$lock") == "$$" ]] && rm -f "$lock"
    return 0
}
# iw_x XAUTH CMD... — run an X client as root against the test display.
iw_x() { local a=$1; shift; DISPLAY=$IW_DISPLAY XAUTHORITY=$a "$@"; }
iw_gui_xauth_for() { # USER → prints the user's copy of the cookie file
    local f=$IW_T/xauth-$1
    cp "$IW_XAUTH" "$f" && chown "$1:" "$f" && chmod 0600 "$f" || iw_fail "cannot copy the X cookie for $1"
    echo "$f"
}

# iw__desktop_service TAG USER FIRST_SESSION_LINE [VAR=VALUE...] -- COMMAND... — a pam.d service (IW__GUI_SERVICE)
# whose session stack is FIRST_SESSION_LINE, the module, then pam_exec of a script that runs COMMAND as USER with
# HOME, USER, PATH and the given variables only (see the top of this file for why pam_exec).
iw__desktop_service() {
    local tag=$1 user=$2 first=$3; shift 3
    local envs=()
    while (($#)) && [[ $1 != -- ]]; do envs+=("$1"); shift; done
    shift
    local script=$IW_T/desktop-$tag.sh home
    home=$(getent passwd "$user" | cut -d: -f6)
    {
        echo '#!/bin/sh'
        echo '[ "$PAM_TYPE" = open_session ] || exit 0'
        printf 'exec setpriv --reuid=%q --regid=%q --init-groups env -i HOME=%q USER=%q PATH=/usr/bin:/bin' \
            "$(id -u "$user")" "$(id -g "$user")" "$home" "$user"
        printf ' %q' "${envs[@]}" "$@"
        echo
    } >"$script"
    chmod 0755 "$script"
    cp "$script" "$IW_TLOG/desktop-$tag.sh"
    IW__GUI_SERVICE=idlewarden-test-gui-$IW_ID-$tag
    iw_pam_service "$IW__GUI_SERVICE" \
        "auth     required pam_permit.so" \
        "account  required pam_permit.so" \
        "$first" \
        "$(iw_module_line)" \
        "session  optional pam_exec.so log=$IW_TLOG/pam_exec-$tag.log $script"
}

# iw__desktop_pamtester TAG USER [PAMTESTER OPTIONS...] — opens the IW__GUI_SERVICE session in the background and
# holds it open (pamtester waits in open_session while the desktop runs); sets IW_GUI_PT_<TAG> to pamtester's pid.
iw__desktop_pamtester() {
    local tag=$1 user=$2; shift 2
    setsid pamtester -v "$@" "$IW__GUI_SERVICE" "$user" open_session close_session \
        </dev/null >"$IW_TLOG/pamtester-$tag.log" 2>&1 &
    local pid=$!
    printf -v "IW_GUI_PT_$tag" '%s' "$pid"
    iw_defer iw_kill_tree "$pid"
}

# iw_gui_session TAG USER [XAUTHORITY] [COMMAND...] — open a graphical session of USER through PAM (PAM_TTY=$IW_DISPLAY)
# whose desktop is COMMAND (default: $IW_GUI_CLIENT) run as USER with DISPLAY/XAUTHORITY. Sets IW_GUI_PT_<TAG>
# (pamtester's pid, the registered process).
iw_gui_session() {
    local tag=$1 user=$2 xauth=${3:-}; shift 3 2>/dev/null || shift $#
    [[ -n $xauth ]] || xauth=$(iw_gui_xauth_for "$user")
    local cmd=("$@")
    ((${#cmd[@]})) || cmd=("$(command -v "$IW_GUI_CLIENT")")
    iw__desktop_service "$tag" "$user" "session  required pam_permit.so" "DISPLAY=$IW_DISPLAY" "XAUTHORITY=$xauth" \
        -- "${cmd[@]}"
    iw__desktop_pamtester "$tag" "$user" -I "tty=$IW_DISPLAY"
    local pidvar=IW_GUI_PT_$tag
    local pid=${!pidvar}
    iw_wait_until 15 iw_gui_client_running "$user" ||
        iw_fail "the desktop of $user did not start: $(cat "$IW_TLOG/pamtester-$tag.log" "$IW_TLOG/pam_exec-$tag.log" 2>/dev/null)"
    iw_log "graphical session $tag of $user: pamtester pid $pid, PAM_TTY=$IW_DISPLAY, desktop: ${cmd[*]}"
}
iw_gui_client_running() { pgrep -u "$(id -u "$1")" -x "${2:-$IW_GUI_CLIENT}" >/dev/null; }
iw_gui_window_named() { iw_x "$IW_XAUTH" xwininfo -root -tree 2>/dev/null | grep -qiE -- "$1"; }
iw_gui_input() { iw_x "$IW_XAUTH" xdotool mousemove --sync "$((100 + RANDOM % 400))" "$((100 + RANDOM % 400))" 2>/dev/null || iw_x "$IW_XAUTH" xdotool key shift; }

iw_gui_setup() { # USER... : tools, syslog, display, users
    iw_gui_require
    local u
    for u in "$@"; do iw_mkuser "$u"; done
    iw_xvfb_start
}

# ---------------------------------------------------------------------------------------------------------------

# Left alone, a desktop is warned on screen (an X message window: no session bus here) and then ended: its X client
# is signalled, the login process goes on to close the session, the audit trail reads warn → terminate.
test_graphical_idle_desktop_warned_and_ended() {
    local user=iwtest-$IW_ID-g
    iw_gui_setup "$user"
    iw_config
    iw_daemon_start
    iw_gui_session a "$user"
    iw_gui_input
    local t0
    t0=$(iw_now_ms)
    iw_wait_until 10 iw__gui_status_has "$user" || iw_fail "status does not show the graphical session: $(iw_status --json)"
    iw_ok "status: $(iw_status | grep "$user")"
    iw_status --json | "$IW_PY" -c '
import json, sys
d, u = sys.argv[1], sys.argv[2]
s = [x for x in json.load(sys.stdin) if x["user"] == u][0]
assert s["display"] == d, s
assert s["terminals"][0] == d, s
assert s["state"] == "active", s
' "$IW_DISPLAY" "$user" || iw_fail "status --json: display key, terminals or state wrong"
    iw_ok "status --json has display=$IW_DISPLAY, terminals starting with it, state active"

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_gui_window_named 'idlewarden' ||
        iw_fail "no idlewarden warning window appeared on $IW_DISPLAY ($(iw_audit | tail -n 5))"
    local warned=$(iw_now_ms)
    iw_ok "warning window on $IW_DISPLAY after $(iw_secs $((warned - t0))) s"
    ((warned - t0 >= (IW_IDLE - IW_WARN - 1) * 1000)) || iw_fail "warned too early: $(iw_secs $((warned - t0))) s"
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv user "$user")" "$(iw_kv display "$IW_DISPLAY")" "$(iw_kv desktop xmessage)" ||
        iw_fail "no warn audit line with display=$IW_DISPLAY desktop=xmessage: $(iw_audit | tail -n 5)"
    iw_ok "warn audit line: $(iw_audit "$(iw_kv event warn)" | tail -n1)"

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw_gui_client_running "$user" ||
        iw_fail "the idle desktop was not ended"
    iw_expect_warned_ahead graphical "$warned" "$(iw_now_ms)"
    iw_expect_end_on_time graphical "$t0" "warned_after_s=$(iw_secs $((warned - t0)))"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" ||
        iw_fail "no terminate audit line"
    iw_ok "terminate audit line: $(iw_audit "$(iw_kv event terminate)" | tail -n1)"
    # The login process ("display manager") goes on: close_session, then it exits.
    iw_wait_until 15 iw_not kill -0 "$IW_GUI_PT_a" 2>/dev/null || iw_fail "pamtester did not go on after the desktop ended"
    iw_audit_wait 10 "$(iw_kv event close)" "$(iw_kv user "$user")" || iw_fail "no close audit line"
    iw_ok "the login process closed the session and exited"
    iw_gui_window_named 'idlewarden' && iw_fail "the warning window outlived the session"
    iw_check "daemon still running" iw_daemon_alive
}
iw__gui_status_has() { iw_status | grep "$1" | grep -q -- "$IW_DISPLAY"; }

# Mouse input through XTest (xdotool) every few seconds keeps the desktop alive well past idle_timeout, with no
# warning; when the input stops it is ended as usual.
test_graphical_input_keeps_desktop_alive() {
    local user=iwtest-$IW_ID-g
    iw_gui_setup "$user"
    iw_config
    iw_daemon_start
    iw_gui_session a "$user"
    local end=$(($(iw_now_ms) + (IW_IDLE * 2 + 10) * 1000)) last
    while (($(iw_now_ms) < end)); do
        iw_gui_input
        last=$(iw_now_ms)
        sleep "$IW_TYPE_INTERVAL"
        iw_gui_client_running "$user" || iw_fail "the desktop was ended although it had input $(iw_secs $(($(iw_now_ms) - last))) s ago"
    done
    iw_ok "desktop alive after $((IW_IDLE * 2 + 10)) s of XTest input (idle_timeout ${IW_IDLE}s)"
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "warned or ended despite input: $(iw_audit "$(iw_kv user "$user")")"
    iw_gui_window_named 'idlewarden' && iw_fail "a warning window is shown despite input"
    iw_ok "no warning, no termination while there was input"
    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw_gui_client_running "$user" ||
        iw_fail "the desktop was not ended after the input stopped"
    local late=$(($(iw_now_ms) - last - IW_IDLE * 1000))
    ((late >= -1000)) || iw_fail "ended $(iw_secs $((-late))) s before idle_timeout after the last input"
    iw_ok "ended $(iw_secs "$late") s after idle_timeout once input stopped"
}

# `idlewarden inhibit` holds a desktop as it holds a terminal session: run from the desktop session (its session
# script here, as from a terminal window on it), `inhibit --why "render job" -- sleep` keeps the idle desktop past
# idle_timeout + warn_before with no warning (audited with the reason; status: inhibited, on its display); when
# the command ends, the idle clock runs from then: warned on the display and ended idle_timeout later.
test_graphical_inhibit_holds_the_desktop() {
    local user=iwtest-$IW_ID-g hold=$((IW_IDLE + IW_WARN + 10))
    iw_gui_setup "$user"
    iw_config
    iw_daemon_start
    iw__user_bin
    iw_gui_session a "$user" "" /bin/sh -c \
        "$IW_GUI_CLIENT & $IW_T/bin/idlewarden inhibit --socket $IW_SOCK --why 'render job' -- sleep $hold; wait"
    iw_audit_wait 15 "$(iw_kv event inhibit)" "$(iw_kv user "$user")" "$(iw_kv result started)" ||
        iw_fail "no 'event=inhibit result=started' from the desktop: $(iw_audit | tail -n 3)"
    local started line
    started=$(iw_now_ms)
    line=$(iw_audit "$(iw_kv event inhibit)" "$(iw_kv user "$user")" "$(iw_kv result started)" | tail -n1)
    [[ $(iw_audit_field "$line" why) == "render job" ]] || iw_fail "the start line lacks why=\"render job\": $line"
    iw_ok "audited: $line"
    iw_status --json | "$IW_PY" -c '
import json, sys
d, u = sys.argv[1], sys.argv[2]
s = [x for x in json.load(sys.stdin) if x["user"] == u][0]
assert s["display"] == d and s["state"] == "inhibited", s
assert [h["why"] for h in s["inhibitors"]] == ["render job"], s
' "$IW_DISPLAY" "$user" || iw_fail "status does not show the desktop as inhibited: $(iw_status --json)"
    iw_ok "status: $(iw_status | grep "$user")"

    iw_sleep_until $((started + (hold - 3) * 1000))
    iw_gui_window_named idlewarden && iw_fail "warned on the desktop while the command held it"
    iw_check "the desktop is alive $((hold - 3)) s into the hold (idle_timeout ${IW_IDLE} s)" iw_gui_client_running "$user"
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "warned or ended while held: $(iw_audit "$(iw_kv user "$user")")"

    iw_audit_wait 15 "$(iw_kv event inhibit)" "$(iw_kv user "$user")" "$(iw_kv result ended)" ||
        iw_fail "no 'event=inhibit result=ended' after the command: $(iw_audit | tail -n 3)"
    local released
    released=$(iw_audit_line_ms "$(iw_audit "$(iw_kv event inhibit)" "$(iw_kv user "$user")" "$(iw_kv result ended)" | tail -n1)")
    iw_wait_until $((IW_IDLE + IW_MAX_LATE + 5)) iw_not iw_gui_client_running "$user" ||
        iw_fail "the desktop was not ended after the hold: $(iw_audit "$(iw_kv user "$user")" | tail -n 3)"
    iw_expect_end_on_time graphical_inhibit_released "$released"
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv user "$user")" "$(iw_kv display "$IW_DISPLAY")" ||
        iw_fail "ended without a warning on $IW_DISPLAY: $(iw_audit "$(iw_kv user "$user")")"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" ||
        iw_fail "no terminate line: $(iw_audit "$(iw_kv user "$user")")"
    iw_ok "after the hold: $(iw_audit "$(iw_kv event terminate)" "$(iw_kv user "$user")" | tail -n1)"
}

# lock_after with a real screen locker from Debian (i3lock) as lock_command: a desktop left alone is locked at
# lock_after (event=lock method=lock_command result=started; i3lock runs as the user and its window is on the
# display), then still warned and ended at idle_timeout on the usual schedule; the locker does not outlive the
# session.
test_graphical_lock_after_locks_then_ends() {
    local user=iwtest-$IW_ID-g
    command -v i3lock >/dev/null 2>&1 || iw_fail "missing i3lock (apt-get install i3lock)"
    iw_gui_setup "$user"
    iw_config 'lock_after = "6s"' 'lock_command = ["/usr/bin/i3lock", "-n"]'
    iw_daemon_start
    iw_gui_session a "$user"
    iw_gui_input
    local t0 locked
    t0=$(iw_now_ms)
    iw_wait_until 20 iw_gui_window_named '"i3lock"' || iw_fail "no i3lock window on $IW_DISPLAY: $(iw_audit | tail -n 3)"
    locked=$(iw_now_ms)
    ((locked - t0 >= 5000)) || iw_fail "locked $(iw_secs $((locked - t0))) s after the last input (lock_after 6 s)"
    iw_ok "locked $(iw_secs $((locked - t0))) s after the last input: i3lock's window is on $IW_DISPLAY"
    iw_check "i3lock runs as $user" iw_gui_client_running "$user" i3lock
    iw_audit_wait 5 "$(iw_kv event lock)" "$(iw_kv user "$user")" "$(iw_kv method lock_command)" "$(iw_kv result started)" ||
        iw_fail "no 'event=lock method=lock_command result=started' line: $(iw_audit | tail -n 3)"
    iw_ok "audited: $(iw_audit "$(iw_kv event lock)" | tail -n1)"
    [[ $(iw_audit_count "$(iw_kv event lock)" "$(iw_kv user "$user")") == 1 ]] || iw_fail "locked more than once"

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_gui_window_named 'idlewarden' ||
        iw_fail "no warning window after the lock ($(iw_audit | tail -n 3))"
    local warned=$(iw_now_ms)
    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw_gui_client_running "$user" || iw_fail "the locked desktop was not ended"
    iw_expect_warned_ahead graphical_locked "$warned" "$(iw_now_ms)"
    iw_expect_end_on_time graphical_locked "$t0" "locked_after_s=$(iw_secs $((locked - t0)))"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" || iw_fail "no terminate line"
    iw_wait_until 10 iw_not iw_gui_client_running "$user" i3lock || iw_fail "i3lock outlived the session"
    iw_ok "the locker ended with the session"
}

# Input after the lock is input: a desktop locked at lock_after that then gets XTest input every few seconds (through
# the locker's grab, as a user at the unlock prompt) is not warned or ended past idle_timeout.
test_graphical_input_after_lock_keeps_desktop() {
    local user=iwtest-$IW_ID-g
    command -v i3lock >/dev/null 2>&1 || iw_fail "missing i3lock (apt-get install i3lock)"
    iw_gui_setup "$user"
    iw_config 'lock_after = "6s"' 'lock_command = ["/usr/bin/i3lock", "-n"]'
    iw_daemon_start
    iw_gui_session a "$user"
    iw_gui_input
    iw_wait_until 20 iw_gui_window_named '"i3lock"' || iw_fail "no i3lock window on $IW_DISPLAY: $(iw_audit | tail -n 3)"
    iw_ok "locked"
    local end=$(($(iw_now_ms) + (IW_IDLE + 10) * 1000))
    while (($(iw_now_ms) < end)); do
        iw_gui_input
        sleep "$IW_TYPE_INTERVAL"
        iw_gui_client_running "$user" || iw_fail "the desktop was ended although it had input after the lock"
    done
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "warned or ended despite input after the lock: $(iw_audit "$(iw_kv user "$user")")"
    iw_ok "not warned or ended: $((IW_IDLE + 10)) s of input after the lock (idle_timeout ${IW_IDLE} s)"
}

# A desktop started as xrdp's sesman starts one: the cookie is in the user's ~/.Xauthority and XAUTHORITY is not
# exported. The daemon finds the authority file as Xlib does ($HOME/.Xauthority, else the home of the account),
# so the display is read (no event=display result=unknown): the idle desktop is warned and ended on schedule.
test_graphical_home_xauthority_as_xrdp_leaves_it() {
    local user=iwtest-$IW_ID-g
    iw_gui_setup "$user"
    local home
    home=$(getent passwd "$user" | cut -d: -f6)
    install -m 0600 -o "$user" -g "$(id -g "$user")" "$IW_XAUTH" "$home/.Xauthority"
    iw_config
    iw_daemon_start
    iw__desktop_service a "$user" "session  required pam_permit.so" "DISPLAY=$IW_DISPLAY" -- "$(command -v "$IW_GUI_CLIENT")"
    grep -q XAUTHORITY "$IW_T/desktop-a.sh" && iw_fail "the desktop's environment names XAUTHORITY"
    iw__desktop_pamtester a "$user" -I "tty=$IW_DISPLAY"
    iw_wait_until 15 iw_gui_client_running "$user" ||
        iw_fail "the desktop of $user did not start: $(cat "$IW_TLOG/pamtester-a.log" "$IW_TLOG/pam_exec-a.log" 2>/dev/null)"
    iw_gui_input
    local t0
    t0=$(iw_now_ms)
    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw_gui_client_running "$user" ||
        iw_fail "the idle desktop was not ended: $(iw_audit "$(iw_kv user "$user")" | tail -n 3)"
    iw_expect_end_on_time graphical_home_xauthority "$t0"
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv user "$user")" "$(iw_kv display "$IW_DISPLAY")" ||
        iw_fail "no warn line: $(iw_audit "$(iw_kv user "$user")")"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" || iw_fail "no terminate line"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "the display could not be read: $(iw_audit "$(iw_kv event display)")"
    iw_ok "read through ~/.Xauthority, warned and ended: $(iw_audit "$(iw_kv event terminate)" | tail -n1)"
}

# A user in exclude_users keeps an idle desktop: never warned, never ended, shown as exempt.
test_graphical_exempt_user_survives() {
    local user=iwtest-$IW_ID-x
    iw_gui_setup "$user"
    IW_EXCLUDE_USERS=("$user")
    iw_config
    iw_daemon_start
    iw_gui_session a "$user"
    iw_wait_until 10 iw__gui_status_has "$user" || iw_fail "status does not show the session"
    iw_status | grep "$user" | grep -q exempt || iw_fail "not shown as exempt: $(iw_status)"
    sleep $((IW_IDLE + IW_WARN + 10))
    iw_check "exempt desktop still running after $((IW_IDLE + IW_WARN + 10)) s idle" iw_gui_client_running "$user"
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "exempt user warned or ended: $(iw_audit "$(iw_kv user "$user")")"
    iw_gui_window_named 'idlewarden' && iw_fail "an exempt user got a warning window"
    iw_ok "no warning, no termination for the exempt user"
}

# A desktop that cannot be watched: its XAUTHORITY replaced by a FIFO that nobody writes, so the idle query hangs
# (and is killed after 500 ms) at every look. It is not kept forever: the failure is logged once
# (event=display result=unknown), the warning is put off while the display has been unreadable for less than
# idle_timeout, then the documented rule applies (event=display result=unobservable action=treated-as-idle, once):
# warned, and ended warn_before later. Its first read is 1 s after the open, so it ends about idle_timeout plus a
# retry plus warn_before after the login.
test_graphical_unobservable_desktop_is_ended_by_rule() {
    local user=iwtest-$IW_ID-u
    iw_gui_setup "$user"
    iw_config
    iw_daemon_start
    local fifo=$IW_T/xauth-fifo
    mkfifo -m 0600 "$fifo" && chown "$user:" "$fifo" || iw_fail "cannot make the FIFO"
    IW_GUI_CLIENT=sleep
    local t0
    t0=$(iw_now_ms)
    iw_gui_session a "$user" "$fifo" /bin/sleep 600
    iw_audit_wait $((IW_IDLE)) "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$user")" ||
        iw_fail "no 'event=display result=unknown': $(iw_audit "$(iw_kv user "$user")")"
    iw_ok "audited: $(iw_audit "$(iw_kv event display)" "$(iw_kv user "$user")" | tail -n1)"
    local retry=5 # UnobservableDisplay.retryDelay for idle_timeout 15 s
    local bound=$((t0 + (1 + IW_IDLE + retry + IW_WARN + IW_MAX_LATE) * 1000))
    iw_wait_until $(((bound - $(iw_now_ms)) / 1000 + 1)) iw_not iw_gui_client_running "$user" sleep ||
        iw_fail "the unobservable desktop was not ended: $(iw_audit "$(iw_kv user "$user")")"
    local ended=$(iw_now_ms)
    iw_measure "graphical_unobservable ended_after_open_s=$(iw_secs $((ended - t0)))"
    ((ended - t0 >= IW_IDLE * 1000)) || iw_fail "ended $(iw_secs $((ended - t0))) s after the login: before idle_timeout"
    iw_ok "ended $(iw_secs $((ended - t0))) s after the login"
    local rule warn term
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" || iw_fail "no terminate line"
    rule=$(iw_audit "$(iw_kv event display)" "$(iw_kv result unobservable)" "$(iw_kv user "$user")")
    (($(grep -c . <<<"$rule") == 1)) || iw_fail "expected one 'display result=unobservable' line: $(iw_audit "$(iw_kv user "$user")")"
    [[ $(iw_audit_field "$rule" action) == treated-as-idle ]] || iw_fail "the rule line does not say treated-as-idle: $rule"
    (($(iw_audit_field "$rule" unreadable_for) >= IW_IDLE)) || iw_fail "treated as idle before unreadable for idle_timeout: $rule"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$user")") == 1)) ||
        iw_fail "the failure was logged more than once: $(iw_audit "$(iw_kv user "$user")")"
    warn=$(iw_audit "$(iw_kv event warn)" "$(iw_kv user "$user")" | tail -n1)
    term=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv user "$user")" | tail -n1)
    [[ -n $warn ]] || iw_fail "ended without a warning"
    iw_expect_warned_ahead "the desktop (audit)" "$(iw_audit_line_ms "$warn")" "$(iw_audit_line_ms "$term")"
    iw_ok "audited: $rule"
    iw_ok "audited: $term"
    iw_check "daemon still running" iw_daemon_alive
}

# An X server that goes away and comes back, under a desktop that does not need it (a process that stays). While the
# display cannot be read for less than idle_timeout it is not idle: no warning when one comes due, the failure logged
# once (event=display result=unknown), and it is asked again. Once the server is back on the same display with the
# same cookie, it is read again (result=reachable-again), and the desktop is warned warn_before ahead and ended as
# usual, idle from no earlier than the server's return.
test_graphical_x_server_gone_and_back() {
    local user=iwtest-$IW_ID-g
    iw_gui_setup "$user"
    iw_config
    iw_daemon_start
    local xauth
    xauth=$(iw_gui_xauth_for "$user")
    IW_GUI_CLIENT=sleep
    iw_gui_session a "$user" "$xauth" /bin/sleep 600
    local t0
    t0=$(iw_now_ms)
    iw_xvfb_gone
    iw_audit_wait $((IW_IDLE)) "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$user")" ||
        iw_fail "no 'event=display result=unknown' after the X server went away: $(iw_audit "$(iw_kv user "$user")")"
    iw_ok "audited: $(iw_audit "$(iw_kv event display)" "$(iw_kv user "$user")" | tail -n1)"
    # Past the moment the warning came due (idle_timeout - warn_before), well before the display has been unreadable
    # for idle_timeout.
    iw_sleep_until $((t0 + (IW_IDLE - IW_WARN + 1) * 1000))
    iw_check "the desktop runs on while its display cannot be read" iw_gui_client_running "$user" sleep
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "warned or ended while the display could not be read: $(iw_audit "$(iw_kv user "$user")")"

    local back
    back=$(iw_now_ms)
    iw_xvfb_run
    iw_audit_wait 40 "$(iw_kv event display)" "$(iw_kv result reachable-again)" "$(iw_kv user "$user")" ||
        iw_fail "no 'event=display result=reachable-again' after the X server came back: $(iw_audit "$(iw_kv user "$user")")"
    iw_ok "audited: $(iw_audit "$(iw_kv event display)" "$(iw_kv result reachable-again)" | tail -n1)"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$user")") == 1)) ||
        iw_fail "expected one 'display result=unknown' line: $(iw_audit "$(iw_kv user "$user")")"
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "warned or ended before the display was read again: $(iw_audit "$(iw_kv user "$user")")"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result unobservable)" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "treated as idle although it was unreadable for less than idle_timeout: $(iw_audit "$(iw_kv user "$user")")"

    iw_wait_until $((IW_IDLE + IW_MAX_LATE + 10)) iw_not iw_gui_client_running "$user" sleep ||
        iw_fail "the desktop was not ended once its display could be read again: $(iw_audit "$(iw_kv user "$user")")"
    local ended warn term
    ended=$(iw_now_ms)
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" || iw_fail "no terminate line"
    warn=$(iw_audit "$(iw_kv event warn)" "$(iw_kv user "$user")" | tail -n1)
    term=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv user "$user")" | tail -n1)
    [[ -n $warn ]] || iw_fail "ended without a warning"
    iw_expect_warned_ahead "the desktop (audit)" "$(iw_audit_line_ms "$warn")" "$(iw_audit_line_ms "$term")"
    iw_measure "graphical_x_back ended_after_return_s=$(iw_secs $((ended - back))) ended_after_open_s=$(iw_secs $((ended - t0)))"
    ((ended - back >= (IW_IDLE - 1) * 1000)) ||
        iw_fail "ended $(iw_secs $((ended - back))) s after the X server came back: the time it was away counted as idle"
    iw_ok "ended $(iw_secs $((ended - back))) s after the X server came back: $term"
    iw_check "daemon still running" iw_daemon_alive
}

# graphical = false in a rule matching types = ["x11"]: graphical sessions are not idle-checked (state unchecked).
test_graphical_rule_graphical_false() {
    local user=iwtest-$IW_ID-g
    iw_gui_setup "$user"
    iw_config '[[rule]]' 'name = "desktops"' 'types = ["x11"]' 'graphical = false'
    iw_daemon_start
    iw_gui_session a "$user"
    iw_wait_until 10 iw__gui_status_has "$user" || iw_fail "status does not show the session"
    iw_status | grep "$user" | grep -q unchecked || iw_fail "not shown as unchecked: $(iw_status)"
    sleep $((IW_IDLE + IW_WARN + 8))
    iw_check "desktop with graphical = false still running" iw_gui_client_running "$user"
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "warned or ended although graphical = false"
    iw_ok "not idle-checked"
}

# ---------------------------------------------------------------------------------------------------------------
# systemd-logind's idle hint. This machine has no logind, so the tests run a private bus (dbus-daemon) with a mock
# org.freedesktop.login1 that behaves like logind for what the daemon reads: Manager.GetSessionByPID, and on each
# session the properties IdleHint, IdleSinceHintMonotonic, Type, Leader and the method SetIdleHint, which like
# logind's stamps the hint with CLOCK_MONOTONIC only when it changes. The test plays the desktop: it registers
# sessions (AddSession, a mock-only method) and sets their hints. The daemon is pointed at the bus with
# IDLEWARDEN_TEST_LOGIND_BUS, which also makes it treat logind as running.

IW_PY_LOGIND_MOCK='
import sys, time, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
ROOT, SES = "/org/freedesktop/login1", "org.freedesktop.login1.Session"
LOG = sys.argv[1]
def log(text):
    with open(LOG, "a") as f: f.write(text + "\n")
class Session(dbus.service.Object):
    def __init__(self, bus, sid, leader, kind):
        self.path, self.leader = ROOT + "/session/" + sid, int(leader)
        self.props = {"Id": dbus.String(sid), "Leader": dbus.UInt32(leader), "Type": dbus.String(kind),
                      "IdleHint": dbus.Boolean(False), "IdleSinceHint": dbus.UInt64(0),
                      "IdleSinceHintMonotonic": dbus.UInt64(0)}
        super().__init__(bus, self.path)
    @dbus.service.method(SES, in_signature="b")
    def SetIdleHint(self, idle):
        if bool(idle) != bool(self.props["IdleHint"]):
            self.props.update(IdleHint=dbus.Boolean(idle), IdleSinceHint=dbus.UInt64(time.time_ns() // 1000),
                              IdleSinceHintMonotonic=dbus.UInt64(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000))
        log("SetIdleHint %s %s -> %s" % (self.path, bool(idle), dict(self.props)))
    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v")
    def Get(self, iface, name):
        log("Get %s %s" % (self.path, name))
        if iface != SES or name not in self.props:
            raise dbus.exceptions.DBusException("Unknown property", name="org.freedesktop.DBus.Error.UnknownProperty")
        return self.props[name]
class Manager(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, ROOT)
        self.bus, self.sessions = bus, []
    @dbus.service.method("org.freedesktop.login1.Manager", in_signature="u", out_signature="o")
    def GetSessionByPID(self, pid):
        log("GetSessionByPID %d" % pid)
        for s in self.sessions:
            if s.leader == pid: return dbus.ObjectPath(s.path)
        raise dbus.exceptions.DBusException("PID %d does not belong to any known session" % pid,
                                            name="org.freedesktop.login1.NoSessionForPID")
    @dbus.service.method("org.idlewarden.MockLogin", in_signature="sus")
    def AddSession(self, sid, leader, kind):
        self.sessions.append(Session(self.bus, sid, leader, kind))
        log("AddSession %s %d %s" % (sid, leader, kind))
bus = dbus.SystemBus()
name = dbus.service.BusName("org.freedesktop.login1", bus)
Manager(bus)
GLib.MainLoop().run()
'

iw_logind_require() {
    local tool missing=()
    for tool in dbus-daemon busctl pamtester setpriv; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    "$IW_PY" -c 'import dbus, dbus.mainloop.glib; from gi.repository import GLib' 2>/dev/null || missing+=(python3-dbus python3-gi)
    ((${#missing[@]} == 0)) || iw_fail "missing for the logind tests: ${missing[*]} (apt-get install dbus systemd python3-dbus python3-gi pamtester util-linux)"
}

# iw_logind_start — the private bus and the mock logind; exports IDLEWARDEN_TEST_LOGIND_BUS for the daemon started
# after it. Sets IW_LOGIND_BUS. Calls the mock received are logged in $IW_TLOG/logind-calls.log.
iw_logind_start() {
    iw_logind_require
    local sock=$IW_T/logind-bus
    cat >"$IW_T/logind-bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=$sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
    dbus-daemon --config-file="$IW_T/logind-bus.conf" --nofork --nopidfile >"$IW_TLOG/logind-bus.log" 2>&1 &
    IW_LOGIND_BUS_PID=$!
    iw_defer iw__stop_pid "$IW_LOGIND_BUS_PID"
    iw_wait_until 10 test -S "$sock" || iw_fail "the private bus did not come up: $(cat "$IW_TLOG/logind-bus.log")"
    IW_LOGIND_BUS=unix:path=$sock
    printf '%s' "$IW_PY_LOGIND_MOCK" >"$IW_T/mock-logind.py"
    DBUS_SYSTEM_BUS_ADDRESS=$IW_LOGIND_BUS "$IW_PY" "$IW_T/mock-logind.py" "$IW_TLOG/logind-calls.log" \
        >"$IW_TLOG/logind-mock.log" 2>&1 &
    IW_LOGIND_MOCK_PID=$!
    iw_defer iw__stop_pid "$IW_LOGIND_MOCK_PID"
    iw_wait_until 10 iw__logind_up || iw_fail "the mock logind did not come up: $(cat "$IW_TLOG/logind-mock.log")"
    export IDLEWARDEN_TEST_LOGIND_BUS=$IW_LOGIND_BUS
    iw_log "mock logind (pid $IW_LOGIND_MOCK_PID) on $IW_LOGIND_BUS (dbus-daemon pid $IW_LOGIND_BUS_PID)"
}
iw__stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }
iw__logind_up() { busctl --address="$IW_LOGIND_BUS" list --no-pager 2>/dev/null | grep -q '^org\.freedesktop\.login1 '; }
iw_logind() { busctl --address="$IW_LOGIND_BUS" --timeout=5 call org.freedesktop.login1 "$@"; }
# iw_logind_add SID LEADER_PID TYPE — register a logind session (object .../session/SID) led by LEADER_PID.
iw_logind_add() {
    iw_logind /org/freedesktop/login1 org.idlewarden.MockLogin AddSession sus "$1" "$2" "$3" ||
        iw_fail "mock logind: AddSession $*"
}
# iw_logind_idle SID true|false — what the desktop does: SetIdleHint on its session.
iw_logind_idle() {
    iw_logind "/org/freedesktop/login1/session/$1" org.freedesktop.login1.Session SetIdleHint b "$2" ||
        iw_fail "mock logind: SetIdleHint $*"
}

# Where logind runs, its idle hint decides for an X session; the X server is asked only when logind has no hint.
# Four X desktops on one display that sees no input at all: (a) the desktop tells logind it is idle: warned and
# ended idle_timeout after that; (b) it told logind it is active again: it survives although the X server says
# idle (logind is preferred); (c) it never set a hint and (d) logind has no session for it: both fall back to the
# X server, which says idle, so they are ended as without logind. Each change of source is audited.
test_graphical_logind_hint_preferred() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b c=iwtest-$IW_ID-c d=iwtest-$IW_ID-d
    iw_gui_setup "$a" "$b" "$c" "$d"
    iw_logind_start
    iw_config
    iw_daemon_start
    iw_gui_session a "$a"
    iw_gui_session b "$b"
    iw_gui_session c "$c"
    iw_gui_session d "$d"
    iw_logind_add c1 "$IW_GUI_PT_a" x11
    iw_logind_add c2 "$IW_GUI_PT_b" x11
    iw_logind_add c3 "$IW_GUI_PT_c" x11
    iw_logind_idle c2 true
    iw_logind_idle c2 false
    iw_logind_idle c1 true
    local t0
    t0=$(iw_now_ms)

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw_gui_client_running "$a" ||
        iw_fail "the desktop logind says is idle was not ended: $(iw_audit "$(iw_kv user "$a")")"
    iw_expect_end_on_time logind_x11 "$t0"
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv user "$a")" "$(iw_kv desktop xmessage)" ||
        iw_fail "no warn line with desktop=xmessage for $a: $(iw_audit "$(iw_kv user "$a")")"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$a")" "$(iw_kv reason idle)" || iw_fail "no terminate line for $a"
    grep -qx "GetSessionByPID $IW_GUI_PT_a" "$IW_TLOG/logind-calls.log" ||
        iw_fail "the daemon did not ask logind for the session of pamtester (pid $IW_GUI_PT_a): $(cat "$IW_TLOG/logind-calls.log")"
    iw_ok "logind asked for pid $IW_GUI_PT_a: $(iw_audit "$(iw_kv event display)" "$(iw_kv user "$a")" | tail -n1)"

    local who
    for who in "$c" "$d"; do
        iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw_gui_client_running "$who" ||
            iw_fail "$who (no logind hint) was not ended by the X server's idle time"
        iw_audit_wait 5 "$(iw_kv event display)" "$(iw_kv user "$who")" "$(iw_kv result logind-fallback)" "$(iw_kv fallback x11)" ||
            iw_fail "no 'display result=logind-fallback fallback=x11' line for $who: $(iw_audit "$(iw_kv user "$who")")"
        iw_ok "no logind hint for $who, X server asked, ended: $(iw_audit "$(iw_kv event display)" "$(iw_kv user "$who")" | tail -n1)"
    done
    iw_audit "$(iw_kv user "$d")" | grep -q 'does not belong to any known session' ||
        iw_fail "the fallback reason for $d does not say logind has no session for it"

    iw_sleep_until $((t0 + (IW_IDLE + IW_WARN + 10) * 1000))
    iw_check "the desktop logind says is active still runs $((IW_IDLE + IW_WARN + 10)) s later (X idle all along)" \
        iw_gui_client_running "$b"
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$b")") == 0)) ||
        iw_fail "warned or ended although logind says active: $(iw_audit "$(iw_kv user "$b")")"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result logind)" "$(iw_kv user "$b")" \
        "$(iw_kv logind_session /org/freedesktop/login1/session/c2)") == 1)) ||
        iw_fail "expected one 'display result=logind' line for $b: $(iw_audit "$(iw_kv user "$b")")"
    iw_ok "active by logind's hint, logged once: $(iw_audit "$(iw_kv event display)" "$(iw_kv user "$b")" | tail -n1)"
    iw_check "daemon still running" iw_daemon_alive
}

IW_PY_NOTIFY_MOCK='
import sys, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
IFACE, LOG = "org.freedesktop.Notifications", sys.argv[1]
class Notifications(dbus.service.Object):
    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        with open(LOG, "a") as f: f.write("%s\t%s\t%s\n" % (app, summary, " ".join(body.split())))
        return dbus.UInt32(1)
    @dbus.service.method(IFACE, out_signature="as")
    def GetCapabilities(self): return ["body"]
    @dbus.service.method(IFACE, out_signature="ssss")
    def GetServerInformation(self): return ("idlewarden-test", "idlewarden", "1", "1.2")
    @dbus.service.method(IFACE, in_signature="u")
    def CloseNotification(self, id): pass
bus = dbus.SessionBus()
name = dbus.service.BusName(IFACE, bus)
Notifications(bus, "/org/freedesktop/Notifications")
GLib.MainLoop().run()
'

# iw_wayland_session TAG USER COMMAND... — open a Wayland desktop session of USER through PAM: no PAM_TTY, no X
# display, XDG_SESSION_TYPE=wayland in the PAM environment (pam_env, as GDM and SDDM put it there); its desktop is
# COMMAND, run as USER below pamtester. Sets IW_GUI_PT_<TAG>.
iw_wayland_session() {
    local tag=$1 user=$2; shift 2
    echo 'XDG_SESSION_TYPE DEFAULT=wayland' >"$IW_T/pam_env-$tag.conf"
    iw__desktop_service "$tag" "$user" \
        "session  required pam_env.so readenv=0 user_readenv=0 conffile=$IW_T/pam_env-$tag.conf" \
        XDG_SESSION_TYPE=wayland -- "$@"
    iw__desktop_pamtester "$tag" "$user"
    local pidvar=IW_GUI_PT_$tag
    local pid=${!pidvar}
    iw_log "wayland session $tag of $user: pamtester pid $pid, desktop: $*"
}

# A Wayland desktop has no X display: logind's idle hint is its only idle source. (a) Its desktop tells logind it
# is idle: it is warned through its session bus (a desktop notification, received here by a mock notification
# server on the session's own dbus-run-session bus), with the site's text (warn_message, filled in, and the
# desktop's way to stay), and ended. (b) Its desktop never set a hint: it cannot be read, which is logged once;
# it is not idle until that has lasted idle_timeout, then it is ended by the rule for a display that cannot be
# read (event=display result=unobservable).
test_graphical_wayland_logind() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b
    local tool
    for tool in dbus-run-session notify-send; do
        command -v "$tool" >/dev/null 2>&1 || iw_fail "missing $tool (apt-get install dbus-bin libnotify-bin)"
    done
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw_logind_start
    iw_config 'warn_message = "Desktop notice for {user}: {stay}."'
    iw_daemon_start
    printf '%s' "$IW_PY_NOTIFY_MOCK" >"$IW_T/mock-notify.py"
    local notices=$IW_T/notices-$a
    install -m 0644 -o "$a" /dev/null "$notices"
    iw_wayland_session a "$a" /usr/bin/dbus-run-session -- "$IW_PY" "$IW_T/mock-notify.py" "$notices"
    iw_wayland_session b "$b" /bin/sleep 600
    iw_wait_until 15 iw_gui_client_running "$a" python3 || iw_fail "the desktop of $a did not start: $(cat "$IW_TLOG/pamtester-a.log")"
    iw_wait_until 15 iw_gui_client_running "$b" sleep || iw_fail "the desktop of $b did not start: $(cat "$IW_TLOG/pamtester-b.log")"
    iw_wait_until 10 iw__wayland_status "$a" || iw_fail "status does not show $a's session as active: $(iw_status)"
    iw_ok "status: $(iw_status | grep "$a")"
    iw_logind_add w1 "$IW_GUI_PT_a" wayland
    iw_logind_add w2 "$IW_GUI_PT_b" wayland
    iw_logind_idle w1 true
    local t0
    t0=$(iw_now_ms)

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) grep -q 'idlewarden' "$notices" ||
        iw_fail "no desktop notification reached $a's session bus: $(iw_audit "$(iw_kv user "$a")")"
    local warned=$(iw_now_ms)
    ((warned - t0 >= (IW_IDLE - IW_WARN - 1) * 1000)) || iw_fail "warned too early: $(iw_secs $((warned - t0))) s"
    iw_ok "notification after $(iw_secs $((warned - t0))) s: $(head -n1 "$notices")"
    iw_wait_until 3 grep -qF "Desktop notice for $a: Move the mouse or press a key to stay logged in." "$notices" ||
        iw_fail "the notification does not carry the site's text: $(cat "$notices")"
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv user "$a")" "$(iw_kv desktop notification)" ||
        iw_fail "no warn line with desktop=notification: $(iw_audit "$(iw_kv user "$a")")"
    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw_gui_client_running "$a" python3 ||
        iw_fail "the idle Wayland desktop was not ended"
    iw_expect_warned_ahead logind_wayland "$warned" "$(iw_now_ms)"
    iw_expect_end_on_time logind_wayland "$t0" "warned_after_s=$(iw_secs $((warned - t0)))"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$a")" "$(iw_kv reason idle)" || iw_fail "no terminate line for $a"

    # Without a hint the Wayland desktop cannot be read: not idle while that lasts less than idle_timeout, then
    # treated as idle by the rule for a display that cannot be read, warned and ended.
    local unknown
    unknown=$(iw_audit "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$b")" | head -n1)
    [[ -n $unknown ]] || iw_fail "no 'display result=unknown' line for $b: $(iw_audit "$(iw_kv user "$b")")"
    local since
    since=$(iw_audit_line_ms "$unknown")
    iw_wait_until $((IW_IDLE + 5 + IW_WARN + IW_MAX_LATE)) iw_not iw_gui_client_running "$b" sleep ||
        iw_fail "the Wayland desktop without a hint was not ended: $(iw_audit "$(iw_kv user "$b")")"
    local ended=$(iw_now_ms)
    ((ended - since >= (IW_IDLE - 1) * 1000)) ||
        iw_fail "ended $(iw_secs $((ended - since))) s after its first unreadable look: before idle_timeout"
    iw_ok "no hint: ended $(iw_secs $((ended - since))) s after its display was first unreadable"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result logind-fallback)" "$(iw_kv fallback none)" "$(iw_kv user "$b")") == 1)) ||
        iw_fail "expected one 'display result=logind-fallback fallback=none' line for $b: $(iw_audit "$(iw_kv user "$b")")"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$b")") == 1)) ||
        iw_fail "expected one 'display result=unknown' line for $b: $(iw_audit "$(iw_kv user "$b")")"
    iw_audit_wait 10 "$(iw_kv event display)" "$(iw_kv result unobservable)" "$(iw_kv action treated-as-idle)" \
        "$(iw_kv user "$b")" || iw_fail "no 'display result=unobservable' line for $b: $(iw_audit "$(iw_kv user "$b")")"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$b")" "$(iw_kv reason idle)" || iw_fail "no terminate line for $b"
    iw_ok "audited: $(iw_audit "$(iw_kv event display)" "$(iw_kv result unobservable)" "$(iw_kv user "$b")")"
    iw_check "daemon still running" iw_daemon_alive
}
iw__wayland_status() { iw_status | grep "$1" | grep -q active; }
