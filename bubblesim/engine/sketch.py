"""Per-step distributions of the state variables in a fixed-size, mergeable summary.

A run never holds all of its paths. Each block's states are binned as they are made, and fan
charts read their quantiles from the bins. The layout (bin edges) is set once per run, from
block 0: per variable and grid point, :data:`N_BINS` equal bins from block 0's smallest to its
largest value, plus one bin below and one above for later blocks' values outside that range.
Counts are integers, so summaries of blocks merge by addition in any order: the numbers do not
depend on chunking or workers.

Three kinds of value are kept exactly rather than binned:

- integer-valued variables (:data:`INTEGER_VARIABLES`) get unit bins centred on the integers;
- a value that block 0 holds more than once at its minimum or maximum (an atom: cash floored at
  zero, stress at 0 or 1, a full funding pool) is counted on its own;
- the most frequent repeated value inside the range (an interior atom, e.g. a failed lab's zero
  burn) likewise.

Elsewhere a quantile is read by linear interpolation of the ranks within its bin, as if the
bin's values were spread evenly, and interpolated between order statistics as ``numpy.quantile``
does. The error is therefore below one bin width, ``(max - min) / N_BINS`` of block 0, and much
less where the density is smooth; ``docs/model.md`` gives the measured error beside the Monte
Carlo error of the quantile itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["N_BINS", "MAX_POINTS", "INTEGER_VARIABLES", "SketchLayout", "StepSketch"]

#: Equal bins per variable and grid point between block 0's smallest and largest value.
N_BINS = 4096

#: Most grid points a sketch records; longer grids record this many, evenly spaced (first and
#: last included), so a sketch's size depends on neither paths nor steps.
MAX_POINTS = 1024

#: Share of block 0 left below and above the bins' range in each tail (read less finely).
TAIL = 0.001

#: Variables whose block-0 range spans more than this ratio (and are positive) are binned in logs.
LOG_RATIO = 4.0

#: Values binned per call (rows of a chunk at a time): the binning's temporaries stay in cache.
SLAB = 1 << 16

#: Interior values kept exactly per grid point (the most frequent ones of block 0).
INTERIOR_ATOMS = 3

#: Share of block 0 an interior value must hold to be kept exactly.
ATOM_SHARE = 0.002

#: Variables that only take integer values: unit bins, exact quantiles.
INTEGER_VARIABLES = frozenset({"crash_count", "lab_failed", "market_regime"})


def _at(x: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The recorded rows of a time-major array (no copy when every row is recorded)."""
    return x if len(points) == x.shape[0] else x[points]


def _scaled(x: np.ndarray, log: bool) -> np.ndarray:
    """Values on the bins' scale: their logs for variables binned in logs.

    In single precision, which NumPy vectorizes (double-precision logs cost several times more):
    a bin is ~1e-3 wide in logs, far coarser than float32's 1e-7, and the same value always
    lands in the same bin.
    """
    if not log:
        return x
    return np.log(np.clip(x, 1e-30, 1e38).astype(np.float32))


def _bin_index(x: np.ndarray, scale: np.ndarray, shift: np.ndarray, offset: np.ndarray):
    """Bin numbers (0 below the range, 1..N_BINS inside, N_BINS + 1 above) plus ``offset``.

    Always the same sequence of float operations, so an atom's own bin is found exactly as its
    values' bins are.
    """
    t = np.multiply(x, scale)
    t += shift
    np.clip(t, 0.0, N_BINS + 1.0, out=t)
    t += offset
    return t.astype(np.intp)


def _repeated_values(row: np.ndarray, exclude: tuple[float, float], most: int) -> np.ndarray:
    """Up to ``most`` values of ``row`` held by at least :data:`ATOM_SHARE` of it (and twice),
    most frequent first, not in ``exclude``; padded with nan."""
    values, counts = np.unique(row, return_counts=True)
    keep = (
        (counts >= max(2, ATOM_SHARE * row.size)) & (values != exclude[0]) & (values != exclude[1])
    )
    found = values[keep][np.argsort(-counts[keep], kind="stable")][:most]
    return np.concatenate([found, np.full(most - found.size, np.nan)])


