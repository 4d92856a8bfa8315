# shellcheck shell=bash
# End-to-end tests of install.sh, its .deb, the packaging files, the man pages and the README's commands.
#
# tests/run.sh sources tests/e2e/lib.sh and this file and runs each test_install_* function in its own bash
# process (iw_run_test). Run directly (bash tests/e2e/install.sh [ERE]), this file does the same for every
# test_install_* function (matching ERE) and prints "N passed, M failed".
#
# The tests that install change a system the way an admin would: /usr/bin, /usr/sbin, the PAM module directory,
# /etc/pam.d/common-* (through pam-auth-update), /etc/init.d, /etc/rc?.d, /etc/idlewarden, /var/lib/idlewarden,
# dpkg's database. They never do it on the machine that runs the tests (which may have idlewarden installed, and
# runs other tests at the same time): each runs in a Debian 12 root of its own, a fresh copy of the image of
# tests/e2e/lib-roots.sh, started with systemd-nspawn without systemd as PID 1 (the init-script path of
# install.sh; the systemd path is tested in tests/e2e/systemd.sh), with the checkout (an overlay: install.sh's
# build writes to the copy only) and the toolchain in it. There, each test still
#   - refuses to start if idlewarden is already installed (install.sh manifest, a .deb, /etc/idlewarden,
#     /var/lib/idlewarden, a daemon on /run/idlewarden): it would destroy a real install;
#   - backs up /etc/pam.d and /var/lib/pam, and at the end (pass, fail or timeout) purges what it installed
#     (install.sh --purge, dpkg -P), stops the daemon it started, and checks with sha256sum that /etc/pam.d and
#     /var/lib/pam are as before — restoring them from the backup, and failing, if they are not.
# Files named idlewarden-* in /etc/pam.d (idlewarden-test-*, idlewarden-bench-*) belong to tests and benchmarks and
# are left out of the comparisons; install.sh and the package never write such a file.
# The tests that install nothing (the unit file, the man pages, the docs, the capability set) run on the host.
#
# Environment: IW_INSTALL_SCRATCH (SwiftPM build dir for install.sh, default $IW_ROOT/.build) and
# IW_INSTALL_ARGS (extra install.sh arguments, e.g. --no-build to use binaries already built there).
# iw: root
# iw: timeout 900

# shellcheck source=lib-roots.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-roots.sh"

IWI_MANIFEST=/var/lib/idlewarden-install.manifest
IWI_SOCK=/run/idlewarden/control.sock
IWI_SBIN=/usr/bin/idlewarden # the program; /usr/sbin/idlewarden links to it
IWI_PIDFILE=/run/idlewarden.pid

_iwi_scratch() { printf '%s\n' "${IW_INSTALL_SCRATCH:-$IW_ROOT/.build}"; }

# The directory libpam loads modules from (where pam_unix.so is), as install.sh finds it.
_iwi_pam_dir() {
    local d
    d=$(dpkg-query -S /security/pam_unix.so 2>/dev/null | awk '$1 ~ /^libpam-modules/ { print $2; exit }')
    if [[ -n $d && -e $d ]]; then dirname "$d"; return; fi
    for d in /lib/x86_64-linux-gnu/security /usr/lib/x86_64-linux-gnu/security /lib64/security /usr/lib64/security \
        /lib/security /usr/lib/security; do
        [[ -e $d/pam_unix.so ]] && { echo "$d"; return; }
    done
    return 1
}

# sha256 of every file in /etc/pam.d (but test services) and /var/lib/pam, sorted by path.
_iwi_pam_sums() {
    find /etc/pam.d /var/lib/pam -type f ! -name 'idlewarden-*' -print0 2>/dev/null | sort -z |
        xargs -0 sha256sum
}

_iwi_deb_state() { dpkg-query -W -f='${Status}' idlewarden 2>/dev/null; }

# Processes running the installed binary (comm "idlewarden" and exe /usr/bin/idlewarden, maybe "(deleted)").
_iwi_installed_daemons() {
    local p exe
    for p in $(pgrep -x idlewarden); do
        exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
        [[ ${exe% (deleted)} == "$IWI_SBIN" ]] && echo "$p"
    done
    return 0
}
_iwi_no_installed_daemon() { [[ -z $(_iwi_installed_daemons) ]]; }
_iwi_daemon_answers() { "$IWI_SBIN" status --socket "$IWI_SOCK" >/dev/null 2>&1; }

# Every name of this project left on the system, but test and benchmark artefacts (idlewarden-test-*,
# idlewarden-bench-*).
_iwi_leftovers() {
    find /etc /usr /var/lib /var/log /run "$(_iwi_pam_dir)" -xdev -name '*idlewarden*' 2>/dev/null |
        grep -vE '/idlewarden-(test|bench)' | sort -u
}

# Call first in every test that installs: runs the test in a root of its own (tests/e2e/lib-roots.sh); there,
# refuses to touch an existing install, backs up PAM, defers cleanup.
_iwi_setup() {
    [[ $(id -u) == 0 ]] || iw_fail "the installer tests must run as root"
    iw_root_rerun_test
    local tool
    for tool in bash sha256sum dpkg dpkg-deb dpkg-query pam-auth-update update-rc.d start-stop-daemon readelf nm \
        ldd strip gzip man unshare mount pamtester runuser pgrep; do
        command -v "$tool" >/dev/null 2>&1 || iw_fail "required tool '$tool' is missing"
    done
    [[ -e $IWI_MANIFEST ]] &&
        iw_fail "idlewarden is installed here by install.sh ($IWI_MANIFEST); these tests need a machine without it"
    [[ $(_iwi_deb_state) == *installed* || $(_iwi_deb_state) == *config-files* ]] &&
        iw_fail "the idlewarden package is installed here ($(_iwi_deb_state)); these tests need a machine without it"
    local p
    for p in /etc/idlewarden /var/lib/idlewarden /run/idlewarden /var/log/idlewarden.log "$IWI_PIDFILE"; do
        [[ -e $p ]] && iw_fail "$p exists: an idlewarden install is here, and the tests would remove it"
    done
    _iwi_no_installed_daemon || iw_fail "an idlewarden daemon from $IWI_SBIN is running (pid $(_iwi_installed_daemons))"
    IWI_PAMDIR=$(_iwi_pam_dir) || iw_fail "cannot find the PAM module directory (pam_unix.so)"
    SWIFT=$(iw_root_swift_wrapper) && export SWIFT # install.sh's toolchain: one build at a time in .build
    cp -a /etc/pam.d "$IW_T/pam.d.orig" || iw_fail "cannot back up /etc/pam.d"
    cp -a /var/lib/pam "$IW_T/var-lib-pam.orig" || iw_fail "cannot back up /var/lib/pam"
    IWI_PAM_BEFORE=$(_iwi_pam_sums)
    IWI_RUNS=0
    iw_defer _iwi_cleanup
}

_iwi_cleanup() {
    local state
    # The root's logs go with it: keep the daemon's and the audit trail of this test.
    [[ -f /var/log/idlewarden.log ]] && cp /var/log/idlewarden.log "$IW_TLOG/idlewarden.log"
    iw_syslog_new >"$IW_TLOG/auth.log" 2>/dev/null
    state=$(_iwi_deb_state)
    if [[ $state == *installed* || $state == *config-files* || $state == *unpacked* || $state == *half* ]]; then
        iw_log "cleanup: dpkg -P idlewarden ($state)"
        dpkg -P idlewarden >>"$IW_TLOG/cleanup.log" 2>&1 || iw_error "cleanup: dpkg -P idlewarden failed"
    fi
    if [[ -e $IWI_MANIFEST ]]; then
        iw_log "cleanup: install.sh --purge"
        (cd "$IW_ROOT" && bash ./install.sh --purge --force) >>"$IW_TLOG/cleanup.log" 2>&1 ||
            iw_error "cleanup: install.sh --purge failed (see cleanup.log)"
    fi
    local p
    for p in $(_iwi_installed_daemons); do
        iw_log "cleanup: stopping the daemon this test started (pid $p)"
        kill -TERM "$p" 2>/dev/null
        iw_wait_until 10 iw__not_alive "$p" || kill -KILL "$p" 2>/dev/null
    done
    # _iwi_setup made sure that none of these existed before the test.
    rm -rf /etc/idlewarden /var/lib/idlewarden /run/idlewarden "$IWI_PIDFILE" /var/log/idlewarden.log*
    if [[ $(_iwi_pam_sums) != "$IWI_PAM_BEFORE" ]]; then
        diff <(echo "$IWI_PAM_BEFORE") <(_iwi_pam_sums) | sed 's/^/  /'
        iw_error "cleanup: /etc/pam.d or /var/lib/pam differ from before the test; restoring them from the backup"
        _iwi_restore_pam
    fi
}

# Puts back only what install.sh and the package may change: the pam-auth-update files (common-*) and its state.
# Any other difference is reported, not "fixed": it is not ours (another test may hold a file changed).
_iwi_restore_pam() {
    local f
    for f in "$IW_T/pam.d.orig"/common-*; do
        cmp -s "$f" "/etc/pam.d/${f##*/}" || { cat "$f" >"/etc/pam.d/${f##*/}"; iw_log "restored /etc/pam.d/${f##*/}"; }
    done
    for f in "$IW_T/var-lib-pam.orig"/*; do
        cmp -s "$f" "/var/lib/pam/${f##*/}" || { cat "$f" >"/var/lib/pam/${f##*/}"; iw_log "restored /var/lib/pam/${f##*/}"; }
    done
    [[ $(_iwi_pam_sums) == "$IWI_PAM_BEFORE" ]] || iw_error "cleanup: /etc/pam.d still differs (outside the common-* files)"
}

