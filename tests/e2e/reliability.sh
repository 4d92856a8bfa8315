# shellcheck shell=bash
# End-to-end tests of reliability and security (issue 7): no session escapes a daemon crash, restart, corrupt
# state or a stopped daemon; no unprivileged user can touch another user's session; a process that takes a
# recorded pid is never signalled; the PAM module never blocks a login whatever state the daemon is in; a flood
# of garbage from a local user neither stops root logins from registering nor grows the daemon without bound.
# Real sshd sessions under tmux, pamtester, real users; the short test policy of lib.sh (15 s / 5 s / 3 s).
#
# Helpers local to this file start with iw__r_ (lib.sh is shared; see the notes at each helper).

# ---------------------------------------------------------------------------------------------------------------
# Local helpers

# iw__r_daemon_kill9 — SIGKILL the daemon (no chance to save or unlink anything) and reap it.
iw__r_daemon_kill9() {
    kill -KILL "$IW_DAEMON_PID" || iw_fail "could not kill the daemon"
    wait "$IW_DAEMON_PID" 2>/dev/null
    iw_log "daemon $IW_DAEMON_PID killed with SIGKILL"
    IW_DAEMON_PID=
}

# iw__r_utmp — make sure /run/utmp exists, as on an installed Debian (systemd-tmpfiles or initscripts create it at
# boot). This machine runs no init, so there is none, sshd records no login in it, and the daemon cannot adopt
# an ssh login by utmp. Created root:utmp 0664 for the test and removed at the end if the test made it.
iw__r_utmp() {
    [[ -e /run/utmp ]] && return 0
    install -m 0664 -o root -g utmp /dev/null /run/utmp || iw_fail "cannot create /run/utmp"
    iw_defer iw__r_utmp_remove "$(stat -c %i /run/utmp)"
    iw_log "created /run/utmp (this machine has none: no init ran)"
}
# iw__r_utmp_dump — the USER_PROCESS entries of /run/utmp: "pid=P user=U line=L host=H ruid=R comm=C" (ruid and
# comm of the recorded pid), for failure messages.
iw__r_utmp_dump() {
    "$IW_PY" - <<'PY'
import struct
try:
    data = open("/run/utmp", "rb").read()
except OSError as e:
    raise SystemExit("no /run/utmp: %s" % e)
for i in range(0, len(data) - 383, 384):
    r = data[i:i + 384]
    kind, pid = struct.unpack("<hxxi", r[:8])
    if kind != 7:
        continue
    text = lambda b: b.split(b"\0")[0].decode("utf-8", "replace")
    try:
        ruid = open("/proc/%d/status" % pid).read().split("Uid:")[1].split()[0]
        comm = open("/proc/%d/comm" % pid).read().strip()
    except OSError:
        ruid, comm = "-", "(gone)"
    print("pid=%d user=%s line=%s host=%s ruid=%s comm=%s" % (pid, text(r[44:76]), text(r[8:40]), text(r[76:332]), ruid, comm))
PY
}
iw__r_utmp_remove() { [[ $(stat -c %i /run/utmp 2>/dev/null) == "$1" ]] && rm -f /run/utmp; return 0; }


# iw__r_ssh_session PANE USER — an ssh login of USER in a new pane; waits until it is in status with its
# terminal found (event=terminals ... idle_check=on). Sets IW__R_ID to its session id.
iw__r_ssh_session() {
    local pane=$1 user=$2
    iw_tmux_new "$pane" "$(iw_ssh_cmd "$user")"
    iw_tmux_mark "$pane"
    iw_wait_sessions 1 10 "$user" || iw_fail "the ssh session of $user is not in status: $(iw_status --json)"
    IW__R_ID=$(iw_sessions_of "$user" | cut -f1)
    iw_audit_wait 15 "$(iw_kv event terminals)" "$(iw_kv session "$IW__R_ID")" "$(iw_kv idle_check on)" ||
        iw_fail "the terminal of session $IW__R_ID was not found: $(iw_audit "$(iw_kv session "$IW__R_ID")")"
    iw_log "session $IW__R_ID: $(iw_sessions_of "$user")"
}

# iw__r_expect_terminated ID USER — a terminate (reason=idle) line for the session.
iw__r_expect_terminated() {
    iw_audit_wait 15 "$(iw_kv event terminate)" "$(iw_kv session "$1")" "$(iw_kv user "$2")" "$(iw_kv reason idle)" ||
        iw_fail "no 'event=terminate session=$1 user=$2 reason=idle': $(iw_audit "$(iw_kv user "$2")" | tail -n 5)"
    iw_ok "audited: $(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$1")" | tail -n1)"
}

