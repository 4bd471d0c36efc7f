#!/usr/bin/env bash
# Benchmarks leakscope's built-in load generator (crates/load, `loadgen`
# example) against wrk on the same trivial server (`hello_server` example,
# tokio + hyper, 200 "Hello, World!") on 127.0.0.1, in one run.
#
#   bench/load/run.sh            # DUR=10s CONNS=64 SERVER_THREADS=1 ROUNDS=2
#
# Needs wrk (apt-get install -y wrk) and /usr/bin/time. Prints requests/s and
# the CPU each generator spent per request; then a rate sweep that shows from
# which rate the generator falls behind (its `late` count and achieved rate).
# Loopback only; every run is bounded by DUR.
set -euo pipefail
DUR="${DUR:-10s}"
CONNS="${CONNS:-64}"
SERVER_THREADS="${SERVER_THREADS:-1}"
ROUNDS="${ROUNDS:-2}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }

cargo build --quiet --release -p leakscope-load --examples
bin="${CARGO_TARGET_DIR:-$root/target}/release/examples"

out="$(mktemp)"
"$bin/hello_server" --port 0 --threads "$SERVER_THREADS" >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
port="$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$out")"
[[ -n "$port" ]] || { echo "hello_server did not start" >&2; exit 2; }
url="http://127.0.0.1:$port"

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# server: hello_server --threads $SERVER_THREADS; $CONNS connections; $DUR per run"
for threads in 1 2; do
  for round in $(seq "$ROUNDS"); do
    echo
    echo "## wrk -t$threads -c$CONNS -d$DUR $url/user/1   (round $round)"
    /usr/bin/time -f "cpu: %U s user, %S s system, %e s wall" \
      wrk -t"$threads" -c"$CONNS" -d"$DUR" "$url/user/1" 2>&1 | grep -E "requests in|Requests/sec|Latency|cpu:|errors"
    echo "## loadgen $url/user/{n} --threads $threads --concurrency $CONNS --duration $DUR   (round $round)"
    /usr/bin/time -f "cpu: %U s user, %S s system, %e s wall" \
      "$bin/loadgen" "$url/user/{n}" --threads "$threads" --concurrency "$CONNS" --duration "$DUR" --quiet 2>&1
  done
done

echo
echo "## rate sweep: loadgen --threads 1 --concurrency $CONNS --duration 5s --rate R"
for rate in 5000 10000 20000 40000 80000; do
  echo "# rate $rate"
  /usr/bin/time -f "cpu: %U s user, %S s system, %e s wall" \
    "$bin/loadgen" "$url/user/{n}" --threads 1 --concurrency "$CONNS" --duration 5s --rate "$rate" --quiet 2>&1 \
    | grep -E "requests in|late|Requests/sec|cpu:"
done
