#!/usr/bin/env python3
"""Summarize measure.py outputs (docs/benchmarks/diagnose.md): per file, the alert and the
culprit times, and what the service answered while the diagnosis ran.

    python3 docs/benchmarks/diagnose/summarize.py docs/benchmarks/diagnose/*-release-*.json

`steady` is the median of requests answered per 250 ms over the 20 s before the alert;
`during` is the share of the offered requests (rate x window) answered between the alert and
the line carrying the diagnosis; `stalls` are the slowest requests above 1 s in that window
(one per capture that stopped the service: the stop's length, queueing included).
"""
import json, statistics, sys

for path in sys.argv[1:]:
    d = json.load(open(path))
    slots = d["per_250ms"]
    out = {k: d.get(k) for k in ("lang", "variant", "rate", "alert", "diagnosis",
                                 "alert_to_culprit_seconds", "took_seconds", "culprit",
                                 "format", "diagnosis_error", "loadavg_before")}
    if d.get("alert") is not None and d.get("diagnosis") is not None:
        a, z = d["alert"], d["diagnosis"]
        before = [n for t, n, _ in slots if a - 20 <= t < a]
        window = [(t, n, slow) for t, n, slow in slots if a <= t <= z]
        out["steady_per_250ms"] = statistics.median(before) if before else None
        offered = d["rate"] * (z - a)
        out["during_answered_share"] = round(sum(n for _, n, _ in window) / offered, 2) if offered else None
        stalls, last = [], None
        for t, n, slow in window:
            if slow > 1.0:
                if last is not None and t - last < slow:
                    stalls[-1] = max(stalls[-1], round(slow, 1))
                else:
                    stalls.append(round(slow, 1))
                last = t
        out["stalls_seconds"] = stalls
        out["max_stall_seconds"] = max((s for _, _, s in window), default=0.0)
    print(json.dumps(out))
