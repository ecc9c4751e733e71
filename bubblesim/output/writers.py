"""What a run, a comparison and a batch write: ``summary.json``, CSV tables, figures, ``report.html``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._phases import phase
from .._version import __version__
from ..analysis.estimates import METRIC_FIELDS
from ..analysis.insight import crash_inputs, parse_metric
from ..analysis.result import INDICES, YARDSTICK_FIELDS, SimulationResult
from ..engine.rng import BLOCK_SIZE
from .files import atomic_write_text, safe_name
from .tables import batch_table

__all__ = [
    "summary_dict",
    "correction_by_date",
    "write_run",
    "write_comparison",
    "batch_folder_names",
    "write_batch",
    "prepare_outputs",
]


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
            {
                k: row[k]
                for k in (
                    "name",
                    "index",
                    "threshold",
                    *METRIC_FIELDS,
                    "paths_hit",
                    *YARDSTICK_FIELDS,
                )
                if k in row
            }
            for row in result.metrics()
        ],
        "events": [{k: v for k, v in row.items() if k != "label"} for row in result.events()],
        "yardstick": _yardstick_note(result),
        "crash_inputs": _crash_inputs(result),
        "max_drawdown_quantiles": {i: result.max_drawdown_quantiles(i) for i in INDICES},
        "time_to_correction": {
            i: {f"{t:g}": result.time_to_correction(i, t) for t in sc.thresholds_for(i)}
            for i in INDICES
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
            **({"crash_inputs": "crash_inputs.png"} if result.draw_names else {}),
        },
    }
    return out


def _crash_inputs(result: SimulationResult) -> dict | None:
    """Medians of each path-varying input on paths with and without the headline correction."""
    if not result.draw_names:
        return None
    metric = parse_metric(None, result.scenario)
    return {
        "metric": metric.name,
        "inputs": crash_inputs(result, metric).to_dict(orient="records"),
    }


def _yardstick_note(result: SimulationResult) -> dict | None:
    """What the market metrics' yardstick fields mean (None when the run carries none)."""
    if result.no_bubble is None and result.base_rate is None:
        return None
    return {
        "history_base_rate": "share of all windows of the same number of months in which the US "
        "market (monthly total return 1926-07 to 2018-11, French data library) had the same event",
        "history_window_months": result.horizon_months(),
        "history_ci_low": "95% interval of history_base_rate: 2.5% and 97.5% points over 1,000 "
        "circular block-bootstrap replicates of the monthly returns, blocks as long as the window "
        "(the overlapping windows hold only about history length / window independent ones)",
        "no_bubble_probability": "the same scenario, paths and seed with [market] feedback = false",
        "ai_effect": "probability minus no_bubble_probability, with a paired 95% interval",
    }


def correction_by_date(result: SimulationResult) -> pd.DataFrame:
    """Cumulative P(correction) by date for every index and threshold, in long form."""
    frames = []
    for index in INDICES:
        for thr in result.scenario.thresholds_for(index):
            f = result.cumulative(index, thr)
            f.insert(0, "threshold", thr)
            f.insert(0, "index", index)
            frames.append(f)
    if result.scenario.events:  # the events' rows, named in a column of their own
        for f in frames:
            f.insert(0, "event", "")
        for event in result.scenario.events:
            f = result.event_cumulative(event.name)
            f.insert(0, "threshold", np.nan)
            f.insert(0, "index", event.index or "")
            f.insert(0, "event", event.name)
            frames.append(f)
    table = pd.concat(frames, ignore_index=True)
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    return table


def _run_figures(result: SimulationResult, folder: Path) -> list[tuple[str, object]]:
    """A run's figures as (first file name, drawing function returning the paths written)."""
    from . import plots

    figures = []
    for index, var in INDICES.items():
        path = folder / f"fan_{var}.png"
        figures.append((path.name, lambda path=path, var=var, index=index: [
            plots.save_fan_figure(result, var, path, corrections_for=index)]))  # fmt: skip
    if result.draw_names:

        def inputs():
            from .insight import crash_inputs_figure

            metric = parse_metric(None, result.scenario)
            return crash_inputs_figure(result, metric, folder / "crash_inputs", ("png",))

        figures.append(("crash_inputs.png", inputs))
    return figures


def _fork_available() -> bool:
    import multiprocessing
    import sys

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _draw_in_child(figures) -> None:  # pragma: no cover - runs in a forked process
    import os

    try:
        for _, draw in figures:
            draw()
    except BaseException:
        os._exit(1)
    os._exit(0)


