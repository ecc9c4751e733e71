"""History as the yardstick: how often the real market fell, in windows of any length.

The bundled series is the US stock market's monthly total return 1926-07 to 2018-11 (all
NYSE/AMEX/NASDAQ firms, value-weighted; Kenneth R. French's data library, as redistributed in the
``arch`` package; see ``bubblesim/history/data/README.md``). Its cumulative index, one close per
month, is what the base rates are computed on: the share of all windows of ``n`` months (``n + 1``
closes, every start month) in which the index fell from its running peak within the window by at
least the threshold. Any window length is computed directly, never interpolated.

Overlapping windows are far from independent (1,049 windows of 60 months hold about 18
non-overlapping ones), so every base rate carries a 95% interval from a circular block bootstrap
whose block is the window: the monthly returns are resampled in blocks of that many months
(wrapping round the end), the index rebuilt and the share recomputed, 1,000 times on a fixed
seed. The interval says how much the share could differ in a history as long as this one whose
stretches of that length came in another order; it does not cover a change of regime since.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "BUILTIN_SERIES",
    "builtin_prices",
    "us_market_returns",
    "drawdown_base_rate",
    "history_base_rate",
    "market_base_rate",
    "market_base_rate_interval",
    "block_bootstrap_shares",
    "attach_yardstick",
    "prepare_yardstick",
]

#: Replicates and seed of the block bootstrap behind every history interval (fixed: the same
#: interval every run).
BOOTSTRAP_REPLICATES = 1000
BOOTSTRAP_SEED = 19260701

#: Names accepted by ``--builtin``: name -> description.
BUILTIN_SERIES = {
    "us-market": "US stock market, monthly total return 1926-07 to 2018-11 (French data library)",
    "nasdaq": "NASDAQ Composite, month-end closes 1999-01 to 2018-12 (Yahoo Finance ^IXIC)",
}


@lru_cache(maxsize=1)
def us_market_returns() -> pd.DataFrame:
    """``month``, ``market_return``, ``risk_free`` (decimals), from the bundled CSV."""
    path = resources.files("bubblesim.history").joinpath("data", "us_market_monthly_1926_2018.csv")
    with path.open() as f:
        return pd.read_csv(f)


@lru_cache(maxsize=1)
def _us_market_closes() -> tuple[pd.DatetimeIndex, np.ndarray]:
    frame = us_market_returns()
    dates = pd.PeriodIndex(frame["month"], freq="M").to_timestamp(how="end").normalize()
    closes = np.cumprod(1.0 + frame["market_return"].to_numpy(dtype=float))
    closes.flags.writeable = False
    return pd.DatetimeIndex(dates, name="date"), closes


def builtin_prices(name: str) -> pd.Series:
    """A bundled series as closes indexed by date (the cumulative total-return index, start 1)."""
    if name not in BUILTIN_SERIES:
        raise ValueError(
            f"unknown built-in series {name!r}; expected one of {', '.join(BUILTIN_SERIES)}"
        )
    if name == "nasdaq":
        path = resources.files("bubblesim.history").joinpath("data", "nasdaq_monthly.csv")
        with path.open() as f:
            frame = pd.read_csv(f, parse_dates=["date"])
        return pd.Series(
            frame["close"].to_numpy(dtype=float),
            index=pd.DatetimeIndex(frame["date"], name="date"),
            name="close",
        )
    dates, closes = _us_market_closes()
    return pd.Series(closes.copy(), index=dates, name="close")


def drawdown_base_rate(levels: np.ndarray, window: int, threshold: float) -> float:
    """Share of windows of ``window`` steps (``window + 1`` levels) with a drawdown >= threshold."""
    levels = np.asarray(levels, dtype=float)
    if window < 1 or levels.size < window + 1:
        raise ValueError(f"need at least {window + 1} levels for windows of {window} steps")
    w = sliding_window_view(levels, window + 1)
    deepest = (1.0 - w / np.maximum.accumulate(w, axis=1)).max(axis=1)
    return float((deepest >= threshold).mean())


@lru_cache(maxsize=256)
def history_base_rate(months: int, threshold: float) -> float:
    """The bundled US market's base rate of a ``threshold`` drawdown within ``months`` months."""
    return drawdown_base_rate(_us_market_closes()[1], int(months), float(threshold))


@lru_cache(maxsize=256)
def _fall_base_rate(months: int, threshold: float) -> float:
    levels = _us_market_closes()[1]
    w = sliding_window_view(levels, int(months) + 1)
    return float((w.min(axis=1) / w[:, 0] <= 1.0 - threshold).mean())


def market_base_rate(kind: str, threshold: float, months: int) -> float:
    """The US market's base rate of the same event: a ``"drawdown"`` from the running peak or a
    ``"fall"`` below the window's start of at least ``threshold`` within ``months`` months."""
    if kind == "drawdown":
        return history_base_rate(int(months), float(threshold))
    if kind == "fall":
        return _fall_base_rate(int(months), float(threshold))
    raise ValueError(f"unknown kind {kind!r}")


