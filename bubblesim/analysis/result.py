"""A run's odds with their Monte Carlo error, and the tables read from it.

:func:`simulate` runs the engine (:func:`bubblesim.engine.simulate.simulate_paths`) and wraps
what it returns in a :class:`SimulationResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from ..engine.reductions import INDICES
from ..engine.simulate import SimulatedPaths, simulate_paths
from ..scenario import Scenario
from .estimates import QUANTILES, Estimate, proportion, wilson_interval

__all__ = ["simulate", "SimulationResult", "INDICES"]


@dataclass
class SimulationResult(SimulatedPaths):
    """The outcome of a run: the engine's :class:`~bubblesim.engine.simulate.SimulatedPaths`
    with the odds, intervals and tables computed from them.

    Attributes
    ----------
    states : dict
        State variable -> float64 array of shape ``(n_steps + 1, paths)`` (time-major).
    reductions : dict
        Per-path summaries, e.g. ``"ai.max_drawdown"`` (fractions) and
        ``"market.first_drawdown.0"`` (grid index of the first drawdown past threshold 0, -1 if none).
    """

    _metrics: list[dict] | None = field(default=None, repr=False)
    _quantiles: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_paths(cls, simulated: SimulatedPaths) -> SimulationResult:
        """Wrap the engine's record of a run (no copy of its arrays)."""
        return cls(**{f.name: getattr(simulated, f.name) for f in fields(SimulatedPaths)})

    # ------------------------------------------------------------------ basic facts
    def _threshold_number(self, index: str, threshold: float) -> int:
        reported = self.scenario.thresholds_for(index)
        if threshold not in reported:
            raise KeyError(
                f"{index} drawdowns are reported at {', '.join(f'{t:g}' for t in reported)},"
                f" not {threshold:g} (set [correction] {'ai_' if index == 'ai' else ''}thresholds)"
            )
        return reported.index(threshold)

    def hits(self, index: str, threshold: float, kind: str = "drawdown") -> np.ndarray:
        """Boolean per path: did ``index`` ("ai" or "market") reach the threshold?

        ``kind`` is ``"drawdown"`` (from the running peak) or ``"fall"`` (below the start).
        """
        j = self._threshold_number(index, threshold)
        return self.reductions[f"{index}.first_{kind}.{j}"] >= 0

    def estimate(self, index: str, threshold: float, kind: str = "drawdown") -> Estimate:
        """P(``index`` reaches ``threshold`` within the horizon) with its error."""
        return proportion(self.hits(index, threshold, kind))

    def cumulative(self, index: str, threshold: float) -> pd.DataFrame:
        """P(first drawdown past ``threshold`` by each date), with 95% Wilson intervals."""
        j = self._threshold_number(index, threshold)
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
                    for thr in self.scenario.thresholds_for(index):
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
        j = self._threshold_number(index, threshold)
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
    simulated = simulate_paths(scenario, paths=paths, seed=seed, workers=workers, progress=progress)
    return SimulationResult.from_paths(simulated)
