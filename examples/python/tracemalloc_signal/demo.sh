#!/bin/sh
# End to end: start service.py on 127.0.0.1, send requests, take two dumps with SIGUSR2,
# then diff them with leakscope (if `leakscope` is on PATH or LEAKSCOPE points at it).
# Bounded: about 10 seconds. Usage: examples/python/tracemalloc_signal/demo.sh [PORT]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PORT=${1:-8765}
out=$(mktemp -d)
LEAKSCOPE_DUMP_DIR=$out python3 "$here/service.py" "$PORT" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 1
hit() { python3 -c "
import urllib.request
for i in range($1):
    urllib.request.urlopen('http://127.0.0.1:$PORT/item/%d' % i).read()"; }
hit 200
kill -USR2 $pid; sleep 1
hit 2000
kill -USR2 $pid; sleep 1
ls -l "$out"
LS=${LEAKSCOPE:-leakscope}
if command -v "$LS" >/dev/null 2>&1; then
	"$LS" heap diff "$out/tracemalloc-$pid-1.pickle" "$out/tracemalloc-$pid-2.pickle" || true
else
	echo "leakscope not found; run: leakscope heap diff $out/tracemalloc-$pid-1.pickle $out/tracemalloc-$pid-2.pickle"
	trap - EXIT; kill $pid
fi
