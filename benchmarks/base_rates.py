"""The no-bubble market against history: drawdown base rates, model by model.

    python benchmarks/base_rates.py [--paths 20000] [--seed 20260101]

For drawdowns of at least 10, 20 and 30% within 12, 24, 60 and 72 months, prints the share of
windows in which the US market fell that far (the bundled monthly history 1926-2018, every start
month) beside the probability three market blocks give, each fitted by maximum likelihood to the
same history (`bubblesim calibrate --builtin us-market`) and simulated by bubblesim's engine with
the AI channels off:

* GBM: constant drift and volatility;
* Merton: GBM plus jumps;
* model: the calm/turbulent regime switch (`[market] regime = "markov"`), the block the bundled
  scenarios use for the rest of the market.

The goal: the regime switch within 5 percentage points of history in every cell. The last line is
one JSON object with ``cells``: ``[{window_months, threshold, history, gbm, merton, model}, ...]``.
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
from bubblesim.engine.reductions import max_drawdown  # noqa: E402
from bubblesim.history.base_rates import builtin_prices, history_base_rate  # noqa: E402
from bubblesim.history.calibrate import fit_merton, log_returns  # noqa: E402
from bubblesim.history.regime import engine_parameters, fit_regime  # noqa: E402

WINDOWS = (12, 24, 60, 72)
THRESHOLDS = (0.1, 0.2, 0.3)
GOAL = 0.05


def _scenario(market: dict, months: int):
    return bubblesim.scenario_from_dict(
        {
            "scenario": {"name": "base_rates", "horizon_years": months / 12, "steps_per_year": 12},
            "market": {"feedback": False, **market},
            "correction": {"thresholds": list(THRESHOLDS), "ai_thresholds": list(THRESHOLDS)},
        },
        file="base_rates",
    )


def _rates(scenario, paths, seed) -> dict[tuple[int, float], float]:
    market = bubblesim.simulate(scenario, paths=paths, seed=seed, keep_paths=paths).states["market"]
    out = {}
    for w in WINDOWS:
        deepest = max_drawdown(market[: w + 1], axis=0)
        for t in THRESHOLDS:
            out[(w, t)] = float((deepest >= t).mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=20260101)
    args = ap.parse_args()

    prices = builtin_prices("us-market")
    merton = fit_merton(prices, "monthly")
    regime = fit_regime(log_returns(prices), 1 / 12)
    months = max(WINDOWS)
    gbm = merton.gbm_params
    # the AI index alone (mag7_weight = 1) for GBM and Merton; the rest alone for the regime switch
    blocks = {
        "gbm": {"mag7_weight": 1.0, "ai_drift": gbm["mu"], "ai_volatility": gbm["sigma"],
                "hazard_base": 0.0},
        "merton": {"mag7_weight": 1.0, "ai_drift": merton.params["mu"],
                   "ai_volatility": merton.params["sigma"], "hazard_base": merton.params["lam"],
                   "crash_size": 1 - float(np.exp(merton.params["m_j"])),
                   "crash_size_volatility": merton.params["d_j"]},
        "model": {"mag7_weight": 0.0, "hazard_base": 0.0, "contagion": 0.0, "regime": "markov",
                  **{k: v for k, (v, _) in engine_parameters(regime).items()}},
    }  # fmt: skip
    rates = {
        name: _rates(_scenario(m, months), args.paths, args.seed) for name, m in blocks.items()
    }

    print(
        f"US market, monthly 1926-2018: share of windows with a drawdown of at least the threshold;"
        f" models fitted to the same history, {args.paths:,} paths, seed {args.seed}\n"
    )
    print(
        f"{'window':>7}{'drawdown':>10}{'history':>9}{'GBM':>8}{'Merton':>8}{'regime':>8}"
        f"{'regime - history':>18}"
    )
    cells, outside = [], []
    for w in WINDOWS:
        for t in THRESHOLDS:
            hist = history_base_rate(w, t)
            row = {k: rates[k][(w, t)] for k in blocks}
            gap = row["model"] - hist
            if abs(gap) > GOAL:
                outside.append((w, t, gap))
            print(
                f"{w:>5} m{'>= ' + format(t, '.0%'):>10}{100 * hist:>8.1f}%{100 * row['gbm']:>7.1f}%"
                f"{100 * row['merton']:>7.1f}%{100 * row['model']:>7.1f}%{100 * gap:>+15.1f} pts"
            )
            cells.append({"window_months": w, "threshold": t, "history": hist, **row})
    worst = {k: max(abs(c[k] - c["history"]) for c in cells) for k in blocks}
    print(
        f"\nlargest miss: GBM {100 * worst['gbm']:.1f} pts, Merton {100 * worst['merton']:.1f},"
        f" regime switch {100 * worst['model']:.1f}; cells outside 5 pts: "
        + (", ".join(f"{w}m {t:.0%} ({100 * g:+.1f})" for w, t, g in outside) or "none")
    )
    print(
        json.dumps(
            {
                "cells": cells,
                "paths": args.paths,
                "seed": args.seed,
                "regime_fit": regime.params,
                "version": bubblesim.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
