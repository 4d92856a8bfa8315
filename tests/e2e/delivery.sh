# shellcheck shell=bash
# End-to-end tests of how logins reach the daemon (issue 14, items 3 and 6): every login program is registered
# whoever called it (su and sudo from an ordinary user's ssh shell: the module sends its effective uid as explicit
# credentials, which the kernel accepts only from a process that has it), nobody else can claim root's uid, and
# no login goes untracked: a burst under a flood, a login made while the daemon was down (through an sshd that is
# not called sshd), 40,000 logins in a row; and a root tmux server running when the daemon restarts is not taken
# for a login (its utmp entries are not adopted, its panes untouched).
# Real sshd sessions under tmux, pamtester, real users; the short test policy of lib.sh (15 s / 5 s / 3 s).
#
# Helpers local to this file start with iw__d_.

# shellcheck source=lib-roots.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-roots.sh"

# iw__d_password USER PASSWORD — set USER's password (su and sudo ask for one).
iw__d_password() {
    printf '%s:%s\n' "$1" "$2" | chpasswd || iw_fail "chpasswd $1"
}

# The config lines that exempt USER: the ordinary user whose ssh shell runs su or sudo, so that only the session
# opened by su or sudo is policed and the caller's own login stays whatever happens.
iw__d_exempt() { printf '%s\n' '[[rule]]' 'name = "caller"' "users = [\"$1\"]" 'exempt = true'; }

# iw__d_shell_pid PANE — the pid of the shell that reads the pane's input.
iw__d_shell_pid() {
    local n=$RANDOM
    iw_tmux_type "$1" "echo iwpid-$n=\$\$"
    iw_tmux_wait_text "$1" "iwpid-$n=[0-9]+" 10 || iw_fail "pane $1 did not print its shell's pid"
    iw_tmux_capture "$1" | grep -oE "iwpid-$n=[0-9]+" | tail -n1 | cut -d= -f2
}

# iw__d_expect_terminated ID USER — terminate (reason=idle, idle >= idle_timeout - 1) and close audit lines of
# session ID.
iw__d_expect_terminated() {
    local id=$1 user=$2 line idle
    iw_audit_wait 15 "$(iw_kv event terminate)" "$(iw_kv session "$id")" "$(iw_kv user "$user")" "$(iw_kv reason idle)" ||
        iw_fail "no 'event=terminate session=$id user=$user reason=idle': $(iw_audit | tail -n 5)"
    line=$(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$id")" | tail -n1)
    idle=$(iw_audit_field "$line" idle)
    [[ $idle =~ ^[0-9]+$ ]] && ((idle >= IW_IDLE - 1)) || iw_fail "ended before idle_timeout ($IW_IDLE s): $line"
    iw_ok "audited: $line"
    iw_audit_wait 15 "$(iw_kv event close)" "$(iw_kv session "$id")" ||
        iw_fail "no 'event=close session=$id': $(iw_audit | tail -n 5)"
}

# iw__d_no_root_reject UID — the daemon never refused a session from UID as not root.
iw__d_no_root_reject() {
    local lines
    lines=$(iw_audit "$(iw_kv event reject)" "$(iw_kv reason not-root)" "$(iw_kv sender_uid "$1")")
    [[ -z $lines ]] || iw_fail "the daemon refused the session as not root: $lines"
}

# iw__d_caller_survives PANE USER PID START — after the end: the caller's shell is the same process, it got no
# signal, and it still answers as USER.
iw__d_caller_survives() {
    local pane=$1 user=$2 pid=$3 start=$4
    sleep $((IW_GRACE * 2 + 1))
    iw_check "the caller's shell (pid $pid) is alive" iw_same_proc "$pid" "$start"
    iw_check "pane $pane is still connected" iw_tmux_is_alive "$pane"
    iw_wait_as "$pane" "$user"
    iw_ok "the caller's shell answers as $user"
}

# iw__d_login_to_other PANE COMMAND PROMPT PASSWORD USER — type COMMAND in PANE, answer PROMPT with PASSWORD,
# wait until the shell runs as USER.
iw__d_login_to_other() {
    local pane=$1 command=$2 prompt=$3 password=$4 user=$5
    iw_tmux_type "$pane" "$command"
    iw_tmux_wait_text "$pane" "$prompt" 15 || iw_fail "no '$prompt' after '$command': $(iw__pane_tail "$pane")"
    iw_tmux_type "$pane" "$password"
    iw_wait_as "$pane" "$user"
    iw_ok "pane $pane: '$command' with a password, now a shell of $user"
}

