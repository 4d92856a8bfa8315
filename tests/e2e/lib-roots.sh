# shellcheck shell=bash
# Debian 12 roots of their own for the end-to-end tests that install idlewarden (never on the host running the
# tests) or need systemd as PID 1 (which the host running the tests may not have). Sourced after lib.sh.
#
# The image: debootstrap --variant=minbase bookworm with IW_ROOT_PACKAGES (systemd, sshd with pam_systemd and
# pam_loginuid, what the tests and install.sh's build need), made once and cached in
# IW_ROOTS_CACHE/root-KEY (default /var/cache/idlewarden-test), KEY a hash of the package list, the mirror and
# the set-up below; a missing or changed cache is made again (2 to 5 minutes, with the network to the Debian
# mirror; a tenth of that is CPU).
# Each test gets a copy of its own: an overlay (the image read-only below, a directory of the test above), so
# nothing a test does reaches the image or another test, and a copy costs nothing.
#
#   iw_root_image                  the cached image (made if missing; other tests wait for it under a lock)
#   iw_root_copy                   a fresh copy of the image for this test: sets IW_RT (its directory)
#   iw_root_rerun_test             run the current test again, inside a copy, as a plain Debian without systemd
#                                  as PID 1 (systemd-nspawn without -b), the checkout and /opt/swift visible at
#                                  their paths (see iw__nspawn_opts)
#   iw_ct_boot                     a copy booted with systemd (systemd-nspawn -b): sets IW_CT (its directory),
#                                  IW_CT_PID (host pid of its systemd), IW_CT_SSH_PORT (its sshd, on 127.0.0.1)
#   iw_ct CMD...                   run CMD inside the booted container (nsenter), as root
#
# The container shares the host's network (its sshd listens on a port of its own) and its processes show in the
# host's /proc: the users made in a root get uids 50000-59999 (login.defs), which no host user has, so that the
# host's test daemons and the host side of the tests (pkill -u, ps -u) never take them for a host user's.
# Everything is torn down (containers stopped, overlays unmounted) at the end of the test, by iw_defer.

IW_ROOTS_CACHE=${IW_ROOTS_CACHE:-/var/cache/idlewarden-test}
IW_ROOT_SUITE=bookworm
IW_ROOT_PACKAGES=(
    # systemd as PID 1, logind (pam_systemd) and the journal
    systemd systemd-sysv dbus libpam-systemd
    # logins and what the tests drive them with
    openssh-server openssh-client login passwd tmux pamtester procps psmisc iproute2 util-linux rsyslog python3
    # what install.sh, its tests and the package need: PAM and toml++ headers, binutils (strip, readelf, nm), man
    # pages
    libpam0g-dev libtomlplusplus-dev binutils man-db groff-base libcap2-bin
    # what the daemon's desktop helpers load and run (x-idle: libX11, libXss; the warning: xmessage), for the test
    # of a desktop under the unit's sandbox
    libx11-6 libxss1 x11-utils
    # what the Swift toolchain (bind-mounted from the host, read-only) needs to build in the root
    libc6-dev libgcc-12-dev libstdc++-12-dev pkg-config git libcurl4 libxml2 libsqlite3-0 libncurses6 libedit2
    libicu72 libffi8 zlib1g-dev
)

# The mirror the host's apt uses for the suite (debootstrap's own default if none is found).
iw__root_mirror() {
    local uri
    uri=$(grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{ print $2 }' |
        grep -v security | head -n1)
    [[ -n $uri ]] || uri=$(grep -hE "^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[a-z]+://[^ ]+[[:space:]]+$IW_ROOT_SUITE[[:space:]]" \
        /etc/apt/sources.list 2>/dev/null | grep -v security | sed -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' |
        awk '{ print $1 }' | head -n1)
    printf '%s\n' "$uri"
}