# iw__r_state_has_pid PID — the daemon's saved state holds a session whose leader is PID: the snapshot
# STATE_DIR/state (header + JSON), with the batches of STATE_DIR/state.journal replayed when the journal names the
# snapshot's generation (see StateJournal.swift). The daemon paces its saves, so a session opened a moment ago
# may not be saved yet.
iw__r_state_has_pid() {
    "$IW_PY" - "$IW_T/state/state" "$1" <<'PY'
import json, sys, zlib
path, pid = sys.argv[1], int(sys.argv[2])
try:
    raw = open(path, "rb").read()
    state = json.loads(raw[raw.index(b"\n") + 1:])
except Exception:
    sys.exit(1)
sessions = {s["id"]: s for s in state["sessions"]}
try:
    journal = open(path + ".journal", "rb").read()
except FileNotFoundError:
    journal = b""
if journal:
    end = journal.index(b"\n") + 1
    magic, version, generation = journal[:end].split()
    if magic == b"idlewarden-journal" and int(generation) == state.get("generation", 0):
        offset = end
        while offset < len(journal):
            header = journal[offset:offset + 32].split()
            if len(header) != 3 or header[0] != b"batch":
                break
            start, length = offset + 32, int(header[2])
            payload = journal[start:start + length]
            if len(payload) != length or zlib.crc32(payload) != int(header[1], 16):
                break
            batch = json.loads(payload)
            for session in batch["put"]:
                sessions[session["id"]] = session
            for gone in batch["remove"]:
                sessions.pop(gone, None)
            offset = start + length + 1
def pids(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pid" and isinstance(value, int):
                yield value
            else:
                yield from pids(value)
    elif isinstance(node, list):
        for value in node:
            yield from pids(value)
sys.exit(0 if pid in pids(list(sessions.values())) else 1)
PY
}

# iw__r_rss PID — VmRSS of a process in kB.
iw__r_rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
iw__r_hwm() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

# iw__r_spawn_at_pid PID USER FILE — start the recorder as USER with exactly pid PID (through
# /proc/sys/kernel/ns_last_pid; retried while other processes take the pid first). Fails if it cannot.
IW_PY_SPAWN_AT='
import os, sys, pwd
target, user, script, arg = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
pw = pwd.getpwnam(user)
for attempt in range(300):
    try:
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(target - 1))
    except OSError as e:
        sys.exit("cannot write ns_last_pid: %s" % e)
    pid = os.fork()
    if pid == 0:
        if os.getpid() != target:
            os._exit(3)
        os.setsid()
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
        fd = os.open("/dev/null", os.O_RDWR)
        for n in (0, 1, 2):
            os.dup2(fd, n)
        os.execv(script, [script, arg])
    if pid == target:
        print("pid %d after %d attempt(s)" % (pid, attempt + 1))
        sys.exit(0)
    os.waitpid(pid, 0)
sys.exit("pid %d was always taken by another process first" % target)
'
iw__r_spawn_at_pid() {
    local pid=$1 user=$2 file=$3 out
    local try
    for try in 1 2 3 4 5; do
        out=$("$IW_PY" -c "$IW_PY_SPAWN_AT" "$pid" "$user" "$IW_T/recorder.sh" "$file" 2>&1) && break
        iw_log "try $try: $out; users of $pid as pid/thread/pgid/sid: $(ps -eLo pid=,lwp=,pgid=,sid=,stat=,args= | awk -v p="$pid" '$1 == p || $2 == p || $3 == p || $4 == p' | tr '\n' '|')"
        sleep 0.5
        ((try == 5)) && iw_fail "could not start a process with pid $pid: $out"
    done
    iw_wait_until 10 test -s "$file.child" || iw_fail "the recorder at pid $pid did not start"
    [[ $(cat "$file.pid") == "$pid" ]] || iw_fail "the recorder has pid $(cat "$file.pid"), not $pid"
    iw_log "recorder of $user now holds pid $pid ($out), child $(cat "$file.child")"
}

# iw__r_pt_kill TAG — SIGKILL a held pamtester (no close_session is sent) and reap it, so its pid is free.
iw__r_pt_kill() {
    local pidvar=IW_PT_PID_$1 fdvar=IW_PT_FD_$1
    local pid=${!pidvar:-} fd=${!fdvar:-}
    [[ -n $pid ]] || iw_fail "no pamtester $1"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    [[ -n $fd ]] && exec {fd}>&-
    printf -v "$pidvar" '%s' ""
    iw_log "pamtester $1 (pid $pid) killed"
}

# ---------------------------------------------------------------------------------------------------------------

# `kill -9` the daemon while an idle ssh session is registered, restart it on the same state dir: the session
# is restored (event=restore, same id, not adopted twice) and still warned and logged out on time.
test_reliability_kill9_restart_restores_and_enforces() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_own_ssh_setup
    iw__r_ssh_session s1 "$a"
    local id=$IW__R_ID
    iw_sleep_until $(($(iw_last_input s1) + 3000))
    [[ -s $IW_T/state/state ]] || iw_fail "no state file in $IW_T/state"
    head -n1 "$IW_T/state/state" | grep -qE '^idlewarden-state 1 [0-9a-f]+ [0-9]+$' ||
        iw_fail "the state file has no idlewarden-state header: $(head -c 100 "$IW_T/state/state")"
    iw_wait_until 10 iw__r_state_has_pid "$(iw_sessions_of "$a" | cut -f7)" ||
        iw_fail "the session's leader is not in the saved state 3 s after the login"
    iw_log "state: $(stat -c '%a %U %s bytes' "$IW_T/state/state")"
    iw__r_daemon_kill9
    sleep 2
    iw_own_daemon_restart
    iw_audit_wait 10 "$(iw_kv event restore)" "$(iw_kv session "$id")" "$(iw_kv user "$a")" ||
        iw_fail "no 'event=restore session=$id user=$a': $(iw_audit | tail -n 5)"
    local line
    line=$(iw_audit "$(iw_kv event restore)" "$(iw_kv session "$id")" | tail -n1)
    iw_ok "audited: $line"
    local idle downtime
    idle=$(iw_audit_field "$line" idle)
    downtime=$(iw_audit_field "$line" downtime)
    [[ $downtime =~ ^[0-9]+$ ]] && ((downtime >= 1)) || iw_fail "the restore line gives downtime=$downtime (the daemon was down 2 s)"
    [[ $(iw_session_count "$a") == 1 ]] || iw_fail "expected exactly one session of $a after the restart: $(iw_sessions_of "$a")"
    [[ $(iw__r_session_id "$a") == "$id" ]] || iw_fail "the restored session has id $(iw__r_session_id "$a"), expected $id"
    iw_audit "$(iw_kv event adopt)" "$(iw_kv user "$a")" | grep -q . && iw_fail "the restored session was adopted a second time"
    iw_ok "restored as session $id (idle=${idle}s downtime=${downtime}s; idle counts from the end of the last input's 8 s atime bucket)"
    iw_expect_logout s1 yes
    iw__r_expect_terminated "$id" "$a"
    iw_check "daemon still running" iw_daemon_alive
}
iw__r_session_id() { iw_sessions_of "$1" | cut -f1; }

