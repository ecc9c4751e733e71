"""Load and validate scenario files into a frozen :class:`Scenario`.

A scenario file is TOML, read with the standard library. Every key is declared in
:mod:`bubblesim.schema`; anything else is refused with a :class:`ScenarioError` that names the
file and the key and, for a misspelling, the nearest valid name. Nothing in a scenario file is
evaluated as code.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .distributions import (
    Constant,
    Distribution,
    DistributionError,
    parse_distribution,
    rank_to_normal_correlation,
)
from .events import Event, parse_events
from .schema import CORRELATION_KEYS, PARAMETERS, REMOVED_KEYS, SECTIONS, TOP_LEVEL_KEYS, Param

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_from_dict", "scalar_parameter"]

_PARAMS_BY_SECTION: dict[str, dict[str, Param]] = {}
for _p in PARAMETERS:
    _PARAMS_BY_SECTION.setdefault(_p.section, {})[_p.key] = _p


class ScenarioError(ValueError):
    """A scenario file cannot be used. ``str(err)`` is one line: ``file: key: what was expected``."""

    def __init__(self, file: str | Path | None, key: str | None, message: str):
        self.file = str(file) if file is not None else "<scenario>"
        self.key = key
        self.message = message
        where = f"{self.file}: {key}: " if key else f"{self.file}: "
        # one line always: a key or value may hold newlines or other control characters
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in where + message)
        super().__init__(text)

    def __reduce__(self):  # rebuilt from its three fields when a worker process raises it
        return (type(self), (None if self.file == "<scenario>" else self.file, self.key,
                             self.message))  # fmt: skip


def grid_dates(start: str, n_steps: int, dt: float) -> np.ndarray:
    """Dates of a grid's ``n_steps + 1`` points from ``start`` (YYYY-MM) as ``datetime64[D]``."""
    days = np.round(np.arange(n_steps + 1) * dt * 365.2425).astype("int64")
    return np.datetime64(start + "-01", "D") + days.astype("timedelta64[D]")


