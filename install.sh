#!/usr/bin/env bash
# install.sh — build, install, enable and uninstall idlewarden. Run ./install.sh --help.
#
# Every step is printed; every command that changes the system is printed as "+ command" before it runs
# (with --dry-run it is only printed). The files a live install writes are listed in a manifest,
# /var/lib/idlewarden-install.manifest, so that --uninstall removes exactly those.

set -eu
set -o pipefail

PROG=install.sh
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MANIFEST=/var/lib/idlewarden-install.manifest
CONF_DIR=/etc/idlewarden
CONF=$CONF_DIR/idlewarden.conf
STATE_DIR=/var/lib/idlewarden
RUN_DIR=/run/idlewarden
SOCKET=$RUN_DIR/control.sock
LOGFILE=/var/log/idlewarden.log
PIDFILE=/run/idlewarden.pid
PAM_PROFILE_DIR=/usr/share/pam-configs
PAM_LINE='session optional pam_idlewarden.so'

usage() {
    cat <<'EOF'
Usage: sudo ./install.sh [OPTIONS]

Builds idlewarden (swift build -c release), installs the program, the PAM module, the man pages and the shell
completions, writes /etc/idlewarden/idlewarden.conf (nothing set: the built-in policy) if there is none, starts
the daemon (systemd unit, or /etc/init.d script when systemd is not PID 1), enables the module for every login
with a pam-auth-update profile (session optional pam_idlewarden.so) and lists the logins open now with what
the daemon will do to them. Running it again upgrades in place.

Options:
  --prefix DIR         install under DIR (default /usr: /usr/bin/idlewarden, a link /usr/sbin/idlewarden,
                       /usr/share/man, ...)
  --no-enable          install and start, but do not touch PAM (no pam-auth-update profile); prints the line
                       to add to /etc/pam.d yourself
  --uninstall          stop the daemon, disable the PAM profile, remove every file install.sh installed
                       (kept: /etc/idlewarden/idlewarden.conf and the daemon's state)
  --purge              --uninstall, and also remove /etc/idlewarden, /var/lib/idlewarden and the daemon's log
  --dry-run            print what would be done; change nothing (no build either)
  --destdir DIR        stage the whole installed tree under DIR (for packaging): no service start, no PAM
                       change, no manifest; both the systemd unit and the init script are staged
  --deb                build a Debian package (dpkg-deb) instead of installing; written to
                       <scratch path>/deb/idlewarden_VERSION_ARCH.deb, or into --output DIR
  --output DIR         where --deb writes the package
  --maintainer "NAME <EMAIL>"
                       the package's Maintainer (default: DEBFULLNAME and DEBEMAIL, as dch uses them, else the
                       project's maintainers)
  --pam-dir DIR        PAM module directory (default: the directory that holds pam_unix.so)
  --scratch-path DIR   SwiftPM build directory (default .build)
  --no-build           do not run swift build; use the binaries already in the scratch path
  --force              uninstall even if a file in /etc/pam.d still names pam_idlewarden.so
  -h, --help           this text

Environment: SWIFT=/path/to/swift selects the toolchain (default: swift on PATH, else /opt/swift/usr/bin/swift).
EOF
}

# ---------------------------------------------------------------------------------------------------------------
# Output helpers

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

# run CMD ARGS...: print the command, then run it (only print it with --dry-run).
run() {
    local quoted
    quoted=$(printf '%q ' "$@")
    if [ "$DRY_RUN" = 1 ]; then
        printf '    (dry run) + %s\n' "${quoted% }"
        return 0
    fi
    printf '    + %s\n' "${quoted% }"
    "$@"
}

# ---------------------------------------------------------------------------------------------------------------
# Options

PREFIX=/usr
ENABLE=1
MODE=install
PURGE=0
DRY_RUN=0
DESTDIR=
PAM_DIR=
SCRATCH=.build
BUILD=1
FORCE=0
DEB_OUTPUT=
DEB_MAINTAINER=

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs an argument (see --help)"; }

while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --prefix) need_arg "$@"; PREFIX=$2; shift ;;
        --prefix=*) PREFIX=${1#*=} ;;
        --no-enable) ENABLE=0 ;;
        --uninstall) MODE=uninstall ;;
        --purge) MODE=uninstall; PURGE=1 ;;
        --dry-run) DRY_RUN=1 ;;
        --destdir) need_arg "$@"; DESTDIR=$2; shift ;;
        --destdir=*) DESTDIR=${1#*=} ;;
        --deb) MODE=deb ;;
        --output) need_arg "$@"; DEB_OUTPUT=$2; shift ;;
        --output=*) DEB_OUTPUT=${1#*=} ;;
        --maintainer) need_arg "$@"; DEB_MAINTAINER=$2; shift ;;
        --maintainer=*) DEB_MAINTAINER=${1#*=} ;;
        --pam-dir) need_arg "$@"; PAM_DIR=$2; shift ;;
        --pam-dir=*) PAM_DIR=${1#*=} ;;
        --scratch-path) need_arg "$@"; SCRATCH=$2; shift ;;
        --scratch-path=*) SCRATCH=${1#*=} ;;
        --no-build) BUILD=0 ;;
        --force) FORCE=1 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
    shift
done