def _window_extremes(log_levels: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Per window of ``window`` steps, along the last axis of log levels: the deepest drawdown
    from the running peak and the deepest fall below the window's start (fractions).

    A window of ``window + 1`` levels is joined from disjoint runs of 1, 2, 4, ... levels (the
    binary digits of its length), each run's highest, lowest and deepest drawdown read from
    doubling tables: a run A followed by B has drawdown max(dd A, dd B, max A - min B). About
    ``4 log2(window)`` passes over all windows instead of ``3 window``; every candidate is the
    same difference of two levels as in a step-by-step scan, so the values are identical.
    """
    length = window + 1
    n_windows = log_levels.shape[-1] - window
    top, bottom = log_levels, log_levels
    deep = np.zeros_like(log_levels)
    runs = {}  # run length -> (highest, lowest, deepest) of the run starting at each level
    size = 1
    while size <= length:
        runs[size] = (top, bottom, deep)
        if 2 * size > length:
            break
        t, b, d = top[..., :-size], bottom[..., :-size], deep[..., :-size]
        t2, b2, d2 = top[..., size:], bottom[..., size:], deep[..., size:]
        deep = np.maximum(np.maximum(d, d2), t - b2)
        top, bottom = np.maximum(t, t2), np.minimum(b, b2)
        size *= 2
    peak = low = deepest = None
    offset = 0
    for size in sorted(runs, reverse=True):
        if not length & size:
            continue
        t, b, d = (a[..., offset : offset + n_windows] for a in runs[size])
        if peak is None:
            peak, low, deepest = t.copy(), b.copy(), d.copy()
        else:
            np.maximum(deepest, d, out=deepest)
            np.maximum(deepest, peak - b, out=deepest)
            np.maximum(peak, t, out=peak)
            np.minimum(low, b, out=low)
        offset += size
    start = log_levels[..., :n_windows]
    return -np.expm1(-deepest), -np.expm1(low - start)


def block_bootstrap_shares(
    returns: np.ndarray,
    window: int,
    *,
    block: int | None = None,
    replicates: int = BOOTSTRAP_REPLICATES,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Circular block bootstrap of a return series, blocks of ``block`` steps (default: the
    window, so that each window's dependence on its neighbours is kept).

    Each replicate joins randomly started blocks of ``block`` consecutive returns (wrapping
    round the end) into a series as long as the original, rebuilds the index (one close after
    each return, as :func:`builtin_prices`) and measures every window of ``window`` steps. Returns ``(deepest, fall)``, each ``(replicates, n_windows)``:
    the deepest drawdown and the deepest fall below the start of each window of each replicate.
    """
    r = np.log1p(np.asarray(returns, dtype=float))
    n = r.size
    block = window if block is None else int(block)
    if window < 1 or block < 1 or n <= window:
        raise ValueError(f"need more than {window} returns for windows of {window} steps")
    n_blocks = -(-n // block)
    deepest, fall = [], []
    for start in range(0, replicates, 100):  # a hundred replicates at a time bounds memory
        m = min(100, replicates - start)
        first = rng.integers(0, n, size=(m, n_blocks))
        idx = (first[:, :, None] + np.arange(block)).reshape(m, -1)[:, :n] % n
        log_levels = np.cumsum(r[idx], axis=1)  # closes after each return, as the history's
        d, f = _window_extremes(log_levels, window)
        deepest.append(d)
        fall.append(f)
    return np.concatenate(deepest), np.concatenate(fall)


@lru_cache(maxsize=4)  # ~17 MB per window length
def _bootstrap_extremes(months: int) -> tuple[np.ndarray, np.ndarray]:
    returns = us_market_returns()["market_return"].to_numpy(dtype=float)
    rng = np.random.default_rng([BOOTSTRAP_SEED, int(months)])
    return block_bootstrap_shares(returns, int(months), rng=rng)


def market_base_rate_interval(kind: str, threshold: float, months: int) -> tuple[float, float]:
    """95% interval of :func:`market_base_rate`: the 2.5% and 97.5% points of the same share over
    block-bootstrap replicates of the bundled history (blocks of ``months`` months)."""
    deepest, fall = _bootstrap_extremes(int(months))
    if kind not in ("drawdown", "fall"):
        raise ValueError(f"unknown kind {kind!r}")
    extreme = deepest if kind == "drawdown" else fall
    shares = (extreme >= float(threshold) - 1e-12).mean(axis=1)
    lo, hi = np.quantile(shares, [0.025, 0.975])
    return float(lo), float(hi)


def prepare_yardstick(scenario) -> None:
    """Compute (and cache) what :func:`attach_yardstick` will read for ``scenario``'s horizon:
    the history's closes and its block-bootstrap replicates, e.g. while workers simulate."""
    months = scenario.horizon_months
    market_base_rate("drawdown", 0.1, months)
    _bootstrap_extremes(months)


def attach_yardstick(result, *, workers: int = 1, progress=None, twin=None) -> None:
    """Attach ``result``'s no-bubble twin (run here unless given, e.g. by
    :func:`~bubblesim.analysis.result.simulate_with_twins`) with the history's base rates, so
    that every market metric carries ``history_base_rate``, ``no_bubble_probability`` and
    ``ai_effect``."""
    from ..analysis.result import no_bubble_twin

    if twin is None:
        twin = no_bubble_twin(result, workers=workers, progress=progress)
    result.attach_yardstick(
        no_bubble=twin, base_rate=market_base_rate, base_rate_interval=market_base_rate_interval
    )
