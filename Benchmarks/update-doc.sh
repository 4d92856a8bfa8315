#!/usr/bin/env bash
# Pastes the benchmark outputs (Benchmarks/results/NAME.md, written by the run-*.sh and profile-*.sh scripts) into
# BENCHMARKS.md, between the lines `<!-- results/NAME.md -->` and `<!-- end results/NAME.md -->`, so that the
# tables there are always a script's output, never typed by hand.
#
#   bash Benchmarks/update-doc.sh            (after running the benchmarks)

set -eu
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python3 - "$root/BENCHMARKS.md" "$root/Benchmarks/results" <<'EOF'
import os, re, sys
doc, results = sys.argv[1], sys.argv[2]
text = open(doc).read()
def paste(match):
    name = match.group(1)
    path = os.path.join(results, name)
    if not os.path.exists(path):
        print(f"missing {path}: block left as it is", file=sys.stderr)
        return match.group(0)
    body = open(path).read().strip("\n")
    return f"<!-- results/{name} -->\n{body}\n<!-- end results/{name} -->"
new = re.sub(r"<!-- results/(\S+) -->\n.*?<!-- end results/\1 -->", paste, text, flags=re.S)
if new != text:
    open(doc, "w").write(new)
    print(f"updated {doc}")
else:
    print("nothing to update")
EOF
