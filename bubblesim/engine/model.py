"""The equations of bubblesim: pure, vectorized functions of (parameters, shocks) -> paths.

Nothing here does I/O or draws random numbers; ``docs/model.md`` states every equation and
:mod:`bubblesim.reference` repeats them for one path in plain Python, as the readable spec and
test oracle. Parameters are arrays over paths; state paths are time-major, shape
``(n_steps + 1, n_paths)``, so that each step reads and writes contiguous rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
from scipy import special, stats

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
]

#: Level of the AI index, the rest of the market and the broad market at the start.
INDEX_START = 100.0

#: Poisson means up to this are inverted by summing the pmf; larger ones use scipy's exact inverse CDF.
POISSON_SUM_LIMIT = 30.0

#: State variables recorded at every grid point: name -> (unit, description).
STATE_VARIABLES: dict[str, tuple[str, str]] = {
    "ai_index": ("index, start = 100", "AI index (Magnificent 7 and AI leaders)"),
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
        JLS drift ``kappa_bar * h1 * max(b, 0)^q`` on the bubble component between crashes: the
        herding part of the hazard is priced, the fundamental part is not (only with feedback).
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
    pa = stats.poisson.pmf(n[None, :], lam_a[:, None])
    pc = stats.poisson.pmf(n[None, :], lam_c[:, None])
    weight = (pa[:, :, None] * pc[:, None, :]).reshape(len(s), -1)
    loc = (a[:, None, None] * n[None, :, None] + c[:, None, None] * n[None, None, :]).reshape(
        len(s), -1
    )
    keep = weight.max(axis=0) > 1e-18  # atoms that can move the CDF at double precision
    weight, loc = weight[:, keep], loc[:, keep]
    weight = weight / weight.sum(axis=1, keepdims=True)
    median = np.empty(len(s))
    smooth = s > 0
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


def poisson_from_uniform(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson counts by inversion of the CDF: the smallest ``n`` with ``u <= F(n; mean)``.

    Monotone in ``mean`` for fixed ``u``, so common uniforms couple scenarios path by path. Means up
    to :data:`POISSON_SUM_LIMIT` sum the pmf term by term; larger means use
    ``scipy.stats.poisson.ppf``, which is exact too. The means here are mostly far below 1, so
    nearly every count is 0: as ``exp(-mean) >= 1 - mean``, only paths with ``u`` above
    ``1 - mean`` (less a rounding margin) can have an event, and the exact inversion runs on
    those alone.

    Parameters
    ----------
    u : ndarray
        Uniforms in (0, 1).
    mean : ndarray
        Poisson means (broadcast with ``u``), >= 0.
    """
    u, mean = np.broadcast_arrays(np.asarray(u, float), np.asarray(mean, float))
    count = np.zeros(u.shape)
    if u.size == 0:
        return count
    large = (mean > POISSON_SUM_LIMIT) if mean.max() > POISSON_SUM_LIMIT else None
    flat_u, flat_mean = u.ravel(), mean.ravel()
    maybe = np.flatnonzero(u > (1.0 - mean) - 1e-12)
    if large is not None:
        maybe = maybe[~large.ravel()[maybe]]
    uu, mm = flat_u[maybe], flat_mean[maybe]
    pmf = np.exp(-mm)
    cdf = pmf.copy()
    event = uu > cdf
    where, uu, mm, pmf, cdf = maybe[event], uu[event], mm[event], pmf[event], cdf[event]
    n = np.ones(where.size)
    k = 0
    while where.size:
        k += 1
        pmf = pmf * mm / k
        cdf = cdf + pmf
        more = uu > cdf
        if not more.any() or k > 4 * POISSON_SUM_LIMIT + 100:  # or stuck below u by rounding
            break
        n += more
    count.ravel()[where] = n
    if large is not None:
        count[large] = stats.poisson.ppf(u[large], mean[large])
    return count


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
    sqdt = np.sqrt(dt)
    fb = options.feedback
    comp = options.feedback and options.bubble_compensation
    cahn = options.required_revenue_rule == "cahn"
    p = params

    # demand
    g_long = np.log1p(p["gpu_demand.long_run_growth"])
    theta = p["gpu_demand.mean_reversion"]
    s_g = p["gpu_demand.growth_volatility"]
    s_q = p["gpu_demand.volatility"]
    ou_decay = np.exp(-theta * dt)
    ou_sd = np.sqrt(
        np.where(theta > 0, -np.expm1(-2 * theta * dt) / (2 * np.where(theta > 0, theta, 1.0)), dt)
    )
    growth_noise = s_g * ou_sd
    lam_eff = p["gpu_demand.efficiency_shock_rate"]
    ln_gain = np.log(p["gpu_demand.efficiency_gain"])
    jevons = p["gpu_demand.jevons"]
    passthrough = p["gpu_demand.price_passthrough"]
    # price and revenue
    ln_decay = np.log(p["llm_price.annual_decay"])
    s_p = p["llm_price.volatility"]
    elasticity = p["llm_price.elasticity"]
    lam_pw = p["llm_price.price_war_rate"]
    ln_pw = np.log1p(-p["llm_price.price_war_drop"])
    revenue0 = p["llm_price.initial_revenue"]
    eff_price = -passthrough * ln_gain  # log price move of one efficiency shock
    # the trend is net of the shocks: the median one-year log change is -ln(annual_decay)
    median = p.get("price.shock_median")
    if median is None:
        median = price_shock_median_of(p)
    price_trend = -ln_decay - median
    # expected log price change per year (trend plus the jumps' mean)
    price_mean = price_trend + lam_pw * ln_pw + lam_eff * eff_price
    # compute demand moved by one efficiency shock: eta cut net of Jevons, plus price response
    eff_compute = (-(1.0 - jevons) + elasticity * passthrough) * ln_gain
    eff_cut = -(1.0 - jevons) * ln_gain
    one_minus_e = 1.0 - elasticity
    trend_dt = price_trend * dt
    price_noise = s_p * sqdt
    usage_noise = s_q * sqdt
    price_mean_dt = price_mean * dt
    lam_eff_dt = lam_eff * dt
    # capex
    plan_scale = p["capex.plan_scale"]
    life = p["capex.useful_life"]
    rate = p["capex.cost_of_capital"]
    margin = p["capex.margin"]
    gross_margin = p["capex.gross_margin"]
    target = p["capex.coverage_target"]
    c_gap = p["capex.discipline_gap"]
    c_stress = p["capex.discipline_stress"]
    decay_k = np.exp(-dt / life)
    recovery = 1.0 / life + rate
    stock_share = 1.0 - decay_k
    # cash
    burn_scale = p["cash_burn.burn_scale"]
    rev_share = p["cash_burn.revenue_share"]
    burn_cut = p["cash_burn.stress_burn_cut"]
    ln_failure = np.log1p(-p["cash_burn.failure_drop"])
    raise_months = p["cash_burn.raise_runway_months"]
    stress_months = p["cash_burn.stress_runway_months"]
    round_rate = p["cash_burn.round_rate"]
    round_years = p["cash_burn.round_size_years"]
    pool_size = p["cash_burn.investor_pool"] * p["cash_burn.pool_share"]
    pool_cut = p["cash_burn.pool_stress_cut"]
    window_sens = p["cash_burn.window_sensitivity"]
    # market
    mu_ai = p["market.ai_drift"]
    s_ai = p["market.ai_volatility"]
    mu_rest = p["market.rest_drift"]
    s_rest = p["market.rest_volatility"]
    rho = p["market.correlation"]
    rho_rest = np.sqrt(1.0 - rho**2)
    weight = p["market.mag7_weight"]
    contagion = p["market.contagion"]
    drag = p["market.valuation_drag"]
    rest_b0 = p["market.rest_overvaluation"]
    rest_priced = bool(np.any(rest_b0 != 0.0))  # the rest's valuation drag (0 when not overvalued)
    beta_rev = p["market.revenue_beta"]
    beta_compute = p["market.compute_beta"]
    beta_capex = p["market.capex_beta"]
    b0 = p["market.initial_overvaluation"]
    jump_mean = np.log1p(-p["market.crash_size"])
    jump_sd = p["market.crash_size_volatility"]
    kappa_bar = -np.expm1(jump_mean + 0.5 * jump_sd**2)
    # the rest's drift includes contagion: compensate E[exp(contagion * J)] per crash
    kappa_rest = -np.expm1(contagion * jump_mean + 0.5 * (contagion * jump_sd) ** 2)
    # market regime (volatility clustering): calm and turbulent drift and volatility
    markov = options.regime == "markov"
    leave_calm = -np.expm1(-p["market.calm_exit_rate"] * dt)
    leave_turb = -np.expm1(-p["market.turbulent_exit_rate"] * dt)
    turb_share = leave_calm / (leave_calm + leave_turb)  # stationary probability of turbulence
    mu_rest_t = p["market.rest_turbulent_drift"]
    s_rest_t = p["market.rest_turbulent_volatility"]
    mu_ai_t = p["market.ai_turbulent_drift"]
    s_ai_t = p["market.ai_turbulent_volatility"]
    h0 = p["market.hazard_base"]
    h1 = p["market.hazard_bubble"]
    q = p["market.hazard_bubble_power"]
    if (q == q[0]).all():  # one power for every path: a scalar exponent (2 is a plain square)
        q = float(q[0])
    h2 = p["market.hazard_coverage"]
    h3 = p["market.hazard_stress"]
    # the AI index's log drift and volatility per step, calm and turbulent
    ai_drift_dt = (mu_ai - 0.5 * s_ai**2) * dt
    ai_noise = s_ai * sqdt
    ai_drift_dt_t = (mu_ai_t - 0.5 * s_ai_t**2) * dt
    ai_noise_t = s_ai_t * sqdt

    capex_plan = schedules["capex.plan"]
    burn_plan = schedules["cash_burn.plan"]
    revenue_plan = schedules["cash_burn.revenue_plan"]

    # state at k = 0
    growth = np.log1p(p["gpu_demand.initial_growth"]).astype(float)
    ln_price = np.zeros(n_paths)
    ln_usage = np.zeros(n_paths)
    ln_eff = np.zeros(n_paths)  # compute per unit of capability
    capital = p["capex.initial_stock"].astype(float)
    cash = p["cash_burn.initial_cash"].astype(float)
    failed = np.zeros(n_paths, dtype=bool)
    pool = pool_size.astype(float)  # funding the lab can still raise
    fundamental = np.zeros(n_paths)
    bubble = b0.astype(float)
    ln_rest = np.full(n_paths, np.log(INDEX_START))
    ai_peak = np.full(n_paths, INDEX_START)
    crashes = np.zeros(n_paths)
    prev_capex = plan_scale * capex_plan[0]
    gap0 = None
    prev_cut = None

    sh = steps
    # the regime at k = 0 is drawn from the chain's stationary distribution
    turbulent = (sh["regime"][0] < turb_share) if markov else None
    o_ai, o_market, o_revenue = out["ai_index"], out["market"], out["ai_revenue"]
    o_required, o_coverage, o_capex = out["required_revenue"], out["coverage"], out["capex"]
    o_capital, o_burn, o_cash = out["capital_stock"], out["lab_burn"], out["lab_cash"]
    o_stress, o_hazard, o_crashes = out["funding_stress"], out["crash_hazard"], out["crash_count"]
    o_bubble, o_failed, o_pool = out["overvaluation"], out["lab_failed"], out["funding_pool"]
    # variables read only for the record: their logs now, one exponential per block at the end
    o_compute, o_growth, o_price = out["compute_demand"], out["demand_growth"], out["llm_price"]
    if not markov:
        out["market_regime"].fill(0.0)
    for k in range(n_steps + 1):
        t = k * dt
        o_price[k] = ln_price
        revenue = np.exp(ln_price + ln_usage, out=o_revenue[k])
        revenue *= revenue0
        rest = np.exp(ln_rest)
        # required revenue and coverage
        if cahn:
            required = prev_capex / (1.0 - gross_margin)
        else:
            required = capital * recovery / margin
        required = np.maximum(required, 1e-9, out=o_required[k])
        coverage = np.divide(revenue, required, out=o_coverage[k])
        gap = np.log(target / coverage)
        np.maximum(gap, 0.0, out=gap)
        if gap0 is None:
            gap0 = gap
        # lab cash and funding stress: the burn plan assumed the labs' own revenue plan
        planned = burn_scale * burn_plan[k] + gross_margin * (revenue_plan[k] - rev_share * revenue)
        wants = planned > 0
        runway = np.where(wants, 12.0 * cash / np.where(wants, planned, 1.0), np.inf)
        stress = np.clip(1.0 - runway / stress_months, 0.0, 1.0)
        stress[cash <= 0] = 1.0
        stress[~wants] = 0.0
        o_stress[k] = stress
        # a stressed lab cuts its burn; a lab that has run out of cash spends only what it earns
        burn = np.where(failed, np.minimum(planned, 0.0), planned * (1.0 - burn_cut * stress))
        o_burn[k] = burn
        # crash hazard and realized capex
        if fb:
            herding = h1 * np.maximum(bubble, 0.0) ** q
            hazard = h0 + (herding + h2 * gap + h3 * stress)
        else:
            hazard = h0
        o_hazard[k] = hazard
        capex_cut = c_gap * np.maximum(0.0, gap - gap0) + c_stress * stress  # log cut vs plan
        capex = np.exp(-capex_cut, out=o_capex[k])
        capex *= plan_scale * capex_plan[k]
        # capex news is priced when it is known (same step), not one step later
        if fb and prev_cut is not None:
            fundamental = fundamental - beta_capex * (capex_cut - prev_cut)
        prev_cut = capex_cut
        ai_index = np.exp(fundamental + bubble - b0, out=o_ai[k])
        ai_index *= INDEX_START
        np.maximum(ai_peak, ai_index, out=ai_peak)

        np.add(weight * ai_index, (1.0 - weight) * rest, out=o_market[k])
        o_capital[k] = capital
        o_cash[k] = cash
        o_compute[k] = ln_usage + ln_eff
        o_growth[k] = growth
        o_bubble[k] = bubble
        o_crashes[k] = crashes
        o_failed[k] = failed
        o_pool[k] = pool
        if markov:
            out["market_regime"][k] = turbulent
        if k == n_steps:
            break

        # --- advance from k to k + 1
        n_eff = poisson_from_uniform(sh["efficiency"][k], lam_eff_dt)
        n_pw = poisson_from_uniform(sh["price_war"][k], lam_pw * dt)
        z_usage = usage_noise * sh["usage"][k]
        d_ln_price = trend_dt + price_noise * sh["price"][k] + ln_pw * n_pw + eff_price * n_eff
        d_ln_usage = growth * dt - elasticity * d_ln_price + z_usage
        # revenue surprise against what the model itself expects given the state (mean zero)
        revenue_surprise = one_minus_e * (d_ln_price - price_mean_dt) + z_usage
        # compute needed per unit of capability: cut by the gain, less what Jevons wins back
        d_ln_eff = eff_cut * n_eff
        compute_surprise = eff_compute * (n_eff - lam_eff_dt)
        # exact Ornstein-Uhlenbeck transition (stable for any theta * dt)
        growth = g_long + (growth - g_long) * ou_decay + growth_noise * sh["demand_growth"][k]
        ln_price = ln_price + d_ln_price
        ln_usage = ln_usage + d_ln_usage
        ln_eff = ln_eff + d_ln_eff

        capital = capital * decay_k + capex * life * stock_share

        drawdown_ai = 1.0 - ai_index / ai_peak
        window = np.exp(-window_sens * drawdown_ai)
        seeking = wants & ~failed & (runway < raise_months)
        closes = seeking & (sh["funding"][k] < -np.expm1(-round_rate * window * dt))
        raised = np.where(closes, np.minimum(round_years * planned, pool), 0.0)
        # the pool refills over the year, slower under stress; what it holds shrinks with the window
        pool = np.minimum(
            pool - raised + pool_size * window * (1.0 - pool_cut * stress) * dt, pool_size * window
        )
        cash = cash - burn * dt + raised
        # the lab runs out of cash: it fails once, cash is floored at zero
        fails = cash < 0
        cash = np.maximum(cash, 0.0)
        failed = failed | fails
        prev_capex = capex

        n_crash = poisson_from_uniform(sh["crash"][k], hazard * dt)
        jump = np.zeros(n_paths)  # crashes are rare: their sizes only where there is one
        hit = np.flatnonzero(n_crash)
        if hit.size:
            c = n_crash[hit]
            jump[hit] = c * jump_mean[hit] + np.sqrt(c) * jump_sd[hit] * sh["crash_size"][k][hit]
        crashes = crashes + n_crash
        if fb:
            drift = (kappa_bar * herding - drag * bubble) if comp else (0.0 - drag * bubble)
            bubble = bubble + drift * dt + jump + ln_failure * fails
        else:
            bubble = bubble + jump
        if markov:
            tb = turbulent
            drift_ai = np.where(tb, ai_drift_dt_t, ai_drift_dt)
            noise_ai = np.where(tb, ai_noise_t, ai_noise)
            m_rest = np.where(tb, mu_rest_t, mu_rest)
            v_rest = np.where(tb, s_rest_t, s_rest)
        else:
            drift_ai, noise_ai, m_rest, v_rest = ai_drift_dt, ai_noise, mu_rest, s_rest
        fundamental = fundamental + drift_ai + noise_ai * sh["ai"][k]
        if fb:
            fundamental = (
                fundamental + beta_rev * revenue_surprise + beta_compute * compute_surprise
            )
        if rest_priced:
            m_rest = m_rest - drag * (rest_b0 * np.exp(-drag * t))
        ln_rest = (
            ln_rest
            + (m_rest + kappa_rest * hazard - 0.5 * v_rest**2) * dt
            + v_rest * sqdt * (rho * sh["ai"][k] + rho_rest * sh["rest"][k])
            + contagion * jump
        )
        if markov and k + 1 < n_steps:  # the regime for the next step
            u = sh["regime"][k + 1]
            turbulent = np.where(turbulent, u >= leave_turb, u < leave_calm)
    # the record-only variables, from their logs, once for the whole block
    np.exp(o_price, out=o_price)
    o_price *= INDEX_START
    np.exp(o_compute, out=o_compute)
    o_compute *= INDEX_START
    np.expm1(o_growth, out=o_growth)
