"""Each input named in the mission moves the odds in the documented direction.

Common random numbers (same seed, same shocks path by path) make the paired difference precise:
each test asks for the difference to exceed three paired standard errors.
"""

import numpy as np
import pytest

from bubblesim import simulate

from ..conftest import make_scenario

PATHS = 4000
SEED = 11


def paired(low, high, index="market", threshold=0.2, kind="drawdown", paths=PATHS):
    a = simulate(low, paths=paths, seed=SEED).hits(index, threshold, kind).astype(float)
    b = simulate(high, paths=paths, seed=SEED).hits(index, threshold, kind).astype(float)
    d = b - a
    return d.mean(), d.std(ddof=1) / np.sqrt(d.size)


def assert_higher(low, high, **kw):
    diff, se = paired(low, high, **kw)
    assert diff > 3 * se and diff > 0, (diff, se)


def assert_lower(low, high, **kw):
    diff, se = paired(low, high, **kw)
    assert diff < -3 * se and diff < 0, (diff, se)


def test_more_burn_gives_higher_odds():
    assert_higher(make_scenario(), make_scenario(cash_burn={"burn_scale": 2.0}))


def test_more_capex_with_same_revenue_gives_higher_odds():
    # through the coverage gap's rise and capex cuts, both AI channels: the AI index shows it
    # (the market moves by a third of a point)
    assert_higher(
        make_scenario(), make_scenario(capex={"plan_scale": 2.0}), index="ai", threshold=0.3
    )


def test_faster_price_decay_with_inelastic_usage_gives_higher_odds():
    # at elasticity 0.6 the lab misses its revenue plan on every path, so the 20% drawdown is
    # close to saturated; the deeper fall shows the channel
    e = {"elasticity": 0.6}
    assert_higher(
        make_scenario(llm_price={**e, "annual_decay": 10}),
        make_scenario(llm_price={**e, "annual_decay": 40}),
        threshold=0.3,
    )


def test_faster_price_decay_with_elastic_usage_gives_lower_odds():
    # elastic usage: faster decay raises revenue, until it nears the revenue ceiling, so the
    # effect is small; the AI index shows it on more paths
    e = {"elasticity": 1.4}
    assert_lower(
        make_scenario(llm_price={**e, "annual_decay": 10}),
        make_scenario(llm_price={**e, "annual_decay": 40}),
        index="ai",
        threshold=0.3,
        paths=3 * PATHS,
    )


def test_faster_gpu_demand_growth_gives_lower_odds():
    assert_lower(
        make_scenario(),
        make_scenario(gpu_demand={"long_run_growth": 1.2, "initial_growth": 4.0}),
        index="ai",
        threshold=0.3,
    )


def test_higher_hazard_gives_higher_odds():
    assert_higher(make_scenario(), make_scenario(market={"hazard_base": 0.3}))


def test_more_efficiency_shocks_give_higher_odds_on_ai_index():
    assert_higher(
        make_scenario(),
        make_scenario(gpu_demand={"efficiency_shock_rate": 3.0, "jevons": 0.0}),
        index="ai",
    )


def test_bigger_ai_weight_in_the_market_gives_higher_market_odds():
    assert_higher(
        make_scenario(market={"mag7_weight": 0.1}), make_scenario(market={"mag7_weight": 0.5})
    )


def test_funding_window_closing_gives_higher_odds():
    # a window that shuts faster as AI stocks fall: the reflexive loop turns falls into failures
    assert_higher(make_scenario(), make_scenario(cash_burn={"window_sensitivity": 10.0}))


def test_less_cash_gives_higher_odds():
    assert_higher(make_scenario(), make_scenario(cash_burn={"initial_cash": 10.0}))


@pytest.mark.parametrize("index", ["ai", "market"])
def test_deeper_threshold_is_rarer(index):
    r = simulate(make_scenario(), paths=2000, seed=SEED)
    low, high = r.scenario.thresholds_for(index)[:2]
    assert r.estimate(index, high).probability <= r.estimate(index, low).probability
    assert r.estimate(index, high, "fall").probability <= r.estimate(index, high).probability
