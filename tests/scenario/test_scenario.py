"""Loading, merging and validating scenario files."""

import math

import numpy as np
import pytest

from bubblesim import ScenarioError, load_scenario
from bubblesim.engine.shocks import draw_parameters, schedule
from bubblesim.scenario.distributions import Distribution

from ..conftest import SCENARIOS, make_scenario


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_bundled_scenarios_load_and_every_assumption_has_a_source(path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    for a in sc.assumptions():
        if a["status"] != "setting":
            assert a["source"], f"{path.name}: {a['name']} has no source"


def test_defaults_fill_an_empty_scenario():
    sc = make_scenario()
    assert sc.paths == 10_000 and sc.n_steps == 60 and sc.thresholds == (0.1, 0.2, 0.3)
    assert sc.ai_thresholds == (0.2, 0.3, 0.5)
    assert sc.dates()[0] == np.datetime64("2026-01-01") and str(sc.dates()[-1]).startswith(
        "2031-01"
    )


def test_extends_overrides_and_resolves_relative_to_the_extending_file(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    write(tmp_path, "parent.toml", "[llm_price]\nannual_decay = 10\nelasticity = 0.8\n")
    child = write(sub, "child.toml", 'extends = "../parent.toml"\n[llm_price]\nannual_decay = 40\n')
    sc = load_scenario(child)
    assert sc.values["llm_price.annual_decay"].value == 40
    assert sc.values["llm_price.elasticity"].value == 0.8
    assert sc.name == "child"


def test_bundled_variant_inherits_baseline():
    base = load_scenario(SCENARIOS / "baseline.toml")
    ds = load_scenario(SCENARIOS / "deepseek_shock.toml")
    assert ds.values["llm_price.annual_decay"].value == 40
    assert ds.values["capex.plan"] == base.values["capex.plan"]
    assert ds.sha256 != base.sha256


def test_hash_is_stable_and_tracks_content(tmp_path):
    a = write(tmp_path, "a.toml", "[llm_price]\nannual_decay = 10\n")
    b = write(tmp_path, "b.toml", "[llm_price]\nannual_decay = 10.0\n")
    c = write(tmp_path, "c.toml", "[llm_price]\nannual_decay = 11\n")
    assert load_scenario(a).sha256 == load_scenario(a).sha256
    assert load_scenario(c).sha256 != load_scenario(a).sha256
    # names differ (from the file stem) so the hash differs; values equal give equal assumptions
    assert (
        load_scenario(a).resolved["llm_price.annual_decay"]
        == load_scenario(b).resolved["llm_price.annual_decay"]
    )


def _error(tmp_path, text, name="bad.toml"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(p) in msg
    return msg


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[llm_price\nannual_decay = 10\n", "TOML syntax error"),
        ("[llm_prices]\nannual_decay = 10\n", "did you mean 'llm_price'"),
        (
            "[llm_price]\nelasticty = 0.9\n",
            "llm_price.elasticty: unknown key; did you mean 'elasticity'",
        ),
        ("[llm_price]\nannual_decay = 10\nannual_decay = 11\n", "TOML syntax error"),
        (
            '[llm_price]\nannual_decay = "ten"\n',
            "llm_price.annual_decay: expected a number, got text",
        ),
        ("[simulation]\npaths = 0\n", "simulation.paths: expected a whole number in [1"),
        ("[simulation]\npaths = -5\n", "simulation.paths"),
        ("[simulation]\npaths = 10.5\n", "simulation.paths: expected a whole number"),
        ("[simulation]\npaths = 1000000000000\n", "simulation.paths"),
        ("[simulation]\nseed = -1\n", "simulation.seed"),
        ("[llm_price]\nelasticity = nan\n", "llm_price.elasticity: expected a finite number"),
        ("[llm_price]\nelasticity = inf\n", "llm_price.elasticity: expected a finite number"),
        (
            "[market]\nmag7_weight = 1.5\n",
            "market.mag7_weight: expected a value in [0, 1], got 1.5",
        ),
        (
            '[gpu_demand]\njevons = { dist = "lognormal", median = 0.5, p90 = 0.3 }\n',
            "gpu_demand.jevons.p90: expected p90 above the median",
        ),
        ('[gpu_demand]\njevons = { dist = "gamma", k = 2 }\n', "gpu_demand.jevons.dist"),
        (
            '[gpu_demand]\njevons = { dist = "normal", mean = 0.5 }\n',
            "gpu_demand.jevons.sd: a normal distribution needs",
        ),
        (
            '[gpu_demand]\njevons = { dist = "uniform", low = 0.5, high = 3 }\n',
            "gpu_demand.jevons.high: expected a value in [0, 2]",
        ),
        ("[capex]\nplan = {}\n", "capex.plan: the year table is empty"),
        (
            "[capex]\nplan = { 2027 = 400, 2026 = 300 }\n",
            "capex.plan.2026: years must be in increasing order",
        ),
        ("[capex]\nplan = { next = 400 }\n", "capex.plan.next: expected a four-digit year"),
        ("[capex]\nplan = 400\n", "capex.plan: expected a year table"),
        ('[scenario]\nstart = "2026-13"\n', "scenario.start: expected a month"),
        ("[market]\nfeedback = 1\n", "market.feedback: expected true or false"),
        ('[capex]\nrequired_revenue_rule = "magic"\n', "capex.required_revenue_rule"),
        ("[correction]\nthresholds = [0.1, 1.2]\n", "correction.thresholds"),
        ("[correction]\nthresholds = []\n", "correction.thresholds"),
        ('extends = "missing.toml"\n', "extends: file 'missing.toml' not found"),
        (b'[scenario]\nname = "caf\xe9"\n', "is not UTF-8 text"),
        ("scenario = 3\n", "scenario: expected a [scenario] table"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_key(tmp_path, text, expected):
    assert expected in _error(tmp_path, text)


def test_extends_cycle_is_refused(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    b = write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle of extends"):
        load_scenario(b)
    self_ref = write(tmp_path, "self.toml", 'extends = "self.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(self_ref)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(ScenarioError, match="is a folder"):
        load_scenario(tmp_path)


CORR = """
[capex]
plan_scale = { dist = "uniform", low = 0.5, high = 1.5 }
[gpu_demand]
long_run_growth = { dist = "uniform", low = 0.2, high = 1.0 }
initial_growth = { dist = "uniform", low = 1.0, high = 3.0 }
[correlations]
variables = ["capex.plan_scale", "gpu_demand.long_run_growth", "gpu_demand.initial_growth"]
"""


def test_correlation_matrix_must_be_positive_semidefinite(tmp_path):
    bad = CORR + "matrix = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]\n"
    assert "not positive semi-definite" in _error(tmp_path, bad)
    assert "symmetric" in _error(
        tmp_path, CORR + "matrix = [[1, 0.5, 0], [0.2, 1, 0], [0, 0, 1]]\n"
    )
    text = '[correlations]\nvariables = ["capex.plan_scale", "market.ai_drift"]\nmatrix = [[1, 0.5], [0.5, 1]]\n'
    assert "not given as a distribution" in _error(tmp_path, text)


def test_rank_correlation_is_imposed(tmp_path):
    from scipy import stats

    p = write(tmp_path, "c.toml", CORR + "matrix = [[1, 0.7, 0], [0.7, 1, -0.4], [0, -0.4, 1]]\n")
    sc = load_scenario(p)
    draws = draw_parameters(sc, seed=1, block=0, n_paths=4096)
    rho = stats.spearmanr(draws["capex.plan_scale"], draws["gpu_demand.long_run_growth"]).statistic
    rho2 = stats.spearmanr(
        draws["gpu_demand.long_run_growth"], draws["gpu_demand.initial_growth"]
    ).statistic
    assert abs(rho - 0.7) < 0.03 and abs(rho2 + 0.4) < 0.04


@pytest.mark.parametrize(
    "table, check",
    [
        (
            {"dist": "normal", "mean": 0.5, "sd": 0.1},
            lambda x: abs(np.median(x) - 0.5) < 0.01 and abs(np.std(x) - 0.1) < 0.01,
        ),
        (
            {"dist": "lognormal", "median": 0.5, "p90": 1.0},
            lambda x: abs(np.median(x) - 0.5) < 0.02 and abs(np.quantile(x, 0.9) - 1.0) < 0.05,
        ),
        (
            {"dist": "lognormal", "low": 0.2, "high": 1.0},
            lambda x: (
                abs(np.quantile(x, 0.05) - 0.2) < 0.02 and abs(np.quantile(x, 0.95) - 1.0) < 0.06
            ),
        ),
        (
            {"dist": "uniform", "low": 0.2, "high": 0.4},
            lambda x: x.min() >= 0.2 and x.max() <= 0.4 and abs(x.mean() - 0.3) < 0.005,
        ),
        (
            {"dist": "triangular", "low": 0.0, "mode": 0.2, "high": 1.0},
            lambda x: abs(x.mean() - 0.4) < 0.01,
        ),
        (
            {"dist": "pert", "low": 0.0, "mode": 0.2, "high": 1.0},
            lambda x: abs(x.mean() - (0 + 4 * 0.2 + 1) / 6) < 0.01,
        ),
    ],
)
def test_distributions_have_their_stated_shape(table, check):
    sc = make_scenario(gpu_demand={"jevons": table})
    assert isinstance(sc.values["gpu_demand.jevons"], Distribution)
    x = draw_parameters(sc, seed=2, block=0, n_paths=4096)["gpu_demand.jevons"]
    assert check(x)


def test_normal_draws_are_clipped_to_the_parameter_range():
    sc = make_scenario(llm_price={"elasticity": {"dist": "normal", "mean": 0.1, "sd": 1.0}})
    x = draw_parameters(sc, seed=2, block=0, n_paths=4096)["llm_price.elasticity"]
    assert x.min() == 0.0 and (x == 0).mean() > 0.3


def test_year_table_interpolates_between_mid_years():
    # a positive table grows at a constant rate between mid-years: 1 January is the run-rate
    s = schedule({2026: 100.0, 2027: 200.0}, start_year=2026.0, dt=0.5, n_steps=4)
    np.testing.assert_allclose(s, [100.0, 100.0, 100.0 * math.sqrt(2.0), 200.0, 200.0])
    # with a zero or negative year, linearly
    s = schedule({2026: 10.0, 2027: 0.0}, start_year=2026.0, dt=0.5, n_steps=4)
    np.testing.assert_allclose(s, [10.0, 10.0, 5.0, 0.0, 0.0])


def test_year_table_at_the_start_is_the_run_rate_of_a_constant_growth_plan():
    # calendar-year totals of a run-rate growing at g: total_y = r(y) (e^g - 1) / g
    g = math.log(1.728)
    totals = {2025 + i: 13.0 * math.exp(g * i) for i in range(6)}
    exact = 13.0 * g * math.exp(g) / math.expm1(g)  # the run-rate on 1 January 2026
    s = schedule(totals, start_year=2026.0, dt=1 / 12, n_steps=12)
    assert s[0] == pytest.approx(exact, rel=g**2 / 24 + 1e-3)


def test_sources_reach_the_assumptions(tmp_path):
    p = write(
        tmp_path, "s.toml", '[llm_price]\nannual_decay = { value = 40, source = "Epoch AI" }\n'
    )
    sc = load_scenario(p)
    a = {x["name"]: x for x in sc.assumptions()}
    assert a["llm_price.annual_decay"]["source"] == "Epoch AI"
    assert math.isclose(a["llm_price.annual_decay"]["value"]["value"], 40)


def test_error_stays_one_line_with_control_characters_in_keys(tmp_path):
    msg = _error(tmp_path, '[capex]\n"plan\\nscale" = 1\n')
    assert "plan\\nscale" in msg


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "[market]\nexpected_revenue_growth = 0.6\n",
            "market.expected_revenue_growth: was removed",
        ),
        ("[capex]\naccelerator_share = 0.5\n", "capex.accelerator_share: was removed"),
    ],
)
def test_removed_keys_say_why(tmp_path, text, expected):
    message = _load_error(tmp_path, text)
    assert expected in message and "\n" not in message


def _load_error(tmp_path, text: str) -> str:
    """The one-line message of loading ``text`` as a scenario file (``s.toml``)."""
    f = tmp_path / "s.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    return str(err.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "[llm_price]\nannual_decay = 10\nannual_decay = 11\n",
            ":3: TOML syntax error: duplicate key 'annual_decay' in [llm_price]: 'annual_decay = 11'",
        ),
        ("name = 1\nname = 2\n", ":2: TOML syntax error: duplicate key 'name' at the top level"),
        ("[llm_price\nannual_decay = 10\n", ":1: TOML syntax error: Expected ']'"),
        ("[market]\nai_drift = \n", ":2: TOML syntax error: Invalid value: 'ai_drift ='"),
    ],
)
def test_toml_syntax_errors_quote_the_line_and_name_a_duplicate_key(tmp_path, text, expected):
    message = _load_error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 's.toml'}:") and expected in message
    assert "\n" not in message


