#!/usr/bin/env bash
# The store benchmark (docs/benchmarks/store.md): 1,000 targets x 8 fields every 10 s, driven
# through the store API with synthetic time. The current store runs DAYS simulated days (default
# 90); the v2 store (commit 78cec5d, one row per sample) runs V2_DAYS (default 1) of the same
# workload for the comparison (0 skips either). Output: OUT/v3.txt and OUT/v2.txt (default
# bench/store/out).
#
#   bench/store/run.sh [DAYS [V2_DAYS [OUT]]]
set -euo pipefail
cd "$(dirname "$0")/../.."
days=${1:-90}
v2_days=${2:-1}
out=${3:-bench/store/out}
mkdir -p "$out"
v2_commit=78cec5d

if [ "$days" != 0 ]; then
  nice cargo build -q --release -p leakscope-store --example store_bench
  echo "== v3: $days simulated days (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  nice target/release/examples/store_bench --days "$days" | tee "$out/v3.txt"
fi

if [ "$v2_days" != 0 ]; then
  tmp=$(mktemp -d)
  cleanup() { git worktree remove --force "$tmp/v2" 2>/dev/null || true; rm -rf "$tmp"; }
  trap cleanup EXIT
  git worktree add -q --detach "$tmp/v2" "$v2_commit"
  cp crates/store/examples/store_bench.rs "$tmp/v2/crates/store/examples/"
  # The benchmark reads thread CPU time through libc; the v2 store crate did not depend on it.
  sed -i 's/^rusqlite.workspace = true$/rusqlite.workspace = true\nlibc.workspace = true/' \
    "$tmp/v2/crates/store/Cargo.toml"
  (cd "$tmp/v2" && RUSTFLAGS="--cfg store_v2" CARGO_TARGET_DIR="$tmp/target" \
    nice cargo build -q --release -p leakscope-store --example store_bench)
  echo "== v2 ($v2_commit): $v2_days simulated days (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  nice "$tmp/target/release/examples/store_bench" --days "$v2_days" | tee "$out/v2.txt"
fi
