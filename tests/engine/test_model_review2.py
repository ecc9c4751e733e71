"""The faults the second model review found (issue: a failed lab punished for ever, predictable
returns, start values that contradict their sources, a funding window applied three times,
coverage that does not compare like with like, an AI index that earns less than its twin, and AI
revenue without a ceiling). One test or more each; every one fails on the model before its fix.
Tolerances are Monte Carlo standard errors or stated figures, never tuned.
"""

import dataclasses
import math

import numpy as np
import pytest

from bubblesim import load_scenario, simulate
from bubblesim.engine.model import price_shock_median_of
from bubblesim.engine.rng import BLOCK_SIZE
from bubblesim.engine.shocks import draw_parameters, schedule

from ..conftest import SCENARIOS, make_scenario

PATHS = 4000
SEED = 20260101


def _states(scenario, paths=PATHS, seed=SEED):
    return simulate(scenario, paths=paths, keep_paths=paths, seed=seed).states


# --- 1. a failed lab's failure is priced once ----------------------------------------------


def test_a_failed_lab_is_no_longer_stressed_and_adds_no_stress_hazard():
    sc = make_scenario(cash_burn={"burn_scale": 3.0})
    s = _states(sc)
    failed = s["lab_failed"] == 1
    assert failed[-1].mean() > 0.2  # enough failed-lab months to see it
    # nothing left to fund: no stress after the failure, so no stress hazard and no stress cut
    assert (s["funding_stress"][failed] == 0).all()
    h3 = sc.values["market.hazard_stress"].value
    herding_and_coverage = s["crash_hazard"][failed] - sc.values["market.hazard_base"].value
    assert (herding_and_coverage < h3 * 0.5).mean() > 0.99


# --- 2. returns are not predictable: only the news in the capex cut and the failure is priced


def _documented_log_return(sc, s):
    """E_k[ln A_{k+1} - ln A_k] as docs/model.md states it: the regime's drift, the JLS
    compensation of the whole hazard, the valuation drag and the crashes' mean log jump (every
    news term has mean zero)."""
    v = {k: sc.values[k].value for k in sc.values if hasattr(sc.values[k], "value")}
    dt = sc.dt
    calm = v["market.ai_drift"] - 0.5 * v["market.ai_volatility"] ** 2
    turb = v["market.ai_turbulent_drift"] - 0.5 * v["market.ai_turbulent_volatility"] ** 2
    mu = np.where(s["market_regime"][:-1] == 1, turb, calm)
    m_j = math.log(1 - v["market.crash_size"])
    kbar = 1 - math.exp(m_j + 0.5 * v["market.crash_size_volatility"] ** 2)
    h, b = s["crash_hazard"][:-1], s["overvaluation"][:-1]
    return (mu + kbar * h - v["market.valuation_drag"] * b + h * m_j) * dt


def test_next_months_return_is_not_predictable_from_stress_beyond_the_documented_premium():
    """Among live labs, next month's AI log return less its documented expectation does not
    depend on this month's stress (a slope within two standard errors of zero). Before, runway
    that shrank month by month made stress and the capex cut rise predictably, and the index
    priced every change: the slope on stress was -0.048 a month.

    All months, not only those without a crash: the funding window also prices the failure
    odds, so a crash month moves them, and leaving crash months out selects on their news."""
    sc = load_scenario(SCENARIOS / "baseline.toml")  # its regime and its stress both vary
    s = _states(sc)
    live = s["lab_failed"][:-1] == 0
    stress = s["funding_stress"][:-1][live]
    assert (stress > 0.5).mean() > 0.02  # stress does vary
    y = (np.diff(np.log(s["ai_index"]), axis=0) - _documented_log_return(sc, s))[live]
    x = np.column_stack([np.ones(y.size), stress])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    se = math.sqrt((np.linalg.inv(x.T @ x) * resid.var(ddof=2))[1, 1])
    assert abs(coef[1]) < 2 * se, (coef[1], se)


