"""Fan charts. Plot functions draw on a given ``ax`` (or a new one), return it, and compute nothing.

matplotlib is imported inside the functions, with the Agg backend when saving files, so
importing bubblesim stays light and works without a display.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._version import __version__
from .metrics import FAN_BANDS
from .model import STATE_VARIABLES

__all__ = [
    "plot_fan",
    "plot_correction_strip",
    "fan_figure",
    "save_fan_figure",
    "LOG_SCALE_VARIABLES",
]

#: Variables that grow exponentially: drawn on a log axis by default.
LOG_SCALE_VARIABLES = frozenset({"ai_revenue", "compute_demand", "llm_price"})

_LABELS = {"ai_index": "AI index", "market": "Broad market"}


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_fan(
    quantiles: pd.DataFrame,
    *,
    ax=None,
    color: str = "C0",
    label: str | None = None,
    bands: tuple[tuple[float, float], ...] = FAN_BANDS,
    log: bool = False,
    ylabel: str = "",
):
    """Draw a fan: equal-tail bands (darkest in the middle), the median and the start point.

    Parameters
    ----------
    quantiles : DataFrame
        Rows are dates (a DatetimeIndex), columns are quantile levels (floats) that include 0.5
        and both ends of every band.
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    x = quantiles.index
    n = len(bands)
    for i, (lo, hi) in enumerate(bands):
        alpha = 0.12 + 0.55 * (i + 1) / n / 1.4
        ax.fill_between(
            x,
            quantiles[lo],
            quantiles[hi],
            color=color,
            alpha=alpha,
            linewidth=0,
            label=f"{lo:.0%}-{hi:.0%}" if label is None else None,
        )
    ax.plot(
        x, quantiles[0.5], color=color, linewidth=1.8, label="median" if label is None else label
    )
    ax.plot([x[0]], [quantiles[0.5].iloc[0]], "o", color="black", markersize=4, zorder=5)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return ax


def plot_correction_strip(
    cumulative: dict[float, pd.DataFrame], *, ax=None, colors=("C1", "C3", "C4", "C5")
):
    """Draw the cumulative probability of a correction by date, one line per threshold.

    Parameters
    ----------
    cumulative : dict
        Threshold -> DataFrame with columns ``date``, ``probability``, ``ci_low``, ``ci_high``.
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2))
    for (thr, frame), color in zip(cumulative.items(), colors, strict=False):
        ax.fill_between(
            frame["date"], frame["ci_low"], frame["ci_high"], color=color, alpha=0.25, linewidth=0
        )
        ax.plot(
            frame["date"],
            frame["probability"],
            color=color,
            linewidth=1.5,
            label=f"drawdown >= {thr:.0%}: {frame['probability'].iloc[-1]:.0%} by the end",
        )
    ax.set_ylim(0, 1)
    ax.set_ylabel("P(correction\nby date)")
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax


def fan_figure(
    quantiles: pd.DataFrame,
    *,
    title: str,
    caption: str,
    ylabel: str,
    log: bool = False,
    cumulative: dict[float, pd.DataFrame] | None = None,
):
    """A fan chart with, when ``cumulative`` is given, the correction-probability strip below it."""
    plt = _pyplot()
    if cumulative:
        fig, (ax, strip) = plt.subplots(
            2, 1, figsize=(9, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.1]}
        )
    else:
        fig, ax = plt.subplots(figsize=(9, 5))
        strip = None
    plot_fan(quantiles, ax=ax, log=log, ylabel=ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=3)
    if strip is not None:
        plot_correction_strip(cumulative, ax=strip)
        strip.set_xlabel("date")
    else:
        ax.set_xlabel("date")
    fig.text(0.01, 0.005, caption, fontsize=7.5, color="0.3", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def save_fan_figure(
    result,
    variable: str,
    path: str | Path,
    corrections_for: str | None = None,
    log: bool | None = None,
) -> Path:
    """Draw the fan chart of ``variable`` from a result and save it (PNG or SVG by suffix)."""
    plt = _pyplot()
    sc = result.scenario
    unit, description = STATE_VARIABLES[variable]
    cumulative = None
    if corrections_for is not None:
        cumulative = {t: result.cumulative(corrections_for, t) for t in sc.thresholds}
    fig = fan_figure(
        result.quantiles(variable),
        title=f"{_LABELS.get(variable, description)}: {sc.name}",
        caption=f"scenario {sc.name} · {result.paths:,} paths · seed {result.seed} · "
        f"{sc.steps_per_year} steps/year · bubblesim {__version__} · bands 5-95, 15-85, 25-75, 35-65, 45-55%",
        ylabel=f"{description} [{unit}]",
        log=(variable in LOG_SCALE_VARIABLES) if log is None else log,
        cumulative=cumulative,
    )
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
