"""Runs blocks of paths (streams -> shocks -> model -> reductions), serially or in processes.

A block's numbers depend only on the seed and the block index (see :mod:`bubblesim.engine.rng`), so
``workers`` only changes the wall-clock time, never the results. Paths are streamed: each chunk of
blocks is stepped as one wide array, reduced (per-path summaries, per-step counts in a
:class:`~bubblesim.engine.sketch.StepSketch`, the first ``keep_paths`` full paths) and dropped, so
a run's memory does not grow with its per-step states. Workers return only these reductions.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from .._version import __version__
from ..scenario import Scenario, ScenarioError
from .model import STATE_VARIABLES, ModelOptions, price_shock_median_of, run_model_into
from .reductions import INDICES, path_summaries
from .rng import BLOCK_SIZE, blocks
from .shocks import (
    SHOCK_KINDS,
    block_streams,
    draw_parameters,
    draw_shocks,
    draw_shocks_into,
    fill_shocks,
    schedule,
)
from .sketch import SketchLayout, StepSketch

__all__ = [
    "simulate_paths",
    "simulate_many",
    "RunRequest",
    "SimulatedPaths",
    "INDICES",
    "model_inputs",
    "NumericalError",
    "use_scheduler",
    "shared_workers",
    "sharing_workers",
    "ClusterError",
    "CHUNK_BLOCKS",
]

#: Blocks stepped together as one wide array: fewer, longer NumPy calls. The unit of work, not of
#: randomness (each block keeps its own streams), so it never changes the numbers.
CHUNK_BLOCKS = 4


def model_options(scenario: Scenario) -> ModelOptions:
    return ModelOptions(
        feedback=bool(scenario.values["market.feedback"]),
        bubble_compensation=bool(scenario.values["market.bubble_compensation"]),
        required_revenue_rule=scenario.values["capex.required_revenue_rule"],
        regime=scenario.values["market.regime"],
    )


def _schedules(scenario: Scenario) -> dict[str, np.ndarray]:
    start = scenario.start_year()
    return {
        name: schedule(scenario.values[name], start, scenario.dt, scenario.n_steps)
        for name in ("capex.plan", "cash_burn.plan", "cash_burn.revenue_plan")
    }


def model_inputs(scenario: Scenario, block: int, n_paths: int, seed: int):
    """Everything :func:`bubblesim.engine.model.run_model` needs for one block.

    Returns ``(params, schedules, shocks, dt, options)``.
    """
    params = draw_parameters(scenario, seed, block, n_paths)
    shocks = draw_shocks(seed, block, n_paths, scenario.n_steps)
    return params, _schedules(scenario), shocks, scenario.dt, model_options(scenario)


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


_LOCAL = threading.local()


def _buffers(n_steps: int, width: int) -> tuple[dict, dict]:
    """This thread's state and shock arrays for chunks up to ``width`` paths, reused between
    the chunks of a run (fresh arrays of this size would cost a page fault per 4 KiB of every
    chunk); :func:`_release_buffers` drops them."""
    cached = getattr(_LOCAL, "buffers", None)
    if cached is None or cached[0] != n_steps or cached[1] < width:
        out = {name: np.empty((n_steps + 1, width)) for name in STATE_VARIABLES}
        steps = {name: np.empty((n_steps, width)) for name in SHOCK_KINDS}
        cached = _LOCAL.buffers = (n_steps, width, out, steps)
    return cached[2], cached[3]


def _release_buffers() -> None:
    _LOCAL.buffers = None


#: Bytes of per-step state and shock arrays one process steps at a time. Long grids step fewer
#: paths at once (down to slices of a block), so memory depends on neither paths nor steps.
CHUNK_BYTES = 256 * 1024**2


def piece_width(n_steps: int) -> int:
    """Most paths stepped together on a grid of ``n_steps`` steps (within :data:`CHUNK_BYTES`)."""
    per_path = 8 * ((n_steps + 1) * len(STATE_VARIABLES) + n_steps * len(SHOCK_KINDS))
    return max(1, min(CHUNK_BLOCKS * BLOCK_SIZE, CHUNK_BYTES // per_path))


def chunks(n_paths: int, n_steps: int) -> list[list[tuple[int, int]]]:
    """Blocks grouped into chunks: block 0 alone (it sets the sketch's layout), then up to
    :data:`CHUNK_BLOCKS` at a time (fewer on long grids). Fixed by the path and step counts
    alone, so every path is computed in the same chunk whatever the number of workers."""
    per_chunk = max(1, piece_width(n_steps) // BLOCK_SIZE)
    all_blocks = blocks(n_paths)
    rest = all_blocks[1:]
    return [all_blocks[:1]] + [rest[i : i + per_chunk] for i in range(0, len(rest), per_chunk)]


def _chunk_params(scenario, chunk, seed, overrides) -> dict[str, np.ndarray]:
    """Each block's parameter draws (and overrides), side by side; the price-shock median is
    solved per block, so a block's numbers do not depend on the blocks beside it."""
    parts = []
    offset = 0
    for block, size in chunk:
        params = draw_parameters(scenario, seed, block, size)
        for name, values in (overrides or {}).items():
            params[name] = np.asarray(values[offset : offset + size], dtype=float)
        params["price.shock_median"] = price_shock_median_of(params)
        parts.append(params)
        offset += size
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _pieces(scenario, chunk, seed, overrides, width):
    """Yield ``(n, params, fill)`` for each piece of a chunk: the whole chunk when it fits in
    ``width`` paths, else successive slices of its (single) block, drawn from the same streams."""
    n_steps = scenario.n_steps
    total = sum(size for _, size in chunk)
    params = _chunk_params(scenario, chunk, seed, overrides)
    if total <= width:
        yield total, params, lambda steps: draw_shocks_into(seed, chunk, n_steps, steps)
        return
    ((block, size),) = chunk
    streams = block_streams(seed, block)
    for start in range(0, size, width):
        n = min(width, size - start)
        part = {k: v[start : start + n] for k, v in params.items()}
        yield n, part, lambda steps, n=n: fill_shocks(streams, n, n_steps, steps, slice(0, n))


def _run_task(args: tuple) -> dict:
    """Run some chunks and return only their reductions: per-path summaries, the step sketch,
    the kept full paths. With ``layout`` None the first piece's states set the layout."""
    scenario, task_chunks, seed, overrides, first_path, thresholds, keep, layout = args[:8]
    # a chunk's block run on its own is binned as in its chunk (see StepSketch.add)
    rows_for = args[8] if len(args) > 8 else [None] * len(task_chunks)
    # the variables binned (none: no sketch, only the reductions)
    binned = args[9] if len(args) > 9 else tuple(STATE_VARIABLES)
    n_steps = scenario.n_steps
    width = piece_width(n_steps)
    need = min(width, max(sum(size for _, size in chunk) for chunk in task_chunks))
    out_buf, steps_buf = _buffers(n_steps, need)
    schedules, options = _schedules(scenario), model_options(scenario)
    sketch = None
    parts: list[dict] = []
    kept: list[dict] = []
    path = first_path
    for chunk, chunk_rows in zip(task_chunks, rows_for, strict=True):
        n_chunk = sum(size for _, size in chunk)
        local = None
        if overrides:
            at = path - first_path
            local = {k: v[at : at + n_chunk] for k, v in overrides.items()}
        for n, params, fill in _pieces(scenario, chunk, seed, local, width):
            out = {k: v[:, :n] for k, v in out_buf.items()}
            steps = {k: v[:, :n] for k, v in steps_buf.items()}
            fill(steps)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                run_model_into(params, schedules, steps, scenario.dt, options, out)
            # the sketch refuses a non-finite value of what it bins; the rest is checked here
            if layout is None or len(binned) < len(STATE_VARIABLES):
                check_finite(scenario, out, first_path=path)
            if binned:
                if layout is None:
                    layout = SketchLayout.from_block(out, binned)
                if sketch is None:
                    sketch = StepSketch.empty(layout)
                try:
                    sketch.add(out, rows_for=chunk_rows)
                except FloatingPointError:
                    check_finite(scenario, out, first_path=path)
                    raise
            parts.append(path_summaries(out, thresholds, scenario.events))
            if path < keep:
                kept.append({k: v[:, : min(n, keep - path)].copy() for k, v in out.items()})
            path += n
    return {
        "first_path": first_path,
        "paths": path - first_path,
        "reductions": {k: np.concatenate([p[k] for p in parts]) for k in parts[0]},
        "sketch": sketch,
        "kept": kept,
        "layout": layout,
    }


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


#: The worker pools that :func:`shared_workers` blocks hand to every local run inside them.
_SHARED_POOLS: list[dict] = []


@contextlib.contextmanager
def shared_workers(workers: int):
    """Within the block, the local runs on ``workers`` > 1 processes share one pool of workers,
    started by the first run and ended with the block, instead of starting (and filling the
    memory of) fresh workers for each run: a batch's scenarios, a sweep's grid, a solve's
    steps. The numbers do not depend on it. Nothing may fork inside the block while the pool
    is running (its thread is): so no block inside it, and no run on another number of
    workers, which would start a second pool beside the first. Not shared between threads."""
    holder = {"workers": int(workers), "pool": None}
    _SHARED_POOLS.append(holder)
    try:
        yield
    finally:
        _SHARED_POOLS.pop()
        if holder["pool"] is not None:
            holder["pool"].shutdown(wait=True)


def sharing_workers(function):
    """Decorate a function of keyword ``workers`` (default 1) whose runs share one pool of
    workers (:func:`shared_workers`)."""

    @functools.wraps(function)
    def wrapper(*args, workers: int = 1, **kwargs):
        with shared_workers(workers):
            return function(*args, workers=workers, **kwargs)

    return wrapper


def _run_on_cluster(scheduler: str, jobs: list, workers: int):
    """Run the tasks on dask.distributed and yield their reductions as they finish (any order)."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the extra
        raise ClusterError(
            "--scheduler needs dask.distributed: pip install 'bubblesim[dask]'"
        ) from None
    if scheduler != "local" and not scheduler.split("://", 1)[-1].strip():
        # dask reads an empty address as "start a cluster here": say what was wrong instead
        raise ClusterError(
            f"--scheduler {scheduler!r}: cannot connect (not an address; expected "
            "tcp://HOST:PORT or local)"
        )
    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)  # fmt: skip
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=10)
    except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address dask reads
        raise ClusterError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        futures = client.map(_run_task_and_release, jobs, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_task_and_release(args: tuple) -> dict:
    """:func:`_run_task` on a cluster worker, which keeps no buffers between tasks."""
    try:
        return _run_task(args)
    finally:
        _release_buffers()


#: Per-path input draws up to this size are kept once drawn (10,000 paths of 3 inputs: 240 kB);
#: beyond it each input is drawn again when asked for, one at a time.
KEPT_DRAWS_BYTES = 64 * 1024**2


@dataclass
class SimulatedPaths:
    """What the engine hands on from a run: the scenario and the reductions of its paths.

    :class:`bubblesim.SimulationResult` (in :mod:`bubblesim.analysis.result`) adds the estimates,
    intervals and tables computed from them.

    Attributes
    ----------
    reductions : dict
        Per-path summaries (see :func:`~bubblesim.engine.reductions.path_summaries`), e.g.
        ``"ai.max_drawdown"`` (fractions) and ``"market.first_drawdown.0"`` (grid index of the
        first drawdown past ``thresholds["market"][0]``, -1 if none).
    sketch : StepSketch or None
        Per-step distributions of every state variable, from which quantiles are read (None for
        a run asked for ``sketch=False``).
    states : dict
        The first ``keep_paths`` full paths: state variable -> float64 array of shape
        ``(n_steps + 1, keep_paths)`` (time-major); empty arrays when none were kept.
    thresholds : dict
        Index -> the thresholds whose first crossings ``reductions`` holds (the scenario's, plus
        any the caller asked for).
    """

    scenario: Scenario
    paths: int
    seed: int
    reductions: dict[str, np.ndarray]
    sketch: StepSketch | None
    elapsed_seconds: float
    states: dict[str, np.ndarray] = field(default_factory=dict)
    thresholds: dict[str, tuple[float, ...]] = field(default_factory=dict)
    version: str = __version__
    #: Values imposed on some inputs, one per path (e.g. a Sobol design), as given to the run.
    overrides: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _draws: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def dates(self) -> np.ndarray:
        return self.scenario.dates()

    @property
    def kept_paths(self) -> int:
        """How many full paths :attr:`states` holds."""
        return next(iter(self.states.values())).shape[1] if self.states else 0

    @property
    def draw_names(self) -> list[str]:
        """The inputs that vary from path to path (distributions and overrides), sorted."""
        return sorted(set(self.scenario.distribution_names()) | set(self.overrides or {}))

    def draw(self, name: str) -> np.ndarray:
        """One input's per-path values, ``(paths,)``. Not stored during the run: a block's
        draws depend only on the seed and the block, so they are drawn again, block by block,
        when asked for. All of them are then kept when they fit in :data:`KEPT_DRAWS_BYTES`;
        a longer run draws one input at a time each time, so its memory stays small."""
        if self._draws is not None:
            return self._draws[name]
        if name not in self.draw_names:
            raise KeyError(f"{name!r} does not vary by path (inputs that do: {self.draw_names})")
        if 8 * self.paths * len(self.draw_names) <= KEPT_DRAWS_BYTES:
            return self.draws[name]
        return self._drawn([name])[name]

    def _drawn(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        """Per-path values of ``names``, drawn block by block (overrides copied)."""
        overrides = self.overrides or {}
        draws = {name: np.empty(self.paths) for name in names}
        for block, size in blocks(self.paths) if names else ():
            first = block * BLOCK_SIZE
            params = draw_parameters(self.scenario, self.seed, block, size)
            for name in names:
                source = overrides[name] if name in overrides else None
                part = source[first : first + size] if source is not None else params[name]
                draws[name][first : first + size] = part
        return draws

    @property
    def draws(self) -> dict[str, np.ndarray]:
        """Every input's per-path values (:meth:`draw`), ``"section.key"`` -> ``(paths,)``, kept
        once asked for."""
        if self._draws is None:
            self._draws = self._drawn(self.draw_names)
        return self._draws


def simulate_paths(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    overrides: dict[str, np.ndarray] | None = None,
    scheduler: str | None = None,
    keep_paths: int = 0,
    thresholds: Mapping[str, Sequence[float]] | None = None,
    sketch: bool = True,
) -> SimulatedPaths:
    """Simulate a scenario's paths in blocks and keep their reductions.

    The parameters are those of :func:`bubblesim.simulate`, which is this run wrapped in a
    :class:`bubblesim.SimulationResult` (estimates and tables added). ``overrides`` maps scalar
    inputs (``"section.key"``) to one value per path, replacing their draws. ``scheduler`` runs
    the same blocks on a dask.distributed cluster (its address, or ``"local"`` for a local one):
    a block's numbers depend only on the seed and its index, so the results are identical.
    ``keep_paths`` full paths are kept (the first ones); ``thresholds`` adds drawdown thresholds
    per index to the scenario's (their first crossings are kept per path). ``sketch=False``
    keeps no per-step distributions (``sketch`` is None: no quantiles), for callers that read
    only the per-path reductions; every task then starts at once.
    """
    run = RunRequest(scenario, paths=paths, seed=seed, overrides=overrides,
                     keep_paths=keep_paths, thresholds=thresholds, sketch=sketch)  # fmt: skip
    return simulate_many([run], workers=workers, progress=progress, scheduler=scheduler)[0]


class RunRequest:
    """One run of :func:`simulate_many`: a scenario with the arguments of :func:`simulate_paths`,
    cut into tasks (fixed by its path and step counts alone) and gathering their reductions."""

    def __init__(self, scenario, *, paths=None, seed=None, overrides=None, keep_paths=0,
                 thresholds=None, keep_reductions=None, whole=False, sketch=True):  # fmt: skip
        self.scenario = scenario = scenario.with_overrides(paths=paths, seed=seed)
        self.n = n = scenario.paths
        if keep_paths < 0:
            raise ValueError("keep_paths must be >= 0")
        if overrides:
            for name, values in overrides.items():
                if np.shape(values) != (n,):
                    raise ValueError(f"overrides[{name!r}] needs one value per path ({n})")
        self.overrides = overrides
        wanted = {}
        for index in INDICES:
            extra = [float(t) for t in (thresholds or {}).get(index, ())]
            own = list(scenario.thresholds_for(index))
            wanted[index] = tuple(own + sorted(set(extra) - set(own)))
        self.wanted = wanted
        self.keep = min(keep_paths, n)
        self.chunks = chunks(n, scenario.n_steps)
        self.starts = np.cumsum([0] + [sum(s for _, s in c) for c in self.chunks])
        self.reductions: dict[str, np.ndarray] = {}
        #: Prefixes of the per-path reductions to keep (None: all), e.g. a no-bubble twin's
        #: market crossings and events only, so a long run's memory holds no more than is read.
        self.keep_reductions = tuple(keep_reductions) if keep_reductions is not None else None
        #: May go to a worker as one task when it has runs beside it and at most
        #: :data:`WHOLE_RUN_PATHS` paths (a no-bubble twin, cheaper than its scenario: it keeps
        #: one worker busy while the scenario's parts share the rest).
        self.whole = whole
        #: The variables whose per-step distributions are kept (True: all; False: none, only
        #: the per-path reductions, so no chunk has to set a layout first and every task can
        #: start at once; names: those, e.g. the two indices a no-bubble twin's fans read).
        if sketch is True:
            self.sketch_names = tuple(STATE_VARIABLES)
        elif sketch is False:
            self.sketch_names = ()
        else:
            if isinstance(sketch, str) or not hasattr(sketch, "__iter__"):
                raise TypeError(f"sketch: True, False or state variable names, not {sketch!r}")
            self.sketch_names = tuple(n for n in STATE_VARIABLES if n in set(sketch))
            unknown = set(sketch) - set(self.sketch_names)
            if unknown or not self.sketch_names:
                raise ValueError(f"sketch: unknown or no state variables {sorted(unknown)}")
        self.kept: list[tuple[int, list]] = []
        self.sketch: StepSketch | None = None
        self.layout = None
        self.done = 0
        self.t0 = time.perf_counter()

    def job(self, first: int, last: int) -> tuple:
        """The task of chunks ``first`` to ``last - 1`` (chunk 0 alone sets the layout)."""
        return self._task(self.chunks[first:last], [None] * (last - first), int(self.starts[first]))

    def _task(self, units: list, rows_for: list, p0: int) -> tuple:
        p1 = p0 + sum(size for unit in units for _, size in unit)
        o = self.overrides
        local = {k: v[p0:p1] for k, v in o.items()} if o else None
        sc = self.scenario
        return (sc, units, sc.seed, local, p0, self.wanted, self.keep, self.layout, rows_for,
                self.sketch_names)  # fmt: skip

    @property
    def binned(self) -> bool:
        """Whether the run keeps a sketch (its chunk 0 then sets the layout of the rest)."""
        return bool(self.sketch_names)

    def first_job(self) -> tuple:
        return self.job(0, 1)

    def whole_job(self) -> tuple:
        """The whole run as one task, its chunks one after the other as in a serial run."""
        return self.job(0, len(self.chunks))

    def rest_jobs(self, workers: int) -> list[tuple]:
        """The tasks after chunk 0: one per chunk serially, else a few per worker of at most 8
        chunks each (progress every ~130,000 paths); each returns one sketch (~20 MB), small
        beside the work it stands for."""
        n_chunks = len(self.chunks)
        if workers == 1:
            return [self.job(c, c + 1) for c in range(1, n_chunks)]
        if n_chunks == 1:
            return []
        if n_chunks - 1 < 2 * workers:  # a small run: chunks cut into about 2 tasks per worker
            parts = -(-2 * workers // (n_chunks - 1))  # each part binned as in its chunk
            tasks, p0 = [], int(self.starts[1])
            for chunk in self.chunks[1:]:
                rows = sum(size for _, size in chunk) if len(chunk) > 1 else None
                cuts = np.linspace(0, len(chunk), min(parts, len(chunk)) + 1).round().astype(int)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                    part = chunk[a:b]
                    tasks.append(self._task([part], [rows], p0))
                    p0 += sum(size for _, size in part)
            return tasks
        n_tasks = min(n_chunks - 1, max(4 * workers, -(-(n_chunks - 1) // 8)))
        if n_tasks < 1:
            return []
        bounds = np.linspace(1, n_chunks, n_tasks + 1).round().astype(int)
        return [self.job(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]

    def collect(self, item: dict) -> int:
        """Keep a task's reductions; returns its paths."""
        if self.layout is None:
            self.layout = item["layout"]
        if self.sketch is None:
            self.sketch = item["sketch"]
        elif item["sketch"] is not None:
            self.sketch.merge(item["sketch"])
        p0 = item["first_path"]
        for k, v in item["reductions"].items():
            if self.keep_reductions is not None and not k.startswith(self.keep_reductions):
                continue
            if k not in self.reductions:
                self.reductions[k] = np.empty(self.n, dtype=v.dtype)
            self.reductions[k][p0 : p0 + item["paths"]] = v
        self.kept.append((p0, item["kept"]))
        self.done += item["paths"]
        return item["paths"]

    def result(self) -> SimulatedPaths:
        self.kept.sort(key=lambda item: item[0])
        pieces = [part for _, parts in self.kept for part in parts]
        states = (
            {k: np.concatenate([p[k] for p in pieces], axis=1) for k in pieces[0]} if pieces else {}
        )
        return SimulatedPaths(
            scenario=self.scenario,
            paths=self.n,
            seed=self.scenario.seed,
            reductions=self.reductions,
            sketch=self.sketch,
            elapsed_seconds=time.perf_counter() - self.t0,
            states=states,
            thresholds=self.wanted,
            overrides=self.overrides,
        )


#: A run marked ``whole`` of at most this many paths goes to a worker as one task (one sketch
#: back, not one per part) when other runs are simulated beside it on no more workers than runs.
WHOLE_RUN_PATHS = 16 * BLOCK_SIZE


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: cancel its queued tasks and end its worker processes (a pool left
    to shut down on its own would first run every task already submitted). The queue that feeds
    the workers is not joined: its thread may be blocked writing a task no worker will read
    (Python 3.11; gh-94777); a half-sent result is handled below. Either hung the interpreter at
    exit after "Interrupted"."""
    queue = getattr(pool, "_call_queue", None)
    if queue is not None:
        queue.cancel_join_thread()
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
        process.join(5)
    # A worker ended while sending its result leaves half a message in the result pipe, which
    # the pool's thread would wait on for ever (this process holds the pipe's other end):
    # closing that end gives it EOF, and it winds the pool down.
    results = getattr(pool, "_result_queue", None)
    writer = getattr(results, "_writer", None)
    if writer is not None:
        writer.close()
    pool.shutdown(wait=False, cancel_futures=True)


class _Helper(threading.Thread):
    """Runs a function in a thread of this process and hands back its result or its error."""

    def __init__(self, function: Callable[[], None]):
        super().__init__(daemon=True)
        self._function, self._error = function, None
        self.start()

    def run(self) -> None:
        try:
            self._function()
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc

    def result(self) -> None:
        self.join()
        if self._error is not None:
            raise self._error


def simulate_many(
    runs: Sequence[RunRequest],
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> list[SimulatedPaths]:
    """Simulate several runs side by side (e.g. a scenario and its no-bubble twin) and return
    their paths in order. With ``workers`` > 1 every run's chunk 0 starts at once and each run's
    other tasks follow as soon as its chunk 0 has set its sketch's layout, so small runs keep
    all workers busy. Each run's numbers are those of running it alone, with any ``workers``.
    ``progress(done, total)`` counts the paths of all runs together. ``while_waiting`` is
    called once in this process, in a thread of its own, while local workers simulate (e.g. to
    import what the outputs need); with one worker or a cluster, after the runs. Its error is
    raised once the runs are done (a run's error first)."""
    if workers < 1:
        raise ValueError("workers must be >= 1")
    runs = list(runs)
    total = sum(r.n for r in runs)
    done = 0

    def collect(run: RunRequest, item: dict) -> None:
        nonlocal done
        done += run.collect(item)
        if progress is not None:
            progress(done, total)

    scheduler = scheduler if scheduler is not None else _AMBIENT_SCHEDULER[-1]
    try:
        # nothing could run beside: one run of two chunks, its parts waiting for chunk 0
        alone = len(runs) == 1 and (
            len(runs[0].chunks) <= 2 if runs[0].binned else len(runs[0].chunks) < 2
        )
        if scheduler is None and (workers == 1 or alone):
            for run in runs:
                collect(run, _run_task(run.first_job()))
                for j in run.rest_jobs(1):
                    collect(run, _run_task(j))
        elif scheduler is not None:
            for run in runs:  # chunk 0 here: its states set the layout of the cluster's tasks
                collect(run, _run_task(run.first_job()))
                for item in _run_on_cluster(scheduler, run.rest_jobs(workers), workers):
                    collect(run, item)
        else:
            shared = _SHARED_POOLS[-1] if _SHARED_POOLS else None
            if shared is not None and shared["workers"] != workers:
                shared = None  # a run on another number of workers: a pool of its own
            pool = shared["pool"] if shared is not None else None
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=workers)
                if shared is not None:
                    shared["pool"] = pool
            helper = None
            try:
                # a run that may go whole (a cheap twin beside its scenario) is one task and
                # one sketch back; the others start with chunk 0, their parts following it
                # (only with no more workers than runs: with more, a whole twin would set the
                # time while its scenario's parts shared the other workers)
                beside = 1 < len(runs) and workers <= len(runs)
                pending = {}
                for r in runs:
                    whole = r.whole and r.n <= WHOLE_RUN_PATHS and beside
                    task = r.whole_job() if whole else r.first_job()
                    pending[pool.submit(_run_task, task)] = (r, not whole and r.binned)
                    if not whole and not r.binned:  # no layout to wait for: all at once
                        for j in r.rest_jobs(workers):
                            pending[pool.submit(_run_task, j)] = (r, False)
                if while_waiting is not None:  # beside the loop, which submits each run's
                    helper = _Helper(while_waiting)  # parts as soon as its chunk 0 is back
                    while_waiting = None
                while pending:
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        run, first = pending.pop(future)
                        collect(run, future.result())
                        if first:
                            for j in run.rest_jobs(workers):
                                pending[pool.submit(_run_task, j)] = (run, False)
            except BaseException:
                _stop(pool)  # Ctrl-C or an error: the tasks still queued are not waited for
                if shared is not None:
                    shared["pool"] = None  # stopped: a later run in the block starts another
                raise
            finally:  # joined whatever happened: nothing forks later beside a running thread
                if helper is not None:
                    helper.join()
            if shared is None:
                pool.shutdown(wait=True)
            if helper is not None:
                helper.result()  # its own error, once the runs are done
    finally:
        _release_buffers()
    if while_waiting is not None:
        while_waiting()
    return [run.result() for run in runs]
