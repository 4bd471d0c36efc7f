"""Leak patterns (label "leak"). Each generator returns a Series whose `leak` list is the
memory (or count) held by the leak at each grid time, and whose `onset_s` is when the leak
starts retaining; labels.json derives growth from them (series.leak_truth)."""

from __future__ import annotations

import math

from rng import Rng
from series import (
    COUNT_NAMES, DAY, HOUR, MB, MiB, GiB, Series, base_bytes, build, byte_name, make_grid, pick_noise, pick_span,
)
from shapes import Daily, backdrop, restart_times, sawtooth, warm


def _meta(pattern, expected, acceptable=(), hard=False, name="", unit="bytes", params=None, onset=0.0, leak=None,
          limit=None):
    return dict(label="leak", pattern=pattern, expected=expected, acceptable=list(acceptable), hard=hard, name=name,
                unit=unit, params=params or {}, onset_s=onset, leak=leak, limit=limit)


def _added(r: Rng, base: float, sd: float, lo_frac: float, hi_frac: float, min_snr: float) -> float:
    """Bytes a leak adds over its life: a fraction of the baseline, but at least `min_snr`
    times the per-sample noise sd (so the label stays honest)."""
    return max(base * r.logu(lo_frac, hi_frac), min_snr * sd)


def _linear_on(r: Rng, pattern: str, expected, acceptable, span, onset_frac, hard, min_snr, lo=0.08, hi=1.5,
               kinds=("flat", "gc", "daily", "warmup")) -> Series:
    g = make_grid(r, span)
    base = base_bytes(r)
    vals, p, move_sd = backdrop(r, g, base, kinds)
    noise = pick_noise(r, base, g.span_s)
    onset = onset_frac * g.span_s
    sd = math.hypot(noise.sd_at(base), move_sd)
    added = _added(r, base, sd, lo, hi, min_snr)
    rate = added / ((g.t[-1] - onset) / HOUR)
    leak = [max(0.0, t - onset) / HOUR * rate for t in g.t]
    p.update(snr=round(added / sd, 2), rate_bytes_per_hour=round(rate, 1))
    # Under a daily cycle a leak adding less than one day's swing is partly hidden by it.
    hidden = p["backdrop"] == "daily" and added < p["swing"] * base
    return build(r, g, [v + x for v, x in zip(vals, leak)], noise,
                 **_meta(pattern, expected, acceptable, hard or hidden, byte_name(r), params=p, onset=onset,
                         leak=leak))


def linear(r: Rng) -> Series:
    """Steady growth of the floor under noise (on a flat, GC, daily or warming backdrop)."""
    onset = 0.0 if r.chance(0.7) else r.u(0.0, 0.1)
    return _linear_on(r, "leak-linear", "linear-growth", ["rising-floor"], pick_span(r, 3 * HOUR, 14 * DAY), onset,
                      False, r.u(6.0, 30.0))


def low_snr(r: Rng) -> Series:
    """Hard: a linear leak adding only 1.5-3 noise sd over the whole window."""
    s = _linear_on(r, "leak-low-snr", "linear-growth", ["rising-floor"], pick_span(r, 6 * HOUR, 7 * DAY), 0.0, True,
                   r.u(1.5, 3.0), lo=0.001, hi=0.002, kinds=("flat", "gc"))
    return s


def late_onset(r: Rng) -> Series:
    """Flat, then a leak starting in the last third or quarter, lasting at least 2 hours."""
    span = pick_span(r, 10 * HOUR, 14 * DAY)
    frac = r.u(0.67, min(0.85, 1 - 2 * HOUR / span))
    return _linear_on(r, "leak-late-onset", "linear-growth", ["rising-floor"], span, frac, False, r.u(8.0, 30.0),
                      lo=0.05, hi=1.0)


def late_short(r: Rng) -> Series:
    """Hard: a leak that started less than 2 hours before the end of the window."""
    span = pick_span(r, 4 * HOUR, 3 * DAY)
    dur = r.u(0.5 * HOUR, 2 * HOUR)
    return _linear_on(r, "leak-late-short", "linear-growth", ["rising-floor"], span, 1 - dur / span, True,
                      r.u(6.0, 20.0), lo=0.05, hi=0.6)


def short_leak(r: Rng) -> Series:
    """Hard: 1-2 hours of a leaking process."""
    return _linear_on(r, "leak-short", "linear-growth", ["rising-floor"], pick_span(r, HOUR, 2 * HOUR), 0.0, True,
                      r.u(5.0, 20.0), lo=0.03, hi=0.5, kinds=("flat", "gc", "warmup"))


