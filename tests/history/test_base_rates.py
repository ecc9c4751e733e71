"""History's base rates and their block-bootstrap intervals (issue: history has no interval)."""

import math

import numpy as np
import pytest

from bubblesim.analysis.estimates import wilson_interval
from bubblesim.history.base_rates import (
    _window_extremes,
    block_bootstrap_shares,
    market_base_rate,
    market_base_rate_interval,
    us_market_returns,
)


@pytest.mark.parametrize("months", [12, 60])
@pytest.mark.parametrize("threshold", [0.1, 0.3])
def test_window_extremes_give_the_base_rates_exactly(months, threshold):
    x = np.cumsum(np.log1p(us_market_returns()["market_return"].to_numpy()))
    deepest, fall = _window_extremes(x, months)
    assert (deepest >= threshold).mean() == market_base_rate("drawdown", threshold, months)
    assert (fall >= threshold - 1e-12).mean() == market_base_rate("fall", threshold, months)


def _scan(log_levels, window):
    """The windows' extremes by a plain scan of each window's levels, one offset at a time."""
    n = log_levels.shape[-1] - window
    start = log_levels[..., :n]
    peak, deepest, low = start.copy(), np.zeros_like(start), start.copy()
    for j in range(1, window + 1):
        x = log_levels[..., j : j + n]
        peak = np.maximum(peak, x)
        deepest = np.maximum(deepest, peak - x)
        low = np.minimum(low, x)
    return -np.expm1(-deepest), -np.expm1(low - start)


@pytest.mark.parametrize("window", [1, 2, 3, 7, 12, 31, 32, 60, 63, 64, 120])
def test_window_extremes_by_doubling_equal_a_plain_scan_bit_for_bit(window):
    x = np.cumsum(np.random.default_rng(window).normal(0, 0.05, (4, 300)), axis=1)
    for got, want in zip(_window_extremes(x, window), _scan(x, window), strict=True):
        np.testing.assert_array_equal(got, want)


def test_window_extremes_on_a_hand_made_path():
    # log levels 0, ln 2, ln 1, ln 0.5, ln 1.5 : windows of 2 steps
    x = np.log([1.0, 2.0, 1.0, 0.5, 1.5])
    deepest, fall = _window_extremes(x, 2)
    np.testing.assert_allclose(deepest, [0.5, 0.75, 0.5])
    np.testing.assert_allclose(fall, [0.0, 0.75, 0.5])


def test_a_series_without_falls_has_a_zero_interval_and_blocks_wrap_round():
    flat = np.full(120, 0.01)
    deepest, fall = block_bootstrap_shares(flat, 12, replicates=50, rng=np.random.default_rng(1))
    assert deepest.shape == (50, 120 - 12) and (deepest == 0).all() and (fall <= 0).all()
    # blocks of consecutive returns: a series that alternates +10% and -10% keeps its
    # alternation within every block, so falls come at most two months in a row (where two
    # blocks meet) and no 6-month window falls 25%; months drawn one by one (blocks of 1) do
    r = np.tile([0.1, -0.1], 30)
    deepest, _ = block_bootstrap_shares(r, 6, replicates=20, rng=np.random.default_rng(2))
    single, _ = block_bootstrap_shares(r, 6, block=1, replicates=20, rng=np.random.default_rng(2))
    assert deepest.max() < 0.25 < single.max()


def test_history_intervals_are_as_wide_as_the_independent_windows_allow():
    for months, threshold in ((12, 0.2), (60, 0.2), (60, 0.3)):
        p = market_base_rate("drawdown", threshold, months)
        lo, hi = market_base_rate_interval("drawdown", threshold, months)
        assert lo <= p <= hi
        n_windows = 1108 - months  # overlapping windows, far from independent
        naive = 2 * 1.96 * math.sqrt(p * (1 - p) / n_windows)
        assert hi - lo > 3 * naive, (months, hi - lo, naive)
        # about as wide as a Wilson interval on the non-overlapping windows
        independent = 1108 // months
        w_lo, w_hi = wilson_interval(round(p * independent), independent)
        assert 0.5 < (hi - lo) / (w_hi - w_lo) < 2.0, (months, hi - lo, w_hi - w_lo)
    # the same interval every run (a fixed seed)
    assert market_base_rate_interval("drawdown", 0.2, 60) == market_base_rate_interval(
        "drawdown", 0.2, 60
    )
