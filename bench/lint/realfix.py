#!/usr/bin/env python3
"""Precision and recall of `leakscope lint` on fixtures written from real leak fixes.

    python3 bench/lint/realfix.py [LEAKSCOPE] [--severity note]

Each pair in bench/lint/realfix/{js,py}/ is `NAME.leaky.EXT` and `NAME.fixed.EXT`; its header
names the public fix it was written after. Every line of a leaky file marked `LEAK` is one leak
site. A finding on a marked line is a true positive; any other finding (in a leaky file off the
marked lines, or anywhere in a fixed twin) is a false positive. Recall = marked sites flagged /
marked sites; precision = true positives / findings.
"""
import collections, json, os, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "realfix")
args = sys.argv[1:]
exe = os.path.abspath(args[0]) if args and not args[0].startswith("--") else os.path.join(here, "../../target/release/leakscope")
severity = args[args.index("--severity") + 1] if "--severity" in args else "warning"

out = subprocess.run([exe, "lint", "--format", "json", "--severity", severity, "."], cwd=corpus,
                     capture_output=True, text=True)
if out.returncode not in (0, 1):
    sys.exit(f"leakscope exited {out.returncode}: {out.stderr}")
findings = collections.defaultdict(list)
for f in json.loads(out.stdout)["findings"]:
    findings[f["file"]].append(f)

rows = collections.defaultdict(lambda: collections.Counter())
detail = []
for family in sorted(os.listdir(corpus)):
    fam_dir = os.path.join(corpus, family)
    if not os.path.isdir(fam_dir):
        continue
    for name in sorted(os.listdir(fam_dir)):
        rel = f"{family}/{name}"
        with open(os.path.join(fam_dir, name), encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        marked = {i + 1 for i, l in enumerate(lines) if "LEAK" in l and not l.lstrip().startswith(("#", "//"))}
        got = findings.get(rel, [])
        c = rows[family]
        if ".leaky." in name:
            c["pairs"] += 1
            c["sites"] += len(marked)
            hit = {f["line"] for f in got if f["line"] in marked}
            c["sites found"] += len(hit)
            c["leaky files found"] += bool(hit)
            c["tp"] += sum(1 for f in got if f["line"] in marked)
            c["fp"] += sum(1 for f in got if f["line"] not in marked)
            status = f"{len(hit)}/{len(marked)} sites"
        else:
            c["fixed clean"] += not got
            c["fp"] += len(got)
            status = "clean" if not got else f"{len(got)} finding(s)"
        rules = ", ".join(f"{f['rule']}:{f['line']}" for f in got)
        detail.append(f"  {rel:48} {status:14} {rules}")

print(f"severity {severity}")
print("\n".join(detail))
total = collections.Counter()
for family, c in sorted(rows.items()):
    total.update(c)
for family, c in sorted(rows.items()) + [("all", total)]:
    n = c["tp"] + c["fp"]
    precision = f"{100.0 * c['tp'] / n:.0f}%" if n else "n/a (no findings)"
    print(f"{family:4} pairs {c['pairs']:2}  recall {c['sites found']}/{c['sites']} sites "
          f"({100.0 * c['sites found'] / max(c['sites'], 1):.0f}%), leaky files {c['leaky files found']}/{c['pairs']}, "
          f"fixed twins clean {c['fixed clean']}/{c['pairs']}, precision {c['tp']}/{n} = {precision}")