@dataclass(frozen=True)
class Scenario:
    """A validated, fully resolved scenario (defaults filled in, ``extends`` merged).

    Attributes
    ----------
    values : dict
        ``"section.key"`` -> :class:`Constant` | :class:`Distribution` for scalar assumptions,
        ``dict[int, float]`` for year tables, and plain values for the rest.
    sources : dict
        ``"section.key"`` -> the source text of that figure (from the file, else the default's).
    resolved : dict
        The resolved scenario as plain JSON-able data; ``sha256`` is its hash.
    """

    name: str
    description: str
    start: str
    horizon_years: float
    steps_per_year: int
    paths: int
    seed: int
    values: dict
    sources: dict
    thresholds: tuple[float, ...]
    ai_thresholds: tuple[float, ...]
    correlation_variables: tuple[str, ...]
    correlation_matrix: tuple[tuple[float, ...], ...]
    resolved: dict
    sha256: str
    path: str | None = None
    #: What loading changed on its own and a user should hear once (e.g. inherited correlations
    #: dropped for an input the file made constant); the CLI prints them on stderr.
    notes: tuple[str, ...] = ()
    #: The ``[[events]]`` the file asks about (:mod:`bubblesim.scenario.events`), in its order.
    events: tuple[Event, ...] = ()

    @property
    def n_steps(self) -> int:
        """Number of time steps."""
        return max(1, int(round(self.horizon_years * self.steps_per_year)))

    @property
    def dt(self) -> float:
        """Step length in years."""
        return 1.0 / self.steps_per_year

    @property
    def horizon_months(self) -> int:
        """The horizon in whole months (the window the history's base rates are read over)."""
        return max(1, int(round(self.n_steps * self.dt * 12)))

    def dates(self) -> np.ndarray:
        """Dates of the ``n_steps + 1`` grid points as ``datetime64[D]``."""
        return grid_dates(self.start, self.n_steps, self.dt)

    def thresholds_for(self, index: str) -> tuple[float, ...]:
        """The drawdown thresholds reported for ``index``: ``"ai"`` or ``"market"``."""
        return self.ai_thresholds if index == "ai" else self.thresholds

    def start_year(self) -> float:
        """Start as a fractional calendar year (2026-01 -> 2026.0)."""
        year, month = (int(x) for x in self.start.split("-"))
        return year + (month - 1) / 12.0

    def with_overrides(self, paths: int | None = None, seed: int | None = None) -> Scenario:
        """A copy with ``paths`` or ``seed`` replaced (validated like the file's values)."""
        changes: dict[str, Any] = {}
        if paths is not None:
            _check_int(
                self.path, "simulation.paths", paths, _PARAMS_BY_SECTION["simulation"]["paths"]
            )
            changes["paths"] = int(paths)
        if seed is not None:
            _check_int(self.path, "simulation.seed", seed, _PARAMS_BY_SECTION["simulation"]["seed"])
            changes["seed"] = int(seed)
        return dataclasses.replace(self, **changes)

    def distribution_names(self) -> list[str]:
        """Names of the assumptions given as distributions, in schema order."""
        return [k for k, v in self.values.items() if isinstance(v, Distribution)]

    def with_values(self, changes: dict[str, float]) -> Scenario:
        """A copy with scalar assumptions (``"section.key"``) set to constants, each checked
        against its declared range. An input taken out of ``[correlations]`` this way leaves it."""
        values = dict(self.values)
        for key, value in changes.items():
            p = scalar_parameter(self.path, key)
            if not _is_number(value) or not p.contains(float(value)):
                raise ScenarioError(
                    self.path, key, f"expected a number {p.range_text()}, got {value!r}"
                )
            values[key] = Constant(float(value))
        keep = [i for i, n in enumerate(self.correlation_variables) if n not in changes]
        corr_vars = tuple(self.correlation_variables[i] for i in keep)
        corr = tuple(tuple(self.correlation_matrix[i][j] for j in keep) for i in keep)
        if len(corr_vars) < 2:
            corr_vars, corr = (), ()
        resolved, digest = _resolve(values, corr_vars, corr, self.events)
        return dataclasses.replace(
            self,
            values=values,
            correlation_variables=corr_vars,
            correlation_matrix=corr,
            resolved=resolved,
            sha256=digest,
        )

    def assumptions(self) -> list[dict]:
        """Every assumption with its value and source, for reports."""
        out = []
        for p in PARAMETERS:
            if p.section in ("scenario", "simulation"):
                continue
            v = self.values[p.name]
            if isinstance(v, Constant | Distribution):
                value: Any = v.to_dict()
                text = v.describe()
            elif isinstance(v, dict):
                value = {str(k): x for k, x in v.items()}
                text = ", ".join(f"{k}: {x:g}" for k, x in v.items())
            else:
                value = list(v) if isinstance(v, tuple) else v
                text = str(value)
            out.append(
                {
                    "name": p.name,
                    "value": value,
                    "text": text,
                    "unit": p.unit,
                    "source": self.sources.get(p.name, ""),
                    "status": p.status,
                }
            )
        return out