# iw__d_session_line USER SERVICE — wait for USER's session through SERVICE in status; prints its status line.
iw__d_session_line() {
    local user=$1 service=$2
    iw_wait_until 10 iw__d_has_session "$user" "$service" ||
        iw_fail "no session of $user through $service in status: $(iw_sessions_of "$user"); $(iw_audit | tail -n 5)"
    iw_sessions_of "$user" | awk -F'\t' -v s="$service" '$4 == s' | tail -n1
}
iw__d_has_session() { iw_sessions_of "$1" | awk -F'\t' -v s="$2" '$4 == s { found = 1 } END { exit !found }'; }

# iw__d_rss PID — resident memory in KiB.
iw__d_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---------------------------------------------------------------------------------------------------------------

# iw: lock pam-su-l
# An ordinary user, logged in with ssh, types `su -l OTHER` and OTHER's password. su runs setuid root with the
# caller's real uid, so the kernel's default credentials would say "the caller"; the module sends su's effective
# uid instead. The su session is registered (no reject), warned and ended when idle; the caller's shell around it
# (same pty, same sid) lives on unsignalled.
test_delivery_su_l_with_password_from_user_ssh() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b password=iwtest-Su-$IW_ID
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw__d_password "$b" "$password"
    mapfile -t rule < <(iw__d_exempt "$a")
    iw_own_ssh_setup "${rule[@]}"
    iw_pam_append su-l "$(iw_module_line)"
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_wait_as s1 "$a"
    local shell_pid shell_start
    shell_pid=$(iw__d_shell_pid s1)
    shell_start=$(iw_proc_start "$shell_pid")
    iw__d_login_to_other s1 "su -l $b" 'Password:' "$password" "$b"
    local line id
    line=$(iw__d_session_line "$b" su-l)
    id=$(cut -f1 <<<"$line")
    iw_ok "registered: $line"
    iw__d_no_root_reject "$(id -u "$a")"
    IW_LOGOUT_GONE_USER=$b iw_expect_logout s1 yes
    iw__d_expect_terminated "$id" "$b"
    iw__d_caller_survives s1 "$a" "$shell_pid" "$shell_start"
}

# iw: lock pam-sudo
# The same through sudo, which opens a PAM session for `sudo -i` (service sudo-i) and `sudo -s` (service sudo):
# an ordinary user with a sudoers rule for another user types their own password. Both sessions are registered,
# ended when idle, and the caller's shells live on.
test_delivery_sudo_i_and_s_from_user_ssh() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b c=iwtest-$IW_ID-c password=iwtest-Sudo-$IW_ID
    command -v sudo >/dev/null || iw_fail "sudo is not installed (apt-get install sudo; .ci/run installs it)"
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw_mkuser "$c"
    iw__d_password "$a" "$password"
    local sudoers=/etc/sudoers.d/iwtest-$IW_ID
    printf '%s ALL=(%s,%s) ALL\n' "$a" "$b" "$c" >"$sudoers"
    chmod 0440 "$sudoers"
    iw_defer rm -f "$sudoers"
    visudo -c -f "$sudoers" >/dev/null || iw_fail "visudo rejects $sudoers"
    mapfile -t rule < <(iw__d_exempt "$a")
    iw_own_ssh_setup "${rule[@]}"
    iw_pam_append sudo-i "$(iw_module_line)"
    iw_pam_append sudo "$(iw_module_line)"
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_new s2 "$(iw_ssh_cmd "$a")"
    iw_wait_as s1 "$a"
    iw_wait_as s2 "$a"
    local pid1 start1 pid2 start2
    pid1=$(iw__d_shell_pid s1)
    start1=$(iw_proc_start "$pid1")
    pid2=$(iw__d_shell_pid s2)
    start2=$(iw_proc_start "$pid2")
    iw__d_login_to_other s1 "sudo -i -u $b" 'password for' "$password" "$b"
    # sudo remembers the password for this terminal only (tty_tickets): the second pane asks again.
    iw__d_login_to_other s2 "sudo -s -u $c" 'password for' "$password" "$c"
    local line1 line2 id1 id2
    line1=$(iw__d_session_line "$b" sudo-i)
    line2=$(iw__d_session_line "$c" sudo)
    id1=$(cut -f1 <<<"$line1")
    id2=$(cut -f1 <<<"$line2")
    iw_ok "registered: $line1"
    iw_ok "registered: $line2"
    iw__d_no_root_reject "$(id -u "$a")"
    IW_LOGOUT_GONE_USER=$b iw_expect_logout s1 yes
    iw__d_expect_terminated "$id1" "$b"
    # The second session comes due with the first: its end may have been while the first was watched.
    iw_wait_until 30 iw_no_user_procs "$c" || iw_fail "processes of $c remain: $(iw_user_procs "$c")"
    (($(iw__count_warnings s2) >= 1)) || iw_fail "pane s2 never showed the warning: $(iw__pane_tail s2)"
    iw_tmux_has_farewell s2 || iw_fail "pane s2 got no farewell line: $(iw__pane_tail s2)"
    iw__d_expect_terminated "$id2" "$c"
    iw__d_caller_survives s1 "$a" "$pid1" "$start1"
    iw__d_caller_survives s2 "$a" "$pid2" "$start2"
}

