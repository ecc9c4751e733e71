"""``bubblesim compare``: scenarios side by side on common random numbers."""

from __future__ import annotations

from pathlib import Path

import click

from ..analysis.compare import Comparison
from ..analysis.precision import compare_to_precision
from ..analysis.result import simulate_with_twins
from ..history.base_rates import attach_yardstick
from ..output.files import output_folder, publish
from ..output.tables import comparison_terminal_table
from ..output.writers import prepare_outputs, write_comparison
from .base import (
    BubblesimError,
    Progress,
    cli,
    load,
    notice,
    output_options,
    simulation_options,
)
from .precision import precision_note, precision_options, precision_summary, scheduler_option


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=str))
@simulation_options
@precision_options
@scheduler_option
@output_options(folder="outputs/compare")
def compare(scenarios, paths, seed, workers, quiet, target_ci, max_paths, out, force):
    """Run SCENARIOS side by side on common random numbers; the first is the reference.

    Every scenario is simulated with the same paths and seed (by default the first file's), so
    path i sees the same shocks in each and the difference to the reference is measured path by
    path, with a paired 95% interval far narrower than that of independent runs.

    Writes comparison.csv, comparison.json, report.html and figures (PNG and SVG): overlaid fans
    of the AI index and the market, cumulative odds by date, and odds per scenario.

    \b
    Examples:
      bubblesim compare scenarios/baseline.toml scenarios/deepseek_shock.toml scenarios/soft_landing.toml
      bubblesim compare scenarios/baseline.toml scenarios/funding_crunch.toml -n 50000 -o outputs/crunch
    """
    loaded = [load(p) for p in scenarios]
    seen: dict[str, str] = {}
    for path, sc in zip(scenarios, loaded, strict=True):
        if sc.name in seen:  # the tables and figures are keyed by name
            raise BubblesimError(
                f"{path}: scenario.name: {sc.name!r} is also the name of {seen[sc.name]}; "
                "compare needs a different [scenario] name for each"
            )
        seen[sc.name] = path
    first = loaded[0].with_overrides(paths=paths, seed=seed)
    target = output_folder(out, Path("outputs") / "compare", force, notice)

    width = None
    twins = [None] * len(loaded)
    if target_ci is None:  # every scenario and its twin side by side on the same workers
        pairs = simulate_with_twins(
            loaded, paths=first.paths, seed=first.seed, workers=workers,
            progress=Progress(f"simulating {len(loaded)} scenarios and their no-bubble twins",
                              enabled=not quiet),
            while_waiting=lambda: prepare_outputs(loaded),
        )  # fmt: skip
        comparison = Comparison([result for result, _ in pairs])
        twins = [twin for _, twin in pairs]
    else:
        loaded[0] = first
        comparison, width = compare_to_precision(
            loaded, target_ci, max_paths, seed=first.seed, workers=workers,
            note=precision_note(quiet),
        )  # fmt: skip
    for result, twin in zip(comparison.results, twins, strict=True):
        attach_yardstick(result, workers=workers, twin=twin)
        if twin is None and not quiet:
            click.echo(f"no-bubble twin of {result.scenario.name}: done", err=True)
    publish(
        target,
        force,
        lambda staging: write_comparison(comparison, staging),
        "compare",
        [(r.scenario.name, r.scenario.sha256) for r in comparison.results],
    )
    if not quiet:
        click.echo(comparison_terminal_table(comparison))
        if width is not None:
            click.echo(precision_summary(comparison.reference.paths, width, target_ci))
        click.echo(
            f"\n  wrote {target}/: comparison.csv, comparison.json, report.html, compare_*.png/.svg"
        )
