"""End-to-end runs of the command line in a temporary folder."""

import json
import os
import subprocess
import sys

import matplotlib.image as mpimg
import pandas as pd
import pytest
from click.testing import CliRunner

from bubblesim import __version__
from bubblesim.cli import COMMANDS, Progress, cli, load_commands
from bubblesim.engine.model import STATE_VARIABLES
from bubblesim.output.files import MANIFEST

from ..conftest import SCENARIOS

BASELINE = str(SCENARIOS / "baseline.toml")
RUN_FILES = {
    "summary.json",
    "quantiles.csv",
    "correction_by_date.csv",
    "fan_ai_index.png",
    "fan_market.png",
}


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_run_writes_every_output(in_tmp):
    res = invoke("run", BASELINE, "--paths", "600", "--seed", "3")
    assert res.exit_code == 0, res.output
    assert "drawdown >= 20%" in res.stdout and "95% interval" in res.stdout
    out = in_tmp / "outputs" / "baseline"
    # the baseline has distribution-valued inputs: what the crash paths share is drawn too
    assert {p.name for p in out.iterdir()} == RUN_FILES | {"crash_inputs.png", MANIFEST}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["crash_inputs"]["metric"] == "market.drawdown.0.3"
    assert "median_with" in summary["crash_inputs"]["inputs"][0]
    for key in (
        "scenario",
        "scenario_sha256",
        "paths",
        "seed",
        "version",
        "steps_per_year",
        "horizon_years",
        "assumptions",
        "metrics",
    ):
        assert key in summary
    assert summary["paths"] == 600 and summary["seed"] == 3 and summary["version"] == __version__
    assert len(summary["scenario_sha256"]) == 64
    m = summary["metrics"][0]
    assert set(m) >= {"name", "index", "threshold", "probability", "std_error", "ci_low", "ci_high"}
    assert {x["index"] for x in summary["metrics"]} == {"ai", "market"}
    sources = {a["name"]: a["source"] for a in summary["assumptions"]}
    assert "a16z" in sources["llm_price.annual_decay"]
    q = pd.read_csv(out / "quantiles.csv")
    assert list(q.columns) == ["variable", "date", "quantile", "value"]
    assert set(q["variable"]) == set(STATE_VARIABLES)
    assert {0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99} <= set(q["quantile"].round(2))
    for png in ("fan_ai_index.png", "fan_market.png"):
        img = mpimg.imread(out / png)
        assert img.shape[0] > 300 and img.shape[1] > 500
    # no temporary files left behind
    assert not [p for p in (in_tmp / "outputs").iterdir() if p.name.startswith(".")]


def test_same_seed_same_summary(in_tmp):
    invoke("run", BASELINE, "-n", "300", "-s", "1", "-o", "a", "-q")
    invoke("run", BASELINE, "-n", "300", "-s", "1", "-o", "b", "-q")
    a = json.loads((in_tmp / "a" / "summary.json").read_text())
    b = json.loads((in_tmp / "b" / "summary.json").read_text())
    assert a["metrics"] == b["metrics"]
    assert (in_tmp / "a" / "quantiles.csv").read_bytes() == (
        in_tmp / "b" / "quantiles.csv"
    ).read_bytes()


def test_rerun_never_overwrites_without_force(in_tmp):
    assert invoke("run", BASELINE, "-n", "200", "-q").exit_code == 0
    first = (in_tmp / "outputs" / "baseline" / "summary.json").read_bytes()
    assert invoke("run", BASELINE, "-n", "200", "-s", "9", "-q").exit_code == 0
    assert (in_tmp / "outputs" / "baseline-2" / "summary.json").exists()
    assert (in_tmp / "outputs" / "baseline" / "summary.json").read_bytes() == first
    res = invoke("run", BASELINE, "-n", "200", "-q", "--out", "outputs/baseline")
    assert res.exit_code == 2 and "--force" in res.stderr
    assert (in_tmp / "outputs" / "baseline" / "summary.json").read_bytes() == first
    res = invoke(
        "run", BASELINE, "-n", "200", "-s", "9", "-q", "--out", "outputs/baseline", "--force"
    )
    assert res.exit_code == 0
    assert (in_tmp / "outputs" / "baseline" / "summary.json").read_bytes() != first


