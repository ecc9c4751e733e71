"""Constant-or-distribution parameters, drawn once per path.

Every scalar assumption of a scenario is a :class:`Constant` or a :class:`Distribution`.
Distributions are sampled by transforming standard normal scores ``z`` (one stream per parameter,
see :mod:`bubblesim.rng`), so that rank correlations can be imposed with a Gaussian copula
(:func:`apply_copula`) before the transform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Constant",
    "Distribution",
    "DistributionError",
    "parse_distribution",
    "rank_to_normal_correlation",
    "apply_copula",
    "DISTRIBUTION_FIELDS",
]

Z90 = 1.2815515655446004  # standard normal 90% quantile
Z95 = 1.6448536269514722  # standard normal 95% quantile

#: Accepted fields per distribution (besides ``dist`` and ``source``).
DISTRIBUTION_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "normal": (("mean", "sd"),),
    "lognormal": (("median", "p90"), ("low", "high")),
    "uniform": (("low", "high"),),
    "triangular": (("low", "mode", "high"),),
    "pert": (("low", "mode", "high"),),
}


class DistributionError(ValueError):
    """A distribution table is malformed; ``field`` names the offending entry."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class Constant:
    """A fixed value."""

    value: float

    def sample(self, z: np.ndarray) -> np.ndarray:
        """Return ``value`` for every path; ``z`` only gives the shape."""
        return np.full(z.shape, float(self.value))

    def describe(self) -> str:
        return f"{self.value:g}"

    def to_dict(self) -> dict:
        return {"value": self.value}


@dataclass(frozen=True)
class Distribution:
    """A distribution, sampled from standard normal scores.

    Parameters
    ----------
    kind : str
        ``normal``, ``lognormal``, ``uniform``, ``triangular`` or ``pert``.
    params : dict
        The fields given in the scenario file.
    """

    kind: str
    params: dict = field(hash=False)

    def sample(self, z: np.ndarray) -> np.ndarray:
        """Transform standard normal scores ``z`` (shape ``(n,)``) into draws (shape ``(n,)``)."""
        p = self.params
        if self.kind == "normal":
            return p["mean"] + p["sd"] * z
        if self.kind == "lognormal":
            mu, s = self._lognormal_mu_s()
            return np.exp(mu + s * z)
        from scipy.special import ndtr  # here: validating a scenario needs no SciPy

        u = np.clip(ndtr(z), 1e-15, 1 - 1e-15)
        if self.kind == "uniform":
            return p["low"] + u * (p["high"] - p["low"])
        lo, mode, hi = p["low"], p["mode"], p["high"]
        if hi == lo:
            return np.full(z.shape, float(lo))
        if self.kind == "triangular":
            return _triangular_ppf(u, (mode - lo) / (hi - lo)) * (hi - lo) + lo
        # PERT: a beta on [low, high] with shape from the mode, lambda = 4
        a = 1 + 4 * (mode - lo) / (hi - lo)
        b = 1 + 4 * (hi - mode) / (hi - lo)
        return lo + (hi - lo) * _beta_ppf(u, a, b)

    def _lognormal_mu_s(self) -> tuple[float, float]:
        p = self.params
        if "median" in p:
            mu = math.log(p["median"])
            return mu, (math.log(p["p90"]) - mu) / Z90
        mu = 0.5 * (math.log(p["low"]) + math.log(p["high"]))
        return mu, (math.log(p["high"]) - math.log(p["low"])) / (2 * Z95)

    def describe(self) -> str:
        inner = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.kind}({inner})"

    def to_dict(self) -> dict:
        return {"dist": self.kind, **self.params}


