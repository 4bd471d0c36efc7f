#!/usr/bin/env bash
# Backfill a generated fleet (gen_fleet's per-block OpenMetrics files) into a Prometheus data
# dir, one promtool run per 2-hour block file, two at a time.
# usage: bench/fleet/backfill.sh FLEET_DIR DATA_DIR
set -euo pipefail
fleet=$1 data=$2
mkdir -p "$data"
start=$(date +%s.%N)
ls "$fleet"/block-*.om | xargs -P 2 -I{} nice promtool tsdb create-blocks-from openmetrics -q {} "$data"
end=$(date +%s.%N)
printf 'backfill: %s files in %.1f s, %s\n' "$(ls "$fleet"/block-*.om | wc -l)" "$(echo "$end - $start" | bc)" "$(du -sh "$data" | cut -f1)"
