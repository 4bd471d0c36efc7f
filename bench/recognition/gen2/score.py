#!/usr/bin/env python3
"""Score a leakscope binary on a generated gen2 split, next to two baseline alert rules.

    python3 score.py out/dev --bin target/release/leakscope [--json] [-- EXTRA ANALYZE ARGS...]

Runs `leakscope analyze FILE.csv --format json EXTRA...` on every series (2 at a time), reads
the verdicts and prints precision, recall, F1, false-positive rate, insufficient_data counts,
detection latency, pattern-name accuracy and growth-rate error, overall, for hard/not-hard
series and per generator pattern; then the misses and false positives by file. A verdict of
insufficient_data counts as not flagged (and is counted on its own).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import baselines  # noqa: E402
import split  # noqa: E402
from split import HOUR, median, pct  # noqa: E402

# labels.json names the closest of leakscope's eight contract names (DESIGN.md); leakscope also
# has finer names that describe some generator patterns exactly (a flat series, then a leak; a
# cycle on a rising floor; a staircase). `patt+` also counts these as right, for these patterns
# only: a finer name on any other pattern is still wrong.
FINER_NAME = {"leak-late-onset": "late-onset-leak", "leak-late-short": "late-onset-leak",
              "leak-daily-traffic": "leak-under-cycle", "leak-hidden-daily": "leak-under-cycle",
              "leak-slow-daily": "leak-under-cycle", "leak-staircase": "growth-in-bursts"}


def run_leakscope(binary: str, path: str, extra: list[str], timeout: float) -> dict:
    cmd = [binary, "analyze", path, "--format", "json", *extra]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "exit": None}
    out = {"exit": p.returncode, "wall_s": round(time.monotonic() - t0, 3)}
    if p.returncode == 2:
        out["error"] = (p.stderr.strip().splitlines() or ["exit 2"])[-1]
        return out
    try:
        series = json.loads(p.stdout)["series"]
    except (ValueError, KeyError, TypeError) as e:
        out["error"] = f"unreadable verdict JSON: {e}"
        return out
    if not series:
        out["error"] = "no series in the verdict"
        return out
    v = series[0]
    out.update(verdict=v.get("verdict"), pattern=v.get("pattern"), growth=v.get("growth_bytes_per_hour"),
               confidence=v.get("confidence"), detected_at=v.get("detected_at"),
               time_to_limit_s=v.get("time_to_limit_seconds"))
    # Exit code contract: 1 when a leak was found, 0 when none.
    out["exit_ok"] = p.returncode == (1 if any(s.get("verdict") == "leak" for s in series) else 0)
    return out


def metrics(items: list[dict], who: str) -> dict:
    """Counts and rates for one detector ('leakscope', 'rule_a', 'rule_b') over labelled items."""
    tp = fp = fn = tn = insufficient = errors = early = 0
    lat, gerr, pat_ok, pat_acc_ok, pat_fine_ok, pat_any_ok, pat_n = [], [], 0, 0, 0, 0, 0
    for it in items:
        lab, res = it["label"], it[who]
        flagged = res["flagged"]
        leak = lab["label"] == "leak"
        insufficient += res.get("insufficient", False)
        errors += bool(res.get("error"))
        if leak and flagged:
            tp += 1
            if res.get("detected_at") is not None and lab["onset_ts"] is not None:
                d = (res["detected_at"] - lab["onset_ts"]) / HOUR
                early += d < 0
                lat.append(d)
            g, true = res.get("growth"), lab["true_growth_bytes_per_hour"]
            if g is not None and true:
                gerr.append(abs(g / true - 1))
        elif leak:
            fn += 1
        elif flagged:
            fp += 1
        else:
            tn += 1
        if who == "leakscope" and lab["expected_pattern"] and not res.get("insufficient") and not res.get("error"):
            pat_n += 1
            pat_ok += res.get("pattern") == lab["expected_pattern"]
            pat_acc_ok += res.get("pattern") in lab["acceptable_patterns"]
            pat_fine_ok += res.get("pattern") in (lab["expected_pattern"], FINER_NAME.get(lab["pattern"]))
            pat_any_ok += res.get("pattern") in (lab["expected_pattern"], FINER_NAME.get(lab["pattern"]),
                                                   *lab["acceptable_patterns"])
    prec = tp / (tp + fp) if tp + fp else None
    rec = tp / (tp + fn) if tp + fn else None
    f1 = (2 * prec * rec / (prec + rec) if prec and rec else 0.0) if tp + fn else None  # no leaks: no F1
    out = {"n": len(items), "leaks": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
           "precision": prec, "recall": rec, "f1": f1, "fpr": fp / (fp + tn) if fp + tn else None,
           "latency_h_median": median(lat), "latency_h_p90": pct(lat, 0.9), "detected_before_onset": early,
           # A flag before the onset was raised on the series before it leaked: without those.
           "latency_h_median_after_onset": median([x for x in lat if x >= 0]),
           "latency_h_p90_after_onset": pct([x for x in lat if x >= 0], 0.9),
           "latency_n_after_onset": sum(x >= 0 for x in lat)}
    if who == "leakscope":
        out.update(insufficient_data=insufficient, errors=errors, pattern_n=pat_n,
                   pattern_accuracy=pat_ok / pat_n if pat_n else None,
                   pattern_acceptable_accuracy=pat_acc_ok / pat_n if pat_n else None,
                   pattern_finer_accuracy=pat_fine_ok / pat_n if pat_n else None,
                   pattern_any_accuracy=pat_any_ok / pat_n if pat_n else None,
                   growth_rel_error_median=median(gerr), growth_n=len(gerr))
    return out


def f(x, spec=".3f"):
    return "—" if x is None else format(x, spec)


def table(title: str, rows: list[tuple[str, dict, dict | None, dict | None]]) -> str:
    head = (f"{title:<28} {'n':>4} {'leak':>4} {'prec':>6} {'recall':>6} {'F1':>6} {'FPR':>6} {'insuf':>5} "
            f"{'lat50h':>7} {'lat90h':>7} {'lat50+':>7} {'early':>5} {'patt':>5} {'patt~':>5} {'patt+':>5} {'patt*':>5} {'gerr':>6} | {'A:F1':>5} {'A:FPR':>5} "
            f"{'A:rec':>5} | {'B:F1':>5} {'B:FPR':>5} {'B:rec':>5}")
    lines = [head, "-" * len(head)]
    for name, m, a, b in rows:
        line = (f"{name:<28} {m['n']:>4} {m['leaks']:>4} {f(m['precision']):>6} {f(m['recall']):>6} {f(m['f1']):>6} "
                f"{f(m['fpr']):>6} {m['insufficient_data']:>5} {f(m['latency_h_median'], '.2f'):>7} "
                f"{f(m['latency_h_p90'], '.2f'):>7} {f(m['latency_h_median_after_onset'], '.2f'):>7} "
                f"{m['detected_before_onset']:>5} {f(m['pattern_accuracy'], '.2f'):>5} "
                f"{f(m['pattern_acceptable_accuracy'], '.2f'):>5} {f(m['pattern_finer_accuracy'], '.2f'):>5} "
                f"{f(m['pattern_any_accuracy'], '.2f'):>5} "
                f"{f(m['growth_rel_error_median'], '.2f'):>6}")
        for bm in (a, b):
            line += " |" + (f" {f(bm['f1'], '.2f'):>5} {f(bm['fpr'], '.2f'):>5} {f(bm['recall'], '.2f'):>5}" if bm
                            else f" {'n/a':>5} {'':>5} {'':>5}")
        lines.append(line)
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        k = argv.index("--")
        argv, extra = argv[:k], argv[k + 1:]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("split_dir", help="a generated split (holds labels.json and the CSVs)")
    ap.add_argument("--bin", default="target/release/leakscope", help="the leakscope binary")
    ap.add_argument("--jobs", type=int, default=2, help="leakscope processes at a time (default 2)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per leakscope run")
    ap.add_argument("--pass-limit", action="store_true", help="pass --limit for series that have limit_bytes")
    ap.add_argument("--no-baselines", action="store_true", help="skip rules A and B")
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    ap.add_argument("--list", type=int, default=60, help="misses / false positives to list (default 60)")
    a = ap.parse_args(argv)
    doc = split.load(a.split_dir, "score")
    if doc is None or not split.executable(a.bin, "score", "build leakscope or pass --bin"):
        return 2
    labels = doc["series"]
    t0 = time.monotonic()

    def job(lab):
        args = list(extra)
        if a.pass_limit and lab.get("limit_bytes"):
            args += ["--limit", str(lab["limit_bytes"])]
        return run_leakscope(a.bin, os.path.join(a.split_dir, lab["file"]), args, a.timeout)

    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futures = [pool.submit(job, lab) for lab in labels]
        base = []
        for lab in labels:  # the baselines run here while the pool waits on leakscope
            if a.no_baselines or lab["unit"] != "bytes":
                base.append(None)
                continue
            ts, vs = baselines.read_csv(os.path.join(a.split_dir, lab["file"]))
            base.append(baselines.evaluate(ts, vs, lab.get("limit_bytes")))
        results = [fu.result() for fu in futures]
    wall = time.monotonic() - t0

    items = []
    for lab, res, b in zip(labels, results, base):
        res["flagged"] = res.get("verdict") == "leak"
        res["insufficient"] = res.get("verdict") == "insufficient_data"
        it = {"label": lab, "leakscope": res}
        if b is not None:
            it["rule_a"] = {"flagged": b["rule_a"] is not None, "detected_at": b["rule_a"]}
            it["rule_b"] = {"flagged": b["rule_b"] is not None, "detected_at": b["rule_b"],
                            "threshold": b["rule_b_threshold"]}
        items.append(it)

    def block(sel):
        with_base = [it for it in sel if "rule_a" in it]
        return (metrics(sel, "leakscope"), metrics(with_base, "rule_a") if with_base else None,
                metrics(with_base, "rule_b") if with_base else None)

    def size(i, lo, hi):
        lab = i["label"]
        return lab["label"] == "leak" and lab["unit"] == "bytes" and lo <= lab["leak_total_bytes"] < hi

    groups = [("all", items), ("not hard", [i for i in items if not i["label"]["hard"]]),
              ("hard", [i for i in items if i["label"]["hard"]]),
              ("bytes only (rules' scope)", [i for i in items if i["label"]["unit"] == "bytes"]),
              ("count series", [i for i in items if i["label"]["unit"] == "count"])]
    # Recall by how much a byte leak retains in all (sum of its increases over the window).
    for name, lo, hi in (("leaks < 64 MiB in all", 0, 64 * 2**20), ("leaks 64 MiB-1 GiB", 64 * 2**20, 2**30),
                         ("leaks >= 1 GiB", 2**30, float("inf"))):
        groups.append((name, [i for i in items if size(i, lo, hi)]))
    overall = {name: block(sel) for name, sel in groups if sel}
    patterns = sorted({i["label"]["pattern"] for i in items},
                      key=lambda p: (next(i["label"]["label"] for i in items if i["label"]["pattern"] == p), p))
    per_pattern = {p: block([i for i in items if i["label"]["pattern"] == p]) for p in patterns}
    wrong = [i for i in items if i["leakscope"]["flagged"] != (i["label"]["label"] == "leak")]
    exit_bad = [i["label"]["file"] for i in items if i["leakscope"].get("exit_ok") is False]
    errors = [(i["label"]["file"], i["leakscope"]["error"]) for i in items if i["leakscope"].get("error")]
    confusion: dict[str, dict[str, int]] = {}
    for i in items:
        if i["label"]["expected_pattern"] and i["leakscope"].get("pattern"):
            row = confusion.setdefault(i["label"]["expected_pattern"], {})
            row[i["leakscope"]["pattern"]] = row.get(i["leakscope"]["pattern"], 0) + 1

    names = ("leakscope", "rule_a", "rule_b")
    if a.json:
        out = {"split": doc.get("split"), "split_dir": a.split_dir, "binary": a.bin, "extra_args": extra,
               "wall_s": round(wall, 1), "overall": {k: dict(zip(names, v)) for k, v in overall.items()},
               "per_pattern": {k: dict(zip(names, v)) for k, v in per_pattern.items()},
               "pattern_confusion": confusion, "exit_code_mismatches": exit_bad, "errors": errors,
               "wrong": [{"file": i["label"]["file"], "pattern": i["label"]["pattern"], "label": i["label"]["label"],
                          "hard": i["label"]["hard"], **{k: i["leakscope"].get(k) for k in
                                                          ("verdict", "pattern", "confidence", "growth")}}
                         for i in wrong],
               "series": [{"file": i["label"]["file"], "leakscope": i["leakscope"], "rule_a": i.get("rule_a"),
                           "rule_b": i.get("rule_b")} for i in items]}
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0

    print(f"gen2 split '{doc.get('split')}' ({len(items)} series) — {a.bin} analyze --format json {' '.join(extra)}"
          f" — {wall:.0f} s")
    print("prec/recall/F1/FPR: leakscope; insuf = insufficient_data (not flagged); lat = detected_at - onset (h), "
          "true positives; lat50+ = the same without flags raised before the onset (early: how many); "
          "patt = pattern == expected_pattern, patt~ = within acceptable_patterns, patt+ = expected_pattern or "
          "leakscope's finer name for that generator pattern (FINER_NAME), patt* = right by any of the three; gerr = median "
          "|growth/true - 1| on true positives; A/B = baseline rules (byte series only)\n")
    print(table("subset", [(k, *v) for k, v in overall.items()]))
    m = overall["all"][0]
    # A date before the onset told of a leak that was not there yet: counted apart.
    print(f"\nlatency (h, true positives dated): {m['detected_before_onset']} of "
          f"{m['detected_before_onset'] + m['latency_n_after_onset']} dated before the onset; "
          f"after the onset p50 {f(m['latency_h_median_after_onset'], '.2f')} "
          f"p90 {f(m['latency_h_p90_after_onset'], '.2f')}; "
          f"all p50 {f(m['latency_h_median'], '.2f')} p90 {f(m['latency_h_p90'], '.2f')}")
    _, ra, rb = overall["all"]
    if ra:
        print(f"\nbaseline latency (h, true positives): rule A median {f(ra['latency_h_median'], '.2f')} "
              f"p90 {f(ra['latency_h_p90'], '.2f')}; rule B median {f(rb['latency_h_median'], '.2f')} "
              f"p90 {f(rb['latency_h_p90'], '.2f')}")
    print()
    print(table("generator pattern", [(p, *v) for p, v in per_pattern.items()]))
    print("\npattern names (expected -> leakscope's):")
    for exp_p, row in sorted(confusion.items()):
        print(f"  {exp_p:<20} " + ", ".join(f"{k} {v}" for k, v in sorted(row.items(), key=lambda kv: -kv[1])))
    if exit_bad:
        print(f"\nexit code not 1-iff-leak on {len(exit_bad)} files: {' '.join(exit_bad[:20])}")
    if errors:
        print(f"\n{len(errors)} errors:")
        for file, err in errors[:20]:
            print(f"  {file}: {err}")
    print(f"\nmisses and false positives ({len(wrong)}; first {a.list}):")
    for i in wrong[: a.list]:
        lab, res = i["label"], i["leakscope"]
        kind = "MISS" if lab["label"] == "leak" else "FP  "
        g, est = lab["true_growth_bytes_per_hour"], res.get("growth") or 0.0
        scale, unit = (2**20, "MiB/h") if lab["unit"] == "bytes" else (1, "/h (count)")
        print(f"  {kind} {lab['file']} {lab['pattern']:<22} hard={str(lab['hard']):<5} span={lab['span_s'] / HOUR:6.1f}h "
              f"true={g / scale:8.2f} {unit} -> {res.get('verdict')} {res.get('pattern')} "
              f"conf={f(res.get('confidence'), '.2f')} growth={est / scale:.2f} {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
