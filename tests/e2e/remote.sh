# shellcheck shell=bash
# End-to-end tests of a remote desktop: Debian's xrdp and xorgxrdp (0.9.21) with their stock configuration, reached
# with FreeRDP's client (xfreerdp) from an Xvfb display, as from a lab's thin client.
#
# xrdp-sesman and xrdp run as root in a mount namespace of their own (unshare), in which
#   - /etc/xrdp/sesman.ini and xrdp.ini are copies of the installed ones with only the ports (free ones, xrdp's on
#     127.0.0.1) and the log files changed: xrdp reads sesman's port from /etc/xrdp/sesman.ini, a path built in;
#   - /etc/pam.d/xrdp-sesman, the PAM service sesman uses (a name built in: sesman/verify_user_pam.c,
#     get_service_name), is the installed one plus the module's line;
#   - /run/xrdp, where both keep their pid files (paths built in) and the sockets between xrdp, the session's X
#     server and xrdp-chansrv, is a tmpfs;
# so no file of the system is changed, and all of it goes with the namespace's processes. The session is xrdp's
# default, Xorg (xorgxrdp): sesman opens the PAM session with PAM_TTY ":N" (the first free display from :10), runs
# Xorg as the user with the cookie in ~/.Xauthority and XAUTHORITY not exported, then /etc/X11/Xsession through
# /etc/xrdp/startwm.sh; the user's ~/.xsession is xclock (there is no desktop environment here). Input reaches the
# session the way a user's does: XTest moves the pointer over xfreerdp's window on the client display, xfreerdp
# sends it to xrdp, xrdp to xorgxrdp's mouse driver.
# The client display is an Xvfb on :60-:69 (the other graphical tests use :70-:99, sesman :10 and up).
# iw: lock xrdp

IW_RDP_CLIENT_DISPLAYS=$(seq 60 69)

