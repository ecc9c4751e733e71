"""The model's equations for one path, in plain Python: the readable specification.

Slow and obvious on purpose. ``tests/engine/test_reference.py`` feeds this and
:func:`bubblesim.engine.model.run_model` the same shocks and requires agreement to 1e-10, so the
vectorized engine can be optimised freely while this file stays the statement of the model
(see ``docs/model.md`` for the same equations in mathematical notation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .model import DEFAULT_OPTIONS, INDEX_START, POISSON_SUM_LIMIT, STATE_VARIABLES, ModelOptions
from .poisson import poisson_ppf

__all__ = ["reference_path", "poisson_inverse"]


def poisson_inverse(u: float, mean: float) -> int:
    """The smallest ``n`` with ``u <= F(n; mean)`` (inverse of the Poisson CDF)."""
    if mean > POISSON_SUM_LIMIT:
        return int(poisson_ppf(u, mean))
    pmf = math.exp(-mean)
    cdf = pmf
    n = 0
    while u > cdf and n <= 4 * POISSON_SUM_LIMIT + 100:
        n += 1
        pmf = pmf * mean / n
        cdf += pmf
    return n


def shock_median(war_rate, war_log_drop, eff_rate, eff_log_drop, volatility) -> float:
    """Median of one year of the price's shocks ``s W_1 + a N_war + c N_eff``, by bisection."""

    def pmf(n, lam):
        return math.exp(-lam) * lam**n / math.factorial(n) if lam > 0 else float(n == 0)

    top = max(war_rate, eff_rate)
    n_max = int(math.ceil(top + 12 * math.sqrt(top) + 25))
    atoms = [
        (pmf(i, war_rate) * pmf(j, eff_rate), war_log_drop * i + eff_log_drop * j)
        for i in range(n_max + 1)
        for j in range(n_max + 1)
    ]
    atoms = [(w, x) for w, x in atoms if w > 1e-300]
    total = sum(w for w, _ in atoms)

    def cdf(x):
        if volatility > 0:
            return sum(
                w * 0.5 * math.erfc(-(x - a) / (volatility * math.sqrt(2))) for w, a in atoms
            )
        return sum(w for w, a in atoms if a <= x)

    lo = min(a for _, a in atoms) - 40 * volatility - 1
    hi = max(a for _, a in atoms) + 40 * volatility + 1
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        if cdf(mid) / total >= 0.5:
            hi = mid
        else:
            lo = mid
    return hi