def test_rank_to_normal_correlation_values():
    from bubblesim.scenario.distributions import rank_to_normal_correlation

    for rho_s, rho in ((0.5, 0.5176), (0.7, 0.7167), (-0.4, -0.4158)):
        m = rank_to_normal_correlation(np.array([[1.0, rho_s], [rho_s, 1.0]]))
        assert m[0, 1] == pytest.approx(rho, abs=5e-5) and m[0, 0] == 1.0


def test_rank_correlation_is_imposed_closely_at_a_hundred_thousand_draws(tmp_path):
    from scipy import stats

    p = write(tmp_path, "c.toml", CORR + "matrix = [[1, 0.7, 0], [0.7, 1, -0.4], [0, -0.4, 1]]\n")
    draws = draw_parameters(load_scenario(p), seed=4, block=0, n_paths=100_000)
    rho = stats.spearmanr(draws["capex.plan_scale"], draws["gpu_demand.long_run_growth"]).statistic
    rho2 = stats.spearmanr(
        draws["gpu_demand.long_run_growth"], draws["gpu_demand.initial_growth"]
    ).statistic
    # s.e. of Spearman's rho ~ (1 - rho^2) / sqrt(n): 0.0016 at 0.7; without 2 sin(pi rho / 6)
    # the bias at 0.7 is ~0.017
    assert abs(rho - 0.7) < 0.005 and abs(rho2 + 0.4) < 0.005, (rho, rho2)