# An ssh login while the daemon is down (the module spools it: the login works), with a utmp record as on an
# installed system, then the daemon starts: the login is registered once, from the spool (event=open source=spool),
# not adopted a second time from utmp, and logged out when idle, on the schedule of its last input.
# iw: lock utmp
test_reliability_login_while_daemon_down_is_registered_once() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__r_utmp
    iw_own_ssh_setup
    iw_daemon_stop
    [[ ! -e $IW_SESSION_SOCK ]] || iw_fail "the stopped daemon left $IW_SESSION_SOCK behind"
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_ok "logged in with the daemon down"
    iw_log "module: $(iw_syslog_new | grep -F "$a" | grep -F libpam_idlewarden | tail -n 2)"
    iw_log "utmp: $(who 2>/dev/null | grep -F "$a" | tr '\n' '|')"
    who 2>/dev/null | grep -qF "$a" || iw_fail "sshd recorded no utmp entry for the login of $a"
    sleep 2
    iw_own_daemon_restart
    iw_audit_wait 10 "$(iw_kv event open)" "$(iw_kv user "$a")" "$(iw_kv source spool)" ||
        iw_fail "the login made while the daemon was down was not registered from the spool: $(iw_audit "$(iw_kvre event '(open|adopt|restore|drop|spool-.*)')" | tail -n 5)"
    local line id
    line=$(iw_audit "$(iw_kv event open)" "$(iw_kv user "$a")" | tail -n1)
    iw_ok "audited: $line"
    id=$(iw_audit_field "$line" session)
    [[ $(iw_audit_field "$line" terminals) == /dev/* ]] || iw_fail "the registered session has no terminal: $line"
    [[ $(iw_session_count "$a") == 1 ]] || iw_fail "expected one session of $a: $(iw_sessions_of "$a")"
    iw_audit "$(iw_kv event adopt)" "$(iw_kv user "$a")" | grep -q . &&
        iw_fail "the login was adopted from utmp as well: $(iw_audit "$(iw_kv event adopt)" "$(iw_kv user "$a")")"
    iw_expect_logout s1 yes
    iw__r_expect_terminated "$id" "$a"
    iw_wait_until 20 iw_no_user_procs "$a" || iw_fail "processes of $a remain: $(iw_user_procs "$a")"
    iw_check "daemon still running" iw_daemon_alive
}

# A corrupt state file (bytes of the payload flipped while the daemon was stopped): the daemon starts, audits
# event=state-corrupt with moved_to=, keeps the bad file there byte for byte, writes a new valid state, and the
# live idle ssh session is still enforced (adopted again, then logged out on time).
# iw: lock utmp
test_reliability_corrupt_state_is_moved_aside_and_sessions_enforced() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw__r_utmp
    iw_own_ssh_setup
    iw__r_ssh_session s1 "$a"
    iw_daemon_stop
    local state=$IW_T/state/state
    [[ -s $state ]] || iw_fail "no state file after an orderly stop"
    "$IW_PY" - "$state" <<'PY' || iw_fail "could not corrupt the state file"
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
start = data.index(b"\n") + 1
mid = start + (len(data) - start) // 2
for i in range(mid, min(mid + 8, len(data))):
    data[i] ^= 0x55
open(path, "wb").write(bytes(data))
print("flipped 8 bytes at offset %d of %d" % (mid, len(data)))
PY
    cp "$state" "$IW_T/corrupt.copy"
    cp "$state" "$IW_TLOG/state.corrupt"
    iw_own_daemon_restart
    iw_audit_wait 10 "$(iw_kv event state-corrupt)" || iw_fail "no event=state-corrupt: $(iw_audit | tail -n 5)"
    local line moved
    line=$(iw_audit "$(iw_kv event state-corrupt)" | tail -n1)
    iw_ok "audited: $line"
    moved=$(iw_audit_field "$line" moved_to)
    [[ -n $moved && -f $moved ]] || iw_fail "moved_to=$moved does not name a file"
    cmp -s "$moved" "$IW_T/corrupt.copy" || iw_fail "$moved is not the corrupt file byte for byte"
    iw_wait_until 10 iw__r_state_valid "$state" || iw_fail "no new valid state file: $(head -c 80 "$state")"
    iw_ok "the corrupt file is kept at $moved; a new state file was written"
    iw__r_expect_adopted_and_ended s1 "$a"
    iw_check "daemon still running" iw_daemon_alive
}
# iw__r_expect_adopted_and_ended PANE USER — the daemon, which lost USER's ssh login in PANE from its saved state,
# adopts it again (event=adopt) and then warns and logs it out on time (reason=idle).
iw__r_expect_adopted_and_ended() {
    local pane=$1 user=$2 id
    iw_audit_wait 10 "$(iw_kv event adopt)" "$(iw_kv user "$user")" ||
        iw_fail "the live session of $user is not tracked again (no event=adopt): $(iw_audit "$(iw_kvre event '(adopt|restore|drop)')" | tail -n 5); utmp: $(iw__r_utmp_dump | tr '\n' '|')"
    id=$(iw_audit_field "$(iw_audit "$(iw_kv event adopt)" "$(iw_kv user "$user")" | tail -n1)" session)
    iw_ok "adopted again as session $id"
    iw_expect_logout "$pane" yes
    iw__r_expect_terminated "$id" "$user"
}
iw__r_state_valid() { [[ -s $1 ]] && head -n1 "$1" | grep -qE '^idlewarden-state 1 [0-9a-f]+ [0-9]+$'; }

# A damaged state journal at start-up: with two whole batches in state.journal (an ssh login, then a pamtester
# login), the daemon is killed (SIGKILL: nothing saved on the way out) and the first batch's payload is damaged,
# so that good data follows the damage (not a torn last write). The daemon starts, audits event=state-corrupt
# naming the journal, with moved_to= (the damaged journal kept there byte for byte) and batches_kept=0, writes a
# new journal, and the live idle ssh session is still enforced: adopted again, then logged out on time.
# iw: lock utmp
test_reliability_damaged_journal_is_moved_aside_and_sessions_enforced() {
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_mkuser "$b"
    iw__r_utmp
    iw_own_ssh_setup
    iw__r_ssh_session s1 "$a"
    local journal=$IW_T/state/state.journal
    iw_wait_until 10 iw__r_journal_batches "$journal" 1 || iw_fail "the ssh login never reached $journal"
    iw_pamtester_service "$service"
    iw_pamtester_hold b "$service" "$b"
    iw_wait_until 10 iw__r_journal_batches "$journal" 2 || iw_fail "no second batch in $journal"
    iw__r_daemon_kill9
    "$IW_PY" - "$journal" <<'PY' || iw_fail "could not damage the journal"
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
start = data.index(b"\n") + 1
header = data[start:start + 32].split()
assert header[0] == b"batch", header
length = int(header[2])
payload = start + 32
for i in range(payload + length // 2, payload + length // 2 + 4):
    data[i] ^= 0x55
open(path, "wb").write(bytes(data))
print("damaged 4 bytes in the middle of batch 1 (%d bytes); %d bytes follow it" % (length, len(data) - payload - length - 1))
PY
    cp "$journal" "$IW_T/journal.damaged"
    cp "$journal" "$IW_TLOG/state.journal.damaged"
    iw_own_daemon_restart
    iw_audit_wait 10 "$(iw_kv event state-corrupt)" "$(iw_kv file "$journal")" ||
        iw_fail "no 'event=state-corrupt file=$journal': $(iw_audit | tail -n 5)"
    local line moved
    line=$(iw_audit "$(iw_kv event state-corrupt)" "$(iw_kv file "$journal")" | tail -n1)
    iw_ok "audited: $line"
    [[ $(iw_audit_field "$line" batches_kept) == 0 ]] || iw_fail "expected batches_kept=0: $line"
    [[ $(iw_audit_field "$line" reason) == *"batch 1"* ]] || iw_fail "the reason does not name batch 1: $line"
    moved=$(iw_audit_field "$line" moved_to)
    [[ $moved == "$journal.corrupt-"* && -f $moved ]] || iw_fail "moved_to=$moved is not a file beside the journal"
    cmp -s "$moved" "$IW_T/journal.damaged" || iw_fail "$moved is not the damaged journal byte for byte"
    iw_wait_until 10 iw__r_journal_batches "$journal" 0 || iw_fail "no new journal: $(head -c 80 "$journal")"
    cmp -s "$journal" "$IW_T/journal.damaged" && iw_fail "the damaged journal is still in use"
    iw_ok "the damaged journal is kept at $moved; a new one was started"
    iw__r_expect_adopted_and_ended s1 "$a"
    iw_pamtester_release b || iw_fail "pamtester b could not close its session"
    iw_check "daemon still running" iw_daemon_alive
}
# iw__r_journal_batches FILE N — FILE is a state journal (header line) with at least N whole batches.
iw__r_journal_batches() {
    "$IW_PY" - "$1" "$2" <<'PY'
import sys, zlib
path, want = sys.argv[1], int(sys.argv[2])
try:
    data = open(path, "rb").read()
except OSError:
    sys.exit(1)
if not data.startswith(b"idlewarden-journal 1 "):
    sys.exit(1)
offset, whole = data.index(b"\n") + 1, 0
while offset + 32 <= len(data):
    header = data[offset:offset + 32].split()
    if len(header) != 3 or header[0] != b"batch":
        break
    start, length = offset + 32, int(header[2])
    if start + length + 1 > len(data) or zlib.crc32(data[start:start + length]) != int(header[1], 16):
        break
    whole += 1
    offset = start + length + 1
sys.exit(0 if whole >= want else 1)
PY
}

# The daemon is stopped (SIGSTOP) 3 s into an ssh session's idleness and resumed (SIGCONT) past the session's
# end deadline: the overdue session is warned at once (it always gets its full warning) and logged out
# warn_before later.
test_reliability_sigstop_past_deadline_handled_at_once() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    iw_own_ssh_setup
    iw__r_ssh_session s1 "$a"
    local id=$IW__R_ID t0
    t0=$(iw_last_input s1)
    iw_sleep_until $((t0 + 3000))
    kill -STOP "$IW_DAEMON_PID"
    iw_defer kill -CONT "$IW_DAEMON_PID"
    iw_log "daemon stopped"
    # Past the end deadline even when the last input is taken at the end of its 8 s atime bucket.
    iw_sleep_until $((t0 + (IW_IDLE + 8 + 4) * 1000))
    iw_check "nothing happened while the daemon was stopped" iw_tmux_is_alive s1
    iw_tmux_has_text s1 'Press any key' && iw_fail "warned while the daemon was stopped?"
    local resumed
    resumed=$(iw_now_ms)
    kill -CONT "$IW_DAEMON_PID"
    iw_log "daemon resumed $(iw_secs $((resumed - t0))) s after the last input"
    iw_watch_warned_and_gone s1 $((resumed + (IW_WARN + IW_MAX_LATE) * 1000))
    local warn_at=$IW_WARN_AT gone_at=$IW_GONE_AT
    [[ -n $gone_at ]] || iw_fail "not logged out within $((IW_WARN + IW_MAX_LATE)) s of the resume"
    [[ -n $warn_at ]] || iw_fail "logged out without a warning"
    iw_measure "pane=s1 warned_after_resume_s=$(iw_secs $((warn_at - resumed))) ended_after_resume_s=$(iw_secs $((gone_at - resumed))) warning_to_end_s=$(iw_secs $((gone_at - warn_at)))"
    ((warn_at - resumed <= 3000)) || iw_fail "the overdue session was warned $(iw_secs $((warn_at - resumed))) s after the resume, not at once"
    ((gone_at - warn_at >= (IW_WARN - 1) * 1000)) || iw_fail "ended $(iw_secs $((gone_at - warn_at))) s after the warning (< warn_before)"
    ((gone_at - resumed <= (IW_WARN + 10) * 1000)) || iw_fail "ended $(iw_secs $((gone_at - resumed))) s after the resume"
    iw_ok "warned $(iw_secs $((warn_at - resumed))) s and ended $(iw_secs $((gone_at - resumed))) s after the resume"
    local line
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv session "$id")" || iw_fail "no warn line"
    line=$(iw_audit "$(iw_kv event warn)" "$(iw_kv session "$id")" | tail -n1)
    iw_log "audit: $line"
    (($(iw_audit_field "$line" idle) >= IW_IDLE)) || iw_fail "the warning's idle= does not count the stopped time: $line"
    iw__r_expect_terminated "$id" "$a"
    iw_check "daemon still running" iw_daemon_alive
}

# A real unprivileged user cannot register a session (open datagram, as any user, to either socket, or with
# forged root credentials), unregister another user's session (close datagram with its pid and start time),
# see it (status), keep it alive (keepalive --session ID: refused, audited, idle time not reset), reload or
# sweep. The victim's session is intact afterwards and the daemon still runs.
test_reliability_non_root_cannot_touch_other_users_session() {
    local v=iwtest-$IW_ID-v m=iwtest-$IW_ID-m service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$v"
    iw_mkuser "$m"
    IW_IDLE=300 IW_WARN=60 iw_own_config 'check_no_tty = true'
    iw_own_daemon_start
    iw_pamtester_service "$service"
    iw_pamtester_hold v "$service" "$v"
    iw_wait_sessions 1 10 "$v" || iw_fail "the victim's session is not registered"
    local id pid start uidv uidm
    id=$(iw__r_session_id "$v")
    pid=${IW_PT_PID_v:?} # set by iw_pamtester_hold
    start=$(iw_proc_start "$pid")
    uidv=$(id -u "$v")
    uidm=$(id -u "$m")
    iw_log "victim session $id: $(iw_sessions_of "$v")"

    # see
    local out
    out=$(iw_status --as "$m" --json) || iw_fail "status as $m failed: $out"
    [[ $(tr -d '[:space:]' <<<"$out") == "[]" ]] || iw_fail "$m sees sessions: $out"
    out=$(iw_status --as "$m") || iw_fail "status (table) as $m failed"
    grep -qF -- "$v" <<<"$out" && iw_fail "$m's status table shows $v: $out"
    [[ $(iw_session_count "$v" --as "$v") == 1 ]] || iw_fail "the victim does not see its own session"
    iw_ok "$m sees no session of $v"

    # register
    local rejects
    rejects=$(iw_audit_count "$(iw_kv event reject)" "$(iw_kv sender_uid "$uidm")")
    iw_dgram_as "$m" "$IW_SESSION_SOCK" open uid="$uidv" user="$v" service=iwtest-forged tty=iwtest-forged 2>/dev/null &&
        [[ $IW_SESSION_SOCK != "$IW_SOCK" ]] && iw_fail "$m could send to the root-only socket $IW_SESSION_SOCK"
    iw_dgram_as "$m" "$IW_SOCK" open uid="$uidv" user="$v" service=iwtest-forged tty=iwtest-forged >/dev/null ||
        iw_fail "$m could not send to the control socket"
    iw_dgram_as "$m" "$IW_SOCK" open uid="$uidm" user="$m" service=iwtest-forged tty=iwtest-forged >/dev/null
    out=$(iw_dgram_as "$m" "$IW_SOCK" open uid="$uidv" user="$v" service=iwtest-forged creds_pid=1 2>&1) &&
        iw_fail "the kernel let $m send root credentials: $out"
    iw_ok "forged SCM_CREDENTIALS refused by the kernel: $(tail -n1 <<<"$out")"
    # unregister
    iw_dgram_as "$m" "$IW_SOCK" close pid="$pid" start="$start" sid="$pid" uid="$uidv" user="$v" \
        service="$service" >/dev/null || iw_fail "$m could not send the close datagram"
    iw_dgram_as "$m" "$IW_SESSION_SOCK" close pid="$pid" start="$start" sid="$pid" uid="$uidv" user="$v" \
        service="$service" >/dev/null 2>&1 && [[ $IW_SESSION_SOCK != "$IW_SOCK" ]] &&
        iw_fail "$m could send a close to the root-only socket"
    iw_wait_until 10 iw__r_rejects_above "$uidm" $((rejects + 2)) ||
        iw_fail "the forged open/close datagrams were not rejected: $(iw_audit | tail -n 5)"
    iw_log "rejects: $(iw_audit "$(iw_kv event reject)" "$(iw_kv sender_uid "$uidm")" | sed -E 's/.*(reason=[^ ]+).*/\1/' | sort | uniq -c | tr '\n' ' ')"
    iw_audit "$(iw_kv event reject)" "$(iw_kv sender_uid "$uidm")" "$(iw_kv reason not-root)" | grep -q . ||
        iw_fail "no reason=not-root reject for $m: $(iw_audit "$(iw_kv event reject)" | tail -n 3)"
    sleep 1
    [[ $(iw_session_count "$m") == 0 ]] || iw_fail "$m registered a session: $(iw_sessions_of "$m")"
    [[ $(iw_session_count "$v") == 1 && $(iw__r_session_id "$v") == "$id" ]] ||
        iw_fail "the victim's session changed: $(iw_sessions_of "$v")"
    iw_audit "$(iw_kvre event '(open|close)')" "$(iw_kv service iwtest-forged)" | grep -q . && iw_fail "a forged datagram was accepted"
    iw_audit "$(iw_kv event close)" "$(iw_kv session "$id")" | grep -q . && iw_fail "the victim's session was closed"
    iw_ok "$m can neither register nor unregister (rejected, victim's session $id intact)"

    # keep alive
    local idle1 idle2 rc
    sleep 3
    idle1=$(iw_status_value "$v" idle_seconds | cut -f2)
    out=$(timeout 15 runuser -u "$m" -- "$IW_T/bin/idlewarden" keepalive --socket "$IW_SOCK" --session "$id" 2>&1)
    rc=$?
    ((rc != 0)) || iw_fail "keepalive --session $id by $m succeeded: $out"
    iw_ok "keepalive --session $id by $m: status $rc: $out"
    iw_audit_wait 5 "$(iw_kv event keepalive)" "$(iw_kv result refused)" "$(iw_kv sender_uid "$uidm")" ||
        iw_fail "the refused keepalive was not audited: $(iw_audit "$(iw_kv event keepalive)")"
    sleep 1
    idle2=$(iw_status_value "$v" idle_seconds | cut -f2)
    ((idle2 >= idle1)) || iw_fail "the victim's idle time went from $idle1 to $idle2 s after $m's keepalive"
    iw_audit "$(iw_kv event keepalive)" "$(iw_kv session "$id")" | grep -v 'result=refused' | grep -q . &&
        iw_fail "a keepalive of session $id was accepted"
    iw_ok "the victim's idle time was not reset ($idle1 s → $idle2 s)"

    # reload, sweep
    local cmd
    for cmd in reload sweep "sweep --dry-run"; do
        # shellcheck disable=SC2086
        out=$(timeout 15 runuser -u "$m" -- "$IW_T/bin/idlewarden" $cmd --socket "$IW_SOCK" 2>&1) &&
            iw_fail "$m may run $cmd: $out"
        iw_ok "$cmd by $m refused: $out"
    done
    iw_audit "$(iw_kv event sweep)" | grep -q . && iw_fail "a sweep was run for $m"
    iw_audit "$(iw_kv event config-reload)" | grep -q . && iw_fail "a reload was done for $m"
    iw_check "daemon still running" iw_daemon_alive
    iw_pamtester_release v || iw_fail "the victim's pamtester could not close its session"
    iw_wait_sessions 0 10 "$v" || iw_fail "the victim's session did not close"
}
iw__r_rejects_above() { (($(iw_audit_count "$(iw_kv event reject)" "$(iw_kv sender_uid "$1")") >= $2)); }

# Pid reuse. Three pamtester sessions of one user, each on an idle terminal (a tmux pane), are registered.
# Live daemon: session A's pamtester is SIGKILLed (no close_session) and a process of the same user takes its
# exact pid (ns_last_pid). Restart: the daemon is SIGKILLed, session B's pamtester is SIGKILLed, a process
# of the same user takes B's pid, the daemon restarts on the same state. Session C (untouched) is the control.
# A is closed (leader-exit) and B dropped at restart (event=drop); C is restored and, idle, terminated; the
# processes holding A's and B's pids and their children get no signal and live on, past C's termination.
# (enforce.sh's test covers an open datagram whose start time does not match the pid's current process.)
test_reliability_reused_pid_is_not_signalled() {
    local a=iwtest-$IW_ID-a service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_recorder
    iw_own_config
    iw_own_daemon_start
    iw_pamtester_service "$service"
    local tag
    for tag in A B C; do
        iw_tmux_new "idle$tag" "exec sleep 1000"
        iw_pamtester_hold "$tag" "$service" "$a" -I "tty=$(iw_tmux_pane "idle$tag" '#{pane_tty}')"
    done
    iw_wait_sessions 3 10 "$a" || iw_fail "expected three sessions of $a: $(iw_status --json)"
    local t0 pa pb ida idb idc
    t0=$(iw_now_ms)
    pa=$IW_PT_PID_A pb=$IW_PT_PID_B
    ida=$(iw_sessions_of "$a" | awk -F'\t' -v p="$pa" '$7 == p { print $1 }')
    idb=$(iw_sessions_of "$a" | awk -F'\t' -v p="$pb" '$7 == p { print $1 }')
    idc=$(iw_sessions_of "$a" | awk -F'\t' -v p="$IW_PT_PID_C" '$7 == p { print $1 }')
    [[ -n $ida && -n $idb && -n $idc ]] || iw_fail "cannot find the sessions by pid: $(iw_sessions_of "$a")"
    iw_log "sessions: A=$ida (pid $pa) B=$idb (pid $pb) C=$idc (pid $IW_PT_PID_C)"

    iw_wait_until 10 iw__r_state_has_pid "$pb" || iw_fail "session $idb never reached the state file"
    iw__r_pt_kill A
    iw_audit_wait 10 "$(iw_kv event close)" "$(iw_kv session "$ida")" ||
        iw_fail "session $ida was not closed when its leader died: $(iw_audit "$(iw_kv session "$ida")")"
    iw_ok "audited: $(iw_audit "$(iw_kv event close)" "$(iw_kv session "$ida")" | tail -n1)"
    iw__r_spawn_at_pid "$pa" "$a" "$IW_T/shared/A"

    iw__r_daemon_kill9
    iw__r_pt_kill B
    iw__r_spawn_at_pid "$pb" "$a" "$IW_T/shared/B"
    iw_own_daemon_restart
    iw_audit_wait 10 "$(iw_kv event drop)" "$(iw_kv session "$idb")" ||
        iw_fail "session $idb (leader pid now reused) was not dropped at restart: $(iw_audit | tail -n 5)"
    iw_ok "audited: $(iw_audit "$(iw_kv event drop)" "$(iw_kv session "$idb")" | tail -n1)"
    iw_audit_wait 10 "$(iw_kv event restore)" "$(iw_kv session "$idc")" || iw_fail "session $idc was not restored"
    local sessions
    sessions=$(iw_sessions_of "$a" | cut -f1 | tr '\n' ' ')
    [[ $sessions == "$idc " ]] || iw_fail "after the restart, expected only session $idc of $a, status has: $sessions"
    local all
    all=$(iw_status_tsv) || iw_fail "status failed after the restart"
    awk -F'\t' -v a="$pa" -v b="$pb" '$7 == a || $7 == b' <<<"$all" | grep -q . &&
        iw_fail "a session with a reused leader pid is registered: $all"
    local pstart_a pstart_b
    pstart_a=$(iw_proc_start "$pa")
    pstart_b=$(iw_proc_start "$pb")

    iw_wait_until $((IW_IDLE + IW_MAX_LATE + 10)) iw__r_has_terminate "$idc" ||
        iw_fail "the control session $idc was not terminated: $(iw_audit "$(iw_kv session "$idc")")"
    iw_measure "control_session_terminated_after_s=$(iw_secs $(($(iw_now_ms) - t0)))"
    iw_ok "control: $(iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$idc")" | tail -n1)"
    sleep $((IW_GRACE * 2 + 2))
    local who pid
    for who in A B; do
        pid=$(cat "$IW_T/shared/$who.pid")
        iw_same_proc "$pid" "$([[ $who == A ]] && echo "$pstart_a" || echo "$pstart_b")" ||
            iw_fail "the process that took $who's pid $pid is gone"
        kill -0 "$(cat "$IW_T/shared/$who.child")" 2>/dev/null || iw_fail "the child of the process at $who's pid is gone"
        [[ ! -s $IW_T/shared/$who.sig ]] || iw_fail "the process at $who's pid got signals: $(cat "$IW_T/shared/$who.sig")"
        iw_ok "the process holding $who's old pid $pid and its child were never signalled"
    done
    iw_audit "$(iw_kvre event '(warn|terminate)')" "$(iw_kvre session "($ida|$idb)")" | grep -q . &&
        iw_fail "a session with a reused pid was warned or terminated: $(iw_audit "$(iw_kvre session "($ida|$idb)")")"
    iw_check "daemon still running" iw_daemon_alive
}
iw__r_has_terminate() { iw_audit "$(iw_kv event terminate)" "$(iw_kv session "$1")" | grep -q .; }

