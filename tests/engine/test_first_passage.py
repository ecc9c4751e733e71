"""First-passage dates: exact on hand-made paths, and consistent with the probabilities on
simulated ones (a crossing one step late changes no probability, only every date after it)."""

import numpy as np
import pytest

from bubblesim import load_scenario, simulate
from bubblesim.engine.reductions import first_crossing, path_summaries, running_drawdown

from ..conftest import SCENARIOS

THRESHOLDS = (0.1, 0.2, 0.3)


def _states(paths: list[list[float]]) -> dict[str, np.ndarray]:
    levels = np.array(paths, dtype=float).T  # time-major (n_points, n_paths)
    return {"ai_index": levels, "market": levels.copy()}


def test_first_crossings_on_hand_made_paths():
    states = _states(
        [
            [100, 110, 95, 79, 105],  # past 10% from the peak at 2, 20% at 3; below start at 3
            [100, 100, 100, 100, 69],  # every threshold at the last point only
            [100, 101, 102, 103, 104],  # never
        ]
    )
    r = path_summaries(states, {"ai": THRESHOLDS, "market": THRESHOLDS})
    for index in ("ai", "market"):
        assert list(r[f"{index}.first_drawdown.0"]) == [2, 4, -1]
        assert list(r[f"{index}.first_drawdown.1"]) == [3, 4, -1]
        assert list(r[f"{index}.first_drawdown.2"]) == [-1, 4, -1]  # 1 - 79/110 = 0.28
        assert list(r[f"{index}.first_fall.0"]) == [3, 4, -1]
        assert list(r[f"{index}.first_fall.1"]) == [3, 4, -1]
        assert list(r[f"{index}.first_fall.2"]) == [-1, 4, -1]
        np.testing.assert_allclose(r[f"{index}.max_drawdown"], [1 - 79 / 110, 0.31, 0.0])
    # the smallest integer type that holds the grid
    assert r["ai.first_drawdown.0"].dtype == np.int8


def test_a_crossing_at_the_first_step_is_index_one_and_at_the_start_index_zero():
    r = path_summaries(_states([[100, 50, 50]]), {"ai": (0.4,), "market": (0.4,)})
    assert r["ai.first_drawdown.0"][0] == 1 and r["ai.first_fall.0"][0] == 1
    assert first_crossing(np.array([0.5, 0.1]), 0.4) == 0


@pytest.fixture(scope="module")
def baseline_run():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    return simulate(sc, paths=3000, seed=9, keep_paths=3000)


def test_first_crossings_are_the_running_drawdowns_first_crossings(baseline_run):
    r = baseline_run
    for index, var in (("ai", "ai_index"), ("market", "market")):
        levels = r.states[var]
        drawdown = running_drawdown(levels, axis=0)
        fall = 1.0 - levels / levels[0]
        for j, thr in enumerate(r.scenario.thresholds_for(index)):
            np.testing.assert_array_equal(
                r.reductions[f"{index}.first_drawdown.{j}"], first_crossing(drawdown, thr, axis=0)
            )
            np.testing.assert_array_equal(
                r.reductions[f"{index}.first_fall.{j}"], first_crossing(fall, thr, axis=0)
            )


def test_the_cumulative_odds_end_at_the_runs_own_estimate(baseline_run):
    r = baseline_run
    for index in ("ai", "market"):
        for thr in r.scenario.thresholds_for(index):
            cum = r.cumulative(index, thr)["probability"].to_numpy()
            assert cum[-1] == r.estimate(index, thr).probability, (index, thr)
            assert (np.diff(cum) >= 0).all()
    # crossings on the last date count (they fell off the grid when a crossing came a step late)
    last = r.scenario.n_steps
    assert any(
        (r.reductions[f"{i}.first_drawdown.{j}"] == last).any()
        for i in ("ai", "market")
        for j in range(3)
    )
