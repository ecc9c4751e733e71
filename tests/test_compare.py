"""Scenarios side by side: paired differences, compare/batch/fan commands, figures and report.html."""

import json
import re
import xml.etree.ElementTree as ET

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from bubblesim import load_scenario
from bubblesim.cli import cli
from bubblesim.compare import compare
from bubblesim.metrics import paired_difference

from .conftest import SCENARIOS, make_scenario

BASE = str(SCENARIOS / "baseline.toml")
SHOCK = str(SCENARIOS / "deepseek_shock.toml")
SOFT = str(SCENARIOS / "soft_landing.toml")


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


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


def _valid_png(path):
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 300


def test_compare_command_writes_every_file(in_tmp):
    res = invoke("compare", BASE, SHOCK, SOFT, "-n", "800", "-s", "5")
    assert res.exit_code == 0, res.output
    assert "paired 95%" in res.stdout and "deepseek_shock" in res.stdout
    out = in_tmp / "outputs" / "compare"
    names = {p.name for p in out.iterdir()}
    for stem in (
        "compare_fan_ai_index",
        "compare_fan_market",
        "compare_cumulative",
        "compare_odds",
    ):
        assert f"{stem}.png" in names and f"{stem}.svg" in names
        _valid_png(out / f"{stem}.png")
        ET.parse(out / f"{stem}.svg")  # well-formed SVG
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"baseline", "deepseek_shock", "soft_landing"}
    doc = json.loads((out / "comparison.json").read_text())
    assert doc["reference"] == "baseline" and doc["paths"] == 800 and doc["seed"] == 5
    assert len(doc["metrics"]) == len(table)
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html
    assert not re.findall(r"(?:src|href)=['\"](?!data:)", html), "external reference in report.html"
    assert html.count("data:image/png;base64,") == 4
    assert "class='diff'" in html  # differing assumptions highlighted
    assert "a16z" in html  # sources shown
    for name in ("baseline", "deepseek_shock", "soft_landing"):
        assert name in html


def test_compare_escapes_scenario_text(in_tmp):
    (in_tmp / "x.toml").write_text(
        '[scenario]\nname = "x"\ndescription = "<script>alert(1)</script>"\n'
    )
    res = invoke("compare", BASE, "x.toml", "-n", "200", "-q")
    assert res.exit_code == 0, res.output
    html = (in_tmp / "outputs" / "compare" / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_batch_runs_all_skips_invalid_and_exits_1(in_tmp):
    folder = in_tmp / "sc"
    folder.mkdir()
    for name in ("baseline", "soft_landing"):
        (folder / f"{name}.toml").write_text((SCENARIOS / f"{name}.toml").read_text())
    (folder / "bad.toml").write_text("[llm_price]\nelasticty = 1\n")
    res = invoke("batch", str(folder), "-n", "300")
    assert res.exit_code == 1, res.output
    assert "bad.toml: llm_price.elasticty: unknown key" in res.stderr
    assert "[1/2] baseline" in res.stderr and "[2/2] soft_landing" in res.stderr
    out = in_tmp / "outputs" / "batch"
    assert (out / "baseline" / "summary.json").exists() and (
        out / "soft_landing" / "fan_market.png"
    ).exists()
    table = pd.read_csv(out / "batch.csv")
    assert set(table["scenario"]) == {"baseline", "soft_landing"}
    assert len(table) == 2 * 8
    _valid_png(out / "batch_odds.png")
    html = (out / "report.html").read_text()
    assert "bad.toml" in html and "<script" not in html


def test_batch_with_glob_and_all_valid_exits_0(in_tmp):
    res = invoke("batch", str(SCENARIOS / "*_shock.toml"), BASE, "-n", "200", "-q", "-o", "b")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (in_tmp / "b").iterdir() if p.is_dir()) == [
        "baseline",
        "deepseek_shock",
    ]


def test_batch_with_nothing_valid_is_exit_2(in_tmp):
    (in_tmp / "bad.toml").write_text("[nope]\n")
    res = invoke("batch", "bad.toml", "missing_*.toml")
    assert res.exit_code == 2 and "no valid scenario files" in res.stderr
    assert not (in_tmp / "outputs").exists()


def test_fan_redraws_any_variable(in_tmp):
    assert invoke("run", BASE, "-n", "300", "-q", "-o", "r").exit_code == 0
    res = invoke("fan", "r", "--variable", "ai_revenue")
    assert res.exit_code == 0, res.output
    _valid_png(in_tmp / "r" / "fan_ai_revenue.png")
    res = invoke("fan", "r", "-v", "market", "--no-log", "-o", "m.svg")
    assert res.exit_code == 0
    ET.parse(in_tmp / "m.svg")
    res = invoke("fan", "r", "-v", "ai_revenu")
    assert res.exit_code == 2 and "did you mean 'ai_revenue'" in res.stderr
    assert invoke("fan", "nowhere", "-v", "market").exit_code == 2
    (in_tmp / "empty").mkdir()
    res = invoke("fan", "empty", "-v", "market")
    assert res.exit_code == 2 and "quantiles.csv" in res.stderr
    assert invoke("fan", "r", "-v", "market", "-o", "m.txt").exit_code == 2
