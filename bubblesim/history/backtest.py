"""Backtest: how often history fell by a threshold within a window, beside the model's odds.

The historical frequency is the share of rolling windows (one starting at every observation) in
which the price fell from its running peak (within the window) by at least the threshold.
Overlapping windows are strongly correlated, so the 95% interval comes from a circular block
bootstrap of the returns with blocks as long as the window (as the run's history yardstick). The model's
probability comes from bubblesim's Merton block calibrated on the same history
(:mod:`bubblesim.calibrate`), simulated for the same window at the same step frequency.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from .calibrate import PERIODS_PER_YEAR, MertonFit, detect_frequency, fit_merton, resample

__all__ = ["parse_window", "historical_frequency", "backtest"]

_UNITS = {"y": 1.0, "m": 1 / 12, "w": 1 / 52, "d": 1 / 252}


def parse_window(text: str) -> float:
    """``"1y"``, ``"18m"``, ``"26w"``, ``"252d"`` -> years."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([ymwd])\s*", text.lower())
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"--window: expected a length such as 1y, 18m, 26w or 252d, got {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def historical_frequency(prices: pd.Series, steps: int, threshold: float, extremes=None) -> dict:
    """Share of rolling windows of ``steps`` periods whose drawdown reached ``threshold``, with
    a 95% interval from a circular block bootstrap of the returns (blocks as long as the window,
    1,000 replicates, a fixed seed: :func:`~bubblesim.history.base_rates.block_bootstrap_shares`,
    the same interval as the run's history yardstick). ``extremes``: that bootstrap's deepest
    drawdowns per replicate and window, if already drawn (:func:`bootstrap_drawdowns`)."""
    values = prices.to_numpy(dtype=float)
    if len(values) < steps + 2:  # the bootstrap needs more returns than one window
        raise ValueError(
            f"the history has {len(values) - 1} periods; a window of {steps} needs more"
        )
    windows = sliding_window_view(values, steps + 1)
    drawdown = 1.0 - windows / np.maximum.accumulate(windows, axis=1)
    hits = drawdown.max(axis=1) >= threshold
    if extremes is None:
        extremes = bootstrap_drawdowns(values, steps)
    lo, hi = np.quantile((extremes >= threshold - 1e-12).mean(axis=1), [0.025, 0.975])
    return {
        "frequency": float(hits.mean()),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "windows": int(hits.size),
        "independent_windows": max(1, (len(values) - 1) // steps),
    }


def bootstrap_drawdowns(values: np.ndarray, steps: int) -> np.ndarray:
    """Deepest drawdown of every window of ``steps`` periods in each of 1,000 circular
    block-bootstrap replicates of the closes' returns, ``(replicates, windows)``."""
    from .base_rates import BOOTSTRAP_SEED, block_bootstrap_shares

    values = np.asarray(values, dtype=float)
    returns = values[1:] / values[:-1] - 1.0
    rng = np.random.default_rng([BOOTSTRAP_SEED, int(steps)])  # as the yardstick's: they agree
    deepest, _ = block_bootstrap_shares(returns, int(steps), rng=rng)
    return deepest


def backtest(
    prices: pd.Series,
    window_years: float,
    thresholds: list[float],
    *,
    frequency: str | None = None,
    paths: int = 10_000,
    seed: int = 20260101,
) -> tuple[pd.DataFrame, MertonFit]:
    """Historical frequency and calibrated-model probability of a drawdown within a window."""
    from ..analysis.result import simulate
    from ..scenario import scenario_from_dict

    frequency = frequency or detect_frequency(prices.index)
    per_year = PERIODS_PER_YEAR[frequency]
    series = resample(prices, frequency)
    steps = max(1, int(round(window_years * per_year)))
    if len(series) < steps + 2:
        raise ValueError(
            f"the history has {len(series) - 1} {frequency} periods; a window of {steps} needs more"
        )
    fit = fit_merton(series, frequency)
    kappa = min(max(fit.crash_size[0], 0.0), 0.99)
    scenario = scenario_from_dict(
        {
            "scenario": {
                "name": "backtest",
                "horizon_years": steps / per_year,
                "steps_per_year": per_year,
            },
            "market": {
                "feedback": False,
                "ai_drift": float(np.clip(fit.params["mu"], -5, 5)),
                "ai_volatility": float(np.clip(fit.params["sigma"], 0, 5)),
                "hazard_base": float(np.clip(fit.params["lam"], 0, 1000)),
                "crash_size": kappa,
                "crash_size_volatility": float(np.clip(fit.params["d_j"], 0, 5)),
            },
            "correction": {
                "thresholds": sorted(thresholds),
                "ai_thresholds": sorted(thresholds),
            },
        },
        file="backtest",
    )
    result = simulate(scenario, paths=paths, seed=seed)
    rows = []
    extremes = bootstrap_drawdowns(series.to_numpy(dtype=float), steps)
    for thr in sorted(thresholds):
        hist = historical_frequency(series, steps, thr, extremes)
        est = result.estimate("ai", thr)
        rows.append(
            {
                "threshold": thr,
                "window_years": steps / per_year,
                "historical": hist["frequency"],
                "historical_ci_low": hist["ci_low"],
                "historical_ci_high": hist["ci_high"],
                "windows": hist["windows"],
                "independent_windows": hist["independent_windows"],
                "model": est.probability,
                "model_ci_low": est.ci_low,
                "model_ci_high": est.ci_high,
                "paths": paths,
            }
        )
    return pd.DataFrame(rows), fit
