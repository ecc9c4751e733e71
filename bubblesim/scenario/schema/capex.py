"""The ``[capex]`` section: the AI capex path, the revenue it requires, and capex discipline.

Each entry is a :class:`~bubblesim.scenario.schema.declaration.Param` without its section name,
which this table supplies; :mod:`bubblesim.scenario.schema` joins the tables in file order.
"""

from __future__ import annotations

from .declaration import Param, declarer

SECTION = "capex"
_P = declarer(SECTION)

PARAMETERS: tuple[Param, ...] = (
    _P(
        "plan",
        "year_table",
        {2025: 380.0, 2026: 645.0, 2027: 760.0, 2028: 900.0, 2029: 950.0, 2030: 1000.0},
        "US$ bn/year",
        "Planned AI capex by calendar year (annual totals, read as the run-rate between mid-years).",
        source="2025: Big-4 hyperscaler capex ~$380B (guidance, Oct 2025, as reported); 2026: Big-4 guidance $630-660B (Feb 2026, as reported); 2028: Morgan Stanley (Jul 2025) >$900B of data-centre capex; 2027 between them; 2029-30 guess (growth slowing). Read as run-rates between mid-years, the plan starts at ~$495B a year in January 2026. The seed's 'close to $2T over five years' (early 2025) is out of date",
    ),
    _P(
        "plan_scale",
        "scalar",
        1.0,
        "factor",
        "Multiplier on the capex plan (make it a distribution to express uncertainty on the path).",
        low=0,
        high=100,
        status="setting",
    ),
    _P(
        "useful_life",
        "scalar",
        5.0,
        "years",
        "Useful life L of AI capital (depreciation K/L).",
        low=0.5,
        high=30,
        status="sourced",
        source="5-6 years in hyperscaler 10-K filings (Amazon cut a subset to 5 in 2025); critics argue ~3 (M. Burry, Nov 2025)",
    ),
    _P(
        "initial_stock",
        "scalar",
        800.0,
        "US$ bn",
        "AI capital stock K at the start.",
        low=0,
        low_open=True,
        high=1e6,
        source="guess: Big-4 capex ~$223B (2024) and ~$380B (2025) plus earlier AI build-out",
    ),
    _P(
        "cost_of_capital",
        "scalar",
        0.10,
        "1/year",
        "Return r the build-out must earn.",
        low=0,
        high=1,
        source="guess",
    ),
    _P(
        "margin",
        "scalar",
        0.5,
        "fraction",
        "Capital recovery: share of AI revenue left to pay for the capital after operating costs other than depreciation (an EBITDA-type margin); R* divides by it.",
        low=0.01,
        high=1,
        source="guess; anchor: AWS operating margin ~37% in 2024 (Amazon 10-K), before adding back depreciation",
    ),
    _P(
        "gross_margin",
        "scalar",
        0.5,
        "fraction",
        "Cahn's rule: the end user's gross margin on AI services; R* = data-centre spend / (1 - gross_margin).",
        low=0,
        high=0.99,
        status="sourced",
        source="D. Cahn, Sequoia ('$600B question', 2024): x2 for a 50% gross margin for the end user of the GPU",
    ),
    _P(
        "required_revenue_rule",
        "choice",
        "capital_recovery",
        "-",
        "capital_recovery: R* = K (1/L + r) / margin. cahn: R* = capex run-rate / (1 - gross_margin) (GPU run-rate x2 for the rest of the data centre, which is the capex, x2 for the margin).",
        choices=("capital_recovery", "cahn"),
        status="setting",
    ),
    _P(
        "coverage_target",
        "scalar",
        1.0,
        "ratio",
        "Coverage G* = R / R* at which the build-out is paid for; below it the gap ln(G*/G) raises the crash hazard.",
        low=0,
        low_open=True,
        high=100,
        status="sourced",
        source="Cahn's rule / Bain 2025 ('revenue needed'): revenue equal to required revenue",
    ),
    _P(
        "discipline_gap",
        "scalar",
        1.0,
        "-",
        "Capex cut per unit of widening coverage gap (c_gap).",
        low=0,
        high=100,
        source="guess",
    ),
    _P(
        "discipline_stress",
        "scalar",
        0.5,
        "-",
        "Capex cut at full funding stress (c_stress).",
        low=0,
        high=100,
        source="guess",
    ),
)
