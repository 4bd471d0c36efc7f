#!/usr/bin/env python3
"""What a watcher started with the process would have said: verdicts on prefixes of no-leak series.

    python3 prefixes.py out/dev --bin target/release/leakscope [--hours 2,4,6,8,12,16,20,24,36,48] [--json]

score.py judges each series whole. A watcher judges it as it grows, and alerts on what it sees
then: the first morning of a daily cycle or a cache still filling can read as a leak for hours
before the evening fall or the bound shows. For every no-leak series of a split this runs
`leakscope analyze --format json` on its first H hours for each H that the series covers, and
counts, per generator pattern, the series flagged at some prefix and the prefix verdicts that
said leak (with their confidence).
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import split  # noqa: E402
from split import HOUR  # noqa: E402


def judge_prefixes(binary: str, path: str, hours: list[float], tmpdir: str) -> list[dict]:
    """The verdict on the first H hours of the series at `path`, for each H it covers."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], rows[1:]
    t0 = float(body[0][0])
    out = []
    fd, tmp = tempfile.mkstemp(suffix=".csv", dir=tmpdir)
    os.close(fd)
    try:
        for h in hours:
            part = [r for r in body if float(r[0]) - t0 <= h * HOUR]
            if len(part) == len(body):
                break  # the prefix is the whole series: score.py's business
            with open(tmp, "w") as fh:
                fh.write(",".join(head) + "\n")
                fh.writelines(",".join(r) + "\n" for r in part)
            p = subprocess.run([binary, "analyze", tmp, "--format", "json"], capture_output=True, text=True)
            if p.returncode == 2:
                out.append({"hours": h, "error": (p.stderr.strip().splitlines() or ["exit 2"])[-1]})
                continue
            v = json.loads(p.stdout)["series"][0]
            out.append({"hours": h, "verdict": v["verdict"], "pattern": v.get("pattern"),
                        "confidence": v.get("confidence")})
    finally:
        os.unlink(tmp)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("split_dir", help="a generated split (holds labels.json and the CSVs)")
    ap.add_argument("--bin", default="target/release/leakscope", help="the leakscope binary")
    ap.add_argument("--hours", default="2,4,6,8,12,16,20,24,36,48", help="prefix lengths, hours")
    ap.add_argument("--jobs", type=int, default=2, help="series at a time (default 2)")
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    a = ap.parse_args(argv)
    try:
        hours = sorted(float(h) for h in a.hours.split(","))
    except ValueError as e:
        print(f"prefixes: --hours: {e}", file=sys.stderr)
        return 2
    doc = split.load(a.split_dir, "prefixes")
    if doc is None or not split.executable(a.bin, "prefixes", "build leakscope or pass --bin"):
        return 2
    labels = [l for l in doc["series"] if l["label"] == "no_leak"]
    with tempfile.TemporaryDirectory() as tmpdir, ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        results = list(pool.map(
            lambda l: judge_prefixes(a.bin, os.path.join(a.split_dir, l["file"]), hours, tmpdir), labels))

    per = collections.defaultdict(lambda: {"series": 0, "flagged_series": 0, "prefixes": 0, "leak_prefixes": 0})
    flagged = []
    for lab, res in zip(labels, results):
        row = per[lab["pattern"]]
        row["series"] += 1
        leaks = [r for r in res if r.get("verdict") == "leak"]
        row["prefixes"] += sum("verdict" in r for r in res)
        row["leak_prefixes"] += len(leaks)
        if leaks:
            row["flagged_series"] += 1
            flagged.append({"file": lab["file"], "pattern": lab["pattern"], "hard": lab["hard"], "leak_at": leaks})
    total = {k: sum(r[k] for r in per.values()) for k in ("series", "flagged_series", "prefixes", "leak_prefixes")}
    if a.json:
        json.dump({"split_dir": a.split_dir, "binary": a.bin, "hours": hours, "total": total,
                   "per_pattern": per, "flagged": flagged}, sys.stdout, indent=1)
        print()
        return 0
    print(f"no-leak series of {a.split_dir}, judged on their first {', '.join(f'{h:g}' for h in hours)} h")
    print(f"{'pattern':<24} {'flagged':>13} {'leak verdicts':>15}")
    for p in sorted(per):
        r = per[p]
        print(f"{p:<24} {r['flagged_series']:>5} of {r['series']:>4} {r['leak_prefixes']:>6} of {r['prefixes']:>5}")
    print(f"{'all':<24} {total['flagged_series']:>5} of {total['series']:>4} "
          f"{total['leak_prefixes']:>6} of {total['prefixes']:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