# What the image is made with, set up after debootstrap (runs in the image's directory, DIR).
iw__root_setup() {
    local dir=$1
    # Users made in a root never share a uid with a host user (see the top of this file).
    sed -i -E 's/^(UID_MIN|GID_MIN)[[:space:]].*/\1 50000/; s/^(UID_MAX|GID_MAX)[[:space:]].*/\1 59999/' "$dir/etc/login.defs"
    grep -qE '^UID_MIN[[:space:]]+50000$' "$dir/etc/login.defs" || return 1
    # No timers or consoles that would do work or wait during a test.
    local unit
    for unit in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer \
        dpkg-db-backup.timer logrotate.timer systemd-tmpfiles-clean.timer console-getty.service \
        getty@.service container-getty@.service; do
        ln -sf /dev/null "$dir/etc/systemd/system/$unit"
    done
    # The journal in memory (a copy's journal goes with it anyway).
    install -d "$dir/etc/systemd/journald.conf.d"
    printf '[Journal]\nStorage=volatile\n' >"$dir/etc/systemd/journald.conf.d/iwtest.conf"
    chroot "$dir" apt-get clean
    rm -f "$dir/etc/ssh/ssh_host_"*
    chroot "$dir" ssh-keygen -A >/dev/null
}

iw__root_key() {
    { printf '%s\n' "$IW_ROOT_SUITE" minbase "$(iw__root_mirror)" "${IW_ROOT_PACKAGES[@]}"; declare -f iw__root_setup; } |
        sha256sum | cut -c1-16
}

# iw_root_image — print the directory of the cached image, making it first if it is missing (under a lock: a
# second caller waits for the first one's image).
iw_root_image() {
    local key dir fd
    key=$(iw__root_key)
    dir=$IW_ROOTS_CACHE/root-$key
    if [[ -f $dir.ready ]]; then echo "$dir"; return 0; fi
    command -v debootstrap >/dev/null 2>&1 || iw_fail "debootstrap is missing (apt-get install debootstrap)"
    install -d -m 0700 "$IW_ROOTS_CACHE" || iw_fail "cannot create $IW_ROOTS_CACHE"
    exec {fd}>"$IW_ROOTS_CACHE/lock"
    flock -w 1200 "$fd" || iw_fail "waited 20 minutes for another test to make the root image $dir"
    if [[ ! -f $dir.ready ]]; then
        local log=$IW_ROOTS_CACHE/root-$key.log mirror t0=$SECONDS
        mirror=$(iw__root_mirror)
        iw_log "making the root image $dir (debootstrap $IW_ROOT_SUITE ${mirror:-(default mirror)}, log $log)" >&2
        rm -rf "$dir.tmp"
        # shellcheck disable=SC2046
        if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${IW_ROOT_PACKAGES[*]}")" "$IW_ROOT_SUITE" \
            "$dir.tmp" ${mirror:+"$mirror"} >"$log" 2>&1 || ! iw__root_setup "$dir.tmp" >>"$log" 2>&1; then
            tail -n 20 "$log" >&2
            rm -rf "$dir.tmp"
            exec {fd}>&-
            iw_fail "debootstrap of the root image failed (log: $log)"
        fi
        rm -rf "$dir"
        mv "$dir.tmp" "$dir"
        touch "$dir.ready"
        iw_log "root image ready in $((SECONDS - t0)) s: $dir ($(du -sh "$dir" | cut -f1))" >&2
        iw__root_prune "$key"
    fi
    exec {fd}>&-
    echo "$dir"
}

# Images of other keys (an older package list) that no overlay uses any more.
iw__root_prune() {
    local keep=$1 old
    for old in "$IW_ROOTS_CACHE"/root-*.ready; do
        [[ -e $old ]] || continue
        old=${old%.ready}
        [[ $old == */root-$keep ]] && continue
        grep -qF "lowerdir=$old" /proc/mounts && continue
        rm -rf "$old" "$old.ready" "$old.log"
    done
}

# iw_root_copy — a copy of the image for this test (an overlay in $IW_T); sets IW_RT. Unmounted at the end.
iw_root_copy() {
    local image n=${IW_RT_N:-0}
    image=$(iw_root_image) || exit 1
    IW_RT_N=$((n + 1))
    IW_RT=$IW_T/root-$n
    install -d "$IW_RT" "$IW_T/root-$n.upper" "$IW_T/root-$n.work"
    mount -t overlay "iwtest-root-$IW_ID" \
        -o "lowerdir=$image,upperdir=$IW_T/root-$n.upper,workdir=$IW_T/root-$n.work" "$IW_RT" ||
        iw_fail "cannot mount an overlay of $image on $IW_RT"
    iw_defer iw__root_uncopy "$IW_RT" "$n"
    iw_log "root copy $IW_RT (of $image)"
}
iw__root_uncopy() { # DIR N
    umount -R "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
    rm -rf "$IW_T/root-$2.upper" "$IW_T/root-$2.work"
}

