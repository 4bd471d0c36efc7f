"""Sampling grids, measurement noise and the written form of one generated series.

A pattern generator computes the *process* (what the memory really did) at every sample time
of a grid; this module then adds what a collector does to it: noise, outliers, a bounded
wander, quantization, lost samples, jittered and out-of-order timestamps. Ground truth (onset,
growth) is taken from the leak component the generator reports, never from the noisy values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rng import Rng

MiB = float(1 << 20)
GiB = float(1 << 30)
MB = 1e6
HOUR = 3600.0
DAY = 86400.0

#: Scrape intervals seen in practice, in seconds.
INTERVALS = (10, 15, 20, 30, 60, 120, 300)
#: Most points a series may have (the brief's cap).
MAX_POINTS = 20000
#: 2026-01-01T00:00:00Z; start times are drawn from the following 330 days.
EPOCH_2026 = 1767225600


@dataclass
class Grid:
    """When samples were taken: offsets in seconds from `start_ts`, before any are lost."""

    start_ts: int
    span_s: float
    interval_s: int
    t: list[float]
    keep: list[bool]
    fractional: bool
    params: dict = field(default_factory=dict)

    def abs(self, i: int) -> float:
        return self.start_ts + self.t[i]


def pick_span(r: Rng, lo_s: float, hi_s: float) -> float:
    """A log-uniform span, rounded to whole minutes."""
    return max(60.0, round(r.logu(lo_s, hi_s) / 60.0) * 60.0)


def make_grid(r: Rng, span_s: float, interval_s: int | None = None, lossy: bool = True) -> Grid:
    """A realistic sampling grid over `span_s` seconds.

    The interval is a common scrape interval with at least 100 and at most MAX_POINTS samples
    (longer spans get coarser sampling). Timestamps jitter, a few scrapes are late, some are
    lost singly and some in outages.
    """
    if interval_s is None:
        allowed = [i for i in INTERVALS if span_s / MAX_POINTS <= i <= span_s / 100]
        if not allowed:
            allowed = [min(i for i in INTERVALS if i >= span_s / MAX_POINTS)] if span_s > 100 * 10 else [10]
        interval_s = r.choice(allowed)
    n = int(span_s // interval_s) + 1
    start = EPOCH_2026 + int(r.u(0, 330 * DAY))
    jitter = r.choice([0.0, 0.0, 0.002, 0.02, 0.08]) * interval_s
    late_p = r.choice([0.0, 0.0, 0.001, 0.005])
    phase = r.u(0, interval_s) if r.chance(0.5) else 0.0
    t = []
    for i in range(n):
        x = i * interval_s + phase
        if jitter:
            x += r.u(-jitter, jitter)
        if late_p and r.chance(late_p):
            # A late scrape: lands close to (or past) the next one; equal stamps are dropped on write.
            x += r.expo(0.6 * interval_s)
        t.append(max(0.0, x))
    t.sort()  # processes are simulated forward in time
    keep = [True] * n
    drop_p, gaps = 0.0, 0
    if lossy:
        drop_p = r.choice([0.0, 0.0, 0.001, 0.005, 0.02])
        gaps = r.choice([0, 0, 0, 1, 1, 2, 3]) if n > 300 else 0
        for i in range(n):
            if drop_p and r.chance(drop_p):
                keep[i] = False
        for _ in range(gaps):
            length = int(r.logu(2, max(3.0, n * 0.03)))
            at = r.int(1, max(1, n - length - 2))
            for i in range(at, min(n - 1, at + length)):
                keep[i] = False
    params = {"jitter_s": round(jitter, 3), "late_scrape_p": late_p, "drop_p": drop_p, "outages": gaps}
    return Grid(start, float(span_s), interval_s, t, keep, r.chance(0.3), params)


@dataclass
class Noise:
    """What the measurement adds on top of the process (bytes unless stated)."""

    mult_sd: float  # relative, per sample
    add_sd: float
    wander_sd: float  # stationary sd of a mean-reverting (Ornstein-Uhlenbeck) wander
    wander_tau_s: float
    outlier_p: float
    outlier_scale: float  # typical outlier size; sizes are Pareto-distributed above it
    outlier_alpha: float
    quantum: float  # values are multiples of this (page size, KiB or MiB)

    def sd_at(self, level: float) -> float:
        """Total per-sample sd at a given level (outliers left out)."""
        return math.sqrt((self.mult_sd * level) ** 2 + self.add_sd**2 + self.wander_sd**2)

    def params(self) -> dict:
        return {
            "noise_mult_sd": round(self.mult_sd, 6),
            "noise_add_sd_bytes": round(self.add_sd),
            "wander_sd_bytes": round(self.wander_sd),
            "wander_tau_s": round(self.wander_tau_s),
            "outlier_p": self.outlier_p,
            "quantum_bytes": int(self.quantum),
        }


def pick_noise(r: Rng, base: float, span_s: float, scale: float = 1.0, quiet: bool = False) -> Noise:
    """Noise for a series around `base` bytes; `scale` multiplies every sd."""
    top = 0.4 if quiet else 1.0
    mult = r.logu(0.0004, 0.012 * top) * scale
    add = base * r.logu(0.0003, 0.006 * top) * scale
    wander = base * r.logu(0.001, 0.02 * top) * scale if r.chance(0.8) else 0.0
    tau = r.logu(600.0, max(900.0, min(6 * HOUR, span_s / 4)))
    outlier_p = r.choice([0.0, 0.0, 0.0005, 0.002, 0.006])
    quantum = r.wchoice([(4096.0, 6), (1024.0, 2), (MiB, 2)])
    return Noise(mult, add, wander, tau, outlier_p, base * r.logu(0.01, 0.08), r.u(1.3, 3.0), quantum)


def apply_noise(r: Rng, grid: Grid, clean: list[float], noise: Noise, floor: float = 0.0) -> list[float]:
    """The process as a collector would read it (not yet quantized)."""
    out = []
    w = r.normal(0.0, noise.wander_sd) if noise.wander_sd else 0.0
    prev_t = grid.t[0]
    for i, v in enumerate(clean):
        if noise.wander_sd:
            a = math.exp(-max(0.0, grid.t[i] - prev_t) / noise.wander_tau_s)
            w = w * a + noise.wander_sd * math.sqrt(max(0.0, 1.0 - a * a)) * r.normal()
            prev_t = grid.t[i]
        x = v * (1.0 + noise.mult_sd * r.normal()) + noise.add_sd * r.normal() + w
        if noise.outlier_p and r.chance(noise.outlier_p):
            size = min(noise.outlier_scale * r.pareto(noise.outlier_alpha), 1.5 * v)
            # Mostly brief extra allocations; sometimes a reading taken mid-reclaim.
            x += size if r.chance(0.85) else -0.3 * size
        out.append(max(floor, x))
    return out


def quantize(values: list[float], quantum: float) -> list[int]:
    q = quantum
    return [max(int(q), int(math.floor(v / q + 0.5)) * int(q)) for v in values]


def leak_truth(grid: Grid, leak: list[float], onset_s: float) -> dict:
    """Ground truth from the leak component (bytes retained by the leak at each sample time).

    Growth is the sum of the leak's increases (drops at restarts are not counted back) over the
    time from onset to the end of the window, so for leaks with restarts it is the in-run rate.
    """
    total = 0.0
    for a, b in zip(leak, leak[1:]):
        if b > a:
            total += b - a
    end = grid.t[-1]
    hours = max(1e-9, (end - onset_s) / HOUR)
    # Rate over the last tenth of the leak's time: tells accelerating leaks apart.
    tail_from = onset_s + 0.9 * (end - onset_s)
    idx = [i for i, t in enumerate(grid.t) if t >= tail_from]
    tail = 0.0
    if len(idx) >= 2:
        i0, i1 = idx[0], idx[-1]
        tail = max(0.0, leak[i1] - leak[i0]) / max(1e-9, (grid.t[i1] - grid.t[i0]) / HOUR)
    return {
        "true_growth_bytes_per_hour": round(total / hours, 1),
        "leak_total_bytes": round(total),
        "leak_duration_s": round(end - onset_s, 1),
        "final_growth_bytes_per_hour": round(tail, 1),
    }


def format_rows(grid: Grid, values: list[int]) -> list[tuple[str, int]]:
    """(timestamp text, value) rows: lost samples dropped, and any timestamp not after the
    previous kept one dropped too (late scrapes and duplicates), as an exporter would."""
    rows = []
    last = -math.inf
    for i, v in enumerate(values):
        if not grid.keep[i]:
            continue
        ts = grid.start_ts + grid.t[i]
        text = f"{ts:.3f}" if grid.fractional else str(int(math.floor(ts + 0.5)))
        num = float(text)
        if num <= last:
            continue
        last = num
        rows.append((text, v))
    return rows


def write_csv(path: str, name: str, rows: list[tuple[str, int]]) -> None:
    with open(path, "w", newline="\n") as f:
        f.write(f"timestamp,{name}\n")
        f.writelines(f"{ts},{v}\n" for ts, v in rows)


@dataclass
class Series:
    """One generated series: the collector's readings plus its ground truth."""

    grid: Grid
    values: list[float]  # readings at every grid time (lost ones are dropped on write)
    quantum: float
    name: str  # the CSV column header (a realistic metric name)
    unit: str  # "bytes", or "count" for goroutine/thread series
    label: str  # "leak" | "no_leak"
    pattern: str  # this generator's pattern id
    expected: str | None  # closest name in leakscope's pattern vocabulary, if one clearly applies
    acceptable: list[str]  # other vocabulary names that would also be fair
    hard: bool
    onset_s: float | None = None  # leak onset, seconds after start_ts
    leak: list[float] | None = None  # bytes (or counts) held by the leak at each grid time
    limit: float | None = None
    params: dict = field(default_factory=dict)
    clean: list[float] | None = None  # the process before measurement noise (for the noise sd)


