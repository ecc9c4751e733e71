"""Do the tests see a small bug? Plant one at a time in the numerical core and run the tests.

    python benchmarks/mutants.py                 # every mutant, the default (fast) tests
    python benchmarks/mutants.py --slow          # also the slow statistical tests
    python benchmarks/mutants.py --only copula   # the mutants whose name contains "copula"

Each mutant replaces one exact piece of source text (it must occur once) and runs pytest with
``-x`` on the test folders that guard the core; the file is restored afterwards, whatever
happens. A mutant that no test catches is a test to write. Run by hand before a release; not in
CI (one mutant costs up to a full test run). The last line is JSON: mutant name -> caught.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (name, file, original text, mutated text): small, realistic bugs.
MUTANTS = [
    ("first passage a step late", "bubblesim/engine/reductions.py",
     "before < n_points, before, -1", "before + 1 < n_points, before + 1, -1"),
    ("copula without 2 sin(pi rho / 6)", "bubblesim/scenario/distributions.py",
     "out = 2.0 * np.sin(np.pi * np.asarray(rank_corr, dtype=float) / 6.0)",
     "out = np.asarray(rank_corr, dtype=float).copy()"),
    ("Wilson interval without the z^2/4n^2 term", "bubblesim/analysis/estimates.py",
     "half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom",
     "half = z * math.sqrt(phat * (1 - phat) / n) / denom"),
    ("JLS compensation of the herding part only", "bubblesim/engine/channels.py",
     "drift = self.kappa_bar * now.hazard - self.drag * st.bubble",
     "drift = self.kappa_bar * now.herding - self.drag * st.bubble"),
    ("capex news priced in full, not against its expectation", "bubblesim/engine/channels.py",
     "st.fundamental = st.fundamental - self.beta_capex * (now.cut - st.expected_cut)",
     "st.fundamental = st.fundamental - self.beta_capex * now.cut"),
    ("a failed lab stays stressed", "bubblesim/engine/channels.py",
     "stress[~wants | st.failed] = 0.0", "stress[~wants] = 0.0"),
    ("OU growth without its mean reversion", "bubblesim/engine/channels.py",
     "+ (st.growth - self.g_long) * self.ou_decay", "+ (st.growth - self.g_long)"),
    ("rest of the market without the contagion compensation", "bubblesim/engine/channels.py",
     "+ (m_rest + self.kappa_rest * now.hazard - 0.5 * v_rest**2) * self.dt",
     "+ (m_rest - 0.5 * v_rest**2) * self.dt"),
    ("revenue without its ceiling", "bubblesim/engine/channels.py",
     "revenue = np.divide(ceiling, 1.0 + ceiling / unbounded, out=o_revenue)",
     "revenue = np.divide(unbounded, 1.0, out=o_revenue)"),
    ("history bootstrap in single months, not blocks", "bubblesim/history/base_rates.py",
     "idx = (first[:, :, None] + np.arange(block)).reshape(m, -1)[:, :n] % n",
     "idx = rng.integers(0, n, size=(m, n))"),
    ("run-up net condition dropped", "bubblesim/history/bubbles.py",
     "qualifies &= net > settings.runup", "qualifies &= net > -10"),
]  # fmt: skip

TEST_DIRS = ["tests/engine", "tests/scenario", "tests/analysis", "tests/history"]


def run_one(name: str, path: str, old: str, new: str, slow: bool) -> tuple[bool, float, str]:
    file = ROOT / path
    text = file.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"mutant {name!r}: its text occurs {text.count(old)} times in {path}")
    t0 = time.perf_counter()
    try:
        file.write_text(text.replace(old, new))
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TEST_DIRS]
        if slow:
            cmd += ["-m", "slow or not slow"]
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    finally:
        file.write_text(text)
    failed = [ln for ln in res.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    return res.returncode != 0, time.perf_counter() - t0, failed[0] if failed else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--slow", action="store_true", help="also run the slow statistical tests")
    ap.add_argument("--only", default="", help="only mutants whose name contains this")
    args = ap.parse_args()
    chosen = [m for m in MUTANTS if args.only in m[0]]
    caught = {}
    for name, path, old, new in chosen:
        ok, seconds, first = run_one(name, path, old, new, args.slow)
        caught[name] = ok
        verdict = "caught" if ok else "NOT CAUGHT"
        print(f"{verdict:>10}  {seconds:6.1f} s  {name}" + (f"  ({first})" if first else ""))
    print(f"\n{sum(caught.values())} of {len(caught)} mutants caught")
    print(json.dumps(caught))


if __name__ == "__main__":
    main()
