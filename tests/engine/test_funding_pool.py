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
    # the pool never holds more than a year's share, shrunk by the window
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
    assert small.states["lab_failed"][-1].mean() > big.states["lab_failed"][-1].mean() + 0.05
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
