#!/usr/bin/env python3
"""gen2: an independent labelled corpus of memory series for scoring leakscope's recognizer.

    python3 gen.py generate --split dev          # -> out/dev/*.csv + out/dev/labels.json
    python3 gen.py generate --split heldout      # frozen: checked by `verify`
    python3 gen.py generate --split short        # 5-minute, 1 s recordings (also frozen)
    python3 gen.py verify                        # regenerate heldout + short, compare to MANIFEST.sha256

Standard library only; deterministic from the split's seed (see README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import leak  # noqa: E402
import noleak  # noqa: E402
import short  # noqa: E402
from rng import Rng, derive_seed  # noqa: E402
from series import Series, format_rows, leak_truth, noise_sd, quantize, write_csv  # noqa: E402

#: Default seed of each split's stream; heldout and short are frozen by MANIFEST.sha256.
SEEDS = {"dev": 20260417, "heldout": 880031, "short": 5150}
COUNTS = {"dev": 400, "heldout": 400, "short": 60}
MANIFEST = os.path.join(HERE, "MANIFEST.sha256")
FROZEN = ("heldout", "short")

#: (pattern id, generator, weight). Weights set the share of each pattern in a split.
PATTERNS = [
    ("stable", noleak.stable, 18),
    ("gc-regular", noleak.gc_regular, 12),
    ("gc-major-minor", noleak.gc_major_minor, 9),
    ("gc-jvm-generational", noleak.gc_jvm, 8),
    ("gc-jvm-rare-full", noleak.gc_jvm_rare_full, 3),
    ("gc-go-heap-goal", noleak.gc_go, 8),
    ("cache-exp", noleak.cache("exp"), 6),
    ("cache-logistic", noleak.cache("logistic"), 5),
    ("cache-sqrt", noleak.cache("sqrt"), 6),
    ("cache-lru", noleak.cache("lru"), 6),
    ("cache-still-filling", noleak.cache_still_filling, 9),
    ("daily-sinusoid", noleak.daily("sinusoid"), 5),
    ("daily-business-hours", noleak.daily("business-hours"), 5),
    ("daily-weekday-weekend", noleak.daily("weekday-weekend"), 4),
    ("daily-two-peaks", noleak.daily("two-peaks"), 4),
    ("daily-short-window", noleak.daily(None, 1.0, hard=True), 3),
    ("spike-recovered", noleak.spike_recovered, 7),
    ("arena-released", noleak.arena_released, 5),
    ("batch-steps", noleak.batch_steps, 6),
    ("deploy-steps", noleak.deploy_steps, 5),
    ("warmup-restarts", noleak.warmup_restarts, 7),
    ("warmup-restarts-slow", noleak.warmup_restarts_slow, 4),
    ("goroutines-flat", noleak.goroutines_flat, 6),
    ("short-no-leak", noleak.short_no_leak, 6),
    ("leak-linear", leak.linear, 14),
    ("leak-gc-floor", leak.gc_floor, 10),
    ("leak-accelerating", leak.accelerating, 6),
    ("leak-staircase", leak.staircase, 8),
    ("leak-bursts", leak.bursts, 7),
    ("leak-daily-traffic", leak.daily_traffic, 10),
    ("leak-restarts-cron", leak.restarts_cron, 8),
    ("leak-restarts-oom", leak.restarts_oom, 6),
    ("leak-oom-regrow", leak.oom_regrow, 5),
    ("leak-late-onset", leak.late_onset, 9),
    ("leak-slow-daily", leak.slow_daily, 7),
    ("leak-goroutines", leak.goroutines, 7),
    ("leak-low-snr", leak.low_snr, 9),
    ("leak-late-short", leak.late_short, 6),
    ("leak-hidden-daily", leak.hidden_daily, 6),
    ("leak-short", leak.short_leak, 6),
]


def allocate(table, count: int, r: Rng) -> list:
    """`count` pattern slots in proportion to the weights (largest remainder), shuffled."""
    total = sum(w for _, _, w in table)
    exact = [(w * count / total, i) for i, (_, _, w) in enumerate(table)]
    slots = [int(x) for x, _ in exact]
    by_rest = sorted(exact, key=lambda e: (-(e[0] - int(e[0])), e[1]))
    for _, i in by_rest[: count - sum(slots)]:
        slots[i] += 1
    out = [table[i] for i, k in enumerate(slots) for _ in range(k)]
    r.shuffle(out)
    return out


def _r(x, nd=3):
    return None if x is None else round(x, nd)


def label_of(s: Series, file: str, seed: int, rows) -> dict:
    g = s.grid
    rec = {
        "file": file,
        "name": s.name,
        "unit": s.unit,
        "label": s.label,
        "pattern": s.pattern,
        "expected_pattern": s.expected,
        "acceptable_patterns": sorted({*s.acceptable, *([s.expected] if s.expected else [])}),
        "hard": s.hard,
        "onset_ts": None,
        "true_growth_bytes_per_hour": 0.0,
        "start_ts": g.start_ts,
        "end_ts": float(rows[-1][0]) if rows else g.start_ts,
        "interval_s": g.interval_s,
        "span_s": _r(g.t[-1] - g.t[0], 1),
        "points": len(rows),
        "limit_bytes": None if s.limit is None else round(s.limit),
        "seed": seed,
    }
    sd = noise_sd(s.values, s.clean) if s.clean else None
    rec["noise_sd"] = None if sd is None else round(sd, 1)
    if s.label == "leak":
        rec["onset_ts"] = _r(g.start_ts + s.onset_s)
        rec.update(leak_truth(g, s.leak, s.onset_s))
        # Most the leak holds at once, in noise sds: how plainly the leak stands out.
        rec["leak_snr"] = round(max(s.leak) / sd, 2) if sd else None
    rec["params"] = s.params
    return rec


def generate(split: str, out: str, count: int, seed: int, quiet: bool = False) -> dict:
    os.makedirs(out, exist_ok=True)
    table = short.PATTERNS if split == "short" else PATTERNS
    plan = allocate(table, count, Rng(derive_seed("gen2-plan", split, seed)))
    labels, t0 = [], time.monotonic()
    for i, (pattern, gen, _) in enumerate(plan):
        sseed = derive_seed("gen2-series", split, seed, i)
        s = gen(Rng(sseed))
        assert s.pattern.startswith(pattern.split("-")[0]), (pattern, s.pattern)
        values = quantize(s.values, s.quantum)
        rows = format_rows(s.grid, values)
        file = f"{split}-{i + 1:04d}.csv"
        write_csv(os.path.join(out, file), s.name, rows)
        labels.append(label_of(s, file, sseed, rows))
        if not quiet and (i + 1) % 50 == 0:
            print(f"{split}: {i + 1}/{len(plan)} series ({time.monotonic() - t0:.1f} s)", file=sys.stderr)
    doc = {"generator": "gen2", "version": 1, "split": split, "seed": seed, "count": len(labels), "series": labels}
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    return doc


def summary(doc: dict) -> str:
    s = doc["series"]
    leaks = sum(1 for x in s if x["label"] == "leak")
    hard = sum(1 for x in s if x["hard"])
    pts = [x["points"] for x in s]
    return (f"{doc['split']}: {len(s)} series, {leaks} leaks ({100 * leaks / len(s):.0f} %), {hard} hard "
            f"({100 * hard / len(s):.0f} %), {sum(pts)} points (max {max(pts)} per series)")


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digests(split: str, out: str) -> dict[str, str]:
    return {f"{split}/{name}": sha256(os.path.join(out, name)) for name in sorted(os.listdir(out))}


def write_manifest() -> None:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for split in FROZEN:
            out = os.path.join(tmp, split)
            generate(split, out, COUNTS[split], SEEDS[split])
            lines += [f"{d}  {p}" for p, d in digests(split, out).items()]
    with open(MANIFEST, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {MANIFEST} ({len(lines)} files)")


def verify() -> int:
    """Regenerate the frozen splits with default arguments and compare with the manifest."""
    want = {}
    with open(MANIFEST) as f:
        for line in f:
            if line.strip():
                d, p = line.split(None, 1)
                want[p.strip()] = d
    have = {}
    with tempfile.TemporaryDirectory() as tmp:
        for split in FROZEN:
            out = os.path.join(tmp, split)
            generate(split, out, COUNTS[split], SEEDS[split], quiet=True)
            have.update(digests(split, out))
    bad = sorted(p for p in want.keys() | have.keys() if want.get(p) != have.get(p))
    for p in bad[:20]:
        print(f"MISMATCH {p}: manifest {want.get(p, '(absent)')[:12]} regenerated {have.get(p, '(absent)')[:12]}")
    if bad:
        print(f"verify: {len(bad)} of {len(want)} files differ from MANIFEST.sha256")
        return 1
    print(f"verify: all {len(want)} files of {', '.join(FROZEN)} match MANIFEST.sha256")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write one split's CSVs and labels.json")
    g.add_argument("--split", choices=sorted(SEEDS), required=True)
    g.add_argument("--out", help="output directory (default: out/<split> beside this script)")
    g.add_argument("--count", type=int, help="number of series (default: 400, short: 60)")
    g.add_argument("--seed", type=int, help="base seed (default: the split's frozen seed)")
    sub.add_parser("verify", help="regenerate heldout and short and check them against MANIFEST.sha256")
    sub.add_parser("manifest", help="rewrite MANIFEST.sha256 (only when the generator is meant to change)")
    a = ap.parse_args(argv)
    if a.cmd == "verify":
        return verify()
    if a.cmd == "manifest":
        write_manifest()
        return 0
    out = a.out or os.path.join(HERE, "out", a.split)
    count = a.count or COUNTS[a.split]
    if count < 1:
        print("generate: --count must be at least 1", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    doc = generate(a.split, out, count, SEEDS[a.split] if a.seed is None else a.seed)
    print(f"{summary(doc)}; {time.monotonic() - t0:.1f} s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
