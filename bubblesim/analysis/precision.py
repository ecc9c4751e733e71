"""Precision on demand: add paths until every headline interval is as narrow as asked.

A run of ``m`` paths is the first ``m`` paths of any larger run on the same seed (paths come in
fixed blocks, each with its own random streams), so growing a run never changes the paths it
already had. Each round estimates the paths needed from the widest 95% half-width (it shrinks as
``1 / sqrt(paths)``), rounds up to whole blocks, and runs again, until the widest half-width is at
most the target or ``max_paths`` is reached.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..engine.rng import BLOCK_SIZE
from ..scenario import Scenario
from .compare import Comparison, compare
from .result import SimulationResult, simulate

__all__ = ["widest_half_width", "simulate_to_precision", "compare_to_precision", "paths_needed"]


def widest_half_width(result: SimulationResult) -> float:
    """The widest 95% half-width among a run's headline probabilities (Wilson intervals)."""
    return max(max(m["probability"] - m["ci_low"], m["ci_high"] - m["probability"])
               for m in result.metrics())  # fmt: skip


def _widest_difference(comparison: Comparison) -> float:
    table = comparison.table()
    others = table[table["scenario"] != comparison.names[0]]
    if others.empty:  # a single scenario: its own intervals
        return widest_half_width(comparison.reference)
    return float(((others["difference_ci_high"] - others["difference_ci_low"]) / 2).max())


def paths_needed(paths: int, half_width: float, target: float, max_paths: int) -> int:
    """The next run's size: enough for ``target`` if the half-width scales as 1/sqrt(paths),
    in whole blocks, more than now, at most ``max_paths``."""
    want = paths * (half_width / target) ** 2 * 1.05
    blocks = math.ceil(want / BLOCK_SIZE)
    return int(min(max_paths, max(blocks * BLOCK_SIZE, paths + BLOCK_SIZE)))


def _grow(run, measure, start: int, target: float, max_paths: int, note):
    paths = min(start, max_paths)
    while True:
        outcome = run(paths)
        width = measure(outcome)
        if note is not None:
            note(paths, width)
        if width <= target or paths >= max_paths:
            return outcome, width
        paths = paths_needed(paths, width, target, max_paths)


def simulate_to_precision(
    scenario: Scenario,
    target: float,
    max_paths: int,
    *,
    seed: int | None = None,
    workers: int = 1,
    note: Callable[[int, float], None] | None = None,
) -> tuple[SimulationResult, float]:
    """Simulate until every headline probability's 95% half-width is at most ``target``.

    Returns the result and its widest half-width (above ``target`` only if ``max_paths`` stopped it).
    """
    return _grow(
        lambda n: simulate(scenario, paths=n, seed=seed, workers=workers),
        widest_half_width, scenario.paths, target, max_paths, note,
    )  # fmt: skip


def compare_to_precision(
    scenarios: Sequence[Scenario],
    target: float,
    max_paths: int,
    *,
    seed: int | None = None,
    workers: int = 1,
    note: Callable[[int, float], None] | None = None,
) -> tuple[Comparison, float]:
    """Compare until every paired difference's 95% half-width is at most ``target``."""
    return _grow(
        lambda n: compare(scenarios, paths=n, seed=seed, workers=workers),
        _widest_difference, scenarios[0].paths, target, max_paths, note,
    )  # fmt: skip
