"""``bubblesim fan``: redraw a fan chart from a finished run, without simulating."""

from __future__ import annotations

from pathlib import Path

import click

from ..output.fanfile import draw_fan_from_folder
from ..output.files import add_to_manifest
from .base import BubblesimError, cli


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
    help="Figure file, .png, .svg or .pdf [default: RESULT_DIR/fan_<variable>.png].",
)
def fan(result_dir, variable, log, out):
    """Redraw the fan chart of any state variable from a finished run, without simulating.

    Reads RESULT_DIR/quantiles.csv (and summary.json and correction_by_date.csv for the caption
    and, for ai_index and market, the correction strip). The figure file is replaced if it exists;
    one written into RESULT_DIR joins its manifest, so `run --out RESULT_DIR --force` may replace it.

    \b
    Examples:
      bubblesim fan outputs/baseline --variable ai_revenue
      bubblesim fan outputs/baseline -v coverage --log -o coverage.svg
    """
    try:
        path = draw_fan_from_folder(result_dir, variable, log=log, out=out)
    except (FileNotFoundError, ValueError) as exc:
        raise BubblesimError(str(exc)) from None
    add_to_manifest(result_dir, path)  # what bubblesim writes into its folder is its own
    click.echo(f"wrote {path}")
