#!/usr/bin/env python3
"""Compare leakscope's JSON with DevTools' (devtools-summary.mjs) class by class.

    compare-devtools.py top  DEVTOOLS.json LEAKSCOPE.json   # heap top: count, shallow, retained, distance
    compare-devtools.py diff DEVTOOLS.json LEAKSCOPE.json   # heap diff: the Comparison columns

Run leakscope with `--limit 0` so that every class is listed. Exits 1 on any mismatch.
"""
import json
import sys

mode, dt_path, ls_path = sys.argv[1:4]
dt = json.load(open(dt_path))["classes"]
ls = {g["name"]: g for g in json.load(open(ls_path))["groups"]}
if mode == "top":
    cols = [("count", "count"), ("shallow_size", "shallow_size"), ("retained_size", "retained_size"), ("distance", "distance")]
    # leakscope lists classes with at least one counted object; so does DevTools' Summary.
    wanted = {k for k, v in dt.items() if v["count"] > 0}
else:
    cols = [(c, c) for c in ("new", "deleted", "delta", "alloc_size", "freed_size", "size_delta")]
    wanted = {k for k, v in dt.items() if v["new"] or v["deleted"]}
bad = 0
for name in sorted(wanted | set(ls)):
    d, v = dt.get(name), ls.get(name)
    if d is None or v is None:
        if mode == "top" or name in wanted:
            print(f"only in {'leakscope' if d is None else 'DevTools'}: {name}")
            bad += 1
        continue
    for dk, lk in cols:
        a, b = v.get(lk), d.get(dk)
        if dk == "distance" and (b is None or b >= 1e15):
            b = -1  # unreachable: DevTools has no distance, leakscope shows -1
        if a is None or abs(a - b) > 1:
            print(f"{name}: {dk} leakscope {a} DevTools {b}")
            bad += 1
print(f"{len(wanted)} classes compared, {bad} mismatches")
sys.exit(1 if bad else 0)
