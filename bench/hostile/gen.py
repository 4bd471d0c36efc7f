"""Writes hostile inputs for leakscope's parsers into OUT (default /tmp/leakscope-hostile).

Each file is small on disk and built to make a careless reader allocate far more than the
input justifies (issue 10, items 7-9). Nothing here is committed; see run.sh for the
commands that measure peak RSS and time on them. Usage: python3 gen.py [OUT]
"""
import gzip
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/leakscope-hostile"
os.makedirs(OUT, exist_ok=True)


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(tag, wire, payload):
    key = varint((tag << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def msg(tag, payload):
    return field(tag, 2, payload)


def header(types=(("space", "bytes"),)):
    """sample_type entries and the string table for them."""
    strings = [""]
    out = b""
    for t, u in types:
        strings += [t, u]
        out += msg(1, field(1, 0, varint(len(strings) - 2)) + field(2, 0, varint(len(strings) - 1)))
    for s in strings:
        out += msg(6, s.encode())
    return out


def write_gz(name, head, unit, count, chunk=1 << 20):
    """head, then `unit` repeated `count` times, gzipped at level 9 without holding it all."""
    path = os.path.join(OUT, name)
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(head)
        per = max(1, chunk // len(unit))
        block = unit * per
        left = count
        while left >= per:
            f.write(block)
            left -= per
        f.write(unit * left)
    print(f"{name}: {os.path.getsize(path)} bytes, {len(head) + len(unit) * count} decompressed")


def write_raw(name, data):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


EMPTY_SAMPLE = msg(2, b"")
# A sample with one value (1): the smallest sample that survives pprof's merge.
ONE_VALUE_SAMPLE = msg(2, field(2, 2, varint(1)))

# 1. ~58 KB gzip of 30 M empty samples (60 MB decompressed).
write_gz("empty-samples.pb.gz", header(), EMPTY_SAMPLE, 30_000_000)
# 2. ~390 KB gzip of 200 M empty samples (400 MB decompressed).
write_gz("empty-samples-400M.pb.gz", header(), EMPTY_SAMPLE, 200_000_000)
# 3. 100 MB, not compressed: 20 M samples of one value each.
write_raw("one-value-samples.pb", header() + ONE_VALUE_SAMPLE * 20_000_000)
# 4. Two samples of i64::MAX bytes at two functions: their sum overflows an i64.
strings = ["", "space", "bytes", "main.a", "main.b"]
p = msg(1, field(1, 0, varint(1)) + field(2, 0, varint(2)))
for i, name in ((1, 3), (2, 4)):
    p += msg(5, field(1, 0, varint(i)) + field(2, 0, varint(name)))
    p += msg(4, field(1, 0, varint(i)) + msg(4, field(1, 0, varint(i))))
    p += msg(2, field(1, 2, varint(i)) + field(2, 2, varint((1 << 63) - 1)))
for s in strings:
    p += msg(6, s.encode())
write_raw("imax.pb", p)

# 5. A CSV whose header has 1 M series columns, then two rows.
cols = 1_000_000
with open(os.path.join(OUT, "wide.csv"), "w") as f:
    f.write("timestamp," + ",".join(f"s{i}" for i in range(cols)) + "\n")
    for t in (1, 2):
        f.write(f"{t}," + ",".join("1" for _ in range(cols)) + "\n")
print("wide.csv written")
# 6. A CSV with a 100 MB cell.
with open(os.path.join(OUT, "bigcell.csv"), "w") as f:
    f.write("timestamp,rss_bytes\n1,100\n2,")
    f.write("x" * 100_000_000)
    f.write("\n3,300\n")
print("bigcell.csv written")
# 7. A tracemalloc-looking pickle whose memo index jumps ahead on every PUT (LONG_BINPUT,
#    5 bytes each): each PUT may name any index up to "stored so far + bytes left".
n = 4_000
head = b"\x80\x04\x8c\x0btracemalloc0N"
size = len(head) + n * 5 + 2
data = bytearray(head)
memo_len = 0
for i in range(n):
    remaining = size - (len(data) + 5)
    idx = min(memo_len + remaining, 0xFFFFFFFF)
    data += b"r" + struct.pack("<I", idx)
    memo_len = idx + 1
data += b"0."
write_raw("memo-jump.pickle", bytes(data))
