"""What the bench scripts (score.py, watch.py, prefixes.py) share: reading a generated split's
labels, checking the program they run, and one median."""

from __future__ import annotations

import json
import os
import sys

HOUR = 3600.0


def load(split_dir: str, tool: str) -> dict | None:
    """The split's labels.json (its `series` are the labelled series), or None after saying on
    stderr why it cannot be read."""
    try:
        with open(os.path.join(split_dir, "labels.json")) as fh:
            doc = json.load(fh)
        if not isinstance(doc.get("series"), list):
            raise ValueError("no list of series")
        return doc
    except (OSError, ValueError, AttributeError) as e:
        print(f"{tool}: cannot read {split_dir}/labels.json ({e}); generate the split first", file=sys.stderr)
        return None


def executable(path: str, tool: str, hint: str) -> bool:
    """Whether `path` can be run; if not, says so on stderr with `hint` (how to get it)."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return True
    print(f"{tool}: {path} is not executable; {hint}", file=sys.stderr)
    return False


def pct(xs: list[float], q: float) -> float | None:
    """The q-quantile by nearest rank (a value of xs, never an interpolation)."""
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * len(xs) + 0.5)) - 1))]


def median(xs: list[float]) -> float | None:
    return pct(xs, 0.5)
