"""The ``bubblesim`` group and what every command shares: error handling, progress, options.

Every error a user can cause (a bad scenario, a bad option, an existing output folder, an
unreadable price file) is one line on stderr and exit code 2; Ctrl-C exits 130 and leaves no
partial output. The commands live one family a module beside this one, and each parses its
options, calls the library, and prints.
"""

from __future__ import annotations

import sys
import time

import click

from .._version import __version__

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_WRITE = 1  # the file system refused (permission, disk full): not the user's input


class BubblesimError(click.ClickException):
    """A user error: printed as one line, exit code 2."""

    exit_code = EXIT_USAGE


#: Library errors that are the user's to fix, shown as one line with exit code 2:
#: (module, class). Looked up only when an error is raised (a raised error's module is loaded).
USER_ERRORS = (
    ("bubblesim.scenario.load", "ScenarioError"),
    ("bubblesim.output.files", "OutputExistsError"),
    ("bubblesim.history.prices", "PriceFileError"),
    ("bubblesim.analysis.batch", "BatchError"),
    ("bubblesim.analysis.insight", "MetricError"),
    ("bubblesim.analysis.insight", "SolveError"),
    ("bubblesim.engine.simulate", "ClusterError"),
)
#: The file system refused (permission, disk full): one line, exit code 1.
WRITE_ERRORS = (("bubblesim.output.files", "OutputWriteError"),)


def _is_one_of(exc: BaseException, names) -> bool:
    """Whether ``exc`` is one of the classes ``names``, among the modules already loaded."""
    for module, cls in names:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, getattr(loaded, cls)):
            return True
    return False


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
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo("\nInterrupted: stopped cleanly; nothing was written.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if _is_one_of(exc, USER_ERRORS):
                click.echo(f"Error: {exc}", err=True)
                sys.exit(EXIT_USAGE)
            if _is_one_of(exc, WRITE_ERRORS):
                click.echo(f"Error: {exc}", err=True)
                sys.exit(EXIT_WRITE)
            raise
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


def load(path: str):
    """:func:`bubblesim.load_scenario`, with a file that cannot be read as a one-line error."""
    from ..scenario import ScenarioError, load_scenario

    try:
        sc = load_scenario(path)
        for note in sc.notes:
            click.echo(f"note: {note}", err=True)
        return sc
    except ScenarioError:
        raise
    except OSError as exc:  # pragma: no cover - unusual file-system errors
        raise BubblesimError(f"{path}: cannot be read ({exc.strerror})") from None


from .options import (  # noqa: E402,F401
    column_option,
    default_workers,
    format_option,
    output_options,
    simulation_options,
)

FREQUENCY = click.Choice(["auto", "daily", "weekly", "monthly"])


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
      bubblesim drawdowns --builtin nasdaq --threshold 0.2
      bubblesim calibrate --builtin nasdaq --out scenarios/nasdaq_fit.toml
      bubblesim backtest --builtin us-market --window 1y --threshold 0.1 0.2
      bubblesim validate scenarios/*.toml
    """


def notice(message: str) -> None:
    """A one-line note on stderr (e.g. an unfinished earlier run left beside the output folder)."""
    click.echo(message, err=True)