def gc_floor(r: Rng) -> Series:
    """A GC sawtooth whose floor (the live heap) rises."""
    g = make_grid(r, pick_span(r, 3 * HOUR, 10 * DAY))
    base = base_bytes(r, 50 * MB)
    amp_frac = r.logu(0.05, 1.0)
    proportional = r.chance(0.5)  # Go/V8 style: the cycle height follows the live heap
    fill = sawtooth(r, g, r.logu(3.0, 900.0), r.u(0.0, 0.3))
    noise = pick_noise(r, base, g.span_s, quiet=True)
    added = _added(r, base, noise.sd_at(base), 0.1, 1.5, 6.0)
    added = max(added, 0.3 * amp_frac * base)
    rate = added / (g.t[-1] / HOUR)
    leak = [t / HOUR * rate for t in g.t]
    scale = lambda x: (base + x) if proportional else base  # noqa: E731
    vals = [base + x + amp_frac * scale(x) * f for x, f in zip(leak, fill)]
    p = {"gc_amp_frac": round(amp_frac, 3), "proportional": proportional, "rate_bytes_per_hour": round(rate, 1)}
    return build(r, g, vals, noise, **_meta("leak-gc-floor", "rising-floor", ["linear-growth"], added < amp_frac * base,
                                            byte_name(r, "heap", "go", "jvm"), params=p, leak=leak))


def accelerating(r: Rng) -> Series:
    """Growth that speeds up (a power law or an exponential in time)."""
    g = make_grid(r, pick_span(r, 4 * HOUR, 10 * DAY))
    base = base_bytes(r)
    vals, p, move_sd = backdrop(r, g, base, ("flat", "gc"))
    noise = pick_noise(r, base, g.span_s)
    onset = 0.0 if r.chance(0.6) else r.u(0.0, 0.3) * g.span_s
    added = _added(r, base, math.hypot(noise.sd_at(base), move_sd), 0.2, 2.0, 8.0)
    d = g.t[-1] - onset
    if r.chance(0.5):
        power = r.u(1.4, 3.0)
        shape = lambda x: x**power  # noqa: E731
        p["power"] = round(power, 2)
    else:
        k = r.u(2.0, 5.0)
        shape = lambda x: (math.exp(k * x) - 1) / (math.exp(k) - 1)  # noqa: E731
        p["exp_k"] = round(k, 2)
    leak = [added * shape(max(0.0, t - onset) / d) for t in g.t]
    return build(r, g, [v + x for v, x in zip(vals, leak)], noise,
                 **_meta("leak-accelerating", None, ["linear-growth", "rising-floor"], False, byte_name(r), params=p,
                         onset=onset, leak=leak))


def staircase(r: Rng) -> Series:
    """Batch runs that each leave a residue: flat, step, flat, step..."""
    period = r.logu(20 * 60.0, 6 * HOUR)
    g = make_grid(r, max(pick_span(r, 6 * HOUR, 10 * DAY), 5 * period))
    base = base_bytes(r)
    noise = pick_noise(r, base, g.span_s)
    burst = base * r.logu(0.1, 1.0)
    pure = r.chance(0.3)  # the run itself is invisible; only its residue shows
    runs = restart_times(r, g.span_s, period, r.chance(0.6))
    per_run = _added(r, base, noise.sd_at(base), 0.08, 1.2, 6.0) / max(1, len(runs))
    plan = [(at, r.logu(120.0, period / 3), per_run * r.u(0.7, 1.3)) for at in runs]
    vals, leak = [], []
    for t in g.t:
        held = extra = 0.0
        for at, dur, res in plan:
            if t < at:
                break
            x = (t - at) / dur
            held += res * min(1.0, x)
            if x < 1.0 and not pure:
                extra += burst * math.sin(math.pi * x) ** 0.5
        leak.append(held)
        vals.append(base + held + extra)
    p = {"batch_period_s": round(period), "runs": len(plan), "residue_bytes": round(per_run), "burst_bytes":
         0 if pure else round(burst)}
    onset = plan[0][0] if plan else g.span_s
    # Hard when all the residues together are under half of one run's transient.
    hard = not pure and leak[-1] < 0.5 * burst
    return build(r, g, vals, noise, **_meta("leak-staircase", "rising-floor", ["linear-growth", "step"], hard,
                                            byte_name(r), params=p, onset=onset, leak=leak))


