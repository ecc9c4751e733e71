"""How a scenario key is declared: :class:`Param`, and :func:`declarer` for a section's table.

Kinds
-----
``scalar``      a number, or a distribution table drawn once per path (see ``distributions``)
``int``         a whole number
``bool``        true or false
``str``         free text
``choice``      one of ``choices``
``month``       ``"YYYY-MM"``
``year_table``  ``{ 2026 = 450, 2027 = 520 }``: annual rates by calendar year, interpolated
``number``      a plain number (no distribution)
``thresholds``  a list of fractions in (0, 1)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Param", "declarer"]


@dataclass(frozen=True)
class Param:
    """Declaration of one scenario key."""

    section: str
    key: str
    kind: str
    default: Any
    unit: str
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    status: str = "guess"  # "sourced", "guess" or "setting"
    source: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"

    def range_text(self) -> str:
        """Human description of the allowed range, e.g. ``> 0`` or ``in [0, 1]``."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        lo, hi = self.low, self.high
        if lo is None and hi is None:
            return "any finite number"
        if hi is None:
            return ("> " if self.low_open else ">= ") + _fmt(lo)
        if lo is None:
            return ("< " if self.high_open else "<= ") + _fmt(hi)
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{_fmt(lo)}, {_fmt(hi)}{right}"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the declared range."""
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            return False
        return True


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"


def declarer(section: str) -> Callable[..., Param]:
    """``Param`` with its section filled in: ``_P = declarer("capex")``, then ``_P("plan", ...)``."""
    return functools.partial(Param, section)
