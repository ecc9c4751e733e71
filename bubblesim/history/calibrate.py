"""Fit the market block to price history: a Merton jump-diffusion by maximum likelihood.

Log returns over a period of ``dt`` years are a Poisson mixture of normals:

    r = (mu - sigma^2/2) dt + sigma sqrt(dt) Z + sum_{i<=N} J_i,   N ~ Poisson(lam dt),  J_i ~ N(m_J, d_J^2)

which is exactly bubblesim's AI index with ``[market] feedback = false`` (``ai_drift = mu``,
``ai_volatility = sigma``, ``hazard_base = lam``, ``crash_size = 1 - exp(m_J)``,
``crash_size_volatility = d_J``). Standard errors come from the inverse of a numerical Hessian of
the log-likelihood at the optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

__all__ = [
    "MertonFit",
    "bound_status",
    "at_bounds",
    "standard_errors",
    "fit_merton",
    "fit_gbm",
    "log_returns",
    "detect_frequency",
    "PERIODS_PER_YEAR",
]

PERIODS_PER_YEAR = {"daily": 252, "weekly": 52, "monthly": 12}
MAX_JUMPS = 12  # terms of the Poisson mixture per period
NAMES = ("mu", "sigma", "lam", "m_j", "d_j")


#: The box the Merton fit searches: mu, sigma, lambda, m_J, d_J (annual units).
MERTON_BOUNDS = ((-10, 10), (1e-4, 5), (0, 400), (-3, 3), (1e-4, 3))


def detect_frequency(dates: pd.DatetimeIndex) -> str:
    """``daily``, ``weekly`` or ``monthly`` from the median spacing of the dates."""
    gap = float(np.median(np.diff(dates.values).astype("timedelta64[D]").astype(float)))
    return "daily" if gap <= 4 else "weekly" if gap <= 10 else "monthly"


def resample(prices: pd.Series, frequency: str) -> pd.Series:
    """Last close of each week or month (daily: unchanged)."""
    if frequency == "daily":
        return prices
    rule = {"weekly": "W-FRI", "monthly": "ME"}[frequency]
    return prices.resample(rule).last().dropna()


def log_returns(prices: pd.Series) -> np.ndarray:
    return np.diff(np.log(prices.to_numpy(dtype=float)))


def _merton_loglik(theta: np.ndarray, r: np.ndarray, dt: float) -> float:
    mu, sigma, lam, m_j, d_j = theta
    if sigma <= 0 or lam < 0 or d_j <= 0:
        return -np.inf
    n = np.arange(MAX_JUMPS + 1)[:, None]
    mean = (mu - 0.5 * sigma**2) * dt + n * m_j
    var = sigma**2 * dt + n * d_j**2
    log_pois = stats.poisson.logpmf(n, lam * dt)
    log_norm = -0.5 * (np.log(2 * np.pi * var) + (r[None, :] - mean) ** 2 / var)
    return float(special.logsumexp(log_pois + log_norm, axis=0).sum())


def _hessian(f, x: np.ndarray) -> np.ndarray:
    k = len(x)
    h = 1e-4 * np.maximum(np.abs(x), 1e-2)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            H[i, j] = H[j, i] = (
                f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            ) / (4 * h[i] * h[j])
    return H


def bound_status(x: np.ndarray, bounds, neg_loglik=None, tol: float = 1e-6) -> list:
    """Per estimate: None, or ``(bound, "on")`` when it sits on a bound of its box (within
    ``tol``, times the bound's size when over 1), or ``(bound, "as likely")`` when, given the
    negative log-likelihood, it is as likely at the bound as at the estimate (within 0.01, all
    else held: an optimiser stops short of a bound it presses against, and a flat direction is
    as likely anywhere). Either way the likelihood's curvature says nothing about its
    uncertainty, so it gets no standard error."""
    x = np.asarray(x, dtype=float)
    best = neg_loglik(x) if neg_loglik is not None else None
    out = []
    for i, (lo, hi) in enumerate(bounds):
        found = None
        for b in (lo, hi):
            if b is not None and abs(x[i] - b) <= tol * max(1.0, abs(b)):
                found = (b, "on")
        if found is None and best is not None:
            for b in (lo, hi):
                moved = x.copy()
                moved[i] = b
                if b is not None and neg_loglik(moved) <= best + 0.01:
                    found = (b, "as likely")
                    break
        out.append(found)
    return out


def at_bounds(x: np.ndarray, bounds, neg_loglik=None, tol: float = 1e-6) -> np.ndarray:
    """Which estimates :func:`bound_status` finds on (or as likely at) a bound."""
    return np.array([s is not None for s in bound_status(x, bounds, neg_loglik, tol)])


def standard_errors(neg_loglik, theta: np.ndarray, bounds=None) -> np.ndarray:
    """Standard errors from the inverse of the numerical Hessian of the negative log-likelihood
    at the optimum ``theta``, over the estimates inside their ``bounds`` (those at a bound get
    NaN: :func:`at_bounds`) and along which the likelihood curves (a flat direction, e.g. the
    jump size when there are no jumps, gets NaN), the others held. NaN too where the Hessian is
    singular or not finite, or a variance is not positive (not a maximum in that direction)."""
    theta = np.asarray(theta, dtype=float)
    if bounds is None:
        fixed = np.zeros(theta.size, dtype=bool)
    else:
        fixed = at_bounds(theta, bounds, neg_loglik)
    se = np.full(theta.size, np.nan)
    free = np.flatnonzero(~fixed)
    if not free.size:
        return se

    def on_free(z):
        x = theta.copy()
        x[free] = z
        return neg_loglik(x)

    H = _hessian(on_free, theta[free])
    finite = np.isfinite(H).all(axis=1)  # a step off the likelihood's domain: that one unknown
    curved = finite & (np.diag(np.where(np.isfinite(H), H, 0.0)) > 0)
    H, free = H[np.ix_(curved, curved)], free[curved]
    if not free.size:
        return se
    try:
        var = np.diag(np.linalg.inv(H))
    except np.linalg.LinAlgError:
        return se
    se[free] = np.where(var > 0, np.sqrt(np.abs(var)), np.nan)
    return se


@dataclass(frozen=True)
class MertonFit:
    """Fitted parameters (annualised), their standard errors and the fit's log-likelihoods."""

    params: dict[str, float]
    std_errors: dict[str, float]
    loglik: float
    gbm_loglik: float
    gbm_params: dict[str, float]
    n_returns: int
    frequency: str
    start: str
    end: str
    #: Estimate -> (bound, "on" | "as likely") for those :func:`bound_status` finds at a bound
    #: of the search box (reported as such, without an error).
    bounded: dict = field(default_factory=dict)

    def at_bound(self, name: str) -> bool:
        """The estimate sits on a bound of the search box (no error)."""
        return self.bounded.get(name, (None, ""))[1] == "on"

    def error_note(self, name: str) -> str | None:
        """Why an estimate has no standard error, or None when it has one."""
        if name in self.bounded:
            b, kind = self.bounded[name]
            if kind == "on":
                return f"at the fit's bound {b:g}: not identified by the data"
            return f"not identified by the data (as likely at its bound {b:g})"
        if not math.isfinite(self.std_errors[name]):
            return "no standard error (the likelihood does not curve there)"
        return None

    @property
    def lr_statistic(self) -> float:
        """2 (loglik - gbm_loglik); chi-square with 3 degrees of freedom under GBM (roughly: lam = 0 is a boundary)."""
        return 2.0 * (self.loglik - self.gbm_loglik)

    @property
    def crash_size(self) -> tuple[float, float]:
        """``1 - exp(m_J)`` and its standard error (delta method)."""
        m = self.params["m_j"]
        return 1 - math.exp(m), math.exp(m) * self.std_errors["m_j"]


def fit_gbm(r: np.ndarray, dt: float) -> tuple[dict[str, float], float]:
    """GBM by maximum likelihood: normal log returns."""
    m, v = float(r.mean()), float(r.var())
    sigma = math.sqrt(v / dt)
    mu = m / dt + 0.5 * sigma**2
    loglik = float(stats.norm.logpdf(r, m, math.sqrt(v)).sum())
    return {"mu": mu, "sigma": sigma}, loglik


def fit_merton(prices: pd.Series, frequency: str | None = None) -> MertonFit:
    """Fit a Merton jump-diffusion to closing prices by maximum likelihood (several starts)."""
    frequency = frequency or detect_frequency(prices.index)
    series = resample(prices, frequency)
    r = log_returns(series)
    if r.size < 30:
        raise ValueError(f"only {r.size} {frequency} returns; calibration needs at least 30")
    dt = 1.0 / PERIODS_PER_YEAR[frequency]
    gbm, gbm_ll = fit_gbm(r, dt)
    neg = lambda th: -_merton_loglik(th, r, dt)  # noqa: E731
    sd = r.std() / math.sqrt(dt)
    best = None
    for lam0, size0 in ((1.0, -0.05), (3.0, -0.02), (0.3, -0.15), (10.0, 0.0)):
        x0 = np.array([gbm["mu"], 0.8 * sd, lam0, size0, max(0.5 * r.std(), 1e-3)])
        res = optimize.minimize(neg, x0, method="L-BFGS-B", bounds=MERTON_BOUNDS)
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    theta = best.x
    se = standard_errors(neg, theta, MERTON_BOUNDS)
    status = bound_status(theta, MERTON_BOUNDS, neg)
    bounded = {name: st for name, st in zip(NAMES, status, strict=True) if st is not None}
    return MertonFit(
        params=dict(zip(NAMES, map(float, theta), strict=True)),
        std_errors=dict(zip(NAMES, map(float, se), strict=True)),
        loglik=-float(best.fun),
        gbm_loglik=gbm_ll,
        gbm_params=gbm,
        n_returns=int(r.size),
        frequency=frequency,
        start=f"{series.index[0]:%Y-%m-%d}",
        end=f"{series.index[-1]:%Y-%m-%d}",
        bounded=bounded,
    )


def scenario_fragment(fit: MertonFit, source_name: str) -> str:
    """A TOML fragment setting the AI index's market block; a scenario can ``extends`` it."""
    p, se = fit.params, fit.std_errors
    kappa, kappa_se = fit.crash_size
    where = f"Merton MLE on {source_name}, {fit.frequency} {fit.start} to {fit.end} ({fit.n_returns} returns)"

    def line(key, value, err, note="", name=None):
        why = fit.error_note(name) if name is not None else None
        if why is not None and name == "m_j":  # the crash size is read from m_J
            told = f"{value:.4g}, from m_J = {p['m_j']:.4g}, {why}"
        elif why is not None:
            told = f"{value:.4g}, {why}"
        else:
            told = f"{value:.4g} +/- {err:.2g} (s.e.)"
        return f'{key} = {{ value = {value:.6g}, source = "{where}: {told}{note}" }}'

    clipped = min(max(kappa, 0.0), 0.99)
    note = "" if clipped == kappa else f"; fitted {kappa:.4g} clipped to [0, 0.99]"
    lines = [
        "# bubblesim calibration: the market block fitted to price history as a Merton jump-diffusion.",
        f"# {where}.",
        f"# log-likelihood: Merton {fit.loglik:.2f}, GBM {fit.gbm_loglik:.2f}, LR statistic {fit.lr_statistic:.2f}",
        "# These are the AI index's parameters; with [market] feedback = false the index is exactly this",
        '# Merton process. Use it with:  extends = "<this file>"',
        "",
        "[market]",
        line("ai_drift", p["mu"], se["mu"], name="mu"),
        line("ai_volatility", p["sigma"], se["sigma"], name="sigma"),
        line("hazard_base", p["lam"], se["lam"], name="lam"),
        line("crash_size", clipped, kappa_se, note, name="m_j"),
        line("crash_size_volatility", p["d_j"], se["d_j"], name="d_j"),
        "",
    ]
    return "\n".join(lines)