def _rows_with_interior_runs(ordered: np.ndarray) -> np.ndarray:
    """Rows of ``ordered`` (each row sorted, ``(rows, n)``) that hold a value other than the
    row's extremes as often as :func:`_repeated_values` asks (a run of that length in the
    sorted row): the only rows where it can find one."""
    n = ordered.shape[1]
    run = int(np.ceil(max(2, ATOM_SHARE * n)))  # counts are whole: >= the share's ceiling
    if run > n:
        return np.empty(0, dtype=np.intp)
    first, last = ordered[:, : n - run + 1], ordered[:, run - 1 :]
    inside = (first != ordered[:, :1]) & (first != ordered[:, -1:])
    return np.flatnonzero(((first == last) & inside).any(axis=1))


@dataclass(frozen=True)
class SketchLayout:
    """Bin edges and exactly-kept values; arrays of shape ``(n_variables, n_points)``."""

    names: tuple[str, ...]
    points: np.ndarray  # the grid indices recorded
    lo: np.ndarray
    width: np.ndarray
    log: np.ndarray  # (n_variables,) bins in log values
    atoms: (
        np.ndarray
    )  # (n_variables, 2 + INTERIOR_ATOMS, n_points): low end, high end, interior; nan if none

    @classmethod
    def from_block(cls, states: Mapping[str, np.ndarray], names: Sequence[str]) -> SketchLayout:
        """The layout read from one block's time-major states ``(n_grid, n_paths)``."""
        n_grid = states[names[0]].shape[0]
        points = np.arange(n_grid)
        if n_grid > MAX_POINTS:
            points = np.unique(np.linspace(0, n_grid - 1, MAX_POINTS).round().astype(int))
        states = {name: _at(states[name], points) for name in names}
        n_points = len(points)
        lo = np.empty((len(names), n_points))
        width = np.empty_like(lo)
        log = np.zeros(len(names), dtype=bool)
        atoms = np.full((len(names), 2 + INTERIOR_ATOMS, n_points), np.nan)
        for v, name in enumerate(names):
            x = states[name]
            if name in INTEGER_VARIABLES:
                lo[v], width[v] = np.round(x.min(axis=1)) - 0.5, 1.0
                continue
            mn, mx = x.min(axis=1), x.max(axis=1)  # as given (a zero keeps the sign they give)
            ordered = np.sort(x, axis=1)  # each step's values in order: quantiles, runs
            low, high = np.quantile(ordered, [TAIL, 1.0 - TAIL], axis=1)
            # spread over orders of magnitude (revenue, compute, prices): bins in logs
            log[v] = bool((mn > 0).all() and (high / low).max() > LOG_RATIO)
            if log[v]:
                low, high = (_scaled(q, True).astype(float) for q in (low, high))
            lo[v] = low
            span = (high - low) / N_BINS
            # a range too narrow to divide (one value): bins of a relative width, never zero
            floor = np.maximum(np.abs(low), np.abs(high)) * 1e-12 + 1e-200
            width[v] = np.maximum(span, floor)
            if x.shape[1] < 2:
                continue
            atoms[v, 0] = np.where(ordered[:, 1] == mn, mn, np.nan)  # held at least twice
            atoms[v, 1] = np.where((ordered[:, -2] == mx) & (mx > mn), mx, np.nan)
            for s in _rows_with_interior_runs(ordered):
                atoms[v, 2:, s] = _repeated_values(x[s], (mn[s], mx[s]), INTERIOR_ATOMS)
        return cls(tuple(names), points, lo, width, log, atoms)

    @property
    def n_points(self) -> int:
        return self.lo.shape[1]


