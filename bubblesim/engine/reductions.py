"""Per-path reductions of simulated levels: drawdowns and first-crossing dates. Pure NumPy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["running_drawdown", "max_drawdown", "first_crossing", "path_summaries", "INDICES"]

#: The two equity indices on which corrections are measured: short name -> state variable.
INDICES = {"ai": "ai_index", "market": "market"}


def running_drawdown(levels: np.ndarray, axis: int = -1) -> np.ndarray:
    """Drawdown from the running peak, ``1 - X_t / max_{s<=t} X_s``, along time ``axis``.

    Parameters
    ----------
    levels : ndarray
        Positive levels, e.g. shape ``(n_paths, n_points)`` with ``axis=-1`` or the engine's
        time-major ``(n_points, n_paths)`` with ``axis=0``.

    Returns
    -------
    ndarray, same shape
        Fractions in [0, 1).
    """
    levels = np.asarray(levels, dtype=float)
    return 1.0 - levels / np.maximum.accumulate(levels, axis=axis)


def max_drawdown(levels: np.ndarray, axis: int = -1) -> np.ndarray:
    """Largest drawdown from the running peak along time ``axis``."""
    return running_drawdown(levels, axis=axis).max(axis=axis)


def first_crossing(series: np.ndarray, threshold: float, axis: int = -1) -> np.ndarray:
    """Index along time ``axis`` of the first point where ``series >= threshold``; -1 where never."""
    reached = np.asarray(series) >= threshold
    idx = np.argmax(reached, axis=axis)
    return np.where(reached.any(axis=axis), idx, -1)


def crossing_dtype(n_points: int) -> np.dtype:
    """The smallest signed integer type that holds a grid index (and -1)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_points <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def path_summaries(
    states: Mapping[str, np.ndarray],
    thresholds: Mapping[str, Sequence[float]],
    events: Sequence = (),
) -> dict[str, np.ndarray]:
    """The per-path summaries a run keeps for each index in :data:`INDICES`.

    Parameters
    ----------
    states : mapping
        State variable -> time-major array of shape ``(n_points, n_paths)``.
    thresholds : mapping
        Index short name (``"ai"``, ``"market"``) -> its drawdown thresholds (fractions).

    Returns
    -------
    dict
        ``"<index>.max_drawdown"`` (fraction, float64), and for threshold number ``j`` of that
        index ``"<index>.first_drawdown.<j>"`` (grid index of the first drawdown from the running
        peak past it) and ``"<index>.first_fall.<j>"`` (first fall below the start past it), -1
        where never, in the smallest integer type that holds the grid (:func:`crossing_dtype`);
        each of shape ``(n_paths,)``. The deepest fall so far never shrinks, so the first date
        past a threshold is the number of dates before it reaches the threshold. For each of
        ``events`` (:class:`~bubblesim.scenario.events.Event`) of kind ``drawdown_within`` or
        ``below``, ``"event.<name>"``: the grid index at which it first happened by its ``by``,
        -1 where never (:func:`event_first`; ``at_least`` is read from these afterwards).
    """
    reductions: dict[str, np.ndarray] = {}
    for key, var in INDICES.items():
        levels = states[var]  # (n_points, n_paths)
        n_points = levels.shape[0]
        dtype = crossing_dtype(n_points)
        deepest, deepest_fall = _deepest(levels)
        reductions[f"{key}.max_drawdown"] = deepest[-1].copy()
        for j, thr in enumerate(thresholds[key]):
            for kind, depth in (("drawdown", deepest), ("fall", deepest_fall)):
                before = np.count_nonzero(depth < thr, axis=0)
                reductions[f"{key}.first_{kind}.{j}"] = np.where(
                    before < n_points, before, -1
                ).astype(dtype)
    for event in events:
        if event.kind != "at_least":
            levels = states[INDICES[event.index]]
            reductions[f"event.{event.name}"] = event_first(event, levels).astype(
                crossing_dtype(levels.shape[0])
            )
    return reductions


