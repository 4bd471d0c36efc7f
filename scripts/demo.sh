#!/usr/bin/env bash
# leakscope's main job on an included real leaky service: build leakscope, start
# examples/node/cache/leaky.js (an unbounded per-user cache), drive HTTP load at it while
# measuring its heap after forced GCs, store every sample, analyze the stored series, and
# end with a verdict and an HTML report.
#
#   ./scripts/demo.sh            # the leaky service (verdict: leak)
#   ./scripts/demo.sh fixed      # its fixed twin, an LRU with TTL (verdict: no leak)
set -euo pipefail
cd "$(dirname "$0")/.."

variant=${1:-leaky}
case "$variant" in leaky|fixed) ;; *) echo "usage: $0 [leaky|fixed]" >&2; exit 2 ;; esac
command -v node >/dev/null || { echo "demo: needs Node.js (node) on PATH" >&2; exit 2; }

echo "==> building leakscope (release)"
cargo build --release -q -p leakscope
bin=target/release/leakscope
out=target/demo
mkdir -p "$out"
rm -f "$out/demo.db" "$out/demo.db-wal" "$out/demo.db-shm"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

echo "==> soaking examples/node/cache/$variant.js for 15 s warm-up + 90 s under load"
set +e
"$bin" run --load "http://127.0.0.1:$port/user/{n}" --rps 2000 \
  --warmup 15s --duration 90s --db "$out/demo.db" \
  --report "$out/report.html" --plot "$out/memory.svg" \
  -- node "examples/node/cache/$variant.js" --port "$port"
run_status=$?
set -e
[ "$run_status" -le 1 ] || { echo "demo: leakscope run failed (exit $run_status)" >&2; exit "$run_status"; }

echo
echo "==> what the store holds"
"$bin" ls --db "$out/demo.db"
echo
echo "==> analyzing the stored series again (leakscope analyze)"
set +e
"$bin" analyze --db "$out/demo.db" --field heap_used_after_gc_bytes --field rss_bytes --min-span 60s
set -e
echo
if [ "$run_status" -eq 1 ]; then verdict="LEAK"; else verdict="no leak"; fi
echo "verdict: $verdict (leakscope run exited $run_status: 0 = no leak, 1 = leak, 2 = error)"
echo "report:  $out/report.html   chart: $out/memory.svg"
