"""Funding that can run out: the labs share a yearly pool that rounds drain (issue: mission inputs)."""

import numpy as np

from bubblesim import simulate

from ..conftest import make_scenario

PATHS = 4000
SEED = 7


def test_rounds_never_raise_more_than_the_pool_holds():
    s = simulate(make_scenario(), paths=PATHS, keep_paths=PATHS, seed=SEED).states
    dt = 1 / 12
    raised = s["lab_cash"][1:] - s["lab_cash"][:-1] + s["lab_burn"][:-1] * dt
    alive = s["lab_failed"][1:] == 0  # cash is floored on the step a lab fails
    assert (raised[alive] <= s["funding_pool"][:-1][alive] + 1e-9).all()
    assert (raised[alive] > 1.0).any()  # rounds do close
    # the pool never holds more than a year's share
    sc = make_scenario()
    top = sc.values["cash_burn.investor_pool"].value * sc.values["cash_burn.pool_share"].value
    assert (s["funding_pool"] <= top + 1e-9).all()


def test_a_smaller_pool_means_more_failures_and_higher_odds():
    big = simulate(
        make_scenario(cash_burn={"investor_pool": 126.0}), paths=PATHS, keep_paths=PATHS, seed=SEED
    )
    small = simulate(
        make_scenario(cash_burn={"investor_pool": 31.5}), paths=PATHS, keep_paths=PATHS, seed=SEED
    )
    fails = small.states["lab_failed"][-1] - big.states["lab_failed"][-1]
    assert fails.mean() > 3 * fails.std(ddof=1) / np.sqrt(fails.size)
    d = small.hits("ai", 0.5).astype(float) - big.hits("ai", 0.5)
    assert d.mean() > 3 * d.std(ddof=1) / np.sqrt(d.size)


def test_stress_across_the_sector_slows_the_refill():
    calm = simulate(
        make_scenario(cash_burn={"pool_stress_cut": 0.0}), paths=PATHS, keep_paths=PATHS, seed=SEED
    )
    tight = simulate(
        make_scenario(cash_burn={"pool_stress_cut": 1.0}), paths=PATHS, keep_paths=PATHS, seed=SEED
    )
    assert tight.states["funding_pool"][1:].mean() < calm.states["funding_pool"][1:].mean()
    assert tight.states["lab_failed"][-1].mean() >= calm.states["lab_failed"][-1].mean()


def test_the_window_acts_on_the_rounds_only_and_does_not_drift_in_a_calm_market():
    # with money to spare the lab never draws on the pool: it stays full whatever AI stocks do
    # (before, the window shrank what the pool could hold, as well as the rounds' chance and the
    # refill: three times)
    rich = make_scenario(cash_burn={"initial_cash": 1e5})
    s = simulate(rich, paths=PATHS, keep_paths=PATHS, seed=SEED).states
    top = rich.values["cash_burn.investor_pool"].value * rich.values["cash_burn.pool_share"].value
    np.testing.assert_allclose(s["funding_pool"], top, rtol=1e-12)
    # the window is read from a fading peak, so in the no-bubble twin it does not close year by
    # year by itself (before: 0.82, 0.65, 0.53, 0.46, 0.41 on the baseline's twin)
    quiet = make_scenario(market={"feedback": False})
    w = simulate(quiet, paths=PATHS, keep_paths=PATHS, seed=SEED).states["funding_window"]
    by_year = [w[12 * (y - 1) + 1 : 12 * y + 1].mean() for y in range(1, 6)]
    assert by_year[-1] > by_year[1] - 0.03, by_year
    # a calm market with no falls keeps the window fully open: rounds close at round_rate
    calm = make_scenario(market={"feedback": False, "ai_volatility": 0.0, "hazard_base": 0.0})
    w = simulate(calm, paths=200, keep_paths=200, seed=SEED).states["funding_window"]
    np.testing.assert_allclose(w, 1.0, rtol=1e-12)
