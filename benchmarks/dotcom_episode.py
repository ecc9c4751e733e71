"""The dot-com precedent: what the 1999-2003 NASDAQ bust says about the AI channels' coefficients.

    python benchmarks/dotcom_episode.py [--paths 10000] [--seed 20260101]

1. Fits the crash-hazard coefficients of the AI index (docs/model.md, section 4) by maximum
   likelihood to the NASDAQ Composite's month-end log returns 1999-01 to 2003-12, given the
   covariates the shipped data support (``bubblesim.history.episode.load_dotcom_episode``): funding
   stress as the venture-funding retreat; no sourced valuation or revenue series, so the hazards on
   overvaluation and on the coverage gap are not identified. Prints each coefficient with its
   standard error and whether the episode pins it down (estimate > 2 standard errors).
2. Runs ``scenarios/dotcom_replay.toml`` and says where the realised fall (-75.0% on month-end
   closes, 2000-02 to 2002-09) lies in the replay's distribution of the AI index's largest drawdown.

The last line is one JSON object: ``{"fit": [{"coefficient", "estimate", "std_error",
"identified", "pinned"}, ...], "replay": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bubblesim  # noqa: E402
from bubblesim.history.episode import fit_episode, load_dotcom_episode  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=20260101)
    args = ap.parse_args()

    ep = load_dotcom_episode()
    fit = fit_episode(ep["returns"], ep["covariates"], ep["dt"])
    prices = ep["prices"]
    print(
        f"NASDAQ Composite month-ends {prices.index[0]:%Y-%m} to {prices.index[-1]:%Y-%m}: "
        f"{fit.n_returns} log returns, log-likelihood {fit.loglik:.2f}"
    )
    print(f"{'coefficient':<18}{'estimate':>10}{'std error':>11}   verdict")
    rows = []
    for row in fit.table().to_dict("records"):
        name = row["coefficient"]
        if not row["identified"]:
            verdict = "not identified (no covariate in the data: fixed at 0)"
        elif row["pinned"]:
            verdict = "pinned (more than 2 s.e. from 0)"
        elif math.isnan(row["std_error"]):
            verdict = "at a bound: no standard error"
        else:
            verdict = "not pinned (within 2 s.e. of 0)"
        se = "-" if math.isnan(row["std_error"]) else f"{row['std_error']:.3f}"
        print(f"{name:<18}{row['estimate']:>10.3f}{se:>11}   {verdict}")
        rows.append(
            {
                "coefficient": name,
                "estimate": row["estimate"],
                "std_error": None if math.isnan(row["std_error"]) else row["std_error"],
                "identified": bool(row["identified"]),
                "pinned": bool(row["pinned"]),
            }
        )

    peak = prices[:"2000-12-31"].max()
    realised = float(1 - prices["2000-01-01":].min() / peak)
    sc = bubblesim.load_scenario(ROOT / "scenarios" / "dotcom_replay.toml")
    result = bubblesim.simulate(sc, paths=args.paths, seed=args.seed)
    mdd = result.reductions["ai.max_drawdown"]
    share = float((mdd >= realised).mean())
    print(
        f"\ndotcom_replay, {args.paths:,} paths, seed {args.seed}: the AI index's largest drawdown"
        f" has median {np.median(mdd):.1%}; the realised {realised:.1%} or worse on {share:.1%}"
        " of paths"
    )
    print(
        json.dumps(
            {
                "fit": rows,
                "loglik": fit.loglik,
                "n_returns": fit.n_returns,
                "replay": {
                    "paths": args.paths,
                    "seed": args.seed,
                    "scenario_sha256": sc.sha256,
                    "realised_max_drawdown": round(realised, 4),
                    "median_max_drawdown": round(float(np.median(mdd)), 4),
                    "share_at_least_realised": round(share, 4),
                },
                "version": bubblesim.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
