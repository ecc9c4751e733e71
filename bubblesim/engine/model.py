"""The equations of bubblesim: pure, vectorized functions of (parameters, shocks) -> paths.

Nothing here does I/O or draws random numbers; the equations themselves are in
:mod:`bubblesim.engine.channels`, one class per section of ``docs/model.md``, and
:mod:`bubblesim.engine.reference` repeats them for one path in plain Python, as the readable spec
and test oracle. Parameters are arrays over paths; state paths are time-major, shape
``(n_steps + 1, n_paths)``, so that each step reads and writes contiguous rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
from scipy import special

from .channels import (
    INDEX_START,
    BroadMarket,
    CapexCoverage,
    DemandPrice,
    HazardIndex,
    LabFunding,
    Now,
    PathState,
)
from .poisson import POISSON_SUM_LIMIT, poisson_from_uniform, poisson_pmf
from .shocks import Shocks

__all__ = [
    "ModelOptions",
    "run_model",
    "run_model_into",
    "poisson_from_uniform",
    "price_shock_median",
    "price_shock_median_of",
    "STATE_VARIABLES",
    "INDEX_START",
    "POISSON_SUM_LIMIT",
]

#: State variables recorded at every grid point: name -> (unit, description).
STATE_VARIABLES: dict[str, tuple[str, str]] = {
    "ai_index": ("index, start = 100", "AI index (the boom's leading stocks)"),
    "market": ("index, start = 100", "Broad market (S&P 500-like)"),
    "ai_revenue": ("US$ bn/year", "AI revenue run-rate R"),
    "required_revenue": ("US$ bn/year", "Required revenue R*"),
    "coverage": ("ratio", "Coverage G = R / R*"),
    "capex": ("US$ bn/year", "Realized AI capex I"),
    "capital_stock": ("US$ bn", "AI capital stock K"),
    "lab_burn": ("US$ bn/year", "Labs' cash burn"),
    "lab_cash": ("US$ bn", "Labs' cash"),
    "funding_stress": ("0-1", "Funding stress S"),
    "compute_demand": ("index, start = 100", "GPU (compute) demand D"),
    "demand_growth": ("1/year (fraction)", "Growth of demand at constant price"),
    "llm_price": ("index, start = 100", "Price of equal capability p"),
    "overvaluation": ("log", "Bubble component b"),
    "crash_hazard": ("1/year", "Crash hazard h"),
    "crash_count": ("crashes", "Cumulative AI crashes"),
    "lab_failed": ("0/1", "The lab has run out of cash (stays 1 once it has)"),
    "funding_pool": ("US$ bn", "Funding the lab could still raise now"),
    "funding_window": ("0-1", "Funding window W: sought rounds close at round_rate x W"),
    "market_regime": (
        "0/1",
        "Market regime: 1 turbulent, 0 calm (always 0 without [market] regime)",
    ),
}


@dataclass(frozen=True)
class ModelOptions:
    """Switches of the model that are not numbers.

    feedback : bool
        False makes the AI index a Merton jump-diffusion with constant hazard ``hazard_base``.
    bubble_compensation : bool
        JLS drift ``kappa_bar * h`` on the bubble component between crashes: the whole crash
        hazard, which investors can see, is priced (only with feedback).
    required_revenue_rule : str
        ``"capital_recovery"`` or ``"cahn"``.
    regime : str
        ``"none"`` or ``"markov"`` (calm and turbulent drift and volatility).
    """

    feedback: bool = True
    bubble_compensation: bool = True
    required_revenue_rule: str = "capital_recovery"
    regime: str = "none"


DEFAULT_OPTIONS = ModelOptions()

#: Most safeguarded Newton steps for :func:`price_shock_median` (it stops when it has converged).
MEDIAN_BISECTIONS = 200

#: Rows of distinct parameters solved at once by :func:`price_shock_median` (bounds memory).
MEDIAN_CHUNK = 1024


def price_shock_median(
    war_rate: np.ndarray,
    war_log_drop: np.ndarray,
    efficiency_rate: np.ndarray,
    efficiency_log_drop: np.ndarray,
    volatility: np.ndarray,
) -> np.ndarray:
    """Median of one year of the price's shocks, ``s_p W_1 + a N_war + c N_eff``.

    ``N_war ~ Poisson(war_rate)`` and ``N_eff ~ Poisson(efficiency_rate)`` are the year's event
    counts (a year of monthly Poisson steps is exactly Poisson over the year), ``a`` and ``c``
    their log price moves. The engine subtracts this from the trend so that the median one-year
    log change of the price is exactly ``-ln(annual_decay)``: the input is the realised decay,
    shocks included, not a trend the shocks add to. Solved by Newton's method, safeguarded by
    bisection, on the mixture CDF ``sum_ij P(i) P(j) Phi((x - a i - c j) / s_p)`` (a step
    function when ``s_p = 0``: the lowest atom where it reaches one half), once per distinct
    parameter row.

    Parameters
    ----------
    war_rate, war_log_drop, efficiency_rate, efficiency_log_drop, volatility : ndarray
        Broadcastable arrays (per path); rates per year, drops in logs (<= 0 for falls).

    Returns
    -------
    ndarray
        The median, broadcast shape of the inputs.
    """
    arrays = np.broadcast_arrays(
        *(
            np.asarray(a, dtype=float)
            for a in (war_rate, war_log_drop, efficiency_rate, efficiency_log_drop, volatility)
        )
    )
    shape = arrays[0].shape
    if all((a == a.flat[0]).all() for a in arrays if a.size):  # one row for every path
        return np.full(shape, _mixture_median(*(np.array([a.flat[0]]) for a in arrays))[0])
    rows = np.stack([a.ravel() for a in arrays], axis=1)
    unique, inverse = np.unique(rows, axis=0, return_inverse=True)
    medians = np.empty(len(unique))
    for start in range(0, len(unique), MEDIAN_CHUNK):
        chunk = unique[start : start + MEDIAN_CHUNK]
        medians[start : start + MEDIAN_CHUNK] = _mixture_median(*chunk.T)
    return medians[np.ravel(inverse)].reshape(shape)


def _mixture_median(lam_a, a, lam_c, c, s):
    top = max(float(lam_a.max()), float(lam_c.max()))
    n = np.arange(int(np.ceil(top + 12.0 * np.sqrt(top) + 25.0)) + 1)
    pa = poisson_pmf(n[None, :], lam_a[:, None])
    pc = poisson_pmf(n[None, :], lam_c[:, None])
    weight = (pa[:, :, None] * pc[:, None, :]).reshape(len(s), -1)
    loc = (a[:, None, None] * n[None, :, None] + c[:, None, None] * n[None, None, :]).reshape(
        len(s), -1
    )
    keep = weight.max(axis=0) > 1e-18  # atoms that can move the CDF at double precision
    weight, loc = weight[:, keep], loc[:, keep]
    weight = weight / weight.sum(axis=1, keepdims=True)
    median = np.empty(len(s))
    smooth = s > 1e-100  # below that the CDF is a step function to double precision
    if (~smooth).any():  # a step function: the lowest atom where the CDF reaches one half
        w, x = weight[~smooth], loc[~smooth]
        order = np.argsort(x, axis=1, kind="stable")
        cum = np.cumsum(np.take_along_axis(w, order, axis=1), axis=1)
        first = np.argmax(cum >= 0.5 - 1e-12, axis=1)
        median[~smooth] = np.take_along_axis(x, order, axis=1)[np.arange(len(first)), first]
    if smooth.any():  # Newton on the mixture CDF, kept inside a shrinking bisection bracket
        w, x, sd = weight[smooth], loc[smooth], s[smooth][:, None]
        lo = x.min(axis=1) - 40.0 * sd[:, 0] - 1.0
        hi = x.max(axis=1) + 40.0 * sd[:, 0] + 1.0
        m = (w * x).sum(axis=1)  # start at the mean
        active = np.arange(len(m))
        for _ in range(MEDIAN_BISECTIONS):
            wa, xa, sa, ma = w[active], x[active], sd[active], m[active]
            z = (ma[:, None] - xa) / sa
            f = (wa * special.ndtr(z)).sum(axis=1) - 0.5
            density = (wa * np.exp(-0.5 * z * z)).sum(axis=1) / (np.sqrt(2 * np.pi) * sa[:, 0])
            hi[active] = np.where(f >= 0, ma, hi[active])
            lo[active] = np.where(f < 0, ma, lo[active])
            step = ma - f / np.maximum(density, 1e-300)
            inside = (step > lo[active]) & (step < hi[active])
            new = np.where(inside, step, 0.5 * (lo[active] + hi[active]))
            m[active] = new
            active = active[np.abs(new - ma) > 1e-14 * (1.0 + np.abs(ma))]
            if active.size == 0:
                break
        median[smooth] = m
    return median


def price_shock_median_of(params: Mapping[str, np.ndarray]) -> np.ndarray:
    """:func:`price_shock_median` of the model's price shocks, per path, from its parameters."""
    p = params
    return price_shock_median(
        p["llm_price.price_war_rate"],
        np.log1p(-p["llm_price.price_war_drop"]),
        p["gpu_demand.efficiency_shock_rate"],
        -p["gpu_demand.price_passthrough"] * np.log(p["gpu_demand.efficiency_gain"]),
        p["llm_price.volatility"],
    )