# The systemd-nspawn options every container of the tests has: the host has no system bus (no machined, no
# transient units: --register=no --keep-unit); the test's log directory writable; the toolchain, and the headers
# the build depends on, read-only from the host; the checkout itself, read-write. The build inside (install.sh)
# then finds .build up to date and links nothing: SwiftPM's build database compares device, inode, size and
# mtime of every source, header and output, which a copy or an overlay would change (a full rebuild, minutes).
# So a root's install.sh writes SwiftPM's bookkeeping into the checkout's .build (under SwiftPM's lock), and
# would rebuild there if the sources changed since the suite's build step.
# Two builds in the same .build at once fail (SwiftPM's build database is locked; its own lock does not cover
# another PID namespace): iw_root_swift_wrapper writes $IW_T/bin/swift, which runs the toolchain's swift under
# an flock on a file in .build (the same file from every root and the host), for install.sh's SWIFT=.
iw_root_swift_wrapper() {
    local swift scratch=${IW_INSTALL_SCRATCH:-$IW_ROOT/.build}
    swift=$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
    install -d -m 0755 "$IW_T/bin" "$scratch"
    printf '#!/bin/sh
# swift, one build at a time in %s (tests/e2e/lib-roots.sh)
exec flock %q %q "$@"
' \
        "$scratch" "$scratch/.iwtest-build.lock" "$swift" >"$IW_T/bin/swift"
    chmod 0755 "$IW_T/bin/swift"
    echo "$IW_T/bin/swift"
}

