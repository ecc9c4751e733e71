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


def _readme_block(start: str) -> list[str]:
    """The lines of the README's fenced block that follows ``start``."""
    after = README.split(start, 1)[1]
    block = after.split("```", 2)[1]
    return block.strip("\n").splitlines()


def test_readme_run_output_is_what_the_baseline_prints():
    """The README's `bubblesim run` block, row by row (odds, intervals, history, twin, AI adds,
    the median largest drawdowns and what crash paths share): a fixed seed makes them exact."""
    from bubblesim.analysis.result import simulate_with_twins
    from bubblesim.history.base_rates import attach_yardstick
    from bubblesim.output.tables import terminal_table

    ((result, twin),) = simulate_with_twins([load_scenario(SCENARIOS / "baseline.toml")])
    attach_yardstick(result, twin=twin)
    printed = terminal_table(result).splitlines()[1:]  # the first line carries the time
    shown = _readme_block("`bubblesim run scenarios/baseline.toml` prints")
    shown = shown[shown.index(next(x for x in shown if x.startswith("baseline: "))) + 1 :]
    assert [line.rstrip() for line in shown] == [line.rstrip() for line in printed]


def test_readme_no_bubble_and_ai_adds_are_what_the_twins_give():
    from bubblesim.analysis.result import no_bubble_twin, simulate_with_twins

    text = " ".join(README.split("The market's 20% drawdown\nwith every AI channel off is")[1]
                    .split("\n\n")[0].split())  # fmt: skip
    found = re.search(
        r"^([\d.]+)% .*add ([\d.]+) points in the soft landing, ([\d.]+) in the baseline and "
        r"([\d.]+) in the funding crunch\. The AI index's 50% fall is ([\d.]+)%",
        text,
    )
    assert found, text
    names = ("soft_landing", "baseline", "funding_crunch")
    pairs = dict(zip(names, simulate_with_twins([load_scenario(SCENARIOS / f"{n}.toml")
                                                 for n in names]), strict=True))  # fmt: skip
    base, base_twin = pairs["baseline"]
    assert f"{100 * base_twin.estimate('market', 0.2).probability:.1f}" == found.group(1)
    for name, shown in zip(names, found.groups()[1:4], strict=True):
        r, t = pairs[name]
        effect = r.estimate("market", 0.2).probability - t.estimate("market", 0.2).probability
        assert f"{100 * effect:.1f}" == shown, name
    # a twin run beside its scenario keeps the market's crossings only: the AI index's odds
    # with the channels off come from a twin run on its own (the same paths and numbers)
    ai_twin = no_bubble_twin(base)
    assert f"{100 * ai_twin.estimate('ai', 0.5).probability:.1f}" == found.group(5)


def test_readme_backtest_figures_are_what_backtest_prints():
    from click.testing import CliRunner

    from bubblesim.cli import cli

    text = " ".join(README.split("`--builtin us-market` uses the US market's")[1].split())
    found = re.search(r"gives ([\d.]+)% / ([\d.]+)% / ([\d.]+)% historically .*? The calibrated "
                      r"model gives ([\d.]+)% / ([\d.]+)% / ([\d.]+)%", text)  # fmt: skip
    assert found and "--threshold 0.1 0.2 0.3" in text
    out = (
        CliRunner()
        .invoke(
            cli,
            [
                "backtest",
                "--builtin",
                "us-market",
                "--window",
                "1y",
                "--threshold",
                "0.1",
                "0.2",
                "0.3",
            ],  # fmt: skip
        )
        .output
    )
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(">= ")]
    assert [r[2] for r in rows] == [f"{v}%" for v in found.groups()[:3]]
    assert [r[7] for r in rows] == [f"{v}%" for v in found.groups()[3:]]


@pytest.mark.slow
def test_readme_sobol_indices_are_what_sensitivity_prints(tmp_path):
    import json

    from click.testing import CliRunner

    from bubblesim.cli import cli

    text = " ".join(README.split("The Sobol indices agree on the three distributions:")[1].split())
    found = re.search(r"elasticity first \(total index ([\d.]+)\), then long-run demand growth "
                      r"\(([\d.]+)\), then the capex plan's scale \(([\d.]+)\)", text)  # fmt: skip
    assert found, text
    res = CliRunner().invoke(cli, ["sensitivity", str(SCENARIOS / "baseline.toml"), "--method",
                                   "sobol", "-q", "--out", str(tmp_path / "s")])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = {r["parameter"]: r["ST"] for r in
            json.loads((tmp_path / "s" / "sensitivity.json").read_text())["rows"]}  # fmt: skip
    got = [rows[k] for k in ("llm_price.elasticity", "gpu_demand.long_run_growth",
                             "capex.plan_scale")]  # fmt: skip
    assert [f"{v:.3f}" for v in got] == list(found.groups())


@pytest.mark.slow
def test_readme_public_forecasts_table_is_what_public_questions_gives():
    """The README's table beside the public forecasts (seven events in file order) and its
    range of what the AI channels add: a fixed seed makes them exact (~20 s on a daily grid)."""
    from bubblesim.analysis.result import simulate_with_twins

    section = README.split("### bubblesim beside the public forecasts")[1].split(
        "How they compare"
    )[0]
    shown = re.findall(r"^\| [^|]+ \| ([\d.]+)% \[([\d.]+), ([\d.]+)\] \|", section, re.M)
    ((r, twin),) = simulate_with_twins([load_scenario(SCENARIOS / "public_questions.toml")])
    r.attach_yardstick(no_bubble=twin)
    rows = r.events()
    assert len(shown) == 7
    for row, (p, lo, hi) in zip(rows, shown, strict=False):
        got = (f"{100 * row['probability']:.1f}", f"{100 * row['ci_low']:.1f}",
               f"{100 * row['ci_high']:.1f}")  # fmt: skip
        assert got == (p, lo, hi), row["name"]
    text = " ".join(README.split("How they compare")[1].split())
    low, high = re.search(r"The AI channels add ([\d.]+) to ([\d.]+) points", text).groups()
    effects = [100 * row["ai_effect"] for row in rows[:7]]
    assert (f"{min(effects):.1f}", f"{max(effects):.1f}") == (low, high)
