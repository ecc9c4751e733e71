"""The vectorized engine against the one-path plain-Python reference, on the same shocks."""

import numpy as np
import pytest

from bubblesim import load_scenario
from bubblesim.engine.model import STATE_VARIABLES, poisson_from_uniform, run_model
from bubblesim.engine.reference import poisson_inverse, reference_path
from bubblesim.engine.shocks import Shocks
from bubblesim.engine.simulate import model_inputs

from ..conftest import SCENARIOS, make_scenario


def _compare(scenario, n_paths=6, seed=3, block=0):
    params, schedules, shocks, dt, options = model_inputs(scenario, block, n_paths, seed)
    fast = run_model(params, schedules, shocks, dt, options)
    for i in range(n_paths):
        one = shocks.path(i)
        ref = reference_path(
            {k: float(v[i]) for k, v in params.items()},
            {k: list(v) for k, v in schedules.items()},
            {f: list(getattr(one, f)[0]) for f in one.__dataclass_fields__},
            dt,
            options,
        )
        for name in STATE_VARIABLES:
            np.testing.assert_allclose(
                fast[name][:, i], ref[name], rtol=1e-10, atol=1e-10, err_msg=name
            )


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.toml")))
def test_engine_matches_reference_on_bundled_scenarios(name):
    _compare(load_scenario(SCENARIOS / f"{name}.toml"))


def test_engine_matches_reference_with_cahn_rule_weekly_and_no_feedback():
    _compare(
        make_scenario(
            capex={"required_revenue_rule": "cahn"},
            scenario={"steps_per_year": 52, "horizon_years": 1.0},
        )
    )
    _compare(make_scenario(market={"feedback": False, "hazard_base": 2.0}))


def test_engine_matches_reference_with_a_markov_regime():
    _compare(
        make_scenario(
            market={
                "regime": "markov",
                "calm_exit_rate": 2.0,  # frequent switches: both regimes and both transitions
                "turbulent_exit_rate": 3.0,
                "rest_turbulent_drift": -0.2,
                "rest_turbulent_volatility": 0.35,
                "ai_turbulent_drift": -0.1,
                "ai_turbulent_volatility": 0.5,
            }
        ),
        n_paths=8,
    )


def test_engine_matches_reference_under_stress():
    # high hazard (several crashes per step possible), tiny cash, harsh funding
    _compare(
        make_scenario(
            market={"hazard_base": 30.0, "hazard_stress": 5.0},
            cash_burn={"initial_cash": 1.0, "window_sensitivity": 20.0},
            gpu_demand={"efficiency_shock_rate": 6.0},
            llm_price={"price_war_rate": 6.0},
        ),
        n_paths=8,
    )


def test_poisson_inversion_matches_scipy_and_reference():
    from scipy import stats

    rng = np.random.default_rng(0)
    u = 1.0 - rng.random(2000)
    mean = rng.uniform(0, 8, 2000)
    fast = poisson_from_uniform(u, mean)
    np.testing.assert_array_equal(fast, stats.poisson.ppf(u, mean))
    assert [poisson_inverse(a, b) for a, b in zip(u[:200], mean[:200], strict=True)] == list(
        fast[:200]
    )


def test_zero_rate_gives_no_events():
    assert poisson_from_uniform(np.array([0.999999]), np.array([0.0]))[0] == 0


def test_quiet_shocks_one_path_one_step_by_hand():
    """One path, one step, all shocks zero and no events: the equations by hand."""
    sc = make_scenario(
        scenario={"horizon_years": 1.0, "steps_per_year": 1},
        gpu_demand={"efficiency_shock_rate": 0.0},
        llm_price={"price_war_rate": 0.0},
        market={"hazard_base": 0.0, "feedback": False},
    )
    params, schedules, _, dt, options = model_inputs(sc, 0, 1, 1)
    out = run_model(params, schedules, Shocks.zeros(1, 1), dt, options)
    p = {k: float(v[0]) for k, v in params.items()}
    g0 = np.log1p(p["gpu_demand.initial_growth"])
    d_ln_price = -np.log(p["llm_price.annual_decay"])
    r0, c0 = p["llm_price.initial_revenue"], p["llm_price.revenue_ceiling"]
    unbounded = (
        r0 / (1 - r0 / c0) * np.exp(d_ln_price + g0 - p["llm_price.elasticity"] * d_ln_price)
    )
    ceiling = p["llm_price.revenue_ceiling"] * (1 + p["llm_price.ceiling_growth"])
    revenue1 = unbounded / (1 + unbounded / ceiling)  # saturating below the ceiling
    assert out["ai_revenue"][1, 0] == pytest.approx(revenue1, rel=1e-12)
    assert out["ai_revenue"][0, 0] == pytest.approx(r0, rel=1e-12)  # starts at its run-rate
    # capital: exact solution of K' = I - K/L
    life = p["capex.useful_life"]
    k1 = p["capex.initial_stock"] * np.exp(-1 / life) + out["capex"][0, 0] * life * (
        1 - np.exp(-1 / life)
    )
    assert out["capital_stock"][1, 0] == pytest.approx(k1, rel=1e-12)
    # feedback off, no shocks: AI index = 100 exp(mu - sigma^2/2)
    mu, s = p["market.ai_drift"], p["market.ai_volatility"]
    assert out["ai_index"][1, 0] == pytest.approx(100 * np.exp(mu - s**2 / 2), rel=1e-12)
    assert out["crash_count"][1, 0] == 0
    assert out["ai_index"].shape == (2, 1)
