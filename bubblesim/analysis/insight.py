"""Which assumption carries the odds: metrics by name, tornado and Sobol sensitivity, sweeps,
break-even values, and what the paths with a correction share.

Every comparison here runs on **common random numbers**: each setting is simulated with the same
paths and seed, so path ``i`` sees the same shocks whatever the setting, and a difference between
settings is measured path by path (a paired interval), not swamped by Monte Carlo noise.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from ..engine.reductions import INDICES, running_drawdown
from ..engine.simulate import sharing_workers
from ..scenario import Scenario
from ..scenario.distributions import Distribution
from ..scenario.load import scalar_parameter
from ..scenario.schema import PARAMETERS
from .estimates import Z95, paired_difference, wilson_interval
from .result import SimulationResult, simulate

__all__ = [
    "Metric",
    "MetricError",
    "parse_metric",
    "EventMetric",
    "tornado",
    "sobol",
    "sweep",
    "solve",
    "crash_inputs",
    "SensitivityResult",
    "SolveError",
]

#: Metric kinds by name -> how the result names them.
KINDS = {"drawdown": "drawdown", "fall_below_start": "fall"}

Progress = Callable[[int, int, str], None] | None


class MetricError(ValueError):
    """A metric name that cannot be read."""


class SolveError(ValueError):
    """The target cannot be reached inside the bracket."""


@dataclass(frozen=True)
class Metric:
    """A probability by name, ``INDEX.KIND.THRESHOLD``: e.g. ``market.drawdown.0.2``."""

    index: str
    kind: str
    threshold: float

    @property
    def name(self) -> str:
        return f"{self.index}.{self.kind}.{self.threshold:g}"

    @property
    def label(self) -> str:
        what = "drawdown" if self.kind == "drawdown" else "fall below start"
        return f"{'AI index' if self.index == 'ai' else 'market'} {what} >= {self.threshold:.0%}"

    def hits(self, result: SimulationResult) -> np.ndarray:
        """Per path: did the event happen within the horizon?"""
        return self.hits_by(result, [result.scenario.n_steps])[0]

    @property
    def recorded(self) -> dict[str, list[float]]:
        """The ``thresholds`` a run needs to record this metric per path (see :func:`simulate`)."""
        return {self.index: [self.threshold]}

    def hits_by(self, result: SimulationResult, ends: Sequence[int]) -> np.ndarray:
        """Per end step and path: did the event happen by that step? Shape ``(len(ends), paths)``.

        Read from the run's first crossings of the threshold, so the run must have recorded it
        (``simulate(..., thresholds=metric.recorded)``) unless it kept every full path.
        """
        known = result.thresholds.get(self.index) or result.scenario.thresholds_for(self.index)
        ends = np.asarray(list(ends))[:, None]
        if self.threshold in known:
            j = list(known).index(self.threshold)
            first = result.reductions[f"{self.index}.first_{self.kind}.{j}"]
            return (first >= 0) & (first <= ends)
        if result.kept_paths < result.paths:
            raise MetricError(
                f"metric {self.name}: the run recorded {self.index} thresholds "
                f"{', '.join(f'{t:g}' for t in known)}; simulate with thresholds=metric.recorded"
            )
        levels = result.states[INDICES[self.index]]
        if self.kind == "drawdown":
            depth = running_drawdown(levels, axis=0)
        else:
            depth = 1.0 - levels / levels[0]
        deepest_so_far = np.maximum.accumulate(depth, axis=0)
        return deepest_so_far[ends[:, 0]] >= self.threshold


@dataclass(frozen=True)
class EventMetric:
    """The probability of one of the scenario's ``[[events]]``, by name: ``event:NAME``."""

    event: str
    text: str  # the event's description, e.g. "AI index falls 35% within 10d by 2026-12-31"

    @property
    def name(self) -> str:
        return f"event:{self.event}"

    @property
    def label(self) -> str:
        return self.event  # the name: titles and axis labels must fit (the text is in the tables)

    @property
    def recorded(self) -> dict[str, list[float]]:
        return {}  # every run reduces its scenario's events per path

    def hits(self, result: SimulationResult) -> np.ndarray:
        """Per path: did the event happen (by its own ``by``)?"""
        return result.event_hits(self.event)

    def hits_by(self, result: SimulationResult, ends: Sequence[int]) -> np.ndarray:
        """Per end step and path: had the event happened by that step?"""
        first = result.event_first(self.event)
        return (first >= 0) & (first <= np.asarray(list(ends))[:, None])


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(options)}"


