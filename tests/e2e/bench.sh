# shellcheck shell=bash
# Smoke run of the benchmarks (Benchmarks/run-*.sh, see BENCHMARKS.md) with tiny sizes: they still build and run
# to the end and print their tables, every session they expire is ended (6/6, 1/1; under the control socket's
# flood too), the control benchmark reports the event loop's longest step, the module's loops count no error, the
# delivery round loses no login, and the atime-step measurement runs (2 trials, 2 s of typing). No speed figure is
# checked: speed is measured by the benchmarks, never asserted in tests. Sourced by tests/run.sh, which runs
# test_bench_smoke in its own bash process, as root.
#
# Uses the binaries under test (IW_BIN, IW_SO: .build/release), also as the daemon (the real benchmarks use the
# --static-swift-stdlib build, as installed). The core benchmark builds Benchmarks/ (ordo-one/benchmark) in
# Benchmarks/.build-bench-core, kept as a build cache; cold, that build takes about two minutes, so it runs in the
# background while the others run. Everything else the benchmarks make (pam.d services idlewarden-bench-*,
# users iwbench-*, daemons, sessions, a private mount namespace) is removed by the benchmark scripts themselves;
# the results go to a temp dir that is removed here.
# The cold build takes minutes on 2 cores: the test starts before the others, with a longer timeout. No figure
# is checked, so the other tests running beside it only add noise to its tables.
# iw: long
# iw: timeout 900

test_bench_smoke() {
    local root=${IW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
    local bin=${IW_BIN:-$root/.build/release/idlewarden}
    local tmp rc=0 core_pid name
    tmp=$(mktemp -d /tmp/iwbench-smoke-XXXXXX) || { echo "mktemp failed"; return 1; }
    if declare -F iw_defer >/dev/null; then iw_defer rm -rf "$tmp"; else trap "rm -rf '$tmp'" EXIT; fi
    [[ -x $bin ]] || { echo "not built: $bin"; return 1; }

    # bench NAME EXPECTED-ERE... -- [VAR=value...] — run Benchmarks/run-NAME.sh; its output must match every ERE.
    bench() {
        local name=$1 status expect=() ere missing=()
        shift
        while (($#)) && [[ $1 != -- ]]; do expect+=("$1"); shift; done
        shift
        env BENCH_RESULTS="$tmp/results" IW_BUILD_DIR="${bin%/*}" IW_STATIC_BIN="$bin" "$@" \
            bash "$root/Benchmarks/run-$name.sh" >"$tmp/$name.out" 2>"$tmp/$name.err"
        status=$?
        for ere in "${expect[@]}"; do grep -qE -- "$ere" "$tmp/$name.out" || missing+=("'$ere'"); done
        if ((status != 0 || ${#missing[@]} > 0)); then
            echo "benchmark $name: exit status $status; no line matching ${missing[*]:-(all matched)} in its output"
            tail -n 25 "$tmp/$name.err" "$tmp/$name.out" | sed 's/^/    /'
            return 1
        fi
        echo "ok - benchmark $name ($(wc -l <"$tmp/$name.out") lines of results)"
    }
    # no_errors NAME — in every table of NAME's output whose last column is "errors" or "failures", each row says 0.
    no_errors() {
        local bad
        bad=$(awk -F'|' '
            /^\|/ { last = $(NF - 1); gsub(/ /, "", last) }
            /^\|/ && (last == "errors" || last == "failures") { counted = 1; next }
            /^\|---/ { next }
            /^\|/ && counted && last != "0" { print }
            !/^\|/ { counted = 0 }' "$tmp/$1.out")
        if [[ -n $bad ]] || ! grep -qE '\| errors \|$' "$tmp/$1.out"; then
            echo "benchmark $1: rows with errors (or no errors column): ${bad:-none}"
            return 1
        fi
        echo "ok - benchmark $1: no errors"
    }

    bench core '^\| 100 \|' -- IW_CORE_SIZES=100 IW_CORE_MAX_SECONDS=1 &
    core_pid=$!
    bench module '^\| up \|' -- ROUNDS=2 BATCH=5 PAUSE_US=2000 RUNS=3 WARMUP=1 SPAWN_ROUNDS=3 && no_errors module || rc=1
    bench daemon '^\| 6 \(6\) \| 6/6 \|' -- DAEMON_SIZES=6 QUIET_S=2 SPREAD_S=3 || rc=1
    # Two flooding uids only: the flood takes a core while it lasts, and other tests run beside this one.
    bench control '^\| quiet \| 6/6 \|' '^\| flood \| 6/6 \|' '^\| flood\+linger \| 6/6 \|' \
        '^\| flood\+linger \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [a-z+-]+ \|' \
        -- CONTROL_N=6 SPREAD_S=3 FLOOD_UIDS=2 PROBE_MS=500 || rc=1
    # Every login of the round is accounted for: 5 of 5 registered in the burst, 200 logins and none lost.
    bench delivery '^\| 1 \| 5 \| 5 \| 5 \|' '^\| 200 \| [0-9]+ s \|( [0-9]+ \|){5} 0 \|' -- \
        BURST=5 ROUNDS=1 PAIRS=200 FIRST=100 || rc=1
    # idlewarden ends its login at most 5 s + the 8 s atime bucket + 1 s warning after the input (30 s leave room
    # for a busy machine: the daemon runs at nice 10, as shipped); autolog (a minute at the least) ends nobody in a
    # smoke round, which only shows that it runs.
    bench autolog '^\| idlewarden \| 1/1 \|' '^\| autolog \| [01]/1 \|' -- K=1 IDLE_S=5 ROUND_TIMEOUT_S=30 || rc=1
    bench atime-step '^\| 2 \| [0-9.]+ / ' '^\| 8 keys/s for [0-9]+ s \| [0-9]+ \| [0-9]+ \|' -- TRIALS=2 SECONDS_TYPING=2 || rc=1
    wait "$core_pid" || rc=1
    for name in core module daemon control delivery autolog atime-step; do [[ -s $tmp/$name.out ]] && cat "$tmp/$name.out"; done >"$tmp/all.txt"
    [[ -n ${IW_TLOG:-} ]] && cp "$tmp/all.txt" "$IW_TLOG/bench-smoke.txt" 2>/dev/null
    # Nothing left behind by the scripts: pam.d services idlewarden-bench-*-PID and users iwbench-PID-* whose
    # benchmark process is gone (another benchmark may be running at the same time).
    local file user pid
    for file in /etc/pam.d/idlewarden-bench-*; do
        [[ -e $file ]] || continue
        pid=${file##*-}
        kill -0 "$pid" 2>/dev/null || { echo "pam.d service left behind: $file"; rc=1; }
    done
    for user in $(getent passwd | grep -oE '^iwbench-[0-9]+-[^:]*'); do
        pid=${user#iwbench-}; pid=${pid%%-*}
        kill -0 "$pid" 2>/dev/null || { echo "user left behind: $user"; rc=1; }
    done
    return "$rc"
}
