"""``bubblesim validate``: check scenario files and show what they resolve to, without running."""

from __future__ import annotations

import click

from ..scenario import ScenarioError, load_scenario
from ..scenario.schema import PARAMETERS
from .base import BubblesimError, cli


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
        for note in sc.notes:
            click.echo(f"note: {note}", err=True)
        if brief:
            continue
        width = max(len(p.name) for p in PARAMETERS)
        for a in sc.assumptions():
            table = sc.values[a["name"]]
            flat = ""
            if isinstance(table, dict) and table:  # what the model reads outside the years
                first, last = min(table), max(table)
                flat = f"  (held at {table[first]:g} before mid-{first}, {table[last]:g} after mid-{last})"
            click.echo(f"      {a['name']:<{width}}  {a['text']}  [{a['unit']}]{flat}")
        if sc.correlation_variables:
            click.echo(
                f"      correlations: {', '.join(sc.correlation_variables)}: {list(map(list, sc.correlation_matrix))}"
            )
        for event in sc.events:
            refs = (
                f"  ({len(event.reference)} public forecast(s) beside it)"
                if event.reference
                else ""
            )
            click.echo(f"      event {event.name}: {event.label()}{refs}")
    if failed:
        raise BubblesimError(f"{failed} of {len(scenarios)} scenario files are invalid")
