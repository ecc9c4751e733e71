"""The ``[llm_price]`` section: LLM price decay, price wars and the price elasticity of usage.

Each entry is a :class:`~bubblesim.scenario.schema.declaration.Param` without its section name,
which this table supplies; :mod:`bubblesim.scenario.schema` joins the tables in file order.
"""

from __future__ import annotations

from .declaration import Param, declarer

SECTION = "llm_price"
_P = declarer(SECTION)

PARAMETERS: tuple[Param, ...] = (
    _P(
        "annual_decay",
        "scalar",
        10.0,
        "factor/year",
        "Price of equal capability falls by this factor each year (10 = prices fall 10x a year).",
        low=0.01,
        high=10_000,
        status="sourced",
        source="a16z 'LLMflation' Nov 2024: ~10x per year; Epoch AI Mar 2025: 9x-900x by task, 40x for GPT-4 level",
    ),
    _P(
        "volatility",
        "scalar",
        0.2,
        "1/sqrt(year)",
        "Volatility of the log price of capability.",
        low=0,
        high=10,
        source="guess",
    ),
    _P(
        "elasticity",
        "scalar",
        0.9,
        "-",
        "Price elasticity of usage e: usage rises by e% when price falls 1%. Below 1, faster price decay lowers revenue; above 1, it raises it.",
        low=0,
        high=10,
        source="guess: volume growing 5-20x/yr while prices fall 10-40x/yr says ~1 (MODEL.md section 3)",
    ),
    _P(
        "price_war_rate",
        "scalar",
        0.3,
        "events/year",
        "Rate of price wars (Poisson).",
        low=0,
        high=50,
        source="guess",
    ),
    _P(
        "price_war_drop",
        "scalar",
        0.5,
        "fraction",
        "Market price of capability falls by this fraction in a price war.",
        low=0,
        high=0.999,
        source="guess; anchor: DeepSeek list prices 27-54x below o1 (list prices, Jan 2025), only partly followed market-wide",
    ),
    _P(
        "initial_revenue",
        "scalar",
        91.0,
        "US$ bn/year",
        "AI revenue run-rate at the start (what end users pay for AI), at the scenario's start date.",
        low=0,
        low_open=True,
        high=1e6,
        source="derived: OpenAI's >$20B annualized revenue in January 2026 (company CFO, as reported) over the labs' share of AI revenue (revenue_share 0.22): 20 / 0.22 = 91, the run-rate at the start; the 2025 total was ~$60B (guess anchored on Menlo Ventures: enterprise gen-AI $37B, consumer AI ~$12B), and revenue that grew ~3.3x within 2025 ends the year well above its annual total",
    ),
    _P(
        "revenue_ceiling",
        "scalar",
        5800.0,
        "US$ bn/year",
        "What the economy could pay for AI at the start: AI revenue saturates below it, R = R_u / (1 + R_u / ceiling), so adoption slows as AI's share of it grows.",
        low=0,
        low_open=True,
        high=1e9,
        status="sourced",
        source="Gartner worldwide IT spending forecast (Oct 2025): $5.54T in 2025, $6.08T in 2026, so ~$5.8T a year in January 2026 (their run-rate between mid-years). AI revenue is part of IT spending and cannot exceed all of it",
    ),
    _P(
        "ceiling_growth",
        "scalar",
        0.098,
        "1/year (fraction)",
        "Growth of the revenue ceiling (0.098 = +9.8% a year).",
        low=-0.95,
        high=10,
        status="sourced",
        source="Gartner (Oct 2025): worldwide IT spending +9.8% in 2026 (+10.0% in 2025); held after 2026 (guess)",
    ),
)
