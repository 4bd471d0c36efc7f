#!/usr/bin/env bash
# Record real memory series from the example services for the recognition corpus:
# each leaky service and its fixed twin runs under steady load while `leakscope watch`
# samples it; the sample logs become crates/core/tests/corpus/real/<name>.csv with labels.csv.
#
#   ./scripts/record-real-series.sh [MINUTES] [RPS]     (defaults: 30 minutes, 40 req/s)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
rps=${2:-40}
out=crates/core/tests/corpus/real
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q -p leakscope -p leakscope-load --examples --bins
bin=target/release/leakscope
loadgen=target/release/examples/loadgen
if command -v go >/dev/null; then
  (cd examples/go && go build -o "$work/go-cache-leaky" ./cache/leaky && go build -o "$work/go-cache-fixed" ./cache/fixed)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# name | label | pattern | command (the port is appended as --port P)
services=(
  "node-cache-leaky|leak|linear-growth|node examples/node/cache/leaky.js"
  "node-cache-fixed|no_leak|plateau|node examples/node/cache/fixed.js"
  "node-listener-leaky|leak|linear-growth|node examples/node/listener/leaky.js"
  "node-listener-fixed|no_leak|stable|node examples/node/listener/fixed.js"
  "python-records-leaky|leak|linear-growth|python3 examples/python/records/leaky.py"
  "python-records-fixed|no_leak|plateau|python3 examples/python/records/fixed.py"
)
if [ -x "$work/go-cache-leaky" ]; then
  services+=("go-cache-leaky|leak|rising-floor|$work/go-cache-leaky" "go-cache-fixed|no_leak|sawtooth|$work/go-cache-fixed")
fi

mkdir -p "$out"
for s in "${services[@]}"; do
  IFS='|' read -r name label pattern cmd <<<"$s"
  port=$(free_port)
  (
    $cmd --port "$port" >/dev/null 2>&1 &
    svc=$!
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
    "$loadgen" "http://127.0.0.1:$port/user/{n}" -r "$rps" -c 4 -d "${minutes}m" -q >/dev/null 2>&1 &
    "$bin" watch --pid "$svc" --interval 15s --duration "${minutes}m" -q \
      --db "$work/$name.db" --log "$work/$name.jsonl" >/dev/null 2>&1 || true
    kill "$svc" 2>/dev/null || true
    python3 - "$work/$name.jsonl" "$out/$name.csv" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
with open(sys.argv[2], "w") as f:
    f.write("timestamp,rss_bytes\n")
    for r in rows:
        if "rss_bytes" in r:
            f.write(f"{r['timestamp']},{int(r['rss_bytes'])}\n")
PY
    echo "recorded $name"
  ) &
done
wait
{
  echo "file,series,label,pattern"
  for s in "${services[@]}"; do
    IFS='|' read -r name label pattern cmd <<<"$s"
    [ -s "$out/$name.csv" ] && echo "$name.csv,rss_bytes,$label,$pattern"
  done
} >"$out/labels.csv"
echo "wrote $out"