def parse_distribution(table: dict) -> Distribution:
    """Build a :class:`Distribution` from a scenario table such as ``{dist="normal", mean=1, sd=0.1}``.

    Raises
    ------
    DistributionError
        When the kind is unknown, fields are missing or extra, or the values are inconsistent.
    """
    kind = table.get("dist")
    if not isinstance(kind, str) or kind not in DISTRIBUTION_FIELDS:
        raise DistributionError(
            "dist", f"expected one of {', '.join(DISTRIBUTION_FIELDS)}, got {kind!r}"
        )
    given = {k: v for k, v in table.items() if k not in ("dist", "source")}
    options = DISTRIBUTION_FIELDS[kind]
    match = next((o for o in options if set(o) == set(given)), None)
    if match is None:
        want = " or ".join("(" + ", ".join(o) + ")" for o in options)
        extra = sorted(set(given) - {f for o in options for f in o})
        if extra:
            raise DistributionError(
                extra[0], f"is not a field of a {kind} distribution; expected {want}"
            )
        missing = sorted(set(options[0]) - set(given))
        raise DistributionError(
            missing[0] if missing else "dist", f"a {kind} distribution needs {want}"
        )
    params: dict[str, float] = {}
    for name in match:
        value = given[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DistributionError(name, f"expected a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise DistributionError(name, f"expected a finite number, got {value}")
        params[name] = float(value)
    _check_consistency(kind, params)
    return Distribution(kind, params)


def _check_consistency(kind: str, p: dict[str, float]) -> None:
    if kind == "normal" and p["sd"] <= 0:
        raise DistributionError("sd", f"expected sd > 0, got {p['sd']:g}")
    if kind == "lognormal":
        if "median" in p:
            if p["median"] <= 0:
                raise DistributionError("median", f"expected median > 0, got {p['median']:g}")
            if p["p90"] <= p["median"]:
                raise DistributionError(
                    "p90", f"expected p90 above the median ({p['median']:g}), got {p['p90']:g}"
                )
        else:
            if p["low"] <= 0:
                raise DistributionError("low", f"expected low > 0, got {p['low']:g}")
            if p["high"] <= p["low"]:
                raise DistributionError(
                    "high", f"expected high above low ({p['low']:g}), got {p['high']:g}"
                )
    if kind == "uniform" and p["high"] <= p["low"]:
        raise DistributionError(
            "high", f"expected high above low ({p['low']:g}), got {p['high']:g}"
        )
    if kind in ("triangular", "pert"):
        if p["high"] <= p["low"]:
            raise DistributionError(
                "high", f"expected high above low ({p['low']:g}), got {p['high']:g}"
            )
        if not p["low"] <= p["mode"] <= p["high"]:
            raise DistributionError(
                "mode",
                f"expected low <= mode <= high ({p['low']:g}..{p['high']:g}), got {p['mode']:g}",
            )


def rank_to_normal_correlation(rank_corr: np.ndarray) -> np.ndarray:
    """Convert Spearman rank correlations to the Gaussian copula's correlations.

    For a Gaussian copula, Spearman's rho_s and the normal correlation rho satisfy
    ``rho = 2 sin(pi rho_s / 6)``.
    """
    out = 2.0 * np.sin(np.pi * np.asarray(rank_corr, dtype=float) / 6.0)
    np.fill_diagonal(out, 1.0)
    return out


def copula_factor(normal_corr: np.ndarray) -> np.ndarray:
    """A matrix ``L`` with ``L @ L.T == normal_corr`` for a positive semi-definite matrix."""
    eigval, eigvec = np.linalg.eigh(normal_corr)
    return eigvec * np.sqrt(np.clip(eigval, 0.0, None))


def apply_copula(z: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Correlate independent standard normal scores.

    Parameters
    ----------
    z : ndarray, shape (n_paths, k)
        Independent standard normal scores.
    factor : ndarray, shape (k, k)
        From :func:`copula_factor`.

    Returns
    -------
    ndarray, shape (n_paths, k)
        Scores with correlation ``factor @ factor.T`` and unit variance.
    """
    return z @ factor.T


def _triangular_ppf(u: np.ndarray, c: float) -> np.ndarray:
    """``scipy.stats.triang.ppf`` on [0, 1] with mode ``c``, by its own formula (no import of
    ``scipy.stats``, which costs most of a second)."""
    return np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u)))


def _beta_ppf(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """``scipy.stats.beta.ppf``: the same special function that it calls, where SciPy exposes
    it, else ``scipy.stats`` itself."""
    try:
        from scipy.special._ufuncs import _beta_ppf as ppf
    except ImportError:  # pragma: no cover - another SciPy layout
        from scipy import stats

        return stats.beta.ppf(u, a, b)
    return ppf(u, a, b)
