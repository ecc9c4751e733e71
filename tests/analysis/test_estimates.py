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
