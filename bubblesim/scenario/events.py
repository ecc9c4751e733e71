"""Events: the questions people ask of a crash, in the shape they ask them.

A scenario's ``[[events]]`` array of tables names events beyond the built-in drawdown and
fall-below-start metrics, each one of three kinds:

``drawdown_within``
    a fall of at least ``depth`` from a running peak within any window of length ``window``
    (``"10d"`` trading days, ``"6w"`` weeks, ``"3m"`` months, ``"2y"`` years), by the date ``by``
    (default: the horizon's end);
``below``
    the index at or below ``level`` times its start (e.g. 0.85) at any step from the first to
    ``by``, or, with ``at = true``, at ``by`` itself (the horizon's end without a ``by``);
``at_least``
    at least ``k`` of the events named in ``of`` (events defined above it), each by its own
    ``by``, all by this event's ``by`` (``k = 1`` is "any of").

Each event may carry ``reference`` entries: others' published probabilities of a matching
question (``probability``, ``who``, ``when``, ``source``; optional ``question`` and ``note``),
printed beside bubblesim's figure as forecasts, never used as data.

Dates map to the grid point nearest to them; a window is the largest whole number of steps that
fits in it (a window shorter than one step is an error naming the step). What the model cannot
say is said in docs/model.md: events are read on the grid's points (month ends on a monthly grid),
so a fall that opens and closes between two points is not seen.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Event", "EVENT_KINDS", "WINDOW_UNITS", "parse_events", "window_steps"]

EVENT_KINDS = ("drawdown_within", "below", "at_least")
INDEX_NAMES = ("ai", "market")
#: A window's unit -> how many of it make a year (trading days, weeks, months, years).
WINDOW_UNITS = {"d": 252.0, "w": 52.0, "m": 12.0, "y": 1.0}
_UNIT_NAMES = {"d": "trading days", "w": "weeks", "m": "months", "y": "years"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dwmy])\s*$")
_FIELDS = {
    "drawdown_within": {
        "name",
        "index",
        "kind",
        "depth",
        "window",
        "by",
        "reference",
        "description",
    },
    "below": {"name", "index", "kind", "level", "by", "at", "reference", "description"},
    "at_least": {"name", "kind", "k", "of", "by", "reference", "description"},
}
_REFERENCE_FIELDS = {"probability", "who", "when", "source", "question", "note"}


@dataclass(frozen=True)
class Event:
    """One validated event of a scenario (see the module's docstring for the kinds)."""

    name: str
    kind: str
    index: str | None = None  # "ai" or "market"; None for at_least
    depth: float | None = None
    window: str | None = None  # as written, e.g. "2y"
    window_steps: int | None = None  # whole steps in the window (the horizon at most)
    level: float | None = None
    at: bool = False
    k: int | None = None
    of: tuple[str, ...] = ()
    by: str | None = None  # as written (None: the horizon's end)
    by_step: int = 0  # the grid point it is read to
    by_date: str = ""  # that point's date, YYYY-MM-DD
    description: str = ""
    reference: tuple[dict, ...] = field(default_factory=tuple)

    def fields(self) -> dict:
        """The event's own fields as written (for summary.json), without its references."""
        out: dict[str, Any] = {"name": self.name, "index": self.index, "kind": self.kind}
        if self.kind == "drawdown_within":
            out.update(depth=self.depth, window=self.window, window_steps=self.window_steps)
        elif self.kind == "below":
            out.update(level=self.level, at=self.at)
        else:
            out.update(k=self.k, of=list(self.of))
        out.update(by=self.by, by_date=self.by_date, by_step=self.by_step)
        if self.description:
            out["description"] = self.description
        return out

    def label(self) -> str:
        """A short description for tables, e.g. ``AI index falls 40% within 2y by 2027-12-31``."""
        by = f"by {self.by_date}"
        if self.kind == "drawdown_within":
            what = f"{_index_label(self.index)} falls {100 * self.depth:.4g}% within {self.window}"
        elif self.kind == "below":
            when = f"at {self.by_date}" if self.at else by
            return f"{_index_label(self.index)} at or below {self.level:.4g} x its start {when}"
        else:
            what = f"at least {self.k} of {', '.join(self.of)}"
        return f"{what} {by}"

    def resolved(self) -> dict:
        """What identifies the event in the scenario's hash: its fields and references."""
        return {**self.fields(), "reference": [dict(r) for r in self.reference]}


def _index_label(index: str | None) -> str:
    return "AI index" if index == "ai" else "market"


def window_steps(text: str, steps_per_year: int, n_steps: int) -> tuple[int, float]:
    """Whole grid steps in a window such as ``"10d"`` (at most the horizon), and its length in
    years. Raises ``ValueError`` with the reason for a malformed or sub-step window."""
    m = _WINDOW.match(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(
            f'expected a window such as "10d", "6w", "3m" or "2y" (trading days, weeks, months, '
            f"years), got {text!r}"
        )
    years = float(m.group(1)) / WINDOW_UNITS[m.group(2)]
    if not math.isfinite(years * steps_per_year):
        raise ValueError(f"window {text!r} is not a finite length")
    steps = math.floor(years * steps_per_year + 1e-9)
    if steps < 1:
        step = _step_text(steps_per_year)
        raise ValueError(
            f"window {text!r} ({m.group(1)} {_UNIT_NAMES[m.group(2)]}) is shorter than one step of "
            f"the grid ({step} at simulation steps_per_year = {steps_per_year}); use a longer "
            f"window or a finer grid"
        )
    return min(steps, n_steps), years


def _step_text(steps_per_year: int) -> str:
    known = {1: "1 year", 4: "1 quarter", 12: "1 month", 52: "1 week", 252: "1 trading day"}
    return known.get(steps_per_year, f"1/{steps_per_year} year")


def _by_step(value: Any, dates: np.ndarray) -> tuple[int, str]:
    """The grid point nearest to a date (ties to the earlier), and that point's date."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        text = value.isoformat()
    elif isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value.strip()):
        text = value.strip()
    else:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
    try:
        day = np.datetime64(text, "D")
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None
    gaps = np.abs((dates - day).astype("int64"))
    step = int(np.argmin(gaps))
    half_step = (dates[1] - dates[0]).astype("int64") / 2 if dates.size > 1 else 0
    if day > dates[-1] and gaps[step] > half_step:
        raise ValueError(f"{text} is after the horizon's end ({dates[-1]})")
    if step == 0:
        raise ValueError(
            f"{text} is not after the start: the first step is {dates[1] if dates.size > 1 else dates[0]}"
        )
    return step, str(dates[step])


def _reference(entry: Any, where: str) -> dict:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a table with probability, who, when and source")
    unknown = set(entry) - _REFERENCE_FIELDS
    if unknown:
        raise ValueError(
            f"{where}: unknown field {sorted(unknown)[0]!r} (expected {', '.join(sorted(_REFERENCE_FIELDS))})"
        )
    p = entry.get("probability")
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}.probability: expected a probability in [0, 1], got {p!r}")
    out: dict[str, Any] = {"probability": float(p)}
    for key in ("who", "when", "source"):
        v = entry.get(key)
        if isinstance(v, _dt.date):
            v = v.isoformat()
        if not isinstance(v, str) or not v.strip():
            raise ValueError(f"{where}.{key}: expected a non-empty string, got {v!r}")
        out[key] = v.strip()
    for key in ("question", "note"):
        if key in entry:
            if not isinstance(entry[key], str):
                raise ValueError(f"{where}.{key}: expected a string, got {entry[key]!r}")
            out[key] = entry[key]
    return out


def _fraction(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value <= 1.0:
        raise ValueError(f"{where}: expected a fraction in (0, 1], got {value!r}")
    return float(value)


def parse_events(
    raw: Any, *, steps_per_year: int, n_steps: int, dates: np.ndarray
) -> tuple[Event, ...]:
    """Validate a scenario's ``events`` value (a list of tables). Raises ``ValueError`` whose
    message starts with the event and field it is about (``events[2] 'x'.window: ...``)."""
    if not isinstance(raw, list):
        raise ValueError("events: expected an array of tables ([[events]])")
    events: list[Event] = []
    names: dict[str, Event] = {}
    for i, entry in enumerate(raw):
        where = f"events[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a table ([[events]]) with name and kind")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"{where}.name: expected a name of letters, digits, _ and - starting with a "
                f"letter, got {name!r}"
            )
        where = f"events[{i}] {name!r}"
        if name in names:
            raise ValueError(f"{where}.name: a second event with this name")
        kind = entry.get("kind")
        if kind not in EVENT_KINDS:
            raise ValueError(
                f"{where}.kind: expected one of {', '.join(EVENT_KINDS)}, got {kind!r}"
            )
        unknown = sorted(set(entry) - _FIELDS[kind])
        if unknown:
            raise ValueError(
                f"{where}.{unknown[0]}: not a field of a {kind} event "
                f"(it takes {', '.join(sorted(_FIELDS[kind] - {'name', 'kind'}))})"
            )
        args: dict[str, Any] = {"name": name, "kind": kind}
        if kind != "at_least":
            index = entry.get("index")
            if index not in INDEX_NAMES:
                raise ValueError(f'{where}.index: expected "ai" or "market", got {index!r}')
            args["index"] = index
        if "by" in entry:
            try:
                args["by_step"], args["by_date"] = _by_step(entry["by"], dates)
            except ValueError as exc:
                raise ValueError(f"{where}.by: {exc}") from None
            by = entry["by"]
            args["by"] = by.isoformat() if isinstance(by, _dt.date) else str(by).strip()
        else:
            args["by_step"], args["by_date"] = n_steps, str(dates[n_steps])
        if kind == "drawdown_within":
            if "depth" not in entry or "window" not in entry:
                missing = "depth" if "depth" not in entry else "window"
                raise ValueError(f"{where}.{missing}: a drawdown_within event needs it")
            args["depth"] = _fraction(entry["depth"], f"{where}.depth")
            try:
                args["window_steps"], _ = window_steps(entry["window"], steps_per_year, n_steps)
            except ValueError as exc:
                raise ValueError(f"{where}.window: {exc}") from None
            args["window"] = entry["window"].strip()
        elif kind == "below":
            if "level" not in entry:
                raise ValueError(f"{where}.level: a below event needs it (a fraction of the start)")
            level = entry["level"]
            if (isinstance(level, bool) or not isinstance(level, int | float)
                    or not 0.0 < level < math.inf):  # fmt: skip
                raise ValueError(
                    f"{where}.level: expected a positive number (a multiple of the start, e.g. "
                    f"0.85), got {level!r}"
                )
            args["level"] = float(level)
            at = entry.get("at", False)
            if not isinstance(at, bool):
                raise ValueError(f"{where}.at: expected true or false, got {at!r}")
            args["at"] = at  # without a by: read at the horizon's end
        else:
            of = entry.get("of")
            if not isinstance(of, list) or not of or not all(isinstance(x, str) for x in of):
                raise ValueError(f"{where}.of: expected a list of the names of events above it")
            for other in of:
                if other not in names:
                    hint = (
                        " (it is below this one: list it first)"
                        if any(isinstance(e, dict) and e.get("name") == other for e in raw[i + 1 :])
                        else ""
                    )
                    raise ValueError(f"{where}.of: {other!r} is not an event defined above{hint}")
            if len(set(of)) != len(of):
                raise ValueError(f"{where}.of: an event named twice")
            k = entry.get("k")
            if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(of):
                raise ValueError(
                    f"{where}.k: expected a whole number from 1 to {len(of)}, got {k!r}"
                )
            args["k"], args["of"] = k, tuple(of)
        desc = entry.get("description", "")
        if not isinstance(desc, str):
            raise ValueError(f"{where}.description: expected a string, got {desc!r}")
        args["description"] = desc
        refs = entry.get("reference", [])
        if isinstance(refs, dict):
            refs = [refs]
        if not isinstance(refs, list):
            raise ValueError(f"{where}.reference: expected an array of tables")
        args["reference"] = tuple(
            _reference(r, f"{where}.reference[{j}]") for j, r in enumerate(refs)
        )
        event = Event(**args)
        events.append(event)
        names[name] = event
    return tuple(events)
