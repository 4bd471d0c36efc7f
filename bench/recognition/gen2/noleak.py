"""Leak-free patterns (label "no_leak"). Each generator takes an Rng (and optionally a span)
and returns a Series; `hard` marks the ones a careful human would also hesitate on."""

from __future__ import annotations

import math

from rng import Rng
from series import (
    COUNT_NAMES, DAY, HOUR, MB, Series, base_bytes, build, byte_name, make_grid, pick_noise, pick_span,
)
from shapes import Daily, go_live_heap, restart_times, sawtooth, smoothstep, warm

GC_OK = ["stable", "cyclic"]


def _meta(pattern, expected, acceptable=(), hard=False, name="", unit="bytes", params=None):
    return dict(label="no_leak", pattern=pattern, expected=expected, acceptable=list(acceptable),
                hard=hard, name=name, unit=unit, params=params or {})


def stable(r: Rng, span=None) -> Series:
    g = make_grid(r, span or pick_span(r, 2.5 * HOUR, 14 * DAY))
    base = base_bytes(r)
    noise = pick_noise(r, base, g.span_s, scale=r.logu(0.5, 2.5))
    return build(r, g, [base] * len(g.t), noise, **_meta("stable", "stable", name=byte_name(r), hard=span is not None))


def gc_regular(r: Rng, span=None) -> Series:
    g = make_grid(r, span or pick_span(r, 2.5 * HOUR, 10 * DAY))
    base = base_bytes(r)
    amp = base * r.logu(0.05, 1.0)
    period = r.logu(5.0, 1800.0)
    rate, p = None, {}
    if g.span_s >= DAY and r.chance(0.5):
        d = Daily(r, g.start_ts, g.span_s)
        rate = lambda t: 0.4 + 1.2 * d.at(g.start_ts + t)  # noqa: E731 - more traffic, faster cycles
        p = d.params()
    fill = sawtooth(r, g, period, r.u(0.0, 0.3), rate)
    noise = pick_noise(r, base, g.span_s, quiet=True)
    p.update(gc_amp_bytes=round(amp), gc_period_s=round(period, 1))
    return build(r, g, [base + amp * f for f in fill], noise,
                 **_meta("gc-regular", None, GC_OK, span is not None, byte_name(r, "heap", "go", "jvm"), params=p))


def _generational(r: Rng, pattern: str, full_lo: float, full_hi: float, jitter: float, span=None) -> Series:
    g = make_grid(r, span or pick_span(r, 6 * HOUR, 14 * DAY))
    base = base_bytes(r, 100 * MB)
    young_amp = base * r.logu(0.1, 0.5)
    young_period = r.logu(3.0, 120.0)
    old_amp = young_amp * r.logu(0.3, 3.0)
    full_period = r.u(full_lo, full_hi) * g.span_s
    young = sawtooth(r, g, young_period, 0.3)
    old = sawtooth(r, g, full_period, jitter)
    fulls = sum(1 for a, b in zip(old, old[1:]) if b < a - 0.2)
    clean = [base + young_amp * y + old_amp * o for y, o in zip(young, old)]
    noise = pick_noise(r, base, g.span_s, quiet=True)
    p = dict(young_amp_bytes=round(young_amp), young_period_s=round(young_period, 1),
             old_amp_bytes=round(old_amp), full_gc_period_s=round(full_period), full_gcs=fulls)
    # Hard when few full GCs are seen, or when the old generation's ramp dwarfs the young
    # sawtooth: then a full GC looks just like a restart of a leaking process.
    hard = fulls < 3 or old_amp > 2 * young_amp
    return build(r, g, clean, noise, **_meta(pattern, None, GC_OK, hard, byte_name(r, "jvm", "heap"), params=p))


def gc_major_minor(r: Rng, span=None) -> Series:
    """Irregular minor collections; old generation filling until a major one at random times."""
    return _generational(r, "gc-major-minor", 1 / 12, 1 / 4, 0.5, span)


