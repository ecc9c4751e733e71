"""The Hamilton filter by hand, and the regime fit recovering what it was given."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from bubblesim import simulate
from bubblesim.history.base_rates import (
    builtin_prices,
    drawdown_base_rate,
    history_base_rate,
    market_base_rate,
)
from bubblesim.history.regime import (
    engine_parameters,
    fit_regime,
    hamilton_loglik,
    stationary_turbulent,
)

from ..conftest import make_scenario


def test_hamilton_filter_equals_the_sum_over_all_regime_paths():
    params = (0.01, 0.03, -0.02, 0.09, 0.95, 0.80)
    m = (params[0], params[2])
    s = (params[1], params[3])
    P = np.array([[params[4], 1 - params[4]], [1 - params[5], params[5]]])
    pi_t = stationary_turbulent(params[4], params[5])
    start = (1 - pi_t, pi_t)
    r = [0.02, -0.15, 0.01]
    total = 0.0
    for path in itertools.product((0, 1), repeat=len(r)):
        prob = start[path[0]]
        for t, state in enumerate(path):
            if t:
                prob *= P[path[t - 1], state]
            prob *= stats.norm.pdf(r[t], m[state], s[state])
        total += prob
    assert hamilton_loglik(params, np.array(r)) == pytest.approx(math.log(total), rel=1e-12)
    assert stationary_turbulent(0.9, 0.6) == pytest.approx(0.1 / 0.5)


def test_fit_recovers_the_regimes_of_a_simulated_series():
    truth = {"calm_exit_rate": 0.5, "turbulent_exit_rate": 2.0, "rest_drift": 0.15,
             "rest_volatility": 0.12, "rest_turbulent_drift": -0.2,
             "rest_turbulent_volatility": 0.35}  # fmt: skip
    sc = make_scenario(
        scenario={"horizon_years": 50},
        market={"regime": "markov", "feedback": False, "hazard_base": 0.0, "mag7_weight": 0.0,
                **truth},
    )  # fmt: skip
    # six 50-year paths end to end (each starts from the stationary distribution): 3,600 months
    market = simulate(sc, paths=6, keep_paths=6, seed=11).states["market"]
    returns = np.diff(np.log(market), axis=0).T.ravel()
    fit = fit_regime(returns, sc.dt)
    got = engine_parameters(fit)
    for key, true in truth.items():
        value, se = got[key]
        assert abs(value - true) < 3.5 * se, (key, value, se, true)
    # better than one regime by likelihood
    assert fit.aic < 2 * 2 - 2 * float(stats.norm.logpdf(returns, *stats.norm.fit(returns)).sum())


def test_bundled_history_base_rates_match_the_published_table():
    # ../shared/data/README.md: 12 months 0.376 / 0.163 / 0.066, 72 months 0.925 / 0.646 / 0.381
    assert [round(history_base_rate(12, t), 3) for t in (0.1, 0.2, 0.3)] == [0.376, 0.163, 0.066]
    assert [round(history_base_rate(72, t), 3) for t in (0.1, 0.2, 0.3)] == [0.925, 0.646, 0.381]
    levels = builtin_prices("us-market").to_numpy()
    # a horizon between the tabulated windows is computed, not interpolated
    assert market_base_rate("drawdown", 0.2, 36) == drawdown_base_rate(levels, 36, 0.2)
    fall = market_base_rate("fall", 0.2, 60)
    assert 0 < fall < market_base_rate("drawdown", 0.2, 60)
