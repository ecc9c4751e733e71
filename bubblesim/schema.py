"""The scenario schema: every key a scenario file may set, with unit, default, range and source.

This table is the single place where parameters are declared. Loading and validation
(:mod:`bubblesim.scenario`), the engine's parameter draws (:mod:`bubblesim.distributions`) and
the parameter table in ``docs/model.md`` (checked by ``tests/test_docs.py``) all read it.

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

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Param", "PARAMETERS", "SECTIONS", "TOP_LEVEL_KEYS"]


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


MAX_PATHS = 20_000_000

_P = Param

PARAMETERS: tuple[Param, ...] = (
    # ------------------------------------------------------------------ [scenario]
    _P(
        "scenario",
        "name",
        "str",
        "",
        "-",
        "Scenario name; names the output folder (default: the file's stem).",
        status="setting",
    ),
    _P(
        "scenario",
        "description",
        "str",
        "",
        "-",
        "One or two sentences shown in reports.",
        status="setting",
    ),
    _P(
        "scenario",
        "start",
        "month",
        "2026-01",
        "YYYY-MM",
        "First month of the simulation.",
        status="setting",
    ),
    _P(
        "scenario",
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
        "scenario",
        "steps_per_year",
        "int",
        12,
        "1/year",
        "Time steps per year (12 monthly, 52 weekly, 252 daily). Coarser steps miss intra-step drawdowns: see docs/model.md.",
        low=1,
        high=366,
        status="setting",
    ),
    # ------------------------------------------------------------------ [simulation]
    _P(
        "simulation",
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
        "simulation",
        "seed",
        "int",
        20260101,
        "-",
        "Seed of the random streams (same seed, same numbers).",
        low=0,
        high=2**63 - 1,
        status="setting",
    ),
    # ------------------------------------------------------------------ [gpu_demand]
    _P(
        "gpu_demand",
        "initial_growth",
        "scalar",
        2.0,
        "1/year (fraction)",
        "Current growth of end-user demand for AI compute at constant price and efficiency (1.5 = +150% a year).",
        low=-0.95,
        high=100,
        source="guess anchored on 2025 revenue growth of 3.2-3.5x (Menlo Ventures Dec 2025: $11.5B->$37B; The Information: OpenAI $3.7B->$13B) net of ~10x/yr price decay at elasticity ~0.9",
    ),
    _P(
        "gpu_demand",
        "long_run_growth",
        "scalar",
        0.6,
        "1/year (fraction)",
        "Growth that demand growth mean-reverts to.",
        low=-0.95,
        high=100,
        source="guess",
    ),
    _P(
        "gpu_demand",
        "mean_reversion",
        "scalar",
        0.5,
        "1/year",
        "Speed at which demand growth returns to its long-run level (half-life ln2/speed).",
        low=0,
        high=100,
        source="guess",
    ),
    _P(
        "gpu_demand",
        "growth_volatility",
        "scalar",
        0.15,
        "1/year^1.5",
        "Volatility of the demand growth rate (Ornstein-Uhlenbeck diffusion).",
        low=0,
        high=10,
        source="guess",
    ),
    _P(
        "gpu_demand",
        "volatility",
        "scalar",
        0.15,
        "1/sqrt(year)",
        "Volatility of usage (log) around its trend.",
        low=0,
        high=10,
        source="guess",
    ),
    _P(
        "gpu_demand",
        "efficiency_shock_rate",
        "scalar",
        0.5,
        "events/year",
        "Rate of DeepSeek-type efficiency shocks (Poisson).",
        low=0,
        high=50,
        source="guess: one such shock (DeepSeek-V3/R1) in 2025",
    ),
    _P(
        "gpu_demand",
        "efficiency_gain",
        "scalar",
        11.0,
        "factor",
        "Compute needed per unit of capability is divided by this at each efficiency shock.",
        low=1,
        high=1000,
        status="sourced",
        source="DeepSeek-V3 2.788M H800 hours vs Llama 3.1 405B 30.84M H100 hours (11x): DeepSeek-V3 report; Llama 3.1 model card",
    ),
    _P(
        "gpu_demand",
        "jevons",
        "scalar",
        0.5,
        "fraction",
        "Share of an efficiency shock's compute cut that new uses win back (Jevons paradox); 0 none, 1 all.",
        low=0,
        high=2,
        source="guess",
    ),
    _P(
        "gpu_demand",
        "price_passthrough",
        "scalar",
        0.3,
        "fraction",
        "Share of an efficiency shock passed on to the price of capability.",
        low=0,
        high=1,
        source="guess",
    ),
    # ------------------------------------------------------------------ [llm_price]
    _P(
        "llm_price",
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
        "llm_price",
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
        "llm_price",
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
        "llm_price",
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
        "llm_price",
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
        "llm_price",
        "initial_revenue",
        "scalar",
        60.0,
        "US$ bn/year",
        "AI revenue run-rate at the start (what end users pay for AI).",
        low=0,
        low_open=True,
        high=1e6,
        source="guess anchored on Menlo Ventures: enterprise gen-AI $37B (2025), consumer AI ~$12B; OpenAI >$20B annualized (Jan 2026)",
    ),
    # ------------------------------------------------------------------ [capex]
    _P(
        "capex",
        "plan",
        "year_table",
        {2026: 330.0, 2027: 370.0, 2028: 400.0, 2029: 430.0, 2030: 470.0},
        "US$ bn/year",
        "Planned AI capex by calendar year, interpolated between mid-years.",
        status="sourced",
        source="close to $2T of AI capex over five years (seed: The American Prospect / wheresyoured.at, early 2025); rising shape per Morgan Stanley Jul 2025",
    ),
    _P(
        "capex",
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
        "capex",
        "accelerator_share",
        "scalar",
        0.5,
        "fraction",
        "Share of capex spent on accelerators (GPUs); used by Cahn's rule.",
        low=0,
        low_open=True,
        high=1,
        status="sourced",
        source="D. Cahn, Sequoia ('$600B question', 2024): about half; Dell'Oro: about one third",
    ),
    _P(
        "capex",
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
        "capex",
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
        "capex",
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
        "capex",
        "margin",
        "scalar",
        0.5,
        "fraction",
        "Operating margin on AI revenue; required revenue divides by it.",
        low=0.01,
        high=1,
        status="sourced",
        source="Cahn's rule: x2 for a 50% margin (Sequoia)",
    ),
    _P(
        "capex",
        "required_revenue_rule",
        "choice",
        "capital_recovery",
        "-",
        "capital_recovery: R* = K (1/L + r) / margin. cahn: R* = accelerator run-rate x 2 (rest of the data centre) / margin.",
        choices=("capital_recovery", "cahn"),
        status="setting",
    ),
    _P(
        "capex",
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
        "capex",
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
        "capex",
        "discipline_stress",
        "scalar",
        0.5,
        "-",
        "Capex cut at full funding stress (c_stress).",
        low=0,
        high=100,
        source="guess",
    ),
    # ------------------------------------------------------------------ [cash_burn]
    _P(
        "cash_burn",
        "plan",
        "year_table",
        {2025: 8.5, 2026: 17.0, 2027: 35.0, 2028: 40.0, 2029: 0.0},
        "US$ bn/year",
        "Planned cash burn of the frontier labs by calendar year (negative: cash generated).",
        status="sourced",
        source="OpenAI: >$8B (2025), $17B (2026), $35B (2027), $45B (2028), cash-flow positive 2029 (The Information, Sep 2025); seed: up to $40B a year by 2028",
    ),
    _P(
        "cash_burn",
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
        "cash_burn",
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
        "cash_burn",
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
        "cash_burn",
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
        "cash_burn",
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
        "cash_burn",
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
        "cash_burn",
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
        "cash_burn",
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
        "cash_burn",
        "window_sensitivity",
        "scalar",
        3.0,
        "-",
        "Funding window = exp(-this x AI-index drawdown): falling prices close the window (the reflexive loop).",
        low=0,
        high=100,
        source="guess",
    ),
    # ------------------------------------------------------------------ [market]
    _P(
        "market",
        "feedback",
        "bool",
        True,
        "-",
        "false: the AI index is a pure Merton jump-diffusion (constant hazard, no fundamentals, no bubble drift), GBM when hazard_base = 0.",
        status="setting",
    ),
    _P(
        "market",
        "ai_drift",
        "scalar",
        0.08,
        "1/year",
        "Expected return mu of the AI index's diffusion part.",
        low=-5,
        high=5,
        source="guess",
    ),
    _P(
        "market",
        "ai_volatility",
        "scalar",
        0.20,
        "1/sqrt(year)",
        "Volatility of the AI index's diffusion part (crashes and revenue surprises add to it).",
        low=0,
        high=5,
        source="guess anchored on Nasdaq-100 realized vol median ~22%; Nvidia 30-day ~42% (as reported, 2025)",
    ),
    _P(
        "market",
        "rest_drift",
        "scalar",
        0.07,
        "1/year",
        "Expected return of the rest of the market (S&P 500 less the Magnificent 7).",
        low=-5,
        high=5,
        source="guess",
    ),
    _P(
        "market",
        "rest_volatility",
        "scalar",
        0.14,
        "1/sqrt(year)",
        "Volatility of the rest of the market.",
        low=0,
        high=5,
        source="guess",
    ),
    _P(
        "market",
        "correlation",
        "scalar",
        0.6,
        "-",
        "Correlation of the AI index's and the rest of the market's diffusion shocks.",
        low=-1,
        high=1,
        source="guess; Mag-7 vs S&P 500 daily correlation ~0.87 (as reported) includes the Mag-7 themselves",
    ),
    _P(
        "market",
        "mag7_weight",
        "scalar",
        0.33,
        "fraction",
        "Weight w of the AI index in the broad market at the start.",
        low=0,
        high=1,
        status="sourced",
        source="Magnificent 7 ~33% of the S&P 500 at the start of 2025 (S&P DJI / DataTrek); 34% Oct-Dec 2025 (Schwab)",
    ),
    _P(
        "market",
        "contagion",
        "scalar",
        0.25,
        "fraction",
        "Share of an AI crash's log size that hits the rest of the market too.",
        low=0,
        high=2,
        source="guess",
    ),
    _P(
        "market",
        "expected_revenue_growth",
        "scalar",
        0.6,
        "1/year (fraction)",
        "AI revenue growth priced into the AI index; revenue above it lifts the index, below it sinks it.",
        low=-0.95,
        high=100,
        source="guess; Bain 2025 sees ~$1.2T by 2030 against $2T needed",
    ),
    _P(
        "market",
        "revenue_beta",
        "scalar",
        0.25,
        "-",
        "AI-index log return per unit of log AI-revenue surprise.",
        low=0,
        high=10,
        source="guess",
    ),
    _P(
        "market",
        "capex_beta",
        "scalar",
        0.4,
        "-",
        "AI-index log return per unit of log capex cut against plan (accelerator makers' revenue is the capex).",
        low=0,
        high=10,
        source="guess; Nvidia data-centre revenue $47.5B (FY24) -> $115.2B (FY25) -> $193.7B (FY26) tracks hyperscaler capex",
    ),
    _P(
        "market",
        "compute_beta",
        "scalar",
        0.1,
        "-",
        "AI-index log return per unit of log GPU-demand change caused by efficiency shocks.",
        low=0,
        high=10,
        source="guess; anchor: Nvidia -16.97% on 27 Jan 2025 (market data as reported)",
    ),
    _P(
        "market",
        "initial_overvaluation",
        "scalar",
        0.3,
        "log",
        "Bubble component b at the start (log of price over fundamental value).",
        low=-5,
        high=5,
        source="guess anchored on Shiller CAPE ~40.7 (Dec 2025) vs ~44 at the 2000 peak; Nasdaq-100 fwd P/E 27.4 vs median 21.9 (ln 1.25 = 0.22)",
    ),
    _P(
        "market",
        "crash_size",
        "scalar",
        0.25,
        "fraction",
        "Typical fall kappa of the AI index in a crash: log jump mean ln(1 - kappa).",
        low=0,
        high=0.99,
        source="guess; anchors: Nvidia -17% in a day (27 Jan 2025), NASDAQ -77.9% over 2000-02",
    ),
    _P(
        "market",
        "crash_size_volatility",
        "scalar",
        0.10,
        "log",
        "Standard deviation of a crash's log size.",
        low=0,
        high=5,
        source="guess",
    ),
    _P(
        "market",
        "hazard_base",
        "scalar",
        0.03,
        "1/year",
        "Crash hazard h0 with fundamentals at target.",
        low=0,
        high=1000,
        source="guess; ~1 correction every 2-3 years in the S&P 500 base rate (Hulbert 2023)",
    ),
    _P(
        "market",
        "hazard_bubble",
        "scalar",
        0.5,
        "1/year",
        "Hazard h1 per unit of overvaluation max(b, 0)^q.",
        low=0,
        high=1000,
        source="guess",
    ),
    _P(
        "market",
        "hazard_bubble_power",
        "scalar",
        2.0,
        "-",
        "Power q on overvaluation in the hazard.",
        low=0,
        low_open=True,
        high=10,
        source="guess",
    ),
    _P(
        "market",
        "hazard_coverage",
        "scalar",
        0.08,
        "1/year",
        "Hazard h2 per unit of coverage gap ln(G*/G).",
        low=0,
        high=1000,
        source="guess",
    ),
    _P(
        "market",
        "hazard_stress",
        "scalar",
        0.5,
        "1/year",
        "Hazard h3 at full funding stress.",
        low=0,
        high=1000,
        source="guess",
    ),
    _P(
        "market",
        "bubble_compensation",
        "bool",
        True,
        "-",
        "JLS pricing: between crashes the bubble drifts up by kappa_bar x hazard, so hazard is compensated.",
        status="setting",
        source="Johansen, Ledoit & Sornette (2000)",
    ),
    # ------------------------------------------------------------------ [correction]
    _P(
        "correction",
        "thresholds",
        "thresholds",
        [0.10, 0.20],
        "fraction",
        "Drawdowns counted as a correction (10%) and a bear market (20%).",
        status="sourced",
        source="market convention; base rates: 55 declines of 10%+ since 1928, 21 past 20% (Hulbert 2023)",
    ),
)

SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(p.section for p in PARAMETERS)) + ("correlations",)
TOP_LEVEL_KEYS: tuple[str, ...] = ("extends",)
CORRELATION_KEYS: tuple[str, ...] = ("variables", "matrix", "source")


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