iw_xrdp_require() {
    local tool f missing=()
    for tool in xrdp xrdp-sesman xfreerdp Xvfb xauth xdotool xwininfo xclock chpasswd unshare mount; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    for f in /etc/xrdp/xrdp.ini /etc/xrdp/sesman.ini /etc/xrdp/cert.pem /etc/xrdp/key.pem /etc/pam.d/xrdp-sesman \
        /etc/X11/xrdp/xorg.conf /usr/lib/xorg/Xorg /usr/lib/xorg/modules/drivers/xrdpdev_drv.so /etc/X11/Xsession; do
        [[ -e $f ]] || missing+=("$f")
    done
    ((${#missing[@]} == 0)) || iw_fail "missing for the xrdp tests: ${missing[*]} (apt-get install --no-install-recommends xrdp xorgxrdp freerdp2-x11 xvfb xauth x11-utils x11-apps xdotool)"
}

# iw_xrdp_user USER — a test user with a password (IW_RDP_PASS) and xclock as ~/.xsession.
iw_xrdp_user() {
    local user=$1 home
    iw_mkuser "$user"
    IW_RDP_PASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s:%s\n' "$user" "$IW_RDP_PASS" | chpasswd || iw_fail "chpasswd $user"
    home=$(getent passwd "$user" | cut -d: -f6)
    printf 'exec xclock\n' >"$home/.xsession"
    chown "$user:" "$home/.xsession"
}

# iw_xrdp_start USER — sesman and xrdp in their namespace (see the top of this file), with the module against the
# test daemon (start it first). Sets IW_XRDP_PORT, IW_XRDP_PID (the namespace's first process).
iw_xrdp_start() {
    local user=$1 dir=$IW_T/xrdp sesman_port
    [[ -n ${IW_SOCK:-} ]] || iw_fail "iw_xrdp_start: start the daemon first"
    install -d -m 0755 "$dir"
    sesman_port=$(iw_free_port)
    IW_XRDP_PORT=$(iw_free_port)
    [[ $sesman_port != "$IW_XRDP_PORT" ]] || IW_XRDP_PORT=$(iw_free_port)
    sed -e "s/^ListenPort=.*/ListenPort=$sesman_port/" -e "s|^LogFile=.*|LogFile=$IW_TLOG/xrdp-sesman.log|" \
        /etc/xrdp/sesman.ini >"$dir/sesman.ini"
    sed -e "s|^port=3389\$|port=tcp://127.0.0.1:$IW_XRDP_PORT|" -e "s|^LogFile=.*|LogFile=$IW_TLOG/xrdp.log|" \
        /etc/xrdp/xrdp.ini >"$dir/xrdp.ini"
    grep -q "^port=tcp://127.0.0.1:$IW_XRDP_PORT\$" "$dir/xrdp.ini" || iw_fail "no port=3389 line in /etc/xrdp/xrdp.ini"
    grep -q "^ListenPort=$sesman_port\$" "$dir/sesman.ini" || iw_fail "no ListenPort line in /etc/xrdp/sesman.ini"
    { diff /etc/xrdp/sesman.ini "$dir/sesman.ini"; diff /etc/xrdp/xrdp.ini "$dir/xrdp.ini"; } >"$IW_TLOG/xrdp-ini.diff"
    { cat /etc/pam.d/xrdp-sesman; iw_module_line; } >"$dir/pam.d-xrdp-sesman"
    cp "$dir/pam.d-xrdp-sesman" "$IW_TLOG/pam.d-xrdp-sesman"
    # The mount point of the tmpfs, as xrdp's own service makes it (/usr/share/xrdp/socksetup).
    if [[ ! -d /run/xrdp ]]; then
        install -d -m 0755 /run/xrdp
        iw_defer rmdir /run/xrdp
    fi
    cat >"$dir/namespace.sh" <<EOF
set -e
mount -t tmpfs -o mode=0755 iwtest-xrdp /run/xrdp
mount --bind $dir/sesman.ini /etc/xrdp/sesman.ini
mount --bind $dir/xrdp.ini /etc/xrdp/xrdp.ini
mount --bind $dir/pam.d-xrdp-sesman /etc/pam.d/xrdp-sesman
xrdp-sesman --nodaemon &
xrdp --nodaemon &
wait
EOF
    setsid unshare --mount --propagation private bash "$dir/namespace.sh" </dev/null >>"$IW_TLOG/xrdp-namespace.log" 2>&1 &
    IW_XRDP_PID=$!
    IW_XRDP_UID=$(id -u "$user")
    iw_defer iw__xrdp_stop
    iw_wait_until 30 iw__xrdp_listening ||
        iw_fail "xrdp or sesman did not start: $(tail -n 5 "$IW_TLOG/xrdp-namespace.log" "$IW_TLOG/xrdp.log" "$IW_TLOG/xrdp-sesman.log" 2>&1)"
    iw_log "xrdp on 127.0.0.1:$IW_XRDP_PORT, sesman on port $sesman_port (namespace pid $IW_XRDP_PID): $(tr '\n' ' ' <"$IW_TLOG/xrdp-ini.diff")"
}
iw__xrdp_listening() {
    grep -q "listening to port $IW_XRDP_PORT on 127.0.0.1" "$IW_TLOG/xrdp.log" 2>/dev/null &&
        grep -q "starting xrdp-sesman with pid" "$IW_TLOG/xrdp-sesman.log" 2>/dev/null &&
        pgrep -P "$IW_XRDP_PID" -x xrdp-sesman >/dev/null
}
# sesman and xrdp with all they started (sesman's sessions too; the namespace's shell then reaps them and exits),
# then what the user still runs, and the lock file and socket of an X server of the user's that could not remove
# them.
iw__xrdp_stop() {
    local child
    for child in $(pgrep -P "$IW_XRDP_PID"); do iw_kill_tree "$child"; done
    iw_wait_until 5 iw_not kill -0 "$IW_XRDP_PID" 2>/dev/null || iw_kill_tree "$IW_XRDP_PID"
    wait "$IW_XRDP_PID" 2>/dev/null
    pkill -KILL -u "$IW_XRDP_UID" 2>/dev/null
    iw_wait_until 5 iw_not pgrep -u "$IW_XRDP_UID" >/dev/null
    local lock n
    for lock in /tmp/.X*-lock; do
        [[ -f $lock && $(stat -c %u "$lock") == "$IW_XRDP_UID" ]] || continue
        n=${lock#/tmp/.X}; n=${n%-lock}
        rm -f "$lock"
        [[ $(stat -c %u "/tmp/.X11-unix/X$n" 2>/dev/null) == "$IW_XRDP_UID" ]] && rm -f "/tmp/.X11-unix/X$n"
        iw_log "removed the X lock and socket of :$n left by the session"
    done
    return 0
}

# iw_rdp_client_display — an Xvfb for the client, on the first free display of :60-:69, with a cookie. Sets
# IW_RDP_CLIENT (":N") and IW_RDP_CLIENT_XAUTH.
iw_rdp_client_display() {
    local n
    IW_RDP_CLIENT_XAUTH=$IW_T/xauth-client
    for n in $IW_RDP_CLIENT_DISPLAYS; do
        [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] && continue
        IW_RDP_CLIENT=:$n
        break
    done
    [[ -n ${IW_RDP_CLIENT:-} ]] || iw_fail "no free X display between :60 and :69"
    xauth -q -f "$IW_RDP_CLIENT_XAUTH" add "$IW_RDP_CLIENT" . "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
        2>/dev/null || iw_fail "xauth add"
    Xvfb "$IW_RDP_CLIENT" -auth "$IW_RDP_CLIENT_XAUTH" -nolisten tcp -noreset -screen 0 1024x768x24 \
        >>"$IW_TLOG/xvfb-client.log" 2>&1 &
    IW_RDP_CLIENT_PID=$!
    iw_defer iw__stop_pid "$IW_RDP_CLIENT_PID"
    iw_wait_until 20 iw__rdp_client xwininfo -root >/dev/null 2>&1 ||
        iw_fail "Xvfb $IW_RDP_CLIENT did not come up: $(tail -n 5 "$IW_TLOG/xvfb-client.log")"
    iw_log "client display: Xvfb (pid $IW_RDP_CLIENT_PID) on $IW_RDP_CLIENT"
}
iw__stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }
iw__rdp_client() { DISPLAY=$IW_RDP_CLIENT XAUTHORITY=$IW_RDP_CLIENT_XAUTH "$@"; }

# iw_rdp_connect USER — xfreerdp on the client display logs USER in with the password (xrdp's login screen gets
# it from the client: no prompt); waits until the session is registered and its desktop (xclock) runs. Sets
# IW_RDP_DISPLAY (the session's display, from status), IW_RDP_WINDOW (xfreerdp's window), IW_RDP_XFREERDP_PID.
iw_rdp_connect() {
    local user=$1
    install -d -m 0700 "$IW_T/rdp-home" # xfreerdp keeps its ~/.config/freerdp there, not in root's home
    HOME=$IW_T/rdp-home DISPLAY=$IW_RDP_CLIENT XAUTHORITY=$IW_RDP_CLIENT_XAUTH setsid xfreerdp \
        "/v:127.0.0.1:$IW_XRDP_PORT" "/u:$user" "/p:$IW_RDP_PASS" /cert:ignore /size:800x600 -wallpaper \
        </dev/null >>"$IW_TLOG/xfreerdp.log" 2>&1 &
    IW_RDP_XFREERDP_PID=$!
    iw_defer iw__stop_pid "$IW_RDP_XFREERDP_PID"
    iw_wait_until 60 iw__rdp_registered "$user" ||
        iw_fail "no session of $user in status: $(iw_status) $(tail -n 5 "$IW_TLOG/xrdp-sesman.log" "$IW_TLOG/xfreerdp.log" 2>&1)"
    iw_wait_until 60 iw__rdp_desktop_running "$user" ||
        iw_fail "the desktop (xclock) of $user did not start: $(tail -n 5 "$IW_TLOG/xrdp-sesman.log") $(cat "$(getent passwd "$user" | cut -d: -f6)/.xsession-errors" 2>&1)"
    IW_RDP_WINDOW=$(iw__rdp_client xdotool search --name '^FreeRDP' 2>/dev/null | head -n1)
    [[ -n $IW_RDP_WINDOW ]] || iw_fail "no FreeRDP window on $IW_RDP_CLIENT: $(iw__rdp_client xwininfo -root -tree | head -n 20)"
    iw_log "xfreerdp (pid $IW_RDP_XFREERDP_PID, window $IW_RDP_WINDOW) → xrdp: $user's session on $IW_RDP_DISPLAY, desktop: $(pgrep -a -u "$user" -x xclock)"
    iw_log "the session's processes: $(iw_user_procs "$user" | awk '{ $2 = $3 = $4 = $5 = ""; print }' | tr -s ' ' | tr '\n' ';')"
}
iw__rdp_registered() {
    IW_RDP_DISPLAY=$(iw_status --json | "$IW_PY" -c '
import json, sys
s = [x for x in json.load(sys.stdin) if x["user"] == sys.argv[1]]
print(s[0]["display"] or "" if s else "")' "$1")
    [[ $IW_RDP_DISPLAY == :* ]]
}
iw__rdp_desktop_running() { pgrep -u "$(id -u "$1")" -x xclock >/dev/null; }

# iw_rdp_input USER — move the pointer over xfreerdp's window (XTest on the client display): the user's input,
# which xfreerdp sends to xrdp and xrdp to the session's X server. Returns once the session's pointer is there
# (the window shows the session's 800x600 screen 1:1), so the input has reached the session's X server by then.
iw_rdp_input() {
    local x y
    x=$((50 + RANDOM % 700)) y=$((50 + RANDOM % 500))
    [[ "$x $y" != "${IW_RDP_LAST_XY:-}" ]] || x=$((x + 1))
    IW_RDP_LAST_XY="$x $y"
    iw__rdp_client xdotool mousemove --window "$IW_RDP_WINDOW" "$x" "$y" ||
        iw_fail "xdotool mousemove on the client display failed"
    iw_wait_until 20 iw__rdp_session_pointer_at "$1" "$x" "$y" ||
        iw_fail "the pointer moved on the client did not reach the session: at $(iw__rdp_session_x "$1" xdotool getmouselocation 2>&1), not x:$x y:$y"
}
iw__rdp_session_pointer_at() { [[ $(iw__rdp_session_x "$1" xdotool getmouselocation 2>/dev/null) == "x:$2 y:$3 "* ]]; }
# iw__rdp_session_x USER CMD... — an X client run as root on the session's own display, with the user's cookie.
iw__rdp_session_x() {
    local user=$1; shift
    DISPLAY=$IW_RDP_DISPLAY XAUTHORITY=$(getent passwd "$user" | cut -d: -f6)/.Xauthority "$@"
}

iw__rdp_warning_shown() { iw__rdp_session_x "$1" xwininfo -root -tree 2>/dev/null | grep -qi idlewarden; }
iw__rdp_server_gone() { ! pgrep -u "$(id -u "$1")" -x Xorg >/dev/null; }

# iw_xrdp_setup USER — everything up to a connected session: tools, the user, the daemon (short policy), sesman and
# xrdp, the client display, xfreerdp.
iw_xrdp_setup() {
    local user=$1
    iw_xrdp_require
    iw_xrdp_user "$user"
    iw_config
    iw_daemon_start
    iw_xrdp_start "$user"
    iw_rdp_client_display
    iw_rdp_connect "$user"
}

# ---------------------------------------------------------------------------------------------------------------

# An idle xrdp desktop with xrdp's stock configuration: registered as a graphical session on sesman's display
# (PAM_TTY ":N", from xrdp-sesman; xrdp 0.9.21 gives no remote address: rhost is empty), read through the user's
# ~/.Xauthority (never event=display result=unknown), warned on the remote desktop (an xmessage window there),
# logged off on schedule (event=terminate reason=idle), and all of it ends without SIGKILL: the desktop,
# xorgxrdp's Xorg (SIGTERM: after SIGHUP it may hang), xrdp-chansrv, every process of the user; sesman closes the
# PAM session (event=close) and xrdp disconnects the client.
test_remote_xrdp_idle_desktop_warned_and_ended() {
    local user=iwtest-$IW_ID-r
    iw_xrdp_setup "$user"
    iw_rdp_input "$user"
    local t0
    t0=$(iw_now_ms)
    iw_status --json | "$IW_PY" -c '
import json, sys
d, u = sys.argv[1], sys.argv[2]
s = [x for x in json.load(sys.stdin) if x["user"] == u][0]
assert s["service"] == "xrdp-sesman", s
assert s["tty"] == d and s["display"] == d and s["terminals"][0] == d, s
assert s["state"] == "active", s
assert s["rhost"] is None, s
' "$IW_RDP_DISPLAY" "$user" || iw_fail "status --json: service, tty, display, state or rhost wrong: $(iw_status --json)"
    iw_ok "status: $(iw_status | grep "$user")"
    iw_audit_wait 5 "$(iw_kv event open)" "$(iw_kv user "$user")" "$(iw_kv service xrdp-sesman)" \
        "$(iw_kv tty "$IW_RDP_DISPLAY")" "$(iw_kv type x11)" "$(iw_kv display "$IW_RDP_DISPLAY")" ||
        iw_fail "no open line with service=xrdp-sesman tty=$IW_RDP_DISPLAY type=x11: $(iw_audit "$(iw_kv user "$user")")"
    iw_audit "$(iw_kv event open)" "$(iw_kv user "$user")" | grep -q ' rhost=' &&
        iw_fail "the open line has an rhost, which xrdp 0.9.21 does not give (README, Remote desktops): $(iw_audit "$(iw_kv event open)")"
    iw_ok "audited: $(iw_audit "$(iw_kv event open)" "$(iw_kv user "$user")")"

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw__rdp_warning_shown "$user" ||
        iw_fail "no idlewarden window on the session's display $IW_RDP_DISPLAY: $(iw_audit "$(iw_kv user "$user")" | tail -n 5)"
    local warned=$(iw_now_ms)
    ((warned - t0 >= (IW_IDLE - IW_WARN - 1) * 1000)) || iw_fail "warned too early: $(iw_secs $((warned - t0))) s"
    iw_ok "warning window on the remote desktop $IW_RDP_DISPLAY $(iw_secs $((warned - t0))) s after the last input"
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv user "$user")" "$(iw_kv display "$IW_RDP_DISPLAY")" \
        "$(iw_kv desktop xmessage)" || iw_fail "no warn line with display=$IW_RDP_DISPLAY desktop=xmessage: $(iw_audit "$(iw_kv user "$user")")"

    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw__rdp_desktop_running "$user" ||
        iw_fail "the idle xrdp desktop was not ended: $(iw_audit "$(iw_kv user "$user")" | tail -n 3)"
    local ended=$(iw_now_ms)
    iw_expect_warned_ahead xrdp "$warned" "$ended"
    iw_expect_end_on_time xrdp "$t0" "warned_after_s=$(iw_secs $((warned - t0)))"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" ||
        iw_fail "no terminate line: $(iw_audit "$(iw_kv user "$user")")"
    local term
    term=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv user "$user")" | tail -n1)
    iw_ok "audited: $term"
    # Xorg had SIGTERM beside the others' SIGHUP (given SIGHUP, xorgxrdp's Xorg may crash in its reset and hang,
    # deaf to SIGTERM, until SIGKILL): ended_by counts the last signal each process had, and none needed SIGKILL.
    local ended_by
    ended_by=$(iw_audit_field "$term" ended_by)
    [[ $ended_by =~ (^|,)TERM:[1-9] && $ended_by != *KILL* ]] ||
        iw_fail "expected the X server ended by SIGTERM and no SIGKILL, ended_by=$ended_by: $term"

    # The rest of the session goes too, X server first: no process of the user is left.
    iw_wait_until $((2 * IW_GRACE + 10)) iw__rdp_server_gone "$user" ||
        iw_fail "the session's Xorg outlived the desktop: $(iw_user_procs "$user")"
    local server_gone=$(iw_now_ms)
    iw_wait_until $((2 * IW_GRACE + 10)) iw_no_user_procs "$user" ||
        iw_fail "processes of $user outlived the session: $(iw_user_procs "$user")"
    local all_gone=$(iw_now_ms)
    iw_measure "xrdp_end xorg_gone_after_desktop_s=$(iw_secs $((server_gone - ended))) all_gone_after_desktop_s=$(iw_secs $((all_gone - ended)))"
    iw_ok "Xorg gone $(iw_secs $((server_gone - ended))) s and every process of $user $(iw_secs $((all_gone - ended))) s after the desktop"
    iw_audit_wait 15 "$(iw_kv event close)" "$(iw_kv user "$user")" ||
        iw_fail "sesman did not close the PAM session: $(tail -n 5 "$IW_TLOG/xrdp-sesman.log")"
    iw_ok "sesman closed the session: $(grep -E 'auth_stop_session|exited' "$IW_TLOG/xrdp-sesman.log" | tail -n 2 | tr '\n' ' ')"
    iw_wait_until 15 iw_not kill -0 "$IW_RDP_XFREERDP_PID" 2>/dev/null ||
        iw_fail "xfreerdp is still connected after the logoff: $(tail -n 3 "$IW_TLOG/xfreerdp.log")"
    iw_ok "xrdp disconnected the client"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "the display could not be read: $(iw_audit "$(iw_kv event display)" "$(iw_kv user "$user")")"
    iw_check "daemon still running" iw_daemon_alive
}

# Input given at the client (the pointer moved over xfreerdp's window every few seconds) keeps the xrdp desktop
# well past idle_timeout, with no warning. Then the client goes away: sesman keeps the disconnected session
# (KillDisconnected=false, xrdp's default), which is ended idle_timeout after the last input as usual.
test_remote_xrdp_input_keeps_desktop() {
    local user=iwtest-$IW_ID-r
    iw_xrdp_setup "$user"
    local keep=$((IW_IDLE + IW_MAX_LATE + 5)) end last
    end=$(($(iw_now_ms) + keep * 1000))
    while (($(iw_now_ms) < end)); do
        iw_rdp_input "$user"
        last=$(iw_now_ms)
        sleep "$IW_TYPE_INTERVAL"
        iw__rdp_desktop_running "$user" ||
            iw_fail "the desktop was ended although it had input $(iw_secs $(($(iw_now_ms) - last))) s ago: $(iw_audit "$(iw_kv user "$user")")"
    done
    (($(iw_audit_count "$(iw_kvre event '(warn|terminate)')" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "warned or ended despite input: $(iw_audit "$(iw_kv user "$user")")"
    iw__rdp_warning_shown "$user" && iw_fail "a warning window is on the remote desktop despite input"
    iw_ok "desktop alive after $keep s of input through xfreerdp (idle_timeout ${IW_IDLE} s), never warned"
    iw__stop_pid "$IW_RDP_XFREERDP_PID"
    iw_check "the session outlives its client's disconnection" iw__rdp_desktop_running "$user"
    iw_wait_until $((IW_IDLE + IW_MAX_LATE)) iw_not iw__rdp_desktop_running "$user" ||
        iw_fail "the disconnected desktop was not ended: $(iw_audit "$(iw_kv user "$user")" | tail -n 3)"
    iw_expect_end_on_time xrdp_disconnected_after_input "$last"
    iw_wait_until $((2 * IW_GRACE + 10)) iw_no_user_procs "$user" ||
        iw_fail "processes of $user outlived the session: $(iw_user_procs "$user")"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$user")" "$(iw_kv reason idle)" ||
        iw_fail "no terminate line: $(iw_audit "$(iw_kv user "$user")")"
    (($(iw_audit_count "$(iw_kv event display)" "$(iw_kv result unknown)" "$(iw_kv user "$user")") == 0)) ||
        iw_fail "the display could not be read: $(iw_audit "$(iw_kv event display)" "$(iw_kv user "$user")")"
    iw_check "daemon still running" iw_daemon_alive
}
