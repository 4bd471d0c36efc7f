#!/usr/bin/env bash
# Overhead of `leakscope run` on the service it soaks: the same service and the same load
# (the built-in generator, closed loop), once bare, once under `leakscope run --no-gc`
# (sampling /proc every second), once under `leakscope run` (a forced V8 GC through the
# inspector before every reading). Prints requests/s for each and the ratio to bare.
#
#   bench/run-overhead/run.sh [SECONDS] [CONCURRENCY] [INTERVAL]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-30}; conc=${2:-8}; interval=${3:-1s}
cargo build --release -q -p leakscope -p leakscope-load --examples --bins
bin=target/release/leakscope; loadgen=target/release/examples/loadgen
svc=examples/node/cache/fixed.js
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port=$(free_port)
node "$svc" --port "$port" >/dev/null & pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
"$loadgen" "http://127.0.0.1:$port/user/{n}" -c "$conc" -d 3s -q >/dev/null   # warm the JIT
bare=$("$loadgen" "http://127.0.0.1:$port/user/{n}" -c "$conc" -d "${secs}s" 2>/dev/null | awk '/^Requests\/sec:/ {printf "%.0f", $2}')
kill "$pid"; wait "$pid" 2>/dev/null || true

under() {
  local port; port=$(free_port)
  "$bin" run --format json -q --db "$work/o.db" --load "http://127.0.0.1:$port/user/{n}" \
    --concurrency "$conc" --warmup 3s --duration "${secs}s" --interval "$interval" "$@" \
    -- node "$svc" --port "$port" 2>/dev/null | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["series"][0]["requests_per_second"])'
}
nogc=$(under --no-gc)
gc=$(under)
echo "service: $svc, load: $conc connections, ${secs}s, readings every $interval"
printf '%-44s %10s %8s\n' "setup" "req/s" "ratio"
printf '%-44s %10s %8s\n' "bare (loadgen only)" "$bare" "1.00"
printf '%-44s %10s %8.2f\n' "leakscope run --no-gc (sampling /proc)" "$nogc" "$(echo "$nogc/$bare" | bc -l)"
printf '%-44s %10s %8.2f\n' "leakscope run (forced GC + heap per reading)" "$gc" "$(echo "$gc/$bare" | bc -l)"