def parse_metric(name: str | None, scenario: Scenario) -> Metric | EventMetric:
    """Read ``INDEX.KIND.THRESHOLD`` or ``event:NAME`` (one of the scenario's ``[[events]]``);
    ``None`` is the market drawdown at the largest threshold."""
    if name is None:
        return Metric("market", "drawdown", max(scenario.thresholds))
    if name.startswith("event:"):
        wanted = name[len("event:") :]
        for event in scenario.events:
            if event.name == wanted:
                return EventMetric(event.name, event.label())
        names = [e.name for e in scenario.events]
        if not names:
            raise MetricError(f"metric {name!r}: scenario {scenario.name} has no [[events]]")
        raise MetricError(f"metric {name!r}: no such event" + _suggest(wanted, names))
    parts = name.split(".", 2)
    if len(parts) != 3:
        raise MetricError(
            f"metric {name!r}: expected INDEX.KIND.THRESHOLD, e.g. market.drawdown.0.2"
        )
    index, kind, thr = parts
    if index not in INDICES:
        raise MetricError(f"metric {name!r}: unknown index {index!r}" + _suggest(index, INDICES))
    if kind not in KINDS:
        raise MetricError(f"metric {name!r}: unknown kind {kind!r}" + _suggest(kind, KINDS))
    try:
        threshold = float(thr)
    except ValueError:
        raise MetricError(f"metric {name!r}: threshold {thr!r} is not a number") from None
    if not 0 < threshold < 1:
        raise MetricError(f"metric {name!r}: threshold must be in (0, 1), got {threshold:g}")
    return Metric(index, kind, threshold)


def _year_ends(scenario: Scenario) -> tuple[list[float], list[int]]:
    years = list(range(1, int(math.floor(scenario.horizon_years + 1e-9)) + 1))
    ends = [min(scenario.n_steps, int(round(y * scenario.steps_per_year))) for y in years]
    if not years or ends[-1] != scenario.n_steps:
        years.append(round(scenario.n_steps * scenario.dt, 6))
        ends.append(scenario.n_steps)
    return [float(y) for y in years], ends


def _run(scenario: Scenario, changes: dict, paths: int, seed: int, workers: int, **kw):
    """One run of the scenario with ``changes``: its odds only (no per-step sketch)."""
    sc = scenario.with_values(changes) if changes else scenario
    return simulate(sc, paths=paths, seed=seed, workers=workers, sketch=False, **kw)


def _runs(scenario: Scenario, changes: Sequence[dict], paths: int, seed: int, workers: int,
          thresholds=None):  # fmt: skip
    """Yield the run of each set of changes in order, a few side by side on the workers (one
    at a time with one worker); each run's numbers are those of :func:`_run`."""
    from ..engine.simulate import RunRequest, simulate_many

    if workers == 1:
        for c in changes:
            yield _run(scenario, c, paths, seed, 1, thresholds=thresholds)
        return
    group = 2 * workers  # bounds the runs held at once
    for g in range(0, len(changes), group):
        requests = [
            RunRequest(
                scenario.with_values(c) if c else scenario,
                paths=paths,
                seed=seed,
                thresholds=thresholds,
                sketch=False,
            )  # fmt: skip
            for c in changes[g : g + group]
        ]
        for simulated in simulate_many(requests, workers=workers):
            yield SimulationResult.from_paths(simulated)


