"""History as the yardstick: how often the real market fell, in windows of any length.

The bundled series is the US stock market's monthly total return 1926-07 to 2018-11 (all
NYSE/AMEX/NASDAQ firms, value-weighted; Kenneth R. French's data library, as redistributed in the
``arch`` package; see ``bubblesim/history/data/README.md``). Its cumulative index, one close per
month, is what the base rates are computed on: the share of all windows of ``n`` months (``n + 1``
closes, every start month) in which the index fell from its running peak within the window by at
least the threshold. Any window length is computed directly, never interpolated.
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
    "attach_yardstick",
]

#: Names accepted by ``--builtin``: name -> description.
BUILTIN_SERIES = {
    "us-market": "US stock market, monthly total return 1926-07 to 2018-11 (French data library)",
}


@lru_cache(maxsize=1)
def us_market_returns() -> pd.DataFrame:
    """``month``, ``market_return``, ``risk_free`` (decimals), from the bundled CSV."""
    path = resources.files("bubblesim.history").joinpath("data", "us_market_monthly_1926_2018.csv")
    with path.open() as f:
        return pd.read_csv(f)


def builtin_prices(name: str) -> pd.Series:
    """A bundled series as closes indexed by date (the cumulative total-return index, start 1)."""
    if name != "us-market":
        raise ValueError(
            f"unknown built-in series {name!r}; expected one of {', '.join(BUILTIN_SERIES)}"
        )
    frame = us_market_returns()
    dates = pd.PeriodIndex(frame["month"], freq="M").to_timestamp(how="end").normalize()
    closes = np.cumprod(1.0 + frame["market_return"].to_numpy(dtype=float))
    return pd.Series(closes, index=pd.DatetimeIndex(dates, name="date"), name="close")


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
    return drawdown_base_rate(builtin_prices("us-market").to_numpy(), int(months), float(threshold))


@lru_cache(maxsize=256)
def _fall_base_rate(months: int, threshold: float) -> float:
    levels = builtin_prices("us-market").to_numpy()
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


def attach_yardstick(result, *, workers: int = 1, progress=None) -> None:
    """Run ``result``'s no-bubble twin and attach it with the history's base rates, so that every
    market metric carries ``history_base_rate``, ``no_bubble_probability`` and ``ai_effect``."""
    from ..analysis.result import no_bubble_twin

    twin = no_bubble_twin(result, workers=workers, progress=progress)
    result.attach_yardstick(no_bubble=twin, base_rate=market_base_rate)
