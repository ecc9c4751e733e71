"""Engine speed and memory, as ratios measured in one run (absolute times vary by machine).

    python benchmarks/bench_engine.py [--paths 100000] [--scenario scenarios/baseline.toml]

Prints:
* raw RNG: drawing the random numbers the engine consumes (10 arrays of paths x steps), the floor;
* engine: ``bubblesim.simulate`` end to end (parameters, shocks, model, reductions, states);
* the ratio of the two, paths per second, and the speed-up with 2 workers;
* peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bubblesim  # noqa: E402
from bubblesim.engine.rng import blocks  # noqa: E402
from bubblesim.engine.shocks import NORMAL_SHOCKS, UNIFORM_SHOCKS  # noqa: E402


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    sc = bubblesim.load_scenario(args.scenario)
    n_steps = sc.n_steps

    def raw_rng():
        for b, size in blocks(args.paths):
            g = np.random.default_rng([1, b])
            for _ in NORMAL_SHOCKS:
                g.standard_normal((size, n_steps))
            for _ in UNIFORM_SHOCKS:
                g.random((size, n_steps))

    t_rng = best_of(raw_rng, args.repeat)
    t_eng = best_of(lambda: bubblesim.simulate(sc, paths=args.paths, seed=1), args.repeat)
    t_two = best_of(
        lambda: bubblesim.simulate(sc, paths=args.paths, seed=1, workers=2), args.repeat
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path_steps = args.paths * n_steps
    print(
        f"scenario {sc.name}: {args.paths:,} paths x {n_steps} steps = {path_steps:,} path-steps (best of {args.repeat})"
    )
    print(f"raw RNG (floor)      {t_rng:8.3f} s")
    print(
        f"engine, 1 worker     {t_eng:8.3f} s   {t_eng / t_rng:5.1f}x raw RNG   {args.paths / t_eng:,.0f} paths/s"
    )
    print(f"engine, 2 workers    {t_two:8.3f} s   speed-up {t_eng / t_two:4.2f}x over 1 worker")
    print(
        f"peak memory (RSS)    {peak_mb:8.0f} MB  (per-step states kept as float64: "
        f"{args.paths * (n_steps + 1) * 16 * 8 / 1e6:,.0f} MB of it)"
    )


if __name__ == "__main__":
    main()