case $PREFIX in /*) ;; *) die "--prefix must be an absolute path: $PREFIX" ;; esac
PREFIX=${PREFIX%/}
[ -n "$PREFIX" ] || PREFIX=/usr
if [ -n "$DESTDIR" ]; then
    [ "$MODE" = install ] || die "--destdir only stages an install; it cannot be combined with --uninstall or --deb"
    case $DESTDIR in /*) ;; *) DESTDIR=$PWD/$DESTDIR ;; esac
    DESTDIR=${DESTDIR%/}
fi
case $SCRATCH in /*) ;; *) SCRATCH=$SRC_DIR/$SCRATCH ;; esac

# The .deb follows Debian's layout whatever --prefix says.
[ "$MODE" = deb ] && PREFIX=/usr

# The program in bin, on every user's PATH (status and keepalive are for users); sbin keeps a link for the
# scripts and units of earlier versions.
BIN_DIR=$PREFIX/bin
SBIN_DIR=$PREFIX/sbin
MAN_DIR=$PREFIX/share/man
DOC_DIR=$PREFIX/share/doc/idlewarden
BASH_COMPLETION_DIR=$PREFIX/share/bash-completion/completions
case $PREFIX in
    /usr) ZSH_COMPLETION_DIR=/usr/share/zsh/vendor-completions; UNIT_DIR=/lib/systemd/system ;;
    /usr/local) ZSH_COMPLETION_DIR=/usr/local/share/zsh/site-functions; UNIT_DIR=/usr/local/lib/systemd/system ;;
    *) ZSH_COMPLETION_DIR=$PREFIX/share/zsh/site-functions; UNIT_DIR=/etc/systemd/system ;;
esac
INIT_SCRIPT=/etc/init.d/idlewarden
# The unit's drop-in for desktops (packaging/idlewarden-desktop.conf), linked into the unit's drop-in directory
# when a display manager is installed.
DESKTOP_DROPIN_SOURCE=$PREFIX/share/idlewarden/idlewarden-desktop.conf
DESKTOP_DROPIN=/etc/systemd/system/idlewarden.service.d/desktop.conf
LOGROTATE=/etc/logrotate.d/idlewarden
BIN=$SCRATCH/release/idlewarden
MODULE_BUILT=$SCRATCH/release/libpam_idlewarden.so

WORK=$(mktemp -d "${TMPDIR:-/tmp}/idlewarden-install.XXXXXX")
RECORD_ON_FAILURE=0 # set once a live install starts writing files

# A live install that fails half-way still records what it wrote, so that --uninstall can remove it.
on_exit() {
    local rc=$?
    trap - EXIT
    if [ "$rc" != 0 ] && [ "$RECORD_ON_FAILURE" = 1 ] && [ "$DRY_RUN" = 0 ]; then
        RECORD_ON_FAILURE=0
        printf '%s: the install failed; recording what it installed in %s (remove it: ./install.sh --uninstall)\n' \
            "$PROG" "$MANIFEST" >&2
        merge_old_manifest
        write_manifest "${INIT_USED:-sysv}" "${PAM_STATE:-unknown}" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap on_exit EXIT

# ---------------------------------------------------------------------------------------------------------------
# Detection

# systemd is the init system when /run/systemd/system exists (what sd_booted() checks) and PID 1 is systemd.
init_system() {
    if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
        echo systemd
    else
        echo sysv
    fi
}

# The directory libpam loads modules from: where pam_unix.so is. The package manager's answer first (on a
# merged-/usr Debian both /lib/... and /usr/lib/... hold it; dpkg knows the canonical one), then the usual places.
detect_pam_dir() {
    local dir arch
    if [ -n "$PAM_DIR" ]; then
        echo "${PAM_DIR%/}"
        return 0
    fi
    if command -v dpkg-query >/dev/null 2>&1; then
        arch=$(dpkg --print-architecture 2>/dev/null || true)
        for dir in $(dpkg-query -S /security/pam_unix.so 2>/dev/null |
            awk -v a="$arch" '$1 ~ /^libpam-modules/ && ($1 == "libpam-modules:" || $1 == "libpam-modules:" a ":") { print $2 }'); do
            dir=${dir%/pam_unix.so}
            [ -e "$dir/pam_unix.so" ] && { echo "$dir"; return 0; }
        done
    fi
    arch=$(uname -m)
    for dir in /lib/"$arch"-linux-*/security /usr/lib/"$arch"-linux-*/security /lib64/security /usr/lib64/security \
        /lib/security /usr/lib/security; do
        [ -e "$dir/pam_unix.so" ] && { echo "$dir"; return 0; }
    done
    return 1
}

find_swift() {
    if [ -n "${SWIFT:-}" ]; then
        [ -x "$SWIFT" ] || die "SWIFT=$SWIFT is not executable"
        echo "$SWIFT"
        return 0
    fi
    local s
    for s in "$(command -v swift 2>/dev/null || true)" /opt/swift/usr/bin/swift /usr/share/swift/usr/bin/swift; do
        [ -n "$s" ] && [ -x "$s" ] && { echo "$s"; return 0; }
    done
    return 1
}

# The version the built binary reports ("idlewarden 0.1.0"), else the one in the sources.
version() {
    local v=
    [ -x "$BIN" ] && v=$("$BIN" version 2>/dev/null | awk '{ print $NF; exit }') || true
    if [ -z "$v" ]; then
        v=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' "$SRC_DIR/Sources/idlewarden/IdleWarden.swift" 2>/dev/null |
            head -n1) || true
    fi
    echo "${v:-0.0.0}"
}

daemon_answers() { [ -x "$1" ] && "$1" status --socket "$SOCKET" >/dev/null 2>&1; }

# The installed program: bin, or sbin where an earlier version put it.
installed_program() {
    if [ -x "$BIN_DIR/idlewarden" ]; then echo "$BIN_DIR/idlewarden"; else echo "$SBIN_DIR/idlewarden"; fi
}

# ---------------------------------------------------------------------------------------------------------------
# Build

