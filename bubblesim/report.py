"""What a run writes: ``summary.json``, CSV tables, the terminal table, and atomic output folders."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ._version import __version__
from .metrics import METRIC_FIELDS
from .rng import BLOCK_SIZE
from .simulate import INDICES, SimulationResult

__all__ = [
    "summary_dict",
    "terminal_table",
    "staged_folder",
    "write_run",
    "safe_name",
    "free_folder",
    "write_comparison",
    "comparison_terminal_table",
    "write_batch",
    "batch_table",
    "batch_terminal_table",
    "OutputExistsError",
]


class OutputExistsError(FileExistsError):
    """The output folder holds an earlier run and ``force`` was not given."""


def safe_name(name: str) -> str:
    """A file-system-safe folder name from a scenario name (no separators, no leading dots)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:80] or "scenario"


def free_folder(base: Path) -> Path:
    """``base`` if it does not exist or is empty, else the first free ``base-2``, ``base-3``, ..."""
    if not base.exists() or (base.is_dir() and not any(base.iterdir())):
        return base
    i = 2
    while True:
        candidate = base.with_name(f"{base.name}-{i}")
        if not candidate.exists():
            return candidate
        i += 1


@contextlib.contextmanager
def staged_folder(target: Path, force: bool = False) -> Iterator[Path]:
    """Write into a hidden temporary folder beside ``target``; publish it by rename on success.

    On any exception (Ctrl-C included) the temporary folder is removed and ``target`` is left as
    it was. An existing, non-empty ``target`` is replaced only with ``force``.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"{target} exists and is not a folder")
    if target.exists() and any(target.iterdir()) and not force:
        raise OutputExistsError(
            f"{target} already holds files; use --force to replace it or --out to pick another folder"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes 0700; a published run is an ordinary folder
    try:
        yield staging
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / "run")
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def summary_dict(result: SimulationResult) -> dict:
    """Everything ``summary.json`` holds (see the README for the schema)."""
    sc = result.scenario
    dates = result.dates
    out = {
        "scenario": sc.name,
        "description": sc.description,
        "scenario_file": sc.path,
        "scenario_sha256": sc.sha256,
        "version": result.version,
        "paths": result.paths,
        "seed": result.seed,
        "block_size": BLOCK_SIZE,
        "steps_per_year": sc.steps_per_year,
        "horizon_years": sc.horizon_years,
        "start": str(dates[0]),
        "end": str(dates[-1]),
        "elapsed_seconds": round(result.elapsed_seconds, 3),
        "metrics": [
            {k: row[k] for k in ("name", "index", "threshold", *METRIC_FIELDS, "paths_hit")}
            for row in result.metrics()
        ],
        "max_drawdown_quantiles": {i: result.max_drawdown_quantiles(i) for i in INDICES},
        "time_to_correction": {
            i: {f"{t:g}": result.time_to_correction(i, t) for t in sc.thresholds} for i in INDICES
        },
        "assumptions": [
            {k: a[k] for k in ("name", "value", "unit", "source", "status")}
            for a in sc.assumptions()
        ],
        "correlations": (
            {
                "variables": list(sc.correlation_variables),
                "matrix": [list(r) for r in sc.correlation_matrix],
            }
            if sc.correlation_variables
            else None
        ),
        "files": {
            "quantiles": "quantiles.csv",
            "correction_by_date": "correction_by_date.csv",
            "fan_ai_index": "fan_ai_index.png",
            "fan_market": "fan_market.png",
        },
    }
    return out


def correction_by_date(result: SimulationResult) -> pd.DataFrame:
    """Cumulative P(correction) by date for every index and threshold, in long form."""
    frames = []
    for index in INDICES:
        for thr in result.scenario.thresholds:
            f = result.cumulative(index, thr)
            f.insert(0, "threshold", thr)
            f.insert(0, "index", index)
            frames.append(f)
    table = pd.concat(frames, ignore_index=True)
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    return table


def write_run(result: SimulationResult, folder: Path) -> list[Path]:
    """Write a run's files into ``folder`` (normally a staging folder) and return their paths."""
    from . import plots

    folder = Path(folder)
    written = []
    summary = folder / "summary.json"
    _atomic_write_text(summary, json.dumps(summary_dict(result), indent=2) + "\n")
    written.append(summary)
    q = folder / "quantiles.csv"
    _atomic_write_text(q, result.quantile_table().to_csv(index=False))
    written.append(q)
    c = folder / "correction_by_date.csv"
    _atomic_write_text(c, correction_by_date(result).to_csv(index=False))
    written.append(c)
    for index, var in INDICES.items():
        path = folder / f"fan_{var}.png"
        plots.save_fan_figure(result, var, path, corrections_for=index)
        written.append(path)
    return written


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def terminal_table(result: SimulationResult) -> str:
    """The headline odds as a plain-text table."""
    sc = result.scenario
    dates = result.dates
    lines = [
        f"{sc.name}: {result.paths:,} paths, seed {result.seed}, "
        f"{str(dates[0])[:7]} to {str(dates[-1])[:7]} ({sc.steps_per_year} steps/year), "
        f"{result.elapsed_seconds:.1f} s",
        "",
        f"  {'index':<8}{'event':<30}{'probability':>12}  {'95% interval':<17}{'s.e.':>7}",
    ]
    names = {"ai": "AI", "market": "market"}
    for row in result.metrics():
        event = (
            "drawdown >= " if row["name"] == "drawdown" else "fall below start >= "
        ) + f"{row['threshold']:.0%}"
        lines.append(
            f"  {names[row['index']]:<8}{event:<30}{_pct(row['probability']):>12}  "
            f"[{_pct(row['ci_low'])}, {_pct(row['ci_high'])}]{100 * row['std_error']:6.2f}%"
        )
    mdd = result.max_drawdown_quantiles("market")
    mdd_ai = result.max_drawdown_quantiles("ai")
    lines += [
        "",
        f"  median largest drawdown: AI {mdd_ai['q50']:.0%}, market {mdd['q50']:.0%}",
    ]
    return "\n".join(lines)


