#!/bin/sh
# Builds the big-input generators and writes the benchmark inputs into OUT (default
# /tmp/leakscope-bench-gopy): two Go heap profiles of ~100k and ~200k samples (a.pb.gz,
# b.pb.gz) and a tracemalloc dump with 1,000,000 traces (big.pickle). Nothing here is committed.
# Needs Go (apt-get install -y golang-go) and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-/tmp/leakscope-bench-gopy}
N_A=${N_A:-100000}
N_B=${N_B:-200000}
TRACES=${TRACES:-1000000}
mkdir -p "$OUT/bigprof"
python3 "$here/gen_bigprof_go.py" > "$OUT/bigprof/main.go"
printf 'module bigprof\n\ngo 1.19\n' > "$OUT/bigprof/go.mod"
(cd "$OUT/bigprof" && go build -trimpath -o bigprof .)
[ -f "$OUT/a.pb.gz" ] || "$OUT/bigprof/bigprof" 14 "$N_A" 1 "$OUT/a.pb.gz"
[ -f "$OUT/b.pb.gz" ] || "$OUT/bigprof/bigprof" 14 "$N_B" 2 "$OUT/b.pb.gz"
[ -f "$OUT/big.pickle" ] || python3 "$here/gen_tracemalloc_dump.py" "$TRACES" "$OUT/big.pickle"
ls -l "$OUT"
