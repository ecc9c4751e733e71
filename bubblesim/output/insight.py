"""Files and figures of the insight commands: sensitivity, sweep, solve, and what crash paths share."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from ..scenario.schema import PARAMETERS
from .files import atomic_write_text
from .plots import SAVE_DPI, _pyplot, save_figure

__all__ = [
    "write_sensitivity",
    "write_sweep",
    "write_solve",
    "crash_inputs_figure",
    "sensitivity_terminal_table",
    "solve_terminal_table",
]


RAISES, LOWERS = "#b00020", "#1b5e20"  # a tornado bar's colour: what its high value does to P


def _value(v) -> str:
    return f"{v:,.4g}" if isinstance(v, int | float) else str(v)


def _bar_label(row: dict) -> str:
    """A bar's label: the parameter's ``section.key`` and, for a tornado, the two values it was
    run at (low -> high)."""
    if "low" in row and "high" in row:
        return f"{row['parameter']}  ({_value(row['low'])} -> {_value(row['high'])})"
    return row["parameter"]


def _stamp(scenario, extra: dict) -> dict:
    return {
        "scenario": scenario.name,
        "scenario_sha256": scenario.sha256,
        "scenario_file": scenario.path,
        "version": __version__,
        **extra,
    }


def write_sensitivity(result, scenario, folder: Path) -> list[Path]:
    """sensitivity.json, sensitivity.csv, tornado.png/.svg or sobol.png/.svg, by_year.png/.svg."""
    folder = Path(folder)
    doc = _stamp(scenario, result.to_dict())
    written = [folder / "sensitivity.json", folder / "sensitivity.csv"]
    atomic_write_text(written[0], json.dumps(doc, indent=2) + "\n")
    table = result.table()
    for col in ("S1_ci", "ST_ci"):
        if col in table:
            table[col] = table[col].map(lambda v: f"{v[0]:.6g};{v[1]:.6g}")
    atomic_write_text(written[1], table.to_csv(index=False))
    plt = _pyplot()
    rows = result.rows[:15][::-1]
    fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.42 * len(rows)))
    y = np.arange(len(rows))
    effect = np.array([r["effect"] for r in rows])
    err = np.abs(
        np.array([[r["effect"] - r["ci_low"], r["ci_high"] - r["effect"]] for r in rows]).T
    )
    scale = 100 if result.method == "tornado" else 1  # points of probability; an index in [0, 1]
    ax.barh(y, scale * effect, xerr=scale * err, color=[RAISES if e > 0 else LOWERS for e in effect],
            alpha=0.8, capsize=3)  # fmt: skip
    ax.set_yticks(y, [_bar_label(r) for r in rows], fontsize=8)
    ax.axvline(0, color="0.3", lw=0.8)
    if result.method == "tornado":
        ax.set_xlabel(f"P({result.metric.label}): high minus low setting, points (paired 95%)")
        from matplotlib.patches import Patch

        fig.legend(handles=[Patch(color=RAISES, alpha=0.8, label="the high value raises P"),
                            Patch(color=LOWERS, alpha=0.8, label="the high value lowers P")],
                   fontsize=7.5, frameon=False, loc="lower right", ncol=2,
                   borderaxespad=0.1)  # fmt: skip
        stem = "tornado"
    else:
        ax.set_xlabel(
            "total Sobol index ST: share of the per-path outcome's variance, 0-1 (95% bootstrap)"
        )
        stem = "sobol"
    ax.set_title(f"What moves P({result.metric.label}): {scenario.name}", fontsize=10)
    footer = (f"{result.paths:,} paths · seed {result.seed} · bubblesim {__version__} · "
              f"scenario as written: {result.base_probability:.1%}")  # fmt: skip
    fig.text(0.01, 0.01, footer, fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.07 if len(rows) < 6 else 0.04, 1, 1))
    written += save_figure(fig, folder / stem)
    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    for r in result.rows[:6]:
        ax.plot(result.years, [scale * v for v in result.by_year[r["parameter"]]], marker="o",
                label=_bar_label(r))  # fmt: skip
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(list(result.years))  # the years measured at (no 1.5 between)
    ax.set_xlabel("years from the start")
    ax.set_ylabel("effect on P(by that year), points" if result.method == "tornado"
                  else "total Sobol index ST, 0-1")  # fmt: skip
    ax.set_title(f"By year: P({result.metric.label}) by the end of each year", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    fig.text(0.01, 0.005, footer, fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    written += save_figure(fig, folder / "by_year")
    return written


def write_sweep(table: pd.DataFrame, keys: list[str], metric, scenario, folder: Path) -> list[Path]:
    """sweep.csv and sweep.png/.svg: a line with its band for one key, a heatmap with the 50%
    contour for two."""
    folder = Path(folder)
    written = [folder / "sweep.csv"]
    atomic_write_text(written[0], table.to_csv(index=False))
    atomic_write_text(
        folder / "sweep.json",
        json.dumps(_stamp(scenario, {"metric": metric.name, "keys": keys}), indent=2) + "\n",
    )
    written.append(folder / "sweep.json")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    if len(keys) == 1:
        k = keys[0]
        ax.fill_between(
            table[k],
            100 * table["ci_low"],
            100 * table["ci_high"],
            alpha=0.25,
            label="95% interval",
        )
        ax.plot(table[k], 100 * table["probability"], marker="o", label="probability")
        ax.set_xlabel(k)
        ax.set_ylabel(f"P({metric.label}) [%]")
        ax.legend(frameon=False)
    else:
        k1, k2 = keys
        x, y = np.sort(table[k1].unique()), np.sort(table[k2].unique())
        grid = table.pivot(index=k2, columns=k1, values="probability").loc[y, x].to_numpy()
        mesh = ax.pcolormesh(x, y, 100 * grid, shading="nearest", cmap="magma_r", vmin=0, vmax=100)
        fig.colorbar(mesh, ax=ax, label=f"P({metric.label}) [%]")
        if grid.min() < 0.5 < grid.max():
            cs = ax.contour(x, y, grid, levels=[0.5], colors="white", linewidths=1.5)
            ax.clabel(cs, fmt={0.5: "50%"}, fontsize=8)
        ax.set_xlabel(k1)
        ax.set_ylabel(k2)
    ax.set_title(f"Sweep: {scenario.name}", fontsize=10)
    fig.tight_layout()
    written += save_figure(fig, folder / "sweep")
    return written


def write_solve(answer: dict, scenario, folder: Path) -> list[Path]:
    path = Path(folder) / "solve.json"
    atomic_write_text(path, json.dumps(_stamp(scenario, answer), indent=2) + "\n")
    return [path]


def crash_inputs_figure(result, metric, stem: Path, formats=("png", "svg")) -> list[Path]:
    """Small multiples: each path-varying input's distribution on paths with and without the event."""
    plt = _pyplot()
    names = result.draw_names
    hits = metric.hits(result)
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), squeeze=False,
                             dpi=SAVE_DPI)  # fmt: skip
    units = {p.name: p.unit for p in PARAMETERS}
    for i, (ax, name) in enumerate(zip(axes.ravel(), names, strict=False)):
        draws = result.draw(name)  # one input at a time: a long run's memory stays small
        bins = np.histogram_bin_edges(draws, bins=30)
        # "without" filled, "with" an outline on top: no blended third colour where they overlap
        ax.hist(draws[~hits], bins=bins, density=True, color=LOWERS, alpha=0.35, lw=0,
                label=f"paths without ({(~hits).sum():,})")  # fmt: skip
        ax.hist(draws[hits], bins=bins, density=True, histtype="step", color=RAISES, lw=1.6,
                label=f"paths with ({hits.sum():,})")  # fmt: skip
        ax.set_title(name, fontsize=9)
        unit = units.get(name, "")
        ax.set_xlabel("no unit" if unit in ("", "-") else unit, fontsize=7.5)
        if i % cols == 0:
            ax.set_ylabel("density\n(share of paths per unit)", fontsize=7.5)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, frameon=False, title=metric.label, title_fontsize=7)
    fig.text(0.01, 0.005, f"{result.paths:,} paths · seed {result.seed} · bubblesim {__version__}",
             fontsize=7, color="0.3")  # fmt: skip
    fig.suptitle(
        f"What the paths with and without a {metric.label} share: {result.scenario.name}",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return save_figure(fig, Path(stem), formats)  # ticks frozen there, after the layout


def sensitivity_terminal_table(result) -> str:
    lines = [
        f"P({result.metric.label}) as written: {result.base_probability:.1%} "
        f"({result.paths:,} paths, seed {result.seed}, method {result.method})",
        "",
    ]
    if getattr(result.metric, "text", None):  # an event: what it asks
        lines.insert(1, f"  {result.metric.event}: {result.metric.text}")
    if result.method == "tornado":
        lines.append(
            f"  {'parameter':<36}{'low':>10}{'high':>10}{'P(low)':>9}{'P(high)':>9}  effect (paired 95%)"
        )
        for r in result.rows:
            lines.append(
                f"  {r['parameter']:<36}{r['low']:>10.4g}{r['high']:>10.4g}{100 * r['p_low']:>8.1f}%"
                f"{100 * r['p_high']:>8.1f}%  {100 * r['effect']:+6.1f} [{100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f}]"
            )
    else:
        n_a = result.paths // (len(result.rows) + 2)
        lines.insert(1, f"  (as written = matrix A of the design: its {n_a:,} paths with every input at an independent "
                        "quantile, [correlations] not imposed; `run` draws them with the correlations, so its "
                        "figure differs by that and by Monte Carlo error)")  # fmt: skip
        lines.append(
            f"  {'parameter':<36}{'S1':>8}  {'95%':<17}{'ST':>8}  95%  (indices: shares, 0-1)"
        )
        for r in result.rows:
            lines.append(
                f"  {r['parameter']:<36}{r['S1']:>8.3f}  [{r['S1_ci'][0]:.3f}, {r['S1_ci'][1]:.3f}]"
                f"{r['ST']:>10.3f}  [{r['ST_ci'][0]:.3f}, {r['ST_ci'][1]:.3f}]"
            )
    return "\n".join(lines)


def solve_terminal_table(answer: dict) -> str:
    edge = (
        " (one end at the bracket: the target's margin is not reached inside it)"
        if answer["ci_at_bracket_end"]
        else ""
    )
    return (
        f"{answer['param']} = {answer['value']:.6g} gives P({answer['metric']}) = {answer['target']:.1%}\n"
        f"  95% interval from the Monte Carlo error: [{answer['ci_low']:.6g}, {answer['ci_high']:.6g}]{edge}\n"
        f"  bracket [{answer['bracket'][0]:g}, {answer['bracket'][1]:g}]: P = "
        f"{answer['probability_at_bracket'][0]:.1%} .. {answer['probability_at_bracket'][1]:.1%}; "
        f"{answer['paths']:,} paths, seed {answer['seed']}, {answer['evaluations']} evaluations"
    )
