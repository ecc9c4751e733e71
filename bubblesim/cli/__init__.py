"""The ``bubblesim`` command line: a thin layer over the Python API.

:mod:`.base` holds the group, error handling, progress and shared options; each command family
lives in a module of its own and registers itself on the group when imported. The modules are
imported when their command runs (``bubblesim --help`` lists the commands from
:data:`COMMANDS` and imports no library code); :func:`load_commands` imports them all.
"""

import atexit
import importlib
import os
import sys
import threading

import click

from .base import BubblesimError, BubblesimGroup, Progress, cli

__all__ = [
    "cli",
    "main",
    "load_commands",
    "COMMANDS",
    "BubblesimError",
    "BubblesimGroup",
    "Progress",
]

#: Command -> (module of this package that defines it, its one-line help as ``--help`` lists it).
#: ``tests/cli/test_cli.py`` holds the help lines equal to the commands' own.
COMMANDS = {
    "backtest": ("history", "Historical frequency of a drawdown within rolling windows, beside the model's odds."),
    "batch": ("run", "Run every scenario file found in folders, files or glob patterns."),
    "bubbles": ("bubbles", "Industry run-ups and the crashes that followed them (Greenwood, Shleifer & You 2019)."),
    "calibrate": ("history", "Fit the market block to PRICES.csv: Merton and a two-regime switch, by maximum likelihood."),
    "compare": ("compare", "Run SCENARIOS side by side on common random numbers; the first is the reference."),
    "drawdowns": ("history", "List every fall from a running peak in PRICES.csv that reached the threshold."),
    "fan": ("fan", "Redraw the fan chart of any state variable from a finished run, without simulating."),
    "run": ("run", "Simulate SCENARIO and write its odds, quantiles and fan charts."),
    "sensitivity": ("insight", "Rank the assumptions of SCENARIO by how much they move one probability."),
    "solve": ("insight", "The value of one assumption at which the probability reaches a target (a reverse stress test)."),
    "sweep": ("insight", "The probability, with its interval, over a grid of one or two assumptions."),
    "validate": ("validate", "Check scenario files and print their resolved parameters; runs nothing."),
}  # fmt: skip


def _list_commands(self, ctx):
    return sorted(set(COMMANDS) | set(self.commands))


def _get_command(self, ctx, name):
    if name not in self.commands and name in COMMANDS:
        importlib.import_module(f".{COMMANDS[name][0]}", __name__)
    return self.commands.get(name)


def _format_commands(self, ctx, formatter):
    """The command list of ``--help`` from :data:`COMMANDS`, importing no command module."""
    rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx) if name in COMMANDS]
    if rows:
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        rows = [(name, click.utils.make_default_short_help(text, limit)) for name, text in rows]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


BubblesimGroup.list_commands = _list_commands
BubblesimGroup.get_command = _get_command
BubblesimGroup.format_commands = _format_commands


def load_commands() -> dict[str, click.Command]:
    """Import every command module; the group's commands by name."""
    for module in sorted({m for m, _ in COMMANDS.values()}):
        importlib.import_module(f".{module}", __name__)
    return dict(cli.commands)


def _observed() -> bool:
    """A profiler or tracer is at work: ``sys.setprofile``/``sys.settrace``, or (Python 3.12
    and later, where cProfile and coverage use it) a ``sys.monitoring`` tool."""
    if sys.getprofile() or sys.gettrace():
        return True
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(i) for i in range(6))


def main():  # console-script entry point
    """Run the command line and end the process.

    Once a command has finished, with only this thread left, the exit handlers are run, the
    standard streams flushed and the process ended at once: tearing the interpreter down
    (every module of numpy, pandas and matplotlib, every cached array) would add a quarter of a
    second to a ``run`` and change nothing a user sees. An error's traceback, a thread still
    alive, or a profiler or tracer at work (``python -m cProfile -m bubblesim ...``, coverage)
    takes Python's normal way out.

    NumPy is told not to ask the kernel for transparent huge pages (``NUMPY_MADVISE_HUGEPAGE=0``,
    read when NumPy is imported; a value the user set is kept): where the kernel fills such a
    request by compacting memory on the spot (``defrag = madvise``, common on Linux), a run's
    large arrays spent more time in the kernel than in the model.
    """
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    try:
        cli()
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover - click's standalone mode always ends in SystemExit
        code = 0
    if threading.active_count() > 1 or _observed():
        sys.exit(code)  # a thread to join, or a profiler or coverage to report at exit
    if code is None:
        code = 0
    elif not isinstance(code, int):  # as Python reports a non-integer exit code
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started with the stream closed
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (e.g. `| head`): nothing more to say
            pass
    os._exit(code)
