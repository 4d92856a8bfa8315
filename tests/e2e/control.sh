# shellcheck shell=bash
# End-to-end tests of the world-writable control socket against the users who send to it (issue 14, items 2 and
# 9): a datagram that carries a lingering TCP socket, a flood from one user, a reply redirected through a
# symlinked client address, and C1/bidi characters that a login puts into status. Each as the attacking ordinary
# user, against a real daemon with a real sshd or pamtester login.
#
# Helpers local to this file start with iw__c_.

# ---------------------------------------------------------------------------------------------------------------
# Local helpers

# iw__c_kernel_refuses_descriptors — this kernel has SO_PASSRIGHTS (Linux 6.16+).
iw__c_kernel_refuses_descriptors() {
    "$IW_PY" -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).setsockopt(socket.SOL_SOCKET, 83, 0)' \
        2>/dev/null
}

# iw__c_old_kernel_shim — a preload library for the daemon that makes setsockopt(SO_PASSRIGHTS) fail as it does
# on a kernel before 6.16 (ENOPROTOOPT), so that the receiver alone stands between a passed descriptor and the
# daemon, as on Debian 12's kernel. Sets IW__C_SHIM. A harness device only: the product has no such switch.
iw__c_old_kernel_shim() {
    local cc
    cc=$(command -v gcc) || iw_fail "no gcc for the preload shim"
    cat >"$IW_T/no_passrights.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>
int setsockopt(int fd, int level, int name, const void *value, socklen_t length) {
    static int (*real)(int, int, int, const void *, socklen_t);
    if (level == SOL_SOCKET && name == 83) { errno = ENOPROTOOPT; return -1; }
    if (!real) real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
    return real(fd, level, name, value, length);
}
EOF
    "$cc" -shared -fPIC -O2 -o "$IW_T/no_passrights.so" "$IW_T/no_passrights.c" -ldl ||
        iw_fail "cannot build the preload shim with $cc"
    chmod 0755 "$IW_T/no_passrights.so"
    IW__C_SHIM=$IW_T/no_passrights.so
}

# iw__c_linger_script — $IW_T/linger.py SOCKET COUNT GAP_S: COUNT times, a loopback TCP connection whose peer
# never reads, its send buffer filled and SO_LINGER set to an hour, sent (SCM_RIGHTS) inside a status request to
# SOCKET by a child that closes its copy right after sending (the parent closed its own first): the last
# reference is then the queued datagram's, and whoever dequeues it sleeps in its close. Prints per datagram
# "sent N" (the child got out: the datagram held the last reference), "lost N" (the child's close was the last
# one: it sleeps there itself, and is killed at the end) or "refused N ERRNO"; keeps the peers open.
iw__c_linger_script() {
    cat >"$IW_T/linger.py" <<'PY'
import os, socket, struct, sys, time
path, count, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
status = b"IW\x01\x03" + b"\x0c\x00\x04" + struct.pack(">I", 4242) + b"\x0d\x00\x02\x00\x00"
keep = []
for i in range(count):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    lingering = socket.socket()
    lingering.connect(listener.getsockname())
    peer, _ = listener.accept()
    lingering.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 3600))
    lingering.setblocking(False)
    try:
        while True:
            lingering.send(b"x" * 65536)
    except BlockingIOError:
        pass
    ready, go = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(go)
        os.read(ready, 1)
        d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        d.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        fd = lingering.detach()
        try:
            d.sendmsg([status], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))], 0, path)
        except OSError as e:
            os._exit(100 + e.errno)
        os.close(fd)
        os._exit(0)
    lingering.close()
    os.close(ready)
    os.write(go, b"x")
    os.close(go)
    result = "lost %d" % i
    for _ in range(100):
        done, status_code = os.waitpid(child, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status_code)
            result = "sent %d" % i if code == 0 else "refused %d %d" % (i, code - 100)
            break
        time.sleep(0.01)
    print(result, flush=True)
    keep += [listener, peer]
    time.sleep(gap)
while True:
    time.sleep(60)
PY
    chmod 0644 "$IW_T/linger.py"
}

