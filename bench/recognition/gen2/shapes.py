"""Building blocks of memory behaviour: daily traffic, GC cycles, warm-up, restart schedules.

Each block is evaluated at a grid's sample times and knows nothing about leak labels; the
pattern modules compose them.
"""

from __future__ import annotations

import math

from rng import Rng
from series import DAY, HOUR, Grid

DAILY_KINDS = ("sinusoid", "business-hours", "weekday-weekend", "two-peaks")


def smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


class Daily:
    """Traffic over the day in [0, 1] (0 = the night trough, 1 = the usual peak), on the wall
    clock of a time zone, with day-to-day variation."""

    def __init__(self, r: Rng, start_ts: float, span_s: float, kind: str | None = None) -> None:
        self.kind = kind or r.choice(DAILY_KINDS)
        self.tz_s = r.choice([-8, -7, -5, -4, 0, 1, 2, 3, 5.5, 8, 9, 10]) * HOUR
        self.peak_h = r.u(12.0, 21.0)
        self.sharp = r.u(1.0, 2.2)
        self.open_h = r.u(6.5, 10.0)
        self.close_h = r.u(16.5, 21.5)
        self.ramp_up_h, self.ramp_down_h = r.u(0.5, 2.0), r.u(1.0, 4.0)  # mornings rise faster
        self.weekend = r.u(0.15, 0.6)
        self.p1, self.w1 = r.u(11.0, 13.5), r.u(1.0, 2.5)
        self.p2, self.w2, self.h2 = r.u(18.5, 22.0), r.u(1.2, 3.0), r.u(0.6, 1.0)
        self.norm = 1.0
        if self.kind == "two-peaks":
            self.norm = max(self._shape(h / 4.0) for h in range(96))
        self.base_kind = r.choice(["sinusoid", "business-hours"]) if self.kind == "weekday-weekend" else self.kind
        day_sd = r.u(0.0, 0.12)
        first = int((start_ts + self.tz_s) // DAY) - 1
        self.first_day = first
        self.day_factor = [max(0.6, 1.0 + r.normal(0.0, day_sd)) for _ in range(int(span_s // DAY) + 4)]

    def _shape(self, h: float) -> float:
        kind = self.base_kind if self.kind == "weekday-weekend" else self.kind
        if kind == "sinusoid":
            return (0.5 + 0.5 * math.cos(2 * math.pi * (h - self.peak_h) / 24.0)) ** self.sharp
        if kind == "business-hours":
            up = smoothstep((h - (self.open_h - self.ramp_up_h)) / self.ramp_up_h)
            down = 1.0 - smoothstep((h - self.close_h) / self.ramp_down_h)
            return min(up, down)
        d1 = min(abs(h - self.p1), 24 - abs(h - self.p1))
        d2 = min(abs(h - self.p2), 24 - abs(h - self.p2))
        return math.exp(-0.5 * (d1 / self.w1) ** 2) + self.h2 * math.exp(-0.5 * (d2 / self.w2) ** 2)

    def at(self, ts: float) -> float:
        local = ts + self.tz_s
        day = int(local // DAY)
        h = (local - day * DAY) / HOUR
        v = self._shape(h) / self.norm
        if self.kind == "weekday-weekend" and (day + 3) % 7 >= 5:  # 1970-01-01 was a Thursday
            v *= self.weekend
        k = min(len(self.day_factor) - 1, max(0, day - self.first_day))
        return min(1.3, v * self.day_factor[k])

    def params(self) -> dict:
        return {"daily_kind": self.kind, "tz_offset_h": self.tz_s / HOUR}


def sawtooth(r: Rng, grid: Grid, period_s: float, jitter: float = 0.15, rate=None) -> list[float]:
    """How full the collector's threshold is at each sample, in [0, 1): a GC cycle of about
    `period_s` (cycles shorten when `rate(t)` > 1, i.e. under more allocation). When many cycles
    fit between two samples the phase seen is effectively random, as with real scrapes."""
    out = []
    fill, thr = r.u(0.0, 1.0), 1.0
    prev = grid.t[0]
    for t in grid.t:
        k = rate(t) if rate else 1.0
        step = max(0.0, t - prev) * k / period_s
        prev = t
        if step > 3.0:
            fill, thr = r.u(0.0, 1.0), 1.0
        else:
            fill += step
            while fill >= thr:
                fill -= thr
                thr = max(0.3, 1.0 + jitter * r.normal())
                fill = min(fill, 0.5 * thr)
        out.append(min(1.0, fill / thr) if thr else 0.0)
    return out


def go_live_heap(r: Rng, grid: Grid, live0: float, regime_mean_s: float) -> tuple[list[float], float | None, int]:
    """A Go service's live heap: load regimes that double or halve it now and then, moving
    between them over minutes, always reverting towards `live0` (no trend). Also returns
    when the last move up began (None if none) and how many regime changes the window saw."""
    levels = [0.5, 0.7, 1.0, 1.0, 1.4, 2.0]
    out = []
    cur = target = 1.0
    last_up, changes = None, 0
    next_switch = r.expo(regime_mean_s)
    move_tau = r.logu(120.0, 1800.0)
    prev = grid.t[0]
    for t in grid.t:
        while t >= next_switch:
            new_target = r.choice(levels)
            if new_target > target and next_switch <= grid.t[-1]:
                last_up = next_switch
            changes += new_target != target
            target = new_target
            next_switch += max(600.0, r.expo(regime_mean_s))
        dt = max(0.0, t - prev)
        prev = t
        cur += (target - cur) * (1.0 - math.exp(-dt / move_tau))
        out.append(live0 * cur)
    return out, last_up, changes


def restart_times(r: Rng, span_s: float, period_s: float, cron: bool) -> list[float]:
    """Restart times: a cron every `period_s` (a few seconds of jitter) or random ones with
    that mean (never closer than a third of it)."""
    out = []
    t = r.u(0.2, 1.0) * period_s if cron else max(period_s / 3, r.expo(period_s))
    while t < span_s:
        out.append(t)
        t += period_s + r.u(-20.0, 20.0) if cron else max(period_s / 3, r.expo(period_s))
    return out


def warm(t_since: float, tau_s: float) -> float:
    """Fraction of a warm-up done `t_since` seconds after start."""
    return 1.0 - math.exp(-max(0.0, t_since) / tau_s) if tau_s > 0 else 1.0


BACKDROPS = ("flat", "gc", "daily", "warmup")


def backdrop(r: Rng, grid: Grid, base: float, kinds=BACKDROPS) -> tuple[list[float], dict, float]:
    """A leak-free process for a leak to grow on: flat, a GC sawtooth, a daily cycle (spans of
    1.5 days or more) or a warm-up after start. Returns the values, parameters, and the sd its
    own movement adds around the floor (for signal-to-noise decisions)."""
    kinds = [k for k in kinds if k != "daily" or grid.span_s >= 1.5 * DAY] or ["flat"]
    kind = r.choice(kinds)
    n = len(grid.t)
    if kind == "gc":
        amp = base * r.logu(0.03, 0.6)
        period = r.logu(5.0, 900.0)
        fill = sawtooth(r, grid, period, r.u(0.0, 0.3))
        return [base + amp * f for f in fill], {"backdrop": "gc", "gc_amp_bytes": round(amp), "gc_period_s": round(period, 1)}, amp / 3.5
    if kind == "daily":
        d = Daily(r, grid.start_ts, grid.span_s)
        swing = r.u(0.1, 0.5)
        return [base * (1 + swing * d.at(grid.abs(i))) for i in range(n)], {"backdrop": "daily", "swing": round(swing, 3), **d.params()}, 0.0
    if kind == "warmup":
        tau = r.logu(60.0, min(1800.0, grid.span_s / 20))
        s0 = r.u(0.3, 0.8)
        return [base * (s0 + (1 - s0) * warm(t, tau)) for t in grid.t], {"backdrop": "warmup", "warmup_tau_s": round(tau)}, 0.0
    return [base] * n, {"backdrop": "flat"}, 0.0