# ----------------------------------------------------------------------------- loading


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    Raises
    ------
    ScenarioError
        With the file, the key and what was expected.
    """
    path = Path(path)
    raw = _read_with_extends(path, chain=())
    return scenario_from_dict(raw, file=path)


def _read_toml(path: Path) -> dict:
    if not path.exists():
        raise ScenarioError(path, None, "no such file")
    if path.is_dir():
        raise ScenarioError(path, None, "is a folder; expected a scenario file (.toml)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(path, None, f"cannot be read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            path, None, f"is not UTF-8 text (bad byte at offset {exc.start})"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, text, exc) from None


def _toml_error(path: Path, text: str, exc: Exception) -> ScenarioError:
    """``FILE:LINE: TOML syntax error: what: 'the line'``; a duplicate key is named with its table."""
    msg = (str(exc).splitlines() or ["invalid TOML"])[0]
    at = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
    if at is None:
        return ScenarioError(path, None, f"TOML syntax error: {msg}")
    number = int(at.group(1))
    lines = text.splitlines()
    source = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    what = msg[: at.start()].strip() or "invalid TOML"
    if what.startswith("Cannot overwrite a value"):
        key = re.match(r"""\s*((?:"[^"]*"|'[^']*'|[^=\s])+)\s*=""", source)
        table = None
        for earlier in reversed(lines[: number - 1]):
            header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]", earlier)
            if header:
                table = header.group(1)
                break
        name = key.group(1) if key else "?"
        where = f"in [{table}]" if table else "at the top level"
        what = f"duplicate key {name!r} {where}"
    elif what.startswith("Cannot declare"):
        declared = re.search(r"\(([^)]*)\)", what)
        what = f"table declared twice ({declared.group(1)})" if declared else what
    return ScenarioError(f"{path}:{number}", None, f"TOML syntax error: {what}: {source!r}")


def _read_with_extends(path: Path, chain: tuple[Path, ...]) -> dict:
    resolved_path = path.resolve()
    if resolved_path in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved_path))
        raise ScenarioError(path, "extends", f"cycle of extends ({cycle})")
    data = _read_toml(path)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        data["__file__"] = str(path)
        return data
    refs = parent_ref if isinstance(parent_ref, list) else [parent_ref]
    if not refs or not all(isinstance(r, str) and r.strip() for r in refs):
        raise ScenarioError(
            path,
            "extends",
            "expected the path of another scenario file, or a list of them, as strings",
        )
    parent = None
    for ref in refs:  # later files win, as the file itself wins over all of them
        parent_path = (path.parent / ref).resolve() if not Path(ref).is_absolute() else Path(ref)
        if not parent_path.exists():
            raise ScenarioError(
                path, "extends", f"file {ref!r} not found (looked for {parent_path})"
            )
        if parent_path.is_dir():
            raise ScenarioError(path, "extends", f"{ref!r} is a folder; expected a scenario file")
        one = _read_with_extends(parent_path, chain + (resolved_path,))
        if parent is None:
            parent = one
        else:
            merged = _merge(parent, one)
            _mark_correlations(merged, parent, one)
            parent = merged
    merged = _merge(parent, data)
    _mark_correlations(merged, parent, data)
    merged["__file__"] = str(path)
    return merged


def _merge_events(parent: list, child: list) -> list:
    """A file's ``[[events]]`` added to its parent's: the parent's first (so the child's
    ``at_least`` may name them), an event of the same name replaced where it stood, and an
    empty ``events = []`` clearing them."""
    if not child:
        return []

    def named(e):
        return e.get("name") if isinstance(e, dict) else None

    mine = {named(e): e for e in child if named(e) is not None}
    merged = [copy.deepcopy(mine.pop(named(e), e)) for e in parent]
    return merged + [copy.deepcopy(e) for e in child if named(e) in mine or named(e) is None]


def _mark_correlations(merged: dict, parent: dict, child: dict) -> None:
    """Record which file the merged ``[correlations]`` come from when ``child`` inherits them."""
    if "correlations" in parent and "correlations" not in child:
        merged["__correlations_from__"] = parent.get("__correlations_from__", parent["__file__"])
    elif "correlations" in child:
        merged.pop("__correlations_from__", None)
        if "__correlations_from__" in child:
            merged["__correlations_from__"] = child["__correlations_from__"]


def _merge(parent: dict, child: dict) -> dict:
    """Child overrides parent key by key inside each section; values are replaced whole."""
    out = copy.deepcopy(parent)
    for section, content in child.items():
        if section == "events" and isinstance(content, list) and isinstance(out.get(section), list):
            out[section] = _merge_events(out[section], content)
        elif (
            isinstance(content, dict)
            and isinstance(out.get(section), dict)
            and section != "correlations"
        ):
            out[section].update(copy.deepcopy(content))
        else:
            out[section] = copy.deepcopy(content)
    return out


