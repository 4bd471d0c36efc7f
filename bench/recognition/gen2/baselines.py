"""The two alert rules a user would deploy instead of leakscope, computed from the CSV alone.

Rule A, "growth > 50 MB/h over the last 60 min": Prometheus' `deriv(mem[60m]) > 50e6/3600`,
a least-squares slope over the samples of the trailing hour; fires the first time it is true.

Rule B, "predict_linear over 1 h crosses the limit within 4 h":
`predict_linear(mem[1h], 4*3600) >= limit`, with limit_bytes when the series has one, else
2x the series' starting value (the median of its first 10 minutes).

Both are evaluated at every sample that has a full hour of history before it (as a rule on a
running service would), so series shorter than an hour never fire. Sums are kept in exact
integers (timestamps in milliseconds), so sliding the window adds no rounding drift.
"""

from __future__ import annotations

RULE_A_BYTES_PER_HOUR = 50e6
WINDOW_MS = 3_600_000
HORIZON_MS = 4 * 3_600_000


def read_csv(path: str) -> tuple[list[int], list[int]]:
    """Timestamps in integer milliseconds and integer values."""
    ts, vs = [], []
    with open(path) as f:
        next(f)
        for line in f:
            a, b = line.rstrip("\n").split(",")
            ts.append(int(round(float(a) * 1000)))
            vs.append(int(round(float(b))))
    return ts, vs


def start_value(ts: list[int], vs: list[int]) -> float:
    first = sorted(v for t, v in zip(ts, vs) if t - ts[0] <= 600_000) or vs[:1]
    return float(first[len(first) // 2])


def evaluate(ts: list[int], vs: list[int], limit: float | None) -> dict:
    """First firing time (unix seconds or None) of rule A and rule B on one series."""
    threshold = float(limit) if limit else 2.0 * start_value(ts, vs)
    fired_a = fired_b = None
    n = s_t = s_v = s_tt = s_tv = 0
    lo = 0
    t0 = ts[0] if ts else 0
    for i, (t_abs, v) in enumerate(zip(ts, vs)):
        t = t_abs - t0
        n, s_t, s_v, s_tt, s_tv = n + 1, s_t + t, s_v + v, s_tt + t * t, s_tv + t * v
        while ts[lo] <= t_abs - WINDOW_MS:
            u, w = ts[lo] - t0, vs[lo]
            n, s_t, s_v, s_tt, s_tv = n - 1, s_t - u, s_v - w, s_tt - u * u, s_tv - u * w
            lo += 1
        if t < WINDOW_MS or n < 2:
            continue
        den = n * s_tt - s_t * s_t
        if den <= 0:
            continue
        num = n * s_tv - s_t * s_v
        slope_per_ms = num / den
        if fired_a is None and slope_per_ms * 3_600_000 > RULE_A_BYTES_PER_HOUR:
            fired_a = t_abs / 1000.0
        if fired_b is None:
            # The fitted line's value at t, plus the slope over the horizon (predict_linear).
            at_t = (s_v + slope_per_ms * (n * t - s_t)) / n
            if at_t + slope_per_ms * HORIZON_MS >= threshold:
                fired_b = t_abs / 1000.0
        if fired_a is not None and fired_b is not None:
            break
    return {"rule_a": fired_a, "rule_b": fired_b, "rule_b_threshold": threshold}