# iw__c_probe NAME SECONDS [--as USER] — in the background, ask for status every 0.5 s for SECONDS, as root or
# USER, appending "rc ms" lines to $IW_T/probe-NAME; a second file, $IW_T/probe-NAME.wchan, gets the daemon's
# wchan at each round. Sets IW__C_PROBE_PID.
iw__c_probe() {
    local name=$1 seconds=$2; shift 2
    (
        local end=$(($(iw_now_ms) + seconds * 1000)) t rc
        while (($(iw_now_ms) < end)); do
            t=$(iw_now_ms)
            iw_status "$@" >/dev/null 2>&1
            rc=$?
            echo "$rc $(($(iw_now_ms) - t))" >>"$IW_T/probe-$name"
            cat "/proc/$IW_DAEMON_PID/wchan" >>"$IW_T/probe-$name.wchan" 2>/dev/null
            echo >>"$IW_T/probe-$name.wchan"
            sleep 0.5
        done
    ) &
    IW__C_PROBE_PID=$!
    iw_defer kill "$IW__C_PROBE_PID"
}

# iw__c_probe_check NAME BOUND_MS — every status of the probe answered (status 0) within BOUND_MS.
iw__c_probe_check() {
    local name=$1 bound=$2 file=$IW_T/probe-$1
    [[ -s $file ]] || iw_fail "the status probe $name ran no request"
    local n failed max stalls
    n=$(grep -c . "$file")
    failed=$(awk '$1 != 0' "$file" | grep -c .)
    max=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$file")
    stalls=$(grep -c wait_woken "$file.wchan")
    cp "$file" "$IW_TLOG/probe-$name.txt"
    iw_measure "status probe=$name requests=$n failed=$failed max_ms=$max daemon_in_wait_woken=$stalls"
    ((failed == 0)) || iw_fail "status ($name) failed $failed of $n times: $(awk '$1 != 0' "$file" | head -n 3 | tr '\n' '|')"
    ((max <= bound)) || iw_fail "status ($name) took up to $max ms (bound $bound ms)"
    ((stalls == 0)) || iw_fail "the daemon was seen sleeping in a close (wchan wait_woken) $stalls times"
    iw_ok "status ($name): $n requests, all answered, slowest $max ms; the daemon never slept in wait_woken"
}

# iw__c_attack_as USER COUNT GAP_S — run linger.py as USER against the control socket; output in
# $IW_TLOG/linger.out. Sets IW__C_ATTACK_PID.
iw__c_attack_as() {
    iw__c_linger_script
    runuser -u "$1" -- "$IW_PY" "$IW_T/linger.py" "$IW_SOCK" "$2" "$3" >"$IW_TLOG/linger.out" 2>&1 &
    IW__C_ATTACK_PID=$!
    iw_defer iw_kill_tree "$IW__C_ATTACK_PID"
}
iw__c_attack_lines() { grep -cE "^$1 " "$IW_TLOG/linger.out"; } # sent|refused → how many

# ---------------------------------------------------------------------------------------------------------------

# The lingering-descriptor datagram on this machine's kernel, as is: where the kernel has SO_PASSRIGHTS (6.16+)
# the send is refused (EPERM) and nothing reaches the daemon; where it does not, the receiver takes the stall and
# is replaced. Either way status answers within 1 s throughout, and a login made meanwhile is registered.
test_control_lingering_descriptor_does_not_stall() {
    local a=iwtest-$IW_ID-a m=iwtest-$IW_ID-m service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_mkuser "$m"
    IW_IDLE=300 IW_WARN=60 iw_own_config
    iw_own_daemon_start
    iw_pamtester_service "$service"
    local refused=no expect
    iw__c_kernel_refuses_descriptors && refused=yes
    expect=$([[ $refused == yes ]] && echo refused-by-kernel || echo dropped-by-receiver)
    iw_audit_wait 5 "$(iw_kv event start)" "$(iw_kv passed_descriptors "$expect")" ||
        iw_fail "the start line does not say passed_descriptors=$expect (kernel $(uname -r)): $(iw_audit "$(iw_kv event start)")"
    iw_ok "kernel $(uname -r): passed_descriptors=$expect"

    iw__c_probe root 12
    iw__c_attack_as "$m" 4 2
    iw_pamtester_hold late "$service" "$a"
    iw_wait_sessions 1 10 "$a" || iw_fail "a login made during the attack was not registered: $(iw_audit | tail -n 5)"
    iw_ok "a login made during the attack is registered"
    wait "$IW__C_PROBE_PID"
    iw__c_probe_check root 1000
    if [[ $refused == yes ]]; then
        (($(iw__c_attack_lines refused) == 4)) || iw_fail "the kernel did not refuse every descriptor: $(cat "$IW_TLOG/linger.out")"
        grep -qE '^refused [0-9]+ 1$' "$IW_TLOG/linger.out" || iw_fail "refused, but not with EPERM: $(cat "$IW_TLOG/linger.out")"
        [[ $(iw_audit_count "$(iw_kv event receiver)" "$(iw_kv result killed)") == 0 ]] ||
            iw_fail "a receiver was killed although nothing could carry a descriptor: $(iw_audit "$(iw_kv event receiver)")"
        iw_ok "every lingering descriptor was refused by the kernel (EPERM) before it was queued"
    else
        local sent kills
        sent=$(iw__c_attack_lines sent)
        kills=$(iw_audit_count "$(iw_kv event receiver)" "$(iw_kv result killed)" "$(iw_kv sender_uid "$(id -u "$m")")")
        ((sent >= 1)) || iw_fail "no lingering descriptor reached the daemon: $(cat "$IW_TLOG/linger.out")"
        ((kills >= sent)) || iw_fail "$sent lingering descriptors sent, $kills stalled receivers killed: $(iw_audit | tail -n 5)"
        iw_ok "$sent lingering descriptors: each stalled receiver was killed and replaced"
    fi
    iw_pamtester_release late
    iw_check "daemon still running" iw_daemon_alive
}