def run_model(
    params: Mapping[str, np.ndarray],
    schedules: Mapping[str, np.ndarray],
    shocks: Shocks,
    dt: float,
    options: ModelOptions = DEFAULT_OPTIONS,
) -> dict[str, np.ndarray]:
    """Simulate the causal chain for a block of paths.

    Parameters
    ----------
    params : mapping
        ``"section.key"`` -> ndarray of shape ``(n_paths,)``: one draw of every scalar assumption.
    schedules : mapping
        ``"capex.plan"`` and ``"cash_burn.plan"`` -> ndarray of shape ``(n_steps + 1,)``, the year
        tables on the grid (US$ bn/year).
    shocks : Shocks
        Arrays of shape ``(n_paths, n_steps)``.
    dt : float
        Step length in years.
    options : ModelOptions

    Returns
    -------
    dict
        Every name of :data:`STATE_VARIABLES` -> ndarray of shape ``(n_steps + 1, n_paths)``
        (time-major: row ``k`` is grid point ``k``).
    """
    n_paths, n_steps = shocks.ai.shape
    steps = {f.name: np.ascontiguousarray(getattr(shocks, f.name).T) for f in fields(shocks)}
    out = {name: np.empty((n_steps + 1, n_paths)) for name in STATE_VARIABLES}
    run_model_into(params, schedules, steps, dt, options, out)
    return out


