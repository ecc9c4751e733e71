"""Fan charts. Plot functions draw on a given ``ax`` (or a new one), return it, and compute nothing.

matplotlib is imported inside the functions, with the Agg backend when saving files, so
importing bubblesim stays light and works without a display.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..analysis.estimates import FAN_BANDS
from ..engine.model import STATE_VARIABLES

__all__ = [
    "plot_fan",
    "plot_correction_strip",
    "fan_figure",
    "save_fan_figure",
    "LOG_SCALE_VARIABLES",
    "SIGNED_VARIABLES",
]

#: Variables that grow exponentially: drawn on a log axis by default.
LOG_SCALE_VARIABLES = frozenset({"ai_revenue", "compute_demand", "llm_price"})

#: Variables whose sign changes what they are, and whose tails reach far past the typical path:
#: drawn on a symmetric-log axis (linear within +/- the value, logarithmic beyond) with a zero
#: line that says what the far side is.
SIGNED_VARIABLES = {"lab_burn": (50.0, "0 = break-even; below 0 the labs make a profit")}

_LABELS = {"ai_index": "AI index", "market": "Broad market"}

#: Dots per inch of every saved figure. A run's figures are also laid out at it, so that the
#: layout pass and the saved drawing share matplotlib's text-size cache (~10% of a figure's time).
SAVE_DPI = 110


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def freeze_ticks(fig) -> None:
    """Fix every axis's major ticks and labels where its locator puts them now, after a saved
    figure's layout pass (the ticks depend on the axes' size, which the layout sets). The
    drawing then reads them instead of asking the locator again, for every tick label's box
    (a date axis's locator is asked dozens of times a draw); the pixels are the same. An axis
    whose labels carry an offset or a power of ten beside them, or that is fixed already, is
    left as it is. Not for figures shown interactively: frozen ticks do not follow a zoom."""
    from matplotlib.ticker import FixedFormatter, FixedLocator

    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_locator(), FixedLocator):
                continue
            formatter = axis.get_major_formatter()
            locs = axis.get_majorticklocs()
            labels = formatter.format_ticks(locs)
            if getattr(formatter, "get_offset", lambda: "")():
                continue
            axis.set_major_locator(FixedLocator(locs))
            axis.set_major_formatter(FixedFormatter(labels))


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
    outline: pd.DataFrame | None = None,
    outline_label: str = "no bubble",
    variable: str | None = None,
    for_file: bool = False,
):
    """A fan chart with, when ``cumulative`` is given, the correction-probability strip below it.

    ``outline``: per-date quantiles of a second run (e.g. the no-bubble twin) drawn as lines over
    the fan: its median dashed, its 5-95% band dotted. ``for_file``: for a figure that is only
    saved: laid out at :data:`SAVE_DPI` and its ticks frozen after (:func:`freeze_ticks`),
    faster, the same pixels; a figure to show keeps the default dpi and live ticks.
    """
    plt = _pyplot()
    if cumulative:
        fig, (ax, strip) = plt.subplots(
            2, 1, figsize=(9, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.1]},
            dpi=SAVE_DPI if for_file else None,
        )  # fmt: skip
    else:
        fig, ax = plt.subplots(figsize=(9, 5), dpi=SAVE_DPI if for_file else None)
        strip = None
    plot_fan(quantiles, ax=ax, log=log, ylabel=textwrap.fill(ylabel, 34))  # within its panel
    if outline is not None:
        x = pd.to_datetime(outline.index)
        ax.plot(x, outline[0.5], color="0.15", lw=1.2, ls="--", label=f"{outline_label}: median")
        ax.plot(x, outline[0.05], color="0.15", lw=0.9, ls=":", label=f"{outline_label}: 5-95%")
        ax.plot(x, outline[0.95], color="0.15", lw=0.9, ls=":")
    ax.set_title(title)
    signed = SIGNED_VARIABLES.get(variable) if not log else None
    if signed is not None:
        linear, note = signed
        ax.set_yscale("symlog", linthresh=linear)
        ticks = [s * m * 10**e for s in (-1, 1) for e in range(1, 5) for m in (1, 3)] + [0.0]
        ax.yaxis.set_major_locator(plt.matplotlib.ticker.FixedLocator(sorted(ticks)))
        ax.yaxis.set_major_formatter(plt.matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_minor_locator(plt.matplotlib.ticker.NullLocator())
        ax.axhline(0.0, color="0.25", lw=0.9)
        ax.annotate(note, xy=(1.0, 0.0), xycoords=("axes fraction", "data"), xytext=(-4, -11),
                    textcoords="offset points", ha="right", fontsize=7.5, color="0.25")  # fmt: skip
        ax.set_ylabel(f"{ylabel}\n(linear within +/-{linear:g}, log beyond)")
    # the start point sits at the upper left of a falling fan: the legend goes below it then
    ax.legend(loc="lower left" if signed is not None else "upper left", fontsize=8,
              frameon=False, ncol=3)  # fmt: skip
    if strip is not None:
        plot_correction_strip(cumulative, ax=strip)
        strip.set_xlabel("date")
    else:
        ax.set_xlabel("date")
    fig.text(0.01, 0.005, caption, fontsize=7.5, color="0.3", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    if for_file:
        freeze_ticks(fig)
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
        cumulative = {
            t: result.cumulative(corrections_for, t) for t in sc.thresholds_for(corrections_for)
        }
    fig = fan_figure(
        result.quantiles(variable),
        title=f"{_LABELS.get(variable, description)}: {sc.name}",
        caption=f"scenario {sc.name} · {result.paths:,} paths · seed {result.seed} · "
        f"{sc.steps_per_year} steps/year · bubblesim {__version__} · bands 5-95, 15-85, 25-75, 35-65, 45-55%",
        ylabel=f"{description} [{unit}]",
        log=(variable in LOG_SCALE_VARIABLES) if log is None else log,
        cumulative=cumulative,
        outline=(
            result.no_bubble.quantiles(variable)
            if variable in ("market", "ai_index") and getattr(result, "no_bubble", None) is not None
            else None
        ),
        outline_label="no bubble (AI channels off)",
        variable=variable,
        for_file=True,
    )
    path = Path(path)
    fig.savefig(path, dpi=SAVE_DPI)
    plt.close(fig)
    return path


def plot_fan_overlay(
    quantiles: dict[str, pd.DataFrame], *, ax=None, log: bool = False, ylabel: str = ""
):
    """Overlay several scenarios' fans: per scenario one colour, 5-95 and 25-75 bands and the median.

    Parameters
    ----------
    quantiles : dict
        Scenario name -> per-date quantiles (columns include 0.05, 0.25, 0.5, 0.75, 0.95).
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    # Only the 25-75% band is filled; the 5-95% band is drawn as its two edges. Filled 5-95%
    # bands of several scenarios blend into one colour where they overlap.
    for i, (name, q) in enumerate(quantiles.items()):
        color = f"C{i % 10}"
        ax.fill_between(q.index, q[0.25], q[0.75], color=color, alpha=0.22, linewidth=0)
        for edge in (0.05, 0.95):
            ax.plot(q.index, q[edge], color=color, linewidth=0.9, linestyle="--")
        ax.plot(q.index, q[0.5], color=color, linewidth=2, label=name)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    scenarios = ax.legend(loc="upper left", fontsize=8, frameon=False, title="scenario",
                          title_fontsize=8)  # fmt: skip
    ax.add_artist(scenarios)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    key = [Line2D([], [], color="0.3", lw=2, label="median"),
           Patch(color="0.3", alpha=0.22, lw=0, label="25-75%"),
           Line2D([], [], color="0.3", lw=0.9, ls="--", label="5% and 95%")]  # fmt: skip
    ax.legend(handles=key, loc="upper center", fontsize=8, frameon=False, title="each scenario's",
              title_fontsize=8)  # fmt: skip
    return ax


def plot_cumulative_overlay(cumulative: dict[str, pd.DataFrame], *, ax=None, label: str = ""):
    """Cumulative probability of a correction by date, one line with its 95% band per scenario."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    for i, (name, frame) in enumerate(cumulative.items()):
        color = f"C{i % 10}"
        ax.fill_between(
            frame["date"], frame["ci_low"], frame["ci_high"], color=color, alpha=0.2, linewidth=0
        )
        ax.plot(frame["date"], frame["probability"], color=color, linewidth=1.8, label=name)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel(f"P({label} by date)" if label else "probability")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax


def plot_odds(table: pd.DataFrame, *, ax=None, title: str = ""):
    """P(event) per scenario as dots with 95% interval whiskers, one marker per threshold.

    Parameters
    ----------
    table : DataFrame
        Columns ``scenario``, ``threshold``, ``probability``, ``ci_low``, ``ci_high``.
    """
    plt = _pyplot()
    names = list(dict.fromkeys(table["scenario"]))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(names) * 2))
    thresholds = sorted(table["threshold"].unique())
    offsets = {t: (j - (len(thresholds) - 1) / 2) * 0.22 for j, t in enumerate(thresholds)}
    markers = "os^Dv"
    for j, t in enumerate(thresholds):
        sub = table[table["threshold"] == t].set_index("scenario").loc[names]
        y = [len(names) - 1 - i + offsets[t] for i in range(len(names))]
        err = np.clip(
            [sub["probability"] - sub["ci_low"], sub["ci_high"] - sub["probability"]], 0.0, None
        )
        # hollow markers under their whiskers: a short interval stays visible
        dots, caps, bars = ax.errorbar(
            sub["probability"],
            y,
            xerr=err,
            fmt=markers[j % 5],
            color=f"C{j + 1}",
            markerfacecolor="white",
            markersize=5,
            capsize=3,
            label=f"drawdown >= {t:.0%}",
        )
        for whisker in (*caps, *bars):
            whisker.set_zorder(dots.get_zorder() + 1)
        for x, yy in zip(sub["probability"], y, strict=True):
            ax.annotate(
                f"{x:.0%}",
                (x, yy),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontsize=7,
            )
    ax.set_yticks(range(len(names)), list(reversed(names)))
    ax.set_xlim(0, 1.05)
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10, loc="left", pad=22)
    ax.legend(
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=len(thresholds),
        fontsize=8,
        frameon=False,
        handletextpad=0.3,
        columnspacing=1.0,
    )
    return ax


def save_figure(fig, stem: Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` and close it (its ticks frozen where its
    layout put them: :func:`freeze_ticks`)."""
    plt = _pyplot()
    freeze_ticks(fig)
    out = []
    for fmt in formats:
        path = Path(stem).with_suffix("." + fmt)
        fig.savefig(path, dpi=SAVE_DPI)
        out.append(path)
    plt.close(fig)
    return out


def comparison_figures(comparison, folder: Path) -> list[Path]:
    """Write the overlaid fans, cumulative odds and odds chart of a comparison (PNG and SVG)."""
    plt = _pyplot()
    results = comparison.results
    caption = (
        f"scenarios {', '.join(comparison.names)} · {comparison.reference.paths:,} paths each · "
        f"seed {comparison.reference.seed} · common random numbers · bubblesim {__version__}"
    )
    written = []
    for var in ("ai_index", "market"):
        unit, description = STATE_VARIABLES[var]
        fig, ax = plt.subplots(figsize=(9, 5.2))
        plot_fan_overlay(
            {r.scenario.name: r.quantiles(var) for r in results},
            ax=ax,
            ylabel=f"{description} [{unit}]",
        )
        ax.set_title(f"{_LABELS[var]}: scenarios compared")
        ax.set_xlabel("date")
        fig.text(0.01, 0.005, caption, fontsize=7, color="0.3")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        written += save_figure(fig, folder / f"compare_fan_{var}")
    per_index = {index: comparison.thresholds(index) for index in ("ai", "market")}
    rows = max(1, *(len(v) for v in per_index.values()))
    fig, axes = plt.subplots(rows, 2, figsize=(11, 3.2 * rows), squeeze=False, sharex=True)
    for j, index in enumerate(("ai", "market")):
        for i in range(rows):
            if i >= len(per_index[index]):
                axes[i][j].set_visible(False)
                continue
            t = per_index[index][i]
            plot_cumulative_overlay(
                {r.scenario.name: r.cumulative(index, t) for r in results},
                ax=axes[i][j],
                label=f"drawdown >= {t:.0%}",
            )
            axes[i][j].set_title(
                f"{'AI index' if index == 'ai' else 'Broad market'}: drawdown >= {t:.0%}",
                fontsize=10,
            )
    fig.text(0.01, 0.005, caption, fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    written += save_figure(fig, folder / "compare_cumulative")
    table = comparison.table()
    fig, axes = plt.subplots(1, 2, figsize=(11, 1.8 + 0.9 * len(results)), sharey=True)
    for ax, index in zip(axes, ("ai", "market"), strict=True):
        sub = table[(table["index"] == index) & (table["name"] == "drawdown")]
        plot_odds(
            sub, ax=ax, title=f"{'AI index' if index == 'ai' else 'Broad market'}: P(drawdown)"
        )
    fig.text(0.01, 0.005, caption, fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    written += save_figure(fig, folder / "compare_odds")
    return written