def gc_jvm(r: Rng, span=None) -> Series:
    """JVM-like: fast young-gen sawtooth, old gen filling slowly, a full GC every so often."""
    return _generational(r, "gc-jvm-generational", 1 / 8, 1 / 3, 0.1, span)


def gc_jvm_rare_full(r: Rng, span=None) -> Series:
    """Hard: only one or two full GCs in the window, so the old gen looks like a rising floor."""
    return _generational(r, "gc-jvm-rare-full", 1 / 2.2, 1 / 1.3, 0.1, span)


def gc_go(r: Rng, span=None) -> Series:
    """Go-like: the heap goal is GOGC% above a live heap that doubles and halves with load."""
    g = make_grid(r, span or pick_span(r, 4 * HOUR, 10 * DAY))
    base = base_bytes(r, 50 * MB, 4e9)
    gogc = r.choice([50, 100, 100, 100, 200])
    live, last_up, changes = go_live_heap(r, g, base, r.logu(HOUR, 10 * HOUR))
    fill = sawtooth(r, g, r.logu(2.0, 300.0), 0.2)
    heap = [lv * (1 + gogc / 100 * f) for lv, f in zip(live, fill)]
    view = r.choice(["heap", "rss"])
    if view == "rss":
        # RSS jumps up with the heap goal and is given back slowly by the scavenger.
        tau, out, cur, prev = r.logu(120.0, 1200.0), [], 0.0, g.t[0]
        for t, lv in zip(g.t, live):
            target = lv * (1 + gogc / 100) * 1.08
            cur = target if target > cur else target + (cur - target) * math.exp(-(t - prev) / tau)
            prev = t
            out.append(cur)
        heap = out
    noise = pick_noise(r, base, g.span_s, quiet=True)
    name = byte_name(r, "go") if view == "heap" else byte_name(r, "rss", "container")
    # Hard when the load moved only a few times and last moved up in the final 10 % of the
    # window: a rise not yet seen to stay flat, with little history of going back down.
    late_up = last_up is not None and last_up > 0.9 * g.span_s and changes <= 3
    return build(r, g, heap, noise, **_meta("gc-go-heap-goal", None, GC_OK + ["step"], span is not None or late_up,
                                            name, params={"gogc": gogc, "view": view, "regime_changes": changes,
                                                          "last_rise_s": last_up and round(last_up)}))


def _cache(r: Rng, g, base, kind: str, still_filling: bool) -> tuple[list[float], dict]:
    cap = base * r.logu(0.1, 2.0)
    t0 = 0.0 if r.chance(0.6) else r.u(0.0, 0.15) * g.span_s
    left = g.span_s - t0
    if kind == "exp":
        tau = r.u(left / 3, left / 1.5) if still_filling else r.u(left / 40, left / 6)
        f = lambda x: 1 - math.exp(-x / tau)  # noqa: E731
        p = {"tau_s": round(tau)}
    elif kind == "logistic":
        w = r.u(left / 80, left / 25)
        mid = r.u(0.05, 0.35) * left
        f = lambda x: 1 / (1 + math.exp(-(x - mid) / w)) - 1 / (1 + math.exp(mid / w))  # noqa: E731
        p = {"mid_s": round(mid), "width_s": round(w)}
    elif kind == "sqrt":
        T = r.u(left / 3, left) if still_filling else r.u(left / 25, left / 6)
        f = lambda x: math.tanh(math.sqrt(max(0.0, x) / T))  # noqa: E731 - sqrt-like start, flat end
        p = {"fill_scale_s": round(T)}
    else:  # lru: fills at a wobbling rate to a cap, then evictions churn just below it
        t_cap = r.u(0.1, 0.5) * left
        soft = r.chance(0.5)
        churn_amp, churn = r.u(0.003, 0.03), sawtooth(r, g, r.logu(60.0, 3600.0), 0.4)
        wob_p, wob_a = r.logu(600.0, 6 * HOUR), r.u(0.0, 0.25)
        vals = []
        for i, t in enumerate(g.t):
            x = max(0.0, t - t0)
            frac = (x + wob_a * wob_p / (2 * math.pi) * math.sin(2 * math.pi * x / wob_p)) / t_cap
            if soft and frac > 0.85:
                frac = 0.85 + 0.15 * (1 - math.exp(-(frac - 0.85) / 0.15))
            frac = min(frac, 1.0)
            if frac >= 0.98:
                frac -= churn_amp * churn[i]
            vals.append(base + cap * frac)
        return vals, {"cache_kind": "lru", "cap_bytes": round(cap), "cap_reached_s": round(t0 + t_cap), "soft": soft}
    vals = [base + cap * f(max(0.0, t - t0)) for t in g.t]
    return vals, {"cache_kind": kind, "cap_bytes": round(cap), "fill_start_s": round(t0), **p}


