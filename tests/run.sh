#!/usr/bin/env bash
# The idlewarden test suite: the release build (as install.sh builds it), then the unit tests (swift test, in
# .build-unit, at nice 10) beside the end-to-end tests (as root, on the real thing).
#
#   bash tests/run.sh                  everything (what CI runs: .ci/run), tests/mutants/run.sh beside the e2e tests
#   bash tests/run.sh e2e [PATTERN]    only the end-to-end tests whose name matches the ERE PATTERN
#                                      (no build, no unit tests: uses the existing .build/release,
#                                      or IW_BUILD_DIR if set)
#
# Every e2e test is a function named test_* in tests/e2e/*.sh (module.sh, daemon.sh, enforce.sh, then any other
# file but lib*.sh; functions in file order). Each runs in its own bash process, with its own cleanup, under a
# timeout (IW_TEST_TIMEOUT, default 240 s). Up to IW_JOBS tests (default 6) run at the same time: most of them
# sleep while they wait for an idle timeout, and each has its own users, ports, pam.d service and daemon. A test
# that cannot share the machine says so in the comment block right above its function, or, for every test of a
# file, in the file's first comment block:
#   # iw: serial            runs alone: nothing else runs while it does
#   # iw: lock NAME...      never runs at the same time as another test that holds one of these locks
#   # iw: timeout SECONDS   its own timeout instead of IW_TEST_TIMEOUT
#   # iw: long              it takes minutes: it starts before the others
#   # iw: root              it runs idlewarden in a Debian root of its own (tests/e2e/lib-roots.sh): the runner
#                           fills the root cache in the background from the start
#   # iw: deb               it installs the package (iw_root_deb): the runner builds it in the background once
#                           the build is done
# Long tests start first, serial tests after the others. One line per test, in file order whatever order they
# run and finish in: PASS|FAIL NAME SECONDS; then a time line (wall time of the end-to-end tests and the sum of
# their times); the last line is "N passed, M failed"; the exit status is non-zero if anything failed. A missing
# tool is a failure, not a skip.
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
    -h | --help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "usage: bash tests/run.sh [e2e [PATTERN]]" >&2; exit 2 ;;
esac

if [[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]]; then
    PATH=$PATH:/opt/swift/usr/bin
fi
export PATH LC_ALL=C.UTF-8

export IW_LOG_DIR=${IW_LOG_DIR:-/tmp/idlewarden-e2e-logs}
IW_TEST_TIMEOUT=${IW_TEST_TIMEOUT:-240}
IW_JOBS=${IW_JOBS:-6}
[[ $IW_JOBS =~ ^[1-9][0-9]*$ ]] || { echo "IW_JOBS must be a positive number: $IW_JOBS" >&2; exit 2; }
export IW_ROOT=$ROOT
IW_BUILD_DIR=${IW_BUILD_DIR:-$ROOT/.build/release} # the binaries under test (override only to try another build)
export IW_BUILD_DIR
export IW_BIN=$IW_BUILD_DIR/idlewarden
export IW_SO=$IW_BUILD_DIR/libpam_idlewarden.so
export IDLEWARDEN_MODULE=$IW_SO # tests/e2e/module.sh

passed=0
failed=0
results=()
suite_start=$SECONDS

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

# Things the run shares between its tests (e.g. the .deb the systemd tests install): IW_RUN_SHARED, removed at
# the end. Background helpers of the runner itself (the root cache being filled) are stopped at the end too.
IW_RUN_SHARED=$(mktemp -d /tmp/iwrun-XXXXXX) || exit 2
chmod 0755 "$IW_RUN_SHARED"
export IW_RUN_SHARED
helper_pids=()
end_run() {
    local pid
    for pid in ${helper_pids[@]+"${helper_pids[@]}"}; do kill -TERM -- "-$pid" 2>/dev/null; done
    for pid in ${helper_pids[@]+"${helper_pids[@]}"}; do wait "$pid" 2>/dev/null; done
    rm -rf "$IW_RUN_SHARED"
}

