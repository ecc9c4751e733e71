"""Many scenarios run one after another, each on its own settings; a bad file is skipped, not fatal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.simulate import sharing_workers
from ..scenario import Scenario, ScenarioError, load_scenario
from .result import SimulationResult, simulate, simulate_with_twins

__all__ = ["Batch", "BatchError", "load_batch", "run_batch"]

#: ``progress(i, n, scenario)`` before scenario ``i`` of ``n`` runs; it may return a per-run
#: ``(paths_done, paths_total)`` callback.
BatchProgress = Callable[[int, int, Scenario], Callable[[int, int], None] | None]


class BatchError(ValueError):
    """Nothing in the batch could be run; the message is one line."""


@dataclass
class Batch:
    """The runs of a batch that completed, and one line for every item that was skipped."""

    results: list[SimulationResult]
    failures: list[str] = field(default_factory=list)
    #: Each result's no-bubble twin when run with it (``run_batch(with_twins=True)``), else None;
    #: it keeps per path only what the yardstick reads (``analysis.result.TWIN_REDUCTIONS``).
    twins: list[SimulationResult | None] = field(default_factory=list)


def load_batch(
    files: Iterable[str | Path],
    *,
    paths: int | None = None,
    seed: int | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> tuple[list[Scenario], list[str]]:
    """Load every file, with ``paths`` and ``seed`` overriding each file's own values.

    Returns the scenarios that are valid and one line per file that is not (also passed to
    ``on_skip`` as it is found).
    """
    loaded: list[Scenario] = []
    failures: list[str] = []
    for f in files:
        try:
            loaded.append(load_scenario(f).with_overrides(paths=paths, seed=seed))
        except ScenarioError as exc:
            failures.append(str(exc))
            if on_skip is not None:
                on_skip(str(exc))
    return loaded, failures


@sharing_workers  # its runs on one set of workers
def run_batch(
    scenarios: Sequence[Scenario],
    *,
    workers: int = 1,
    progress: BatchProgress | None = None,
    on_skip: Callable[[str], None] | None = None,
    target_ci: float | None = None,
    max_paths: int = 1_000_000,
    with_twins: bool = False,
) -> Batch:
    """Simulate each scenario on its own paths and seed; one whose numbers overflow is skipped.
    With ``with_twins`` each scenario's no-bubble twin runs beside it (``batch.twins``, None
    where a precision run leaves it to the caller).

    Raises
    ------
    BatchError
        ``scenarios`` is empty, or every run failed.
    """
    if not scenarios:
        raise BatchError("no valid scenario files to run")
    batch = Batch(results=[])
    for i, sc in enumerate(scenarios, 1):
        run_progress = progress(i, len(scenarios), sc) if progress is not None else None
        try:
            twin = None
            if target_ci is None and with_twins:
                ((result, twin),) = simulate_with_twins([sc], workers=workers,
                                                        progress=run_progress)  # fmt: skip
            elif target_ci is None:
                result = simulate(sc, workers=workers, progress=run_progress)
            else:  # add paths until its headline intervals are narrow enough
                from .precision import simulate_to_precision

                result, _ = simulate_to_precision(sc, target_ci, max_paths, workers=workers)
        except ScenarioError as exc:
            batch.failures.append(str(exc))
            if on_skip is not None:
                on_skip(str(exc))
            continue
        batch.results.append(result)
        batch.twins.append(twin)
    if not batch.results:
        raise BatchError("every scenario failed; nothing written")
    return batch