# ----------------------------------------------------------------------------- validation


def scalar_parameter(file, key: str) -> Param:
    """The declaration of a scalar assumption by its dotted name, or a one-line error."""
    scalars = [p.name for p in PARAMETERS if p.kind == "scalar"]
    for p in PARAMETERS:
        if p.name == key:
            if p.kind != "scalar":
                raise ScenarioError(file, key, f"not a scalar assumption (it is a {p.kind})")
            return p
    raise ScenarioError(file, key, "unknown assumption" + _suggest(key, scalars))


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(options)}"


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _check_number(file, key: str, value: Any, p: Param) -> float:
    if not _is_number(value):
        raise ScenarioError(file, key, f"expected a number, got {_typename(value)}")
    if not math.isfinite(value):
        raise ScenarioError(file, key, f"expected a finite number, got {value}")
    if not p.contains(value):
        raise ScenarioError(file, key, f"expected a value {p.range_text()}, got {value:g}")
    return float(value)


def _check_int(file, key: str, value: Any, p: Param) -> int:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        raise ScenarioError(
            file, key, f"expected a whole number without a decimal point, got {value!r}"
        )
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScenarioError(file, key, f"expected a whole number, got {_typename(value)} {value!r}")
    if not p.contains(value):
        raise ScenarioError(file, key, f"expected a whole number {p.range_text()}, got {value}")
    return int(value)


def _typename(value: Any) -> str:
    return {
        bool: "true/false",
        str: "text",
        dict: "a table",
        list: "a list",
        float: "a decimal number",
        int: "a whole number",
    }.get(type(value), type(value).__name__)


def _split_source(file, key: str, value: Any) -> tuple[Any, str | None]:
    """For ``{value = x, source = "..."}`` return ``(x, source)``; plain values pass through."""
    if isinstance(value, dict) and "value" in value and "dist" not in value:
        extra = set(value) - {"value", "source"}
        if extra:
            raise ScenarioError(
                file,
                f"{key}.{sorted(extra)[0]}",
                "unexpected field; expected only value and source",
            )
        src = value.get("source")
        if src is not None and not isinstance(src, str):
            raise ScenarioError(file, f"{key}.source", "expected text")
        return value["value"], src
    return value, None


def _validate_scalar(
    file, key: str, value: Any, p: Param
) -> tuple[Constant | Distribution, str | None]:
    if isinstance(value, dict) and "dist" in value:
        src = value.get("source")
        if src is not None and not isinstance(src, str):
            raise ScenarioError(file, f"{key}.source", "expected text")
        try:
            dist = parse_distribution(value)
        except DistributionError as exc:
            raise ScenarioError(file, f"{key}.{exc.field}", str(exc)) from None
        _check_distribution_range(file, key, dist, p)
        return dist, src
    if isinstance(value, dict) and "value" not in value:
        raise ScenarioError(
            file,
            key,
            "expected a number, {value = ..., source = ...} or a distribution table with dist = ...",
        )
    plain, src = _split_source(file, key, value)
    return Constant(_check_number(file, key, plain, p)), src


def _check_distribution_range(file, key: str, dist: Distribution, p: Param) -> None:
    """Bounded distributions must lie in the parameter's range; unbounded ones must centre in it."""
    fields = ("low", "high") if "low" in dist.params else ()
    if dist.kind == "normal":
        fields = ("mean",)
    elif dist.kind == "lognormal" and "median" in dist.params:
        fields = ("median",)
    for f in fields:
        v = dist.params[f]
        if not p.contains(v):
            raise ScenarioError(file, f"{key}.{f}", f"expected a value {p.range_text()}, got {v:g}")


