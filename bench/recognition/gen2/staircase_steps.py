#!/usr/bin/env python3
"""At which step a `leak-staircase` series was first flagged.

Replays the generator's own draws (leak.staircase, from each series' seed in labels.json) up
to its plan of batch runs — start, ramp length and residue of every run — and reads the
first flag of each series from `latency_split`'s output (latency after the onset, which is
the first run's start). Prints, per staircase series, the residue of one run over the noise
(`noise_sd`), the runs whose ramp had ended by the first flag (`step@flag`), and a table of
step@flag by residue/noise. Never run it on heldout or short.

    target/release/examples/latency_split bench/recognition/gen2/out/dev2727 > /tmp/lat.txt
    python3 bench/recognition/gen2/staircase_steps.py bench/recognition/gen2/out/dev2727 /tmp/lat.txt

It must draw exactly as leak.staircase does: the script checks the first run's start against
the label's onset and stops when they differ (the generator changed; update `plan_of`).
"""
from __future__ import annotations

import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import leak  # noqa: E402
from rng import Rng  # noqa: E402
from series import HOUR, DAY, make_grid  # noqa: E402
from shapes import restart_times  # noqa: E402


def plan_of(seed: int):
    """The batch period and the plan [(start s, ramp s, residue bytes)], as leak.staircase
    draws them."""
    r = Rng(seed)
    period = r.logu(20 * 60.0, 6 * HOUR)
    g = make_grid(r, max(leak.pick_span(r, 6 * HOUR, 10 * DAY), 5 * period))
    base = leak.base_bytes(r)
    noise = leak.pick_noise(r, base, g.span_s)
    r.logu(0.1, 1.0)  # the burst
    r.chance(0.3)  # pure
    runs = restart_times(r, g.span_s, period, r.chance(0.6))
    per_run = leak._added(r, base, noise.sd_at(base), 0.08, 1.2, 6.0) / max(1, len(runs))
    return period, [(at, r.logu(120.0, period / 3), per_run * r.u(0.7, 1.3)) for at in runs]


def main() -> None:
    split, lat_file = sys.argv[1], sys.argv[2]
    if os.path.basename(os.path.normpath(split)) in ("heldout", "short"):
        sys.exit("not on heldout or short")
    lat = {}
    for line in open(lat_file):
        p = line.split()
        if len(p) > 3 and p[1] == "leak-staircase":
            lat[p[0]] = float(p[3]) if p[2] == "lat" else None
    bins = collections.defaultdict(collections.Counter)
    for s in json.load(open(os.path.join(split, "labels.json")))["series"]:
        if s["pattern"] != "leak-staircase":
            continue
        period, plan = plan_of(s["seed"])
        onset = s["onset_ts"] - s["start_ts"]
        if abs(onset - plan[0][0]) > 1.0:
            sys.exit(f"{s['file']}: the replayed plan does not start at the onset")
        snr = plan[0][2] / s["noise_sd"]
        b = "<1" if snr < 1 else "1-3" if snr < 3 else ">=3"
        head = f"{s['file']} period {period / 3600:5.2f} h runs {len(plan):3d} residue/sd {snr:6.1f}"
        if lat.get(s["file"]) is None:
            print(head, "MISS")
            bins[b]["miss"] += 1
            continue
        det = onset + lat[s["file"]] * 3600.0
        k = sum(1 for at, ramp, _ in plan if at + ramp <= det)
        print(head, f"lat {lat[s['file']]:6.2f} h step@flag {k}")
        bins[b][min(k, 6)] += 1
    for b in ("<1", "1-3", ">=3"):
        c = bins[b]
        cells = " ".join(f"{k if k < 6 else '6+'}:{c[k]}" for k in range(7))
        print(f"residue/sd {b:4} n {sum(c.values()) - c['miss']:3d} flagged  {cells}  miss:{c['miss']}")


if __name__ == "__main__":
    main()
