#!/usr/bin/env python3
"""Alternating runs of several commands in one tree, with medians: on a shared machine a slow
moment then hurts every command alike instead of one.

    python3 bench/lint/alternate.py TREE RUNS NAME=COMMAND [NAME=COMMAND ...]

Each run is `/usr/bin/time -f "%e %U %M" sh -c COMMAND` in TREE, its output discarded. Prints,
per command, the median wall time, user CPU and peak RSS, and the load average before and after.
"""

import os
import statistics
import subprocess
import sys
import tempfile


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    tree, runs = sys.argv[1], int(sys.argv[2])
    cmds = [a.split("=", 1) for a in sys.argv[3:]]
    samples = {name: [] for name, _ in cmds}
    print(f"load average before: {load()}")
    with tempfile.NamedTemporaryFile("r") as t:
        for _ in range(runs):
            for name, cmd in cmds:
                subprocess.run(
                    ["/usr/bin/time", "-o", t.name, "-f", "%e %U %M", "sh", "-c", cmd],
                    cwd=tree,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                )
                t.seek(0)
                wall, user, rss = t.read().split()[-3:]
                samples[name].append((float(wall), float(user), int(rss)))
    print(f"load average after:  {load()}")
    print(f"{'command':32} {'wall s':>7} {'user s':>7} {'RSS MB':>7}   (median of {runs})")
    for name, s in samples.items():
        wall = statistics.median(x[0] for x in s)
        user = statistics.median(x[1] for x in s)
        rss = statistics.median(x[2] for x in s) / 1024
        print(f"{name:32} {wall:7.2f} {user:7.2f} {rss:7.1f}")


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    main()
