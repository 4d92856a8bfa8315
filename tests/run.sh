#!/usr/bin/env bash
# The idlewarden test suite: release build, unit tests, then the end-to-end tests (as root, on the real thing).
#
#   bash tests/run.sh                  everything (what CI runs: .ci/run), ending with tests/mutants/run.sh
#   bash tests/run.sh e2e [PATTERN]    only the end-to-end tests whose name matches the ERE PATTERN
#                                      (no build, no unit tests: uses the existing .build/release,
#                                      or IW_BUILD_DIR if set)
#
# Every e2e test is a function named test_* in tests/e2e/*.sh (module.sh, daemon.sh, enforce.sh, then any other
# file; functions in file order). Each runs in its own bash process, with its own cleanup, under a timeout
# (IW_TEST_TIMEOUT, default 240 s). One line per test: PASS|FAIL NAME SECONDS; the last line is
# "N passed, M failed"; the exit status is non-zero if anything failed. A missing tool is a failure, not a skip.
# Logs of every test are kept in IW_LOG_DIR (default /tmp/idlewarden-e2e-logs); a failing test's log is printed.

set -u
set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
E2E_DIR=$ROOT/tests/e2e
LIB=$E2E_DIR/lib.sh

mode=all
pattern=
case "${1:-}" in
    "") ;;
    e2e) mode=e2e; pattern=${2:-} ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "usage: bash tests/run.sh [e2e [PATTERN]]" >&2; exit 2 ;;
esac

if [[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]]; then
    PATH=$PATH:/opt/swift/usr/bin
fi
export PATH LC_ALL=C.UTF-8

export IW_LOG_DIR=${IW_LOG_DIR:-/tmp/idlewarden-e2e-logs}
IW_TEST_TIMEOUT=${IW_TEST_TIMEOUT:-240}
export IW_ROOT=$ROOT
IW_BUILD_DIR=${IW_BUILD_DIR:-$ROOT/.build/release} # the binaries under test (override only to try another build)
export IW_BIN=$IW_BUILD_DIR/idlewarden
export IW_SO=$IW_BUILD_DIR/libpam_idlewarden.so
export IDLEWARDEN_MODULE=$IW_SO # tests/e2e/module.sh

passed=0
failed=0
results=()