def _child(tmp_path, name, body):
    import shutil

    shutil.copy(SCENARIOS / "baseline.toml", tmp_path / "baseline.toml")
    (tmp_path / f"{name}.toml").write_text(f'extends = "baseline.toml"\n{body}')
    return tmp_path / f"{name}.toml"


def test_a_child_that_makes_a_correlated_input_constant_drops_its_rows_once(tmp_path):
    base = load_scenario(SCENARIOS / "baseline.toml")
    assert "capex.plan_scale" in base.correlation_variables and not base.notes
    sc = load_scenario(_child(tmp_path, "exact", "[capex]\nplan_scale = 1.0\n"))
    assert sc.values["capex.plan_scale"].value == 1.0
    assert "capex.plan_scale" not in sc.correlation_variables
    (note,) = sc.notes
    assert "capex.plan_scale" in note and "dropped" in note and "baseline.toml" in note
    # a grandchild inherits the same correction, said again for its own file
    (tmp_path / "grand.toml").write_text('extends = "exact.toml"\n')
    grand = load_scenario(tmp_path / "grand.toml")
    assert grand.correlation_variables == sc.correlation_variables and len(grand.notes) == 1


def test_an_empty_correlations_table_clears_the_parents(tmp_path):
    sc = load_scenario(_child(tmp_path, "clear", "[correlations]\n"))
    assert sc.correlation_variables == () and sc.correlation_matrix == () and not sc.notes


