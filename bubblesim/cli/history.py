"""``bubblesim drawdowns``, ``calibrate`` and ``backtest``: the model held against real prices."""

from __future__ import annotations

from pathlib import Path

import click

from ..history.backtest import backtest as run_backtest
from ..history.backtest import parse_window
from ..history.base_rates import BUILTIN_SERIES, builtin_prices
from ..history.calibrate import (
    PERIODS_PER_YEAR,
    fit_merton,
    log_returns,
    resample,
    scenario_fragment,
)
from ..history.drawdowns import find_drawdowns
from ..history.prices import read_prices
from ..history.regime import fit_regime, regime_fragment
from ..output.files import atomic_write_text
from ..output.tables import (
    backtest_terminal_table,
    calibration_terminal_table,
    drawdowns_terminal_table,
)
from .base import FREQUENCY, BubblesimError, cli, column_option, format_option

builtin_option = click.option(
    "--builtin",
    type=click.Choice(sorted(BUILTIN_SERIES)),
    default=None,
    help="Use a series shipped with bubblesim instead of a PRICES file: "
    + "; ".join(f"{k}: {v}" for k, v in BUILTIN_SERIES.items()),
)


def _series(prices, builtin, column):
    """The closes to use and a name for them: a PRICES file or a built-in series, not both."""
    if (prices is None) == (builtin is None):
        raise BubblesimError("give a PRICES file or --builtin NAME, one of the two")
    if builtin is not None:
        return builtin_prices(builtin), f"built-in {builtin}"
    return read_prices(prices, column=column), str(prices)


@cli.command()
@click.argument("prices", type=click.Path(path_type=Path), required=False)
@builtin_option
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
def drawdowns(prices, builtin, threshold, column, fmt):
    """List every fall from a running peak in PRICES.csv that reached the threshold.

    PRICES.csv holds dates and closing prices, e.g. a Yahoo Finance export
    (Date,Open,High,Low,Close,Adj Close,Volume), FRED (observation_date,SP500) or Stooq. The date
    and close columns are found by name (Close before Adj Close); --column picks another.
    Columns of the result: peak_date, peak, trough_date, trough, depth (a negative fraction),
    recovery_date (first close back at or above the peak; empty if none).

    \b
    Examples:
      bubblesim drawdowns --builtin nasdaq
      bubblesim drawdowns --builtin us-market --threshold 0.1 --format csv > us_corrections.csv
      bubblesim drawdowns fred_sp500.csv --column SP500 --format json
    """
    series, name = _series(prices, builtin, column)
    table = find_drawdowns(series, threshold)
    if fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(table.to_json(orient="records", indent=2))
    else:
        click.echo(drawdowns_terminal_table(name, series, table, threshold))


@cli.command()
@click.argument("prices", type=click.Path(path_type=Path), required=False)
@builtin_option
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
def calibrate(prices, builtin, frequency, column, out, force):
    """Fit the market block to PRICES.csv: Merton and a two-regime switch, by maximum likelihood.

    Prints the Merton jump-diffusion (drift, volatility, jump intensity and size) and the
    calm/turbulent regime switch (Hamilton filter: each regime's drift and volatility, the chance
    of staying) with standard errors, and GBM, Merton and the regime switch side by side by
    log-likelihood and AIC. Writes a scenario fragment (TOML) that a scenario can `extends`: the
    Merton fit for the AI index and the regime switch for the rest of the market, with standard
    errors and the data's date range as sources.

    \b
    Examples:
      bubblesim calibrate --builtin us-market
      bubblesim calibrate --builtin nasdaq --out scenarios/nasdaq_fit.toml
      bubblesim calibrate sp500_monthly.csv
    """
    if out is not None and out.exists() and not force:
        raise BubblesimError(f"--out: {out} exists; use --force to replace it")
    if out is not None and out.suffix.lower() != ".toml":
        raise BubblesimError(f"--out: {out}: expected a .toml file name")
    series, name = _series(prices, builtin, column)
    try:
        fit = fit_merton(series, None if frequency == "auto" else frequency)
        regime = fit_regime(
            log_returns(resample(series, fit.frequency)), 1.0 / PERIODS_PER_YEAR[fit.frequency]
        )
    except ValueError as exc:
        raise BubblesimError(f"{name}: {exc}") from None
    source = builtin or Path(prices).name
    fragment = scenario_fragment(fit, source) + regime_fragment(regime, fit, source)
    click.echo(calibration_terminal_table(name, fit, regime))
    if out is None:
        click.echo("\n" + fragment)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, fragment)
        click.echo(f'\n  wrote {out}: extend it from a scenario with  extends = "{out.name}"')


@cli.command()
@click.argument("prices", type=click.Path(path_type=Path), required=False)
@builtin_option
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
def backtest(
    prices, builtin, more_thresholds, window, thresholds, frequency, column, paths, seed, fmt
):
    """Historical frequency of a drawdown within rolling windows, beside the model's odds.

    The model is bubblesim's market block calibrated on the same history (as `calibrate` does)
    and simulated for the same window at the same step frequency. Historical intervals come from
    a circular block bootstrap of the returns, blocks as long as the window (overlapping windows
    are not independent), as the history yardstick of `run`.

    \b
    Examples:
      bubblesim backtest --builtin us-market --window 5y -t 0.1 -t 0.2 -t 0.3
      bubblesim backtest --builtin us-market --window 1y --threshold 0.1 0.2
      bubblesim backtest --builtin nasdaq -w 6m -t 0.2 --format csv
    """
    if builtin is not None and prices is not None and not Path(prices).exists():
        try:  # `--builtin NAME --threshold 0.1 0.2`: the 0.2 lands where a PRICES file would
            value = float(str(prices))
        except ValueError:
            value = None
        if value is not None and 0 < value < 1:
            prices, more_thresholds = None, (value, *more_thresholds)
    thresholds = sorted(set(thresholds) | set(more_thresholds)) or [0.1, 0.2]
    try:
        years = parse_window(window)
    except ValueError as exc:
        raise BubblesimError(str(exc)) from None
    series, name = _series(prices, builtin, column)
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
        raise BubblesimError(f"{name}: {exc}") from None
    if fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(table.to_json(orient="records", indent=2))
    else:
        click.echo(backtest_terminal_table(name, fit, table, window, paths, seed))
