"""``bubblesim run`` and ``bubblesim batch``: simulate scenarios and write their folders."""

from __future__ import annotations

from pathlib import Path

import click

from .._phases import phase
from ..analysis.batch import load_batch, run_batch
from ..analysis.result import simulate_with_twins
from ..output.files import output_folder, publish, safe_name
from ..scenario.files import find_scenario_files
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
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@simulation_options
@precision_options
@scheduler_option
@output_options
def run(scenario, paths, seed, workers, quiet, target_ci, max_paths, out, force):
    """Simulate SCENARIO and write its odds, quantiles and fan charts.

    Prints a table of correction odds with 95% intervals and, for the market, the history's base
    rate of the same event (US market 1926-2018, same number of months) and the odds of the same
    paths with the AI channels off. Writes to the output folder:
    summary.json, quantiles.csv, correction_by_date.csv, fan_ai_index.png, fan_market.png,
    crash_inputs.png (when some inputs are distributions) and bubblesim-manifest.json.
    An existing run is never overwritten without --force: with no --out the next free
    numbered folder is used instead. Files appear all at once when the run completes.

    \b
    Examples:
      bubblesim run scenarios/baseline.toml
      bubblesim run scenarios/deepseek_shock.toml -n 50000 -s 42 -o outputs/ds
      bubblesim run scenarios/baseline.toml --out outputs/baseline --force
      bubblesim run scenarios/baseline.toml --target-ci 0.002
      bubblesim run scenarios/baseline.toml -n 1000000 --scheduler tcp://10.0.0.5:8786
    """
    with phase("load"):
        sc = load(scenario).with_overrides(paths=paths, seed=seed)
        target = output_folder(out, Path("outputs") / safe_name(sc.name), force, notice)

    def prepare():  # while the workers simulate: what the files need (pandas, matplotlib)
        from ..output.writers import prepare_outputs

        prepare_outputs([sc])

    width = None
    if target_ci is None:  # the twin beside the scenario, on the same workers
        label = f"simulating {sc.name} and its no-bubble twin"
        with phase("simulate"):
            ((result, twin),) = simulate_with_twins(
                [sc], workers=workers, progress=Progress(label, enabled=not quiet),
                while_waiting=prepare,
            )  # fmt: skip
        from ..history.base_rates import attach_yardstick

        with phase("yardstick"):
            attach_yardstick(result, twin=twin)
    else:
        from ..analysis.precision import simulate_to_precision
        from ..history.base_rates import attach_yardstick

        result, width = simulate_to_precision(
            sc, target_ci, max_paths, workers=workers, note=precision_note(quiet)
        )
        attach_yardstick(
            result, workers=workers, progress=Progress("no-bubble twin", enabled=not quiet)
        )
    from ..output.tables import terminal_table
    from ..output.writers import write_run

    with phase("publish"):  # the files' own phases are timed inside
        publish(
            target,
            force,
            lambda staging: write_run(result, staging, workers=workers),
            "run",
            [(sc.name, sc.sha256)],
        )
    if not quiet:
        click.echo(terminal_table(result))
        if width is not None:
            click.echo(precision_summary(result.paths, width, target_ci))
        click.echo(
            f"\n  wrote {target}/: summary.json, quantiles.csv, correction_by_date.csv, fan_ai_index.png, fan_market.png"
            + (", crash_inputs.png" if result.draw_names else "")
        )


@cli.command()
@click.argument("items", nargs=-1, required=True, metavar="DIR_OR_GLOB...")
@simulation_options
@precision_options
@scheduler_option
@output_options(folder="outputs/batch")
def batch(items, paths, seed, workers, quiet, target_ci, max_paths, out, force):
    """Run every scenario file found in folders, files or glob patterns.

    Each scenario gets its own sub-folder (the files of `bubblesim run`), and the batch folder
    gets batch.csv (one row per scenario and metric), batch_odds.png/.svg and report.html.
    --paths and --seed override every file's own values. A file that fails validation (or whose
    numbers overflow) is reported and skipped; the others still run, and the exit code is 1.

    \b
    Examples:
      bubblesim batch scenarios/
      bubblesim batch "scenarios/*_shock.toml" scenarios/baseline.toml -n 20000 -o outputs/shocks
    """

    def skipped(message: str) -> None:
        click.echo(f"skipped: {message}", err=True)

    def progress(i: int, n: int, sc) -> Progress:
        label = f"[{i}/{n}] {sc.name}"
        if not quiet:
            click.echo(f"{label}: {sc.paths:,} paths, seed {sc.seed}", err=True)
        return Progress(label, enabled=not quiet)

    from ..history.base_rates import attach_yardstick
    from ..output.tables import batch_terminal_table
    from ..output.writers import write_batch

    files, failures = find_scenario_files(items)
    loaded, invalid = load_batch(files, paths=paths, seed=seed, on_skip=skipped)
    failures += invalid
    if not loaded:
        raise BubblesimError(
            "no valid scenario files to run" + (f" ({failures[0]})" if failures else "")
        )
    target = output_folder(out, Path("outputs") / "batch", force, notice)
    done = run_batch(loaded, workers=workers, progress=progress, on_skip=skipped,
                     target_ci=target_ci, max_paths=max_paths, with_twins=True)  # fmt: skip
    for result, twin in zip(done.results, done.twins, strict=True):
        attach_yardstick(result, workers=workers, twin=twin)
    failures += done.failures
    publish(
        target,
        force,
        lambda staging: write_batch(done.results, staging, failures, workers=workers),
        "batch",
        [(r.scenario.name, r.scenario.sha256) for r in done.results],
    )
    if not quiet:
        click.echo(batch_terminal_table(done.results))
        click.echo(
            f"\n  wrote {target}/: batch.csv, batch_odds.png/.svg, report.html and one folder per scenario"
        )
    if failures:
        click.echo(f"{len(failures)} item(s) failed and were skipped; see above", err=True)
        raise click.exceptions.Exit(1)