def _runs(results) -> list[dict]:
    return [
        {
            "name": r.scenario.name,
            "file": r.scenario.path,
            "paths": r.paths,
            "seed": r.seed,
            "sha256": r.scenario.sha256,
            "description": r.scenario.description,
        }
        for r in results
    ]


def write_comparison(comparison, folder: Path) -> list[Path]:
    """Write ``comparison.csv``, ``comparison.json``, the figures (PNG and SVG) and ``report.html``."""
    from . import plots
    from .report_html import render_report

    folder = Path(folder)
    table = comparison.table()
    written = []
    path = folder / "comparison.csv"
    _atomic_write_text(path, table.to_csv(index=False))
    written.append(path)
    doc = {
        "version": __version__,
        "reference": comparison.names[0],
        "paths": comparison.reference.paths,
        "seed": comparison.reference.seed,
        "scenarios": _runs(comparison.results),
        "metrics": table.to_dict(orient="records"),
    }
    path = folder / "comparison.json"
    _atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
    written.append(path)
    figures = plots.comparison_figures(comparison, folder)
    written += figures
    captions = {
        "compare_odds": "P(drawdown) per scenario with 95% intervals",
        "compare_cumulative": "Cumulative probability of a correction by date, with 95% bands",
        "compare_fan_ai_index": "AI index: median, 25-75% and 5-95% bands per scenario",
        "compare_fan_market": "Broad market: median, 25-75% and 5-95% bands per scenario",
    }
    html = render_report(
        title="bubblesim comparison: " + " vs ".join(comparison.names),
        scenarios=[r.scenario for r in comparison.results],
        runs=_runs(comparison.results),
        odds=table,
        figures=[(folder / f"{stem}.png", cap) for stem, cap in captions.items()],
        with_difference=len(comparison.results) > 1,
    )
    path = folder / "report.html"
    _atomic_write_text(path, html)
    written.append(path)
    return written