def cache(kind: str):
    def gen(r: Rng, span=None) -> Series:
        g = make_grid(r, span or pick_span(r, 3 * HOUR, 10 * DAY))
        base = base_bytes(r)
        vals, p = _cache(r, g, base, kind, False)
        if r.chance(0.3):
            amp, per = base * r.logu(0.03, 0.3), r.logu(5.0, 600.0)
            vals = [v + amp * f for v, f in zip(vals, sawtooth(r, g, per, 0.2))]
            p["gc_amp_bytes"] = round(amp)
        noise = pick_noise(r, base, g.span_s)
        return build(r, g, vals, noise, **_meta(f"cache-{kind}", "plateau", hard=span is not None,
                                                 name=byte_name(r), params=p))
    return gen


def cache_still_filling(r: Rng, span=None) -> Series:
    """Hard: a cache still filling at the end of the window, rising gently but decelerating."""
    g = make_grid(r, span or pick_span(r, 3 * HOUR, 7 * DAY))
    base = base_bytes(r)
    vals, p = _cache(r, g, base, r.choice(["exp", "sqrt"]), True)
    n = len(vals)
    k = max(2, n // 10)
    p["end_slope_bytes_per_hour"] = round((vals[-1] - vals[-k]) / ((g.t[-1] - g.t[-k]) / HOUR), 1)
    p["start_slope_bytes_per_hour"] = round((vals[k] - vals[0]) / ((g.t[k] - g.t[0]) / HOUR), 1)
    noise = pick_noise(r, base, g.span_s)
    return build(r, g, vals, noise, **_meta("cache-still-filling", "plateau", hard=True, name=byte_name(r), params=p))


def daily(kind: str | None, lo_days: float = 2.0, hard: bool = False):
    def gen(r: Rng, span=None) -> Series:
        k = kind or r.choice(["sinusoid", "business-hours", "two-peaks"])
        lo = 7.0 if k == "weekday-weekend" else lo_days
        hi = 14.0 if not hard else 1.5
        g = make_grid(r, span or pick_span(r, lo * DAY, hi * DAY))
        base = base_bytes(r)
        d = Daily(r, g.start_ts, g.span_s, k)
        swing = r.u(0.1, 0.6)
        traffic = [d.at(g.abs(i)) for i in range(len(g.t))]
        vals = [base * (1 + swing * x) for x in traffic]
        p = {"swing": round(swing, 3), **d.params()}
        if r.chance(0.35):  # a GC sawtooth whose height follows traffic
            amp, per = base * r.logu(0.03, 0.25), r.logu(5.0, 600.0)
            vals = [v + amp * (0.5 + x) * f for v, x, f in zip(vals, traffic, sawtooth(r, g, per, 0.2))]
            p["gc_amp_bytes"] = round(amp)
        noise = pick_noise(r, base, g.span_s)
        pattern = "daily-short-window" if hard else f"daily-{k}"
        return build(r, g, vals, noise, **_meta(pattern, "cyclic", hard=hard, name=byte_name(r), params=p))
    return gen


def spike_recovered(r: Rng, span=None) -> Series:
    """Burst allocations released minutes later."""
    g = make_grid(r, span or pick_span(r, 2 * HOUR, 3 * DAY))
    base = base_bytes(r)
    spikes = []
    for _ in range(r.int(1, 4)):
        spikes.append((r.u(0.05, 0.8) * g.span_s, base * r.logu(0.2, 3.0), r.choice([0.0, r.u(10.0, 180.0)]),
                       r.logu(60.0, 1800.0), r.choice([0.0, r.logu(30.0, 600.0)])))

    def extra(t):
        s = 0.0
        for at, h, rise, hold, decay in spikes:
            x = t - at
            if x < 0:
                continue
            if x < rise:
                s += h * x / rise
            elif x < rise + hold:
                s += h
            elif decay:
                s += h * math.exp(-(x - rise - hold) / decay)
        return s
    vals = [base + extra(t) for t in g.t]
    noise = pick_noise(r, base, g.span_s)
    p = {"spikes": [{"at_s": round(a), "height_bytes": round(h), "hold_s": round(hd)} for a, h, _, hd, _ in spikes]}
    return build(r, g, vals, noise, **_meta("spike-recovered", "spike-recovered", name=byte_name(r), params=p,
                                             hard=span is not None))


def arena_released(r: Rng, span=None) -> Series:
    """An arena built up over tens of minutes to hours, then released in one go."""
    g = make_grid(r, span or pick_span(r, 6 * HOUR, 5 * DAY))
    base = base_bytes(r)
    k = r.int(1, 3)
    slot = 0.7 * g.span_s / k
    arenas = []
    for j in range(k):
        build_s = min(r.logu(1800.0, 4 * HOUR), 0.6 * slot)
        start = 0.05 * g.span_s + j * slot + r.u(0.0, slot - build_s)
        arenas.append((start, build_s, base * r.logu(0.3, 2.0), r.u(0.5, 1.0), r.choice([0.0, r.u(30.0, 300.0)])))

    def extra(t):
        s = 0.0
        for at, b, size, shape, fall in arenas:
            x = t - at
            if 0 <= x < b:
                s += size * (x / b) ** shape
            elif b <= x < b + fall:
                s += size * (1 - (x - b) / fall)
        return s
    vals = [base + extra(t) for t in g.t]
    noise = pick_noise(r, base, g.span_s)
    p = {"arenas": [{"start_s": round(a), "build_s": round(b), "size_bytes": round(s)} for a, b, s, _, _ in arenas]}
    return build(r, g, vals, noise, **_meta("arena-released", "spike-recovered", name=byte_name(r), params=p))


def batch_steps(r: Rng, span=None) -> Series:
    """One or two batch loads that step memory up and then stay flat for long."""
    g = make_grid(r, span or pick_span(r, 4 * HOUR, 14 * DAY))
    base = base_bytes(r)
    steps = sorted((r.u(0.08, 0.45) * g.span_s, base * r.logu(0.1, 0.8), r.choice([0.0, r.u(30.0, 900.0)]))
                   for _ in range(r.int(1, 2)))
    vals = [base + sum(h * min(1.0, max(0.0, (t - at) / ramp)) if ramp else (h if t >= at else 0.0)
                       for at, h, ramp in steps) for t in g.t]
    noise = pick_noise(r, base, g.span_s)
    p = {"steps": [{"at_s": round(a), "height_bytes": round(h)} for a, h, _ in steps]}
    return build(r, g, vals, noise, **_meta("batch-steps", "step", name=byte_name(r), params=p))


def deploy_steps(r: Rng, span=None) -> Series:
    """Deploys: a restart, a short warm-up, then a new flat level (higher or lower)."""
    g = make_grid(r, span or pick_span(r, 6 * HOUR, 14 * DAY))
    base = base_bytes(r)
    k = r.int(1, 3)
    deploys, level = [], 1.0
    for j in range(k):
        level = min(2.0, max(0.5, level * r.u(0.6, 1.5)))
        deploys.append((r.u(0.1 + 0.6 * j / k, 0.1 + 0.6 * (j + 1) / k) * g.span_s, level, r.logu(60.0, 1200.0)))
    low = r.u(0.2, 0.5)
    vals = []
    for t in g.t:
        lvl, since, tau = 1.0, None, 0.0
        for at, lv, tu in deploys:
            if t >= at:
                lvl, since, tau = lv, t - at, tu
        v = base * lvl if since is None else base * lvl * (low + (1 - low) * warm(since, tau))
        vals.append(v)
    noise = pick_noise(r, base, g.span_s)
    p = {"deploys": [{"at_s": round(a), "level": round(lv, 3), "warmup_tau_s": round(tu)} for a, lv, tu in deploys]}
    return build(r, g, vals, noise, **_meta("deploy-steps", "step", name=byte_name(r), params=p))


def _warmup_restarts(r: Rng, pattern: str, slow: bool, span=None) -> Series:
    period = r.logu(HOUR, 6 * HOUR)
    g = make_grid(r, span or pick_span(r, max(3 * period, 8 * HOUR), 7 * DAY))
    base = base_bytes(r)
    cron = r.chance(0.6)
    restarts = restart_times(r, g.span_s, period, cron)
    tau = period * (r.u(1 / 4, 1 / 2.5) if slow else r.logu(1 / 40, 1 / 7))
    low = r.u(0.2, 0.7)
    vals, j, last = [], 0, -r.u(3 * tau, period)  # the window opens on an already warm run
    for t in g.t:
        while j < len(restarts) and restarts[j] <= t:
            last = restarts[j]
            j += 1
        vals.append(base * (low + (1 - low) * warm(t - last, tau)))
    noise = pick_noise(r, base, g.span_s)
    p = {"restart_period_s": round(period), "cron": cron, "restarts": len(restarts), "warmup_tau_s": round(tau)}
    return build(r, g, vals, noise, **_meta(pattern, None, ["plateau", "cyclic", "stable", "step"], slow,
                                            byte_name(r), params=p))


def warmup_restarts(r: Rng, span=None) -> Series:
    return _warmup_restarts(r, "warmup-restarts", False, span)


def warmup_restarts_slow(r: Rng, span=None) -> Series:
    """Hard: each run warms up over a third of its life before flattening."""
    return _warmup_restarts(r, "warmup-restarts-slow", True, span)


def goroutines_flat(r: Rng, span=None) -> Series:
    """A goroutine/thread count that follows load, without trend."""
    g = make_grid(r, span or pick_span(r, 3 * HOUR, 7 * DAY))
    m = r.logu(20.0, 5000.0)
    swing, d = 0.0, None
    if g.span_s >= 1.5 * DAY and r.chance(0.6):
        d, swing = Daily(r, g.start_ts, g.span_s), r.u(0.1, 0.8)
    tau, sd = r.logu(300.0, max(600.0, min(2 * HOUR, g.span_s / 3))), r.u(0.01, 0.08)
    w, prev, vals, clean = 0.0, g.t[0], [], []
    for i, t in enumerate(g.t):
        a = math.exp(-(t - prev) / tau)
        w = w * a + sd * math.sqrt(1 - a * a) * r.normal()
        prev = t
        mean = m * (1 + swing * (d.at(g.abs(i)) if d else 0.0)) * (1 + w)
        vals.append(float(max(1, r.poisson(mean))))
        clean.append(m * (1 + swing * (d.at(g.abs(i)) if d else 0.0)))
    expected = "cyclic" if swing >= 0.2 else "stable"
    meta = _meta("goroutines-flat", expected, ["stable", "cyclic"], span is not None, r.choice(COUNT_NAMES), "count",
                 {"mean_count": round(m, 1), "swing": round(swing, 3)})
    return Series(g, vals, 1.0, clean=clean, **meta)


def short_no_leak(r: Rng) -> Series:
    """Hard: 1-2 hours of a leak-free process."""
    gen = r.choice([stable, gc_regular, cache("exp"), spike_recovered, goroutines_flat])
    s = gen(r, span=pick_span(r, HOUR, 2 * HOUR))
    s.params["shape"] = s.pattern
    s.pattern = "short-no-leak"
    s.hard = True
    return s