BYTE_NAMES = {
    "rss": ["rss_bytes", "process_resident_memory_bytes", "memory_rss_bytes", "rss"],
    "container": ["container_memory_working_set_bytes", "container_memory_rss", "mem_usage_bytes"],
    "heap": ["heap_used_bytes", "nodejs_heap_size_used_bytes", "heap_bytes"],
    "go": ["go_memstats_heap_inuse_bytes", "go_memstats_heap_alloc_bytes"],
    "jvm": ["jvm_memory_used_bytes", "jvm_heap_used_bytes"],
}
COUNT_NAMES = ["go_goroutines", "goroutines", "process_threads", "nodejs_active_handles"]


def byte_name(r: Rng, *kinds: str) -> str:
    kinds = kinds or ("rss", "container", "heap")
    return r.choice(BYTE_NAMES[r.choice(kinds)])


def base_bytes(r: Rng, lo: float = 30 * MB, hi: float = 8e9) -> float:
    """A baseline between ~30 MB and ~8 GB, log-uniform."""
    return r.logu(lo, hi)


def build(r: Rng, grid: Grid, clean: list[float], noise: Noise, *, clamp: float | None = None, **meta) -> Series:
    """Add measurement noise to a clean process and wrap it with its ground truth."""
    values = apply_noise(r, grid, clean, noise, floor=noise.quantum)
    if clamp is not None:
        values = [min(clamp, v) for v in values]
    params = {**grid.params, **noise.params(), **meta.pop("params", {})}
    return Series(grid, values, noise.quantum, params=params, clean=clean, **meta)


def noise_sd(values: list[float], clean: list[float]) -> float:
    """Robust sd (1.4826 x median absolute deviation) of what measurement added."""
    res = sorted(v - c for v, c in zip(values, clean))
    if not res:
        return 0.0
    mid = res[len(res) // 2]
    dev = sorted(abs(x - mid) for x in res)
    return 1.4826 * dev[len(dev) // 2]
