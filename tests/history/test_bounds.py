"""Standard errors that are true at the bounds, degenerate regime fits, statsmodels as an oracle."""

import math

import numpy as np
import pandas as pd
import pytest

from bubblesim.history.base_rates import us_market_returns
from bubblesim.history.calibrate import (
    MERTON_BOUNDS,
    at_bounds,
    fit_merton,
    log_returns,
    scenario_fragment,
    standard_errors,
)
from bubblesim.history.regime import fit_regime, regime_fragment
from bubblesim.output.tables import calibration_terminal_table

DT = 1 / 252


def _gbm_prices(seed: int) -> pd.Series:
    """2,519 daily returns of plain GBM, mu 7.6%, sigma 15.9% (the issue's data)."""
    rng = np.random.default_rng(seed)
    r = (0.076 - 0.5 * 0.159**2) * DT + 0.159 * math.sqrt(DT) * rng.standard_normal(2519)
    levels = 100 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    return pd.Series(levels, index=pd.bdate_range("2010-01-04", periods=levels.size))


def test_an_estimate_on_its_bound_gets_no_standard_error():
    # a quadratic whose optimum in the box [0, 10] x [0, 10] is on the bound x1 = 0
    def neg(x):
        return (x[0] - 3.0) ** 2 + 4.0 * (x[1] + 1.0) ** 2

    theta = np.array([3.0, 0.0])
    bounds = [(0.0, 10.0), (0.0, 10.0)]
    assert list(at_bounds(theta, bounds, neg)) == [False, True]
    se = standard_errors(neg, theta, bounds)
    assert math.isnan(se[1])
    assert se[0] == pytest.approx(math.sqrt(0.5), rel=1e-4)  # 1 / sqrt(d2/dx2 = 2)
    # stepping straight through the bound, as before, would have given x1 an error
    unbounded = standard_errors(neg, theta)
    assert unbounded[1] == pytest.approx(math.sqrt(1 / 8), rel=1e-4)


def test_a_merton_fit_on_gbm_data_reports_the_jump_spread_at_its_floor():
    fit = fit_merton(_gbm_prices(4), "daily")
    assert fit.params["d_j"] == pytest.approx(MERTON_BOUNDS[4][0], abs=1e-6)
    assert fit.at_bound("d_j") and math.isnan(fit.std_errors["d_j"])
    fragment = scenario_fragment(fit, "gbm.csv")
    line = next(x for x in fragment.splitlines() if x.startswith("crash_size_volatility"))
    assert "at the fit's bound 0.0001: not identified" in line and "+/-" not in line
    assert "at bound" in calibration_terminal_table("gbm", fit)


def test_a_degenerate_regime_fit_is_said_and_not_ranked_on_gbm_data():
    prices = _gbm_prices(4)
    fit = fit_merton(prices, "daily")
    regime = fit_regime(log_returns(prices), DT)
    assert regime.degenerate is not None and "under 2" in regime.degenerate
    # its AIC is the lowest of the three, yet the table does not offer it as the better model
    assert regime.aic < 2 * 2 - 2 * fit.gbm_loglik
    table = calibration_terminal_table("gbm", fit, regime)
    best = [line for line in table.splitlines() if "lowest AIC" in line]
    assert len(best) == 1 and best[0].split()[0] == "GBM"
    assert "degenerate: not ranked" in table
    stays = next(x for x in table.splitlines() if "P(calm stays calm)" in x)
    assert stays.rstrip().endswith("at bound")  # not "nan"
    assert 'regime = "markov"' not in regime_fragment(regime, fit, "gbm.csv")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_on_gbm_data_the_table_prefers_no_model_gbm_did_not_generate(seed):
    prices = _gbm_prices(seed)
    fit = fit_merton(prices, "daily")
    regime = fit_regime(log_returns(prices), DT)
    best = [x for x in calibration_terminal_table("g", fit, regime).splitlines() if "lowest" in x]
    assert best[0].split()[0] == "GBM"