# The module under hostile conditions: the daemon killed (stale socket), the socket missing, replaced by a
# regular file, replaced by a directory, the daemon stopped (SIGSTOP), and its listen backlog full (stopped, and
# root holding net.core.somaxconn connections it never sends on). Each time, pamtester open_session +
# close_session returns within 1 s: status 0 with the plain module line (delivered or spooled), non-zero with
# require_daemon (fail closed) whenever the record could not be handed to the running daemon. Afterwards
# (SIGCONT) the daemon runs and registers sessions.
test_reliability_module_hostile_conditions_never_block() {
    local a=iwtest-$IW_ID-a open=idlewarden-test-open-$IW_ID closed=idlewarden-test-closed-$IW_ID
    iw_mkuser "$a"
    iw_own_config
    iw_own_daemon_start
    local sock=$IW_SESSION_SOCK
    iw_pam_service "$open" "auth required pam_permit.so" "account required pam_permit.so" \
        "session required pam_permit.so" "session required $IW_SO socket=$sock debug"
    iw_pam_service "$closed" "auth required pam_permit.so" "account required pam_permit.so" \
        "session required pam_permit.so" "session required $IW_SO socket=$sock debug require_daemon"
    iw__r_pam_try baseline 0 0

    iw__r_daemon_kill9
    [[ -S $sock ]] || iw_fail "expected the killed daemon's socket to remain"
    iw__r_pam_try stale-socket 0 1
    rm -f "$sock"
    iw__r_pam_try no-socket 0 1
    : >"$sock"
    iw__r_pam_try regular-file 0 1
    rm -f "$sock"
    mkdir "$sock"
    iw__r_pam_try directory 0 1
    rmdir "$sock"

    iw_own_daemon_restart
    kill -STOP "$IW_DAEMON_PID"
    iw_defer kill -CONT "$IW_DAEMON_PID"
    iw__r_pam_try stopped-daemon 0 0 # its queue takes the datagrams: queued is all require_daemon asks
    local out
    out=$(iw_fill_session_backlog "$sock") || iw_fail "could not fill the daemon's backlog: $out"
    # The connections stay in the listener's backlog after their sockets close, until the daemon accepts them.
    iw_log "backlog full after $out connections (net.core.somaxconn=$(cat /proc/sys/net/core/somaxconn))"
    iw__r_pam_try full-backlog 0 1
    kill -CONT "$IW_DAEMON_PID"
    sleep 1
    iw_check "the daemon runs after all of it" iw_daemon_alive
    iw_status >/dev/null || iw_fail "the resumed daemon does not answer status"
    local service=idlewarden-test-pam-$IW_ID
    iw_pamtester_service "$service"
    iw_pamtester_hold after "$service" "$a"
    iw_wait_sessions 1 10 "$a" || iw_fail "the resumed daemon does not register a new session: $(iw_audit | tail -n 5)"
    iw_ok "the resumed daemon registers sessions again"
    iw_pamtester_release after
}

