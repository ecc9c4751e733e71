"""Runs blocks of paths (streams -> shocks -> model -> reductions), serially or in processes.

A block's numbers depend only on the seed and the block index (see :mod:`bubblesim.rng`), so
``workers`` only changes the wall-clock time, never the results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._version import __version__
from .metrics import QUANTILES, Estimate, first_crossing, proportion, running_drawdown
from .model import STATE_VARIABLES, ModelOptions, run_model
from .rng import BLOCK_SIZE, blocks
from .scenario import Scenario, ScenarioError
from .shocks import draw_parameters, draw_shocks, schedule

__all__ = [
    "simulate",
    "SimulationResult",
    "MEMORY_LIMIT_BYTES",
    "INDICES",
    "model_inputs",
    "NumericalError",
]

#: Per-step states are kept (float64) for quantiles; runs needing more than this are refused.
MEMORY_LIMIT_BYTES = 10 * 1024**3

#: The two equity indices on which corrections are measured.
INDICES = {"ai": "ai_index", "market": "market"}


def model_inputs(scenario: Scenario, block: int, n_paths: int, seed: int):
    """Everything :func:`bubblesim.model.run_model` needs for one block.

    Returns ``(params, schedules, shocks, dt, options)``.
    """
    n_steps = scenario.n_steps
    params = draw_parameters(scenario, seed, block, n_paths)
    start = scenario.start_year()
    schedules = {
        name: schedule(scenario.values[name], start, scenario.dt, n_steps)
        for name in ("capex.plan", "cash_burn.plan")
    }
    shocks = draw_shocks(seed, block, n_paths, n_steps)
    options = ModelOptions(
        feedback=bool(scenario.values["market.feedback"]),
        bubble_compensation=bool(scenario.values["market.bubble_compensation"]),
        required_revenue_rule=scenario.values["capex.required_revenue_rule"],
    )
    return params, schedules, shocks, scenario.dt, options


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


def _run_block(
    args: tuple[Scenario, int, int, int],
) -> tuple[int, int, dict[str, np.ndarray], dict[str, np.ndarray]]:
    scenario, block, n_paths, seed = args
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        states = run_model(*model_inputs(scenario, block, n_paths, seed))
    check_finite(scenario, states, first_path=block * BLOCK_SIZE)
    reductions: dict[str, np.ndarray] = {}
    for key, var in INDICES.items():
        levels = states[var]  # (n_points, n_paths)
        dd = running_drawdown(levels, axis=0)
        relative_fall = 1.0 - levels / levels[0]
        reductions[f"{key}.max_drawdown"] = dd.max(axis=0)
        reductions[f"{key}.min_level"] = levels.min(axis=0) / levels[0]
        for j, thr in enumerate(scenario.thresholds):
            reductions[f"{key}.first_drawdown.{j}"] = first_crossing(dd, thr, axis=0)
            reductions[f"{key}.first_fall.{j}"] = first_crossing(relative_fall, thr, axis=0)
    return block, n_paths, reductions, states


@dataclass
class SimulationResult:
    """The outcome of a run.

    Attributes
    ----------
    states : dict
        State variable -> float64 array of shape ``(n_steps + 1, paths)`` (time-major).
    reductions : dict
        Per-path summaries, e.g. ``"ai.max_drawdown"`` (fractions) and
        ``"market.first_drawdown.0"`` (grid index of the first drawdown past threshold 0, -1 if none).
    """

    scenario: Scenario
    paths: int
    seed: int
    states: dict[str, np.ndarray]
    reductions: dict[str, np.ndarray]
    elapsed_seconds: float
    version: str = __version__
    _metrics: list[dict] | None = field(default=None, repr=False)
    _quantiles: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ basic facts
    @property
    def dates(self) -> np.ndarray:
        return self.scenario.dates()

    def hits(self, index: str, threshold: float, kind: str = "drawdown") -> np.ndarray:
        """Boolean per path: did ``index`` ("ai" or "market") reach the threshold?

        ``kind`` is ``"drawdown"`` (from the running peak) or ``"fall"`` (below the start).
        """
        j = self.scenario.thresholds.index(threshold)
        return self.reductions[f"{index}.first_{kind}.{j}"] >= 0

    def estimate(self, index: str, threshold: float, kind: str = "drawdown") -> Estimate:
        """P(``index`` reaches ``threshold`` within the horizon) with its error."""
        return proportion(self.hits(index, threshold, kind))

    def cumulative(self, index: str, threshold: float) -> pd.DataFrame:
        """P(first drawdown past ``threshold`` by each date), with 95% Wilson intervals."""
        from .metrics import wilson_interval

        j = self.scenario.thresholds.index(threshold)
        first = self.reductions[f"{index}.first_drawdown.{j}"]
        n_points = self.scenario.n_steps + 1
        counts = np.bincount(first[first >= 0], minlength=n_points)[:n_points]
        cum = np.cumsum(counts)
        n = self.paths
        lows, highs = zip(*(wilson_interval(int(c), n) for c in cum), strict=True)
        p = cum / n
        return pd.DataFrame(
            {
                "date": pd.to_datetime(self.dates),
                "probability": p,
                "std_error": np.sqrt(p * (1 - p) / n),
                "ci_low": lows,
                "ci_high": highs,
            }
        )

    # ------------------------------------------------------------------ metrics
    def metrics(self) -> list[dict]:
        """Every headline probability: drawdown and fall-below-start, per index and threshold."""
        if self._metrics is None:
            rows = []
            for kind, label in (("drawdown", "drawdown from peak"), ("fall", "fall below start")):
                for index in INDICES:
                    for thr in self.scenario.thresholds:
                        est = self.estimate(index, thr, kind)
                        rows.append(
                            {
                                "name": "drawdown" if kind == "drawdown" else "fall_below_start",
                                "label": label,
                                "index": index,
                                "threshold": thr,
                                **est.fields(),
                                "paths_hit": est.successes,
                            }
                        )
            self._metrics = rows
        return self._metrics

    def summary(self) -> pd.DataFrame:
        """The headline probabilities as a DataFrame (one row per metric)."""
        return pd.DataFrame(self.metrics())

    def max_drawdown_quantiles(self, index: str) -> dict[str, float]:
        """Quantiles of the largest drawdown over the horizon."""
        mdd = self.reductions[f"{index}.max_drawdown"]
        qs = np.quantile(mdd, [0.05, 0.25, 0.5, 0.75, 0.95])
        return {
            f"q{int(round(q * 100)):02d}": float(v)
            for q, v in zip((0.05, 0.25, 0.5, 0.75, 0.95), qs, strict=True)
        }

    def time_to_correction(self, index: str, threshold: float) -> dict[str, float | None]:
        """Years to the first drawdown past ``threshold``, among paths where it happens."""
        j = self.scenario.thresholds.index(threshold)
        first = self.reductions[f"{index}.first_drawdown.{j}"]
        years = first[first >= 0] * self.scenario.dt
        out: dict[str, float | None] = {"share_of_paths": float(years.size / self.paths)}
        for q in (0.1, 0.25, 0.5, 0.75, 0.9):
            out[f"q{int(round(q * 100)):02d}_years"] = (
                float(np.quantile(years, q)) if years.size else None
            )
        return out

    def quantiles(self, variable: str, qs: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
        """Per-date quantiles of a state variable: rows are dates, columns the quantiles."""
        if variable not in self.states:
            raise KeyError(
                f"unknown variable {variable!r}; expected one of {', '.join(self.states)}"
            )
        key = (variable, tuple(qs))
        if key not in self._quantiles:  # tables and figures ask for the same quantiles
            self._quantiles[key] = np.quantile(self.states[variable], qs, axis=1).T
        values = self._quantiles[key]
        return pd.DataFrame(
            values,
            index=pd.DatetimeIndex(pd.to_datetime(self.dates), name="date"),
            columns=list(qs),
        )

    def quantile_table(self) -> pd.DataFrame:
        """All per-step quantiles in long form: ``variable, date, quantile, value``."""
        frames = []
        for var in self.states:
            q = self.quantiles(var)
            long = q.reset_index().melt(id_vars="date", var_name="quantile", value_name="value")
            long.insert(0, "variable", var)
            frames.append(long)
        table = pd.concat(frames, ignore_index=True)
        table["date"] = table["date"].dt.strftime("%Y-%m-%d")
        return table


def estimate_memory(scenario: Scenario, paths: int) -> int:
    """Bytes held for per-step states of a run of ``paths`` paths."""
    return paths * (scenario.n_steps + 1) * len(STATE_VARIABLES) * 8


def simulate(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate a scenario.

    Parameters
    ----------
    scenario : Scenario
        From :func:`bubblesim.load_scenario`.
    paths, seed : int, optional
        Override the scenario's ``[simulation]`` values.
    workers : int
        Processes to run blocks in; the numbers do not depend on it.
    progress : callable, optional
        Called as ``progress(paths_done, paths_total)`` after each block.

    Returns
    -------
    SimulationResult
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
    jobs = [(scenario, b, size, scenario.seed) for b, size in blocks(n)]
    parts: list = []
    done = 0

    def collect(item):
        nonlocal done
        parts.append(item)
        done += item[1]
        if progress is not None:
            progress(done, n)

    if workers == 1 or len(jobs) == 1:
        for job in jobs:
            collect(_run_block(job))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for item in pool.map(_run_block, jobs):
                collect(item)
    parts.sort(key=lambda item: item[0])
    reductions = {k: np.concatenate([p[2][k] for p in parts]) for k in parts[0][2]}
    states = {k: np.concatenate([p[3][k] for p in parts], axis=1) for k in parts[0][3]}
    return SimulationResult(
        scenario=scenario,
        paths=n,
        seed=scenario.seed,
        states=states,
        reductions=reductions,
        elapsed_seconds=time.perf_counter() - t0,
    )
