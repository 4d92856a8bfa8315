#!/usr/bin/env bash
# Records what busctl prints for the calls the daemon makes to systemd-logind (LogindWatch), against a real
# systemd-logind: Debian 12's systemd 252, booted in a container. Writes logind-252.json beside this script, which
# LogindRecordedReplyTests reads. Run as root (takes a minute, a few more the first time):
#
#   bash Tests/IdleWardenCoreTests/Fixtures/record-logind-replies.sh [ROOT]
#
# ROOT (default /var/tmp/idlewarden-logind-root) is made with debootstrap when it does not hold systemd yet, and
# kept for the next run. The container is booted with systemd-nspawn (not registered with machined), a user
# iwrec gets three sessions through `su -l` in transient system units (pam_systemd in Debian's common-session
# registers them with logind) of types x11, wayland and tty (XDG_SESSION_TYPE), and every busctl call runs inside
# the container with the daemon's options and environment: `busctl --no-pager --json=short --timeout=1`, LC_ALL=C,
# SYSTEMD_COLORS=0, stderr on stdout. CLOCK_MONOTONIC is read on the host right after each call (a container
# shares it). The container is powered off at the end.
set -euo pipefail

root=${1:-/var/tmp/idlewarden-logind-root}
out=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/logind-252.json
[[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 1; }
for tool in debootstrap systemd-nspawn nsenter python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install debootstrap systemd-container)" >&2; exit 1; }
done

if [[ ! -x $root/lib/systemd/systemd-logind ]]; then
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libpam-systemd bookworm "$root"
fi
chroot "$root" id iwrec >/dev/null 2>&1 || chroot "$root" useradd -m -s /bin/bash iwrec

systemd-nspawn -b -D "$root" --register=no --keep-unit --console=pipe >"$root.nspawn.log" 2>&1 &
nspawn=$!
trap 'kill "$nspawn" 2>/dev/null; wait "$nspawn" 2>/dev/null' EXIT
leader=
for _ in $(seq 1 100); do
    leader=$(ps -o pid= --ppid "$nspawn" 2>/dev/null | tr -d ' ' | head -n1) || true
    if [[ -n $leader ]] && [[ $(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]]; then
        break
    fi
    sleep 0.3
done
[[ $(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]] ||
    { echo "the container did not boot: $(tail -n 20 "$root.nspawn.log")" >&2; exit 1; }

python3 - "$leader" "$out" <<'PY'
import json, subprocess, sys, time

leader, out = sys.argv[1], sys.argv[2]
ENV = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_COLORS=0"]
BUSCTL = ["busctl", "--no-pager", "--json=short", "--timeout=1"]

def inside(*argv, env=()):
    return subprocess.run(["nsenter", "-t", leader, "-a"] + ENV + list(env) + list(argv),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

def text(*argv):
    r = inside(*argv)
    if r.returncode != 0:
        sys.exit("%s: %s" % (" ".join(argv), r.stdout))
    return r.stdout.strip()

replies = {}
def record(name, *arguments, env=()):
    r = inside(*BUSCTL, *arguments, env=env)
    replies[name] = {"arguments": list(arguments), "status": r.returncode, "output": r.stdout,
                     "monotonic_after_us": time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}

units = {"x11": "iwrec-x11", "wayland": "iwrec-wayland", "tty": "iwrec-tty"}
for kind, unit in units.items():
    text("systemd-run", "--unit=" + unit, "-E", "XDG_SESSION_TYPE=" + kind, "-E", "XDG_SESSION_CLASS=user",
         "su", "-l", "iwrec", "-c", "sleep 600")
sessions = {}
for _ in range(100):
    listed = text("loginctl", "list-sessions", "--no-legend").splitlines()
    if len(listed) == 3:
        break
    time.sleep(0.2)
for kind, unit in units.items():
    pid = text("systemctl", "show", "-p", "MainPID", "--value", unit)
    ids = [l.split()[0] for l in text("loginctl", "list-sessions", "--no-legend").splitlines()]
    sid = next(i for i in ids if text("loginctl", "show-session", "-p", "Leader", "--value", i) == pid)
    sessions[kind] = {"leader": int(pid), "id": sid,
                      "type": text("loginctl", "show-session", "-p", "Type", "--value", sid)}

MANAGER = ["org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager"]
PROPS = ["IdleHint", "IdleSinceHintMonotonic", "Type", "Leader"]
# What the daemon reads of a session it reconciles (LogindReply.detailProperties).
DETAILS = ["Leader", "Service", "Scope", "TTY", "Display", "RemoteHost", "Type", "Class", "State"]
def path(kind):
    return json.loads(replies["session-by-pid-" + kind]["output"])["data"][0]
def get(name, kind):
    record(name, "get-property", "org.freedesktop.login1", path(kind), "org.freedesktop.login1.Session", *PROPS)
def set_idle(kind, value):
    text("busctl", "--timeout=1", "call", "org.freedesktop.login1", path(kind), "org.freedesktop.login1.Session",
         "SetIdleHint", "b", value)

for kind in units:
    record("session-by-pid-" + kind, "call", *MANAGER, "GetSessionByPID", "u", str(sessions[kind]["leader"]))
record("session-by-pid-none", "call", *MANAGER, "GetSessionByPID", "u", "1")
for kind in units:
    get(kind + "-never-reported", kind)
record("list-sessions", "call", *MANAGER, "ListSessions")
for kind in units:
    record("details-" + kind, "get-property", "org.freedesktop.login1", path(kind), "org.freedesktop.login1.Session",
           *DETAILS)
    # /proc/PID/cgroup of the session's leader, as a process in the container reads it (its cgroup namespace).
    sessions[kind]["cgroup"] = text("cat", "/proc/%d/cgroup" % sessions[kind]["leader"]) + "\n"
set_idle("x11", "true")
get("x11-idle", "x11")
set_idle("wayland", "true")
time.sleep(1)
get("wayland-idle-a-second-later", "wayland")
set_idle("x11", "false")
get("x11-active-again", "x11")
gone = path("wayland")
text("systemctl", "stop", units["wayland"])
for _ in range(100):
    if len(text("loginctl", "list-sessions", "--no-legend").splitlines()) == 2:
        break
    time.sleep(0.2)
record("session-gone", "get-property", "org.freedesktop.login1", gone, "org.freedesktop.login1.Session", *PROPS)
record("details-gone", "get-property", "org.freedesktop.login1", gone, "org.freedesktop.login1.Session", *DETAILS)
record("list-sessions-one-stopped", "call", *MANAGER, "ListSessions")
record("no-bus", "call", *MANAGER, "GetSessionByPID", "u", str(sessions["x11"]["leader"]),
       env=["DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/idlewarden-no-such-bus"])
for unit in units.values():
    inside("systemctl", "stop", unit)
for _ in range(100):
    if not text("loginctl", "list-sessions", "--no-legend"):
        break
    time.sleep(0.2)
record("list-sessions-none", "call", *MANAGER, "ListSessions")

json.dump({"systemd": text("busctl", "--version").splitlines()[0], "sessions": sessions, "replies": replies},
          open(out, "w"), indent=1, sort_keys=True)
open(out, "a").write("\n")
print("wrote", out)
PY
nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 || true
wait "$nspawn" 2>/dev/null || true
trap - EXIT