def test_a_files_own_correlations_on_a_constant_are_still_refused(tmp_path):
    body = (
        "[capex]\nplan_scale = 1.0\n[correlations]\n"
        'variables = ["capex.plan_scale", "gpu_demand.long_run_growth"]\n'
        "matrix = [[1.0, 0.5], [0.5, 1.0]]\n"
    )
    with pytest.raises(ScenarioError, match="not given as a distribution"):
        load_scenario(_child(tmp_path, "own", body))


def test_the_cli_says_the_dropped_correlation_once_on_stderr(tmp_path):
    from click.testing import CliRunner

    from bubblesim.cli import cli

    path = _child(tmp_path, "exact", "[capex]\nplan_scale = 1.0\n")
    res = CliRunner().invoke(cli, ["validate", "--brief", str(path)])
    assert res.exit_code == 0 and res.stderr.count("note: ") == 1, res.output
    assert "capex.plan_scale" in res.stderr


def test_extends_takes_a_list_and_later_files_win(tmp_path):
    import shutil

    shutil.copy(SCENARIOS / "baseline.toml", tmp_path / "baseline.toml")
    (tmp_path / "fit.toml").write_text("[market]\nai_volatility = 0.31\nhazard_base = 0.07\n")
    (tmp_path / "late.toml").write_text("[market]\nhazard_base = 0.09\n")
    (tmp_path / "both.toml").write_text(
        'extends = ["baseline.toml", "fit.toml", "late.toml"]\n[market]\ncontagion = 0.3\n'
    )
    sc = load_scenario(tmp_path / "both.toml")
    base = load_scenario(tmp_path / "baseline.toml")
    assert sc.values["market.ai_volatility"].value == 0.31  # from the fragment
    assert sc.values["market.hazard_base"].value == 0.09  # the later file wins
    assert sc.values["market.contagion"].value == 0.3  # the file itself wins over all
    assert sc.values["capex.plan"] == base.values["capex.plan"]  # the rest from the baseline
    assert sc.correlation_variables == base.correlation_variables
    (tmp_path / "missing.toml").write_text('extends = ["baseline.toml", "nope.toml"]\n')
    with pytest.raises(ScenarioError, match="nope.toml.*not found"):
        load_scenario(tmp_path / "missing.toml")
    (tmp_path / "a.toml").write_text('extends = ["baseline.toml", "b.toml"]\n')
    (tmp_path / "b.toml").write_text('extends = ["a.toml"]\n')
    with pytest.raises(ScenarioError, match="cycle of extends"):
        load_scenario(tmp_path / "a.toml")
    for bad in ("[]", "[1]", '["baseline.toml", ""]'):
        (tmp_path / "bad.toml").write_text(f"extends = {bad}\n")
        with pytest.raises(ScenarioError, match="extends: expected the path"):
            load_scenario(tmp_path / "bad.toml")
