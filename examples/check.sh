#!/usr/bin/env bash
# Checks every example service: leaky ones retain memory in proportion to
# requests, fixed ones stay bounded. See check.py for what is measured.
#
#   examples/check.sh [--requests 5000] [--only node/cache]
#
# Drives the load with leakscope's own generator (the loadgen example of
# crates/load), built here in debug mode unless $LEAKSCOPE_LOADGEN names a
# binary already; falls back to check.py's Python client without cargo.
# Needs node, python3 and go (apt-get install -y golang-go).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -z "${LEAKSCOPE_LOADGEN:-}" ]] && command -v cargo >/dev/null; then
  (cd "$here/.." && cargo build --quiet -p leakscope-load --example loadgen)
  target="${CARGO_TARGET_DIR:-$here/../target}"
  [[ -x "$target/debug/examples/loadgen" ]] && export LEAKSCOPE_LOADGEN="$target/debug/examples/loadgen"
fi
exec python3 "$here/check.py" "$@"
