"""--target-ci and --max-paths, shared by run, compare and batch."""

from __future__ import annotations

import functools
import re

import click

from ..scenario.schema import MAX_PATHS


def precision_options(f):
    """--target-ci and --max-paths: add paths until the headline intervals are narrow enough."""

    @click.option(
        "--target-ci",
        type=click.FloatRange(0, 0.5, min_open=True),
        default=None,
        help="Add paths until every headline 95% half-width is at most this (e.g. 0.002); "
        "for compare, the paired differences'. The headline metrics only, not [[events]].",
    )
    @click.option(
        "--max-paths",
        type=click.IntRange(1, MAX_PATHS),
        default=1_000_000,
        show_default=True,
        help="With --target-ci: stop adding paths here.",
    )
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


def precision_note(quiet: bool):
    """Progress of --target-ci on stderr: paths so far and the widest half-width."""

    def note(paths: int, width: float) -> None:
        if not quiet:
            click.echo(
                f"precision: {paths:,} paths, widest 95% half-width {100 * width:.2f} pts", err=True
            )

    return note


def precision_summary(paths: int, width: float, target: float) -> str:
    if width <= target:
        return (
            f"  reached +/-{100 * target:.2f} pts with {paths:,} paths (widest {100 * width:.2f})"
        )
    return (
        f"  stopped at --max-paths {paths:,}: widest half-width {100 * width:.2f} pts, "
        f"above the target {100 * target:.2f}"
    )


_ADDRESS = re.compile(r"(?:(?:tcp|tls|ucx|ws|wss)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):\d{1,5}")


def _scheduler_address(ctx, param, value):
    """'local' or an address with a port (tcp://host:8786, host:8786, tls://[::1]:8786)."""
    if value is None or value == "local" or _ADDRESS.fullmatch(value):
        return value
    raise click.BadParameter(
        f"{value!r} is not a scheduler address: expected 'local' or SCHEME://HOST:PORT, "
        "e.g. tcp://10.0.0.5:8786"
    )


def scheduler_option(f):
    """--scheduler: run the blocks on a dask.distributed cluster (optional extra bubblesim[dask])."""

    @click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        callback=_scheduler_address,
        help="Run the blocks on a dask.distributed cluster: its scheduler address "
        "(tcp://host:8786), or 'local' for a local cluster of --workers processes. "
        "Needs bubblesim[dask]; the numbers are the same as a local run's.",
    )
    @functools.wraps(f)
    def wrapper(*args, scheduler=None, **kwargs):
        from ..engine.simulate import use_scheduler

        with use_scheduler(scheduler):
            return f(*args, **kwargs)

    return wrapper
