"""Deterministic random draws for the gen2 corpus.

Every draw goes through `random.Random.random()` (the Mersenne Twister core, which Python
guarantees to reproduce for a given integer seed across versions and platforms). Higher-level
draws (choice, normal, ...) are built here by hand instead of using `random.choice`,
`random.gauss` and friends, whose algorithms are allowed to change between Python releases.
"""

from __future__ import annotations

import hashlib
import math
import random


def derive_seed(*parts: object) -> int:
    """A 64-bit seed derived from the given parts (stable across runs and machines)."""
    text = ":".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


class Rng:
    """A seeded source of the draws the pattern generators need."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)
        self._spare: float | None = None

    def random(self) -> float:
        return self._r.random()

    def u(self, a: float = 0.0, b: float = 1.0) -> float:
        """Uniform in [a, b)."""
        return a + (b - a) * self._r.random()

    def logu(self, a: float, b: float) -> float:
        """Log-uniform in [a, b) (a, b > 0): every order of magnitude equally likely."""
        return a * (b / a) ** self._r.random()

    def int(self, a: int, b: int) -> int:
        """Uniform integer in [a, b], both ends included."""
        return a + min(b - a, int(self._r.random() * (b - a + 1)))

    def chance(self, p: float) -> bool:
        return self._r.random() < p

    def choice(self, seq):
        return seq[min(len(seq) - 1, int(self._r.random() * len(seq)))]

    def wchoice(self, pairs):
        """Pick from [(item, weight), ...] in proportion to weight."""
        total = sum(w for _, w in pairs)
        x = self._r.random() * total
        for item, w in pairs:
            x -= w
            if x < 0:
                return item
        return pairs[-1][0]

    def shuffle(self, items: list) -> None:
        for i in range(len(items) - 1, 0, -1):
            j = min(i, int(self._r.random() * (i + 1)))
            items[i], items[j] = items[j], items[i]

    def normal(self, mu: float = 0.0, sd: float = 1.0) -> float:
        """Gaussian by the Marsaglia polar method (pairs, one kept for the next call)."""
        if self._spare is not None:
            z, self._spare = self._spare, None
            return mu + sd * z
        while True:
            x = 2.0 * self._r.random() - 1.0
            y = 2.0 * self._r.random() - 1.0
            s = x * x + y * y
            if 0.0 < s < 1.0:
                break
        f = math.sqrt(-2.0 * math.log(s) / s)
        self._spare = y * f
        return mu + sd * x * f

    def expo(self, mean: float) -> float:
        return -mean * math.log(1.0 - self._r.random())

    def pareto(self, alpha: float) -> float:
        """Pareto with minimum 1: heavy tail, P(X > x) = x^-alpha."""
        return (1.0 - self._r.random()) ** (-1.0 / alpha)

    def poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        if lam > 40:
            return max(0, int(round(self.normal(lam, math.sqrt(lam)))))
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self._r.random()
            if p <= limit:
                return k
            k += 1
