"""``bubblesim bubbles``: industry run-ups, the crashes that followed, and the fitted hazard."""

from __future__ import annotations

from pathlib import Path

import click

from ..history.bubbles import (
    BUILTIN_PANELS,
    BubbleSettings,
    bubbles_report,
    industries49,
    read_panel,
)
from ..output.tables import bubbles_terminal_table
from .base import BubblesimError, cli, format_option

_positive = click.FloatRange(0, min_open=True)


@cli.command()
@click.argument("panel", type=click.Path(path_type=Path), required=False)
@click.option(
    "--builtin",
    type=click.Choice(sorted(BUILTIN_PANELS)),
    default=None,
    help="A panel shipped with bubblesim (the default when no PANEL file is given): "
    + "; ".join(f"{k}: {v}" for k, v in BUILTIN_PANELS.items()),
)
@click.option("--years", type=_positive, default=2.0, show_default=True,
              help="Length of the run-up in years.")  # fmt: skip
@click.option("--runup", type=_positive, default=1.0, show_default=True,
              help="Return over --years a run-up must exceed (1.0 = 100%).")  # fmt: skip
@click.option("--net/--raw", default=True, show_default=True,
              help="Also require the run-up net of the market (--raw: the raw return only).")  # fmt: skip
@click.option("--crash", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.4,
              show_default=True, help="Fall from a running peak that counts as a crash.")  # fmt: skip
@click.option("--crash-years", type=_positive, default=2.0, show_default=True,
              help="Years after a month within which a crash counts.")  # fmt: skip
@click.option("--fit", is_flag=True,
              help="Fit the crash hazard (logit on the trailing net run-up; needs statsmodels).")  # fmt: skip
@format_option
def bubbles(panel, builtin, years, runup, net, crash, crash_years, fit, fmt):
    """Industry run-ups and the crashes that followed them (Greenwood, Shleifer & You 2019).

    A run-up is an industry whose return over the past --years exceeds --runup, raw and (with
    --net) net of the market, with more than 50% raw over five years; an episode is the first
    month that qualifies (the months within two years after it belong to it). A crash is a fall
    of --crash from a running peak within --crash-years. Prints the episodes, the share that
    crashed (Wilson 95%), the share of all industry-months followed by a crash, the crash share
    by trailing net run-up (intervals resample whole industries), crash sizes and the 1999-2002
    tech crash; --fit adds the logistic hazard with errors clustered by industry, scored out of
    sample (fit on the months to 1995, scored on those after; the trailing and following
    windows trim both ends, and the output prints the years used) against the base rate.

    PANEL is a CSV of monthly returns (decimals) in the bundled layout: a `month` column
    (YYYY-MM), one column per industry and a `Market` column. --format csv prints the episodes;
    --format json everything (keys: episodes, summary, by_runup, crash_sizes, tech_crash, fit).

    \b
    Examples:
      bubblesim bubbles
      bubblesim bubbles --fit
      bubblesim bubbles --runup 1.5 --raw --format csv > runups.csv
      bubblesim bubbles my_sectors.csv --crash 0.5 --format json
    """
    if panel is not None and builtin is not None:
        raise BubblesimError("give a PANEL file or --builtin NAME, not both")
    try:
        data = industries49() if panel is None else read_panel(panel)
    except ValueError as exc:
        raise BubblesimError(str(exc)) from None
    settings = BubbleSettings(
        years=years, runup=runup, net=net, crash=crash, crash_years=crash_years
    )
    try:
        report = bubbles_report(data, settings, fit=fit)
    except ImportError as exc:
        raise BubblesimError(str(exc)) from None
    except ValueError as exc:
        raise BubblesimError(f"{data.source}: {exc}") from None
    if fmt == "csv":
        import pandas as pd

        columns = ["industry", "start", "runup_raw", "runup_net", "crashed", "max_drawdown",
                   "market_return"]  # fmt: skip
        frame = pd.DataFrame(report["episodes"], columns=columns)
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt == "json":
        import json

        click.echo(json.dumps(report, indent=2, allow_nan=False))
    else:
        click.echo(bubbles_terminal_table(report))