@dataclass
class SensitivityResult:
    """Rows sorted by the size of their effect, plus the same by year."""

    metric: Metric
    method: str
    rows: list[dict]
    base_probability: float
    paths: int
    seed: int
    years: list[float] = field(default_factory=list)
    #: parameter -> one effect per year (tornado: P(high) - P(low); sobol: ST).
    by_year: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "metric": self.metric.name,
            "method": self.method,
            "rows": self.rows,
            "base_probability": self.base_probability,
            "paths": self.paths,
            "seed": self.seed,
            "by_year": {"years": self.years, "effects": self.by_year},
        }

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def is_guess(scenario: Scenario, p) -> bool:
    """A guess: its source in the scenario starts with "guess" (a calibrated or sourced figure
    that replaced a schema guess is not one), or it has no source and the schema marks it so."""
    source = scenario.sources.get(p.name, "").strip().lower()
    if source:
        return source.startswith("guess")
    return p.status == "guess"


def _guess_inputs(
    scenario: Scenario, factors: tuple[float, float]
) -> dict[str, tuple[float, float]]:
    out = {}
    for p in PARAMETERS:
        if p.kind != "scalar" or not is_guess(scenario, p):
            continue
        v = scenario.values[p.name]
        if isinstance(v, Distribution):
            continue
        lo, hi = (min(max(v.value * f, p.low if p.low is not None else -math.inf),
                      p.high if p.high is not None else math.inf) for f in factors)  # fmt: skip
        if p.low_open and p.low is not None and lo <= p.low:
            lo = v.value
        if lo != hi:
            out[p.name] = (lo, hi)
    return out


@sharing_workers  # its runs on one set of workers
def tornado(
    scenario: Scenario,
    metric: Metric,
    *,
    paths: int,
    seed: int,
    all_guesses: bool = False,
    factors: tuple[float, float] = (0.5, 2.0),
    workers: int = 1,
    progress: Progress = None,
) -> SensitivityResult:
    """Each distribution-valued input at its 10th and 90th percentile (and, with ``all_guesses``,
    each scalar marked ``guess`` at ``factors`` times its value), the others as in the scenario;
    the swing ``P(high) - P(low)`` with a paired 95% interval, sorted by size."""
    moves: dict[str, tuple[str, float, float]] = {}
    for name in scenario.distribution_names():
        dist = scenario.values[name]
        lo, hi = (float(dist.sample(np.array([special.ndtri(q)]))[0]) for q in (0.1, 0.9))
        moves[name] = ("distribution p10/p90", lo, hi)
    if all_guesses:
        for name, (lo, hi) in _guess_inputs(scenario, factors).items():
            moves.setdefault(name, (f"guess x{factors[0]:g}/x{factors[1]:g}", lo, hi))
    if not moves:
        raise MetricError(
            "nothing to move: the scenario has no distribution-valued inputs (try --all-guesses)"
        )
    years, ends = _year_ends(scenario)
    total = 1 + 2 * len(moves)
    base = _run(scenario, {}, paths, seed, workers, thresholds=metric.recorded)
    if progress:
        progress(1, total, "scenario as written")
    rows, by_year = [], {}
    changes = [{name: v} for name, (_, lo, hi) in moves.items() for v in (lo, hi)]
    runs = _runs(scenario, changes, paths, seed, workers, thresholds=metric.recorded)
    for i, (name, (kind, lo, hi)) in enumerate(moves.items()):
        r_lo, r_hi = next(runs), next(runs)
        if progress:
            progress(2 + 2 * i + 1, total, name)
        h_lo, h_hi = metric.hits_by(r_lo, ends), metric.hits_by(r_hi, ends)
        d = paired_difference(h_lo[-1], h_hi[-1])
        rows.append(
            {
                "parameter": name,
                "kind": kind,
                "low": lo,
                "high": hi,
                "p_low": float(h_lo[-1].mean()),
                "p_high": float(h_hi[-1].mean()),
                "effect": d.difference,
                "ci_low": d.ci_low,
                "ci_high": d.ci_high,
            }
        )
        by_year[name] = [float(h_hi[j].mean() - h_lo[j].mean()) for j in range(len(ends))]
    rows.sort(key=lambda r: -abs(r["effect"]))
    return SensitivityResult(
        metric, "tornado", rows, float(metric.hits(base).mean()), paths, seed, years, by_year
    )