def test_a_stay_probability_near_one_gets_a_finite_standard_error():
    # 6,000 steps of two regimes that persist (stay 0.9995 and 0.998): the raw-space Hessian
    # stepped past 1 and gave -inf; in logit space the error is finite and the truth inside
    rng = np.random.default_rng(8)
    stay = (0.9995, 0.998)
    state, r = 0, np.empty(6000)
    for t in range(r.size):
        if rng.random() > stay[state]:
            state = 1 - state
        r[t] = rng.normal(0.0004, 0.008) if state == 0 else rng.normal(-0.001, 0.02)
    regime = fit_regime(r, DT)
    assert regime.degenerate is None
    p, se = regime.params["p_calm"], regime.std_errors["p_calm"]
    assert p > 0.998 and math.isfinite(se) and 0 < se < 0.002
    assert abs(p - stay[0]) < 4 * se + 1e-4
    assert all(math.isfinite(v) and v > 0 for v in regime.std_errors.values())


def test_the_regime_fit_agrees_with_statsmodels_markov_regression():
    sm = pytest.importorskip("statsmodels.tsa.regime_switching.markov_regression")
    r = np.log1p(us_market_returns()["market_return"].to_numpy(dtype=float))
    ours = fit_regime(r, 1 / 12)
    res = sm.MarkovRegression(r, k_regimes=2, switching_variance=True).fit(disp=False)
    names = res.model.param_names
    value = dict(zip(names, res.params, strict=True))
    error = dict(zip(names, res.bse, strict=True))
    quiet = int(np.argmin([value["sigma2[0]"], value["sigma2[1]"]]))  # statsmodels' calm
    loud = 1 - quiet
    theirs = {
        "m_calm": (value[f"const[{quiet}]"], error[f"const[{quiet}]"]),
        "m_turbulent": (value[f"const[{loud}]"], error[f"const[{loud}]"]),
        "s_calm": (math.sqrt(value[f"sigma2[{quiet}]"]),
                   error[f"sigma2[{quiet}]"] / (2 * math.sqrt(value[f"sigma2[{quiet}]"]))),
        "s_turbulent": (math.sqrt(value[f"sigma2[{loud}]"]),
                        error[f"sigma2[{loud}]"] / (2 * math.sqrt(value[f"sigma2[{loud}]"]))),
    }  # fmt: skip
    # p[i->0]: the chance of going to regime 0 from regime i; stay in 0 = p[0->0], in 1 = 1 - p[1->0]
    stay = {0: value["p[0->0]"], 1: 1 - value["p[1->0]"]}
    theirs["p_calm"] = (stay[quiet], error[f"p[{quiet}->0]"])
    theirs["p_turbulent"] = (stay[loud], error[f"p[{loud}->0]"])
    assert abs(res.llf - ours.loglik) < 0.5  # statsmodels starts the chain as we do, stationary
    for name, (v, e) in theirs.items():
        both = math.hypot(e, ours.std_errors[name])
        assert abs(ours.params[name] - v) < 2 * both, (name, ours.params[name], v, both)
        assert ours.std_errors[name] == pytest.approx(e, rel=0.35), name


def test_without_jumps_the_jump_size_is_not_identified_and_not_called_at_a_bound():
    fit = fit_merton(_gbm_prices(2), "daily")  # this sample's optimum has no jumps
    assert fit.params["lam"] == 0.0 and fit.at_bound("lam")
    assert not fit.at_bound("m_j") and not fit.at_bound("d_j")
    fragment = scenario_fragment(fit, "gbm.csv")
    size = next(x for x in fragment.splitlines() if x.startswith("crash_size ="))
    assert "from m_J = " in size and "not identified by the data (as likely" in size
    assert "at the fit's bound" not in size
    hazard = next(x for x in fragment.splitlines() if x.startswith("hazard_base"))
    assert "at the fit's bound 0: not identified" in hazard
    assert "nan" not in fragment and "nan" not in calibration_terminal_table("g", fit)
    assert math.isfinite(fit.std_errors["sigma"]) and math.isfinite(fit.std_errors["mu"])