finish() {
    local measures
    measures=$(grep -h '^IW-MEASURE ' "$IW_LOG_DIR"/*/test.log 2>/dev/null)
    if [[ -n $measures ]]; then
        echo "measurements (lateness = logout time - (last input + idle_timeout)):"
        sed 's/^IW-MEASURE /  /' <<<"$measures"
    fi
    if ((failed > 0)); then
        # Each failure's reason and the daemon's last lines again here, at the end: what a CI log that keeps only
        # its tail still shows.
        echo "failed:"
        local name
        for name in $(printf '%s\n' "${results[@]}" | awk '$1 == "FAIL" { print $2 }'); do
            echo "  $name"
            head -n 3 "$IW_LOG_DIR/$name/failures" 2>/dev/null | cut -c 1-400 | sed 's/^/      reason: /'
            tail -n 4 "$IW_LOG_DIR/$name/daemon.log" 2>/dev/null | cut -c 1-400 | sed 's/^/      daemon: /'
        done
    fi
    [[ -n ${e2e_wall:-} ]] && echo "time: end-to-end tests ${e2e_wall}s with IW_JOBS=$IW_JOBS (their times add up to ${e2e_sum}s); whole run $((SECONDS - suite_start))s"
    echo "logs: $IW_LOG_DIR"
    end_run
    echo "$passed passed, $failed failed"
    exit $((failed > 0 ? 1 : 0))
}

# ---------------------------------------------------------------------------------------------------------------
# The tests to run, and what each needs from the runner

files=()
for f in module daemon enforce; do [[ -f $E2E_DIR/$f.sh ]] && files+=("$E2E_DIR/$f.sh"); done
for f in "$E2E_DIR"/*.sh; do
    case ${f##*/} in lib*.sh | module.sh | daemon.sh | enforce.sh) ;; *) files+=("$f") ;; esac
done

# "NAME<TAB>MARKERS" for each test of a file, in the order they are written (NAME() or function NAME). MARKERS:
# the "# iw: ..." lines of the file's first comment block and of the comment block right above the function,
# joined with ";".
tests_in() {
    awk '
        function trim(s) { sub(/^[[:space:]]+/, "", s); sub(/[[:space:]]+$/, "", s); return s }
        /^[[:space:]]*#/ {
            if (match($0, /^[[:space:]]*#[[:space:]]*iw:[[:space:]]*/)) {
                m = trim(substr($0, RSTART + RLENGTH))
                block = block (block == "" ? "" : ";") m
            }
            next
        }
        {
            if (!seen_code) { header = block; seen_code = 1 }
            if (match($0, /^[[:space:]]*(function[[:space:]]+)?test_[A-Za-z0-9_]+[[:space:]]*(\(\))?/) &&
                ($0 ~ /^[[:space:]]*function[[:space:]]/ || $0 ~ /\(\)/)) {
                name = $0
                sub(/^[[:space:]]*(function[[:space:]]+)?/, "", name)
                sub(/[^A-Za-z0-9_].*$/, "", name)
                markers = header
                if (block != "" && block != header) markers = markers (markers == "" ? "" : ";") block
                print name "\t" markers
            }
            block = ""
        }
    ' "$1"
}

t_file=() t_name=() t_serial=() t_locks=() t_timeout=() t_long=()
roots_needed=0 deb_needed=0
for file in "${files[@]}"; do
    while IFS=$'\t' read -r name markers; do
        [[ -n $name ]] || continue
        if [[ -n $pattern ]] && ! grep -qE -- "$pattern" <<<"$name"; then continue; fi
        serial=0 locks=" " timeout=$IW_TEST_TIMEOUT long=0
        IFS=';' read -ra marks <<<"$markers"
        for m in ${marks[@]+"${marks[@]}"}; do
            read -ra words <<<"$m"
            case ${words[0]:-} in
                serial) serial=1 ;;
                lock) for w in "${words[@]:1}"; do locks+="$w "; done ;;
                timeout) [[ ${words[1]:-} =~ ^[0-9]+$ ]] && timeout=${words[1]} ;;
                long) long=1 ;;
                root) roots_needed=1 ;;
                deb) roots_needed=1 deb_needed=1 ;;
                *) echo "unknown marker '# iw: $m' for $name in ${file##*/} (known: serial, lock NAME..., timeout SECONDS, long, root, deb)" >&2 ;;
            esac
        done
        t_file+=("$file") t_name+=("$name") t_serial+=("$serial") t_locks+=("$locks") t_timeout+=("$timeout")
        t_long+=("$long")
    done < <(tests_in "$file")
done

# ---------------------------------------------------------------------------------------------------------------
# Prerequisites: fail (never skip) when something the tests need is missing.

[[ $IW_LOG_DIR == /tmp/idlewarden-e2e-logs ]] && rm -rf "$IW_LOG_DIR" # only ever the default, never a given dir
mkdir -p "$IW_LOG_DIR"

missing=()
for tool in pamtester tmux rsyslogd python3 ssh ssh-keygen useradd userdel groupadd groupdel runuser setsid \
    timeout pgrep pkill ps login su sha256sum logger unshare mount readelf nm ldd flock; do
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
trap 'echo "interrupted"; stop_all; finish' INT TERM

