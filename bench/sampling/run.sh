#!/usr/bin/env bash
# Sampling-cost benchmark: leakscope's ProcReader vs psutil (and plain Python reads) on the
# same real processes, 10 / 100 / 1000 `sleep` children, in one run. Prints a table.
#
#   bash bench/sampling/run.sh [ROUNDS]          (needs: cargo, python3, pip install psutil)
#   PROCFS=1 bash bench/sampling/run.sh          (also times the procfs crate, see procfs-compare/)
# The last row per size, leakscope+pss, adds smaps_rollup (the --pss cost) for small processes.
#
# Uses CARGO_TARGET_DIR if set (default target/). Only the sleep processes it starts are killed.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-50}
target=${CARGO_TARGET_DIR:-target}
cargo build --quiet --release -p leakscope-probe --example sample_bench
bench="$target/release/examples/sample_bench"
if [[ "${PROCFS:-0}" == 1 ]]; then
  # A separate target dir: procfs-compare is its own workspace with its own lock file.
  procfs_target=${PROCFS_TARGET_DIR:-$(realpath -m "$target")-procfs}
  (cd bench/sampling/procfs-compare && CARGO_TARGET_DIR="$procfs_target" cargo build --quiet --release)
  procfs_bench="$procfs_target/release/procfs-compare"
fi
python3 -c 'import psutil' 2>/dev/null || { echo "psutil missing: pip install psutil" >&2; exit 2; }

pids=()
cleanup() { ((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(uname -r) $(nproc) cpus; $(python3 -c 'import psutil,sys; print("python", sys.version.split()[0], "psutil", psutil.__version__)'); rounds=$rounds"
printf '%-14s %6s %12s %12s %12s %14s\n' tool procs "median µs" "p90 µs" "cpu µs" "core% @1s"
for n in 10 100 1000; do
  while ((${#pids[@]} < n)); do sleep 600 & pids+=($!); done
  sel=("${pids[@]:0:n}")
  runs=("$bench --rounds $rounds" "python3 bench/sampling/psutil_bench.py --rounds $rounds" \
        "python3 bench/sampling/psutil_bench.py --raw --rounds $rounds")
  [[ -n "${procfs_bench:-}" ]] && runs+=("$procfs_bench --rounds $rounds")
  runs+=("$bench --pss --rounds $rounds")
  for cmd in "${runs[@]}"; do
    line=$($cmd "${sel[@]}")
    tool=${line%% *}
    [[ "$line" == *"pss=true"* ]] && tool="$tool+pss"
    get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    printf '%-14s %6s %12s %12s %12s %14s\n' "$tool" "$n" "$(get median_us_per_proc)" \
      "$(get p90_us_per_proc)" "$(get cpu_us_per_proc)" "$(get core_pct_at_1s)"
  done
done
