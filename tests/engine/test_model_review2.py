"""The faults the second model review found (issue: a failed lab punished for ever, predictable
returns, start values that contradict their sources, a funding window applied three times,
coverage that does not compare like with like, an AI index that earns less than its twin, and AI
revenue without a ceiling). One test or more each; every one fails on the model before its fix.
Tolerances are Monte Carlo standard errors or stated figures, never tuned.
"""

import math

import numpy as np
import pytest

from bubblesim import simulate

from ..conftest import make_scenario

PATHS = 4000
SEED = 20260101


def _states(scenario, paths=PATHS, seed=SEED):
    return simulate(scenario, paths=paths, keep_paths=paths, seed=seed).states


# --- 1. a failed lab's failure is priced once ----------------------------------------------


def test_a_failed_lab_is_no_longer_stressed_and_adds_no_stress_hazard():
    sc = make_scenario(cash_burn={"burn_scale": 2.0})
    s = _states(sc)
    failed = s["lab_failed"] == 1
    assert failed[-1].mean() > 0.2  # enough failed-lab months to see it
    # nothing left to fund: no stress after the failure, so no stress hazard and no stress cut
    assert (s["funding_stress"][failed] == 0).all()
    h3 = sc.values["market.hazard_stress"].value
    herding_and_coverage = s["crash_hazard"][failed] - sc.values["market.hazard_base"].value
    assert (herding_and_coverage < h3 * 0.5).mean() > 0.99