# The same attack where the kernel lets the descriptor through (SO_PASSRIGHTS made to fail as before 6.16, as
# on Debian 12): an ordinary user sends a lingering TCP socket every 1.5 s while another user's ssh session goes
# idle. The receiver that dequeues each one is killed after its patience and replaced (audited with the sender),
# the datagram is refused, status answers within 1 s for root and the victim throughout, a login made meanwhile
# is registered, and the idle session is warned and ended on time. Before: the daemon slept in close() (wchan
# wait_woken) until the linger ended; status got no answer and nothing was enforced.
test_control_lingering_descriptor_old_kernel_receiver_replaced() {
    local a=iwtest-$IW_ID-a m=iwtest-$IW_ID-m service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_mkuser "$m"
    iw__c_old_kernel_shim
    IW_DAEMON_PRELOAD=$IW__C_SHIM iw_own_ssh_setup
    iw_audit_wait 5 "$(iw_kv event start)" "$(iw_kv passed_descriptors dropped-by-receiver)" ||
        iw_fail "the shim did not take SO_PASSRIGHTS away: $(iw_audit "$(iw_kv event start)")"
    iw_ok "the daemon runs as on a kernel without SO_PASSRIGHTS: $(iw_audit "$(iw_kv event start)" | tail -n1)"
    iw_pamtester_service "$service"
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "the ssh session of $a is not in status"
    local id
    id=$(iw_sessions_of "$a" | cut -f1)

    # A "lost" attempt (see iw__c_linger_script) is a race the attacker loses: the receiver, woken by its send,
    # dequeued the datagram before the attacker closed its own copy. About half are lost here, so it tries often
    # and 3 must get through.
    iw__c_attack_as "$m" 14 1.5
    iw__c_probe root 22
    local root_probe=$IW__C_PROBE_PID
    iw__c_probe victim 22 --as "$a"
    local victim_probe=$IW__C_PROBE_PID
    sleep 3
    iw_pamtester_hold late "$service" "$a"
    iw_wait_sessions 2 10 "$a" || iw_fail "a login made during the attack was not registered: $(iw_audit | tail -n 5)"
    iw_ok "a login made during the attack is registered"

    iw_expect_logout s1 yes
    iw_audit_wait 15 "$(iw_kv event terminate)" "$(iw_kv session "$id")" "$(iw_kv reason idle)" ||
        iw_fail "no terminate line for session $id: $(iw_audit "$(iw_kv session "$id")")"
    wait "$root_probe" "$victim_probe"
    iw__c_probe_check root 1000
    iw__c_probe_check victim 1000

    local sent kills
    sent=$(iw__c_attack_lines sent)
    kills=$(iw_audit_count "$(iw_kv event receiver)" "$(iw_kv result killed)" "$(iw_kv reason stalled)" \
        "$(iw_kv sender_uid "$(id -u "$m")")" "$(iw_kv descriptors passed)")
    iw_measure "lingering sent=$sent lost_race=$(iw__c_attack_lines lost) receivers_killed=$kills"
    ((sent >= 3)) || iw_fail "the attacker sent only $sent lingering descriptors: $(cat "$IW_TLOG/linger.out")"
    ((kills >= sent)) || iw_fail "$sent lingering descriptors sent, $kills stalled receivers killed: $(iw_audit "$(iw_kv event receiver)")"
    iw_ok "$sent lingering descriptors, $kills stalled receivers killed and replaced: $(iw_audit "$(iw_kv event receiver)" "$(iw_kv result killed)" | tail -n1)"
    iw_audit "$(iw_kv event reject)" "$(iw_kv reason passed-descriptors)" "$(iw_kv sender_uid "$(id -u "$m")")" | grep -q . ||
        iw_fail "the datagrams that carried descriptors were not refused: $(iw_audit "$(iw_kv event reject)" | tail -n 3)"
    iw_ok "refused: $(iw_audit "$(iw_kv event reject)" "$(iw_kv reason passed-descriptors)" | tail -n1)"
    [[ $(iw_audit_count "$(iw_kv event receiver)" "$(iw_kv result started)") -ge $kills ]] ||
        iw_fail "not every killed receiver was replaced: $(iw_audit "$(iw_kv event receiver)")"
    iw_pamtester_release late
    iw_check "daemon still running" iw_daemon_alive
}

