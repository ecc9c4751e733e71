"""The ``bubblesim`` command line: a thin layer over the Python API.

Every error a user can cause (a bad scenario, a bad option, an existing output folder) is one line
on stderr and exit code 2; Ctrl-C exits 130 and leaves no partial output.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import click

from ._version import __version__
from .scenario import ScenarioError, load_scenario
from .schema import MAX_PATHS, PARAMETERS

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class BubblesimError(click.ClickException):
    """A user error: printed as one line, exit code 2."""

    exit_code = EXIT_USAGE


class BubblesimGroup(click.Group):
    """A click group whose errors are one line, never a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name or "bubblesim",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.UsageError as exc:
            hint = ""
            if exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            click.echo(f"Error: {exc.format_message()}{hint}", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except ScenarioError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo("\nInterrupted: stopped cleanly; nothing was written.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


class Progress:
    """A progress bar on stderr that appears only once a run has lasted about a second."""

    def __init__(self, label: str, enabled: bool = True, delay: float = 1.0):
        self.label = label
        self.enabled = enabled
        self.delay = delay
        self.start = time.perf_counter()
        self.shown = False
        self.last_tenth = -1
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        if not self.shown and elapsed < self.delay and done < total:
            return
        if not self.shown and done >= total and elapsed < self.delay:
            return
        self.shown = True
        frac = done / total
        if self.tty:
            bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
            click.echo(
                f"\r{self.label} [{bar}] {frac:4.0%} {done:,}/{total:,} paths {elapsed:5.1f} s",
                nl=False,
                err=True,
            )
            if done >= total:
                click.echo("", err=True)
        else:
            tenth = int(10 * frac)
            if tenth > self.last_tenth:
                self.last_tenth = tenth
                click.echo(
                    f"{self.label}: {frac:.0%} ({done:,}/{total:,} paths, {elapsed:.1f} s)",
                    err=True,
                )


def _load(path: str):
    try:
        return load_scenario(path)
    except ScenarioError:
        raise
    except OSError as exc:  # pragma: no cover - unusual file-system errors
        raise BubblesimError(f"{path}: cannot be read ({exc.strerror})") from None


def simulation_options(f):
    """The options shared by every command that simulates."""

    @click.option(
        "--paths",
        "-n",
        type=click.IntRange(1, MAX_PATHS),
        default=None,
        help="Number of paths (overrides [simulation] paths).",
    )
    @click.option(
        "--seed",
        "-s",
        type=click.IntRange(0, 2**63 - 1),
        default=None,
        help="Random seed (overrides [simulation] seed).",
    )
    @click.option(
        "--workers",
        "-j",
        type=click.IntRange(1, 256),
        default=1,
        show_default=True,
        help="Processes to use; results do not depend on it.",
    )
    @click.option("--quiet", "-q", is_flag=True, help="Print no table and no progress.")
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


def _output_folder(out: Path | None, default: Path, force: bool) -> Path:
    """The folder a command writes: ``--out``, or ``default`` (the next free ``default-N`` unless --force).

    Checked before any work is done: an existing folder holding files is refused without --force.
    """
    from .report import free_folder

    target = out if out is not None else (default if force else free_folder(default))
    if target.exists() and not target.is_dir():
        raise BubblesimError(f"--out: {target} exists and is not a folder")
    if target.exists() and any(target.iterdir()) and not force:
        raise BubblesimError(
            f"--out: {target} already holds files; use --force to replace it or choose another --out"
        )
    return target


def _publish(target: Path, force: bool, write) -> None:
    """Run ``write(staging_folder)`` and move the folder into place in one rename."""
    from .report import OutputExistsError, staged_folder

    try:
        with staged_folder(target, force=force) as staging:
            write(staging)
    except OutputExistsError as exc:
        raise BubblesimError(str(exc)) from None


def output_options(f):
    """--out and --force."""

    @click.option(
        "--out",
        "-o",
        type=click.Path(path_type=Path),
        default=None,
        help="Output folder [default: outputs/<name>, or the next free outputs/<name>-N].",
    )
    @click.option(
        "--force", is_flag=True, help="Replace the output folder if it already holds files."
    )
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


column_option = click.option(
    "--column",
    "-c",
    default=None,
    help="Column holding the closing price [default: found by name].",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)


@click.group(cls=BubblesimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bubblesim")
def cli():
    """bubblesim: Monte Carlo odds on the AI-bubble debate.

    Scenario files (TOML) set GPU demand growth, LLM price decay, lab cash burn, the capex path
    and the market's structure; bubblesim simulates them and reports the odds of a correction in
    AI stocks and in the broad market, with their Monte Carlo error.

    \b
    Examples:
      bubblesim run scenarios/baseline.toml
      bubblesim run scenarios/baseline.toml --paths 100000 --seed 7 --out outputs/big
      bubblesim compare scenarios/baseline.toml scenarios/deepseek_shock.toml
      bubblesim batch scenarios/
      bubblesim fan outputs/baseline --variable ai_revenue
      bubblesim drawdowns nasdaq.csv --threshold 0.2
      bubblesim calibrate nasdaq.csv --out scenarios/nasdaq_fit.toml
      bubblesim backtest sp500.csv --window 1y --threshold 0.1 0.2
      bubblesim validate scenarios/*.toml
    """


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@simulation_options
@output_options
def run(scenario, paths, seed, workers, quiet, out, force):
    """Simulate SCENARIO and write its odds, quantiles and fan charts.

    Prints a table of correction odds with 95% intervals and writes to the output folder:
    summary.json, quantiles.csv, correction_by_date.csv, fan_ai_index.png, fan_market.png.
    An existing run is never overwritten without --force: with no --out the next free
    numbered folder is used instead. Files appear all at once when the run completes.

    \b
    Examples:
      bubblesim run scenarios/baseline.toml
      bubblesim run scenarios/deepseek_shock.toml -n 50000 -s 42 -o outputs/ds
      bubblesim run scenarios/baseline.toml --out outputs/baseline --force
    """
    from .report import (
        safe_name,
        terminal_table,
        write_run,
    )
    from .simulate import simulate

    sc = _load(scenario)
    sc = sc.with_overrides(paths=paths, seed=seed)
    target = _output_folder(out, Path("outputs") / safe_name(sc.name), force)
    progress = Progress(f"simulating {sc.name}", enabled=not quiet)
    result = simulate(sc, workers=workers, progress=progress)
    _publish(target, force, lambda staging: write_run(result, staging))
    if not quiet:
        click.echo(terminal_table(result))
        click.echo(
            f"\n  wrote {target}/: summary.json, quantiles.csv, correction_by_date.csv, fan_ai_index.png, fan_market.png"
        )


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--brief", is_flag=True, help="One line per file, no parameter listing.")
def validate(scenarios, brief):
    """Check scenario files and print their resolved parameters; runs nothing.

    Exit code 0 when every file is valid, 2 when any is not (each error on one line).

    \b
    Examples:
      bubblesim validate scenarios/*.toml
      bubblesim validate --brief scenarios/baseline.toml
    """
    failed = 0
    for path in scenarios:
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            failed += 1
            click.echo(f"FAIL  {exc}", err=True)
            continue
        click.echo(f"ok    {path}  ({sc.name}, {sc.n_steps} steps, sha256 {sc.sha256[:12]})")
        if brief:
            continue
        width = max(len(p.name) for p in PARAMETERS)
        for a in sc.assumptions():
            click.echo(f"      {a['name']:<{width}}  {a['text']}  [{a['unit']}]")
        if sc.correlation_variables:
            click.echo(
                f"      correlations: {', '.join(sc.correlation_variables)}: {list(map(list, sc.correlation_matrix))}"
            )
    if failed:
        raise BubblesimError(f"{failed} of {len(scenarios)} scenario files are invalid")


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=str))
@simulation_options
@output_options
def compare(scenarios, paths, seed, workers, quiet, out, force):
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
    from .compare import compare as run_compare
    from .report import comparison_terminal_table, write_comparison

    loaded = [_load(p) for p in scenarios]
    first = loaded[0].with_overrides(paths=paths, seed=seed)
    target = _output_folder(out, Path("outputs") / "compare", force)

    def progress(done, total, name):
        if not quiet:
            click.echo(f"[{done}/{total}] {name}: done", err=True)

    comparison = run_compare(
        loaded, paths=first.paths, seed=first.seed, workers=workers, progress=progress
    )
    _publish(target, force, lambda staging: write_comparison(comparison, staging))
    if not quiet:
        click.echo(comparison_terminal_table(comparison))
        click.echo(
            f"\n  wrote {target}/: comparison.csv, comparison.json, report.html, compare_*.png/.svg"
        )


def _scenario_files(items: tuple[str, ...]) -> tuple[list[Path], list[str]]:
    """Expand folders (their *.toml) and glob patterns; return files and problems."""
    import glob

    files: list[Path] = []
    problems: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(p.glob("*.toml"))
            if not found:
                problems.append(f"{item}: no .toml files in this folder")
            files += found
        elif p.exists():
            files.append(p)
        else:
            found = sorted(Path(x) for x in glob.glob(item))
            if not found:
                problems.append(f"{item}: no such file, and no files match it as a pattern")
            files += [f for f in found if f.is_file()]
    unique = list(dict.fromkeys(files))
    return unique, problems


@cli.command()
@click.argument("items", nargs=-1, required=True, metavar="DIR_OR_GLOB...")
@simulation_options
@output_options
def batch(items, paths, seed, workers, quiet, out, force):
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
    from .report import batch_terminal_table, safe_name, write_batch
    from .simulate import simulate

    files, failures = _scenario_files(items)
    loaded = []
    for f in files:
        try:
            loaded.append(load_scenario(f).with_overrides(paths=paths, seed=seed))
        except ScenarioError as exc:
            failures.append(str(exc))
            click.echo(f"skipped: {exc}", err=True)
    if not loaded:
        raise BubblesimError(
            "no valid scenario files to run" + (f" ({failures[0]})" if failures else "")
        )
    target = _output_folder(out, Path("outputs") / "batch", force)
    results, folders = [], []
    for i, sc in enumerate(loaded, 1):
        label = f"[{i}/{len(loaded)}] {sc.name}"
        if not quiet:
            click.echo(f"{label}: {sc.paths:,} paths, seed {sc.seed}", err=True)
        try:
            result = simulate(sc, workers=workers, progress=Progress(label, enabled=not quiet))
        except ScenarioError as exc:
            failures.append(str(exc))
            click.echo(f"skipped: {exc}", err=True)
            continue
        results.append(result)
        name = safe_name(sc.name)
        while name in folders:
            name += "_"
        folders.append(name)
    if not results:
        raise BubblesimError("every scenario failed; nothing written")
    _publish(target, force, lambda staging: write_batch(results, folders, staging, failures))
    if not quiet:
        click.echo(batch_terminal_table(results))
        click.echo(
            f"\n  wrote {target}/: batch.csv, batch_odds.png/.svg, report.html and one folder per scenario"
        )
    if failures:
        click.echo(f"{len(failures)} item(s) failed and were skipped; see above", err=True)
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("result_dir", type=click.Path(path_type=Path))
@click.option("--variable", "-v", required=True, help="State variable to draw (see quantiles.csv).")
@click.option(
    "--log/--no-log", default=None, help="Log scale on y [default: log for revenue, demand, price]."
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Figure file, .png or .svg [default: RESULT_DIR/fan_<variable>.png].",
)
def fan(result_dir, variable, log, out):
    """Redraw the fan chart of any state variable from a finished run, without simulating.

    Reads RESULT_DIR/quantiles.csv (and summary.json and correction_by_date.csv for the caption
    and, for ai_index and market, the correction strip). The figure file is replaced if it exists.

    \b
    Examples:
      bubblesim fan outputs/baseline --variable ai_revenue
      bubblesim fan outputs/baseline -v coverage --log -o coverage.svg
    """
    from .fanfile import draw_fan_from_folder

    try:
        path = draw_fan_from_folder(result_dir, variable, log=log, out=out)
    except (FileNotFoundError, ValueError) as exc:
        raise BubblesimError(str(exc)) from None
    click.echo(f"wrote {path}")


@cli.command()
@click.argument("prices", type=click.Path(path_type=Path))
@click.option(
    "--threshold",
    "-t",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.2,
    show_default=True,
    help="Smallest fall from a running peak to list (0.2 = 20%).",
)
@column_option
@format_option
def drawdowns(prices, threshold, column, fmt):
    """List every fall from a running peak in PRICES.csv that reached the threshold.

    PRICES.csv holds dates and closing prices, e.g. a Yahoo Finance export
    (Date,Open,High,Low,Close,Adj Close,Volume), FRED (observation_date,SP500) or Stooq. The date
    and close columns are found by name (Close before Adj Close); --column picks another.
    Columns of the result: peak_date, peak, trough_date, trough, depth (a negative fraction),
    recovery_date (first close back at or above the peak; empty if none).

    \b
    Examples:
      bubblesim drawdowns nasdaq.csv
      bubblesim drawdowns sp500.csv --threshold 0.1 --format csv > sp500_corrections.csv
      bubblesim drawdowns fred_sp500.csv --column SP500 --format json
    """
    from .history import PriceFileError, find_drawdowns, read_prices

    try:
        series = read_prices(prices, column=column)
    except PriceFileError as exc:
        raise BubblesimError(str(exc)) from None
    table = find_drawdowns(series, threshold)
    if fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(table.to_json(orient="records", indent=2))
    else:
        first, last = series.index[0], series.index[-1]
        click.echo(
            f"{prices}: {len(series):,} closes ({series.name}), {first:%Y-%m-%d} to {last:%Y-%m-%d}; "
            f"{len(table)} drawdown(s) of {threshold:.0%} or more"
        )
        if len(table):
            click.echo(
                f"\n  {'peak_date':<12}{'peak':>12}  {'trough_date':<12}{'trough':>12}{'depth':>9}  recovery_date"
            )
            for r in table.itertuples(index=False):
                click.echo(
                    f"  {r.peak_date:<12}{r.peak:>12,.2f}  {r.trough_date:<12}{r.trough:>12,.2f}"
                    f"{100 * r.depth:>8.1f}%  {r.recovery_date or '(not yet)'}"
                )


def _read_prices(prices: Path, column: str | None):
    from .history import PriceFileError, read_prices

    try:
        return read_prices(prices, column=column)
    except PriceFileError as exc:
        raise BubblesimError(str(exc)) from None


FREQUENCY = click.Choice(["auto", "daily", "weekly", "monthly"])


@cli.command()
@click.argument("prices", type=click.Path(path_type=Path))
@click.option(
    "--frequency",
    "-f",
    type=FREQUENCY,
    default="auto",
    show_default=True,
    help="Return frequency to fit (auto: from the spacing of the dates).",
)
@column_option
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the scenario fragment here (.toml) [default: print it].",
)
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def calibrate(prices, frequency, column, out, force):
    """Fit the market block to PRICES.csv: a Merton jump-diffusion by maximum likelihood.

    Prints drift, volatility, jump intensity and jump-size distribution with standard errors,
    and the log-likelihood against plain GBM; writes a scenario fragment (TOML) that a scenario
    can `extends`, with the fitted values, standard errors and the data's date range as sources.

    \b
    Examples:
      bubblesim calibrate nasdaq.csv --frequency daily --out scenarios/nasdaq_fit.toml
      bubblesim calibrate sp500_monthly.csv
    """
    from .calibrate import fit_merton, scenario_fragment

    if out is not None and out.exists() and not force:
        raise BubblesimError(f"--out: {out} exists; use --force to replace it")
    if out is not None and out.suffix.lower() != ".toml":
        raise BubblesimError(f"--out: {out}: expected a .toml file name")
    series = _read_prices(prices, column)
    try:
        fit = fit_merton(series, None if frequency == "auto" else frequency)
    except ValueError as exc:
        raise BubblesimError(f"{prices}: {exc}") from None
    fragment = scenario_fragment(fit, Path(prices).name)
    p, se = fit.params, fit.std_errors
    kappa, kappa_se = fit.crash_size
    click.echo(
        f"{prices}: {fit.n_returns:,} {fit.frequency} log returns, {fit.start} to {fit.end}\n\n"
        f"  {'parameter':<34}{'estimate':>10}{'s.e.':>10}\n"
        f"  {'drift mu (1/yr)':<34}{p['mu']:>10.4f}{se['mu']:>10.4f}\n"
        f"  {'volatility sigma (1/sqrt yr)':<34}{p['sigma']:>10.4f}{se['sigma']:>10.4f}\n"
        f"  {'jump intensity lambda (1/yr)':<34}{p['lam']:>10.4f}{se['lam']:>10.4f}\n"
        f"  {'jump log-size mean m_J':<34}{p['m_j']:>10.4f}{se['m_j']:>10.4f}\n"
        f"  {'jump log-size sd d_J':<34}{p['d_j']:>10.4f}{se['d_j']:>10.4f}\n"
        f"  {'crash size 1 - exp(m_J)':<34}{kappa:>10.4f}{kappa_se:>10.4f}\n\n"
        f"  log-likelihood: Merton {fit.loglik:.2f}, GBM {fit.gbm_loglik:.2f} "
        f"(GBM: mu {fit.gbm_params['mu']:.4f}, sigma {fit.gbm_params['sigma']:.4f}); "
        f"LR statistic {fit.lr_statistic:.2f} on 3 extra parameters"
    )
    if out is None:
        click.echo("\n" + fragment)
    else:
        from .report import _atomic_write_text

        out.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write_text(out, fragment)
        click.echo(f'\n  wrote {out}: extend it from a scenario with  extends = "{out.name}"')


