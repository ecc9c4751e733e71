"""Streaming: per-step distributions in a fixed-size, mergeable sketch; memory flat in paths."""

import tracemalloc

import numpy as np
import pytest

from bubblesim import load_scenario, simulate
from bubblesim.analysis.estimates import QUANTILES
from bubblesim.engine.rng import BLOCK_SIZE
from bubblesim.engine.sketch import MAX_POINTS, N_BINS, SketchLayout, StepSketch

from ..conftest import SCENARIOS, make_scenario


def _quantile_standard_error(x: np.ndarray, qs: np.ndarray, d: float = 0.01) -> np.ndarray:
    """Monte Carlo standard error of each sample quantile: sqrt(p(1-p)/n) / density, the
    density read from the exact quantiles at p +/- d."""
    n = x.shape[1]
    hi = np.quantile(x, np.minimum(qs + d, 1.0), axis=1).T
    lo = np.quantile(x, np.maximum(qs - d, 0.0), axis=1).T
    spacing = np.minimum(qs + d, 1.0) - np.maximum(qs - d, 0.0)
    return (hi - lo) / spacing * np.sqrt(qs * (1 - qs) / n)


def test_sketch_quantiles_are_a_small_part_of_their_monte_carlo_error():
    """At a size where every path fits, the sketch's quantiles of every state variable are within
    half a Monte Carlo standard error of the exact ones, and exact where the quantile sits on an
    atom the layout keeps. Where values crowd closer together than the bins (a cluster just beside
    an atom, such as the overvaluation of paths with a little stress next to those with none, or a
    repeated value beyond the atoms kept) the bound is the documented one, a bin's width."""
    sc = load_scenario(SCENARIOS / "baseline.toml")
    n = 3 * BLOCK_SIZE
    r = simulate(sc, paths=n, seed=3, keep_paths=n)
    lay = r.sketch.layout
    qs = np.array(QUANTILES)
    allowance = 0
    for v, var in enumerate(lay.names):
        exact = np.quantile(r.states[var], qs, axis=1).T
        got = r.quantiles(var, tuple(qs)).to_numpy()
        se = _quantile_standard_error(r.states[var], qs)
        err = np.abs(got - exact)
        scale = 1.0 + np.abs(exact)
        kept = np.zeros(exact.shape, dtype=bool)  # the quantile is an atom the layout keeps
        for step, atoms in enumerate(lay.atoms[v].T):
            kept[step] = np.isin(exact[step], atoms[~np.isnan(atoms)])
        assert (err[kept] <= 1e-9 * scale[kept]).all(), var
        width = lay.width[v][:, None] * (np.abs(exact) if lay.log[v] else 1.0)
        smooth = err <= 0.5 * se
        assert (smooth | kept | (err <= width)).all(), (var, float((err / width).max()))
        allowance += int((~smooth & ~kept).sum())
    assert allowance <= 0.01 * len(lay.names) * lay.n_points * len(qs)  # rare: 1% of the cells


def _states(x: np.ndarray, name: str = "v") -> dict:
    return {name: x}


def test_adding_blocks_one_by_one_or_together_gives_the_same_counts():
    rng = np.random.default_rng(1)
    blocks = [rng.lognormal(size=(5, 300)) for _ in range(3)]
    layout = SketchLayout.from_block(_states(blocks[0]), ("v",))
    apart, together, merged = (StepSketch.empty(layout) for _ in range(3))
    for b in blocks:
        apart.add(_states(b))
    together.add(_states(np.concatenate(blocks, axis=1)))
    for b in reversed(blocks):  # merged in another order
        one = StepSketch.empty(layout)
        one.add(_states(b))
        merged.merge(one)
    for other in (together, merged):
        np.testing.assert_array_equal(apart.counts, other.counts)
        np.testing.assert_array_equal(apart.vmin, other.vmin)
        assert apart.paths == other.paths == 900


def test_steps_read_together_give_the_numbers_of_steps_read_one_by_one():
    from bubblesim.engine.sketch import INTEGER_VARIABLES, _read_quantiles

    r = simulate(load_scenario(SCENARIOS / "baseline.toml"), paths=3000, seed=5)
    sk = r.sketch
    for name in ("ai_index", "ai_revenue", "crash_count", "capex"):
        v = sk.layout.names.index(name)
        plain = np.flatnonzero(~(sk.atom_counts[v] > 0).any(axis=0))
        assert plain.size > 10
        got = sk.quantiles(name, QUANTILES)[plain]
        one_by_one = [
            _read_quantiles(*sk._pieces(v, s, name in INTEGER_VARIABLES), QUANTILES) for s in plain
        ]
        np.testing.assert_array_equal(got, np.array(one_by_one))