# iw__r_pam_try CONDITION WANT_OPEN WANT_CLOSED — pamtester open_session + close_session with the fail-open and the
# require_daemon service; WANT_*: 0 (status 0) or 1 (non-zero). Each must return within 1 s.
iw__r_pam_try() {
    local condition=$1 want_open=$2 want_closed=$3 which service want t rc ms
    for which in open closed; do
        service=idlewarden-test-$which-$IW_ID
        [[ $which == open ]] && want=$want_open || want=$want_closed
        t=$(iw_now_ms)
        timeout 10 pamtester "$service" "$a" open_session close_session >>"$IW_TLOG/pamtester-$condition.log" 2>&1
        rc=$?
        ms=$(($(iw_now_ms) - t))
        iw_measure "module condition=$condition line=$which status=$rc ms=$ms"
        ((rc != 124)) || iw_fail "$condition/$which: pamtester hung (killed after 10 s)"
        ((ms < 1000)) || iw_fail "$condition/$which: pamtester took $ms ms"
        case $want in
            0) ((rc == 0)) || iw_fail "$condition/$which: pamtester failed (status $rc), expected the session to open: $(tail -n 3 "$IW_TLOG/pamtester-$condition.log")" ;;
            1) ((rc != 0)) || iw_fail "$condition/$which: pamtester succeeded, expected require_daemon to fail closed" ;;
            *) iw_fail "iw__r_pam_try $condition: expected status 0 or 1, not '$want'" ;;
        esac
        iw_ok "$condition, $which line: status $rc in $ms ms"
    done
}

