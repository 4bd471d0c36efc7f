"""Writes a real tracemalloc dump with about N traces (default 1,000,000) for the benchmark.

Usage: python3 gen_tracemalloc_dump.py [N] [OUT]   (gen.sh calls it; nothing is committed)
300 generated allocation sites (in 30 pseudo-files) at call depths 1-8 keep objects alive;
each bytearray is two traces (object + buffer), so N/2 objects are made.
"""
import sys
import tracemalloc

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
OUT = sys.argv[2] if len(sys.argv) > 2 else "big.pickle"
KEEP = []

# 300 sites in 30 files; each site calls down a chain of depth 1..8 before allocating.
SITES = []
for s in range(300):
    depth = 1 + s % 8
    lines = []
    for d in range(depth):
        nxt = "_f%d_%d(n)" % (s, d + 1) if d + 1 < depth else "KEEP.append(bytearray(n))"
        lines.append("def _f%d_%d(n):\n    %s\n" % (s, d, nxt))
    src = "\n" * (s * 3) + "".join(lines)  # different line numbers per site
    ns = {"KEEP": KEEP}
    exec(compile(src, "service/mod%02d.py" % (s % 30), "exec"), ns)
    SITES.append(ns["_f%d_0" % s])

tracemalloc.start(10)
for i in range(N // 2):
    SITES[(i * 7919) % 300](16 + i % 64)
snap = tracemalloc.take_snapshot()
snap.dump(OUT)
print("wrote", OUT, len(snap.traces), "traces")
