"""Same scenario and seed, same numbers: whatever the chunking or number of workers."""

import numpy as np

from bubblesim import simulate
from bubblesim.engine.rng import BLOCK_SIZE, blocks

from ..conftest import make_scenario


def _same(a, b):
    for k in a.reductions:
        np.testing.assert_array_equal(a.reductions[k], b.reductions[k], err_msg=k)
    for k in a.states:
        np.testing.assert_array_equal(a.states[k], b.states[k], err_msg=k)
    for part in ("counts", "atom_counts", "vmin", "vmax"):
        np.testing.assert_array_equal(
            getattr(a.sketch, part), getattr(b.sketch, part), err_msg=part
        )


def test_same_seed_same_bytes():
    sc = make_scenario()
    _same(
        simulate(sc, paths=500, keep_paths=500, seed=9),
        simulate(sc, paths=500, keep_paths=500, seed=9),
    )


def test_different_seed_different_numbers():
    sc = make_scenario()
    a = simulate(sc, paths=500, keep_paths=500, seed=9)
    b = simulate(sc, paths=500, keep_paths=500, seed=10)
    assert not np.array_equal(a.states["ai_index"], b.states["ai_index"])


def test_workers_do_not_change_results():
    sc = make_scenario(scenario={"horizon_years": 1.0})
    n = 9 * BLOCK_SIZE + 17  # block 0, two chunks of four blocks, a short last chunk
    one = simulate(sc, paths=n, keep_paths=n, seed=4, workers=1)
    _same(one, simulate(sc, paths=n, keep_paths=n, seed=4, workers=2))
    _same(one, simulate(sc, paths=n, keep_paths=n, seed=4, workers=3))


def test_stepping_a_block_in_slices_gives_the_same_numbers(monkeypatch):
    """A long grid steps fewer paths at once (slices of a block); the numbers do not change."""
    from bubblesim.engine import simulate as engine

    sc = make_scenario(scenario={"horizon_years": 2.0})
    n = BLOCK_SIZE + 300
    whole = simulate(sc, paths=n, keep_paths=n, seed=4)
    monkeypatch.setattr(engine, "CHUNK_BYTES", 2 * 1024**2)
    assert engine.piece_width(sc.n_steps) < BLOCK_SIZE
    sliced = simulate(sc, paths=n, keep_paths=n, seed=4)
    # every path is the same; the sketch's bins are set by the first slice (the piece width is
    # fixed by the grid alone, so a given scenario always gets the same bins)
    for k in whole.reductions:
        np.testing.assert_array_equal(whole.reductions[k], sliced.reductions[k], err_msg=k)
    for k in whole.states:
        np.testing.assert_array_equal(whole.states[k], sliced.states[k], err_msg=k)
    assert sliced.sketch.paths == n


def test_fewer_paths_are_a_prefix_of_more_paths():
    sc = make_scenario(scenario={"horizon_years": 1.0})
    small = simulate(sc, paths=BLOCK_SIZE + 100, keep_paths=BLOCK_SIZE + 100, seed=4)
    big = simulate(sc, paths=2 * BLOCK_SIZE + 50, keep_paths=2 * BLOCK_SIZE + 50, seed=4)
    m = BLOCK_SIZE + 100
    np.testing.assert_array_equal(small.states["market"], big.states["market"][:, :m])
    np.testing.assert_array_equal(
        small.reductions["ai.max_drawdown"], big.reductions["ai.max_drawdown"][:m]
    )


def test_blocks_partition_paths():
    assert blocks(1) == [(0, 1)]
    assert blocks(BLOCK_SIZE) == [(0, BLOCK_SIZE)]
    assert blocks(BLOCK_SIZE + 1) == [(0, BLOCK_SIZE), (1, 1)]


def test_adding_a_distribution_elsewhere_keeps_common_random_numbers():
    a = make_scenario()
    b = make_scenario(llm_price={"volatility": {"dist": "uniform", "low": 0.19, "high": 0.21}})
    ra, rb = (
        simulate(a, paths=300, keep_paths=300, seed=1),
        simulate(b, paths=300, keep_paths=300, seed=1),
    )
    # the market's own shocks are untouched: rest-of-market paths differ only through the AI index
    assert np.corrcoef(ra.states["ai_index"][-1], rb.states["ai_index"][-1])[0, 1] > 0.99
