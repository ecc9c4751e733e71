"""Fit the AI channels' crash-hazard coefficients to an episode, by maximum likelihood.

Given an index's log returns ``r_t`` over steps of ``dt`` years and the states observed at the start
of each step (overvaluation ``b``, the coverage gap's rise since the start ``gap``, funding
stress ``S``), bubblesim's AI index
with its revenue, capex and compute betas at zero and no lab failure has the step law

    h_t = h0 + h1 max(b_t, 0)^q + h2 gap_t + h3 S_t                         crash hazard (1/yr)
    r_t = (mu - sigma^2/2 + comp kbar h_t - v b_t) dt + sigma sqrt(dt) Z
          + sum of N ~ Poisson(h_t dt) jumps N(m_J, d_J^2),   kbar = 1 - exp(m_J + d_J^2/2)

(docs/model.md, section 4), a Poisson mixture of normals whose log-likelihood is exact. The fit
maximises it over ``mu, sigma, h0, h1, h2, h3, m_J, d_J`` (``q`` and the valuation drag ``v`` fixed)
with the hazard coefficients kept >= 0; standard errors come from the inverse Hessian. A
coefficient whose covariate is absent (all zero) is fixed at zero and reported as not identified.

:func:`load_dotcom_episode` builds the covariates the shipped data support for the NASDAQ's
1999-2003 bust (see ``bubblesim/history/data/README.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
from scipy import optimize, special

from .calibrate import standard_errors

__all__ = ["EpisodeFit", "fit_episode", "episode_loglik", "load_dotcom_episode", "COEFFICIENTS"]

#: The fitted coefficients, in order; the hazard ones map to ``[market] hazard_*`` keys.
COEFFICIENTS = ("mu", "sigma", "hazard_base", "hazard_bubble", "hazard_coverage", "hazard_stress",
                "m_j", "d_j")  # fmt: skip
HAZARD_COVARIATE = {"hazard_bubble": "b", "hazard_coverage": "gap", "hazard_stress": "stress"}
MAX_JUMPS = 60  # most terms of the Poisson mixture per step (fewer when the rate is low)


def episode_loglik(
    theta: np.ndarray,
    r: np.ndarray,
    covariates: dict[str, np.ndarray],
    dt: float,
    power: float = 2.0,
    drag: float = 0.1,
    compensate: bool = True,
) -> float:
    """Log-likelihood of returns ``r`` given the states at the start of each step."""
    mu, sigma, h0, h1, h2, h3, m_j, d_j = theta
    if sigma <= 0 or d_j <= 0 or min(h0, h1, h2, h3) < 0:
        return -np.inf
    b = covariates["b"]
    herding = h1 * np.maximum(b, 0.0) ** power
    hazard = h0 + herding + h2 * covariates["gap"] + h3 * covariates["stress"]
    kbar = -math.expm1(m_j + 0.5 * d_j**2)
    drift = mu - 0.5 * sigma**2 + (kbar * hazard if compensate else 0.0) - drag * b
    top_rate = float(hazard.max()) * dt
    n = np.arange(min(MAX_JUMPS, int(math.ceil(top_rate + 10 * math.sqrt(top_rate) + 8))) + 1)
    n = n[:, None]
    mean = drift[None, :] * dt + n * m_j
    var = sigma**2 * dt + n * d_j**2
    rate = hazard[None, :] * dt
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pois = n * np.log(rate) - rate - special.gammaln(n + 1.0)
    log_pois[0] = -rate[0]  # n = 0 also when the rate is zero
    log_norm = -0.5 * (np.log(2 * np.pi * var) + (r[None, :] - mean) ** 2 / var)
    terms = log_pois + log_norm
    top = terms.max(axis=0)
    return float((top + np.log(np.exp(terms - top).sum(axis=0))).sum())


@dataclass(frozen=True)
class EpisodeFit:
    """Estimates, standard errors and which coefficients the data pin down."""

    params: dict[str, float]
    std_errors: dict[str, float]
    identified: dict[str, bool]
    loglik: float
    n_returns: int
    dt: float

    def pinned(self, name: str) -> bool:
        """Estimated, and at least two standard errors from zero."""
        se = self.std_errors[name]
        return self.identified[name] and math.isfinite(se) and abs(self.params[name]) > 2 * se

    def table(self) -> pd.DataFrame:
        rows = []
        for name in COEFFICIENTS:
            value, se = self.params[name], self.std_errors[name]
            rows.append(
                {
                    "coefficient": name,
                    "estimate": value,
                    "std_error": se,
                    "ci_low": value - 1.96 * se if math.isfinite(se) else math.nan,
                    "ci_high": value + 1.96 * se if math.isfinite(se) else math.nan,
                    "identified": self.identified[name],
                    "pinned": self.pinned(name),
                }
            )
        return pd.DataFrame(rows)


def fit_episode(
    r: np.ndarray,
    covariates: dict[str, np.ndarray],
    dt: float,
    power: float = 2.0,
    drag: float = 0.1,
    compensate: bool = True,
    starts: int = 3,
) -> EpisodeFit:
    """Maximum-likelihood estimates of the hazard coefficients and the diffusion.

    Parameters
    ----------
    r : ndarray
        Log returns, one per step.
    covariates : dict
        ``"b"``, ``"gap"``, ``"stress"`` -> the state at the start of each step (same length as
        ``r``); a missing or all-zero covariate fixes its coefficient at zero.
    dt : float
        Step in years.
    starts : int
        Number of starting points tried (1 to 3); the best optimum is kept.
    """
    r = np.asarray(r, dtype=float)
    cov = {
        k: np.asarray(covariates.get(k, np.zeros_like(r)), dtype=float)
        for k in ("b", "gap", "stress")
    }
    free = [True] * len(COEFFICIENTS)
    for name, key in HAZARD_COVARIATE.items():
        if not np.any(cov[key] != 0):
            free[COEFFICIENTS.index(name)] = False
    free_idx = [i for i, f in enumerate(free) if f]

    def full(x: np.ndarray) -> np.ndarray:
        theta = np.zeros(len(COEFFICIENTS))
        theta[free_idx] = x
        return theta

    def neg(x: np.ndarray) -> float:
        value = -episode_loglik(full(x), r, cov, dt, power, drag, compensate)
        return value if np.isfinite(value) else 1e300

    sd = r.std() / math.sqrt(dt)
    bounds_all = [(-10, 10), (1e-4, 5), (0, 400), (0, 400), (0, 400), (0, 400), (-3, 3), (1e-3, 3)]
    bounds = [bounds_all[i] for i in free_idx]
    best = None
    for lam0, size0, coef0 in ((0.5, -0.2, 0.5), (2.0, -0.1, 0.1), (0.2, -0.4, 2.0))[:starts]:
        x0_all = [r.mean() / dt, 0.8 * sd, lam0, coef0, coef0, coef0, size0, 0.1]
        x0 = np.array([x0_all[i] for i in free_idx])
        res = optimize.minimize(neg, x0, method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    x = best.x
    se = np.full(len(COEFFICIENTS), math.nan)
    se[free_idx] = standard_errors(neg, x, bounds)  # none for an estimate at a bound
    theta = full(x)
    return EpisodeFit(
        params=dict(zip(COEFFICIENTS, map(float, theta), strict=True)),
        std_errors=dict(zip(COEFFICIENTS, map(float, se), strict=True)),
        identified=dict(zip(COEFFICIENTS, free, strict=True)),
        loglik=-float(best.fun),
        n_returns=int(r.size),
        dt=dt,
    )


def _data(name: str):
    return resources.files("bubblesim.history").joinpath("data", name)


def nasdaq_monthly() -> pd.Series:
    """The shipped NASDAQ Composite month-end closes, 1999-01 to 2018-12."""
    with _data("nasdaq_monthly.csv").open() as f:
        frame = pd.read_csv(f, parse_dates=["date"])
    return frame.set_index("date")["close"]


def dotcom_fundamentals() -> pd.DataFrame:
    """The shipped yearly figures of the telecom and internet build-out (US$ bn)."""
    with _data("dotcom_fundamentals.csv").open() as f:
        return pd.read_csv(f).set_index("year")


def load_dotcom_episode(start: str = "1999-01", end: str = "2003-12") -> dict:
    """Returns and the covariates the shipped data support for the NASDAQ's 1999-2003 bust.

    * ``stress``: the venture-funding retreat, ``1 - VC_t / max_{s<=t} VC_s`` on the yearly VC
      series placed at mid-year and interpolated monthly (0 while funding grows; 0.61 in mid-2001).
    * ``b`` and ``gap``: zero (no sourced valuation or revenue series), so ``hazard_bubble`` and
      ``hazard_coverage`` are not identified by this episode.

    Returns ``{"returns", "covariates", "dt", "dates", "prices"}``.
    """
    prices = nasdaq_monthly()
    last = pd.Timestamp(end) + pd.offsets.MonthEnd(0)
    prices = prices[(prices.index >= pd.Timestamp(start)) & (prices.index <= last)]
    r = np.diff(np.log(prices.to_numpy(dtype=float)))
    vc = dotcom_fundamentals()["venture_capital_bn"].dropna()
    retreat = 1.0 - vc / vc.cummax()
    t = prices.index[:-1].year + prices.index[:-1].month / 12.0  # month-end: the step's start
    stress = np.interp(t, retreat.index.to_numpy() + 0.5, retreat.to_numpy())
    return {
        "returns": r,
        "covariates": {"b": np.zeros_like(r), "gap": np.zeros_like(r), "stress": stress},
        "dt": 1.0 / 12.0,
        "dates": prices.index,
        "prices": prices,
    }
