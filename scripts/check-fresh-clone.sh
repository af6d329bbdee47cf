#!/usr/bin/env bash
# Proves the newcomer path as far as this machine allows: clone the current commit into an
# empty folder, then `npm run demo` twice (the second must reuse everything). The data comes
# from $CODESECEVAL_DATASET (default: ../shared/datasets/codeseceval beside this checkout),
# since a machine without internet access cannot `dataset fetch`.
#
#   bash scripts/check-fresh-clone.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
data="${CODESECEVAL_DATASET:-$here/../shared/datasets/codeseceval}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$here" "$work/codeseceval"
cd "$work/codeseceval"
echo "fresh clone of $(git rev-parse --short HEAD) in $work/codeseceval"
start=$(date +%s)
CODESECEVAL_DATASET="$data" npm run -s demo > "$work/first.log" 2>&1 || { tail -20 "$work/first.log"; exit 1; }
mid=$(date +%s)
CODESECEVAL_DATASET="$data" npm run -s demo > "$work/second.log" 2>&1 || { tail -20 "$work/second.log"; exit 1; }
end=$(date +%s)
grep -A4 'pass@k' "$work/second.log"
grep '^Browse it:' "$work/second.log"
echo "first npm run demo: $((mid - start)) s; second: $((end - mid)) s"