# --- 3. starting figures are run-rates at the start date, each beside its source ---------


def test_the_labs_start_at_their_january_2026_run_rate_not_below_their_own_plan():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    assert sc.start_year() == 2026.0
    lab = sc.values["cash_burn.revenue_share"].value * sc.values["llm_price.initial_revenue"].value
    assert lab == pytest.approx(20.0, rel=0.02)  # OpenAI >$20B annualized, January 2026
    assert "20" in sc.sources["llm_price.initial_revenue"]
    plan = schedule(sc.values["cash_burn.revenue_plan"], sc.start_year(), sc.dt, sc.n_steps)
    # the plan's run-rate on 1 January 2026 lies between its 2025 and 2026 totals, and the labs,
    # who beat it in 2025, start above it (not ~26% below, as when the plan was read at mid-year
    # against a calendar-year total)
    assert 13.0 < plan[0] < 22.5
    assert 1.0 < lab / plan[0] < 1.3
    capex = schedule(sc.values["capex.plan"], sc.start_year(), sc.dt, sc.n_steps)
    assert 380.0 < capex[0] < 645.0  # between the 2025 total and the 2026 guidance


def test_initial_growth_gives_the_revenue_growth_it_is_anchored_on():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    params = draw_parameters(sc, seed=1, block=0, n_paths=BLOCK_SIZE)
    mu_p = -np.log(params["llm_price.annual_decay"]) - price_shock_median_of(params)
    mu_p = mu_p + params["llm_price.price_war_rate"] * np.log1p(-params["llm_price.price_war_drop"])
    mu_p = mu_p - params["gpu_demand.efficiency_shock_rate"] * params[
        "gpu_demand.price_passthrough"
    ] * np.log(params["gpu_demand.efficiency_gain"])
    e = 0.9  # the elasticity's mode
    growth = np.log1p(params["gpu_demand.initial_growth"]) + (1 - e) * mu_p  # of ln revenue
    # 2025 AI revenue growth of 3.2-3.5x (Menlo Ventures; The Information)
    assert math.log(3.2) <= float(np.median(growth)) <= math.log(3.5)


def test_the_magnificent_7_weight_is_the_latest_before_the_start():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    assert sc.values["market.mag7_weight"].value == pytest.approx(0.34)  # Oct-Dec 2025


# --- 5. the hazard reads the coverage gap's rise, as the capex rule does -------------------


def test_the_coverage_level_at_the_start_adds_no_hazard_its_worsening_does():
    def hazard(stock):
        slow = {"initial_growth": 0.5, "long_run_growth": 0.2}  # coverage can worsen
        sc = make_scenario(capex={"initial_stock": stock}, gpu_demand=slow)
        s = _states(sc, paths=500)
        return sc, s

    sc, s = hazard(800.0)
    _, t = hazard(3200.0)  # coverage a quarter as high at the start
    v = {k: sc.values[k].value for k in ("market.hazard_base", "market.hazard_bubble")}
    b0 = sc.values["market.initial_overvaluation"].value
    h3 = sc.values["market.hazard_stress"].value
    start = v["market.hazard_base"] + v["market.hazard_bubble"] * max(b0, 0) ** 2
    np.testing.assert_allclose(s["crash_hazard"][0], start + h3 * s["funding_stress"][0])
    np.testing.assert_allclose(t["crash_hazard"][0], s["crash_hazard"][0])
    # where coverage has fallen below its start, the gap's rise adds h2 ln(G_0 / G)
    h2 = sc.values["market.hazard_coverage"].value
    assert (s["coverage"] < s["coverage"][0] * 0.9).mean() > 0.1
    herding = v["market.hazard_bubble"] * np.maximum(s["overvaluation"], 0) ** 2
    rest = s["crash_hazard"] - v["market.hazard_base"] - herding - h3 * s["funding_stress"]
    gap_rise = np.maximum(np.log(s["coverage"][0] / s["coverage"]), 0)
    np.testing.assert_allclose(rest, h2 * gap_rise, atol=1e-9)