# _iwi_run ARGS... — run install.sh from the checkout; its output goes to $IW_TLOG/install-N.log (IWI_LOG).
_iwi_run() {
    # install.sh's toolchain: one build at a time in .build (the tests in roots and on the host share it).
    [[ -n ${SWIFT:-} ]] || { SWIFT=$(iw_root_swift_wrapper) && export SWIFT; }
    IWI_RUNS=$((${IWI_RUNS:-0} + 1))
    IWI_LOG=$IW_TLOG/install-$IWI_RUNS.log
    iw_log "install.sh $* (log: ${IWI_LOG##*/})"
    # shellcheck disable=SC2086
    (cd "$IW_ROOT" && bash ./install.sh --scratch-path "$(_iwi_scratch)" ${IW_INSTALL_ARGS:-} "$@") \
        </dev/null >"$IWI_LOG" 2>&1
    local rc=$?
    if ((rc != 0)); then
        iw_log "install.sh $* exited with status $rc; its last lines:"
        tail -n 25 "$IWI_LOG" | sed 's/^/    /'
    fi
    return "$rc"
}
_iwi_install() { _iwi_run "$@" || iw_fail "install.sh $* failed"; }

_iwi_same_pam() { [[ $(_iwi_pam_sums) == "$IWI_PAM_BEFORE" ]]; }
_iwi_expect_same_pam() { # MSG
    if _iwi_same_pam; then
        iw_ok "$1: /etc/pam.d and /var/lib/pam are byte-identical to before (sha256)"
    else
        diff <(echo "$IWI_PAM_BEFORE") <(_iwi_pam_sums) | sed 's/^/  /'
        iw_fail "$1: /etc/pam.d or /var/lib/pam differ from before"
    fi
}

_iwi_mode() { stat -c '%a %U:%G' "$1" 2>/dev/null; }
_iwi_expect_mode() { # FILE MODE OWNER
    local got
    got=$(_iwi_mode "$1")
    [[ $got == "$2 $3" ]] || iw_fail "$1: mode/owner '$got', expected '$2 $3'"
    iw_ok "$1 is $2 $3"
}
_iwi_enabled_in_common_session() {
    grep -qE '^session[[:space:]]+optional[[:space:]]+pam_idlewarden\.so([[:space:]]|$)' /etc/pam.d/common-session
}
_iwi_manifest_paths() { awk -v k="$1" '$1 == k { print $2 }' "${2:-$IWI_MANIFEST}"; }

# The toolchain directory to hide: the one holding swift (/opt/swift here), as tests/e2e/module.sh does.
_iwi_toolchain() {
    local swift
    swift=$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
    swift=$(readlink -f "$swift" 2>/dev/null || echo "$swift")
    if [[ $swift == */usr/bin/swift ]]; then echo "${swift%/usr/bin/swift}"; else echo /opt/swift; fi
}

# _iwi_sshd_start — a second sshd that is the real /usr/sbin/sshd (so its PAM service is "sshd": /etc/pam.d/sshd
# and, through it, common-session) on 127.0.0.1 and a free port, with its own config and host key, UsePAM yes,
# key authentication only. Sets IW_SSH_PORT and IW_SSHD_PID (for lib.sh's iw_ssh_cmd and iw_sshd_stop).
_iwi_sshd_start() {
    [[ -x /usr/sbin/sshd ]] || iw_fail "missing /usr/sbin/sshd (package openssh-server)"
    [[ -d /run/sshd ]] || install -d -m 0755 /run/sshd
    iw_sshd_run /usr/sbin/sshd
}

# A pam.d service for pamtester whose session stack is the installed module, by name, as an admin writes it.
_iwi_pamtester_service() { # NAME CONTROL MODULE-ARGS...
    local name=$1 control=$2; shift 2
    iw_pam_service "$name" \
        "auth     required pam_exec.so expose_authtok /bin/true" \
        "account  required pam_permit.so" \
        "session  required pam_permit.so" \
        "session  $control pam_idlewarden.so$(printf ' %s' "$@")"
}