def bursts(r: Rng) -> Series:
    """Leaks only during traffic bursts (and the working set rises while they last)."""
    gap = r.logu(30 * 60.0, 6 * HOUR)
    g = make_grid(r, max(pick_span(r, 6 * HOUR, 10 * DAY), 5 * gap))
    base = base_bytes(r)
    noise = pick_noise(r, base, g.span_s)
    plan, t = [], r.expo(gap) * 0.5
    while t < g.span_s * 0.95:
        dur = r.logu(300.0, 3600.0)
        plan.append((t, dur, r.u(0.5, 1.5), base * r.u(0.05, 0.3)))
        t += dur + r.expo(gap)
    busy = sum(d * w for _, d, w, _ in plan) or 1.0
    added = _added(r, base, noise.sd_at(base), 0.1, 1.2, 6.0)
    vals, leak = [], []
    for t in g.t:
        held = extra = 0.0
        for at, dur, w, ws in plan:
            if t < at:
                break
            x = min(1.0, (t - at) / dur)
            held += added * w * dur / busy * x
            if x < 1.0:
                extra += ws * math.sin(math.pi * x) ** 0.3
        leak.append(held)
        vals.append(base + held + extra)
    onset = plan[0][0] if plan else g.span_s
    # Hard when the whole leak is under half of a burst's working set.
    hard = leak[-1] < 0.5 * max((ws for _, _, _, ws in plan), default=0.0)
    return build(r, g, vals, noise, **_meta("leak-bursts", None, ["rising-floor", "linear-growth", "step"], hard,
                                            byte_name(r), params={"bursts": len(plan), "mean_gap_s": round(gap)},
                                            onset=onset, leak=leak))


def _daily_leak(r: Rng, pattern, span, base, swing, rate_per_h, follow, hard) -> Series:
    g = make_grid(r, span)
    d = Daily(r, g.start_ts, g.span_s)
    traffic = [d.at(g.abs(i)) for i in range(len(g.t))]
    night = 0.08  # below this the service is idle and leaks nothing
    excess = [max(0.0, x - night) if follow else 1.0 for x in traffic]
    cum, acc = [0.0], 0.0
    for i in range(1, len(g.t)):
        acc += 0.5 * (excess[i] + excess[i - 1]) * (g.t[i] - g.t[i - 1])
        cum.append(acc)
    onset = next((g.t[i] for i in range(len(g.t)) if excess[i] > 0), g.span_s)
    total = rate_per_h * (g.t[-1] - onset) / HOUR
    leak = [total * c / (cum[-1] or 1.0) for c in cum]
    vals = [base * (1 + swing * x) + lk for x, lk in zip(traffic, leak)]
    noise = pick_noise(r, base, g.span_s, quiet=hard)
    # Hidden: over the whole window the leak adds less than a third of one day's swing.
    hidden = total < swing * base / 3
    p = {"swing": round(swing, 3), "follows_traffic": follow, **d.params(), "swing_bytes": round(swing * base),
         "leak_vs_swing": round(total / (swing * base), 3)}
    return build(r, g, vals, noise, **_meta(pattern, "rising-floor", ["linear-growth"], hard or hidden, byte_name(r),
                                            params=p, onset=onset, leak=leak))


def _base_for(r: Rng, total: float, swing: float, lo: float, hi: float, ratio: float) -> float:
    """A baseline in [lo, hi] whose daily swing is at most `total / ratio` (when it can be)."""
    return r.logu(lo, min(hi, max(1.2 * lo, total / (ratio * swing))))


def daily_traffic(r: Rng) -> Series:
    """A working set swinging 20-55 % a day, leaking only while traffic is up: 14-47 MiB/h on
    average, 0.4-2.4 GiB over 1-3 days."""
    rate = r.u(14.0, 47.0) * MiB
    days = min(3.0, max(1.0, r.u(0.4, 2.4) * GiB / rate / 24))  # rate is per hour
    span = pick_span(r, days * DAY, days * DAY * 1.05)
    swing = r.u(0.2, 0.55)
    base = _base_for(r, rate * span / HOUR, swing, 300 * MB, 6e9, 0.5)
    return _daily_leak(r, "leak-daily-traffic", span, base, swing, rate, True, False)


def slow_daily(r: Rng) -> Series:
    """A few MiB/h over days under a daily cycle."""
    span = pick_span(r, 3 * DAY, 14 * DAY)
    rate, swing = r.logu(1.0, 8.0) * MiB, r.u(0.1, 0.4)
    base = _base_for(r, rate * span / HOUR, swing, 150 * MB, 2e9, 0.5)
    return _daily_leak(r, "leak-slow-daily", span, base, swing, rate, r.chance(0.4), False)


def hidden_daily(r: Rng) -> Series:
    """Hard: over the window the leak adds only 30-80 % of one day's big swing."""
    span = pick_span(r, 2 * DAY, 7 * DAY)
    base, swing = r.logu(200 * MB, 4e9), r.u(0.4, 0.6)
    rate = swing * base * r.u(0.3, 0.8) / (span / HOUR)
    return _daily_leak(r, "leak-hidden-daily", span, base, swing, rate, r.chance(0.5), True)


