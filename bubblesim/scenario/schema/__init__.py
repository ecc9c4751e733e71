"""The scenario schema: every key a scenario file may set, with unit, default, range and source.

The declarations are the single source of truth, one table per section of a scenario file, in a
module named after the section (``[capex]`` is declared in :mod:`.capex`, and so on).
Loading and validation (:mod:`bubblesim.scenario.load`), the engine's parameter draws
(:mod:`bubblesim.engine.shocks`) and the parameter table in ``docs/model.md`` (checked by
``tests/test_docs.py``) all read :data:`PARAMETERS`, the tables joined in file order.
See :mod:`.declaration` for the kinds of key.
"""

from __future__ import annotations

from . import capex, cash_burn, correction, gpu_demand, llm_price, market, scenario, simulation
from .declaration import Param
from .simulation import MAX_PATHS

__all__ = [
    "Param",
    "PARAMETERS",
    "SECTION_TABLES",
    "SECTIONS",
    "TOP_LEVEL_KEYS",
    "CORRELATION_KEYS",
    "REMOVED_KEYS",
    "MAX_PATHS",
    "parameter_table_markdown",
]

#: Section name -> its declaration table, in the order a scenario file lists them.
SECTION_TABLES: dict[str, tuple[Param, ...]] = {
    table.SECTION: table.PARAMETERS
    for table in (
        scenario,
        simulation,
        gpu_demand,
        llm_price,
        capex,
        cash_burn,
        market,
        correction,
    )
}

PARAMETERS: tuple[Param, ...] = tuple(p for table in SECTION_TABLES.values() for p in table)

SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(p.section for p in PARAMETERS)) + ("correlations",)
#: Keys outside the sections: ``extends`` and the ``[[events]]`` array (scenario/events.py).
TOP_LEVEL_KEYS: tuple[str, ...] = ("extends", "events")
CORRELATION_KEYS: tuple[str, ...] = ("variables", "matrix", "source")

#: Keys an earlier version accepted -> the one-line reason they are gone and what replaces them.
REMOVED_KEYS: dict[str, str] = {
    "market.expected_revenue_growth": (
        "was removed: the AI index now prices the revenue the model itself expects, and the "
        "labs' burn runs against cash_burn.revenue_plan (docs/model.md); delete the key"
    ),
    "cash_burn.investor_capacity": (
        "was removed: a round is no longer capped on its own; the labs share a yearly pool, "
        "cash_burn.investor_pool x pool_share, which rounds drain (docs/model.md); delete the key"
    ),
    "capex.accelerator_share": (
        "was removed: in Cahn's rule the GPU share cancels against its x2 for the rest of the "
        "data centre (R* = capex / (1 - gross_margin)); delete the key"
    ),
}


def _default_text(p: Param) -> str:
    if p.kind == "year_table":
        return ", ".join(f"{y}: {v:g}" for y, v in p.default.items())
    if p.kind == "thresholds":
        return ", ".join(f"{v:g}" for v in p.default)
    if p.kind == "bool":
        return "true" if p.default else "false"
    if p.kind in ("str", "choice", "month"):
        return f'"{p.default}"' if p.default != "" else "(file name)" if p.key == "name" else '""'
    return f"{p.default:g}"


def parameter_table_markdown() -> str:
    """The parameter table of ``docs/model.md`` (kept equal to it by ``tests/test_docs.py``)."""
    rows = [
        "| key | unit | default | range | status | meaning | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in PARAMETERS:
        rng = p.range_text() if p.kind in ("scalar", "number", "int", "choice") else "-"
        rows.append(
            f"| `{p.name}` | {p.unit} | {_default_text(p)} | {rng} | {p.status} | "
            f"{p.doc.replace('|', '/')} | {(p.source or '-').replace('|', '/')} |"
        )
    return "\n".join(rows)
