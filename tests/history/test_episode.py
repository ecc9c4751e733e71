"""The episode fit: it recovers coefficients the model was run with, and says what data cannot."""

import math

import numpy as np
import pytest

from bubblesim import simulate
from bubblesim.history.episode import (
    dotcom_fundamentals,
    fit_episode,
    load_dotcom_episode,
    nasdaq_monthly,
)

from ..conftest import make_scenario

TRUTH = {"hazard_base": 0.1, "hazard_bubble": 1.0, "hazard_coverage": 0.2, "hazard_stress": 1.0}


def _simulated_episode(paths=400, seed=3):
    sc = make_scenario(
        market={
            **TRUTH,
            "revenue_beta": 0.0,
            "capex_beta": 0.0,
            "compute_beta": 0.0,
            "initial_overvaluation": 0.5,
        },
        cash_burn={"failure_drop": 0.0},
        # demand slow enough that coverage often worsens from its start (the gap's rise)
        gpu_demand={"initial_growth": 0.5, "long_run_growth": 0.2},
    )
    s = simulate(sc, paths=paths, keep_paths=paths, seed=seed).states
    returns = np.diff(np.log(s["ai_index"]), axis=0).ravel()
    target = sc.values["capex.coverage_target"].value
    gap = np.maximum(0.0, np.log(target / s["coverage"]))
    covariates = {
        "b": s["overvaluation"][:-1].ravel(),
        # the gap's rise since the start, as the hazard reads it
        "gap": np.maximum(0.0, gap[:-1] - gap[0]).ravel(),
        "stress": s["funding_stress"][:-1].ravel(),
    }
    return sc, returns, covariates


def test_fit_recovers_the_coefficients_the_model_ran_with():
    sc, returns, covariates = _simulated_episode()
    fit = fit_episode(returns, covariates, sc.dt, starts=1)
    for name, true in TRUTH.items():
        est, se = fit.params[name], fit.std_errors[name]
        assert math.isfinite(se) and se > 0, name
        assert abs(est - true) < 3.5 * se, (name, est, se)
    assert abs(fit.params["sigma"] - 0.2) < 3.5 * fit.std_errors["sigma"]
    m_j = math.log(1 - 0.25)
    assert abs(fit.params["m_j"] - m_j) < 3.5 * fit.std_errors["m_j"]
    assert all(fit.pinned(n) for n in TRUTH)


def test_a_missing_covariate_is_reported_not_identified():
    sc, returns, covariates = _simulated_episode(paths=100)
    covariates["gap"] = np.zeros_like(returns)
    fit = fit_episode(returns, covariates, sc.dt, starts=1)
    assert not fit.identified["hazard_coverage"] and fit.params["hazard_coverage"] == 0.0
    assert not fit.pinned("hazard_coverage")
    table = fit.table()
    assert list(table["coefficient"])[:3] == ["mu", "sigma", "hazard_base"]


def test_shipped_dotcom_data_and_covariates():
    prices = nasdaq_monthly()
    assert str(prices.index[0].date()) == "1999-01-31" and len(prices) == 240
    peak, trough = prices["2000-02-29"], prices["2002-09-30"]
    assert 1 - trough / peak == pytest.approx(0.750, abs=0.001)
    vc = dotcom_fundamentals()["venture_capital_bn"]
    assert vc[2000] == 106.0 and vc[2001] == 41.0
    ep = load_dotcom_episode()
    assert ep["returns"].size == 59 and ep["dt"] == pytest.approx(1 / 12)
    stress = ep["covariates"]["stress"]
    assert (stress[:18] == 0).all()  # funding grew through mid-2000
    assert stress[29] == pytest.approx(1 - 41 / 106, abs=0.02)  # mid-2001
    assert not ep["covariates"]["b"].any() and not ep["covariates"]["gap"].any()


def test_the_dotcom_fit_runs_and_reports_what_it_cannot_pin():
    ep = load_dotcom_episode()
    fit = fit_episode(ep["returns"], ep["covariates"], ep["dt"])
    assert np.isfinite(fit.loglik) and fit.n_returns == 59
    assert not fit.identified["hazard_bubble"] and not fit.identified["hazard_coverage"]
    assert fit.identified["hazard_stress"]
