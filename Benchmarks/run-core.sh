#!/usr/bin/env bash
# Core benchmark: IdleWardenCore's scheduler and policy with 1k / 10k / 100k sessions (ordo-one/benchmark).
#
#   bash Benchmarks/run-core.sh          (any user; ~6 minutes, most of it the first build)
#
# Builds Benchmarks/ (its own package, scratch path Benchmarks/.build-bench-core) against the repository's
# IdleWardenCore library product and runs Benchmarks/Benchmarks/CoreBenchmarks. Knobs (environment):
# IW_CORE_SIZES (1000,10000,100000), IDLEWARDEN_PACKAGE_PATH (another idlewarden checkout to measure),
# BENCH_FILTER (an ordo-one --filter regex, whole-name match). Results: stdout and Benchmarks/results/core.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OUT=${BENCH_OUT:-core.md}
export IW_CORE_SIZES=${IW_CORE_SIZES:-1000,10000,100000}

trap bench__cleanup EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM HUP
BENCH_WORK=$(mktemp -d /tmp/iwbench-core-XXXXXX) || bench_die "mktemp"
bench_defer rm -rf "$BENCH_WORK"
mkdir -p "$BENCH_RESULTS"
bench_need swift python3

package=${IDLEWARDEN_PACKAGE_PATH:-$BENCH_ROOT}
if ! grep -qE '\.library\(name: "IdleWardenCore"' "$package/Package.swift"; then
    bench_die "$package/Package.swift has no IdleWardenCore library product, which Benchmarks/Package.swift uses;
add to its products:  .library(name: \"IdleWardenCore\", targets: [\"IdleWardenCore\"]),
(or set IDLEWARDEN_PACKAGE_PATH to a checkout that has it)"
fi
IW_BIN=$package # for bench_machine's "binaries" line
args=(--no-progress --format markdown --path stdout)
[[ -n ${BENCH_FILTER:-} ]] && args+=(--filter "$BENCH_FILTER")

bench_log "building and running Benchmarks/CoreBenchmarks (sizes $IW_CORE_SIZES)"
(cd "$BENCH_DIR" && swift package --scratch-path .build-bench-core --disable-sandbox benchmark "${args[@]}") \
    >"$BENCH_WORK/ordo.md" 2>"$BENCH_WORK/ordo.err" ||
    { tail -n 40 "$BENCH_WORK/ordo.err" "$BENCH_WORK/ordo.md" >&2; bench_die "the core benchmarks failed"; }
grep -q '^### ' "$BENCH_WORK/ordo.md" || { cat "$BENCH_WORK/ordo.err" >&2; bench_die "no benchmark results"; }

{
    echo "### Core benchmark (\`bash Benchmarks/run-core.sh\`)"
    echo
    IW_BIN=$package/IdleWardenCore bench_machine
    echo "- ordo-one/benchmark 1.38.1 (trait MallocInterposer only), release build, sizes $IW_CORE_SIZES"
    echo
    python3 - "$BENCH_WORK/ordo.md" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
tables = {}
for block in re.split(r"^### ", text, flags=re.M)[1:]:
    name, _, body = block.partition("\n")
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and not cells[0].startswith(("Metric", ":")):
            rows[cells[0]] = cells[1:]
    tables[name.strip()] = rows

def cell(bench, metric_prefix, column):  # column: 0 p0, 2 p50, 5 p99
    for metric, values in tables.get(bench, {}).items():
        if metric.startswith(metric_prefix):
            return values[column], metric
    return None, None

def num(value, metric):
    """ordo-one prints values in the unit named in the metric, e.g. '(K)' = thousands."""
    if value is None:
        return None
    scale = 1
    if "(K)" in metric: scale = 1_000
    if "(M)" in metric: scale = 1_000_000
    return float(value) * scale

sizes = sorted({int(m.group(1)) * (1000 if m.group(2) == "k" else 1)
                for n in tables for m in [re.search(r"(\d+)(k?) sessions", n)] if m})
def lbl(n): return f"{n // 1000}k" if n % 1000 == 0 else str(n)
print("| sessions | register, per session (p50 / p99) | due decision, per deadline (p50 / p99) | "
      "heap after building (requested bytes) | per session | peak RSS Δ | state JSON encode (p50) |")
print("|---|---|---|---|---|---|---|")
for n in sizes:
    l = lbl(n)
    r50, _ = cell(f"register, {l} sessions, per op", "Time (wall clock)", 2)
    r99, _ = cell(f"register, {l} sessions, per op", "Time (wall clock)", 5)
    d50, _ = cell(f"due decision, {l} sessions, per op", "Time (wall clock)", 2)
    d99, _ = cell(f"due decision, {l} sessions, per op", "Time (wall clock)", 5)
    mb, mm = cell(f"build {l} sessions (memory)", "Malloc / free", 2)
    rss, rm = cell(f"build {l} sessions (memory)", "Memory Δ (resident peak)", 2)
    enc, em = cell(f"encode state, {l} sessions (JSON)", "Time (wall clock)", 2)
    bytes_ = num(mb, mm)
    rssb = num(rss, rm)
    fmt = lambda v: "–" if v is None else v
    unit = re.search(r"\((\w+)\)", em).group(1) if em else ""
    heap = "–" if bytes_ is None else f"{bytes_ / 1048576:.1f} MiB"
    per = "–" if bytes_ is None else f"{bytes_ / n:.0f} B"
    peak = "–" if rssb is None else f"{rssb / 1048576:.1f} MiB"
    print(f"| {l} | {fmt(r50)} / {fmt(r99)} ns | {fmt(d50)} / {fmt(d99)} ns | {heap} | {per} | {peak} | "
          f"{fmt(enc)} {unit} |")
for name in ("Policy.resolve (4 rules, exclusions) per op", "Session.verdict per op"):
    p50, _ = cell(name, "Time (wall clock)", 2)
    p99, _ = cell(name, "Time (wall clock)", 5)
    print(f"\n{name}: p50 {p50} ns, p99 {p99} ns.", end="")
print()
EOF
    echo
    echo "<details><summary>ordo-one output</summary>"
    echo
    sed -n '/^## CoreBenchmarks/,$p' "$BENCH_WORK/ordo.md" | sed '1d; s/^### /#### /'
    echo "</details>"
} | bench_emit "$OUT"
