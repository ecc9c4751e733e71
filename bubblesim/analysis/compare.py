"""Scenarios side by side on common random numbers.

Every scenario is run with the same seed and number of paths, so path ``i`` sees the same shocks
in each (see :mod:`bubblesim.rng`): the difference between two scenarios is then measured path by
path, and its interval is far narrower than that of two independent runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..engine.simulate import sharing_workers
from ..scenario import Scenario
from .estimates import paired_difference
from .result import INDICES, SimulationResult, simulate

__all__ = ["Comparison", "compare", "same_grid"]

KINDS = (("drawdown", "drawdown"), ("fall", "fall_below_start"))


def _definition(event) -> dict:
    """What decides an event's outcome: its fields without the description."""
    return {k: v for k, v in event.fields().items() if k != "description"}


def same_grid(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios share the time grid (a condition for paired paths)."""
    return (a.start, a.steps_per_year, a.n_steps) == (b.start, b.steps_per_year, b.n_steps)


@dataclass
class Comparison:
    """Results of several scenarios run on common random numbers; the first is the reference."""

    results: list[SimulationResult]

    @property
    def reference(self) -> SimulationResult:
        return self.results[0]

    @property
    def names(self) -> list[str]:
        return [r.scenario.name for r in self.results]

    def paired(self, result: SimulationResult) -> bool:
        """Whether ``result`` is path-by-path coupled with the reference."""
        ref = self.reference
        return (
            result.paths == ref.paths
            and result.seed == ref.seed
            and same_grid(result.scenario, ref.scenario)
        )

    def thresholds(self, index: str = "market") -> list[float]:
        """Thresholds every scenario reports for ``index`` ("ai" or "market")."""
        common = set(self.reference.scenario.thresholds_for(index))
        for r in self.results[1:]:
            common &= set(r.scenario.thresholds_for(index))
        return sorted(common)

    def table(self) -> pd.DataFrame:
        """One row per scenario and metric: its probability and interval, and the difference to
        the reference with paired and independent 95% intervals."""
        rows = []
        ref = self.reference
        for kind, name in KINDS:
            for index in INDICES:
                for thr in self.thresholds(index):
                    ref_hits = ref.hits(index, thr, kind)
                    for r in self.results:
                        est = r.estimate(index, thr, kind)
                        d = paired_difference(
                            ref_hits, r.hits(index, thr, kind), paired=self.paired(r)
                        )
                        rows.append(
                            {
                                "scenario": r.scenario.name,
                                "name": name,
                                "index": index,
                                "threshold": thr,
                                **est.fields(),
                                **(r.yardstick(kind, thr) if index == "market" else {}),
                                "difference": d.difference,
                                "difference_std_error": d.std_error,
                                "difference_ci_low": d.ci_low,
                                "difference_ci_high": d.ci_high,
                                "independent_ci_low": d.independent_ci_low,
                                "independent_ci_high": d.independent_ci_high,
                                "paired": d.paired,
                            }
                        )
        return pd.DataFrame(rows)

    def event_names(self) -> list[str]:
        """Events (by name) that every scenario asks about, in the reference's order."""
        names = [e.name for e in self.reference.scenario.events]
        for r in self.results[1:]:
            own = {e.name for e in r.scenario.events}
            names = [n for n in names if n in own]
        return names

    def event_table(self) -> pd.DataFrame:
        """One row per scenario and event every scenario names: probability, interval, the
        twin's yardstick when carried, and the difference to the reference (paired where the
        paths are). An event is paired by its name; ``same_definition`` says whether its fields
        match the reference's."""
        import pandas as pd

        rows = []
        ref = self.reference
        own = [{e["name"]: e for e in r.events()} for r in self.results]
        for name in self.event_names():
            ref_hits = ref.event_hits(name)
            for r, events in zip(self.results, own, strict=True):
                row = events[name]
                d = paired_difference(ref_hits, r.event_hits(name), paired=self.paired(r))
                rows.append({
                    "scenario": r.scenario.name, "event": name, "label": row["label"],
                    "index": row["index"], "kind": row["kind"],
                    **{k: row[k] for k in ("probability", "std_error", "ci_low", "ci_high",
                                           "paths_hit")},
                    **{k: row[k] for k in ("no_bubble_probability", "ai_effect", "ai_effect_ci_low",
                                           "ai_effect_ci_high") if k in row},
                    "difference": d.difference, "difference_std_error": d.std_error,
                    "difference_ci_low": d.ci_low, "difference_ci_high": d.ci_high,
                    "paired": d.paired,
                    "same_definition": _definition(r.event(name)) == _definition(ref.event(name)),
                    "definition": r.event(name).fields(),
                    "reference": [dict(x) for x in r.event(name).reference],
                })  # fmt: skip
        return pd.DataFrame(rows)

    def events_left_out(self) -> list[str]:
        """Events some scenarios name and others do not (not compared; the tables say so)."""
        common = set(self.event_names())
        names = [e.name for r in self.results for e in r.scenario.events]
        return [n for n in dict.fromkeys(names) if n not in common]


@sharing_workers  # its runs on one set of workers
def compare(
    scenarios: Sequence[Scenario],
    *,
    paths: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int, str], None] | None = None,
) -> Comparison:
    """Run every scenario with the same paths and seed (by default the first scenario's).

    ``progress(done, total, name)`` is called after each scenario.
    """
    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    first = scenarios[0]
    paths = first.paths if paths is None else paths
    seed = first.seed if seed is None else seed
    results = []
    for i, sc in enumerate(scenarios):
        results.append(simulate(sc, paths=paths, seed=seed, workers=workers))
        if progress is not None:
            progress(i + 1, len(scenarios), sc.name)
    return Comparison(results)
