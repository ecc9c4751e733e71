"""``bubblesim sensitivity``, ``sweep`` and ``solve``: which assumption carries the odds."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ..analysis.insight import parse_metric, solve, sweep
from ..analysis.insight import sobol as run_sobol
from ..analysis.insight import tornado as run_tornado
from ..output.files import output_folder, publish, safe_name
from ..output.insight import (
    sensitivity_terminal_table,
    solve_terminal_table,
    write_sensitivity,
    write_solve,
    write_sweep,
)
from .base import BubblesimError, cli, load, notice, output_options, simulation_options

metric_option = click.option(
    "--metric",
    "-m",
    default=None,
    help="INDEX.KIND.THRESHOLD, e.g. market.drawdown.0.2 or ai.fall_below_start.0.5, or "
    "event:NAME for one of the scenario's [[events]] "
    "[default: market drawdown at the scenario's largest threshold].",
)


def _steps(label: str, quiet: bool):
    def report(done: int, total: int, what: str) -> None:
        if not quiet:
            count = f"[{done}/{total}] " if total else f"[{done}] "
            click.echo(f"{label} {count}{what}", err=True)

    return report


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--method", type=click.Choice(["tornado", "sobol"]), default="tornado", show_default=True
)
@metric_option
@click.option(
    "--all-guesses", is_flag=True, help="Also move every scalar marked guess in the schema."
)
@click.option("--factor-range", nargs=2, type=click.FloatRange(0, min_open=True), default=(0.5, 2.0),
              show_default=True, help="With --all-guesses: the two factors a guess is moved by.")  # fmt: skip
@click.option("--base-samples", type=click.IntRange(16, 1_000_000), default=4096, show_default=True,
              help="Sobol: base samples N of Saltelli's design (N x (inputs + 2) paths; rounded up to a power of 2).")  # fmt: skip
@simulation_options
@output_options(folder="outputs/<name>-sensitivity")
def sensitivity(scenario, method, metric, all_guesses, factor_range, base_samples, paths, seed, workers, quiet, out, force):  # fmt: skip
    """Rank the assumptions of SCENARIO by how much they move one probability.

    tornado: each distribution-valued input at its 10th and 90th percentile, the others as
    written, on common random numbers; the swing with a paired 95% interval, by size. With
    --all-guesses every scalar marked guess is also moved by --factor-range. sobol: first-order
    and total Sobol indices with bootstrap intervals (scipy.stats.sobol_indices).
    Also ranks them by year. Writes sensitivity.json, sensitivity.csv, tornado.png or sobol.png
    and by_year.png (each also as SVG).

    \b
    Examples:
      bubblesim sensitivity scenarios/baseline.toml
      bubblesim sensitivity scenarios/baseline.toml --all-guesses -m market.drawdown.0.2
      bubblesim sensitivity scenarios/baseline.toml --method sobol --base-samples 8192
    """
    sc = load(scenario).with_overrides(paths=paths, seed=seed)
    chosen = parse_metric(metric, sc)
    target = output_folder(
        out, Path("outputs") / f"{safe_name(sc.name)}-sensitivity", force, notice
    )
    report = _steps(f"{method}:", quiet)
    if method == "tornado":
        result = run_tornado(sc, chosen, paths=sc.paths, seed=sc.seed, all_guesses=all_guesses,
                             factors=tuple(factor_range), workers=workers, progress=report)  # fmt: skip
    else:
        result = run_sobol(sc, chosen, base_samples=base_samples, seed=sc.seed, workers=workers,
                           progress=report)  # fmt: skip
    publish(target, force, lambda staging: write_sensitivity(result, sc, staging), "sensitivity",
            [(sc.name, sc.sha256)])  # fmt: skip
    if not quiet:
        click.echo(sensitivity_terminal_table(result))
        click.echo(
            f"\n  wrote {target}/: sensitivity.json, sensitivity.csv, {method}.png/.svg, by_year.png/.svg"
        )


def _grid(spec: str) -> tuple[str, float, float, int]:
    m = re.fullmatch(r"([a-z_]+\.[a-z_0-9]+)=([^:]+):([^:]+):(\d+)", spec.strip())
    if not m:
        raise BubblesimError(
            f"--param {spec!r}: expected KEY=START:STOP:N, e.g. llm_price.annual_decay=5:40:8"
        )
    try:
        start, stop = float(m.group(2)), float(m.group(3))
    except ValueError:
        raise BubblesimError(f"--param {spec!r}: START and STOP must be numbers") from None
    n = int(m.group(4))
    if not 2 <= n <= 200:
        raise BubblesimError(f"--param {spec!r}: N must be between 2 and 200")
    return m.group(1), start, stop, n


@cli.command("sweep")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=str))
@click.option("--param", "params", multiple=True, required=True, metavar="KEY=START:STOP:N",
              help="A scalar key and its grid; give it once or twice.")  # fmt: skip
@metric_option
@simulation_options
@output_options(folder="outputs/<name>-sweep")
def sweep_command(scenario, params, metric, paths, seed, workers, quiet, out, force):
    """The probability, with its interval, over a grid of one or two assumptions.

    Every grid point runs on the same paths and seed (common random numbers). Writes sweep.csv
    (one column per swept key, then probability, ci_low, ci_high) and sweep.png/.svg: a line
    with its band for one key, a heatmap with the 50% contour for two.

    \b
    Examples:
      bubblesim sweep scenarios/baseline.toml --param llm_price.annual_decay=2:40:9
      bubblesim sweep scenarios/baseline.toml --param cash_burn.burn_scale=0.5:3:6 \\
          --param capex.plan_scale=0.5:2:6 -m market.drawdown.0.2 -n 4000
    """
    if len(params) > 2:
        raise BubblesimError("--param: give one or two keys")
    grid = [_grid(p) for p in params]
    sc = load(scenario).with_overrides(paths=paths, seed=seed)
    chosen = parse_metric(metric, sc)
    target = output_folder(out, Path("outputs") / f"{safe_name(sc.name)}-sweep", force, notice)
    table = sweep(sc, grid, chosen, paths=sc.paths, seed=sc.seed, workers=workers,
                  progress=_steps("sweep:", quiet))  # fmt: skip
    keys = [g[0] for g in grid]
    publish(target, force, lambda staging: write_sweep(table, keys, chosen, sc, staging), "sweep",
            [(sc.name, sc.sha256)])  # fmt: skip
    if not quiet:
        click.echo(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        click.echo(f"\n  wrote {target}/: sweep.csv, sweep.json, sweep.png/.svg")


@cli.command("solve")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--param", "key", required=True, metavar="KEY", help="The scalar assumption to solve for."
)
@click.option("--target", type=click.FloatRange(0, 1, min_open=True, max_open=True), required=True,
              help="The probability to reach, e.g. 0.5.")  # fmt: skip
@metric_option
@click.option("--bracket", nargs=2, type=float, default=None, metavar="LO HI",
              help="Search range [default: the value /10 to x10, inside the key's range].")  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@simulation_options
@output_options(folder="outputs/<name>-solve")
def solve_command(scenario, key, target, metric, bracket, fmt, paths, seed, workers, quiet, out, force):  # fmt: skip
    """The value of one assumption at which the probability reaches a target (a reverse stress test).

    Brent's method on common random numbers; the interval holds every value at which the
    estimated probability is within its Monte Carlo margin (1.96 standard errors) of the target.
    A target not reached inside the bracket is a one-line error (exit 2). Writes solve.json.

    \b
    Examples:
      bubblesim solve scenarios/baseline.toml --param llm_price.annual_decay --target 0.5
      bubblesim solve scenarios/baseline.toml --param cash_burn.burn_scale --target 0.75 \\
          -m market.drawdown.0.2 --bracket 0 5 --format json
    """
    import json

    sc = load(scenario).with_overrides(paths=paths, seed=seed)
    chosen = parse_metric(metric, sc)
    out_dir = output_folder(out, Path("outputs") / f"{safe_name(sc.name)}-solve", force, notice)
    answer = solve(sc, key, target, chosen, paths=sc.paths, seed=sc.seed,
                   bracket=tuple(bracket) if bracket else None, workers=workers,
                   progress=_steps("solve:", quiet or fmt == "json"))  # fmt: skip
    publish(out_dir, force, lambda staging: write_solve(answer, sc, staging), "solve",
            [(sc.name, sc.sha256)])  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(answer))
    elif not quiet:
        click.echo(solve_terminal_table(answer))
        click.echo(f"\n  wrote {out_dir}/solve.json")