# One user floods the control socket as fast as the kernel takes it: valid status requests from several sockets
# (abstract, and one bound to a path), garbage, oversized and empty datagrams, descriptors (refused by the kernel
# where it can), forged credentials (refused by the kernel). Meanwhile status for root and another user answers
# within 2 s every time, a login is registered, and the other user's idle ssh session is warned and ended on time.
test_control_flood_from_one_user_keeps_status_and_deadlines() {
    local a=iwtest-$IW_ID-a f=iwtest-$IW_ID-f service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_mkuser "$f"
    iw_own_ssh_setup
    iw_pamtester_service "$service"
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "the ssh session of $a is not in status"
    install -d -m 0700 -o "$f" "$IW_T/flooder"
    cat >"$IW_T/flood.py" <<'PY'
import os, socket, struct, sys, time
path, seconds, home = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def request(i):
    return b"IW\x01\x03" + b"\x0c\x00\x04" + struct.pack(">I", i & 0xffffffff) + b"\x0d\x00\x02\x00\x00"
sockets = []
for n in range(4):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sockets.append(s)
bound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
bound.bind(os.path.join(home, "flood.sock"))
sockets.append(bound)
r, w = os.pipe()
kinds = {}
def count(kind):
    kinds[kind] = kinds.get(kind, 0) + 1
end = time.monotonic() + seconds
i = 0
while time.monotonic() < end:
    s = sockets[i % len(sockets)]
    k = i % 7
    try:
        if k in (0, 1):
            s.sendto(request(i), path); count("status")
        elif k == 2:
            s.sendto(os.urandom(64), path); count("garbage")
        elif k == 3:
            s.sendto(b"\x00" * 5000, path); count("oversized")
        elif k == 4:
            s.sendto(b"", path); count("empty")
        elif k == 5:
            s.sendmsg([request(i)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", r))], 0, path)
            count("descriptor")
        else:
            s.sendmsg([request(i)], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack("iII", 1, 0, 0))], 0, path)
            count("forged-credentials")
    except OSError as e:
        count("refused-%s-%d" % (["status", "status", "garbage", "oversized", "empty", "descriptor", "forged"][k], e.errno))
    i += 1
print(" ".join("%s=%d" % kv for kv in sorted(kinds.items())), "total=%d" % i)
PY
    chmod 0644 "$IW_T/flood.py"
    runuser -u "$f" -- "$IW_PY" "$IW_T/flood.py" "$IW_SOCK" 26 "$IW_T/flooder" >"$IW_TLOG/flood.out" 2>&1 &
    local flooder=$!
    iw_defer kill "$flooder"
    sleep 1
    iw__c_probe root 22
    local root_probe=$IW__C_PROBE_PID
    iw__c_probe other 22 --as "$a"
    local other_probe=$IW__C_PROBE_PID
    iw_pamtester_hold late "$service" "$a"
    iw_wait_sessions 2 10 "$a" || iw_fail "a login made during the flood was not registered"
    iw_ok "a login made during the flood is registered"
    iw_expect_logout s1 yes
    wait "$root_probe" "$other_probe"
    iw__c_probe_check root 2000
    iw__c_probe_check other 2000
    wait "$flooder"
    iw_log "flood: $(cat "$IW_TLOG/flood.out")"
    local total
    total=$(grep -oE 'total=[0-9]+' "$IW_TLOG/flood.out" | cut -d= -f2)
    [[ -n $total ]] && ((total > 1000)) || iw_fail "the flood did not run: $(cat "$IW_TLOG/flood.out")"
    grep -qE 'refused-forged-1=' "$IW_TLOG/flood.out" || iw_fail "forged credentials were not refused by the kernel"
    iw_audit_wait 15 "$(iw_kv event reject)" "$(iw_kv reason rate-limited)" "$(iw_kv sender_uid "$(id -u "$f")")" ||
        iw_fail "no rate-limited summary for the flooder: $(iw_audit "$(iw_kv event reject)" | tail -n 3)"
    iw_measure "flood $(cat "$IW_TLOG/flood.out")"
    iw_ok "flood of $total datagrams in 26 s: $(cat "$IW_TLOG/flood.out")"
    iw_pamtester_release late
    iw_check "daemon still running" iw_daemon_alive
}

