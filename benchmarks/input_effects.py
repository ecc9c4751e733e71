"""How much each mission input moves the odds: the elasticity table kept true.

    python benchmarks/input_effects.py [--paths 20000] [--seed 20260101] [--scenario scenarios/baseline.toml]

Each input of the mission (cash burn, the capex path, LLM price decay, GPU demand growth, the
Magnificent-7 weight, starting overvaluation) is set to x0.5 and x2 of its value in the scenario,
one at a time, and run on common random numbers against the unchanged scenario (same seed, same
paths: path i sees the same shocks in every run). Prints, per input and factor, the difference in
P(market drawdown >= 20%) and P(AI drawdown >= 20%) with paired 95% intervals, then the same for the
deeper thresholds that are not saturated (market 30%, AI 50%). The last line is one JSON object:

    {"rows": [{"input", "factor", "index", "threshold", "difference", "ci_low", "ci_high"}, ...],
     "deeper": [... the same for market 0.3 and AI 0.5 ...], "paths": N, "seed": S, ...}

Differences are in probability (0.01 = one percentage point). docs/model.md shows the table and
explains each size by its channel.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bubblesim  # noqa: E402
from bubblesim.analysis.estimates import paired_difference  # noqa: E402

#: input label -> the scenario key it scales (a scalar, a distribution or a year table).
INPUTS: dict[str, str] = {
    "cash burn": "cash_burn.burn_scale",
    "capex path": "capex.plan",
    "LLM price decay": "llm_price.annual_decay",
    "GPU demand growth": "gpu_demand.long_run_growth",
    "Magnificent-7 weight": "market.mag7_weight",
    "starting overvaluation": "market.initial_overvaluation",
}
FACTORS = (0.5, 2.0)
HEADLINE = {"market": 0.2, "ai": 0.2}
DEEPER = {"market": 0.3, "ai": 0.5}


def scaled(value, factor: float):
    """``value`` (as written in a scenario file) times ``factor``, its source kept."""
    if isinstance(value, bool):
        raise TypeError("a switch cannot be scaled")
    if isinstance(value, int | float):
        return value * factor
    if isinstance(value, dict):
        skip = {"dist", "source"}
        return {
            k: (v * factor if k not in skip and isinstance(v, int | float) else v)
            for k, v in value.items()
        }
    raise TypeError(f"cannot scale {value!r}")


def variant(raw: dict, key: str, factor: float) -> dict:
    section, name = key.split(".")
    out = {s: dict(v) if isinstance(v, dict) else v for s, v in raw.items()}
    table = out.setdefault(section, {})
    current = table.get(name)
    if current is None:  # not in the file: the schema default
        from bubblesim.scenario.schema import PARAMETERS

        current = next(p.default for p in PARAMETERS if p.name == key)
    table[name] = scaled(current, factor)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    args = ap.parse_args()

    path = Path(args.scenario)
    raw = tomllib.loads(path.read_text())
    if "extends" in raw:
        sys.exit(f"{path}: give a scenario without 'extends' (the baseline has none)")

    def run(data: dict):
        sc = bubblesim.scenario_from_dict(data, file=path)
        return bubblesim.simulate(sc, paths=args.paths, seed=args.seed)

    base = run(raw)
    print(
        f"scenario {base.scenario.name}: {args.paths:,} paths, seed {args.seed}, common random"
        " numbers; difference against the scenario in percentage points [paired 95% interval]"
    )
    base_line = "  ".join(
        f"{i} >= {t:.0%}: {100 * base.estimate(i, t).probability:.1f}%"
        for i, t in (*HEADLINE.items(), *DEEPER.items())
    )
    print(f"scenario as written: {base_line}\n")
    header = f"{'input':<24}{'factor':>7}"
    for i, t in (*HEADLINE.items(), *DEEPER.items()):
        header += f"{f'{i} >= {t:.0%}':>26}"
    print(header)
    rows, deeper = [], []
    for label, key in INPUTS.items():
        for factor in FACTORS:
            r = run(variant(raw, key, factor))
            line = f"{label:<24}{f'x{factor:g}':>7}"
            for target, table in ((rows, HEADLINE), (deeper, DEEPER)):
                for index, thr in table.items():
                    d = paired_difference(base.hits(index, thr), r.hits(index, thr))
                    target.append(
                        {
                            "input": label,
                            "key": key,
                            "factor": factor,
                            "index": index,
                            "threshold": thr,
                            "difference": d.difference,
                            "ci_low": d.ci_low,
                            "ci_high": d.ci_high,
                        }
                    )
                    cell = (
                        f"{100 * d.difference:+.1f} [{100 * d.ci_low:+.1f}, {100 * d.ci_high:+.1f}]"
                    )
                    line += f"{cell:>26}"
            print(line, flush=True)
    print(
        json.dumps(
            {
                "rows": rows,
                "deeper": deeper,
                "scenario": base.scenario.name,
                "scenario_sha256": base.scenario.sha256,
                "paths": args.paths,
                "seed": args.seed,
                "version": bubblesim.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
