#!/bin/bash
# The watcher over 40 sleeping processes and 2 scrapes at --interval 5ms for COUNT rounds:
# its RSS and the store file size every 5 s (the shape of tests/self_memory.rs, longer).
# usage: bench/agent/rounds.sh BIN COUNT [wrapper...]
BIN=$1; COUNT=$2; shift 2
D=${TMPDIR:-/tmp}/leakscope-rounds; rm -rf $D; mkdir -p $D
printf 'go_memstats_heap_inuse_bytes 5.5e+07\ngo_goroutines 12\n' > $D/metrics
cd $D && python3 -m http.server 0 --bind 127.0.0.1 > $D/http.log 2>&1 &
HP=$!
sleep 1
PORT=$(grep -o 'port [0-9]*' $D/http.log | awk '{print $2}')
PIDS=()
for i in $(seq 40); do sleep 3600 & PIDS+=($!); done
ARGS=(watch --scrape http://127.0.0.1:$PORT/metrics --scrape http://localhost:$PORT/metrics --alert-above 1 --interval 5ms --count $COUNT -q)
for p in ${PIDS[@]}; do ARGS+=(--pid $p); done
"$@" $BIN "${ARGS[@]}" --db $D/self.db --log $D/log.jsonl > /dev/null 2>$D/err.log &
W=$!
echo "watcher $W"
while kill -0 $W 2>/dev/null; do
  R=$(awk '/VmRSS/{print $2}' /proc/$W/status 2>/dev/null)
  # for wrappers the watcher is a child
  C=$(pgrep -P $W leakscope | head -1); [ -n "$C" ] && R=$(awk '/VmRSS/{print $2}' /proc/$C/status 2>/dev/null)
  echo "$(date +%s) rss_kb=$R db=$(du -k $D/self.db* 2>/dev/null | awk '{s+=$1}END{print s}')"
  sleep 5
done
wait $W; echo "exit $?"
kill ${PIDS[@]} $HP 2>/dev/null
