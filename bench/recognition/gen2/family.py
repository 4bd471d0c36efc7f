"""One family of gen2: N series of a single pattern, written like a split (CSV files and
labels.json), for measuring how often the recognizer is wrong on that family with more series
than a split holds (a split has 5-18 of each).

    python3 family.py deploy-steps 200 9001 out/fam-deploy-9001

Seeds are separate from the splits' (derived from "gen2-family", the pattern and SEED), so a
family never repeats a split's series; heldout and short are untouched.
"""
import json
import os
import sys

from gen import PATTERNS, Rng, derive_seed, format_rows, label_of, quantize, write_csv


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    pattern, n, seed, out = argv[0], int(argv[1]), int(argv[2]), argv[3]
    table = {p: g for p, g, _ in PATTERNS}
    if pattern not in table:
        print(f"unknown pattern {pattern!r}; one of: {', '.join(table)}", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    labels = []
    for i in range(n):
        sseed = derive_seed("gen2-family", pattern, seed, i)
        s = table[pattern](Rng(sseed))
        rows = format_rows(s.grid, quantize(s.values, s.quantum))
        file = f"dev-{i + 1:04d}.csv"
        write_csv(os.path.join(out, file), s.name, rows)
        labels.append(label_of(s, file, sseed, rows))
    doc = {"generator": "gen2", "version": 1, "split": "dev", "seed": seed, "count": n, "series": labels}
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
