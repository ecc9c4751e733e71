"""The ``[gpu_demand]`` section: GPU (compute) demand growth, efficiency shocks and Jevons rebound.

Each entry is a :class:`~bubblesim.scenario.schema.declaration.Param` without its section name,
which this table supplies; :mod:`bubblesim.scenario.schema` joins the tables in file order.
"""

from __future__ import annotations

from .declaration import Param, declarer

SECTION = "gpu_demand"
_P = declarer(SECTION)

PARAMETERS: tuple[Param, ...] = (
    _P(
        "initial_growth",
        "scalar",
        3.2,
        "1/year (fraction)",
        "Current growth of end-user demand for AI compute at constant price and efficiency (1.5 = +150% a year).",
        low=-0.95,
        high=100,
        source="derived: 2025 AI revenue growth of 3.2-3.5x (Menlo Ventures Dec 2025: enterprise $11.5B -> $37B; The Information: OpenAI $3.7B -> ~$13B), midpoint ln 3.35 = 1.21 a year, plus (1 - e) x the mean log price fall at the baseline (0.1 x ln 10.7 = 0.24 at e = 0.9): ln(1 + g0) = 1.45, g0 = 3.2",
    ),
    _P(
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
        "price_passthrough",
        "scalar",
        0.3,
        "fraction",
        "Share of an efficiency shock passed on to the price of capability.",
        low=0,
        high=1,
        source="guess",
    ),
)