def test_atoms_and_integer_variables_are_read_exactly():
    rng = np.random.default_rng(2)
    n = 5000
    # 40% exactly zero (cash at its floor), 20% at a cap, the rest continuous between
    cash = np.where(rng.random((3, n)) < 0.4, 0.0, rng.uniform(0, 50, (3, n)))
    cash[rng.random((3, n)) < 0.2] = 50.0
    crashes = rng.poisson(1.3, (3, n)).astype(float)
    states = {"lab_cash": cash, "crash_count": crashes}
    # the layout comes from a first block drawn like the rest (as block 0 is)
    layout = SketchLayout.from_block({k: v[:, :1000] for k, v in states.items()}, tuple(states))
    sk = StepSketch.empty(layout)
    sk.add(states)
    for qs in ((0.1, 0.3, 0.35), (0.05, 0.5, 0.95)):
        for name, x in states.items():
            exact = np.quantile(x, qs, axis=1).T
            on_atom = np.isin(exact, [0.0, 50.0]) | (name == "crash_count")
            got = sk.quantiles(name, qs)
            np.testing.assert_allclose(got[on_atom], exact[on_atom], rtol=0, atol=1e-12)


def test_a_sketch_has_the_same_size_whatever_the_paths_and_at_most_max_points_dates():
    sc = make_scenario(scenario={"horizon_years": 1.0})
    small, big = simulate(sc, paths=200, seed=1), simulate(sc, paths=3 * BLOCK_SIZE, seed=1)
    assert small.sketch.counts.shape == big.sketch.counts.shape
    assert small.sketch.counts.shape[-1] == N_BINS + 2
    long = make_scenario(scenario={"horizon_years": 10.0, "steps_per_year": 252})
    r = simulate(long, paths=20, seed=1)
    assert len(r.sketch.layout.points) == MAX_POINTS
    q = r.quantiles("market")
    assert len(q) == MAX_POINTS and q.index[0] == r.dates[0] and q.index[-1] == r.dates[-1]


def test_keep_paths_holds_the_first_paths_and_nothing_by_default():
    sc = make_scenario(scenario={"horizon_years": 1.0})
    n = BLOCK_SIZE + 50
    everything = simulate(sc, paths=n, seed=4, keep_paths=n)
    assert simulate(sc, paths=n, seed=4).states == {}
    some = simulate(sc, paths=n, seed=4, keep_paths=BLOCK_SIZE + 7)
    assert some.kept_paths == BLOCK_SIZE + 7
    for k, v in some.states.items():
        assert v.shape == (sc.n_steps + 1, BLOCK_SIZE + 7)
        np.testing.assert_array_equal(v, everything.states[k][:, : BLOCK_SIZE + 7])


def _peak_traced_bytes(sc, paths: int) -> int:
    tracemalloc.start()
    try:
        simulate(sc, paths=paths, seed=2)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_paths():
    """Four times the chunks, the same peak (within the per-path summaries, ~28 bytes a path)."""
    sc = make_scenario(scenario={"horizon_years": 1.0})
    few = _peak_traced_bytes(sc, 5 * BLOCK_SIZE)  # block 0, then one chunk of four
    many = _peak_traced_bytes(sc, 17 * BLOCK_SIZE)  # block 0, then four chunks of four
    per_path = 100  # generous: summaries are 2 x 8 bytes + 12 x 1 byte
    assert many < few + 12 * BLOCK_SIZE * per_path, (few, many)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_state_is_refused_by_the_sketch(bad):
    x = np.ones((2, 10))
    layout = SketchLayout.from_block(_states(x), ("v",))
    sk = StepSketch.empty(layout)
    x[1, 3] = bad
    with pytest.raises(FloatingPointError):
        sk.add(_states(x))


def _layout_atoms_one_row_at_a_time(x: np.ndarray) -> np.ndarray:
    """The exactly-kept values of one variable as the layout defines them, row by row with
    ``numpy.unique``: the lowest and highest value when held twice or more, then up to
    INTERIOR_ATOMS other values held by at least ATOM_SHARE of the row (and twice)."""
    from bubblesim.engine.sketch import ATOM_SHARE, INTERIOR_ATOMS

    out = np.full((2 + INTERIOR_ATOMS, x.shape[0]), np.nan)
    for s, row in enumerate(x):
        values, counts = np.unique(row, return_counts=True)
        lo, hi = row.min(), row.max()  # a zero with the sign min and max give it
        if counts[0] >= 2:
            out[0, s] = lo
        if counts[-1] >= 2 and hi > lo:
            out[1, s] = hi
        inner = (counts >= max(2, ATOM_SHARE * row.size)) & (values != lo) & (values != hi)
        found = values[inner][np.argsort(-counts[inner], kind="stable")][:INTERIOR_ATOMS]
        out[2 : 2 + found.size, s] = found
    return out


