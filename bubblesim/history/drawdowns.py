"""Every fall from a running peak in a real price series (``bubblesim drawdowns``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["find_drawdowns"]


def find_drawdowns(prices: pd.Series, threshold: float = 0.2) -> pd.DataFrame:
    """Every fall from a running peak that reached ``threshold``, in date order.

    An episode starts at a close that sets a new high and lasts until the first close back at or
    above that high (its ``recovery_date``, empty when the series ends first).

    Returns
    -------
    DataFrame
        Columns ``peak_date, peak, trough_date, trough, depth, recovery_date``; ``depth`` is a
        negative fraction.
    """
    values = prices.to_numpy(dtype=float)
    dates = prices.index
    previous_high = np.maximum.accumulate(np.concatenate([[-np.inf], values[:-1]]))
    starts = np.flatnonzero(values >= previous_high)  # closes at or above every earlier close
    rows = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(values)
        if end - s < 2:
            continue
        segment = values[s:end]
        t = s + int(np.argmin(segment))
        depth = values[t] / values[s] - 1.0
        if depth <= -threshold + 1e-12:  # a fall of exactly the threshold counts, despite rounding
            rows.append(
                {
                    "peak_date": dates[s].strftime("%Y-%m-%d"),
                    "peak": values[s],
                    "trough_date": dates[t].strftime("%Y-%m-%d"),
                    "trough": values[t],
                    "depth": depth,
                    "recovery_date": dates[end].strftime("%Y-%m-%d") if end < len(values) else "",
                }
            )
    return pd.DataFrame(
        rows, columns=["peak_date", "peak", "trough_date", "trough", "depth", "recovery_date"]
    )