# The tests that run idlewarden in a Debian root of their own (tests/e2e/lib-roots.sh) wait for its cached image,
# and those that install the package for the package: made in the background (its own session, logs in
# IW_LOG_DIR/NAME.log) while the build and the other tests run. A test finds them made, or makes them itself.
start_helper() { # NAME FUNCTION — a function of lib-roots.sh, run as a test would be (iw_run_test)
    setsid bash -c 'source "$1" && source "$2" && iw_run_test "$3"' iw-helper "$LIB" "$E2E_DIR/lib-roots.sh" "$2" \
        </dev/null >"$IW_LOG_DIR/$1.log" 2>&1 &
    helper_pids+=($!)
}
((roots_needed)) && start_helper roots iw_root_image

# ---------------------------------------------------------------------------------------------------------------
# Build and unit tests

if [[ $mode == all ]]; then
    start=$SECONDS
    # The release build the end-to-end tests use, built as install.sh builds it (the module, then the executable
    # with --static-swift-stdlib): the binaries under test are the ones that are shipped, and install.sh, run by
    # the tests in Debian roots, finds .build up to date.
    if swift build -c release --product pam_idlewarden >"$IW_LOG_DIR/build.log" 2>&1 &&
        swift build -c release --static-swift-stdlib --product idlewarden >>"$IW_LOG_DIR/build.log" 2>&1; then
        record PASS build $((SECONDS - start))
    else
        record FAIL build $((SECONDS - start))
        show_log "$IW_LOG_DIR/build.log" 60
        finish # nothing else can be tested without the binaries
    fi
    # The unit tests run beside the end-to-end tests (which mostly sleep), at a lower priority, in a build
    # directory of their own (SwiftPM's lock on .build would stall install.sh in the roots); their line comes
    # after the end-to-end tests.
    setsid bash -c 't0=$SECONDS; nice -n 10 swift test --scratch-path "$1" >"$2/unit.log" 2>&1
        echo "$? $((SECONDS - t0))" >"$2/unit.result"' iw-unit "$ROOT/.build-unit" "$IW_LOG_DIR" </dev/null &
    unit_pid=$!
    helper_pids+=("$unit_pid")
    # Mutation testing in miniature (tests/mutants/run.sh): broken copies of the product that named e2e tests must
    # fail on. Their builds and tests run beside the others, also at a lower priority; their line comes last.
    setsid bash -c 't0=$SECONDS; nice -n 10 bash "$1" >"$2/mutants.log" 2>&1
        echo "$? $((SECONDS - t0))" >"$2/mutants.result"' iw-mutants "$ROOT/tests/mutants/run.sh" "$IW_LOG_DIR" \
        </dev/null &
    mutants_pid=$!
    helper_pids+=("$mutants_pid")
fi

# The tests in Debian roots run install.sh on the checkout's .build (see tests/e2e/lib-roots.sh), which links the
# executable with --static-swift-stdlib: if the build there is another one (swift build -c release), link it
# now, once, rather than in every root, under the tests' feet.
scratch=${IW_INSTALL_SCRATCH:-$ROOT/.build}
if [[ $mode == e2e ]] && ((roots_needed)) && [[ -x $scratch/release/idlewarden ]] &&
    ldd "$scratch/release/idlewarden" 2>/dev/null | grep -q libswiftCore; then
    echo "linking $scratch/release/idlewarden as install.sh does (--static-swift-stdlib) for the tests in Debian roots"
    if ! swift build -c release --scratch-path "$scratch" --static-swift-stdlib --product idlewarden \
        >"$IW_LOG_DIR/build-static.log" 2>&1; then
        show_log "$IW_LOG_DIR/build-static.log" 40
        record FAIL prerequisites 0
        finish
    fi
fi

((deb_needed)) && start_helper deb iw_root_deb

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

# One test in the background: its own session (setsid: no controlling terminal, so the daemon never mistakes the
# runner's terminal for a session's; the timeout signals its whole process group, then its EXIT trap cleans up).
# Its log directory gets "pgid" while it runs and "result" ("STATUS SECONDS") when it ends.
start_test() { # INDEX
    local i=$1 dir=$IW_LOG_DIR/${t_name[$1]}
    rm -rf "${dir:?}"
    mkdir -p "$dir"
    : >"$dir/failures"
    (
        export IW_FAIL_FILE=$dir/failures IW_TEST_FILE=${t_file[i]}
        t0=$EPOCHREALTIME
        setsid -w timeout -k 30 "${t_timeout[i]}" \
            bash -c 'source "$1" && source "$2" && iw_run_test "$3"' iw-test "$LIB" "${t_file[i]}" "${t_name[i]}" \
            </dev/null >"$dir/test.log" 2>&1 &
        echo "$!" >"$dir/pgid"
        wait "$!"
        rc=$?
        t1=$EPOCHREALTIME
        ((rc == 124 || rc == 137)) && echo "timeout after ${t_timeout[i]}s" >>"$dir/test.log"
        printf '%s %s\n' "$rc" "$(((${t1/./} - ${t0/./} + 500000) / 1000000))" >"$dir/result"
    ) &
    job_of[$!]=$i
    running=$((running + 1))
    ((t_serial[i])) && serial_running=1
    local l
    for l in ${t_locks[i]}; do held[$l]=$i; done
}

