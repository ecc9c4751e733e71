"""The calm/turbulent regime switch in the engine against its own closed forms."""

import math

import numpy as np

from bubblesim import simulate

from ..conftest import make_scenario

CALM_EXIT, TURB_EXIT = 0.6, 3.0  # 1/yr: frequent switches so that a short run sees many


def _regime_run(paths=3000, years=10.0, **market):
    sc = make_scenario(
        scenario={"horizon_years": years},
        market={
            "regime": "markov",
            "calm_exit_rate": CALM_EXIT,
            "turbulent_exit_rate": TURB_EXIT,
            "feedback": False,
            "hazard_base": 0.0,
            "mag7_weight": 0.0,
            "rest_drift": 0.16,
            "rest_volatility": 0.12,
            "rest_turbulent_drift": -0.17,
            "rest_turbulent_volatility": 0.35,
            **market,
        },
    )
    return sc, simulate(sc, paths=paths, keep_paths=paths, seed=5).states


def test_stationary_share_and_transition_probabilities():
    sc, s = _regime_run()
    dt = sc.dt
    leave_c, leave_t = -math.expm1(-CALM_EXIT * dt), -math.expm1(-TURB_EXIT * dt)
    pi_t = leave_c / (leave_c + leave_t)
    regime = s["market_regime"][:-1]  # the last point has no step after it
    # at the start every path draws from the stationary distribution independently
    se = math.sqrt(pi_t * (1 - pi_t) / regime.shape[1])
    assert abs(regime[0].mean() - pi_t) < 4 * se, (regime[0].mean(), pi_t)
    # and the chain stays there: the share over the run (correlated in time, so a wider margin)
    assert abs(regime.mean() - pi_t) < 0.01, (regime.mean(), pi_t)
    now, nxt = regime[:-1].ravel(), regime[1:].ravel()
    for state, leave in ((0, leave_c), (1, leave_t)):
        moved = (nxt[now == state] != state).mean()
        n = (now == state).sum()
        assert abs(moved - leave) < 4 * math.sqrt(leave * (1 - leave) / n), (state, moved, leave)
    # expected spell 1 / (1 - p_ii) steps, from the transition frequency
    stay_t = 1 - (nxt[now == 1] != 1).mean()
    assert abs(1 / (1 - stay_t) - 1 / leave_t) < 0.1 / leave_t


def test_unconditional_variance_of_monthly_returns():
    sc, s = _regime_run()
    dt = sc.dt
    r = np.diff(np.log(s["market"]), axis=0).ravel()
    leave_c, leave_t = -math.expm1(-CALM_EXIT * dt), -math.expm1(-TURB_EXIT * dt)
    pi_t = leave_c / (leave_c + leave_t)
    m_c, m_t = (0.16 - 0.5 * 0.12**2) * dt, (-0.17 - 0.5 * 0.35**2) * dt
    var = ((1 - pi_t) * 0.12**2 + pi_t * 0.35**2) * dt + pi_t * (1 - pi_t) * (m_c - m_t) ** 2
    mean = (1 - pi_t) * m_c + pi_t * m_t
    assert abs(r.mean() - mean) < 0.02 * abs(mean) + 4 * r.std() / math.sqrt(r.size / 30)
    assert abs(r.var() / var - 1) < 0.03, (r.var(), var)


def test_regime_none_leaves_the_market_alone():
    sc = make_scenario(market={"regime": "none", "rest_turbulent_volatility": 2.0})
    s = simulate(sc, paths=500, keep_paths=500, seed=1).states
    assert not s["market_regime"].any()
    base = simulate(make_scenario(), paths=500, keep_paths=500, seed=1).states
    np.testing.assert_array_equal(s["market"], base["market"])
