#!/usr/bin/env bash
# Mutation testing in miniature: the end-to-end suite must catch a broken product, so that no check can quietly
# pass whatever the product does. Each tests/mutants/NAME.patch breaks one promise of the policy (in
# Sources/IdleWardenCore) and names, on a "Caught-by:" line, the e2e tests that must then fail. For each mutant:
# the current sources are copied to a scratch dir, the patch is applied (a patch that no longer applies is an
# error, never a pass), the copy is built (release), and the named tests run against that build (tests/run.sh e2e
# with IW_BUILD_DIR). Every one of them must FAIL; the reasons they give are printed. (That the same tests pass
# on the real build is what the e2e run before this one shows: tests/run.sh runs the mutants after it.)
#
#   bash tests/mutants/run.sh [NAME...]      as root, after `swift build -c release` (tests/run.sh runs it last)
#
# The scratch dir, IW_MUTANTS_DIR (default .build-mutants in the checkout), is kept between runs: src/ (the copy,
# synced file by file so that a rebuild recompiles only what a patch touched), build/ (SwiftPM's scratch path, one
# for all mutants), NAME/ (that mutant's idlewarden and libpam_idlewarden.so) and logs/NAME/ (the e2e logs).
# Output: one line per mutant, "CAUGHT NAME by TEST..." or "MISSED NAME ...", then "N caught, M missed"; the exit
# status is non-zero unless every mutant was caught by every test named for it.

set -u
set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MUTANTS=$ROOT/tests/mutants
WORK=${IW_MUTANTS_DIR:-$ROOT/.build-mutants}
if [[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]]; then PATH=$PATH:/opt/swift/usr/bin; fi
export PATH LC_ALL=C.UTF-8

die() { echo "mutants: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "run as root (the e2e tests create users, pam.d services and an sshd)"
for tool in swift patch python3 cmp; do command -v "$tool" >/dev/null || die "missing $tool"; done

names=("$@")
if ((${#names[@]} == 0)); then
    for f in "$MUTANTS"/*.patch; do names+=("$(basename "$f" .patch)"); done
fi
((${#names[@]} > 0)) || die "no patches in $MUTANTS"
mkdir -p "$WORK/src" "$WORK/logs"

# sync_sources — make $WORK/src hold exactly the checkout's Package.swift, Package.resolved, Plugins/, Sources/
# and Tests/ (the manifest names the test targets and the build plugin), copying only the files whose bytes differ (mtimes kept), so that SwiftPM
# rebuilds only what changed since the last build.
sync_sources() {
    python3 - "$ROOT" "$WORK/src" <<'PY'
import filecmp, os, shutil, sys
root, dest = sys.argv[1:]
def sync(src, dst):
    if os.path.islink(src):
        if not os.path.islink(dst) or os.readlink(dst) != os.readlink(src):
            if os.path.lexists(dst):
                shutil.rmtree(dst) if os.path.isdir(dst) and not os.path.islink(dst) else os.remove(dst)
            os.symlink(os.readlink(src), dst)
    elif os.path.isdir(src):
        if os.path.lexists(dst) and (os.path.islink(dst) or not os.path.isdir(dst)):
            os.remove(dst)
        os.makedirs(dst, exist_ok=True)
        names = set(os.listdir(src))
        for name in os.listdir(dst):
            if name not in names:
                path = os.path.join(dst, name)
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
        for name in names:
            sync(os.path.join(src, name), os.path.join(dst, name))
    elif not os.path.isfile(dst) or os.path.islink(dst) or not filecmp.cmp(src, dst, shallow=False):
        if os.path.lexists(dst) and not os.path.isfile(dst):
            shutil.rmtree(dst)
        shutil.copy2(src, dst)
for name in ("Package.swift", "Package.resolved", "Plugins", "Sources", "Tests"):
    if os.path.lexists(os.path.join(root, name)):
        sync(os.path.join(root, name), os.path.join(dest, name))
PY
}

# field PATCH KEY — the value of a "KEY: value" header line of a patch (before the diff).
field() { sed -n "/^--- /q; s/^$2: *//p" "$1"; }

caught=0
missed=0
for name in "${names[@]}"; do
    patch_file=$MUTANTS/$name.patch
    [[ -f $patch_file ]] || die "no such mutant: $patch_file"
    what=$(field "$patch_file" Mutant)
    read -r -a tests <<<"$(field "$patch_file" Caught-by)"
    [[ -n $what && ${#tests[@]} -gt 0 ]] || die "$patch_file lacks its 'Mutant:' or 'Caught-by:' line"
    echo "== $name: $what"

    sync_sources || die "could not copy the sources to $WORK/src"
    if ! patch -d "$WORK/src" -p1 --dry-run --batch --forward --fuzz=0 <"$patch_file" >"$WORK/logs/$name.patch.log" 2>&1; then
        cat "$WORK/logs/$name.patch.log" >&2
        die "$name.patch no longer applies to the sources: update it to break the same promise in today's code"
    fi
    patch -d "$WORK/src" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch <"$patch_file" >/dev/null ||
        die "$name.patch failed to apply"
    start=$SECONDS
    if ! swift build -c release --package-path "$WORK/src" --scratch-path "$WORK/build" >"$WORK/logs/$name.build.log" 2>&1; then
        tail -n 30 "$WORK/logs/$name.build.log" >&2
        die "the $name mutant does not build (see $WORK/logs/$name.build.log)"
    fi
    bin=$(swift build -c release --package-path "$WORK/src" --scratch-path "$WORK/build" --show-bin-path) ||
        die "no bin path for the $name build"
    rm -rf "${WORK:?}/$name"
    mkdir -p "$WORK/$name"
    cp "$bin/idlewarden" "$bin/libpam_idlewarden.so" "$WORK/$name/" || die "the $name build lacks its products"
    echo "   built in $((SECONDS - start)) s: $WORK/$name"

    pattern="^($(IFS='|'; echo "${tests[*]}"))\$"
    rm -rf "${WORK:?}/logs/$name"
    out=$(IW_BUILD_DIR=$WORK/$name IW_LOG_DIR=$WORK/logs/$name bash "$ROOT/tests/run.sh" e2e "$pattern" 2>&1)
    printf '%s\n' "$out" >"$WORK/logs/$name.run.log"
    failed_tests=() passed_tests=() absent=()
    for t in "${tests[@]}"; do
        if grep -qE "^FAIL $t( |$)" <<<"$out"; then
            failed_tests+=("$t")
        elif grep -qE "^PASS $t( |$)" <<<"$out"; then
            passed_tests+=("$t")
        else
            absent+=("$t")
        fi
    done
    ((${#absent[@]} == 0)) || die "tests/run.sh did not run ${absent[*]} against $name: $(tail -n 5 <<<"$out")"
    if ((${#passed_tests[@]} == 0)); then
        caught=$((caught + 1))
        echo "CAUGHT $name by ${failed_tests[*]}"
    else
        missed=$((missed + 1))
        echo "MISSED $name: ${passed_tests[*]} passed against the broken build (logs: $WORK/logs/$name)"
    fi
    grep -E '^    reason: ' <<<"$out" | sort -u | sed 's/^    reason: /   reason: /'
done
sync_sources # leave the copy as the checkout is, so the next build starts from it
echo "$caught caught, $missed missed"
((missed == 0))
