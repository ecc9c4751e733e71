"""Draws every random number the model uses, as arrays, before the model runs.

Shocks are standard normals or uniforms whose shapes depend only on the number of paths and
steps, never on parameters: two scenarios run with the same seed see the same shocks path by
path (common random numbers). Event counts (Poisson) are made from the uniforms inside the model,
by inversion, so a higher rate gives at least as many events on every path.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..scenario.distributions import apply_copula, copula_factor, rank_to_normal_correlation
from ..scenario.schema import PARAMETERS
from .rng import stream

__all__ = [
    "Shocks",
    "draw_shocks",
    "draw_shocks_into",
    "block_streams",
    "fill_shocks",
    "draw_parameters",
    "schedule",
    "SHOCK_KINDS",
]

NORMAL_SHOCKS = ("demand_growth", "price", "usage", "ai", "rest", "crash_size")
UNIFORM_SHOCKS = ("efficiency", "price_war", "crash", "funding", "regime")
SHOCK_KINDS = NORMAL_SHOCKS + UNIFORM_SHOCKS


@dataclass(frozen=True)
class Shocks:
    """Random inputs of one block; every array has shape ``(n_paths, n_steps)``.

    Normal scores: ``demand_growth``, ``price``, ``usage``, ``ai``, ``rest``, ``crash_size``.
    Uniforms in (0, 1): ``efficiency``, ``price_war``, ``crash``, ``funding``, ``regime``.
    """

    demand_growth: np.ndarray
    price: np.ndarray
    usage: np.ndarray
    ai: np.ndarray
    rest: np.ndarray
    crash_size: np.ndarray
    efficiency: np.ndarray
    price_war: np.ndarray
    crash: np.ndarray
    funding: np.ndarray
    regime: np.ndarray

    def path(self, i: int) -> Shocks:
        """The shocks of path ``i`` only (arrays of shape ``(1, n_steps)``)."""
        return Shocks(**{f.name: getattr(self, f.name)[i : i + 1] for f in fields(self)})

    @classmethod
    def zeros(cls, n_paths: int, n_steps: int, uniform: float = 0.5) -> Shocks:
        """Quiet shocks (all normals 0, all uniforms ``uniform``), for exact tests."""
        z = np.zeros((n_paths, n_steps))
        u = np.full((n_paths, n_steps), uniform)
        return cls(**{n: z.copy() for n in NORMAL_SHOCKS}, **{n: u.copy() for n in UNIFORM_SHOCKS})


def draw_shocks(seed: int, block: int, n_paths: int, n_steps: int) -> Shocks:
    """Draw the shocks of one block of paths.

    Each kind has its own stream, filled row by row, so the first ``m`` paths of a block are the
    same whatever the block's size.
    """
    arrays = {}
    for name in NORMAL_SHOCKS:
        arrays[name] = stream(seed, block, "shock:" + name).standard_normal((n_paths, n_steps))
    for name in UNIFORM_SHOCKS:
        # (0, 1) open interval: 1 - U of numpy's [0, 1)
        arrays[name] = 1.0 - stream(seed, block, "shock:" + name).random((n_paths, n_steps))
    return Shocks(**arrays)


def block_streams(seed: int, block: int) -> dict[str, np.random.Generator]:
    """The shock streams of one block, to be drawn from in successive pieces of paths (the
    streams fill path by path, so drawing ``m`` then ``k`` paths gives what ``m + k`` would)."""
    return {name: stream(seed, block, "shock:" + name) for name in SHOCK_KINDS}


def fill_shocks(
    streams: dict[str, np.random.Generator], n_paths: int, n_steps: int, out: dict, cols: slice
) -> None:
    """Draw the next ``n_paths`` paths of each stream into ``out[name][:, cols]``, time-major."""
    for name in NORMAL_SHOCKS:
        out[name][:, cols] = streams[name].standard_normal((n_paths, n_steps)).T
    for name in UNIFORM_SHOCKS:
        np.subtract(1.0, streams[name].random((n_paths, n_steps)).T, out=out[name][:, cols])


def draw_shocks_into(
    seed: int, block_sizes: list[tuple[int, int]], n_steps: int, out: dict[str, np.ndarray]
) -> None:
    """The shocks of several blocks, side by side, in the model loop's time-major layout.

    ``out`` maps every shock kind to an array of shape ``(n_steps, total paths)``; block ``b`` of
    ``block_sizes`` fills the next ``size`` columns with exactly the numbers
    :func:`draw_shocks` gives it (the same streams, drawn the same way), transposed.
    """
    col = 0
    for block, size in block_sizes:
        fill_shocks(block_streams(seed, block), size, n_steps, out, slice(col, col + size))
        col += size


def draw_parameters(scenario, seed: int, block: int, n_paths: int) -> dict[str, np.ndarray]:
    """Draw every scalar assumption once per path.

    Returns
    -------
    dict
        ``"section.key"`` -> ndarray of shape ``(n_paths,)``. Draws of a distribution are clipped
        to the parameter's declared range (a normal elasticity never goes negative).
    """
    from ..scenario.distributions import Distribution

    names = scenario.distribution_names()
    scores = {n: stream(seed, block, "param:" + n).standard_normal(n_paths) for n in names}
    if scenario.correlation_variables:
        cv = list(scenario.correlation_variables)
        factor = copula_factor(rank_to_normal_correlation(np.array(scenario.correlation_matrix)))
        mixed = apply_copula(np.column_stack([scores[n] for n in cv]), factor)
        for j, n in enumerate(cv):
            scores[n] = mixed[:, j]
    out: dict[str, np.ndarray] = {}
    for p in PARAMETERS:
        if p.kind != "scalar":
            continue
        v = scenario.values[p.name]
        if isinstance(v, Distribution):
            draw = v.sample(scores[p.name])
            lo = -np.inf if p.low is None else p.low
            hi = np.inf if p.high is None else p.high
            if p.low_open:
                lo = np.nextafter(lo, np.inf)
            if p.high_open:
                hi = np.nextafter(hi, -np.inf)
            out[p.name] = np.clip(draw, lo, hi)
        else:
            out[p.name] = np.full(n_paths, v.value)
    return out


def schedule(table: dict[int, float], start_year: float, dt: float, n_steps: int) -> np.ndarray:
    """The run-rate of a year table on the grid.

    Each year's value is that calendar year's total (an annual rate), placed at mid-year; in
    between, a table of positive values is interpolated in logs (constant growth from one year to
    the next, so the value at 1 January is the run-rate there: the geometric mean of the two
    years for a plan that grows at a constant rate, within ``g^2 / 24`` of the exact run-rate at
    growth ``g``, 1.2% at 72.8% a year), a table with zero or negative values linearly. Held flat
    before the first and after the last year.

    Returns
    -------
    ndarray, shape (n_steps + 1,)
    """
    years = np.array(sorted(table), dtype=float) + 0.5
    values = np.array([table[int(y - 0.5)] for y in years], dtype=float)
    t = start_year + dt * np.arange(n_steps + 1)
    if (values > 0).all():
        return np.exp(np.interp(t, years, np.log(values)))
    return np.interp(t, years, values)
