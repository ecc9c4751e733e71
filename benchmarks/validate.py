"""Print the validation figures of docs/validation.md (engine against closed forms and history).

    python benchmarks/validate.py [--shared ../shared/data/us_market_monthly_1926_2018.csv]

Takes about two minutes on 2 cores. Every figure is measured here; nothing is typed in by hand.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bubblesim import scenario_from_dict, simulate  # noqa: E402
from bubblesim.history.backtest import historical_frequency  # noqa: E402
from bubblesim.history.calibrate import fit_merton  # noqa: E402

BGK = 0.5826
QP = {0.1: 0.243050, 0.5: 0.463159, 1.5: 0.668992, 4.5: 0.905305, 10.0: 1.088998}
QN = {0.1: 0.325586, 0.5: 0.884593, 1.5: 1.970740, 5.0: 5.498820}


def degenerate(steps, T, mu, sigma, lam=0.0, kappa=0.25, d_j=0.1, thresholds=(0.1, 0.2)):
    return scenario_from_dict(
        {
            "scenario": {"horizon_years": T, "steps_per_year": steps},
            "market": {
                "feedback": False,
                "hazard_base": lam,
                "ai_drift": mu,
                "ai_volatility": sigma,
                "crash_size": kappa,
                "crash_size_volatility": d_j,
            },
            # the AI index is the one read here: its thresholds too (its defaults are 20/30/50%)
            "correction": {"thresholds": list(thresholds), "ai_thresholds": list(thresholds)},
        },
        file="validation",
    )


def barrier(nu, sigma, T, d, dt=None):
    b = -math.log(1 - d) + (BGK * sigma * math.sqrt(dt) if dt else 0.0)
    s = sigma * math.sqrt(T)
    return stats.norm.cdf((-b - nu * T) / s) + math.exp(-2 * nu * b / sigma**2) * stats.norm.cdf(
        (-b + nu * T) / s
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--shared", default=str(ROOT.parent / "shared" / "data" / "us_market_monthly_1926_2018.csv")
    )
    args = ap.parse_args()

    print("1. GBM barrier hit, nu=0.05 sigma=0.2 T=1 d=10% (fall below start)")
    print(f"   {'steps/yr':>8} {'paths':>8} {'engine':>8} {'s.e.':>7} {'formula+BGK':>11} {'z':>6}")
    for spy, paths in ((12, 200_000), (52, 100_000), (252, 40_000)):
        est = simulate(
            degenerate(spy, 1.0, 0.07, 0.2, thresholds=(0.1,)), paths=paths, seed=5
        ).estimate("ai", 0.1, "fall")
        f = barrier(0.05, 0.2, 1.0, 0.1, 1 / spy)
        print(
            f"   {spy:>8} {paths:>8,} {est.probability:>8.4f} {est.std_error:>7.4f} {f:>11.4f} {(est.probability - f) / est.std_error:>6.2f}"
        )
    print(f"   continuous-monitoring formula: {barrier(0.05, 0.2, 1.0, 0.1):.4f}")

    print("\n2. Expected max drawdown of the log price, sigma=0.2 T=1, daily steps, 12,000 paths")
    print(f"   {'x':>5} {'drift':>7} {'engine':>8} {'s.e.':>7} {'closed form - BGK':>17} {'z':>6}")
    for table, sign in ((None, 0), (QP, 1), (QN, -1)):
        for x in [0.0] if table is None else sorted(table):
            nu = sign * math.sqrt(2 * 0.04 * x)
            closed = math.sqrt(math.pi / 2) * 0.2 if sign == 0 else (2 * 0.04 / abs(nu)) * table[x]
            expected = closed - 2 * BGK * 0.2 * math.sqrt(1 / 252)
            r = simulate(degenerate(252, 1.0, nu + 0.02, 0.2), paths=12_000, seed=3)
            lm = -np.log1p(-r.reductions["ai.max_drawdown"])
            se = lm.std(ddof=1) / math.sqrt(lm.size)
            print(
                f"   {x:>5} {nu:>+7.3f} {lm.mean():>8.4f} {se:>7.4f} {expected:>17.4f} {(lm.mean() - expected) / se:>6.2f}"
            )

    print(
        "\n3. Merton log-return cumulants, sigma=0.2 lambda=3 kappa=0.2 d_J=0.1 T=1, 60,000 paths"
    )
    m_j = math.log(0.8)
    r = simulate(
        degenerate(12, 1.0, 0.05, 0.2, lam=3.0, kappa=0.2, d_j=0.1),
        paths=60_000,
        keep_paths=60_000,
        seed=8,
    )
    lr = np.log(r.states["ai_index"][-1] / r.states["ai_index"][0]).reshape(30, -1)
    closed = {
        2: 0.04 + 3 * (m_j**2 + 0.01),
        3: 3 * (m_j**3 + 3 * m_j * 0.01),
        4: 3 * (m_j**4 + 6 * m_j**2 * 0.01 + 3e-4),
    }
    for n, v in closed.items():
        per = np.array([stats.kstat(b, n) for b in lr])
        se = per.std(ddof=1) / math.sqrt(len(per))
        print(
            f"   k{n}: engine {per.mean():.6f} (s.e. {se:.6f}), closed form {v:.6f}, z {(per.mean() - v) / se:.2f}"
        )

    print(
        "\n4. Coverage of the 95% Wilson interval: 300 seeds x 300 paths, one annual GBM step (exact answer)"
    )
    sc = degenerate(1, 1.0, 0.07, 0.2, thresholds=(0.1,))
    exact = stats.norm.cdf((math.log(0.9) - 0.05) / 0.2)
    covered = sum(
        (lambda e: e.ci_low <= exact <= e.ci_high)(
            simulate(sc, paths=300, seed=s).estimate("ai", 0.1, "fall")
        )
        for s in range(300)
    )
    print(
        f"   exact P = {exact:.4f}; covered {covered}/300 = {covered / 300:.3f}; binomial test p = "
        f"{stats.binomtest(covered, 300, 0.95).pvalue:.3f}"
    )

    print(
        "\n5. Calibration on a synthetic daily Merton series (16 years; true mu .08 sigma .18 lambda 4 m_J -.04 d_J .03)"
    )
    rng = np.random.default_rng(1)
    n, dt = 16 * 252, 1 / 252
    jumps = rng.poisson(4 * dt, n)
    ret = (0.08 - 0.5 * 0.18**2) * dt + 0.18 * math.sqrt(dt) * rng.standard_normal(n)
    ret += jumps * -0.04 + np.sqrt(jumps) * 0.03 * rng.standard_normal(n)
    fit = fit_merton(
        pd.Series(
            100 * np.exp(np.concatenate([[0], np.cumsum(ret)])),
            index=pd.bdate_range("2000-01-03", periods=n + 1),
        )
    )
    for k, true in zip(
        ("mu", "sigma", "lam", "m_j", "d_j"), (0.08, 0.18, 4.0, -0.04, 0.03), strict=True
    ):
        print(
            f"   {k:<6} fitted {fit.params[k]:+.4f} s.e. {fit.std_errors[k]:.4f}  true {true:+.4f}  z {(fit.params[k] - true) / fit.std_errors[k]:+.2f}"
        )
    print(
        f"   log-likelihood Merton {fit.loglik:.1f}, GBM {fit.gbm_loglik:.1f}, LR {fit.lr_statistic:.1f}"
    )

    shared = Path(args.shared)
    if not shared.exists():
        print("\n6. (skipped: no shared market history at", shared, ")")
        return
    print(
        "\n6. US market 1926-2018 (monthly total return, Kenneth French): P(drawdown >= d within a window)"
    )
    d = pd.read_csv(shared)
    idx = pd.Series(
        100 * np.cumprod(1 + d["market_return"].to_numpy()),
        index=pd.PeriodIndex(d["month"], freq="M").to_timestamp(how="end").normalize(),
    )
    fit = fit_merton(idx, "monthly")
    print(
        f"   Merton fit: mu {fit.params['mu']:.4f} sigma {fit.params['sigma']:.4f} lambda {fit.params['lam']:.3f}"
        f" m_J {fit.params['m_j']:.4f} d_J {fit.params['d_j']:.4f}; LR vs GBM {fit.lr_statistic:.1f}"
    )
    print(f"   {'window':>7} {'d':>4} {'history':>8} {'Merton model':>13} {'GBM model':>10}")
    for months in (12, 24, 60, 72):
        merton = degenerate(
            12,
            months / 12,
            fit.params["mu"],
            fit.params["sigma"],
            lam=fit.params["lam"],
            kappa=1 - math.exp(fit.params["m_j"]),
            d_j=fit.params["d_j"],
            thresholds=(0.1, 0.2, 0.3),
        )
        gbm = degenerate(
            12,
            months / 12,
            fit.gbm_params["mu"],
            fit.gbm_params["sigma"],
            thresholds=(0.1, 0.2, 0.3),
        )
        rm, rg = simulate(merton, paths=20_000, seed=1), simulate(gbm, paths=20_000, seed=1)
        for t in (0.1, 0.2, 0.3):
            h = historical_frequency(idx, months, t)["frequency"]
            print(
                f"   {months:>5}mo {t:>4.0%} {h:>8.3f} {rm.estimate('ai', t).probability:>13.3f} {rg.estimate('ai', t).probability:>10.3f}"
            )


if __name__ == "__main__":
    main()
