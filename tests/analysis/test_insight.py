"""Insight with known answers: metrics by name, solve and sweep on a closed form, Sobol on a toy,
and an input with no path to the metric."""

import math

import numpy as np
import pytest

from bubblesim import load_scenario
from bubblesim.analysis.insight import (
    MetricError,
    SolveError,
    parse_metric,
    sobol,
    sobol_design,
    sobol_indices,
    solve,
    sweep,
    tornado,
)

from ..conftest import SCENARIOS, make_scenario

HORIZON = 5.0


def _poisson_crashes():
    """No feedback, fixed 50% crashes at a constant hazard, almost no diffusion:
    P(AI drawdown >= 30% within T) = P(at least one crash) = 1 - exp(-h T)."""
    return make_scenario(
        market={
            "feedback": False,
            "hazard_base": 0.2,
            "crash_size": 0.5,
            "crash_size_volatility": 0.0,
            "ai_volatility": 0.001,
            "ai_drift": 0.0,
        }
    )


def test_metric_names_defaults_and_errors():
    sc = make_scenario()
    assert parse_metric(None, sc).name == "market.drawdown.0.3"
    assert parse_metric("ai.fall_below_start.0.5", sc).label == "AI index fall below start >= 50%"
    with pytest.raises(MetricError, match="did you mean 'market'"):
        parse_metric("markt.drawdown.0.2", sc)
    with pytest.raises(MetricError, match="did you mean 'drawdown'"):
        parse_metric("market.drawdwn.0.2", sc)
    with pytest.raises(MetricError, match=r"in \(0, 1\)"):
        parse_metric("market.drawdown.1.5", sc)


def test_solve_recovers_the_hazard_of_the_closed_form():
    sc = _poisson_crashes()
    answer = solve(sc, "market.hazard_base", 0.5, parse_metric("ai.drawdown.0.3", sc),
                   paths=10_000, seed=1, bracket=(0.01, 1.0))  # fmt: skip
    truth = math.log(2) / HORIZON  # 1 - exp(-h T) = 0.5
    assert answer["ci_low"] <= truth <= answer["ci_high"], answer
    assert answer["ci_high"] - answer["ci_low"] < 0.03
    for key in ("param", "target", "value", "ci_low", "ci_high", "paths"):
        assert key in answer


def test_sweep_follows_the_closed_form_and_solve_refuses_an_unreachable_target():
    sc = _poisson_crashes()
    metric = parse_metric("ai.drawdown.0.3", sc)
    table = sweep(sc, [("market.hazard_base", 0.05, 0.5, 4)], metric, paths=4000, seed=2)
    theory = 1 - np.exp(-table["market.hazard_base"] * HORIZON)
    se = np.sqrt(theory * (1 - theory) / 4000)
    assert (np.abs(table["probability"] - theory) < 4 * se).all()
    assert (table["ci_low"] <= table["probability"]).all()
    with pytest.raises(SolveError, match="not reached inside the bracket"):
        solve(sc, "market.hazard_base", 0.99, metric, paths=2000, seed=1, bracket=(0.01, 0.2))


def test_an_input_with_no_path_to_the_metric_has_an_effect_whose_interval_holds_zero():
    # with feedback off nothing of the capex block reaches the AI index
    sc = make_scenario(
        market={"feedback": False},
        capex={"cost_of_capital": {"dist": "uniform", "low": 0.05, "high": 0.2}},
    )
    result = tornado(sc, parse_metric("ai.drawdown.0.3", sc), paths=2000, seed=3)
    (row,) = result.rows
    assert row["parameter"] == "capex.cost_of_capital"
    assert row["ci_low"] <= 0 <= row["ci_high"] and row["effect"] == 0


def test_sobol_indices_of_an_additive_toy_match_the_closed_form():
    # Y = 2 X1 + X2 with X uniform on [0, 1]: S1 = ST = 4/5 and 1/5
    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0, 1], [0, 1]]}
    x = sobol_design(problem, 4096, seed=5)
    s = sobol_indices(problem, 2 * x[:, 0] + x[:, 1], seed=5)
    for j, truth in enumerate((0.8, 0.2)):
        for key in ("S1", "ST"):
            assert abs(s[key][j] - truth) <= s[f"{key}_conf"][j] + 1e-9, (key, j, s[key][j])


def test_sobol_on_the_baseline_ranks_the_elasticity_first():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    result = sobol(sc, parse_metric(None, sc), base_samples=1024, seed=7)
    assert result.rows[0]["parameter"] == "llm_price.elasticity"
    for row in result.rows:
        assert row["S1_ci"][0] <= row["S1"] <= row["S1_ci"][1]
        assert row["ST_ci"][0] <= row["ST"] <= row["ST_ci"][1]
    assert len(result.years) == 5 and all(len(v) == 5 for v in result.by_year.values())
