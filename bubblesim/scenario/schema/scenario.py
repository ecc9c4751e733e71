"""The ``[scenario]`` section: what the scenario is: name, description, start month, horizon and time step.

Each entry is a :class:`~bubblesim.scenario.schema.declaration.Param` without its section name,
which this table supplies; :mod:`bubblesim.scenario.schema` joins the tables in file order.
"""

from __future__ import annotations

from .declaration import Param, declarer

SECTION = "scenario"
_P = declarer(SECTION)

PARAMETERS: tuple[Param, ...] = (
    _P(
        "name",
        "str",
        "",
        "-",
        "Scenario name; names the output folder (default: the file's stem).",
        status="setting",
    ),
    _P(
        "description",
        "str",
        "",
        "-",
        "One or two sentences shown in reports.",
        status="setting",
    ),
    _P(
        "start",
        "month",
        "2026-01",
        "YYYY-MM",
        "First month of the simulation.",
        status="setting",
    ),
    _P(
        "horizon_years",
        "number",
        5.0,
        "years",
        "Length of the simulation.",
        low=0,
        high=50,
        low_open=True,
        status="setting",
    ),
    _P(
        "steps_per_year",
        "int",
        12,
        "1/year",
        "Time steps per year (12 monthly, 52 weekly, 252 daily). Coarser steps miss intra-step drawdowns: see docs/model.md.",
        low=1,
        high=366,
        status="setting",
    ),
)