def event_first(event, levels: np.ndarray) -> np.ndarray:
    """Per path, the grid index at which ``event`` first happened (by ``event.by_step``), -1
    where it did not: a ``drawdown_within`` fall of ``event.depth`` from the highest level of
    the last ``event.window_steps`` steps, or a ``below`` level at or under ``event.level`` times
    the start (at any step from the first to ``by``, or at ``by`` with ``event.at``; reaching the
    level counts, as in the fall-below-start metric and in the questions, "at or below"). ``levels`` is time-major
    ``(n_points, n_paths)``. With a window as long as ``by``, the drawdown is the one from the
    running peak, float for float (:func:`path_summaries`' drawdown metric)."""
    last = event.by_step
    if event.kind == "below":
        if event.at:
            hit = levels[last] / levels[0] <= event.level
            return np.where(hit, last, -1)
        # from the first step: the start itself is not a fall (a level of 1 or more would
        # otherwise count every path at the start)
        reached = np.concatenate(
            [
                np.zeros((1, levels.shape[1]), dtype=bool),
                levels[1 : last + 1] / levels[0] <= event.level,
            ]
        )
    elif event.kind == "drawdown_within":
        peak = rolling_max(levels[: last + 1], event.window_steps)
        np.divide(levels[: last + 1], peak, out=peak)
        np.subtract(1.0, peak, out=peak)
        reached = peak >= event.depth
    else:
        raise ValueError(f"event {event.name!r}: {event.kind} is read from its events afterwards")
    first = np.argmax(reached, axis=0)
    return np.where(reached[first, np.arange(reached.shape[1])], first, -1)


def rolling_max(levels: np.ndarray, window: int) -> np.ndarray:
    """``max(levels[t - window : t + 1])`` along time (axis 0, from 0 near the start): the
    highest level of the last ``window`` steps. Row by row in blocks of ``window + 1`` rows
    (van Herk / Gil-Werman: a running maximum forward within each block and one backward,
    then one maximum per row), so the cost does not grow with the window."""
    n = levels.shape[0]
    out = np.empty_like(levels)
    out[0] = levels[0]
    if window >= n - 1:  # the running peak from the start
        for t in range(1, n):
            np.maximum(out[t - 1], levels[t], out=out[t])
        return out
    m = window + 1
    forward = np.empty_like(levels)  # max from the start of t's block to t
    backward = np.empty_like(levels)  # max from t to the end of t's block
    for t in range(n):
        if t % m == 0:
            forward[t] = levels[t]
        else:
            np.maximum(forward[t - 1], levels[t], out=forward[t])
    for t in range(n - 1, -1, -1):
        if t % m == m - 1 or t == n - 1:
            backward[t] = levels[t]
        else:
            np.maximum(backward[t + 1], levels[t], out=backward[t])
    out[:m] = forward[:m]
    np.maximum(backward[: n - window], forward[window:], out=out[window:])
    return out


def _deepest(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The deepest drawdown from the running peak and the deepest fall below the start, by date.

    Row by row (one call per date on contiguous rows): ``ufunc.accumulate`` along the first axis
    of a wide time-major array is many times slower. Same values as :func:`running_drawdown`
    followed by a running maximum.
    """
    peak = levels[0].copy()
    lowest = levels[0].copy()
    deepest = np.empty_like(levels)
    deepest_fall = np.empty_like(levels)
    deepest[0] = 1.0 - levels[0] / peak
    deepest_fall[0] = 1.0 - lowest / levels[0]
    depth = np.empty_like(peak)
    for k in range(1, levels.shape[0]):
        row = levels[k]
        np.maximum(peak, row, out=peak)
        np.divide(row, peak, out=depth)
        np.subtract(1.0, depth, out=depth)
        np.maximum(deepest[k - 1], depth, out=deepest[k])
        np.minimum(lowest, row, out=lowest)
        np.divide(lowest, levels[0], out=depth)
        np.subtract(1.0, depth, out=deepest_fall[k])
    return deepest, deepest_fall
