"""The compare, batch and fan commands: their files, figures and report.html."""

import json
import re
import xml.etree.ElementTree as ET

import matplotlib.image as mpimg
import pandas as pd
from click.testing import CliRunner

from bubblesim.cli import cli

from ..conftest import SCENARIOS

BASE = str(SCENARIOS / "baseline.toml")
SHOCK = str(SCENARIOS / "deepseek_shock.toml")
SOFT = str(SCENARIOS / "soft_landing.toml")


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


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
    assert len(table) == 2 * 2 * (3 + 3)  # scenarios x kinds x (market + AI thresholds)
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


def test_a_redrawn_fan_joins_the_manifest_so_force_may_replace_the_run(in_tmp):
    assert invoke("run", BASE, "-n", "300", "-q", "-o", "r").exit_code == 0
    assert invoke("fan", "r", "--variable", "ai_revenue").exit_code == 0
    manifest = json.loads((in_tmp / "r" / "bubblesim-manifest.json").read_text())
    assert "fan_ai_revenue.png" in manifest["files"]
    res = invoke("run", BASE, "-n", "300", "-q", "-o", "r", "--force")
    assert res.exit_code == 0, res.output
    # a file bubblesim did not write still stops --force
    (in_tmp / "r" / "notes.txt").write_text("mine")
    res = invoke("run", BASE, "-n", "300", "-q", "-o", "r", "--force")
    assert res.exit_code == 2 and "notes.txt" in res.stderr


def test_two_scenarios_of_the_same_name_are_one_clear_error(tmp_path):
    from click.testing import CliRunner

    from bubblesim.cli import cli

    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[scenario]\nname = "same"\n')
    b.write_text('[scenario]\nname = "same"\n[llm_price]\nannual_decay = 40\n')
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["compare", str(a), str(b), "-n", "300", "--out", str(out)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "b.toml: scenario.name: 'same' is also the name of" in res.output
    assert not out.exists()