@cli.command()
@click.argument("prices", type=click.Path(path_type=Path))
@click.argument(
    "more_thresholds", nargs=-1, type=click.FloatRange(0, 1, min_open=True, max_open=True)
)
@click.option(
    "--window", "-w", default="1y", show_default=True, help="Window length: 1y, 18m, 26w, 252d."
)
@click.option(
    "--threshold",
    "-t",
    "thresholds",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    multiple=True,
    help="Drawdown threshold(s) [default: 0.1 0.2].",
)
@click.option("--frequency", "-f", type=FREQUENCY, default="auto", show_default=True)
@column_option
@click.option(
    "--paths", "-n", type=click.IntRange(100, 2_000_000), default=10_000, show_default=True
)
@click.option(
    "--seed", "-s", type=click.IntRange(0, 2**63 - 1), default=20260101, show_default=True
)
@format_option
def backtest(prices, more_thresholds, window, thresholds, frequency, column, paths, seed, fmt):
    """Historical frequency of a drawdown within rolling windows, beside the model's odds.

    The model is bubblesim's market block calibrated on the same history (as `calibrate` does)
    and simulated for the same window at the same step frequency. Historical intervals treat
    the non-overlapping windows as the sample (overlapping windows are not independent).

    \b
    Examples:
      bubblesim backtest sp500.csv --window 1y --threshold 0.1 0.2
      bubblesim backtest nasdaq.csv -w 6m -t 0.2 --format csv
    """
    from .backtest import backtest as run_backtest
    from .backtest import parse_window

    thresholds = sorted(set(thresholds) | set(more_thresholds)) or [0.1, 0.2]
    try:
        years = parse_window(window)
    except ValueError as exc:
        raise BubblesimError(str(exc)) from None
    series = _read_prices(prices, column)
    try:
        table, fit = run_backtest(
            series,
            years,
            thresholds,
            frequency=None if frequency == "auto" else frequency,
            paths=paths,
            seed=seed,
        )
    except ValueError as exc:
        raise BubblesimError(f"{prices}: {exc}") from None
    if fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
        return
    if fmt == "json":
        click.echo(table.to_json(orient="records", indent=2))
        return
    click.echo(
        f"{prices}: {fit.frequency} closes {fit.start} to {fit.end}; window {window} "
        f"({table['window_years'].iloc[0]:.3g} years); model: Merton fit (lambda {fit.params['lam']:.2f}/yr, "
        f"sigma {fit.params['sigma']:.3f}), {paths:,} paths, seed {seed}\n"
    )
    click.echo(
        f"  {'drawdown':<10}{'history':>9}  {'95% interval*':<17}{'windows':>9}{'model':>9}  95% interval"
    )
    for r in table.itertuples(index=False):
        click.echo(
            f"  >= {r.threshold:<7.0%}{100 * r.historical:>8.1f}%  [{100 * r.historical_ci_low:5.1f}%, "
            f"{100 * r.historical_ci_high:5.1f}%]{r.windows:>9,}{100 * r.model:>8.1f}%  "
            f"[{100 * r.model_ci_low:.1f}%, {100 * r.model_ci_high:.1f}%]"
        )
    click.echo(
        f"\n  * from {table['independent_windows'].iloc[0]} non-overlapping windows (overlapping ones are correlated)"
    )


def main():  # console-script entry point
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
