"""Runs blocks of paths (streams -> shocks -> model -> reductions), serially or in processes.

A block's numbers depend only on the seed and the block index (see :mod:`bubblesim.engine.rng`), so
``workers`` only changes the wall-clock time, never the results.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .._version import __version__
from ..scenario import Scenario, ScenarioError
from .model import STATE_VARIABLES, ModelOptions, run_model
from .reductions import INDICES, path_summaries
from .rng import BLOCK_SIZE, blocks
from .shocks import draw_parameters, draw_shocks, schedule

__all__ = [
    "simulate_paths",
    "SimulatedPaths",
    "MEMORY_LIMIT_BYTES",
    "INDICES",
    "model_inputs",
    "NumericalError",
    "use_scheduler",
    "ClusterError",
]

#: Per-step states are kept (float64) for quantiles; runs needing more than this are refused.
MEMORY_LIMIT_BYTES = 10 * 1024**3


def model_inputs(scenario: Scenario, block: int, n_paths: int, seed: int):
    """Everything :func:`bubblesim.engine.model.run_model` needs for one block.

    Returns ``(params, schedules, shocks, dt, options)``.
    """
    n_steps = scenario.n_steps
    params = draw_parameters(scenario, seed, block, n_paths)
    start = scenario.start_year()
    schedules = {
        name: schedule(scenario.values[name], start, scenario.dt, n_steps)
        for name in ("capex.plan", "cash_burn.plan", "cash_burn.revenue_plan")
    }
    shocks = draw_shocks(seed, block, n_paths, n_steps)
    options = ModelOptions(
        feedback=bool(scenario.values["market.feedback"]),
        bubble_compensation=bool(scenario.values["market.bubble_compensation"]),
        required_revenue_rule=scenario.values["capex.required_revenue_rule"],
        regime=scenario.values["market.regime"],
    )
    return params, schedules, shocks, scenario.dt, options


class ClusterError(RuntimeError):
    """A dask.distributed cluster that cannot be used (not installed, not reachable). One line."""


class NumericalError(ScenarioError):
    """A state variable overflowed or became NaN: the inputs drive the model out of range."""


def check_finite(scenario: Scenario, states: dict[str, np.ndarray], first_path: int = 0) -> None:
    """Raise :class:`NumericalError` naming the variable, step, date and path of the earliest non-finite value."""
    first = None  # (step, variable order, variable, path)
    for order, name in enumerate(STATE_VARIABLES):
        bad = ~np.isfinite(states[name])
        if bad.any():
            step, path = np.argwhere(bad)[0]
            if first is None or step < first[0]:
                first = (step, order, name, path)
    if first is not None:
        step, _, name, path = first
        raise NumericalError(
            scenario.path,
            None,
            f"scenario {scenario.name!r}: {name} became {states[name][step, path]} at step {step} "
            f"({scenario.dates()[step]}) on path {first_path + path}; the inputs drive the model "
            "out of floating-point range (look at extreme rates, elasticities or hazards)",
        )


def _run_block(args: tuple) -> tuple:
    scenario, block, n_paths, seed, overrides = args
    params, schedules, shocks, dt, options = model_inputs(scenario, block, n_paths, seed)
    if overrides:  # per-path values imposed on some inputs (e.g. a Sobol design)
        first = block * BLOCK_SIZE
        for name, values in overrides.items():
            params[name] = np.asarray(values[first : first + n_paths], dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        states = run_model(params, schedules, shocks, dt, options)
    check_finite(scenario, states, first_path=block * BLOCK_SIZE)
    varied = set(scenario.distribution_names()) | set(overrides or ())
    return (
        block,
        n_paths,
        path_summaries(states, {i: scenario.thresholds_for(i) for i in INDICES}),
        states,
        {name: params[name] for name in sorted(varied)},
    )


#: The scheduler every run uses while :func:`use_scheduler` is active (None: this machine).
_AMBIENT_SCHEDULER: list[str | None] = [None]


@contextlib.contextmanager
def use_scheduler(scheduler: str | None):
    """Within the block, every run without its own ``scheduler`` uses this one (the CLI's
    ``--scheduler``: a command's runs, its no-bubble twin and precision rounds all go there)."""
    _AMBIENT_SCHEDULER.append(scheduler)
    try:
        yield
    finally:
        _AMBIENT_SCHEDULER.pop()


def _run_on_cluster(scheduler: str, jobs: list, workers: int):
    """Run the blocks on dask.distributed and yield them as they finish (any order)."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the extra
        raise ClusterError(
            "--scheduler needs dask.distributed: pip install 'bubblesim[dask]'"
        ) from None
    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)  # fmt: skip
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=10)
    except OSError as exc:
        raise ClusterError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        futures = client.map(_run_block, jobs, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@dataclass
class SimulatedPaths:
    """What the engine hands on from a run: the scenario, per-step states and per-path summaries.

    :class:`bubblesim.SimulationResult` (in :mod:`bubblesim.analysis.result`) adds the estimates,
    intervals and tables computed from them.

    Attributes
    ----------
    states : dict
        State variable -> float64 array of shape ``(n_steps + 1, paths)`` (time-major).
    reductions : dict
        Per-path summaries (see :func:`~bubblesim.engine.reductions.path_summaries`), e.g.
        ``"ai.max_drawdown"`` (fractions) and ``"market.first_drawdown.0"`` (grid index of the
        first drawdown past threshold 0, -1 if none).
    """

    scenario: Scenario
    paths: int
    seed: int
    states: dict[str, np.ndarray]
    reductions: dict[str, np.ndarray]
    elapsed_seconds: float
    version: str = __version__
    #: Per-path draws of the inputs that vary from path to path (distributions, overrides).
    draws: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def dates(self) -> np.ndarray:
        return self.scenario.dates()


def estimate_memory(scenario: Scenario, paths: int) -> int:
    """Bytes held for per-step states of a run of ``paths`` paths."""
    return paths * (scenario.n_steps + 1) * len(STATE_VARIABLES) * 8


def simulate_paths(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    overrides: dict[str, np.ndarray] | None = None,
    scheduler: str | None = None,
) -> SimulatedPaths:
    """Simulate a scenario's paths in blocks and keep their states and per-path summaries.

    The parameters are those of :func:`bubblesim.simulate`, which is this run wrapped in a
    :class:`bubblesim.SimulationResult` (estimates and tables added). ``overrides`` maps scalar
    inputs (``"section.key"``) to one value per path, replacing their draws. ``scheduler`` runs
    the same blocks on a dask.distributed cluster (its address, or ``"local"`` for a local one):
    a block's numbers depend only on the seed and its index, so the results are identical.
    """
    scenario = scenario.with_overrides(paths=paths, seed=seed)
    n = scenario.paths
    need = estimate_memory(scenario, n)
    if need > MEMORY_LIMIT_BYTES:
        raise ScenarioError(
            scenario.path,
            "simulation.paths",
            f"{n:,} paths x {scenario.n_steps + 1} dates need ~{need / 1024**3:.1f} GiB for per-step "
            f"quantiles, over the {MEMORY_LIMIT_BYTES / 1024**3:.0f} GiB limit; use fewer paths or steps",
        )
    if workers < 1:
        raise ValueError("workers must be >= 1")
    t0 = time.perf_counter()
    if overrides:
        for name, values in overrides.items():
            if np.shape(values) != (n,):
                raise ValueError(f"overrides[{name!r}] needs one value per path ({n})")
    jobs = [(scenario, b, size, scenario.seed, overrides) for b, size in blocks(n)]
    parts: list = []
    done = 0

    def collect(item):
        nonlocal done
        parts.append(item)
        done += item[1]
        if progress is not None:
            progress(done, n)

    scheduler = scheduler if scheduler is not None else _AMBIENT_SCHEDULER[-1]
    if scheduler is not None:
        for item in _run_on_cluster(scheduler, jobs, workers):
            collect(item)
    elif workers == 1 or len(jobs) == 1:
        for job in jobs:
            collect(_run_block(job))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for item in pool.map(_run_block, jobs):
                collect(item)
    parts.sort(key=lambda item: item[0])
    reductions = {k: np.concatenate([p[2][k] for p in parts]) for k in parts[0][2]}
    states = {k: np.concatenate([p[3][k] for p in parts], axis=1) for k in parts[0][3]}
    draws = {k: np.concatenate([p[4][k] for p in parts]) for k in parts[0][4]}
    return SimulatedPaths(
        scenario=scenario,
        paths=n,
        seed=scenario.seed,
        states=states,
        reductions=reductions,
        elapsed_seconds=time.perf_counter() - t0,
        draws=draws,
    )