def _sobol_estimates(f_a, f_b, f_ab):
    """Saltelli (2010)'s first-order and Jansen's total indices along the last axis (the
    estimators of ``scipy.stats.sobol_indices``, outputs centred on the mean of A and B first):
    ``f_a``, ``f_b`` ``(..., n)``, ``f_ab`` ``(d, ..., n)`` -> ``(S1, ST)``, each ``(d, ...)``.
    An output with no variance (nothing happens, or always) has indices 0."""
    mean = 0.5 * (f_a.mean(axis=-1) + f_b.mean(axis=-1))[..., None]
    a, b, ab = f_a - mean, f_b - mean, f_ab - mean
    var = 0.5 * ((a * a).mean(axis=-1) + (b * b).mean(axis=-1))  # np.var over A and B together
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = np.where(var > 0, (b * (ab - a)).mean(axis=-1) / var, 0.0)
        st = np.where(var > 0, 0.5 * ((a - ab) ** 2).mean(axis=-1) / var, 0.0)
    return s1, st


def sobol_from_outcomes(f_a, f_b, f_ab, seed: int, resamples: int = 0):
    """Sobol indices from the outcomes on A, B and the mixes AB_i: arrays ``(s, n)``, ``(s, n)``,
    ``(d, s, n)`` (``s`` outputs, here the years' ends). Returns ``(S1, ST, bands)``, the indices
    ``(s, d)`` and, with ``resamples``, their 95% percentile-bootstrap intervals ``(S1 low, S1
    high, ST low, ST high)``: the ``n`` rows resampled together (A, B and every AB_i of a row
    stay one draw), from ``numpy.random.default_rng([seed, 7])``, so the same seed gives the
    same intervals. The point estimates equal ``scipy.stats.sobol_indices``'s (a test)."""
    f_a, f_b, f_ab = (np.asarray(x, dtype=float) for x in (f_a, f_b, f_ab))
    s1, st = (x.T for x in _sobol_estimates(f_a, f_b, f_ab))
    if not resamples:
        return s1, st, None
    rng = np.random.default_rng([seed, 7])
    n = f_a.shape[-1]
    draws_s1, draws_st = [], []
    for start in range(0, resamples, 20):  # 20 resamples at a time bound the memory
        idx = rng.integers(0, n, size=(min(20, resamples - start), n))
        r1, rt = _sobol_estimates(f_a[:, idx], f_b[:, idx], f_ab[:, :, idx])  # (d, s, R)
        draws_s1.append(r1)
        draws_st.append(rt)
    d1, dt = np.concatenate(draws_s1, axis=-1), np.concatenate(draws_st, axis=-1)
    # S1 low, S1 high, ST low, ST high
    return s1, st, tuple(np.quantile(x, q, axis=-1).T for x in (d1, dt) for q in (0.025, 0.975))


