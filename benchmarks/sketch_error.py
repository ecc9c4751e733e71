"""How far the per-step sketch's quantiles are from exact ones, beside their Monte Carlo error.

    python benchmarks/sketch_error.py [--paths 40000] [--scenario scenarios/baseline.toml]

Runs the scenario keeping every full path, reads each state variable's quantiles (the ones
``quantiles.csv`` and the fan charts use) from the sketch and exactly from the paths, and prints per
variable the largest error as a share of the quantile's own Monte Carlo standard error
(``sqrt(p (1 - p) / n)`` over the density, read from the exact quantiles at ``p +/- 0.01``), with
where it happens. Quantiles on an atom (a standard error of 0) must be exact and are counted
apart. The last line is one JSON object: ``paths``, ``seed``, ``worst`` (variable -> largest
error / standard error) and ``atoms_exact``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bubblesim  # noqa: E402
from bubblesim.analysis.estimates import QUANTILES  # noqa: E402


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--paths", type=int, default=40_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    args = ap.parse_args()
    sc = bubblesim.load_scenario(args.scenario)
    r = bubblesim.simulate(sc, paths=args.paths, seed=args.seed, keep_paths=args.paths)
    qs = np.array(QUANTILES)
    d = 0.01
    worst, atoms_exact = {}, True
    print(
        f"{sc.name}: {args.paths:,} paths, seed {args.seed}, quantiles {', '.join(f'{q:g}' for q in qs)}"
    )
    print(f"{'variable':18s} {'max |error| / s.e.':>20s}   at")
    for var in r.sketch.layout.names:
        x = r.states[var]
        exact = np.quantile(x, qs, axis=1).T
        got = r.quantiles(var, tuple(qs)).to_numpy()
        up, down = np.minimum(qs + d, 1.0), np.maximum(qs - d, 0.0)
        density_inv = (np.quantile(x, up, axis=1) - np.quantile(x, down, axis=1)).T / (up - down)
        se = density_inv * np.sqrt(qs * (1 - qs) / args.paths)
        err = np.abs(got - exact)
        scale = 1.0 + np.abs(exact)
        atom = se <= 1e-12 * scale
        atoms_exact &= bool((err[atom] <= 1e-9 * scale[atom]).all())
        ratio = np.where(atom, 0.0, err / np.where(atom, 1.0, se))
        k, j = np.unravel_index(np.argmax(ratio), ratio.shape)
        worst[var] = round(float(ratio[k, j]), 3)
        print(
            f"{var:18s} {ratio[k, j]:20.3f}   date {k}, q {qs[j]:g} (error {err[k, j]:.3g}, s.e. {se[k, j]:.3g})"
        )
    print(f"quantiles on atoms exact: {atoms_exact}")
    print(
        json.dumps(
            {"paths": args.paths, "seed": args.seed, "worst": worst, "atoms_exact": atoms_exact}
        )
    )


if __name__ == "__main__":
    main()
