"""Extreme but valid scenarios run and give finite, sensible numbers; overflow is reported, not NaN."""

import numpy as np
import pytest

from bubblesim import ScenarioError, simulate

from ..conftest import make_scenario


def finite(result):
    for name, values in result.states.items():
        assert np.isfinite(values).all(), name
    for row in result.metrics():
        assert 0 <= row["probability"] <= 1 and np.isfinite(row["std_error"])


def test_hundredfold_price_decay():
    base = simulate(make_scenario(), paths=800, keep_paths=800, seed=1)
    fast = simulate(
        make_scenario(llm_price={"annual_decay": 100}), paths=800, keep_paths=800, seed=1
    )
    finite(fast)
    # with elasticity 0.9 revenue falls with faster decay, and the odds rise
    assert np.median(fast.states["ai_revenue"][-1]) < np.median(base.states["ai_revenue"][-1])
    assert (
        fast.estimate("ai", 0.2, "fall").probability > base.estimate("ai", 0.2, "fall").probability
    )


def test_zero_burn_means_no_funding_stress():
    r = simulate(
        make_scenario(
            cash_burn={"plan": {"2026": 0}, "revenue_plan": {"2026": 0}, "revenue_share": 0.0}
        ),
        paths=500,
        keep_paths=500,
        seed=1,
    )
    finite(r)
    assert (r.states["funding_stress"] == 0).all()


@pytest.mark.parametrize("hazard", [1.0, 50.0, 1000.0])
def test_very_high_hazard(hazard):
    r = simulate(make_scenario(market={"hazard_base": hazard}), paths=300, keep_paths=300, seed=1)
    finite(r)
    assert r.estimate("ai", 0.2).probability > 0.9
    assert r.states["crash_count"][-1].mean() >= 0.5 * hazard * 5  # about hazard x horizon crashes


def test_long_daily_horizon_stays_finite():
    finite(
        simulate(
            make_scenario(scenario={"horizon_years": 30.0, "steps_per_year": 252}),
            paths=20,
            keep_paths=20,
            seed=1,
        )
    )


def test_overflow_is_reported_with_variable_and_step():
    # each efficiency shock wins back twice the compute it saves, 50 times a year
    sc = make_scenario(
        scenario={"horizon_years": 50.0},
        gpu_demand={"efficiency_shock_rate": 50, "efficiency_gain": 1000, "jevons": 2},
    )
    with pytest.raises(ScenarioError) as info:
        simulate(sc, paths=50, keep_paths=50, seed=1)
    msg = str(info.value)
    assert (
        "became inf" in msg and "at step" in msg and "test" in msg
    )  # scenario name, variable, step