def run_model_into(
    params: Mapping[str, np.ndarray],
    schedules: Mapping[str, np.ndarray],
    steps: Mapping[str, np.ndarray],
    dt: float,
    options: ModelOptions,
    out: Mapping[str, np.ndarray],
) -> None:
    """:func:`run_model` on shocks already in the loop's layout, writing into ``out``.

    ``steps`` maps each shock kind to a time-major array ``(n_steps, n_paths)``; ``out`` maps every
    state variable to a preallocated ``(n_steps + 1, n_paths)`` array (reused across blocks by the
    engine). ``params`` may carry ``"price.shock_median"``, the per-path result of
    :func:`price_shock_median`, so a caller stepping several blocks as one array solves it per block.
    """
    n_steps, n_paths = steps["ai"].shape
    p = params
    median = p.get("price.shock_median")
    if median is None:
        median = price_shock_median_of(p)
    demand = DemandPrice(p, dt, median)
    capex = CapexCoverage(p, dt, options.required_revenue_rule == "cahn", schedules["capex.plan"])
    lab = LabFunding(p, dt, schedules["cash_burn.plan"], schedules["cash_burn.revenue_plan"])
    index = HazardIndex(p, dt, options.feedback, options.feedback and options.bubble_compensation)
    market = BroadMarket(p, dt, options.regime == "markov", (index.jump_mean, index.jump_sd))

    fb = options.feedback  # the market prices news only when the channels reach it
    st, now = PathState(), Now()
    demand.start(st, p, n_paths)
    capex.start(st, p)
    lab.start(st, p, n_paths)
    index.start(st, n_paths)
    market.start(st, steps, n_paths)

    o = out
    # variables read only for the record: their logs now, one exponential per block at the end
    o_compute, o_growth, o_price = o["compute_demand"], o["demand_growth"], o["llm_price"]
    if not market.markov:
        o["market_regime"].fill(0.0)
    for k in range(n_steps + 1):
        # --- the state at grid point k, channel by channel
        o_price[k] = st.ln_price
        demand.observe(st, now, k, o["ai_revenue"][k])
        capex.observe_coverage(st, now, o["required_revenue"][k], o["coverage"][k])
        lab.observe(st, now, k)
        o["funding_stress"][k] = now.stress
        o["lab_burn"][k] = now.burn
        index.observe_hazard(st, now)
        o["crash_hazard"][k] = now.hazard
        capex.observe_capex(st, now, k, o["capex"][k])
        index.observe_index(st, now, o["ai_index"][k])
        lab.observe_window(st, now, now.ai_index, odds=fb)
        index.price_odds(st, now)
        market.observe(st, now, o["market"][k])
        o["capital_stock"][k] = st.capital
        o["lab_cash"][k] = st.cash
        o_compute[k] = (st.ln_usage + st.ln_eff) + demand.log_saturation(st, k)
        o_growth[k] = st.growth
        o["overvaluation"][k] = st.bubble
        o["crash_count"][k] = st.crashes
        o["lab_failed"][k] = st.failed
        o["funding_pool"][k] = st.pool
        o["funding_window"][k] = now.window
        if market.markov:
            o["market_regime"][k] = st.turbulent
        if k == n_steps:
            break

        # --- advance from k to k + 1, in the order the channels feed each other
        drift_ai, noise_ai = market.ai_diffusion(st)
        if fb:
            demand.expect(st, now, k)
            index.expect(now, st, drift_ai, noise_ai)
        demand.advance(st, now, steps, k)
        capex.advance(st, now)
        lab.advance(st, now, steps, k, expect=fb)
        if fb:
            capex.expect(st, now)
        index.advance_crashes(st, now, steps, k)
        index.advance_fundamental(st, now, steps["ai"][k], drift_ai, noise_ai)
        market.advance(st, now, steps, k, n_steps)
    # the record-only variables, from their logs, once for the whole block
    np.exp(o_price, out=o_price)
    o_price *= INDEX_START
    np.exp(o_compute, out=o_compute)
    o_compute *= INDEX_START
    np.expm1(o_growth, out=o_growth)
