#!/bin/sh
# Peak RSS and time of leakscope on the hostile inputs of gen.py (issue 10, items 7-9), and on
# real profiles for comparison. Usage: bench/hostile/run.sh [LEAKSCOPE] [DIR]
#   LEAKSCOPE defaults to target/release/leakscope; DIR to /tmp/leakscope-hostile (gen.py's).
# Each run is capped at 8 GB of address space so that a reader without bounds fails instead
# of taking the machine down. Needs GNU time (/usr/bin/time).
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../target/release/leakscope}
dir=${2:-/tmp/leakscope-hostile}
[ -f "$dir/empty-samples.pb.gz" ] || python3 "$here/gen.py" "$dir"
run() {
	printf '%-58s ' "$*"
	( ulimit -v 8000000; /usr/bin/time -f '%x %M %e' "$bin" "$@" >/dev/null 2>"$dir/.err" )
	tail -n 1 "$dir/.err" | awk '{ printf "exit %s  peak %7.1f MiB  %6.2f s\n", $1, $2 / 1024, $3 }'
	head -n 1 "$dir/.err" | cut -c1-150 | sed "s/^/    /"
}
run heap top "$dir/empty-samples.pb.gz"
run heap top "$dir/empty-samples-400M.pb.gz"
run heap top "$dir/one-value-samples.pb"
run heap top "$dir/imax.pb"
run heap top "$dir/memo-jump.pickle"
run analyze "$dir/wide.csv"
run analyze "$dir/bigcell.csv"