@dataclass
class StepSketch:
    """Mergeable per-step counts of every state variable (see the module's docstring).

    ``counts[v, s]`` has ``N_BINS + 2`` bins (below, inside, above); ``atom_counts[v, a, s]`` the
    paths exactly at ``layout.atoms[v, a, s]`` (not in ``counts``) and ``atom_below[v, a, s]`` the
    other paths in the atom's own bin that lie below it (so a quantile next to an atom is read on
    the right side of it); ``vmin`` and ``vmax`` the extremes seen; ``paths`` the paths added.
    """

    layout: SketchLayout
    counts: np.ndarray
    atom_counts: np.ndarray
    atom_below: np.ndarray
    vmin: np.ndarray
    vmax: np.ndarray
    paths: int = 0

    @classmethod
    def empty(cls, layout: SketchLayout) -> StepSketch:
        v, s = layout.lo.shape
        return cls(
            layout,
            np.zeros((v, s, N_BINS + 2), dtype=np.int32),
            np.zeros(layout.atoms.shape, dtype=np.int32),
            np.zeros(layout.atoms.shape, dtype=np.int32),
            np.full((v, s), np.inf),
            np.full((v, s), -np.inf),
        )

    def add(self, states: Mapping[str, np.ndarray], rows_for: int | None = None) -> None:
        """Count one block's (or chunk's) time-major states ``(n_points, n_paths)``.

        A few rows at a time, so the temporaries of the binning stay in the processor's cache:
        as many as fit :data:`SLAB` values of ``rows_for`` paths (default: the paths given).
        A row's bin index is computed with its offset in the slab, so a part of a chunk added
        with the chunk's ``rows_for`` gets the counts the chunk would give it.
        """
        lay = self.layout
        n_points = lay.n_points
        n = states[lay.names[0]].shape[1]
        rows_at_once = max(1, SLAB // max(n if rows_for is None else rows_for, 1))
        for v, name in enumerate(lay.names):
            x = _at(states[name], lay.points)
            lowest, highest = x.min(axis=1), x.max(axis=1)
            if not (np.isfinite(lowest).all() and np.isfinite(highest).all()):
                raise FloatingPointError(f"{name} is not finite")
            scale = 1.0 / lay.width[v]
            shift = 1.0 - lay.lo[v] * scale
            atoms = [(a, lay.atoms[v, a]) for a in range(lay.atoms.shape[1])]
            atoms = [(a, atom) for a, atom in atoms if not np.isnan(atom).all()]
            for r0 in range(0, n_points, rows_at_once):
                rows = slice(r0, min(n_points, r0 + rows_at_once))
                xs = x[rows]
                m = xs.shape[0]
                offset = (np.arange(m) * (N_BINS + 2)).astype(float)[:, None]
                idx = _bin_index(
                    _scaled(xs, lay.log[v]), scale[rows, None], shift[rows, None], offset
                )
                self.counts[v, rows] += np.bincount(
                    idx.ravel(), minlength=m * (N_BINS + 2)
                ).reshape(m, N_BINS + 2)
                for a, atom in atoms:
                    at = atom[rows]
                    # nan never compares equal: rows without this atom count nothing
                    hit = np.count_nonzero(xs == at[:, None], axis=1)
                    self.atom_counts[v, a, rows] += hit
                    # every row with this atom, hit here or not: the paths below it in its bin
                    # are counted whichever batch they come in, so the counts do not depend on
                    # how the paths were cut into chunks
                    has = np.flatnonzero(~np.isnan(at))
                    if not has.size:
                        continue
                    # the bin its values were counted in: the same operations, offset included
                    home = _bin_index(
                        _scaled(at[has], lay.log[v]),
                        scale[rows][has],
                        shift[rows][has],
                        offset[has, 0],
                    )
                    self.counts[v, r0 + has, home - offset[has, 0].astype(np.intp)] -= hit[has]
                    # the rest of the atom's bin: how much of it lies below the atom
                    rest = xs[has]
                    below = (idx[has] == home[:, None]) & (rest < at[has, None])
                    self.atom_below[v, a, r0 + has] += np.count_nonzero(below, axis=1)
            np.minimum(self.vmin[v], lowest, out=self.vmin[v])
            np.maximum(self.vmax[v], highest, out=self.vmax[v])
        self.paths += n

    def merge(self, other: StepSketch) -> None:
        """Add another sketch of the same layout (integer counts: the order does not matter)."""
        self.counts += other.counts
        self.atom_counts += other.atom_counts
        self.atom_below += other.atom_below
        np.minimum(self.vmin, other.vmin, out=self.vmin)
        np.maximum(self.vmax, other.vmax, out=self.vmax)
        self.paths += other.paths

    def quantiles(self, name: str, qs: Sequence[float]) -> np.ndarray:
        """Per-step quantiles of ``name``: shape ``(n_points, len(qs))`` (``numpy.quantile``'s
        linear rule, read from the bins).

        Every step's pieces are read at once (:meth:`_read_rows`): the bins in value order with
        each step's atoms inserted as points, a bin that holds one strictly inside split at it,
        the same pieces and arithmetic as :meth:`_pieces` and :func:`_read_quantiles` one step
        at a time (a step with two atoms inside one bin is read so)."""
        lay = self.layout
        v = lay.names.index(name)
        integer = name in INTEGER_VARIABLES
        out = np.empty((lay.n_points, len(qs)))
        counts = self.counts[v].astype(float)
        with_atoms = np.flatnonzero((self.atom_counts[v] > 0).any(axis=0))
        inserts, alone = {}, []
        if with_atoms.size:
            n = len(with_atoms)
            starts, _ = self._bin_ends(
                v, with_atoms, np.tile(np.arange(N_BINS + 2), (n, 1)), integer
            )
            for r, s in enumerate(with_atoms):
                row = self._atom_inserts(v, s, starts[r], counts[s], integer)
                if row is None:
                    alone.append(s)
                else:
                    inserts[s] = row
        steps = np.setdiff1d(np.arange(lay.n_points), alone)
        if steps.size:
            rows = [inserts.get(s, []) for s in steps]
            out[steps] = self._read_rows(v, steps, counts[steps], rows, integer, qs)
        for s in alone:
            c, a, b = self._pieces(v, s, integer)
            out[s] = _read_quantiles(c, a, b, qs)
        return out

    def _bin_ends(self, v: int, steps: np.ndarray, i: np.ndarray, integer: bool):
        """The value range ``(a, b)`` of bin ``i[r, p]`` of step ``steps[r]``, as :meth:`_pieces`
        gives it (the same operations, element by element)."""
        lay = self.layout
        lo, w = lay.lo[v, steps][:, None], lay.width[v, steps][:, None]
        vmin, vmax = self.vmin[v, steps][:, None], self.vmax[v, steps][:, None]

        def edge(k):  # lo + w * arange(N_BINS + 1), in values
            e = lo + w * k.astype(float)
            return np.exp(e) if lay.log[v] else e

        if integer:
            centre = np.where(i == 0, vmin, edge(np.clip(i - 1, 0, N_BINS)) + 0.5)
            centre = np.where(i == N_BINS + 1, vmax, centre)
            a = b = np.round(centre)
        else:
            a = np.where(i == 0, vmin, edge(np.maximum(i - 1, 0)))
            b = np.where(i == N_BINS + 1, vmax, edge(np.minimum(i, N_BINS)))
        return np.clip(a, vmin, vmax), np.clip(b, vmin, vmax)

    def _atom_inserts(self, v: int, s: int, starts: np.ndarray, counts: np.ndarray, integer):
        """Step ``s``'s atoms as pieces to insert into its bins, ``[(position, count, a, b)]``
        in value order: a point for each atom, and for a bin holding one strictly inside its
        two halves (the bin's own count, in ``counts``, set to 0); None when two atoms lie
        inside one bin. ``starts``: the bins' lower ends (:meth:`_bin_ends`)."""
        lay = self.layout
        counted = np.flatnonzero(self.atom_counts[v, :, s] > 0)
        xs = lay.atoms[v, counted, s]
        hits = self.atom_counts[v, counted, s].astype(float)
        under = self.atom_below[v, counted, s].astype(float)
        at = np.maximum(np.searchsorted(starts, xs, side="right") - 1, 0)
        # a bin ends where the next starts (the last at the largest value); a point at itself
        following = np.minimum(at + 1, starts.size - 1)
        ends = (
            starts[at]
            if integer
            else np.where(at + 1 < starts.size, starts[following], self.vmax[v, s])
        )
        inside = (starts[at] < xs) & (ends > xs) & (counts[at] > 0)
        if np.unique(at[inside]).size < np.count_nonzero(inside):
            return None
        row = []
        for x, hit, low, i, end, split in zip(xs, hits, under, at, ends, inside, strict=True):
            if split:  # [a, b) around x: [a, x), x, [x, b), the paths below x on the left
                low = min(low, counts[i])
                row += [(i + 1, low, starts[i], x), (i + 1, hit, x, x),
                        (i + 1, counts[i] - low, x, end)]  # fmt: skip
                counts[i] = 0.0
            else:
                row.append((int(np.searchsorted(starts, x, side="left")), hit, x, x))
        return sorted(row, key=lambda item: (item[0], item[2], item[3]))

    def _read_rows(self, v, steps, counts, inserts, integer, qs) -> np.ndarray:
        """:func:`_read_quantiles` of many steps at once: the bins of ``steps`` (``counts``,
        ``(rows, N_BINS + 2)``) with each row's ``inserts`` (:meth:`_atom_inserts`) put in, and
        the value ranges worked out only for the pieces the ranks fall in. Empty pieces need not
        be dropped, and pad the rows to one length: the first piece whose running count exceeds
        a rank always holds values, so the same piece, and the same arithmetic, is picked."""
        m, width = counts.shape
        extra = max((len(row) for row in inserts), default=0)
        placed = np.zeros((m, extra), dtype=np.intp)  # each insert's index in its padded row
        ins_a, ins_b = np.zeros((m, extra)), np.zeros((m, extra))
        if extra:
            vmax = self.vmax[v, steps]
            where, values = [], []
            for r, row in enumerate(inserts):
                row = row + [(width, 0.0, vmax[r], vmax[r])] * (extra - len(row))
                for t, (pos, count, a, b) in enumerate(row):
                    where.append(r * width + pos)
                    values.append(count)
                    placed[r, t], ins_a[r, t], ins_b[r, t] = pos + t, a, b
            counts = np.insert(counts.ravel(), where, values).reshape(m, width + extra)
            width += extra
        cum = np.cumsum(counts, axis=1)
        n = cum[:, -1:]
        rows = np.arange(m)[:, None]
        # one sorted array: row r's counts shifted by r * (largest count + 1), exact in floats
        lift = rows * (float(n.max()) + 1.0)
        flat = (cum + lift).ravel()

        def order_statistic(k):
            j = np.searchsorted(flat, (k + lift).ravel(), side="right").reshape(k.shape)
            j = np.minimum(j - rows * width, width - 1)
            held = counts[rows, j]
            start = cum[rows, j] - held
            if extra:  # an inserted piece, or the bin it stands after the inserts before it
                same = placed[:, :, None] == j[:, None, :]
                bins = j - (placed[:, :, None] < j[:, None, :]).sum(axis=1)
            else:
                bins = j
            a, b = self._bin_ends(v, steps, bins, integer)
            if extra:
                mine, which = same.any(axis=1), same.argmax(axis=1)
                a = np.where(mine, np.take_along_axis(ins_a, which, axis=1), a)
                b = np.where(mine, np.take_along_axis(ins_b, which, axis=1), b)
            frac = (k - start + 0.5) / held
            return a + np.clip(frac, 0.0, 1.0) * (b - a)

        h = np.asarray(qs, dtype=float)[None, :] * (n - 1)
        k0 = np.floor(h)
        lower = order_statistic(k0)
        upper = order_statistic(np.minimum(k0 + 1, n - 1))
        return lower + (h - k0) * (upper - lower)

    def _pieces(self, v: int, s: int, integer: bool):
        """Pieces of step ``s`` in value order: counts and the value range of each."""
        lay = self.layout
        lo, w = lay.lo[v, s], lay.width[v, s]
        vmin, vmax = self.vmin[v, s], self.vmax[v, s]
        c = self.counts[v, s].astype(float)
        edges = lo + w * np.arange(N_BINS + 1)
        if lay.log[v]:
            edges = np.exp(edges)
        a = np.concatenate([[vmin], edges])
        b = np.concatenate([edges[:1], edges[1:], [vmax]])
        if integer:  # every value of a unit bin is its centre
            centre = np.concatenate([[vmin], edges[:-1] + 0.5, [vmax]])
            a = b = np.round(centre)
        a, b = np.clip(a, vmin, vmax), np.clip(b, vmin, vmax)
        counted = self.atom_counts[v, :, s] > 0
        if not counted.any():
            return c, a, b
        # atoms are points: merged into the value order, splitting the bin they sit in
        atoms = lay.atoms[v, counted, s]
        c = np.concatenate([c, self.atom_counts[v, counted, s].astype(float)])
        below = np.full(c.size, np.nan)
        below[-atoms.size :] = self.atom_below[v, counted, s]
        return _split_around_points(
            c, np.concatenate([a, atoms]), np.concatenate([b, atoms]), below
        )


def _split_around_points(c, a, b, below=None):
    """Sort pieces by value; a range piece holding a point is split at it: by the counted number
    of its values below the point (``below``, per point; nan if unknown) when it holds one
    point, else in proportion to length. The range pieces do not overlap, so each of the few
    points is looked up among them at once."""
    point = a == b
    ranges = np.flatnonzero(~point & (c > 0))
    xs = a[point]
    under = below[point] if below is not None else np.full(xs.size, np.nan)
    held_by = {}  # range piece -> the points strictly inside it
    ra, rb = a[ranges], b[ranges]  # in value order, not overlapping
    if ra.size and xs.size:
        cand = np.clip(np.searchsorted(ra, xs, side="left") - 1, 0, ra.size - 1)
        inside = (ra[cand] < xs) & (rb[cand] > xs)
        for j in np.flatnonzero(inside):
            held_by.setdefault(int(ranges[cand[j]]), []).append(int(j))
    keep = np.ones(ranges.size, dtype=bool)
    new_c, new_a, new_b = [c[point]], [a[point]], [b[point]]
    for i, js in held_by.items():
        keep[np.searchsorted(ranges, i)] = False
        inside = xs[js]
        cuts = np.concatenate([[a[i]], np.sort(inside), [b[i]]])
        if len(js) == 1 and not np.isnan(under[js[0]]):
            low = min(float(under[js[0]]), c[i])
            new_c.append(np.array([low, c[i] - low]))
        else:
            new_c.append(c[i] * np.diff(cuts) / (b[i] - a[i]))
        new_a.append(cuts[:-1]), new_b.append(cuts[1:])
    kept = ranges[keep]
    new_c.append(c[kept]), new_a.append(a[kept]), new_b.append(b[kept])
    c, a, b = (np.concatenate(p) for p in (new_c, new_a, new_b))
    order = np.lexsort((b, a))
    return c[order], a[order], b[order]


def _read_quantiles(counts, a, b, qs) -> np.ndarray:
    """Quantiles of values spread evenly by rank within each piece (``numpy.quantile``'s rule)."""
    keep = counts > 0
    counts, a, b = counts[keep], a[keep], b[keep]
    cum = np.cumsum(counts)
    n = cum[-1]
    start = cum - counts

    def order_statistic(k):
        j = np.minimum(np.searchsorted(cum, k, side="right"), len(cum) - 1)
        frac = (k - start[j] + 0.5) / counts[j]
        return a[j] + np.clip(frac, 0.0, 1.0) * (b[j] - a[j])

    h = np.asarray(qs, dtype=float) * (n - 1)
    k0 = np.floor(h)
    lower = order_statistic(k0)
    upper = order_statistic(np.minimum(k0 + 1, n - 1))
    return lower + (h - k0) * (upper - lower)
