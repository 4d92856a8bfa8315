# shellcheck shell=bash
# End-to-end test with a real display manager: LightDM (Debian's package, unmodified) autologins a test user on an
# Xvfb display, through a PAM stack that is Debian's lightdm-autologin plus pam_idlewarden.
#
# Nothing of the system's configuration is changed: LightDM runs with its own config file (-c), which names
#   - the X server: a wrapper that drops the VT options LightDM gives a local X server and execs Xvfb;
#   - the autologin PAM service: /etc/pam.d/idlewarden-test-dm-ID (a copy of lightdm-autologin + the module);
#   - the sessions directory, run, log and cache directories: all under the test's temp and log dirs;
#   - a session wrapper that execs the session command (no /etc/X11/Xsession, so no session bus: the warning is
#     an xmessage window).
# LightDM needs the system bus (it owns org.freedesktop.DisplayManager and exits without it); the test runs a
# private dbus-daemon with the system policy on a socket in its temp dir (DBUS_SYSTEM_BUS_ADDRESS). There is no
# logind here: LightDM logs that and goes on. On seat0 LightDM activates a VT (VT_ACTIVATE on /dev/tty0) even though
# Xvfb ignores it; the test switches the console back to the VT that was active before.
# iw: lock x-display

iw_dm_require() {
    local tool missing=()
    for tool in lightdm /usr/sbin/lightdm-gtk-greeter dbus-daemon Xvfb xclock xwininfo xdotool xmessage; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [[ -f /etc/pam.d/lightdm-autologin ]] || missing+=(/etc/pam.d/lightdm-autologin)
    [[ -f /usr/share/dbus-1/system.conf ]] || missing+=(/usr/share/dbus-1/system.conf)
    ((${#missing[@]} == 0)) ||
        iw_fail "missing for the display manager test: ${missing[*]} (apt-get install --no-install-recommends lightdm dbus xvfb x11-apps x11-utils xdotool)"
}

# iw_dm_system_bus — a private system bus (the system policy, incl. LightDM's) on $IW_T/system_bus_socket.
# Exports DBUS_SYSTEM_BUS_ADDRESS for LightDM.
iw_dm_system_bus() {
    local sock=$IW_T/system_bus_socket
    dbus-daemon --config-file=/usr/share/dbus-1/system.conf --address="unix:path=$sock" --nofork --nopidfile \
        </dev/null >"$IW_TLOG/dbus.log" 2>&1 &
    IW_DM_DBUS_PID=$!
    iw_defer iw_dm_stop_pid "$IW_DM_DBUS_PID"
    iw_wait_until 10 test -S "$sock" || iw_fail "private system dbus-daemon did not start: $(cat "$IW_TLOG/dbus.log")"
    export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$sock
    iw_log "private system bus (dbus-daemon pid $IW_DM_DBUS_PID) at $DBUS_SYSTEM_BUS_ADDRESS"
}
iw_dm_stop_pid() { # PID — TERM, then KILL after 5 s; the process is a child of the test
    kill -TERM "$1" 2>/dev/null
    iw_wait_until 5 iw__not_alive "$1" || kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# The console VT LightDM will switch away from, put back at cleanup.
iw_dm_vt_active() { local v; v=$(cat /sys/class/tty/tty0/active 2>/dev/null) && echo "${v#tty}"; }
iw_dm_vt_restore() { # N
    [[ -n $1 && $(iw_dm_vt_active) != "$1" ]] || return 0
    "$IW_PY" -c 'import fcntl, os, sys; fcntl.ioctl(os.open("/dev/tty0", os.O_RDWR), 0x5606, int(sys.argv[1]))' "$1" &&
        iw_log "console switched back to VT $1"
}

# iw_dm_start USER SESSION_COMMAND — write the LightDM config (autologin of USER into a session running
# SESSION_COMMAND) and start LightDM. Sets IW_DM_PID, IW_DM_LOG (LightDM's own log), IW_DM_RUN, IW_DM_MIN_DISPLAY.
iw_dm_start() {
    local user=$1 command=$2 d=$IW_T/dm n
    install -d -m 0755 "$d" "$d/sessions" "$d/run" "$d/cache"
    IW_DM_RUN=$d/run
    IW_DM_LOG=$IW_TLOG/lightdm/lightdm.log
    install -d "$IW_TLOG/lightdm"
    for n in $(seq 70 99); do
        [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
        IW_DM_MIN_DISPLAY=$n
        break
    done
    [[ -n ${IW_DM_MIN_DISPLAY:-} ]] || iw_fail "no free X display between :70 and :99"
    # LightDM starts a local X server as: X :N -seat seat0 -auth FILE -nolisten tcp vtN -novtswitch
    cat >"$d/xserver.sh" <<'EOF'
#!/bin/sh
args=
while [ $# -gt 0 ]; do
    case $1 in
        -seat) shift ;;
        vt[0-9]* | -novtswitch) ;;
        *) args="$args $1" ;;
    esac
    shift
done
exec Xvfb $args -screen 0 1024x768x24
EOF
    printf '%s\n' '#!/bin/sh' 'exec "$@"' >"$d/session-wrapper.sh"
    chmod 0755 "$d/xserver.sh" "$d/session-wrapper.sh"
    printf '%s\n' '[Desktop Entry]' 'Name=idlewarden test session' "Exec=$command" 'Type=Application' \
        >"$d/sessions/iwtest.desktop"
    IW_DM_SERVICE=idlewarden-test-dm-$IW_ID
    local stack=()
    mapfile -t stack </etc/pam.d/lightdm-autologin
    iw_pam_service "$IW_DM_SERVICE" "${stack[@]}" "$(iw_module_line)"
    cat >"$d/lightdm.conf" <<EOF
[LightDM]
minimum-display-number=$IW_DM_MIN_DISPLAY
sessions-directory=$d/sessions
run-directory=$d/run
cache-directory=$d/cache
log-directory=$IW_TLOG/lightdm

[Seat:*]
type=local
xserver-command=$d/xserver.sh
session-wrapper=$d/session-wrapper.sh
autologin-user=$user
autologin-user-timeout=0
autologin-session=iwtest
pam-autologin-service=$IW_DM_SERVICE
EOF
    cp "$d/lightdm.conf" "$IW_TLOG/lightdm.conf"
    lightdm -c "$d/lightdm.conf" --show-config >"$IW_TLOG/lightdm-show-config.txt" 2>&1 ||
        iw_fail "lightdm --show-config rejects the test config: $(cat "$IW_TLOG/lightdm-show-config.txt")"
    IW_DM_VT_BEFORE=$(iw_dm_vt_active)
    IW_DM_LIGHTDM_USER_PIDS=" $(pgrep -u lightdm | tr '\n' ' ') "
    iw_defer iw_dm_stop "$user"
    setsid lightdm -d -c "$d/lightdm.conf" </dev/null >"$IW_TLOG/lightdm.out" 2>&1 &
    IW_DM_PID=$!
    iw_log "lightdm (pid $IW_DM_PID) -c $d/lightdm.conf, autologin $user via /etc/pam.d/$IW_DM_SERVICE"
}

# Stop LightDM (it stops its X server and sessions), then what its greeter left behind: LightDM's gtk greeter
# autolaunches a session bus (dbus-launch, as user lightdm) that outlives it — only processes of user lightdm that
# did not exist before this test started LightDM are ended.
iw_dm_stop() { # USER
    [[ -n ${IW_DM_PID:-} ]] || return 0
    iw_dm_stop_pid "$IW_DM_PID"
    IW_DM_PID=
    local p
    for p in $(pgrep -u lightdm); do
        [[ $IW_DM_LIGHTDM_USER_PIDS == *" $p "* ]] || kill -TERM "$p" 2>/dev/null
    done
    rm -rf "/var/lib/lightdm-data/$1"
    iw_dm_vt_restore "${IW_DM_VT_BEFORE:-}"
}

iw_dm_alive() { [[ -n ${IW_DM_PID:-} ]] && kill -0 "$IW_DM_PID" 2>/dev/null; }
# iw_dm_log_has ERE [AFTER_LINE] — LightDM's log has a matching line after line AFTER_LINE (default 0).
iw_dm_log_has() { tail -n +$((${2:-0} + 1)) "$IW_DM_LOG" 2>/dev/null | grep -qE -- "$1"; }
iw_dm_log_lines() { wc -l <"$IW_DM_LOG"; }
# The display LightDM launched its (latest) X server on, e.g. ":70".
iw_dm_display() { grep -oE 'XServer [0-9]+: Launching X Server' "$IW_DM_LOG" 2>/dev/null | tail -n1 | grep -oE '[0-9]+' | sed 's/^/:/'; }
# iw_dm_x CMD... — an X client as root on LightDM's display, with LightDM's server cookie.
iw_dm_x() { local disp; disp=$(iw_dm_display); DISPLAY=$disp XAUTHORITY=$IW_DM_RUN/root/$disp "$@"; }
iw_dm_ignores_hup() { # PID — SIGHUP (signal 1, bit 0) is in the process's ignored set
    local mask
    mask=$(awk '/^SigIgn:/ { print $2 }' "/proc/$1/status" 2>/dev/null) && [[ -n $mask ]] && ((0x$mask & 1))
}
iw_dm_client_running() { pgrep -u "$(id -u "$1")" -x "$2" >/dev/null; }
iw_dm_greeter_running() { pgrep -u lightdm -x lightdm-gtk-gre >/dev/null; } # comm: first 15 characters

# ---------------------------------------------------------------------------------------------------------------

# LightDM autologins the user on Xvfb; the daemon registers the session as x11 on LightDM's display; left idle it is
# warned (xmessage window) and ended; LightDM sees the session end, closes it through PAM, restarts its X server and
# shows its greeter (it does not autologin again).
test_displaymanager_lightdm_autologin_idle_ended() {
    local user=iwtest-$IW_ID-dm
    iw_dm_require
    iw_mkuser "$user"
    iw_config
    iw_daemon_start
    iw_dm_system_bus
    iw_dm_start "$user" /usr/bin/xclock

    iw_wait_until 20 iw_dm_client_running "$user" xclock ||
        iw_fail "LightDM did not autologin $user into the test session (lightdm alive: $(iw_dm_alive && echo yes || echo no)): $(tail -n 15 "$IW_DM_LOG" 2>/dev/null)"
    local disp
    disp=$(iw_dm_display)
    [[ $disp == ":$IW_DM_MIN_DISPLAY" ]] || iw_fail "LightDM's X server is on '$disp', expected :$IW_DM_MIN_DISPLAY"
    iw_dm_log_has "Session pid=[0-9]+: Started with service '$IW_DM_SERVICE', username '$user'" ||
        iw_fail "LightDM did not use the test PAM service: $(grep 'Started with service' "$IW_DM_LOG")"
    iw_ok "LightDM (pid $IW_DM_PID) autologged $user in on $disp through /etc/pam.d/$IW_DM_SERVICE"
    # LightDM ignores SIGHUP (lightdm.c main) and resets only SIGPIPE before it execs a session, so every process
    # of the session ignores SIGHUP: the daemon's HUP does nothing, its TERM after grace ends the session.
    local client
    client=$(pgrep -u "$(id -u "$user")" -x xclock | head -n1)
    iw_dm_ignores_hup "$client" || iw_fail "expected the session's xclock (pid $client) to ignore SIGHUP as LightDM's sessions do: $(grep SigIgn "/proc/$client/status")"
    iw_ok "the session's xclock (pid $client) ignores SIGHUP, inherited from LightDM"
    iw_dm_x xdotool mousemove --sync 200 200 || iw_fail "xdotool on $disp with LightDM's cookie"
    local t0
    t0=$(iw_now_ms)

    iw_wait_until 10 iw__dm_status_has "$user" "$disp" || iw_fail "status does not show the session on $disp: $(iw_status --json)"
    iw_status --json | "$IW_PY" -c '
import json, sys
d, u, svc = sys.argv[1:]
s = [x for x in json.load(sys.stdin) if x["user"] == u]
assert len(s) == 1, s
s = s[0]
assert s["display"] == d, s
assert s["tty"] == d, s
assert s["terminals"][0] == d, s
assert s["service"] == svc, s
assert s["state"] == "active", s
' "$disp" "$user" "$IW_DM_SERVICE" || iw_fail "status --json: display, tty, terminals, service or state wrong: $(iw_status --json)"
    iw_ok "status: $(iw_status | grep -F "$user")"
    iw_audit_wait 5 "$(iw_kv event open)" "$(iw_kv user "$user")" "$(iw_kv tty "$disp")" ||
        iw_fail "no open audit line with tty=$disp: $(iw_audit | tail -n 5)"
    iw_ok "open audit line: $(iw_audit "$(iw_kv event open)" "$(iw_kv user "$user")" | tail -n1)"

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw__dm_window_named idlewarden ||
        iw_fail "no idlewarden warning window on $disp ($(iw_audit | tail -n 5))"
    local warned
    warned=$(iw_now_ms)
    ((warned - t0 >= (IW_IDLE - IW_WARN - 1) * 1000)) || iw_fail "warned too early: $(iw_secs $((warned - t0))) s"
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv user "$user")" "$(iw_kv display "$disp")" ||
        iw_fail "no warn audit line with display=$disp: $(iw_audit | tail -n 5)"
    iw_ok "warning window on $disp after $(iw_secs $((warned - t0))) s: $(iw_audit "$(iw_kv event warn)" | tail -n1)"

    local before_end
    before_end=$(iw_dm_log_lines)
    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_no_user_procs "$user" ||
        iw_fail "the idle session was not ended; processes of $user: $(iw_user_procs "$user")"
    iw_expect_warned_ahead displaymanager "$warned" "$(iw_now_ms)"
    iw_expect_end_on_time displaymanager "$t0" "warned_after_s=$(iw_secs $((warned - t0)))"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" ||
        iw_fail "no terminate audit line: $(iw_audit | tail -n 5)"
    local term
    term=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv user "$user")" | tail -n1)
    [[ $(iw_audit_field "$term" ended_by) == *TERM:* ]] || iw_fail "expected the session to be ended by TERM (HUP is ignored): $term"
    iw_ok "terminate audit line: $term"

    # LightDM's side: its session child returns from the session, closes it through PAM (the module's close), and
    # LightDM restarts the X server for its greeter.
    iw_audit_wait 10 "$(iw_kv event close)" "$(iw_kv user "$user")" || iw_fail "no close audit line (pam_close_session)"
    iw_ok "LightDM closed the session through PAM: $(iw_audit "$(iw_kv event close)" | tail -n1)"
    iw_wait_until 20 iw_dm_log_has 'Greeter connected' "$before_end" ||
        iw_fail "LightDM did not show its greeter after the session ended: $(tail -n +$((before_end + 1)) "$IW_DM_LOG" | tail -n 20)"
    iw_dm_log_has 'Session pid=[0-9]+: Exited with return value' "$before_end" || iw_fail "LightDM did not log the session's exit"
    iw_dm_log_has 'Active display server stopped, starting greeter' "$before_end" ||
        iw_fail "LightDM did not restart the display for its greeter"
    iw_dm_log_has "Started with service '$IW_DM_SERVICE'" "$before_end" && iw_fail "LightDM autologged in again"
    iw_check "LightDM's greeter (lightdm-gtk-greeter, user lightdm) runs" iw_dm_greeter_running
    iw_check "LightDM (pid $IW_DM_PID) still running" iw_dm_alive
    iw_ok "LightDM: $(tail -n +$((before_end + 1)) "$IW_DM_LOG" | grep -E 'Exited with return value|starting greeter|Greeter connected' | tr '\n' '|')"
    iw_wait_until 10 iw__dm_no_session "$user" || iw_fail "status still lists the ended session: $(iw_status)"
    iw_check "daemon still running" iw_daemon_alive
}
iw__dm_status_has() { iw_status | grep -F "$1" | grep -qF -- "$2"; }
iw__dm_window_named() { iw_dm_x xwininfo -root -tree 2>/dev/null | grep -qiE -- "$1"; }
iw__dm_no_session() { [[ $(iw_session_count "$1") == 0 ]]; }
