#!/usr/bin/env python3
"""Thumbnails of generated series as one PNG (standard library only), for eyeballing shapes.

    python3 plot.py out/dev --pattern leak-daily-traffic --limit 12 -o /tmp/p.png

Each panel: the series in black (min-max per pixel column), the leak onset as a red line,
limit_bytes as a blue line. Panels are in labels.json order; their files are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import zlib

W, H, PAD = 320, 110, 6


def read_csv(path):
    ts, vs = [], []
    with open(path) as f:
        next(f)
        for line in f:
            a, b = line.split(",")
            ts.append(float(a))
            vs.append(float(b))
    return ts, vs


def png(path, pixels, width, height):
    raw = b"".join(b"\x00" + bytes(pixels[y * width * 3:(y + 1) * width * 3]) for y in range(height))

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("split_dir")
    ap.add_argument("--pattern", help="only series whose pattern starts with this")
    ap.add_argument("--files", nargs="*")
    ap.add_argument("--limit", type=int, default=16)
    ap.add_argument("--cols", type=int, default=3)
    ap.add_argument("-o", "--out", default="/tmp/gen2.png")
    a = ap.parse_args()
    labels = json.load(open(os.path.join(a.split_dir, "labels.json")))["series"]
    sel = [x for x in labels if (not a.pattern or x["pattern"].startswith(a.pattern))
           and (not a.files or x["file"] in a.files)][: a.limit]
    rows = (len(sel) + a.cols - 1) // a.cols
    width, height = a.cols * (W + PAD), rows * (H + PAD)
    px = bytearray([235] * (width * height * 3))

    def put(x, y, c):
        if 0 <= x < width and 0 <= y < height:
            i = (y * width + x) * 3
            px[i:i + 3] = bytes(c)
    for k, lab in enumerate(sel):
        ox, oy = (k % a.cols) * (W + PAD), (k // a.cols) * (H + PAD)
        for y in range(H):
            for x in range(W):
                put(ox + x, oy + y, (255, 255, 255))
        ts, vs = read_csv(os.path.join(a.split_dir, lab["file"]))
        t0, t1 = ts[0], ts[-1] or 1
        lo, hi = min(vs), max(vs)
        if lab.get("limit_bytes"):
            hi = max(hi, lab["limit_bytes"])
        lo = min(lo, 0.0) if lo < 0.3 * hi else lo
        span = (hi - lo) or 1.0
        sx = lambda t: ox + int((t - t0) / ((t1 - t0) or 1) * (W - 1))  # noqa: E731
        sy = lambda v: oy + H - 1 - int((v - lo) / span * (H - 1))  # noqa: E731
        cols = {}
        for t, v in zip(ts, vs):
            x = sx(t)
            a_, b_ = cols.get(x, (v, v))
            cols[x] = (min(a_, v), max(b_, v))
        for x, (a_, b_) in cols.items():
            for y in range(sy(b_), sy(a_) + 1):
                put(x, y, (0, 0, 0))
        if lab.get("onset_ts"):
            x = sx(lab["onset_ts"])
            for y in range(oy, oy + H, 2):
                put(x, y, (220, 0, 0))
        if lab.get("limit_bytes"):
            y = sy(lab["limit_bytes"])
            for x in range(ox, ox + W, 2):
                put(x, y, (0, 0, 220))
        print(f"[{k // a.cols},{k % a.cols}] {lab['file']} {lab['pattern']} {lab['label']} hard={lab['hard']} "
              f"span={lab['span_s'] / 3600:.1f}h dt={lab['interval_s']}s "
              f"growth={lab['true_growth_bytes_per_hour'] / 2**20:.2f}MiB/h")
    png(a.out, px, width, height)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