# A user binds its client socket to a path in its own directory, renames the socket file away and puts a symlink
# to a root-only socket in its place (which it cannot send to itself), then sends a status request from the bound
# socket: the kernel reports the bound path as the sender's address. The daemon refuses the request before acting
# on it (event=reject reason=reply-address, audited with the path) and writes nothing: the root-only socket gets
# no datagram, the user no reply. The same user's request from an autobound (abstract) socket is answered.
# Before: the daemon sent its reply to the path, following the symlink, as root.
test_control_reply_never_follows_a_symlinked_client_address() {
    local m=iwtest-$IW_ID-m
    iw_mkuser "$m"
    iw_own_config
    iw_own_daemon_start
    install -d -m 0700 "$IW_T/private"
    cat >"$IW_T/recorder.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    print("ready", file=out, flush=True)
    while True:
        data = s.recv(65536)
        print("received %d bytes" % len(data), file=out, flush=True)
PY
    "$IW_PY" "$IW_T/recorder.py" "$IW_T/private/root.sock" "$IW_T/recorder.out" &
    iw_defer kill $!
    iw_wait_until 5 grep -q ready "$IW_T/recorder.out" || iw_fail "the root-only recorder socket did not start"
    chmod 0755 "$IW_T/private" # the symlink must resolve for the daemon; the socket itself stays root's, 0755
    install -d -m 0700 -o "$m" "$IW_T/attacker"
    cat >"$IW_T/redirect.py" <<'PY'
import os, socket, struct, sys
control, target, home = sys.argv[1:]
request = b"IW\x01\x03" + b"\x0c\x00\x04" + struct.pack(">I", 777) + b"\x0d\x00\x02\x00\x00"
probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    probe.sendto(b"hello", target)
    print("direct-send-allowed")
except OSError as e:
    print("direct-send-refused %d" % e.errno)
link = os.path.join(home, "client.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(link)
os.rename(link, link + ".real")
os.symlink(target, link)
s.sendto(request, control)
s.settimeout(3)
try:
    print("reply %d bytes" % len(s.recv(65536)))
except socket.timeout:
    print("no-reply")
a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
a.sendto(request, control)
a.settimeout(3)
try:
    print("abstract-reply %d bytes" % len(a.recv(65536)))
except socket.timeout:
    print("abstract-no-reply")
PY
    chmod 0644 "$IW_T/redirect.py"
    local out
    out=$(timeout 20 runuser -u "$m" -- "$IW_PY" "$IW_T/redirect.py" "$IW_SOCK" "$IW_T/private/root.sock" "$IW_T/attacker" 2>&1)
    iw_log "attacker: $(tr '\n' '|' <<<"$out")"
    grep -qE '^direct-send-refused 13$' <<<"$out" || iw_fail "the attacker can write to the root-only socket by itself: $out"
    [[ -L $IW_T/attacker/client.sock ]] || iw_fail "the attacker's symlink is not in place"
    grep -qx 'no-reply' <<<"$out" || iw_fail "the request from the symlinked path was answered: $out"
    grep -qE '^abstract-reply [0-9]+ bytes$' <<<"$out" || iw_fail "the same request from an abstract address got no reply: $out"
    sleep 1
    grep -q 'received' "$IW_T/recorder.out" && iw_fail "the daemon wrote to the root-only socket through the symlink: $(cat "$IW_T/recorder.out")"
    iw_ok "nothing reached the root-only socket; the request from the abstract address was answered"
    iw_audit_wait 5 "$(iw_kv event reject)" "$(iw_kv reason reply-address)" "$(iw_kv sender_uid "$(id -u "$m")")" ||
        iw_fail "no 'event=reject reason=reply-address' line: $(iw_audit | tail -n 3)"
    iw_audit "$(iw_kv event reject)" "$(iw_kv reason reply-address)" | grep -qF "$IW_T/attacker/client.sock" ||
        iw_fail "the reject line does not name the path: $(iw_audit "$(iw_kv event reject)")"
    iw_ok "audited: $(iw_audit "$(iw_kv event reject)" "$(iw_kv reason reply-address)" | tail -n1)"
    iw_check "daemon still running" iw_daemon_alive
}

# A login whose PAM_RHOST and PAM_TTY carry C1 controls (CSI, NEL) and bidi overrides and isolates: `status`
# shows them escaped, one \xNN per UTF-8 byte (U+009B is \xC2\x9B), in the table, for root and for the user,
# with no raw byte of them in the output. The daemon keeps PAM_RHOST escaped (as in its audit lines), so
# `status --json` carries the escaped rhost and the exact tty (JSON-escaped as JSON does). Before: status wrote
# C1 and bidi characters to the reader's terminal as they came.
test_control_status_escapes_c1_and_bidi() {
    local a=iwtest-$IW_ID-a service=idlewarden-test-pam-$IW_ID
    iw_mkuser "$a"
    iw_own_config
    iw_own_daemon_start
    iw_pamtester_service "$service"
    local rhost=$'host\u009b2J\u202Egnp.exe\u2066x\u2069' tty=$'pts/\u0085\u202Dtty\u0080\u009f'
    iw_pamtester_hold one "$service" "$a" -I "rhost=$rhost" -I "tty=$tty"
    iw_wait_sessions 1 10 "$a" || iw_fail "the session is not in status: $(iw_audit | tail -n 3)"
    local who table
    for who in root "$a"; do
        if [[ $who == root ]]; then table=$(iw_status); else table=$(iw_status --as "$a"); fi ||
            iw_fail "status as $who failed: $table"
        printf '%s\n' "$table" >"$IW_TLOG/table-$who.txt"
        "$IW_PY" - "$IW_TLOG/table-$who.txt" <<'PY' || iw_fail "status as $who shows raw control or bidi characters: $(cat -v "$IW_TLOG/table-$who.txt")"
import sys
text = open(sys.argv[1], encoding="utf-8").read()
bad = [hex(ord(c)) for c in text if ord(c) < 0x20 and c != "\n" or 0x7f <= ord(c) <= 0x9f
       or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]
if bad:
    sys.exit("raw: %s" % bad)
for escaped in [r"host\xC2\x9B2J\xE2\x80\xAEgnp.exe\xE2\x81\xA6x\xE2\x81\xA9",
                r"pts/\xC2\x85\xE2\x80\xADtty\xC2\x80\xC2\x9F"]:
    if escaped not in text:
        sys.exit("missing %s" % escaped)
PY
        iw_ok "status as $who: $(grep -F 'gnp.exe' "$IW_TLOG/table-$who.txt")"
    done
    iw_status --json | "$IW_PY" -c '
import json, sys
rhost, tty = sys.argv[1:]
s = [e for e in json.load(sys.stdin) if e["rhost"] == rhost]
sys.exit(0 if len(s) == 1 and s[0]["tty"] == tty else "json: %r" % s)' \
        'host\xC2\x9B2J\xE2\x80\xAEgnp.exe\xE2\x81\xA6x\xE2\x81\xA9' "$tty" ||
        iw_fail "status --json does not carry the escaped rhost and the exact tty"
    iw_ok "status --json carries the escaped rhost and the exact tty"
    iw_pamtester_release one
}