iw__nspawn_opts() { # ROOT-DIR [MORE OPTIONS...]
    local dir=$1; shift
    IW_NSPAWN_OPTS=(-q -D "$dir" --register=no --keep-unit --console=pipe --bind="$IW_ROOT" --bind="$IW_TLOG"
        --bind-ro=/usr/include --bind-ro=/usr/lib/gcc "$@")
    [[ -d /opt/swift ]] && IW_NSPAWN_OPTS+=(--bind-ro=/opt/swift)
    [[ $IW_BIN != "$IW_ROOT"/* ]] && IW_NSPAWN_OPTS+=(--bind-ro="${IW_BIN%/*}")
    # systemd-nspawn makes no parent directories for the mount points.
    local o
    for o in "${IW_NSPAWN_OPTS[@]}"; do
        case $o in --bind=* | --bind-ro=*) o=${o#*=}; install -d "$dir${o##*:}" ;; esac
    done
}

# The cgroup hierarchies systemd-nspawn uses (the host's name=systemd and cgroup2 ones). Run with --keep-unit, it
# puts the container below the cgroup it was started in: each container gets a cgroup of its own there
# (iwtest-ID-N), or two containers would share one (and one's systemd would stop the other's services).
iw__ct_cgroup_dirs() {
    awk '$3 == "cgroup2" || ($3 == "cgroup" && $4 ~ /(^|,)name=systemd(,|$)/) { print $2 }' /proc/mounts
}
# iw__ct_cgroup_new NAME — a new cgroup NAME in each of those hierarchies, removed at the end of the test.
iw__ct_cgroup_new() { # NAME
    local h
    for h in $(iw__ct_cgroup_dirs); do
        mkdir -p "$h/$1" || iw_fail "cannot create the cgroup $h/$1"
    done
    iw_defer iw__ct_cgroup_remove "$1"
}
iw__ct_cgroup_enter() { # NAME — move the calling process into it
    local h
    for h in $(iw__ct_cgroup_dirs); do echo "$BASHPID" >"$h/$1/cgroup.procs" || return 1; done
}
iw__ct_cgroup_remove() { # NAME — depth first; cgroups that still hold processes stay (and are named)
    local h
    for h in $(iw__ct_cgroup_dirs); do
        [[ -d $h/$1 ]] || continue
        find "$h/$1" -depth -type d -exec rmdir {} \; 2>/dev/null
        [[ -d $h/$1 ]] && iw_log "cgroup $h/$1 is not empty: $(find "$h/$1" -name cgroup.procs -exec cat {} + | tr '\n' ' ')"
    done
    return 0
}

# Inside a root without systemd as PID 1, what a sysv-init boot leaves before a test starts: /run/utmp with the
# run-level record of runlevel 2 (invoke-rc.d, run by the package's scripts, asks `runlevel`), and rsyslogd
# writing auth.log.
iw__root_sysv_start() { # TEST
    (
        IW_TEST=$1
        install -m 0664 -g utmp /dev/null /run/utmp || iw_fail "cannot create /run/utmp"
        "$IW_PY" -c '
import struct, time
t = time.time()
record = struct.pack("<hxxi32s4s32s256shhiii4i20x", 1, ord("2"), b"~", b"~~", b"runlevel", b"", 0, 0, 0,
                     int(t), int((t % 1) * 1e6), 0, 0, 0, 0)
assert len(record) == 384
open("/run/utmp", "wb").write(record)
' || iw_fail "cannot write the runlevel record to /run/utmp"
        [[ $(runlevel 2>/dev/null) == "N 2" ]] || iw_fail "runlevel says '$(runlevel 2>&1)', not 'N 2'"
        iw_syslog_start
    )
}

# iw_root_rerun_test — run $IW_TEST again, inside a fresh copy of the image without systemd as PID 1, and end
# this process with its result. The copy sees the checkout, the binaries under test and the test's log directory
# (its log lines and failures go where tests/run.sh reads them). Call it first in a test; inside the copy
# (IW_IN_ROOT=1) it returns at once.
iw_root_rerun_test() {
    [[ -n ${IW_IN_ROOT:-} ]] && return 0
    command -v systemd-nspawn >/dev/null 2>&1 || iw_fail "systemd-nspawn is missing (apt-get install systemd-container)"
    [[ -n ${IW_TEST_FILE:-} && -f $IW_TEST_FILE ]] || iw_fail "IW_TEST_FILE (the test's file) is not set"
    iw_root_copy
    iw__nspawn_opts "$IW_RT"
    local env=(IW_IN_ROOT=1 IW_ROOT="$IW_ROOT" IW_BIN="$IW_BIN" IW_SO="$IW_SO" IW_LOG_DIR="${IW_TLOG%/*}"
        IW_FAIL_FILE="${IW_FAIL_FILE:-}" IW_TEST_FILE="$IW_TEST_FILE" LC_ALL=C.UTF-8 HOME=/root TERM=dumb
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/swift/usr/bin)
    local v
    for v in IW_INSTALL_ARGS IW_INSTALL_SCRATCH IW_MAX_LATE; do [[ -n ${!v:-} ]] && env+=("$v=${!v}"); done
    [[ -n ${IW_FAIL_FILE:-} ]] && IW_NSPAWN_OPTS+=(--bind="${IW_FAIL_FILE%/*}")
    iw_log "running $IW_TEST inside $IW_RT (systemd-nspawn, no systemd as PID 1)"
    local rc cg=iwtest-$IW_ID-$IW_RT_N
    iw__ct_cgroup_new "$cg"
    # --as-pid2: a minimal init reaps what the test's daemons leave. stdin stays /dev/null.
    (
        iw__ct_cgroup_enter "$cg" || exit 125
        exec systemd-nspawn "${IW_NSPAWN_OPTS[@]}" --as-pid2 --machine="iwt-$IW_ID" "${env[@]/#/--setenv=}" -- \
            bash -c 'source "$1/tests/e2e/lib.sh" && source "$2" && iw__root_sysv_start "$3" && iw_run_test "$3"' \
            iw-test "$IW_ROOT" "$IW_TEST_FILE" "$IW_TEST"
    ) </dev/null
    rc=$?
    iw_log "$IW_TEST inside the root ended with status $rc"
    exit "$rc"
}

# ---------------------------------------------------------------------------------------------------------------
# A booted container: systemd as PID 1, logind, the journal, sshd (the system's, PAM service sshd)

# iw_ct_boot — boot a fresh copy of the image with systemd-nspawn -b and wait until systemd says "running" (or
# "degraded", with the failed units logged). Its sshd listens on 127.0.0.1:IW_CT_SSH_PORT (a free port: the
# container shares the host's network). Stopped (poweroff, then SIGKILL) at the end of the test.
iw_ct_boot() {
    command -v systemd-nspawn >/dev/null 2>&1 || iw_fail "systemd-nspawn is missing (apt-get install systemd-container)"
    command -v nsenter >/dev/null 2>&1 || iw_fail "nsenter is missing (util-linux)"
    iw_root_copy
    IW_CT=$IW_RT
    IW_CT_SSH_PORT=$(iw_free_port)
    install -d "$IW_CT/etc/ssh/sshd_config.d"
    printf '%s\n' "# written by the idlewarden e2e test $IW_TEST" "Port $IW_CT_SSH_PORT" "ListenAddress 127.0.0.1" \
        >"$IW_CT/etc/ssh/sshd_config.d/iwtest.conf"
    iw__nspawn_opts "$IW_CT"
    local t0
    t0=$(iw_now_ms)
    local cg=iwtest-$IW_ID-$IW_RT_N
    iw__ct_cgroup_new "$cg"
    (
        iw__ct_cgroup_enter "$cg" || exit 125
        exec systemd-nspawn "${IW_NSPAWN_OPTS[@]}" -b --machine="iwt-$IW_ID"
    ) </dev/null >>"$IW_TLOG/container-console.log" 2>&1 &
    IW_CT_NSPAWN=$!
    iw_defer iw__ct_stop
    iw_wait_until 30 iw__ct_find_init || iw_fail "the container's systemd did not start: $(tail -n 5 "$IW_TLOG/container-console.log")"
    local state=
    iw_wait_until 90 iw__ct_booted || true
    state=$(iw_ct systemctl is-system-running 2>/dev/null)
    case $state in
        running) ;;
        degraded) iw_log "container degraded; failed units: $(iw_ct systemctl --failed --no-legend --plain | tr '\n' '|')" ;;
        *) iw_fail "the container did not finish booting in 90 s (systemctl is-system-running: ${state:-no answer}): $(tail -n 5 "$IW_TLOG/container-console.log")" ;;
    esac
    iw_wait_until 20 iw__ct_sshd_up || iw_fail "the container's sshd does not listen on 127.0.0.1:$IW_CT_SSH_PORT"
    iw_log "container iwt-$IW_ID booted in $(iw_secs $(($(iw_now_ms) - t0))) s ($state): systemd is host pid $IW_CT_PID, sshd on 127.0.0.1:$IW_CT_SSH_PORT"
    iw_measure "container boot_s=$(iw_secs $(($(iw_now_ms) - t0)))"
}

# The host pid of the container's PID 1: the descendant of systemd-nspawn that is pid 1 in its own namespace.
iw__ct_find_init() {
    local p
    for p in $(iw_descendants "$IW_CT_NSPAWN"); do
        if [[ $(awk '/^NSpid:/ { print $NF }' "/proc/$p/status" 2>/dev/null) == 1 ]] &&
            [[ $(cat "/proc/$p/comm" 2>/dev/null) == systemd ]]; then
            IW_CT_PID=$p
            return 0
        fi
    done
    return 1
}
iw__ct_booted() { [[ $(iw_ct systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]]; }
iw__ct_sshd_up() { iw_ct ss -Hltn "sport = :$IW_CT_SSH_PORT" 2>/dev/null | grep -q LISTEN; }

iw__ct_stop() {
    [[ -n ${IW_CT_NSPAWN:-} ]] || return 0
    iw_ct journalctl -b --no-pager -o short-precise >"$IW_TLOG/container-journal.txt" 2>&1
    # SIGTERM to systemd-nspawn -b asks the container's systemd for a poweroff.
    kill -TERM "$IW_CT_NSPAWN" 2>/dev/null
    iw_wait_until 30 iw__not_alive "$IW_CT_NSPAWN" || { iw_log "container did not power off in 30 s: SIGKILL"; iw_kill_tree "$IW_CT_NSPAWN"; }
    wait "$IW_CT_NSPAWN" 2>/dev/null
    IW_CT_NSPAWN=
}

# iw_ct CMD... — run CMD inside the booted container, as root, in all its namespaces, with a clean environment.
iw_ct() {
    [[ -n ${IW_CT_PID:-} ]] || { echo "iw_ct: no container" >&2; return 1; }
    nsenter -t "$IW_CT_PID" -a -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C.UTF-8 HOME=/root TERM=dumb "$@"
}
# iw_ct_sh SCRIPT — the same, through bash -c.
iw_ct_sh() { iw_ct bash -c "$1"; }

# iw_ct_mkuser NAME — a user in the container with a home, /bin/bash and the test's client key (iw_ssh_cmd logs
# in with it: set IW_SSH_PORT=$IW_CT_SSH_PORT).
iw_ct_mkuser() {
    local name=$1
    iw_client_key
    iw_ct useradd -m -s /bin/bash "$name" || iw_fail "useradd $name in the container"
    iw_ct install -d -m 0700 -o "$name" -g "$name" "/home/$name/.ssh" || iw_fail "mkdir ~$name/.ssh in the container"
    iw_ct sh -c 'cat >"$1" && chown "$2:$2" "$1" && chmod 0600 "$1"' sh "/home/$name/.ssh/authorized_keys" "$name" \
        <"$IW_T/client_key.pub" || iw_fail "authorized_keys of $name in the container"
    iw_log "container user $name uid=$(iw_ct id -u "$name")"
}

# ---------------------------------------------------------------------------------------------------------------
# The package under test

# iw_root_deb — the .deb of the checkout (./install.sh --deb, run in a copy of the image: install.sh installs
# nothing then, but its build must not run beside another). Made once per run of tests/run.sh (in IW_RUN_SHARED;
# the other tests wait for it) or once per test when run alone. Sets IW_DEB.
iw_root_deb() {
    local dir=${IW_RUN_SHARED:-$IW_T}/deb fd rc
    install -d -m 0755 "$dir"
    exec {fd}>"$dir.lock"
    flock -w 900 "$fd" || iw_fail "waited 15 minutes for another test to build the package"
    IW_DEB=$(ls "$dir"/idlewarden_*.deb 2>/dev/null | head -n1)
    if [[ -z $IW_DEB ]]; then
        iw_log "building the package: ./install.sh --deb in a root of its own (log: deb-build.log)"
        local swift cg
        swift=$(iw_root_swift_wrapper)
        iw_root_copy
        iw__nspawn_opts "$IW_RT" --bind="$dir:/iw-deb" --bind-ro="$IW_T/bin"
        cg=iwtest-$IW_ID-$IW_RT_N
        iw__ct_cgroup_new "$cg"
        (
            iw__ct_cgroup_enter "$cg" || exit 125
            exec systemd-nspawn "${IW_NSPAWN_OPTS[@]}" --as-pid2 --machine="iwt-$IW_ID-deb" \
                --setenv=SWIFT="$swift" --setenv=PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                --chdir="$IW_ROOT" -- ./install.sh --deb --output /iw-deb
        ) </dev/null >"$IW_TLOG/deb-build.log" 2>&1
        rc=$?
        IW_DEB=$(ls "$dir"/idlewarden_*.deb 2>/dev/null | head -n1)
        if ((rc != 0)) || [[ -z $IW_DEB ]]; then
            tail -n 20 "$IW_TLOG/deb-build.log"
            exec {fd}>&-
            iw_fail "./install.sh --deb failed (status $rc; see deb-build.log)"
        fi
    fi
    exec {fd}>&-
    iw_log "package: $IW_DEB ($(stat -c %s "$IW_DEB") bytes)"
}

# ---------------------------------------------------------------------------------------------------------------
# iw_readme_systemd_command CMD — whether a README command is for systemd hosts only (systemctl, journalctl, the
# unit's drop-in directory): tests/e2e/systemd.sh runs those in a booted container, tests/e2e/install.sh the rest.
iw_readme_systemd_command() { [[ $1 =~ ^(sudo\ )?(systemctl|journalctl)(\ |$) || $1 == *idlewarden.service.d* ]]; }

# iw_readme_setup_commands — the README's set-up commands, in README order: the commands of the first ```sh block
# of its "Quick start" section and of its "Development" section (comments and blank lines dropped).
iw_readme_setup_commands() {
    [[ -f $IW_ROOT/README.md ]] || return 1
    awk '
        /^## / { section = ($0 ~ /^## (Quick start|Development)[[:space:]]*$/); taken = 0; next }
        section && !taken && /^```sh[[:space:]]*$/ { code = 1; next }
        code && /^```/ { code = 0; taken = 1; next }
        code { print }
    ' "$IW_ROOT/README.md" | sed -E 's/[[:space:]]+#.*$//; s/[[:space:]]+$//' | grep -vE '^(#|$)'
}
