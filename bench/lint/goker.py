#!/usr/bin/env python3
"""Recall of `leakscope lint` on GoKer's blocking kernels (timmyyuan/gobench, MIT).

    python3 bench/lint/goker.py GOBENCH_DIR [LEAKSCOPE] [--severity note]

GOBENCH_DIR is a checkout of timmyyuan/gobench (the `gobench/` folder inside it holds
`goker/blocking/<project>/<id>/` and `configures/goker/blocking.json`). Every kernel is a real
blocking bug, so a kernel counts as found when any finding lands in its folder; the table is by
the bug type GoKer assigns. Nothing is copied from the corpus.
"""
import collections, json, os, subprocess, sys

root = sys.argv[1]
base = os.path.join(root, "gobench") if os.path.isdir(os.path.join(root, "gobench")) else root
exe = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else os.path.abspath("target/release/leakscope")
extra = [a for a in sys.argv[2:] if a.startswith("--")]
if "--severity" in extra:
    extra = ["--severity", sys.argv[sys.argv.index("--severity") + 1]]
labels = json.load(open(os.path.join(base, "configures/goker/blocking.json")))
out = subprocess.run([exe, "lint", "--format", "json", *extra, "goker/blocking"], cwd=base,
                     capture_output=True, text=True)
if out.returncode not in (0, 1):
    sys.exit(f"leakscope exited {out.returncode}: {out.stderr}")
report = json.loads(out.stdout)
hit = collections.defaultdict(list)
for f in report["findings"]:
    parts = f["file"].split("/")
    i = parts.index("blocking")
    hit[f"{parts[i + 1]}_{parts[i + 2]}"].append(f"{f['rule']}:{f['line']}")
by_type = collections.defaultdict(lambda: [0, 0])
for kernel, label in labels.items():
    t = label["type"]
    by_type[t][1] += 1
    if kernel in hit:
        by_type[t][0] += 1
total = sum(v[1] for v in by_type.values())
found = sum(v[0] for v in by_type.values())
for t, (f, n) in sorted(by_type.items()):
    print(f"{t:28} {f:3}/{n:3}")
print(f"{'all blocking kernels':28} {found:3}/{total:3} ({100.0 * found / total:.1f}%)")
gor = sum(1 for k in labels if any(h.startswith("go/goroutine") for h in hit.get(k, [])))
print(f"{'by a goroutine rule':28} {gor:3}/{total:3} ({100.0 * gor / total:.1f}%)")
print(f"files {report['files']}, lines {report['lines']}, findings {len(report['findings'])}, "
      f"warnings {len(report['warnings'])}")
for kernel in sorted(hit):
    print(f"  {kernel:20} {labels.get(kernel, {}).get('subtype', '?'):28} {' '.join(hit[kernel])}")
unlabeled = sorted(k for k in hit if k not in labels)
if unlabeled:
    print("findings in unlabelled folders:", unlabeled)
