"""Exact tests of the per-path reductions on hand-made arrays."""

import numpy as np

from bubblesim.engine.reductions import first_crossing, max_drawdown, running_drawdown


def test_running_drawdown_by_hand():
    levels = np.array([[100.0, 120.0, 90.0, 130.0, 104.0]])
    np.testing.assert_allclose(running_drawdown(levels), [[0, 0, 0.25, 0, 0.2]])
    np.testing.assert_allclose(max_drawdown(levels), [0.25])
    # time-major layout
    np.testing.assert_allclose(max_drawdown(levels.T, axis=0), [0.25])


def test_first_crossing_and_never():
    dd = np.array([[0.0, 0.05, 0.12, 0.3], [0.0, 0.01, 0.02, 0.03]])
    np.testing.assert_array_equal(first_crossing(dd, 0.1), [2, -1])
    np.testing.assert_array_equal(first_crossing(dd.T, 0.3, axis=0), [3, -1])


def test_one_point_paths_never_draw_down():
    assert max_drawdown(np.array([[100.0]]))[0] == 0.0