def comparison_terminal_table(comparison) -> str:
    """Odds per scenario and the paired difference to the reference, as plain text."""
    table = comparison.table()
    names = comparison.names
    width = max(12, *(len(n) for n in names))
    ref = comparison.reference
    lines = [
        f"{len(names)} scenarios on common random numbers: {ref.paths:,} paths, seed {ref.seed}; "
        f"reference {names[0]}",
        "",
        f"  {'index':<7}{'event':<24}{'scenario':<{width + 2}}{'probability':>11}  {'95% interval':<17}"
        f"{'difference':>11}  {'paired 95%':<17}",
    ]
    for (name, index, thr), sub in table.groupby(["name", "index", "threshold"], sort=False):
        event = ("drawdown >= " if name == "drawdown" else "below start >= ") + f"{thr:.0%}"
        for _, r in sub.iterrows():
            diff = "" if r["scenario"] == names[0] else f"{100 * r['difference']:+9.1f} pts"
            ci = (
                ""
                if r["scenario"] == names[0]
                else f"[{100 * r['difference_ci_low']:+.1f}, {100 * r['difference_ci_high']:+.1f}]"
            )
            lines.append(
                f"  {('AI' if index == 'ai' else 'market'):<7}{event:<24}{r['scenario']:<{width + 2}}"
                f"{_pct(r['probability']):>11}  [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]{diff:>15}  {ci}"
            )
        lines.append("")
    if not all(comparison.paired(r) for r in comparison.results):
        lines.append(
            "  note: some scenarios differ in time grid; their differences use independent intervals"
        )
    return "\n".join(lines).rstrip()


def batch_table(results) -> pd.DataFrame:
    """One row per scenario and metric."""
    rows = []
    for r in results:
        for m in r.metrics():
            rows.append(
                {
                    "scenario": r.scenario.name,
                    "file": r.scenario.path,
                    "paths": r.paths,
                    "seed": r.seed,
                    "scenario_sha256": r.scenario.sha256,
                    **{k: m[k] for k in ("name", "index", "threshold", *METRIC_FIELDS)},
                }
            )
    return pd.DataFrame(rows)


def batch_terminal_table(results) -> str:
    """The headline odds of every scenario of a batch, one line each (the largest threshold)."""
    lines = [
        f"\n  {'scenario':<24}{'AI drawdown':>16}{'market drawdown':>18}{'market below start':>21}"
    ]
    for r in results:
        t = max(r.scenario.thresholds)
        cells = [
            f"{_pct(r.estimate('ai', t).probability)} (>={t:.0%})",
            f"{_pct(r.estimate('market', t).probability)} (>={t:.0%})",
            f"{_pct(r.estimate('market', t, 'fall').probability)} (>={t:.0%})",
        ]
        lines.append(f"  {r.scenario.name:<24}{cells[0]:>16}{cells[1]:>18}{cells[2]:>21}")
    return "\n".join(lines)


def write_batch(results, folders: list[str], folder: Path, failures: list[str]) -> list[Path]:
    """Write every run into its own sub-folder, plus ``batch.csv``, the odds chart and ``report.html``."""
    from . import plots
    from .report_html import render_report

    folder = Path(folder)
    written = []
    for r, name in zip(results, folders, strict=True):
        sub = folder / name
        sub.mkdir()
        written += write_run(r, sub)
    table = batch_table(results)
    path = folder / "batch.csv"
    _atomic_write_text(path, table.to_csv(index=False))
    written.append(path)
    pyplot = plots._pyplot()
    fig, axes = pyplot.subplots(1, 2, figsize=(11, 1.8 + 0.9 * len(results)), sharey=True)
    for ax, index in zip(axes, ("ai", "market"), strict=True):
        sub = table[(table["index"] == index) & (table["name"] == "drawdown")]
        plots.plot_odds(
            sub, ax=ax, title=f"{'AI index' if index == 'ai' else 'Broad market'}: P(drawdown)"
        )
    fig.tight_layout()
    written += plots.save_figure(fig, folder / "batch_odds")
    notes = f"; {len(failures)} file(s) skipped: " + "; ".join(failures) if failures else ""
    html = render_report(
        title=f"bubblesim batch: {len(results)} scenarios",
        scenarios=[r.scenario for r in results],
        runs=_runs(results),
        odds=table,
        figures=[(folder / "batch_odds.png", "P(drawdown) per scenario with 95% intervals")]
        + [(folder / n / "fan_market.png", f"{n}: broad market") for n in folders],
        with_difference=False,
        notes=notes,
    )
    path = folder / "report.html"
    _atomic_write_text(path, html)
    written.append(path)
    return written
