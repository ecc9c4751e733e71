"""The ``[cash_burn]`` section: lab cash, burn, revenue surprises, investor capacity and the funding window.

Each entry is a :class:`~bubblesim.scenario.schema.declaration.Param` without its section name,
which this table supplies; :mod:`bubblesim.scenario.schema` joins the tables in file order.
"""

from __future__ import annotations

from .declaration import Param, declarer

SECTION = "cash_burn"
_P = declarer(SECTION)

PARAMETERS: tuple[Param, ...] = (
    _P(
        "plan",
        "year_table",
        {2025: 8.5, 2026: 17.0, 2027: 35.0, 2028: 40.0, 2029: 0.0},
        "US$ bn/year",
        "Planned cash burn of the frontier labs by calendar year (negative: cash generated).",
        status="sourced",
        source="OpenAI: >$8B (2025), $17B (2026), $35B (2027), $45B (2028), cash-flow positive 2029 (The Information, Sep 2025); seed: up to $40B a year by 2028",
    ),
    _P(
        "burn_scale",
        "scalar",
        1.0,
        "factor",
        "Multiplier on the burn plan.",
        low=0,
        high=100,
        status="setting",
    ),
    _P(
        "initial_cash",
        "scalar",
        35.0,
        "US$ bn",
        "Labs' cash at the start.",
        low=0,
        high=1e6,
        source="guess: OpenAI $17.5B at end-June 2025 plus SoftBank's final $22.5B (Dec 2025) less H2 burn",
    ),
    _P(
        "revenue_share",
        "scalar",
        0.2,
        "fraction",
        "Labs' share of AI revenue: each $ of revenue shortfall against expectations adds this much burn.",
        low=0,
        high=1,
        source="guess: OpenAI ~$13B of ~$60B AI revenue (2025)",
    ),
    _P(
        "raise_runway_months",
        "scalar",
        24.0,
        "months",
        "Labs seek a funding round when runway falls below this.",
        low=0,
        high=600,
        source="guess",
    ),
    _P(
        "stress_runway_months",
        "scalar",
        12.0,
        "months",
        "Funding stress S = 1 - runway/this, clipped to [0, 1].",
        low=0,
        low_open=True,
        high=600,
        source="guess",
    ),
    _P(
        "round_rate",
        "scalar",
        3.0,
        "rounds/year",
        "Rate at which a sought round closes when the funding window is fully open.",
        low=0,
        high=365,
        source="guess",
    ),
    _P(
        "round_size_years",
        "scalar",
        2.0,
        "years of burn",
        "A round seeks this many years of current burn (capped by investor_capacity), times the window's openness.",
        low=0,
        high=100,
        source="guess: $40B round (Mar 2025) against ~$17B planned 2026 burn",
    ),
    _P(
        "investor_capacity",
        "scalar",
        60.0,
        "US$ bn",
        "The most one round can raise with the window fully open: deep pockets are finite.",
        low=0,
        low_open=True,
        high=1e6,
        source="guess anchored on the largest private round, $40B for OpenAI (Mar 2025), and SoftBank borrowing $16B, maybe $8B more (seed)",
    ),
    _P(
        "window_sensitivity",
        "scalar",
        3.0,
        "-",
        "Funding window = exp(-this x AI-index drawdown): falling prices close the window (the reflexive loop).",
        low=0,
        high=100,
        source="guess",
    ),
)