# The installed daemon's view of USER's sessions (status --json as TSV, see lib.sh).
_iwi_sessions_of() { IW_BIN=$IWI_SBIN IW_SOCK=$IWI_SOCK iw_sessions_of "$@"; }
_iwi_session_count_is() { [[ $(_iwi_sessions_of "$2" | grep -c .) == "$1" ]]; }
_iwi_has_pts() { [[ $(_iwi_sessions_of "$1" | cut -f10) == /dev/pts/* ]]; } # USER: the session's pty was found

# ---------------------------------------------------------------------------------------------------------------
# Tests

# install.sh on this machine: binaries in place (modes, stripped module with only the two entry points), the
# daemon started by the init script (no systemd here) and answering, the pam-auth-update profile enabled in
# common-session (interactive sessions only), the example config installed and valid, man pages and completions.
test_install_starts_daemon_and_enables_pam() {
    _iwi_setup
    _iwi_install
    _iwi_expect_mode "$IWI_SBIN" 755 root:root
    [[ -L /usr/sbin/idlewarden && $(readlink /usr/sbin/idlewarden) == ../bin/idlewarden ]] ||
        iw_fail "/usr/sbin/idlewarden is not the link ../bin/idlewarden: $(ls -l /usr/sbin/idlewarden 2>&1)"
    iw_ok "/usr/sbin/idlewarden -> ../bin/idlewarden"
    local mod=$IWI_PAMDIR/pam_idlewarden.so
    _iwi_expect_mode "$mod" 644 root:root
    readelf -S "$mod" | grep -q '\.symtab' && iw_fail "$mod is not stripped (.symtab present)"
    iw_ok "$mod is stripped"
    local exports
    exports=$(nm -D --defined-only "$mod" | awk '{ print $3 }' | sort | tr '\n' ' ')
    [[ $exports == "pam_sm_close_session pam_sm_open_session " ]] || iw_fail "$mod exports: $exports"
    iw_ok "$mod exports only pam_sm_open_session and pam_sm_close_session"

    if [[ -d /run/systemd/system ]]; then
        iw_check "systemd unit active" systemctl is-active --quiet idlewarden.service
    else
        iw_check "init script installed" test -x /etc/init.d/idlewarden
        iw_check "init script reports the daemon running" /etc/init.d/idlewarden status
        iw_check "started at boot (rc2.d link)" compgen -G '/etc/rc2.d/S[0-9][0-9]idlewarden'
        iw_check "pid file names a live daemon" kill -0 "$(cat "$IWI_PIDFILE")"
    fi
    iw_check "idlewarden status answers on $IWI_SOCK" "$IWI_SBIN" status
    [[ $(_iwi_installed_daemons | grep -c .) == 1 ]] || iw_fail "expected one daemon, found: $(_iwi_installed_daemons)"
    iw_audit_wait 10 "$(iw_kv event start)" "$(iw_kv socket "$IWI_SOCK")" ||
        iw_fail "no event=start audit line in auth.log"
    iw_ok "audited: $(iw_audit "$(iw_kv event start)" | tail -n 1)"

    iw_check "profile installed" test -f /usr/share/pam-configs/idlewarden
    iw_check "pam_idlewarden enabled in /etc/pam.d/common-session" _iwi_enabled_in_common_session
    iw_log "common-session: $(grep pam_idlewarden /etc/pam.d/common-session)"
    grep -q pam_idlewarden /etc/pam.d/common-session-noninteractive &&
        iw_fail "the module is in common-session-noninteractive (cron and the like): the profile is interactive-only"
    iw_ok "not in common-session-noninteractive"

    iw_check "config installed from etc/idlewarden.conf" cmp -s "$IW_ROOT/etc/idlewarden.conf" /etc/idlewarden/idlewarden.conf
    # The installed config is the built-in policy: check-config has no warning (nor note) and finds no rule, and
    # every default comes from the built-in defaults, root not excluded.
    local out
    out=$("$IWI_SBIN" check-config 2>&1) || iw_fail "check-config fails on the installed config: $out"
    printf '%s\n' "$out" >"$IW_TLOG/check-config.txt"
    grep -qE '^(warning|note):' <<<"$out" && iw_fail "check-config warns about the installed config: $out"
    grep -qx 'rules: none' <<<"$out" || iw_fail "the installed config has an active rule: $out"
    grep -qx '  exclude_users = \[\]' <<<"$out" && grep -qx '  exclude_groups = \[\]' <<<"$out" ||
        iw_fail "the installed config excludes someone: $out"
    grep -E '^  [a-z_]+ = .*\((config top level|rule)' <<<"$out" && iw_fail "the installed config sets a key: $out"
    grep -qx '/etc/idlewarden/idlewarden.conf: OK' <<<"$out" || iw_fail "check-config does not say OK: $out"
    iw_ok "check-config on the installed config: OK, no warning, no rule, every value built in"
    iw_check "conf.d made for drop-ins" test -d /etc/idlewarden/conf.d
    iw_check "full example installed" cmp -s "$IW_ROOT/etc/examples/idlewarden.conf" /usr/share/doc/idlewarden/examples/idlewarden.conf
    iw_check "example drop-in installed" test -f /usr/share/doc/idlewarden/examples/drop-in/50-site.conf
    grep -q '^==> Logins open now' "$IWI_LOG" || iw_fail "install.sh did not report the logins open now"
    iw_ok "install.sh said: $(sed -n '/^==> Logins open now/,/^==>/p' "$IWI_LOG" | sed -n 2p)"
    local page
    for page in "8 idlewarden" "8 pam_idlewarden" "5 idlewarden.conf"; do
        # shellcheck disable=SC2086
        iw_check "man $page is installed" man -w $page
    done
    iw_check "man idlewarden renders" bash -c 'MANPAGER=cat MANWIDTH=80 man idlewarden 2>/dev/null | grep -q "log out idle login sessions"'
    iw_check "bash completion installed and valid bash" bash -n /usr/share/bash-completion/completions/idlewarden
    iw_check "zsh completion installed" grep -q '#compdef idlewarden' /usr/share/zsh/vendor-completions/_idlewarden
    local f
    while read -r f; do
        [[ -e $f ]] || iw_fail "manifest lists $f, which does not exist"
    done < <(_iwi_manifest_paths file; _iwi_manifest_paths config)
    iw_ok "every file in the manifest exists ($(_iwi_manifest_paths file | grep -c .) files)"
}

# An SSH login through the real sshd PAM service (/etc/pam.d/sshd → common-session → the profile's line) is
# registered with the installed daemon, and its logout closes the session.
test_install_ssh_login_through_profile_is_registered() {
    _iwi_setup
    _iwi_install
    iw_syslog_start
    local user=iwtest-$IW_ID-s
    iw_mkuser "$user"
    _iwi_sshd_start
    iw_tmux_new s1 "$(iw_ssh_cmd "$user")"
    iw_tmux_mark s1
    iw_wait_until 20 _iwi_session_count_is 1 "$user" ||
        iw_fail "the ssh login of $user is not in idlewarden status: $("$IWI_SBIN" status)"
    local row
    row=$(_iwi_sessions_of "$user")
    iw_log "status: $row"
    [[ $(cut -f4 <<<"$row") == sshd ]] || iw_fail "service is not sshd: $row"
    [[ $(cut -f6 <<<"$row") == 127.0.0.1 ]] || iw_fail "rhost is not 127.0.0.1: $row"
    iw_ok "registered with service sshd from 127.0.0.1"
    # The user runs `idlewarden status` by name in the login shell ssh gave them (its PATH has no sbin): it shows
    # their session, their limit, when they will be warned and logged out, and how to stay.
    iw_wait_until 15 _iwi_has_pts "$user" || iw_fail "the session's pty was not found: $(_iwi_sessions_of "$user")"
    iw_tmux_type s1 'echo "PATH=$PATH"; type -P idlewarden; idlewarden status; echo "status-exit=$?"'
    iw_tmux_wait_text s1 'status-exit=[0-9]+' 20 || iw_fail "idlewarden status did not finish: $(iw__pane_tail s1)"
    iw_tmux_capture s1 >"$IW_TLOG/user-status.txt"
    grep -q 'status-exit=0' "$IW_TLOG/user-status.txt" || iw_fail "idlewarden status failed for $user: $(cat "$IW_TLOG/user-status.txt")"
    grep -qE '^PATH=.*sbin' "$IW_TLOG/user-status.txt" && iw_fail "the user's PATH has sbin; the test proves nothing: $(grep '^PATH=' "$IW_TLOG/user-status.txt")"
    grep -qx '/usr/bin/idlewarden' "$IW_TLOG/user-status.txt" || iw_fail "idlewarden is not found by name as /usr/bin/idlewarden"
    local want
    for want in "^Your session [0-9]+ \(sshd, pts/[0-9]+, from 127\.0\.0\.1\):" "logged out after 15m without input, with a warning 1m before" \
        "If you type nothing more: warning at .* \(in 1[34]m[0-9]*s?\), logout at .* \(in 1[45]m" "run: idlewarden keepalive --session [0-9]+"; do
        grep -qE "$want" "$IW_TLOG/user-status.txt" || iw_fail "the user's status lacks /$want/: $(cat "$IW_TLOG/user-status.txt")"
    done
    iw_ok "$user ran idlewarden status by name from the ssh login shell: $(grep -E 'If you type' "$IW_TLOG/user-status.txt")"
    iw_audit_wait 10 "$(iw_kv event open)" "$(iw_kv user "$user")" "$(iw_kv service sshd)" ||
        iw_fail "no event=open audit line for $user"
    iw_ok "audited: $(iw_audit "$(iw_kv event open)" "$(iw_kv user "$user")" | tail -n 1)"
    iw_tmux_type s1 exit
    iw_wait_until 20 _iwi_session_count_is 0 "$user" || iw_fail "the session is still listed after logout"
    iw_audit_wait 10 "$(iw_kv event close)" "$(iw_kv user "$user")" || iw_fail "no event=close audit line"
    iw_ok "logout closed the session: $(iw_audit "$(iw_kv event close)" "$(iw_kv user "$user")" | tail -n 1)"
}

# An ssh login open before idlewarden is installed: install.sh ends by saying what the daemon does to it, in the
# "Logins open now" step: either watched (in the status table, with its limit and what comes next: a warning or a
# logout, and when), or listed among the open logins (who) that the daemon does not watch. Whichever it is, the
# daemon's status agrees with what install.sh said.
test_install_reports_what_happens_to_the_logins_already_open() {
    _iwi_setup
    local user=iwtest-$IW_ID-o
    iw_mkuser "$user"
    _iwi_sshd_start
    iw_tmux_new s1 "$(iw_ssh_cmd "$user")"
    iw_tmux_mark s1
    iw_log "who before the install: $(who | tr '\n' '|')"
    _iwi_install
    local report
    report=$(sed -n '/^==> Logins open now/,/^==> /p' "$IWI_LOG" | sed '$d')
    printf '%s\n' "$report" | tee "$IW_TLOG/report.txt"
    [[ -n $report ]] || iw_fail "install.sh has no 'Logins open now' step"
    if grep -qE "^ +[0-9]+ +$user +" <<<"$report"; then
        grep -qE "^ +[0-9]+ +$user +.* 15m +(warning|logout) in [0-9]" <<<"$report" ||
            iw_fail "the report lists $user without the limit and what comes next: $report"
        _iwi_session_count_is 1 "$user" || iw_fail "install.sh said the daemon watches $user's login, status does not list it"
        iw_ok "reported as watched: $(grep -E "^ +[0-9]+ +$user " <<<"$report")"
    else
        grep -qE "does not watch" <<<"$report" && grep -qE "^ +$user +pts/" <<<"$report" ||
            iw_fail "the report says nothing about $user's open login: $report"
        _iwi_session_count_is 0 "$user" || iw_fail "install.sh said the daemon does not watch $user's login, status lists it"
        iw_ok "reported as not watched: $(grep -E "^ +$user +pts/" <<<"$report")"
    fi
    iw_tmux_type s1 exit
}

# --uninstall: /etc/pam.d and /var/lib/pam byte-identical to before the install, the daemon stopped, every file
# of the manifest gone but the config; --purge: config, state and log gone too, nothing named idlewarden left.
test_install_uninstall_restores_pam_and_removes_every_file() {
    _iwi_setup
    local leftovers_before
    leftovers_before=$(_iwi_leftovers)
    _iwi_install
    cp "$IWI_MANIFEST" "$IW_T/manifest"
    cp "$IWI_MANIFEST" "$IW_TLOG/manifest"
    local pid
    pid=$(_iwi_installed_daemons)
    [[ -n $pid ]] || iw_fail "no daemon after install"
    _iwi_enabled_in_common_session || iw_fail "module not enabled after install"

    _iwi_run --uninstall || iw_fail "install.sh --uninstall failed"
    _iwi_expect_same_pam "after --uninstall"
    iw_check "daemon (pid $pid) stopped" iw_wait_until 10 iw__not_alive "$pid"
    local f
    while read -r f; do
        [[ -e $f || -L $f ]] && iw_fail "$f is still there after --uninstall"
    done < <(_iwi_manifest_paths file "$IW_T/manifest")
    while read -r f; do
        [[ $f == /etc/idlewarden ]] && continue
        [[ -e $f ]] && iw_fail "directory $f (made by install.sh) is still there"
    done < <(_iwi_manifest_paths dir "$IW_T/manifest")
    iw_ok "every file and directory of the manifest is gone"
    iw_check "config kept by --uninstall" test -f /etc/idlewarden/idlewarden.conf
    iw_check "manifest removed" test ! -e "$IWI_MANIFEST"
    iw_check "no runlevel links" bash -c '! compgen -G "/etc/rc?.d/[SK][0-9][0-9]idlewarden"'
    iw_check "no /run/idlewarden" test ! -e /run/idlewarden

    _iwi_run --uninstall || iw_fail "a second --uninstall failed"
    grep -q 'nothing installed' "$IWI_LOG" || iw_fail "a second --uninstall did not say there is nothing to remove"
    iw_ok "a second --uninstall is harmless"

    _iwi_run --purge || iw_fail "install.sh --purge failed"
    for f in /etc/idlewarden /var/lib/idlewarden /var/log/idlewarden.log "$IWI_PIDFILE"; do
        [[ -e $f ]] && iw_fail "$f is still there after --purge"
    done
    _iwi_expect_same_pam "after --purge"
    local left
    left=$(comm -13 <(echo "$leftovers_before") <(_iwi_leftovers))
    [[ -z $left ]] || iw_fail "left behind after --purge: $left"
    iw_ok "nothing named idlewarden is left in /etc /usr /var/lib /var/log /run"
}

# Installing twice changes nothing the second time: same manifest, same files, same PAM, one daemon answering.
test_install_twice_is_idempotent() {
    _iwi_setup
    _iwi_install
    local files sums1 manifest1 pam1
    files=$(_iwi_manifest_paths file; _iwi_manifest_paths config)
    # shellcheck disable=SC2086
    sums1=$(sha256sum $files; stat -c '%n %a %U:%G' $files)
    manifest1=$(cat "$IWI_MANIFEST")
    pam1=$(_iwi_pam_sums)
    _iwi_install
    [[ $(cat "$IWI_MANIFEST") == "$manifest1" ]] || { diff <(echo "$manifest1") "$IWI_MANIFEST"; iw_fail "the manifest changed"; }
    # shellcheck disable=SC2086
    [[ $(sha256sum $files; stat -c '%n %a %U:%G' $files) == "$sums1" ]] || iw_fail "installed files changed"
    [[ $(_iwi_pam_sums) == "$pam1" ]] || iw_fail "/etc/pam.d changed on the second install"
    [[ ! -e /etc/idlewarden/idlewarden.conf.dist ]] || iw_fail "a .dist appeared although the config is the example"
    iw_ok "second install: same manifest, files, modes and PAM"
    iw_check "daemon answers after the second install" _iwi_daemon_answers
    [[ $(_iwi_installed_daemons | grep -c .) == 1 ]] || iw_fail "expected one daemon, found: $(_iwi_installed_daemons)"
    iw_ok "exactly one daemon"
    _iwi_run --uninstall || iw_fail "--uninstall failed"
    _iwi_expect_same_pam "after --uninstall"
}

# An admin's config is never overwritten: the new example goes beside it as .dist. An invalid config stops a
# reinstall before anything is changed.
test_install_keeps_admin_config() {
    _iwi_setup
    _iwi_install
    local conf=/etc/idlewarden/idlewarden.conf
    printf '\n# changed by the admin\n' >>"$conf"
    local sum
    sum=$(sha256sum <"$conf")
    _iwi_install
    [[ $(sha256sum <"$conf") == "$sum" ]] || iw_fail "install.sh overwrote the admin's $conf"
    iw_check "example installed beside it as .dist" cmp -s "$IW_ROOT/etc/idlewarden.conf" "$conf.dist"
    grep -q "idlewarden.conf.dist" "$IWI_LOG" || iw_fail "install.sh did not say where the new example went"
    iw_ok "admin's config kept, example in $conf.dist"

    local pid
    pid=$(_iwi_installed_daemons)
    printf 'idle_timeout = 15\n' >"$conf"
    _iwi_run && iw_fail "install.sh accepted an invalid config"
    grep -qE "$conf:1:[0-9]+: idle_timeout" "$IWI_LOG" || iw_fail "install.sh did not show the config error (file:line: key)"
    [[ $(_iwi_installed_daemons) == "$pid" ]] || iw_fail "the running daemon was touched although the install was refused"
    iw_ok "invalid config: install refused, daemon (pid $pid) untouched"
    printf '# changed by the admin\n' >"$conf"

    _iwi_run --uninstall || iw_fail "--uninstall failed"
    iw_check "config kept by --uninstall" test -f "$conf"
    iw_check ".dist removed by --uninstall" test ! -e "$conf.dist"
    _iwi_run --purge || iw_fail "--purge failed"
    iw_check "config removed by --purge" test ! -e /etc/idlewarden
    _iwi_expect_same_pam "after --purge"
}

# --no-enable installs and starts the daemon but leaves PAM alone; switching from enabled to --no-enable takes the
# profile out again.
test_install_no_enable_leaves_pam_alone() {
    _iwi_setup
    _iwi_install --no-enable
    _iwi_expect_same_pam "after --no-enable"
    iw_check "no pam-auth-update profile" test ! -e /usr/share/pam-configs/idlewarden
    iw_check "daemon answers" _iwi_daemon_answers
    grep -q 'session optional pam_idlewarden.so' "$IWI_LOG" || iw_fail "install.sh did not print the line to add"
    _iwi_install
    iw_check "enabled by a normal install" _iwi_enabled_in_common_session
    _iwi_install --no-enable
    _iwi_expect_same_pam "after going back to --no-enable"
    iw_check "profile removed" test ! -e /usr/share/pam-configs/idlewarden
    _iwi_run --uninstall || iw_fail "--uninstall failed"
}

# --uninstall refuses to remove the module while a pam.d file names it on a non-optional line (every login
# through that file would fail), and goes ahead once the line is gone.
test_install_uninstall_refuses_while_a_required_line_names_the_module() {
    _iwi_setup
    _iwi_install
    local service=idlewarden-test-inst-$IW_ID
    iw_pam_service "$service" "auth required pam_permit.so" "session required pam_idlewarden.so"
    _iwi_run --uninstall && iw_fail "--uninstall went ahead with a required line in /etc/pam.d/$service"
    grep -q "$service" "$IWI_LOG" || iw_fail "--uninstall did not name /etc/pam.d/$service"
    iw_check "module still installed" test -f "$IWI_PAMDIR/pam_idlewarden.so"
    iw_check "profile still enabled (a refused uninstall changes nothing)" _iwi_enabled_in_common_session
    iw_check "daemon still answers" _iwi_daemon_answers
    iw_ok "refused, and named the file"
    rm -f "/etc/pam.d/$service"
    _iwi_run --uninstall || iw_fail "--uninstall failed after the line was removed"
    iw_check "module removed" test ! -e "$IWI_PAMDIR/pam_idlewarden.so"
    _iwi_expect_same_pam "after --uninstall"
}

# Everything --dry-run could touch, as "type mode owner path [sha256|link]" lines.
_iwi_system_snapshot() {
    local paths=(/etc/pam.d /etc/init.d /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc6.d
        /etc/rcS.d /etc/idlewarden /etc/logrotate.d /etc/systemd/system /usr/sbin /usr/bin/idlewarden /usr/share/man/man5
        /usr/share/man/man8 /usr/share/doc/idlewarden /usr/share/pam-configs /usr/share/bash-completion/completions
        /usr/share/zsh/vendor-completions "$IWI_PAMDIR" /lib/systemd/system /var/lib/pam /var/lib/idlewarden
        /run/idlewarden)
    local p
    for p in "${paths[@]}" "$IWI_MANIFEST" /var/log/idlewarden.log "$IWI_PIDFILE"; do
        [[ -e $p ]] || { echo "absent $p"; continue; }
        find "$p" ! -name 'idlewarden-test-*' ! -name 'idlewarden-bench-*' -printf '%y %m %u:%g %p %l\n' 2>/dev/null
        find "$p" -type f ! -name 'idlewarden-test-*' ! -name 'idlewarden-bench-*' -print0 2>/dev/null | xargs -0 -r sha256sum
    done | sort
    local bin
    for bin in "$(_iwi_scratch)/release/idlewarden" "$(_iwi_scratch)/release/libpam_idlewarden.so"; do
        [[ -e $bin ]] && stat -c 'build %n %Y' "$bin"
    done
    _iwi_installed_daemons | sed 's/^/daemon /'
}

# --dry-run changes nothing: not on a clean system, not as --uninstall or --purge of a real install; it builds
# nothing either. It prints what it would do.
test_install_dry_run_changes_nothing() {
    _iwi_setup
    local before after
    before=$(_iwi_system_snapshot)
    _iwi_run --dry-run || iw_fail "install.sh --dry-run failed"
    after=$(_iwi_system_snapshot)
    [[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") | head -n 20; iw_fail "--dry-run changed the system"; }
    if [[ " ${IW_INSTALL_ARGS:-} " != *" --no-build "* ]]; then
        grep -q '(dry run) + .*swift build' "$IWI_LOG" || iw_fail "--dry-run did not show the build"
    fi
    grep -q '(dry run) + .*pam-auth-update --package --enable idlewarden' "$IWI_LOG" ||
        iw_fail "--dry-run did not show the pam-auth-update step"
    grep -q "(dry run) + install .*$IWI_PAMDIR/pam_idlewarden.so" "$IWI_LOG" || iw_fail "--dry-run did not show the module install"
    iw_ok "--dry-run on a clean system: nothing changed, every step printed"

    _iwi_install
    before=$(_iwi_system_snapshot)
    local mode
    for mode in --uninstall --purge ""; do
        # shellcheck disable=SC2086
        _iwi_run --dry-run $mode || iw_fail "install.sh --dry-run $mode failed"
        after=$(_iwi_system_snapshot)
        [[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") | head -n 20; iw_fail "--dry-run $mode changed the system"; }
        iw_ok "--dry-run ${mode:-(reinstall)} on an installed system: nothing changed"
    done
    grep -q '(dry run) + ' "$IWI_LOG" || iw_fail "no (dry run) lines"
    iw_check "daemon still answers" _iwi_daemon_answers
}

# The files a --destdir DIR stage must hold (relative to DIR) for a prefix.
_iwi_expected_tree() { # PREFIX
    local p=${1#/} zsh unit
    case $1 in
        /usr) zsh=usr/share/zsh/vendor-completions unit=lib/systemd/system ;;
        /usr/local) zsh=usr/local/share/zsh/site-functions unit=usr/local/lib/systemd/system ;;
    esac
    printf '%s\n' "$p/bin/idlewarden" "${IWI_PAMDIR#/}/pam_idlewarden.so" \
        "$p/share/man/man8/idlewarden.8.gz" "$p/share/man/man8/pam_idlewarden.8.gz" \
        "$p/share/man/man5/idlewarden.conf.5.gz" "$p/share/bash-completion/completions/idlewarden" \
        "$zsh/_idlewarden" "$p/share/doc/idlewarden/README.md" "$p/share/doc/idlewarden/examples/idlewarden.conf" \
        "$p/share/doc/idlewarden/examples/drop-in/50-site.conf" \
        "$p/share/doc/idlewarden/examples/pam.d/idlewarden" "$p/share/doc/idlewarden/examples/pam.d/login" \
        "$p/share/doc/idlewarden/examples/pam.d/sshd" "$p/share/doc/idlewarden/examples/pam.d/su" \
        etc/idlewarden/idlewarden.conf etc/init.d/idlewarden etc/logrotate.d/idlewarden \
        "$unit/idlewarden.service" "$p/share/idlewarden/idlewarden-desktop.conf" usr/share/pam-configs/idlewarden | sort
}

# --destdir stages the whole tree (both the unit and the init script, paths substituted for the prefix) and
# touches nothing on the system.
test_install_destdir_stages_full_tree() {
    _iwi_setup
    local before stage=$IW_T/stage
    before=$(_iwi_system_snapshot)
    _iwi_run --destdir "$stage" || iw_fail "install.sh --destdir failed"
    local got
    got=$(cd "$stage" && find . -type f -printf '%P\n' | sort)
    [[ $got == "$(_iwi_expected_tree /usr)" ]] ||
        { diff <(_iwi_expected_tree /usr) <(echo "$got"); iw_fail "the staged tree is not the expected one"; }
    iw_ok "staged $(grep -c . <<<"$got") files: $(tr '\n' ' ' <<<"$got")"
    [[ $(_iwi_mode "$stage/usr/bin/idlewarden") == 755* ]] || iw_fail "staged binary not 0755"
    [[ $(readlink "$stage/usr/sbin/idlewarden") == ../bin/idlewarden ]] || iw_fail "staged /usr/sbin/idlewarden is not the link ../bin/idlewarden"
    [[ -d $stage/etc/idlewarden/conf.d ]] || iw_fail "no staged /etc/idlewarden/conf.d"
    [[ $(_iwi_mode "$stage/etc/init.d/idlewarden") == 755* ]] || iw_fail "staged init script not 0755"
    [[ $(_iwi_mode "$stage/${IWI_PAMDIR#/}/pam_idlewarden.so") == 644* ]] || iw_fail "staged module not 0644"
    grep -qx 'ExecStart=/usr/bin/idlewarden daemon' "$stage/lib/systemd/system/idlewarden.service" ||
        iw_fail "unit ExecStart is not /usr/bin/idlewarden daemon"
    grep -qx 'DAEMON=/usr/bin/idlewarden' "$stage/etc/init.d/idlewarden" || iw_fail "init script DAEMON is wrong"
    local page
    for page in idlewarden.8 pam_idlewarden.8; do
        cmp -s <(gzip -dc "$stage/usr/share/man/man8/$page.gz") "$IW_ROOT/man/$page" || iw_fail "staged $page differs"
    done
    iw_check "staged binary runs" "$stage/usr/bin/idlewarden" version
    local after
    after=$(_iwi_system_snapshot)
    [[ $before == "$after" ]] || { diff <(echo "$before") <(echo "$after") | head; iw_fail "--destdir changed the system"; }
    iw_ok "the system is untouched (no manifest, no daemon, PAM unchanged)"

    local stage2=$IW_T/stage-local
    _iwi_run --prefix /usr/local --destdir "$stage2" || iw_fail "install.sh --prefix /usr/local --destdir failed"
    got=$(cd "$stage2" && find . -type f -printf '%P\n' | sort)
    [[ $got == "$(_iwi_expected_tree /usr/local)" ]] ||
        { diff <(_iwi_expected_tree /usr/local) <(echo "$got"); iw_fail "the /usr/local tree is not the expected one"; }
    grep -qx 'ExecStart=/usr/local/bin/idlewarden daemon' "$stage2/usr/local/lib/systemd/system/idlewarden.service" ||
        iw_fail "/usr/local unit ExecStart is wrong"
    grep -qx 'DAEMON=/usr/local/bin/idlewarden' "$stage2/etc/init.d/idlewarden" || iw_fail "/usr/local init script DAEMON is wrong"
    iw_ok "--prefix /usr/local: paths substituted in the unit and the init script"
}

# The systemd unit passes `systemd-analyze verify` and keeps what the daemon needs: CAP_KILL and
# CAP_DAC_OVERRIDE only, the terminals allowed (no PrivateDevices), /run/idlewarden 0755, state 0700.
test_install_systemd_unit_verifies() {
    command -v systemd-analyze >/dev/null 2>&1 ||
        iw_fail "systemd-analyze is missing (apt-get install systemd): it verifies the unit"
    local stage=$IW_T/stage
    _iwi_run --destdir "$stage" || iw_fail "install.sh --destdir failed"
    local unit=$IW_T/idlewarden.service
    # verify checks that ExecStart exists: point it at the staged binary.
    sed "s|/usr/bin/idlewarden|$stage/usr/bin/idlewarden|g" "$stage/lib/systemd/system/idlewarden.service" >"$unit"
    cp "$unit" "$IW_TLOG/idlewarden.service"
    local out
    out=$(systemd-analyze verify --man=no "$unit" 2>&1)
    local rc=$?
    printf '%s\n' "$out" | sed 's/^/  verify: /'
    if ((rc != 0)) || [[ -n $out ]]; then iw_fail "systemd-analyze verify reports problems (status $rc)"; fi
    iw_ok "systemd-analyze verify: clean"
    local want
    for want in '^CapabilityBoundingSet=CAP_KILL CAP_DAC_OVERRIDE$' '^DeviceAllow=char-pts rw$' '^DeviceAllow=char-tty rw$' \
        '^RuntimeDirectory=idlewarden$' '^RuntimeDirectoryMode=0755$' '^StateDirectory=idlewarden$' \
        '^StateDirectoryMode=0700$' '^ProtectSystem=strict$' '^NoNewPrivileges=yes$'; do
        grep -qE "$want" "$unit" || iw_fail "the unit lacks $want"
    done
    grep -qE '^(PrivateDevices=yes|ProtectProc=invisible|ProcSubset=pid)' "$unit" &&
        iw_fail "the unit hides terminals or processes the daemon needs"
    iw_ok "sandbox keeps CAP_KILL, CAP_DAC_OVERRIDE, the terminals and /proc"
}

# The unit's capability set is enough: a daemon whose bounding set holds only CAP_KILL and CAP_DAC_OVERRIDE
# (what CapabilityBoundingSet= leaves a root service; here setpriv, as systemd is not PID 1) warns an idle SSH
# session on its terminal and logs it out.
test_install_unit_capabilities_are_enough_to_warn_and_end() {
    command -v setpriv >/dev/null 2>&1 || iw_fail "setpriv is missing (util-linux)"
    [[ -x $IW_BIN ]] || iw_fail "missing $IW_BIN"
    local caps
    caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$IW_ROOT/packaging/idlewarden.service.in")
    [[ -n $caps ]] || iw_fail "no CapabilityBoundingSet= in the unit"
    local set
    set=$(tr ' ' '\n' <<<"$caps" | sed 's/^CAP_//' | tr '[:upper:]' '[:lower:]' | sed 's/^/+/' | paste -sd, -)
    install -d -m 0755 "$IW_T/bin"
    cat >"$IW_T/bin/idlewarden-capped" <<EOF
#!/bin/sh
exec setpriv --bounding-set -all,$set --inh-caps=-all --no-new-privs -- "$IW_BIN" "\$@"
EOF
    chmod 0755 "$IW_T/bin/idlewarden-capped"
    iw_log "daemon bounding set: $caps (setpriv --bounding-set -all,$set)"
    IW_BIN=$IW_T/bin/idlewarden-capped
    local a=iwtest-$IW_ID-c
    iw_mkuser "$a"
    iw_daemon_start
    local effective
    effective=$(awk '/^CapEff/ { print $2 }' "/proc/$IW_DAEMON_PID/status")
    iw_log "daemon CapEff: $effective ($(capsh --decode="$effective" 2>/dev/null))"
    [[ $effective == 0000000000000022 ]] || iw_fail "daemon's effective capabilities are $effective, not CAP_KILL|CAP_DAC_OVERRIDE"
    iw_sshd_start
    iw_tmux_new s1 "$(iw_ssh_cmd "$a")"
    iw_tmux_mark s1
    iw_wait_sessions 1 10 "$a" || iw_fail "the ssh session is not in status"
    # The warning on the user's pty needs CAP_DAC_OVERRIDE (the pty is the user's, mode 0620 or 0600); ending
    # the session needs CAP_KILL (its processes are the user's). Farewell line and timing: tests/e2e/enforce.sh.
    iw_tmux_wait_text s1 'Press any key' $((IW_IDLE + IW_MAX_LATE)) ||
        iw_fail "no warning on the terminal: $(iw__pane_tail s1)"
    iw_audit_wait 5 "$(iw_kv event warn)" "$(iw_kv user "$a")" "$(iw_kv delivered 1/1)" ||
        iw_fail "no event=warn delivered=1/1 audit line: $(iw_audit "$(iw_kv event warn)" | tail -n 1)"
    iw_ok "warned on the terminal: $(iw_audit "$(iw_kv event warn)" | tail -n 1)"
    iw_tmux_wait_dead s1 $((IW_WARN + IW_MAX_LATE + 3 * IW_GRACE)) || iw_fail "the idle session was not ended"
    iw_audit_wait 5 "$(iw_kv event terminate)" "$(iw_kv user "$a")" || iw_fail "no event=terminate audit line"
    iw_ok "ended: $(iw_audit "$(iw_kv event terminate)" | tail -n 1)"
    iw_wait_until 10 iw_no_user_procs "$a" || iw_fail "processes of $a survived: $(iw_user_procs "$a")"
    iw_ok "with only $caps: warned on the terminal and logged out, no process of $a left"
}

# The installed binary and module need nothing from the Swift toolchain: with an empty directory bound over it
# (private mount namespace) the command runs, a daemon starts and answers, and pamtester opens and closes a
# session through the installed module (required + require_daemon) against the installed daemon.
test_install_binaries_run_without_toolchain() {
    _iwi_setup
    _iwi_install
    local mod=$IWI_PAMDIR/pam_idlewarden.so tc
    tc=$(_iwi_toolchain)
    local f deps
    for f in "$IWI_SBIN" "$mod"; do
        deps=$(ldd "$f" 2>&1)
        iw_log "ldd $f:"$'\n'"$(sed 's/^/    /' <<<"$deps")"
        grep -Eq "not found|$tc|libswift|Foundation|libdispatch|BlocksRuntime" <<<"$deps" &&
            iw_fail "$f needs something from the toolchain: $deps"
    done
    iw_ok "ldd: nothing from the toolchain ($tc)"
    local user=iwtest-$IW_ID-t service=idlewarden-test-inst-$IW_ID
    iw_mkuser "$user"
    _iwi_pamtester_service "$service" required require_daemon debug
    install -d -m 0755 "$IW_T/empty" "$IW_T/ns"
    cat >"$IW_T/ns.sh" <<EOF
set -e
mount --bind "$IW_T/empty" "$tc"
[ -z "\$(ls -A "$tc")" ]
echo "toolchain hidden: $tc is empty"
$IWI_SBIN version
$IWI_SBIN check-config
$IWI_SBIN status --socket $IWI_SOCK
$IWI_SBIN daemon --socket "$IW_T/ns/control.sock" --state-dir "$IW_T/ns/state" >"$IW_T/ns/daemon.log" 2>&1 &
pid=\$!
for i in \$(seq 50); do $IWI_SBIN status --socket "$IW_T/ns/control.sock" >/dev/null 2>&1 && break; sleep 0.1; done
$IWI_SBIN status --socket "$IW_T/ns/control.sock"
kill \$pid
wait \$pid || true
# pamtester stays alive (authenticate waits 3 s for the password) while the daemon registers the session.
(sleep 3; echo iwtest-password) | timeout 20 pamtester -v "$service" "$user" open_session authenticate close_session
EOF
    local out rc
    out=$(unshare -m --propagation private bash "$IW_T/ns.sh" 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed 's/^/  ns: /'
    ((rc == 0)) || iw_fail "with the toolchain hidden something failed (status $rc)"
    grep -q 'successfully opened a session' <<<"$out" || iw_fail "pamtester did not open the session"
    iw_audit_wait 10 "$(iw_kv event open)" "$(iw_kv user "$user")" "$(iw_kv service "$service")" ||
        iw_fail "the installed daemon did not audit the session opened through the installed module"
    iw_ok "toolchain hidden: command, daemon and module work"
}

# --deb builds a package without a Swift dependency; dpkg -i installs and enables it, the daemon works; dpkg -r
# puts /etc/pam.d back byte for byte and removes the program; dpkg -P leaves nothing.
test_install_deb_package() {
    _iwi_setup
    local leftovers_before
    leftovers_before=$(_iwi_leftovers)
    _iwi_run --deb --output "$IW_T/deb" || iw_fail "install.sh --deb failed"
    local deb
    deb=$(ls "$IW_T"/deb/idlewarden_*.deb 2>/dev/null | head -n1)
    [[ -f $deb ]] || iw_fail "no .deb in $IW_T/deb"
    iw_log "package: $deb ($(stat -c %s "$deb") bytes)"
    dpkg-deb -I "$deb" >"$IW_TLOG/deb-info.txt"
    dpkg-deb -c "$deb" >"$IW_TLOG/deb-contents.txt"
    local depends
    depends=$(dpkg-deb -f "$deb" Depends)
    iw_log "Depends: $depends"
    grep -qi swift <<<"$depends" && iw_fail "the package depends on Swift: $depends"
    grep -q 'libpam0g' <<<"$depends" && grep -q 'libpam-runtime' <<<"$depends" ||
        iw_fail "Depends lacks libpam0g or libpam-runtime: $depends"
    local want
    grep -qF ' ./usr/sbin/idlewarden -> ../bin/idlewarden' "$IW_TLOG/deb-contents.txt" || iw_fail "the package lacks the link /usr/sbin/idlewarden"
    for want in ./usr/bin/idlewarden ".${IWI_PAMDIR}/pam_idlewarden.so" ./usr/share/pam-configs/idlewarden \
        ./lib/systemd/system/idlewarden.service ./etc/init.d/idlewarden ./usr/share/man/man8/idlewarden.8.gz; do
        grep -q " $want\$" "$IW_TLOG/deb-contents.txt" || iw_fail "the package lacks $want"
    done
    iw_ok "package contents and Depends are right"

    dpkg -i "$deb" >"$IW_TLOG/dpkg-i.log" 2>&1 || { cat "$IW_TLOG/dpkg-i.log"; iw_fail "dpkg -i failed"; }
    sed 's/^/  dpkg -i: /' "$IW_TLOG/dpkg-i.log"
    iw_check "installed" bash -c '[[ $(dpkg-query -W -f="\${Status}" idlewarden) == "install ok installed" ]]'
    iw_check "postinst enabled the profile" _iwi_enabled_in_common_session
    if ! iw_wait_until 5 _iwi_daemon_answers; then
        grep -q 'policy-rc.d denied' "$IW_TLOG/dpkg-i.log" ||
            iw_fail "the daemon was not started and policy-rc.d did not forbid it"
        iw_log "policy-rc.d forbade starting services here (container); starting it with the init script"
        /etc/init.d/idlewarden start || iw_fail "/etc/init.d/idlewarden start failed"
    fi
    iw_check "daemon answers" _iwi_daemon_answers
    local user=iwtest-$IW_ID-d service=idlewarden-test-inst-$IW_ID
    iw_mkuser "$user"
    _iwi_pamtester_service "$service" required require_daemon
    iw_pamtester_hold d "$service" "$user"
    iw_wait_until 10 _iwi_session_count_is 1 "$user" || iw_fail "a session through the packaged module is not listed"
    iw_ok "a session through the packaged module is registered"
    iw_pamtester_release d || iw_fail "pamtester close_session failed"
    rm -f "/etc/pam.d/$service"
    local pid
    pid=$(_iwi_installed_daemons)

    dpkg -r idlewarden >"$IW_TLOG/dpkg-r.log" 2>&1 || { cat "$IW_TLOG/dpkg-r.log"; iw_fail "dpkg -r failed"; }
    _iwi_expect_same_pam "after dpkg -r"
    iw_check "program removed" test ! -e "$IWI_SBIN"
    iw_check "module removed" test ! -e "$IWI_PAMDIR/pam_idlewarden.so"
    iw_check "profile removed" test ! -e /usr/share/pam-configs/idlewarden
    iw_check "daemon stopped" iw_wait_until 10 _iwi_no_installed_daemon
    iw_check "conffiles kept" test -f /etc/idlewarden/idlewarden.conf
    iw_check "state: config-files" bash -c '[[ $(dpkg-query -W -f="\${Status}" idlewarden) == "deinstall ok config-files" ]]'

    dpkg -P idlewarden >"$IW_TLOG/dpkg-P.log" 2>&1 || { cat "$IW_TLOG/dpkg-P.log"; iw_fail "dpkg -P failed"; }
    _iwi_expect_same_pam "after dpkg -P"
    [[ -z $(_iwi_deb_state) || $(_iwi_deb_state) == *not-installed* ]] || iw_fail "dpkg still knows idlewarden: $(_iwi_deb_state)"
    local left
    left=$(comm -13 <(echo "$leftovers_before") <(_iwi_leftovers))
    [[ -z $left ]] || iw_fail "left behind after dpkg -P: $left"
    iw_ok "dpkg -P left nothing named idlewarden"
}

# Every man page renders without a single warning (man --warnings), and pam_idlewarden(8) has the sections of
# Linux-PAM's own module pages.
test_install_man_pages_render_without_warnings() {
    command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 ||
        iw_fail "man and groff are needed (apt-get install man-db groff-base)"
    local page out n=0
    for page in "$IW_ROOT"/man/*.[0-9]; do
        out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
        [[ -z $out ]] || iw_fail "man --warnings -l ${page##*/}: $out"
        LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q . || iw_fail "${page##*/} renders empty"
        iw_ok "${page##*/} renders without warnings"
        n=$((n + 1))
    done
    ((n == 3)) || iw_fail "expected 3 man pages, found $n"
    local section
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS 'MODULE TYPES PROVIDED' 'RETURN VALUES' EXAMPLES FILES 'SEE ALSO'; do
        grep -qE "^\.SH \"?$section\"?$" "$IW_ROOT/man/pam_idlewarden.8" || iw_fail "pam_idlewarden.8 lacks section $section"
    done
    iw_ok "pam_idlewarden.8 has the Linux-PAM module page sections"
}

# The documentation names what the code has: every subcommand and option of idlewarden in idlewarden(8), every
# config key in idlewarden.conf(5), every module argument in pam_idlewarden(8), every audit event in
# idlewarden(8) and the README.
test_install_docs_match_the_code() {
    [[ -x $IW_BIN ]] || iw_fail "missing $IW_BIN"
    local man8 man5 pam8 readme
    man8=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$IW_ROOT/man/idlewarden.8")
    man5=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$IW_ROOT/man/idlewarden.conf.5")
    pam8=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$IW_ROOT/man/pam_idlewarden.8")
    readme=$(cat "$IW_ROOT/README.md")
    local subs sub opt missing=()
    subs=$("$IW_BIN" --help | awk '/^SUBCOMMANDS:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
    [[ -n $subs ]] || iw_fail "no subcommands in idlewarden --help"
    for sub in $subs; do
        grep -qE "^\.(B|BR) $sub( |$)" <<<"$man8" || missing+=("subcommand $sub")
        for opt in $("$IW_BIN" help "$sub" | grep -oE '^  (-[a-z], )?--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+'); do
            [[ $opt == --help || $opt == --version ]] && continue
            grep -qF -- "$opt" <<<"$man8" || missing+=("option $sub $opt")
        done
    done
    local keys key
    # Each list from its `static let NAME = [` to its closing `]`, over as many lines as it takes.
    keys=$(awk '/static let (shared|topLevelOnly|ruleOnly) = \[/ { on = 1 } on { print } on && /\]/ { on = 0 }' \
        "$IW_ROOT/Sources/IdleWardenCore/Config/ConfigKeys.swift" | grep -oE '"[a-z_]+"' | tr -d '"')
    [[ $(wc -w <<<"$keys") -ge 20 ]] || iw_fail "only $(wc -w <<<"$keys") config keys found in ConfigKeys.swift: $keys"
    for key in $keys; do
        grep -qE "^\.(B|BR) $key( |$)" <<<"$man5" || missing+=("config key $key")
    done
    # The module arguments from their one list, the one the module and the daemon both read: each case's name
    # (`case .x: return "name"`), with "=" when the case is among those that take a value.
    local arg args valued
    local argsrc=$IW_ROOT/Sources/IdleWardenWire/Encoding/ModuleArgument.swift
    args=$(sed -nE 's/^[[:space:]]*case \.([A-Za-z]+): return "([a-z_]+)"$/\1 \2/p' "$argsrc")
    valued=$(sed -n '/var takesValue/,/^    }/p' "$argsrc" | sed -nE 's/^[[:space:]]*case (.*): return true$/\1/p' |
        grep -oE '\.[A-Za-z]+' | tr -d .)
    [[ $(grep -c . <<<"$args") -ge 9 && -n $valued ]] || iw_fail "no module arguments found in $argsrc"
    local case_name name nargs=0
    while read -r case_name name; do
        arg=$name
        grep -qxF "$case_name" <<<"$valued" && arg=$name=
        grep -qF "$arg" <<<"$pam8" || missing+=("module argument $arg")
        nargs=$((nargs + 1))
    done <<<"$args"
    local events event
    events=$(grep -rhoE 'AuditRecord\(\s*"[a-z-]+"' "$IW_ROOT/Sources" | grep -oE '"[a-z-]+"' | tr -d '"' | sort -u)
    for event in $events; do
        grep -qE "(^|[^a-z-])$event([^a-z-]|$)" <<<"$man8" || missing+=("audit event $event in idlewarden.8")
        grep -qF "\`$event\`" <<<"$readme" || missing+=("audit event $event in README.md")
    done
    ((${#missing[@]} == 0)) || iw_fail "undocumented: ${missing[*]}"
    iw_ok "documented: $(wc -w <<<"$subs") subcommands with their options, $(wc -w <<<"$keys") config keys, $nargs module arguments, $(wc -w <<<"$events") audit events"
}

# The tools the suite checks for (tests/run.sh's prerequisites, each test file's `for tool in ...` lists and
# `command -v TOOL` checks, the benchmark scripts the smoke test runs: bench_need; not sudo, which the README test
# wants absent from its root) all come from
# a package that .ci/run installs (or apt with it, as a dependency), or that every Debian has (Priority:
# required): on a fresh machine,
# `bash .ci/run` then finds every one of them.
_iwi_suite_tools() {
    local f files=("$IW_ROOT/tests/run.sh" "$IW_ROOT"/tests/e2e/*.sh) bench
    for bench in $(grep -oE '^[[:space:]]*bench [a-z]+ ' "$IW_ROOT/tests/e2e/bench.sh" | awk '{ print $2 }'); do
        files+=("$IW_ROOT/Benchmarks/run-$bench.sh")
    done
    for f in "${files[@]}"; do
        sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | grep -v '^[[:space:]]*#' |
            sed -nE 's/.*for tool in ([^;]*); do.*/\1/p; s/^[[:space:]]*bench_need (.*)/\1/p'
        grep -ohE 'command -v [a-z][A-Za-z0-9_.+-]*' "$f" | cut -d' ' -f3
    done | tr ' ' '\n' | grep -vE '^("|\$|$|sudo$)' | sort -u
}
test_install_ci_run_installs_what_the_tests_use() {
    local packages tools tool path pkg missing=() n=0
    packages=" $(bash -c 'eval "$(sed -n "/^packages=(/,/^)/p" "$1")" && echo "${packages[*]}"' iw "$IW_ROOT/.ci/run") "
    [[ $packages =~ [a-z] ]] || iw_fail "no packages=( ... ) list in .ci/run"
    # What apt installs with them (python3-minimal with python3, ...).
    local closure
    # shellcheck disable=SC2086
    closure=" $(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
        --no-enhances $packages 2>/dev/null | sed -nE 's/^[[:space:]]*(Pre)?Depends: <?([^ >:]+).*/\2/p; s/^([a-z0-9][^ :]*)$/\1/p' |
        sort -u | tr '\n' ' ')"
    tools=$(_iwi_suite_tools)
    [[ $(grep -c . <<<"$tools") -ge 40 ]] || iw_fail "found only $(grep -c . <<<"$tools") tools: $(tr '\n' ' ' <<<"$tools")"
    for tool in $tools; do
        [[ $tool == swift ]] && continue # the toolchain: /opt/swift, not a Debian package
        path=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v "$tool") ||
            { missing+=("$tool (not on this machine)"); continue; }
        pkg=$(dpkg-query -S "$path" 2>/dev/null || dpkg-query -S "$(readlink -f "$path")" 2>/dev/null ||
            dpkg-query -S "/usr$path" 2>/dev/null || dpkg-query -S "${path#/usr}" 2>/dev/null)
        pkg=$(head -n1 <<<"$pkg" | cut -d: -f1)
        [[ -n $pkg ]] || { missing+=("$tool ($path: in no package)"); continue; }
        n=$((n + 1))
        [[ $packages == *" $pkg "* || $closure == *" $pkg "* ]] && continue
        [[ $(dpkg-query -W -f='${Priority}' "$pkg" 2>/dev/null) == required ]] && continue
        missing+=("$tool (package $pkg)")
    done
    ((${#missing[@]} == 0)) || iw_fail ".ci/run does not install: ${missing[*]}"
    iw_ok "the $n tools the suite uses come from packages .ci/run installs or every Debian has"
}

# Every command in the README's ```sh blocks is run here, in README order, on this machine, with the effect the
# README promises (exit status 0) — except the few listed in IWI_README_ELSEWHERE, each run by another test.
# "sudo CMD" runs CMD as root; `idlewarden status|keepalive|explain` run as a test user with an open session;
# "alice" is that user. The toml blocks, put together, must pass check-config.
declare -A IWI_README_ELSEWHERE=(
    ['bash .ci/run']='the whole suite: it is what runs this test (test_systemd_readme_set_up_commands_as_root checks it)'
    ['./install.sh --deb']='test_install_deb_package (builds and installs the package)'
    ['sudo dpkg -i .build/deb/idlewarden_0.1.0_amd64.deb']='test_install_deb_package (dpkg -i of the package it built)'
    ['sudo dpkg -r idlewarden']='test_install_deb_package'
    ['sudo dpkg -P idlewarden']='test_install_deb_package'
    ['idlewarden inhibit --why "nightly build" -- make -j8']='test_workstation_inhibit_holds_until_the_command_ends (as a user in an ssh session)'
)
# Commands quoted inline in the README's prose: "run" (right after the README's install command, as root,
# DIR being the PAM module directory), or where else they are run, or why they cannot run here.
declare -A IWI_README_INLINE=(
    ['./install.sh']='run'
    ['idlewarden check-config']='run'
    ['idlewarden explain root --service sshd']='run'
    ['grep pam_idlewarden /etc/pam.d/common-session']='run'
    ['idlewarden reload']='run'
    ['idlewarden sweep']='run'
    ['idlewarden status']='run'
    ['idlewarden keepalive']='in the README blocks, as the user with a session'
    ['idlewarden inhibit']='tests/e2e/workstation.sh, as a user in an ssh session'
    ['sudo /etc/init.d/idlewarden reload']='run'
    ['sudo /etc/init.d/idlewarden start']='run'
    ['sudo ./install.sh --pam-dir DIR']='run'
    ['dpkg -r']='test_install_deb_package'
    ['dpkg -P']='test_install_deb_package'
    ['sudo ./install.sh']='run'
    ['./install.sh --help']='run'
    ['sudo bash .ci/run']='the whole suite: it is what runs this test'
    ['bash tests/run.sh']='the whole suite: it is what runs this test'
    ['bash tests/run.sh --help']='run'
    ['bash tests/run.sh e2e PATTERN']='the suite, some tests only: it is what runs this test'
    ['bash tests/run.sh e2e install']='the suite, this file only: it is what runs this test'
    ['sudo idlewarden reload']='run'
    ['idlewarden daemon']='the daemon itself (every test runs one); a second on the same state directory: test_ending_second_daemon_is_refused_first_keeps_working'
    ['sudo -i']='test_delivery_sudo_i_and_s_from_user_ssh (an ordinary user opens a root session with sudo -i and sudo -s)'
    ['sudo -s']='test_delivery_sudo_i_and_s_from_user_ssh'
    ['idlewarden control-receiver']='a hidden subcommand the daemon runs itself: test_control_lingering_descriptor_old_kernel_receiver_replaced sees one killed and replaced'
)
_iwi_readme_inline_commands() {
    awk '/^```/ { on = !on; next } !on' "$IW_ROOT/README.md" | grep -oE '`[^`]+`' | tr -d '`' |
        grep -E '^(sudo |idlewarden |systemctl |journalctl |\./install\.sh|apt |dpkg |grep |man |bash )' | sort -u
}
_iwi_readme_run_inline() {
    local cmd run rc
    while IFS= read -r cmd; do
        if iw_readme_systemd_command "$cmd"; then
            iw_log "README inline: $cmd  → systemd only: test_systemd_readme_commands"
            continue
        fi
        [[ -n ${IWI_README_INLINE[$cmd]+x} ]] || iw_fail "README quotes a command no test runs: $cmd (add it to IWI_README_INLINE)"
        if [[ ${IWI_README_INLINE[$cmd]} != run ]]; then
            iw_log "README inline: $cmd  → ${IWI_README_INLINE[$cmd]}"
            continue
        fi
        run=${cmd//sudo /}
        run=${run//DIR/$IWI_PAMDIR}
        [[ $run == ./install.sh* ]] && run="./install.sh --scratch-path $(_iwi_scratch) ${IW_INSTALL_ARGS:-}${run#./install.sh}"
        (cd "$IW_ROOT" && bash -c "$run") </dev/null >"$IW_TLOG/readme-inline.txt" 2>&1
        rc=$?
        iw_log "README inline (root): $cmd → status $rc"
        ((rc == 0)) || { tail -n 20 "$IW_TLOG/readme-inline.txt"; iw_fail "README inline command failed (status $rc): $cmd"; }
    done < <(_iwi_readme_inline_commands)
}

_iwi_readme_commands() { # README → one command per line, comments and blank lines dropped
    awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on' "$IW_ROOT/README.md" |
        sed -E 's/[[:space:]]+#.*$//; s/[[:space:]]+$//' | grep -vE '^(#|$)'
}
test_install_readme_commands() {
    _iwi_setup
    local cmds
    cmds=$(_iwi_readme_commands)
    [[ -n $cmds ]] || iw_fail "no commands found in README.md"
    local toml=$IW_T/readme.toml
    awk '/^```toml$/ { on = 1; next } /^```/ { on = 0 } on' "$IW_ROOT/README.md" >"$toml"
    [[ -s $toml ]] || iw_fail "no toml blocks in README.md"
    cp "$toml" "$IW_TLOG/readme.toml"
    [[ -x $IW_BIN ]] || iw_fail "missing $IW_BIN"
    "$IW_BIN" check-config "$toml" >"$IW_TLOG/readme-toml-check.txt" 2>&1 ||
        { cat "$IW_TLOG/readme-toml-check.txt"; iw_fail "the README's config recipes do not pass check-config"; }
    iw_ok "README's toml recipes pass check-config"

    local user=iwtest-$IW_ID-r service=idlewarden-test-inst-$IW_ID
    iw_mkuser "$user"
    # /etc/pam.d/sshd is changed by one README command; put it back afterwards, byte for byte.
    local sshd_sum
    sshd_sum=$(sha256sum </etc/pam.d/sshd | cut -d' ' -f1)
    install -d -m 0700 "$IW_PAM_BACKUP_DIR"
    cp -p /etc/pam.d/sshd "$IW_PAM_BACKUP_DIR/sshd.$$"
    iw_defer iw_pam_restore /etc/pam.d/sshd "$IW_PAM_BACKUP_DIR/sshd.$$" "$sshd_sum"

    local cmd run n=0 as rc out held=0
    while IFS= read -r cmd; do
        if [[ -n ${IWI_README_ELSEWHERE[$cmd]+x} ]]; then
            iw_log "README: $cmd  → run by ${IWI_README_ELSEWHERE[$cmd]}"
            continue
        fi
        if iw_readme_systemd_command "$cmd"; then
            iw_log "README: $cmd  → systemd only: run by test_systemd_readme_commands"
            continue
        fi
        run=${cmd//alice/$user}
        as=root
        if [[ $run =~ ^idlewarden\ (status|keepalive|explain) ]]; then
            as=$user
            if ((held == 0)) && [[ $run =~ ^idlewarden\ (status|keepalive) ]]; then
                # The user has a session, so status lists it and keepalive has something to keep alive.
                _iwi_pamtester_service "$service" optional
                iw_pamtester_hold r "$service" "$user"
                iw_wait_until 10 _iwi_session_count_is 1 "$user" || iw_fail "the test user's session is not registered"
                held=1
            fi
        fi
        run=${run//sudo /}
        # install.sh with the test's build directory and arguments (IW_INSTALL_SCRATCH, IW_INSTALL_ARGS).
        [[ $run == ./install.sh* ]] && run="./install.sh --scratch-path $(_iwi_scratch) ${IW_INSTALL_ARGS:-}${run#./install.sh}"
        n=$((n + 1))
        if [[ $as == root ]]; then
            out=$(cd "$IW_ROOT" && bash -c "$run" </dev/null 2>&1)
        else
            out=$(cd / && runuser -u "$as" -- bash -c "$run" </dev/null 2>&1)
        fi
        rc=$?
        printf '%s\n' "$out" >"$IW_TLOG/readme-$n.txt"
        iw_log "README $n ($as): $cmd → status $rc"
        printf '%s\n' "$out" | head -n 6 | sed 's/^/    /'
        ((rc == 0)) || { printf '%s\n' "$out" | tail -n 20; iw_fail "README command failed (status $rc): $cmd"; }
        case $run in
            "./install.sh --scratch-path"*) ((n == 1)) && _iwi_readme_run_inline ;;
            "idlewarden status") grep -q "$user" <<<"$out" || iw_fail "status does not show the user's session" ;;
            "grep pam_idlewarden /etc/pam.d/common-session") grep -q 'pam_idlewarden.so' <<<"$out" || iw_fail "not enabled" ;;
            *"install.sh"*--uninstall | *"install.sh"*--purge)
                # /etc/pam.d/sshd keeps the line the README had the admin add by hand (install.sh never edits
                # pam.d files); everything else is as before the install.
                [[ $(grep -v '^[0-9a-f]*  /etc/pam.d/sshd$' <<<"$(_iwi_pam_sums)") == \
                    "$(grep -v '^[0-9a-f]*  /etc/pam.d/sshd$' <<<"$IWI_PAM_BEFORE")" ]] ||
                    iw_fail "README: $cmd: /etc/pam.d or /var/lib/pam differ from before the install"
                [[ $(diff "$IW_PAM_BACKUP_DIR/sshd.$$" /etc/pam.d/sshd | grep '^[<>]') == "> session optional pam_idlewarden.so" ]] ||
                    iw_fail "README: /etc/pam.d/sshd differs by more than the line the README added"
                iw_ok "README: $cmd: /etc/pam.d as before, but the admin's own line in sshd" ;;
        esac
    done <<<"$cmds"
    ((held == 1)) && { iw_pamtester_release r || true; }
    ((n >= 20)) || iw_fail "only $n README commands ran"
    [[ ! -e $IWI_MANIFEST && ! -e /etc/idlewarden ]] || iw_fail "the README's uninstall/purge left an install behind"
    iw_ok "$n README commands ran, each with status 0"
}

# ---------------------------------------------------------------------------------------------------------------
# Run directly: every test_install_* (or those matching $1) in its own bash, as tests/run.sh does.

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    iwi_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    export IW_ROOT=${IW_ROOT:-$iwi_root}
    export IW_LOG_DIR=${IW_LOG_DIR:-/tmp/idlewarden-e2e-logs}
    export LC_ALL=C.UTF-8
    [[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]] && export PATH=$PATH:/opt/swift/usr/bin
    iwi_passed=0
    iwi_failed=0
    for iwi_test in $(grep -oE '^test_install_[A-Za-z0-9_]+' "${BASH_SOURCE[0]}"); do
        [[ -n ${1:-} ]] && ! grep -qE -- "$1" <<<"$iwi_test" && continue
        mkdir -p "$IW_LOG_DIR/$iwi_test"
        export IW_FAIL_FILE=$IW_LOG_DIR/$iwi_test/failures IW_TEST_FILE
        IW_TEST_FILE=$(readlink -f "${BASH_SOURCE[0]}")
        : >"$IW_FAIL_FILE"
        setsid -w timeout -k 30 "${IW_TEST_TIMEOUT:-300}" bash -c \
            'source "$1/tests/e2e/lib.sh" && source "$2" && iw_run_test "$3"' iw-test "$IW_ROOT" \
            "$(readlink -f "${BASH_SOURCE[0]}")" "$iwi_test" </dev/null >"$IW_LOG_DIR/$iwi_test/test.log" 2>&1
        if [[ $? == 0 && ! -s $IW_FAIL_FILE ]]; then
            echo "PASS $iwi_test"
            iwi_passed=$((iwi_passed + 1))
        else
            echo "FAIL $iwi_test"
            sed 's/^/    reason: /' "$IW_FAIL_FILE"
            tail -n 30 "$IW_LOG_DIR/$iwi_test/test.log" | sed 's/^/    /'
            iwi_failed=$((iwi_failed + 1))
        fi
    done
    echo "$iwi_passed passed, $iwi_failed failed"
    [[ $iwi_failed == 0 ]]
fi
