"""End-to-end speed of the commands a user runs, as ratios measured in one run.

    python benchmarks/bench_cli.py [--paths 10000] [--repeat 3] [--skip-slow]

Each command runs in a fresh process, as a user starts it (best of ``--repeat`` wall times,
once for the long ones), writing into a temporary folder:

* ``bubblesim --help`` and ``python -c "import numpy"`` (what any Python tool of the field pays);
* ``bubblesim validate`` and ``bubblesim run`` of the baseline (default workers) with the run's
  wall time split by phase (``BUBBLESIM_PHASES``: load, simulate = the scenario and its
  no-bubble twin, yardstick, summary, quantiles, tables, figures, publish; the rest of the wall
  time is the interpreter's start and the imports);
* ``run_simulate_s``: the two simulations alone (the scenario, then its twin, one worker, in
  one warm process: the engine's work, which no command can avoid), and ``run_ratio`` = run wall
  over it;
* ``run -n 20000`` with ``-j 1`` and ``-j 2`` (``workers2_speedup_20k``, the same numbers);
* compare of three scenarios, batch of the bundled scenarios, sensitivity --all-guesses,
  a 3 x 3 sweep and a solve, at ``--paths``.

The last line is one JSON object: ``paths``, ``cpus``, ``run_wall_s``, ``run_simulate_s``,
``run_ratio``, ``run_phases_s``, ``help_s``, ``numpy_import_s``, ``help_ratio``,
``validate_s``, ``validate_ratio``, ``workers2_speedup_20k`` and one ``<command>_s`` per command.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"


def wall(cmd: list[str], repeat: int, env: dict | None = None) -> float:
    """Best wall time of ``repeat`` runs of ``cmd`` in fresh processes (failures stop the bench)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def bubblesim(*args: str) -> list[str]:
    return [sys.executable, "-m", "bubblesim", *args]


def simulate_alone(paths: int, repeat: int) -> float:
    """The scenario and its twin simulated one after the other, one worker, best of ``repeat``."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); import bubblesim; "
        "from bubblesim.analysis.result import twin_scenario; "
        "sc = bubblesim.load_scenario(sys.argv[2]); n = int(sys.argv[3]); "
        "bubblesim.simulate(sc, paths=1000); best = 1e9\n"
        "for _ in range(int(sys.argv[4])):\n"
        "    t = time.perf_counter(); bubblesim.simulate(sc, paths=n); "
        "bubblesim.simulate(twin_scenario(sc), paths=n); best = min(best, time.perf_counter() - t)\n"
        "print(best)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(BASELINE), str(paths), str(repeat)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-slow", action="store_true", help="leave out sensitivity --all-guesses")
    args = ap.parse_args()
    n, rep = str(args.paths), args.repeat
    out = Path(tempfile.mkdtemp(prefix="bubblesim-bench-"))
    doc: dict = {"paths": args.paths, "cpus": len(os.sched_getaffinity(0))}

    doc["numpy_import_s"] = wall([sys.executable, "-c", "import numpy"], rep)
    doc["help_s"] = wall(bubblesim("--help"), rep)
    doc["help_ratio"] = doc["help_s"] / doc["numpy_import_s"]
    doc["validate_s"] = wall(bubblesim("validate", str(BASELINE)), rep)
    doc["validate_ratio"] = doc["validate_s"] / doc["numpy_import_s"]
    print(f"--help {doc['help_s']:.2f} s, validate {doc['validate_s']:.2f} s, "
          f"import numpy {doc['numpy_import_s']:.2f} s", flush=True)  # fmt: skip

    phases_file = out / "phases.json"
    env = {**os.environ, "BUBBLESIM_PHASES": str(phases_file)}
    best, phases = float("inf"), {}
    for _ in range(rep):
        t = wall(
            bubblesim("run", str(BASELINE), "-q", "-n", n, "-o", str(out / "run"), "--force"),
            1,
            env,
        )
        if t < best:
            best, phases = t, json.loads(phases_file.read_text())
    phases["start_and_imports"] = max(0.0, best - sum(phases.values()))
    doc["run_wall_s"] = best
    doc["run_phases_s"] = {k: round(v, 3) for k, v in phases.items()}
    doc["run_simulate_s"] = simulate_alone(args.paths, rep)
    doc["run_ratio"] = best / doc["run_simulate_s"]
    print(f"run {best:.2f} s = {doc['run_ratio']:.2f} x its two simulations "
          f"({doc['run_simulate_s']:.2f} s); phases {doc['run_phases_s']}", flush=True)  # fmt: skip

    base20 = bubblesim("run", str(BASELINE), "-q", "-n", "20000", "-o", str(out / "r20"), "--force")
    one = wall(base20 + ["-j", "1"], rep)
    two = wall(base20 + ["-j", "2"], rep)
    doc["run_20k_1_worker_s"], doc["run_20k_2_workers_s"] = one, two
    doc["workers2_speedup_20k"] = one / two
    print(f"run -n 20000: -j 1 {one:.2f} s, -j 2 {two:.2f} s ({one / two:.2f}x)", flush=True)

    three = [
        str(SCENARIOS / f) for f in ("baseline.toml", "deepseek_shock.toml", "soft_landing.toml")
    ]
    commands = {
        "compare": bubblesim("compare", *three, "-q", "-n", n, "-o", str(out / "cmp"), "--force"),
        "batch": bubblesim("batch", str(SCENARIOS), "-q", "-n", n, "-o", str(out / "b"), "--force"),
        "sweep": bubblesim(
            "sweep",
            str(BASELINE),
            "--param",
            "cash_burn.burn_scale=0:3:3",
            "--param",
            "llm_price.elasticity=0.6:1.4:3",
            "-q",
            "-n",
            n,
            "-o",
            str(out / "sw"),
            "--force",
        ),  # fmt: skip
        "solve": bubblesim(
            "solve",
            str(BASELINE),
            "--param",
            "llm_price.annual_decay",
            "--target",
            "0.39",
            "--bracket",
            "1",
            "10000",
            "-q",
            "-n",
            n,
            "-o",
            str(out / "so"),
            "--force",
        ),  # fmt: skip
    }
    if not args.skip_slow:
        commands["sensitivity"] = bubblesim("sensitivity", str(BASELINE), "--all-guesses", "-q",
                                            "-n", n, "-o", str(out / "se"), "--force")  # fmt: skip
    for name, cmd in commands.items():
        doc[f"{name}_s"] = wall(cmd, 1 if name in ("batch", "sensitivity") else min(rep, 2))
        print(f"{name} {doc[f'{name}_s']:.1f} s", flush=True)
    doc["run_s"] = doc["run_wall_s"]
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in doc.items()}))


if __name__ == "__main__":
    main()