def _restarting(r: Rng, pattern, g, base, rate, restarts, limit, hard, p) -> Series:
    """Runs that each start near the baseline and leak at about `rate` bytes/h until the next
    restart (given times, or the moment `limit` is reached)."""
    noise = pick_noise(r, base, g.span_s, quiet=True)
    low, tau = r.u(0.3, 0.9), r.logu(30.0, 600.0)
    vals, leak = [], []
    start, run_rate, j = -r.u(0.0, 0.5) * (restarts[0] if restarts else HOUR), rate, 0
    if limit:
        start = -r.u(0.0, 0.8) * (limit - base) / rate * HOUR
    kills = 0
    for t in g.t:
        while j < len(restarts) and restarts[j] <= t:
            start, run_rate, j = restarts[j], rate * r.u(0.75, 1.25), j + 1
        held = (t - start) / HOUR * run_rate
        if limit and base + held >= limit:
            start, run_rate, held, kills = t, rate * r.u(0.75, 1.25), 0.0, kills + 1
        leak.append(held)
        vals.append(base * (low + (1 - low) * warm(t - start, tau)) + held)
    p.update(rate_bytes_per_hour=round(rate, 1), oom_kills=kills, restarts=len(restarts) + kills)
    return build(r, g, vals, noise, clamp=limit,
                 **_meta(pattern, "leak-with-restarts", [], hard, byte_name(r, "rss", "container"), params=p,
                         leak=leak, limit=limit))


def restarts_cron(r: Rng) -> Series:
    """Cron restarts every 1-5 h; each run regrows at 20-130 MiB/h."""
    period = r.u(HOUR, 5 * HOUR)
    g = make_grid(r, max(3.2 * period, pick_span(r, 6 * HOUR, 4 * DAY)))
    cron = r.chance(0.7)
    return _restarting(r, "leak-restarts-cron", g, r.logu(60 * MB, 2e9), r.u(20.0, 130.0) * MiB,
                       restart_times(r, g.span_s, period, cron), None, False,
                       {"restart_period_s": round(period), "cron": cron})


def restarts_oom(r: Rng) -> Series:
    """OOM kills every 1-5 h: the run regrows at 20-130 MiB/h until it hits the limit."""
    rate = r.u(20.0, 130.0) * MiB
    run = r.u(HOUR, 5 * HOUR)
    g = make_grid(r, max(3.2 * run, pick_span(r, 6 * HOUR, 4 * DAY)))
    base = r.logu(60 * MB, 2e9)
    return _restarting(r, "leak-restarts-oom", g, base, rate, [], base + rate * run / HOUR, False,
                       {"run_s": round(run)})


def oom_regrow(r: Rng) -> Series:
    """A slower leak reaching the container limit every 8-72 h, killed and regrowing."""
    run = r.logu(8 * HOUR, 72 * HOUR)
    g = make_grid(r, max(2.2 * run, pick_span(r, 3 * DAY, 14 * DAY)))
    base = base_bytes(r, 80 * MB, 4e9)
    head = base * r.logu(0.3, 2.0)
    return _restarting(r, "leak-oom-regrow", g, base, head / (run / HOUR), [], base + head, False, {"run_s": round(run)})


def goroutines(r: Rng) -> Series:
    """Goroutines leaking a few per minute on top of a count that follows load."""
    g = make_grid(r, pick_span(r, 2 * HOUR, 3 * DAY))
    m = r.logu(20.0, 2000.0)
    sd = r.u(0.01, 0.06)
    # A few per minute, but at least 6 noise sd over the window (else the label would be a guess).
    per_min = max(r.logu(0.5, 10.0), 6 * math.sqrt(m + (sd * m) ** 2) / (g.span_s / 60))
    batch = r.choice([1, 1, 1, 2, 4, 8])  # goroutines stranded per failed request
    tau = r.logu(300.0, max(600.0, min(2 * HOUR, g.span_s / 3)))
    w, prev, vals, leak, held, clean = 0.0, g.t[0], [], [], 0.0, []
    for t in g.t:
        dt = t - prev
        a = math.exp(-dt / tau)
        w = w * a + sd * math.sqrt(1 - a * a) * r.normal()
        prev = t
        held += batch * r.poisson(per_min / batch * dt / 60.0)
        leak.append(held)
        vals.append(float(max(1, r.poisson(m * (1 + w)) + held)))
        clean.append(m + held)
    p = {"mean_count": round(m, 1), "leak_per_min": round(per_min, 2), "batch": batch}
    return Series(g, vals, 1.0, clean=clean, **_meta("leak-goroutines", "linear-growth", ["rising-floor"], False,
                                        r.choice(COUNT_NAMES), "count", p, leak=leak))
