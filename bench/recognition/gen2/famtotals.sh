#!/bin/sh
# Family totals: judge_split on every family dir ROOT/<pattern>-SEED, then the false-positive
# rate and recall a split would show, weighting each family by gen2's pattern weights.
#
#   for p in $(python3 -c 'from gen import PATTERNS; print(*[p for p, _, _ in PATTERNS])'); do
#       python3 family.py $p 100 7101 /tmp/fam/$p-7101; done
#   ./famtotals.sh ../../../target/release/examples /tmp/fam 7101
set -e
bin=$1; root=$2; seed=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp)
for d in "$root"/*-"$seed"; do
    p=$(basename "$d" -"$seed")
    echo "$p $("$bin"/judge_split "$d" 2>&1 >/dev/null | tail -n 1)"
done | tee "$tmp"
cd "$here" && python3 - "$tmp" <<'PY'
import sys
from gen import PATTERNS
w = {p: x for p, _, x in PATTERNS}
fp = n = tp = nl = 0.0
for line in open(sys.argv[1]):
    f = line.split()
    p, TP, FP, TN, FN = f[0], int(f[2]), int(f[4]), int(f[6]), int(f[8])
    if p.startswith("leak"):
        tp += w[p] * TP / (TP + FN); nl += w[p]
    else:
        fp += w[p] * FP / (FP + TN); n += w[p]
print("weighted FPR %.2f%%  recall %.3f" % (100 * fp / n, tp / nl))
PY
rm -f "$tmp"
