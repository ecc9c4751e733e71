"""A run's odds with their Monte Carlo error, and the tables read from it.

:func:`simulate` runs the engine (:func:`bubblesim.engine.simulate.simulate_paths`) and wraps
what it returns in a :class:`SimulationResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from ..engine.reductions import INDICES
from ..engine.simulate import SimulatedPaths, simulate_paths
from ..scenario import Scenario

if (
    TYPE_CHECKING
):  # pandas is imported by the methods that build frames, not by the engine's callers
    import pandas as pd

from .estimates import QUANTILES, Estimate, paired_difference, proportion, wilson_interval

__all__ = ["simulate", "no_bubble_twin", "SimulationResult", "INDICES", "YARDSTICK_FIELDS"]

#: Keys a market metric gains when the run carries its yardstick (:meth:`SimulationResult.metrics`).
YARDSTICK_FIELDS = (
    "history_base_rate",
    "history_ci_low",
    "history_ci_high",
    "no_bubble_probability",
    "ai_effect",
    "ai_effect_ci_low",
    "ai_effect_ci_high",
)

#: ``base_rate(kind, threshold, months)``: the bundled history's frequency of the same event.
BaseRate = Callable[[str, float, int], float]
#: ``base_rate_interval(kind, threshold, months)``: its 95% interval ``(low, high)``.
BaseRateInterval = Callable[[str, float, int], tuple[float, float]]


@dataclass
class SimulationResult(SimulatedPaths):
    """The outcome of a run: the engine's :class:`~bubblesim.engine.simulate.SimulatedPaths`
    with the odds, intervals and tables computed from them.

    Attributes
    ----------
    reductions : dict
        Per-path summaries, e.g. ``"ai.max_drawdown"`` (fractions) and
        ``"market.first_drawdown.0"`` (grid index of the first drawdown past threshold 0, -1 if none).
    sketch : StepSketch
        Per-step distributions of every state variable (:meth:`quantiles` reads them).
    states : dict
        The first ``keep_paths`` full paths (time-major), for plotting or inspection.
    """

    _metrics: list[dict] | None = field(default=None, repr=False)
    _quantiles: dict = field(default_factory=dict, repr=False)
    _joint_firsts: dict = field(default_factory=dict, repr=False)  # at_least events, read once
    #: The same scenario with the AI channels off, on the same paths (see :func:`no_bubble_twin`).
    no_bubble: SimulationResult | None = field(default=None, repr=False)
    #: The history's frequency of an event, for the market's yardstick (set by the caller).
    base_rate: BaseRate | None = field(default=None, repr=False)
    #: The 95% interval of :attr:`base_rate` (a block bootstrap of the history).
    base_rate_interval: BaseRateInterval | None = field(default=None, repr=False)

    @classmethod
    def from_paths(cls, simulated: SimulatedPaths) -> SimulationResult:
        """Wrap the engine's record of a run (no copy of its arrays)."""
        return cls(**{f.name: getattr(simulated, f.name) for f in fields(SimulatedPaths)})

    # ------------------------------------------------------------------ basic facts
    def _threshold_number(self, index: str, threshold: float) -> int:
        reported = self.thresholds.get(index) or self.scenario.thresholds_for(index)
        if threshold not in reported:
            raise KeyError(
                f"{index} drawdowns are reported at {', '.join(f'{t:g}' for t in reported)},"
                f" not {threshold:g} (set [correction] {'ai_' if index == 'ai' else ''}thresholds)"
            )
        return reported.index(threshold)

    def _reduction(self, key: str) -> np.ndarray:
        try:
            return self.reductions[key]
        except KeyError:
            raise KeyError(
                f"this run of {self.scenario.name} keeps no per-path {key!r}: a no-bubble twin run "
                "beside its scenario (simulate_with_twins, run_batch) keeps only what the "
                f"yardstick reads ({', '.join(TWIN_REDUCTIONS)}...); no_bubble_twin(result) "
                "keeps everything"
            ) from None

    def hits(self, index: str, threshold: float, kind: str = "drawdown") -> np.ndarray:
        """Boolean per path: did ``index`` ("ai" or "market") reach the threshold?

        ``kind`` is ``"drawdown"`` (from the running peak) or ``"fall"`` (below the start).
        """
        j = self._threshold_number(index, threshold)
        return self._reduction(f"{index}.first_{kind}.{j}") >= 0

    def estimate(self, index: str, threshold: float, kind: str = "drawdown") -> Estimate:
        """P(``index`` reaches ``threshold`` within the horizon) with its error."""
        return proportion(self.hits(index, threshold, kind))

    def cumulative(self, index: str, threshold: float) -> pd.DataFrame:
        """P(first drawdown past ``threshold`` by each date), with 95% Wilson intervals."""
        j = self._threshold_number(index, threshold)
        return self._by_date(self._reduction(f"{index}.first_drawdown.{j}"))

    def _by_date(self, first: np.ndarray) -> pd.DataFrame:
        """From per-path first dates (-1 never): P(happened by each date), its standard error
        and 95% Wilson interval, one row per grid point."""
        import pandas as pd

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
                    for thr in self.scenario.thresholds_for(index):
                        est = self.estimate(index, thr, kind)
                        row = {
                            "name": "drawdown" if kind == "drawdown" else "fall_below_start",
                            "label": label,
                            "index": index,
                            "threshold": thr,
                            **est.fields(),
                            "paths_hit": est.successes,
                        }
                        if index == "market":
                            row.update(self.yardstick(kind, thr))
                        rows.append(row)
            self._metrics = rows
        return self._metrics

    def attach_yardstick(
        self,
        no_bubble: SimulationResult | None = None,
        base_rate: BaseRate | None = None,
        base_rate_interval: BaseRateInterval | None = None,
    ) -> None:
        """Carry the no-bubble twin and the history's base rates (with their intervals) into
        every market metric."""
        self.no_bubble = no_bubble
        self.base_rate = base_rate
        self.base_rate_interval = base_rate_interval
        self._metrics = None

    def horizon_months(self) -> int:
        """The horizon in whole months (the window the history's base rate is read over)."""
        return self.scenario.horizon_months

    def yardstick(self, kind: str, threshold: float) -> dict:
        """The market yardstick of one metric: base rate, no-bubble odds, what AI adds (or {})."""
        out: dict = {}
        if self.base_rate is not None:
            out["history_base_rate"] = float(self.base_rate(kind, threshold, self.horizon_months()))
        if self.base_rate_interval is not None:
            lo, hi = self.base_rate_interval(kind, threshold, self.horizon_months())
            out["history_ci_low"], out["history_ci_high"] = float(lo), float(hi)
        if self.no_bubble is not None:
            twin = self.no_bubble.hits("market", threshold, kind)
            d = paired_difference(twin, self.hits("market", threshold, kind))
            out["no_bubble_probability"] = float(twin.mean())
            out["ai_effect"] = d.difference
            out["ai_effect_ci_low"] = d.ci_low
            out["ai_effect_ci_high"] = d.ci_high
        return out

    # ------------------------------------------------------------------ events
    def event(self, name: str):
        """The scenario's event ``name`` (:class:`~bubblesim.scenario.events.Event`)."""
        for event in self.scenario.events:
            if event.name == name:
                return event
        known = ", ".join(e.name for e in self.scenario.events) or "none"
        raise KeyError(f"no event {name!r} in scenario {self.scenario.name} (events: {known})")

    def event_first(self, name: str) -> np.ndarray:
        """Per path, the grid index at which event ``name`` first happened, -1 where it did not.
        An ``at_least`` event happens at the date its ``k``-th event happens (each by its own
        ``by``), if that is by its own ``by``."""
        event = self.event(name)
        if event.kind != "at_least":
            return self._reduction(f"event.{name}")
        if name not in self._joint_firsts:  # once: a joint of joints reads each of them once
            never = np.iinfo(np.int64).max
            times = np.stack([self.event_first(other).astype(np.int64) for other in event.of])
            times[times < 0] = never
            kth = np.partition(times, event.k - 1, axis=0)[event.k - 1]
            self._joint_firsts[name] = np.where(kth <= event.by_step, kth, -1)
        return self._joint_firsts[name]

    def event_hits(self, name: str) -> np.ndarray:
        """Boolean per path: did event ``name`` happen (by its ``by``)?"""
        return self.event_first(name) >= 0

    def events(self) -> list[dict]:
        """Every event of the scenario: its fields, probability with error and Wilson interval,
        paths hit, the no-bubble twin's probability with the paired difference (when the run
        carries its twin), and the others' forecasts it was matched to (``reference``)."""
        rows = []
        for event in self.scenario.events:
            hits = self.event_hits(event.name)
            est = proportion(hits)
            row = {**event.fields(), "label": event.label(), **est.fields(),
                   "paths_hit": est.successes}  # fmt: skip
            if self.no_bubble is not None:
                twin = self.no_bubble.event_hits(event.name)
                d = paired_difference(twin, hits)
                row.update(no_bubble_probability=float(twin.mean()), ai_effect=d.difference,
                           ai_effect_ci_low=d.ci_low, ai_effect_ci_high=d.ci_high)  # fmt: skip
            if event.reference:
                row["reference"] = [dict(r) for r in event.reference]
            rows.append(row)
        return rows

    def event_cumulative(self, name: str) -> pd.DataFrame:
        """P(event ``name`` has happened by each date), with 95% Wilson intervals."""
        return self._by_date(self.event_first(name))

    def summary(self) -> pd.DataFrame:
        """The headline probabilities as a DataFrame (one row per metric)."""
        import pandas as pd

        return pd.DataFrame(self.metrics())

    def max_drawdown_quantiles(self, index: str) -> dict[str, float]:
        """Quantiles of the largest drawdown over the horizon."""
        mdd = self._reduction(f"{index}.max_drawdown")
        qs = np.quantile(mdd, [0.05, 0.25, 0.5, 0.75, 0.95])
        return {
            f"q{int(round(q * 100)):02d}": float(v)
            for q, v in zip((0.05, 0.25, 0.5, 0.75, 0.95), qs, strict=True)
        }

    def time_to_correction(self, index: str, threshold: float) -> dict[str, float | None]:
        """Years to the first drawdown past ``threshold``, among paths where it happens."""
        j = self._threshold_number(index, threshold)
        first = self._reduction(f"{index}.first_drawdown.{j}")
        years = first[first >= 0] * self.scenario.dt
        out: dict[str, float | None] = {"share_of_paths": float(years.size / self.paths)}
        for q in (0.1, 0.25, 0.5, 0.75, 0.9):
            out[f"q{int(round(q * 100)):02d}_years"] = (
                float(np.quantile(years, q)) if years.size else None
            )
        return out

    def _sketch(self):
        if self.sketch is None:
            raise ValueError(
                "this run kept no per-step distributions (simulate(..., sketch=False)): "
                "run it with sketch=True for quantiles and fan charts"
            )
        return self.sketch

    def quantiles(self, variable: str, qs: tuple[float, ...] = QUANTILES) -> pd.DataFrame:
        """Per-date quantiles of a state variable: rows are dates, columns the quantiles."""
        import pandas as pd

        names = self._sketch().layout.names
        if variable not in names:
            from ..engine.model import STATE_VARIABLES

            if variable in STATE_VARIABLES:  # e.g. a no-bubble twin beside its scenario
                raise KeyError(f"this run kept the per-step distributions of {', '.join(names)} "
                               f"only, not {variable!r}")  # fmt: skip
            raise KeyError(f"unknown variable {variable!r}; expected one of {', '.join(names)}")
        key = (variable, tuple(qs))
        if key not in self._quantiles:  # tables and figures ask for the same quantiles
            self._quantiles[key] = self.sketch.quantiles(variable, qs)
        values = self._quantiles[key]
        dates = np.asarray(self.dates)[self.sketch.layout.points]
        return pd.DataFrame(
            values,
            index=pd.DatetimeIndex(pd.to_datetime(dates), name="date"),
            columns=list(qs),
        )

    def quantile_table(self) -> pd.DataFrame:
        """All per-step quantiles in long form: ``variable, date, quantile, value``."""
        import pandas as pd

        names = self._sketch().layout.names
        dates = pd.to_datetime(np.asarray(self.dates)[self.sketch.layout.points])
        labels = np.asarray(dates.strftime("%Y-%m-%d"), dtype=object)
        qs, n_dates = np.asarray(QUANTILES, dtype=float), len(dates)
        values = [self.quantiles(var).to_numpy().T.ravel() for var in names]  # quantile-major
        per_var = qs.size * n_dates
        return pd.DataFrame(
            {
                "variable": np.repeat(np.asarray(names, dtype=object), per_var),
                "date": np.tile(labels, qs.size * len(names)),
                "quantile": np.tile(np.repeat(qs, n_dates), len(names)),
                "value": np.concatenate(values),
            }
        )


