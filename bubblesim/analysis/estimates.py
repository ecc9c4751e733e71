"""Correction odds with their Monte Carlo error, paired differences, and quantile bands. Pure functions."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "Estimate",
    "proportion",
    "wilson_interval",
    "Difference",
    "paired_difference",
    "METRIC_FIELDS",
    "QUANTILES",
    "FAN_BANDS",
]

#: Quantiles written for every state variable (the fan bands need 15/35/45/55/65/85 too).
QUANTILES: tuple[float, ...] = (
    0.01,
    0.05,
    0.10,
    0.15,
    0.25,
    0.35,
    0.45,
    0.50,
    0.55,
    0.65,
    0.75,
    0.85,
    0.90,
    0.95,
    0.99,
)
#: Equal-tail bands of a fan chart, widest first.
FAN_BANDS: tuple[tuple[float, float], ...] = (
    (0.05, 0.95),
    (0.15, 0.85),
    (0.25, 0.75),
    (0.35, 0.65),
    (0.45, 0.55),
)

Z95 = 1.959963984540054

#: The columns of an estimate in every output table.
METRIC_FIELDS = ("probability", "std_error", "ci_low", "ci_high")


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo probability: ``successes`` of ``n`` paths, its standard error and 95% Wilson interval."""

    probability: float
    std_error: float
    ci_low: float
    ci_high: float
    successes: int
    n: int

    def to_dict(self) -> dict:
        return asdict(self)

    def fields(self) -> dict[str, float]:
        """``probability``, ``std_error``, ``ci_low``, ``ci_high``: the columns every table reports."""
        return {k: getattr(self, k) for k in METRIC_FIELDS}

    def paths_for_std_error(self, target: float) -> int:
        """Paths needed for a standard error of ``target`` at this probability."""
        p = min(max(self.probability, 1.0 / max(self.n, 1)), 1 - 1.0 / max(self.n, 1))
        return int(math.ceil(p * (1 - p) / target**2))


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Unlike the normal interval it stays inside [0, 1] and is not empty at 0 or n successes.
    """
    if n <= 0:
        return (0.0, 1.0)
    phat = successes / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    # mathematically the interval contains phat; keep it so under rounding (p = 0 or 1)
    return (max(0.0, min(centre - half, phat)), min(1.0, max(centre + half, phat)))


def proportion(hits: np.ndarray) -> Estimate:
    """Estimate P(hit) from a boolean array over paths."""
    hits = np.asarray(hits, dtype=bool)
    n = int(hits.size)
    s = int(hits.sum())
    p = s / n if n else float("nan")
    se = math.sqrt(p * (1 - p) / n) if n else float("nan")
    lo, hi = wilson_interval(s, n)
    return Estimate(p, se, lo, hi, s, n)


@dataclass(frozen=True)
class Difference:
    """P(other) - P(reference) with a 95% interval.

    ``std_error``/``ci_*`` are paired (from the per-path differences, valid on common random
    numbers); ``independent_*`` treat the two estimates as independent, for comparison.
    """

    difference: float
    std_error: float
    ci_low: float
    ci_high: float
    independent_std_error: float
    independent_ci_low: float
    independent_ci_high: float
    paired: bool

    def to_dict(self) -> dict:
        return asdict(self)


def paired_difference(reference: np.ndarray, other: np.ndarray, paired: bool = True) -> Difference:
    """Difference of two hit rates measured on the same paths (common random numbers).

    Parameters
    ----------
    reference, other : ndarray of bool, shape (n_paths,)
        Per-path outcomes; path ``i`` of both saw the same shocks when ``paired``.
    paired : bool
        False when the paths are not coupled (then the paired interval is the independent one).
    """
    a, b = np.asarray(reference), np.asarray(other)
    if a.dtype == bool and b.dtype == bool:
        # hits as int8 (1 byte a path, not 8): the same numbers, since a mean of 0s and 1s is
        # their count over n whatever the summation order, and the deviations that np.std
        # squares and sums are the same float64 values in the same order
        a, b = a.view(np.int8), b.view(np.int8)
    else:
        a, b = a.astype(float), b.astype(float)
    mean_a, mean_b = a.mean(), b.mean()
    diff = mean_b - mean_a
    ind_se = math.sqrt(mean_a * (1 - mean_a) / a.size + mean_b * (1 - mean_b) / b.size)
    if paired and a.size == b.size and a.size > 1:
        se = float(np.std(np.subtract(b, a, dtype=np.int8) if a.dtype == np.int8 else b - a,
                          ddof=1) / math.sqrt(a.size))  # fmt: skip
    else:
        se = ind_se
    return Difference(
        float(diff),
        se,
        float(diff - Z95 * se),
        float(diff + Z95 * se),
        ind_se,
        float(diff - Z95 * ind_se),
        float(diff + Z95 * ind_se),
        bool(paired),
    )
