"""Exact tests of the estimates and intervals on hand-made arrays."""

import numpy as np
import pytest

from bubblesim.analysis.estimates import proportion, wilson_interval


def test_wilson_interval_known_values():
    # Wilson 95% interval for 3 of 10 (Newcombe 1998, table I): 0.1078 to 0.6032
    lo, hi = wilson_interval(3, 10)
    assert lo == pytest.approx(0.1078, abs=1e-4) and hi == pytest.approx(0.6032, abs=1e-4)
    lo, hi = wilson_interval(0, 20)
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-4)


def test_proportion_has_standard_error_and_interval():
    est = proportion(np.array([True] * 30 + [False] * 70))
    assert est.probability == 0.3
    assert est.std_error == pytest.approx(np.sqrt(0.3 * 0.7 / 100))
    assert est.ci_low < 0.3 < est.ci_high
    assert est.paths_for_std_error(0.01) == 2100


def test_wilson_interval_contains_the_estimate_at_the_edges():
    for n in (1, 7, 2000, 10_000, 123_457):
        for s in (0, 1, n - 1, n):
            lo, hi = wilson_interval(s, n)
            assert lo <= s / n <= hi


def test_paired_difference_of_hits_is_the_same_in_one_byte_a_path():
    """Boolean hits are read as int8 (a long run's memory), with the numbers of float arrays."""
    from bubblesim.analysis.estimates import paired_difference

    rng = np.random.default_rng(1)
    for n in (2, 101, 8193, 200_003):  # below and beyond numpy's 8,192-element buffers
        u = rng.random(n)
        a, b = u < 0.3, (u + 0.1 * rng.standard_normal(n)) < 0.35
        assert paired_difference(a, b) == paired_difference(a.astype(float), b.astype(float))
        assert n < 100 or paired_difference(a, b).std_error > 0
