#!/usr/bin/env bash
# The fleet benchmark (docs/benchmarks/fleet.md): a labeled fleet of >= 10,000 container memory
# series over 7 days, backfilled once into Debian's Prometheus outside the repo, judged
#   1. by leakscope (server-side screen, then the candidates' full curves),
#   2. by leakscope judging every full curve (--screen off), the recall baseline,
#   3. the naive way: one query_range per series, judged,
#   4. by Prometheus-only rules (deriv / predict_linear), evaluated as instant queries.
# Prometheus is started here on loopback (pid recorded, stopped at the end); its CPU time per
# method is read from /proc.
#
# usage: bench/fleet/run.sh [DATA_ROOT] [SERIES]      (default /work/bench-data, 10000)
# env: BIN (binaries, default this repo's target/release), PORT (default 19190), QUICK=1 (only
# the two leakscope runs and their comparison: no naive fetch, no rules), LIMITS=0 (judge the
# memory series alone, without the fleet's limits and restart counters, as before 2026-12-06).
# needs: cargo build --release -p leakscope && cargo build --release -p leakscope-fleet --examples
set -euo pipefail
root=${1:-/work/bench-data}
n=${2:-10000}
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BIN:-$repo/target/release}
fleet=$root/fleet
data=$root/fleet-data
out=$root/results
mkdir -p "$out"

if [ ! -f "$fleet/meta.json" ]; then
  /usr/bin/time -f 'generate: %e s' "$bin/examples/gen_fleet" "$fleet" "$n" 7 300
fi
if [ ! -d "$data" ]; then
  "$repo/bench/fleet/backfill.sh" "$fleet" "$data"
fi
meta() { python3 -c "import json,sys;print(json.load(open('$fleet/meta.json'))['$1'])"; }
start=$(meta start) end=$(meta end) step=$(meta step)
truth=$fleet/truth.jsonl
query=container_memory_working_set_bytes

port=${PORT:-19190}
url=http://127.0.0.1:$port
printf 'global:\n  scrape_interval: 15s\n' > "$root/prom.yml"
prometheus --config.file="$root/prom.yml" --storage.tsdb.path="$data" \
  --storage.tsdb.retention.time=36500d --web.listen-address=127.0.0.1:$port \
  > "$root/prom.log" 2>&1 &
prom=$!
trap 'kill $prom 2>/dev/null; wait $prom 2>/dev/null || true' EXIT
until curl -sf "$url/-/ready" >/dev/null; do sleep 0.1; done
# Let start-up compaction of the backfilled blocks finish before measuring.
sleep "${SETTLE:-20}"
cpu() { awk '{print ($14+$15)/100}' "/proc/$prom/stat"; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "fleet: $(cat "$fleet/meta.json")"

# What a cluster exports beside the memory series: each container's limit (cAdvisor) and its
# restart counter (kube-state-metrics), joined to the series on the labels they share.
evidence=()
if [ "${LIMITS:-1}" != 0 ]; then
  evidence=(--limit-query "container_spec_memory_limit_bytes > 0")
  if "$bin/leakscope" analyze --help 2>/dev/null | grep -q -- --restarts-query; then
    evidence+=(--restarts-query kube_pod_container_status_restarts_total)
  fi
fi
echo "evidence: ${evidence[*]:-none}"

run_leakscope() { # name, extra flags...
  local name=$1; shift
  local c0; c0=$(cpu)
  /usr/bin/time -f '%e %M' -o "$out/$name.time" "$bin/leakscope" analyze --prometheus "$url" \
    --query "$query" --start "$start" --end "$end" --format json -v "${evidence[@]}" "$@" \
    > "$out/$name.json" 2> "$out/$name.err" || test $? -eq 1
  local c1; c1=$(cpu)
  read -r wall rss < <(tail -1 "$out/$name.time")
  echo "$name: wall ${wall} s, peak RSS $((rss / 1024)) MB, Prometheus CPU $(echo "$c1 - $c0" | bc) s"
  grep '^leakscope:' "$out/$name.err" || true
  "$bin/examples/fleet_bench" score "$out/$name.json" "$truth"
}

run_leakscope screened
run_leakscope full --screen off
echo "screen vs full curves: $("$bin/examples/fleet_bench" compare "$out/screened.json" "$out/full.json" | cut -c1-400)"
[ -n "${QUICK:-}" ] && exit 0

c0=$(cpu)
/usr/bin/time -f '%e %M' -o "$out/naive.time" "$bin/examples/fleet_bench" naive "$url" "$query" \
  "$start" "$end" "$step" 4 "$truth" > "$out/naive.json"
c1=$(cpu)
read -r wall rss < <(tail -1 "$out/naive.time")
echo "naive: wall ${wall} s, peak RSS $((rss / 1024)) MB, Prometheus CPU $(echo "$c1 - $c0" | bc) s"
cat "$out/naive.json"

rule() { # expr
  local c0 c1; c0=$(cpu)
  "$bin/examples/fleet_bench" rule "$url" "$1" "$end" "$truth"
  c1=$(cpu)
  echo "  Prometheus CPU $(echo "$c1 - $c0" | bc) s"
}
rule "deriv($query[1h]) * 3600 > 50e6"
rule "deriv($query[24h]) * 3600 > 1e6"
rule "predict_linear($query[24h], 7 * 86400) > 2 * $query"
if [ -x "$bin/leakscope" ] && "$bin/leakscope" rules --help >/dev/null 2>&1; then
  expr=$("$bin/leakscope" rules --selector "$query" --inline-expr 2>/dev/null || true)
  [ -n "$expr" ] && rule "$expr"
fi
