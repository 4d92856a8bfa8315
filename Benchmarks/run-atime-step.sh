#!/usr/bin/env bash
# The 8-second atime step: how late it makes an end, measured on a real pty, and what watching every read with
# inotify (IN_ACCESS) would cost instead. See Benchmarks/atime/atime_step.py.
#
#   bash Benchmarks/run-atime-step.sh                  (as root; 24 trials, then 30 s of typing at 8 keys/s: ~4 min)
#   TRIALS=40 RATE=5 SECONDS_TYPING=60 bash Benchmarks/run-atime-step.sh
#
# Results: stdout and Benchmarks/results/atime-step.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TRIALS=${TRIALS:-24}
RATE=${RATE:-8}
SECONDS_TYPING=${SECONDS_TYPING:-30}
OUT=${BENCH_OUT:-atime-step.md}

bench_init atime
bench_need python3 bash
started=$(date -u '+%Y-%m-%d %H:%M UTC')
bench_log "$TRIALS trials, then ${SECONDS_TYPING}s of typing at $RATE keys/s"
table=$(python3 "$BENCH_DIR/atime/atime_step.py" "$TRIALS" "$RATE" "$SECONDS_TYPING") || bench_die "the measurement failed"
{
    echo "### The 8-second atime step (\`bash Benchmarks/run-atime-step.sh\`)"
    echo
    echo "- run began $started, repository at $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(nproc) CPU, $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME"); load average at start:" \
        "$(cut -d' ' -f1-3 /proc/loadavg) ($(bench_busy_summary))"
    echo "- a bash -i on a new pty, typed into through its master (keys and backspaces: input, no command); L = the"
    echo "  last key press, at a random moment of an 8 s bucket (every other trial after one earlier in the same"
    echo "  bucket), B = the end of the bucket of the atime the kernel kept"
    echo
    echo "$table"
} | tee "$BENCH_RESULTS/$OUT"