@pytest.mark.parametrize(
    "args, needle",
    [
        (["run", "missing.toml"], "missing.toml: no such file"),
        (["run", BASELINE, "--paths", "0"], "--paths"),
        (["run", BASELINE, "--paths", "1000000000000"], "--paths"),
        (["run", BASELINE, "--paths", "many"], "--paths"),
        (["run", BASELINE, "--seed", "-3"], "--seed"),
        (["run", "."], "is a folder"),
        (["run", BASELINE, "--bogus"], "--bogus"),
        (["validate", "missing.toml"], "missing.toml"),
    ],
)
def test_bad_cli_input_is_one_line_exit_2_and_writes_nothing(in_tmp, args, needle):
    res = invoke(*args)
    assert res.exit_code == 2, res.output
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) <= 2 and needle in res.stderr, res.stderr  # validate adds a summary line
    assert "Traceback" not in res.output
    assert not (in_tmp / "outputs").exists()


def test_bad_scenario_file_is_one_line(in_tmp):
    (in_tmp / "bad.toml").write_text("[llm_price]\nelasticty = 0.9\n")
    res = invoke("run", "bad.toml")
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0
    assert "bad.toml: llm_price.elasticty: unknown key; did you mean 'elasticity'?" in res.stderr
    assert not (in_tmp / "outputs").exists()


def test_validate_bundled_scenarios():
    res = invoke("validate", *map(str, sorted(SCENARIOS.glob("*.toml"))))
    assert res.exit_code == 0, res.output
    assert res.stdout.count("ok ") == len(list(SCENARIOS.glob("*.toml")))
    assert "llm_price.annual_decay" in res.stdout
    res = invoke("validate", str(SCENARIOS / "baseline.toml"))
    line = next(x for x in res.stdout.splitlines() if "capex.plan " in x)
    assert line.rstrip().endswith("(held at 380 before mid-2025, 1000 after mid-2030)")


def test_every_command_has_help_with_examples():
    commands = load_commands()
    assert set(commands) == set(COMMANDS)
    for name, command in commands.items():
        res = invoke(name, "--help")
        assert res.exit_code == 0 and "Examples" in res.stdout, name
        assert command.help
        # the line `bubblesim --help` lists without importing the command is the command's own
        assert command.get_short_help_str(limit=500) == COMMANDS[name][1], name


