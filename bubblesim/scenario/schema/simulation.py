"""The ``[simulation]`` section: how many paths and which seed a run uses by default.

Each entry is a :class:`~bubblesim.scenario.schema.declaration.Param` without its section name,
which this table supplies; :mod:`bubblesim.scenario.schema` joins the tables in file order.
"""

from __future__ import annotations

from .declaration import Param, declarer

SECTION = "simulation"
_P = declarer(SECTION)

#: The most paths a scenario or ``--paths`` may ask for.
MAX_PATHS = 2_000_000_000

PARAMETERS: tuple[Param, ...] = (
    _P(
        "paths",
        "int",
        10_000,
        "paths",
        "Number of Monte Carlo paths.",
        low=1,
        high=MAX_PATHS,
        status="setting",
    ),
    _P(
        "seed",
        "int",
        20260101,
        "-",
        "Seed of the random streams (same seed, same numbers).",
        low=0,
        high=2**63 - 1,
        status="setting",
    ),
)
