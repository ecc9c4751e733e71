"""The degenerate model against closed forms nobody here wrote (MODEL.md section 4).

With ``[market] feedback = false`` and ``hazard_base = 0`` the AI index is geometric Brownian
motion, so the probability of a fall of ``d`` below the start within ``T`` is the barrier-hit
formula, with the Broadie-Glasserman-Kou shift for monitoring every ``dt``.
"""

import math

import pytest
from scipy.stats import norm

from bubblesim import simulate

from .conftest import make_scenario

BGK = 0.5826


def barrier_hit(nu, sigma, T, d, dt=None):
    b = -math.log(1 - d)
    if dt is not None:
        b += BGK * sigma * math.sqrt(dt)
    s = sigma * math.sqrt(T)
    return norm.cdf((-b - nu * T) / s) + math.exp(-2 * nu * b / sigma**2) * norm.cdf(
        (-b + nu * T) / s
    )


def gbm_scenario(steps_per_year, nu=0.05, sigma=0.2, T=1.0, d=0.1):
    return make_scenario(
        scenario={"horizon_years": T, "steps_per_year": steps_per_year},
        market={
            "feedback": False,
            "hazard_base": 0.0,
            "ai_drift": nu + sigma**2 / 2,
            "ai_volatility": sigma,
        },
        correction={"thresholds": [d]},
    )


def test_formula_reproduces_the_published_examples():
    assert barrier_hit(0.05, 0.2, 1, 0.1) == pytest.approx(0.5191, abs=1e-4)
    assert barrier_hit(0.05, 0.2, 1, 0.1, 1 / 12) == pytest.approx(0.4042, abs=1e-4)
    assert barrier_hit(0.05, 0.2, 1, 0.1, 1 / 52) == pytest.approx(0.4615, abs=1e-4)
    assert barrier_hit(0.05, 0.2, 1, 0.1, 1 / 252) == pytest.approx(0.4924, abs=1e-4)


def _check(steps_per_year, paths, seed=5, **kw):
    est = simulate(gbm_scenario(steps_per_year, **kw), paths=paths, seed=seed).estimate(
        "ai", kw.get("d", 0.1), "fall"
    )
    expected = barrier_hit(
        kw.get("nu", 0.05),
        kw.get("sigma", 0.2),
        kw.get("T", 1.0),
        kw.get("d", 0.1),
        1 / steps_per_year,
    )
    assert abs(est.probability - expected) < 4 * est.std_error, (
        est.probability,
        expected,
        est.std_error,
    )


def test_gbm_barrier_monthly():
    _check(12, 40_000)


def test_gbm_barrier_monthly_negative_drift_deeper_fall():
    _check(12, 40_000, nu=-0.1, sigma=0.3, T=2.0, d=0.2)


@pytest.mark.slow
@pytest.mark.parametrize("steps_per_year, paths", [(52, 100_000), (252, 40_000)])
def test_gbm_barrier_weekly_and_daily(steps_per_year, paths):
    _check(steps_per_year, paths)
