"""Same scenario and seed, same numbers: whatever the chunking or number of workers."""

import numpy as np
import pytest

from bubblesim import simulate
from bubblesim.engine.rng import BLOCK_SIZE, blocks

from ..conftest import make_scenario


def _same(a, b, keys=None, subset=False):
    """The same reductions (``keys``: those whose names start so; default all, and the same set),
    kept paths and sketch (``subset``: b's sketch may hold some of a's variables only, as a twin
    beside its scenario does)."""
    if keys is None:
        assert set(a.reductions) == set(b.reductions)
        names = a.reductions
    else:
        names = [k for k in a.reductions if k.startswith(keys)]
        assert set(b.reductions) == set(names) and names
    for k in names:
        np.testing.assert_array_equal(a.reductions[k], b.reductions[k], err_msg=k)
    assert set(a.states) == set(b.states)
    for k in a.states:
        np.testing.assert_array_equal(a.states[k], b.states[k], err_msg=k)
    names = b.sketch.layout.names
    assert subset or names == a.sketch.layout.names
    rows = [a.sketch.layout.names.index(name) for name in names]
    for part in ("counts", "atom_counts", "atom_below", "vmin", "vmax"):
        np.testing.assert_array_equal(
            getattr(a.sketch, part)[rows], getattr(b.sketch, part), err_msg=part
        )
    for part in ("lo", "width", "log", "atoms"):
        np.testing.assert_array_equal(
            getattr(a.sketch.layout, part)[rows], getattr(b.sketch.layout, part), err_msg=part
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


@pytest.mark.parametrize("whole", [True, False], ids=["one-task-per-run", "split"])
def test_a_scenario_and_its_twin_side_by_side_give_the_numbers_of_each_alone(whole, monkeypatch):
    from bubblesim import load_scenario
    from bubblesim.analysis.result import (
        TWIN_REDUCTIONS,
        TWIN_SKETCH,
        no_bubble_twin,
        simulate_with_twins,
    )
    from bubblesim.engine import simulate as engine

    from ..conftest import SCENARIOS

    sent_whole = []
    whole_job = engine.RunRequest.whole_job
    monkeypatch.setattr(engine.RunRequest, "whole_job",
                        lambda self: sent_whole.append(self.n) or whole_job(self))  # fmt: skip
    if not whole:  # runs too long to go whole: chunk 0 first, then the rest cut into parts
        monkeypatch.setattr(engine, "WHOLE_RUN_PATHS", 0)
    sc = load_scenario(SCENARIOS / "dotcom_replay.toml")  # atoms at the ends of lab cash
    n = 2 * BLOCK_SIZE + 1808  # chunks [0], [1, 2]: split into one task per block on 2 workers
    alone = simulate(sc, paths=n, seed=11)
    twin = no_bubble_twin(alone)
    ((result, result_twin),) = simulate_with_twins([sc], paths=n, seed=11, workers=2)
    _same(alone, result)
    _same(twin, result_twin, keys=TWIN_REDUCTIONS, subset=True)
    assert result_twin.sketch.layout.names == TWIN_SKETCH  # the fans' outlines, no more
    assert sent_whole == ([n] if whole else [])  # the twin, as one task
    if whole:  # more workers than runs: a whole twin would set the time, so it is split too
        ((result3, twin3),) = simulate_with_twins([sc], paths=n, seed=11, workers=3)
        assert sent_whole == [n]
        _same(alone, result3)
        _same(twin, twin3, keys=TWIN_REDUCTIONS, subset=True)


def test_a_sketch_counts_a_chunk_cut_into_blocks_as_the_whole_chunk():
    from bubblesim.engine.sketch import StepSketch

    from ..conftest import SCENARIOS

    sc = __import__("bubblesim").load_scenario(SCENARIOS / "dotcom_replay.toml")
    r = simulate(sc, paths=3 * BLOCK_SIZE, seed=3, keep_paths=3 * BLOCK_SIZE)
    chunk = {k: np.ascontiguousarray(v[:, BLOCK_SIZE:]) for k, v in r.states.items()}
    whole, cut = StepSketch.empty(r.sketch.layout), StepSketch.empty(r.sketch.layout)
    whole.add(chunk)
    for part in (slice(0, BLOCK_SIZE), slice(BLOCK_SIZE, 2 * BLOCK_SIZE)):
        cut.add(
            {k: np.ascontiguousarray(v[:, part]) for k, v in chunk.items()}, rows_for=2 * BLOCK_SIZE
        )
    assert whole.atom_counts.sum() > 0
    for f in ("counts", "atom_counts", "atom_below"):
        np.testing.assert_array_equal(getattr(whole, f), getattr(cut, f))


def test_inputs_drawn_one_at_a_time_are_the_inputs_kept(monkeypatch):
    """A long run draws each path-varying input again when asked for (one at a time, nothing
    kept): the same values, and the same crash-inputs table, as the kept draws of a short one."""
    from bubblesim import load_scenario
    from bubblesim.analysis.insight import crash_inputs, parse_metric
    from bubblesim.engine import simulate as engine

    from ..conftest import SCENARIOS

    sc = load_scenario(SCENARIOS / "baseline.toml")
    kept = simulate(sc, paths=BLOCK_SIZE + 100, seed=5)
    table = crash_inputs(kept, parse_metric(None, sc))
    monkeypatch.setattr(engine, "KEPT_DRAWS_BYTES", 0)
    long = simulate(sc, paths=BLOCK_SIZE + 100, seed=5)
    assert long.draw_names == sorted(kept.draws) and len(long.draw_names) == 3
    for name in long.draw_names:
        np.testing.assert_array_equal(long.draw(name), kept.draws[name], err_msg=name)
    assert long._draws is None  # nothing kept
    assert crash_inputs(long, parse_metric(None, sc)).equals(table)


def test_a_twin_beside_its_scenario_keeps_only_what_the_yardstick_reads():
    from bubblesim import load_scenario
    from bubblesim.analysis.result import TWIN_REDUCTIONS, no_bubble_twin, simulate_with_twins

    from ..conftest import SCENARIOS

    sc = load_scenario(SCENARIOS / "public_questions.toml")  # events too
    ((result, twin),) = simulate_with_twins([sc], paths=1500, seed=2, workers=2)
    assert twin.reductions and all(k.startswith(TWIN_REDUCTIONS) for k in twin.reductions)
    assert any(k.startswith("event.") for k in twin.reductions)
    with pytest.raises(KeyError, match="keeps only what the yardstick reads"):
        twin.estimate("ai", sc.thresholds_for("ai")[0])
    full = no_bubble_twin(result)
    for index in ("ai_index", "market"):  # the fans' outlines: as the full twin's
        assert twin.quantiles(index).equals(full.quantiles(index))
    with pytest.raises(KeyError, match="distributions of ai_index, market only"):
        twin.quantiles("coverage")
    result.attach_yardstick(no_bubble=twin)
    compact = (result.metrics(), result.events())
    result.attach_yardstick(no_bubble=full)
    assert (result.metrics(), result.events()) == compact


def test_what_runs_beside_the_workers_is_joined_and_its_error_raised(monkeypatch):
    """``while_waiting`` runs in a thread beside the loop: its error is raised once the runs are
    done, and after a run's error the thread has been joined (nothing forks beside it later)."""
    import threading
    import time

    from bubblesim.engine import simulate as engine

    sc = make_scenario()
    runs = lambda: [engine.RunRequest(sc, paths=BLOCK_SIZE + 10, seed=s) for s in (1, 2)]  # noqa: E731

    def bad():
        raise RuntimeError("prepare failed")

    with pytest.raises(RuntimeError, match="prepare failed"):
        engine.simulate_many(runs(), workers=2, while_waiting=bad)
    assert not any(isinstance(t, engine._Helper) for t in threading.enumerate())
    done = []
    engine.simulate_many(runs(), workers=2, while_waiting=lambda: done.append(1))
    assert done == [1]

    class Boom(engine.RunRequest):
        def collect(self, item):
            raise ValueError("a run failed")

    slow = lambda: time.sleep(1.0)  # noqa: E731
    with pytest.raises(ValueError, match="a run failed"):
        engine.simulate_many([Boom(sc, paths=BLOCK_SIZE + 10, seed=1)] + runs(), workers=2,
                             while_waiting=slow)  # fmt: skip
    assert not any(isinstance(t, engine._Helper) for t in threading.enumerate())


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_without_its_sketch_has_the_same_odds(workers):
    """``sketch=False`` (the insight commands' runs) changes what is kept, not the numbers:
    the same per-path reductions, events and metrics as the full run, with one worker or two
    (where every task starts at once, chunk 0 no longer first), and no quantiles."""
    event = {"name": "fall", "index": "ai", "kind": "drawdown_within", "depth": 0.3,
             "window": "3m", "by": "2027-12-31"}  # fmt: skip
    sc = make_scenario(scenario={"horizon_years": 2.0}, events=[event])
    n = 2 * BLOCK_SIZE + 31  # two chunks: with a sketch it runs here, without it on workers
    full = simulate(sc, paths=n, seed=3, workers=1)
    bare = simulate(sc, paths=n, seed=3, workers=workers, sketch=False)
    assert bare.sketch is None and full.sketch is not None
    assert set(bare.reductions) == set(full.reductions)
    for k in full.reductions:
        np.testing.assert_array_equal(bare.reductions[k], full.reductions[k], err_msg=k)
    assert full.events() and bare.metrics() == full.metrics() and bare.events() == full.events()
    with pytest.raises(ValueError, match="sketch=False"):
        bare.quantiles("market")


def test_a_run_without_its_sketch_still_refuses_a_non_finite_state():
    """The sketch refused non-finite states; without it each piece is checked instead."""
    from bubblesim.scenario import ScenarioError

    sc = make_scenario(
        scenario={"horizon_years": 50.0},
        gpu_demand={"efficiency_shock_rate": 50, "efficiency_gain": 1000, "jevons": 2},
    )
    with pytest.raises(ScenarioError, match="became inf"):
        simulate(sc, paths=50, seed=1, sketch=False)


def test_runs_inside_shared_workers_use_one_pool_and_the_same_numbers(monkeypatch):
    """A command's runs (a batch, a sweep) share one pool of workers: started once, ended with
    the block; the numbers are those of runs with pools of their own. A run that fails stops
    the pool, and the next run in the block starts another."""
    from concurrent.futures import ProcessPoolExecutor

    from bubblesim.engine import simulate as engine

    started = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(self)
            super().__init__(*args, **kwargs)

    sc = make_scenario(scenario={"horizon_years": 1.0})
    n = 5 * BLOCK_SIZE + 5  # three chunks: on the workers
    alone = [simulate(sc, paths=n, seed=s, workers=2) for s in (1, 2)]
    monkeypatch.setattr(engine, "ProcessPoolExecutor", Counted)
    with engine.shared_workers(2):
        together = [simulate(sc, paths=n, seed=s, workers=2) for s in (1, 2)]
        assert len(started) == 1 and started[0]._processes  # one pool, still running
    assert started[0]._shutdown_thread  # ended with the block
    for a, b in zip(alone, together, strict=True):
        _same(a, b)

    def failing(done, total):  # an error in this process while the workers run
        raise RuntimeError("a run's error")

    started.clear()
    with engine.shared_workers(2):
        with pytest.raises(RuntimeError, match="a run's error"):
            simulate(sc, paths=n, seed=1, workers=2, progress=failing)
        _same(alone[0], simulate(sc, paths=n, seed=1, workers=2))
    assert len(started) == 2  # the failed run's pool was stopped; the next started its own


def test_a_sweep_runs_on_one_pool_of_workers(monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    from bubblesim.analysis.insight import parse_metric, sweep
    from bubblesim.engine import simulate as engine

    started = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(engine, "ProcessPoolExecutor", Counted)
    sc = make_scenario(scenario={"horizon_years": 1.0})
    metric = parse_metric(None, sc)
    table = sweep(sc, [("cash_burn.burn_scale", 0.5, 2.5, 5)], metric, paths=2 * BLOCK_SIZE,
                  seed=1, workers=2)  # fmt: skip
    assert len(table) == 5
    assert len(started) == 1


@pytest.mark.parametrize("sketch", [True, ("ai_index", "market")], ids=["all", "twin's"])
def test_a_non_finite_state_after_the_first_piece_is_refused_with_any_sketch(sketch, monkeypatch):
    """The sketch refuses a non-finite value of a variable it bins; one it does not bin (a twin
    keeps the two indices only) is caught by the check of every piece."""
    from bubblesim.engine import simulate as engine
    from bubblesim.scenario import ScenarioError

    real, calls = engine.run_model_into, []

    def spoiled(params, schedules, steps, dt, options, out):
        real(params, schedules, steps, dt, options, out)
        calls.append(1)
        if len(calls) == 2:  # the second piece: a lab's cash goes bad mid-run
            out["lab_cash"][5, 0] = np.nan

    monkeypatch.setattr(engine, "run_model_into", spoiled)
    sc = make_scenario(scenario={"horizon_years": 1.0})
    run = engine.RunRequest(sc, paths=BLOCK_SIZE + 10, seed=1, sketch=sketch)
    with pytest.raises(ScenarioError, match="lab_cash became nan"):
        engine.simulate_many([run], workers=1)
