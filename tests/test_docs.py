"""The docs stay true: parameters, commands and the README's numbers."""

import re

import pytest

from bubblesim import load_scenario, simulate
from bubblesim.cli import load_commands
from bubblesim.scenario.schema import PARAMETERS, parameter_table_markdown

from .conftest import ROOT, SCENARIOS

README = (ROOT / "README.md").read_text()
MODEL = (ROOT / "docs" / "model.md").read_text()


def test_model_doc_parameter_table_matches_the_schema():
    block = MODEL.split("<!-- parameters:start -->")[1].split("<!-- parameters:end -->")[0].strip()
    assert block == parameter_table_markdown()
    for p in PARAMETERS:
        assert f"`{p.name}`" in MODEL


def test_every_guess_or_sourced_parameter_has_a_source():
    for p in PARAMETERS:
        if p.status != "setting":
            assert p.source, p.name


def test_readme_names_every_command_and_both_quick_start_commands():
    for name in load_commands():
        assert f"bubblesim {name}" in README
    assert "pip install . && bubblesim run scenarios/baseline.toml" in README
    assert 'pip install -e ".[test]" && python -m pytest' in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet -e ".[test]"' in ci and "python -m pytest" in ci


def test_readme_figure_exists():
    for img in re.findall(r"\]\((docs/img/[^)]+)\)", README):
        assert (ROOT / img).exists(), img


ROWS = re.findall(
    r"^\| (\w+) \| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+)% \|$", README, re.M
)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_readme_odds_table_is_what_the_scenarios_give(row):
    name, *shown = row
    r = simulate(load_scenario(SCENARIOS / f"{name}.toml"))
    got = [
        r.estimate("ai", 0.3),
        r.estimate("ai", 0.5),
        r.estimate("market", 0.2),
        r.estimate("market", 0.2, "fall"),
    ]
    assert [f"{100 * e.probability:.1f}" for e in got] == shown


def test_readme_table_covers_all_bundled_scenarios():
    assert {r[0] for r in ROWS} == {p.stem for p in SCENARIOS.glob("*.toml")}


@pytest.mark.slow
def test_model_doc_elasticity_table_is_what_the_benchmark_prints():
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "input_effects.py"), "--paths", "20000"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    cells = {}
    for row in data["rows"] + data["deeper"]:
        key = (row["input"], f"x{row['factor']:g}", row["index"], row["threshold"])
        cells[key] = (
            f"{100 * row['difference']:+.1f} "
            f"[{100 * row['ci_low']:+.1f}, {100 * row['ci_high']:+.1f}]"
        )
    columns = [("market", 0.2), ("ai", 0.2), ("market", 0.3), ("ai", 0.5)]
    table = MODEL.split("## What each mission input does to the odds")[1].split("\n\n")[2]
    rows = [line for line in table.splitlines()[2:]]
    assert len(rows) == 12
    for line in rows:
        label, factor, *shown = [c.strip() for c in line.strip("|").split("|")]
        for (index, thr), cell in zip(columns, shown, strict=True):
            assert cells[(label, factor, index, thr)] == cell, (label, factor, index)
