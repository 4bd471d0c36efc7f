#!/bin/sh
# Benchmark driver: leakscope-heap vs go tool pprof (heap diff of two big pprof profiles) and
# vs CPython (reading and summarizing a 1M-trace tracemalloc dump). One run each, measured
# with GNU time (wall seconds, max RSS). Inputs come from gen.sh. Usage:
#   bench/go-python/gen.sh /tmp/lsb && bench/go-python/run.sh /tmp/lsb
set -eu
here=$(cd "$(dirname "$0")" && pwd)
D=${1:-/tmp/leakscope-bench-gopy}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$D/target}
cargo build -q --release --manifest-path "$here/Cargo.toml"
HB=$CARGO_TARGET_DIR/release/heapbench
T() { label=$1; shift; /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, %M KB max RSS" "$@" > /dev/null; }
echo "== versions"; go version; python3 --version; rustc --version; nproc; uptime
echo "== inputs"; ls -l "$D"/a.pb.gz "$D"/b.pb.gz "$D"/big.pickle
echo "== pprof: heap diff a b (200k-sample source)"
T "leakscope-heap diff a b" "$HB" diff "$D/a.pb.gz" "$D/b.pb.gz"
T "leakscope-heap diff a b --by line" "$HB" diff "$D/a.pb.gz" "$D/b.pb.gz" --by line
T "go tool pprof -top -base a b" go tool pprof -top -base "$D/a.pb.gz" "$D/b.pb.gz"
echo "== pprof: heap top b"
T "leakscope-heap top b" "$HB" top "$D/b.pb.gz"
T "go tool pprof -top b" go tool pprof -top "$D/b.pb.gz"
echo "== tracemalloc: top of a 1M-trace dump"
T "leakscope-heap top big.pickle (lineno)" "$HB" top "$D/big.pickle"
T "leakscope-heap top big.pickle (traceback)" "$HB" top "$D/big.pickle" --by traceback
T "CPython load + statistics('lineno')" python3 -c "import sys,tracemalloc; s=tracemalloc.Snapshot.load(sys.argv[1]); s.statistics('lineno')" "$D/big.pickle"
T "leakscope-heap diff big.pickle big.pickle" "$HB" diff "$D/big.pickle" "$D/big.pickle"
T "CPython load x2 + compare_to('lineno')" python3 -c "import sys,tracemalloc; a=tracemalloc.Snapshot.load(sys.argv[1]); b=tracemalloc.Snapshot.load(sys.argv[1]); b.compare_to(a,'lineno')" "$D/big.pickle"