def _validate_year_table(file, key: str, value: Any) -> tuple[dict[int, float], str | None]:
    if not isinstance(value, dict):
        raise ScenarioError(
            file,
            key,
            f"expected a year table like {{ 2026 = 450, 2027 = 520 }}, got {_typename(value)}",
        )
    src = value.get("source")
    if src is not None and not isinstance(src, str):
        raise ScenarioError(file, f"{key}.source", "expected text")
    table: dict[int, float] = {}
    for year_text, amount in value.items():
        if year_text == "source":
            continue
        if not re.fullmatch(r"\d{4}", str(year_text)):
            raise ScenarioError(file, f"{key}.{year_text}", "expected a four-digit year as key")
        if not _is_number(amount) or not math.isfinite(amount):
            raise ScenarioError(
                file, f"{key}.{year_text}", f"expected a finite number, got {amount!r}"
            )
        year = int(year_text)
        if table and year <= max(table):
            raise ScenarioError(
                file,
                f"{key}.{year_text}",
                f"years must be in increasing order (after {max(table)})",
            )
        table[year] = float(amount)
    if not table:
        raise ScenarioError(
            file, key, "the year table is empty; expected at least one year = value"
        )
    return table, src


def _validate_value(file, key: str, value: Any, p: Param) -> tuple[Any, str | None]:
    if p.kind == "scalar":
        return _validate_scalar(file, key, value, p)
    if p.kind == "year_table":
        return _validate_year_table(file, key, value)
    plain, src = _split_source(file, key, value)
    if p.kind == "number":
        return _check_number(file, key, plain, p), src
    if p.kind == "int":
        return _check_int(file, key, plain, p), src
    if p.kind == "bool":
        if not isinstance(plain, bool):
            raise ScenarioError(file, key, f"expected true or false, got {_typename(plain)}")
        return plain, src
    if p.kind == "str":
        if not isinstance(plain, str):
            raise ScenarioError(file, key, f"expected text, got {_typename(plain)}")
        return plain, src
    if p.kind == "choice":
        if plain not in p.choices:
            raise ScenarioError(file, key, f"expected {p.range_text()}, got {plain!r}")
        return plain, src
    if p.kind == "month":
        if not isinstance(plain, str) or not re.fullmatch(r"(19|20|21)\d\d-(0[1-9]|1[0-2])", plain):
            raise ScenarioError(file, key, f'expected a month as "YYYY-MM", got {plain!r}')
        return plain, src
    if p.kind == "thresholds":
        if not isinstance(plain, list) or not plain:
            raise ScenarioError(
                file, key, "expected a non-empty list of fractions such as [0.10, 0.20]"
            )
        out = []
        for x in plain:
            if not _is_number(x) or not math.isfinite(x) or not 0 < x < 1:
                raise ScenarioError(
                    file, key, f"expected fractions strictly between 0 and 1, got {x!r}"
                )
            out.append(float(x))
        if len(set(out)) != len(out):
            raise ScenarioError(file, key, "thresholds must not repeat")
        return tuple(sorted(out)), src
    raise AssertionError(f"unknown kind {p.kind}")  # pragma: no cover - schema bug


def _check_revenue_below_ceiling(file, values: dict) -> None:
    """AI revenue saturates below the ceiling, so it must start below it."""
    revenue, ceiling = values["llm_price.initial_revenue"], values["llm_price.revenue_ceiling"]
    if isinstance(revenue, Constant) and isinstance(ceiling, Constant):
        if revenue.value >= ceiling.value:
            raise ScenarioError(
                file,
                "llm_price.initial_revenue",
                f"expected less than llm_price.revenue_ceiling ({ceiling.value:g}), "
                f"got {revenue.value:g}",
            )


