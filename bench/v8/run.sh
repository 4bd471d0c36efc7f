#!/usr/bin/env bash
# Benchmarks of `leakscope heap` on V8 snapshots against memlab and the DevTools worker code
# (heap-snapshot-toolkit), each under /usr/bin/time -v (wall time, peak RSS).
#
#   bench/v8/run.sh DIR [BIG]  # DIR holds s1/s2/s3.heapsnapshot from gen.js; BIG is one
#                              # snapshot over 1 GB (gen.js OUT 2400000 1)
#
# leakscope runs REPEAT times (default 3; this shared machine's speed varies from run to run),
# the Node tools once each (they take minutes). With BEFORE=path/to/older/leakscope, every
# leakscope run is made with that binary too, right before, so a change is measured against
# its base under the same load; NODE_TOOLS=0 skips memlab and the DevTools code.
#
# Generate the data first (not committed; ~1 GB for the ~300 MB set):
#   mkdir -p bench-data/v8-300 && node --max-old-space-size=16000 bench/v8/gen.js bench-data/v8-300 600000
# Build: cargo build --release -p leakscope ; npm deps: (cd bench/v8 && PUPPETEER_SKIP_DOWNLOAD=true npm i)
set -uo pipefail
dir="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
bin="${LEAKSCOPE:-${CARGO_TARGET_DIR:-$here/../../target}/release/leakscope}"
out="${OUT:-/tmp/leakscope-bench-v8}"
mkdir -p "$out"
run() {
  local name="$1"; shift
  /usr/bin/time -v "$@" > "$out/$name.out" 2> "$out/$name.time"
  local wall rss
  wall=$(grep "Elapsed (wall" "$out/$name.time" | awk '{print $NF}')
  rss=$(grep "Maximum resident" "$out/$name.time" | awk '{print $NF}')
  user=$(grep "User time" "$out/$name.time" | awk '{print $NF}')
  printf '%-40s wall %8s  user %6s s  peak RSS %6.0f MB\n' "$name" "$wall" "$user" "$((rss / 1024))"
}
echo "machine: $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
ls -la "$dir"/s*.heapsnapshot
big="${2:-}"
repeat="${REPEAT:-3}"
before="${BEFORE:-}"
# Each leakscope command, with the BEFORE binary first when given.
both() {
  local name="$1"; shift
  if [ -n "$before" ]; then
    run "before-$name" "$before" "$@"
  fi
  run "$name" "$bin" "$@"
}
for i in $(seq "$repeat"); do
  both "leakscope-top-s3#$i" heap top "$dir/s3.heapsnapshot" --format json
  both "leakscope-diff-s1-s2#$i" heap diff "$dir/s1.heapsnapshot" "$dir/s2.heapsnapshot" --format json
  both "leakscope-diff-s1-s2-s3#$i" heap diff "$dir/s1.heapsnapshot" "$dir/s2.heapsnapshot" "$dir/s3.heapsnapshot" --format json
  # Across sessions: the same files matched by retainers (what separate captures get).
  if "$bin" heap diff --help | grep -q -- "--match"; then
    run "leakscope-diff-s1-s2-retainers#$i" "$bin" heap diff "$dir/s1.heapsnapshot" "$dir/s2.heapsnapshot" --match retainers --format json
  fi
done
if [ -n "$big" ]; then
  ls -la "$big"
  cat "$big" > /dev/null  # into the page cache, as the other files already are
  for i in $(seq "$repeat"); do
    both "leakscope-top-big#$i" heap top "$big" --format json
  done
  if [ "${NODE_TOOLS:-1}" != 0 ]; then
    run devtools-top-big node --max-old-space-size=30000 "$here/devtools-summary.mjs" "$big"
  fi
fi
if [ "${NODE_TOOLS:-1}" = 0 ]; then
  exit 0
fi
run devtools-diff-s1-s2 node --max-old-space-size=16000 "$here/devtools-summary.mjs" --diff "$dir/s1.heapsnapshot" "$dir/s2.heapsnapshot"
memlab="$here/node_modules/.bin/memlab"
run memlab-unbound-collection "$memlab" analyze unbound-collection --snapshot-dir "$dir"
run memlab-find-leaks-trace-all "$memlab" find-leaks --baseline "$dir/s1.heapsnapshot" --target "$dir/s2.heapsnapshot" --final "$dir/s3.heapsnapshot" --trace-all-objects