ensure_build_deps() {
    step "Build dependencies"
    if [ "$BUILD" = 0 ]; then
        note "skipped (--no-build)"
        return 0
    fi
    # libpam0g-dev: the PAM headers for the module; libtomlplusplus-dev: toml++, the daemon's config parser
    # (header-only: nothing of it is needed at run time).
    local pkg missing=()
    if command -v dpkg-query >/dev/null 2>&1; then
        for pkg in libpam0g-dev libtomlplusplus-dev; do
            if dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
                note "$pkg is installed"
            else
                missing+=("$pkg")
            fi
        done
        if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            # A fresh machine or container may have no package lists yet.
            run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" || {
                run apt-get update
                run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
            }
        elif [ ${#missing[@]} -gt 0 ]; then
            die "missing build dependencies: ${missing[*]} (apt-get install ${missing[*]}, as root)"
        fi
    else
        [ -e /usr/include/security/pam_modules.h ] ||
            die "the PAM headers are missing (/usr/include/security/pam_modules.h): install your distribution's PAM development package"
        [ -e /usr/include/toml++/toml.h ] ||
            die "toml++ is missing (/usr/include/toml++/toml.h): install your distribution's tomlplusplus development package (3.x)"
    fi
    local tool
    for tool in strip gzip; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (apt-get install binutils gzip)"
    done
    SWIFT_BIN=$(find_swift) || die "no Swift toolchain found: put swift on PATH, install it in /opt/swift, or set SWIFT=/path/to/swift"
    note "swift: $SWIFT_BIN ($("$SWIFT_BIN" --version 2>&1 | head -n1))"
}

# swift build as the user who ran sudo, when that user owns the checkout and the build directory, so that
# .build is not left to root.
as_builder() {
    local owner scratch_owner
    owner=$(stat -c %U "$SRC_DIR")
    scratch_owner=$owner
    [ -e "$SCRATCH" ] && scratch_owner=$(stat -c %U "$SCRATCH")
    if [ "$(id -u)" = 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && [ "$owner" = "$SUDO_USER" ] &&
        [ "$scratch_owner" = "$SUDO_USER" ] && command -v runuser >/dev/null 2>&1; then
        run runuser -u "$SUDO_USER" -- env "PATH=$PATH" "HOME=$(getent passwd "$SUDO_USER" | cut -d: -f6)" "$@"
    else
        run "$@"
    fi
}

build() {
    step "Build (release)"
    if [ "$BUILD" = 0 ]; then
        note "skipped (--no-build): using $BIN and $MODULE_BUILT"
    else
        local scratch=()
        [ "$SCRATCH" = "$SRC_DIR/.build" ] || scratch=(--scratch-path "$SCRATCH")
        # The PAM module is Embedded Swift and must be built without --static-swift-stdlib; the executable is
        # linked with the Swift runtime and Foundation inside, so that nothing of the toolchain is needed at run
        # time (check: ldd). Two invocations, each for its own product.
        as_builder "$SWIFT_BIN" build --package-path "$SRC_DIR" "${scratch[@]}" -c release --product pam_idlewarden
        as_builder "$SWIFT_BIN" build --package-path "$SRC_DIR" "${scratch[@]}" -c release --static-swift-stdlib \
            --product idlewarden
    fi
    [ "$DRY_RUN" = 1 ] && [ ! -x "$BIN" ] && return 0
    [ -x "$BIN" ] || die "missing $BIN after the build"
    [ -f "$MODULE_BUILT" ] || die "missing $MODULE_BUILT after the build"
    check_no_toolchain "$BIN"
    check_no_toolchain "$MODULE_BUILT"
}

# A binary that would need the Swift toolchain at run time must not be installed: the daemon would not start on
# a machine without it, and a PAM module that cannot load breaks logins that `require` it.
check_no_toolchain() {
    local deps
    deps=$(ldd "$1" 2>&1) || true
    if printf '%s\n' "$deps" | grep -Eq 'not found|/swift/|libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime'; then
        printf '%s\n' "$deps" | sed 's/^/    ldd: /' >&2
        die "$1 needs libraries from the Swift toolchain (built without --static-swift-stdlib?)"
    fi
    note "ldd $(basename "$1"): $(printf '%s\n' "$deps" | awk '{ print $1 }' | tr '\n' ' ')"
}

# ---------------------------------------------------------------------------------------------------------------
# Installing files (into $DESTDIR, recording every path for the manifest)

FILES=()       # installed files (removed by --uninstall)
CONFIGS=()     # config files written by install.sh (removed only by --purge)
DIRS=()        # directories install.sh created (removed by --uninstall when empty)

in_list() {
    local x=$1; shift
    local e
    for e in "$@"; do [ "$e" = "$x" ] && return 0; done
    return 1
}

# mkdirs DIR: create DIR and its missing parents, remembering which ones install.sh created.
mkdirs() {
    local dir=$1 missing=() d
    d=$dir
    while [ -n "$d" ] && [ "$d" != / ] && [ ! -d "$DESTDIR$d" ] && ! in_list "$d" "${DIRS[@]}"; do
        missing=("$d" "${missing[@]}")
        d=$(dirname "$d")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    run install -d -m 0755 "$DESTDIR$dir"
    for d in "${missing[@]}"; do
        in_list "$d" "${DIRS[@]}" || DIRS+=("$d")
    done
}

owner_opts() {
    if [ "$(id -u)" = 0 ]; then echo "-o root -g root"; fi
}

# put SRC DEST MODE: install a file unless an identical one is there.
put() {
    local src=$1 dest=$2 mode=$3 target=$DESTDIR$2
    mkdirs "$(dirname "$dest")"
    if [ -f "$target" ] && cmp -s "$src" "$target" && [ "$(stat -c %a "$target")" = "${mode#0}" ]; then
        note "unchanged $dest"
    else
        # shellcheck disable=SC2046
        run install $(owner_opts) -m "$mode" "$src" "$target"
    fi
    in_list "$dest" "${FILES[@]}" || FILES+=("$dest")
}

# put_link TARGET DEST: a symbolic link DEST -> TARGET (relative), replacing whatever DEST is.
put_link() {
    local target=$1 dest=$2
    mkdirs "$(dirname "$dest")"
    if [ -L "$DESTDIR$dest" ] && [ "$(readlink "$DESTDIR$dest")" = "$target" ]; then
        note "unchanged $dest -> $target"
    else
        run ln -sfn "$target" "$DESTDIR$dest"
    fi
    in_list "$dest" "${FILES[@]}" || FILES+=("$dest")
}

# from_template SRC OUT: substitute the install paths in a packaging/ template.
from_template() {
    sed -e "s|@BINDIR@|$BIN_DIR|g" -e "s|@VERSION@|$VERSION|g" "$1" >"$2"
}

install_binaries() {
    step "Program and PAM module"
    if [ "$DRY_RUN" = 1 ] && { [ ! -x "$BIN" ] || [ ! -f "$MODULE_BUILT" ]; }; then
        note "(dry run) would install $BIN_DIR/idlewarden (0755), the link $SBIN_DIR/idlewarden and"
        note "$PAM_DIR/pam_idlewarden.so (0644, stripped)"
        FILES+=("$BIN_DIR/idlewarden" "$SBIN_DIR/idlewarden" "$PAM_DIR/pam_idlewarden.so")
        return 0
    fi
    cp "$BIN" "$WORK/idlewarden"
    strip --strip-unneeded "$WORK/idlewarden"
    put "$WORK/idlewarden" "$BIN_DIR/idlewarden" 0755
    put_link ../bin/idlewarden "$SBIN_DIR/idlewarden"
    cp "$MODULE_BUILT" "$WORK/pam_idlewarden.so"
    strip --strip-unneeded "$WORK/pam_idlewarden.so"
    put "$WORK/pam_idlewarden.so" "$PAM_DIR/pam_idlewarden.so" 0644
}

install_docs() {
    step "Manual pages, shell completions, documentation"
    local page section
    for page in idlewarden.8 pam_idlewarden.8 idlewarden.conf.5; do
        section=${page##*.}
        gzip -9nc "$SRC_DIR/man/$page" >"$WORK/$page.gz"
        put "$WORK/$page.gz" "$MAN_DIR/man$section/$page.gz" 0644
    done
    if [ -x "$BIN" ]; then
        # A completion file is sourced, never run: no #! line (lintian: bash-completion-with-hashbang).
        "$BIN" --generate-completion-script bash | sed '1{/^#!/d}' >"$WORK/idlewarden.bash"
        "$BIN" --generate-completion-script zsh >"$WORK/_idlewarden"
        put "$WORK/idlewarden.bash" "$BASH_COMPLETION_DIR/idlewarden" 0644
        put "$WORK/_idlewarden" "$ZSH_COMPLETION_DIR/_idlewarden" 0644
    else
        note "(dry run) would generate and install $BASH_COMPLETION_DIR/idlewarden and $ZSH_COMPLETION_DIR/_idlewarden"
        FILES+=("$BASH_COMPLETION_DIR/idlewarden" "$ZSH_COMPLETION_DIR/_idlewarden")
    fi
    put "$SRC_DIR/README.md" "$DOC_DIR/README.md" 0644
    local f
    for f in "$SRC_DIR"/pam.d/*; do
        [ -f "$f" ] || continue
        put "$f" "$DOC_DIR/examples/pam.d/$(basename "$f")" 0644
    done
    for f in "$SRC_DIR"/pam.d/examples/*; do
        [ -f "$f" ] || continue
        put "$f" "$DOC_DIR/examples/pam.d/$(basename "$f")" 0644
    done
    put "$SRC_DIR/etc/examples/idlewarden.conf" "$DOC_DIR/examples/idlewarden.conf" 0644
    for f in "$SRC_DIR"/etc/examples/drop-in/*.conf; do
        [ -f "$f" ] || continue
        put "$f" "$DOC_DIR/examples/drop-in/$(basename "$f")" 0644
    done
}

# The config: etc/idlewarden.conf (every key commented out: the built-in policy) goes to
# /etc/idlewarden/idlewarden.conf only if there is none; an admin's file is never overwritten, the current one
# goes beside it as idlewarden.conf.dist. The drop-in directory conf.d is made, empty.
install_config() {
    step "Configuration"
    local example=$SRC_DIR/etc/idlewarden.conf
    if [ ! -f "$example" ]; then
        warn "no example config at $example: the daemon will use its built-in defaults"
        return 0
    fi
    mkdirs "$CONF_DIR"
    mkdirs "$CONF_DIR/conf.d"
    if [ ! -e "$DESTDIR$CONF" ]; then
        # shellcheck disable=SC2046
        run install $(owner_opts) -m 0644 "$example" "$DESTDIR$CONF"
        CONFIGS+=("$CONF")
        note "$CONF sets nothing: the built-in policy applies to every login, root included: logged out after"
        note "15m without input, warned 1m before. Change it there, or in drop-ins in $CONF_DIR/conf.d/."
    elif cmp -s "$example" "$DESTDIR$CONF"; then
        note "unchanged $CONF"
        in_list "$CONF" "${OLD_CONFIGS[@]}" && CONFIGS+=("$CONF")
        if [ -f "$DESTDIR$CONF.dist" ] && in_list "$CONF.dist" "${OLD_FILES[@]}"; then
            run rm -f "$DESTDIR$CONF.dist"
        fi
    else
        note "keeping your $CONF; this version's is $CONF.dist (compare: diff $CONF $CONF.dist)"
        in_list "$CONF" "${OLD_CONFIGS[@]}" && CONFIGS+=("$CONF")
        put "$example" "$CONF.dist" 0644
    fi
}

install_service_files() {
    local which=$1 # systemd | sysv | both
    step "Service ($which)"
    if [ "$which" = systemd ] || [ "$which" = both ]; then
        from_template "$SRC_DIR/packaging/idlewarden.service.in" "$WORK/idlewarden.service"
        put "$WORK/idlewarden.service" "$UNIT_DIR/idlewarden.service" 0644
        put "$SRC_DIR/packaging/idlewarden-desktop.conf" "$DESKTOP_DROPIN_SOURCE" 0644
    fi
    if [ "$which" = sysv ] || [ "$which" = both ]; then
        from_template "$SRC_DIR/packaging/idlewarden.init.in" "$WORK/idlewarden.init"
        put "$WORK/idlewarden.init" "$INIT_SCRIPT" 0755
        put "$SRC_DIR/packaging/idlewarden.logrotate" "$LOGROTATE" 0644
    fi
}

# The display manager this machine starts, if any: what Debian's display managers record, or systemd's alias.
display_manager() {
    if [ -s /etc/X11/default-display-manager ]; then
        head -n1 /etc/X11/default-display-manager
    elif [ -L /etc/systemd/system/display-manager.service ]; then
        readlink /etc/systemd/system/display-manager.service
    fi
}

# With a display manager, the unit's sandbox gets the drop-in that desktops need (see the file).
install_desktop_dropin() {
    local dm
    dm=$(display_manager)
    if [ -z "$dm" ]; then
        note "no display manager: the unit's sandbox stays as it is (for desktops see idlewarden(8), DESKTOPS UNDER SYSTEMD)"
        return 0
    fi
    step "Desktops ($dm): the unit's drop-in $DESKTOP_DROPIN"
    mkdirs "$(dirname "$DESKTOP_DROPIN")"
    if [ "$(readlink "$DESKTOP_DROPIN" 2>/dev/null)" = "$DESKTOP_DROPIN_SOURCE" ]; then
        note "unchanged $DESKTOP_DROPIN"
    elif [ -e "$DESKTOP_DROPIN" ] || [ -L "$DESKTOP_DROPIN" ]; then
        note "keeping your $DESKTOP_DROPIN"
        return 0
    else
        run ln -s "$DESKTOP_DROPIN_SOURCE" "$DESKTOP_DROPIN"
    fi
    in_list "$DESKTOP_DROPIN" "${FILES[@]}" || FILES+=("$DESKTOP_DROPIN")
}

install_pam_profile() {
    step "PAM profile"
    put "$SRC_DIR/packaging/pam-configs/idlewarden" "$PAM_PROFILE_DIR/idlewarden" 0644
}

# ---------------------------------------------------------------------------------------------------------------
# The manifest of a live install

OLD_FILES=()
OLD_CONFIGS=()
OLD_DIRS=()
OLD_INIT=
OLD_PAM=

read_manifest() {
    [ -f "$MANIFEST" ] || return 1
    local kind path
    while read -r kind path; do
        case $kind in
            file) OLD_FILES+=("$path") ;;
            config) OLD_CONFIGS+=("$path") ;;
            dir) OLD_DIRS+=("$path") ;;
            init) OLD_INIT=$path ;;
            pam-profile) OLD_PAM=$path ;;
        esac
    done <"$MANIFEST"
    return 0
}

# Keep the entries of an earlier install that still apply: its config files and the directories it created.
merge_old_manifest() {
    local f
    for f in "${OLD_FILES[@]}"; do
        if [ -e "$f" ] && ! in_list "$f" "${FILES[@]}"; then FILES+=("$f"); fi
    done
    for f in "${OLD_CONFIGS[@]}"; do
        if [ -e "$f" ] && ! in_list "$f" "${CONFIGS[@]}"; then CONFIGS+=("$f"); fi
    done
    for f in "${OLD_DIRS[@]}"; do
        in_list "$f" "${DIRS[@]}" || DIRS+=("$f")
    done
}

write_manifest() {
    local init=$1 pam=$2 f
    {
        echo "# idlewarden install manifest: written by install.sh, read by install.sh --uninstall. Do not edit."
        echo "version $VERSION"
        echo "prefix $PREFIX"
        echo "init $init"
        echo "pam-profile $pam"
        for f in "${FILES[@]}"; do echo "file $f"; done
        for f in "${CONFIGS[@]}"; do echo "config $f"; done
        for f in "${DIRS[@]}"; do echo "dir $f"; done
    } >"$WORK/manifest"
    mkdirs "$(dirname "$MANIFEST")"
    run install -m 0644 "$WORK/manifest" "$MANIFEST"
}

# ---------------------------------------------------------------------------------------------------------------
# Service control (live system)

service_stop() { # init system
    if [ "$1" = systemd ]; then
        if systemctl is-active --quiet idlewarden.service 2>/dev/null; then
            run systemctl stop idlewarden.service
        fi
    elif [ -x "$INIT_SCRIPT" ]; then
        run "$INIT_SCRIPT" stop
    fi
}

service_enable_and_start() {
    local init=$1
    step "Start the daemon ($init)"
    if [ "$init" = systemd ]; then
        run systemctl daemon-reload
        run systemctl enable idlewarden.service
        run systemctl restart idlewarden.service
    else
        if command -v update-rc.d >/dev/null 2>&1; then
            run update-rc.d idlewarden defaults
        else
            note "no update-rc.d: link $INIT_SCRIPT into your runlevel directories to start it at boot"
        fi
        run "$INIT_SCRIPT" restart
    fi
    [ "$DRY_RUN" = 1 ] && return 0
    local _
    for _ in $(seq 1 50); do
        daemon_answers "$BIN_DIR/idlewarden" && break
        sleep 0.1
    done
    if daemon_answers "$BIN_DIR/idlewarden"; then
        note "the daemon answers on $SOCKET"
    else
        [ "$init" = sysv ] && [ -f "$LOGFILE" ] && tail -n 20 "$LOGFILE" | sed 's/^/    log: /' >&2
        die "the daemon does not answer on $SOCKET (see $([ "$init" = systemd ] && echo 'journalctl -u idlewarden' || echo "$LOGFILE") and /var/log/auth.log)"
    fi
}

service_disable_and_remove_links() {
    local init=$1
    if [ "$init" = systemd ]; then
        if command -v systemctl >/dev/null 2>&1; then
            run systemctl disable --now idlewarden.service || true
        fi
    else
        [ -x "$INIT_SCRIPT" ] && run "$INIT_SCRIPT" stop
        if command -v update-rc.d >/dev/null 2>&1 && ls /etc/rc?.d/[SK][0-9][0-9]idlewarden >/dev/null 2>&1; then
            run update-rc.d -f idlewarden remove
        fi
    fi
}

# ---------------------------------------------------------------------------------------------------------------
# PAM

pam_enable() {
    step "Enable the PAM module"
    if ! command -v pam-auth-update >/dev/null 2>&1; then
        note "this system has no pam-auth-update. Add this line to the PAM services that should be watched,"
        note "after their other session lines (e.g. /etc/pam.d/sshd, /etc/pam.d/login; see $DOC_DIR/examples/pam.d):"
        note ""
        note "    $PAM_LINE"
        return 1
    fi
    run env DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable idlewarden
    [ "$DRY_RUN" = 1 ] && return 0
    if grep -qs 'pam_idlewarden\.so' /etc/pam.d/common-session; then
        note "enabled: $(grep -h 'pam_idlewarden\.so' /etc/pam.d/common-session | tr -s '\t ' ' ')  (in /etc/pam.d/common-session)"
        return 0
    fi
    warn "pam-auth-update did not add the module to /etc/pam.d/common-session (local changes to the common-* files"
    warn "make it refuse; see pam-auth-update(8)). Add this line to /etc/pam.d/common-session yourself:"
    warn "    $PAM_LINE"
    return 1
}

pam_disable() {
    step "Disable the PAM module"
    if [ -f "$PAM_PROFILE_DIR/idlewarden" ] && command -v pam-auth-update >/dev/null 2>&1; then
        run env DEBIAN_FRONTEND=noninteractive pam-auth-update --package --remove idlewarden
    else
        note "no pam-auth-update profile installed"
    fi
}

PAM_MODULE_RE='(^|[[:space:]/])pam_idlewarden\.so([[:space:]]|$)'

# True if one of FILES names the module on a session line whose control is not `optional`.
pam_required_lines() {
    grep -hE '^[[:space:]]*-?session[[:space:]]+(required|requisite|sufficient|\[)' "$@" 2>/dev/null |
        grep -qE "$PAM_MODULE_RE"
}

pam_show_references() {
    warn "these PAM files still name pam_idlewarden.so:"
    grep -HnE "$PAM_MODULE_RE" "$@" | sed 's/^/    /' >&2
}

# Files in /etc/pam.d that name the module (lines written by hand, or left by pam-auth-update).
pam_references() {
    grep -lsE '(^|[[:space:]/])pam_idlewarden\.so([[:space:]]|$)' /etc/pam.d/* 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------------------------
# The logins open while idlewarden is installed

# What the daemon does to the logins that were open before it started, as it says itself: the ones it watches
# (adopted at start; `status` gives each one's limit and when it will be warned and logged out if nobody types),
# and those who(1) lists that it does not watch.
report_open_logins() {
    local pam_state=$1 table line tty unwatched=()
    step "Logins open now"
    if ! table=$("$BIN_DIR/idlewarden" status --socket "$SOCKET" 2>&1); then
        warn "idlewarden status failed: $table"
        return 0
    fi
    if printf '%s\n' "$table" | grep -qx '(no sessions)'; then
        note "the daemon watches no login yet. It watches every login that opens from now on through PAM$(
            [ "$pam_state" = enabled ] || echo " (once the module is in the PAM stack)")."
    else
        note "the daemon watches these logins; those open before it started were adopted (SERVICE adopted)."
        note "Without input, each is warned and then logged out as NEXT says (exempt ones never are); type in a"
        note "session, or run \`idlewarden keepalive\` in it, to keep it:"
        printf '%s\n' "$table" | sed 's/^/      /'
    fi
    while IFS= read -r line; do
        tty=$(printf '%s\n' "$line" | awk '{ print $2 }')
        [ -n "$tty" ] || continue
        printf '%s\n' "$table" | awk 'NR > 1 { print $4 }' | tr ',' '\n' | grep -qxF "$tty" || unwatched+=("$line")
    done < <(who 2>/dev/null)
    if [ ${#unwatched[@]} -gt 0 ]; then
        note "open logins (who) that the daemon does not watch; they are never warned or logged out, their next"
        note "login is watched:"
        printf '      %s\n' "${unwatched[@]}"
    fi
    return 0
}

# ---------------------------------------------------------------------------------------------------------------
# Modes

do_install() {
    local init pam_state=disabled live=1
    [ -n "$DESTDIR" ] && live=0
    if [ "$live" = 1 ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
        die "installing needs root: sudo ./install.sh (or --destdir DIR to stage, --dry-run to look)"
    fi
    if [ "$live" = 1 ] && command -v dpkg-query >/dev/null 2>&1 &&
        dpkg-query -W -f='${Status}\n' idlewarden 2>/dev/null | grep -q ' installed$'; then
        die "the idlewarden package is installed; upgrade it with dpkg -i, or remove it (apt remove idlewarden) first"
    fi
    step "Detect"
    PAM_DIR=$(detect_pam_dir) || die "cannot find the PAM module directory (no pam_unix.so found); pass --pam-dir DIR"
    note "PAM module directory: $PAM_DIR (where pam_unix.so is)"
    if [ "$live" = 1 ]; then
        init=$(init_system)
        note "init system: $init$([ "$init" = sysv ] && echo ' (systemd is not PID 1: /etc/init.d script)')"
    else
        init=both
        note "staging into $DESTDIR (systemd unit and init script both staged; nothing started, PAM untouched)"
    fi
    note "prefix: $PREFIX"
    [ "$live" = 1 ] && read_manifest && note "upgrading the install recorded in $MANIFEST (version $(awk '$1 == "version" { print $2 }' "$MANIFEST"))"

    ensure_build_deps
    build
    VERSION=$(version)
    note "version $VERSION"

    step "Check the configuration with the new binary"
    local checked=$CONF
    [ -e "$DESTDIR$CONF" ] || checked=$SRC_DIR/etc/idlewarden.conf
    if [ -x "$BIN" ] && [ -f "$checked" ]; then
        if ! "$BIN" check-config "$checked" 2>&1 | sed 's/^/    /'; then
            die "$checked has errors (above); fix it before installing, the daemon would refuse to start"
        fi
    else
        note "(nothing to check yet)"
    fi

    INIT_USED=$init
    PAM_STATE=$OLD_PAM
    [ "$live" = 1 ] && RECORD_ON_FAILURE=1
    local was_running=0
    if [ "$live" = 1 ] && daemon_answers "$(installed_program)"; then
        was_running=1
        step "Stop the running daemon before replacing it (sessions are kept in $STATE_DIR)"
        service_stop "$init"
    fi

    install_binaries
    install_docs
    install_config
    install_service_files "$init"
    if [ "$live" = 1 ] && [ "$init" = systemd ]; then install_desktop_dropin; fi
    if [ "$ENABLE" = 1 ] || [ "$live" = 0 ]; then install_pam_profile; fi

    if [ "$live" = 0 ]; then
        step "Staged into $DESTDIR"
        (cd "$DESTDIR" && find . -type f -o -type l | sed 's|^\.|    |' | sort)
        return 0
    fi

    service_enable_and_start "$init"

    if [ "$ENABLE" = 1 ]; then
        PAM_STATE=enabled # from here on --uninstall must run pam-auth-update --remove
        pam_enable && pam_state=enabled
    else
        step "PAM left untouched (--no-enable)"
        if [ "$OLD_PAM" = enabled ]; then
            pam_disable
        fi
        note "to watch logins, add this line to the services you want (see pam_idlewarden(8)):"
        note "    $PAM_LINE"
    fi

    # Files of an earlier install that this one no longer has (other options, older version).
    local f
    for f in "${OLD_FILES[@]}"; do
        if ! in_list "$f" "${FILES[@]}" && [ -e "$f" ]; then run rm -f "$f"; fi
    done
    OLD_FILES=()
    merge_old_manifest

    step "Manifest"
    write_manifest "$init" "$pam_state"
    RECORD_ON_FAILURE=0

    if [ "$DRY_RUN" = 0 ]; then report_open_logins "$pam_state"; fi

    step "Done"
    note "config: $CONF (check: idlewarden check-config; apply: $([ "$init" = systemd ] && echo 'systemctl reload idlewarden' || echo "$INIT_SCRIPT reload"))"
    note "audit trail: grep idlewarden /var/log/auth.log$([ "$init" = systemd ] && echo '   or   journalctl -t idlewarden')"
    note "remove: sudo ./install.sh --uninstall   (or --purge to remove config and state too)"
    [ "$was_running" = 1 ] && note "the daemon was restarted with the new version"
    return 0
}

do_uninstall() {
    if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then die "uninstalling needs root: sudo ./install.sh --uninstall"; fi
    if ! read_manifest; then
        if command -v dpkg-query >/dev/null 2>&1 &&
            dpkg-query -W -f='${Status}\n' idlewarden 2>/dev/null | grep -q ' installed$'; then
            die "idlewarden was installed from the .deb: remove it with apt remove idlewarden (apt purge idlewarden)"
        fi
        note "no install manifest ($MANIFEST): nothing installed by install.sh"
        [ "$PURGE" = 1 ] && purge_data
        return 0
    fi
    step "Uninstall the install recorded in $MANIFEST"
    local init=${OLD_INIT:-sysv}

    # Before anything changes: a line written by hand that names the module with a control other than
    # `optional` would fail every login through it once the module is gone. (The common-* lines are
    # pam-auth-update's, removed with the profile below.)
    local refs=()
    mapfile -t refs < <(pam_references | grep -v '^/etc/pam.d/common-')
    if [ ${#refs[@]} -gt 0 ] && pam_required_lines "${refs[@]}" && [ "$FORCE" = 0 ]; then
        pam_show_references "${refs[@]}"
        die "a non-optional line would fail every login once the module is gone: remove those lines first (or pass --force)"
    fi

    # PAM first: new logins stop calling the module before it disappears.
    if [ "$OLD_PAM" = enabled ] || [ -f "$PAM_PROFILE_DIR/idlewarden" ]; then pam_disable; fi
    mapfile -t refs < <(pam_references)
    if [ ${#refs[@]} -gt 0 ] && [ "$DRY_RUN" = 0 ]; then
        pam_show_references "${refs[@]}"
        if pam_required_lines "${refs[@]}" && [ "$FORCE" = 0 ]; then
            die "a non-optional line would fail every login once the module is gone: remove those lines first (or pass --force)"
        fi
        warn "remove those lines: with the module gone, libpam logs an error for every login through them"
    fi

    step "Stop the daemon"
    service_disable_and_remove_links "$init"

    step "Remove files"
    local f
    for f in "${OLD_FILES[@]}"; do
        if [ -e "$f" ] || [ -L "$f" ]; then run rm -f "$f"; fi
    done
    if [ "$init" = systemd ] && command -v systemctl >/dev/null 2>&1; then run systemctl daemon-reload; fi
    for f in "${OLD_CONFIGS[@]}"; do
        if [ "$PURGE" = 1 ]; then
            [ -e "$f" ] && run rm -f "$f"
        elif [ -e "$f" ]; then
            note "kept $f (your configuration; --purge removes it)"
        fi
    done
    if [ -d "$RUN_DIR" ]; then run rm -rf "$RUN_DIR"; fi
    [ "$PURGE" = 1 ] && purge_data
    # Directories install.sh created, deepest first, when empty.
    local dirs
    dirs=$(printf '%s\n' "${OLD_DIRS[@]}" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
    while IFS= read -r f; do
        [ -n "$f" ] && [ -d "$f" ] || continue
        if [ -z "$(ls -A "$f")" ]; then run rmdir "$f"; else note "kept $f (not empty)"; fi
    done <<<"$dirs"
    run rm -f "$MANIFEST"
    step "Done: idlewarden is uninstalled$([ "$PURGE" = 1 ] && echo ', configuration and state purged')"
}

purge_data() {
    step "Purge configuration, state and logs"
    local p
    for p in "$CONF_DIR" "$STATE_DIR" "$RUN_DIR" "$PIDFILE"; do
        if [ -e "$p" ]; then run rm -rf "$p"; fi
    done
    for p in "$LOGFILE" "$LOGFILE".*; do
        if [ -e "$p" ]; then run rm -f "$p"; fi
    done
}

do_deb() {
    command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is missing (apt-get install dpkg)"
    PAM_DIR=$(detect_pam_dir) || die "cannot find the PAM module directory (no pam_unix.so found); pass --pam-dir DIR"
    ensure_build_deps
    build
    VERSION=$(version)
    local arch root out
    arch=$(dpkg --print-architecture)
    root=$WORK/deb
    DESTDIR=$root
    [ "$DRY_RUN" = 1 ] && { note "(dry run) would stage the package tree and run dpkg-deb"; return 0; }
    step "Stage the package tree"
    install_binaries
    install_docs
    install_service_files both
    install_pam_profile
    mkdirs "$CONF_DIR/conf.d"
    put "$SRC_DIR/etc/idlewarden.conf" "$CONF" 0644
    local maintainer commit date
    maintainer=$(deb_maintainer) || exit 1
    note "Maintainer: $maintainer"
    # Debian's copyright file (machine-readable) and, for a native package (no Debian revision in the version),
    # changelog.gz, dated SOURCE_DATE_EPOCH when set (reproducible builds), else by the commit it was built from
    # (when git can read the checkout), else now.
    put "$SRC_DIR/packaging/copyright" "$DOC_DIR/copyright" 0644
    commit=$(git -C "$SRC_DIR" log -1 --format='%h %ct' 2>/dev/null) || commit=
    date=${SOURCE_DATE_EPOCH:-${commit#* }}
    date=$(date -R -u ${date:+-d "@$date"})
    printf 'idlewarden (%s) unstable; urgency=medium\n\n  * Package built by install.sh --deb from %s.\n\n -- %s  %s\n' \
        "$VERSION" "${commit:+commit ${commit%% *}}${commit:-a checkout}" "$maintainer" "$date" |
        gzip -9n >"$WORK/changelog.gz"
    put "$WORK/changelog.gz" "$DOC_DIR/changelog.gz" 0644

    step "Control files"
    install -d -m 0755 "$root/DEBIAN"
    local depends
    depends=$(deb_depends "$root$BIN_DIR/idlewarden" "$root$PAM_DIR/pam_idlewarden.so")
    cat >"$root/DEBIAN/control" <<EOF
Package: idlewarden
Version: $VERSION
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: admin
Priority: optional
Description: log out idle login sessions (SSH, console, su), warning users first
 idlewarden ends idle Linux login sessions. A PAM session module
 (pam_idlewarden.so) tells a daemon when a session opens and closes; the
 daemon watches each session's terminals for input, warns the user, and logs
 the session out cleanly when it has been idle too long. Members of excluded
 groups are never logged out, and every decision is written to the system log
 (authpriv).
 .
 The module is enabled for every login through a pam-auth-update profile with
 "session optional": logins never depend on the daemon.
EOF
    printf '%s\n' "$CONF" "$INIT_SCRIPT" "$LOGROTATE" >"$root/DEBIAN/conffiles"
    local script
    for script in preinst postinst prerm postrm; do
        install -m 0755 "$SRC_DIR/packaging/deb/$script" "$root/DEBIAN/$script"
    done
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
        >"$root/DEBIAN/md5sums"
    out=${DEB_OUTPUT:-$SCRATCH/deb}
    mkdir -p "$out"
    step "Build the package"
    run dpkg-deb --root-owner-group --build "$root" "$out/idlewarden_${VERSION}_${arch}.deb"
    note "install: sudo dpkg -i $out/idlewarden_${VERSION}_${arch}.deb   remove: sudo apt remove idlewarden (purge: apt purge)"
}

# The package's Maintainer: --maintainer, else DEBFULLNAME and DEBEMAIL, else the project's maintainers (who
# commit to its repository). Not root or a local address: Debian (lintian) wants a person or team that can be
# written to.
PROJECT_MAINTAINER='idlewarden maintainers <maintainers@users.noreply.b-seed-8f5cae79.example>'
deb_maintainer() {
    local m=$DEB_MAINTAINER
    if [ -z "$m" ] && [ -n "${DEBEMAIL:-}" ]; then
        case $DEBEMAIL in
            *'<'*) m=$DEBEMAIL ;;
            *) m="${DEBFULLNAME:-idlewarden maintainers} <$DEBEMAIL>" ;;
        esac
    fi
    [ -n "$m" ] || m=$PROJECT_MAINTAINER
    case $m in
        *'<root@'* | *'@localhost>'* | *'@localhost.'* | root\ * ) die "the Maintainer must not be root or a local address: $m (pass --maintainer \"NAME <EMAIL>\")" ;;
        *' <'*@*'>' ) printf '%s\n' "$m" ;;
        * ) die "the Maintainer must read \"NAME <EMAIL>\": $m" ;;
    esac
}

# Depends: the packages of the shared libraries the binaries load (libc6 at the newest GLIBC symbol version
# they use), libpam0g, and libpam-runtime for pam-auth-update.
deb_depends() {
    local libs lib real pkg glibc bin needed deps=()
    # Only the libraries the binaries name themselves (DT_NEEDED), resolved where ldd finds them.
    libs=$(for bin in "$@"; do
        needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
        ldd "$bin" | awk -v needed=" $(printf '%s ' $needed)" '$2 == "=>" && index(needed, " " $1 " ") { print $3 }'
    done | sort -u)
    for lib in $libs; do
        real=$(readlink -f "$lib")
        pkg=$(dpkg-query -S "$lib" 2>/dev/null || dpkg-query -S "$real" 2>/dev/null ||
            dpkg-query -S "${lib#/usr}" 2>/dev/null || dpkg-query -S "/usr$lib" 2>/dev/null || true)
        pkg=$(printf '%s\n' "$pkg" | head -n1 | cut -d: -f1)
        [ -n "$pkg" ] || continue
        in_list "$pkg" "${deps[@]}" || deps+=("$pkg")
    done
    glibc=$(objdump -T "$@" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
    # Packed relative relocations (DT_RELR, see Package.swift) are read by glibc 2.36 and later.
    if readelf -V "$@" 2>/dev/null | grep -q 'GLIBC_ABI_DT_RELR'; then
        glibc=$(printf '%s\n' "${glibc:-0}" 2.36 | sort -V | tail -n1)
    fi
    local out=() d
    for d in "${deps[@]}"; do
        if [ "$d" = libc6 ] && [ -n "$glibc" ]; then out+=("libc6 (>= $glibc)"); else out+=("$d"); fi
    done
    in_list libpam0g "${deps[@]}" || out+=(libpam0g)
    out+=("libpam-runtime (>= 1.0.1-6)")
    (IFS=,; printf '%s\n' "${out[*]}" | sed 's/,/, /g')
}

case $MODE in
    install) do_install ;;
    uninstall) do_uninstall ;;
    deb) do_deb ;;
esac