@sharing_workers  # its runs on one set of workers
def sobol(
    scenario: Scenario,
    metric: Metric,
    *,
    base_samples: int,
    seed: int,
    workers: int = 1,
    progress: Progress = None,
) -> SensitivityResult:
    """Sobol indices of the metric over the distribution-valued inputs.

    Saltelli's scheme: two scrambled Sobol matrices A and B of ``base_samples`` rows (a power
    of 2) and the D mixes AB_i (A with column i from B), ``D + 2`` matrices in all; inputs are
    set to the design's quantiles of their distributions and taken as independent:
    ``[correlations]`` are not imposed. Row ``j`` of every matrix is simulated as **path j** of
    one run per matrix on the same seed, so the ``D + 2`` rows of a base sample share their
    aleatory shocks: the shocks act as one more input held fixed within the group, and the
    estimator's differences between A and AB_i isolate input i. The outcome is the path's 0/1
    event, so the indices are shares of the variance of the per-path outcome; the probability is
    its mean given the inputs, and what no input explains (``1 - sum of S1``) includes the
    aleatory part. The indices are Saltelli (2010)'s first order and Jansen's total, the
    estimators of ``scipy.stats.sobol_indices`` (:func:`sobol_from_outcomes`), for every year's
    end; their intervals a seeded percentile bootstrap at the horizon.
    """
    from scipy.stats import qmc

    names = scenario.distribution_names()
    if not names:
        raise MetricError("the scenario has no distribution-valued inputs to attribute odds to")
    d = len(names)
    n = 1 << max(1, int(math.ceil(math.log2(max(2, base_samples)))))
    ab = qmc.Sobol(2 * d, scramble=True, seed=np.random.default_rng([seed, 5])).random(n)
    a, b = ab[:, :d], ab[:, d:]
    matrices = [a] + [np.where(np.arange(d) == i, b, a) for i in range(d)] + [b]
    years, ends = _year_ends(scenario)
    outcomes = []
    for m, u in enumerate(matrices):  # matrix m: row j is path j, on the same shocks in each
        u = np.clip(u, 1e-9, 1 - 1e-9)
        overrides = {
            name: scenario.values[name].sample(special.ndtri(u[:, j]))
            for j, name in enumerate(names)
        }
        result = simulate(
            scenario, paths=n, seed=seed, workers=workers, overrides=overrides,
            thresholds=metric.recorded, sketch=False,
        )  # fmt: skip
        outcomes.append(np.asarray(metric.hits_by(result, ends), dtype=float))  # (years, n)
        if progress:
            progress(m + 1, d + 2, f"matrix {m + 1} of {d + 2} ({n:,} paths)")
    f_a, f_b, f_ab = outcomes[0], outcomes[-1], np.stack(outcomes[1:-1])
    # every year's end; the bootstrap intervals at the horizon only
    s1, st, _ = sobol_from_outcomes(f_a, f_b, f_ab, seed)
    _, _, (s1_lo, s1_hi, st_lo, st_hi) = sobol_from_outcomes(
        f_a[-1:], f_b[-1:], f_ab[:, -1:], seed, resamples=200
    )
    rows = []
    for j, name in enumerate(names):
        rows.append(
            {
                "parameter": name,
                "kind": "distribution",
                "S1": float(s1[-1, j]),
                "S1_ci": [float(s1_lo[-1, j]), float(s1_hi[-1, j])],
                "ST": float(st[-1, j]),
                "ST_ci": [float(st_lo[-1, j]), float(st_hi[-1, j])],
                "effect": float(st[-1, j]),
                "ci_low": float(st_lo[-1, j]),
                "ci_high": float(st_hi[-1, j]),
            }
        )
    by_year = {name: [] for name in names}  # no variance yet (nothing by year 1): 0
    for y in range(len(ends)):
        for j, name in enumerate(names):
            by_year[name].append(float(st[y, j]))
    rows.sort(key=lambda r: -abs(r["effect"]))
    return SensitivityResult(
        metric, "sobol", rows, float(f_a[-1].mean()), int(n * (d + 2)), seed, years, by_year
    )


@sharing_workers  # its runs on one set of workers
def sweep(
    scenario: Scenario,
    grid: Sequence[tuple[str, float, float, int]],
    metric: Metric,
    *,
    paths: int,
    seed: int,
    workers: int = 1,
    progress: Progress = None,
) -> pd.DataFrame:
    """The probability with its 95% Wilson interval at every point of a grid of one or two keys."""
    axes = []
    for key, start, stop, n in grid:
        scalar_parameter(scenario.path, key)
        axes.append((key, np.linspace(start, stop, n)))
    points = [dict(zip([k for k, _ in axes], combo, strict=True)) for combo in
              np.array(np.meshgrid(*[v for _, v in axes], indexing="ij")).reshape(len(axes), -1).T]  # fmt: skip
    rows = []
    changes = [{k: float(v) for k, v in point.items()} for point in points]
    runs = _runs(scenario, changes, paths, seed, workers, thresholds=metric.recorded)
    for i, (point, r) in enumerate(zip(points, runs, strict=True)):
        hits = metric.hits(r)
        lo, hi = wilson_interval(int(hits.sum()), hits.size)
        rows.append({**point, "probability": float(hits.mean()), "ci_low": lo, "ci_high": hi})
        if progress:
            progress(i + 1, len(points), ", ".join(f"{k}={v:g}" for k, v in point.items()))
    return pd.DataFrame(rows)


