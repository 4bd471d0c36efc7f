#!/usr/bin/env bash
# The agent's own footprint over a long watch (docs/benchmarks/agent.md): N idle processes
# (sleep) watched every INTERVAL for MINUTES by the release binary, with the store's retention
# cut to RETENTION so the run passes it. Every 10 s it records the watcher's RSS (from
# /proc/PID/status) and the store's size on disk (database + WAL); at the end it prints the
# median RSS and the size per fifth of the run.
#
#   bench/agent/flat.sh [N [MINUTES [INTERVAL [RETENTION [OUT]]]]]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}
minutes=${2:-45}
interval=${3:-1s}
retention=${4:-15m}
out=${5:-bench/agent/out}
bin=${LEAKSCOPE:-target/release/leakscope}
mkdir -p "$out"
dir=$(mktemp -d)
pids=()
cleanup() {
  [ -n "${watcher:-}" ] && kill "$watcher" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq "$n"); do sleep 86400 & pids+=($!); done
cat > "$dir/leakscope.toml" <<TOML
[store]
path = "$dir/store.db"
retention = "$retention"
TOML
args=()
for p in "${pids[@]}"; do args+=(--pid "$p"); done
echo "# $n processes every $interval for $minutes min, retention $retention; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $($bin --version)"
"$bin" watch --config "$dir/leakscope.toml" --interval "$interval" --duration "${minutes}m" -q "${args[@]}" \
  >"$out/watch.out" 2>"$out/watch.err" &
watcher=$!
echo "# seconds rss_MiB store_MiB" | tee "$out/flat.tsv"
start=$(date +%s)
while kill -0 "$watcher" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$watcher/status" 2>/dev/null || true)
  size=$(du -cb "$dir"/store.db* 2>/dev/null | awk 'END {printf "%.1f", $1/1048576}')
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )) $rss $size" | tee -a "$out/flat.tsv"
  sleep 10
done
wait "$watcher" || echo "# watch exited $?"
python3 - "$out/flat.tsv" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if not l.startswith("#")]
k = max(1, len(rows) // 5)
for i in range(5):
    part = rows[i * k:(i + 1) * k] if i < 4 else rows[4 * k:]
    if part:
        print(f"# fifth {i + 1}: {part[0][0]:.0f}-{part[-1][0]:.0f} s  RSS median {statistics.median(r[1] for r in part):.1f} MiB"
              f"  store median {statistics.median(r[2] for r in part):.1f} MiB (max {max(r[2] for r in part):.1f})")
PY