def test_help_imports_no_library_code():
    code = (
        "import sys; from bubblesim.cli import cli\n"
        "try: cli.main(['--help'])\nexcept SystemExit: pass\n"
        "heavy = [m for m in ('numpy', 'scipy', 'pandas', 'matplotlib', 'bubblesim.engine') "
        "if m in sys.modules]\nprint('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout, out.stdout[-300:]


def test_python_dash_m_and_version():
    out = subprocess.run(
        [sys.executable, "-m", "bubblesim", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in out.stdout


_ENTRY = """
import atexit, sys, threading
from bubblesim.cli import main
class Torn:
    def __del__(self):
        print("torn down", flush=True)
torn = Torn()
atexit.register(lambda: print("exit handlers ran"))  # flushed by main
if sys.argv[1] == "thread":  # alive until the main thread has finished
    threading.Thread(target=threading.main_thread().join).start()
sys.argv = ["bubblesim", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("thread", ["none", "thread"])
def test_the_entry_point_ends_at_once_and_loses_no_output(tmp_path, thread):
    """The console script runs the exit handlers, flushes what it printed (here to a pipe, so
    block-buffered) and ends without tearing the interpreter down; its exit codes are click's.
    With another thread still alive it takes Python's normal way out."""
    files = [BASELINE, str(SCENARIOS / "soft_landing.toml")]
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    out = subprocess.run([sys.executable, "-c", _ENTRY, thread, "validate", *files],
                         capture_output=True, text=True, env=buffered)  # fmt: skip
    assert out.returncode == 0, out.stderr
    expected = CliRunner().invoke(cli, ["validate", *files]).output
    assert out.stdout.startswith(expected)
    assert out.stdout[len(expected) :].split() == (
        ["exit", "handlers", "ran"] + (["torn", "down"] if thread != "none" else [])
    )
    bad = subprocess.run([sys.executable, "-c", _ENTRY, thread, "validate", str(tmp_path / "no.toml")],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "no such file" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("asked", [None, "1"])
def test_the_command_line_asks_numpy_for_no_huge_pages_unless_told(asked):
    code = (
        "import atexit, sys\n"
        "from bubblesim.cli import main\n"
        "def report():\n"
        "    import numpy as np\n"
        "    from numpy._core import multiarray as m\n"  # numpy >= 2
        "    print('HUGE', m._get_madvise_hugepage())\n"
        "atexit.register(report)\n"
        "sys.argv = ['bubblesim', 'validate', sys.argv[1]]\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if asked is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = asked
    out = subprocess.run([sys.executable, "-c", code, BASELINE], capture_output=True, text=True,
                         env=env)  # fmt: skip
    if "No module named 'numpy._core'" in out.stderr:
        pytest.skip("numpy < 2 keeps the switch elsewhere")
    assert out.returncode == 0, out.stderr
    assert f"HUGE {asked == '1'}" in out.stdout  # off unless the user turned it on


def test_a_command_started_with_its_output_closed_ends_cleanly():
    """Started with stdout closed (``>&-``), Python has no sys.stdout: nothing to flush."""
    shell = f"'{sys.executable}' -m bubblesim validate '{BASELINE}' >&-"
    out = subprocess.run(["sh", "-c", shell], capture_output=True, text=True)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr


def test_a_profiled_command_still_writes_its_profile(tmp_path):
    """Under a profiler the entry point exits as Python does, so the profiler reports."""
    prof = tmp_path / "validate.prof"
    cmd = [
        sys.executable,
        "-m",
        "cProfile",
        "-o",
        str(prof),
        "-m",
        "bubblesim",
        "validate",
        BASELINE,
    ]
    subprocess.run(cmd, capture_output=True, check=True)
    assert prof.stat().st_size > 0


def test_progress_appears_only_after_the_delay(capsys):
    quick = Progress("x", delay=60)
    quick(50, 100)
    quick(100, 100)
    assert capsys.readouterr().err == ""
    slow = Progress("x", delay=0)
    slow(50, 100)
    slow(100, 100)
    err = capsys.readouterr().err
    assert "50%" in err and "100%" in err


def test_every_out_help_names_the_folder_the_command_writes():
    from click.testing import CliRunner

    from bubblesim.cli import cli

    for command, folder in (("run", "outputs/<name>"), ("batch", "outputs/batch"),
                            ("compare", "outputs/compare"),
                            ("sensitivity", "outputs/<name>-sensitivity"),
                            ("sweep", "outputs/<name>-sweep"), ("solve", "outputs/<name>-solve")):  # fmt: skip
        text = " ".join(CliRunner().invoke(cli, [command, "--help"]).output.split())
        assert f"[default: {folder}, or the next free {folder}-N]" in text, command
    assert ".pdf" in CliRunner().invoke(cli, ["fan", "--help"]).output


def test_summary_files_and_the_readme_schema_cover_what_a_run_writes(tmp_path, monkeypatch):
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from bubblesim.cli import cli

    monkeypatch.chdir(tmp_path)
    root = Path(__file__).resolve().parents[2]
    res = CliRunner().invoke(
        cli, ["run", str(root / "scenarios" / "baseline.toml"), "-n", "300", "-q", "-o", "r"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "r" / "summary.json").read_text())
    written = {p.name for p in (tmp_path / "r").iterdir()} - {
        "summary.json",
        "bubblesim-manifest.json",
    }
    assert set(doc["files"].values()) == written
    schema = (
        (root / "README.md").read_text().split("### `summary.json` schema")[1].split("\n## ")[0]
    )
    for key in doc:
        assert f"`{key}`" in schema, key
    for name in written:
        assert f"`{name}`" in (root / "README.md").read_text().split("## Outputs of `run`")[1], name
