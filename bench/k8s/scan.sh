#!/usr/bin/env bash
# `leakscope k8s scan` over an emulated cluster of PODS pods in NAMESPACES namespaces (the fake
# API server of crates/k8s/tests/support, on loopback): wall time, CPU and peak memory of the
# scan, for page sizes 500 (the default) and 100, RUNS times each; beside it what people run
# today when kubectl and jq are here: `kubectl get pods -A -o json` (chunks of 500) piped to jq
# picking the OOM-killed and restarting containers, plus `kubectl get events -A
# --field-selector reason=OOMKilling` (no join, no ranking, no limits).
#   bench/k8s/scan.sh [PODS] [NAMESPACES] [RUNS]      (default 5000 200 3)
# Needs a release build: cargo build --release -p leakscope
set -euo pipefail
cd "$(dirname "$0")/../.."
PODS=${1:-5000}; NS=${2:-200}; RUNS=${3:-3}
BIN=${LEAKSCOPE:-target/release/leakscope}
[ -x "$BIN" ] || { echo "build it first: cargo build --release -p leakscope" >&2; exit 2; }
OUT=$(mktemp -d)
# The server ends when its stdin closes (this script's end) or on TERM.
exec 3> >(python3 crates/k8s/tests/support/fake_apiserver.py --generate "$PODS,$NS" > "$OUT/port" 2>"$OUT/server.err")
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do grep -q PORT "$OUT/port" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/PORT/{print $2}' "$OUT/port")
URL="http://127.0.0.1:$PORT"
echo "emulated cluster: $PODS pods in $NS namespaces at $URL; load $(cut -d' ' -f1-3 /proc/loadavg)"
for page in 500 100; do
  for run in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/time" "$BIN" k8s scan --server "$URL" --format json --page-size "$page" > "$OUT/scan.json" || [ $? -eq 1 ]
    read -r wall user sys rss < <(tail -1 "$OUT/time")
    python3 - "$OUT/scan.json" "$page" "$run" "$wall" "$user" "$sys" "$rss" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
page, run, wall, user, sys_, rss = sys.argv[2:]
s = r["scanned"]
print(f"page {page:>3} run {run}: {wall} s wall, {float(user)+float(sys_):.2f} s CPU, {int(rss)/1024:.1f} MiB peak RSS; "
      f"{s['pods']} pods, {s['containers']} containers, {s['namespaces']} namespaces, {s['requests']} requests; "
      f"{len(r['containers'])} containers reported, {sum(1 for c in r['containers'] if c['oom_kills'])} OOM-killed")
PY
  done
done
if command -v kubectl >/dev/null && command -v jq >/dev/null; then
  for run in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$OUT/time" sh -c "
      kubectl --server=$URL --kubeconfig=/dev/null get pods -A -o json --chunk-size=500 \
        | jq -c '[.items[] | .metadata as \$m | .status.containerStatuses[]? | select(.lastState.terminated.reason == \"OOMKilled\" or .restartCount > 5) | {ns: \$m.namespace, pod: \$m.name, c: .name, restarts: .restartCount}] | length' > $OUT/kubectl.out
      kubectl --server=$URL --kubeconfig=/dev/null get events -A --field-selector reason=OOMKilling -o json | jq '.items | length' >> $OUT/kubectl.out"
    read -r wall user sys rss < <(tail -1 "$OUT/time")
    echo "kubectl+jq run $run: $wall s wall, $(echo "$user + $sys" | bc) s CPU, $((rss / 1024)) MiB peak RSS of the largest process; containers found, OOMKilling events: $(tr '\n' ' ' < "$OUT/kubectl.out")"
  done
fi