report_test() { # INDEX — the PASS|FAIL line, and for a failure its reasons and logs
    local name=${t_name[$1]} dir=$IW_LOG_DIR/${t_name[$1]} rc secs
    read -r rc secs <"$dir/result" 2>/dev/null || { rc=1 secs=0; }
    e2e_sum=$((e2e_sum + secs))
    if ((rc == 0)) && [[ ! -s $dir/failures ]]; then
        record PASS "$name" "$secs"
    else
        record FAIL "$name" "$secs"
        if [[ -s $dir/failures ]]; then awk '!seen[$0]++ { print "    reason: " $0 }' "$dir/failures"; fi
        show_log "$dir/test.log" 80
        [[ -s $dir/daemon.log ]] && show_log "$dir/daemon.log" 30
    fi
}

# Whether test INDEX may start now: a free slot, none of its locks held, and nothing beside a serial test.
can_start() {
    local i=$1 l
    ((running < IW_JOBS && serial_running == 0)) || return 1
    ((t_serial[i] == 0 || running == 0)) || return 1
    for l in ${t_locks[i]}; do [[ -z ${held[$l]:-} ]] || return 1; done
    return 0
}

# On SIGINT/SIGTERM: every running test gets SIGTERM through its timeout (which passes it on to the test, whose
# EXIT trap then cleans up); wait for them.
stop_all() {
    local pid i
    for pid in "${!job_of[@]}"; do
        i=${job_of[$pid]}
        [[ -s $IW_LOG_DIR/${t_name[i]}/pgid ]] && kill -TERM "$(cat "$IW_LOG_DIR/${t_name[i]}/pgid")" 2>/dev/null
    done
    for pid in "${!job_of[@]}"; do wait "$pid" 2>/dev/null; done
    job_of=()
}

declare -A held=() job_of=()
finished=()
running=0 serial_running=0 next_report=0 e2e_sum=0
# The order they start in: the long ones, then the others in file order, the serial ones last (so that the pool
# is drained once, not per serial test).
pending=()
for i in "${!t_name[@]}"; do ((t_serial[i] == 0 && t_long[i])) && pending+=("$i"); done
for i in "${!t_name[@]}"; do ((t_serial[i] == 0 && t_long[i] == 0)) && pending+=("$i"); done
for i in "${!t_name[@]}"; do ((t_serial[i])) && pending+=("$i"); done
e2e_start=$SECONDS
while ((${#pending[@]} > 0 || running > 0)); do
    left=()
    for i in ${pending[@]+"${pending[@]}"}; do
        if can_start "$i"; then
            start_test "$i"
        else
            left+=("$i")
        fi
    done
    pending=(${left[@]+"${left[@]}"})
    wait -n -p done_pid
    i=${job_of[${done_pid:-none}]:-}
    [[ -n $i ]] || continue # a helper of the runner, not a test
    unset "job_of[$done_pid]"
    running=$((running - 1))
    ((t_serial[i])) && serial_running=0
    for l in ${t_locks[i]}; do unset "held[$l]"; done
    finished[i]=1
    # Report in file order: every finished test up to the first one that has not finished.
    while ((next_report < ${#t_name[@]})) && [[ -n ${finished[next_report]:-} ]]; do
        report_test "$next_report"
        next_report=$((next_report + 1))
    done
done
e2e_wall=$((SECONDS - e2e_start))

if [[ -n ${unit_pid:-} ]]; then
    wait "$unit_pid" 2>/dev/null
    read -r rc secs <"$IW_LOG_DIR/unit.result" 2>/dev/null || { rc=1 secs=0; }
    if ((rc == 0)); then
        record PASS unit-tests "$secs"
    else
        record FAIL unit-tests "$secs"
        show_log "$IW_LOG_DIR/unit.log" 80
    fi
fi

if [[ -n ${mutants_pid:-} ]]; then
    wait "$mutants_pid" 2>/dev/null
    read -r rc secs <"$IW_LOG_DIR/mutants.result" 2>/dev/null || { rc=1 secs=0; }
    sed 's/^/    /' "$IW_LOG_DIR/mutants.log"
    if ((rc == 0)); then record PASS mutants-caught "$secs"; else record FAIL mutants-caught "$secs"; fi
fi

if ((passed + failed == 0)); then
    echo "no test matched '${pattern}'"
    record FAIL no-tests 0
fi
finish
