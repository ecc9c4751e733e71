"""The ``[correction]`` section: which drawdowns count as a correction.

Each entry is a :class:`~bubblesim.scenario.schema.declaration.Param` without its section name,
which this table supplies; :mod:`bubblesim.scenario.schema` joins the tables in file order.
"""

from __future__ import annotations

from .declaration import Param, declarer

SECTION = "correction"
_P = declarer(SECTION)

PARAMETERS: tuple[Param, ...] = (
    _P(
        "thresholds",
        "thresholds",
        [0.10, 0.20, 0.30],
        "fraction",
        "Drawdowns of the broad market counted as a correction (10%), a bear market (20%) and a crash (30%).",
        status="sourced",
        source="market convention; base rates: 55 declines of 10%+ since 1928, 21 past 20% (Hulbert 2023)",
    ),
    _P(
        "ai_thresholds",
        "thresholds",
        [0.20, 0.30, 0.50],
        "fraction",
        "Drawdowns of the AI index reported (it is more volatile: a 10% fall is near certain and says nothing).",
        status="setting",
    ),
)