# --- 6. the AI index earns what its twin earns, less the documented valuation drag --------


def _mean_log_gap_to_twin(sc, paths=PATHS):
    quiet = dataclasses.replace(sc, values={**sc.values, "market.feedback": False})
    a = _states(sc, paths)["ai_index"][-1]
    b = _states(quiet, paths)["ai_index"][-1]
    d = np.log(a) - np.log(b)
    return d.mean(), d.std(ddof=1) / math.sqrt(d.size)


#: How far the AI index's mean five-year log return may sit from its no-bubble twin's, less the
#: valuation drag: the compensated crashes and news still cost a little in logs (Jensen), and
#: Greenwood, Shleifer & You (2019) find run-ups predict crashes, not lower average returns.
TWIN_TOLERANCE = 0.03  # log points over five years (0.6% a year)


def test_the_ai_index_earns_its_twins_return_when_fairly_valued():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    fair = make_scenario(market={"initial_overvaluation": 0.0})
    for scenario in (fair, sc):
        b0 = scenario.values["market.initial_overvaluation"].value
        v = scenario.values["market.valuation_drag"].value
        horizon = scenario.n_steps * scenario.dt
        drag = -b0 * (1 - math.exp(-v * horizon))  # Cochrane (2008): valuation predicts returns
        gap, se = _mean_log_gap_to_twin(scenario)
        # before: -0.65 on the baseline (E[AI index] 92 against its twin's 149 at five years)
        assert abs(gap - drag) < TWIN_TOLERANCE + 3 * se, (scenario.name, gap, drag, se)


# --- 8. AI revenue saturates below what the economy could pay ------------------------------


def test_no_path_earns_more_than_the_revenue_ceiling():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    s = _states(sc, paths=2000)
    c0 = sc.values["llm_price.revenue_ceiling"].value
    growth = sc.values["llm_price.ceiling_growth"].value
    ceiling = c0 * (1 + growth) ** (np.arange(sc.n_steps + 1) * sc.dt)
    assert (s["ai_revenue"] < ceiling[:, None]).all()
    # before: the 95th percentile reached $11.9T a year by 2031, twice the world's IT spending
    assert np.quantile(s["ai_revenue"][-1], 0.95) < 0.9 * ceiling[-1]
    assert s["ai_revenue"][0] == pytest.approx(sc.values["llm_price.initial_revenue"].value)
    # the labs' burn is bounded too: they earn at most their share of the ceiling
    share = sc.values["cash_burn.revenue_share"].value
    assert (s["lab_burn"] > -share * ceiling[:, None]).all()


def test_adoption_slows_as_revenue_nears_the_ceiling():
    """``R = R_u / (1 + R_u / C)`` on the same unbounded path ``R_u``: far below the ceiling the
    ceiling changes nothing, near it revenue flattens (d ln R = (1 - R / C) d ln R_u)."""
    r0, low_c, high_c = 91.0, 500.0, 1e8
    low = make_scenario(llm_price={"revenue_ceiling": low_c, "initial_revenue": r0})
    high = make_scenario(llm_price={"revenue_ceiling": high_c, "initial_revenue": r0})
    a, b = _states(low, paths=500)["ai_revenue"], _states(high, paths=500)["ai_revenue"]
    grow = (1 + 0.098) ** (np.arange(a.shape[0]) * low.dt)[:, None]
    path = b / (1 - b / (high_c * grow)) * (1 - r0 / high_c)  # R_u / R_u(0) x r0, from b
    unbounded = path / (1 - r0 / low_c)
    np.testing.assert_allclose(a, unbounded / (1 + unbounded / (low_c * grow)), rtol=1e-9)
    assert np.median(a[-1] / (low_c * grow[-1])) > 0.5  # most paths end near the ceiling
