"""The `short` split: 5-minute recordings at 1 s sampling, as `leakscope run` would make in a
quick soak. Leaks climb 50 MB-1.7 GB per minute; leak-free services warm up by at most
25 MB per minute and flatten (or are still warming when the recording ends: hard)."""

from __future__ import annotations

import math

from rng import Rng
from series import MB, Series, base_bytes, build, byte_name, make_grid, pick_noise
from shapes import sawtooth, warm

SPAN_S = 300.0


def _grid(r: Rng):
    return make_grid(r, SPAN_S, interval_s=1, lossy=r.chance(0.3))


def _gc(r: Rng, g, base):
    """A young-generation sawtooth every few seconds (V8 scavenges, Go cycles), or none."""
    if r.chance(0.35):
        return [0.0] * len(g.t), 0.0
    amp = base * r.logu(0.01, 0.25)
    return [amp * f for f in sawtooth(r, g, r.logu(1.5, 20.0), 0.3)], amp


def leak(kind: str):
    def gen(r: Rng) -> Series:
        g = _grid(r)
        base = base_bytes(r, 40 * MB, 2e9)
        per_min = r.logu(50 * MB, 1.7e9)
        onset = 0.0 if r.chance(0.6) else r.u(3.0, 40.0)
        gc, amp = _gc(r, g, base)
        if kind == "steps":  # allocations retained in chunks every few seconds
            every = r.u(2.0, 20.0)
            leak = [math.floor(max(0.0, t - onset) / every) * per_min * every / 60.0 for t in g.t]
        else:
            leak = [max(0.0, t - onset) / 60.0 * per_min for t in g.t]
        if kind == "gc":  # the sawtooth height follows the live heap
            gc = [x * (base + lk) / base for x, lk in zip(gc, leak)]
        vals = [base + lk + x for lk, x in zip(leak, gc)]
        noise = pick_noise(r, base, SPAN_S, quiet=True)
        expected = "rising-floor" if kind == "gc" else "linear-growth"
        return build(r, g, vals, noise, label="leak", pattern=f"short-leak-{kind}", expected=expected,
                     acceptable=["linear-growth", "rising-floor"], hard=False, name=byte_name(r), unit="bytes",
                     onset_s=onset, leak=leak, params={"leak_bytes_per_min": round(per_min), "gc_amp_bytes": round(amp)})
    return gen


def warmup(still: bool):
    def gen(r: Rng) -> Series:
        g = _grid(r)
        base = base_bytes(r, 40 * MB, 2e9)
        v0 = r.logu(2 * MB, 25 * MB)  # initial warm-up speed, bytes per minute
        tau = r.u(150.0, 600.0) if still else r.logu(10.0, 60.0)
        head = v0 * tau / 60.0
        gc, amp = _gc(r, g, base)
        vals = [base + head * warm(t, tau) + x for t, x in zip(g.t, gc)]
        noise = pick_noise(r, base, SPAN_S, quiet=True)
        end_rate = v0 * math.exp(-SPAN_S / tau)
        return build(r, g, vals, noise, label="no_leak", pattern="short-warmup-still" if still else "short-warmup",
                     expected="plateau", acceptable=["stable"], hard=still, name=byte_name(r), unit="bytes",
                     params={"warmup_bytes": round(head), "warmup_tau_s": round(tau, 1),
                             "start_bytes_per_min": round(v0), "end_bytes_per_min": round(end_rate)})
    return gen


def stable(r: Rng) -> Series:
    g = _grid(r)
    base = base_bytes(r, 40 * MB, 2e9)
    gc, amp = _gc(r, g, base)
    noise = pick_noise(r, base, SPAN_S)
    return build(r, g, [base + x for x in gc], noise, label="no_leak", pattern="short-stable", expected="stable",
                 acceptable=["cyclic"], hard=False, name=byte_name(r), unit="bytes",
                 params={"gc_amp_bytes": round(amp)})


PATTERNS = [
    ("short-leak-linear", leak("linear"), 12),
    ("short-leak-steps", leak("steps"), 8),
    ("short-leak-gc", leak("gc"), 8),
    ("short-warmup", warmup(False), 14),
    ("short-warmup-still", warmup(True), 10),
    ("short-stable", stable, 8),
]