def reference_path(
    params: Mapping[str, float],
    schedules: Mapping[str, Sequence[float]],
    shocks: Mapping[str, Sequence[float]],
    dt: float,
    options: ModelOptions = DEFAULT_OPTIONS,
) -> dict[str, list[float]]:
    """Simulate one path.

    Parameters
    ----------
    params : mapping
        ``"section.key"`` -> float.
    schedules : mapping
        ``"capex.plan"``, ``"cash_burn.plan"`` -> ``n_steps + 1`` floats.
    shocks : mapping
        Shock name (see :class:`bubblesim.shocks.Shocks`) -> ``n_steps`` floats.
    dt : float
        Step length in years.

    Returns
    -------
    dict
        State variable -> list of ``n_steps + 1`` floats.
    """
    P = params
    n_steps = len(shocks["ai"])
    fb = 1.0 if options.feedback else 0.0
    comp = 1.0 if (options.feedback and options.bubble_compensation) else 0.0
    elasticity = P["llm_price.elasticity"]
    theta = P["gpu_demand.mean_reversion"]
    g_long = math.log(1 + P["gpu_demand.long_run_growth"])

    # --- state at the start
    # unbounded revenue R_u starts where R_u / (1 + R_u / C_0) is initial_revenue
    start_share = min(P["llm_price.initial_revenue"] / P["llm_price.revenue_ceiling"], 1 - 1e-9)
    revenue_start = P["llm_price.initial_revenue"] / (1 - start_share)
    growth = math.log(1 + P["gpu_demand.initial_growth"])  # log growth rate of demand g
    ln_price = 0.0  # log price of equal capability, relative to the start
    ln_usage = 0.0  # log usage, relative to the start
    ln_eff = 0.0  # log compute needed per unit of capability
    capital = P["capex.initial_stock"]  # K
    cash = P["cash_burn.initial_cash"]
    failed = False  # the lab has run out of cash
    pool_size = P["cash_burn.investor_pool"] * P["cash_burn.pool_share"]
    pool = pool_size  # funding the lab can still raise
    fundamental = 0.0  # x: fundamental part of the AI index's log level
    bubble = P["market.initial_overvaluation"]  # b
    ln_rest = math.log(INDEX_START)
    window_peak = None  # the AI index's peak as investors remember it (fades toward the index)
    crashes = 0
    prev_capex = P["capex.plan_scale"] * schedules["capex.plan"][0]
    gap0 = None
    expected_cut = None  # what the market expected of this step's capex cut, a step earlier
    odds_level = odds_level0 = None  # ln(1 - failure_drop) x the market's odds of a failure

    jump_mean = math.log(1 - P["market.crash_size"])
    jump_sd = P["market.crash_size_volatility"]
    kappa_bar = 1 - math.exp(jump_mean + 0.5 * jump_sd**2)
    c = P["market.contagion"]
    kappa_rest = 1 - math.exp(c * jump_mean + 0.5 * (c * jump_sd) ** 2)
    ln_gain = math.log(P["gpu_demand.efficiency_gain"])
    life = P["capex.useful_life"]
    drag = P["market.valuation_drag"]

    # price: the trend is net of the shocks, so the median one-year fall is annual_decay
    war_drop = math.log(1 - P["llm_price.price_war_drop"])
    eff_drop = -P["gpu_demand.price_passthrough"] * ln_gain
    trend = -math.log(P["llm_price.annual_decay"]) - shock_median(
        P["llm_price.price_war_rate"],
        war_drop,
        P["gpu_demand.efficiency_shock_rate"],
        eff_drop,
        P["llm_price.volatility"],
    )
    price_mean = (
        trend
        + P["llm_price.price_war_rate"] * war_drop
        + P["gpu_demand.efficiency_shock_rate"] * eff_drop
    )

    # market regime: a two-state Markov chain, started from its stationary distribution
    markov = options.regime == "markov"
    leave_calm = 1 - math.exp(-P["market.calm_exit_rate"] * dt)
    leave_turb = 1 - math.exp(-P["market.turbulent_exit_rate"] * dt)
    turbulent = markov and shocks["regime"][0] < leave_calm / (leave_calm + leave_turb)

    def stress_plan(k: int, revenue: float) -> float:
        """Planned burn at grid point k: the plan plus gross margin of the revenue shortfall."""
        return P["cash_burn.burn_scale"] * schedules["cash_burn.plan"][k] + P[
            "capex.gross_margin"
        ] * (schedules["cash_burn.revenue_plan"][k] - P["cash_burn.revenue_share"] * revenue)

    def stress_after(end_cash: float, planned: float) -> float:
        """Stress of a lab ending a step with this cash (before the floor) and this plan."""
        if end_cash < 0 or planned <= 0:  # failed, or nothing to fund
            return 0.0
        if end_cash == 0:
            return 1.0
        runway = 12 * end_cash / planned
        return min(1.0, max(0.0, 1 - runway / P["cash_burn.stress_runway_months"]))

    def failure_odds(end_cash: float, planned: float, rate: float) -> float:
        """The market's chance that the lab fails: no round closes before its cash runs out."""
        if end_cash < 0:
            return 1.0
        if planned <= 0:
            return 0.0
        years = min(end_cash / planned, P["cash_burn.raise_runway_months"] / 12)
        return math.exp(-rate * years)

    out: dict[str, list[float]] = {name: [] for name in STATE_VARIABLES}
    for k in range(n_steps + 1):
        t = k * dt
        # AI revenue saturates below what the economy could pay: R = R_u / (1 + R_u / C)
        unbounded = revenue_start * math.exp(ln_price + ln_usage)
        ceiling = P["llm_price.revenue_ceiling"] * (1 + P["llm_price.ceiling_growth"]) ** t
        revenue = unbounded / (1 + unbounded / ceiling)
        share = revenue / ceiling
        rest = math.exp(ln_rest)

        # required revenue R*: capital recovery, or Cahn's rule on the capex run-rate
        if options.required_revenue_rule == "cahn":
            required = prev_capex / (1 - P["capex.gross_margin"])
        else:
            required = capital * (1 / life + P["capex.cost_of_capital"]) / P["capex.margin"]
        required = max(required, 1e-9)
        coverage = revenue / required
        gap = max(0.0, math.log(P["capex.coverage_target"] / coverage))
        if gap0 is None:
            gap0 = gap

        # labs: the burn plan assumed their own revenue plan; gross margin of a shortfall is burn
        planned = stress_plan(k, revenue)
        runway = 12 * cash / planned if planned > 0 else math.inf
        if planned <= 0 or failed:  # nothing left to fund (a failed lab spends what it earns)
            stress = 0.0
        elif cash <= 0:
            stress = 1.0
        else:
            stress = min(1.0, max(0.0, 1 - runway / P["cash_burn.stress_runway_months"]))
        if failed:
            burn = min(planned, 0.0)  # spends only what it earns
        else:
            burn = planned * (1 - P["cash_burn.stress_burn_cut"] * stress)

        herding = P["market.hazard_bubble"] * max(bubble, 0.0) ** P["market.hazard_bubble_power"]
        hazard = P["market.hazard_base"] + fb * (
            herding
            + P["market.hazard_coverage"] * max(0.0, gap - gap0)
            + P["market.hazard_stress"] * stress
        )
        # capex discipline: cut (in logs) when coverage worsens from the start or funding is stressed
        capex_cut = (
            P["capex.discipline_gap"] * max(0.0, gap - gap0) + P["capex.discipline_stress"] * stress
        )
        capex = P["capex.plan_scale"] * schedules["capex.plan"][k] * math.exp(-capex_cut)
        if expected_cut is not None:  # only the news in the cut moves accelerator makers
            fundamental -= fb * P["market.capex_beta"] * (capex_cut - expected_cut)
        ai_index = INDEX_START * math.exp(fundamental + bubble - P["market.initial_overvaluation"])
        if odds_level is not None:  # with last step's failure odds, as priced then
            ai_index *= math.exp(odds_level - odds_level0)
        # the funding window, from the AI index's drawdown below the peak investors remember
        level = max(ai_index, 1e-300)  # an index that has underflowed to 0 is far down
        if window_peak is None:
            window_peak = level
        else:
            memory = math.exp(-math.log(2) * dt / P["cash_burn.window_memory"])
            window_peak = max(level * (window_peak / level) ** memory, level)
        window = math.exp(-P["cash_burn.window_sensitivity"] * (1 - level / window_peak))
        # the market's odds of a lab failure, priced as a level: ln(1 - failure_drop) x odds
        rate = P["cash_burn.round_rate"] * window
        odds = 1.0 if failed else failure_odds(cash, planned, rate)
        level = fb * math.log(1 - P["cash_burn.failure_drop"]) * odds
        if odds_level0 is None:
            odds_level0 = level  # the odds at the start are in the starting level
        else:
            ai_index *= math.exp(level - odds_level)
        odds_level = level

        w = P["market.mag7_weight"]
        record = {
            "ai_index": ai_index,
            "market": w * ai_index + (1 - w) * rest,
            "ai_revenue": revenue,
            "required_revenue": required,
            "coverage": coverage,
            "capex": capex,
            "capital_stock": capital,
            "lab_burn": burn,
            "lab_cash": cash,
            "funding_stress": stress,
            "compute_demand": INDEX_START * math.exp(ln_usage + ln_eff) * (1 - share),
            "demand_growth": math.exp(growth) - 1,
            "llm_price": INDEX_START * math.exp(ln_price),
            "overvaluation": bubble,
            "crash_hazard": hazard,
            "crash_count": float(crashes),
            "lab_failed": float(failed),
            "funding_pool": pool,
            "funding_window": window,
            "market_regime": float(turbulent),
        }
        for name, value in record.items():
            out[name].append(value)
        if k == n_steps:
            break

        # what the market expects of next step's log revenue (its conditional mean)
        ln_unbounded_next = (
            math.log(revenue_start)
            + ln_price
            + ln_usage
            + growth * dt
            + (1 - elasticity) * price_mean * dt
        )
        ceiling_next = P["llm_price.revenue_ceiling"] * (1 + P["llm_price.ceiling_growth"]) ** (
            t + dt
        )
        ln_revenue_next = ln_unbounded_next - math.log1p(math.exp(ln_unbounded_next) / ceiling_next)

        # --- demand, price and usage
        n_eff = poisson_inverse(shocks["efficiency"][k], P["gpu_demand.efficiency_shock_rate"] * dt)
        n_pw = poisson_inverse(shocks["price_war"][k], P["llm_price.price_war_rate"] * dt)
        d_ln_price = (
            trend * dt
            + P["llm_price.volatility"] * math.sqrt(dt) * shocks["price"][k]
            + war_drop * n_pw
            + eff_drop * n_eff
        )
        usage_noise = P["gpu_demand.volatility"] * math.sqrt(dt) * shocks["usage"][k]
        d_ln_usage = growth * dt - elasticity * d_ln_price + usage_noise
        # what the market did not expect: revenue against its mean given the state
        expected_d_ln_revenue = growth * dt + (1 - elasticity) * price_mean * dt
        # saturation damps it: d ln R = (1 - R / C) d ln R_u to first order
        revenue_surprise = (1 - share) * (d_ln_price + d_ln_usage - expected_d_ln_revenue)
        # Jevons: new uses win back part of the compute that the efficiency gain saves
        d_ln_eff = -(1 - P["gpu_demand.jevons"]) * ln_gain * n_eff
        per_shock = d_ln_eff / n_eff if n_eff else -(1 - P["gpu_demand.jevons"]) * ln_gain
        per_shock += elasticity * P["gpu_demand.price_passthrough"] * ln_gain
        compute_surprise = per_shock * (n_eff - P["gpu_demand.efficiency_shock_rate"] * dt)
        # exact Ornstein-Uhlenbeck transition of the demand growth rate
        ou_sd = (
            math.sqrt(-math.expm1(-2 * theta * dt) / (2 * theta)) if theta > 0 else math.sqrt(dt)
        )
        growth = (
            g_long
            + (growth - g_long) * math.exp(-theta * dt)
            + P["gpu_demand.growth_volatility"] * ou_sd * shocks["demand_growth"][k]
        )
        ln_price += d_ln_price
        ln_usage += d_ln_usage
        ln_eff += d_ln_eff

        # --- capital: exact solution of K' = I - K/L with I held over the step
        decay_k = math.exp(-dt / life)
        capital = capital * decay_k + capex * life * (1 - decay_k)

        # --- funding rounds: the window closes as the AI index falls from its peak
        raised = 0.0
        chance = 1 - math.exp(-P["cash_burn.round_rate"] * window * dt)
        offer = min(P["cash_burn.round_size_years"] * planned, pool)
        seeking = not failed and planned > 0 and runway < P["cash_burn.raise_runway_months"]
        if seeking and shocks["funding"][k] < chance:
            raised = offer
        # what the market expects of next step (stress, failure odds) over whether a round closes,
        # with next step's window at the index's expected log return (the peak fades toward it)
        if turbulent:
            mu_now, s_now = P["market.ai_turbulent_drift"], P["market.ai_turbulent_volatility"]
        else:
            mu_now, s_now = P["market.ai_drift"], P["market.ai_volatility"]
        expected_return = (mu_now - 0.5 * s_now**2) * dt + (
            comp * kappa_bar * hazard - fb * drag * bubble + hazard * jump_mean
        ) * dt
        memory = math.exp(-math.log(2) * dt / P["cash_burn.window_memory"])
        ahead = math.log(max(ai_index, 1e-300) / window_peak) + expected_return
        nodes = [(-math.sqrt(3), 1 / 6), (0.0, 2 / 3), (math.sqrt(3), 1 / 6)]  # Gauss-Hermite

        expected_stress, expected_odds = 0.0, (1.0 if failed else 0.0)
        if not failed:
            planned_next = stress_plan(k + 1, math.exp(ln_revenue_next))
            outcomes = [(chance, cash - burn * dt + offer)] if seeking else []
            outcomes.append((1 - chance if seeking else 1.0, cash - burn * dt))
            for weight, end_cash in outcomes:
                expected_stress += weight * stress_after(end_cash, planned_next)
            # E_k[odds_{k+1}] over whether a round closes and, by a three-point Gauss-Hermite
            # rule, over the index's one-step diffusion noise (the window at k + 1 reads it); the
            # compensation of the odds' expected change lifts that index: one fixed-point step
            ln_failure = math.log(1 - P["cash_burn.failure_drop"])
            lift = 0.0
            for _ in range(2):
                total = 0.0
                for weight, end_cash in outcomes:
                    for z, node_weight in nodes:
                        moved = memory * (ahead + lift + z * s_now * math.sqrt(dt))
                        faded = math.exp(min(moved, 0.0))
                        w_next = math.exp(-P["cash_burn.window_sensitivity"] * (1 - faded))
                        rate_next = P["cash_burn.round_rate"] * w_next
                        total += (
                            weight * node_weight * failure_odds(end_cash, planned_next, rate_next)
                        )
                lift = -ln_failure * (total - odds)
            expected_odds = total
        # the yearly pool refills, slower under stress, up to a year's share
        refill = pool_size * (1 - P["cash_burn.pool_stress_cut"] * stress) * dt
        pool = min(pool - raised + refill, pool_size)
        cash = cash - burn * dt + raised
        fails = cash < 0  # out of cash: the lab fails (once) and cash stays at zero
        if fails:
            cash = 0.0
            failed = True
        prev_capex = capex
        # what the market expects of next step's cut: R* is known, revenue at its mean
        if options.required_revenue_rule == "cahn":
            required_next = capex / (1 - P["capex.gross_margin"])
        else:
            required_next = capital * (1 / life + P["capex.cost_of_capital"]) / P["capex.margin"]
        required_next = max(required_next, 1e-9)
        # the gap's rise is max(0, y - gap_0): its mean over the revenue's normal noise
        rise_mean = math.log(P["capex.coverage_target"] * required_next) - ln_revenue_next - gap0
        revenue_sd = (1 - share) * math.hypot(
            (1 - elasticity) * P["llm_price.volatility"] * math.sqrt(dt),
            P["gpu_demand.volatility"] * math.sqrt(dt),
        )
        if revenue_sd > 0:
            z = rise_mean / revenue_sd
            rise = rise_mean * 0.5 * math.erfc(-z / math.sqrt(2)) + revenue_sd * math.exp(
                -0.5 * z * z
            ) / math.sqrt(2 * math.pi)
        else:
            rise = max(0.0, rise_mean)
        expected_cut = (
            P["capex.discipline_gap"] * rise + P["capex.discipline_stress"] * expected_stress
        )

        # --- crashes, the bubble, the AI index and the rest of the market
        n_crash = poisson_inverse(shocks["crash"][k], hazard * dt)
        jump = n_crash * jump_mean + math.sqrt(n_crash) * jump_sd * shocks["crash_size"][k]
        crashes += n_crash
        bubble += (comp * kappa_bar * hazard - fb * drag * bubble) * dt + jump
        if turbulent:
            mu_ai, s_ai = P["market.ai_turbulent_drift"], P["market.ai_turbulent_volatility"]
            mu_r, s_r = P["market.rest_turbulent_drift"], P["market.rest_turbulent_volatility"]
        else:
            mu_ai, s_ai = P["market.ai_drift"], P["market.ai_volatility"]
            mu_r, s_r = P["market.rest_drift"], P["market.rest_volatility"]
        fundamental += (
            (mu_ai - 0.5 * s_ai**2) * dt
            + s_ai * math.sqrt(dt) * shocks["ai"][k]
            + fb * P["market.revenue_beta"] * revenue_surprise
            + fb * P["market.compute_beta"] * compute_surprise
        )
        # the failure odds' expected change is compensated: only their news moves the index
        fundamental -= fb * math.log(1 - P["cash_burn.failure_drop"]) * (expected_odds - odds)
        rho = P["market.correlation"]
        rest_valuation = P["market.rest_overvaluation"] * math.exp(-drag * t)
        ln_rest += (
            (mu_r - drag * rest_valuation + kappa_rest * hazard - 0.5 * s_r**2) * dt
            + s_r
            * math.sqrt(dt)
            * (rho * shocks["ai"][k] + math.sqrt(1 - rho**2) * shocks["rest"][k])
            + c * jump
        )
        if markov and k + 1 < n_steps:  # the regime for the next step
            u = shocks["regime"][k + 1]
            turbulent = (u >= leave_turb) if turbulent else (u < leave_calm)
    return out
