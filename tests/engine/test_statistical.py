"""The degenerate model against closed forms nobody here wrote (MODEL.md section 4).

With ``[market] feedback = false`` and ``hazard_base = 0`` the AI index is geometric Brownian
motion, so the probability of a fall of ``d`` below the start within ``T`` is the barrier-hit
formula, with the Broadie-Glasserman-Kou shift for monitoring every ``dt``.
"""

import math

import numpy as np
import pytest
from scipy.stats import norm

from bubblesim import simulate

from ..conftest import make_scenario

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
        correction={"thresholds": [d], "ai_thresholds": [d]},
    )


def test_formula_reproduces_the_published_examples():
    assert barrier_hit(0.05, 0.2, 1, 0.1) == pytest.approx(0.5191, abs=1e-4)
    assert barrier_hit(0.05, 0.2, 1, 0.1, 1 / 12) == pytest.approx(0.4042, abs=1e-4)
    assert barrier_hit(0.05, 0.2, 1, 0.1, 1 / 52) == pytest.approx(0.4615, abs=1e-4)
    assert barrier_hit(0.05, 0.2, 1, 0.1, 1 / 252) == pytest.approx(0.4924, abs=1e-4)


def _check(steps_per_year, paths, seed=5, **kw):
    est = simulate(
        gbm_scenario(steps_per_year, **kw), paths=paths, keep_paths=paths, seed=seed
    ).estimate("ai", kw.get("d", 0.1), "fall")
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


# --------------------------------------------------------------------------- expected max drawdown
# Magdon-Ismail, Atiya, Pratap & Abu-Mostafa (J. Appl. Prob. 2004), on the log price; table points
QP = {0.1: 0.243050, 0.5: 0.463159, 1.5: 0.668992, 4.5: 0.905305, 10.0: 1.088998}
QN = {0.1: 0.325586, 0.5: 0.884593, 1.5: 1.970740, 5.0: 5.498820}


def expected_mdd(nu, sigma, T):
    if nu == 0:
        return math.sqrt(math.pi / 2) * sigma * math.sqrt(T)
    x = round(nu * nu * T / (2 * sigma * sigma), 6)
    return (2 * sigma**2 / abs(nu)) * (QP[x] if nu > 0 else QN[x])


def _check_mdd(x, sign, paths, sigma=0.2, T=1.0, steps_per_year=252, seed=3):
    nu = sign * math.sqrt(2 * sigma**2 * x / T)
    sc = gbm_scenario(steps_per_year, nu=nu, sigma=sigma, T=T)
    log_mdd = -np.log1p(
        -simulate(sc, paths=paths, keep_paths=paths, seed=seed).reductions["ai.max_drawdown"]
    )
    # discrete monitoring shortens the expected drawdown by about 2 * 0.5826 sigma sqrt(dt)
    expected = expected_mdd(nu, sigma, T) - 2 * BGK * sigma * math.sqrt(1 / steps_per_year)
    se = log_mdd.std(ddof=1) / math.sqrt(log_mdd.size)
    assert abs(log_mdd.mean() - expected) < 4 * se, (x, sign, log_mdd.mean(), expected, se)


def test_expected_max_drawdown_zero_drift():
    _check_mdd(0.0, 0, paths=6000)


@pytest.mark.slow
@pytest.mark.parametrize("x", sorted(QP))
def test_expected_max_drawdown_positive_drift(x):
    _check_mdd(x, +1, paths=12_000)


@pytest.mark.slow
@pytest.mark.parametrize("x", sorted(QN))
def test_expected_max_drawdown_negative_drift(x):
    _check_mdd(x, -1, paths=12_000)


# --------------------------------------------------------------------------- Merton cumulants


def test_merton_log_return_cumulants():
    """With feedback off the AI index is Merton: k2, k3, k4 of ln(A_T / A_0) match the closed forms."""
    from scipy import stats

    sigma, lam, kappa, d_j, T = 0.2, 3.0, 0.2, 0.1, 1.0
    m_j = math.log(1 - kappa)
    sc = make_scenario(
        scenario={"horizon_years": T, "steps_per_year": 12},
        market={
            "feedback": False,
            "hazard_base": lam,
            "crash_size": kappa,
            "crash_size_volatility": d_j,
            "ai_volatility": sigma,
            "ai_drift": 0.05,
        },
    )
    r = simulate(sc, paths=60_000, keep_paths=60_000, seed=8)
    log_ret = np.log(r.states["ai_index"][-1] / r.states["ai_index"][0])
    expected = {
        2: sigma**2 * T + lam * T * (m_j**2 + d_j**2),
        3: lam * T * (m_j**3 + 3 * m_j * d_j**2),
        4: lam * T * (m_j**4 + 6 * m_j**2 * d_j**2 + 3 * d_j**4),
    }
    batches = log_ret.reshape(30, -1)
    for n, value in expected.items():
        per_batch = np.array([stats.kstat(b, n) for b in batches])
        est, se = per_batch.mean(), per_batch.std(ddof=1) / math.sqrt(len(per_batch))
        assert abs(est - value) < 4 * se, (n, est, value, se)


# --------------------------------------------------------------------------- interval coverage


def test_wilson_intervals_cover_at_the_nominal_rate():
    """Over repeated seeds the 95% intervals contain the exact probability ~95% of the time.

    One annual step of GBM makes the answer exact: P(A_1 <= (1 - d) A_0) = Phi((ln(1 - d) - nu) / sigma).
    The number of covering intervals is checked with a binomial test, not a hand-picked tolerance.
    """
    from scipy import stats

    nu, sigma, d = 0.05, 0.2, 0.1
    sc = gbm_scenario(1, nu=nu, sigma=sigma, T=1.0, d=d)
    exact = norm.cdf((math.log(1 - d) - nu) / sigma)
    trials = 300
    covered = 0
    for seed in range(trials):
        est = simulate(sc, paths=300, keep_paths=300, seed=seed).estimate("ai", d, "fall")
        covered += est.ci_low <= exact <= est.ci_high
    assert stats.binomtest(covered, trials, 0.95).pvalue > 0.001, covered
