"""Scenarios side by side on common random numbers: paired differences and their intervals."""

import numpy as np
import pytest

from bubblesim import load_scenario
from bubblesim.analysis.compare import compare
from bubblesim.analysis.estimates import paired_difference

from ..conftest import SCENARIOS, make_scenario

BASE = str(SCENARIOS / "baseline.toml")
SHOCK = str(SCENARIOS / "deepseek_shock.toml")
SOFT = str(SCENARIOS / "soft_landing.toml")


def test_paired_interval_is_narrower_than_independent():
    c = compare(
        [load_scenario(BASE), load_scenario(SHOCK), load_scenario(SOFT)], paths=3000, seed=2
    )
    t = c.table()
    others = t[t["scenario"] != "baseline"]
    paired = others["difference_ci_high"] - others["difference_ci_low"]
    independent = others["independent_ci_high"] - others["independent_ci_low"]
    assert (paired <= independent + 1e-12).all()
    key = others[
        (others["index"] == "market")
        & (others["threshold"] == 0.2)
        & (others["name"] == "drawdown")
    ]
    width = (key["difference_ci_high"] - key["difference_ci_low"]).to_numpy()
    width_ind = (key["independent_ci_high"] - key["independent_ci_low"]).to_numpy()
    assert (width < 0.75 * width_ind).all(), (width, width_ind)
    assert others["paired"].all()


def test_identical_scenarios_differ_by_exactly_zero():
    sc = make_scenario()
    t = compare([sc, sc], paths=500, seed=1).table()
    second = t.iloc[1::2]
    assert (second["difference"] == 0).all() and (second["difference_std_error"] == 0).all()


def test_paired_difference_by_hand():
    a = np.array([True, False, False, True])
    b = np.array([True, True, False, True])
    d = paired_difference(a, b)
    assert d.difference == pytest.approx(0.25)
    assert d.std_error == pytest.approx(np.std([0, 1, 0, 0], ddof=1) / 2)
    assert not paired_difference(a, b, paired=False).paired


def test_different_grids_fall_back_to_independent_intervals():
    weekly = make_scenario(scenario={"steps_per_year": 52, "horizon_years": 1.0})
    monthly = make_scenario(scenario={"horizon_years": 1.0})
    t = compare([monthly, weekly], paths=400, seed=1).table()
    row = t.iloc[1]
    assert not row["paired"]
    assert row["difference_ci_low"] == pytest.approx(row["independent_ci_low"])