def _validate_correlations(
    file, table: Any, values: dict
) -> tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]:
    if not isinstance(table, dict):
        raise ScenarioError(file, "correlations", "expected a table with variables and matrix")
    for k in table:
        if k not in CORRELATION_KEYS:
            raise ScenarioError(
                file, f"correlations.{k}", "unknown key" + _suggest(k, list(CORRELATION_KEYS))
            )
    names = table.get("variables")
    matrix = table.get("matrix")
    if not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) for n in names):
        raise ScenarioError(
            file,
            "correlations.variables",
            'expected a list of at least two names such as "capex.plan_scale"',
        )
    if len(set(names)) != len(names):
        raise ScenarioError(file, "correlations.variables", "names must not repeat")
    for n in names:
        if n not in values:
            raise ScenarioError(
                file,
                "correlations.variables",
                f"unknown assumption {n!r}" + _suggest(n, [k for k in values]),
            )
        if not isinstance(values[n], Distribution):
            raise ScenarioError(
                file,
                "correlations.variables",
                f"{n} is not given as a distribution; only distribution-valued assumptions can be correlated",
            )
    k = len(names)
    if (
        not isinstance(matrix, list)
        or len(matrix) != k
        or not all(isinstance(row, list) and len(row) == k for row in matrix)
    ):
        raise ScenarioError(
            file, "correlations.matrix", f"expected a {k}x{k} list of lists matching variables"
        )
    arr = np.empty((k, k))
    for i, row in enumerate(matrix):
        for j, x in enumerate(row):
            if not _is_number(x) or not math.isfinite(x) or not -1 <= x <= 1:
                raise ScenarioError(
                    file,
                    "correlations.matrix",
                    f"expected numbers in [-1, 1], got {x!r} at row {i + 1}, column {j + 1}",
                )
            arr[i, j] = x
    if not np.allclose(np.diag(arr), 1.0):
        raise ScenarioError(file, "correlations.matrix", "the diagonal must be 1")
    if not np.allclose(arr, arr.T):
        raise ScenarioError(file, "correlations.matrix", "the matrix must be symmetric")
    smallest = min(
        np.linalg.eigvalsh(arr).min(), np.linalg.eigvalsh(rank_to_normal_correlation(arr)).min()
    )
    if smallest < -1e-10:
        raise ScenarioError(
            file,
            "correlations.matrix",
            f"the matrix is not positive semi-definite (smallest eigenvalue {smallest:.3g})",
        )
    return tuple(names), tuple(tuple(float(x) for x in row) for row in arr)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Constant | Distribution):
        return v.to_dict()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v]
    return v


def _resolve(
    values: dict, corr_vars: tuple, corr_matrix: tuple, events: tuple = ()
) -> tuple[dict, str]:
    """The resolved scenario as plain JSON-able data, and its sha256 (the scenario's identity;
    a scenario without events hashes as before events existed)."""
    resolved = {p.name: _jsonable(values[p.name]) for p in PARAMETERS}
    if corr_vars:
        resolved["correlations"] = {
            "variables": list(corr_vars),
            "matrix": [list(r) for r in corr_matrix],
        }
    if events:
        resolved["events"] = [e.resolved() for e in events]
    return resolved, hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()


