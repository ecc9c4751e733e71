"""The model faults a line-by-line review found, one test each (every one fails on the model before
the fix). Common random numbers make the paired differences precise; tolerances are Monte Carlo
standard errors, never tuned figures.
"""

import math

import numpy as np
import pytest

from bubblesim import load_scenario, simulate
from bubblesim.engine.model import price_shock_median
from bubblesim.engine.reference import shock_median

from ..conftest import SCENARIOS, make_scenario

PATHS = 4000
SEED = 20260101


def _paired_mean(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = np.asarray(b, float) - np.asarray(a, float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


# --- 1. price decay counted once ------------------------------------------------------------


@pytest.mark.parametrize(
    "llm_price, gpu_demand",
    [
        ({}, {}),  # with price wars and efficiency pass-through
        ({"price_war_rate": 0.0}, {"efficiency_shock_rate": 0.0}),  # no jumps
        ({"volatility": 0.0, "price_war_rate": 1.0}, {}),  # jumps only: a discrete median
        ({"annual_decay": 40.0, "price_war_rate": 2.0, "price_war_drop": 0.8}, {}),
    ],
)
def test_median_realised_price_decay_is_the_input(llm_price, gpu_demand):
    sc = make_scenario(llm_price=llm_price, gpu_demand=gpu_demand)
    price = simulate(sc, paths=PATHS, keep_paths=PATHS, seed=SEED).states["llm_price"]
    decay = sc.values["llm_price.annual_decay"].value
    spy = sc.steps_per_year
    tol = 3 * 0.5 / math.sqrt(PATHS)
    for year in (1, 3):
        fall = np.log(price[(year - 1) * spy] / price[year * spy])  # log of the realised decay
        # the median: at most half the paths fall faster than the input, at most half slower
        assert (fall > math.log(decay) + 1e-9).mean() <= 0.5 + tol, year
        assert (fall < math.log(decay) - 1e-9).mean() <= 0.5 + tol, year


def test_price_shock_median_matches_hand_cases_and_the_reference():
    # jumps only, one kind: Poisson(1) events of -1: P(N >= 1) = 0.63 >= 0.5 > P(N >= 2) = 0.26
    assert price_shock_median(1.0, -1.0, 0.0, 0.0, 0.0) == pytest.approx(-1.0, abs=1e-12)
    # rare jumps leave the median at zero; pure diffusion is symmetric
    assert price_shock_median(0.3, -0.7, 0.0, 0.0, 0.0) == pytest.approx(0.0, abs=1e-12)
    assert price_shock_median(0.0, -0.7, 0.0, -1.0, 0.3) == pytest.approx(0.0, abs=1e-12)
    args = (0.3, math.log(0.5), 0.5, -0.3 * math.log(11.0), 0.2)
    assert price_shock_median(*args) == pytest.approx(shock_median(*args), abs=1e-10)
    # per path: distinct rows are solved once each and mapped back
    rates = np.array([0.3, 1.0, 0.3])
    got = price_shock_median(rates, -0.7, 0.5, -0.72, 0.2)
    assert got[0] == got[2] and got[1] < got[0]


# --- 2. the whole hazard is compensated; valuation lowers the expected price ------------


def test_expected_ai_index_at_horizon_falls_with_valuation():
    low = make_scenario(market={"initial_overvaluation": 0.0})
    high = make_scenario(market={"initial_overvaluation": 0.6})
    a = simulate(low, paths=PATHS, keep_paths=PATHS, seed=SEED).states["ai_index"][-1]
    b = simulate(high, paths=PATHS, keep_paths=PATHS, seed=SEED).states["ai_index"][-1]
    diff, se = _paired_mean(a, b)
    assert diff < -3 * se, (diff, se)


@pytest.mark.parametrize(
    "high",
    [
        {"cash_burn": {"burn_scale": 3.0}},
        {"capex": {"plan_scale": 2.0}},
        {"market": {"hazard_stress": 2.0}},
        # coverage that can worsen from its start (demand growing slowly)
        {
            "market": {"hazard_coverage": 0.32},
            "gpu_demand": {"initial_growth": 0.5, "long_run_growth": 0.2},
        },
    ],
    ids=["burn", "capex", "stress_hazard", "coverage_hazard"],
)
def test_fundamental_risk_brings_more_crashes_not_a_lower_expected_index(high):
    """Investors see the hazard, so the JLS drift pays for all of it (Greenwood, Shleifer & You
    2019: run-ups predict crashes, not low average returns); before the second review only the
    herding part was paid for and fundamental risk lowered the expected level."""
    base = {k: v for k, v in high.items() if k == "gpu_demand"}
    ra = simulate(make_scenario(**base), paths=PATHS, keep_paths=PATHS, seed=SEED)
    rb = simulate(make_scenario(**high), paths=PATHS, keep_paths=PATHS, seed=SEED)
    assert rb.states["crash_count"][-1].mean() > ra.states["crash_count"][-1].mean()
    ratio = rb.states["ai_index"][-1].mean() / ra.states["ai_index"][-1].mean()
    assert abs(ratio - 1) < 0.05, ratio


def test_herding_hazard_stays_compensated():
    """More herding hazard means more crashes but, priced by the JLS drift, no lower mean."""
    base = make_scenario(market={"initial_overvaluation": 0.4, "valuation_drag": 0.0})
    more = make_scenario(
        market={"initial_overvaluation": 0.4, "valuation_drag": 0.0, "hazard_bubble": 2.0}
    )
    ra, rb = (simulate(s, paths=PATHS, keep_paths=PATHS, seed=SEED) for s in (base, more))
    assert rb.states["crash_count"][-1].mean() > 1.2 * ra.states["crash_count"][-1].mean()
    mean_a = ra.states["ai_index"][-1].mean()
    # compensated: the expected level moves far less than the extra crashes would take away
    assert abs(rb.states["ai_index"][-1].mean() / mean_a - 1) < 0.05


# --- 3. the rest of the market earns rest_drift, contagion included ------------------------


@pytest.mark.parametrize("rest_overvaluation", [0.0, 0.3])
def test_rest_of_market_mean_is_the_closed_form(rest_overvaluation):
    sc = make_scenario(
        market={
            "mag7_weight": 0.0,  # the market is the rest
            "contagion": 1.0,
            "hazard_base": 0.5,
            "rest_overvaluation": rest_overvaluation,
        }
    )
    level = simulate(sc, paths=20_000, keep_paths=20_000, seed=SEED).states["market"][-1]
    mu = sc.values["market.rest_drift"].value
    drag = sc.values["market.valuation_drag"].value
    horizon = sc.n_steps * sc.dt
    # E[Rest_T] = 100 exp(mu T - sum_k drag b_r(t_k) dt), b_r(t) = b_r0 exp(-drag t)
    drag_sum = sum(
        drag * rest_overvaluation * math.exp(-drag * k * sc.dt) * sc.dt for k in range(sc.n_steps)
    )
    expected = 100 * math.exp(mu * horizon - drag_sum)
    se = level.std(ddof=1) / math.sqrt(level.size)
    assert abs(level.mean() - expected) < 4 * se, (level.mean(), expected, se)


# --- 4. returns are not predictable beyond the documented premium --------------------------


def test_ai_index_mean_log_return_is_flat_by_year_without_hazards():
    sc = make_scenario(
        market={
            "hazard_base": 0.0,
            "hazard_bubble": 0.0,
            "hazard_coverage": 0.0,
            "hazard_stress": 0.0,
            "capex_beta": 0.0,
            "initial_overvaluation": 0.0,
        },
        cash_burn={"failure_drop": 0.0},
    )
    ai = np.log(simulate(sc, paths=PATHS, keep_paths=PATHS, seed=SEED).states["ai_index"])
    mu, sigma = sc.values["market.ai_drift"].value, sc.values["market.ai_volatility"].value
    spy = sc.steps_per_year
    for year in range(1, 6):
        r = ai[year * spy] - ai[(year - 1) * spy]
        se = r.std(ddof=1) / math.sqrt(r.size)
        assert abs(r.mean() - (mu - 0.5 * sigma**2)) < 4 * se, (year, r.mean(), se)


def test_capex_news_is_priced_in_the_month_it_is_known():
    sc = make_scenario()
    r = simulate(sc, paths=PATHS, keep_paths=PATHS, seed=SEED)
    ret = np.diff(np.log(r.states["ai_index"]), axis=0)  # ret[k]: from k to k + 1
    stress = r.states["funding_stress"]
    change = np.diff(stress, axis=0)  # change[k] = S[k + 1] - S[k]
    # next month's return on this month's change in stress (and its level): a cut that reached
    # the index a month late made this -capex_beta x discipline_stress
    y = ret[1:].ravel()
    x = np.column_stack([np.ones(y.size), change[:-1].ravel(), stress[1:-1].ravel()])
    _, lagged, _ = np.linalg.lstsq(x, y, rcond=None)[0]
    beta = sc.values["market.capex_beta"].value * sc.values["capex.discipline_stress"].value
    assert abs(lagged) < 0.25 * beta, lagged


# --- 5. lab cash has a floor; running out is an event ---------------------------------------


def test_lab_cash_never_goes_negative_and_running_out_is_a_failure():
    sc = make_scenario(cash_burn={"burn_scale": 2.0})
    s = simulate(sc, paths=PATHS, keep_paths=PATHS, seed=SEED).states
    assert (s["lab_cash"] >= 0).all()
    failed = s["lab_failed"][-1] == 1
    assert 0.05 < failed.mean() < 1
    # once failed, it stays failed and burns nothing more
    assert (np.diff(s["lab_failed"], axis=0) >= 0).all()
    assert (s["lab_burn"][s["lab_failed"] == 1] <= 1e-12).all()


def test_a_lab_failure_hits_the_ai_index():
    def run(drop):
        sc = make_scenario(cash_burn={"burn_scale": 3.0, "failure_drop": drop})
        return simulate(sc, paths=PATHS, keep_paths=PATHS, seed=SEED)

    a, b = run(0.0), run(0.5)
    failed = b.states["lab_failed"][-1] == 1
    assert 0.2 < failed.mean() < 1
    # where the lab fails the index ends lower; its odds were priced as they rose, so the
    # expected level is not lower on average (no predictable return), but deep falls are likelier
    diff, se = _paired_mean(
        np.log(a.states["ai_index"][-1][failed]), np.log(b.states["ai_index"][-1][failed])
    )
    assert diff < -3 * se
    assert b.hits("ai", 0.5).mean() > a.hits("ai", 0.5).mean()


def test_a_stressed_lab_cuts_its_burn():
    keep = simulate(
        make_scenario(cash_burn={"stress_burn_cut": 0.0}), paths=PATHS, keep_paths=PATHS, seed=SEED
    ).states
    cut = simulate(
        make_scenario(cash_burn={"stress_burn_cut": 1.0}), paths=PATHS, keep_paths=PATHS, seed=SEED
    ).states
    # up to the first stressed month both runs are the same path; there the cut shows
    stressed = (keep["funding_stress"] > 0) & (keep["lab_burn"] > 0)
    paths = np.flatnonzero(stressed.any(axis=0))
    first = stressed.argmax(axis=0)[paths]
    assert paths.size > 100
    s = keep["funding_stress"][first, paths]
    np.testing.assert_allclose(
        cut["lab_burn"][first, paths], keep["lab_burn"][first, paths] * (1 - s), rtol=1e-9
    )
    assert cut["lab_failed"][-1].mean() < keep["lab_failed"][-1].mean()


# --- 6. Cahn's rule as Cahn wrote it --------------------------------------------------------


@pytest.mark.parametrize("gross_margin, multiple", [(0.5, 2.0), (0.75, 4.0)])
def test_cahn_rule_is_capex_over_one_minus_gross_margin(gross_margin, multiple):
    sc = make_scenario(capex={"required_revenue_rule": "cahn", "gross_margin": gross_margin})
    s = simulate(sc, paths=200, keep_paths=200, seed=SEED).states
    # R*_k = I_{k-1} / (1 - gross margin): GPUs x2 for the data centre is the capex, x2 for margin
    np.testing.assert_allclose(s["required_revenue"][1:], multiple * s["capex"][:-1], rtol=1e-12)


# --- 7. starting figures -------------------------------------------------------------------


def test_baseline_starting_figures_match_their_sources():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    assert 630 <= sc.values["capex.plan"][2026] <= 660  # Big-4 2026 guidance
    b0 = sc.values["market.initial_overvaluation"].value
    assert b0 == pytest.approx(math.log(27.4 / 21.9), abs=0.005)  # Nasdaq-100 fwd P/E vs median
    burn = sc.values["cash_burn.plan"]
    assert sum(burn[y] for y in range(2025, 2030)) == pytest.approx(115.0)  # The Information
    assert "2-3 years" not in sc.sources["market.hazard_base"].split("ordinary")[0]


# --- 8. AI-index thresholds that are not saturated ------------------------------------------


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_bundled_scenarios_report_ai_at_20_30_50_and_market_at_10_20_30(path):
    sc = load_scenario(path)
    assert sc.thresholds_for("ai") == (0.2, 0.3, 0.5)
    assert sc.thresholds_for("market") == (0.1, 0.2, 0.3)
    r = simulate(sc, paths=300, keep_paths=300, seed=1)
    reported = {(m["index"], m["threshold"]) for m in r.metrics()}
    assert {("ai", 0.5), ("market", 0.3)} <= reported and ("ai", 0.1) not in reported