@pytest.mark.parametrize("n", [2, 3, 40, 4096])
def test_the_layouts_exact_values_are_those_of_each_row_read_on_its_own(n):
    """The layout finds repeated values in each step's sorted values at once; on rows built at
    the edges of the rule (a value held exactly as often as the share asks, and once less; only
    the extremes repeated; ties in frequency; a constant row) it keeps what a row-by-row count
    keeps."""
    from bubblesim.engine.sketch import ATOM_SHARE

    rng = np.random.default_rng(5)
    need = int(np.ceil(max(2, ATOM_SHARE * n)))
    rows = [rng.normal(size=n) for _ in range(7)]
    if n >= need + 2:
        rows[0][:need] = 0.25  # held exactly as often as asked: kept
        rows[1][: need - 1] = 0.25  # once less: not kept
        rows[2][:need] = rows[2].min() - 1.0  # the lowest, repeated: kept as the low end only
        rows[3][:need], rows[3][need : 2 * need] = 0.5, -0.5  # a tie: both, lower value first
    if n >= 4 * need + 2:
        for j, value in enumerate((0.1, 0.2, 0.3, 0.4)):  # four candidates for three places
            rows[4][j * need : (j + 1) * need + (j == 3)] = value
    rows[5][:] = 1.5  # one value: no range, no atoms
    zeros = np.where(rng.random(n // 2) < 0.5, 0.0, -0.0)  # an interior zero of both signs
    rows[6][: n // 2] = zeros
    x = np.stack(rows)
    names = ("ai_revenue",)
    layout = SketchLayout.from_block({"ai_revenue": x}, names)
    expected = _layout_atoms_one_row_at_a_time(x)
    np.testing.assert_array_equal(layout.atoms[0], expected)
    np.testing.assert_array_equal(np.signbit(layout.atoms[0]), np.signbit(expected))
    if n == 4096:
        assert layout.atoms[0, 2, 0] == 0.25 and np.isnan(layout.atoms[0, 2, 1])
        assert layout.atoms[0, 0, 2] == rows[2].min() and np.isnan(layout.atoms[0, 2, 2])
        np.testing.assert_array_equal(layout.atoms[0, 2:4, 3], [-0.5, 0.5])
        np.testing.assert_array_equal(layout.atoms[0, 2:, 4], [0.4, 0.1, 0.2])


def _one_step_at_a_time(sk: StepSketch, name: str, qs) -> np.ndarray:
    """Quantiles read step by step from each step's sorted pieces (the reference reading)."""
    from bubblesim.engine.sketch import INTEGER_VARIABLES, _read_quantiles

    v = sk.layout.names.index(name)
    rows = []
    for s in range(sk.layout.n_points):
        counts, a, b = sk._pieces(v, s, name in INTEGER_VARIABLES)
        rows.append(_read_quantiles(counts, a, b, qs))
    return np.array(rows)


@pytest.mark.parametrize("file, paths", [("baseline.toml", 900), ("dotcom_replay.toml", 5000)])
def test_quantiles_read_all_steps_at_once_are_those_read_step_by_step(file, paths):
    """Every variable's steps are read together (atoms inserted, bins split at them, value
    ranges worked out only where a rank falls): the numbers of reading each step's sorted
    pieces one at a time, to the last bit. dotcom_replay holds atoms at both ends of the
    labs' cash, one a hair below the largest value."""
    sk = simulate(load_scenario(SCENARIOS / file), paths=paths, seed=5).sketch
    qs = (*QUANTILES, 0.0, 0.001, 0.999, 1.0)
    for name in sk.layout.names:
        np.testing.assert_array_equal(sk.quantiles(name, qs), _one_step_at_a_time(sk, name, qs),
                                      err_msg=name)  # fmt: skip


def test_two_atoms_in_one_bin_and_atoms_at_the_ends_are_read_as_step_by_step():
    rng = np.random.default_rng(3)
    x = rng.uniform(1.0, 2.0, size=(3, 4000))
    x[:, :300] = 1.0  # the lowest value, repeated
    x[:, 300:500] = 2.0  # the highest
    x[0, 500:700], x[0, 700:800] = 1.37, 1.37 + 1e-9  # two interior atoms in one bin
    x[0, 800:810] = 1.37 + np.linspace(-3e-9, 3e-9, 10)  # and other values of that bin
    x[1, 500:700] = 1.25
    names = ("ai_revenue",)
    layout = SketchLayout.from_block(_states(x, "ai_revenue"), names)
    assert np.isfinite(layout.atoms[0, :, 0]).sum() == 4
    sk = StepSketch.empty(layout)
    sk.add(_states(x, "ai_revenue"))
    sk.add(_states(rng.uniform(0.5, 2.5, size=(3, 1000)), "ai_revenue"))  # beyond block 0
    qs = tuple(np.linspace(0.0, 1.0, 401))  # ranks all through, the atoms' among them
    np.testing.assert_array_equal(
        sk.quantiles("ai_revenue", qs), _one_step_at_a_time(sk, "ai_revenue", qs)
    )
