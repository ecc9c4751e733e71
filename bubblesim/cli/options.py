"""The options every simulating command shares: paths, seed, workers, quiet; --out, --force."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from ..scenario.schema.simulation import MAX_PATHS


def default_workers() -> int:
    """The CPUs this process may use, at most 8: a plain run's best time (benchmarks/bench_cli.py)."""
    import os

    return max(
        1,
        min(
            8,
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1),
        ),
    )


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
        default=default_workers,
        show_default="the CPUs this process may use",
        help="Processes to use; results do not depend on it.",
    )
    @click.option("--quiet", "-q", is_flag=True, help="Print no table and no progress.")
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


def output_options(f=None, *, folder: str = "outputs/<name>"):
    """--out and --force; ``folder`` is the command's default output folder, as its help says
    (``@output_options`` or ``@output_options(folder="outputs/<name>-sweep")``)."""

    def decorate(f):
        @click.option(
            "--out",
            "-o",
            type=click.Path(path_type=Path),
            default=None,
            help=f"Output folder [default: {folder}, or the next free {folder}-N].",
        )
        @click.option(
            "--force", is_flag=True, help="Replace the output folder if it already holds files."
        )
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            return f(*args, **kwargs)

        return wrapper

    return decorate(f) if f is not None else decorate


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