# An ordinary user tries to register a session, or to pass for root, by hand: the session socket refuses their
# connection (0600); on the control socket the kernel refuses explicit credentials with uid 0, gid 0 or another
# process's pid (EPERM), and a datagram with their own explicit credentials is rejected by the daemon as not
# root; the spool is closed to them. No session of the user they named appears.
test_delivery_forged_root_credentials_refused() {
    local m=iwtest-$IW_ID-m v=iwtest-$IW_ID-v
    iw_mkuser "$m"
    iw_mkuser "$v"
    iw_own_config
    iw_own_daemon_start
    local spool=${IW_SESSION_SOCK%/*}/spool
    [[ -d $spool ]] || iw_fail "the daemon made no spool at $spool"
    cat >"$IW_T/forge.py" <<'PY'
import errno, os, socket, struct, sys
session, control, spool, victim = sys.argv[1:5]
def field(tag, value):
    return bytes([tag]) + struct.pack(">H", len(value)) + value
def record(pid):
    return (b"IW\x01\x01" + field(1, struct.pack(">I", pid)) + field(5, victim.encode())
            + field(6, b"iwtest-forged") + field(7, b"/dev/pts/99"))
def creds(pid, uid, gid):
    return [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack("iII", pid, uid, gid))]
me, uid, gid = os.getpid(), os.getuid(), os.getgid()
def attempt(name, action):
    try:
        action()
        print("%s sent" % name)
    except OSError as e:
        print("%s refused %s" % (name, errno.errorcode.get(e.errno, e.errno)))
def to_session():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(session)
    s.sendmsg([record(me)], creds(me, 0, 0))
def to_control(pid, u, g):
    return lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendmsg([record(me)], creds(pid, u, g), 0, control)
def to_spool():
    fd = os.open(spool + "/00000000000000000001-%d-open" % me, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, record(me))
attempt("session-socket", to_session)
attempt("control-uid0", to_control(me, 0, gid))
attempt("control-gid0", to_control(me, uid, 0))
attempt("control-other-pid", to_control(1, uid, gid))
attempt("control-own-credentials", to_control(me, uid, gid))
attempt("spool", to_spool)
PY
    chmod 0644 "$IW_T/forge.py"
    local out
    out=$(runuser -u "$m" -- "$IW_PY" "$IW_T/forge.py" "$IW_SESSION_SOCK" "$IW_SOCK" "$spool" "$v" 2>&1)
    iw_log "attempts by $m: $(tr '\n' '|' <<<"$out")"
    local expected
    for expected in "session-socket refused EACCES" "control-uid0 refused EPERM" "control-gid0 refused EPERM" \
        "control-other-pid refused EPERM" "control-own-credentials sent" "spool refused EACCES"; do
        grep -qxF "$expected" <<<"$out" || iw_fail "expected '$expected', got: $(tr '\n' '|' <<<"$out")"
        iw_ok "$expected"
    done
    iw_audit_wait 10 "$(iw_kv event reject)" "$(iw_kv reason not-root)" "$(iw_kv sender_uid "$(id -u "$m")")" ||
        iw_fail "the daemon did not reject the datagram with $m's own credentials as not root: $(iw_audit | tail -n 5)"
    iw_ok "audited: $(iw_audit "$(iw_kv event reject)" "$(iw_kv reason not-root)" | tail -n1)"
    iw_status >/dev/null || iw_fail "the daemon does not answer status"
    [[ $(iw_session_count "$v") == 0 ]] || iw_fail "a session of $v was registered: $(iw_sessions_of "$v")"
    iw_audit "$(iw_kv event open)" "$(iw_kv user "$v")" | grep -q . && iw_fail "an open of $v was audited"
    iw_ok "no session of $v; the daemon still answers"
}

# 60 logins released in the same moment (pamtester, each blocked by a barrier in its session stack until the test
# opens a FIFO), while an ordinary user floods the control socket with datagrams as fast as the daemon reads them:
# every open returns PAM_SUCCESS, all 60 are registered (60 event=open, status shows 60), none was spooled or
# refused, and the flood went on throughout.
test_delivery_60_simultaneous_logins_under_flood() {
    local a=iwtest-$IW_ID-a f=iwtest-$IW_ID-f service=idlewarden-test-burst-$IW_ID n=60
    iw_mkuser "$a"
    iw_mkuser "$f"
    IW_IDLE=300 IW_WARN=60 iw_own_config
    iw_own_daemon_start
    local barrier=$IW_T/barrier
    install -d -m 0700 "$barrier"
    mkfifo -m 0600 "$barrier/go" "$barrier/hold"
    cat >"$IW_T/barrier.sh" <<'EOF'
#!/bin/sh
# pam_exec in the session stack: say "ready", then wait until the test opens the FIFO (all are let go at once).
: >"$1/ready.$PPID"
read -r _ <"$1/go"
exit 0
EOF
    chmod 0755 "$IW_T/barrier.sh"
    iw_pam_service "$service" \
        "auth     required pam_exec.so expose_authtok /bin/true" \
        "account  required pam_permit.so" \
        "session  required pam_exec.so type=open_session $IW_T/barrier.sh $barrier" \
        "session  required pam_permit.so" \
        "session  optional $IW_SO socket=$IW_SESSION_SOCK"
    cat >"$IW_T/flood.py" <<'PY'
import os, signal, socket, struct, sys
path, out = sys.argv[1], sys.argv[2]
def field(tag, value):
    return bytes([tag]) + struct.pack(">H", len(value)) + value
data = b"IW\x01\x01" + field(1, struct.pack(">I", os.getpid())) + field(5, b"root") + field(6, b"sshd")
sent = 0
def stop(*_):
    with open(out, "w") as f:
        f.write("%d\n" % sent)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
while True:
    s.sendto(data, path)   # blocks while the daemon's queue is full: as fast as it reads
    sent += 1
PY
    chmod 0644 "$IW_T/flood.py"
    install -d -m 0777 "$IW_T/flood"
    runuser -u "$f" -- "$IW_PY" "$IW_T/flood.py" "$IW_SOCK" "$IW_T/flood/sent" 2>"$IW_TLOG/flood.err" &
    local flooder=$!
    iw_defer kill "$flooder"
    sleep 1
    kill -0 "$flooder" 2>/dev/null || iw_fail "the flooder died: $(cat "$IW_TLOG/flood.err")"

    # Every pamtester blocks in authenticate (pam_exec reads a password) on this FIFO once its session is open.
    local hold i
    exec {hold}<>"$barrier/hold"
    iw_defer iw__d_release_fd "$hold"
    for ((i = 1; i <= n; i++)); do
        setsid pamtester -v "$service" "$a" open_session authenticate close_session \
            <"$barrier/hold" >"$IW_TLOG/pamtester-$i.log" 2>&1 {hold}>&- &
    done
    iw_wait_until 60 iw__d_ready_are "$n" "$barrier" ||
        iw_fail "only $(iw__d_ready "$barrier") of $n pamtesters reached the barrier"
    sleep 0.5
    local released
    released=$(iw_now_ms)
    # Opening the FIFO for writing lets every blocked reader's open return; each then reads end of file.
    timeout 10 bash -c ': >"$1"' iw-release "$barrier/go" || iw_fail "nobody was waiting at the barrier"
    iw_log "released $n logins at once"
    iw_wait_until 60 iw__d_opens_are "$n" "$service" ||
        iw_fail "$(iw_audit_count "$(iw_kv event open)" "$(iw_kv service "$service")") of $n logins registered: $(iw_audit "$(iw_kvre event '(reject|spool.*)')" | tail -n 2)"
    local registered_ms=$(($(iw_now_ms) - released))
    iw_wait_until 10 iw__d_opened_are "$n" "$IW_TLOG"
    local opened
    opened=$(iw__d_opened "$IW_TLOG")
    ((opened == n)) || iw_fail "$opened of $n pamtesters opened their session"
    [[ $(iw_session_count "$a") == "$n" ]] || iw_fail "status shows $(iw_session_count "$a") sessions of $a, expected $n"
    local spooled refused
    spooled=$(iw_syslog_new | grep -F "($service:session)" | grep -c 'spooled')
    refused=$(iw_syslog_new | grep -F "($service:session)" | grep -c 'not registered')
    ((spooled == 0 && refused == 0)) || iw_fail "the module spooled $spooled and failed $refused opens: the session socket did not take them all"
    kill -0 "$flooder" 2>/dev/null || iw_fail "the flood stopped during the burst"
    kill -TERM "$flooder"
    wait "$flooder" 2>/dev/null
    local sent
    sent=$(cat "$IW_T/flood/sent" 2>/dev/null)
    iw_measure "burst logins=$n registered=$n all_registered_after_ms=$registered_ms spooled=$spooled flood_datagrams=${sent:-?} max_dgram_qlen=$(cat /proc/sys/net/unix/max_dgram_qlen) somaxconn=$(cat /proc/sys/net/core/somaxconn)"
    iw_ok "all $n logins registered within $registered_ms ms of their release, under a flood of ${sent:-?} datagrams"
    iw__d_release_fd "$hold"
    iw_wait_sessions 0 30 "$a" || iw_fail "sessions of $a left after the logins ended: $(iw_session_count "$a")"
    iw_check "daemon still running" iw_daemon_alive
}
# pamtester goes on to the next operation only when one succeeds (its own success lines are buffered to the end).
iw__d_opened() { grep -l 'performing operation - authenticate' "$1"/pamtester-*.log 2>/dev/null | grep -c .; }
iw__d_opened_are() { [[ $(iw__d_opened "$2") == "$1" ]]; }
iw__d_ready() { find "$1" -maxdepth 1 -name 'ready.*' | grep -c .; }
iw__d_ready_are() { [[ $(iw__d_ready "$2") == "$1" ]]; }
iw__d_opens_are() { [[ $(iw_audit_count "$(iw_kv event open)" "$(iw_kv service "$2")") == "$1" ]]; }
iw__d_release_fd() { eval "exec $1>&-" 2>/dev/null; return 0; }

# A login made while the daemon is down, through the test sshd (a copy named idlewarden-test-sshd, which no list
# of login program names knows): the module spools it (one warning); when the daemon starts it registers the login
# from the spool with everything PAM said (event=open source=spool, the sshd's service, its terminal), does not
# adopt it a second time, and logs it out when idle, on the schedule of its last input.
test_delivery_login_while_daemon_down_registered_from_spool() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_own_ssh_setup
    local spool=${IW_SESSION_SOCK%/*}/spool
    iw_daemon_stop
    [[ ! -e $IW_SESSION_SOCK ]] || iw_fail "the stopped daemon left $IW_SESSION_SOCK behind"
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_ok "logged in with the daemon down"
    iw_syslog_wait 10 "($IW_SSHD_SERVICE:session)" 'session open spooled' "$(iw_regex_escape "\"$a\"")" ||
        iw_fail "the module did not log the spooled open: $(iw_syslog_new | grep -F "$a" | tail -n 3)"
    local records
    records=$(ls "$spool")
    grep -qE '^[0-9]{20}-[0-9]+-open$' <<<"$records" || iw_fail "no open record in $spool: $records"
    iw_ok "spooled: $records"
    sleep 2
    iw_own_daemon_restart
    iw_audit_wait 10 "$(iw_kv event open)" "$(iw_kv user "$a")" "$(iw_kv source spool)" ||
        iw_fail "the spooled login was not registered: $(iw_audit | tail -n 5)"
    local line id
    line=$(iw_audit "$(iw_kv event open)" "$(iw_kv user "$a")" | tail -n1)
    iw_ok "audited: $line"
    [[ $(iw_audit_field "$line" service) == "$IW_SSHD_SERVICE" ]] || iw_fail "the open names another service: $line"
    id=$(iw_audit_field "$line" session)
    [[ -z $(ls "$spool") ]] || iw_fail "the spool still holds $(ls "$spool") after the daemon read it"
    [[ $(iw_session_count "$a") == 1 ]] || iw_fail "expected one session of $a: $(iw_sessions_of "$a")"
    iw_audit "$(iw_kv event adopt)" "$(iw_kv user "$a")" | grep -q . && iw_fail "the login was adopted as well"
    iw_expect_logout s1 yes
    iw__d_expect_terminated "$id" "$a"
    iw_wait_until 20 iw_no_user_procs "$a" || iw_fail "processes of $a remain: $(iw_user_procs "$a")"
    iw_check "daemon still running" iw_daemon_alive
}

# The daemon busy: stopped (SIGSTOP) with its listen backlog full (root's connections that send nothing, as a
# burst it has not read yet would leave it). Logins made meanwhile (three held pamtester sessions, then 1,500
# quick logins of pam_pairs) are spooled, and every open returns at once. When the daemon runs again it drops the
# silent connections, reads the spool in batches of 512, registers the three held logins (source=spool, their
# idle time from their login) and accounts for each quick login: read as opened and closed (event=spool-cancel),
# or registered and closed when a batch split its two records. Nothing is left in the spool; the held sessions
# close when their logins end.
test_delivery_busy_daemon_spools_then_catches_up() {
    local a=iwtest-$IW_ID-a held=idlewarden-test-held-$IW_ID quick=idlewarden-test-quick-$IW_ID n=1500
    command -v gcc >/dev/null || iw_fail "gcc is missing (.ci/run installs it)"
    gcc -O2 -Wall -o "$IW_T/pam_pairs" "$IW_ROOT/tests/e2e/pam_pairs.c" -lpam 2>"$IW_TLOG/gcc.log" ||
        iw_fail "cannot build pam_pairs: $(cat "$IW_TLOG/gcc.log")"
    iw_mkuser "$a"
    IW_IDLE=300 IW_WARN=60 iw_own_config
    iw_own_daemon_start
    local spool=${IW_SESSION_SOCK%/*}/spool
    iw_pamtester_service "$held"
    iw_pam_service "$quick" "session required pam_permit.so" "session optional $IW_SO socket=$IW_SESSION_SOCK"
    kill -STOP "$IW_DAEMON_PID"
    iw_defer kill -CONT "$IW_DAEMON_PID"
    local filled
    filled=$(iw_fill_session_backlog "$IW_SESSION_SOCK") || iw_fail "could not fill the backlog: $filled"
    iw_log "backlog full after $filled connections"
    local k
    for k in 1 2 3; do iw_pamtester_hold "h$k" "$held" "$a"; done
    local fifo=$IW_T/quick.fifo hold
    mkfifo "$fifo"
    "$IW_T/pam_pairs" "$quick" "$a" "$n" 4 <"$fifo" >"$IW_TLOG/pam_pairs.log" 2>&1 &
    local driver=$!
    exec {hold}>"$fifo"
    iw_defer kill "$driver"
    iw_wait_until 120 iw__d_workers_done "$IW_TLOG/pam_pairs.log" ||
        iw_fail "pam_pairs did not finish: $(tail -n 3 "$IW_TLOG/pam_pairs.log")"
    local records
    records=$(find "$spool" -maxdepth 1 -name '[0-9]*' | grep -c .)
    ((records == 3 + 2 * n)) || iw_fail "the spool holds $records records, expected $((3 + 2 * n)) (3 opens, $n opens and closes)"
    iw_ok "with the daemon stopped and its backlog full, $((3 + n)) logins went on and $records records were spooled"
    kill -CONT "$IW_DAEMON_PID"
    iw_wait_until 60 iw__d_spool_empty "$spool" || iw_fail "the spool still holds $(ls "$spool" | wc -l) records"
    iw_wait_sessions 3 20 "$a" || iw_fail "the held logins are not registered: $(iw_sessions_of "$a")"
    local opened
    opened=$(iw_audit_count "$(iw_kv event open)" "$(iw_kv service "$held")" "$(iw_kv source spool)")
    ((opened == 3)) || iw_fail "$opened of the 3 held logins registered from the spool"
    local cancelled registered
    iw_wait_until 30 iw__d_accounted_are "$n" "$quick" ||
        iw_fail "the daemon accounted for $(($(iw__d_daemon_opens "$quick") + $(iw__d_daemon_cancels "$quick"))) of $n quick logins"
    cancelled=$(iw__d_daemon_cancels "$quick")
    registered=$(iw__d_daemon_opens "$quick")
    iw_audit_wait 10 "$(iw_kv event reject)" "$(iw_kv reason no-record)" ||
        iw_fail "the silent connections were not dropped with a reject line"
    iw_measure "busy backlog=$filled held=3 quick=$n spool_cancel=$cancelled registered_from_split_batches=$registered"
    iw_ok "3 held logins registered from the spool; of $n quick ones $cancelled read as opened and closed, $registered registered and closed"
    exec {hold}>&-
    wait "$driver" || iw_fail "pam_pairs reports failed logins: $(cat "$IW_TLOG/pam_pairs.log")"
    for k in 1 2 3; do iw_pamtester_release "h$k"; done
    iw_wait_sessions 0 20 "$a" || iw_fail "sessions left after the logins ended: $(iw_sessions_of "$a")"
    iw_check "daemon still running" iw_daemon_alive
}
iw__d_spool_empty() { [[ -z $(ls -A "$1") ]]; }

# iw: serial
# iw: long
# iw: timeout 900
# 40,000 logins in a row, 4 at a time, each a process of its own that opens and closes a PAM session
# (tests/e2e/pam_pairs.c): none is lost. Each is registered (event=open), or, when the daemon fell more than its
# listen backlog behind and the module spooled it, read from the spool as opened and closed (event=spool-cancel);
# none refused, every session closed afterwards, nothing left in the spool. The daemon's resident memory after
# 40,000 is within 1 MiB of what it was after 5,000.
test_delivery_40000_logins_none_lost_memory_flat() {
    local a=iwtest-$IW_ID-a service=idlewarden-test-pairs-$IW_ID first=5000 total=40000
    command -v gcc >/dev/null || iw_fail "gcc is missing (.ci/run installs it)"
    gcc -O2 -Wall -o "$IW_T/pam_pairs" "$IW_ROOT/tests/e2e/pam_pairs.c" -lpam 2>"$IW_TLOG/gcc.log" ||
        iw_fail "cannot build pam_pairs: $(cat "$IW_TLOG/gcc.log")"
    iw_mkuser "$a"
    IW_IDLE=300 IW_WARN=60 iw_own_config
    iw_own_daemon_start
    iw_pam_service "$service" "session required pam_permit.so" "session optional $IW_SO socket=$IW_SESSION_SOCK"
    iw__d_pairs "$service" "$a" "$first" 0
    local rss_first
    rss_first=$(iw__d_rss "$IW_DAEMON_PID")
    iw__d_pairs "$service" "$a" $((total - first)) "$first"
    local rss_total
    rss_total=$(iw__d_rss "$IW_DAEMON_PID")
    local refused opens cancelled closed spooled
    refused=$(grep -F "service=$service" "$IW_DAEMON_LOG" | grep -c 'event=reject')
    opens=$(iw__d_daemon_opens "$service")
    cancelled=$(iw__d_daemon_cancels "$service")
    closed=$(grep -cE "event=close session=.*service=$service( |$)" "$IW_DAEMON_LOG")
    spooled=$(grep -cE "event=open .*service=$service.* source=spool" "$IW_DAEMON_LOG")
    iw_measure "pairs=$total parallel=4 registered=$opens registered_from_spool=$spooled spool_cancel=$cancelled closed=$closed refused=$refused rss_after_${first}_kib=$rss_first rss_after_${total}_kib=$rss_total growth_kib=$((rss_total - rss_first))"
    ((opens + cancelled == total)) || iw_fail "$opens registered and $cancelled read from the spool as opened and closed: $((total - opens - cancelled)) of $total logins lost"
    ((closed == opens)) || iw_fail "$closed of $opens registered sessions closed"
    ((refused == 0)) || iw_fail "the daemon refused $refused records: $(grep -F "service=$service" "$IW_DAEMON_LOG" | grep 'event=reject' | head -n 3)"
    [[ -z $(ls -A "${IW_SESSION_SOCK%/*}/spool") ]] || iw_fail "records left in the spool: $(ls "${IW_SESSION_SOCK%/*}/spool" | head -n 3)"
    iw_ok "all $total logins accounted for: $opens registered ($spooled from the spool), $cancelled read from the spool as opened and closed; all closed"
    ((rss_total - rss_first <= 1024)) ||
        iw_fail "the daemon's RSS grew from $rss_first KiB after $first logins to $rss_total KiB after $total"
    iw_ok "RSS $rss_first KiB after $first logins, $rss_total KiB after $total"
    iw_check "daemon still running" iw_daemon_alive
}

# iw__d_pairs SERVICE USER COUNT BEFORE — COUNT logins with pam_pairs (4 at a time); waits until the daemon has
# accounted for BEFORE + COUNT logins (registered, or read from the spool as opened and closed) and no session of
# USER is left, then lets pam_pairs reap its children.
iw__d_pairs() {
    local service=$1 user=$2 count=$3 before=$4 t
    local fifo=$IW_T/pairs-$before.fifo
    mkfifo "$fifo"
    t=$(iw_now_ms)
    "$IW_T/pam_pairs" "$service" "$user" "$count" 4 <"$fifo" >"$IW_TLOG/pairs-$before.log" 2>&1 &
    local driver=$! hold
    exec {hold}>"$fifo"
    iw_defer kill "$driver"
    iw_wait_until 600 iw__d_workers_done "$IW_TLOG/pairs-$before.log" ||
        iw_fail "pam_pairs did not finish $count logins: $(tail -n 5 "$IW_TLOG/pairs-$before.log")"
    local made_ms=$(($(iw_now_ms) - t))
    iw_wait_until 180 iw__d_accounted_are $((before + count)) "$service" ||
        iw_fail "the daemon accounted for $(($(iw__d_daemon_opens "$service") + $(iw__d_daemon_cancels "$service"))) of $((before + count)) logins"
    iw_wait_until 60 iw__d_no_sessions "$user" ||
        iw_fail "$(iw_session_count "$user") sessions of $user left open after the logins"
    exec {hold}>&-
    wait "$driver" || iw_fail "pam_pairs reports failed logins: $(cat "$IW_TLOG/pairs-$before.log")"
    iw_log "$count logins in $made_ms ms, all registered and closed after $(($(iw_now_ms) - t)) ms: $(tr '\n' ' ' <"$IW_TLOG/pairs-$before.log")"
}
iw__d_workers_done() { [[ $(grep -c '^worker=[0-9]* pairs=' "$1") == 4 ]]; }
iw__d_daemon_opens() { grep -cE "event=open .*service=$1( |$)" "$IW_DAEMON_LOG"; }
iw__d_daemon_cancels() { grep -cE "event=spool-cancel .*service=$1( |$)" "$IW_DAEMON_LOG"; }
iw__d_accounted_are() { [[ $(($(iw__d_daemon_opens "$2") + $(iw__d_daemon_cancels "$2"))) == "$1" ]]; }
iw__d_no_sessions() { [[ $(iw_session_count "$1") == 0 ]]; }

# A root tmux server runs when the daemon restarts. tmux (linked with libutempter on Debian) writes a utmp entry
# for each pane with its server's pid and `tmux(PID).%N` as the host: before, the daemon took such an entry (a
# live root process) for a root login and adopted it, then warned and ended it, killing the panes. Now a utmp
# entry is a login only when its process is one (the first of its audit session, and not a daemon reparented to
# init without a terminal): nothing of this tmux server is adopted or listed, and its panes, idle for longer than
# the limit, are the same processes, unsignalled, with no warning or farewell on them. Run in a root of its own
# (tests/e2e/lib-roots.sh) booted as sysv-init leaves a machine, with /run/utmp: the host has none.
# iw: root
# iw: timeout 900
test_delivery_root_tmux_at_restart_not_adopted() {
    iw_root_rerun_test
    command -v utmpdump >/dev/null || iw_fail "utmpdump is missing (util-linux)"
    ldd "$(command -v tmux)" | grep -q libutempter ||
        iw_fail "this tmux writes no utmp entries (not linked with libutempter): the test would prove nothing"
    iw_own_config
    iw_own_daemon_start
    local server_name=iwtest-$IW_ID-root
    iw_defer tmux -L "$server_name" kill-server
    tmux -L "$server_name" -f /dev/null new-session -d -s root -x 120 -y 30 "bash --norc -i" ||
        iw_fail "tmux new-session"
    tmux -L "$server_name" new-window -d -t root "bash --norc -i" || iw_fail "tmux new-window"
    local server panes=() ttys=() starts=() pane tty
    server=$(tmux -L "$server_name" display-message -p -t root '#{pid}')
    while read -r pane tty; do
        panes+=("$pane")
        ttys+=("$tty")
        starts+=("$(iw_proc_start "$pane")")
    done < <(tmux -L "$server_name" list-panes -s -t root -F '#{pane_pid} #{pane_tty}')
    ((${#panes[@]} == 2)) || iw_fail "expected two panes of the root tmux server: ${panes[*]}"
    [[ $(stat -c %u "/proc/$server") == 0 ]] || iw_fail "the tmux server $server does not run as root"
    iw_wait_until 5 iw__d_utmp_has "tmux($server)" || iw_fail "no utmp entry of the tmux server $server: $(utmpdump /var/run/utmp 2>/dev/null | grep -F tmux | tail -n 5)"
    iw_ok "root tmux server $server, panes ${panes[*]} on ${ttys[*]}, in utmp: $(utmpdump /var/run/utmp 2>/dev/null | grep -cF "tmux($server)") entries"

    iw_daemon_stop
    iw_own_daemon_restart
    iw_audit_wait 10 "$(iw_kv event start)" || iw_fail "the restarted daemon did not log its start"
    sleep 2
    local adopted
    adopted=$(iw_audit "$(iw_kv event adopt)" | grep -E "pid=\"?$server\"?([[:space:]]|$)|tmux\\($server\\)" || true)
    [[ -z $adopted ]] || iw_fail "the root tmux server's utmp entries were adopted: $adopted"
    local listed
    listed=$(iw_status_tsv | awk -F'\t' -v p="$server" -v a="${ttys[0]}" -v b="${ttys[1]}" '
        { n = split($10, t, ","); for (i = 1; i <= n; i++) if (t[i] == a || t[i] == b) { print; next } }
        $7 == p || index($6, "tmux(" p ")") { print }')
    [[ -z $listed ]] || iw_fail "status lists a session on the tmux panes' terminals: $listed"
    iw_ok "no adopt line for the tmux server, no session on ${ttys[*]}"

    sleep $((IW_IDLE + IW_WARN + IW_GRACE * 2 + 2))
    local i
    for i in "${!panes[@]}"; do
        iw_check "pane ${panes[i]} is the same process" iw_same_proc "${panes[i]}" "${starts[i]}"
    done
    iw_check "the tmux server $server is alive" kill -0 "$server"
    local text
    text=$(tmux -L "$server_name" capture-pane -p -t root:0; tmux -L "$server_name" capture-pane -p -t root:1)
    grep -qi idlewarden <<<"$text" && iw_fail "a pane shows idlewarden's text: $text"
    adopted=$(iw_audit "$(iw_kv event adopt)" | grep -E "tmux\\($server\\)" || true)
    [[ -z $adopted ]] || iw_fail "adopted later: $adopted"
    iw_check "daemon still running" iw_daemon_alive
}
iw__d_utmp_has() { utmpdump /var/run/utmp 2>/dev/null | grep -qF "$1"; }