# 100,000 malformed datagrams from an unprivileged user, sent to the control socket as fast as the daemon takes
# them, while root logins (pamtester through the session socket) open: every login is registered, the flood
# is accounted for (individual rejects up to the rate limit, the rest summed in event=reject
# reason=rate-limited dropped=N), the audit log gets few lines, and the daemon's memory stays bounded.
test_reliability_flood_from_user_does_not_stop_root_logins() {
    local a=iwtest-$IW_ID-a f=iwtest-$IW_ID-f service=idlewarden-test-pam-$IW_ID total=100000
    iw_mkuser "$a"
    iw_mkuser "$f"
    IW_IDLE=300 IW_WARN=60 iw_own_config
    iw_own_daemon_start
    iw_pamtester_service "$service"
    iw_pamtester_hold warm "$service" "$a"
    iw_wait_sessions 1 10 "$a" || iw_fail "the first session is not registered"
    local rss0 uidf
    rss0=$(iw__r_rss "$IW_DAEMON_PID")
    uidf=$(id -u "$f")
    cat >"$IW_T/flood.py" <<'PY'
import os, socket, struct, sys, time
path, total = sys.argv[1], int(sys.argv[2])
def field(tag, value):
    return bytes([tag]) + struct.pack(">H", len(value)) + value
good = b"IW\x01\x01" + field(1, struct.pack(">I", 1)) + field(5, b"root")
variants = [
    b"IW\x01",                                        # truncated header
    b"XW\x01\x01" + good[4:],                         # bad magic
    b"IW\x07\x01" + good[4:],                         # bad version
    b"IW\x01\x01" + bytes([5]) + struct.pack(">H", 300) + b"liar",   # lying length
    good + b"\x08\x00",                               # truncated field
    b"IW\x01\x01" + field(5, b"\xff\xfe\xc0\xaf"),    # bad UTF-8
    b"\x00",                                          # one byte
    os.urandom(200),                                  # noise
]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(5)
t = time.monotonic()
sent = 0
try:
    for i in range(total):
        s.sendto(variants[i % len(variants)], path)
        sent += 1
except OSError as e:
    print("stopped after %d: %s" % (sent, e), file=sys.stderr)
print("%d %.3f" % (sent, time.monotonic() - t))
PY
    chmod 0644 "$IW_T/flood.py"
    local start
    start=$(iw_now_ms)
    runuser -u "$f" -- "$IW_PY" "$IW_T/flood.py" "$IW_SOCK" "$total" >"$IW_T/flood.out" 2>"$IW_TLOG/flood.err" &
    local flooder=$!
    iw_defer kill "$flooder"
    sleep 0.3
    local k t reg_ms=()
    for k in 1 2 3; do
        t=$(iw_now_ms)
        iw_pamtester_hold "l$k" "$service" "$a"
        reg_ms+=("$(($(iw_now_ms) - t))")
    done
    local flood_running=no
    kill -0 "$flooder" 2>/dev/null && flood_running=yes
    t=$(iw_now_ms)
    iw_wait_sessions 4 30 "$a" || iw_fail "the logins opened during the flood are not all in status: $(iw_sessions_of "$a")"
    local status_ms=$(($(iw_now_ms) - t))
    iw_ok "the three logins opened during the flood are registered (flood still running when they opened: $flood_running)"
    wait "$flooder"
    local rc=$? sent secs
    read -r sent secs <"$IW_T/flood.out"
    iw_log "flood: status $rc, $sent datagrams in $secs s; $(cat "$IW_TLOG/flood.err")"
    [[ $sent == "$total" ]] || iw_fail "the flooder sent only $sent of $total datagrams (status $rc)"
    iw_check "daemon still running" iw_daemon_alive
    local rss1 hwm
    rss1=$(iw__r_rss "$IW_DAEMON_PID")
    hwm=$(iw__r_hwm "$IW_DAEMON_PID")

    # The refusal summary is written at the first datagram 10 s or more after the last one: poll with status.
    local accounted=0 lines dropped
    local end=$(($(iw_now_ms) + 25000))
    while (($(iw_now_ms) < end)); do
        iw_status >/dev/null 2>&1
        dropped=$(iw_audit "$(iw_kv event reject)" "$(iw_kv reason rate-limited)" "$(iw_kv sender_uid "$uidf")" |
            grep -oE '(^|[[:space:]])dropped=[0-9]+' | cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }')
        lines=$(iw_audit_count "$(iw_kv event reject)" "$(iw_kv sender_uid "$uidf")")
        accounted=$((dropped + lines - $(iw_audit_count "$(iw_kv event reject)" "$(iw_kv reason rate-limited)" "$(iw_kv sender_uid "$uidf")")))
        ((accounted >= total)) && break
        sleep 2
    done
    iw_log "rejected one by one: $((accounted - dropped)); dropped by the rate limit: $dropped; audit lines for uid $uidf: $lines"
    iw_measure "flood datagrams=$sent seconds=$secs rate_per_s=$(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%d", n / (s > 0 ? s : 1) }') rss_before_kb=$rss0 rss_after_kb=$rss1 vmhwm_kb=$hwm registration_ms=$(IFS=,; echo "${reg_ms[*]}") status_all_ms=$status_ms audit_lines=$lines individually_rejected=$((accounted - dropped)) rate_limited_dropped=$dropped"
    ((accounted == total)) || iw_fail "the daemon accounted for $accounted of $total datagrams (rejected + dropped)"
    ((lines <= 200)) || iw_fail "$lines audit lines for one user's flood: the rate limit does not bound syslog"
    ((rss1 - rss0 <= 16384)) || iw_fail "the daemon's RSS grew from $rss0 kB to $rss1 kB during the flood"
    iw_ok "RSS $rss0 kB → $rss1 kB (peak $hwm kB), $lines audit lines, every datagram accounted for"
    # Root's requests still work and the sessions still close.
    for k in warm l1 l2 l3; do iw_pamtester_release "$k" || iw_fail "pamtester $k could not close"; done
    iw_wait_sessions 0 15 "$a" || iw_fail "sessions left after close: $(iw_sessions_of "$a")"
    iw_check "daemon still running" iw_daemon_alive
}
