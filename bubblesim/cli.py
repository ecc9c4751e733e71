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
      bubblesim validate scenarios/*.toml
    """


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=str))
@simulation_options
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder [default: outputs/<scenario name>, or the next free outputs/<name>-N].",
)
@click.option("--force", is_flag=True, help="Replace the output folder if it already holds a run.")
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
        OutputExistsError,
        free_folder,
        safe_name,
        staged_folder,
        terminal_table,
        write_run,
    )
    from .simulate import simulate

    sc = _load(scenario)
    sc = sc.with_overrides(paths=paths, seed=seed)
    if out is None:
        base = Path("outputs") / safe_name(sc.name)
        target = base if force else free_folder(base)
    else:
        target = out
    if target.exists() and not target.is_dir():
        raise BubblesimError(f"--out: {target} exists and is not a folder")
    if target.exists() and any(target.iterdir()) and not force:
        raise BubblesimError(
            f"--out: {target} already holds files; use --force to replace it or choose another --out"
        )
    progress = Progress(f"simulating {sc.name}", enabled=not quiet)
    result = simulate(sc, workers=workers, progress=progress)
    try:
        with staged_folder(target, force=force) as staging:
            write_run(result, staging)
    except OutputExistsError as exc:
        raise BubblesimError(str(exc)) from None
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


def main():  # console-script entry point
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
