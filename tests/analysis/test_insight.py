"""Insight with known answers: metrics by name, solve and sweep on a closed form, Sobol on a toy,
and an input with no path to the metric."""

import math

import numpy as np
import pytest

from bubblesim import load_scenario, simulate
from bubblesim.analysis.insight import (
    MetricError,
    SolveError,
    parse_metric,
    sobol,
    sobol_from_outcomes,
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


def _toy_outcomes(n=4096, seed=5):
    """Y = 2 X1 + X2 on A, B and the mixes AB_i of a scrambled Sobol design (X uniform)."""
    from scipy.stats import qmc

    ab = qmc.Sobol(4, scramble=True, seed=seed).random(n)
    a, b = ab[:, :2], ab[:, 2:]
    mixes = [np.where(np.arange(2) == i, b, a) for i in range(2)]

    def f(x):
        return (2 * x[:, 0] + x[:, 1])[None, :]

    return a, b, mixes, f(a), f(b), np.stack([f(m) for m in mixes])


def test_sobol_indices_of_an_additive_toy_match_the_closed_form():
    # Y = 2 X1 + X2 with X uniform on [0, 1]: S1 = ST = 4/5 and 1/5
    *_, f_a, f_b, f_ab = _toy_outcomes()
    s1, st, (s1_lo, s1_hi, st_lo, st_hi) = sobol_from_outcomes(f_a, f_b, f_ab, 5, 200)
    for j, truth in enumerate((0.8, 0.2)):
        assert s1_lo[0, j] - 1e-9 <= truth <= s1_hi[0, j] + 1e-9, (j, s1[0, j])
        assert st_lo[0, j] - 1e-9 <= truth <= st_hi[0, j] + 1e-9, (j, st[0, j])
        assert abs(s1[0, j] - truth) < 0.02 and abs(st[0, j] - truth) < 0.02


def test_salib_gives_the_same_indices_from_the_same_outcomes():
    analyze = pytest.importorskip("SALib.analyze.sobol")
    a, b, mixes, f_a, f_b, f_ab = _toy_outcomes(1024, seed=9)
    # SALib's layout: per base sample the rows A, AB_1, ..., AB_D, B
    y = np.stack([f_a[0], *f_ab[:, 0], f_b[0]], axis=1).ravel()
    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0, 1], [0, 1]]}
    theirs = analyze.analyze(problem, y, calc_second_order=False, num_resamples=100, seed=1)
    s1, st, _ = sobol_from_outcomes(f_a, f_b, f_ab, 9)
    np.testing.assert_allclose(s1[0], theirs["S1"], atol=0.02)
    np.testing.assert_allclose(st[0], theirs["ST"], atol=0.02)


def test_the_indices_are_scipys_and_the_intervals_repeat_with_the_seed():
    from scipy import stats

    *_, f_a, f_b, f_ab = _toy_outcomes(512, seed=3)
    f_a, f_b, f_ab = (np.round(x) for x in (f_a, f_b, f_ab))  # a 0/1-like outcome, as ours
    res = stats.sobol_indices(
        func={"f_A": f_a.copy(), "f_B": f_b.copy(), "f_AB": f_ab.copy()}, n=512
    )
    s1, st, bands = sobol_from_outcomes(f_a, f_b, f_ab, 3, 100)
    np.testing.assert_allclose(s1[0], res.first_order, rtol=0, atol=1e-12)
    np.testing.assert_allclose(st[0], res.total_order, rtol=0, atol=1e-12)
    again = sobol_from_outcomes(f_a, f_b, f_ab, 3, 100)[2]
    for x, y in zip(bands, again, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(bands[0], sobol_from_outcomes(f_a, f_b, f_ab, 4, 100)[2][0])
    for lo, hi, est in ((bands[0], bands[1], s1), (bands[2], bands[3], st)):
        assert np.all(lo <= est + 0.05) and np.all(est - 0.05 <= hi)


def test_sobol_with_one_input_and_its_probability_as_written():
    sc = make_scenario(llm_price={"elasticity": {"dist": "uniform", "low": 0.6, "high": 1.4}})
    assert sc.distribution_names() == ["llm_price.elasticity"]
    metric = parse_metric(None, sc)
    result = sobol(sc, metric, base_samples=256, seed=2)
    (row,) = result.rows
    assert row["S1_ci"][0] <= row["S1"] <= row["S1_ci"][1]
    assert len(result.by_year["llm_price.elasticity"]) == len(result.years)
    assert 0 < result.base_probability < 1
    # the probability of matrix A's paths: a run with A's inputs, drawn again here
    from scipy.stats import qmc

    u = qmc.Sobol(2, scramble=True, seed=np.random.default_rng([2, 5])).random(256)[:, :1]
    dist = sc.values["llm_price.elasticity"]
    from scipy import special

    values = dist.sample(special.ndtri(np.clip(u[:, 0], 1e-9, 1 - 1e-9)))
    again = simulate(sc, paths=256, seed=2, overrides={"llm_price.elasticity": values},
                     thresholds=metric.recorded)  # fmt: skip
    assert result.base_probability == metric.hits(again).mean()


def test_sobol_on_the_baseline_ranks_the_elasticity_first():
    sc = load_scenario(SCENARIOS / "baseline.toml")
    result = sobol(sc, parse_metric(None, sc), base_samples=1024, seed=7)
    assert result.rows[0]["parameter"] == "llm_price.elasticity"
    for row in result.rows:
        assert row["S1_ci"][0] <= row["S1"] <= row["S1_ci"][1]
        assert row["ST_ci"][0] <= row["ST"] <= row["ST_ci"][1]
    assert len(result.years) == 5 and all(len(v) == 5 for v in result.by_year.values())