def simulate(
    scenario: Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    overrides: dict[str, np.ndarray] | None = None,
    scheduler: str | None = None,
    keep_paths: int = 0,
    thresholds: dict[str, Sequence[float]] | None = None,
    sketch: bool = True,
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
    overrides : dict, optional
        ``"section.key"`` -> one value per path, replacing that input's draws (a design of
        experiments, e.g. Sobol sampling).
    scheduler : str, optional
        A dask.distributed scheduler address, or ``"local"`` for a local cluster of ``workers``
        processes; the numbers are the same as a local run's.
    keep_paths : int
        Keep the first ``keep_paths`` full paths in ``result.states`` (for plotting or
        inspection). A run otherwise keeps only reductions, so its memory does not grow with its
        per-step states.
    thresholds : dict, optional
        Index (``"ai"``, ``"market"``) -> drawdown thresholds to record per path besides the
        scenario's own (e.g. a metric's), readable with :meth:`SimulationResult.hits`.
    sketch : bool
        False keeps no per-step distributions (no :meth:`SimulationResult.quantiles`, no fan
        charts), only what the odds are read from: faster, and with several workers every
        task starts at once (a sketch's layout is set by the first block). The odds are the
        same either way.

    Returns
    -------
    SimulationResult
    """
    simulated = simulate_paths(
        scenario,
        paths=paths,
        seed=seed,
        workers=workers,
        progress=progress,
        overrides=overrides,
        scheduler=scheduler,
        keep_paths=keep_paths,
        thresholds=thresholds,
        sketch=sketch,
    )
    return SimulationResult.from_paths(simulated)


def twin_scenario(scenario: Scenario) -> Scenario:
    """The scenario with every AI channel off (``[market] feedback = false``)."""
    import dataclasses

    return dataclasses.replace(scenario, values={**scenario.values, "market.feedback": False})


#: What a no-bubble twin run beside its scenario keeps per path: what the yardstick pairs with
#: the scenario (the market's crossings, the events); its fans come from its sketch.
TWIN_REDUCTIONS = ("market.first_", "event.")

#: The state variables a no-bubble twin beside its scenario keeps per step: the two indices
#: whose fans it outlines (``output.plots.save_fan_figure``).
TWIN_SKETCH = ("ai_index", "market")


def simulate_with_twins(
    scenarios: Sequence[Scenario],
    *,
    paths: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> list[tuple[SimulationResult, SimulationResult]]:
    """Each scenario and its no-bubble twin (:func:`no_bubble_twin`), all simulated side by side
    in one set of workers: ``[(result, twin), ...]``. The numbers are those of running each
    alone; with ``workers`` > 1 the twins run beside their scenarios instead of after them.
    A twin keeps per path only what the yardstick pairs with its scenario (the market's
    crossings and the events, :data:`TWIN_REDUCTIONS`) and per step the quantiles of the two
    indices (:data:`TWIN_SKETCH`), the outlines of its scenario's fans.
    ``progress(done, total)`` counts the paths of all the runs; ``while_waiting`` as in
    :func:`~bubblesim.engine.simulate.simulate_many`."""
    from ..engine.simulate import RunRequest, simulate_many

    requests = []
    for sc in scenarios:
        sc = sc.with_overrides(paths=paths, seed=seed)
        requests.append(RunRequest(sc))
        requests.append(RunRequest(twin_scenario(sc), thresholds=requests[-1].wanted,
                                   keep_reductions=TWIN_REDUCTIONS, sketch=TWIN_SKETCH,
                                   whole=True))  # fmt: skip
    runs = simulate_many(requests, workers=workers, progress=progress, while_waiting=while_waiting)
    results = [SimulationResult.from_paths(r) for r in runs]
    return list(zip(results[::2], results[1::2], strict=True))


def no_bubble_twin(
    result: SimulationResult,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """The same scenario with every AI channel off (``[market] feedback = false``), on the same
    paths and seed: common random numbers, so ``result`` minus the twin is what the AI dynamics
    add, path by path. Attach it as ``result.no_bubble`` to get the market's yardstick."""
    return simulate(
        twin_scenario(result.scenario),
        paths=result.paths,
        seed=result.seed,
        workers=workers,
        progress=progress,
        thresholds=result.thresholds,
    )