@sharing_workers  # its runs on one set of workers
def solve(
    scenario: Scenario,
    key: str,
    target: float,
    metric: Metric,
    *,
    paths: int,
    seed: int,
    bracket: tuple[float, float] | None = None,
    workers: int = 1,
    progress: Progress = None,
) -> dict:
    """The value of ``key`` at which the metric's probability reaches ``target`` (Brent's method
    on common random numbers), with an interval from the Monte Carlo error.

    The interval inverts the estimate's own error: it holds every value at which the estimated
    probability is within ``1.96 sqrt(target (1 - target) / paths)`` of the target, found by
    solving for ``target`` minus and plus that margin the same way. Where one of those cannot be
    reached inside the bracket, that side of the interval is the bracket's end (flagged).
    """
    p = scalar_parameter(scenario.path, key)
    current = scenario.values[key]
    centre = (
        current.value
        if not isinstance(current, Distribution)
        else float(current.sample(np.array([0.0]))[0])
    )
    if bracket is None:
        lo, hi = (centre / 10, centre * 10) if centre > 0 else (centre - 1, centre + 1)
        if p.low is not None:
            lo = max(lo, p.low if not p.low_open else p.low + 1e-9 * max(1, abs(p.low)))
        if p.high is not None:
            hi = min(hi, p.high)
        bracket = (lo, hi)
    lo, hi = float(min(bracket)), float(max(bracket))
    cache: dict[float, float] = {}

    def prob(v: float) -> float:
        if v not in cache:
            run = _run(scenario, {key: v}, paths, seed, workers, thresholds=metric.recorded)
            cache[v] = float(metric.hits(run).mean())
            if progress:
                progress(len(cache), 0, f"{key}={v:.6g}: {cache[v]:.1%}")
        return cache[v]

    p_lo, p_hi = prob(lo), prob(hi)

    def root(level: float) -> float | None:
        if (p_lo - level) * (p_hi - level) > 0:
            return None
        if p_lo == level:
            return lo
        if p_hi == level:
            return hi
        from scipy import optimize  # here: importing it costs every command a fifth of a second

        return optimize.brentq(lambda v: prob(v) - level, lo, hi, xtol=1e-4 * (hi - lo), maxiter=60)

    value = root(target)
    if value is None:
        raise SolveError(
            f"{key}: P({metric.name}) is {p_lo:.1%} at {lo:g} and {p_hi:.1%} at {hi:g}; "
            f"{target:.1%} is not reached inside the bracket [{lo:g}, {hi:g}] (widen --bracket)"
        )
    margin = Z95 * math.sqrt(target * (1 - target) / paths)
    ends = []
    open_ends = []
    for level in (target - margin, target + margin):
        v = root(min(max(level, 0.0), 1.0))
        if v is None:
            v = lo if abs(p_lo - level) < abs(p_hi - level) else hi
            open_ends.append(v)
        ends.append(v)
    return {
        "param": key,
        "target": target,
        "metric": metric.name,
        "value": float(value),
        "probability_at_value": prob(value),
        "ci_low": float(min(ends)),
        "ci_high": float(max(ends)),
        "ci_at_bracket_end": bool(open_ends),
        "bracket": [lo, hi],
        "probability_at_bracket": [p_lo, p_hi],
        "paths": paths,
        "seed": seed,
        "evaluations": len(cache),
    }


def _median(values: np.ndarray) -> float:
    """The median of a scratch array (sorted in place: no copy), NaN when empty."""
    return float(np.median(values, overwrite_input=True)) if values.size else math.nan


def crash_inputs(result: SimulationResult, metric: Metric) -> pd.DataFrame:
    """For every input that varies by path: its median on paths with and without the event."""
    hits = metric.hits(result)
    rows = []
    for name in result.draw_names:  # one input at a time: a long run's memory stays small
        draws = result.draw(name)
        with_event, without = draws[hits], draws[~hits]
        del draws
        rows.append(
            {
                "parameter": name,
                "median_with": _median(with_event),
                "median_without": _median(without),
                "paths_with": int(with_event.size),
                "paths_without": int(without.size),
            }
        )
    return pd.DataFrame(rows)
