"""--target-ci: paths are added until the headline intervals are narrow enough."""

import numpy as np

from bubblesim import load_scenario, simulate
from bubblesim.analysis.precision import (
    compare_to_precision,
    paths_needed,
    simulate_to_precision,
    widest_half_width,
)
from bubblesim.engine.rng import BLOCK_SIZE

from ..cli.test_cli import invoke
from ..conftest import SCENARIOS


def test_paths_needed_scales_with_the_square_and_rounds_to_blocks():
    assert paths_needed(1000, 0.04, 0.02, 10**6) == 2 * BLOCK_SIZE  # 4x 1000 x 1.05 -> 2 blocks
    assert paths_needed(BLOCK_SIZE, 0.0201, 0.02, 10**6) == 2 * BLOCK_SIZE  # always grows
    assert paths_needed(1000, 0.5, 0.001, 50_000) == 50_000  # capped


def test_simulate_to_precision_reaches_the_target_with_the_same_paths_as_a_plain_run():
    sc = load_scenario(SCENARIOS / "baseline.toml").with_overrides(paths=1000)
    rounds = []
    result, width = simulate_to_precision(
        sc, 0.015, 100_000, note=lambda n, w: rounds.append((n, w))
    )
    assert width <= 0.015 and width == widest_half_width(result)
    assert [n for n, _ in rounds][0] == 1000 and rounds[-1][0] == result.paths > 1000
    plain = simulate(sc, paths=result.paths)
    for key, values in plain.reductions.items():
        np.testing.assert_array_equal(result.reductions[key], values, err_msg=key)
    np.testing.assert_array_equal(result.sketch.counts, plain.sketch.counts)


def test_max_paths_stops_and_compare_targets_the_paired_differences():
    sc = load_scenario(SCENARIOS / "baseline.toml").with_overrides(paths=500)
    result, width = simulate_to_precision(sc, 0.001, 2000)
    assert result.paths == 2000 and width > 0.001
    other = load_scenario(SCENARIOS / "soft_landing.toml")
    comparison, width = compare_to_precision([sc, other], 0.03, 50_000)
    table = comparison.table()
    others = table[table["scenario"] == "soft_landing"]
    assert ((others["difference_ci_high"] - others["difference_ci_low"]) / 2).max() == width <= 0.03


def test_cli_says_how_many_paths_it_took(in_tmp):
    res = invoke(
        "run", str(SCENARIOS / "baseline.toml"), "-n", "1000", "--target-ci", "0.02", "-o", "r"
    )
    assert res.exit_code == 0, res.output
    assert "reached +/-2.00 pts with" in res.stdout