def write_run(result: SimulationResult, folder: Path, workers: int = 1) -> list[Path]:
    """Write a run's files into ``folder`` (normally a staging folder) and return their paths.

    With ``workers`` > 1 (on Linux) forked processes draw the figures after the first, one each,
    while this one writes the tables and draws the first; the files are the same either way (a
    figure a child could not draw is drawn here)."""
    folder = Path(folder)
    figures = _run_figures(result, folder)
    children, later = [], []
    if workers > 1 and len(figures) > 1 and _fork_available():
        import multiprocessing

        later = figures[1:]
        figures = figures[:1]
        fork = multiprocessing.get_context("fork")
        for figure in later:  # each figure in a process of its own: the longest sets the time
            children.append(fork.Process(target=_draw_in_child, args=([figure],)))
            children[-1].start()
    written = []
    summary = folder / "summary.json"
    with phase("summary"):
        atomic_write_text(summary, json.dumps(summary_dict(result), indent=2) + "\n")
    written.append(summary)
    q = folder / "quantiles.csv"
    with phase("quantiles"):
        atomic_write_text(q, result.quantile_table().to_csv(index=False))
    written.append(q)
    c = folder / "correction_by_date.csv"
    with phase("tables"):
        atomic_write_text(c, correction_by_date(result).to_csv(index=False))
    written.append(c)
    with phase("figures"):
        for _, draw in figures:
            written += draw()
        for child, (name, draw) in zip(children, later, strict=True):
            child.join()
            if child.exitcode == 0 and (folder / name).exists():
                written += [folder / name]
            else:  # drawn here after all
                written += draw()
    return written


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
    atomic_write_text(path, table.to_csv(index=False))
    written.append(path)
    doc = {
        "version": __version__,
        "reference": comparison.names[0],
        "paths": comparison.reference.paths,
        "seed": comparison.reference.seed,
        "scenarios": _runs(comparison.results),
        "metrics": table.to_dict(orient="records"),
        "events": comparison.event_table().to_dict(orient="records"),
        "events_not_compared": comparison.events_left_out(),
    }
    path = folder / "comparison.json"
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
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
        events=_comparison_events(comparison),
        notes=(
            "; events not in every scenario, not compared: "
            + ", ".join(comparison.events_left_out())
            if comparison.events_left_out()
            else ""
        ),
    )
    path = folder / "report.html"
    atomic_write_text(path, html)
    written.append(path)
    return written


def _comparison_events(comparison) -> list[dict]:
    """The comparison's event rows with each scenario's own references to others' forecasts."""
    refs = {(r.scenario.name, e.name): [dict(x) for x in e.reference]
            for r in comparison.results for e in r.scenario.events}  # fmt: skip
    return [
        {**row, "reference": refs.get((row["scenario"], row["event"]), []),
         "label": row["label"] + ("" if row["same_definition"] else " (defined differently here)")}
        for row in comparison.event_table().to_dict(orient="records")
    ]  # fmt: skip


def batch_folder_names(results) -> list[str]:
    """One sub-folder name per run of a batch: the scenario's safe name, made unique by ``_``."""
    folders: list[str] = []
    for r in results:
        name = safe_name(r.scenario.name)
        while name in folders:
            name += "_"
        folders.append(name)
    return folders


def write_batch(results, folder: Path, failures: list[str], workers: int = 1) -> list[Path]:
    """Write every run into its own sub-folder, plus ``batch.csv``, the odds chart and ``report.html``."""
    from . import plots
    from .report_html import render_report

    folder = Path(folder)
    folders = batch_folder_names(results)
    written = []
    for r, name in zip(results, folders, strict=True):
        sub = folder / name
        sub.mkdir()
        written += write_run(r, sub, workers=workers)
    table = batch_table(results)
    path = folder / "batch.csv"
    atomic_write_text(path, table.to_csv(index=False))
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
        events=[
            {**e, "scenario": r.scenario.name, "event": e["name"]}
            for r in results
            for e in r.events()
        ],  # fmt: skip
    )
    path = folder / "report.html"
    atomic_write_text(path, html)
    written.append(path)
    return written


def prepare_outputs(scenarios) -> None:
    """What writing the outputs will need, done while workers simulate: matplotlib imported
    (a forked figure process then has it too) and the history's yardstick computed."""
    from ..history.base_rates import prepare_yardstick
    from .plots import _pyplot

    _pyplot()
    for sc in scenarios:
        prepare_yardstick(sc)
