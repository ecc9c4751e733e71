"""sensitivity, sweep and solve from the command line: the files other tools read."""

import json

import pandas as pd

from ..conftest import SCENARIOS
from .test_cli import invoke

BASELINE = str(SCENARIOS / "baseline.toml")


def test_sensitivity_tornado_and_sobol_write_their_files(in_tmp):
    res = invoke("sensitivity", BASELINE, "-n", "1000", "-o", "t")
    assert res.exit_code == 0, res.output
    doc = json.loads((in_tmp / "t" / "sensitivity.json").read_text())
    assert doc["metric"] == "market.drawdown.0.3" and doc["method"] == "tornado"
    effects = [abs(r["effect"]) for r in doc["rows"]]
    assert effects == sorted(effects, reverse=True)
    for r in doc["rows"]:
        assert {"parameter", "effect", "ci_low", "ci_high"} <= set(r)
    files = {p.name for p in (in_tmp / "t").iterdir()}
    assert {"sensitivity.csv", "tornado.png", "tornado.svg", "by_year.png", "by_year.svg"} <= files
    res = invoke("sensitivity", BASELINE, "--method", "sobol", "--base-samples", "256", "-o", "s",
                 "-m", "ai.drawdown.0.5")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads((in_tmp / "s" / "sensitivity.json").read_text())
    assert doc["method"] == "sobol" and doc["metric"] == "ai.drawdown.0.5"
    assert {"S1", "S1_ci", "ST", "ST_ci"} <= set(doc["rows"][0])
    assert (in_tmp / "s" / "sobol.png").exists()
    # one unit everywhere (indices as shares, 0-1), and what "as written" is
    assert "as written = matrix A of the design: its 256 paths" in res.stdout
    assert "(indices: shares, 0-1)" in res.stdout
    svg = (in_tmp / "s" / "sobol.svg").read_text()
    assert "0-1" in svg and "points" not in svg


def test_sweep_writes_one_column_per_key_and_a_heatmap_for_two(in_tmp):
    res = invoke(
        "sweep", BASELINE, "--param", "llm_price.annual_decay=5:20:3", "-n", "500", "-o", "a"
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(in_tmp / "a" / "sweep.csv")
    assert list(table.columns) == ["llm_price.annual_decay", "probability", "ci_low", "ci_high"]
    res = invoke("sweep", BASELINE, "--param", "cash_burn.burn_scale=0.5:2:2",
                 "--param", "capex.plan_scale=0.5:2:2", "-n", "500", "-o", "b", "-q")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (
        len(pd.read_csv(in_tmp / "b" / "sweep.csv")) == 4 and (in_tmp / "b" / "sweep.png").exists()
    )


def test_solve_json_and_clear_errors(in_tmp):
    res = invoke("solve", BASELINE, "--param", "cash_burn.burn_scale", "--target", "0.32",
                 "-m", "ai.drawdown.0.5", "--bracket", "0", "4", "-n", "1000", "--format", "json",
                 "-o", "x")  # fmt: skip
    assert res.exit_code == 0, res.output
    answer = json.loads(res.stdout)
    assert answer["param"] == "cash_burn.burn_scale" and answer["paths"] == 1000
    assert answer["ci_low"] <= answer["value"] <= answer["ci_high"]
    assert (in_tmp / "x" / "solve.json").exists()
    far = invoke("solve", BASELINE, "--param", "llm_price.annual_decay", "--target", "0.99",
                 "-n", "500", "-o", "y")  # fmt: skip
    assert far.exit_code == 2 and "not reached inside the bracket" in far.stderr
    errors = [line for line in far.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and far.stderr.rstrip().endswith("(widen --bracket)")
    assert not (in_tmp / "y").exists()  # progress lines before it, but no output folder
    typo = invoke("solve", BASELINE, "--param", "llm_price.anual_decay", "--target", "0.5")
    assert typo.exit_code == 2 and "did you mean 'llm_price.annual_decay'" in typo.stderr
    bad = invoke("sensitivity", BASELINE, "-m", "market.drawdwn.0.2")
    assert bad.exit_code == 2 and "did you mean 'drawdown'" in bad.stderr
