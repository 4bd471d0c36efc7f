#!/usr/bin/env bash
# Every test: unit, end-to-end (real processes, cgroups, SQLite, runtimes), golden outputs,
# and the benchmarks in test mode so they do not rot.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets --locked --no-fail-fast "$@"
cargo test --workspace --doc --locked --no-fail-fast
# The independent recognition corpus: its generator's own tests, and that the frozen held-out
# and short splits still regenerate byte for byte (bench/recognition/gen2/MANIFEST.sha256).
(cd bench/recognition/gen2 && python3 -m unittest -q test_gen2 && python3 gen.py verify)