def scenario_from_dict(raw: dict, file: str | Path | None = None) -> Scenario:
    """Validate a parsed scenario (as from ``tomllib``) and fill in the defaults.

    ``extends`` must already be merged (see :func:`load_scenario`).
    """
    raw = dict(raw)
    file = raw.pop("__file__", None) or file
    inherited_from = raw.pop("__correlations_from__", None)
    notes: list[str] = []
    if "extends" in raw:
        raise ScenarioError(file, "extends", "extends needs a file on disk; use load_scenario")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for section, content in raw.items():
        if section in TOP_LEVEL_KEYS:
            continue
        if section not in SECTIONS:
            raise ScenarioError(
                file, section, "unknown section" + _suggest(section, list(SECTIONS))
            )
        if section == "correlations":
            continue
        if not isinstance(content, dict):
            raise ScenarioError(
                file, section, f"expected a [{section}] table, got {_typename(content)}"
            )
        known = _PARAMS_BY_SECTION[section]
        for key, value in content.items():
            if f"{section}.{key}" in REMOVED_KEYS:
                raise ScenarioError(file, f"{section}.{key}", REMOVED_KEYS[f"{section}.{key}"])
            if key not in known:
                raise ScenarioError(
                    file, f"{section}.{key}", "unknown key" + _suggest(key, list(known))
                )
            v, src = _validate_value(file, f"{section}.{key}", value, known[key])
            values[f"{section}.{key}"] = v
            if src:
                sources[f"{section}.{key}"] = src
    for p in PARAMETERS:
        if p.name not in values:
            default = p.default
            if p.kind == "scalar":
                default = Constant(float(default))
            elif p.kind == "thresholds":
                default = tuple(default)
            elif p.kind == "year_table":
                default = dict(default)
            values[p.name] = default
        if p.name not in sources and p.source:
            sources[p.name] = p.source
    _check_revenue_below_ceiling(file, values)
    corr_vars: tuple[str, ...] = ()
    corr_matrix: tuple[tuple[float, ...], ...] = ()
    table = raw.get("correlations")
    if (
        isinstance(table, dict)
        and inherited_from is not None
        and isinstance(table.get("variables"), list)
    ):  # inherited rows of inputs this file made constant are dropped, said once
        names = table["variables"]
        gone = [n for n in names if n in values and not isinstance(values[n], Distribution)]
        if gone:
            keep = [i for i, n in enumerate(names) if n not in gone]
            matrix = table.get("matrix")
            table = dict(table, variables=[names[i] for i in keep])
            if isinstance(matrix, list) and all(isinstance(r, list) for r in matrix):
                table["matrix"] = [[matrix[i][j] for j in keep] for i in keep if i < len(matrix)]
            notes.append(
                f"{file}: correlations: {', '.join(gone)} no longer a distribution here; its "
                f"rows of the correlations inherited from {Path(inherited_from).name} are dropped"
            )
            if len(keep) < 2:
                table = {}
    if isinstance(table, dict) and not {k for k in table if k != "source"}:
        table = None  # an empty [correlations]: none (a child clears its parent's)
    if table is not None:
        corr_vars, corr_matrix = _validate_correlations(file, table, values)
        if isinstance(table.get("source"), str):
            sources["correlations"] = table["source"]
    name = values["scenario.name"] or (Path(file).stem if file else "scenario")
    values["scenario.name"] = name
    events = _validate_events(file, raw.get("events"), values)
    resolved, digest = _resolve(values, corr_vars, corr_matrix, events)
    return Scenario(
        name=name,
        description=values["scenario.description"],
        start=values["scenario.start"],
        horizon_years=float(values["scenario.horizon_years"]),
        steps_per_year=int(values["scenario.steps_per_year"]),
        paths=int(values["simulation.paths"]),
        seed=int(values["simulation.seed"]),
        values=values,
        sources=sources,
        thresholds=tuple(values["correction.thresholds"]),
        ai_thresholds=tuple(values["correction.ai_thresholds"]),
        correlation_variables=corr_vars,
        correlation_matrix=corr_matrix,
        resolved=resolved,
        sha256=digest,
        path=str(file) if file else None,
        notes=tuple(notes),
        events=events,
    )


def _validate_events(file, raw, values: dict) -> tuple[Event, ...]:
    """The file's ``[[events]]``, checked against its grid (one line naming the event and field)."""
    if raw is None:
        return ()
    steps_per_year = int(values["scenario.steps_per_year"])
    n_steps = max(1, int(round(float(values["scenario.horizon_years"]) * steps_per_year)))
    dates = grid_dates(values["scenario.start"], n_steps, 1.0 / steps_per_year)
    try:
        return parse_events(raw, steps_per_year=steps_per_year, n_steps=n_steps, dates=dates)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        raise ScenarioError(file, key, message) from None
