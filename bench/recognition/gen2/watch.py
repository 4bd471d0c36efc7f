#!/usr/bin/env python3
"""What a watcher would have said on the way: the verdict asked every STEP seconds of series time.

    python3 watch.py out/dev --example target/release/examples/watch_replay [--step 900] [--hold 1] [--json]

score.py judges each series whole, and `detected_at` is the streaming replay's first flag.
`watch` and the agent ask for the verdict as samples arrive, and page on what it says then.
This replays every series of a split through the core example `watch_replay` (build it with
`cargo build --release -p leakscope-core --example watch_replay`), asking every `--step`
seconds, and counts per generator pattern (byte series only: the example judges with the
byte defaults): no-leak series the watcher said leak on at some
point, leak series it said leak on before the onset, and the latency of its first leak
verdict after the onset. `--hold K` counts a leak only once it was said K checks in a row
(Alertmanager's `for:`). The `paged` columns count the same for the agent's growth alert
(MemoryGrowthLeak with its default rules: a leak verdict and 50 MB/h over the last hour), fed
every sample, which is what would have woken someone.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import split  # noqa: E402
from split import HOUR, median  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("split_dir", help="a generated split (holds labels.json and the CSVs)")
    ap.add_argument("--example", default="target/release/examples/watch_replay", help="the watch_replay example")
    ap.add_argument("--step", type=float, default=900.0, help="seconds of series time between checks (900)")
    ap.add_argument("--hold", type=int, default=1, help="checks in a row a leak must be said (1)")
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    a = ap.parse_args(argv)
    doc = split.load(a.split_dir, "watch")
    if doc is None or not split.executable(a.example, "watch", "build the watch_replay example or pass --example"):
        return 2
    labels = {l["file"]: l for l in doc["series"] if l["unit"] == "bytes"}
    paths = [os.path.join(a.split_dir, f) for f in sorted(labels)]
    p = subprocess.run([a.example, str(a.step), str(a.hold)], input="\n".join(paths) + "\n",
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"watch: {a.example} failed: {p.stderr.strip()}", file=sys.stderr)
        return 2
    per = collections.defaultdict(lambda: {"series": 0, "said_leak": 0, "early": 0, "latency_h": [],
                                           "paged": 0, "paged_early": 0, "page_latency_h": []})
    for line in p.stdout.splitlines():
        path, first, _final, _detected, page = line.split()
        lab = labels[os.path.basename(path)]
        row = per[lab["pattern"]]
        row["series"] += 1
        for t, said, early, latency in ((first, "said_leak", "early", "latency_h"),
                                        (page, "paged", "paged_early", "page_latency_h")):
            if t == "-":
                continue
            if lab["label"] != "leak":
                row[said] += 1
            elif float(t) < lab["onset_ts"]:
                row[early] += 1
            else:
                row[latency].append((float(t) - lab["onset_ts"]) / HOUR)
    leak_patterns = {l["pattern"] for l in labels.values() if l["label"] == "leak"}
    no_leak = [per[k] for k in per if k not in leak_patterns]
    leak = [per[k] for k in per if k in leak_patterns]
    total = {
        "no_leak_series": sum(r["series"] for r in no_leak),
        "no_leak_said_leak": sum(r["said_leak"] for r in no_leak),
        "no_leak_paged": sum(r["paged"] for r in no_leak),
        "leak_series": sum(r["series"] for r in leak),
        "leak_said_before_onset": sum(r["early"] for r in leak),
        "leak_found_after_onset": sum(len(r["latency_h"]) for r in leak),
        "latency_h_median": median([x for r in leak for x in r["latency_h"]]),
        "leak_paged_before_onset": sum(r["paged_early"] for r in leak),
        "leak_paged_after_onset": sum(len(r["page_latency_h"]) for r in leak),
        "page_latency_h_median": median([x for r in leak for x in r["page_latency_h"]]),
    }
    if a.json:
        json.dump({"split_dir": a.split_dir, "step_s": a.step, "hold": a.hold, "total": total,
                   "per_pattern": per}, sys.stdout, indent=1)
        print()
        return 0

    def h(x):
        return "-" if x is None else f"{x:.2f}"

    def of(k, n):
        return f"{k:>5} of {n:>4}"

    print(f"{a.split_dir}: the verdict asked every {a.step:g} s of series time, a leak counted after "
          f"{a.hold} check(s) in a row; paged = the agent's growth alert fired")
    print(f"{'pattern':<24} {'said leak':>13} {'paged':>13} {'said early':>13} {'found':>6} {'p50 h':>6} "
          f"{'paged early':>13} {'paged':>6} {'p50 h':>6}")
    for k in sorted(per):
        r = per[k]
        if k in leak_patterns:
            print(f"{k:<24} {'':>13} {'':>13} {of(r['early'], r['series'])} {len(r['latency_h']):>6} "
                  f"{h(median(r['latency_h'])):>6} {of(r['paged_early'], r['series'])} "
                  f"{len(r['page_latency_h']):>6} {h(median(r['page_latency_h'])):>6}")
        else:
            print(f"{k:<24} {of(r['said_leak'], r['series'])} {of(r['paged'], r['series'])}")
    t = total
    print(f"{'no-leak series':<24} {of(t['no_leak_said_leak'], t['no_leak_series'])} "
          f"{of(t['no_leak_paged'], t['no_leak_series'])}")
    print(f"{'leak series':<24} {'':>13} {'':>13} {of(t['leak_said_before_onset'], t['leak_series'])} "
          f"{t['leak_found_after_onset']:>6} {h(t['latency_h_median']):>6} "
          f"{of(t['leak_paged_before_onset'], t['leak_series'])} {t['leak_paged_after_onset']:>6} "
          f"{h(t['page_latency_h_median']):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