record() { # PASS|FAIL NAME SECONDS
    printf '%s %s %ss\n' "$1" "$2" "$3"
    results+=("$1 $2")
    if [[ $1 == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

show_log() { # FILE [LINES]
    local lines=${2:-120}
    echo "    ---- last $lines lines of $1 ----"
    tail -n "$lines" "$1" | sed 's/^/    /'
    echo "    ----"
}

finish() {
    local measures
    measures=$(grep -h '^IW-MEASURE ' "$IW_LOG_DIR"/*/test.log 2>/dev/null)
    if [[ -n $measures ]]; then
        echo "measurements (lateness = logout time - (last input + idle_timeout)):"
        sed 's/^IW-MEASURE /  /' <<<"$measures"
    fi
    if ((failed > 0)); then
        echo "failed:"
        printf '%s\n' "${results[@]}" | awk '$1 == "FAIL" { print "  " $2 }'
    fi
    echo "logs: $IW_LOG_DIR"
    echo "$passed passed, $failed failed"
    exit $((failed > 0 ? 1 : 0))
}

# ---------------------------------------------------------------------------------------------------------------
# Prerequisites: fail (never skip) when something the tests need is missing.

[[ $IW_LOG_DIR == /tmp/idlewarden-e2e-logs ]] && rm -rf "$IW_LOG_DIR" # only ever the default, never a given dir
mkdir -p "$IW_LOG_DIR"

missing=()
for tool in pamtester tmux rsyslogd python3 ssh ssh-keygen useradd userdel groupadd groupdel runuser setsid \
    timeout pgrep pkill ps login su sha256sum logger unshare mount readelf nm ldd; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[[ -x /usr/sbin/sshd ]] || missing+=(/usr/sbin/sshd)
[[ -x /usr/bin/python3 ]] || command -v python3 >/dev/null 2>&1 || missing+=(python3)
[[ $mode == all ]] && { command -v swift >/dev/null 2>&1 || missing+=(swift); }
if ((${#missing[@]} > 0)); then
    echo "missing tools: ${missing[*]} (on Debian 12: .ci/run installs them)"
    record FAIL prerequisites 0
    finish
fi
if [[ $(id -u) != 0 ]]; then
    echo "the end-to-end tests must run as root (they create users, pam.d services, an sshd)"
    record FAIL prerequisites 0
    finish
fi

# ---------------------------------------------------------------------------------------------------------------
# Build and unit tests

if [[ $mode == all ]]; then
    start=$SECONDS
    if swift build -c release >"$IW_LOG_DIR/build.log" 2>&1; then
        record PASS build $((SECONDS - start))
    else
        record FAIL build $((SECONDS - start))
        show_log "$IW_LOG_DIR/build.log" 60
        finish # nothing else can be tested without the binaries
    fi
    start=$SECONDS
    if swift test >"$IW_LOG_DIR/unit.log" 2>&1; then
        record PASS unit-tests $((SECONDS - start))
    else
        record FAIL unit-tests $((SECONDS - start))
        show_log "$IW_LOG_DIR/unit.log" 80
    fi
fi

for f in "$IW_BIN" "$IW_SO"; do
    if [[ ! -f $f ]]; then
        echo "not built: $f (run: swift build -c release)"
        record FAIL prerequisites 0
        finish
    fi
done

# ---------------------------------------------------------------------------------------------------------------
# End-to-end tests

# shellcheck source=e2e/lib.sh
source "$LIB"
iw_pam_restore_stale # pam.d files left modified by a test that was killed
iw_sweep_stale       # users and groups left by a test that was killed
# rsyslogd up and writing authpriv to auth.log (each test checks again).
if ! (IW_TEST=prerequisites; iw_syslog_start) >"$IW_LOG_DIR/syslog.log" 2>&1; then
    cat "$IW_LOG_DIR/syslog.log"
    record FAIL syslog 0
fi

files=()
for f in module daemon enforce; do [[ -f $E2E_DIR/$f.sh ]] && files+=("$E2E_DIR/$f.sh"); done
for f in "$E2E_DIR"/*.sh; do
    case ${f##*/} in lib.sh | module.sh | daemon.sh | enforce.sh) ;; *) files+=("$f") ;; esac
done

# The test functions of a file, in the order they are written (NAME() or function NAME).
tests_in() {
    grep -oE '^[[:space:]]*(function[[:space:]]+test_[A-Za-z0-9_]+|test_[A-Za-z0-9_]+[[:space:]]*\(\))' "$1" |
        sed -E 's/^[[:space:]]*(function[[:space:]]+)?//; s/[[:space:]]*\(\)$//'
}

for file in "${files[@]}"; do
    for name in $(tests_in "$file"); do
        if [[ -n $pattern ]] && ! grep -qE -- "$pattern" <<<"$name"; then continue; fi
        rm -rf "${IW_LOG_DIR:?}/$name"
        mkdir -p "$IW_LOG_DIR/$name"
        log=$IW_LOG_DIR/$name/test.log
        export IW_FAIL_FILE=$IW_LOG_DIR/$name/failures
        : >"$IW_FAIL_FILE"
        start=$SECONDS
        # setsid: no controlling terminal (the daemon must never mistake the runner's terminal for a session's);
        # timeout signals the whole process group, then the test's EXIT trap cleans up.
        setsid -w timeout -k 30 "$IW_TEST_TIMEOUT" \
            bash -c 'source "$1" && source "$2" && iw_run_test "$3"' iw-test "$LIB" "$file" "$name" \
            </dev/null >"$log" 2>&1
        rc=$?
        secs=$((SECONDS - start))
        if ((rc == 0)) && [[ ! -s $IW_FAIL_FILE ]]; then
            record PASS "$name" "$secs"
        else
            ((rc == 124 || rc == 137)) && echo "timeout after ${IW_TEST_TIMEOUT}s" >>"$log"
            record FAIL "$name" "$secs"
            if [[ -s $IW_FAIL_FILE ]]; then awk '!seen[$0]++ { print "    reason: " $0 }' "$IW_FAIL_FILE"; fi
            show_log "$log" 80
            [[ -s $IW_LOG_DIR/$name/daemon.log ]] && show_log "$IW_LOG_DIR/$name/daemon.log" 30
        fi
    done
done

# Mutation testing in miniature (tests/mutants/run.sh): broken copies of the product that the e2e tests above
# must fail on. Full runs only.
if [[ $mode == all ]]; then
    start=$SECONDS
    bash "$ROOT/tests/mutants/run.sh" >"$IW_LOG_DIR/mutants.log" 2>&1
    rc=$?
    sed 's/^/    /' "$IW_LOG_DIR/mutants.log"
    if ((rc == 0)); then record PASS mutants-caught $((SECONDS - start)); else record FAIL mutants-caught $((SECONDS - start)); fi
fi

if ((passed + failed == 0)); then
    echo "no test matched '${pattern}'"
    record FAIL no-tests 0
fi
finish
