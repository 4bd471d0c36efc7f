#!/usr/bin/env bash
# Every test: unit, end-to-end (real processes, cgroups, SQLite, runtimes), golden outputs,
# and the benchmarks in test mode so they do not rot.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets --locked --no-fail-fast "$@"
cargo test --workspace --doc --locked --no-fail-fast
