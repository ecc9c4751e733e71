"""Engine speed and memory, as ratios measured in one run (absolute times vary by machine).

    python benchmarks/bench_engine.py [--paths 100000] [--scenario scenarios/baseline.toml]
                                      [--memory 1000000,4000000]

Prints:
* raw RNG: drawing the random numbers the engine consumes (11 arrays of paths x steps), the floor;
* engine: ``bubblesim.simulate`` end to end (parameters, shocks, model, per-path summaries and
  the per-step sketch);
* the ratio of the two, paths per second, and the speed-up with 2 workers;
* a plain peer: a vectorized NumPy Merton jump-diffusion with its maximum drawdown, 3 variates
  per path-step (diffusion normal, event uniform, jump-size normal), timed in the same run, and
  the engine's time per path-step over the peer's;
* peak resident memory of this process;
* with ``--memory N1,N2,...``: the peak resident memory of a fresh process that runs the scenario
  at each path count (one worker), and the ratio of the last to the first.

The last line is one JSON object: ``paths``, ``steps``, ``draws_per_path_step``, ``rng_floor_s``,
``engine_s``, ``ratio`` (engine over floor), ``peer_s``, ``peer_ratio`` (engine over peer, per
path-step), ``speedup_2_workers``, ``peak_rss_mb``, and with ``--memory`` ``memory_mb`` (path
count -> peak RSS of its process) and ``memory_ratio``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
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


def peak_rss_of_run(scenario: str, paths: int) -> float:
    """Peak RSS (MB) of a fresh Python process that imports bubblesim and runs ``paths`` paths."""
    code = (
        "import resource, sys; sys.path.insert(0, sys.argv[1]); import bubblesim; "
        "sc = bubblesim.load_scenario(sys.argv[2]); "
        "r = bubblesim.simulate(sc, paths=int(sys.argv[3]), seed=1); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), scenario, str(paths)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--memory",
        default="",
        help="comma-separated path counts: peak RSS of a fresh process running each (e.g. 1000000,4000000)",
    )
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

    def peer():
        """A plain vectorized Merton jump-diffusion and its max drawdown, block by block."""
        dt, mu, sigma, lam, m_j, s_j = 1 / 12, 0.08, 0.2, 0.5, -0.1, 0.1
        p_event = -np.expm1(-lam * dt)  # at most one jump a step: the peer keeps it simple
        for b, size in blocks(args.paths):
            g = np.random.default_rng([2, b])
            z = g.standard_normal((n_steps, size))
            u = g.random((n_steps, size))
            j = g.standard_normal((n_steps, size))
            step = (mu - 0.5 * sigma**2) * dt + sigma * np.sqrt(dt) * z
            step += (u < p_event) * (m_j + s_j * j)
            level = np.exp(np.cumsum(step, axis=0))
            (1.0 - level / np.maximum.accumulate(level, axis=0)).max(axis=0)

    t_rng = best_of(raw_rng, args.repeat)
    t_peer = best_of(peer, args.repeat)
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
        f"plain peer (Merton)  {t_peer:8.3f} s   engine per path-step {t_eng / t_peer:5.1f}x the peer's "
        f"({1e9 * t_eng / path_steps:.0f} vs {1e9 * t_peer / path_steps:.0f} ns)"
    )
    print(f"peak memory (RSS)    {peak_mb:8.0f} MB  (this process, all of the above)")
    memory = {}
    for n in (int(x) for x in args.memory.split(",") if x.strip()):
        memory[n] = peak_rss_of_run(args.scenario, n)
        print(f"peak memory, {n:>11,} paths in a fresh process: {memory[n]:8.0f} MB")
    extra = {}
    if memory:
        counts = list(memory)
        extra = {
            "memory_mb": {str(k): round(v, 1) for k, v in memory.items()},
            "memory_ratio": round(memory[counts[-1]] / memory[counts[0]], 3),
        }
        print(f"memory, {counts[-1]:,} over {counts[0]:,} paths: {extra['memory_ratio']:.2f}x")
    print(
        json.dumps(
            {
                "paths": args.paths,
                "steps": n_steps,
                "draws_per_path_step": len(NORMAL_SHOCKS) + len(UNIFORM_SHOCKS),
                "rng_floor_s": round(t_rng, 4),
                "engine_s": round(t_eng, 4),
                "ratio": round(t_eng / t_rng, 3),
                "peer_s": round(t_peer, 4),
                "peer_ratio": round(t_eng / t_peer, 3),
                "speedup_2_workers": round(t_eng / t_two, 3),
                "peak_rss_mb": round(peak_mb, 1),
                **extra,
                "scenario": sc.name,
                "version": bubblesim.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
